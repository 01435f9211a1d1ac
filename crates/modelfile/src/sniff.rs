//! Format detection from the first bytes of a file.

use crate::pickle::{self, WalkOptions, TORCH_LEGACY_MAGIC};
use crate::util::{self, Reader};
use crate::{onnx, savedmodel, Format, Limits};

/// HDF5 superblocks may sit at 0 or at any power of two from 512 (user block).
const HDF5_MAGIC: &[u8] = b"\x89HDF\r\n\x1a\n";
/// Largest safetensors header accepted when sniffing.
const SAFETENSORS_MAX_HEADER: u64 = 100 << 20;

/// Detects the format of a file from a prefix of its bytes (64 KiB is plenty). Cheap and
/// panic-free for any input.
pub fn sniff(prefix: &[u8]) -> Format {
    if prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06") {
        return classify_members(&local_header_names(prefix, 64));
    }
    if prefix.starts_with(b"\x93NUMPY") {
        return Format::Numpy;
    }
    if prefix.starts_with(b"GGUF") {
        let mut r = Reader::at(prefix, 4);
        if matches!(r.u32(), Some(1..=3)) {
            return Format::Gguf;
        }
    }
    if is_hdf5(prefix) {
        let keras = util::find(prefix, b"model_config", 0).is_some()
            || util::find(prefix, b"keras_version", 0).is_some();
        return if keras { Format::KerasH5 } else { Format::Hdf5 };
    }
    if prefix.starts_with(TORCH_LEGACY_MAGIC) {
        return Format::PytorchLegacy;
    }
    if let [0x80, proto, ..] = prefix {
        if *proto <= 5 && looks_like_pickle(prefix) {
            return if util::find(prefix, b"joblib.numpy_pickle", 0).is_some() {
                Format::Joblib
            } else {
                Format::Pickle
            };
        }
    }
    if looks_like_safetensors(prefix) {
        return Format::Safetensors;
    }
    if looks_like_compressed_pickle(prefix) {
        return Format::Joblib;
    }
    if savedmodel::plausible(prefix) {
        return Format::TfSavedModel;
    }
    if onnx::plausible(prefix) {
        return Format::Onnx;
    }
    if prefix.first() != Some(&0x80) && looks_like_pickle(prefix) {
        return Format::Pickle;
    }
    Format::Unknown
}

fn is_hdf5(prefix: &[u8]) -> bool {
    [0usize, 512, 1024, 2048, 4096, 8192, 16384, 32768]
        .iter()
        .any(|&off| prefix.get(off..).is_some_and(|s| s.starts_with(HDF5_MAGIC)))
}

/// True when the prefix walks as a pickle: a complete STOP, or only running out of bytes at
/// the end of the prefix after several well-formed opcodes.
pub(crate) fn looks_like_pickle(prefix: &[u8]) -> bool {
    let Some(&first) = prefix.first() else {
        return false;
    };
    // Protocol 0/1 streams start with a value-producing or MARK opcode, never with e.g. STOP.
    const STARTS: &[u8] = b"(c]})NILFSVXUTKJMGdltp\x80";
    if !STARTS.contains(&first) {
        return false;
    }
    let limits = Limits {
        max_opcodes: 4096,
        ..Limits::default()
    };
    let w = pickle::walk(prefix, &limits, WalkOptions { single: true });
    if w.complete_segments > 0 {
        return w.opcodes >= 2;
    }
    let truncated_at_end = w
        .errors
        .iter()
        .any(|e| e.starts_with("truncated") || e.starts_with("opcode limit"));
    truncated_at_end && w.opcodes >= 8
}

fn looks_like_safetensors(prefix: &[u8]) -> bool {
    let mut r = Reader::new(prefix);
    let Some(n) = r.u64() else {
        return false;
    };
    if !(2..=SAFETENSORS_MAX_HEADER).contains(&n) {
        return false;
    }
    let body = prefix.get(8..).unwrap_or_default();
    if body.first() != Some(&b'{') {
        return false;
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    match body.get(..n) {
        Some(h) => serde_json::from_slice::<serde_json::Value>(h).is_ok_and(|v| v.is_object()),
        // Header longer than the prefix: require a JSON-looking start.
        None => body
            .iter()
            .skip(1)
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'"' || b == b'}'),
    }
}

