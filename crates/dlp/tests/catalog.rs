//! The built-in catalogue: loads, compiles, and every type's examples
//! behave as written; plus engine behaviour that examples cannot show.

use palisade_dlp::{check_examples, Catalog, Engine};

fn engine() -> Engine {
    Engine::builtin().expect("built-in catalogue")
}

#[test]
fn every_example_of_every_type_passes() {
    let e = engine();
    let failures = check_examples(&e);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn catalogue_has_unique_ids_and_known_validators() {
    let c = Catalog::builtin().expect("catalogue");
    assert!(!c.types().is_empty());
    for t in c.types() {
        if let Some(v) = &t.validator {
            assert!(
                palisade_dlp::validate::VALIDATORS.contains(&v.as_str()),
                "{}: {v}",
                t.id
            );
        }
    }
}

#[test]
fn load_errors_name_file_type_and_line() {
    let bad = Catalog::from_sources(std::iter::once((
        "types/bad.yaml".to_string(),
        "types:\n  - id: x\n    name: X\n    category: personal\n    grade: S9\n".to_string(),
    )))
    .unwrap_err()
    .to_string();
    assert!(bad.starts_with("types/bad.yaml line"), "{bad}");
    let yaml = |extra: &str| {
        format!(
            "types:\n  - id: t1\n    name: T\n    category: personal\n    grade: S3\n    score: 0.9\n    patterns: ['{extra}']\n    examples: {{positive: [a, b], negative: [c, d]}}\n"
        )
    };
    let cat =
        Catalog::from_sources(std::iter::once(("f.yaml".to_string(), yaml("(unclosed")))).unwrap();
    let err = Engine::new(cat).err().expect("bad regex").to_string();
    assert!(
        err.starts_with("f.yaml: type \"t1\": patterns[0] does not compile"),
        "{err}"
    );
    let dup = format!("{}{}", yaml("a"), yaml("b").replace("types:\n", ""));
    let err = Catalog::from_sources(std::iter::once(("d.yaml".to_string(), dup)))
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate id"), "{err}");
}

#[test]
fn spans_are_utf8_byte_offsets_and_never_panic_on_odd_text() {
    let e = engine();
    let text = "客户电话13701720368，身份证610113195707107885。";
    for ent in e.scan(text) {
        assert!(text.is_char_boundary(ent.start) && text.is_char_boundary(ent.end));
        assert!(ent.start < ent.end && ent.end <= text.len());
    }
    for t in [
        "",
        "\u{0}",
        "１３７０１７２０３６８",
        &"9".repeat(100_000),
        &"a@b.".repeat(10_000),
    ] {
        let _ = e.scan(t);
    }
}
