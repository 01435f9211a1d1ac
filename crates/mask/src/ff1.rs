//! FF1 format-preserving encryption (NIST SP 800-38G, section 5.1,
//! Algorithms 7 and 8), written by hand on top of the RustCrypto `aes` block
//! cipher.
//!
//! Why by hand: no maintained FF1 crate is well established, while the
//! algorithm itself is a short, fully specified Feistel network whose
//! correctness the NIST sample vectors pin down. Owning ~200 lines that the
//! tests check against every published FF1 sample beats a little-reviewed
//! dependency in the data path; the block cipher underneath is the
//! well-kept RustCrypto `aes`.
//!
//! Constraints enforced, as the standard demands (with the 2019 revision's
//! stronger domain bound):
//! * radix in `2..=65536` (numerals are `u16`, so every numeral of radix
//!   2^16 fits);
//! * `radix^len >= 1,000,000` and `len >= 2`, so radix 10 needs 6 numerals;
//! * `len <= 2^32 - 1` and tweak length `<= 2^32 - 1`, the largest values the
//!   4-byte length fields of the block `P` can carry.
//!
//! NUM/STR conversions use `num-bigint`: the round function's arithmetic is
//! modulo `radix^m`, which for long numeral strings (64 digits and more) is
//! far beyond `u128`.

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncrypt, KeyInit};
use num_bigint::BigUint;

use crate::MaskError;

/// The smallest domain size the standard allows: `radix^len >= 10^6`.
const MIN_DOMAIN: u64 = 1_000_000;

/// The AES variant picked by the key length. An enum rather than a trait
/// object: three known cases, no allocation, and `Send + Sync` for free.
enum Aes {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

impl Aes {
    fn new(key: &[u8]) -> Result<Aes, MaskError> {
        let bad = || MaskError::Ff1KeyLength { got: key.len() };
        match key.len() {
            16 => aes::Aes128::new_from_slice(key)
                .map(Aes::A128)
                .map_err(|_| bad()),
            24 => aes::Aes192::new_from_slice(key)
                .map(Aes::A192)
                .map_err(|_| bad()),
            32 => aes::Aes256::new_from_slice(key)
                .map(Aes::A256)
                .map_err(|_| bad()),
            _ => Err(bad()),
        }
    }

    /// CIPH_K on one block, in place.
    fn encrypt(&self, block: &mut [u8; 16]) {
        let block: &mut GenericArray<u8, _> = block.into();
        match self {
            Aes::A128(c) => c.encrypt_block(block),
            Aes::A192(c) => c.encrypt_block(block),
            Aes::A256(c) => c.encrypt_block(block),
        }
    }
}

/// An FF1 instance: one AES key and one radix.
///
/// The AES round keys are wiped on drop (the `aes` crate's `zeroize`
/// feature).
pub struct Ff1 {
    aes: Aes,
    radix: u32,
    min_len: usize,
}

impl std::fmt::Debug for Ff1 {
    // Hand-written so the key schedule never ends up in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ff1")
            .field("radix", &self.radix)
            .field("min_len", &self.min_len)
            .finish_non_exhaustive()
    }
}

/// Smallest numeral-string length FF1 accepts for `radix`: at least 2, and
/// enough numerals that `radix^len >= 1,000,000`.
///
/// Returns `None` for a radix outside `2..=65536`.
pub fn min_len(radix: u32) -> Option<usize> {
    if !(2..=65_536).contains(&radix) {
        return None;
    }
    let r = u64::from(radix);
    // r <= 2^16, so r^2 <= 2^32 and every product below stays far from
    // overflow: the loop stops as soon as the power reaches 10^6.
    let mut len = 2usize;
    let mut power = r * r;
    while power < MIN_DOMAIN {
        power *= r;
        len += 1;
    }
    Some(len)
}

impl Ff1 {
    /// A new FF1 instance. `key` is an AES-128, -192 or -256 key (16, 24 or
    /// 32 bytes); `radix` is in `2..=65536`.
    pub fn new(key: &[u8], radix: u32) -> Result<Ff1, MaskError> {
        let min_len = min_len(radix).ok_or(MaskError::Radix { radix })?;
        Ok(Ff1 {
            aes: Aes::new(key)?,
            radix,
            min_len,
        })
    }

    /// The radix this instance works in.
    pub fn radix(&self) -> u32 {
        self.radix
    }

    /// The fewest numerals this instance accepts (see [`min_len`]).
    pub fn min_len(&self) -> usize {
        self.min_len
    }

    /// FF1.Encrypt(K, T, X) (Algorithm 7): `x` is a numeral string, every
    /// numeral below the radix; the result has the same length.
    pub fn encrypt(&self, tweak: &[u8], x: &[u16]) -> Result<Vec<u16>, MaskError> {
        self.feistel(tweak, x, Direction::Encrypt)
    }

