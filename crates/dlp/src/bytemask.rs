//! Which bytes of a 64-byte block are digits, hex digits, word bytes or
//! given separators, as bit masks (bit `j` for byte `j`).
//!
//! Why by hand: the digit and separator triggers look at every byte of a
//! text, and most bytes are neither. Walking bytes with a branch each (or
//! stopping `memchr` at every full stop) cost 5–7 ms per 16 MiB of mixed
//! text for each; a mask per block costs well under one, and only the set
//! bits are then looked at. No crate of the field offers byte-class masks
//! on stable Rust (`memchr` finds bytes one at a time), so on x86_64 they
//! come from SSE2 compares, which every x86_64 processor has, and
//! elsewhere from a plain loop.

/// Bytes per block.
pub(crate) const BLOCK: usize = 64;

/// Calls `f(offset, block)` for each 64-byte block of `hay` in order; the
/// last is padded with zero bytes, which no mask of this module selects.
pub(crate) fn for_each_block(hay: &[u8], mut f: impl FnMut(usize, &[u8; BLOCK])) {
    let mut chunks = hay.chunks_exact(BLOCK);
    let mut at = 0;
    for chunk in &mut chunks {
        if let Ok(block) = <&[u8; BLOCK]>::try_from(chunk) {
            f(at, block);
        }
        at += BLOCK;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut block = [0u8; BLOCK];
        if let Some(head) = block.get_mut(..rest.len()) {
            head.copy_from_slice(rest);
        }
        f(at, &block);
    }
}

/// Masks of one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Masks {
    /// ASCII digits.
    pub digits: u64,
    /// ASCII hex digits (either case).
    pub hex: u64,
    /// ASCII word bytes: letters, digits and `_`.
    pub word: u64,
    /// Bytes equal to one of the three separators asked for.
    pub separators: u64,
}

/// The masks of `block`, with `separators` the three bytes to find.
pub(crate) fn masks(block: &[u8; BLOCK], separators: [u8; 3]) -> Masks {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: `sse2_masks` needs only SSE2, and this is compiled only
        // where the target enables SSE2 for all code (every x86_64
        // target does), so the processor running it has it.
        #[allow(unsafe_code)]
        unsafe {
            sse2_masks(block, separators)
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        plain_masks(block, separators)
    }
}

/// The masks by a loop over the bytes (the reference the tests hold the
/// vector version to, and the version for other processors).
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2", not(test)),
    allow(dead_code)
)]
pub(crate) fn plain_masks(block: &[u8; BLOCK], separators: [u8; 3]) -> Masks {
    let mut m = Masks {
        digits: 0,
        hex: 0,
        word: 0,
        separators: 0,
    };
    for (j, &b) in block.iter().enumerate() {
        m.digits |= u64::from(b.is_ascii_digit()) << j;
        m.hex |= u64::from(b.is_ascii_hexdigit()) << j;
        m.word |= u64::from(b.is_ascii_alphanumeric() || b == b'_') << j;
        m.separators |= u64::from(separators.contains(&b)) << j;
    }
    m
}

