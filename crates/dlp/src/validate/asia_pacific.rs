//! Identifiers of India, Korea, Singapore, Hong Kong, Taiwan, Japan and
//! Australia.

use super::{
    all_same, compact, digits, digits_exact, is_sep, is_space_or_dash, is_valid_date, number,
    MAX_BIRTH_YEAR,
};

/// Verhoeff dihedral-group multiplication table (D5).
const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

/// Verhoeff position permutation table: row i is σ^i for σ = row 1
/// (the cycle (0 1 5 8 9 4 2 7)(3 6)), checked in the tests.
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Verhoeff check (Verhoeff 1969) over digits with the check digit last.
fn verhoeff_ok(ds: &[u32]) -> bool {
    let mut c = 0usize;
    for (i, &d) in ds.iter().rev().enumerate() {
        let Some(p) = VERHOEFF_P.get(i % 8).and_then(|row| row.get(d as usize)) else {
            return false;
        };
        let Some(&next) = VERHOEFF_D.get(c).and_then(|row| row.get(usize::from(*p))) else {
            return false;
        };
        c = usize::from(next);
    }
    c == 0
}

/// Aadhaar number (UIDAI): 12 digits, first digit 2–9, Verhoeff check digit;
/// palindromes are never issued (UIDAI) and are rejected like python-stdnum
/// does.
pub(crate) fn in_aadhaar(value: &str) -> bool {
    let Some(ds) = digits_exact::<12>(value) else {
        return false;
    };
    let mut reversed = ds;
    reversed.reverse();
    ds[0] >= 2 && reversed != ds && verhoeff_ok(&ds)
}

/// Indian Permanent Account Number (Income Tax Department): AAAAA9999A,
/// the fourth letter a holder type — P individual, C company, H HUF, F firm,
/// A AOP, T trust, B BOI, L local authority, J artificial juridical person,
/// G government, K krish (trust krish) — and the serial not 0000.
pub(crate) fn in_pan(value: &str) -> bool {
    let Some(s) = compact(value, 10, is_space_or_dash) else {
        return false;
    };
    let b = s.as_bytes();
    let Ok::<[u8; 10], _>(b) = b.try_into() else {
        return false;
    };
    b[..5].iter().all(u8::is_ascii_uppercase)
        && b"PCHFATBLJGK".contains(&b[3])
        && b[5..9].iter().all(u8::is_ascii_digit)
        && &b[5..9] != b"0000"
        && b[9].is_ascii_uppercase()
}

/// South Korean resident registration number (Resident Registration Act):
/// YYMMDD, a sex/century digit (9/0 1800s, 1/2/5/6 1900s, 3/4/7/8 2000s),
/// a 2-digit region (≤ 96), and check = (11 − Σ weights 2…9,2…5 mod 11)
/// mod 10. Numbers assigned since October 2020 have random trailing digits
/// and no check digit; they cannot be told apart from random 13-digit
/// strings and so are not accepted.
pub(crate) fn kr_rrn(value: &str) -> bool {
    let Some(ds) = digits_exact::<13>(value) else {
        return false;
    };
    let century = match ds[6] {
        9 | 0 => 1800,
        1 | 2 | 5 | 6 => 1900,
        _ => 2000,
    };
    let year = century + number(&ds[..2]);
    if year > MAX_BIRTH_YEAR
        || !is_valid_date(year, number(&ds[2..4]), number(&ds[4..6]))
        || number(&ds[7..9]) > 96
    {
        return false;
    }
    const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let sum: u32 = ds.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    ds[12] == (11 - sum % 11) % 10
}

/// Singapore NRIC/FIN (ICA): prefix S/T (citizens and PRs, born before /
/// from 2000), F/G (foreigners, before / from 2000) or M (foreigners from
/// 2022), 7 digits, and a check letter: Σ digits × 2,7,6,5,4,3,2 plus 4 for
/// T/G or 3 for M, mod 11, looked up in the prefix's letter table.
pub(crate) fn sg_nric(value: &str) -> bool {
    let Some(s) = compact(value, 9, char::is_whitespace) else {
        return false;
    };
    let chars: Vec<char> = s.chars().collect();
    let Ok::<[char; 9], _>(cs) = chars.try_into() else {
        return false;
    };
    let (offset, table): (u32, &[u8; 11]) = match cs[0] {
        'S' => (0, b"JZIHGFEDCBA"),
        'T' => (4, b"JZIHGFEDCBA"),
        'F' => (0, b"XWUTRQPNMLK"),
        'G' => (4, b"XWUTRQPNMLK"),
        'M' => (3, b"XWUTRQPNJLK"),
        _ => return false,
    };
    let Some(ds) = cs[1..8]
        .iter()
        .map(|c| c.to_digit(10))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    let sum: u32 = ds
        .iter()
        .zip([2, 7, 6, 5, 4, 3, 2])
        .map(|(d, w)| d * w)
        .sum::<u32>()
        + offset;
    table
        .get((sum % 11) as usize)
        .is_some_and(|&c| char::from(c) == cs[8])
}

