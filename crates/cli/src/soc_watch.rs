//! `palisade soc watch`: the live feed. Follows the events a running
//! `palisade serve` writes to the store (the store is the bus: any number
//! of gateways write, one watcher reads), runs the rules with their
//! correlation state kept across polls, re-groups the alerts of the last
//! day into incidents, saves them, and (with `--respond`) runs the
//! playbooks on incidents that have not been answered yet.

use crate::soc_hunt::{load_rules, snapshot, stamp, to_alerts};
use palisade_sigma::{Engine, Event, Hunter};
use palisade_soc::playbook::{self, RunOptions};
use palisade_soc::{Alert, Judged, Triager};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Options of `palisade soc watch`.
#[derive(clap::Args)]
pub struct WatchArgs {
    /// Extra Sigma rule folders (Palisade's own rules are always loaded).
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Seconds between polls of the store.
    #[arg(long, default_value_t = 2)]
    interval: u64,
    /// Incident window in minutes.
    #[arg(long, default_value_t = 30)]
    window_min: i64,
    /// Run matching playbooks on new incidents (dry run unless --execute).
    #[arg(long)]
    respond: bool,
    /// Really act when responding.
    #[arg(long)]
    execute: bool,
    /// The gateway to act on.
    #[arg(long, value_name = "URL")]
    gateway: Option<String>,
    /// The variable holding the gateway's admin token.
    #[arg(long, default_value = "PALISADE_ADMIN_TOKEN", value_name = "NAME")]
    admin_token_env: String,
    /// Stop after this many polls (for tests and cron-style runs; 0 = run
    /// until interrupted).
    #[arg(long, default_value_t = 0)]
    polls: u64,
}

/// Runs `palisade soc watch`.
pub fn run(
    a: WatchArgs,
    config: Option<&PathBuf>,
    storage: Option<&PathBuf>,
) -> anyhow::Result<ExitCode> {
    let store = crate::soc_cmd::open_store(config, storage)?;
    let (set, errors) = load_rules(&a.rules);
    for e in &errors {
        eprintln!("palisade: rule not loaded: {e}");
    }
    let statuses: HashMap<String, Option<String>> = set
        .rules()
        .iter()
        .map(|r| (r.id.clone(), r.status.clone()))
        .collect();
    let engine = Engine::new(set);
    let mut hunter = Hunter::new(&engine);
    let mut triager = Triager::new(Vec::new(), HashMap::new())?;
    crate::soc_cmd::learn_feedback(&store, &mut triager)?;
    let books = playbook::load(None)?;
    let token = std::env::var(&a.admin_token_env)
        .ok()
        .filter(|t| !t.is_empty());
    let act = crate::soc_act::HttpActuator::new(
        a.gateway.clone(),
        token,
        PathBuf::from(".palisade-quarantine"),
    )?;
    let mut judged: Vec<Judged> = Vec::new();
    let mut answered: HashSet<(String, String)> = HashSet::new();
    let mut last_id: Option<i64> = None;
    let mut polls = 0u64;
    eprintln!(
        "palisade: watching {} for gateway events",
        store
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    loop {
        // Events newer than the last seen id, oldest first.
        let mut fresh = Vec::new();
        let mut q = palisade_store::EventQuery {
            limit: Some(palisade_store::MAX_LIMIT),
            ..Default::default()
        };
        loop {
            let page = store.query_events(&q)?;
            let mut done = false;
            for e in page.events {
                if last_id.is_some_and(|l| e.id.unwrap_or(0) <= l) {
                    done = true;
                    break;
                }
                fresh.push(e);
            }
            match page.next_before_id {
                Some(n) if !done => q.before_id = Some(n),
                _ => break,
            }
        }
        fresh.reverse();
        let mut new_alerts: Vec<Alert> = Vec::new();
        for e in &fresh {
            last_id = e.id.max(last_id);
            let v = serde_json::to_value(e).unwrap_or(serde_json::Value::Null);
            let mut ev = Event::from_json(v);
            stamp(&mut ev);
            let hits = hunter.process(&ev);
            if !hits.is_empty() {
                new_alerts.extend(to_alerts(hits, "gateway", &snapshot(&ev), &statuses));
            }
        }
        if !new_alerts.is_empty() {
            for al in new_alerts {
                let triage = triager.judge(&al);
                println!(
                    "{}",
                    serde_json::json!({"alert_id": al.id, "rule_id": al.rule_id, "rule_title": al.rule_title,
                        "level": al.level, "verdict": triage.verdict, "time_ms": al.time_ms})
                );
                judged.push(Judged { alert: al, triage });
            }
            // Keep a day of alerts for grouping; older ones are in stored
            // incidents already.
            let newest = judged.iter().map(|j| j.alert.time_ms).max().unwrap_or(0);
            judged.retain(|j| newest - j.alert.time_ms <= 86_400_000);
            for inc in palisade_soc::group(judged.clone(), a.window_min.saturating_mul(60_000)) {
                crate::soc_cmd::save_incident(&store, &inc)?;
                if !a.respond {
                    continue;
                }
                for p in books.iter().filter(|p| playbook::applies(p, &inc)) {
                    if !answered.insert((inc.id.clone(), p.id.clone())) {
                        continue;
                    }
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                        .unwrap_or(0);
                    for r in playbook::run(
                        p,
                        &inc,
                        &act,
                        RunOptions {
                            execute: a.execute,
                            approve: false,
                            now_ms: now,
                        },
                    ) {
                        store.add_action(&r.incident, r.time_ms, &serde_json::to_string(&r)?)?;
                        eprintln!(
                            "palisade: {} {} {} {}: {} {}",
                            r.incident, r.playbook, r.action, r.target, r.status, r.detail
                        );
                    }
                }
            }
        }
        polls += 1;
        if a.polls > 0 && polls >= a.polls {
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_secs(a.interval.max(1)));
    }
}
