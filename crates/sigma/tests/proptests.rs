//! Property tests: the loader and the event model never panic on
//! arbitrary input, and matching arbitrary events never panics.

use palisade_sigma::{Engine, Event, Hunter, RuleSet};
use proptest::prelude::*;
use serde_json::Value;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        ".{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("Security"),
            Just("Microsoft-Windows-Sysmon/Operational"),
            Just("4688"),
            Just("cmd.exe")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    ".{0,8}".prop_map(|s: String| s),
                    Just("Event".to_string()),
                    Just("System".to_string()),
                    Just("EventData".to_string()),
                    Just("#attributes".to_string()),
                    Just("Channel".to_string()),
                    Just("EventID".to_string()),
                    Just("CommandLine".to_string()),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const RULES: &str = r#"
title: a
id: a
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains|windash: ' -enc '
    Image|endswith: '\cmd.exe'
  kw: ['evil']
  re: {CommandLine|re|i: 'a.+b'}
  n: {EventID|gte: 10}
  c: {IpAddress|cidr: '10.0.0.0/8'}
  condition: (sel or kw) and not (re or n) or 1 of c*
---
title: b
id: b
detection:
  s: {CommandLine: '*'}
  condition: s
---
title: c
id: c
correlation: {type: event_count, rules: [b], group-by: [Computer], timespan: 1m, condition: {gte: 2}}
"#;

fn engine() -> Engine {
    let rules = RuleSet::from_yaml_str("prop.yml", RULES).unwrap_or_default();
    let (set, _) = RuleSet::from_rules(rules);
    Engine::new(set)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn loader_never_panics(text in ".{0,400}") {
        let _ = RuleSet::from_yaml_str("p.yml", &text);
    }

    #[test]
    fn loader_never_panics_on_rule_shaped_yaml(
        field in "[A-Za-z|]{0,20}",
        value in ".{0,20}",
        cond in "[a-z ()|*0-9]{0,30}",
    ) {
        let text = format!(
            "title: t\nlogsource: {{product: windows}}\ndetection:\n  sel:\n    '{}': {}\n  condition: '{}'\n",
            field.replace('\'', ""),
            serde_json::to_string(&value).unwrap_or_default(),
            cond.replace('\'', ""),
        );
        let _ = RuleSet::from_yaml_str("p.yml", &text);
    }

    #[test]
    fn events_never_panic(v in arb_json()) {
        let ev = Event::from_json(v);
        let _ = ev.field("CommandLine");
        let _ = ev.timestamp();
        let e = engine();
        let _ = e.matches(&ev);
        let mut h = Hunter::new(&e);
        let _ = h.process(&ev);
        let _ = h.process(&ev);
        let _ = h.finish();
    }
}
