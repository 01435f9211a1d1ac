//! ONNX models: protobuf `ModelProto`. Checks custom operator domains (which need a native
//! custom-op library to run) and tensors whose external data points outside the model
//! directory (arbitrary file read on load).

use crate::protobuf::{fields, Field};
use crate::{put_metadata, util, Acc, Verdict};
use std::collections::BTreeSet;

const KNOWN_DOMAINS: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
    "com.microsoft",
    "com.microsoft.nchwc",
    "com.microsoft.experimental",
    "com.microsoft.mlfeaturizers",
    "org.pytorch.aten",
    "com.ms.internal.nhwc",
];
const MAX_GRAPH_DEPTH: u32 = 8;
const MAX_FIELDS: u64 = 5_000_000;

/// Cheap check that a prefix is an ONNX `ModelProto`: `ir_version` first, then only
/// ModelProto field numbers, with a producer, graph or opset present.
pub(crate) fn plausible(prefix: &[u8]) -> bool {
    let mut it = fields(prefix);
    match it.next() {
        Some(Ok(Field {
            number: 1,
            wire: 0,
            varint,
            ..
        })) if (1..=15).contains(&varint) => {}
        _ => return false,
    }
    let mut strong = false;
    let mut seen = 0;
    for f in it {
        let Ok(f) = f else { break };
        seen += 1;
        match (f.number, f.wire) {
            (2, 2) => {
                if std::str::from_utf8(f.bytes).is_err() {
                    return false;
                }
                strong = true;
            }
            (7 | 8, 2) => strong = true,
            (3 | 4 | 6 | 14 | 20 | 25, 2) | (5, 0) => {}
            _ => return false,
        }
        if seen > 64 {
            break;
        }
    }
    strong
}

struct State<'a> {
    acc: &'a mut Acc,
    fields: u64,
    tensors: u64,
    params: u64,
    dtypes: BTreeSet<String>,
    custom_domains: BTreeSet<String>,
}

fn onnx_dtype(t: u64) -> String {
    match t {
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        12 => "uint32",
        13 => "uint64",
        14 => "complex64",
        15 => "complex128",
        16 => "bfloat16",
        _ => return format!("type{t}"),
    }
    .to_string()
}

