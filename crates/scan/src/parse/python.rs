//! Python manifests and lockfiles: requirements files, `pyproject.toml`
//! (PEP 621, PEP 735 groups, Poetry), `Pipfile`, `Pipfile.lock`,
//! `poetry.lock`, `uv.lock`, conda `environment.yml`, and `pip install`
//! command lines (Dockerfiles, notebooks, shell scripts).

use crate::facts::{line_of, Dependency, Facts};
use serde_json::Value as Json;
use toml::Value as Toml;

fn dep(
    name: &str,
    spec: Option<String>,
    path: &str,
    line: Option<usize>,
    locked: bool,
) -> Dependency {
    Dependency {
        ecosystem: "pypi",
        name: name.to_string(),
        spec: spec.filter(|s| !s.is_empty()),
        locked,
        imported: false,
        path: path.to_string(),
        line,
    }
}

/// Splits a PEP 508 requirement into name and version specifier; `None`
/// for lines that are not requirements (options, URLs, paths).
pub fn parse_pep508(req: &str) -> Option<(String, Option<String>)> {
    let req = req.split(';').next().unwrap_or(req).trim();
    let req = req.split(" #").next().unwrap_or(req).trim();
    let bytes = req.as_bytes();
    let first = *bytes.first()?;
    if !first.is_ascii_alphanumeric() {
        return None;
    }
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(req.len());
    let name = &req[..end];
    let mut rest = req[end..].trim();
    if let Some(r) = rest.strip_prefix('[') {
        rest = r.split_once(']').map(|t| t.1).unwrap_or("").trim();
    }
    if rest.starts_with('@') {
        // A direct URL reference pins a file, not a version.
        return Some((name.to_string(), None));
    }
    let rest = rest.trim_start_matches('(').trim_end_matches(')').trim();
    let spec = rest.replace(' ', "");
    if name.contains("://") || name.ends_with(".whl") {
        return None;
    }
    Some((name.to_string(), Some(spec).filter(|s| !s.is_empty())))
}

/// `requirements*.txt`, `constraints.txt`, `*.in`.
pub fn requirements(path: &str, text: &str, facts: &mut Facts) {
    let mut continued = String::new();
    let mut start_line = 0;
    for (i, raw) in text.lines().enumerate() {
        if continued.is_empty() {
            start_line = i + 1;
        }
        let line = raw.split(" #").next().unwrap_or(raw);
        if let Some(body) = line.trim_end().strip_suffix('\\') {
            continued.push_str(body);
            continued.push(' ');
            continue;
        }
        continued.push_str(line);
        let full = std::mem::take(&mut continued);
        let l = full.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with('-') {
            continue;
        }
        // Per-requirement options (`--hash=…`) follow the requirement.
        let l = l.split(" --").next().unwrap_or(l);
        if let Some((name, spec)) = parse_pep508(l) {
            facts
                .deps
                .push(dep(&name, spec, path, Some(start_line), false));
        }
    }
}

