//! Header inspection: protocol anomalies plus the header values worth scanning.

use crate::parse::query::truncate_name;
use crate::parse::Sink;
use crate::request::{Request, TargetKind};

/// Standard headers whose values are structured and not application input;
/// scanning them with injection detectors only produces false positives.
const NOT_SCANNED: &[&str] = &[
    "accept",
    "accept-encoding",
    "accept-language",
    "accept-charset",
    "authorization",
    "proxy-authorization",
    "cache-control",
    "connection",
    "content-length",
    "content-type",
    "cookie",
    "dnt",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-unmodified-since",
    "keep-alive",
    "pragma",
    "priority",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade-insecure-requests",
    "x-requested-with",
];

/// Walk the headers: add scan targets and protocol anomalies to `sink`.
pub(crate) fn inspect_headers(req: &Request, sink: &mut Sink<'_>) {
    let limits = sink.limits;
    if req.headers.len() > limits.max_headers {
        sink.anomaly(
            "limit_headers",
            format!("{} header fields", req.headers.len()),
        );
    }
    let mut hosts = 0usize;
    let mut content_lengths: Vec<&str> = Vec::new();
    let mut transfer_encodings: Vec<&str> = Vec::new();
    for (name, value) in req
        .headers
        .iter()
        .take(limits.max_headers.saturating_mul(2))
    {
        let lname = name.to_ascii_lowercase();
        if name.is_empty() || !name.bytes().all(is_token_char) {
            sink.anomaly("invalid_header_name", name);
        }
        if value.len() > limits.max_header_bytes {
            sink.anomaly(
                "limit_header_size",
                format!("{name}: {} bytes", value.len()),
            );
        }
        if value.contains('\r') || value.contains('\n') {
            sink.anomaly("header_crlf", format!("{name}: {value}"));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') && !value.contains(['\r', '\n']) {
            sink.anomaly("header_control_chars", name);
        }
        match lname.as_str() {
            "host" => {
                hosts += 1;
                let host_only = value.rsplit_once(':').map_or(value.as_str(), |(h, p)| {
                    if p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') {
                        h
                    } else {
                        value
                    }
                });
                if host_only.parse::<std::net::IpAddr>().is_ok()
                    || host_only
                        .trim_matches(['[', ']'])
                        .parse::<std::net::Ipv6Addr>()
                        .is_ok()
                {
                    sink.anomaly("host_is_ip", value);
                }
                if value.is_empty() {
                    sink.anomaly("empty_host", "");
                }
            }
            "content-length" => content_lengths.push(value.as_str()),
            "transfer-encoding" => transfer_encodings.push(value.as_str()),
            "user-agent" => {
                if value.trim().is_empty() {
                    sink.anomaly("empty_user_agent", "");
                }
                sink.targets.push(crate::request::Target::new(
                    "REQUEST_HEADERS:User-Agent",
                    TargetKind::UserAgent,
                    value.clone(),
                ));
                continue;
            }
            "referer" => {
                sink.targets.push(crate::request::Target::new(
                    "REQUEST_HEADERS:Referer",
                    TargetKind::Referer,
                    value.clone(),
                ));
                continue;
            }
            "cookie" => {
                parse_cookies(value, sink);
                continue;
            }
            "range" | "request-range" => {
                let ranges = value.matches(',').count() + 1;
                if ranges > 5
                    || !value
                        .trim_start()
                        .to_ascii_lowercase()
                        .starts_with("bytes=")
                {
                    sink.anomaly("range_abuse", value);
                }
            }
            "content-type" => {
                let lv = value.to_ascii_lowercase();
                if let Some(cs) = lv.split("charset=").nth(1) {
                    let cs = cs.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
                    let cs = cs.split(';').next().unwrap_or("");
                    if !matches!(
                        cs,
                        "utf-8"
                            | "utf8"
                            | "iso-8859-1"
                            | "iso-8859-15"
                            | "windows-1252"
                            | "us-ascii"
                    ) {
                        sink.anomaly("charset_not_allowed", value);
                    }
                }
                if lv.matches("charset").count() > 1 {
                    sink.anomaly("charset_not_allowed", value);
                }
            }
            "expect" | "accept" | "accept-encoding" | "accept-language" => {}
            _ => {}
        }
        if NOT_SCANNED.contains(&lname.as_str()) || lname.starts_with("sec-") {
            continue;
        }
        // Custom header names are attacker-chosen too (gadget class names, payloads).
        if !matches!(
            lname.as_str(),
            "origin"
                | "x-forwarded-for"
                | "x-real-ip"
                | "forwarded"
                | "via"
                | "x-forwarded-proto"
                | "x-forwarded-host"
                | "referer"
                | "user-agent"
        ) {
            sink.targets.push(crate::request::Target::new(
                format!("REQUEST_HEADERS_NAMES:{}", truncate_name(name)),
                TargetKind::HeaderName,
                name.clone(),
            ));
        }
        // Upload endpoints (XHR uploaders, WebDAV-ish APIs) take the file
        // name from a header; it gets the same checks as a multipart one.
        let kind = if matches!(
            lname.as_str(),
            "x-filename" | "x_filename" | "x.filename" | "x-file-name" | "x-upload-filename"
        ) {
            TargetKind::FileName
        } else {
            TargetKind::Header
        };
        sink.targets.push(crate::request::Target::new(
            format!("REQUEST_HEADERS:{}", truncate_name(name)),
            kind,
            value.clone(),
        ));
    }
    if hosts == 0 && !req.http_version.eq_ignore_ascii_case("HTTP/1.0") {
        sink.anomaly("missing_host", "no Host header");
    }
    if hosts > 1 {
        sink.anomaly("duplicate_host", format!("{hosts} Host headers"));
    }
    if !content_lengths.is_empty() && !transfer_encodings.is_empty() {
        sink.anomaly("cl_and_te", "both Content-Length and Transfer-Encoding");
    }
    for cl in &content_lengths {
        if cl.is_empty() || !cl.bytes().all(|b| b.is_ascii_digit()) {
            sink.anomaly("invalid_content_length", cl);
        }
    }
    if content_lengths.len() > 1 && content_lengths.windows(2).any(|w| w.first() != w.get(1)) {
        sink.anomaly(
            "invalid_content_length",
            "conflicting Content-Length values",
        );
    }
    for te in &transfer_encodings {
        if !te.trim().eq_ignore_ascii_case("chunked") {
            sink.anomaly("invalid_transfer_encoding", te);
        }
    }
    if transfer_encodings.len() > 1 {
        sink.anomaly("invalid_transfer_encoding", "repeated Transfer-Encoding");
    }
    let method = req.method.to_ascii_uppercase();
    if (method == "GET" || method == "HEAD") && !req.body.is_empty() {
        sink.anomaly(
            "body_on_get",
            format!("{} with {} byte body", req.method, req.body.len()),
        );
    }
    if !req.body.is_empty() && req.header_value("content-type").is_none() {
        sink.anomaly("missing_content_type", "body without Content-Type");
    }
}

/// RFC 9110 token characters (header field names).
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Split a Cookie header into `REQUEST_COOKIES:name` / `REQUEST_COOKIES_NAMES:name` targets.
fn parse_cookies(value: &str, sink: &mut Sink<'_>) {
    for part in value.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (n, v) = part.split_once('=').unwrap_or((part, ""));
        let n = n.trim();
        let tn = truncate_name(n);
        sink.arg(
            format!("REQUEST_COOKIES_NAMES:{tn}"),
            TargetKind::CookieName,
            n.to_string(),
        );
        sink.arg(
            format!("REQUEST_COOKIES:{tn}"),
            TargetKind::CookieValue,
            v.to_string(),
        );
    }
}
