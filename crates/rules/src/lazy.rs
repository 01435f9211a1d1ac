//! Rule regexes built when they are first needed.
//!
//! Building the meta regex of every pattern was a third of `palisade
//! guard`'s start-up (4.3 of 11.7 billion instructions for the built-in
//! packs), for a one-shot check whose text makes a few dozen patterns
//! candidates. The built-in packs are compiled whole, and checked, by the
//! crate's tests ([`crate::RuleSet::compile_all`]); packs read from files
//! are compiled and checked at load as before.

use crate::engine::RuleRegex;
#[cfg(test)]
use regex_automata::meta::Regex;
use regex_automata::util::prefilter::Prefilter;
use regex_automata::util::syntax;
use regex_automata::MatchKind;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use std::sync::{Arc, OnceLock};

/// A pattern's regex, built at load or on first use; clones share it.
#[derive(Debug, Clone)]
pub(crate) struct LazyRegex(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    src: Arc<str>,
    unicode: bool,
    case_sensitive: bool,
    built: OnceLock<Result<RuleRegex, String>>,
}

impl LazyRegex {
    /// A regex already built.
    pub(crate) fn ready(re: RuleRegex) -> Self {
        let built = OnceLock::new();
        let _ = built.set(Ok(re));
        Self(Arc::new(Inner {
            src: Arc::from(""),
            unicode: false,
            case_sensitive: false,
            built,
        }))
    }

    /// A regex to build from `src` when first asked for.
    pub(crate) fn deferred(src: &str, unicode: bool, case_sensitive: bool) -> Self {
        Self(Arc::new(Inner {
            src: Arc::from(src),
            unicode,
            case_sensitive,
            built: OnceLock::new(),
        }))
    }

    /// The regex, built now if it was not yet, or why it does not build.
    pub(crate) fn build(&self) -> Result<&RuleRegex, &str> {
        let i = &self.0;
        i.built
            .get_or_init(|| build_shared(i.src.clone(), i.unicode, i.case_sensitive))
            .as_ref()
            .map_err(String::as_str)
    }

    /// The regex, or `None` when it does not build. Only a deferred
    /// regex of a pack that skipped its load checks can fail here, and
    /// the built-in packs' tests build every one; a pattern that fails
    /// matches nothing.
    pub(crate) fn get(&self) -> Option<&RuleRegex> {
        self.build().ok()
    }
}

/// Builds every regex of `all` not built yet, on every core: a server's
/// start builds a thousand, billions of instructions, each independent of
/// the others.
pub(crate) fn build_all(all: &[&LazyRegex]) {
    crate::prefilter::on_every_core(all, 1, |res| {
        for re in res {
            let _ = re.build();
        }
        Vec::<()>::new()
    });
}

/// Builds one pattern as rule patterns are built: over bytes (a match may
/// split a character), Unicode or not, caseless unless `case_sensitive`,
/// by the engine of [`crate::engine`].
///
/// The regex's prefilter is chosen here, from the pattern's prefixes
/// alone, as the meta regex would choose it. The meta regex, left to
/// itself, ran a pattern with no fast prefix but a literal suffix (an
/// `unless` list of words that end at `\b`) as a reverse-suffix search,
/// and when that search saw it could go quadratic (a suffix that recurs
/// through a repeated text) it fell back to the PikeVM over the whole
/// text: a 2 KB question repeated, checked warm, spent 0.7 ms in the
/// rules, 84 µs without it. The engine here has no such strategy.
pub(crate) fn build(
    pattern: &str,
    unicode: bool,
    case_sensitive: bool,
) -> Result<RuleRegex, String> {
    build_shared(Arc::from(pattern), unicode, case_sensitive)
}

/// [`build`] of a pattern whose text the regex shares.
fn build_shared(
    pattern: Arc<str>,
    unicode: bool,
    case_sensitive: bool,
) -> Result<RuleRegex, String> {
    let hir = parse(&pattern, unicode, case_sensitive)?;
    let prefilter = prefix_prefilter(&hir);
    RuleRegex::new(pattern, config(unicode, case_sensitive), &hir, prefilter)
}

/// The meta regex rule patterns were built as before [`crate::engine`]:
/// the tests' reference.
#[cfg(test)]
pub(crate) fn build_meta(
    pattern: &str,
    unicode: bool,
    case_sensitive: bool,
) -> Result<Regex, String> {
    let hir = parse(pattern, unicode, case_sensitive)?;
    Regex::builder()
        .syntax(config(unicode, case_sensitive))
        .configure(
            Regex::config()
                .utf8_empty(false)
                .auto_prefilter(false)
                .prefilter(prefix_prefilter(&hir))
                .nfa_size_limit(Some(8 << 20))
                .hybrid_cache_capacity(8 << 20),
        )
        .build_from_hir(&hir)
        .map_err(|e| e.to_string())
}

