//! Payment and financial identifiers: card numbers, IBAN, ABA routing
//! numbers, ISIN, plus IMEI (which shares the Luhn check).

use super::{all_same, compact, digits, digits_exact, is_sep, is_space_or_dash, luhn_ok};

/// Card digits (12–19) after separators, `None` when out of range.
fn card_digits(value: &str) -> Option<Vec<u32>> {
    let s = compact(value, 19, is_sep)?;
    let ds = digits(&s)?;
    (12..=19).contains(&ds.len()).then_some(ds)
}

/// Payment card number: 12–19 digits passing Luhn (ISO/IEC 7812-1).
/// Same-digit fillers such as 0000 0000 0000 0000 pass Luhn but are rejected.
pub(crate) fn luhn(value: &str) -> bool {
    card_digits(value).is_some_and(|ds| !all_same(&ds) && luhn_ok(&ds))
}

/// Bank card as seen in Chinese text: 16–19 digits, Luhn, and an issuer
/// prefix that makes sense there: 62 (China UnionPay) or the 3/4/5 ranges of
/// the international schemes (JCB/Amex, Visa, Mastercard) that Chinese banks
/// co-brand.
pub(crate) fn cn_bank_card(value: &str) -> bool {
    let Some(ds) = card_digits(value) else {
        return false;
    };
    let plausible_bin = match ds.as_slice() {
        [6, 2, ..] => true,
        [first, ..] => matches!(first, 3..=5),
        [] => false,
    };
    ds.len() >= 16 && plausible_bin && !all_same(&ds) && luhn_ok(&ds)
}

/// IBAN lengths per country, from the SWIFT IBAN Registry (release 101).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HN", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// Value of an alphanumeric character in the ISO 7064 / ISO 13616 letter
/// expansion: digits as is, A=10 … Z=35.
fn alnum_value(c: char) -> Option<u32> {
    c.to_digit(36)
}

