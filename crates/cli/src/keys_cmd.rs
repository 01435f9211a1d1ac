//! `palisade keys`: gateway API keys (stored hashed; the secret is shown
//! once, at creation).

use palisade_store::{NewKey, Store};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `palisade keys`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeysCommand,
    /// A palisade.toml (its `storage` is used).
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The SQLite store (overrides the configuration).
    #[arg(long, global = true, value_name = "FILE")]
    storage: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum KeysCommand {
    /// Create a key and print its secret (once).
    Create {
        /// A name for people.
        #[arg(long)]
        name: String,
        /// The gateway policy this key's requests use.
        #[arg(long)]
        policy: Option<String>,
        /// Models this key may use (globs; repeatable; none = any).
        #[arg(long = "model", value_name = "GLOB")]
        models: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List keys (active and revoked).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by id.
    Revoke {
        /// The key id (the part after `pk_`).
        id: String,
    },
}

/// Runs a keys subcommand.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let cfg = crate::serve_cmd::config(a.config.as_ref(), None, a.storage.as_ref())?;
    let store = Store::open(&cfg.storage)?;
    match a.command {
        KeysCommand::Create {
            name,
            policy,
            models,
            json,
        } => {
            if let Some(p) = &policy {
                anyhow::ensure!(
                    p == "default" || cfg.policies.contains_key(p),
                    "no policy named {p:?} in {}",
                    cfg.origin
                );
            }
            for m in &models {
                globset::Glob::new(m).map_err(|e| anyhow::anyhow!("--model {m:?}: {e}"))?;
            }
            let k = store.create_key(&NewKey {
                name,
                policy,
                models,
            })?;
            if json {
                let mut v = serde_json::to_value(&k.record)?;
                v["key"] = serde_json::Value::String(k.secret);
                println!("{v}");
            } else {
                println!("{}", k.secret);
                eprintln!(
                    "created key {} ({}); the secret above is shown only once",
                    k.record.id, k.record.name
                );
            }
        }
        KeysCommand::List { json } => {
            let keys = store.list_keys()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&keys)?);
            } else {
                println!(
                    "{:<14} {:<20} {:<10} {:<8} models",
                    "id", "name", "policy", "state"
                );
                for k in keys {
                    println!(
                        "{:<14} {:<20} {:<10} {:<8} {}",
                        k.id,
                        k.name,
                        k.policy.as_deref().unwrap_or("default"),
                        if k.revoked_ms.is_some() {
                            "revoked"
                        } else {
                            "active"
                        },
                        if k.models.is_empty() {
                            "*".to_string()
                        } else {
                            k.models.join(",")
                        }
                    );
                }
            }
        }
        KeysCommand::Revoke { id } => {
            if store.revoke_key(&id)? {
                eprintln!("revoked {id}");
            } else {
                anyhow::bail!("no active key with id {id:?}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
