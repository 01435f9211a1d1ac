//! The Palisade gateway: an OpenAI- and Anthropic-compatible proxy that
//! inspects every prompt and answer with the guard, a detection API, and a
//! durable event log.
//!
//! Design: the proxy is a set of explicit phases (accept → authenticate →
//! read and parse → route → inspect the request → forward → inspect the
//! answer → respond), each in one function of `proxy.rs`, so a reader can
//! see what happens to a request in one place. The guard runs in-process
//! (tiers 1–2 take tens of microseconds, so there is nothing to gain from
//! a sidecar). Streamed answers are inspected over a bounded sliding
//! window (`stream.rs`) and never buffered whole. Events go through a
//! bounded queue to a writer thread (the `store` crate) so SQLite never
//! sits on the request path; shutdown drains the queue. Errors reach
//! clients in the shape their SDK expects (`error.rs`).

pub mod answer;
mod api;
pub mod auth;
pub mod blocks;
pub mod bots;
pub mod config;
mod ctx;
pub mod discovery;
pub mod error;
pub mod extract;
pub mod inspect;
pub mod limits;
mod metrics;
mod proxy;
pub mod sse;
mod state;
mod stream;
pub mod upstream;
pub mod waf;

pub use config::{Config, ConfigError};
pub use state::{AppState, GuardFactory, StartError};

use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use extract::Api;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

type Ci = Option<ConnectInfo<SocketAddr>>;

fn addr(ci: Ci) -> Option<String> {
    ci.map(|c| c.0.to_string())
}

async fn chat(State(st): State<Arc<AppState>>, ci: Ci, req: Request) -> Response {
    proxy::proxy(st, Api::Chat, addr(ci), req).await
}
async fn completions(State(st): State<Arc<AppState>>, ci: Ci, req: Request) -> Response {
    proxy::proxy(st, Api::Completions, addr(ci), req).await
}
async fn embeddings(State(st): State<Arc<AppState>>, ci: Ci, req: Request) -> Response {
    proxy::proxy(st, Api::Embeddings, addr(ci), req).await
}
async fn responses(State(st): State<Arc<AppState>>, ci: Ci, req: Request) -> Response {
    proxy::proxy(st, Api::Responses, addr(ci), req).await
}
async fn messages(State(st): State<Arc<AppState>>, ci: Ci, req: Request) -> Response {
    proxy::proxy(st, Api::Messages, addr(ci), req).await
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked; answered 500");
    axum::response::IntoResponse::into_response(error::ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "the gateway failed on this request (a bug: please report it)",
    ))
}

/// A built gateway.
pub struct Gateway {
    state: Arc<AppState>,
}

impl Gateway {
    /// Builds the state (policies, upstreams, store, writer, keys).
    pub fn new(cfg: Config, factory: &GuardFactory) -> Result<Self, StartError> {
        Ok(Self {
            state: Arc::new(AppState::new(cfg, factory)?),
        })
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// All routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/completions", post(completions))
            .route("/v1/embeddings", post(embeddings))
            .route("/v1/responses", post(responses))
            .route("/v1/messages", post(messages))
            .route("/v1/models", get(proxy::models))
            .route("/v1/guard/check", post(api::check))
            .route("/v1/guard/check/batch", post(api::batch))
            .route("/v1/events", get(api::events))
            .route("/v1/admin/keys", get(api::keys).post(api::keys))
            .route("/v1/admin/keys/:id", delete(api::revoke))
            .route("/v1/admin/blocks", get(api::blocks).post(api::blocks))
            .route("/v1/admin/blocks/:addr", delete(api::unblock))
            .route("/v1/admin/api", get(api::api_inventory))
            .route("/robots.txt", get(bots::robots))
            .route("/metrics", get(api::metrics))
            .route("/healthz", get(api::healthz))
            .route("/readyz", get(api::readyz))
            .fallback(api::fallback)
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                discovery::observe,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                waf::guard,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                bots::guard,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                blocks::guard,
            ))
            .with_state(self.state.clone())
            // A bug must cost one request a 500, not the connection with
            // no answer (every known path returns its own error).
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                panic_response,
            ))
    }

    /// Serves until `shutdown` completes, then stops accepting, lets
    /// in-flight requests finish (at most `grace`), and drains the event
    /// queue. Returns the writer's final counts.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
        grace: Duration,
    ) -> Result<palisade_store::WriterStats, StartError> {
        let st = self.state.clone();
        let (tx, mut rx) = tokio::sync::watch::channel(false);
        // Keys revoked by the CLI (another process) take effect within a
        // second.
        let refresher = {
            let st = st.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    // SQLite work: off the async workers, so no request
                    // waits behind it.
                    let st = st.clone();
                    let _ = tokio::task::spawn_blocking(move || {
                        if let Err(e) = st.discovery.flush(&st.store) {
                            tracing::warn!("saving the API inventory: {e}");
                        }
                        if let Err(e) = st.blocks.reload(&st.store) {
                            tracing::warn!("reloading client blocks: {e}");
                        }
                        if let Err(e) = st.keys.refresh() {
                            tracing::warn!("reloading gateway keys: {e}");
                        }
                    })
                    .await;
                }
            })
        };
        let draining = st.clone();
        let signal = async move {
            shutdown.await;
            draining.draining.store(true, Ordering::Relaxed);
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = tx.send(true);
        };
        let app = self.router();
        let server = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        // Small SSE frames must not wait on Nagle's algorithm.
        .tcp_nodelay(true)
        .with_graceful_shutdown(signal);
        let deadline = async move {
            let _ = rx.wait_for(|v| *v).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            r = server => r?,
            _ = deadline => tracing::warn!("grace period over: closing remaining connections"),
        }
        refresher.abort();
        let st2 = st.clone();
        let stats = tokio::task::spawn_blocking(move || st2.writer.shutdown())
            .await
            .map_err(|e| StartError::Io(std::io::Error::other(e.to_string())))?;
        Ok(stats)
    }
}
