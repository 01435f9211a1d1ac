//! Column classification of CSV, JSON and JSONL.

use palisade_dlp::structured::{classify_csv, classify_json, Hints};
use palisade_dlp::{Engine, Grade};

fn col<'a>(
    c: &'a palisade_dlp::structured::Classification,
    name: &str,
) -> &'a palisade_dlp::structured::Column {
    c.columns
        .iter()
        .find(|x| x.column == name)
        .unwrap_or_else(|| panic!("no column {name}: {c:?}"))
}

#[test]
fn csv_columns_by_values_and_names() {
    let e = Engine::builtin().unwrap();
    let h = Hints::builtin().unwrap();
    let csv = "id,contact,身份证号,notes,mobile\n\
1,ann@example.org,11010519491231002X,likes tea,13701720368\n\
2,bob.lee@mail.example.net,440524188001010014,,18757639900\n\
3,carol@corp.example.com,,call back,15038995854\n";
    let c = classify_csv(&e, &h, csv).unwrap();
    assert_eq!(c.records, 3);
    assert_eq!(col(&c, "contact").type_id.as_deref(), Some("email_address"));
    assert!(!col(&c, "contact").name_hint && col(&c, "contact").share > 0.99);
    assert_eq!(
        col(&c, "身份证号").type_id.as_deref(),
        Some("cn_resident_id")
    );
    assert!(col(&c, "身份证号").name_hint);
    assert_eq!(col(&c, "mobile").type_id.as_deref(), Some("cn_mobile"));
    assert_eq!(col(&c, "notes").type_id, None);
    assert_eq!(col(&c, "id").type_id, None);
    assert_eq!(c.grade, Some(Grade::S4));
}

#[test]
fn json_and_jsonl_keys_are_paths() {
    let e = Engine::builtin().unwrap();
    let h = Hints::builtin().unwrap();
    let json = r#"[{"user": {"email": "a@example.org", "ip": "10.1.2.3"}, "items": [{"sku": "A-1"}]},
                  {"user": {"email": "b@example.org", "ip": "192.168.7.20"}, "items": [{"sku": "B-2"}]}]"#;
    let c = classify_json(&e, &h, json, false).unwrap();
    assert_eq!(c.records, 2);
    assert_eq!(
        col(&c, "user.email").type_id.as_deref(),
        Some("email_address")
    );
    assert_eq!(col(&c, "user.ip").type_id.as_deref(), Some("ipv4_address"));
    assert_eq!(col(&c, "items[].sku").type_id, None);
    let jsonl = "{\"password\": \"hunter2\"}\n\n{\"password\": \"x\"}\n";
    let c = classify_json(&e, &h, jsonl, true).unwrap();
    assert_eq!(c.records, 2);
    assert!(col(&c, "password").name_hint);
}

#[test]
fn malformed_input_is_a_clear_error() {
    let e = Engine::builtin().unwrap();
    let h = Hints::builtin().unwrap();
    let err = classify_json(&e, &h, "{\"a\": 1}\n{bad\n", true)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("JSON line 2:"), "{err}");
    let err = classify_json(&e, &h, "[1, 2", false)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("JSON line 1:"), "{err}");
    // A ragged CSV is read (flexible), not rejected.
    assert!(classify_csv(&e, &h, "a,b\n1\n2,3,4\n").is_ok());
}
