//! `palisade dlp scan`: files and folders (respecting `.gitignore`), or
//! stdin. Binary files are sniffed (a NUL byte in the first 8 KiB) and
//! skipped; invalid UTF-8 is reported with its byte offset and each invalid
//! byte is scanned as a space, so every offset stays the file's; unreadable
//! files are listed. Files are read in 8 MiB windows that overlap by 16
//! KiB, so memory stays bounded, no value up to 8 KiB long is cut in two
//! and each has 8 KiB of text on either side.
//! Files are scanned by `--jobs` threads sharing one engine; results come
//! out in the walk's order whatever thread finished first.

use palisade_dlp::{Engine, Entity};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const WINDOW: usize = 8 << 20;
const OVERLAP: usize = 16 << 10;

/// Options of `palisade dlp scan`.
#[derive(clap::Args)]
pub struct ScanArgs {
    /// Files or folders; `-` reads stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// table (summary), json (summary and entities), jsonl (one line per file).
    #[arg(long, default_value = "table")]
    format: String,
    /// Exit with status 1 when anything of this grade or above is found
    /// (S1–S4).
    #[arg(long, value_name = "GRADE")]
    fail_on: Option<String>,
    /// Include hidden files and files that .gitignore excludes.
    #[arg(long)]
    all: bool,
    /// Files scanned at once (threads sharing one catalogue); default:
    /// the machine's cores.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<std::num::NonZeroUsize>,
}

#[derive(Default, serde::Serialize)]
struct FileResult {
    path: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    entities: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invalid_utf8_at: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grade: Option<palisade_dlp::Grade>,
    bytes: u64,
    /// For CSV, JSON and JSONL files: what each column holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    columns: Option<palisade_dlp::structured::Classification>,
    /// Why a structured file's columns could not be classified.
    #[serde(skip_serializing_if = "Option::is_none")]
    columns_error: Option<String>,
}

/// Structured files up to this size also get column classification.
const MAX_STRUCTURED: u64 = 64 << 20;

/// Column classification of a CSV/JSON/JSONL file: `None` for other
/// files and files over the size bound, an error (with its place) for one
/// that does not parse — it is still scanned as text.
fn columns_of(
    eng: &Engine,
    path: &Path,
) -> Option<Result<palisade_dlp::structured::Classification, String>> {
    use palisade_dlp::structured::{classify_csv, classify_json, Hints};
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if !matches!(ext.as_str(), "csv" | "json" | "jsonl" | "ndjson") {
        return None;
    }
    if std::fs::metadata(path).ok()?.len() > MAX_STRUCTURED {
        return None;
    }
    let run = || -> Result<_, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let hints = Hints::builtin().map_err(|e| e.to_string())?;
        match ext.as_str() {
            "csv" => classify_csv(eng, &hints, &text),
            "json" => classify_json(eng, &hints, &text, false),
            _ => classify_json(eng, &hints, &text, true),
        }
        .map_err(|e| e.to_string())
    };
    Some(run())
}

fn scan_reader(eng: &Engine, r: impl Read, res: &mut FileResult) -> std::io::Result<Vec<Entity>> {
    scan_windows(eng, r, res, WINDOW, OVERLAP)
}

/// The text of a window: `buf` as UTF-8 with each invalid byte read as a
/// space (one byte for one, unlike U+FFFD's three, so offsets stay the
/// file's) and, unless `last`, without a character the window's edge cut
/// (the next window has it whole). Also the offset of the first invalid
/// byte, if any.
fn window_text(buf: &[u8], last: bool) -> (std::borrow::Cow<'_, str>, Option<usize>) {
    let err = match std::str::from_utf8(buf) {
        Ok(s) => return (std::borrow::Cow::Borrowed(s), None),
        Err(e) => e,
    };
    if !last && err.error_len().is_none() {
        // Only a cut character at the edge: the rest is valid.
        let valid = buf.get(..err.valid_up_to()).unwrap_or_default();
        return (
            std::borrow::Cow::Borrowed(std::str::from_utf8(valid).unwrap_or_default()),
            None,
        );
    }
    let mut text = String::with_capacity(buf.len());
    let mut first = None;
    let mut chunks = buf.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        text.push_str(chunk.valid());
        let bad = chunk.invalid();
        if bad.is_empty() {
            continue;
        }
        let cut_at_edge = !last
            && chunks.peek().is_none()
            && std::str::from_utf8(bad).is_err_and(|e| e.error_len().is_none());
        if cut_at_edge {
            break;
        }
        first.get_or_insert(text.len());
        text.extend(std::iter::repeat_n(' ', bad.len()));
    }
    (std::borrow::Cow::Owned(text), first)
}

