use super::*;

#[test]
fn work_shared_among_cores_comes_back_in_order_once_each() {
    for n in [0usize, 1, 2, 3, 63, 64, 65, 200, 1001] {
        let items: Vec<usize> = (0..n).collect();
        for min in [0, 1, 64] {
            let out = on_every_core(&items, min, |xs| xs.map(|&x| x * 3).collect());
            let want: Vec<usize> = items.iter().map(|&x| x * 3).collect();
            assert_eq!(out, want, "{n} items, at least {min} a thread");
        }
    }
}

fn hir(p: &str) -> Hir {
    ParserBuilder::new()
        .build()
        .parse(p)
        .expect("test pattern parses")
}

/// Every way [`per_class_limit`] and the memo reuse a set, against
/// extracting it anew.
fn extract_every_way(p: &str) -> Vec<Option<Vec<String>>> {
    let h = hir(p);
    let mut out = Vec::new();
    for limit in CLASS_LIMITS {
        for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
            out.push(extract_literals(&h, kind, limit));
        }
    }
    out
}

#[test]
fn reused_sets_are_the_sets_of_their_class_limit() {
    // Classes of 3, 7 and 26 characters: the limits 4, 10 and 64 each
    // expand a different set of them.
    for p in [
        "[abc]x[a-g]y",
        "[a-g]{2}z",
        "(?i)ab[a-z]",
        "(a)b|a[b-h]",
        "x[a-z]{2,}",
    ] {
        let h = hir(p);
        let reused = per_class_limit(&h, |kind, limit| extract_literals(&h, kind, limit));
        let direct: Vec<_> = extract_every_way(p);
        let reused: Vec<_> = reused.into_iter().map(|(_, set)| set).collect();
        assert_eq!(reused, direct, "{p}");
    }
    // The limits do tell these apart, or the check above proves little.
    let all = extract_every_way("[abc]x[a-g]y");
    assert_ne!(all[0], all[2]);
}

#[test]
fn remembered_sets_are_the_sets_extracted_anew() {
    // Shapes that differ only in what the key must keep: class sizes
    // around the limits, capture groups (which extraction ignores),
    // repetition bounds, greed and the end read from.
    let patterns = [
        "[abc]x[a-g]y",
        "[abd]x[a-g]y",
        "[abc]x[a-h]y",
        "(?:[abc]x)[a-g]y",
        "([abc]x)[a-g]y",
        "a{2}b",
        "a{3}b",
        "a{2,}b",
        "a{2,}?b",
        "(?i)ab|cd",
        "ab|cd",
        "\\bword\\b",
        "word",
    ];
    let fresh: Vec<_> = patterns.iter().map(|p| extract_every_way(p)).collect();
    // Twice over inside one memory: the second round answers every
    // call from it.
    let remembered = with_literal_memo(|| {
        let first: Vec<_> = patterns.iter().map(|p| extract_every_way(p)).collect();
        let second: Vec<_> = patterns.iter().map(|p| extract_every_way(p)).collect();
        assert_eq!(first, second);
        second
    });
    assert_eq!(remembered, fresh);
    // The memory is gone afterwards.
    assert!(MEMO.with(|m| m.borrow().is_none()));
}

proptest::proptest! {
    #[test]
    fn remembered_sets_match_fresh_ones_on_any_small_pattern(
        parts in proptest::collection::vec(proptest::sample::select(vec![
            "a", "b", "ab", "[ab]", "[a-e]", "[a-k]", "[a-z]", "(a|bc)", "(?:a|b)+",
            "x?", "y{2}", "\\s", "\\d", "(?i)q", "\\b",
        ]), 1..6),
    ) {
        let p: String = parts.concat();
        let fresh = extract_every_way(&p);
        let remembered = with_literal_memo(|| {
            // A related pattern first, so that sub-shapes are shared.
            let _ = extract_every_way(&format!("z{p}"));
            extract_every_way(&p)
        });
        proptest::prop_assert_eq!(remembered, fresh);
    }
}

#[test]
fn cut_characters_are_trimmed_to_whole_ones() {
    // "偷税" is E5 81 B7 E7 A8 8E: four bytes end inside the second
    // character, the last four begin inside the first.
    let b = "偷税".as_bytes();
    assert_eq!(whole_chars(&b[..4], false), Some("偷"));
    assert_eq!(whole_chars(&b[2..], true), Some("税"));
    assert_eq!(whole_chars(b"abc", false), Some("abc"));
    assert_eq!(whole_chars(&[0x61, 0xFF, 0x62], false), None);
}

