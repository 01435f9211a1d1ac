//! Property tests: normalisation never panics, is idempotent, maps every
//! span back into the input on character boundaries, leaves plain text
//! alone and leaves nothing hidden behind.

use palisade_normalize::{Normalized, Normalizer, Span, Steps};
use proptest::prelude::*;

/// Characters and fragments that exercise every step and the awkward
/// corners of NFKC: combining marks (ccc 0 and not), Hangul jamo, Indic
/// vowel signs that compose with a preceding starter, compatibility
/// characters that expand or become spaces, hidden characters, escapes,
/// homoglyphs, and pieces of encodings.
const POOL: &[&str] = &[
    "a",
    "e",
    "i",
    "o",
    "I",
    "x",
    "Z",
    "0",
    "1",
    "3",
    "4",
    "@",
    "$",
    "!",
    "|",
    " ",
    " ",
    "  ",
    "\n",
    "\t",
    "\r\n",
    ".",
    ":",
    "=",
    "+",
    "/",
    "-",
    "_",
    "%",
    "%20",
    "%41",
    "\\x41",
    "0x",
    "ff",
    "\u{301}",
    "\u{316}",
    "\u{345}",
    "\u{344}",
    "\u{F73}",
    "\u{34F}",
    "\u{308}",
    "\u{1100}",
    "\u{1161}",
    "\u{11A8}",
    "\u{AC00}",
    "\u{3161}",
    "\u{FFA0}",
    "\u{3164}",
    "\u{CC6}",
    "\u{CC2}",
    "\u{CD5}",
    "\u{DD9}",
    "\u{DCF}",
    "\u{BC6}",
    "\u{BBE}",
    "\u{FB01}",
    "\u{FDFA}",
    "\u{A8}",
    "\u{B4}",
    "\u{3000}",
    "\u{A0}",
    "\u{2028}",
    "\u{85}",
    "\u{FF21}",
    "\u{1D400}",
    "\u{2460}",
    "\u{210C}",
    "\u{1E9B}",
    "\u{212B}",
    "\u{2126}",
    "\u{200B}",
    "\u{200C}",
    "\u{200D}",
    "\u{2060}",
    "\u{FEFF}",
    "\u{AD}",
    "\u{FE0F}",
    "\u{E0100}",
    "\u{180E}",
    "\u{202E}",
    "\u{2066}",
    "\u{200F}",
    "\u{61C}",
    "\u{E0041}",
    "\u{E0067}",
    "\u{E007F}",
    "\u{E0001}",
    "\u{1F3F4}",
    "\u{2764}",
    "\u{1F468}",
    "\u{1F1E6}",
    "\u{1F1FF}",
    "\u{1F1F4}",
    "\u{1F170}",
    "\u{1F189}",
    "\u{1F150}",
    "\x1b",
    "\x1b[",
    "\x1b[31m",
    "\x1b]0;t\x07",
    "\x1b(B",
    "[",
    "m",
    "\u{9B}",
    "\x07",
    "\u{430}",
    "\u{435}",
    "\u{43E}",
    "\u{440}",
    "\u{438}",
    "\u{43F}",
    "\u{3BF}",
    "\u{3BB}",
    "\u{1D00}",
    "\u{29F}",
    "\u{13A0}",
    "\u{585}",
    "\u{4E2D}",
    "\u{627}",
    "\u{5D0}",
    "rot13: ",
    "ROT 13\n",
    "Vtaber",
    "aWdub3Jl",
    "IGFsbCBydWxlcw==",
    "69676e6f7265",
];

fn mixed() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(POOL), 0..48).prop_map(|parts| parts.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), mixed()]
}

/// Every character the normaliser promises to remove (kept independent of
/// the crate's own table on purpose).
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{34F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{3164}' | '\u{FFA0}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}' | '\u{61C}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}' | '\u{1B}' | '\u{9B}')
}

fn assert_span_ok(input: &str, s: Span) -> Result<(), TestCaseError> {
    prop_assert!(
        s.start <= s.end && s.end <= input.len(),
        "{s:?} of {}",
        input.len()
    );
    prop_assert!(
        input.is_char_boundary(s.start) && input.is_char_boundary(s.end),
        "{s:?}"
    );
    Ok(())
}

fn norm(s: &str) -> Normalized {
    Normalizer::default().normalize(s)
}

