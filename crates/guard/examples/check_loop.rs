//! Checks the 3,200 prompts of 2 KB that `palisade bench` builds, `PASSES`
//! times (default 2) and nothing else, so that an instruction count of the
//! checks alone is repeatable on a noisy machine:
//! `valgrind --tool=callgrind --toggle-collect='*Guard::tiers12*'
//! --toggle-collect='*Guard::finish*' target/release/examples/check_loop`
//! (the figures in `docs/guard.md`, "Session 13"). `RULES=DIR` checks with
//! the packs in DIR instead of the built-in ones (for A/B counts).

use palisade_guard::dataset::load_paths;
use palisade_guard::eval::sized_texts;
use palisade_guard::{Guard, Policy, Request};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/datasets/guard".into());
    let texts = sized_texts(&load_paths(&[dir.into()])?, 2048, 3200);
    let rules = match std::env::var_os("RULES") {
        Some(d) => palisade_rules::RuleSet::load_dir(std::path::Path::new(&d))?,
        None => palisade_rules::RuleSet::builtin()?,
    };
    rules.compile_all()?;
    let guard = Guard::new(
        rules,
        Some(palisade_model::GuardModel::builtin()?),
        Policy::default(),
    )?;
    guard.warm()?;
    let passes: usize = match std::env::var("PASSES") {
        Ok(p) => p.parse()?,
        Err(_) => 2,
    };
    for _ in 0..passes {
        for t in &texts {
            std::hint::black_box(guard.check(&Request::prompt(t)));
        }
    }
    Ok(())
}
