//! Number formats tried where a digit run starts, chosen by the run's
//! length and the byte after it.
//!
//! Most number formats (`\b\d{3}\.?\d{5}\.?\d{2}-?\d\b`, card numbers,
//! dates of birth) can only start where a run of ASCII digits starts after
//! a non-word byte. Which of them can hold a run of length `n` followed by
//! byte `b`, and then byte `c`, is a property of the pattern alone, worked
//! out once from its anchored DFA by stepping every digit string at once:
//! at a run of four digits and a dash, a 15-digit card number cannot match
//! and is not tried; at `2023 was`, a card number in groups of four is
//! not either. The table is conservative: a format it names may still
//! fail its try, a format it leaves out cannot match there.

use regex_automata::dfa::{dense::DFA, Automaton};
use regex_automata::util::{primitives::StateID, start};
use regex_automata::Anchored;
use std::collections::BTreeSet;

/// Runs up to this long have a row of their own; longer ones share one,
/// which names every format still alive after this many digits.
const MAX_RUN: usize = 32;

/// The class of the text's end, past the byte classes.
const END: usize = 256;

/// Which patterns may match at a digit run, by its length and the bytes
/// after it.
pub(crate) struct RunTable {
    /// Follow byte → class (the text's end is `classes`).
    class: Vec<u8>,
    /// Classes per row: the byte classes and the end.
    width: usize,
    /// Per row (run length 1..=MAX_RUN, then longer) and class: the range
    /// of its patterns in `patterns`.
    ranges: Vec<(u32, u32)>,
    patterns: Vec<u32>,
    /// Per entry of `patterns`: the bytes that may come right after the
    /// byte that follows the run.
    after: Vec<ByteSet>,
}

/// For one pattern, per row: may a match start at a run of that length
/// followed by each byte (and by the end, index `END`)?
type Rows = Vec<[bool; END + 1]>;

/// Bytes as a 256-bit set.
type ByteSet = [u64; 4];

/// Every byte.
const ANY: ByteSet = [u64::MAX; 4];

/// What a pattern allows at a run: its rows, and per row the bytes that
/// may come right after the byte that follows the run, for each such
/// byte that does not allow them all (`(byte, set)`, by byte).
pub(crate) struct Shape {
    rows: Rows,
    after: Vec<Vec<(u8, ByteSet)>>,
}

/// The rows of a pattern, or `None` when some match of it could start
/// elsewhere than at a digit after a non-word byte (or the text's start):
/// after a word byte, or on a byte that is not a digit.
pub(crate) fn rows_of(dfa: &DFA<Vec<u32>>) -> Option<Shape> {
    let start_after = |lb: Option<u8>| {
        let config = start::Config::new().anchored(Anchored::Yes).look_behind(lb);
        dfa.start_state(&config).ok()
    };
    let lives = |s: StateID| !dfa.is_dead_state(s);
    // After a word byte nothing may match, not even the empty string.
    let after_word = start_after(Some(b'a'))?;
    if lives(after_word)
        && ((0..=255u8).any(|b| lives(dfa.next_state(after_word, b)))
            || dfa.is_match_state(dfa.next_eoi_state(after_word)))
    {
        return None;
    }
    // Every kind of non-word start: a plain byte, line ends, the start.
    let mut now: BTreeSet<StateID> = BTreeSet::new();
    for lb in [Some(b' '), Some(b'\n'), Some(b'\r'), None] {
        let s = start_after(lb)?;
        if dfa.is_quit_state(s) || dfa.is_match_state(s) {
            return None;
        }
        if !lives(s) {
            continue;
        }
        let opens_else = (0..=255u8)
            .filter(|b| !b.is_ascii_digit())
            .any(|b| lives(dfa.next_state(s, b)));
        if opens_else || dfa.is_match_state(dfa.next_eoi_state(s)) {
            return None;
        }
        now.insert(s);
    }
    let mut rows: Rows = Vec::with_capacity(MAX_RUN + 1);
    let mut after: Vec<Vec<(u8, ByteSet)>> = Vec::with_capacity(MAX_RUN + 1);
    // A match ended inside the run so far (a DFA reports it one byte
    // late): whatever follows the run, the format is tried.
    let mut ended = false;
    for _ in 0..MAX_RUN {
        let mut next = BTreeSet::new();
        for &s in &now {
            for d in b'0'..=b'9' {
                let t = dfa.next_state(s, d);
                if dfa.is_quit_state(t) || dfa.is_match_state(t) {
                    ended = true;
                }
                if lives(t) {
                    next.insert(t);
                }
            }
        }
        now = next;
        let mut row = [ended; END + 1];
        let mut next_after = Vec::new();
        if !ended {
            for b in 0..=255u8 {
                let then: Vec<StateID> = now
                    .iter()
                    .map(|&s| dfa.next_state(s, b))
                    .filter(|&t| lives(t))
                    .collect();
                row[usize::from(b)] = !then.is_empty();
                // A match that ended with the run (reported on this byte)
                // holds whatever comes next.
                let open = then
                    .iter()
                    .any(|&t| dfa.is_match_state(t) || dfa.is_quit_state(t));
                if then.is_empty() || open {
                    continue;
                }
                let mut set = [0u64; 4];
                for x in 0..=255u8 {
                    if then.iter().any(|&t| lives(dfa.next_state(t, x))) {
                        set[usize::from(x >> 6)] |= 1 << (x & 63);
                    }
                }
                if set != ANY {
                    next_after.push((b, set));
                }
            }
            row[END] = now
                .iter()
                .any(|&s| dfa.is_match_state(dfa.next_eoi_state(s)));
        }
        rows.push(row);
        after.push(next_after);
    }
    rows.push([ended || !now.is_empty(); END + 1]);
    after.push(Vec::new());
    Some(Shape { rows, after })
}

