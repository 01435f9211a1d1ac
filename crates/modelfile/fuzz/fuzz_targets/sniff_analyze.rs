//! Arbitrary bytes through format sniffing and full analysis, under several file names so
//! the name-based fallbacks (pickle, ONNX, SavedModel, joblib) are exercised too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_modelfile::{analyze_bytes, is_model_candidate, sniff, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_opcodes: 200_000,
        max_total_decompressed: 32 << 20,
        max_member_bytes: 8 << 20,
        ..Limits::default()
    };
    let _ = sniff(data);
    let names = ["f.pkl", "saved_model.pb", "m.onnx", "m.joblib", "blob"];
    let name = names[data.first().map_or(0, |b| usize::from(*b) % names.len())];
    let _ = is_model_candidate(std::path::Path::new(name), data);
    let _ = analyze_bytes(name, data, &limits);
});
