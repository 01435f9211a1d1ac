//! Rule regexes built when they are first needed.
//!
//! Building the meta regex of every pattern was a third of `palisade
//! guard`'s start-up (4.3 of 11.7 billion instructions for the built-in
//! packs), for a one-shot check whose text makes a few dozen patterns
//! candidates. The built-in packs are compiled whole, and checked, by the
//! crate's tests ([`crate::RuleSet::compile_all`]); packs read from files
//! are compiled and checked at load as before.

use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use std::sync::{Arc, OnceLock};

/// A pattern's regex, built at load or on first use; clones share it.
#[derive(Debug, Clone)]
pub(crate) struct LazyRegex(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    src: String,
    unicode: bool,
    case_sensitive: bool,
    built: OnceLock<Result<Regex, String>>,
}

impl LazyRegex {
    /// A regex already built.
    pub(crate) fn ready(re: Regex) -> Self {
        let built = OnceLock::new();
        let _ = built.set(Ok(re));
        Self(Arc::new(Inner {
            src: String::new(),
            unicode: false,
            case_sensitive: false,
            built,
        }))
    }

    /// A regex to build from `src` when first asked for.
    pub(crate) fn deferred(src: &str, unicode: bool, case_sensitive: bool) -> Self {
        Self(Arc::new(Inner {
            src: src.to_string(),
            unicode,
            case_sensitive,
            built: OnceLock::new(),
        }))
    }

    /// The regex, built now if it was not yet, or why it does not build.
    pub(crate) fn build(&self) -> Result<&Regex, &str> {
        let i = &self.0;
        i.built
            .get_or_init(|| build(&i.src, i.unicode, i.case_sensitive))
            .as_ref()
            .map_err(String::as_str)
    }

    /// The regex, or `None` when it does not build. Only a deferred
    /// regex of a pack that skipped its load checks can fail here, and
    /// the built-in packs' tests build every one; a pattern that fails
    /// matches nothing.
    pub(crate) fn get(&self) -> Option<&Regex> {
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
/// split a character), Unicode or not, caseless unless `case_sensitive`.
pub(crate) fn build(pattern: &str, unicode: bool, case_sensitive: bool) -> Result<Regex, String> {
    Regex::builder()
        .syntax(config(unicode, case_sensitive))
        .configure(
            Regex::config()
                .utf8_empty(false)
                .nfa_size_limit(Some(8 << 20))
                .hybrid_cache_capacity(8 << 20),
        )
        .build(pattern)
        // The build error's own text is "error parsing pattern 0"; the
        // syntax error under it says what and where.
        .map_err(|e| match e.syntax_error() {
            Some(syntax) => syntax.to_string(),
            None => e.to_string(),
        })
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