impl Shape {
    /// The bytes allowed after a byte of `bytes` follows a run of row
    /// `row`: the union over those of them that the row allows.
    fn after(&self, row: usize, bytes: &[usize]) -> ByteSet {
        let (Some(r), Some(listed)) = (self.rows.get(row), self.after.get(row)) else {
            return ANY;
        };
        let mut set = [0u64; 4];
        for &b in bytes {
            if !r.get(b).copied().unwrap_or(false) {
                continue;
            }
            let own = u8::try_from(b)
                .ok()
                .and_then(|b| listed.binary_search_by_key(&b, |&(x, _)| x).ok())
                .and_then(|k| listed.get(k))
                .map_or(ANY, |&(_, s)| s);
            for (w, o) in set.iter_mut().zip(own) {
                *w |= o;
            }
        }
        set
    }
}

impl RunTable {
    /// The table of `(pattern, rows)`.
    pub(crate) fn new(entries: &[(usize, Shape)]) -> Result<Self, String> {
        // Bytes that no pattern tells apart share a class.
        let mut class = vec![0u8; 256];
        let mut columns: Vec<Vec<bool>> = Vec::new();
        for b in 0..=255usize {
            let column: Vec<bool> = entries
                .iter()
                .flat_map(|(_, shape)| shape.rows.iter().map(move |r| r[b]))
                .collect();
            let c = match columns.iter().position(|c| *c == column) {
                Some(c) => c,
                None => {
                    columns.push(column);
                    columns.len() - 1
                }
            };
            class[b] = u8::try_from(c).map_err(|_| "more than 255 follow classes")?;
        }
        let width = columns.len() + 1;
        let mut reps = vec![0usize; columns.len()];
        for b in (0..=255usize).rev() {
            reps[usize::from(class[b])] = b;
        }
        reps.push(END);
        // The bytes of each class (the end's: none).
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); width];
        for (b, &c) in class.iter().enumerate() {
            if let Some(m) = members.get_mut(usize::from(c)) {
                m.push(b);
            }
        }
        let mut ranges = Vec::with_capacity((MAX_RUN + 1) * width);
        let mut patterns = Vec::new();
        let mut after = Vec::new();
        for row in 0..=MAX_RUN {
            for (c, &rep) in reps.iter().enumerate() {
                let from = patterns.len();
                for (pi, shape) in entries {
                    if shape.rows.get(row).is_some_and(|r| r[rep]) {
                        patterns.push(u32::try_from(*pi).map_err(|_| "too many patterns")?);
                        after.push(match members.get(c) {
                            Some(bytes) if rep != END => shape.after(row, bytes),
                            _ => ANY,
                        });
                    }
                }
                ranges.push((as_u32(from)?, as_u32(patterns.len())?));
            }
        }
        Ok(Self {
            class,
            width,
            ranges,
            patterns,
            after,
        })
    }

    /// Whether no pattern is in the table.
    pub(crate) fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns that may match at a run starting at `i` (after a
    /// non-word byte or at the text's start), given the run's length, the
    /// byte after it and the one after that; and the run's length, which
    /// is at most `MAX_RUN + 1` (longer runs are cut there).
    pub(crate) fn at(&self, hay: &[u8], i: usize) -> (impl Iterator<Item = u32> + '_, usize) {
        let len = hay
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take(MAX_RUN + 1)
            .take_while(|b| b.is_ascii_digit())
            .count();
        let c = match hay.get(i + len) {
            Some(&b) => self
                .class
                .get(usize::from(b))
                .map_or(0, |&c| usize::from(c)),
            None => self.width - 1,
        };
        // No run, no row: an empty range.
        let (from, to) = len
            .checked_sub(1)
            .and_then(|row| self.ranges.get(row * self.width + c))
            .map_or((0, 0), |&(a, b)| (a as usize, b as usize));
        let list = self.patterns.get(from..to).unwrap_or(&[]);
        let sets = self.after.get(from..to).unwrap_or(&[]);
        // The text's end after the follow byte passes every pattern.
        let next = hay.get(i + len + 1).copied();
        let allowed = move |set: &ByteSet| {
            next.is_none_or(|x| {
                set.get(usize::from(x >> 6))
                    .is_some_and(|w| w >> (x & 63) & 1 == 1)
            })
        };
        let found = list
            .iter()
            .zip(sets)
            .filter(move |(_, set)| allowed(set))
            .map(|(&pi, _)| pi);
        (found, len)
    }
}

