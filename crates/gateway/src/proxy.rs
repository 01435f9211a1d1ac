//! The proxy handler, as explicit phases: accept → authenticate → read
//! and parse → route → inspect the request → forward → inspect the answer
//! (whole, or streamed in `stream.rs`) → respond, with an event for each
//! decision.

use crate::answer::{answer_pieces, filter_answer, usage};
use crate::auth::presented_key;
use crate::config::{InputCheck, Mode, Protocol};
use crate::ctx::{micros, Ctx};
use crate::error::ApiError;
use crate::extract::{input_pieces, is_stream, last_user_text, model_of, Api};
use crate::inspect::{answer_as_pieces, apply_masks, inspect, restore, Decision};
use crate::state::{AppState, PolicyRt};
use crate::upstream::strip_hop_by_hop;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use palisade_core::{Action, Direction};
use palisade_store::KeyRecord;
use serde_json::Value;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

/// Reads a body up to `limit` bytes; `Err(true)` when over the limit,
/// `Err(false)` when the client's body failed.
pub async fn read_limited(body: Body, limit: usize) -> Result<Bytes, bool> {
    let mut s = body.into_data_stream();
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = s.next().await {
        let chunk = chunk.map_err(|_| false)?;
        if buf.len() + chunk.len() > limit {
            return Err(true);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Authenticates a request: the key record, `Ok(None)` when keys are not
/// required and none was presented.
pub fn authenticate(st: &AppState, headers: &HeaderMap) -> Result<Option<KeyRecord>, ApiError> {
    let presented = presented_key(headers);
    match presented {
        Some(k) => match st.keys.verify(k) {
            Some(rec) => Ok(Some(rec)),
            None if !st.cfg.auth.require_key => Ok(None),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                "the gateway key is invalid or revoked",
            )),
        },
        None if st.cfg.auth.require_key => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_api_key",
            if st.keys.is_empty() {
                "a gateway key is required, and none exists yet: create one with `palisade keys create`"
            } else {
                "a gateway key is required (Authorization: Bearer <key> or x-api-key)"
            },
        )),
        None => Ok(None),
    }
}

/// Reads and parses a JSON request body, with errors that say where.
pub async fn read_json(
    st: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Bytes, Value), ApiError> {
    let ct = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("expected Content-Type: application/json, got {:?}", ct),
        ));
    }
    let limit = st.cfg.limits.max_body_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("request body is larger than the limit of {limit} bytes"),
        )
    };
    if let Some(n) = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if n > limit {
            return Err(too_large());
        }
    }
    let bytes = read_limited(body, limit).await.map_err(|over| {
        if over {
            too_large()
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "body_read_error",
                "the request body could not be read",
            )
        }
    })?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("request body is not valid JSON: {e}"),
        )
    })?;
    if !v.is_object() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "request body must be a JSON object",
        ));
    }
    Ok((bytes, v))
}

fn model_allowed(key: Option<&KeyRecord>, model: Option<&str>) -> bool {
    let Some(k) = key else { return true };
    if k.models.is_empty() {
        return true;
    }
    let Some(m) = model else { return false };
    k.models.iter().any(|pat| {
        globset::Glob::new(pat)
            .map(|g| g.compile_matcher().is_match(m))
            .unwrap_or(false)
    })
}

