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
    /// List this many misclassified rows (with `--leave-one-out`: per
    /// left-out source, on standard error).
    #[arg(long, default_value_t = 0)]
    errors: usize,
    /// Leave-one-source-out: for every corpus file, train a model on the
    /// training rows of all the *other* files (plus the default extra
    /// corpora) and measure it on all rows of the left-out file. Estimates
    /// how the model does on a source it has never seen.
    #[arg(long)]
    leave_one_out: bool,
    /// With --leave-one-out: bits of the hashed feature space (see
    /// `palisade train --bits`).
    #[arg(long, default_value_t = palisade_guard::training::TrainConfig::default().bits)]
    train_bits: u32,
    /// With --leave-one-out: passes over the data.
    #[arg(long, default_value_t = palisade_guard::training::TrainConfig::default().options.epochs)]
    train_epochs: usize,
    /// With --leave-one-out: L2 penalty.
    #[arg(long, default_value_t = palisade_guard::training::TrainConfig::default().options.l2)]
    train_l2: f32,
    /// With --leave-one-out: shuffle seed of the fits.
    #[arg(long, default_value_t = palisade_guard::training::TrainConfig::default().options.seed)]
    train_seed: u64,
    /// With --leave-one-out: fits averaged into each head.
    #[arg(long, default_value_t = palisade_guard::training::TrainConfig::default().options.seeds)]
    train_seeds: usize,
    /// With --leave-one-out: weight of hard-negative corpora when the
    /// attack head's threshold is set (see `palisade train`).
    #[arg(long)]
    train_attack_threshold_hard_weight: Option<f32>,
    /// With --leave-one-out: the same for the unsafe head.
    #[arg(long)]
    train_unsafe_threshold_hard_weight: Option<f32>,
    /// With --leave-one-out: per-corpus false-positive cap of the attack
    /// head (see `palisade train --max-source-fpr`).
    #[arg(long)]
    train_max_source_fpr: Option<f32>,
    /// With --leave-one-out: the same cap for the unsafe head (see
    /// `palisade train --unsafe-max-source-fpr`).
    #[arg(long)]
    train_unsafe_max_source_fpr: Option<f32>,
    /// With --leave-one-out: weight of the glosses of prompts in other
    /// languages (see `palisade train --gloss-weight`).
    #[arg(long)]
    train_gloss_weight: Option<f32>,
    /// With --leave-one-out: training weight of one corpus in place of its default,
    /// `FILE=WEIGHT` (see `palisade train --source-weight`); repeatable.
    #[arg(long, value_parser = crate::train_cmd::parse_source_weight)]
    train_source_weight: Vec<(String, f32)>,
    #[command(flatten)]
    opts: GuardOpts,
}

/// Runs the subcommand.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let data = crate::setup::corpora_or_dev(&a.data)?;
    let mut rows = dataset::load_paths(&data).context("loading corpora")?;
    match a.split {
        Which::Test => rows.retain(|r| r.split() == Split::Test),
        Which::Train => rows.retain(|r| r.split() == Split::Train),
        Which::All => {}
    }
    if a.leave_one_out {
        return leave_one_out(&a, &data);
    }
    let guard = a.opts.build_timed()?;
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

