//! Helpers shared by the CLI integration tests.
// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_palisade");

/// Runs `cmd` and asserts it succeeded, showing its stderr when not.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run palisade");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Creates a gateway key named `name` in the store at `db`; its secret.
pub fn create_key(db: &Path, name: &str) -> String {
    let out = run_ok(
        Command::new(BIN)
            .args(["keys", "create", "--name", name, "--json", "--storage"])
            .arg(db),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["key"].as_str().expect("key").to_string()
}

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
