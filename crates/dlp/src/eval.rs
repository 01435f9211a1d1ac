//! Measuring the engine on labelled corpora: span-level precision and
//! recall per label on the PII sets (UTF-8 byte spans, exact match), false
//! positives on their hard negatives, and recall / false-positive rate on
//! the secrets set (any credential found on the secret's span counts).

use crate::engine::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Labels scored as pattern/validator types (the acceptance set); names
/// and person/address labels need models, not patterns, and are reported
/// but not in the total.
pub const PATTERN_LABELS: &[&str] = &[
    "CREDIT_CARD",
    "BANK_CARD",
    "IBAN_CODE",
    "US_SSN",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CN_MOBILE",
    "CN_LANDLINE",
    "IP_ADDRESS",
    "CN_RESIDENT_ID",
    "CN_USCC",
    "CN_PASSPORT",
    "CN_LICENSE_PLATE",
];

/// Labels that name the same thing in different corpora: a card is a card
/// whether a corpus calls it a credit or a bank card.
fn family(label: &str) -> &str {
    match label {
        "CREDIT_CARD" | "BANK_CARD" => "CARD",
        other => other,
    }
}

/// Why a corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// I/O.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A line that is not a record.
    #[error("{path} line {line}: {message}")]
    Record {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
struct GoldEntity {
    #[serde(rename = "type")]
    label: String,
    byte_start: usize,
    byte_end: usize,
}

#[derive(Debug, Deserialize)]
struct NegSpan {
    #[serde(rename = "type")]
    label: String,
    value: String,
}

#[derive(Debug, Deserialize)]
struct PiiRecord {
    text: String,
    #[serde(default)]
    entities: Vec<GoldEntity>,
    #[serde(default)]
    hard_negatives: Vec<NegSpan>,
}

/// Counts for one label.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Correct spans.
    pub tp: usize,
    /// Spans reported that are not gold.
    pub fp: usize,
    /// Gold spans missed.
    pub fn_: usize,
}

impl Counts {
    /// tp / (tp + fp).
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    /// tp / (tp + fn).
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// PII results.
#[derive(Debug, Default, Serialize)]
pub struct PiiReport {
    /// Per gold label (pattern labels and others).
    pub labels: BTreeMap<String, Counts>,
    /// Over the pattern labels.
    pub pattern_total: Counts,
    /// Hard negatives reported as some entity.
    pub hard_negative_hits: BTreeMap<String, (usize, usize)>,
    /// Records read.
    pub records: usize,
    /// Examples of errors (for people).
    pub errors: Vec<String>,
}

fn read_lines(path: &Path) -> Result<Vec<String>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(text.lines().map(str::to_string).collect())
}

/// Scores the engine on PII files in the corpus format.
pub fn eval_pii(engine: &Engine, files: &[&Path]) -> Result<PiiReport, EvalError> {
    let mut r = PiiReport::default();
    let label_of = |type_id: &str| -> Option<String> {
        engine
            .catalog()
            .get(type_id)
            .and_then(|t| t.dataset_label.clone())
    };
    for path in files {
        for (i, line) in read_lines(path)?.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let rec: PiiRecord = serde_json::from_str(line).map_err(|e| EvalError::Record {
                path: path.display().to_string(),
                line: i + 1,
                message: e.to_string(),
            })?;
            r.records += 1;
            let found = engine.scan(&rec.text);
            let gold: Vec<&GoldEntity> = rec.entities.iter().collect();
            let mut matched = vec![false; found.len()];
            for g in &gold {
                let hit = found.iter().enumerate().find(|(_, f)| {
                    f.start == g.byte_start
                        && f.end == g.byte_end
                        && label_of(&f.type_id).is_some_and(|l| family(&l) == family(&g.label))
                });
                let c = r.labels.entry(g.label.clone()).or_default();
                match hit {
                    Some((j, _)) => {
                        c.tp += 1;
                        matched[j] = true;
                    }
                    None => {
                        c.fn_ += 1;
                        if PATTERN_LABELS.contains(&g.label.as_str()) && r.errors.len() < 40 {
                            let near: Vec<String> = found
                                .iter()
                                .filter(|f| f.end > g.byte_start && f.start < g.byte_end)
                                .map(|f| format!("{}@{}..{}", f.type_id, f.start, f.end))
                                .collect();
                            r.errors.push(format!(
                                "missed {} {:?} (found: {})",
                                g.label,
                                rec.text.get(g.byte_start..g.byte_end).unwrap_or(""),
                                if near.is_empty() {
                                    "nothing".into()
                                } else {
                                    near.join(", ")
                                }
                            ));
                        }
                    }
                }
            }
            for (f, m) in found.iter().zip(&matched) {
                if *m {
                    continue;
                }
                // Only types that claim a corpus label can be false
                // positives of it; others (e.g. a date) are outside what
                // the corpus labels.
                let Some(label) = label_of(&f.type_id) else {
                    continue;
                };
                // A labelled span found with a different boundary or type
                // is both a miss (counted above) and a false positive.
                let gold_label = rec
                    .entities
                    .iter()
                    .find(|g| family(&g.label) == family(&label))
                    .map(|g| g.label.clone())
                    .unwrap_or(label.clone());
                r.labels.entry(gold_label.clone()).or_default().fp += 1;
                if r.errors.len() < 40 {
                    r.errors.push(format!(
                        "spurious {} ({}) {:?}",
                        gold_label,
                        f.type_id,
                        rec.text.get(f.start..f.end).unwrap_or("")
                    ));
                }
            }
            for n in &rec.hard_negatives {
                let e = r.hard_negative_hits.entry(n.label.clone()).or_default();
                e.1 += 1;
                if found.iter().any(|f| {
                    rec.text
                        .get(f.start..f.end)
                        .is_some_and(|v| n.value.contains(v) || v.contains(n.value.as_str()))
                }) {
                    e.0 += 1;
                }
            }
        }
    }
    for (l, c) in &r.labels {
        if PATTERN_LABELS.contains(&l.as_str()) {
            r.pattern_total.tp += c.tp;
            r.pattern_total.fp += c.fp;
            r.pattern_total.fn_ += c.fn_;
        }
    }
    Ok(r)
}

