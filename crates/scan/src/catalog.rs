//! The AI component catalogue (`catalog/aibom/components.yaml`): which
//! packages, images, Terraform resources and Kubernetes kinds are AI
//! components, and of what kind. Loaded and validated at start-up; lookups
//! are hash probes plus a short prefix scan.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The catalogue compiled into the binary.
pub const BUILTIN: &str = include_str!("../../../catalog/aibom/components.yaml");

/// The kinds a component may have.
pub const KINDS: &[&str] = &[
    "llm-sdk",
    "agent-framework",
    "ml-framework",
    "ml-data",
    "vector-db",
    "vector-db-client",
    "inference-server",
    "llm-gateway",
    "ai-ui",
    "notebook",
    "experiment-tracking",
    "ml-platform",
    "model-hub",
    "ai-eval",
    "ai-observability",
    "guardrails",
    "mcp-sdk",
    "mcp-server",
    "cloud-ai-service",
    "model-storage",
];

/// Package ecosystems the catalogue knows.
pub const ECOSYSTEMS: &[&str] = &["pypi", "npm", "cargo", "golang", "maven", "conda"];

/// A catalogue that failed validation.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The YAML does not parse or has the wrong shape.
    #[error("component catalogue: {0}")]
    Parse(#[from] serde_yaml::Error),
    /// An entry breaks a rule.
    #[error("component catalogue, entry `{id}`: {problem}")]
    Invalid {
        /// The entry id.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// One product of the catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Unique slug.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// Maintainer.
    #[serde(default)]
    pub vendor: Option<String>,
    /// Home page.
    #[serde(default)]
    pub homepage: Option<String>,
    /// One line.
    #[serde(default)]
    pub description: Option<String>,
    /// Exact package names per ecosystem.
    #[serde(default)]
    pub packages: BTreeMap<String, Vec<String>>,
    /// Package-name prefixes per ecosystem.
    #[serde(default)]
    pub package_prefixes: BTreeMap<String, Vec<String>>,
    /// Per-package kind overrides.
    #[serde(default)]
    pub package_kinds: BTreeMap<String, String>,
    /// Container image repositories (a trailing `*` is a prefix).
    #[serde(default)]
    pub images: Vec<String>,
    /// Helm chart names.
    #[serde(default)]
    pub helm_charts: Vec<String>,
    /// Terraform resource types (a trailing `*` is a prefix).
    #[serde(default)]
    pub terraform: Vec<String>,
    /// Kubernetes `group/Kind`s.
    #[serde(default)]
    pub k8s_kinds: Vec<String>,
    /// Default service ports.
    #[serde(default)]
    pub ports: Vec<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    components: Vec<Product>,
}

/// A catalogue hit: the product and the kind of this particular package.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    /// The product.
    pub product: &'a Product,
    /// The kind (the product's, or the package's override).
    pub kind: &'a str,
}

/// The loaded catalogue with its lookup indexes.
#[derive(Debug)]
pub struct Catalog {
    products: Vec<Product>,
    /// `(ecosystem, normalised name)` → product index.
    packages: HashMap<(String, String), usize>,
    /// `(ecosystem, prefix)`, longest first.
    prefixes: Vec<(String, String, usize)>,
    images: HashMap<String, usize>,
    image_prefixes: Vec<(String, usize)>,
    terraform: HashMap<String, usize>,
    terraform_prefixes: Vec<(String, usize)>,
    k8s: HashMap<String, usize>,
    charts: HashMap<String, usize>,
}

/// Normalises a package name the way its ecosystem compares names.
pub fn normalize_package(ecosystem: &str, name: &str) -> String {
    match ecosystem {
        // PEP 503: case-insensitive, runs of `-`, `_`, `.` are equal.
        "pypi" | "conda" => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.trim().chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.extend(c.to_lowercase());
                }
            }
            out
        }
        // crates.io treats `-` and `_` as the same name.
        "cargo" => name.trim().to_ascii_lowercase().replace('_', "-"),
        "npm" => name.trim().to_ascii_lowercase(),
        _ => name.trim().to_string(),
    }
}

/// Normalises an image repository: drops the implicit Docker Hub registry
/// and `library/` namespace, lowercases.
pub fn normalize_image(repo: &str) -> String {
    let r = repo.trim().to_ascii_lowercase();
    let r = r
        .strip_prefix("docker.io/")
        .or_else(|| r.strip_prefix("index.docker.io/"))
        .or_else(|| r.strip_prefix("registry-1.docker.io/"))
        .unwrap_or(&r)
        .to_string();
    r.strip_prefix("library/").map(str::to_string).unwrap_or(r)
}

