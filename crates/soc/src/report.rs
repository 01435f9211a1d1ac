//! Incident reports in Markdown and HTML, built from the incident's data
//! alone (deterministic: the same incident gives the same report). Both
//! renderings walk one outline, so they never disagree.

use crate::incident::Incident;
use crate::playbook::ActionRecord;
use crate::triage::Verdict;

/// `YYYY-MM-DD HH:MM:SS UTC` from milliseconds since the epoch.
pub fn fmt_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// One block of the outline.
enum Block {
    Heading(String),
    Para(String),
    List(Vec<String>),
    Numbered(Vec<String>),
}

const KEY_FIELDS: &[&str] = &[
    "CommandLine",
    "Image",
    "ParentImage",
    "TargetObject",
    "TargetFilename",
    "QueryName",
    "DestinationIp",
    "ScriptBlockText",
    "ServiceName",
    "route",
    "categories",
];

fn next_steps(inc: &Incident) -> Vec<String> {
    let mut out = Vec::new();
    let has = |p: &str| inc.entities.keys().any(|k| k.starts_with(p));
    let names = |p: &str| -> Vec<String> {
        inc.entities
            .keys()
            .filter(|k| k.starts_with(p))
            .map(|k| {
                k.split_once(':')
                    .map(|t| t.1.to_string())
                    .unwrap_or_default()
            })
            .collect()
    };
    if has("host:") {
        out.push(format!(
            "Isolate and collect triage data from {}.",
            names("host:").join(", ")
        ));
    }
    if inc.tactics.iter().any(|t| t == "credential-access") || has("user:") {
        out.push(format!(
            "Reset credentials and review recent sign-ins for {}.",
            if has("user:") {
                names("user:").join(", ")
            } else {
                "the affected accounts".into()
            }
        ));
    }
    if has("client_addr:") {
        out.push(format!(
            "Block {} at the gateway (playbook `block_client`).",
            names("client_addr:").join(", ")
        ));
    }
    if has("api_key:") {
        out.push(format!(
            "Revoke gateway key(s) {} and issue new ones to their owners.",
            names("api_key:").join(", ")
        ));
    }
    if inc.tactics.iter().any(|t| t == "persistence") {
        out.push("Remove the persistence mechanisms named in the alerts (services, run keys, scheduled tasks).".into());
    }
    if inc.tactics.iter().any(|t| t == "lateral-movement") {
        out.push("Check the other hosts these accounts reached during the incident window.".into());
    }
    if inc.owasp_llm.iter().any(|o| o == "LLM01") {
        out.push("Review the blocked prompts and tool outputs of this client for indirect injection sources (documents, web pages, MCP tools).".into());
    }
    if inc.owasp_llm.iter().any(|o| o == "LLM02") {
        out.push("Find where the leaked data came from (RAG store, tool output) and rotate any credentials it held.".into());
    }
    if inc.verdict == Verdict::NeedsReview {
        out.push(
            "Confirm or dismiss the alerts marked needs_review; the verdicts feed future triage."
                .into(),
        );
    }
    out
}

