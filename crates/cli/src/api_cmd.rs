//! `palisade api list`: the API inventory a gateway learned from traffic
//! (read from the store it writes to).

use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `palisade api`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ApiCommand,
    /// A palisade.toml (its `storage` is used).
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The SQLite store (overrides the configuration).
    #[arg(long, global = true, value_name = "FILE")]
    storage: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum ApiCommand {
    /// List learned endpoints (templated paths), flagging LLM APIs,
    /// endpoints never called with credentials, and sensitive responses.
    List {
        /// Print the JSON export.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `palisade api`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let store = crate::soc_cmd::open_store(a.config.as_ref(), a.storage.as_ref())?;
    let ApiCommand::List { json } = a.command;
    let eps: Vec<palisade_gateway::discovery::Endpoint> = store
        .endpoints()?
        .iter()
        .filter_map(|r| serde_json::from_str(&r.doc).ok())
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "endpoints": eps }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<7} {:<44} {:>7}  {:<8} {:<20} SENSITIVE",
        "METHOD", "PATH", "CALLS", "AUTH", "LLM API"
    );
    for e in &eps {
        let auth = if e.open() {
            "NONE"
        } else if e.unauthenticated > 0 {
            "mixed"
        } else {
            "yes"
        };
        let sensitive: Vec<&str> = e.sensitive.iter().map(String::as_str).collect();
        println!(
            "{:<7} {:<44} {:>7}  {:<8} {:<20} {}",
            e.method,
            e.template,
            e.count,
            auth,
            e.llm_api.as_deref().unwrap_or("-"),
            if sensitive.is_empty() {
                "-".to_string()
            } else {
                sensitive.join(",")
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
