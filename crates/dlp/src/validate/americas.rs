//! Identifiers of the Americas: United States, Canada, Brazil, Mexico, and
//! the vehicle identification number (whose check digit is a North American
//! rule).

use super::{all_same, compact, digits_exact, is_sep, is_space_or_dash, is_valid_date, luhn_ok};

/// Social Security numbers that are valid in form but known not to be
/// anyone's: the Woolworth wallet-card number, the 1940s advertising
/// number, the number LifeLock's CEO published, and the textbook filler.
const SSN_DENYLIST: &[[u32; 9]] = &[
    [0, 7, 8, 0, 5, 1, 1, 2, 0],
    [2, 1, 9, 0, 9, 9, 9, 9, 9],
    [4, 5, 7, 5, 5, 5, 4, 6, 2],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
];

/// US Social Security number (SSA numbering rules): area not 000, 666 or
/// 900–999 (the 9xx range is for ITINs), group not 00, serial not 0000,
/// and not a publicly known sample number.
pub(crate) fn us_ssn(value: &str) -> bool {
    let Some(ds) = digits_exact::<9>(value) else {
        return false;
    };
    let area = ds[0] * 100 + ds[1] * 10 + ds[2];
    let group = ds[3] * 10 + ds[4];
    let serial_zero = ds[5..].iter().all(|&d| d == 0);
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && !serial_zero
        && !SSN_DENYLIST.contains(&ds)
}

/// US Individual Taxpayer Identification Number (IRS): 9xx-GG-xxxx with the
/// group in the ranges the IRS has opened: 50–65, 70–88, 90–92 and 94–99.
pub(crate) fn us_itin(value: &str) -> bool {
    let Some(ds) = digits_exact::<9>(value) else {
        return false;
    };
    let group = ds[3] * 10 + ds[4];
    ds[0] == 9 && matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

/// Transliteration of VIN letters to numbers (49 CFR 565.15 / ISO 3779).
fn vin_value(c: char) -> Option<u32> {
    let v = match c {
        '0'..='9' => return c.to_digit(10),
        'A' | 'J' => 1,
        'B' | 'K' | 'S' => 2,
        'C' | 'L' | 'T' => 3,
        'D' | 'M' | 'U' => 4,
        'E' | 'N' | 'V' => 5,
        'F' | 'W' => 6,
        'G' | 'P' | 'X' => 7,
        'H' | 'Y' => 8,
        'R' | 'Z' => 9,
        // I, O and Q are excluded from VINs; anything else is not a VIN.
        _ => return None,
    };
    Some(v)
}

/// Vehicle identification number (ISO 3779): 17 characters from 0–9 and
/// A–Z without I, O, Q. The check digit in position 9 is mandatory in North
/// America (49 CFR 565) but not elsewhere, so it is verified whenever
/// position 9 holds a digit or X (the only values a check position can
/// have) and skipped when it holds another letter (a European/Asian VIN
/// using the position for its own purposes). Same-character fillers are
/// rejected.
pub(crate) fn vin(value: &str) -> bool {
    let Some(s) = compact(value, 17, is_space_or_dash) else {
        return false;
    };
    let chars: Vec<char> = s.chars().collect();
    let Ok::<[char; 17], _>(cs) = chars.try_into() else {
        return false;
    };
    let Some(vals) = cs
        .iter()
        .map(|&c| vin_value(c))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    if all_same(&cs) {
        return false;
    }
    let check = cs[8];
    if !(check.is_ascii_digit() || check == 'X') {
        return true;
    }
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let sum: u32 = vals.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let expected = match sum % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap_or('?'),
    };
    check == expected
}

/// Canadian Social Insurance Number (ESDC): 9 digits passing Luhn. A first
/// digit of 0 is never issued (0-prefixed numbers appear only in ESDC's own
/// examples) and 8 is reserved for business numbers, so both are rejected.
pub(crate) fn ca_sin(value: &str) -> bool {
    digits_exact::<9>(value)
        .is_some_and(|ds| !matches!(ds[0], 0 | 8) && !all_same(&ds) && luhn_ok(&ds))
}

/// Brazilian mod-11 check digit as used by the Receita Federal for CPF and
/// CNPJ: Σ value × weight, remainder < 2 → 0, else 11 − remainder.
fn br_check(vals: &[u32], weights: &[u32]) -> u32 {
    let sum: u32 = vals.iter().zip(weights).map(|(v, w)| v * w).sum();
    match sum % 11 {
        0 | 1 => 0,
        r => 11 - r,
    }
}

