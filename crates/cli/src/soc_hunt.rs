//! `palisade soc hunt`: Sigma rules over logs, then triage, incidents and
//! (unless `--no-store`) the incidents saved for `soc report` and
//! `soc playbook`.

use anyhow::Context;
use palisade_sigma::{Engine, Event, FieldValue, Hunter, RuleSet};
use palisade_soc::alert::{alert_id, entities_from_fields};
use palisade_soc::{Alert, Incident, Judged, Level, Triager};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Incidents and alert counts for people.
    Table,
    /// One document: alerts, incidents, rule load errors, stats.
    Json,
    /// One alert per line: rule_id, rule_title, level, tags, file,
    /// incident, time, verdict, confidence, entities.
    Jsonl,
}

/// Options of `palisade soc hunt`.
#[derive(clap::Args)]
pub struct HuntArgs {
    /// Log files or folders: .evtx, .json, .jsonl/.ndjson, syslog (.log);
    /// `-` reads JSON Lines from standard input.
    paths: Vec<PathBuf>,
    /// Also hunt over the gateway's events in the store.
    #[arg(long)]
    events: bool,
    /// Also hunt over the logs stored with `palisade soc ingest`.
    #[arg(long)]
    ingested: bool,
    /// A folder of Sigma rules (repeatable), e.g. a SigmaHQ checkout's
    /// `rules/`; Palisade's own rules are always loaded.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: Format,
    /// Alerts sharing an entity at most this many minutes apart join one
    /// incident.
    #[arg(long, default_value_t = 30)]
    window_min: i64,
    /// Do not save incidents in the store.
    #[arg(long)]
    no_store: bool,
    /// Known-benign suppressions (YAML list of {name, rules, fields, entities}).
    #[arg(long, value_name = "FILE")]
    suppressions: Option<PathBuf>,
    /// Asset criticality (YAML map of entity value → 0..3).
    #[arg(long, value_name = "FILE")]
    assets: Option<PathBuf>,
    /// Never show a progress bar.
    #[arg(long)]
    quiet: bool,
}

/// The entity fields copied from an event into its alerts.
const ENTITY_FIELDS: &[&str] = &[
    "Computer",
    "host",
    "hostname",
    "host.name",
    "User",
    "SubjectUserName",
    "TargetUserName",
    "user",
    "IpAddress",
    "SourceIp",
    "src_ip",
    "client_addr",
    "key_id",
    "Image",
    "ParentImage",
    "NewProcessName",
    "model",
    "mcp_server",
    "TargetFilename",
    "Hashes",
    "CommandLine",
    "categories",
    "route",
    "error",
];

fn field_text(v: &FieldValue) -> String {
    match v {
        FieldValue::List(items) => items.iter().map(field_text).collect::<Vec<_>>().join(","),
        other => other
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{other:?}")),
    }
}

/// Palisade's bundled rules plus the given folders.
pub fn load_rules(dirs: &[PathBuf]) -> (RuleSet, Vec<palisade_sigma::LoadError>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in palisade_soc::rules::BUILTIN {
        match RuleSet::from_yaml_str(name, text) {
            Ok(r) => rules.extend(r),
            Err(e) => errors.push(e),
        }
    }
    for d in dirs {
        let (set, errs) = RuleSet::load_dir(d);
        rules.extend(set.rules().iter().cloned());
        errors.extend(errs);
    }
    let (set, errs) = RuleSet::from_rules(rules);
    errors.extend(errs);
    (set, errors)
}

pub(crate) enum Source {
    File(PathBuf),
    Stdin,
    Store,
    /// Ingested records of one original source.
    Ingested(String, Vec<Value>),
}

pub(crate) fn collect(paths: &[PathBuf], out: &mut Vec<Source>) -> anyhow::Result<()> {
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Source::Stdin);
        } else if p.is_dir() {
            let mut files: Vec<PathBuf> = walk(p)?;
            files.sort();
            out.extend(files.into_iter().map(Source::File));
        } else if p.exists() {
            out.push(Source::File(p.clone()));
        } else {
            anyhow::bail!("{}: no such file or folder", p.display());
        }
    }
    Ok(())
}

/// The log files (.evtx, .json, .jsonl, .ndjson, .log) below a folder.
pub(crate) fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension()
                    .and_then(|x| x.to_str())
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
                Some("evtx" | "json" | "jsonl" | "ndjson" | "log")
            ) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// Every event of a source, with per-record errors kept.
