//! People's Republic of China identifiers.

use super::{
    all_same, compact, digits, is_sep, is_space_or_dash, is_valid_date, number, MAX_BIRTH_YEAR,
};

/// First two digits of GB/T 2260 administrative division codes that exist:
/// provinces, autonomous regions and municipalities, 71 Taiwan, 81/82/83
/// residence permits for Hong Kong, Macao and Taiwan residents, 91 foreigners'
/// permanent residence ID.
const PROVINCE_CODES: &[u32] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91,
];

/// Resident identity card number (GB 11643-1999): 6-digit region whose
/// province part exists, birth date YYYYMMDD (1900 to [`MAX_BIRTH_YEAR`]),
/// 3-digit sequence and an ISO 7064 MOD 11-2 check character (0–9 or X).
/// Legacy first-generation 15-digit numbers (region, YYMMDD in the 1900s,
/// sequence, no check digit) are accepted when region and date are valid.
pub(crate) fn resident_id(value: &str) -> bool {
    let Some(s) = compact(value, 18, is_sep) else {
        return false;
    };
    match s.len() {
        18 => resident_id_18(&s),
        15 => resident_id_15(&s),
        _ => false,
    }
}

fn resident_id_18(s: &str) -> bool {
    let (Some(body), Some(check)) = (s.get(..17), s.get(17..)) else {
        return false;
    };
    let Some(ds) = digits(body) else {
        return false;
    };
    let Ok::<[u32; 17], _>(ds) = ds.try_into() else {
        return false;
    };
    let (year, month, day) = (number(&ds[6..10]), number(&ds[10..12]), number(&ds[12..14]));
    if !PROVINCE_CODES.contains(&number(&ds[..2]))
        || !(1900..=MAX_BIRTH_YEAR).contains(&year)
        || !is_valid_date(year, month, day)
    {
        return false;
    }
    // ISO 7064 MOD 11-2: weight of position i (from the left) is
    // 2^(17-i) mod 11; the check value makes the weighted sum ≡ 1 (mod 11).
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = ds.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    CHECK
        .get((sum % 11) as usize)
        .is_some_and(|&c| check.as_bytes() == [c])
}

fn resident_id_15(s: &str) -> bool {
    let Some(ds) = digits(s) else {
        return false;
    };
    let Ok::<[u32; 15], _>(ds) = ds.try_into() else {
        return false;
    };
    let year = 1900 + number(&ds[6..8]);
    PROVINCE_CODES.contains(&number(&ds[..2]))
        && is_valid_date(year, number(&ds[8..10]), number(&ds[10..12]))
}

/// GB 32100-2015 character set: digits and capitals without I, O, S, V, Z.
const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Unified social credit code (GB 32100-2015): 18 characters over the
/// restricted set, registration department + organisation type, a 6-digit
/// GB/T 2260 region, a 9-character organisation code that must itself pass
/// GB 11714, and a final mod-31 check character.
pub(crate) fn uscc(value: &str) -> bool {
    let Some(s) = compact(value, 18, is_space_or_dash) else {
        return false;
    };
    let Some(vals) = s
        .chars()
        .map(|c| USCC_CHARSET.find(c).and_then(|i| u32::try_from(i).ok()))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    let Ok::<[u32; 18], _>(vals) = vals.try_into() else {
        return false;
    };
    // The region part is a numeric administrative division code.
    if vals[2..8].iter().any(|&v| v > 9) {
        return false;
    }
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: u32 = vals.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    check == vals[17] && s.get(8..17).is_some_and(org_code_ok)
}

/// Value of an organisation-code body character per GB 11714: digits as
/// is, capital letters A=10 … Z=35.
fn org_char_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() || c.is_ascii_uppercase() {
        c.to_digit(36)
    } else {
        None
    }
}

/// GB 11714-1997 check on a compact 9-character code: weights
/// 3,7,9,10,5,8,4,2 over the body, check = 11 − (Σ mod 11) with 10 → 'X'
/// and 11 → '0'.
fn org_code_ok(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let Ok::<[char; 9], _>(cs) = chars.try_into() else {
        return false;
    };
    let Some(vals) = cs[..8]
        .iter()
        .map(|&c| org_char_value(c))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = vals.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let expected = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).unwrap_or('?'),
    };
    !all_same(&vals) && cs[8] == expected
}