fn looks_like_compressed_pickle(prefix: &[u8]) -> bool {
    use std::io::Read;
    let zlib = match prefix {
        [cmf, flg, ..] => *cmf == 0x78 && (u16::from(*cmf) * 256 + u16::from(*flg)) % 31 == 0,
        _ => false,
    };
    let mut out = Vec::new();
    let ok = if zlib {
        flate2::read::ZlibDecoder::new(prefix)
            .take(4096)
            .read_to_end(&mut out)
            .is_ok()
    } else if prefix.starts_with(b"\x1f\x8b") {
        flate2::read::GzDecoder::new(prefix)
            .take(4096)
            .read_to_end(&mut out)
            .is_ok()
    } else {
        return false;
    };
    // A truncated prefix errors after yielding output; the output is what matters.
    let _ = ok;
    !out.is_empty() && out.first() == Some(&0x80) && looks_like_pickle(&out)
}

/// Names of the zip members whose local headers fit in `prefix`.
pub(crate) fn local_header_names(prefix: &[u8], max: usize) -> Vec<String> {
    let mut names = Vec::new();
    let mut pos = 0usize;
    while names.len() < max {
        let mut r = Reader::at(prefix, pos);
        let Some(crate::util::LocalHeader {
            flags, csize, name, ..
        }) = crate::util::local_header(&mut r)
        else {
            break;
        };
        names.push(name);
        if flags & 0x08 != 0 {
            // Sizes live in a trailing data descriptor; the next header is not locatable.
            break;
        }
        pos = r.pos().saturating_add(csize as usize);
    }
    names
}

/// Classifies a zip by its member names.
pub(crate) fn classify_members<S: AsRef<str>>(names: &[S]) -> Format {
    let has = |pred: &dyn Fn(&str) -> bool| names.iter().any(|n| pred(n.as_ref()));
    let torch = has(&|n| n.ends_with("data.pkl") || n.ends_with("constants.pkl"))
        && (has(&|n| n.ends_with("/version") || n.ends_with("/byteorder"))
            || has(&|n| n.contains("/data/"))
            || has(&|n| n.contains("/code/")));
    if torch {
        return Format::PytorchZip;
    }
    if has(&|n| n == "config.json") && has(&|n| n == "metadata.json") {
        return Format::KerasV3;
    }
    if !names.is_empty() && names.iter().all(|n| n.as_ref().ends_with(".npy")) {
        return Format::NumpyZip;
    }
    Format::Zip
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert_eq!(sniff(b"\x93NUMPY\x01\x00"), Format::Numpy);
        assert_eq!(sniff(b"GGUF\x03\x00\x00\x00"), Format::Gguf);
        assert_eq!(sniff(b"GGUF\x09\x00\x00\x00"), Format::Unknown);
        assert_eq!(sniff(b"\x89HDF\r\n\x1a\n\x00"), Format::Hdf5);
        assert_eq!(sniff(b"\x80\x04K\x01."), Format::Pickle);
        assert_eq!(sniff(b"cos\nsystem\n(S'x'\ntR."), Format::Pickle);
        assert_eq!(sniff(b"hello world"), Format::Unknown);
        assert_eq!(sniff(b""), Format::Unknown);
        let mut st = 14u64.to_le_bytes().to_vec();
        st.extend_from_slice(b"{\"a\":{}}      ");
        assert_eq!(sniff(&st), Format::Safetensors);
        let mut hdf = vec![0u8; 512];
        hdf.extend_from_slice(b"\x89HDF\r\n\x1a\n model_config");
        assert_eq!(sniff(&hdf), Format::KerasH5);
    }

    #[test]
    fn zip_members() {
        assert_eq!(
            classify_members(&["archive/data.pkl", "archive/version"]),
            Format::PytorchZip
        );
        assert_eq!(
            classify_members(&["config.json", "metadata.json", "model.weights.h5"]),
            Format::KerasV3
        );
        assert_eq!(classify_members(&["a.npy", "b.npy"]), Format::NumpyZip);
        assert_eq!(classify_members(&["data.pkl"]), Format::Zip);
    }
}