pub(crate) fn events_of<'a>(
    src: &'a Source,
    store: Option<&palisade_store::Store>,
) -> (String, Box<dyn Iterator<Item = Result<Event, String>> + 'a>) {
    match src {
        Source::Stdin => (
            "-".into(),
            Box::new(
                palisade_sigma::read_jsonl(std::io::stdin()).map(|r| r.map_err(|e| e.to_string())),
            ),
        ),
        Source::Ingested(name, docs) => (
            name.clone(),
            Box::new(docs.iter().map(|d| {
                let mut ev = Event::from_json(d.get("raw").cloned().unwrap_or(Value::Null));
                if ev.timestamp().is_none() {
                    if let Some(ms) = d.get("time").and_then(Value::as_i64).filter(|t| *t > 0) {
                        ev.set_timestamp(Some(ms.saturating_mul(1000)));
                    }
                }
                Ok(ev)
            })),
        ),
        Source::Store => {
            let mut all = Vec::new();
            if let Some(s) = store {
                let mut q = palisade_store::EventQuery {
                    limit: Some(palisade_store::MAX_LIMIT),
                    ..Default::default()
                };
                loop {
                    match s.query_events(&q) {
                        Ok(page) => {
                            let next = page.next_before_id;
                            // Pages come newest first; hunting wants time order.
                            all.extend(page.events.into_iter().map(|e| {
                                let v = serde_json::to_value(&e).unwrap_or(Value::Null);
                                let mut ev = Event::from_json(v);
                                ev.set_timestamp(Some(e.time_ms.saturating_mul(1000)));
                                Ok(ev)
                            }));
                            match next {
                                Some(n) => q.before_id = Some(n),
                                None => break,
                            }
                        }
                        Err(e) => {
                            all.push(Err(e.to_string()));
                            break;
                        }
                    }
                }
            }
            all.reverse();
            ("gateway".into(), Box::new(all.into_iter()))
        }
        Source::File(p) => {
            let name = p.display().to_string();
            let ext = p
                .extension()
                .and_then(|x| x.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            let it: Box<dyn Iterator<Item = Result<Event, String>> + 'a> = match ext.as_str() {
                "evtx" => {
                    Box::new(palisade_sigma::read_evtx(p).map(|r| r.map_err(|e| e.to_string())))
                }
                "json" => match std::fs::File::open(p) {
                    Ok(f) => Box::new(
                        palisade_sigma::read_json(f)
                            .into_iter()
                            .map(|r| r.map_err(|e| e.to_string())),
                    ),
                    Err(e) => Box::new(std::iter::once(Err(format!("cannot read: {e}")))),
                },
                "log" => match std::fs::read_to_string(p) {
                    Ok(text) if text.trim_start().starts_with('{') => Box::new(
                        palisade_sigma::read_jsonl(std::io::Cursor::new(text.into_bytes()))
                            .map(|r| r.map_err(|e| e.to_string())),
                    ),
                    Ok(text) => Box::new(
                        text.lines()
                            .filter(|l| !l.trim().is_empty())
                            .map(|l| Ok(Event::from_json(palisade_soc::syslog::parse(l))))
                            .collect::<Vec<_>>()
                            .into_iter(),
                    ),
                    Err(e) => Box::new(std::iter::once(Err(format!("cannot read: {e}")))),
                },
                _ => match std::fs::File::open(p) {
                    Ok(f) => Box::new(
                        palisade_sigma::read_jsonl(f).map(|r| r.map_err(|e| e.to_string())),
                    ),
                    Err(e) => Box::new(std::iter::once(Err(format!("cannot read: {e}")))),
                },
            };
            (name, it)
        }
    }
}

fn level(l: palisade_sigma::Level) -> Level {
    Level::parse(l.as_str())
}

/// Gives an event without a recognised timestamp the `time_ms` that
/// Palisade's own events carry.
pub fn stamp(ev: &mut Event) {
    if ev.timestamp().is_none() {
        let ms = ev
            .field("time_ms")
            .and_then(|v| v.as_str().and_then(|s| s.parse::<i64>().ok()));
        if let Some(ms) = ms {
            ev.set_timestamp(Some(ms.saturating_mul(1000)));
        }
    }
}

/// The entity-bearing fields of an event, copied into its alerts.
pub fn snapshot(ev: &Event) -> BTreeMap<String, String> {
    ENTITY_FIELDS
        .iter()
        .filter_map(|f| ev.field(f).map(|v| (f.to_string(), field_text(&v))))
        .collect()
}

