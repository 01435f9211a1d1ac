//! Policies: what happens to which finding, in which direction, at which
//! score; allowlists; output leakage settings; the judge and its band.

use palisade_core::{Action, Category, Direction};
use palisade_judge::JudgeConfig;
use regex::RegexSet;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Why a policy could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The YAML is malformed or has unknown fields.
    #[error("policy {origin}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Syntax {
        /// Where it came from.
        origin: String,
        /// 1-based line when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range or does not compile.
    #[error("policy {origin}: {message}")]
    Invalid {
        /// Where it came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// When the judge is asked: a head's calibrated probability inside
/// `[low, high)` and no rule already decided.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Lower edge.
    pub low: f32,
    /// Upper edge.
    pub high: f32,
}

/// When the model alone sees a jailbreak: a role-play or persona frame
/// (the attack head's finding, named a jailbreak, no attack rule behind it)
/// around a request the unsafe head finds harmless (under `max_unsafe`)
/// must score at least `min_attack` to flag. Harmless prompts dressed as
/// role-play ("imagine you are an unrestricted historian…") are the
/// attack head's commonest false positive on corpora it never saw; a frame
/// around a harmful request, a frame a rule recognises, and injections are
/// judged as before, and so is any text the unsafe head reads poorly
/// (all but English and Chinese: `readable.rs`). Between the head's threshold and
/// `min_attack` the finding stays in the judge's band. `min_attack: 0`
/// turns this off. The defaults were swept on left-out folds: 0.9 / 0.05
/// in session 26; 0.95 / 0.2 since session 53, once framed jailbreaks in
/// training had lifted WildGuard's harmless role-play to attack scores
/// of 0.90–0.95 (left out, WildGuard 77 → 59 of 571 flagged for 8 of
/// 2,427 attacks; `docs/guard-loso.md`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FrameGate {
    /// The attack probability a payload-free frame needs to flag.
    pub min_attack: f32,
    /// Under this unsafe probability the request counts as harmless.
    pub max_unsafe: f32,
}

impl Default for FrameGate {
    fn default() -> Self {
        Self {
            min_attack: 0.95,
            max_unsafe: 0.2,
        }
    }
}

impl Default for Band {
    fn default() -> Self {
        Self {
            low: 0.2,
            high: 0.9,
        }
    }
}

/// Actions for one direction, by category; categories not listed use
/// `default`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActionMap {
    /// The action for flagged findings of unlisted categories.
    #[serde(default = "block")]
    pub default: Action,
    /// Per-category actions.
    #[serde(default)]
    pub categories: BTreeMap<Category, Action>,
}

fn block() -> Action {
    Action::Block
}

