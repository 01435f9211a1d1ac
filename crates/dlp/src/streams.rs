//! The automaton of the catalogue's trigger and context words, stepped
//! over four stretches of a text at once.
//!
//! Why by hand: an Aho–Corasick DFA's overlapping search can use no
//! prefilter, so it steps every byte, and each step waits for the one
//! before (the next state is a load that depends on the last): about 48 ms
//! per 16 MiB of the benchmark's mixed text with the `aho-corasick` crate,
//! whatever the words. Four independent stretches stepped in one loop keep
//! four such loads in flight; the same matches then cost about 14 ms. The
//! crate offers no such search, so this module copies the crate's own
//! automaton (its noncontiguous NFA, same words, same options) into a dense
//! table and steps that. The copy is exact: every state reachable from the
//! unanchored start, and each state's matches in the crate's order, so
//! matches come out as from the crate's `find_overlapping_iter` over its
//! DFA (tests compare them).

use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::noncontiguous;
use aho_corasick::{Anchored, MatchKind};

/// Texts shorter than this are stepped as one stretch, where the
/// warm-ups would cost more than the four stretches save (measured with
/// `scan_loop`: the credential types over 2 KiB pieces 10.5 → 8.0 µs
/// split, 11.2 µs not split at 4096).
const SPLIT_MIN: usize = 512;

/// Texts are stepped in blocks of this many bytes (four stretches each):
/// the hits of one block wait in memory for their turn, not a whole
/// text's.
const BLOCK: usize = 1 << 16;
/// Stretches stepped at once. Six or eight were slower (`scan_loop`, the
/// automaton alone: 18.7 ms per 16 MiB with four, 20 with eight): their
/// states and pointers no longer fit the registers.
const N: usize = 4;

/// Bytes in about the order of their frequency in English prose and code,
/// lower-cased.
const COMMON: &[u8] = b" etaoinsrhldcumfpgwybvkxjqz\n.,_-:/'\"()=;0123456789";

/// A dense copy of a case-insensitive, overlapping Aho–Corasick DFA.
pub(crate) struct StreamDfa {
    /// Byte → class: a byte that occurs in no word (in either ASCII case)
    /// is class 0, every other byte (folded) its own class.
    class: [u8; 256],
    /// Transitions, premultiplied: state index × `stride` + class gives
    /// the next state's index × `stride`.
    trans: Vec<u32>,
    stride: u32,
    start: u32,
    /// States from this (premultiplied) id on are match states.
    match_from: u32,
    /// Per match state (in order): the range of its words in `matches`.
    match_ranges: Vec<(u32, u32)>,
    matches: Vec<u32>,
    /// Byte length of each word.
    word_len: Vec<u32>,
    /// The longest word: a stretch is warmed up over this many bytes
    /// before it, after which its state is the whole text's there.
    max_len: usize,
}

/// Where each of the crate's states went in the breadth-first order.
#[derive(Default)]
struct StateIndex(Vec<usize>);

impl StateIndex {
    fn get(&self, sid: usize) -> Option<usize> {
        self.0.get(sid).copied().filter(|&i| i != usize::MAX)
    }

    fn insert(&mut self, sid: usize, at: usize) {
        if sid >= self.0.len() {
            self.0.resize(sid + 1, usize::MAX);
        }
        self.0[sid] = at;
    }
}

