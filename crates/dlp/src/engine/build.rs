//! Building an engine from a catalogue: each pattern's trigger, tries,
//! gates, groups and automata (the plan `scan` follows).

use super::*;

/// `src` as an anchored-only full DFA when it fits `ANCHORED_DFA_LIMIT`
/// (and `limit`); else the longest leading part of its top-level
/// concatenation that fits `limit`, ending before its first long counted
/// repetition (`[…]{15,255}` of a secret's value), whose every count is a
/// state. A part rejects every place the whole does, so a try it rejects
/// is done; one it accepts goes on to the regex.
pub(super) fn anchored_dfa_of(src: &str, limit: usize) -> Option<AnchoredDfa> {
    let whole = ANCHORED_DFA_LIMIT.min(limit);
    if let Some(dfa) = dense_anchored(whole, |b| b.build(src).ok()) {
        let first = FirstBytes::of(&dfa);
        return Some(AnchoredDfa {
            dfa,
            first,
            whole: true,
        });
    }
    let hir = shape::parse(src)?;
    let regex_syntax::hir::HirKind::Concat(items) =
        palisade_rules::prefilter::unwrap_captures(&hir).kind()
    else {
        return None;
    };
    // A part up to the first long repetition, then shorter ones: past it
    // the DFA is what overflowed.
    let short = items
        .iter()
        .position(shape::wide_repetition)
        .unwrap_or(items.len());
    (1..=short.min(items.len().saturating_sub(1)))
        .rev()
        .find_map(|k| {
            let part = regex_syntax::hir::Hir::concat(items.get(..k)?.to_vec());
            let nfa = regex_automata::nfa::thompson::Compiler::new()
                .configure(regex_automata::nfa::thompson::Config::new().utf8(false))
                .build_from_hir(&part)
                .ok()?;
            let dfa = dense_anchored(limit, |b| b.build_from_nfa(&nfa).ok())?;
            let first = FirstBytes::of(&dfa);
            Some(AnchoredDfa {
                dfa,
                first,
                whole: false,
            })
        })
}

/// A dense anchored-only DFA within `limit` bytes, built by `build` from
/// the configured builder.
pub(super) fn dense_anchored(
    limit: usize,
    build: impl FnOnce(
        &regex_automata::dfa::dense::Builder,
    ) -> Option<regex_automata::dfa::dense::DFA<Vec<u32>>>,
) -> Option<regex_automata::dfa::dense::DFA<Vec<u32>>> {
    use regex_automata::dfa::{dense, StartKind};
    let mut builder = dense::Builder::new();
    builder
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .thompson(regex_automata::nfa::thompson::Config::new().utf8(false))
        .configure(
            dense::Config::new()
                .start_kind(StartKind::Anchored)
                .dfa_size_limit(Some(limit))
                .determinize_size_limit(Some(2 * limit)),
        );
    build(&builder)
}

/// `srcs` as one leftmost regex, for asking whether any of them matches
/// (`DigitGroup::any`); `None` when they do not compile together.
pub(super) fn any_regex(srcs: &[&str]) -> Option<regex_automata::meta::Regex> {
    regex_automata::meta::Regex::builder()
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .configure(
            regex_automata::meta::Config::new()
                .utf8_empty(false)
                .hybrid_cache_capacity(1 << 22),
        )
        .build_many(srcs)
        .ok()
}

/// The patterns without a trigger as one regex: a single leftmost pass
/// (the lazy DFA's fast loop) finds their matches; a match of one may
/// hide an overlapping match of another, so every such pattern then runs
/// around every match. `None` when they do not compile together (then
/// they run over the whole text).
pub(super) fn untriggered_regex(srcs: &[&str]) -> Option<regex_automata::meta::Regex> {
    if srcs.is_empty() {
        return None;
    }
    regex_automata::meta::Regex::builder()
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .configure(regex_automata::meta::Regex::config().utf8_empty(false))
        .build_many(srcs)
        .ok()
}

