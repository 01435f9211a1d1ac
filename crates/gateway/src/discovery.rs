//! API discovery: the endpoint inventory learned from traffic. Paths are
//! folded into templates (`/users/42/orders/9f8c…` → `/users/{id}/orders/{hash}`),
//! and each (method, template) keeps counts, statuses, whether callers
//! authenticated, content types, the LLM API shape it speaks, and the
//! sensitive data types its responses were seen to carry (sampled through
//! the data-security engine). Held in memory and flushed to the store every
//! few seconds, so `palisade api list` and other gateways see it.

use crate::ctx::now_ms;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Statistics of one endpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Endpoint {
    /// HTTP method.
    pub method: String,
    /// Path template.
    pub template: String,
    /// Requests seen.
    pub count: u64,
    /// First seen (ms).
    pub first_ms: i64,
    /// Last seen (ms).
    pub last_ms: i64,
    /// Responses by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that carried credentials (Authorization, API-key header,
    /// cookie).
    pub authenticated: u64,
    /// Requests that carried none.
    pub unauthenticated: u64,
    /// Request content types.
    pub request_types: BTreeSet<String>,
    /// Response content types.
    pub response_types: BTreeSet<String>,
    /// The LLM API it speaks, when recognised.
    pub llm_api: Option<String>,
    /// Sensitive data types seen in sampled responses.
    pub sensitive: BTreeSet<String>,
    /// Responses sampled for sensitive data.
    pub sampled: u64,
    /// A few concrete paths.
    pub examples: Vec<String>,
}

impl Endpoint {
    /// Never seen with credentials.
    pub fn open(&self) -> bool {
        self.authenticated == 0 && self.unauthenticated > 0
    }
}

fn is_hex(s: &str) -> bool {
    s.len() >= 8 && s.chars().all(|c| c.is_ascii_hexdigit())
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Folds a path into a template: numbers → `{id}`, UUIDs → `{uuid}`, long
/// hex → `{hash}`, e-mail addresses → `{email}`, long mixed tokens →
/// `{token}`. Query strings are dropped.
pub fn template(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut out = String::with_capacity(path.len());
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let t = if seg.is_empty() {
            seg.to_string()
        } else if seg.chars().all(|c| c.is_ascii_digit()) {
            "{id}".into()
        } else if is_uuid(seg) {
            "{uuid}".into()
        } else if is_hex(seg) && seg.chars().any(|c| c.is_ascii_digit()) {
            "{hash}".into()
        } else if seg.contains('@') && seg.contains('.') {
            "{email}".into()
        } else if seg.len() >= 20
            && seg.chars().any(|c| c.is_ascii_digit())
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            "{token}".into()
        } else {
            seg.to_string()
        };
        out.push_str(&t);
        if out.len() > 512 {
            break;
        }
    }
    if out.is_empty() {
        "/".into()
    } else {
        out
    }
}

/// The LLM API a request speaks, from its path and body.
pub fn llm_shape(path: &str, body: &[u8]) -> Option<&'static str> {
    let p = path.split('?').next().unwrap_or(path);
    let by_path = if p.ends_with("/chat/completions") {
        Some("openai-chat")
    } else if p.ends_with("/completions") {
        Some("openai-completions")
    } else if p.ends_with("/embeddings") {
        Some("openai-embeddings")
    } else if p.ends_with("/responses") {
        Some("openai-responses")
    } else if p.ends_with("/v1/messages") {
        Some("anthropic-messages")
    } else if p.ends_with("/api/chat") || p.ends_with("/api/generate") {
        Some("ollama")
    } else if p.contains(":generateContent") || p.contains(":streamGenerateContent") {
        Some("gemini")
    } else {
        None
    };
    if by_path.is_some() {
        return by_path;
    }
    // An unfamiliar path with a chat-shaped body is still an LLM API.
    let head = std::str::from_utf8(&body[..body.len().min(4096)]).unwrap_or("");
    if head.contains("\"messages\"") && head.contains("\"role\"") {
        Some("chat-like")
    } else if head.contains("\"prompt\"") && head.contains("\"model\"") {
        Some("completion-like")
    } else {
        None
    }
}

