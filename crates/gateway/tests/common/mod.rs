//! A gateway in front of the mock upstream, both in-process on loopback.

#![allow(dead_code)]

use palisade_gateway::{Config, Gateway};
use palisade_mock_upstream::MockConfig;
use palisade_store::{EventQuery, NewKey, Store};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub struct Gw {
    pub base: String,
    pub mock: SocketAddr,
    pub key: String,
    pub admin: String,
    pub store: Arc<Store>,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub done: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

static N: AtomicUsize = AtomicUsize::new(0);

pub fn factory(p: palisade_guard::Policy) -> Result<palisade_guard::Guard, String> {
    let rules = palisade_rules::RuleSet::builtin().map_err(|e| e.to_string())?;
    let model = palisade_model::GuardModel::builtin().ok();
    palisade_guard::Guard::new(rules, model, p).map_err(|e| e.to_string())
}

/// Starts a mock upstream (requiring key `sk-upstream`) and a gateway in
/// front of it; `edit` adjusts the configuration first.
pub async fn start(edit: impl FnOnce(&mut Config, &std::path::Path), mock: MockConfig) -> Gw {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = N.fetch_add(1, Ordering::Relaxed);
    let key_env = format!("PALISADE_TEST_UPSTREAM_KEY_{n}_{}", std::process::id());
    let admin_env = format!("PALISADE_TEST_ADMIN_{n}_{}", std::process::id());
    std::env::set_var(&key_env, "sk-upstream");
    std::env::set_var(&admin_env, "admin-secret");
    let mock_addr = palisade_mock_upstream::spawn(MockConfig {
        api_key: Some("sk-upstream".into()),
        ..mock
    })
    .await
    .expect("mock");
    let mut cfg = Config::parse(
        &format!(
            "storage = {:?}\n[auth]\nadmin_token_env = {:?}\n[[upstreams]]\nname = \"mock\"\nurl = \"http://{mock_addr}\"\napi_key_env = {:?}\n",
            dir.path().join("gw.db"),
            admin_env,
            key_env
        ),
        "test.toml",
    )
    .expect("config");
    edit(&mut cfg, dir.path());
    cfg.validate().expect("valid config");
    let gw = Gateway::new(cfg, &factory).expect("gateway");
    let store = gw.state().store.clone();
    let k = store
        .create_key(&NewKey {
            name: "test".into(),
            policy: None,
            models: vec![],
        })
        .expect("key");
    gw.state().keys.reload().expect("reload");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        gw.serve(
            listener,
            async {
                let _ = rx.await;
            },
            Duration::from_secs(5),
        )
        .await
        .expect("serve");
    });
    Gw {
        base: format!("http://{addr}"),
        mock: mock_addr,
        key: k.secret,
        admin: "admin-secret".into(),
        store,
        http: reqwest::Client::new(),
        stop: Some(tx),
        done: Some(done),
        _dir: dir,
    }
}

impl Gw {
    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
    }

    pub async fn chat(&self, body: serde_json::Value) -> reqwest::Response {
        self.post("/v1/chat/completions")
            .json(&body)
            .send()
            .await
            .expect("send")
    }

    /// The events of a request, waiting for the writer (at most 5 s).
    pub async fn events(&self, request_id: &str, n: usize) -> Vec<palisade_core::Event> {
        for _ in 0..100 {
            let page = self
                .store
                .query_events(&EventQuery {
                    request_id: Some(request_id.into()),
                    ..EventQuery::default()
                })
                .expect("query");
            if page.events.len() >= n {
                return page.events;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("fewer than {n} events for {request_id}");
    }

    /// What the mock received last.
    pub async fn last_upstream(&self) -> serde_json::Value {
        reqwest::get(format!("http://{}/mock/last", self.mock))
            .await
            .expect("mock last")
            .json()
            .await
            .expect("json")
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(d) = self.done.take() {
            let _ = d.await;
        }
    }
}

pub fn rid(r: &reqwest::Response) -> String {
    r.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string()
}

/// Joins the text deltas of an OpenAI chat SSE body; returns (text,
/// finish_reasons, saw_done).
pub fn chat_sse(body: &str) -> (String, Vec<String>, bool) {
    let mut text = String::new();
    let mut reasons = Vec::new();
    let mut done = false;
    for line in body.lines() {
        let Some(d) = line.strip_prefix("data: ") else {
            continue;
        };
        if d == "[DONE]" {
            done = true;
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(d).expect("chunk json");
        for c in v["choices"].as_array().into_iter().flatten() {
            if let Some(t) = c["delta"]["content"].as_str() {
                text.push_str(t);
            }
            if let Some(r) = c["finish_reason"].as_str() {
                reasons.push(r.to_string());
            }
        }
    }
    (text, reasons, done)
}
