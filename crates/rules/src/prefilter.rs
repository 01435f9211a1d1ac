//! Literal prefilter: one Aho-Corasick pass tells which patterns can match.
//!
//! A single `RegexSet` over hundreds of case-insensitive Unicode patterns
//! overflows the lazy DFA's cache and falls back to the PikeVM (measured:
//! ~3 ms for a 400-byte prompt with the shipped packs). Instead, each
//! pattern's required prefix literals are extracted with regex-syntax and
//! all of them go into one ASCII-case-insensitive automaton; a pattern's
//! own regex runs only when one of its literals occurs — and, where a second
//! element of the pattern has a selective set too, one of those as well
//! (halves the rule time on ordinary 1 KB prompts). Patterns without a
//! usable literal set (a leading class, a cased non-ASCII letter that ASCII
//! folding would miss) always run.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind, Look};
use regex_syntax::ParserBuilder;
use std::collections::{HashMap, HashSet};

/// Which patterns to try for a text.
#[derive(Debug, Clone)]
pub struct Prefilter {
    ac: Option<AhoCorasick>,
    /// Per distinct automaton literal: the patterns whose first or second
    /// set holds it, each with whether it is the second. Distinct, because
    /// common words (`the`, `to`, `you`) sit in the sets of many patterns,
    /// and an automaton holding every copy reported each of them at every
    /// occurrence (about 1,300 hits per 2 KB prompt against 360 now; the
    /// rules' instructions per prompt fell by 18 %).
    literal_patterns: Vec<Vec<(usize, bool)>>,
    /// Per pattern: it has a second set that must occur too.
    needs_second: Vec<bool>,
    always: Vec<usize>,
    /// Per pattern: its literals are prefixes of every match.
    from_start: Vec<bool>,
    /// Per pattern: where its literals occur is wanted even though they
    /// are not its prefixes (its matches are bounded in length).
    located: Vec<bool>,
    /// Per pattern: where its literal set comes from.
    origins: Vec<Option<Origin>>,
    patterns: usize,
}

/// Literals of which at least one occurs in every match of `pattern`
/// (lower-cased), or `None` when no finite, selective set exists.
///
/// Presence anywhere is all the prefilter needs, so besides the pattern's
/// own prefixes and suffixes any element of its top-level concatenation
/// will do: a match of the whole contains a match of each element. That
/// rescues patterns that open with `(?:^|\n)` or an optional group. An
/// element that is an alternation also offers the union of its branches'
/// most selective sets, wherever in each branch they lie. The
/// most selective set (longest shortest literal, then fewest) wins; among
/// sets about as selective, the pattern's own prefixes win, because every
/// match *starts* with one of them and the search can begin at the first
/// occurrence instead of the start of the text (the flag returned).
pub fn literals(pattern: &str) -> Option<(Vec<String>, bool)> {
    chosen(pattern).map(|r| (r.set, r.starts))
}

/// Where in a pattern the set [`literals`] chose comes from: which element
/// of its top-level concatenation (0: the whole pattern, else 1-based),
/// out of how many, and whether every match of that element ends with one
/// of the literals rather than begins with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The element.
    pub part: usize,
    /// Elements of the top-level concatenation (0 when it is not one).
    pub parts: usize,
    /// The literals end the element's matches.
    pub suffix: bool,
    /// The literals lie somewhere inside the element, neither beginning
    /// nor ending its matches (the union of an alternation's branches'
    /// sets, each taken from wherever in its branch is most selective).
    pub inside: bool,
}

/// The set [`literals`] chooses, with where it comes from.
fn chosen(pattern: &str) -> Option<Ranked> {
    ranked(pattern).into_iter().next()
}

/// One selective literal set of a pattern.
struct Ranked {
    set: Vec<String>,
    /// Every match of the whole pattern begins with one of them.
    starts: bool,
    origin: Origin,
}

/// A second literal set every match also contains, from another element of
/// the top-level concatenation than [`literals`] chose: a pattern runs only
/// when both sets occur, which keeps patterns keyed on common words
/// (`your`, `include`) from running on every ordinary prompt.
pub fn second_literals(pattern: &str) -> Option<Vec<String>> {
    first_and_second(pattern).and_then(|(_, second)| second)
}

/// Both sets the prefilter keys a pattern on, as [`Prefilter::new`]
/// chooses them: [`literals`]'s and [`second_literals`]'s, from one
/// ranking (empty when there is none).
pub fn key_sets(pattern: &str) -> (Vec<String>, Vec<String>) {
    first_and_second(pattern).map_or_else(Default::default, |(first, second)| {
        (first.set, second.unwrap_or_default())
    })
}

/// [`literals`]'s set and [`second_literals`]'s from one ranking (each
/// ranking extracts every element's sets several ways: load time).
fn first_and_second(pattern: &str) -> Option<(Ranked, Option<Vec<String>>)> {
    let (all, edges) = ranked_with_edges(pattern);
    let mut sets = all.into_iter();
    let first = sets.next()?;
    let second = sets
        .find(|r| !same_place(&r.origin, &first.origin, edges) && r.set != first.set)
        .map(|r| r.set);
    Some((first, second))
}

