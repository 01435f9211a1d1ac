//! The masking methods and the [`Masker`] that applies them.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::ff1::Ff1;
use crate::keys::{encode_hex, Keys, KEY_LEN};
use crate::MaskError;

/// Prefix of every reversible token.
pub const TOKEN_PREFIX: &str = "tok_";
/// Prefix of every keyed hash.
pub const HASH_PREFIX: &str = "h:";
/// Hex characters a keyed hash keeps when [`Method::Hash`] gives no `len`.
pub const DEFAULT_HASH_LEN: usize = 16;
/// Most numerals [`Method::Fpe`] will encrypt in one value.
///
/// FF1 itself allows up to 2^32 − 1, but its big-number arithmetic is
/// quadratic in the length; the gateway masks untrusted text inline, so a
/// cap keeps one huge "number" from stalling a request. Values this long are
/// not identifiers anyway, and callers fall back to another method.
pub const MAX_FPE_NUMERALS: usize = 4096;
/// Byte length of the AES-GCM nonce (96 bits, the size GCM is designed for).
const NONCE_LEN: usize = 12;
/// Byte length of the AES-GCM tag.
const TAG_LEN: usize = 16;
/// Associated data bound into every token, so a ciphertext made by some
/// other AES-GCM user of the same key can never pass as a token, and a
/// future token format can change the string.
const TOKEN_AAD: &[u8] = b"palisade-mask token v1";

/// Labels for subkey derivation: one per purpose, versioned.
const HASH_KEY_LABEL: &str = "palisade-mask/v1/hash";
const TOKEN_KEY_LABEL: &str = "palisade-mask/v1/tokenize";
const FPE_KEY_LABEL: &str = "palisade-mask/v1/fpe";

/// Alphabet of radix 62; radix 10 and 36 use its first 10 and 36 characters,
/// so the three alphabets agree where they overlap.
const ALPHABET_62: &[u8; 62] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// How to mask a value.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// Replace with a fixed label. With `label: None` the output is the
    /// caller's type label, upper-cased, in brackets (`email` → `[EMAIL]`),
    /// or `[REDACTED]` when the caller passes an empty label.
    Redact {
        /// Literal replacement text, used as is.
        label: Option<String>,
    },
    /// Keep the first `keep_first` and the last `keep_last` alphanumeric
    /// characters, replace every other alphanumeric character with
    /// `mask_char` (default `*`), and keep every other character (spaces,
    /// `-`, `.`, `@`, …) so the shape stays readable:
    /// `4111 1111 1111 1234` → `**** **** **** 1234`,
    /// `john.doe@example.com` with `keep_first = 1` →
    /// `j***.***@*******.***`.
    ///
    /// Counts are in characters, not bytes, and count only the masked
    /// class (alphanumerics), so separators never use up the budget. When
    /// the counts would reveal every alphanumeric character, everything is
    /// masked instead: a mask action must never be a no-op.
    Partial {
        /// Leading alphanumeric characters to leave visible.
        #[serde(default)]
        keep_first: usize,
        /// Trailing alphanumeric characters to leave visible.
        #[serde(default)]
        keep_last: usize,
        /// The replacement character (default `*`).
        mask_char: Option<char>,
    },
    /// Keyed hash: HMAC-SHA-256 of the value under the hash subkey, lowercase
    /// hex cut to `len` characters (default 16, at most 64), prefixed `h:`.
    /// Equal values give equal outputs, so joins on the masked column still
    /// work, but without the key nobody can test a guess.
    Hash {
        /// Hex characters to keep, 1..=64.
        len: Option<usize>,
    },
    /// Reversible token: AES-256-GCM of the value under a random 96-bit
    /// nonce, as `tok_<base64url(nonce || ciphertext || tag)>` (no padding).
    /// Two tokens of one value differ; [`Masker::detokenize`] inverts them.
    Tokenize,
    /// Format-preserving encryption (FF1) of the value's numerals: radix 10
    /// encrypts the ASCII digits; radix 36 the ASCII digits and letters,
    /// case-insensitively (output lowercase); radix 62 digits and letters,
    /// case-sensitively. All other characters stay where they are, so length,
    /// separators and character classes are preserved.
    /// [`Masker::fpe_decrypt`] with the same radix and tweak inverts it.
    ///
    /// FF1 needs `radix^numerals >= 1,000,000` (6 digits in radix 10, 4
    /// alphanumerics in radix 36 or 62); shorter values are an error so the
    /// caller can fall back to another method.
    Fpe {
        /// 10 (default), 36 or 62.
        radix: Option<u32>,
        /// FF1 tweak (its UTF-8 bytes); default empty. The same value under
        /// different tweaks encrypts differently.
        tweak: Option<String>,
    },
}

