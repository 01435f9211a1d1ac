#![no_main]
//! Request parsing + inspection: the first bytes choose content type and method, the
//! rest is split into path / header value / body.
use libfuzzer_sys::fuzz_target;
use palisade_waf::{Config, Request, Waf};
use std::sync::OnceLock;

static WAF: OnceLock<Option<Waf>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(waf) = WAF.get_or_init(|| Waf::new(Config::default()).ok()) else { return };
    let (sel, rest) = data.split_first().map_or((0, &[][..]), |(a, b)| (*a, b));
    let ct = ["application/json", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=XX", "text/plain"][usize::from(sel % 5)];
    let mut parts = rest.splitn(3, |b| *b == 0xff);
    let path = String::from_utf8_lossy(parts.next().unwrap_or(&[])).into_owned();
    let hv = String::from_utf8_lossy(parts.next().unwrap_or(&[])).into_owned();
    let body = parts.next().unwrap_or(&[]).to_vec();
    let req = Request::new(if sel & 0x80 != 0 { "GET" } else { "POST" }, format!("/{path}"))
        .header("Host", "x")
        .header("Content-Type", ct)
        .header("Cookie", hv.clone())
        .header("X-Test", hv)
        .body(body);
    let _ = waf.inspect(&req);
});