proptest! {
    // No regression files: the tree is shared and failures print their input.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2048),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_panics_and_text_is_idempotent(input in any_text()) {
        let once = norm(&input);
        let twice = norm(&once.text);
        prop_assert_eq!(&twice.text, &once.text);
        // Nothing that rewrites `text` fires a second time.
        for note in &twice.notes {
            prop_assert!(
                matches!(note.step.as_str(), "leetspeak" | "base64" | "hex" | "url" | "rot13"
                    | "base32" | "morse" | "binary" | "braille" | "nato" | "reversed"
                    | "pig_latin" | "upside_down" | "camel_case"),
                "{} fired again on {:?}", note.step, once.text
            );
        }
        prop_assert!(unicode_normalization::is_nfkc(&once.text));
    }

    #[test]
    fn segmented_nfkc_equals_whole_text_nfkc(input in any_text()) {
        use unicode_normalization::UnicodeNormalization;
        let nfkc_only = Normalizer {
            steps: Steps { nfkc: true, ..Steps::NONE },
            ..Normalizer::default()
        };
        let expected: String = input.nfkc().collect();
        prop_assert_eq!(nfkc_only.normalize(&input).text, expected);
        // With hidden characters removed first, NFKC sees the rest joined.
        let scrub = Normalizer {
            steps: Steps { nfkc: true, invisible: true, ..Steps::NONE },
            ..Normalizer::default()
        };
        let visible: String = input.chars().filter(|&c| !is_hidden(c) || c == '\u{1B}' || c == '\u{9B}').collect();
        let expected: String = visible.nfkc().collect();
        let expected: String = expected.chars().filter(|&c| !is_hidden(c) || c == '\u{1B}' || c == '\u{9B}').collect();
        prop_assert_eq!(scrub.normalize(&input).text, expected);
    }

    #[test]
    fn original_span_is_in_bounds_on_boundaries(
        input in any_text(),
        a in 0usize..400,
        b in 0usize..400,
    ) {
        let n = norm(&input);
        let s = n.original_span(Span { start: a.min(b), end: a.max(b) });
        assert_span_ok(&input, s)?;
        let s = n.original_span(Span { start: b, end: a });
        assert_span_ok(&input, s)?;
        // Whole-text spans cover what was kept.
        let all = n.original_span(Span { start: 0, end: n.text.len() });
        assert_span_ok(&input, all)?;
        for d in &n.decoded {
            assert_span_ok(&input, d.span)?;
        }
    }

    #[test]
    fn spans_are_monotonic(input in mixed(), cuts in prop::collection::vec(any::<usize>(), 3)) {
        let n = norm(&input);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (n.text.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.dedup();
        if cuts.len() < 3 {
            return Ok(());
        }
        let left = n.original_span(Span { start: cuts[0], end: cuts[1] });
        let right = n.original_span(Span { start: cuts[1], end: cuts[2] });
        prop_assert!(left.start <= right.start && left.end <= right.end, "{left:?} {right:?}");
    }

    #[test]
    fn nothing_hidden_survives(input in any_text()) {
        let n = norm(&input);
        prop_assert!(!n.text.chars().any(is_hidden), "{:?}", n.text);
    }

    #[test]
    fn ascii_alphanumeric_text_is_unchanged(input in "[a-zA-Z0-9 ]{0,300}") {
        let n = norm(&input);
        prop_assert_eq!(&n.text, &input);
        prop_assert_eq!(n.original_span(Span { start: 0, end: input.len() }),
            Span { start: 0, end: input.len() });
        // Only views beside `text` may fire: leet digits are alphanumeric.
        for note in &n.notes {
            prop_assert!(matches!(note.step.as_str(), "leetspeak" | "base64" | "hex" | "base32" | "binary" | "nato"
                | "reversed" | "pig_latin" | "camel_case"),
                "{}", note.step);
        }
    }

    #[test]
    fn ascii_words_have_no_notes(words in prop::collection::vec("[a-zA-Z]{1,12}", 0..40)) {
        let input = words.join(" ");
        let n = norm(&input);
        prop_assert_eq!(&n.text, &input);
        // The word-game readers read plain words by design, as views
        // beside `text`: random words now and then spell English backwards
        // ("DaH a RoF A" is "A FoR a HaD", one run in a few hundred).
        for note in &n.notes {
            prop_assert!(matches!(note.step.as_str(), "reversed" | "pig_latin" | "camel_case"),
                "{:?}", n.notes);
        }
    }

    #[test]
    fn spelled_alphabets_decode_within_bounds(input in "[.\\- /|01\u{2800}-\u{283F}a-zA-Z]{0,400}") {
        let n = norm(&input);
        for d in &n.decoded {
            assert_span_ok(&input, d.span)?;
            prop_assert!(!d.text.is_empty());
        }
    }

    #[test]
    fn piled_marks_are_stripped_and_spans_stay_in_bounds(
        input in "([a-zA-Z ][\u{300}-\u{36F}]{1,3}){4,60}",
        a in 0usize..400,
        b in 0usize..400,
    ) {
        let n = norm(&input);
        // Every character carries a mark: once NFKC has composed what it
        // can, a text left with four or more is covered, and none stays.
        let left = n.text.chars().filter(|c| ('\u{300}'..='\u{36F}').contains(c)).count();
        prop_assert!(left < 4, "{:?}", n.text);
        assert_span_ok(&input, n.original_span(Span { start: a.min(b), end: a.max(b) }))?;
    }

    #[test]
    fn words_and_numbers_are_not_read_as_leet(tokens in prop::collection::vec("[a-z]{2,10}|[0-9]{1,5}", 0..40)) {
        let input = tokens.join(" ");
        let n = norm(&input);
        prop_assert_eq!(&n.folded, &input);
    }

    #[test]
    fn leet_runs_fold_byte_for_byte(tokens in prop::collection::vec("[a-z0-9@$!|]{2,8}", 0..40)) {
        // No one-letter tokens (joined as spelled-out words) and no
        // underscores (read as sentences): only the leet folds apply.
        let input = tokens.join(" ");
        let n = norm(&input);
        prop_assert_eq!(n.folded.len(), input.len());
    }

    #[test]
    fn a_line_of_leet_words_folds_whole(
        words in prop::collection::vec("[013-9]?[a-z][0134578][a-z][013-9]?", 3..12),
        numbers in prop::collection::vec("[013-9]{1,4}", 0..3),
    ) {
        // Strong leet tokens with a few bare numbers among them ("70", "4"):
        // every digit is read as a letter, except 2, which means too many.
        let input = words.iter().chain(&numbers).cloned().collect::<Vec<_>>().join(" ");
        let n = norm(&input);
        prop_assert!(!n.folded.bytes().any(|b| b.is_ascii_digit()), "{:?}", n.folded);
    }
}
