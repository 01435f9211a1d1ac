//! Credentials and secrets: JSON Web Tokens, GitHub tokens, PEM private
//! keys, and the generic high-entropy / placeholder heuristics that make
//! pattern-only secret detection usable.

use base64::alphabet;
use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;

use super::shannon_entropy;

/// Decoder options shared by the lenient engines: tokens in the wild come
/// with or without padding, and a validator should not reject a real token
/// over non-canonical trailing bits.
const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);

/// base64url (RFC 4648 §5), as used by JWS compact serialisation.
const B64_URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Standard base64 (RFC 4648 §4), as used in PEM bodies.
const B64_STD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);

fn is_b64url_segment(seg: &str) -> bool {
    seg.trim_end_matches('=')
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Decodes a base64url segment into a JSON value.
fn json_segment(seg: &str) -> Option<serde_json::Value> {
    let bytes = B64_URL.decode(seg.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// JSON Web Token in JWS compact serialisation (RFC 7519, RFC 7515 §7.1):
/// three base64url segments; the header decodes to a JSON object with a
/// string `alg` (RFC 7515 §4.1.1) and the payload to a JSON object (the
/// claims set). The signature may be empty (`alg: none`) but must be
/// base64url.
pub(crate) fn jwt(value: &str) -> bool {
    let s = value.trim();
    let mut parts = s.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if header.is_empty()
        || payload.is_empty()
        || ![header, payload, signature]
            .iter()
            .all(|seg| is_b64url_segment(seg))
    {
        return false;
    }
    if !signature.is_empty() && B64_URL.decode(signature.trim_end_matches('=')).is_err() {
        return false;
    }
    let header_ok = json_segment(header).is_some_and(|h| {
        h.as_object()
            .and_then(|o| o.get("alg"))
            .is_some_and(serde_json::Value::is_string)
    });
    header_ok && json_segment(payload).is_some_and(|p| p.is_object())
}

/// CRC-32 as in ISO 3309 / ITU-T V.42 / IEEE 802.3 (reflected polynomial
/// 0xEDB88320, initial and final XOR all ones) — the `zlib.crc32` checksum.
/// Bitwise rather than table-driven: it only ever sees 30 bytes.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// GMP-order base62 alphabet used by GitHub's token checksums.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` in base62, left-padded with '0' to six characters (62^6 > 2^32, so
/// six always suffice).
fn base62_6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62.get((n % 62) as usize).copied().unwrap_or(b'0');
        n /= 62;
    }
    out
}

/// Prefixes of GitHub's checksummed tokens: personal access (classic),
/// OAuth, user-to-server, server-to-server, refresh.
const GITHUB_PREFIXES: &[&str] = &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"];

/// GitHub token, per GitHub's token format announcement (2021-04-05,
/// "Behind GitHub's new authentication token formats"): a `gh?_` prefix,
/// 30 random base62 characters and a 6-character checksum — the CRC-32 of
/// the 30 random characters in base62, padded with '0'. Fine-grained
/// personal access tokens (`github_pat_` + 82 of `[A-Za-z0-9_]`) carry no
/// public checksum and are checked for form only.
pub(crate) fn github_token(value: &str) -> bool {
    let s = value.trim();
    if let Some(rest) = s.strip_prefix("github_pat_") {
        return rest.len() == 82 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    }
    let Some(rest) = GITHUB_PREFIXES.iter().find_map(|p| s.strip_prefix(p)) else {
        return false;
    };
    if rest.len() != 36 || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, checksum) = rest.as_bytes().split_at(30);
    base62_6(crc32(random)) == checksum
}

/// PEM labels of private keys: PKCS #1 RSA, SEC 1 EC, OpenSSL DSA, OpenSSH,
/// PKCS #8 encrypted and plain (RFC 7468), and the OpenPGP armour block
/// (RFC 4880 §6.2).
const PEM_LABELS: &[&str] = &[
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "DSA PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "PRIVATE KEY",
    "PGP PRIVATE KEY BLOCK",
];

