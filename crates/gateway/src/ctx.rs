//! Per-request bookkeeping: identity, timing, and the events it produces.

use crate::error::{ApiError, Flavor};
use crate::extract::Api;
use crate::inspect::Decision;
use crate::state::AppState;
use axum::response::{IntoResponse, Response};
use palisade_core::{Direction, Event, StageLatency, TokenCounts};
use std::time::Instant;

/// What is known about a request so far.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Sent back as `x-request-id`; joins the request's events.
    pub request_id: String,
    /// The route path.
    pub route: &'static str,
    /// The API, when the route is a proxied one.
    pub api: Option<Api>,
    /// Error body shape.
    pub flavor: Flavor,
    /// When the request was accepted.
    pub started: Instant,
    /// Client address.
    pub client: Option<String>,
    /// Gateway key id.
    pub key_id: Option<String>,
    /// Requested model.
    pub model: Option<String>,
    /// Chosen upstream.
    pub upstream: Option<String>,
    /// Streamed answer requested.
    pub stream: bool,
    /// Per-stage latency so far.
    pub latency: StageLatency,
    /// What produced the events.
    pub source: &'static str,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Microseconds since `t`.
pub fn micros(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)
}

impl Ctx {
    /// A new request.
    pub fn new(
        st: &AppState,
        route: &'static str,
        api: Option<Api>,
        client: Option<String>,
    ) -> Self {
        Self {
            request_id: st.request_id(),
            route,
            api,
            flavor: if api == Some(Api::Messages) {
                Flavor::Anthropic
            } else {
                Flavor::Openai
            },
            started: Instant::now(),
            client,
            key_id: None,
            model: None,
            upstream: None,
            stream: false,
            latency: StageLatency::default(),
            source: "gateway",
        }
    }

    /// An event for this request with the given decision.
    pub fn event(&self, direction: Direction, d: Option<&Decision>, status: u16) -> Event {
        let mut latency = self.latency;
        latency.total_us = micros(self.started);
        let mut e = Event {
            id: None,
            time_ms: now_ms(),
            source: self.source.into(),
            request_id: self.request_id.clone(),
            route: self.route.into(),
            key_id: self.key_id.clone(),
            client_addr: self.client.clone(),
            model: self.model.clone(),
            upstream: self.upstream.clone(),
            direction,
            status,
            stream: self.stream,
            latency,
            tokens: TokenCounts::default(),
            ..Event::default()
        };
        if let Some(d) = d {
            e.action = d.action;
            e.flagged = d.flagged;
            e.categories = d.categories.clone();
            e.tier = d.tier;
            e.findings = d.findings.clone();
            if !d.degraded.is_empty() {
                e.message = Some(format!("degraded: {}", d.degraded.join("; ")));
            }
        }
        e
    }

    /// Records a failed request and renders its error.
    pub async fn fail(&self, st: &AppState, err: ApiError) -> Response {
        let status = err.status.as_u16();
        let mut e = self.event(Direction::Input, None, status);
        e.error = Some(err.code.into());
        e.message = Some(err.message.clone());
        if err.code == "content_filter" {
            e.action = palisade_core::Action::Block;
            e.flagged = true;
        }
        // A full queue under `reject` cannot make an error worse; the
        // writer has counted the loss.
        let _ = st.record(e).await;
        st.metrics.request(self.route, status);
        self.finish(err.flavor(self.flavor).into_response())
    }

    /// Adds the request id headers.
    pub fn finish(&self, mut r: Response) -> Response {
        if let Ok(v) = http::HeaderValue::from_str(&self.request_id) {
            r.headers_mut().insert("x-request-id", v);
        }
        r
    }
}
