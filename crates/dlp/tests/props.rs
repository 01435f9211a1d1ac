//! Property tests: the engine and the structured readers take any input
//! without panicking, and every span they report is a valid slice.

use palisade_dlp::structured::{classify_csv, classify_json, Hints};
use palisade_dlp::Engine;
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};

fn engine() -> Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| Engine::builtin_shared().expect("catalogue"))
        .clone()
}

/// Text built from pieces that trigger many patterns at once.
fn texty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("身份证 ".to_string()),
        Just("sk-proj-".to_string()),
        Just("AKIA".to_string()),
        Just("@example.com ".to_string()),
        Just("password=".to_string()),
        Just("-----BEGIN RSA PRIVATE KEY-----\n".to_string()),
        Just("phone: +1 ".to_string()),
        "[0-9 -]{1,20}",
        "[A-Za-z0-9_]{1,30}",
        "\\PC{0,12}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn scan_never_panics_and_spans_are_slices(text in texty()) {
        for e in engine().scan(&text) {
            prop_assert!(e.start < e.end && e.end <= text.len());
            prop_assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
            prop_assert!((0.0..=1.0).contains(&e.score));
        }
    }

    #[test]
    fn structured_readers_never_panic(text in texty(), jsonl in any::<bool>()) {
        let h = Hints::builtin().expect("hints");
        let _ = classify_csv(&engine(), &h, &text);
        let _ = classify_json(&engine(), &h, &text, jsonl);
    }
}
