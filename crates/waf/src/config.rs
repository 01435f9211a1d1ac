//! Engine configuration: paranoia level, blocking threshold, exclusions,
//! LLM natural-language paths and parser limits.

use serde::{Deserialize, Serialize};

/// Top-level WAF configuration. `Config::default()` is a sane PL1 blocking setup.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Paranoia level 1..=4; rules with a higher level are skipped.
    pub paranoia_level: u8,
    /// Block when the inbound anomaly score reaches this value.
    pub inbound_threshold: u32,
    /// Per-route exclusions (false-positive tuning).
    pub exclusions: Vec<Exclusion>,
    /// Handling of JSON fields that carry natural language for an LLM.
    pub llm: LlmConfig,
    /// Parser and size limits.
    pub limits: Limits,
    /// Methods accepted without a protocol finding.
    pub allowed_methods: Vec<String>,
    /// Extra rule files (YAML, same schema as the built-in ones) loaded after the built-ins.
    pub extra_rule_files: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            paranoia_level: 1,
            inbound_threshold: 5,
            exclusions: Vec::new(),
            llm: LlmConfig::default(),
            limits: Limits::default(),
            allowed_methods: ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            extra_rule_files: Vec::new(),
        }
    }
}

/// Skip some rules for some targets on some routes.
///
/// Every non-empty list narrows the exclusion; empty lists mean "any".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Exclusion {
    /// Glob on the decoded request path (`*` crosses `/`), e.g. `/api/v1/docs/*`.
    pub path: String,
    /// Globs on target names, e.g. `ARGS:comment`, `JSON:body.*`.
    pub targets: Vec<String>,
    /// Rule ids to skip, e.g. `WAF-SQLI-100`.
    pub rule_ids: Vec<String>,
    /// Categories to skip, e.g. `sqli`.
    pub categories: Vec<String>,
}

/// LLM-aware handling: JSON fields holding prompts are left to the guard.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LlmConfig {
    /// Turn the feature on.
    pub enabled: bool,
    /// JSON paths (`[*]` = any index; a path also covers everything beneath it).
    pub natural_language_paths: Vec<String>,
    /// Categories not run on those fields (the guard inspects them instead).
    /// Each must be a category of a loaded rule or of a built-in detector
    /// (`sqli`, `xss`, `rce`, `ssrf`); [`crate::Waf::new`] refuses others.
    pub skip_categories: Vec<String>,
    /// Path globs of routes where natural-language fields are inspected like any other.
    pub inspect_routes: Vec<String>,
}

/// The categories the WAF leaves to the guard on natural-language fields:
/// every category of the built-in rules and detectors. Those fields are
/// text a model reads, not code a server runs, and developers ask models
/// about code: a prompt quoting `<?php echo shell_exec($_GET['cmd']); ?>`
/// for review, a log4j `${jndi:...}` line to explain, a raw HTTP request
/// with its CR LF, a URL to `localhost` or an out-of-band test domain. With
/// the injection categories alone skipped (and `php` in place of
/// `php-injection`), 14 of 21 such questions were blocked with a 403 before
/// any model saw them. Prompt injection, unsafe asks, secrets and malicious
/// URLs in those fields are the guard's findings; the WAF still reads every
/// other part of the request (path, query, headers, cookies and the other
/// JSON fields), and still flags the fields' encoding anomalies.
pub const NATURAL_SKIP: &[&str] = &[
    "sqli",
    "nosqli",
    "xss",
    "rce",
    "ssrf",
    "lfi",
    "rfi",
    "ldapi",
    "ssti",
    "xxe",
    "php-injection",
    "java-injection",
    "generic-injection",
    "mail-injection",
    "protocol-attack",
    "session-fixation",
    "scanner-detection",
];

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            enabled: true,
            natural_language_paths: [
                "messages[*].content",
                "messages[*].content[*].text",
                "prompt",
                "input",
                "system",
                "instructions",
                "contents[*].parts[*].text",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            skip_categories: NATURAL_SKIP.iter().map(|s| s.to_string()).collect(),
            inspect_routes: Vec::new(),
        }
    }
}

/// Size and count limits. Exceeding one is an anomaly finding, never a crash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest body inspected; beyond it only the head and tail are scanned.
    pub max_body_bytes: usize,
    /// Largest single value inspected in full (head and tail beyond).
    pub max_value_bytes: usize,
    /// Most arguments (query + form + multipart + JSON leaves + XML values).
    pub max_args: usize,
    /// Most header fields.
    pub max_headers: usize,
    /// Longest header value.
    pub max_header_bytes: usize,
    /// Deepest JSON/XML nesting parsed.
    pub max_depth: usize,
    /// Most multipart parts.
    pub max_parts: usize,
    /// Longest request target (path + query).
    pub max_uri_bytes: usize,
    /// URL-decoding rounds in normalisation.
    pub decode_rounds: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_value_bytes: 256 << 10,
            max_args: 1024,
            max_headers: 100,
            max_header_bytes: 8192,
            max_depth: 64,
            max_parts: 256,
            max_uri_bytes: 8192,
            decode_rounds: 3,
        }
    }
}
