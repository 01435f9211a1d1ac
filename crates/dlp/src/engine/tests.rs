use super::*;

#[test]
fn overlaps_keep_the_strongest_in_text_order() {
    let ent = |ty: &str, start: usize, end: usize, score: f32, validated: bool| Entity {
        type_id: ty.into(),
        start,
        end,
        score,
        validated,
        grade: Grade::S3,
        category: "test".into(),
        context: false,
    };
    let kept = |found: Vec<(Entity, bool)>| -> Vec<String> {
        resolve_overlaps(found)
            .into_iter()
            .map(|e| e.type_id)
            .collect()
    };
    // Validated beats a higher score, which beats a longer span.
    let found = vec![
        (ent("long", 0, 20, 0.6, false), false),
        (ent("scored", 2, 10, 0.9, false), false),
        (ent("valid", 5, 12, 0.5, true), false),
    ];
    assert_eq!(kept(found), ["valid"]);
    let found = vec![
        (ent("long", 0, 20, 0.6, false), false),
        (ent("scored", 2, 10, 0.9, false), false),
    ];
    assert_eq!(kept(found), ["scored"]);
    // Equal score: the longer; then a country's format; then the
    // earlier start.
    let found = vec![
        (ent("short", 0, 8, 0.7, false), false),
        (ent("longer", 4, 14, 0.7, false), false),
    ];
    assert_eq!(kept(found), ["longer"]);
    let found = vec![
        (ent("global", 0, 10, 0.7, false), false),
        (ent("uk", 0, 10, 0.7, false), true),
    ];
    assert_eq!(kept(found), ["uk"]);
    let found = vec![
        (ent("second", 5, 15, 0.7, false), false),
        (ent("first", 0, 10, 0.7, false), false),
    ];
    assert_eq!(kept(found), ["first"]);
    // Disjoint ones all stay, in text order, whatever order they came
    // in; one overlapping a kept neighbour on either side does not.
    let found = vec![
        (ent("c", 30, 40, 0.5, false), false),
        (ent("a", 0, 10, 0.9, false), false),
        (ent("b", 10, 20, 0.9, false), false),
        (ent("bridge", 8, 32, 0.4, false), false),
    ];
    assert_eq!(kept(found), ["a", "b", "c"]);
}

#[test]
fn context_words_count_up_to_the_window_edge() {
    let engine = Engine::builtin().expect("catalogue loads");
    let dob = |text: &str| {
        engine
            .scan(text)
            .iter()
            .any(|e| e.type_id == "date_of_birth")
    };
    // The word's end may touch the window's start, its start the
    // window's end: `CONTEXT_WINDOW` bytes either side of the value.
    let gap = |n: usize| " ".repeat(n);
    assert!(dob(&format!("DOB{}1988-08-09", gap(CONTEXT_WINDOW))));
    assert!(!dob(&format!("DOB{}1988-08-09", gap(CONTEXT_WINDOW + 1))));
    assert!(dob(&format!("1988-08-09{}DOB", gap(CONTEXT_WINDOW))));
    assert!(!dob(&format!("1988-08-09{}DOB", gap(CONTEXT_WINDOW + 1))));
    // Inside a longer word it does not count.
    assert!(!dob("DOBBY 1988-08-09"));
}

#[test]
fn hotspots_need_five_digits_within_the_span() {
    let none = digit_hotspots(b"ab 1234 cd", |_| {});
    assert!(none.is_empty());
    // Exactly five, spread over 13 bytes: from 24 before the last to
    // 24 after the first (clipped to the text).
    let text = b"Medicare number 1EG4-TE5-MK73";
    let mut starts = Vec::new();
    let hot = digit_hotspots(text, |i| starts.push(i));
    assert_eq!(starts, vec![16, 19, 23, 27]);
    assert_eq!(hot, vec![(28 - DIGIT_SPAN, text.len(), 0)]);
    // Five digits too far apart.
    let far = format!("1 2 3 4{}5", " ".repeat(DIGIT_SPAN));
    assert!(digit_hotspots(far.as_bytes(), |_| {}).is_empty());
    // The longest run of consecutive digits, in each stretch.
    let runs = format!("12 34 5 1234567{}123456", " ".repeat(3 * DIGIT_SPAN));
    let hot = digit_hotspots(runs.as_bytes(), |_| {});
    assert_eq!(hot.iter().map(|h| h.2).collect::<Vec<_>>(), vec![7, 6]);
    let short = digit_hotspots(b"12 34 5 123 4", |_| {});
    assert_eq!(short.iter().map(|h| h.2).collect::<Vec<_>>(), vec![0]);
}

