//! Offline vulnerability advisories in OSV format: parsing, import into the
//! local store, and matching a package version against affected ranges.
//!
//! Two sources: the project's own short list of the most important AI
//! component vulnerabilities (`catalog/advisories/builtin.json`, compiled
//! in) and whatever the user imports with `palisade advisories import`
//! (an OSV export: one document, an array, a `{"advisories": [...]}`
//! wrapper, a folder of `.json` files or a `.zip` of them).

use crate::catalog::normalize_package;
use crate::report::Severity;
use crate::version::Version;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// The project's own advisories, compiled in.
pub const BUILTIN: &str = include_str!("../../../catalog/advisories/builtin.json");

/// Largest single advisory file or zip member read during import.
const MAX_DOC_BYTES: u64 = 64 << 20;

/// Why advisories could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A document is not valid JSON or not OSV-shaped.
    #[error("{path}: {problem}")]
    Invalid {
        /// The file (and zip member).
        path: String,
        /// What is wrong.
        problem: String,
    },
}

/// One affected package of an advisory.
#[derive(Debug, Clone)]
pub struct Affected {
    /// Our ecosystem name (`pypi`, `npm`, `cargo`, `golang`, `maven`,
    /// `docker`).
    pub ecosystem: String,
    /// The normalised package name (or image repository).
    pub name: String,
    ranges: Vec<Vec<Event>>,
    versions: Vec<String>,
}

#[derive(Debug, Clone)]
enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
}

/// A parsed advisory.
#[derive(Debug, Clone)]
pub struct Advisory {
    /// The OSV id.
    pub id: String,
    /// CVE/GHSA aliases.
    pub aliases: Vec<String>,
    /// One line.
    pub summary: String,
    /// How bad, from `database_specific.severity`, a CVSS vector, or
    /// medium when the advisory does not say.
    pub severity: Severity,
    /// Whether the severity came from the advisory.
    pub severity_known: bool,
    /// What it affects.
    pub affected: Vec<Affected>,
    /// The whole document, as read.
    pub raw: Value,
}

/// Maps an OSV ecosystem name to ours.
pub fn ecosystem_from_osv(e: &str) -> Option<&'static str> {
    let base = e.split(':').next().unwrap_or(e);
    match base {
        "PyPI" => Some("pypi"),
        "npm" => Some("npm"),
        "crates.io" => Some("cargo"),
        "Go" => Some("golang"),
        "Maven" => Some("maven"),
        "Docker" => Some("docker"),
        "conda" | "Conda" => Some("conda"),
        _ => None,
    }
}

fn normalize_name(eco: &str, name: &str) -> String {
    if eco == "docker" {
        crate::catalog::normalize_image(name)
    } else {
        normalize_package(eco, name)
    }
}

fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

impl Advisory {
    /// Parses one OSV document. Accepts both the standard `affected[]
    /// .package = {ecosystem, name}` and the flattened `package: name,
    /// ecosystem: …` that some subsets use.
    pub fn from_value(v: Value) -> Result<Advisory, String> {
        let id = str_field(&v, "id").ok_or("no `id`")?.to_string();
        let aliases = v
            .get("aliases")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let summary = str_field(&v, "summary")
            .filter(|s| !s.is_empty())
            .or_else(|| str_field(&v, "details"))
            .unwrap_or("")
            .chars()
            .take(200)
            .collect::<String>();
        let mut affected = Vec::new();
        for a in v
            .get("affected")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (eco, name) = match a.get("package") {
                Some(Value::Object(p)) => (
                    p.get("ecosystem").and_then(Value::as_str),
                    p.get("name").and_then(Value::as_str),
                ),
                Some(Value::String(n)) => (str_field(a, "ecosystem"), Some(n.as_str())),
                _ => (None, None),
            };
            let (Some(eco), Some(name)) = (eco, name) else {
                continue;
            };
            let Some(eco) = ecosystem_from_osv(eco) else {
                continue;
            };
            let mut ranges = Vec::new();
            for r in a
                .get("ranges")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                // GIT ranges name commits, which a manifest never has.
                if !matches!(str_field(r, "type"), Some("ECOSYSTEM" | "SEMVER")) {
                    continue;
                }
                let mut events = Vec::new();
                for e in r
                    .get("events")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(x) = str_field(e, "introduced") {
                        events.push(Event::Introduced(x.to_string()));
                    } else if let Some(x) = str_field(e, "fixed") {
                        events.push(Event::Fixed(x.to_string()));
                    } else if let Some(x) = str_field(e, "last_affected") {
                        events.push(Event::LastAffected(x.to_string()));
                    }
                }
                ranges.push(events);
            }
            let versions = a
                .get("versions")
                .and_then(Value::as_array)
                .map(|vs| {
                    vs.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            affected.push(Affected {
                ecosystem: eco.to_string(),
                name: normalize_name(eco, name),
                ranges,
                versions,
            });
        }
        let (severity, severity_known) = severity_of(&v);
        Ok(Advisory {
            id,
            aliases,
            summary,
            severity,
            severity_known,
            affected,
            raw: v,
        })
    }

    /// If `version` of `(ecosystem, name)` is affected, the fixed version
    /// of the matching range (or `""` when no fix is known).
    pub fn affects(&self, ecosystem: &str, name: &str, version: &str) -> Option<String> {
        let name = normalize_name(ecosystem, name);
        let v = Version::parse(version)?;
        for a in self
            .affected
            .iter()
            .filter(|a| a.ecosystem == ecosystem && a.name == name)
        {
            if a.versions.iter().any(|x| x == version) {
                return Some(fixed_after(&a.ranges, &v).unwrap_or_default());
            }
            for r in &a.ranges {
                if in_range(r, &v) {
                    return Some(fixed_after(std::slice::from_ref(r), &v).unwrap_or_default());
                }
            }
        }
        None
    }
}

