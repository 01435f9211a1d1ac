//! Deterministic stand-in for an LLM provider, for Palisade's integration
//! tests and benchmarks.
//!
//! Design notes:
//! - It speaks the documented wire shapes of OpenAI (chat completions, legacy
//!   completions, embeddings, Responses API, models) and Anthropic (Messages),
//!   streaming and not, closely enough that the official Python SDKs parse it
//!   (`tests/sdk_smoke.py` proves that against pinned SDK versions).
//! - Behaviour is driven by `[[mock:…]]` directives inside the last user
//!   message, so a test steers the upstream through the gateway without any
//!   side channel: `reply=NAME` (see [`canned`]), `status=NNN`, `sleep=MS`,
//!   `cut`, `garbage`, `stall`. Unknown or malformed directives are a 400, so
//!   a typo cannot pass silently as a benign reply.
//! - Benchmarks compare gateway-vs-direct calls to this server, so the
//!   per-request cost is kept small and constant: no logging, a counter and a
//!   single-slot `Mutex` for `/mock/last` (the recorded request keeps the
//!   already-received `HeaderMap` and `Bytes`, and is only rendered to JSON
//!   when asked for), stream frames serialised before playback, TCP_NODELAY so
//!   small SSE frames are not held back by Nagle.
//! - Failure modes (`cut`, `stall`, `garbage`, `status`, `sleep`) are real
//!   transport behaviour — an aborted body really drops the connection — since
//!   the gateway's handling of exactly those is what the tests are about.

mod anthropic;
mod body;
mod canned;
mod directive;
mod error;
mod openai;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Value};

pub use canned::canned;

use directive::Plan;
use error::{error_response, json_response, Provider, RequestError};

/// How the mock behaves for every request (directives add to this per request).
#[derive(Clone, Debug, Default)]
pub struct MockConfig {
    /// Wait before sending the response head (simulates model latency).
    pub delay: Duration,
    /// Wait between stream chunks.
    pub chunk_delay: Duration,
    /// When set, OpenAI routes require `Authorization: Bearer <key>` and the
    /// Anthropic route requires `x-api-key: <key>` (or `Authorization: Bearer
    /// <key>`, which is what the anthropic Python SDK 2.x sends); otherwise
    /// they answer 401 in that provider's error JSON shape.
    pub api_key: Option<String>,
}

/// The most recent `/v1` request, kept as received; rendered only on demand.
struct Recorded {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

/// State shared by all handlers.
pub(crate) struct Shared {
    cfg: MockConfig,
    /// `Bearer <key>`, built once rather than per request.
    bearer: Option<String>,
    counter: AtomicU64,
    last: Mutex<Option<Recorded>>,
}

impl Shared {
    /// Next number for response ids (`chatcmpl-mock-N`, `msg_mock_N`, …).
    pub(crate) fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn chunk_delay(&self) -> Duration {
        self.cfg.chunk_delay
    }

    /// Records the request, then checks its credentials; `Some` is the 401.
    ///
    /// Recording comes first so tests can inspect what a rejected request
    /// carried (e.g. whether the gateway swapped in the upstream key).
    fn admit(
        &self,
        provider: Provider,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: &Bytes,
    ) -> Option<Response> {
        let authorized = match (&self.cfg.api_key, provider) {
            (None, _) => true,
            (Some(_), Provider::OpenAi) => {
                headers.get(header::AUTHORIZATION).map(|v| v.as_bytes())
                    == self.bearer.as_deref().map(str::as_bytes)
            }
            // Anthropic documents `x-api-key`, but its Python SDK (2.x)
            // sends the key as `Authorization: Bearer`, so both are accepted.
            (Some(key), Provider::Anthropic) => {
                headers.get("x-api-key").map(|v| v.as_bytes()) == Some(key.as_bytes())
                    || headers.get(header::AUTHORIZATION).map(|v| v.as_bytes())
                        == self.bearer.as_deref().map(str::as_bytes)
            }
        };
        let recorded = Recorded {
            method,
            uri,
            headers,
            body: body.clone(),
        };
        let previous = {
            let mut slot = self.last.lock().unwrap_or_else(|p| p.into_inner());
            slot.replace(recorded)
        };
        // Dropped outside the lock so a large previous body never extends it.
        drop(previous);
        if authorized {
            return None;
        }
        let message = match provider {
            Provider::OpenAi => "Incorrect API key provided.",
            Provider::Anthropic => "invalid x-api-key",
        };
        Some(error_response(provider, StatusCode::UNAUTHORIZED, message))
    }

    /// The part every model route shares once the plan is known: latency,
    /// then the `status` and `garbage` directives. `Some` ends the request.
    pub(crate) async fn prelude(&self, provider: Provider, plan: &Plan) -> Option<Response> {
        let wait = self.cfg.delay + plan.sleep;
        if !wait.is_zero() {
            precise_sleep(wait).await;
        }
        if let Some(status) = plan.status {
            let message = format!("mock upstream: status {} requested", status.as_u16());
            return Some(error_response(provider, status, &message));
        }
        if plan.garbage {
            return Some(body::garbage());
        }
        None
    }

