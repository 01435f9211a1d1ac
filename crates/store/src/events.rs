use crate::{Store, StoreError};
use palisade_core::{Action, Category, Direction, Event};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter};
use serde::{Deserialize, Serialize};

/// Page size when the caller gives none.
pub const DEFAULT_LIMIT: u32 = 100;
/// Largest page; bigger requests are clamped so one query cannot pull the
/// whole table into memory.
pub const MAX_LIMIT: u32 = 1000;

/// A filter over stored events. Every field is optional and they combine
/// with AND; it deserialises from an HTTP query string
/// (`?action=block&flagged=true&limit=50`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EventQuery {
    /// Events at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Events strictly before this time (ms since the epoch).
    pub until_ms: Option<i64>,
    /// Events with exactly this action.
    pub action: Option<Action>,
    /// Events flagged (or not).
    pub flagged: Option<bool>,
    /// Events made with this gateway key.
    pub key_id: Option<String>,
    /// Events having this category among theirs.
    pub category: Option<Category>,
    /// Input or output events.
    pub direction: Option<Direction>,
    /// The events of one request.
    pub request_id: Option<String>,
    /// Events from this source (`gateway`, `guard_api`, …).
    pub source: Option<String>,
    /// Keyset paging: only events with a smaller id (pass the previous
    /// page's `next_before_id`).
    pub before_id: Option<i64>,
    /// Page size; default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`].
    pub limit: Option<u32>,
}

/// One page of events, newest (highest id) first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventPage {
    /// The events, each with its `id` set.
    pub events: Vec<Event>,
    /// Pass as `before_id` to get the next page; `None` on the last page.
    pub next_before_id: Option<i64>,
}

const INSERT: &str = "INSERT INTO events (time_ms, source, request_id, route, key_id, \
    client_addr, model, upstream, direction, action, flagged, categories, tier, status, \
    stream, error, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// Categories as `,a,b,` so one category is matched exactly by searching
/// for `,a,` (no name is a substring of another between commas).
fn categories_column(categories: &[Category]) -> String {
    if categories.is_empty() {
        return String::new();
    }
    let mut s = String::from(",");
    for c in categories {
        s.push_str(c.as_str());
        s.push(',');
    }
    s
}

/// The serde name of a direction (core has no `as_str` for it); must match
/// its `#[serde(rename_all = "snake_case")]` names.
fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Input => "input",
        Direction::Output => "output",
    }
}

impl Store {
    /// Writes a batch in one transaction (one fsync for the whole batch,
    /// and all or nothing) and returns the assigned ids in order.
    pub fn insert_events(&self, events: &[Event]) -> Result<Vec<i64>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // Serialise before taking the lock so readers wait less.
        let bodies = events
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.json_err("serialising events", e))?;
        let op = "inserting events";
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.sql_err(op, e))?;
        let mut ids = Vec::with_capacity(events.len());
        {
            let mut stmt = tx.prepare_cached(INSERT).map_err(|e| self.sql_err(op, e))?;
            for (e, body) in events.iter().zip(&bodies) {
                let id = stmt
                    .insert(params![
                        e.time_ms,
                        e.source,
                        e.request_id,
                        e.route,
                        e.key_id,
                        e.client_addr,
                        e.model,
                        e.upstream,
                        direction_str(e.direction),
                        e.action.as_str(),
                        e.flagged,
                        categories_column(&e.categories),
                        e.tier.map(|t| t.as_str()),
                        i64::from(e.status),
                        e.stream,
                        e.error,
                        body,
                    ])
                    .map_err(|err| self.sql_err(op, err))?;
                ids.push(id);
            }
        }
        tx.commit().map_err(|e| self.sql_err(op, e))?;
        Ok(ids)
    }

    /// One page of events matching `q`, newest first.
    pub fn query_events(&self, q: &EventQuery) -> Result<EventPage, StoreError> {
        let op = "querying events";
        let limit = q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let (sql, args) = build_query(q, limit);
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql).map_err(|e| self.sql_err(op, e))?;
        let rows = stmt
            .query_map(params_from_iter(args), |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(|e| self.sql_err(op, e))?;
        let mut events = Vec::new();
        for row in rows {
            let (id, body) = row.map_err(|e| self.sql_err(op, e))?;
            let mut event: Event = serde_json::from_str(&body)
                .map_err(|e| self.corrupt(format!("event {id} has an unreadable body: {e}")))?;
            // The column is authoritative: the body may have been
            // serialised before the id existed.
            event.id = Some(id);
            events.push(event);
        }
        // One extra row was fetched only to learn whether another page exists.
        let next_before_id = if events.len() > limit as usize {
            events.truncate(limit as usize);
            events.last().and_then(|e| e.id)
        } else {
            None
        };
        Ok(EventPage {
            events,
            next_before_id,
        })
    }

    /// How many events are stored.
    pub fn count_events(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))
            .map_err(|e| self.sql_err("counting events", e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// The SQL text depends only on which filters are present (so prepared
/// statements are reused); every value is a bound parameter.
fn build_query(q: &EventQuery, limit: u32) -> (String, Vec<Value>) {
    let mut sql = String::from("SELECT id, body FROM events WHERE 1 = 1");
    let mut args = Vec::new();
    let mut filter = |clause: &str, value: Value| {
        sql.push_str(" AND ");
        sql.push_str(clause);
        args.push(value);
    };
    if let Some(v) = q.since_ms {
        filter("time_ms >= ?", Value::Integer(v));
    }
    if let Some(v) = q.until_ms {
        filter("time_ms < ?", Value::Integer(v));
    }
    if let Some(v) = q.action {
        filter("action = ?", Value::Text(v.as_str().to_string()));
    }
    if let Some(v) = q.flagged {
        filter("flagged = ?", Value::Integer(i64::from(v)));
    }
    if let Some(v) = &q.key_id {
        filter("key_id = ?", Value::Text(v.clone()));
    }
    if let Some(v) = q.category {
        // instr, not LIKE: `_` in category names is a LIKE wildcard.
        filter(
            "instr(categories, ?) > 0",
            Value::Text(format!(",{},", v.as_str())),
        );
    }
    if let Some(v) = q.direction {
        filter("direction = ?", Value::Text(direction_str(v).to_string()));
    }
    if let Some(v) = &q.request_id {
        filter("request_id = ?", Value::Text(v.clone()));
    }
    if let Some(v) = &q.source {
        filter("source = ?", Value::Text(v.clone()));
    }
    if let Some(v) = q.before_id {
        filter("id < ?", Value::Integer(v));
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    args.push(Value::Integer(i64::from(limit) + 1));
    (sql, args)
}
