//! Error type for building a [`crate::Waf`] (rule and configuration loading).
//!
//! Inspection itself never fails: hostile input is turned into findings, not errors.

/// Errors raised while loading rules, catalogues or configuration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule file could not be parsed as YAML.
    #[error("rule file {file}: {source}")]
    RuleYaml {
        /// File name (embedded name or path on disk).
        file: String,
        /// Underlying YAML error.
        source: serde_yaml::Error,
    },
    /// A rule is structurally invalid (bad regex, unknown target, bad level...).
    #[error("rule file {file}, rule {rule}: {message}")]
    Rule {
        /// File name.
        file: String,
        /// Rule id.
        rule: String,
        /// What is wrong.
        message: String,
    },
    /// A rule's own positive/negative example does not behave as declared.
    #[error("rule file {file}, rule {rule}: example {example:?} {message}")]
    Example {
        /// File name.
        file: String,
        /// Rule id.
        rule: String,
        /// The offending example.
        example: String,
        /// What went wrong.
        message: String,
    },
    /// Invalid configuration value.
    #[error("config: {0}")]
    Config(String),
    /// Bot catalogue could not be loaded.
    #[error("bot catalogue {file}: {message}")]
    Catalog {
        /// File name.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// I/O error while reading rules from disk.
    #[error("reading {path}: {source}")]
    Io {
        /// Path being read.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
}
