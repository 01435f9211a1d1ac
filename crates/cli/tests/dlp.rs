//! `palisade dlp` as a process: JSONL in and out, scanning folders with
//! binary and invalid UTF-8 files, structured files, masking.

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_palisade");

/// Runs `palisade ARGS PATH`, which must succeed; its stdout.
fn ok(args: &[&str], path: &std::path::Path) -> Vec<u8> {
    let out = Command::new(BIN)
        .args(args)
        .arg(path)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn jsonl_answers_every_line_in_order_with_byte_offsets() {
    let mut child = Command::new(BIN)
        .args(["dlp", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let input = concat!(
        "{\"id\": 1, \"text\": \"客户电话13701720368\"}\n",
        "not json\n",
        "{\"id\": 3}\n",
        "{\"id\": 4, \"text\": \"nothing here\"}\n",
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["id"], 1);
    let e = &lines[0]["entities"][0];
    assert_eq!(e["type"], "cn_mobile");
    // "客户电话" is 12 bytes of UTF-8.
    assert_eq!(
        (e["start"].as_u64(), e["end"].as_u64()),
        (Some(12), Some(23))
    );
    assert_eq!(e["validated"], true);
    assert!(lines[1]["error"]
        .as_str()
        .expect("error")
        .starts_with("line 2:"));
    assert_eq!(lines[2]["id"], 3);
    assert!(lines[2]["error"].as_str().expect("error").contains("text"));
    assert_eq!(lines[3]["entities"].as_array().map(Vec::len), Some(0));
}

#[test]
fn scan_skips_binary_reports_bad_utf8_classifies_columns_and_fails_on_grade() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("people.csv"),
        "name,email\nAnn,ann@example.org\nBo,bo@example.net\n",
    )
    .expect("csv");
    std::fs::write(dir.path().join("blob.bin"), b"\x00\x01\x02 13701720368").expect("bin");
    std::fs::write(dir.path().join("broken.json"), "[{\"a\": 1},").expect("json");
    let mut bad = b"phone 13701720368 then ".to_vec();
    bad.extend_from_slice(&[0xff, 0xfe]);
    std::fs::write(dir.path().join("bad.txt"), &bad).expect("bad");
    let stdout = ok(&["dlp", "scan", "--format", "json"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&stdout).expect("json");
    let files = v["files"].as_array().expect("files");
    let by = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .unwrap_or_else(|| panic!("{name} missing in {v}"))
    };
    assert_eq!(by("blob.bin")["skipped"], "binary");
    assert_eq!(by("bad.txt")["invalid_utf8_at"], 23);
    assert_eq!(by("bad.txt")["entities"][0]["type"], "cn_mobile");
    assert!(
        by("broken.json")["columns_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("JSON line 1:")),
        "{v}"
    );
    let cols = &by("people.csv")["columns"]["columns"];
    assert_eq!(cols[1]["type"], "email_address");
    let out = Command::new(BIN)
        .args(["dlp", "scan", "--fail-on", "S3"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let out = Command::new(BIN)
        .args(["dlp", "scan", "--fail-on", "S9", "."])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("S9"));
}

#[test]
fn mask_partial_and_tokenize_round_trip() {
    let out = Command::new(BIN)
        .args(["dlp", "mask", "--method", "partial", "call 13701720368 now"])
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "call *******0368 now"
    );
    let key = String::from_utf8(
        Command::new(BIN)
            .args(["dlp", "keygen"])
            .output()
            .expect("keygen")
            .stdout,
    )
    .expect("utf8");
    let masked = Command::new(BIN)
        .args([
            "dlp",
            "mask",
            "--method",
            "tokenize",
            "--key-env",
            "K",
            "call 13701720368 now",
        ])
        .env("K", key.trim())
        .output()
        .expect("run");
    let masked = String::from_utf8_lossy(&masked.stdout).trim().to_string();
    assert!(
        masked.contains("tok_") && !masked.contains("13701720368"),
        "{masked}"
    );
    let back = Command::new(BIN)
        .args(["dlp", "unmask", "--key-env", "K", &masked])
        .env("K", key.trim())
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8_lossy(&back.stdout).trim(),
        "call 13701720368 now"
    );
    // Without a key, a method that needs one is a clear error.
    let out = Command::new(BIN)
        .args(["dlp", "mask", "--method", "hash", "x 13701720368"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a key"));
}

#[test]
fn scan_on_several_threads_reports_what_one_thread_does_in_the_same_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Files of very different sizes, so threads finish out of order.
    for i in 0..12 {
        let line = format!("user{i}@example.org called 1370172036{} ", i % 10);
        std::fs::write(
            dir.path().join(format!("f{i:02}.txt")),
            line.repeat(1 + (i * 7919) % 3000),
        )
        .expect("write");
    }
    let scan = |jobs: &str| {
        let stdout = ok(
            &["dlp", "scan", "--format", "jsonl", "--jobs", jobs],
            dir.path(),
        );
        String::from_utf8(stdout).expect("utf-8")
    };
    let one = scan("1");
    assert_eq!(one.lines().count(), 12);
    assert!(one.contains("email_address") && one.contains("cn_mobile"));
    assert_eq!(scan("4"), one);
    let out = Command::new(BIN)
        .args(["dlp", "scan", "--jobs", "0", "."])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bench_reports_the_first_pass_apart_from_the_warm_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("mixed.txt");
    std::fs::write(
        &file,
        "call 13701720368 or mail ann@example.org\n".repeat(500),
    )
    .expect("write");
    let stdout = ok(&["dlp", "bench", "--rounds", "3"], &file);
    let text = String::from_utf8_lossy(&stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for l in &lines {
        assert!(
            l.contains("first pass") && l.contains("over 2 passes"),
            "{l}"
        );
    }
    // Pieces are cut blindly, so a value across a cut is lost there.
    assert!(lines[0].starts_with("4 KiB pieces"), "{text}");
    assert!(lines[1].starts_with("whole file"), "{text}");
    assert!(lines[1].ends_with(" 1000 entities"), "{text}");
    let out = Command::new(BIN)
        .args(["dlp", "bench", "--rounds", "0"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}
