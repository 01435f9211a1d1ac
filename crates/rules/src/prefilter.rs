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

mod extract;
mod saved;
#[cfg(test)]
mod tests;

use extract::*;
pub use extract::{extract_literals, with_literal_memo};

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
    ///
    /// Stored flat: per literal, the range of its owners in `owners`, in
    /// two parts. The first part (second-set marks, and patterns that
    /// want no literal places) is read at the literal's first occurrence
    /// in a text only, because reading it again changes nothing: a
    /// benign 1 KB prompt met 436 literal occurrences and 1,846 owners,
    /// most of them marks repeated for short literals (`ai`, `how`, `la`)
    /// that occur many times. The second part (patterns that want every
    /// place) is read at every occurrence. One flat array, not a vector
    /// per literal, so a cold check after an upstream's idle wait follows
    /// no pointer per literal.
    lit_owners: Vec<[u32; 3]>,
    /// Owner entries: a pattern index with [`SECOND`] (first part) or
    /// [`FROM_START`] (second part) as its top bit.
    owners: Vec<u32>,
    /// Per pattern: it has a second set that must occur too.
    needs_second: Vec<bool>,
    always: Vec<usize>,
    /// Per pattern: its literals are prefixes of every match.
    from_start: Vec<bool>,
    /// Per pattern: where its literal set comes from.
    origins: Vec<Option<Origin>>,
    patterns: usize,
}

/// An owner entry of a pattern's second set (first part of a literal's
/// owners).
const SECOND: u32 = 1 << 31;
/// An owner entry of a pattern whose search starts at the literal's place
/// (second part of a literal's owners).
const FROM_START: u32 = 1 << 31;
/// An owner entry whose literal counts only at the start of a word
/// ([`Ranked::word_start`]), in either part.
const WORD_START: u32 = 1 << 30;
/// The pattern index of an owner entry.
const PATTERN: u32 = !(SECOND | WORD_START);

/// A byte an ASCII word boundary counts as part of a word.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Ranked {
    set: Vec<String>,
    /// Every match of the whole pattern begins with one of them.
    starts: bool,
    origin: Origin,
    /// Each literal begins with a word character and opens its element
    /// right after an ASCII word boundary, so only its occurrences at the
    /// start of a word can be part of a match: `mato` in "tomato" or
    /// `tio` in "position" open nothing.
    #[serde(default)]
    word_start: bool,
}

/// A second literal set every match also contains, from another element of
/// the top-level concatenation than [`literals`] chose: a pattern runs only
/// when both sets occur, which keeps patterns keyed on common words
/// (`your`, `include`) from running on every ordinary prompt.
pub fn second_literals(pattern: &str) -> Option<Vec<String>> {
    first_and_second(pattern).and_then(|(_, second)| second.map(|r| r.set))
}

/// Both sets the prefilter keys a pattern on, as [`Prefilter::new`]
/// chooses them: [`literals`]'s and [`second_literals`]'s, from one
/// ranking (empty when there is none).
pub fn key_sets(pattern: &str) -> (Vec<String>, Vec<String>) {
    first_and_second(pattern).map_or_else(Default::default, |(first, second)| {
        (first.set, second.map(|r| r.set).unwrap_or_default())
    })
}