/// The hotspots by one digit at a time, as they were found before the
/// block masks: the reference for `digit_hotspots`.
fn hotspots_by_digit(hay: &[u8]) -> (Vec<(usize, usize, usize)>, Vec<usize>) {
    let mut out: Vec<(usize, usize, usize)> = Vec::new();
    let mut starts = Vec::new();
    let digits: Vec<usize> = (0..hay.len())
        .filter(|&i| hay[i].is_ascii_digit())
        .collect();
    let mut run = 0;
    for (k, &i) in digits.iter().enumerate() {
        if k > 0 && digits[k - 1] + 1 == i {
            run += 1;
        } else {
            run = 1;
            starts.push(i);
        }
        if k + 1 < DIGIT_RUN || i - digits[k + 1 - DIGIT_RUN] >= DIGIT_SPAN {
            continue;
        }
        let oldest = digits[k + 1 - DIGIT_RUN];
        let (s, e) = (
            i.saturating_sub(DIGIT_SPAN),
            (oldest + DIGIT_SPAN).min(hay.len()),
        );
        add_stretch(&mut out, s, e, run);
    }
    (out, starts)
}

/// A text of `units`, each pick `(unit, times)` in turn.
fn units_repeated(picks: &[(usize, usize)], units: &[&[u8]]) -> Vec<u8> {
    let mut hay = Vec::new();
    for &(kind, n) in picks {
        for _ in 0..n {
            hay.extend_from_slice(units[kind]);
        }
    }
    hay
}

proptest::proptest! {
    /// Digits, letters and gaps at random, across block edges.
    #[test]
    fn hotspots_equal_the_digit_by_digit_reference(
        picks in proptest::collection::vec((0usize..6, 1usize..30), 0..80),
    ) {
        let hay = units_repeated(&picks, &[b"7", b"12 ", b"a", b"-", b" ", "é".as_bytes()]);
        let mut starts = Vec::new();
        let hot = digit_hotspots(&hay, |i| starts.push(i));
        proptest::prop_assert_eq!((hot, starts), hotspots_by_digit(&hay));
    }

    /// The digits a walk counts for a window are at least those in
    /// it, and exactly those when it covers whole blocks; a window
    /// meets a hotspot (of any run, or of a run at least so long)
    /// exactly when it overlaps one.
    #[test]
    fn windows_digits_and_hotspots_are_counted_from_the_walk(
        picks in proptest::collection::vec((0usize..6, 1usize..30), 0..80),
        s in 0usize..3000,
        len in 0usize..400,
        run in 0usize..9,
    ) {
        let hay = units_repeated(&picks, &[b"7", b"12 ", b"a", b"-", b" ", "é".as_bytes()]);
        let mut walk = DigitWalk::new(hay.len());
        crate::bytemask::for_each_block(&hay, |at, block| {
            walk.block(at, crate::bytemask::masks(block, SEPARATORS).digits, &mut |_| {});
        });
        let (s, e) = (s.min(hay.len()), (s + len).min(hay.len()));
        let digits = |a: usize, b: usize| hay[a..b].iter().filter(|c| c.is_ascii_digit()).count();
        proptest::prop_assert!(walk.digits_about(s, e) >= digits(s, e));
        let (bs, be) = (s / 64 * 64, (e.div_ceil(64) * 64).min(hay.len()));
        proptest::prop_assert_eq!(walk.digits_about(s, e), digits(bs, be));
        let overlaps = walk.out.iter().any(|&(hs, he, _)| hs < e && s < he);
        proptest::prop_assert_eq!(meets_hotspot(&walk.out, s, e, 0), overlaps);
        let long = walk.out.iter().any(|&(hs, he, r)| hs < e && s < he && r >= run);
        proptest::prop_assert_eq!(meets_hotspot(&walk.out, s, e, run), long);
    }
}

