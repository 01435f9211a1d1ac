//! Running patterns in their windows and at their tries, context words,
//! confirmation and the choice among overlapping candidates.

use super::*;

impl Engine {
    /// Runs pattern `pi` over its windows: `(type, start, end)` of each
    /// value.
    pub(super) fn run_pattern(
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
    pub(super) fn try_anchored(
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
    pub(super) fn take_anchored(
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
    pub(super) fn context_near(
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
    pub(super) fn near_context(
        &self,
        ti: usize,
        s: usize,
        e: usize,
        ctx: &[(usize, usize, usize)],
    ) -> bool {
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

    pub(super) fn confirm(
        &self,
        hay: &[u8],
        ti: usize,
        t: &DataType,
        value: &str,
        (s, e): (usize, usize),
        ctx: &[(usize, usize, usize)],
    ) -> Option<Entity> {
        let mut context = self.near_context(ti, s, e, ctx);
        // A value under a key of its own (`ts=…`, `"amount": …`) is what
        // that key says it is: a phone word elsewhere on the line does not
        // make a timestamp a phone number. (A credential's context word
        // names its provider, not the field: `api_key="sk-…"` beside a
        // DeepSeek URL.)
        if context && t.context_required && t.category != "credential" {
            if let Some(key) = key_of_value(hay, s) {
                context = t
                    .context
                    .iter()
                    .any(|w| contains_ignore_case(key, w.as_bytes()));
            }
        }
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
        if !validated && part_of_larger_number(hay, s, e) {
            return None;
        }
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

/// Whether the digits at `s..e` are a piece of a larger token rather than
/// a value of their own: glued by `.`, `-`, `/` or `:` to more digits
/// (`6,500.36`, `INV/2026/5771`, `02/18/2024`), numbered with `#` (an
/// order or ticket), or a national number right after a country code it
/// did not take in (`+39 0736979297` is one Italian number, not an
/// Australian one). An unvalidated pattern match is all shape, so a shape
/// cut out of a longer one is no evidence; a checksum-validated value
/// keeps its own judgement. Commas do not count: lists such as
/// `13800138000,13912345678` are separate values.
pub(super) fn part_of_larger_number(hay: &[u8], s: usize, e: usize) -> bool {
    let glue = |b: u8| matches!(b, b'.' | b'-' | b'/' | b':');
    let (Some(&first), Some(&last)) = (hay.get(s), e.checked_sub(1).and_then(|i| hay.get(i)))
    else {
        return false;
    };
    let before = &hay[..s];
    let after = hay.get(e..).unwrap_or_default();
    if first.is_ascii_digit() {
        match before {
            [.., d, g] if glue(*g) && d.is_ascii_digit() => return true,
            [.., b'#'] => return true,
            _ => {}
        }
        // `+CC` and an optional separator before a number that does not
        // start with the plus sign itself.
        let mut i = before.len();
        if i > 0 && matches!(before[i - 1], b' ' | b'.' | b'-') {
            i -= 1;
        }
        let digits_end = i;
        while i > 0 && before[i - 1].is_ascii_digit() && digits_end - i < 3 {
            i -= 1;
        }
        if (1..=3).contains(&(digits_end - i))
            && i > 0
            && before[i - 1] == b'+'
            && (i < 2 || !before[i - 2].is_ascii_alphanumeric())
        {
            return true;
        }
    }
    if last.is_ascii_digit() {
        if let [g, d, ..] = after {
            if glue(*g) && d.is_ascii_digit() {
                return true;
            }
        }
    }
    false
}

/// The key a value at `s` is written under in machine-written text: a
/// JSON member name (`"ts": 1695696135`, `"zip":"63152"`) or the name
/// before `=` in `key=value` logs and query strings. Prose and `Label:
/// value` forms have none (`call me at: …` names no field).
pub(super) fn key_of_value(hay: &[u8], s: usize) -> Option<&[u8]> {
    let before = hay.get(..s)?;
    let mut i = before.len();
    if i > 0 && before[i - 1] == b'"' {
        i -= 1;
    }
    if i > 0 && before[i - 1] == b'=' {
        let end = i - 1;
        let start = before[..end]
            .iter()
            .rposition(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
            .map_or(0, |p| p + 1);
        return (start < end).then(|| &before[start..end]);
    }
    while i > 0 && before[i - 1] == b' ' {
        i -= 1;
    }
    if i < 2 || before[i - 1] != b':' || before[i - 2] != b'"' {
        return None;
    }
    let end = i - 2;
    let open = before[..end].iter().rposition(|&b| b == b'"')?;
    (end - open <= 64).then(|| &before[open + 1..end])
}

/// Whether `needle` occurs in `hay`, ASCII case ignored.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// ASCII digits of a match up to its first ASCII letter (an extension
/// marker such as `x` or `ext`).
pub(super) fn digits_before_letter(value: &str) -> usize {
    value
        .bytes()
        .take_while(|b| !b.is_ascii_alphabetic())
        .filter(u8::is_ascii_digit)
        .count()
}

/// A score in thousandths, so that sums which are equal on paper
/// (0.8 − 0.1 and 0.6 + 0.1) compare equal in `f32` too.
pub(super) fn score_rank(score: f32) -> i32 {
    (score * 1000.0).round() as i32
}

/// Keeps, of overlapping candidates, the validated, then the higher
/// scored, then the longer, then the one of a country's format over a
/// global one (`specific`, the second of each pair: a UK mobile number
/// is also an international one); the result is in text order.
pub(super) fn resolve_overlaps(found: Vec<(Entity, bool)>) -> Vec<Entity> {
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
