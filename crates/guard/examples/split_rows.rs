//! Writes the rows of one split of a corpus folder (or all of them) as
//! guard JSONL (`text`, `label`, `source`, `kind`), so that per-row scores
//! can be read with `palisade guard --jsonl`: `cargo run --release -p
//! palisade-guard --example split_rows -- DIR [test|train|all]`.

use palisade_guard::dataset::{load_paths, Split};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: split_rows DIR [test|train|all]")?;
    let want = match args.next().as_deref() {
        None | Some("test") => Some(Split::Test),
        Some("train") => Some(Split::Train),
        Some("all") => None,
        Some(other) => return Err(format!("unknown split {other:?}").into()),
    };
    for r in load_paths(&[dir.into()])? {
        if want.is_some_and(|w| r.split() != w) {
            continue;
        }
        // The loader has set the kind a corpus gives only by category.
        let line = serde_json::json!({
            "text": r.text,
            "label": r.label,
            "source": r.file,
            "kind": r.kind,
        });
        println!("{line}");
    }
    Ok(())
}
