//! From facts to the AI-BOM: the catalogue decides which dependencies,
//! images, Terraform resources, Kubernetes objects and MCP servers are AI
//! components; each gets a version and a package URL.

use crate::catalog::{normalize_image, normalize_package, Catalog};
use crate::facts::{Dependency, Facts, McpServer, Service, TfResource};
use crate::report::Component;
use crate::version;
use std::collections::HashMap;
use std::path::Path;

/// Splits an image reference into (repository, tag or digest).
pub fn split_image(image: &str) -> (String, Option<String>) {
    let image = image.trim();
    if let Some((repo, digest)) = image.split_once('@') {
        return (repo.to_string(), Some(digest.to_string()));
    }
    // A colon after the last slash is a tag; before it, a registry port.
    let last_slash = image.rfind('/').map(|i| i + 1).unwrap_or(0);
    match image[last_slash..].rfind(':') {
        Some(c) => (
            image[..last_slash + c].to_string(),
            Some(image[last_slash + c + 1..].to_string()),
        ),
        None => (image.to_string(), None),
    }
}

/// A purl for a package; the version only when exact.
pub fn package_purl(ecosystem: &str, name: &str, exact: Option<&str>) -> Option<String> {
    let (ty, namespace, name) = match ecosystem {
        "pypi" => ("pypi", None, normalize_package("pypi", name)),
        "npm" => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, n)) => ("npm", Some(format!("@{scope}")), n.to_string()),
            None => ("npm", None, name.to_string()),
        },
        "cargo" => ("cargo", None, name.to_string()),
        "golang" => match name.rsplit_once('/') {
            Some((ns, n)) => ("golang", Some(ns.to_string()), n.to_string()),
            None => ("golang", None, name.to_string()),
        },
        "maven" => match name.split_once(':') {
            Some((g, a)) => ("maven", Some(g.to_string()), a.to_string()),
            None => return None,
        },
        "conda" => ("conda", None, name.to_string()),
        _ => return None,
    };
    let mut p = packageurl::PackageUrl::new(ty, name).ok()?;
    if let Some(ns) = namespace {
        p.with_namespace(ns);
    }
    if let Some(v) = exact {
        p.with_version(v);
    }
    Some(p.to_string())
}

/// A purl for a container image (`pkg:docker/...`, with
/// `repository_url` for registries other than Docker Hub).
pub fn image_purl(image: &str) -> Option<String> {
    let (repo, tag) = split_image(image);
    let norm = normalize_image(&repo);
    let (registry, path) = match norm.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (Some(first.to_string()), rest.to_string())
        }
        _ => (None, norm.clone()),
    };
    let (ns, name) = match path.rsplit_once('/') {
        Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
        None => (None, path),
    };
    let mut p = packageurl::PackageUrl::new("docker", name).ok()?;
    if let Some(ns) = ns {
        p.with_namespace(ns);
    }
    if let Some(t) = tag {
        p.with_version(t);
    }
    if let Some(r) = registry {
        p.add_qualifier("repository_url", r).ok()?;
    }
    Some(p.to_string())
}

fn dir_of(path: &str) -> &str {
    Path::new(path)
        .parent()
        .and_then(|p| p.to_str())
        .unwrap_or("")
}

fn is_ancestor(dir: &str, path: &str) -> bool {
    dir.is_empty() || path.starts_with(&format!("{dir}/")) || path.starts_with(&format!("{dir}!/"))
}

