//! The built-in packs' pattern forms, worked out ahead and shipped as data
//! (`data/builtin_forms.json`, a [`crate::pattern_file`]).
//!
//! Why: a pattern's form (its word boundaries made ASCII, ASCII or Unicode
//! mode, the bound on its matches' length) is read off the parsed pattern,
//! and parsing every built-in pattern and side list took about 0.35 s of
//! a one-shot `palisade guard` (80 % of loading the packs), which then
//! builds the few regexes its text reaches. A form depends only on the
//! pattern's source, its case flag and this crate's code, so the built-in
//! packs' forms are the same on every start. A pattern not in the file (a
//! changed rule) is worked out at load as before; packs read from files
//! are checked in full and never read the file. A test works out every
//! built-in form afresh and fails when the file differs, with the command
//! that rewrites it (`builtin_form_file_is_fresh`).

use crate::lazy::{self, LazyRegex};
use crate::reach::Reach;
use crate::{ascii_mode, boundary, pattern_file, Mode};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

const FILE: &str = include_str!("../data/builtin_forms.json");

/// Bumped when the saved form changes.
const FORMAT: u32 = 1;

/// How one pattern of a pack is compiled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Form {
    /// Compiled case-sensitively: the same source may be compiled both
    /// ways, and its form read one way does not stand for the other.
    #[serde(rename = "cs")]
    case_sensitive: bool,
    /// Byte spans of the word-boundary assertions, each made ASCII
    /// ([`boundary::wrap_boundaries`]).
    #[serde(rename = "b", default, skip_serializing_if = "Vec::is_empty")]
    boundaries: Vec<(usize, usize)>,
    /// The ASCII-mode rewrite that is built, when there is one
    /// ([`ascii_mode::ascii_variant`]).
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    ascii: Option<String>,
    /// Built with Unicode semantics.
    #[serde(rename = "u")]
    unicode: bool,
    /// The bound on a match's length, when there is one.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    reach: Option<Reach>,
}

impl Form {
    /// Works out the form of `pattern`, or says why it does not parse.
    /// The rule packs' word boundaries are ASCII; a pattern holding only
    /// ASCII and typographic quotes is built in ASCII mode when its
    /// rewrite parses; any other non-ASCII character keeps Unicode mode.
    pub(crate) fn of(pattern: &str, case_sensitive: bool) -> Result<Self, String> {
        let boundaries = boundary::boundary_spans(pattern);
        let compiled = boundary::wrap_boundaries(pattern, &boundaries);
        let form = |ascii: Option<String>, unicode, hir: &regex_syntax::hir::Hir| Self {
            case_sensitive,
            boundaries: boundaries.clone(),
            ascii,
            unicode,
            reach: Reach::of_hir(hir),
        };
        if let Some(ascii) = ascii_mode::ascii_variant(&compiled) {
            if let Ok(hir) = lazy::parse(&ascii, false, case_sensitive) {
                return Ok(form(Some(ascii), false, &hir));
            }
        }
        let unicode = !compiled.is_ascii();
        let hir = lazy::parse(&compiled, unicode, case_sensitive)?;
        Ok(form(None, unicode, &hir))
    }

    /// The shipped form of `pattern` compiled with `case_sensitive`, or
    /// the one worked out now.
    pub(crate) fn builtin_or_of(pattern: &str, case_sensitive: bool) -> Result<Self, String> {
        match builtin()
            .get(pattern)
            .and_then(Option::as_ref)
            .filter(|f| f.case_sensitive == case_sensitive)
        {
            Some(f) => Ok(f.clone()),
            None => Self::of(pattern, case_sensitive),
        }
    }

    /// The compiled source (boundaries made ASCII), the regex to build on
    /// first use, and how it is built.
    pub(crate) fn into_parts(self, pattern: &str) -> (String, LazyRegex, Mode) {
        let compiled = boundary::wrap_boundaries(pattern, &self.boundaries);
        let src = self.ascii.unwrap_or_else(|| compiled.clone());
        let re = LazyRegex::deferred(&src, self.unicode, self.case_sensitive);
        let mode = Mode {
            src,
            unicode: self.unicode,
            reach: self.reach,
        };
        (compiled, re, mode)
    }
}

/// The forms of a file's text by pattern source.
pub(crate) fn parse(text: &str) -> Result<HashMap<String, Option<Form>>, String> {
    pattern_file::parse(text, FORMAT)
}

/// The shipped forms by pattern source, read once. A file that does not
/// parse (only a broken build can ship one: the freshness test reads it)
/// counts as empty, so every form is worked out at load: slower, never
/// wrong.
fn builtin() -> &'static HashMap<String, Option<Form>> {
    static FORMS: OnceLock<HashMap<String, Option<Form>>> = OnceLock::new();
    FORMS.get_or_init(|| parse(FILE).unwrap_or_default())
}

/// The file of the forms of `patterns` (source, case flag), as the
/// freshness test writes it; the first form of a source only.
#[cfg(test)]
pub(crate) fn file_of(patterns: &[(String, bool)]) -> Result<String, String> {
    let forms = patterns
        .iter()
        .map(|(p, cs)| Form::of(p, *cs).map(|f| (p.as_str(), Some(f))))
        .collect::<Result<Vec<_>, _>>()?;
    pattern_file::render(FORMAT, forms)
}

/// The embedded file's text (for the freshness test).
#[cfg(test)]
pub(crate) fn embedded() -> &'static str {
    FILE
}
