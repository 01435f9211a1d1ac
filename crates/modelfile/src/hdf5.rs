//! Keras HDF5 models. There is no practical pure-Rust HDF5 reader, but the Keras model
//! config is stored as a JSON string attribute (`model_config`), which HDF5 keeps as
//! contiguous bytes. So the file is scanned for JSON objects that start like a Keras config
//! and each is extracted with a bounded, string-aware brace matcher and parsed.

use crate::util;
use crate::{keras, Acc, Format, Limits};

const MAX_JSON: usize = 64 << 20;
const STARTS: &[&[u8]] = &[b"{\"class_name\"", b"{\"module\"", b"{\"keras_version\""];

/// End (exclusive) of the balanced JSON object starting at `start`, if it closes in bounds.
pub(crate) fn balanced_object_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let end_cap = start.saturating_add(MAX_JSON).min(bytes.len());
    for (i, &b) in bytes.get(start..end_cap)?.iter().enumerate() {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(start + i + 1);
                }
            }
            0 => return None,
            _ => {}
        }
    }
    None
}

/// Parses every Keras-looking JSON object in `bytes`; returns how many were parsed.
pub(crate) fn scan_json_configs(bytes: &[u8], acc: &mut Acc, label: &str) -> usize {
    let mut found = 0;
    let mut starts: Vec<usize> = Vec::new();
    for pat in STARTS {
        let mut from = 0;
        while let Some(at) = util::find(bytes, pat, from) {
            starts.push(at);
            from = at + 1;
            if starts.len() > 10_000 {
                break;
            }
        }
    }
    starts.sort_unstable();
    let mut covered = 0usize;
    for s in starts {
        if s < covered {
            continue;
        }
        let Some(end) = balanced_object_end(bytes, s) else {
            continue;
        };
        let Some(slice) = bytes.get(s..end) else {
            continue;
        };
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(slice) {
            if v.get("class_name").is_some() || v.get("config").is_some() {
                keras::analyze_config(&v, acc, &format!("{label} @ offset {s}"));
                found += 1;
            }
            covered = end;
        }
    }
    found
}

pub(crate) fn analyze(bytes: &[u8], _limits: &Limits, acc: &mut Acc) -> Format {
    let found = scan_json_configs(bytes, acc, "model_config");
    if found > 0 || util::find(bytes, b"model_config", 0).is_some() {
        if found == 0 {
            acc.error("HDF5 has a model_config attribute but no readable JSON config");
        }
        Format::KerasH5
    } else {
        Format::Hdf5
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze_bytes, Verdict};

    #[test]
    fn brace_matcher_respects_strings() {
        let b = br#"xx{"a":"}{","b":[1,{"c":2}]}yy"#;
        assert_eq!(balanced_object_end(b, 2), Some(b.len() - 2));
        assert_eq!(balanced_object_end(b"{\"a\":", 0), None);
    }

    #[test]
    fn h5_lambda_found_in_bytes() {
        let mut b = b"\x89HDF\r\n\x1a\n\x00\x00model_config\x00".to_vec();
        b.extend_from_slice(br#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "l", "function": {"class_name": "__lambda__", "config": {"code": "YwAA"}}}}]}}"#);
        b.extend_from_slice(b"\x00\x00");
        let r = analyze_bytes("m.h5", &b, &Limits::default());
        assert_eq!(r.format, Format::KerasH5);
        assert_eq!(r.verdict, Verdict::Malicious);
    }
}
