//! Masking primitives for Palisade's `mask` action, shared by the
//! data-security engine, the guard and the gateway.
//!
//! # Design
//!
//! * **One master key, independent subkeys.** Operators manage a single
//!   32-byte key ([`Keys`]); the [`Masker`] derives one subkey per purpose
//!   (hash, token, FPE) with HMAC-SHA-256 under versioned labels, so the
//!   three keyed methods never share key material and compromising one
//!   method's outputs says nothing about another's. Key bytes are wiped on
//!   drop and never appear in `Debug` output or error messages.
//! * **Keyless still works.** Without a key, [`Method::Redact`] and
//!   [`Method::Partial`] work and keyed methods fail with
//!   [`MaskError::NoKey`], so a deployment that never configured a key can
//!   still redact.
//! * **Reversible vs. one-way.** `Hash` is one-way but deterministic (joins
//!   survive); `Tokenize` is reversible, randomised and authenticated
//!   (AES-256-GCM: tampering and wrong keys are detected); `Fpe` is
//!   reversible and deterministic and keeps the value's format (FF1, NIST
//!   SP 800-38G), for systems that validate the shape of what they store.
//! * **Fail closed.** Errors never fall back to returning the clear value:
//!   [`Masker::mask_spans`] fails as a whole, and `Partial` masks everything
//!   when its keep counts would reveal the whole value.
//! * **No panics on input.** Every input-dependent path returns
//!   [`MaskError`]; `mask_spans` skips spans it cannot apply safely.
//!
//! FF1 is implemented here ([`ff1`]) on top of the RustCrypto `aes` crate,
//! because no established, maintained FF1 crate exists; the NIST sample
//! vectors pin it down in the tests.
//!
//! # Example
//!
//! ```
//! use palisade_mask::{Keys, Masker, Method};
//!
//! let masker = Masker::new(Some(Keys::generate()));
//! let card = "4111 1111 1111 1234";
//! let partial = Method::Partial { keep_first: 0, keep_last: 4, mask_char: None };
//! assert_eq!(masker.mask(card, &partial, "card")?, "**** **** **** 1234");
//!
//! let token = masker.mask(card, &Method::Tokenize, "card")?;
//! assert_eq!(masker.detokenize(&token)?, card);
//!
//! let fpe = Method::Fpe { radix: None, tweak: None };
//! let masked = masker.mask(card, &fpe, "card")?;
//! assert_eq!(masked.len(), card.len());
//! assert_eq!(masker.fpe_decrypt(&masked, None, None)?, card);
//! # Ok::<(), palisade_mask::MaskError>(())
//! ```

mod error;
pub mod ff1;
mod keys;
mod masker;

pub use error::MaskError;
pub use keys::{Keys, KEY_LEN};
pub use masker::{Masker, Method, DEFAULT_HASH_LEN, HASH_PREFIX, MAX_FPE_NUMERALS, TOKEN_PREFIX};
