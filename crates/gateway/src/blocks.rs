//! Client blocks: addresses refused at the door, for a while. Blocks live
//! in the store (so every gateway on it and every restart sees them) and in
//! a small in-memory map that the request path reads without touching
//! SQLite; the map is reloaded every second, like the key cache, so a
//! block written by another process takes effect quickly.

use crate::ctx::{now_ms, Ctx};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};

/// The in-memory view of active blocks.
#[derive(Debug, Default)]
pub struct Blocklist {
    map: RwLock<HashMap<IpAddr, (i64, String)>>,
}

/// Normalises an address: IPv4-mapped IPv6 becomes IPv4, so a block on
/// `10.0.0.5` also covers `::ffff:10.0.0.5` from a dual-stack listener.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

impl Blocklist {
    /// Replaces the map with the store's active blocks.
    pub fn reload(&self, store: &palisade_store::Store) -> Result<(), palisade_store::StoreError> {
        let rows = store.active_blocks(now_ms())?;
        let mut m = HashMap::new();
        for r in rows {
            if let Ok(ip) = r.addr.parse::<IpAddr>() {
                m.insert(canonical(ip), (r.until_ms, r.reason));
            }
        }
        if let Ok(mut g) = self.map.write() {
            *g = m;
        }
        Ok(())
    }

    /// Adds a block to the map at once (the store write happened already).
    pub fn insert(&self, ip: IpAddr, until_ms: i64, reason: String) {
        if let Ok(mut g) = self.map.write() {
            g.insert(canonical(ip), (until_ms, reason));
        }
    }

    /// Removes a block from the map.
    pub fn remove(&self, ip: IpAddr) {
        if let Ok(mut g) = self.map.write() {
            g.remove(&canonical(ip));
        }
    }

    /// The reason, if `ip` is blocked now.
    pub fn blocked(&self, ip: IpAddr) -> Option<String> {
        let g = self.map.read().ok()?;
        if g.is_empty() {
            return None;
        }
        let (until, reason) = g.get(&canonical(ip))?;
        (*until > now_ms()).then(|| reason.clone())
    }
}

/// Paths a blocked client may still reach: probes and the admin API (the
/// admin token is the control there, and an operator behind a blocked NAT
/// must be able to lift the block).
fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/v1/admin/")
}

/// Middleware: refuses requests from blocked addresses with 403.
pub async fn guard(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = ip {
        if !exempt(req.uri().path()) {
            if let Some(reason) = st.blocks.blocked(ip) {
                let cx = Ctx::new(&st, "blocked", None, Some(ip.to_string()));
                return cx
                    .fail(
                        &st,
                        ApiError::new(
                            StatusCode::FORBIDDEN,
                            "client_blocked",
                            format!("requests from {ip} are blocked: {reason}"),
                        ),
                    )
                    .await;
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_addresses_match_their_ipv4_block() {
        let b = Blocklist::default();
        b.insert("10.0.0.5".parse().unwrap(), i64::MAX, "x".into());
        assert!(b.blocked("::ffff:10.0.0.5".parse().unwrap()).is_some());
        assert!(b.blocked("10.0.0.6".parse().unwrap()).is_none());
        b.insert("10.0.0.7".parse().unwrap(), 0, "expired".into());
        assert!(b.blocked("10.0.0.7".parse().unwrap()).is_none());
    }
}
