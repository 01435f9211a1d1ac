//! The on-disk form of a rule pack and its validation.

use crate::RuleError;
use palisade_core::{Category, Kind, Severity};
use serde::Deserialize;

/// One YAML pack as written on disk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackSpec {
    /// Pack name, unique among loaded packs.
    pub pack: String,
    /// Format version; only 1 exists.
    pub version: u32,
    /// Named pieces of pattern (a list of groups, of words) that the
    /// pack's patterns and `unless` patterns use as `%{name}`, so that a
    /// list shared by many patterns is written, and corrected, once.
    #[serde(default)]
    pub sets: std::collections::BTreeMap<String, String>,
    /// The default of its rules' `spare_quoted_examples`.
    #[serde(default)]
    pub spare_quoted_examples: bool,
    /// The rules.
    pub rules: Vec<RuleSpec>,
}

impl PackSpec {
    /// Replaces every `%{name}` in the rules' patterns and `unless`
    /// patterns with the pack's set of that name. A name the pack does not
    /// define, or a set that itself uses `%{`, is an error naming the rule
    /// (or the set) and the line.
    pub(crate) fn expand_sets(&mut self, file: &str, source: &str) -> Result<(), RuleError> {
        for (name, body) in &self.sets {
            if body.contains("%{") {
                return Err(RuleError::Syntax {
                    file: file.to_string(),
                    line: source
                        .lines()
                        .position(|l| l.trim_start().starts_with(&format!("{name}:")))
                        .map(|i| i + 1),
                    message: format!("set `{name}` uses another set; sets do not nest"),
                });
            }
        }
        for rule in &mut self.rules {
            let also = rule
                .corroborate
                .iter_mut()
                .flat_map(|c| c.patterns.iter_mut());
            for p in rule
                .patterns
                .iter_mut()
                .chain(rule.unless.iter_mut())
                .chain(rule.spare.iter_mut())
                .chain(also)
            {
                if p.contains("%{") {
                    *p = expand(p, &self.sets).map_err(|name| RuleError::Invalid {
                        file: file.to_string(),
                        rule: rule.id.clone(),
                        line: line_of_rule(source, &rule.id),
                        message: format!(
                            "pattern uses `%{{{name}}}`, which the pack's `sets` do not define"
                        ),
                    })?;
                }
            }
        }
        Ok(())
    }
}

/// `pattern` with each `%{name}` replaced by `sets[name]`; the first
/// undefined name is the error. `%` followed by anything else is kept.
fn expand(
    pattern: &str,
    sets: &std::collections::BTreeMap<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(at) = rest.find("%{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            return Err(after.to_string());
        };
        let name = &after[..end];
        out.push_str(sets.get(name).ok_or_else(|| name.to_string())?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One rule as written on disk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique id, `<prefix>.<name>`.
    pub id: String,
    /// Category name (validated against [`Category`]).
    pub category: String,
    /// Severity when it fires.
    pub severity: Severity,
    /// Confidence when it fires, 0..=1.
    pub score: f32,
    /// Languages the patterns cover.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Kinds of text the rule applies to; all when absent.
    #[serde(default)]
    pub kinds: Option<Vec<Kind>>,
    /// What the rule catches, for people.
    pub description: String,
    /// Regular expressions; any match fires the rule.
    pub patterns: Vec<String>,
    /// Match case-sensitively (default: insensitive).
    #[serde(default)]
    pub case_sensitive: bool,
    /// Words of which the text must contain at least one (ASCII case
    /// folded) before any pattern of the rule runs: an AND that keeps a
    /// costly pattern off the texts that cannot match it, since the
    /// literal prefilter only knows a pattern's first elements.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Regular expressions of text the rule must stay silent on, wherever
    /// in the text they match: the harmless look-alikes a pattern cannot
    /// exclude by itself without look-around (a Python traceback's
    /// brackets next to an optimised jailbreak suffix's). Checked only
    /// once a pattern has matched, so they cost nothing on other texts.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Matches passed over one at a time: a match whose own text one of
    /// these finds is not the rule's, and the pattern's next match is
    /// tried instead. Unlike `unless`, which silences the whole text, it
    /// spares that place only, so a planted line beside an honest
    /// look-alike (a second `curl … | sh` beside a known installer's)
    /// still fires. Checked only on a match.
    #[serde(default)]
    pub spare: Vec<String>,
    /// Corroboration: the rule fires only where at least `min` of these
    /// patterns also match somewhere in the text (each counted once). For
    /// signals that mean little alone and much together, such as the
    /// traits of a jailbreak persona; a regex cannot count distinct cues.
    /// Checked only once a pattern has matched.
    #[serde(default)]
    pub corroborate: Option<Corroborate>,
    /// Fire only where the rest of the match's line is machine-made token
    /// salad (optimised adversarial suffixes; see `salad.rs`). Checked on
    /// the rule's first match.
    #[serde(default)]
    pub salad_after: Option<crate::salad::Salad>,
    /// Whether the small model sees this rule's hits as features (default
    /// true). A rule that decides on its own gains nothing from being a
    /// feature, and as one it explains away the training rows it catches,
    /// so the model learns less from them for the look-alikes it misses;
    /// `false` also leaves an existing model's features, and a retrained
    /// model, exactly as they were without the rule.
    #[serde(default = "yes")]
    pub model_signal: bool,
    /// In documents and tool results, pass over a match that is quoted in
    /// a text that talks about attacks: a security article's quoted
    /// example, not an order (see `quoted.rs`). Absent: the pack's
    /// `spare_quoted_examples`.
    #[serde(default)]
    pub spare_quoted_examples: Option<bool>,
    /// Examples that the test-suite runs.
    #[serde(default)]
    pub examples: Examples,
}

fn yes() -> bool {
    true
}

/// Positive and negative examples of a rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Texts the rule must fire on.
    #[serde(default)]
    pub positive: Vec<String>,
    /// Texts the rule must not fire on.
    #[serde(default)]
    pub negative: Vec<String>,
}