#[test]
fn a_large_chinese_alternation_keeps_a_literal_set() {
    // More than ten words: regex-syntax cuts them to a few bytes.
    let p = "(?:挪用公款|贪污|逃税|偷税|漏税|洗钱|行贿|贿赂|伪造|造假证|办假证|走私)";
    let (set, _) = literals(p).expect("a set, not a pattern run on every text");
    assert!(set.iter().all(|l| !l.is_empty()), "{set:?}");
    assert!(set.iter().any(|l| l.starts_with('贪')), "{set:?}");
}

#[test]
fn large_sets_keep_whole_words_and_classes_are_cut() {
    // Twelve words: regex-syntax's own optimisation cut them to four
    // bytes ("ille", "embe"), common fragments of other words.
    let p = r"(?:illegally|embezzle|launder|counterfeit|smuggle|bribe|poach|shoplift|extort|forge|vandalise|trespass)\s+\w+";
    let (set, starts) = literals(p).expect("a set");
    assert!(starts);
    assert!(set.contains(&"illegally".to_string()), "{set:?}");
    assert_eq!(set.len(), 12, "{set:?}");
    // The 25 spaces of `\s` after a word are cut back to the word.
    assert_eq!(
        literals(r"ignore\s+previous"),
        Some((vec!["ignore".to_string()], true))
    );
    assert_eq!(
        collapse_classes(
            ["at", "a1", "a2", "a3", "a4", "b"]
                .map(String::from)
                .to_vec(),
            false
        ),
        vec!["a".to_string(), "b".to_string()]
    );
    // Suffix sets are cut at the front, and covered literals dropped.
    assert_eq!(
        collapse_classes(
            ["xab", "yab", "zab", "wab", "vab", "cab", "b"]
                .map(String::from)
                .to_vec(),
            true
        ),
        vec!["b".to_string()]
    );
}

#[test]
fn common_words_make_poor_keys() {
    // Two sets of three-letter words: the smaller one, which also
    // starts every match, used to win, though "the" and "your" are in
    // nearly every prompt.
    let p = r"\b(?:the|your)\s+(?:api|env|key|pin)\b";
    let (mut first, _) = literals(p).expect("a set");
    first.sort();
    assert_eq!(first, ["api", "env", "key", "pin"]);
    assert_eq!(super::key_len("the"), 1);
    assert_eq!(super::key_len("forge"), 5);
}

#[test]
fn a_second_required_element_gates_common_first_words() {
    let p = r"\b(?:include|add)\s+(?:the\s+)?(?:password|api\s+key)\s+in\s+your\s+reply";
    let second = second_literals(p).expect("a second set");
    let (first, _) = literals(p).expect("a first set");
    assert_ne!(first, second);
    let pf = Prefilter::new(&[p.to_string()], &[]);
    let (mut cand, mut starts) = (Vec::new(), Vec::new());
    // Only the first element's literal: the pattern cannot match.
    pf.candidates(&format!("x {} y", first[0]), &mut cand, &mut starts);
    assert_eq!(cand, vec![None], "first {first:?} second {second:?}");
    pf.candidates(
        &format!("x {} y {} z", first[0], second[0]),
        &mut cand,
        &mut starts,
    );
    assert!(cand[0].is_some());
    // A pattern that is one literal has no second set.
    assert!(second_literals("ignore previous").is_none());
}

#[test]
fn patterns_anchored_at_the_text_start_have_no_literals() {
    assert!(literals(r"^\s*(?:write|what)\b[^\n]{5,}?").is_none());
    // Anchored at a line start, or only in one branch: literals stay.
    assert!(literals(r"(?m)^(?:write|what)\b").is_some());
    assert!(literals(r"(?:^|\n)(?:write|what)\b").is_some());
}

#[test]
fn an_alternation_of_acts_is_keyed_on_each_acts_rarest_word() {
    // The branches begin with common verbs; each holds a rarer word
    // further in, and one of those occurs in every match.
    let p = r"how\s+to\s+(?:sell\s+\w+\s+on\s+the\s+black\s+market|start\s+an\s+illegal\s+\w+)";
    let (set, starts) = literals(p).expect("a set");
    assert_eq!(set, vec!["illegal".to_string(), "market".to_string()]);
    assert!(!starts);
    // A branch without any selective literal leaves no union.
    let q = r"how\s+to\s+(?:sell\s+\w+\s+on\s+the\s+black\s+market|\w+\s+\d+)";
    let (set, _) = literals(q).expect("a set");
    assert!(!set.contains(&"market".to_string()), "{set:?}");
}