impl Catalog {
    /// The built-in catalogue.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Catalog::from_yaml(BUILTIN)
    }

    /// Parses and validates a catalogue.
    pub fn from_yaml(text: &str) -> Result<Catalog, CatalogError> {
        let file: File = serde_yaml::from_str(text)?;
        let mut c = Catalog {
            products: Vec::new(),
            packages: HashMap::new(),
            prefixes: Vec::new(),
            images: HashMap::new(),
            image_prefixes: Vec::new(),
            terraform: HashMap::new(),
            terraform_prefixes: Vec::new(),
            k8s: HashMap::new(),
            charts: HashMap::new(),
        };
        let mut ids = HashSet::new();
        for (i, p) in file.components.into_iter().enumerate() {
            let bad = |problem: String| CatalogError::Invalid {
                id: p.id.clone(),
                problem,
            };
            if !ids.insert(p.id.clone()) {
                return Err(bad("duplicate id".into()));
            }
            if !KINDS.contains(&p.kind.as_str()) {
                return Err(bad(format!("unknown kind `{}`", p.kind)));
            }
            for (pkg, kind) in &p.package_kinds {
                if !KINDS.contains(&kind.as_str()) {
                    return Err(bad(format!("package `{pkg}`: unknown kind `{kind}`")));
                }
            }
            for (eco, names) in &p.packages {
                if !ECOSYSTEMS.contains(&eco.as_str()) {
                    return Err(bad(format!("unknown ecosystem `{eco}`")));
                }
                for n in names {
                    let key = (eco.clone(), normalize_package(eco, n));
                    if let Some(prev) = c.packages.insert(key, i) {
                        if prev != i {
                            return Err(bad(format!(
                                "{eco} package `{n}` is also listed by `{}`",
                                c.products[prev].id
                            )));
                        }
                    }
                }
            }
            for (eco, prefixes) in &p.package_prefixes {
                if !ECOSYSTEMS.contains(&eco.as_str()) {
                    return Err(bad(format!("unknown ecosystem `{eco}`")));
                }
                for pre in prefixes {
                    c.prefixes
                        .push((eco.clone(), normalize_package(eco, pre) + tail(pre), i));
                }
            }
            for img in &p.images {
                match img.strip_suffix('*') {
                    Some(pre) => c.image_prefixes.push((normalize_image(pre), i)),
                    None => {
                        c.images.insert(normalize_image(img), i);
                    }
                }
            }
            for t in &p.terraform {
                match t.strip_suffix('*') {
                    Some(pre) => c.terraform_prefixes.push((pre.to_string(), i)),
                    None => {
                        c.terraform.insert(t.clone(), i);
                    }
                }
            }
            for k in &p.k8s_kinds {
                c.k8s.insert(k.to_ascii_lowercase(), i);
            }
            for h in &p.helm_charts {
                c.charts.insert(h.to_ascii_lowercase(), i);
            }
            c.products.push(p);
        }
        c.prefixes
            .sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.1.cmp(&b.1)));
        c.image_prefixes
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        c.terraform_prefixes
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        Ok(c)
    }

    /// Every product.
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// The product with this id.
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    fn hit(&self, i: usize, package: Option<&str>, via_prefix: bool) -> Option<Hit<'_>> {
        let product = self.products.get(i)?;
        // Exact overrides first, then the longest `prefix*` override (so
        // `langchain-*` does not beat `langchain-chroma`).
        let kind = package
            .and_then(|n| {
                let kinds = &product.package_kinds;
                kinds
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n) || normalize_package("pypi", k) == n)
                    .map(|(_, v)| v)
                    .or_else(|| {
                        // Glob overrides are for packages the product
                        // owns by prefix, not ones it lists by name.
                        if !via_prefix {
                            return None;
                        }
                        kinds
                            .iter()
                            .filter_map(|(k, v)| Some((k.strip_suffix('*')?, v)))
                            .filter(|(pre, _)| n.starts_with(&pre.to_ascii_lowercase()))
                            .max_by_key(|(pre, _)| pre.len())
                            .map(|(_, v)| v)
                    })
                    .map(String::as_str)
            })
            .unwrap_or(&product.kind);
        Some(Hit { product, kind })
    }

    /// Looks up a package by ecosystem and name.
    pub fn package(&self, ecosystem: &str, name: &str) -> Option<Hit<'_>> {
        let n = normalize_package(ecosystem, name);
        if let Some(&i) = self.packages.get(&(ecosystem.to_string(), n.clone())) {
            return self.hit(i, Some(&n), false);
        }
        let i = self
            .prefixes
            .iter()
            .find(|(e, pre, _)| {
                e == ecosystem && n.starts_with(pre.as_str()) && n.len() > pre.len()
            })
            .map(|t| t.2)?;
        self.hit(i, Some(&n), true)
    }

    /// Looks up an image repository (without tag or digest).
    pub fn image(&self, repo: &str) -> Option<Hit<'_>> {
        let r = normalize_image(repo);
        if let Some(&i) = self.images.get(&r) {
            return self.hit(i, None, false);
        }
        let i = self
            .image_prefixes
            .iter()
            .find(|(pre, _)| r.starts_with(pre.as_str()))
            .map(|t| t.1)?;
        self.hit(i, None, false)
    }

    /// Looks up a Terraform resource type.
    pub fn terraform(&self, resource_type: &str) -> Option<Hit<'_>> {
        if let Some(&i) = self.terraform.get(resource_type) {
            return self.hit(i, None, false);
        }
        let i = self
            .terraform_prefixes
            .iter()
            .find(|(pre, _)| resource_type.starts_with(pre.as_str()))
            .map(|t| t.1)?;
        self.hit(i, None, false)
    }

    /// Looks up a Kubernetes resource by API group and kind.
    pub fn k8s_kind(&self, group: &str, kind: &str) -> Option<Hit<'_>> {
        let key = format!("{group}/{kind}").to_ascii_lowercase();
        self.k8s.get(&key).and_then(|&i| self.hit(i, None, false))
    }

    /// Looks up a Helm chart name.
    pub fn chart(&self, name: &str) -> Option<Hit<'_>> {
        self.charts
            .get(&name.to_ascii_lowercase())
            .and_then(|&i| self.hit(i, None, false))
    }
}