    fn last_json(&self) -> Option<Vec<u8>> {
        let slot = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let r = slot.as_ref()?;
        let mut headers = serde_json::Map::new();
        for name in r.headers.keys() {
            // Repeated headers are joined the way HTTP allows folding them.
            let joined = r
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()))
                .collect::<Vec<_>>()
                .join(", ");
            headers.insert(name.as_str().to_owned(), Value::String(joined));
        }
        let v = json!({
            "method": r.method.as_str(),
            "path": r.uri.path(),
            "query": r.uri.query(),
            "headers": headers,
            "body": String::from_utf8_lossy(&r.body),
            "body_base64": base64::engine::general_purpose::STANDARD.encode(&r.body),
        });
        Some(v.to_string().into_bytes())
    }
}

/// Parses a request body that must be a JSON object.
pub(crate) fn parse_object(body: &[u8]) -> Result<Value, RequestError> {
    let v: Value = serde_json::from_slice(body)?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(RequestError::NotObject)
    }
}

/// The `model` field, echoed back as providers do; `default` when absent.
pub(crate) fn model_of(req: &Value, default: &str) -> String {
    req.get("model")
        .and_then(Value::as_str)
        .unwrap_or(default)
        .to_owned()
}

/// Whether the request asked for a stream.
pub(crate) fn wants_stream(req: &Value) -> bool {
    req.get("stream").and_then(Value::as_bool).unwrap_or(false)
}

/// Text of a message `content`: a string, or the concatenated `text` of its
/// text parts (`text`, `input_text`, `output_text`; other parts such as images
/// carry no text and are skipped).
pub(crate) fn content_text(content: Option<&Value>) -> std::borrow::Cow<'_, str> {
    match content {
        Some(Value::String(s)) => std::borrow::Cow::Borrowed(s),
        Some(Value::Array(parts)) => {
            let mut out = String::new();
            for part in parts {
                let kind = part.get("type").and_then(Value::as_str);
                if matches!(kind, None | Some("text" | "input_text" | "output_text")) {
                    if let Some(t) = part.get("text").and_then(Value::as_str) {
                        out.push_str(t);
                    }
                }
            }
            std::borrow::Cow::Owned(out)
        }
        _ => std::borrow::Cow::Borrowed(""),
    }
}

/// Text of the last message whose role is `user` (or of the last message when
/// none says so); the directives are read from it.
pub(crate) fn last_user_text(messages: &[Value]) -> std::borrow::Cow<'_, str> {
    let role = |m: &Value| m.get("role").and_then(Value::as_str) == Some("user");
    let msg = messages.iter().rev().find(|m| role(m)).or(messages.last());
    content_text(msg.and_then(|m| m.get("content")))
}

/// Word count over every message's content: the mock's "prompt tokens".
pub(crate) fn message_words(messages: &[Value]) -> u64 {
    messages
        .iter()
        .map(|m| canned::words(&content_text(m.get("content"))))
        .sum()
}

/// Seconds since the Unix epoch, for `created` fields.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

type AppState = State<Arc<Shared>>;

// One handler per route: each records/authenticates via `admit`, then hands
// the body to the provider module; request errors become 400s in that
// provider's shape.
macro_rules! handler {
    ($name:ident, $provider:expr, $imp:path) => {
        async fn $name(
            State(s): AppState,
            method: Method,
            uri: Uri,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            if let Some(denied) = s.admit($provider, method, uri, headers, &body) {
                return denied;
            }
            $imp(&s, &body).await.unwrap_or_else(|e: RequestError| {
                error_response($provider, StatusCode::BAD_REQUEST, &e.to_string())
            })
        }
    };
}

handler!(chat, Provider::OpenAi, openai::chat);
handler!(completions, Provider::OpenAi, openai::completions);
handler!(embeddings, Provider::OpenAi, openai::embeddings);
handler!(responses, Provider::OpenAi, openai::responses);
handler!(models, Provider::OpenAi, openai::models);
handler!(messages, Provider::Anthropic, anthropic::messages);

async fn last(State(s): AppState) -> Response {
    match s.last_json() {
        Some(body) => json_response(StatusCode::OK, body),
        None => json_response(
            StatusCode::NOT_FOUND,
            br#"{"error":"no /v1 request recorded yet"}"#.to_vec(),
        ),
    }
}

async fn not_found(uri: Uri) -> Response {
    let message = format!("mock upstream: no route for {}", uri.path());
    error_response(Provider::OpenAi, StatusCode::NOT_FOUND, &message)
}

