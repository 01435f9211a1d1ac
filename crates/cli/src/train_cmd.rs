//! `palisade train`: fits the tier-2 model and writes the model file plus a
//! JSON training report for the model card.

use crate::setup::GuardOpts;
use anyhow::Context;
use palisade_guard::dataset::{self, Split};
use palisade_guard::training::{train, TrainConfig};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `palisade train`.
#[derive(clap::Args)]
pub struct Args {
    /// Corpora in the guard JSONL format: files or directories (default:
    /// ../shared/datasets/guard, the project's own data/guard, and the
    /// fetched corpora in ~/.cache/palisade/corpora when present).
    #[arg(long = "data", value_name = "PATH")]
    data: Vec<PathBuf>,
    /// Sets whose documents and tool results train the document head
    /// alone, and whose tool descriptions train the tool head alone
    /// (directories of JSONL rows with `kind`; repeatable; default: blind
    /// sets 1-7, the harmless AI-topic set and the first tool-description
    /// set under eval/, data/guard/tools and the fetched corpora's tools/,
    /// when present).
    #[arg(long = "document-set", value_name = "DIR")]
    document_sets: Vec<PathBuf>,
    /// Train the document and tool heads without any of those sets.
    #[arg(long, conflicts_with = "document_sets")]
    no_document_sets: bool,
    /// Train on every row, including the rows `palisade eval` holds back.
    #[arg(long)]
    all: bool,
    /// Where to write the model.
    #[arg(long, default_value = "models/guard/guard.model")]
    out: PathBuf,
    /// Where to write the training report (JSON).
    #[arg(long, default_value = "models/guard/training-report.json")]
    report: PathBuf,
    /// log2 of the hashed feature table.
    #[arg(long, default_value_t = TrainConfig::default().bits)]
    bits: u32,
    /// Passes over the data.
    #[arg(long, default_value_t = TrainConfig::default().options.epochs)]
    epochs: usize,
    /// Out-of-fold false-positive budget of the attack head.
    #[arg(long, default_value_t = TrainConfig::default().attack_fpr)]
    attack_fpr: f32,
    /// Out-of-fold false-positive budget of the unsafe head.
    #[arg(long, default_value_t = TrainConfig::default().unsafe_fpr)]
    unsafe_fpr: f32,
    /// Out-of-fold false-positive budget of the document head (planted
    /// orders in documents and tool results).
    #[arg(long, default_value_t = TrainConfig::default().document_fpr)]
    document_fpr: f32,
    /// How much more a harmless document or tool result counts than a
    /// harmless prompt read as one when the document head's threshold is
    /// set.
    #[arg(long, default_value_t = TrainConfig::default().document_threshold_hard_weight)]
    document_threshold_hard_weight: f32,
    /// log2 of the table the document head is fitted on: the model's
    /// feature indices folded onto it by their low bits (at most --bits;
    /// default 17, or --bits when that is less).
    #[arg(long)]
    document_bits: Option<u32>,
    /// The same for the tool head.
    #[arg(long)]
    tool_bits: Option<u32>,
    /// The same for the instruction head (per-segment scores that are
    /// features of the others).
    #[arg(long)]
    instruction_bits: Option<u32>,
    /// Largest out-of-fold false-positive rate the document head may have
    /// on any one benign corpus (1 = no cap).
    #[arg(long, default_value_t = TrainConfig::default().document_max_source_fpr)]
    document_max_source_fpr: f32,
    /// Out-of-fold false-positive budget of the tool head (hidden orders
    /// in tool descriptions), a mean over the corpora of harmless ones.
    #[arg(long, default_value_t = TrainConfig::default().tool_fpr)]
    tool_fpr: f32,
    /// Largest out-of-fold false-positive rate the tool head may have on
    /// any one corpus of harmless tool descriptions (1 = no cap).
    #[arg(long, default_value_t = TrainConfig::default().tool_max_source_fpr)]
    tool_max_source_fpr: f32,
    /// Out-of-fold false-positive budget of the statement head (text that
    /// is harmful in itself: abuse, threats, hate), a mean over benign corpora.
    #[arg(long, default_value_t = TrainConfig::default().statement_fpr)]
    statement_fpr: f32,
    /// Largest out-of-fold false-positive rate the statement head may have on
    /// any one benign corpus, the statement sets' harmless rows counting as
    /// one (1 = no cap).
    #[arg(long, default_value_t = TrainConfig::default().statement_max_source_fpr)]
    statement_max_source_fpr: f32,
    /// Out-of-fold false-positive budget of the critical head (requests for
    /// the gravest harms), a mean over benign corpora.
    #[arg(long, default_value_t = TrainConfig::default().critical_fpr)]
    critical_fpr: f32,
    /// Largest out-of-fold false-positive rate the critical head may have on
    /// any one benign corpus (1 = no cap).
    #[arg(long, default_value_t = TrainConfig::default().critical_max_source_fpr)]
    critical_max_source_fpr: f32,
    /// Largest out-of-fold false-positive rate the critical head may have on
    /// the critical sets' own harmless rows taken together (1 = no cap on
    /// them).
    #[arg(long, default_value_t = TrainConfig::default().critical_sets_max_fpr)]
    critical_sets_max_fpr: f32,
    /// Extra weight of benign rows.
    #[arg(long, default_value_t = TrainConfig::default().benign_weight)]
    benign_weight: f32,
    /// Further weight of hard-negative corpora (XSTest safe, WildGuard
    /// benign, clean BIPIA documents, CValues, MT-Bench, Alpaca seeds).
    #[arg(long, default_value_t = TrainConfig::default().hard_negative_weight)]
    hard_negative_weight: f32,
    /// How much more each hard-negative corpus counts than other benign
    /// corpora when the attack head's threshold is set.
    #[arg(long, default_value_t = TrainConfig::default().attack_threshold_hard_weight)]
    attack_threshold_hard_weight: f32,
    /// The same for the unsafe head.
    #[arg(long, default_value_t = TrainConfig::default().unsafe_threshold_hard_weight)]
    unsafe_threshold_hard_weight: f32,
    /// Largest out-of-fold false-positive rate the attack head may have on
    /// any one benign corpus (1 = no cap).
    #[arg(long, default_value_t = TrainConfig::default().max_source_fpr)]
    max_source_fpr: f32,
    /// The same for the unsafe head, set on its own: `--max-source-fpr`
    /// does not change it.
    #[arg(long, default_value_t = TrainConfig::default().unsafe_max_source_fpr)]
    unsafe_max_source_fpr: f32,
    /// Training weight of one corpus, `FILE=WEIGHT` (file stem, e.g.
    /// `flames_zh=0.25`), in place of its default (Flames weighs 2, every
    /// other corpus 1); repeatable.
    #[arg(long, value_parser = parse_source_weight)]
    source_weight: Vec<(String, f32)>,
    /// Weight of the English glosses of prompts in other languages, added
    /// as rows of the unsafe head (0 adds none).
    #[arg(long, default_value_t = TrainConfig::default().gloss_weight)]
    gloss_weight: f32,
    /// L2 penalty on touched weights.
    #[arg(long, default_value_t = TrainConfig::default().options.l2)]
    l2: f32,
    /// AdaGrad base learning rate.
    #[arg(long, default_value_t = TrainConfig::default().options.lr)]
    lr: f32,
    /// Shuffle seed of the fits (another seed measures how much a
    /// figure owes to the order the rows were seen in).
    #[arg(long, default_value_t = TrainConfig::default().options.seed)]
    seed: u64,
    /// Fits averaged into each head, each seeing the rows in another
    /// order (training takes about that many times longer).
    #[arg(long, default_value_t = TrainConfig::default().options.seeds)]
    seeds: usize,
    #[command(flatten)]
    opts: GuardOpts,
}

