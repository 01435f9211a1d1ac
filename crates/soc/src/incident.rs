//! Aggregation: alerts linked through shared entities within a time window
//! become one incident, with an entity/attack graph, ATT&CK and OWASP LLM
//! Top 10 mappings and a timeline.
//!
//! Linking is single-linkage over time: an alert joins the incident of any
//! earlier alert that shares a linking entity (host, user, client address,
//! API key, file hash, MCP server) or the same log file, and happened at
//! most `window` before it.
//! Descriptive entities (process images, models) never link, because they
//! are shared by unrelated activity everywhere.

use crate::alert::{tactics, techniques, Alert, Entity, EntityKind, Level};
use crate::triage::{Triage, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A triaged alert.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Judged {
    /// The alert.
    #[serde(flatten)]
    pub alert: Alert,
    /// Its triage.
    pub triage: Triage,
}

/// A graph node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Node {
    /// Unique id (`alert:<id>`, `host:<name>`, …).
    pub id: String,
    /// `alert` or an entity kind.
    pub kind: String,
    /// For people.
    pub label: String,
}

/// A graph edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edge {
    /// Node id.
    pub from: String,
    /// Node id.
    pub to: String,
    /// `involves`, `spawned`, `active_on`, `precedes`.
    pub kind: String,
}

/// The entity/attack graph of an incident.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Graph {
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Edges.
    pub edges: Vec<Edge>,
}

impl Graph {
    /// Graphviz DOT.
    pub fn to_dot(&self, name: &str) -> String {
        let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let mut o = format!(
            "digraph \"{}\" {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
            esc(name)
        );
        for n in &self.nodes {
            let shape = match n.kind.as_str() {
                "alert" => "box",
                "host" => "component",
                "user" => "ellipse",
                "process" => "cds",
                _ => "oval",
            };
            o.push_str(&format!(
                "  \"{}\" [label=\"{}\", shape={shape}];\n",
                esc(&n.id),
                esc(&n.label)
            ));
        }
        for e in &self.edges {
            o.push_str(&format!(
                "  \"{}\" -> \"{}\" [label=\"{}\"];\n",
                esc(&e.from),
                esc(&e.to),
                esc(&e.kind)
            ));
        }
        o.push_str("}\n");
        o
    }
}

/// One incident.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Incident {
    /// Stable id (from its first alert).
    pub id: String,
    /// One line.
    pub title: String,
    /// The highest level among its true-positive or needs-review alerts
    /// (raised one step when it spans three or more tactics).
    pub severity: Level,
    /// Overall verdict: true positive if any alert is, else needs review
    /// if any is, else benign.
    pub verdict: Verdict,
    /// First and last alert time.
    pub first_ms: i64,
    /// Last alert time.
    pub last_ms: i64,
    /// Its alerts in time order.
    pub alerts: Vec<Judged>,
    /// Entities with how many alerts name each.
    pub entities: BTreeMap<String, usize>,
    /// ATT&CK techniques.
    pub techniques: Vec<String>,
    /// ATT&CK tactics.
    pub tactics: Vec<String>,
    /// OWASP LLM Top 10 (2025) ids.
    pub owasp_llm: Vec<String>,
    /// The graph.
    pub graph: Graph,
    /// Distinct rules that fired.
    pub rules: Vec<String>,
    /// Source files or feeds.
    pub sources: Vec<String>,
}

/// OWASP LLM Top 10 (2025) ids from tags (`owasp.llm01`) and Palisade
/// categories named in the event (`category` field).
pub fn owasp_llm(a: &Alert) -> Vec<String> {
    let mut out: BTreeSet<String> = a
        .tags
        .iter()
        .filter_map(|t| t.strip_prefix("owasp.llm"))
        .map(|n| format!("LLM{}", n.to_ascii_uppercase()))
        .collect();
    for cat in a
        .fields
        .get("category")
        .into_iter()
        .chain(a.fields.get("categories"))
    {
        for c in cat.split([',', ' ']).filter(|c| !c.is_empty()) {
            let id = match c {
                "prompt_injection" | "jailbreak" | "indirect_injection" | "tool_poisoning" => {
                    "LLM01"
                }
                "sensitive_data" | "secret" | "pii" => "LLM02",
                "supply_chain" | "malicious_model" => "LLM03",
                "memory_poisoning" | "data_poisoning" => "LLM04",
                "unsafe_output" | "malicious_url" => "LLM05",
                "excessive_agency" => "LLM06",
                "system_prompt_leak" | "system_prompt_extraction" | "prompt_leak" => "LLM07",
                "unbounded_consumption" | "rate_limit" => "LLM10",
                _ => continue,
            };
            out.insert(id.to_string());
        }
    }
    out.into_iter().collect()
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, i: usize) -> usize {
        let mut r = i;
        while let Some(&p) = self.0.get(r) {
            if p == r {
                break;
            }
            r = p;
        }
        // Path compression keeps later finds short.
        let mut c = i;
        while let Some(&p) = self.0.get(c) {
            if p == r {
                break;
            }
            if let Some(slot) = self.0.get_mut(c) {
                *slot = r;
            }
            c = p;
        }
        r
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            if let Some(slot) = self.0.get_mut(hi) {
                *slot = lo;
            }
        }
    }
}

