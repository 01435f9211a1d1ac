//! `multipart/form-data` parsing.
//!
//! Hand-written rather than using `multer`: the body is already in memory, `multer`
//! is a streaming async parser that stops at the first error, whereas a WAF must keep
//! going on malformed input and report *which* irregularity it saw (they are the
//! evasion signals: odd boundaries, LF-only lines, duplicate parameters, unquoted
//! names, missing final delimiter). Work is bounded by `max_parts` and the body limit.

use crate::normalize::{decode_bytes, NormFlags};
use crate::parse::query::truncate_name;
use crate::parse::Sink;
use crate::request::TargetKind;

/// Extract the `boundary` parameter of a Content-Type value.
pub fn boundary_of(content_type: &str) -> Option<String> {
    let lower = content_type.to_ascii_lowercase();
    let idx = lower.find("boundary=")?;
    let raw = content_type.get(idx + "boundary=".len()..)?;
    let b = if let Some(q) = raw.strip_prefix('"') {
        q.split('"').next().unwrap_or("")
    } else {
        raw.split(';').next().unwrap_or("").trim()
    };
    Some(b.to_string())
}

/// RFC 2046 `bchars`, 1..=70 long, not ending in a space.
fn boundary_valid(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 70
        && !b.ends_with(' ')
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c))
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= hay.len() {
        return None;
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Parse a multipart body into field / file targets, recording anomalies.
pub(crate) fn parse_multipart(content_type: &str, body: &[u8], sink: &mut Sink<'_>) {
    let boundary = match boundary_of(content_type) {
        Some(b) => b,
        None => {
            sink.anomaly("multipart_invalid_boundary", "missing boundary parameter");
            return raw_fallback(body, sink);
        }
    };
    if !boundary_valid(&boundary) {
        sink.anomaly("multipart_invalid_boundary", &boundary);
        if boundary.is_empty() {
            return raw_fallback(body, sink);
        }
    }
    if content_type
        .to_ascii_lowercase()
        .matches("boundary=")
        .count()
        > 1
    {
        sink.anomaly("multipart_invalid_boundary", "repeated boundary parameter");
    }
    let delim: Vec<u8> = [b"--".as_slice(), boundary.as_bytes()].concat();
    let mut pos = match find(body, &delim, 0) {
        Some(p) => p,
        None => {
            sink.anomaly("multipart_no_boundary_in_body", &boundary);
            return raw_fallback(body, sink);
        }
    };
    if pos > 0 {
        sink.anomaly("multipart_preamble", "data before first boundary");
    }
    let mut parts = 0usize;
    let mut closed = false;
    loop {
        let after = pos + delim.len();
        let rest = body.get(after..).unwrap_or(&[]);
        if rest.starts_with(b"--") {
            closed = true;
            let tail = body.get(after + 2..).unwrap_or(&[]);
            if tail.iter().any(|b| !b.is_ascii_whitespace()) {
                sink.anomaly("multipart_epilogue", "data after final boundary");
            }
            break;
        }
        // Skip transport padding and the line break after the delimiter.
        let mut start = after;
        while matches!(body.get(start), Some(b' ') | Some(b'\t')) {
            start += 1;
        }
        match (body.get(start), body.get(start + 1)) {
            (Some(b'\r'), Some(b'\n')) => start += 2,
            (Some(b'\n'), _) => {
                sink.anomaly("multipart_lf_line_endings", "LF without CR");
                start += 1;
            }
            (None, _) => break,
            _ => sink.anomaly("multipart_malformed", "garbage after boundary"),
        }
        parts += 1;
        if parts > sink.limits.max_parts {
            sink.anomaly(
                "limit_parts",
                format!("more than {} parts", sink.limits.max_parts),
            );
            break;
        }
        let next = find(body, &delim, start);
        let end = next.unwrap_or(body.len());
        let part = body.get(start..end).unwrap_or(&[]);
        // Strip the line break that belongs to the next delimiter.
        let part = part
            .strip_suffix(b"\r\n")
            .or_else(|| part.strip_suffix(b"\n"))
            .unwrap_or(part);
        parse_part(part, parts, sink);
        match next {
            Some(n) => pos = n,
            None => break,
        }
    }
    if !closed {
        sink.anomaly("multipart_unclosed", "no final boundary");
    }
}

fn raw_fallback(body: &[u8], sink: &mut Sink<'_>) {
    let mut f = NormFlags::default();
    sink.arg(
        "REQUEST_BODY".to_string(),
        TargetKind::RawBody,
        decode_bytes(body, &mut f),
    );
}

fn parse_part(part: &[u8], index: usize, sink: &mut Sink<'_>) {
    let (head, content, crlf) = match find(part, b"\r\n\r\n", 0) {
        Some(p) => (
            part.get(..p).unwrap_or(&[]),
            part.get(p + 4..).unwrap_or(&[]),
            true,
        ),
        None => match find(part, b"\n\n", 0) {
            Some(p) => (
                part.get(..p).unwrap_or(&[]),
                part.get(p + 2..).unwrap_or(&[]),
                false,
            ),
            None => {
                sink.anomaly("multipart_malformed", "part without header/body separator");
                (part, &[][..], true)
            }
        },
    };
    if !crlf {
        sink.anomaly("multipart_lf_line_endings", "LF-only part headers");
    }
    let mut f = NormFlags::default();
    let head_text = decode_bytes(head, &mut f);
    let mut name: Option<String> = None;
    let mut filename: Option<String> = None;
    let mut has_disposition = false;
    for line in head_text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let Some((hn, hv)) = line.split_once(':') else {
            sink.anomaly(
                "multipart_malformed",
                format!("bad part header line: {line}"),
            );
            continue;
        };
        let hn_l = hn.trim().to_ascii_lowercase();
        if !hn.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            sink.anomaly("multipart_malformed", format!("bad part header name: {hn}"));
        }
        match hn_l.as_str() {
            "content-disposition" => {
                has_disposition = true;
                let (n, fnm) = disposition_params(hv, sink);
                name = n;
                filename = fnm;
            }
            "content-type" => {
                let lv = hv.to_ascii_lowercase();
                if let Some(cs) = lv.split("charset=").nth(1) {
                    let cs = cs
                        .trim()
                        .trim_matches('"')
                        .split(';')
                        .next()
                        .unwrap_or("")
                        .trim();
                    if !matches!(
                        cs,
                        "utf-8" | "utf8" | "iso-8859-1" | "us-ascii" | "windows-1252"
                    ) {
                        sink.anomaly("multipart_charset", hv);
                    }
                }
                if lv.contains("multipart/") || lv.contains("boundary=") {
                    sink.anomaly("multipart_nested", hv);
                }
            }
            "content-transfer-encoding" => sink.anomaly("multipart_transfer_encoding", hv),
            _ => {}
        }
        // Header values inside parts can carry payloads too (e.g. injected names).
        if hv.len() > 2 && hn_l != "content-disposition" && hn_l != "content-type" {
            sink.arg(
                format!("MULTIPART_PART_HEADERS:{}", truncate_name(hn.trim())),
                TargetKind::Header,
                hv.trim().to_string(),
            );
        }
    }
    if !has_disposition {
        sink.anomaly("multipart_no_disposition", format!("part {index}"));
    }
    let field = name.clone().unwrap_or_else(|| format!("part{index}"));
    let tn = truncate_name(&field);
    if let Some(n) = name {
        sink.arg(format!("MULTIPART_NAMES:{tn}"), TargetKind::ArgName, n);
    }
    let mut f = NormFlags::default();
    let text = decode_bytes(content, &mut f);
    match filename {
        Some(fname) => {
            sink.arg(format!("FILES:{tn}"), TargetKind::FileName, fname);
            sink.arg(format!("FILES_CONTENT:{tn}"), TargetKind::FileContent, text);
        }
        None => sink.arg(format!("ARGS:{tn}"), TargetKind::ArgValue, text),
    }
}

