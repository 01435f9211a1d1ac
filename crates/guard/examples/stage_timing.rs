//! Times each stage of tiers 1–2 over a corpus file, to find where the
//! microseconds go: `cargo run --release --example stage_timing -- FILE.jsonl`
//! (`RULES=DIR` for packs other than the built-in ones; `COLD=1` also
//! profiles the patterns on the first pass, while their DFAs are cold;
//! `TOP=N` prints the N costliest patterns, 12 by default).

use palisade_core::Kind;
use palisade_guard::dataset::load_file;
use palisade_normalize::Normalizer;
use palisade_rules::RuleSet;
use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: stage_timing FILE.jsonl");
        std::process::exit(2);
    };
    let rows = match load_file(std::path::Path::new(&path)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let norm = Normalizer::default();
    // RULES=DIR times another set of packs (e.g. an older revision's).
    let loaded = match std::env::var_os("RULES") {
        Some(dir) => RuleSet::load_dir(std::path::Path::new(&dir)),
        None => RuleSet::builtin(),
    };
    let rules = match loaded.and_then(|r| r.compile_all().map(|()| r)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    eprintln!("{} patterns always run", rules.unfiltered_patterns());
    let bytes: usize = rows.iter().map(|r| r.text.len()).sum();
    let t = Instant::now();
    let normed: Vec<_> = rows.iter().map(|r| norm.normalize(&r.text)).collect();
    let tn = t.elapsed();
    // The guard scans the folded text.
    let texts: Vec<&str> = normed.iter().map(|n| n.folded.as_str()).collect();
    let show = |label: &str, prof: &[(String, usize, u128, usize)], top: usize| {
        for (id, n, ns, runs) in prof.iter().take(top) {
            println!(
                "  {label}{id} pattern {n}: {:.1} µs/row, {runs} runs",
                *ns as f64 / 1e3 / texts.len().max(1) as f64
            );
        }
    };
    // TOP=N: more of the profile (default 12).
    let top = std::env::var("TOP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    // COLD=1: which patterns cost most while their lazy DFAs are still
    // meeting the texts (the first checks a server answers).
    if std::env::var_os("COLD").is_some() {
        show("cold ", &rules.profile(&texts, Kind::Prompt), top);
    }
    let t = Instant::now();
    let mut hits = 0;
    for n in &normed {
        let mut out = Vec::new();
        rules.scan(&n.text, Kind::Prompt, &mut out);
        hits += out.len();
    }
    let tr_text = t.elapsed();
    let t = Instant::now();
    for n in &normed {
        let mut out = Vec::new();
        rules.scan(&n.folded, Kind::Prompt, &mut out);
        hits += out.len();
    }
    let tr_folded = t.elapsed();
    let prof = rules.profile(&texts, Kind::Prompt);
    let total_runs: usize = prof.iter().map(|p| p.3).sum();
    println!(
        "  {:.1} candidate patterns per row",
        total_runs as f64 / rows.len().max(1) as f64
    );
    show("", &prof, top);
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / rows.len().max(1) as f64;
    println!(
        "{} rows, {} KB: normalize {:.1} µs/row, rules(text) {:.1} µs/row, rules(folded) {:.1} µs/row, {hits} hits",
        rows.len(),
        bytes / 1024,
        per(tn),
        per(tr_text),
        per(tr_folded)
    );
}
