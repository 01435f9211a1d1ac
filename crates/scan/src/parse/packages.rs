//! JavaScript (`package.json`, `package-lock.json`, `yarn.lock`,
//! `pnpm-lock.yaml`), Rust (`Cargo.toml`, `Cargo.lock`), Go (`go.mod`) and
//! Java (`pom.xml`) manifests and lockfiles.

use crate::facts::{line_of, Dependency, Facts};
use serde_json::Value as Json;
use std::collections::HashMap;

fn dep(
    eco: &'static str,
    name: &str,
    spec: Option<String>,
    path: &str,
    line: Option<usize>,
    locked: bool,
) -> Dependency {
    Dependency {
        ecosystem: eco,
        name: name.to_string(),
        spec: spec.filter(|s| !s.is_empty()),
        locked,
        imported: false,
        path: path.to_string(),
        line,
    }
}

/// `package.json`: every dependency section.
pub fn package_json(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    for section in [
        "dependencies",
        "devDependencies",
        "optionalDependencies",
        "peerDependencies",
    ] {
        for (name, v) in doc
            .get(section)
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
        {
            let spec = v.as_str().map(str::to_string);
            let line = line_of(text, &format!("\"{name}\""));
            facts.deps.push(dep("npm", name, spec, path, line, false));
        }
    }
    Ok(())
}

/// `package-lock.json` (lockfile v1, v2 and v3).
pub fn package_lock(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    if let Some(pkgs) = doc.get("packages").and_then(Json::as_object) {
        for (key, v) in pkgs {
            // Keys are install paths: `node_modules/a/node_modules/@s/b`.
            let Some(name) = key
                .rsplit("node_modules/")
                .next()
                .filter(|n| !n.is_empty() && key.contains("node_modules/"))
            else {
                continue;
            };
            let version = v.get("version").and_then(Json::as_str).map(str::to_string);
            facts.deps.push(dep("npm", name, version, path, None, true));
        }
    } else if let Some(deps) = doc.get("dependencies").and_then(Json::as_object) {
        let mut stack: Vec<&serde_json::Map<String, Json>> = vec![deps];
        while let Some(m) = stack.pop() {
            for (name, v) in m {
                let version = v.get("version").and_then(Json::as_str).map(str::to_string);
                facts.deps.push(dep("npm", name, version, path, None, true));
                if let Some(nested) = v.get("dependencies").and_then(Json::as_object) {
                    stack.push(nested);
                }
            }
        }
    }
    Ok(())
}

/// `yarn.lock` (classic and Berry): entry headers list the requested
/// names, the indented `version` line gives the locked version.
pub fn yarn_lock(path: &str, text: &str, facts: &mut Facts) {
    let mut names: Vec<String> = Vec::new();
    let mut header_line = 0;
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with(' ') && line.ends_with(':') && !line.starts_with('#') {
            header_line = i + 1;
            names = line
                .trim_end_matches(':')
                .split(", ")
                .filter_map(|spec| {
                    let s = spec.trim().trim_matches('"');
                    // `@scope/name@^1` → `@scope/name`; `name@npm:^1` too.
                    let at = s.get(1..)?.find('@')? + 1;
                    Some(s[..at].to_string())
                })
                .collect();
            names.dedup();
        } else if let Some(v) = line.trim().strip_prefix("version") {
            let v = v.trim_start_matches(':').trim().trim_matches('"');
            for n in names.drain(..) {
                facts.deps.push(dep(
                    "npm",
                    &n,
                    Some(v.to_string()),
                    path,
                    Some(header_line),
                    true,
                ));
            }
        }
    }
}