/// The automaton of `words`, none for no words; an error names `what`.
pub(super) fn automaton_of(
    words: &[String],
    what: &str,
) -> Result<Option<crate::streams::StreamDfa>, CatalogError> {
    if words.is_empty() {
        return Ok(None);
    }
    crate::streams::StreamDfa::new(words)
        .map(Some)
        .map_err(|e| CatalogError::Invalid {
            file: "catalogue".into(),
            id: "*".into(),
            message: format!("{what}: {e}"),
        })
}

/// The parts of a pattern's plan that depend on the pattern alone, and
/// cost most of a catalogue's load (its regex, its literal sets): made
/// for every pattern first, on every core.
pub(super) struct Prepared {
    /// The regex and the source it was built from ([`compile`]).
    pub(super) built: Result<(Regex, String), String>,
    /// That source parsed.
    pub(super) compiled: Option<regex_syntax::hir::Hir>,
    /// The pattern without its case flag, parsed (the trigger automaton
    /// folds ASCII case itself): where its literals come from.
    pub(super) lit_hir: Option<regex_syntax::hir::Hir>,
    /// Its best literal set.
    pub(super) lits: Option<shape::Literals>,
}

impl Prepared {
    pub(super) fn of(p: &str) -> Self {
        let built = compile(p);
        let compiled = built.as_ref().ok().and_then(|(_, src)| shape::parse(src));
        // Case-insensitive patterns yield no finite literal set (every
        // letter doubles it); the trigger automaton folds ASCII case
        // itself, so their literals are taken from the pattern without
        // the flag.
        let lit_hir = shape::parse(strip_case_flag(p));
        let lits = match super::saved::builtin().get(p) {
            Some(known) => known.clone(),
            None => lit_hir.as_ref().and_then(shape::best_literals),
        };
        Self {
            built,
            compiled,
            lit_hir,
            lits,
        }
    }

    /// [`Prepared::of`] every pattern of every type, in catalogue order,
    /// on every core.
    pub(super) fn all(catalog: &Catalog) -> Vec<Self> {
        let patterns: Vec<&str> = catalog
            .types()
            .iter()
            .flat_map(|t| t.patterns.iter().map(String::as_str))
            .collect();
        palisade_rules::prefilter::on_every_core(&patterns, 64, |ps| {
            palisade_rules::prefilter::with_literal_memo(|| ps.map(|p| Self::of(p)).collect())
        })
    }
}

/// `p`'s best literal set, worked out now (what the shipped file holds
/// for the built-in catalogue, `saved`).
#[cfg(test)]
pub(super) fn fresh_literals(p: &str) -> Option<shape::Literals> {
    shape::parse(strip_case_flag(p))
        .as_ref()
        .and_then(shape::best_literals)
}

/// Compiles in ASCII mode when the pattern allows it (faster, and `\b`
/// and `\d` then mean what identifier formats need), else with Unicode.
/// No one-pass DFA: it made a fifth of the compiled catalogue's memory,
/// and values inside matches (`value_group`) come as fast from the
/// bounded backtracker over the short span the lazy DFA found.
pub(super) fn compile(src: &str) -> Result<(Regex, String), String> {
    let build = |pattern: &str| {
        Regex::builder()
            .syntax(regex_automata::util::syntax::Config::new().utf8(false))
            .configure(
                Regex::config()
                    .utf8_empty(false)
                    .onepass(false)
                    .nfa_size_limit(Some(1 << 24)),
            )
            .build(pattern)
            .map_err(|e| e.to_string())
    };
    let ascii = format!("(?-u){src}");
    if let Ok(r) = build(&ascii) {
        return Ok((r, ascii));
    }
    build(src).map(|r| (r, src.to_string()))
}

impl Engine {
    pub(super) fn build(catalog: Catalog, shortcuts: bool) -> Result<Self, CatalogError> {
        let prepared = Prepared::all(&catalog);
        // Many types share sub-expressions (separators, digit groups,
        // context alternations), each of whose literal sets is extracted
        // several ways while patterns are planned.
        palisade_rules::prefilter::with_literal_memo(|| {
            Self::build_now(catalog, prepared, shortcuts)
        })
    }

