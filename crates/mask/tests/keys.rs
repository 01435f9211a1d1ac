//! Key loading: encodings, error messages that name the source but never
//! the secret, and a `Debug` that hides the key.

use std::io::Write as _;

use base64::Engine as _;
use palisade_mask::{Keys, MaskError, Masker, Method};

const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn bytes() -> Vec<u8> {
    (0u8..32).collect()
}

#[test]
fn from_bytes_and_hex_agree() {
    let a = Keys::from_bytes(&bytes()).unwrap();
    let b = Keys::from_hex(HEX).unwrap();
    let c = Keys::from_hex(&HEX.to_uppercase()).unwrap();
    assert_eq!(a.to_hex(), HEX);
    assert_eq!(b.to_hex(), HEX);
    assert_eq!(c.to_hex(), HEX);
}

#[test]
fn from_bytes_error_message() {
    let err = Keys::from_bytes(&[1; 10]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tokenisation key must be 32 bytes (64 hex chars), got 10 bytes"
    );
}

#[test]
fn from_hex_rejects_bad_text_without_echoing_it() {
    let secretish = "S3CR3T".repeat(10) + "abcd";
    assert_eq!(secretish.len(), 64);
    let err = Keys::from_hex(&secretish).unwrap_err().to_string();
    assert!(!err.contains("S3CR3T"), "{err}");
    assert!(Keys::from_hex("abc").is_err());
}

#[test]
fn generate_gives_distinct_keys() {
    let a = Keys::generate();
    let b = Keys::try_generate().unwrap();
    assert_eq!(a.to_hex().len(), 64);
    assert_ne!(a.to_hex(), b.to_hex());
    // A generated key round-trips through its hex form.
    assert_eq!(Keys::from_hex(&a.to_hex()).unwrap().to_hex(), a.to_hex());
}

#[test]
fn debug_hides_the_key() {
    let k = Keys::from_hex(HEX).unwrap();
    let shown = format!("{k:?} {k:#?}");
    assert!(!shown.contains("0a0b0c"), "{shown}");
    assert!(!shown.contains("10, 11, 12"), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
    let masker = Masker::new(Some(k));
    let shown = format!("{masker:?}");
    assert_eq!(shown, "Masker { has_keys: true }");
}

#[test]
fn from_env_hex_and_base64() {
    std::env::set_var("PALISADE_MASK_TEST_ENV_HEX", HEX);
    let k = Keys::from_env("PALISADE_MASK_TEST_ENV_HEX").unwrap();
    assert_eq!(k.to_hex(), HEX);

    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes());
    assert_eq!(b64.len(), 44);
    std::env::set_var("PALISADE_MASK_TEST_ENV_B64", format!("{b64}\n"));
    let k = Keys::from_env("PALISADE_MASK_TEST_ENV_B64").unwrap();
    assert_eq!(k.to_hex(), HEX);

    // URL-safe alphabet too (bytes chosen to produce '-' / '_').
    let raw = [0xfbu8; 32];
    let url = base64::engine::general_purpose::URL_SAFE.encode(raw);
    assert!(url.contains('-') || url.contains('_'));
    std::env::set_var("PALISADE_MASK_TEST_ENV_URL", &url);
    let k = Keys::from_env("PALISADE_MASK_TEST_ENV_URL").unwrap();
    assert_eq!(k.to_hex(), "fb".repeat(32));
}

