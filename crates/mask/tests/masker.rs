//! Behaviour of every masking method and of `mask_spans`.

use base64::Engine as _;
use palisade_mask::{Keys, MaskError, Masker, Method};
use proptest::prelude::*;

fn masker() -> Masker {
    Masker::new(Some(Keys::from_bytes(&[0x42; 32]).unwrap()))
}

fn other_masker() -> Masker {
    Masker::new(Some(Keys::from_bytes(&[0x24; 32]).unwrap()))
}

fn partial(first: usize, last: usize) -> Method {
    Method::Partial {
        keep_first: first,
        keep_last: last,
        mask_char: None,
    }
}

fn fpe(radix: Option<u32>, tweak: Option<&str>) -> Method {
    Method::Fpe {
        radix,
        tweak: tweak.map(str::to_owned),
    }
}

// ---------------------------------------------------------------- redact

#[test]
fn redact_uses_fixed_label_then_type_label() {
    let m = Masker::new(None);
    let fixed = Method::Redact {
        label: Some("[GONE]".into()),
    };
    assert_eq!(
        m.mask("alice@example.com", &fixed, "email").unwrap(),
        "[GONE]"
    );
    let auto = Method::Redact { label: None };
    assert_eq!(
        m.mask("alice@example.com", &auto, "email").unwrap(),
        "[EMAIL]"
    );
    assert_eq!(m.mask("x", &auto, "credit_card").unwrap(), "[CREDIT_CARD]");
    assert_eq!(m.mask("x", &auto, "").unwrap(), "[REDACTED]");
}

// ---------------------------------------------------------------- partial

#[test]
fn partial_card_number_keeps_last_four_and_spaces() {
    let m = Masker::new(None);
    assert_eq!(
        m.mask("4111 1111 1111 1234", &partial(0, 4), "card")
            .unwrap(),
        "**** **** **** 1234"
    );
    assert_eq!(
        m.mask("4111-1111-1111-1234", &partial(0, 4), "card")
            .unwrap(),
        "****-****-****-1234"
    );
    assert_eq!(
        m.mask("4111111111111234", &partial(6, 4), "card").unwrap(),
        "411111******1234"
    );
}

#[test]
fn partial_email_keeps_separators() {
    let m = Masker::new(None);
    assert_eq!(
        m.mask("john.doe@example.com", &partial(1, 0), "email")
            .unwrap(),
        "j***.***@*******.***"
    );
}

#[test]
fn partial_counts_characters_not_bytes() {
    let m = Masker::new(None);
    // Three CJK characters, 9 bytes: keep the last one.
    assert_eq!(m.mask("张三丰", &partial(0, 1), "name").unwrap(), "**丰");
    assert_eq!(
        m.mask("王小明 先生", &partial(1, 0), "name").unwrap(),
        "王** **"
    );
    let hash = Method::Partial {
        keep_first: 0,
        keep_last: 2,
        mask_char: Some('#'),
    };
    assert_eq!(m.mask("Ünïcødé", &hash, "x").unwrap(), "#####dé");
}

#[test]
fn partial_counts_covering_the_value_mask_everything() {
    let m = Masker::new(None);
    assert_eq!(m.mask("1234", &partial(0, 4), "pin").unwrap(), "****");
    assert_eq!(m.mask("1234", &partial(10, 10), "pin").unwrap(), "****");
    assert_eq!(
        m.mask("12-34", &partial(usize::MAX, usize::MAX), "x")
            .unwrap(),
        "**-**"
    );
    assert_eq!(m.mask("", &partial(1, 1), "x").unwrap(), "");
    assert_eq!(m.mask("--", &partial(0, 0), "x").unwrap(), "--");
    assert_eq!(m.mask("12345", &partial(0, 0), "x").unwrap(), "*****");
}

// ---------------------------------------------------------------- hash