impl State<'_> {
    fn budget(&mut self) -> bool {
        self.fields += 1;
        self.fields <= MAX_FIELDS
    }

    fn domain(&mut self, d: &[u8], what: &str) {
        let d = String::from_utf8_lossy(d).to_string();
        if !KNOWN_DOMAINS.contains(&d.as_str()) && self.custom_domains.insert(d.clone()) {
            self.acc.add(
                Verdict::Suspicious,
                "onnx-domain",
                format!(
                    "custom operator domain {:?} in {what} (needs a native custom-op library)",
                    util::truncate(&d, 80)
                ),
                None,
            );
        }
    }

    fn tensor(&mut self, t: &[u8]) {
        self.tensors += 1;
        let mut numel = 1u64;
        let mut location = None;
        for f in fields(t) {
            let Ok(f) = f else { break };
            if !self.budget() {
                return;
            }
            match (f.number, f.wire) {
                (1, 0) => numel = numel.saturating_mul(f.varint),
                (1, 2) => {
                    // Packed dims.
                    let mut pos = 0;
                    while let Some(d) = crate::protobuf::varint(f.bytes, &mut pos) {
                        numel = numel.saturating_mul(d);
                    }
                }
                (2, 0) => {
                    self.dtypes.insert(onnx_dtype(f.varint));
                }
                (13, 2) => {
                    let mut key = Vec::new();
                    let mut value = Vec::new();
                    for e in fields(f.bytes).flatten() {
                        match e.number {
                            1 => key = e.bytes.to_vec(),
                            2 => value = e.bytes.to_vec(),
                            _ => {}
                        }
                    }
                    if key == b"location" {
                        location = Some(String::from_utf8_lossy(&value).to_string());
                    }
                }
                _ => {}
            }
        }
        self.params = self.params.saturating_add(numel);
        if let Some(loc) = location {
            let l = loc.replace('\\', "/");
            let traversal = l.starts_with('/')
                || l.split('/').any(|s| s == "..")
                || l.get(1..3) == Some(":/")
                || l.contains("://");
            if traversal {
                self.acc.add(
                    Verdict::Suspicious,
                    "onnx-external-data",
                    format!(
                        "external tensor data outside the model directory: {}",
                        util::snippet(&loc, 120)
                    ),
                    None,
                );
            }
        }
    }

    fn graph(&mut self, g: &[u8], depth: u32) {
        if depth > MAX_GRAPH_DEPTH {
            return;
        }
        for f in fields(g) {
            let Ok(f) = f else {
                self.acc.error("onnx: malformed graph field");
                break;
            };
            if !self.budget() {
                return;
            }
            match (f.number, f.wire) {
                (1, 2) => self.node(f.bytes, depth),
                (5, 2) => self.tensor(f.bytes),
                _ => {}
            }
        }
    }

    fn node(&mut self, n: &[u8], depth: u32) {
        for f in fields(n) {
            let Ok(f) = f else { break };
            if !self.budget() {
                return;
            }
            match (f.number, f.wire) {
                (7, 2) => self.domain(f.bytes, "node"),
                (5, 2) => {
                    // AttributeProto: subgraphs (If/Loop/Scan bodies) in fields 6 and 11.
                    for a in fields(f.bytes).flatten() {
                        match (a.number, a.wire) {
                            (6 | 11, 2) => self.graph(a.bytes, depth + 1),
                            (5, 2) => self.tensor(a.bytes),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

pub(crate) fn analyze(bytes: &[u8], acc: &mut Acc) {
    let mut st = State {
        acc,
        fields: 0,
        tensors: 0,
        params: 0,
        dtypes: BTreeSet::new(),
        custom_domains: BTreeSet::new(),
    };
    for f in fields(bytes) {
        let f = match f {
            Ok(f) => f,
            Err(off) => {
                st.acc
                    .error(format!("onnx: malformed field at offset {off}"));
                break;
            }
        };
        match (f.number, f.wire) {
            (1, 0) => put_metadata(&mut st.acc.info, "ir_version", &f.varint.to_string()),
            (2, 2) => {
                let p = String::from_utf8_lossy(f.bytes).to_string();
                put_metadata(&mut st.acc.info, "producer", &p);
                if st.acc.info.architecture.is_none() {
                    st.acc.info.architecture = Some(util::truncate(&p, 128));
                }
            }
            (7, 2) => st.graph(f.bytes, 0),
            (8, 2) => {
                for o in fields(f.bytes).flatten() {
                    if o.number == 1 && o.wire == 2 {
                        st.domain(o.bytes, "opset_import");
                    }
                }
            }
            _ => {}
        }
    }
    if st.fields > MAX_FIELDS {
        st.acc
            .error("onnx: field limit reached; model partially inspected");
    }
    let (tensors, params, dtypes) = (st.tensors, st.params, st.dtypes);
    acc.info.tensors = Some(tensors);
    acc.info.parameters = Some(params);
    acc.info.dtypes = dtypes.into_iter().collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze_bytes, Format, Limits};

    fn ld(num: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![(num << 3) | 2, body.len() as u8];
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn detects_and_flags_traversal_and_domains() {
        let entry = [ld(1, b"location"), ld(2, b"../../etc/passwd")].concat();
        let tensor = [vec![0x08, 0x02], vec![0x10, 0x01], ld(13, &entry)].concat();
        let node = [ld(4, b"MyOp"), ld(7, b"evil.ops")].concat();
        let graph = [ld(1, &node), ld(5, &tensor)].concat();
        let model = [vec![0x08, 0x07], ld(2, b"pytorch"), ld(7, &graph)].concat();
        assert!(plausible(&model));
        let r = analyze_bytes("m.onnx", &model, &Limits::default());
        assert_eq!(r.format, Format::Onnx);
        assert_eq!(r.verdict, Verdict::Suspicious);
        assert_eq!(r.evidence.len(), 2, "{:?}", r.evidence);
        assert_eq!(r.info.tensors, Some(1));
    }
}
