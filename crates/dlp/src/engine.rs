//! Detection without reading the text once per pattern. Each pattern
//! has a trigger, found in one pass for all patterns together:
//! - a literal every match contains (`sk-`, `AKIA`, `@`, `-----BEGIN`),
//!   extracted from the regex; context words stand in for the literal of
//!   types that need context anyway;
//! - a dense run of digits, for number formats without a literal (ids,
//!   phones, cards): five or more ASCII digits within 24 bytes;
//! - none: the pattern runs over the whole text (few do).
//!
//! A pattern then runs only over small windows around its triggers,
//! widened to token boundaries so its own edge guards still work.
//! Validators and context words confirm and score the candidates, and
//! overlaps resolve to the strongest.
//!
//! Why not a `RegexSet`: on large texts one match anywhere sends every
//! matching pattern over the whole text again, and hundreds of number
//! patterns in one lazy DFA thrash its cache (measured: 23 MB/s with 42
//! types; the triggers are what make hundreds of MB/s possible).

use crate::catalog::{Catalog, CatalogError, DataType, Grade};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder};
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
}

/// Digits that make a number-format trigger, within `DIGIT_SPAN` bytes.
const DIGIT_RUN: usize = 5;
const DIGIT_SPAN: usize = 24;

/// A compiled catalogue.
pub struct Engine {
    catalog: Catalog,
    patterns: Vec<Pattern>,
    /// Literals (and context words of context-only types) → patterns.
    triggers: Option<AhoCorasick>,
    trigger_patterns: Vec<Vec<usize>>,
    digit_patterns: Vec<usize>,
    /// The number patterns together: which of them occur in a window.
    digit_set: Option<regex::bytes::RegexSet>,
    digit_reach: usize,
    /// The patterns without a trigger together: which occur at all.
    always_set: Option<regex::bytes::RegexSet>,
    /// Per trigger word: it must stand alone (an ASCII word is not
    /// triggered inside a longer word: `pan` in `Japan`).
    trigger_whole: Vec<bool>,
    /// Per context word: the same.
    context_whole: Vec<bool>,
    always: Vec<usize>,
    context: Option<AhoCorasick>,
    /// Per context word: the types it supports.
    context_types: Vec<Vec<usize>>,
    /// Below this score nothing is reported.
    pub min_score: f32,
}

