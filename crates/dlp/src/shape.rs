//! What the engine learns from a pattern's syntax tree to pick its
//! trigger: literal sets every match contains, with a rough cost (how
//! often they occur in ordinary text and code), the least number of
//! ASCII digits a match holds, and the longest match.
//!
//! The cost matters more than the length: the literal set that
//! `palisade_rules::prefilter` finds best for a rule is often a single
//! `.` or `-` here (`\d{3}-\d{2}-\d{4}`), which occurs every few dozen
//! bytes and turns the trigger pass into a scan of everything.

use palisade_rules::prefilter::{best_inside, unwrap_captures, SetJudge, Walk};
use regex_syntax::hir::literal::ExtractKind;
use regex_syntax::hir::{Class, Hir, HirKind, Look};
use regex_syntax::ParserBuilder;

/// The parsed pattern, or `None` when it does not parse (it then fails
/// to compile anyway). Byte patterns (`(?-u)[^:]`) may match invalid
/// UTF-8, as `regex::bytes` allows.
pub(crate) fn parse(pattern: &str) -> Option<Hir> {
    ParserBuilder::new().utf8(false).build().parse(pattern).ok()
}

/// Longest match in bytes, `None` when unbounded.
pub(crate) fn max_len(hir: &Hir) -> Option<usize> {
    hir.properties().maximum_len()
}

/// Literals of which at least one occurs in every match (lower-cased,
/// for an ASCII-case-insensitive search), the cheapest such set.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Literals {
    pub words: Vec<String>,
    pub cost: u32,
    /// How far a match can start before a literal's start, in bytes
    /// (`None`: unbounded).
    pub before: Option<usize>,
    /// At least how far (0 when unknown).
    pub before_min: usize,
    /// How far a match can end after a literal's end.
    pub after: Option<usize>,
}

/// Every match starts with one of the pattern's prefixes and ends with
/// one of its suffixes; besides those, a match of a concatenation holds
/// a match of each element and one of an alternation a match of some
/// branch, so the search goes down the tree for the cheapest set (the
/// rule prefilter's walk, judged by this engine's cost).
pub(crate) fn best_literals(hir: &Hir) -> Option<Literals> {
    let walk = Walk {
        depth: usize::MAX,
        union_max: 1024,
    };
    best_inside(hir, &CostJudge, walk).map(|l| Literals {
        cost: set_cost(&l.words),
        words: l.words,
        before: l.before,
        before_min: l.before_min,
        after: l.after,
    })
}

/// The words of `best_literals(hir)` as they occur in matches, case and
/// all, for a pattern without case-insensitive parts (`lits` is that
/// result): a hit of the case-folding trigger automaton in another case
/// cannot be one (`sk` of `task` for `SK…`). `None` when the walk does not
/// come to the same words, or to more than `EXACT_MAX` spellings.
pub(crate) fn exact_literals(hir: &Hir, lits: &Literals) -> Option<Vec<String>> {
    let walk = Walk {
        depth: usize::MAX,
        union_max: 1024,
    };
    let found = best_inside(hir, &ExactJudge, walk)?;
    let mut lower: Vec<String> = found.words.iter().map(|w| w.to_lowercase()).collect();
    lower.sort();
    lower.dedup();
    let mut want = lits.words.clone();
    want.sort();
    want.dedup();
    (lower == want && found.words.len() <= EXACT_MAX).then_some(found.words)
}

/// See `exact_literals`.
const EXACT_MAX: usize = 32;

/// `CostJudge`'s choices, with the words as they are: its sets are the
/// same words lower-cased, and so cost the same.
struct ExactJudge;

impl SetJudge for ExactJudge {
    fn set(&self, hir: &Hir, kind: ExtractKind, classes: usize) -> Option<Vec<String>> {
        let mut words = palisade_rules::prefilter::extract_literals(hir, kind, classes)?;
        selective(words.clone())?;
        words.dedup();
        Some(words)
    }
    fn replaces(&self, new: &[String], best: &[String]) -> bool {
        let folded = |ws: &[String]| {
            let mut out: Vec<String> = Vec::new();
            for w in ws {
                let w = w.to_lowercase();
                if !out.contains(&w) {
                    out.push(w);
                }
            }
            out
        };
        set_cost(&folded(new)) < set_cost(&folded(best))
    }
}

