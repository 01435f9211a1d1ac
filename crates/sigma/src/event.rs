//! The event model: a JSON document flattened into named leaf values.
//!
//! Every leaf is addressable by its dotted path (`Event.System.EventID`,
//! `a.b.c` for arbitrary JSON). Windows records (`{"Event": {...}}` as
//! produced by the `evtx` crate) additionally expose the short names Sigma
//! rules use: `Event.EventData.*` and `Event.UserData.<child>.*` children by
//! their own name (`Image`, `CommandLine`), `Event.System.*` joined with `_`
//! (`EventID`, `Channel`, `Provider_Name`). `#attributes`/`#text` levels
//! (and `X_attributes` siblings of the separate-attributes layout) are
//! transparent. Field names are matched case-insensitively. Each leaf keeps
//! its raw text and, when different, a case-folded copy computed once per
//! event so rule tests never fold at match time.

use crate::text::{fold, needs_fold};
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast non-cryptographic hasher for field-name lookups. Field
/// names come from rules and logs and HashDoS is not a concern for a
/// per-event map that is rebuilt for each record.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            for (d, s) in b.iter_mut().zip(chunk) {
                *d = *s;
            }
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

/// Hash map keyed by field names.
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Folds a field name for lookup.
pub(crate) fn key_fold(name: &str) -> String {
    fold(name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LeafKind {
    Null,
    Bool,
    Number,
    String,
}

#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    raw: String,
    folded: Option<String>,
    kind: LeafKind,
}

impl Leaf {
    /// The original text.
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }
    /// The case-folded text.
    pub(crate) fn folded(&self) -> &str {
        self.folded.as_deref().unwrap_or(&self.raw)
    }
    /// JSON null.
    pub(crate) fn is_null(&self) -> bool {
        self.kind == LeafKind::Null
    }
    fn to_value(&self) -> FieldValue {
        match self.kind {
            LeafKind::Null => FieldValue::Null,
            LeafKind::Bool => FieldValue::Bool(self.raw == "true"),
            LeafKind::Number => FieldValue::Number(self.raw.clone()),
            LeafKind::String => FieldValue::String(self.raw.clone()),
        }
    }
}

/// A field's value as seen by rules.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// JSON null (e.g. an empty EVTX element).
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, kept in its textual form.
    Number(String),
    /// A string.
    String(String),
    /// Several values under one name (JSON arrays, repeated elements).
    List(Vec<FieldValue>),
}

impl FieldValue {
    /// Text form (`None` for null and lists).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Number(s) | FieldValue::String(s) => Some(s),
            FieldValue::Bool(true) => Some("true"),
            FieldValue::Bool(false) => Some("false"),
            _ => None,
        }
    }
}

/// Where the default timestamp is looked for, in order.
const DEFAULT_TS_FIELDS: [&str; 6] = [
    "event.system.timecreated.systemtime",
    "@timestamp",
    "timestamp",
    "time",
    "eventtime",
    "utctime",
];

/// A log record ready for matching.
#[derive(Debug, Clone, Default)]
pub struct Event {
    leaves: Vec<Leaf>,
    index: FxMap<String, Vec<u32>>,
    timestamp: Option<i64>,
}

/// Nesting depth beyond which JSON subtrees are ignored (hostile input).
const MAX_DEPTH: usize = 64;

impl Event {
    /// Builds an event from a JSON value. Non-object values become an event
    /// with the value under the empty name (keywords still match it).
    pub fn from_json(value: serde_json::Value) -> Event {
        Self::from_json_ref(&value, None)
    }

    /// Like [`Event::from_json`], reading the timestamp from `ts_field`
    /// (dotted or short name) instead of the default candidates.
    pub fn from_json_with_timestamp(value: serde_json::Value, ts_field: &str) -> Event {
        Self::from_json_ref(&value, Some(ts_field))
    }

    pub(crate) fn from_json_ref(value: &Value, ts_field: Option<&str>) -> Event {
        let mut ev = Event::default();
        let mut path = String::new();
        ev.walk(value, &mut path, None, 0);
        ev.timestamp = match ts_field {
            Some(f) => ev
                .first_leaf(&key_fold(f))
                .and_then(|l| crate::time::parse_ts(l.raw())),
            None => DEFAULT_TS_FIELDS.iter().find_map(|f| {
                ev.first_leaf(f)
                    .and_then(|l| crate::time::parse_ts(l.raw()))
            }),
        };
        ev
    }

    fn push_leaf(&mut self, raw: String, kind: LeafKind, path: &str, alias: Option<(usize, bool)>) {
        let folded = if needs_fold(&raw) {
            Some(fold(&raw))
        } else {
            None
        };
        let id = self.leaves.len() as u32;
        self.leaves.push(Leaf { raw, folded, kind });
        let key = key_fold(path);
        if let Some((start, underscore)) = alias {
            if let Some(a) = path.get(start..) {
                if !a.is_empty() {
                    let a = key_fold(a);
                    let a = if underscore { a.replace('.', "_") } else { a };
                    if a != key {
                        self.index.entry(a).or_default().push(id);
                    }
                }
            }
        }
        self.index.entry(key).or_default().push(id);
    }