impl Method {
    /// Every method name, as configuration and the command line spell it.
    pub const NAMES: [&'static str; 5] = ["redact", "partial", "hash", "tokenize", "fpe"];

    /// The method of a name with default options (`partial` keeps what it
    /// is told); `None` for an unknown name.
    pub fn from_name(name: &str, keep_first: usize, keep_last: usize) -> Option<Method> {
        Some(match name {
            "redact" => Method::Redact { label: None },
            "partial" => Method::Partial {
                keep_first,
                keep_last,
                mask_char: None,
            },
            "hash" => Method::Hash { len: None },
            "tokenize" => Method::Tokenize,
            "fpe" => Method::Fpe {
                radix: None,
                tweak: None,
            },
            _ => return None,
        })
    }

    /// The method's name as it appears in configuration (`"redact"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Method::Redact { .. } => "redact",
            Method::Partial { .. } => "partial",
            Method::Hash { .. } => "hash",
            Method::Tokenize => "tokenize",
            Method::Fpe { .. } => "fpe",
        }
    }

    /// Whether the method needs key material.
    pub fn needs_key(&self) -> bool {
        matches!(
            self,
            Method::Hash { .. } | Method::Tokenize | Method::Fpe { .. }
        )
    }

    /// Checks the options that do not depend on the value, so a policy can
    /// be rejected when it is loaded rather than at the first match.
    pub fn validate(&self) -> Result<(), MaskError> {
        match self {
            Method::Hash { len } => hash_len(*len).map(|_| ()),
            Method::Fpe { radix, .. } => fpe_radix(*radix).map(|_| ()),
            Method::Redact { .. } | Method::Partial { .. } | Method::Tokenize => Ok(()),
        }
    }
}

/// The keyed half of a [`Masker`]: one independent subkey per purpose.
struct Keyed {
    hash_key: Zeroizing<[u8; KEY_LEN]>,
    fpe_key: Zeroizing<[u8; KEY_LEN]>,
    // The cipher wipes its round keys on drop (the `zeroize` feature).
    gcm: Aes256Gcm,
}

/// Applies [`Method`]s to values. Built once from the key material and
/// shared (it is `Send + Sync` and every method takes `&self`).
pub struct Masker {
    keyed: Option<Keyed>,
}

impl std::fmt::Debug for Masker {
    // Hand-written: only whether keys are present, never the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masker")
            .field("has_keys", &self.keyed.is_some())
            .finish()
    }
}

impl Masker {
    /// A masker. Without keys only [`Method::Redact`] and
    /// [`Method::Partial`] work; keyed methods return [`MaskError::NoKey`].
    ///
    /// The master key is consumed: only the derived subkeys are kept, and the
    /// master is wiped when `keys` drops at the end of this call.
    pub fn new(keys: Option<Keys>) -> Masker {
        let keyed = keys.map(|keys| {
            let token_key = keys.derive(TOKEN_KEY_LABEL);
            let token_key: &[u8; KEY_LEN] = &token_key;
            Keyed {
                hash_key: keys.derive(HASH_KEY_LABEL),
                fpe_key: keys.derive(FPE_KEY_LABEL),
                gcm: Aes256Gcm::new(token_key.into()),
            }
        });
        Masker { keyed }
    }

    /// Whether keyed methods are available.
    pub fn has_keys(&self) -> bool {
        self.keyed.is_some()
    }