/// The default corpora: the shared dev set and, when fetched, the extra
/// openly licensed corpora of `scripts/fetch_corpora.py`.
pub fn default_data(extra: bool) -> Vec<PathBuf> {
    let mut v = vec![
        PathBuf::from("../shared/datasets/guard"),
        PathBuf::from("data/guard"),
    ];
    if extra {
        if let Some(home) = std::env::var_os("HOME") {
            let p = PathBuf::from(home).join(".cache/palisade/corpora");
            if p.is_dir() {
                v.push(p);
            }
        }
    }
    v
}

/// The sets that train the document head by default: the blind sets
/// measured before session 39 (a sealed one stays out until it has been
/// measured once; sets 8 and 9 and `eval/guard-documents` stay out as
/// held-out checks of this head: set 9 trained on moved its threshold
/// 0.664 → 0.723 and caught nothing more of the others) and the harmless
/// AI-topic documents, and the project's documents and tool results by
/// several writers (`data/guard/documents`). Their prompts never train
/// anything. Their tool
/// descriptions train the tool head, with the first tool-description set
/// (the rules were written from it); the second and third stay out, as
/// held-out checks of the tool head and the rules.
pub const DOCUMENT_SETS: &[&str] = &[
    "eval/guard-blind",
    "eval/guard-blind2",
    "eval/guard-blind3",
    "eval/guard-blind4",
    "eval/guard-blind5",
    "eval/guard-blind6",
    "eval/guard-blind7",
    "eval/guard-hardneg-ai",
    "eval/guard-tools-blind",
    "data/guard/documents",
];