/// Private key block (RFC 7468 textual encoding; RFC 1421 headers for
/// legacy encrypted keys; RFC 4880 armour for PGP): a known BEGIN label, a
/// matching END line, and between them a base64 body of at least 64
/// characters that decodes. Header lines (`Proc-Type:`, `DEK-Info:`,
/// `Version:` …) and the PGP CRC-24 line are skipped. Keys pasted into JSON
/// or environment files with literal `\n` escapes are accepted too.
/// Bodies with fewer than 16 distinct characters are rejected: a real key
/// never looks like that, a redacted `AAAA…` one does.
pub(crate) fn pem_private_key(value: &str) -> bool {
    let unescaped = value.replace("\\r", "").replace("\\n", "\n");
    let s = unescaped.trim();
    let Some(rest) = s.strip_prefix("-----BEGIN ") else {
        return false;
    };
    let Some((label, after_begin)) = rest.split_once("-----") else {
        return false;
    };
    if !PEM_LABELS.contains(&label) {
        return false;
    }
    let end_marker = format!("-----END {label}-----");
    let Some((body, _)) = after_begin.split_once(end_marker.as_str()) else {
        return false;
    };
    let mut tokens: Vec<&str> = body
        .lines()
        .filter(|line| !line.contains(':'))
        .flat_map(str::split_whitespace)
        .collect();
    if label == "PGP PRIVATE KEY BLOCK"
        && tokens
            .last()
            .is_some_and(|t| t.len() == 5 && t.starts_with('='))
    {
        tokens.pop();
    }
    let b64: String = tokens.concat();
    let core = b64.trim_end_matches('=');
    let alphabet_ok = core
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    let mut seen = [false; 128];
    for b in core.bytes() {
        if let Some(slot) = seen.get_mut(usize::from(b)) {
            *slot = true;
        }
    }
    let distinct = seen.iter().filter(|&&x| x).count();
    b64.len() >= 64 && alphabet_ok && distinct >= 16 && B64_STD.decode(core).is_ok()
}

/// Substrings that mark a value as a template, sample or redaction rather
/// than a live secret (compared case-insensitively). "..." and "…" catch
/// elided values such as `sk-abc...xyz`.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "xxxx",
    "****",
    "${",
    "{{",
    "your_",
    "your-",
    "example",
    "dummy",
    "changeme",
    "change_me",
    "placeholder",
    "redacted",
    "...",
    "…",
];

/// `PLACEHOLDER_MARKERS` as one automaton: a `contains` per marker built
/// a substring searcher each time (with `shannon_entropy`'s map, most of
/// the generic secrets' validator).
fn placeholder_markers() -> Option<&'static aho_corasick::AhoCorasick> {
    static MARKERS: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    // The builder fails only past its size limits, far above fourteen
    // short words; were it to, the markers are searched one by one.
    MARKERS
        .get_or_init(|| aho_corasick::AhoCorasick::new(PLACEHOLDER_MARKERS).ok())
        .as_ref()
}

