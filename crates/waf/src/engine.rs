//! The inspection engine: runs detectors over parsed targets and scores the result.

use std::collections::HashMap;
use std::sync::Arc;

use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::detect::{cmd, sqli, ssrf, xss};
use crate::error::Error;
use crate::normalize::{base64_candidate, canonical_path, js_unescape, normalize, NormFlags};
use crate::parse::{parse_request, Anomaly, BodyKind};
use crate::protocol;
use crate::request::{Request, TargetKind};
use crate::rules::{RuleSet, Severity};

/// One rule that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// Rule id.
    pub rule: String,
    /// Attack category.
    pub category: String,
    /// Severity (weight).
    pub severity: Severity,
    /// Paranoia level of the rule.
    pub paranoia: u8,
    /// Target name, e.g. `ARGS:id`.
    pub target: String,
    /// Short, escaped evidence.
    pub evidence: String,
}

/// Result of [`Waf::inspect`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Inbound score reached the threshold.
    pub blocked: bool,
    /// Inbound anomaly score.
    pub score: u32,
    /// Matches counted in the score (at or below the configured paranoia level).
    pub matches: Vec<Match>,
    /// JSON targets treated as natural language and left to the guard.
    pub handed_to_guard: Vec<String>,
    /// Protocol / parser irregularities seen (scored ones also appear in `matches`).
    pub anomalies: Vec<Anomaly>,
}

struct CompiledExclusion {
    path: Option<GlobMatcher>,
    targets: Vec<GlobMatcher>,
    rule_ids: Vec<String>,
    categories: Vec<String>,
}

/// The WAF. Build once with [`Waf::new`], share across threads (`Send + Sync`).
pub struct Waf {
    cfg: Config,
    rules: RuleSet,
    exclusions: Vec<CompiledExclusion>,
    llm_inspect_routes: Vec<GlobMatcher>,
    llm_paths: Vec<Vec<PathSeg>>,
    /// Natural-language values meet no rule and no detector (every
    /// category is left to the guard), so only their encoding is read.
    natural_idle: bool,
    value_cache: quick_cache::sync::Cache<(TargetKind, bool, String), Arc<ValueFindings>>,
}

/// Values longer than this are inspected every time (bodies, prompts:
/// rarely repeated, and they would crowd the cache).
const CACHED_VALUE_MAX: usize = 512;

/// Values remembered by [`Waf::inspect_value`].
const VALUE_CACHE_ENTRIES: usize = 8192;

/// A borrowed cache key: hashes like the owned `(kind, nl, String)`
/// tuple (fields in the same order, `str` hashing as `String` does).
#[derive(Hash)]
struct ValueKey<'a>(TargetKind, bool, &'a str);

impl quick_cache::Equivalent<(TargetKind, bool, String)> for ValueKey<'_> {
    fn equivalent(&self, key: &(TargetKind, bool, String)) -> bool {
        self.0 == key.0 && self.1 == key.1 && self.2 == key.2
    }
}

/// Findings of one value; matches carry an empty target name.
#[derive(Debug, Default)]
struct ValueFindings {
    flags: NormFlags,
    matches: Vec<Match>,
}

