//! `palisade serve`: the gateway.

use crate::setup::GuardOpts;
use anyhow::Context;
use palisade_gateway::{Config, Gateway};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Options of `palisade serve`.
#[derive(clap::Args)]
pub struct Args {
    /// A palisade.toml; without one, the embedded defaults apply.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The upstream provider's base URL (adds an upstream named
    /// `default`; its key is read from PALISADE_UPSTREAM_API_KEY if set).
    #[arg(long, value_name = "URL")]
    upstream: Option<String>,
    /// A non-LLM application to put behind the gateway too: other routes
    /// are proxied to it (WAF, blocks and API discovery apply).
    #[arg(long, value_name = "URL")]
    app_upstream: Option<String>,
    /// Address to listen on (port 0 picks a free one; the chosen address
    /// is printed).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// The SQLite event and key store.
    #[arg(long, value_name = "FILE")]
    storage: Option<PathBuf>,
    /// Accept requests without a gateway key (only behind another
    /// authenticating proxy).
    #[arg(long)]
    no_auth: bool,
    /// Seconds to let in-flight requests finish on shutdown.
    #[arg(long, default_value_t = 30)]
    grace_secs: u64,
    #[command(flatten)]
    guard: GuardOpts,
}

/// Loads the configuration and applies command-line overrides.
pub fn config(
    path: Option<&PathBuf>,
    upstream: Option<&str>,
    storage: Option<&PathBuf>,
) -> anyhow::Result<Config> {
    let mut cfg = match path {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    if let Some(u) = upstream {
        cfg.upstreams.insert(
            0,
            palisade_gateway::config::UpstreamConfig {
                name: "default".into(),
                url: u.to_string(),
                protocol: Default::default(),
                api_key_env: std::env::var("PALISADE_UPSTREAM_API_KEY")
                    .ok()
                    .map(|_| "PALISADE_UPSTREAM_API_KEY".to_string()),
                api_key_file: None,
                models: Vec::new(),
            },
        );
        cfg.origin = format!("{} + --upstream", cfg.origin);
    }
    if let Some(s) = storage {
        cfg.storage = s.clone();
    }
    cfg.validate()?;
    Ok(cfg)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = tokio::signal::ctrl_c() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the gateway until SIGTERM or SIGINT.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let mut cfg = config(a.config.as_ref(), a.upstream.as_deref(), a.storage.as_ref())?;
    if let Some(l) = a.listen {
        cfg.listen = l;
    }
    if let Some(u) = a.app_upstream {
        cfg.app.upstream = Some(u);
        cfg.validate()?;
    }
    if a.no_auth {
        cfg.auth.require_key = false;
    }
    if cfg.upstreams.is_empty() {
        anyhow::bail!("no upstream: pass --upstream URL or add [[upstreams]] to the configuration");
    }
    // `--policy` is the default policy's guard policy unless the file
    // names one.
    if let Some(p) = &a.guard.policy {
        let d = cfg.policies.entry("default".into()).or_default();
        if d.guard.is_none() {
            d.guard = Some(p.clone());
        }
    }
    let rules = a.guard.clone();
    let factory = move |policy: palisade_guard::Policy| -> Result<palisade_guard::Guard, String> {
        let r = rules.rules().map_err(|e| format!("{e:#}"))?;
        // Built now, not by the first requests that reach each pattern.
        r.compile_all().map_err(|e| e.to_string())?;
        let m = rules.model().map_err(|e| format!("{e:#}"))?;
        let g = palisade_guard::Guard::new(r, m, policy).map_err(|e| e.to_string())?;
        g.warm().map_err(|e| e.to_string())?;
        Ok(g)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let listen = cfg.listen;
        let storage = cfg.storage.clone();
        let gw = Gateway::new(cfg, &factory)?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let local = listener.local_addr()?;
        println!("listening on {local}");
        let _ = std::io::stdout().flush();
        tracing::info!(
            "gateway on http://{local}, events in {}, {} active key(s)",
            storage.display(),
            gw.state().keys.len()
        );
        let stats = gw
            .serve(
                listener,
                shutdown_signal(),
                Duration::from_secs(a.grace_secs),
            )
            .await?;
        tracing::info!(
            "stopped: {} events written, {} dropped, {} write errors",
            stats.written,
            stats.dropped,
            stats.write_errors
        );
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