/// Headers that say what the guard found (annotate and enforce modes).
fn annotate(h: &mut HeaderMap, prefix: &str, d: &Decision) {
    if d.uncertain {
        if let Ok(name) =
            http::HeaderName::from_bytes(format!("x-palisade-{prefix}-uncertain").as_bytes())
        {
            h.insert(name, HeaderValue::from_static("true"));
        }
    }
    if !d.flagged {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(d.action.as_str()) {
        h.insert(
            http::HeaderName::from_bytes(format!("x-palisade-{prefix}-action").as_bytes())
                .unwrap_or(http::HeaderName::from_static("x-palisade-action")),
            v,
        );
    }
    if let Ok(v) = HeaderValue::from_str(&d.summary()) {
        h.insert(
            http::HeaderName::from_bytes(format!("x-palisade-{prefix}-categories").as_bytes())
                .unwrap_or(http::HeaderName::from_static("x-palisade-categories")),
            v,
        );
    }
}

/// Counts a decision in the verdict metrics.
pub(crate) fn record_metrics(st: &AppState, direction: &str, d: &Decision) {
    let tier = d.tier.map(|t| t.as_str()).unwrap_or("none");
    if d.uncertain {
        st.metrics.uncertain(direction, tier);
    }
    if d.categories.is_empty() {
        st.metrics
            .verdict(direction, d.action.as_str(), "none", tier);
    }
    for c in &d.categories {
        st.metrics
            .verdict(direction, d.action.as_str(), c.as_str(), tier);
    }
}

/// Runs the guard over a request's or an answer's texts with the policy's
/// masking (request texts through the verdict cache) and counts the
/// decision and its time.
async fn inspect_counted(
    st: &AppState,
    pol: &PolicyRt,
    pieces: &[crate::extract::Piece],
    direction: Direction,
    context: Option<&str>,
) -> Decision {
    let (cache, stage, label) = match direction {
        Direction::Input => (Some(&pol.cache), "guard_input", "input"),
        Direction::Output => (None, "guard_output", "output"),
    };
    let d = inspect(&pol.guard, cache, pieces, direction, context, &pol.masking).await;
    st.metrics.stage(stage, Duration::from_micros(d.micros));
    record_metrics(st, label, &d);
    d
}

/// Classifies a client error from the upstream call.
pub fn upstream_error(e: &reqwest::Error) -> ApiError {
    if e.is_timeout() {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_timeout",
            "the upstream did not answer in time",
        )
    } else if e.is_connect() {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "upstream_unreachable",
            format!("cannot connect to the upstream: {e}"),
        )
    } else {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            format!("upstream request failed: {e}"),
        )
    }
}

/// Reads a whole upstream body with a per-chunk timeout and a size bound.
async fn read_answer(
    resp: reqwest::Response,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let mut s = resp.bytes_stream();
    let mut buf = bytes::BytesMut::new();
    loop {
        match tokio::time::timeout(timeout, s.next()).await {
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "upstream_timeout",
                    "the upstream stopped sending its answer",
                ))
            }
            Ok(None) => return Ok(buf.freeze()),
            Ok(Some(Err(e))) => {
                return Err(ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "upstream_cut",
                    format!("the upstream answer was cut off: {e}"),
                ))
            }
            Ok(Some(Ok(c))) => {
                if buf.len() + c.len() > limit {
                    return Err(ApiError::new(
                        StatusCode::BAD_GATEWAY,
                        "upstream_answer_too_large",
                        format!("the upstream answer is larger than {limit} bytes"),
                    ));
                }
                buf.extend_from_slice(&c);
            }
        }
    }
}

/// `GET /v1/models`: forwarded to the default upstream, uninspected.
pub async fn models(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    req: Request,
) -> Response {
    let cx = Ctx::new(&st, "/v1/models", None, ci.map(|c| c.0.to_string()));
    if let Err(e) = authenticate(&st, req.headers()) {
        return cx.fail(&st, e).await;
    }
    let Some(up) = st.upstreams.route(None, Protocol::Openai) else {
        return cx.fail(&st, no_upstream()).await;
    };
    let url = format!("{}/v1/models", up.base);
    let send = st
        .client
        .get(url)
        .headers(up.request_headers(req.headers()))
        .send();
    let resp = match tokio::time::timeout(st.cfg.limits.read_timeout(), send).await {
        Err(_) => {
            return cx
                .fail(
                    &st,
                    ApiError::new(
                        StatusCode::GATEWAY_TIMEOUT,
                        "upstream_timeout",
                        "the upstream did not answer in time",
                    ),
                )
                .await
        }
        Ok(Err(e)) => return cx.fail(&st, upstream_error(&e)).await,
        Ok(Ok(r)) => r,
    };
    let status = resp.status();
    let mut headers = resp.headers().clone();
    strip_hop_by_hop(&mut headers);
    match read_answer(
        resp,
        st.cfg.limits.max_answer_bytes,
        st.cfg.limits.read_timeout(),
    )
    .await
    {
        Ok(b) => {
            st.metrics.request(cx.route, status.as_u16());
            let mut r = Response::new(Body::from(b));
            *r.status_mut() = status;
            *r.headers_mut() = headers;
            cx.finish(r)
        }
        Err(e) => cx.fail(&st, e).await,
    }
}

fn no_upstream() -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "no_upstream",
        "no upstream is configured (use --upstream or [[upstreams]] in palisade.toml)",
    )
}

