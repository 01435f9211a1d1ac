//! `palisade`: argument parsing and wiring only; the work lives in the
//! library crates.

mod api_cmd;
mod bench_cmd;
mod dlp_cmd;
mod dlp_scan;
mod eval_cmd;
mod guard_cmd;
mod keys_cmd;
mod scan_cmd;
mod serve_cmd;
mod setup;
mod soc_act;
mod soc_cmd;
mod soc_hunt;
mod soc_ingest;
mod soc_watch;
mod train_cmd;
mod waf_cmd;

use clap::{Parser, Subcommand};

// The gateway allocates per request (JSON bodies, verdicts, events) from
// many threads; mimalloc's per-thread heaps cut allocator time to a
// fraction of glibc malloc's (about 8% of gateway CPU in a profile).
// Transparent huge pages stay on: without them (mimalloc `no_thp` and
// PR_SET_THP_DISABLE, session 52) the gateway served 13 % fewer requests
// at 16 connections (2,920 against 3,350/s, `bench/gateway_ab.sh`), though
// one-thread `palisade bench` lost its multi-millisecond page-zeroing
// stalls (max 16–20 ms → 2.4–2.9 ms).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Palisade: a security platform for AI agents.
#[derive(Parser)]
#[command(name = "palisade", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect prompts, documents, tool text or model outputs.
    Guard(guard_cmd::Args),
    /// Train the tier-2 model from labelled corpora.
    Train(train_cmd::Args),
    /// Measure the guard on labelled corpora.
    Eval(eval_cmd::Args),
    /// Check rule packs and run every rule's examples.
    Rules(setup::RulesArgs),
    /// Time tiers 1–2: fixed-size prompts and a whole corpus.
    Bench(bench_cmd::Args),
    /// Run the gateway: an OpenAI- and Anthropic-compatible guard proxy.
    Serve(serve_cmd::Args),
    /// Create, list and revoke gateway keys.
    Keys(keys_cmd::Args),
    /// Find, classify, grade and mask sensitive data and secrets.
    Dlp(dlp_cmd::Args),
    /// Inventory AI assets (AI-BOM) and find what makes them exploitable.
    Scan(scan_cmd::Args),
    /// Import and inspect offline vulnerability advisories (OSV).
    Advisories(scan_cmd::AdvisoriesArgs),
    /// The SOC: hunt with Sigma rules, incidents, reports and playbooks.
    Soc(soc_cmd::Args),
    /// Score HTTP requests with the web application firewall.
    Waf(waf_cmd::Args),
    /// The API inventory the gateway learned from traffic.
    Api(api_cmd::Args),
}

fn main() -> std::process::ExitCode {
    // `palisade … | head` closes stdout early; `println!` then panics.
    // That is the reader's choice, not an error: exit quietly, as Unix
    // tools do on SIGPIPE, and keep the default report for real panics.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Guard(a) => guard_cmd::run(a),
        Command::Train(a) => train_cmd::run(a),
        Command::Eval(a) => eval_cmd::run(a),
        Command::Rules(a) => setup::run_rules(a),
        Command::Bench(a) => bench_cmd::run(a),
        Command::Serve(a) => serve_cmd::run(a),
        Command::Keys(a) => keys_cmd::run(a),
        Command::Dlp(a) => dlp_cmd::run(a),
        Command::Scan(a) => scan_cmd::run(a),
        Command::Advisories(a) => scan_cmd::run_advisories(a),
        Command::Soc(a) => soc_cmd::run(a),
        Command::Waf(a) => waf_cmd::run(a),
        Command::Api(a) => api_cmd::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("palisade: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