#[test]
fn hash_is_deterministic_keyed_and_sized() {
    let a = masker();
    let b = other_masker();
    let h = Method::Hash { len: None };
    let x1 = a.mask("alice@example.com", &h, "email").unwrap();
    let x2 = a.mask("alice@example.com", &h, "other-label").unwrap();
    assert_eq!(x1, x2, "same value and key, same hash (joins work)");
    assert!(x1.starts_with("h:"));
    assert_eq!(x1.len(), 2 + 16);
    assert!(x1[2..]
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_ne!(
        x1,
        b.mask("alice@example.com", &h, "email").unwrap(),
        "key matters"
    );
    assert_ne!(x1, a.mask("bob@example.com", &h, "email").unwrap());

    let long = a
        .mask("alice@example.com", &Method::Hash { len: Some(64) }, "e")
        .unwrap();
    assert_eq!(long.len(), 2 + 64);
    assert!(
        long.starts_with(&x1),
        "shorter hashes are prefixes of longer ones"
    );
    let short = a
        .mask("alice@example.com", &Method::Hash { len: Some(5) }, "e")
        .unwrap();
    assert_eq!(short.len(), 2 + 5);

    for bad in [0, 65] {
        let err = a
            .mask("v", &Method::Hash { len: Some(bad) }, "e")
            .unwrap_err();
        assert!(matches!(err, MaskError::InvalidOption(_)), "{err}");
    }
}

// ---------------------------------------------------------------- tokenize

#[test]
fn tokenize_round_trips_with_random_nonces() {
    let m = masker();
    let value = "alice@example.com — ünïcødé 张三";
    let t1 = m.mask(value, &Method::Tokenize, "email").unwrap();
    let t2 = m.mask(value, &Method::Tokenize, "email").unwrap();
    assert!(t1.starts_with("tok_"));
    assert!(!t1.contains(value));
    assert_ne!(t1, t2, "random nonce: two tokens of one value differ");
    assert_eq!(m.detokenize(&t1).unwrap(), value);
    assert_eq!(m.detokenize(&t2).unwrap(), value);
    // URL-safe alphabet, no padding: tokens can sit in URLs and JSON.
    assert!(t1[4..]
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    // The empty value tokenises too.
    let empty = m.mask("", &Method::Tokenize, "x").unwrap();
    assert_eq!(m.detokenize(&empty).unwrap(), "");
}

#[test]
fn token_from_another_key_is_rejected() {
    let t = masker().mask("secret", &Method::Tokenize, "x").unwrap();
    let err = other_masker().detokenize(&t).unwrap_err();
    assert_eq!(err, MaskError::BadToken);
    assert_eq!(err.to_string(), "wrong key or corrupted token");
}

#[test]
fn garbage_tokens_are_rejected_clearly() {
    let m = masker();
    for garbage in [
        "",
        "hello",
        "tok_",
        "tok_!!!!",
        "tok_AAAA",
        "h:0123456789abcdef",
    ] {
        let err = m.detokenize(garbage).unwrap_err();
        assert_eq!(err, MaskError::NotAToken, "{garbage:?}");
        assert_eq!(err.to_string(), "token is not a Palisade token");
    }
    // Right shape and length, random content: fails authentication.
    let fake = format!(
        "tok_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 40])
    );
    assert_eq!(m.detokenize(&fake).unwrap_err(), MaskError::BadToken);
}

#[test]
fn tampered_tokens_are_rejected() {
    let m = masker();
    let t = m
        .mask("4111111111111111", &Method::Tokenize, "card")
        .unwrap();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&t[4..])
        .unwrap();
    for i in [0, 11, 12, raw.len() - 1] {
        let mut bad = raw.clone();
        bad[i] ^= 0x01;
        let tampered = format!(
            "tok_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bad)
        );
        assert_eq!(
            m.detokenize(&tampered).unwrap_err(),
            MaskError::BadToken,
            "byte {i}"
        );
    }
    // Truncated by one byte.
    let cut = format!(
        "tok_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw[..raw.len() - 1])
    );
    assert!(m.detokenize(&cut).is_err());
}

// ---------------------------------------------------------------- fpe

#[test]
fn fpe_preserves_format_and_decrypts() {
    let m = masker();
    let value = "4111-1111-1111-1111";
    let masked = m.mask(value, &fpe(None, None), "card").unwrap();
    assert_eq!(masked.len(), value.len());
    assert_ne!(masked, value);
    for (a, b) in value.chars().zip(masked.chars()) {
        if a == '-' {
            assert_eq!(b, '-', "{masked}");
        } else {
            assert!(b.is_ascii_digit(), "{masked}");
        }
    }
    assert_eq!(m.fpe_decrypt(&masked, None, None).unwrap(), value);
    // Deterministic: the same input masks the same way.
    assert_eq!(m.mask(value, &fpe(None, None), "card").unwrap(), masked);
    // Another key gives another result and does not decrypt it.
    let other = other_masker();
    assert_ne!(other.mask(value, &fpe(None, None), "card").unwrap(), masked);
    assert_ne!(other.fpe_decrypt(&masked, None, None).unwrap(), value);
}

#[test]
fn fpe_tweak_changes_output_and_must_match() {
    let m = masker();
    let value = "+1 (555) 123-4567";
    let plain = m.mask(value, &fpe(Some(10), None), "phone").unwrap();
    let tweaked = m
        .mask(value, &fpe(Some(10), Some("tenant-a")), "phone")
        .unwrap();
    assert_ne!(plain, tweaked);
    assert_eq!(
        m.fpe_decrypt(&tweaked, Some(10), Some("tenant-a")).unwrap(),
        value
    );
    assert_ne!(m.fpe_decrypt(&tweaked, Some(10), None).unwrap(), value);
    assert!(tweaked.starts_with("+") && tweaked.contains(") ") && tweaked.contains('-'));
}

#[test]
fn fpe_radix_36_and_62() {
    let m = masker();
    let v36 = "AB12-cd34-ef56";
    let x = m.mask(v36, &fpe(Some(36), None), "id").unwrap();
    assert_eq!(x.len(), v36.len());
    assert_eq!(x.matches('-').count(), 2);
    assert_eq!(&x[4..5], "-");
    assert!(x
        .chars()
        .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_lowercase()));
    // Radix 36 is case-insensitive: decryption yields the lowercase value.
    assert_eq!(
        m.fpe_decrypt(&x, Some(36), None).unwrap(),
        v36.to_lowercase()
    );

    let v62 = "AbC123xYz_key";
    let y = m.mask(v62, &fpe(Some(62), None), "id").unwrap();
    assert_eq!(y.len(), v62.len());
    assert_eq!(&y[9..10], "_");
    assert!(y.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()));
    assert_eq!(m.fpe_decrypt(&y, Some(62), None).unwrap(), v62);
}

