//! Digit runs and hotspots: what number formats need of a window, and the
//! walk that finds them.

use super::*;

/// What a window target's matches need of the digits of a window
/// (`Engine::digit_needs`).
pub(super) struct DigitNeed {
    /// A pattern, or past them a group.
    pub(super) target: usize,
    /// A digit hotspot, holding a run of at least this many consecutive
    /// digits (0: any).
    pub(super) hotspot_run: Option<usize>,
    /// Else at least this many digits.
    pub(super) digits: usize,
}

/// Whether window `[ws, we)` meets a hotspot (sorted, disjoint) whose run
/// is at least `run`.
pub(super) fn meets_hotspot(
    hot: &[(usize, usize, usize)],
    ws: usize,
    we: usize,
    run: usize,
) -> bool {
    let first = hot.partition_point(|&(_, e, _)| e <= ws);
    hot.get(first..)
        .unwrap_or(&[])
        .iter()
        .take_while(|&&(s, _, _)| s < we)
        .any(|&(_, _, r)| r >= run)
}

/// `DigitWalk` over a whole text at once (the tests' entry).
#[cfg(test)]
pub(super) fn digit_hotspots(
    hay: &[u8],
    mut each_run_start: impl FnMut(usize),
) -> Vec<(usize, usize, usize)> {
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
pub(super) struct DigitWalk {
    /// The text's length.
    pub(super) len: usize,
    /// The digits of the block before, for windows that reach into it.
    pub(super) before: u64,
    /// Consecutive digits up to the last digit, and where that was.
    pub(super) run: usize,
    pub(super) last: Option<usize>,
    /// The stretches so far.
    pub(super) out: Vec<(usize, usize, usize)>,
    /// Per 64-byte block so far, how many digits it holds (`digits_about`).
    pub(super) counts: Vec<u8>,
}

impl DigitWalk {
    pub(super) fn new(len: usize) -> Self {
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
    pub(super) fn digits_about(&self, s: usize, e: usize) -> usize {
        let blocks = self.counts.get(s / 64..e.div_ceil(64)).unwrap_or(&[]);
        blocks.iter().map(|&n| usize::from(n)).sum()
    }

    /// The block at `at` with these digits.
    pub(super) fn block(&mut self, at: usize, digits: u64, each_run_start: &mut impl FnMut(usize)) {
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

/// Adds the stretch `[s, e)` of a digit whose run so far is `run`,
/// merged with the last one when they touch (stretches come in order).
pub(super) fn add_stretch(out: &mut Vec<(usize, usize, usize)>, s: usize, e: usize, run: usize) {
    let long = if run >= DIGIT_RUN { run } else { 0 };
    match out.last_mut() {
        Some(prev) if s <= prev.1 => {
            prev.1 = prev.1.max(e);
            prev.2 = prev.2.max(long);
        }
        _ => out.push((s, e, long)),
    }
}
