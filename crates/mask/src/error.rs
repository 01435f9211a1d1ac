//! The one error type of the crate.
//!
//! Messages are written for an operator reading a log line or a CLI error:
//! they say what was wrong and what is expected, and they never contain key
//! material or the value being masked (that value is usually the very secret
//! the caller is trying to hide).

use std::path::PathBuf;

/// Everything that can go wrong while loading keys, masking or unmasking.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaskError {
    /// A master key of the wrong length was supplied.
    #[error("tokenisation key must be 32 bytes (64 hex chars), got {got} bytes")]
    KeyLength {
        /// How many bytes were supplied.
        got: usize,
    },
    /// Key text that is neither 64 hex chars nor 44 base64 chars.
    #[error("key is not valid: {0}")]
    KeyEncoding(String),
    /// A key could not be read from an environment variable.
    ///
    /// Only the variable's name is kept, never its value.
    #[error("key from environment variable {var}: {reason}")]
    KeyEnv {
        /// The variable's name.
        var: String,
        /// Why it could not be used (never the value itself).
        reason: String,
    },
    /// A key could not be read from a file.
    ///
    /// Only the path is kept, never the file's content.
    #[error("key file {}: {reason}", path.display())]
    KeyFile {
        /// The file's path.
        path: PathBuf,
        /// Why it could not be used (never the content itself).
        reason: String,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Random(String),
    /// A keyed method was asked of a masker built without keys.
    #[error("masking method `{method}` needs a key, but no masking key is configured")]
    NoKey {
        /// The method that needs the key (`hash`, `tokenize` or `fpe`).
        method: &'static str,
    },
    /// The text does not have the shape of a token made by [`crate::Method::Tokenize`].
    #[error("token is not a Palisade token")]
    NotAToken,
    /// The token has the right shape but fails authentication.
    #[error("wrong key or corrupted token")]
    BadToken,
    /// A method option outside its allowed range.
    #[error("invalid masking option: {0}")]
    InvalidOption(String),
    /// FF1 was given a key that is not an AES-128/192/256 key.
    #[error("FF1 key must be 16, 24 or 32 bytes, got {got} bytes")]
    Ff1KeyLength {
        /// How many bytes were supplied.
        got: usize,
    },
    /// FF1 radix outside `2..=65536` (NIST SP 800-38G, section 5.2).
    #[error("FF1 radix must be in 2..=65536, got {radix}")]
    Radix {
        /// The rejected radix.
        radix: u32,
    },
    /// The `fpe` method only knows alphabets for radix 10, 36 and 62.
    #[error("fpe radix must be 10 (digits), 36 (lowercase alphanumerics) or 62 (alphanumerics), got {radix}")]
    FpeRadix {
        /// The rejected radix.
        radix: u32,
    },
    /// A numeral not below the radix.
    #[error("numeral {numeral} at position {position} is not below the radix {radix}")]
    Numeral {
        /// The offending numeral.
        numeral: u32,
        /// Its index in the numeral string.
        position: usize,
        /// The radix in force.
        radix: u32,
    },
    /// Too few numerals for FF1's security bound `radix^len >= 1,000,000`.
    ///
    /// Callers are expected to catch this and fall back to another method.
    #[error("value has {len} numerals but FF1 with radix {radix} needs at least {min}")]
    TooShort {
        /// Numerals in the value.
        len: usize,
        /// Minimum for this radix.
        min: usize,
        /// The radix in force.
        radix: u32,
    },
    /// More numerals than allowed.
    #[error("value has {len} numerals but at most {max} are allowed")]
    TooLong {
        /// Numerals in the value.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A tweak whose length does not fit FF1's 4-byte length field.
    #[error("FF1 tweak is {len} bytes, longer than the 2^32 - 1 byte limit")]
    TweakTooLong {
        /// The tweak's length in bytes.
        len: usize,
    },
    /// The AEAD refused to encrypt (only possible for absurdly large input).
    #[error("encryption failed: {0}")]
    Encrypt(String),
}
