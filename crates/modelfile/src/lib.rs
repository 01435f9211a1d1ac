//! Static detection of code-execution payloads in model and serialized-object files.
//!
//! # Design
//!
//! * **Format by content, not by name.** [`sniff`] looks at magic bytes (zip, `\x93NUMPY`,
//!   `GGUF`, HDF5 superblock, pickle `PROTO`, safetensors length+JSON, protobuf shapes). The
//!   file name is only a fallback for formats without a magic (protocol-0 pickles that do not
//!   walk cleanly, `saved_model.pb`, `.onnx`).
//! * **Nothing is ever executed or deserialized by a general-purpose loader.** Pickles are
//!   walked by a hand-written opcode interpreter ([`pickle`]) that simulates the stack and memo
//!   only as far as needed to resolve every imported callable (`GLOBAL`, `STACK_GLOBAL` through
//!   the memo, `INST`, `OBJ`, `NEWOBJ`, `REDUCE`, `BUILD`, extension codes). No pickle crate
//!   exposes imports without building Python objects, and those that build objects are exactly
//!   what a hostile input must not reach.
//! * **Verdicts come from a policy, not from file names.** Every import is classified by
//!   module and name ([`policy`]): a denylist of dangerous callables (command execution,
//!   code evaluation, attribute/getattr gadgets, file and network access, nested
//!   deserializers) gives `malicious`; an allowlist of data-only constructors of the common ML
//!   namespaces gives `clean`; everything else is `suspicious`. Structural tricks (BUILD on a
//!   module, computed `STACK_GLOBAL` operands, dunder traversal in dotted names) are malicious
//!   on their own. Non-pickle formats have their own rules: Keras `Lambda` layers with
//!   marshalled bytecode, Jinja sandbox escapes in GGUF chat templates, TensorFlow file ops,
//!   ONNX external-data path traversal.
//! * **Fail closed, but never call corruption malicious.** Every parser is bounded by
//!   [`Limits`] and returns errors with offsets instead of panicking. Evidence gathered before
//!   an error is kept. A dangerous import is only `malicious` when the stream could have
//!   invoked it: a pickle that breaks before any call opcode after the import never runs it,
//!   so that import is reported as `suspicious` next to the parse error.
//! * **Containers are analysed recursively** (zip, npz, PyTorch zip, `.keras`) with bounded
//!   depth, member count and total decompressed bytes, reading raw member data so that
//!   flag-tampered "encrypted" members and wrong CRCs do not hide a payload.

#![forbid(unsafe_code)]

mod container;
mod gguf;
mod hdf5;
mod jinja;
mod joblib;
mod keras;
mod numpy;
mod onnx;
pub mod pickle;
pub mod policy;
mod protobuf;
mod safetensors;
mod savedmodel;
mod sniff;
mod util;

use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

pub use sniff::sniff;

/// Detected container or serialization format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Raw Python pickle stream (any protocol), possibly several concatenated.
    Pickle,
    /// PyTorch zip checkpoint (`*/data.pkl` plus tensor storages), also TorchScript archives.
    PytorchZip,
    /// Legacy (pre-1.6) PyTorch file: magic-number pickle followed by further pickles and raw data.
    PytorchLegacy,
    /// joblib dump: a pickle stream with inline numpy buffers, optionally zlib/gzip compressed.
    Joblib,
    /// numpy `.npy` array file.
    Numpy,
    /// numpy `.npz` archive (zip of `.npy` members).
    NumpyZip,
    /// safetensors file.
    Safetensors,
    /// GGUF (llama.cpp) model file.
    Gguf,
    /// ONNX protobuf model.
    Onnx,
    /// Keras v3 `.keras` zip (`config.json` + `metadata.json`).
    KerasV3,
    /// Keras HDF5 model (`model_config` attribute).
    KerasH5,
    /// HDF5 file without a recognisable Keras model config.
    Hdf5,
    /// TensorFlow SavedModel protobuf (`saved_model.pb`).
    TfSavedModel,
    /// Any other zip archive; every member that looks like a model or pickle is analysed.
    Zip,
    /// Not a recognised model format.
    Unknown,
}