/// Whether two sets come from the same place in a pattern: the same
/// element, or the whole pattern's prefixes and its first element's (or
/// its suffixes and its last element's), which are the same words. A
/// second set from the same place gates nothing: `rules keys` showed
/// patterns opened by "best" or "most" whose second set was "best" or
/// "most" again.
fn same_place(a: &Origin, b: &Origin, (lead, trail): (usize, usize)) -> bool {
    if a.part == b.part {
        return true;
    }
    // The whole pattern's prefixes lie in its first element that is not
    // an assertion (`\b` opens most patterns), wherever in that element
    // the other set was taken from; its suffixes in the last such one.
    let edge =
        |x: &Origin, y: &Origin| x.part == 0 && y.part == if x.suffix { trail } else { lead };
    edge(a, b) || edge(b, a)
}

/// Every selective literal set of the pattern and of each element of its
/// top-level concatenation, most selective first (element 0 being the
/// whole pattern).
fn ranked(pattern: &str) -> Vec<Ranked> {
    ranked_with_edges(pattern).0
}

/// [`ranked`], with the places of the first and last elements of the
/// top-level concatenation that are not assertions (0 when there is none).
fn ranked_with_edges(pattern: &str) -> (Vec<Ranked>, (usize, usize)) {
    let Ok(hir) = ParserBuilder::new().build().parse(pattern) else {
        return (Vec::new(), (0, 0));
    };
    // A pattern that matches only at the start of the text runs there
    // anyway, one anchored attempt; its literals in the automaton would
    // report every later occurrence of `what` or `how` for nothing.
    if hir.properties().look_set_prefix().contains(Look::Start) {
        return (Vec::new(), (0, 0));
    }
    // A pattern wrapped whole in a group is its contents.
    let mut top = &hir;
    while let HirKind::Capture(c) = top.kind() {
        top = &c.sub;
    }
    let mut parts = vec![top];
    if let HirKind::Concat(items) = top.kind() {
        parts.extend(items.iter());
    }
    let count = parts.len() - 1;
    let asserts = |h: &Hir| matches!(unwrap_captures(h).kind(), HirKind::Look(_));
    let lead = (1..parts.len()).find(|&i| !asserts(parts[i])).unwrap_or(0);
    let trail = (1..parts.len())
        .rev()
        .find(|&i| !asserts(parts[i]))
        .unwrap_or(0);
    let mut all: Vec<Ranked> = parts
        .iter()
        .copied()
        .enumerate()
        .flat_map(|(part, h)| {
            per_class_limit(h, |kind, classes| literal_set(h, kind, classes))
                .into_iter()
                .filter_map(move |(suffix, set)| {
                    set.map(|set| Ranked {
                        set,
                        starts: part == 0 && !suffix,
                        origin: Origin {
                            part,
                            parts: count,
                            suffix,
                            inside: false,
                        },
                    })
                })
        })
        .collect();
    // An alternation's prefixes are its branches' first words, often the
    // common verbs of many acts ("sell", "start"); the words that tell
    // the acts apart sit further in. Put at the front of `all`, which the
    // reversal below makes the back: among sets as selective, the
    // element's own prefixes and suffixes still win.
    for (part, h) in parts.iter().enumerate() {
        if let HirKind::Alternation(_) = unwrap_captures(h).kind() {
            if let Some(set) = branch_union(h, UNION_DEPTH) {
                all.insert(
                    0,
                    Ranked {
                        set,
                        starts: false,
                        origin: Origin {
                            part,
                            parts: count,
                            suffix: false,
                            inside: true,
                        },
                    },
                );
            }
        }
    }
    // Stable, so equally good sets keep the order `max_by_key` picked from
    // before (the last of equals).
    all.reverse();
    // Each key hashes every literal of its set against the common words:
    // computed once per set, not once per comparison (a fifth of
    // `palisade guard`'s start-up was this sort).
    all.sort_by_cached_key(|r| std::cmp::Reverse(rank_key(&r.set, r.starts)));
    (all, (lead, trail))
}

/// Words of ordinary prompts that make poor keys (`data/common_words.txt`).
const COMMON_WORDS: &str = include_str!("../data/common_words.txt");

/// How long a literal counts as when sets are ranked: its length up to
/// eight characters, or one for a word of [`COMMON_WORDS`] ("the", "to",
/// "your"), which is in nearly every prompt however long it is.
fn key_len(literal: &str) -> usize {
    // Looked up for every literal of every set ranked at load: a hasher
    // for short keys, not SipHash.
    static COMMON: std::sync::OnceLock<rustc_hash::FxHashSet<&'static str>> =
        std::sync::OnceLock::new();
    let common = COMMON.get_or_init(|| {
        COMMON_WORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });
    if common.contains(literal.trim()) {
        1
    } else {
        literal.chars().count().min(8)
    }
}

/// How selective a set is, larger better: its shortest literal (counted
/// up to four characters, then whether it starts every match, then up to
/// eight), then fewer literals, then longer ones.
fn rank_key(set: &[String], starts: bool) -> (usize, bool, usize, std::cmp::Reverse<usize>, usize) {
    let lens = || set.iter().map(|l| key_len(l));
    let shortest = lens().min().unwrap_or(0);
    (
        shortest.min(4),
        starts,
        shortest,
        std::cmp::Reverse(set.len()),
        // Last, the longer words: of two sets of one alternation, the
        // one a small class limit stopped at whole first words ("cause"
        // of `cause\s+harm`) beats the one cut to four bytes ("caus",
        // found in every "because") that a large limit gives.
        lens().sum(),
    )
}

/// `h` without the capture groups around it.
pub fn unwrap_captures(mut h: &Hir) -> &Hir {
    while let HirKind::Capture(c) = h.kind() {
        h = &c.sub;
    }
    h
}

