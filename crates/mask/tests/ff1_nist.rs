//! FF1 against every FF1 sample of NIST's "FF1samples.pdf" (SP 800-38G
//! examples), plus round-trip properties and the standard's limits.

use palisade_mask::ff1::Ff1;
use palisade_mask::MaskError;
use proptest::prelude::*;

const K128: &str = "2B7E151628AED2A6ABF7158809CF4F3C";
const K192: &str = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F";
const K256: &str = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94";
const T_EMPTY: &str = "";
const T10: &str = "39383736353433323130";
const T36: &str = "3737373770717273373737";
const PT10: &str = "0123456789";
const PT36: &str = "0123456789abcdefghi";

/// (sample number, key, tweak, radix, plaintext, ciphertext)
const SAMPLES: [(u32, &str, &str, u32, &str, &str); 9] = [
    (1, K128, T_EMPTY, 10, PT10, "2433477484"),
    (2, K128, T10, 10, PT10, "6124200773"),
    (3, K128, T36, 36, PT36, "a9tv40mll9kdu509eum"),
    (4, K192, T_EMPTY, 10, PT10, "2830668132"),
    (5, K192, T10, 10, PT10, "2496655549"),
    (6, K192, T36, 36, PT36, "xbj3kv35jrawxv32ysr"),
    (7, K256, T_EMPTY, 10, PT10, "6657667009"),
    (8, K256, T10, 10, PT10, "1001623463"),
    (9, K256, T36, 36, PT36, "xs8a0azh2avyalyzuwd"),
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const ALPHABET: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

fn numerals(s: &str) -> Vec<u16> {
    s.chars()
        .map(|c| ALPHABET.find(c).unwrap() as u16)
        .collect()
}

fn text(x: &[u16]) -> String {
    x.iter()
        .map(|&d| ALPHABET.as_bytes()[usize::from(d)] as char)
        .collect()
}

fn run_sample(n: u32) {
    let (_, key, tweak, radix, pt, ct) = SAMPLES[(n - 1) as usize];
    let ff1 = Ff1::new(&unhex(key), radix).unwrap();
    let got = ff1.encrypt(&unhex(tweak), &numerals(pt)).unwrap();
    assert_eq!(text(&got), ct, "NIST FF1 sample {n}: encrypt");
    let back = ff1.decrypt(&unhex(tweak), &numerals(ct)).unwrap();
    assert_eq!(text(&back), pt, "NIST FF1 sample {n}: decrypt");
}

#[test]
fn nist_sample_1_aes128_radix10_no_tweak() {
    run_sample(1);
}
#[test]
fn nist_sample_2_aes128_radix10_tweak() {
    run_sample(2);
}
#[test]
fn nist_sample_3_aes128_radix36_tweak() {
    run_sample(3);
}
#[test]
fn nist_sample_4_aes192_radix10_no_tweak() {
    run_sample(4);
}
#[test]
fn nist_sample_5_aes192_radix10_tweak() {
    run_sample(5);
}
#[test]
fn nist_sample_6_aes192_radix36_tweak() {
    run_sample(6);
}
#[test]
fn nist_sample_7_aes256_radix10_no_tweak() {
    run_sample(7);
}
#[test]
fn nist_sample_8_aes256_radix10_tweak() {
    run_sample(8);
}
#[test]
fn nist_sample_9_aes256_radix36_tweak() {
    run_sample(9);
}

#[test]
fn sample_table_is_complete() {
    let numbers: Vec<u32> = SAMPLES.iter().map(|s| s.0).collect();
    assert_eq!(numbers, (1..=9).collect::<Vec<_>>());
}

#[test]
fn rejects_bad_keys_and_radixes() {
    assert_eq!(
        Ff1::new(&[0; 10], 10).unwrap_err(),
        MaskError::Ff1KeyLength { got: 10 }
    );
    assert_eq!(
        Ff1::new(&[0; 16], 1).unwrap_err(),
        MaskError::Radix { radix: 1 }
    );
    assert_eq!(
        Ff1::new(&[0; 16], 65_537).unwrap_err(),
        MaskError::Radix { radix: 65_537 }
    );
    assert!(Ff1::new(&[0; 16], 2).is_ok());
    assert!(Ff1::new(&[0; 32], 65_536).is_ok());
}

#[test]
fn enforces_the_minimum_domain() {
    let ff1 = Ff1::new(&unhex(K128), 10).unwrap();
    let err = ff1.encrypt(&[], &[1, 2, 3, 4, 5]).unwrap_err();
    assert_eq!(
        err,
        MaskError::TooShort {
            len: 5,
            min: 6,
            radix: 10
        }
    );
    assert_eq!(
        err.to_string(),
        "value has 5 numerals but FF1 with radix 10 needs at least 6"
    );
    assert!(ff1.decrypt(&[], &[1, 2, 3, 4, 5]).is_err());
    assert!(ff1.encrypt(&[], &[1, 2, 3, 4, 5, 6]).is_ok());
    // Radix 2 needs 20 bits for a million values.
    let bin = Ff1::new(&unhex(K128), 2).unwrap();
    assert!(bin.encrypt(&[], &[1; 19]).is_err());
    assert!(bin.encrypt(&[], &[1; 20]).is_ok());
}

#[test]
fn rejects_numerals_outside_the_radix() {
    let ff1 = Ff1::new(&unhex(K128), 10).unwrap();
    let err = ff1.encrypt(&[], &[1, 2, 3, 10, 5, 6]).unwrap_err();
    assert_eq!(
        err,
        MaskError::Numeral {
            numeral: 10,
            position: 3,
            radix: 10
        }
    );
}

#[test]
fn extreme_radixes_round_trip() {
    let key = unhex(K256);
    let big = Ff1::new(&key, 65_536).unwrap();
    let x = vec![65_535u16, 0, 12_345, 65_535, 1];
    let ct = big.encrypt(b"t", &x).unwrap();
    assert_eq!(ct.len(), x.len());
    assert_ne!(ct, x);
    assert_eq!(big.decrypt(b"t", &ct).unwrap(), x);

    let bin = Ff1::new(&key, 2).unwrap();
    let x: Vec<u16> = (0..33).map(|i| (i % 3 == 0) as u16).collect();
    let ct = bin.encrypt(&[], &x).unwrap();
    assert!(ct.iter().all(|&d| d < 2));
    assert_eq!(bin.decrypt(&[], &ct).unwrap(), x);
}

#[test]
fn long_numeral_strings_work() {
    // 64 and 200 digits: far past u128, exercising the big-number paths
    // and (at 200 digits) S blocks beyond the first (d > 16).
    let ff1 = Ff1::new(&unhex(K128), 10).unwrap();
    for len in [64usize, 65, 200] {
        let x: Vec<u16> = (0..len).map(|i| (i * 7 % 10) as u16).collect();
        let ct = ff1.encrypt(b"long", &x).unwrap();
        assert_eq!(ct.len(), len);
        assert!(ct.iter().all(|&d| d < 10));
        assert_ne!(ct, x);
        assert_eq!(ff1.decrypt(b"long", &ct).unwrap(), x);
    }
}

#[test]
fn tweak_and_key_change_the_output() {
    let a = Ff1::new(&unhex(K128), 10).unwrap();
    let b = Ff1::new(&unhex(K256), 10).unwrap();
    let x = numerals("4111111111111111");
    let base = a.encrypt(b"", &x).unwrap();
    assert_ne!(base, a.encrypt(b"other", &x).unwrap());
    assert_ne!(base, b.encrypt(b"", &x).unwrap());
    assert_eq!(base, a.encrypt(b"", &x).unwrap(), "FF1 is deterministic");
}

proptest! {
    #[test]
    fn decrypt_inverts_encrypt_radix10(
        digits in proptest::collection::vec(0u16..10, 6..=40),
        tweak in proptest::collection::vec(any::<u8>(), 0..24),
        key in proptest::collection::vec(any::<u8>(), 32),
    ) {
        let ff1 = Ff1::new(&key, 10).unwrap();
        let ct = ff1.encrypt(&tweak, &digits).unwrap();
        prop_assert_eq!(ct.len(), digits.len());
        prop_assert!(ct.iter().all(|&d| d < 10));
        prop_assert_eq!(ff1.decrypt(&tweak, &ct).unwrap(), digits);
    }

    #[test]
    fn decrypt_inverts_encrypt_any_radix(
        radix in 2u32..=65_536,
        seed in proptest::collection::vec(any::<u16>(), 20..=48),
        tweak in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let ff1 = Ff1::new(&unhex(K192), radix).unwrap();
        let x: Vec<u16> = seed.iter().map(|&s| (u32::from(s) % radix) as u16).collect();
        let ct = ff1.encrypt(&tweak, &x).unwrap();
        prop_assert!(ct.iter().all(|&d| u32::from(d) < radix));
        prop_assert_eq!(ff1.decrypt(&tweak, &ct).unwrap(), x);
    }
}