impl Format {
    /// Stable lowercase identifier used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pickle => "pickle",
            Format::PytorchZip => "pytorch-zip",
            Format::PytorchLegacy => "pytorch-legacy",
            Format::Joblib => "joblib",
            Format::Numpy => "numpy",
            Format::NumpyZip => "numpy-zip",
            Format::Safetensors => "safetensors",
            Format::Gguf => "gguf",
            Format::Onnx => "onnx",
            Format::KerasV3 => "keras-v3",
            Format::KerasH5 => "keras-h5",
            Format::Hdf5 => "hdf5",
            Format::TfSavedModel => "tf-saved-model",
            Format::Zip => "zip",
            Format::Unknown => "unknown",
        }
    }

    fn is_zip_family(self) -> bool {
        matches!(
            self,
            Format::PytorchZip | Format::NumpyZip | Format::KerasV3 | Format::Zip
        )
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Format {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Outcome of an analysis. Ordered so that the worst verdict is the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Verdict {
    /// Nothing outside known data-only constructs was found.
    #[default]
    Clean,
    /// Something unknown or unusual that needs a human look, but no known-dangerous construct.
    Suspicious,
    /// A construct that executes code, touches files or the network, or escapes a sandbox.
    Malicious,
}

impl Verdict {
    /// Lowercase identifier: `clean`, `suspicious`, `malicious`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Suspicious => "suspicious",
            Verdict::Malicious => "malicious",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One finding that contributed to the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// How bad this single finding is.
    pub severity: Verdict,
    /// Finding class: `import`, `opcode`, `lambda-layer`, `custom-object`, `jinja-ssti`,
    /// `tf-op`, `onnx-external-data`, `onnx-domain`, `code-argument`, `error`.
    pub kind: String,
    /// What was found, e.g. `posix.system (command execution)`.
    pub detail: String,
    /// Where: zip member and/or byte offset.
    pub location: Option<String>,
}

/// Descriptive facts about the model, filled where the format makes them cheap to read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModelInfo {
    /// Number of tensors (safetensors, GGUF, ONNX initializers, PyTorch storages).
    pub tensors: Option<u64>,
    /// Total element count over all tensors, when shapes are known.
    pub parameters: Option<u64>,
    /// Distinct tensor element types, sorted.
    pub dtypes: Vec<String>,
    /// Model architecture (GGUF `general.architecture`, Keras top-level class, ONNX producer).
    pub architecture: Option<String>,
    /// Chat template (GGUF `tokenizer.chat_template`), truncated to a bounded length.
    pub chat_template: Option<String>,
    /// Small bounded selection of metadata key/values.
    pub metadata: BTreeMap<String, String>,
}

/// Result of analysing one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Detected format.
    pub format: Format,
    /// Worst severity over all evidence.
    pub verdict: Verdict,
    /// Findings, in discovery order.
    pub evidence: Vec<Evidence>,
    /// Descriptive model facts.
    pub info: ModelInfo,
    /// Non-fatal parse errors with offsets. An error never makes a file malicious by itself.
    pub errors: Vec<String>,
}

/// Resource bounds for every parser. All inputs are hostile, so each dimension is capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest prefix of a plain (non-container) file read for analysis.
    pub max_file_bytes: u64,
    /// Largest safetensors JSON header or GGUF metadata section read.
    pub max_header_bytes: u64,
    /// Pickle opcodes executed per analysed stream before stopping with an error.
    pub max_opcodes: u64,
    /// Pickle stack depth (values plus marks).
    pub max_stack_depth: usize,
    /// Pickle memo entries.
    pub max_memo_entries: usize,
    /// Nesting depth of containers (zip in zip, pickle in npz in zip...).
    pub max_depth: u32,
    /// Zip members inspected per archive.
    pub max_zip_members: usize,
    /// Total bytes decompressed across all members of one analysis.
    pub max_total_decompressed: u64,
    /// Bytes decompressed from a single member.
    pub max_member_bytes: u64,
    /// Largest declared uncompressed/compressed ratio accepted for a member above 1 MiB.
    pub max_compression_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 512 << 20,
            max_header_bytes: 100 << 20,
            max_opcodes: 5_000_000,
            max_stack_depth: 200_000,
            max_memo_entries: 1_000_000,
            max_depth: 3,
            max_zip_members: 10_000,
            max_total_decompressed: 1 << 30,
            max_member_bytes: 512 << 20,
            max_compression_ratio: 1100,
        }
    }
}

/// Failure to read the file at all. Parse problems are reported in [`Report::errors`] instead.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// Path that failed.
        path: String,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Extensions that mark a file as a model or serialized object even without a recognised magic.
const MODEL_EXTENSIONS: &[&str] = &[
    "pkl",
    "pickle",
    "pt",
    "pth",
    "bin",
    "ckpt",
    "joblib",
    "npy",
    "npz",
    "safetensors",
    "gguf",
    "ggml",
    "onnx",
    "keras",
    "h5",
    "hdf5",
    "pb",
    "sav",
    "model",
    "mar",
    "dill",
    "dat",
    "data",
    "pkl.gz",
    "pt2",
    "tflite",
    "msgpack",
    "skops",
    "llamafile",
];

