//! safetensors: an 8-byte little-endian header length and a JSON header. Written by hand
//! because only the header is needed and it must be read without touching tensor data.

use crate::util::Reader;
use crate::{put_metadata, Acc, Limits};
use serde_json::Value;
use std::collections::BTreeSet;

/// Header length declared by the first 8 bytes.
pub(crate) fn declared_header_len(prefix: &[u8]) -> Option<u64> {
    Reader::new(prefix).u64()
}

fn dtype_bits(d: &str) -> Option<u64> {
    Some(match d {
        "F64" | "I64" | "U64" | "C64" => 64,
        "F32" | "I32" | "U32" => 32,
        "F16" | "BF16" | "I16" | "U16" => 16,
        "I8" | "U8" | "BOOL" | "F8_E4M3" | "F8_E5M2" | "F8_E8M0" => 8,
        "F6_E2M3" | "F6_E3M2" => 6,
        "F4" => 4,
        _ => return None,
    })
}

/// Analyses a safetensors header. `file_len` bounds the data offsets when known.
pub(crate) fn analyze(bytes: &[u8], file_len: Option<u64>, limits: &Limits, acc: &mut Acc) {
    let Some(n) = declared_header_len(bytes) else {
        acc.error("safetensors: truncated length prefix");
        return;
    };
    if n > limits.max_header_bytes {
        acc.error(format!("safetensors: header of {n} bytes exceeds limit"));
        return;
    }
    let Some(header) = usize::try_from(n).ok().and_then(|n| bytes.get(8..8 + n)) else {
        acc.error(format!(
            "safetensors: truncated header ({n} bytes declared)"
        ));
        return;
    };
    let v: Value = match serde_json::from_slice(header) {
        Ok(v) => v,
        Err(e) => {
            acc.error(format!("safetensors: header is not JSON: {e}"));
            return;
        }
    };
    let Some(obj) = v.as_object() else {
        acc.error("safetensors: header is not a JSON object");
        return;
    };
    let data_len = file_len.map(|l| l.saturating_sub(8 + n));
    let mut tensors = 0u64;
    let mut params = 0u64;
    let mut dtypes = BTreeSet::new();
    for (name, t) in obj {
        if name == "__metadata__" {
            match t.as_object() {
                Some(meta) => {
                    for (k, v) in meta {
                        match v.as_str() {
                            Some(s) => put_metadata(&mut acc.info, k, s),
                            None => acc.error(format!(
                                "safetensors: metadata value {k:?} is not a string"
                            )),
                        }
                    }
                }
                None => acc.error("safetensors: __metadata__ is not an object"),
            }
            continue;
        }
        tensors += 1;
        let dtype = t.get("dtype").and_then(Value::as_str);
        let shape: Option<Vec<u64>> = t
            .get("shape")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(Value::as_u64).collect());
        let offsets: Option<Vec<u64>> = t
            .get("data_offsets")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(Value::as_u64).collect());
        let (Some(dtype), Some(shape), Some(offsets)) = (dtype, shape, offsets) else {
            acc.error(format!(
                "safetensors: tensor {name:?} lacks dtype/shape/data_offsets"
            ));
            continue;
        };
        dtypes.insert(dtype.to_string());
        let numel = shape.iter().fold(1u64, |a, d| a.saturating_mul(*d));
        params = params.saturating_add(numel);
        let [begin, end] = offsets.as_slice() else {
            acc.error(format!(
                "safetensors: tensor {name:?} offsets are not a pair"
            ));
            continue;
        };
        if end < begin {
            acc.error(format!("safetensors: tensor {name:?} has inverted offsets"));
        } else if let Some(bits) = dtype_bits(dtype) {
            let want = numel.saturating_mul(bits).div_ceil(8);
            if end - begin != want {
                acc.error(format!(
                    "safetensors: tensor {name:?} spans {} bytes, shape needs {want}",
                    end - begin
                ));
            }
        } else {
            acc.error(format!(
                "safetensors: tensor {name:?} has unknown dtype {dtype:?}"
            ));
        }
        if let Some(dl) = data_len {
            if *end > dl {
                acc.error(format!("safetensors: tensor {name:?} ends past the file"));
            }
        }
    }
    acc.info.tensors = Some(tensors);
    acc.info.parameters = Some(params);
    acc.info.dtypes = dtypes.into_iter().collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze_bytes, Verdict};

    fn st(header: &str, data: usize) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend(std::iter::repeat_n(0u8, data));
        out
    }

    #[test]
    fn valid_header() {
        let b = st(
            r#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"format":"pt"}}"#,
            16,
        );
        let r = analyze_bytes("m.safetensors", &b, &Limits::default());
        assert_eq!(r.verdict, Verdict::Clean);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.info.tensors, Some(1));
        assert_eq!(r.info.parameters, Some(4));
        assert_eq!(
            r.info.metadata.get("format").map(String::as_str),
            Some("pt")
        );
    }

    #[test]
    fn malformed_is_error_not_malicious() {
        let b = st(
            r#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,99]}}"#,
            16,
        );
        let mut acc = Acc::default();
        analyze(&b, Some(b.len() as u64), &Limits::default(), &mut acc);
        assert!(!acc.errors.is_empty());
        assert_eq!(acc.verdict(), Verdict::Clean);
    }
}
