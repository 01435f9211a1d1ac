//! `palisade waf --jsonl`: the WAF over requests in JSON Lines, for
//! pipelines and evaluation. Input lines are `{"id"?, "method", "path",
//! "headers": {..} | [[name, value], ..], "body": string | null}` (the
//! `../shared/datasets/waf/` format); output lines are `{"id", "blocked",
//! "score", "matches": [{"rule", "category", "target", "severity"}],
//! "handed_to_guard"}`, or `{"id", "error"}` for a line that is not a
//! request.

use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// Options of `palisade waf`.
#[derive(clap::Args)]
pub struct Args {
    /// Read requests as JSON Lines from standard input.
    #[arg(long)]
    jsonl: bool,
    /// Paranoia level 1–4.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=4))]
    paranoia: u8,
    /// Inbound anomaly score that blocks.
    #[arg(long, default_value_t = 5)]
    threshold: u32,
    /// Extra rule files (YAML, the built-in rules' schema).
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<String>,
}

fn request_of(v: &Value) -> Result<palisade_waf::Request, String> {
    let method = v["method"]
        .as_str()
        .ok_or("`method` is missing or not a string")?;
    let path = v["path"]
        .as_str()
        .ok_or("`path` is missing or not a string")?;
    let mut headers = Vec::new();
    match &v["headers"] {
        Value::Object(m) => {
            for (k, val) in m {
                match val {
                    Value::String(s) => headers.push((k.clone(), s.clone())),
                    Value::Array(a) => headers.extend(
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(|s| (k.clone(), s.to_string())),
                    ),
                    other => headers.push((k.clone(), other.to_string())),
                }
            }
        }
        Value::Array(a) => {
            for pair in a {
                if let (Some(k), Some(val)) = (pair[0].as_str(), pair[1].as_str()) {
                    headers.push((k.to_string(), val.to_string()));
                } else {
                    return Err("`headers` entries must be [name, value] string pairs".into());
                }
            }
        }
        Value::Null => {}
        _ => return Err("`headers` must be an object or a list of pairs".into()),
    }
    let body = match &v["body"] {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Null => Vec::new(),
        _ => return Err("`body` must be a string or null".into()),
    };
    Ok(palisade_waf::Request {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body,
        http_version: v["http_version"].as_str().unwrap_or("HTTP/1.1").to_string(),
    })
}

/// Runs `palisade waf`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        a.jsonl,
        "give --jsonl and requests on standard input (one JSON object per line)"
    );
    let cfg = palisade_waf::Config {
        paranoia_level: a.paranoia,
        inbound_threshold: a.threshold,
        extra_rule_files: a.rules,
        ..palisade_waf::Config::default()
    };
    let waf = palisade_waf::Waf::new(cfg)?;
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                writeln!(
                    out,
                    "{}",
                    json!({"id": null, "error": format!("line {}: invalid JSON: {e}", n + 1)})
                )?;
                continue;
            }
        };
        let id = v.get("id").cloned().unwrap_or(Value::Null);
        let reply = match request_of(&v) {
            Ok(req) => {
                let verdict = waf.inspect(&req);
                json!({
                    "id": id,
                    "blocked": verdict.blocked,
                    "score": verdict.score,
                    "matches": verdict.matches.iter().map(|m| json!({
                        "rule": m.rule, "category": m.category, "target": m.target, "severity": m.severity,
                    })).collect::<Vec<_>>(),
                    "handed_to_guard": verdict.handed_to_guard,
                })
            }
            Err(e) => json!({"id": id, "error": format!("line {}: {e}", n + 1)}),
        };
        writeln!(out, "{reply}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
