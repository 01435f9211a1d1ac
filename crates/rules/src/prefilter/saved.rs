//! The built-in packs' plans, worked out ahead and shipped as data
//! (`data/builtin_plans.json`).
//!
//! Why: planning a pattern ranks every element's literal sets, each
//! extracted several ways, and over the built-in packs that was about
//! 3.6 billion instructions: half of what a one-shot `palisade guard`
//! did before it checked anything. A plan depends only on the pattern's
//! source and this module's code and word list, so the built-in packs'
//! plans are the same on every start. The file is looked up by the exact
//! source, so a pattern that is not in it (a changed rule, a pack of
//! one's own) is planned afresh. A test plans every built-in pattern
//! afresh and fails when the file differs, with the command that
//! rewrites it (`builtin_plan_file_is_fresh`).

use super::{Origin, Ranked};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// What [`super::first_and_second`] gives: the chosen set and a second
/// one, or nothing when no selective set exists.
pub(super) type Plan = Option<(Ranked, Option<Vec<String>>)>;

const FILE: &str = include_str!("../../data/builtin_plans.json");

/// Bumped when the file's layout changes.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    plans: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    /// The pattern's source, exactly as planned.
    pattern: String,
    /// Its plan; absent when it has no selective set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plan: Option<Saved>,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    set: Vec<String>,
    starts: bool,
    /// `Origin`'s part, parts, suffix and inside.
    origin: (usize, usize, bool, bool),
    #[serde(default, skip_serializing_if = "Option::is_none")]
    second: Option<Vec<String>>,
}

fn to_plan(s: Saved) -> Plan {
    let (part, parts, suffix, inside) = s.origin;
    Some((
        Ranked {
            set: s.set,
            starts: s.starts,
            origin: Origin {
                part,
                parts,
                suffix,
                inside,
            },
        },
        s.second,
    ))
}

#[cfg(test)]
fn to_saved(plan: &Plan) -> Option<Saved> {
    plan.as_ref().map(|(r, second)| Saved {
        set: r.set.clone(),
        starts: r.starts,
        origin: (
            r.origin.part,
            r.origin.parts,
            r.origin.suffix,
            r.origin.inside,
        ),
        second: second.clone(),
    })
}

/// The shipped plans by pattern source, read once. A file that does not
/// parse (only a broken build can ship one: the freshness test reads it)
/// counts as empty, so every pattern is planned afresh: slower, never
/// wrong.
pub(super) fn builtin() -> &'static HashMap<String, Plan> {
    static PLANS: OnceLock<HashMap<String, Plan>> = OnceLock::new();
    PLANS.get_or_init(|| parse(FILE).unwrap_or_default())
}

/// The plans in a file's text, or what is wrong with it.
fn parse(text: &str) -> Result<HashMap<String, Plan>, String> {
    let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if file.format != FORMAT {
        return Err(format!(
            "format {} (this build reads {FORMAT})",
            file.format
        ));
    }
    Ok(file
        .plans
        .into_iter()
        .map(|e| (e.pattern, e.plan.and_then(to_plan)))
        .collect())
}

/// The file of `plans` for `patterns` (the freshness test writes it), one entry per distinct
/// source in order of first appearance.
#[cfg(test)]
pub(super) fn file_of(patterns: &[String], plans: &[Plan]) -> String {
    let mut seen = std::collections::HashSet::new();
    let entries = patterns
        .iter()
        .zip(plans)
        .filter(|(p, _)| seen.insert(p.as_str()))
        .map(|(p, plan)| Entry {
            pattern: p.clone(),
            plan: to_saved(plan),
        })
        .collect();
    let file = File {
        format: FORMAT,
        plans: entries,
    };
    // One entry per line keeps a changed rule a small diff.
    let mut out = String::from("{\"format\": ");
    out.push_str(&file.format.to_string());
    out.push_str(", \"plans\": [\n");
    for (i, e) in file.plans.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(&serde_json::to_string(e).unwrap_or_default());
    }
    out.push_str("\n]}\n");
    out
}

/// The embedded file's text (for the freshness test).
#[cfg(test)]
pub(super) fn embedded() -> &'static str {
    FILE
}

#[cfg(test)]
pub(super) fn parse_for_test(text: &str) -> Result<HashMap<String, Plan>, String> {
    parse(text)
}