impl ActionMap {
    fn input_defaults() -> Self {
        Self {
            default: Action::Block,
            categories: [
                (Category::Obfuscation, Action::Allow),
                // `pii` is the content category (a request for a person's
                // private data, an answer that reveals it): it came from
                // the rules, the model or the judge, and masking it either
                // garbled the request (a rule's span: "[MASKED], I'm his
                // landlord") or changed nothing (the model has no span),
                // so the request went on. The data values themselves are
                // `sensitive_data` and `secret`.
                // Data values are recorded, not changed, unless a policy
                // says so: many apps need the model to see the user's own
                // address or order number. Credentials never need to reach
                // a model.
                (Category::SensitiveData, Action::Allow),
                (Category::Secret, Action::Mask),
                (Category::PoliticallySensitive, Action::Review),
                // A diagnosis or a prescription asked of a chatbot is worth
                // a person's look, not a refusal: a health or legal app
                // sets it to `allow`, a general assistant may `block` it.
                (Category::SpecializedAdvice, Action::Review),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn output_defaults() -> Self {
        // An answer that carries an injection or reads like a jailbreak is
        // usually quoting or explaining one (a model cannot jailbreak
        // itself): worth a look, not a block. Harmful help in it is judged
        // by the content categories.
        let mut m = Self::input_defaults();
        m.categories
            .insert(Category::PromptInjection, Action::Review);
        m.categories.insert(Category::Jailbreak, Action::Review);
        m
    }

    /// The action for a category.
    pub fn get(&self, c: Category) -> Action {
        self.categories.get(&c).copied().unwrap_or(self.default)
    }
}

/// Output-side leakage checks.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LeakConfig {
    /// The system prompt whose repetition in an answer is a leak.
    #[serde(default)]
    pub system_prompt: Option<String>,
    /// Canary tokens planted in the system prompt; any in an answer is a
    /// leak.
    #[serde(default)]
    pub canaries: Vec<String>,
    /// How many consecutive words of the system prompt make a leak
    /// (default 8).
    #[serde(default = "default_shingle")]
    pub min_words: usize,
}

fn default_shingle() -> usize {
    8
}

/// The policy as written in YAML (all fields optional).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PolicySpec {
    #[serde(default)]
    thresholds: BTreeMap<String, f32>,
    #[serde(default)]
    disabled: Vec<String>,
    #[serde(default)]
    allowlist: Vec<String>,
    #[serde(default)]
    input: Option<ActionMap>,
    #[serde(default)]
    output: Option<ActionMap>,
    #[serde(default)]
    leak: Option<LeakConfig>,
    #[serde(default)]
    judge: Option<JudgeConfig>,
    #[serde(default)]
    band: Option<Band>,
    #[serde(default)]
    min_rule_score: Option<f32>,
    #[serde(default)]
    frame_gate: Option<FrameGate>,
}

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Per-detector minimum scores (`model.attack`, `model.unsafe`, a rule
    /// id, `judge.*`): a finding under its threshold is recorded, not
    /// flagged. Model heads default to their calibrated thresholds.
    pub thresholds: BTreeMap<String, f32>,
    /// Detector ids (or rule-id prefixes ending in `.`) to ignore.
    pub disabled: Vec<String>,
    /// Texts matching any of these regexes are allowed outright.
    pub allowlist: Option<RegexSet>,
    /// Actions for inputs.
    pub input: ActionMap,
    /// Actions for outputs.
    pub output: ActionMap,
    /// Leakage checks.
    pub leak: LeakConfig,
    /// The tier-3 judge, if any.
    pub judge: Option<JudgeConfig>,
    /// When the judge is asked.
    pub band: Band,
    /// Rules whose score is below this only inform the model.
    pub min_rule_score: f32,
    /// What a jailbreak frame around a harmless request needs to flag.
    pub frame_gate: FrameGate,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            thresholds: BTreeMap::new(),
            disabled: Vec::new(),
            allowlist: None,
            input: ActionMap::input_defaults(),
            output: ActionMap::output_defaults(),
            leak: LeakConfig {
                min_words: default_shingle(),
                ..LeakConfig::default()
            },
            judge: None,
            band: Band::default(),
            min_rule_score: 0.5,
            frame_gate: FrameGate::default(),
        }
    }
}

impl Policy {
    /// Loads a YAML policy file.
    pub fn load(path: &std::path::Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_yaml(&text, &path.display().to_string())
    }

