//! Rule collections: loading from directories and linking filters and
//! correlations to the rules they reference.

use crate::error::{LoadError, LoadErrorKind};
use crate::rule::{parse_text, Rule, RuleKind};
use crate::value::CompileOptions;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest rule file read; Sigma rules are a few KiB and anything much
/// larger is not a rule.
const MAX_RULE_FILE: u64 = 4 << 20;

/// A set of loaded, linked rules.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>, depth: usize) {
    if depth > 32 {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(LoadError::new(
                &dir.display().to_string(),
                None,
                LoadErrorKind::Io(e.to_string()),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let p = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            collect_files(&p, out, errors, depth + 1);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
        {
            out.push(p);
        }
    }
}

impl RuleSet {
    /// An empty set.
    pub fn new() -> Self {
        RuleSet::default()
    }

    /// Loads every `.yml`/`.yaml` file under `dir` (recursively, in sorted
    /// order). Files that fail are reported, never silently skipped.
    pub fn load_dir(dir: &Path) -> (RuleSet, Vec<LoadError>) {
        Self::load_dir_with(dir, &CompileOptions::default())
    }

    /// [`RuleSet::load_dir`] with compile options (e.g. `expand` placeholders).
    pub fn load_dir_with(dir: &Path, opts: &CompileOptions) -> (RuleSet, Vec<LoadError>) {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        collect_files(dir, &mut files, &mut errors, 0);
        files.sort();
        let mut rules = Vec::new();
        for f in files {
            let name = f.display().to_string();
            let text = match std::fs::metadata(&f) {
                Ok(m) if m.len() > MAX_RULE_FILE => {
                    errors.push(LoadError::new(
                        &name,
                        None,
                        LoadErrorKind::Io("file too large".into()),
                    ));
                    continue;
                }
                _ => std::fs::read_to_string(&f),
            };
            match text {
                Ok(t) => match parse_text(&name, &t, opts) {
                    Ok(r) => rules.extend(r),
                    Err(e) => errors.push(e),
                },
                Err(e) => errors.push(LoadError::new(
                    &name,
                    None,
                    LoadErrorKind::Io(e.to_string()),
                )),
            }
        }
        let (set, link_errors) = RuleSet::from_rules(rules);
        errors.extend(link_errors);
        (set, errors)
    }

    /// Parses one YAML text (one or more documents) into rules.
    pub fn from_yaml_str(name: &str, text: &str) -> Result<Vec<Rule>, LoadError> {
        parse_text(name, text, &CompileOptions::default())
    }

    /// [`RuleSet::from_yaml_str`] with compile options.
    pub fn from_yaml_str_with(
        name: &str,
        text: &str,
        opts: &CompileOptions,
    ) -> Result<Vec<Rule>, LoadError> {
        parse_text(name, text, opts)
    }

    /// Builds a set from parsed rules: applies filter rules to their targets
    /// and checks that correlations reference known rules. Correlations with
    /// unknown references are dropped and reported.
    pub fn from_rules(mut rules: Vec<Rule>) -> (RuleSet, Vec<LoadError>) {
        let mut errors = Vec::new();
        let find = |rules: &[Rule], r: &str| -> Option<usize> {
            rules
                .iter()
                .position(|x| x.id == r || x.name.as_deref() == Some(r))
        };
        // Filters.
        let filters: Vec<(usize, Vec<String>)> = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match &r.kind {
                RuleKind::Filter(f) => Some((i, f.rules.clone())),
                _ => None,
            })
            .collect();
        for (fi, targets) in filters {
            let Some(filter_rule) = rules.get(fi) else {
                continue;
            };
            let Some(det) = filter_rule.detection.clone() else {
                continue;
            };
            let fls = filter_rule.logsource.clone();
            let (fpath, ftitle) = (filter_rule.path.clone(), filter_rule.title.clone());
            let idxs: Vec<usize> = if targets.is_empty() {
                let same = |a: &Option<String>, b: &Option<String>| a.is_none() || a == b;
                rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| {
                        matches!(r.kind, RuleKind::Detection)
                            && same(&fls.product, &r.logsource.product)
                            && same(&fls.category, &r.logsource.category)
                            && same(&fls.service, &r.logsource.service)
                    })
                    .map(|(i, _)| i)
                    .collect()
            } else {
                let mut v = Vec::new();
                for t in &targets {
                    match find(&rules, t) {
                        Some(i) => v.push(i),
                        None => errors.push(LoadError::new(
                            &fpath,
                            Some(ftitle.clone()),
                            LoadErrorKind::BadReference(format!(
                                "filter references unknown rule `{t}`"
                            )),
                        )),
                    }
                }
                v
            };
            for i in idxs {
                if let Some(r) = rules.get_mut(i) {
                    if matches!(r.kind, RuleKind::Detection) {
                        r.filters.push(Arc::clone(&det));
                    }
                }
            }
        }
        // Correlations: every reference must resolve.
        let mut keep = vec![true; rules.len()];
        for (i, r) in rules.iter().enumerate() {
            if let RuleKind::Correlation(c) = &r.kind {
                for t in &c.rules {
                    let ok = find(&rules, t).is_some_and(|j| {
                        j != i
                            && !matches!(rules.get(j).map(|x| &x.kind), Some(RuleKind::Filter(_)))
                    });
                    if !ok {
                        errors.push(LoadError::new(
                            &r.path,
                            Some(r.title.clone()),
                            LoadErrorKind::BadReference(format!(
                                "correlation references unknown rule `{t}`"
                            )),
                        ));
                        if let Some(k) = keep.get_mut(i) {
                            *k = false;
                        }
                    }
                }
            }
        }
        let mut it = keep.iter();
        rules.retain(|_| it.next().copied().unwrap_or(true));
        (RuleSet { rules }, errors)
    }

    /// Number of rules (all kinds).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// All rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// A rule by id or name.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.id == id || r.name.as_deref() == Some(id))
    }
}