/// `pnpm-lock.yaml`: package keys are `/name@version` (v5/v6) or
/// `name@version` (v9), possibly with a peer suffix in parentheses.
pub fn pnpm_lock(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    let Some(pkgs) = doc.get("packages").and_then(serde_yaml::Value::as_mapping) else {
        return Ok(());
    };
    for k in pkgs.keys().filter_map(serde_yaml::Value::as_str) {
        let k = k.trim_start_matches('/');
        let k = k.split('(').next().unwrap_or(k);
        let Some(at) = k.get(1..).and_then(|s| s.rfind('@')).map(|a| a + 1) else {
            continue;
        };
        let (name, version) = (&k[..at], &k[at + 1..]);
        facts.deps.push(dep(
            "npm",
            name,
            Some(version.to_string()),
            path,
            None,
            true,
        ));
    }
    Ok(())
}

/// `Cargo.toml`: `[dependencies]`, `[dev-dependencies]`,
/// `[build-dependencies]`, `[workspace.dependencies]`.
pub fn cargo_toml(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: toml::Value = toml::from_str(text).map_err(|e| format!("invalid TOML: {e}"))?;
    let mut tables = Vec::new();
    for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = doc.get(key).and_then(toml::Value::as_table) {
            tables.push(t);
        }
    }
    if let Some(t) = doc
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(toml::Value::as_table)
    {
        tables.push(t);
    }
    for t in tables {
        for (name, v) in t {
            let spec = match v {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Table(t) => t
                    .get("version")
                    .and_then(toml::Value::as_str)
                    .map(str::to_string),
                _ => None,
            };
            // A plain Cargo requirement `1.2.3` means `^1.2.3`.
            let spec = spec.map(|s| {
                if s.starts_with(|c: char| c.is_ascii_digit()) {
                    format!("^{s}")
                } else {
                    s
                }
            });
            let line = line_of(text, &format!("\n{name} ")).map(|l| l + 1);
            facts.deps.push(dep("cargo", name, spec, path, line, false));
        }
    }
    Ok(())
}

/// `Cargo.lock`.
pub fn cargo_lock(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: toml::Value = toml::from_str(text).map_err(|e| format!("invalid TOML: {e}"))?;
    for p in doc
        .get("package")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        // Workspace members have no `source`; they are the project itself.
        if p.get("source").is_none() {
            continue;
        }
        if let (Some(n), Some(v)) = (
            p.get("name").and_then(toml::Value::as_str),
            p.get("version").and_then(toml::Value::as_str),
        ) {
            facts
                .deps
                .push(dep("cargo", n, Some(v.to_string()), path, None, true));
        }
    }
    Ok(())
}

/// `go.mod`: `require` lines and blocks (versions are exact in Go).
pub fn go_mod(path: &str, text: &str, facts: &mut Facts) {
    let mut in_block = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or(raw).trim();
        let body = if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
            line
        } else if let Some(rest) = line.strip_prefix("require") {
            let rest = rest.trim();
            if rest == "(" {
                in_block = true;
                continue;
            }
            rest
        } else {
            continue;
        };
        let mut words = body.split_whitespace();
        if let (Some(m), Some(v)) = (words.next(), words.next()) {
            facts.deps.push(dep(
                "golang",
                m,
                Some(v.to_string()),
                path,
                Some(i + 1),
                false,
            ));
        }
    }
}