/// The prefilter of `hir`'s leftmost-first prefixes, as the meta regex
/// builds one when it chooses for itself, or `None` when they are too
/// many or too short to pay.
pub(crate) fn prefix_prefilter(hir: &regex_syntax::hir::Hir) -> Option<Prefilter> {
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix);
    let mut prefixes = extractor.extract(hir);
    prefixes.optimize_for_prefix_by_preference();
    Prefilter::new(MatchKind::LeftmostFirst, prefixes.literals()?)
}

/// `pattern` parsed as [`build`] would parse it: the check that decides
/// between a pattern's ASCII and Unicode forms without building either.
pub(crate) fn parse(
    pattern: &str,
    unicode: bool,
    case_sensitive: bool,
) -> Result<regex_syntax::hir::Hir, String> {
    let c = config(unicode, case_sensitive);
    regex_syntax::ParserBuilder::new()
        .unicode(c.get_unicode())
        .utf8(c.get_utf8())
        .case_insensitive(c.get_case_insensitive())
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())
}

fn config(unicode: bool, case_sensitive: bool) -> syntax::Config {
    syntax::Config::new()
        .unicode(unicode)
        .utf8(false)
        .case_insensitive(!case_sensitive)
}

#[cfg(test)]
impl LazyRegex {
    /// The meta regex this pattern was built as before [`crate::engine`],
    /// for a deferred regex.
    pub(crate) fn meta(&self) -> Option<Regex> {
        let i = &self.0;
        (!i.src.is_empty()).then(|| build_meta(&i.src, i.unicode, i.case_sensitive).ok())?
    }

    /// Whether this pattern's lazy DFA can be built in `capacity` bytes
    /// of cache. The meta regex gives no sign when it cannot: it runs the
    /// PikeVM instead, an order of magnitude slower, on every search.
    pub(crate) fn fits_lazy_dfa(&self, capacity: usize) -> Result<(), String> {
        use regex_automata::{hybrid, nfa::thompson};
        let i = &self.0;
        if i.src.is_empty() {
            return Ok(());
        }
        hybrid::regex::Regex::builder()
            .syntax(config(i.unicode, i.case_sensitive))
            .thompson(thompson::Config::new().utf8(false))
            .dfa(hybrid::dfa::Config::new().cache_capacity(capacity))
            .build(&i.src)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The regex as the meta regex builds it when it chooses its own
    /// prefilter and strategy.
    fn default_build(pattern: &str) -> Regex {
        Regex::builder()
            .syntax(config(false, false))
            .configure(Regex::config().utf8_empty(false))
            .build(pattern)
            .expect("pattern builds")
    }

    /// Patterns of the shapes that matter: a literal prefix, a literal
    /// suffix only (the reverse-suffix case), an inner literal, none.
    const PATTERNS: &[&str] = &[
        r"(?-u:\b)(?:how|what)\s+(?:to|do\s+i)\s+\w+",
        r"(?-u:\b)(?:\w*tect\w*|prevent\w*|avoid\w*|feelings|history)(?-u:\b)",
        r"[a-z]+\s+harm\s+[a-z]+",
        r"[0-9]{2,}[a-z]",
    ];

    #[test]
    fn a_literal_prefix_gets_a_prefilter_and_a_suffix_alone_does_not() {
        let hir = |p: &str| parse(p, false, false).expect("parses");
        assert!(prefix_prefilter(&hir(PATTERNS[0])).is_some());
        assert!(prefix_prefilter(&hir(PATTERNS[1])).is_none());
    }

    #[test]
    fn a_repeated_question_matches_as_the_default_regex_does() {
        let text = "How can I cause harm to my neighbor, Jamal? ".repeat(48);
        for p in PATTERNS {
            let (ours, theirs) = (build(p, false, false).expect("builds"), default_build(p));
            assert_eq!(
                ours.find(text.as_bytes()),
                theirs.find(text.as_bytes()),
                "{p}"
            );
            assert_eq!(
                ours.is_match(text.as_bytes()),
                theirs.is_match(text.as_bytes()),
                "{p}"
            );
        }
    }

    proptest! {
        #[test]
        fn matches_equal_the_default_regex(t in "[a-zA-Z0-9 ?,.\n]{0,300}|(?:how to avoid harm |history |12x )*") {
            for p in PATTERNS {
                let (ours, theirs) = (build(p, false, false).expect("builds"), default_build(p));
                prop_assert_eq!(ours.find(t.as_bytes()), theirs.find(t.as_bytes()));
                prop_assert_eq!(ours.is_match(t.as_bytes()), theirs.is_match(t.as_bytes()));
            }
        }
    }
}
