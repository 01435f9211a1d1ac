//! What a scan reports. Field names are a stable interface: CI pipelines
//! and acceptance checks read `palisade scan --format json`, so fields are
//! only ever added, never renamed.

use serde::Serialize;
use std::fmt;

/// How bad a finding is. Ordered so `>=` compares for `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no direct risk.
    Info,
    /// Weakens defence in depth.
    Low,
    /// Exploitable under some conditions.
    Medium,
    /// Exploitable; fix soon.
    High,
    /// Exploitable remotely or trivially; fix now.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a name (case-insensitive); `moderate` is OSV's word for
    /// medium.
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "info" | "none" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" | "moderate" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One AI component found in a manifest, lockfile, image reference,
/// infrastructure file or MCP configuration.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Component {
    /// Package name (normalised for its ecosystem), image repository,
    /// Terraform resource address or MCP server name.
    pub name: String,
    /// The exact version when pinned, else the requirement as written
    /// (`>=1.20`), else null.
    pub version: Option<String>,
    /// A package URL; carries the version only when it is exact.
    pub purl: Option<String>,
    /// What it is: `llm-sdk`, `inference-server`, `vector-db`, …
    pub kind: String,
    /// The file it was found in.
    pub path: String,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// `pypi`, `npm`, `cargo`, `golang`, `maven`, `conda`, `docker`,
    /// `terraform`, `mcp`, `python-import`.
    pub ecosystem: String,
    /// The catalogue product it belongs to (`langchain`, `ollama`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Human name of the product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
}

/// A model the project uses: hosted (by API), on a hub, or a file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelRef {
    /// Model id (`gpt-4o-mini`, `Qwen/Qwen2-7B-Instruct`) or file path.
    pub name: String,
    /// `openai`, `anthropic`, `alibaba-dashscope`, `huggingface`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// `hosted-model`, `hub-model` or `model-artifact`.
    pub kind: String,
    /// Where it was referenced.
    pub path: String,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// One piece of evidence about a model file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileEvidence {
    /// `malicious`, `suspicious` or `clean`: what this evidence alone says.
    pub severity: String,
    /// `import`, `lambda-layer`, `jinja-ssti`, `tf-op`, …
    pub kind: String,
    /// e.g. `posix.system`.
    pub detail: String,
    /// Archive member and/or byte offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A model or serialized-object file and its verdict.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelFile {
    /// The file (archive members as `archive!/member`).
    pub path: String,
    /// The format by magic bytes: `pickle`, `pytorch-zip`, `safetensors`, …
    pub format: String,
    /// `malicious`, `suspicious` or `clean`.
    pub verdict: String,
    /// Why.
    pub evidence: Vec<FileEvidence>,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file, when it was read whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Tensor count, parameter count, architecture, … when the format says.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub info: serde_json::Map<String, serde_json::Value>,
    /// Non-fatal parse errors (truncation, unsupported compression).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// A posture finding.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// The rule id, e.g. `OLLAMA_EXPOSED_NO_AUTH`, `VULN`, `SECRET`.
    pub id: String,
    /// How bad.
    pub severity: Severity,
    /// One line for people.
    pub title: String,
    /// The file.
    pub path: String,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// What was seen (secrets are shown redacted).
    pub evidence: String,
    /// The thing the finding is about: a service, package@version, MCP
    /// server, resource; with the id it forms the `RULE:subject` key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Advisory ids (`VULN`) or other references.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// How to fix it.
    pub remediation: String,
}

impl Finding {
    /// `RULE` or `RULE:subject`.
    pub fn key(&self) -> String {
        match &self.subject {
            Some(s) => format!("{}:{s}", self.id),
            None => self.id.clone(),
        }
    }
}

/// A file that could not be scanned, and why. The scan goes on.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScanError {
    /// The file.
    pub path: String,
    /// What was wrong.
    pub error: String,
}

/// Totals of one scan.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Stats {
    /// Files looked at.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Files skipped (ignored, binary without a model format, too large).
    pub skipped: u64,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
}

/// The whole result of a scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// What was scanned.
    pub target: String,
    /// AI components (the AI-BOM).
    pub components: Vec<Component>,
    /// Models referenced or found.
    pub models: Vec<ModelRef>,
    /// Model and serialized-object files with verdicts.
    pub files: Vec<ModelFile>,
    /// Posture findings.
    pub findings: Vec<Finding>,
    /// Files that could not be scanned.
    pub errors: Vec<ScanError>,
    /// Totals.
    pub stats: Stats,
}

impl Report {
    /// The highest severity among findings and malicious files (a
    /// malicious model file counts as critical).
    pub fn max_severity(&self) -> Option<Severity> {
        let files = self
            .files
            .iter()
            .filter(|f| f.verdict == "malicious")
            .map(|_| Severity::Critical);
        self.findings.iter().map(|f| f.severity).chain(files).max()
    }
}
