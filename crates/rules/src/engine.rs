//! The regex engine of rule patterns: a lazy DFA searching forward, and
//! the reverse one that finds where a match starts, built on the
//! pattern's first match.
//!
//! regex-automata's meta regex builds a pattern's reverse NFA with its
//! forward one, and keeps a PikeVM, a bounded backtracker and a one-pass
//! DFA, each with caches per thread. Over the built-in packs' 4,270
//! regexes that was 408 MiB of automata before any search (a Unicode `\w`
//! is 321 NFA states forward and 1,437 reversed), and a long-running guard
//! grew to 1.2 GB as its caches filled. A rule pattern is searched on
//! every text that holds its literals and matches few of them: until it
//! matches, the forward lazy DFA alone answers, and most patterns never
//! need a reverse automaton or a PikeVM. The search is the one
//! `hybrid::regex::Regex` runs (forward to the match's end, then an
//! anchored reverse search back to its start), with the meta regex's
//! lazy-DFA settings; where a lazy DFA gives up (its cache cleared too
//! often for too little progress) the PikeVM answers, as in the meta
//! regex. Hand-written because regex-automata has no regex that builds its
//! parts on demand; the parts and the search are its own. Both NFAs are
//! compiled with shared endings of stems written once (`factor.rs`).

use crate::factor::factor_suffixes;
use regex_automata::hybrid::dfa::{Cache as DfaCache, Config as DfaConfig, DFA};
use regex_automata::nfa::thompson::{self, pikevm, WhichCaptures, NFA};
use regex_automata::util::pool::Pool;
use regex_automata::util::prefilter::Prefilter;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, Match, MatchKind};
use regex_syntax::hir::Hir;
use std::sync::{Arc, OnceLock};

/// The most memory a pattern's NFA, and each lazy DFA's cache, may take.
const SIZE_LIMIT: usize = 8 << 20;

/// One rule pattern, compiled for searching over bytes.
pub(crate) struct RuleRegex {
    /// The pattern as it was parsed: the reverse NFA is built from it.
    /// Shared with the lazy regex that holds this one.
    src: Arc<str>,
    syntax: syntax::Config,
    nfa: NFA,
    prefilter: Option<Prefilter>,
    /// `None` when the lazy DFA cannot be built in its cache's capacity;
    /// the PikeVM then answers every search.
    fwd: Option<DFA>,
    /// Of each lazy DFA's cache.
    capacity: usize,
    rev: OnceLock<Option<DFA>>,
    pikevm: OnceLock<Option<pikevm::PikeVM>>,
    caches: Pool<Caches>,
}

/// One thread's search state, each part made when first needed.
#[derive(Default)]
struct Caches {
    fwd: Option<DfaCache>,
    rev: Option<DfaCache>,
    pikevm: Option<pikevm::Cache>,
}

impl std::fmt::Debug for RuleRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleRegex").field("src", &self.src).finish()
    }
}

impl RuleRegex {
    /// Compiles `hir`, parsed from `src` with `syntax`, and its prefilter.
    pub(crate) fn new(
        src: Arc<str>,
        syntax: syntax::Config,
        hir: &Hir,
        prefilter: Option<Prefilter>,
    ) -> Result<Self, String> {
        Self::with_cache_capacity(src, syntax, hir, prefilter, SIZE_LIMIT)
    }

    /// [`RuleRegex::new`] with lazy DFAs of another cache capacity: the
    /// tests make them give up, or fail to build, with small ones.
    fn with_cache_capacity(
        src: Arc<str>,
        syntax: syntax::Config,
        hir: &Hir,
        prefilter: Option<Prefilter>,
        capacity: usize,
    ) -> Result<Self, String> {
        let nfa = thompson::Compiler::new()
            .configure(nfa_config().which_captures(WhichCaptures::Implicit))
            .build_from_hir(&factor_suffixes(hir))
            .map_err(|e| e.to_string())?;
        let fwd = DFA::builder()
            .configure(
                dfa_config(capacity)
                    .match_kind(MatchKind::LeftmostFirst)
                    .prefilter(prefilter.clone())
                    .specialize_start_states(prefilter.is_some()),
            )
            .build_from_nfa(nfa.clone())
            .ok();
        Ok(Self {
            src,
            syntax,
            nfa,
            prefilter,
            fwd,
            capacity,
            rev: OnceLock::new(),
            pikevm: OnceLock::new(),
            caches: Pool::new(Caches::default),
        })
    }

