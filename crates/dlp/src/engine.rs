//! Detection without reading the text once per pattern. Each pattern
//! has a trigger, something every match contains, chosen at load as the
//! cheapest by a rough estimate of how often it occurs in prose and code
//! (`shape`):
//! - a literal (`sk-`, `AKIA`, `@`, `password`), from any element of the
//!   pattern or every branch of an alternation, found in one
//!   Aho-Corasick pass for all patterns (stepped over four stretches of
//!   the text at once: `streams`);
//! - a separator of hex groups (`:` of IPv6, `.` and `-` of a CPF),
//!   found from byte masks (`bytemask`) and counted only next to a run
//!   of hex digits, which most `.`, `:` and `-` of code and prose are
//!   not;
//! - context words, for types that need them anyway;
//! - a dense run of digits, for number formats: five or more ASCII
//!   digits within 24 bytes, which the pattern itself guarantees or, for
//!   patterns without a better trigger, all its examples have;
//! - a class right before a digit (`[A-Z]\d`), seen on the same pass;
//! - the start of a digit run followed by a given byte (a street
//!   address's house number and space), for patterns with nothing else;
//! - none: the few left run as one regex over the text.
//!
//! Where the trigger fixes where a match starts, to within a few bytes,
//! the pattern is tried anchored there, on a small full DFA (of a
//! leading part of the pattern when the whole is large), and most tries
//! end within their first bytes. Otherwise it runs only over small
//! windows around its triggers (a literal hit first passes a gate: what
//! the pattern needs right after the literal), as far as its longest
//! match reaches from there (a literal's place in the pattern bounds
//! each side), widened to token boundaries so its own edge guards still
//! work.
//! Patterns that share a trigger (the number formats of the digit
//! hotspots, those of one separator or keyword list) share their
//! windows, and a set over them says which to run in each (after one
//! leftmost regex of them has said that any matches there at all).
//! Validators and context words confirm and score the candidates (the
//! places of context words that are also triggers come from the trigger
//! pass, the others from a second automaton stepped only within reach of
//! a candidate), and overlaps resolve to the strongest.
//!
//! Windows of patterns whose matches need digits (a dense run of them,
//! or a few) are kept only where the digit walk saw enough
//! (`Engine::digit_windows_only`): context words such as `call` are
//! everywhere, numbers beside them are not.
//!
//! Where the instructions go (callgrind, a warm pass over 4 MiB of the
//! benchmark's mixed text, session 33): the trigger automaton over every
//! byte a quarter and its hits a tenth; the block walk (digit runs,
//! separators, their tries) a quarter; the windowed regexes and the
//! capture groups of their matches a sixth; the sets and confirmation
//! most of the rest (`docs/dlp.md`).
//!
//! Why not a `RegexSet`: on large texts one match anywhere sends every
//! matching pattern over the whole text again, and hundreds of number
//! patterns in one lazy DFA thrash its cache (measured: 23 MB/s with 42
//! types); a fully built DFA of the number patterns does not fit in
//! 256 MiB.

use crate::catalog::{Catalog, CatalogError, DataType, Grade};
use crate::shape;
use regex_automata::meta::Regex;
use serde::Serialize;

mod build;
mod digits;
mod hex;
mod matching;
mod saved;
#[cfg(test)]
mod tests;
mod tries;
mod windows;

use build::*;
use digits::*;
use hex::*;
use matching::*;
use tries::*;

/// How far (bytes) around a match context words count.
const CONTEXT_WINDOW: usize = 64;
/// Longest context word considered, in bytes (longer ones are dropped at
/// load), so a hit's start bounds its end.
const MAX_CONTEXT_WORD: usize = 96;

