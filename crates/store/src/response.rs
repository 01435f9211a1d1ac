//! Response state: client blocks and the SOC's incidents and audited
//! actions. Documents are opaque JSON to the store; only the columns that
//! listing and expiry need are broken out.

use crate::store::now_ms;
use crate::{Store, StoreError};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

/// An active block of a client address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRecord {
    /// The address as given (an IP address).
    pub addr: String,
    /// Until when, milliseconds since the epoch.
    pub until_ms: i64,
    /// Why (an incident id and title, or a person's note).
    pub reason: String,
    /// When the block was made.
    pub created_ms: i64,
}

/// An incident's listing columns and its JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRow {
    /// Incident id.
    pub id: String,
    /// First alert time.
    pub first_ms: i64,
    /// Last alert time.
    pub last_ms: i64,
    /// Severity name.
    pub severity: String,
    /// Verdict name.
    pub verdict: String,
    /// Title.
    pub title: String,
    /// The whole incident as JSON.
    pub doc: String,
}

/// One learned API endpoint: its key columns and statistics document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointRow {
    /// HTTP method.
    pub method: String,
    /// Path template (`/users/{id}`).
    pub template: String,
    /// First seen.
    pub first_ms: i64,
    /// Last seen.
    pub last_ms: i64,
    /// Requests seen.
    pub count: i64,
    /// The statistics as JSON.
    pub doc: String,
}

impl Store {
    /// Appends ingested log events `(time_ms, source, class, doc)` in one
    /// transaction; returns how many were written.
    pub fn add_soc_events(
        &self,
        rows: &[(i64, String, String, String)],
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(|e| self.sql_err("ingesting events", e))?;
        for (t, src, class, doc) in rows {
            tx.execute(
                "INSERT INTO soc_events (time_ms, source, class, doc) VALUES (?1, ?2, ?3, ?4)",
                params![t, src, class, doc],
            )
            .map_err(|e| self.sql_err("ingesting events", e))?;
        }
        tx.commit()
            .map_err(|e| self.sql_err("ingesting events", e))?;
        Ok(rows.len())
    }

    /// Ingested events with id above `after`, oldest first, at most
    /// `limit`: `(id, source, doc)`.
    pub fn soc_events_after(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, source, doc FROM soc_events WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(|e| self.sql_err("reading ingested events", e))?;
        let rows = stmt
            .query_map(params![after, limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(|e| self.sql_err("reading ingested events", e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql_err("reading ingested events", e))
    }

    /// Records an analyst's verdict on a rule's alert over some entities
    /// (`entities` is a JSON list).
    pub fn add_feedback(
        &self,
        time_ms: i64,
        rule_id: &str,
        entities: &str,
        verdict: &str,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO soc_feedback (time_ms, rule_id, entities, verdict) VALUES (?1, ?2, ?3, ?4)",
            params![time_ms, rule_id, entities, verdict],
        )
        .map_err(|e| self.sql_err("writing feedback", e))?;
        Ok(())
    }

    /// Every recorded verdict: `(rule_id, entities JSON, verdict)`.
    pub fn feedback(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT rule_id, entities, verdict FROM soc_feedback ORDER BY id")
            .map_err(|e| self.sql_err("reading feedback", e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.sql_err("reading feedback", e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql_err("reading feedback", e))
    }

    /// Inserts or replaces learned endpoints in one transaction.
    pub fn upsert_endpoints(&self, rows: &[EndpointRow]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(|e| self.sql_err("writing API endpoints", e))?;
        for r in rows {
            tx.execute(
                "INSERT OR REPLACE INTO api_endpoints (method, template, first_ms, last_ms, count, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![r.method, r.template, r.first_ms, r.last_ms, r.count, r.doc],
            )
            .map_err(|e| self.sql_err("writing API endpoints", e))?;
        }
        tx.commit()
            .map_err(|e| self.sql_err("writing API endpoints", e))
    }

    /// Every learned endpoint, by template then method.
    pub fn endpoints(&self) -> Result<Vec<EndpointRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT method, template, first_ms, last_ms, count, doc FROM api_endpoints ORDER BY template, method",
            )
            .map_err(|e| self.sql_err("reading API endpoints", e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(EndpointRow {
                    method: r.get(0)?,
                    template: r.get(1)?,
                    first_ms: r.get(2)?,
                    last_ms: r.get(3)?,
                    count: r.get(4)?,
                    doc: r.get(5)?,
                })
            })
            .map_err(|e| self.sql_err("reading API endpoints", e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql_err("reading API endpoints", e))
    }

    /// Blocks (or re-blocks, extending) a client address until `until_ms`.
    pub fn block_client(&self, addr: &str, until_ms: i64, reason: &str) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO client_blocks (addr, until_ms, reason, created_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(addr) DO UPDATE SET until_ms = MAX(until_ms, excluded.until_ms), reason = excluded.reason",
            params![addr, until_ms, reason, now_ms()],
        )
        .map_err(|e| self.sql_err("writing a client block", e))?;
        Ok(())
    }

    /// Lifts a block; `false` when there was none.
    pub fn unblock_client(&self, addr: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        let n = conn
            .execute("DELETE FROM client_blocks WHERE addr = ?1", params![addr])
            .map_err(|e| self.sql_err("lifting a client block", e))?;
        Ok(n > 0)
    }

    /// Blocks still in force at `now_ms` (expired ones are deleted).
    pub fn active_blocks(&self, now: i64) -> Result<Vec<BlockRecord>, StoreError> {
        let conn = self.conn();
        conn.execute(
            "DELETE FROM client_blocks WHERE until_ms <= ?1",
            params![now],
        )
        .map_err(|e| self.sql_err("expiring client blocks", e))?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT addr, until_ms, reason, created_ms FROM client_blocks ORDER BY addr",
            )
            .map_err(|e| self.sql_err("reading client blocks", e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(BlockRecord {
                    addr: r.get(0)?,
                    until_ms: r.get(1)?,
                    reason: r.get(2)?,
                    created_ms: r.get(3)?,
                })
            })
            .map_err(|e| self.sql_err("reading client blocks", e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql_err("reading client blocks", e))
    }

    /// Inserts or replaces an incident.
    pub fn put_incident(&self, row: &IncidentRow) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR REPLACE INTO soc_incidents (id, first_ms, last_ms, severity, verdict, title, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![row.id, row.first_ms, row.last_ms, row.severity, row.verdict, row.title, row.doc],
        )
        .map_err(|e| self.sql_err("writing an incident", e))?;
        Ok(())
    }

    /// Incidents, newest first, at most `limit`.
    pub fn incidents(&self, limit: u32) -> Result<Vec<IncidentRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, first_ms, last_ms, severity, verdict, title, doc FROM soc_incidents
                 ORDER BY first_ms DESC, id LIMIT ?1",
            )
            .map_err(|e| self.sql_err("reading incidents", e))?;
        let rows = stmt
            .query_map(params![limit], |r| {
                Ok(IncidentRow {
                    id: r.get(0)?,
                    first_ms: r.get(1)?,
                    last_ms: r.get(2)?,
                    severity: r.get(3)?,
                    verdict: r.get(4)?,
                    title: r.get(5)?,
                    doc: r.get(6)?,
                })
            })
            .map_err(|e| self.sql_err("reading incidents", e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql_err("reading incidents", e))
    }