/// How deep the unions follow alternations inside branches: the packs
/// nest two (an act inside a request form); each level extracts every
/// element of every branch six ways at load.
const UNION_DEPTH: usize = 3;

/// The largest union the prefilter keeps: one automaton literal each.
const UNION_MAX: usize = 512;

/// The rule prefilter's judge: its selectivity ranking, the last of
/// equally good sets kept (the order [`ranked`] relies on).
struct RuleJudge;

impl SetJudge for RuleJudge {
    fn set(&self, hir: &Hir, kind: ExtractKind, classes: usize) -> Option<Vec<String>> {
        literal_set(hir, kind, classes)
    }
    fn replaces(&self, new: &[String], best: &[String]) -> bool {
        rank_key(new, false) >= rank_key(best, false)
    }
}

/// The union over an alternation's branches of each branch's most
/// selective set (see [`union_of_branches`]), sorted.
fn branch_union(h: &Hir, depth: usize) -> Option<Vec<String>> {
    let walk = Walk {
        depth,
        union_max: UNION_MAX,
    };
    let mut set = union_of_branches(h, &RuleJudge, walk)?.words;
    set.sort_unstable();
    Some(set)
}

/// How a caller of [`best_inside`] judges literal sets: the rule
/// prefilter by selectivity, the DLP engine by how often a literal occurs
/// in prose and code.
pub trait SetJudge {
    /// The prefixes (or suffixes) of `hir` as the caller would search for
    /// them, or `None` when they are not selective enough.
    fn set(&self, hir: &Hir, kind: ExtractKind, classes: usize) -> Option<Vec<String>>;
    /// Whether `new` should replace `best` (on a tie, this decides which
    /// of equally good sets is kept).
    fn replaces(&self, new: &[String], best: &[String]) -> bool;
}

/// Limits of the walk of [`best_inside`].
#[derive(Debug, Clone, Copy)]
pub struct Walk {
    /// Alternations followed into their branches, nested.
    pub depth: usize,
    /// The largest union of branches' sets offered.
    pub union_max: usize,
}

/// A literal set of which one occurs in every match, with how far a
/// match reaches around an occurrence: every match holds an occurrence
/// with these bounds (others may lie further in, as in the later turns
/// of a repetition), so a search that finds every occurrence and looks
/// around each within them finds every match.
#[derive(Debug, Clone, PartialEq)]
pub struct Inside {
    /// The literals.
    pub words: Vec<String>,
    /// How far a match can start before a literal's start, in bytes
    /// (`None`: unbounded).
    pub before: Option<usize>,
    /// At least how far (0 when unknown): with `before`, the places a
    /// match can start around an occurrence.
    pub before_min: usize,
    /// How far a match can end after a literal's end.
    pub after: Option<usize>,
}

/// The best set, by `judge`, of those every match of `hir` holds: its
/// prefixes, its suffixes, or, down the tree, a set of the body of a
/// required repetition, of an element of a concatenation (a match of the
/// whole holds a match of each), or the union over an alternation's
/// branches of each branch's best (a match is a match of some branch).
pub fn best_inside(hir: &Hir, judge: &dyn SetJudge, walk: Walk) -> Option<Inside> {
    let mut best: Option<Inside> = None;
    // The same words found in two places keep the one that pins a
    // match's start closer (a repetition's suffix, or its first turn).
    let spread = |min: usize, max: Option<usize>| max.map_or(usize::MAX, |m| m - min.min(m));
    let mut offer = |words: Vec<String>, (before_min, before): (usize, Option<usize>), after| {
        if best.as_ref().is_none_or(|b| {
            judge.replaces(&words, &b.words)
                || (words == b.words && spread(before_min, before) < spread(b.before_min, b.before))
        }) {
            best = Some(Inside {
                words,
                before,
                before_min,
                after,
            });
        }
    };
    let len = hir.properties().maximum_len();
    for (suffix, set) in per_class_limit(hir, |kind, classes| judge.set(hir, kind, classes)) {
        match (set, suffix) {
            (Some(set), true) => offer(set, (0, len), Some(0)),
            (Some(set), false) => offer(set, (0, Some(0)), len),
            (None, _) => {}
        }
    }
    match hir.kind() {
        HirKind::Capture(c) => {
            if let Some(l) = best_inside(&c.sub, judge, walk) {
                offer(l.words, (l.before_min, l.before), l.after);
            }
        }
        HirKind::Repetition(r) if r.min >= 1 => {
            // In every turn, so in the first, which starts where the
            // match does: its occurrence's places are the body's (later
            // turns' occurrences lie further in, and a search that finds
            // every occurrence finds the first).
            if let Some(l) = best_inside(&r.sub, judge, walk) {
                offer(l.words, (l.before_min, l.before), len);
            }
        }
        HirKind::Concat(items) => {
            let sum = |hs: &[Hir]| {
                hs.iter().try_fold(0usize, |acc, h| {
                    h.properties().maximum_len().map(|l| acc + l)
                })
            };
            let least = |hs: &[Hir]| {
                hs.iter()
                    .map(|h| h.properties().minimum_len().unwrap_or(0))
                    .sum::<usize>()
            };
            for (i, h) in items.iter().enumerate() {
                if let Some(l) = best_inside(h, judge, walk) {
                    let head = items.get(..i).unwrap_or(&[]);
                    let before = sum(head).zip(l.before).map(|(a, b)| a + b);
                    let after = sum(items.get(i + 1..).unwrap_or(&[]))
                        .zip(l.after)
                        .map(|(a, b)| a + b);
                    offer(l.words, (least(head) + l.before_min, before), after);
                }
            }
        }
        HirKind::Alternation(_) => {
            if let Some(l) = union_of_branches(hir, judge, walk) {
                offer(l.words, (l.before_min, l.before), l.after);
            }
        }
        _ => {}
    }
    best
}