/// Keeps a prefix's trailing separator (`langchain-`), which package
/// normalisation would drop.
fn tail(prefix: &str) -> &'static str {
    match prefix.chars().last() {
        Some('-' | '_' | '.') => "-",
        Some('/') => "",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_normalisation() {
        assert_eq!(
            normalize_package("pypi", "Sentence_Transformers"),
            "sentence-transformers"
        );
        assert_eq!(normalize_package("pypi", "a.-_b"), "a-b");
        assert_eq!(normalize_package("cargo", "async_openai"), "async-openai");
    }

    #[test]
    fn images_drop_the_default_registry() {
        assert_eq!(normalize_image("docker.io/library/redis"), "redis");
        assert_eq!(normalize_image("Ollama/Ollama"), "ollama/ollama");
    }

    #[test]
    fn builtin_catalogue_loads_and_answers() {
        let c = Catalog::builtin().expect("catalogue");
        assert!(c.products().len() >= 200, "{} products", c.products().len());
        let hit = c
            .package("pypi", "LangChain_OpenAI")
            .expect("langchain-openai");
        assert_eq!(hit.kind, "llm-sdk");
        assert_eq!(
            c.package("pypi", "langchain-chroma").map(|h| h.kind),
            Some("vector-db-client")
        );
        assert_eq!(
            c.package("pypi", "llama-index-llms-dashscope")
                .map(|h| h.kind),
            Some("llm-sdk")
        );
        assert_eq!(
            c.package("pypi", "llama-index-core").map(|h| h.kind),
            Some("agent-framework")
        );
        assert_eq!(
            c.package("pypi", "langchain").map(|h| h.kind),
            Some("agent-framework")
        );
        assert_eq!(
            c.package("pypi", "langchain-core").map(|h| h.kind),
            Some("agent-framework")
        );
        assert!(c.package("pypi", "requests").is_none());
        assert!(c.image("ollama/ollama").is_some());
        assert!(c.image("docker.io/ollama/ollama").is_some());
    }

    #[test]
    fn duplicate_packages_are_refused() {
        let y = "components:\n- {id: a, name: A, kind: llm-sdk, packages: {pypi: [x]}}\n- {id: b, name: B, kind: llm-sdk, packages: {pypi: [X]}}\n";
        let e = Catalog::from_yaml(y).unwrap_err().to_string();
        assert!(e.contains("also listed"), "{e}");
    }
}
