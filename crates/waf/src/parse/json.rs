//! JSON bodies: every string leaf becomes a target named by its JSON path
//! (`JSON:messages[0].content`), every object key a `JSON_NAMES:` target.

use serde_json::Value;

use crate::normalize::{decode_bytes, NormFlags};
use crate::parse::Sink;
use crate::request::TargetKind;

/// Parse a JSON body; invalid JSON is an anomaly and the body is scanned raw.
pub(crate) fn parse_json(body: &[u8], sink: &mut Sink<'_>) {
    // serde_json has its own recursion limit (128), so hostile nesting cannot
    // overflow the stack here; `max_depth` below bounds the walk further.
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let mut depth_hit = false;
            walk(&v, String::new(), 0, sink, &mut depth_hit);
            if depth_hit {
                sink.anomaly(
                    "limit_depth",
                    format!("JSON deeper than {}", sink.limits.max_depth),
                );
            }
        }
        Err(e) => {
            sink.anomaly("json_invalid", e.to_string());
            let mut f = NormFlags::default();
            sink.arg(
                "REQUEST_BODY".to_string(),
                TargetKind::RawBody,
                decode_bytes(body, &mut f),
            );
        }
    }
}

fn walk(v: &Value, path: String, depth: usize, sink: &mut Sink<'_>, depth_hit: &mut bool) {
    if depth > sink.limits.max_depth {
        *depth_hit = true;
        return;
    }
    match v {
        Value::String(s) => {
            let name = if path.is_empty() {
                "JSON:$".to_string()
            } else {
                format!("JSON:{path}")
            };
            sink.arg(name, TargetKind::ArgValue, s.clone());
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{path}[{i}]"), depth + 1, sink, depth_hit);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                sink.arg(
                    format!("JSON_NAMES:{child}"),
                    TargetKind::ArgName,
                    k.clone(),
                );
                walk(item, child, depth + 1, sink, depth_hit);
            }
        }
        // Numbers, booleans and null cannot carry injection payloads by themselves.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    #[test]
    fn json_paths() {
        let limits = Limits::default();
        let mut sink = Sink::new(&limits);
        parse_json(
            br#"{"messages":[{"role":"user","content":"hi"}],"n":1}"#,
            &mut sink,
        );
        assert!(sink
            .targets
            .iter()
            .any(|t| t.name == "JSON:messages[0].content" && t.value == "hi"));
    }

    #[test]
    fn deep_json_bounded() {
        let limits = Limits {
            max_depth: 4,
            ..Limits::default()
        };
        let mut sink = Sink::new(&limits);
        let body = format!("{}{}", "[".repeat(10), "]".repeat(10));
        parse_json(body.as_bytes(), &mut sink);
        assert!(sink.anomalies.iter().any(|a| a.code == "limit_depth"));
    }
}
