//! Shared helpers for the corpus tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `/work/shared` located relative to the crate, or `None` (tests skip).
pub fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if p.join("datasets/sigma/rules").is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: {} not found", p.display());
        None
    }
}

/// Minimal JSONL reader for label files.
pub fn labels(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
