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

/// `src` as an anchored-only full DFA when it fits `ANCHORED_DFA_LIMIT`
/// (and `limit`); else the longest leading part of its top-level
/// concatenation that fits `limit`, ending before its first long counted
/// repetition (`[…]{15,255}` of a secret's value), whose every count is a
/// state. A part rejects every place the whole does, so a try it rejects
/// is done; one it accepts goes on to the regex.
fn anchored_dfa_of(src: &str, limit: usize) -> Option<AnchoredDfa> {
    let whole = ANCHORED_DFA_LIMIT.min(limit);
    if let Some(dfa) = dense_anchored(whole, |b| b.build(src).ok()) {
        let first = FirstBytes::of(&dfa);
        return Some(AnchoredDfa {
            dfa,
            first,
            whole: true,
        });
    }
    let hir = shape::parse(src)?;
    let regex_syntax::hir::HirKind::Concat(items) =
        palisade_rules::prefilter::unwrap_captures(&hir).kind()
    else {
        return None;
    };
    // A part up to the first long repetition, then shorter ones: past it
    // the DFA is what overflowed.
    let short = items
        .iter()
        .position(shape::wide_repetition)
        .unwrap_or(items.len());
    (1..=short.min(items.len().saturating_sub(1)))
        .rev()
        .find_map(|k| {
            let part = regex_syntax::hir::Hir::concat(items.get(..k)?.to_vec());
            let nfa = regex_automata::nfa::thompson::Compiler::new()
                .configure(regex_automata::nfa::thompson::Config::new().utf8(false))
                .build_from_hir(&part)
                .ok()?;
            let dfa = dense_anchored(limit, |b| b.build_from_nfa(&nfa).ok())?;
            let first = FirstBytes::of(&dfa);
            Some(AnchoredDfa {
                dfa,
                first,
                whole: false,
            })
        })
}