#[derive(Debug, Deserialize)]
struct SecretRecord {
    id: String,
    text: String,
    label: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    secret: Option<String>,
}

/// Secrets results.
#[derive(Debug, Default, Serialize)]
pub struct SecretsReport {
    /// Secrets found / secrets.
    pub found: usize,
    /// Secrets in the set.
    pub secrets: usize,
    /// Look-alikes flagged.
    pub false_positives: usize,
    /// Look-alikes in the set.
    pub lookalikes: usize,
    /// Per sample type: (found or flagged, total).
    pub by_type: BTreeMap<String, (usize, usize)>,
    /// Misses and false positives, for people.
    pub errors: Vec<String>,
}

impl SecretsReport {
    /// Recall on secrets.
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.secrets)
    }
    /// False-positive rate on look-alikes.
    pub fn fpr(&self) -> f64 {
        if self.lookalikes == 0 {
            0.0
        } else {
            self.false_positives as f64 / self.lookalikes as f64
        }
    }
}

/// Scores the engine's credential types on the secrets sample format.
pub fn eval_secrets(engine: &Engine, path: &Path) -> Result<SecretsReport, EvalError> {
    let mut r = SecretsReport::default();
    for (i, line) in read_lines(path)?.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: SecretRecord = serde_json::from_str(line).map_err(|e| EvalError::Record {
            path: path.display().to_string(),
            line: i + 1,
            message: e.to_string(),
        })?;
        let creds: Vec<_> = engine
            .scan(&rec.text)
            .into_iter()
            .filter(|e| e.category == "credential")
            .collect();
        let slot = r
            .by_type
            .entry(format!("{}:{}", rec.label, rec.kind))
            .or_default();
        slot.1 += 1;
        if rec.label == "secret" {
            r.secrets += 1;
            let span = rec
                .secret
                .as_deref()
                .and_then(|s| rec.text.find(s).map(|at| (at, at + s.len())));
            let hit = creds.iter().any(|e| match span {
                Some((s, t)) => e.start < t && e.end > s,
                None => true,
            });
            if hit {
                r.found += 1;
                slot.0 += 1;
            } else {
                r.errors.push(format!(
                    "missed {} {}: {}",
                    rec.id,
                    rec.kind,
                    rec.text.chars().take(120).collect::<String>()
                ));
            }
        } else {
            r.lookalikes += 1;
            if !creds.is_empty() {
                r.false_positives += 1;
                slot.0 += 1;
                r.errors.push(format!(
                    "flagged {} {} as {}: {}",
                    rec.id,
                    rec.kind,
                    creds
                        .iter()
                        .map(|c| c.type_id.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    rec.text.chars().take(120).collect::<String>()
                ));
            }
        }
    }
    Ok(r)
}
