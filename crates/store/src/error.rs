use std::path::PathBuf;

/// Everything that can go wrong in the store. Each message names the store
/// (its file, or `:memory:`) and the operation, because the gateway logs
/// these verbatim and an operator has to know which file to look at.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The parent directory of the database file could not be created.
    #[error("creating directory {path} for the event store: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// SQLite could not open the file or apply the connection settings.
    #[error("opening event store {store}: {source}")]
    Open {
        /// The file, or `:memory:`.
        store: String,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer Palisade; reading it could silently
    /// misinterpret columns, so it is refused.
    #[error(
        "event store {store} has schema version {found}, but this build supports \
         up to version {supported}; upgrade Palisade or use another file"
    )]
    NewerSchema {
        /// The file, or `:memory:`.
        store: String,
        /// The `user_version` found in the file.
        found: i64,
        /// The newest version this build understands.
        supported: i64,
    },
    /// A statement failed.
    #[error("{op} in event store {store}: {source}")]
    Sqlite {
        /// What the store was doing, e.g. `inserting events`.
        op: &'static str,
        /// The file, or `:memory:`.
        store: String,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// A JSON column could not be written or read back.
    #[error("{op} in event store {store}: {source}")]
    Json {
        /// What the store was doing.
        op: &'static str,
        /// The file, or `:memory:`.
        store: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A row holds something no version of the store writes (e.g. a key
    /// hash of the wrong length), so the file was edited or damaged.
    #[error("corrupt row in event store {store}: {detail}")]
    Corrupt {
        /// The file, or `:memory:`.
        store: String,
        /// Which row and what is wrong.
        detail: String,
    },
    /// The caller passed something the store refuses to write.
    #[error("invalid input for event store {store}: {detail}")]
    InvalidInput {
        /// The file, or `:memory:`.
        store: String,
        /// What is wrong.
        detail: String,
    },
    /// The operating system's random source failed, so no key secret could
    /// be generated.
    #[error("generating a key secret: {0}")]
    Random(String),
}
