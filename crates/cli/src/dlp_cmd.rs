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
    /// Mask what the catalogue finds in a text (argument or `-` for stdin).
    Mask(MaskArgs),
    /// Put tokenised values (`tok_…`) in a text back, with the key.
    Unmask {
        /// The text, or `-` for stdin.
        text: String,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Print a new random 256-bit masking key (hex).
    Keygen,
    /// Classify the columns of a CSV, JSON or JSONL file (by extension,
    /// or --as): a data type and grade per column and per file.
    Columns {
        /// The file.
        file: PathBuf,
        /// csv, json or jsonl (default: from the extension).
        #[arg(long = "as", value_name = "FORMAT")]
        format: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Time the engine alone (catalogue already loaded) on a file.
    Bench {
        /// The text file.
        file: PathBuf,
        /// Passes over the file per size: the first shows what a one-shot
        /// scan pays (the regexes' lazy caches warm up in it), the rest
        /// the steady state, reported as their median and best.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        rounds: u32,
    },
    /// List the catalogue.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Where the masking key comes from.
#[derive(clap::Args, Clone)]
pub struct KeyArgs {
    /// Environment variable holding the key (64 hex or 44 base64 chars).
    #[arg(long, value_name = "VAR")]
    key_env: Option<String>,
    /// File holding the key.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
}

impl KeyArgs {
    fn keys(&self) -> anyhow::Result<Option<palisade_mask::Keys>> {
        Ok(match (&self.key_env, &self.key_file) {
            (Some(v), None) => Some(palisade_mask::Keys::from_env(v)?),
            (None, Some(f)) => Some(palisade_mask::Keys::from_file(f)?),
            (None, None) => None,
            (Some(_), Some(_)) => anyhow::bail!("give --key-env or --key-file, not both"),
        })
    }
}

/// Options of `palisade dlp mask`.
#[derive(clap::Args)]
pub struct MaskArgs {
    /// The text, or `-` for stdin.
    text: String,
    /// redact, partial, hash, tokenize or fpe.
    #[arg(long, default_value = "redact")]
    method: String,
    /// For partial: characters kept at the start.
    #[arg(long, default_value_t = 0)]
    keep_first: usize,
    /// For partial: characters kept at the end.
    #[arg(long, default_value_t = 4)]
    keep_last: usize,
    /// Only these types (repeatable); default all.
    #[arg(long = "type", value_name = "ID")]
    types: Vec<String>,
    /// Only this grade and above (S1–S4).
    #[arg(long, value_name = "GRADE")]
    min_grade: Option<String>,
    #[command(flatten)]
    key: KeyArgs,
}

fn read_text(arg: &str) -> anyhow::Result<String> {
    if arg == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .context("reading stdin (is it UTF-8?)")?;
        Ok(s)
    } else {
        Ok(arg.to_string())
    }
}

/// Parses `S1`…`S4` (none means S1).
pub fn parse_grade(g: Option<&str>) -> anyhow::Result<palisade_dlp::Grade> {
    use palisade_dlp::Grade;
    Ok(match g {
        None | Some("S1") => Grade::S1,
        Some("S2") => Grade::S2,
        Some("S3") => Grade::S3,
        Some("S4") => Grade::S4,
        Some(g) => anyhow::bail!("grade {g:?}: expected S1, S2, S3 or S4"),
    })
}

fn mask_cmd(eng: &Engine, a: MaskArgs) -> anyhow::Result<ExitCode> {
    use palisade_mask::Method;
    let method = Method::from_name(&a.method, a.keep_first, a.keep_last).ok_or_else(|| {
        anyhow::anyhow!(
            "--method {:?}: expected one of {}",
            a.method,
            Method::NAMES.join(", ")
        )
    })?;
    let min = parse_grade(a.min_grade.as_deref())?;
    let keys = a.key.keys()?;
    anyhow::ensure!(
        keys.is_some() || !method.needs_key(),
        "--method {} needs a key: --key-env VAR or --key-file FILE (make one with `palisade dlp keygen`)",
        a.method
    );
    let masker = palisade_mask::Masker::new(keys);
    let text = read_text(&a.text)?;
    let spans: Vec<(usize, usize, Method, String)> = eng
        .scan(&text)
        .into_iter()
        .filter(|e| e.grade >= min && (a.types.is_empty() || a.types.contains(&e.type_id)))
        .map(|e| {
            // FPE needs at least six numerals; a shorter value is masked
            // in full rather than left readable.
            let m = match &method {
                Method::Fpe { .. } => {
                    let n = text
                        .get(e.start..e.end)
                        .map(|v| v.chars().filter(char::is_ascii_alphanumeric).count())
                        .unwrap_or(0);
                    if n >= 6 {
                        method.clone()
                    } else {
                        Method::Partial {
                            keep_first: 0,
                            keep_last: 0,
                            mask_char: None,
                        }
                    }
                }
                m => m.clone(),
            };
            (e.start, e.end, m, e.type_id.clone())
        })
        .collect();
    print!("{}", masker.mask_spans(&text, &spans)?);
    if a.text != "-" {
        println!();
    }
    Ok(ExitCode::SUCCESS)
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
        Some(DlpCommand::Mask(m)) => mask_cmd(&eng, m),
        Some(DlpCommand::Columns { file, format, json }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {} (UTF-8 text)", file.display()))?;
            let fmt = format.unwrap_or_else(|| {
                file.extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase()
            });
            let hints = palisade_dlp::structured::Hints::builtin()?;
            let c = match fmt.as_str() {
                "csv" => palisade_dlp::structured::classify_csv(&eng, &hints, &text),
                "json" => palisade_dlp::structured::classify_json(&eng, &hints, &text, false),
                "jsonl" | "ndjson" => {
                    palisade_dlp::structured::classify_json(&eng, &hints, &text, true)
                }
                other => anyhow::bail!(
                    "{}: format {other:?} is not csv, json or jsonl (use --as)",
                    file.display()
                ),
            }
            .with_context(|| file.display().to_string())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else {
                println!(
                    "{} records; file grade {}",
                    c.records,
                    c.grade.map(|g| format!("{g:?}")).unwrap_or("-".into())
                );
                println!(
                    "{:<32} {:<28} {:>6} {:>5} {:>7}  grade",
                    "column", "type", "share", "hint", "sampled"
                );
                for col in &c.columns {
                    println!(
                        "{:<32} {:<28} {:>6.2} {:>5} {:>7}  {}",
                        col.column,
                        col.type_id.as_deref().unwrap_or("-"),
                        col.share,
                        if col.name_hint { "yes" } else { "" },
                        col.sampled,
                        col.grade.map(|g| format!("{g:?}")).unwrap_or("-".into())
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(DlpCommand::Bench { file, rounds }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {} (UTF-8 text)", file.display()))?;
            let mib = text.len() as f64 / 1048576.0;
            // Texts of the size the guard and gateway see, and whole.
            for (label, size) in [("4 KiB pieces", 4096usize), ("whole file", usize::MAX)] {
                let mut speeds = Vec::new();
                let mut found = 0usize;
                for _ in 0..rounds {
                    let t = std::time::Instant::now();
                    found = 0;
                    let mut at = 0;
                    while at < text.len() {
                        let mut end = at.saturating_add(size).min(text.len());
                        while !text.is_char_boundary(end) {
                            end += 1;
                        }
                        found += eng.scan(&text[at..end]).len();
                        at = end;
                    }
                    speeds.push(mib / t.elapsed().as_secs_f64());
                }
                let first = speeds.remove(0);
                let mut line = format!("{label}: {mib:.1} MiB, first pass {first:.1} MiB/s");
                if !speeds.is_empty() {
                    speeds.sort_by(f64::total_cmp);
                    let median = speeds[speeds.len() / 2];
                    let best = speeds[speeds.len() - 1];
                    line.push_str(&format!(
                        ", then median {median:.1} MiB/s (best {best:.1}) over {} passes",
                        speeds.len()
                    ));
                }
                println!("{line}; one thread, {found} entities");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(DlpCommand::Keygen) => {
            println!("{}", palisade_mask::Keys::try_generate()?.to_hex());
            Ok(ExitCode::SUCCESS)
        }
        Some(DlpCommand::Unmask { text, key }) => {
            let keys = key
                .keys()?
                .ok_or_else(|| anyhow::anyhow!("unmask needs --key-env or --key-file"))?;
            let masker = palisade_mask::Masker::new(Some(keys));
            let text = read_text(&text)?;
            let re = regex::Regex::new(r"tok_[A-Za-z0-9_-]{16,}")?;
            let mut out = String::with_capacity(text.len());
            let mut at = 0;
            for m in re.find_iter(&text) {
                out.push_str(text.get(at..m.start()).unwrap_or(""));
                out.push_str(&masker.detokenize(m.as_str())?);
                at = m.end();
            }
            out.push_str(text.get(at..).unwrap_or(""));
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
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
