//! Playbooks: data files (`catalog/playbooks/*.yaml`) that say which
//! incidents trigger which response steps. Execution goes through an
//! [`Actuator`] (the CLI's talks to a running `palisade serve` over its
//! admin API), is a dry run unless asked otherwise, holds destructive
//! steps for approval, and returns an audit record for every step, done
//! or not.

use crate::alert::{EntityKind, Level};
use crate::incident::Incident;
use crate::triage::Verdict;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The playbooks compiled into the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "block-injection-client.yaml",
        include_str!("../../../catalog/playbooks/block-injection-client.yaml"),
    ),
    (
        "revoke-abused-key.yaml",
        include_str!("../../../catalog/playbooks/revoke-abused-key.yaml"),
    ),
    (
        "quarantine-malicious-model.yaml",
        include_str!("../../../catalog/playbooks/quarantine-malicious-model.yaml"),
    ),
    (
        "notify-high-severity.yaml",
        include_str!("../../../catalog/playbooks/notify-high-severity.yaml"),
    ),
];

/// A playbook that failed validation.
#[derive(Debug, thiserror::Error)]
pub enum PlaybookError {
    /// Not valid YAML or wrong shape.
    #[error("playbook {file}: {source}")]
    Parse {
        /// The file.
        file: String,
        /// Why.
        source: serde_yaml::Error,
    },
    /// A step or trigger is wrong.
    #[error("playbook {file}: {problem}")]
    Invalid {
        /// The file.
        file: String,
        /// What.
        problem: String,
    },
    /// A folder could not be read.
    #[error("playbooks in {path}: {source}")]
    Io {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// When a playbook applies.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Lowest incident severity.
    #[serde(default)]
    pub min_severity: Option<Level>,
    /// Incident verdicts that qualify (default: true positive).
    #[serde(default)]
    pub verdicts: Vec<Verdict>,
    /// Any of these tags on any alert (prefix match: `attack.t1110`).
    #[serde(default)]
    pub tags_any: Vec<String>,
    /// Any of these rule ids among the alerts.
    #[serde(default)]
    pub rules_any: Vec<String>,
    /// The incident must name an entity of this kind (the steps' target).
    #[serde(default)]
    pub entity: Option<EntityKind>,
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Refuse requests from a client address at the gateway.
    BlockClient,
    /// Revoke a gateway API key.
    RevokeKey,
    /// Move a model file into quarantine.
    QuarantineFile,
    /// POST the incident summary to a webhook.
    Webhook,
}

impl ActionKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::BlockClient => "block_client",
            ActionKind::RevokeKey => "revoke_key",
            ActionKind::QuarantineFile => "quarantine_file",
            ActionKind::Webhook => "webhook",
        }
    }

    /// Steps that cannot be undone by expiry wait for approval by default.
    pub fn destructive(self) -> bool {
        matches!(self, ActionKind::RevokeKey | ActionKind::QuarantineFile)
    }
}

/// One step.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What to do.
    pub action: ActionKind,
    /// For `block_client`: how long, in seconds.
    #[serde(default)]
    pub ttl_s: Option<u64>,
    /// For `webhook`: the environment variable holding the URL.
    #[serde(default)]
    pub url_env: Option<String>,
    /// Overrides the default approval rule.
    #[serde(default)]
    pub approval: Option<bool>,
    /// Per-step timeout in seconds (default 10).
    #[serde(default)]
    pub timeout_s: Option<u64>,
}

/// A playbook.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    /// Stable id.
    pub id: String,
    /// One line.
    pub name: String,
    /// When it applies.
    pub trigger: Trigger,
    /// What it does, in order.
    pub steps: Vec<Step>,
}

/// Parses and validates one playbook.
pub fn parse(file: &str, text: &str) -> Result<Playbook, PlaybookError> {
    let p: Playbook = serde_yaml::from_str(text).map_err(|source| PlaybookError::Parse {
        file: file.to_string(),
        source,
    })?;
    let bad = |problem: String| PlaybookError::Invalid {
        file: file.to_string(),
        problem,
    };
    if p.steps.is_empty() {
        return Err(bad("no steps".into()));
    }
    for s in &p.steps {
        let needs = match s.action {
            ActionKind::BlockClient => Some(EntityKind::ClientAddr),
            ActionKind::RevokeKey => Some(EntityKind::ApiKey),
            ActionKind::QuarantineFile => Some(EntityKind::File),
            ActionKind::Webhook => None,
        };
        if let Some(k) = needs {
            if p.trigger.entity != Some(k) {
                return Err(bad(format!(
                    "step {} needs `trigger.entity: {}`",
                    s.action.as_str(),
                    k.as_str()
                )));
            }
        }
        if s.action == ActionKind::Webhook && s.url_env.is_none() {
            return Err(bad("webhook step needs `url_env`".into()));
        }
    }
    Ok(p)
}