/// Whether `v` falls in an OSV range: the events are sorted by version and
/// replayed, `introduced` opening and `fixed`/`last_affected` closing.
fn in_range(events: &[Event], v: &Version) -> bool {
    let mut evs: Vec<(Version, &Event)> = events
        .iter()
        .filter_map(|e| {
            let s = match e {
                Event::Introduced(s) | Event::Fixed(s) | Event::LastAffected(s) => s,
            };
            let parsed = if s == "0" {
                Version::parse("0")
            } else {
                Version::parse(s)
            };
            parsed.map(|p| (p, e))
        })
        .collect();
    evs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut affected = false;
    for (ev, e) in &evs {
        match e {
            Event::Introduced(_) if v >= ev => affected = true,
            Event::Fixed(_) if v >= ev => affected = false,
            Event::LastAffected(_) if v > ev => affected = false,
            _ => {}
        }
    }
    affected
}

fn fixed_after(ranges: &[Vec<Event>], v: &Version) -> Option<String> {
    ranges
        .iter()
        .flatten()
        .filter_map(|e| match e {
            Event::Fixed(s) => Version::parse(s).filter(|f| f > v).map(|f| (f, s.clone())),
            _ => None,
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|t| t.1)
}

fn severity_of(v: &Value) -> (Severity, bool) {
    let named = v
        .get("database_specific")
        .and_then(|d| d.get("severity"))
        .and_then(Value::as_str)
        .and_then(Severity::parse);
    if let Some(s) = named {
        return (s, true);
    }
    for s in v
        .get("severity")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(score) = str_field(s, "score").and_then(crate::cvss::base_score) {
            return (crate::cvss::severity(score), true);
        }
    }
    (Severity::Medium, false)
}

/// The built-in advisories.
pub fn builtin() -> Result<Vec<Advisory>, AdvisoryError> {
    parse_document("builtin", BUILTIN.as_bytes())
}

/// Parses one JSON document holding one advisory, an array, or an
/// `{"advisories": [...]}` wrapper.
pub fn parse_document(path: &str, bytes: &[u8]) -> Result<Vec<Advisory>, AdvisoryError> {
    let invalid = |problem: String| AdvisoryError::Invalid {
        path: path.to_string(),
        problem,
    };
    let v: Value = serde_json::from_slice(bytes).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let docs = match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("advisories") {
            Some(Value::Array(a)) => a,
            Some(_) => return Err(invalid("`advisories` is not an array".into())),
            None => vec![Value::Object(o)],
        },
        _ => return Err(invalid("expected an OSV object or an array of them".into())),
    };
    docs.into_iter()
        .enumerate()
        .map(|(i, d)| Advisory::from_value(d).map_err(|e| invalid(format!("advisory #{i}: {e}"))))
        .collect()
}

