//! Runs the full rule set over EVTX/JSONL files and reports throughput.
//!
//! `cargo run --release -p palisade-sigma --example hunt -- RULES_DIR LOGS [--alerts] [--repeat N] [--ext evtx,jsonl]`
//! LOGS is a file or a directory searched recursively for files with the
//! given extensions (default `evtx`). Parsing and matching are timed separately.

use palisade_sigma::{read_evtx, read_json, read_jsonl, Engine, Event, Hunter, RuleSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn walk(p: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        if let Ok(rd) = std::fs::read_dir(p) {
            let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
            v.sort();
            for c in v {
                walk(&c, exts, out);
            }
        }
    } else if p
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.contains(&e))
    {
        out.push(p.to_path_buf());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(rules), Some(logs)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: hunt RULES_DIR LOGS [--alerts] [--repeat N] [--ext evtx,jsonl,json]");
        std::process::exit(2);
    };
    let show = args.iter().any(|a| a == "--alerts");
    let repeat: usize = args
        .iter()
        .position(|a| a == "--repeat")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let t = Instant::now();
    let (set, errors) = RuleSet::load_dir(Path::new(rules));
    let engine = Engine::new(set);
    println!(
        "rules: {} loaded, {} errors, compile {:.2}s; {:?}",
        engine.rules().len(),
        errors.len(),
        t.elapsed().as_secs_f64(),
        engine.stats()
    );
    let ext_arg = args
        .iter()
        .position(|a| a == "--ext")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "evtx".to_string());
    let exts: Vec<&str> = ext_arg.split(',').collect();
    let mut files = Vec::new();
    walk(Path::new(logs), &exts, &mut files);
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();

    // Parse once (timed), then match (timed) so both costs are visible.
    let t = Instant::now();
    let mut per_file: Vec<(PathBuf, Vec<Event>)> = Vec::new();
    let mut bad = 0usize;
    for (i, f) in files.iter().cycle().take(files.len() * repeat).enumerate() {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        let items: Vec<_> = match ext {
            "evtx" => read_evtx(f).collect(),
            "jsonl" => match std::fs::File::open(f) {
                Ok(h) => read_jsonl(h).collect(),
                Err(_) => Vec::new(),
            },
            _ => match std::fs::File::open(f) {
                Ok(h) => read_json(h),
                Err(_) => Vec::new(),
            },
        };
        let evs: Vec<Event> = items
            .into_iter()
            .filter_map(|r| r.map_err(|_| bad += 1).ok())
            .collect();
        if i < files.len() {
            per_file.push((f.clone(), evs));
        }
    }
    let parse_s = t.elapsed().as_secs_f64() / repeat as f64;
    bad /= repeat;
    let events: usize = per_file.iter().map(|(_, e)| e.len()).sum();

    let t = Instant::now();
    let mut alerts = 0usize;
    for _ in 0..repeat {
        for (f, evs) in &per_file {
            let mut h = Hunter::new(&engine);
            for ev in evs {
                for a in h.process(ev) {
                    alerts += 1;
                    if show && repeat == 1 {
                        println!(
                            "{}\t{}\t{}\t{}",
                            f.display(),
                            a.event_index,
                            a.level,
                            a.rule_title
                        );
                    }
                }
            }
            alerts += h.finish().len();
        }
    }
    let match_s = t.elapsed().as_secs_f64() / repeat as f64;
    let alerts = alerts / repeat;
    let total = parse_s + match_s;
    println!(
        "files: {}, bytes: {}, events: {events}, record errors: {bad}, alerts: {alerts}",
        files.len(),
        bytes
    );
    println!(
        "parse: {parse_s:.3}s ({:.0} ev/s), match: {match_s:.3}s ({:.0} ev/s), total: {total:.3}s ({:.0} ev/s, {:.2} MB/s)",
        events as f64 / parse_s,
        events as f64 / match_s,
        events as f64 / total,
        bytes as f64 / 1e6 / total
    );
}
