//! Rule documents: metadata, logsource, and the three rule kinds
//! (detection, correlation, filter), including multi-document collections
//! with `action: global | reset | repeat`.

use crate::correlation::Correlation;
use crate::detection::Detection;
use crate::error::{LoadError, LoadErrorKind};
use crate::value::CompileOptions;
use serde::Deserialize as _;
use serde_yaml::{Mapping, Value as Yaml};
use std::fmt;
use std::sync::Arc;

/// Rule severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Level {
    /// `informational` (also used when the rule has no level).
    #[default]
    Informational,
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `critical`.
    Critical,
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    /// The lowercase Sigma name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `logsource` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    /// e.g. `windows`.
    pub product: Option<String>,
    /// e.g. `process_creation`.
    pub category: Option<String>,
    /// e.g. `security`.
    pub service: Option<String>,
    /// Free-text definition.
    pub definition: Option<String>,
}

/// What kind of Sigma document a rule is.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// A detection rule evaluated per event.
    Detection,
    /// A correlation over the matches of other rules.
    Correlation(Correlation),
    /// A meta filter applied to other rules (`filter:` section).
    Filter(FilterSpec),
}

/// The target list of a filter rule.
#[derive(Debug, Clone, Default)]
pub struct FilterSpec {
    /// Ids or names of rules the filter applies to (empty = all rules with
    /// a matching logsource).
    pub rules: Vec<String>,
}

/// One loaded Sigma rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Rule id (falls back to `name`, then title, when absent).
    pub id: String,
    /// Optional `name` used by correlations to reference the rule.
    pub name: Option<String>,
    /// Title.
    pub title: String,
    /// `status` (stable, test, experimental, ...).
    pub status: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Severity.
    pub level: Level,
    /// Tags (`attack.t1059.001`, ...).
    pub tags: Vec<String>,
    /// Log source.
    pub logsource: LogSource,
    /// Source file (or the name passed to `from_yaml_str`).
    pub path: String,
    /// `fields` of interest.
    pub fields: Vec<String>,
    /// Known false positives.
    pub falsepositives: Vec<String>,
    /// Detection, correlation or filter.
    pub kind: RuleKind,
    pub(crate) detection: Option<Arc<Detection>>,
    pub(crate) filters: Vec<Arc<Detection>>,
}

impl Rule {
    /// MITRE ATT&CK technique ids from the tags, upper-cased (`T1059.001`).
    pub fn attack_techniques(&self) -> Vec<String> {
        self.tags
            .iter()
            .filter_map(|t| {
                let t = t.to_ascii_lowercase();
                let rest = t.strip_prefix("attack.t")?;
                rest.chars()
                    .next()
                    .filter(char::is_ascii_digit)
                    .map(|_| format!("T{}", rest.to_ascii_uppercase()))
            })
            .collect()
    }

    /// Field names the detection reads.
    pub fn detection_fields(&self) -> &[String] {
        self.detection
            .as_deref()
            .map(|d| d.fields_used.as_slice())
            .unwrap_or(&[])
    }
}

fn get<'a>(m: &'a Mapping, k: &str) -> Option<&'a Yaml> {
    m.get(Yaml::String(k.to_string()))
}

fn opt_str(m: &Mapping, k: &str) -> Result<Option<String>, LoadErrorKind> {
    match get(m, k) {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::String(s)) => Ok(Some(s.clone())),
        Some(Yaml::Number(n)) => Ok(Some(n.to_string())),
        Some(Yaml::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(LoadErrorKind::Attribute(format!("`{k}` must be a string"))),
    }
}

