//! Data-driven signature rules (`rules/*.yaml`).
//!
//! Each rule has an id, category, severity, paranoia level, description, the target
//! groups it applies to, a regex `pattern` and/or case-insensitive `keywords`, and
//! positive/negative examples. Rules are validated when loaded (regex compiles,
//! level in 1..=4, ids unique, examples behave) and errors name file and rule.
//! Matching is done per target kind with pattern sets and one Aho-Corasick
//! automaton, so cost grows with input length, not rule count.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use palisade_rules::PatternSet;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::normalize::normalize;
use crate::request::TargetKind;

/// Built-in rule files, embedded so a deployed binary cannot lose them.
pub const BUILTIN: &[(&str, &str)] = &[
    ("rules/sqli.yaml", include_str!("../rules/sqli.yaml")),
    ("rules/xss.yaml", include_str!("../rules/xss.yaml")),
    ("rules/rce.yaml", include_str!("../rules/rce.yaml")),
    ("rules/lfi.yaml", include_str!("../rules/lfi.yaml")),
    ("rules/rfi.yaml", include_str!("../rules/rfi.yaml")),
    (
        "rules/injection.yaml",
        include_str!("../rules/injection.yaml"),
    ),
    ("rules/java.yaml", include_str!("../rules/java.yaml")),
    ("rules/php.yaml", include_str!("../rules/php.yaml")),
    (
        "rules/protocol.yaml",
        include_str!("../rules/protocol.yaml"),
    ),
    (
        "rules/scanners.yaml",
        include_str!("../rules/scanners.yaml"),
    ),
];

/// Anomaly weight of a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// 2 points.
    Notice,
    /// 3 points.
    Warning,
    /// 4 points.
    Error,
    /// 5 points.
    Critical,
}

impl Severity {
    /// CRS-style anomaly points.
    pub fn score(self) -> u32 {
        match self {
            Severity::Critical => 5,
            Severity::Error => 4,
            Severity::Warning => 3,
            Severity::Notice => 2,
        }
    }
}

/// Examples carried by a rule and checked at load time.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Examples {
    /// Must match (after normalisation).
    #[serde(rename = "match")]
    pub positive: Vec<String>,
    /// Must not match.
    pub no_match: Vec<String>,
}

/// A rule as written in YAML.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique id, e.g. `WAF-LFI-010`.
    pub id: String,
    /// Attack class, e.g. `lfi`.
    pub category: String,
    /// Weight.
    pub severity: Severity,
    /// 1..=4.
    pub paranoia: u8,
    /// What it detects and why.
    pub description: String,
    /// Target groups: args, arg_names, path, headers, user_agent, referer, cookies,
    /// filenames, file_content, body, all.
    #[serde(default = "default_targets")]
    pub targets: Vec<String>,
    /// Regex (Rust syntax; add `(?i)` for case-insensitivity).
    #[serde(default)]
    pub pattern: Option<String>,
    /// Literal substrings, matched ASCII-case-insensitively.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Examples.
    #[serde(default)]
    pub examples: Examples,
}

fn default_targets() -> Vec<String> {
    vec!["args".to_string()]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RuleSpec>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The spec it came from.
    pub spec: RuleSpec,
    /// File it was loaded from.
    pub file: String,
    regex: Option<Regex>,
    keywords: Option<AhoCorasick>,
    kinds: Vec<TargetKind>,
}

impl Rule {
    /// Match against already-normalised text; returns the evidence span start/end.
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        if let Some(r) = &self.regex {
            if let Some(m) = r.find(text) {
                return Some((m.start(), m.end()));
            }
        }
        if let Some(ac) = &self.keywords {
            if let Some(m) = ac.find(text) {
                return Some((m.start(), m.end()));
            }
        }
        None
    }

    /// Does this rule apply to targets of `kind`?
    pub fn applies_to(&self, kind: TargetKind) -> bool {
        self.kinds.contains(&kind)
    }
}

const ALL_KINDS: &[TargetKind] = &[
    TargetKind::Method,
    TargetKind::Path,
    TargetKind::PathSegment,
    TargetKind::ArgName,
    TargetKind::ArgValue,
    TargetKind::CookieName,
    TargetKind::CookieValue,
    TargetKind::UserAgent,
    TargetKind::Referer,
    TargetKind::Header,
    TargetKind::HeaderName,
    TargetKind::FileName,
    TargetKind::FileContent,
    TargetKind::XmlValue,
    TargetKind::RawBody,
];