/// A dense anchored-only DFA within `limit` bytes, built by `build` from
/// the configured builder.
fn dense_anchored(
    limit: usize,
    build: impl FnOnce(
        &regex_automata::dfa::dense::Builder,
    ) -> Option<regex_automata::dfa::dense::DFA<Vec<u32>>>,
) -> Option<regex_automata::dfa::dense::DFA<Vec<u32>>> {
    use regex_automata::dfa::{dense, StartKind};
    let mut builder = dense::Builder::new();
    builder
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .thompson(regex_automata::nfa::thompson::Config::new().utf8(false))
        .configure(
            dense::Config::new()
                .start_kind(StartKind::Anchored)
                .dfa_size_limit(Some(limit))
                .determinize_size_limit(Some(2 * limit)),
        );
    build(&builder)
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

/// `srcs` as one leftmost regex, for asking whether any of them matches
/// (`DigitGroup::any`); `None` when they do not compile together.
fn any_regex(srcs: &[&str]) -> Option<regex_automata::meta::Regex> {
    regex_automata::meta::Regex::builder()
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .configure(
            regex_automata::meta::Config::new()
                .utf8_empty(false)
                .hybrid_cache_capacity(1 << 22),
        )
        .build_many(srcs)
        .ok()
}

/// The patterns without a trigger as one regex: a single leftmost pass
/// (the lazy DFA's fast loop) finds their matches; a match of one may
/// hide an overlapping match of another, so every such pattern then runs
/// around every match. `None` when they do not compile together (then
/// they run over the whole text).
fn untriggered_regex(srcs: &[&str]) -> Option<regex_automata::meta::Regex> {
    if srcs.is_empty() {
        return None;
    }
    regex_automata::meta::Regex::builder()
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .configure(regex_automata::meta::Regex::config().utf8_empty(false))
        .build_many(srcs)
        .ok()
}

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

/// The automaton of `words`, none for no words; an error names `what`.
fn automaton_of(
    words: &[String],
    what: &str,
) -> Result<Option<crate::streams::StreamDfa>, CatalogError> {
    if words.is_empty() {
        return Ok(None);
    }
    crate::streams::StreamDfa::new(words)
        .map(Some)
        .map_err(|e| CatalogError::Invalid {
            file: "catalogue".into(),
            id: "*".into(),
            message: format!("{what}: {e}"),
        })
}

/// The parts of a pattern's plan that depend on the pattern alone, and
/// cost most of a catalogue's load (its regex, its literal sets): made
/// for every pattern first, on every core.
struct Prepared {
    /// The regex and the source it was built from ([`compile`]).
    built: Result<(Regex, String), String>,
    /// That source parsed.
    compiled: Option<regex_syntax::hir::Hir>,
    /// The pattern without its case flag, parsed (the trigger automaton
    /// folds ASCII case itself): where its literals come from.
    lit_hir: Option<regex_syntax::hir::Hir>,
    /// Its best literal set.
    lits: Option<shape::Literals>,
}

impl Prepared {
    fn of(p: &str) -> Self {
        let built = compile(p);
        let compiled = built.as_ref().ok().and_then(|(_, src)| shape::parse(src));
        // Case-insensitive patterns yield no finite literal set (every
        // letter doubles it); the trigger automaton folds ASCII case
        // itself, so their literals are taken from the pattern without
        // the flag.
        let lit_hir = shape::parse(strip_case_flag(p));
        let lits = lit_hir.as_ref().and_then(shape::best_literals);
        Self {
            built,
            compiled,
            lit_hir,
            lits,
        }
    }

    /// [`Prepared::of`] every pattern of every type, in catalogue order,
    /// on every core.
    fn all(catalog: &Catalog) -> Vec<Self> {
        let patterns: Vec<&str> = catalog
            .types()
            .iter()
            .flat_map(|t| t.patterns.iter().map(String::as_str))
            .collect();
        palisade_rules::prefilter::on_every_core(&patterns, 64, |ps| {
            palisade_rules::prefilter::with_literal_memo(|| ps.map(|p| Self::of(p)).collect())
        })
    }
}

/// Compiles in ASCII mode when the pattern allows it (faster, and `\b`
/// and `\d` then mean what identifier formats need), else with Unicode.
/// No one-pass DFA: it made a fifth of the compiled catalogue's memory,
/// and values inside matches (`value_group`) come as fast from the
/// bounded backtracker over the short span the lazy DFA found.
fn compile(src: &str) -> Result<(Regex, String), String> {
    let build = |pattern: &str| {
        Regex::builder()
            .syntax(regex_automata::util::syntax::Config::new().utf8(false))
            .configure(
                Regex::config()
                    .utf8_empty(false)
                    .onepass(false)
                    .nfa_size_limit(Some(1 << 24)),
            )
            .build(pattern)
            .map_err(|e| e.to_string())
    };
    let ascii = format!("(?-u){src}");
    if let Ok(r) = build(&ascii) {
        return Ok((r, ascii));
    }
    build(src).map(|r| (r, src.to_string()))
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

    fn build(catalog: Catalog, shortcuts: bool) -> Result<Self, CatalogError> {
        let prepared = Prepared::all(&catalog);
        // Many types share sub-expressions (separators, digit groups,
        // context alternations), each of whose literal sets is extracted
        // several ways while patterns are planned.
        palisade_rules::prefilter::with_literal_memo(|| {
            Self::build_now(catalog, prepared, shortcuts)
        })
    }

    fn build_now(
        catalog: Catalog,
        prepared: Vec<Prepared>,
        shortcuts: bool,
    ) -> Result<Self, CatalogError> {
        let mut prepared = prepared.into_iter();
        let mut patterns = Vec::new();
        let mut trigger_words: Vec<String> = Vec::new();
        let mut trigger_patterns: Vec<Vec<usize>> = Vec::new();
        let mut pair_patterns: Vec<(usize, [bool; 256])> = Vec::new();
        let mut run_entries: Vec<(usize, crate::runs::Shape)> = Vec::new();
        let mut separator_words: Vec<String> = Vec::new();
        // Literal-triggered patterns: (pattern, its literals, found as
        // separators), registered once grouped.
        let mut literal_routes: Vec<(usize, Vec<String>, bool)> = Vec::new();
        let mut separator_patterns: Vec<Vec<usize>> = Vec::new();
        // Trigger words that came from context (matched as whole words).
        let mut context_triggers = std::collections::HashSet::new();
        let mut words: Vec<String> = Vec::new();
        let mut context_types: Vec<Vec<usize>> = Vec::new();
        for (ti, t) in catalog.types().iter().enumerate() {
            for (pi, p) in t.patterns.iter().enumerate() {
                let Prepared {
                    built,
                    compiled,
                    lit_hir,
                    lits,
                } = prepared.next().unwrap_or_else(|| Prepared::of(p));
                let (re, src) = built.map_err(|e| CatalogError::Invalid {
                    file: t.file.clone(),
                    id: t.id.clone(),
                    message: format!("patterns[{pi}] does not compile: {e}"),
                })?;
                if t.value_group >= re.captures_len() {
                    return Err(CatalogError::Invalid {
                        file: t.file.clone(),
                        id: t.id.clone(),
                        message: format!(
                            "value_group {} but patterns[{pi}] has fewer groups",
                            t.value_group
                        ),
                    });
                }
                let values: Vec<&str> = t
                    .examples
                    .positive
                    .iter()
                    .filter_map(|ex| crate::catalog::split_example(ex).1)
                    .collect();
                let longest = values.iter().map(|v| v.len()).max().unwrap_or(64);
                let example_digits = values
                    .iter()
                    .map(|v| v.bytes().filter(u8::is_ascii_digit).count())
                    .min()
                    .unwrap_or(0);
                let max_len = compiled.as_ref().and_then(shape::max_len);
                // Unbounded patterns get room for twice their longest
                // example.
                let fallback = 2 * longest + 2 * CONTEXT_WINDOW + 64;
                let plain_reach = max_len.map_or(fallback, |l| l + REACH_SLACK);
                let context_cost = (t.context_required && !t.context.is_empty()).then(|| {
                    t.context
                        .iter()
                        .map(|w| shape::literal_cost(&w.to_lowercase()))
                        .fold(0u32, u32::saturating_add)
                });
                // Digit hotspots certainly cover a match that holds
                // `DIGIT_RUN` digits within `DIGIT_SPAN` bytes.
                let digits_certain = compiled
                    .as_ref()
                    .is_some_and(|h| shape::dense_digits(h, DIGIT_RUN, DIGIT_SPAN));
                // Separators of hex groups count only next to hex runs.
                let hex_gate = lits.as_ref().is_some_and(|l| {
                    l.words
                        .iter()
                        .all(|w| w.bytes().all(|b| b.is_ascii_punctuation()))
                }) && compiled
                    .as_ref()
                    .zip(lits.as_ref())
                    .is_some_and(|(h, l)| shape::hex_separated(h, &l.words));
                let digit_gate = shortcuts
                    && hex_gate
                    && compiled
                        .as_ref()
                        .zip(lits.as_ref())
                        .is_some_and(|(h, l)| shape::digit_separated(h, &l.words));
                let mut choice: Option<(Trigger, u32)> = None;
                let mut consider = |t: Trigger, cost: Option<u32>| {
                    if let Some(c) = cost {
                        let better = match choice {
                            Some((_, best)) => c < best,
                            None => true,
                        };
                        if better {
                            choice = Some((t, c));
                        }
                    }
                };
                let literal_cost = lits.as_ref().map(|l| {
                    if hex_gate {
                        l.cost / HEX_GATE_GAIN
                    } else {
                        l.cost
                    }
                });
                consider(Trigger::Literal, literal_cost);
                consider(Trigger::Context, context_cost);
                consider(
                    Trigger::Digits,
                    digits_certain.then_some(
                        DIGITS_COST + u32::try_from(plain_reach / 2).unwrap_or(u32::MAX),
                    ),
                );
                let pair = compiled.as_ref().and_then(shape::class_before_digit);
                consider(Trigger::Pair, pair.is_some().then_some(PAIR_COST));
                let trigger = match choice {
                    Some((t, c)) if c <= WEAK_TRIGGER => t,
                    // Number formats without a good literal trigger on
                    // digits when their examples all have enough of them.
                    _ if example_digits >= DIGIT_RUN => Trigger::Digits,
                    _ => Trigger::Always,
                };
                // A format whose every match starts at a digit run after a
                // non-word byte is tried where a run it can hold starts,
                // rather than searched in the windows of every digit
                // stretch (or over the whole text): a run of the right
                // length and next byte is rarer than a stretch, and dense
                // records made those windows megabytes long.
                let run_start = match trigger {
                    Trigger::Digits | Trigger::Always
                        if shortcuts
                            && compiled.as_ref().is_some_and(shape::opens_at_word_edge) =>
                    {
                        anchored_dfa_of(&src, ANCHORED_DFA_LIMIT)
                            .and_then(|a| crate::runs::rows_of(&a.dfa).map(|rows| (a, rows)))
                    }
                    _ => None,
                };
                let trigger = if run_start.is_some() {
                    Trigger::RunStart
                } else {
                    trigger
                };
                let pi_now = patterns.len();
                match trigger {
                    Trigger::Literal => {
                        let mut lits = lits.as_ref().map(|l| l.words.clone()).unwrap_or_default();
                        // Gated separators are found from byte masks: in
                        // the automaton they would be most of its hits.
                        let separators = hex_gate
                            && lits.iter().all(|l| {
                                l.len() <= 2
                                    && l.bytes().all(|b| b.is_ascii_punctuation())
                                    && l.bytes().next().is_some_and(|b| SEPARATORS.contains(&b))
                            });
                        lits.sort();
                        literal_routes.push((pi_now, lits, separators));
                    }
                    Trigger::Context => {
                        for w in &t.context {
                            let w = w.to_lowercase();
                            if whole_word(&w) {
                                context_triggers.insert(w.clone());
                            }
                            trigger_of(&mut trigger_words, &mut trigger_patterns, w, pi_now);
                        }
                    }
                    Trigger::Pair => {
                        if let Some(class) = pair {
                            pair_patterns.push((pi_now, class));
                        }
                    }
                    Trigger::Digits | Trigger::Always | Trigger::RunStart => {}
                }
                // A match contains its literal, digit hotspot or pair, so
                // it lies within its longest length of it; a context word
                // is up to `CONTEXT_WINDOW` further.
                let reach = match (trigger, max_len) {
                    (Trigger::Context, Some(l)) => CONTEXT_WINDOW + l + REACH_SLACK,
                    _ => plain_reach,
                };
                // A literal's place in the pattern bounds each side on
                // its own (`AKIA…` reaches only forward). The bounds come
                // from the pattern without its case flag, which in
                // Unicode mode could match longer (`K` → Kelvin sign).
                let sided =
                    trigger == Trigger::Literal && (src.starts_with("(?-u)") || !p.contains("(?i"));
                let side = |b: Option<usize>| match (b, sided) {
                    (Some(b), true) => (b + REACH_SLACK).min(reach),
                    _ => reach,
                };
                let (before, after) = match &lits {
                    Some(l) => (side(l.before), side(l.after)),
                    None => (reach, reach),
                };
                let anchor = match trigger {
                    // Tried where its run starts, whatever its length.
                    Trigger::RunStart => Some((0, 0)),
                    _ if !shortcuts => None,
                    // The places in bytes: from the literals' places taken
                    // in Unicode mode when they are narrow enough (a class
                    // of one character may be four bytes there, one in
                    // byte mode, so they hold the compiled pattern's),
                    // else taken again in byte mode, as compiled, when that
                    // yields the same literals. Only for bounds a byte-mode
                    // look can bring within the spread (a Unicode `\d` is
                    // up to four bytes: an IPv4 address's dots lie up to
                    // 34 bytes in, 13 in byte mode): the extraction is a
                    // fifth of a catalogue's load.
                    Trigger::Literal if src.starts_with("(?-u)") => {
                        let places = |l: &shape::Literals| l.before.map(|b| (l.before_min, b));
                        let unicode = lits.as_ref().and_then(places);
                        match unicode {
                            Some((lo, hi)) if hi - lo <= ANCHOR_SPREAD => unicode,
                            Some((_, hi)) if hi <= 4 * ANCHOR_SPREAD_WIDE => {
                                shape::parse(&format!("(?-u){}", strip_case_flag(p)))
                                    .and_then(|h| shape::best_literals(&h))
                                    .filter(|b| lits.as_ref().is_some_and(|l| l.words == b.words))
                                    .as_ref()
                                    .and_then(places)
                                    .or(unicode)
                            }
                            _ => unicode,
                        }
                    }
                    // Compiled in Unicode mode: the places taken in that
                    // mode are the compiled pattern's, except where a case
                    // flag lets a letter before the literal match a longer
                    // one (`ſ` for `s`); a literal that starts every match
                    // has nothing before it.
                    Trigger::Literal => lits
                        .as_ref()
                        .and_then(|l| l.before.map(|b| (l.before_min, b)))
                        .filter(|&(_, hi)| hi == 0 || !p.contains("(?i")),
                    Trigger::Pair => compiled.as_ref().and_then(shape::pair_offsets),
                    _ => None,
                }
                .filter(|(lo, hi)| hi - lo <= ANCHOR_SPREAD_WIDE);
                // Up to `ANCHOR_SPREAD` places, tries are cheaper than a
                // window. Further, only where a window would be wider than
                // the tries' cost and a DFA of at most `WIDE_DFA_LIMIT`
                // rejects the wrong places, built now to know (without
                // one, each try costs a regex search; with a larger one
                // the tries miss the cache: the generic secrets' keyword
                // DFAs, 215 KB each, made a scan slower than their
                // windows did).
                let anchored_dfa = std::sync::OnceLock::new();
                // The run table needed this one at load: keep it.
                if let Some((dfa, rows)) = run_start {
                    run_entries.push((pi_now, rows));
                    let _ = anchored_dfa.set(Some(dfa));
                }
                let anchor = anchor.filter(|&(lo, hi)| {
                    hi - lo <= ANCHOR_SPREAD
                        || ((hi - lo + 1) * TRY_BYTES <= before + after
                            && anchored_dfa_of(&src, WIDE_DFA_LIMIT)
                                .is_some_and(|a| anchored_dfa.set(Some(a)).is_ok()))
                });
                // Without a case flag the literals' case is known (and
                // matters where they have letters). Only short words: long
                // ones are rare hits, and walking every pattern again made
                // a load a sixth longer.
                let cased = |l: &shape::Literals| {
                    l.words.iter().any(|w| {
                        w.len() <= EXACT_WORD && w.bytes().any(|b| b.is_ascii_alphabetic())
                    })
                };
                let exact = match (trigger, &lit_hir, &lits) {
                    (Trigger::Literal, Some(h), Some(l))
                        if shortcuts && !p.contains("(?i") && cased(l) =>
                    {
                        shape::exact_literals(h, l)
                            .map(|ws| ws.into_iter().map(String::into_bytes).collect())
                    }
                    _ => None,
                };
                let words = match (trigger, &lits) {
                    (Trigger::Literal, Some(l)) if shortcuts && anchor.is_none() => l.words.clone(),
                    _ => Vec::new(),
                };
                patterns.push(Pattern {
                    words,
                    gate: std::sync::OnceLock::new(),
                    exact,
                    anchored_dfa,
                    digit_run: compiled.as_ref().map_or(0, shape::min_digit_run),
                    needs_hotspot: shortcuts && digits_certain,
                    min_digits: if shortcuts {
                        compiled
                            .as_ref()
                            .map_or(0, shape::min_digits)
                            .max(t.digits.map_or(0, |[lo, _]| lo))
                    } else {
                        0
                    },
                    max_len,
                    ty: ti,
                    re,
                    src,
                    group: t.value_group,
                    trigger,
                    reach,
                    before,
                    after,
                    hex_gate: hex_gate && trigger == Trigger::Literal,
                    digit_gate: digit_gate && trigger == Trigger::Literal,
                    anchor,
                });
            }
            for w in &t.context {
                let w = w.to_lowercase();
                if w.is_empty() || w.len() > MAX_CONTEXT_WORD {
                    continue;
                }
                let idx = match words.iter().position(|x| *x == w) {
                    Some(i) => i,
                    None => {
                        words.push(w);
                        context_types.push(Vec::new());
                        words.len() - 1
                    }
                };
                if !context_types[idx].contains(&ti) {
                    context_types[idx].push(ti);
                }
            }
        }
        // Patterns with the same literals share their windows and a set
        // that says which of them occur there: one scan of a window
        // instead of one per pattern.
        let mut groups: Vec<LiteralGroup> = Vec::new();
        // Patterns tried anchored stay out: each try reads a few bytes,
        // where a set reads the whole window.
        let anchored = |pi: usize| patterns.get(pi).is_some_and(|p| p.anchor.is_some());
        let mut grouped = vec![false; literal_routes.len()];
        for i in 0..literal_routes.len() {
            if grouped[i] {
                continue;
            }
            let Some((first, lits, sep)) = literal_routes.get(i) else {
                continue;
            };
            if anchored(*first) {
                continue;
            }
            let members: Vec<usize> = (i..literal_routes.len())
                .filter(|&j| {
                    literal_routes
                        .get(j)
                        .is_some_and(|(pi, l, s)| l == lits && s == sep && !anchored(*pi))
                })
                .collect();
            if members.len() < GROUP_MIN {
                continue;
            }
            let pis: Vec<usize> = members
                .iter()
                .filter_map(|&j| literal_routes.get(j).map(|r| r.0))
                .collect();
            let srcs: Vec<&str> = pis
                .iter()
                .filter_map(|&pi| patterns.get(pi).map(|p| p.src.as_str()))
                .collect();
            let Ok(set) = regex::bytes::RegexSetBuilder::new(&srcs)
                .size_limit(1 << 26)
                .dfa_size_limit(1 << 26)
                .build()
            else {
                continue;
            };
            let side = |f: fn(&Pattern) -> usize| {
                pis.iter()
                    .filter_map(|&pi| patterns.get(pi).map(f))
                    .max()
                    .unwrap_or(0)
            };
            groups.push(LiteralGroup {
                patterns: pis.clone(),
                set,
                any: shortcuts.then(|| any_regex(&srcs)).flatten(),
                before: side(|p| p.before),
                after: side(|p| p.after),
                hex_gate: pis
                    .iter()
                    .all(|&pi| patterns.get(pi).is_some_and(|p| p.hex_gate)),
                digit_gate: pis
                    .iter()
                    .all(|&pi| patterns.get(pi).is_some_and(|p| p.digit_gate)),
            });
            for &j in &members {
                grouped[j] = true;
            }
        }
        let group_of = |pi: usize| groups.iter().position(|g| g.patterns.contains(&pi));
        for (pi, lits, sep) in &literal_routes {
            // A group is a target past the patterns.
            let target = group_of(*pi).map_or(*pi, |g| patterns.len() + g);
            for l in lits {
                if *sep {
                    trigger_of(
                        &mut separator_words,
                        &mut separator_patterns,
                        l.clone(),
                        target,
                    );
                } else {
                    trigger_of(&mut trigger_words, &mut trigger_patterns, l.clone(), target);
                }
            }
        }
        // Number patterns of similar reach share a set: one reaching far
        // (an MRZ) would widen every window of the others.
        let mut digit_groups = Vec::new();
        for bucket in DIGIT_REACH_BUCKETS.windows(2) {
            let (lo, hi) = (bucket[0], bucket[1]);
            let members: Vec<usize> = (0..patterns.len())
                .filter(|&i| {
                    patterns.get(i).is_some_and(|p| {
                        p.trigger == Trigger::Digits && p.reach > lo && p.reach <= hi
                    })
                })
                .collect();
            if members.is_empty() {
                continue;
            }
            let srcs: Vec<&str> = members
                .iter()
                .filter_map(|&i| patterns.get(i).map(|p| p.src.as_str()))
                .collect();
            let set = regex::bytes::RegexSetBuilder::new(&srcs)
                .size_limit(1 << 26)
                .dfa_size_limit(1 << 26)
                .build()
                .map_err(|e| CatalogError::Invalid {
                    file: "catalogue".into(),
                    id: "*".into(),
                    message: format!("number patterns do not compile together: {e}"),
                })?;
            let reach = members
                .iter()
                .filter_map(|&i| patterns.get(i).map(|p| p.reach))
                .max()
                .unwrap_or(0);
            let min_run = members
                .iter()
                .filter_map(|&i| patterns.get(i).map(|p| p.digit_run))
                .min()
                .filter(|&r| shortcuts && r >= DIGIT_RUN)
                .unwrap_or(0);
            let any = shortcuts.then(|| any_regex(&srcs)).flatten();
            digit_groups.push(DigitGroup {
                any,
                min_run,
                patterns: members,
                set,
                reach,
            });
        }
        let always: Vec<usize> = (0..patterns.len())
            .filter(|&i| patterns[i].trigger == Trigger::Always)
            .collect();
        let digit_needs = digit_needs(&patterns, &groups);
        let always_regex = untriggered_regex(
            &always
                .iter()
                .filter_map(|&i| patterns.get(i).map(|p| p.src.as_str()))
                .collect::<Vec<_>>(),
        );
        // A word that is both a pattern literal and a context word is
        // matched anywhere: the literal needs that.
        let literal_words: std::collections::HashSet<&String> = trigger_words
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                trigger_patterns.get(*i).is_some_and(|ps| {
                    ps.iter().any(|&p| {
                        p >= patterns.len()
                            || patterns
                                .get(p)
                                .is_some_and(|q| q.trigger == Trigger::Literal)
                    })
                })
            })
            .map(|(_, w)| w)
            .collect();
        // The automaton's words are the trigger words; a context word
        // that matches one of them (ASCII case aside) becomes that word's
        // second role, any other goes to the context automaton.
        let auto_words = trigger_words.clone();
        let mut roles: Vec<WordRole> = trigger_words
            .iter()
            .enumerate()
            .map(|(i, w)| WordRole {
                trigger: as_id(i),
                context: NONE,
                trigger_whole: context_triggers.contains(w) && !literal_words.contains(w),
                context_whole: false,
            })
            .collect();
        let mut folded: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (i, w) in trigger_words.iter().enumerate() {
            folded.entry(w.to_ascii_lowercase()).or_insert(i);
        }
        let mut context_only: Vec<String> = Vec::new();
        let mut context_roles: Vec<(usize, bool)> = Vec::new();
        for (ci, w) in words.iter().enumerate() {
            match folded
                .get(&w.to_ascii_lowercase())
                .and_then(|&i| roles.get_mut(i))
            {
                Some(role) => {
                    role.context = as_id(ci);
                    role.context_whole = whole_word(w);
                }
                None => {
                    context_only.push(w.clone());
                    context_roles.push((ci, whole_word(w)));
                }
            }
        }
        let automaton = automaton_of(&auto_words, "trigger automaton")?;
        let context_longest = context_only.iter().map(String::len).max().unwrap_or(0);
        let context_words = automaton_of(&context_only, "context automaton")?;
        let runs = crate::runs::RunTable::new(&run_entries).map_err(|e| CatalogError::Invalid {
            file: "catalogue".into(),
            id: "*".into(),
            message: format!("digit run table: {e}"),
        })?;
        Ok(Self {
            runs,
            patterns,
            words: automaton,
            roles,
            context_words,
            context_roles,
            context_longest,
            trigger_patterns,
            digit_groups,
            digit_needs,
            separator_words,
            separator_patterns,
            pair_any: std::array::from_fn(|b| pair_patterns.iter().any(|(_, c)| c[b])),
            pair_patterns,
            groups,
            always,
            always_regex,
            context_types,
            checks: catalog
                .types()
                .iter()
                .map(|t| t.validator.as_deref().and_then(crate::validate::check_of))
                .collect(),
            specific: catalog
                .types()
                .iter()
                .map(|t| !t.locales.iter().any(|l| l == "global"))
                .collect(),
            catalog,
            min_score: 0.5,
        })
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
            if let Some(ent) = self.confirm(ti, t, value, s, e, &ctx) {
                found.push((ent, self.specific.get(ti).copied().unwrap_or(false)));
            }
        }
        resolve_overlaps(found)
    }

    /// Where each pattern is worth running.
    /// Also the context words' places, `(start, end, word)` by end.
    fn windows(&self, hay: &[u8], ctx: &mut Vec<(usize, usize, usize)>) -> Windows {
        let mut windows = Windows::new(self.patterns.len() + self.groups.len());
        self.word_windows(hay, &mut windows, ctx);
        let walked = self.block_walk(hay, &mut windows);
        self.digit_windows_only(&walked, &mut windows);
        let hot = walked.map(|d| d.out).unwrap_or_default();
        self.group_windows(hay, &mut windows);
        self.digit_windows(hay, &hot, &mut windows);
        if !self.always.is_empty() && !self.untriggered_windows(hay, &mut windows) {
            for &pi in &self.always {
                *windows.of(pi) = vec![(0, hay.len())];
            }
        }
        windows
    }

    /// Windows around literal and context-word triggers, and the places
    /// of context words.
    fn word_windows(
        &self,
        hay: &[u8],
        windows: &mut Windows,
        ctx: &mut Vec<(usize, usize, usize)>,
    ) {
        let Some(dfa) = &self.words else {
            return;
        };
        dfa.for_each_match(hay, |s, e, w| {
            let Some(&role) = self.roles.get(w) else {
                return;
            };
            // Most hits are short words inside longer ones (`no` in
            // `know`): asked once for both roles.
            let alone = (role.trigger_whole || role.context_whole) && stands_alone(hay, s, e);
            if role.context != NONE && (!role.context_whole || alone) {
                ctx.push((s, e, role.context as usize));
            }
            if role.trigger == NONE || (role.trigger_whole && !alone) {
                return;
            }
            for &t in self
                .trigger_patterns
                .get(role.trigger as usize)
                .into_iter()
                .flatten()
            {
                if let Some((before, after, gate)) = self.target(t) {
                    if gate && !next_to_hex_run(hay, s, e) {
                        continue;
                    }
                    // A group (past the patterns) has neither a case nor
                    // an anchor of its own.
                    let p = self.patterns.get(t);
                    let spelt = |ws: &Vec<Vec<u8>>| ws.iter().any(|w| hay.get(s..e) == Some(w));
                    if p.and_then(|p| p.exact.as_ref())
                        .is_some_and(|ws| !spelt(ws))
                    {
                        continue;
                    }
                    if p.is_some_and(|p| p.anchor.is_some()) {
                        self.try_anchored(hay, t, (s, e), &mut windows.anchored);
                    } else if self.gate_opens(t, hay, e) {
                        push_window(windows.of(t), hay, s, e, before, after);
                    }
                }
            }
        });
    }

    /// Whether what follows a trigger literal ending at `e` lets target
    /// `t` (a pattern, or past them a group: any of its patterns) match
    /// there (`Pattern::gate`).
    fn gate_opens(&self, t: usize, hay: &[u8], e: usize) -> bool {
        let opens = |pi: usize| {
            let Some(p) = self.patterns.get(pi) else {
                return true;
            };
            if p.words.is_empty() {
                return true;
            }
            match p.gate.get_or_init(|| gate_of(p)) {
                // Read no further than the window would reach.
                Some((dfa, first)) => !dies(dfa, first, hay, e, (e + p.after).min(hay.len())),
                None => true,
            }
        };
        match t.checked_sub(self.patterns.len()) {
            None => opens(t),
            Some(g) => self
                .groups
                .get(g)
                .is_none_or(|g| g.patterns.iter().any(|&pi| opens(pi))),
        }
    }

    /// Whether a separator triggers target `t` (a pattern, or past them
    /// a group) only next to a run of decimal digits.
    fn decimal_gated(&self, t: usize) -> bool {
        match t.checked_sub(self.patterns.len()) {
            None => self.patterns.get(t).is_some_and(|p| p.digit_gate),
            Some(g) => self.groups.get(g).is_some_and(|g| g.digit_gate),
        }
    }

    /// A trigger target's reach before and after, and whether it is
    /// gated: a pattern, or past them a group.
    fn target(&self, t: usize) -> Option<(usize, usize, bool)> {
        match self.patterns.get(t) {
            Some(p) => Some((p.before, p.after, p.hex_gate)),
            None => self
                .groups
                .get(t - self.patterns.len())
                .map(|g| (g.before, g.after, g.hex_gate)),
        }
    }

    /// Drops the windows of `digit_needs` without the digits their
    /// matches need: no match of theirs can lie there, or none its type
    /// accepts. A match that holds `DIGIT_RUN` digits within `DIGIT_SPAN`
    /// bytes makes a hotspot that reaches over those digits (`DigitWalk`),
    /// so the hotspot meets every window that holds the match; the
    /// match's run of consecutive digits lies whole in that hotspot too.
    /// Without a digit walk (`walked` is `None`) nothing is dropped.
    fn digit_windows_only(&self, walked: &Option<DigitWalk>, windows: &mut Windows) {
        let Some(walk) = walked else {
            return;
        };
        for need in &self.digit_needs {
            if let Some(list) = windows.existing(need.target) {
                list.retain(|&(ws, we)| match need.hotspot_run {
                    Some(run) => meets_hotspot(&walk.out, ws, we, run),
                    None => walk.digits_about(ws, we) >= need.digits,
                });
            }
        }
    }

    /// The windows of each group, handed to those of its patterns that
    /// occur in them.
    fn group_windows(&self, hay: &[u8], windows: &mut Windows) {
        for (gi, g) in self.groups.iter().enumerate() {
            let list = std::mem::take(windows.of(self.patterns.len() + gi));
            for (ws, we) in list {
                let Some(w) = hay.get(ws..we) else { continue };
                if g.any.as_ref().is_some_and(|any| !any.is_match(w)) {
                    continue;
                }
                for k in g.set.matches(w).iter() {
                    if let Some(&pi) = g.patterns.get(k) {
                        windows.of(pi).push((ws, we));
                    }
                }
            }
        }
    }

    /// One pass over the text's 64-byte blocks for the triggers found
    /// from byte masks: windows and tries around separators next to hex
    /// runs, and the tries and windows at the start of digit runs. Returns
    /// the digit walk (its hotspots and digit counts) when there was one
    /// (`DigitWalk`): without number formats or windows that need digits
    /// (`Engine::digit_needs`), there is none. Both walks share each
    /// block's masks: two passes computed them twice (about 3 ms per 16
    /// MiB of mixed text).
    fn block_walk(&self, hay: &[u8], windows: &mut Windows) -> Option<DigitWalk> {
        let separators = !self.separator_words.is_empty();
        // Run starts matter only to run and pair patterns; a walk made
        // for the hotspots or the digit counts alone skips them.
        let starts = !(self.pair_patterns.is_empty() && self.runs.is_empty());
        let digits = starts || !(self.digit_groups.is_empty() && self.digit_needs.is_empty());
        if !(separators || digits) {
            return None;
        }
        let mut seps = SeparatorWalk::default();
        let mut hot = DigitWalk::new(hay.len());
        crate::bytemask::for_each_block(hay, |at, block| {
            let m = crate::bytemask::masks(block, SEPARATORS);
            if separators {
                seps.block(at, m, &mut |i| self.separator_at(hay, i, windows));
            }
            if digits {
                hot.block(at, m.digits, &mut |i| {
                    if starts {
                        self.run_start(hay, i, windows);
                    }
                });
            }
        });
        if separators {
            seps.finish(&mut |i| self.separator_at(hay, i, windows));
        }
        digits.then_some(hot)
    }

    /// The separator words at `i` next to a hex run, and their patterns'
    /// windows or tries.
    fn separator_at(&self, hay: &[u8], i: usize, windows: &mut Windows) {
        for (w, pats) in self.separator_words.iter().zip(&self.separator_patterns) {
            let w = w.as_bytes();
            let e = i + w.len();
            // Compared byte by byte: a `memcmp` call per word and
            // separator was 2–3 % of a scan.
            if !hay
                .get(i..e)
                .is_some_and(|s| s.iter().zip(w).all(|(x, y)| x == y))
                || !next_to_hex_run(hay, i, e)
            {
                continue;
            }
            // Asked once per word, and only for decimal groups (IPv4):
            // most full stops a hex run lets through (`be.`, `a.b`) have
            // no decimal digit beside them.
            let mut decimal_run = None;
            for &t in pats {
                if self.decimal_gated(t)
                    && !*decimal_run
                        .get_or_insert_with(|| next_to_run(hay, i, e, u8::is_ascii_digit))
                {
                    continue;
                }
                if let Some((before, after, _)) = self.target(t) {
                    if self.patterns.get(t).is_some_and(|p| p.anchor.is_some()) {
                        self.try_anchored(hay, t, (i, e), &mut windows.anchored);
                    } else {
                        push_window(windows.of(t), hay, i, e, before, after);
                    }
                }
            }
        }
    }

    /// The tries and windows of a digit run starting at `i`: the number
    /// formats its length and next byte allow (`runs::RunTable`), after a
    /// non-word byte; the pair patterns whose class holds the byte before.
    /// Pair classes hold no digit (`shape::class_before_digit`), so a
    /// pair's digit starts a run.
    fn run_start(&self, hay: &[u8], i: usize, windows: &mut Windows) {
        let before = i.checked_sub(1).and_then(|j| hay.get(j)).copied();
        if before.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_')) {
            let (list, len) = self.runs.at(hay, i);
            for pi in list {
                self.try_anchored(hay, pi as usize, (i, i + len), &mut windows.anchored);
            }
        }
        let Some(b) = before else {
            return;
        };
        if !self.pair_any[usize::from(b)] {
            return;
        }
        for (pi, class) in &self.pair_patterns {
            if class[usize::from(b)] {
                if let Some(p) = self.patterns.get(*pi) {
                    if p.anchor.is_some() {
                        self.try_anchored(hay, *pi, (i - 1, i + 1), &mut windows.anchored);
                    } else {
                        push_window(windows.of(*pi), hay, i - 1, i + 1, p.reach, p.reach);
                    }
                }
            }
        }
    }

    /// Windows of the number patterns found in the digit hotspots.
    fn digit_windows(&self, hay: &[u8], hot: &[(usize, usize, usize)], windows: &mut Windows) {
        let mut dw = Vec::new();
        for g in &self.digit_groups {
            dw.clear();
            for &(s, e, run) in hot {
                if run >= g.min_run {
                    // A stretch already reaches `DIGIT_SPAN` past the
                    // digits a match holds.
                    let more = g.reach.saturating_sub(DIGIT_SPAN);
                    push_window(&mut dw, hay, s, e, more, more);
                }
            }
            for &(ws, we) in &dw {
                let Some(w) = hay.get(ws..we) else { continue };
                if g.any.as_ref().is_some_and(|any| !any.is_match(w)) {
                    continue;
                }
                for k in g.set.matches(w).iter() {
                    if let Some(&pi) = g.patterns.get(k) {
                        windows.of(pi).push((ws, we));
                    }
                }
            }
        }
    }

    /// Windows around the matches of the patterns without a trigger;
    /// false when their regex is missing (then they must run over the
    /// whole text).
    fn untriggered_windows(&self, hay: &[u8], windows: &mut Windows) -> bool {
        let Some(re) = &self.always_regex else {
            return false;
        };
        for m in re.find_iter(hay) {
            for &pi in &self.always {
                if let Some(p) = self.patterns.get(pi) {
                    push_window(windows.of(pi), hay, m.start(), m.end(), p.reach, p.reach);
                }
            }
        }
        true
    }

    /// Runs pattern `pi` over its windows: `(type, start, end)` of each
    /// value.
    fn run_pattern(
        &self,
        hay: &[u8],
        pi: usize,
        windows: &[(usize, usize)],
        cands: &mut Vec<(usize, usize, usize)>,
    ) {
        let Some(p) = self.patterns.get(pi) else {
            return;
        };
        for &(ws, we) in windows {
            let Some(w) = hay.get(ws..we) else { continue };
            if p.group == 0 {
                for m in p.re.find_iter(w) {
                    cands.push((p.ty, ws + m.start(), ws + m.end()));
                }
            } else {
                for c in p.re.captures_iter(w) {
                    if let Some(m) = c.get_group(p.group) {
                        cands.push((p.ty, ws + m.start, ws + m.end));
                    }
                }
            }
        }
    }

    /// Tries anchored pattern `pi` at its places for a trigger at `at`
    /// (`Pattern::anchor`), while that stretch of text is in the cache;
    /// a try ends where the pattern can no longer match, mostly within
    /// its first bytes. Matches go to `found` as `(pattern, start, end)`.
    fn try_anchored(
        &self,
        hay: &[u8],
        pi: usize,
        (at, at_end): (usize, usize),
        found: &mut Vec<(usize, usize, usize)>,
    ) {
        let Some(p) = self.patterns.get(pi) else {
            return;
        };
        let Some((least, most)) = p.anchor else {
            return;
        };
        // A bounded pattern stops by itself; an unbounded one reads no
        // further than a window around the trigger would reach, so a try
        // cannot walk a long line.
        let end = match p.max_len {
            Some(_) => hay.len(),
            None => (at_end + p.after + 256).min(hay.len()),
        };
        let dfa = p
            .anchored_dfa
            .get_or_init(|| anchored_dfa_of(&p.src, PART_DFA_LIMIT));
        for k in least..=most {
            let Some(x) = at.checked_sub(k) else {
                break;
            };
            if x > end {
                break;
            }
            if let Some(a) = dfa {
                if dies(&a.dfa, &a.first, hay, x, end) {
                    continue;
                }
            }
            let input = regex_automata::Input::new(hay)
                .range(x..end)
                .anchored(regex_automata::Anchored::Yes);
            if let Some(a) = dfa {
                use regex_automata::dfa::Automaton;
                // An error (none is expected: no quit bytes, no size
                // limit at search time) falls through to the regex.
                match a.dfa.try_search_fwd(&input) {
                    Ok(None) => continue,
                    // The same leftmost-first match the regex would find
                    // from here.
                    Ok(Some(m)) if a.whole => {
                        if m.offset() > x {
                            found.push((pi, x, m.offset()));
                        }
                        continue;
                    }
                    _ => {}
                }
            }
            if let Some(m) = p.re.search(&input).filter(|m| !m.is_empty()) {
                found.push((pi, m.start(), m.end()));
            }
        }
    }

    /// The anchored matches a leftmost search through windows around the
    /// same triggers finds: per pattern in text order, none starting
    /// inside the one before. `(type, start, end)` of each value.
    fn take_anchored(
        &self,
        hay: &[u8],
        found: &mut Vec<(usize, usize, usize)>,
        cands: &mut Vec<(usize, usize, usize)>,
    ) {
        found.sort_unstable();
        found.dedup();
        // The pattern of the last match taken, and where that match ended.
        let mut last: Option<(usize, usize)> = None;
        for &(pi, s, e) in found.iter() {
            let Some(p) = self.patterns.get(pi) else {
                continue;
            };
            if last.is_some_and(|(lp, end)| lp == pi && s < end) {
                continue;
            }
            last = Some((pi, e));
            if p.group == 0 {
                cands.push((p.ty, s, e));
                continue;
            }
            // The span the match was found in ends with it, so the same
            // match comes back, with its groups.
            let input = regex_automata::Input::new(hay)
                .range(s..e)
                .anchored(regex_automata::Anchored::Yes);
            let mut caps = p.re.create_captures();
            p.re.search_captures(&input, &mut caps);
            if let Some(g) = caps.get_group(p.group) {
                cands.push((p.ty, g.start, g.end));
            }
        }
    }

    /// Adds to `ctx` (sorted by end) the places of the context words that
    /// trigger nothing, found only where a candidate could count them:
    /// within `CONTEXT_WINDOW` bytes of a candidate of a type with context
    /// words, plus a word's length either side, so that every occurrence
    /// `near_context` would look at lies wholly inside one stretch (an
    /// automaton started at a stretch's start finds every occurrence that
    /// starts there or later). Most of the trigger pass's hits were such
    /// words inside longer ones, far from any candidate.
    fn context_near(
        &self,
        hay: &[u8],
        cands: &[(usize, usize, usize)],
        ctx: &mut Vec<(usize, usize, usize)>,
    ) {
        let Some(dfa) = &self.context_words else {
            return;
        };
        let reach = CONTEXT_WINDOW + self.context_longest;
        let mut stretches: Vec<(usize, usize)> = cands
            .iter()
            .filter(|&&(ti, _, _)| {
                self.catalog
                    .types()
                    .get(ti)
                    .is_some_and(|t| !t.context.is_empty())
            })
            .map(|&(_, s, e)| (s.saturating_sub(reach), (e + reach).min(hay.len())))
            .collect();
        if stretches.is_empty() {
            return;
        }
        stretches.sort_unstable();
        // Touching or overlapping stretches merged in place.
        stretches.dedup_by(|next, last| {
            let touch = next.0 <= last.1;
            if touch {
                last.1 = last.1.max(next.1);
            }
            touch
        });
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        let mut keep = |hs: usize, he: usize, w: usize| {
            if let Some(&(ci, whole)) = self.context_roles.get(w) {
                if !whole || stands_alone(hay, hs, he) {
                    found.push((hs, he, ci));
                }
            }
        };
        match dfa.separator() {
            // The stretches end to end, each closed by a byte of no word
            // (it takes the automaton back to its start, so no occurrence
            // spans two: one that did would come after the next stretch's
            // first occurrences but end before them, and leave `ctx` out
            // of order):
            // one text, stepped four ways at once like the trigger pass,
            // where stretch by stretch each was stepped alone (4.5 → 2.6
            // ms per 16 MiB of mixed text).
            Some(sep) => {
                let mut text =
                    Vec::with_capacity(stretches.iter().map(|(a, b)| b - a + 1).sum::<usize>());
                // (offset in `text`, offset in `hay`) of each stretch.
                let mut at: Vec<(usize, usize)> = Vec::with_capacity(stretches.len());
                for &(a, b) in &stretches {
                    at.push((text.len(), a));
                    text.extend_from_slice(hay.get(a..b).unwrap_or(&[]));
                    text.push(sep);
                }
                let mut k = 0;
                dfa.for_each_match(&text, |s, e, w| {
                    // Occurrences come in order of their ends, so their
                    // stretches too.
                    while at.get(k + 1).is_some_and(|&(o, _)| o <= s) {
                        k += 1;
                    }
                    if let Some(&(o, a)) = at.get(k).filter(|&&(o, _)| o <= s) {
                        keep(a + (s - o), a + (e - o), w);
                    }
                });
            }
            None => {
                for (a, b) in stretches {
                    let Some(part) = hay.get(a..b) else { continue };
                    dfa.for_each_match(part, |s, e, w| keep(a + s, a + e, w));
                }
            }
        }
        if found.is_empty() {
            return;
        }
        // Both lists are in order of their ends: merge them.
        let main = std::mem::take(ctx);
        ctx.reserve(main.len() + found.len());
        let (mut i, mut j) = (0, 0);
        while let (Some(x), Some(y)) = (main.get(i), found.get(j)) {
            if x.1 <= y.1 {
                ctx.push(*x);
                i += 1;
            } else {
                ctx.push(*y);
                j += 1;
            }
        }
        ctx.extend_from_slice(main.get(i..).unwrap_or(&[]));
        ctx.extend_from_slice(found.get(j..).unwrap_or(&[]));
    }

    /// `ctx` is sorted by end: only the hits that can fall in the window
    /// are looked at (a context word's length bounds how far after the
    /// window its end can be), so the cost does not grow with the number
    /// of context hits in the whole text.
    fn near_context(&self, ti: usize, s: usize, e: usize, ctx: &[(usize, usize, usize)]) -> bool {
        let lo = s.saturating_sub(CONTEXT_WINDOW);
        let hi = e + CONTEXT_WINDOW;
        let first = ctx.partition_point(|&(_, ce, _)| ce < lo);
        ctx.get(first..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&(_, ce, _)| ce <= hi + MAX_CONTEXT_WORD)
            .any(|&(cs, _, w)| {
                cs <= hi && self.context_types.get(w).is_some_and(|ts| ts.contains(&ti))
            })
    }

    fn confirm(
        &self,
        ti: usize,
        t: &DataType,
        value: &str,
        s: usize,
        e: usize,
        ctx: &[(usize, usize, usize)],
    ) -> Option<Entity> {
        let context = self.near_context(ti, s, e, ctx);
        if t.context_required && !context {
            return None;
        }
        if let Some([lo, hi]) = t.digits {
            let n = digits_before_letter(value);
            if n < lo || n > hi {
                return None;
            }
        }
        let validated = match &t.validator {
            Some(_) => {
                // An unknown name (rejected at load) validates nothing.
                let check = self.checks.get(ti).copied().flatten()?;
                if !check(value) {
                    return None;
                }
                true
            }
            None => false,
        };
        // A checksum is strong evidence, a context word some; a bare
        // pattern match of an unvalidated format is the weakest.
        let mut score = t.score;
        if validated {
            score = score.max(0.85);
        }
        if context {
            score += 0.1;
        } else if !validated && !t.context.is_empty() {
            score -= 0.1;
        }
        let score = score.clamp(0.0, 1.0);
        if score < self.min_score {
            return None;
        }
        Some(Entity {
            type_id: t.id.clone(),
            start: s,
            end: e,
            score,
            validated,
            grade: t.grade,
            category: t.category.clone(),
            context,
        })
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

/// ASCII digits of a match up to its first ASCII letter (an extension
/// marker such as `x` or `ext`).
fn digits_before_letter(value: &str) -> usize {
    value
        .bytes()
        .take_while(|b| !b.is_ascii_alphabetic())
        .filter(u8::is_ascii_digit)
        .count()
}

/// A score in thousandths, so that sums which are equal on paper
/// (0.8 − 0.1 and 0.6 + 0.1) compare equal in `f32` too.
fn score_rank(score: f32) -> i32 {
    (score * 1000.0).round() as i32
}

/// Keeps, of overlapping candidates, the validated, then the higher
/// scored, then the longer, then the one of a country's format over a
/// global one (`specific`, the second of each pair: a UK mobile number
/// is also an international one); the result is in text order.
fn resolve_overlaps(found: Vec<(Entity, bool)>) -> Vec<Entity> {
    // The order is worked out on small keys (a stable sort, as before):
    // moving the entities themselves, two strings each, was a fifth of
    // the confirmation's time on a large text.
    let keys: Vec<(bool, i32, usize, bool, usize, usize)> = found
        .iter()
        .map(|(f, specific)| {
            (
                f.validated,
                score_rank(f.score),
                f.end - f.start,
                *specific,
                f.start,
                f.end,
            )
        })
        .collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&keys[i], &keys[j]);
        b.0.cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then(b.2.cmp(&a.2))
            .then(b.3.cmp(&a.3))
            .then(a.4.cmp(&b.4))
    });
    // Kept spans are disjoint, so ordered by start they are ordered by
    // end too: of those starting before one ends, only the last can
    // overlap it. (A list checked whole was quadratic in a large text.)
    let mut kept: std::collections::BTreeMap<usize, (usize, usize)> =
        std::collections::BTreeMap::new();
    for i in order {
        let (.., start, end) = keys[i];
        let clear = match kept.range(..end).next_back() {
            Some((_, &(k_end, _))) => k_end <= start,
            None => true,
        };
        if clear {
            kept.insert(start, (end, i));
        }
    }
    let mut found: Vec<Option<Entity>> = found.into_iter().map(|(f, _)| Some(f)).collect();
    kept.into_values()
        .filter_map(|(_, i)| found.get_mut(i).and_then(Option::take))
        .collect()
}

