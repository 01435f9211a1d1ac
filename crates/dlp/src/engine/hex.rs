//! Separators of hex groups counted only next to a run of hex digits.

#[cfg(test)]
use super::SEPARATORS;

/// `SeparatorWalk` over a whole text at once (the tests' entry).
#[cfg(test)]
pub(super) fn separators_near_hex(hay: &[u8], mut f: impl FnMut(usize)) {
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
pub(super) struct SeparatorWalk {
    /// The block waiting: its offset and masks.
    pub(super) waiting: Option<(usize, crate::bytemask::Masks)>,
    /// The hex digits of the block before it.
    pub(super) hex_before: u64,
}

impl SeparatorWalk {
    /// The block at `at` with these masks; calls `f` for the separators
    /// of the block before it.
    pub(super) fn block(
        &mut self,
        at: usize,
        m: crate::bytemask::Masks,
        f: &mut impl FnMut(usize),
    ) {
        if let Some((w_at, w)) = self.waiting {
            near_hex_runs(w_at, &w, self.hex_before, m.hex, f);
            self.hex_before = w.hex;
        }
        self.waiting = Some((at, m));
    }

    /// Calls `f` for those of the last block.
    pub(super) fn finish(&mut self, f: &mut impl FnMut(usize)) {
        if let Some((w_at, w)) = self.waiting.take() {
            near_hex_runs(w_at, &w, self.hex_before, 0, f);
        }
    }
}

/// Calls `f` for each separator of the block at `at` (masks `m`) that
/// has a hex digit right before it, right after it or one further, with
/// the hex digits of the blocks before and after it, and passes
/// `hex_run_beside`.
pub(super) fn near_hex_runs(
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
pub(super) fn hex_run_beside(word: u64, hex: u64, j: u32) -> bool {
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
pub(super) fn next_to_hex_run(hay: &[u8], s: usize, e: usize) -> bool {
    next_to_run(hay, s, e, u8::is_ascii_hexdigit)
}

/// Whether the word characters right before `s` or right from `e` are a
/// non-empty run of bytes that `run` holds (ASCII word bytes).
pub(super) fn next_to_run(
    hay: &[u8],
    s: usize,
    e: usize,
    run: impl Fn(&u8) -> bool + Copy,
) -> bool {
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
pub(super) fn starts_with_run<'a>(
    bytes: impl Iterator<Item = &'a u8>,
    run: impl Fn(&u8) -> bool,
) -> bool {
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
