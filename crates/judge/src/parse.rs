//! Pure parsers from a judge model's text answer to a [`ParsedAnswer`].
//!
//! Models drift from their documented format (capitalisation, markdown,
//! a preamble, reasoning blocks), so each parser looks for the few tokens
//! that carry the verdict and ignores the rest. What it never does is guess
//! a verdict: an answer without a recognisable safety token is an error and
//! goes through the fail policy.

use crate::config::Profile;
use crate::error::{excerpt, JudgeError};
use palisade_core::{Category, Finding, SafetyLevel, Severity, Tier};

/// Score of an `unsafe` verdict when the model gives no probability. Guard
/// models are decisive but not infallible; below 1.0 so that a rule hit of
/// certainty 1.0 still ranks first.
pub const UNSAFE_SCORE: f32 = 0.95;
/// Score of a `controversial` verdict when the model gives no probability.
pub const CONTROVERSIAL_SCORE: f32 = 0.6;

/// One harm category the judge named.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Palisade's category for it.
    pub category: Category,
    /// How bad, on Palisade's scale.
    pub severity: Severity,
    /// How sure the judge is, 0..=1.
    pub score: f32,
    /// The judge's own name (`Violent`, `S9 Indiscriminate Weapons`,
    /// `prompt_injection`), kept for the finding message and audits.
    pub name: String,
}

/// The verdict read out of a judge answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedAnswer {
    /// The three-level grade.
    pub safety: SafetyLevel,
    /// The categories named; empty exactly when `safety` is `Safe`. When the
    /// judge said unsafe without naming a category this holds one
    /// `UnsafeOther` label, so a non-safe verdict always yields a finding.
    pub labels: Vec<Label>,
    /// Whether the graded response refuses the request (Qwen3Guard, output
    /// direction only).
    pub refusal: Option<bool>,
    /// The judge's explanation (JSON profile only).
    pub reason: Option<String>,
}

impl ParsedAnswer {
    /// Findings for the guard: one per category (several judge labels can
    /// map to one category, e.g. Llama Guard S3 and S12 both to `sexual`),
    /// with the highest severity and score among them.
    pub fn findings(&self, profile: Profile) -> Vec<Finding> {
        let mut out: Vec<Finding> = Vec::new();
        for label in &self.labels {
            if let Some(f) = out.iter_mut().find(|f| f.category == label.category) {
                f.severity = f.severity.max(label.severity);
                f.score = f.score.max(label.score);
                if let Some(msg) = f.message.as_mut() {
                    msg.push_str(", ");
                    msg.push_str(&label.name);
                }
                continue;
            }
            out.push(Finding {
                detector: profile.detector().to_string(),
                category: label.category,
                severity: label.severity,
                score: label.score,
                tier: Tier::Judge,
                span: None,
                message: Some(label.name.clone()),
            });
        }
        let level = match self.safety {
            SafetyLevel::Safe => "safe",
            SafetyLevel::Controversial => "controversial",
            SafetyLevel::Unsafe => "unsafe",
        };
        for f in &mut out {
            let names = f.message.take().unwrap_or_default();
            f.message = Some(match &self.reason {
                Some(reason) => format!("{profile} judge: {level} ({names}): {reason}"),
                None => format!("{profile} judge: {level} ({names})"),
            });
        }
        out
    }
}

/// Reads the verdict out of a judge model's answer in `profile`'s format.
///
/// Returns [`JudgeError::Parse`] when the answer has no recognisable verdict.
pub fn parse_answer(profile: Profile, answer: &str) -> Result<ParsedAnswer, JudgeError> {
    let body = strip_reasoning(answer);
    let parsed = match profile {
        Profile::Qwen3guard => parse_qwen3guard(body),
        Profile::LlamaGuard => parse_llama_guard(body),
        Profile::Json => parse_json(body),
    };
    parsed.ok_or_else(|| JudgeError::parse(profile, answer))
}

