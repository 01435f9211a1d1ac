//! Where the guard's latency tail comes from: times one check of each of
//! 3,200 prompts of 2 KB (corpus rows repeated, as `palisade bench` builds
//! them) three times over. The first pass pays for the rules' lazy DFAs
//! meeting new text shapes; the later ones show the steady tail, and the
//! slowest prompts with each tier's time:
//! `cargo run --release -p palisade-guard --example tail_latency [DIR]`.
//! `ONLY=N` checks prompt N 3,000 times instead (for `perf record`);
//! `ROWS=1` times the corpus rows as they are, whatever their length.
//! `WARM=1` first checks every rule example once, as a server could at
//! start (it cut the first pass's max from 8.3 to 2.6 ms, but its p99 only
//! from 1.17 to 1.08 ms: long texts meet DFA states no example reaches).
//! `WARM_OTHER=N` first checks N 2 KB texts made of rows the timed texts do
//! not use, as a server that has read N other prompts (session 58: the
//! first pass's p99 1.10 → 0.98 ms after 1,000, 0.95 ms after 2,357).
//! `DUMP=FILE` writes the timed texts as JSONL rows (for `stage_timing`).
//! `SHOW=N` prints the N slowest prompts of every pass, not only the last's.

use palisade_guard::dataset::load_paths;
use palisade_guard::eval::sized_texts;
use palisade_guard::{Guard, Policy, Request};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/datasets/guard".into());
    let rows = load_paths(&[dir.as_str().into()])?;
    // Every regex built first, as the gateway has them.
    let rules = palisade_rules::RuleSet::builtin()?;
    rules.compile_all()?;
    let guard = Guard::new(
        rules,
        Some(palisade_model::GuardModel::builtin()?),
        Policy::default(),
    )?;
    guard.warm()?;
    // The rows as they are, or 2 KB texts as `palisade bench` builds them.
    let texts = if std::env::var("ROWS").is_ok() {
        rows.iter().map(|r| r.text.clone()).collect()
    } else {
        sized_texts(&rows, 2048, 3200)
    };
    if texts.is_empty() {
        return Err(format!("no rows in {dir}").into());
    }
    if let Some(path) = std::env::var_os("DUMP") {
        let mut out = String::new();
        for t in &texts {
            out.push_str(
                &serde_json::json!({"text": t, "label": "jailbreak", "source": "sized"})
                    .to_string(),
            );
            out.push('\n');
        }
        std::fs::write(path, out)?;
    }
    if let Ok(n) = std::env::var("WARM_OTHER") {
        let other: Vec<_> = rows.iter().skip(3200).cloned().collect();
        let warm = sized_texts(&other, 2048, n.parse()?);
        warm_on(&guard, warm.iter().map(String::as_str), "other texts");
    }
    if std::env::var("WARM").is_ok() {
        let ex = guard
            .rules()
            .rules()
            .iter()
            .flat_map(|r| r.examples.positive.iter().chain(&r.examples.negative));
        warm_on(&guard, ex.map(String::as_str), "examples");
    }
    if let Ok(only) = std::env::var("ONLY") {
        let t = texts
            .get(only.parse::<usize>()?)
            .ok_or("ONLY is past the last prompt")?;
        for _ in 0..3000 {
            std::hint::black_box(guard.check(&Request::prompt(t)));
        }
        return Ok(());
    }
    for pass in 0..3 {
        let mut lat: Vec<(u128, usize, String)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let s = Instant::now();
                let v = guard.check(&Request::prompt(t));
                let us = s.elapsed().as_micros();
                let tiers: Vec<String> = v
                    .timings
                    .iter()
                    .map(|x| format!("{:?}={}", x.tier, x.micros))
                    .collect();
                (us, i, tiers.join(","))
            })
            .collect();
        lat.sort();
        let at = |q: usize| lat[(lat.len() - 1) * q / 100].0;
        println!(
            "pass {pass}: p50 {} p90 {} p99 {} max {} µs",
            at(50),
            at(90),
            at(99),
            at(100)
        );
        let show = std::env::var("SHOW").ok().and_then(|v| v.parse().ok());
        if pass == 2 || show.is_some() {
            for (us, i, tiers) in lat.iter().rev().take(show.unwrap_or(8)) {
                let head: String = texts[*i].chars().take(60).collect();
                let len = texts[*i].len();
                println!("  {us} µs  #{i}  {len} B  {tiers}  {head:?}");
            }
        }
    }
    Ok(())
}

/// Checks every text once, to fill the caches before the timed passes.
fn warm_on<'a>(guard: &Guard, texts: impl Iterator<Item = &'a str>, what: &str) {
    let s = Instant::now();
    let mut n = 0;
    for t in texts {
        std::hint::black_box(guard.check(&Request::prompt(t)));
        n += 1;
    }
    println!("warmed on {n} {what} in {} ms", s.elapsed().as_millis());
}
