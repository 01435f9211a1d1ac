//! The rules of `rules/guard/unsafe_short_asks.yaml` (and every other
//! built-in pack) on their development set, `data/guard/short_questions/`:
//! short harmful questions by three writers, each with a harmless twin,
//! and 500 harmless questions that keep the alarming words, read with the
//! training loader (so the files stay loadable as contrast sets). Rules
//! only, no model: the floors say what the rules catch by themselves, and
//! the ceiling that a change to any pack does not start flagging the
//! harmless rows.

mod common;

use palisade_core::Action;
use palisade_guard::dataset::{Label, Row};
use palisade_guard::{Guard, Policy};
use palisade_rules::RuleSet;

fn rows(file: &str) -> Vec<Row> {
    common::rows("short_questions", file)
}

fn flagged(guard: &Guard, text: &str) -> bool {
    common::action(guard, text) != Action::Allow
}

#[test]
fn rules_catch_short_asks_and_leave_their_twins() {
    let guard =
        Guard::new(RuleSet::builtin().expect("rules"), None, Policy::default()).expect("guard");
    // Session 50: before the pack the rules caught 76, 35 and 29; with it
    // 132, 73 and 50 (in the other languages only paid sex and sexual text
    // about a colleague or neighbour are its own). Twins flagged: 4, 2 and
    // 2 before it.
    let mut harmless_flagged = Vec::new();
    let mut check = |file: &str, harmful: usize, harmless: usize, floor: usize| {
        let rows = rows(file);
        let (bad, good): (Vec<&Row>, Vec<&Row>) =
            rows.iter().partition(|r| r.label == Label::Unsafe);
        assert_eq!((bad.len(), good.len()), (harmful, harmless), "{file}: rows");
        let caught = bad.iter().filter(|r| flagged(&guard, &r.text)).count();
        assert!(
            caught >= floor,
            "{file}: {caught} of {harmful} caught, floor {floor}"
        );
        harmless_flagged.extend(
            good.iter()
                .filter(|r| flagged(&guard, &r.text))
                .map(|r| r.text.clone()),
        );
    };
    check("en.yaml", 350, 350, 126);
    check("zh.yaml", 300, 300, 68);
    check("multilingual.yaml", 300, 300, 46);
    check("risky_harmless.yaml", 0, 500, 0);
    // Before the session's exceptions 8 twins and 4 of the 500 were
    // flagged (a bank's script against fraud, a history question in the
    // past tense, a court and child support, a booking at an internet
    // café); now a reported self-harm thought in each.
    assert!(
        harmless_flagged.len() <= 4,
        "{} harmless rows flagged: {harmless_flagged:#?}",
        harmless_flagged.len()
    );
}