#[test]
fn the_second_set_comes_from_another_place_than_the_first() {
    // The whole pattern's prefixes are its first element's words: a
    // second set from there would gate nothing.
    let p = r"(?-u:\b)(?:best|right|easiest|most\s+effective|quickest|fastest|deadliest)\s+(?:spot|place|area|part|way)\s+to\s+(?:stab|shoot|hit|cut|slash)\s+(?:someone|him|her)(?-u:\b)";
    let second = second_literals(p).expect("second");
    assert!(
        !second.iter().any(|l| l == "best" || l == "right"),
        "{:?} / {second:?}",
        literals(p)
    );
}

#[test]
fn phrases_spread_by_a_class_keep_their_whole_first_words() {
    let (l, _) = literals(
        r"(?:hurt|harm|injure|cause\s+harm\s+to|beat\s+up|punch|slap|kick|choke|break\s+(?:his|her)\s+arm)",
    )
    .expect("literals");
    for w in ["cause", "beat", "break", "injure", "punch", "choke"] {
        assert!(l.iter().any(|x| x == w), "{w} missing from {l:?}");
    }
    assert!(!l.iter().any(|x| x == "caus"), "{l:?}");
}

#[test]
fn alternations_give_literals_and_classes_do_not() {
    let (l, starts) = literals(r"(?:Ignore|disregard)").expect("literals");
    assert!(starts);
    assert!(l.contains(&"ignore".to_string()) && l.contains(&"disregard".to_string()));
    // The most selective element wins.
    assert_eq!(
        literals(r"(?:a|b)\s+previous"),
        Some((vec!["previous".to_string()], false))
    );
    assert!(literals(r"[a-z]+").is_none());
    assert_eq!(
        literals(r"[a-z]+ foo"),
        Some((vec![" foo".to_string()], false))
    );
    assert!(literals("忽略(?:之前|以上)").is_some());
    assert_eq!(
        literals("Игнорируй"),
        Some((vec!["игнорируй".to_string()], true))
    );
    // An open start does not stop the prefilter: a later element's
    // literals are required too.
    let (l, _) = literals(r"(?:^|\n)\s*(?:new|updated)\s+instructions").expect("inner literals");
    assert!(
        l.iter()
            .all(|x| x.contains("instructions") || x == "new" || x == "updated"),
        "{l:?}"
    );
}

#[test]
fn a_literal_shared_by_patterns_opens_each_of_them() {
    // One automaton entry for `ignore` with both patterns behind it;
    // each also needs its own second word.
    let pats = vec![
        "ignore\\s+previous".to_string(),
        "ignore\\s+all".to_string(),
    ];
    let pf = Prefilter::new(&pats, &[]);
    let shared: Vec<_> = owner_lists(&pf)
        .into_iter()
        .filter(|o| o.len() > 1)
        .collect();
    assert_eq!(shared, vec![vec![(0, false, false), (1, false, false)]]);
    let (mut c, mut s) = (Vec::new(), Vec::new());
    pf.candidates("so IGNORE all of it", &mut c, &mut s);
    assert_eq!(c, vec![None, Some(3)]);
    pf.candidates("so IGNORE all previous", &mut c, &mut s);
    assert_eq!(c, vec![Some(3), Some(3)]);
    assert_eq!(s, vec![(0, 3, 9), (1, 3, 9)]);
}

#[test]
fn candidates_are_a_superset_of_matches() {
    let pats = vec!["ignore\\s+previous".to_string(), "[0-9]+".to_string()];
    let pf = Prefilter::new(&pats, &[]);
    let (mut c, mut s) = (Vec::new(), Vec::new());
    pf.candidates("please IGNORE previous, ignore previous", &mut c, &mut s);
    // The search for the first pattern starts at its literal, and
    // every place a match can start is listed.
    assert_eq!(c, vec![Some(7), Some(0)]);
    assert!(pf.starts_at_literals(0) && !pf.starts_at_literals(1));
    assert_eq!(s, vec![(0, 7, 13), (0, 24, 30)]);
    pf.candidates("nothing here", &mut c, &mut s);
    assert_eq!(c, vec![None, Some(0)]);
    assert!(s.is_empty());
    assert_eq!(pf.always_run(), 1);
}