fn extension_of(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
}

fn name_has_model_extension(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    MODEL_EXTENSIONS
        .iter()
        .any(|ext| lower.ends_with(&format!(".{ext}")))
}

/// Cheap pre-filter for scanners: true when the magic bytes name a model format or the file
/// name carries a model-ish extension. Never reads beyond `prefix`.
pub fn is_model_candidate(path: &Path, prefix: &[u8]) -> bool {
    if sniff(prefix) != Format::Unknown || prefix.starts_with(SEVEN_ZIP_MAGIC) {
        return true;
    }
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if file_name == "saved_model.pb" {
        return true;
    }
    extension_of(path).is_some() && name_has_model_extension(file_name)
}

/// Shared per-analysis budget for decompression, so nested containers cannot multiply limits.
pub(crate) struct Budget {
    pub(crate) decompressed_left: u64,
}

/// Accumulates findings while a file (and its members) is analysed.
#[derive(Default)]
pub(crate) struct Acc {
    pub(crate) evidence: Vec<Evidence>,
    pub(crate) errors: Vec<String>,
    pub(crate) info: ModelInfo,
}

impl Acc {
    pub(crate) fn add(
        &mut self,
        severity: Verdict,
        kind: &str,
        detail: impl Into<String>,
        location: Option<String>,
    ) {
        // A hostile file can repeat one trick millions of times; the report stays small.
        if self.evidence.len() >= MAX_EVIDENCE {
            if severity
                > self
                    .evidence
                    .iter()
                    .map(|e| e.severity)
                    .max()
                    .unwrap_or_default()
            {
                self.evidence.push(Evidence {
                    severity,
                    kind: kind.to_string(),
                    detail: detail.into(),
                    location,
                });
            }
            return;
        }
        self.evidence.push(Evidence {
            severity,
            kind: kind.to_string(),
            detail: detail.into(),
            location,
        });
    }

    pub(crate) fn error(&mut self, msg: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(msg.into());
        }
    }

    pub(crate) fn verdict(&self) -> Verdict {
        self.evidence
            .iter()
            .map(|e| e.severity)
            .max()
            .unwrap_or_default()
    }

    /// Folds a member's findings in, prefixing locations and errors with the member name.
    pub(crate) fn merge_member(&mut self, member: &str, sub: Acc) {
        for e in sub.evidence {
            let location = Some(match e.location {
                Some(l) => format!("{member}:{l}"),
                None => member.to_string(),
            });
            self.add(e.severity, &e.kind, e.detail, location);
        }
        for err in sub.errors {
            self.error(format!("{member}: {err}"));
        }
        merge_info(&mut self.info, sub.info);
    }

    pub(crate) fn into_report(self, format: Format) -> Report {
        let verdict = self.verdict();
        Report {
            format,
            verdict,
            evidence: self.evidence,
            info: self.info,
            errors: self.errors,
        }
    }
}

const MAX_EVIDENCE: usize = 200;
const MAX_ERRORS: usize = 100;
/// Metadata map entries kept in [`ModelInfo::metadata`].
pub(crate) const MAX_METADATA: usize = 48;
/// Longest metadata value kept.
pub(crate) const MAX_METADATA_VALUE: usize = 256;

fn merge_info(into: &mut ModelInfo, from: ModelInfo) {
    if let Some(t) = from.tensors {
        into.tensors = Some(into.tensors.unwrap_or(0).saturating_add(t));
    }
    if let Some(p) = from.parameters {
        into.parameters = Some(into.parameters.unwrap_or(0).saturating_add(p));
    }
    for d in from.dtypes {
        if !into.dtypes.contains(&d) {
            into.dtypes.push(d);
        }
    }
    into.dtypes.sort();
    if into.architecture.is_none() {
        into.architecture = from.architecture;
    }
    if into.chat_template.is_none() {
        into.chat_template = from.chat_template;
    }
    for (k, v) in from.metadata {
        if into.metadata.len() >= MAX_METADATA {
            break;
        }
        into.metadata.entry(k).or_insert(v);
    }
}

pub(crate) fn put_metadata(info: &mut ModelInfo, key: &str, value: &str) {
    if info.metadata.len() < MAX_METADATA {
        info.metadata
            .insert(key.to_string(), util::truncate(value, MAX_METADATA_VALUE));
    }
}