/// Components from dependencies. Declared entries win over imports; per
/// folder, a lockfile's exact version wins over a manifest's range.
pub fn from_deps(catalog: &Catalog, deps: &[Dependency]) -> Vec<Component> {
    let declared: Vec<(&str, String, &str)> = deps
        .iter()
        .filter(|d| !d.imported)
        .map(|d| {
            (
                d.ecosystem,
                normalize_package(d.ecosystem, &d.name),
                dir_of(&d.path),
            )
        })
        .collect();
    let mut best: HashMap<(String, &str, String), (usize, Component)> = HashMap::new();
    let mut order = 0;
    for d in deps {
        let Some(hit) = catalog.package(d.ecosystem, &d.name) else {
            continue;
        };
        let norm = normalize_package(d.ecosystem, &d.name);
        if d.imported
            && declared
                .iter()
                .any(|(e, n, dir)| *e == d.ecosystem && *n == norm && is_ancestor(dir, &d.path))
        {
            continue;
        }
        let exact = d.spec.as_deref().and_then(version::exact);
        let version = match (exact, &d.spec) {
            (Some(v), _) => Some(v.to_string()),
            (None, Some(s)) => Some(s.clone()),
            (None, None) => None,
        };
        let name = match d.ecosystem {
            "pypi" | "conda" => norm.clone(),
            _ => d.name.clone(),
        };
        let c = Component {
            purl: package_purl(d.ecosystem, &name, exact),
            name: name.clone(),
            version,
            kind: hit.kind.to_string(),
            path: d.path.clone(),
            line: d.line,
            ecosystem: if d.imported {
                "python-import".into()
            } else {
                d.ecosystem.into()
            },
            product: Some(hit.product.id.clone()),
            product_name: Some(hit.product.name.clone()),
        };
        let key = (dir_of(&d.path).to_string(), d.ecosystem, norm);
        order += 1;
        match best.get_mut(&key) {
            None => {
                best.insert(key, (order, c));
            }
            // The first entry stays unless this one pins what it left open.
            Some((_, prev)) => {
                if exact.is_some()
                    && version::exact(prev.version.as_deref().unwrap_or("")).is_none()
                {
                    *prev = c;
                }
            }
        }
    }
    let mut out: Vec<(usize, Component)> = best.into_values().collect();
    out.sort_by_key(|t| t.0);
    out.into_iter().map(|t| t.1).collect()
}

/// The component for a service's image, if the catalogue knows it.
pub fn from_service(catalog: &Catalog, s: &Service) -> Option<Component> {
    let image = s.image.as_deref()?;
    let (repo, tag) = split_image(image);
    let hit = catalog.image(&repo)?;
    Some(Component {
        name: repo,
        version: tag,
        purl: image_purl(image),
        kind: hit.kind.to_string(),
        path: s.path.clone(),
        line: s.line,
        ecosystem: "docker".into(),
        product: Some(hit.product.id.clone()),
        product_name: Some(hit.product.name.clone()),
    })
}

/// The catalogue product id of a service's image.
pub fn service_product<'a>(catalog: &'a Catalog, s: &Service) -> Option<(&'a str, &'a str)> {
    let (repo, _) = split_image(s.image.as_deref()?);
    catalog
        .image(&repo)
        .map(|h| (h.product.id.as_str(), h.kind))
}

const MODEL_EXTS: &[&str] = &[
    ".safetensors",
    ".gguf",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".onnx",
    ".pkl",
    ".h5",
    ".keras",
];

