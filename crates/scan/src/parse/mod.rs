//! File parsers: each reads one format into [`Facts`](crate::facts::Facts).
//! [`parse_text`] picks parsers by file name (manifests have fixed names)
//! and, for generic JSON/YAML/TOML, by content (an MCP config, a
//! Kubernetes manifest and a Helm values file are all just YAML).

pub mod containers;
pub mod mcp;
pub mod packages;
pub mod python;
pub mod source;
pub mod terraform;

use crate::facts::{Facts, SourceText};
use crate::report::ScanError;

/// What kind of file a name is, for parsing and for deciding whether a
/// file is worth reading at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// requirements*.txt and friends.
    Requirements,
    /// pyproject.toml.
    Pyproject,
    /// Pipfile.
    Pipfile,
    /// Pipfile.lock.
    PipfileLock,
    /// poetry.lock, uv.lock.
    TomlLock,
    /// environment.yml.
    CondaEnv,
    /// package.json.
    PackageJson,
    /// package-lock.json, npm-shrinkwrap.json.
    PackageLock,
    /// yarn.lock.
    YarnLock,
    /// pnpm-lock.yaml.
    PnpmLock,
    /// Cargo.toml.
    CargoToml,
    /// Cargo.lock.
    CargoLock,
    /// go.mod.
    GoMod,
    /// pom.xml.
    Pom,
    /// Dockerfile.
    Dockerfile,
    /// docker-compose.yml.
    Compose,
    /// *.tf.
    Terraform,
    /// *.ipynb.
    Notebook,
    /// *.py.
    Python,
    /// Other JSON.
    Json,
    /// Other YAML.
    Yaml,
    /// Other TOML.
    Toml,
    /// Shell scripts, .env files, JS/TS sources: pattern rules and secrets.
    Text,
}

/// Classifies a file by its name; `None` for files the inventory and the
/// posture rules do not read (they may still be model files or be
/// scanned for secrets).
pub fn kind_of(file_name: &str) -> Option<FileKind> {
    let n = file_name.to_ascii_lowercase();
    let ext = n.rsplit_once('.').map(|t| t.1).unwrap_or("");
    Some(match n.as_str() {
        "pyproject.toml" => FileKind::Pyproject,
        "pipfile" => FileKind::Pipfile,
        "pipfile.lock" => FileKind::PipfileLock,
        "poetry.lock" | "uv.lock" | "pdm.lock" => FileKind::TomlLock,
        "environment.yml" | "environment.yaml" | "conda.yml" | "conda.yaml" => FileKind::CondaEnv,
        "package.json" => FileKind::PackageJson,
        "package-lock.json" | "npm-shrinkwrap.json" => FileKind::PackageLock,
        "yarn.lock" => FileKind::YarnLock,
        "pnpm-lock.yaml" => FileKind::PnpmLock,
        "cargo.toml" => FileKind::CargoToml,
        "cargo.lock" => FileKind::CargoLock,
        "go.mod" => FileKind::GoMod,
        "pom.xml" => FileKind::Pom,
        "containerfile" => FileKind::Dockerfile,
        _ if n == "dockerfile" || n.starts_with("dockerfile.") || ext == "dockerfile" => {
            FileKind::Dockerfile
        }
        _ if (n.starts_with("docker-compose") || n.starts_with("compose"))
            && matches!(ext, "yml" | "yaml") =>
        {
            FileKind::Compose
        }
        _ if (n.contains("requirements") || n.starts_with("constraints"))
            && matches!(ext, "txt" | "in") =>
        {
            FileKind::Requirements
        }
        _ => match ext {
            "tf" => FileKind::Terraform,
            "ipynb" => FileKind::Notebook,
            "py" => FileKind::Python,
            "json" | "jsonc" => FileKind::Json,
            "yml" | "yaml" => FileKind::Yaml,
            "toml" => FileKind::Toml,
            "sh" | "bash" | "env" | "js" | "mjs" | "cjs" | "ts" | "tsx" | "jsx" | "ini" | "cfg"
            | "conf" | "properties" | "hcl" | "tfvars" => FileKind::Text,
            _ if n.starts_with(".env") => FileKind::Text,
            _ => return None,
        },
    })
}

