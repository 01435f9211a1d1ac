//! Embeds the shipped model file (`models/guard/guard.model`) when it
//! exists, so the binary works with no files beside it. A checkout without
//! one still builds; the guard then runs on rules alone and says so.
use std::{env, fs, path::PathBuf};

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let file = manifest.join("../../models/guard/guard.model");
    println!("cargo:rerun-if-changed={}", file.display());
    println!(
        "cargo:rerun-if-changed={}",
        file.parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    let body = if file.is_file() {
        format!("Some(include_bytes!({:?}))", file.display().to_string())
    } else {
        "None".to_string()
    };
    let dest =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_model.rs");
    fs::write(
        dest,
        format!("/// The shipped model file, when the build found one.\npub static BUILTIN_MODEL: Option<&[u8]> = {body};\n"),
    )
    .expect("write builtin_model.rs");
}