/// The 1-based line where `id: <rule id>` appears in a pack's source, so that
/// errors found after parsing can still point at the rule.
pub(crate) fn line_of_rule(source: &str, id: &str) -> Option<usize> {
    source
        .lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.strip_prefix("id:")
                .map(|rest| rest.trim().trim_matches(|c| c == '"' || c == '\'') == id)
                .unwrap_or(false)
        })
        .map(|i| i + 1)
}

impl RuleSpec {
    /// Checks the fields that serde cannot: category names, score range,
    /// non-empty patterns and id shape.
    pub(crate) fn validate(&self, file: &str, source: &str) -> Result<Category, RuleError> {
        let at = |message: String| RuleError::Invalid {
            file: file.to_string(),
            rule: self.id.clone(),
            line: line_of_rule(source, &self.id),
            message,
        };
        if self.id.is_empty() || !self.id.contains('.') {
            return Err(at("rule id must look like `<prefix>.<name>`".into()));
        }
        let category: Category = self.category.parse().map_err(|e| at(format!("{e}")))?;
        if !(0.0..=1.0).contains(&self.score) || self.score.is_nan() {
            return Err(at(format!("score {} is outside 0..=1", self.score)));
        }
        if self.patterns.is_empty() {
            return Err(at("rule has no patterns".into()));
        }
        if self.patterns.iter().any(|p| p.trim().is_empty()) {
            return Err(at(
                "rule has an empty pattern (it would match everything)".into()
            ));
        }
        if self.description.trim().is_empty() {
            return Err(at("rule has no description".into()));
        }
        if self.requires.iter().any(|w| w.trim().is_empty()) {
            return Err(at(
                "`requires` has an empty word (every text would contain it)".into(),
            ));
        }
        if let Some(problem) = self.salad_after.as_ref().and_then(|s| s.problem()) {
            return Err(at(problem));
        }
        if let Some(c) = &self.corroborate {
            if c.min == 0 || c.min > c.patterns.len() {
                return Err(at(format!(
                    "corroborate.min {} must be between 1 and the number of its patterns ({})",
                    c.min,
                    c.patterns.len()
                )));
            }
        }
        Ok(category)
    }
}

/// A rule's corroboration condition (`corroborate` in a pack).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corroborate {
    /// How many of the patterns must match.
    pub min: usize,
    /// The corroborating patterns.
    pub patterns: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rule_lines_in_list_items() {
        let src = "pack: p\nrules:\n  - id: a.one\n    x: 1\n  - id: 'a.two'\n";
        assert_eq!(line_of_rule(src, "a.one"), Some(3));
        assert_eq!(line_of_rule(src, "a.two"), Some(5));
        assert_eq!(line_of_rule(src, "a.three"), None);
    }
}