proptest::proptest! {
    /// Separators, hex digits and other bytes at random, across block
    /// edges, against the byte-by-byte definition.
    #[test]
    fn separators_near_hex_are_those_next_to_a_hex_run(
        picks in proptest::collection::vec((0usize..8, 1usize..20), 0..60),
    ) {
        let hay = units_repeated(
            &picks,
            &[b".", b":", b"-", b"f", b"9", b"x ", "é".as_bytes(), b"g"],
        );
        let mut got = Vec::new();
        separators_near_hex(&hay, |i| got.push(i));
        let seps = (0..hay.len()).filter(|&i| SEPARATORS.contains(&hay[i]));
        // What a separator word of one or two bytes at `i` needs.
        let exact = |i: usize| next_to_hex_run(&hay, i, i + 1) || next_to_hex_run(&hay, i, i + 2);
        // The same, letting through the runs that reach their block's
        // edge (the last block is padded with non-word bytes).
        let word = |i: usize| hay.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        let block = |i: usize| i - i % 64..i - i % 64 + 64;
        let edge_before = |i: usize| (block(i).start..i).all(word);
        let edge_after = |i: usize, k: usize| k >= block(i).end || (k..block(i).end).all(word);
        let loose = |i: usize| {
            exact(i) || edge_before(i) || edge_after(i, i + 1) || edge_after(i, i + 2)
        };
        let hex = |i: Option<usize>| i.and_then(|i| hay.get(i)).is_some_and(u8::is_ascii_hexdigit);
        let near = |i: usize| hex(i.checked_sub(1)) || hex(Some(i + 1)) || hex(Some(i + 2));
        let want: Vec<usize> = seps.filter(|&i| near(i) && loose(i)).collect();
        proptest::prop_assert_eq!(&got, &want);
        // So nothing a separator word could use is dropped.
        for i in (0..hay.len()).filter(|&i| SEPARATORS.contains(&hay[i]) && exact(i)) {
            proptest::prop_assert!(got.contains(&i), "{} dropped", i);
        }
    }
}

/// An engine of one type, `ZX` and six digits, whose context words
/// trigger nothing: they come from `Engine::context_near`.
fn context_only_engine() -> Engine {
    let yaml = "types:\n  - id: zx\n    name: ZX\n    category: financial\n    grade: S3\n    score: 0.6\n    patterns: ['\\bZX\\d{6}\\b']\n    context: [ledger, acct]\n    examples: {positive: ['ZX123456 => ZX123456', 'a ZX654321 => ZX654321'], negative: [ZX12, ZX1234567]}\n";
    let cat = Catalog::from_sources(std::iter::once(("t.yaml".to_string(), yaml.to_string())))
        .expect("catalogue");
    Engine::new(cat).expect("engine")
}

#[test]
fn context_only_words_count_up_to_the_window_edge() {
    let engine = context_only_engine();
    assert!(engine.context_words.is_some() && engine.context_roles.len() == 2);
    let context =
        |text: &str| -> Vec<bool> { engine.scan(text).iter().map(|e| e.context).collect() };
    let gap = |n: usize| " ".repeat(n);
    // The word's end may touch the window's start, its start the
    // window's end, in either case of letters.
    let (w, w1) = (gap(CONTEXT_WINDOW), gap(CONTEXT_WINDOW + 1));
    for (text, want) in [
        (format!("ledger{w}ZX123456"), true),
        (format!("ledger{w1}ZX123456"), false),
        (format!("ZX123456{w}ACCT"), true),
        (format!("ZX123456{w1}acct"), false),
    ] {
        assert_eq!(context(&text), [want], "{text:?}");
    }
    assert_eq!(context("ledgers ZX123456 subacct"), [false]);
    // Two stretches, searched joined: each value's context is its own.
    let far = format!("ZX111111 ledg{}er ZX222222 ledger", gap(300));
    assert_eq!(context(&far), [false, true]);
}

proptest::proptest! {
    /// Values, context words and gaps at random (long enough texts for
    /// the joined stretches to be stepped four ways): a value has
    /// context exactly when a word standing alone ends at most
    /// `CONTEXT_WINDOW` bytes before it or starts at most that far
    /// after it.
    #[test]
    fn context_only_words_are_found_wherever_they_count(
        picks in proptest::collection::vec((0usize..5, 0usize..140), 1..60),
    ) {
        let engine = context_only_engine();
        let units = ["ZX123456", "ledger", "ACCT", "xledger", "é"];
        let (mut text, mut values, mut words) = (String::new(), Vec::new(), Vec::new());
        for &(u, gap) in &picks {
            text.push_str(&" ".repeat(gap.max(1)));
            let at = text.len();
            text.push_str(units[u]);
            match u {
                0 => values.push((at, text.len())),
                1 | 2 => words.push((at, text.len())),
                _ => {}
            }
        }
        let want: Vec<(usize, bool)> = values
            .iter()
            .map(|&(s, e)| {
                let near = words.iter().any(|&(ws, we)| {
                    we + CONTEXT_WINDOW >= s && ws <= e + CONTEXT_WINDOW
                });
                (s, near)
            })
            .collect();
        let got: Vec<(usize, bool)> = engine.scan(&text).iter().map(|e| (e.start, e.context)).collect();
        proptest::prop_assert_eq!(got, want);
    }
}

