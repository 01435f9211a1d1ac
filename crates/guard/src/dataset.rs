//! Labelled corpora in the guard format (`../shared/datasets/guard/`):
//! one JSON object per line, `{"text", "label", "category"?, "lang"?,
//! "source"?, "kind"?}` with label `injection|jailbreak|unsafe|benign`.

use palisade_core::Kind;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Why a corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not a valid row.
    #[error("{path}:{line}: {message}")]
    Row {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Nothing to read.
    #[error("no .jsonl files under {0}")]
    Empty(String),
}

/// The four labels.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Prompt injection (incl. system-prompt extraction).
    Injection,
    /// Jailbreak.
    Jailbreak,
    /// Harmful-content request.
    Unsafe,
    /// Harmless.
    Benign,
}

impl Label {
    /// True for injection and jailbreak.
    pub fn is_attack(self) -> bool {
        matches!(self, Label::Injection | Label::Jailbreak)
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Injection => "injection",
            Label::Jailbreak => "jailbreak",
            Label::Unsafe => "unsafe",
            Label::Benign => "benign",
        }
    }
}

/// One labelled row.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    /// The text.
    pub text: String,
    /// Its label.
    pub label: Label,
    /// Source-specific sub-label.
    #[serde(default)]
    pub category: String,
    /// Language code.
    #[serde(default)]
    pub lang: String,
    /// Kind of text, when the corpus says.
    #[serde(default)]
    pub kind: Option<Kind>,
    /// The file it came from (its stem), set by the loader.
    #[serde(skip)]
    pub file: String,
}

/// Which part of the dev data a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Used by `palisade train`.
    Train,
    /// Held back for `palisade eval`.
    Test,
}

impl Row {
    /// Stable hash of file and text: fold assignment and the split.
    pub fn group(&self) -> u64 {
        let d = Sha256::new()
            .chain_update(self.file.as_bytes())
            .chain_update([0u8])
            .chain_update(self.text.as_bytes())
            .finalize();
        u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }

    /// One row in five, chosen by hash, is test data; the rest trains.
    pub fn split(&self) -> Split {
        if self.group() % 5 == 0 {
            Split::Test
        } else {
            Split::Train
        }
    }
}

/// Reads one JSONL file.
pub fn load_file(path: &Path) -> Result<Vec<Row>, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let file = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("unknown")
        .to_string();
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut row: Row = serde_json::from_str(line).map_err(|e| DatasetError::Row {
            path: path.display().to_string(),
            line: n + 1,
            message: e.to_string(),
        })?;
        row.file = file.clone();
        rows.push(row);
    }
    Ok(rows)
}

/// Reads files and every `*.jsonl` directly inside given directories.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Row>, DatasetError> {
    let mut rows = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|source| DatasetError::Io {
                path: p.display().to_string(),
                source,
            })?;
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|e| e == "jsonl"))
                .collect();
            if files.is_empty() {
                return Err(DatasetError::Empty(p.display().to_string()));
            }
            files.sort();
            for f in files {
                rows.extend(load_file(&f)?);
            }
        } else {
            rows.extend(load_file(p)?);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_load_with_file_stem_and_errors_name_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("mini.jsonl");
        std::fs::write(
            &f,
            "{\"text\":\"hi\",\"label\":\"benign\"}\n\n{\"text\":\"x\",\"label\":\"jailbreak\",\"kind\":\"document\"}\n",
        )
        .expect("write");
        let rows = load_paths(&[dir.path().to_path_buf()]).expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].file, "mini");
        assert_eq!(rows[1].kind, Some(Kind::Document));
        std::fs::write(&f, "{\"text\":\"hi\",\"label\":\"benign\"}\n{\"text\":1}\n")
            .expect("write");
        let e = load_file(&f).unwrap_err().to_string();
        assert!(e.contains("mini.jsonl:2"), "{e}");
    }

    #[test]
    fn split_is_stable_and_about_one_in_five() {
        let rows: Vec<Row> = (0..1000)
            .map(|i| Row {
                text: format!("row {i}"),
                label: Label::Benign,
                category: String::new(),
                lang: String::new(),
                kind: None,
                file: "f".into(),
            })
            .collect();
        let test = rows.iter().filter(|r| r.split() == Split::Test).count();
        assert!((150..250).contains(&test), "{test}");
        assert_eq!(rows[3].split(), rows[3].clone().split());
    }
}
