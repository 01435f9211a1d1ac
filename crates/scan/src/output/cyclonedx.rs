//! CycloneDX 1.6 JSON: AI components as libraries, frameworks, containers,
//! platforms and applications; models (files, hub and hosted) as
//! `machine-learning-model` components with a minimal `modelCard`;
//! vulnerabilities from `VULN` findings linked to their components.

use crate::report::{Component, Report, Severity};
use serde_json::{json, Value};

fn component_type(c: &Component) -> &'static str {
    match (c.ecosystem.as_str(), c.kind.as_str()) {
        ("docker", _) => "container",
        ("terraform" | "kubernetes", _) => "platform",
        (_, "mcp-server") => "application",
        (_, "ml-framework" | "agent-framework") => "framework",
        _ => "library",
    }
}

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({"name": name, "value": value.into()})
}

/// A UUID-shaped serial derived from the report's content, so the same
/// scan gives the same document (diffable in CI) while different scans
/// differ. Version nibble 5-style (name-based) and RFC 4122 variant.
fn serial(report: &Report) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(report.target.as_bytes());
    for c in &report.components {
        h.update(c.name.as_bytes());
        h.update(c.path.as_bytes());
        h.update(c.version.as_deref().unwrap_or("").as_bytes());
    }
    for f in &report.files {
        h.update(f.path.as_bytes());
        h.update(f.verdict.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// RFC 3339 UTC time of now, without a date crate: days-from-civil
/// inverse (Howard Hinnant's algorithm).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn severity(s: Severity) -> &'static str {
    s.as_str()
}

/// Renders the report as a CycloneDX 1.6 JSON document.
pub fn render(report: &Report) -> String {
    let mut components = Vec::new();
    let mut refs: Vec<(String, String)> = Vec::new(); // (path|name@version, bom-ref)
    for (i, c) in report.components.iter().enumerate() {
        let bom_ref = format!("component-{}", i + 1);
        let mut v = json!({
            "bom-ref": bom_ref,
            "type": component_type(c),
            "name": c.name,
        });
        if let Some(ver) = &c.version {
            v["version"] = json!(ver);
        }
        if let Some(p) = &c.purl {
            v["purl"] = json!(p);
        }
        if let Some(d) = &c.product_name {
            v["description"] = json!(d);
        }
        let mut props = vec![
            prop("palisade:kind", c.kind.clone()),
            prop("palisade:path", c.path.clone()),
            prop("palisade:ecosystem", c.ecosystem.clone()),
        ];
        if let Some(p) = &c.product {
            props.push(prop("palisade:product", p.clone()));
        }
        v["properties"] = Value::Array(props);
        refs.push((
            format!("{}@{}", c.name, c.version.as_deref().unwrap_or("")),
            bom_ref,
        ));
        components.push(v);
    }
    for (i, f) in report.files.iter().enumerate() {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        let mut params = json!({});
        if let Some(a) = f.info.get("architecture").and_then(Value::as_str) {
            params["modelArchitecture"] = json!(a);
        }
        params["inputs"] = json!([{"format": f.format}]);
        let mut v = json!({
            "bom-ref": format!("model-file-{}", i + 1),
            "type": "machine-learning-model",
            "name": name,
            "modelCard": {"modelParameters": params},
            "properties": [
                prop("palisade:path", f.path.clone()),
                prop("palisade:format", f.format.clone()),
                prop("palisade:verdict", f.verdict.clone()),
            ],
        });
        if let Some(h) = &f.sha256 {
            v["hashes"] = json!([{"alg": "SHA-256", "content": h}]);
        }
        components.push(v);
    }
    for (i, m) in report
        .models
        .iter()
        .filter(|m| m.kind != "model-artifact")
        .enumerate()
    {
        let (group, name) = match m.name.split_once('/') {
            Some((g, n)) => (Some(g), n),
            None => (None, m.name.as_str()),
        };
        let mut v = json!({
            "bom-ref": format!("model-{}", i + 1),
            "type": "machine-learning-model",
            "name": name,
            "modelCard": {"modelParameters": {"task": "text-generation"}},
            "properties": [prop("palisade:kind", m.kind.clone()), prop("palisade:path", m.path.clone())],
        });
        if let Some(g) = group {
            v["group"] = json!(g);
        }
        if let Some(p) = &m.provider {
            v["publisher"] = json!(p);
            if p == "huggingface" {
                if let Ok(mut purl) = packageurl::PackageUrl::new("huggingface", name.to_string()) {
                    if let Some(g) = group {
                        purl.with_namespace(g.to_string());
                    }
                    v["purl"] = json!(purl.to_string());
                }
            }
        }
        components.push(v);
    }
    let mut vulns = Vec::new();
    for f in report.findings.iter().filter(|f| f.id == "VULN") {
        let Some(subject) = &f.subject else { continue };
        let affects: Vec<Value> = refs
            .iter()
            .filter(|(k, _)| k == subject)
            .map(|(_, r)| json!({"ref": r}))
            .collect();
        for id in f
            .references
            .iter()
            .filter(|r| !r.starts_with("CVE-") && !r.starts_with("GHSA-"))
        {
            vulns.push(json!({
                "bom-ref": format!("vuln-{}-{}", vulns.len() + 1, id),
                "id": id,
                "source": {"name": if id.starts_with("PALISADE-") { "Palisade" } else { "OSV" }},
                "ratings": [{"severity": severity(f.severity)}],
                "description": f.evidence,
                "recommendation": f.remediation,
                "affects": affects,
            }));
        }
    }
    let doc = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial(report),
        "version": 1,
        "metadata": {
            "timestamp": now_rfc3339(),
            "tools": {"components": [{"type": "application", "name": "palisade", "version": env!("CARGO_PKG_VERSION")}]},
            "component": {"bom-ref": "scanned-target", "type": "application", "name": report.target},
        },
        "components": components,
        "vulnerabilities": vulns,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_shape() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'));
    }
}