/// Whether `hir` repeats something more than `WIDE_REPEAT` times by
/// count (`{15,255}`): each count is a state of a DFA.
pub(crate) fn wide_repetition(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Repetition(r) => {
            r.min > WIDE_REPEAT || r.max.is_some_and(|m| m > WIDE_REPEAT) || wide_repetition(&r.sub)
        }
        HirKind::Capture(c) => wide_repetition(&c.sub),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().any(wide_repetition),
        _ => false,
    }
}

/// See `wide_repetition`.
const WIDE_REPEAT: u32 = 8;

/// What the text right after a trigger literal must begin with, as a
/// regex to try anchored at the literal's end, for a pattern whose words
/// `words` come from one element of its top-level concatenation: the rest
/// of that element (any run of the bytes it can hold after a literal),
/// then the elements after it up to the first long counted repetition.
/// Every match holds a hit of the words inside that element, and from
/// that hit's end the gate matches; hits it rejects (`key` of `the key to`
/// for `key = "…"`) need no window. `None` when the words come from no
/// single element, when a wide class could follow a literal inside the
/// element, or when nothing follows the element before the repetition.
pub(crate) fn after_literal(hir: &Hir, words: &[String]) -> Option<String> {
    let items = top_items(hir)?;
    let same = |l: &Literals| {
        let mut a = l.words.clone();
        a.sort();
        let mut b = words.to_vec();
        b.sort();
        a == b
    };
    let i = items
        .iter()
        .position(|h| best_literals(h).is_some_and(|l| same(&l)))?;
    let mut tail = [false; 256];
    let mut seen = false;
    if !tail_bytes(items.get(i)?, &mut seen, &mut tail) {
        return None;
    }
    let rest = items.get(i + 1..)?;
    let end = rest.iter().position(wide_repetition).unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    let class: String = (0..=255u8)
        .filter(|&b| tail[usize::from(b)])
        .map(|b| format!(r"\x{b:02X}"))
        .collect();
    let next: String = rest
        .get(..end)?
        .iter()
        .map(|h| format!("(?:{h})"))
        .collect();
    // In byte mode whatever the pattern's mode: `\xE5` of a Chinese
    // literal's bytes is a byte, not U+00E5.
    Some(if class.is_empty() {
        next
    } else {
        format!("(?-u:[{class}])*{next}")
    })
}

/// Adds to `bytes` the bytes of `hir`'s literals and classes; `seen`
/// tells whether one came before (in the order of the text). False when
/// a class of more than `WIDE_CLASS` bytes comes after one: it could then
/// follow a trigger literal, and the gate would take every byte. Wide
/// classes before any literal (`(?:^|[^:])` before a key) cannot.
fn tail_bytes(hir: &Hir, seen: &mut bool, bytes: &mut [bool; 256]) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(l) => {
            for &b in l.0.iter() {
                bytes[usize::from(b)] = true;
            }
            *seen = true;
            true
        }
        HirKind::Class(c) => {
            let class = class_bytes(c);
            let members = class.iter().filter(|&&x| x).count();
            if members > WIDE_CLASS {
                return !*seen;
            }
            for (b, &x) in class.iter().enumerate() {
                bytes[b] |= x;
            }
            *seen = true;
            true
        }
        HirKind::Capture(c) => tail_bytes(&c.sub, seen, bytes),
        HirKind::Repetition(r) => {
            // A second turn follows the first.
            let twice = r.max != Some(1);
            tail_bytes(&r.sub, seen, bytes) && (!twice || tail_bytes(&r.sub, seen, bytes))
        }
        HirKind::Concat(hs) => hs.iter().all(|h| tail_bytes(h, seen, bytes)),
        HirKind::Alternation(hs) => {
            let before = *seen;
            let mut after = before;
            for h in hs {
                let mut branch = before;
                if !tail_bytes(h, &mut branch, bytes) {
                    return false;
                }
                after |= branch;
            }
            *seen = after;
            true
        }
    }
}

/// See `tail_bytes`.
const WIDE_CLASS: usize = 64;

/// The DLP engine's judge: its own selectivity filter, and the cheaper
/// set wins (the first of equally cheap ones).
struct CostJudge;

impl SetJudge for CostJudge {
    fn set(&self, hir: &Hir, kind: ExtractKind, classes: usize) -> Option<Vec<String>> {
        literal_set(hir, kind, classes)
    }
    fn replaces(&self, new: &[String], best: &[String]) -> bool {
        set_cost(new) < set_cost(best)
    }
}

fn set_cost(words: &[String]) -> u32 {
    words
        .iter()
        .map(|l| literal_cost(l))
        .fold(0u32, u32::saturating_add)
}

