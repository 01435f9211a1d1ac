//! TensorFlow SavedModel (`saved_model.pb`). Ops are referenced by name as length-prefixed
//! protobuf strings (`NodeDef.op`, `OpDef.name`), so an exact `tag, len, name` byte match
//! finds them without the TensorFlow schema.
//!
//! Every SavedModel contains checkpoint ops (`SaveV2`, `RestoreV2`, `MergeV2Checkpoints`),
//! so those are normal. `WriteFile` in a serving graph writes attacker-chosen files when the
//! model runs; `ReadFile`/`MatchingFiles` read or list local files into tensors; `PyFunc`
//! variants call back into Python functions that are not part of the file.

use crate::protobuf::{fields, Field};
use crate::{hdf5, util, Acc, Verdict};

const OPS: &[(&str, Verdict, &str)] = &[
    (
        "WriteFile",
        Verdict::Malicious,
        "writes files when the graph runs",
    ),
    (
        "PyFunc",
        Verdict::Suspicious,
        "calls a Python function outside the model",
    ),
    (
        "PyFuncStateless",
        Verdict::Suspicious,
        "calls a Python function outside the model",
    ),
    (
        "EagerPyFunc",
        Verdict::Suspicious,
        "calls a Python function outside the model",
    ),
    (
        "ReadFile",
        Verdict::Suspicious,
        "reads local files into tensors",
    ),
    ("MatchingFiles", Verdict::Suspicious, "lists local files"),
    (
        "ImmutableConst",
        Verdict::Suspicious,
        "memory-maps a file by path",
    ),
];

/// `saved_model_schema_version = 1` followed by a `MetaGraphDef`.
pub(crate) fn plausible(prefix: &[u8]) -> bool {
    let mut it = fields(prefix);
    matches!(
        it.next(),
        Some(Ok(Field {
            number: 1,
            wire: 0,
            varint: 1,
            ..
        }))
    ) && matches!(prefix.get(2), Some(0x12))
        && {
            let mut pos = 3;
            crate::protobuf::varint(prefix, &mut pos).is_some()
                && matches!(prefix.get(pos), Some(0x0a | 0x12))
        }
}

fn count_op(bytes: &[u8], op: &str) -> usize {
    let mut n = 0;
    for tag in [0x12u8, 0x0a] {
        let mut pat = vec![tag, op.len() as u8];
        pat.extend_from_slice(op.as_bytes());
        let mut from = 0;
        while let Some(at) = util::find(bytes, &pat, from) {
            n += 1;
            from = at + 1;
        }
    }
    n
}

pub(crate) fn analyze(bytes: &[u8], acc: &mut Acc) {
    for (op, sev, why) in OPS {
        let n = count_op(bytes, op);
        if n > 0 {
            acc.add(
                *sev,
                "tf-op",
                format!("{op} op ({why}), {n} reference(s)"),
                None,
            );
        }
    }
    if count_op(bytes, "PrintV2") > 0 && util::find(bytes, b"file://", 0).is_some() {
        acc.add(
            Verdict::Suspicious,
            "tf-op",
            "PrintV2 op writing to a file:// stream".to_string(),
            None,
        );
    }
    // Keras SavedModels carry layer configs as JSON metadata strings.
    hdf5::scan_json_configs(bytes, acc, "keras metadata");
    let marshalled = util::find(bytes, b"__lambda__", 0).is_some()
        || util::find(bytes, b"\"function_type\": \"lambda\"", 0).is_some();
    if marshalled && acc.evidence.iter().all(|e| e.kind != "lambda-layer") {
        acc.add(
            Verdict::Malicious,
            "lambda-layer",
            "marshalled Keras lambda function in SavedModel metadata".to_string(),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze_bytes, Format, Limits};

    #[test]
    fn write_file_op_is_malicious() {
        let mut b = vec![0x08, 0x01, 0x12, 0x20, 0x0a, 0x02, 0x08, 0x01];
        b.extend_from_slice(b"\x12\x09WriteFile\x12\x05SaveV2");
        let r = analyze_bytes("x/saved_model.pb", &b, &Limits::default());
        assert_eq!(r.format, Format::TfSavedModel);
        assert_eq!(r.verdict, Verdict::Malicious);
        let clean = [
            0x08, 0x01, 0x12, 0x08, 0x0a, 0x06, 0x12, 0x04, b'S', b'a', b'v', b'e',
        ];
        let r = analyze_bytes("saved_model.pb", &clean, &Limits::default());
        assert_eq!(r.verdict, Verdict::Clean);
    }
}