/// The built-in playbooks plus any in `dir`.
pub fn load(dir: Option<&Path>) -> Result<Vec<Playbook>, PlaybookError> {
    let mut out = Vec::new();
    for (f, t) in BUILTIN {
        out.push(parse(f, t)?);
    }
    if let Some(d) = dir {
        let io = |source| PlaybookError::Io {
            path: d.display().to_string(),
            source,
        };
        let mut files: Vec<_> = std::fs::read_dir(d)
            .map_err(io)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(io)?;
            out.push(parse(&f.display().to_string(), &text)?);
        }
    }
    Ok(out)
}

/// Whether a playbook applies to an incident.
pub fn applies(p: &Playbook, inc: &Incident) -> bool {
    let t = &p.trigger;
    if t.min_severity.is_some_and(|m| inc.severity < m) {
        return false;
    }
    let verdicts: &[Verdict] = if t.verdicts.is_empty() {
        &[Verdict::TruePositive]
    } else {
        &t.verdicts
    };
    if !verdicts.contains(&inc.verdict) {
        return false;
    }
    if !t.tags_any.is_empty()
        && !inc
            .alerts
            .iter()
            .flat_map(|a| a.alert.tags.iter())
            .any(|tag| t.tags_any.iter().any(|w| tag.starts_with(w.as_str())))
    {
        return false;
    }
    if !t.rules_any.is_empty()
        && !inc
            .alerts
            .iter()
            .any(|a| t.rules_any.contains(&a.alert.rule_id))
    {
        return false;
    }
    if let Some(k) = t.entity {
        if !inc
            .entities
            .keys()
            .any(|e| e.starts_with(&format!("{}:", k.as_str())))
        {
            return false;
        }
    }
    true
}

/// Carries out steps. Every method returns a short result for the audit
/// log or an error message.
pub trait Actuator {
    /// Blocks a client address for `ttl_s` seconds.
    fn block_client(
        &self,
        addr: &str,
        ttl_s: u64,
        reason: &str,
        timeout_s: u64,
    ) -> Result<String, String>;
    /// Revokes a gateway key.
    fn revoke_key(&self, key_id: &str, reason: &str, timeout_s: u64) -> Result<String, String>;
    /// Moves a file into quarantine.
    fn quarantine_file(&self, path: &str, reason: &str) -> Result<String, String>;
    /// Posts a JSON body to a URL.
    fn webhook(
        &self,
        url: &str,
        body: &serde_json::Value,
        timeout_s: u64,
    ) -> Result<String, String>;
}

/// One audited step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// When.
    pub time_ms: i64,
    /// The incident.
    pub incident: String,
    /// The playbook.
    pub playbook: String,
    /// The step's action.
    pub action: String,
    /// Its target (address, key id, path, webhook variable).
    pub target: String,
    /// `done`, `dry_run`, `awaiting_approval`, `failed`, `skipped`.
    pub status: String,
    /// Result or error.
    pub detail: String,
}

/// How to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Really act (default: dry run).
    pub execute: bool,
    /// Approve steps that need approval.
    pub approve: bool,
    /// The time to stamp records with.
    pub now_ms: i64,
}

fn targets(inc: &Incident, kind: EntityKind) -> Vec<String> {
    let prefix = format!("{}:", kind.as_str());
    inc.entities
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
        .collect()
}

