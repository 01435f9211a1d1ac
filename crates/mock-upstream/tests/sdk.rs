//! Runs `sdk_smoke.py` (the official openai and anthropic Python SDKs) against
//! an in-process mock when the venv from `scripts/setup_python.sh` exists.

use std::process::Command;

use palisade_mock_upstream::{spawn, MockConfig};

#[tokio::test]
async fn official_python_sdks_parse_the_mock() {
    let Some(python) = palisade_mock_upstream::sdk_python() else {
        return;
    };
    let addr = spawn(MockConfig {
        api_key: Some("sk-smoke".into()),
        ..MockConfig::default()
    })
    .await
    .expect("spawn mock");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk_smoke.py");
    let base = format!("http://{addr}");
    // Blocking wait off the runtime's thread so the in-process server keeps running.
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args([script, &base, "sk-smoke"])
            .output()
            .expect("run python")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "sdk_smoke.py failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(stdout.trim_end().ends_with("sdk smoke ok"), "{stdout}");
}
