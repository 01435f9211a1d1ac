//! Zip containers: PyTorch zip, `.keras`, `.npz` and generic archives.
//!
//! Member data is read *raw* (`by_index_raw`) and inflated here, because loaders such as
//! PyTorch's miniz reader ignore the encryption flag and CRC that a strict zip reader
//! enforces: a tampered flag must not hide a payload from the scanner. Every read is capped by
//! the per-member limit and the shared decompression budget, so a zip bomb costs at most the
//! budget. When the central directory is unreadable the local headers are walked instead.

use crate::sniff::classify_members;
use crate::util::Reader;
use crate::{analyze_inner, keras, Acc, Budget, Format, Limits};
use std::io::{Read, Seek};

/// Members that hold raw tensor bytes or bookkeeping, never pickles a loader would run.
fn is_torch_raw(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    let parent = name.rsplit('/').nth(1).unwrap_or_default();
    (parent == "data" && !base.contains('.'))
        || matches!(
            base,
            "byteorder" | "version" | "serialization_id" | ".format_version" | ".storage_alignment"
        )
}

/// Extensions of members worth opening even when their first bytes are not recognised.
fn interesting_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".pkl",
        ".pickle",
        ".pt",
        ".pth",
        ".bin",
        ".ckpt",
        ".joblib",
        ".npy",
        ".npz",
        ".zip",
        ".keras",
        ".h5",
        ".gguf",
        ".safetensors",
        ".onnx",
        ".pb",
        ".json",
        ".dat",
        ".data",
    ]
    .iter()
    .any(|e| lower.ends_with(e))
        || !lower.rsplit('/').next().unwrap_or(&lower).contains('.')
}

/// Reads at most `cap` bytes of decompressed member data.
/// Compression methods inflated here (the zip crate is used without codec features).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Method {
    Stored,
    Deflated,
    Other(String),
}

impl Method {
    fn of(m: zip::CompressionMethod) -> Method {
        // The constants exist with and without zip's codec features, unlike the variants.
        if m == zip::CompressionMethod::STORE {
            Method::Stored
        } else if m == zip::CompressionMethod::DEFLATE {
            Method::Deflated
        } else {
            Method::Other(format!("{m:?}"))
        }
    }
}

/// First chunk of a member read before deciding whether the rest is needed.
const PEEK: u64 = 64 * 1024;

/// Reads at most `cap` bytes of decompressed member data. After the first [`PEEK`] bytes,
/// `want_more` decides whether the rest matters (a plain numpy array needs only its header).
fn read_member<R: Read>(
    raw: R,
    method: Method,
    cap: u64,
    want_more: &dyn Fn(&[u8]) -> bool,
) -> Result<(Vec<u8>, bool), String> {
    let mut dec: Box<dyn Read + '_> = match method {
        Method::Stored => Box::new(raw),
        Method::Deflated => Box::new(flate2::read::DeflateDecoder::new(raw)),
        Method::Other(m) => return Err(format!("unsupported compression method {m}")),
    };
    let mut out = Vec::new();
    let first = (&mut dec).take(PEEK.min(cap)).read_to_end(&mut out);
    let res = match first {
        Ok(_) if (out.len() as u64) < PEEK.min(cap) || !want_more(&out) => Ok(0),
        Ok(_) => (&mut dec)
            .take(cap.saturating_add(1).saturating_sub(out.len() as u64))
            .read_to_end(&mut out),
        Err(e) => Err(e),
    };
    let over = out.len() as u64 > cap;
    if over {
        out.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
    }
    match res {
        Ok(_) => Ok((out, over)),
        Err(e) if out.is_empty() => Err(format!("cannot inflate: {e}")),
        // Corrupt tail: the prefix is still worth analysing.
        Err(_) => Ok((out, over)),
    }
}

/// Whether a member whose first bytes are `prefix` needs to be read in full.
fn needs_full_read(prefix: &[u8]) -> bool {
    match crate::sniff(prefix) {
        Format::Numpy => crate::numpy::parse_header(prefix).map_or(true, |h| h.object),
        _ => true,
    }
}

struct Member {
    name: String,
    data: Vec<u8>,
    encrypted: bool,
    truncated: bool,
}