/// Whether `lower` contains `word` delimited by non-alphanumerics (so
/// `my_test_key` and `test-token` match, `latest` and `contest` do not).
fn contains_word(lower: &str, word: &str) -> bool {
    lower.match_indices(word).any(|(i, _)| {
        let before = lower.get(..i).and_then(|p| p.chars().next_back());
        let after = lower.get(i + word.len()..).and_then(|p| p.chars().next());
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether `bytes` has a run of `len` consecutive ascending or descending
/// digits or letters (`123456`, `abcdef`, `987654`): keyboard filler.
fn has_sequence(bytes: &[u8], len: usize) -> bool {
    let (mut up, mut down) = (1usize, 1usize);
    for pair in bytes.windows(2) {
        let &[a, b] = pair else {
            continue;
        };
        let same_class = (a.is_ascii_digit() && b.is_ascii_digit())
            || (a.is_ascii_lowercase() && b.is_ascii_lowercase());
        up = if same_class && b == a.wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if same_class && a == b.wrapping_add(1) {
            down + 1
        } else {
            1
        };
        if up >= len || down >= len {
            return true;
        }
    }
    false
}

/// Length of the longest run of one repeated character.
fn longest_run(s: &str) -> usize {
    let mut best = 0;
    let mut current = 0;
    let mut previous = None;
    for c in s.chars() {
        current = if Some(c) == previous { current + 1 } else { 1 };
        previous = Some(c);
        best = best.max(current);
    }
    best
}

/// The placeholder heuristics shared by [`entropy_secret`] and
/// [`not_placeholder`]; `max_run` is the shortest run of one repeated
/// character that counts as filler.
/// Whether `s` is a whole variable reference of a shell rather than a
/// value: `%NAME%` (Windows cmd), `$NAME`, `$env:NAME` (PowerShell),
/// `${…}` and `$(…)`.
fn variable_reference(s: &str) -> bool {
    let name = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let cmd = s.len() > 2
        && s.starts_with('%')
        && s.ends_with('%')
        && s.get(1..s.len() - 1).is_some_and(name);
    let shell = s.strip_prefix('$').is_some_and(|rest| {
        rest.starts_with(['{', '(']) || rest.strip_prefix("env:").map_or_else(|| name(rest), name)
    });
    cmd || shell
}

fn looks_like_placeholder(s: &str, max_run: usize) -> bool {
    if variable_reference(s) {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    let angle_template = lower
        .find('<')
        .is_some_and(|i| lower.get(i..).is_some_and(|rest| rest.contains('>')));
    let marked = match placeholder_markers() {
        Some(ac) => ac.is_match(&lower),
        None => PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m)),
    };
    marked
        || angle_template
        || contains_word(&lower, "test")
        || has_sequence(lower.as_bytes(), 6)
        || longest_run(s) >= max_run
}

/// Stripe's test-mode keys (`sk_test_…`, `rk_test_…`): real keys to a
/// test account, but not the ones Stripe prints in its own documentation
/// and code samples (found in countless tutorials, they open nothing), and
/// not a body that is itself a placeholder. [`not_placeholder`] cannot
/// judge the whole value: its prefix holds the word `test`.
pub(crate) fn stripe_test_key(value: &str) -> bool {
    const DOCUMENTED: [&str; 2] = [
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    ];
    let body = value
        .strip_prefix("sk_test_")
        .or_else(|| value.strip_prefix("rk_test_"));
    match body {
        Some(body) => !DOCUMENTED.contains(&value) && not_placeholder(body),
        None => false,
    }
}

/// Provider keys with a fixed prefix: true unless the value carries a
/// placeholder marker (`xxxx`, `****`, `<…>`, `${`, `{{`, `your_`,
/// `example`, `dummy`, `changeme`, `placeholder`, `redacted`, an elision,
/// the word `test`), a 6-long ascending/descending sequence, or a run of ≥ 8
/// identical characters. Note that Stripe-style `sk_test_…` keys are
/// therefore rejected: test-mode keys are not production secrets.
pub(crate) fn not_placeholder(value: &str) -> bool {
    let s = value.trim();
    !s.is_empty() && !looks_like_placeholder(s, 8)
}

/// Whether `s` is a UUID in its 8-4-4-4-12 hex text form (RFC 9562).
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Number of character classes present: lower case, upper case, digits,
/// anything else.
fn char_classes(s: &str) -> usize {
    let lower = s.chars().any(|c| c.is_ascii_lowercase());
    let upper = s.chars().any(|c| c.is_ascii_uppercase());
    let digit = s.chars().any(|c| c.is_ascii_digit());
    let other = s.chars().any(|c| !c.is_ascii_alphanumeric());
    [lower, upper, digit, other].iter().filter(|&&x| x).count()
}

/// Whether `s` reads like words or an identifier rather than random data:
/// only letters once the usual word separators (`_ - .`) are removed, with
/// at least a quarter vowels — English text runs ~38%, uniformly random
/// letters ~19%.
fn word_like(s: &str) -> bool {
    let letters: Vec<char> = s
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .collect();
    if letters.is_empty() || !letters.iter().all(char::is_ascii_alphabetic) {
        return false;
    }
    let vowels = letters
        .iter()
        .filter(|c| matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u'))
        .count();
    vowels * 4 >= letters.len()
}

/// Generic secret (an API key, token or password assigned in config or
/// code): at least 16 characters without whitespace, Shannon entropy ≥ 3.5
/// bits/character (≥ 3.0 for hex strings of 32 or more), at least two
/// character classes unless hex, and none of: placeholder markers, 6-long
/// sequences or runs, hex of exactly 32/40/64 characters (MD5/SHA-1/SHA-256
/// digests, which are common and not secret), UUIDs, or word-like letter
/// strings. "Hex" means hex digits with at least one digit and one letter.
pub(crate) fn entropy_secret(value: &str) -> bool {
    let s = value.trim();
    if s.chars().count() < 16
        || s.chars().any(char::is_whitespace)
        || looks_like_placeholder(s, 6)
        || is_uuid(s)
    {
        return false;
    }
    let hex = s.bytes().all(|b| b.is_ascii_hexdigit())
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_alphabetic());
    if hex && matches!(s.len(), 32 | 40 | 64) {
        return false;
    }
    let entropy = shannon_entropy(s);
    if hex {
        return entropy >= if s.len() >= 32 { 3.0 } else { 3.5 };
    }
    char_classes(s) >= 2 && entropy >= 3.5 && !word_like(s)
}

/// AWS secret access key: 40 characters of the base64 alphabet, entropy
/// ≥ 4.0 bits/character (a random key is ~4.9), and not a placeholder (the
/// AWS documentation key ends in EXAMPLEKEY).
pub(crate) fn aws_secret_key(value: &str) -> bool {
    let s = value.trim();
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        && shannon_entropy(s) >= 4.0
        && not_placeholder(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_references_are_not_values() {
        for r in [
            "%DEEPSEEK_KEY_FROM_VAULT%",
            "$OPENAI_API_KEY",
            "$env:GROQ_API_KEY",
            "${KEY}",
            "$(cat key)",
        ] {
            assert!(variable_reference(r), "{r}");
            assert!(!entropy_secret(r) && !not_placeholder(r), "{r}");
        }
        for v in ["%", "%%", "%a b%", "$", "Zx9%Qp2$Lm4%", "sk-1f3a9c%20x"] {
            assert!(!variable_reference(v), "{v}");
        }
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC catalogue's check value for CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    const JWT_IO_SAMPLE: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
        eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.\
        SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    #[test]
    fn jwts() {
        assert!(jwt(JWT_IO_SAMPLE));
        assert!(jwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiYWRtaW4iOnRydWV9."));
        assert!(jwt("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.\
             eyJpc3MiOiJwYWxpc2FkZSIsImV4cCI6MTkwMDAwMDAwMH0.\
             AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-Pw"));
        assert!(!jwt("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.abc")); // no alg
        assert!(!jwt("eyJhbGciOjV9.eyJzdWIiOiJ4In0.abc")); // alg not a string
        assert!(!jwt("eyJhbGciOiJIUzI1NiJ9.WzEsMl0.abc")); // payload is an array
        assert!(!jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0")); // two segments
        assert!(!jwt("a.b.c"));
        let truncated = JWT_IO_SAMPLE.replacen("eyJzdWIi", "eyJzdWI", 1);
        assert!(!jwt(&truncated));
    }

    /// Tokens are assembled at run time so the source holds no string that
    /// secret scanners would flag; checksums were computed independently
    /// (Python `zlib.crc32` + base62).
    fn token(prefix: &str, random: &str, checksum: &str) -> String {
        format!("{prefix}{random}{checksum}")
    }

    #[test]
    fn github_tokens() {
        assert!(github_token(&token(
            "ghp_",
            "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ",
            "0mLq17"
        )));
        assert!(github_token(&token(
            "ghp_",
            "Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y",
            "3gm1IL"
        )));
        assert!(github_token(&token(
            "gho_",
            "Eeeby3abP3E2Zs8IQ9Y7aJZqhB6bae",
            "2dTjzx"
        )));
        let pat = format!(
            "github_pat_{}_{}",
            "CN6Zj4a3dDVhYRnKTbxTNJ", "FoBinF5aJXVuLkSIc47WQAmL9xVQ2zg4mZaouqKLiMcVbpT4r5yHUig43ki"
        );
        assert!(github_token(&pat));
        // Wrong checksum, wrong length, unknown prefix, bad fine-grained length.
        assert!(!github_token(&token(
            "ghp_",
            "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ",
            "0mLq18"
        )));
        assert!(!github_token(&token(
            "ghp_",
            "zQWBuTSOoRi4A9spHcVY5ncnsDkxk",
            "0mLq17"
        )));
        assert!(!github_token(&token(
            "ghx_",
            "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ",
            "0mLq17"
        )));
        assert!(!github_token(&pat[..pat.len() - 1]));
        assert!(!github_token(&format!("{pat}!")));
    }

    /// A PEM-shaped block around deterministic pseudo-random bytes: the
    /// validator checks structure, and no real key needs to live in the
    /// source tree.
    fn pem(label: &str, headers: &str, body_bytes: usize) -> String {
        let mut x = 0x2545_F491_u32;
        let bytes: Vec<u8> = (0..body_bytes)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[0]
            })
            .collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let lines: Vec<String> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{headers}{}\n-----END {label}-----",
            lines.join("\n")
        )
    }

    #[test]
    fn pem_keys() {
        assert!(pem_private_key(&pem("RSA PRIVATE KEY", "", 600)));
        assert!(pem_private_key(&pem("PRIVATE KEY", "", 120)));
        assert!(pem_private_key(&pem("OPENSSH PRIVATE KEY", "", 400)));
        assert!(pem_private_key(&pem(
            "RSA PRIVATE KEY",
            "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n",
            600
        )));
        let pgp = pem("PGP PRIVATE KEY BLOCK", "Version: GnuPG v2\n\n", 300)
            .replace("\n-----END", "\n=njUN\n-----END");
        assert!(pem_private_key(&pgp));
        // As pasted into a JSON string: literal backslash-n escapes.
        let escaped = pem("EC PRIVATE KEY", "", 121).replace('\n', "\\n");
        assert!(pem_private_key(&escaped));

        // Mismatched END, unknown label, short body, not base64, redacted.
        let mismatched = pem("RSA PRIVATE KEY", "", 600).replace("END RSA", "END EC");
        assert!(!pem_private_key(&mismatched));
        assert!(!pem_private_key(&pem("PUBLIC KEY", "", 300)));
        assert!(!pem_private_key(&pem("RSA PRIVATE KEY", "", 30)));
        assert!(!pem_private_key(
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----"
        ));
        let redacted = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
            "A".repeat(128)
        );
        assert!(!pem_private_key(&redacted));
        let no_end = pem("RSA PRIVATE KEY", "", 600).replace("-----END RSA PRIVATE KEY-----", "");
        assert!(!pem_private_key(&no_end));
    }

    #[test]
    fn entropy_secrets() {
        assert!(entropy_secret("GI09QYNdaKy8isWydfhl3Tvt"));
        assert!(entropy_secret("dvani2xjLE/7RaGVoo/ALvpZHtZrjmTJAMJTT1+N"));
        assert!(entropy_secret("Zx8#kP2!vR9qL4mW"));
        assert!(entropy_secret(
            "cccc3fc1626e53a13043b026c48bbf33feff9243a8f506b4"
        )); // hex, 48
        assert!(!entropy_secret("Zx8#kP2!vR9qL4m")); // 15 characters
        assert!(!entropy_secret("d41d8cd98f00b204e9800998ecf8427e")); // MD5 digest
        assert!(!entropy_secret("da39a3ee5e6b4b0d3255bfef95601890afd80709")); // SHA-1
        assert!(!entropy_secret("123e4567-e89b-12d3-a456-426614174000")); // UUID
        assert!(!entropy_secret("ThisIsMyPasswordHere")); // word-like
        assert!(!entropy_secret("user_account_balance_total")); // identifier
        assert!(!entropy_secret("your_api_key_goes_here_42"));
        assert!(!entropy_secret("sk-XXXXXXXXXXXXXXXXXXXXXXXX"));
        assert!(!entropy_secret("<insert-token-here>A1"));
        assert!(!entropy_secret("${SECRET_TOKEN_VALUE_9}"));
        assert!(!entropy_secret("my_test_token_Abc9XyZ")); // "test" as a word
        assert!(!entropy_secret("Passw0rd_123456_Qz")); // sequence
        assert!(!entropy_secret("Kq9aaaaaaaaZx8vR2m")); // run of 8
        assert!(!entropy_secret("abc1 def2 ghi3 jkl4")); // whitespace
        assert!(!entropy_secret("1234098712340987123")); // digits only
    }

    #[test]
    fn placeholders() {
        assert!(not_placeholder("AKIAZ7QWERTN2ABCDXYZ"));
        assert!(not_placeholder("GI09QYNdaKy8isWydfhl3Tvt"));
        assert!(not_placeholder("sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(not_placeholder("latest-contest-K2x9")); // "test" inside words only
        assert!(!not_placeholder("AKIAIOSFODNN7EXAMPLE"));
        assert!(!not_placeholder("sk_test_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(!not_placeholder("ghp_000000000000000000000000000000000000"));
        assert!(!not_placeholder("xoxb-REDACTED"));
        assert!(!not_placeholder("sk-abc...xyz"));
        assert!(!not_placeholder("{{ api_key }}"));
        assert!(!not_placeholder("dummy-key-1"));
        assert!(!not_placeholder("   "));
    }

    #[test]
    fn stripe_test_keys() {
        assert!(stripe_test_key("sk_test_rV641sMfbu8RxMjvZrYAiOrJ"));
        assert!(stripe_test_key(
            "rk_test_chLE6FuYyHl80oVKLVb2yVynQYeHLCdeROo6ioLR"
        ));
        assert!(!stripe_test_key("sk_test_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(!stripe_test_key("sk_test_BQokikJOvBiI2HlWgH4olfQ2"));
        assert!(!stripe_test_key("sk_test_xxxxxxxxxxxxxxxxxxxxxxxx"));
        assert!(!stripe_test_key("sk_live_rV641sMfbu8RxMjvZrYAiOrJ"));
    }

    #[test]
    fn aws_secrets() {
        assert!(aws_secret_key("dvani2xjLE/7RaGVoo/ALvpZHtZrjmTJAMJTT1+N"));
        assert!(aws_secret_key("aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3gH5jK7m"));
        assert!(!aws_secret_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")); // AWS docs
        assert!(!aws_secret_key("dvani2xjLE/7RaGVoo/ALvpZHtZrjmTJAMJTT1+")); // 39
        assert!(!aws_secret_key("dvani2xjLE/7RaGVoo/ALvpZHtZrjmTJAMJTT1-N")); // '-'
        assert!(!aws_secret_key("abababababababababababababababababababab")); // entropy 1
    }
}
