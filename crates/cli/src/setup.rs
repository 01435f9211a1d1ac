//! Building a guard from command-line options, shared by the subcommands.

use anyhow::Context;
use palisade_guard::{Guard, Policy};
use palisade_model::GuardModel;
use palisade_rules::RuleSet;
use std::path::PathBuf;
use std::process::ExitCode;

/// The `--data` paths, or the shared dev corpora when none are given (an
/// error that says so when they are absent too).
pub fn corpora_or_dev(data: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    if !data.is_empty() {
        return Ok(data.to_vec());
    }
    let d = PathBuf::from("../shared/datasets/guard");
    anyhow::ensure!(
        d.is_dir(),
        "no --data given and ../shared/datasets/guard is absent (run from the repository root)"
    );
    Ok(vec![d])
}

/// Where rules, model and policy come from.
#[derive(clap::Args, Clone, Default)]
pub struct GuardOpts {
    /// Load rule packs from this directory instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Load this model file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Run without the tier-2 model (rules only).
    #[arg(long)]
    pub no_model: bool,
    /// A YAML policy (thresholds, actions, allowlist, leak checks, judge).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

impl GuardOpts {
    /// Loads the rules.
    pub fn rules(&self) -> anyhow::Result<RuleSet> {
        Ok(match &self.rules {
            Some(dir) => RuleSet::load_dir(dir)?,
            None => RuleSet::builtin().context("built-in rule packs")?,
        })
    }

    /// Loads the model; a missing built-in model is not an error (the
    /// guard degrades to rules and says so), a missing `--model` file is.
    pub fn model(&self) -> anyhow::Result<Option<GuardModel>> {
        if self.no_model {
            return Ok(None);
        }
        match &self.model {
            Some(path) => Ok(Some(GuardModel::load(path)?)),
            None => match GuardModel::builtin() {
                Ok(m) => Ok(Some(m)),
                Err(palisade_model::ModelError::NotBuilt) => Ok(None),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// Loads the policy.
    pub fn policy(&self) -> anyhow::Result<Policy> {
        Ok(match &self.policy {
            Some(p) => Policy::load(p)?,
            None => Policy::default(),
        })
    }

    /// Builds the guard.
    pub fn build(&self) -> anyhow::Result<Guard> {
        self.build_with(Self::rules)
    }

    /// Builds the guard on `rules`, the data catalogue's engine on another
    /// core meanwhile (a one-shot check spends most of its time loading).
    fn build_with(&self, rules: fn(&Self) -> anyhow::Result<RuleSet>) -> anyhow::Result<Guard> {
        let policy = self.policy()?;
        std::thread::scope(|s| {
            s.spawn(|| Guard::prepare(&policy));
            let (rules, model) = (rules(self)?, self.model()?);
            Ok(Guard::new(rules, model, policy.clone())?)
        })
    }

    /// Loads the rules with every regex built, as a server has them: for
    /// timing checks, which should not pay for building the regexes of
    /// the first texts to reach each pattern.
    pub fn rules_built(&self) -> anyhow::Result<RuleSet> {
        let rules = self.rules()?;
        rules.compile_all()?;
        Ok(rules)
    }

    /// [`GuardOpts::build`] with [`GuardOpts::rules_built`].
    pub fn build_timed(&self) -> anyhow::Result<Guard> {
        let guard = self.build_with(Self::rules_built)?;
        guard.warm()?;
        Ok(guard)
    }
}

/// `palisade rules`.
#[derive(clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    cmd: RulesCmd,
}

#[derive(clap::Subcommand)]
enum RulesCmd {
    /// Validate packs and run every rule's positive and negative examples
    /// through the full normalisation pipeline.
    Check {
        /// Rule pack directory (default: built-in).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// List the loaded rules.
    List {
        /// Rule pack directory (default: built-in).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Show the words each pattern waits for: the prefilter's literal set
    /// and the second set that must also occur. A pattern keyed on
    /// everyday words runs on most texts.
    Keys {
        /// Rule pack directory (default: built-in).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Only rules whose id starts with this.
        #[arg(long, value_name = "PREFIX")]
        rule: Option<String>,
    },
}

/// Literals shown per set before the rest is counted.
const KEYS_SHOWN: usize = 12;

fn key_list(set: &[String]) -> String {
    if set.is_empty() {
        return "-".into();
    }
    // Shortest first: the shortest literal is what makes a set common.
    let mut all: Vec<&str> = set.iter().map(String::as_str).collect();
    all.sort_by_key(|l| (l.len(), *l));
    let shown: Vec<&str> = all.into_iter().take(KEYS_SHOWN).collect();
    let more = set.len().saturating_sub(KEYS_SHOWN);
    let mut out = shown.join(" | ");
    if more > 0 {
        out.push_str(&format!(" (+{more})"));
    }
    out
}

/// Runs `palisade rules …`.
pub fn run_rules(a: RulesArgs) -> anyhow::Result<ExitCode> {
    let (rules, list, keys) = match a.cmd {
        RulesCmd::Check { rules } => (rules, false, None),
        RulesCmd::List { rules } => (rules, true, None),
        RulesCmd::Keys { rules, rule } => (rules, false, Some(rule.unwrap_or_default())),
    };
    let opts = GuardOpts {
        rules,
        no_model: true,
        ..GuardOpts::default()
    };
    let guard = opts.build()?;
    if let Some(prefix) = keys {
        for k in guard.rules().pattern_keys() {
            if k.rule.starts_with(&prefix) {
                println!(
                    "{}#{}\tfirst: {}\tsecond: {}",
                    k.rule,
                    k.nth,
                    key_list(&k.first),
                    key_list(&k.second)
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if list {
        for r in guard.rules().rules() {
            println!(
                "{:<36} {:<26} {:<8} {:.2}  {}",
                r.id,
                r.category.as_str(),
                r.severity.as_str(),
                r.score,
                r.description
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    // The built-in packs build their regexes on first use; a check
    // builds and checks every one.
    guard.rules().compile_all()?;
    let failures = palisade_guard::check_rule_examples(&guard);
    let n = guard.rules().rules().len();
    let examples: usize = guard
        .rules()
        .rules()
        .iter()
        .map(|r| r.examples.positive.len() + r.examples.negative.len())
        .sum();
    for f in &failures {
        println!("FAIL {f}");
    }
    // Not a failure, but a cost every text pays: the prefilter found no
    // literal to wait for (`palisade rules keys` shows `first: -`).
    for k in guard.rules().pattern_keys() {
        if k.first.is_empty() {
            println!(
                "NOTE {}: pattern {} has no literal the prefilter can wait for, so it runs on every text",
                k.rule, k.nth
            );
        }
    }
    // A rule without a positive example is one failure that is not an
    // example's.
    let bare = guard
        .rules()
        .rules()
        .iter()
        .filter(|r| r.examples.positive.is_empty())
        .count();
    let failed = failures.len().saturating_sub(bare);
    let bare_note = if bare > 0 {
        format!("; {bare} rule(s) without a positive example")
    } else {
        String::new()
    };
    println!(
        "{n} rules, {examples} examples: {} passed, {failed} failed{bare_note}",
        examples.saturating_sub(failed),
    );
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
