//! The agentic SOC: from alerts to answered, explained incidents.
//!
//! Design: detection engines (Sigma over logs in `palisade-sigma`,
//! Palisade's own rules over gateway events, scanner findings) produce
//! [`Alert`]s with the entities their events name. [`triage`] gives each a
//! verdict with reasons; [`incident`] links alerts through shared entities
//! within a time window into incidents with a graph, ATT&CK and OWASP LLM
//! mappings and a timeline; [`playbook`] runs response steps (dry run by
//! default, approval for destructive ones, an audit record for every
//! step); [`report`] writes Markdown and HTML from the same data. Every
//! stage is deterministic, so a report can be regenerated and diffed.

pub mod alert;
pub mod incident;
pub mod ocsf;
pub mod playbook;
pub mod report;
pub mod rules;
pub mod syslog;
pub mod triage;

pub use alert::{Alert, Entity, EntityKind, Level};
pub use incident::{group, Incident, Judged};
pub use triage::{Triage, Triager, Verdict};