fn kinds_for(group: &str) -> Option<Vec<TargetKind>> {
    use TargetKind::*;
    Some(match group {
        "args" => vec![ArgValue, XmlValue, RawBody, CookieValue, PathSegment],
        "arg_names" => vec![ArgName, CookieName, HeaderName],
        "path" => vec![Path],
        "headers" => vec![Header, UserAgent, Referer],
        "user_agent" => vec![UserAgent],
        "referer" => vec![Referer],
        "cookies" => vec![CookieValue, CookieName],
        "filenames" => vec![FileName],
        "file_content" => vec![FileContent],
        "body" => vec![RawBody, XmlValue],
        "method" => vec![Method],
        "all" => vec![
            Path,
            PathSegment,
            ArgName,
            ArgValue,
            CookieName,
            CookieValue,
            UserAgent,
            Referer,
            Header,
            HeaderName,
            FileName,
            XmlValue,
            RawBody,
        ],
        _ => return None,
    })
}

/// The lazy DFA's cache for each kind's rule set (regex's default is 2 MiB).
const SET_DFA_BYTES: usize = 16 << 20;

/// All rules plus per-target-kind match indexes.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_kind: Vec<KindIndex>,
    /// For argument values the WAF leaves to the guard (natural language in
    /// LLM requests): only the rules of categories still checked there, so
    /// a long prompt is not run through the regexes of skipped categories.
    natural: Option<KindIndex>,
}

/// Which rules an engine compiles into its match indexes.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Rules above this paranoia level are left out (their matches would
    /// be discarded anyway); 0 means all.
    pub max_paranoia: u8,
    /// Categories not checked on natural-language values.
    pub natural_skip: Vec<String>,
}

/// A kind's pattern rules as regex sets, one per run of rules from the
/// same file, each with the entry number of its first pattern. One set of
/// all 105 patterns needs 14.7 MiB of lazy-DFA cache at least and, run
/// over prose, keeps building new states and clearing its cache: 2.5 MB/s
/// on the `eval/guard-*` texts, against 56 MB/s for the ten sets of one
/// file each (their states do not multiply with each other's).
type PatternSets = Vec<(usize, Arc<PatternSet>)>;

/// Per target kind: regex sets over pattern rules with the rule index of each set entry,
/// and one Aho-Corasick automaton over keywords with the rule index of each keyword.
/// An entry is `None` when the set or automaton is shared with kinds that take more
/// rules and the entry's rule does not apply to this one.
type KindIndex = (
    TargetKind,
    PatternSets,
    Vec<Option<usize>>,
    Option<AhoCorasick>,
    Vec<Option<usize>>,
);

impl RuleSet {
    /// Load the built-in rule files plus `extra` (name, YAML text) pairs,
    /// every rule indexed.
    pub fn load(extra: &[(String, String)]) -> Result<RuleSet, Error> {
        Self::load_scoped(extra, &Scope::default())
    }