/// Organisation code (GB 11714-1997): 8 digits/capitals and a check
/// character, usually printed `XXXXXXXX-C`.
pub(crate) fn org_code(value: &str) -> bool {
    compact(value, 9, is_space_or_dash).is_some_and(|s| org_code_ok(&s))
}

/// Mainland mobile number: 11 digits `1[3-9]x xxxx xxxx` (the MIIT numbering
/// plan's 13x–19x mobile ranges), optionally after +86, 0086 or 86 and with
/// spaces, dashes, dots or parentheses between groups.
pub(crate) fn mobile(value: &str) -> bool {
    let Some(s) = compact(value, 16, |c| is_sep(c) || matches!(c, '(' | ')')) else {
        return false;
    };
    let national = if let Some(rest) = s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")) {
        rest
    } else if s.len() == 13 {
        s.strip_prefix("86").unwrap_or(&s)
    } else {
        &s
    };
    let Some(ds) = digits(national) else {
        return false;
    };
    matches!(ds.as_slice(), [1, 3..=9, ..]) && ds.len() == 11
}

/// Whether `s` is exactly `n` ASCII digits, not all the same (E00000000 is
/// a form-filling placeholder, not a document).
fn n_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) && !all_same(s.as_bytes())
}

/// PRC passport numbers as issued by the National Immigration
/// Administration / Ministry of Foreign Affairs. Accepted forms:
/// - `E` + 8 digits: ordinary e-passport (2012 onward);
/// - `E` + a letter other than I/O + 7 digits: ordinary e-passport once the
///   numeric `E` range was exhausted (EA…EZ);
/// - `G` + 8 digits: ordinary passport before 2012 (still in circulation);
/// - `G` + a letter other than I/O + 7 digits: not a series documented
///   publicly, accepted because DLP catalogues (ours included) treat the G
///   series like the E series and a validator should not be stricter than
///   the evidence;
/// - `D`, `S` or `P`, optionally followed by `E`, then 7 or 8 digits:
///   diplomatic, service and public-affairs passports (`DE1234567` etc.).
pub(crate) fn passport(value: &str) -> bool {
    let Some(s) = compact(value, 10, char::is_whitespace) else {
        return false;
    };
    let mut chars = s.chars();
    let (Some(first), Some(second)) = (chars.next(), chars.next()) else {
        return false;
    };
    let rest = chars.as_str();
    let after_first = s.get(1..).unwrap_or("");
    match first {
        'E' | 'G' if second.is_ascii_digit() => n_digits(after_first, 8),
        'E' | 'G' => {
            second.is_ascii_uppercase() && !matches!(second, 'I' | 'O') && n_digits(rest, 7)
        }
        'D' | 'S' | 'P' => {
            let tail = if second == 'E' { rest } else { after_first };
            n_digits(tail, 7) || n_digits(tail, 8)
        }
        _ => false,
    }
}

/// Province abbreviations on civilian plates (GA 36-2018), one per
/// provincial-level division of the mainland.
const PLATE_PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// Final characters of special-use 7-character plates: learner, trailer,
/// police, Hong Kong and Macao cross-border.
const PLATE_SPECIAL_SUFFIX: &str = "学挂警港澳";

/// Serial character on plates: digits and capitals except I and O, which
/// GA 36 leaves out to avoid confusion with 1 and 0.
fn plate_alnum(c: char) -> bool {
    (c.is_ascii_digit() || c.is_ascii_uppercase()) && !matches!(c, 'I' | 'O')
}

/// Energy-type letters of new-energy plates (GA 36-2018): D pure electric,
/// F other new-energy. A, B, C, E (electric) and G, H, J, K (other) are the
/// further letters issued once the D/F series ran out in large cities.
fn nev_letter(c: char) -> bool {
    matches!(c, 'D' | 'F' | 'A' | 'B' | 'C' | 'E' | 'G' | 'H' | 'J' | 'K')
}

