//! Syslog lines (RFC 5424 and the BSD RFC 3164 shape) into JSON events
//! with `host`, `app`, `pid`, `severity`, `facility`, `message` fields, so
//! Sigma rules written for `product: linux` fields can run over them.
//! Hand-written: the syslog crates parse for sending, not for tolerant
//! reading of whatever a collector wrote; a line that fits neither shape
//! keeps its text in `message`.

use serde_json::{json, Map, Value};

fn priority(line: &str) -> (Option<u32>, &str) {
    if let Some(rest) = line.strip_prefix('<') {
        if let Some(end) = rest.find('>') {
            if let Ok(p) = rest[..end].parse::<u32>() {
                return (Some(p), &rest[end + 1..]);
            }
        }
    }
    (None, line)
}

/// Parses one line; never fails.
pub fn parse(line: &str) -> Value {
    let line = line.trim_end_matches(['\r', '\n']);
    let (pri, rest) = priority(line);
    let mut m = Map::new();
    if let Some(p) = pri {
        m.insert("facility".into(), json!(p / 8));
        m.insert("severity".into(), json!(p % 8));
    }
    let words: Vec<&str> = rest.splitn(8, ' ').collect();
    // RFC 5424: VERSION TIMESTAMP HOST APP PROCID MSGID SD MSG
    if words
        .first()
        .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()) && !w.is_empty())
        && words.len() >= 7
    {
        m.insert("timestamp".into(), json!(words[1]));
        m.insert("host".into(), json!(words[2]));
        m.insert("app".into(), json!(words[3]));
        if words[4] != "-" {
            m.insert("pid".into(), json!(words[4]));
        }
        m.insert("message".into(), json!(words.get(7).copied().unwrap_or("")));
        return Value::Object(m);
    }
    // RFC 3164: "Mmm dd hh:mm:ss HOST TAG[PID]: MSG"
    let words: Vec<&str> = rest.split_whitespace().collect();
    if words.len() >= 5 && words[0].len() == 3 && words[2].contains(':') {
        m.insert(
            "timestamp".into(),
            json!(format!("{} {} {}", words[0], words[1], words[2])),
        );
        m.insert("host".into(), json!(words[3]));
        let tag = words[4].trim_end_matches(':');
        let (app, pid) = match tag.split_once('[') {
            Some((a, p)) => (a, Some(p.trim_end_matches(']'))),
            None => (tag, None),
        };
        m.insert("app".into(), json!(app));
        if let Some(p) = pid {
            m.insert("pid".into(), json!(p));
        }
        let msg_start = rest
            .find(words[4])
            .map(|i| i + words[4].len())
            .unwrap_or(rest.len());
        m.insert("message".into(), json!(rest[msg_start..].trim()));
        return Value::Object(m);
    }
    m.insert("message".into(), json!(rest));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsd_and_5424_lines() {
        let v = parse("<38>Nov 30 02:00:01 web1 sshd[812]: Failed password for root from 203.0.113.9 port 4242 ssh2");
        assert_eq!(
            (v["host"].as_str(), v["app"].as_str(), v["pid"].as_str()),
            (Some("web1"), Some("sshd"), Some("812"))
        );
        assert_eq!(v["severity"], 6);
        assert!(v["message"]
            .as_str()
            .unwrap()
            .starts_with("Failed password"));
        let v = parse("<165>1 2026-11-30T02:00:01Z host app 42 ID47 - hello world");
        assert_eq!(
            (v["host"].as_str(), v["message"].as_str()),
            (Some("host"), Some("hello world"))
        );
        assert_eq!(parse("garbage")["message"], "garbage");
        assert_eq!(parse("<x>y")["message"], "<x>y");
    }
}