impl StreamDfa {
    /// Builds the automaton of `words` (ASCII case-insensitive, standard
    /// overlapping semantics).
    pub(crate) fn new(words: &[String]) -> Result<Self, String> {
        // The crate's NFA, not its DFA: the same states and matches (the
        // DFA is built from it), without a second 10 MB table at start-up.
        let automaton = noncontiguous::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(words)
            .map_err(|e| e.to_string())?;
        // Bytes common in text get the first classes: the transitions a
        // state takes most often then share a few cache lines (the table
        // is megabytes; the automaton alone 22.6 → 21.5 ms per 16 MiB).
        let mut used = [false; 256];
        for w in words {
            for &b in w.as_bytes() {
                used[usize::from(b.to_ascii_lowercase())] = true;
            }
        }
        let rank = |b: u8| {
            COMMON
                .iter()
                .position(|&c| c == b)
                .unwrap_or(COMMON.len() + usize::from(b))
        };
        let mut order: Vec<u8> = (0..=255u8).filter(|&b| used[usize::from(b)]).collect();
        order.sort_by_key(|&b| rank(b));
        let mut class = [0u8; 256];
        let mut classes = 1usize;
        for b in order {
            let c = u8::try_from(classes).map_err(|_| "more than 255 byte classes")?;
            class[usize::from(b)] = c;
            classes += 1;
        }
        for b in 0..=255u8 {
            class[usize::from(b)] = class[usize::from(b.to_ascii_lowercase())];
        }
        // One byte stands for each class: the crate's automaton treats the
        // bytes of a class alike (under test, every byte of every state is
        // checked).
        let mut rep = vec![0u8; classes];
        for b in (0..=255u8).rev() {
            if let Some(r) = rep.get_mut(usize::from(class[usize::from(b)])) {
                *r = b;
            }
        }
        let start = automaton
            .start_state(Anchored::No)
            .map_err(|e| e.to_string())?;
        // Breadth first from the start: every reachable state, in order.
        // The crate's state ids are small dense numbers, so where each
        // one went is an array, not a map: a million lookups at start-up
        // (a SipHash map was a sixth of `palisade dlp scan`'s load).
        let mut index = StateIndex::default();
        index.insert(start.as_usize(), 0);
        let mut order = vec![start];
        let mut at = 0;
        while let Some(&sid) = order.get(at) {
            for &b in &rep {
                let to = automaton.next_state(Anchored::No, sid, b);
                if index.get(to.as_usize()).is_none() {
                    order.push(to);
                    index.insert(to.as_usize(), order.len() - 1);
                }
            }
            at += 1;
        }
        // Renumbered so that match states come last: one comparison per
        // step tells a match.
        let mut renum = vec![0usize; order.len()];
        let mut n = 0;
        for (i, &sid) in order.iter().enumerate() {
            if !automaton.is_match(sid) {
                renum[i] = n;
                n += 1;
            }
        }
        let first_match = n;
        let mut match_ranges = Vec::new();
        let mut matches = Vec::new();
        for (i, &sid) in order.iter().enumerate() {
            if automaton.is_match(sid) {
                renum[i] = n;
                n += 1;
                let from = matches.len();
                for k in 0..automaton.match_len(sid) {
                    matches.push(automaton.match_pattern(sid, k).as_u32());
                }
                match_ranges.push((as_u32(from)?, as_u32(matches.len())?));
            }
        }
        // The premultiplied id of where `sid` goes on byte `b`.
        let target = |sid, b| -> Result<u32, String> {
            let to = automaton.next_state(Anchored::No, sid, b);
            let i = index
                .get(to.as_usize())
                .ok_or("a state the search missed")?;
            as_u32(renum.get(i).copied().unwrap_or(0) * classes)
        };
        let mut trans = vec![0u32; order.len() * classes];
        for (i, &sid) in order.iter().enumerate() {
            let row = renum[i] * classes;
            for (c, &b) in rep.iter().enumerate() {
                trans[row + c] = target(sid, b)?;
            }
        }
        if cfg!(test) {
            // Every byte, not just each class's representative, moves
            // every state as in the crate's automaton.
            for (i, &sid) in order.iter().enumerate() {
                for b in 0..=255u8 {
                    let ours = trans.get(renum[i] * classes + usize::from(class[usize::from(b)]));
                    assert_eq!(Some(&target(sid, b)?), ours, "byte {b:#04x} of state {i}");
                }
            }
        }
        let stride = as_u32(classes)?;
        let start = as_u32(renum[0] * classes)?;
        check_table(&trans, &class, classes, start)?;
        Ok(Self {
            class,
            trans,
            stride,
            start,
            match_from: as_u32(first_match * classes)?,
            match_ranges,
            matches,
            word_len: words.iter().map(|w| w.len() as u32).collect(),
            max_len: words.iter().map(String::len).max().unwrap_or(0),
        })
    }

