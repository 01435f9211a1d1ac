//! Word boundaries of patterns: rewritten as ASCII ones
//! ([`ascii_word_boundaries`]), and checked for a non-ASCII letter beside
//! them.
//!
//! Finds `\b` or `\B` right next to a non-ASCII letter in a pattern. Rule
//! packs compile word boundaries as ASCII ones (see the crate note), and an
//! ASCII boundary counts every non-ASCII byte as a non-word byte: `\bсделать`
//! or `identité\b` can never match, and a test of the pattern in another
//! regex engine would not show it. So a pack that writes one is refused at
//! load, with the letter named, instead of losing the branch in silence.

use regex_syntax::ast::{parse::Parser, visit, AssertionKind, Ast, Visitor};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Classes of at most this many characters are spelled-out letters
/// (`[óo]`, `[àa]`), not a family such as `\w` or `\p{L}`.
const SMALL_CLASS: u32 = 16;

/// The first non-ASCII letter that sits right after or right before a word
/// boundary of `pattern`, if any (None also when it does not parse: the
/// compiler reports that).
pub(crate) fn next_to_non_ascii(pattern: &str) -> Option<char> {
    // Case-sensitive parse: a case-insensitive one turns each letter of a
    // literal into a class.
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    find(&hir)
}

fn find(h: &Hir) -> Option<char> {
    match h.kind() {
        HirKind::Concat(items) => {
            for pair in items.windows(2) {
                if is_boundary(&pair[0]) {
                    if let Some(c) = edge(&pair[1], true) {
                        return Some(c);
                    }
                }
                if is_boundary(&pair[1]) {
                    if let Some(c) = edge(&pair[0], false) {
                        return Some(c);
                    }
                }
            }
            items.iter().find_map(find)
        }
        HirKind::Alternation(items) => items.iter().find_map(find),
        HirKind::Capture(c) => find(&c.sub),
        HirKind::Repetition(r) => find(&r.sub),
        _ => None,
    }
}

fn is_boundary(h: &Hir) -> bool {
    matches!(
        h.kind(),
        HirKind::Look(
            Look::WordUnicode | Look::WordUnicodeNegate | Look::WordAscii | Look::WordAsciiNegate
        )
    )
}

/// A non-ASCII letter `h` can begin (`first`) or end with, as a literal
/// or as a member of a small class of spelled-out letters (`caff[èe]\b`
/// matches "caffe" but never "caffè"). Large classes are left alone: `\w`
/// holds such letters too, and is ASCII in the patterns that use it next
/// to `\b`.
fn edge(h: &Hir, first: bool) -> Option<char> {
    match h.kind() {
        HirKind::Class(Class::Unicode(c)) => {
            let size: u32 = c
                .ranges()
                .iter()
                .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
                .sum();
            if size > SMALL_CLASS {
                return None;
            }
            c.ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .find(|&ch| non_ascii_letter(ch))
        }
        HirKind::Literal(lit) => {
            let s = String::from_utf8_lossy(&lit.0);
            let c = if first {
                s.chars().next()
            } else {
                s.chars().next_back()
            }?;
            non_ascii_letter(c).then_some(c)
        }
        HirKind::Capture(c) => edge(&c.sub, first),
        HirKind::Alternation(items) => items.iter().find_map(|b| edge(b, first)),
        HirKind::Concat(items) => {
            let item = if first { items.first() } else { items.last() }?;
            edge(item, first)
        }
        HirKind::Repetition(r) if r.min >= 1 => edge(&r.sub, first),
        _ => None,
    }
}

/// A letter an ASCII word boundary counts as a non-word byte.
fn non_ascii_letter(c: char) -> bool {
    !c.is_ascii() && c.is_alphabetic()
}

/// `pattern` with every word-boundary assertion made ASCII, or the pattern
/// unchanged when it does not parse (the compiler then names the error).
///
/// Rule packs compile their boundaries this way (see the crate note), and
/// so do the guard's other pattern files and the WAF's rules: a Unicode
/// `\b` keeps a regex off its lazy DFA next to any non-ASCII byte, and the
/// PikeVM then reads the whole text (for a WAF rule set, 0.5–1.2 ms a
/// 1 KB message with one "é", against 2 µs). Written over
/// `regex_syntax::ast` because the regex crates parse a pattern but do not
/// rewrite one: only the assertions' spans are wrapped in `(?-u:…)`, so
/// `\\b` (a backslash, then `b`) and `[\b]` (a backspace) stay as written
/// and `\b{start}` keeps its suffix.
pub fn ascii_word_boundaries(pattern: &str) -> String {
    wrap_boundaries(pattern, &boundary_spans(pattern))
}

/// The byte spans of `pattern`'s word-boundary assertions, in order (none
/// when it does not parse: the compiler reports that).
pub(crate) fn boundary_spans(pattern: &str) -> Vec<(usize, usize)> {
    let Ok(ast) = Parser::new().parse(pattern) else {
        return Vec::new();
    };
    let Ok(mut spans) = visit(&ast, Boundaries(Vec::new()));
    spans.sort_unstable();
    spans
}

