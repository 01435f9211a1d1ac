//! Data security: find, classify, grade and mask sensitive data and
//! secrets, for the guard, the gateway, the scanner and the CLI.
//!
//! Design: the catalogue of data types and credentials is data (YAML under
//! `catalog/dlp/`, compiled into the binary, validated at load); each type
//! is a few regexes plus, where the format has one, a checksum or format
//! validator and context words. Detection is one multi-pattern pass that
//! says which patterns occur at all, then only those run for spans;
//! validators and context then confirm and score, and overlaps resolve to
//! the strongest candidate (`engine.rs`). Validators are code because they
//! are arithmetic (`validate/`).

mod bytemask;
pub mod catalog;
pub mod engine;
pub mod eval;
mod runs;
mod shape;
mod streams;
pub mod structured;
pub mod validate;

pub use catalog::{split_example, Catalog, CatalogError, DataType, Grade};
pub use engine::{Engine, Entity};

/// Runs every type's examples through the engine and returns one line per
/// failure: a positive example where the type was not found with exactly
/// the expected span, or a negative one where it was found.
pub fn check_examples(engine: &Engine) -> Vec<String> {
    let mut failures = Vec::new();
    for t in engine.catalog().types() {
        for ex in &t.examples.positive {
            let (text, value) = split_example(ex);
            let found = engine.scan(text);
            let ok = match value {
                Some(v) => found
                    .iter()
                    .any(|e| e.type_id == t.id && text.get(e.start..e.end) == Some(v)),
                None => found.iter().any(|e| e.type_id == t.id),
            };
            if !ok {
                let got: Vec<String> = found
                    .iter()
                    .map(|e| format!("{}={:?}", e.type_id, text.get(e.start..e.end).unwrap_or("")))
                    .collect();
                failures.push(format!(
                    "{} {}: positive not found: {ex:?} (found: {})",
                    t.file,
                    t.id,
                    if got.is_empty() {
                        "nothing".into()
                    } else {
                        got.join(", ")
                    }
                ));
            }
        }
        for ex in &t.examples.negative {
            if engine.scan(ex).iter().any(|e| e.type_id == t.id) {
                failures.push(format!("{} {}: negative matched: {ex:?}", t.file, t.id));
            }
        }
    }
    failures
}
