use crate::{Category, SafetyLevel, Severity};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which detection tier produced a finding or decided a verdict.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Text normalisation (invisible characters, encodings, homoglyphs).
    Normalize,
    /// Tier 1: deterministic rules.
    #[default]
    Rules,
    /// Tier 2: the small local model.
    Model,
    /// Tier 3: the large-model judge.
    Judge,
    /// A policy decision that no detector made (allowlist, error policy).
    Policy,
}

impl Tier {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Normalize => "normalize",
            Tier::Rules => "rules",
            Tier::Model => "model",
            Tier::Judge => "judge",
            Tier::Policy => "policy",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A byte range `[start, end)` in the text the caller passed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// Which way the text flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Towards the model: prompts, documents, tool results.
    #[default]
    Input,
    /// From the model: answers.
    Output,
}

/// What sort of text is inspected. The same words mean different things in
/// a user's prompt and inside a retrieved document: an imperative aimed at
/// the model is normal in a prompt and suspicious in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A user's message.
    #[default]
    Prompt,
    /// Third-party content: a web page, email, RAG chunk.
    Document,
    /// An MCP tool definition (description plus schema text).
    ToolDescription,
    /// What a tool returned.
    ToolOutput,
}

impl Kind {
    /// True for text that comes from a third party rather than the user.
    pub fn is_third_party(self) -> bool {
        !matches!(self, Kind::Prompt)
    }
}

macro_rules! str_enum {
    ($ty:ty, $what:literal, $($name:literal => $v:expr),+ $(,)?) => {
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($name => Ok($v),)+
                    other => Err(format!(
                        concat!("unknown ", $what, " `{}` (expected one of: ", $($name, " ",)+ ")"),
                        other
                    )),
                }
            }
        }
    };
}
str_enum!(Direction, "direction", "input" => Direction::Input, "output" => Direction::Output);
str_enum!(Kind, "kind", "prompt" => Kind::Prompt, "document" => Kind::Document,
    "tool_description" => Kind::ToolDescription, "tool_output" => Kind::ToolOutput);
str_enum!(Action, "action", "allow" => Action::Allow, "mask" => Action::Mask,
    "review" => Action::Review, "block" => Action::Block);

/// What the caller should do with the text. Ordered by strictness so the
/// strictest of several actions is simply the maximum.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Let it through.
    #[default]
    Allow,
    /// Let it through with the flagged spans masked.
    Mask,
    /// Let it through but queue it for a human.
    Review,
    /// Stop it.
    Block,
}

impl Action {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Mask => "mask",
            Action::Review => "review",
            Action::Block => "block",
        }
    }
}

/// One thing a detector found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Which detector: a rule id (`pi.ignore_previous`), `model.attack`,
    /// `judge.qwen3guard`, `normalize.zero_width`, …
    pub detector: String,
    /// What it is about.
    pub category: Category,
    /// How bad it is.
    pub severity: Severity,
    /// How sure the detector is, 0..=1 (a calibrated probability for the
    /// model and judge, a fixed confidence for rules).
    pub score: f32,
    /// Which tier found it.
    pub tier: Tier,
    /// Where in the caller's text, when the detector can tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// A short human-readable reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What one normalisation step did (itself evidence of obfuscation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalizationNote {
    /// The step: `nfkc`, `invisible`, `bidi`, `tag_chars`, `confusables`,
    /// `leetspeak`, `base64`, `hex`, `url`, `rot13`, `base32`, `morse`,
    /// `binary`, `braille`, `nato`.
    pub step: String,
    /// How many characters or segments it changed.
    pub count: usize,
}

/// Time spent in one tier, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierTiming {
    /// The tier.
    pub tier: Tier,
    /// Wall-clock microseconds.
    pub micros: u64,
}

/// The guard's answer for one text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Verdict {
    /// True when the action is anything but `allow`: some finding reached
    /// its threshold and the policy acts on its category. (Findings the
    /// policy allows, such as obfuscation evidence alone, do not flag.)
    pub flagged: bool,
    /// What to do.
    pub action: Action,
    /// The three-level content grade.
    pub safety: SafetyLevel,
    /// Which tier's evidence decided the action.
    pub tier: Tier,
    /// How sure the deciding tier was, 0..=1.
    pub confidence: f32,
    /// Every finding, strongest first.
    pub findings: Vec<Finding>,
    /// What normalisation changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub normalization: Vec<NormalizationNote>,
    /// Time per tier that ran.
    pub timings: Vec<TierTiming>,
    /// Total latency in microseconds.
    pub latency_us: u64,
    /// True when the input was longer than the limit and only a prefix was
    /// inspected.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Why the verdict is weaker than configured (judge unreachable, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub degraded: Vec<String>,
    /// Tiers 1–2 were unsure: no rule decided and a model head's
    /// probability lies in the policy's judge band. A configured judge was
    /// asked (`tier` says whether it decided); without one the cheaper
    /// tiers' answer stands, and this marks it as the one to review.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uncertain: bool,
    /// The text with flagged spans masked, when the action is `mask`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_text: Option<String>,
    /// The spans of the inspected text that `masked_text` replaced, in
    /// order; callers that keep placeholders of their own (the gateway,
    /// which can restore them in the answer) mask from these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub masked_spans: Vec<Span>,
}

impl Verdict {
    /// The strongest finding of a category for which `pred` holds.
    pub fn top(&self, pred: impl Fn(Category) -> bool) -> Option<&Finding> {
        self.findings
            .iter()
            .filter(|f| pred(f.category))
            .max_by(|a, b| a.score.total_cmp(&b.score))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_is_ordered_by_strictness() {
        assert_eq!(
            [Action::Mask, Action::Block, Action::Allow]
                .into_iter()
                .max(),
            Some(Action::Block)
        );
        assert!(Action::Review > Action::Mask);
    }

    #[test]
    fn enums_parse_their_json_names() {
        assert_eq!("tool_output".parse::<Kind>(), Ok(Kind::ToolOutput));
        assert_eq!("output".parse::<Direction>(), Ok(Direction::Output));
        let err = "sideways".parse::<Direction>().unwrap_err();
        assert!(err.contains("sideways") && err.contains("input"), "{err}");
    }

    #[test]
    fn verdict_serialises_stable_field_names() {
        let v = Verdict {
            flagged: true,
            action: Action::Block,
            findings: vec![Finding {
                detector: "x".into(),
                category: Category::Jailbreak,
                severity: Severity::High,
                score: 0.9,
                tier: Tier::Rules,
                span: Some(Span { start: 1, end: 4 }),
                message: None,
            }],
            ..Verdict::default()
        };
        let json = serde_json::to_value(&v).expect("serialise");
        assert_eq!(json["action"], "block");
        assert_eq!(json["tier"], "rules");
        assert_eq!(json["findings"][0]["category"], "jailbreak");
        assert_eq!(json["findings"][0]["span"]["end"], 4);
        assert!(json.get("truncated").is_none());
        assert_eq!(v.top(Category::is_attack).map(|f| f.score), Some(0.9));
    }
}