    /// A byte that occurs in no word (in either ASCII case): the automaton
    /// goes back to its start on it, so texts joined by it are searched
    /// as if one at a time. `None` when every byte is in some word.
    pub(crate) fn separator(&self) -> Option<u8> {
        (0..=255u8).find(|&b| self.class[usize::from(b)] == 0)
    }

    /// Steps four stretches of equal length from the start state, one
    /// byte of each per turn: the four loads of a turn do not wait for
    /// each other. Into `found[k]`, `(offset in stretch k, state)` of its
    /// match states; the last states are returned. Everything the loop
    /// reads is a local, so that it stays in registers.
    fn step_four(&self, [a, b, c, d]: [&[u8]; N], found: &mut [Vec<(usize, u32)>; N]) -> [u32; N] {
        let (trans, class, start, matched) = (
            self.trans.as_slice(),
            &self.class,
            self.start,
            self.match_from,
        );
        // SAFETY: `trans` is this automaton's checked table, and every
        // state stepped here is its start or a state `next` returned on it.
        #[allow(unsafe_code)]
        let step = |s: u32, x: u8| unsafe { next(trans, s, class[usize::from(x)]) };
        let [mut s0, mut s1, mut s2, mut s3] = [start; N];
        for (i, (((&w, &x), &y), &z)) in a.iter().zip(b).zip(c).zip(d).enumerate() {
            s0 = step(s0, w);
            s1 = step(s1, x);
            s2 = step(s2, y);
            s3 = step(s3, z);
            if (s0 >= matched) | (s1 >= matched) | (s2 >= matched) | (s3 >= matched) {
                for (list, s) in found.iter_mut().zip([s0, s1, s2, s3]) {
                    if s >= matched {
                        list.push((i, s));
                    }
                }
            }
        }
        [s0, s1, s2, s3]
    }

    /// The state after `s` on byte `b`; `s` must be the start or a state
    /// a step returned (`match_states` and `step_four` are its only
    /// callers, and their states never leave this module's stepping).
    #[inline(always)]
    fn step(&self, s: u32, b: u8) -> u32 {
        // SAFETY: the table is this automaton's, checked by `check_table`
        // in `new`; `s` is its start or a state a step returned (above).
        #[allow(unsafe_code)]
        unsafe {
            next(&self.trans, s, self.class[usize::from(b)])
        }
    }

    /// Calls `f(start, end, word)` for every occurrence of every word, in
    /// the order of their ends (words ending together in the crate's
    /// order), as `find_overlapping_iter` of the same automaton would.
    pub(crate) fn for_each_match(&self, hay: &[u8], f: impl FnMut(usize, usize, usize)) {
        self.for_each_match_in(hay, BLOCK, f);
    }

    /// The same, `block` bytes at a time: the hits waiting for their turn
    /// stay few whatever the text (a run of one letter can hit at every
    /// byte).
    fn for_each_match_in(&self, hay: &[u8], block: usize, mut f: impl FnMut(usize, usize, usize)) {
        let mut buf = Hits::default();
        let mut lo = 0;
        while lo < hay.len() {
            let hi = lo.saturating_add(block.max(1)).min(hay.len());
            self.match_states(hay, lo, hi, &mut buf);
            for &(end, s) in &buf.out {
                let m = ((s - self.match_from) / self.stride) as usize;
                let Some(&(from, to)) = self.match_ranges.get(m) else {
                    continue;
                };
                for &w in self.matches.get(from as usize..to as usize).unwrap_or(&[]) {
                    let len = self.word_len.get(w as usize).copied().unwrap_or(0) as usize;
                    f((end + 1).saturating_sub(len), end + 1, w as usize);
                }
            }
            lo = hi;
        }
    }

