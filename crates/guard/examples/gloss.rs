//! Prints the English gloss the guard reads for each line of standard
//! input (lower-cased as the guard folds it), or `-` where it reads none:
//! `cargo run --release -p palisade-guard --example gloss < requests.txt`.

use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let g = palisade_guard::gloss::Glossary::builtin()?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        match g.gloss(&line.to_lowercase()) {
            Some(gl) => println!("{gl}"),
            None => println!("-"),
        }
    }
    Ok(())
}