fn literal_set(hir: &Hir, kind: ExtractKind, classes: usize) -> Option<Vec<String>> {
    selective(palisade_rules::prefilter::extract_literals(
        hir, kind, classes,
    )?)
}

/// Extracted literals lower-cased and deduplicated, or `None` when one is
/// too common to search for.
fn selective(lits: Vec<String>) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(lits.len());
    for s in lits {
        let s = s.to_lowercase();
        // A lone letter or digit, or digits alone (`19` of a year), occur
        // wherever text or numbers do.
        let weak = s.is_empty()
            || s.bytes().all(|b| b.is_ascii_digit())
            || (s.len() == 1 && !s.bytes().all(|b| b.is_ascii_punctuation()))
            || s.bytes().all(|b| b.is_ascii_whitespace());
        if weak {
            return None;
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Some(out)
}

/// Roughly how often a literal occurs in mixed prose and source code,
/// relative to a long word (1). Punctuation that code and prose use all
/// the time (`.`, `-`, `:`, `::`) costs the most, and does not make a
/// literal rarer (` st` is as common as `st`).
pub(crate) fn literal_cost(l: &str) -> u32 {
    if !l.is_ascii() {
        return if l.chars().count() >= 2 { 1 } else { 10 };
    }
    let common = |c: char| c.is_ascii_whitespace() || COMMON_PUNCT.contains(c);
    let core = l.trim_matches(common);
    if core.is_empty() {
        return match l.len() {
            0 => u32::MAX,
            1 => 1000,
            2 => 300,
            _ => 100,
        };
    }
    let rare = core.bytes().filter(|b| b.is_ascii_punctuation()).count();
    if core.len() == 1 && rare == 1 {
        return 50;
    }
    let letters = core.bytes().all(|b| b.is_ascii_alphabetic());
    match core.len() + 2 * rare {
        1 => 300,
        2 => 100,
        3 if letters => 20,
        3 => 5,
        4 if letters => 5,
        4 => 2,
        _ => 1,
    }
}

/// Punctuation found every few dozen bytes of prose or code.
const COMMON_PUNCT: &str = ".,:;-_'\"()[]{}<>=/*&#!`";

/// Whether every match holds `run` ASCII digits within `span` bytes (a
/// stretch of it, a contiguous part of a concatenation, that is at most
/// `span` long and has at least `run` digits).
pub(crate) fn dense_digits(hir: &Hir, run: usize, span: usize) -> bool {
    let whole = max_len(hir).is_some_and(|l| l <= span) && min_digits(hir) >= run;
    whole
        || match hir.kind() {
            HirKind::Capture(c) => dense_digits(&c.sub, run, span),
            HirKind::Repetition(r) if r.min >= 1 => dense_digits(&r.sub, run, span),
            HirKind::Alternation(items) => items.iter().all(|h| dense_digits(h, run, span)),
            HirKind::Concat(items) => {
                items.iter().any(|h| dense_digits(h, run, span))
                    || (0..items.len()).any(|i| {
                        let (mut len, mut digits) = (0usize, 0usize);
                        for h in items.get(i..).unwrap_or(&[]) {
                            match max_len(h) {
                                Some(l) if len + l <= span => len += l,
                                _ => return false,
                            }
                            digits += min_digits(h);
                            if digits >= run {
                                return true;
                            }
                        }
                        false
                    })
            }
            _ => false,
        }
}

/// Whether the pattern is hex groups joined by separators (IPv6, MAC):
/// every word character it can match is a hex digit, and at each end it
/// either asserts a word boundary or matches a non-word byte. Then the
/// word characters next to a separator it matches are a run of hex digits
/// that ends inside the match or at a boundary, which lets the engine
/// drop the many `:` and `.` of code and prose that touch other words.
pub(crate) fn hex_separated(hir: &Hir, literals: &[String]) -> bool {
    separated(hir, literals, u8::is_ascii_hexdigit)
}

/// The same with decimal digits (IPv4): a separator it matches is next
/// to a run of decimal digits, which drops the full stops after `be`,
/// `a` or `code` that a hex run lets through.
pub(crate) fn digit_separated(hir: &Hir, literals: &[String]) -> bool {
    separated(hir, literals, u8::is_ascii_digit)
}

/// `hex_separated` for the run bytes `run` (ASCII word bytes).
fn separated(hir: &Hir, literals: &[String], run: fn(&u8) -> bool) -> bool {
    let whole = run_words_only(hir, run)
        && run_bytes_min(hir, run) >= 1
        && bounded(hir, true)
        && bounded(hir, false);
    whole || chain(hir, run).is_some_and(|sep| literals.iter().any(|l| l.as_bytes() == [sep]))
}

/// The separator of a chain every match holds: at least two repeats of
/// a group of run bytes and a separator (`(?:\d{1,3}\.){3}` of IPv4).
/// The second group has a separator on both sides, so a hit on either of
/// them is next to a run whatever surrounds the match.
fn chain(hir: &Hir, run: fn(&u8) -> bool) -> Option<u8> {
    match hir.kind() {
        HirKind::Capture(c) => chain(&c.sub, run),
        HirKind::Concat(items) => items.iter().find_map(|h| chain(h, run)),
        HirKind::Repetition(r) if r.min >= 2 => {
            let HirKind::Concat(items) = r.sub.kind() else {
                return None;
            };
            let (last, group) = items.split_last()?;
            let HirKind::Literal(sep) = last.kind() else {
                return None;
            };
            let &[sep] = &*sep.0 else { return None };
            let group_ok = !group.is_empty()
                && group.iter().all(|h| run_words_only(h, run))
                && group.iter().map(|h| run_bytes_min(h, run)).sum::<usize>() >= 1;
            (!is_word(sep) && group_ok).then_some(sep)
        }
        _ => None,
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether every word byte the pattern can match is a run byte.
fn run_words_only(hir: &Hir, run: fn(&u8) -> bool) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(l) => l.0.iter().all(|b| !is_word(*b) || run(b)),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .all(|r| (r.start()..=r.end()).all(|b| !is_word(b) || run(&b))),
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().all(|r| {
            (r.start()..=r.end())
                .filter(char::is_ascii)
                .all(|ch| !is_word(ch as u8) || run(&(ch as u8)))
        }),
        HirKind::Repetition(r) => run_words_only(&r.sub, run),
        HirKind::Capture(c) => run_words_only(&c.sub, run),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().all(|h| run_words_only(h, run))
        }
    }
}