/// The tool sets that train the tool head alone by default: the
/// project's tool descriptions written by several hands (`data/guard/tools`)
/// and the real function definitions `scripts/fetch_corpora.py` takes
/// from the Berkeley Function-Calling Leaderboard's package.
pub fn tool_set_dirs() -> Vec<PathBuf> {
    let mut v = vec![PathBuf::from("data/guard/tools")];
    if let Some(home) = std::env::var_os("HOME") {
        v.push(PathBuf::from(home).join(".cache/palisade/corpora/tools"));
    }
    v
}

/// The document and tool sets to read: those given, else the defaults
/// present (none with `none`).
pub fn document_set_dirs(given: &[PathBuf], none: bool) -> Vec<PathBuf> {
    if none {
        Vec::new()
    } else if given.is_empty() {
        DOCUMENT_SETS
            .iter()
            .map(PathBuf::from)
            .chain(tool_set_dirs())
            .filter(|p| p.is_dir())
            .collect()
    } else {
        given.to_vec()
    }
}

/// Rows of the document sets in `dirs`.
pub fn document_set_rows(dirs: &[PathBuf]) -> anyhow::Result<Vec<dataset::Row>> {
    let mut rows = Vec::new();
    for d in dirs {
        rows.extend(
            dataset::load_document_set(d)
                .with_context(|| format!("loading document set {}", d.display()))?,
        );
    }
    Ok(rows)
}