    /// FF1.Decrypt(K, T, Y) (Algorithm 8), the inverse of [`Ff1::encrypt`]
    /// under the same key, radix and tweak.
    pub fn decrypt(&self, tweak: &[u8], x: &[u16]) -> Result<Vec<u16>, MaskError> {
        self.feistel(tweak, x, Direction::Decrypt)
    }

    fn check(&self, tweak: &[u8], x: &[u16]) -> Result<(), MaskError> {
        let n = x.len();
        if n < self.min_len {
            return Err(MaskError::TooShort {
                len: n,
                min: self.min_len,
                radix: self.radix,
            });
        }
        if u32::try_from(n).is_err() {
            return Err(MaskError::TooLong {
                len: n,
                max: u32::MAX as usize,
            });
        }
        if u32::try_from(tweak.len()).is_err() {
            return Err(MaskError::TweakTooLong { len: tweak.len() });
        }
        if let Some((position, &d)) = x
            .iter()
            .enumerate()
            .find(|(_, &d)| u32::from(d) >= self.radix)
        {
            return Err(MaskError::Numeral {
                numeral: u32::from(d),
                position,
                radix: self.radix,
            });
        }
        Ok(())
    }

    /// Both algorithms share everything but the round direction, so they
    /// share this body; step numbers refer to Algorithm 7 / 8.
    fn feistel(&self, tweak: &[u8], x: &[u16], dir: Direction) -> Result<Vec<u16>, MaskError> {
        self.check(tweak, x)?;
        let n = x.len();
        let t = tweak.len();
        // Step 1.
        let u = n / 2;
        let v = n - u;
        // `check` bounded n (and so u and v) by u32::MAX; these conversions
        // cannot fail, but errors beat panics on principle.
        let n32 = u32::try_from(n).map_err(|_| MaskError::TooLong {
            len: n,
            max: u32::MAX as usize,
        })?;
        let t32 = u32::try_from(t).map_err(|_| MaskError::TweakTooLong { len: t })?;
        let radix = BigUint::from(self.radix);
        let radix_u = radix.pow(n32 / 2);
        let radix_v = radix.pow(n32 - n32 / 2);

        // Step 2: A and B, kept as NUM_radix values. Every round only needs
        // their numeric value (STR∘NUM is the identity at the fixed lengths
        // u and v), so the strings are rebuilt once, at the end.
        let mut a = num(self.radix, &x[..u]);
        let mut b = num(self.radix, &x[u..]);

        // Step 3: b = ceil(ceil(v·log2 radix) / 8). ceil(v·log2 radix) is
        // exactly the bit length of radix^v − 1 (for a power-of-two radix
        // and for any other), which avoids floating point entirely.
        let b_len = usize::try_from((&radix_v - 1u32).bits())
            .map_err(|_| MaskError::TooLong {
                len: n,
                max: u32::MAX as usize,
            })?
            .div_ceil(8);
        // Step 4.
        let d = 4 * b_len.div_ceil(4) + 4;

        // Step 5: P = [1]^1 || [2]^1 || [1]^1 || [radix]^3 || [10]^1 ||
        // [u mod 256]^1 || [n]^4 || [t]^4.
        let r = self.radix.to_be_bytes();
        let mut p = [0u8; 16];
        p[..3].copy_from_slice(&[1, 2, 1]);
        p[3..6].copy_from_slice(&r[1..4]);
        p[6] = 10;
        p[7] = (u % 256) as u8;
        p[8..12].copy_from_slice(&n32.to_be_bytes());
        p[12..16].copy_from_slice(&t32.to_be_bytes());
        // P is the first block of every round's CBC-MAC; encrypt it once.
        let mut mac_after_p = p;
        self.aes.encrypt(&mut mac_after_p);

        // Q = T || [0]^((−t−b−1) mod 16) || [i]^1 || [NUM(B)]^b; only the
        // last b + 1 bytes change between rounds.
        let pad = (16 - (t + b_len + 1) % 16) % 16;
        let mut q = vec![0u8; t + pad + 1 + b_len];
        q[..t].copy_from_slice(tweak);
        let round_at = t + pad;

        let rounds: [u8; 10] = match dir {
            Direction::Encrypt => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            Direction::Decrypt => [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
        };
        for i in rounds {
            // Step 6.i: encryption feeds B to the PRF, decryption A.
            q[round_at] = i;
            let fed = match dir {
                Direction::Encrypt => &b,
                Direction::Decrypt => &a,
            };
            write_be(fed, &mut q[round_at + 1..]);
            // Steps 6.ii–6.iv.
            let y = BigUint::from_bytes_be(&self.expand(mac_after_p, &q, d));
            // Step 6.v.
            let modulus = if i % 2 == 0 { &radix_u } else { &radix_v };
            match dir {
                Direction::Encrypt => {
                    // Steps 6.vi–6.ix: c = (NUM(A) + y) mod radix^m; A = B; B = C.
                    let c = (&a + &y) % modulus;
                    a = std::mem::replace(&mut b, c);
                }
                Direction::Decrypt => {
                    // c = (NUM(B) − y) mod radix^m, kept non-negative by
                    // adding the modulus first (B < radix^m always).
                    let c = (&b + modulus - (&y % modulus)) % modulus;
                    b = std::mem::replace(&mut a, c);
                }
            }
        }

        // Step 7: A || B, as numeral strings of lengths u and v.
        let mut out = str_m(self.radix, &a, u);
        out.extend(str_m(self.radix, &b, v));
        Ok(out)
    }

    /// Steps 6.ii–6.iii: R = PRF(P || Q) (CBC-MAC with a zero IV, P already
    /// absorbed into `state`), then S = R || CIPH(R ⊕ [1]^16) || … cut to
    /// `d` bytes.
    fn expand(&self, mut state: [u8; 16], q: &[u8], d: usize) -> Vec<u8> {
        // q's length is a multiple of 16 by construction of the padding.
        for chunk in q.chunks(16) {
            for (s, c) in state.iter_mut().zip(chunk) {
                *s ^= c;
            }
            self.aes.encrypt(&mut state);
        }
        let r = state;
        let mut s = Vec::with_capacity(d.div_ceil(16) * 16);
        s.extend_from_slice(&r);
        let mut j: u128 = 1;
        while s.len() < d {
            // [j]^16 is j as a 16-byte big-endian integer.
            let mut block = (u128::from_be_bytes(r) ^ j).to_be_bytes();
            self.aes.encrypt(&mut block);
            s.extend_from_slice(&block);
            j += 1;
        }
        s.truncate(d);
        s
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Encrypt,
    Decrypt,
}

/// NUM_radix(X): the numeral string read as a big-endian number.
fn num(radix: u32, x: &[u16]) -> BigUint {
    x.iter()
        .fold(BigUint::default(), |acc, &d| acc * radix + u32::from(d))
}

/// STR^m_radix(x): `x` as exactly `m` numerals, most significant first.
/// Callers guarantee `x < radix^m`.
fn str_m(radix: u32, x: &BigUint, m: usize) -> Vec<u16> {
    let mut rest = x.clone();
    let mut out = vec![0u16; m];
    for slot in out.iter_mut().rev() {
        let digit = &rest % radix;
        rest /= radix;
        // digit < radix <= 2^16, so it has at most one u32 limb and fits u16
        // except for the value 65536 itself, which a remainder never reaches.
        *slot = digit
            .to_u32_digits()
            .first()
            .map_or(0, |&d| u16::try_from(d).unwrap_or(u16::MAX));
    }
    out
}

/// [x]^len: `x` big-endian, left-padded with zeros to fill `out`.
/// Callers guarantee `x < 256^len` (NUM(B) < radix^v <= 2^(8b)); if that
/// were ever violated, the low bytes are kept rather than panicking.
fn write_be(x: &BigUint, out: &mut [u8]) {
    let bytes = x.to_bytes_be();
    let len = out.len();
    if bytes.len() >= len {
        out.copy_from_slice(&bytes[bytes.len() - len..]);
    } else {
        let split = len - bytes.len();
        out[..split].fill(0);
        out[split..].copy_from_slice(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_len_matches_the_domain_bound() {
        assert_eq!(min_len(10), Some(6));
        assert_eq!(min_len(2), Some(20));
        assert_eq!(min_len(36), Some(4));
        assert_eq!(min_len(62), Some(4));
        assert_eq!(min_len(1000), Some(2));
        assert_eq!(min_len(65_536), Some(2));
        assert_eq!(min_len(1), None);
        assert_eq!(min_len(65_537), None);
    }

    #[test]
    fn str_and_num_are_inverse() {
        let x = [0u16, 0, 9, 1, 2];
        let n = num(10, &x);
        assert_eq!(n, BigUint::from(912u32));
        assert_eq!(str_m(10, &n, 5), x.to_vec());
        let big = [65_535u16, 0, 1];
        assert_eq!(str_m(65_536, &num(65_536, &big), 3), big.to_vec());
    }

    #[test]
    fn write_be_pads_on_the_left() {
        let mut out = [0xffu8; 4];
        write_be(&BigUint::from(0x0102u32), &mut out);
        assert_eq!(out, [0, 0, 1, 2]);
        write_be(&BigUint::default(), &mut out);
        assert_eq!(out, [0, 0, 0, 0]);
    }
}
