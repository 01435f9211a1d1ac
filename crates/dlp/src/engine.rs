//! Detection: one multi-pattern pass says which patterns occur at all,
//! then only those run to find their spans; validators and context words
//! then confirm, score and filter the candidates, and overlaps resolve to
//! the strongest.
//!
//! Why a `RegexSet` first: most text holds no sensitive data, and the set
//! answers "nothing here" in a single lazy-DFA pass whatever the size of
//! the catalogue; a per-pattern loop would cost one pass per pattern.

use crate::catalog::{Catalog, CatalogError, DataType, Grade};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Serialize;

/// How far (bytes) around a match context words count.
const CONTEXT_WINDOW: usize = 64;

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

struct Pattern {
    ty: usize,
    re: Regex,
    group: usize,
}

/// A compiled catalogue.
pub struct Engine {
    catalog: Catalog,
    set: RegexSet,
    patterns: Vec<Pattern>,
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

    /// Compiles a catalogue; a pattern that does not compile is an error
    /// naming its file and type.
    pub fn new(catalog: Catalog) -> Result<Self, CatalogError> {
        let mut patterns = Vec::new();
        let mut sources = Vec::new();
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
                patterns.push(Pattern {
                    ty: ti,
                    re,
                    group: t.value_group,
                });
                sources.push(src);
            }
            for w in &t.context {
                let w = w.to_lowercase();
                if w.is_empty() {
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
        let set = RegexSetBuilder::new(&sources)
            .size_limit(1 << 26)
            .dfa_size_limit(1 << 26)
            .build()
            .map_err(|e| CatalogError::Invalid {
                file: "catalogue".into(),
                id: "*".into(),
                message: format!("the pattern set does not compile: {e}"),
            })?;
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
            set,
            patterns,
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
        let hits = self.set.matches(hay);
        if !hits.matched_any() {
            return Vec::new();
        }
        let mut cands: Vec<(usize, usize, usize)> = Vec::new(); // (type, start, end)
        for pi in hits.iter() {
            let Some(p) = self.patterns.get(pi) else {
                continue;
            };
            if p.group == 0 {
                for m in p.re.find_iter(hay) {
                    cands.push((p.ty, m.start(), m.end()));
                }
            } else {
                for c in p.re.captures_iter(hay) {
                    if let Some(m) = c.get(p.group) {
                        cands.push((p.ty, m.start(), m.end()));
                    }
                }
            }
        }
        let ctx = self.context_hits(text, !cands.is_empty());
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
    fn context_hits(&self, text: &str, any: bool) -> Vec<(usize, usize, usize)> {
        let (true, Some(ac)) = (any, &self.context) else {
            return Vec::new();
        };
        ac.find_overlapping_iter(text)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect()
    }

    fn near_context(&self, ti: usize, s: usize, e: usize, ctx: &[(usize, usize, usize)]) -> bool {
        let lo = s.saturating_sub(CONTEXT_WINDOW);
        let hi = e + CONTEXT_WINDOW;
        ctx.iter().any(|&(cs, ce, w)| {
            ce >= lo && cs <= hi && self.context_types.get(w).is_some_and(|ts| ts.contains(&ti))
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