/// The least number of run bytes in any match.
fn run_bytes_min(hir: &Hir, run: fn(&u8) -> bool) -> usize {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(l) => l.0.iter().filter(|b| run(b)).count(),
        HirKind::Class(c) => usize::from(match c {
            Class::Bytes(c) => c
                .ranges()
                .iter()
                .all(|r| (r.start()..=r.end()).all(|b| run(&b))),
            Class::Unicode(c) => c
                .ranges()
                .iter()
                .all(|r| (r.start()..=r.end()).all(|ch| ch.is_ascii() && run(&(ch as u8)))),
        }),
        HirKind::Repetition(r) => {
            run_bytes_min(&r.sub, run).saturating_mul(usize::try_from(r.min).unwrap_or(usize::MAX))
        }
        HirKind::Capture(c) => run_bytes_min(&c.sub, run),
        HirKind::Concat(items) => items.iter().map(|h| run_bytes_min(h, run)).sum(),
        HirKind::Alternation(items) => items
            .iter()
            .map(|h| run_bytes_min(h, run))
            .min()
            .unwrap_or(0),
    }
}

/// Whether the pattern's first (or last) element is a word-boundary
/// assertion or a literal that does not begin (end) with a word byte.
fn bounded(hir: &Hir, start: bool) -> bool {
    match hir.kind() {
        HirKind::Look(l) => matches!(
            l,
            regex_syntax::hir::Look::WordAscii | regex_syntax::hir::Look::WordUnicode
        ),
        HirKind::Literal(l) => {
            let b = if start { l.0.first() } else { l.0.last() };
            b.is_some_and(|&b| !is_word(b))
        }
        HirKind::Capture(c) => bounded(&c.sub, start),
        HirKind::Concat(items) => {
            let edge = if start { items.first() } else { items.last() };
            edge.is_some_and(|h| bounded(h, start))
        }
        HirKind::Alternation(items) => items.iter().all(|h| bounded(h, start)),
        _ => false,
    }
}

/// A class of bytes (no digits) that in every match stands right before
/// an ASCII digit, from two neighbours in the pattern's concatenation:
/// `[A-Z]\d` of `[A-Z]{5}\d{4}[A-Z]`.
pub(crate) fn class_before_digit(hir: &Hir) -> Option<[bool; 256]> {
    digit_pair(top_items(hir)?).map(|(_, class)| class)
}

/// The elements of the concatenation a pattern is, inside its captures.
fn top_items(hir: &Hir) -> Option<&[Hir]> {
    match unwrap_captures(hir).kind() {
        HirKind::Concat(items) => Some(items),
        _ => None,
    }
}

