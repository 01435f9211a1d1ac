//! `palisade-mock-upstream`: runs the mock LLM provider as a process, for
//! tests and benchmarks that drive the gateway binary from outside.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use palisade_mock_upstream::{serve_with_shutdown, MockConfig};

/// Deterministic mock of OpenAI- and Anthropic-compatible LLM APIs.
#[derive(Parser, Debug)]
#[command(name = "palisade-mock-upstream", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// Delay before each response head, in milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Delay between stream chunks, in milliseconds.
    #[arg(long, default_value_t = 0)]
    chunk_delay_ms: u64,
    /// Require this API key (`Authorization: Bearer` for OpenAI routes, `x-api-key` for Anthropic).
    #[arg(long)]
    api_key: Option<String>,
}

/// After a shutdown signal, in-flight requests get this long to finish; a
/// `[[mock:stall]]` stream would otherwise hold the process for a minute.
const DRAIN: Duration = Duration::from_secs(5);

async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "palisade-mock-upstream: cannot listen on {}: {e}",
                args.listen
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("palisade-mock-upstream: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Tests parse this exact first line to learn the port, so flush it now
    // rather than when stdout's buffer happens to fill.
    {
        let mut out = std::io::stdout().lock();
        if writeln!(out, "listening on {addr}")
            .and_then(|()| out.flush())
            .is_err()
        {
            return ExitCode::FAILURE;
        }
    }
    let cfg = MockConfig {
        delay: Duration::from_millis(args.delay_ms),
        chunk_delay: Duration::from_millis(args.chunk_delay_ms),
        api_key: args.api_key,
    };
    let stopping = Arc::new(tokio::sync::Notify::new());
    let notify = Arc::clone(&stopping);
    let shutdown = async move {
        signal().await;
        notify.notify_one();
    };
    let result = tokio::select! {
        r = serve_with_shutdown(listener, cfg, shutdown) => r,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(DRAIN).await;
        } => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("palisade-mock-upstream: {e}");
            ExitCode::FAILURE
        }
    }
}