    pub(super) fn build_now(
        catalog: Catalog,
        prepared: Vec<Prepared>,
        shortcuts: bool,
    ) -> Result<Self, CatalogError> {
        let mut prepared = prepared.into_iter();
        let mut patterns = Vec::new();
        let mut trigger_words: Vec<String> = Vec::new();
        let mut trigger_patterns: Vec<Vec<usize>> = Vec::new();
        let mut pair_patterns: Vec<(usize, [bool; 256])> = Vec::new();
        let mut run_entries: Vec<(usize, crate::runs::Shape)> = Vec::new();
        let mut separator_words: Vec<String> = Vec::new();
        // Literal-triggered patterns: (pattern, its literals, found as
        // separators), registered once grouped.
        let mut literal_routes: Vec<(usize, Vec<String>, bool)> = Vec::new();
        let mut separator_patterns: Vec<Vec<usize>> = Vec::new();
        // Trigger words that came from context (matched as whole words).
        let mut context_triggers = std::collections::HashSet::new();
        let mut words: Vec<String> = Vec::new();
        let mut context_types: Vec<Vec<usize>> = Vec::new();
        for (ti, t) in catalog.types().iter().enumerate() {
            for (pi, p) in t.patterns.iter().enumerate() {
                let Prepared {
                    built,
                    compiled,
                    lit_hir,
                    lits,
                } = prepared.next().unwrap_or_else(|| Prepared::of(p));
                let (re, src) = built.map_err(|e| CatalogError::Invalid {
                    file: t.file.clone(),
                    id: t.id.clone(),
                    message: format!("patterns[{pi}] does not compile: {e}"),
                })?;
                if t.value_group >= re.captures_len() {
                    return Err(CatalogError::Invalid {
                        file: t.file.clone(),
                        id: t.id.clone(),
                        message: format!(
                            "value_group {} but patterns[{pi}] has fewer groups",
                            t.value_group
                        ),
                    });
                }
                let values: Vec<&str> = t
                    .examples
                    .positive
                    .iter()
                    .filter_map(|ex| crate::catalog::split_example(ex).1)
                    .collect();
                let longest = values.iter().map(|v| v.len()).max().unwrap_or(64);
                let example_digits = values
                    .iter()
                    .map(|v| v.bytes().filter(u8::is_ascii_digit).count())
                    .min()
                    .unwrap_or(0);
                let max_len = compiled.as_ref().and_then(shape::max_len);
                // Unbounded patterns get room for twice their longest
                // example.
                let fallback = 2 * longest + 2 * CONTEXT_WINDOW + 64;
                let plain_reach = max_len.map_or(fallback, |l| l + REACH_SLACK);
                let context_cost = (t.context_required && !t.context.is_empty()).then(|| {
                    t.context
                        .iter()
                        .map(|w| shape::literal_cost(&w.to_lowercase()))
                        .fold(0u32, u32::saturating_add)
                });
                // Digit hotspots certainly cover a match that holds
                // `DIGIT_RUN` digits within `DIGIT_SPAN` bytes.
                let digits_certain = compiled
                    .as_ref()
                    .is_some_and(|h| shape::dense_digits(h, DIGIT_RUN, DIGIT_SPAN));
                // Separators of hex groups count only next to hex runs.
                let hex_gate = lits.as_ref().is_some_and(|l| {
                    l.words
                        .iter()
                        .all(|w| w.bytes().all(|b| b.is_ascii_punctuation()))
                }) && compiled
                    .as_ref()
                    .zip(lits.as_ref())
                    .is_some_and(|(h, l)| shape::hex_separated(h, &l.words));
                let digit_gate = shortcuts
                    && hex_gate
                    && compiled
                        .as_ref()
                        .zip(lits.as_ref())
                        .is_some_and(|(h, l)| shape::digit_separated(h, &l.words));
                let mut choice: Option<(Trigger, u32)> = None;
                let mut consider = |t: Trigger, cost: Option<u32>| {
                    if let Some(c) = cost {
                        let better = match choice {
                            Some((_, best)) => c < best,
                            None => true,
                        };
                        if better {
                            choice = Some((t, c));
                        }
                    }
                };
                let literal_cost = lits.as_ref().map(|l| {
                    if hex_gate {
                        l.cost / HEX_GATE_GAIN
                    } else {
                        l.cost
                    }
                });
                consider(Trigger::Literal, literal_cost);
                consider(Trigger::Context, context_cost);
                consider(
                    Trigger::Digits,
                    digits_certain.then_some(
                        DIGITS_COST + u32::try_from(plain_reach / 2).unwrap_or(u32::MAX),
                    ),
                );
                let pair = compiled.as_ref().and_then(shape::class_before_digit);
                consider(Trigger::Pair, pair.is_some().then_some(PAIR_COST));
                let trigger = match choice {
                    Some((t, c)) if c <= WEAK_TRIGGER => t,
                    // Number formats without a good literal trigger on
                    // digits when their examples all have enough of them.
                    _ if example_digits >= DIGIT_RUN => Trigger::Digits,
                    _ => Trigger::Always,
                };
                // A format whose every match starts at a digit run after a
                // non-word byte is tried where a run it can hold starts,
                // rather than searched in the windows of every digit
                // stretch (or over the whole text): a run of the right
                // length and next byte is rarer than a stretch, and dense
                // records made those windows megabytes long.
                let run_start = match trigger {
                    Trigger::Digits | Trigger::Always
                        if shortcuts
                            && compiled.as_ref().is_some_and(shape::opens_at_word_edge) =>
                    {
                        anchored_dfa_of(&src, ANCHORED_DFA_LIMIT)
                            .and_then(|a| crate::runs::rows_of(&a.dfa).map(|rows| (a, rows)))
                    }
                    _ => None,
                };
                let trigger = if run_start.is_some() {
                    Trigger::RunStart
                } else {
                    trigger
                };
                let pi_now = patterns.len();
                match trigger {
                    Trigger::Literal => {
                        let mut lits = lits.as_ref().map(|l| l.words.clone()).unwrap_or_default();
                        // Gated separators are found from byte masks: in
                        // the automaton they would be most of its hits.
                        let separators = hex_gate
                            && lits.iter().all(|l| {
                                l.len() <= 2
                                    && l.bytes().all(|b| b.is_ascii_punctuation())
                                    && l.bytes().next().is_some_and(|b| SEPARATORS.contains(&b))
                            });
                        lits.sort();
                        literal_routes.push((pi_now, lits, separators));
                    }
                    Trigger::Context => {
                        for w in &t.context {
                            let w = w.to_lowercase();
                            if whole_word(&w) {
                                context_triggers.insert(w.clone());
                            }
                            trigger_of(&mut trigger_words, &mut trigger_patterns, w, pi_now);
                        }
                    }
                    Trigger::Pair => {
                        if let Some(class) = pair {
                            pair_patterns.push((pi_now, class));
                        }
                    }
                    Trigger::Digits | Trigger::Always | Trigger::RunStart => {}
                }
                // A match contains its literal, digit hotspot or pair, so
                // it lies within its longest length of it; a context word
                // is up to `CONTEXT_WINDOW` further.
                let reach = match (trigger, max_len) {
                    (Trigger::Context, Some(l)) => CONTEXT_WINDOW + l + REACH_SLACK,
                    _ => plain_reach,
                };
                // A literal's place in the pattern bounds each side on
                // its own (`AKIA…` reaches only forward). The bounds come
                // from the pattern without its case flag, which in
                // Unicode mode could match longer (`K` → Kelvin sign).
                let sided =
                    trigger == Trigger::Literal && (src.starts_with("(?-u)") || !p.contains("(?i"));
                let side = |b: Option<usize>| match (b, sided) {
                    (Some(b), true) => (b + REACH_SLACK).min(reach),
                    _ => reach,
                };
                let (before, after) = match &lits {
                    Some(l) => (side(l.before), side(l.after)),
                    None => (reach, reach),
                };
                let anchor = match trigger {
                    // Tried where its run starts, whatever its length.
                    Trigger::RunStart => Some((0, 0)),
                    _ if !shortcuts => None,
                    // The places in bytes: from the literals' places taken
                    // in Unicode mode when they are narrow enough (a class
                    // of one character may be four bytes there, one in
                    // byte mode, so they hold the compiled pattern's),
                    // else taken again in byte mode, as compiled, when that
                    // yields the same literals. Only for bounds a byte-mode
                    // look can bring within the spread (a Unicode `\d` is
                    // up to four bytes: an IPv4 address's dots lie up to
                    // 34 bytes in, 13 in byte mode): the extraction is a
                    // fifth of a catalogue's load.
                    Trigger::Literal if src.starts_with("(?-u)") => {
                        let places = |l: &shape::Literals| l.before.map(|b| (l.before_min, b));
                        let unicode = lits.as_ref().and_then(places);
                        match unicode {
                            Some((lo, hi)) if hi - lo <= ANCHOR_SPREAD => unicode,
                            Some((_, hi)) if hi <= 4 * ANCHOR_SPREAD_WIDE => {
                                shape::parse(&format!("(?-u){}", strip_case_flag(p)))
                                    .and_then(|h| shape::best_literals(&h))
                                    .filter(|b| lits.as_ref().is_some_and(|l| l.words == b.words))
                                    .as_ref()
                                    .and_then(places)
                                    .or(unicode)
                            }
                            _ => unicode,
                        }
                    }
                    // Compiled in Unicode mode: the places taken in that
                    // mode are the compiled pattern's, except where a case
                    // flag lets a letter before the literal match a longer
                    // one (`ſ` for `s`); a literal that starts every match
                    // has nothing before it.
                    Trigger::Literal => lits
                        .as_ref()
                        .and_then(|l| l.before.map(|b| (l.before_min, b)))
                        .filter(|&(_, hi)| hi == 0 || !p.contains("(?i")),
                    Trigger::Pair => compiled.as_ref().and_then(shape::pair_offsets),
                    _ => None,
                }
                .filter(|(lo, hi)| hi - lo <= ANCHOR_SPREAD_WIDE);
                // Up to `ANCHOR_SPREAD` places, tries are cheaper than a
                // window. Further, only where a window would be wider than
                // the tries' cost and a DFA of at most `WIDE_DFA_LIMIT`
                // rejects the wrong places, built now to know (without
                // one, each try costs a regex search; with a larger one
                // the tries miss the cache: the generic secrets' keyword
                // DFAs, 215 KB each, made a scan slower than their
                // windows did).
                let anchored_dfa = std::sync::OnceLock::new();
                // The run table needed this one at load: keep it.
                if let Some((dfa, rows)) = run_start {
                    run_entries.push((pi_now, rows));
                    let _ = anchored_dfa.set(Some(dfa));
                }
                let anchor = anchor.filter(|&(lo, hi)| {
                    hi - lo <= ANCHOR_SPREAD
                        || ((hi - lo + 1) * TRY_BYTES <= before + after
                            && anchored_dfa_of(&src, WIDE_DFA_LIMIT)
                                .is_some_and(|a| anchored_dfa.set(Some(a)).is_ok()))
                });
                // Without a case flag the literals' case is known (and
                // matters where they have letters). Only short words: long
                // ones are rare hits, and walking every pattern again made
                // a load a sixth longer.
                let cased = |l: &shape::Literals| {
                    l.words.iter().any(|w| {
                        w.len() <= EXACT_WORD && w.bytes().any(|b| b.is_ascii_alphabetic())
                    })
                };
                let exact = match (trigger, &lit_hir, &lits) {
                    (Trigger::Literal, Some(h), Some(l))
                        if shortcuts && !p.contains("(?i") && cased(l) =>
                    {
                        shape::exact_literals(h, l)
                            .map(|ws| ws.into_iter().map(String::into_bytes).collect())
                    }
                    _ => None,
                };
                let words = match (trigger, &lits) {
                    (Trigger::Literal, Some(l)) if shortcuts && anchor.is_none() => l.words.clone(),
                    _ => Vec::new(),
                };
                patterns.push(Pattern {
                    words,
                    gate: std::sync::OnceLock::new(),
                    exact,
                    anchored_dfa,
                    digit_run: compiled.as_ref().map_or(0, shape::min_digit_run),
                    needs_hotspot: shortcuts && digits_certain,
                    min_digits: if shortcuts {
                        compiled
                            .as_ref()
                            .map_or(0, shape::min_digits)
                            .max(t.digits.map_or(0, |[lo, _]| lo))
                    } else {
                        0
                    },
                    max_len,
                    ty: ti,
                    re,
                    src,
                    group: t.value_group,
                    trigger,
                    reach,
                    before,
                    after,
                    hex_gate: hex_gate && trigger == Trigger::Literal,
                    digit_gate: digit_gate && trigger == Trigger::Literal,
                    anchor,
                });
            }
            for w in &t.context {
                let w = w.to_lowercase();
                if w.len() <= MAX_CONTEXT_WORD {
                    // The same word-to-list bookkeeping as the triggers'.
                    trigger_of(&mut words, &mut context_types, w, ti);
                }
            }
        }
        // Patterns with the same literals share their windows and a set
        // that says which of them occur there: one scan of a window
        // instead of one per pattern.
        let mut groups: Vec<LiteralGroup> = Vec::new();
        // Patterns tried anchored stay out: each try reads a few bytes,
        // where a set reads the whole window.
        let anchored = |pi: usize| patterns.get(pi).is_some_and(|p| p.anchor.is_some());
        let mut grouped = vec![false; literal_routes.len()];
        for i in 0..literal_routes.len() {
            if grouped[i] {
                continue;
            }
            let Some((first, lits, sep)) = literal_routes.get(i) else {
                continue;
            };
            if anchored(*first) {
                continue;
            }
            let members: Vec<usize> = (i..literal_routes.len())
                .filter(|&j| {
                    literal_routes
                        .get(j)
                        .is_some_and(|(pi, l, s)| l == lits && s == sep && !anchored(*pi))
                })
                .collect();
            if members.len() < GROUP_MIN {
                continue;
            }
            let pis: Vec<usize> = members
                .iter()
                .filter_map(|&j| literal_routes.get(j).map(|r| r.0))
                .collect();
            let srcs: Vec<&str> = pis
                .iter()
                .filter_map(|&pi| patterns.get(pi).map(|p| p.src.as_str()))
                .collect();
            let Ok(set) = regex::bytes::RegexSetBuilder::new(&srcs)
                .size_limit(1 << 26)
                .dfa_size_limit(1 << 26)
                .build()
            else {
                continue;
            };
            let side = |f: fn(&Pattern) -> usize| {
                pis.iter()
                    .filter_map(|&pi| patterns.get(pi).map(f))
                    .max()
                    .unwrap_or(0)
            };
            groups.push(LiteralGroup {
                patterns: pis.clone(),
                set,
                any: shortcuts.then(|| any_regex(&srcs)).flatten(),
                before: side(|p| p.before),
                after: side(|p| p.after),
                hex_gate: pis
                    .iter()
                    .all(|&pi| patterns.get(pi).is_some_and(|p| p.hex_gate)),
                digit_gate: pis
                    .iter()
                    .all(|&pi| patterns.get(pi).is_some_and(|p| p.digit_gate)),
            });
            for &j in &members {
                grouped[j] = true;
            }
        }
        let group_of = |pi: usize| groups.iter().position(|g| g.patterns.contains(&pi));
        for (pi, lits, sep) in &literal_routes {
            // A group is a target past the patterns.
            let target = group_of(*pi).map_or(*pi, |g| patterns.len() + g);
            for l in lits {
                if *sep {
                    trigger_of(
                        &mut separator_words,
                        &mut separator_patterns,
                        l.clone(),
                        target,
                    );
                } else {
                    trigger_of(&mut trigger_words, &mut trigger_patterns, l.clone(), target);
                }
            }
        }
        // Number patterns of similar reach share a set: one reaching far
        // (an MRZ) would widen every window of the others.
        let mut digit_groups = Vec::new();
        for bucket in DIGIT_REACH_BUCKETS.windows(2) {
            let (lo, hi) = (bucket[0], bucket[1]);
            let members: Vec<usize> = (0..patterns.len())
                .filter(|&i| {
                    patterns.get(i).is_some_and(|p| {
                        p.trigger == Trigger::Digits && p.reach > lo && p.reach <= hi
                    })
                })
                .collect();
            if members.is_empty() {
                continue;
            }
            let srcs: Vec<&str> = members
                .iter()
                .filter_map(|&i| patterns.get(i).map(|p| p.src.as_str()))
                .collect();
            let set = regex::bytes::RegexSetBuilder::new(&srcs)
                .size_limit(1 << 26)
                .dfa_size_limit(1 << 26)
                .build()
                .map_err(|e| CatalogError::Invalid {
                    file: "catalogue".into(),
                    id: "*".into(),
                    message: format!("number patterns do not compile together: {e}"),
                })?;
            let reach = members
                .iter()
                .filter_map(|&i| patterns.get(i).map(|p| p.reach))
                .max()
                .unwrap_or(0);
            let min_run = members
                .iter()
                .filter_map(|&i| patterns.get(i).map(|p| p.digit_run))
                .min()
                .filter(|&r| shortcuts && r >= DIGIT_RUN)
                .unwrap_or(0);
            let any = shortcuts.then(|| any_regex(&srcs)).flatten();
            digit_groups.push(DigitGroup {
                any,
                min_run,
                patterns: members,
                set,
                reach,
            });
        }
        let always: Vec<usize> = (0..patterns.len())
            .filter(|&i| patterns[i].trigger == Trigger::Always)
            .collect();
        let digit_needs = digit_needs(&patterns, &groups);
        let always_regex = untriggered_regex(
            &always
                .iter()
                .filter_map(|&i| patterns.get(i).map(|p| p.src.as_str()))
                .collect::<Vec<_>>(),
        );
        // A word that is both a pattern literal and a context word is
        // matched anywhere: the literal needs that.
        let literal_words: std::collections::HashSet<&String> = trigger_words
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                trigger_patterns.get(*i).is_some_and(|ps| {
                    ps.iter().any(|&p| {
                        p >= patterns.len()
                            || patterns
                                .get(p)
                                .is_some_and(|q| q.trigger == Trigger::Literal)
                    })
                })
            })
            .map(|(_, w)| w)
            .collect();
        // The automaton's words are the trigger words; a context word
        // that matches one of them (ASCII case aside) becomes that word's
        // second role, any other goes to the context automaton.
        let auto_words = trigger_words.clone();
        let mut roles: Vec<WordRole> = trigger_words
            .iter()
            .enumerate()
            .map(|(i, w)| WordRole {
                trigger: as_id(i),
                context: NONE,
                trigger_whole: context_triggers.contains(w) && !literal_words.contains(w),
                context_whole: false,
            })
            .collect();
        let mut folded: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (i, w) in trigger_words.iter().enumerate() {
            folded.entry(w.to_ascii_lowercase()).or_insert(i);
        }
        let mut context_only: Vec<String> = Vec::new();
        let mut context_roles: Vec<(usize, bool)> = Vec::new();
        for (ci, w) in words.iter().enumerate() {
            match folded
                .get(&w.to_ascii_lowercase())
                .and_then(|&i| roles.get_mut(i))
            {
                Some(role) => {
                    role.context = as_id(ci);
                    role.context_whole = whole_word(w);
                }
                None => {
                    context_only.push(w.clone());
                    context_roles.push((ci, whole_word(w)));
                }
            }
        }
        let automaton = automaton_of(&auto_words, "trigger automaton")?;
        let context_longest = context_only.iter().map(String::len).max().unwrap_or(0);
        let context_words = automaton_of(&context_only, "context automaton")?;
        let runs = crate::runs::RunTable::new(&run_entries).map_err(|e| CatalogError::Invalid {
            file: "catalogue".into(),
            id: "*".into(),
            message: format!("digit run table: {e}"),
        })?;
        Ok(Self {
            runs,
            patterns,
            words: automaton,
            roles,
            context_words,
            context_roles,
            context_longest,
            trigger_patterns,
            digit_groups,
            digit_needs,
            separator_words,
            separator_patterns,
            pair_any: std::array::from_fn(|b| pair_patterns.iter().any(|(_, c)| c[b])),
            pair_patterns,
            groups,
            always,
            always_regex,
            context_types,
            checks: catalog
                .types()
                .iter()
                .map(|t| t.validator.as_deref().and_then(crate::validate::check_of))
                .collect(),
            specific: catalog
                .types()
                .iter()
                .map(|t| !t.locales.iter().any(|l| l == "global"))
                .collect(),
            catalog,
            min_score: 0.5,
        })
    }
}

