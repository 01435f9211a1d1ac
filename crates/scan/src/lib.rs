//! AI-BOM and AI posture: `palisade scan`.
//!
//! Design: parsers (`parse/`) read each format into plain facts
//! (`facts.rs`: dependencies, running services, Terraform resources, MCP
//! servers and tools, source text); the component catalogue (data,
//! `catalog/aibom/components.yaml`) turns facts into the AI-BOM
//! (`inventory.rs`); posture rules (data, `catalog/posture/rules.yaml`)
//! judge the same facts (`posture/`), most declaratively, the rest in
//! code; model files go to `palisade-modelfile`; advisories are OSV
//! (built-in plus imported into the store). Outputs (`output/`) render one
//! [`Report`] as JSON, CycloneDX 1.6, SARIF 2.1.0 or a table. Text is
//! checked and dropped file by file, so memory does not grow with the
//! tree.

pub mod advisories;
pub mod catalog;
pub mod cvss;
pub mod facts;
pub mod inventory;
pub mod output;
pub mod parse;
pub mod posture;
pub mod report;
pub mod scan;
pub mod version;

pub use report::{Component, Finding, ModelFile, ModelRef, Report, ScanError, Severity};
pub use scan::{Options, Progress, Scanner, SetupError};