impl ValueFindings {
    /// Keeps the first match of each rule.
    fn add(&mut self, m: Match) {
        if !self.matches.iter().any(|x| x.rule == m.rule) {
            self.matches.push(m);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PathSeg {
    Key(String),
    AnyIndex,
    Index(String),
}

fn parse_json_path(p: &str) -> Vec<PathSeg> {
    let mut out = Vec::new();
    for part in p.split('.') {
        let (key, rest) = match part.find('[') {
            Some(i) => (part.get(..i).unwrap_or(""), part.get(i..).unwrap_or("")),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(PathSeg::Key(key.to_string()));
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            let idx = idx.trim_end_matches(']');
            if idx == "*" {
                out.push(PathSeg::AnyIndex);
            } else {
                out.push(PathSeg::Index(idx.to_string()));
            }
        }
    }
    out
}

/// Does `pattern` cover `path` (equal, or `path` lies beneath it)?
fn path_covered(pattern: &[PathSeg], path: &[PathSeg]) -> bool {
    if pattern.len() > path.len() {
        return false;
    }
    pattern.iter().zip(path.iter()).all(|(p, q)| match (p, q) {
        (PathSeg::AnyIndex, PathSeg::Index(_)) => true,
        (a, b) => a == b,
    })
}

fn glob(pattern: &str) -> Result<GlobMatcher, Error> {
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| Error::Config(format!("bad glob {pattern:?}: {e}")))
}

/// Severity, paranoia and rule id for a code detector's score.
fn graded(
    score: u8,
    category: &'static str,
    ids: [&'static str; 3],
) -> Option<(&'static str, &'static str, Severity, u8)> {
    let [hi, mid, lo] = ids;
    match score {
        6..=u8::MAX => Some((hi, category, Severity::Critical, 1)),
        4..=5 => Some((mid, category, Severity::Critical, 2)),
        3 => Some((lo, category, Severity::Warning, 3)),
        _ => None,
    }
}

/// The match for a code detector's score on a target, if it grades.
fn graded_match(
    score: u8,
    category: &'static str,
    ids: [&'static str; 3],
    target: &str,
    evidence: &str,
) -> Option<Match> {
    graded(score, category, ids).map(|(id, cat, sev, pl)| Match {
        rule: id.into(),
        category: cat.into(),
        severity: sev,
        paranoia: pl,
        target: target.to_string(),
        evidence: crate::evidence(evidence),
    })
}

/// Categories of the built-in detectors (not rules).
const DETECTOR_CATEGORIES: [&str; 4] = ["sqli", "xss", "rce", "ssrf"];

/// Refuses a category in `llm.skip_categories` that no rule or detector
/// has: a misspelt one (`php` for `php-injection`) silently skipped
/// nothing.
fn check_skip_categories(skip: &[String], rules: &RuleSet) -> Result<(), Error> {
    for c in skip {
        let known = DETECTOR_CATEGORIES.contains(&c.as_str())
            || rules.rules().iter().any(|r| r.spec.category == *c);
        if !known {
            let mut all: Vec<&str> = DETECTOR_CATEGORIES.to_vec();
            all.extend(rules.rules().iter().map(|r| r.spec.category.as_str()));
            all.sort_unstable();
            all.dedup();
            return Err(Error::Config(format!(
                "llm.skip_categories: no rule or detector has the category {c:?} (known: {})",
                all.join(", ")
            )));
        }
    }
    Ok(())
}

impl Waf {
    /// Build an engine: loads and validates built-in and extra rules, compiles globs.
    pub fn new(cfg: Config) -> Result<Waf, Error> {
        if !(1..=4).contains(&cfg.paranoia_level) {
            return Err(Error::Config(format!(
                "paranoia_level {} not in 1..=4",
                cfg.paranoia_level
            )));
        }
        if cfg.inbound_threshold == 0 {
            return Err(Error::Config("inbound_threshold must be > 0".into()));
        }
        crate::detect::cmd::commands().map_err(Error::Config)?;
        let mut extra = Vec::new();
        for f in &cfg.extra_rule_files {
            let text = std::fs::read_to_string(f).map_err(|source| Error::Io {
                path: f.clone(),
                source,
            })?;
            extra.push((f.clone(), text));
        }
        let scope = crate::rules::Scope {
            max_paranoia: cfg.paranoia_level,
            natural_skip: if cfg.llm.enabled {
                cfg.llm.skip_categories.clone()
            } else {
                Vec::new()
            },
        };
        let rules = RuleSet::load_scoped(&extra, &scope)?;
        if cfg.llm.enabled {
            check_skip_categories(&cfg.llm.skip_categories, &rules)?;
        }
        let mut exclusions = Vec::new();
        for e in &cfg.exclusions {
            exclusions.push(CompiledExclusion {
                path: if e.path.is_empty() {
                    None
                } else {
                    Some(glob(&e.path)?)
                },
                targets: e
                    .targets
                    .iter()
                    .map(|t| glob(t))
                    .collect::<Result<_, _>>()?,
                rule_ids: e.rule_ids.clone(),
                categories: e.categories.clone(),
            });
        }
        let llm_inspect_routes = cfg
            .llm
            .inspect_routes
            .iter()
            .map(|g| glob(g))
            .collect::<Result<_, _>>()?;
        let llm_paths = cfg
            .llm
            .natural_language_paths
            .iter()
            .map(|p| parse_json_path(p))
            .collect();
        let natural_idle = cfg.llm.enabled
            && rules.natural_is_empty()
            && DETECTOR_CATEGORIES
                .iter()
                .all(|d| cfg.llm.skip_categories.iter().any(|c| c == d));
        Ok(Waf {
            cfg,
            rules,
            exclusions,
            llm_inspect_routes,
            llm_paths,
            natural_idle,
            value_cache: quick_cache::sync::Cache::new(VALUE_CACHE_ENTRIES),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The loaded rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    fn excluded(&self, path: &str, target: &str, rule: &str, category: &str) -> bool {
        self.exclusions.iter().any(|e| {
            e.path.as_ref().is_none_or_match(path)
                && (e.targets.is_empty() || e.targets.iter().any(|g| g.is_match(target)))
                && (e.rule_ids.is_empty() || e.rule_ids.iter().any(|r| r == rule))
                && (e.categories.is_empty() || e.categories.iter().any(|c| c == category))
                && !(e.rule_ids.is_empty()
                    && e.categories.is_empty()
                    && e.targets.is_empty()
                    && e.path.is_none())
        })
    }

    fn is_natural_language(&self, target_name: &str, path: &str) -> bool {
        if !self.cfg.llm.enabled {
            return false;
        }
        let Some(jp) = target_name.strip_prefix("JSON:") else {
            return false;
        };
        if self.llm_inspect_routes.iter().any(|g| g.is_match(path)) {
            return false;
        }
        let segs = parse_json_path(jp);
        self.llm_paths.iter().any(|p| path_covered(p, &segs))
    }

    /// What one value yields, whatever its target's name: the same value
    /// of the same kind always gives the same findings, so short values
    /// (headers, ids, model names: most of what a request carries, and
    /// mostly repeated from request to request) are answered from a cache.
    fn inspect_value(&self, kind: TargetKind, nl: bool, value: &str) -> Arc<ValueFindings> {
        if value.len() > CACHED_VALUE_MAX {
            return Arc::new(self.inspect_value_uncached(kind, nl, value));
        }
        // Looked up by reference: a hit allocates nothing.
        if let Some(v) = self.value_cache.get(&ValueKey(kind, nl, value)) {
            return v;
        }
        let v = Arc::new(self.inspect_value_uncached(kind, nl, value));
        self.value_cache
            .insert((kind, nl, value.to_string()), v.clone());
        v
    }

    fn inspect_value_uncached(&self, kind: TargetKind, nl: bool, value: &str) -> ValueFindings {
        let limits = &self.cfg.limits;
        let mut out = ValueFindings::default();
        let mut scratch = Vec::new();
        let skip = |cat: &str| nl && self.cfg.llm.skip_categories.iter().any(|c| c == cat);
        // Build the variants to analyse.
        let mut variants: Vec<String> = Vec::with_capacity(3);
        let n = normalize(value, limits.decode_rounds);
        if kind != TargetKind::FileContent {
            out.flags.overlong_utf8 = n.flags.overlong_utf8;
            out.flags.null_byte = n.flags.null_byte;
            out.flags.multi_encoded = n.flags.multi_encoded;
        }
        if nl && self.natural_idle {
            // Nothing runs on this value: only its encoding is read.
            return out;
        }
        if kind == TargetKind::PathSegment {
            // Segments are inspected only for encoded payloads; the whole path covers the rest.
            if let Some(b) = base64_candidate(&n.text) {
                variants.push(normalize(&b, limits.decode_rounds).text);
            }
        } else {
            let js = js_unescape(&n.text).into_owned();
            if kind == TargetKind::Path {
                variants.push(canonical_path(&n.text));
            } else {
                if !matches!(
                    kind,
                    TargetKind::FileContent | TargetKind::UserAgent | TargetKind::Referer
                ) {
                    if let Some(b) = base64_candidate(&n.text) {
                        variants.push(normalize(&b, limits.decode_rounds).text);
                    }
                }
                variants.push(n.text);
            }
            if js != variants.last().map(String::as_str).unwrap_or("") && kind != TargetKind::Path {
                variants.push(js);
            }
        }
        for v in &variants {
            if v.is_empty() {
                continue;
            }
            let code_detectors = !matches!(
                kind,
                TargetKind::FileContent
                    | TargetKind::Method
                    | TargetKind::HeaderName
                    | TargetKind::FileName
            );
            if code_detectors {
                // Each code detector grades its own hit; the evidence string
                // is built only when one fires.
                let hits = [
                    (!skip("sqli")).then(|| sqli::detect(v)).flatten().map(|h| {
                        let ids = ["WAF-SQLI-100", "WAF-SQLI-101", "WAF-SQLI-102"];
                        (h.score, "sqli", ids, format!("{}: {}", h.reason, v))
                    }),
                    (!skip("xss")).then(|| xss::detect(v)).flatten().map(|h| {
                        let ev = v.get(h.at.min(v.len())..).unwrap_or(v.as_str());
                        let ids = ["WAF-XSS-100", "WAF-XSS-101", "WAF-XSS-102"];
                        (h.score, "xss", ids, format!("{}: {}", h.reason, ev))
                    }),
                    (!skip("rce") && kind != TargetKind::Referer)
                        .then(|| cmd::detect(v))
                        .flatten()
                        .map(|h| {
                            let ids = ["WAF-RCE-100", "WAF-RCE-101", "WAF-RCE-102"];
                            let ev = format!("{} ({}): {}", h.reason, h.command, v);
                            (h.score, "rce", ids, ev)
                        }),
                    (!skip("ssrf") && !matches!(kind, TargetKind::Referer | TargetKind::Path))
                        .then(|| ssrf::detect(v))
                        .flatten()
                        .map(|h| {
                            let ids = ["WAF-SSRF-100", "WAF-SSRF-101", "WAF-SSRF-102"];
                            (h.score, "ssrf", ids, format!("{}: {}", h.reason, h.host))
                        }),
                ];
                for (score, category, ids, evidence) in hits.into_iter().flatten() {
                    if let Some(m) = graded_match(score, category, ids, "", &evidence) {
                        out.add(m);
                    }
                }
            }
            scratch.clear();
            if nl && kind == TargetKind::ArgValue {
                self.rules.scan_natural(v, &mut scratch);
            } else {
                self.rules.scan(kind, v, &mut scratch);
            }
            for &ri in &scratch {
                let Some(rule) = self.rules.get(ri) else {
                    continue;
                };
                if skip(&rule.spec.category) {
                    continue;
                }
                let ev = rule.find(v).and_then(|(s, e)| v.get(s..e)).unwrap_or("");
                out.add(Match {
                    rule: rule.spec.id.clone(),
                    category: rule.spec.category.clone(),
                    severity: rule.spec.severity,
                    paranoia: rule.spec.paranoia,
                    target: String::new(),
                    evidence: crate::evidence(ev),
                });
            }
        }
        out
    }

    /// Inspect a request. Never fails and never panics on hostile input.
    pub fn inspect(&self, req: &Request) -> Verdict {
        let limits = &self.cfg.limits;
        let parsed = parse_request(req, limits);
        let mut anomalies = parsed.anomalies;
        let canon = canonical_path(&parsed.decoded_path);

        let method = req.method.as_str();
        if method.is_empty()
            || !method
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
            || method.len() > 20
        {
            anomalies.push(Anomaly::new("invalid_method", method));
        } else if !self.cfg.allowed_methods.iter().any(|m| m == method) {
            anomalies.push(Anomaly::new("bad_method", method));
        }
        if !req.http_version.is_empty()
            && !matches!(
                req.http_version.as_str(),
                "HTTP/1.0" | "HTTP/1.1" | "HTTP/2" | "HTTP/2.0" | "HTTP/3" | "HTTP/3.0"
            )
        {
            anomalies.push(Anomaly::new("bad_http_version", &req.http_version));
        }

        let mut found: HashMap<String, Match> = HashMap::new();
        let mut handed = Vec::new();
        let add = |found: &mut HashMap<String, Match>, m: Match| {
            found.entry(m.rule.clone()).or_insert(m);
        };
        let mut norm_flags = NormFlags::default();

        for t in &parsed.targets {
            let nl =
                parsed.body_kind == BodyKind::Json && self.is_natural_language(&t.name, &canon);
            if nl {
                handed.push(t.name.clone());
            }
            let vf = self.inspect_value(t.kind, nl, &t.value);
            norm_flags.overlong_utf8 |= vf.flags.overlong_utf8;
            norm_flags.null_byte |= vf.flags.null_byte;
            norm_flags.multi_encoded |= vf.flags.multi_encoded;
            for m in &vf.matches {
                add(
                    &mut found,
                    Match {
                        target: t.name.clone(),
                        ..m.clone()
                    },
                );
            }
        }
        if norm_flags.overlong_utf8 {
            anomalies.push(Anomaly::new("overlong_utf8", "overlong UTF-8 sequence"));
        }
        if norm_flags.null_byte && !anomalies.iter().any(|a| a.code == "null_byte") {
            anomalies.push(Anomaly::new("null_byte", "NUL byte in value"));
        }
        if norm_flags.multi_encoded {
            anomalies.push(Anomaly::new(
                "multi_encoded",
                "value percent-encoded more than once",
            ));
        }
        for a in &anomalies {
            if let Some(p) = protocol::lookup(&a.code) {
                add(
                    &mut found,
                    Match {
                        rule: p.id.into(),
                        category: p.category.into(),
                        severity: p.severity,
                        paranoia: p.paranoia,
                        target: "REQUEST".into(),
                        evidence: a.detail.clone(),
                    },
                );
            }
        }

        let mut matches: Vec<Match> = found
            .into_values()
            .filter(|m| m.paranoia <= self.cfg.paranoia_level)
            .filter(|m| !self.excluded(&canon, &m.target, &m.rule, &m.category))
            .collect();
        matches.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule.cmp(&b.rule))
        });
        let score: u32 = matches.iter().map(|m| m.severity.score()).sum();
        handed.dedup();
        Verdict {
            blocked: score >= self.cfg.inbound_threshold,
            score,
            matches,
            handed_to_guard: handed,
            anomalies,
        }
    }
}

trait OptGlob {
    fn is_none_or_match(&self, s: &str) -> bool;
}

impl OptGlob for Option<&GlobMatcher> {
    fn is_none_or_match(&self, s: &str) -> bool {
        match self {
            None => true,
            Some(g) => g.is_match(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_path_cover() {
        let p = parse_json_path("messages[*].content");
        assert!(path_covered(&p, &parse_json_path("messages[3].content")));
        assert!(path_covered(
            &p,
            &parse_json_path("messages[3].content[0].text")
        ));
        assert!(!path_covered(&p, &parse_json_path("messages[3].role")));
    }

    #[test]
    fn short_values_are_found_again_by_borrowed_key_with_the_same_findings() {
        let waf = Waf::new(Config::default()).expect("waf");
        let req = Request::new("GET", "/search?q=1%27%20OR%201%3D1--").header("User-Agent", "t/1");
        let first = waf.inspect(&req);
        assert!(first.blocked);
        let cached = waf
            .value_cache
            .get(&ValueKey(TargetKind::ArgValue, false, "1' OR 1=1--"))
            .expect("the argument's findings are cached under a borrowed key");
        assert!(cached.matches.iter().any(|m| m.category == "sqli"));
        assert_eq!(waf.inspect(&req), first);
    }
}
