//! Structural validators for addresses and dates: e-mail, IPv4, IPv6, MAC,
//! calendar dates. These check form only; whether a value is a documentation
//! placeholder is left to the catalogue.

use std::net::Ipv6Addr;
use std::str::FromStr;

use super::is_valid_date;

/// Characters RFC 5322 allows in an unquoted local part (atext), besides
/// letters and digits.
const ATEXT_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";

/// A local-part character: RFC 5322 atext, or any non-ASCII alphanumeric
/// (internationalised addresses, RFC 6531).
fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || ATEXT_SPECIALS.contains(c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// A domain label (RFC 1035 preferred syntax as relaxed by RFC 1123, plus
/// non-ASCII letters for IDNs): 1–63 bytes, letters/digits/hyphens, no
/// hyphen at either end.
fn label_ok(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c == '-' || c.is_alphanumeric())
}

/// E-mail address, structurally (RFC 5321 limits, RFC 5322 dot-atom
/// syntax): local part 1–64 bytes without leading, trailing or consecutive
/// dots; a domain of at most 253 bytes with at least two valid labels and a
/// top-level label that is alphabetic with ≥ 2 letters (or an IDN `xn--`
/// label). Quoted local parts and address literals are not accepted; they
/// do not occur in the text this scans for.
pub(crate) fn email(value: &str) -> bool {
    let s = value.trim();
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c == '.' || local_char(c));
    if !local_ok || domain.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, _)) = labels.split_last() else {
        return false;
    };
    let tld_ok = (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
        || (tld.len() > 4
            && tld.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
            && label_ok(tld));
    labels.len() >= 2 && labels.iter().all(|l| label_ok(l)) && tld_ok
}

/// IPv4 address in dotted-decimal form (RFC 791 / the inet_aton strict
/// subset): four octets 0–255 without leading zeros (which some stacks read
/// as octal), and not the unspecified address 0.0.0.0.
pub(crate) fn ipv4(value: &str) -> bool {
    let s = value.trim();
    if s.len() > 15 {
        return false;
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return false;
    }
    let mut octets = [0u8; 4];
    for (slot, part) in octets.iter_mut().zip(&parts) {
        let canonical = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && !(part.len() > 1 && part.starts_with('0'));
        let Some(octet) = canonical.then(|| part.parse::<u8>().ok()).flatten() else {
            return false;
        };
        *slot = octet;
    }
    octets != [0, 0, 0, 0]
}

/// IPv6 address (RFC 4291 text forms, parsed by the standard library),
/// after removing URL brackets with an optional `:port` (RFC 3986) and a
/// `%zone` suffix (RFC 4007). The unspecified address `::` is rejected: as
/// a match it is nearly always a scope operator, not an address.
pub(crate) fn ipv6(value: &str) -> bool {
    let s = value.trim();
    if s.len() > 128 {
        return false;
    }
    let unbracketed = match s.strip_prefix('[') {
        Some(inner) => {
            let Some((addr, after)) = inner.split_once(']') else {
                return false;
            };
            let port_ok = after.is_empty()
                || after.strip_prefix(':').is_some_and(|p| {
                    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
                });
            if !port_ok {
                return false;
            }
            addr
        }
        None => s,
    };
    let addr = match unbracketed.split_once('%') {
        Some((addr, zone)) if !zone.is_empty() && zone.chars().all(|c| c.is_ascii_graphic()) => {
            addr
        }
        Some(_) => return false,
        None => unbracketed,
    };
    Ipv6Addr::from_str(addr).is_ok_and(|a| !a.is_unspecified())
}

