//! Shared vocabulary of Palisade.
//!
//! Every detector (guard rules, the small model, the judge, later the WAF,
//! scanner and SOC) reports in these types so that policies, the gateway and
//! the event store never need to know which engine produced a finding.
//! The serialised names (snake_case) are a stable interface: pipelines read
//! them from `palisade guard --jsonl`, so extend, never rename.

mod category;
mod event;
mod verdict;

pub use category::{Category, ParseCategoryError, SafetyLevel, Severity};
pub use event::{Event, StageLatency, TokenCounts};
pub use verdict::{
    Action, Direction, Finding, Kind, NormalizationNote, Span, Tier, TierTiming, Verdict,
};

/// Largest input the guard inspects, in bytes. Longer text is truncated at a
/// character boundary and the verdict says so (`truncated: true`); a caller
/// that wants a hard failure instead checks the length itself. 1 MiB covers
/// any realistic prompt, RAG chunk or tool result while keeping worst-case
/// latency bounded.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// Truncates `text` to at most `max` bytes without splitting a character.
/// Returns the kept prefix and whether anything was cut.
pub fn truncate_at_char_boundary(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_char_boundaries() {
        let s = "ab你好";
        // "你" occupies bytes 2..5; cutting at 3 or 4 must fall back to 2.
        assert_eq!(truncate_at_char_boundary(s, 3), ("ab", true));
        assert_eq!(truncate_at_char_boundary(s, 5), ("ab你", true));
        assert_eq!(truncate_at_char_boundary(s, 100), (s, false));
        assert_eq!(truncate_at_char_boundary(s, 0), ("", true));
    }
}
