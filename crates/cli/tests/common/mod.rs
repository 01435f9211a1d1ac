//! Helpers shared by the CLI integration tests.

use std::path::PathBuf;

/// A path under `../shared/` (the corpora), or `None` with a message when
/// it is absent, so data-driven tests skip instead of failing.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} not found", p.display());
        None
    }
}
