//! Tier 1 alone, in a loop, for `perf record`: scans the folded view of
//! every row of a corpus file ROUNDS times (default 20) and prints the
//! mean time per row: `cargo run --release -p palisade-guard --example
//! rules_loop -- FILE.jsonl` (`RULES=DIR` for other packs, `KIND=document`
//! and the like for the rules of another kind of text).

use palisade_core::Kind;
use palisade_guard::dataset::load_file;
use palisade_normalize::Normalizer;
use palisade_rules::RuleSet;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: rules_loop FILE.jsonl")?;
    let rows = load_file(std::path::Path::new(&path))?;
    let rules = match std::env::var_os("RULES") {
        Some(dir) => RuleSet::load_dir(std::path::Path::new(&dir))?,
        None => RuleSet::builtin()?,
    };
    rules.compile_all()?;
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let kind: Kind = match std::env::var("KIND") {
        Ok(k) => k.parse()?,
        Err(_) => Kind::Prompt,
    };
    let norm = Normalizer::default();
    let texts: Vec<String> = rows
        .iter()
        .map(|r| norm.normalize(&r.text).folded)
        .collect();
    let mut hits = 0;
    let mut out = Vec::new();
    let t = Instant::now();
    for _ in 0..rounds {
        for text in &texts {
            out.clear();
            rules.scan(text, kind, &mut out);
            hits += out.len();
        }
    }
    let per = t.elapsed().as_secs_f64() * 1e6 / (rounds * texts.len().max(1)) as f64;
    println!(
        "{} rows × {rounds}: {per:.1} µs/row, {hits} hits",
        texts.len()
    );
    Ok(())
}
