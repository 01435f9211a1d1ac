//! Palisade's own endpoints: the detection API, the event query, key
//! administration, health and metrics, and the JSON 404.

use crate::auth::admin_ok;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::proxy::{authenticate, read_json};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use palisade_core::{Direction, Kind};
use palisade_store::{EventQuery, NewKey};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

/// Most items in one batch call.
const MAX_BATCH: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    #[serde(default)]
    role: Option<String>,
    content: String,
}

/// One check: a text, or a conversation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckItem {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    messages: Option<Vec<Message>>,
    #[serde(default)]
    direction: Direction,
    #[serde(default)]
    kind: Option<Kind>,
    /// For outputs: the prompt behind them.
    #[serde(default)]
    context: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    items: Vec<Value>,
}

fn store_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "store_error",
        e.to_string(),
    )
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", msg)
}

async fn check_item(
    st: &AppState,
    cx: &Ctx,
    pol: &crate::state::PolicyRt,
    item: CheckItem,
) -> Result<Value, ApiError> {
    let single = item.text.is_some();
    let pieces: Vec<crate::extract::Piece> = match (item.text, item.messages) {
        (Some(t), None) => vec![crate::extract::Piece {
            pointer: None,
            text: t,
            kind: item.kind.unwrap_or_default(),
            role: "user",
        }],
        (None, Some(ms)) => ms
            .into_iter()
            .map(|m| {
                let (role, kind) = crate::extract::role_kind(m.role.as_deref().unwrap_or("user"));
                crate::extract::Piece {
                    pointer: None,
                    text: m.content,
                    kind: item.kind.unwrap_or(kind),
                    role,
                }
            })
            .collect(),
        _ => return Err(bad("give exactly one of `text` or `messages`")),
    };
    let judge = pol.guard.policy().judge.is_some();
    let mut results = Vec::with_capacity(pieces.len());
    let mut summary = crate::inspect::Decision::default();
    let acts =
        |c| pol.guard.policy().actions(item.direction).get(c) != palisade_core::Action::Allow;
    for p in &pieces {
        let req = palisade_guard::Request {
            text: &p.text,
            direction: item.direction,
            kind: p.kind,
            context: item.context.as_deref(),
            partial: false,
        };
        let v =
            crate::inspect::check_uncached(&pol.guard, req, judge, p.text.len() > 64 << 10).await;
        summary.absorb(&v, acts);
        if v.flagged {
            summary.findings.extend(v.findings.iter().cloned());
        }
        results.push(v);
    }
    summary.micros = results.iter().map(|v| v.latency_us).sum();
    let mut ev = cx.event(item.direction, Some(&summary), 200);
    ev.latency.guard_input_us = summary.micros;
    let _ = st.record(ev).await;
    let mut out = if single {
        json!({ "verdict": results[0] })
    } else {
        json!({
            "flagged": summary.flagged,
            "action": summary.action,
            "results": results.iter().zip(&pieces).enumerate().map(|(i, (v, p))| json!({"index": i, "role": p.role, "verdict": v})).collect::<Vec<_>>(),
        })
    };
    if let Some(id) = item.id {
        out["id"] = id;
    }
    out["request_id"] = json!(cx.request_id);
    Ok(out)
}

async fn guard_prelude(
    st: &Arc<AppState>,
    ci: Option<ConnectInfo<SocketAddr>>,
    req: Request,
    route: &'static str,
) -> Result<(Ctx, Arc<crate::state::PolicyRt>, Value), Response> {
    let mut cx = Ctx::new(st, route, None, ci.map(|c| c.0.to_string()));
    cx.source = "guard_api";
    let (parts, body) = req.into_parts();
    let key = match authenticate(st, &parts.headers) {
        Ok(k) => k,
        Err(e) => return Err(cx.fail(st, e).await),
    };
    cx.key_id = key.as_ref().map(|k| k.id.clone());
    let (_, v) = match read_json(st, &parts.headers, body).await {
        Ok(x) => x,
        Err(e) => return Err(cx.fail(st, e).await),
    };
    let pol = st.policy_for(key.as_ref().and_then(|k| k.policy.as_deref()), route);
    Ok((cx, pol, v))
}