    /// Masks `value` with `method`. `label` is the data type's name (for
    /// example `email`); only [`Method::Redact`] uses it.
    pub fn mask(&self, value: &str, method: &Method, label: &str) -> Result<String, MaskError> {
        match method {
            Method::Redact { label: fixed } => Ok(redact(fixed.as_deref(), label)),
            Method::Partial {
                keep_first,
                keep_last,
                mask_char,
            } => Ok(partial(
                value,
                *keep_first,
                *keep_last,
                mask_char.unwrap_or('*'),
            )),
            Method::Hash { len } => {
                let len = hash_len(*len)?;
                let keyed = self.keyed(method)?;
                // HMAC accepts keys of every length; the error arm is
                // unreachable but keeps this path free of panics.
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&keyed.hash_key[..])
                    .map_err(|e| MaskError::Encrypt(e.to_string()))?;
                mac.update(value.as_bytes());
                let mut hex = encode_hex(&mac.finalize().into_bytes());
                hex.truncate(len);
                Ok(format!("{HASH_PREFIX}{hex}"))
            }
            Method::Tokenize => {
                let keyed = self.keyed(method)?;
                let mut nonce = [0u8; NONCE_LEN];
                // A fresh random nonce per token: GCM's security collapses
                // if a nonce ever repeats under one key, and 96 random bits
                // make that negligible for any realistic token count.
                getrandom::fill(&mut nonce).map_err(|e| MaskError::Random(e.to_string()))?;
                let sealed = keyed
                    .gcm
                    .encrypt(
                        Nonce::from_slice(&nonce),
                        Payload {
                            msg: value.as_bytes(),
                            aad: TOKEN_AAD,
                        },
                    )
                    .map_err(|_| MaskError::Encrypt("AES-GCM refused the value".to_owned()))?;
                let mut raw = Vec::with_capacity(NONCE_LEN + sealed.len());
                raw.extend_from_slice(&nonce);
                raw.extend_from_slice(&sealed);
                Ok(format!(
                    "{TOKEN_PREFIX}{}",
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
                ))
            }
            Method::Fpe { radix, tweak } => {
                let radix = fpe_radix(*radix)?;
                let keyed = self.keyed(method)?;
                fpe(
                    &keyed.fpe_key[..],
                    value,
                    radix,
                    tweak.as_deref().unwrap_or(""),
                    true,
                )
            }
        }
    }

    /// The value a [`Method::Tokenize`] token stands for.
    ///
    /// Fails with [`MaskError::NotAToken`] when `token` does not have a
    /// token's shape, and [`MaskError::BadToken`] ("wrong key or corrupted
    /// token") when it does but does not authenticate under this key.
    pub fn detokenize(&self, token: &str) -> Result<String, MaskError> {
        let body = token
            .trim()
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(MaskError::NotAToken)?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| MaskError::NotAToken)?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(MaskError::NotAToken);
        }
        let keyed = self.keyed(&Method::Tokenize)?;
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let plain = keyed
            .gcm
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: TOKEN_AAD,
                },
            )
            .map_err(|_| MaskError::BadToken)?;
        // Authenticated plaintext was valid UTF-8 when sealed; anything else
        // means a token this code did not make.
        String::from_utf8(plain).map_err(|_| MaskError::BadToken)
    }

    /// The inverse of [`Method::Fpe`] with the same `radix` (default 10) and
    /// `tweak` (default empty).
    pub fn fpe_decrypt(
        &self,
        masked: &str,
        radix: Option<u32>,
        tweak: Option<&str>,
    ) -> Result<String, MaskError> {
        let radix = fpe_radix(radix)?;
        let keyed = self.keyed(&Method::Fpe {
            radix: Some(radix),
            tweak: None,
        })?;
        fpe(
            &keyed.fpe_key[..],
            masked,
            radix,
            tweak.unwrap_or(""),
            false,
        )
    }

    /// Masks several byte spans `(start, end, method, label)` of `text` at
    /// once and returns the new text.
    ///
    /// Spans may come in any order. A span is skipped (its bytes left as
    /// they are) when it is empty, reaches past the end of `text`, does not
    /// start and end on a `char` boundary, or overlaps a span kept before it
    /// in start order (for two spans with one start, the longer is kept).
    /// Callers that can produce overlaps should merge them first.
    ///
    /// The first masking error fails the whole call rather than returning a
    /// text with one value left in the clear.
    pub fn mask_spans(
        &self,
        text: &str,
        spans: &[(usize, usize, Method, String)],
    ) -> Result<String, MaskError> {
        let mut valid: Vec<(usize, usize, &Method, &str)> = spans
            .iter()
            .filter(|(start, end, _, _)| start < end && text.get(*start..*end).is_some())
            .map(|(start, end, method, label)| (*start, *end, method, label.as_str()))
            .collect();
        // Longer first among equal starts, so the wider span wins.
        valid.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));

        let mut out = String::with_capacity(text.len());
        let mut cursor = 0usize;
        for (start, end, method, label) in valid {
            if start < cursor {
                continue;
            }
            // Both ranges were checked by `get` above or end at a kept
            // span's end; `get` keeps this panic-free regardless.
            let (Some(before), Some(value)) = (text.get(cursor..start), text.get(start..end))
            else {
                continue;
            };
            out.push_str(before);
            out.push_str(&self.mask(value, method, label)?);
            cursor = end;
        }
        out.push_str(text.get(cursor..).unwrap_or_default());
        Ok(out)
    }

    fn keyed(&self, method: &Method) -> Result<&Keyed, MaskError> {
        self.keyed.as_ref().ok_or(MaskError::NoKey {
            method: method.name(),
        })
    }
}

