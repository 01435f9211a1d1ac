//! MCP rules: how client configurations launch or reach servers, how
//! servers listen, what their tool definitions say, and whether those
//! definitions changed since they were pinned.

use super::finding;
use super::rules::RuleSet;
use crate::facts::{Facts, McpServer};
use crate::inventory::{docker_image, mcp_package, split_image};
use crate::report::Finding;
use crate::version;
use palisade_dlp::Engine;
use sha2::{Digest, Sha256};

fn push(rules: &RuleSet, id: &str, s: &McpServer, evidence: String, out: &mut Vec<Finding>) {
    if let Some(rule) = rules.get(id) {
        out.push(finding(
            rule,
            &s.path,
            s.line,
            Some(s.name.clone()),
            evidence,
        ));
    }
}

/// A value that refers to a secret rather than containing one.
fn is_reference(v: &str) -> bool {
    let t = v.trim();
    t.is_empty()
        || t.contains("${")
        || t.starts_with('$')
        || t.starts_with("env:")
        || t.starts_with("op://")
        || t.starts_with("vault:")
        || t.starts_with("<")
        || t.chars().all(|c| c == '*' || c == 'x' || c == 'X')
}

fn secretish_name(k: &str) -> bool {
    let k = k.to_ascii_uppercase();
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "AUTH",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// Paths the filesystem server should never be given whole.
fn too_broad(p: &str) -> bool {
    let p = p.trim_end_matches(['/', '\\']);
    if p.is_empty() || p == "~" || p == "$HOME" || p == "${HOME}" || p == "%USERPROFILE%" {
        return true;
    }
    let lower = p.to_ascii_lowercase();
    if lower.len() == 2 && lower.ends_with(':') {
        return true; // C:
    }
    if matches!(
        lower.as_str(),
        "/home" | "/users" | "/root" | "/etc" | "/var" | "/usr" | "c:\\users"
    ) {
        return true;
    }
    // A home directory itself: /home/<user>, /Users/<user>.
    let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
    parts.len() == 2 && matches!(parts[0], "home" | "Users")
}

/// Client-configuration rules for each server.
pub fn servers(rules: &RuleSet, engine: &Engine, facts: &Facts, out: &mut Vec<Finding>) {
    for s in &facts.mcp_servers {
        let cmd = s.command.as_deref().unwrap_or("");
        let base = std::path::Path::new(cmd)
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or(cmd);
        match mcp_package(s) {
            Some(("docker", image, _)) => {
                let (_, tag) = split_image(&image);
                let moving = tag.as_deref().is_none_or(|t| t == "latest");
                if moving {
                    push(
                        rules,
                        "MCP_UNPINNED_IMAGE",
                        s,
                        format!("docker image {image}"),
                        out,
                    );
                }
            }
            Some((eco, name, v)) => {
                let pinned = v.as_deref().is_some_and(|v| version::exact(v).is_some());
                if !pinned {
                    push(
                        rules,
                        "MCP_UNPINNED_PACKAGE",
                        s,
                        format!("{base} {name} ({eco}) without a version"),
                        out,
                    );
                }
            }
            None => {}
        }
        let is_fs = s
            .args
            .iter()
            .any(|a| a.contains("server-filesystem") || a.contains("mcp-server-filesystem"))
            || s.name.to_ascii_lowercase().contains("filesystem");
        if is_fs {
            // Paths are the non-flag arguments after the package.
            let broad: Vec<&String> = s
                .args
                .iter()
                .filter(|a| !a.starts_with('-') && !a.contains("server-filesystem"))
                .filter(|a| too_broad(a))
                .collect();
            if let Some(p) = broad.first() {
                push(
                    rules,
                    "MCP_FS_ROOT_TOO_BROAD",
                    s,
                    format!("allowed directory `{p}`"),
                    out,
                );
            }
        }
        // Hard-coded secrets in env and headers.
        let mut secret_shown = None;
        for (k, v) in s.env.iter().chain(s.headers.iter()) {
            if is_reference(v) {
                continue;
            }
            let creds: Vec<_> = engine
                .scan(v)
                .into_iter()
                .filter(|e| e.category == "credential")
                .collect();
            let by_name = secretish_name(k) && v.len() >= 12 && !v.contains(' ');
            if let Some(e) = creds.first() {
                secret_shown = Some(format!("{k}: {} {}", e.type_id, super::builtin::redact(v)));
                break;
            }
            if by_name {
                secret_shown = Some(format!("{k}: literal value {}", super::builtin::redact(v)));
                break;
            }
        }
        if let Some(ev) = secret_shown {
            push(rules, "MCP_HARDCODED_SECRET", s, ev, out);
        }
        let allow_all = s.env.iter().any(|(k, v)| {
            let k = k.to_ascii_uppercase();
            (k.contains("ALLOW") && k.contains("COMMAND"))
                && (v.trim() == "*" || v.trim().eq_ignore_ascii_case("all"))
        }) || s
            .args
            .iter()
            .any(|a| a == "--allow-all" || a == "--allow-all-commands" || a == "--unrestricted");
        if allow_all {
            push(
                rules,
                "MCP_SHELL_ALLOW_ALL",
                s,
                "every command allowed".into(),
                out,
            );
        }
        if matches!(base, "docker" | "podman") && docker_image(&s.args).is_some() {
            if s.args
                .iter()
                .any(|a| a == "--privileged" || a == "--privileged=true")
            {
                push(
                    rules,
                    "MCP_DOCKER_PRIVILEGED",
                    s,
                    "docker run --privileged".into(),
                    out,
                );
            }
            let root_mount = s.args.windows(2).any(|w| {
                (w[0] == "-v" || w[0] == "--volume") && (w[1].starts_with("/:") || w[1] == "/")
            }) || s.args.iter().any(|a| {
                a.starts_with("--mount") && (a.contains("source=/,") || a.contains("src=/,"))
                    || a.starts_with("-v=/:")
                    || a.starts_with("--volume=/:")
            });
            if root_mount {
                push(
                    rules,
                    "MCP_HOST_ROOT_MOUNT",
                    s,
                    "host / mounted".into(),
                    out,
                );
            }
            let host_net = s
                .args
                .windows(2)
                .any(|w| (w[0] == "--network" || w[0] == "--net") && w[1] == "host")
                || s.args
                    .iter()
                    .any(|a| a == "--network=host" || a == "--net=host");
            if host_net {
                push(rules, "MCP_HOST_NETWORK", s, "--network host".into(), out);
            }
        }
        if let Some(url) = &s.url {
            let lower = url.to_ascii_lowercase();
            let loopback = [
                "http://localhost",
                "http://127.",
                "http://[::1]",
                "http://0.0.0.0",
            ]
            .iter()
            .any(|p| lower.starts_with(p));
            if lower.starts_with("http://") && !loopback {
                push(rules, "MCP_PLAINTEXT_REMOTE", s, url.clone(), out);
            }
            let has_auth = s.headers.keys().any(|k| {
                k.eq_ignore_ascii_case("authorization")
                    || k.to_ascii_lowercase().contains("api-key")
                    || k.to_ascii_lowercase().contains("token")
            }) || lower.contains("token=")
                || lower.contains("key=");
            if !loopback && !has_auth {
                push(
                    rules,
                    "MCP_REMOTE_NO_AUTH",
                    s,
                    format!("{url} with no credentials configured (OAuth may still apply)"),
                    out,
                );
            }
        }
    }
    for l in &facts.mcp_listeners {
        let all = l
            .host
            .as_deref()
            .is_some_and(|h| h == "0.0.0.0" || h == "::" || h == "*" || h == "[::]");
        if all && !l.auth {
            if let Some(rule) = rules.get("MCP_SERVER_BIND_ALL_NO_AUTH") {
                out.push(finding(
                    rule,
                    &l.path,
                    None,
                    None,
                    format!(
                        "{} transport on {}:{} with no auth",
                        l.transport.as_deref().unwrap_or("?"),
                        l.host.as_deref().unwrap_or("?"),
                        l.port.map(|p| p.to_string()).unwrap_or_else(|| "?".into())
                    ),
                ));
            }
        }
        if l.cors_origins.iter().any(|o| o.trim() == "*") {
            if let Some(rule) = rules.get("MCP_SERVER_CORS_WILDCARD") {
                out.push(finding(
                    rule,
                    &l.path,
                    None,
                    None,
                    "CORS allows origin *".into(),
                ));
            }
        }
    }
}

/// What the guard said about a tool definition.
pub struct ToolVerdict {
    /// Flagged as tool poisoning (or another attack category).
    pub flagged: bool,
    /// Categories found.
    pub categories: Vec<String>,
    /// Short evidence (rule ids, snippets).
    pub evidence: String,
}

/// Inspects one tool definition (the JSON text) and says whether it is
/// poisoned. The CLI wires this to the guard.
pub type ToolInspector<'a> = &'a (dyn Fn(&str) -> ToolVerdict + Sync);

/// The canonical text of a tool definition for hashing: JSON with sorted
/// keys (serde_json's map is a BTreeMap), so formatting does not count as
/// a change.
pub fn tool_hash(def: &serde_json::Value) -> String {
    let text = def.to_string();
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tool rules: poisoning (via the inspector) and rug pulls (via pins).
pub fn tools(
    rules: &RuleSet,
    facts: &Facts,
    inspector: Option<ToolInspector<'_>>,
    pins: Option<&palisade_store::Store>,
    out: &mut Vec<Finding>,
    errors: &mut Vec<crate::report::ScanError>,
) {
    for t in &facts.tools {
        let subject = format!("{}/{}", t.server, t.name);
        if let Some(inspect) = inspector {
            let v = inspect(&t.definition.to_string());
            if v.flagged {
                if let Some(rule) = rules.get("MCP_TOOL_POISONING") {
                    out.push(finding(
                        rule,
                        &t.path,
                        None,
                        Some(subject.clone()),
                        format!("{} [{}]", v.evidence, v.categories.join(", ")),
                    ));
                }
            }
        }
        if let Some(store) = pins {
            let hash = tool_hash(&t.definition);
            match store.pin_tool(&t.path, &t.server, &t.name, &hash, &t.description) {
                Ok(palisade_store::PinOutcome::Changed {
                    old_description, ..
                }) => {
                    if let Some(rule) = rules.get("MCP_TOOL_DESCRIPTION_CHANGED") {
                        let was: String = old_description.chars().take(120).collect();
                        let now: String = t.description.chars().take(120).collect();
                        out.push(finding(
                            rule,
                            &t.path,
                            None,
                            Some(subject.clone()),
                            format!("was: {was:?}; now: {now:?}"),
                        ));
                    }
                }
                Ok(_) => {}
                Err(e) => errors.push(crate::report::ScanError {
                    path: t.path.clone(),
                    error: format!("pinning tool {subject}: {e}"),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broad_paths() {
        for p in ["/", "~", "/Users/alice", "/home/bob/", "C:", "C:\\"] {
            assert!(too_broad(p), "{p}");
        }
        for p in ["/Users/alice/projects/demo", "./data", "/srv/app"] {
            assert!(!too_broad(p), "{p}");
        }
    }

    #[test]
    fn references_are_not_secrets() {
        assert!(is_reference("${input:github_token}"));
        assert!(is_reference("$GITHUB_TOKEN"));
        assert!(!is_reference("ghp_abc"));
    }
}
