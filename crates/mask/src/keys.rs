//! The master masking key: loading, generating, and deriving per-purpose
//! subkeys.

use std::path::Path;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::MaskError;

/// Length of the master key in bytes.
pub const KEY_LEN: usize = 32;

/// The 32-byte master masking key, loaded once at start-up.
///
/// The bytes are wiped when the value is dropped, and neither `Debug` nor any
/// error message ever shows them.
pub struct Keys {
    key: [u8; KEY_LEN],
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl std::fmt::Debug for Keys {
    // Redacted so a stray `{:?}` in a log line cannot leak the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys { key: [redacted] }")
    }
}

impl Keys {
    /// A key from exactly 32 raw bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Keys, MaskError> {
        let key: [u8; KEY_LEN] = b
            .try_into()
            .map_err(|_| MaskError::KeyLength { got: b.len() })?;
        Ok(Keys { key })
    }

    /// A key from 64 hex characters (either case).
    pub fn from_hex(s: &str) -> Result<Keys, MaskError> {
        let bytes = decode_hex(s.trim())?;
        Keys::from_bytes(&bytes)
    }

    /// A key from the environment variable `var`, holding 64 hex characters
    /// or 44 base64 characters (standard or URL-safe alphabet, padded).
    ///
    /// Errors name the variable, never its value.
    pub fn from_env(var: &str) -> Result<Keys, MaskError> {
        let env_err = |reason: String| MaskError::KeyEnv {
            var: var.to_owned(),
            reason,
        };
        let value = Zeroizing::new(std::env::var(var).map_err(|e| match e {
            std::env::VarError::NotPresent => env_err("not set".to_owned()),
            std::env::VarError::NotUnicode(_) => env_err("not valid Unicode".to_owned()),
        })?);
        Keys::from_text(&value).map_err(|e| env_err(reason_of(e)))
    }

    /// A key from a file holding 64 hex characters or 44 base64 characters
    /// (surrounding whitespace, such as a trailing newline, is ignored), or
    /// exactly 32 raw bytes.
    ///
    /// Errors name the path, never the content.
    pub fn from_file(path: &Path) -> Result<Keys, MaskError> {
        let file_err = |reason: String| MaskError::KeyFile {
            path: path.to_owned(),
            reason,
        };
        let content = Zeroizing::new(std::fs::read(path).map_err(|e| file_err(e.to_string()))?);
        // 32 bytes cannot be either text encoding (those are 64 and 44
        // characters long), so the length alone tells raw keys apart.
        if content.len() == KEY_LEN {
            return Keys::from_bytes(&content);
        }
        let text = std::str::from_utf8(&content).map_err(|_| {
            file_err(format!(
                "holds {} bytes that are not text; expected 64 hex chars, 44 base64 chars or exactly {KEY_LEN} raw bytes",
                content.len()
            ))
        })?;
        Keys::from_text(text).map_err(|e| file_err(reason_of(e)))
    }

    /// A fresh random key from the operating system's generator.
    ///
    /// # Panics
    ///
    /// If the operating system has no working random number generator
    /// (nothing sensible can be done then); use [`Keys::try_generate`] to
    /// handle that case.
    pub fn generate() -> Keys {
        match Keys::try_generate() {
            Ok(k) => k,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`Keys::generate`], but reports a failing random number
    /// generator as an error.
    pub fn try_generate() -> Result<Keys, MaskError> {
        let mut key = [0u8; KEY_LEN];
        getrandom::fill(&mut key).map_err(|e| MaskError::Random(e.to_string()))?;
        Ok(Keys { key })
    }

    /// The key as 64 lowercase hex characters, for `palisade dlp keygen`.
    /// The returned string is the secret: treat it as such.
    pub fn to_hex(&self) -> String {
        encode_hex(&self.key)
    }

    /// Parses hex or base64 text, dispatching on length: a 32-byte key is
    /// 64 hex chars or 44 padded base64 chars, so the two never collide.
    fn from_text(s: &str) -> Result<Keys, MaskError> {
        let s = s.trim();
        match s.len() {
            64 => Keys::from_hex(s),
            44 => {
                let bytes = Zeroizing::new(
                    base64::engine::general_purpose::STANDARD
                        .decode(s)
                        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(s))
                        .map_err(|_| {
                            MaskError::KeyEncoding("44 characters but not valid base64".to_owned())
                        })?,
                );
                Keys::from_bytes(&bytes)
            }
            n => Err(MaskError::KeyEncoding(format!(
                "expected 64 hex chars or 44 base64 chars, got {n} chars"
            ))),
        }
    }

    /// Derives the subkey for one purpose.
    ///
    /// HMAC-SHA-256(master, label) is a PRF, so subkeys under different
    /// labels are independent: the hash key, the AES-GCM key and the FF1 key
    /// differ, and a leak of one output (say, a hash published alongside
    /// masked data) says nothing about the others. The labels are versioned
    /// so a future scheme can change them without colliding.
    pub(crate) fn derive(&self, label: &str) -> Zeroizing<[u8; KEY_LEN]> {
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        // HMAC accepts keys of any length, so this cannot fail; falling back
        // to the zero key is unreachable but keeps this path panic-free.
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) {
            mac.update(label.as_bytes());
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }
}

/// The message of a key-parsing error without its variant prefix, to nest it
/// under the env var or file that held the key.
fn reason_of(e: MaskError) -> String {
    match e {
        MaskError::KeyEncoding(reason) => reason,
        other => other.to_string(),
    }
}

fn decode_hex(s: &str) -> Result<Zeroizing<Vec<u8>>, MaskError> {
    let pairs = s.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(MaskError::KeyEncoding(format!(
            "hex key has an odd number of characters ({})",
            s.len()
        )));
    }
    let nibble = |c: u8| -> Result<u8, MaskError> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            // The offending character is not echoed: it is part of a secret.
            _ => Err(MaskError::KeyEncoding(
                "hex key has a non-hex character".to_owned(),
            )),
        }
    };
    let mut out = Zeroizing::new(Vec::with_capacity(s.len() / 2));
    for pair in pairs {
        if let [hi, lo] = pair {
            out.push((nibble(*hi)? << 4) | nibble(*lo)?);
        }
    }
    Ok(out)
}

/// Lowercase hex of `bytes`.
pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let k = Keys::from_bytes(&[0xab; 32]).unwrap();
        assert_eq!(k.to_hex(), "ab".repeat(32));
        assert_eq!(Keys::from_hex(&"AB".repeat(32)).unwrap().key, [0xab; 32]);
    }

    #[test]
    fn wrong_lengths_are_reported() {
        assert_eq!(
            Keys::from_bytes(&[0; 10]).unwrap_err().to_string(),
            "tokenisation key must be 32 bytes (64 hex chars), got 10 bytes"
        );
        assert_eq!(
            Keys::from_hex(&"00".repeat(10)).unwrap_err(),
            MaskError::KeyLength { got: 10 }
        );
        assert!(Keys::from_hex("abc").is_err());
        assert!(Keys::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn subkeys_differ_per_label() {
        let k = Keys::from_bytes(&[7; 32]).unwrap();
        assert_ne!(*k.derive("a"), *k.derive("b"));
        assert_eq!(*k.derive("a"), *k.derive("a"));
        assert_ne!(*k.derive("a"), [7; 32]);
    }
}