    /// Like [`RuleSet::load`], indexing only what `scope` needs; every rule
    /// is still parsed and its examples checked.
    pub fn load_scoped(extra: &[(String, String)], scope: &Scope) -> Result<RuleSet, Error> {
        let mut specs: Vec<(String, RuleSpec)> = Vec::new();
        let mut sources: Vec<(String, String)> = BUILTIN
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        sources.extend(extra.iter().cloned());
        for (file, text) in &sources {
            let parsed: RuleFile =
                serde_yaml::from_str(text).map_err(|source| Error::RuleYaml {
                    file: file.clone(),
                    source,
                })?;
            for r in parsed.rules {
                specs.push((file.clone(), r));
            }
        }
        let mut seen = HashSet::new();
        let mut rules = Vec::with_capacity(specs.len());
        let mut example_errors: Vec<Error> = Vec::new();
        for (file, spec) in specs {
            let err = |message: String| Error::Rule {
                file: file.clone(),
                rule: spec.id.clone(),
                message,
            };
            if !seen.insert(spec.id.clone()) {
                return Err(err("duplicate rule id".into()));
            }
            if !(1..=4).contains(&spec.paranoia) {
                return Err(err(format!("paranoia {} not in 1..=4", spec.paranoia)));
            }
            if spec.category.is_empty() || spec.description.is_empty() {
                return Err(err("category and description are required".into()));
            }
            if spec.pattern.is_none() && spec.keywords.is_empty() {
                return Err(err("needs a pattern or keywords".into()));
            }
            let mut kinds = Vec::new();
            for g in &spec.targets {
                let k = kinds_for(g).ok_or_else(|| err(format!("unknown target group {g:?}")))?;
                for kk in k {
                    if !kinds.contains(&kk) {
                        kinds.push(kk);
                    }
                }
            }
            let regex = match &spec.pattern {
                Some(p) => Some(
                    RegexBuilder::new(&palisade_rules::ascii_word_boundaries(p))
                        .size_limit(4 << 20)
                        .build()
                        .map_err(|e| err(format!("bad pattern: {e}")))?,
                ),
                None => None,
            };
            let keywords = if spec.keywords.is_empty() {
                None
            } else {
                Some(
                    AhoCorasickBuilder::new()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::LeftmostFirst)
                        .build(&spec.keywords)
                        .map_err(|e| err(format!("bad keywords: {e}")))?,
                )
            };
            let rule = Rule {
                spec,
                file,
                regex,
                keywords,
                kinds,
            };
            // Collect every failing example so one run shows all of them.
            if let Err(e) = check_examples(&rule) {
                example_errors.push(e);
            }
            rules.push(rule);
        }
        match example_errors.len() {
            0 => {}
            1 => return Err(example_errors.remove(0)),
            _ => {
                let all: Vec<String> = example_errors.iter().map(ToString::to_string).collect();
                return Err(Error::Config(format!(
                    "{} rule examples fail: {}",
                    all.len(),
                    all.join("; ")
                )));
            }
        }
        let in_scope = |r: &Rule| scope.max_paranoia == 0 || r.spec.paranoia <= scope.max_paranoia;
        let mut by_kind = Vec::new();
        let mut compiled = Compiled::new();
        let union = members(&rules, None, |r| in_scope(r));
        for &kind in ALL_KINDS {
            by_kind.push(index(&rules, kind, |r| in_scope(r), &union, &mut compiled)?);
        }
        let natural = if scope.natural_skip.is_empty() {
            None
        } else {
            Some(index(
                &rules,
                TargetKind::ArgValue,
                |r| in_scope(r) && !scope.natural_skip.contains(&r.spec.category),
                &union,
                &mut compiled,
            )?)
        };
        Ok(RuleSet {
            rules,
            by_kind,
            natural,
        })
    }

    /// All rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Indexes of rules matching `text` for a target of `kind`.
    pub fn scan(&self, kind: TargetKind, text: &str, out: &mut Vec<usize>) {
        if let Some(ix) = self.by_kind.iter().find(|(k, ..)| *k == kind) {
            scan_index(ix, text, out);
        }
    }

    /// Like [`RuleSet::scan`] for an argument value left to the guard.
    pub fn scan_natural(&self, text: &str, out: &mut Vec<usize>) {
        match &self.natural {
            Some(ix) => scan_index(ix, text, out),
            None => self.scan(TargetKind::ArgValue, text, out),
        }
    }

    /// Whether no pattern or keyword rule runs on natural-language values
    /// (every category they could hold is skipped there).
    pub fn natural_is_empty(&self) -> bool {
        self.natural
            .as_ref()
            .is_some_and(|(_, _, pat_idx, _, kw_idx)| {
                pat_idx.iter().all(Option::is_none) && kw_idx.iter().all(Option::is_none)
            })
    }

    /// Rule by index.
    pub fn get(&self, i: usize) -> Option<&Rule> {
        self.rules.get(i)
    }
}

/// Rule indexes of `ix` that match `text`, each once.
fn scan_index(ix: &KindIndex, text: &str, out: &mut Vec<usize>) {
    let (_, sets, pat_idx, ac, kw_idx) = ix;
    // Most values match no pattern. Saying so takes one leftmost search
    // that may skip ahead on literals; listing every pattern that matches
    // takes an overlapping search over the whole value (about 28
    // instructions a byte of a 1 KB prompt, measured under callgrind in
    // the gateway).
    for (first, set) in sets.iter().filter(|(_, s)| s.is_match(text)) {
        for m in set.matches(text) {
            if let Some(&Some(ri)) = pat_idx.get(first + m) {
                if !out.contains(&ri) {
                    out.push(ri);
                }
            }
        }
    }
    if let Some(ac) = ac {
        for m in ac.find_overlapping_iter(text) {
            if let Some(&Some(ri)) = kw_idx.get(m.pattern().as_usize()) {
                if !out.contains(&ri) {
                    out.push(ri);
                }
            }
        }
    }
}

