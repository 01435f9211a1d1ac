//! The SOC's one event model: every ingested record (Windows EVTX, JSON,
//! syslog, Palisade's own events) mapped to OCSF-aligned field names, with
//! the original record kept under `raw` so Sigma rules, which name the
//! source's own fields, still run on it.
//!
//! | OCSF field | from |
//! |---|---|
//! | `time` (ms) | `Event.System.TimeCreated.#attributes.SystemTime`, `time_ms`, `@timestamp`, `timestamp`, `time` |
//! | `class_name` | Windows event id (Sysmon 1/4688 → Process Activity, 3 → Network Activity, 11/23/26 → File System Activity, 12–14 → Registry Key Activity, 22 → DNS Activity, 4624/4625/4648 → Authentication); Palisade events → Security Finding; else Base Event |
//! | `metadata.product.name`, `metadata.log_name`, `metadata.event_code` | provider, channel, event id; `palisade` and the event's source; `syslog` and the app |
//! | `device.hostname` | `Computer`, `host`, `hostname` |
//! | `actor.user.name` | `User`, `TargetUserName`, `SubjectUserName`, `user` |
//! | `src_endpoint.ip` | `IpAddress`, `SourceIp`, `src_ip`, `client_addr` |
//! | `dst_endpoint.ip`, `dst_endpoint.port` | `DestinationIp`, `DestinationPort` |
//! | `process.file.path`, `process.cmd_line`, `process.parent_process.file.path` | `Image`/`NewProcessName`, `CommandLine`, `ParentImage` |
//! | `file.path` | `TargetFilename` |
//! | `message` | syslog message, Palisade message |
//! | `raw` | the record as read |

use serde_json::{json, Map, Value};

/// Finds a leaf by (case-insensitive) key anywhere in the record, depth
/// first, bounded; EVTX puts fields under `Event.EventData` or
/// `Event.System`, JSON logs anywhere.
fn find<'a>(v: &'a Value, key: &str, depth: usize) -> Option<&'a Value> {
    if depth > 8 {
        return None;
    }
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                if k.eq_ignore_ascii_case(key) && !val.is_object() && !val.is_array() {
                    return Some(val);
                }
            }
            m.values().find_map(|c| find(c, key, depth + 1))
        }
        _ => None,
    }
}

fn text(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        find(v, k, 0).and_then(|x| match x {
            Value::String(s) if !s.is_empty() && s != "-" => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    })
}

/// Milliseconds since the epoch from RFC 3339 (`2024-05-01T12:00:00.123Z`).
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(10).is_none_or(|c| *c != b'T' && *c != b' ')
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok());
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let mut frac_ms = 0;
    let mut rest = s.get(19..).unwrap_or("");
    if let Some(f) = rest.strip_prefix('.') {
        let digits: String = f.chars().take_while(char::is_ascii_digit).collect();
        frac_ms = format!("{digits:0<3}")
            .get(..3)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        rest = &f[digits.len()..];
    }
    let offset_min = match rest.chars().next() {
        Some('+') | Some('-') => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let hh = rest
                .get(1..3)
                .and_then(|x| x.parse::<i64>().ok())
                .unwrap_or(0);
            let mm = rest
                .get(4..6)
                .and_then(|x| x.parse::<i64>().ok())
                .unwrap_or(0);
            sign * (hh * 60 + mm)
        }
        _ => 0,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + se - offset_min * 60) * 1000) + frac_ms)
}

fn class_of(event_id: Option<i64>, provider: &str, palisade: bool) -> &'static str {
    if palisade {
        return "Security Finding";
    }
    let sysmon = provider.to_ascii_lowercase().contains("sysmon");
    match (event_id, sysmon) {
        (Some(1), true) | (Some(4688), _) => "Process Activity",
        (Some(3), true) => "Network Activity",
        (Some(11 | 23 | 26), true) => "File System Activity",
        (Some(12..=14), true) => "Registry Key Activity",
        (Some(22), true) => "DNS Activity",
        (Some(4624 | 4625 | 4648 | 4776), _) => "Authentication",
        (Some(4720 | 4722 | 4724 | 4726 | 4738), _) => "Account Change",
        (Some(4104 | 4103), _) => "Script Activity",
        _ => "Base Event",
    }
}

