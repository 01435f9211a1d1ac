//! Arbitrary bytes as a rule file: loading must never panic, and a rule
//! that loads must be usable by the engine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_sigma::{Engine, Event, RuleSet};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rules) = RuleSet::from_yaml_str("fuzz.yml", text) {
        let (set, _) = RuleSet::from_rules(rules);
        let engine = Engine::new(set);
        let ev = Event::from_json(
            serde_json::json!({"Event": {"System": {"Channel": "Security", "EventID": 4688},
            "EventData": {"NewProcessName": "C:\\Windows\\cmd.exe", "CommandLine": "cmd /c whoami"}}}),
        );
        let _ = engine.matches(&ev);
    }
});
