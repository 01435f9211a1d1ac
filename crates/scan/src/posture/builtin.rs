//! Rules whose logic is code: vulnerable versions, hard-coded secrets,
//! model-file verdicts, unpinned dependencies and images, public model
//! buckets.

use super::finding;
use super::rules::RuleSet;
use crate::advisories::AdvisoryDb;
use crate::facts::{line_at, Facts};
use crate::inventory::{bucket_holds_models, is_bucket, split_image};
use crate::report::{Component, Finding, ModelFile, Severity};
use crate::version;
use palisade_dlp::Engine;

/// `VULN`: every component with an exact version that an advisory names.
pub fn vulns(rules: &RuleSet, db: &AdvisoryDb, components: &[Component], out: &mut Vec<Finding>) {
    let Some(rule) = rules.get("VULN") else {
        return;
    };
    for c in components {
        let eco = match c.ecosystem.as_str() {
            "pypi" | "npm" | "cargo" | "golang" | "maven" | "docker" => c.ecosystem.as_str(),
            _ => continue,
        };
        let Some(v) = c.version.as_deref().and_then(version::exact) else {
            continue;
        };
        let hits = db.lookup(eco, &c.name, v);
        if hits.is_empty() {
            continue;
        }
        let severity = hits
            .iter()
            .map(|h| h.severity)
            .max()
            .unwrap_or(Severity::Medium);
        let ids: Vec<String> = hits
            .iter()
            .map(|h| {
                let cve = h.aliases.iter().find(|a| a.starts_with("CVE-"));
                match cve {
                    Some(c) if c != &h.id => format!("{} ({c})", h.id),
                    _ => h.id.clone(),
                }
            })
            .collect();
        let fixed: Vec<&str> = hits
            .iter()
            .map(|h| h.fixed.as_str())
            .filter(|f| !f.is_empty())
            .collect();
        let upgrade = fixed
            .iter()
            .filter_map(|f| version::Version::parse(f).map(|p| (p, *f)))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|t| t.1.to_string());
        let mut f = finding(
            rule,
            &c.path,
            c.line,
            Some(format!("{}@{v}", c.name)),
            format!(
                "{} {v}: {} advisor{}: {}{}",
                c.name,
                hits.len(),
                if hits.len() == 1 { "y" } else { "ies" },
                ids.join(", "),
                hits.first()
                    .map(|h| format!(" — {}", h.summary))
                    .unwrap_or_default()
            ),
        );
        f.severity = severity;
        f.title = format!(
            "{} {v} has {} known vulnerabilit{}",
            c.name,
            hits.len(),
            if hits.len() == 1 { "y" } else { "ies" }
        );
        f.references = hits
            .iter()
            .map(|h| h.id.clone())
            .chain(hits.iter().flat_map(|h| h.aliases.clone()))
            .collect();
        f.references.dedup();
        if let Some(u) = upgrade {
            f.remediation = format!("Upgrade {} to {u} or later.", c.name);
        }
        out.push(f);
    }
}

/// Shows a secret without revealing it: the first 4 characters and the
/// length.
pub fn redact(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}… ({} chars)", secret.chars().count())
}

/// `SECRET`: credentials in any scanned text, except spans another rule
/// already reported (MCP configs).
pub fn secrets(
    rules: &RuleSet,
    engine: &Engine,
    facts: &Facts,
    skip_paths: &[String],
    out: &mut Vec<Finding>,
) {
    let Some(rule) = rules.get("SECRET") else {
        return;
    };
    for src in &facts.sources {
        if skip_paths.iter().any(|p| p == &src.path) {
            continue;
        }
        for e in engine.scan(&src.text) {
            if e.category != "credential" {
                continue;
            }
            let value = src.text.get(e.start..e.end).unwrap_or("");
            out.push(finding(
                rule,
                &src.path,
                Some(line_at(&src.text, e.start)),
                Some(e.type_id.clone()),
                format!("{} {}", e.type_id, redact(value)),
            ));
        }
    }
}

/// `MODEL_FILE_MALICIOUS` / `MODEL_FILE_SUSPICIOUS`.
pub fn model_files(rules: &RuleSet, files: &[ModelFile], out: &mut Vec<Finding>) {
    for f in files {
        let id = match f.verdict.as_str() {
            "malicious" => "MODEL_FILE_MALICIOUS",
            "suspicious" => "MODEL_FILE_SUSPICIOUS",
            _ => continue,
        };
        let Some(rule) = rules.get(id) else { continue };
        let shown: Vec<String> = f
            .evidence
            .iter()
            .filter(|e| e.severity == f.verdict)
            .take(5)
            .map(|e| format!("{} {}", e.kind, e.detail))
            .collect();
        out.push(finding(
            rule,
            &f.path,
            None,
            None,
            format!("{} file: {}", f.format, shown.join("; ")),
        ));
    }
}

