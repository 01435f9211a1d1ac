//! Sigma correlation rules (spec v2): `event_count`, `value_count`,
//! `temporal`, `temporal_ordered`.
//!
//! State is kept per correlation and per group-by key as a time-ordered
//! queue of base matches. Lower-bounded conditions (`gte`, `gt`) are checked
//! on every arrival over a sliding window and the group is reset after an
//! alert, so one burst yields one alert. Upper-bounded conditions (`lt`,
//! `lte`, `eq`) can only be decided once a window is over, so they use
//! tumbling windows closed by a later event of the group or by `finish`.

use crate::error::LoadErrorKind;
use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Correlation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationType {
    /// Count of matching events.
    EventCount,
    /// Count of distinct values of a field.
    ValueCount,
    /// All referenced rules matched within the timespan (any order).
    Temporal,
    /// All referenced rules matched within the timespan, in order.
    TemporalOrdered,
}

impl CorrelationType {
    /// Sigma name.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// A comparison in a correlation `condition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountOp {
    /// `gt`.
    Gt,
    /// `gte`.
    Gte,
    /// `lt`.
    Lt,
    /// `lte`.
    Lte,
    /// `eq`.
    Eq,
}

impl CountOp {
    fn test(self, v: u64, n: u64) -> bool {
        match self {
            CountOp::Gt => v > n,
            CountOp::Gte => v >= n,
            CountOp::Lt => v < n,
            CountOp::Lte => v <= n,
            CountOp::Eq => v == n,
        }
    }
}

/// A parsed correlation section.
#[derive(Debug, Clone)]
pub struct Correlation {
    /// Type.
    pub kind: CorrelationType,
    /// Referenced rules (ids or names).
    pub rules: Vec<String>,
    /// Group-by fields (may be aliases).
    pub group_by: Vec<String>,
    /// Window length in microseconds.
    pub timespan_us: i64,
    /// Conditions, all of which must hold.
    pub condition: Vec<(CountOp, u64)>,
    /// Field counted by `value_count`.
    pub field: Option<String>,
    /// Whether referenced rules still produce their own alerts.
    pub generate: bool,
    /// `aliases`: alias name -> (rule id/name -> field).
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
}