/// Runs a playbook's steps for an incident; returns one record per step
/// and target.
pub fn run(
    p: &Playbook,
    inc: &Incident,
    act: &dyn Actuator,
    opts: RunOptions,
) -> Vec<ActionRecord> {
    let mut out = Vec::new();
    let reason = format!("palisade incident {}: {}", inc.id, inc.title);
    for s in &p.steps {
        let timeout = s.timeout_s.unwrap_or(10);
        let list = match s.action {
            ActionKind::BlockClient => targets(inc, EntityKind::ClientAddr),
            ActionKind::RevokeKey => targets(inc, EntityKind::ApiKey),
            ActionKind::QuarantineFile => targets(inc, EntityKind::File),
            ActionKind::Webhook => vec![s.url_env.clone().unwrap_or_default()],
        };
        for target in list {
            let needs_approval = s.approval.unwrap_or_else(|| s.action.destructive());
            let mut rec = ActionRecord {
                time_ms: opts.now_ms,
                incident: inc.id.clone(),
                playbook: p.id.clone(),
                action: s.action.as_str().into(),
                target: target.clone(),
                status: String::new(),
                detail: String::new(),
            };
            if !opts.execute {
                rec.status = "dry_run".into();
                rec.detail = "not executed (pass --execute)".into();
            } else if needs_approval && !opts.approve {
                rec.status = "awaiting_approval".into();
                rec.detail = "destructive step: re-run with --approve".into();
            } else {
                let result = match s.action {
                    ActionKind::BlockClient => act.block_client(&target, s.ttl_s.unwrap_or(3600), &reason, timeout),
                    ActionKind::RevokeKey => act.revoke_key(&target, &reason, timeout),
                    ActionKind::QuarantineFile => act.quarantine_file(&target, &reason),
                    ActionKind::Webhook => match std::env::var(&target) {
                        Ok(url) if !url.is_empty() => act.webhook(
                            &url,
                            &serde_json::json!({
                                "incident": inc.id, "title": inc.title, "severity": inc.severity,
                                "verdict": inc.verdict, "alerts": inc.alerts.len(),
                                "techniques": inc.techniques, "entities": inc.entities.keys().collect::<Vec<_>>(),
                            }),
                            timeout,
                        ),
                        _ => Err(format!("environment variable {target} is not set")),
                    },
                };
                match result {
                    Ok(d) => {
                        rec.status = "done".into();
                        rec.detail = d;
                    }
                    Err(e) => {
                        rec.status = "failed".into();
                        rec.detail = e;
                    }
                }
            }
            out.push(rec);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_playbooks_load() {
        let p = load(None).expect("playbooks");
        assert!(p.len() >= 4);
    }

    #[test]
    fn steps_need_their_target_entity() {
        let y = "id: x\nname: x\ntrigger: {}\nsteps: [{action: block_client}]\n";
        assert!(parse("x.yaml", y)
            .unwrap_err()
            .to_string()
            .contains("trigger.entity"));
        assert!(parse(
            "x.yaml",
            "id: x\nname: x\ntrigger: {}\nsteps: [{action: explode}]\n"
        )
        .is_err());
    }
}

#[cfg(test)]
mod run_tests {
    use super::*;
    use crate::alert::{Alert, Entity};
    use crate::incident::{group, Judged};
    use crate::triage::{Triage, Verdict};
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    #[derive(Default)]
    struct Recorder(RefCell<Vec<String>>);

    impl Actuator for Recorder {
        fn block_client(
            &self,
            addr: &str,
            ttl_s: u64,
            _r: &str,
            _t: u64,
        ) -> Result<String, String> {
            self.0.borrow_mut().push(format!("block {addr} {ttl_s}"));
            Ok("blocked".into())
        }
        fn revoke_key(&self, key_id: &str, _r: &str, _t: u64) -> Result<String, String> {
            self.0.borrow_mut().push(format!("revoke {key_id}"));
            Err("HTTP 404".into())
        }
        fn quarantine_file(&self, path: &str, _r: &str) -> Result<String, String> {
            self.0.borrow_mut().push(format!("quarantine {path}"));
            Ok("moved".into())
        }
        fn webhook(&self, url: &str, _b: &serde_json::Value, _t: u64) -> Result<String, String> {
            self.0.borrow_mut().push(format!("webhook {url}"));
            Ok("HTTP 200".into())
        }
    }

    fn incident() -> crate::incident::Incident {
        let a = Alert {
            id: "al-1".into(),
            rule_id: "r".into(),
            rule_title: "Injection flood".into(),
            level: Level::High,
            tags: vec!["owasp.llm01".into()],
            rule_status: None,
            time_ms: 0,
            file: "gateway".into(),
            event_index: 0,
            entities: vec![
                Entity {
                    kind: EntityKind::ClientAddr,
                    value: "203.0.113.7".into(),
                },
                Entity {
                    kind: EntityKind::ApiKey,
                    value: "abc123".into(),
                },
            ],
            fields: BTreeMap::new(),
        };
        let j = Judged {
            alert: a,
            triage: Triage {
                verdict: Verdict::TruePositive,
                confidence: 0.8,
                score: 0.8,
                reasons: vec![],
                duplicate_of: None,
            },
        };
        group(vec![j], 60_000).remove(0)
    }

    #[test]
    fn dry_run_approval_and_execution_are_audited() {
        let inc = incident();
        let books = load(None).unwrap();
        let block = books
            .iter()
            .find(|p| p.id == "block-injection-client")
            .unwrap();
        let revoke = books.iter().find(|p| p.id == "revoke-abused-key").unwrap();
        assert!(applies(block, &inc) && applies(revoke, &inc));
        let rec = Recorder::default();
        let dry = run(block, &inc, &rec, RunOptions::default());
        assert_eq!(dry[0].status, "dry_run");
        assert!(rec.0.borrow().is_empty(), "a dry run must not act");
        let held = run(
            revoke,
            &inc,
            &rec,
            RunOptions {
                execute: true,
                ..Default::default()
            },
        );
        assert_eq!(held[0].status, "awaiting_approval");
        let done = run(
            block,
            &inc,
            &rec,
            RunOptions {
                execute: true,
                ..Default::default()
            },
        );
        assert_eq!(
            (done[0].status.as_str(), done[0].target.as_str()),
            ("done", "203.0.113.7")
        );
        let failed = run(
            revoke,
            &inc,
            &rec,
            RunOptions {
                execute: true,
                approve: true,
                now_ms: 5,
            },
        );
        assert_eq!(
            (failed[0].status.as_str(), failed[0].detail.as_str()),
            ("failed", "HTTP 404")
        );
        assert_eq!(
            *rec.0.borrow(),
            vec![
                "block 203.0.113.7 3600".to_string(),
                "revoke abc123".to_string()
            ]
        );
    }
}