fn as_u32(n: usize) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| "run table too large".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::dfa::{dense, StartKind};

    fn dfa(p: &str) -> DFA<Vec<u32>> {
        dense::Builder::new()
            .configure(dense::Config::new().start_kind(StartKind::Anchored))
            .syntax(regex_automata::util::syntax::Config::new().utf8(false))
            .build(p)
            .expect("builds")
    }

    #[test]
    fn formats_that_may_start_elsewhere_have_no_rows() {
        for p in [
            r"(?-u)\d{3}",             // may start after a letter
            r"(?-u)\b[A-Z]\d{3}\b",    // starts on a letter
            r"(?-u)(?:\+1 )?\b\d{3}",  // may start on a plus
            r"(?-u)(?:^|[^0-9])\d{3}", // starts before the run
        ] {
            assert!(rows_of(&dfa(p)).is_none(), "{p}");
        }
        assert!(rows_of(&dfa(r"(?-u)\b\d{3}")).is_some());
    }

    #[test]
    fn rows_name_the_lengths_and_bytes_a_match_can_hold() {
        let rows = rows_of(&dfa(r"(?-u)\b\d{3}\.?\d{5}\b")).expect("rows").rows;
        let at = |len: usize, b: usize| rows[len - 1][b];
        assert!(at(3, usize::from(b'.')) && at(8, usize::from(b' ')) && at(8, END));
        assert!(
            !at(3, usize::from(b'-')) && !at(4, usize::from(b'.')) && !at(8, usize::from(b'x'))
        );
        assert!(!at(9, usize::from(b' ')) && !rows[MAX_RUN][0]);
        // A match may end inside a longer run when nothing bounds it.
        let rows = rows_of(&dfa(r"(?-u)\b\d{3}")).expect("rows").rows;
        assert!(rows[2][usize::from(b' ')] && rows[9][usize::from(b'x')] && rows[MAX_RUN][0]);
        assert!(!rows[1][usize::from(b' ')]);
    }

    #[test]
    fn the_table_looks_runs_up_by_length_and_the_bytes_after() {
        let entries = vec![
            (7, rows_of(&dfa(r"(?-u)\b\d{3}-\d{4}\b")).expect("rows")),
            (9, rows_of(&dfa(r"(?-u)\b\d{7}\b")).expect("rows")),
        ];
        let t = RunTable::new(&entries).expect("builds");
        let at = |hay: &[u8], i: usize| {
            let (found, len) = t.at(hay, i);
            (found.collect::<Vec<u32>>(), len)
        };
        assert_eq!(at(b"x 123-4567", 2), (vec![7], 3));
        // The byte after the dash must be a digit; the text may end there.
        assert_eq!(at(b"x 123-x567", 2), (vec![], 3));
        assert_eq!(at(b"x 123-", 2), (vec![7], 3));
        assert_eq!(at(b"1234567", 0), (vec![9], 7));
        assert_eq!(at(b"1234567x", 0), (vec![], 7));
        // A match that ended with the run allows anything after.
        assert_eq!(at(b"1234567-x", 0), (vec![9], 7));
        assert_eq!(at(b"1234567 ", 0), (vec![9], 7));
        assert_eq!(at(b"abc", 0), (vec![], 0));
        let long = "9".repeat(40);
        assert_eq!(at(long.as_bytes(), 0), (vec![], MAX_RUN + 1));
    }
}
