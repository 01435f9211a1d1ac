//! Loading and validating the posture rule file
//! (`catalog/posture/rules.yaml`). Regexes are compiled once here, so a bad
//! pattern fails at start-up with the rule's id, never mid-scan.

use crate::report::Severity;
use regex::Regex;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

/// The rule file compiled into the binary.
pub const BUILTIN: &str = include_str!("../../../../catalog/posture/rules.yaml");

/// A rule file that failed validation.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The YAML does not parse or has the wrong shape.
    #[error("posture rules: {0}")]
    Parse(#[from] serde_yaml::Error),
    /// A rule breaks a constraint.
    #[error("posture rule {id}: {problem}")]
    Invalid {
        /// The rule id.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    severity: String,
    title: String,
    rationale: String,
    remediation: String,
    #[serde(default)]
    references: Vec<String>,
    check: RawCheck,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    #[serde(default)]
    builtin: bool,
    service: Option<RawService>,
    source: Option<RawSource>,
    terraform: Option<RawTerraform>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCond {
    exposed: Option<bool>,
    platform: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    env_set: Vec<String>,
    arg: Option<String>,
    privileged: Option<bool>,
    gpu: Option<bool>,
    host_ipc: Option<bool>,
    host_pid: Option<bool>,
    host_network: Option<bool>,
    host_mount: Option<String>,
    cap: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    when: Vec<RawCond>,
    #[serde(default)]
    unless: Vec<RawCond>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    langs: Vec<String>,
    pattern: String,
    call_when: Option<String>,
    call_unless: Option<String>,
    line_unless: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTfCond {
    attr: Option<String>,
    matches: Option<String>,
    missing: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerraform {
    types: Vec<String>,
    #[serde(default)]
    when: Vec<RawTfCond>,
    #[serde(default)]
    unless: Vec<RawTfCond>,
    #[serde(default)]
    subject: Vec<String>,
}

/// A service condition: every set field must hold.
#[derive(Debug, Default)]
pub struct Cond {
    /// Published beyond loopback.
    pub exposed: Option<bool>,
    /// Platform pattern.
    pub platform: Option<Regex>,
    /// Variables that must be set to matching literals.
    pub env: Vec<(String, Regex)>,
    /// Any of these variables set.
    pub env_set: Vec<String>,
    /// Command-line pattern.
    pub arg: Option<Regex>,
    /// Privileged.
    pub privileged: Option<bool>,
    /// GPUs.
    pub gpu: Option<bool>,
    /// Host IPC.
    pub host_ipc: Option<bool>,
    /// Host PID.
    pub host_pid: Option<bool>,
    /// Host network.
    pub host_network: Option<bool>,
    /// A host mount matching.
    pub host_mount: Option<Regex>,
    /// An added capability matching.
    pub cap: Option<Regex>,
}

/// A check on running services.
#[derive(Debug)]
pub struct ServiceCheck {
    /// Catalogue product ids (empty = any).
    pub products: Vec<String>,
    /// Component kinds (empty = any).
    pub kinds: Vec<String>,
    /// All must hold.
    pub when: Vec<Cond>,
    /// Any suppresses.
    pub unless: Vec<Cond>,
}

/// A check on source and configuration text.
#[derive(Debug)]
pub struct SourceCheck {
    /// `python`, `config`.
    pub langs: Vec<String>,
    /// Where to look.
    pub pattern: Regex,
    /// The call starting at the match must match this.
    pub call_when: Option<Regex>,
    /// …and must not match this.
    pub call_unless: Option<Regex>,
    /// The line of the match must not match this.
    pub line_unless: Option<Regex>,
}

/// A Terraform attribute condition.
#[derive(Debug)]
pub enum TfCond {
    /// Some value at any of the `|`-separated paths matches.
    Matches(Vec<String>, Regex),
    /// None of the `|`-separated paths has a value.
    Missing(Vec<String>),
}

/// A check on Terraform resources.
#[derive(Debug)]
pub struct TerraformCheck {
    /// Resource types (trailing `*` = prefix).
    pub types: Vec<String>,
    /// All must hold.
    pub when: Vec<TfCond>,
    /// Any suppresses.
    pub unless: Vec<TfCond>,
    /// Attributes naming the subject.
    pub subject: Vec<String>,
}

/// How a rule is checked.
#[derive(Debug)]
pub enum Check {
    /// In code.
    Builtin,
    /// On services.
    Service(ServiceCheck),
    /// On text.
    Source(SourceCheck),
    /// On Terraform.
    Terraform(TerraformCheck),
}

/// A loaded rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable id.
    pub id: String,
    /// Default severity.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// Why it matters.
    pub rationale: String,
    /// How to fix.
    pub remediation: String,
    /// Links.
    pub references: Vec<String>,
    /// How it is checked.
    pub check: Check,
}

/// The rule ids implemented in code.
pub const BUILTIN_IDS: &[&str] = &[
    "VULN",
    "SECRET",
    "MODEL_FILE_MALICIOUS",
    "MODEL_FILE_SUSPICIOUS",
    "UNPINNED_AI_DEPENDENCY",
    "UNPINNED_IMAGE",
    "PUBLIC_MODEL_BUCKET",
    "MCP_UNPINNED_PACKAGE",
    "MCP_FS_ROOT_TOO_BROAD",
    "MCP_HARDCODED_SECRET",
    "MCP_SHELL_ALLOW_ALL",
    "MCP_DOCKER_PRIVILEGED",
    "MCP_HOST_ROOT_MOUNT",
    "MCP_HOST_NETWORK",
    "MCP_UNPINNED_IMAGE",
    "MCP_PLAINTEXT_REMOTE",
    "MCP_REMOTE_NO_AUTH",
    "MCP_SERVER_BIND_ALL_NO_AUTH",
    "MCP_SERVER_CORS_WILDCARD",
    "MCP_TOOL_POISONING",
    "MCP_TOOL_DESCRIPTION_CHANGED",
];

/// The loaded rule set.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

fn re(id: &str, what: &str, pattern: &str) -> Result<Regex, RuleError> {
    Regex::new(pattern).map_err(|e| RuleError::Invalid {
        id: id.to_string(),
        problem: format!("{what}: invalid regex: {e}"),
    })
}

fn cond(id: &str, c: RawCond) -> Result<Cond, RuleError> {
    let opt = |what: &str, p: Option<String>| p.map(|p| re(id, what, &p)).transpose();
    let mut env = Vec::new();
    for (k, v) in c.env {
        env.push((k.clone(), re(id, &format!("env {k}"), &v)?));
    }
    Ok(Cond {
        exposed: c.exposed,
        platform: opt("platform", c.platform)?,
        env,
        env_set: c.env_set,
        arg: opt("arg", c.arg)?,
        privileged: c.privileged,
        gpu: c.gpu,
        host_ipc: c.host_ipc,
        host_pid: c.host_pid,
        host_network: c.host_network,
        host_mount: opt("host_mount", c.host_mount)?,
        cap: opt("cap", c.cap)?,
    })
}

fn tf_cond(id: &str, c: RawTfCond) -> Result<TfCond, RuleError> {
    let split = |s: &str| s.split('|').map(str::to_string).collect::<Vec<_>>();
    match (c.attr, c.matches, c.missing) {
        (Some(a), Some(m), None) => Ok(TfCond::Matches(split(&a), re(id, "terraform", &m)?)),
        (None, None, Some(p)) => Ok(TfCond::Missing(split(&p))),
        _ => Err(RuleError::Invalid {
            id: id.to_string(),
            problem: "a terraform condition is either {attr, matches} or {missing}".into(),
        }),
    }
}

impl RuleSet {
    /// The built-in rules.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::from_yaml(
            BUILTIN,
            &crate::catalog::Catalog::builtin().map_err(|e| RuleError::Invalid {
                id: "-".into(),
                problem: e.to_string(),
            })?,
        )
    }

    /// Parses and validates rules against a component catalogue (product
    /// ids and kinds named by service checks must exist).
    pub fn from_yaml(text: &str, catalog: &crate::catalog::Catalog) -> Result<RuleSet, RuleError> {
        let file: File = serde_yaml::from_str(text)?;
        let mut ids = HashSet::new();
        let mut rules = Vec::new();
        for r in file.rules {
            let id = r.id.clone();
            let bad = |problem: String| RuleError::Invalid {
                id: id.clone(),
                problem,
            };
            if !ids.insert(id.clone()) {
                return Err(bad("duplicate id".into()));
            }
            let severity = Severity::parse(&r.severity)
                .ok_or_else(|| bad(format!("unknown severity `{}`", r.severity)))?;
            let c = r.check;
            let n = usize::from(c.builtin)
                + usize::from(c.service.is_some())
                + usize::from(c.source.is_some())
                + usize::from(c.terraform.is_some());
            if n != 1 {
                return Err(bad(
                    "needs exactly one of builtin, service, source, terraform".into(),
                ));
            }
            let check = if c.builtin {
                if !BUILTIN_IDS.contains(&id.as_str()) {
                    return Err(bad("marked builtin but no code implements it".into()));
                }
                Check::Builtin
            } else if let Some(s) = c.service {
                for p in &s.products {
                    if catalog.product(p).is_none() {
                        return Err(bad(format!("unknown catalogue product `{p}`")));
                    }
                }
                for k in &s.kinds {
                    if !crate::catalog::KINDS.contains(&k.as_str()) {
                        return Err(bad(format!("unknown kind `{k}`")));
                    }
                }
                if s.when.is_empty() {
                    return Err(bad("a service check needs at least one `when`".into()));
                }
                Check::Service(ServiceCheck {
                    products: s.products,
                    kinds: s.kinds,
                    when: s
                        .when
                        .into_iter()
                        .map(|c| cond(&id, c))
                        .collect::<Result<_, _>>()?,
                    unless: s
                        .unless
                        .into_iter()
                        .map(|c| cond(&id, c))
                        .collect::<Result<_, _>>()?,
                })
            } else if let Some(s) = c.source {
                for l in &s.langs {
                    if !matches!(l.as_str(), "python" | "config") {
                        return Err(bad(format!("unknown language `{l}`")));
                    }
                }
                let opt = |what: &str, p: Option<String>| p.map(|p| re(&id, what, &p)).transpose();
                Check::Source(SourceCheck {
                    langs: s.langs,
                    pattern: re(&id, "pattern", &s.pattern)?,
                    call_when: opt("call_when", s.call_when)?,
                    call_unless: opt("call_unless", s.call_unless)?,
                    line_unless: opt("line_unless", s.line_unless)?,
                })
            } else if let Some(t) = c.terraform {
                Check::Terraform(TerraformCheck {
                    types: t.types,
                    when: t
                        .when
                        .into_iter()
                        .map(|c| tf_cond(&id, c))
                        .collect::<Result<_, _>>()?,
                    unless: t
                        .unless
                        .into_iter()
                        .map(|c| tf_cond(&id, c))
                        .collect::<Result<_, _>>()?,
                    subject: t.subject,
                })
            } else {
                return Err(bad("no check".into()));
            };
            rules.push(Rule {
                id,
                severity,
                title: r.title,
                rationale: r.rationale,
                remediation: r.remediation,
                references: r.references,
                check,
            });
        }
        for b in BUILTIN_IDS {
            if !rules.iter().any(|r| r.id == *b) {
                return Err(RuleError::Invalid {
                    id: (*b).to_string(),
                    problem: "implemented in code but missing from the rule file".into(),
                });
            }
        }
        Ok(RuleSet { rules })
    }

    /// Every rule.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}
