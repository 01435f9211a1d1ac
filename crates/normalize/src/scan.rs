//! Byte search helper shared by the passes.

/// Position of the first byte at or after `from` for which `pred` holds.
///
/// Whole 32-byte chunks are tested without an early exit first, which the
/// compiler turns into vector code; only a chunk with a hit is searched
/// byte by byte. The hits searched for (leet digits, non-ASCII bytes, a
/// '3') are sparse in prose, so this is several times faster than a plain
/// `position` on the hot path.
#[inline]
pub(crate) fn find_byte(
    bytes: &[u8],
    from: usize,
    pred: impl Fn(u8) -> bool + Copy,
) -> Option<usize> {
    const CHUNK: usize = 32;
    /// Hits are often near (the next word in non-Latin text), so look at a
    /// few bytes one by one before paying for whole chunks.
    const NEAR: usize = 8;
    let rest = bytes.get(from..)?;
    let (near, rest) = rest.split_at(rest.len().min(NEAR));
    if let Some(p) = near.iter().position(|&b| pred(b)) {
        return Some(from + p);
    }
    let mut chunks = rest.chunks_exact(CHUNK);
    let mut base = from + near.len();
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |hit, &b| hit | pred(b)) {
            return chunk.iter().position(|&b| pred(b)).map(|p| base + p);
        }
        base += CHUNK;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| pred(b))
        .map(|p| base + p)
}

#[cfg(test)]
mod tests {
    use super::find_byte;

    #[test]
    fn finds_first_match_from_offset() {
        let text = format!("{}x{}x", "a".repeat(70), "b".repeat(5));
        let bytes = text.as_bytes();
        assert_eq!(find_byte(bytes, 0, |b| b == b'x'), Some(70));
        assert_eq!(find_byte(bytes, 71, |b| b == b'x'), Some(76));
        assert_eq!(find_byte(bytes, 77, |b| b == b'x'), None);
        assert_eq!(find_byte(bytes, 500, |b| b == b'x'), None);
        assert_eq!(find_byte(b"", 0, |b| b == b'x'), None);
    }
}