/// Hong Kong identity card number (Registration of Persons Ordinance):
/// one or two letters, six digits and a check character 0–9 or A, usually
/// printed in parentheses. Mod 11 over 8 positions weighted 9…2, where a
/// missing first letter counts as 36 (a space) and letters are A=10 … Z=35.
pub(crate) fn hk_id(value: &str) -> bool {
    let Some(s) = compact(value, 10, |c| is_space_or_dash(c) || matches!(c, '(' | ')')) else {
        return false;
    };
    let chars: Vec<char> = s.chars().collect();
    let (letters, rest) = match chars.as_slice() {
        [a, b, rest @ ..] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => {
            (vec![*a, *b], rest)
        }
        [a, rest @ ..] if a.is_ascii_uppercase() => (vec![' ', *a], rest),
        _ => return false,
    };
    let [digit_chars @ .., check] = rest else {
        return false;
    };
    if digit_chars.len() != 6 {
        return false;
    }
    let Some(ds) = digit_chars
        .iter()
        .map(|c| c.to_digit(10))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    let letter_values = letters.iter().map(|&c| {
        if c == ' ' {
            36
        } else {
            c.to_digit(36).unwrap_or(0)
        }
    });
    let sum: u32 = letter_values
        .chain(ds)
        .zip([9, 8, 7, 6, 5, 4, 3, 2])
        .map(|(v, w)| v * w)
        .sum();
    let expected = match 11 - sum % 11 {
        11 => '0',
        10 => 'A',
        n => char::from_digit(n, 10).unwrap_or('?'),
    };
    *check == expected
}

/// Taiwan letter codes (Ministry of the Interior): A–Z mapped to 10–35 in
/// the historical, non-alphabetical order of the issuing regions.
fn tw_letter_value(c: char) -> Option<u32> {
    let v = match c {
        'A' => 10,
        'B' => 11,
        'C' => 12,
        'D' => 13,
        'E' => 14,
        'F' => 15,
        'G' => 16,
        'H' => 17,
        'I' => 34,
        'J' => 18,
        'K' => 19,
        'L' => 20,
        'M' => 21,
        'N' => 22,
        'O' => 35,
        'P' => 23,
        'Q' => 24,
        'R' => 25,
        'S' => 26,
        'T' => 27,
        'U' => 28,
        'V' => 29,
        'W' => 32,
        'X' => 30,
        'Y' => 31,
        'Z' => 33,
        _ => return None,
    };
    Some(v)
}

/// Taiwan national identification number (Ministry of the Interior): region
/// letter, sex digit 1/2 (or 8/9 on the 2021 Uniform ID numbers for
/// foreign residents, which use the same checksum), 7 digits and a check
/// digit; weights 1,9 on the letter's two digits then 8…1, 1 ≡ 0 mod 10.
pub(crate) fn tw_id(value: &str) -> bool {
    let Some(s) = compact(value, 10, char::is_whitespace) else {
        return false;
    };
    let mut chars = s.chars();
    let Some(letter) = chars.next().and_then(tw_letter_value) else {
        return false;
    };
    let Some(ds) = digits(chars.as_str()) else {
        return false;
    };
    let Ok::<[u32; 9], _>(ds) = ds.try_into() else {
        return false;
    };
    if !matches!(ds[0], 1 | 2 | 8 | 9) {
        return false;
    }
    let head = (letter / 10) + (letter % 10) * 9;
    let body: u32 = ds
        .iter()
        .zip([8, 7, 6, 5, 4, 3, 2, 1, 1])
        .map(|(d, w)| d * w)
        .sum();
    (head + body).is_multiple_of(10)
}

/// Japanese individual number ("My Number", Ministry of Internal Affairs
/// ordinance No. 85 of 2014): 11 digits and a check digit = 11 − (Σ Pn·Qn
/// mod 11), 0 when the remainder is ≤ 1, with Qn = n+1 for n ≤ 6 and n−5
/// above, n counted from the right of the 11 digits.
pub(crate) fn jp_my_number(value: &str) -> bool {
    let Some(ds) = digits_exact::<12>(value) else {
        return false;
    };
    let sum: u32 = ds[..11]
        .iter()
        .rev()
        .zip(1u32..)
        .map(|(p, n)| p * if n <= 6 { n + 1 } else { n - 5 })
        .sum();
    let check = match sum % 11 {
        0 | 1 => 0,
        r => 11 - r,
    };
    !all_same(&ds) && ds[11] == check
}

/// Australian tax file number (ATO): 9 digits with weights
/// 1,4,3,7,5,8,6,9,10, or legacy 8 digits with 10,7,8,4,6,3,5,1, weighted
/// sum ≡ 0 mod 11.
pub(crate) fn au_tfn(value: &str) -> bool {
    let Some(s) = compact(value, 9, is_sep) else {
        return false;
    };
    let Some(ds) = digits(&s) else {
        return false;
    };
    let weights: &[u32] = match ds.len() {
        9 => &[1, 4, 3, 7, 5, 8, 6, 9, 10],
        8 => &[10, 7, 8, 4, 6, 3, 5, 1],
        _ => return false,
    };
    let sum: u32 = ds.iter().zip(weights).map(|(d, w)| d * w).sum();
    !all_same(&ds) && sum.is_multiple_of(11)
}