/// Groups triaged alerts into incidents. Alerts judged benign or false
/// positive still join (they are context) but do not make an incident on
/// their own.
pub fn group(mut alerts: Vec<Judged>, window_ms: i64) -> Vec<Incident> {
    alerts.sort_by(|a, b| {
        a.alert
            .time_ms
            .cmp(&b.alert.time_ms)
            .then(a.alert.id.cmp(&b.alert.id))
    });
    let mut uf = UnionFind((0..alerts.len()).collect());
    let mut last_seen: HashMap<String, (usize, i64)> = HashMap::new();
    for (i, j) in alerts.iter().enumerate() {
        let mut keys: Vec<String> = j
            .alert
            .entities
            .iter()
            .filter(|e| e.kind.links())
            .map(|e| format!("{}:{}", e.kind.as_str(), e.value))
            .collect();
        // One log file is one collection from one place: alerts from it
        // that are close in time belong together even when their events
        // name different hosts (a DC and the workstation that attacked
        // it). Live feeds (the gateway) are shared by everything, so
        // there only entities link.
        if !matches!(j.alert.file.as_str(), "gateway" | "-" | "") {
            keys.push(format!("source:{}", j.alert.file));
        }
        for key in keys {
            if let Some(&(k, t)) = last_seen.get(&key) {
                if j.alert.time_ms - t <= window_ms {
                    uf.union(i, k);
                }
            }
            last_seen.insert(key, (i, j.alert.time_ms));
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..alerts.len() {
        groups.entry(uf.find(i)).or_default().push(i);
    }
    let mut out = Vec::new();
    for (_, idx) in groups {
        let members: Vec<Judged> = idx.iter().filter_map(|&i| alerts.get(i).cloned()).collect();
        let actionable = members.iter().any(|m| {
            matches!(
                m.triage.verdict,
                Verdict::TruePositive | Verdict::NeedsReview
            )
        });
        if !actionable {
            continue;
        }
        out.push(build(members));
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_ms.cmp(&b.first_ms))
    });
    out
}

fn node_id(e: &Entity) -> String {
    format!("{}:{}", e.kind.as_str(), e.value)
}