/// Brazilian CPF (Receita Federal): 11 digits, two mod-11 check digits
/// (weights 10…2 then 11…2), same-digit numbers rejected (they pass the
/// check but are invalid by rule).
pub(crate) fn br_cpf(value: &str) -> bool {
    let Some(ds) = digits_exact::<11>(value) else {
        return false;
    };
    let d1 = br_check(&ds[..9], &[10, 9, 8, 7, 6, 5, 4, 3, 2]);
    let d2 = br_check(&ds[..10], &[11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    !all_same(&ds) && ds[9] == d1 && ds[10] == d2
}

/// Brazilian CNPJ (Receita Federal): 14 characters, two mod-11 check digits
/// with weights 5…2,9…2 and 6…2,9…2. The first 12 may also be capital
/// letters, valued ASCII − 48, as in the alphanumeric CNPJ that Receita
/// Federal introduces from July 2026 (IN RFB 2.229/2024); all-digit numbers
/// are unaffected by that rule.
pub(crate) fn br_cnpj(value: &str) -> bool {
    let Some(s) = compact(value, 14, is_sep) else {
        return false;
    };
    let chars: Vec<char> = s.chars().collect();
    let Ok::<[char; 14], _>(cs) = chars.try_into() else {
        return false;
    };
    let Some(vals) = cs[..12]
        .iter()
        .map(|&c| {
            (c.is_ascii_digit() || c.is_ascii_uppercase()).then(|| u32::from(c) - u32::from('0'))
        })
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    let (Some(c1), Some(c2)) = (cs[12].to_digit(10), cs[13].to_digit(10)) else {
        return false;
    };
    const W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const W2: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    let d1 = br_check(&vals, &W1);
    let mut with_d1 = vals.clone();
    with_d1.push(d1);
    let d2 = br_check(&with_d1, &W2);
    !all_same(&cs) && c1 == d1 && c2 == d2
}

/// CURP character values (RENAPO): 0–9, A–N, Ñ, O–Z.
const CURP_ALPHABET: &str = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";

/// Two-letter birth-state codes in CURP (RENAPO), NE = born abroad.
const CURP_STATES: &[&str] = &[
    "AS", "BC", "BS", "CC", "CH", "CL", "CM", "CS", "DF", "DG", "GR", "GT", "HG", "JC", "MC", "MN",
    "MS", "NE", "NL", "NT", "OC", "PL", "QR", "QT", "SL", "SP", "SR", "TC", "TL", "TS", "VZ", "YN",
    "ZS",
];

/// Name prefixes RENAPO never issues (Instructivo Normativo, Anexo 2
/// "palabras inconvenientes"): the second letter is replaced by X instead.
const CURP_INCONVENIENT: &[&str] = &[
    "BACA", "BAKA", "BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "CAKO", "COGE", "COGI",
    "COJA", "COJE", "COJI", "COJO", "COLA", "CULO", "FALO", "FETO", "GETA", "GUEI", "GUEY", "JETA",
    "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KAKA", "KAKO", "KOGE", "KOGI", "KOJA", "KOJE", "KOJI",
    "KOJO", "KOLA", "KULO", "LILO", "LOCA", "LOCO", "LOKA", "LOKO", "MAME", "MAMO", "MEAR", "MEAS",
    "MEON", "MIAR", "MION", "MOCO", "MOKO", "MULA", "MULO", "NACA", "NACO", "PEDA", "PEDO", "PENE",
    "PIPI", "PITO", "POPO", "PUTA", "PUTO", "QULO", "RATA", "ROBA", "ROBE", "ROBO", "RUIN", "SENO",
    "TETA", "VACA", "VAGA", "VAGO", "VAKA", "VUEI", "VUEY", "WUEI", "WUEY",
];

/// Mexican CURP (RENAPO, Instructivo Normativo para la asignación de la
/// CURP): 4 name letters, birth date YYMMDD, sex (H, M, or X for
/// non-binary), birth state, 3 internal consonants, a differentiator
/// (digit for births up to 1999, letter from 2000 — which fixes the
/// century for the date check) and a check digit: (10 − Σ value × (18 − i)
/// mod 10) mod 10 over the first 17 characters.
pub(crate) fn mx_curp(value: &str) -> bool {
    let Some(s) = compact(value, 18, is_space_or_dash) else {
        return false;
    };
    let chars: Vec<char> = s.chars().map(|c| if c == 'ñ' { 'Ñ' } else { c }).collect();
    let Ok::<[char; 18], _>(cs) = chars.try_into() else {
        return false;
    };
    let is_letter = |c: &char| c.is_ascii_uppercase() || *c == 'Ñ';
    let is_consonant = |c: &char| is_letter(c) && !matches!(c, 'A' | 'E' | 'I' | 'O' | 'U');
    let Some(date) = cs[4..10]
        .iter()
        .map(|c| c.to_digit(10))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    let [yy1, yy2, m1, m2, d1, d2] = date.as_slice() else {
        return false;
    };
    let state: String = cs[11..13].iter().collect();
    let century = if cs[16].is_ascii_digit() {
        1900
    } else if cs[16].is_ascii_uppercase() {
        2000
    } else {
        return false;
    };
    let name: String = cs[..4].iter().collect();
    let format_ok = cs[..4].iter().all(is_letter)
        && !CURP_INCONVENIENT.contains(&name.as_str())
        && matches!(cs[10], 'H' | 'M' | 'X')
        && CURP_STATES.contains(&state.as_str())
        && cs[13..16].iter().all(is_consonant)
        && is_valid_date(century + yy1 * 10 + yy2, m1 * 10 + m2, d1 * 10 + d2);
    if !format_ok {
        return false;
    }
    let Some(sum) = cs[..17]
        .iter()
        .zip((2..=18u32).rev())
        .try_fold(0u32, |acc, (&c, w)| {
            let v = CURP_ALPHABET.chars().position(|a| a == c)?;
            Some(acc + u32::try_from(v).ok()? * w)
        })
    else {
        return false;
    };
    cs[17].to_digit(10) == Some((10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssns() {
        assert!(us_ssn("536-22-1234"));
        assert!(us_ssn("001 01 0001"));
        assert!(us_ssn("772-12-3456"));
        assert!(!us_ssn("078-05-1120")); // Woolworth
        assert!(!us_ssn("219-09-9999"));
        assert!(!us_ssn("000-12-3456"));
        assert!(!us_ssn("666-12-3456"));
        assert!(!us_ssn("912-70-3456")); // 9xx is ITIN space
        assert!(!us_ssn("536-00-1234"));
        assert!(!us_ssn("536-22-0000"));
        assert!(!us_ssn("536-22-123")); // length
    }

    #[test]
    fn itins() {
        assert!(us_itin("912-70-1234"));
        assert!(us_itin("999 99 9999"));
        assert!(us_itin("900-50-0000"));
        assert!(!us_itin("912-89-1234")); // group 89 unused
        assert!(!us_itin("912-93-1234"));
        assert!(!us_itin("812-70-1234")); // not 9xx
        assert!(!us_itin("912-70-123")); // length
    }

    #[test]
    fn vins() {
        assert!(vin("1M8GDM9AXKP042788"));
        assert!(vin("1HGCM82633A004352"));
        assert!(vin("wvwzzz1jzxw000001")); // European: position 9 is Z, unchecked
        assert!(!vin("1M8GDM9A1KP042788")); // check digit
        assert!(!vin("1HGCM82633A00435")); // 16 characters
        assert!(!vin("1HGCM82633A0O4352")); // contains O
        assert!(!vin("11111111111111111")); // filler
    }

    #[test]
    fn sins() {
        assert!(ca_sin("130 692 544"));
        assert!(ca_sin("193-456-787"));
        assert!(!ca_sin("130 692 545")); // check
        assert!(!ca_sin("046 454 286")); // ESDC's example starts with 0
        assert!(!ca_sin("13069254")); // length
    }

    #[test]
    fn cpfs() {
        assert!(br_cpf("390.533.447-05"));
        assert!(br_cpf("111.444.777-35"));
        assert!(!br_cpf("390.533.447-06"));
        assert!(!br_cpf("111.111.111-11")); // passes the check, invalid by rule
        assert!(!br_cpf("390.533.447-0"));
    }

    #[test]
    fn cnpjs() {
        assert!(br_cnpj("11.222.333/0001-81"));
        assert!(br_cnpj("16.727.230/0001-97"));
        assert!(br_cnpj("12.ABC.345/01DE-35")); // alphanumeric (RFB example)
        assert!(!br_cnpj("11.222.333/0001-82"));
        assert!(!br_cnpj("11.222.333/0001-8"));
        assert!(!br_cnpj("00.000.000/0000-00"));
    }

    #[test]
    fn curps() {
        assert!(mx_curp("BOXW310820HNERXN09"));
        assert!(mx_curp("GOAP780710HJCMRS08"));
        assert!(mx_curp("MAAR080101MDFRRLA8"));
        assert!(!mx_curp("BOXW310820HNERXN08")); // check digit
        assert!(!mx_curp("BOXW310820HNERXN0")); // length
        assert!(!mx_curp("BOXW310230HNERXN09")); // 30 February
        assert!(!mx_curp("BOXW310820HZZRXN09")); // no state ZZ
        assert!(!mx_curp("ROBA680106MJCXHB42")); // inconvenient word, check digit right
    }
}
