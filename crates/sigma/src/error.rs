//! Error types. Loading errors always name the file (and rule when known)
//! so that a rule that cannot be loaded is reported, never silently skipped.

use std::fmt;

/// Why a rule (or a whole rule file) could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadErrorKind {
    /// The file could not be read.
    #[error("I/O error: {0}")]
    Io(String),
    /// The YAML is malformed.
    #[error("bad YAML: {0}")]
    Yaml(String),
    /// A required attribute is missing or has the wrong type.
    #[error("missing or invalid attribute: {0}")]
    Attribute(String),
    /// A field modifier is not known.
    #[error("unknown modifier: {0}")]
    UnknownModifier(String),
    /// Modifiers are known but cannot be combined, or do not fit the value.
    #[error("invalid modifier use: {0}")]
    BadModifier(String),
    /// The condition does not parse or references unknown selections.
    #[error("bad condition: {0}")]
    BadCondition(String),
    /// A detection value cannot be used (bad CIDR, bad number, ...).
    #[error("bad value: {0}")]
    BadValue(String),
    /// A regular expression does not compile.
    #[error("bad regex: {0}")]
    BadRegex(String),
    /// A feature of the Sigma specification that this engine does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A correlation or filter rule is malformed or references unknown rules.
    #[error("bad correlation/filter: {0}")]
    BadReference(String),
}

impl LoadErrorKind {
    /// A short, stable category name used to group errors in reports.
    pub fn category(&self) -> &'static str {
        match self {
            LoadErrorKind::Io(_) => "io",
            LoadErrorKind::Yaml(_) => "yaml",
            LoadErrorKind::Attribute(_) => "attribute",
            LoadErrorKind::UnknownModifier(_) => "unknown-modifier",
            LoadErrorKind::BadModifier(_) => "bad-modifier",
            LoadErrorKind::BadCondition(_) => "bad-condition",
            LoadErrorKind::BadValue(_) => "bad-value",
            LoadErrorKind::BadRegex(_) => "bad-regex",
            LoadErrorKind::Unsupported(_) => "unsupported",
            LoadErrorKind::BadReference(_) => "bad-reference",
        }
    }
}

/// A rule load failure: which file, which rule (if known) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// Path or name of the source the rule came from.
    pub path: String,
    /// Rule title or id, when the document got far enough to have one.
    pub rule: Option<String>,
    /// The reason.
    pub kind: LoadErrorKind,
}

impl LoadError {
    pub(crate) fn new(path: &str, rule: Option<String>, kind: LoadErrorKind) -> Self {
        LoadError {
            path: path.to_string(),
            rule,
            kind,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(r) => write!(f, "{} [{}]: {}", self.path, r, self.kind),
            None => write!(f, "{}: {}", self.path, self.kind),
        }
    }
}

impl std::error::Error for LoadError {}

/// A record that could not be ingested. Iteration continues after it.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened or read.
    #[error("I/O error on {path}: {reason}")]
    Io {
        /// File being read.
        path: String,
        /// Underlying error text.
        reason: String,
    },
    /// The EVTX parser rejected a chunk or a record.
    #[error("EVTX error: {0}")]
    Evtx(String),
    /// A JSONL line is not valid JSON, or not an object.
    #[error("line {line}: {reason}")]
    Json {
        /// 1-based line number.
        line: u64,
        /// What went wrong.
        reason: String,
    },
    /// A JSONL line exceeds the configured size cap.
    #[error("line {line}: longer than {cap} bytes, skipped")]
    LineTooLong {
        /// 1-based line number.
        line: u64,
        /// The cap in bytes.
        cap: usize,
    },
}
