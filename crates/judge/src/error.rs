use crate::config::Profile;
use serde::Serialize;

/// Everything that can go wrong between building a request and reading a
/// verdict out of the model's answer.
///
/// Variants carry strings rather than the underlying library errors so the
/// error can be cloned into a [`crate::JudgeOutcome`], compared in tests and
/// serialised into event logs. None of them ever contains the API key: the
/// key only travels in a header, and `base_url` may not carry credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JudgeError {
    /// The configuration cannot work; raised by [`crate::Judge::new`] only.
    #[error("invalid judge configuration: `{field}` {reason}")]
    Config {
        /// The offending field of [`crate::JudgeConfig`].
        field: &'static str,
        /// What is wrong with it and how to fix it.
        reason: String,
    },
    /// No complete answer arrived within `timeout_ms`.
    #[error("judge at {url} timed out after {timeout_ms} ms")]
    Timeout {
        /// The endpoint that was called.
        url: String,
        /// The configured budget.
        timeout_ms: u64,
    },
    /// The TCP or TLS connection could not be set up.
    #[error("cannot connect to judge at {url}: {reason}")]
    Connect {
        /// The endpoint that was called.
        url: String,
        /// The underlying cause, as reported by the HTTP stack.
        reason: String,
    },
    /// The server answered with a non-2xx status.
    #[error("judge at {url} answered HTTP {status}: {body_excerpt}")]
    HttpStatus {
        /// The endpoint that was called.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body, which usually says why.
        body_excerpt: String,
    },
    /// The request failed for another transport reason (reset connection,
    /// protocol error, oversized body).
    #[error("request to judge at {url} failed: {reason}")]
    Request {
        /// The endpoint that was called.
        url: String,
        /// The underlying cause.
        reason: String,
    },
    /// The HTTP body is not an OpenAI-style chat completion (not JSON, no
    /// choices, no message content).
    #[error("judge at {url} sent a malformed chat completion: {reason}")]
    BadResponse {
        /// The endpoint that was called.
        url: String,
        /// What was missing or wrong.
        reason: String,
    },
    /// The model answered, but not in the format its profile expects.
    #[error("cannot parse {profile} judge answer: {answer_excerpt:?}")]
    Parse {
        /// The profile whose grammar the answer failed.
        profile: Profile,
        /// The start of the answer, for the operator to see what came back.
        answer_excerpt: String,
    },
}

impl JudgeError {
    /// A stable snake_case name of the variant, for metrics, log fields and
    /// `Verdict::degraded` entries that must not vary with the message text.
    pub fn kind(&self) -> &'static str {
        match self {
            JudgeError::Config { .. } => "config",
            JudgeError::Timeout { .. } => "timeout",
            JudgeError::Connect { .. } => "connect",
            JudgeError::HttpStatus { .. } => "http_status",
            JudgeError::Request { .. } => "request",
            JudgeError::BadResponse { .. } => "bad_response",
            JudgeError::Parse { .. } => "parse",
        }
    }

    pub(crate) fn parse(profile: Profile, answer: &str) -> Self {
        JudgeError::Parse {
            profile,
            answer_excerpt: excerpt(answer, 200),
        }
    }
}

/// The first `max_bytes` of `text` (at a character boundary), with an
/// ellipsis when something was cut, so error messages and logs stay bounded
/// however large a misbehaving server's answer is.
pub(crate) fn excerpt(text: &str, max_bytes: usize) -> String {
    let (kept, cut) = palisade_core::truncate_at_char_boundary(text, max_bytes);
    if cut {
        format!("{kept}…")
    } else {
        kept.to_string()
    }
}