/// One thing found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entity {
    /// The data type id.
    #[serde(rename = "type")]
    pub type_id: String,
    /// Byte offset of the value (UTF-8).
    pub start: usize,
    /// Byte offset one past the value.
    pub end: usize,
    /// Confidence 0..1.
    pub score: f32,
    /// A checksum or format validator confirmed it.
    pub validated: bool,
    /// Sensitivity grade.
    pub grade: Grade,
    /// The type's category.
    pub category: String,
    /// A context word was near.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub context: bool,
}

/// What makes a pattern worth running at a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Literal,
    Context,
    Digits,
    /// A byte of a class right before a digit (`[A-Z]\d` of an Indian
    /// PAN), found while looking for the digit hotspots.
    Pair,
    /// The start of a digit run after a non-word byte, when its length
    /// and the byte after it allow a match (`runs::RunTable`), found on
    /// the same pass.
    RunStart,
    Always,
}

struct Pattern {
    ty: usize,
    re: Regex,
    /// The source as compiled (with its mode prefix).
    src: String,
    group: usize,
    trigger: Trigger,
    /// How far from a trigger a match may reach, in bytes.
    reach: usize,
    /// The same before a trigger's start and after its end (a literal's
    /// place in the pattern bounds them apart).
    before: usize,
    after: usize,
    /// A literal hit counts only next to a run of hex digits
    /// (`shape::hex_separated`).
    hex_gate: bool,
    /// The same with a run of decimal digits (`shape::digit_separated`).
    digit_gate: bool,
    /// Where a match can start before its trigger, in bytes (least,
    /// most), when that is known and narrow: the pattern is then tried
    /// anchored at those few places instead of searched through a window
    /// around the trigger (see `Engine::try_anchored`).
    anchor: Option<(usize, usize)>,
    /// The pattern as a full DFA that only matches from where it starts,
    /// for those tries: a try that fails in a few bytes (most do) then
    /// costs a few nanoseconds, where the meta regex spends about fifty
    /// choosing an engine and a cache. `None` when it would be large.
    /// Built at the first try: a catalogue load building all of them
    /// took a quarter longer, mostly zeroing fresh pages, and a scan
    /// tries few of them.
    anchored_dfa: std::sync::OnceLock<Option<AnchoredDfa>>,
    /// The run of consecutive digits every match holds
    /// (`shape::min_digit_run`).
    digit_run: usize,
    /// Every match holds `DIGIT_RUN` digits within `DIGIT_SPAN` bytes, so
    /// a window of it that meets no digit hotspot holds none
    /// (`Engine::digit_windows_only`). False without the shortcuts.
    needs_hotspot: bool,
    /// The fewest ASCII digits a match holds or its type accepts
    /// (`DataType::digits`): a window with fewer yields nothing. 0
    /// without the shortcuts.
    min_digits: usize,
    /// Its longest match, when bounded.
    max_len: Option<usize>,
    /// Its trigger literals as spelt in a match, when the pattern has no
    /// case flag: the trigger automaton folds case, and a hit in another
    /// case (`sk` of `task` for `SK…`, `Pat` of `Pattern` for `pat…`) is
    /// dropped before any window or try.
    exact: Option<Vec<Vec<u8>>>,
    /// Its trigger literals (lower-cased) when it runs in windows around
    /// them: for its gate.
    words: Vec<String>,
    /// What must follow a trigger literal for a match to hold it
    /// (`shape::after_literal`), as an anchored DFA, built at its first
    /// hit; `None` when there is none.
    gate: std::sync::OnceLock<Option<(regex_automata::dfa::dense::DFA<Vec<u32>>, FirstBytes)>>,
}

/// The largest anchored DFA built for a pattern, in bytes. Long counted
/// repetitions (`ya29\.[…]{29,2000}`) would take up to a megabyte each,
/// 6.9 MB for the catalogue; at 16 KiB the few left out keep the regex
/// and a scan is as fast (`scan_loop`, within noise).
const ANCHORED_DFA_LIMIT: usize = 1 << 14;
/// The largest DFA of a leading part of a pattern, for one whose whole
/// DFA is larger. Built only for the patterns a scan tries, whose tries
/// without one each cost a regex search (about 50 ns): the US street
/// address (81 KB), Chinese names and addresses (72 and 118 KB), the
/// Kubernetes secrets' `name:` (35 to 61 KB).
const PART_DFA_LIMIT: usize = 1 << 18;

