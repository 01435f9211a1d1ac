//! Arbitrary bytes through the pickle opcode walker, with and without a PROTO header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_modelfile::pickle::{walk, WalkOptions};
use palisade_modelfile::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_opcodes: 200_000,
        ..Limits::default()
    };
    let _ = walk(data, &limits, WalkOptions::default());
    let mut framed = b"\x80\x04".to_vec();
    framed.extend_from_slice(data);
    let _ = walk(&framed, &limits, WalkOptions { single: true });
});