#[test]
fn from_env_errors_name_the_variable_not_the_value() {
    let err = Keys::from_env("PALISADE_MASK_TEST_ENV_MISSING").unwrap_err();
    assert_eq!(
        err.to_string(),
        "key from environment variable PALISADE_MASK_TEST_ENV_MISSING: not set"
    );

    let value = "deadbeefcafe";
    std::env::set_var("PALISADE_MASK_TEST_ENV_SHORT", value);
    let err = Keys::from_env("PALISADE_MASK_TEST_ENV_SHORT").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("PALISADE_MASK_TEST_ENV_SHORT"), "{msg}");
    assert!(!msg.contains(value), "{msg}");
    assert!(matches!(err, MaskError::KeyEnv { .. }));

    // 64 chars that are not hex: the message must not quote them.
    let value = "x1".repeat(32);
    std::env::set_var("PALISADE_MASK_TEST_ENV_NOTHEX", &value);
    let msg = Keys::from_env("PALISADE_MASK_TEST_ENV_NOTHEX")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("PALISADE_MASK_TEST_ENV_NOTHEX"), "{msg}");
    assert!(!msg.contains("x1x1"), "{msg}");

    // 44 chars that are not base64.
    let value = "!".repeat(44);
    std::env::set_var("PALISADE_MASK_TEST_ENV_NOTB64", &value);
    let msg = Keys::from_env("PALISADE_MASK_TEST_ENV_NOTB64")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("PALISADE_MASK_TEST_ENV_NOTB64"), "{msg}");
    assert!(!msg.contains("!!!!"), "{msg}");
}

#[test]
fn from_file_encodings() {
    let dir = tempfile::tempdir().unwrap();

    let hex_path = dir.path().join("key.hex");
    std::fs::write(&hex_path, format!("{HEX}\n\n")).unwrap();
    assert_eq!(Keys::from_file(&hex_path).unwrap().to_hex(), HEX);

    let b64_path = dir.path().join("key.b64");
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes());
    std::fs::write(&b64_path, format!("{b64}\r\n")).unwrap();
    assert_eq!(Keys::from_file(&b64_path).unwrap().to_hex(), HEX);

    let raw_path = dir.path().join("key.bin");
    std::fs::File::create(&raw_path)
        .unwrap()
        .write_all(&bytes())
        .unwrap();
    assert_eq!(Keys::from_file(&raw_path).unwrap().to_hex(), HEX);
}

#[test]
fn from_file_errors_name_the_path_not_the_content() {
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("nope.key");
    let msg = Keys::from_file(&missing).unwrap_err().to_string();
    assert!(msg.contains("nope.key"), "{msg}");

    let short = dir.path().join("short.key");
    std::fs::write(&short, "0123456789abcdef\n").unwrap();
    let err = Keys::from_file(&short).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, MaskError::KeyFile { .. }));
    assert!(msg.contains("short.key"), "{msg}");
    assert!(!msg.contains("0123456789abcdef"), "{msg}");

    let binary = dir.path().join("binary.key");
    std::fs::write(&binary, [0xffu8; 33]).unwrap();
    let msg = Keys::from_file(&binary).unwrap_err().to_string();
    assert!(msg.contains("binary.key"), "{msg}");

    let nothex = dir.path().join("nothex.key");
    let content = "Q9".repeat(32);
    std::fs::write(&nothex, &content).unwrap();
    let msg = Keys::from_file(&nothex).unwrap_err().to_string();
    assert!(msg.contains("nothex.key"), "{msg}");
    assert!(!msg.contains("Q9Q9"), "{msg}");
}

#[test]
fn keyless_masker_refuses_keyed_methods() {
    let m = Masker::new(None);
    assert!(!m.has_keys());
    for method in [
        Method::Hash { len: None },
        Method::Tokenize,
        Method::Fpe {
            radix: None,
            tweak: None,
        },
    ] {
        let err = m.mask("4111111111111111", &method, "card").unwrap_err();
        assert!(matches!(err, MaskError::NoKey { .. }), "{err}");
        assert!(err.to_string().contains(method.name()), "{err}");
    }
    assert!(matches!(
        m.fpe_decrypt("123456", None, None),
        Err(MaskError::NoKey { .. })
    ));
    // Keyless methods still work.
    assert_eq!(
        m.mask("x", &Method::Redact { label: None }, "email")
            .unwrap(),
        "[EMAIL]"
    );
}