fn ystr(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn ylist(v: Option<&Yaml>) -> Result<Vec<String>, LoadErrorKind> {
    match v {
        None | Some(Yaml::Null) => Ok(Vec::new()),
        Some(Yaml::Sequence(s)) => s
            .iter()
            .map(|x| {
                ystr(x)
                    .ok_or_else(|| LoadErrorKind::BadReference("list of strings expected".into()))
            })
            .collect(),
        Some(x) => ystr(x)
            .map(|s| vec![s])
            .ok_or_else(|| LoadErrorKind::BadReference("list of strings expected".into())),
    }
}

impl Correlation {
    pub(crate) fn parse(v: &Yaml) -> Result<Correlation, LoadErrorKind> {
        let bad = |m: &str| LoadErrorKind::BadReference(m.to_string());
        let Yaml::Mapping(m) = v else {
            return Err(bad("`correlation` must be a mapping"));
        };
        let g = |k: &str| m.get(Yaml::String(k.into()));
        let kind = match g("type").and_then(ystr).as_deref() {
            Some("event_count") => CorrelationType::EventCount,
            Some("value_count") => CorrelationType::ValueCount,
            Some("temporal") => CorrelationType::Temporal,
            Some("temporal_ordered") => CorrelationType::TemporalOrdered,
            Some(t) => {
                return Err(LoadErrorKind::Unsupported(format!(
                    "correlation type `{t}`"
                )))
            }
            None => return Err(bad("missing correlation `type`")),
        };
        let rules = ylist(g("rules"))?;
        if rules.is_empty() {
            return Err(bad("correlation without `rules`"));
        }
        let group_by = ylist(g("group-by"))?;
        let timespan_us = g("timespan")
            .and_then(ystr)
            .and_then(|t| crate::time::parse_timespan(&t))
            .ok_or_else(|| bad("missing or bad `timespan`"))?;
        let mut condition = Vec::new();
        let mut field = None;
        match g("condition") {
            None | Some(Yaml::Null) => {}
            Some(Yaml::Mapping(c)) => {
                for (k, v) in c {
                    let k = ystr(k).unwrap_or_default();
                    if k == "field" {
                        field = ystr(v);
                        continue;
                    }
                    let op = match k.as_str() {
                        "gt" => CountOp::Gt,
                        "gte" => CountOp::Gte,
                        "lt" => CountOp::Lt,
                        "lte" => CountOp::Lte,
                        "eq" => CountOp::Eq,
                        other => return Err(bad(&format!("unknown condition operator `{other}`"))),
                    };
                    let n = match v {
                        Yaml::Number(n) => n.as_u64(),
                        Yaml::String(s) => s.trim().parse().ok(),
                        _ => None,
                    }
                    .ok_or_else(|| bad("condition threshold must be a non-negative integer"))?;
                    condition.push((op, n));
                }
            }
            Some(_) => return Err(bad("`condition` must be a mapping")),
        }
        match kind {
            CorrelationType::EventCount | CorrelationType::ValueCount if condition.is_empty() => {
                return Err(bad("count correlation without condition"))
            }
            CorrelationType::ValueCount if field.is_none() => {
                return Err(bad("value_count without condition.field"))
            }
            CorrelationType::Temporal | CorrelationType::TemporalOrdered
                if condition.is_empty() =>
            {
                condition.push((CountOp::Gte, rules.len() as u64));
            }
            _ => {}
        }
        let generate = matches!(g("generate"), Some(Yaml::Bool(true)));
        let mut aliases = BTreeMap::new();
        if let Some(Yaml::Mapping(a)) = g("aliases") {
            for (k, v) in a {
                let (Some(name), Yaml::Mapping(per)) = (ystr(k), v) else {
                    return Err(bad("bad `aliases`"));
                };
                let mut map = BTreeMap::new();
                for (r, f) in per {
                    if let (Some(r), Some(f)) = (ystr(r), ystr(f)) {
                        map.insert(r, f);
                    }
                }
                aliases.insert(name, map);
            }
        }
        Ok(Correlation {
            kind,
            rules,
            group_by,
            timespan_us,
            condition,
            field,
            generate,
            aliases,
        })
    }

    fn upper_bounded(&self) -> bool {
        self.condition
            .iter()
            .any(|(op, _)| matches!(op, CountOp::Lt | CountOp::Lte | CountOp::Eq))
    }
}

/// One base match fed to the correlation state.
#[derive(Debug, Clone)]
struct Hit {
    ts: i64,
    event_index: u64,
    ref_pos: usize,
    value: Option<String>,
}

#[derive(Debug, Default)]
struct Group {
    hits: VecDeque<Hit>,
}

/// A fired correlation, before it is turned into an alert.
#[derive(Debug, Clone)]
pub(crate) struct Fired {
    pub(crate) group: Vec<(String, String)>,
    pub(crate) event_indices: Vec<u64>,
    pub(crate) base_rules: Vec<usize>,
    pub(crate) value: u64,
    pub(crate) ts: i64,
}

/// Runtime state of one correlation rule.
#[derive(Debug)]
pub(crate) struct CorrState {
    pub(crate) spec: Correlation,
    /// Rule indices of the referenced rules, by position in `spec.rules`.
    pub(crate) refs: Vec<usize>,
    groups: HashMap<Vec<String>, Group>,
}

/// Bound on retained hits per group, so a flood cannot exhaust memory.
const MAX_HITS_PER_GROUP: usize = 100_000;

impl CorrState {
    pub(crate) fn new(spec: Correlation, refs: Vec<usize>) -> Self {
        CorrState {
            spec,
            refs,
            groups: HashMap::new(),
        }
    }

    /// Records a match of the referenced rule at `ref_pos`. `get` returns a
    /// field value of the matching event, already resolved for aliases by
    /// the caller.
    pub(crate) fn on_match(
        &mut self,
        ref_pos: usize,
        ts: i64,
        event_index: u64,
        key: Vec<String>,
        value: Option<String>,
    ) -> Option<Fired> {
        let span = self.spec.timespan_us;
        let upper = self.spec.upper_bounded();
        let mut fired = None;
        let group = self.groups.entry(key.clone()).or_default();
        if upper {
            // Tumbling window: close the previous one if this hit is past it.
            if let Some(first) = group.hits.front() {
                if ts.saturating_sub(first.ts) > span {
                    fired = evaluate(&self.spec, &self.refs, &key, &group.hits);
                    group.hits.clear();
                }
            }
        } else {
            while group
                .hits
                .front()
                .is_some_and(|h| ts.saturating_sub(h.ts) > span)
            {
                group.hits.pop_front();
            }
        }
        if group.hits.len() >= MAX_HITS_PER_GROUP {
            group.hits.pop_front();
        }
        group.hits.push_back(Hit {
            ts,
            event_index,
            ref_pos,
            value,
        });
        if !upper {
            fired = evaluate(&self.spec, &self.refs, &key, &group.hits);
            if fired.is_some() {
                group.hits.clear();
            }
        }
        fired
    }

    /// Closes all open windows (end of stream).
    pub(crate) fn finish(&mut self) -> Vec<Fired> {
        if !self.spec.upper_bounded() {
            self.groups.clear();
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut keys: Vec<Vec<String>> = self.groups.keys().cloned().collect();
        keys.sort();
        for k in keys {
            if let Some(g) = self.groups.remove(&k) {
                if let Some(f) = evaluate(&self.spec, &self.refs, &k, &g.hits) {
                    out.push(f);
                }
            }
        }
        out
    }
}

fn evaluate(
    spec: &Correlation,
    refs: &[usize],
    key: &[String],
    hits: &VecDeque<Hit>,
) -> Option<Fired> {
    if hits.is_empty() {
        return None;
    }
    let value = match spec.kind {
        CorrelationType::EventCount => hits.len() as u64,
        CorrelationType::ValueCount => {
            let mut seen: Vec<&str> = hits.iter().filter_map(|h| h.value.as_deref()).collect();
            seen.sort_unstable();
            seen.dedup();
            seen.len() as u64
        }
        CorrelationType::Temporal => {
            let mut seen = vec![false; spec.rules.len()];
            for h in hits {
                if let Some(s) = seen.get_mut(h.ref_pos) {
                    *s = true;
                }
            }
            seen.iter().filter(|s| **s).count() as u64
        }
        CorrelationType::TemporalOrdered => {
            // Longest prefix of the rule list seen in order.
            let mut next = 0usize;
            for h in hits {
                if h.ref_pos == next {
                    next += 1;
                }
            }
            next as u64
        }
    };
    if !spec.condition.iter().all(|(op, n)| op.test(value, *n)) {
        return None;
    }
    let mut base_rules: Vec<usize> = hits
        .iter()
        .filter_map(|h| refs.get(h.ref_pos).copied())
        .collect();
    base_rules.sort_unstable();
    base_rules.dedup();
    Some(Fired {
        group: spec
            .group_by
            .iter()
            .cloned()
            .zip(key.iter().cloned())
            .collect(),
        event_indices: hits.iter().map(|h| h.event_index).collect(),
        base_rules,
        value,
        ts: hits.back().map(|h| h.ts).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(y: &str) -> Correlation {
        let v: Yaml = serde_yaml::from_str(y).unwrap_or(Yaml::Null);
        match Correlation::parse(&v) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn event_count_sliding() {
        let c = spec(
            "type: event_count\nrules: [a]\ngroup-by: [User]\ntimespan: 10s\ncondition: {gte: 3}",
        );
        let mut st = CorrState::new(c, vec![0]);
        let k = vec!["bob".to_string()];
        assert!(st.on_match(0, 0, 0, k.clone(), None).is_none());
        assert!(st.on_match(0, 20_000_000, 1, k.clone(), None).is_none());
        assert!(st.on_match(0, 21_000_000, 2, k.clone(), None).is_none());
        let f = st.on_match(0, 22_000_000, 3, k, None);
        assert_eq!(f.map(|f| f.event_indices), Some(vec![1, 2, 3]));
    }

    #[test]
    fn value_count_and_temporal() {
        let c =
            spec("type: value_count\nrules: [a]\ntimespan: 1m\ncondition: {gt: 1, field: Host}");
        let mut st = CorrState::new(c, vec![0]);
        assert!(st.on_match(0, 0, 0, vec![], Some("h1".into())).is_none());
        assert!(st.on_match(0, 1, 1, vec![], Some("h1".into())).is_none());
        assert!(st.on_match(0, 2, 2, vec![], Some("h2".into())).is_some());

        let c = spec("type: temporal_ordered\nrules: [a, b]\ntimespan: 1m");
        let mut st = CorrState::new(c, vec![0, 1]);
        assert!(st.on_match(1, 0, 0, vec![], None).is_none());
        assert!(st.on_match(0, 1, 1, vec![], None).is_none());
        assert!(st.on_match(1, 2, 2, vec![], None).is_some());

        let c = spec("type: temporal\nrules: [a, b]\ntimespan: 1m");
        let mut st = CorrState::new(c, vec![0, 1]);
        assert!(st.on_match(1, 0, 0, vec![], None).is_none());
        assert!(st.on_match(0, 1, 1, vec![], None).is_some());
    }

    #[test]
    fn upper_bound_uses_tumbling_windows() {
        let c = spec("type: event_count\nrules: [a]\ntimespan: 10s\ncondition: {lt: 3}");
        let mut st = CorrState::new(c, vec![0]);
        assert!(st.on_match(0, 0, 0, vec![], None).is_none());
        let f = st.on_match(0, 20_000_000, 1, vec![], None);
        assert_eq!(f.map(|f| f.value), Some(1));
        assert_eq!(st.finish().len(), 1);
    }

    #[test]
    fn parse_errors() {
        let bad = |y: &str| {
            Correlation::parse(&serde_yaml::from_str::<Yaml>(y).unwrap_or(Yaml::Null)).is_err()
        };
        assert!(bad("type: event_count\nrules: [a]\ntimespan: 1m"));
        assert!(bad(
            "type: nope\nrules: [a]\ntimespan: 1m\ncondition: {gte: 1}"
        ));
        assert!(bad(
            "type: value_count\nrules: [a]\ntimespan: 1m\ncondition: {gte: 1}"
        ));
        assert!(bad("type: temporal\nrules: [a]\ntimespan: soon"));
    }
}
