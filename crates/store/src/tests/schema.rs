use super::sample;
use crate::{EventQuery, NewKey, Store, StoreError, SCHEMA_VERSION};
use rusqlite::Connection;

#[test]
fn file_store_reopens_with_its_data_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/palisade.db");
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.path(), Some(path.as_path()));
        store.insert_events(&[sample(1), sample(2)]).unwrap();
        store
            .create_key(&NewKey {
                name: "ci".into(),
                ..Default::default()
            })
            .unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a new store is private to its owner");
    }
    let store = Store::open(&path).unwrap();
    let mode: String = store
        .conn()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = store
        .conn()
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 1, "synchronous=NORMAL");
    assert_eq!(store.count_events().unwrap(), 2);
    let page = store.query_events(&EventQuery::default()).unwrap();
    assert_eq!(page.events[0].request_id, sample(2).request_id);
    assert_eq!(store.list_keys().unwrap()[0].name, "ci");

    let version: i64 = store
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn in_memory_store_has_no_path() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.path(), None);
}

#[test]
fn newer_schema_is_refused_naming_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 41)
            .unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 41),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&(SCHEMA_VERSION + 41).to_string()), "{msg}");
    assert!(msg.contains("future.db"), "{msg}");
}

#[test]
fn unopenable_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be: SQLite cannot open it.
    let path = dir.path().join("taken");
    std::fs::create_dir(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("taken"), "{msg}");
}

#[test]
fn data_version_moves_when_another_connection_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dv.db");
    let gateway = Store::open(&path).unwrap();
    let cli = Store::open(&path).unwrap();
    let before = gateway.data_version().unwrap();
    gateway.insert_events(&[sample(1)]).unwrap();
    assert_eq!(
        gateway.data_version().unwrap(),
        before,
        "own commits do not count"
    );
    let key = cli
        .create_key(&NewKey {
            name: "from-cli".into(),
            ..Default::default()
        })
        .unwrap();
    assert_ne!(gateway.data_version().unwrap(), before);
    assert_eq!(gateway.active_keys().unwrap()[0].id, key.record.id);
}