/// The class limits every set is extracted with: small ones keep cross
/// products finite, large ones keep wide alternations exact, and either may
/// be the one that works for a given pattern.
const CLASS_LIMITS: [usize; 3] = [4, 10, 64];

/// `extract(kind, limit)` for each of [`CLASS_LIMITS`], prefixes then
/// suffixes, in that order, each with whether it is the suffixes. A limit
/// only decides which of `hir`'s classes are expanded, so when no class of
/// `hir` has a size between the previous limit and this one the sets are
/// the previous ones, reused instead of extracted again (most elements
/// hold no class of 5 to 64 characters; every element was extracted six
/// ways at load, two fifths of `palisade guard`'s start-up).
fn per_class_limit<T: Clone>(
    hir: &Hir,
    mut extract: impl FnMut(ExtractKind, usize) -> T,
) -> Vec<(bool, T)> {
    let mut sizes = Vec::new();
    class_sizes(hir, &mut sizes);
    let mut out: Vec<(bool, T)> = Vec::with_capacity(2 * CLASS_LIMITS.len());
    let mut previous = None;
    for limit in CLASS_LIMITS {
        let same = previous.is_some_and(|p| !sizes.iter().any(|&s| p < s && s <= limit));
        previous = Some(limit);
        if same && out.len() >= 2 {
            let n = out.len();
            let (p, s) = (out[n - 2].1.clone(), out[n - 1].1.clone());
            out.push((false, p));
            out.push((true, s));
            continue;
        }
        out.push((false, extract(ExtractKind::Prefix, limit)));
        out.push((true, extract(ExtractKind::Suffix, limit)));
    }
    out
}

/// The sizes (characters or bytes) of `hir`'s classes up to the largest
/// class limit, the only thing a class limit is compared with.
fn class_sizes(hir: &Hir, out: &mut Vec<usize>) {
    let cap = CLASS_LIMITS[CLASS_LIMITS.len() - 1] + 1;
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => {
            let mut n = 0usize;
            for r in c.iter() {
                n = n.saturating_add(r.len());
                if n >= cap {
                    break;
                }
            }
            out.push(n.min(cap));
        }
        HirKind::Class(Class::Bytes(c)) => {
            out.push(c.iter().map(|r| r.len()).sum::<usize>().min(cap));
        }
        HirKind::Repetition(r) => class_sizes(&r.sub, out),
        HirKind::Capture(c) => class_sizes(&c.sub, out),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            for h in hs {
                class_sizes(h, out);
            }
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => {}
    }
}

/// For an alternation (inside captures), the union over its branches of
/// each branch's [`best_inside`] set, in order of first appearance; `None`
/// when it is not one, when some branch has no set, when `walk.depth` is
/// spent, or when the union is empty or larger than `walk.union_max`.
pub fn union_of_branches(hir: &Hir, judge: &dyn SetJudge, walk: Walk) -> Option<Inside> {
    let HirKind::Alternation(branches) = unwrap_captures(hir).kind() else {
        return None;
    };
    let inner = Walk {
        depth: walk.depth.checked_sub(1)?,
        ..walk
    };
    let mut words: Vec<String> = Vec::new();
    let (mut before, mut after) = (Some(0usize), Some(0usize));
    let mut before_min = usize::MAX;
    for b in branches {
        let l = best_inside(b, judge, inner)?;
        before = before.zip(l.before).map(|(x, y)| x.max(y));
        before_min = before_min.min(l.before_min);
        after = after.zip(l.after).map(|(x, y)| x.max(y));
        for w in l.words {
            if !words.contains(&w) {
                words.push(w);
            }
        }
    }
    (!words.is_empty() && words.len() <= walk.union_max).then_some(Inside {
        words,
        before,
        before_min: if before_min == usize::MAX {
            0
        } else {
            before_min
        },
        after,
    })
}

/// The literal strings regex-syntax finds every match of `hir` to begin
/// (or end) with, decoded as UTF-8: `None` when there is no finite set of
/// at most 512, or one is not UTF-8. Callers judge which are selective.
///
/// Inside [`with_literal_memo`], results are remembered by the shape of
/// `hir`: the packs' shared sets (`%{group}`) and the catalogue's common
/// alternations recur in many patterns, each extracted anew.
pub fn extract_literals(hir: &Hir, kind: ExtractKind, classes: usize) -> Option<Vec<String>> {
    let suffix = matches!(kind, ExtractKind::Suffix);
    let key = MEMO.with(|m| m.borrow().is_some().then(|| memo_key(hir, suffix, classes)));
    if let Some(k) = &key {
        if let Some(hit) = MEMO.with(|m| m.borrow().as_ref().and_then(|c| c.get(k).cloned())) {
            return hit;
        }
    }
    let out = extract_literals_now(hir, kind, suffix, classes);
    if let Some(k) = key {
        MEMO.with(|m| {
            if let Some(c) = m.borrow_mut().as_mut() {
                c.insert(k, out.clone());
            }
        });
    }
    out
}

