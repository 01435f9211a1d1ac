//! The event: one recorded decision. The gateway writes one per inspected
//! direction of a request (and one for every rejected request), the
//! scanner and WAF will write theirs, and the SOC reads them all back.
//! Field names follow OCSF where one fits (`time`, `src_endpoint` became
//! `client_addr` for brevity); the serialised form is a stable interface.

use crate::{Action, Category, Direction, Finding, Tier};
use serde::{Deserialize, Serialize};

/// Time spent in each stage of handling one request, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StageLatency {
    /// Inspecting the request (all messages and tool definitions).
    #[serde(default)]
    pub guard_input_us: u64,
    /// Inspecting the answer (whole, or all stream windows together).
    #[serde(default)]
    pub guard_output_us: u64,
    /// Waiting on the upstream (until the head of its response).
    #[serde(default)]
    pub upstream_us: u64,
    /// From accepting the request to this decision.
    #[serde(default)]
    pub total_us: u64,
}

/// Token counts as the upstream reported them (absent when it did not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TokenCounts {
    /// Tokens in the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<u64>,
    /// Tokens in the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<u64>,
}

/// One recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Event {
    /// Assigned by the store; `None` before it is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// When the decision was made, milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// What produced it: `gateway`, `guard_api`, `waf`, `scan`, …
    pub source: String,
    /// Correlates the input and output events of one request (also sent
    /// to the client as `x-request-id`).
    pub request_id: String,
    /// The route, e.g. `/v1/chat/completions`.
    #[serde(default)]
    pub route: String,
    /// The gateway key's id (never the key itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The client's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_addr: Option<String>,
    /// The model the request asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Which upstream served it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// Input (the request) or output (the answer).
    #[serde(default)]
    pub direction: Direction,
    /// What the policy did.
    #[serde(default)]
    pub action: Action,
    /// Whether anything was flagged (`action != allow`, or a monitored
    /// finding).
    #[serde(default)]
    pub flagged: bool,
    /// The categories of the findings, deduplicated, strictest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    /// Which guard tier decided, when the guard ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// Every finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// The HTTP status sent to the client.
    #[serde(default)]
    pub status: u16,
    /// Whether the answer was streamed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    /// Time per stage.
    #[serde(default)]
    pub latency: StageLatency,
    /// Tokens, when the upstream reported them.
    #[serde(default)]
    pub tokens: TokenCounts,
    /// A machine-readable error code when the request failed
    /// (`bad_json`, `unauthorized`, `upstream_timeout`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A human-readable detail for `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let e = Event {
            time_ms: 1,
            source: "gateway".into(),
            request_id: "r1".into(),
            route: "/v1/chat/completions".into(),
            action: Action::Block,
            flagged: true,
            categories: vec![Category::PromptInjection],
            tier: Some(Tier::Rules),
            status: 400,
            ..Event::default()
        };
        let s = serde_json::to_string(&e).expect("serialise");
        let back: Event = serde_json::from_str(&s).expect("parse");
        assert_eq!(back, e);
        assert!(s.contains("\"prompt_injection\""), "{s}");
    }
}
