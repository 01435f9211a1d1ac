//! The matching engine and the streaming hunter.
//!
//! `Engine::new` indexes detection rules by the (channel, EventID) targets
//! of their logsource and collects, per rule, a set of case-folded literals
//! of which at least one must occur in any event the rule matches. One
//! Aho-Corasick pass over an event's folded values marks the literals that
//! occur; a candidate rule whose literal set has no mark is skipped without
//! evaluation. The remaining rules run their compiled detection.

use crate::correlation::{CorrState, CorrelationType, Fired};
use crate::detection::Ctx;
use crate::event::{key_fold, Event, FxMap};
use crate::logsource::{LogSourceMap, Resolution};
use crate::rule::{Level, Rule, RuleKind};
use crate::ruleset::RuleSet;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Evaluate a rule only against events of its logsource (default true).
    /// When false every rule runs against every event.
    pub logsource_filter: bool,
    /// Logsource mapping (default: the built-in Windows mapping).
    pub logsource_map: Option<LogSourceMap>,
    /// Emit alerts for rules referenced by correlations even when the
    /// correlation says `generate: false` (default false, per the spec).
    pub always_emit_base_alerts: bool,
    /// Maximum fields in an alert's snapshot.
    pub snapshot_fields: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            logsource_filter: true,
            logsource_map: None,
            always_emit_base_alerts: false,
            snapshot_fields: 12,
        }
    }
}

/// Counts describing how the rules were indexed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EngineStats {
    /// Detection rules.
    pub detection_rules: usize,
    /// Correlation rules.
    pub correlation_rules: usize,
    /// Filter rules.
    pub filter_rules: usize,
    /// Detection rules bound to specific Windows channels/EventIDs.
    pub windows_targeted: usize,
    /// Detection rules for any Windows event.
    pub windows_any: usize,
    /// Detection rules only evaluated on non-Windows events (non-Windows
    /// products, or Windows logsources without a mapping).
    pub unmapped: usize,
    /// Detection rules with a literal prefilter.
    pub prefiltered: usize,
    /// Distinct prefilter literals.
    pub literals: usize,
}

/// A correlation result attached to an alert.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelationAlert {
    /// Correlation type.
    pub kind: CorrelationType,
    /// Group-by field values.
    pub group: Vec<(String, String)>,
    /// The counted value (events, distinct values, or rules seen).
    pub value: u64,
    /// Indices of the base events in the window.
    pub event_indices: Vec<u64>,
    /// Ids of the base rules that contributed.
    pub base_rule_ids: Vec<String>,
}

/// One detection or correlation hit.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    /// Rule id.
    pub rule_id: String,
    /// Rule title.
    pub rule_title: String,
    /// Severity.
    pub level: Level,
    /// Rule tags.
    pub tags: Vec<String>,
    /// Index of the (last) event in the stream.
    pub event_index: u64,
    /// Event time, microseconds since the Unix epoch.
    pub timestamp: Option<i64>,
    /// A small snapshot of the fields the rule looked at.
    pub fields: Vec<(String, String)>,
    /// Set for correlation alerts.
    pub correlation: Option<CorrelationAlert>,
}

impl Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Serialize for CorrelationType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The compiled rule index.
#[derive(Debug)]
pub struct Engine {
    set: RuleSet,
    map: LogSourceMap,
    filter_logsource: bool,
    by_target: FxMap<(String, u32), Vec<u32>>,
    by_channel: FxMap<String, Vec<u32>>,
    any_windows: Vec<u32>,
    unmapped: Vec<u32>,
    everything: Vec<u32>,
    all_detection: Vec<u32>,
    reqs: Vec<Option<Box<[u32]>>>,
    ac: Option<AhoCorasick>,
    n_literals: usize,
    /// Correlations: (rule index, referenced rule indices).
    correlations: Vec<(usize, Vec<usize>)>,
    /// Base rule index -> (correlation position, reference position).
    feeds: FxMap<usize, Vec<(usize, usize)>>,
    suppressed: Vec<bool>,
    snapshot_fields: usize,
    stats: EngineStats,
}

fn resolve_ref(rules: &[Rule], r: &str) -> Option<usize> {
    rules
        .iter()
        .position(|x| x.id == r || x.name.as_deref() == Some(r))
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or("")),
        None => s.to_string(),
    }
}

impl Engine {
    /// Builds an engine with default options.
    pub fn new(set: RuleSet) -> Engine {
        Self::with_options(set, EngineOptions::default())
    }

