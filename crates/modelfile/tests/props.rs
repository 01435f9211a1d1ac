//! Property tests: every parser survives arbitrary and mutated input, within its limits.

use palisade_modelfile::pickle::{walk, WalkOptions};
use palisade_modelfile::{analyze_bytes, is_model_candidate, sniff, Limits, Verdict};
use proptest::prelude::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// Small but realistic fixtures of every format, to be mutated.
fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let mut st = 60u64.to_le_bytes().to_vec();
    st.extend_from_slice(br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}     "#);
    st.extend_from_slice(&[0u8; 8]);
    let mut gguf = b"GGUF".to_vec();
    gguf.extend_from_slice(&3u32.to_le_bytes());
    gguf.extend_from_slice(&0u64.to_le_bytes());
    gguf.extend_from_slice(&1u64.to_le_bytes());
    let k = b"tokenizer.chat_template";
    let v = b"{{ cycler.__init__.__globals__ }}";
    gguf.extend_from_slice(&(k.len() as u64).to_le_bytes());
    gguf.extend_from_slice(k);
    gguf.extend_from_slice(&8u32.to_le_bytes());
    gguf.extend_from_slice(&(v.len() as u64).to_le_bytes());
    gguf.extend_from_slice(v);
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let header = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n";
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header);
    npy.extend_from_slice(b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.");
    let keras_cfg = br#"{"class_name":"Sequential","config":{"layers":[{"class_name":"Lambda","config":{"function":{"class_name":"__lambda__","config":{"code":"YwAA"}}}}]}}"#;
    let mut h5 = b"\x89HDF\r\n\x1a\n\x00model_config\x00".to_vec();
    h5.extend_from_slice(keras_cfg);
    vec![
        ("p0.pkl", b"cos\nsystem\n(S'echo hi'\ntR.".to_vec()),
        ("p4.pkl", b"\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x8c\x02id\x85R.".to_vec()),
        ("memo.pkl", b"\x80\x04\x8c\x02os\x94\x8c\x06system\x940h\x00h\x01\x93N\x85R.".to_vec()),
        ("m.safetensors", st),
        ("m.gguf", gguf),
        ("a.npy", npy),
        ("m.h5", h5),
        ("m.zip", zip_of(&[("archive/data.pkl", b"\x80\x02}q\x00."), ("archive/version", b"3\n")])),
        ("m.keras", zip_of(&[("config.json", keras_cfg), ("metadata.json", b"{}")])),
    ]
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&[0u8; 2]);
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(&[0u8; 8]);
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
        };
        out.extend_from_slice(b"PK\x03\x04\x14\x00");
        common(&mut out);
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00");
        common(&mut central);
        central.extend_from_slice(&[0u8; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00");
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

fn small_limits() -> Limits {
    Limits {
        max_opcodes: 100_000,
        max_total_decompressed: 16 << 20,
        max_member_bytes: 4 << 20,
        ..Limits::default()
    }
}

const BUDGET: Duration = Duration::from_secs(2);

#[test]
fn unmutated_fixtures_have_expected_verdicts() {
    for (name, bytes) in fixtures() {
        let r = analyze_bytes(name, &bytes, &Limits::default());
        let want = if matches!(name, "m.safetensors" | "m.zip") {
            Verdict::Clean
        } else {
            Verdict::Malicious
        };
        assert_eq!(r.verdict, want, "{name}: {r:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), name_ix in 0usize..6) {
        let names = ["x.pkl", "x.bin", "x.onnx", "saved_model.pb", "x.joblib", "x"];
        let name = names.get(name_ix).copied().unwrap_or("x");
        let _ = sniff(&bytes);
        let _ = is_model_candidate(Path::new(name), &bytes);
        let t = Instant::now();
        let _ = analyze_bytes(name, &bytes, &small_limits());
        let _ = walk(&bytes, &small_limits(), WalkOptions::default());
        prop_assert!(t.elapsed() < BUDGET);
    }

    #[test]
    fn prefixed_arbitrary_bytes_never_panic(magic_ix in 0usize..8, tail in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let magics: [&[u8]; 8] = [b"\x80\x04", b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"GGUF\x03\x00\x00\x00", b"\x89HDF\r\n\x1a\n", b"\x08\x07\x12", b"\x08\x01\x12", b"7z\xbc\xaf\x27\x1c"];
        let mut bytes = magics.get(magic_ix).copied().unwrap_or_default().to_vec();
        bytes.extend_from_slice(&tail);
        let t = Instant::now();
        let _ = analyze_bytes("f", &bytes, &small_limits());
        prop_assert!(t.elapsed() < BUDGET);
    }

    #[test]
    fn mutated_fixtures_never_panic(ix in 0usize..9, edits in proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..4), 1..12)) {
        let fx = fixtures();
        let Some((name, base)) = fx.get(ix % fx.len()) else { return Ok(()); };
        let mut bytes = base.clone();
        for (pos, val, kind) in edits {
            if bytes.is_empty() { break; }
            let p = usize::from(pos) % bytes.len();
            match kind {
                0 => { if let Some(b) = bytes.get_mut(p) { *b = val; } }
                1 => bytes.insert(p, val),
                2 => { bytes.remove(p); }
                _ => bytes.truncate(p),
            }
        }
        let t = Instant::now();
        let r = analyze_bytes(name, &bytes, &small_limits());
        prop_assert!(t.elapsed() < BUDGET);
        // Reports stay bounded whatever the input.
        prop_assert!(r.evidence.len() <= 400);
        prop_assert!(r.errors.len() <= 100);
    }

    #[test]
    fn keras_config_json_never_panics(s in "\\PC{0,400}") {
        let mut h5 = b"\x89HDF\r\n\x1a\n{\"class_name\":".to_vec();
        h5.extend_from_slice(s.as_bytes());
        let _ = analyze_bytes("m.h5", &h5, &small_limits());
        let z = zip_of(&[("config.json", s.as_bytes()), ("metadata.json", b"{}")]);
        let _ = analyze_bytes("m.keras", &z, &small_limits());
    }
}

#[test]
fn deep_nesting_and_huge_counts_are_bounded() {
    // 100k MARKs: stack grows but stays under the depth limit or errors out.
    let mut p = vec![0x80, 0x04];
    p.extend(std::iter::repeat_n(b'(', 100_000));
    let t = Instant::now();
    let _ = analyze_bytes("x.pkl", &p, &Limits::default());
    assert!(t.elapsed() < BUDGET);
    // A GGUF claiming 2^40 metadata entries.
    let mut g = b"GGUF\x03\x00\x00\x00".to_vec();
    g.extend_from_slice(&0u64.to_le_bytes());
    g.extend_from_slice(&(1u64 << 40).to_le_bytes());
    let r = analyze_bytes("x.gguf", &g, &Limits::default());
    assert!(!r.errors.is_empty());
    // A safetensors header length of 2^60.
    let mut s = (1u64 << 60).to_le_bytes().to_vec();
    s.extend_from_slice(b"{}");
    let _ = analyze_bytes("x.safetensors", &s, &Limits::default());
}