/// Analyses an in-memory file. `name` is used only as a fallback hint (extension) and in
/// messages. Never panics; every problem ends up in [`Report::errors`].
pub fn analyze_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Report {
    let mut budget = Budget {
        decompressed_left: limits.max_total_decompressed,
    };
    let mut acc = Acc::default();
    let format = analyze_inner(name, bytes, limits, 0, &mut budget, &mut acc);
    acc.into_report(format)
}

/// Picks the format from content, with the name as a fallback for magic-less formats.
pub(crate) fn detect(name: &str, bytes: &[u8]) -> Format {
    let sniffed = sniff(bytes);
    if sniffed != Format::Unknown {
        return sniffed;
    }
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
    if base == "saved_model.pb" && savedmodel::plausible(bytes) {
        return Format::TfSavedModel;
    }
    if lower.ends_with(".onnx") && onnx::plausible(bytes) {
        return Format::Onnx;
    }
    Format::Unknown
}

/// Extensions under which a magic-less file is still walked as a pickle, to report errors.
fn pickle_like_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".pkl", ".pickle", ".pt", ".pth", ".bin", ".ckpt", ".joblib", ".dat", ".data", ".sav",
        ".dill", ".model",
    ]
    .iter()
    .any(|e| lower.ends_with(e))
}

pub(crate) fn analyze_inner(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    depth: u32,
    budget: &mut Budget,
    acc: &mut Acc,
) -> Format {
    let format = detect(name, bytes);
    analyze_as(format, name, bytes, limits, depth, budget, acc)
}

pub(crate) fn analyze_as(
    format: Format,
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    depth: u32,
    budget: &mut Budget,
    acc: &mut Acc,
) -> Format {
    match format {
        Format::Joblib if matches!(bytes.first(), Some(0x78 | 0x1f)) => {
            joblib::compressed_joblib(name, bytes, limits, depth, budget, acc)
                .unwrap_or(Format::Joblib)
        }
        Format::Pickle | Format::PytorchLegacy | Format::Joblib => {
            pickle::analyze(bytes, limits, depth, budget, acc, format)
        }
        Format::Numpy => {
            numpy::analyze(bytes, limits, depth, budget, acc);
            Format::Numpy
        }
        Format::Safetensors => {
            safetensors::analyze(bytes, Some(bytes.len() as u64), limits, acc);
            Format::Safetensors
        }
        Format::Gguf => {
            if let Err(e) = gguf::analyze(bytes, limits, acc) {
                acc.error(e.to_string());
            }
            Format::Gguf
        }
        Format::Hdf5 | Format::KerasH5 => hdf5::analyze(bytes, limits, acc),
        Format::Onnx => {
            onnx::analyze(bytes, acc);
            Format::Onnx
        }
        Format::TfSavedModel => {
            savedmodel::analyze(bytes, acc);
            Format::TfSavedModel
        }
        Format::Zip | Format::PytorchZip | Format::NumpyZip | Format::KerasV3 => {
            if depth >= limits.max_depth {
                acc.error(format!(
                    "nested archive depth limit {} reached",
                    limits.max_depth
                ));
                return format;
            }
            container::analyze_zip(
                std::io::Cursor::new(bytes),
                bytes,
                limits,
                depth,
                budget,
                acc,
            )
        }
        Format::Unknown => {
            if let Some(f) = joblib::compressed_joblib(name, bytes, limits, depth, budget, acc) {
                return f;
            }
            if bytes.starts_with(SEVEN_ZIP_MAGIC) {
                pickle::scan_embedded(bytes, limits, acc, "7z packed stream");
                acc.error(
                    "7z archive: members not extracted; scanned stored data for embedded pickles",
                );
                return Format::Unknown;
            }
            if pickle_like_name(name) && !bytes.is_empty() {
                // No magic, but the name says pickle: walk it anyway so a protocol-0 payload
                // that does not look like a pickle in the first bytes is still seen.
                let before = acc.evidence.len();
                let f = pickle::analyze(bytes, limits, depth, budget, acc, Format::Pickle);
                if acc.evidence.len() > before || f != Format::Pickle {
                    return f;
                }
                return Format::Unknown;
            }
            Format::Unknown
        }
    }
}

/// 7z signature. No 7z extractor is bundled; small members are stored as uncompressed LZMA2
/// chunks, so embedded pickles are still found by scanning for pickle streams.
const SEVEN_ZIP_MAGIC: &[u8] = b"7z\xbc\xaf\x27\x1c";

/// First read of an HDF5 file when looking for its Keras config.
const HDF5_FIRST_READ: u64 = 64 << 20;

/// How much of the file is read before deciding how to read the rest.
const SNIFF_BYTES: usize = 64 * 1024;

fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn read_prefix(file: &mut File, n: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.by_ref().take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Analyses a file on disk without reading more than the format needs: headers only for
/// safetensors and GGUF, a seekable reader for zip containers, and at most
/// [`Limits::max_file_bytes`] for everything else.
pub fn analyze_path(path: &Path, limits: &Limits) -> Result<Report, Error> {
    let mut file = File::open(path).map_err(|e| io_err(path, e))?;
    let len = file.metadata().map_err(|e| io_err(path, e))?.len();
    let name = path.to_string_lossy().to_string();
    let prefix = read_prefix(&mut file, SNIFF_BYTES as u64).map_err(|e| io_err(path, e))?;
    let format = detect(&name, &prefix);
    let mut budget = Budget {
        decompressed_left: limits.max_total_decompressed,
    };
    let mut acc = Acc::default();
    let format = match format {
        f if f.is_zip_family() => {
            file.seek(SeekFrom::Start(0)).map_err(|e| io_err(path, e))?;
            container::analyze_zip(
                BufReader::new(file),
                &prefix,
                limits,
                0,
                &mut budget,
                &mut acc,
            )
        }
        Format::Safetensors => {
            let header_len = safetensors::declared_header_len(&prefix).unwrap_or(0);
            let want = header_len
                .saturating_add(8)
                .min(limits.max_header_bytes.saturating_add(8));
            let bytes = read_prefix(&mut file, want).map_err(|e| io_err(path, e))?;
            safetensors::analyze(&bytes, Some(len), limits, &mut acc);
            Format::Safetensors
        }
        Format::Gguf => {
            let mut want = (8u64 << 20).min(limits.max_header_bytes);
            loop {
                let bytes = read_prefix(&mut file, want).map_err(|e| io_err(path, e))?;
                let mut attempt = Acc::default();
                match gguf::analyze(&bytes, limits, &mut attempt) {
                    Err(gguf::GgufError::Truncated(_))
                        if (bytes.len() as u64) < len && want < limits.max_header_bytes =>
                    {
                        want = want.saturating_mul(4).min(limits.max_header_bytes);
                    }
                    Err(e) => {
                        acc = attempt;
                        acc.error(e.to_string());
                        break;
                    }
                    Ok(()) => {
                        acc = attempt;
                        break;
                    }
                }
            }
            Format::Gguf
        }
        Format::Hdf5 | Format::KerasH5 if len > HDF5_FIRST_READ => {
            // The model_config attribute normally sits in the root group's header near the
            // start; weights can be gigabytes. Read more only if the config was not found.
            let bytes = read_prefix(&mut file, HDF5_FIRST_READ).map_err(|e| io_err(path, e))?;
            let mut first = Acc::default();
            let f = hdf5::analyze(&bytes, limits, &mut first);
            if f == Format::KerasH5 && first.errors.is_empty() {
                acc = first;
                f
            } else {
                let bytes =
                    read_prefix(&mut file, limits.max_file_bytes).map_err(|e| io_err(path, e))?;
                if len > limits.max_file_bytes {
                    acc.error(format!(
                        "too large to analyse fully: {len} bytes, analysed the first {}",
                        bytes.len()
                    ));
                }
                hdf5::analyze(&bytes, limits, &mut acc)
            }
        }
        other => {
            let bytes = if (prefix.len() as u64) < len {
                read_prefix(&mut file, limits.max_file_bytes).map_err(|e| io_err(path, e))?
            } else {
                prefix
            };
            if len > limits.max_file_bytes {
                acc.error(format!(
                    "too large to analyse fully: {len} bytes, analysed the first {}",
                    bytes.len()
                ));
            }
            analyze_as(other, &name, &bytes, limits, 0, &mut budget, &mut acc)
        }
    };
    Ok(acc.into_report(format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_order_and_names() {
        assert!(Verdict::Malicious > Verdict::Suspicious);
        assert!(Verdict::Suspicious > Verdict::Clean);
        assert_eq!(
            serde_json::to_string(&Verdict::Malicious).ok().as_deref(),
            Some("\"malicious\"")
        );
        assert_eq!(
            serde_json::to_string(&Format::PytorchZip).ok().as_deref(),
            Some("\"pytorch-zip\"")
        );
        assert_eq!(Format::KerasV3.as_str(), "keras-v3");
    }

    #[test]
    fn candidate_by_extension_or_magic() {
        assert!(is_model_candidate(Path::new("a/model.safetensors"), b""));
        assert!(is_model_candidate(Path::new("x/saved_model.pb"), b""));
        assert!(is_model_candidate(Path::new("noext"), b"\x80\x04K\x01."));
        assert!(!is_model_candidate(Path::new("README.md"), b"# hello"));
    }
}
