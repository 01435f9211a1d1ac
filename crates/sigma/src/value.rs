//! Field modifiers (Sigma spec v2) compiled into value matchers.
//!
//! Every modifier chain is resolved at load time into plain comparisons so
//! that evaluation never re-parses rule text: encodings (`base64`,
//! `base64offset`, `utf16*`, `windash`) expand a value into alternatives,
//! wildcard strings become prefix/suffix/contains/exact tests on folded
//! text, and only genuine patterns reach the regex engine.

use crate::error::LoadErrorKind;
use crate::text::{fold, SigmaStr, StrOp, Tok};
use base64::Engine as _;
use serde_yaml::Value as Yaml;
use std::collections::HashMap;
use std::net::IpAddr;

/// Numeric comparison operator (`gt`, `gte`, `lt`, `lte`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl CmpOp {
    pub(crate) fn test(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Gt => a > b,
            CmpOp::Gte => a >= b,
            CmpOp::Lt => a < b,
            CmpOp::Lte => a <= b,
        }
    }
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cidr {
    v6: bool,
    addr: u128,
    mask: u128,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = match s.split_once('/') {
            Some((ip, len)) => (ip, Some(len.trim().parse::<u32>().ok()?)),
            None => (s, None),
        };
        let ip: IpAddr = ip.trim().parse().ok()?;
        let (v6, bits, addr) = match ip {
            IpAddr::V4(a) => (false, 32u32, u128::from(u32::from(a))),
            IpAddr::V6(a) => (true, 128u32, u128::from(a)),
        };
        let len = len.unwrap_or(bits);
        if len > bits {
            return None;
        }
        let mask = if len == 0 {
            0
        } else {
            (u128::MAX << (128 - len)) >> (128 - bits)
        };
        Some(Cidr {
            v6,
            addr: addr & mask,
            mask,
        })
    }

    pub(crate) fn contains(&self, s: &str) -> bool {
        // Event values sometimes carry IPv4-mapped or bracketed forms.
        let s = s.trim().trim_start_matches('[').trim_end_matches(']');
        let Ok(ip) = s.parse::<IpAddr>() else {
            return false;
        };
        let (v6, addr) = match ip {
            IpAddr::V4(a) => (false, u128::from(u32::from(a))),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) if !self.v6 => (false, u128::from(u32::from(v4))),
                _ => (true, u128::from(a)),
            },
        };
        v6 == self.v6 && addr & self.mask == self.addr
    }
}

/// How a `fieldref` compares the two fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefOp {
    Eq,
    Prefix,
    Suffix,
    Contains,
}

/// One compiled comparison against one field value.
#[derive(Debug, Clone)]
pub(crate) enum ValueMatcher {
    /// String comparison; `cased` compares the raw value, otherwise the folded.
    Str { op: StrOp, cased: bool },
    /// Regular expression on the raw value.
    Regex(regex::Regex),
    /// Field absent or null.
    Null,
    /// IP address inside a network.
    Cidr(Cidr),
    /// Numeric comparison.
    Num(CmpOp, f64),
    /// Compare with another field of the same event.
    FieldRef {
        field: String,
        op: RefOp,
        cased: bool,
    },
}

/// Alternatives produced from one rule value (OR-ed), plus the prefilter
/// literals that at least one of them requires (`None` = no usable literal).
#[derive(Debug, Clone)]
pub(crate) struct ValueGroup {
    pub(crate) alts: Vec<ValueMatcher>,
    pub(crate) literals: Option<Vec<String>>,
}

/// A field test: values are OR-ed, or AND-ed with `|all`.
#[derive(Debug, Clone)]
pub(crate) enum FieldTest {
    /// `|exists`.
    Exists(bool),
    /// Value comparisons.
    Values { groups: Vec<ValueGroup>, all: bool },
}

/// Options affecting compilation (placeholder values for `|expand`).
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// Values for `%placeholder%` names used with the `expand` modifier.
    pub placeholders: HashMap<String, Vec<String>>,
}

#[derive(Default)]
struct Mods {
    contains: bool,
    startswith: bool,
    endswith: bool,
    all: bool,
    base64: bool,
    base64offset: bool,
    enc: Option<&'static str>,
    windash: bool,
    re: bool,
    re_i: bool,
    re_m: bool,
    re_s: bool,
    cidr: bool,
    exists: bool,
    fieldref: bool,
    cmp: Option<CmpOp>,
    expand: bool,
    cased: bool,
}

