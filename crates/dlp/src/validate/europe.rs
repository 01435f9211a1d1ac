//! European personal identifiers.

use super::{
    all_same, compact, digits, digits_exact, is_sep, is_space_or_dash, is_valid_date, luhn_ok,
    number, MAX_BIRTH_YEAR,
};

/// NHS number (NHS Data Dictionary): 10 digits, weights 10…2 over the first
/// nine, check = 11 − (Σ mod 11) with 11 → 0 and 10 meaning "never issued".
pub(crate) fn nhs_number(value: &str) -> bool {
    let Some(ds) = digits_exact::<10>(value) else {
        return false;
    };
    let sum: u32 = ds[..9].iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        n => n,
    };
    !all_same(&ds) && ds[9] == check
}

/// UK National Insurance number (HMRC NIM39110): two prefix letters, six
/// digits, suffix A–D. First letter not D, F, I, Q, U, V; second not D, F,
/// I, O, Q, U, V; prefixes BG, GB, NK, KN, TN, NT and ZZ never allocated.
pub(crate) fn uk_nino(value: &str) -> bool {
    let Some(s) = compact(value, 9, is_space_or_dash) else {
        return false;
    };
    let chars: Vec<char> = s.chars().collect();
    let Ok::<[char; 9], _>(cs) = chars.try_into() else {
        return false;
    };
    let [a, b] = [cs[0], cs[1]];
    let prefix: String = [a, b].iter().collect();
    a.is_ascii_uppercase()
        && b.is_ascii_uppercase()
        && !matches!(a, 'D' | 'F' | 'I' | 'Q' | 'U' | 'V')
        && !matches!(b, 'D' | 'F' | 'I' | 'O' | 'Q' | 'U' | 'V')
        && !["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"].contains(&prefix.as_str())
        && cs[2..8].iter().all(char::is_ascii_digit)
        && matches!(cs[8], 'A'..='D')
}