type MemoKey = (Vec<u8>, bool, usize);

/// Keys are long (a whole sub-expression's shape), hashed once per
/// extraction: a fast hasher, not SipHash.
type Memo = rustc_hash::FxHashMap<MemoKey, Option<Vec<String>>>;

thread_local! {
    /// [`extract_literals`]'s results while [`with_literal_memo`] runs.
    static MEMO: std::cell::RefCell<Option<Memo>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with [`extract_literals`] remembering its results on this
/// thread (a load-time plan extracts the same sub-expressions many
/// times), then forgets them. Nested calls share the outer memory.
pub fn with_literal_memo<R>(f: impl FnOnce() -> R) -> R {
    struct Forget(bool);
    impl Drop for Forget {
        fn drop(&mut self) {
            if self.0 {
                MEMO.with(|m| m.borrow_mut().take());
            }
        }
    }
    let outer = MEMO.with(|m| {
        let mut m = m.borrow_mut();
        let fresh = m.is_none();
        if fresh {
            let mut memo = Memo::default();
            // About one entry per pattern element and way: grown once,
            // not rehashed a dozen times.
            memo.reserve(4096);
            *m = Some(memo);
        }
        fresh
    });
    let _forget = Forget(outer);
    f()
}

/// What [`extract_literals`]'s result depends on: `hir`'s structure
/// (captures aside, which extraction looks through), the end it reads
/// from, and the class limit as far as `hir`'s classes can tell it apart:
/// a class is expanded when its size is at most the limit, so the largest
/// class size up to the limit stands for every limit between it and the
/// next size.
fn memo_key(hir: &Hir, suffix: bool, classes: usize) -> MemoKey {
    let mut shape = Vec::new();
    let mut sizes = Vec::new();
    encode(hir, &mut shape);
    class_sizes(hir, &mut sizes);
    let limit = sizes
        .into_iter()
        .filter(|&s| s <= classes)
        .max()
        .unwrap_or(0);
    (shape, suffix, limit)
}

/// Writes `hir`'s structure to `out`, one tag per node and its contents,
/// so that equal bytes mean equal trees.
fn encode(hir: &Hir, out: &mut Vec<u8>) {
    let num = |out: &mut Vec<u8>, n: u64| out.extend_from_slice(&n.to_le_bytes());
    match hir.kind() {
        HirKind::Empty => out.push(0),
        HirKind::Literal(l) => {
            out.push(1);
            num(out, l.0.len() as u64);
            out.extend_from_slice(&l.0);
        }
        HirKind::Class(Class::Unicode(c)) => {
            out.push(2);
            num(out, c.ranges().len() as u64);
            for r in c.iter() {
                num(
                    out,
                    (u64::from(u32::from(r.start())) << 32) | u64::from(u32::from(r.end())),
                );
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            out.push(3);
            num(out, c.ranges().len() as u64);
            for r in c.iter() {
                out.extend_from_slice(&[r.start(), r.end()]);
            }
        }
        HirKind::Look(l) => {
            out.push(4);
            num(out, u64::from(l.as_repr()));
        }
        HirKind::Repetition(r) => {
            out.push(5);
            num(out, u64::from(r.min));
            num(out, r.max.map_or(u64::MAX, u64::from));
            out.push(u8::from(r.greedy));
            encode(&r.sub, out);
        }
        HirKind::Capture(c) => encode(&c.sub, out),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            out.push(if matches!(hir.kind(), HirKind::Concat(_)) {
                6
            } else {
                7
            });
            num(out, hs.len() as u64);
            for h in hs {
                encode(h, out);
            }
        }
    }
}

fn extract_literals_now(
    hir: &Hir,
    kind: ExtractKind,
    suffix: bool,
    classes: usize,
) -> Option<Vec<String>> {
    let mut seq = Extractor::new()
        .kind(kind)
        .limit_class(classes)
        .limit_total(2048)
        .extract(hir);
    // regex-syntax's own optimisation cuts a set of more than a few
    // literals to their first (or last) four bytes, tuned for a search
    // that looks for one set. Ours looks for every pattern's sets in one
    // automaton, where a cut word ("ille" of "illegal") is far more common
    // than the word and opens its pattern for nothing; so a finite set
    // without an empty literal is kept whole, only the characters a class
    // spreads over many literals being cut (`collapse_classes`). The cut
    // is the fallback for sets larger than `WHOLE_MAX` or open.
    if let Some(lits) = seq.literals() {
        if !lits.is_empty() && lits.len() <= WHOLE_MAX && lits.iter().all(|l| !l.is_empty()) {
            // Byte classes (`(?-u:…)`) can spread a character over
            // literals that are not UTF-8: those take the cut below.
            let text: Option<Vec<String>> = lits
                .iter()
                .map(|l| std::str::from_utf8(l.as_bytes()).ok().map(str::to_string))
                .collect();
            if let Some(text) = text {
                return Some(collapse_classes(text, suffix));
            }
        }
    }
    if suffix {
        seq.optimize_for_suffix_by_preference();
    } else {
        seq.optimize_for_prefix_by_preference();
    }
    let lits = seq.literals()?;
    if lits.is_empty() || lits.len() > 512 {
        return None;
    }
    let mut out: Vec<String> = Vec::with_capacity(lits.len());
    for l in lits {
        let s = whole_chars(l.as_bytes(), suffix)?;
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Some(out)
}

/// The largest set [`extract_literals`] keeps whole. Every element of
/// every pattern is extracted six ways at load, and sets of hundreds
/// (a class crossed with an alternation) doubled the start-up time
/// (`palisade rules check` 1.7 → 3.5 s at 512) for a tenth of tier 1's
/// instructions beyond what 32 gives (`docs/guard.md`). With one ranking
/// per pattern (session 21), load instructions against tier 1's: 128,
/// +15 % for −4.5 %; 512, +40 % for −8 %.
const WHOLE_MAX: usize = 32;

/// Literals that differ only in their last character (their first, for
/// suffixes), at least this many, are one class spread out: `ignore\s`
/// gives "ignore " and 24 other spaces. The class adds almost nothing to
/// the word's selectivity but multiplies the set, so such a group is cut
/// back to what its members share.
const CLASS_SPREAD: usize = 5;

/// Cuts every group of [`CLASS_SPREAD`] or more literals that differ
/// only at the open end back to their shared part, until none is left,
/// then drops literals that another one already covers (a prefix of
/// them, or a suffix for suffix sets): every match still begins (ends)
/// with one of the literals left.
fn collapse_classes(mut lits: Vec<String>, suffix: bool) -> Vec<String> {
    let cut = |l: &str| -> Option<String> {
        let mut cs = l.chars();
        if suffix {
            cs.next()?;
        } else {
            cs.next_back()?;
        }
        Some(cs.as_str().to_string())
    };
    while lits.len() >= CLASS_SPREAD {
        let mut groups: HashMap<String, usize> = HashMap::new();
        for l in &lits {
            if let Some(c) = cut(l) {
                *groups.entry(c).or_default() += 1;
            }
        }
        let spread: HashSet<&String> = groups
            .iter()
            .filter(|&(c, &n)| n >= CLASS_SPREAD && !c.is_empty())
            .map(|(c, _)| c)
            .collect();
        if spread.is_empty() {
            break;
        }
        let next: Vec<String> = lits
            .iter()
            .map(|l| match cut(l) {
                Some(c) if spread.contains(&c) => c,
                _ => l.clone(),
            })
            .collect();
        lits = next;
    }
    // Sorted (suffix sets by their reversed text), a literal's covering
    // prefix sorts before it and every literal in between begins with
    // that prefix too, so the last one kept is the only one to check.
    // Pairwise, over sets of hundreds, this was a second of start-up.
    let key = |l: &str| -> String {
        if suffix {
            l.chars().rev().collect()
        } else {
            l.to_string()
        }
    };
    let mut keyed: Vec<String> = lits.iter().map(|l| key(l)).collect();
    keyed.sort_unstable();
    keyed.dedup();
    let mut kept: Vec<String> = Vec::with_capacity(keyed.len());
    for k in keyed {
        if kept.last().is_some_and(|p| k.starts_with(p.as_str())) {
            continue;
        }
        kept.push(k);
    }
    kept.into_iter().map(|k| key(&k)).collect()
}

/// The literal as UTF-8, cut back to whole characters. regex-syntax trims
/// the literals of a large set to their first (or last) few bytes, which
/// can end (or begin) inside a character: every Chinese alternation of a
/// dozen words came back cut and its pattern ran on every text. A prefix
/// cut back to a character boundary still begins every match it began (a
/// suffix still ends it), so nothing is lost but selectivity. `None` when
/// the bytes are not UTF-8 for another reason.
fn whole_chars(bytes: &[u8], suffix: bool) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) if !suffix && e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()
        }
        Err(_) if suffix => {
            // Skip the continuation bytes (10xxxxxx) of a character cut
            // at the front.
            let start = bytes.iter().position(|&b| b & 0xC0 != 0x80)?;
            std::str::from_utf8(&bytes[start..]).ok()
        }
        Err(_) => None,
    }
}