/// Scans what `r` yields in windows of `window` bytes that overlap by
/// `overlap`, reporting file offsets. Each window reports the values that
/// start in its middle: from where the previous one stopped to `overlap /
/// 2` before its end, so every value has that much text on either side
/// (its context words, its own length) and none is reported twice.
fn scan_windows(
    eng: &Engine,
    mut r: impl Read,
    res: &mut FileResult,
    window: usize,
    overlap: usize,
) -> std::io::Result<Vec<Entity>> {
    let half = overlap / 2;
    let mut buf: Vec<u8> = Vec::new();
    let mut base = 0usize; // offset of buf[0] in the file
    let mut from = 0usize; // where this window's report starts, in buf
    let mut out = Vec::new();
    let mut first = true;
    loop {
        let mut chunk = vec![0u8; window];
        let mut n = 0;
        while n < window {
            let k = r.read(&mut chunk[n..])?;
            if k == 0 {
                break;
            }
            n += k;
        }
        chunk.truncate(n);
        let last = n < window;
        if first {
            first = false;
            if chunk.iter().take(8192).any(|&b| b == 0) {
                res.skipped = Some("binary".into());
                return Ok(out);
            }
        }
        res.bytes += n as u64;
        buf.extend_from_slice(&chunk);
        // `text` is `buf` byte for byte (or shorter by a character cut at
        // the edge), so its offsets are `buf`'s.
        let (text, bad) = window_text(&buf, last);
        if let Some(at) = bad {
            res.invalid_utf8_at.get_or_insert(base + at);
        }
        let to = if last {
            usize::MAX
        } else {
            char_floor(&text, text.len().saturating_sub(half)).max(from)
        };
        for e in eng.scan(&text) {
            if e.start >= from && e.start < to {
                let mut e = e;
                e.start += base;
                e.end += base;
                out.push(e);
            }
        }
        if last {
            return Ok(out);
        }
        let keep = char_floor(&text, to.saturating_sub(half));
        base += keep;
        buf.drain(..keep.min(buf.len()));
        from = to - keep;
    }
}

/// The nearest character boundary of `text` at or before `i`.
fn char_floor(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn scan_path(eng: &Engine, path: &Path) -> (FileResult, Vec<Entity>) {
    let mut res = FileResult {
        path: path.display().to_string(),
        ..FileResult::default()
    };
    let ents = match std::fs::File::open(path) {
        Ok(f) => match scan_reader(eng, f, &mut res) {
            Ok(e) => e,
            Err(e) => {
                res.skipped = Some(format!("unreadable: {e}"));
                Vec::new()
            }
        },
        Err(e) => {
            res.skipped = Some(format!("unreadable: {e}"));
            Vec::new()
        }
    };
    res.grade = ents.iter().map(|e| e.grade).max();
    if res.skipped.is_none() {
        match columns_of(eng, path) {
            Some(Ok(c)) => {
                res.grade = res.grade.max(c.grade);
                res.columns = Some(c);
            }
            Some(Err(e)) => res.columns_error = Some(e),
            None => {}
        }
    }
    (res, ents)
}

fn files(args: &ScanArgs) -> (Vec<PathBuf>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for p in &args.paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(p)
            .hidden(!args.all)
            .git_ignore(!args.all)
            .git_exclude(!args.all)
            .ignore(!args.all)
            .parents(!args.all)
            .build();
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => out.push(e.into_path()),
                Ok(_) => {}
                Err(e) => errors.push((p.display().to_string(), e.to_string())),
            }
        }
    }
    (out, errors)
}