/// Drops a `<think>…</think>` preamble: reasoning models served behind the
/// JSON profile emit one, and its words ("this looks unsafe…") must not be
/// mistaken for the verdict.
fn strip_reasoning(answer: &str) -> &str {
    match answer.rfind("</think>") {
        Some(end) => &answer[end + "</think>".len()..],
        None => answer,
    }
}

/// Lower-case ASCII letters and digits only, so `Non-violent Illegal Acts`,
/// `non violent illegal acts` and `NonViolentIllegalActs` compare equal.
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn level_label(safety: SafetyLevel, category: Category, name: String, score: Option<f32>) -> Label {
    let (severity, default_score) = match safety {
        SafetyLevel::Controversial => (Severity::Medium, CONTROVERSIAL_SCORE),
        _ => (Severity::High, UNSAFE_SCORE),
    };
    Label {
        category,
        severity,
        score: score.unwrap_or(default_score),
        name,
    }
}

/// Guarantees the `labels` invariant of [`ParsedAnswer`].
fn finish(
    safety: SafetyLevel,
    mut labels: Vec<Label>,
    refusal: Option<bool>,
    reason: Option<String>,
    score: Option<f32>,
) -> ParsedAnswer {
    if safety == SafetyLevel::Safe {
        labels.clear();
    } else if labels.is_empty() {
        labels.push(level_label(
            safety,
            Category::UnsafeOther,
            "unspecified".into(),
            score,
        ));
    }
    ParsedAnswer {
        safety,
        labels,
        refusal,
        reason,
    }
}

// ---------------------------------------------------------------- Qwen3Guard

/// Maps a Qwen3Guard category name; `None` for the `None` category.
fn qwen_category(name: &str) -> Option<Category> {
    let s = squash(name);
    // Prefix matches accept the shortened names models sometimes emit
    // ("Sexual Content", "Suicide") instead of demoting them to unsafe_other.
    let cat = if s.is_empty() || s == "none" {
        return None;
    } else if s.starts_with("nonviolent") {
        Category::NonViolentIllegal
    } else if s.starts_with("violent") || s.starts_with("violence") {
        Category::Violent
    } else if s.starts_with("sexual") {
        Category::Sexual
    } else if s == "pii" || s.starts_with("personallyidentifiable") || s.starts_with("privacy") {
        Category::Pii
    } else if s.starts_with("suicide") || s.starts_with("selfharm") {
        Category::SelfHarm
    } else if s.starts_with("unethical") {
        Category::Unethical
    } else if s.starts_with("politicallysensitive") || s.starts_with("political") {
        Category::PoliticallySensitive
    } else if s.starts_with("copyright") {
        Category::Copyright
    } else if s.starts_with("specialized") || s.starts_with("specialised") {
        Category::SpecializedAdvice
    } else if s.starts_with("jailbreak") {
        Category::Jailbreak
    } else {
        Category::UnsafeOther
    };
    Some(cat)
}

fn parse_qwen3guard(answer: &str) -> Option<ParsedAnswer> {
    let mut safety = None;
    let mut names: Vec<String> = Vec::new();
    let mut refusal = None;
    for line in answer.lines() {
        // Full-width colon: Qwen models answer Chinese-context prompts with it.
        let Some((key, value)) = line.split_once([':', '：']) else {
            continue;
        };
        let value = value.trim().trim_matches('*').trim();
        match squash(key).as_str() {
            "safety" if safety.is_none() => {
                safety = Some(match squash(first_word(value)).as_str() {
                    "safe" => SafetyLevel::Safe,
                    "unsafe" => SafetyLevel::Unsafe,
                    "controversial" => SafetyLevel::Controversial,
                    _ => return None,
                });
            }
            "categories" | "category" if names.is_empty() => {
                names = value
                    .split([',', ';'])
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            "refusal" if refusal.is_none() => {
                refusal = match squash(first_word(value)).as_str() {
                    "yes" | "true" => Some(true),
                    "no" | "false" => Some(false),
                    _ => None,
                };
            }
            _ => {}
        }
    }
    let safety = safety?;
    let labels = names
        .into_iter()
        .filter_map(|name| {
            qwen_category(&name).map(|category| level_label(safety, category, name, None))
        })
        .collect();
    Some(finish(safety, labels, refusal, None, None))
}

fn first_word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("")
}

