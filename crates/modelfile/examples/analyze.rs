//! Prints the JSON report of every path given on the command line.
//!
//! `cargo run -p palisade-modelfile --example analyze -- FILE...`

use palisade_modelfile::{analyze_path, Limits};

fn main() {
    let limits = Limits::default();
    for arg in std::env::args().skip(1) {
        match analyze_path(std::path::Path::new(&arg), &limits) {
            Ok(r) => match serde_json::to_string(&r) {
                Ok(j) => println!("{arg}\t{j}"),
                Err(e) => eprintln!("{arg}: {e}"),
            },
            Err(e) => eprintln!("{e}"),
        }
    }
}