fn outline(inc: &Incident, actions: &[ActionRecord]) -> (String, Vec<Block>) {
    let title = format!("Incident {}: {}", inc.id, inc.title);
    let mut b = Vec::new();
    b.push(Block::Para(format!(
        "Severity **{}** · verdict **{}** · {} → {} · {} alert{} from {} rule{}",
        inc.severity,
        inc.verdict.as_str(),
        fmt_time(inc.first_ms),
        fmt_time(inc.last_ms),
        inc.alerts.len(),
        if inc.alerts.len() == 1 { "" } else { "s" },
        inc.rules.len(),
        if inc.rules.len() == 1 { "" } else { "s" },
    )));
    b.push(Block::Heading("Root cause".into()));
    let root = inc
        .alerts
        .iter()
        .find(|a| a.triage.verdict == Verdict::TruePositive)
        .or_else(|| {
            inc.alerts
                .iter()
                .find(|a| a.triage.verdict == Verdict::NeedsReview)
        })
        .or_else(|| inc.alerts.first());
    if let Some(r) = root {
        let where_ = r
            .alert
            .entities
            .iter()
            .filter(|e| e.kind.links())
            .map(|e| format!("{} {}", e.kind.as_str(), e.value))
            .collect::<Vec<_>>()
            .join(", ");
        let detail = KEY_FIELDS
            .iter()
            .find_map(|k| {
                r.alert
                    .fields
                    .get(*k)
                    .map(|v| format!(" (`{k}`: `{}`)", v.chars().take(160).collect::<String>()))
            })
            .unwrap_or_default();
        b.push(Block::Para(format!(
            "The earliest confirmed activity is **{}** at {}{}{}.",
            r.alert.rule_title,
            fmt_time(r.alert.time_ms),
            if where_.is_empty() {
                String::new()
            } else {
                format!(" on {where_}")
            },
            detail
        )));
    }
    b.push(Block::Heading("Attack narrative".into()));
    let mut steps = Vec::new();
    for j in &inc.alerts {
        let a = &j.alert;
        let tech = crate::alert::techniques(&a.tags);
        let detail = KEY_FIELDS
            .iter()
            .find_map(|k| {
                a.fields
                    .get(*k)
                    .map(|v| format!(" — `{}`", v.chars().take(120).collect::<String>()))
            })
            .unwrap_or_default();
        steps.push(format!(
            "{} — [{}] {}{}{} ({}{})",
            fmt_time(a.time_ms),
            a.level,
            a.rule_title,
            if tech.is_empty() {
                String::new()
            } else {
                format!(" {}", tech.join(", "))
            },
            detail,
            j.triage.verdict.as_str(),
            j.triage
                .duplicate_of
                .as_ref()
                .map(|d| format!(", repeats {d}"))
                .unwrap_or_default(),
        ));
    }
    b.push(Block::Numbered(steps));
    b.push(Block::Heading("Affected assets".into()));
    b.push(Block::List(
        inc.entities
            .iter()
            .map(|(k, n)| format!("{k} ({n} alert{})", if *n == 1 { "" } else { "s" }))
            .collect(),
    ));
    b.push(Block::Heading("Mapping".into()));
    b.push(Block::List(vec![
        format!(
            "ATT&CK tactics: {}",
            if inc.tactics.is_empty() {
                "-".into()
            } else {
                inc.tactics.join(", ")
            }
        ),
        format!(
            "ATT&CK techniques: {}",
            if inc.techniques.is_empty() {
                "-".into()
            } else {
                inc.techniques.join(", ")
            }
        ),
        format!(
            "OWASP LLM Top 10: {}",
            if inc.owasp_llm.is_empty() {
                "-".into()
            } else {
                inc.owasp_llm.join(", ")
            }
        ),
    ]));
    b.push(Block::Heading("Triage".into()));
    b.push(Block::List(
        inc.alerts
            .iter()
            .map(|j| {
                format!(
                    "{} {}: {} ({:.0}%): {}",
                    j.alert.id,
                    j.alert.rule_title,
                    j.triage.verdict.as_str(),
                    j.triage.confidence * 100.0,
                    j.triage.reasons.join("; ")
                )
            })
            .collect(),
    ));
    b.push(Block::Heading("Actions taken".into()));
    if actions.is_empty() {
        b.push(Block::Para("None recorded.".into()));
    } else {
        b.push(Block::List(
            actions
                .iter()
                .map(|a| {
                    format!(
                        "{} {} `{}` on {}: {}{}",
                        fmt_time(a.time_ms),
                        a.playbook,
                        a.action,
                        a.target,
                        a.status,
                        if a.detail.is_empty() {
                            String::new()
                        } else {
                            format!(" — {}", a.detail)
                        }
                    )
                })
                .collect(),
        ));
    }
    b.push(Block::Heading("Recommended next steps".into()));
    b.push(Block::Numbered(next_steps(inc)));
    (title, b)
}