// --------------------------------------------------------------- Llama Guard

/// The Llama Guard 3/4 hazard taxonomy (MLCommons S1–S14). Llama Guard 2
/// numbered its categories differently; it is not supported.
fn llama_code(code: u32) -> Option<(Category, Severity, &'static str)> {
    use Category::*;
    let high = Severity::High;
    Some(match code {
        1 => (Violent, high, "Violent Crimes"),
        2 => (NonViolentIllegal, high, "Non-Violent Crimes"),
        3 => (Sexual, high, "Sex-Related Crimes"),
        // Child sexual exploitation and weapons of mass destruction are the
        // categories no deployment tolerates at any threshold.
        4 => (Sexual, Severity::Critical, "Child Sexual Exploitation"),
        5 => (Unethical, high, "Defamation"),
        6 => (SpecializedAdvice, high, "Specialized Advice"),
        7 => (Pii, high, "Privacy"),
        8 => (Copyright, high, "Intellectual Property"),
        9 => (Violent, Severity::Critical, "Indiscriminate Weapons"),
        10 => (Unethical, high, "Hate"),
        11 => (SelfHarm, high, "Suicide & Self-Harm"),
        12 => (Sexual, high, "Sexual Content"),
        13 => (PoliticallySensitive, high, "Elections"),
        14 => (PromptInjection, high, "Code Interpreter Abuse"),
        _ => return None,
    })
}

fn parse_llama_guard(answer: &str) -> Option<ParsedAnswer> {
    let mut lines = answer.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?;
    let (verdict, rest_of_first) = match first.find(|c: char| !c.is_ascii_alphabetic()) {
        Some(i) => first.split_at(i),
        None => (first, ""),
    };
    match verdict.to_ascii_lowercase().as_str() {
        "safe" => return Some(finish(SafetyLevel::Safe, Vec::new(), None, None, None)),
        "unsafe" => {}
        _ => return None,
    }
    // The codes belong on the next line, but tolerate them on the verdict
    // line too ("unsafe S1").
    let codes = format!("{rest_of_first},{}", lines.next().unwrap_or(""));
    let mut labels = Vec::new();
    for token in codes.split([',', ' ', '\t', ';']) {
        let token = token
            .trim()
            .trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let Some(digits) = token.strip_prefix(['S', 's']) else {
            continue;
        };
        let Ok(n) = digits.parse::<u32>() else {
            continue;
        };
        let label = match llama_code(n) {
            Some((category, severity, name)) => Label {
                category,
                severity,
                score: UNSAFE_SCORE,
                name: format!("S{n} {name}"),
            },
            None => Label {
                category: Category::UnsafeOther,
                severity: Severity::High,
                score: UNSAFE_SCORE,
                name: format!("S{n} (unknown code)"),
            },
        };
        labels.push(label);
    }
    Some(finish(SafetyLevel::Unsafe, labels, None, None, None))
}

// ---------------------------------------------------------------------- JSON

/// Longest reason kept from a JSON answer; it ends up in every finding.
const MAX_REASON_BYTES: usize = 500;

/// Every balanced `{…}` candidate in order of its opening brace, braces
/// inside JSON strings ignored, so that fences, prose and a stray brace in
/// a preamble do not hide the object.
fn json_objects(text: &str) -> impl Iterator<Item = &str> {
    // Bounded so that a pathological answer of thousands of braces costs
    // linear-ish time, not quadratic.
    text.match_indices('{')
        .take(16)
        .filter_map(move |(start, _)| balanced_object(&text[start..]))
}

fn balanced_object(text: &str) -> Option<&str> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(&text[..=i]);
                }
            }
            _ => {}
        }
    }
    None
}

