//! How long a pattern's match can be, as a function of the text.
//!
//! A pattern whose literals are not its prefixes was searched over the
//! whole text whenever one of them occurred: a long jailbreak makes forty
//! such patterns candidates (their literals, `say`, `any`, `write`, occur
//! everywhere in it), and each search read all of it only to fail — most
//! of the guard's 2 KB latency tail. Every match holds an occurrence of
//! one of the literals, so it lies within its longest possible length of
//! one: searching those windows finds exactly what the whole-text search
//! finds.
//!
//! Rule patterns are rarely bounded outright (`\s+`, `\w*`), but a run of
//! one class can be no longer than the text's longest run of it. So the
//! bound is a sum over the text's longest runs of bytes up to the space
//! character (white space), of bytes above it (words, punctuation) and of
//! bytes other than a newline, measured once per text. A repetition
//! without a cap of anything else leaves the pattern unbounded, and it is
//! searched whole as before.

use crate::prefilter::Origin;
use regex_syntax::hir::{Class, Hir, HirKind};
use regex_syntax::ParserBuilder;

/// An upper bound on a match's length in bytes: `fixed` plus so many of
/// each of the text's longest runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Reach {
    fixed: usize,
    space: usize,
    word: usize,
    line: usize,
}

/// Longest runs in one text, in bytes: upper bounds, which is all a
/// window needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Runs {
    /// Of bytes up to the space character (white space among them).
    pub space: usize,
    /// Of bytes above it (word bytes, punctuation, every byte of a
    /// character beyond ASCII).
    pub word: usize,
    /// Of bytes other than `\n`.
    pub line: usize,
}

impl Runs {
    /// Measures `text` in one branch-free pass that only tells bytes up
    /// to the space character from the rest (white space is among the
    /// former, word bytes among the latter, so their runs bound the real
    /// ones), and finds lines with `memchr`. Measuring the three classes
    /// exactly cost 5 % of the rules' instructions on ordinary documents.
    pub fn of(text: &[u8]) -> Self {
        let (mut low, mut high) = (0usize, 0usize);
        let mut longest = Runs {
            space: 0,
            word: 0,
            line: 0,
        };
        for &b in text {
            let is_low = usize::from(b <= b' ');
            low = (low + 1) * is_low;
            high = (high + 1) * (1 - is_low);
            longest.space = longest.space.max(low);
            longest.word = longest.word.max(high);
        }
        let mut line_start = 0;
        for i in memchr::memchr_iter(b'\n', text) {
            longest.line = longest.line.max(i - line_start);
            line_start = i + 1;
        }
        longest.line = longest.line.max(text.len() - line_start);
        longest
    }
}

/// Where a pattern's matches can lie around one occurrence of its
/// literals: from `before` bytes ahead of the occurrence's start (or end,
/// when the literals end their element) to `after` bytes past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Around {
    before: Reach,
    after: Reach,
    from_end: bool,
}

impl Around {
    /// The bounds of pattern `src`, whose matches are at most `whole`
    /// long and whose literals come from `origin`. `split` says the
    /// prefilter read the same source and it compiles in ASCII mode, so
    /// its elements can be measured one by one; otherwise a match reaches
    /// its whole length either side.
    pub fn of(src: &str, whole: Reach, origin: Option<Origin>, split: bool) -> Self {
        let around = |before, after, from_end| Around {
            before,
            after,
            from_end,
        };
        let Some(origin) = origin else {
            return around(whole, whole, false);
        };
        if origin.part == 0 {
            return if origin.inside {
                around(whole, whole, false)
            } else if origin.suffix {
                around(whole, Reach::default(), true)
            } else {
                around(Reach::default(), whole, false)
            };
        }
        if split {
            if let Some(parts) = elements(src, origin.parts) {
                // Elements before the literals' own, and from it on (a
                // suffix set ends its element, so that one is before).
                let cut = if origin.suffix {
                    origin.part
                } else {
                    origin.part - 1
                };
                let sum = |xs: &[Reach]| xs.iter().fold(Reach::default(), |a, &x| a.plus(x));
                if origin.inside {
                    // Anywhere inside its element: the element's whole
                    // length may lie either side of the occurrence.
                    let at = origin.part - 1;
                    let head = parts.get(..=at).unwrap_or(&parts[..]);
                    let tail = parts.get(at..).unwrap_or(&[]);
                    return around(sum(head), sum(tail), false);
                }
                let (head, tail) = parts.split_at(cut.min(parts.len()));
                return around(sum(head), sum(tail), origin.suffix);
            }
        }
        around(whole, whole, false)
    }