/// Fails a request that ends before the WAF's deferred inspection ran:
/// the WAF scores it first (its block wins, and monitor mode records it),
/// as when the middleware inspects every request before any handler.
async fn fail_after_waf(
    st: &Arc<AppState>,
    cx: Ctx,
    waf_job: Option<crate::waf::Deferred>,
    e: ApiError,
) -> Response {
    if let Some(r) = crate::waf::run(st, waf_job, false).await {
        return r;
    }
    cx.fail(st, e).await
}

/// The proxy for one API.
pub async fn proxy(st: Arc<AppState>, api: Api, client: Option<String>, req: Request) -> Response {
    let mut cx = Ctx::new(&st, api.path(), Some(api), client);
    let (mut parts, body) = req.into_parts();
    // The WAF's inspection, when the middleware left it here: it runs
    // before anything is forwarded, or while the upstream works when the
    // policy checks in parallel. A request that fails before that point
    // is still scored first, as the middleware would have.
    let mut waf_job = parts.extensions.remove::<crate::waf::Deferred>();
    // Phase: authenticate.
    let key = match authenticate(&st, &parts.headers) {
        Ok(k) => k,
        Err(e) => return fail_after_waf(&st, cx, waf_job, e).await,
    };
    cx.key_id = key.as_ref().map(|k| k.id.clone());
    // Phase: read and parse.
    let (raw, body) = match read_json(&st, &parts.headers, body).await {
        Ok(x) => x,
        Err(e) => return fail_after_waf(&st, cx, waf_job, e).await,
    };
    cx.model = model_of(&body).map(String::from);
    cx.stream = is_stream(&body);
    if !model_allowed(key.as_ref(), cx.model.as_deref()) {
        let e = ApiError::new(
            StatusCode::FORBIDDEN,
            "model_not_allowed",
            format!(
                "this gateway key may not use model {:?}",
                cx.model.as_deref().unwrap_or("")
            ),
        );
        return fail_after_waf(&st, cx, waf_job, e).await;
    }
    // Phase: route.
    let protocol = if api == Api::Messages {
        Protocol::Anthropic
    } else {
        Protocol::Openai
    };
    let Some(up) = st.upstreams.route(cx.model.as_deref(), protocol) else {
        return fail_after_waf(&st, cx, waf_job, no_upstream()).await;
    };
    cx.upstream = Some(up.name.clone());
    let pol = st.policy_for(key.as_ref().and_then(|k| k.policy.as_deref()), api.path());
    if pol.cfg.input_check != InputCheck::Parallel {
        if let Some(r) = crate::waf::run(&st, waf_job.take(), false).await {
            return r;
        }
    }
    // Phase: limits. Reserved before the guard and the upstream, so
    // concurrent requests cannot jointly overshoot a budget.
    let reservation = if st.limiter.active() {
        let addr = cx.client.as_deref().map(|c| {
            c.parse::<std::net::SocketAddr>()
                .map(|a| a.ip().to_string())
                .unwrap_or_else(|_| c.to_string())
        });
        match st.limiter.admit(
            cx.key_id.as_deref(),
            addr.as_deref(),
            cx.model.as_deref(),
            raw.len(),
            max_tokens_of(&body),
        ) {
            Ok(r) => Some(r),
            Err(d) => {
                if let Some(r) = crate::waf::run(&st, waf_job.take(), false).await {
                    return r;
                }
                let e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_exceeded",
                    format!("{} ({}); retry in {} s", d.detail, d.limit, d.retry_after_s),
                );
                let mut r = cx.fail(&st, e).await;
                if let Ok(v) = http::HeaderValue::from_str(&d.retry_after_s.to_string()) {
                    r.headers_mut().insert(http::header::RETRY_AFTER, v);
                }
                return r;
            }
        }
    } else {
        None
    };
    // Settles the reservation however this request ends: with the
    // upstream's usage when it reported one, released when nothing was
    // sent, the estimate otherwise.
    let mut settle = Settle {
        st: st.clone(),
        r: reservation,
        used: Some((0, 0)),
    };
    // Phase: inspect the request (or start its check, when the policy
    // checks in parallel with the upstream and nothing needs masking).
    let mut out = Outgoing {
        body: raw,
        restore_pairs: Vec::new(),
        headers: HeaderMap::new(),
    };
    let mut context = None;
    let mut pending = None;
    // Extracted and asked about masking only once the limits admitted the
    // request (a flood that the limits refuse pays for neither).
    let pieces = pol.cfg.inspect_input.then(|| input_pieces(api, &body));
    // Parallel unless masking must happen before sending.
    let parallel = pol.cfg.input_check == InputCheck::Parallel
        && !pieces.as_ref().is_some_and(|p| may_mask(&pol, p));
    if !parallel {
        if let Some(r) = crate::waf::run(&st, waf_job.take(), false).await {
            return r;
        }
    }
    // The answer is read against the request it answers, even when the
    // request itself is not inspected.
    if pol.cfg.inspect_output {
        context = match &pieces {
            Some(p) => last_user_text(p).map(String::from),
            None => last_user_text(&input_pieces(api, &body)).map(String::from),
        };
    }
    if let Some(pieces) = pieces {
        if parallel {
            pending = Some(pieces);
        } else if let Some(r) =
            check_request(&st, &mut cx, &pol, &body, &pieces, &mut out, false).await
        {
            return r;
        }
    }
    // From here the upstream may spend tokens: keep the estimate unless
    // the answer reports usage.
    settle.used = None;
    // Phase: forward.
    let path_q = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(api.path());
    let url = format!("{}{}", up.base, path_q);
    let t_up = Instant::now();
    let send = st
        .client
        .request(parts.method.clone(), url)
        .headers(up.request_headers(&parts.headers))
        .body(out.body.clone())
        .send();
    let send = tokio::time::timeout(st.cfg.limits.read_timeout(), send);
    let sent = match (pending, waf_job) {
        (None, None) => send.await,
        (pending, waf_job) => {
            // The request goes out first: one poll hands it to the pooled
            // connection, one task yield lets that connection's task write
            // it. Then the check runs here, on this worker, while the
            // upstream works: on another thread it would cost two
            // cross-thread wake-ups (measured: no gain at all). The thread
            // yield lets an upstream on this host (a local model server, the
            // bench's mock) take its request first: a socket write wakes
            // the reader onto the writer's CPU, where it would otherwise wait
            // out the whole check. Returning before the answer drops `send`,
            // which cancels the upstream call.
            tokio::pin!(send);
            let first = std::future::poll_fn(|c| Poll::Ready(send.as_mut().poll(c))).await;
            if first.is_pending() {
                tokio::task::yield_now().await;
            }
            std::thread::yield_now();
            if let Some(r) = crate::waf::run(&st, waf_job, true).await {
                return r;
            }
            if let Some(pieces) = pending {
                if let Some(r) =
                    check_request(&st, &mut cx, &pol, &body, &pieces, &mut out, true).await
                {
                    return r;
                }
            }
            match first {
                Poll::Ready(r) => r,
                Poll::Pending => send.await,
            }
        }
    };
    let resp = match sent {
        Err(_) => {
            st.metrics.upstream_error(&up.name, "timeout");
            return cx
                .fail(
                    &st,
                    ApiError::new(
                        StatusCode::GATEWAY_TIMEOUT,
                        "upstream_timeout",
                        "the upstream did not answer in time",
                    ),
                )
                .await;
        }
        Ok(Err(e)) => {
            let err = upstream_error(&e);
            st.metrics.upstream_error(&up.name, err.code);
            return cx.fail(&st, err).await;
        }
        Ok(Ok(r)) => r,
    };
    cx.latency.upstream_us = micros(t_up);
    st.metrics.stage("upstream", t_up.elapsed());
    let status = resp.status();
    let mut headers = resp.headers().clone();
    strip_hop_by_hop(&mut headers);
    headers.extend(std::mem::take(&mut out.headers));
    let is_sse = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if status.is_success() && is_sse {
        // The stream settles the budget when it ends, with the usage its
        // last events report (OpenAI `include_usage`, Anthropic
        // `message_delta`), not when the headers go out.
        let settle = std::mem::replace(
            &mut settle,
            Settle {
                st: st.clone(),
                r: None,
                used: None,
            },
        );
        let mut r = crate::stream::respond(st.clone(), cx.clone(), pol, resp, context, settle);
        *r.status_mut() = status;
        r.headers_mut().extend(headers);
        return cx.finish(r);
    }
    // Phase: inspect a whole answer.
    let bytes = match read_answer(
        resp,
        st.cfg.limits.max_answer_bytes,
        st.cfg.limits.read_timeout(),
    )
    .await
    {
        Ok(b) => b,
        Err(e) => {
            st.metrics.upstream_error(&up.name, e.code);
            return cx.fail(&st, e).await;
        }
    };
    if !status.is_success() {
        // The provider's own error, passed through as it is.
        st.metrics.upstream_error(
            &up.name,
            if status.is_server_error() {
                "status_5xx"
            } else {
                "status_4xx"
            },
        );
        let mut ev = cx.event(Direction::Output, None, status.as_u16());
        ev.error = Some("upstream_status".into());
        ev.message = Some(format!("the upstream answered {status}"));
        let _ = st.record(ev).await;
        return respond(&st, &cx, status, headers, bytes);
    }
    // Parsed once: the budget's settlement and the answer's check both read it.
    let parsed = serde_json::from_slice::<Value>(&bytes);
    if let Ok(v) = &parsed {
        let t = usage(api, v);
        if let (Some(p), Some(c)) = (t.prompt, t.completion) {
            settle.used = Some((p, c));
        }
    }
    match answer_whole(
        &st,
        &mut cx,
        &pol,
        api,
        (bytes, parsed),
        &out.restore_pairs,
        context.as_deref(),
        &mut headers,
    )
    .await
    {
        Ok(b) => respond(&st, &cx, status, headers, b),
        Err(e) => {
            st.metrics.upstream_error(&up.name, e.code);
            cx.fail(&st, e).await
        }
    }
}