/// Whether every character of `s` is a hex digit and `s` has `n` of them.
fn hex_group(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// MAC-48 / EUI-48 address (IEEE 802) as six two-hex-digit groups joined
/// consistently by ':' or '-' (IEEE and IETF notation), or as three groups
/// of four joined by '.' (Cisco). The all-zero and broadcast addresses are
/// rejected: they are fillers, not a device.
pub(crate) fn mac(value: &str) -> bool {
    let s = value.trim();
    if s.len() != 17 && s.len() != 14 {
        return false;
    }
    let separated = |sep: char, groups: usize, width: usize| {
        let parts: Vec<&str> = s.split(sep).collect();
        parts.len() == groups && parts.iter().all(|p| hex_group(p, width))
    };
    let form_ok = separated(':', 6, 2) || separated('-', 6, 2) || separated('.', 3, 4);
    if !form_ok {
        return false;
    }
    let hex: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    let all_zero = hex.iter().all(|&b| b == b'0');
    let broadcast = hex.iter().all(|b| b.eq_ignore_ascii_case(&b'f'));
    !all_zero && !broadcast
}

/// Parses 1..=max_len ASCII digits.
fn parse_num(s: &str, max_len: usize) -> Option<u32> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Year range accepted for dates: wide enough for birth dates and
/// contracts, narrow enough that version numbers and counts are not dates.
fn year_ok(year: u32) -> bool {
    (1900..=2100).contains(&year)
}

/// Full-width digits (common in CJK text) folded to ASCII.
fn fold_fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => {
                char::from_u32(u32::from(c) - 0xFF10 + u32::from('0')).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

/// A real calendar date (Gregorian, year 1900–2100) in one of the written
/// forms: ISO 8601 `YYYY-MM-DD` (also with '/' or '.'), `DD/MM/YYYY` (and
/// the US `MM/DD/YYYY`, accepted when either reading is a real date),
/// `DD.MM.YYYY`, `DD-MM-YYYY`, and the CJK `YYYY年M月D日` (or 号).
/// Day and month may have one or two digits.
pub(crate) fn date(value: &str) -> bool {
    let s = value.trim();
    if s.len() > 40 {
        return false;
    }
    let s = fold_fullwidth(s);
    if let Some((y, rest)) = s.split_once('年') {
        let Some((m, rest)) = rest.split_once('月') else {
            return false;
        };
        let Some(d) = rest.strip_suffix('日').or_else(|| rest.strip_suffix('号')) else {
            return false;
        };
        let (Some(y), Some(m), Some(d)) = (
            parse_num(y.trim(), 4),
            parse_num(m.trim(), 2),
            parse_num(d.trim(), 2),
        ) else {
            return false;
        };
        return year_ok(y) && is_valid_date(y, m, d);
    }
    let Some(sep) = s.chars().find(|c| matches!(c, '-' | '/' | '.')) else {
        return false;
    };
    let parts: Vec<&str> = s.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return false;
    };
    if a.len() == 4 {
        // Year first: ISO order.
        let (Some(y), Some(m), Some(d)) = (parse_num(a, 4), parse_num(b, 2), parse_num(c, 2))
        else {
            return false;
        };
        year_ok(y) && is_valid_date(y, m, d)
    } else if c.len() == 4 {
        let (Some(first), Some(second), Some(y)) =
            (parse_num(a, 2), parse_num(b, 2), parse_num(c, 4))
        else {
            return false;
        };
        let day_month = is_valid_date(y, second, first);
        // Slashes are also the US order; dots and dashes are European.
        let month_day = sep == '/' && is_valid_date(y, first, second);
        year_ok(y) && (day_month || month_day)
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(email("alice@example.com"));
        assert!(email("first.last+tag@mail.co.uk"));
        assert!(email("用户@例子.广告"));
        assert!(email("x@xn--fiqs8s.xn--fiqz9s"));
        assert!(!email("alice@localhost")); // one label
        assert!(!email("alice..b@example.com"));
        assert!(!email(".alice@example.com"));
        assert!(!email("alice@example.c")); // TLD too short
        assert!(!email("alice@example.123"));
        assert!(!email("alice@-example.com"));
        assert!(!email("alice@example..com"));
        assert!(!email(&format!("{}@example.com", "a".repeat(65))));
        assert!(!email("no-at-sign.example.com"));
    }

    #[test]
    fn ipv4s() {
        assert!(ipv4("192.168.1.1"));
        assert!(ipv4("8.8.8.8"));
        assert!(ipv4("255.255.255.255"));
        assert!(ipv4("10.0.0.0"));
        assert!(!ipv4("256.1.1.1"));
        assert!(!ipv4("192.168.01.1")); // leading zero
        assert!(!ipv4("1.2.3"));
        assert!(!ipv4("1.2.3.4.5"));
        assert!(!ipv4("0.0.0.0"));
        assert!(!ipv4("1.2.3.-4"));
    }

    #[test]
    fn ipv6s() {
        assert!(ipv6("2001:db8::1"));
        assert!(ipv6("fe80::1ff:fe23:4567:890a%eth0"));
        assert!(ipv6("[2001:db8::1]:8080"));
        assert!(ipv6("::ffff:192.0.2.128"));
        assert!(ipv6("2001:0db8:85a3:0000:0000:8a2e:0370:7334"));
        assert!(!ipv6("::"));
        assert!(!ipv6("2001:db8::g"));
        assert!(!ipv6("2001:db8:1:2:3:4:5:6:7")); // nine groups
        assert!(!ipv6("[2001:db8::1]:port"));
        assert!(!ipv6("fe80::1%"));
    }

    #[test]
    fn macs() {
        assert!(mac("00:1A:2B:3C:4D:5E"));
        assert!(mac("00-1a-2b-3c-4d-5e"));
        assert!(mac("001a.2b3c.4d5e"));
        assert!(!mac("00:1A:2B:3C:4D")); // five groups
        assert!(!mac("00:1A-2B:3C:4D:5E")); // mixed separators
        assert!(!mac("00:1A:2B:3C:4D:5G"));
        assert!(!mac("00:00:00:00:00:00"));
        assert!(!mac("ff:ff:ff:ff:ff:ff"));
    }

    #[test]
    fn dates() {
        assert!(date("2024-02-29"));
        assert!(date("2024/2/9"));
        assert!(date("31/12/1999"));
        assert!(date("12/31/1999")); // US order
        assert!(date("31.12.1999"));
        assert!(date("2024年2月29日"));
        assert!(date("２０２４年１月５日"));
        assert!(!date("2023-02-29"));
        assert!(!date("2023-13-01"));
        assert!(!date("31.04.2020"));
        assert!(!date("13.31.2020")); // dots are day-first only
        assert!(!date("1899-12-31"));
        assert!(!date("2023-1-1-1"));
        assert!(!date("2023年2月30日"));
        assert!(!date("1.2.3"));
    }
}