/// `pom.xml`: `<dependency>` elements, with `${property}` versions
/// resolved from `<properties>`.
pub fn pom_xml(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut props: HashMap<String, String> = HashMap::new();
    let mut found: Vec<(String, String, Option<String>, usize)> = Vec::new();
    let mut cur: Option<(String, String, Option<String>, usize)> = None;
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(0);
        match reader.read_event() {
            Err(e) => return Err(format!("invalid XML at byte {pos}: {e}")),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if name == "dependency" {
                    cur = Some((
                        String::new(),
                        String::new(),
                        None,
                        crate::facts::line_at(text, pos),
                    ));
                }
                stack.push(name);
                if stack.len() > 256 {
                    return Err("XML nested deeper than 256 elements".into());
                }
            }
            Ok(Event::End(_)) => {
                if stack.pop().as_deref() == Some("dependency") {
                    if let Some(d) = cur.take() {
                        found.push(d);
                    }
                }
            }
            Ok(Event::Text(t)) => {
                let value = t.unescape().map(|c| c.into_owned()).unwrap_or_default();
                let n = stack.len();
                let (Some(leaf), Some(parent)) =
                    (stack.last(), n.checked_sub(2).and_then(|i| stack.get(i)))
                else {
                    continue;
                };
                if parent == "properties" {
                    props.insert(leaf.clone(), value);
                } else if parent == "dependency" {
                    if let Some(c) = cur.as_mut() {
                        match leaf.as_str() {
                            "groupId" => c.0 = value,
                            "artifactId" => c.1 = value,
                            "version" => c.2 = Some(value),
                            _ => {}
                        }
                    }
                }
            }
            Ok(_) => {}
        }
    }
    for (g, a, v, line) in found {
        if g.is_empty() || a.is_empty() {
            continue;
        }
        let v = v.map(
            |v| match v.strip_prefix("${").and_then(|s| s.strip_suffix('}')) {
                Some(p) => props.get(p).cloned().unwrap_or(v),
                None => v,
            },
        );
        facts.deps.push(dep(
            "maven",
            &format!("{g}:{a}"),
            v,
            path,
            Some(line),
            false,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(f: &Facts) -> Vec<(String, Option<String>)> {
        f.deps
            .iter()
            .map(|d| (d.name.clone(), d.spec.clone()))
            .collect()
    }

    #[test]
    fn yarn_lock_entries() {
        let mut f = Facts::default();
        yarn_lock(
            "y",
            "\"@langchain/core@^0.2.0\", \"@langchain/core@^0.2.1\":\n  version \"0.2.5\"\n\nopenai@^4:\n  version \"4.52.0\"\n",
            &mut f,
        );
        assert_eq!(
            names(&f),
            vec![
                ("@langchain/core".into(), Some("0.2.5".into())),
                ("openai".into(), Some("4.52.0".into()))
            ]
        );
    }

    #[test]
    fn pnpm_and_lock_keys() {
        let mut f = Facts::default();
        pnpm_lock("p", "packages:\n  /openai@4.1.0:\n    resolution: {}\n  '@ai-sdk/openai@0.0.9(zod@3.0.0)':\n    resolution: {}\n", &mut f).unwrap();
        assert_eq!(
            names(&f),
            vec![
                ("openai".into(), Some("4.1.0".into())),
                ("@ai-sdk/openai".into(), Some("0.0.9".into()))
            ]
        );
        let mut g = Facts::default();
        package_lock("l", r#"{"packages": {"": {}, "node_modules/openai": {"version": "4.2.0"}, "node_modules/a/node_modules/@x/y": {"version": "1.0.0"}}}"#, &mut g).unwrap();
        // serde_json's map order depends on workspace features.
        let mut got = names(&g);
        got.sort();
        assert_eq!(
            got,
            vec![
                ("@x/y".into(), Some("1.0.0".into())),
                ("openai".into(), Some("4.2.0".into()))
            ]
        );
    }

    #[test]
    fn go_mod_and_pom() {
        let mut f = Facts::default();
        go_mod("g", "module x\nrequire github.com/ollama/ollama v0.1.33\nrequire (\n  github.com/sashabaranov/go-openai v1.20.0 // indirect\n)\n", &mut f);
        assert_eq!(f.deps.len(), 2);
        let mut p = Facts::default();
        pom_xml("pom", "<project><properties><lc.version>0.31.0</lc.version></properties><dependencies><dependency><groupId>dev.langchain4j</groupId><artifactId>langchain4j</artifactId><version>${lc.version}</version></dependency></dependencies></project>", &mut p).unwrap();
        assert_eq!(
            names(&p),
            vec![("dev.langchain4j:langchain4j".into(), Some("0.31.0".into()))]
        );
        assert!(pom_xml("pom", "<a><b></a>", &mut Facts::default()).is_err());
    }
}