/// The first neighbours in `items` that make a class-and-digit pair: the
/// index of the left one, and its class.
fn digit_pair(items: &[Hir]) -> Option<(usize, [bool; 256])> {
    items.windows(2).enumerate().find_map(|(j, pair)| {
        let left = edge_class(&pair[0], false)?;
        let right = edge_class(&pair[1], true)?;
        pair_fits(&left, &right).then_some((j, left))
    })
}

/// Whether a class may trigger before a class of digits.
fn pair_fits(left: &[bool; 256], right: &[bool; 256]) -> bool {
    let digits_only = right
        .iter()
        .enumerate()
        .all(|(b, &in_class)| !in_class || u8::try_from(b).is_ok_and(|b| b.is_ascii_digit()));
    let no_digits = (b'0'..=b'9').all(|b| !left[usize::from(b)]);
    // A class of most bytes would fire before every digit.
    let narrow = left.iter().filter(|&&x| x).count() <= 64;
    digits_only && no_digits && narrow
}

/// Where the class byte of `class_before_digit` stands in a match, in
/// bytes from its start (least, most), when the elements before it are
/// bounded.
pub(crate) fn pair_offsets(hir: &Hir) -> Option<(usize, usize)> {
    let items = top_items(hir)?;
    let (j, _) = digit_pair(items)?;
    let (mut least, mut most) = (0usize, 0usize);
    for h in items.get(..=j)? {
        least += h.properties().minimum_len()?;
        most += h.properties().maximum_len()?;
    }
    Some((least.checked_sub(1)?, most.checked_sub(1)?))
}

/// Whether `hir` opens with a word boundary (or the text's start) before
/// anything it matches: a cheap test before the DFA-based one of
/// `runs::rows_of`, which only such a pattern can pass.
pub(crate) fn opens_at_word_edge(hir: &Hir) -> bool {
    let Some(items) = top_items(hir) else {
        return false;
    };
    items
        .iter()
        .take_while(|h| matches!(h.kind(), HirKind::Look(_) | HirKind::Empty))
        .any(|h| {
            matches!(
                h.kind(),
                HirKind::Look(Look::WordAscii | Look::WordUnicode | Look::Start)
            )
        })
}

/// The bytes a match of the class can hold (any byte from 0x80 for a
/// Unicode class with a character beyond ASCII).
fn class_bytes(c: &Class) -> [bool; 256] {
    let mut set = [false; 256];
    match c {
        Class::Bytes(c) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    set[usize::from(b)] = true;
                }
            }
        }
        Class::Unicode(c) => {
            for r in c.ranges() {
                for ch in r.start()..=r.end().min('\u{7F}') {
                    set[usize::from(ch as u8)] = true;
                }
                if !r.end().is_ascii() {
                    for b in set.iter_mut().skip(0x80) {
                        *b = true;
                    }
                }
            }
        }
    }
    set
}

/// The bytes that can open (or close) every match of `hir`, when that is
/// one ASCII byte of a class or literal.
fn edge_class(hir: &Hir, first: bool) -> Option<[bool; 256]> {
    let mut set = [false; 256];
    match hir.kind() {
        HirKind::Literal(l) => {
            let b = if first { l.0.first() } else { l.0.last() };
            set[usize::from(*b?)] = true;
        }
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    set[usize::from(b)] = true;
                }
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                if !r.end().is_ascii() {
                    return None;
                }
                for ch in r.start()..=r.end() {
                    set[usize::from(ch as u8)] = true;
                }
            }
        }
        HirKind::Repetition(r) if r.min >= 1 => return edge_class(&r.sub, first),
        HirKind::Capture(c) => return edge_class(&c.sub, first),
        _ => return None,
    }
    Some(set)
}

/// The least number of ASCII digits in any match.
pub(crate) fn min_digits(hir: &Hir) -> usize {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(l) => l.0.iter().filter(|b| b.is_ascii_digit()).count(),
        HirKind::Class(c) => usize::from(class_is_digits(c)),
        HirKind::Repetition(r) => {
            let n = usize::try_from(r.min).unwrap_or(usize::MAX);
            min_digits(&r.sub).saturating_mul(n)
        }
        HirKind::Capture(c) => min_digits(&c.sub),
        HirKind::Concat(items) => items.iter().map(min_digits).sum(),
        HirKind::Alternation(items) => items.iter().map(min_digits).min().unwrap_or(0),
    }
}

/// The longest run of consecutive ASCII digits that every match holds
/// (`\d{6}\d[MFX<]` of a passport's machine-readable zone: 7).
pub(crate) fn min_digit_run(hir: &Hir) -> usize {
    digit_runs(hir).best
}

