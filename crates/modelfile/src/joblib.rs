//! Compressed joblib dumps. joblib wraps the whole pickle stream in a compressor chosen at
//! dump time; zlib (the default for `compress=True`) and gzip are inflated here within the
//! shared decompression budget, the rest are named in an error.

use crate::pickle::analyze;
use crate::{Acc, Budget, Format, Limits};

/// joblib compressor magics (see joblib/compressor.py).
const ZLIB_MAGIC: u8 = 0x78;
const GZIP_MAGIC: &[u8] = b"\x1f\x8b";

/// Handles compressed joblib files: zlib and gzip are inflated (bounded) and walked; other
/// joblib compressors are reported as unsupported. Returns `None` when `bytes` is not one.
pub(crate) fn compressed_joblib(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    depth: u32,
    budget: &mut Budget,
    acc: &mut Acc,
) -> Option<Format> {
    let lower = name.to_ascii_lowercase();
    let joblib_name =
        lower.ends_with(".joblib") || lower.contains(".joblib.") || lower.ends_with(".pkl.z");
    let inflated = inflate_prefix(bytes, limits, budget);
    match inflated {
        Some(Ok(data)) if crate::sniff::looks_like_pickle(&data) => {
            analyze(&data, limits, depth, budget, acc, Format::Joblib);
            Some(Format::Joblib)
        }
        Some(Err(e)) if joblib_name => {
            acc.error(format!("compressed joblib stream: {e}"));
            Some(Format::Joblib)
        }
        _ if joblib_name => {
            let kind = if bytes.starts_with(b"BZh") {
                Some("bz2")
            } else if bytes.starts_with(b"\xfd7zXZ") {
                Some("xz")
            } else if bytes.starts_with(b"\x5d\x00\x00") {
                Some("lzma")
            } else if bytes.starts_with(b"\x04\x22\x4d\x18") {
                Some("lz4")
            } else if bytes.starts_with(b"ZF") {
                Some("legacy joblib zfile")
            } else {
                None
            };
            kind.map(|k| {
                acc.error(format!(
                    "unsupported compression: {k} joblib stream not analysed"
                ));
                Format::Joblib
            })
        }
        _ => None,
    }
}

/// Inflates a zlib or gzip stream within the shared decompression budget.
pub(crate) fn inflate_prefix(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
) -> Option<Result<Vec<u8>, String>> {
    use std::io::Read;
    let cap = limits
        .max_file_bytes
        .min(budget.decompressed_left)
        .saturating_add(1);
    let mut out = Vec::new();
    let zlib = match bytes {
        [cmf, flg, ..] => *cmf == ZLIB_MAGIC && (u16::from(*cmf) * 256 + u16::from(*flg)) % 31 == 0,
        _ => false,
    };
    let res = if zlib {
        flate2::read::ZlibDecoder::new(bytes)
            .take(cap)
            .read_to_end(&mut out)
    } else if bytes.starts_with(GZIP_MAGIC) {
        flate2::read::GzDecoder::new(bytes)
            .take(cap)
            .read_to_end(&mut out)
    } else {
        return None;
    };
    budget.decompressed_left = budget.decompressed_left.saturating_sub(out.len() as u64);
    match res {
        Ok(_) if out.len() as u64 >= cap => Some(Err("decompressed size exceeds limit".into())),
        Ok(_) => Some(Ok(out)),
        Err(e) if !out.is_empty() => {
            // A truncated stream still yields a walkable prefix.
            let _ = e;
            Some(Ok(out))
        }
        Err(e) => Some(Err(format!("inflate failed: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::{analyze_bytes, Format, Limits, Verdict};
    use std::io::Write;

    const EVIL: &[u8] = b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R.";

    #[test]
    fn zlib_and_gzip_joblib_are_inflated() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(EVIL).unwrap_or_default();
        let z = z.finish().unwrap_or_default();
        let r = analyze_bytes("m.joblib", &z, &Limits::default());
        assert_eq!(
            (r.format, r.verdict),
            (Format::Joblib, Verdict::Malicious),
            "{r:?}"
        );
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        g.write_all(EVIL).unwrap_or_default();
        let g = g.finish().unwrap_or_default();
        let r = analyze_bytes("blob", &g, &Limits::default());
        assert_eq!(r.verdict, Verdict::Malicious, "{r:?}");
    }

    #[test]
    fn other_compressors_are_reported() {
        let r = analyze_bytes("m.joblib", b"\xfd7zXZ\x00\x00", &Limits::default());
        assert!(r
            .errors
            .iter()
            .any(|e| e.contains("unsupported compression")));
        assert_eq!(r.verdict, Verdict::Clean);
    }
}
