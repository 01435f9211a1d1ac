//! Templates that stop short of their request (`data/pending_ask.yaml`).
//!
//! The frame gate trusts the unsafe head's low score as evidence that a
//! role-play prompt asks for something harmless. A template that ends in
//! a placeholder or waits for its first question asks for nothing yet, so
//! that evidence is missing and the gate stands aside.

use crate::pattern_list::{misread, pattern_set};
use palisade_rules::PatternSet;
use serde::Deserialize;

const BUILTIN: &str = include_str!("../data/pending_ask.yaml");

/// A pending-ask file that does not load.
#[derive(Debug, thiserror::Error)]
pub enum PendingError {
    /// The YAML does not parse.
    #[error("pending_ask.yaml: {0}")]
    Yaml(#[from] serde_yaml::Error),
    /// A pattern does not compile.
    #[error("pending_ask.yaml: pattern {index} ({pattern:?}) does not compile: {err}")]
    Pattern {
        /// Its place in `patterns`, from 1.
        index: usize,
        /// The pattern.
        pattern: String,
        /// The regex error.
        err: String,
    },
    /// An example the patterns do not match, or a counter-example they do.
    #[error("pending_ask.yaml: {what} {text:?} is misread")]
    Example {
        /// `example` or `counter-example`.
        what: &'static str,
        /// Its text.
        text: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    patterns: Vec<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    counter_examples: Vec<String>,
}

/// The compiled patterns.
pub struct PendingAsk {
    set: PatternSet,
}

impl PendingAsk {
    /// The patterns compiled into the binary.
    pub fn builtin() -> Result<Self, PendingError> {
        Self::parse(BUILTIN)
    }

    /// Parses a pattern file and checks its examples.
    pub fn parse(yaml: &str) -> Result<Self, PendingError> {
        let spec: Spec = serde_yaml::from_str(yaml)?;
        let set = pattern_set(&spec.patterns).map_err(|b| PendingError::Pattern {
            index: b.index,
            pattern: b.pattern,
            err: b.err,
        })?;
        let me = Self { set };
        if let Some((what, t)) = misread(&spec.examples, &spec.counter_examples, |t| me.awaits(t)) {
            return Err(PendingError::Example {
                what,
                text: t.clone(),
            });
        }
        Ok(me)
    }

    /// Whether `text` stops short of its request: a placeholder where it
    /// goes, or an order to confirm and wait for it.
    pub fn awaits(&self, text: &str) -> bool {
        self.set.is_match(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_patterns_load_and_read_their_examples() {
        let p = PendingAsk::builtin().expect("builtin loads");
        assert!(p.awaits("from now on you are kai. my first question will follow."));
        assert!(!p.awaits("from now on you are kai, a chef. how do i sear a steak?"));
    }

    #[test]
    fn a_misread_example_is_an_error_that_names_it() {
        let yaml = "patterns: ['\\[prompt\\]']\nexamples: ['answer this: {question}']\n";
        let e = PendingAsk::parse(yaml).err().expect("misread example");
        assert!(e.to_string().contains("{question}"), "{e}");
    }

    #[test]
    fn a_broken_pattern_is_named_by_its_place() {
        let e = PendingAsk::parse("patterns: ['ok', '(unclosed']\n")
            .err()
            .expect("broken pattern");
        assert!(e.to_string().contains("pattern 2"), "{e}");
    }
}
