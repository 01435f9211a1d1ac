//! Checksum and format validators for the data-type catalogue.
//!
//! A catalogue entry finds candidates with a pattern and then names a
//! validator here to confirm them, which is what turns "16 digits" into "a
//! payment card number". Validators receive untrusted text exactly as it
//! appeared (separators included) and must never panic: every function
//! works on bounded copies, looks values up with `get`, and rejects inputs
//! longer than its format allows before doing any real work.
//!
//! The names in [`VALIDATORS`] are a contract with the catalogue files;
//! renaming one breaks catalogues at load time.

mod americas;
mod asia_pacific;
mod cn;
mod europe;
mod finance;
mod network;
mod secrets;

/// A validator: the matched text in, whether it is genuine out.
pub(crate) type Check = fn(&str) -> bool;

/// The single source of truth pairing catalogue names with functions, so the
/// published name list and the dispatcher can never drift apart.
const TABLE: &[(&str, Check)] = &[
    ("luhn", finance::luhn),
    ("cn_bank_card", finance::cn_bank_card),
    ("cn_resident_id", cn::resident_id),
    ("cn_uscc", cn::uscc),
    ("cn_org_code", cn::org_code),
    ("cn_mobile", cn::mobile),
    ("cn_passport", cn::passport),
    ("cn_license_plate", cn::license_plate),
    ("iban", finance::iban),
    ("aba_routing", finance::aba_routing),
    ("us_ssn", americas::us_ssn),
    ("us_itin", americas::us_itin),
    ("vin", americas::vin),
    ("imei", finance::imei),
    ("isin", finance::isin),
    ("nhs_number", europe::nhs_number),
    ("uk_nino", europe::uk_nino),
    ("ca_sin", americas::ca_sin),
    ("de_tax_id", europe::de_tax_id),
    ("fr_nir", europe::fr_nir),
    ("es_dni", europe::es_dni),
    ("it_codice_fiscale", europe::it_codice_fiscale),
    ("nl_bsn", europe::nl_bsn),
    ("br_cpf", americas::br_cpf),
    ("br_cnpj", americas::br_cnpj),
    ("in_aadhaar", asia_pacific::in_aadhaar),
    ("in_pan", asia_pacific::in_pan),
    ("kr_rrn", asia_pacific::kr_rrn),
    ("sg_nric", asia_pacific::sg_nric),
    ("hk_id", asia_pacific::hk_id),
    ("tw_id", asia_pacific::tw_id),
    ("jp_my_number", asia_pacific::jp_my_number),
    ("au_tfn", asia_pacific::au_tfn),
    ("au_medicare", asia_pacific::au_medicare),
    ("pl_pesel", europe::pl_pesel),
    ("se_personnummer", europe::se_personnummer),
    ("fi_hetu", europe::fi_hetu),
    ("mx_curp", americas::mx_curp),
    ("email", network::email),
    ("ipv4", network::ipv4),
    ("ipv6", network::ipv6),
    ("mac", network::mac),
    ("date", network::date),
    ("jwt", secrets::jwt),
    ("github_token", secrets::github_token),
    ("pem_private_key", secrets::pem_private_key),
    ("entropy_secret", secrets::entropy_secret),
    ("not_placeholder", secrets::not_placeholder),
    ("stripe_test_key", secrets::stripe_test_key),
    ("aws_secret_key", secrets::aws_secret_key),
];

/// Copies the names out of [`TABLE`] at compile time.
const fn table_names<const N: usize>() -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = TABLE[i].0;
        i += 1;
    }
    out
}

const NAMES: [&str; TABLE.len()] = table_names::<{ TABLE.len() }>();

/// Names of every validator, for load-time checking of catalogue files.
pub const VALIDATORS: &[&str] = &NAMES;

/// Whether `value` (the matched text, possibly with spaces, dashes or dots as
/// separators, as it appeared in the text) passes validator `name`. Unknown
/// names return None.
///
/// Each validator strips the separators its own format allows, so callers
/// pass the match untouched.
pub fn validate(name: &str, value: &str) -> Option<bool> {
    check_of(name).map(|check| check(value))
}

/// The validator called `name`, for callers that look it up once.
pub(crate) fn check_of(name: &str) -> Option<Check> {
    TABLE
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, check)| *check)
}

// ---------------------------------------------------------------------------
// Helpers shared by the family modules.
// ---------------------------------------------------------------------------