/// `POST /v1/guard/check`.
pub async fn check(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    req: Request,
) -> Response {
    let (cx, pol, v) = match guard_prelude(&st, ci, req, "/v1/guard/check").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let item: CheckItem = match serde_json::from_value(v) {
        Ok(i) => i,
        Err(e) => {
            return cx
                .fail(&st, bad(format!("invalid check request: {e}")))
                .await
        }
    };
    match check_item(&st, &cx, &pol, item).await {
        Ok(out) => {
            st.metrics.request(cx.route, 200);
            cx.finish(Json(out).into_response())
        }
        Err(e) => cx.fail(&st, e).await,
    }
}

/// `POST /v1/guard/check/batch`: `{"items": [...]}`; a bad item yields an
/// `error` in its slot and the others go on.
pub async fn batch(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    req: Request,
) -> Response {
    let (cx, pol, v) = match guard_prelude(&st, ci, req, "/v1/guard/check/batch").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let b: Batch = match serde_json::from_value(v) {
        Ok(b) => b,
        Err(e) => {
            return cx
                .fail(&st, bad(format!("invalid batch request: {e}")))
                .await
        }
    };
    if b.items.len() > MAX_BATCH {
        return cx
            .fail(
                &st,
                bad(format!(
                    "at most {MAX_BATCH} items per batch, got {}",
                    b.items.len()
                )),
            )
            .await;
    }
    let mut results = Vec::with_capacity(b.items.len());
    for (i, raw) in b.items.into_iter().enumerate() {
        let r = match serde_json::from_value::<CheckItem>(raw) {
            Ok(item) => check_item(&st, &cx, &pol, item)
                .await
                .map_err(|e| e.message),
            Err(e) => Err(format!("item {i}: {e}")),
        };
        results.push(match r {
            Ok(v) => v,
            Err(msg) => json!({"index": i, "error": msg}),
        });
    }
    st.metrics.request(cx.route, 200);
    cx.finish(Json(json!({ "results": results, "request_id": cx.request_id })).into_response())
}

fn admin(st: &AppState, headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    if st.admin_token.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            format!(
                "admin endpoints are off: set {} to an admin token",
                st.cfg.auth.admin_token_env
            ),
        ));
    }
    if admin_ok(headers, st.admin_token.as_deref()) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_admin_token",
            "the admin token is missing or wrong",
        ))
    }
}

/// `GET /v1/events`.
pub async fn events(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    req: Request,
) -> Response {
    let cx = Ctx::new(&st, "/v1/events", None, ci.map(|c| c.0.to_string()));
    if let Err(e) = admin(&st, req.headers()) {
        return cx.fail(&st, e).await;
    }
    let q: EventQuery = match Query::<EventQuery>::try_from_uri(req.uri()) {
        Ok(Query(q)) => q,
        Err(e) => return cx.fail(&st, bad(format!("invalid query: {e}"))).await,
    };
    let st2 = st.clone();
    match tokio::task::spawn_blocking(move || st2.store.query_events(&q)).await {
        Ok(Ok(page)) => {
            st.metrics.request(cx.route, 200);
            cx.finish(Json(page).into_response())
        }
        Ok(Err(e)) => cx.fail(&st, store_error(e)).await,
        Err(e) => cx.fail(&st, store_error(e)).await,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySpec {
    name: String,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    models: Vec<String>,
}

/// `GET /v1/admin/keys` and `POST /v1/admin/keys`.
pub async fn keys(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    req: Request,
) -> Response {
    let cx = Ctx::new(&st, "/v1/admin/keys", None, ci.map(|c| c.0.to_string()));
    if let Err(e) = admin(&st, req.headers()) {
        return cx.fail(&st, e).await;
    }
    if req.method() == http::Method::GET {
        return match st.store.list_keys() {
            Ok(k) => cx.finish(Json(json!({ "keys": k })).into_response()),
            Err(e) => cx.fail(&st, store_error(e)).await,
        };
    }
    let (parts, body) = req.into_parts();
    let v = match read_json(&st, &parts.headers, body).await {
        Ok((_, v)) => v,
        Err(e) => return cx.fail(&st, e).await,
    };
    let spec: KeySpec = match serde_json::from_value(v) {
        Ok(s) => s,
        Err(e) => return cx.fail(&st, bad(format!("invalid key request: {e}"))).await,
    };
    if let Some(p) = &spec.policy {
        if !st.policies.contains_key(p) {
            return cx.fail(&st, bad(format!("no policy named {p:?}"))).await;
        }
    }
    match st.store.create_key(&NewKey {
        name: spec.name,
        policy: spec.policy,
        models: spec.models,
    }) {
        Ok(k) => {
            let _ = st.keys.reload();
            let mut v = json!(k.record);
            v["key"] = json!(k.secret);
            let mut r = (StatusCode::CREATED, Json(v)).into_response();
            r.headers_mut().insert(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("no-store"),
            );
            cx.finish(r)
        }
        Err(e) => cx.fail(&st, store_error(e)).await,
    }
}

/// `DELETE /v1/admin/keys/{id}`.
pub async fn revoke(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let cx = Ctx::new(
        &st,
        "/v1/admin/keys/{id}",
        None,
        ci.map(|c| c.0.to_string()),
    );
    if let Err(e) = admin(&st, req.headers()) {
        return cx.fail(&st, e).await;
    }
    match st.store.revoke_key(&id) {
        Ok(true) => {
            let _ = st.keys.reload();
            cx.finish(Json(json!({"id": id, "revoked": true})).into_response())
        }
        Ok(false) => {
            cx.fail(
                &st,
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_key",
                    format!("no active key with id {id:?}"),
                ),
            )
            .await
        }
        Err(e) => cx.fail(&st, store_error(e)).await,
    }
}

/// `GET /metrics`.
pub async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    let body = st.metrics.render(&st.writer.stats());
    let mut r = body.into_response();
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ),
    );
    r
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: not while draining.
pub async fn readyz(State(st): State<Arc<AppState>>) -> Response {
    if st.draining.load(std::sync::atomic::Ordering::Relaxed) {
        (StatusCode::SERVICE_UNAVAILABLE, "draining").into_response()
    } else {
        "ready".into_response()
    }
}

