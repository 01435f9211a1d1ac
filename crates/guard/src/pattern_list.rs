//! What the guard's small pattern files share (`pending_ask.yaml`,
//! `crisis_help.yaml`): a list of patterns matched as one set, without
//! regard to case and with ASCII word boundaries, and examples the file
//! must read one way and counter-examples the other.

use regex::{RegexSet, RegexSetBuilder};

/// A pattern that does not compile: its place in the list from 1 (0 for
/// the list compiled together), the pattern, and the regex error.
pub(crate) struct BadPattern {
    pub index: usize,
    pub pattern: String,
    pub err: String,
}

fn compile(patterns: &[String]) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(
        patterns
            .iter()
            .map(|p| palisade_rules::ascii_word_boundaries(p)),
    )
    .case_insensitive(true)
    .build()
}

/// `patterns` compiled as one set; each is compiled alone first so that
/// an error names it.
pub(crate) fn pattern_set(patterns: &[String]) -> Result<RegexSet, BadPattern> {
    for (i, p) in patterns.iter().enumerate() {
        compile(std::slice::from_ref(p)).map_err(|e| BadPattern {
            index: i + 1,
            pattern: p.clone(),
            err: e.to_string(),
        })?;
    }
    compile(patterns).map_err(|e| BadPattern {
        index: 0,
        pattern: "(all together)".into(),
        err: e.to_string(),
    })
}

/// The first example that `reads` does not accept, or counter-example it
/// does, named `example` or `counter-example`.
pub(crate) fn misread<'a>(
    examples: &'a [String],
    counter_examples: &'a [String],
    reads: impl Fn(&str) -> bool,
) -> Option<(&'static str, &'a String)> {
    [
        ("example", examples, true),
        ("counter-example", counter_examples, false),
    ]
    .into_iter()
    .find_map(|(what, texts, want)| texts.iter().find(|t| reads(t) != want).map(|t| (what, t)))
}
