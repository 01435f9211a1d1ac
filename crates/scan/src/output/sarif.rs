//! SARIF 2.1.0 for code-scanning UIs: one rule per posture rule that
//! fired, one result per finding, with a stable fingerprint so UIs track a
//! finding across runs.

use crate::posture::rules::RuleSet;
use crate::report::{Report, Severity};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` scale (0–10).
fn score(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// Renders the report as SARIF 2.1.0.
pub fn render(report: &Report, rules: &RuleSet) -> String {
    let used: BTreeSet<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    let rule_defs: Vec<Value> = used
        .iter()
        .filter_map(|id| rules.get(id))
        .map(|r| {
            let mut v = json!({
                "id": r.id,
                "name": r.id.to_ascii_lowercase().split('_').map(|w| {
                    let mut c = w.chars();
                    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
                }).collect::<String>(),
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.rationale},
                "help": {"text": r.remediation},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"security-severity": score(r.severity), "tags": ["security", "ai"]},
            });
            if let Some(u) = r.references.first() {
                v["helpUri"] = json!(u);
            }
            v
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            use sha2::Digest;
            let fp = sha2::Sha256::digest(format!("{}|{}|{}", f.id, f.path, f.subject.as_deref().unwrap_or("")).as_bytes());
            let fp: String = fp.iter().take(16).map(|b| format!("{b:02x}")).collect();
            let uri = f.path.split("!/").next().unwrap_or(&f.path);
            let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": uri}}});
            if let Some(l) = f.line {
                loc["physicalLocation"]["region"] = json!({"startLine": l});
            }
            json!({
                "ruleId": f.id,
                "level": level(f.severity),
                "message": {"text": format!("{}: {}", f.title, f.evidence)},
                "locations": [loc],
                "partialFingerprints": {"palisade/v1": fp},
                "properties": {"severity": f.severity.as_str(), "security-severity": score(f.severity)},
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "palisade",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/palisade",
                "rules": rule_defs,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