    /// Builds an engine.
    pub fn with_options(set: RuleSet, opts: EngineOptions) -> Engine {
        // The built-in mapping is covered by a unit test; an empty mapping
        // is the safe fallback (Windows rules then only match unfiltered).
        let map = opts
            .logsource_map
            .or_else(|| LogSourceMap::builtin().ok())
            .unwrap_or_else(LogSourceMap::empty);
        let rules = set.rules();
        let mut stats = EngineStats::default();
        let mut by_target: FxMap<(String, u32), Vec<u32>> = FxMap::default();
        let mut by_channel: FxMap<String, Vec<u32>> = FxMap::default();
        let (mut any_windows, mut unmapped, mut everything, mut all_detection) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut reqs: Vec<Option<Box<[u32]>>> = vec![None; rules.len()];
        let mut lit_ids: FxMap<String, u32> = FxMap::default();
        let mut literals: Vec<String> = Vec::new();
        let mut correlations = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let idx = i as u32;
            match &r.kind {
                RuleKind::Filter(_) => stats.filter_rules += 1,
                RuleKind::Correlation(c) => {
                    stats.correlation_rules += 1;
                    let refs: Vec<usize> = c
                        .rules
                        .iter()
                        .filter_map(|x| resolve_ref(rules, x))
                        .collect();
                    if refs.len() == c.rules.len() {
                        correlations.push((i, refs));
                    }
                }
                RuleKind::Detection => {
                    let Some(det) = &r.detection else { continue };
                    stats.detection_rules += 1;
                    all_detection.push(idx);
                    match map.resolve(&r.logsource) {
                        Resolution::Targets(ts) => {
                            stats.windows_targeted += 1;
                            let any_ch: Vec<&String> = ts
                                .iter()
                                .filter(|(_, e)| e.is_none())
                                .map(|(c, _)| c)
                                .collect();
                            for (ch, eid) in &ts {
                                match eid {
                                    None => {
                                        push_unique(by_channel.entry(ch.clone()).or_default(), idx)
                                    }
                                    Some(e) if !any_ch.contains(&ch) => push_unique(
                                        by_target.entry((ch.clone(), *e)).or_default(),
                                        idx,
                                    ),
                                    Some(_) => {}
                                }
                            }
                        }
                        Resolution::AnyWindows => {
                            stats.windows_any += 1;
                            any_windows.push(idx);
                        }
                        Resolution::Unmapped => {
                            stats.unmapped += 1;
                            unmapped.push(idx);
                        }
                        Resolution::Everything => everything.push(idx),
                    }
                    // A filter can only narrow a rule, so the rule's own
                    // literals remain necessary.
                    if let Some(req) = det.requirement() {
                        let ids: Vec<u32> = req
                            .into_iter()
                            .map(|l| {
                                let next = literals.len() as u32;
                                *lit_ids.entry(l.clone()).or_insert_with(|| {
                                    literals.push(l);
                                    next
                                })
                            })
                            .collect();
                        if let Some(slot) = reqs.get_mut(i) {
                            *slot = Some(ids.into_boxed_slice());
                        }
                        stats.prefiltered += 1;
                    }
                }
            }
        }
        stats.literals = literals.len();
        let ac = if literals.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&literals)
                .ok()
        };
        if ac.is_none() {
            // Without an automaton every rule must be evaluated.
            reqs.iter_mut().for_each(|r| *r = None);
        }
        let mut feeds: FxMap<usize, Vec<(usize, usize)>> = FxMap::default();
        let mut suppressed = vec![false; rules.len()];
        for (cpos, (ci, refs)) in correlations.iter().enumerate() {
            let generate = match rules.get(*ci).map(|r| &r.kind) {
                Some(RuleKind::Correlation(c)) => c.generate,
                _ => true,
            };
            for (rpos, r) in refs.iter().enumerate() {
                feeds.entry(*r).or_default().push((cpos, rpos));
                if !generate && !opts.always_emit_base_alerts {
                    if let Some(s) = suppressed.get_mut(*r) {
                        *s = true;
                    }
                }
            }
        }
        Engine {
            map,
            filter_logsource: opts.logsource_filter,
            by_target,
            by_channel,
            any_windows,
            unmapped,
            everything,
            all_detection,
            reqs,
            ac,
            n_literals: literals.len(),
            correlations,
            feeds,
            suppressed,
            snapshot_fields: opts.snapshot_fields,
            stats,
            set,
        }
    }

    /// The rules.
    pub fn rules(&self) -> &RuleSet {
        &self.set
    }

    /// Indexing statistics.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// Rules whose detection matches the event.
    pub fn matches(&self, event: &Event) -> Vec<&Rule> {
        self.match_indices(event)
            .into_iter()
            .filter_map(|i| self.set.rules().get(i))
            .collect()
    }

    /// Indices (into `rules().rules()`) of matching detection rules.
    pub fn match_indices(&self, event: &Event) -> Vec<usize> {
        let channel = event.channel();
        let eid = event.event_id();
        let lists: [&[u32]; 4] = if !self.filter_logsource {
            [&self.all_detection, &[], &[], &[]]
        } else if let Some(ch) = channel {
            let t = eid
                .and_then(|e| self.by_target.get(&(ch.to_string(), e)))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let c = self.by_channel.get(ch).map(Vec::as_slice).unwrap_or(&[]);
            [t, c, &self.any_windows, &self.everything]
        } else {
            [&self.unmapped, &self.everything, &[], &[]]
        };
        let aliases = match (channel, eid) {
            (Some(ch), Some(e)) => self.map.aliases.get(&(ch.to_string(), e)),
            _ => None,
        };
        let ctx = Ctx { event, aliases };
        let mut hits: Option<Vec<u64>> = None;
        let mut out = Vec::new();
        let rules = self.set.rules();
        for &idx in lists.iter().flat_map(|l| l.iter()) {
            let i = idx as usize;
            if let Some(Some(req)) = self.reqs.get(i) {
                let bits = hits.get_or_insert_with(|| self.scan(event));
                let present = req.iter().any(|l| {
                    bits.get(*l as usize / 64)
                        .is_some_and(|w| w & (1u64 << (l % 64)) != 0)
                });
                if !present {
                    continue;
                }
            }
            let Some(rule) = rules.get(i) else { continue };
            let Some(det) = &rule.detection else { continue };
            if det.matches(&ctx) && rule.filters.iter().all(|f| f.matches(&ctx)) {
                out.push(i);
            }
        }
        out
    }

    /// Marks which prefilter literals occur in the event's folded values.
    fn scan(&self, event: &Event) -> Vec<u64> {
        let mut bits = vec![0u64; self.n_literals.div_ceil(64)];
        let Some(ac) = &self.ac else { return bits };
        let leaves = event.all_leaves();
        let mut hay = String::with_capacity(leaves.iter().map(|l| l.folded().len() + 1).sum());
        for l in leaves {
            hay.push_str(l.folded());
            // A separator no literal contains keeps matches inside a value.
            hay.push('\u{0}');
        }
        for m in ac.find_overlapping_iter(&hay) {
            let p = m.pattern().as_usize();
            if let Some(w) = bits.get_mut(p / 64) {
                *w |= 1u64 << (p % 64);
            }
        }
        bits
    }

    fn snapshot(&self, rule: &Rule, ctx_event: &Event) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for f in rule.detection_fields().iter().chain(rule.fields.iter()) {
            if out.len() >= self.snapshot_fields {
                break;
            }
            if out.iter().any(|(n, _): &(String, String)| n == f) {
                continue;
            }
            if let Some(v) = first_value(ctx_event, f) {
                out.push((f.clone(), truncate(&v, 256)));
            }
        }
        out
    }
}

