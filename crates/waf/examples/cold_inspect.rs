//! Times `Waf::inspect` on a gateway's typical request (an OpenAI chat
//! completion with a 1 KB prompt) back to back and after a 20 ms pause,
//! the gap a gateway in front of a slow model meets; the difference is
//! what the request's code and tables cost from cold caches:
//! `cargo run --release -p palisade-waf --example cold_inspect [ROUNDS]`.

use palisade_waf::{Config, Request, Waf};
use std::time::{Duration, Instant};

fn request(i: usize) -> Request {
    let prompt = format!(
        "Request {i}: {}",
        "I am planning a two-week trip through northern Italy in late spring. ".repeat(14)
    );
    let body = serde_json::json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": prompt}
        ],
        "temperature": 0.2
    });
    let mut r = Request::new("POST".to_string(), "/v1/chat/completions".to_string());
    for (k, v) in [
        ("host", "127.0.0.1:8080"),
        ("user-agent", "OpenAI/Python 1.54.0"),
        ("content-type", "application/json"),
        ("accept", "application/json"),
        (
            "authorization",
            "Bearer pk_6c0c16cacb55_AAmWLQdCtCURETC2qLH6WUHI6mtEVpJM",
        ),
        ("x-stainless-lang", "python"),
    ] {
        r.headers.push((k.to_string(), v.to_string()));
    }
    r.body = body.to_string().into_bytes();
    r.http_version = "HTTP/1.1".to_string();
    r
}

fn p50(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200);
    let mut cfg = Config::default();
    // What the gateway adds: its LLM fields are the guard's business.
    cfg.llm
        .natural_language_paths
        .extend(["tools", "functions", "messages[*].tool_calls"].map(String::from));
    let waf = Waf::new(cfg)?;
    let reqs: Vec<Request> = (0..rounds).map(request).collect();
    for r in &reqs {
        std::hint::black_box(waf.inspect(r));
    }
    // `SWEPT_ONLY=1`: only checks after sweeping 64 MiB through the
    // caches, for a cache simulation of cold checks (`valgrind
    // --tool=callgrind --cache-sim=yes --toggle-collect='*Waf::inspect*'`).
    if std::env::var_os("SWEPT_ONLY").is_some() {
        let mut sweep = vec![0u8; 64 << 20];
        for (i, r) in reqs.iter().enumerate().take(20) {
            for chunk in sweep.chunks_mut(64) {
                chunk[0] = chunk[0].wrapping_add(i as u8);
            }
            std::hint::black_box(waf.inspect(r));
        }
        std::hint::black_box(&sweep);
        return Ok(());
    }
    let (mut warm, mut cold) = (Vec::new(), Vec::new());
    for r in &reqs {
        let t = Instant::now();
        std::hint::black_box(waf.inspect(r));
        warm.push(t.elapsed().as_secs_f64() * 1e6);
        std::thread::sleep(Duration::from_millis(20));
        let t = Instant::now();
        std::hint::black_box(waf.inspect(r));
        cold.push(t.elapsed().as_secs_f64() * 1e6);
    }
    println!(
        "inspect p50 in µs: warm {:.1}, after 20 ms {:.1}",
        p50(warm),
        p50(cold)
    );
    Ok(())
}
