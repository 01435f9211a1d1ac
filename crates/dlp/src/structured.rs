//! Structured data: which columns of a CSV file or which keys of JSON /
//! JSONL records hold what kind of data, with a grade per column and per
//! file. Each column is judged from a sample of its values (each scanned
//! on its own) and from its name (hints in `catalog/dlp/columns/`).

use crate::catalog::Grade;
use crate::engine::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Values sampled per column.
pub const SAMPLE: usize = 200;

/// A value-level share at or above which a column is that type.
const VALUE_SHARE: f64 = 0.6;
/// With a matching name hint, this share is enough.
const HINTED_SHARE: f64 = 0.2;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hint {
    #[serde(rename = "type")]
    type_id: String,
    names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HintFile {
    hints: Vec<Hint>,
}

/// Why structured data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StructuredError {
    /// CSV syntax.
    #[error("CSV record {record}: {message}")]
    Csv {
        /// 1-based record number.
        record: u64,
        /// What is wrong.
        message: String,
    },
    /// JSON syntax.
    #[error("JSON{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Json {
        /// 1-based line (JSONL) when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The built-in hints are broken (a build error, caught by tests).
    #[error("column hints: {0}")]
    Hints(String),
}

/// One column's classification.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Column {
    /// Header name or JSON key path (`user.email`, `items[].sku`).
    pub column: String,
    /// The data type, when one is decided.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_id: Option<String>,
    /// Share of sampled non-empty values in which that type was found.
    pub share: f64,
    /// The column name suggested the type.
    pub name_hint: bool,
    /// Non-empty values sampled.
    pub sampled: usize,
    /// The type's grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
}

/// Classifications of every column and the file's grade (the highest).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Classification {
    /// Per column, in first-seen order.
    pub columns: Vec<Column>,
    /// The highest column grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    /// Records read.
    pub records: u64,
}

/// Column-name hints, parsed once.
pub struct Hints {
    by_name: BTreeMap<String, String>,
}

impl Hints {
    /// The built-in hints.
    pub fn builtin() -> Result<Self, StructuredError> {
        Self::parse(include_str!("../../../catalog/dlp/columns/columns.yaml"))
    }

    /// Parses a hints file.
    pub fn parse(text: &str) -> Result<Self, StructuredError> {
        let f: HintFile =
            serde_yaml::from_str(text).map_err(|e| StructuredError::Hints(e.to_string()))?;
        let mut by_name = BTreeMap::new();
        for h in f.hints {
            for n in h.names {
                by_name.insert(n.to_lowercase(), h.type_id.clone());
            }
        }
        Ok(Self { by_name })
    }

    /// The type a column name suggests: the whole name, else its last
    /// part that is a hint (`billing_email` → email).
    pub fn lookup(&self, column: &str) -> Option<&str> {
        let leaf = column
            .rsplit(['.', ']'])
            .find(|s| !s.is_empty())
            .unwrap_or(column);
        let lower = leaf.trim_start_matches('[').to_lowercase();
        if let Some(t) = self.by_name.get(&lower) {
            return Some(t);
        }
        split_name(leaf)
            .iter()
            .rev()
            .find_map(|p| self.by_name.get(&p.to_lowercase()).map(String::as_str))
    }
}

/// Splits on `_`, `-`, spaces and camelCase humps.
fn split_name(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if matches!(ch, '_' | '-' | ' ' | '.') {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_lowercase();
        cur.push(ch);
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

/// Samples per column, in first-seen column order.
#[derive(Default)]
struct Samples {
    order: Vec<String>,
    values: BTreeMap<String, Vec<String>>,
}

impl Samples {
    fn add(&mut self, column: &str, value: &str) {
        let v = value.trim();
        if !self.values.contains_key(column) {
            self.order.push(column.to_string());
            self.values.insert(column.to_string(), Vec::new());
        }
        if let Some(slot) = self.values.get_mut(column) {
            if !v.is_empty() && slot.len() < SAMPLE {
                slot.push(v.to_string());
            }
        }
    }
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Samples) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        serde_json::Value::Array(items) => {
            let p = format!("{prefix}[]");
            for x in items.iter().take(SAMPLE) {
                flatten(&p, x, out);
            }
        }
        serde_json::Value::String(s) => out.add(prefix, s),
        serde_json::Value::Number(n) => out.add(prefix, &n.to_string()),
        _ => out.add(prefix, ""),
    }
}

