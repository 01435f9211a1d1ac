//! `palisade soc ingest PATH|-`: logs into the store, each record mapped to
//! the SOC's OCSF-aligned event model (`palisade_soc::ocsf`) with the
//! original kept for Sigma. `soc hunt --ingested` then hunts over them.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options of `palisade soc ingest`.
#[derive(clap::Args)]
pub struct IngestArgs {
    /// Log files or folders (.evtx, .json, .jsonl/.ndjson, .log syslog or
    /// JSON Lines); `-` reads JSON Lines from standard input.
    paths: Vec<PathBuf>,
}

/// Largest JSON line read (longer ones are reported and skipped).
const MAX_LINE: usize = 16 << 20;

fn files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" || p.is_file() {
            out.push(p.clone());
        } else if p.is_dir() {
            out.extend(crate::soc_hunt::walk(p)?);
        } else {
            anyhow::bail!("{}: no such file or folder", p.display());
        }
    }
    out.sort();
    Ok(out)
}

/// The records of one file as JSON, with per-record errors.
fn records(p: &Path, errors: &mut Vec<String>) -> Vec<Value> {
    let name = p.display().to_string();
    let ext = p
        .extension()
        .and_then(|x| x.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let mut out = Vec::new();
    if ext == "evtx" {
        match evtx::EvtxParser::from_path(p) {
            Ok(mut parser) => {
                for r in parser.records_json_value() {
                    match r {
                        Ok(rec) => out.push(rec.data),
                        Err(e) => errors.push(format!("{name}: {e}")),
                    }
                }
            }
            Err(e) => errors.push(format!("{name}: not a readable EVTX file: {e}")),
        }
        return out;
    }
    let reader: Box<dyn std::io::Read> = if p.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                errors.push(format!("{name}: cannot read: {e}"));
                return out;
            }
        }
    };
    if ext == "json" {
        let mut text = String::new();
        if let Err(e) = std::io::Read::read_to_string(&mut { reader }, &mut text) {
            errors.push(format!("{name}: {e}"));
            return out;
        }
        // One document, an array, or concatenated documents (evtx_dump).
        for (n, doc) in serde_json::Deserializer::from_str(&text)
            .into_iter::<Value>()
            .enumerate()
        {
            match doc {
                Ok(Value::Array(items)) => out.extend(items),
                Ok(v) => out.push(v),
                Err(e) => {
                    errors.push(format!("{name}: document {}: invalid JSON: {e}", n + 1));
                    break;
                }
            }
        }
        return out;
    }
    let mut syslog = None;
    for (i, line) in BufReader::new(reader).split(b'\n').enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                errors.push(format!("{name}: line {}: {e}", i + 1));
                break;
            }
        };
        if line.len() > MAX_LINE {
            errors.push(format!(
                "{name}: line {}: longer than {MAX_LINE} bytes, skipped",
                i + 1
            ));
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        // A `.log` file is JSON Lines or syslog; its first line decides.
        let is_syslog = *syslog.get_or_insert(ext == "log" && !t.starts_with('{'));
        if is_syslog {
            out.push(palisade_soc::syslog::parse(t));
        } else {
            match serde_json::from_str::<Value>(t) {
                Ok(v) if v.is_object() => out.push(v),
                Ok(_) => errors.push(format!("{name}: line {}: not a JSON object", i + 1)),
                Err(e) => errors.push(format!("{name}: line {}: invalid JSON: {e}", i + 1)),
            }
        }
    }
    out
}

/// Runs `palisade soc ingest`.
pub fn run(
    a: IngestArgs,
    config: Option<&PathBuf>,
    storage: Option<&PathBuf>,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        !a.paths.is_empty(),
        "give log files or folders, or `-` for JSON Lines on standard input"
    );
    let store = crate::soc_cmd::open_store(config, storage)?;
    let mut total = 0usize;
    let mut errors = Vec::new();
    let mut classes: std::collections::BTreeMap<String, usize> = Default::default();
    for f in files(&a.paths)? {
        let source = f.display().to_string();
        let recs = records(&f, &mut errors);
        let rows: Vec<(i64, String, String, String)> = recs
            .iter()
            .map(|r| {
                let o = palisade_soc::ocsf::to_ocsf(r, &source);
                let class = o["class_name"].as_str().unwrap_or("Base Event").to_string();
                *classes.entry(class.clone()).or_default() += 1;
                (
                    o["time"].as_i64().unwrap_or(0),
                    source.clone(),
                    class,
                    o.to_string(),
                )
            })
            .collect();
        total += store.add_soc_events(&rows)?;
    }
    for e in errors.iter().take(1000) {
        eprintln!("palisade: {e}");
    }
    let by_class: Vec<String> = classes.iter().map(|(c, n)| format!("{n} {c}")).collect();
    println!(
        "ingested {total} events ({}); {} records skipped",
        by_class.join(", "),
        errors.len()
    );
    Ok(ExitCode::SUCCESS)
}
