//! Literal prefilter: one Aho-Corasick pass tells which patterns can match.
//!
//! A single `RegexSet` over hundreds of case-insensitive Unicode patterns
//! overflows the lazy DFA's cache and falls back to the PikeVM (measured:
//! ~3 ms for a 400-byte prompt with the shipped packs). Instead, each
//! pattern's required prefix literals are extracted with regex-syntax and
//! all of them go into one ASCII-case-insensitive automaton; a pattern's
//! own regex runs only when one of its literals occurs. Patterns without a
//! usable literal set (a leading class, a cased non-ASCII letter that ASCII
//! folding would miss) always run.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind};
use regex_syntax::ParserBuilder;

/// Which patterns to try for a text.
#[derive(Debug, Clone)]
pub struct Prefilter {
    ac: Option<AhoCorasick>,
    literal_pattern: Vec<usize>,
    always: Vec<usize>,
    patterns: usize,
}

/// Literals of which at least one occurs in every match of `pattern`
/// (lower-cased), or `None` when no finite, selective set exists.
///
/// Presence anywhere is all the prefilter needs, so besides the pattern's
/// own prefixes and suffixes any element of its top-level concatenation
/// will do: a match of the whole contains a match of each element. That
/// rescues patterns that open with `(?:^|\n)` or an optional group. The
/// most selective set (longest shortest literal, then fewest) wins.
fn literals(pattern: &str) -> Option<Vec<String>> {
    let hir = ParserBuilder::new().build().parse(pattern).ok()?;
    let mut parts = vec![&hir];
    if let HirKind::Concat(items) = hir.kind() {
        parts.extend(items.iter());
    }
    parts
        .into_iter()
        .flat_map(|h| {
            // Small class limits keep cross products finite; large ones
            // keep wide alternations exact. Either may be the one that
            // works for a given pattern, so both are tried.
            [4, 10, 64].into_iter().flat_map(move |classes| {
                [ExtractKind::Prefix, ExtractKind::Suffix]
                    .into_iter()
                    .filter_map(move |kind| literal_set(h, kind, classes))
            })
        })
        .max_by_key(|set| {
            let shortest = set
                .iter()
                .map(|l| l.chars().count().min(8))
                .min()
                .unwrap_or(0);
            (shortest, std::cmp::Reverse(set.len()))
        })
}

fn literal_set(hir: &Hir, kind: ExtractKind, classes: usize) -> Option<Vec<String>> {
    let suffix = matches!(kind, ExtractKind::Suffix);
    let mut seq = Extractor::new()
        .kind(kind)
        .limit_class(classes)
        .limit_total(2048)
        .extract(hir);
    if suffix {
        seq.optimize_for_suffix_by_preference();
    } else {
        seq.optimize_for_prefix_by_preference();
    }
    let lits = seq.literals()?;
    if lits.is_empty() || lits.len() > 512 {
        return None;
    }
    let mut out = Vec::with_capacity(lits.len());
    for l in lits {
        let s = std::str::from_utf8(l.as_bytes()).ok()?;
        // A single letter or space is not selective; a single punctuation
        // mark such as `<` or `[` is rare enough in prose to be worth it.
        let selective = s.len() >= 2 || s.bytes().all(|b| b.is_ascii_punctuation());
        if s.is_empty() || !selective {
            return None;
        }
        // Cased letters beyond ASCII are lower-cased: the automaton only
        // folds ASCII case, and the rules also scan the lower-cased view of
        // every text, where the lower-case literal is found.
        out.push(s.to_lowercase());
    }
    Some(out)
}

impl Prefilter {
    /// Builds the prefilter of compiled pattern sources (after boundary
    /// rewriting, without case flags).
    pub fn new(patterns: &[String]) -> Self {
        let mut lits = Vec::new();
        let mut literal_pattern = Vec::new();
        let mut always = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match literals(p) {
                Some(ls) => {
                    for l in ls {
                        lits.push(l);
                        literal_pattern.push(i);
                    }
                }
                None => always.push(i),
            }
        }
        let ac = if lits.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&lits)
                .ok()
        };
        if ac.is_none() {
            // Without an automaton every pattern must run.
            always = (0..patterns.len()).collect();
            literal_pattern.clear();
        }
        Self {
            ac,
            literal_pattern,
            always,
            patterns: patterns.len(),
        }
    }

    /// Marks in `cand` (one flag per pattern) the patterns worth running on
    /// `text`.
    pub fn candidates(&self, text: &str, cand: &mut Vec<bool>) {
        cand.clear();
        cand.resize(self.patterns, false);
        for &i in &self.always {
            cand[i] = true;
        }
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(text) {
                cand[self.literal_pattern[m.pattern().as_usize()]] = true;
            }
        }
    }

    /// How many patterns always run (for diagnostics).
    pub fn always_run(&self) -> usize {
        self.always.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternations_give_literals_and_classes_do_not() {
        let l = literals(r"(?:Ignore|disregard)").expect("literals");
        assert!(l.contains(&"ignore".to_string()) && l.contains(&"disregard".to_string()));
        // The most selective element wins.
        assert_eq!(
            literals(r"(?:a|b)\s+previous"),
            Some(vec!["previous".to_string()])
        );
        assert!(literals(r"[a-z]+").is_none());
        assert_eq!(literals(r"[a-z]+ foo"), Some(vec![" foo".to_string()]));
        assert!(literals("忽略(?:之前|以上)").is_some());
        assert_eq!(literals("Игнорируй"), Some(vec!["игнорируй".to_string()]));
        // An open start does not stop the prefilter: a later element's
        // literals are required too.
        let l = literals(r"(?:^|\n)\s*(?:new|updated)\s+instructions").expect("inner literals");
        assert!(
            l.iter()
                .all(|x| x.contains("instructions") || x == "new" || x == "updated"),
            "{l:?}"
        );
    }

    #[test]
    fn candidates_are_a_superset_of_matches() {
        let pats = vec!["ignore\\s+previous".to_string(), "[0-9]+".to_string()];
        let pf = Prefilter::new(&pats);
        let mut c = Vec::new();
        pf.candidates("please IGNORE previous", &mut c);
        assert_eq!(c, vec![true, true]);
        pf.candidates("nothing here", &mut c);
        assert_eq!(c, vec![false, true]);
        assert_eq!(pf.always_run(), 1);
    }
}
