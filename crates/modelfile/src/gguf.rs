//! GGUF header and metadata reader. Hand-written: the format is a flat little-endian
//! key/value list, and only the header is needed, never tensor data.

use crate::util::{self, Reader};
use crate::{jinja, put_metadata, Acc, Limits};
use std::collections::BTreeSet;

/// Why a GGUF header could not be fully read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GgufError {
    /// Ran out of bytes; more of the file may help.
    #[error("gguf: truncated {0}")]
    Truncated(String),
    /// Structurally invalid.
    #[error("gguf: {0}")]
    Invalid(String),
}

const MAX_KV: u64 = 1 << 20;
const MAX_TENSORS: u64 = 1 << 24;
const MAX_ARRAY_DEPTH: u32 = 3;
/// Chat templates larger than this are kept truncated in the report (still fully checked).
const TEMPLATE_KEEP: usize = 64 * 1024;

struct P<'a> {
    r: Reader<'a>,
    v1: bool,
}

fn t(what: &str) -> GgufError {
    GgufError::Truncated(what.to_string())
}

impl<'a> P<'a> {
    fn count(&mut self, what: &str) -> Result<u64, GgufError> {
        if self.v1 {
            self.r.u32().map(u64::from).ok_or_else(|| t(what))
        } else {
            self.r.u64().ok_or_else(|| t(what))
        }
    }

    fn string(&mut self, what: &str) -> Result<&'a [u8], GgufError> {
        let n = self.count(what)?;
        let n = usize::try_from(n).map_err(|_| t(what))?;
        self.r.take(n).ok_or_else(|| t(what))
    }

    /// Reads a value; returns a short text rendering for scalars and strings.
    fn value(&mut self, ty: u32, depth: u32) -> Result<Option<Vec<u8>>, GgufError> {
        let fixed = match ty {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            10..=12 => 8,
            _ => 0,
        };
        if fixed > 0 {
            let b = self.r.take(fixed).ok_or_else(|| t("value"))?;
            let text = match (ty, b) {
                (0, [x]) => x.to_string(),
                (1, [x]) => (*x as i8).to_string(),
                (7, [x]) => (*x != 0).to_string(),
                (2, [a, b]) => u16::from_le_bytes([*a, *b]).to_string(),
                (3, [a, b]) => i16::from_le_bytes([*a, *b]).to_string(),
                (4, [a, b, c, d]) => u32::from_le_bytes([*a, *b, *c, *d]).to_string(),
                (5, [a, b, c, d]) => i32::from_le_bytes([*a, *b, *c, *d]).to_string(),
                (6, [a, b, c, d]) => f32::from_le_bytes([*a, *b, *c, *d]).to_string(),
                (10, s) => s
                    .try_into()
                    .map(u64::from_le_bytes)
                    .unwrap_or_default()
                    .to_string(),
                (11, s) => s
                    .try_into()
                    .map(i64::from_le_bytes)
                    .unwrap_or_default()
                    .to_string(),
                (12, s) => s
                    .try_into()
                    .map(f64::from_le_bytes)
                    .unwrap_or_default()
                    .to_string(),
                _ => String::new(),
            };
            return Ok(Some(text.into_bytes()));
        }
        match ty {
            8 => Ok(Some(self.string("string value")?.to_vec())),
            9 => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(GgufError::Invalid("arrays nested too deeply".into()));
                }
                let item = self.r.u32().ok_or_else(|| t("array type"))?;
                let n = self.count("array length")?;
                // Every item takes at least one byte, so a count beyond the remaining bytes
                // is a truncation (or a lie) and must not drive the loop.
                if n > self.r.remaining() as u64 {
                    return Err(t("array items"));
                }
                for _ in 0..n {
                    self.value(item, depth + 1)?;
                }
                Ok(Some(format!("array[{n}]").into_bytes()))
            }
            other => Err(GgufError::Invalid(format!("unknown value type {other}"))),
        }
    }
}

fn ggml_type(t: u32) -> String {
    let name = match t {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        6 => "Q5_0",
        7 => "Q5_1",
        8 => "Q8_0",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        12 => "Q4_K",
        13 => "Q5_K",
        14 => "Q6_K",
        15 => "Q8_K",
        16 => "IQ2_XXS",
        17 => "IQ2_XS",
        18 => "IQ3_XXS",
        19 => "IQ1_S",
        20 => "IQ4_NL",
        21 => "IQ3_S",
        22 => "IQ2_S",
        23 => "IQ4_XS",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        29 => "IQ1_M",
        30 => "BF16",
        34 => "TQ1_0",
        35 => "TQ2_0",
        other => return format!("type{other}"),
    };
    name.to_string()
}

