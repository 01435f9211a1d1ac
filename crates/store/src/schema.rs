//! The schema and its version. Version numbers only grow; each step in
//! `MIGRATIONS` upgrades from the previous version, so an old file is
//! brought forward on open and a newer file is refused (its columns may
//! mean something this build does not know).

use crate::StoreError;
use rusqlite::{Connection, TransactionBehavior};

/// The newest schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 6;

/// `MIGRATIONS[i]` upgrades a file from version `i` to `i + 1`.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [V1, V2, V3, V4, V5, V6];

/// Version 6: analysts' verdicts on alerts, which triage learns from
/// (allowlists of rule × entity that keep being dismissed).
const V6: &str = "
CREATE TABLE IF NOT EXISTS soc_feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms     INTEGER NOT NULL,
    rule_id     TEXT    NOT NULL,
    entities    TEXT    NOT NULL,
    verdict     TEXT    NOT NULL
);
";

/// Version 5: logs ingested by the SOC, each as its OCSF-aligned JSON
/// document (which keeps the original record under `raw`).
const V5: &str = "
CREATE TABLE IF NOT EXISTS soc_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms     INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    class       TEXT    NOT NULL,
    doc         TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS soc_events_time ON soc_events(time_ms);
";

/// Version 4: the API inventory the gateway learns from traffic, one row
/// per (method, path template) with its statistics as JSON.
const V4: &str = "
CREATE TABLE IF NOT EXISTS api_endpoints (
    method      TEXT    NOT NULL,
    template    TEXT    NOT NULL,
    first_ms    INTEGER NOT NULL,
    last_ms     INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    doc         TEXT    NOT NULL,
    PRIMARY KEY (method, template)
);
";

/// Version 3: response state. Client blocks (written by the gateway's
/// admin API, e.g. on behalf of a SOC playbook, read by every gateway on
/// the store), and the SOC's alerts, incidents and audited actions, each a
/// JSON document with the columns that queries filter on.
const V3: &str = "
CREATE TABLE IF NOT EXISTS client_blocks (
    addr        TEXT    PRIMARY KEY,
    until_ms    INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS soc_incidents (
    id          TEXT    PRIMARY KEY,
    first_ms    INTEGER NOT NULL,
    last_ms     INTEGER NOT NULL,
    severity    TEXT    NOT NULL,
    verdict     TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    doc         TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS soc_incidents_first ON soc_incidents(first_ms);
CREATE TABLE IF NOT EXISTS soc_actions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms     INTEGER NOT NULL,
    incident    TEXT    NOT NULL,
    doc         TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS soc_actions_incident ON soc_actions(incident);
";

/// Version 2: scanner state. Advisories are whole OSV documents keyed by
/// id (a re-import replaces them), with one row per affected package so a
/// lookup by package name is an index probe. Tool pins remember the hash of
/// each MCP tool's definition per scope (a config file or server), so a
/// changed description is noticed on the next scan.
const V2: &str = "
CREATE TABLE IF NOT EXISTS advisories (
    id          TEXT    PRIMARY KEY,
    source      TEXT    NOT NULL,
    modified    TEXT,
    imported_ms INTEGER NOT NULL,
    doc         TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS advisory_packages (
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    PRIMARY KEY (ecosystem, name, advisory_id)
);
CREATE TABLE IF NOT EXISTS tool_pins (
    scope       TEXT    NOT NULL,
    server      TEXT    NOT NULL,
    tool        TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    first_ms    INTEGER NOT NULL,
    changed_ms  INTEGER NOT NULL,
    PRIMARY KEY (scope, server, tool)
);
";

const V1: &str = "
CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms     INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    request_id  TEXT    NOT NULL,
    route       TEXT    NOT NULL,
    key_id      TEXT,
    client_addr TEXT,
    model       TEXT,
    upstream    TEXT,
    direction   TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    flagged     INTEGER NOT NULL,
    categories  TEXT    NOT NULL,
    tier        TEXT,
    status      INTEGER NOT NULL,
    stream      INTEGER NOT NULL,
    error       TEXT,
    body        TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time_ms    ON events(time_ms);
CREATE INDEX IF NOT EXISTS events_key_id     ON events(key_id);
CREATE INDEX IF NOT EXISTS events_request_id ON events(request_id);
CREATE INDEX IF NOT EXISTS events_action     ON events(action);

CREATE TABLE IF NOT EXISTS api_keys (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    policy     TEXT,
    models     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER,
    hash       BLOB    NOT NULL
);
";

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Brings the schema up to [`SCHEMA_VERSION`], or refuses a newer file.
pub(crate) fn migrate(conn: &mut Connection, store: &str) -> Result<(), StoreError> {
    let sql_err = |source| StoreError::Sqlite {
        op: "creating the schema",
        store: store.to_string(),
        source,
    };
    // IMMEDIATE takes the write lock before reading the version, so two
    // processes opening a fresh file cannot both run the same migration.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_err)?;
    let found = user_version(&tx).map_err(sql_err)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            store: store.to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    // A negative user_version is never written by us; treating it as 0
    // would re-run every migration on a foreign file, so refuse it too.
    let start = usize::try_from(found).map_err(|_| StoreError::Corrupt {
        store: store.to_string(),
        detail: format!("negative schema version {found}"),
    })?;
    for step in MIGRATIONS.iter().skip(start) {
        tx.execute_batch(step).map_err(sql_err)?;
    }
    if found < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sql_err)?;
    }
    tx.commit().map_err(sql_err)
}
