//! The built-in packs' plans, worked out ahead and shipped as data
//! (`data/builtin_plans.json`, a [`crate::pattern_file`]).
//!
//! Why: planning a pattern ranks every element's literal sets, each
//! extracted several ways, and over the built-in packs that was about
//! 3.6 billion instructions: half of what a one-shot `palisade guard`
//! did before it checked anything. A plan depends only on the pattern's
//! source and this module's code and word list, so the built-in packs'
//! plans are the same on every start. A pattern that is not in the file
//! (a changed rule, a pack of one's own) is planned afresh. A test plans
//! every built-in pattern afresh and fails when the file differs, with
//! the command that rewrites it (`builtin_plan_file_is_fresh`).

use super::Ranked;
use crate::pattern_file;
use std::collections::HashMap;
use std::sync::OnceLock;

/// What [`super::first_and_second`] gives: the chosen set and a second
/// one, or nothing when no selective set exists.
pub(super) type Plan = Option<(Ranked, Option<Ranked>)>;

const FILE: &str = include_str!("../../data/builtin_plans.json");

/// Bumped when the saved form changes.
const FORMAT: u32 = 3;

/// The plans of a file's text by pattern source.
pub(super) fn parse(text: &str) -> Result<HashMap<String, Plan>, String> {
    pattern_file::parse(text, FORMAT)
}

/// The shipped plans by pattern source, read once. A file that does not
/// parse (only a broken build can ship one: the freshness test reads it)
/// counts as empty, so every pattern is planned afresh: slower, never
/// wrong.
pub(super) fn builtin() -> &'static HashMap<String, Plan> {
    static PLANS: OnceLock<HashMap<String, Plan>> = OnceLock::new();
    PLANS.get_or_init(|| parse(FILE).unwrap_or_default())
}

/// The file of `plans` for `patterns` (the freshness test writes it).
#[cfg(test)]
pub(super) fn file_of(patterns: &[String], plans: &[Plan]) -> String {
    let entries = patterns
        .iter()
        .zip(plans)
        .map(|(p, plan)| (p.as_str(), plan.as_ref()));
    pattern_file::render(FORMAT, entries).expect("plans serialise")
}

/// The embedded file's text (for the freshness test).
#[cfg(test)]
pub(super) fn embedded() -> &'static str {
    FILE
}