#[test]
fn located_patterns_list_literals_that_are_not_prefixes() {
    let pats = vec!["(?:a|b)\\s+previous".to_string()];
    let text = "a previous b  previous";
    let (mut c, mut s) = (Vec::new(), Vec::new());
    Prefilter::new(&pats, &[false]).candidates(text, &mut c, &mut s);
    assert_eq!((c.clone(), s.clone()), (vec![Some(0)], vec![]));
    Prefilter::new(&pats, &[true]).candidates(text, &mut c, &mut s);
    assert_eq!(c, vec![Some(0)]);
    assert_eq!(s, vec![(0, 2, 10), (0, 14, 22)]);
}

/// The shipped plans are what planning gives now: a rule, the planner or
/// its word list changed without the file would leave the built-in packs
/// on stale plans, which may miss matches.
#[test]
fn builtin_plan_file_is_fresh() {
    let set = crate::RuleSet::builtin().expect("built-in packs load");
    let patterns = &set.pattern_src;
    let fresh = plan_fresh(patterns);
    let want = saved::file_of(patterns, &fresh);
    if !crate::tests::shipped_file_matches("builtin_plans.json", saved::embedded(), &want) {
        return;
    }
    // Read back, the file gives every pattern its fresh plan.
    let read = saved::parse(&want).expect("the written file parses");
    let looked_up: Vec<saved::Plan> = patterns
        .iter()
        .map(|p| read.get(p).cloned().expect("every pattern is in the file"))
        .collect();
    assert_eq!(saved::file_of(patterns, &looked_up), want);
    // And the prefilter built from the file is the one planned afresh.
    assert_eq!(saved::file_of(patterns, &plan_all(patterns)), want);
}

#[test]
fn a_pattern_outside_the_plan_file_is_planned_afresh() {
    let p = "zqxjv(?:alpha|beta)\\d+".to_string();
    assert!(!saved::builtin().contains_key(&p));
    let planned = saved::file_of(
        std::slice::from_ref(&p),
        &plan_all(std::slice::from_ref(&p)),
    );
    let fresh = saved::file_of(
        std::slice::from_ref(&p),
        &plan_fresh(std::slice::from_ref(&p)),
    );
    assert_eq!(planned, fresh);
    assert!(planned.contains("zqxjv"), "{planned}");
}

#[test]
fn literals_match_in_any_ascii_case_and_keep_byte_offsets() {
    // Upper-case literals and their lower-case twins are one automaton
    // entry (here `dan` and, the second set, `mode`); the text is lower-cased only for the pass, so offsets after
    // a non-ASCII letter are the original text's.
    let pats = vec!["DAN\\s+mode".to_string(), "dan\\s+MODE".to_string()];
    let pf = Prefilter::new(&pats, &[true, true]);
    assert_eq!(
        owner_lists(&pf),
        vec![
            vec![(0, false, false), (1, false, false)],
            vec![(0, true, false), (1, true, false)]
        ]
    );
    let (mut c, mut s) = (Vec::new(), Vec::new());
    let text = "Été: Dan Mode on";
    pf.candidates(text, &mut c, &mut s);
    assert!(c.iter().all(Option::is_some), "{c:?}");
    assert!(!s.is_empty());
    for &(_, start, end) in &s {
        let found = text.get(start..end).map(str::to_ascii_lowercase);
        assert!(matches!(found.as_deref(), Some("dan" | "mode")), "{s:?}");
    }
    // Non-ASCII letters are not folded, as before: `É` is no `é`.
    let pf = Prefilter::new(&["été\\s+mode".to_string()], &[]);
    pf.candidates("ÉTÉ mode", &mut c, &mut s);
    assert_eq!(c, vec![None]);
    pf.candidates("été MODE", &mut c, &mut s);
    assert!(c[0].is_some());
}

#[test]
fn a_large_texts_lower_cased_copy_is_not_kept() {
    let pf = Prefilter::new(&["ignore\\s+previous".to_string()], &[]);
    let mut sc = Scratch::default();
    pf.candidates_into("IGNORE previous", &mut sc);
    assert!(sc.lower.capacity() > 0 && sc.lower.capacity() <= super::MAX_KEPT_LOWER);
    let big = "word ".repeat(super::MAX_KEPT_LOWER);
    pf.candidates_into(&big, &mut sc);
    assert!(sc.lower.capacity() <= super::MAX_KEPT_LOWER);
    // The next text still finds its literals.
    pf.candidates_into("so IGNORE previous", &mut sc);
    assert_eq!(sc.list, vec![(0, 3)]);
}

