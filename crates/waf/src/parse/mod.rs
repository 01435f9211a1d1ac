//! Request parsing: turns a [`Request`] into named inspection [`Target`]s plus
//! protocol [`Anomaly`] findings.
//!
//! Every parser here is bounded (sizes, counts, depth) and total: malformed input
//! produces an anomaly and, where useful, a raw fallback target, never a panic or
//! an error that would let a request skip inspection.

pub mod headers;
pub mod json;
pub mod multipart;
pub mod query;
pub mod xml;

use serde::{Deserialize, Serialize};

use crate::config::Limits;
use crate::normalize::{decode_bytes, percent_decode_once, NormFlags};
use crate::request::{Request, Target, TargetKind};

/// A protocol or parsing irregularity. Scored by the engine via the protocol rule table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    /// Stable code, e.g. `multipart_invalid_boundary`, `limit_args`.
    pub code: String,
    /// Short human-readable detail (escaped, bounded).
    pub detail: String,
}

impl Anomaly {
    /// Build an anomaly; the detail is escaped and truncated.
    pub fn new(code: &str, detail: impl AsRef<str>) -> Self {
        Anomaly {
            code: code.to_string(),
            detail: crate::evidence(detail.as_ref()),
        }
    }
}

/// Body encodings the parser understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body.
    None,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`.
    Multipart,
    /// JSON.
    Json,
    /// XML / SOAP.
    Xml,
    /// Anything else: inspected as one raw value.
    Raw,
}

/// Output of [`parse_request`].
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Values to inspect.
    pub targets: Vec<Target>,
    /// Irregularities found while parsing.
    pub anomalies: Vec<Anomaly>,
    /// Path without the query, percent-decoded once.
    pub decoded_path: String,
    /// How the body was interpreted.
    pub body_kind: BodyKind,
}

/// Collects targets while enforcing the argument-count limit.
pub(crate) struct Sink<'a> {
    pub targets: Vec<Target>,
    pub anomalies: Vec<Anomaly>,
    pub limits: &'a Limits,
    args: usize,
    limit_hit: bool,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(limits: &'a Limits) -> Self {
        Sink {
            targets: Vec::new(),
            anomalies: Vec::new(),
            limits,
            args: 0,
            limit_hit: false,
        }
    }

    /// Add an argument-like target; past the limit, record one anomaly and drop the rest.
    pub(crate) fn arg(&mut self, name: String, kind: TargetKind, value: String) {
        if self.args >= self.limits.max_args {
            if !self.limit_hit {
                self.limit_hit = true;
                self.anomalies.push(Anomaly::new(
                    "limit_args",
                    format!("more than {} arguments", self.limits.max_args),
                ));
            }
            return;
        }
        self.args += 1;
        let value = clip(value, self.limits.max_value_bytes, &mut self.anomalies);
        self.targets.push(Target::new(name, kind, value));
    }

    /// An empty sink that continues this one's argument count, for input
    /// that may turn out invalid half-way (see [`Sink::join`]).
    pub(crate) fn fork(&self) -> Sink<'a> {
        Sink {
            targets: Vec::new(),
            anomalies: Vec::new(),
            limits: self.limits,
            args: self.args,
            limit_hit: self.limit_hit,
        }
    }

    /// Takes in what a [`Sink::fork`] collected, as if it had been added
    /// here (an anomaly this sink already has is not repeated).
    pub(crate) fn join(&mut self, other: Sink<'a>) {
        self.targets.extend(other.targets);
        for a in other.anomalies {
            if !self.anomalies.iter().any(|b| b.code == a.code) {
                self.anomalies.push(a);
            }
        }
        self.args = other.args;
        self.limit_hit = other.limit_hit;
    }

    pub(crate) fn anomaly(&mut self, code: &str, detail: impl AsRef<str>) {
        // One anomaly per code is enough for scoring and keeps verdicts small.
        if self.anomalies.iter().any(|a| a.code == code) {
            return;
        }
        self.anomalies.push(Anomaly::new(code, detail));
    }
}

/// Keep head and tail of an over-long value: payloads are commonly padded in front
/// (size-limit evasion) or trail after junk, and both ends are where they land.
pub(crate) fn clip(value: String, max: usize, anomalies: &mut Vec<Anomaly>) -> String {
    if value.len() <= max {
        return value;
    }
    if !anomalies.iter().any(|a| a.code == "limit_value") {
        anomalies.push(Anomaly::new(
            "limit_value",
            format!("value of {} bytes", value.len()),
        ));
    }
    let half = max / 2;
    let mut head_end = half.min(value.len());
    while head_end > 0 && !value.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = value.len().saturating_sub(half);
    while tail_start < value.len() && !value.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    let mut out = String::with_capacity(max + 1);
    out.push_str(value.get(..head_end).unwrap_or(""));
    out.push('\n');
    out.push_str(value.get(tail_start..).unwrap_or(""));
    out
}

/// Percent-decode one round (form semantics optional) to text, recording flags.
pub(crate) fn decode_component(raw: &str, plus_as_space: bool, flags: &mut NormFlags) -> String {
    if !(raw.contains('%') || (plus_as_space && raw.contains('+'))) {
        return raw.to_string();
    }
    let bytes = percent_decode_once(raw.as_bytes(), plus_as_space, flags);
    decode_bytes(&bytes, flags)
}

/// Parse a request into targets and anomalies.
pub fn parse_request(req: &Request, limits: &Limits) -> Parsed {
    let mut sink = Sink::new(limits);

    if req.path.len() > limits.max_uri_bytes {
        sink.anomaly(
            "limit_uri",
            format!("request target of {} bytes", req.path.len()),
        );
    }
    let (raw_path, raw_query) = match req.path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (req.path.as_str(), None),
    };
    let mut flags = NormFlags::default();
    let decoded_path = decode_component(raw_path, false, &mut flags);
    if flags.invalid_percent {
        sink.anomaly("invalid_percent_path", raw_path);
    }
    if decoded_path.contains('\0') {
        sink.anomaly("null_byte", "NUL in path");
    }
    sink.targets.push(Target::new(
        "REQUEST_FILENAME",
        TargetKind::Path,
        clip(
            raw_path.to_string(),
            limits.max_value_bytes,
            &mut sink.anomalies,
        ),
    ));
    // Path segments matter on their own for base64/encoded payloads placed in the path.
    for (i, seg) in raw_path
        .split('/')
        .filter(|s| s.len() >= 8)
        .take(32)
        .enumerate()
    {
        sink.targets.push(Target::new(
            format!("PATH_SEGMENT:{i}"),
            TargetKind::PathSegment,
            seg.to_string(),
        ));
    }
    if let Some(q) = raw_query {
        query::parse_urlencoded(q, "ARGS", &mut sink);
    }

    headers::inspect_headers(req, &mut sink);

    let body_kind = classify_body(req);
    let body: &[u8] = if req.body.len() > limits.max_body_bytes {
        sink.anomaly("limit_body", format!("body of {} bytes", req.body.len()));
        req.body.get(..limits.max_body_bytes).unwrap_or(&req.body)
    } else {
        &req.body
    };
    match body_kind {
        BodyKind::None => {}
        BodyKind::Form => {
            let mut f = NormFlags::default();
            let text = decode_bytes(body, &mut f);
            if f.invalid_utf8 {
                sink.anomaly("invalid_utf8_body", "form body is not UTF-8");
            }
            query::parse_urlencoded(&text, "ARGS", &mut sink);
        }
        BodyKind::Multipart => {
            let ct = req.header_value("content-type").unwrap_or("");
            multipart::parse_multipart(ct, body, &mut sink);
        }
        BodyKind::Json => json::parse_json(body, &mut sink),
        BodyKind::Xml => xml::parse_xml(body, &mut sink),
        BodyKind::Raw => {
            let mut f = NormFlags::default();
            let text = decode_bytes(body, &mut f);
            sink.arg("REQUEST_BODY".to_string(), TargetKind::RawBody, text);
        }
    }

    Parsed {
        targets: sink.targets,
        anomalies: sink.anomalies,
        decoded_path,
        body_kind,
    }
}

/// Decide how to read the body from Content-Type (and a light sniff when it is absent).
pub fn classify_body(req: &Request) -> BodyKind {
    if req.body.is_empty() {
        return BodyKind::None;
    }
    let ct = req
        .header_value("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.contains("multipart/") {
        BodyKind::Multipart
    } else if ct.contains("x-www-form-urlencoded") {
        BodyKind::Form
    } else if ct.contains("json") {
        BodyKind::Json
    } else if ct.contains("xml") || ct.contains("soap") {
        BodyKind::Xml
    } else if ct.is_empty() {
        let first = req.body.iter().find(|b| !b.is_ascii_whitespace()).copied();
        match first {
            Some(b'{') | Some(b'[') => BodyKind::Json,
            Some(b'<') => BodyKind::Xml,
            _ => BodyKind::Form,
        }
    } else {
        BodyKind::Raw
    }
}
