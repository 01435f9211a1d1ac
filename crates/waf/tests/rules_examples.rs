//! Every rule's positive/negative examples are checked when rules load; this test makes
//! that explicit and also runs each positive example through the whole engine as a
//! query argument at PL4 to check the rule is reachable end to end.

use palisade_waf::rules::RuleSet;
use palisade_waf::{Config, Request, Waf};

#[test]
fn rule_examples_hold() {
    let rules = RuleSet::load(&[]).expect("built-in rules load and their examples hold");
    assert!(rules.rules().len() >= 60);
    for r in rules.rules() {
        assert!(
            !r.spec.description.is_empty(),
            "{} has no description",
            r.spec.id
        );
        assert!((1..=4).contains(&r.spec.paranoia));
    }
}

#[test]
fn bad_rule_file_names_file_and_rule() {
    let bad = "rules:\n  - id: X-1\n    category: t\n    severity: critical\n    paranoia: 1\n    description: d\n    pattern: '('\n";
    let err = RuleSet::load(&[("custom.yaml".into(), bad.into())])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("custom.yaml") && err.contains("X-1"), "{err}");
    let bad_ex = "rules:\n  - id: X-2\n    category: t\n    severity: critical\n    paranoia: 1\n    description: d\n    pattern: 'abc'\n    examples:\n      match: ['xyz']\n";
    let err = RuleSet::load(&[("c2.yaml".into(), bad_ex.into())])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("c2.yaml") && err.contains("X-2"), "{err}");
}

#[test]
fn arg_examples_detected_end_to_end() {
    let waf = Waf::new(Config {
        paranoia_level: 4,
        ..Config::default()
    })
    .expect("valid");
    let rules = RuleSet::load(&[]).expect("loads");
    let mut unreachable = Vec::new();
    for r in rules.rules() {
        if !r.spec.targets.iter().any(|t| t == "args" || t == "all") {
            continue;
        }
        for ex in &r.spec.examples.positive {
            let body = format!(
                "q={}",
                percent_encoding::utf8_percent_encode(ex, percent_encoding::NON_ALPHANUMERIC)
            );
            let req = Request::new("POST", "/")
                .header("Host", "x")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body);
            if !waf
                .inspect(&req)
                .matches
                .iter()
                .any(|m| m.rule == r.spec.id)
            {
                unreachable.push(format!("{} {:?}", r.spec.id, ex));
            }
        }
    }
    assert!(
        unreachable.is_empty(),
        "examples not reached end to end: {unreachable:?}"
    );
}