    /// The leftmost-first match in `haystack`.
    pub(crate) fn find(&self, haystack: &[u8]) -> Option<Match> {
        self.search(&Input::new(haystack))
    }

    /// Whether `haystack` holds a match (the forward search alone, stopping
    /// at the first match state).
    pub(crate) fn is_match(&self, haystack: &[u8]) -> bool {
        self.is_match_in(&mut self.caches.get(), haystack)
    }

    /// Whether the pattern matches the empty string: the load check, with
    /// caches of its own, dropped after. Kept, the caches of 4,270 such
    /// checks at a server's start held 55 MB, for patterns most of which
    /// a server's traffic would not search for hours.
    pub(crate) fn matches_empty(&self) -> bool {
        self.is_match_in(&mut Caches::default(), b"")
    }

    fn is_match_in(&self, caches: &mut Caches, haystack: &[u8]) -> bool {
        let input = Input::new(haystack).earliest(true);
        if let Some(fwd) = &self.fwd {
            let cache = caches.fwd.get_or_insert_with(|| fwd.create_cache());
            if let Ok(found) = fwd.try_search_fwd(cache, &input) {
                return found.is_some();
            }
        }
        self.pikevm_search(caches, &input).is_some()
    }

    /// The leftmost-first match of the search `input` describes.
    pub(crate) fn search(&self, input: &Input<'_>) -> Option<Match> {
        let mut caches = self.caches.get();
        match self.try_lazy_dfas(&mut caches, input) {
            Some(found) => found,
            None => self.pikevm_search(&mut caches, input),
        }
    }

    /// The search by the lazy DFAs, or `None` when one of them gave up or
    /// could not be built.
    fn try_lazy_dfas(&self, caches: &mut Caches, input: &Input<'_>) -> Option<Option<Match>> {
        let fwd = self.fwd.as_ref()?;
        let cache = caches.fwd.get_or_insert_with(|| fwd.create_cache());
        let Some(end) = fwd.try_search_fwd(cache, input).ok()? else {
            return Some(None);
        };
        // An anchored search, or one that matched where it began, knows
        // the start without reading backwards.
        if input.start() == end.offset()
            || input.get_anchored().is_anchored()
            || self.nfa.is_always_start_anchored()
        {
            return Some(Some(Match::new(end.pattern(), input.start()..end.offset())));
        }
        let rev = self.rev.get_or_init(|| self.build_reverse()).as_ref()?;
        let cache = caches.rev.get_or_insert_with(|| rev.create_cache());
        // Anchored at the end and not stopping early: the longest reverse
        // match is the leftmost start.
        let back = input
            .clone()
            .span(input.start()..end.offset())
            .anchored(Anchored::Yes)
            .earliest(false);
        let start = rev.try_search_rev(cache, &back).ok()??;
        Some(Some(Match::new(
            end.pattern(),
            start.offset()..end.offset(),
        )))
    }