/// [`literals`]'s set and [`second_literals`]'s from one ranking (each
/// ranking extracts every element's sets several ways: load time).
fn first_and_second(pattern: &str) -> Option<(Ranked, Option<Ranked>)> {
    let (all, edges) = ranked_with_edges(pattern);
    let mut sets = all.into_iter();
    let first = sets.next()?;
    let second = sets.find(|r| !same_place(&r.origin, &first.origin, edges) && r.set != first.set);
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
    // Parsed as the rules are built (`lazy::config`: over bytes), so a
    // `(?-u:…)` group that may match outside UTF-8 (`\S`, a negated class)
    // does not make a pattern that compiles unkeyable, running on every
    // text (session 51: eleven new patterns, ~100 µs a 2 KB prompt).
    let Ok(hir) = ParserBuilder::new().utf8(false).build().parse(pattern) else {
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
    // Whether element `part` begins right after an ASCII word boundary
    // (the whole pattern: when its first element is one).
    let boundary = |h: &Hir| {
        matches!(
            unwrap_captures(h).kind(),
            HirKind::Look(Look::WordAscii | Look::WordStartAscii)
        )
    };
    let after_boundary = |part: usize| match part {
        0 => parts.len() > 1 && boundary(parts[1]),
        k => k >= 2 && boundary(parts[k - 1]),
    };
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
                        word_start: !suffix
                            && after_boundary(part)
                            && set
                                .iter()
                                .all(|l| l.as_bytes().first().is_some_and(|&b| is_word_byte(b))),
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
                        word_start: false,
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

/// [`first_and_second`] of every pattern, in order. The built-in packs'
/// plans come from the file shipped with them (`saved`); only the
/// patterns it does not hold are planned here.
fn plan_all(patterns: &[String]) -> Vec<saved::Plan> {
    let known = saved::builtin();
    let missing: Vec<&String> = patterns
        .iter()
        .filter(|p| !known.contains_key(*p))
        .collect();
    let mut fresh = plan_fresh(&missing).into_iter();
    patterns
        .iter()
        .map(|p| match known.get(p) {
            Some(plan) => plan.clone(),
            None => fresh.next().flatten(),
        })
        .collect()
}

/// [`first_and_second`] of every pattern, in order, worked out now. Each
/// pattern is planned alone, so the work is shared among the cores: the
/// built-in packs' plan is billions of instructions.
fn plan_fresh<S: AsRef<str> + Sync>(patterns: &[S]) -> Vec<saved::Plan> {
    on_every_core(patterns, 64, |ps| {
        with_literal_memo(|| ps.map(|p| first_and_second(p.as_ref())).collect())
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

/// Largest lower-cased copy a scratch keeps between texts (bytes).
const MAX_KEPT_LOWER: usize = 64 * 1024;

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
            // Literals are stored ASCII-lower-cased and the text is
            // lower-cased the same way before the pass (see
            // `candidates_into`): the same matches as an ASCII
            // case-insensitive automaton, whose states carry both cases'
            // transitions.
            let l = l.to_ascii_lowercase();
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
        let mut word_start = vec![false; patterns.len()];
        let mut second_word_start = vec![false; patterns.len()];
        for (i, plan) in plan_all(patterns).into_iter().enumerate() {
            match plan {
                Some((r, second)) => {
                    origins[i] = Some(r.origin);
                    from_start[i] = r.starts;
                    word_start[i] = r.word_start;
                    for l in r.set {
                        add(l, (i, false));
                    }
                    if let Some(second) = second {
                        needs_second[i] = true;
                        second_word_start[i] = second.word_start;
                        for l in second.set {
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
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&lits)
                .ok()
        };
        // Owner entries keep a pattern index in 30 bits.
        let ac = ac.filter(|_| u32::try_from(patterns.len()).is_ok_and(|n| n < WORD_START));
        let (mut lit_owners, mut owners) = (Vec::new(), Vec::new());
        if ac.is_none() {
            // Without an automaton every pattern must run.
            always = (0..patterns.len()).collect();
            from_start = vec![false; patterns.len()];
            needs_second = vec![false; patterns.len()];
        } else {
            (lit_owners, owners) = flatten_owners(
                &literal_patterns,
                &from_start,
                located,
                [&word_start, &second_word_start],
            );
        }
        Self {
            ac,
            lit_owners,
            owners,
            needs_second,
            always,
            from_start,
            origins,
            patterns: patterns.len(),
        }
    }

    /// Whether pattern `i`'s own literals count only at the start of a
    /// word (for tests).
    #[cfg(test)]
    fn word_start_owned(&self, i: usize) -> bool {
        self.owners
            .iter()
            .any(|&e| (e & PATTERN) as usize == i && e & WORD_START != 0)
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
        sc.reset(self.patterns, self.lit_owners.len());
        for &i in &self.always {
            sc.offer(i, 0);
        }
        if let Some(ac) = &self.ac {
            let mut lower = std::mem::take(&mut sc.lower);
            lower.clear();
            lower.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
            for m in ac.find_overlapping_iter(&lower[..]) {
                let lit = m.pattern().as_usize();
                let Some(&[a, b, c]) = self.lit_owners.get(lit) else {
                    continue;
                };
                let part = |x: u32, y: u32| self.owners.get(x as usize..y as usize).unwrap_or(&[]);
                let at_word_start = m
                    .start()
                    .checked_sub(1)
                    .and_then(|p| lower.get(p))
                    .is_none_or(|&b| !is_word_byte(b));
                // Two sights a literal: its first anywhere, and its first
                // at the start of a word (owners wanting one read then).
                let first = sc.first_sight(2 * lit);
                let first_at_word = at_word_start && sc.first_sight(2 * lit + 1);
                if first || first_at_word {
                    for &e in part(a, b) {
                        let unread = if e & WORD_START != 0 {
                            first_at_word
                        } else {
                            first
                        };
                        if !unread {
                            continue;
                        }
                        let i = (e & PATTERN) as usize;
                        if e & SECOND != 0 {
                            sc.mark_second(i);
                        } else {
                            sc.offer(i, 0);
                        }
                    }
                }
                for &e in part(b, c) {
                    if e & WORD_START != 0 && !at_word_start {
                        continue;
                    }
                    let i = (e & PATTERN) as usize;
                    sc.starts.push((i, m.start(), m.end()));
                    sc.offer(i, if e & FROM_START != 0 { m.start() } else { 0 });
                }
            }
            // A thread's scratch lives as long as the thread: one
            // megabyte-sized text must not pin a copy of its size there.
            if lower.capacity() <= MAX_KEPT_LOWER {
                sc.lower = lower;
            }
        }
        self.finish(sc);
    }

    /// Turns the patterns offered and the literal places gathered in `sc`
    /// into the candidate list: those whose second set occurred too, by
    /// pattern, with their places sorted.
    fn finish(&self, sc: &mut Scratch) {
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

/// The owner lists of the literals, flat (see `Prefilter::lit_owners`):
/// for each literal, the entries read once per text, then those read at
/// every occurrence, each part in the owners' order.
fn flatten_owners(
    literal_patterns: &[Vec<(usize, bool)>],
    from_start: &[bool],
    located: &[bool],
    [word_start, second_word_start]: [&[bool]; 2],
) -> (Vec<[u32; 3]>, Vec<u32>) {
    let flag = |v: &[bool], i: usize| v.get(i).copied().unwrap_or(false);
    let mut ranges = Vec::with_capacity(literal_patterns.len());
    let mut owners: Vec<u32> = Vec::new();
    // Pattern indices fit in 30 bits (the caller checks), and offsets
    // into `owners` in 32: a pack set makes a few hundred thousand.
    let at = |o: &Vec<u32>| u32::try_from(o.len()).unwrap_or(u32::MAX);
    let entry = |i: usize| u32::try_from(i).unwrap_or(PATTERN) & PATTERN;
    // Literals of a set that counts at the start of a word only.
    let own = |i: usize| entry(i) | if flag(word_start, i) { WORD_START } else { 0 };
    let mark = |i: usize| {
        entry(i)
            | SECOND
            | if flag(second_word_start, i) {
                WORD_START
            } else {
                0
            }
    };
    for owned in literal_patterns {
        let a = at(&owners);
        for &(i, second) in owned {
            if second {
                owners.push(mark(i));
            } else if !flag(from_start, i) && !flag(located, i) {
                owners.push(own(i));
            }
        }
        let b = at(&owners);
        for &(i, second) in owned {
            if !second && (flag(from_start, i) || flag(located, i)) {
                owners.push(own(i) | if flag(from_start, i) { FROM_START } else { 0 });
            }
        }
        ranges.push([a, b, at(&owners)]);
    }
    (ranges, owners)
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
    /// Per automaton literal, two bits: it occurred in this text, and it
    /// occurred at the start of a word.
    seen: Vec<u64>,
    /// Words of `seen` set since the last reset.
    seen_touched: Vec<usize>,
    /// Per candidate pattern: its place in `list` (read only for those).
    rank: Vec<u32>,
    counts: Vec<usize>,
    spare: Vec<(usize, usize, usize)>,
    /// The text ASCII-lower-cased, for the automaton's pass.
    lower: Vec<u8>,
}

impl Scratch {
    fn reset(&mut self, patterns: usize, literals: usize) {
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
        for &w in &self.seen_touched {
            if let Some(x) = self.seen.get_mut(w) {
                *x = 0;
            }
        }
        self.touched.clear();
        self.second_touched.clear();
        self.seen_touched.clear();
        self.list.clear();
        self.starts.clear();
        if self.at.len() < patterns {
            self.at.resize(patterns, usize::MAX);
            self.rank.resize(patterns, 0);
            self.second.resize(patterns.div_ceil(64), 0);
        }
        // Two bits a literal (see `candidates_into`).
        if self.seen.len() < (2 * literals).div_ceil(64) {
            self.seen.resize((2 * literals).div_ceil(64), 0);
        }
    }

    /// Whether sight `k` of a literal (see `candidates_into`) happens here
    /// for the first time in this text (it is marked as seen).
    fn first_sight(&mut self, k: usize) -> bool {
        let Some(w) = self.seen.get_mut(k / 64) else {
            return true;
        };
        let bit = 1u64 << (k % 64);
        if *w & bit != 0 {
            return false;
        }
        if *w == 0 {
            self.seen_touched.push(k / 64);
        }
        *w |= bit;
        true
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