/// Analyses a zip archive from a seekable reader. `fallback` holds the bytes available in
/// memory (whole file or prefix) for the local-header walk when the central directory fails.
pub(crate) fn analyze_zip<R: Read + Seek>(
    reader: R,
    fallback: &[u8],
    limits: &Limits,
    depth: u32,
    budget: &mut Budget,
    acc: &mut Acc,
) -> Format {
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            acc.error(format!(
                "zip central directory unreadable ({e}); walking local headers"
            ));
            return analyze_local_headers(fallback, limits, depth, budget, acc);
        }
    };
    let total = archive.len();
    let n = total.min(limits.max_zip_members);
    if total > n {
        acc.error(format!("zip has {total} members; analysed the first {n}"));
    }
    let names: Vec<String> = (0..n)
        .filter_map(|i| archive.name_for_index(i).map(str::to_string))
        .collect();
    let format = classify_members(&names);
    for i in 0..n {
        let file = match archive.by_index_raw(i) {
            Ok(f) => f,
            Err(e) => {
                acc.error(format!("member #{i}: {e}"));
                continue;
            }
        };
        let name = file.name().to_string();
        if file.is_dir() || skip_member(format, &name) {
            continue;
        }
        let declared = file.size();
        let compressed = file.compressed_size().max(1);
        if declared > (1 << 20) && declared / compressed > limits.max_compression_ratio {
            acc.error(format!(
                "{name}: compression ratio {} exceeds limit (possible zip bomb); not analysed",
                declared / compressed
            ));
            continue;
        }
        let cap = limits.max_member_bytes.min(budget.decompressed_left);
        if cap == 0 {
            acc.error("decompression budget exhausted; remaining members not analysed");
            break;
        }
        let encrypted = file.encrypted();
        let method = Method::of(file.compression());
        let (data, truncated) = match read_member(file, method, cap, &needs_full_read) {
            Ok(d) => d,
            Err(e) if encrypted => {
                acc.error(format!("{name}: encrypted member not analysed ({e})"));
                continue;
            }
            Err(e) => {
                acc.error(format!("{name}: {e}"));
                continue;
            }
        };
        budget.decompressed_left = budget.decompressed_left.saturating_sub(data.len() as u64);
        let member = Member {
            name,
            data,
            encrypted,
            truncated,
        };
        analyze_member(format, member, limits, depth, budget, acc);
    }
    format
}

fn skip_member(format: Format, name: &str) -> bool {
    // Tensor payloads that the loaders never deserialize as code.
    (format == Format::PytorchZip && is_torch_raw(name))
        || (format == Format::KerasV3 && name.ends_with(".weights.h5"))
}

fn analyze_member(
    format: Format,
    m: Member,
    limits: &Limits,
    depth: u32,
    budget: &mut Budget,
    acc: &mut Acc,
) {
    let mut sub = Acc::default();
    if m.truncated {
        sub.error(format!(
            "member larger than the analysis limit; analysed the first {} bytes",
            m.data.len()
        ));
    }
    if format == Format::KerasV3 && m.name == "config.json" {
        keras::analyze_config_bytes(&m.data, &mut sub);
        acc.merge_member(&m.name, sub);
        return;
    }
    if format == Format::KerasV3 && m.name == "metadata.json" {
        keras::analyze_metadata(&m.data, &mut sub);
        acc.merge_member(&m.name, sub);
        return;
    }
    let detected = crate::detect(&m.name, &m.data);
    if detected == Format::Unknown && m.encrypted {
        sub.error("encrypted member not analysed");
        acc.merge_member(&m.name, sub);
        return;
    }
    if detected == Format::Unknown && !interesting_name(&m.name) {
        return;
    }
    if detected == Format::Unknown && m.name.to_ascii_lowercase().ends_with(".json") {
        // Plain JSON (tokenizer, config) carries no executable content.
        return;
    }
    let inner = analyze_inner(&m.name, &m.data, limits, depth + 1, budget, &mut sub);
    if m.encrypted && inner == Format::Unknown && sub.evidence.is_empty() {
        sub.errors.clear();
        sub.error("encrypted member not analysed");
    }
    if inner != Format::Unknown || !sub.evidence.is_empty() || !sub.errors.is_empty() {
        acc.merge_member(&m.name, sub);
    }
}