/// German tax identification number (Steuerliche Identifikationsnummer,
/// §139b AO): 11 digits, no leading zero; among the first ten exactly one
/// digit occurs twice or three times (never three in a row) and the rest at
/// most once; check digit by ISO 7064 MOD 11,10.
pub(crate) fn de_tax_id(value: &str) -> bool {
    let Some(ds) = digits_exact::<11>(value) else {
        return false;
    };
    if ds[0] == 0 {
        return false;
    }
    let mut counts = [0u32; 10];
    for &d in &ds[..10] {
        if let Some(c) = counts.get_mut(d as usize) {
            *c += 1;
        }
    }
    let repeated: Vec<u32> = counts.iter().copied().filter(|&c| c > 1).collect();
    if !matches!(repeated.as_slice(), [2] | [3]) {
        return false;
    }
    if ds[..10].windows(3).any(all_same) {
        return false;
    }
    // ISO 7064 MOD 11,10 (hybrid system).
    let mut product = 10u32;
    for &d in &ds[..10] {
        let mut sum = (d + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = match 11 - product {
        10 => 0,
        n => n,
    };
    ds[10] == check
}

/// French social security number (NIR, INSEE): sex digit (1/2, or 3/4/7/8
/// for provisional numbers), birth year, birth month (01–12, or the INSEE
/// pseudo-months 20–42 and 50–99 for unknown months), department (digits or
/// Corsica 2A/2B), commune, order number and a key = 97 − (number mod 97),
/// where Corsica 2A/2B count as 19/18.
pub(crate) fn fr_nir(value: &str) -> bool {
    let Some(s) = compact(value, 15, |c| c.is_whitespace() || c == '.') else {
        return false;
    };
    if s.len() != 15 {
        return false;
    }
    let normalized = match s.get(5..7) {
        Some("2A") => format!("{}19{}", s.get(..5).unwrap_or(""), s.get(7..).unwrap_or("")),
        Some("2B") => format!("{}18{}", s.get(..5).unwrap_or(""), s.get(7..).unwrap_or("")),
        _ => s,
    };
    let Some(ds) = digits(&normalized) else {
        return false;
    };
    let Ok::<[u32; 15], _>(ds) = ds.try_into() else {
        return false;
    };
    let month = number(&ds[3..5]);
    if !matches!(ds[0], 1 | 2 | 3 | 4 | 7 | 8) || !matches!(month, 1..=12 | 20..=42 | 50..=99) {
        return false;
    }
    let body = ds[..13]
        .iter()
        .fold(0u64, |acc, &d| acc * 10 + u64::from(d));
    let key = u64::from(number(&ds[13..]));
    key == 97 - body % 97
}

/// Check letters of the Spanish DNI/NIE (Ministerio del Interior), indexed
/// by number mod 23.
const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// Spanish DNI (8 digits + check letter) or NIE (X/Y/Z + 7 digits + check
/// letter, the prefix counting as 0/1/2), letter = table[number mod 23].
pub(crate) fn es_dni(value: &str) -> bool {
    let Some(s) = compact(value, 9, is_sep) else {
        return false;
    };
    let (Some(head), Some(letter)) = (s.get(..8), s.get(8..)) else {
        return false;
    };
    let numeric = match head.as_bytes().first() {
        Some(b'X') => format!("0{}", head.get(1..).unwrap_or("")),
        Some(b'Y') => format!("1{}", head.get(1..).unwrap_or("")),
        Some(b'Z') => format!("2{}", head.get(1..).unwrap_or("")),
        _ => head.to_string(),
    };
    let Some(ds) = digits(&numeric) else {
        return false;
    };
    if ds.len() != 8 || all_same(&ds) {
        return false;
    }
    DNI_LETTERS
        .get((number(&ds) % 23) as usize)
        .is_some_and(|&c| letter.as_bytes() == [c])
}

/// Codice fiscale odd-position values (Decreto Ministeriale 12/03/1974),
/// for digits 0–9 then letters A–Z.
const CF_ODD_DIGITS: [u32; 10] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
const CF_ODD_LETTERS: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// Letters that replace digits in "omocodia" codes (duplicates resolved by
/// the Agenzia delle Entrate), in digit order 0–9.
const CF_OMOCODES: &str = "LMNPQRSTUV";

/// Digit value of a numeric position, honouring omocodia substitution.
fn cf_digit(c: char) -> Option<u32> {
    c.to_digit(10)
        .or_else(|| CF_OMOCODES.find(c).and_then(|i| u32::try_from(i).ok()))
}

/// Italian codice fiscale (DM 12/03/1974, DPR 605/1973): 6 surname/name
/// letters, 2 year digits, a month letter (ABCDEHLMPRST), 2 day digits (41–71
/// for women), a municipality code (letter + 3 digits) and a check letter
/// from the odd/even tables; digits may be replaced by omocodia letters.
pub(crate) fn it_codice_fiscale(value: &str) -> bool {
    let Some(s) = compact(value, 16, is_space_or_dash) else {
        return false;
    };
    let chars: Vec<char> = s.chars().collect();
    let Ok::<[char; 16], _>(cs) = chars.try_into() else {
        return false;
    };
    let numeric_positions = [6, 7, 9, 10, 12, 13, 14];
    let letters_ok = [0, 1, 2, 3, 4, 5, 11]
        .iter()
        .all(|&i| cs.get(i).is_some_and(char::is_ascii_uppercase));
    let numerics: Option<Vec<u32>> = numeric_positions
        .iter()
        .map(|&i| cs.get(i).copied().and_then(cf_digit))
        .collect();
    let Some(numerics) = numerics else {
        return false;
    };
    let day = match numerics.as_slice() {
        [_, _, d1, d2, ..] => d1 * 10 + d2,
        _ => return false,
    };
    if !letters_ok || !"ABCDEHLMPRST".contains(cs[8]) || !(matches!(day, 1..=31 | 41..=71)) {
        return false;
    }
    let mut sum = 0u32;
    for (i, &c) in cs[..15].iter().enumerate() {
        let v = if c.is_ascii_digit() {
            let d = c.to_digit(10).unwrap_or(0);
            if i % 2 == 0 {
                CF_ODD_DIGITS.get(d as usize).copied()
            } else {
                Some(d)
            }
        } else if c.is_ascii_uppercase() {
            let l = u32::from(c) - u32::from('A');
            if i % 2 == 0 {
                CF_ODD_LETTERS.get(l as usize).copied()
            } else {
                Some(l)
            }
        } else {
            None
        };
        let Some(v) = v else {
            return false;
        };
        sum += v;
    }
    char::from_u32(u32::from('A') + sum % 26) == Some(cs[15])
}

/// Dutch citizen service number (BSN, Wet algemene bepalingen BSN): 9 digits
/// (8-digit numbers are read with a leading zero) passing the "11-proef":
/// 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11).
pub(crate) fn nl_bsn(value: &str) -> bool {
    let Some(s) = compact(value, 9, is_sep) else {
        return false;
    };
    let Some(mut ds) = digits(&s) else {
        return false;
    };
    if ds.len() == 8 {
        ds.insert(0, 0);
    }
    let Ok::<[u32; 9], _>(ds) = ds.try_into() else {
        return false;
    };
    let positive: u32 = ds[..8].iter().zip((2..=9).rev()).map(|(d, w)| d * w).sum();
    !all_same(&ds) && (positive + 11 * 9 - ds[8]).is_multiple_of(11)
}

/// Polish PESEL (Ustawa o ewidencji ludności): birth date YYMMDD with the
/// century folded into the month (+80 1800s, +0 1900s, +20 2000s, +40
/// 2100s, +60 2200s), serial, and check = (10 − Σ weights 1,3,7,9 mod 10)
/// mod 10.
pub(crate) fn pl_pesel(value: &str) -> bool {
    let Some(ds) = digits_exact::<11>(value) else {
        return false;
    };
    let yy = number(&ds[..2]);
    let mm = number(&ds[2..4]);
    let dd = number(&ds[4..6]);
    let (century, month) = match mm {
        81..=92 => (1800, mm - 80),
        1..=12 => (1900, mm),
        21..=32 => (2000, mm - 20),
        41..=52 => (2100, mm - 40),
        61..=72 => (2200, mm - 60),
        _ => return false,
    };
    let year = century + yy;
    if year > MAX_BIRTH_YEAR || !is_valid_date(year, month, dd) {
        return false;
    }
    let sum: u32 = ds[..10]
        .iter()
        .zip([1, 3, 7, 9].iter().cycle())
        .map(|(d, w)| d * w)
        .sum();
    ds[10] == (10 - sum % 10) % 10
}

/// Swedish personal identity number (Skatteverket SKV 704): YYMMDD or
/// YYYYMMDD, optional '-' (or '+' for people aged 100 or more) before the
/// last four digits, a valid birth date (coordination numbers add 60 to the
/// day), and Luhn over the 10-digit form.
pub(crate) fn se_personnummer(value: &str) -> bool {
    let trimmed = value.trim();
    if trimmed.len() > 16 {
        return false;
    }
    let hundred_plus = trimmed.contains('+');
    // The sign may only sit just before the last four digits.
    let signs = trimmed.matches(['-', '+']).count();
    if signs > 1 {
        return false;
    }
    if signs == 1 {
        let before_last_four = trimmed
            .char_indices()
            .rev()
            .filter(|(_, c)| !c.is_whitespace())
            .nth(4)
            .map(|(_, c)| c);
        if !matches!(before_last_four, Some('-' | '+')) {
            return false;
        }
    }
    let Some(s) = compact(trimmed, 12, |c| c.is_whitespace() || c == '-' || c == '+') else {
        return false;
    };
    let Some(ds) = digits(&s) else {
        return false;
    };
    let (centuries, ten): (Vec<u32>, &[u32]) = match ds.len() {
        12 => {
            let full = number(ds.get(..2).unwrap_or(&[]));
            (vec![full * 100], ds.get(2..).unwrap_or(&[]))
        }
        10 if hundred_plus => (vec![1800, 1900], &ds),
        10 => (vec![1900, 2000], &ds),
        _ => return false,
    };
    let Ok::<[u32; 10], _>(ten) = ten.try_into() else {
        return false;
    };
    let yy = number(&ten[..2]);
    let month = number(&ten[2..4]);
    let raw_day = number(&ten[4..6]);
    let day = if raw_day > 60 { raw_day - 60 } else { raw_day };
    let date_ok = centuries.iter().any(|&c| {
        let year = c + yy;
        (1800..=MAX_BIRTH_YEAR).contains(&year) && is_valid_date(year, month, day)
    });
    date_ok && luhn_ok(&ten)
}

/// Finnish personal identity code (HETU, Population Information Act):
/// DDMMYY, century sign (+ 1800s; - Y X W V U 1900s; A B C D E F 2000s),
/// individual number 002–999 (900–999 are temporary codes, still personal
/// data) and a check character = table[DDMMYYNNN mod 31]. The dash is part
/// of the code, so only surrounding whitespace is removed.
pub(crate) fn fi_hetu(value: &str) -> bool {
    let s = value.trim();
    if s.len() != 11 {
        return false;
    }
    let s = s.to_ascii_uppercase();
    let (Some(date), Some(sign), Some(individual), Some(check)) =
        (s.get(..6), s.get(6..7), s.get(7..10), s.get(10..))
    else {
        return false;
    };
    let century = match sign {
        "+" => 1800,
        "-" | "Y" | "X" | "W" | "V" | "U" => 1900,
        "A" | "B" | "C" | "D" | "E" | "F" => 2000,
        _ => return false,
    };
    let (Some(date), Some(ind)) = (digits(date), digits(individual)) else {
        return false;
    };
    let Ok::<[u32; 6], _>(date) = date.try_into() else {
        return false;
    };
    let (day, month, year) = (
        number(&date[..2]),
        number(&date[2..4]),
        century + number(&date[4..]),
    );
    let ind_num = number(&ind);
    if year > MAX_BIRTH_YEAR || !is_valid_date(year, month, day) || ind_num < 2 {
        return false;
    }
    let whole = u64::from(number(&date)) * 1000 + u64::from(ind_num);
    const TABLE: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    TABLE
        .get((whole % 31) as usize)
        .is_some_and(|&c| check.as_bytes() == [c])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs() {
        assert!(nhs_number("943 476 5919"));
        assert!(nhs_number("401-023-2137"));
        assert!(!nhs_number("943 476 5918"));
        assert!(!nhs_number("943 476 591"));
        assert!(!nhs_number("0000000000"));
    }

    #[test]
    fn ninos() {
        assert!(uk_nino("AB123456C"));
        assert!(uk_nino("jg 10 37 59 a"));
        assert!(!uk_nino("QQ123456C")); // Q first
        assert!(!uk_nino("BG123456A")); // reserved prefix
        assert!(!uk_nino("AO123456A")); // O second
        assert!(!uk_nino("AB123456E")); // suffix
        assert!(!uk_nino("AB12345C")); // length
    }

    #[test]
    fn de_tax_ids() {
        assert!(de_tax_id("86 095 742 719"));
        assert!(de_tax_id("47036892816"));
        assert!(de_tax_id("65929970489")); // digit 9 three times, not adjacent
        assert!(!de_tax_id("86095742711")); // check digit
        assert!(!de_tax_id("8609574271")); // length
        assert!(!de_tax_id("12345678903")); // no repeated digit
        assert!(!de_tax_id("06095742719")); // leading zero
    }

    #[test]
    fn nirs() {
        assert!(fr_nir("2 55 08 14 168 025 38"));
        assert!(fr_nir("1 85 05 78 006 084 91"));
        assert!(fr_nir("2 69 05 2A 004 001 39"));
        assert!(!fr_nir("2 55 08 14 168 025 39"));
        assert!(!fr_nir("2 55 08 14 168 025 3"));
        assert!(!fr_nir("5 55 08 14 168 025 38")); // sex digit
    }

    #[test]
    fn dnis() {
        assert!(es_dni("12345678Z"));
        assert!(es_dni("12345678-z"));
        assert!(es_dni("X1234567L")); // NIE
        assert!(es_dni("Y1234567X"));
        assert!(!es_dni("12345678A"));
        assert!(!es_dni("1234567Z"));
        assert!(!es_dni("X1234567A"));
    }

    #[test]
    fn codici_fiscali() {
        assert!(it_codice_fiscale("RSSMRA85T10A562S"));
        assert!(it_codice_fiscale("MRTMTT91D08F205J"));
        assert!(it_codice_fiscale("MRTMTT91D08F20RE")); // omocodia
        assert!(!it_codice_fiscale("RSSMRA85T10A562T"));
        assert!(!it_codice_fiscale("RSSMRA85T10A562"));
        assert!(!it_codice_fiscale("RSSMRA85K10A562S")); // no month K
    }

    #[test]
    fn bsns() {
        assert!(nl_bsn("111222333"));
        assert!(nl_bsn("1234.56.782"));
        assert!(nl_bsn("10000008")); // 010000008 without its leading zero
        assert!(!nl_bsn("111222334"));
        assert!(!nl_bsn("1112223333"));
        assert!(!nl_bsn("000000000"));
    }

    #[test]
    fn pesels() {
        assert!(pl_pesel("44051401359"));
        assert!(pl_pesel("02270803624")); // born 2002
        assert!(!pl_pesel("44051401358"));
        assert!(!pl_pesel("4405140135"));
        assert!(!pl_pesel("44053201356")); // 32 May
    }

    #[test]
    fn personnummer() {
        assert!(se_personnummer("811228-9874"));
        assert!(se_personnummer("19811228-9874"));
        assert!(se_personnummer("8112289874"));
        assert!(se_personnummer("701063-2391")); // coordination number
        assert!(!se_personnummer("811228-9873"));
        assert!(!se_personnummer("81122-89874")); // sign misplaced
        assert!(!se_personnummer("811228-987")); // length
        assert!(!se_personnummer("811328-9876")); // month 13
    }

    #[test]
    fn hetus() {
        assert!(fi_hetu("131052-308T"));
        assert!(fi_hetu("010594Y9032"));
        assert!(fi_hetu("020103A234D"));
        assert!(!fi_hetu("131052-308U"));
        assert!(!fi_hetu("131052-308"));
        assert!(!fi_hetu("131052G308T")); // unknown century sign
        assert!(!fi_hetu("310252-308T")); // 31 February
    }
}