/// An anchored-only full DFA for a pattern's tries.
struct AnchoredDfa {
    dfa: regex_automata::dfa::dense::DFA<Vec<u32>>,
    /// The bytes its tries can start with (`dies`).
    first: FirstBytes,
    /// It is the whole pattern, not a leading part of it: its match is
    /// the pattern's.
    whole: bool,
}

/// The widest spread of start places always tried anchored per trigger.
const ANCHOR_SPREAD: usize = 4;
/// The widest tried anchored where a window would cost more
/// (`TRY_BYTES`).
const ANCHOR_SPREAD_WIDE: usize = 16;
/// What a try costs, in bytes of a window searched: a try the DFA
/// rejects steps a byte or two (`dies`, about 3 ns), a window costs its
/// bytes (about 1.5 ns each) plus a search's set-up. At 2, IPv4 addresses
/// (14 places around a dot, 41-byte windows) are tried: their windows
/// were the costliest of a scan (2.4 ms per 16 MiB).
const TRY_BYTES: usize = 2;
/// Trigger words up to this long are checked for their case
/// (`Pattern::exact`).
const EXACT_WORD: usize = 4;
/// The largest DFA for tries at more than `ANCHOR_SPREAD` places.
const WIDE_DFA_LIMIT: usize = 1 << 15;

/// Digits that make a number-format trigger, within `DIGIT_SPAN` bytes.
const DIGIT_RUN: usize = 5;
const DIGIT_SPAN: usize = 24;
/// What a number pattern adds to the shared digit pass, in the units of
/// `shape::literal_cost`, plus half its reach: the hotspots are common,
/// but one set scans them for all such patterns at once.
const DIGITS_COST: u32 = 25;
/// The same for a class-and-digit pair, found on the same pass; rarer
/// than a short word, commoner than a long one.
const PAIR_COST: u32 = 100;
/// A trigger costlier than this fires about every other token: better
/// the digit hotspots, when the type's examples allow, or one pass of
/// the untriggered patterns over the text.
const WEAK_TRIGGER: u32 = 600;
/// How much rarer a separator is next to a run of hex digits.
const HEX_GATE_GAIN: u32 = 20;
/// Bytes added to a pattern's reach beyond its longest match.
const REACH_SLACK: usize = 8;

/// First bytes of the separator triggers found without the automaton.
const SEPARATORS: [u8; 3] = [b'.', b':', b'-'];

/// Patterns with the same literal trigger, searched together.
struct LiteralGroup {
    patterns: Vec<usize>,
    set: regex::bytes::RegexSet,
    /// The same patterns as one leftmost regex, asked first whether any
    /// of them matches a window (`DigitGroup::any`): four windows in five
    /// of the generic secrets' group hold none. `None` without the
    /// shortcuts.
    any: Option<regex_automata::meta::Regex>,
    /// The widest reach among them, each side.
    before: usize,
    after: usize,
    hex_gate: bool,
    digit_gate: bool,
}

/// Patterns sharing literals are grouped from this many on.
const GROUP_MIN: usize = 3;

/// Number patterns searched together over the digit hotspots.
struct DigitGroup {
    patterns: Vec<usize>,
    set: regex::bytes::RegexSet,
    /// The same patterns as one leftmost regex, asked first whether any
    /// of them matches a window at all: the set's overlapping search
    /// steps its lazy DFA a byte at a time with every check (about 4,000
    /// instructions a window, under callgrind), the leftmost one runs its
    /// fast loop, and seven windows in eight hold no match at all.
    /// `None` without the shortcuts.
    any: Option<regex_automata::meta::Regex>,
    /// The widest reach among them.
    reach: usize,
    /// Every match of each holds at least this many consecutive digits
    /// (`shape::min_digit_run`), when that is `DIGIT_RUN` or more: only
    /// the stretches with such a run are searched (a passport's
    /// machine-readable zone needs seven, where most stretches of digits
    /// are dates and amounts). 0 otherwise.
    min_run: usize,
}