/// Scans `paths` on `jobs` threads and hands each result to `each` in the
/// order of `paths`: a result that arrives early waits, in memory, for
/// those before it (behind one large file, every file the other threads
/// finish meanwhile; the run keeps every result for its summary anyway).
fn scan_all(
    eng: &Engine,
    paths: &[PathBuf],
    jobs: usize,
    mut each: impl FnMut(FileResult, Vec<Entity>),
) {
    if jobs <= 1 {
        for p in paths {
            let (res, ents) = scan_path(eng, p);
            each(res, ents);
        }
        return;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(p) = paths.get(i) else { break };
                if tx.send((i, scan_path(eng, p))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (i, done) in rx {
            waiting.insert(i, done);
            while let Some((res, ents)) = waiting.remove(&due) {
                each(res, ents);
                due += 1;
            }
        }
    });
}

/// Runs the scan.
pub fn run(eng: &Engine, args: ScanArgs) -> anyhow::Result<ExitCode> {
    let fail_on = match args.fail_on.as_deref() {
        None => None,
        g => Some(crate::dlp_cmd::parse_grade(g)?),
    };
    anyhow::ensure!(
        matches!(args.format.as_str(), "table" | "json" | "jsonl"),
        "--format {:?}: expected table, json or jsonl",
        args.format
    );
    let mut results = Vec::new();
    let mut by_type: BTreeMap<String, (usize, palisade_dlp::Grade)> = BTreeMap::new();
    let mut worst = None;
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let (paths, walk_errors) = if stdin {
        (Vec::new(), Vec::new())
    } else {
        files(&args)
    };
    let bar = if paths.len() > 200 && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let b = indicatif::ProgressBar::new(paths.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let mut handle = |res: FileResult, ents: Vec<Entity>, results: &mut Vec<FileResult>| {
        let mut res = res;
        for e in &ents {
            let slot = by_type.entry(e.type_id.clone()).or_insert((0, e.grade));
            slot.0 += 1;
        }
        worst = worst.max(res.grade);
        res.entities = ents
            .iter()
            .map(|e| serde_json::json!({"type": e.type_id, "start": e.start, "end": e.end, "score": e.score, "validated": e.validated, "grade": e.grade}))
            .collect();
        if args.format == "jsonl" {
            println!("{}", serde_json::to_string(&res).unwrap_or_default());
            res.entities.clear();
        }
        results.push(res);
    };
    if stdin {
        let mut res = FileResult {
            path: "-".into(),
            ..FileResult::default()
        };
        let ents = scan_reader(eng, std::io::stdin().lock(), &mut res)?;
        res.grade = ents.iter().map(|e| e.grade).max();
        handle(res, ents, &mut results);
    }
    let jobs = args
        .jobs
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, std::num::NonZeroUsize::get)
        .min(paths.len().max(1));
    scan_all(eng, &paths, jobs, |res, ents| {
        handle(res, ents, &mut results);
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for (path, err) in &walk_errors {
        results.push(FileResult {
            path: path.clone(),
            skipped: Some(format!("unreadable: {err}")),
            ..FileResult::default()
        });
    }
    let skipped: Vec<&FileResult> = results.iter().filter(|r| r.skipped.is_some()).collect();
    match args.format.as_str() {
        "json" => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "files": results,
                "summary": by_type.iter().map(|(t, (n, g))| serde_json::json!({"type": t, "count": n, "grade": g})).collect::<Vec<_>>(),
                "grade": worst,
            }))?
        ),
        "table" => {
            let scanned = results.len() - skipped.len();
            let bytes: u64 = results.iter().map(|r| r.bytes).sum();
            println!(
                "{scanned} files scanned ({bytes} bytes), {} skipped",
                skipped.len()
            );
            for r in &skipped {
                println!(
                    "  skipped {}: {}",
                    r.path,
                    r.skipped.as_deref().unwrap_or("")
                );
            }
            for r in results.iter().filter(|r| r.columns_error.is_some()) {
                println!(
                    "  {}: columns not classified: {}",
                    r.path,
                    r.columns_error.as_deref().unwrap_or("")
                );
            }
            for r in results.iter().filter(|r| r.invalid_utf8_at.is_some()) {
                println!(
                    "  {}: invalid UTF-8 at byte {}",
                    r.path,
                    r.invalid_utf8_at.unwrap_or(0)
                );
            }
            if by_type.is_empty() {
                println!("no sensitive data found");
            } else {
                println!("{:<36} {:>7}  grade", "type", "count");
                for (t, (n, g)) in &by_type {
                    println!("{t:<36} {n:>7}  {g:?}");
                }
                let mut per_file: Vec<&FileResult> =
                    results.iter().filter(|r| r.grade.is_some()).collect();
                per_file.sort_by_key(|r| std::cmp::Reverse(r.grade));
                println!("\nfiles by grade:");
                for r in per_file.iter().take(50) {
                    println!(
                        "  {:?} {}",
                        r.grade.unwrap_or(palisade_dlp::Grade::S1),
                        r.path
                    );
                }
            }
        }
        _ => {}
    }
    Ok(match (fail_on, worst) {
        (Some(f), Some(w)) if w >= f => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn engine() -> &'static Engine {
        static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        ENGINE.get_or_init(|| Engine::builtin().expect("catalogue loads"))
    }

    fn spans(ents: &[Entity]) -> Vec<(String, usize, usize)> {
        ents.iter()
            .map(|e| (e.type_id.clone(), e.start, e.end))
            .collect()
    }

    #[test]
    fn invalid_bytes_keep_file_offsets_across_windows() {
        // More invalid bytes in one window than the overlap: read as
        // U+FFFD the window's text outgrew its bytes and the cut ran past
        // them (a panic on real files). The address also straddles where
        // the first window stops reporting, where values were once lost.
        let mut file = b"intro text ".to_vec();
        file.extend(std::iter::repeat_n(0xffu8, 40));
        file.extend_from_slice(b" write to ann@example.org today ");
        file.extend(std::iter::repeat_n(b'x', 100));
        let mut res = FileResult::default();
        let ents = scan_windows(engine(), &file[..], &mut res, 64, 40).expect("scans");
        assert_eq!(res.invalid_utf8_at, Some(11));
        let at = file
            .windows(15)
            .position(|w| w == b"ann@example.org")
            .expect("there");
        assert_eq!(spans(&ents), [("email_address".to_string(), at, at + 15)]);
        assert_eq!(res.bytes, file.len() as u64);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Any bytes: no panic, spans inside the file, and for e-mail
        /// addresses (no context needed, no longer than half the overlap)
        /// the same spans as one scan of the whole file.
        #[test]
        fn windows_find_what_one_scan_finds(
            parts in proptest::collection::vec(0usize..9, 0..120),
            window in 40usize..160,
        ) {
            let frags: [&[u8]; 9] = [
                b"bo@example.net ", b" ", b"word ", b"\xff", b"\xe7\x94\xb5", b"\xe7\x94",
                b"\n", b"x ", b"\xc3",
            ];
            let file: Vec<u8> = parts.iter().flat_map(|&i| frags[i].iter().copied()).collect();
            let mut res = FileResult::default();
            let got = scan_windows(engine(), &file[..], &mut res, window, 32).expect("scans");
            for e in &got {
                prop_assert!(e.start < e.end && e.end <= file.len());
            }
            let (whole, _) = window_text(&file, true);
            prop_assert_eq!(whole.len(), file.len());
            let emails = |v: Vec<(String, usize, usize)>| {
                v.into_iter().filter(|(t, _, _)| t == "email_address").collect::<Vec<_>>()
            };
            prop_assert_eq!(emails(spans(&got)), emails(spans(&engine().scan(&whole))));
        }
    }
}
