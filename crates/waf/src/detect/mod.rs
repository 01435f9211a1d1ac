//! Hand-written detectors (code, not data): SQL injection tokenizer, XSS analyser,
//! OS command injection, SSRF host classification. Signature-style rules live in
//! `rules/*.yaml` and are run by [`crate::rules`].

pub mod cmd;
pub mod sqli;
pub mod ssrf;
pub mod xss;