/// SOC alerts from the engine's hits on an event of source `name`.
pub fn to_alerts(
    hits: Vec<palisade_sigma::Alert>,
    name: &str,
    snapshot: &BTreeMap<String, String>,
    statuses: &HashMap<String, Option<String>>,
) -> Vec<Alert> {
    hits.into_iter()
        .map(|h| {
            let time_ms = h.timestamp.map(|t| t / 1000).unwrap_or(0);
            let mut fields: BTreeMap<String, String> = h.fields.iter().cloned().collect();
            for (k, v) in snapshot {
                fields.entry(k.clone()).or_insert_with(|| v.clone());
            }
            if let Some(c) = &h.correlation {
                for (k, v) in &c.group {
                    fields.insert(k.clone(), v.clone());
                }
            }
            let entities = entities_from_fields(&fields);
            Alert {
                id: alert_id(&h.rule_id, name, h.event_index, time_ms),
                rule_status: statuses.get(&h.rule_id).cloned().flatten(),
                rule_id: h.rule_id,
                rule_title: h.rule_title,
                level: level(h.level),
                tags: h.tags,
                time_ms,
                file: name.to_string(),
                event_index: h.event_index,
                entities,
                fields,
            }
        })
        .collect()
}

/// Runs `palisade soc hunt`.
pub fn run(
    a: HuntArgs,
    config: Option<&PathBuf>,
    storage: Option<&PathBuf>,
) -> anyhow::Result<ExitCode> {
    let needs_store = a.events || a.ingested || !a.no_store;
    let store = if needs_store {
        Some(crate::soc_cmd::open_store(config, storage)?)
    } else {
        None
    };
    let (set, load_errors) = load_rules(&a.rules);
    for e in &load_errors {
        eprintln!("palisade: rule not loaded: {e}");
    }
    let statuses: HashMap<String, Option<String>> = set
        .rules()
        .iter()
        .map(|r| (r.id.clone(), r.status.clone()))
        .collect();
    let engine = Engine::new(set);
    let mut sources = Vec::new();
    collect(&a.paths, &mut sources)?;
    if a.events {
        sources.push(Source::Store);
    }
    if a.ingested {
        if let Some(st) = &store {
            let mut by_source: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            let mut after = 0;
            loop {
                let page = st.soc_events_after(after, 5000)?;
                let Some(last) = page.last().map(|r| r.0) else {
                    break;
                };
                for (_, src, doc) in page {
                    if let Ok(v) = serde_json::from_str::<Value>(&doc) {
                        by_source.entry(src).or_default().push(v);
                    }
                }
                after = last;
            }
            sources.extend(by_source.into_iter().map(|(s, d)| Source::Ingested(s, d)));
        }
    }
    anyhow::ensure!(
        !sources.is_empty(),
        "nothing to hunt: give log files or folders, `-`, or --events"
    );
    let suppressions = match &a.suppressions {
        Some(p) => serde_yaml::from_str(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| format!("{}: not a list of suppressions", p.display()))?,
        None => Vec::new(),
    };
    let assets: HashMap<String, u8> = match &a.assets {
        Some(p) => serde_yaml::from_str(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| format!("{}: not a map of entity → criticality", p.display()))?,
        None => HashMap::new(),
    };
    let mut triager = Triager::new(suppressions, assets)?;
    if let Some(st) = &store {
        crate::soc_cmd::learn_feedback(st, &mut triager)?;
    }
    let show_bar = !a.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = show_bar.then(|| {
        let b = indicatif::ProgressBar::new(sources.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} files, {msg} [{elapsed}]",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut alerts: Vec<Alert> = Vec::new();
    let mut ingest_errors: Vec<String> = Vec::new();
    let mut events_total = 0u64;
    let mut bytes_total = 0u64;
    let started = std::time::Instant::now();
    for src in &sources {
        if let Source::File(p) = src {
            bytes_total += std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        }
        let (name, events) = events_of(src, store.as_ref());
        let mut hunter = Hunter::new(&engine);
        let mut last_fields: BTreeMap<String, String> = BTreeMap::new();
        let emit = |hits: Vec<palisade_sigma::Alert>,
                    snapshot: &BTreeMap<String, String>,
                    alerts: &mut Vec<Alert>| {
            alerts.extend(to_alerts(hits, &name, snapshot, &statuses));
        };
        for (i, ev) in events.enumerate() {
            match ev {
                Ok(mut ev) => {
                    events_total += 1;
                    stamp(&mut ev);
                    let hits = hunter.process(&ev);
                    if !hits.is_empty() {
                        last_fields = snapshot(&ev);
                        emit(hits, &last_fields, &mut alerts);
                    }
                }
                Err(e) => {
                    if ingest_errors.len() < 1000 {
                        ingest_errors.push(format!("{name}: record {}: {e}", i + 1));
                    }
                }
            }
        }
        let tail = hunter.finish();
        emit(tail, &last_fields, &mut alerts);
        if let Some(b) = &bar {
            b.inc(1);
            b.set_message(format!("{events_total} events, {} alerts", alerts.len()));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let elapsed = started.elapsed();
    alerts.sort_by(|x, y| x.time_ms.cmp(&y.time_ms).then(x.id.cmp(&y.id)));
    let judged: Vec<Judged> = alerts
        .into_iter()
        .map(|al| {
            let triage = triager.judge(&al);
            Judged { alert: al, triage }
        })
        .collect();
    let incidents: Vec<Incident> =
        palisade_soc::group(judged.clone(), a.window_min.saturating_mul(60_000));
    let incident_of: HashMap<&str, &str> = incidents
        .iter()
        .flat_map(|inc| {
            inc.alerts
                .iter()
                .map(move |j| (j.alert.id.as_str(), inc.id.as_str()))
        })
        .collect();
    if !a.no_store {
        if let Some(s) = &store {
            for inc in &incidents {
                crate::soc_cmd::save_incident(s, inc)?;
            }
        }
    }
    for e in &ingest_errors {
        eprintln!("palisade: {e}");
    }
    let mut out = std::io::stdout().lock();
    match a.format {
        Format::Jsonl => {
            for j in &judged {
                let line = json!({
                    "rule_id": j.alert.rule_id, "rule_title": j.alert.rule_title, "level": j.alert.level,
                    "tags": j.alert.tags, "file": j.alert.file, "incident": incident_of.get(j.alert.id.as_str()),
                    "time_ms": j.alert.time_ms, "event_index": j.alert.event_index, "alert_id": j.alert.id,
                    "verdict": j.triage.verdict, "confidence": (f64::from(j.triage.confidence) * 100.0).round() / 100.0,
                    "entities": j.alert.entities.iter().map(|e| format!("{}:{}", e.kind.as_str(), e.value)).collect::<Vec<_>>(),
                });
                writeln!(out, "{line}")?;
            }
        }
        Format::Json => {
            let doc = json!({
                "alerts": judged.iter().map(|j| {
                    let mut v = serde_json::to_value(j).unwrap_or(Value::Null);
                    v["incident"] = json!(incident_of.get(j.alert.id.as_str()));
                    v
                }).collect::<Vec<_>>(),
                "incidents": incidents.iter().map(|i| json!({
                    "id": i.id, "title": i.title, "severity": i.severity, "verdict": i.verdict,
                    "first_ms": i.first_ms, "last_ms": i.last_ms, "alerts": i.alerts.len(),
                    "techniques": i.techniques, "tactics": i.tactics, "owasp_llm": i.owasp_llm,
                    "entities": i.entities, "sources": i.sources,
                })).collect::<Vec<_>>(),
                "load_errors": load_errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                "ingest_errors": ingest_errors,
                "stats": {"files": sources.len(), "events": events_total, "bytes": bytes_total,
                          "alerts": judged.len(), "incidents": incidents.len(),
                          "rules": engine.rules().len(), "elapsed_ms": elapsed.as_millis() as u64},
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        Format::Table => {
            writeln!(
                out,
                "{:<22} {:<9} {:<15} {:>6}  TITLE",
                "INCIDENT", "SEVERITY", "VERDICT", "ALERTS"
            )?;
            for i in &incidents {
                writeln!(
                    out,
                    "{:<22} {:<9} {:<15} {:>6}  {}",
                    i.id,
                    i.severity.as_str(),
                    i.verdict.as_str(),
                    i.alerts.len(),
                    i.title
                )?;
            }
            writeln!(
                out,
                "\n{} files, {} events, {:.1} MB in {:.2} s; {} rules ({} not loaded); {} alerts → {} incidents",
                sources.len(),
                events_total,
                bytes_total as f64 / 1e6,
                elapsed.as_secs_f64(),
                engine.rules().len(),
                load_errors.len(),
                judged.len(),
                incidents.len()
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