/// Australian Medicare card number (Services Australia): first digit 2–6,
/// 8 digits, a check digit = Σ weights 1,3,7,9,1,3,7,9 mod 10, an issue
/// number, and optionally the 1–9 individual reference number (11 digits).
pub(crate) fn au_medicare(value: &str) -> bool {
    let Some(s) = compact(value, 11, is_sep) else {
        return false;
    };
    let Some(ds) = digits(&s) else {
        return false;
    };
    let (Some(body), Some(&check)) = (ds.get(..8), ds.get(8)) else {
        return false;
    };
    let irn_ok = match ds.len() {
        10 => true,
        11 => ds.get(10).is_some_and(|&irn| irn >= 1),
        _ => false,
    };
    let sum: u32 = body
        .iter()
        .zip([1, 3, 7, 9, 1, 3, 7, 9])
        .map(|(d, w)| d * w)
        .sum();
    irn_ok && matches!(body.first(), Some(2..=6)) && check == sum % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verhoeff_permutations_are_powers_of_sigma() {
        let sigma = VERHOEFF_P[1];
        for pair in VERHOEFF_P.windows(2) {
            let [prev, next] = pair else { continue };
            let composed = prev.map(|x| sigma[usize::from(x)]);
            assert_eq!(*next, composed);
        }
    }

    #[test]
    fn aadhaar() {
        assert!(in_aadhaar("2341 2341 2346"));
        assert!(in_aadhaar("499118665246"));
        assert!(!in_aadhaar("2341 2341 2345")); // check digit
        assert!(!in_aadhaar("1341 2341 2346")); // first digit 1
        assert!(!in_aadhaar("23412341234")); // length
    }

    #[test]
    fn pans() {
        assert!(in_pan("ABCPE1234F"));
        assert!(in_pan("aaach1234k"));
        assert!(!in_pan("ABCDE1234F")); // D is no holder type
        assert!(!in_pan("ABCPE0000F"));
        assert!(!in_pan("ABCPE1234"));
        assert!(!in_pan("ABCP51234F"));
    }

    #[test]
    fn rrns() {
        assert!(kr_rrn("971013-9019902"));
        assert!(kr_rrn("850101-1234566"));
        assert!(!kr_rrn("971013-9019903"));
        assert!(!kr_rrn("971013-901990"));
        assert!(!kr_rrn("971313-9019902")); // month 13
    }

    #[test]
    fn nrics() {
        assert!(sg_nric("S1234567D"));
        assert!(sg_nric("T1234567J"));
        assert!(sg_nric("F1234567N"));
        assert!(sg_nric("G1234567X"));
        assert!(sg_nric("M1234567K"));
        assert!(!sg_nric("S1234567A"));
        assert!(!sg_nric("S123456D"));
        assert!(!sg_nric("A1234567D"));
    }

    #[test]
    fn hkids() {
        assert!(hk_id("A123456(3)"));
        assert!(hk_id("AB 987654 (3)"));
        assert!(hk_id("C668833(9)"));
        assert!(!hk_id("A123456(4)"));
        assert!(!hk_id("A12345(3)"));
        assert!(!hk_id("1123456(3)"));
    }

    #[test]
    fn tw_ids() {
        assert!(tw_id("A123456789"));
        assert!(tw_id("F131104093"));
        assert!(tw_id("A800000014")); // 2021 uniform ID for foreign residents
        assert!(!tw_id("A123456788"));
        assert!(!tw_id("A323456789")); // sex digit 3
        assert!(!tw_id("A12345678"));
    }

    #[test]
    fn my_numbers() {
        assert!(jp_my_number("123456789018"));
        assert!(jp_my_number("1234 5678 9018"));
        assert!(!jp_my_number("123456789010"));
        assert!(!jp_my_number("12345678901"));
        assert!(!jp_my_number("000000000000"));
    }

    #[test]
    fn tfns() {
        assert!(au_tfn("123 456 782"));
        assert!(au_tfn("876 543 210"));
        assert!(au_tfn("12345677")); // legacy 8-digit
        assert!(!au_tfn("123 456 783"));
        assert!(!au_tfn("1234567"));
    }

    #[test]
    fn medicare() {
        assert!(au_medicare("2123 45670 1"));
        assert!(au_medicare("2123 45670 1 2"));
        assert!(!au_medicare("2123 45671 1")); // check digit
        assert!(!au_medicare("7123 45670 1")); // first digit 7
        assert!(!au_medicare("2123 4567")); // length
        assert!(!au_medicare("2123 45670 1 0")); // IRN 0
    }
}