/// Registers `word` as a trigger of pattern `pi`. Pattern literals match
/// anywhere (`19` inside a number); context words only standing alone,
/// hence they are kept apart (a `\u{1}` marker) from equal literals.
fn trigger_of(words: &mut Vec<String>, pats: &mut Vec<Vec<usize>>, word: String, pi: usize) {
    if word.is_empty() {
        return;
    }
    let idx = match words.iter().position(|w| *w == word) {
        Some(i) => i,
        None => {
            words.push(word);
            pats.push(Vec::new());
            words.len() - 1
        }
    };
    if let Some(list) = pats.get_mut(idx) {
        if !list.contains(&pi) {
            list.push(pi);
        }
    }
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

/// Per pattern, the windows to search: only the patterns that have any
/// get a list, since a 4 KiB text triggers a few dozen of 500.
struct Windows {
    /// Per pattern: its index in `lists`, or `u32::MAX`.
    slot: Vec<u32>,
    lists: Vec<(usize, Vec<(usize, usize)>)>,
    /// `(pattern, start, end)`: matches of the anchored patterns.
    anchored: Vec<(usize, usize, usize)>,
}

impl Windows {
    fn new(patterns: usize) -> Self {
        Self {
            slot: vec![u32::MAX; patterns],
            lists: Vec::new(),
            anchored: Vec::new(),
        }
    }

    /// The list of `pi`, when it has one.
    fn existing(&mut self, pi: usize) -> Option<&mut Vec<(usize, usize)>> {
        let at = *self.slot.get(pi)?;
        self.lists.get_mut(at as usize).map(|l| &mut l.1)
    }

    fn of(&mut self, pi: usize) -> &mut Vec<(usize, usize)> {
        let at = match self.slot.get(pi).copied() {
            Some(i) if i != u32::MAX => i as usize,
            _ => {
                let i = self.lists.len();
                if let Some(s) = self.slot.get_mut(pi) {
                    *s = u32::try_from(i).unwrap_or(u32::MAX);
                }
                self.lists.push((pi, Vec::new()));
                i
            }
        };
        // `at` is in range: either an earlier push or the one just made.
        &mut self.lists[at].1
    }
}

/// Adds `[s - before, e + after)` widened to token boundaries (at most
/// 256 bytes further), merged with the previous window when they touch.
fn push_window(
    ws: &mut Vec<(usize, usize)>,
    hay: &[u8],
    s: usize,
    e: usize,
    before: usize,
    after: usize,
) {
    // Triggers come in text order and often cluster: one already covered
    // costs nothing.
    if let Some(last) = ws.last() {
        if s.saturating_sub(before) >= last.0 && e + after <= last.1 {
            return;
        }
    }
    let mut lo = s.saturating_sub(before);
    let stop = lo.saturating_sub(256);
    while lo > stop && hay.get(lo - 1).is_some_and(|&b| !is_boundary(b)) {
        lo -= 1;
    }
    let mut hi = (e + after).min(hay.len());
    let stop = (hi + 256).min(hay.len());
    while hi < stop && hay.get(hi).is_some_and(|&b| !is_boundary(b)) {
        hi += 1;
    }
    if let Some(last) = ws.last_mut() {
        if lo <= last.1 && hi >= last.0 {
            last.0 = last.0.min(lo);
            last.1 = last.1.max(hi);
            return;
        }
    }
    ws.push((lo, hi));
}

/// What a window target's matches need of the digits of a window
/// (`Engine::digit_needs`).
struct DigitNeed {
    /// A pattern, or past them a group.
    target: usize,
    /// A digit hotspot, holding a run of at least this many consecutive
    /// digits (0: any).
    hotspot_run: Option<usize>,
    /// Else at least this many digits.
    digits: usize,
}

/// The digits each window target needs (`Engine::digit_needs`): patterns
/// searched in windows (not tried anchored, not grouped, not on the
/// hotspots already) whose matches need digits, and groups whose every
/// pattern needs some. The least need of a group's patterns is the
/// group's.
fn digit_needs(patterns: &[Pattern], groups: &[LiteralGroup]) -> Vec<DigitNeed> {
    let need = |target: usize, ps: &[&Pattern]| {
        let hotspot_run = ps.iter().all(|p| p.needs_hotspot).then(|| {
            ps.iter()
                .map(|p| {
                    if p.digit_run >= DIGIT_RUN {
                        p.digit_run
                    } else {
                        0
                    }
                })
                .min()
                .unwrap_or(0)
        });
        let digits = ps.iter().map(|p| p.min_digits).min().unwrap_or(0);
        (!ps.is_empty() && (hotspot_run.is_some() || digits > 0)).then_some(DigitNeed {
            target,
            hotspot_run,
            digits,
        })
    };
    let grouped = |pi: usize| groups.iter().any(|g| g.patterns.contains(&pi));
    let mut out: Vec<DigitNeed> = patterns
        .iter()
        .enumerate()
        .filter(|&(pi, p)| {
            p.anchor.is_none()
                && matches!(
                    p.trigger,
                    Trigger::Literal | Trigger::Context | Trigger::Pair
                )
                && !grouped(pi)
        })
        .filter_map(|(pi, p)| need(pi, &[p]))
        .collect();
    for (gi, g) in groups.iter().enumerate() {
        let members: Option<Vec<&Pattern>> =
            g.patterns.iter().map(|&pi| patterns.get(pi)).collect();
        out.extend(members.and_then(|ms| need(patterns.len() + gi, &ms)));
    }
    out
}

/// Whether window `[ws, we)` meets a hotspot (sorted, disjoint) whose run
/// is at least `run`.
fn meets_hotspot(hot: &[(usize, usize, usize)], ws: usize, we: usize, run: usize) -> bool {
    let first = hot.partition_point(|&(_, e, _)| e <= ws);
    hot.get(first..)
        .unwrap_or(&[])
        .iter()
        .take_while(|&&(s, _, _)| s < we)
        .any(|&(_, _, r)| r >= run)
}

/// `DigitWalk` over a whole text at once (the tests' entry).
#[cfg(test)]
fn digit_hotspots(hay: &[u8], mut each_run_start: impl FnMut(usize)) -> Vec<(usize, usize, usize)> {
    let mut walk = DigitWalk::new(hay.len());
    crate::bytemask::for_each_block(hay, |at, block| {
        walk.block(
            at,
            crate::bytemask::masks(block, SEPARATORS).digits,
            &mut each_run_start,
        );
    });
    walk.out
}

/// Stretches of text where at least `DIGIT_RUN` ASCII digits fall within
/// `DIGIT_SPAN` bytes: where number formats can be; `each_run_start` sees
/// the offset of the first digit of every run of digits on the way. For
/// each run of `DIGIT_RUN` digits `d0 < … < d4` with `d4 - d0 <
/// DIGIT_SPAN`, the stretch `[d4 - DIGIT_SPAN, d0 + DIGIT_SPAN)`, merged.
/// With each, the longest run of consecutive digits it holds, when that is
/// at least `DIGIT_RUN` (shorter runs read as 0: a digit only extends a
/// stretch once four more lie close before it).
///
/// Digits come from a mask per 64-byte block (`bytemask`), so bytes that
/// are not digits, most of a text, cost no branch each; a digit's test is
/// a count of the digits among the `DIGIT_SPAN` bytes ending at it.
///
/// Fed a block at a time (`block`), so that the separator walk shares
/// the block's masks.
struct DigitWalk {
    /// The text's length.
    len: usize,
    /// The digits of the block before, for windows that reach into it.
    before: u64,
    /// Consecutive digits up to the last digit, and where that was.
    run: usize,
    last: Option<usize>,
    /// The stretches so far.
    out: Vec<(usize, usize, usize)>,
    /// Per 64-byte block so far, how many digits it holds (`digits_about`).
    counts: Vec<u8>,
}

impl DigitWalk {
    fn new(len: usize) -> Self {
        Self {
            len,
            before: 0,
            run: 0,
            last: None,
            out: Vec::new(),
            counts: Vec::with_capacity(len.div_ceil(64)),
        }
    }

    /// The digits of the blocks `[s, e)` meets: at least those it holds.
    fn digits_about(&self, s: usize, e: usize) -> usize {
        let blocks = self.counts.get(s / 64..e.div_ceil(64)).unwrap_or(&[]);
        blocks.iter().map(|&n| usize::from(n)).sum()
    }

    /// The block at `at` with these digits.
    fn block(&mut self, at: usize, digits: u64, each_run_start: &mut impl FnMut(usize)) {
        const WINDOW: u64 = (1 << DIGIT_SPAN) - 1;
        let mut rest = digits;
        // Counted here rather than with `count_ones`, which without
        // `popcnt` (not in the base x86_64 instruction set) is a dozen
        // instructions; at most 64.
        let mut count = 0u8;
        while rest != 0 {
            count += 1;
            let j = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let i = at + j;
            if self.last.is_some_and(|l| l + 1 == i) {
                self.run += 1;
            } else {
                self.run = 1;
                each_run_start(i);
            }
            self.last = Some(i);
            // Bit `DIGIT_SPAN - 1` of `window` is byte `i`, bit 0 the
            // byte `DIGIT_SPAN - 1` before it.
            let shift = DIGIT_SPAN - 1;
            let window = if j >= shift {
                (digits >> (j - shift)) & WINDOW
            } else {
                ((digits << (shift - j)) | (self.before >> (64 - (shift - j)))) & WINDOW
            };
            // Fewer than `DIGIT_RUN` digits: clearing the lowest digit
            // that many times less one leaves none (cheaper than
            // `count_ones` without `popcnt`).
            let mut fewer = window;
            for _ in 1..DIGIT_RUN {
                fewer &= fewer.wrapping_sub(1);
            }
            if fewer == 0 {
                continue;
            }
            // The oldest of the last `DIGIT_RUN` digits: drop the newer
            // ones, highest bits first.
            let mut older = window;
            for _ in 1..DIGIT_RUN {
                older &= !(1u64 << (63 - older.leading_zeros()));
            }
            let oldest = (i + 63 - older.leading_zeros() as usize) - shift;
            let s = i.saturating_sub(DIGIT_SPAN);
            let e = (oldest + DIGIT_SPAN).min(self.len);
            add_stretch(&mut self.out, s, e, self.run);
        }
        self.counts.push(count);
        self.before = digits;
    }
}

/// The DFA of `p`'s gate (`shape::after_literal`), in the pattern's own
/// modes: bytes or Unicode, and its case flag (its literals were taken
/// without it).
fn gate_of(p: &Pattern) -> Option<(regex_automata::dfa::dense::DFA<Vec<u32>>, FirstBytes)> {
    let byte_mode = p.src.starts_with("(?-u)");
    let own = if byte_mode {
        p.src.get("(?-u)".len()..)?
    } else {
        p.src.as_str()
    };
    let bare = strip_case_flag(own);
    let hir = shape::parse(bare)?;
    let body = shape::after_literal(&hir, &p.words)?;
    let gate = format!(
        "{}{}{body}",
        if byte_mode { "(?-u)" } else { "" },
        if bare.len() < own.len() { "(?i)" } else { "" }
    );
    dense_anchored(WIDE_DFA_LIMIT, |b| b.build(&gate).ok()).map(|dfa| {
        let first = FirstBytes::of(&dfa);
        (dfa, first)
    })
}

/// Adds the stretch `[s, e)` of a digit whose run so far is `run`,
/// merged with the last one when they touch (stretches come in order).
fn add_stretch(out: &mut Vec<(usize, usize, usize)>, s: usize, e: usize, run: usize) {
    let long = if run >= DIGIT_RUN { run } else { 0 };
    match out.last_mut() {
        Some(prev) if s <= prev.1 => {
            prev.1 = prev.1.max(e);
            prev.2 = prev.2.max(long);
        }
        _ => out.push((s, e, long)),
    }
}

/// The bytes on which some start state of an anchored DFA steps to a
/// state other than the dead one: 32 bytes, one cache line, where the
/// DFA's own rows are kilobytes. Most tries and gates die on their first
/// byte (counted: about 350,000 of the 560,000 tries per 16 MiB of mixed
/// text), and the load of the row that says so was about half of their
/// cost, a cache miss as often as not.
struct FirstBytes([u64; 4]);

impl FirstBytes {
    /// The set of `dfa`; every byte when a start state is itself
    /// special (dead, a match or accelerated) or cannot be had for some
    /// byte before: there `dies` answers without a step (no), and the set
    /// must not answer for it.
    fn of(dfa: &regex_automata::dfa::dense::DFA<Vec<u32>>) -> Self {
        use regex_automata::dfa::Automaton;
        let mut set = FirstBytes([0; 4]);
        let before = std::iter::once(None).chain((0..=255u8).map(Some));
        let mut starts = Vec::new();
        for lb in before {
            let config = regex_automata::util::start::Config::new()
                .anchored(regex_automata::Anchored::Yes)
                .look_behind(lb);
            match dfa.start_state(&config) {
                Ok(s) if !dfa.is_special_state(s) => {
                    if !starts.contains(&s) {
                        starts.push(s);
                    }
                }
                _ => return FirstBytes([u64::MAX; 4]),
            }
        }
        for s in starts {
            for b in 0..=255u8 {
                if !dfa.is_dead_state(dfa.next_state(s, b)) {
                    set.0[usize::from(b >> 6)] |= 1 << (b & 63);
                }
            }
        }
        set
    }

    /// Whether a try may go on past byte `b`.
    fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }
}

