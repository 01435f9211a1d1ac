//! Times one guard check on a 1 KB prompt four ways: back to back (warm
//! caches), after a 20 ms pause (what a gateway in front of a slow model
//! sees), after spinning without touching memory (`SPIN_US`, default 20
//! ms: is it our idle state or other tenants that empty the caches?), and
//! after sweeping 64 MiB through the caches (fully cold). The gap between
//! the first and the others is the cost of the code and data a check
//! touches, which no warm benchmark shows:
//! `cargo run --release -p palisade-guard --example cold_check [ROUNDS]`.
//! `ANSWER=TEXT` times TEXT checked as an answer instead: back to back,
//! and 20 ms after a prompt's check (a gateway behind a slow model).

use palisade_core::{Direction, Kind};
use palisade_guard::{Guard, Policy, Request};
use std::time::{Duration, Instant};

const SENTENCES: [&str; 6] = [
    "I am planning a two-week trip through northern Italy in late spring.",
    "Could you suggest a realistic daily budget for food and transport?",
    "My manager asked me to summarise last quarter's sales figures for the board.",
    "Please explain the difference between a Roth IRA and a traditional IRA.",
    "We are migrating our billing service from a monolith to several smaller services.",
    "How should I structure unit tests for a function that talks to a database?",
];

/// The sentences prompts are made of: `SENTENCES=FILE` (one a line, e.g.
/// those of `bench/chat.lua`) or the six above. A file that cannot be read
/// or holds no line is an error, not a silent fall-back to the six.
fn sentences() -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let Some(file) = std::env::var_os("SENTENCES") else {
        return Ok(SENTENCES.iter().map(|s| s.to_string()).collect());
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("SENTENCES={}: {e}", file.to_string_lossy()))?;
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    if lines.is_empty() {
        return Err(format!("SENTENCES={}: no sentence in it", file.to_string_lossy()).into());
    }
    Ok(lines)
}

fn prompt(i: usize, sentences: &[String]) -> String {
    let mut s = format!("Request {i}: ");
    let mut k = i;
    while s.len() < 1024 {
        k = k.wrapping_mul(2_654_435_761).wrapping_add(1) % 1_000_003;
        s.push_str(&sentences[k % sentences.len()]);
        s.push(' ');
    }
    s.truncate(1024);
    s
}

fn percentile(mut v: Vec<u128>, p: f64) -> f64 {
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(0) as f64 / 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200);
    // Every regex built first, as the gateway has them.
    let rules = palisade_rules::RuleSet::builtin()?;
    rules.compile_all()?;
    let guard = Guard::new(
        rules,
        Some(palisade_model::GuardModel::builtin()?),
        Policy::default(),
    )?;
    guard.warm()?;
    let sentences = sentences()?;
    let texts: Vec<String> = (0..rounds * 4 + 200)
        .map(|i| prompt(i, &sentences))
        .collect();
    let check = |t: &str, dir: Direction| {
        let req = Request {
            text: t,
            direction: dir,
            kind: Kind::Prompt,
            context: None,
            partial: false,
        };
        let start = Instant::now();
        std::hint::black_box(guard.may_mask(&req));
        let mm = start.elapsed().as_nanos();
        let start = Instant::now();
        let v = guard.check(&req);
        let total = start.elapsed().as_nanos();
        let tier = |name: &str| {
            v.timings
                .iter()
                .filter(|t| format!("{:?}", t.tier).eq_ignore_ascii_case(name))
                .map(|t| u128::from(t.micros) * 1000)
                .sum::<u128>()
        };
        [total, tier("normalize"), tier("rules"), tier("model"), mm]
    };
    for t in &texts[..200] {
        check(t, Direction::Input);
    }
    let mut sweep = vec![0u8; 64 << 20];
    let mut next = texts[200..].iter();
    let mut warm = Vec::new();
    let mut paused = Vec::new();
    let mut swept = Vec::new();
    let mut spun = Vec::new();
    // SPIN_US: how long the busy pause lasts (default 20 ms).
    let spin_for = Duration::from_micros(
        std::env::var("SPIN_US")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000),
    );
    // PAUSED_ONLY=1: only the checks after a pause, for a profiler.
    let paused_only = std::env::var_os("PAUSED_ONLY").is_some();
    // SWEPT_ONLY=1: only the checks after a sweep, for a cache simulator
    // (`valgrind --tool=callgrind --cache-sim=yes`), where a sleep would
    // not empty the simulated caches.
    let swept_only = std::env::var_os("SWEPT_ONLY").is_some();
    // ANSWER=TEXT: what a gateway pays for a non-streamed answer: each
    // round checks a prompt, waits 20 ms (the model), then checks TEXT as
    // output (timed), against TEXT checked back to back.
    let answer = std::env::var_os("ANSWER");
    if let Some(answer) = &answer {
        let answer = answer.to_string_lossy().into_owned();
        for t in texts[200..].iter().take(rounds) {
            warm.push(check(&answer, Direction::Output));
            check(t, Direction::Input);
            std::thread::sleep(Duration::from_millis(20));
            paused.push(check(&answer, Direction::Output));
        }
    }
    // The prompt's own timings only when no answer is timed instead.
    let prompt_rounds = if answer.is_some() { 0 } else { rounds };
    for r in 0..prompt_rounds {
        if swept_only {
            for b in sweep.iter_mut().step_by(64) {
                *b = b.wrapping_add(r as u8);
            }
            std::hint::black_box(&sweep);
            if let Some(t) = next.next() {
                swept.push(check(t, Direction::Input));
            }
            continue;
        }
        if paused_only {
            std::thread::sleep(Duration::from_millis(20));
            if let Some(t) = next.next() {
                paused.push(check(t, Direction::Input));
            }
            continue;
        }
        if let Some(t) = next.next() {
            warm.push(check(t, Direction::Input));
        }
        std::thread::sleep(Duration::from_millis(20));
        if let Some(t) = next.next() {
            paused.push(check(t, Direction::Input));
        }
        // A busy pause keeps the core awake and touches no memory: if a
        // check after it is as slow as after a sleep, what the sleep cost
        // is the core's idle state or other tenants, not our own data.
        let spin = Instant::now();
        while spin.elapsed() < spin_for {
            std::hint::spin_loop();
        }
        if let Some(t) = next.next() {
            spun.push(check(t, Direction::Input));
        }
        for b in sweep.iter_mut().step_by(64) {
            *b = b.wrapping_add(r as u8);
        }
        std::hint::black_box(&sweep);
        if let Some(t) = next.next() {
            swept.push(check(t, Direction::Input));
        }
    }
    println!("p50 in µs: check (p90) / normalize / rules+data / model; may_mask before it");
    for (name, v) in [
        ("warm", warm),
        ("after 20 ms", paused),
        ("after spinning", spun),
        ("after 64 MiB sweep", swept),
    ] {
        if v.is_empty() {
            continue;
        }
        let col = |k: usize| v.iter().map(|x: &[u128; 5]| x[k]).collect::<Vec<_>>();
        println!(
            "{name:>20}: {:7.1} ({:7.1}) / {:6.1} / {:6.1} / {:6.1}; {:6.1}",
            percentile(col(0), 0.5),
            percentile(col(0), 0.9),
            percentile(col(1), 0.5),
            percentile(col(2), 0.5),
            percentile(col(3), 0.5),
            percentile(col(4), 0.5),
        );
    }
    Ok(())
}