/// IBAN (ISO 13616-1): country code with a registered length, two check
/// digits, alphanumeric BBAN, and the ISO 7064 MOD 97-10 remainder of the
/// rearranged, letter-expanded number equal to 1. Printed groups of four
/// (spaces) and dashes are allowed.
pub(crate) fn iban(value: &str) -> bool {
    let Some(s) = compact(value, 34, is_space_or_dash) else {
        return false;
    };
    let (Some(country), Some(check), Some(bban)) = (s.get(..2), s.get(2..4), s.get(4..)) else {
        return false;
    };
    let length_ok = IBAN_LENGTHS
        .iter()
        .any(|&(cc, len)| cc == country && len == s.len());
    if !length_ok
        || !check.bytes().all(|b| b.is_ascii_digit())
        || !bban.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return false;
    }
    // Moving the first four characters to the end puts the check digits
    // last; the remainder is computed piecewise so no big integer is needed.
    let mut rem = 0u32;
    for c in bban.chars().chain(country.chars()).chain(check.chars()) {
        let Some(v) = alnum_value(c) else {
            return false;
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// ABA routing transit number (American Bankers Association): nine digits,
/// weights 3-7-1 repeating summing to a multiple of 10, and a Federal Reserve
/// routing symbol prefix that is actually assigned: 00 (US government),
/// 01–12 (banks), 21–32 (thrifts), 61–72 (electronic), 80 (travellers'
/// cheques).
pub(crate) fn aba_routing(value: &str) -> bool {
    let Some(ds) = digits_exact::<9>(value) else {
        return false;
    };
    let prefix = ds[0] * 10 + ds[1];
    let prefix_ok = matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80);
    let sum: u32 = ds
        .iter()
        .zip([3, 7, 1].iter().cycle())
        .map(|(d, w)| d * w)
        .sum();
    prefix_ok && !all_same(&ds) && sum.is_multiple_of(10)
}

/// IMEI (3GPP TS 23.003): 15 digits whose last is a Luhn check digit.
pub(crate) fn imei(value: &str) -> bool {
    digits_exact::<15>(value).is_some_and(|ds| !all_same(&ds) && luhn_ok(&ds))
}

/// ISIN (ISO 6166): two-letter country prefix, nine alphanumerics and a
/// check digit computed by Luhn over the string with letters expanded to
/// two digits (A=10 … Z=35).
pub(crate) fn isin(value: &str) -> bool {
    let Some(s) = compact(value, 12, is_space_or_dash) else {
        return false;
    };
    let chars: Vec<char> = s.chars().collect();
    let Ok::<[char; 12], _>(cs) = chars.try_into() else {
        return false;
    };
    let format_ok = cs[..2].iter().all(char::is_ascii_uppercase)
        && cs[2..11].iter().all(char::is_ascii_alphanumeric)
        && cs[11].is_ascii_digit();
    if !format_ok {
        return false;
    }
    let mut expanded = Vec::with_capacity(24);
    for c in cs {
        match alnum_value(c) {
            Some(v) if v >= 10 => expanded.extend([v / 10, v % 10]),
            Some(v) => expanded.push(v),
            None => return false,
        }
    }
    luhn_ok(&expanded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_cards() {
        // Published scheme test numbers (Visa, Mastercard, Amex, UnionPay).
        assert!(luhn("4111 1111 1111 1111"));
        assert!(luhn("5555-5555-5555-4444"));
        assert!(luhn("378282246310005"));
        assert!(luhn("6212345678901265"));
        assert!(!luhn("4111 1111 1111 1112"));
        assert!(!luhn("0000 0000 0000 0000"));
        assert!(!luhn("41111111111")); // 11 digits
        assert!(!luhn("41111111111111111111")); // 20 digits
        assert!(!luhn("4111-1111-1111-111a"));
    }

    #[test]
    fn cn_bank_cards() {
        assert!(cn_bank_card("6212345678901265"));
        assert!(cn_bank_card("6222 0202 0000 0000 006"));
        assert!(cn_bank_card("4111111111111111"));
        assert!(!cn_bank_card("6212345678901266")); // check digit
        assert!(!cn_bank_card("378282246310005")); // 15 digits
        assert!(!cn_bank_card("6011111111111117")); // Discover, not a CN BIN
        assert!(!cn_bank_card("8888888888888888"));
    }

    #[test]
    fn ibans() {
        // ISO 13616 / registry examples.
        assert!(iban("GB82 WEST 1234 5698 7654 32"));
        assert!(iban("DE89370400440532013000"));
        assert!(iban("fr14 2004 1010 0505 0001 3m02 606"));
        assert!(iban("NO9386011117947"));
        assert!(iban("HN88CABF00000000000250005469"));
        assert!(!iban("GB82 WEST 1234 5698 7654 33")); // check
        assert!(!iban("GB82WEST123456987654")); // length for GB
        assert!(!iban("XX82WEST12345698765432")); // unknown country
        assert!(!iban("DE8937040044053201300")); // short
    }

    #[test]
    fn aba() {
        assert!(aba_routing("011000015"));
        assert!(aba_routing("021000021"));
        assert!(aba_routing("122105155"));
        assert!(!aba_routing("021000022")); // checksum
        assert!(!aba_routing("02100002")); // length
        assert!(!aba_routing("000000000"));
        assert!(!aba_routing("501000026")); // prefix 50 unassigned
    }

    #[test]
    fn imeis() {
        assert!(imei("490154203237518"));
        assert!(imei("35-209900-176148-1"));
        assert!(!imei("490154203237519"));
        assert!(!imei("49015420323751"));
        assert!(!imei("000000000000000"));
    }

    #[test]
    fn isins() {
        assert!(isin("US0378331005"));
        assert!(isin("AU0000XVGZA3"));
        assert!(isin("GB0002634946"));
        assert!(!isin("US0378331006"));
        assert!(!isin("US037833100"));
        assert!(!isin("1S0378331005"));
    }
}