/// Whether `dfa` (anchored) reaches its dead state from `x` before any
/// match or special state and before `end`: then no match starts at `x`.
/// Most tries end so within a few bytes; stepping them here skips the
/// set-up of a search (about a third of a try's cost). Anything else
/// (a match, the end of the range) is left to the full search. `first`
/// is the DFA's `FirstBytes`.
fn dies(
    dfa: &regex_automata::dfa::dense::DFA<Vec<u32>>,
    first: &FirstBytes,
    hay: &[u8],
    x: usize,
    end: usize,
) -> bool {
    if x < end && hay.get(x).is_some_and(|&b| !first.contains(b)) {
        return true;
    }
    steps_to_dead(dfa, hay, x, end)
}

/// `dies` without the first byte's set: the DFA stepped from its start.
fn steps_to_dead(
    dfa: &regex_automata::dfa::dense::DFA<Vec<u32>>,
    hay: &[u8],
    x: usize,
    end: usize,
) -> bool {
    use regex_automata::dfa::Automaton;
    let config = regex_automata::util::start::Config::new()
        .anchored(regex_automata::Anchored::Yes)
        .look_behind(x.checked_sub(1).and_then(|j| hay.get(j)).copied());
    let Ok(mut s) = dfa.start_state(&config) else {
        return false;
    };
    if dfa.is_special_state(s) {
        return false;
    }
    for &b in hay.get(x..end).unwrap_or(&[]) {
        s = dfa.next_state(s, b);
        if dfa.is_special_state(s) {
            return dfa.is_dead_state(s);
        }
    }
    false
}

