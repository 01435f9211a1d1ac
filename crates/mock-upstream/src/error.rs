//! Request errors and the two providers' error JSON shapes.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a request could not be served; always answered with a 400 in the
/// provider's error shape.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    /// The body is not JSON at all.
    #[error("We could not parse the JSON body of your request: {0}")]
    InvalidJson(#[from] serde_json::Error),
    /// The body is JSON but not an object.
    #[error("The request body must be a JSON object")]
    NotObject,
    /// A required field is missing or has the wrong type.
    #[error("{0}")]
    Invalid(&'static str),
    /// A `[[mock:…]]` directive is malformed or unknown.
    #[error("invalid mock directive {0}")]
    BadDirective(String),
}

/// Which provider's conventions (auth header, error shape) a route follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    OpenAi,
    Anthropic,
}

/// A JSON response from an already-serialised body.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// An error in `provider`'s documented shape, with the `type`/`code` those
/// APIs use for `status`, so SDKs raise the matching exception class.
pub(crate) fn error_response(provider: Provider, status: StatusCode, message: &str) -> Response {
    let body = match provider {
        Provider::OpenAi => {
            let (kind, code) = match status.as_u16() {
                400 => ("invalid_request_error", "invalid_request"),
                401 => ("invalid_request_error", "invalid_api_key"),
                403 => ("permission_denied", "permission_denied"),
                404 => ("invalid_request_error", "not_found"),
                429 => ("rate_limit_exceeded", "rate_limit_exceeded"),
                500..=599 => ("server_error", "server_error"),
                _ => ("invalid_request_error", "mock_status"),
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        }
        Provider::Anthropic => {
            let kind = match status.as_u16() {
                400 => "invalid_request_error",
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                413 => "request_too_large",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                500..=599 => "api_error",
                _ => "invalid_request_error",
            };
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
    };
    json_response(status, body.to_string().into_bytes())
}