fn parse_mods(mods: &[&str]) -> Result<Mods, LoadErrorKind> {
    let mut m = Mods::default();
    for &raw in mods {
        match raw {
            "contains" => m.contains = true,
            "startswith" => m.startswith = true,
            "endswith" => m.endswith = true,
            "all" => m.all = true,
            "base64" => m.base64 = true,
            "base64offset" => m.base64offset = true,
            "utf16le" | "wide" => m.enc = Some("utf16le"),
            "utf16be" => m.enc = Some("utf16be"),
            "utf16" => m.enc = Some("utf16"),
            "windash" => m.windash = true,
            "re" => m.re = true,
            "i" => m.re_i = true,
            "m" => m.re_m = true,
            "s" => m.re_s = true,
            "cidr" => m.cidr = true,
            "exists" => m.exists = true,
            "fieldref" => m.fieldref = true,
            "gt" => m.cmp = Some(CmpOp::Gt),
            "gte" => m.cmp = Some(CmpOp::Gte),
            "lt" => m.cmp = Some(CmpOp::Lt),
            "lte" => m.cmp = Some(CmpOp::Lte),
            "expand" => m.expand = true,
            "cased" => m.cased = true,
            other => return Err(LoadErrorKind::UnknownModifier(other.to_string())),
        }
    }
    let pos = [m.contains, m.startswith, m.endswith]
        .iter()
        .filter(|b| **b)
        .count();
    if pos > 1 {
        return Err(LoadErrorKind::BadModifier(
            "contains/startswith/endswith are exclusive".into(),
        ));
    }
    if (m.re_i || m.re_m || m.re_s) && !m.re {
        return Err(LoadErrorKind::BadModifier(
            "i/m/s are sub-modifiers of re".into(),
        ));
    }
    let special = [m.re, m.cidr, m.exists, m.fieldref, m.cmp.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if special > 1 {
        return Err(LoadErrorKind::BadModifier(format!(
            "incompatible modifiers: {}",
            mods.join("|")
        )));
    }
    if (m.base64 || m.base64offset) && (m.re || m.cidr || m.fieldref || m.cmp.is_some()) {
        return Err(LoadErrorKind::BadModifier(
            "base64 cannot be combined with re/cidr/fieldref/compare".into(),
        ));
    }
    if m.base64 && m.base64offset {
        return Err(LoadErrorKind::BadModifier(
            "base64 and base64offset are exclusive".into(),
        ));
    }
    if m.enc.is_some() && !(m.base64 || m.base64offset) {
        return Err(LoadErrorKind::BadModifier(
            "utf16/wide must be followed by base64 or base64offset".into(),
        ));
    }
    Ok(m)
}

fn scalar_to_string(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn encode(s: &str, enc: Option<&str>) -> Vec<u8> {
    match enc {
        Some("utf16le") => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Some("utf16be") => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Some("utf16") => {
            let mut v = vec![0xFF, 0xFE];
            v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
            v
        }
        _ => s.as_bytes().to_vec(),
    }
}

/// The three shifted encodings of `base64offset`, as pySigma computes them:
/// the value is prefixed with 0..2 bytes and the characters that depend on
/// the unknown neighbouring bytes are cut off.
fn base64_offsets(data: &[u8]) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let start = [0usize, 2, 3];
    let mut out = Vec::new();
    for (i, &st) in start.iter().enumerate() {
        let mut buf = vec![b' '; i];
        buf.extend_from_slice(data);
        let enc = b64.encode(&buf);
        let cut = match (data.len() + i) % 3 {
            1 => 3,
            2 => 2,
            _ => 0,
        };
        let end = enc.len().saturating_sub(cut);
        if let Some(s) = enc.get(st..end) {
            if !s.is_empty() {
                out.push(s.to_string());
            }
        }
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// `windash`: every `-` or `/` that starts a word (regex `\B[-/]\b`) is
/// replaced by each dash variant. All positions take the same variant,
/// except that with up to two positions every combination is produced.
fn windash(s: &SigmaStr) -> Vec<SigmaStr> {
    // Collect positions as (token index, char index) of flag dashes.
    let mut flat: Vec<(usize, Option<char>)> = Vec::new(); // char or wildcard
    for (ti, t) in s.toks.iter().enumerate() {
        match t {
            Tok::Lit(l) => flat.extend(l.chars().map(|c| (ti, Some(c)))),
            _ => flat.push((ti, None)),
        }
    }
    let mut positions = Vec::new();
    for i in 0..flat.len() {
        let Some((_, Some(c))) = flat.get(i) else {
            continue;
        };
        if *c != '-' && *c != '/' {
            continue;
        }
        let prev_word = i > 0 && matches!(flat.get(i - 1), Some((_, Some(p))) if is_word(*p));
        let next_word = matches!(flat.get(i + 1), Some((_, Some(n))) if is_word(*n));
        if !prev_word && next_word {
            positions.push(i);
        }
    }
    if positions.is_empty() {
        return vec![s.clone()];
    }
    let combos: Vec<Vec<char>> = if positions.len() <= 2 {
        let mut acc: Vec<Vec<char>> = vec![Vec::new()];
        for _ in &positions {
            acc = acc
                .into_iter()
                .flat_map(|p| {
                    DASHES.iter().map(move |d| {
                        let mut q = p.clone();
                        q.push(*d);
                        q
                    })
                })
                .collect();
        }
        acc
    } else {
        DASHES.iter().map(|d| vec![*d; positions.len()]).collect()
    };
    combos
        .into_iter()
        .map(|combo| {
            let mut out = SigmaStr::default();
            let mut toks: Vec<Tok> = Vec::new();
            let mut cur_ti = usize::MAX;
            for (i, (ti, c)) in flat.iter().enumerate() {
                match c {
                    Some(c) => {
                        let c = match positions.iter().position(|p| *p == i) {
                            Some(k) => combo.get(k).copied().unwrap_or(*c),
                            None => *c,
                        };
                        if *ti == cur_ti {
                            if let Some(Tok::Lit(l)) = toks.last_mut() {
                                l.push(c);
                                continue;
                            }
                        }
                        toks.push(Tok::Lit(c.to_string()));
                        cur_ti = *ti;
                    }
                    None => {
                        if let Some(t) = s.toks.get(*ti) {
                            toks.push(t.clone());
                        }
                        cur_ti = usize::MAX;
                    }
                }
            }
            out.toks = toks;
            out
        })
        .collect()
}

fn expand_placeholders(s: &str, opts: &CompileOptions) -> Result<Vec<String>, LoadErrorKind> {
    let mut results = vec![String::new()];
    let mut rest = s;
    while let Some(start) = rest.find('%') {
        let after = rest.get(start + 1..).unwrap_or("");
        let Some(len) = after.find('%') else { break };
        let name = after.get(..len).unwrap_or("");
        let prefix = rest.get(..start).unwrap_or("");
        let vals = opts.placeholders.get(name).ok_or_else(|| {
            LoadErrorKind::Unsupported(format!(
                "expand placeholder %{name}% has no configured value"
            ))
        })?;
        results = results
            .iter()
            .flat_map(|r| vals.iter().map(move |v| format!("{r}{prefix}{v}")))
            .collect();
        rest = after.get(len + 1..).unwrap_or("");
    }
    for r in &mut results {
        r.push_str(rest);
    }
    Ok(results)
}

/// Compiles the values of one `field|mods: values` entry.
pub(crate) fn compile_field(
    is_keyword: bool,
    mods: &[&str],
    value: &Yaml,
    opts: &CompileOptions,
) -> Result<FieldTest, LoadErrorKind> {
    let m = parse_mods(mods)?;
    let values: Vec<&Yaml> = match value {
        Yaml::Sequence(s) => s.iter().collect(),
        v => vec![v],
    };
    if m.exists {
        return match values.as_slice() {
            [Yaml::Bool(b)] => Ok(FieldTest::Exists(*b)),
            _ => Err(LoadErrorKind::BadValue(
                "exists expects a single boolean".into(),
            )),
        };
    }
    let mut groups = Vec::with_capacity(values.len());
    for v in values {
        groups.push(compile_value(is_keyword, &m, v, opts)?);
    }
    Ok(FieldTest::Values { groups, all: m.all })
}

fn str_group(strs: Vec<SigmaStr>, cased: bool) -> Result<ValueGroup, LoadErrorKind> {
    let mut alts = Vec::with_capacity(strs.len());
    let mut lits = Some(Vec::new());
    for s in &strs {
        let op = StrOp::compile(s, !cased).map_err(LoadErrorKind::BadValue)?;
        match (s.longest_lit(), lits.as_mut()) {
            (Some(l), Some(v)) => v.push(fold(l)),
            _ => lits = None,
        }
        alts.push(ValueMatcher::Str { op, cased });
    }
    Ok(ValueGroup {
        alts,
        literals: lits,
    })
}

fn compile_value(
    is_keyword: bool,
    m: &Mods,
    v: &Yaml,
    opts: &CompileOptions,
) -> Result<ValueGroup, LoadErrorKind> {
    if matches!(v, Yaml::Null) {
        return Ok(ValueGroup {
            alts: vec![ValueMatcher::Null],
            literals: None,
        });
    }
    let Some(text) = scalar_to_string(v) else {
        return Err(LoadErrorKind::BadValue(
            "detection values must be scalars".into(),
        ));
    };
    let only = |x: ValueMatcher| {
        Ok(ValueGroup {
            alts: vec![x],
            literals: None,
        })
    };
    if m.re {
        let re = regex::RegexBuilder::new(&text)
            .case_insensitive(m.re_i)
            .multi_line(m.re_m)
            .dot_matches_new_line(m.re_s)
            .size_limit(1 << 24)
            .build()
            .map_err(|e| LoadErrorKind::BadRegex(e.to_string()))?;
        return only(ValueMatcher::Regex(re));
    }
    if m.cidr {
        let c = Cidr::parse(&text)
            .ok_or_else(|| LoadErrorKind::BadValue(format!("bad CIDR {text:?}")))?;
        return only(ValueMatcher::Cidr(c));
    }
    if let Some(op) = m.cmp {
        let n = match v {
            Yaml::Number(n) => n.as_f64(),
            Yaml::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .ok_or_else(|| LoadErrorKind::BadValue(format!("{text:?} is not a number")))?;
        return only(ValueMatcher::Num(op, n));
    }
    if m.fieldref {
        let op = if m.contains {
            RefOp::Contains
        } else if m.startswith {
            RefOp::Prefix
        } else if m.endswith {
            RefOp::Suffix
        } else {
            RefOp::Eq
        };
        return only(ValueMatcher::FieldRef {
            field: crate::event::key_fold(&text),
            op,
            cased: m.cased,
        });
    }

    // String path: expand → windash → encodings → wildcard positioning.
    let texts = if m.expand {
        expand_placeholders(&text, opts)?
    } else {
        vec![text]
    };
    let is_str = matches!(v, Yaml::String(_));
    let mut strs: Vec<SigmaStr> = texts
        .iter()
        .map(|t| {
            if is_str {
                SigmaStr::parse(t)
            } else {
                SigmaStr::literal(t)
            }
        })
        .collect();
    if m.windash {
        strs = strs.iter().flat_map(windash).collect();
    }
    if m.base64 || m.base64offset {
        let mut enc = Vec::new();
        for s in &strs {
            let Some(plain) = s.plain() else {
                return Err(LoadErrorKind::BadModifier(
                    "base64 of a value with wildcards".into(),
                ));
            };
            let data = encode(&plain, m.enc);
            if m.base64 {
                enc.push(base64::engine::general_purpose::STANDARD.encode(&data));
            } else {
                enc.extend(base64_offsets(&data));
            }
        }
        strs = enc.iter().map(|e| SigmaStr::literal(e)).collect();
    }
    let keyword_default = is_keyword && !(m.startswith || m.endswith);
    for s in &mut strs {
        if m.contains || keyword_default {
            s.star_start();
            s.star_end();
        } else if m.startswith {
            s.star_end();
        } else if m.endswith {
            s.star_start();
        }
    }
    str_group(strs, m.cased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64offset_matches_pysigma() {
        // Reference values from the Sigma specification example.
        let v = base64_offsets(b"/bin/sh");
        assert_eq!(v, vec!["L2Jpbi9za", "9iaW4vc2", "vYmluL3No"]);
    }

    #[test]
    fn windash_variants() {
        let v = windash(&SigmaStr::parse(" -enc "));
        assert_eq!(v.len(), 5);
        let texts: Vec<String> = v.iter().filter_map(|s| s.plain()).collect();
        assert!(texts.contains(&" /enc ".to_string()));
        assert!(texts.contains(&" \u{2013}enc ".to_string()));
        // A dash inside a word is not a flag.
        let v = windash(&SigmaStr::parse("start-process"));
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn cidr_v4_v6() {
        let c = Cidr::parse("10.0.0.0/8").unwrap_or(Cidr {
            v6: true,
            addr: 1,
            mask: 1,
        });
        assert!(c.contains("10.1.2.3"));
        assert!(!c.contains("11.1.2.3"));
        assert!(!c.contains("not an ip"));
        let c6 = Cidr::parse("fe80::/10");
        assert!(c6.is_some_and(|c| c.contains("fe80::1") && !c.contains("10.0.0.1")));
        assert!(Cidr::parse("1.2.3.4/33").is_none());
    }

    #[test]
    fn expand_requires_value() {
        let opts = CompileOptions::default();
        assert!(matches!(
            expand_placeholders("%Admins%", &opts),
            Err(LoadErrorKind::Unsupported(_))
        ));
        let mut opts = CompileOptions::default();
        opts.placeholders
            .insert("Admins".into(), vec!["a".into(), "b".into()]);
        assert_eq!(
            expand_placeholders("x%Admins%y", &opts).ok(),
            Some(vec!["xay".to_string(), "xby".to_string()])
        );
    }
}