/// Each automaton literal's owners, `(pattern, of its second set)`, from
/// the flat lists: those read once per text, then those read at every
/// place.
fn owner_lists(pf: &Prefilter) -> Vec<Vec<(usize, bool, bool)>> {
    pf.lit_owners
        .iter()
        .map(|&[a, b, c]| {
            let once = pf.owners[a as usize..b as usize]
                .iter()
                .map(|&e| ((e & PATTERN) as usize, e & SECOND != 0, e & WORD_START != 0));
            let every = pf.owners[b as usize..c as usize]
                .iter()
                .map(|&e| ((e & PATTERN) as usize, false, e & WORD_START != 0));
            once.chain(every).collect()
        })
        .collect()
}

/// The candidates as they were found before a literal's marks were read
/// once per text: every owner read at every place the literal occurs.
fn candidates_reading_every_place(pf: &Prefilter, located: &[bool], text: &str) -> Scratch {
    let mut sc = Scratch::default();
    sc.reset(pf.patterns, 0);
    for &i in &pf.always {
        sc.offer(i, 0);
    }
    let lists = owner_lists(pf);
    if let Some(ac) = &pf.ac {
        let lower: Vec<u8> = text.bytes().map(|b| b.to_ascii_lowercase()).collect();
        for m in ac.find_overlapping_iter(&lower[..]) {
            let at_word_start = m.start() == 0 || !is_word_byte(lower[m.start() - 1]);
            for &(i, second, word_start) in &lists[m.pattern().as_usize()] {
                if word_start && !at_word_start {
                    continue;
                }
                if second {
                    sc.mark_second(i);
                    continue;
                }
                let from_start = pf.from_start[i];
                if from_start || located.get(i).copied().unwrap_or(false) {
                    sc.starts.push((i, m.start(), m.end()));
                }
                sc.offer(i, if from_start { m.start() } else { 0 });
            }
        }
    }
    pf.finish(&mut sc);
    sc
}

