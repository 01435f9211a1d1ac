//! What the guard's small pattern files share (`pending_ask.yaml`,
//! `crisis_help.yaml`): a list of patterns matched as one set, without
//! regard to case and with ASCII word boundaries, and examples the file
//! must read one way and counter-examples the other.

use palisade_rules::PatternSet;

/// A pattern that does not compile: its place in the list from 1 (0 for
/// the list compiled together), the pattern, and the regex error.
pub(crate) struct BadPattern {
    pub index: usize,
    pub pattern: String,
    pub err: String,
}

/// The NFA size limit of `regex`'s builders, which these sets had.
const NFA_BYTES: usize = 10 << 20;

/// The lazy DFA's cache: `regex`'s default.
const DFA_BYTES: usize = 2 << 20;

fn compile(patterns: &[String]) -> Result<PatternSet, String> {
    // Case-insensitive as a whole, as a builder flag would make it; a
    // pattern may still turn it off inside.
    let patterns: Vec<String> = patterns
        .iter()
        .map(|p| format!("(?i){}", palisade_rules::ascii_word_boundaries(p)))
        .collect();
    PatternSet::new(&patterns, NFA_BYTES, DFA_BYTES)
}

/// `patterns` compiled as one set; each is compiled alone first so that
/// an error names it.
pub(crate) fn pattern_set(patterns: &[String]) -> Result<PatternSet, BadPattern> {
    for (i, p) in patterns.iter().enumerate() {
        compile(std::slice::from_ref(p)).map_err(|err| BadPattern {
            index: i + 1,
            pattern: p.clone(),
            err,
        })?;
    }
    compile(patterns).map_err(|err| BadPattern {
        index: 0,
        pattern: "(all together)".into(),
        err,
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
