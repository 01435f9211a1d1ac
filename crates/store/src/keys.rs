//! Gateway API keys: `pk_<id>_<secret>`. The id is public (it is recorded
//! in every event and used to look the key up); the secret is shown once at
//! creation and only SHA-256 of the whole key is stored. A plain hash is
//! enough (no salt or slow KDF) because the secret has ~190 random bits:
//! there is nothing to brute-force, unlike a password.

use crate::store::now_ms;
use crate::{Store, StoreError};
use rusqlite::{params, ErrorCode, Row};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every key starts with this, so leaked keys are easy to grep for.
pub const KEY_PREFIX: &str = "pk_";
/// Length of the id part: lowercase hex of 6 random bytes.
pub const KEY_ID_LEN: usize = 12;
/// Length of the secret part: ASCII letters and digits,
/// 32 × log2(62) ≈ 190.5 bits.
pub const KEY_SECRET_LEN: usize = 32;

const SECRET_ALPHABET: &[u8; 62] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// The largest multiple of 62 that fits in a byte; bytes at or above it
/// are discarded so every character is equally likely.
const UNBIASED_BELOW: u8 = 248;
/// A 48-bit id collides with negligible probability, but a collision must
/// not fail key creation, so creation retries with fresh ids.
const ID_ATTEMPTS: usize = 4;

/// What to create a key for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKey {
    /// A human label (`ci-bot`, `team-search`).
    pub name: String,
    /// The policy the gateway applies to requests with this key; `None`
    /// for the default policy.
    #[serde(default)]
    pub policy: Option<String>,
    /// Models this key may use; empty means any.
    #[serde(default)]
    pub models: Vec<String>,
}

/// A stored key (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRecord {
    /// The public id, the `<id>` of `pk_<id>_<secret>`.
    pub id: String,
    /// The human label.
    pub name: String,
    /// The policy for requests with this key; `None` for the default.
    pub policy: Option<String>,
    /// Models this key may use; empty means any.
    pub models: Vec<String>,
    /// When it was created, ms since the epoch.
    pub created_ms: i64,
    /// When it was revoked, ms since the epoch; `None` while active.
    pub revoked_ms: Option<i64>,
    /// SHA-256 of the whole key; kept out of API output because, while not
    /// reversible, it is all an attacker needs to test guesses offline.
    #[serde(skip)]
    pub hash: [u8; 32],
}

impl KeyRecord {
    /// True once revoked.
    pub fn is_revoked(&self) -> bool {
        self.revoked_ms.is_some()
    }

    /// Whether this key may use `model` (an empty allowlist allows all).
    pub fn allows_model(&self, model: &str) -> bool {
        self.models.is_empty() || self.models.iter().any(|m| m == model)
    }
}

/// A freshly created key.
#[derive(Clone)]
pub struct CreatedKey {
    /// What was stored.
    pub record: KeyRecord,
    /// The whole key, `pk_<id>_<secret>`, to hand to the client. It is not
    /// stored anywhere and cannot be recovered.
    pub secret: String,
}

impl std::fmt::Debug for CreatedKey {
    // Redacted so a stray `{:?}` in a log line cannot leak the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("record", &self.record)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The id of a presented key, or `None` when it is not shaped like one of
/// ours (wrong prefix, id or secret length, or characters). Cheap and
/// allocation-free so the gateway can reject garbage before any lookup;
/// the key is only authentic once [`verify_key`] agrees.
pub fn key_id_of(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id_ok =
        id.len() == KEY_ID_LEN && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let secret_ok =
        secret.len() == KEY_SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric());
    (id_ok && secret_ok).then_some(id)
}

/// Whether `presented` is the key `record` was created for, and the key is
/// not revoked. The hashes are compared in constant time so response timing
/// reveals nothing about how many bytes of a guess were right.
pub fn verify_key(record: &KeyRecord, presented: &str) -> bool {
    if record.is_revoked() {
        return false;
    }
    let hash = hash_key(presented);
    bool::from(hash[..].ct_eq(&record.hash[..]))
}

fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(buf)
}

fn new_id() -> Result<String, StoreError> {
    use std::fmt::Write;
    let mut id = String::with_capacity(KEY_ID_LEN);
    for b in random_bytes::<{ KEY_ID_LEN / 2 }>()? {
        // Writing to a String cannot fail.
        let _ = write!(id, "{b:02x}");
    }
    Ok(id)
}

fn new_secret() -> Result<String, StoreError> {
    let mut secret = String::with_capacity(KEY_SECRET_LEN);
    while secret.len() < KEY_SECRET_LEN {
        for b in random_bytes::<64>()? {
            if b < UNBIASED_BELOW && secret.len() < KEY_SECRET_LEN {
                secret.push(char::from(SECRET_ALPHABET[usize::from(b % 62)]));
            }
        }
    }
    Ok(secret)
}

