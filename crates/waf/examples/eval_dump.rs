//! Development aid: print every miss / false positive of one category of a corpus file
//! with full headers and the matches seen. `cargo run --example eval_dump -- FILE CATEGORY [PL]`
use palisade_waf::{Config, Request, Waf};
use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(file), Some(cat)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: eval_dump FILE CATEGORY [PL]");
        return;
    };
    let pl: u8 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let Ok(waf) = Waf::new(Config {
        paranoia_level: pl,
        ..Config::default()
    }) else {
        return;
    };
    let text = std::fs::read_to_string(file).unwrap_or_default();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        if s("category") != *cat
            || v.pointer("/crs/response_test_via_reflect")
                .and_then(Value::as_bool)
                == Some(true)
        {
            continue;
        }
        let mut req = Request::new(s("method"), s("path"));
        if let Some(h) = v.get("headers").and_then(Value::as_object) {
            for (k, val) in h {
                req.headers
                    .push((k.clone(), val.as_str().unwrap_or("").to_string()));
            }
        }
        if let Some(b) = v.get("body").and_then(Value::as_str) {
            req.body = b.as_bytes().to_vec();
        }
        let verdict = waf.inspect(&req);
        let attack = s("label") == "attack";
        if attack != verdict.blocked {
            let hs: Vec<String> = req
                .headers
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "Host" | "Accept" | "User-Agent"))
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            println!(
                "{} {} {} {:?} body={:?} hdr={:?}",
                if attack { "MISS" } else { "FP" },
                s("id"),
                req.method,
                req.path,
                String::from_utf8_lossy(&req.body)
                    .chars()
                    .take(200)
                    .collect::<String>(),
                hs
            );
            for m in &verdict.matches {
                println!(
                    "      {} {} {} {}",
                    m.rule,
                    m.severity.score(),
                    m.target,
                    m.evidence
                );
            }
        }
    }
}