/// `SeparatorWalk` over a whole text at once (the tests' entry).
#[cfg(test)]
fn separators_near_hex(hay: &[u8], mut f: impl FnMut(usize)) {
    let mut walk = SeparatorWalk::default();
    crate::bytemask::for_each_block(hay, |at, block| {
        let m = crate::bytemask::masks(block, SEPARATORS);
        walk.block(at, m, &mut f);
    });
    walk.finish(&mut f);
}

/// Finds the separator bytes (`SEPARATORS`) that may start a separator
/// word next to a run of hex digits, in text order: every one that has
/// such a run of word bytes right before it, right after it or one
/// further (the end of a two-byte word), and no separator without a hex
/// digit in one of those three places. Where a run reaches past the
/// block, it is let through unchecked; `Engine::separator_at` checks
/// every word exactly.
///
/// Separators are common (every full stop of prose) and most have no hex
/// run on either side: they are found from the masks of each block
/// (`bytemask`), a block waiting for the next one's hex digits. The runs
/// are checked on the masks too: most separators beside a hex digit
/// touch other letters (`self.x`, `fn a::b`), and checking those byte by
/// byte for every separator word was a tenth of a scan's instructions.
#[derive(Default)]
struct SeparatorWalk {
    /// The block waiting: its offset and masks.
    waiting: Option<(usize, crate::bytemask::Masks)>,
    /// The hex digits of the block before it.
    hex_before: u64,
}