/// Parse `form-data; name="x"; filename="y"` (RFC 7578), flagging the ambiguities
/// parsers disagree on: duplicate parameters, unquoted values, `filename*`.
fn disposition_params(v: &str, sink: &mut Sink<'_>) -> (Option<String>, Option<String>) {
    let mut name = None;
    let mut filename = None;
    let mut parts = split_params(v).into_iter();
    let kind = parts.next().unwrap_or_default();
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        sink.anomaly("multipart_malformed", format!("disposition type {kind}"));
    }
    for p in parts {
        let Some((k, val)) = p.split_once('=') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        let val = val.trim();
        let quoted = val.len() >= 2 && val.starts_with('"') && val.ends_with('"');
        let unq = if quoted {
            val.get(1..val.len() - 1)
                .unwrap_or("")
                .replace("\\\"", "\"")
        } else {
            val.to_string()
        };
        if !quoted && !unq.is_empty() {
            sink.anomaly("multipart_unquoted_param", &p);
        }
        match k.as_str() {
            "name" => {
                if name.is_some() {
                    sink.anomaly("multipart_duplicate_param", "name");
                }
                name = Some(unq);
            }
            "filename" => {
                if filename.is_some() {
                    sink.anomaly("multipart_duplicate_param", "filename");
                }
                filename = Some(unq);
            }
            "filename*" => {
                sink.anomaly("multipart_filename_star", &p);
                filename = Some(unq);
            }
            _ => {}
        }
    }
    (name, filename)
}

/// Split on `;` outside double quotes.
fn split_params(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_q = false;
    let mut prev = '\0';
    for c in v.chars() {
        if c == '"' && prev != '\\' {
            in_q = !in_q;
        }
        if c == ';' && !in_q {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
        prev = c;
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    #[test]
    fn parses_fields_and_files() {
        let limits = Limits::default();
        let mut sink = Sink::new(&limits);
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.php\"\r\nContent-Type: text/plain\r\n\r\n<?php ?>\r\n--XyZ--\r\n";
        parse_multipart("multipart/form-data; boundary=XyZ", body, &mut sink);
        let got: Vec<_> = sink
            .targets
            .iter()
            .map(|t| (t.name.as_str(), t.value.as_str()))
            .collect();
        assert!(got.contains(&("ARGS:a", "hello")));
        assert!(got.contains(&("FILES:f", "x.php")));
        assert!(got.contains(&("FILES_CONTENT:f", "<?php ?>")));
        assert!(sink.anomalies.is_empty(), "{:?}", sink.anomalies);
    }

    #[test]
    fn bad_boundary_is_anomaly() {
        let limits = Limits::default();
        let mut sink = Sink::new(&limits);
        parse_multipart("multipart/form-data; boundary=", b"junk", &mut sink);
        assert!(sink
            .anomalies
            .iter()
            .any(|a| a.code == "multipart_invalid_boundary"));
    }
}
