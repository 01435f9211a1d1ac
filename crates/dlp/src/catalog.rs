//! The catalogue: data types and credentials as YAML data files, loaded
//! and validated at start-up. Errors name the file, the type and the line.

use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/builtin_catalog.rs"));

/// Why a catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// YAML syntax or an unknown/mistyped field.
    #[error("{file}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A type that parses but cannot work.
    #[error("{file}: type {id:?}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The type id.
        id: String,
        /// What is wrong.
        message: String,
    },
}

/// Sensitivity grade, S1 (public) to S4 (highly sensitive).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
pub enum Grade {
    /// Public.
    S1,
    /// Internal.
    S2,
    /// Confidential / personal.
    S3,
    /// Highly sensitive: national ids, account numbers, health, credentials.
    S4,
}

/// The examples a type ships with; the tests run them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// `'<text> => <value>'`: the type must be found with exactly that span.
    #[serde(default)]
    pub positive: Vec<String>,
    /// Texts where the type must not be reported.
    #[serde(default)]
    pub negative: Vec<String>,
}

/// One data type as written in a catalogue file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataType {
    /// Unique id, `[a-z0-9_]+`.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// Family: personal, contact, financial, governmental, health, network,
    /// location, vehicle, education, employment, corporate, biometric,
    /// device, credential.
    pub category: String,
    /// Sensitivity.
    pub grade: Grade,
    /// Where the format is used (`global` when everywhere).
    #[serde(default)]
    pub locales: Vec<String>,
    /// For credentials: the provider.
    #[serde(default)]
    pub provider: Option<String>,
    /// Regexes (Rust syntax).
    pub patterns: Vec<String>,
    /// The capture group holding the value (0 = whole match).
    #[serde(default)]
    pub value_group: usize,
    /// Words that make a match more likely when near it.
    #[serde(default)]
    pub context: Vec<String>,
    /// Report only with a context word near.
    #[serde(default)]
    pub context_required: bool,
    /// A checksum or format validator (see `validate::VALIDATORS`).
    #[serde(default)]
    pub validator: Option<String>,
    /// `[min, max]` ASCII digits a match must hold, counted up to its
    /// first letter (so a phone extension such as `x123` is not counted).
    /// Patterns of digit groups with free separators cannot bound the total
    /// themselves: `\d{1,5}(?:\.\d{2,5})+` is a phone number and `7.51`.
    #[serde(default)]
    pub digits: Option<[usize; 2]>,
    /// Base confidence of a match.
    pub score: f32,
    /// The label evaluation corpora use for this type.
    #[serde(default)]
    pub dataset_label: Option<String>,
    /// One line for people.
    #[serde(default)]
    pub description: Option<String>,
    /// Examples the tests run.
    pub examples: Examples,
    /// The file it came from.
    #[serde(skip)]
    pub file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    types: Vec<DataType>,
}

const CATEGORIES: &[&str] = &[
    "personal",
    "contact",
    "financial",
    "governmental",
    "health",
    "network",
    "location",
    "vehicle",
    "education",
    "employment",
    "corporate",
    "biometric",
    "device",
    "credential",
];

/// A validated catalogue.
#[derive(Debug, Clone)]
pub struct Catalog {
    types: Vec<DataType>,
}

impl Catalog {
    /// The catalogue compiled into the binary.
    pub fn builtin() -> Result<Self, CatalogError> {
        Self::from_sources(
            BUILTIN_FILES
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string())),
        )
    }

    /// Every `*.yaml` under `dir` (recursively one level: `types/`,
    /// `credentials/` or files directly in it).
    pub fn load_dir(dir: &Path) -> Result<Self, CatalogError> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let rd = std::fs::read_dir(&d).map_err(|source| CatalogError::Io {
                path: d.display().to_string(),
                source,
            })?;
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    // Column-name hints are not data types.
                    if p.file_name().is_some_and(|n| n != "columns") {
                        stack.push(p);
                    }
                } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                    files.push(p);
                }
            }
        }
        files.sort();
        let mut sources = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|source| CatalogError::Io {
                path: f.display().to_string(),
                source,
            })?;
            sources.push((f.display().to_string(), text));
        }
        Self::from_sources(sources.into_iter())
    }

    /// Parses and validates `(file name, YAML)` pairs.
    pub fn from_sources(
        sources: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, CatalogError> {
        let mut types = Vec::new();
        let mut seen = HashSet::new();
        for (file, text) in sources {
            let spec: FileSpec = serde_yaml::from_str(&text).map_err(|e| CatalogError::Syntax {
                file: file.clone(),
                line: e.location().map(|l| l.line()),
                message: e.to_string(),
            })?;
            for mut t in spec.types {
                t.file = file.clone();
                let invalid = |m: String| CatalogError::Invalid {
                    file: file.clone(),
                    id: t.id.clone(),
                    message: m,
                };
                if t.id.is_empty()
                    || !t
                        .id
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    return Err(invalid("id must be [a-z0-9_]+".into()));
                }
                if !seen.insert(t.id.clone()) {
                    return Err(invalid("duplicate id".into()));
                }
                if !CATEGORIES.contains(&t.category.as_str()) {
                    return Err(invalid(format!("unknown category {:?}", t.category)));
                }
                if t.patterns.is_empty() {
                    return Err(invalid("no patterns".into()));
                }
                if !(0.0..=1.0).contains(&t.score) {
                    return Err(invalid(format!("score {} is not in 0..1", t.score)));
                }
                if let Some(v) = &t.validator {
                    if crate::validate::validate(v, "").is_none() {
                        return Err(invalid(format!("unknown validator {v:?}")));
                    }
                }
                if let Some([lo, hi]) = t.digits {
                    if lo == 0 || lo > hi || hi > 64 {
                        return Err(invalid(format!(
                            "digits [{lo}, {hi}] must satisfy 1 <= min <= max <= 64"
                        )));
                    }
                }
                if t.category == "credential" && t.provider.is_none() {
                    return Err(invalid("credentials need a provider".into()));
                }
                if t.examples.positive.len() < 2 || t.examples.negative.len() < 2 {
                    return Err(invalid(
                        "needs at least two positive and two negative examples".into(),
                    ));
                }
                types.push(t);
            }
        }
        Ok(Self { types })
    }

    /// The catalogue restricted to the types `keep` accepts.
    pub fn filtered(&self, keep: impl Fn(&DataType) -> bool) -> Catalog {
        Catalog {
            types: self.types.iter().filter(|t| keep(t)).cloned().collect(),
        }
    }

    /// Every type.
    pub fn types(&self) -> &[DataType] {
        &self.types
    }

    /// A type by id.
    pub fn get(&self, id: &str) -> Option<&DataType> {
        self.types.iter().find(|t| t.id == id)
    }
}

/// Splits a positive example into its text and expected value.
pub fn split_example(example: &str) -> (&str, Option<&str>) {
    match example.rsplit_once(" => ") {
        Some((text, value)) => (text, Some(value)),
        None => (example, None),
    }
}