const KEY_COLUMNS: &str = "id, name, policy, models, created_ms, revoked_ms, hash";

impl Store {
    /// Creates a key and returns it with its secret (the only time the
    /// secret is available).
    pub fn create_key(&self, spec: &NewKey) -> Result<CreatedKey, StoreError> {
        let invalid = |detail: &str| StoreError::InvalidInput {
            store: self.label().to_string(),
            detail: detail.to_string(),
        };
        if spec.name.trim().is_empty() {
            return Err(invalid("a key needs a non-empty name"));
        }
        if spec.models.iter().any(|m| m.trim().is_empty()) {
            return Err(invalid(
                "model names in a key's allowlist must not be empty",
            ));
        }
        let op = "creating a key";
        let models = serde_json::to_string(&spec.models).map_err(|e| self.json_err(op, e))?;
        let secret = new_secret()?;
        let created_ms = now_ms();
        let conn = self.conn();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let id = new_id()?;
            let key = format!("{KEY_PREFIX}{id}_{secret}");
            let hash = hash_key(&key);
            let inserted = conn.execute(
                "INSERT INTO api_keys (id, name, policy, models, created_ms, revoked_ms, hash) \
                 VALUES (?, ?, ?, ?, ?, NULL, ?)",
                params![id, spec.name, spec.policy, models, created_ms, &hash[..]],
            );
            match inserted {
                Ok(_) => {
                    let record = KeyRecord {
                        id,
                        name: spec.name.clone(),
                        policy: spec.policy.clone(),
                        models: spec.models.clone(),
                        created_ms,
                        revoked_ms: None,
                        hash,
                    };
                    return Ok(CreatedKey {
                        record,
                        secret: key,
                    });
                }
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == ErrorCode::ConstraintViolation && attempt < ID_ATTEMPTS => {}
                Err(e) => return Err(self.sql_err(op, e)),
            }
        }
    }

    /// Every key, revoked ones included (see `revoked_ms`), oldest first.
    pub fn list_keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.select_keys("listing keys", "")
    }

    /// Keys not revoked, with their hashes, for the gateway's cache.
    pub fn active_keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.select_keys("listing active keys", "WHERE revoked_ms IS NULL")
    }

    /// One key by id, revoked or not.
    pub fn key(&self, id: &str) -> Result<Option<KeyRecord>, StoreError> {
        let op = "reading a key";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?"))
            .map_err(|e| self.sql_err(op, e))?;
        let mut rows = stmt.query([id]).map_err(|e| self.sql_err(op, e))?;
        match rows.next().map_err(|e| self.sql_err(op, e))? {
            Some(row) => self.key_from_row(op, row).map(Some),
            None => Ok(None),
        }
    }

    /// Revokes a key. Returns false when the id is unknown or the key was
    /// already revoked (so the first revocation time is kept).
    pub fn revoke_key(&self, id: &str) -> Result<bool, StoreError> {
        let changed = self
            .conn()
            .execute(
                "UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL",
                params![now_ms(), id],
            )
            .map_err(|e| self.sql_err("revoking a key", e))?;
        Ok(changed > 0)
    }

    /// `filter` is a fixed clause from this module, never caller input.
    fn select_keys(&self, op: &'static str, filter: &str) -> Result<Vec<KeyRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM api_keys {filter} ORDER BY created_ms, id"
            ))
            .map_err(|e| self.sql_err(op, e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql_err(op, e))?;
        let mut keys = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.sql_err(op, e))? {
            keys.push(self.key_from_row(op, row)?);
        }
        Ok(keys)
    }

    fn key_from_row(&self, op: &'static str, row: &Row<'_>) -> Result<KeyRecord, StoreError> {
        let get_err = |e| self.sql_err(op, e);
        let id: String = row.get(0).map_err(get_err)?;
        let models: String = row.get(3).map_err(get_err)?;
        let models = serde_json::from_str(&models)
            .map_err(|e| self.corrupt(format!("key {id} has an unreadable model list: {e}")))?;
        let hash: Vec<u8> = row.get(6).map_err(get_err)?;
        let hash = <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| {
            self.corrupt(format!("key {id} has a {}-byte hash, not 32", hash.len()))
        })?;
        Ok(KeyRecord {
            name: row.get(1).map_err(get_err)?,
            policy: row.get(2).map_err(get_err)?,
            models,
            created_ms: row.get(4).map_err(get_err)?,
            revoked_ms: row.get(5).map_err(get_err)?,
            hash,
            id,
        })
    }
}