    /// The reverse lazy DFA, as `hybrid::regex::Regex` and the meta regex
    /// build it, or `None` when it cannot be (then the PikeVM answers).
    fn build_reverse(&self) -> Option<DFA> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(self.syntax.get_unicode())
            .utf8(self.syntax.get_utf8())
            .case_insensitive(self.syntax.get_case_insensitive())
            .build()
            .parse(&self.src)
            .ok()?;
        let nfa = thompson::Compiler::new()
            .configure(
                nfa_config()
                    .which_captures(WhichCaptures::None)
                    .reverse(true),
            )
            .build_from_hir(&factor_suffixes(&hir))
            .ok()?;
        DFA::builder()
            .configure(
                dfa_config(self.capacity)
                    .match_kind(MatchKind::All)
                    .specialize_start_states(false),
            )
            .build_from_nfa(nfa)
            .ok()
    }

    fn pikevm_search(&self, caches: &mut Caches, input: &Input<'_>) -> Option<Match> {
        let vm = self
            .pikevm
            .get_or_init(|| {
                pikevm::PikeVM::builder()
                    .configure(
                        pikevm::Config::new()
                            .match_kind(MatchKind::LeftmostFirst)
                            .prefilter(self.prefilter.clone()),
                    )
                    .build_from_nfa(self.nfa.clone())
                    .ok()
            })
            .as_ref()?;
        let cache = caches.pikevm.get_or_insert_with(|| vm.create_cache());
        let mut slots = [None, None];
        let pid = vm.search_slots(cache, input, &mut slots)?;
        let (start, end) = (slots[0]?.get(), slots[1]?.get());
        Some(Match::new(pid, start..end))
    }

    /// Heap bytes of the automata built so far (not the search caches).
    #[cfg(test)]
    pub(crate) fn memory_usage(&self) -> usize {
        let dfa = |d: &DFA| d.get_nfa().memory_usage();
        self.nfa.memory_usage()
            + self.rev.get().and_then(Option::as_ref).map_or(0, dfa)
            + self.prefilter.as_ref().map_or(0, Prefilter::memory_usage)
    }

    /// The pattern as compiled.
    #[cfg(test)]
    pub(crate) fn src(&self) -> &str {
        &self.src
    }

    /// Whether the reverse automaton has been built (not only tried).
    #[cfg(test)]
    pub(crate) fn has_reverse(&self) -> bool {
        matches!(self.rev.get(), Some(Some(_)))
    }
}

/// The NFA settings of rule patterns and sets (both over bytes until a
/// set asks for UTF-8): the meta regex's, with its size limit.
pub(crate) fn nfa_config() -> thompson::Config {
    thompson::Config::new()
        .utf8(false)
        .shrink(false)
        .nfa_size_limit(Some(SIZE_LIMIT))
}