    fn walk(&mut self, v: &Value, path: &mut String, alias: Option<(usize, bool)>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::Null => self.push_leaf(String::new(), LeafKind::Null, path, alias),
            Value::Bool(b) => self.push_leaf(b.to_string(), LeafKind::Bool, path, alias),
            Value::Number(n) => self.push_leaf(n.to_string(), LeafKind::Number, path, alias),
            Value::String(s) => self.push_leaf(s.clone(), LeafKind::String, path, alias),
            Value::Array(items) => {
                for it in items {
                    self.walk(it, path, alias, depth + 1);
                }
            }
            Value::Object(map) => {
                let base = path.len();
                for (k, child) in map {
                    // `#attributes` / `#text` add no name; `X_attributes`
                    // (separate-attributes layout) contributes to `X`.
                    let seg: &str = if k == "#attributes" || k == "#text" {
                        ""
                    } else if let Some(s) = k.strip_suffix("_attributes") {
                        s
                    } else {
                        k
                    };
                    if !seg.is_empty() {
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(seg);
                    }
                    let child_alias = match (depth, path.as_str()) {
                        (1, p) if p.eq_ignore_ascii_case("Event.System") => {
                            Some((path.len() + 1, true))
                        }
                        (1, p) if p.eq_ignore_ascii_case("Event.EventData") => {
                            Some((path.len() + 1, false))
                        }
                        (2, p)
                            if p.len() > 15
                                && p.get(..15)
                                    .is_some_and(|x| x.eq_ignore_ascii_case("Event.UserData.")) =>
                        {
                            Some((path.len() + 1, false))
                        }
                        _ => alias,
                    };
                    self.walk(child, path, child_alias, depth + 1);
                    path.truncate(base);
                }
            }
        }
    }

    pub(crate) fn first_leaf(&self, folded_key: &str) -> Option<&Leaf> {
        let ids = self.index.get(folded_key)?;
        ids.first().and_then(|i| self.leaves.get(*i as usize))
    }

    /// Leaves under a folded key.
    pub(crate) fn leaves_of(
        &self,
        folded_key: &str,
    ) -> Option<impl Iterator<Item = &Leaf> + Clone> {
        let ids = self.index.get(folded_key)?;
        Some(ids.iter().filter_map(|i| self.leaves.get(*i as usize)))
    }

    /// All leaves (for keyword search and the prefilter haystack).
    pub(crate) fn all_leaves(&self) -> &[Leaf] {
        &self.leaves
    }

    /// The value of a field by (case-insensitive) name: a dotted path or,
    /// for Windows records, a short Sigma name.
    pub fn field(&self, name: &str) -> Option<FieldValue> {
        let ids = self.index.get(&key_fold(name))?;
        let vals: Vec<FieldValue> = ids
            .iter()
            .filter_map(|i| self.leaves.get(*i as usize))
            .map(Leaf::to_value)
            .collect();
        match vals.len() {
            0 => None,
            1 => vals.into_iter().next(),
            _ => Some(FieldValue::List(vals)),
        }
    }

    /// Event time in microseconds since the Unix epoch, when known.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// Overrides the event time (microseconds since the Unix epoch).
    pub fn set_timestamp(&mut self, micros: Option<i64>) {
        self.timestamp = micros;
    }

    /// Names of all fields (folded), for diagnostics.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.index.keys().map(String::as_str)
    }

    /// The Windows channel, if this is a Windows record.
    pub(crate) fn channel(&self) -> Option<&str> {
        self.first_leaf("channel").map(Leaf::folded)
    }

    /// The Windows EventID, if numeric.
    pub(crate) fn event_id(&self) -> Option<u32> {
        self.first_leaf("eventid")
            .and_then(|l| l.raw().trim().parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn windows_flattening() {
        let ev = Event::from_json(json!({"Event": {
            "#attributes": {"xmlns": "x"},
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                "EventID": {"#attributes": {"Qualifiers": 0}, "#text": 4688},
                "Channel": "Security",
                "TimeCreated": {"#attributes": {"SystemTime": "2025-10-25T13:23:21.381915Z"}}
            },
            "EventData": {"NewProcessName": "C:\\A.exe", "Data": ["x", "y"]},
            "UserData": {"LogFileCleared": {"SubjectUserName": "bob"}}
        }}));
        assert_eq!(ev.field("EventID"), Some(FieldValue::Number("4688".into())));
        assert_eq!(ev.field("eventid"), Some(FieldValue::Number("4688".into())));
        assert_eq!(
            ev.field("Provider_Name")
                .and_then(|v| v.as_str().map(String::from)),
            Some("Microsoft-Windows-Sysmon".into())
        );
        assert!(ev.field("Event.System.Provider.Name").is_some());
        assert!(ev.field("NewProcessName").is_some());
        assert!(ev.field("SubjectUserName").is_some());
        assert!(matches!(ev.field("Data"), Some(FieldValue::List(_))));
        assert_eq!(ev.channel(), Some("security"));
        assert_eq!(ev.event_id(), Some(4688));
        assert_eq!(ev.timestamp(), Some(1_761_398_601_381_915));
    }

    #[test]
    fn separate_attributes_layout() {
        let ev = Event::from_json(json!({"Event": {"System": {
            "Provider_attributes": {"Name": "P"}, "EventID": 1}}}));
        assert!(ev.field("Provider_Name").is_some());
    }

    #[test]
    fn generic_nested_json() {
        let ev = Event::from_json(json!({"a": {"b": [1, {"c": null}]}, "@timestamp": 1700000000}));
        assert_eq!(ev.field("a.b"), Some(FieldValue::Number("1".into())));
        assert_eq!(ev.field("a.b.c"), Some(FieldValue::Null));
        assert_eq!(ev.timestamp(), Some(1_700_000_000_000_000));
    }
}