#[test]
fn digit_bounds_stop_at_the_first_letter() {
    assert_eq!(digits_before_letter("+1-903-140-4508x769"), 11);
    assert_eq!(digits_before_letter("(898)666-3621 ext. 0135"), 10);
    assert_eq!(digits_before_letter("7.51"), 3);
    assert_eq!(digits_before_letter(""), 0);
}

#[test]
fn decimal_separators_count_next_to_decimal_runs_only() {
    let at = |t: &str| t.find('.').expect("a dot");
    let near = |t: &str| next_to_run(t.as_bytes(), at(t), at(t) + 1, u8::is_ascii_digit);
    // A hex run is not a decimal one; the run is the whole word.
    assert!(!near("be.x"));
    assert!(!near("a1.x"));
    assert!(!near("x.2a"));
    assert!(near("1.x"));
    assert!(near("x.2"));
    assert!(near("v.10"));
    assert!(near("version 1.5"));
    // The engine still finds an address whose dots touch letters on
    // one side only.
    let e = Engine::builtin().expect("catalogue");
    let text = "host x1.2.3.4 and ab.10.0.0.7.";
    let found: Vec<&str> = e
        .scan(text)
        .iter()
        .filter(|x| x.type_id == "ipv4_address")
        .map(|x| &text[x.start..x.end])
        .collect();
    assert_eq!(found, ["1.2.3.4"]);
}

/// Anchored DFAs of the shapes the catalogue tries (word boundaries,
/// a line start, a class before a number, a leading literal).
fn first_byte_dfas() -> Vec<regex_automata::dfa::dense::DFA<Vec<u32>>> {
    [
        r"(?-u)(?:^|[^0-9.])((?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?-u:\b)",
        r"(?-u)(?i)(?-u:\b)((?:fe)?male|man|woman)(?-u:\b)",
        r"(?-u)(?m:^)[A-Z]{2}\d{2}",
        r"(?-u)pat[A-Za-z0-9]{3}\.",
        r"(?-u)(?:\+1 ?)?\d{3}",
        // Starts that `dies` gives up on at once: one that loops on
        // nearly every byte (accelerated), one that can never match.
        r"(?-u)[^x]*x",
        r"(?-u)[a&&b]",
        r"a*",
    ]
    .iter()
    .map(|p| dense_anchored(WIDE_DFA_LIMIT, |b| b.build(p).ok()).expect("builds"))
    .collect()
}

#[test]
fn first_bytes_hold_every_byte_a_start_survives() {
    let dfas = first_byte_dfas();
    // Every byte leads on from `a*`'s start (its matches come a byte
    // late) and from the looping one's, which `dies` does not even
    // step (an accelerated start is special): its set must not
    // pre-empt that. Nothing leads on from the never-matching one.
    let n = dfas.len();
    for dfa in [&dfas[n - 3], &dfas[n - 1]] {
        assert!((0..=255u8).all(|b| FirstBytes::of(dfa).contains(b)));
    }
    assert!((0..=255u8).all(|b| !FirstBytes::of(&dfas[n - 2]).contains(b)));
    let ip = FirstBytes::of(&dfas[0]);
    assert!(ip.contains(b' ') && ip.contains(b'7') && ip.contains(b'x'));
    assert!(!ip.contains(b'.'));
    let gender = FirstBytes::of(&dfas[1]);
    assert!(gender.contains(b'M') && gender.contains(b'w') && !gender.contains(b'x'));
    assert!(!gender.contains(b' '));
}