fn push_unique(v: &mut Vec<u32>, x: u32) {
    if v.last() != Some(&x) && !v.contains(&x) {
        v.push(x);
    }
}

fn first_value(ev: &Event, name: &str) -> Option<String> {
    ev.first_leaf(&key_fold(name)).map(|l| l.raw().to_string())
}

/// Streaming evaluation: detection alerts plus stateful correlations over a
/// time-ordered event stream.
#[derive(Debug)]
pub struct Hunter<'e> {
    engine: &'e Engine,
    next_index: u64,
    states: Vec<CorrState>,
}

impl<'e> Hunter<'e> {
    /// A hunter with fresh correlation state.
    pub fn new(engine: &'e Engine) -> Self {
        let rules = engine.set.rules();
        let states = engine
            .correlations
            .iter()
            .filter_map(|(ci, refs)| match rules.get(*ci).map(|r| &r.kind) {
                Some(RuleKind::Correlation(c)) => Some(CorrState::new(c.clone(), refs.clone())),
                _ => None,
            })
            .collect();
        Hunter {
            engine,
            next_index: 0,
            states,
        }
    }

    /// Number of events processed.
    pub fn events_seen(&self) -> u64 {
        self.next_index
    }

    /// Processes the next event; returns its detection alerts and any
    /// correlation alerts it completes.
    pub fn process(&mut self, event: &Event) -> Vec<Alert> {
        let idx = self.next_index;
        self.next_index += 1;
        let engine = self.engine;
        let rules = engine.set.rules();
        let mut alerts = Vec::new();
        let matched = engine.match_indices(event);
        let mut work: Vec<(usize, u32)> = Vec::new();
        for &r in &matched {
            let Some(rule) = rules.get(r) else { continue };
            if !engine.suppressed.get(r).copied().unwrap_or(false) {
                alerts.push(Alert {
                    rule_id: rule.id.clone(),
                    rule_title: rule.title.clone(),
                    level: rule.level,
                    tags: rule.tags.clone(),
                    event_index: idx,
                    timestamp: event.timestamp(),
                    fields: engine.snapshot(rule, event),
                    correlation: None,
                });
            }
            work.push((r, 0));
        }
        // Correlations may reference correlations; the depth cap stops cycles.
        while let Some((r, depth)) = work.pop() {
            let Some(feeds) = engine.feeds.get(&r) else {
                continue;
            };
            if depth > 8 {
                continue;
            }
            for &(cpos, rpos) in feeds {
                let Some(state) = self.states.get_mut(cpos) else {
                    continue;
                };
                let base = rules.get(r);
                let key: Vec<String> = state
                    .spec
                    .group_by
                    .iter()
                    .map(|g| {
                        let f = field_for(&state.spec, g, base);
                        first_value(event, &f).unwrap_or_default()
                    })
                    .collect();
                let value = state
                    .spec
                    .field
                    .as_ref()
                    .and_then(|f| first_value(event, &field_for(&state.spec, f, base)));
                let ts = event.timestamp().unwrap_or(0);
                if let Some(fired) = state.on_match(rpos, ts, idx, key, value) {
                    let ci = engine.correlations.get(cpos).map(|c| c.0);
                    if let Some(a) = ci.and_then(|ci| corr_alert(rules, ci, idx, fired)) {
                        alerts.push(a);
                        if let Some(ci) = ci {
                            work.push((ci, depth + 1));
                        }
                    }
                }
            }
        }
        alerts
    }

