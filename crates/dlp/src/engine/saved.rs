//! The built-in catalogue's literal sets, worked out ahead and shipped
//! as data (`data/builtin_literals.json`, a
//! `palisade_rules::pattern_file`).
//!
//! Why: choosing a pattern's cheapest literal set walks its whole tree,
//! extracting sets several ways at each node, and over the built-in
//! catalogue that was about a billion instructions, a third of what
//! `palisade dlp scan` of a one-line file did. The set depends only on
//! the pattern's source and the code that chooses it, so the file is
//! looked up by the exact source: a pattern that is not in it (a changed
//! type, a catalogue of one's own) is worked out at load. A test works
//! out every built-in pattern's set afresh and fails when the file
//! differs, with the command that rewrites it
//! (`builtin_plan_file_is_fresh`).

use crate::shape::Literals;
use palisade_rules::pattern_file;
use std::collections::HashMap;
use std::sync::OnceLock;

const FILE: &str = include_str!("../../data/builtin_literals.json");

/// Bumped when the saved form changes.
const FORMAT: u32 = 1;

/// The sets of a file's text by pattern.
fn parse(text: &str) -> Result<HashMap<String, Option<Literals>>, String> {
    pattern_file::parse(text, FORMAT)
}

/// The shipped sets by pattern, read once. A file that does not parse
/// (only a broken build can ship one: the freshness test reads it)
/// counts as empty, so every set is worked out at load: slower, never
/// wrong.
pub(super) fn builtin() -> &'static HashMap<String, Option<Literals>> {
    static SETS: OnceLock<HashMap<String, Option<Literals>>> = OnceLock::new();
    SETS.get_or_init(|| parse(FILE).unwrap_or_default())
}

/// The file of `sets` for `patterns` (the freshness test writes it).
#[cfg(test)]
fn file_of(patterns: &[&str], sets: &[Option<Literals>]) -> String {
    let entries = patterns.iter().zip(sets).map(|(p, set)| (*p, set.as_ref()));
    pattern_file::render(FORMAT, entries).expect("literal sets serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped sets are what the engine works out now: a type, the
    /// chooser or its costs changed without the file would leave the
    /// built-in catalogue on stale triggers.
    #[test]
    fn builtin_plan_file_is_fresh() {
        let catalog = crate::Catalog::builtin().expect("built-in catalogue loads");
        let patterns: Vec<&str> = catalog
            .types()
            .iter()
            .flat_map(|t| t.patterns.iter().map(String::as_str))
            .collect();
        let fresh: Vec<Option<Literals>> = patterns
            .iter()
            .map(|p| super::super::build::fresh_literals(p))
            .collect();
        let want = file_of(&patterns, &fresh);
        if std::env::var_os("PALISADE_UPDATE_PLANS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/builtin_literals.json");
            std::fs::write(path, &want).expect("write the literal file");
            return;
        }
        assert!(
            FILE == want,
            "crates/dlp/data/builtin_literals.json is stale: rewrite it with \
             `PALISADE_UPDATE_PLANS=1 cargo test -p palisade-dlp builtin_plan_file_is_fresh`, \
             then rebuild"
        );
        let read = parse(&want).expect("the written file parses");
        for (p, f) in patterns.iter().zip(&fresh) {
            assert_eq!(read.get(*p), Some(f), "{p}");
        }
    }
}