fn str_list(m: &Mapping, k: &str) -> Result<Vec<String>, LoadErrorKind> {
    match get(m, k) {
        None | Some(Yaml::Null) => Ok(Vec::new()),
        Some(Yaml::String(s)) => Ok(vec![s.clone()]),
        Some(Yaml::Sequence(items)) => items
            .iter()
            .map(|i| match i {
                Yaml::String(s) => Ok(s.clone()),
                Yaml::Number(n) => Ok(n.to_string()),
                Yaml::Bool(b) => Ok(b.to_string()),
                // falsepositives/fields sometimes contain nulls; ignore them.
                Yaml::Null => Ok(String::new()),
                _ => Err(LoadErrorKind::Attribute(format!(
                    "`{k}` must be a list of strings"
                ))),
            })
            .filter(|r| !matches!(r, Ok(s) if s.is_empty()))
            .collect(),
        Some(_) => Err(LoadErrorKind::Attribute(format!("`{k}` must be a list"))),
    }
}

fn logsource(m: &Mapping) -> Result<LogSource, LoadErrorKind> {
    match get(m, "logsource") {
        None | Some(Yaml::Null) => Ok(LogSource::default()),
        Some(Yaml::Mapping(ls)) => Ok(LogSource {
            product: opt_str(ls, "product")?,
            category: opt_str(ls, "category")?,
            service: opt_str(ls, "service")?,
            definition: opt_str(ls, "definition")?,
        }),
        Some(_) => Err(LoadErrorKind::Attribute(
            "`logsource` must be a mapping".into(),
        )),
    }
}

