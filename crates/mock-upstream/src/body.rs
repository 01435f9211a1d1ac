//! Response bodies: pre-built SSE frames played back with delays, and the
//! deliberately broken bodies (`cut`, `stall`, `garbage`).

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

/// How long `[[mock:stall]]` holds a stream after its first content chunk;
/// far beyond any sane read timeout, so timeout tests fail fast on the client.
const STALL: Duration = Duration::from_secs(60);

/// Content chunks sent before `[[mock:cut]]` aborts a stream.
const CUT_AFTER_CONTENT: usize = 2;

/// Body of `[[mock:garbage]]`: starts like JSON so naive sniffing is fooled.
const GARBAGE: &[u8] = b"{\"id\": \"mock\", this is <not> json at all";

/// Builds the frames of one SSE stream. Each frame is serialised up front so
/// that playback only moves `Bytes` around.
#[derive(Default)]
pub(crate) struct Frames {
    frames: Vec<Bytes>,
    /// Indices of frames that carry reply content (text or tool-argument
    /// deltas); `cut` and `stall` count these rather than raw frames so that
    /// every format exposes some partial content before breaking.
    content: Vec<usize>,
}

impl Frames {
    /// An OpenAI-style `data: {json}` frame.
    pub(crate) fn data(&mut self, v: &Value, is_content: bool) {
        self.push(format!("data: {v}\n\n"), is_content);
    }

    /// A typed `event: NAME` + `data: {json}` frame (Anthropic, Responses API).
    pub(crate) fn event(&mut self, name: &str, v: &Value, is_content: bool) {
        self.push(format!("event: {name}\ndata: {v}\n\n"), is_content);
    }

    /// The OpenAI terminator.
    pub(crate) fn done(&mut self) {
        self.frames.push(Bytes::from_static(b"data: [DONE]\n\n"));
    }

    fn push(&mut self, frame: String, is_content: bool) {
        if is_content {
            self.content.push(self.frames.len());
        }
        self.frames.push(Bytes::from(frame));
    }

    /// The playback response. `chunk_delay` separates frames; `cut` aborts
    /// the connection after the second content frame; `stall` waits
    /// [`STALL`] after the first content frame.
    pub(crate) fn into_response(self, chunk_delay: Duration, cut: bool, stall: bool) -> Response {
        let last_content = |n: usize| {
            self.content
                .get(n.saturating_sub(1))
                .or(self.content.last())
                .copied()
        };
        let cut_after = if cut {
            last_content(CUT_AFTER_CONTENT)
        } else {
            None
        };
        let stall_after = if stall { last_content(1) } else { None };
        let playback = Playback {
            frames: self.frames.into_iter(),
            next: 0,
            chunk_delay,
            cut_after,
            stall_after,
        };
        let stream = futures_util::stream::unfold(playback, Playback::step);
        (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/event-stream"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            Body::from_stream(stream),
        )
            .into_response()
    }
}

struct Playback {
    frames: std::vec::IntoIter<Bytes>,
    next: usize,
    chunk_delay: Duration,
    cut_after: Option<usize>,
    stall_after: Option<usize>,
}

impl Playback {
    async fn step(mut self) -> Option<(std::io::Result<Bytes>, Self)> {
        let i = self.next;
        if i > 0 {
            if self.cut_after == Some(i - 1) {
                // Yielding an error makes hyper drop the connection without the
                // terminating chunk, which is what a crashed upstream looks like.
                self.frames = Vec::new().into_iter();
                self.cut_after = None;
                return Some((Err(abort_after_flush().await), self));
            }
            if self.stall_after == Some(i - 1) {
                tokio::time::sleep(STALL).await;
            }
            if !self.chunk_delay.is_zero() {
                tokio::time::sleep(self.chunk_delay).await;
            }
        }
        let frame = self.frames.next()?;
        self.next += 1;
        Some((Ok(frame), self))
    }
}

/// Pauses before the abort so hyper flushes what was already written (it
/// flushes when the body is pending); otherwise the client could lose the
/// partial body, or even the head, and the test would not see "partial
/// content, then a broken connection".
async fn abort_after_flush() -> std::io::Error {
    tokio::time::sleep(FLUSH_PAUSE).await;
    aborted()
}

const FLUSH_PAUSE: Duration = Duration::from_millis(5);

fn aborted() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "mock upstream: [[mock:cut]]",
    )
}

/// A complete JSON body, or for `cut` one that declares the full
/// Content-Length but aborts after half of it.
pub(crate) fn json_body(body: Vec<u8>, cut: bool) -> Response {
    if !cut {
        return crate::error::json_response(StatusCode::OK, body);
    }
    let full = Bytes::from(body);
    let len = full.len();
    let half = full.slice(..len / 2);
    // Some(half) -> send it; None -> abort; then the stream ends.
    let parts = futures_util::stream::unfold(Some(Some(half)), |state| async move {
        match state? {
            Some(half) => Some((Ok(half), Some(None))),
            None => Some((Err(abort_after_flush().await), None)),
        }
    });
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CONTENT_LENGTH, HeaderValue::from(len)),
        ],
        Body::from_stream(parts),
    )
        .into_response()
}

/// `[[mock:garbage]]`: a 200 that claims JSON but is not.
pub(crate) fn garbage() -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Bytes::from_static(GARBAGE),
    )
        .into_response()
}
