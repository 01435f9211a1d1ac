//! `palisade scan` (AI-BOM and posture) and `palisade advisories`.

use anyhow::Context;
use palisade_core::{Direction, Kind};
use palisade_scan::output;
use palisade_scan::posture::mcp::ToolVerdict;
use palisade_scan::{Options, Scanner, Severity};
use palisade_store::Store;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Output formats of `palisade scan`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// The stable JSON document (components, files, findings, …).
    Json,
    /// CycloneDX 1.6 JSON (AI-BOM with machine-learning-model components).
    Cyclonedx,
    /// SARIF 2.1.0 for code-scanning UIs.
    Sarif,
}

/// Options of `palisade scan`.
#[derive(clap::Args)]
pub struct Args {
    /// A folder, a file, or an archive (.zip, .tar, .tar.gz).
    path: PathBuf,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: Format,
    /// Write the output here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with status 1 when a finding is at least this severe
    /// (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Scan files that .gitignore excludes too.
    #[arg(long)]
    no_gitignore: bool,
    /// A palisade.toml (its `storage` holds imported advisories and tool
    /// pins).
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The SQLite store (overrides the configuration).
    #[arg(long, value_name = "FILE")]
    storage: Option<PathBuf>,
    /// Use no store: built-in advisories only, no tool pinning.
    #[arg(long)]
    no_store: bool,
    /// Do not inspect MCP tool definitions with the guard.
    #[arg(long)]
    no_guard: bool,
    /// Never show a progress bar.
    #[arg(long)]
    quiet: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s)
        .ok_or_else(|| format!("unknown severity `{s}` (info, low, medium, high, critical)"))
}

/// Options of `palisade advisories`.
#[derive(clap::Args)]
pub struct AdvisoriesArgs {
    #[command(subcommand)]
    command: AdvisoriesCommand,
    /// A palisade.toml (its `storage` is used).
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The SQLite store (overrides the configuration).
    #[arg(long, global = true, value_name = "FILE")]
    storage: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum AdvisoriesCommand {
    /// Import an OSV export: a JSON file (one advisory, an array, or
    /// {"advisories": [...]}), a folder of them, or a .zip.
    Import {
        /// File, folder or zip.
        path: PathBuf,
    },
    /// How many advisories are stored (built-in ones are always used).
    Stats,
}

fn open_store(config: Option<&PathBuf>, storage: Option<&PathBuf>) -> anyhow::Result<Arc<Store>> {
    let cfg = crate::serve_cmd::config(config, None, storage)?;
    Ok(Arc::new(Store::open(&cfg.storage)?))
}

/// Runs `palisade advisories`.
pub fn run_advisories(a: AdvisoriesArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(a.config.as_ref(), a.storage.as_ref())?;
    match a.command {
        AdvisoriesCommand::Import { path } => {
            let (advisories, errors) = palisade_scan::advisories::read_path(&path);
            for e in &errors {
                eprintln!("palisade: skipped: {e}");
            }
            let rows = palisade_scan::advisories::to_rows(&advisories, &path.display().to_string());
            let n = store.upsert_advisories(&rows)?;
            let packages: std::collections::BTreeSet<_> =
                rows.iter().flat_map(|r| r.packages.iter()).collect();
            println!(
                "imported {n} advisories for {} packages from {} ({} documents skipped); {} in the store",
                packages.len(),
                path.display(),
                errors.len(),
                store.advisory_count()?
            );
            Ok(if n == 0 && !errors.is_empty() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        AdvisoriesCommand::Stats => {
            let builtin = palisade_scan::advisories::builtin()?.len();
            println!(
                "{} imported advisories; {builtin} built-in",
                store.advisory_count()?
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `palisade scan`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let store = if a.no_store {
        None
    } else {
        Some(open_store(a.config.as_ref(), a.storage.as_ref())?)
    };
    let opts = Options {
        respect_gitignore: !a.no_gitignore,
        ..Options::default()
    };
    let mut scanner = Scanner::new(opts, store).context("loading the scanner's built-in data")?;
    if !a.no_guard {
        // Built on the first tool definition: most scans have none, and
        // loading the guard model is most of a small scan's start-up.
        let cell: std::sync::OnceLock<Option<palisade_guard::Guard>> = std::sync::OnceLock::new();
        scanner = scanner.with_tool_inspector(Box::new(move |text: &str| {
            let guard = cell.get_or_init(|| match crate::setup::GuardOpts::default().build() {
                Ok(g) => Some(g),
                Err(e) => {
                    eprintln!("palisade: warning: MCP tool definitions not inspected: {e:#}");
                    None
                }
            });
            let Some(guard) = guard else {
                return ToolVerdict {
                    flagged: false,
                    categories: Vec::new(),
                    evidence: String::new(),
                };
            };
            let v = guard.check(&palisade_guard::Request {
                text,
                direction: Direction::Input,
                kind: Kind::ToolDescription,
                context: None,
                partial: false,
            });
            let categories: Vec<String> = v
                .findings
                .iter()
                .map(|f| f.category.as_str().to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let evidence = v
                .findings
                .iter()
                .take(3)
                .map(|f| f.message.clone().unwrap_or_else(|| f.detector.clone()))
                .collect::<Vec<_>>()
                .join("; ");
            ToolVerdict {
                flagged: v.flagged,
                categories,
                evidence,
            }
        }));
    }
    let show_bar = !a.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = show_bar.then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} scanning: {msg} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    let progress = |p: palisade_scan::Progress| {
        if let Some(b) = &bar {
            if p.files.is_multiple_of(64) {
                b.set_message(format!("{} files, {:.1} MB", p.files, p.bytes as f64 / 1e6));
            }
        }
    };
    let report = scanner.scan(&a.path, &progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let text = match a.format {
        Format::Table => output::table::render(&report),
        Format::Json => output::json(&report),
        Format::Cyclonedx => output::cyclonedx::render(&report),
        Format::Sarif => output::sarif::render(&report, scanner.rules()),
    };
    match &a.output {
        Some(p) => std::fs::write(p, text.as_bytes())
            .with_context(|| format!("writing {}", p.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                out.write_all(b"\n")?;
            }
            out.flush()?;
        }
    }
    if let Some(min) = a.fail_on {
        if report.max_severity().is_some_and(|s| s >= min) {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