fn redact(fixed: Option<&str>, label: &str) -> String {
    match fixed {
        Some(text) => text.to_owned(),
        None if label.trim().is_empty() => "[REDACTED]".to_owned(),
        None => format!("[{}]", label.trim().to_uppercase()),
    }
}

fn partial(value: &str, keep_first: usize, keep_last: usize, mask_char: char) -> String {
    let total = value.chars().filter(|c| c.is_alphanumeric()).count();
    // Fail closed: counts that would show every character mask them all.
    let reveal = keep_first.saturating_add(keep_last) < total;
    let mut index = 0usize;
    value
        .chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            let i = index;
            index += 1;
            if reveal && (i < keep_first || i >= total - keep_last) {
                c
            } else {
                mask_char
            }
        })
        .collect()
}

fn hash_len(len: Option<usize>) -> Result<usize, MaskError> {
    match len.unwrap_or(DEFAULT_HASH_LEN) {
        n @ 1..=64 => Ok(n),
        n => Err(MaskError::InvalidOption(format!(
            "hash len must be between 1 and 64 hex chars, got {n}"
        ))),
    }
}

fn fpe_radix(radix: Option<u32>) -> Result<u32, MaskError> {
    match radix.unwrap_or(10) {
        r @ (10 | 36 | 62) => Ok(r),
        r => Err(MaskError::FpeRadix { radix: r }),
    }
}

/// The numeral `c` stands for in `radix`'s alphabet, if any. Radix 36 folds
/// ASCII upper case onto lower case (its alphabet has one case only).
fn numeral(c: char, radix: u32) -> Option<u16> {
    let byte = u8::try_from(c).ok()?;
    let byte = if radix == 36 {
        byte.to_ascii_lowercase()
    } else {
        byte
    };
    let limit = usize::try_from(radix).ok()?;
    let pos = ALPHABET_62.get(..limit)?.iter().position(|&a| a == byte)?;
    u16::try_from(pos).ok()
}

/// Runs FF1 over the numerals of `value` and writes the results back at the
/// same character positions; every other character is left in place.
fn fpe(
    key: &[u8],
    value: &str,
    radix: u32,
    tweak: &str,
    encrypt: bool,
) -> Result<String, MaskError> {
    let numerals: Vec<u16> = value.chars().filter_map(|c| numeral(c, radix)).collect();
    if numerals.len() > MAX_FPE_NUMERALS {
        return Err(MaskError::TooLong {
            len: numerals.len(),
            max: MAX_FPE_NUMERALS,
        });
    }
    let ff1 = Ff1::new(key, radix)?;
    let mapped = if encrypt {
        ff1.encrypt(tweak.as_bytes(), &numerals)?
    } else {
        ff1.decrypt(tweak.as_bytes(), &numerals)?
    };
    let mut mapped = mapped.into_iter();
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if numeral(c, radix).is_some() {
            // FF1 returns as many numerals as it was given, each below the
            // radix, so both look-ups succeed; a miss would be a bug in this
            // crate and is reported rather than silently dropping text.
            let n = mapped
                .next()
                .ok_or_else(|| MaskError::Encrypt("FF1 returned too few numerals".to_owned()))?;
            let ch = ALPHABET_62.get(usize::from(n)).ok_or_else(|| {
                MaskError::Encrypt("FF1 returned a numeral out of range".to_owned())
            })?;
            out.push(char::from(*ch));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals_per_radix() {
        assert_eq!(numeral('7', 10), Some(7));
        assert_eq!(numeral('a', 10), None);
        assert_eq!(numeral('z', 36), Some(35));
        assert_eq!(numeral('Z', 36), Some(35));
        assert_eq!(numeral('Z', 62), Some(61));
        assert_eq!(numeral('-', 62), None);
        assert_eq!(numeral('é', 62), None);
        assert_eq!(numeral('٣', 10), None);
    }

    #[test]
    fn method_options_are_validated() {
        assert!(Method::Hash { len: Some(0) }.validate().is_err());
        assert!(Method::Hash { len: Some(65) }.validate().is_err());
        assert!(Method::Hash { len: Some(64) }.validate().is_ok());
        assert!(Method::Fpe {
            radix: Some(16),
            tweak: None
        }
        .validate()
        .is_err());
        assert!(Method::Tokenize.validate().is_ok());
    }
}