/// Maps one record (as read) from `source` to the event model.
pub fn to_ocsf(raw: &Value, source: &str) -> Value {
    let palisade = raw.get("request_id").is_some() && raw.get("direction").is_some();
    let time = text(raw, &["SystemTime"])
        .or_else(|| text(raw, &["@timestamp", "timestamp", "time"]))
        .and_then(|t| parse_rfc3339_ms(&t))
        .or_else(|| raw.get("time_ms").and_then(Value::as_i64))
        .unwrap_or(0);
    let event_id = text(raw, &["EventID"]).and_then(|e| e.parse::<i64>().ok());
    let provider = text(raw, &["Name"]).unwrap_or_default();
    let mut m = Map::new();
    m.insert("time".into(), json!(time));
    m.insert(
        "class_name".into(),
        json!(class_of(event_id, &provider, palisade)),
    );
    let product = if palisade {
        "palisade".to_string()
    } else if !provider.is_empty() {
        provider.clone()
    } else if raw.get("app").is_some() && raw.get("message").is_some() {
        "syslog".into()
    } else {
        source.to_string()
    };
    let mut meta = json!({"product": {"name": product}});
    if let Some(c) = text(raw, &["Channel"]).or_else(|| {
        if palisade {
            text(raw, &["source"])
        } else {
            text(raw, &["app"])
        }
    }) {
        meta["log_name"] = json!(c);
    }
    if let Some(e) = event_id {
        meta["event_code"] = json!(e.to_string());
    }
    m.insert("metadata".into(), meta);
    let mut put = |path: &[&str], val: Option<String>| {
        let Some(val) = val else { return };
        let mut cur = &mut m;
        for (i, k) in path.iter().enumerate() {
            if i + 1 == path.len() {
                cur.insert((*k).into(), json!(val));
                return;
            }
            let next = cur.entry((*k).to_string()).or_insert_with(|| json!({}));
            let Some(obj) = next.as_object_mut() else {
                return;
            };
            cur = obj;
        }
    };
    put(
        &["device", "hostname"],
        text(raw, &["Computer", "hostname", "host"]),
    );
    put(
        &["actor", "user", "name"],
        text(raw, &["User", "TargetUserName", "SubjectUserName", "user"]),
    );
    put(
        &["src_endpoint", "ip"],
        text(raw, &["IpAddress", "SourceIp", "src_ip", "client_addr"]),
    );
    put(&["dst_endpoint", "ip"], text(raw, &["DestinationIp"]));
    put(&["dst_endpoint", "port"], text(raw, &["DestinationPort"]));
    put(
        &["process", "file", "path"],
        text(raw, &["Image", "NewProcessName"]),
    );
    put(&["process", "cmd_line"], text(raw, &["CommandLine"]));
    put(
        &["process", "parent_process", "file", "path"],
        text(raw, &["ParentImage"]),
    );
    put(&["file", "path"], text(raw, &["TargetFilename"]));
    put(&["message"], text(raw, &["message"]));
    m.insert("raw".into(), raw.clone());
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2023-11-14T22:13:20.5Z"),
            Some(1_700_000_000_500)
        );
        assert_eq!(
            parse_rfc3339_ms("2023-11-15T00:13:20+02:00"),
            Some(1_700_000_000_000)
        );
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
    }

    #[test]
    fn sysmon_process_and_syslog_and_palisade() {
        let evtx = json!({"Event": {"System": {"EventID": 1, "Computer": "WS01", "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
            "TimeCreated": {"#attributes": {"SystemTime": "2023-11-14T22:13:20.000Z"}}},
            "EventData": {"Image": "C:\\\\x.exe", "CommandLine": "x /y", "User": "CORP\\\\ann"}}});
        let o = to_ocsf(&evtx, "a.evtx");
        assert_eq!(o["class_name"], "Process Activity");
        assert_eq!(o["time"], 1_700_000_000_000_i64);
        assert_eq!(o["device"]["hostname"], "WS01");
        assert_eq!(o["process"]["cmd_line"], "x /y");
        assert_eq!(o["raw"], evtx);
        let sys = to_ocsf(
            &json!({"host": "web1", "app": "sshd", "message": "Failed password"}),
            "auth.log",
        );
        assert_eq!(
            (
                sys["metadata"]["product"]["name"].as_str(),
                sys["device"]["hostname"].as_str()
            ),
            (Some("syslog"), Some("web1"))
        );
        let p = to_ocsf(
            &json!({"time_ms": 5, "request_id": "r", "direction": "input", "source": "gateway", "client_addr": "10.0.0.1:5"}),
            "gateway",
        );
        assert_eq!(
            (p["class_name"].as_str(), p["time"].as_i64()),
            (Some("Security Finding"), Some(5))
        );
    }
}