/// Automata already built, by the rule indexes they hold (patterns, then
/// keywords), so that kinds taking the same rules share them: cheap clones
/// of one compiled program.
type Compiled = HashMap<(Vec<usize>, Vec<usize>), (PatternSets, Option<AhoCorasick>)>;

/// The rules with a pattern, and the rule of each keyword, of the rules
/// that apply to `kind` (every kind when None) and that `keep` accepts.
fn members(
    rules: &[Rule],
    kind: Option<TargetKind>,
    keep: impl Fn(&Rule) -> bool,
) -> (Vec<usize>, Vec<usize>) {
    let mut pat_rules = Vec::new();
    let mut kw_rules = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        if kind.is_some_and(|k| !r.applies_to(k)) || !keep(r) {
            continue;
        }
        if r.spec.pattern.is_some() {
            pat_rules.push(i);
        }
        kw_rules.extend(r.spec.keywords.iter().map(|_| i));
    }
    (pat_rules, kw_rules)
}

/// The match index of one target kind over the rules `keep` accepts.
///
/// A kind that takes at least half of all the rules (`union`) scans with
/// the automata over all of them and drops the matches of rules that do not
/// apply to it: a regex set reports each pattern on its own, so that is the
/// same result as a set of the kind's own rules, and one compiled set
/// (25–40 MB with Unicode classes) replaces several that differ by a few
/// rules. Kinds with fewer rules (file names, file contents) keep small
/// sets of their own, so their texts are not scanned for the others.
fn index(
    rules: &[Rule],
    kind: TargetKind,
    keep: impl Fn(&Rule) -> bool,
    union: &(Vec<usize>, Vec<usize>),
    compiled: &mut Compiled,
) -> Result<KindIndex, Error> {
    let own = members(rules, Some(kind), keep);
    let base = |mine: &[usize], all: &[usize]| {
        if !mine.is_empty() && mine.len() * 2 >= all.len() {
            all.to_vec()
        } else {
            mine.to_vec()
        }
    };
    let (pat_base, kw_base) = (base(&own.0, &union.0), base(&own.1, &union.1));
    // Entry → rule, for this kind's rules only.
    let applies = |base: &[usize], mine: &[usize]| -> Vec<Option<usize>> {
        let mine: HashSet<usize> = mine.iter().copied().collect();
        base.iter()
            .map(|i| mine.contains(i).then_some(*i))
            .collect()
    };
    let pat_idx = applies(&pat_base, &own.0);
    let kw_idx = applies(&kw_base, &own.1);
    let key = (pat_base, kw_base);
    if let Some((set, ac)) = compiled.get(&key) {
        return Ok((kind, set.clone(), pat_idx, ac.clone(), kw_idx));
    }
    // The compiled forms, their word boundaries ASCII (`boundary.rs`), in
    // runs of one file each.
    let mut runs: Vec<(usize, &str, Vec<&str>)> = Vec::new();
    for (entry, r) in key.0.iter().filter_map(|&i| rules.get(i)).enumerate() {
        let Some(re) = r.regex.as_ref() else { continue };
        match runs.last_mut() {
            Some((_, file, pats)) if *file == r.file.as_str() => pats.push(re.as_str()),
            _ => runs.push((entry, r.file.as_str(), vec![re.as_str()])),
        }
    }
    // `key.1` names a rule once per keyword, its keywords in a row.
    let mut kw_rules = key.1.clone();
    kw_rules.dedup();
    let kws: Vec<&str> = kw_rules
        .iter()
        .filter_map(|&i| rules.get(i))
        .flat_map(|r| r.spec.keywords.iter().map(String::as_str))
        .collect();
    let sets = runs
        .into_iter()
        .map(|(first, file, pats)| {
            PatternSet::new(&pats, 64 << 20, SET_DFA_BYTES)
                .map(|set| (first, Arc::new(set)))
                .map_err(|e| Error::Config(format!("rule set of {file} for {kind:?}: {e}")))
        })
        .collect::<Result<PatternSets, Error>>()?;
    let ac = if kws.is_empty() {
        None
    } else {
        Some(
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .build(&kws)
                .map_err(|e| Error::Config(format!("keywords for {kind:?}: {e}")))?,
        )
    };
    compiled.insert(key, (sets.clone(), ac.clone()));
    Ok((kind, sets, pat_idx, ac, kw_idx))
}