/// The report as Markdown.
pub fn markdown(inc: &Incident, actions: &[ActionRecord]) -> String {
    let (title, blocks) = outline(inc, actions);
    let mut o = format!("# {title}\n\n");
    for b in blocks {
        match b {
            Block::Heading(h) => o.push_str(&format!("## {h}\n\n")),
            Block::Para(p) => o.push_str(&format!("{p}\n\n")),
            Block::List(items) => {
                for i in items {
                    o.push_str(&format!("- {i}\n"));
                }
                o.push('\n');
            }
            Block::Numbered(items) => {
                for (n, i) in items.iter().enumerate() {
                    o.push_str(&format!("{}. {i}\n", n + 1));
                }
                o.push('\n');
            }
        }
    }
    o
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Markdown's `**bold**` and `` `code` `` inside a line, for HTML.
fn inline(s: &str) -> String {
    let e = html_escape(s);
    let mut out = String::new();
    let mut bold = false;
    let mut code = false;
    let mut it = e.chars().peekable();
    while let Some(c) = it.next() {
        if c == '`' {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
        } else if c == '*' && it.peek() == Some(&'*') && !code {
            it.next();
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
        } else {
            out.push(c);
        }
    }
    if code {
        out.push_str("</code>");
    }
    if bold {
        out.push_str("</strong>");
    }
    out
}

/// The report as a standalone HTML page.
pub fn html(inc: &Incident, actions: &[ActionRecord]) -> String {
    let (title, blocks) = outline(inc, actions);
    let mut o = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>\n<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;line-height:1.45}}code{{background:#f3f3f3;padding:0 .2rem}}h1{{font-size:1.4rem}}</style></head><body>\n<h1>{}</h1>\n",
        html_escape(&title),
        html_escape(&title)
    );
    for b in blocks {
        match b {
            Block::Heading(h) => o.push_str(&format!("<h2>{}</h2>\n", html_escape(&h))),
            Block::Para(p) => o.push_str(&format!("<p>{}</p>\n", inline(&p))),
            Block::List(items) => {
                o.push_str("<ul>\n");
                for i in items {
                    o.push_str(&format!("<li>{}</li>\n", inline(&i)));
                }
                o.push_str("</ul>\n");
            }
            Block::Numbered(items) => {
                o.push_str("<ol>\n");
                for i in items {
                    o.push_str(&format!("<li>{}</li>\n", inline(&i)));
                }
                o.push_str("</ol>\n");
            }
        }
    }
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_civil() {
        assert_eq!(fmt_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(fmt_time(1_700_000_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(fmt_time(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn html_escapes_and_formats() {
        assert_eq!(
            inline("a **b** `<c>`"),
            "a <strong>b</strong> <code>&lt;c&gt;</code>"
        );
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;
    use crate::alert::{Alert, Entity, EntityKind, Level};
    use crate::incident::{group, Judged};
    use crate::triage::{Triage, Verdict};
    use std::collections::BTreeMap;

    #[test]
    fn reports_are_deterministic_and_complete() {
        let mk = |id: &str, t: i64, title: &str, tags: &[&str]| Judged {
            alert: Alert {
                id: id.into(),
                rule_id: id.into(),
                rule_title: title.into(),
                level: Level::High,
                tags: tags.iter().map(|s| s.to_string()).collect(),
                rule_status: Some("stable".into()),
                time_ms: t,
                file: "x.evtx".into(),
                event_index: 1,
                entities: vec![Entity {
                    kind: EntityKind::Host,
                    value: "ws01".into(),
                }],
                fields: BTreeMap::from([(
                    "CommandLine".to_string(),
                    "whoami /all <x>".to_string(),
                )]),
            },
            triage: Triage {
                verdict: Verdict::TruePositive,
                confidence: 0.8,
                score: 0.8,
                reasons: vec!["rule level high".into()],
                duplicate_of: None,
            },
        };
        let inc = group(
            vec![
                mk(
                    "a",
                    1_700_000_000_000,
                    "Whoami",
                    &["attack.discovery", "attack.t1033"],
                ),
                mk(
                    "b",
                    1_700_000_060_000,
                    "Run key",
                    &["attack.persistence", "attack.t1547.001"],
                ),
            ],
            3_600_000,
        )
        .remove(0);
        let md = markdown(&inc, &[]);
        assert_eq!(md, markdown(&inc, &[]));
        for part in [
            "## Root cause",
            "## Attack narrative",
            "## Affected assets",
            "T1547.001",
            "host:ws01",
            "## Recommended next steps",
            "Isolate",
        ] {
            assert!(md.contains(part), "missing {part}:\n{md}");
        }
        let h = html(&inc, &[]);
        assert!(h.contains("&lt;x&gt;") && !h.contains("<x>"), "{h}");
    }
}
