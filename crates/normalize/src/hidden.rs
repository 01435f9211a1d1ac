//! Characters and sequences that render as nothing but still reach the
//! model: zero-width and other default-ignorable characters, bidi controls,
//! Unicode tag characters and terminal escape sequences.

/// Why a character is invisible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hidden {
    /// Zero-width and other default-ignorable format characters.
    ZeroWidth,
    /// Bidirectional controls that reorder what is displayed.
    Bidi,
    /// Unicode tag characters (U+E0000..U+E007F), which mirror ASCII.
    Tag,
}

/// Classifies `c` as a hidden character, if it is one.
#[inline]
pub(crate) fn classify(c: char) -> Option<Hidden> {
    // Everything below the soft hyphen is visible or an ASCII control,
    // which keeps the common case to one comparison.
    if c < '\u{AD}' {
        return None;
    }
    match c {
        '\u{AD}'                       // soft hyphen
        | '\u{34F}'                    // combining grapheme joiner
        | '\u{115F}' | '\u{1160}'      // hangul choseong/jungseong fillers
        | '\u{17B4}' | '\u{17B5}'      // khmer inherent vowels (render as nothing)
        | '\u{180B}'..='\u{180F}'      // mongolian variation selectors and vowel separator
        | '\u{200B}'..='\u{200D}'      // zero-width space, non-joiner, joiner
        | '\u{2060}'..='\u{2064}'      // word joiner, invisible operators
        | '\u{206A}'..='\u{206F}'      // deprecated format characters
        | '\u{3164}'                   // hangul filler
        | '\u{FE00}'..='\u{FE0F}'      // variation selectors
        | '\u{FEFF}'                   // zero-width no-break space / BOM
        | '\u{FFA0}'                   // halfwidth hangul filler (NFKC gives U+1160)
        | '\u{FFF9}'..='\u{FFFB}'      // interlinear annotation controls
        | '\u{1D173}'..='\u{1D17A}'    // musical format controls
        | '\u{E0100}'..='\u{E01EF}' => Some(Hidden::ZeroWidth), // variation selectors supplement
        '\u{61C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
            Some(Hidden::Bidi)
        }
        '\u{E0000}'..='\u{E007F}' => Some(Hidden::Tag),
        _ => None,
    }
}

/// True for joiners and variation selectors that are an ordinary part of
/// emoji sequences and of Arabic, Indic or CJK text. They are still removed
/// (detectors do not need them) but not counted as evidence after such a
/// character, so every "❤️" or Persian word does not look like an attack.
pub(crate) fn is_benign_after(c: char, prev: char) -> bool {
    matches!(
        c,
        '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'
    ) && prev >= '\u{590}'
}

/// The ASCII character a tag character mirrors, if any (U+E0020..U+E007E).
pub(crate) fn tag_ascii(c: char) -> Option<char> {
    let v = u32::from(c).checked_sub(0xE0000)?;
    if (0x20..0x7F).contains(&v) {
        char::from_u32(v)
    } else {
        None
    }
}

const ESC: u8 = 0x1B;
const BEL: u8 = 0x07;
/// String-type escape sequences (OSC, DCS, …) longer than this are not
/// searched for their terminator, bounding work on hostile input.
const MAX_STRING_SEQUENCE: usize = 4096;

