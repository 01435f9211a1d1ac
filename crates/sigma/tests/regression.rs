//! SigmaHQ regression cases: every rule runs on each case's EVTX; the
//! case passes when its rule fires (exactly `match_count` times if given).

mod common;

use palisade_sigma::{read_evtx, read_json, Engine, RuleSet};
use std::collections::BTreeMap;

#[test]
fn sigma_regression_dev() {
    let Some(shared) = common::shared() else {
        return;
    };
    let base = shared.join("datasets/soc/sigma-regression");
    let cases = common::labels(&base.join("labels.jsonl"));
    if cases.is_empty() {
        eprintln!("skipping: no regression labels");
        return;
    }
    let rules_root = shared.join("datasets/sigma");
    let (set, errors) = RuleSet::load_dir(&rules_root.join("rules"));
    let load_errs: BTreeMap<String, String> = errors
        .iter()
        .map(|e| (e.path.clone(), e.kind.to_string()))
        .collect();
    let engine = Engine::new(set);
    let (mut pass, mut noise_total) = (0usize, 0usize);
    let mut failures = Vec::new();
    let mut json_mismatch = Vec::new();
    for case in &cases {
        let rule_id = case["rule_id"].as_str().unwrap_or_default();
        let rule_path = case["rule_path"].as_str().unwrap_or_default();
        let file = base.join(case["file"].as_str().unwrap_or_default());
        let expected = case["match_count"].as_u64();
        if engine.rules().get(rule_id).is_none() {
            let full = rules_root.join(rule_path).display().to_string();
            let reason = load_errs
                .get(&full)
                .cloned()
                .unwrap_or_else(|| "not in rule set".into());
            failures.push(format!(
                "{rule_id} ({rule_path}): rule failed to load: {reason}"
            ));
            continue;
        }
        let mut fired = 0u64;
        let mut others: BTreeMap<String, u64> = BTreeMap::new();
        let mut events = 0;
        for ev in read_evtx(&file) {
            let Ok(ev) = ev else { continue };
            events += 1;
            for r in engine.matches(&ev) {
                if r.id == rule_id {
                    fired += 1;
                } else {
                    *others.entry(r.id.clone()).or_default() += 1;
                }
            }
        }
        noise_total += others.len();
        // The same records rendered by evtx_dump must give the same count.
        if let Some(jf) = case["json_file"].as_str() {
            if let Ok(h) = std::fs::File::open(base.join(jf)) {
                let json_fired = read_json(h)
                    .into_iter()
                    .flatten()
                    .filter(|ev| engine.matches(ev).iter().any(|r| r.id == rule_id))
                    .count() as u64;
                if json_fired != fired {
                    json_mismatch.push(format!("{rule_id}: evtx {fired} vs json {json_fired}"));
                }
            }
        }
        let ok = match expected {
            Some(n) => fired == n,
            None => fired > 0,
        };
        if ok {
            pass += 1;
        } else if fired == 0 {
            failures.push(format!(
                "{rule_id} ({rule_path}): not fired ({events} events)"
            ));
        } else {
            failures.push(format!(
                "{rule_id} ({rule_path}): wrong count {fired} vs {}",
                expected.unwrap_or(0)
            ));
        }
    }
    let rate = pass as f64 / cases.len() as f64;
    println!(
        "regression: {pass}/{} passed ({:.1}%), noise: {noise_total} other rules fired across cases ({:.2}/case)",
        cases.len(),
        rate * 100.0,
        noise_total as f64 / cases.len() as f64
    );
    for f in &failures {
        println!("  FAIL {f}");
    }
    println!("evtx vs json rendering mismatches: {}", json_mismatch.len());
    for m in &json_mismatch {
        println!("  {m}");
    }
    assert!(json_mismatch.is_empty(), "EVTX and JSON ingestion disagree");
    assert!(rate >= 0.95, "pass rate {rate:.3} < 0.95");
}