/// What goes upstream, and what the request's verdict adds to the answer.
struct Outgoing {
    /// The body to forward (masked when the verdict says so).
    body: Bytes,
    /// Placeholder → original, to put back in the answer.
    restore_pairs: Vec<(String, String)>,
    /// `x-palisade-input-*` headers for the answer.
    headers: HeaderMap,
}

/// Checks the request and acts on the verdict: `Some(response)` when the
/// request ends here (blocked, or its event could not be recorded);
/// otherwise masks, headers and the event are applied and it goes on.
/// `forwarded`: the body went upstream already (parallel check).
async fn check_request(
    st: &Arc<AppState>,
    cx: &mut Ctx,
    pol: &PolicyRt,
    body: &Value,
    pieces: &[crate::extract::Piece],
    out: &mut Outgoing,
    forwarded: bool,
) -> Option<Response> {
    let d = inspect_counted(st, pol, pieces, Direction::Input, None).await;
    cx.latency.guard_input_us = d.micros;
    let enforce = AppState::enforces(pol);
    let blocks = enforce && d.action == Action::Block;
    st.metrics.input_check(
        if forwarded { "parallel" } else { "before" },
        if blocks { "blocked" } else { "passed" },
    );
    if blocks {
        let e = ApiError::policy(
            format!("request blocked by the Palisade guard ({})", d.summary()),
            d.findings.clone(),
        );
        let mut ev = cx.event(Direction::Input, Some(&d), 400);
        ev.error = Some("content_filter".into());
        if forwarded {
            ev.message =
                Some("checked in parallel with the upstream call, which was cancelled".into());
        }
        let _ = st.record(ev).await;
        st.metrics.request(cx.route, 400);
        st.metrics.stage("total", cx.started.elapsed());
        let mut r = axum::response::IntoResponse::into_response(e.flavor(cx.flavor));
        annotate(r.headers_mut(), "input", &d);
        return Some(cx.finish(r));
    }
    let mut late_mask = false;
    if enforce && d.action == Action::Mask && !d.masks.is_empty() {
        if forwarded {
            // `may_mask` said there was nothing to mask, so only a judge's
            // finding can get here; the upstream already has the text.
            late_mask = true;
        } else {
            let mut b = body.clone();
            apply_masks(&mut b, &d.masks);
            out.body = Bytes::from(b.to_string());
            if pol.cfg.restore_masked {
                out.restore_pairs = d.restore.clone();
            }
        }
    }
    if pol.cfg.mode != Mode::Monitor {
        annotate(&mut out.headers, "input", &d);
    }
    let mut ev = cx.event(Direction::Input, Some(&d), 0);
    if !enforce && d.action != Action::Allow {
        ev.message = Some(format!(
            "mode {:?}: forwarded without enforcing {}",
            pol.cfg.mode,
            d.action.as_str()
        ));
    } else if late_mask {
        ev.message =
            Some("mask decided after the parallel check had forwarded the original text".into());
    }
    if !st.record(ev).await {
        return Some(cx.fail(st, event_log_full()).await);
    }
    None
}