fn err(path: &str, e: String, facts: &mut Facts) {
    facts.errors.push(ScanError {
        path: path.to_string(),
        error: e,
    });
}

/// Parses a generic structured document into JSON for the MCP reader.
fn as_json(kind: FileKind, text: &str) -> Result<serde_json::Value, String> {
    match kind {
        FileKind::Json => {
            // JSONC (VS Code settings) allows comments; strip whole-line
            // ones, the common case, before giving up.
            serde_json::from_str(text).or_else(|e| {
                let stripped: String = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                serde_json::from_str(&stripped).map_err(|_| format!("invalid JSON: {e}"))
            })
        }
        FileKind::Toml => toml::from_str::<toml::Value>(text)
            .map_err(|e| format!("invalid TOML: {e}"))
            .and_then(|v| serde_json::to_value(v).map_err(|e| e.to_string())),
        _ => {
            // Multi-document YAML: the first document decides.
            let first = serde_yaml::Deserializer::from_str(text).next();
            match first {
                Some(d) => <serde_json::Value as serde::Deserialize>::deserialize(d)
                    .map_err(|e| format!("invalid YAML: {e}")),
                None => Ok(serde_json::Value::Null),
            }
        }
    }
}

/// Reads one text file into facts. Parse errors are recorded per file and
/// never stop the scan.
pub fn parse_text(path: &str, file_name: &str, kind: FileKind, text: &str, facts: &mut Facts) {
    let result: Result<(), String> = match kind {
        FileKind::Requirements => {
            python::requirements(path, text, facts);
            Ok(())
        }
        FileKind::Pyproject => python::pyproject(path, text, facts),
        FileKind::Pipfile => python::pipfile(path, text, facts),
        FileKind::PipfileLock => python::pipfile_lock(path, text, facts),
        FileKind::TomlLock => python::toml_lock(path, text, facts),
        FileKind::CondaEnv => python::conda_env(path, text, facts),
        FileKind::PackageJson => packages::package_json(path, text, facts),
        FileKind::PackageLock => packages::package_lock(path, text, facts),
        FileKind::YarnLock => {
            packages::yarn_lock(path, text, facts);
            Ok(())
        }
        FileKind::PnpmLock => packages::pnpm_lock(path, text, facts),
        FileKind::CargoToml => packages::cargo_toml(path, text, facts),
        FileKind::CargoLock => packages::cargo_lock(path, text, facts),
        FileKind::GoMod => {
            packages::go_mod(path, text, facts);
            Ok(())
        }
        FileKind::Pom => packages::pom_xml(path, text, facts),
        FileKind::Dockerfile => {
            containers::dockerfile(path, text, facts);
            Ok(())
        }
        FileKind::Compose => containers::compose(path, text, facts),
        FileKind::Terraform => terraform::terraform(path, text, facts),
        FileKind::Notebook => source::notebook(path, text, facts),
        FileKind::Python => {
            source::python(path, text, facts);
            Ok(())
        }
        FileKind::Json | FileKind::Yaml | FileKind::Toml => {
            structured(path, file_name, kind, text, facts)
        }
        FileKind::Text => Ok(()),
    };
    if let Err(e) = result {
        err(path, e, facts);
    }
    if !matches!(kind, FileKind::Python | FileKind::Notebook) {
        facts.sources.push(SourceText {
            path: path.to_string(),
            lang: "config",
            text: text.to_string(),
        });
    }
}

fn structured(
    path: &str,
    file_name: &str,
    kind: FileKind,
    text: &str,
    facts: &mut Facts,
) -> Result<(), String> {
    let lower = file_name.to_ascii_lowercase();
    if kind == FileKind::Yaml
        && text.contains("apiVersion")
        && text.contains("kind")
        && containers::kubernetes(path, text, facts)?
    {
        return Ok(());
    }
    let doc = as_json(kind, text)?;
    if mcp::from_value(path, text, &doc, facts) {
        return Ok(());
    }
    if kind == FileKind::Yaml && lower.starts_with("values") {
        containers::helm_values(path, text, facts)?;
    }
    source::models_in(path, text, facts);
    Ok(())
}