/// Whether a bucket resource holds models: its name says so, or an object
/// resource with a model file key refers to it.
pub fn bucket_holds_models(bucket: &TfResource, all: &[TfResource]) -> bool {
    let words = [
        "model",
        "weight",
        "llm",
        "checkpoint",
        "ckpt",
        "gguf",
        "lora",
    ];
    let name_of = |v: &serde_json::Value| {
        v.get("bucket")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let bname = format!(
        "{} {}",
        bucket.name.to_ascii_lowercase(),
        name_of(&bucket.body)
    );
    if words.iter().any(|w| bname.contains(w)) {
        return true;
    }
    let addr = bucket.address();
    all.iter().any(|o| {
        o.rtype.contains("object") && {
            let body = o.body.to_string();
            body.contains(&addr)
                && MODEL_EXTS
                    .iter()
                    .any(|e| body.to_ascii_lowercase().contains(e))
        }
    })
}

/// Components from Terraform: catalogue resource types, plus buckets that
/// hold models (kind `model-storage`).
pub fn from_terraform(catalog: &Catalog, tf: &[TfResource]) -> Vec<Component> {
    let mut out = Vec::new();
    for r in tf {
        let provider = r.rtype.split('_').next().unwrap_or("");
        let purl = packageurl::PackageUrl::new("generic", r.address())
            .ok()
            .map(|mut p| {
                p.with_namespace(provider);
                p.to_string()
            });
        let (kind, product, pname) = if let Some(hit) = catalog.terraform(&r.rtype) {
            (
                hit.kind.to_string(),
                Some(hit.product.id.clone()),
                Some(hit.product.name.clone()),
            )
        } else if is_bucket(&r.rtype) && bucket_holds_models(r, tf) {
            ("model-storage".to_string(), None, None)
        } else {
            continue;
        };
        out.push(Component {
            name: r.address(),
            version: None,
            purl,
            kind,
            path: r.path.clone(),
            line: r.line,
            ecosystem: "terraform".into(),
            product,
            product_name: pname,
        });
    }
    out
}

/// Object-storage bucket resource types.
pub fn is_bucket(rtype: &str) -> bool {
    matches!(
        rtype,
        "alicloud_oss_bucket"
            | "aws_s3_bucket"
            | "google_storage_bucket"
            | "azurerm_storage_container"
            | "tencentcloud_cos_bucket"
            | "huaweicloud_obs_bucket"
    )
}

/// The package an MCP server is launched from: `(ecosystem, name,
/// version)` for `npx`/`uvx`/`pipx`/`bunx` launches, or the image for
/// `docker run`.
pub fn mcp_package(s: &McpServer) -> Option<(&'static str, String, Option<String>)> {
    let cmd = s.command.as_deref()?;
    let base = Path::new(cmd)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or(cmd);
    let first_non_flag = |args: &[String]| {
        let mut skip = false;
        for a in args {
            if skip {
                skip = false;
                continue;
            }
            if a.starts_with('-') {
                skip = matches!(
                    a.as_str(),
                    "--from" | "-p" | "--package" | "--python" | "--with"
                );
                if a == "--from" {
                    // `uvx --from pkg==1.0 cmd`: the package is the value.
                    return None;
                }
                continue;
            }
            return Some(a.clone());
        }
        None
    };
    match base {
        "npx" | "bunx" | "pnpx" => {
            let spec = first_non_flag(&s.args)?;
            let at = spec.get(1..).and_then(|r| r.find('@')).map(|i| i + 1);
            Some(match at {
                Some(i) => (
                    "npm",
                    spec[..i].to_string(),
                    Some(spec[i + 1..].to_string()),
                ),
                None => ("npm", spec, None),
            })
        }
        "uvx" | "pipx" | "uv" => {
            let args: Vec<String> = if base == "uv" || base == "pipx" {
                s.args
                    .iter()
                    .skip_while(|a| *a != "run" && *a != "tool")
                    .skip(1)
                    .cloned()
                    .collect()
            } else {
                s.args.clone()
            };
            if let Some(i) = args.iter().position(|a| a == "--from") {
                let spec = args.get(i + 1)?;
                let (n, v) = crate::parse::python::parse_pep508(spec)?;
                return Some(("pypi", n, v));
            }
            let spec = first_non_flag(&args)?;
            let (n, v) = match spec.split_once('@') {
                Some((n, v)) => (n.to_string(), Some(format!("=={v}"))),
                None => crate::parse::python::parse_pep508(&spec)?,
            };
            Some(("pypi", n, v))
        }
        "docker" | "podman" => {
            let image = docker_image(&s.args)?;
            Some(("docker", image, None))
        }
        _ => None,
    }
}

/// The image of a `docker run` argument list.
pub fn docker_image(args: &[String]) -> Option<String> {
    let run = args.iter().position(|a| a == "run")?;
    let mut skip = false;
    for a in &args[run + 1..] {
        if skip {
            skip = false;
            continue;
        }
        if a.starts_with('-') {
            // Flags with a separate value.
            skip = !a.contains('=')
                && matches!(
                    a.as_str(),
                    "-e" | "--env"
                        | "-v"
                        | "--volume"
                        | "--name"
                        | "-p"
                        | "--publish"
                        | "--network"
                        | "--net"
                        | "--mount"
                        | "-w"
                        | "--workdir"
                        | "-u"
                        | "--user"
                        | "--env-file"
                        | "--entrypoint"
                        | "--add-host"
                        | "--cap-add"
                        | "--device"
                        | "-l"
                        | "--label"
                        | "--platform"
                        | "--pull"
                        | "--memory"
                        | "-m"
                        | "--cpus"
                );
            continue;
        }
        return Some(a.clone());
    }
    None
}

/// Components for MCP servers (every configured server is an AI asset).
pub fn from_mcp(catalog: &Catalog, servers: &[McpServer]) -> Vec<Component> {
    servers
        .iter()
        .map(|s| {
            let pkg = mcp_package(s);
            let (name, version, purl, product) = match &pkg {
                Some(("docker", image, _)) => {
                    let (repo, tag) = split_image(image);
                    let product = catalog.image(&repo).map(|h| h.product.id.clone());
                    (repo, tag, image_purl(image), product)
                }
                Some((eco, n, v)) => {
                    let exact = v.as_deref().and_then(version::exact);
                    let product = catalog.package(eco, n).map(|h| h.product.id.clone());
                    (n.clone(), v.clone(), package_purl(eco, n, exact), product)
                }
                None => (s.name.clone(), None, None, None),
            };
            Component {
                name,
                version,
                purl,
                kind: "mcp-server".into(),
                path: s.path.clone(),
                line: s.line,
                ecosystem: "mcp".into(),
                product,
                product_name: Some(format!("MCP server `{}`", s.name)),
            }
        })
        .collect()
}

/// The whole inventory from facts.
pub fn inventory(catalog: &Catalog, facts: &Facts) -> Vec<Component> {
    let mut out = from_deps(catalog, &facts.deps);
    for s in &facts.services {
        if let Some(c) = from_service(catalog, s) {
            if !out
                .iter()
                .any(|o| o.path == c.path && o.name == c.name && o.version == c.version)
            {
                out.push(c);
            }
        }
    }
    for k in &facts.k8s {
        if let Some(hit) = catalog.k8s_kind(&k.group, &k.kind) {
            out.push(Component {
                name: format!("{}/{}", k.kind, k.name),
                version: None,
                purl: packageurl::PackageUrl::new("generic", format!("{}-{}", k.kind, k.name))
                    .ok()
                    .map(|mut p| {
                        p.with_namespace(k.group.clone());
                        p.to_string()
                    }),
                kind: hit.kind.to_string(),
                path: k.path.clone(),
                line: k.line,
                ecosystem: "kubernetes".into(),
                product: Some(hit.product.id.clone()),
                product_name: Some(hit.product.name.clone()),
            });
        }
    }
    out.extend(from_terraform(catalog, &facts.tf));
    out.extend(from_mcp(catalog, &facts.mcp_servers));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        assert_eq!(
            split_image("ollama/ollama:0.1.33"),
            ("ollama/ollama".into(), Some("0.1.33".into()))
        );
        assert_eq!(
            split_image("localhost:5000/x"),
            ("localhost:5000/x".into(), None)
        );
        assert_eq!(
            split_image("a/b@sha256:00"),
            ("a/b".into(), Some("sha256:00".into()))
        );
        assert_eq!(
            image_purl("ollama/ollama:0.1.33").as_deref(),
            Some("pkg:docker/ollama/ollama@0.1.33")
        );
        assert_eq!(
            image_purl("ghcr.io/open-webui/open-webui:main").as_deref(),
            Some("pkg:docker/open-webui/open-webui@main?repository_url=ghcr.io")
        );
        assert_eq!(image_purl("redis").as_deref(), Some("pkg:docker/redis"));
    }

    #[test]
    fn package_purls() {
        assert_eq!(
            package_purl("pypi", "Sentence_Transformers", Some("2.7.0")).as_deref(),
            Some("pkg:pypi/sentence-transformers@2.7.0")
        );
        assert_eq!(
            package_purl("npm", "@langchain/core", None).as_deref(),
            Some("pkg:npm/%40langchain/core")
        );
        assert_eq!(
            package_purl("maven", "dev.langchain4j:langchain4j", Some("0.31.0")).as_deref(),
            Some("pkg:maven/dev.langchain4j/langchain4j@0.31.0")
        );
        assert_eq!(
            package_purl("golang", "github.com/ollama/ollama", Some("v0.1.33")).as_deref(),
            Some("pkg:golang/github.com/ollama/ollama@v0.1.33")
        );
    }

    #[test]
    fn mcp_launch_packages() {
        let s = |cmd: &str, args: &[&str]| McpServer {
            name: "x".into(),
            command: Some(cmd.into()),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Default::default(),
            url: None,
            headers: Default::default(),
            path: "p".into(),
            line: None,
        };
        assert_eq!(
            mcp_package(&s(
                "npx",
                &[
                    "-y",
                    "@modelcontextprotocol/server-filesystem@2025.7.1",
                    "/x"
                ]
            )),
            Some((
                "npm",
                "@modelcontextprotocol/server-filesystem".into(),
                Some("2025.7.1".into())
            ))
        );
        assert_eq!(
            mcp_package(&s("uvx", &["mcp-shell-server"])),
            Some(("pypi", "mcp-shell-server".into(), None))
        );
        assert_eq!(
            mcp_package(&s(
                "docker",
                &[
                    "run",
                    "-i",
                    "--rm",
                    "-e",
                    "T",
                    "ghcr.io/github/github-mcp-server:v0.9.0"
                ]
            )),
            Some((
                "docker",
                "ghcr.io/github/github-mcp-server:v0.9.0".into(),
                None
            ))
        );
    }
}
