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

/// The catalogue's positive examples (whole texts, context and all).
fn examples() -> &'static [String] {
    static E: OnceLock<Vec<String>> = OnceLock::new();
    E.get_or_init(|| {
        engine()
            .catalog()
            .types()
            .iter()
            .flat_map(|t| t.examples.positive.iter())
            .map(|ex| palisade_dlp::split_example(ex).0.to_string())
            .collect()
    })
}

/// The engine searching windows around every trigger, shortcuts off.
fn reference() -> Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| {
        let catalog = palisade_dlp::Catalog::builtin().expect("catalogue");
        Arc::new(Engine::without_shortcuts(catalog).expect("compiles"))
    })
    .clone()
}

/// Examples run together, cut and glued by what sits around values in
/// real text (word characters too, so values lose their boundaries).
fn examples_glued() -> impl Strategy<Value = String> {
    let n = examples().len();
    let piece = (0..n, 0usize..4, 0usize..4).prop_map(|(i, cut_front, cut_back)| {
        let ex = &examples()[i];
        let mut s = cut_front.min(ex.len());
        while !ex.is_char_boundary(s) {
            s += 1;
        }
        let mut e = ex.len().saturating_sub(cut_back).max(s);
        while !ex.is_char_boundary(e) {
            e += 1;
        }
        ex[s..e].to_string()
    });
    let glue = prop_oneof![
        Just(" "),
        Just("\n"),
        Just(""),
        Just("."),
        Just("-"),
        Just(":"),
        Just("a"),
        Just("7"),
        Just("_"),
        Just("\"")
    ];
    prop::collection::vec((piece, glue), 1..8).prop_map(|v| {
        v.into_iter()
            .map(|(p, g)| format!("{p}{g}"))
            .collect::<String>()
    })
}

/// What an engine finds in a text: type and span of each value.
fn spans(e: &Engine, text: &str) -> Vec<(String, usize, usize)> {
    e.scan(text)
        .into_iter()
        .map(|x| (x.type_id, x.start, x.end))
        .collect()
}

/// Every positive example alone, and glued to a neighbour's digits and
/// letters, gives the same with the shortcuts as without.
#[test]
fn shortcuts_agree_on_every_example() {
    let (fast, slow) = (engine(), reference());
    for ex in examples() {
        for text in [ex.clone(), format!("x7{ex}7x"), format!("{ex}\n{ex}")] {
            assert_eq!(spans(&fast, &text), spans(&slow, &text), "on {text:?}");
        }
    }
}

/// A street address is tried where its house number starts: one to six
/// digits, then a space (the catalogue's pattern); the same as the
/// reference at both ends of that range and past it.
#[test]
fn addresses_are_tried_where_their_number_starts() {
    for number in ["7", "123456", "1234567"] {
        let text = format!("Please ship it to {number} Old Mill Road, then call.");
        let fast = spans(&engine(), &text);
        assert_eq!(fast, spans(&reference(), &text), "on {text:?}");
        let at = text.find(number).expect("the number");
        let found = fast
            .iter()
            .any(|(_, s, e)| *s == at && *e > at + number.len());
        assert_eq!(found, number.len() <= 6, "on {text:?}: {fast:?}");
    }
}

/// Number formats that open with their own digit run are tried where
/// such a run starts: the same as the reference when the number ends the
/// text, sits before a non-ASCII letter or a hyphen, or inside a longer
/// run (where it is not a match).
#[test]
fn numbers_are_tried_where_their_run_starts() {
    let (fast, slow) = (engine(), reference());
    let mut found = 0;
    for number in [
        "4111111111111111",
        "11010519491231002X",
        "6222021234567890128",
        "12345",
    ] {
        for text in [
            format!("QQ号 {number}"),
            format!("card {number}é and more"),
            format!("QQ号 {number}é"),
            format!("id {number}-7"),
            format!("x 9{number}9 y"),
            number.to_string(),
        ] {
            let got = spans(&fast, &text);
            assert_eq!(got, spans(&slow, &text), "on {text:?}");
            found += got.len();
        }
    }
    assert!(found > 10, "{found}");
}

/// URLs longer than this may be cut by the window search
/// ([`shortcuts_find_what_windows_find`]).
const LONG_URL: usize = 256;

/// A URL longer than a window around its `https` is found whole: the
/// window search cut this one after 268 of its 515 bytes.
#[test]
fn a_long_url_is_found_whole() {
    let url = format!(
        "https://image.example.ai/prompt/{}end",
        "word,%20".repeat(60)
    );
    let text = format!("Look at {url}) please");
    let at = text.find(&url).expect("the url");
    let found = spans(&engine(), &text);
    assert!(
        found.contains(&("url".to_string(), at, at + url.len())),
        "{found:?}"
    );
}

/// A webhook URL glued to the next key (found by the property test
/// below): the windows cut the URL after 290 bytes, the anchored try runs
/// it to the quote; every other finding is the same.
#[test]
fn a_url_run_into_the_next_key_is_found_whole() {
    let text = concat!(
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/TVCKMOGCKBG/BSJ97KO3OL0/bd28GFonH45HDl58EqQh8Bo.",
        "CF_ORIGIN_CA_KEY=v1.0-e91cd20096c2eb21bc3375d0-f57c1a69bff1552d73ea0ad77fa27be062f20be3165293049575563083434a2ba070f974e306da95c75be7332597246a0b38a544cc82c2589e2813fb663fd6768a06c2b4b58aa35b41",
        "agenai.configure(api_key=\"AIza4DnU_OfgZJLVUSTus2ZXw3ur4i9BbvAjwnw\") "
    );
    let (fast, slow) = (spans(&engine(), text), spans(&reference(), text));
    let url = |v: &[(String, usize, usize)]| {
        v.iter()
            .find(|(t, _, _)| t == "url")
            .map(|(_, s, e)| (*s, *e))
            .expect("a url")
    };
    let (at, end) = url(&fast);
    assert_eq!(at, text.find("https").expect("https"));
    // To the quote: parentheses and `=` are URL characters.
    assert_eq!(end, text.find("\"AIza").expect("the quote"));
    assert!(
        end - at > LONG_URL && url(&slow).1 < end,
        "{fast:?} {slow:?}"
    );
    let others = |v: Vec<(String, usize, usize)>| -> Vec<_> {
        v.into_iter().filter(|(t, _, _)| t != "url").collect()
    };
    assert_eq!(others(fast), others(slow));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Anchored tries and the digit-run filter find exactly what windows
    /// around every trigger find, but for a URL longer than a window: the
    /// windows cut it where the anchored try finds it whole
    /// (`a_long_url_is_found_whole`). Glued examples make such URLs (a
    /// webhook URL running into the next key without a space).
    #[test]
    fn shortcuts_find_what_windows_find(text in examples_glued()) {
        let (fast, slow) = (spans(&engine(), &text), spans(&reference(), &text));
        let long: Vec<usize> = fast
            .iter()
            .filter(|(t, s, e)| t == "url" && e - s > LONG_URL)
            .map(|(_, s, _)| *s)
            .collect();
        let short = |v: Vec<(String, usize, usize)>| -> Vec<(String, usize, usize)> {
            v.into_iter().filter(|(t, s, _)| !(t == "url" && long.contains(s))).collect()
        };
        prop_assert_eq!(short(fast), short(slow));
    }

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