/// Reads advisories from a file (`.json` or `.zip`) or a folder of them.
/// Documents that fail to parse are returned as errors beside the good
/// ones, so one bad file does not stop an import.
pub fn read_path(path: &Path) -> (Vec<Advisory>, Vec<AdvisoryError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let io = |p: &Path, source| AdvisoryError::Io {
        path: p.display().to_string(),
        source,
    };
    if path.is_dir() {
        let mut entries: Vec<_> = walk_json(path, &mut errors);
        entries.sort();
        for p in entries {
            read_file(&p, &mut out, &mut errors);
        }
    } else if path.exists() {
        read_file(path, &mut out, &mut errors);
    } else {
        errors.push(io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
        ));
    }
    (out, errors)
}

fn walk_json(dir: &Path, errors: &mut Vec<AdvisoryError>) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = match std::fs::read_dir(&d) {
            Ok(r) => r,
            Err(e) => {
                errors.push(AdvisoryError::Io {
                    path: d.display().to_string(),
                    source: e,
                });
                continue;
            }
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("json" | "zip")) {
                out.push(p);
            }
        }
    }
    out
}

fn read_file(p: &Path, out: &mut Vec<Advisory>, errors: &mut Vec<AdvisoryError>) {
    let label = p.display().to_string();
    let file = match std::fs::File::open(p) {
        Ok(f) => f,
        Err(source) => {
            errors.push(AdvisoryError::Io {
                path: label,
                source,
            });
            return;
        }
    };
    if p.extension().and_then(|x| x.to_str()) == Some("zip") {
        let mut zip = match zip::ZipArchive::new(file) {
            Ok(z) => z,
            Err(e) => {
                errors.push(AdvisoryError::Invalid {
                    path: label,
                    problem: format!("not a zip archive: {e}"),
                });
                return;
            }
        };
        for i in 0..zip.len() {
            let mut m = match zip.by_index(i) {
                Ok(m) => m,
                Err(e) => {
                    errors.push(AdvisoryError::Invalid {
                        path: format!("{label}#{i}"),
                        problem: e.to_string(),
                    });
                    continue;
                }
            };
            if !m.name().ends_with(".json") {
                continue;
            }
            let name = format!("{label}!/{}", m.name());
            let mut buf = Vec::new();
            match (&mut m).take(MAX_DOC_BYTES + 1).read_to_end(&mut buf) {
                Ok(n) if n as u64 > MAX_DOC_BYTES => errors.push(AdvisoryError::Invalid {
                    path: name,
                    problem: format!("larger than {MAX_DOC_BYTES} bytes"),
                }),
                Ok(_) => match parse_document(&name, &buf) {
                    Ok(a) => out.extend(a),
                    Err(e) => errors.push(e),
                },
                Err(source) => errors.push(AdvisoryError::Io { path: name, source }),
            }
        }
        return;
    }
    let mut buf = Vec::new();
    match file.take(MAX_DOC_BYTES + 1).read_to_end(&mut buf) {
        Ok(n) if n as u64 > MAX_DOC_BYTES => errors.push(AdvisoryError::Invalid {
            path: label,
            problem: format!("larger than {MAX_DOC_BYTES} bytes"),
        }),
        Ok(_) => match parse_document(&label, &buf) {
            Ok(a) => out.extend(a),
            Err(e) => errors.push(e),
        },
        Err(source) => errors.push(AdvisoryError::Io {
            path: label,
            source,
        }),
    }
}

/// The store rows for advisories (id, source, packages, document).
pub fn to_rows(advisories: &[Advisory], source: &str) -> Vec<palisade_store::AdvisoryRow> {
    advisories
        .iter()
        .map(|a| palisade_store::AdvisoryRow {
            id: a.id.clone(),
            source: source.to_string(),
            modified: str_field(&a.raw, "modified").map(str::to_string),
            doc: a.raw.to_string(),
            packages: a
                .affected
                .iter()
                .map(|x| (x.ecosystem.clone(), x.name.clone()))
                .collect(),
        })
        .collect()
}

/// Where a scan looks advisories up: the built-in set plus, optionally,
/// the store's imported ones.
pub struct AdvisoryDb {
    builtin: Vec<Advisory>,
    store: Option<std::sync::Arc<palisade_store::Store>>,
}

