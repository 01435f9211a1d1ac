#![no_main]
//! SQLi tokenizer and all three quote contexts.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = palisade_waf::detect::sqli::detect(&s);
    let _ = palisade_waf::detect::sqli::tokenize(&s, Some('\''));
});