/// Unknown routes: a JSON 404, recorded.
/// `GET /v1/admin/api`: the API inventory learned from traffic.
pub async fn api_inventory(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    req: Request,
) -> Response {
    let cx = Ctx::new(&st, "/v1/admin/api", None, ci.map(|c| c.0.to_string()));
    if let Err(e) = admin(&st, req.headers()) {
        return cx.fail(&st, e).await;
    }
    cx.finish(Json(json!({ "endpoints": st.discovery.snapshot() })).into_response())
}

/// Any other route: proxied to `[app] upstream` when one is configured,
/// else 404.
pub async fn fallback(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    req: Request,
) -> Response {
    let Some(base) = st.cfg.app.upstream.clone() else {
        return not_found(State(st), ci, req).await;
    };
    let cx = Ctx::new(&st, "app", None, ci.map(|c| c.0.to_string()));
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, st.cfg.limits.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return cx
                .fail(
                    &st,
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "body_too_large",
                        "the request body is too large",
                    ),
                )
                .await
        }
    };
    let path_q = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let url = format!("{}{}", base.trim_end_matches('/'), path_q);
    let mut headers = parts.headers.clone();
    crate::upstream::strip_hop_by_hop(&mut headers);
    headers.remove(http::header::HOST);
    let send = st
        .client
        .request(parts.method.clone(), url)
        .headers(headers)
        .body(bytes)
        .send();
    let resp = match tokio::time::timeout(st.cfg.limits.read_timeout(), send).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            return cx
                .fail(
                    &st,
                    ApiError::new(
                        StatusCode::BAD_GATEWAY,
                        "app_unreachable",
                        format!("the application did not answer: {e}"),
                    ),
                )
                .await
        }
        Err(_) => {
            return cx
                .fail(
                    &st,
                    ApiError::new(
                        StatusCode::GATEWAY_TIMEOUT,
                        "app_timeout",
                        "the application did not answer in time",
                    ),
                )
                .await
        }
    };
    let status = resp.status();
    let mut rh = resp.headers().clone();
    crate::upstream::strip_hop_by_hop(&mut rh);
    // The body is streamed through unchanged, so its length still holds.
    if let Some(n) = resp.content_length() {
        rh.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(n));
    }
    st.metrics.request("app", status.as_u16());
    let mut r = Response::new(axum::body::Body::from_stream(resp.bytes_stream()));
    *r.status_mut() = status;
    *r.headers_mut() = rh;
    cx.finish(r)
}

