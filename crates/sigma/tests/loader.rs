//! Loader statistics over the full SigmaHQ rule set.

mod common;

use palisade_sigma::{Engine, RuleSet};
use std::collections::BTreeMap;

#[test]
fn sigmahq_rules_load() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = shared.join("datasets/sigma/rules");
    let files = walk(&dir);
    let (set, errors) = RuleSet::load_dir(&dir);
    let mut by_reason: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for e in &errors {
        by_reason
            .entry(e.kind.category())
            .or_default()
            .push(e.to_string());
    }
    println!(
        "rule files: {files}, rules loaded: {}, load errors: {}",
        set.len(),
        errors.len()
    );
    for (reason, list) in &by_reason {
        println!("  {reason}: {}", list.len());
        for l in list {
            println!("    {l}");
        }
    }
    let engine = Engine::new(set);
    println!("engine: {:?}", engine.stats());
    assert!(files >= 3000, "expected the SigmaHQ rule set");
    assert_eq!(
        engine.rules().len() + errors.len(),
        files,
        "every file is loaded or reported"
    );
    assert!(
        errors.len() * 100 <= files,
        "more than 1% of rules failed to load"
    );
}

fn walk(dir: &std::path::Path) -> usize {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                n += walk(&p);
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                n += 1;
            }
        }
    }
    n
}
