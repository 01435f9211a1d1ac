//! Single-threaded throughput and latency on the shared corpora (no criterion):
//! `cargo run --release -p palisade-waf --example bench`.
use std::time::Instant;

use palisade_waf::{Config, Request, Waf};
use serde_json::Value;

fn main() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/waf");
    let mut reqs = Vec::new();
    for f in ["gotestwaf.jsonl", "crs_regression.jsonl"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let mut r = Request::new(s("method"), s("path"));
            if let Some(h) = v.get("headers").and_then(Value::as_object) {
                for (k, val) in h {
                    r.headers
                        .push((k.clone(), val.as_str().unwrap_or("").to_string()));
                }
            }
            if let Some(b) = v.get("body").and_then(Value::as_str) {
                r.body = b.as_bytes().to_vec();
            }
            reqs.push(r);
        }
    }
    if reqs.is_empty() {
        println!("no corpus found under {}", dir.display());
        return;
    }
    let t0 = Instant::now();
    let Ok(waf) = Waf::new(Config::default()) else {
        return;
    };
    println!("Waf::new: {:.1} ms", t0.elapsed().as_secs_f64() * 1e3);
    // Warm up lazily built DFA states.
    for r in &reqs {
        let _ = waf.inspect(r);
    }
    let mut lat = Vec::with_capacity(reqs.len() * 3);
    let start = Instant::now();
    for _ in 0..3 {
        for r in &reqs {
            let t = Instant::now();
            let v = waf.inspect(r);
            std::hint::black_box(v);
            lat.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let total = start.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let typical: Vec<f64> = {
        // "Typical" = requests without a body over 4 KiB (the corpora include 8-128 KiB padding tests).
        let mut v = Vec::new();
        for _ in 0..3 {
            for r in reqs.iter().filter(|r| r.body.len() <= 4096) {
                let t = Instant::now();
                std::hint::black_box(waf.inspect(r));
                v.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        v.sort_by(|a, b| a.total_cmp(b));
        v
    };
    let tp = |p: f64| {
        typical
            .get(((typical.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "requests: {} x3, single thread: {:.0} req/s",
        reqs.len(),
        lat.len() as f64 / total
    );
    println!(
        "all:     p50 {:.1} us  p99 {:.1} us  max {:.1} us",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "typical (body <= 4 KiB): p50 {:.1} us  p99 {:.1} us",
        tp(0.5),
        tp(0.99)
    );
}
