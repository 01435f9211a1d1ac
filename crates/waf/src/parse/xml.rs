//! XML bodies via `quick-xml`: element text, attribute values and element/attribute
//! names become targets. Entities are never resolved (quick-xml does not resolve
//! external entities; we also keep text escaped-as-sent and decode only the
//! predefined/numeric references ourselves). A DOCTYPE is reported as a target and
//! an anomaly, since legitimate API payloads rarely carry one and it is the XXE vector.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::normalize::{decode_bytes, html_entity_decode, NormFlags};
use crate::parse::query::truncate_name;
use crate::parse::Sink;
use crate::request::TargetKind;

/// Parse an XML body into targets.
pub(crate) fn parse_xml(body: &[u8], sink: &mut Sink<'_>) {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    reader.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut events = 0usize;
    let max_events = sink.limits.max_args.saturating_mul(8);
    loop {
        events += 1;
        if events > max_events {
            sink.anomaly("limit_args", "too many XML events");
            break;
        }
        let ev = reader.read_event_into(&mut buf);
        match ev {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let mut f = NormFlags::default();
                let name = decode_bytes(e.name().as_ref(), &mut f);
                let path = format!(
                    "{}/{}",
                    stack.last().map(String::as_str).unwrap_or(""),
                    truncate_name(&name)
                );
                sink.arg(
                    format!("XML_NAMES:{path}"),
                    TargetKind::ArgName,
                    name.clone(),
                );
                for attr in e.attributes().with_checks(false).flatten() {
                    let key = decode_bytes(attr.key.as_ref(), &mut f);
                    let val = decode_bytes(&attr.value, &mut f);
                    let val = html_entity_decode(&val).into_owned();
                    sink.arg(
                        format!("XML_NAMES:{path}/@{}", truncate_name(&key)),
                        TargetKind::ArgName,
                        key.clone(),
                    );
                    sink.arg(
                        format!("XML:{path}/@{}", truncate_name(&key)),
                        TargetKind::XmlValue,
                        val,
                    );
                }
                // `Empty` elements have no matching End: only push real starts.
                if matches!(reader_event_kind(&buf), Kind::Start) {
                    if stack.len() >= sink.limits.max_depth {
                        sink.anomaly(
                            "limit_depth",
                            format!("XML deeper than {}", sink.limits.max_depth),
                        );
                        break;
                    }
                    stack.push(path);
                }
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(t)) => {
                let mut f = NormFlags::default();
                let raw = decode_bytes(&t, &mut f);
                if raw.contains('&') && custom_entity_ref(&raw) {
                    sink.anomaly("xml_entity_reference", &raw);
                }
                let val = html_entity_decode(&raw).into_owned();
                let path = stack.last().cloned().unwrap_or_default();
                sink.arg(format!("XML:{path}"), TargetKind::XmlValue, val);
            }
            Ok(Event::CData(t)) => {
                let mut f = NormFlags::default();
                let path = stack.last().cloned().unwrap_or_default();
                sink.arg(
                    format!("XML:{path}"),
                    TargetKind::XmlValue,
                    decode_bytes(&t, &mut f),
                );
            }
            Ok(Event::DocType(t)) => {
                let mut f = NormFlags::default();
                let dt = decode_bytes(&t, &mut f);
                sink.anomaly("xml_doctype", &dt);
                sink.arg(
                    "XML:DOCTYPE".to_string(),
                    TargetKind::XmlValue,
                    format!("<!DOCTYPE {dt}>"),
                );
            }
            Ok(Event::PI(t)) => {
                let mut f = NormFlags::default();
                sink.arg(
                    "XML:PI".to_string(),
                    TargetKind::XmlValue,
                    decode_bytes(&t, &mut f),
                );
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                sink.anomaly("xml_invalid", e.to_string());
                // Keep scanning what the parser could not read: payloads hide past errors.
                let mut f = NormFlags::default();
                let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                let rest = body.get(pos.min(body.len())..).unwrap_or(&[]);
                if !rest.is_empty() {
                    sink.arg(
                        "REQUEST_BODY".to_string(),
                        TargetKind::RawBody,
                        decode_bytes(rest, &mut f),
                    );
                }
                break;
            }
        }
        buf.clear();
    }
}

enum Kind {
    Start,
    Other,
}

/// quick-xml hands `Start` and `Empty` through the same arm above; the raw buffer
/// tells them apart (`<a/>` ends with `/`).
fn reader_event_kind(buf: &[u8]) -> Kind {
    if buf.last() == Some(&b'/') {
        Kind::Other
    } else {
        Kind::Start
    }
}

/// `&name;` that is not one of the five predefined XML entities or a char reference.
fn custom_entity_ref(s: &str) -> bool {
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        let after = rest.get(p + 1..).unwrap_or("");
        let end = after.find(';').unwrap_or(0);
        if end > 0 {
            let name = after.get(..end).unwrap_or("");
            let predefined =
                matches!(name, "lt" | "gt" | "amp" | "quot" | "apos") || name.starts_with('#');
            if !predefined
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            {
                return true;
            }
        }
        rest = after;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    #[test]
    fn doctype_flagged_and_text_kept() {
        let limits = Limits::default();
        let mut sink = Sink::new(&limits);
        parse_xml(
            br#"<!DOCTYPE foo [<!ENTITY x SYSTEM "file:///etc/passwd">]><foo a="1">&x;</foo>"#,
            &mut sink,
        );
        assert!(sink.anomalies.iter().any(|a| a.code == "xml_doctype"));
        assert!(sink
            .anomalies
            .iter()
            .any(|a| a.code == "xml_entity_reference"));
        assert!(sink
            .targets
            .iter()
            .any(|t| t.name == "XML:/foo/@a" && t.value == "1"));
    }
}