/// Request bodies up to this size are accepted; the axum default (2 MB) is
/// too small for long-context and sliding-window tests.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// All routes: `POST /v1/chat/completions`, `/v1/completions`,
/// `/v1/embeddings`, `/v1/responses`, `/v1/messages`, `GET /v1/models`, and
/// `GET /mock/last` (the most recent `/v1` request as JSON).
pub fn router(cfg: MockConfig) -> Router {
    let shared = Arc::new(Shared {
        bearer: cfg.api_key.as_ref().map(|k| format!("Bearer {k}")),
        cfg,
        counter: AtomicU64::new(0),
        last: Mutex::new(None),
    });
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/completions", post(completions))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/responses", post(responses))
        .route("/v1/models", get(models))
        .route("/v1/messages", post(messages))
        .route("/mock/last", get(last))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

/// Serves [`router`] on `listener` until the listener fails.
pub async fn serve(listener: tokio::net::TcpListener, cfg: MockConfig) -> std::io::Result<()> {
    axum::serve(listener, router(cfg)).tcp_nodelay(true).await
}

/// Like [`serve`], but stops accepting when `shutdown` completes and returns
/// once in-flight requests have finished (used by the binary for SIGTERM).
pub async fn serve_with_shutdown<F>(
    listener: tokio::net::TcpListener,
    cfg: MockConfig,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    axum::serve(listener, router(cfg))
        .tcp_nodelay(true)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The Python of the SDK venv that `scripts/setup_python.sh` makes
/// (`$PALISADE_VENV`, default `~/.cache/palisade/venv`), for the tests that
/// drive the official SDKs. Without it: `None` after saying the test is
/// skipped, or a panic when `PALISADE_REQUIRE_SDK=1` (as `scripts/test.sh`
/// sets) so that CI cannot skip them silently.
pub fn sdk_python() -> Option<std::path::PathBuf> {
    let venv = match std::env::var_os("PALISADE_VENV") {
        Some(v) => std::path::PathBuf::from(v),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".cache/palisade/venv"),
    };
    let python = venv.join("bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var("PALISADE_REQUIRE_SDK").as_deref() != Ok("1"),
        "python venv not found and PALISADE_REQUIRE_SDK=1 (run scripts/setup_python.sh)"
    );
    println!("skipping: python venv not found (run scripts/setup_python.sh)");
    None
}

/// Starts on 127.0.0.1:0 in a background tokio task; returns the bound
/// address (for in-process Rust tests). The server lives as long as the
/// runtime that spawned it.
pub async fn spawn(cfg: MockConfig) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener, cfg));
    Ok(addr)
}

/// Waits `wait` to within the OS timer's slack (tens of microseconds).
/// Tokio's timer wheel rounds every deadline up to its next millisecond
/// tick, so a 20 ms model would answer after 20 to 21 ms depending on when
/// the request came in: noise as large as the sub-millisecond differences
/// the gateway benchmark measures between two paths to this mock. The
/// coarse timer covers all but the last [`FINE_SLEEP`]; a blocking-pool
/// thread sleeps that in the kernel, so a dropped request or a shutdown
/// never waits on more than that.
async fn precise_sleep(wait: std::time::Duration) {
    let deadline = std::time::Instant::now() + wait;
    if let Some(coarse) = wait.checked_sub(FINE_SLEEP) {
        tokio::time::sleep(coarse).await;
    }
    let rest = deadline.saturating_duration_since(std::time::Instant::now());
    if rest.is_zero() {
        return;
    }
    if tokio::task::spawn_blocking(move || std::thread::sleep(rest))
        .await
        .is_err()
    {
        // The pool is shutting down: the coarse timer will do.
        tokio::time::sleep(rest).await;
    }
}

/// How much of a delay [`precise_sleep`] sleeps outside the timer wheel:
/// more than the wheel's one-millisecond rounding.
const FINE_SLEEP: std::time::Duration = std::time::Duration::from_millis(2);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_text_handles_strings_and_parts() {
        let parts = json!([
            {"type": "text", "text": "a "},
            {"type": "image_url", "image_url": {"url": "x"}},
            {"type": "input_text", "text": "b"}
        ]);
        assert_eq!(content_text(Some(&parts)), "a b");
        assert_eq!(content_text(Some(&json!("plain"))), "plain");
        assert_eq!(content_text(Some(&json!(null))), "");
        assert_eq!(content_text(None), "");
    }

    #[test]
    fn last_user_text_skips_trailing_assistant_turns() {
        let msgs = json!([
            {"role": "user", "content": "first"},
            {"role": "user", "content": "second"},
            {"role": "assistant", "content": "reply"}
        ]);
        let msgs = msgs.as_array().map(Vec::as_slice).unwrap_or_default();
        assert_eq!(last_user_text(msgs), "second");
        assert_eq!(message_words(msgs), 3);
        assert_eq!(last_user_text(&[]), "");
    }
}