proptest::proptest! {
    /// With its first byte's set, `dies` says what stepping says, at
    /// every place of texts made of the bytes these patterns use.
    #[test]
    fn first_bytes_change_no_verdict(
        text in proptest::collection::vec(
            proptest::sample::select(b"0123456789.+ \nAZapt-xMmanfe".to_vec()),
            0..40,
        ),
        cut in 0usize..8,
    ) {
        for dfa in first_byte_dfas() {
            let first = FirstBytes::of(&dfa);
            for x in 0..=text.len() {
                let end = text.len().saturating_sub(cut).max(x);
                proptest::prop_assert_eq!(
                    dies(&dfa, &first, &text, x, end),
                    steps_to_dead(&dfa, &text, x, end),
                    "at {} of {:?}", x, String::from_utf8_lossy(&text)
                );
            }
        }
    }
}

#[test]
fn separators_count_next_to_hex_runs_only() {
    let t = b"std::fmt fe80::1 self.x 10.0.0.1 a_b:c";
    let at = |needle: &str| {
        let n = needle.as_bytes();
        t.windows(n.len()).position(|w| w == n).expect("in text")
    };
    let i = at("::fmt");
    assert!(!next_to_hex_run(t, i, i + 2));
    let i = at("::1");
    assert!(next_to_hex_run(t, i, i + 2));
    let i = at(".x");
    assert!(!next_to_hex_run(t, i, i + 1));
    let i = at(".0.0");
    assert!(next_to_hex_run(t, i, i + 1));
    // Left of it `a_b` (an underscore joins words: not hex), right
    // of it `c`, which is.
    let i = at(":c");
    assert!(next_to_hex_run(t, i, i + 1));
}

#[test]
fn pieces_of_larger_numbers_are_told_apart() {
    use super::matching::part_of_larger_number;
    let piece = |text: &str, value: &str| {
        let s = text.find(value).expect("value in text");
        part_of_larger_number(text.as_bytes(), s, s + value.len())
    };
    // Glued to more digits by a dot, dash, slash or colon, on either side.
    assert!(piece("total 6,500.36 due", "500"));
    assert!(piece("INV/2026/5771", "2026"));
    assert!(piece("INV/2026/5771", "5771"));
    assert!(piece("expires 02/18/2024", "02/18"));
    assert!(piece("at 12:30:45", "30"));
    // Numbered with a hash, or a national number after a country code.
    assert!(piece("order #92006472", "92006472"));
    assert!(piece("call +39 0736979297 today", "0736979297"));
    assert!(piece("call +390736979297", "0736979297"));
    // Values of their own.
    assert!(!piece("13800138000,13912345678", "13912345678"));
    assert!(!piece("ZIP 29147.", "29147"));
    assert!(!piece("call 555-1234 now", "555-1234"));
    assert!(!piece("call +39 0736979297 today", "+39 0736979297"));
    assert!(!piece("v2+3 0736979297", "0736979297"));
    assert!(!piece("see page 12-b", "12"));
    assert!(!piece("", ""));
}

#[test]
fn a_value_under_its_own_key_is_found() {
    use super::matching::key_of_value;
    let key = |text: &str, value: &str| {
        let s = text.find(value).expect("value in text");
        key_of_value(text.as_bytes(), s).map(|k| String::from_utf8_lossy(k).into_owned())
    };
    assert_eq!(
        key("ts=1613478793 level=debug", "1613478793").as_deref(),
        Some("ts")
    );
    assert_eq!(
        key(r#"{"ts":1695696135}"#, "1695696135").as_deref(),
        Some("ts")
    );
    assert_eq!(key(r#"{"zip": "63152"}"#, "63152").as_deref(), Some("zip"));
    assert_eq!(
        key("a&applicant_tel=\"75 7185\"", "75 7185").as_deref(),
        Some("applicant_tel")
    );
    assert_eq!(key("call me at: 555-1234", "555-1234"), None);
    assert_eq!(key("mobile: \"62 6083-9086\"", "62 6083-9086"), None);
    assert_eq!(key("=5", "5"), None);
    assert_eq!(key("5", "5"), None);
}

proptest::proptest! {
    #[test]
    fn neighbour_checks_take_any_bytes(
        hay in proptest::collection::vec(proptest::sample::select(b"0123456789+#-./:=\" ab".to_vec()), 0..40),
        a in 0usize..41,
        b in 0usize..41,
    ) {
        let (s, e) = (a.min(b).min(hay.len()), a.max(b).min(hay.len()));
        let _ = super::matching::part_of_larger_number(&hay, s, e);
        let _ = super::matching::key_of_value(&hay, s);
    }
}
