//! Report renderers: JSON (the stable interface), CycloneDX 1.6, SARIF
//! 2.1.0 and a table for people.

pub mod cyclonedx;
pub mod sarif;
pub mod table;

use crate::report::Report;

/// The JSON document of `--format json`.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
