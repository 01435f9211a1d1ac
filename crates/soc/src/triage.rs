//! Triage: a verdict per alert with a confidence and the reasons. The
//! score starts from the rule's level and moves with the rule's quality,
//! the criticality of the assets involved, what history says about this
//! rule on these entities, and suppressions; every move is a reason the
//! analyst can read. Deterministic: the same alert and history give the
//! same verdict.

use crate::alert::{Alert, Entity, Level};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What triage concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Malicious activity, act on it.
    TruePositive,
    /// Real activity that is allowed (suppressed, known benign).
    Benign,
    /// The rule fired on something it should not have.
    FalsePositive,
    /// A person has to look.
    NeedsReview,
}

impl Verdict {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::TruePositive => "true_positive",
            Verdict::Benign => "benign",
            Verdict::FalsePositive => "false_positive",
            Verdict::NeedsReview => "needs_review",
        }
    }
}

/// The triage result of one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// The verdict.
    pub verdict: Verdict,
    /// 0..1.
    pub confidence: f32,
    /// The score behind the verdict, 0..1.
    pub score: f32,
    /// Why, one line per signal.
    pub reasons: Vec<String>,
    /// The earlier alert this one repeats (same rule, same entities,
    /// within the dedup window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
}

/// A known-benign pattern: alerts of matching rules whose fields match
/// are benign. Field conditions are regexes (case-insensitive).
#[derive(Debug, Clone, Deserialize)]
pub struct Suppression {
    /// A name for the reason line.
    pub name: String,
    /// Rule ids (or `*`).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Field → regex; all must match.
    #[serde(default)]
    pub fields: HashMap<String, String>,
    /// Entity values (any kind) that are allowlisted.
    #[serde(default)]
    pub entities: Vec<String>,
}

struct CompiledSuppression {
    name: String,
    rules: Vec<String>,
    fields: Vec<(String, Regex)>,
    entities: Vec<String>,
}

/// Per (rule, entity) history: how often earlier alerts were judged.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct History {
    /// Alerts judged true positive.
    pub true_positive: u32,
    /// Alerts judged false positive or benign.
    pub false_positive: u32,
}

/// Triage settings and state.
pub struct Triager {
    suppressions: Vec<CompiledSuppression>,
    /// Entity value → criticality 0 (low) … 3 (crown jewel).
    criticality: HashMap<String, u8>,
    /// (rule id, entity value) → history.
    history: HashMap<(String, String), History>,
    /// (rule id, linking entities) → (last alert id, time).
    recent: HashMap<(String, Vec<Entity>), (String, i64)>,
    /// Repeats closer than this are duplicates.
    pub dedup_window_ms: i64,
}

/// A suppression that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("suppression {name}: field {field}: {source}")]
pub struct SuppressionError {
    name: String,
    field: String,
    source: regex::Error,
}

impl Triager {
    /// A triager with suppressions and asset criticality.
    pub fn new(
        suppressions: Vec<Suppression>,
        criticality: HashMap<String, u8>,
    ) -> Result<Triager, SuppressionError> {
        let mut compiled = Vec::new();
        for s in suppressions {
            let mut fields = Vec::new();
            for (f, pat) in s.fields {
                let re = Regex::new(&format!("(?i){pat}")).map_err(|source| SuppressionError {
                    name: s.name.clone(),
                    field: f.clone(),
                    source,
                })?;
                fields.push((f, re));
            }
            compiled.push(CompiledSuppression {
                name: s.name,
                rules: s.rules,
                fields,
                entities: s
                    .entities
                    .into_iter()
                    .map(|e| e.to_ascii_lowercase())
                    .collect(),
            });
        }
        Ok(Triager {
            suppressions: compiled,
            criticality: criticality
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            history: HashMap::new(),
            recent: HashMap::new(),
            dedup_window_ms: 10 * 60 * 1000,
        })
    }

    /// Records a past verdict (loaded from the store) as history.
    pub fn learn(&mut self, rule_id: &str, entities: &[Entity], verdict: Verdict) {
        for e in entities {
            let h = self
                .history
                .entry((rule_id.to_string(), e.value.clone()))
                .or_default();
            match verdict {
                Verdict::TruePositive => h.true_positive += 1,
                Verdict::FalsePositive | Verdict::Benign => h.false_positive += 1,
                Verdict::NeedsReview => {}
            }
        }
    }

    fn suppressed(&self, a: &Alert) -> Option<&str> {
        self.suppressions.iter().find_map(|s| {
            let rule_ok = s.rules.is_empty() || s.rules.iter().any(|r| r == "*" || r == &a.rule_id);
            let fields_ok = s
                .fields
                .iter()
                .all(|(f, re)| a.fields.get(f).is_some_and(|v| re.is_match(v)));
            let ent_ok = s.entities.is_empty()
                || a.entities
                    .iter()
                    .any(|e| s.entities.contains(&e.value.to_ascii_lowercase()));
            (rule_ok && fields_ok && ent_ok && (!s.fields.is_empty() || !s.entities.is_empty()))
                .then_some(s.name.as_str())
        })
    }

