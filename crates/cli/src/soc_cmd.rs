//! `palisade soc`: incidents, reports and playbooks over the state in the
//! store (the same SQLite file as the gateway's events).

use anyhow::Context;
use palisade_soc::playbook::{self, ActionRecord, RunOptions};
use palisade_soc::Incident;
use palisade_store::{IncidentRow, Store};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `palisade soc`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SocCommand,
    /// A palisade.toml (its `storage` holds the SOC state).
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The SQLite store (overrides the configuration).
    #[arg(long, global = true, value_name = "FILE")]
    storage: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum SocCommand {
    /// Run Sigma rules (bundled Palisade rules plus --rules folders) over
    /// logs: EVTX, JSON/JSONL, syslog, or the gateway's events in the store.
    Hunt(crate::soc_hunt::HuntArgs),
    /// The live feed: follow the gateway's events in the store, raise and
    /// group alerts as they happen, optionally answer them with playbooks.
    Watch(crate::soc_watch::WatchArgs),
    /// Store logs (EVTX, JSON, JSONL, syslog) as OCSF-aligned events for
    /// `soc hunt --ingested`.
    Ingest(crate::soc_ingest::IngestArgs),
    /// List incidents, newest first.
    Incidents {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Write an incident's report (Markdown or HTML), or its graph.
    Report {
        /// The incident id.
        id: String,
        /// md, html, graph-json or dot.
        #[arg(long, short, default_value = "md")]
        format: String,
        /// Write here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Record an analyst's verdict on an incident's alerts; triage learns
    /// from it (two dismissals of a rule on the same entities, never
    /// confirmed, make a learned allowlist).
    Feedback {
        /// The incident id.
        id: String,
        /// true_positive, benign or false_positive.
        #[arg(long)]
        verdict: String,
        /// Only the alerts of this rule id.
        #[arg(long)]
        rule: Option<String>,
    },
    /// Playbooks: list them, or run them on incidents.
    Playbook {
        #[command(subcommand)]
        command: PlaybookCommand,
    },
}

#[derive(clap::Subcommand)]
enum PlaybookCommand {
    /// List the built-in playbooks and those in --playbooks.
    List {
        /// A folder of extra playbooks (YAML).
        #[arg(long, value_name = "DIR")]
        playbooks: Option<PathBuf>,
    },
    /// Run every playbook whose trigger matches (dry run unless --execute).
    Run {
        /// One incident (default: every stored incident).
        #[arg(long)]
        incident: Option<String>,
        /// Really act.
        #[arg(long)]
        execute: bool,
        /// Approve steps that need approval (key revocation, quarantine).
        #[arg(long)]
        approve: bool,
        /// The gateway to act on, e.g. http://127.0.0.1:8080.
        #[arg(long, value_name = "URL")]
        gateway: Option<String>,
        /// The variable holding the gateway's admin token.
        #[arg(long, default_value = "PALISADE_ADMIN_TOKEN", value_name = "NAME")]
        admin_token_env: String,
        /// Where quarantined files go.
        #[arg(long, default_value = ".palisade-quarantine", value_name = "DIR")]
        quarantine_dir: PathBuf,
        /// A folder of extra playbooks (YAML).
        #[arg(long, value_name = "DIR")]
        playbooks: Option<PathBuf>,
        /// Print JSON records.
        #[arg(long)]
        json: bool,
    },
}

/// Opens the store the configuration names.
pub fn open_store(config: Option<&PathBuf>, storage: Option<&PathBuf>) -> anyhow::Result<Store> {
    let cfg = crate::serve_cmd::config(config, None, storage)?;
    Ok(Store::open(&cfg.storage)?)
}

/// Teaches a triager every verdict analysts recorded.
pub fn learn_feedback(store: &Store, triager: &mut palisade_soc::Triager) -> anyhow::Result<usize> {
    let rows = store.feedback()?;
    for (rule, entities, verdict) in &rows {
        let ents: Vec<palisade_soc::Entity> = serde_json::from_str(entities).unwrap_or_default();
        let v = match verdict.as_str() {
            "true_positive" => palisade_soc::Verdict::TruePositive,
            "benign" => palisade_soc::Verdict::Benign,
            _ => palisade_soc::Verdict::FalsePositive,
        };
        triager.learn(rule, &ents, v);
    }
    Ok(rows.len())
}

/// Stores an incident (replacing an earlier version of it).
pub fn save_incident(store: &Store, inc: &Incident) -> anyhow::Result<()> {
    store.put_incident(&IncidentRow {
        id: inc.id.clone(),
        first_ms: inc.first_ms,
        last_ms: inc.last_ms,
        severity: inc.severity.as_str().to_string(),
        verdict: inc.verdict.as_str().to_string(),
        title: inc.title.clone(),
        doc: serde_json::to_string(inc)?,
    })?;
    Ok(())
}

fn load_incident(store: &Store, id: &str) -> anyhow::Result<Incident> {
    let doc = store.incident(id)?.with_context(|| {
        format!("no incident {id:?} in the store (run `palisade soc hunt` first)")
    })?;
    serde_json::from_str(&doc)
        .with_context(|| format!("incident {id} in the store is not readable"))
}

fn actions(store: &Store, id: &str) -> anyhow::Result<Vec<ActionRecord>> {
    Ok(store
        .actions(id)?
        .iter()
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Runs `palisade soc`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let command = match a.command {
        SocCommand::Hunt(h) => {
            return crate::soc_hunt::run(h, a.config.as_ref(), a.storage.as_ref())
        }
        SocCommand::Watch(w) => {
            return crate::soc_watch::run(w, a.config.as_ref(), a.storage.as_ref())
        }
        SocCommand::Ingest(i) => {
            return crate::soc_ingest::run(i, a.config.as_ref(), a.storage.as_ref())
        }
        other => other,
    };
    let store = open_store(a.config.as_ref(), a.storage.as_ref())?;
    match command {
        SocCommand::Hunt(_) | SocCommand::Watch(_) | SocCommand::Ingest(_) => Ok(ExitCode::SUCCESS),
        SocCommand::Incidents { json, limit } => {
            let rows = store.incidents(limit)?;
            if json {
                let v: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| {
                        serde_json::json!({"id": r.id, "title": r.title, "severity": r.severity,
                            "verdict": r.verdict, "first_ms": r.first_ms, "last_ms": r.last_ms})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "{:<22} {:<9} {:<15} {:<24} TITLE",
                    "ID", "SEVERITY", "VERDICT", "FIRST SEEN"
                );
                for r in rows {
                    println!(
                        "{:<22} {:<9} {:<15} {:<24} {}",
                        r.id,
                        r.severity,
                        r.verdict,
                        palisade_soc::report::fmt_time(r.first_ms),
                        r.title
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SocCommand::Report { id, format, output } => {
            let inc = load_incident(&store, &id)?;
            let acts = actions(&store, &id)?;
            let text = match format.as_str() {
                "md" | "markdown" => palisade_soc::report::markdown(&inc, &acts),
                "html" => palisade_soc::report::html(&inc, &acts),
                "graph-json" | "json" => serde_json::to_string_pretty(&inc.graph)?,
                "dot" => inc.graph.to_dot(&inc.id),
                other => {
                    anyhow::bail!("unknown report format {other:?} (md, html, graph-json, dot)")
                }
            };
            match output {
                Some(p) => {
                    std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?
                }
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        SocCommand::Feedback { id, verdict, rule } => {
            anyhow::ensure!(
                matches!(
                    verdict.as_str(),
                    "true_positive" | "benign" | "false_positive"
                ),
                "--verdict must be true_positive, benign or false_positive"
            );
            let inc = load_incident(&store, &id)?;
            let mut n = 0;
            for j in inc
                .alerts
                .iter()
                .filter(|j| rule.as_deref().is_none_or(|r| r == j.alert.rule_id))
            {
                store.add_feedback(
                    now_ms(),
                    &j.alert.rule_id,
                    &serde_json::to_string(&j.alert.entities)?,
                    &verdict,
                )?;
                n += 1;
            }
            println!("recorded {verdict} for {n} alert(s) of {id}");
            Ok(ExitCode::SUCCESS)
        }
        SocCommand::Playbook { command } => match command {
            PlaybookCommand::List { playbooks } => {
                for p in playbook::load(playbooks.as_deref())? {
                    let steps: Vec<&str> = p.steps.iter().map(|s| s.action.as_str()).collect();
                    println!("{:<30} {} [{}]", p.id, p.name, steps.join(", "));
                }
                Ok(ExitCode::SUCCESS)
            }
            PlaybookCommand::Run {
                incident,
                execute,
                approve,
                gateway,
                admin_token_env,
                quarantine_dir,
                playbooks,
                json,
            } => {
                let books = playbook::load(playbooks.as_deref())?;
                let ids: Vec<String> = match incident {
                    Some(i) => vec![i],
                    None => store.incidents(10_000)?.into_iter().map(|r| r.id).collect(),
                };
                let token = std::env::var(&admin_token_env)
                    .ok()
                    .filter(|t| !t.is_empty());
                let act = crate::soc_act::HttpActuator::new(gateway, token, quarantine_dir)?;
                let mut failed = false;
                for id in ids {
                    let inc = load_incident(&store, &id)?;
                    for p in books.iter().filter(|p| playbook::applies(p, &inc)) {
                        let recs = playbook::run(
                            p,
                            &inc,
                            &act,
                            RunOptions {
                                execute,
                                approve,
                                now_ms: now_ms(),
                            },
                        );
                        for r in recs {
                            failed |= r.status == "failed";
                            store.add_action(
                                &r.incident,
                                r.time_ms,
                                &serde_json::to_string(&r)?,
                            )?;
                            if json {
                                println!("{}", serde_json::to_string(&r)?);
                            } else {
                                println!(
                                    "{} {} {} {}: {} {}",
                                    r.incident, r.playbook, r.action, r.target, r.status, r.detail
                                );
                            }
                        }
                    }
                }
                Ok(if failed {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                })
            }
        },
    }
}
