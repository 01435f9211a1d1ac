//! Writes the model features (svmlight, `x.svm`) and metadata (`meta.tsv`)
//! of every corpus row, for offline experiments with other learners
//! (`scripts/guard_cv.py`):
//! `cargo run --release -p palisade-guard --example dump_features -- OUTDIR DATA...`.
//! `MODEL=FILE` scores the rows with that model instead of the built-in one
//! (columns 9–10 of `meta.tsv`; column 11 is the language); `ONLY_META=1` skips `x.svm`.

use palisade_core::{Direction, Kind};
use palisade_guard::dataset::{load_paths, Split};
use palisade_guard::{Guard, Policy, Request};
use palisade_model::{GuardModel, HEAD_ATTACK, HEAD_INSTRUCTION, HEAD_UNSAFE};
use palisade_rules::RuleSet;
use std::error::Error;
use std::io::Write;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: dump_features OUTDIR DATA...")?);
    let paths: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let mut rows = load_paths(&paths)?;
    palisade_guard::training::augment_tool_poisoning(&mut rows);
    let model = match std::env::var("MODEL") {
        Ok(p) => GuardModel::load(std::path::Path::new(&p))?,
        Err(_) => GuardModel::builtin()?,
    };
    let head = |n: &str| {
        model
            .head(n)
            .cloned()
            .ok_or(format!("model has no {n} head"))
    };
    let (inst, ha, hu) = (
        head(HEAD_INSTRUCTION)?,
        head(HEAD_ATTACK)?,
        head(HEAD_UNSAFE)?,
    );
    let only_meta = std::env::var_os("ONLY_META").is_some();
    // No model in the guard: its verdict is what the rules alone decide.
    let guard = Guard::new(RuleSet::builtin()?, None, Policy::default())?;
    let bits = model.bits;
    let mut fx = std::io::BufWriter::new(std::fs::File::create(out.join("x.svm"))?);
    let mut meta = std::io::BufWriter::new(std::fs::File::create(out.join("meta.tsv"))?);
    for r in &rows {
        let kind = r.kind.unwrap_or(Kind::Prompt);
        let x = guard.features(&r.text, kind, Direction::Input, bits, Some(&inst));
        let (pa, pu) = (ha.prob(&x), hu.prob(&x));
        if !only_meta {
            // svmlight wants each index once, in order.
            let mut merged: std::collections::BTreeMap<u32, f32> = Default::default();
            for (&i, &v) in x.idx.iter().zip(&x.val) {
                *merged.entry(i).or_default() += v;
            }
            write!(fx, "0")?;
            for (i, v) in merged {
                write!(fx, " {i}:{v}")?;
            }
            writeln!(fx)?;
        }
        let v = guard.check(&Request {
            text: &r.text,
            direction: Direction::Input,
            kind,
            context: None,
            partial: false,
        });
        let excerpt: String = r.text.chars().take(200).collect::<String>();
        writeln!(
            meta,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{pa}\t{pu}\t{}",
            r.file,
            r.label.as_str(),
            r.category.replace('\t', " "),
            if r.split() == Split::Test {
                "test"
            } else {
                "train"
            },
            r.group(),
            u8::from(v.flagged),
            r.text.chars().count(),
            excerpt.replace(['\t', '\n', '\r'], " "),
            r.lang,
        )?;
    }
    Ok(())
}