/// Whether the request's check could mask something, which must then
/// happen before forwarding. A text with a cached verdict (a system prompt,
/// the earlier turns of a conversation) answers from it exactly.
fn may_mask(pol: &PolicyRt, pieces: &[crate::extract::Piece]) -> bool {
    pieces.iter().any(|p| {
        let req = palisade_guard::Request {
            text: &p.text,
            direction: Direction::Input,
            kind: p.kind,
            context: None,
            partial: false,
        };
        match pol.cache.get(&req) {
            Some(v) => v.action == Action::Mask,
            None => pol.guard.may_mask(&req),
        }
    })
}

/// Settles a budget reservation when the request ends, however it ends.
pub(crate) struct Settle {
    st: Arc<AppState>,
    r: Option<crate::limits::Reservation>,
    /// Tokens (prompt, completion) to charge; `None` keeps the estimate.
    pub(crate) used: Option<(u64, u64)>,
}

impl Drop for Settle {
    fn drop(&mut self) {
        if let Some(r) = self.r.take() {
            self.st.limiter.settle(r, self.used);
        }
    }
}

/// The completion-token cap a request asks for, by API.
fn max_tokens_of(body: &Value) -> Option<u64> {
    ["max_tokens", "max_completion_tokens", "max_output_tokens"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_u64))
}

