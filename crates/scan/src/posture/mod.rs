//! Posture: which of the inventoried assets are exploitable. Rules are
//! data (`catalog/posture/rules.yaml`); most are declarative checks on
//! services, source text or Terraform evaluated here, the rest are code in
//! [`builtin`] and [`mcp`].

pub mod builtin;
pub mod mcp;
pub mod rules;

use crate::catalog::Catalog;
use crate::facts::{line_at, Exposure, Facts, Service};
use crate::parse::terraform::strings_at;
use crate::report::Finding;
use rules::{Check, Cond, Rule, RuleSet, ServiceCheck, SourceCheck, TerraformCheck, TfCond};

/// A finding for a rule.
pub fn finding(
    rule: &Rule,
    path: &str,
    line: Option<usize>,
    subject: Option<String>,
    evidence: String,
) -> Finding {
    Finding {
        id: rule.id.clone(),
        severity: rule.severity,
        title: rule.title.clone(),
        path: path.to_string(),
        line,
        evidence,
        subject,
        references: rule.references.clone(),
        remediation: rule.remediation.clone(),
    }
}

fn env_is_set(s: &Service, name: &str) -> bool {
    s.env.get(name).is_some_and(|v| !v.trim().is_empty())
}

fn cond_holds(c: &Cond, s: &Service) -> Option<String> {
    let mut why = Vec::new();
    if let Some(want) = c.exposed {
        if (s.exposure == Exposure::Public) != want {
            return None;
        }
        if want {
            why.push(
                s.exposure_reason
                    .clone()
                    .unwrap_or_else(|| "exposed".into()),
            );
        }
    }
    if let Some(p) = &c.platform {
        if !p.is_match(s.platform) {
            return None;
        }
    }
    for (k, re) in &c.env {
        match s.env.get(k) {
            Some(v) if re.is_match(v) => why.push(format!("{k}={v}")),
            _ => return None,
        }
    }
    if !c.env_set.is_empty() {
        match c.env_set.iter().find(|k| env_is_set(s, k)) {
            Some(k) => why.push(format!("{k} set")),
            None => return None,
        }
    }
    if let Some(re) = &c.arg {
        let cl = s.command_line();
        match re.find(&cl) {
            Some(m) => why.push(format!("argument `{}`", m.as_str().trim())),
            None => return None,
        }
    }
    let flags = [
        (c.privileged, s.privileged, "privileged"),
        (c.gpu, s.gpu, "GPU"),
        (c.host_ipc, s.host_ipc, "host IPC"),
        (c.host_pid, s.host_pid, "host PID"),
        (c.host_network, s.host_network, "host network"),
    ];
    for (want, have, label) in flags {
        if let Some(w) = want {
            if w != have {
                return None;
            }
            if w {
                why.push(label.to_string());
            }
        }
    }
    if let Some(re) = &c.host_mount {
        match s.host_mounts.iter().find(|m| re.is_match(m)) {
            Some(m) => why.push(format!("host path {m} mounted")),
            None => return None,
        }
    }
    if let Some(re) = &c.cap {
        match s.cap_add.iter().find(|m| re.is_match(m)) {
            Some(m) => why.push(format!("capability {m}")),
            None => return None,
        }
    }
    Some(why.join(", "))
}

fn service_rule(
    rule: &Rule,
    chk: &ServiceCheck,
    catalog: &Catalog,
    facts: &Facts,
    out: &mut Vec<Finding>,
) {
    for s in facts
        .services
        .iter()
        .filter(|s| s.platform != "dockerfile-stage")
    {
        let product = crate::inventory::service_product(catalog, s);
        if !chk.products.is_empty()
            && !product.is_some_and(|(p, _)| chk.products.iter().any(|x| x == p))
        {
            continue;
        }
        if !chk.kinds.is_empty() && !product.is_some_and(|(_, k)| chk.kinds.iter().any(|x| x == k))
        {
            continue;
        }
        let mut why = Vec::new();
        let mut ok = true;
        for c in &chk.when {
            match cond_holds(c, s) {
                Some(w) => {
                    if !w.is_empty() {
                        why.push(w);
                    }
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok || chk.unless.iter().any(|c| cond_holds(c, s).is_some()) {
            continue;
        }
        let image = s.image.as_deref().unwrap_or("-");
        out.push(finding(
            rule,
            &s.path,
            s.line,
            Some(s.name.clone()),
            format!(
                "{} `{}` (image {image}): {}",
                s.platform,
                s.name,
                why.join("; ")
            ),
        ));
    }
}

/// The text of the call whose opening parenthesis is at or after `from`:
/// up to the matching `)`, bounded so a missing one costs little.
fn call_text(text: &str, from: usize) -> &str {
    let rest = text.get(from..).unwrap_or("");
    let Some(open) = rest.find('(') else {
        return rest.get(..rest.len().min(400)).unwrap_or(rest);
    };
    let mut depth = 0usize;
    for (i, c) in rest.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return &rest[..=i];
                }
            }
            _ => {}
        }
        if i > open + 4000 {
            return &rest[..i];
        }
    }
    rest
}