/// The meta regex's lazy-DFA settings: heuristic support for Unicode word
/// boundaries (a non-ASCII byte next to one makes the DFA quit), and
/// giving up when the cache is cleared often with little progress.
pub(crate) fn dfa_config(capacity: usize) -> DfaConfig {
    DfaConfig::new()
        .unicode_word_boundary(true)
        .cache_capacity(capacity)
        .skip_cache_capacity_check(false)
        .minimum_cache_clear_count(Some(3))
        .minimum_bytes_per_state(Some(10))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lazy;
    use proptest::prelude::*;

    /// Unicode and ASCII patterns of the packs' shapes: stems with `\w*`,
    /// bounded gaps, an ASCII `\b`, a Unicode one (its lazy DFA quits on
    /// non-ASCII bytes), an anchor, a class with no literal prefix.
    const PATTERNS: &[(&str, bool)] = &[
        (
            r"(?:купить|достать)\s+(?:[^\s.?!]+\s+){0,2}?(?:ствол\w*|нож\w*)",
            true,
        ),
        (
            r"(?-u:\b)(?:how|what)\s+(?:to|do\s+i)\s+\w+[^\n]{0,12}?harm",
            true,
        ),
        (r"(?:我|你)[^\n。]{0,8}?(?:毒|刀)\w*", true),
        (r"\bnož\w*\b", true),
        (r"^\s*(?:ignore|игнор\w*)", true),
        (r"[a-zа-я]{2,}\d", true),
        (r"(?-u:\b)(?:\w*tect\w*|avoid\w*)(?-u:\b)", false),
    ];

    fn meta(p: &str, unicode: bool) -> regex_automata::meta::Regex {
        lazy::build_meta(p, unicode, false).expect("builds")
    }

    /// The engine with lazy DFAs of `capacity` bytes of cache.
    fn ours(p: &str, unicode: bool, capacity: usize) -> RuleRegex {
        let hir = lazy::parse(p, unicode, false).expect("parses");
        let syntax = syntax::Config::new()
            .unicode(unicode)
            .utf8(false)
            .case_insensitive(true);
        let pre = lazy::prefix_prefilter(&hir);
        RuleRegex::with_cache_capacity(p.into(), syntax, &hir, pre, capacity).expect("builds")
    }

    /// Every search the rules run, compared with the meta regex's.
    fn same_searches(
        ours: &RuleRegex,
        theirs: &regex_automata::meta::Regex,
        text: &str,
    ) -> Result<(), TestCaseError> {
        let hay = text.as_bytes();
        prop_assert_eq!(ours.find(hay), theirs.find(hay));
        prop_assert_eq!(ours.is_match(hay), theirs.is_match(hay));
        for at in [1, 3, hay.len() / 2] {
            let at = at.min(hay.len());
            let from = Input::new(hay).range(at..);
            prop_assert_eq!(ours.search(&from), theirs.search(&from));
            let anchored = from.clone().anchored(Anchored::Yes);
            prop_assert_eq!(ours.search(&anchored), theirs.search(&anchored));
            let window = Input::new(hay).range(0..at);
            prop_assert_eq!(ours.search(&window), theirs.search(&window));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn searches_equal_the_meta_regex_s_with_every_lazy_dfa_outcome(
            text in "(?:[a-zA-Z0-9 ?.,!\n]|купить|ствол|нож|我|你|毒|刀|。|how to |harm|avoid|nož|ignore ){0,60}"
        ) {
            // Room to spare; so little that the lazy DFAs give up on long
            // texts (the PikeVM answers); too little to build them at all.
            for capacity in [SIZE_LIMIT, 9 << 10, 64] {
                for &(p, unicode) in PATTERNS {
                    same_searches(&ours(p, unicode, capacity), &meta(p, unicode), &text)?;
                }
            }
        }
    }

    #[test]
    fn the_reverse_automaton_is_built_at_the_first_match_that_needs_it() {
        let re = ours(PATTERNS[0].0, true, SIZE_LIMIT);
        assert!(!re.is_match("нож на кухне".as_bytes()));
        assert_eq!(re.find("купить хлеб".as_bytes()), None);
        assert!(!re.has_reverse(), "no match, no reverse automaton");
        let text = "где купить нож?";
        assert!(re.is_match(text.as_bytes()));
        assert!(!re.has_reverse(), "is_match reads forward only");
        let anchored = Input::new(text.as_bytes())
            .range(4..)
            .anchored(Anchored::Yes);
        assert_eq!(re.search(&anchored), None);
        let m = re.find(text.as_bytes()).expect("matches");
        assert_eq!(&text[m.range()], "купить нож");
        assert!(re.has_reverse());
    }

    #[test]
    fn a_lazy_dfa_that_gives_up_leaves_the_pikevm_to_answer() {
        let (p, unicode) = PATTERNS[1];
        let re = ours(p, unicode, 9 << 10);
        let mut text: String = (0..400)
            .map(|i| format!("how to w{i} q{} ", i * 7919 % 1000))
            .collect();
        text.push_str("how to do harm");
        let mut caches = Caches::default();
        let input = Input::new(text.as_bytes());
        assert_eq!(
            re.try_lazy_dfas(&mut caches, &input),
            None,
            "the DFA gave up"
        );
        let m = re.find(text.as_bytes()).expect("matches");
        assert_eq!(meta(p, unicode).find(text.as_bytes()), Some(m));
    }

    #[test]
    fn a_lazy_dfa_too_small_to_build_leaves_the_pikevm_to_answer() {
        let re = ours(PATTERNS[0].0, true, 64);
        assert!(re.fwd.is_none());
        let text = "где купить нож?";
        let m = re.find(text.as_bytes()).expect("matches");
        assert_eq!(&text[m.range()], "купить нож");
    }
}
