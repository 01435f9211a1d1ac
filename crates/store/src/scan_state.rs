//! Scanner state: imported advisories (OSV documents) and MCP tool pins.
//! The store keeps documents opaque (the scanner parses OSV); it only
//! indexes them by affected package so a scan asks for one package at a
//! time.

use crate::store::now_ms;
use crate::{Store, StoreError};
use rusqlite::{params, OptionalExtension};

/// One advisory to store: its id, where it came from, and the packages it
/// affects as `(ecosystem, name)` pairs already normalised by the caller.
#[derive(Debug, Clone)]
pub struct AdvisoryRow {
    /// The OSV id, e.g. `PYSEC-2023-162`.
    pub id: String,
    /// The import it came from (a file path or `builtin`).
    pub source: String,
    /// The OSV `modified` timestamp, if any.
    pub modified: Option<String>,
    /// The whole OSV document as JSON text.
    pub doc: String,
    /// Affected packages as `(ecosystem, normalised name)`.
    pub packages: Vec<(String, String)>,
}

/// What pinning a tool definition found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinOutcome {
    /// First time this tool was seen in this scope; now pinned.
    New,
    /// Same hash as pinned.
    Unchanged,
    /// The definition changed since it was pinned; the pin now holds the
    /// new hash (so the change is reported once) and this is the old one.
    Changed {
        /// The previously pinned hash.
        old_hash: String,
        /// The previously pinned description.
        old_description: String,
    },
}

impl Store {
    /// Inserts or replaces advisories in one transaction; returns how many
    /// were written.
    pub fn upsert_advisories(&self, rows: &[AdvisoryRow]) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(|e| self.sql_err("importing advisories", e))?;
        let now = now_ms();
        for r in rows {
            tx.execute(
                "DELETE FROM advisory_packages WHERE advisory_id = ?1",
                params![r.id],
            )
            .map_err(|e| self.sql_err("importing advisories", e))?;
            tx.execute(
                "INSERT OR REPLACE INTO advisories (id, source, modified, imported_ms, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![r.id, r.source, r.modified, now, r.doc],
            )
            .map_err(|e| self.sql_err("importing advisories", e))?;
            for (eco, name) in &r.packages {
                tx.execute(
                    "INSERT OR IGNORE INTO advisory_packages (ecosystem, name, advisory_id)
                     VALUES (?1, ?2, ?3)",
                    params![eco, name, r.id],
                )
                .map_err(|e| self.sql_err("importing advisories", e))?;
            }
        }
        tx.commit()
            .map_err(|e| self.sql_err("importing advisories", e))?;
        Ok(rows.len())
    }

    /// The OSV documents (JSON text) that list `(ecosystem, name)` as
    /// affected.
    pub fn advisories_for(&self, ecosystem: &str, name: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT a.doc FROM advisory_packages p JOIN advisories a ON a.id = p.advisory_id
                 WHERE p.ecosystem = ?1 AND p.name = ?2 ORDER BY a.id",
            )
            .map_err(|e| self.sql_err("reading advisories", e))?;
        let rows = stmt
            .query_map(params![ecosystem, name], |row| row.get::<_, String>(0))
            .map_err(|e| self.sql_err("reading advisories", e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql_err("reading advisories", e))
    }

    /// How many advisories are stored.
    pub fn advisory_count(&self) -> Result<u64, StoreError> {
        let conn = self.conn();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM advisories", [], |row| row.get(0))
            .map_err(|e| self.sql_err("counting advisories", e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Compares a tool definition's hash with its pin in `scope` and
    /// updates the pin.
    pub fn pin_tool(
        &self,
        scope: &str,
        server: &str,
        tool: &str,
        hash: &str,
        description: &str,
    ) -> Result<PinOutcome, StoreError> {
        let conn = self.conn();
        let old: Option<(String, String)> = conn
            .query_row(
                "SELECT hash, description FROM tool_pins WHERE scope = ?1 AND server = ?2 AND tool = ?3",
                params![scope, server, tool],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sql_err("reading tool pins", e))?;
        let now = now_ms();
        match old {
            None => {
                conn.execute(
                    "INSERT INTO tool_pins (scope, server, tool, hash, description, first_ms, changed_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    params![scope, server, tool, hash, description, now],
                )
                .map_err(|e| self.sql_err("writing tool pins", e))?;
                Ok(PinOutcome::New)
            }
            Some((h, _)) if h == hash => Ok(PinOutcome::Unchanged),
            Some((old_hash, old_description)) => {
                conn.execute(
                    "UPDATE tool_pins SET hash = ?4, description = ?5, changed_ms = ?6
                     WHERE scope = ?1 AND server = ?2 AND tool = ?3",
                    params![scope, server, tool, hash, description, now],
                )
                .map_err(|e| self.sql_err("writing tool pins", e))?;
                Ok(PinOutcome::Changed {
                    old_hash,
                    old_description,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisories_round_trip_and_replace() {
        let s = Store::open_in_memory().unwrap();
        let row = |pkgs: Vec<(&str, &str)>| AdvisoryRow {
            id: "PYSEC-1".into(),
            source: "t".into(),
            modified: None,
            doc: "{}".into(),
            packages: pkgs
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        };
        s.upsert_advisories(&[row(vec![("PyPI", "a"), ("PyPI", "b")])])
            .unwrap();
        assert_eq!(s.advisories_for("PyPI", "b").unwrap().len(), 1);
        s.upsert_advisories(&[row(vec![("PyPI", "a")])]).unwrap();
        assert!(s.advisories_for("PyPI", "b").unwrap().is_empty());
        assert_eq!(s.advisory_count().unwrap(), 1);
    }

    #[test]
    fn pins_report_a_change_once() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(
            s.pin_tool("f", "srv", "t", "h1", "d1").unwrap(),
            PinOutcome::New
        );
        assert_eq!(
            s.pin_tool("f", "srv", "t", "h1", "d1").unwrap(),
            PinOutcome::Unchanged
        );
        assert_eq!(
            s.pin_tool("f", "srv", "t", "h2", "d2").unwrap(),
            PinOutcome::Changed {
                old_hash: "h1".into(),
                old_description: "d1".into()
            }
        );
        assert_eq!(
            s.pin_tool("f", "srv", "t", "h2", "d2").unwrap(),
            PinOutcome::Unchanged
        );
    }
}