    /// Judges one alert (alerts should arrive in time order for dedup).
    pub fn judge(&mut self, a: &Alert) -> Triage {
        let mut reasons = Vec::new();
        if let Some(name) = self.suppressed(a) {
            return Triage {
                verdict: Verdict::Benign,
                confidence: 0.95,
                score: 0.0,
                reasons: vec![format!("suppressed by `{name}`")],
                duplicate_of: None,
            };
        }
        let mut score: f32 = match a.level {
            Level::Critical => 0.9,
            Level::High => 0.72,
            Level::Medium => 0.5,
            Level::Low => 0.3,
            Level::Informational => 0.12,
        };
        reasons.push(format!("rule level {} → {score:.2}", a.level));
        match a.rule_status.as_deref() {
            Some("stable") => {
                score += 0.05;
                reasons.push("stable rule +0.05".into());
            }
            Some("experimental") => {
                score -= 0.08;
                reasons.push("experimental rule −0.08".into());
            }
            Some("deprecated" | "unsupported") => {
                score -= 0.2;
                reasons.push("deprecated rule −0.20".into());
            }
            _ => {}
        }
        if a.tags.iter().any(|t| t.starts_with("attack.t")) {
            score += 0.03;
            reasons.push("maps to an ATT&CK technique +0.03".into());
        }
        if let Some((value, c)) = a
            .entities
            .iter()
            .filter_map(|e| {
                self.criticality
                    .get(&e.value.to_ascii_lowercase())
                    .map(|c| (e.value.clone(), *c))
            })
            .max_by_key(|t| t.1)
        {
            let bump = 0.06 * f32::from(c);
            score += bump;
            reasons.push(format!("asset {value} criticality {c} +{bump:.2}"));
        }
        let (mut tp, mut fp) = (0u32, 0u32);
        for e in &a.entities {
            if let Some(h) = self.history.get(&(a.rule_id.clone(), e.value.clone())) {
                tp += h.true_positive;
                fp += h.false_positive;
            }
        }
        // A learned allowlist: analysts dismissed this rule on these
        // entities at least twice and never confirmed it.
        if fp >= 2 && tp == 0 {
            return Triage {
                verdict: Verdict::FalsePositive,
                confidence: 0.9,
                score: 0.0,
                reasons: vec![format!(
                    "learned allowlist: analysts dismissed this rule on these entities {fp}×"
                )],
                duplicate_of: None,
            };
        }
        if fp >= 3 && fp > tp * 2 {
            score -= 0.25;
            reasons.push(format!(
                "this rule was judged benign/false {fp}× on these entities −0.25"
            ));
        } else if tp > 0 {
            score += 0.1;
            reasons.push(format!(
                "this rule was confirmed {tp}× on these entities +0.10"
            ));
        }
        let linking: Vec<Entity> = a
            .entities
            .iter()
            .filter(|e| e.kind.links())
            .cloned()
            .collect();
        let key = (a.rule_id.clone(), linking);
        let duplicate_of = match self.recent.get(&key) {
            Some((id, t)) if a.time_ms - t <= self.dedup_window_ms && a.time_ms >= *t => {
                reasons.push(format!(
                    "repeats {id} within {} min",
                    self.dedup_window_ms / 60_000
                ));
                Some(id.clone())
            }
            _ => None,
        };
        self.recent.insert(key, (a.id.clone(), a.time_ms));
        let score = score.clamp(0.0, 1.0);
        let (verdict, confidence) = if score >= 0.7 {
            (Verdict::TruePositive, score)
        } else if score <= 0.2 && fp >= 3 {
            (Verdict::FalsePositive, 1.0 - score)
        } else if score <= 0.15 {
            (Verdict::Benign, 1.0 - score)
        } else {
            (
                Verdict::NeedsReview,
                0.5 + (0.5 - (score - 0.45).abs()).max(0.0) / 2.0,
            )
        };
        Triage {
            verdict,
            confidence: (confidence * 100.0).round() / 100.0,
            score: (score * 100.0).round() / 100.0,
            reasons,
            duplicate_of,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::EntityKind;
    use std::collections::BTreeMap;

    fn alert(level: Level, t: i64) -> Alert {
        Alert {
            id: format!("a{t}"),
            rule_id: "r1".into(),
            rule_title: "R".into(),
            level,
            tags: vec![],
            rule_status: Some("test".into()),
            time_ms: t,
            file: "f".into(),
            event_index: 0,
            entities: vec![Entity {
                kind: EntityKind::Host,
                value: "ws01".into(),
            }],
            fields: BTreeMap::from([("Image".to_string(), "C:\\Tools\\backup.exe".to_string())]),
        }
    }

    #[test]
    fn levels_history_suppression_and_dedup() {
        let mut t = Triager::new(
            vec![Suppression {
                name: "backup tool".into(),
                rules: vec!["r1".into()],
                fields: HashMap::from([("Image".to_string(), r"\\backup\.exe$".to_string())]),
                entities: vec![],
            }],
            HashMap::new(),
        )
        .unwrap();
        assert_eq!(t.judge(&alert(Level::Critical, 0)).verdict, Verdict::Benign);
        let mut t = Triager::new(vec![], HashMap::from([("ws01".to_string(), 3)])).unwrap();
        let first = t.judge(&alert(Level::High, 0));
        assert_eq!(first.verdict, Verdict::TruePositive, "{first:?}");
        let again = t.judge(&alert(Level::High, 60_000));
        assert_eq!(again.duplicate_of.as_deref(), Some("a0"));
        let mut t = Triager::new(vec![], HashMap::new()).unwrap();
        for _ in 0..4 {
            t.learn("r1", &alert(Level::Low, 0).entities, Verdict::FalsePositive);
        }
        assert_eq!(
            t.judge(&alert(Level::Low, 0)).verdict,
            Verdict::FalsePositive
        );
        let learned = t.judge(&alert(Level::Critical, 10_000_000));
        assert_eq!(learned.verdict, Verdict::FalsePositive);
        assert!(learned.reasons[0].contains("learned allowlist"));
        let mut t = Triager::new(vec![], HashMap::new()).unwrap();
        t.learn("r1", &alert(Level::Low, 0).entities, Verdict::FalsePositive);
        assert_eq!(
            t.judge(&alert(Level::Medium, 10_000_000)).verdict,
            Verdict::NeedsReview,
            "one dismissal is not a pattern"
        );
    }
}