#[test]
fn fpe_leaves_non_ascii_in_place() {
    let m = masker();
    let value = "账号：6222 0210 0112 3456 789";
    let x = m.mask(value, &fpe(None, None), "account").unwrap();
    assert!(x.starts_with("账号："));
    assert_eq!(x.chars().count(), value.chars().count());
    assert_eq!(m.fpe_decrypt(&x, None, None).unwrap(), value);
}

#[test]
fn fpe_too_short_is_a_clear_error() {
    let m = masker();
    let err = m.mask("12-345", &fpe(None, None), "zip").unwrap_err();
    assert_eq!(
        err,
        MaskError::TooShort {
            len: 5,
            min: 6,
            radix: 10
        }
    );
    assert!(err.to_string().contains("needs at least 6"), "{err}");
    assert!(m.mask("abc", &fpe(Some(36), None), "id").is_err());
    assert!(m.mask("abcd", &fpe(Some(36), None), "id").is_ok());
    assert!(m.mask("123456", &fpe(None, None), "x").is_ok());
}

#[test]
fn fpe_rejects_unknown_radix_and_huge_values() {
    let m = masker();
    let err = m.mask("123456", &fpe(Some(16), None), "x").unwrap_err();
    assert_eq!(err, MaskError::FpeRadix { radix: 16 });
    assert!(m.fpe_decrypt("123456", Some(2), None).is_err());
    let huge = "7".repeat(palisade_mask::MAX_FPE_NUMERALS + 1);
    assert!(matches!(
        m.mask(&huge, &fpe(None, None), "x").unwrap_err(),
        MaskError::TooLong { .. }
    ));
}