    /// The window around a literal occurrence `start..end` in a text of
    /// `len` bytes with these runs.
    pub fn window(&self, start: usize, end: usize, runs: &Runs, len: usize) -> (usize, usize) {
        let at = if self.from_end { end } else { start };
        (
            at.saturating_sub(self.before.on(runs)),
            at.saturating_add(self.after.on(runs)).min(len),
        )
    }
}

/// The bounds of the elements of `src`'s top-level concatenation, read in
/// ASCII mode, when there are `count` of them and all are bounded.
fn elements(src: &str, count: usize) -> Option<Vec<Reach>> {
    let hir = ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(src)
        .ok()?;
    // Read as the prefilter reads it: a pattern wrapped whole in a group
    // is its contents.
    let mut top = &hir;
    while let HirKind::Capture(c) = top.kind() {
        top = &c.sub;
    }
    let HirKind::Concat(items) = top.kind() else {
        return None;
    };
    if items.len() != count {
        return None;
    }
    items.iter().map(longest).collect()
}

impl Reach {
    /// The bound of pattern `src` compiled with these flags, or None when
    /// some part of it may repeat without limit in any text.
    pub fn of(src: &str, unicode: bool, case_insensitive: bool) -> Option<Self> {
        let hir = ParserBuilder::new()
            .unicode(unicode)
            .utf8(false)
            .case_insensitive(case_insensitive)
            .build()
            .parse(src)
            .ok()?;
        Self::of_hir(&hir)
    }

    /// [`Reach::of`] a pattern already parsed that way.
    pub fn of_hir(hir: &Hir) -> Option<Self> {
        longest(hir)
    }

    /// The bound on a text with these runs.
    pub fn on(&self, runs: &Runs) -> usize {
        self.fixed
            .saturating_add(self.space.saturating_mul(runs.space))
            .saturating_add(self.word.saturating_mul(runs.word))
            .saturating_add(self.line.saturating_mul(runs.line))
    }

    fn plus(self, o: Self) -> Self {
        Reach {
            fixed: self.fixed.saturating_add(o.fixed),
            space: self.space.saturating_add(o.space),
            word: self.word.saturating_add(o.word),
            line: self.line.saturating_add(o.line),
        }
    }

    /// Bounds both (each term's larger coefficient).
    fn either(self, o: Self) -> Self {
        Reach {
            fixed: self.fixed.max(o.fixed),
            space: self.space.max(o.space),
            word: self.word.max(o.word),
            line: self.line.max(o.line),
        }
    }

    fn times(self, n: usize) -> Self {
        Reach {
            fixed: self.fixed.saturating_mul(n),
            space: self.space.saturating_mul(n),
            word: self.word.saturating_mul(n),
            line: self.line.saturating_mul(n),
        }
    }
}

fn longest(hir: &Hir) -> Option<Reach> {
    let fixed = |n: usize| Reach {
        fixed: n,
        ..Reach::default()
    };
    Some(match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Reach::default(),
        HirKind::Literal(l) => fixed(l.0.len()),
        HirKind::Class(c) => fixed(widest(c)),
        HirKind::Capture(c) => longest(&c.sub)?,
        HirKind::Concat(items) => items
            .iter()
            .try_fold(Reach::default(), |acc, h| Some(acc.plus(longest(h)?)))?,
        HirKind::Alternation(items) => items
            .iter()
            .try_fold(Reach::default(), |acc, h| Some(acc.either(longest(h)?)))?,
        HirKind::Repetition(r) => match r.max {
            Some(max) => longest(&r.sub)?.times(max as usize),
            None => run_of(&r.sub)?,
        },
    })
}