fn literal_set(hir: &Hir, kind: ExtractKind, classes: usize) -> Option<Vec<String>> {
    let lits = extract_literals(hir, kind, classes)?;
    let mut out = Vec::with_capacity(lits.len());
    for s in lits {
        // A single letter or space is not selective; a single punctuation
        // mark such as `<` or `[` is rare enough in prose to be worth it.
        let selective = s.len() >= 2 || s.bytes().all(|b| b.is_ascii_punctuation());
        if s.is_empty() || !selective {
            return None;
        }
        // Cased letters beyond ASCII are lower-cased: the automaton only
        // folds ASCII case, and the rules also scan the lower-cased view of
        // every text, where the lower-case literal is found.
        out.push(s.to_lowercase());
    }
    Some(out)
}

/// [`first_and_second`] of every pattern, in order. Each pattern is
/// planned alone, so the work is shared among the cores: a built-in pack
/// plan is billions of instructions, most of a one-shot `palisade guard`.
fn plan_all(patterns: &[String]) -> Vec<Option<(Ranked, Option<Vec<String>>)>> {
    on_every_core(patterns, 64, |ps| {
        with_literal_memo(|| ps.map(|p| first_and_second(p)).collect())
    })
}

/// `each` over `items`, results in the items' order, shared among the
/// cores (at most 8 threads, each with at least `min_per_thread` items).
/// A thread gets every n-th item, not a block (costly items tend to sit
/// together, as the harmful-request packs do), in one call of `each`, so
/// that state kept per thread (the literal memo) spans its items. For
/// load-time work whose items are independent.
pub fn on_every_core<T: Sync, R: Send>(
    items: &[T],
    min_per_thread: usize,
    each: impl Fn(&mut dyn Iterator<Item = &T>) -> Vec<R> + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(8)
        .min(items.len().div_ceil(min_per_thread.max(1)));
    if threads <= 1 {
        return each(&mut items.iter());
    }
    let each = &each;
    let parts: Vec<Vec<R>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || each(&mut items.iter().skip(t).step_by(threads))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut parts: Vec<_> = parts.into_iter().map(Vec::into_iter).collect();
    (0..items.len())
        .filter_map(|i| parts.get_mut(i % threads).and_then(Iterator::next))
        .collect()
}