fn check_examples(rule: &Rule) -> Result<(), Error> {
    // A clone's regex has a cache pool of its own, dropped with it: the
    // caches the checks make would otherwise stay with every rule (17 MB
    // at a gateway's start, heaptrack), though a rule's regex runs only
    // after the rule set has matched.
    let rule = &rule.clone();
    let fail = |ex: &str, message: &str| Error::Example {
        file: rule.file.clone(),
        rule: rule.spec.id.clone(),
        example: ex.to_string(),
        message: message.to_string(),
    };
    for ex in &rule.spec.examples.positive {
        let n = normalize(ex, 3);
        if rule.find(&n.text).is_none() {
            return Err(fail(ex, "should match but does not"));
        }
    }
    for ex in &rule.spec.examples.no_match {
        let n = normalize(ex, 3);
        if rule.find(&n.text).is_some() {
            return Err(fail(ex, "matches but should not"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in rules, every paranoia level indexed, with the natural
    /// language set leaving out two categories.
    fn every_rule() -> RuleSet {
        let scope = Scope {
            max_paranoia: 4,
            natural_skip: vec!["rce".into(), "xss".into()],
        };
        RuleSet::load_scoped(&[], &scope).expect("built-in rules")
    }

    /// Every kind's compiled set can build its lazy DFA in the cache it
    /// is given, on any text. A set that cannot (a Unicode word boundary,
    /// which the lazy DFA refuses once a non-ASCII byte shows up, or more
    /// NFA states than the cache holds) runs on the PikeVM instead: 0.5–1.2
    /// ms a set on a 1 KB prompt with one accented letter (session 56).
    #[test]
    fn every_set_fits_the_lazy_dfa() {
        use regex_automata::hybrid::{dfa, regex::Regex as Hybrid};
        let set = every_rule();
        let mut n = 0;
        for (kind, sets, ..) in set.by_kind.iter().chain(set.natural.iter()) {
            for (_, re) in sets {
                n += 1;
                let built = Hybrid::builder()
                    .dfa(dfa::Config::new().cache_capacity(SET_DFA_BYTES))
                    .build_many(re.patterns());
                assert!(built.is_ok(), "{kind:?}: {:?}", built.err());
                assert!(re.has_lazy_dfa(), "{kind:?}");
            }
        }
        assert!(n >= 5, "only {n} sets");
    }

    /// Shared sets with per-kind filtering find, for every kind, exactly
    /// the rules that apply to it and match on their own, over every
    /// example text of every rule.
    #[test]
    fn shared_sets_match_what_each_rule_matches_alone() {
        let set = every_rule();
        let texts: Vec<String> = set
            .rules()
            .iter()
            .flat_map(|r| {
                r.spec
                    .examples
                    .positive
                    .iter()
                    .chain(&r.spec.examples.no_match)
            })
            .map(|ex| normalize(ex, 3).text)
            .collect();
        assert!(texts.len() > 100);
        for &kind in ALL_KINDS {
            for text in &texts {
                let mut got = Vec::new();
                set.scan(kind, text, &mut got);
                got.sort_unstable();
                let want: Vec<usize> = set
                    .rules()
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.applies_to(kind) && r.find(text).is_some())
                    .map(|(i, _)| i)
                    .collect();
                assert_eq!(got, want, "{kind:?} on {text:?}");
            }
        }
        for text in &texts {
            let mut got = Vec::new();
            set.scan_natural(text, &mut got);
            got.sort_unstable();
            let want: Vec<usize> = set
                .rules()
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    r.applies_to(TargetKind::ArgValue)
                        && !["rce", "xss"].contains(&r.spec.category.as_str())
                        && r.find(text).is_some()
                })
                .map(|(i, _)| i)
                .collect();
            assert_eq!(got, want, "natural on {text:?}");
        }
    }
}
