//! Arbitrary bytes as a JSON event, matched against a fixed rule set that
//! exercises every modifier family.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_sigma::{Engine, Event, Hunter, RuleSet};
use std::sync::OnceLock;

const RULES: &str = r#"
title: a
id: a
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains|windash: ' -enc '
    Image|endswith: '\cmd.exe'
  b64: {CommandLine|utf16le|base64offset|contains: 'Invoke'}
  kw: ['evil']
  re: {CommandLine|re|i: 'a.+b'}
  n: {EventID|gte: 10}
  c: {IpAddress|cidr: ['10.0.0.0/8', 'fe80::/10']}
  f: {User|fieldref: ParentUser}
  g: {Image: 'C:\W?ndows\*\x*.exe'}
  condition: (sel or kw or b64) and not (re or n) or 1 of c* or f or g
---
title: b
id: b
detection:
  s: {CommandLine: '*'}
  condition: s
---
title: c
id: c
correlation: {type: value_count, rules: [b], group-by: [Computer], timespan: 1m, condition: {gte: 2, field: User}}
"#;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let rules = RuleSet::from_yaml_str("fuzz.yml", RULES).unwrap_or_default();
        Engine::new(RuleSet::from_rules(rules).0)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let ev = Event::from_json(v);
    let e = engine();
    let _ = e.matches(&ev);
    let mut h = Hunter::new(e);
    let _ = h.process(&ev);
    let _ = h.finish();
});