/// Runs the subcommand.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let range = palisade_guard::training::TRAIN_BITS;
    anyhow::ensure!(
        range.contains(&a.bits),
        "--bits must be in {range:?}, not {}",
        a.bits
    );
    let head_bits = |given: Option<u32>, default: u32, flag: &str| match given {
        Some(b) if !(10..=a.bits).contains(&b) => {
            anyhow::bail!("{flag} must be in 10..=--bits ({}), not {b}", a.bits)
        }
        Some(b) => Ok(b),
        None => Ok(default.min(a.bits)),
    };
    let document_bits = head_bits(
        a.document_bits,
        TrainConfig::default().document_bits,
        "--document-bits",
    )?;
    let tool_bits = head_bits(a.tool_bits, TrainConfig::default().tool_bits, "--tool-bits")?;
    let instruction_bits = head_bits(
        a.instruction_bits,
        TrainConfig::default().instruction_bits,
        "--instruction-bits",
    )?;
    let data = if a.data.is_empty() {
        default_data(true)
    } else {
        a.data.clone()
    };
    let mut rows = dataset::load_paths(&data).context("loading training corpora")?;
    let document_sets = document_set_dirs(&a.document_sets, a.no_document_sets);
    rows.extend(document_set_rows(&document_sets)?);
    if !a.all {
        rows.retain(|r| r.split() == Split::Train);
    }
    palisade_guard::training::augment_tool_poisoning(&mut rows);
    anyhow::ensure!(!rows.is_empty(), "no training rows in {data:?}");
    let guard = GuardOpts {
        no_model: true,
        ..a.opts.clone()
    }
    .build()?;
    let mut cfg = TrainConfig {
        bits: a.bits,
        document_bits,
        tool_bits,
        instruction_bits,
        attack_fpr: a.attack_fpr,
        unsafe_fpr: a.unsafe_fpr,
        benign_weight: a.benign_weight,
        hard_negative_weight: a.hard_negative_weight,
        attack_threshold_hard_weight: a.attack_threshold_hard_weight,
        unsafe_threshold_hard_weight: a.unsafe_threshold_hard_weight,
        max_source_fpr: a.max_source_fpr,
        unsafe_max_source_fpr: a.unsafe_max_source_fpr,
        document_fpr: a.document_fpr,
        document_threshold_hard_weight: a.document_threshold_hard_weight,
        document_max_source_fpr: a.document_max_source_fpr,
        tool_fpr: a.tool_fpr,
        tool_max_source_fpr: a.tool_max_source_fpr,
        statement_fpr: a.statement_fpr,
        statement_max_source_fpr: a.statement_max_source_fpr,
        critical_fpr: a.critical_fpr,
        critical_max_source_fpr: a.critical_max_source_fpr,
        critical_sets_max_fpr: a.critical_sets_max_fpr,
        source_weights: TrainConfig::default().source_weights,
        gloss_weight: a.gloss_weight,
        options: palisade_model::train::TrainOptions {
            epochs: a.epochs,
            l2: a.l2,
            lr: a.lr,
            seed: a.seed,
            seeds: a.seeds,
            ..Default::default()
        },
    };
    cfg.set_source_weights(&a.source_weight);
    if a.gloss_weight > 0.0 {
        let n = palisade_guard::training::augment_glosses(&guard, &mut rows);
        eprintln!("{n} English glosses of prompts in other languages added for the unsafe head");
    }
    eprintln!(
        "training on {} rows from {data:?} and document sets {document_sets:?}",
        rows.len()
    );
    let (mut model, report) = train(&guard, &rows, &cfg);
    model.meta.details = serde_json::json!({
        "data": data.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "document_sets": document_sets.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "split": if a.all { "all" } else { "train (4 of 5 rows by hash; eval holds back the rest)" },
        "config": {"bits": a.bits, "document_bits": document_bits, "tool_bits": tool_bits, "instruction_bits": instruction_bits, "epochs": a.epochs, "l2": a.l2, "lr": a.lr, "seed": a.seed, "seeds": a.seeds, "attack_fpr": a.attack_fpr,
                   "unsafe_fpr": a.unsafe_fpr, "benign_weight": a.benign_weight, "hard_negative_weight": a.hard_negative_weight,
                   "attack_threshold_hard_weight": a.attack_threshold_hard_weight,
                   "unsafe_threshold_hard_weight": a.unsafe_threshold_hard_weight,
                   "max_source_fpr": a.max_source_fpr,
                   "unsafe_max_source_fpr": cfg.unsafe_max_source_fpr,
                   "document_fpr": a.document_fpr,
                   "document_threshold_hard_weight": a.document_threshold_hard_weight,
                   "document_max_source_fpr": a.document_max_source_fpr,
                   "tool_fpr": a.tool_fpr, "tool_max_source_fpr": a.tool_max_source_fpr,
                   "statement_fpr": a.statement_fpr, "statement_max_source_fpr": a.statement_max_source_fpr,
                   "critical_fpr": a.critical_fpr, "critical_max_source_fpr": a.critical_max_source_fpr,
                   "critical_sets_max_fpr": a.critical_sets_max_fpr,
                   "gloss_weight": cfg.gloss_weight,
                   "source_weights": cfg.source_weights},
        "rules": guard.rules().rules().len(),
        "report": report,
    });
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    model.save(&a.out)?;
    std::fs::write(
        &a.report,
        serde_json::to_string_pretty(&model.meta.details)?,
    )
    .with_context(|| format!("writing {}", a.report.display()))?;
    for h in &report.heads {
        eprintln!(
            "head {:<24} pos {:>6} neg {:>6}  out-of-fold AUC {:.4}  recall {:.3}  FPR {:.4} (mean over sources {:.4})  threshold {:.3}",
            h.name, h.positives, h.negatives, h.oof_auc, h.oof_recall, h.oof_fpr, h.oof_fpr_weighted, h.threshold
        );
        let name = |id: u32| report.sources.get(id as usize).map_or("?", String::as_str);
        if h.source_fpr.len() > 1 {
            let set_by = match h.capped_by {
                Some(id) => format!("the cap on {}", name(id)),
                None => "the mean over corpora".to_string(),
            };
            let top: Vec<String> = h
                .source_fpr
                .iter()
                .take(3)
                .map(|&(id, fpr, n)| format!("{} {fpr:.3} of {n}", name(id)))
                .collect();
            eprintln!(
                "     {:<24} threshold set by {set_by}; highest out-of-fold FPR: {}",
                "",
                top.join(", ")
            );
        }
    }
    eprintln!(
        "features {:.1}s, fit {:.1}s; wrote {} and {}",
        report.feature_secs,
        report.fit_secs,
        a.out.display(),
        a.report.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Parses `FILE=WEIGHT` for `--source-weight`.
pub(crate) fn parse_source_weight(s: &str) -> Result<(String, f32), String> {
    let (file, w) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected FILE=WEIGHT, e.g. flames_zh=0.25"))?;
    let w: f32 = w
        .trim()
        .parse()
        .map_err(|e| format!("`{s}`: weight is not a number: {e}"))?;
    if !w.is_finite() || w < 0.0 {
        return Err(format!("`{s}`: weight must be a finite number >= 0"));
    }
    Ok((file.trim().to_string(), w))
}

#[cfg(test)]
mod tests {
    use super::parse_source_weight;

    #[test]
    fn source_weights_parse_and_bad_ones_say_why() {
        assert_eq!(
            parse_source_weight("flames_zh=0.25"),
            Ok(("flames_zh".to_string(), 0.25))
        );
        for bad in ["flames_zh", "flames_zh=x", "flames_zh=-1", "flames_zh=inf"] {
            let e = parse_source_weight(bad).expect_err(bad);
            assert!(e.contains(bad), "{e}");
        }
    }
}