#[test]
fn a_literal_met_again_changes_no_candidate() {
    // `how` is the second set of the first two patterns and opens the
    // third, whose search starts at each of its places.
    let pats = vec![
        "(?:hurt|harm)\\s+\\w+\\s+how".to_string(),
        "poison\\s+(?:how|way)".to_string(),
        "how\\s+to\\s+poison".to_string(),
    ];
    let located = [false, true, false];
    let pf = Prefilter::new(&pats, &located);
    let mut sc = Scratch::default();
    for text in [
        "how how how to harm him how, how to poison how",
        "poison how poison way how",
        "nothing here",
        "how",
    ] {
        pf.candidates_into(text, &mut sc);
        let old = candidates_reading_every_place(&pf, &located, text);
        assert_eq!((&sc.list, &sc.starts), (&old.list, &old.starts), "{text}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
    /// Over texts made of the patterns' own words, repeated and mixed, the
    /// candidates and their places are those found reading every owner at
    /// every place.
    #[test]
    fn reading_owners_once_per_literal_finds_the_same_candidates(
        text in word_text(40),
        scratch_reused in proptest::bool::ANY,
    ) {
        let pf = Prefilter::new(&mixed_patterns(), &MIXED_LOCATED);
        let located = MIXED_LOCATED;
        let mut sc = Scratch::default();
        if scratch_reused {
            // A scratch that read another text first.
            pf.candidates_into("how to harm the dan mode how how xhow", &mut sc);
        }
        pf.candidates_into(&text, &mut sc);
        let old = candidates_reading_every_place(&pf, &located, &text);
        proptest::prop_assert_eq!(&sc.list, &old.list);
        proptest::prop_assert_eq!(&sc.starts, &old.starts);
    }
}

/// Patterns for the property tests: some keyed on literals that count
/// only at the start of a word (after `(?-u:\b)`), some not.
fn mixed_patterns() -> Vec<String> {
    [
        "(?:hurt|harm)\\s+\\w+\\s+how",
        "poison\\s+(?:how|way)",
        "how\\s+to\\s+(?:poison|harm)",
        "ignore\\s+(?:all\\s+)?previous\\s+instructions",
        "(?-u:\\b)the\\s+(?:dan|way)(?-u:\\b)",
        "dan\\s+mode",
        "[0-9]+",
        "(?-u:\\b)(?:how|way)\\s*to",
        "poison(?-u:\\b)",
        "(?-u:\\b)dan[_-]?mode",
        "all\\s+(?-u:\\b)(?:previous|instructions)\\s",
        "(?-u:\\b)ignore\\s+(?-u:\\b)previous",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect()
}

/// Which of [`mixed_patterns`] list their literal places.
const MIXED_LOCATED: [bool; 12] = [
    false, true, false, false, true, true, false, false, true, false, true, false,
];

#[test]
fn literals_after_a_word_boundary_count_at_the_start_of_a_word_only() {
    let pf = Prefilter::new(&mixed_patterns(), &MIXED_LOCATED);
    // The whole pattern opens with the boundary, and an element after one.
    assert!(pf.word_start_owned(7) && pf.word_start_owned(9));
    // No boundary before the key, or a key before a boundary, not after
    // one (both keyed all the same).
    let keyed = |i: usize| pf.owners.iter().any(|&e| (e & PATTERN) as usize == i);
    assert!(keyed(2) && keyed(8));
    assert!(!pf.word_start_owned(2) && !pf.word_start_owned(8));
    let (mut c, mut s) = (Vec::new(), Vec::new());
    pf.candidates("showto", &mut c, &mut s);
    assert_eq!(c[7], None, "`how` inside a word opens nothing");
    pf.candidates("show how to", &mut c, &mut s);
    assert_eq!(c[7], Some(5), "its later occurrence at a word start does");
    pf.candidates("xdan-mode", &mut c, &mut s);
    assert_eq!(c[9], None);
    // A pattern's second set can count at word starts only too.
    assert!(pf
        .owners
        .iter()
        .any(|&e| (e & PATTERN) as usize == 11 && e & SECOND != 0 && e & WORD_START != 0));
    pf.candidates("xignore unprevious", &mut c, &mut s);
    assert_eq!(c[11], None);
    pf.candidates("ignore previous", &mut c, &mut s);
    assert!(c[11].is_some());
    // `_` is a word character: only the second `dan` starts a word.
    pf.candidates("_dan mode, dan_mode", &mut c, &mut s);
    assert!(c[5].is_some());
    assert_eq!(c[9], Some(11));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    /// Every pattern that matches a text is among its candidates, with
    /// its match at or after the offset its search begins, and each place
    /// a match can start is listed for those that start at their literals.
    #[test]
    fn every_matching_pattern_is_a_candidate(
        text in word_text(30),
    ) {
        let pats = mixed_patterns();
        let pf = Prefilter::new(&pats, &MIXED_LOCATED);
        let (mut c, mut s) = (Vec::new(), Vec::new());
        pf.candidates(&text, &mut c, &mut s);
        for (i, p) in pats.iter().enumerate() {
            let re = regex_automata::meta::Regex::new(p).expect("pattern");
            if let Some(m) = re.find(text.as_bytes()) {
                proptest::prop_assert!(
                    c[i].is_some_and(|at| at <= m.start()),
                    "{p} matches {text:?} at {m:?} but is not a candidate there: {:?}",
                    c[i]
                );
                if pf.starts_at_literals(i) {
                    proptest::prop_assert!(
                        s.iter().any(|&(q, a, _)| q == i && a == m.start()),
                        "{p}: no place listed at {m:?} in {text:?}"
                    );
                }
            }
        }
    }
}

/// Texts of up to `n` of the test patterns' words, each followed by a
/// space, nothing, `_`, `-` or `, `: words run together too, so that
/// literals occur inside words (`howto`, `xdan`).
fn word_text(n: usize) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::strategy::Strategy;
    proptest::collection::vec(
        (
            proptest::sample::select(vec![
                "how",
                "to",
                "harm",
                "hurt",
                "poison",
                "way",
                "ignore",
                "all",
                "previous",
                "instructions",
                "the",
                "a",
                "dan",
                "mode",
                "x",
                "s",
                "9",
            ]),
            proptest::sample::select(vec![" ", " ", "", "_", "-", ", "]),
        ),
        0..n,
    )
    .prop_map(|words| words.iter().flat_map(|(w, sep)| [*w, *sep]).collect())
}