fn classify(engine: &Engine, hints: &Hints, samples: Samples, records: u64) -> Classification {
    let mut columns = Vec::new();
    for name in samples.order {
        let values = samples.values.get(&name).map(Vec::as_slice).unwrap_or(&[]);
        let hint = hints.lookup(&name).map(str::to_string);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for v in values {
            let mut seen: Vec<String> = Vec::new();
            for e in engine.scan(v) {
                if !seen.contains(&e.type_id) {
                    seen.push(e.type_id.clone());
                }
            }
            for t in seen {
                *counts.entry(t).or_default() += 1;
            }
        }
        let n = values.len();
        // The hinted type's matches count double: the name is evidence.
        let best = counts
            .iter()
            .map(|(t, &c)| {
                let weight = if hint.as_deref() == Some(t.as_str()) {
                    2 * c
                } else {
                    c
                };
                (t.clone(), c, weight)
            })
            .max_by_key(|(_, _, w)| *w);
        let share_of = |c: usize| if n == 0 { 0.0 } else { c as f64 / n as f64 };
        let (type_id, share, name_hint) = match (best, &hint) {
            (Some((t, c, _)), h) if share_of(c) >= VALUE_SHARE => {
                let hinted = h.as_deref() == Some(t.as_str());
                (Some(t), share_of(c), hinted)
            }
            (Some((t, c, _)), Some(h)) if *h == t && share_of(c) >= HINTED_SHARE => {
                (Some(t), share_of(c), true)
            }
            // The name alone decides when the values neither confirm
            // nor contradict it strongly (free-text names, addresses).
            (_, Some(h)) => {
                let c = counts.get(h).copied().unwrap_or(0);
                (Some(h.clone()), share_of(c), true)
            }
            (Some((_, c, _)), None) => (None, share_of(c), false),
            (None, None) => (None, 0.0, false),
        };
        let grade = type_id
            .as_deref()
            .and_then(|t| engine.catalog().get(t))
            .map(|t| t.grade);
        columns.push(Column {
            column: name,
            type_id,
            share,
            name_hint,
            sampled: n,
            grade,
        });
    }
    let grade = columns.iter().filter_map(|c| c.grade).max();
    Classification {
        columns,
        grade,
        records,
    }
}

/// Classifies the columns of a CSV text (first row = header).
pub fn classify_csv(
    engine: &Engine,
    hints: &Hints,
    text: &str,
) -> Result<Classification, StructuredError> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| StructuredError::Csv {
            record: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(str::to_string)
        .collect();
    let mut s = Samples::default();
    for h in &headers {
        s.add(h, "");
    }
    let mut records = 0u64;
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| StructuredError::Csv {
            record: i as u64 + 2,
            message: e.to_string(),
        })?;
        records += 1;
        for (j, v) in rec.iter().enumerate() {
            let name = headers
                .get(j)
                .cloned()
                .unwrap_or_else(|| format!("column_{}", j + 1));
            s.add(&name, v);
        }
    }
    Ok(classify(engine, hints, s, records))
}

/// Classifies the keys of a JSON document (an array of records or one
/// record) or of JSONL (one record per line).
pub fn classify_json(
    engine: &Engine,
    hints: &Hints,
    text: &str,
    jsonl: bool,
) -> Result<Classification, StructuredError> {
    let mut s = Samples::default();
    let mut records = 0u64;
    if jsonl {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| StructuredError::Json {
                    line: Some(i + 1),
                    message: e.to_string(),
                })?;
            records += 1;
            flatten("", &v, &mut s);
        }
    } else {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| StructuredError::Json {
                line: Some(e.line()),
                message: e.to_string(),
            })?;
        match &v {
            serde_json::Value::Array(items) => {
                for x in items {
                    records += 1;
                    flatten("", x, &mut s);
                }
            }
            other => {
                records = 1;
                flatten("", other, &mut s);
            }
        }
    }
    Ok(classify(engine, hints, s, records))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_parts_and_hints() {
        let h = Hints::builtin().expect("hints");
        assert_eq!(h.lookup("Email"), Some("email_address"));
        assert_eq!(h.lookup("billing_email"), Some("email_address"));
        assert_eq!(h.lookup("customerPhone"), Some("phone_e164"));
        assert_eq!(h.lookup("user.身份证号"), Some("cn_resident_id"));
        assert_eq!(h.lookup("order_total"), None);
        assert_eq!(split_name("firstName_x-y"), vec!["first", "Name", "x", "y"]);
    }
}
