//! AI-bot management at the door: crawlers, assistant fetchers and
//! scrapers identified from the project's catalogue (`catalog/bots/`) get
//! their category's action — allow, rate-limit per client, block, or only a
//! `Disallow` in the generated `/robots.txt`.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use palisade_waf::bots::{BotAction, BotCatalog, BotPolicy};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// `[bots]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotsConfig {
    /// Identify and act on AI bots (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Serve `/robots.txt` generated from the catalogue and the policy
    /// (default true).
    #[serde(default = "yes")]
    pub robots_txt: bool,
    /// Actions by category and by bot name.
    #[serde(default)]
    pub policy: BotPolicy,
}

fn yes() -> bool {
    true
}

impl Default for BotsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            robots_txt: true,
            policy: BotPolicy::default(),
        }
    }
}

/// The catalogue, the policy and per-client buckets for rate-limited bots.
pub struct Bots {
    catalog: BotCatalog,
    policy: BotPolicy,
    robots: String,
    buckets: Mutex<HashMap<(String, String), (f64, Instant)>>,
}

impl Bots {
    /// Loads the built-in catalogue.
    pub fn new(cfg: &BotsConfig) -> Result<Option<Bots>, String> {
        if !cfg.enabled {
            return Ok(None);
        }
        let catalog = BotCatalog::builtin().map_err(|e| e.to_string())?;
        let robots = catalog.robots_txt(&cfg.policy);
        Ok(Some(Bots {
            catalog,
            policy: cfg.policy.clone(),
            robots,
            buckets: Mutex::new(HashMap::new()),
        }))
    }

    /// The generated robots.txt.
    pub fn robots_txt(&self) -> &str {
        &self.robots
    }

    fn allow(&self, bot: &str, client: &str, per_minute: u32) -> bool {
        let cap = f64::from(per_minute.max(1));
        let now = Instant::now();
        let mut m = match self.buckets.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if m.len() > 100_000 {
            // Bounded memory under a flood of distinct clients.
            m.clear();
        }
        let e = m
            .entry((bot.to_string(), client.to_string()))
            .or_insert((cap, now));
        e.0 = (e.0 + now.duration_since(e.1).as_secs_f64() * cap / 60.0).min(cap);
        e.1 = now;
        if e.0 >= 1.0 {
            e.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Middleware: applies the bot policy.
pub async fn guard(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(bots) = st.bots.as_ref() else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    if path == "/robots.txt"
        || path.starts_with("/v1/admin/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
    {
        return next.run(req).await;
    }
    let headers: Vec<(String, String)> = req
        .headers()
        .get_all(http::header::USER_AGENT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| ("User-Agent".to_string(), v.to_string()))
        .collect();
    let Some(m) = bots.catalog.identify(&headers) else {
        return next.run(req).await;
    };
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let action = bots.policy.action_for(&m.name, m.category);
    let (label, refuse) = match action {
        BotAction::Allow | BotAction::RobotsOnly => ("allow", None),
        BotAction::Block => (
            "block",
            Some(ApiError::new(
                StatusCode::FORBIDDEN,
                "bot_blocked",
                format!(
                    "{} ({}) is not allowed here; see /robots.txt",
                    m.name, m.operator
                ),
            )),
        ),
        BotAction::RateLimit { per_minute } => {
            if bots.allow(&m.name, &client, per_minute) {
                ("rate_limit_pass", None)
            } else {
                (
                    "rate_limited",
                    Some(ApiError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "bot_rate_limited",
                        format!("{} may make {per_minute} requests per minute", m.name),
                    )),
                )
            }
        }
    };
    st.metrics.bot(&m.name, &format!("{:?}", m.category), label);
    match refuse {
        None => next.run(req).await,
        Some(e) => {
            let mut cx = Ctx::new(&st, "bots", None, Some(client));
            cx.source = "bots";
            let mut r = cx.fail(&st, e).await;
            if label == "rate_limited" {
                r.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from_static("60"),
                );
            }
            r
        }
    }
}

/// `GET /robots.txt`.
pub async fn robots(State(st): State<Arc<AppState>>) -> Response {
    match st.bots.as_ref().filter(|_| st.cfg.bots.robots_txt) {
        Some(b) => (
            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            b.robots_txt().to_string(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