    /// One incident's document.
    pub fn incident(&self, id: &str) -> Result<Option<String>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT doc FROM soc_incidents WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| self.sql_err("reading an incident", e))
    }

    /// Appends an audited action (a JSON document) for an incident.
    pub fn add_action(&self, incident: &str, time_ms: i64, doc: &str) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO soc_actions (time_ms, incident, doc) VALUES (?1, ?2, ?3)",
            params![time_ms, incident, doc],
        )
        .map_err(|e| self.sql_err("writing an action", e))?;
        Ok(())
    }

    /// An incident's audited actions in order.
    pub fn actions(&self, incident: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT doc FROM soc_actions WHERE incident = ?1 ORDER BY id")
            .map_err(|e| self.sql_err("reading actions", e))?;
        let rows = stmt
            .query_map(params![incident], |r| r.get::<_, String>(0))
            .map_err(|e| self.sql_err("reading actions", e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql_err("reading actions", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_expire_and_extend() {
        let s = Store::open_in_memory().unwrap();
        s.block_client("10.0.0.1", 1_000, "a").unwrap();
        s.block_client("10.0.0.1", 500, "b").unwrap();
        let b = s.active_blocks(0).unwrap();
        assert_eq!((b[0].until_ms, b[0].reason.as_str()), (1_000, "b"));
        assert!(s.active_blocks(1_000).unwrap().is_empty());
        assert!(!s.unblock_client("10.0.0.1").unwrap());
    }

    #[test]
    fn incidents_and_actions_round_trip() {
        let s = Store::open_in_memory().unwrap();
        let row = IncidentRow {
            id: "inc-1".into(),
            first_ms: 1,
            last_ms: 2,
            severity: "high".into(),
            verdict: "true_positive".into(),
            title: "t".into(),
            doc: "{}".into(),
        };
        s.put_incident(&row).unwrap();
        assert_eq!(s.incidents(10).unwrap(), vec![row]);
        s.add_action("inc-1", 3, "{\"a\":1}").unwrap();
        assert_eq!(s.actions("inc-1").unwrap(), vec!["{\"a\":1}".to_string()]);
        assert_eq!(s.incident("nope").unwrap(), None);
    }
}
