//! numpy `.npy`: header dict parsing; object arrays carry a pickle after the header.

use crate::pickle::{walk, WalkOptions};
use crate::util::Reader;
use crate::{put_metadata, Acc, Budget, Limits};

/// Parsed `.npy` header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) descr: String,
    pub(crate) shape: Vec<u64>,
    pub(crate) object: bool,
    pub(crate) data_offset: usize,
}

/// Value text after `'key':` in the header dict literal.
fn value_after<'a>(dict: &'a str, key: &str) -> Option<&'a str> {
    let k1 = format!("'{key}':");
    let k2 = format!("\"{key}\":");
    let at = dict
        .find(&k1)
        .map(|i| i + k1.len())
        .or_else(|| dict.find(&k2).map(|i| i + k2.len()))?;
    dict.get(at..).map(str::trim_start)
}

pub(crate) fn parse_header(bytes: &[u8]) -> Result<Header, String> {
    let mut r = Reader::new(bytes);
    if r.take(6) != Some(b"\x93NUMPY".as_slice()) {
        return Err("missing NUMPY magic".into());
    }
    let major = r.u8().ok_or("truncated header")?;
    let _minor = r.u8().ok_or("truncated header")?;
    let hlen = match major {
        1 => u32::from(r.u16().ok_or("truncated header")?),
        2 | 3 => r.u32().ok_or("truncated header")?,
        v => return Err(format!("unsupported npy version {v}")),
    };
    let header = r
        .take(hlen as usize)
        .ok_or_else(|| format!("truncated header ({hlen} bytes declared)"))?;
    let text = String::from_utf8_lossy(header);
    let descr_raw = value_after(&text, "descr").ok_or("header has no descr")?;
    let (descr, object) = if let Some(rest) = descr_raw
        .strip_prefix('\'')
        .or_else(|| descr_raw.strip_prefix('"'))
    {
        let d: String = rest
            .chars()
            .take_while(|c| *c != '\'' && *c != '"')
            .collect();
        let object = d.trim_start_matches(['|', '<', '>', '=']).starts_with('O');
        (d, object)
    } else {
        // Structured dtype: a list of (name, type) tuples; any 'O' field makes it pickled.
        let end = descr_raw
            .find("],")
            .or_else(|| descr_raw.find(']'))
            .unwrap_or(descr_raw.len());
        let d = descr_raw
            .get(..=end.min(descr_raw.len().saturating_sub(1)))
            .unwrap_or(descr_raw);
        let object =
            d.contains("'|O'") || d.contains("'O'") || d.contains("\"|O\"") || d.contains("'<O'");
        (d.to_string(), object)
    };
    let shape = value_after(&text, "shape")
        .and_then(|s| s.strip_prefix('('))
        .map(|s| {
            s.split(')')
                .next()
                .unwrap_or_default()
                .split(',')
                .filter_map(|d| d.trim().trim_end_matches('L').parse::<u64>().ok())
                .collect()
        })
        .unwrap_or_default();
    Ok(Header {
        descr,
        shape,
        object,
        data_offset: r.pos(),
    })
}

pub(crate) fn analyze(
    bytes: &[u8],
    limits: &Limits,
    _depth: u32,
    _budget: &mut Budget,
    acc: &mut Acc,
) {
    let h = match parse_header(bytes) {
        Ok(h) => h,
        Err(e) => {
            acc.error(format!("npy: {e}"));
            return;
        }
    };
    acc.info.tensors = Some(1);
    acc.info.parameters = Some(h.shape.iter().fold(1u64, |a, d| a.saturating_mul(*d)));
    acc.info.dtypes = vec![crate::util::truncate(&h.descr, 64)];
    put_metadata(&mut acc.info, "shape", &format!("{:?}", h.shape));
    if !h.object {
        return;
    }
    let payload = bytes.get(h.data_offset..).unwrap_or_default();
    let w = walk(payload, limits, WalkOptions::default());
    let mut sub = Acc::default();
    w.report_into(&mut sub);
    if w.complete_segments == 0 && w.imports.is_empty() {
        sub.error("object array without a readable pickle payload");
    }
    acc.merge_member(&format!("object-array pickle@{}", h.data_offset), sub);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze_bytes, Verdict};

    fn npy(descr: &str, payload: &[u8]) -> Vec<u8> {
        let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}");
        let mut h = dict.into_bytes();
        while (h.len() + 10 + 1) % 64 != 0 {
            h.push(b' ');
        }
        h.push(b'\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn plain_array_is_clean() {
        let b = npy("<f4", &[0u8; 8]);
        let r = analyze_bytes("a.npy", &b, &Limits::default());
        assert_eq!(r.verdict, Verdict::Clean);
        assert_eq!(r.info.parameters, Some(2));
    }

    #[test]
    fn object_array_pickle_is_walked() {
        let b = npy(
            "|O",
            b"\x80\x02csubprocess\ncheck_output\nX\x02\x00\x00\x00id\x85R.",
        );
        let r = analyze_bytes("a.npy", &b, &Limits::default());
        assert_eq!(r.verdict, Verdict::Malicious);
    }
}
