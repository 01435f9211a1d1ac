//! The official `openai` and `anthropic` Python SDKs (pinned, installed by
//! `scripts/setup_python.sh`) against the real `palisade serve` binary in
//! front of the mock upstream. Skips with a message when the venv is
//! absent, unless PALISADE_REQUIRE_SDK=1 (set by scripts/test.sh), which
//! makes a missing venv a failure.

use palisade_mock_upstream::{canned, MockConfig};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_palisade");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_sdks_through_the_gateway() {
    let Some(python) = palisade_mock_upstream::sdk_python() else {
        return;
    };
    let mock = palisade_mock_upstream::spawn(MockConfig {
        api_key: Some("sk-upstream-real".into()),
        ..MockConfig::default()
    })
    .await
    .expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("gw.db");
    let out = Command::new(BIN)
        .args(["keys", "create", "--name", "sdk", "--storage"])
        .arg(&db)
        .output()
        .expect("keys create");
    assert!(out.status.success());
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &format!("http://{mock}"),
            "--storage",
        ])
        .arg(&db)
        .env("PALISADE_UPSTREAM_API_KEY", "sk-upstream-real")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("address line")
        .to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk_gateway.py");
    let benign = canned("benign").expect("canned").to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args([script, &format!("http://{addr}"), &key, &benign])
            .output()
            .expect("run python")
    })
    .await
    .expect("join");
    let _ = child.kill();
    let _ = child.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "sdk_gateway.py failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(stdout.trim_end().ends_with("sdk gateway ok"), "{stdout}");
    println!("{stdout}");
}