/// What a piece of a pattern guarantees about digit runs, in every match:
/// whether it is all digits (then `len` is its least length), and the
/// runs it opens with, closes with and holds anywhere.
#[derive(Clone, Copy)]
struct Runs {
    all: bool,
    len: usize,
    open: usize,
    close: usize,
    best: usize,
}

impl Runs {
    /// All digits, at least `len` of them.
    fn digits(len: usize) -> Self {
        Runs {
            all: true,
            len,
            open: len,
            close: len,
            best: len,
        }
    }

    const NONE: Runs = Runs {
        all: false,
        len: 0,
        open: 0,
        close: 0,
        best: 0,
    };

    /// `self` then `next`.
    fn then(self, next: Runs) -> Runs {
        Runs {
            all: self.all && next.all,
            len: self.len.saturating_add(next.len),
            open: if self.all {
                self.len.saturating_add(next.open)
            } else {
                self.open
            },
            close: if next.all {
                self.close.saturating_add(next.len)
            } else {
                next.close
            },
            best: self
                .best
                .max(next.best)
                .max(self.close.saturating_add(next.open)),
        }
    }

    /// Either `self` or `other`.
    fn or(self, other: Runs) -> Runs {
        Runs {
            all: self.all && other.all,
            len: self.len.min(other.len),
            open: self.open.min(other.open),
            close: self.close.min(other.close),
            best: self.best.min(other.best),
        }
    }
}

fn digit_runs(hir: &Hir) -> Runs {
    match hir.kind() {
        // Zero-width: what comes before and after stays adjacent.
        HirKind::Empty | HirKind::Look(_) => Runs::digits(0),
        HirKind::Literal(l) => {
            l.0.iter()
                .map(|b| {
                    if b.is_ascii_digit() {
                        Runs::digits(1)
                    } else {
                        Runs::NONE
                    }
                })
                .fold(Runs::digits(0), Runs::then)
        }
        HirKind::Class(c) if class_is_digits(c) => Runs::digits(1),
        HirKind::Class(_) => Runs::NONE,
        HirKind::Capture(c) => digit_runs(&c.sub),
        HirKind::Concat(items) => items
            .iter()
            .map(digit_runs)
            .fold(Runs::digits(0), Runs::then),
        HirKind::Alternation(items) => items
            .iter()
            .map(digit_runs)
            .reduce(Runs::or)
            .unwrap_or(Runs::NONE),
        HirKind::Repetition(r) => {
            let sub = digit_runs(&r.sub);
            let n = usize::try_from(r.min).unwrap_or(usize::MAX);
            match (n, sub.all) {
                // Digits or nothing: adjacent pieces stay adjacent.
                (_, true) => Runs::digits(sub.len.saturating_mul(n)),
                (0, false) => Runs::NONE,
                (1, false) => sub,
                (_, false) => Runs {
                    best: sub.best.max(sub.close.saturating_add(sub.open)),
                    ..sub
                },
            }
        }
    }
}

