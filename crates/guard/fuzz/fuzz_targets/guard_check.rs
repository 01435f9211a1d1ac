//! The whole tier 1–2 check (normaliser, rules, model, data catalogue) on
//! arbitrary bytes, read as text the way the gateway reads a body (lossy
//! UTF-8), in every direction and kind. Beyond "no panic": every span lies
//! in the caller's text on character boundaries (an answer's request, its
//! context, included), a flagged verdict names
//! a finding, and `Guard::may_mask` never says no to a check that masks
//! (the gateway's parallel mode forwards on its word).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_core::{Action, Direction, Kind};
use palisade_guard::{Guard, Policy, Request};
use std::sync::OnceLock;

fn guard() -> &'static Guard {
    static G: OnceLock<Guard> = OnceLock::new();
    G.get_or_init(|| {
        let rules = palisade_rules::RuleSet::builtin().expect("built-in rules load");
        let model = palisade_model::GuardModel::builtin().expect("built-in model loads");
        Guard::new(rules, Some(model), Policy::default()).expect("guard builds")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    // Bits 3-4 of the selector: for an answer, the bytes before the first
    // 0xFF are the request it answers, and it may be a streamed opening.
    let (context, body) = match (sel >> 3 & 1, body.iter().position(|&b| b == 0xFF)) {
        (1, Some(i)) => (Some(String::from_utf8_lossy(&body[..i])), &body[i + 1..]),
        _ => (None, body),
    };
    let text = String::from_utf8_lossy(body);
    let direction = if sel & 1 == 0 {
        Direction::Input
    } else {
        Direction::Output
    };
    let kind = match (sel >> 1) % 4 {
        0 => Kind::Prompt,
        1 => Kind::Document,
        2 => Kind::ToolDescription,
        _ => Kind::ToolOutput,
    };
    let req = Request {
        text: &text,
        direction,
        kind,
        context: context.as_deref(),
        partial: sel >> 4 & 1 == 1,
    };
    let v = guard().check(&req);
    for f in &v.findings {
        if let Some(s) = f.span {
            assert!(
                s.start <= s.end && s.end <= text.len(),
                "span {s:?} outside {} bytes",
                text.len()
            );
            assert!(
                text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
                "span {s:?} splits a character"
            );
        }
    }
    if v.flagged {
        assert!(!v.findings.is_empty(), "flagged with no finding");
    }
    if v.action == Action::Mask {
        assert!(guard().may_mask(&req), "masked, but may_mask said no");
    }
});
