//! `palisade eval`: metrics of the guard on labelled corpora.

use crate::setup::GuardOpts;
use anyhow::Context;
use palisade_guard::dataset::{self, Split};
use palisade_guard::eval::evaluate;
use std::path::PathBuf;
use std::process::ExitCode;

/// Which rows to measure.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Which {
    /// The fifth of the rows that `palisade train` never sees.
    Test,
    /// The rows training used.
    Train,
    /// Everything.
    All,
}

/// Options of `palisade eval`.
#[derive(clap::Args)]
pub struct Args {
    /// Corpora in the guard JSONL format (default: ../shared/datasets/guard).
    #[arg(long = "data", value_name = "PATH")]
    data: Vec<PathBuf>,
    /// Which rows.
    #[arg(long, value_enum, default_value = "test")]
    split: Which,
    /// Also write the Markdown report to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    json: bool,
    /// List this many misclassified rows.
    #[arg(long, default_value_t = 0)]
    errors: usize,
    #[command(flatten)]
    opts: GuardOpts,
}

/// Runs the subcommand.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let data = if a.data.is_empty() {
        let d = PathBuf::from("../shared/datasets/guard");
        anyhow::ensure!(
            d.is_dir(),
            "no --data given and ../shared/datasets/guard is absent (run from the repository root)"
        );
        vec![d]
    } else {
        a.data.clone()
    };
    let mut rows = dataset::load_paths(&data).context("loading corpora")?;
    match a.split {
        Which::Test => rows.retain(|r| r.split() == Split::Test),
        Which::Train => rows.retain(|r| r.split() == Split::Train),
        Which::All => {}
    }
    let guard = a.opts.build()?;
    let report = evaluate(&guard, &rows, a.errors);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let split = match a.split {
            Which::Test => "test split",
            Which::Train => "train split",
            Which::All => "all rows",
        };
        let title = format!(
            "Guard evaluation ({split} of {})",
            data.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let md = report.to_markdown(&title);
        print!("{md}");
        for (file, label, text) in &report.errors {
            println!("ERR {file} [{label}] {text}");
        }
        if let Some(out) = &a.out {
            std::fs::write(out, &md).with_context(|| format!("writing {}", out.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
