//! Many patterns searched at once for which of them match a text: what
//! `regex::RegexSet` answers, with the forward automaton alone.
//!
//! A `RegexSet` is a meta regex: it builds the set's reverse NFA too, and
//! a PikeVM and backtracker with caches per thread, though saying which
//! patterns match needs none of them while its lazy DFA keeps up. The
//! WAF's rule sets held 54 MB so (heaptrack, a gateway's start). Here the
//! forward lazy DFA answers, with the meta regex's settings, and a PikeVM
//! is made only where it gives up or cannot be built.

use crate::engine::{dfa_config, nfa_config};
use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::nfa::thompson::{self, pikevm, WhichCaptures, NFA};
use regex_automata::util::pool::Pool;
use regex_automata::{Input, MatchKind, PatternID, PatternSet as Matched};
use std::sync::OnceLock;

/// Patterns compiled together, with `regex`'s default syntax (Unicode,
/// UTF-8; flags inline).
pub struct PatternSet {
    patterns: Vec<String>,
    nfa: NFA,
    dfa: Option<DFA>,
    pikevm: OnceLock<Option<pikevm::PikeVM>>,
    caches: Pool<Caches>,
}

/// The patterns one search found, by index, ascending.
pub struct Matches {
    matched: Matched,
    next: usize,
}

impl Iterator for Matches {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.next < self.matched.capacity() {
            let i = self.next;
            self.next += 1;
            if PatternID::new(i).is_ok_and(|p| self.matched.contains(p)) {
                return Some(i);
            }
        }
        None
    }
}

#[derive(Default)]
struct Caches {
    dfa: Option<DfaCache>,
    pikevm: Option<pikevm::Cache>,
}

impl std::fmt::Debug for PatternSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatternSet")
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

