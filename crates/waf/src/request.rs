//! The request model handed to the WAF and the inspection targets derived from it.

use serde::{Deserialize, Serialize};

/// An HTTP request as seen by the gateway, before any interpretation.
///
/// `path` is the request target exactly as on the request line (path plus raw query);
/// headers keep their order and duplicates because both carry signal (smuggling,
/// header-order fingerprints).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Request method as sent (not validated).
    pub method: String,
    /// Request target: path with raw query string.
    pub path: String,
    /// Header fields in wire order, duplicates kept.
    pub headers: Vec<(String, String)>,
    /// Raw body bytes (already de-chunked by the HTTP layer, if it did that).
    pub body: Vec<u8>,
    /// Protocol version from the request line, e.g. `HTTP/1.1`; empty when unknown.
    #[serde(default)]
    pub http_version: String,
}

impl Request {
    /// Convenience constructor for a request without headers or body.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        Request {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
            http_version: "HTTP/1.1".to_string(),
        }
    }

    /// Builder: append a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Builder: set the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// First value of a header, compared case-insensitively.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Where an inspected value came from. Detectors use it to decide what applies
/// (e.g. path traversal matters in paths and file names, SQLi in arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Request method.
    Method,
    /// Whole decoded path (without query).
    Path,
    /// One path segment.
    PathSegment,
    /// Argument name (query, form, multipart field name, JSON key).
    ArgName,
    /// Argument value (query, form, multipart field, JSON string leaf, XML text).
    ArgValue,
    /// Cookie name.
    CookieName,
    /// Cookie value.
    CookieValue,
    /// User-Agent header.
    UserAgent,
    /// Referer header.
    Referer,
    /// Other inspected header value (custom `X-*`, forwarding headers, ...).
    Header,
    /// Header name.
    HeaderName,
    /// Uploaded file name (multipart) .
    FileName,
    /// Uploaded file content (multipart part with a filename).
    FileContent,
    /// XML attribute or text, or any structured body leaf not covered above.
    XmlValue,
    /// Raw body of an unknown content type.
    RawBody,
}

/// One named value to inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Name as reported in matches, e.g. `ARGS:q`, `JSON:messages[0].content`, `REQUEST_HEADERS:User-Agent`.
    pub name: String,
    /// Origin of the value.
    pub kind: TargetKind,
    /// Value after the transport decoding its container requires (one URL-decoding
    /// round for query/form, JSON string unescaping), before normalisation.
    pub value: String,
}

impl Target {
    /// Build a target.
    pub fn new(name: impl Into<String>, kind: TargetKind, value: impl Into<String>) -> Self {
        Target {
            name: name.into(),
            kind,
            value: value.into(),
        }
    }
}