impl Prefilter {
    /// Builds the prefilter of compiled pattern sources (after boundary
    /// rewriting, without case flags); `located` names the patterns whose
    /// literal places [`candidates`] lists even when they are not
    /// prefixes.
    ///
    /// [`candidates`]: Prefilter::candidates
    pub fn new(patterns: &[String], located: &[bool]) -> Self {
        let mut lits: Vec<String> = Vec::new();
        let mut literal_patterns: Vec<Vec<(usize, bool)>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut add = |l: String, owner: (usize, bool)| {
            let at = *index.entry(l.clone()).or_insert_with(|| {
                lits.push(l);
                literal_patterns.push(Vec::new());
                lits.len() - 1
            });
            if !literal_patterns[at].contains(&owner) {
                literal_patterns[at].push(owner);
            }
        };
        let mut always = Vec::new();
        let mut from_start = vec![false; patterns.len()];
        let mut needs_second = vec![false; patterns.len()];
        let mut origins = vec![None; patterns.len()];
        for (i, plan) in plan_all(patterns).into_iter().enumerate() {
            match plan {
                Some((r, second)) => {
                    origins[i] = Some(r.origin);
                    from_start[i] = r.starts;
                    for l in r.set {
                        add(l, (i, false));
                    }
                    if let Some(second) = second {
                        needs_second[i] = true;
                        for l in second {
                            add(l, (i, true));
                        }
                    }
                }
                None => always.push(i),
            }
        }
        let ac = if lits.is_empty() {
            None
        } else {
            // A contiguous NFA, not a full DFA: the packs' ~8,300 distinct
            // literals make a 53 MB DFA against 1.1 MB, and a gateway check comes
            // after the upstream's idle wait with cold caches, where each
            // byte of text cost a cache and TLB miss in the DFA's table.
            // Measured with the `cold_check` example: warm 144 → 114 µs,
            // after a 20 ms pause 423 → 364 µs per 1 KB check.
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&lits)
                .ok()
        };
        if ac.is_none() {
            // Without an automaton every pattern must run.
            always = (0..patterns.len()).collect();
            literal_patterns.clear();
            from_start = vec![false; patterns.len()];
            needs_second = vec![false; patterns.len()];
        }
        let mut located = located.to_vec();
        located.resize(patterns.len(), false);
        Self {
            ac,
            literal_patterns,
            needs_second,
            always,
            from_start,
            located,
            origins,
            patterns: patterns.len(),
        }
    }

    /// Sets `cand[i]` (one slot per pattern) to the byte offset where a
    /// search for pattern `i` in `text` should begin, or `None` when the
    /// pattern cannot match. `starts` receives, for each candidate whose
    /// matches all begin with one of its literals or that was built
    /// `located`, every place where one of its literals occurs:
    /// `(pattern, start, end)`, sorted and without duplicates.
    pub fn candidates(
        &self,
        text: &str,
        cand: &mut Vec<Option<usize>>,
        starts: &mut Vec<(usize, usize, usize)>,
    ) {
        let mut sc = Scratch::default();
        self.candidates_into(text, &mut sc);
        cand.clear();
        cand.resize(self.patterns, None);
        for &(i, at) in &sc.list {
            if let Some(c) = cand.get_mut(i) {
                *c = Some(at);
            }
        }
        starts.clear();
        starts.extend_from_slice(&sc.starts);
    }

    /// [`candidates`], into state kept between scans: nothing sized by
    /// the number of patterns is allocated or cleared per text, only what
    /// the last text touched (with ~2,000 patterns, the dense per-text
    /// arrays cost about a sixth of the rule instructions on short corpus
    /// texts, and more with every pattern added).
    ///
    /// [`candidates`]: Prefilter::candidates
    pub fn candidates_into(&self, text: &str, sc: &mut Scratch) {
        sc.reset(self.patterns);
        for &i in &self.always {
            sc.offer(i, 0);
        }
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(text) {
                let owners = self.literal_patterns.get(m.pattern().as_usize());
                for &(i, is_second) in owners.map_or(&[][..], Vec::as_slice) {
                    if is_second {
                        sc.mark_second(i);
                        continue;
                    }
                    let from_start = self.from_start.get(i).copied().unwrap_or(false);
                    if from_start || self.located.get(i).copied().unwrap_or(false) {
                        sc.starts.push((i, m.start(), m.end()));
                    }
                    sc.offer(i, if from_start { m.start() } else { 0 });
                }
            }
        }
        sc.touched.sort_unstable();
        for k in 0..sc.touched.len() {
            let i = sc.touched[k];
            if self.needs_second.get(i).copied().unwrap_or(false) && !sc.has_second(i) {
                continue;
            }
            let at = sc.at.get(i).copied().unwrap_or(0);
            if let Some(r) = sc.rank.get_mut(i) {
                *r = u32::try_from(sc.list.len()).unwrap_or(u32::MAX);
            }
            sc.list.push((i, at));
        }
        if sc.list.len() < sc.touched.len() {
            // Only candidates are searched: the positions of patterns whose
            // second set is missing need not be sorted.
            let Scratch {
                starts, list, rank, ..
            } = &mut *sc;
            starts.retain(|&(i, _, _)| {
                rank.get(i)
                    .and_then(|&r| list.get(r as usize))
                    .is_some_and(|&(p, _)| p == i)
            });
        }
        by_pattern(sc);
        // Literals of one pattern that start together (`do`, `do not`)
        // stay apart: a window hung from a literal's end needs the
        // shorter one's end (the searches anchored at starts skip the
        // repeats instead).
        sc.starts.dedup();
    }

    /// Whether every match of pattern `i` begins where one of its
    /// literals occurs (then the positions [`candidates`] lists are the
    /// only places a match can start).
    ///
    /// [`candidates`]: Prefilter::candidates
    pub fn starts_at_literals(&self, i: usize) -> bool {
        self.from_start.get(i).copied().unwrap_or(false)
    }

    /// Where pattern `i`'s literals come from (None when it has none).
    pub fn origin(&self, i: usize) -> Option<Origin> {
        self.origins.get(i).copied().flatten()
    }

    /// How many patterns always run (for diagnostics).
    pub fn always_run(&self) -> usize {
        self.always.len()
    }
}