/// Registers `word` as a trigger of pattern `pi`. Pattern literals match
/// anywhere (`19` inside a number); context words only standing alone,
/// hence they are kept apart (a `\u{1}` marker) from equal literals.
pub(super) fn trigger_of(
    words: &mut Vec<String>,
    pats: &mut Vec<Vec<usize>>,
    word: String,
    pi: usize,
) {
    if word.is_empty() {
        return;
    }
    let idx = match words.iter().position(|w| *w == word) {
        Some(i) => i,
        None => {
            words.push(word);
            pats.push(Vec::new());
            words.len() - 1
        }
    };
    if let Some(list) = pats.get_mut(idx) {
        if !list.contains(&pi) {
            list.push(pi);
        }
    }
}

/// The digits each window target needs (`Engine::digit_needs`): patterns
/// searched in windows (not tried anchored, not grouped, not on the
/// hotspots already) whose matches need digits, and groups whose every
/// pattern needs some. The least need of a group's patterns is the
/// group's.
pub(super) fn digit_needs(patterns: &[Pattern], groups: &[LiteralGroup]) -> Vec<DigitNeed> {
    let need = |target: usize, ps: &[&Pattern]| {
        let hotspot_run = ps.iter().all(|p| p.needs_hotspot).then(|| {
            ps.iter()
                .map(|p| {
                    if p.digit_run >= DIGIT_RUN {
                        p.digit_run
                    } else {
                        0
                    }
                })
                .min()
                .unwrap_or(0)
        });
        let digits = ps.iter().map(|p| p.min_digits).min().unwrap_or(0);
        (!ps.is_empty() && (hotspot_run.is_some() || digits > 0)).then_some(DigitNeed {
            target,
            hotspot_run,
            digits,
        })
    };
    let grouped = |pi: usize| groups.iter().any(|g| g.patterns.contains(&pi));
    let mut out: Vec<DigitNeed> = patterns
        .iter()
        .enumerate()
        .filter(|&(pi, p)| {
            p.anchor.is_none()
                && matches!(
                    p.trigger,
                    Trigger::Literal | Trigger::Context | Trigger::Pair
                )
                && !grouped(pi)
        })
        .filter_map(|(pi, p)| need(pi, &[p]))
        .collect();
    for (gi, g) in groups.iter().enumerate() {
        let members: Option<Vec<&Pattern>> =
            g.patterns.iter().map(|&pi| patterns.get(pi)).collect();
        out.extend(members.and_then(|ms| need(patterns.len() + gi, &ms)));
    }
    out
}

