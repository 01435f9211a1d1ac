//! Embeds every catalogue file under `catalog/dlp/` (data types and
//! credentials) so that the binary runs on its built-in catalogue with no
//! files beside it. The catalogue stays plain YAML data in the repository.
use std::{env, fs, path::PathBuf};

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../../catalog/dlp");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for sub in ["types", "credentials"] {
        let dir = root.join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut found: Vec<PathBuf> = fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        found.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
        found.sort();
        for f in found {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("x.yaml");
            files.push((format!("{sub}/{name}"), f));
        }
    }
    let mut out = String::from(
        "/// Built-in catalogue files: (path under catalog/dlp, YAML text).\npub static BUILTIN_FILES: &[(&str, &str)] = &[\n",
    );
    for (name, f) in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_catalog.rs");
    fs::write(dest, out).expect("write builtin_catalog.rs");
}
