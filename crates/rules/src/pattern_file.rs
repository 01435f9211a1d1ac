//! Data files of values worked out ahead for patterns, keyed by each
//! pattern's exact source: the rule packs' prefilter plans
//! (`prefilter::saved`) and the data catalogue's literal sets
//! (`palisade-dlp`). A value depends only on its pattern's source and the
//! code that computes it, so what is not in a file is computed at load and
//! a file that lags behind its patterns costs time, never a result; each
//! user's freshness test keeps its file current.
//!
//! Layout: `{"format": N, "entries": [` then one `{"pattern", "value"?}`
//! per line (a changed pattern is a small diff), `]}`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

#[derive(Deserialize)]
struct File<T> {
    format: u32,
    entries: Vec<Entry<T>>,
}

#[derive(Serialize, Deserialize)]
struct Entry<T> {
    pattern: String,
    /// Absent when the pattern has none (no selective literal set); a
    /// missing `Option` field reads as `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<T>,
}

/// The values of a file's `text` by pattern, or what is wrong with it (not
/// JSON of this layout, or of another `format` than the caller reads).
pub fn parse<T: DeserializeOwned>(
    text: &str,
    format: u32,
) -> Result<HashMap<String, Option<T>>, String> {
    let file: File<T> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if file.format != format {
        return Err(format!(
            "format {} (this build reads {format})",
            file.format
        ));
    }
    Ok(file
        .entries
        .into_iter()
        .map(|e| (e.pattern, e.value))
        .collect())
}

/// The file of `entries`, the first of each pattern only, in order.
pub fn render<'a, T: Serialize>(
    format: u32,
    entries: impl IntoIterator<Item = (&'a str, Option<T>)>,
) -> Result<String, String> {
    let mut seen = HashSet::new();
    let mut lines = Vec::new();
    for (pattern, value) in entries {
        if seen.insert(pattern) {
            let entry = Entry {
                pattern: pattern.to_string(),
                value,
            };
            lines.push(serde_json::to_string(&entry).map_err(|e| e.to_string())?);
        }
    }
    Ok(format!(
        "{{\"format\": {format}, \"entries\": [\n{}\n]}}\n",
        lines.join(",\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_round_trips_keeping_the_first_of_each_pattern() {
        let text = render(
            3,
            [("a+", Some(vec![1u32])), ("b", None), ("a+", Some(vec![9]))],
        )
        .expect("renders");
        assert_eq!(text.lines().count(), 4, "{text}");
        let read: HashMap<String, Option<Vec<u32>>> = parse(&text, 3).expect("parses");
        assert_eq!(read.len(), 2);
        assert_eq!(read["a+"], Some(vec![1]));
        assert_eq!(read["b"], None);
    }

    #[test]
    fn another_format_or_a_broken_file_is_refused() {
        let other = parse::<u32>("{\"format\": 2, \"entries\": []}", 1);
        assert!(other.unwrap_err().contains("format 2"));
        assert!(parse::<u32>("{\"format\": 1, \"entries\": [", 1).is_err());
        assert!(parse::<u32>("{\"format\": 1, \"entries\": [{\"value\": 1}]}", 1).is_err());
        assert!(parse::<u32>("{\"format\": 1, \"entries\": []}", 1)
            .expect("an empty file parses")
            .is_empty());
    }
}
