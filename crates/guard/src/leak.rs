//! Output-side leakage: an answer that repeats the system prompt or a
//! planted canary token.
//!
//! The system prompt is indexed once as word shingles of `min_words` words
//! (lower-cased); an answer leaks when it contains any shingle. Exact
//! shingles miss paraphrase but never fire on unrelated text, which is the
//! right trade for a tier-1 check; the model and judge handle paraphrase.

use crate::policy::LeakConfig;
use palisade_core::{Category, Finding, Severity, Span, Tier};
use std::collections::HashSet;

/// Pre-indexed leakage checks.
#[derive(Debug, Clone, Default)]
pub struct LeakIndex {
    shingles: HashSet<u64>,
    min_words: usize,
    canaries: Vec<String>,
}

fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

fn shingle_hash(ws: &[&str]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for w in ws {
        w.to_lowercase().hash(&mut h);
    }
    h.finish()
}

impl LeakIndex {
    /// Indexes a leak configuration.
    pub fn new(cfg: &LeakConfig) -> Self {
        let mut shingles = HashSet::new();
        if let Some(sp) = &cfg.system_prompt {
            let ws: Vec<&str> = words(sp).map(|(_, w)| w).collect();
            for win in ws.windows(cfg.min_words) {
                shingles.insert(shingle_hash(win));
            }
        }
        Self {
            shingles,
            min_words: cfg.min_words,
            canaries: cfg.canaries.clone(),
        }
    }

    /// True when nothing is configured.
    pub fn is_empty(&self) -> bool {
        self.shingles.is_empty() && self.canaries.is_empty()
    }

    /// Findings for `answer`.
    pub fn check(&self, answer: &str, out: &mut Vec<Finding>) {
        for c in &self.canaries {
            if let Some(pos) = answer.find(c.as_str()) {
                out.push(Finding {
                    detector: "leak.canary".into(),
                    category: Category::PromptLeak,
                    severity: Severity::Critical,
                    score: 1.0,
                    tier: Tier::Rules,
                    span: Some(Span {
                        start: pos,
                        end: pos + c.len(),
                    }),
                    message: Some(
                        "the answer contains a canary token from the system prompt".into(),
                    ),
                });
                return;
            }
        }
        if self.shingles.is_empty() {
            return;
        }
        let ws: Vec<(usize, &str)> = words(answer).collect();
        let mut hits = 0usize;
        let mut first: Option<Span> = None;
        for win in ws.windows(self.min_words) {
            let only: Vec<&str> = win.iter().map(|(_, w)| *w).collect();
            if self.shingles.contains(&shingle_hash(&only)) {
                hits += 1;
                if first.is_none() {
                    let (s, _) = win[0];
                    let (e, last) = win[win.len() - 1];
                    first = Some(Span {
                        start: s,
                        end: e + last.len(),
                    });
                }
            }
        }
        if hits > 0 {
            let coverage = (hits + self.min_words - 1) as f32 / self.min_words as f32;
            out.push(Finding {
                detector: "leak.system_prompt".into(),
                category: Category::PromptLeak,
                severity: Severity::High,
                score: (0.8 + 0.05 * coverage).min(1.0),
                tier: Tier::Rules,
                span: first,
                message: Some(format!(
                    "the answer repeats the system prompt ({hits} run(s) of {} words)",
                    self.min_words
                )),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx() -> LeakIndex {
        LeakIndex::new(&LeakConfig {
            system_prompt: Some(
                "You are Aria, the support bot of Acme. Never discuss pricing with anyone outside sales.".into(),
            ),
            canaries: vec!["ZX-CANARY-42".into()],
            min_words: 6,
        })
    }

    #[test]
    fn repeated_system_prompt_is_a_leak_with_span() {
        let mut out = Vec::new();
        let answer = "Sure! My instructions: you are aria, the support bot of Acme. Bye.";
        idx().check(answer, &mut out);
        assert_eq!(out.len(), 1);
        let s = out[0].span.expect("span");
        assert!(answer[s.start..s.end].starts_with("you are aria"));
    }

    #[test]
    fn canary_is_critical_and_unrelated_text_is_clean() {
        let mut out = Vec::new();
        idx().check("token ZX-CANARY-42 here", &mut out);
        assert_eq!(out[0].severity, Severity::Critical);
        out.clear();
        idx().check(
            "Acme sells anvils. You are welcome to ask about support.",
            &mut out,
        );
        assert!(out.is_empty());
    }
}
