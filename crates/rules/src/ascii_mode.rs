//! English patterns that hold typographic quotes (`[''’]s`, `["“]`) would
//! compile with Unicode semantics only because of those characters, and
//! then every `\w` in them becomes a Unicode class: ten times the automaton
//! (a third of the rule packs' memory went to a few such patterns). This
//! rewrites such a pattern so that it compiles in ASCII mode like the
//! all-ASCII ones: a bracketed class's typographic quotes move into an
//! alternation beside it (`(?:[']|’)s`), since an ASCII-mode class cannot
//! hold a multi-byte character, while a quote outside a class is already a
//! byte string there.
//!
//! Hand-written over `regex_syntax::ast` because no crate rewrites one
//! regex dialect feature into another; the regex crates only parse.

use regex_syntax::ast::{
    self, parse::Parser, print::Printer, Ast, ClassSet, ClassSetItem, ClassSetUnion,
};

/// Characters that may turn a pattern into an ASCII-mode one: punctuation
/// with no case and no word-character meaning.
const TYPOGRAPHIC: &[char] = &['’', '‘', '“', '”', '「', '」'];

/// The pattern rewritten for ASCII mode, or None when it should keep
/// Unicode semantics: when it holds any other non-ASCII character (a
/// Chinese pattern's `.` and counts mean characters), a typographic quote
/// in a negated class or a range, or it does not parse.
pub(crate) fn ascii_variant(src: &str) -> Option<String> {
    if src.is_ascii()
        || !src
            .chars()
            .all(|c| c.is_ascii() || TYPOGRAPHIC.contains(&c))
    {
        return None;
    }
    let mut ast = Parser::new().parse(src).ok()?;
    rewrite(&mut ast)?;
    let mut out = String::new();
    Printer::new().print(&ast, &mut out).ok()?;
    Some(out)
}

/// Moves non-ASCII literals out of the bracketed classes under `ast`.
fn rewrite(ast: &mut Ast) -> Option<()> {
    match ast {
        Ast::ClassBracketed(class) => {
            if let Some(replacement) = split_class(class)? {
                *ast = replacement;
            }
            Some(())
        }
        Ast::Repetition(rep) => rewrite(&mut rep.ast),
        Ast::Group(group) => rewrite(&mut group.ast),
        Ast::Alternation(alt) => alt.asts.iter_mut().try_for_each(rewrite),
        Ast::Concat(concat) => concat.asts.iter_mut().try_for_each(rewrite),
        _ => Some(()),
    }
}

/// `Some(None)`: the class holds no typographic quote; `Some(Some(ast))`:
/// its replacement; None: it cannot be rewritten.
fn split_class(class: &ast::ClassBracketed) -> Option<Option<Ast>> {
    let items = match &class.kind {
        ClassSet::Item(ClassSetItem::Union(union)) => union.items.as_slice(),
        ClassSet::Item(item) => std::slice::from_ref(item),
        // Set operations (`&&`, `--`): left alone, and only when all ASCII.
        ClassSet::BinaryOp(_) => return ascii_set(&class.kind).then_some(None),
    };
    let mut kept = Vec::new();
    let mut moved = Vec::new();
    for item in items {
        match item {
            ClassSetItem::Literal(lit) if !lit.c.is_ascii() => moved.push(ast::Literal {
                kind: ast::LiteralKind::Verbatim,
                ..lit.clone()
            }),
            other if item_is_ascii(other) => kept.push(other.clone()),
            _ => return None,
        }
    }
    if moved.is_empty() {
        return Some(None);
    }
    if class.negated {
        return None;
    }
    let span = class.span;
    let mut branches = Vec::new();
    if !kept.is_empty() {
        branches.push(Ast::class_bracketed(ast::ClassBracketed {
            span,
            negated: false,
            kind: ClassSet::Item(ClassSetItem::Union(ClassSetUnion { span, items: kept })),
        }));
    }
    branches.extend(moved.into_iter().map(Ast::literal));
    Some(Some(Ast::group(ast::Group {
        span,
        kind: ast::GroupKind::NonCapturing(ast::Flags {
            span,
            items: Vec::new(),
        }),
        ast: Box::new(Ast::alternation(ast::Alternation {
            span,
            asts: branches,
        })),
    })))
}

fn ascii_set(set: &ClassSet) -> bool {
    match set {
        ClassSet::Item(item) => item_is_ascii(item),
        ClassSet::BinaryOp(op) => ascii_set(&op.lhs) && ascii_set(&op.rhs),
    }
}

fn item_is_ascii(item: &ClassSetItem) -> bool {
    match item {
        ClassSetItem::Literal(lit) => lit.c.is_ascii(),
        ClassSetItem::Range(r) => r.start.c.is_ascii() && r.end.c.is_ascii(),
        ClassSetItem::Bracketed(b) => ascii_set(&b.kind),
        ClassSetItem::Union(u) => u.items.iter().all(item_is_ascii),
        ClassSetItem::Empty(_)
        | ClassSetItem::Ascii(_)
        | ClassSetItem::Perl(_)
        | ClassSetItem::Unicode(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex_automata::{meta::Regex, util::syntax};

    fn build(src: &str, unicode: bool) -> Regex {
        Regex::builder()
            .syntax(
                syntax::Config::new()
                    .unicode(unicode)
                    .utf8(false)
                    .case_insensitive(true),
            )
            .configure(Regex::config().utf8_empty(false))
            .build(src)
            .expect("compiles")
    }

    #[test]
    fn quotes_leave_their_classes() {
        assert_eq!(
            ascii_variant("what[''’]s").as_deref(),
            Some("what(?:['']|’)s")
        );
        assert_eq!(ascii_variant("[’]s").as_deref(), Some("(?:’)s"));
        assert_eq!(
            ascii_variant(r#"for\s+["“]?\w+"#).as_deref(),
            Some(r#"for\s+(?:["]|“)?\w+"#)
        );
        assert_eq!(ascii_variant("it’s").as_deref(), Some("it’s"));
    }

    #[test]
    fn what_keeps_unicode_semantics() {
        assert_eq!(ascii_variant("how to"), None); // already ASCII
        assert_eq!(ascii_variant("如何.{0,5}炸弹"), None);
        assert_eq!(ascii_variant("[^’]+"), None);
        assert_eq!(ascii_variant("[‘-’]"), None);
        assert_eq!(ascii_variant("(unclosed’"), None);
    }

    proptest! {
        /// On English text with curly quotes the rewritten ASCII-mode
        /// pattern finds what the Unicode one finds.
        #[test]
        fn same_matches_on_english_text(text in "[a-zA-Z ’'“\"]{0,40}") {
            for src in [r"\w+[''’]s\s+\w+", r#"["“]\w+["”]"#, r"(?:don|won)[''’]?t\s+\w+", r"[\w''’]+\s+now"] {
                let ascii = ascii_variant(src).expect("rewritable");
                let (a, u) = (build(&ascii, false), build(src, true));
                let found = |r: &Regex| r.find_iter(text.as_bytes()).map(|m| m.range()).collect::<Vec<_>>();
                prop_assert_eq!(found(&a), found(&u), "{} vs {}", ascii, src);
            }
        }
    }
}
