mod events;
mod keys;
mod schema;
mod writer;

use palisade_core::{Action, Category, Direction, Event, Tier};

/// An event whose fields vary with `i`, so filters have something to tell
/// apart: every 2nd is output, every 3rd blocked, every 5th from key `k5`.
pub(crate) fn sample(i: i64) -> Event {
    let blocked = i % 3 == 0;
    Event {
        time_ms: 1_000 + i,
        source: if i % 7 == 0 { "guard_api" } else { "gateway" }.into(),
        request_id: format!("req-{}", i / 2),
        route: "/v1/chat/completions".into(),
        key_id: (i % 5 == 0).then(|| "k5".to_string()),
        client_addr: Some("10.0.0.1:4242".into()),
        model: Some("gpt-x".into()),
        direction: if i % 2 == 0 {
            Direction::Input
        } else {
            Direction::Output
        },
        action: if blocked {
            Action::Block
        } else {
            Action::Allow
        },
        flagged: blocked,
        categories: if blocked {
            vec![Category::PromptInjection, Category::Jailbreak]
        } else {
            Vec::new()
        },
        tier: blocked.then_some(Tier::Rules),
        status: if blocked { 400 } else { 200 },
        ..Event::default()
    }
}