/// The DFA of `p`'s gate (`shape::after_literal`), in the pattern's own
/// modes: bytes or Unicode, and its case flag (its literals were taken
/// without it).
pub(super) fn gate_of(
    p: &Pattern,
) -> Option<(regex_automata::dfa::dense::DFA<Vec<u32>>, FirstBytes)> {
    let byte_mode = p.src.starts_with("(?-u)");
    let own = if byte_mode {
        p.src.get("(?-u)".len()..)?
    } else {
        p.src.as_str()
    };
    let bare = strip_case_flag(own);
    let hir = shape::parse(bare)?;
    let body = shape::after_literal(&hir, &p.words)?;
    let gate = format!(
        "{}{}{body}",
        if byte_mode { "(?-u)" } else { "" },
        if bare.len() < own.len() { "(?i)" } else { "" }
    );
    dense_anchored(WIDE_DFA_LIMIT, |b| b.build(&gate).ok()).map(|dfa| {
        let first = FirstBytes::of(&dfa);
        (dfa, first)
    })
}

/// Whether a word begins and ends with an ASCII letter or digit (then it
/// only counts standing alone).
pub(super) fn whole_word(w: &str) -> bool {
    let b = w.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// The pattern without a leading `(?i)` (after an optional `(?-u)`), for
/// literal extraction only.
pub(super) fn strip_case_flag(p: &str) -> &str {
    let rest = p.strip_prefix("(?-u)").unwrap_or(p);
    rest.strip_prefix("(?i)").unwrap_or(p)
}
