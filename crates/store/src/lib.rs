//! Palisade's store: recorded events, gateway API keys and scanner state
//! (imported advisories, MCP tool pins) in one SQLite file.
//!
//! Design:
//! - One file, WAL mode, so the gateway writes while the CLI and the SOC
//!   read, and key changes made by `palisade keys` reach a running gateway
//!   (it polls [`Store::data_version`] and reloads [`Store::active_keys`]).
//! - Each event is stored twice over: the columns that filters and indexes
//!   need, and the whole [`Event`](palisade_core::Event) as JSON in `body`,
//!   so every field round-trips exactly and new fields need no migration.
//! - Request handlers never touch SQLite: they submit to an
//!   [`EventWriter`], a bounded queue drained by one OS thread that writes
//!   batches in single transactions.
//! - Keys are `pk_<id>_<secret>`; only SHA-256 of the whole key is stored
//!   and compared in constant time.
//! - The schema is versioned with `PRAGMA user_version`; a file from a newer
//!   build is refused instead of misread.

#![warn(missing_docs)]

mod error;
mod events;
mod keys;
mod response;
mod scan_state;
mod schema;
mod store;
mod writer;

pub use error::StoreError;
pub use events::{EventPage, EventQuery, DEFAULT_LIMIT, MAX_LIMIT};
pub use keys::{
    key_id_of, verify_key, CreatedKey, KeyRecord, NewKey, KEY_ID_LEN, KEY_PREFIX, KEY_SECRET_LEN,
};
pub use response::{BlockRecord, EndpointRow, IncidentRow};
pub use scan_state::{AdvisoryRow, PinOutcome};
pub use schema::SCHEMA_VERSION;
pub use store::Store;
pub use writer::{EventWriter, OnFull, Submitted, WriterConfig, WriterStats};

#[cfg(test)]
mod tests;
