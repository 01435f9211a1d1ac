use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a finding is about. Attack categories come first, then the content
/// taxonomy of Qwen3Guard (so a Qwen3Guard judge maps one-to-one), then
/// output-side leakage and the evidence of obfuscation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Instructions that try to hijack the model, directly or hidden in
    /// documents, RAG chunks and tool outputs.
    PromptInjection,
    /// Attempts to override safety training (role-play, DAN, optimisation
    /// suffixes, tense or encoding tricks).
    Jailbreak,
    /// Attempts to make the model reveal its system prompt or hidden context.
    SystemPromptExtraction,
    /// Hidden instructions in MCP tool descriptions or schemas.
    ToolPoisoning,
    /// Violence, weapons, terrorism.
    Violent,
    /// Crime without violence: fraud, hacking, drugs, theft.
    NonViolentIllegal,
    /// Sexual content or sexual acts.
    Sexual,
    /// Requests for or disclosure of personal data.
    Pii,
    /// Suicide and self-harm.
    SelfHarm,
    /// Discrimination, harassment, deception and other unethical acts.
    Unethical,
    /// Politically sensitive topics.
    PoliticallySensitive,
    /// Copyright violation.
    Copyright,
    /// A request for a judgement that needs a qualified professional and
    /// the person in front of them: a diagnosis of the asker's own
    /// symptoms, a prescription, whether to stop a prescribed medicine.
    /// Llama Guard's "Specialized Advice"; Qwen3Guard has no such class.
    SpecializedAdvice,
    /// Harmful content whose exact category no detector could tell.
    UnsafeOther,
    /// The output repeats the configured system prompt or a canary token.
    PromptLeak,
    /// Text was hidden by invisible characters, homoglyphs or encodings.
    Obfuscation,
    /// Personal, financial or governmental data values (identity numbers,
    /// card and account numbers, phone numbers…) found by the data
    /// catalogue; unlike `pii`, about the data itself, not a request.
    SensitiveData,
    /// Credentials: API keys, access keys, tokens, private keys, passwords.
    Secret,
}

impl Category {
    /// Every category, in declaration order.
    pub const ALL: [Category; 18] = [
        Category::PromptInjection,
        Category::Jailbreak,
        Category::SystemPromptExtraction,
        Category::ToolPoisoning,
        Category::Violent,
        Category::NonViolentIllegal,
        Category::Sexual,
        Category::Pii,
        Category::SelfHarm,
        Category::Unethical,
        Category::PoliticallySensitive,
        Category::Copyright,
        Category::SpecializedAdvice,
        Category::UnsafeOther,
        Category::PromptLeak,
        Category::Obfuscation,
        Category::SensitiveData,
        Category::Secret,
    ];

    /// The stable snake_case name used in rule packs, policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::PromptInjection => "prompt_injection",
            Category::Jailbreak => "jailbreak",
            Category::SystemPromptExtraction => "system_prompt_extraction",
            Category::ToolPoisoning => "tool_poisoning",
            Category::Violent => "violent",
            Category::NonViolentIllegal => "non_violent_illegal",
            Category::Sexual => "sexual",
            Category::Pii => "pii",
            Category::SelfHarm => "self_harm",
            Category::Unethical => "unethical",
            Category::PoliticallySensitive => "politically_sensitive",
            Category::Copyright => "copyright",
            Category::SpecializedAdvice => "specialized_advice",
            Category::UnsafeOther => "unsafe_other",
            Category::PromptLeak => "prompt_leak",
            Category::Obfuscation => "obfuscation",
            Category::SensitiveData => "sensitive_data",
            Category::Secret => "secret",
        }
    }

    /// True for attacks on the model or agent (as opposed to harmful content).
    pub fn is_attack(self) -> bool {
        matches!(
            self,
            Category::PromptInjection
                | Category::Jailbreak
                | Category::SystemPromptExtraction
                | Category::ToolPoisoning
        )
    }

    /// True for the content-safety taxonomy (Qwen3Guard's categories).
    pub fn is_content(self) -> bool {
        matches!(
            self,
            Category::Violent
                | Category::NonViolentIllegal
                | Category::Sexual
                | Category::Pii
                | Category::SelfHarm
                | Category::Unethical
                | Category::PoliticallySensitive
                | Category::Copyright
                | Category::SpecializedAdvice
                | Category::UnsafeOther
        )
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A category name that is not one of [`Category::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown category `{0}` (expected one of: prompt_injection, jailbreak, system_prompt_extraction, tool_poisoning, violent, non_violent_illegal, sexual, pii, self_harm, unethical, politically_sensitive, copyright, specialized_advice, unsafe_other, prompt_leak, obfuscation, sensitive_data, secret)")]
pub struct ParseCategoryError(pub String);

impl FromStr for Category {
    type Err = ParseCategoryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ParseCategoryError(s.to_string()))
    }
}

/// How bad a finding is, independent of how sure the detector is (that is
/// the score).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth recording, not acting on.
    #[default]
    Info,
    /// Suspicious.
    Low,
    /// Likely harmful.
    Medium,
    /// Harmful.
    High,
    /// Harmful with direct damage (exfiltration, code execution).
    Critical,
}

impl Severity {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Qwen3Guard's three-level safety grade of a whole text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum SafetyLevel {
    /// Nothing harmful.
    #[default]
    Safe,
    /// Harmful in some contexts or to some policies.
    Controversial,
    /// Harmful.
    Unsafe,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_names_round_trip_through_str_and_serde() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(c));
            let json = serde_json::to_string(&c).expect("serialise");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert!("nope".parse::<Category>().is_err());
    }

    #[test]
    fn attack_and_content_partition() {
        for c in Category::ALL {
            assert!(!(c.is_attack() && c.is_content()), "{c} is both");
        }
        assert!(Category::Jailbreak.is_attack());
        assert!(Category::SelfHarm.is_content());
        assert!(!Category::PromptLeak.is_content());
    }

    #[test]
    fn severity_orders_by_harm() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
    }
}