/// Number patterns whose reach falls between the same two of these share
/// one set.
const DIGIT_REACH_BUCKETS: [usize; 4] = [0, 64, 128, usize::MAX];

/// A compiled catalogue.
pub struct Engine {
    catalog: Catalog,
    patterns: Vec<Pattern>,
    /// Trigger words (literals, and context words of context-only types,
    /// → patterns) in one automaton, with the context words that are
    /// also trigger words (ASCII case aside): their places as context
    /// come from the same pass. The other context words are looked for
    /// only around candidates (`context_words`): stepped over the whole
    /// text they were a third of this automaton's states and gave it
    /// nearly half its hits, mostly short words inside longer ones.
    words: Option<crate::streams::StreamDfa>,
    /// Per automaton word: what it stands for (one record, so a hit
    /// reads one place).
    roles: Vec<WordRole>,
    /// The context words that trigger nothing, in an automaton of their
    /// own stepped only around candidates (`Engine::context_near`).
    context_words: Option<crate::streams::StreamDfa>,
    /// Per word of `context_words`: its context word, and whether it
    /// counts only standing alone.
    context_roles: Vec<(usize, bool)>,
    /// The longest word of `context_words`.
    context_longest: usize,
    trigger_patterns: Vec<Vec<usize>>,
    /// Separators of hex groups (`.`, `:`, `::`, `-`) → the patterns
    /// they trigger, next to a hex run only (`Pattern::hex_gate`).
    separator_words: Vec<String>,
    separator_patterns: Vec<Vec<usize>>,
    /// Literal-triggered patterns that share their literals; trigger
    /// lists name group `g` as `patterns.len() + g`.
    groups: Vec<LiteralGroup>,
    /// Patterns triggered by a byte of a class right before a digit.
    pair_patterns: Vec<(usize, [bool; 256])>,
    /// Patterns tried at the start of a digit run (`Trigger::RunStart`),
    /// by the run's length and next byte.
    runs: crate::runs::RunTable,
    /// Bytes in any pair pattern's class: most digits follow none (they
    /// follow digits), and then no pattern is looked at.
    pair_any: [bool; 256],
    /// The number patterns, in sets that say which occur in a window.
    digit_groups: Vec<DigitGroup>,
    /// Window targets (patterns, and past them groups) whose matches
    /// need digits: their windows are searched only where the digits are
    /// (`Engine::digit_windows_only`). Context words such as `call`,
    /// `office` or `tel` are common in code and prose, and the phone,
    /// postcode and account formats they trigger were searched around
    /// every one, numbers or not.
    digit_needs: Vec<DigitNeed>,
    /// The patterns without a trigger.
    always: Vec<usize>,
    /// They together: where any of them matches.
    always_regex: Option<regex_automata::meta::Regex>,
    /// Per context word: the types it supports.
    context_types: Vec<Vec<usize>>,
    /// Per type: its validator, looked up once.
    checks: Vec<Option<crate::validate::Check>>,
    /// Per type: a country's format rather than a global one (it wins an
    /// exact tie in `resolve_overlaps`).
    specific: Vec<bool>,
    /// Below this score nothing is reported.
    pub min_score: f32,
}

impl Engine {
    /// The built-in catalogue, compiled.
    pub fn builtin() -> Result<Self, CatalogError> {
        Self::new(Catalog::builtin()?)
    }