/// No route.
pub async fn not_found(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    req: Request,
) -> Response {
    let cx = Ctx::new(&st, "unknown", None, ci.map(|c| c.0.to_string()));
    let msg = format!("no route for {} {}", req.method(), req.uri().path());
    cx.fail(
        &st,
        ApiError::new(StatusCode::NOT_FOUND, "unknown_route", msg),
    )
    .await
}

/// A block request: `{"address": "203.0.113.7", "ttl_s": 3600, "reason": "…"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockSpec {
    address: String,
    #[serde(default)]
    ttl_s: Option<u64>,
    #[serde(default)]
    reason: Option<String>,
}

/// The longest block the API accepts (30 days); longer ones are a firewall
/// rule's job, not a response action's.
const MAX_BLOCK_S: u64 = 30 * 24 * 3600;

/// `GET /v1/admin/blocks` lists active blocks; `POST` adds one.
pub async fn blocks(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    req: Request,
) -> Response {
    let cx = Ctx::new(&st, "/v1/admin/blocks", None, ci.map(|c| c.0.to_string()));
    if let Err(e) = admin(&st, req.headers()) {
        return cx.fail(&st, e).await;
    }
    if req.method() == http::Method::GET {
        return match st.store.active_blocks(crate::ctx::now_ms()) {
            Ok(b) => cx.finish(Json(json!({ "blocks": b })).into_response()),
            Err(e) => cx.fail(&st, store_error(e)).await,
        };
    }
    let (parts, body) = req.into_parts();
    let v = match read_json(&st, &parts.headers, body).await {
        Ok((_, v)) => v,
        Err(e) => return cx.fail(&st, e).await,
    };
    let spec: BlockSpec = match serde_json::from_value(v) {
        Ok(s) => s,
        Err(e) => {
            return cx
                .fail(&st, bad(format!("invalid block request: {e}")))
                .await
        }
    };
    let Ok(ip) = spec.address.trim().parse::<std::net::IpAddr>() else {
        return cx
            .fail(
                &st,
                bad(format!("`address` {:?} is not an IP address", spec.address)),
            )
            .await;
    };
    let ip = crate::blocks::canonical(ip);
    let ttl = spec.ttl_s.unwrap_or(3600);
    if ttl == 0 || ttl > MAX_BLOCK_S {
        return cx
            .fail(
                &st,
                bad(format!("`ttl_s` must be between 1 and {MAX_BLOCK_S}")),
            )
            .await;
    }
    let until = crate::ctx::now_ms().saturating_add(i64::try_from(ttl * 1000).unwrap_or(i64::MAX));
    let reason = spec
        .reason
        .unwrap_or_else(|| "blocked by an administrator".into());
    if let Err(e) = st.store.block_client(&ip.to_string(), until, &reason) {
        return cx.fail(&st, store_error(e)).await;
    }
    st.blocks.insert(ip, until, reason.clone());
    cx.finish(
        (
            StatusCode::CREATED,
            Json(json!({"address": ip.to_string(), "until_ms": until, "reason": reason})),
        )
            .into_response(),
    )
}

/// `DELETE /v1/admin/blocks/{addr}` lifts a block.
pub async fn unblock(
    State(st): State<Arc<AppState>>,
    ci: Option<ConnectInfo<SocketAddr>>,
    Path(addr): Path<String>,
    req: Request,
) -> Response {
    let cx = Ctx::new(
        &st,
        "/v1/admin/blocks/{addr}",
        None,
        ci.map(|c| c.0.to_string()),
    );
    if let Err(e) = admin(&st, req.headers()) {
        return cx.fail(&st, e).await;
    }
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return cx
            .fail(&st, bad(format!("{addr:?} is not an IP address")))
            .await;
    };
    let ip = crate::blocks::canonical(ip);
    match st.store.unblock_client(&ip.to_string()) {
        Ok(found) => {
            st.blocks.remove(ip);
            cx.finish(Json(json!({"address": ip.to_string(), "unblocked": found})).into_response())
        }
        Err(e) => cx.fail(&st, store_error(e)).await,
    }
}
