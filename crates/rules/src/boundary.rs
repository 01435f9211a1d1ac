//! Finds `\b` or `\B` right next to a non-ASCII letter in a pattern. Rule
//! packs compile word boundaries as ASCII ones (see the crate note), and an
//! ASCII boundary counts every non-ASCII byte as a non-word byte: `\bсделать`
//! or `identité\b` can never match, and a test of the pattern in another
//! regex engine would not show it. So a pack that writes one is refused at
//! load, with the letter named, instead of losing the branch in silence.

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
