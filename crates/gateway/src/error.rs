//! Errors sent to clients, in the shape their SDK expects: OpenAI's
//! `{"error": {...}}` on OpenAI routes, Anthropic's `{"type": "error", ...}`
//! on `/v1/messages`. Each carries a stable `code` that events record, and
//! says whose fault it was (client, upstream or gateway) via the status.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use palisade_core::Finding;
use serde_json::{json, Value};

/// Which error body shape a route uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// OpenAI-compatible routes and Palisade's own API.
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (also the event's `error`).
    pub code: &'static str,
    /// OpenAI `type` field.
    pub kind: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// Findings behind a policy block.
    pub findings: Vec<Finding>,
    /// Response shape.
    pub flavor: Flavor,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        let kind = match status.as_u16() {
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            400..=499 => "invalid_request_error",
            _ => "api_error",
        };
        Self {
            status,
            code,
            kind,
            message: message.into(),
            findings: Vec::new(),
            flavor: Flavor::Openai,
        }
    }

    /// The guard blocked the request.
    pub fn policy(message: impl Into<String>, findings: Vec<Finding>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "content_filter",
            kind: "palisade_policy_violation",
            message: message.into(),
            findings,
            flavor: Flavor::Openai,
        }
    }

    /// In the given shape.
    pub fn flavor(mut self, f: Flavor) -> Self {
        self.flavor = f;
        self
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        match self.flavor {
            Flavor::Openai => {
                let mut err = json!({
                    "message": self.message,
                    "type": self.kind,
                    "param": null,
                    "code": self.code,
                });
                if !self.findings.is_empty() {
                    err["findings"] = json!(self.findings);
                }
                json!({ "error": err })
            }
            Flavor::Anthropic => {
                let mut err = json!({
                    "type": self.kind,
                    "message": self.message,
                    "code": self.code,
                });
                if !self.findings.is_empty() {
                    err["findings"] = json!(self.findings);
                }
                json!({ "type": "error", "error": err })
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut r = (self.status, body).into_response();
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(v) = HeaderValue::from_str(self.code) {
            r.headers_mut().insert("x-palisade-error", v);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_error_has_the_openai_shape() {
        let e = ApiError::policy("blocked", vec![]);
        let b = e.body();
        assert_eq!(b["error"]["type"], "palisade_policy_violation");
        assert_eq!(b["error"]["code"], "content_filter");
        let a = e.flavor(Flavor::Anthropic).body();
        assert_eq!(a["type"], "error");
        assert_eq!(a["error"]["type"], "palisade_policy_violation");
    }
}
