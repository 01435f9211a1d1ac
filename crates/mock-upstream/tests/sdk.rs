//! Runs `sdk_smoke.py` (the official openai and anthropic Python SDKs) against
//! an in-process mock when the venv from `scripts/setup_python.sh` exists.

use std::path::PathBuf;
use std::process::Command;

use palisade_mock_upstream::{spawn, MockConfig};

fn venv_python() -> Option<PathBuf> {
    let venv = match std::env::var_os("PALISADE_VENV") {
        Some(v) => PathBuf::from(v),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/palisade/venv"),
    };
    let python = venv.join("bin/python");
    python.exists().then_some(python)
}

#[tokio::test]
async fn official_python_sdks_parse_the_mock() {
    let Some(python) = venv_python() else {
        assert!(
            std::env::var("PALISADE_REQUIRE_SDK").as_deref() != Ok("1"),
            "python venv not found and PALISADE_REQUIRE_SDK=1 (run scripts/setup_python.sh)"
        );
        println!("skipping: python venv not found (run scripts/setup_python.sh)");
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
