//! Every manifest/config parser on arbitrary bytes: the first byte picks
//! the file name (and so the parser), the rest is the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_scan::facts::Facts;
use palisade_scan::parse::{kind_of, parse_text};

const NAMES: &[&str] = &[
    "requirements.txt", "pyproject.toml", "Pipfile", "Pipfile.lock", "poetry.lock",
    "environment.yml", "package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml",
    "Cargo.toml", "Cargo.lock", "go.mod", "pom.xml", "Dockerfile", "docker-compose.yml",
    "main.tf", "nb.ipynb", "app.py", "mcp.json", "deploy.yaml", "values.yaml", "config.toml",
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let name = NAMES[first as usize % NAMES.len()];
    let Ok(text) = std::str::from_utf8(rest) else { return };
    if let Some(kind) = kind_of(name) {
        let mut f = Facts::default();
        parse_text(name, name, kind, text, &mut f);
    }
});
