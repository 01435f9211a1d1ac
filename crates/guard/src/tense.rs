//! Past- and future-tense questions, read in the present tense
//! (`data/tense_frames.yaml`).
//!
//! The tense-reformulation jailbreak asks a harmful request as history or
//! forecast, and its training corpus taught the heads the frame rather than
//! the request: harmless history questions in the same frame were blocked.
//! Reading the question in the present tense gives the model the request
//! the frame stands for, harmful or not, in the form its training knows
//! best.

use regex::Regex;
use serde::Deserialize;

const BUILTIN: &str = include_str!("../data/tense_frames.yaml");

/// A frame file that does not load.
#[derive(Debug, thiserror::Error)]
pub enum TenseError {
    /// The YAML does not parse.
    #[error("tense_frames.yaml: {0}")]
    Yaml(#[from] serde_yaml::Error),
    /// A pattern does not compile.
    #[error("tense_frames.yaml: pattern {pattern:?} does not compile: {err}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// The regex error.
        err: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    max_bytes: usize,
    markers: Vec<String>,
    rewrites: Vec<RewriteSpec>,
    #[serde(default)]
    examples: Vec<Example>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RewriteSpec {
    from: String,
    to: String,
}

/// A text and the rewrite it must get.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// The question.
    pub text: String,
    /// Its present-tense reading.
    pub rewrite: String,
}

/// The compiled frames.
pub struct TenseFrames {
    max_bytes: usize,
    /// Every marker in one ASCII-only regex: it runs on every short
    /// prompt, and Unicode word boundaries would keep it off the fast DFA.
    markers: Regex,
    rewrites: Vec<(Regex, String)>,
    space: Regex,
    before_punct: Regex,
    examples: Vec<Example>,
}

fn compile(p: &str) -> Result<Regex, TenseError> {
    Regex::new(p).map_err(|e| TenseError::Pattern {
        pattern: p.to_string(),
        err: e.to_string(),
    })
}

impl TenseFrames {
    /// The frames compiled into the binary.
    pub fn builtin() -> Result<Self, TenseError> {
        Self::parse(BUILTIN)
    }

    /// Parses and validates a frame file.
    pub fn parse(yaml: &str) -> Result<Self, TenseError> {
        let spec: Spec = serde_yaml::from_str(yaml)?;
        Ok(Self {
            max_bytes: spec.max_bytes,
            markers: {
                let joined = spec
                    .markers
                    .iter()
                    .map(|m| {
                        // Each alone first, so an error names its pattern.
                        compile(m)?;
                        Ok(format!("(?:{m})"))
                    })
                    .collect::<Result<Vec<_>, TenseError>>()?
                    .join("|");
                regex::RegexBuilder::new(&joined)
                    .unicode(false)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| TenseError::Pattern {
                        pattern: joined.clone(),
                        err: e.to_string(),
                    })?
            },
            rewrites: spec
                .rewrites
                .iter()
                .map(|r| Ok((compile(&format!("(?i:{})", r.from))?, r.to.clone())))
                .collect::<Result<_, TenseError>>()?,
            space: compile(r"\s+")?,
            before_punct: compile(r"\s+([?.!,;:])")?,
            examples: spec.examples,
        })
    }

    /// The present-tense reading of a short past- or future-tense
    /// question; `None` for any other text.
    pub fn rewrite(&self, text: &str) -> Option<String> {
        if text.len() > self.max_bytes {
            return None;
        }
        if !self.markers.is_match(text) {
            return None;
        }
        // Case is kept outside the frame: an encoded segment (base64 is
        // case-sensitive) must still decode in the rewrite the model reads.
        let mut s = text.to_string();
        for (re, to) in &self.rewrites {
            s = re.replace_all(&s, to.as_str()).into_owned();
            s = self.space.replace_all(s.trim(), " ").into_owned();
        }
        let s = self.before_punct.replace_all(&s, "$1");
        let s = s.trim_start_matches([',', ' ']).trim().to_string();
        // A marker that was the whole text leaves nothing to read; one the
        // rewrites could not take out (glued to a letter of another
        // script) leaves the frame as it was.
        (s.chars().filter(|c| c.is_alphanumeric()).count() >= 3 && !self.markers.is_match(&s))
            .then_some(s)
    }

    /// Runs the file's examples; one line per failure.
    pub fn check_examples(&self) -> Vec<String> {
        self.examples
            .iter()
            .filter_map(|e| {
                let got = self.rewrite(&e.text);
                (got.as_deref() != Some(e.rewrite.as_str()))
                    .then(|| format!("{:?}: expected {:?}, got {got:?}", e.text, e.rewrite))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frames() -> TenseFrames {
        TenseFrames::builtin().expect("the built-in frames load")
    }

    #[test]
    fn builtin_examples_hold() {
        let f = frames().check_examples();
        assert!(f.is_empty(), "{}", f.join("\n"));
    }

    #[test]
    fn other_texts_are_left_alone() {
        let f = frames();
        for t in [
            "How do I make a paper airplane?",
            "What happened in 1066?x".repeat(40).as_str(),
            "In the past",
            "",
        ] {
            assert_eq!(f.rewrite(t), None, "{t:?}");
        }
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let e = TenseFrames::parse("max_bytes: 10\nmarkers: ['(']\nrewrites: []\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("\"(\""), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text: no panic, and a rewrite never names a time marker again
        /// (so it cannot be rewritten twice).
        #[test]
        fn rewrites_are_final(t in "(?s)(\\PC|in the past|in the future| will | did |historically|, ){0,30}") {
            let f = frames();
            if let Some(r) = f.rewrite(&t) {
                prop_assert!(f.rewrite(&r).is_none(), "{t:?} -> {r:?}");
            }
        }
    }
}