/// Latest birth year accepted in identifiers that embed a birth date: far
/// enough ahead not to need a clock (validators stay pure and testable), near
/// enough to reject obviously impossible dates.
pub(crate) const MAX_BIRTH_YEAR: u32 = 2030;

/// Separators people put inside identifiers: whitespace (including no-break
/// and ideographic spaces), ASCII and typographic dashes, dots and slashes.
pub(crate) fn is_sep(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// Whitespace and dashes only, for formats where '.' or '/' would be odd.
pub(crate) fn is_space_or_dash(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// `value` without the characters `sep` accepts, ASCII letters upper-cased;
/// `None` as soon as more than `max` characters remain. The bound keeps work
/// and allocation proportional to the format, not to the (untrusted) input.
pub(crate) fn compact(value: &str, max: usize, sep: impl Fn(char) -> bool) -> Option<String> {
    let mut out = String::new();
    let mut kept = 0usize;
    for c in value.chars() {
        if sep(c) {
            continue;
        }
        kept += 1;
        if kept > max {
            return None;
        }
        out.push(c.to_ascii_uppercase());
    }
    Some(out)
}

/// Numeric values of an all-ASCII-digit string, `None` if anything else.
pub(crate) fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

/// Digits of `value` after removing [`is_sep`] separators, as a fixed-size
/// array so later positional access cannot go out of bounds.
pub(crate) fn digits_exact<const N: usize>(value: &str) -> Option<[u32; N]> {
    let s = compact(value, N, is_sep)?;
    digits(&s)?.try_into().ok()
}

/// Whether every element is the same: "0000000000" style fillers pass many
/// checksums but are never real identifiers.
pub(crate) fn all_same<T: PartialEq>(items: &[T]) -> bool {
    match items.split_first() {
        Some((first, rest)) => rest.iter().all(|x| x == first),
        None => true,
    }
}

/// Decimal value of a short digit slice.
pub(crate) fn number(ds: &[u32]) -> u32 {
    ds.iter()
        .fold(0u32, |acc, &d| acc.saturating_mul(10).saturating_add(d))
}

/// Luhn (ISO/IEC 7812-1 Annex B) over digit values, check digit last.
pub(crate) fn luhn_ok(ds: &[u32]) -> bool {
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 {
                    twice - 9
                } else {
                    twice
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Gregorian leap-year rule.
pub(crate) fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Whether `year-month-day` exists in the proleptic Gregorian calendar.
pub(crate) fn is_valid_date(year: u32, month: u32, day: u32) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Shannon entropy in bits per character.
pub(crate) fn shannon_entropy(s: &str) -> f64 {
    // Secrets are ASCII: counted in an array, where hashing every
    // character into a map made most of the generic secrets' validator
    // (callgrind: 20,000 instructions a value with the map and a
    // `contains` per placeholder marker, 8,000 without). The sum then
    // also runs in one order, not the map's.
    if s.is_ascii() {
        let mut counts = [0usize; 128];
        for b in s.bytes() {
            counts[usize::from(b & 0x7f)] += 1;
        }
        return entropy_of(counts.iter().copied().filter(|&k| k > 0), s.len());
    }
    let mut counts = std::collections::HashMap::<char, usize>::new();
    let mut total = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0) += 1;
        total += 1;
    }
    entropy_of(counts.values().copied(), total)
}

/// The entropy of `counts` that sum to `total`, in bits.
fn entropy_of(counts: impl Iterator<Item = usize>, total: usize) -> f64 {
    if total == 0 {
        return 0.0;
    }
    let n = total as f64;
    counts
        .map(|k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The names the catalogue authors were promised, verbatim.
    const CONTRACT: &[&str] = &[
        "luhn",
        "cn_bank_card",
        "cn_resident_id",
        "cn_uscc",
        "cn_org_code",
        "cn_mobile",
        "cn_passport",
        "cn_license_plate",
        "iban",
        "aba_routing",
        "us_ssn",
        "us_itin",
        "vin",
        "imei",
        "isin",
        "nhs_number",
        "uk_nino",
        "ca_sin",
        "de_tax_id",
        "fr_nir",
        "es_dni",
        "it_codice_fiscale",
        "nl_bsn",
        "br_cpf",
        "br_cnpj",
        "in_aadhaar",
        "in_pan",
        "kr_rrn",
        "sg_nric",
        "hk_id",
        "tw_id",
        "jp_my_number",
        "au_tfn",
        "au_medicare",
        "pl_pesel",
        "se_personnummer",
        "fi_hetu",
        "mx_curp",
        "email",
        "ipv4",
        "ipv6",
        "mac",
        "date",
        "jwt",
        "github_token",
        "pem_private_key",
        "entropy_secret",
        "not_placeholder",
        "stripe_test_key",
        "aws_secret_key",
    ];

    #[test]
    fn validators_lists_exactly_the_contract() {
        let mut listed: Vec<&str> = VALIDATORS.to_vec();
        let mut promised: Vec<&str> = CONTRACT.to_vec();
        listed.sort_unstable();
        promised.sort_unstable();
        assert_eq!(listed, promised);
        let before = listed.len();
        listed.dedup();
        assert_eq!(before, listed.len(), "duplicate validator name");
        for name in VALIDATORS {
            assert!(validate(name, "").is_some(), "{name} not dispatched");
            assert_eq!(validate(name, ""), Some(false), "{name} accepts empty");
        }
        assert_eq!(validate("no_such_validator", "123"), None);
        assert_eq!(validate("LUHN", "4111111111111111"), None);
    }

    #[test]
    fn helpers() {
        assert!(is_valid_date(2000, 2, 29));
        assert!(!is_valid_date(1900, 2, 29));
        assert!(!is_valid_date(2023, 4, 31));
        assert!(!is_valid_date(2023, 0, 1));
        assert!(!is_valid_date(2023, 13, 1));
        assert_eq!(compact("12 34-56", 6, is_sep).as_deref(), Some("123456"));
        assert_eq!(compact("1234567", 6, is_sep), None);
        assert!(all_same::<u32>(&[]));
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
        assert_eq!(shannon_entropy(""), 0.0);
    }

    /// Prefixes that steer arbitrary suffixes into the deeper code paths.
    const PREFIXES: &[&str] = &[
        "",
        "ghp_",
        "github_pat_",
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n",
        "eyJhbGciOiJIUzI1NiJ9.",
        "+86 ",
        "11010519",
        "GB82",
        "京A",
        "[fe80::1%",
        "2024年",
        "user@",
    ];

    fn any_input() -> impl Strategy<Value = String> {
        let small = prop_oneof![
            any::<String>(),
            "[0-9A-Za-z ./()+:@_=-]{0,48}",
            "[0-9X年月日京沪·\u{00e9}\u{1F600}-]{0,24}",
        ];
        (prop::sample::select(PREFIXES), small).prop_map(|(p, s)| format!("{p}{s}"))
    }

    proptest! {
        /// ASCII counted in an array, anything else in a map: the same
        /// entropy as counting every character in a map.
        #[test]
        fn entropy_counts_ascii_and_other_text_alike(s in "[ -~]{0,40}|\\PC{0,40}") {
            let mut counts = std::collections::HashMap::<char, f64>::new();
            for c in s.chars() {
                *counts.entry(c).or_insert(0.0) += 1.0;
            }
            let n = s.chars().count() as f64;
            let want: f64 = counts.values().map(|k| -(k / n) * (k / n).log2()).sum();
            prop_assert!((shannon_entropy(&s) - want).abs() < 1e-9);
        }

        #[test]
        fn validate_never_panics(input in any_input()) {
            for name in VALIDATORS {
                let _ = validate(name, &input);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]
        #[test]
        fn validate_never_panics_on_huge_input(
            prefix in prop::sample::select(PREFIXES),
            unit in any::<String>(),
        ) {
            // ~100 KB: a repeated arbitrary (possibly multibyte) unit.
            let unit = if unit.is_empty() { "9".to_string() } else { unit };
            let mut input = prefix.to_string();
            while input.len() < 100 * 1024 {
                input.push_str(&unit);
            }
            for name in VALIDATORS {
                prop_assert!(validate(name, &input).is_some());
            }
        }
    }

    #[test]
    fn huge_inputs_are_rejected() {
        let digits = "4".repeat(100 * 1024);
        let hexish = "a1".repeat(50 * 1024);
        for name in VALIDATORS {
            assert_eq!(validate(name, &digits), Some(false), "{name}");
            let _ = validate(name, &hexish);
        }
    }
}