fn line_text(text: &str, at: usize) -> &str {
    let start = text[..at.min(text.len())]
        .rfind('\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    let end = text[at.min(text.len())..]
        .find('\n')
        .map(|i| at + i)
        .unwrap_or(text.len());
    &text[start..end]
}

fn source_rule(rule: &Rule, chk: &SourceCheck, facts: &Facts, out: &mut Vec<Finding>) {
    for src in &facts.sources {
        if !chk.langs.iter().any(|l| l == src.lang) {
            continue;
        }
        let mut last_line = 0;
        for caps in chk.pattern.captures_iter(&src.text) {
            let Some(m) = caps.get(0) else { continue };
            let call = call_text(&src.text, m.start());
            if chk.call_when.as_ref().is_some_and(|re| !re.is_match(call))
                || chk.call_unless.as_ref().is_some_and(|re| re.is_match(call))
            {
                continue;
            }
            let line = line_text(&src.text, m.start());
            if chk.line_unless.as_ref().is_some_and(|re| re.is_match(line)) {
                continue;
            }
            let n = line_at(&src.text, m.start());
            // One finding per line per rule.
            if n == last_line {
                continue;
            }
            last_line = n;
            let subject = caps
                .name("subject")
                .map(|s| s.as_str().to_ascii_lowercase());
            let shown: String = line.trim().chars().take(200).collect();
            out.push(finding(rule, &src.path, Some(n), subject, shown));
        }
    }
}

fn tf_values(body: &serde_json::Value, paths: &[String]) -> Vec<String> {
    paths
        .iter()
        .flat_map(|p| strings_at(body, p))
        .filter_map(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        })
        .collect()
}

fn tf_cond(c: &TfCond, body: &serde_json::Value) -> Option<String> {
    match c {
        TfCond::Matches(paths, re) => tf_values(body, paths)
            .into_iter()
            .find(|v| re.is_match(v))
            .map(|v| format!("{} = {v}", paths.join("|"))),
        TfCond::Missing(paths) => tf_values(body, paths)
            .is_empty()
            .then(|| format!("{} not set", paths.join("|"))),
    }
}

fn type_matches(types: &[String], rtype: &str) -> bool {
    types.iter().any(|t| match t.strip_suffix('*') {
        Some(pre) => rtype.starts_with(pre),
        None => t == rtype,
    })
}

fn terraform_rule(rule: &Rule, chk: &TerraformCheck, facts: &Facts, out: &mut Vec<Finding>) {
    for r in facts
        .tf
        .iter()
        .filter(|r| type_matches(&chk.types, &r.rtype))
    {
        let mut why = Vec::new();
        if !chk.when.iter().all(|c| match tf_cond(c, &r.body) {
            Some(w) => {
                why.push(w);
                true
            }
            None => false,
        }) {
            continue;
        }
        if chk.unless.iter().any(|c| tf_cond(c, &r.body).is_some()) {
            continue;
        }
        let subject = chk
            .subject
            .iter()
            .find_map(|p| {
                tf_values(&r.body, std::slice::from_ref(p))
                    .into_iter()
                    .next()
            })
            .map(|s| s.split('/').next().unwrap_or(&s).to_string())
            .unwrap_or_else(|| r.address());
        if why.is_empty() {
            why.push(rule.title.to_ascii_lowercase());
        }
        out.push(finding(
            rule,
            &r.path,
            r.line,
            Some(subject),
            format!("{}: {}", r.address(), why.join("; ")),
        ));
    }
}

/// Runs the declarative source rules over the texts in `facts` (the scan
/// calls this per file, then drops the text).
pub fn declarative_sources(rules: &RuleSet, facts: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules.rules() {
        if let Check::Source(c) = &rule.check {
            source_rule(rule, c, facts, &mut out);
        }
    }
    out
}

/// Runs the declarative service and Terraform rules.
pub fn declarative_facts(rules: &RuleSet, catalog: &Catalog, facts: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules.rules() {
        match &rule.check {
            Check::Service(c) => service_rule(rule, c, catalog, facts, &mut out),
            Check::Terraform(c) => terraform_rule(rule, c, facts, &mut out),
            Check::Source(_) | Check::Builtin => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_text_stops_at_the_matching_paren() {
        let t = "torch.load(f(x), map_location='cpu')\nnext";
        assert_eq!(call_text(t, 0), "torch.load(f(x), map_location='cpu')");
        assert_eq!(call_text("torch.load(", 0), "torch.load(");
    }

    #[test]
    fn rule_file_loads() {
        let r = RuleSet::builtin().expect("rules");
        assert!(r.rules().len() >= 60, "{}", r.rules().len());
    }
}