fn build(alerts: Vec<Judged>) -> Incident {
    let first = alerts.first().map(|a| a.alert.time_ms).unwrap_or(0);
    let last = alerts.last().map(|a| a.alert.time_ms).unwrap_or(0);
    let id = alerts
        .first()
        .map(|a| format!("inc-{}", a.alert.id.trim_start_matches("al-")))
        .unwrap_or_else(|| "inc-empty".into());
    let live: Vec<&Judged> = alerts
        .iter()
        .filter(|a| {
            matches!(
                a.triage.verdict,
                Verdict::TruePositive | Verdict::NeedsReview
            )
        })
        .collect();
    let all_tags: Vec<String> = alerts.iter().flat_map(|a| a.alert.tags.clone()).collect();
    let techniques = techniques(&all_tags);
    let tactics = tactics(&all_tags);
    let mut severity = live.iter().map(|a| a.alert.level).max().unwrap_or_default();
    if tactics.len() >= 3 && severity < Level::Critical {
        severity = match severity {
            Level::Informational => Level::Low,
            Level::Low => Level::Medium,
            Level::Medium => Level::High,
            _ => Level::Critical,
        };
    }
    let verdict = if live
        .iter()
        .any(|a| a.triage.verdict == Verdict::TruePositive)
    {
        Verdict::TruePositive
    } else if live.is_empty() {
        Verdict::Benign
    } else {
        Verdict::NeedsReview
    };
    let mut entities: BTreeMap<String, usize> = BTreeMap::new();
    let mut graph = Graph::default();
    let mut nodes: BTreeSet<Node> = BTreeSet::new();
    let mut edges: BTreeSet<Edge> = BTreeSet::new();
    let mut prev_alert: Option<String> = None;
    for j in &alerts {
        let a = &j.alert;
        let aid = format!("alert:{}", a.id);
        nodes.insert(Node {
            id: aid.clone(),
            kind: "alert".into(),
            label: format!("{} [{}]", a.rule_title, a.level),
        });
        if let Some(p) = prev_alert.replace(aid.clone()) {
            edges.insert(Edge {
                from: p,
                to: aid.clone(),
                kind: "precedes".into(),
            });
        }
        for e in &a.entities {
            *entities.entry(node_id(e)).or_default() += 1;
            nodes.insert(Node {
                id: node_id(e),
                kind: e.kind.as_str().into(),
                label: e.value.clone(),
            });
            edges.insert(Edge {
                from: aid.clone(),
                to: node_id(e),
                kind: "involves".into(),
            });
        }
        let parent = a.fields.get("ParentImage").map(|v| v.to_ascii_lowercase());
        let child = a.fields.get("Image").map(|v| v.to_ascii_lowercase());
        if let (Some(p), Some(c)) = (parent, child) {
            let pid = format!("process:{p}");
            nodes.insert(Node {
                id: pid.clone(),
                kind: "process".into(),
                label: p,
            });
            edges.insert(Edge {
                from: pid,
                to: format!("process:{c}"),
                kind: "spawned".into(),
            });
        }
        let user = a.entities.iter().find(|e| e.kind == EntityKind::User);
        let host = a.entities.iter().find(|e| e.kind == EntityKind::Host);
        if let (Some(u), Some(h)) = (user, host) {
            edges.insert(Edge {
                from: node_id(u),
                to: node_id(h),
                kind: "active_on".into(),
            });
        }
    }
    graph.nodes = nodes.into_iter().collect();
    graph.edges = edges.into_iter().collect();
    let mut rules: Vec<String> = alerts.iter().map(|a| a.alert.rule_title.clone()).collect();
    rules.sort();
    rules.dedup();
    let mut sources: Vec<String> = alerts.iter().map(|a| a.alert.file.clone()).collect();
    sources.sort();
    sources.dedup();
    let owasp: BTreeSet<String> = alerts.iter().flat_map(|a| owasp_llm(&a.alert)).collect();
    let top = live
        .iter()
        .max_by(|a, b| {
            a.alert
                .level
                .cmp(&b.alert.level)
                .then(b.alert.time_ms.cmp(&a.alert.time_ms))
        })
        .map(|a| a.alert.rule_title.clone())
        .unwrap_or_default();
    let host = entities
        .keys()
        .find(|k| {
            k.starts_with("host:") || k.starts_with("client_addr:") || k.starts_with("api_key:")
        })
        .map(|k| format!(" on {}", k.split_once(':').map(|t| t.1).unwrap_or(k)))
        .unwrap_or_default();
    let more = rules.len().saturating_sub(1);
    let title = if more > 0 {
        format!(
            "{top}{host} (+{more} more rule{})",
            if more == 1 { "" } else { "s" }
        )
    } else {
        format!("{top}{host}")
    };
    Incident {
        id,
        title,
        severity,
        verdict,
        first_ms: first,
        last_ms: last,
        alerts,
        entities,
        techniques,
        tactics,
        owasp_llm: owasp.into_iter().collect(),
        graph,
        rules,
        sources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::Triage;

    fn judged(id: &str, host: &str, t: i64, level: Level) -> Judged {
        Judged {
            alert: Alert {
                id: id.into(),
                rule_id: format!("r-{id}"),
                rule_title: format!("Rule {id}"),
                level,
                tags: vec!["attack.execution".into(), "attack.t1059".into()],
                rule_status: None,
                time_ms: t,
                file: format!("{host}.evtx"),
                event_index: 0,
                entities: vec![Entity {
                    kind: EntityKind::Host,
                    value: host.into(),
                }],
                fields: BTreeMap::new(),
            },
            triage: Triage {
                verdict: Verdict::NeedsReview,
                confidence: 0.5,
                score: 0.5,
                reasons: vec![],
                duplicate_of: None,
            },
        }
    }

    #[test]
    fn shared_hosts_within_the_window_link() {
        let min = 60_000;
        let alerts = vec![
            judged("a", "ws01", 0, Level::High),
            judged("b", "ws01", 10 * min, Level::Medium),
            judged("c", "ws02", 11 * min, Level::Low),
            judged("d", "ws01", 200 * min, Level::Low),
        ];
        let inc = group(alerts, 30 * min);
        assert_eq!(inc.len(), 3);
        let big = inc.iter().find(|i| i.alerts.len() == 2).expect("a+b");
        assert_eq!(big.severity, Level::High);
        assert_eq!(big.techniques, vec!["T1059"]);
        assert!(big
            .graph
            .to_dot("x")
            .contains("\"alert:a\" -> \"host:ws01\""));
    }
}
