//! Scans a file several times with the built-in catalogue, for profiling
//! the engine without the catalogue load: `scan_loop FILE [ROUNDS] [PIECE]`.
//! `CREDENTIALS=1` uses the credential types alone (what the guard runs).
//! The rounds run after one untimed pass (lazy automata and tries'
//! DFAs built), in `rounds`, which a profiler can single out
//! (`valgrind --tool=callgrind --toggle-collect='*scan_loop::rounds*'`).
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: scan_loop FILE [ROUNDS] [PIECE]");
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let piece: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let text = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let engine = if std::env::var_os("CREDENTIALS").is_some() {
        palisade_dlp::Engine::builtin_credentials_shared().expect("catalogue loads")
    } else {
        std::sync::Arc::new(palisade_dlp::Engine::builtin().expect("catalogue loads"))
    };
    let mut pieces: Vec<&str> = Vec::new();
    if piece == 0 {
        pieces.push(&text);
    } else {
        let mut s = 0;
        while s < text.len() {
            let mut e = (s + piece).min(text.len());
            while !text.is_char_boundary(e) {
                e += 1;
            }
            pieces.push(&text[s..e]);
            s = e;
        }
    }
    let _ = pieces.iter().map(|p| engine.scan(p).len()).sum::<usize>();
    self::rounds(&engine, &text, &pieces, rounds);
}

#[inline(never)]
fn rounds(engine: &palisade_dlp::Engine, text: &str, pieces: &[&str], rounds: usize) {
    for r in 0..rounds {
        let t = std::time::Instant::now();
        let n: usize = pieces.iter().map(|p| engine.scan(p).len()).sum();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "round {r}: {:.1} MiB/s, {:.1} µs per piece, {n} entities",
            text.len() as f64 / 1048576.0 / secs,
            secs * 1e6 / pieces.len() as f64
        );
    }
}