/// The learned inventory.
pub struct Discovery {
    map: Mutex<HashMap<(String, String), Endpoint>>,
    dirty: Mutex<HashSet<(String, String)>>,
    /// The full data-type catalogue, loaded in the background when the
    /// first response is due for sampling (about 0.4 s of CPU), so no
    /// request ever waits for it and gateways that sample nothing never
    /// load it; samples due before it is ready are skipped.
    dlp: Arc<std::sync::OnceLock<Option<Arc<palisade_dlp::Engine>>>>,
    loading: std::sync::atomic::AtomicBool,
}

/// Largest response body sampled for sensitive data.
const SAMPLE_BYTES: usize = 64 << 10;

impl Discovery {
    /// Loads what the store already knows.
    pub fn new(store: &palisade_store::Store) -> Discovery {
        let mut map = HashMap::new();
        for r in store.endpoints().unwrap_or_default() {
            if let Ok(e) = serde_json::from_str::<Endpoint>(&r.doc) {
                map.insert((r.method, r.template), e);
            }
        }
        Discovery {
            map: Mutex::new(map),
            dirty: Mutex::new(HashSet::new()),
            dlp: Arc::new(std::sync::OnceLock::new()),
            loading: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn with<R>(&self, key: &(String, String), f: impl FnOnce(&mut Endpoint) -> R) -> R {
        let mut m = match self.map.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let e = m.entry(key.clone()).or_insert_with(|| Endpoint {
            method: key.0.clone(),
            template: key.1.clone(),
            first_ms: now_ms(),
            ..Endpoint::default()
        });
        let r = f(e);
        if let Ok(mut d) = self.dirty.lock() {
            d.insert(key.clone());
        }
        r
    }

    /// Records a request; returns its key and whether its response should
    /// be sampled for sensitive data.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> ((String, String), bool) {
        let key = (method.to_string(), template(path));
        let auth = headers.contains_key(http::header::AUTHORIZATION)
            || headers.contains_key("x-api-key")
            || headers.contains_key(http::header::COOKIE);
        let ctype = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase());
        let shape = llm_shape(path, body);
        let sample = self.with(&key, |e| {
            e.count += 1;
            e.last_ms = now_ms();
            if auth {
                e.authenticated += 1;
            } else {
                e.unauthenticated += 1;
            }
            if let Some(c) = ctype {
                if e.request_types.len() < 8 {
                    e.request_types.insert(c);
                }
            }
            if let Some(s) = shape {
                e.llm_api = Some(s.to_string());
            }
            let p = path.split('?').next().unwrap_or(path).to_string();
            if e.examples.len() < 3 && !e.examples.contains(&p) {
                e.examples.push(p);
            }
            // Until twenty responses were scanned, then one in fifty.
            e.sampled < 20 || e.count % 50 == 0
        });
        (key, sample)
    }

    /// Records a response and, when given, scans its body sample.
    pub fn response(
        &self,
        key: &(String, String),
        status: u16,
        ctype: Option<&str>,
        sample: Option<&[u8]>,
    ) {
        let engine = sample.and_then(|_| match self.dlp.get() {
            Some(e) => e.clone(),
            None => {
                if !self.loading.swap(true, std::sync::atomic::Ordering::AcqRel) {
                    let cell = self.dlp.clone();
                    std::thread::spawn(move || {
                        cell.get_or_init(|| palisade_dlp::Engine::builtin_shared().ok());
                    });
                }
                None
            }
        });
        // A sample that could not be scanned yet does not count as one.
        let sample = sample.filter(|_| engine.is_some());
        let found: Vec<String> = match (sample, engine) {
            (Some(b), Some(engine)) => {
                let text = String::from_utf8_lossy(&b[..b.len().min(SAMPLE_BYTES)]);
                let mut t: Vec<String> = engine
                    .scan(&text)
                    .into_iter()
                    .filter(|e| e.score >= 0.6)
                    .map(|e| e.type_id)
                    .collect();
                t.sort();
                t.dedup();
                t
            }
            _ => Vec::new(),
        };
        self.with(key, |e| {
            *e.statuses.entry(status).or_default() += 1;
            if let Some(c) = ctype {
                if e.response_types.len() < 8 {
                    e.response_types
                        .insert(c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase());
                }
            }
            if sample.is_some() {
                e.sampled += 1;
            }
            for t in found {
                if e.sensitive.len() < 32 {
                    e.sensitive.insert(t);
                }
            }
        });
    }

