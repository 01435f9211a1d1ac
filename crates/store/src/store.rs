use crate::{schema, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// How long a statement waits for another connection's write lock (the CLI
/// revoking a key while the gateway writes events) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite store: events and gateway API keys in one file.
///
/// WAL mode lets the SOC and the CLI read while the gateway writes;
/// `synchronous=NORMAL` is durable across process crashes (only a power cut
/// can lose the last transactions), which is the right trade for an audit
/// log written in batches. One connection behind a mutex keeps the type
/// `Send + Sync` without a pool: writes are serialised by SQLite anyway and
/// the writer batches them.
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// The file path or `:memory:`, precomputed for error messages.
    label: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("store", &self.label).finish()
    }
}

impl Store {
    /// Opens (creating if missing) the store at `path`, creating its parent
    /// directory and the schema as needed. Refuses a file whose schema is
    /// newer than this build.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let label = path.display().to_string();
        let created = !path.exists();
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            store: label.clone(),
            source,
        })?;
        if created {
            restrict_to_owner(path);
        }
        Store::init(conn, Some(path.to_path_buf()), label)
    }

    /// Opens a private in-memory store (tests, `--no-store` runs). It is
    /// lost when dropped.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let label = ":memory:".to_string();
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            store: label.clone(),
            source,
        })?;
        Store::init(conn, None, label)
    }

    fn init(
        mut conn: Connection,
        path: Option<PathBuf>,
        label: String,
    ) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            store: label.clone(),
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_err)?;
        if path.is_some() && !mode.eq_ignore_ascii_case("wal") {
            // Some filesystems (network mounts) cannot do WAL; the store
            // still works, only readers now block the writer.
            tracing::warn!(store = %label, journal_mode = %mode, "event store is not in WAL mode");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        schema::migrate(&mut conn, &label)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path,
            label,
        })
    }

    /// The file backing the store; `None` when in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// SQLite's `PRAGMA data_version`: it changes whenever another
    /// connection (the CLI, another process) commits to the file, so the
    /// gateway can poll it cheaply and reload its key cache only then.
    /// Commits through this store do not change it.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn()
            .pragma_query_value(None, "data_version", |row| row.get(0))
            .map_err(|source| self.sql_err("reading data_version", source))
    }

    /// The connection. A panic while it was held cannot leave SQLite in a
    /// half-written state (an open transaction rolls back when dropped), so
    /// a poisoned lock is recovered rather than turned into an error.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn sql_err(&self, op: &'static str, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            op,
            store: self.label.clone(),
            source,
        }
    }

    pub(crate) fn json_err(&self, op: &'static str, source: serde_json::Error) -> StoreError {
        StoreError::Json {
            op,
            store: self.label.clone(),
            source,
        }
    }

    pub(crate) fn corrupt(&self, detail: String) -> StoreError {
        StoreError::Corrupt {
            store: self.label.clone(),
            detail,
        }
    }
}

/// Milliseconds since the Unix epoch; a clock before 1970 reads as 0 rather
/// than failing a key operation.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The store holds key hashes, client addresses and findings quoting user
/// text: a new file is made readable by its owner only (SQLite gives the
/// `-wal` and `-shm` files the same mode). Best effort: a file system
/// without Unix modes keeps its defaults.
fn restrict_to_owner(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!("cannot restrict {} to its owner: {e}", path.display());
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
