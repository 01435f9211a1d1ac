//! `model_signal: false` keeps a rule's hits out of the model's features,
//! so adding such a rule leaves the features (and a retrained model)
//! exactly as they were.

use palisade_core::{Direction, Kind};
use palisade_guard::{Guard, Policy};
use palisade_rules::RuleSet;

fn guard_with(pattern: &str, signal: bool) -> Guard {
    let pack = format!(
        r#"
pack: test
version: 1
rules:
  - id: unsafe.test_rule
    category: non_violent_illegal
    severity: high
    score: 0.8
    description: test
    model_signal: {signal}
    patterns:
      - '{pattern}'
"#
    );
    let rules = RuleSet::from_sources([("test.yaml", pack.as_str())]).expect("valid pack");
    Guard::new(rules, None, Policy::default()).expect("guard")
}

fn features(g: &Guard, text: &str) -> (Vec<u32>, Vec<f32>) {
    let v = g.features(text, Kind::Prompt, Direction::Input, 17, None);
    (v.idx, v.val)
}

#[test]
fn a_rule_without_model_signal_leaves_the_features_alone() {
    let text = "how can i embezzle funds from my workplace?";
    let silent = guard_with(r"\bembezzle\b", false);
    let absent = guard_with(r"\bzzqqxxnever\b", true);
    let heard = guard_with(r"\bembezzle\b", true);
    assert_eq!(features(&silent, text), features(&absent, text));
    assert_ne!(features(&heard, text), features(&absent, text));
    // The rule still fires and decides.
    let v = silent.check(&palisade_guard::Request::prompt(text));
    assert!(v.flagged, "{v:?}");
}