/// `UNPINNED_AI_DEPENDENCY`: AI components declared with a range in a
/// manifest and not pinned by a lockfile in the same folder.
pub fn unpinned_deps(rules: &RuleSet, components: &[Component], out: &mut Vec<Finding>) {
    let Some(rule) = rules.get("UNPINNED_AI_DEPENDENCY") else {
        return;
    };
    for c in components {
        if !matches!(c.ecosystem.as_str(), "pypi" | "npm" | "cargo" | "conda") {
            continue;
        }
        let Some(spec) = c.version.as_deref() else {
            // Declared without any version at all: also unpinned, but only
            // for manifests (imports carry no version by nature).
            continue;
        };
        if version::exact(spec).is_some() {
            continue;
        }
        out.push(finding(
            rule,
            &c.path,
            c.line,
            Some(c.name.clone()),
            format!("{} {spec}", c.name),
        ));
    }
}

/// Tags that move.
fn moving_tag(tag: Option<&str>) -> bool {
    match tag {
        None => true,
        Some(t) => matches!(
            t.to_ascii_lowercase().as_str(),
            "latest"
                | "main"
                | "master"
                | "nightly"
                | "dev"
                | "edge"
                | "develop"
                | "stable"
                | "head"
                | "canary"
                | "next"
        ),
    }
}

/// `UNPINNED_IMAGE`: catalogue images on a moving tag.
pub fn unpinned_images(rules: &RuleSet, components: &[Component], out: &mut Vec<Finding>) {
    let Some(rule) = rules.get("UNPINNED_IMAGE") else {
        return;
    };
    for c in components.iter().filter(|c| c.ecosystem == "docker") {
        let tag = c.version.as_deref();
        if tag.is_some_and(|t| t.starts_with("sha256:")) || !moving_tag(tag) {
            continue;
        }
        let short = c.name.rsplit('/').next().unwrap_or(&c.name);
        let tag = tag.unwrap_or("latest");
        out.push(finding(
            rule,
            &c.path,
            c.line,
            Some(format!("{short}:{tag}")),
            format!("{}:{tag}", c.name),
        ));
    }
}

/// `PUBLIC_MODEL_BUCKET`: a bucket that holds models with a public ACL or
/// public access not blocked.
pub fn public_buckets(rules: &RuleSet, facts: &Facts, out: &mut Vec<Finding>) {
    let Some(rule) = rules.get("PUBLIC_MODEL_BUCKET") else {
        return;
    };
    for b in facts.tf.iter().filter(|r| is_bucket(&r.rtype)) {
        if !bucket_holds_models(b, &facts.tf) {
            continue;
        }
        let acl = b
            .body
            .get("acl")
            .or_else(|| b.body.get("predefined_acl"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        let public_acl =
            acl.starts_with("public-read") || acl == "publicRead" || acl == "publicReadWrite";
        let public_container = b
            .body
            .get("container_access_type")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|t| t == "blob" || t == "container");
        // A separate ACL resource (aws_s3_bucket_acl) can make it public.
        let addr = b.address();
        let acl_resource = facts.tf.iter().any(|r| {
            r.rtype.ends_with("_bucket_acl")
                && r.body.to_string().contains(&addr)
                && r.body
                    .get("acl")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|a| a.starts_with("public"))
        });
        if public_acl || public_container || acl_resource {
            let shown = if public_acl {
                format!("acl = {acl}")
            } else if public_container {
                "container_access_type is public".into()
            } else {
                "a bucket ACL resource makes it public".into()
            };
            out.push(finding(
                rule,
                &b.path,
                b.line,
                Some(addr.clone()),
                format!("{addr}: {shown}"),
            ));
        }
    }
}

/// Whether a model-file path found by its name (not content) is worth
/// reporting as a model artefact.
pub fn is_model_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        ".safetensors",
        ".gguf",
        ".pt",
        ".pth",
        ".ckpt",
        ".onnx",
        ".pkl",
        ".joblib",
        ".h5",
        ".keras",
        ".npy",
        ".npz",
        ".bin",
        ".pickle",
    ]
    .iter()
    .any(|e| n.ends_with(e))
}

/// Splits an image reference for callers outside the inventory.
pub fn image_tag(image: &str) -> Option<String> {
    split_image(image).1
}
