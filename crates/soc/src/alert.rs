//! Alerts and the entities they involve. Whatever produced an alert (a
//! Sigma rule over EVTX, a Palisade rule over gateway events, a scan
//! finding), the SOC sees the same shape: a rule, a level, tags, a time,
//! and the entities named in the matching event, which is what links
//! alerts into incidents.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How severe the rule says a match is (Sigma's `level`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Informational.
    #[default]
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Level {
    /// Parses Sigma's level names (and `info`).
    pub fn parse(s: &str) -> Level {
        match s.to_ascii_lowercase().as_str() {
            "critical" => Level::Critical,
            "high" => Level::High,
            "medium" | "moderate" => Level::Medium,
            "low" => Level::Low,
            _ => Level::Informational,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// A weight for scoring (informational 0 … critical 4).
    pub fn weight(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Kinds of entity that link alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A computer.
    Host,
    /// An account.
    User,
    /// A network address a request came from.
    ClientAddr,
    /// A gateway API key id.
    ApiKey,
    /// A process image.
    Process,
    /// A file hash.
    FileHash,
    /// A model.
    Model,
    /// An MCP server.
    McpServer,
    /// A file path written or read.
    File,
}

impl EntityKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Host => "host",
            EntityKind::User => "user",
            EntityKind::ClientAddr => "client_addr",
            EntityKind::ApiKey => "api_key",
            EntityKind::Process => "process",
            EntityKind::FileHash => "file_hash",
            EntityKind::Model => "model",
            EntityKind::McpServer => "mcp_server",
            EntityKind::File => "file",
        }
    }

    /// Whether sharing this entity is enough to link two alerts. A
    /// process image (`powershell.exe`) or a model name is shared by
    /// unrelated activity everywhere; they describe an incident but do not
    /// join one.
    pub fn links(self) -> bool {
        matches!(
            self,
            EntityKind::Host
                | EntityKind::User
                | EntityKind::ClientAddr
                | EntityKind::ApiKey
                | EntityKind::FileHash
                | EntityKind::McpServer
        )
    }
}

/// One entity: kind and normalised value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Entity {
    /// What it is.
    pub kind: EntityKind,
    /// Its value, normalised (lowercase hosts and users, `DOMAIN\user`
    /// kept).
    pub value: String,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable id (a hash of rule, source, event index and time).
    pub id: String,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's title.
    pub rule_title: String,
    /// The rule's level.
    pub level: Level,
    /// The rule's tags (`attack.t1059.001`, `owasp.llm01`, …).
    pub tags: Vec<String>,
    /// The rule's status (`stable`, `test`, `experimental`, …), used by
    /// triage as a quality signal.
    #[serde(default)]
    pub rule_status: Option<String>,
    /// When the event happened, milliseconds since the epoch.
    pub time_ms: i64,
    /// Where the event came from: a file path, `gateway`, `-`.
    pub file: String,
    /// The event's position in its source (record number or line).
    pub event_index: u64,
    /// Entities named by the event.
    pub entities: Vec<Entity>,
    /// A few fields of the event, for people.
    pub fields: BTreeMap<String, String>,
}

/// Event field names that name each entity kind, across Sysmon, Security,
/// OCSF-ish JSON and Palisade's own events.
const FIELD_ENTITIES: &[(&str, EntityKind)] = &[
    ("Computer", EntityKind::Host),
    ("host", EntityKind::Host),
    ("hostname", EntityKind::Host),
    ("host.name", EntityKind::Host),
    ("device.hostname", EntityKind::Host),
    ("User", EntityKind::User),
    ("SubjectUserName", EntityKind::User),
    ("TargetUserName", EntityKind::User),
    ("user", EntityKind::User),
    ("user.name", EntityKind::User),
    ("actor.user.name", EntityKind::User),
    ("IpAddress", EntityKind::ClientAddr),
    ("SourceIp", EntityKind::ClientAddr),
    ("src_ip", EntityKind::ClientAddr),
    ("client_addr", EntityKind::ClientAddr),
    ("src_endpoint.ip", EntityKind::ClientAddr),
    ("key_id", EntityKind::ApiKey),
    ("Image", EntityKind::Process),
    ("ParentImage", EntityKind::Process),
    ("NewProcessName", EntityKind::Process),
    ("model", EntityKind::Model),
    ("mcp_server", EntityKind::McpServer),
    ("TargetFilename", EntityKind::File),
];

