//! `palisade serve` as a process: start-up, keys from the CLI, and a
//! SIGTERM under load that must not lose any acknowledged event.

use palisade_mock_upstream::MockConfig;
use palisade_store::{EventQuery, Store};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::{create_key, BIN};

/// Starts the gateway; returns the child and its address.
fn serve(db: &std::path::Path, upstream: &str, extra: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            upstream,
            "--storage",
        ])
        .arg(db)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read address");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_no_acknowledged_event() {
    let mock = palisade_mock_upstream::spawn(MockConfig {
        delay: Duration::from_millis(15),
        ..MockConfig::default()
    })
    .await
    .expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("gw.db");
    let key = create_key(&db, "load");
    let (mut child, addr) = serve(&db, &format!("http://{mock}"), &[]);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (client, acked, key, addr) = (client.clone(), acked.clone(), key.clone(), addr.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..10_000 {
                let body = serde_json::json!({"model": "m", "messages": [
                    {"role": "user", "content": format!("Worker {w} asks question {i}: what is the tallest mountain?")}]});
                let r = client
                    .post(format!("http://{addr}/v1/chat/completions"))
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await;
                let Ok(r) = r else { break };
                if r.status() != 200 {
                    break;
                }
                let id = r.headers()["x-request-id"].to_str().expect("ascii").to_string();
                // Acknowledged only once the whole answer arrived.
                if r.bytes().await.is_ok() {
                    acked.lock().expect("lock").push(id);
                }
            }
        }));
    }
    // Wait for real load rather than a fixed time: on a slow CI machine a
    // debug build can take seconds to answer its first requests.
    let started = Instant::now();
    let before = loop {
        let n = acked.lock().expect("lock").len();
        if n > 20 || started.elapsed() > Duration::from_secs(60) {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(before > 20, "load did not start: {before} answers in 60 s");
    let pid = child.id().to_string();
    let st = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(st.success());
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "gateway did not stop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().expect("lock").clone();
    let store = Store::open(&db).expect("open store");
    let mut seen = HashSet::new();
    let mut before_id = None;
    loop {
        let page = store
            .query_events(&EventQuery {
                limit: Some(1000),
                before_id,
                direction: Some(palisade_core::Direction::Output),
                ..EventQuery::default()
            })
            .expect("query");
        for e in &page.events {
            seen.insert(e.request_id.clone());
        }
        match page.next_before_id {
            Some(b) => before_id = Some(b),
            None => break,
        }
    }
    let missing: Vec<_> = acked.iter().filter(|id| !seen.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged answers have no event: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    eprintln!("{} acknowledged answers, all recorded", acked.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_revoked_by_the_cli_stop_working_in_a_running_gateway() {
    let mock = palisade_mock_upstream::spawn(MockConfig::default())
        .await
        .expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("gw.db");
    let key = create_key(&db, "load");
    let (mut child, addr) = serve(&db, &format!("http://{mock}"), &[]);
    let client = reqwest::Client::new();
    let call = || {
        client
            .post(format!("http://{addr}/v1/chat/completions"))
            .bearer_auth(&key)
            .json(
                &serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
            )
            .send()
    };
    assert_eq!(call().await.expect("send").status(), 200);
    let id = key.split('_').nth(1).expect("id");
    let out = Command::new(BIN)
        .args(["keys", "revoke", id, "--storage"])
        .arg(&db)
        .output()
        .expect("revoke");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = Command::new(BIN)
        .args(["keys", "list", "--storage"])
        .arg(&db)
        .output()
        .expect("list");
    assert!(String::from_utf8_lossy(&list.stdout).contains("revoked"));
    let t = Instant::now();
    loop {
        if call().await.expect("send").status() == 401 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "revoked key still accepted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn bad_configuration_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("palisade.toml");
    std::fs::write(&cfg, "[[upstreams]]\nname = \"a\"\nurl = \"ftp://x\"\n").expect("write");
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&cfg)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("palisade.toml: upstreams[0].url: scheme \"ftp\" is not http or https"),
        "{err}"
    );
    let out = Command::new(BIN)
        .args(["serve"])
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no upstream"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
