//! ATT&CK-labelled EVTX coverage: a file is covered when an alert carries
//! its technique tag (parent technique match allowed).

mod common;

use palisade_sigma::{read_evtx, Engine, Hunter, RuleSet};
use std::collections::BTreeMap;

#[test]
fn attack_evtx_coverage() {
    let Some(shared) = common::shared() else {
        return;
    };
    let base = shared.join("datasets/soc/attack-evtx");
    let labels = common::labels(&base.join("labels.jsonl"));
    if labels.is_empty() {
        eprintln!("skipping: no attack-evtx labels");
        return;
    }
    let (set, _errors) = RuleSet::load_dir(&shared.join("datasets/sigma/rules"));
    let engine = Engine::new(set);
    // technique -> (files, covered, files with any alert)
    let mut table: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    let (mut files, mut covered, mut any_alert, mut alerts_total, mut read_errors) =
        (0u32, 0u32, 0u32, 0usize, 0usize);
    for l in &labels {
        let file = base.join(l["file"].as_str().unwrap_or_default());
        if !file.is_file() {
            continue;
        }
        let tech = l["technique_id"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let parent = tech.split('.').next().unwrap_or_default().to_string();
        let mut hunter = Hunter::new(&engine);
        let mut alerts = Vec::new();
        for ev in read_evtx(&file) {
            match ev {
                Ok(ev) => alerts.extend(hunter.process(&ev)),
                Err(_) => read_errors += 1,
            }
        }
        alerts.extend(hunter.finish());
        let hit = alerts.iter().any(|a| {
            a.tags.iter().any(|t| {
                let t = t.to_ascii_lowercase();
                let Some(tt) = t.strip_prefix("attack.") else {
                    return false;
                };
                let tparent = tt.split('.').next().unwrap_or_default();
                tt == tech || tparent == parent
            })
        });
        files += 1;
        alerts_total += alerts.len();
        let e = table
            .entry(l["technique_id"].as_str().unwrap_or_default().to_string())
            .or_default();
        e.0 += 1;
        if hit {
            covered += 1;
            e.1 += 1;
        }
        if !alerts.is_empty() {
            any_alert += 1;
            e.2 += 1;
        }
    }
    println!("technique       files covered any-alert");
    for (t, (f, c, a)) in &table {
        println!("{t:<15} {f:>5} {c:>7} {a:>9}");
    }
    println!(
        "attack-evtx: {files} files, covered {covered} ({:.1}%), any alert {any_alert} ({:.1}%), {alerts_total} alerts ({:.1}/file), {read_errors} record errors",
        100.0 * covered as f64 / files.max(1) as f64,
        100.0 * any_alert as f64 / files.max(1) as f64,
        alerts_total as f64 / files.max(1) as f64
    );
    assert!(files >= 100, "expected the dev split");
    // Floor set just under the measured value (see docs/sigma.md).
    assert!(
        covered * 100 >= files * COVERAGE_FLOOR_PCT,
        "coverage regressed"
    );
}

const COVERAGE_FLOOR_PCT: u32 = 25;
