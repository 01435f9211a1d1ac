//! The data catalogue on arbitrary text: the engine with its shortcuts
//! (anchored tries, digit-run windows, "any?" sets) must find exactly what
//! the reference engine finds by searching every pattern around every
//! trigger; entities lie in the text on character boundaries, in order and
//! without overlaps; and the CSV and JSON column classifiers never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_dlp::{structured, Catalog, Engine};
use std::sync::OnceLock;

struct Engines {
    fast: Engine,
    reference: Engine,
    hints: structured::Hints,
}

fn engines() -> &'static Engines {
    static E: OnceLock<Engines> = OnceLock::new();
    E.get_or_init(|| Engines {
        fast: Engine::builtin().expect("catalogue loads"),
        reference: Engine::without_shortcuts(Catalog::builtin().expect("catalogue loads"))
            .expect("reference engine builds"),
        hints: structured::Hints::builtin().expect("column hints load"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(body);
    let e = engines();
    let found = e.fast.scan(&text);
    let mut last_end = 0;
    for ent in &found {
        assert!(
            ent.start < ent.end && ent.end <= text.len(),
            "entity {}..{} outside {} bytes",
            ent.start,
            ent.end,
            text.len()
        );
        assert!(
            text.is_char_boundary(ent.start) && text.is_char_boundary(ent.end),
            "entity {}..{} splits a character",
            ent.start,
            ent.end
        );
        assert!(
            ent.start >= last_end,
            "entities overlap or are out of order at {}",
            ent.start
        );
        last_end = ent.end;
    }
    assert_eq!(
        found,
        e.reference.scan(&text),
        "shortcuts and reference disagree"
    );
    match sel % 3 {
        0 => drop(structured::classify_csv(&e.fast, &e.hints, &text)),
        1 => drop(structured::classify_json(&e.fast, &e.hints, &text, false)),
        _ => drop(structured::classify_json(&e.fast, &e.hints, &text, true)),
    }
});