fn toml_str_list(v: Option<&Toml>) -> Vec<String> {
    v.and_then(Toml::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Toml::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// `pyproject.toml`: PEP 621 dependencies and optional dependencies,
/// PEP 735 dependency groups, Poetry dependencies and groups.
pub fn pyproject(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: Toml = toml::from_str(text).map_err(|e| format!("invalid TOML: {e}"))?;
    let mut reqs = Vec::new();
    if let Some(project) = doc.get("project") {
        reqs.extend(toml_str_list(project.get("dependencies")));
        if let Some(opt) = project
            .get("optional-dependencies")
            .and_then(Toml::as_table)
        {
            for v in opt.values() {
                reqs.extend(toml_str_list(Some(v)));
            }
        }
    }
    if let Some(groups) = doc.get("dependency-groups").and_then(Toml::as_table) {
        for v in groups.values() {
            reqs.extend(toml_str_list(Some(v)));
        }
    }
    for r in reqs {
        if let Some((name, spec)) = parse_pep508(&r) {
            let line = line_of(text, &format!("\"{r}")).or_else(|| line_of(text, &name));
            facts.deps.push(dep(&name, spec, path, line, false));
        }
    }
    if let Some(poetry) = doc.get("tool").and_then(|t| t.get("poetry")) {
        let mut tables = Vec::new();
        for key in ["dependencies", "dev-dependencies"] {
            if let Some(t) = poetry.get(key).and_then(Toml::as_table) {
                tables.push(t);
            }
        }
        if let Some(groups) = poetry.get("group").and_then(Toml::as_table) {
            for g in groups.values() {
                if let Some(t) = g.get("dependencies").and_then(Toml::as_table) {
                    tables.push(t);
                }
            }
        }
        for t in tables {
            for (name, v) in t {
                if name == "python" {
                    continue;
                }
                let spec = match v {
                    Toml::String(s) => Some(poetry_spec(s)),
                    Toml::Table(t) => t.get("version").and_then(Toml::as_str).map(poetry_spec),
                    _ => None,
                };
                let line = line_of(text, &format!("\n{name} ="))
                    .map(|l| l + 1)
                    .or_else(|| line_of(text, name));
                facts.deps.push(dep(name, spec, path, line, false));
            }
        }
    }
    Ok(())
}

/// Poetry writes exact versions bare (`"1.2.3"` means `==1.2.3`).
fn poetry_spec(s: &str) -> String {
    let s = s.trim();
    if s.starts_with(|c: char| c.is_ascii_digit()) && !s.contains(['*', ',']) {
        format!("=={s}")
    } else {
        s.to_string()
    }
}

/// `Pipfile`.
pub fn pipfile(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: Toml = toml::from_str(text).map_err(|e| format!("invalid TOML: {e}"))?;
    for section in ["packages", "dev-packages"] {
        let Some(t) = doc.get(section).and_then(Toml::as_table) else {
            continue;
        };
        for (name, v) in t {
            let spec = match v {
                Toml::String(s) if s != "*" => Some(s.clone()),
                Toml::Table(t) => t
                    .get("version")
                    .and_then(Toml::as_str)
                    .filter(|s| *s != "*")
                    .map(str::to_string),
                _ => None,
            };
            facts
                .deps
                .push(dep(name, spec, path, line_of(text, name), false));
        }
    }
    Ok(())
}

/// `Pipfile.lock` (JSON).
pub fn pipfile_lock(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    for section in ["default", "develop"] {
        let Some(t) = doc.get(section).and_then(Json::as_object) else {
            continue;
        };
        for (name, v) in t {
            let spec = v
                .get("version")
                .and_then(Json::as_str)
                .map(|s| s.trim_start_matches("==").to_string());
            let line = line_of(text, &format!("\"{name}\""));
            facts.deps.push(dep(name, spec, path, line, true));
        }
    }
    Ok(())
}

/// `poetry.lock` and `uv.lock`: `[[package]]` tables with name and
/// version.
pub fn toml_lock(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: Toml = toml::from_str(text).map_err(|e| format!("invalid TOML: {e}"))?;
    for p in doc
        .get("package")
        .and_then(Toml::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(version)) = (
            p.get("name").and_then(Toml::as_str),
            p.get("version").and_then(Toml::as_str),
        ) else {
            continue;
        };
        let line = line_of(text, &format!("name = \"{name}\""));
        facts
            .deps
            .push(dep(name, Some(version.to_string()), path, line, true));
    }
    Ok(())
}

/// Conda `environment.yml`: conda specs (`name=1.0=build`) and a nested
/// `pip:` list.
pub fn conda_env(path: &str, text: &str, facts: &mut Facts) -> Result<(), String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    let Some(deps) = doc
        .get("dependencies")
        .and_then(serde_yaml::Value::as_sequence)
    else {
        return Ok(());
    };
    for d in deps {
        match d {
            serde_yaml::Value::String(s) => {
                // `channel::name=ver=build` or `name>=ver`.
                let s = s.rsplit("::").next().unwrap_or(s);
                let end = s.find(['=', '<', '>', '!', ' ', '~']).unwrap_or(s.len());
                let name = &s[..end];
                if name.is_empty() || name == "python" || name == "pip" {
                    continue;
                }
                let rest = s[end..].trim();
                let spec = match rest.strip_prefix('=') {
                    // Conda's `=1.2` means 1.2.*; `==1.2` is exact; a
                    // third `=build` field is dropped.
                    Some(r) if !r.starts_with('=') => {
                        let v = r.split('=').next().unwrap_or(r);
                        Some(format!("=={v}"))
                    }
                    _ => Some(rest.to_string()),
                };
                facts.deps.push(Dependency {
                    ecosystem: "pypi",
                    ..dep(name, spec, path, line_of(text, name), false)
                });
            }
            serde_yaml::Value::Mapping(m) => {
                for r in m
                    .get("pip")
                    .and_then(serde_yaml::Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .filter_map(serde_yaml::Value::as_str)
                {
                    if let Some((name, spec)) = parse_pep508(r) {
                        facts
                            .deps
                            .push(dep(&name, spec, path, line_of(text, r), false));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `pip install …` inside a command line (a Dockerfile `RUN`, a notebook
/// `!pip`/`%pip` line, a shell script). Options and their values, local
/// paths and URLs are skipped; `-r file` is left to that file's own scan.
pub fn pip_install_line(path: &str, line_no: usize, cmd: &str, facts: &mut Facts) {
    for segment in cmd.split(['&', ';', '|', '\n']) {
        let words: Vec<&str> = segment.split_whitespace().collect();
        let Some(pos) = words
            .windows(2)
            .position(|w| {
                (w[0].ends_with("pip") || w[0].ends_with("pip3") || w[0] == "uv")
                    && w[1] == "install"
            })
            .or_else(|| {
                words
                    .windows(3)
                    .position(|w| w[0] == "uv" && w[1] == "pip" && w[2] == "install")
                    .map(|p| p + 1)
            })
        else {
            continue;
        };
        let mut skip_next = false;
        for w in &words[pos + 2..] {
            if skip_next {
                skip_next = false;
                continue;
            }
            if w.starts_with('-') {
                // Options that take a separate value.
                skip_next = matches!(
                    *w,
                    "-r" | "-c"
                        | "-e"
                        | "-i"
                        | "--index-url"
                        | "--extra-index-url"
                        | "-f"
                        | "--find-links"
                        | "--target"
                        | "-t"
                        | "--prefix"
                        | "--requirement"
                        | "--constraint"
                        | "--trusted-host"
                );
                continue;
            }
            let w = w.trim_matches(|c| c == '"' || c == '\'');
            if w.contains('/') || w.contains("://") || w.starts_with('.') || w.starts_with('$') {
                continue;
            }
            if let Some((name, spec)) = parse_pep508(w) {
                facts
                    .deps
                    .push(dep(&name, spec, path, Some(line_no), false));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep508_forms() {
        assert_eq!(
            parse_pep508("mcp[cli]>=1.2.0"),
            Some(("mcp".into(), Some(">=1.2.0".into())))
        );
        assert_eq!(
            parse_pep508("uvicorn[standard]"),
            Some(("uvicorn".into(), None))
        );
        assert_eq!(
            parse_pep508("anthropic>=0.34,<1 ; python_version>'3.8'"),
            Some(("anthropic".into(), Some(">=0.34,<1".into())))
        );
        assert_eq!(
            parse_pep508("torch @ https://x/y.whl"),
            Some(("torch".into(), None))
        );
        assert_eq!(parse_pep508("-r base.txt"), None);
    }

    #[test]
    fn requirements_with_continuations_and_hashes() {
        let mut f = Facts::default();
        requirements(
            "r.txt",
            "# c\ntorch==2.2.1 \\\n    --hash=sha256:abc\n-e .\nopenai==1.30.1  # pinned\n",
            &mut f,
        );
        let got: Vec<_> = f
            .deps
            .iter()
            .map(|d| (d.name.as_str(), d.spec.as_deref(), d.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("torch", Some("==2.2.1"), Some(2)),
                ("openai", Some("==1.30.1"), Some(5))
            ]
        );
    }

    #[test]
    fn pip_install_in_commands() {
        let mut f = Facts::default();
        pip_install_line(
            "Dockerfile",
            3,
            "apt-get update && pip install --no-cache-dir -r req.txt vllm==0.6.3 'transformers>=4' ./local",
            &mut f,
        );
        let got: Vec<_> = f
            .deps
            .iter()
            .map(|d| (d.name.as_str(), d.spec.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![("vllm", Some("==0.6.3")), ("transformers", Some(">=4"))]
        );
    }

    #[test]
    fn poetry_and_pep621() {
        let mut f = Facts::default();
        pyproject(
            "p",
            "[project]\ndependencies=[\"openai==1.0\"]\n[tool.poetry.dependencies]\npython=\"^3.10\"\nlangchain=\"0.1.0\"\ntorch={version=\"^2.1\"}\n",
            &mut f,
        )
        .unwrap();
        let got: Vec<_> = f
            .deps
            .iter()
            .map(|d| (d.name.as_str(), d.spec.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("openai", Some("==1.0")),
                ("langchain", Some("==0.1.0")),
                ("torch", Some("^2.1"))
            ]
        );
    }
}
