//! WAF patterns compile their word boundaries as ASCII ones.
//!
//! A Unicode `\b` cannot run in regex's lazy DFA once the text holds a
//! non-ASCII byte, and the regex then runs the PikeVM over the whole value.
//! For the rule sets that is 0.5–1.2 ms a set for a 1 KB chat message with
//! one "é" in it, or in Chinese, against 2 µs for ASCII text (measured on
//! the built-in sets, session 56): every non-English prompt through the
//! gateway paid milliseconds in the WAF. The rules read attack syntax
//! (SQL, shell, script, paths), which is ASCII, so an ASCII boundary says
//! the same there; next to a non-ASCII letter it sees a boundary where a
//! Unicode one would not, which can only make a rule match more.
//!
//! Hand-written over `regex_syntax::ast` (the regex crates parse patterns
//! but do not rewrite one dialect feature into another): the boundary
//! assertions' spans are wrapped in `(?-u:…)`, everything else is left as
//! written.

use regex_syntax::ast::{parse::Parser, visit, AssertionKind, Ast, Visitor};

/// `pattern` with every word-boundary assertion made ASCII, or the pattern
/// unchanged when it does not parse (the compiler then names the error).
pub(crate) fn ascii_word_boundaries(pattern: &str) -> String {
    let Ok(ast) = Parser::new().parse(pattern) else {
        return pattern.to_string();
    };
    let Ok(mut spans) = visit(&ast, Boundaries(Vec::new()));
    spans.sort_unstable();
    let mut out = String::with_capacity(pattern.len() + 8 * spans.len());
    let mut at = 0;
    for (start, end) in spans {
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
        let re = regex::Regex::new(&rw(r"(?i)\bselect\b.{0,40}\bfrom\b")).expect("compiles");
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
            let (a, b) = (regex::Regex::new(&pattern), regex::Regex::new(&rw(&pattern)));
            if let (Ok(a), Ok(b)) = (a, b) {
                prop_assert_eq!(a.find(&text).map(|m| m.range()), b.find(&text).map(|m| m.range()));
            }
        }
    }
}
