//! Native Sigma detection engine with EVTX / JSON ingestion.
//!
//! Design: rules are parsed from YAML ([`RuleSet`]) and compiled once —
//! modifiers resolve to plain comparisons on case-folded text, conditions to
//! a tree over selection indices. The [`Engine`] indexes rules by the
//! Windows (channel, EventID) targets of their logsource (mapping in
//! `data/windows-logsources.yml`) and by a set of literals each rule needs;
//! one Aho-Corasick pass per event rules out most candidates before any
//! rule is evaluated. Events ([`Event`]) are JSON flattened into named
//! leaves, with Windows `EventData`/`System` children exposed under the
//! short names Sigma uses. The [`Hunter`] streams events through the engine
//! and keeps correlation state (event/value counts, temporal sequences).
//! Nothing here panics on input: bad rules become [`LoadError`]s, bad
//! records become [`IngestError`]s, and iteration continues.

mod condition;
mod correlation;
mod detection;
mod engine;
mod error;
mod event;
mod ingest;
mod logsource;
mod rule;
mod ruleset;
mod text;
mod time;
mod value;

pub use correlation::{Correlation, CorrelationType, CountOp};
pub use engine::{Alert, CorrelationAlert, Engine, EngineOptions, EngineStats, Hunter};
pub use error::{IngestError, LoadError, LoadErrorKind};
pub use event::{Event, FieldValue};
pub use ingest::{read_evtx, read_json, read_jsonl, read_jsonl_with_cap, MAX_LINE_BYTES};
pub use logsource::LogSourceMap;
pub use rule::{FilterSpec, Level, LogSource, Rule, RuleKind};
pub use ruleset::RuleSet;
pub use value::CompileOptions;
