//! Server-side request forgery: URLs (and bare hosts) that point at loopback,
//! private, link-local or cloud-metadata addresses, including the encodings
//! URL parsers accept but naive filters miss (decimal `2130706433`, hex
//! `0x7f000001`, octal `0177.0.0.1`, short `127.1`, IPv4-mapped IPv6, `user@host`).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

/// A detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrfHit {
    /// 1..=10.
    pub score: u8,
    /// What the host is.
    pub reason: &'static str,
    /// The host as written.
    pub host: String,
}

static URL_HOST: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:https?|ftps?|gopher|dict|ldaps?|tftp|sftp|jar:https?|netdoc|ws|wss|smb|telnet|redis|mysql)://([^/?#\s\x22'<>\\]{1,255})").ok()
});
static BARE_META: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^\w.])(169\.254\.169\.254|100\.100\.100\.200|169\.254\.170\.2|fd00:ec2::254|metadata\.google\.internal|metadata\.azure\.com|instance-data(?:\.ec2\.internal)?)(?:$|[^\w.])").ok()
});

const META_NAMES: &[&str] = &[
    "metadata.google.internal",
    "metadata",
    "metadata.azure.com",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.packet.net",
    "metadata.oraclecloud.com",
];

/// Parse the IPv4 forms accepted by `inet_aton`: 1-4 parts, each decimal, `0x` hex
/// or `0` octal. Returns the address and whether a non-canonical form was used.
pub fn parse_ipv4_loose(host: &str) -> Option<(Ipv4Addr, bool)> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut nums = Vec::with_capacity(4);
    let mut odd = parts.len() != 4;
    for p in &parts {
        let lp = p.to_ascii_lowercase();
        let v = if let Some(h) = lp.strip_prefix("0x") {
            odd = true;
            if h.is_empty() {
                0
            } else {
                u64::from_str_radix(h, 16).ok()?
            }
        } else if lp.len() > 1 && lp.starts_with('0') {
            odd = true;
            u64::from_str_radix(&lp, 8).ok()?
        } else {
            lp.parse::<u64>().ok()?
        };
        nums.push(v);
    }
    let n = nums.len();
    let mut addr: u64 = 0;
    for (i, v) in nums.iter().enumerate() {
        if i + 1 == n {
            let bits = 8 * (4 - i as u32);
            if *v >= (1u64 << bits) {
                return None;
            }
            addr = (addr << bits) | v;
        } else {
            if *v > 255 {
                return None;
            }
            addr = (addr << 8) | v;
        }
    }
    let a = u32::try_from(addr).ok()?;
    Some((Ipv4Addr::from(a), odd))
}

fn classify_v4(ip: Ipv4Addr) -> Option<(&'static str, u8)> {
    let o = ip.octets();
    if o == [169, 254, 169, 254] || o == [100, 100, 100, 200] || o == [169, 254, 170, 2] {
        Some(("cloud-metadata", 10))
    } else if ip.is_loopback() || ip.is_unspecified() {
        Some(("loopback", 7))
    } else if ip.is_link_local() {
        Some(("link-local", 7))
    } else if ip.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
        Some(("private", 4))
    } else {
        None
    }
}

/// Classify one host string.
pub fn classify_host(host: &str) -> Option<(&'static str, u8)> {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if META_NAMES.contains(&h.as_str()) {
        return Some(("cloud-metadata", 10));
    }
    if h == "localhost"
        || h.ends_with(".localhost")
        || h == "localtest.me"
        || h.ends_with(".nip.io") && h.starts_with("127.")
    {
        return Some(("loopback", 7));
    }
    let inner = h.trim_start_matches('[').trim_end_matches(']');
    if let Ok(v6) = inner.parse::<Ipv6Addr>() {
        if inner.starts_with("fd00:ec2::254") {
            return Some(("cloud-metadata", 10));
        }
        if let Some(v4) = v6.to_ipv4_mapped() {
            return classify_v4(v4).map(|(r, s)| (r, s.max(7)));
        }
        let seg = v6.segments();
        if v6.is_loopback() || v6.is_unspecified() {
            return Some(("loopback", 7));
        }
        if (seg[0] & 0xffc0) == 0xfe80 {
            return Some(("link-local", 7));
        }
        if (seg[0] & 0xfe00) == 0xfc00 {
            return Some(("private", 4));
        }
        return None;
    }
    if let Some((ip, odd)) = parse_ipv4_loose(&h) {
        return classify_v4(ip).map(|(r, s)| if odd { (r, s.max(8)) } else { (r, s) });
    }
    None
}

/// Analyse a value for SSRF targets.
pub fn detect(input: &str) -> Option<SsrfHit> {
    let mut best: Option<SsrfHit> = None;
    if let Some(re) = URL_HOST.as_ref() {
        for cap in re.captures_iter(input).take(16) {
            let Some(auth) = cap.get(1) else { continue };
            let auth = auth.as_str();
            // `http://expected.com@127.0.0.1/`: the real host follows the last '@'.
            let (userinfo, hostport) = match auth.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, auth),
            };
            let host = if hostport.starts_with('[') {
                hostport
                    .split(']')
                    .next()
                    .map(|h| format!("{h}]"))
                    .unwrap_or_default()
            } else {
                hostport
                    .rsplit_once(':')
                    .map_or(hostport, |(h, p)| {
                        if p.bytes().all(|b| b.is_ascii_digit()) {
                            h
                        } else {
                            hostport
                        }
                    })
                    .to_string()
            };
            if let Some((reason, mut score)) = classify_host(&host) {
                if userinfo.is_some() {
                    score = score.max(8);
                }
                if !matches!(&best, Some(b) if b.score >= score) {
                    best = Some(SsrfHit {
                        score,
                        reason,
                        host: host.clone(),
                    });
                }
            }
        }
    }
    if best.is_none() {
        if let Some(m) = BARE_META
            .as_ref()
            .and_then(|r| r.captures(input))
            .and_then(|c| c.get(1))
        {
            best = Some(SsrfHit {
                score: 7,
                reason: "cloud-metadata-host",
                host: m.as_str().to_string(),
            });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_compile() {
        assert!(URL_HOST.is_some() && BARE_META.is_some());
    }

    #[test]
    fn encodings() {
        for (u, min) in [
            ("http://169.254.169.254/latest/meta-data/", 9),
            ("http://2852039166/", 9),
            ("http://0xA9FEA9FE/", 9),
            ("http://0251.0376.0251.0376/", 9),
            ("http://[::ffff:127.0.0.1]/", 7),
            ("http://127.1/", 7),
            ("http://[fd00:ec2::254]/", 9),
            ("http://metadata.google.internal/computeMetadata/v1/", 9),
            ("http://example.com@127.0.0.1:8080/", 8),
            ("http://100.100.100.200/latest/meta-data/", 9),
        ] {
            let s = detect(u).map_or(0, |h| h.score);
            assert!(s >= min, "{u}: {s}");
        }
        assert!(detect("https://www.example.com/tan?usp=4#8").is_none());
        assert!(detect("version 1.2.3.4 released").is_none());
    }
}
