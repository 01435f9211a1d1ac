//! Bounds-checked little-endian reader shared by the binary header parsers.

/// Cursor over untrusted bytes; every read returns `None` instead of panicking at the end.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn at(buf: &'a [u8], pos: usize) -> Self {
        Reader { buf, pos }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    pub(crate) fn skip(&mut self, n: u64) -> Option<()> {
        let n = usize::try_from(n).ok()?;
        self.take(n).map(|_| ())
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Some(a)
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    pub(crate) fn i32(&mut self) -> Option<i32> {
        self.array().map(i32::from_le_bytes)
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// Bytes up to (not including) the next `\n`, consuming the newline.
    pub(crate) fn line(&mut self) -> Option<&'a [u8]> {
        let rest = self.buf.get(self.pos..)?;
        let n = rest.iter().position(|&b| b == b'\n')?;
        let line = rest.get(..n)?;
        self.pos += n + 1;
        Some(line)
    }
}

/// Truncates to at most `max` bytes on a char boundary, marking the cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", s.get(..end).unwrap_or_default())
}

/// Printable rendering of untrusted text for evidence: control characters escaped, bounded.
pub(crate) fn snippet(s: &str, max: usize) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate(cleaned.trim(), max)
}

/// Finds `needle` in `hay` starting at `from`.
pub(crate) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let h = hay.get(from..)?;
    h.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Python-identifier-ish dotted name: what `find_class` could actually import.
pub(crate) fn is_dotted_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 512
        && s.split('.').all(|seg| {
            let mut chars = seg.chars();
            match chars.next() {
                Some(c) if c == '_' || c.is_alphabetic() => {}
                _ => return false,
            }
            chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}

/// A zip local file header, read from the `PK\x03\x04` signature on.
pub(crate) struct LocalHeader {
    /// General-purpose flags (bit 0 encrypted, bit 3 data descriptor).
    pub flags: u16,
    /// Compression method.
    pub method: u16,
    /// Compressed size as the header states it.
    pub csize: u32,
    /// Member name (lossy UTF-8).
    pub name: String,
}

/// Reads the local header at the reader's position, leaving it at the
/// member's data; `None` when there is no header there or it is cut short.
pub(crate) fn local_header(r: &mut Reader<'_>) -> Option<LocalHeader> {
    if r.take(4)? != b"PK\x03\x04".as_slice() {
        return None;
    }
    let _version = r.u16()?;
    let flags = r.u16()?;
    let method = r.u16()?;
    let _time = r.u32()?;
    let _crc = r.u32()?;
    let csize = r.u32()?;
    let _usize = r.u32()?;
    let nlen = r.u16()?;
    let xlen = r.u16()?;
    let name = String::from_utf8_lossy(r.take(usize::from(nlen))?).to_string();
    r.skip(u64::from(xlen))?;
    Some(LocalHeader {
        flags,
        method,
        csize,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_bounded() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), Some(0x0201));
        assert_eq!(r.u16(), None);
        assert_eq!(r.u8(), Some(3));
        assert_eq!(r.u8(), None);
        assert_eq!(r.skip(u64::MAX), None);
    }

    #[test]
    fn identifiers() {
        assert!(is_dotted_identifier("os.path"));
        assert!(is_dotted_identifier("__builtin__"));
        assert!(!is_dotted_identifier("os path"));
        assert!(!is_dotted_identifier("a..b"));
        assert!(!is_dotted_identifier(""));
    }

    #[test]
    fn truncate_on_char_boundary() {
        assert_eq!(truncate("héllo", 2), "h…");
        assert_eq!(truncate("abc", 5), "abc");
    }
}