fn leave_one_out(a: &Args, data: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let range = palisade_guard::training::TRAIN_BITS;
    anyhow::ensure!(
        range.contains(&a.train_bits),
        "--train-bits must be in {range:?}, not {}",
        a.train_bits
    );
    use palisade_guard::training::{augment_glosses, augment_tool_poisoning, train, TrainConfig};
    let eval_rows = dataset::load_paths(data).context("loading corpora")?;
    let mut train_rows = dataset::load_paths(&crate::train_cmd::default_data(true))
        .context("loading training corpora")?;
    train_rows.extend(crate::train_cmd::document_set_rows(
        &crate::train_cmd::document_set_dirs(&[], false),
    )?);
    train_rows.retain(|r| r.split() == Split::Train);
    augment_tool_poisoning(&mut train_rows);
    let mut files: Vec<String> = eval_rows.iter().map(|r| r.file.clone()).collect();
    files.sort();
    files.dedup();
    let base = palisade_guard::Guard::new(a.opts.rules()?, None, a.opts.policy()?)?;
    // The glosses of the training sets' prompts in other languages, as
    // `palisade train` adds them (no dev corpus is in a glossed language,
    // so leaving a corpus out leaves none of its rows' glosses in).
    let gloss_weight = a
        .train_gloss_weight
        .unwrap_or(TrainConfig::default().gloss_weight);
    if gloss_weight > 0.0 {
        augment_glosses(&base, &mut train_rows);
    }
    println!("| left-out source | label | rows | flagged | rate |\n|---|---|---|---|---|");
    let (mut fprs, mut attack, mut unsafe_) = (Vec::new(), (0usize, 0usize), (0usize, 0usize));
    // The judge band: harmful rows in the band and harmful rows flagged if a
    // judge on the band were always right, per view; benign rates per
    // source, like the FPR.
    let (mut in_band_attack, mut in_band_unsafe) = (0usize, 0usize);
    let (mut oracle_attack, mut oracle_unsafe) = (0usize, 0usize);
    let (mut band_benign, mut oracle_fprs) = (Vec::new(), Vec::new());
    for f in &files {
        let rows: Vec<_> = train_rows
            .iter()
            .filter(|r| &r.file != f)
            .cloned()
            .collect();
        let mut cfg = TrainConfig {
            bits: a.train_bits,
            ..TrainConfig::default()
        };
        cfg.options.epochs = a.train_epochs;
        cfg.options.l2 = a.train_l2;
        cfg.options.seed = a.train_seed;
        cfg.options.seeds = a.train_seeds;
        if let Some(w) = a.train_attack_threshold_hard_weight {
            cfg.attack_threshold_hard_weight = w;
        }
        if let Some(w) = a.train_unsafe_threshold_hard_weight {
            cfg.unsafe_threshold_hard_weight = w;
        }
        if let Some(c) = a.train_max_source_fpr {
            cfg.max_source_fpr = c;
        }
        if let Some(c) = a.train_unsafe_max_source_fpr {
            cfg.unsafe_max_source_fpr = c;
        }
        cfg.gloss_weight = gloss_weight;
        cfg.set_source_weights(&a.train_source_weight);
        let (model, _) = train(&base, &rows, &cfg);
        let guard = palisade_guard::Guard::new(a.opts.rules()?, Some(model), a.opts.policy()?)?;
        let held: Vec<_> = eval_rows.iter().filter(|r| &r.file == f).cloned().collect();
        let rep = evaluate(&guard, &held, a.errors);
        for (file, label, text) in &rep.errors {
            eprintln!("ERR {file} [{label}] {text}");
        }
        for (label, band) in &rep.judge_band {
            match label.as_str() {
                "benign" => band_benign.push(band.rate()),
                "unsafe" => in_band_unsafe += band.flagged,
                _ => in_band_attack += band.flagged,
            }
        }
        oracle_attack += rep.attack_oracle_judge.tp;
        oracle_unsafe += rep.unsafe_oracle_judge.tp;
        if rep.judge_band.contains_key("benign") {
            oracle_fprs.push(rep.attack_oracle_judge.fpr());
        }
        for (label, rate) in &rep.by_label {
            println!(
                "| {f} | {label} | {} | {} | {:.3} |",
                rate.n,
                rate.flagged,
                rate.rate()
            );
            match label.as_str() {
                "benign" => fprs.push(rate.rate()),
                "unsafe" => {
                    unsafe_.0 += rate.flagged;
                    unsafe_.1 += rate.n;
                }
                _ => {
                    attack.0 += rate.flagged;
                    attack.1 += rate.n;
                }
            }
        }
    }
    let ratio = |(x, n): (usize, usize)| if n == 0 { 0.0 } else { x as f64 / n as f64 };
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let mean_fpr = mean(&fprs);
    println!(
        "\nUnseen-source estimate: attack recall {:.3} ({} rows), unsafe recall {:.3} ({} rows), benign false-positive rate {:.3} (mean over {} sources)",
        ratio(attack),
        attack.1,
        ratio(unsafe_),
        unsafe_.1,
        mean_fpr,
        fprs.len()
    );
    let band = a.opts.policy()?.band;
    println!(
        "Judge band [{}, {}): a judge would be asked on {:.3} of attack rows, {:.3} of unsafe rows and {:.3} of benign rows (mean over sources); if its every answer were right (an upper bound, not a measurement of any judge): attack recall {:.3}, unsafe recall {:.3}, benign false-positive rate {:.3}",
        band.low,
        band.high,
        ratio((in_band_attack, attack.1)),
        ratio((in_band_unsafe, unsafe_.1)),
        mean(&band_benign),
        ratio((oracle_attack, attack.1)),
        ratio((oracle_unsafe, unsafe_.1)),
        mean(&oracle_fprs)
    );
    Ok(ExitCode::SUCCESS)
}