/// Sorts literal places by pattern, then start, then end. They arrive in
/// text order (by end), so a counting pass by pattern (by the pattern's
/// place among the candidates, so that its counts are as few as the
/// candidates) leaves each pattern's places nearly sorted already; a
/// general sort of a long jailbreak's places was 5 % of its rule time.
fn by_pattern(sc: &mut Scratch) {
    // Most ordinary texts list none or one.
    if sc.starts.len() < 2 {
        return;
    }
    let Scratch {
        starts,
        spare,
        rank,
        list,
        counts,
        ..
    } = sc;
    let rank_of = |p: usize| rank.get(p).map_or(0, |&r| r as usize);
    counts.clear();
    counts.resize(list.len() + 1, 0);
    for &(p, _, _) in starts.iter() {
        if let Some(n) = counts.get_mut(rank_of(p) + 1) {
            *n += 1;
        }
    }
    for i in 1..counts.len() {
        counts[i] += counts[i - 1];
    }
    spare.clear();
    spare.resize(starts.len(), (0, 0, 0));
    for &place in starts.iter() {
        if let Some(slot) = counts.get_mut(rank_of(place.0)) {
            if let Some(s) = spare.get_mut(*slot) {
                *s = place;
            }
            *slot += 1;
        }
    }
    std::mem::swap(starts, spare);
    // Within a pattern: insertion sort, linear on nearly sorted places.
    for i in 1..starts.len() {
        let mut j = i;
        while j > 0 && starts[j - 1] > starts[j] {
            starts.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// What a scan's prefilter pass leaves for the search, in buffers kept
/// from text to text (one per thread). Between scans every entry of the
/// dense per-pattern arrays is at rest except those the last text
/// touched, which the next scan resets first.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The candidates, by pattern: `(pattern, offset its search begins)`.
    pub list: Vec<(usize, usize)>,
    /// Literal places `(pattern, start, end)` of candidates that want
    /// them, sorted.
    pub starts: Vec<(usize, usize, usize)>,
    /// Per pattern: the earliest offset offered (`usize::MAX` at rest).
    at: Vec<usize>,
    /// Patterns offered since the last reset.
    touched: Vec<usize>,
    /// Per pattern, a bit: one of its second set occurred.
    second: Vec<u64>,
    /// Words of `second` set since the last reset.
    second_touched: Vec<usize>,
    /// Per candidate pattern: its place in `list` (read only for those).
    rank: Vec<u32>,
    counts: Vec<usize>,
    spare: Vec<(usize, usize, usize)>,
}

impl Scratch {
    fn reset(&mut self, patterns: usize) {
        for &i in &self.touched {
            if let Some(a) = self.at.get_mut(i) {
                *a = usize::MAX;
            }
        }
        for &w in &self.second_touched {
            if let Some(x) = self.second.get_mut(w) {
                *x = 0;
            }
        }
        self.touched.clear();
        self.second_touched.clear();
        self.list.clear();
        self.starts.clear();
        if self.at.len() < patterns {
            self.at.resize(patterns, usize::MAX);
            self.rank.resize(patterns, 0);
            self.second.resize(patterns.div_ceil(64), 0);
        }
    }

    /// Pattern `i` may match from `at` on.
    fn offer(&mut self, i: usize, at: usize) {
        if let Some(a) = self.at.get_mut(i) {
            if *a == usize::MAX {
                self.touched.push(i);
                *a = at;
            } else {
                *a = (*a).min(at);
            }
        }
    }

    fn mark_second(&mut self, i: usize) {
        if let Some(w) = self.second.get_mut(i / 64) {
            if *w == 0 {
                self.second_touched.push(i / 64);
            }
            *w |= 1 << (i % 64);
        }
    }

    fn has_second(&self, i: usize) -> bool {
        self.second
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
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
        let (l, _) =
            literals(r"(?:^|\n)\s*(?:new|updated)\s+instructions").expect("inner literals");
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
        let shared: Vec<_> = pf.literal_patterns.iter().filter(|o| o.len() > 1).collect();
        assert_eq!(shared, vec![&vec![(0, false), (1, false)]]);
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
}