impl SeparatorWalk {
    /// The block at `at` with these masks; calls `f` for the separators
    /// of the block before it.
    fn block(&mut self, at: usize, m: crate::bytemask::Masks, f: &mut impl FnMut(usize)) {
        if let Some((w_at, w)) = self.waiting {
            near_hex_runs(w_at, &w, self.hex_before, m.hex, f);
            self.hex_before = w.hex;
        }
        self.waiting = Some((at, m));
    }

    /// Calls `f` for those of the last block.
    fn finish(&mut self, f: &mut impl FnMut(usize)) {
        if let Some((w_at, w)) = self.waiting.take() {
            near_hex_runs(w_at, &w, self.hex_before, 0, f);
        }
    }
}

/// Calls `f` for each separator of the block at `at` (masks `m`) that
/// has a hex digit right before it, right after it or one further, with
/// the hex digits of the blocks before and after it, and passes
/// `hex_run_beside`.
fn near_hex_runs(
    at: usize,
    m: &crate::bytemask::Masks,
    prev: u64,
    next: u64,
    f: &mut impl FnMut(usize),
) {
    let hex = m.hex;
    let near = (hex << 1 | prev >> 63) | (hex >> 1 | next << 63) | (hex >> 2 | next << 62);
    let mut rest = m.separators & near;
    while rest != 0 {
        let j = rest.trailing_zeros();
        rest &= rest - 1;
        if hex_run_beside(m.word, hex, j) {
            f(at + j as usize);
        }
    }
}