/// Civilian vehicle plate (GA 36-2018): province abbreviation, issuing-office
/// letter (not I/O), then
/// - 5 serial characters (digits/capitals, no I/O), or 4 plus a special-use
///   character (学, 挂, 警, 港, 澳); or
/// - 6 for new-energy plates: small vehicles `[energy letter][alnum]dddd`,
///   large vehicles `ddddd[D|F]`.
///
/// Separators such as the middle dot in 京A·12345 are ignored.
pub(crate) fn license_plate(value: &str) -> bool {
    let Some(s) = compact(value, 8, |c| {
        is_space_or_dash(c) || matches!(c, '·' | '•' | '・' | '.')
    }) else {
        return false;
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [province, office, serial @ ..] => {
            if !PLATE_PROVINCES.contains(*province)
                || !office.is_ascii_uppercase()
                || matches!(office, 'I' | 'O')
            {
                return false;
            }
            match serial {
                [body @ .., last] if serial.len() == 5 => {
                    body.iter().all(|&c| plate_alnum(c))
                        && (plate_alnum(*last) || PLATE_SPECIAL_SUFFIX.contains(*last))
                }
                [energy, second, tail @ ..] if serial.len() == 6 && nev_letter(*energy) => {
                    plate_alnum(*second) && tail.iter().all(char::is_ascii_digit)
                }
                [body @ .., energy] if serial.len() == 6 => {
                    matches!(energy, 'D' | 'F') && body.iter().all(char::is_ascii_digit)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_ids() {
        // GB 11643-1999's own worked example, and computed values.
        assert!(resident_id("11010519491231002X"));
        assert!(resident_id("110105 19491231 002x"));
        assert!(resident_id("440308199901010012"));
        assert!(resident_id("310101200002290015"));
        assert!(resident_id("110105491231002")); // legacy 15-digit
        assert!(!resident_id("110105194912310021")); // check digit
        assert!(!resident_id("11010519491231002")); // length
        assert!(!resident_id("990105194912310026")); // no province 99
        assert!(!resident_id("310101190002290015")); // 1900-02-29
        assert!(!resident_id("440524188001010014")); // born 1880: out of range
        assert!(!resident_id("110105491331002")); // legacy, month 13
    }

    #[test]
    fn usccs() {
        assert!(uscc("91350100M000100Y43"));
        assert!(uscc("91110108551385082Q"));
        assert!(uscc("9135 0100 M000 100Y 43"));
        assert!(!uscc("91350100M000100Y44")); // check character
        assert!(!uscc("91350100M000100Y4")); // length
        assert!(!uscc("91350100M000100I43")); // I not in charset
        assert!(!uscc("9135010AM000100Y4D")); // region not numeric
    }

    #[test]
    fn uscc_requires_valid_embedded_org_code() {
        // Mod-31 check right, GB 11714 check of chars 9–17 wrong.
        assert!(!uscc("91350100M000100Y56"));
    }

    #[test]
    fn org_codes() {
        assert!(org_code("M000100Y-4"));
        assert!(org_code("551385082"));
        assert!(org_code("D2143569-X"));
        assert!(!org_code("M000100Y-5"));
        assert!(!org_code("M000100Y"));
        assert!(!org_code("00000000-0"));
    }

    #[test]
    fn mobiles() {
        assert!(mobile("13812345678"));
        assert!(mobile("+86 138-1234-5678"));
        assert!(mobile("0086 19912345678"));
        assert!(mobile("(+86) 158.1234.5678"));
        assert!(mobile("8613812345678"));
        assert!(!mobile("12812345678")); // second digit 2
        assert!(!mobile("1381234567")); // 10 digits
        assert!(!mobile("+1 13812345678"));
    }

    #[test]
    fn passports() {
        assert!(passport("E12345678"));
        assert!(passport("EA1234567"));
        assert!(passport("G12345678"));
        assert!(passport("GP1927976"));
        assert!(passport("DE1234567"));
        assert!(passport("P1234567"));
        assert!(!passport("E1234567")); // 7 digits after E
        assert!(!passport("EI1234567")); // I not used
        assert!(!passport("E00000000"));
        assert!(!passport("K12345678"));
    }

    #[test]
    fn plates() {
        assert!(license_plate("京A12345"));
        assert!(license_plate("沪B·D1234"));
        assert!(license_plate("粤BD12345")); // small new-energy
        assert!(license_plate("苏E12345F")); // large new-energy
        assert!(license_plate("京A1234学"));
        assert!(!license_plate("京I12345")); // office letter I
        assert!(!license_plate("京A1234")); // too short
        assert!(!license_plate("港A12345")); // not a mainland province
        assert!(!license_plate("京AO2345")); // O in serial
        assert!(!license_plate("粤BX12345")); // 6-char serial without energy letter
    }
}
