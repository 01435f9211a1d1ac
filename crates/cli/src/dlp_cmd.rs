//! `palisade dlp`: find, classify, grade and mask sensitive data.

use anyhow::Context;
use palisade_dlp::{Catalog, Engine, Entity};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `palisade dlp`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<DlpCommand>,
    /// Read `{"id"?, "text"}` per line on stdin, write
    /// `{"id", "entities": [...]}` per line.
    #[arg(long)]
    jsonl: bool,
    /// Load the catalogue from this directory instead of the built-in one.
    #[arg(long, global = true, value_name = "DIR")]
    catalog: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum DlpCommand {
    /// Scan files, folders or stdin (`-`) and summarise by type and grade.
    Scan(crate::dlp_scan::ScanArgs),
    /// Validate the catalogue and run every type's examples.
    Check,
    /// Measure on the labelled PII and secrets corpora in ../shared.
    Eval {
        /// PII corpora (default: ../shared/datasets/pii/*.dev.jsonl).
        #[arg(long = "pii", value_name = "FILE")]
        pii: Vec<PathBuf>,
        /// Secrets corpus (default: ../shared/datasets/infra/secrets/samples.jsonl).
        #[arg(long, value_name = "FILE")]
        secrets: Option<PathBuf>,
        /// Also print misses and false positives.
        #[arg(long)]
        errors: bool,
    },
    /// List the catalogue.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Loads the engine.
pub fn engine(catalog: Option<&PathBuf>) -> anyhow::Result<Engine> {
    let c = match catalog {
        Some(d) => Catalog::load_dir(d)?,
        None => Catalog::builtin().context("built-in catalogue")?,
    };
    Ok(Engine::new(c)?)
}

fn entity_json(e: &Entity) -> serde_json::Value {
    serde_json::json!({
        "type": e.type_id, "start": e.start, "end": e.end, "score": (e.score * 1000.0).round() / 1000.0,
        "validated": e.validated, "grade": e.grade, "category": e.category,
    })
}

/// Runs `palisade dlp`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let eng = engine(a.catalog.as_ref())?;
    match a.command {
        None if a.jsonl => jsonl(&eng),
        None => anyhow::bail!(
            "give a subcommand (scan, check, eval, list) or --jsonl; see palisade dlp --help"
        ),
        Some(DlpCommand::Scan(s)) => crate::dlp_scan::run(&eng, s),
        Some(DlpCommand::Check) => {
            let failures = palisade_dlp::check_examples(&eng);
            let n = eng.catalog().types().len();
            let ex: usize = eng
                .catalog()
                .types()
                .iter()
                .map(|t| t.examples.positive.len() + t.examples.negative.len())
                .sum();
            for f in &failures {
                println!("FAIL {f}");
            }
            println!("{n} types, {ex} examples, {} failures", failures.len());
            Ok(if failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(DlpCommand::List { json }) => {
            if json {
                let v: Vec<_> = eng
                    .catalog()
                    .types()
                    .iter()
                    .map(|t| serde_json::json!({"id": t.id, "name": t.name, "category": t.category, "grade": t.grade,
                        "locales": t.locales, "provider": t.provider, "validator": t.validator}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for t in eng.catalog().types() {
                    println!(
                        "{:<36} {:<13} {:?} {:<12} {}",
                        t.id,
                        t.category,
                        t.grade,
                        t.locales.join(","),
                        t.validator.as_deref().unwrap_or("-")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(DlpCommand::Eval {
            pii,
            secrets,
            errors,
        }) => eval(&eng, pii, secrets, errors),
    }
}

fn jsonl(eng: &Engine) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (i, line) in stdin.lock().split(b'\n').enumerate() {
        let line = line.context("reading stdin")?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v: serde_json::Value = match std::str::from_utf8(&line)
            .map_err(|e| format!("line {}: invalid UTF-8 at byte {}", i + 1, e.valid_up_to()))
            .and_then(|s| serde_json::from_str(s).map_err(|e| format!("line {}: {e}", i + 1)))
        {
            Ok(v) => v,
            Err(msg) => {
                writeln!(out, "{}", serde_json::json!({ "error": msg }))?;
                continue;
            }
        };
        let id = v.get("id").cloned();
        let Some(text) = v.get("text").and_then(|t| t.as_str()) else {
            let mut o =
                serde_json::json!({ "error": format!("line {}: no \"text\" string", i + 1) });
            if let Some(id) = id {
                o["id"] = id;
            }
            writeln!(out, "{o}")?;
            continue;
        };
        let ents: Vec<_> = eng.scan(text).iter().map(entity_json).collect();
        writeln!(out, "{}", serde_json::json!({ "id": id, "entities": ents }))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn eval(
    eng: &Engine,
    pii: Vec<PathBuf>,
    secrets: Option<PathBuf>,
    errors: bool,
) -> anyhow::Result<ExitCode> {
    let shared = PathBuf::from("../shared/datasets");
    let pii = if pii.is_empty() {
        let d = shared.join("pii");
        anyhow::ensure!(
            d.is_dir(),
            "no --pii given and {} is absent (run from the repository root)",
            d.display()
        );
        let mut v: Vec<PathBuf> = std::fs::read_dir(&d)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".jsonl"))
            .collect();
        v.sort();
        v
    } else {
        pii
    };
    let refs: Vec<&std::path::Path> = pii.iter().map(PathBuf::as_path).collect();
    let r = palisade_dlp::eval::eval_pii(eng, &refs)?;
    println!(
        "PII: {} records from {}",
        r.records,
        pii.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("| label | gold | precision | recall | fp |\n|---|---|---|---|---|");
    for (l, c) in &r.labels {
        let mark = if palisade_dlp::eval::PATTERN_LABELS.contains(&l.as_str()) {
            ""
        } else {
            " (not a pattern type)"
        };
        println!(
            "| {l}{mark} | {} | {:.3} | {:.3} | {} |",
            c.tp + c.fn_,
            c.precision(),
            c.recall(),
            c.fp
        );
    }
    let t = &r.pattern_total;
    println!(
        "| **pattern types** | {} | **{:.3}** | **{:.3}** | {} |",
        t.tp + t.fn_,
        t.precision(),
        t.recall(),
        t.fp
    );
    for (l, (hit, n)) in &r.hard_negative_hits {
        println!("hard negatives {l}: {hit}/{n} reported");
    }
    if errors {
        for e in &r.errors {
            println!("  {e}");
        }
    }
    let sp = secrets.unwrap_or_else(|| shared.join("infra/secrets/samples.jsonl"));
    if sp.exists() {
        let s = palisade_dlp::eval::eval_secrets(eng, &sp)?;
        println!(
            "\nsecrets ({}): recall {:.3} ({}/{}), look-alike false-positive rate {:.3} ({}/{})",
            sp.display(),
            s.recall(),
            s.found,
            s.secrets,
            s.fpr(),
            s.false_positives,
            s.lookalikes
        );
        if errors {
            for e in &s.errors {
                println!("  {e}");
            }
        }
    } else {
        println!("\n{} not found: secrets skipped", sp.display());
    }
    Ok(ExitCode::SUCCESS)
}