/// Length in bytes of the terminal escape sequence starting at `at`, which
/// must hold ESC (0x1B) or the first byte of U+009B (C1 CSI). Malformed
/// sequences yield just the introducer, so every ESC is removed and removal
/// can never assemble a new sequence (which keeps normalisation idempotent).
pub(crate) fn escape_len(bytes: &[u8], at: usize) -> usize {
    let Some(&first) = bytes.get(at) else {
        return 0;
    };
    if first != ESC {
        // U+009B is encoded as C2 9B and is followed by a CSI body.
        return 2 + csi_body_len(bytes, at + 2).unwrap_or(0);
    }
    let Some(&next) = bytes.get(at + 1) else {
        return 1;
    };
    match next {
        b'[' => csi_body_len(bytes, at + 2).map_or(1, |n| 2 + n),
        // OSC, DCS, SOS, PM, APC: payload up to BEL or ST (ESC \).
        b']' | b'P' | b'X' | b'^' | b'_' => string_body_len(bytes, at + 2).map_or(1, |n| 2 + n),
        // nF sequences such as ESC ( B: intermediates then a final byte.
        0x20..=0x2F => {
            let mut i = at + 1;
            while matches!(bytes.get(i), Some(0x20..=0x2F)) {
                i += 1;
            }
            match bytes.get(i) {
                Some(0x30..=0x7E) => i + 1 - at,
                _ => 1,
            }
        }
        // Two-byte Fp/Fe/Fs sequences (ESC 7, ESC c, ESC M, …).
        0x30..=0x7E => 2,
        _ => 1,
    }
}

/// CSI body: parameter bytes, intermediate bytes, then one final byte.
fn csi_body_len(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while matches!(bytes.get(i), Some(0x30..=0x3F)) {
        i += 1;
    }
    while matches!(bytes.get(i), Some(0x20..=0x2F)) {
        i += 1;
    }
    match bytes.get(i) {
        Some(0x40..=0x7E) => Some(i + 1 - from),
        _ => None,
    }
}

/// Payload of a string-type sequence including its terminator.
fn string_body_len(bytes: &[u8], from: usize) -> Option<usize> {
    let end = bytes.len().min(from.saturating_add(MAX_STRING_SEQUENCE));
    let window = bytes.get(from..end)?;
    for (k, &b) in window.iter().enumerate() {
        if b == BEL {
            return Some(k + 1);
        }
        if b == ESC {
            // ST is ESC \; any other ESC aborts the string (terminals do the
            // same) and is handled as its own sequence.
            return (window.get(k + 1) == Some(&b'\\')).then_some(k + 2);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_hidden_characters() {
        assert_eq!(classify('a'), None);
        assert_eq!(classify('\u{200B}'), Some(Hidden::ZeroWidth));
        assert_eq!(classify('\u{AD}'), Some(Hidden::ZeroWidth));
        assert_eq!(classify('\u{E0101}'), Some(Hidden::ZeroWidth));
        assert_eq!(classify('\u{202E}'), Some(Hidden::Bidi));
        assert_eq!(classify('\u{61C}'), Some(Hidden::Bidi));
        assert_eq!(classify('\u{E0041}'), Some(Hidden::Tag));
        assert_eq!(classify('\u{E007F}'), Some(Hidden::Tag));
        assert_eq!(classify('\u{E0080}'), None);
        assert_eq!(tag_ascii('\u{E0041}'), Some('A'));
        assert_eq!(tag_ascii('\u{E007F}'), None);
        assert_eq!(tag_ascii('\u{E0001}'), None);
        assert_eq!(tag_ascii('A'), None);
    }

    #[test]
    fn measures_escape_sequences() {
        assert_eq!(escape_len(b"\x1b[31mred", 0), 5);
        assert_eq!(escape_len(b"\x1b[1;2;3m", 0), 8);
        assert_eq!(escape_len(b"\x1b[31", 0), 1, "unterminated CSI");
        assert_eq!(escape_len(b"\x1b]0;title\x07x", 0), 10);
        assert_eq!(escape_len(b"\x1b]8;;http://x\x1b\\y", 0), 15);
        assert_eq!(escape_len(b"\x1b]unterminated", 0), 1);
        assert_eq!(escape_len(b"\x1b(B", 0), 3);
        assert_eq!(escape_len(b"\x1bc", 0), 2);
        assert_eq!(escape_len(b"\x1b", 0), 1);
        assert_eq!(escape_len("\u{9b}2Jx".as_bytes(), 0), 4);
        assert_eq!(escape_len("\u{9b}".as_bytes(), 0), 2);
    }
}