#[test]
fn fpe_handles_long_values() {
    let m = masker();
    let value: String = (0..300)
        .map(|i| char::from(b'0' + (i * 3 % 10) as u8))
        .collect();
    let x = m.mask(&value, &fpe(None, Some("t")), "x").unwrap();
    assert_ne!(x, value);
    assert_eq!(m.fpe_decrypt(&x, None, Some("t")).unwrap(), value);
}

// ---------------------------------------------------------------- keys

#[test]
fn subkeys_are_separated_per_method() {
    // The hash must be keyed with a derived subkey, not the master key, so
    // publishing hashes reveals nothing about the token or FPE keys.
    let m = masker();
    let h = m.mask("x", &Method::Hash { len: Some(64) }, "").unwrap();
    use hmac::Mac as _;
    let mut direct = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(&[0x42; 32]).unwrap();
    direct.update(b"x");
    let direct: String = direct
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_ne!(
        &h[2..],
        direct,
        "hash must use a derived subkey, not the master key"
    );
}

// ---------------------------------------------------------------- serde

#[test]
fn methods_deserialise_from_config() {
    let cases = [
        (r#"{"method":"redact"}"#, Method::Redact { label: None }),
        (
            r#"{"method":"redact","label":"[PII]"}"#,
            Method::Redact {
                label: Some("[PII]".into()),
            },
        ),
        (r#"{"method":"partial","keep_last":4}"#, partial(0, 4)),
        (
            r#"{"method":"hash","len":8}"#,
            Method::Hash { len: Some(8) },
        ),
        (r#"{"method":"tokenize"}"#, Method::Tokenize),
        (
            r#"{"method":"fpe","radix":36,"tweak":"t"}"#,
            fpe(Some(36), Some("t")),
        ),
    ];
    for (json, want) in cases {
        let got: Method = serde_json::from_str(json).unwrap();
        assert_eq!(got, want, "{json}");
        let again: Method = serde_json::from_str(&serde_json::to_string(&got).unwrap()).unwrap();
        assert_eq!(again, want);
    }
    assert!(serde_json::from_str::<Method>(r#"{"method":"rot13"}"#).is_err());
}

// ---------------------------------------------------------------- mask_spans

fn span(start: usize, end: usize, method: Method, label: &str) -> (usize, usize, Method, String) {
    (start, end, method, label.to_owned())
}

#[test]
fn mask_spans_masks_several_spans_in_any_order() {
    let m = masker();
    let text = "Mail alice@example.com or call 555-123-4567 now";
    let email = (5, 22);
    let phone = (31, 43);
    assert_eq!(&text[email.0..email.1], "alice@example.com");
    assert_eq!(&text[phone.0..phone.1], "555-123-4567");
    let spans = vec![
        span(phone.0, phone.1, partial(0, 4), "phone"),
        span(email.0, email.1, Method::Redact { label: None }, "email"),
    ];
    let out = m.mask_spans(text, &spans).unwrap();
    assert_eq!(out, "Mail [EMAIL] or call ***-***-4567 now");
}

#[test]
fn mask_spans_with_multibyte_text() {
    let m = masker();
    let text = "姓名：张三，电话：13812345678。";
    let name_start = text.find("张三").unwrap();
    let name_end = name_start + "张三".len();
    let phone_start = text.find("138").unwrap();
    let phone_end = phone_start + 11;
    let spans = vec![
        span(name_start, name_end, partial(1, 0), "name"),
        span(phone_start, phone_end, fpe(None, None), "phone"),
    ];
    let out = m.mask_spans(text, &spans).unwrap();
    assert!(out.starts_with("姓名：张*，电话："), "{out}");
    assert!(out.ends_with('。'));
    let masked_phone = &out[phone_start - "张三".len() + "张*".len()..][..11];
    assert!(masked_phone.chars().all(|c| c.is_ascii_digit()));
    assert_ne!(masked_phone, "13812345678");
    assert_eq!(
        m.fpe_decrypt(masked_phone, None, None).unwrap(),
        "13812345678"
    );
}

#[test]
fn mask_spans_skips_invalid_and_overlapping_spans() {
    let m = Masker::new(None);
    let text = "ab张cd";
    let redact = || Method::Redact {
        label: Some("X".into()),
    };
    let spans = vec![
        span(0, 100, redact(), ""), // out of bounds
        span(3, 4, redact(), ""),   // inside 张 (bytes 2..5)
        span(4, 2, redact(), ""),   // reversed
        span(1, 1, redact(), ""),   // empty
        span(5, 7, redact(), ""),   // "cd": kept
        span(6, 7, redact(), ""),   // overlaps "cd": skipped
        span(0, 1, redact(), ""),   // "a": kept
        span(0, 2, redact(), ""),   // same start, longer: wins over (0, 1)
    ];
    assert_eq!(m.mask_spans(text, &spans).unwrap(), "X张X");
    assert_eq!(m.mask_spans(text, &[]).unwrap(), text);
    assert_eq!(
        m.mask_spans(text, &[span(usize::MAX - 1, usize::MAX, redact(), "")])
            .unwrap(),
        text
    );
}

#[test]
fn mask_spans_fails_closed_on_method_errors() {
    let m = masker();
    let text = "zip 12345 card 4111111111111111";
    let spans = vec![
        span(15, 31, fpe(None, None), "card"),
        span(4, 9, fpe(None, None), "zip"),
    ];
    assert!(matches!(
        m.mask_spans(text, &spans),
        Err(MaskError::TooShort { .. })
    ));
}

fn any_method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Redact { label: None }),
        (0usize..4, 0usize..4).prop_map(|(a, b)| partial(a, b)),
        Just(Method::Hash { len: Some(8) }),
        Just(Method::Tokenize),
    ]
}

proptest! {
    #[test]
    fn mask_spans_never_panics(
        text in "[a-z0-9 @.é张😀-]{0,40}",
        spans in proptest::collection::vec((0usize..60, 0usize..60, any_method(), "[a-z]{0,5}"), 0..8),
    ) {
        let m = masker();
        let out = m.mask_spans(&text, &spans);
        prop_assert!(out.is_ok());
    }

    #[test]
    fn mask_spans_with_no_valid_span_is_identity(
        text in "[a-z张]{0,20}",
        start in 50usize..100,
    ) {
        let m = Masker::new(None);
        let spans = vec![(start, start + 3, Method::Redact { label: None }, String::new())];
        prop_assert_eq!(m.mask_spans(&text, &spans).unwrap(), text);
    }

    #[test]
    fn fpe_round_trips_formatted_values(
        value in "[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{0,30}",
        tweak in proptest::option::of("[a-z]{0,8}"),
    ) {
        let m = masker();
        let method = fpe(None, tweak.as_deref());
        let x = m.mask(&value, &method, "n").unwrap();
        prop_assert_eq!(x.len(), value.len());
        prop_assert_eq!(m.fpe_decrypt(&x, None, tweak.as_deref()).unwrap(), value);
    }

    #[test]
    fn partial_preserves_length_and_separators(
        value in "[a-zA-Z0-9 .@张-]{0,30}",
        first in 0usize..5,
        last in 0usize..5,
    ) {
        let out = Masker::new(None).mask(&value, &partial(first, last), "x").unwrap();
        prop_assert_eq!(out.chars().count(), value.chars().count());
        for (a, b) in value.chars().zip(out.chars()) {
            if !a.is_alphanumeric() {
                prop_assert_eq!(a, b);
            } else {
                prop_assert!(a == b || b == '*');
            }
        }
    }
}