fn class_is_digits(c: &Class) -> bool {
    match c {
        Class::Unicode(u) => {
            !u.ranges().is_empty()
                && u.ranges()
                    .iter()
                    .all(|r| r.start() >= '0' && r.end() <= '9')
        }
        Class::Bytes(b) => {
            !b.ranges().is_empty()
                && b.ranges()
                    .iter()
                    .all(|r| r.start() >= b'0' && r.end() <= b'9')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(p: &str) -> Vec<String> {
        parse(p)
            .and_then(|h| best_literals(&h))
            .map(|l| l.words)
            .unwrap_or_default()
    }

    #[test]
    fn rare_literal_beats_common_punctuation() {
        assert_eq!(lits(r"[a-z.]+@[a-z]+\.[a-z]{2,}"), vec!["@"]);
        assert_eq!(lits(r"AKIA[0-9A-Z]{16}"), vec!["akia"]);
        assert!(lits(r"[ACGT]{30,}").len() > 16);
        // Down the tree: a branch set beats the `=`/`:` of the assignment.
        let mut set = lits(r"(?:password|(?:api|secret)_key)\s*[=:]\s*(\w+)");
        set.sort();
        assert_eq!(set, vec!["api_key", "password", "secret_key"]);
    }

    #[test]
    fn exact_literals_keep_the_case_of_matches() {
        let exact = |p: &str| {
            let h = parse(p).expect("parses");
            let l = best_literals(&h).expect("has literals");
            exact_literals(&h, &l).map(|mut ws| {
                ws.sort();
                ws
            })
        };
        assert_eq!(
            exact(r"(?:^|[^A-Za-z0-9])(SK[0-9a-f]{32})"),
            Some(vec!["SK".into()])
        );
        assert_eq!(
            exact(r"pat[A-Za-z0-9]{14}\.[0-9a-f]{64}"),
            Some(vec!["pat".into()])
        );
        // A class of both cases spells both.
        assert_eq!(
            exact(r"[Gg]lpat-[0-9a-f]{20}"),
            Some(vec!["Glpat-".into(), "glpat-".into()])
        );
    }

    #[test]
    fn after_literal_gates_what_follows_the_literal() {
        let gate = |p: &str| {
            let h = parse(p).expect("parses");
            let l = best_literals(&h).expect("has literals");
            after_literal(&h, &l.words)
        };
        let g = gate(r#"(?:^|[^:])(?:passwords?|(?:api|secret)[_-]?keys?)["']?[ \t]*[=:][ \t]*([A-Za-z0-9]{16,255})"#)
            .expect("a gate");
        let re = regex::bytes::Regex::new(&format!("^(?:{g})")).expect("compiles");
        // After `key` of `api_key`, `secret-keys` or `password`.
        for ok in ["s = x", " = 1", "\":", "_key: y"] {
            assert!(re.is_match(ok.as_bytes()), "{ok}");
        }
        for no in [" to success", "board", ", and"] {
            assert!(!re.is_match(no.as_bytes()), "{no}");
        }
        // The rest of a Chinese label, byte by byte.
        let g = gate(r"(?:户籍(?:地址|所在地)|住址)[:：]\s*(\S{2,40})").expect("a gate");
        let re = regex::bytes::Regex::new(&format!("^(?:{g})")).expect("compiles");
        assert!(re.is_match("地址：北京".as_bytes()), "{g}");
        assert!(!re.is_match("是北京".as_bytes()), "{g}");
        // The words come from no single element.
        assert_eq!(gate(r"[a-z]+@[a-z]+\.com"), None);
        // A wide class after a literal inside the element.
        assert_eq!(gate(r"(token[^\n]*)=\d{20}"), None);
    }

    #[test]
    fn digit_runs_every_match_holds() {
        let run = |p: &str| min_digit_run(&parse(p).expect("parses"));
        assert_eq!(run(r"(?-u)[A-Z0-9<]{9}\d[A-Z<]{3}\d{6}\d[MFX<]\d{6}\d"), 7);
        assert_eq!(run(r"(?-u)\b\d{3}-\d{2}-\d{4}\b"), 4);
        assert_eq!(run(r"(?-u)[0-2]/[0-9]{10,20}:"), 10);
        assert_eq!(run(r"(?-u)756\d{10}"), 13);
        assert_eq!(run(r"(?-u)\d{2}\.?\d{3}"), 3);
        assert_eq!(run(r"(?-u)(?:\d{8}|\d{4}-\d{4})"), 4);
        assert_eq!(run(r"(?-u)\d{3}\d{0,2}\d"), 4);
        assert_eq!(run(r"(?-u)(?:\d{2}[A-Z]){2}"), 2);
        assert_eq!(run(r"(?-u)(?:[A-Z]\d{2}){2}"), 2);
        assert_eq!(run(r"(?-u)(?:\d[A-Z]\d){2}"), 2);
        assert_eq!(run(r"(?-u)[A-Z]+"), 0);
    }

    #[test]
    fn a_word_edge_opening_a_match() {
        for p in [
            r"(?-u)\b\d{5}",
            r"(?-u)^\b\d",
            r"(?-u)(?-u:\b)[1-9]\d{4,10}\b",
        ] {
            assert!(opens_at_word_edge(&parse(p).expect("parses")), "{p}");
        }
        for p in [r"(?-u)\d{5}\b", r"(?-u)(?:\+1 )?\b\d", r"(?-u)x\b\d"] {
            assert!(!opens_at_word_edge(&parse(p).expect("parses")), "{p}");
        }
    }

    #[test]
    fn a_class_right_before_a_digit() {
        // As the engine compiles them: ASCII classes.
        let pan = parse(r"(?-u)\b[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]\b").expect("parses");
        let class = class_before_digit(&pan).expect("a pair");
        assert!(class[usize::from(b'Q')] && !class[usize::from(b'q')] && !class[usize::from(b'1')]);
        // Optional or digit neighbours do not count.
        assert!(class_before_digit(&parse(r"(?-u)[A-Z]?\d{4}").expect("parses")).is_none());
        assert!(class_before_digit(&parse(r"(?-u)\d\d{4}").expect("parses")).is_none());
    }

    #[test]
    fn how_far_a_match_reaches_from_its_literal() {
        let l = parse(r"x{0,3}AKIA[0-9A-Z]{16}").and_then(|h| best_literals(&h));
        let l = l.expect("literals");
        assert_eq!((l.before, l.after), (Some(3), Some(20)));
        let l = parse(r"(?:key|token)\s*=\s*(\w+)").and_then(|h| best_literals(&h));
        let l = l.expect("literals");
        assert_eq!((l.before, l.after), (Some(0), None));
        // Where a match starts around a separator: exactly four bytes
        // before the first dot of a Cisco-style MAC address.
        let l = parse(r"(?-u)\b[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\b")
            .and_then(|h| best_literals(&h))
            .expect("literals");
        assert_eq!(
            (l.words.as_slice(), l.before_min, l.before),
            (&[".".to_string()][..], 4, Some(4))
        );
        // In a repetition, the first turn's dot: an IPv4 address starts
        // one to four bytes before its first dot (the byte before the
        // first octet, or the text's start), not anywhere up to 16.
        let l = parse(
            r"(?-u)(?:^|[^0-9.])((?:(?:25[0-5]|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|1\d\d|[1-9]?\d))",
        )
        .and_then(|h| best_literals(&h))
        .expect("literals");
        assert_eq!(
            (l.words.as_slice(), l.before_min, l.before),
            (&[".".to_string()][..], 1, Some(4))
        );
    }

    #[test]
    fn separators_of_hex_groups() {
        let colon = [":".to_string()];
        let hs = |p: &str| parse(p).is_some_and(|h| hex_separated(&h, &colon));
        assert!(hs(
            r"(?-u:\b)(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?-u:\b)"
        ));
        assert!(hs(r"::[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6}(?-u:\b)"));
        assert!(hs(r"(?-u:\b)(?:[0-9A-Fa-f]{1,4}:){1,7}:"));
        // A non-hex letter, or an open end.
        assert!(!hs(r"(?-u:\b)[0-9A-Za-z]{2}(?::[0-9A-Fa-f]{2}){5}(?-u:\b)"));
        assert!(!hs(r"(?-u:\b)[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}"));
        // An open end, but a chain of two groups inside.
        assert!(hs(r"(?-u)(?:^|[^0-9:])((?:\d{1,3}:){3}\d{1,3})"));
        assert!(!hs(r"(?-u)(?:^|[^0-9:])((?:\d{1,3}:)\d{1,3})"));
    }

    #[test]
    fn separators_of_decimal_groups() {
        let dot = [".".to_string()];
        let ds = |p: &str| parse(p).is_some_and(|h| digit_separated(&h, &dot));
        // IPv4 as the catalogue writes it: an open start, a chain inside.
        assert!(ds(
            r"(?-u)(?:^|[^0-9.])((?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?-u:\b)"
        ));
        assert!(ds(r"(?-u)\b\d{1,3}\.\d{1,3}\b"));
        // Hex groups are not decimal ones; one group is no chain.
        assert!(!ds(
            r"(?-u:\b)[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?-u:\b)"
        ));
        assert!(!ds(r"(?-u)(?:^|[^0-9.])((?:\d{1,3}\.)\d{1,3})"));
    }

    #[test]
    fn digits_and_length() {
        // Unicode `\d` has other digits, of other lengths: the engine
        // compiles in ASCII mode where it can.
        let h = parse(r"\d{3}").expect("parses");
        assert_eq!(min_digits(&h), 0);
        let h = parse(r"(?-u)\b\d{3}-\d{2}-\d{4}\b").expect("parses");
        assert_eq!(min_digits(&h), 9);
        assert_eq!(max_len(&h), Some(11));
        let h = parse(r"(?-u)(?:\+1 )?\d{3}|[A-Z]\d").expect("parses");
        assert_eq!(min_digits(&h), 1);
        // Five digits within 24 bytes, though the whole may be longer.
        let gps = r"(?-u)(?:[1-8]?\d|90)\.\d{4,8},\s?-?(?:1[0-7]\d|[1-9]?\d|180)\.\d{4,8}";
        assert!(dense_digits(&parse(gps).expect("parses"), 5, 24));
        assert!(!dense_digits(
            &parse(r"(?-u)\d{4}[A-Z]{30}\d").expect("parses"),
            5,
            24
        ));
    }
}