/// Walks `PK\x03\x04` local headers sequentially; used when the central directory is missing
/// or corrupt (truncated downloads, hand-made archives).
fn analyze_local_headers(
    bytes: &[u8],
    limits: &Limits,
    depth: u32,
    budget: &mut Budget,
    acc: &mut Acc,
) -> Format {
    let mut pos = 0usize;
    let mut members = Vec::new();
    while members.len() < limits.max_zip_members {
        let mut r = Reader::at(bytes, pos);
        let Some(crate::util::LocalHeader {
            flags,
            method,
            csize,
            name,
        }) = crate::util::local_header(&mut r)
        else {
            break;
        };
        if flags & 0x08 != 0 {
            acc.error(format!(
                "{name}: sizes in data descriptor; local-header walk stops here"
            ));
            break;
        }
        let start = r.pos();
        let raw = bytes
            .get(start..start.saturating_add(csize as usize).min(bytes.len()))
            .unwrap_or_default();
        let method = match method {
            0 => Method::Stored,
            8 => Method::Deflated,
            other => {
                acc.error(format!("{name}: unsupported compression method {other}"));
                pos = start.saturating_add(csize as usize);
                continue;
            }
        };
        members.push(name.clone());
        let cap = limits.max_member_bytes.min(budget.decompressed_left);
        match read_member(raw, method, cap, &needs_full_read) {
            Ok((data, truncated)) => {
                budget.decompressed_left =
                    budget.decompressed_left.saturating_sub(data.len() as u64);
                let format = classify_members(&[name.as_str()]);
                analyze_member(
                    format,
                    Member {
                        name,
                        data,
                        encrypted: flags & 1 != 0,
                        truncated,
                    },
                    limits,
                    depth,
                    budget,
                    acc,
                );
            }
            Err(e) => acc.error(format!("{name}: {e}")),
        }
        pos = start.saturating_add(csize as usize);
    }
    classify_members(&members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze_bytes, Verdict};

    /// Builds a stored zip by hand so tests control flags and CRC.
    pub(crate) fn stored_zip(members: &[(&str, &[u8])], flags: u16) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in members {
            let offset = out.len() as u32;
            let mut h = Vec::new();
            h.extend_from_slice(b"PK\x03\x04");
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&flags.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&h);
            out.extend_from_slice(data);
            let mut c = Vec::new();
            c.extend_from_slice(b"PK\x01\x02");
            c.extend_from_slice(&20u16.to_le_bytes());
            c.extend_from_slice(&20u16.to_le_bytes());
            c.extend_from_slice(&flags.to_le_bytes());
            c.extend_from_slice(&0u16.to_le_bytes());
            c.extend_from_slice(&0u32.to_le_bytes());
            c.extend_from_slice(&0u32.to_le_bytes());
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(&(name.len() as u16).to_le_bytes());
            c.extend_from_slice(&[0u8; 12]);
            c.extend_from_slice(&offset.to_le_bytes());
            c.extend_from_slice(name.as_bytes());
            central.extend_from_slice(&c);
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00");
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    const EVIL: &[u8] = b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.";
    const GOOD: &[u8] = b"\x80\x02}q\x00X\x01\x00\x00\x00aK\x01s.";

    #[test]
    fn torch_zip_member_payload() {
        let z = stored_zip(
            &[("archive/data.pkl", EVIL), ("archive/version", b"3\n")],
            0,
        );
        let r = analyze_bytes("m.pt", &z, &Limits::default());
        assert_eq!(r.format, Format::PytorchZip);
        assert_eq!(r.verdict, Verdict::Malicious);
        assert!(r.evidence.iter().any(|e| e
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("archive/data.pkl"))));
    }

    #[test]
    fn tampered_encryption_flag_does_not_hide_payload() {
        let z = stored_zip(&[("model/config.pkl", EVIL)], 1);
        let r = analyze_bytes("x.zip", &z, &Limits::default());
        assert_eq!(r.verdict, Verdict::Malicious);
    }

    #[test]
    fn real_encryption_is_an_error_not_malicious() {
        let z = stored_zip(
            &[(
                "test.txt",
                b"\x13\x99\xa0\x01\xfe\x55\x21\x00\x11\x72\x88\x9a\xbb\xcc",
            )],
            1,
        );
        let r = analyze_bytes("x.zip", &z, &Limits::default());
        assert_ne!(r.verdict, Verdict::Malicious);
    }

    #[test]
    fn clean_zip_and_npz_classification() {
        let z = stored_zip(&[("archive/data.pkl", GOOD), ("archive/data/0", EVIL)], 0);
        let r = analyze_bytes("m.pt", &z, &Limits::default());
        assert_eq!(r.verdict, Verdict::Clean, "{:?}", r.evidence);
    }

    #[test]
    fn broken_central_directory_falls_back_to_local_headers() {
        let mut z = stored_zip(&[("data.pkl", EVIL)], 0);
        let cut = z.len() - 10;
        z.truncate(cut);
        let r = analyze_bytes("x.zip", &z, &Limits::default());
        assert_eq!(r.verdict, Verdict::Malicious, "{:?}", r.errors);
    }

    #[test]
    fn member_cap_is_enforced() {
        let big = vec![b'N'; 4096];
        let z = stored_zip(&[("a.bin", &big)], 0);
        let limits = Limits {
            max_member_bytes: 100,
            ..Limits::default()
        };
        let r = analyze_bytes("x.zip", &z, &limits);
        assert!(
            r.errors.iter().any(|e| e.contains("analysis limit")),
            "{:?}",
            r.errors
        );
    }
}