/// Bytes in the widest character of a class.
fn widest(c: &Class) -> usize {
    match c {
        Class::Bytes(_) => 1,
        Class::Unicode(u) => u.ranges().last().map_or(1, |r| r.end().len_utf8()),
    }
}

/// Which bytes a match of `hir` may hold: any up to the space character,
/// any above it, a newline.
#[derive(Default, Clone, Copy)]
struct Holds {
    low: bool,
    high: bool,
    newline: bool,
}

impl Holds {
    fn or(self, o: Holds) -> Holds {
        Holds {
            low: self.low || o.low,
            high: self.high || o.high,
            newline: self.newline || o.newline,
        }
    }

    fn range(start: u32, end: u32) -> Holds {
        Holds {
            low: start <= 0x20,
            high: end > 0x20,
            newline: (start..=end).contains(&0x0A),
        }
    }
}

fn holds(hir: &Hir) -> Holds {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Holds::default(),
        HirKind::Literal(l) => l.0.iter().fold(Holds::default(), |h, &b| {
            h.or(Holds::range(u32::from(b), u32::from(b)))
        }),
        HirKind::Class(Class::Bytes(c)) => c.ranges().iter().fold(Holds::default(), |h, r| {
            h.or(Holds::range(u32::from(r.start()), u32::from(r.end())))
        }),
        // A character above U+007F is encoded in bytes above 0x7F.
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().fold(Holds::default(), |h, r| {
            h.or(Holds::range(u32::from(r.start()), u32::from(r.end())))
        }),
        HirKind::Capture(c) => holds(&c.sub),
        HirKind::Repetition(r) => holds(&r.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().fold(Holds::default(), |h, x| h.or(holds(x)))
        }
    }
}

