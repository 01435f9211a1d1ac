use crate::{
    key_id_of, verify_key, NewKey, Store, StoreError, KEY_ID_LEN, KEY_PREFIX, KEY_SECRET_LEN,
};
use proptest::prelude::*;
use std::collections::HashSet;

fn new_key(name: &str) -> NewKey {
    NewKey {
        name: name.into(),
        policy: Some("strict".into()),
        models: vec!["gpt-4o".into(), "claude".into()],
    }
}

#[test]
fn created_key_verifies_and_has_the_documented_shape() {
    let store = Store::open_in_memory().unwrap();
    let created = store.create_key(&new_key("ci")).unwrap();
    let key = &created.secret;
    let rest = key.strip_prefix(KEY_PREFIX).unwrap();
    let (id, secret) = rest.split_once('_').unwrap();
    assert_eq!(id, created.record.id);
    assert_eq!(id.len(), KEY_ID_LEN);
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(secret.len(), KEY_SECRET_LEN);
    assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric()));

    assert_eq!(key_id_of(key), Some(id));
    let stored = store.key(id).unwrap().unwrap();
    assert_eq!(stored, created.record);
    assert_eq!(stored.policy.as_deref(), Some("strict"));
    assert_eq!(stored.models, vec!["gpt-4o", "claude"]);
    assert!(stored.allows_model("claude") && !stored.allows_model("llama"));
    assert!(verify_key(&stored, key));
    assert!(stored.created_ms > 0 && stored.revoked_ms.is_none());
}

#[test]
fn only_the_hash_is_stored() {
    let store = Store::open_in_memory().unwrap();
    let created = store.create_key(&new_key("ci")).unwrap();
    let secret_part = created.secret.rsplit('_').next().unwrap().to_string();
    let conn = store.conn();
    let mut stmt = conn.prepare("SELECT * FROM api_keys").unwrap();
    let columns = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    let row = rows.next().unwrap().unwrap();
    for i in 0..columns {
        let v: rusqlite::types::Value = row.get(i).unwrap();
        let text = format!("{v:?}");
        assert!(!text.contains(&secret_part), "column {i} holds the secret");
    }
}

#[test]
fn wrong_secret_or_tampered_id_fails() {
    let store = Store::open_in_memory().unwrap();
    let created = store.create_key(&new_key("ci")).unwrap();
    let record = &created.record;
    let key = &created.secret;

    // Same id, one character of the secret changed.
    let mut wrong = key.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'a' { 'b' } else { 'a' });
    assert_eq!(key_id_of(&wrong), Some(record.id.as_str()));
    assert!(!verify_key(record, &wrong));
    assert!(!verify_key(record, ""));
    assert!(!verify_key(record, &format!("{key}x")));

    // A different id names no stored key, and could not verify anyway.
    let first = record.id.as_bytes()[0];
    let other = if first == b'0' { '1' } else { '0' };
    let tampered = format!("{KEY_PREFIX}{other}{}", &key[KEY_PREFIX.len() + 1..]);
    let tampered_id = key_id_of(&tampered).unwrap();
    assert_ne!(tampered_id, record.id);
    assert!(store.key(tampered_id).unwrap().is_none());
    assert!(store
        .active_keys()
        .unwrap()
        .iter()
        .all(|k| k.id != tampered_id));
    assert!(!verify_key(record, &tampered));
}