    /// Into `buf.out`, `(offset, state)` of every byte in `[lo, hi)` after
    /// which the automaton is in a match state, in text order. Every
    /// stretch is stepped from `max_len` bytes before its own start (or the
    /// text's start), after which its state is the whole text's there.
    fn match_states(&self, hay: &[u8], lo: usize, hi: usize, buf: &mut Hits) {
        buf.out.clear();
        let warm = self.max_len;
        let seg = (hi - lo) / N;
        if hi - lo < SPLIT_MIN || seg <= warm {
            let from = lo.saturating_sub(warm);
            let mut s = self.start;
            for (i, &b) in hay.get(from..hi).unwrap_or(&[]).iter().enumerate() {
                s = self.step(s, b);
                if s >= self.match_from && from + i >= lo {
                    buf.out.push((from + i, s));
                }
            }
            return;
        }
        // Stretch k owns [lo + k·seg, lo + (k+1)·seg); the last also owns
        // the rest of the block.
        let starts: [usize; N] = std::array::from_fn(|k| (lo + k * seg).saturating_sub(warm));
        let len = seg + warm;
        let parts: [&[u8]; N] =
            std::array::from_fn(|k| hay.get(starts[k]..starts[k] + len).unwrap_or(&[]));
        for list in &mut buf.found {
            list.clear();
        }
        let st = self.step_four(parts, &mut buf.found);
        for (k, list) in buf.found.iter().enumerate() {
            let (own_lo, own_hi) = (lo + k * seg, lo + (k + 1) * seg);
            buf.out.extend(
                list.iter()
                    .map(|&(i, s)| (starts[k] + i, s))
                    .filter(|&(p, _)| p >= own_lo && p < own_hi),
            );
        }
        let mut s = st[N - 1];
        let tail = starts[N - 1] + len;
        for (i, &b) in hay.get(tail..hi).unwrap_or(&[]).iter().enumerate() {
            s = self.step(s, b);
            if s >= self.match_from {
                buf.out.push((tail + i, s));
            }
        }
    }
}

/// Checks what [`next`] relies on: the table holds whole rows of `stride`
/// entries, every entry and the start is the start of a row, every class
/// is below the stride, and every index fits a `u32`. The table is built
/// here, never read from input, so this fails only on a bug.
fn check_table(trans: &[u32], class: &[u8; 256], stride: usize, start: u32) -> Result<(), String> {
    let row_start = |t: u32| (t as usize).is_multiple_of(stride) && (t as usize) < trans.len();
    let ok = stride > 0
        && trans.len().is_multiple_of(stride)
        && u32::try_from(trans.len()).is_ok()
        && row_start(start)
        && trans.iter().all(|&t| row_start(t))
        && class.iter().all(|&c| usize::from(c) < stride);
    if ok {
        Ok(())
    } else {
        Err("trigger automaton table is inconsistent".into())
    }
}

/// The state after `s` on a byte of class `c`.
///
/// Why unchecked: this is the automaton's inner step, run for every byte
/// of every text; a bounds check there (and the fallback it needs) made
/// the automaton alone 22.7 → 18.6 ms per 16 MiB of mixed text
/// (`scan_loop`, three runs each).
///
/// # Safety
///
/// `trans` and `c` must be a `StreamDfa`'s table and one of its classes
/// (so `check_table` held for them in `StreamDfa::new`; nothing changes
/// them afterwards), and `s` its start or a value this function returned
/// on the same table.
#[allow(unsafe_code)]
#[inline(always)]
unsafe fn next(trans: &[u32], s: u32, c: u8) -> u32 {
    let at = s as usize + usize::from(c);
    debug_assert!(at < trans.len());
    // SAFETY: by the contract, `s` is the start or an entry of `trans`,
    // which `check_table` holds to be row starts: multiples of the stride
    // below `trans.len()`, itself a multiple of the stride; `c` is below
    // the stride. So `s + c` lies in the row that starts at `s`, inside
    // `trans`, and cannot overflow (`trans.len()` fits a `u32`, the sum is
    // a `usize`).
    unsafe { *trans.get_unchecked(at) }
}

/// Buffers of `match_states`, kept from block to block.
#[derive(Default)]
struct Hits {
    /// The block's match states in text order.
    out: Vec<(usize, u32)>,
    /// Each stretch's, before they are put in order.
    found: [Vec<(usize, u32)>; N],
}