fn json_category(name: &str) -> Option<Category> {
    let snake = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    if snake.is_empty() || snake == "none" {
        return None;
    }
    // A model that half-remembers Qwen3Guard's names ("Violent", "PII")
    // still lands in the right category; anything else is unsafe_other.
    Some(
        snake
            .parse()
            .unwrap_or_else(|_| qwen_category(name).unwrap_or(Category::UnsafeOther)),
    )
}

fn parse_json(answer: &str) -> Option<ParsedAnswer> {
    use serde_json::Value;
    let obj = json_objects(answer)
        .filter_map(|s| serde_json::from_str::<Value>(s).ok())
        .find_map(|v| match v {
            Value::Object(map) => Some(map),
            _ => None,
        })?;
    let safety = match squash(obj.get("safety")?.as_str()?).as_str() {
        "safe" => SafetyLevel::Safe,
        "controversial" => SafetyLevel::Controversial,
        "unsafe" => SafetyLevel::Unsafe,
        _ => return None,
    };
    let names: Vec<String> = match obj.get("categories") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split(',').map(str::to_string).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                // A non-string entry still says "something harmful"; keep it
                // as unsafe_other rather than dropping the signal.
                other => other.to_string(),
            })
            .collect(),
        Some(_) => return None,
    };
    let score = match obj.get("score") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|s| s.is_finite())
    .map(|s| s.clamp(0.0, 1.0) as f32);
    let reason = obj
        .get("reason")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| excerpt(r, MAX_REASON_BYTES));
    let labels = names
        .into_iter()
        .filter_map(|name| {
            json_category(&name)
                .map(|category| level_label(safety, category, name.trim().to_string(), score))
        })
        .collect();
    Some(finish(safety, labels, None, reason, score))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats(p: &ParsedAnswer) -> Vec<Category> {
        p.labels.iter().map(|l| l.category).collect()
    }

    fn qwen(answer: &str) -> ParsedAnswer {
        parse_answer(Profile::Qwen3guard, answer).expect("parses")
    }

    #[test]
    fn qwen_safe_prompt() {
        let p = qwen("Safety: Safe\nCategories: None");
        assert_eq!(p.safety, SafetyLevel::Safe);
        assert!(p.labels.is_empty());
        assert_eq!(p.refusal, None);
        assert!(p.findings(Profile::Qwen3guard).is_empty());
    }

    #[test]
    fn qwen_unsafe_with_refusal() {
        let p = qwen("Safety: Unsafe\nCategories: Violent\nRefusal: No");
        assert_eq!(p.safety, SafetyLevel::Unsafe);
        assert_eq!(cats(&p), [Category::Violent]);
        assert_eq!(p.refusal, Some(false));
        let f = p.findings(Profile::Qwen3guard);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].detector, "judge.qwen3guard");
        assert_eq!(f[0].tier, Tier::Judge);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].score, UNSAFE_SCORE);
        let msg = f[0].message.as_deref().expect("message");
        assert!(msg.contains("Violent") && msg.contains("unsafe"), "{msg}");
    }

    #[test]
    fn qwen_controversial_is_medium() {
        let p = qwen("Safety: Controversial\nCategories: Politically Sensitive Topics");
        assert_eq!(p.safety, SafetyLevel::Controversial);
        assert_eq!(cats(&p), [Category::PoliticallySensitive]);
        assert_eq!(p.labels[0].severity, Severity::Medium);
        assert_eq!(p.labels[0].score, CONTROVERSIAL_SCORE);
    }

    #[test]
    fn qwen_maps_every_category_and_tolerates_noise() {
        let p = qwen(
            "  Here is my assessment.\n**Safety**:   UNSAFE \n categories : violent, Non-violent Illegal Acts,\
             Sexual Content or Sexual Acts, pii, Suicide & Self-Harm, Unethical Acts, \
             Politically Sensitive Topics, Copyright Violation, Jailbreak, Telepathy\nrefusal: yes\nThanks!",
        );
        assert_eq!(p.safety, SafetyLevel::Unsafe);
        assert_eq!(
            cats(&p),
            [
                Category::Violent,
                Category::NonViolentIllegal,
                Category::Sexual,
                Category::Pii,
                Category::SelfHarm,
                Category::Unethical,
                Category::PoliticallySensitive,
                Category::Copyright,
                Category::Jailbreak,
                Category::UnsafeOther,
            ]
        );
        assert_eq!(p.refusal, Some(true));
    }

    #[test]
    fn qwen_unsafe_without_category_still_yields_a_finding() {
        let p = qwen("Safety: Unsafe\nCategories: None");
        assert_eq!(cats(&p), [Category::UnsafeOther]);
        let p = qwen("Safety: Unsafe");
        assert_eq!(cats(&p), [Category::UnsafeOther]);
    }

    #[test]
    fn qwen_full_width_colon_and_crlf() {
        let p = qwen("Safety： Unsafe\r\nCategories： PII\r\n");
        assert_eq!(cats(&p), [Category::Pii]);
    }

    #[test]
    fn qwen_rejects_answers_without_verdict() {
        for bad in [
            "",
            "I cannot help with that.",
            "Safety: maybe",
            "Categories: Violent",
        ] {
            let err = parse_answer(Profile::Qwen3guard, bad).expect_err(bad);
            assert_eq!(err.kind(), "parse", "{bad}");
        }
    }

    #[test]
    fn llama_safe_and_unsafe() {
        let p = parse_answer(Profile::LlamaGuard, "\n\nsafe").expect("safe");
        assert_eq!(p.safety, SafetyLevel::Safe);
        assert!(p.labels.is_empty());

        let p = parse_answer(Profile::LlamaGuard, "unsafe\nS1,S10").expect("unsafe");
        assert_eq!(p.safety, SafetyLevel::Unsafe);
        assert_eq!(cats(&p), [Category::Violent, Category::Unethical]);
        assert_eq!(p.labels[1].name, "S10 Hate");
    }

    #[test]
    fn llama_maps_all_codes_with_critical_ones() {
        let p = parse_answer(
            Profile::LlamaGuard,
            "Unsafe\nS1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12, S13, S14, S99",
        )
        .expect("parses");
        assert_eq!(
            cats(&p),
            [
                Category::Violent,
                Category::NonViolentIllegal,
                Category::Sexual,
                Category::Sexual,
                Category::Unethical,
                Category::SpecializedAdvice,
                Category::Pii,
                Category::Copyright,
                Category::Violent,
                Category::Unethical,
                Category::SelfHarm,
                Category::Sexual,
                Category::PoliticallySensitive,
                Category::PromptInjection,
                Category::UnsafeOther,
            ]
        );
        assert_eq!(p.labels[3].severity, Severity::Critical);
        assert_eq!(p.labels[8].severity, Severity::Critical);
        assert_eq!(p.labels[0].severity, Severity::High);
        // Findings merge per category and keep the worst severity.
        let f = p.findings(Profile::LlamaGuard);
        let sexual = f
            .iter()
            .find(|f| f.category == Category::Sexual)
            .expect("sexual finding");
        assert_eq!(sexual.severity, Severity::Critical);
        assert_eq!(
            f.iter().filter(|f| f.category == Category::Sexual).count(),
            1
        );
        assert!(f.iter().all(|f| f.detector == "judge.llama_guard"));
        // Fourteen codes, eleven categories: S6 is specialized advice.
        assert_eq!(f.len(), 11);
    }

    #[test]
    fn llama_tolerates_codes_on_verdict_line_and_missing_codes() {
        let p = parse_answer(Profile::LlamaGuard, "unsafe S11").expect("parses");
        assert_eq!(cats(&p), [Category::SelfHarm]);
        let p = parse_answer(Profile::LlamaGuard, "unsafe").expect("parses");
        assert_eq!(cats(&p), [Category::UnsafeOther]);
    }

    #[test]
    fn llama_rejects_other_answers() {
        for bad in ["", "   \n", "It is safe", "Safety: Safe", "unsafely"] {
            let err = parse_answer(Profile::LlamaGuard, bad).expect_err(bad);
            assert!(matches!(
                err,
                JudgeError::Parse {
                    profile: Profile::LlamaGuard,
                    ..
                }
            ));
        }
    }

    #[test]
    fn json_plain_and_fenced() {
        let p = parse_answer(
            Profile::Json,
            r#"{"safety":"unsafe","categories":["prompt_injection","system_prompt_extraction"],"score":0.88,"reason":"asks to ignore {previous} rules"}"#,
        )
        .expect("plain");
        assert_eq!(p.safety, SafetyLevel::Unsafe);
        assert_eq!(
            cats(&p),
            [Category::PromptInjection, Category::SystemPromptExtraction]
        );
        assert_eq!(p.labels[0].score, 0.88);
        assert_eq!(p.labels[0].severity, Severity::High);
        assert_eq!(p.reason.as_deref(), Some("asks to ignore {previous} rules"));

        let fenced = "Sure! {not json}\n```json\n{\n  \"safety\": \"Controversial\",\n  \"categories\": [\"Tool Poisoning\", \"mind_control\"],\n  \"reason\": \"}\"\n}\n```\n";
        let p = parse_answer(Profile::Json, fenced).expect("fenced");
        assert_eq!(p.safety, SafetyLevel::Controversial);
        assert_eq!(cats(&p), [Category::ToolPoisoning, Category::UnsafeOther]);
        assert_eq!(p.labels[0].severity, Severity::Medium);
        assert_eq!(p.labels[0].score, CONTROVERSIAL_SCORE);
    }

    #[test]
    fn json_safe_ignores_categories_and_clamps_score() {
        let p = parse_answer(
            Profile::Json,
            r#"{"safety":"safe","categories":["jailbreak"],"score":0.01}"#,
        )
        .expect("safe");
        assert_eq!(p.safety, SafetyLevel::Safe);
        assert!(p.labels.is_empty());

        let p = parse_answer(Profile::Json, r#"{"safety":"unsafe","score":7}"#).expect("unsafe");
        assert_eq!(cats(&p), [Category::UnsafeOther]);
        assert_eq!(p.labels[0].score, 1.0);
    }

    #[test]
    fn json_skips_reasoning_block() {
        let p = parse_answer(
            Profile::Json,
            "<think>{\"safety\":\"unsafe\"} hmm, no</think>\n{\"safety\":\"safe\",\"categories\":[]}",
        )
        .expect("parses");
        assert_eq!(p.safety, SafetyLevel::Safe);
    }

    #[test]
    fn json_rejects_missing_or_invalid_fields() {
        for bad in [
            "",
            "safe",
            "{",
            r#"{"verdict":"unsafe"}"#,
            r#"{"safety":"dangerous"}"#,
            r#"{"safety":1}"#,
            r#"{"safety":"unsafe","categories":5}"#,
            r#"["safety","unsafe"]"#,
        ] {
            let err = parse_answer(Profile::Json, bad).expect_err(bad);
            match err {
                JudgeError::Parse {
                    profile,
                    answer_excerpt,
                } => {
                    assert_eq!(profile, Profile::Json);
                    assert_eq!(answer_excerpt, bad);
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn parse_error_excerpt_is_bounded() {
        let long = "x".repeat(10_000);
        let err = parse_answer(Profile::Json, &long).expect_err("garbage");
        let JudgeError::Parse { answer_excerpt, .. } = &err else {
            panic!("{err:?}");
        };
        assert!(answer_excerpt.len() < 300);
        assert!(err
            .to_string()
            .starts_with("cannot parse json judge answer"));
    }

    #[test]
    fn balanced_object_handles_strings_and_escapes() {
        assert_eq!(
            balanced_object(r#"{"a":"}\"{"} tail"#),
            Some(r#"{"a":"}\"{"}"#)
        );
        assert_eq!(balanced_object("{{}"), None);
    }
}

/// Judge answers are untrusted text: whatever a model (or whatever answers
/// in its place) sends, the parsers return a verdict that keeps the
/// `ParsedAnswer` invariants or an error, and the documented formats read
/// back whatever decoration they come in.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const PROFILES: [Profile; 3] = [Profile::Qwen3guard, Profile::LlamaGuard, Profile::Json];

    /// The invariants every parsed answer keeps.
    fn well_formed(p: &ParsedAnswer, profile: Profile) -> Result<(), TestCaseError> {
        prop_assert_eq!(p.labels.is_empty(), p.safety == SafetyLevel::Safe);
        for l in &p.labels {
            prop_assert!((0.0..=1.0).contains(&l.score), "score {}", l.score);
        }
        let findings = p.findings(profile);
        prop_assert_eq!(findings.is_empty(), p.safety == SafetyLevel::Safe);
        for f in &findings {
            prop_assert_eq!(f.tier, Tier::Judge);
        }
        if let Some(r) = &p.reason {
            prop_assert!(
                r.len() <= MAX_REASON_BYTES + 8,
                "reason of {} bytes",
                r.len()
            );
        }
        Ok(())
    }

    /// Text made of the tokens the parsers look for, so that random
    /// answers often come close to a verdict.
    fn near_miss() -> impl Strategy<Value = String> {
        let token = prop::sample::select(vec![
            "Safety",
            "safety:",
            "Unsafe",
            "safe",
            "Controversial",
            "Categories",
            ":",
            "：",
            "Violent",
            "None",
            "S1",
            "S14",
            "S99",
            ",",
            "\n",
            "\n",
            "{",
            "}",
            "\"",
            "[",
            "]",
            "<think>",
            "</think>",
            "**",
            " ",
            "score",
            "1e999",
            "-3",
            "Refusal",
            "Yes",
            "重要",
        ]);
        prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
    }

    fn decorate(key: &str, value: &str, upper: bool, bold: bool, wide: bool) -> String {
        let key = if upper {
            key.to_uppercase()
        } else {
            key.to_string()
        };
        let colon = if wide { "：" } else { ":" };
        if bold {
            format!("**{key}{colon}** {value}")
        } else {
            format!("{key}{colon} {value}")
        }
    }

    const QWEN_NAMES: [(&str, Category); 9] = [
        ("Violent", Category::Violent),
        ("Non-violent Illegal Acts", Category::NonViolentIllegal),
        ("Sexual Content or Sexual Acts", Category::Sexual),
        ("PII", Category::Pii),
        ("Suicide & Self-Harm", Category::SelfHarm),
        ("Unethical Acts", Category::Unethical),
        (
            "Politically Sensitive Topics",
            Category::PoliticallySensitive,
        ),
        ("Copyright Violation", Category::Copyright),
        ("Jailbreak", Category::Jailbreak),
    ];

    proptest! {
        #[test]
        fn any_text_parses_to_a_sound_verdict_or_an_error(
            text in prop_oneof![any::<String>(), near_miss()],
        ) {
            for profile in PROFILES {
                match parse_answer(profile, &text) {
                    Ok(p) => well_formed(&p, profile)?,
                    Err(JudgeError::Parse { answer_excerpt, .. }) => {
                        prop_assert!(answer_excerpt.len() <= text.len().max(300));
                    }
                    Err(other) => prop_assert!(false, "unexpected error {:?}", other),
                }
            }
        }

        #[test]
        fn qwen3guard_answers_read_back_through_decoration(
            level in 0usize..3,
            picks in prop::collection::vec(0usize..QWEN_NAMES.len(), 1..4),
            upper in any::<bool>(),
            bold in any::<bool>(),
            wide in any::<bool>(),
            preamble in prop::sample::select(vec![
                "",
                "Here is my assessment.\n",
                "<think>Safety: Safe? maybe</think>\n",
            ]),
            refusal in prop::option::of(any::<bool>()),
        ) {
            let (word, safety) = [
                ("Safe", SafetyLevel::Safe),
                ("Unsafe", SafetyLevel::Unsafe),
                ("Controversial", SafetyLevel::Controversial),
            ][level];
            let names: Vec<&str> = picks.iter().map(|&i| QWEN_NAMES[i].0).collect();
            let mut answer = format!(
                "{preamble}{}\n{}",
                decorate("Safety", word, upper, bold, wide),
                decorate("Categories", &names.join(", "), upper, bold, wide),
            );
            if let Some(r) = refusal {
                answer.push('\n');
                answer.push_str(&decorate("Refusal", if r { "Yes" } else { "No" }, upper, bold, wide));
            }
            let p = parse_answer(Profile::Qwen3guard, &answer)
                .map_err(|e| TestCaseError::fail(format!("{answer:?}: {e}")))?;
            prop_assert_eq!(p.safety, safety);
            prop_assert_eq!(p.refusal, refusal);
            well_formed(&p, Profile::Qwen3guard)?;
            if safety != SafetyLevel::Safe {
                let want: Vec<Category> = picks.iter().map(|&i| QWEN_NAMES[i].1).collect();
                let got: Vec<Category> = p.labels.iter().map(|l| l.category).collect();
                prop_assert_eq!(got, want);
            }
        }

        #[test]
        fn llama_guard_codes_read_back(
            codes in prop::collection::vec(1u32..=20, 0..5),
            sep in prop::sample::select(vec![",", ", ", " ", ";"]),
            lower in any::<bool>(),
            same_line in any::<bool>(),
        ) {
            let list: Vec<String> = codes
                .iter()
                .map(|c| format!("{}{c}", if lower { "s" } else { "S" }))
                .collect();
            let join = if same_line { " " } else { "\n" };
            let answer = format!("unsafe{join}{}", list.join(sep));
            let p = parse_answer(Profile::LlamaGuard, &answer)
                .map_err(|e| TestCaseError::fail(format!("{answer:?}: {e}")))?;
            prop_assert_eq!(p.safety, SafetyLevel::Unsafe);
            well_formed(&p, Profile::LlamaGuard)?;
            if codes.is_empty() {
                prop_assert_eq!(p.labels.len(), 1);
                prop_assert_eq!(p.labels[0].category, Category::UnsafeOther);
            } else {
                let want: Vec<Category> = codes
                    .iter()
                    .map(|&c| llama_code(c).map_or(Category::UnsafeOther, |(cat, _, _)| cat))
                    .collect();
                let got: Vec<Category> = p.labels.iter().map(|l| l.category).collect();
                prop_assert_eq!(got, want);
            }
        }

        #[test]
        fn json_verdicts_read_back_inside_prose_and_fences(
            level in 0usize..3,
            score in prop::option::of(-2.0f64..3.0),
            fence in any::<bool>(),
            prose in "[a-z ()\\[\\]]{0,30}",
        ) {
            let (word, safety) = [
                ("safe", SafetyLevel::Safe),
                ("unsafe", SafetyLevel::Unsafe),
                ("controversial", SafetyLevel::Controversial),
            ][level];
            let mut obj =
                serde_json::json!({"safety": word, "categories": ["violent"], "reason": "r"});
            if let Some(s) = score {
                obj["score"] = serde_json::json!(s);
            }
            let body = if fence {
                format!("```json\n{obj}\n```")
            } else {
                obj.to_string()
            };
            let answer = format!("{prose}\n{body}\ntrailing {{");
            let p = parse_answer(Profile::Json, &answer)
                .map_err(|e| TestCaseError::fail(format!("{answer:?}: {e}")))?;
            prop_assert_eq!(p.safety, safety);
            well_formed(&p, Profile::Json)?;
            if safety != SafetyLevel::Safe {
                prop_assert_eq!(p.labels[0].category, Category::Violent);
                let want = score.map_or(
                    if safety == SafetyLevel::Unsafe {
                        UNSAFE_SCORE
                    } else {
                        CONTROVERSIAL_SCORE
                    },
                    |s| s.clamp(0.0, 1.0) as f32,
                );
                prop_assert_eq!(p.labels[0].score, want);
            }
        }
    }
}
