//! Gateway keys and the admin token. Keys live hashed in the store; the
//! gateway keeps the active ones in memory and reloads them when the
//! database changes (so `palisade keys revoke` in another process takes
//! effect within a second), and at once when the admin API changes them.

use axum::http::HeaderMap;
use palisade_store::{key_id_of, verify_key, KeyRecord, Store};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The active keys, by id.
pub struct KeyCache {
    store: Arc<Store>,
    keys: RwLock<HashMap<String, KeyRecord>>,
    version: std::sync::atomic::AtomicI64,
}

/// The key a request presented: `Authorization: Bearer …` or Anthropic's
/// `x-api-key`.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        if let Some(rest) = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
        {
            return Some(rest.trim());
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

impl KeyCache {
    /// Loads the active keys.
    pub fn new(store: Arc<Store>) -> Result<Self, palisade_store::StoreError> {
        let c = Self {
            store,
            keys: RwLock::new(HashMap::new()),
            version: std::sync::atomic::AtomicI64::new(i64::MIN),
        };
        c.reload()?;
        Ok(c)
    }

    /// Reloads unconditionally.
    pub fn reload(&self) -> Result<(), palisade_store::StoreError> {
        let v = self.store.data_version()?;
        let keys = self.store.active_keys()?;
        let map = keys.into_iter().map(|k| (k.id.clone(), k)).collect();
        if let Ok(mut w) = self.keys.write() {
            *w = map;
        }
        self.version.store(v, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Reloads when another connection committed since the last load.
    pub fn refresh(&self) -> Result<(), palisade_store::StoreError> {
        let v = self.store.data_version()?;
        if v != self.version.load(std::sync::atomic::Ordering::Relaxed) {
            self.reload()?;
        }
        Ok(())
    }

    /// How many keys are active.
    pub fn len(&self) -> usize {
        self.keys.read().map(|k| k.len()).unwrap_or(0)
    }

    /// Whether no key is active.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record of a valid presented key.
    pub fn verify(&self, presented: &str) -> Option<KeyRecord> {
        let id = key_id_of(presented)?;
        let keys = self.keys.read().ok()?;
        let rec = keys.get(id)?;
        verify_key(rec, presented).then(|| rec.clone())
    }
}

/// Compares the admin token in constant time.
pub fn admin_ok(headers: &HeaderMap, token: Option<&str>) -> bool {
    let (Some(want), Some(got)) = (token, presented_key(headers)) else {
        return false;
    };
    let (a, b) = (want.as_bytes(), got.as_bytes());
    // A length mismatch reveals only the length, which is not secret.
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_key_reads_both_styles() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_key(&h), None);
        h.insert("x-api-key", "abc".parse().unwrap());
        assert_eq!(presented_key(&h), Some("abc"));
        h.insert(
            http::header::AUTHORIZATION,
            "Bearer  pk_x ".parse().unwrap(),
        );
        assert_eq!(presented_key(&h), Some("pk_x"));
        assert!(admin_ok(&h, Some("pk_x")));
        assert!(!admin_ok(&h, Some("pk_y")));
        assert!(!admin_ok(&h, None));
    }

    #[test]
    fn keys_verify_and_revoke() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let cache = KeyCache::new(store.clone()).unwrap();
        assert!(cache.is_empty());
        let k = store
            .create_key(&palisade_store::NewKey {
                name: "agent".into(),
                policy: None,
                models: vec![],
            })
            .unwrap();
        cache.reload().unwrap();
        assert_eq!(
            cache.verify(&k.secret).map(|r| r.name),
            Some("agent".into())
        );
        assert!(cache.verify("pk_nope_nope").is_none());
        assert!(store.revoke_key(&k.record.id).unwrap());
        cache.reload().unwrap();
        assert!(cache.verify(&k.secret).is_none());
    }
}