    /// The built-in credential types alone, compiled once per process and
    /// shared: what an inline guard needs when its policy does nothing
    /// with other sensitive data (a third of the full catalogue's cost).
    pub fn builtin_credentials_shared() -> Result<std::sync::Arc<Self>, String> {
        static SHARED: std::sync::OnceLock<Result<std::sync::Arc<Engine>, String>> =
            std::sync::OnceLock::new();
        SHARED
            .get_or_init(|| {
                Catalog::builtin()
                    .and_then(|c| Self::new(c.filtered(|t| t.category == "credential")))
                    .map(std::sync::Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// The built-in catalogue, compiled once per process and shared:
    /// compiling a thousand patterns takes a good part of a second, and
    /// every guard (one per gateway policy) uses the same catalogue.
    pub fn builtin_shared() -> Result<std::sync::Arc<Self>, String> {
        static SHARED: std::sync::OnceLock<Result<std::sync::Arc<Engine>, String>> =
            std::sync::OnceLock::new();
        SHARED
            .get_or_init(|| {
                Self::builtin()
                    .map(std::sync::Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// Compiles a catalogue; a pattern that does not compile is an error
    /// naming its file and type.
    pub fn new(catalog: Catalog) -> Result<Self, CatalogError> {
        Self::build(catalog, true)
    }

    /// The same engine without the shortcuts that skip windows (anchored
    /// tries, stretches without a long enough run of digits): each
    /// pattern searched through windows around every trigger, as a
    /// reference the shortcuts must agree with. Slower; for tests.
    #[doc(hidden)]
    pub fn without_shortcuts(catalog: Catalog) -> Result<Self, CatalogError> {
        Self::build(catalog, false)
    }

    /// The catalogue.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Finds sensitive data in a text.
    pub fn scan(&self, text: &str) -> Vec<Entity> {
        let hay = text.as_bytes();
        let mut ctx = Vec::new();
        let mut windows = self.windows(hay, &mut ctx);
        let mut cands: Vec<(usize, usize, usize)> = Vec::new(); // (type, start, end)
        for (pi, ws) in &windows.lists {
            self.run_pattern(hay, *pi, ws, &mut cands);
        }
        self.take_anchored(hay, &mut windows.anchored, &mut cands);
        if cands.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(Entity, bool)> = Vec::new();
        cands.sort_unstable();
        cands.dedup();
        self.context_near(hay, &cands, &mut ctx);
        for (ti, s, e) in cands {
            let (Some(t), Some(value)) = (self.catalog.types().get(ti), text.get(s..e)) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            if let Some(ent) = self.confirm(hay, ti, t, value, (s, e), &ctx) {
                found.push((ent, self.specific.get(ti).copied().unwrap_or(false)));
            }
        }
        resolve_overlaps(found)
    }
}

/// What a word of the trigger automaton stands for.
#[derive(Clone, Copy)]
struct WordRole {
    /// Its trigger word, or `NONE`.
    trigger: u32,
    /// Its context word, or `NONE`.
    context: u32,
    /// The trigger counts only standing alone (an ASCII word is not
    /// triggered inside a longer word: `pan` in `Japan`).
    trigger_whole: bool,
    /// The context word likewise.
    context_whole: bool,
}

/// No word of the automaton's lists.
const NONE: u32 = u32::MAX;

/// An automaton word's index as stored (catalogues hold thousands).
fn as_id(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE)
}

/// A byte that ends a token: the window edges move to one, so that edge
/// guards such as `(?:^|[^0-9])` see a real boundary, not a cut token.
fn is_boundary(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\''
                | b'`'
                | b'<'
                | b'>'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b','
                | b';'
        )
}

/// No ASCII letter or digit right before `s` or at `e`.
fn stands_alone(hay: &[u8], s: usize, e: usize) -> bool {
    let before = s
        .checked_sub(1)
        .and_then(|i| hay.get(i))
        .is_some_and(u8::is_ascii_alphanumeric);
    let after = hay.get(e).is_some_and(u8::is_ascii_alphanumeric);
    !before && !after
}