/// Whether the word bytes right before bit `j`, or right from bit `j + 1`
/// or `j + 2`, may be a non-empty run of hex digits: true when they are,
/// or when the run reaches past the block's edge (not known here).
fn hex_run_beside(word: u64, hex: u64, j: u32) -> bool {
    // Bits [lo, hi) of a mask, for lo < hi <= 63.
    let span = |lo: u32, hi: u32| ((1u64 << (hi - lo)) - 1) << lo;
    let hex_run = |run: u64| run != 0 && run & !hex == 0;
    let before = || {
        let below = !word & ((1u64 << j) - 1);
        // `j == 0`, or word bytes down to the block's start.
        if below == 0 {
            return true;
        }
        let lo = 64 - below.leading_zeros();
        hex_run(if lo < j { span(lo, j) } else { 0 })
    };
    let after = |k: u32| {
        if k >= 64 {
            return true;
        }
        let above = !word & (u64::MAX << k);
        if above == 0 {
            return true;
        }
        let hi = above.trailing_zeros();
        hex_run(if hi > k { span(k, hi) } else { 0 })
    };
    before() || after(j + 1) || after(j + 2)
}

/// Whether the word characters right before `s` or right from `e` are a
/// non-empty run of hex digits.
fn next_to_hex_run(hay: &[u8], s: usize, e: usize) -> bool {
    next_to_run(hay, s, e, u8::is_ascii_hexdigit)
}

/// Whether the word characters right before `s` or right from `e` are a
/// non-empty run of bytes that `run` holds (ASCII word bytes).
fn next_to_run(hay: &[u8], s: usize, e: usize, run: impl Fn(&u8) -> bool + Copy) -> bool {
    let run_at = |i: Option<usize>| i.and_then(|i| hay.get(i)).is_some_and(&run);
    // Most separators (`self.x`, `a::b`) fail on the next byte already.
    if !run_at(s.checked_sub(1)) && !run_at(Some(e)) {
        return false;
    }
    let before = hay.get(..s).unwrap_or(&[]);
    let after = hay.get(e..).unwrap_or(&[]);
    starts_with_run(before.iter().rev(), run) || starts_with_run(after.iter(), run)
}

/// Whether the word characters an iterator starts with are a non-empty
/// run of bytes that `run` holds.
fn starts_with_run<'a>(bytes: impl Iterator<Item = &'a u8>, run: impl Fn(&u8) -> bool) -> bool {
    let mut n = 0usize;
    for b in bytes {
        if !(b.is_ascii_alphanumeric() || *b == b'_') {
            break;
        }
        if !run(b) {
            return false;
        }
        n += 1;
    }
    n > 0
}