fn as_u32(n: usize) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| "trigger automaton too large".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, AhoCorasickKind};
    use proptest::prelude::*;

    fn reference(words: &[String], hay: &[u8]) -> Vec<(usize, usize, usize)> {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(words)
            .expect("builds");
        ac.find_overlapping_iter(hay)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect()
    }

    fn ours(words: &[String], hay: &[u8]) -> Vec<(usize, usize, usize)> {
        ours_in(words, hay, BLOCK)
    }

    fn ours_in(words: &[String], hay: &[u8], block: usize) -> Vec<(usize, usize, usize)> {
        let d = StreamDfa::new(words).expect("builds");
        let mut got = Vec::new();
        d.for_each_match_in(hay, block, |s, e, w| got.push((s, e, w)));
        got
    }

    #[test]
    fn long_texts_split_in_four_find_what_the_crate_finds() {
        let words: Vec<String> = ["id", "ID no", "tel", "Passport", "护照", "sk-", "a", "aaa"]
            .iter()
            .map(|w| w.to_string())
            .collect();
        let unit = "my ID No is 12, tel: 555; PASSPORT 护照号 sk-abc aaaa id ";
        let hay = unit.repeat(400);
        assert!(hay.len() > 4 * SPLIT_MIN);
        let got = ours(&words, hay.as_bytes());
        assert_eq!(got, reference(&words, hay.as_bytes()));
        assert!(got.len() > 4000);
        // A run of one letter hits at every byte: blocks keep the waiting
        // hits to one block's worth, and the matches stay exact.
        let run = "a".repeat(3 * BLOCK + 7);
        let words: Vec<String> = vec!["aaa".into(), "b".into()];
        assert_eq!(
            ours(&words, run.as_bytes()),
            reference(&words, run.as_bytes())
        );
    }

    #[test]
    fn a_table_the_steps_could_leave_is_refused() {
        let mut class = [0u8; 256];
        assert!(check_table(&[0, 2, 2, 0], &class, 2, 0).is_ok());
        // An entry off a row start, past the end, a start past the end, a
        // class at the stride, a ragged table.
        assert!(check_table(&[0, 1, 2, 0], &class, 2, 0).is_err());
        assert!(check_table(&[0, 4, 2, 0], &class, 2, 0).is_err());
        assert!(check_table(&[0, 2, 2, 0], &class, 2, 4).is_err());
        assert!(check_table(&[0, 2, 2], &class, 2, 0).is_err());
        class[7] = 2;
        assert!(check_table(&[0, 2, 2, 0], &class, 2, 0).is_err());
    }

    #[test]
    fn the_catalogue_triggers_copy_exactly() {
        // Engine::new builds a StreamDfa, which under test checks every
        // byte of every state against the crate's DFA.
        let engine = crate::Engine::builtin().expect("catalogue loads");
        let text = "Tel: +86 138 0013 8000, 身份证号 11010519491231002X, card 4111 1111 1111 1111";
        assert!(!engine.scan(&text.repeat(300)).is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Texts made of word fragments, cased at random, at every length
        /// around the split threshold and the stretch boundaries.
        #[test]
        fn matches_equal_the_crates(
            picks in proptest::collection::vec((0usize..12, any::<bool>()), 0..3000),
            block in prop_oneof![Just(BLOCK), 1usize..5000],
        ) {
            let words: Vec<String> = ["tel", "telephone", "phone", "no.", "电话", "iban", "ban", "e"]
                .iter()
                .map(|w| w.to_string())
                .collect();
            let frags = ["tel", "EPHONE", "pho", "ne ", "No.", "电", "话", "IBan", " ", "x", "é", "\n"];
            let mut hay = String::new();
            for (i, up) in picks {
                let f = frags[i];
                hay.push_str(&if up { f.to_uppercase() } else { f.to_string() });
            }
            prop_assert_eq!(
                ours_in(&words, hay.as_bytes(), block),
                reference(&words, hay.as_bytes())
            );
        }
    }
}