    /// Ends the stream: closes open correlation windows.
    pub fn finish(&mut self) -> Vec<Alert> {
        let rules = self.engine.set.rules();
        let mut out = Vec::new();
        for (cpos, st) in self.states.iter_mut().enumerate() {
            let Some(ci) = self.engine.correlations.get(cpos).map(|c| c.0) else {
                continue;
            };
            for f in st.finish() {
                let idx = f.event_indices.last().copied().unwrap_or(0);
                if let Some(a) = corr_alert(rules, ci, idx, f) {
                    out.push(a);
                }
            }
        }
        out
    }
}

/// Resolves a correlation field name (possibly an alias) for a base rule.
fn field_for(spec: &crate::correlation::Correlation, name: &str, base: Option<&Rule>) -> String {
    if let (Some(per), Some(b)) = (spec.aliases.get(name), base) {
        if let Some(f) = per
            .get(&b.id)
            .or_else(|| b.name.as_ref().and_then(|n| per.get(n)))
        {
            return f.clone();
        }
    }
    name.to_string()
}

fn corr_alert(rules: &[Rule], ci: usize, idx: u64, f: Fired) -> Option<Alert> {
    let rule = rules.get(ci)?;
    let RuleKind::Correlation(c) = &rule.kind else {
        return None;
    };
    Some(Alert {
        rule_id: rule.id.clone(),
        rule_title: rule.title.clone(),
        level: rule.level,
        tags: rule.tags.clone(),
        event_index: idx,
        timestamp: Some(f.ts),
        fields: f.group.clone(),
        correlation: Some(CorrelationAlert {
            kind: c.kind,
            group: f.group,
            value: f.value,
            event_indices: f.event_indices,
            base_rule_ids: f
                .base_rules
                .iter()
                .filter_map(|i| rules.get(*i))
                .map(|r| r.id.clone())
                .collect(),
        }),
    })
}
