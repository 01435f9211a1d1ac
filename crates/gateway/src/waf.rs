//! The WAF phase: every request except probes, the admin API and the
//! detection API is scored by `palisade-waf` before any handler runs. The
//! body is read here once (within the configured limit) and handed on, so
//! handlers see the same bytes. Natural-language fields of LLM requests
//! (messages, system prompts, tool definitions) are the guard's business;
//! the WAF's SQL/XSS/command detectors skip them.

use crate::config::WafMode;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use std::net::SocketAddr;
use std::sync::Arc;

/// JSON paths of LLM request bodies that carry text for the model, beyond
/// the WAF's own defaults (chat messages, prompt, input, system).
const LLM_PATHS: &[&str] = &[
    "tools",
    "functions",
    "system[*].text",
    "input[*].content",
    "messages[*].content[*].content",
    "messages[*].tool_calls",
];

/// Builds the WAF from the gateway configuration.
pub fn build(cfg: &crate::config::WafConfig) -> Result<Option<Arc<palisade_waf::Waf>>, String> {
    if cfg.mode == WafMode::Off {
        return Ok(None);
    }
    let mut wc = palisade_waf::Config {
        paranoia_level: cfg.paranoia,
        inbound_threshold: cfg.threshold,
        extra_rule_files: cfg.rules.clone(),
        exclusions: cfg.exclusions.clone(),
        ..palisade_waf::Config::default()
    };
    wc.llm
        .natural_language_paths
        .extend(LLM_PATHS.iter().map(|s| s.to_string()));
    palisade_waf::Waf::new(wc)
        .map(|w| Some(Arc::new(w)))
        .map_err(|e| e.to_string())
}

fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
        || path.starts_with("/v1/admin/")
        || path.starts_with("/v1/guard/")
        || path == "/v1/events"
}

/// A request's WAF inspection left to the proxy handler, which runs it
/// while the upstream works when the key's policy checks in parallel
/// (`input_check = "parallel"`), and before forwarding otherwise. Only set
/// on the proxy routes, and only when some policy checks in parallel:
/// with none, every request is scored here before any handler runs.
#[derive(Clone)]
pub struct Deferred {
    req: Arc<palisade_waf::Request>,
    client: Option<String>,
}

/// Whether the middleware may leave this path's inspection to the proxy.
fn deferrable(method: &http::Method, path: &str) -> bool {
    method == http::Method::POST && crate::extract::Api::from_path(path).is_some()
}

/// Middleware: scores the request; blocks (403 with the request id as the
/// incident id) or records, then passes the rebuilt request on.
pub async fn guard(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if st.waf.is_none() {
        return next.run(req).await;
    }
    if exempt(req.uri().path()) {
        return next.run(req).await;
    }
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let (mut parts, body) = req.into_parts();
    let limit = st.cfg.limits.max_body_bytes;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            let cx = Ctx::new(&st, "waf", None, client);
            return cx
                .fail(
                    &st,
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "body_too_large",
                        format!(
                            "the request body is larger than {limit} bytes or could not be read"
                        ),
                    ),
                )
                .await;
        }
    };
    let wreq = palisade_waf::Request {
        method: parts.method.as_str().to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: bytes.to_vec(),
        http_version: format!("{:?}", parts.version),
    };
    if st.defer_waf && deferrable(&parts.method, parts.uri.path()) {
        parts.extensions.insert(Deferred {
            req: Arc::new(wreq),
            client,
        });
    } else if let Some(r) = inspect(&st, &wreq, client, false).await {
        return r;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Runs a deferred inspection, if there is one: `Some(response)` when the
/// request ends here. `forwarded`: the request went upstream already (a
/// block then cancels that call, and its event says so).
pub async fn run(st: &Arc<AppState>, d: Option<Deferred>, forwarded: bool) -> Option<Response> {
    let d = d?;
    inspect(st, &d.req, d.client, forwarded).await
}

/// Scores one request and acts on the verdict: `Some(403)` when the WAF
/// blocks it; in monitor mode a flagged request is recorded and goes on.
async fn inspect(
    st: &Arc<AppState>,
    wreq: &palisade_waf::Request,
    client: Option<String>,
    forwarded: bool,
) -> Option<Response> {
    let waf = st.waf.as_ref()?;
    let started = std::time::Instant::now();
    let verdict = waf.inspect(wreq);
    st.metrics.stage("waf", started.elapsed());
    if !verdict.blocked {
        st.metrics.waf("pass", &verdict.matches);
        return None;
    }
    let mode = st.cfg.waf.mode;
    st.metrics.waf(
        if mode == WafMode::Block {
            "block"
        } else {
            "monitor"
        },
        &verdict.matches,
    );
    let mut cx = Ctx::new(st, "waf", None, client);
    cx.source = "waf";
    let rules: Vec<String> = verdict
        .matches
        .iter()
        .map(|m| format!("{} ({}) in {}", m.rule, m.category, m.target))
        .collect();
    if mode == WafMode::Block {
        let mut e = cx.event(palisade_core::Direction::Input, None, 403);
        e.action = palisade_core::Action::Block;
        e.flagged = true;
        e.error = Some("waf_blocked".into());
        e.message = Some(format!(
            "score {}: {}{}",
            verdict.score,
            rules.join("; "),
            if forwarded {
                " (scored in parallel with the upstream call, which was cancelled)"
            } else {
                ""
            }
        ));
        let _ = st.record(e).await;
        st.metrics.request("waf", 403);
        let body = serde_json::json!({"error": {
            "message": "request blocked by the web application firewall",
            "type": "palisade_waf",
            "code": "waf_blocked",
            "incident": cx.request_id,
            "score": verdict.score,
            "matches": verdict.matches.iter().map(|m| serde_json::json!({"rule": m.rule, "category": m.category})).collect::<Vec<_>>(),
        }});
        return Some(cx.finish((StatusCode::FORBIDDEN, axum::Json(body)).into_response()));
    }
    let mut e = cx.event(palisade_core::Direction::Input, None, 0);
    e.flagged = true;
    e.message = Some(format!(
        "waf monitor, score {}: {}",
        verdict.score,
        rules.join("; ")
    ));
    let _ = st.record(e).await;
    None
}