/// How long an unbounded repetition of `sub` can run: a match of bytes
/// above the space character lies in one run of them, a match of bytes
/// up to it likewise, a match without a newline in one line (no byte of
/// a multi-byte character is `\n` or at most 0x20); otherwise unbounded.
fn run_of(sub: &Hir) -> Option<Reach> {
    let h = holds(sub);
    let one = |space, word, line| {
        Some(Reach {
            fixed: 0,
            space,
            word,
            line,
        })
    };
    if !h.low {
        one(0, 1, 0)
    } else if !h.high {
        one(1, 0, 0)
    } else if !h.newline {
        one(0, 0, 1)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_space(b: u8) -> bool {
        matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
    }

    fn is_word(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'_'
    }

    /// The exact runs, byte by byte: the oracle `Runs::of` must bound.
    fn exact(text: &[u8]) -> Runs {
        let (mut space, mut word, mut line) = (0usize, 0usize, 0usize);
        let mut longest = Runs {
            space: 0,
            word: 0,
            line: 0,
        };
        for &b in text {
            space = if is_space(b) { space + 1 } else { 0 };
            word = if is_word(b) { word + 1 } else { 0 };
            line = if b == b'\n' { 0 } else { line + 1 };
            longest.space = longest.space.max(space);
            longest.word = longest.word.max(word);
            longest.line = longest.line.max(line);
        }
        longest
    }

    fn bound(src: &str, text: &str) -> Option<usize> {
        Reach::of(src, false, true).map(|r| r.on(&Runs::of(text.as_bytes())))
    }

    #[test]
    fn fixed_patterns_are_their_longest_branch() {
        assert_eq!(bound(r"(?:ab|cde)\b", ""), Some(3));
        assert_eq!(bound(r"x{2,5}", ""), Some(5));
        assert_eq!(
            Reach::of("é[中a]", true, true).map(|r| r.on(&Runs::of(b""))),
            Some(2 + 3)
        );
    }

    #[test]
    fn runs_of_a_class_are_bounded_by_the_text() {
        let text = "a  b\t\t\tccccc\nddd";
        let runs = Runs::of(text.as_bytes());
        assert_eq!(
            runs,
            Runs {
                space: 3,
                word: 5,
                line: 12
            }
        );
        assert_eq!(exact(text.as_bytes()), runs);
        // "never" + up to 3 spaces + up to 5 word bytes.
        assert_eq!(bound(r"never\s+\w*", text), Some(5 + 3 + 5));
        assert_eq!(bound(r"a[^\n]*b", text), Some(2 + 12));
        assert_eq!(bound(r"(?:\w+\s+){0,2}x", text), Some(2 * 8 + 1));
    }

    proptest::proptest! {
        #[test]
        fn measured_runs_bound_the_exact_ones(text in "[ a\\n\\t.\\r\\x00_9é-]{0,60}") {
            let (fast, exact) = (Runs::of(text.as_bytes()), exact(text.as_bytes()));
            proptest::prop_assert!(fast.space >= exact.space);
            proptest::prop_assert!(fast.word >= exact.word);
            proptest::prop_assert_eq!(fast.line, exact.line);
        }
    }

    #[test]
    fn repetitions_of_printable_bytes_run_no_longer_than_a_token() {
        let text = "ab_cd!!!! x";
        // The longest run of bytes above the space is 9.
        assert_eq!(bound(r"(?:_[a-z]+)+", text), Some(9));
        assert_eq!(bound(r"!{2,}", text), Some(9));
        assert_eq!(bound(r"x\w*", text), Some(1 + 9));
    }

    #[test]
    fn windows_reach_back_over_the_elements_before_the_literal() {
        let src = r"(?:a|bb)\s+previous\s+x";
        let text = "zz bb  previous x";
        let runs = Runs::of(text.as_bytes());
        let (start, end) = (7, 15);
        let origin = |part, parts, suffix| {
            Some(Origin {
                part,
                parts,
                suffix,
                inside: false,
            })
        };
        // Elements: (a|bb), \s+, previous, \s+, x.
        let whole = Reach::of(src, false, true).expect("bounded");
        let at = |o, split| Around::of(src, whole, o, split).window(start, end, &runs, text.len());
        // Before "previous": at most 2 + 2 bytes; from it on 8 + 2 + 1.
        assert_eq!(at(origin(3, 5, false), true), (3, 17));
        // A suffix set ends its element: measured from the literal's end.
        assert_eq!(at(origin(3, 5, true), true), (3, 17));
        // Counted differently by the prefilter, or not split: the whole
        // length (2 + 2 + 8 + 2 + 1 = 15) either side.
        assert_eq!(at(origin(3, 4, false), true), (0, 17));
        assert_eq!(at(origin(3, 5, false), false), (0, 17));
        // Literals that begin every match: only forwards.
        assert_eq!(at(origin(0, 5, false), true), (7, 17));
    }

    #[test]
    fn literals_inside_an_element_reach_its_length_both_ways() {
        // Elements: x, \s+, (aa\s+bb|cc), \s+, y; "bb" lies inside the
        // third, where a union of the branches' sets finds it.
        let src = r"x\s+(?:aa\s+bb|cc)\s+y";
        let text = "zzzzzzzzzz x aa bb y zzzzzzzzzz";
        let runs = Runs::of(text.as_bytes());
        let whole = Reach::of(src, false, true).expect("bounded");
        let inside = Origin {
            part: 3,
            parts: 5,
            suffix: false,
            inside: true,
        };
        let start = text.find("bb").expect("present");
        let window =
            Around::of(src, whole, Some(inside), true).window(start, start + 2, &runs, text.len());
        // Before: x, a space and the alternation (1 + 1 + 4 + 1); after:
        // the alternation, a space and y, the same.
        assert_eq!(window, (start - 7, start + 7));
        let m = regex_automata::meta::Regex::new(src)
            .expect("valid")
            .find(text)
            .expect("matches");
        assert!(window.0 <= m.start() && m.end() <= window.1);
        // The whole pattern as the element: its whole length either way.
        let whole_inside = Some(Origin { part: 0, ..inside });
        let (a, b) =
            Around::of(src, whole, whole_inside, true).window(start, start + 2, &runs, text.len());
        assert!(a <= m.start() && m.end() <= b);
    }

    #[test]
    fn unbounded_repetitions_of_anything_else_have_no_bound() {
        assert_eq!(bound(r"a(?s:.)*b", ""), None);
        assert!(bound(r"(?:a )+", "").is_some());
        assert_eq!(bound(r"(?:a\n)+", ""), None);
        assert_eq!(bound(r"[a\n]+", ""), None);
    }
}
