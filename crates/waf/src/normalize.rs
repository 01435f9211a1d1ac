//! Normalisation of inspected values.
//!
//! Attackers hide payloads behind encodings the back end will undo: repeated
//! percent-encoding, `%u` escapes, overlong UTF-8, HTML entities, JavaScript escapes,
//! full-width or "circled" letters, base64. Each helper here undoes one of them with
//! a hard bound on work, and records *that* it had to (an anomaly signal on its own).

use std::borrow::Cow;

use base64::Engine as _;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// What normalisation had to undo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NormFlags {
    /// More than one round of percent-decoding changed the value.
    pub multi_encoded: bool,
    /// Overlong UTF-8 sequences were found (e.g. `%c0%ae`).
    pub overlong_utf8: bool,
    /// `%` not followed by two hex digits.
    pub invalid_percent: bool,
    /// `%uXXXX` escapes were used.
    pub percent_u: bool,
    /// NUL bytes were present (and removed).
    pub null_byte: bool,
    /// Bytes that are not valid UTF-8 (kept as Latin-1).
    pub invalid_utf8: bool,
    /// HTML entities were decoded.
    pub html_entities: bool,
    /// Compatibility characters (full-width, circled...) were folded.
    pub unicode_folded: bool,
}

/// A normalised value plus what was undone to get it.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// Normalised text.
    pub text: String,
    /// Flags raised on the way.
    pub flags: NormFlags,
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// One round of percent-decoding (`%XX` and `%uXXXX`); invalid escapes are kept
/// literally and flagged. `plus_as_space` applies form semantics.
pub fn percent_decode_once(input: &[u8], plus_as_space: bool, flags: &mut NormFlags) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input.get(i).copied().unwrap_or(0);
        if b == b'%' {
            let h1 = input.get(i + 1).copied().and_then(hex_val);
            let h2 = input.get(i + 2).copied().and_then(hex_val);
            if let (Some(a), Some(c)) = (h1, h2) {
                out.push(a * 16 + c);
                i += 3;
                continue;
            }
            if matches!(input.get(i + 1), Some(b'u') | Some(b'U')) {
                let digits: Option<Vec<u8>> = (2..6)
                    .map(|k| input.get(i + k).copied().and_then(hex_val))
                    .collect();
                if let Some(d) = digits {
                    let cp = d.iter().fold(0u32, |acc, v| acc * 16 + u32::from(*v));
                    // %uFFxx full-width forms are folded later; here just produce the char.
                    let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    flags.percent_u = true;
                    i += 6;
                    continue;
                }
            }
            flags.invalid_percent = true;
            out.push(b);
        } else if b == b'+' && plus_as_space {
            out.push(b' ');
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// Decode bytes to text without losing anything: valid UTF-8 as is, overlong
/// 2/3-byte sequences decoded to the character they smuggle (flagged), any other
/// invalid byte mapped to the Latin-1 character of the same value (flagged).
pub fn decode_bytes(input: &[u8], flags: &mut NormFlags) -> String {
    if let Ok(s) = std::str::from_utf8(input) {
        return s.to_string();
    }
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let rest = input.get(i..).unwrap_or(&[]);
        // Longest valid UTF-8 prefix.
        let valid_len = match std::str::from_utf8(rest) {
            Ok(s) => s.len(),
            Err(e) => e.valid_up_to(),
        };
        if valid_len > 0 {
            if let Some(Ok(s)) = rest.get(..valid_len).map(std::str::from_utf8) {
                out.push_str(s);
            }
            i += valid_len;
            continue;
        }
        let b0 = rest.first().copied().unwrap_or(0);
        let b1 = rest.get(1).copied().unwrap_or(0);
        let b2 = rest.get(2).copied().unwrap_or(0);
        let cont = |b: u8| b & 0xC0 == 0x80;
        if (b0 == 0xC0 || b0 == 0xC1) && cont(b1) {
            let cp = (u32::from(b0 & 0x1F) << 6) | u32::from(b1 & 0x3F);
            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
            flags.overlong_utf8 = true;
            i += 2;
        } else if b0 == 0xE0 && cont(b1) && cont(b2) && b1 < 0xA0 {
            let cp = (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
            flags.overlong_utf8 = true;
            i += 3;
        } else {
            out.push(char::from(b0));
            flags.invalid_utf8 = true;
            i += 1;
        }
    }
    out
}

/// Percent-decode up to `rounds` times, stopping when a round changes nothing.
pub fn url_decode_rounds(input: &str, rounds: usize, flags: &mut NormFlags) -> String {
    let mut cur = input.to_string();
    let mut changed_rounds = 0;
    for _ in 0..rounds {
        if !cur.contains('%') {
            break;
        }
        let mut f = NormFlags::default();
        let bytes = percent_decode_once(cur.as_bytes(), false, &mut f);
        let next = decode_bytes(&bytes, &mut f);
        flags.overlong_utf8 |= f.overlong_utf8;
        flags.percent_u |= f.percent_u;
        flags.invalid_utf8 |= f.invalid_utf8;
        if changed_rounds == 0 {
            flags.invalid_percent |= f.invalid_percent;
        }
        if next == cur {
            break;
        }
        changed_rounds += 1;
        cur = next;
    }
    if changed_rounds >= 1 {
        // The container already decoded once; any further change means double encoding.
        flags.multi_encoded = true;
    }
    cur
}

const NAMED_ENTITIES: &[(&str, char)] = &[
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("tab", '\t'),
    ("newline", '\n'),
    ("colon", ':'),
    ("semi", ';'),
    ("lpar", '('),
    ("rpar", ')'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lbrack", '['),
    ("rbrack", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("equals", '='),
    ("sol", '/'),
    ("bsol", '\\'),
    ("period", '.'),
    ("comma", ','),
    ("excl", '!'),
    ("grave", '`'),
    ("quest", '?'),
    ("num", '#'),
    ("lowbar", '_'),
    ("plus", '+'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("ast", '*'),
    ("vert", '|'),
    ("verbar", '|'),
    ("hyphen", '-'),
];

/// Decode HTML character references (`&#x3c;`, `&#60`, `&lt;`, `&Tab;`...),
/// tolerating a missing `;` the way browsers do for numeric references.
pub fn html_entity_decode(input: &str) -> Cow<'_, str> {
    if !input.contains('&') {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find('&') {
        out.push_str(rest.get(..pos).unwrap_or(""));
        let after = rest.get(pos + 1..).unwrap_or("");
        let (decoded, used) = decode_one_entity(after);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = after.get(used..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn decode_one_entity(s: &str) -> (Option<char>, usize) {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b'#') {
        let (radix, start) = match bytes.get(1) {
            Some(b'x') | Some(b'X') => (16, 2),
            _ => (10, 1),
        };
        let mut end = start;
        while end < bytes.len() && end - start < 8 {
            let ok = match bytes.get(end) {
                Some(c) if radix == 16 => c.is_ascii_hexdigit(),
                Some(c) => c.is_ascii_digit(),
                None => false,
            };
            if !ok {
                break;
            }
            end += 1;
        }
        if end == start {
            return (None, 0);
        }
        // Leading zeros are a classic padding trick; from_str_radix handles them.
        let num = s
            .get(start..end)
            .and_then(|d| u32::from_str_radix(d, radix).ok());
        let used = if bytes.get(end) == Some(&b';') {
            end + 1
        } else {
            end
        };
        return (num.and_then(char::from_u32), used);
    }
    let mut end = 0;
    while end < bytes.len() && end < 10 && bytes.get(end).is_some_and(|c| c.is_ascii_alphanumeric())
    {
        end += 1;
    }
    if end == 0 {
        return (None, 0);
    }
    let name = s.get(..end).unwrap_or("").to_ascii_lowercase();
    for (n, c) in NAMED_ENTITIES {
        if *n == name {
            let used = if bytes.get(end) == Some(&b';') {
                end + 1
            } else {
                end
            };
            return (Some(*c), used);
        }
    }
    (None, 0)
}

/// Decode JavaScript/JSON-style escapes: `\uXXXX`, `\u{X..}`, `\xXX` (bounded).
pub fn js_unescape(input: &str) -> Cow<'_, str> {
    if !input.contains('\\') {
        return Cow::Borrowed(input);
    }
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    let hex_at = |i: usize, n: usize| -> Option<u32> {
        let mut v = 0u32;
        for k in 0..n {
            let d = chars.get(i + k)?.to_digit(16)?;
            v = v * 16 + d;
        }
        Some(v)
    };
    while i < chars.len() {
        let c = chars.get(i).copied().unwrap_or('\0');
        if c == '\\' {
            match chars.get(i + 1) {
                Some('u') | Some('U') => {
                    if chars.get(i + 2) == Some(&'{') {
                        let mut j = i + 3;
                        let mut v = 0u32;
                        while j < chars.len() && j < i + 10 {
                            match chars.get(j).and_then(|c| c.to_digit(16)) {
                                Some(d) => v = v.saturating_mul(16).saturating_add(d),
                                None => break,
                            }
                            j += 1;
                        }
                        if chars.get(j) == Some(&'}') {
                            if let Some(ch) = char::from_u32(v) {
                                out.push(ch);
                                i = j + 1;
                                continue;
                            }
                        }
                    } else if let Some(v) = hex_at(i + 2, 4) {
                        if let Some(ch) = char::from_u32(v) {
                            out.push(ch);
                            i += 6;
                            continue;
                        }
                    }
                }
                Some('x') | Some('X') => {
                    if let Some(v) = hex_at(i + 2, 2) {
                        if let Some(ch) = char::from_u32(v) {
                            out.push(ch);
                            i += 4;
                            continue;
                        }
                    }
                }
                _ => {}
            }
        }
        out.push(c);
        i += 1;
    }
    Cow::Owned(out)
}

/// Typographic quotes, made plain after NFKC: they are used to slip past
/// keyword matching, and browsers and shells often equate them.
const QUOTES: [(char, char); 5] = [
    ('\u{2018}', '\''),
    ('\u{2019}', '\''),
    ('\u{02BC}', '\''),
    ('\u{201C}', '"'),
    ('\u{201D}', '"'),
];

/// Zero-width and BOM characters, dropped after NFKC, for the same reason.
const INVISIBLE: [char; 5] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{FEFF}', '\u{00AD}'];

/// Whether [`fold_unicode`] maps or drops `c` after NFKC.
fn folded_after_nfkc(c: char) -> bool {
    QUOTES.iter().any(|&(q, _)| q == c) || INVISIBLE.contains(&c)
}

/// NFKC-fold compatibility characters (full-width `＜`, circled `Ⓖ`, ligatures)
/// to their plain forms; ASCII input is returned untouched (fast path).
pub fn fold_unicode(input: &str) -> Cow<'_, str> {
    if input.is_ascii() {
        return Cow::Borrowed(input);
    }
    // Most non-ASCII text (a German or Chinese prompt) is NFKC already:
    // the quick check says so for a tenth of what composing it costs (the
    // fold was three quarters of the WAF's time on a 1 KB German chat
    // request). Such text changes only where it holds a character below.
    if is_nfkc_quick(input.chars()) == IsNormalized::Yes && !input.contains(folded_after_nfkc) {
        return Cow::Borrowed(input);
    }
    let folded = fold_full(input);
    if folded == input {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(folded)
    }
}

/// NFKC, then the quotes made plain and the invisible characters dropped.
fn fold_full(input: &str) -> String {
    input
        .nfkc()
        .map(|c| {
            QUOTES
                .iter()
                .find(|&&(q, _)| q == c)
                .map_or(c, |&(_, plain)| plain)
        })
        .filter(|c| !INVISIBLE.contains(c))
        .collect()
}

/// Full normalisation for signature matching: URL-decode (bounded rounds),
/// HTML entities, Unicode folding, NUL removal. Case is kept (rules are
/// case-insensitive) so evidence stays readable.
pub fn normalize(input: &str, rounds: usize) -> Normalized {
    let mut flags = NormFlags::default();
    let mut text = url_decode_rounds(input, rounds, &mut flags);
    // Entities can wrap percent-escapes and vice versa; one extra pass each way is
    // enough for the double-wrapped cases seen in the wild without unbounded work.
    for _ in 0..2 {
        let h = html_entity_decode(&text);
        if let Cow::Owned(h) = h {
            if h == text {
                break;
            }
            flags.html_entities = true;
            text = h;
            if text.contains('%') {
                text = url_decode_rounds(&text, 1, &mut flags);
            }
        } else {
            break;
        }
    }
    if let Cow::Owned(f) = fold_unicode(&text) {
        flags.unicode_folded = true;
        text = f;
    }
    if text.contains('\0') {
        flags.null_byte = true;
        text = text.replace('\0', "");
    }
    Normalized { text, flags }
}

/// Canonical form of a URL path for matching: backslashes to `/`, `//` collapsed,
/// `/./` removed. `..` segments are kept (they are what traversal rules look for).
pub fn canonical_path(path: &str) -> String {
    let unified = path.replace('\\', "/");
    let mut out = String::with_capacity(unified.len());
    for seg in unified.split('/') {
        if seg.is_empty() || seg == "." {
            continue;
        }
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() || unified.ends_with('/') {
        out.push('/');
    }
    out
}

/// If `s` looks like base64 (standard or URL-safe, optionally unpadded) of mostly
/// printable text, return the decoded text. Bounded by the caller's value limit.
pub fn base64_candidate(s: &str) -> Option<String> {
    let t = s.trim();
    if t.len() < 8 || t.len() > 64 * 1024 {
        return None;
    }
    let body = t.trim_end_matches('=');
    if body.len() + 2 < t.len() {
        return None;
    }
    if !body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'))
    {
        return None;
    }
    // Plain words/numbers are valid base64 alphabet too; require mixed character
    // classes so ordinary identifiers are not "decoded" into noise.
    let has_upper = body.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = body.bytes().any(|b| b.is_ascii_lowercase());
    if !(has_upper && has_lower) {
        return None;
    }
    let std_body: String = body
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(std_body.as_bytes())
        .or_else(|_| {
            // Tolerate a dangling final sextet by dropping it.
            let cut = std_body.len() - std_body.len() % 4;
            let cut = if std_body.len() % 4 == 1 {
                cut
            } else {
                std_body.len()
            };
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(std_body.get(..cut).unwrap_or("").as_bytes())
        })
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .count();
    let total = text.chars().count().max(1);
    if printable * 100 / total < 90 {
        return None;
    }
    Some(text)
}

#[cfg(test)]
mod tests {

    use proptest::prelude::*;

    proptest! {
        /// The quick NFKC check changes no fold: any text, with
        /// compatibility characters, quotes and invisible ones mixed in.
        #[test]
        fn quick_check_folds_as_the_full_path(
            text in "[a-zäöüß文字ｱＡ①ﬁ\u{2019}\u{201C}\u{200B}\u{00AD}\u{0301}\u{212B} <>'\"]{0,40}",
        ) {
            prop_assert_eq!(fold_unicode(&text).into_owned(), fold_full(&text));
        }
    }
    use super::*;

    #[test]
    fn double_percent_and_overlong() {
        let n = normalize("%25C0%25AE%25C0%25AE%25C0%25AFetc%25C0%25AFpasswd", 3);
        assert_eq!(n.text, "../etc/passwd");
        assert!(n.flags.overlong_utf8);
        assert!(n.flags.multi_encoded);
    }

    #[test]
    fn percent_u_and_entities() {
        let n = normalize("%u003cscript&#x3e;&lpar;", 3);
        assert_eq!(n.text, "<script>(");
        assert!(n.flags.percent_u);
    }

    #[test]
    fn fullwidth_and_circled() {
        assert_eq!(fold_unicode("＜script＞"), "<script>");
        assert_eq!(fold_unicode("ⒼⓄⓄⒼⓁⒺ"), "GOOGLE");
    }

    #[test]
    fn js_escapes() {
        assert_eq!(js_unescape("\\u0061lert\\x28\\u{31})"), "alert(1)");
    }

    #[test]
    fn paths() {
        assert_eq!(canonical_path("/a//b/./c\\..\\d"), "/a/b/c/../d");
    }

    #[test]
    fn base64() {
        assert_eq!(
            base64_candidate("L2V0Yy9wYXNzd2Q").as_deref(),
            Some("/etc/passwd")
        );
        assert!(base64_candidate("hello").is_none());
        assert!(base64_candidate("abcdefghijk").is_none());
    }

    #[test]
    fn invalid_percent_flagged() {
        let mut f = NormFlags::default();
        let _ = percent_decode_once(b"a%zz", false, &mut f);
        assert!(f.invalid_percent);
    }
}
