//! Timestamps and timespans without a date library: events carry RFC 3339
//! times (or epoch numbers) and correlation windows need only differences.

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn num(s: &str, a: usize, b: usize) -> Option<i64> {
    let t = s.get(a..b)?;
    if !t.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|±HH:MM]` or an epoch number
/// (seconds, or milliseconds when large) into microseconds since epoch.
pub(crate) fn parse_ts(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        if !n.is_finite() {
            return None;
        }
        let micros = if n.abs() >= 1e14 {
            n
        } else if n.abs() >= 1e11 {
            n * 1e3
        } else {
            n * 1e6
        };
        return Some(micros as i64);
    }
    if s.len() < 19 || !s.is_ascii() {
        return None;
    }
    let (y, mo, d) = (num(s, 0, 4)?, num(s, 5, 7)?, num(s, 8, 10)?);
    let (h, mi, se) = (num(s, 11, 13)?, num(s, 14, 16)?, num(s, 17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut frac_us = 0i64;
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        let f = r.get(..digits)?;
        let mut us = String::from(f.get(..f.len().min(6))?);
        while us.len() < 6 {
            us.push('0');
        }
        frac_us = us.parse().ok()?;
        rest = r.get(digits..)?;
    }
    let offset_s = match rest {
        "" | "Z" | "z" => 0,
        r if r.len() == 6 && (r.starts_with('+') || r.starts_with('-')) => {
            let sign = if r.starts_with('-') { -1 } else { 1 };
            sign * (num(r, 1, 3)? * 3600 + num(r, 4, 6)? * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset_s;
    Some(secs * 1_000_000 + frac_us)
}

/// Parses a Sigma timespan (`30s`, `5m`, `1h`, `2d`, `1w`) to microseconds.
pub(crate) fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s.get(..s.len() - unit.len_utf8())?.trim().parse().ok()?;
    let mult: i64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(mult)?
        .checked_mul(1_000_000)
        .filter(|v| *v > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_ts("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_ts("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_ts("2000-03-01 00:00:00.5"), Some(951_868_800_500_000));
        assert_eq!(parse_ts("garbage"), None);
        assert_eq!(parse_ts("2000-13-01T00:00:00Z"), None);
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("5m"), Some(300_000_000));
        assert_eq!(parse_timespan("1h"), Some(3_600_000_000));
        assert_eq!(parse_timespan("x"), None);
        assert_eq!(parse_timespan("0s"), None);
    }
}