/// Compiles in ASCII mode when the pattern allows it (faster, and `\b`
/// and `\d` then mean what identifier formats need), else with Unicode.
fn compile(src: &str) -> Result<(Regex, String), String> {
    let ascii = format!("(?-u){src}");
    if let Ok(r) = RegexBuilder::new(&ascii).size_limit(1 << 24).build() {
        return Ok((r, ascii));
    }
    RegexBuilder::new(src)
        .size_limit(1 << 24)
        .build()
        .map(|r| (r, src.to_string()))
        .map_err(|e| e.to_string())
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
        let mut patterns = Vec::new();
        let mut trigger_words: Vec<String> = Vec::new();
        let mut trigger_patterns: Vec<Vec<usize>> = Vec::new();
        // Trigger words that came from context (matched as whole words).
        let mut context_triggers = std::collections::HashSet::new();
        let mut words: Vec<String> = Vec::new();
        let mut context_types: Vec<Vec<usize>> = Vec::new();
        for (ti, t) in catalog.types().iter().enumerate() {
            for (pi, p) in t.patterns.iter().enumerate() {
                let (re, src) = compile(p).map_err(|e| CatalogError::Invalid {
                    file: t.file.clone(),
                    id: t.id.clone(),
                    message: format!("patterns[{pi}] does not compile: {e}"),
                })?;
                if t.value_group > re.captures_len().saturating_sub(1) {
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
                let min_digits = values
                    .iter()
                    .map(|v| v.bytes().filter(u8::is_ascii_digit).count())
                    .min()
                    .unwrap_or(0);
                // Short or all-digit literals (`19` of a birth year) occur
                // everywhere numbers do: such patterns trigger on digits.
                // Case-insensitive patterns yield no finite literal set
                // (every letter doubles it); the trigger automaton folds
                // ASCII case itself, so their literals are taken from the
                // pattern without the flag.
                let lits = palisade_rules::prefilter::literals(strip_case_flag(p))
                    .map(|(l, _)| l)
                    .filter(|l| {
                        l.iter().all(|w| {
                            (w.len() >= 3 && !w.bytes().all(|b| b.is_ascii_digit()))
                                || (!w.is_empty() && w.bytes().all(|b| b.is_ascii_punctuation()))
                        })
                    });
                let pi_now = patterns.len();
                let trigger = if let Some(lits) = lits {
                    for l in lits {
                        trigger_of(&mut trigger_words, &mut trigger_patterns, l, pi_now);
                    }
                    Trigger::Literal
                } else if t.context_required && !t.context.is_empty() {
                    for w in &t.context {
                        let w = w.to_lowercase();
                        if whole_word(&w) {
                            context_triggers.insert(w.clone());
                        }
                        trigger_of(&mut trigger_words, &mut trigger_patterns, w, pi_now);
                    }
                    Trigger::Context
                } else if min_digits >= DIGIT_RUN {
                    Trigger::Digits
                } else {
                    Trigger::Always
                };
                patterns.push(Pattern {
                    ty: ti,
                    re,
                    src,
                    group: t.value_group,
                    trigger,
                    // Context-only triggers sit up to a window away.
                    reach: 2 * longest + 2 * CONTEXT_WINDOW + 64,
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
        let triggers = if trigger_words.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&trigger_words)
                    .map_err(|e| CatalogError::Invalid {
                        file: "catalogue".into(),
                        id: "*".into(),
                        message: format!("trigger automaton: {e}"),
                    })?,
            )
        };
        let digit_patterns: Vec<usize> = (0..patterns.len())
            .filter(|&i| patterns[i].trigger == Trigger::Digits)
            .collect();
        let digit_set = if digit_patterns.is_empty() {
            None
        } else {
            let srcs: Vec<&str> = digit_patterns
                .iter()
                .filter_map(|&i| patterns.get(i).map(|p| p.src.as_str()))
                .collect();
            Some(
                regex::bytes::RegexSetBuilder::new(srcs)
                    .size_limit(1 << 26)
                    .dfa_size_limit(1 << 26)
                    .build()
                    .map_err(|e| CatalogError::Invalid {
                        file: "catalogue".into(),
                        id: "*".into(),
                        message: format!("number patterns do not compile together: {e}"),
                    })?,
            )
        };
        let always_srcs: Vec<&str> = patterns
            .iter()
            .filter(|p| p.trigger == Trigger::Always)
            .map(|p| p.src.as_str())
            .collect();
        let always_set = if always_srcs.is_empty() {
            None
        } else {
            regex::bytes::RegexSetBuilder::new(always_srcs)
                .size_limit(1 << 26)
                .dfa_size_limit(1 << 26)
                .build()
                .ok()
        };
        // A word that is both a pattern literal and a context word is
        // matched anywhere: the literal needs that.
        let literal_words: std::collections::HashSet<&String> = trigger_words
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                trigger_patterns.get(*i).is_some_and(|ps| {
                    ps.iter().any(|&p| {
                        patterns
                            .get(p)
                            .is_some_and(|q| q.trigger == Trigger::Literal)
                    })
                })
            })
            .map(|(_, w)| w)
            .collect();
        let trigger_whole = trigger_words
            .iter()
            .map(|w| context_triggers.contains(w) && !literal_words.contains(w))
            .collect();
        let context_whole = words.iter().map(|w| whole_word(w)).collect();
        let digit_reach = digit_patterns
            .iter()
            .filter_map(|&i| patterns.get(i).map(|p| p.reach))
            .max()
            .unwrap_or(0);
        let always = (0..patterns.len())
            .filter(|&i| patterns[i].trigger == Trigger::Always)
            .collect();
        let context = if words.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&words)
                .ok()
        };
        Ok(Self {
            catalog,
            patterns,
            triggers,
            trigger_patterns,
            digit_patterns,
            digit_set,
            digit_reach,
            always_set,
            trigger_whole,
            context_whole,
            always,
            context,
            context_types,
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
        // Per pattern: windows to search, as (start, end) byte ranges.
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.patterns.len()];
        if let Some(ac) = &self.triggers {
            for m in ac.find_overlapping_iter(hay) {
                let w = m.pattern().as_usize();
                if self.trigger_whole.get(w).copied().unwrap_or(false)
                    && !stands_alone(hay, m.start(), m.end())
                {
                    continue;
                }
                for &pi in self.trigger_patterns.get(w).into_iter().flatten() {
                    if let Some(p) = self.patterns.get(pi) {
                        push_window(&mut windows[pi], hay, m.start(), m.end(), p.reach);
                    }
                }
            }
        }
        if !self.digit_patterns.is_empty() {
            // One window list for all number patterns, with the widest
            // reach among them.
            let mut dw = Vec::new();
            for (s, e) in digit_hotspots(hay) {
                push_window(&mut dw, hay, s, e, self.digit_reach);
            }
            if let Some(set) = &self.digit_set {
                for &(ws, we) in &dw {
                    let Some(w) = hay.get(ws..we) else { continue };
                    for k in set.matches(w).iter() {
                        if let Some(&pi) = self.digit_patterns.get(k) {
                            windows[pi].push((ws, we));
                        }
                    }
                }
            }
        }
        match &self.always_set {
            Some(set) => {
                for k in set.matches(hay).iter() {
                    if let Some(&pi) = self.always.get(k) {
                        windows[pi] = vec![(0, hay.len())];
                    }
                }
            }
            None => {
                for &pi in &self.always {
                    windows[pi] = vec![(0, hay.len())];
                }
            }
        }
        let mut cands: Vec<(usize, usize, usize)> = Vec::new(); // (type, start, end)
        for (pi, ws) in windows.iter().enumerate() {
            let Some(p) = self.patterns.get(pi) else {
                continue;
            };
            for &(ws, we) in ws {
                let Some(w) = hay.get(ws..we) else { continue };
                if p.group == 0 {
                    for m in p.re.find_iter(w) {
                        cands.push((p.ty, ws + m.start(), ws + m.end()));
                    }
                } else {
                    for c in p.re.captures_iter(w) {
                        if let Some(m) = c.get(p.group) {
                            cands.push((p.ty, ws + m.start(), ws + m.end()));
                        }
                    }
                }
            }
        }
        if cands.is_empty() {
            return Vec::new();
        }
        let ctx = self.context_hits(text, &cands);
        let mut found: Vec<Entity> = Vec::new();
        cands.sort_unstable();
        cands.dedup();
        for (ti, s, e) in cands {
            let (Some(t), Some(value)) = (self.catalog.types().get(ti), text.get(s..e)) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            if let Some(ent) = self.confirm(ti, t, value, s, e, &ctx) {
                found.push(ent);
            }
        }
        resolve_overlaps(found)
    }

    /// Positions of context words: `(start, end, word)`, sorted.
    /// Context words near the candidates: searched only in the
    /// candidates' neighbourhoods (merged), not the whole text, so the
    /// cost follows the number of candidates.
    fn context_hits(
        &self,
        text: &str,
        cands: &[(usize, usize, usize)],
    ) -> Vec<(usize, usize, usize)> {
        let Some(ac) = &self.context else {
            return Vec::new();
        };
        let hay = text.as_bytes();
        let pad = CONTEXT_WINDOW + MAX_CONTEXT_WORD;
        let mut spans: Vec<(usize, usize)> = cands
            .iter()
            .map(|&(_, s, e)| (s.saturating_sub(pad), (e + pad).min(hay.len())))
            .collect();
        spans.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let mut hits = Vec::new();
        for (ws, we) in merged {
            let Some(w) = hay.get(ws..we) else { continue };
            for m in ac.find_overlapping_iter(w) {
                let (s, e) = (ws + m.start(), ws + m.end());
                let whole = self
                    .context_whole
                    .get(m.pattern().as_usize())
                    .copied()
                    .unwrap_or(false);
                if !whole || stands_alone(hay, s, e) {
                    hits.push((s, e, m.pattern().as_usize()));
                }
            }
        }
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    /// `ctx` is sorted by start: only the hits that can fall in the window
    /// are looked at (a context word's length bounds how far before the
    /// window its start can be), so the cost does not grow with the
    /// number of context hits in the whole text.
    fn near_context(&self, ti: usize, s: usize, e: usize, ctx: &[(usize, usize, usize)]) -> bool {
        let lo = s.saturating_sub(CONTEXT_WINDOW);
        let hi = e + CONTEXT_WINDOW;
        let first = ctx.partition_point(|&(cs, _, _)| cs + MAX_CONTEXT_WORD < lo);
        ctx.get(first..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&(cs, _, _)| cs <= hi)
            .any(|&(_, ce, w)| {
                ce >= lo && self.context_types.get(w).is_some_and(|ts| ts.contains(&ti))
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
        let validated = match &t.validator {
            Some(v) => {
                if crate::validate::validate(v, value) != Some(true) {
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

/// Keeps, of overlapping candidates, the validated, then the higher
/// scored, then the longer; the result is in text order.
fn resolve_overlaps(mut found: Vec<Entity>) -> Vec<Entity> {
    found.sort_by(|a, b| {
        b.validated
            .cmp(&a.validated)
            .then(b.score.total_cmp(&a.score))
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Entity> = Vec::with_capacity(found.len());
    for f in found {
        if kept.iter().all(|k| f.end <= k.start || f.start >= k.end) {
            kept.push(f);
        }
    }
    kept.sort_by_key(|k| (k.start, k.end));
    kept
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

/// Adds `[s - reach, e + reach)` widened to token boundaries (at most
/// 256 bytes further), merged with the previous window when they touch.
fn push_window(ws: &mut Vec<(usize, usize)>, hay: &[u8], s: usize, e: usize, reach: usize) {
    // Triggers come in text order and often cluster: one already covered
    // costs nothing.
    if let Some(last) = ws.last() {
        if s.saturating_sub(reach) >= last.0 && e + reach <= last.1 {
            return;
        }
    }
    let mut lo = s.saturating_sub(reach);
    let stop = lo.saturating_sub(256);
    while lo > stop && hay.get(lo - 1).is_some_and(|&b| !is_boundary(b)) {
        lo -= 1;
    }
    let mut hi = (e + reach).min(hay.len());
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

/// Stretches of text where at least `DIGIT_RUN` ASCII digits fall within
/// `DIGIT_SPAN` bytes: where number formats can be.
fn digit_hotspots(hay: &[u8]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut count = 0usize;
    for (i, &b) in hay.iter().enumerate() {
        if b.is_ascii_digit() {
            count += 1;
        }
        if i >= DIGIT_SPAN && hay.get(i - DIGIT_SPAN).is_some_and(u8::is_ascii_digit) {
            count -= 1;
        }
        if count >= DIGIT_RUN {
            let s = i.saturating_sub(DIGIT_SPAN);
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = i + 1,
                _ => out.push((s, i + 1)),
            }
        }
    }
    out
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
