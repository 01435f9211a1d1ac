//! Someone asking for help in a crisis (`data/crisis_help.yaml`).
//!
//! A prompt that names a crisis (suicide, self-harm, abuse, an urge to
//! hurt someone) and asks what to do about it reads as harmful to the
//! content heads, which learned the topic; blocking it fails the person
//! who most needs an answer. Such a prompt, asking for no means, has the
//! heads' findings held back; the rules still decide.

use crate::pattern_list::{misread, pattern_set};
use palisade_rules::PatternSet;
use serde::Deserialize;

const BUILTIN: &str = include_str!("../data/crisis_help.yaml");

/// A crisis-help file that does not load.
#[derive(Debug, thiserror::Error)]
pub enum CrisisError {
    /// The YAML does not parse.
    #[error("crisis_help.yaml: {0}")]
    Yaml(#[from] serde_yaml::Error),
    /// A pattern does not compile.
    #[error("crisis_help.yaml: {list} pattern {index} ({pattern:?}) does not compile: {err}")]
    Pattern {
        /// `crisis`, `ask` or `means`.
        list: &'static str,
        /// Its place in the list, from 1.
        index: usize,
        /// The pattern.
        pattern: String,
        /// The regex error.
        err: String,
    },
    /// An example not read as a call for help, or a counter-example that is.
    #[error("crisis_help.yaml: {what} {text:?} is misread")]
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
    crisis: Vec<String>,
    ask: Vec<String>,
    means: Vec<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    counter_examples: Vec<String>,
}

/// The compiled lists.
pub struct CrisisHelp {
    crisis: PatternSet,
    ask: PatternSet,
    means: PatternSet,
}

fn build(list: &'static str, patterns: &[String]) -> Result<PatternSet, CrisisError> {
    pattern_set(patterns).map_err(|b| CrisisError::Pattern {
        list,
        index: b.index,
        pattern: b.pattern,
        err: b.err,
    })
}

impl CrisisHelp {
    /// The lists compiled into the binary.
    pub fn builtin() -> Result<Self, CrisisError> {
        Self::parse(BUILTIN)
    }

    /// Parses a crisis-help file and checks its examples.
    pub fn parse(yaml: &str) -> Result<Self, CrisisError> {
        let spec: Spec = serde_yaml::from_str(yaml)?;
        let me = Self {
            crisis: build("crisis", &spec.crisis)?,
            ask: build("ask", &spec.ask)?,
            means: build("means", &spec.means)?,
        };
        if let Some((what, t)) = misread(&spec.examples, &spec.counter_examples, |t| {
            me.asks_for_help(t)
        }) {
            return Err(CrisisError::Example {
                what,
                text: t.clone(),
            });
        }
        Ok(me)
    }

    /// Whether `text` names a crisis and asks for help with it, and asks
    /// for no means.
    pub fn asks_for_help(&self, text: &str) -> bool {
        self.crisis.is_match(text) && self.ask.is_match(text) && !self.means.is_match(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lists_load_and_read_their_examples() {
        let c = CrisisHelp::builtin().expect("builtin loads");
        assert!(c.asks_for_help(
            "my best friend just texted me that she wants to die. what do i say to her right now??"
        ));
        assert!(!c.asks_for_help("who should i call to fix my sink"));
        assert!(!c.asks_for_help(
            "she wants to die, what's the easiest way for her, who should i call after"
        ));
    }

    #[test]
    fn a_misread_example_or_broken_pattern_is_named() {
        let yaml = "crisis: ['suicide']\nask: ['hotline']\nmeans: ['method']\nexamples: ['suicide method hotline']\n";
        let e = CrisisHelp::parse(yaml).err().expect("misread example");
        assert!(e.to_string().contains("suicide method hotline"), "{e}");
        let yaml = "crisis: ['ok', '(unclosed']\nask: ['a']\nmeans: ['b']\n";
        let e = CrisisHelp::parse(yaml).err().expect("broken pattern");
        assert!(e.to_string().contains("crisis pattern 2"), "{e}");
    }
}