/// Parses the GGUF header into `acc`, checking chat templates as they are met so findings
/// survive a later truncation.
pub(crate) fn analyze(bytes: &[u8], limits: &Limits, acc: &mut Acc) -> Result<(), GgufError> {
    let mut r = Reader::new(bytes);
    if r.take(4) != Some(b"GGUF".as_slice()) {
        return Err(GgufError::Invalid("missing GGUF magic".into()));
    }
    let version = r.u32().ok_or_else(|| t("version"))?;
    if !(1..=3).contains(&version) {
        return Err(GgufError::Invalid(format!("unsupported version {version}")));
    }
    let mut p = P {
        r,
        v1: version == 1,
    };
    let tensor_count = p.count("tensor count")?;
    let kv_count = p.count("kv count")?;
    if kv_count > MAX_KV || tensor_count > MAX_TENSORS {
        return Err(GgufError::Invalid(format!(
            "implausible counts: {tensor_count} tensors, {kv_count} metadata keys"
        )));
    }
    acc.info.tensors = Some(tensor_count);
    put_metadata(&mut acc.info, "gguf.version", &version.to_string());
    for _ in 0..kv_count {
        if p.r.pos() as u64 > limits.max_header_bytes {
            return Err(GgufError::Invalid("metadata exceeds header limit".into()));
        }
        let key_at = p.r.pos();
        let key = String::from_utf8_lossy(p.string("key")?).to_string();
        let ty = p.r.u32().ok_or_else(|| t("value type"))?;
        let val = p.value(ty, 0)?;
        let Some(val) = val else { continue };
        let text = String::from_utf8_lossy(&val);
        if key.starts_with("tokenizer.chat_template") && ty == 8 {
            for (sev, detail) in jinja::check(&text) {
                acc.add(
                    sev,
                    "jinja-ssti",
                    detail,
                    Some(format!("{key} @ offset {key_at}")),
                );
            }
            if acc.info.chat_template.is_none() || key == "tokenizer.chat_template" {
                acc.info.chat_template = Some(util::truncate(&text, TEMPLATE_KEEP));
            }
            continue;
        }
        if key == "general.architecture" {
            acc.info.architecture = Some(util::truncate(&text, 128));
        }
        if ty != 9 && !key.starts_with("tokenizer.ggml.") {
            put_metadata(&mut acc.info, &key, &text);
        }
    }
    let mut params = 0u64;
    let mut dtypes = BTreeSet::new();
    for _ in 0..tensor_count {
        p.string("tensor name")?;
        let n_dims = p.r.u32().ok_or_else(|| t("tensor dims"))?;
        if n_dims > 8 {
            return Err(GgufError::Invalid(format!(
                "tensor with {n_dims} dimensions"
            )));
        }
        let mut numel = 1u64;
        for _ in 0..n_dims {
            let d = p.count("tensor dim")?;
            numel = numel.saturating_mul(d);
        }
        let ty = p.r.u32().ok_or_else(|| t("tensor type"))?;
        p.r.u64().ok_or_else(|| t("tensor offset"))?;
        params = params.saturating_add(numel);
        dtypes.insert(ggml_type(ty));
    }
    acc.info.parameters = Some(params);
    acc.info.dtypes = dtypes.into_iter().collect();
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{analyze_bytes, Verdict};

    pub(crate) fn gguf_with_template(template: &str) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&2u64.to_le_bytes());
        for (k, v) in [
            ("general.architecture", "llama"),
            ("tokenizer.chat_template", template),
        ] {
            b.extend_from_slice(&(k.len() as u64).to_le_bytes());
            b.extend_from_slice(k.as_bytes());
            b.extend_from_slice(&8u32.to_le_bytes());
            b.extend_from_slice(&(v.len() as u64).to_le_bytes());
            b.extend_from_slice(v.as_bytes());
        }
        b.extend_from_slice(&(6u64).to_le_bytes());
        b.extend_from_slice(b"tok.wt");
        b.extend_from_slice(&2u32.to_le_bytes());
        b.extend_from_slice(&4u64.to_le_bytes());
        b.extend_from_slice(&8u64.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b
    }

    #[test]
    fn benign_template_is_clean() {
        let b = gguf_with_template("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}");
        let r = analyze_bytes("m.gguf", &b, &Limits::default());
        assert_eq!(r.format, crate::Format::Gguf);
        assert_eq!(r.verdict, Verdict::Clean, "{:?}", r.evidence);
        assert_eq!(r.info.architecture.as_deref(), Some("llama"));
        assert_eq!(r.info.parameters, Some(32));
        assert_eq!(r.info.dtypes, vec!["F16".to_string()]);
    }

    #[test]
    fn ssti_template_is_malicious() {
        let b = gguf_with_template("{{ cycler.__init__.__globals__.os.popen('id').read() }}");
        let r = analyze_bytes("m.gguf", &b, &Limits::default());
        assert_eq!(r.verdict, Verdict::Malicious);
    }

    #[test]
    fn truncated_header_is_error() {
        let b = gguf_with_template("{{ x }}");
        let r = analyze_bytes(
            "m.gguf",
            b.get(..40).unwrap_or_default(),
            &Limits::default(),
        );
        assert!(!r.errors.is_empty());
        assert_ne!(r.verdict, Verdict::Malicious);
    }
}