    /// Parses and validates a YAML policy; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, PolicyError> {
        let spec: PolicySpec = if text.trim().is_empty() {
            PolicySpec::default()
        } else {
            serde_yaml::from_str(text).map_err(|e| PolicyError::Syntax {
                origin: origin.to_string(),
                line: e.location().map(|l| l.line()),
                message: e.to_string(),
            })?
        };
        let invalid = |message: String| PolicyError::Invalid {
            origin: origin.to_string(),
            message,
        };
        for (k, v) in &spec.thresholds {
            if !(0.0..=1.0).contains(v) {
                return Err(invalid(format!(
                    "threshold for `{k}` is {v}, outside 0..=1"
                )));
            }
        }
        let band = spec.band.unwrap_or_default();
        if !(0.0..=1.0).contains(&band.low)
            || !(0.0..=1.0).contains(&band.high)
            || band.low > band.high
        {
            return Err(invalid(format!(
                "band {}..{} must satisfy 0 <= low <= high <= 1",
                band.low, band.high
            )));
        }
        let frame_gate = spec.frame_gate.unwrap_or_default();
        if !(0.0..=1.0).contains(&frame_gate.min_attack)
            || !(0.0..=1.0).contains(&frame_gate.max_unsafe)
        {
            return Err(invalid(format!(
                "frame_gate.min_attack {} and frame_gate.max_unsafe {} must lie in 0..=1",
                frame_gate.min_attack, frame_gate.max_unsafe
            )));
        }
        let allowlist = if spec.allowlist.is_empty() {
            None
        } else {
            Some(
                RegexSet::new(&spec.allowlist)
                    .map_err(|e| invalid(format!("allowlist pattern does not compile: {e}")))?,
            )
        };
        let defaults = Policy::default();
        let mut leak = spec.leak.unwrap_or(defaults.leak);
        if leak.min_words < 3 {
            return Err(invalid(format!(
                "leak.min_words is {}, must be at least 3",
                leak.min_words
            )));
        }
        leak.canaries.retain(|c| !c.is_empty());
        Ok(Self {
            thresholds: spec.thresholds,
            disabled: spec.disabled,
            allowlist,
            input: spec.input.unwrap_or(defaults.input),
            output: spec.output.unwrap_or(defaults.output),
            leak,
            judge: spec.judge,
            band,
            min_rule_score: spec.min_rule_score.unwrap_or(defaults.min_rule_score),
            frame_gate,
        })
    }

    /// The action map of a direction.
    pub fn actions(&self, d: Direction) -> &ActionMap {
        match d {
            Direction::Input => &self.input,
            Direction::Output => &self.output,
        }
    }

    /// True when a detector is switched off.
    pub fn is_disabled(&self, detector: &str) -> bool {
        self.disabled
            .iter()
            .any(|d| d == detector || (d.ends_with('.') && detector.starts_with(d.as_str())))
    }

    /// True when the whole text is allowlisted.
    pub fn allowlisted(&self, text: &str) -> bool {
        self.allowlist.as_ref().is_some_and(|s| s.is_match(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_policy_is_the_default() {
        let p = Policy::from_yaml("", "t").expect("valid");
        assert_eq!(p.input.get(Category::Jailbreak), Action::Block);
        assert_eq!(p.input.get(Category::Obfuscation), Action::Allow);
        assert!(p.judge.is_none());
    }

    #[test]
    fn full_policy_parses() {
        let y = r#"
thresholds: { model.attack: 0.8, pi.ignore_previous: 0.95 }
disabled: [jb.]
allowlist: ['^internal red-team test:']
input:
  default: review
  categories: { jailbreak: block }
leak: { system_prompt: "You are Bob.", canaries: [CANARY-123], min_words: 5 }
band: { low: 0.3, high: 0.7 }
judge: { base_url: "http://127.0.0.1:8000/v1", model: qwen3guard, profile: qwen3guard }
"#;
        let p = Policy::from_yaml(y, "t").expect("valid");
        assert_eq!(p.thresholds["model.attack"], 0.8);
        assert!(p.is_disabled("jb.dan"));
        assert!(!p.is_disabled("pi.x"));
        assert!(p.allowlisted("internal red-team test: ignore previous"));
        assert_eq!(p.input.get(Category::Violent), Action::Review);
        assert_eq!(p.input.get(Category::Jailbreak), Action::Block);
        assert_eq!(p.leak.canaries, vec!["CANARY-123".to_string()]);
        assert!(p.judge.is_some());
    }

    #[test]
    fn bad_policies_say_what_is_wrong() {
        let e = Policy::from_yaml("thresholds: { a: 2 }", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("p.yaml") && e.contains("`a`"), "{e}");
        let e = Policy::from_yaml("bogus: 1", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bogus"), "{e}");
        let e = Policy::from_yaml("allowlist: ['(']", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("allowlist"), "{e}");
        let e = Policy::from_yaml("band: {low: 0.9, high: 0.1}", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("band"), "{e}");
        let e = Policy::from_yaml("input: { categories: { nonsense: block } }", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("nonsense") || e.contains("unknown variant"),
            "{e}"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_policy_text_never_panics(text in "(?s).{0,300}") {
            let _ = Policy::from_yaml(&text, "fuzz");
        }
    }
}