/// A vulnerable component.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The advisory id.
    pub id: String,
    /// Its aliases.
    pub aliases: Vec<String>,
    /// One line.
    pub summary: String,
    /// How bad.
    pub severity: Severity,
    /// Whether the advisory gave the severity.
    pub severity_known: bool,
    /// The first fixed version above the scanned one, `""` if none.
    pub fixed: String,
}

impl AdvisoryDb {
    /// The built-in advisories and, when given, a store with imported ones.
    pub fn new(
        store: Option<std::sync::Arc<palisade_store::Store>>,
    ) -> Result<AdvisoryDb, AdvisoryError> {
        Ok(AdvisoryDb {
            builtin: builtin()?,
            store,
        })
    }

    /// Every advisory affecting `version` of the package, deduplicated by
    /// id and alias (an imported GHSA and a built-in entry for the same
    /// CVE count once).
    pub fn lookup(&self, ecosystem: &str, name: &str, version: &str) -> Vec<Hit> {
        let norm = normalize_name(ecosystem, name);
        let mut found: Vec<Hit> = Vec::new();
        let mut push = |a: &Advisory| {
            if let Some(fixed) = a.affects(ecosystem, &norm, version) {
                let dup = found.iter().any(|h| {
                    h.id == a.id
                        || h.aliases
                            .iter()
                            .any(|x| x == &a.id || a.aliases.contains(x))
                        || a.aliases.contains(&h.id)
                });
                if !dup {
                    found.push(Hit {
                        id: a.id.clone(),
                        aliases: a.aliases.clone(),
                        summary: a.summary.clone(),
                        severity: a.severity,
                        severity_known: a.severity_known,
                        fixed,
                    });
                }
            }
        };
        if let Some(store) = &self.store {
            if let Ok(docs) = store.advisories_for(ecosystem, &norm) {
                for d in docs {
                    if let Ok(v) = serde_json::from_str::<Value>(&d) {
                        if let Ok(a) = Advisory::from_value(v) {
                            push(&a);
                        }
                    }
                }
            }
        }
        for a in &self.builtin {
            push(a);
        }
        found.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
        found
    }
}

/// The OSV ecosystem name for ours (for output).
pub fn osv_ecosystem(eco: &str) -> &str {
    match eco {
        "pypi" => "PyPI",
        "cargo" => "crates.io",
        "golang" => "Go",
        "maven" => "Maven",
        "docker" => "Docker",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn adv(events: Value) -> Advisory {
        Advisory::from_value(json!({
            "id": "T-1",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "Sentence_Transformers"},
                          "ranges": [{"type": "ECOSYSTEM", "events": events}]}]
        }))
        .unwrap()
    }

    #[test]
    fn ranges_open_and_close() {
        let a = adv(json!([{"introduced": "0"}, {"fixed": "2.3.0"}]));
        assert_eq!(
            a.affects("pypi", "sentence-transformers", "2.2.9")
                .as_deref(),
            Some("2.3.0")
        );
        assert!(a
            .affects("pypi", "sentence-transformers", "2.3.0")
            .is_none());
        let b = adv(json!([{"introduced": "1.0"}, {"last_affected": "1.5"}]));
        assert!(b.affects("pypi", "sentence-transformers", "0.9").is_none());
        assert!(b.affects("pypi", "sentence-transformers", "1.5").is_some());
        assert!(b
            .affects("pypi", "sentence-transformers", "1.5.1")
            .is_none());
        let c = adv(json!([{"introduced": "0"}]));
        assert_eq!(
            c.affects("pypi", "sentence-transformers", "9.9").as_deref(),
            Some("")
        );
    }

    #[test]
    fn flattened_package_form_is_read() {
        let a = Advisory::from_value(json!({"id": "P", "affected": [{"package": "gradio", "ecosystem": "PyPI",
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "4.0"}]}]}]}))
        .unwrap();
        assert!(a.affects("pypi", "gradio", "3.50.2").is_some());
    }

    #[test]
    fn builtin_advisories_parse() {
        let b = builtin().expect("builtin advisories");
        assert!(b.len() >= 20, "{}", b.len());
        assert!(
            b.iter().all(|a| !a.affected.is_empty()),
            "every advisory names a package"
        );
    }

    #[test]
    fn bad_documents_are_errors_not_panics() {
        assert!(parse_document("x", b"{").is_err());
        assert!(parse_document("x", b"[1]").is_err());
        assert!(parse_document("x", b"{\"advisories\": 3}").is_err());
    }
}
