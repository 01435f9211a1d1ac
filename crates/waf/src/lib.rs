//! # palisade-waf — web application firewall engine
//!
//! ## Design
//!
//! A request flows through four stages, each in its own module:
//!
//! 1. **Parse** ([`parse`]): the raw [`Request`] becomes named inspection targets —
//!    path, path segments, query/form arguments (repeated keys kept), cookies,
//!    selected headers, multipart fields and files, every JSON string leaf (named by
//!    its JSON path) and XML text/attribute. Parsers are bounded and total: malformed
//!    input yields *anomalies* (themselves scored) rather than errors.
//! 2. **Normalise** ([`normalize`]): bounded repeated percent-decoding (`%u` too),
//!    overlong UTF-8, HTML entities, NFKC folding of full-width/circled characters, NUL
//!    removal; plus JS-escape and base64 *variants* where the value looks encoded.
//! 3. **Detect**: hand-written analysers for the classes where structure matters
//!    ([`detect::sqli`] tokenizer, [`detect::xss`] HTML/JS contexts, [`detect::cmd`]
//!    shell positions, [`detect::ssrf`] host classification) and data-driven signature
//!    rules ([`rules`], YAML under `rules/`) for everything that is naturally a list
//!    (sensitive files, gadget class names, scanner agents, template syntax...).
//! 4. **Score** ([`engine`]): CRS-style anomaly scoring — each match adds points by
//!    severity (critical 5, error 4, warning 3, notice 2), rules above the configured
//!    paranoia level are skipped, the request is blocked when the inbound score reaches
//!    the threshold (default 5). Exclusions remove rule/category matches per route and
//!    target; JSON fields that carry LLM prompts are handed to the guard instead of
//!    the injection detectors (see [`config::LlmConfig`]).
//!
//! AI-bot identification, behavioural client scoring and robots.txt generation live in
//! [`bots`]; they are independent of request blocking.
//!
//! Nothing here allocates per rule per request beyond the matches found; regex rules are
//! matched with pattern sets (`palisade_rules::PatternSet`) and one Aho-Corasick automaton per target kind.

pub mod bots;
pub mod config;
pub mod detect;
pub mod engine;
pub mod error;
pub mod normalize;
pub mod parse;
pub mod protocol;
pub mod request;
pub mod rules;

pub use config::{Config, Exclusion, Limits, LlmConfig};
pub use engine::{Match, Verdict, Waf};
pub use error::Error;
pub use parse::Anomaly;
pub use request::{Request, Target, TargetKind};
pub use rules::Severity;

/// Make a short, log-safe rendering of attacker-controlled text: at most 80
/// characters, control and non-ASCII-printable characters escaped.
pub fn evidence(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(100));
    for (n, c) in s.chars().enumerate() {
        if n >= 80 {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