/// Deep merge used by `action: global` and `action: repeat`: mappings merge
/// recursively, anything else is replaced by the later document.
fn merge(base: &Yaml, over: &Yaml) -> Yaml {
    match (base, over) {
        (Yaml::Mapping(b), Yaml::Mapping(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                let merged = match out.get(k) {
                    Some(bv) => merge(bv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Yaml::Mapping(out)
        }
        (_, o) => o.clone(),
    }
}

/// Parses every document of a YAML text into rules. The first failing
/// document fails the whole text, with an error naming it.
pub(crate) fn parse_text(
    path: &str,
    text: &str,
    opts: &CompileOptions,
) -> Result<Vec<Rule>, LoadError> {
    let mut docs = Vec::new();
    for de in serde_yaml::Deserializer::from_str(text) {
        let v = Yaml::deserialize(de)
            .map_err(|e| LoadError::new(path, None, LoadErrorKind::Yaml(e.to_string())))?;
        docs.push(v);
    }
    let mut global: Option<Yaml> = None;
    let mut previous: Option<Yaml> = None;
    let mut rules = Vec::new();
    for doc in docs {
        let Yaml::Mapping(m) = &doc else {
            if matches!(doc, Yaml::Null) {
                continue;
            }
            return Err(LoadError::new(
                path,
                None,
                LoadErrorKind::Attribute("document is not a mapping".into()),
            ));
        };
        let action = opt_str(m, "action").map_err(|k| LoadError::new(path, None, k))?;
        let mut stripped = m.clone();
        stripped.remove(Yaml::String("action".into()));
        let stripped = Yaml::Mapping(stripped);
        let full = match action.as_deref() {
            Some("global") => {
                global = Some(stripped);
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            Some("repeat") => match &previous {
                Some(p) => merge(p, &stripped),
                None => {
                    return Err(LoadError::new(
                        path,
                        None,
                        LoadErrorKind::Attribute("`action: repeat` without a previous rule".into()),
                    ))
                }
            },
            Some(other) => {
                return Err(LoadError::new(
                    path,
                    None,
                    LoadErrorKind::Unsupported(format!("action `{other}`")),
                ))
            }
            None => match &global {
                Some(g) => merge(g, &stripped),
                None => stripped,
            },
        };
        rules.push(parse_rule(path, &full, opts)?);
        previous = Some(full);
    }
    Ok(rules)
}

fn parse_rule(path: &str, doc: &Yaml, opts: &CompileOptions) -> Result<Rule, LoadError> {
    let Yaml::Mapping(m) = doc else {
        return Err(LoadError::new(
            path,
            None,
            LoadErrorKind::Attribute("document is not a mapping".into()),
        ));
    };
    let title = opt_str(m, "title").ok().flatten();
    let label = opt_str(m, "id").ok().flatten().or_else(|| title.clone());
    let err = |k: LoadErrorKind| LoadError::new(path, label.clone(), k);
    let title = title.ok_or_else(|| err(LoadErrorKind::Attribute("missing `title`".into())))?;
    let name = opt_str(m, "name").map_err(err)?;
    let id = opt_str(m, "id")
        .map_err(err)?
        .or_else(|| name.clone())
        .unwrap_or_else(|| title.clone());
    let level = match opt_str(m, "level").map_err(err)? {
        None => Level::default(),
        Some(l) => Level::parse(&l)
            .ok_or_else(|| err(LoadErrorKind::Attribute(format!("unknown level `{l}`"))))?,
    };
    let mut rule = Rule {
        id,
        name,
        title,
        status: opt_str(m, "status").map_err(err)?,
        description: opt_str(m, "description").map_err(err)?,
        level,
        tags: str_list(m, "tags").map_err(err)?,
        logsource: logsource(m).map_err(err)?,
        path: path.to_string(),
        fields: str_list(m, "fields").map_err(err)?,
        falsepositives: str_list(m, "falsepositives").map_err(err)?,
        kind: RuleKind::Detection,
        detection: None,
        filters: Vec::new(),
    };
    if let Some(c) = get(m, "correlation") {
        rule.kind = RuleKind::Correlation(Correlation::parse(c).map_err(err)?);
    } else if let Some(f) = get(m, "filter") {
        let Yaml::Mapping(fm) = f else {
            return Err(err(LoadErrorKind::Attribute(
                "`filter` must be a mapping".into(),
            )));
        };
        let rules = str_list(fm, "rules").map_err(err)?;
        // The filter section is a detection whose selections sit next to
        // `rules`; compile it without that key.
        let mut det = fm.clone();
        det.remove(Yaml::String("rules".into()));
        let d = Detection::compile(&Yaml::Mapping(det), opts).map_err(err)?;
        rule.detection = Some(Arc::new(d));
        rule.kind = RuleKind::Filter(FilterSpec { rules });
    } else {
        let det = get(m, "detection")
            .ok_or_else(|| err(LoadErrorKind::Attribute("missing `detection`".into())))?;
        rule.detection = Some(Arc::new(Detection::compile(det, opts).map_err(err)?));
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_and_repeat_collections() {
        let text = "action: global\ntitle: T\nlogsource: {product: windows}\ndetection:\n  condition: sel\n---\nid: a\ndetection:\n  sel: {A: 1}\n---\naction: repeat\nid: b\n---\naction: reset\n---\ntitle: U\ndetection:\n  s: {B: 2}\n  condition: s\n";
        let rules = parse_text("x.yml", text, &CompileOptions::default()).unwrap_or_default();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules.first().map(|r| r.id.as_str()), Some("a"));
        assert_eq!(rules.get(1).map(|r| r.id.as_str()), Some("b"));
        assert_eq!(
            rules
                .get(1)
                .and_then(|r| r.logsource.product.clone())
                .as_deref(),
            Some("windows")
        );
        assert_eq!(rules.get(2).and_then(|r| r.logsource.product.clone()), None);
    }

    #[test]
    fn errors_name_file_and_rule() {
        let e = parse_text(
            "f.yml",
            "title: X\nid: 1\ndetection: {s: {A|bogus: 1}, condition: s}",
            &CompileOptions::default(),
        )
        .err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("f.yml") && e.contains("bogus"), "{e}");
        assert!(parse_text("f.yml", "title: [", &CompileOptions::default()).is_err());
    }

    #[test]
    fn attack_techniques_from_tags() {
        let rules = parse_text("f", "title: X\ntags: [attack.execution, attack.t1059.001, attack.T1003]\ndetection: {s: {A: 1}, condition: s}", &CompileOptions::default()).unwrap_or_default();
        let t = rules
            .first()
            .map(Rule::attack_techniques)
            .unwrap_or_default();
        assert_eq!(t, vec!["T1059.001".to_string(), "T1003".to_string()]);
    }
}
