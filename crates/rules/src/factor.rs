//! Shared suffixes of alternation branches, compiled once.
//!
//! The packs write word stems as alternations, each stem with its own
//! ending: `(?:стрельб\w*|теракт\w*|взрыв\w*)`. A Unicode `\w` is 321 NFA
//! states, so an alternation of forty such stems is 13,000 states where one
//! `\w*` after the forty stems is 321. Adjacent branches that end in the
//! same class or repetition are rewritten as the alternation of what comes
//! before it, followed by it once: `(?:стрельб|теракт|взрыв)\w*`.
//!
//! The rewrite keeps leftmost-first matches, not only the language. A
//! match is the first path in priority order, and a path through
//! `X1 S | X2 S` is ordered by the branch taken, then by the choices
//! inside it, then by those inside `S`; through `(X1 | X2) S` it is
//! ordered by exactly the same choices in the same order. (Factoring a
//! shared *prefix* would not be: `S (X1 | X2)` orders by the choices in
//! `S` first.) Only adjacent branches are merged, so the order of the
//! others is kept too.

use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};

/// `hir` with the shared final class or repetition of adjacent
/// alternation branches written once.
pub(crate) fn factor_suffixes(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(factor_suffixes(&r.sub)),
            ..r.clone()
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            sub: Box::new(factor_suffixes(&c.sub)),
            ..c.clone()
        }),
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(factor_suffixes).collect()),
        HirKind::Alternation(branches) => {
            let branches: Vec<Hir> = branches.iter().map(factor_suffixes).collect();
            Hir::alternation(merge_adjacent(branches))
        }
    }
}

/// Runs of adjacent branches with the same costly last part, each run
/// made one branch.
fn merge_adjacent(branches: Vec<Hir>) -> Vec<Hir> {
    let mut out: Vec<Hir> = Vec::with_capacity(branches.len());
    let mut run: Vec<Hir> = Vec::new();
    let mut run_suffix: Option<Hir> = None;
    let flush = |out: &mut Vec<Hir>, run: &mut Vec<Hir>, suffix: &mut Option<Hir>| match (
        suffix.take(),
        run.len(),
    ) {
        (Some(s), n) if n >= 2 => {
            let heads = run.drain(..).map(|b| without_last(&b)).collect();
            out.push(Hir::concat(vec![Hir::alternation(heads), s]));
        }
        _ => out.append(run),
    };
    for b in branches {
        let suffix = costly_last(&b);
        if suffix.is_some() && suffix == run_suffix {
            run.push(b);
            continue;
        }
        flush(&mut out, &mut run, &mut run_suffix);
        match suffix {
            Some(s) => {
                run.push(b);
                run_suffix = Some(s);
            }
            None => out.push(b),
        }
    }
    flush(&mut out, &mut run, &mut run_suffix);
    out
}

/// The last part of a concatenation when it is a class or a repetition
/// (the parts whose copies cost states); a branch of one part is left
/// alone.
fn costly_last(hir: &Hir) -> Option<Hir> {
    let HirKind::Concat(parts) = hir.kind() else {
        return None;
    };
    let last = parts.last()?;
    matches!(last.kind(), HirKind::Class(_) | HirKind::Repetition(_)).then(|| last.clone())
}

/// A concatenation without its last part.
fn without_last(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Concat(parts) => Hir::concat(parts[..parts.len().saturating_sub(1)].to_vec()),
        _ => Hir::empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex_automata::meta::Regex;
    use regex_automata::nfa::thompson::NFA;

    fn parse(p: &str) -> Hir {
        crate::lazy::parse(p, true, false).expect("parses")
    }

    fn regex(hir: &Hir) -> Regex {
        Regex::builder()
            .syntax(regex_automata::util::syntax::Config::new().utf8(false))
            .configure(Regex::config().utf8_empty(false))
            .build_from_hir(hir)
            .expect("builds")
    }

    fn states(hir: &Hir) -> usize {
        NFA::compiler()
            .build_from_hir(hir)
            .expect("builds")
            .states()
            .len()
    }

    #[test]
    fn adjacent_stems_share_one_ending_and_others_keep_their_place() {
        let hir = parse(r"(?:стрельб\w*|теракт\w*|взрыв|нож\w*|бомб\w*)\s+");
        let factored = factor_suffixes(&hir);
        let expected = parse(r"(?:(?:стрельб|теракт)\w*|взрыв|(?:нож|бомб)\w*)\s+");
        assert_eq!(factored, factor_suffixes(&expected));
        assert_eq!(states(&factored), states(&expected));
        assert!(
            states(&factored) * 3 < states(&hir) * 2,
            "{} of {}",
            states(&factored),
            states(&hir)
        );
    }

    #[test]
    fn a_pattern_with_nothing_to_share_is_unchanged() {
        for p in [r"abc", r"(?:a|b)\w*", r"(?:a\w*|b\s*)", r"\w*|\w*"] {
            assert_eq!(factor_suffixes(&parse(p)), parse(p), "{p}");
        }
    }

    /// Alternations of stems with shared, differing, greedy and lazy
    /// endings, nested once.
    fn pattern() -> impl Strategy<Value = String> {
        let ending = prop::sample::select(vec![
            r"\w*",
            r"\w+",
            r"\w*?",
            r"[^\n]{0,3}?",
            r"[^\n]{0,3}",
            r"\s+",
            "",
            "a",
        ]);
        let stem = prop::sample::select(vec!["a", "ab", "b", "ба", "б", "", "a\\s"]);
        let branch = (stem, ending).prop_map(|(s, e)| format!("{s}{e}"));
        let alt = prop::collection::vec(branch, 1..6).prop_map(|b| format!("(?:{})", b.join("|")));
        (
            alt.clone(),
            alt,
            prop::sample::select(vec!["", r"\s", "b", "$"]),
        )
            .prop_map(|(a, b, tail)| format!("{a}(?:{b}|x){tail}"))
    }

    proptest! {
        #[test]
        fn leftmost_first_matches_are_kept(p in pattern(), text in "[abх бa\n]{0,24}") {
            let hir = parse(&p);
            let (before, after) = (regex(&hir), regex(&factor_suffixes(&hir)));
            let hay = text.as_bytes();
            prop_assert_eq!(before.find(hay), after.find(hay), "{}", p);
            for at in 1..hay.len().min(6) {
                let input = regex_automata::Input::new(hay).range(at..);
                prop_assert_eq!(before.search(&input), after.search(&input), "{}", p);
                let anchored = input.anchored(regex_automata::Anchored::Yes);
                prop_assert_eq!(before.search(&anchored), after.search(&anchored), "{}", p);
            }
        }
    }
}
