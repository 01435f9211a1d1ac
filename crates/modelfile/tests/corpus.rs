//! Labelled corpus evaluation: recall on malicious files and no benign file called malicious.
//!
//! Reads `shared/datasets/infra/models/labels.jsonl` next to the repository checkout and skips
//! (with a message) when the corpus is not present.

use palisade_modelfile::{analyze_path, Limits, Verdict};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/infra/models")
}

#[derive(Default)]
struct Row {
    mal: u32,
    mal_hit: u32,
    ben: u32,
    ben_fp: u32,
    ben_susp: u32,
}

#[test]
fn corpus_recall_and_false_positives() {
    let dir = corpus_dir();
    let labels = dir.join("labels.jsonl");
    let Ok(text) = std::fs::read_to_string(&labels) else {
        println!("corpus not found at {}; skipping", labels.display());
        return;
    };
    let limits = Limits::default();
    let mut table: BTreeMap<String, Row> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut fps = Vec::new();
    let started = Instant::now();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("labels.jsonl line is JSON");
        let file = v["file"].as_str().unwrap_or_default().to_string();
        let label = v["label"].as_str().unwrap_or_default().to_string();
        let technique = v["technique"].as_str().unwrap_or("-").to_string();
        let source = v["source_path"].as_str().unwrap_or("-").to_string();
        let report = match analyze_path(&dir.join(&file), &limits) {
            Ok(r) => r,
            Err(e) => panic!("{file}: {e}"),
        };
        let row = table.entry(report.format.as_str().to_string()).or_default();
        let flagged = report.verdict == Verdict::Malicious;
        let summary = format!(
            "{file} [{}] {} technique={technique} source={source} evidence={:?} errors={:?}",
            report.format,
            report.verdict,
            report
                .evidence
                .iter()
                .map(|e| format!("{}:{}", e.severity, e.detail))
                .collect::<Vec<_>>(),
            report.errors
        );
        if label == "malicious" {
            row.mal += 1;
            if flagged {
                row.mal_hit += 1;
            } else {
                misses.push(summary);
            }
        } else {
            row.ben += 1;
            if flagged {
                row.ben_fp += 1;
                fps.push(summary);
            } else if report.verdict == Verdict::Suspicious {
                row.ben_susp += 1;
            }
        }
    }
    let elapsed = started.elapsed();
    println!("\n| format | malicious | detected | benign | false positives | benign suspicious |");
    println!("|---|---|---|---|---|---|");
    let mut tot = Row::default();
    for (fmt, r) in &table {
        println!(
            "| {fmt} | {} | {} | {} | {} | {} |",
            r.mal, r.mal_hit, r.ben, r.ben_fp, r.ben_susp
        );
        tot.mal += r.mal;
        tot.mal_hit += r.mal_hit;
        tot.ben += r.ben;
        tot.ben_fp += r.ben_fp;
        tot.ben_susp += r.ben_susp;
    }
    let recall = f64::from(tot.mal_hit) / f64::from(tot.mal.max(1));
    let fpr = f64::from(tot.ben_fp) / f64::from(tot.ben.max(1));
    println!(
        "| total | {} | {} | {} | {} | {} |\nrecall {recall:.3}, false-positive rate {fpr:.3}, {} files in {:.1} ms",
        tot.mal, tot.mal_hit, tot.ben, tot.ben_fp, tot.ben_susp, tot.mal + tot.ben, elapsed.as_secs_f64() * 1000.0
    );
    for m in &misses {
        println!("MISS {m}");
    }
    for f in &fps {
        println!("FALSE POSITIVE {f}");
    }
    assert!(fps.is_empty(), "benign files judged malicious: {fps:#?}");
    assert!(recall >= 0.95, "recall {recall:.3} below 0.95");
}