#[test]
fn revoked_keys_leave_the_active_set_but_stay_listed() {
    let store = Store::open_in_memory().unwrap();
    let a = store.create_key(&new_key("a")).unwrap();
    let b = store.create_key(&new_key("b")).unwrap();
    assert_eq!(store.active_keys().unwrap().len(), 2);

    assert!(store.revoke_key(&a.record.id).unwrap());
    assert!(!store.revoke_key(&a.record.id).unwrap(), "already revoked");
    assert!(!store.revoke_key("000000000000").unwrap(), "unknown");
    assert!(!store.revoke_key("x' OR '1'='1").unwrap());

    let active = store.active_keys().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].id, b.record.id);
    assert_eq!(active[0].hash, b.record.hash);

    let listed = store.list_keys().unwrap();
    assert_eq!(listed.len(), 2);
    let revoked = listed.iter().find(|k| k.id == a.record.id).unwrap();
    assert!(revoked.revoked_ms.is_some() && revoked.is_revoked());
    assert!(
        !verify_key(revoked, &a.secret),
        "a revoked record never verifies"
    );
    assert!(listed
        .iter()
        .any(|k| k.id == b.record.id && k.revoked_ms.is_none()));
}

#[test]
fn keys_are_unique() {
    let store = Store::open_in_memory().unwrap();
    let mut ids = HashSet::new();
    let mut secrets = HashSet::new();
    for i in 0..50 {
        let k = store.create_key(&new_key(&format!("k{i}"))).unwrap();
        assert!(ids.insert(k.record.id.clone()));
        assert!(secrets.insert(k.secret.clone()));
    }
    assert_eq!(store.list_keys().unwrap().len(), 50);
}

#[test]
fn invalid_specs_are_refused() {
    let store = Store::open_in_memory().unwrap();
    let err = store.create_key(&new_key("  ")).unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput { .. }), "{err:?}");
    let err = store
        .create_key(&NewKey {
            name: "x".into(),
            policy: None,
            models: vec![String::new()],
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput { .. }), "{err:?}");
    assert!(store.list_keys().unwrap().is_empty());
}

#[test]
fn secrets_stay_out_of_debug_and_json() {
    let store = Store::open_in_memory().unwrap();
    let created = store.create_key(&new_key("ci")).unwrap();
    let debug = format!("{created:?}");
    assert!(!debug.contains(&created.secret), "{debug}");
    let json = serde_json::to_value(&created.record).unwrap();
    assert!(json.get("hash").is_none(), "{json}");
    assert_eq!(json["id"], created.record.id.as_str());
    assert_eq!(json["revoked_ms"], serde_json::Value::Null);
}

#[test]
fn key_id_of_rejects_garbage() {
    let good_secret = "A".repeat(KEY_SECRET_LEN);
    for s in [
        String::new(),
        "pk_".into(),
        "pk__".into(),
        "Bearer x".into(),
        format!("Bearer pk_0123456789ab_{good_secret}"),
        "pk_0123456789ab".into(),
        "pk_0123456789ab_".into(),
        format!("pk_0123456789AB_{good_secret}"),
        format!("pk_0123456789a_{good_secret}"),
        format!("pk_0123456789abc_{good_secret}"),
        format!("pk_0123456789ab_{good_secret}A"),
        format!("pk_0123456789ab_{}", &good_secret[1..]),
        format!("pk_0123456789ab_{}_", &good_secret[1..]),
        format!("pk_0123456789ab_{}é", &good_secret[2..]),
        format!("pk_ééééééab_{good_secret}"),
        "pk_日本語日本語日本語日本語_x".into(),
        "🔑".into(),
        format!("sk_0123456789ab_{good_secret}"),
    ] {
        assert_eq!(key_id_of(&s), None, "{s:?}");
    }
    assert_eq!(
        key_id_of(&format!("pk_0123456789ab_{good_secret}")),
        Some("0123456789ab")
    );
}

proptest! {
    #[test]
    fn key_id_of_never_panics(s in any::<String>()) {
        let _ = key_id_of(&s);
        let _ = key_id_of(&format!("pk_{s}"));
    }

    #[test]
    fn key_id_of_returns_the_id_of_every_well_formed_key(
        id in "[0-9a-f]{12}",
        secret in "[A-Za-z0-9]{32}",
    ) {
        let key = format!("pk_{id}_{secret}");
        prop_assert_eq!(key_id_of(&key), Some(id.as_str()));
    }
}
