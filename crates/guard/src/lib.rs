//! The guard cascade: normalise → tier 1 rules → tier 2 model → (uncertain
//! band only) tier 3 judge → policy → verdict.
//!
//! A pure library: it owns no I/O except the optional judge call. Tiers 1–2
//! are synchronous ([`Guard::check`]); the judge makes [`Guard::check_full`]
//! async. Each tier feeds the next: rule hits and normalisation events are
//! features of the model, so the model learns how much to trust each rule
//! family instead of a hand-set combination. The judge sees only what the
//! cheaper tiers could not settle, and what it answers (or fails to) is
//! recorded in the verdict.

pub mod answer;
mod cascade;
pub mod contrast;
pub mod crisis;
pub mod dataset;
pub mod eval;
pub mod gloss;
pub mod grave;
mod leak;
mod pattern_list;
pub mod pending;
pub mod policy;
mod readable;
pub mod tense;
pub mod tool;
pub mod training;

pub use cascade::{Guard, GuardError, Request};
pub use policy::{Policy, PolicyError};

/// Runs every rule's examples through the whole pipeline (normalisation
/// included) and returns one line per failure: a positive example on which
/// the rule did not fire, or a negative one on which it did.
pub fn check_rule_examples(guard: &Guard) -> Vec<String> {
    let mut failures = Vec::new();
    for r in guard.rules().rules() {
        let kind = r
            .kinds
            .as_ref()
            .and_then(|k| k.first().copied())
            .unwrap_or_default();
        let fired = |text: &str| guard.rule_hits(text, kind).iter().any(|id| *id == r.id);
        for p in &r.examples.positive {
            if !fired(p) {
                failures.push(format!("{}: positive example did not fire: {p:?}", r.id));
            }
        }
        for n in &r.examples.negative {
            if fired(n) {
                failures.push(format!("{}: negative example fired: {n:?}", r.id));
            }
        }
        if r.examples.positive.is_empty() {
            failures.push(format!("{}: has no positive example", r.id));
        }
    }
    failures
}