fn event_log_full() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "event_log_full",
        "the event log is full and the policy is to refuse requests it cannot record",
    )
}

fn respond(
    st: &AppState,
    cx: &Ctx,
    status: StatusCode,
    mut headers: HeaderMap,
    body: Bytes,
) -> Response {
    headers.remove(http::header::CONTENT_LENGTH);
    st.metrics.request(cx.route, status.as_u16());
    st.metrics.stage("total", cx.started.elapsed());
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    cx.finish(r)
}

#[allow(clippy::too_many_arguments)]
async fn answer_whole(
    st: &AppState,
    cx: &mut Ctx,
    pol: &PolicyRt,
    api: Api,
    (bytes, parsed): (Bytes, serde_json::Result<Value>),
    restore_pairs: &[(String, String)],
    context: Option<&str>,
    headers: &mut HeaderMap,
) -> Result<Bytes, ApiError> {
    let mut v: Value = parsed.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "bad_upstream_answer",
            format!("the upstream answer is not valid JSON: {e}"),
        )
    })?;
    let tokens = usage(api, &v);
    let mut changed = false;
    let mut d = Decision::default();
    if pol.cfg.inspect_output && api != Api::Embeddings {
        let pieces = answer_as_pieces(answer_pieces(api, &v));
        d = inspect_counted(st, pol, &pieces, Direction::Output, context).await;
        cx.latency.guard_output_us = d.micros;
        let enforce = AppState::enforces(pol);
        if enforce && d.action == Action::Block {
            filter_answer(api, &mut v);
            changed = true;
        } else if enforce && d.action == Action::Mask && !d.masks.is_empty() {
            apply_masks(&mut v, &d.masks);
            changed = true;
        }
        if pol.cfg.mode != Mode::Monitor {
            annotate(headers, "output", &d);
        }
    }
    let detokenize = pol.cfg.restore_masked
        && matches!(
            pol.masking,
            crate::inspect::Masking::Method(_, palisade_mask::Method::Tokenize)
        );
    if !restore_pairs.is_empty() || detokenize {
        for (ptr, text) in answer_pieces(api, &v) {
            let Some(ptr) = ptr else { continue };
            let mut back = restore(&text, restore_pairs);
            if let Some(t) = pol.masking.detokenize(&back) {
                back = t;
            }
            if back != text {
                if let Some(slot) = v.pointer_mut(&ptr) {
                    *slot = Value::String(back);
                    changed = true;
                }
            }
        }
    }
    let mut ev = cx.event(Direction::Output, Some(&d), 200);
    ev.tokens = tokens;
    if !st.record(ev).await {
        return Err(event_log_full());
    }
    Ok(if changed {
        Bytes::from(v.to_string())
    } else {
        bytes
    })
}