/// Whether a word begins and ends with an ASCII letter or digit (then it
/// only counts standing alone).
fn whole_word(w: &str) -> bool {
    let b = w.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
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

/// The pattern without a leading `(?i)` (after an optional `(?-u)`), for
/// literal extraction only.
fn strip_case_flag(p: &str) -> &str {
    let rest = p.strip_prefix("(?-u)").unwrap_or(p);
    rest.strip_prefix("(?i)").unwrap_or(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_keep_the_strongest_in_text_order() {
        let ent = |ty: &str, start: usize, end: usize, score: f32, validated: bool| Entity {
            type_id: ty.into(),
            start,
            end,
            score,
            validated,
            grade: Grade::S3,
            category: "test".into(),
            context: false,
        };
        let kept = |found: Vec<(Entity, bool)>| -> Vec<String> {
            resolve_overlaps(found)
                .into_iter()
                .map(|e| e.type_id)
                .collect()
        };
        // Validated beats a higher score, which beats a longer span.
        let found = vec![
            (ent("long", 0, 20, 0.6, false), false),
            (ent("scored", 2, 10, 0.9, false), false),
            (ent("valid", 5, 12, 0.5, true), false),
        ];
        assert_eq!(kept(found), ["valid"]);
        let found = vec![
            (ent("long", 0, 20, 0.6, false), false),
            (ent("scored", 2, 10, 0.9, false), false),
        ];
        assert_eq!(kept(found), ["scored"]);
        // Equal score: the longer; then a country's format; then the
        // earlier start.
        let found = vec![
            (ent("short", 0, 8, 0.7, false), false),
            (ent("longer", 4, 14, 0.7, false), false),
        ];
        assert_eq!(kept(found), ["longer"]);
        let found = vec![
            (ent("global", 0, 10, 0.7, false), false),
            (ent("uk", 0, 10, 0.7, false), true),
        ];
        assert_eq!(kept(found), ["uk"]);
        let found = vec![
            (ent("second", 5, 15, 0.7, false), false),
            (ent("first", 0, 10, 0.7, false), false),
        ];
        assert_eq!(kept(found), ["first"]);
        // Disjoint ones all stay, in text order, whatever order they came
        // in; one overlapping a kept neighbour on either side does not.
        let found = vec![
            (ent("c", 30, 40, 0.5, false), false),
            (ent("a", 0, 10, 0.9, false), false),
            (ent("b", 10, 20, 0.9, false), false),
            (ent("bridge", 8, 32, 0.4, false), false),
        ];
        assert_eq!(kept(found), ["a", "b", "c"]);
    }

    #[test]
    fn context_words_count_up_to_the_window_edge() {
        let engine = Engine::builtin().expect("catalogue loads");
        let dob = |text: &str| {
            engine
                .scan(text)
                .iter()
                .any(|e| e.type_id == "date_of_birth")
        };
        // The word's end may touch the window's start, its start the
        // window's end: `CONTEXT_WINDOW` bytes either side of the value.
        let gap = |n: usize| " ".repeat(n);
        assert!(dob(&format!("DOB{}1988-08-09", gap(CONTEXT_WINDOW))));
        assert!(!dob(&format!("DOB{}1988-08-09", gap(CONTEXT_WINDOW + 1))));
        assert!(dob(&format!("1988-08-09{}DOB", gap(CONTEXT_WINDOW))));
        assert!(!dob(&format!("1988-08-09{}DOB", gap(CONTEXT_WINDOW + 1))));
        // Inside a longer word it does not count.
        assert!(!dob("DOBBY 1988-08-09"));
    }

    #[test]
    fn hotspots_need_five_digits_within_the_span() {
        let none = digit_hotspots(b"ab 1234 cd", |_| {});
        assert!(none.is_empty());
        // Exactly five, spread over 13 bytes: from 24 before the last to
        // 24 after the first (clipped to the text).
        let text = b"Medicare number 1EG4-TE5-MK73";
        let mut starts = Vec::new();
        let hot = digit_hotspots(text, |i| starts.push(i));
        assert_eq!(starts, vec![16, 19, 23, 27]);
        assert_eq!(hot, vec![(28 - DIGIT_SPAN, text.len(), 0)]);
        // Five digits too far apart.
        let far = format!("1 2 3 4{}5", " ".repeat(DIGIT_SPAN));
        assert!(digit_hotspots(far.as_bytes(), |_| {}).is_empty());
        // The longest run of consecutive digits, in each stretch.
        let runs = format!("12 34 5 1234567{}123456", " ".repeat(3 * DIGIT_SPAN));
        let hot = digit_hotspots(runs.as_bytes(), |_| {});
        assert_eq!(hot.iter().map(|h| h.2).collect::<Vec<_>>(), vec![7, 6]);
        let short = digit_hotspots(b"12 34 5 123 4", |_| {});
        assert_eq!(short.iter().map(|h| h.2).collect::<Vec<_>>(), vec![0]);
    }

    /// The hotspots by one digit at a time, as they were found before the
    /// block masks: the reference for `digit_hotspots`.
    fn hotspots_by_digit(hay: &[u8]) -> (Vec<(usize, usize, usize)>, Vec<usize>) {
        let mut out: Vec<(usize, usize, usize)> = Vec::new();
        let mut starts = Vec::new();
        let digits: Vec<usize> = (0..hay.len())
            .filter(|&i| hay[i].is_ascii_digit())
            .collect();
        let mut run = 0;
        for (k, &i) in digits.iter().enumerate() {
            if k > 0 && digits[k - 1] + 1 == i {
                run += 1;
            } else {
                run = 1;
                starts.push(i);
            }
            if k + 1 < DIGIT_RUN || i - digits[k + 1 - DIGIT_RUN] >= DIGIT_SPAN {
                continue;
            }
            let oldest = digits[k + 1 - DIGIT_RUN];
            let (s, e) = (
                i.saturating_sub(DIGIT_SPAN),
                (oldest + DIGIT_SPAN).min(hay.len()),
            );
            add_stretch(&mut out, s, e, run);
        }
        (out, starts)
    }

    /// A text of `units`, each pick `(unit, times)` in turn.
    fn units_repeated(picks: &[(usize, usize)], units: &[&[u8]]) -> Vec<u8> {
        let mut hay = Vec::new();
        for &(kind, n) in picks {
            for _ in 0..n {
                hay.extend_from_slice(units[kind]);
            }
        }
        hay
    }

    proptest::proptest! {
        /// Digits, letters and gaps at random, across block edges.
        #[test]
        fn hotspots_equal_the_digit_by_digit_reference(
            picks in proptest::collection::vec((0usize..6, 1usize..30), 0..80),
        ) {
            let hay = units_repeated(&picks, &[b"7", b"12 ", b"a", b"-", b" ", "é".as_bytes()]);
            let mut starts = Vec::new();
            let hot = digit_hotspots(&hay, |i| starts.push(i));
            proptest::prop_assert_eq!((hot, starts), hotspots_by_digit(&hay));
        }

        /// The digits a walk counts for a window are at least those in
        /// it, and exactly those when it covers whole blocks; a window
        /// meets a hotspot (of any run, or of a run at least so long)
        /// exactly when it overlaps one.
        #[test]
        fn windows_digits_and_hotspots_are_counted_from_the_walk(
            picks in proptest::collection::vec((0usize..6, 1usize..30), 0..80),
            s in 0usize..3000,
            len in 0usize..400,
            run in 0usize..9,
        ) {
            let hay = units_repeated(&picks, &[b"7", b"12 ", b"a", b"-", b" ", "é".as_bytes()]);
            let mut walk = DigitWalk::new(hay.len());
            crate::bytemask::for_each_block(&hay, |at, block| {
                walk.block(at, crate::bytemask::masks(block, SEPARATORS).digits, &mut |_| {});
            });
            let (s, e) = (s.min(hay.len()), (s + len).min(hay.len()));
            let digits = |a: usize, b: usize| hay[a..b].iter().filter(|c| c.is_ascii_digit()).count();
            proptest::prop_assert!(walk.digits_about(s, e) >= digits(s, e));
            let (bs, be) = (s / 64 * 64, (e.div_ceil(64) * 64).min(hay.len()));
            proptest::prop_assert_eq!(walk.digits_about(s, e), digits(bs, be));
            let overlaps = walk.out.iter().any(|&(hs, he, _)| hs < e && s < he);
            proptest::prop_assert_eq!(meets_hotspot(&walk.out, s, e, 0), overlaps);
            let long = walk.out.iter().any(|&(hs, he, r)| hs < e && s < he && r >= run);
            proptest::prop_assert_eq!(meets_hotspot(&walk.out, s, e, run), long);
        }
    }

    proptest::proptest! {
        /// Separators, hex digits and other bytes at random, across block
        /// edges, against the byte-by-byte definition.
        #[test]
        fn separators_near_hex_are_those_next_to_a_hex_run(
            picks in proptest::collection::vec((0usize..8, 1usize..20), 0..60),
        ) {
            let hay = units_repeated(
                &picks,
                &[b".", b":", b"-", b"f", b"9", b"x ", "é".as_bytes(), b"g"],
            );
            let mut got = Vec::new();
            separators_near_hex(&hay, |i| got.push(i));
            let seps = (0..hay.len()).filter(|&i| SEPARATORS.contains(&hay[i]));
            // What a separator word of one or two bytes at `i` needs.
            let exact = |i: usize| next_to_hex_run(&hay, i, i + 1) || next_to_hex_run(&hay, i, i + 2);
            // The same, letting through the runs that reach their block's
            // edge (the last block is padded with non-word bytes).
            let word = |i: usize| hay.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
            let block = |i: usize| i - i % 64..i - i % 64 + 64;
            let edge_before = |i: usize| (block(i).start..i).all(word);
            let edge_after = |i: usize, k: usize| k >= block(i).end || (k..block(i).end).all(word);
            let loose = |i: usize| {
                exact(i) || edge_before(i) || edge_after(i, i + 1) || edge_after(i, i + 2)
            };
            let hex = |i: Option<usize>| i.and_then(|i| hay.get(i)).is_some_and(u8::is_ascii_hexdigit);
            let near = |i: usize| hex(i.checked_sub(1)) || hex(Some(i + 1)) || hex(Some(i + 2));
            let want: Vec<usize> = seps.filter(|&i| near(i) && loose(i)).collect();
            proptest::prop_assert_eq!(&got, &want);
            // So nothing a separator word could use is dropped.
            for i in (0..hay.len()).filter(|&i| SEPARATORS.contains(&hay[i]) && exact(i)) {
                proptest::prop_assert!(got.contains(&i), "{} dropped", i);
            }
        }
    }

    /// An engine of one type, `ZX` and six digits, whose context words
    /// trigger nothing: they come from `Engine::context_near`.
    fn context_only_engine() -> Engine {
        let yaml = "types:\n  - id: zx\n    name: ZX\n    category: financial\n    grade: S3\n    score: 0.6\n    patterns: ['\\bZX\\d{6}\\b']\n    context: [ledger, acct]\n    examples: {positive: ['ZX123456 => ZX123456', 'a ZX654321 => ZX654321'], negative: [ZX12, ZX1234567]}\n";
        let cat = Catalog::from_sources(std::iter::once(("t.yaml".to_string(), yaml.to_string())))
            .expect("catalogue");
        Engine::new(cat).expect("engine")
    }

    #[test]
    fn context_only_words_count_up_to_the_window_edge() {
        let engine = context_only_engine();
        assert!(engine.context_words.is_some() && engine.context_roles.len() == 2);
        let context =
            |text: &str| -> Vec<bool> { engine.scan(text).iter().map(|e| e.context).collect() };
        let gap = |n: usize| " ".repeat(n);
        // The word's end may touch the window's start, its start the
        // window's end, in either case of letters.
        let (w, w1) = (gap(CONTEXT_WINDOW), gap(CONTEXT_WINDOW + 1));
        for (text, want) in [
            (format!("ledger{w}ZX123456"), true),
            (format!("ledger{w1}ZX123456"), false),
            (format!("ZX123456{w}ACCT"), true),
            (format!("ZX123456{w1}acct"), false),
        ] {
            assert_eq!(context(&text), [want], "{text:?}");
        }
        assert_eq!(context("ledgers ZX123456 subacct"), [false]);
        // Two stretches, searched joined: each value's context is its own.
        let far = format!("ZX111111 ledg{}er ZX222222 ledger", gap(300));
        assert_eq!(context(&far), [false, true]);
    }

    proptest::proptest! {
        /// Values, context words and gaps at random (long enough texts for
        /// the joined stretches to be stepped four ways): a value has
        /// context exactly when a word standing alone ends at most
        /// `CONTEXT_WINDOW` bytes before it or starts at most that far
        /// after it.
        #[test]
        fn context_only_words_are_found_wherever_they_count(
            picks in proptest::collection::vec((0usize..5, 0usize..140), 1..60),
        ) {
            let engine = context_only_engine();
            let units = ["ZX123456", "ledger", "ACCT", "xledger", "é"];
            let (mut text, mut values, mut words) = (String::new(), Vec::new(), Vec::new());
            for &(u, gap) in &picks {
                text.push_str(&" ".repeat(gap.max(1)));
                let at = text.len();
                text.push_str(units[u]);
                match u {
                    0 => values.push((at, text.len())),
                    1 | 2 => words.push((at, text.len())),
                    _ => {}
                }
            }
            let want: Vec<(usize, bool)> = values
                .iter()
                .map(|&(s, e)| {
                    let near = words.iter().any(|&(ws, we)| {
                        we + CONTEXT_WINDOW >= s && ws <= e + CONTEXT_WINDOW
                    });
                    (s, near)
                })
                .collect();
            let got: Vec<(usize, bool)> = engine.scan(&text).iter().map(|e| (e.start, e.context)).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn digit_bounds_stop_at_the_first_letter() {
        assert_eq!(digits_before_letter("+1-903-140-4508x769"), 11);
        assert_eq!(digits_before_letter("(898)666-3621 ext. 0135"), 10);
        assert_eq!(digits_before_letter("7.51"), 3);
        assert_eq!(digits_before_letter(""), 0);
    }

    #[test]
    fn decimal_separators_count_next_to_decimal_runs_only() {
        let at = |t: &str| t.find('.').expect("a dot");
        let near = |t: &str| next_to_run(t.as_bytes(), at(t), at(t) + 1, u8::is_ascii_digit);
        // A hex run is not a decimal one; the run is the whole word.
        assert!(!near("be.x"));
        assert!(!near("a1.x"));
        assert!(!near("x.2a"));
        assert!(near("1.x"));
        assert!(near("x.2"));
        assert!(near("v.10"));
        assert!(near("version 1.5"));
        // The engine still finds an address whose dots touch letters on
        // one side only.
        let e = Engine::builtin().expect("catalogue");
        let text = "host x1.2.3.4 and ab.10.0.0.7.";
        let found: Vec<&str> = e
            .scan(text)
            .iter()
            .filter(|x| x.type_id == "ipv4_address")
            .map(|x| &text[x.start..x.end])
            .collect();
        assert_eq!(found, ["1.2.3.4"]);
    }

    /// Anchored DFAs of the shapes the catalogue tries (word boundaries,
    /// a line start, a class before a number, a leading literal).
    fn first_byte_dfas() -> Vec<regex_automata::dfa::dense::DFA<Vec<u32>>> {
        [
            r"(?-u)(?:^|[^0-9.])((?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?-u:\b)",
            r"(?-u)(?i)(?-u:\b)((?:fe)?male|man|woman)(?-u:\b)",
            r"(?-u)(?m:^)[A-Z]{2}\d{2}",
            r"(?-u)pat[A-Za-z0-9]{3}\.",
            r"(?-u)(?:\+1 ?)?\d{3}",
            // Starts that `dies` gives up on at once: one that loops on
            // nearly every byte (accelerated), one that can never match.
            r"(?-u)[^x]*x",
            r"(?-u)[a&&b]",
            r"a*",
        ]
        .iter()
        .map(|p| dense_anchored(WIDE_DFA_LIMIT, |b| b.build(p).ok()).expect("builds"))
        .collect()
    }

    #[test]
    fn first_bytes_hold_every_byte_a_start_survives() {
        let dfas = first_byte_dfas();
        // Every byte leads on from `a*`'s start (its matches come a byte
        // late) and from the looping one's, which `dies` does not even
        // step (an accelerated start is special): its set must not
        // pre-empt that. Nothing leads on from the never-matching one.
        let n = dfas.len();
        for dfa in [&dfas[n - 3], &dfas[n - 1]] {
            assert!((0..=255u8).all(|b| FirstBytes::of(dfa).contains(b)));
        }
        assert!((0..=255u8).all(|b| !FirstBytes::of(&dfas[n - 2]).contains(b)));
        let ip = FirstBytes::of(&dfas[0]);
        assert!(ip.contains(b' ') && ip.contains(b'7') && ip.contains(b'x'));
        assert!(!ip.contains(b'.'));
        let gender = FirstBytes::of(&dfas[1]);
        assert!(gender.contains(b'M') && gender.contains(b'w') && !gender.contains(b'x'));
        assert!(!gender.contains(b' '));
    }

    proptest::proptest! {
        /// With its first byte's set, `dies` says what stepping says, at
        /// every place of texts made of the bytes these patterns use.
        #[test]
        fn first_bytes_change_no_verdict(
            text in proptest::collection::vec(
                proptest::sample::select(b"0123456789.+ \nAZapt-xMmanfe".to_vec()),
                0..40,
            ),
            cut in 0usize..8,
        ) {
            for dfa in first_byte_dfas() {
                let first = FirstBytes::of(&dfa);
                for x in 0..=text.len() {
                    let end = text.len().saturating_sub(cut).max(x);
                    proptest::prop_assert_eq!(
                        dies(&dfa, &first, &text, x, end),
                        steps_to_dead(&dfa, &text, x, end),
                        "at {} of {:?}", x, String::from_utf8_lossy(&text)
                    );
                }
            }
        }
    }

    #[test]
    fn separators_count_next_to_hex_runs_only() {
        let t = b"std::fmt fe80::1 self.x 10.0.0.1 a_b:c";
        let at = |needle: &str| {
            let n = needle.as_bytes();
            t.windows(n.len()).position(|w| w == n).expect("in text")
        };
        let i = at("::fmt");
        assert!(!next_to_hex_run(t, i, i + 2));
        let i = at("::1");
        assert!(next_to_hex_run(t, i, i + 2));
        let i = at(".x");
        assert!(!next_to_hex_run(t, i, i + 1));
        let i = at(".0.0");
        assert!(next_to_hex_run(t, i, i + 1));
        // Left of it `a_b` (an underscore joins words: not hex), right
        // of it `c`, which is.
        let i = at(":c");
        assert!(next_to_hex_run(t, i, i + 1));
    }
}
