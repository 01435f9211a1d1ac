//! `application/x-www-form-urlencoded` parsing (query strings and form bodies).

use crate::normalize::NormFlags;
use crate::parse::{decode_component, Sink};
use crate::request::TargetKind;

/// Parse `a=1&b=2&a=3` into `PREFIX:name` values and `PREFIX_NAMES:name` names.
/// Repeated keys are all kept (HTTP parameter pollution hides payloads in the second copy).
pub(crate) fn parse_urlencoded(input: &str, prefix: &str, sink: &mut Sink<'_>) {
    let mut invalid = false;
    for pair in input.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (rn, rv) = match pair.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (pair, None),
        };
        let mut flags = NormFlags::default();
        let name = decode_component(rn, true, &mut flags);
        let value = rv.map(|v| decode_component(v, true, &mut flags));
        invalid |= flags.invalid_percent;
        if flags.invalid_utf8 {
            sink.anomaly("invalid_utf8_args", &name);
        }
        let tname = truncate_name(&name);
        sink.arg(
            format!("{prefix}_NAMES:{tname}"),
            TargetKind::ArgName,
            name.clone(),
        );
        match value {
            Some(v) => sink.arg(format!("{prefix}:{tname}"), TargetKind::ArgValue, v),
            // A bare token (`?<payload>`) is still a value an application may read.
            None => sink.arg(format!("{prefix}:{tname}"), TargetKind::ArgValue, name),
        }
    }
    if invalid {
        sink.anomaly("invalid_percent_args", input);
    }
}

/// Target names are echoed in verdicts and logs; keep them short and printable.
pub(crate) fn truncate_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if name.chars().count() > 64 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    #[test]
    fn repeated_keys_kept() {
        let limits = Limits::default();
        let mut sink = Sink::new(&limits);
        parse_urlencoded("a=1&a=2+3&b=%41&flag", "ARGS", &mut sink);
        let vals: Vec<_> = sink
            .targets
            .iter()
            .filter(|t| t.kind == TargetKind::ArgValue)
            .map(|t| (t.name.as_str(), t.value.as_str()))
            .collect();
        assert_eq!(
            vals,
            vec![
                ("ARGS:a", "1"),
                ("ARGS:a", "2 3"),
                ("ARGS:b", "A"),
                ("ARGS:flag", "flag")
            ]
        );
    }
}