/// `pattern` with the assertions at `spans` (as [`boundary_spans`] gives
/// them) made ASCII; the pattern as it is when a span does not fit it.
pub(crate) fn wrap_boundaries(pattern: &str, spans: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(pattern.len() + 8 * spans.len());
    let mut at = 0;
    for &(start, end) in spans {
        let (Some(before), Some(assertion)) = (pattern.get(at..start), pattern.get(start..end))
        else {
            return pattern.to_string();
        };
        out.push_str(before);
        out.push_str("(?-u:");
        out.push_str(assertion);
        out.push(')');
        at = end;
    }
    out.push_str(pattern.get(at..).unwrap_or(""));
    out
}

/// Collects the byte spans of the word-boundary assertions.
struct Boundaries(Vec<(usize, usize)>);

impl Visitor for Boundaries {
    type Output = Vec<(usize, usize)>;
    type Err = std::convert::Infallible;

    fn finish(self) -> Result<Self::Output, Self::Err> {
        Ok(self.0)
    }

    fn visit_pre(&mut self, ast: &Ast) -> Result<(), Self::Err> {
        if let Ast::Assertion(a) = ast {
            if !matches!(
                a.kind,
                AssertionKind::StartLine
                    | AssertionKind::EndLine
                    | AssertionKind::StartText
                    | AssertionKind::EndText
            ) {
                self.0.push((a.span.start.offset, a.span.end.offset));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::next_to_non_ascii;

    #[test]
    fn boundaries_next_to_non_ascii_letters_are_found() {
        assert_eq!(next_to_non_ascii(r"\bсделать"), Some('с'));
        assert_eq!(next_to_non_ascii(r"\b(?:make|сделать)\s"), Some('с'));
        assert_eq!(next_to_non_ascii(r"carte\s+d'identité\b"), Some('é'));
        assert_eq!(next_to_non_ascii(r"x(?:a|(?:\bécrire)+)"), Some('é'));
        // A spelled-out class: the accented letter can never meet it.
        assert_eq!(next_to_non_ascii(r"caff[èe]\b"), Some('è'));
        assert_eq!(next_to_non_ascii(r"\b[ée]crire"), Some('é'));
    }

    #[test]
    fn other_boundaries_pass() {
        for p in [
            r"\bignore\s+previous\b",
            r"\b(?:töten|ermorden)\b",
            r"\b\w+\s+bombe\b",
            r"(?:как\s+убить)",
            r"爆弾の作り方",
            r"\b(?:c[óo]mo|como)\b",
            r"\b\w+\b",
            r"\b[a-zà-ÿ]+\b",
            r"(?:",
        ] {
            assert_eq!(next_to_non_ascii(p), None, "{p}");
        }
    }
}

#[cfg(test)]
mod rewrite_tests {
    use super::ascii_word_boundaries as rw;
    use proptest::prelude::*;

    #[test]
    fn boundaries_become_ascii_and_nothing_else_changes() {
        assert_eq!(
            rw(r"(?i)\bunion\b\s+select"),
            r"(?i)(?-u:\b)union(?-u:\b)\s+select"
        );
        assert_eq!(rw(r"\Bx\b{start}"), r"(?-u:\B)x(?-u:\b{start})");
        // An escaped backslash before a `b` is a literal, not a boundary.
        assert_eq!(rw(r"c:\\bin\\"), r"c:\\bin\\");
        assert_eq!(rw(r"^a$"), r"^a$");
        assert_eq!(rw(r"[\w-]+"), r"[\w-]+");
        // Does not parse: left for the compiler to report.
        assert_eq!(rw(r"(\b"), r"(\b");
    }

    #[test]
    fn ascii_boundaries_still_match_beside_accented_text() {
        let re = regex_automata::meta::Regex::new(&rw(r"(?i)\bselect\b.{0,40}\bfrom\b"))
            .expect("compiles");
        assert!(re.is_match("déjà vu: SELECT name FROM users"));
        assert!(!re.is_match("sélectionner les fromages"));
    }

    proptest! {
        /// Rewriting keeps what a pattern matches on ASCII text, where an
        /// ASCII and a Unicode boundary agree.
        #[test]
        fn same_matches_on_ascii_text(
            words in prop::collection::vec("[a-z]{1,6}", 1..4),
            text in "[a-z .,;()'=-]{0,40}",
        ) {
            let pattern = format!(r"\b{}\b", words.join(r"\W+"));
            let (a, b) = (regex_automata::meta::Regex::new(&pattern), regex_automata::meta::Regex::new(&rw(&pattern)));
            if let (Ok(a), Ok(b)) = (a, b) {
                prop_assert_eq!(a.find(&text).map(|m| m.range()), b.find(&text).map(|m| m.range()));
            }
        }
    }
}
