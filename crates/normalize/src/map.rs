//! Byte-offset bookkeeping between the normalised text and the caller's
//! input.
//!
//! Detectors report spans in `Normalized::text`, but the guard masks and
//! reports in the caller's text, so every output byte must know where it
//! came from. The map is a list of contiguous output pieces: an *exact* piece
//! is a verbatim copy (offsets inside it translate one to one, which keeps
//! long untouched stretches to a single entry), any other piece stands for a
//! whole input range (a NFKC expansion, a folded homoglyph, collapsed
//! padding) and is mapped as a unit.

/// One stretch of output and the input it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    pub out_start: usize,
    pub out_end: usize,
    pub in_start: usize,
    pub in_end: usize,
    /// A verbatim copy: `out_end - out_start == in_end - in_start` and
    /// offsets inside translate one to one.
    pub exact: bool,
}

/// Output text under construction together with its pieces. Invariant: the
/// pieces tile `text` without gaps, in order, and their input ranges never
/// go backwards.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub text: String,
    pub pieces: Vec<Piece>,
}

impl Output {
    pub fn with_capacity(bytes: usize) -> Self {
        Output {
            text: String::with_capacity(bytes),
            pieces: Vec::new(),
        }
    }

    /// Appends a verbatim copy of input bytes starting at `in_start`.
    pub fn push_exact(&mut self, s: &str, in_start: usize) {
        if s.is_empty() {
            return;
        }
        let out_start = self.text.len();
        self.text.push_str(s);
        let out_end = self.text.len();
        let in_end = in_start + s.len();
        // Merging keeps untouched stretches (interrupted only by removed
        // characters' absence, never by changes) to one entry.
        if let Some(last) = self.pieces.last_mut() {
            if last.exact && last.out_end == out_start && last.in_end == in_start {
                last.out_end = out_end;
                last.in_end = in_end;
                return;
            }
        }
        self.pieces.push(Piece {
            out_start,
            out_end,
            in_start,
            in_end,
            exact: true,
        });
    }

    /// Appends `s` as a replacement for the input range `in_start..in_end`.
    pub fn push_replaced(&mut self, s: &str, in_start: usize, in_end: usize) {
        if s.is_empty() {
            return;
        }
        let out_start = self.text.len();
        self.text.push_str(s);
        self.pieces.push(Piece {
            out_start,
            out_end: self.text.len(),
            in_start,
            in_end: in_end.max(in_start),
            exact: false,
        });
    }

    /// Copies `src_text[a..b]` with its mapping from `src_pieces` (the
    /// pieces of `src_text`), splitting pieces at the edges as needed.
    pub fn copy_region(&mut self, src_text: &str, src_pieces: &[Piece], a: usize, b: usize) {
        if a >= b {
            return;
        }
        let mut idx = src_pieces.partition_point(|p| p.out_end <= a);
        while let Some(p) = src_pieces.get(idx) {
            if p.out_start >= b {
                break;
            }
            let s = a.max(p.out_start);
            let e = b.min(p.out_end);
            if let Some(chunk) = src_text.get(s..e) {
                if p.exact {
                    self.push_exact(chunk, p.in_start + (s - p.out_start));
                } else {
                    self.push_replaced(chunk, p.in_start, p.in_end);
                }
            }
            idx += 1;
        }
    }
}

/// Maps an output range (`start <= end`, both on char boundaries of the
/// output) to an input range through `pieces`. Empty ranges map to a point.
pub(crate) fn map_range(pieces: &[Piece], start: usize, end: usize) -> (usize, usize) {
    let Some(last) = pieces.last() else {
        return (0, 0);
    };
    let point_at = |pos: usize| -> usize {
        let idx = pieces.partition_point(|p| p.out_end <= pos);
        match pieces.get(idx) {
            Some(p) if p.exact => p.in_start + pos.saturating_sub(p.out_start),
            Some(p) => p.in_start,
            None => last.in_end,
        }
    };
    if start >= end {
        let at = point_at(start);
        return (at, at);
    }
    let in_start = point_at(start);
    // The piece holding the last byte of the range decides its end.
    let idx = pieces.partition_point(|p| p.out_end < end);
    let in_end = match pieces.get(idx) {
        Some(p) if p.exact => {
            p.in_start + end.saturating_sub(p.out_start).min(p.in_end - p.in_start)
        }
        Some(p) => p.in_end,
        None => last.in_end,
    };
    (in_start, in_end.max(in_start))
}

/// How `Normalized::text` maps back to the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OffsetMap {
    /// The text is the input unchanged; no pieces are stored, so the plain
    /// ASCII fast path allocates nothing for the map.
    identity: bool,
    pieces: Vec<Piece>,
    input_len: usize,
}

impl OffsetMap {
    pub fn identity(input_len: usize) -> Self {
        OffsetMap {
            identity: true,
            pieces: Vec::new(),
            input_len,
        }
    }

    pub fn from_pieces(pieces: Vec<Piece>, input_len: usize) -> Self {
        OffsetMap {
            identity: false,
            pieces,
            input_len,
        }
    }

    #[cfg(test)]
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    #[cfg(test)]
    pub fn is_identity(&self) -> bool {
        self.identity
    }

    /// Maps an output range to the input; both ends are clamped to the input.
    pub fn map(&self, start: usize, end: usize) -> (usize, usize) {
        let (s, e) = if self.identity {
            (start, end)
        } else {
            map_range(&self.pieces, start, end)
        };
        let s = s.min(self.input_len);
        (s, e.clamp(s, self.input_len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_pieces_merge_and_split() {
        let mut out = Output::default();
        out.push_exact("ab", 0);
        out.push_exact("cd", 2);
        assert_eq!(out.pieces.len(), 1);
        // A gap in the input (a removed character) starts a new piece.
        out.push_exact("ef", 7);
        assert_eq!(out.pieces.len(), 2);
        assert_eq!(map_range(&out.pieces, 1, 5), (1, 8));
        assert_eq!(map_range(&out.pieces, 4, 4), (7, 7));
        assert_eq!(map_range(&out.pieces, 6, 6), (9, 9));

        let mut copy = Output::default();
        copy.copy_region(&out.text, &out.pieces, 3, 6);
        assert_eq!(copy.text, "def");
        assert_eq!(map_range(&copy.pieces, 0, 3), (3, 9));
    }

    #[test]
    fn replaced_pieces_map_as_a_unit() {
        let mut out = Output::default();
        out.push_exact("x", 0);
        out.push_replaced("fi", 1, 4);
        out.push_exact("y", 4);
        assert_eq!(map_range(&out.pieces, 2, 3), (1, 4));
        assert_eq!(map_range(&out.pieces, 0, 2), (0, 4));
        assert_eq!(map_range(&out.pieces, 3, 4), (4, 5));
        assert_eq!(map_range(&[], 0, 0), (0, 0));
    }
}