    /// Writes changed endpoints to the store.
    pub fn flush(
        &self,
        store: &palisade_store::Store,
    ) -> Result<usize, palisade_store::StoreError> {
        let keys: Vec<(String, String)> = match self.dirty.lock() {
            Ok(mut d) => d.drain().collect(),
            Err(_) => return Ok(0),
        };
        if keys.is_empty() {
            return Ok(0);
        }
        let rows: Vec<palisade_store::EndpointRow> = {
            let m = match self.map.lock() {
                Ok(m) => m,
                Err(p) => p.into_inner(),
            };
            keys.iter()
                .filter_map(|k| m.get(k))
                .map(|e| palisade_store::EndpointRow {
                    method: e.method.clone(),
                    template: e.template.clone(),
                    first_ms: e.first_ms,
                    last_ms: e.last_ms,
                    count: i64::try_from(e.count).unwrap_or(i64::MAX),
                    doc: serde_json::to_string(e).unwrap_or_default(),
                })
                .collect()
        };
        store.upsert_endpoints(&rows)?;
        Ok(rows.len())
    }

    /// A snapshot, sorted by template and method.
    pub fn snapshot(&self) -> Vec<Endpoint> {
        let m = match self.map.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let mut v: Vec<Endpoint> = m.values().cloned().collect();
        v.sort_by(|a, b| a.template.cmp(&b.template).then(a.method.cmp(&b.method)));
        v
    }
}

fn skip(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/v1/admin/")
}

/// Middleware: observes every request and its response.
pub async fn observe(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if skip(req.uri().path()) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    // The WAF phase has already bounded the body; read it again (the bytes
    // are shared, not copied) for the LLM-shape check.
    let bytes = match axum::body::to_bytes(body, st.cfg.limits.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => bytes::Bytes::new(),
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    let (key, sample) = st
        .discovery
        .request(parts.method.as_str(), &path, &parts.headers, &bytes);
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Only bodies of known, small size are sampled: a stream is never
    // held back for a scan.
    let length = resp
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| axum::body::HttpBody::size_hint(resp.body()).exact());
    let small = length.is_some_and(|n| n <= 256 << 10);
    let textual = ctype.as_deref().is_some_and(|c| {
        c.contains("json") || c.starts_with("text/") && !c.starts_with("text/event-stream")
    });
    if sample && small && textual {
        let (rparts, rbody) = resp.into_parts();
        return match axum::body::to_bytes(rbody, 256 << 10).await {
            Ok(b) => {
                st.discovery
                    .response(&key, status, ctype.as_deref(), Some(&b));
                Response::from_parts(rparts, Body::from(b))
            }
            Err(_) => {
                st.discovery.response(&key, status, ctype.as_deref(), None);
                Response::from_parts(rparts, Body::empty())
            }
        };
    }
    st.discovery.response(&key, status, ctype.as_deref(), None);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fold_identifiers() {
        assert_eq!(
            template("/users/42/orders/7?x=1"),
            "/users/{id}/orders/{id}"
        );
        assert_eq!(
            template("/items/3fa85f64-5717-4562-b3fc-2c963f66afa6"),
            "/items/{uuid}"
        );
        assert_eq!(template("/blobs/9f8c2b1e77aa01"), "/blobs/{hash}");
        assert_eq!(template("/people/ann@example.org"), "/people/{email}");
        assert_eq!(template("/v1/chat/completions"), "/v1/chat/completions");
        assert_eq!(template("/"), "/");
        assert_eq!(template(""), "/");
    }

    #[test]
    fn llm_shapes() {
        assert_eq!(llm_shape("/v1/chat/completions", b""), Some("openai-chat"));
        assert_eq!(llm_shape("/api/generate", b""), Some("ollama"));
        assert_eq!(
            llm_shape("/bot", br#"{"messages":[{"role":"user"}]}"#),
            Some("chat-like")
        );
        assert_eq!(llm_shape("/users", b"{}"), None);
    }
}
