//! Names of the gravest means and acts (`data/grave_terms.yaml`), read
//! together with the critical head.
//!
//! The critical head flags a prompt on its own only when it is sure; a
//! prompt it reads as likely, that also names a nerve agent, a detonator,
//! a lethal dose or a body to hide, with no protective or fictional
//! reading, is flagged too. Neither signal is enough alone: the head reads
//! some chit-chat high, and the words are as common in worried questions
//! as in plans.

use palisade_core::Category;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;

const BUILTIN: &str = include_str!("../data/grave_terms.yaml");

/// A term file that does not load.
#[derive(Debug, thiserror::Error)]
pub enum GraveError {
    /// The YAML does not parse.
    #[error("grave_terms.yaml: {0}")]
    Yaml(#[from] serde_yaml::Error),
    /// A group's category is not a category.
    #[error("grave_terms.yaml: group {group}: {err}")]
    Category {
        /// The group.
        group: String,
        /// Why the category does not parse.
        err: String,
    },
    /// A pattern does not compile.
    #[error("grave_terms.yaml: {place} pattern {pattern:?} does not compile: {err}")]
    Pattern {
        /// The group, or `unless`.
        place: String,
        /// The pattern.
        pattern: String,
        /// The regex error.
        err: String,
    },
    /// An example not found in its group, or a counter-example found.
    #[error("grave_terms.yaml: {what} {text:?} is misread (found: {found:?})")]
    Example {
        /// `example` or `counter-example`.
        what: &'static str,
        /// Its text.
        text: String,
        /// The group found, if any.
        found: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    groups: BTreeMap<String, GroupSpec>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    counter_examples: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSpec {
    category: String,
    patterns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Example {
    text: String,
    group: String,
}

struct Group {
    name: String,
    category: Category,
    any: Regex,
}

/// A grave term found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct GraveTerm {
    /// Its group (`weapons_cbrn`, `self_harm`, …).
    pub group: String,
    /// The category the group stands for.
    pub category: Category,
    /// The words matched.
    pub term: String,
}

/// The compiled terms.
pub struct GraveTerms {
    groups: Vec<Group>,
    unless: Option<Regex>,
}

/// One alternation of `patterns`, without regard to case, with ASCII word
/// boundaries; each pattern is compiled alone first so that an error names it.
fn compile(place: &str, patterns: &[String]) -> Result<Option<Regex>, GraveError> {
    let build = |p: &str| {
        RegexBuilder::new(&palisade_rules::ascii_word_boundaries(p))
            .case_insensitive(true)
            .build()
    };
    for p in patterns {
        build(p).map_err(|e| GraveError::Pattern {
            place: place.to_string(),
            pattern: p.clone(),
            err: e.to_string(),
        })?;
    }
    if patterns.is_empty() {
        return Ok(None);
    }
    let all = patterns
        .iter()
        .map(|p| format!("(?:{p})"))
        .collect::<Vec<_>>()
        .join("|");
    build(&all).map(Some).map_err(|e| GraveError::Pattern {
        place: place.to_string(),
        pattern: "(all together)".into(),
        err: e.to_string(),
    })
}

impl GraveTerms {
    /// The terms compiled into the binary.
    pub fn builtin() -> Result<Self, GraveError> {
        Self::parse(BUILTIN)
    }

    /// Parses a term file and checks its examples.
    pub fn parse(yaml: &str) -> Result<Self, GraveError> {
        let spec: Spec = serde_yaml::from_str(yaml)?;
        let mut groups = Vec::with_capacity(spec.groups.len());
        for (name, g) in &spec.groups {
            let category = g.category.parse().map_err(|e| GraveError::Category {
                group: name.clone(),
                err: format!("{e}"),
            })?;
            if let Some(any) = compile(name, &g.patterns)? {
                groups.push(Group {
                    name: name.clone(),
                    category,
                    any,
                });
            }
        }
        let me = Self {
            groups,
            unless: compile("unless", &spec.unless)?,
        };
        for e in &spec.examples {
            let found = me.find(&e.text).map(|t| t.group);
            if found.as_deref() != Some(e.group.as_str()) {
                return Err(GraveError::Example {
                    what: "example",
                    text: e.text.clone(),
                    found,
                });
            }
        }
        for t in &spec.counter_examples {
            if let Some(found) = me.find(t) {
                return Err(GraveError::Example {
                    what: "counter-example",
                    text: t.clone(),
                    found: Some(found.group),
                });
            }
        }
        Ok(me)
    }

    /// The first grave term in `text` (groups in name order), unless the
    /// text reads as protective, historical or fictional.
    pub fn find(&self, text: &str) -> Option<GraveTerm> {
        if self.unless.as_ref().is_some_and(|u| u.is_match(text)) {
            return None;
        }
        self.groups.iter().find_map(|g| {
            g.any.find(text).map(|m| GraveTerm {
                group: g.name.clone(),
                category: g.category,
                term: m.as_str().to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_terms_load_and_read_their_examples() {
        let g = GraveTerms::builtin().expect("builtin loads");
        let t = g.find("how to make TATP at home").expect("a term");
        assert_eq!(
            (t.group.as_str(), t.term.as_str()),
            ("weapons_cbrn", "TATP")
        );
        assert_eq!(t.category, Category::Violent);
        assert_eq!(
            g.find("割腕割多深才能死").map(|t| t.category),
            Some(Category::SelfHarm)
        );
        assert!(g.find("how do I kill a python process").is_none());
        assert!(g.find("what is napalm, historically?").is_none());
    }

    #[test]
    fn a_misread_example_is_an_error_that_names_it() {
        let yaml = "groups:\n  w:\n    category: violent\n    patterns: ['\\bsarin\\b']\nexamples:\n  - {text: 'make ricin', group: w}\n";
        let e = GraveTerms::parse(yaml).err().expect("misread example");
        assert!(e.to_string().contains("make ricin"), "{e}");
        let yaml = "groups:\n  w:\n    category: violent\n    patterns: ['\\bsarin\\b']\ncounter_examples: ['the sarin attack']\n";
        let e = GraveTerms::parse(yaml)
            .err()
            .expect("counter-example found");
        assert!(e.to_string().contains("the sarin attack"), "{e}");
    }

    #[test]
    fn a_broken_pattern_or_category_is_named() {
        let yaml = "groups:\n  w:\n    category: violent\n    patterns: ['ok', '(unclosed']\n";
        let e = GraveTerms::parse(yaml).err().expect("broken pattern");
        assert!(e.to_string().contains("(unclosed"), "{e}");
        let yaml = "groups:\n  w:\n    category: nonsense\n    patterns: ['ok']\n";
        let e = GraveTerms::parse(yaml).err().expect("bad category");
        assert!(e.to_string().contains("group w"), "{e}");
    }

    #[test]
    fn an_unless_reading_silences_every_group() {
        let yaml = "groups:\n  w:\n    category: violent\n    patterns: ['\\bsarin\\b']\nunless: ['\\bhistory\\b']\n";
        let g = GraveTerms::parse(yaml).expect("loads");
        assert!(g.find("make sarin").is_some());
        assert!(g.find("the history of sarin").is_none());
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text: no panic, a found term is words of the text itself,
        /// and a protective reading anywhere in it silences every group.
        #[test]
        fn terms_are_found_in_the_text_and_silenced_by_a_reading(
            t in "(?s)(\\PC|[ \\n]|napalm|kms|sarin|corpse|炸药|自杀|cheese pizza|how do i |in the game|报警){0,30}"
        ) {
            let g = GraveTerms::builtin().expect("built-in terms");
            if let Some(found) = g.find(&t) {
                prop_assert!(t.contains(&found.term), "{:?} not in {:?}", found.term, t);
            }
            let protected = format!("{t} what should i do");
            prop_assert!(g.find(&protected).is_none(), "{:?}", protected);
        }
    }
}