/// `masks` sixteen bytes at a time: compares give 0xFF per selected
/// byte, and `movemask` gathers their top bits. The bytes are loaded as
/// two `i64` (no pointer read, so nothing here is unsafe but the call).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn sse2_masks(block: &[u8; BLOCK], [s0, s1, s2]: [u8; 3]) -> Masks {
    use std::arch::x86_64::*;
    // Signed compares: bytes from 0x80 are negative and fall outside
    // every ASCII range.
    let below = |b: u8| _mm_set1_epi8((b as i8).wrapping_sub(1));
    let above = |b: u8| _mm_set1_epi8((b as i8).wrapping_add(1));
    let (d_lo, d_hi) = (below(b'0'), above(b'9'));
    let (x_lo, x_hi) = (below(b'a'), above(b'f'));
    let (l_lo, l_hi) = (below(b'a'), above(b'z'));
    let underscore = _mm_set1_epi8(b'_' as i8);
    let case = _mm_set1_epi8(0x20);
    let (e0, e1, e2) = (
        _mm_set1_epi8(s0 as i8),
        _mm_set1_epi8(s1 as i8),
        _mm_set1_epi8(s2 as i8),
    );
    let mut m = Masks {
        digits: 0,
        hex: 0,
        word: 0,
        separators: 0,
    };
    for (k, part) in block.chunks_exact(16).enumerate() {
        let half = |i: usize| {
            let mut b = [0u8; 8];
            if let Some(src) = part.get(i..i + 8) {
                b.copy_from_slice(src);
            }
            i64::from_le_bytes(b)
        };
        let v = _mm_set_epi64x(half(8), half(0));
        let digit = _mm_and_si128(_mm_cmpgt_epi8(v, d_lo), _mm_cmplt_epi8(v, d_hi));
        // `| 0x20` folds `A`–`Z` onto `a`–`z` and moves no other byte
        // into that range (`@` and `[`–`_` land below and above it).
        let folded = _mm_or_si128(v, case);
        let letter = _mm_and_si128(_mm_cmpgt_epi8(folded, x_lo), _mm_cmplt_epi8(folded, x_hi));
        let any_letter = _mm_and_si128(_mm_cmpgt_epi8(folded, l_lo), _mm_cmplt_epi8(folded, l_hi));
        let sep = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, e0), _mm_cmpeq_epi8(v, e1)),
            _mm_cmpeq_epi8(v, e2),
        );
        let bits = |x: __m128i| u64::from(_mm_movemask_epi8(x) as u32 as u16) << (16 * k);
        m.digits |= bits(digit);
        m.hex |= bits(_mm_or_si128(digit, letter));
        m.word |= bits(_mm_or_si128(
            _mm_or_si128(digit, any_letter),
            _mm_cmpeq_epi8(v, underscore),
        ));
        m.separators |= bits(sep);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn blocks_cover_the_text_and_pad_with_zeros() {
        let hay: Vec<u8> = (0..150u8).collect();
        let mut seen = Vec::new();
        for_each_block(&hay, |at, block| {
            seen.push(at);
            for (j, &b) in block.iter().enumerate() {
                assert_eq!(b, hay.get(at + j).copied().unwrap_or(0));
            }
        });
        assert_eq!(seen, vec![0, 64, 128]);
        let mut none = 0;
        for_each_block(&[], |_, _| none += 1);
        assert_eq!(none, 0);
    }

    #[test]
    fn every_byte_value_is_classed_as_the_byte_predicates_say() {
        for start in (0..256usize).step_by(BLOCK) {
            let block: [u8; BLOCK] = std::array::from_fn(|j| (start + j) as u8);
            let m = masks(&block, [b'.', b':', b'-']);
            assert_eq!(m, plain_masks(&block, [b'.', b':', b'-']));
            for (j, &b) in block.iter().enumerate() {
                assert_eq!(m.digits >> j & 1 == 1, b.is_ascii_digit(), "{b:#x}");
                assert_eq!(m.hex >> j & 1 == 1, b.is_ascii_hexdigit(), "{b:#x}");
                let word = b.is_ascii_alphanumeric() || b == b'_';
                assert_eq!(m.word >> j & 1 == 1, word, "{b:#x}");
                assert_eq!(m.separators >> j & 1 == 1, b".:-".contains(&b), "{b:#x}");
            }
        }
    }

    proptest! {
        #[test]
        fn vector_masks_equal_the_loop(
            bytes in proptest::collection::vec(any::<u8>(), BLOCK),
            seps in any::<[u8; 3]>(),
        ) {
            let block: [u8; BLOCK] = std::array::from_fn(|j| bytes[j]);
            prop_assert_eq!(masks(&block, seps), plain_masks(&block, seps));
        }
    }
}