impl PatternSet {
    /// Compiles `patterns`: the NFA within `nfa_size_limit` bytes, the
    /// lazy DFA's cache within `cache_capacity`. The error says which
    /// pattern does not parse, or that the set is too large.
    pub fn new<S: AsRef<str>>(
        patterns: &[S],
        nfa_size_limit: usize,
        cache_capacity: usize,
    ) -> Result<Self, String> {
        let patterns: Vec<String> = patterns.iter().map(|p| p.as_ref().to_string()).collect();
        // Parsed one by one, so that an error names its pattern.
        let hirs = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| {
                regex_syntax::Parser::new()
                    .parse(p)
                    .map_err(|e| format!("pattern {} does not parse: {e}", i + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let nfa = thompson::Compiler::new()
            .configure(
                nfa_config()
                    .utf8(true)
                    .nfa_size_limit(Some(nfa_size_limit))
                    .which_captures(WhichCaptures::Implicit),
            )
            .build_many_from_hir(&hirs)
            .map_err(|e| e.to_string())?;
        let dfa = DFA::builder()
            .configure(dfa_config(cache_capacity).match_kind(MatchKind::All))
            .build_from_nfa(nfa.clone())
            .ok();
        Ok(Self {
            patterns,
            nfa,
            dfa,
            pikevm: OnceLock::new(),
            caches: Pool::new(Caches::default),
        })
    }

    /// The patterns, in the order their indexes refer to.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether the lazy DFA was built (otherwise every search is the
    /// PikeVM's, an order of magnitude slower).
    pub fn has_lazy_dfa(&self) -> bool {
        self.dfa.is_some()
    }

    /// Whether any pattern matches `text`: the forward search, stopping at
    /// the first match state.
    pub fn is_match(&self, text: &str) -> bool {
        let input = Input::new(text).earliest(true);
        let mut caches = self.caches.get();
        if let Some(dfa) = &self.dfa {
            let cache = caches.dfa.get_or_insert_with(|| dfa.create_cache());
            if let Ok(found) = dfa.try_search_fwd(cache, &input) {
                return found.is_some();
            }
        }
        self.with_pikevm(&mut caches, |vm, cache| {
            vm.is_match(cache, Input::new(text))
        })
        .unwrap_or(false)
    }

    /// The indexes of the patterns that match somewhere in `text`,
    /// ascending.
    pub fn matches(&self, text: &str) -> Matches {
        let input = Input::new(text);
        let mut matched = Matched::new(self.nfa.pattern_len());
        let mut caches = self.caches.get();
        let by_dfa = self.dfa.as_ref().is_some_and(|dfa| {
            let cache = caches.dfa.get_or_insert_with(|| dfa.create_cache());
            dfa.try_which_overlapping_matches(cache, &input, &mut matched)
                .is_ok()
        });
        if !by_dfa {
            matched.clear();
            self.with_pikevm(&mut caches, |vm, cache| {
                vm.which_overlapping_matches(cache, &input, &mut matched)
            });
        }
        Matches { matched, next: 0 }
    }

    /// `f` run with the PikeVM, made on first need, and this thread's
    /// cache for it; `None` when it cannot be built.
    fn with_pikevm<T>(
        &self,
        caches: &mut Caches,
        f: impl FnOnce(&pikevm::PikeVM, &mut pikevm::Cache) -> T,
    ) -> Option<T> {
        let vm = self
            .pikevm
            .get_or_init(|| {
                pikevm::PikeVM::builder()
                    .configure(pikevm::Config::new().match_kind(MatchKind::All))
                    .build_from_nfa(self.nfa.clone())
                    .ok()
            })
            .as_ref()?;
        let cache = caches.pikevm.get_or_insert_with(|| vm.create_cache());
        Some(f(vm, cache))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex_automata::meta::Regex;

    /// WAF-like patterns: inline flags, Unicode classes, a Unicode word
    /// boundary (the lazy DFA quits on a non-ASCII byte next to one),
    /// bounded gaps.
    const PATTERNS: &[&str] = &[
        r"(?i)union\s+(?:all\s+)?select",
        r"(?i)<script[^>]*>",
        r"\bor\s+\d+=\d+",
        r"(?i)(?:\.\./|\.\.\\){2,}",
        r"[а-я]+\s*;\s*drop",
        r"\w+\(\)\s*\{[^}]{0,20}\}",
    ];

    /// What `regex::RegexSet` answers: the meta regex of the patterns
    /// with every match kind.
    fn reference() -> Regex {
        Regex::builder()
            .configure(Regex::config().match_kind(MatchKind::All))
            .build_many(PATTERNS)
            .expect("builds")
    }

    proptest! {
        #[test]
        fn answers_as_the_meta_regex_set_with_every_lazy_dfa_outcome(
            text in "(?:[a-z0-9 =;(){}<>./\\\\]|union|select|<script|drop|дом|é| or 1=1|\\.\\./){0,40}"
        ) {
            let theirs = reference();
            let mut expected = Matched::new(PATTERNS.len());
            theirs.which_overlapping_matches(&Input::new(&text), &mut expected);
            let expected: Vec<usize> = expected.iter().map(|p| p.as_usize()).collect();
            // Room to spare; so little the lazy DFA gives up on long
            // texts; too little to build it.
            for capacity in [16 << 20, 9 << 10, 64] {
                let ours = PatternSet::new(PATTERNS, 8 << 20, capacity).expect("builds");
                prop_assert_eq!(ours.matches(&text).collect::<Vec<_>>(), expected.clone());
                prop_assert_eq!(ours.is_match(&text), theirs.is_match(&text));
            }
        }
    }

    #[test]
    fn a_set_too_large_or_unparsable_is_refused_with_the_reason() {
        let e = PatternSet::new(&[r"\w{500}\w{500}"], 1 << 16, 1 << 20).expect_err("too large");
        assert!(e.contains("exceeded limit"), "{e}");
        let e = PatternSet::new(&["ok", "(unclosed"], 8 << 20, 1 << 20).expect_err("bad");
        assert!(
            e.starts_with("pattern 2 does not parse") && e.contains("unclosed"),
            "{e}"
        );
        let small = PatternSet::new(&["a"], 8 << 20, 64).expect("builds");
        assert!(!small.has_lazy_dfa());
        assert_eq!(small.matches("bab").collect::<Vec<_>>(), vec![0]);
        assert!(small.is_match("bab") && !small.is_match("bbb"));
    }
}
