//! Property tests: arbitrary bytes and strings through every parser, normaliser and
//! detector must never panic, and outputs stay bounded.

use palisade_waf::detect::{cmd, sqli, ssrf, xss};
use palisade_waf::normalize::{
    base64_candidate, canonical_path, html_entity_decode, js_unescape, normalize,
};
use palisade_waf::{Config, Request, Waf};
use proptest::prelude::*;

fn waf() -> &'static Waf {
    use std::sync::OnceLock;
    static W: OnceLock<Waf> = OnceLock::new();
    W.get_or_init(|| Waf::new(Config::default()).expect("default config is valid"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn normalisers_total(s in ".{0,400}") {
        let n = normalize(&s, 3);
        // Decoding only shrinks or keeps length in bytes, except NFKC expansions (bounded factor).
        prop_assert!(n.text.len() <= s.len() * 18 + 16);
        let _ = html_entity_decode(&s);
        let _ = js_unescape(&s);
        let _ = canonical_path(&s);
        let _ = base64_candidate(&s);
    }

    #[test]
    fn detectors_total(s in ".{0,400}") {
        let _ = sqli::detect(&s);
        let _ = xss::detect(&s);
        let _ = cmd::detect(&s);
        let _ = ssrf::detect(&s);
    }

    #[test]
    fn query_and_path(path in "[ -~]{0,300}") {
        let v = waf().inspect(&Request::new("GET", path));
        prop_assert!(v.matches.len() < 500);
    }

    #[test]
    fn form_body(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let r = Request::new("POST", "/").header("Host", "x").header("Content-Type", "application/x-www-form-urlencoded").body(body);
        let _ = waf().inspect(&r);
    }

    #[test]
    fn multipart_body(body in proptest::collection::vec(any::<u8>(), 0..600), boundary in "[ -~]{0,80}") {
        let r = Request::new("POST", "/").header("Host", "x").header("Content-Type", format!("multipart/form-data; boundary={boundary}")).body(body);
        let _ = waf().inspect(&r);
    }

    #[test]
    fn multipart_structured(name in "[ -~]{0,40}", content in ".{0,200}") {
        let body = format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{content}\r\n--b--\r\n");
        let r = Request::new("POST", "/").header("Host", "x").header("Content-Type", "multipart/form-data; boundary=b").body(body);
        let _ = waf().inspect(&r);
    }

    #[test]
    fn json_body(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let r = Request::new("POST", "/").header("Host", "x").header("Content-Type", "application/json").body(body);
        let _ = waf().inspect(&r);
    }

    #[test]
    fn json_structured(s in r#"[\[\]{}",:a-z0-9 ]{0,400}"#) {
        let r = Request::new("POST", "/").header("Host", "x").header("Content-Type", "application/json").body(s);
        let _ = waf().inspect(&r);
    }

    #[test]
    fn xml_body(s in r#"[<>/!?="' a-zA-Z0-9&;\[\]-]{0,400}"#) {
        let r = Request::new("POST", "/").header("Host", "x").header("Content-Type", "application/xml").body(s);
        let _ = waf().inspect(&r);
    }

    #[test]
    fn headers(hs in proptest::collection::vec(("[ -~]{0,20}", ".{0,100}"), 0..30), method in "[ -~]{0,12}") {
        let mut r = Request::new(method, "/");
        r.headers = hs;
        let _ = waf().inspect(&r);
    }
}

#[test]
fn deep_json_is_bounded() {
    let body = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let r = Request::new("POST", "/")
        .header("Host", "x")
        .header("Content-Type", "application/json")
        .body(body);
    let v = waf().inspect(&r);
    assert!(!v.anomalies.is_empty());
}