/// Account names that every Windows machine has; linking on them would
/// merge unrelated activity.
fn generic_user(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    let name = l.rsplit('\\').next().unwrap_or(&l);
    matches!(
        name,
        "" | "-"
            | "system"
            | "local service"
            | "network service"
            | "localsystem"
            | "anonymous logon"
    ) || name.ends_with('$')
}

fn generic_addr(v: &str) -> bool {
    matches!(
        v,
        "" | "-" | "::1" | "127.0.0.1" | "0.0.0.0" | "localhost" | "::"
    )
}

/// Extracts the entities an event's fields name.
pub fn entities_from_fields(fields: &BTreeMap<String, String>) -> Vec<Entity> {
    let mut out: Vec<Entity> = Vec::new();
    for (name, kind) in FIELD_ENTITIES {
        let Some(v) = fields.get(*name) else { continue };
        let v = v.trim();
        let skip = match kind {
            EntityKind::User => generic_user(v),
            // Loopback in a Windows log is the machine talking to itself;
            // in the gateway's `client_addr` it is a real (local) client.
            EntityKind::ClientAddr => *name != "client_addr" && generic_addr(v),
            _ => v.is_empty() || v == "-",
        };
        if skip {
            continue;
        }
        // Dual-stack listeners log IPv4 clients as `::ffff:a.b.c.d`.
        // The gateway records `ip:port`; the port is per connection.
        let no_port = match kind {
            EntityKind::ClientAddr => v
                .parse::<std::net::SocketAddr>()
                .map(|sa| sa.ip().to_string())
                .unwrap_or_else(|_| v.to_string()),
            _ => v.to_string(),
        };
        let v = match kind {
            EntityKind::ClientAddr => no_port.strip_prefix("::ffff:").unwrap_or(&no_port),
            _ => no_port.as_str(),
        };
        let value = match kind {
            EntityKind::Host | EntityKind::User | EntityKind::Process | EntityKind::File => {
                v.to_ascii_lowercase()
            }
            _ => v.to_string(),
        };
        let e = Entity { kind: *kind, value };
        if !out.contains(&e) {
            out.push(e);
        }
    }
    // Sysmon `Hashes: SHA1=…,MD5=…,SHA256=…`: one entity per SHA-256.
    if let Some(h) = fields.get("Hashes") {
        for part in h.split(',') {
            if let Some(v) = part.trim().strip_prefix("SHA256=") {
                out.push(Entity {
                    kind: EntityKind::FileHash,
                    value: v.to_ascii_lowercase(),
                });
            }
        }
    }
    out
}

/// A stable alert id from its parts.
pub fn alert_id(rule_id: &str, file: &str, event_index: u64, time_ms: i64) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("{rule_id}|{file}|{event_index}|{time_ms}").as_bytes());
    let hex: String = d.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("al-{hex}")
}

/// ATT&CK technique ids in tags (`attack.t1059.001` → `T1059.001`).
pub fn techniques(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack.t"))
        .filter(|t| t.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|t| format!("T{}", t.to_ascii_uppercase()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// ATT&CK tactic names in tags (`attack.defense-evasion`).
pub fn tactics(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack."))
        .filter(|t| !t.starts_with('t') || !t.chars().nth(1).is_some_and(|c| c.is_ascii_digit()))
        .filter(|t| !t.starts_with('g') || !t.chars().nth(1).is_some_and(|c| c.is_ascii_digit()))
        .filter(|t| !t.starts_with('s') || !t.chars().nth(1).is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_skip_generic_accounts() {
        let mut f = BTreeMap::new();
        f.insert("Computer".to_string(), "WS01.corp".to_string());
        f.insert("User".to_string(), "NT AUTHORITY\\SYSTEM".to_string());
        f.insert("SubjectUserName".to_string(), "WS01$".to_string());
        f.insert("TargetUserName".to_string(), "alice".to_string());
        f.insert("Hashes".to_string(), "MD5=AA,SHA256=ABC".to_string());
        let e = entities_from_fields(&f);
        let got: Vec<(&str, &str)> = e
            .iter()
            .map(|e| (e.kind.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("host", "ws01.corp"),
                ("user", "alice"),
                ("file_hash", "abc")
            ]
        );
    }

    #[test]
    fn tags_split_into_techniques_and_tactics() {
        let tags: Vec<String> = [
            "attack.t1059.001",
            "attack.execution",
            "attack.g0016",
            "cve.2021-44228",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(techniques(&tags), vec!["T1059.001"]);
        assert_eq!(tactics(&tags), vec!["execution"]);
    }
}
