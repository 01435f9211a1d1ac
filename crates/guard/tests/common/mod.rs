//! Helpers the rule-pack development-set tests share: the set's rows read
//! with the training loader, and the action the built-in guard takes on a
//! prompt.

use palisade_core::{Action, Direction, Kind};
use palisade_guard::dataset::{load_paths, Row};
use palisade_guard::{Guard, Request};

/// The rows of `data/guard/<folder>/<file>`, as `palisade train` reads them.
pub fn rows(folder: &str, file: &str) -> Vec<Row> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/guard")
        .join(folder)
        .join(file);
    load_paths(&[path]).unwrap_or_else(|e| panic!("{folder}/{file}: {e}"))
}

/// What `guard` does with `text` sent as a prompt.
pub fn action(guard: &Guard, text: &str) -> Action {
    guard
        .check(&Request {
            text,
            direction: Direction::Input,
            kind: Kind::Prompt,
            context: None,
            partial: false,
        })
        .action
}
