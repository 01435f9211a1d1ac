//! The homoglyph table (`data/confusables.tsv`) and the script classes the
//! mixed-script rule needs.

use std::sync::OnceLock;

/// A line of `confusables.tsv` that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TableError {
    /// Wrong number of tab-separated fields.
    #[error("line {line}: expected `codepoint<TAB>replacement<TAB>name`")]
    Fields {
        /// 1-based line number.
        line: usize,
    },
    /// The code point is not hex or not a Unicode scalar value.
    #[error("line {line}: `{text}` is not a hex code point")]
    CodePoint {
        /// 1-based line number.
        line: usize,
        /// The offending field.
        text: String,
    },
    /// The replacement is not a single ASCII letter or digit.
    #[error("line {line}: replacement `{text}` must be one ASCII letter or digit")]
    Replacement {
        /// 1-based line number.
        line: usize,
        /// The offending field.
        text: String,
    },
    /// The same source character is listed twice.
    #[error("line {line}: U+{code:04X} is listed twice")]
    Duplicate {
        /// 1-based line number.
        line: usize,
        /// The repeated code point.
        code: u32,
    },
}

const TABLE_SOURCE: &str = include_str!("../data/confusables.tsv");

/// Parses the table format, sorted by source character for binary search.
pub(crate) fn parse_table(src: &str) -> Result<Vec<(char, char)>, TableError> {
    let mut table = Vec::new();
    for (idx, raw) in src.lines().enumerate() {
        let line = idx + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let mut fields = raw.split('\t');
        let (Some(code), Some(replacement), Some(_name), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(TableError::Fields { line });
        };
        let source = u32::from_str_radix(code.trim(), 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| TableError::CodePoint {
                line,
                text: code.to_string(),
            })?;
        let mut chars = replacement.chars();
        let target = match (chars.next(), chars.next()) {
            (Some(t), None) if t.is_ascii_alphanumeric() => t,
            _ => {
                return Err(TableError::Replacement {
                    line,
                    text: replacement.to_string(),
                })
            }
        };
        table.push((source, target, line));
    }
    table.sort_unstable_by_key(|&(source, _, _)| source);
    if let Some(w) = table.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(TableError::Duplicate {
            line: w[1].2,
            code: u32::from(w[1].0),
        });
    }
    Ok(table.into_iter().map(|(s, t, _)| (s, t)).collect())
}

/// Characters below this get their class from a precomputed table:
/// Latin-1, Latin Extended, IPA, Greek, Cyrillic and Armenian, where most
/// entries and most non-ASCII letters of real prompts fall. Classifying
/// them otherwise costs a Unicode property search per character.
const DENSE_END: u32 = 0x590;

pub(crate) struct Table {
    sorted: Vec<(char, char)>,
    /// The class of every character below `DENSE_END`.
    dense: Vec<Class>,
    /// Which 256-character pages hold an entry, for a quick miss.
    pages: Vec<bool>,
}

/// The parsed table. A broken data file (caught by the unit test) degrades
/// to an empty table rather than a panic on the request path.
pub(crate) fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let sorted = parse_table(TABLE_SOURCE).unwrap_or_default();
        let mut pages = vec![false; 0x1100];
        for &(source, _) in &sorted {
            if let Some(page) = pages.get_mut((u32::from(source) >> 8) as usize) {
                *page = true;
            }
        }
        let dense = (0..DENSE_END)
            .map(|code| {
                char::from_u32(code).map_or(Class::Separator, |c| classify_with(c, &sorted))
            })
            .collect();
        Table {
            sorted,
            dense,
            pages,
        }
    })
}

fn lookup_sorted(sorted: &[(char, char)], c: char) -> Option<char> {
    sorted
        .binary_search_by_key(&c, |&(s, _)| s)
        .ok()
        .and_then(|i| sorted.get(i))
        .map(|&(_, target)| target)
}

impl Table {
    /// The ASCII look-alike of `c`, if the table has one.
    #[inline]
    pub(crate) fn lookup(&self, c: char) -> Option<char> {
        let code = u32::from(c);
        if code < DENSE_END {
            return match self.dense.get(code as usize) {
                Some(Class::Foreign(target) | Class::LatinVariant(target)) => Some(*target),
                _ => None,
            };
        }
        if !self
            .pages
            .get((code >> 8) as usize)
            .copied()
            .unwrap_or(false)
        {
            return None;
        }
        lookup_sorted(&self.sorted, c)
    }

    /// Classifies `c` for the mixed-script rule.
    #[inline]
    pub(crate) fn classify(&self, c: char) -> Class {
        if c.is_ascii() {
            return classify_ascii(c);
        }
        let code = u32::from(c);
        if code < DENSE_END {
            return self
                .dense
                .get(code as usize)
                .copied()
                .unwrap_or(Class::Separator);
        }
        match self.lookup(c) {
            Some(target) => class_of_entry(c, target),
            None => class_by_property(c),
        }
    }
}

#[inline]
fn classify_ascii(c: char) -> Class {
    if c.is_ascii_alphabetic() {
        Class::Latin
    } else if c.is_ascii_digit() {
        Class::Neutral
    } else {
        Class::Separator
    }
}

/// The ASCII look-alike of `c`, if the table has one.
#[cfg(test)]
pub(crate) fn lookup(c: char) -> Option<char> {
    table().lookup(c)
}

/// Classifies `c` for the mixed-script rule.
#[cfg(test)]
pub(crate) fn classify(c: char) -> Class {
    table().classify(c)
}

/// Letters in the Latin script beyond ASCII.
pub(crate) fn is_latin_block(c: char) -> bool {
    matches!(c,
        '\u{C0}'..='\u{24F}'          // Latin-1 letters, Extended-A and -B
        | '\u{250}'..='\u{2AF}'       // IPA
        | '\u{1D00}'..='\u{1DBF}'     // phonetic extensions
        | '\u{1E00}'..='\u{1EFF}'     // Latin Extended Additional
        | '\u{2C60}'..='\u{2C7F}'     // Latin Extended-C
        | '\u{A720}'..='\u{A7FF}'     // Latin Extended-D
        | '\u{AB30}'..='\u{AB6F}'     // Latin Extended-E
        | '\u{10780}'..='\u{107BF}'   // Latin Extended-F
        | '\u{1DF00}'..='\u{1DFFF}' // Latin Extended-G
    )
}

/// What a character contributes to deciding whether a word is Latin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// A Latin letter.
    Latin,
    /// A Latin-script look-alike (small capital, IPA): always folded.
    LatinVariant(char),
    /// Another script's look-alike of a Latin letter: folded in Latin words.
    Foreign(char),
    /// A letter of another script with no Latin look-alike.
    Other,
    /// Part of a word but script-neutral: digits, combining marks.
    Neutral,
    /// Not part of a word.
    Separator,
}

fn class_of_entry(c: char, target: char) -> Class {
    if is_latin_block(c) {
        Class::LatinVariant(target)
    } else {
        Class::Foreign(target)
    }
}

fn class_by_property(c: char) -> Class {
    if c.is_alphabetic() {
        if is_latin_block(c) {
            Class::Latin
        } else {
            Class::Other
        }
    } else if c.is_numeric() || unicode_normalization::char::is_combining_mark(c) {
        Class::Neutral
    } else {
        Class::Separator
    }
}

/// `classify` without the precomputed tables (used to build them).
fn classify_with(c: char, sorted: &[(char, char)]) -> Class {
    // Must not touch `table()`: this runs inside its initialisation.
    if c.is_ascii() {
        return classify_ascii(c);
    }
    match lookup_sorted(sorted, c) {
        Some(target) => class_of_entry(c, target),
        None => class_by_property(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn data_file_is_valid() {
        let table = parse_table(TABLE_SOURCE).expect("confusables.tsv parses");
        assert!(table.len() >= 100, "table unexpectedly small");
        assert_eq!(table.len(), super::table().sorted.len());
        for &(source, target) in &table {
            assert_eq!(lookup(source), Some(target));
            let hex = format!("U+{:04X}", u32::from(source));
            assert!(!source.is_ascii(), "{hex} is ASCII");
            assert!(source.is_alphanumeric(), "{hex} is not a letter or digit");
            let nfkc: String = source.to_string().nfkc().collect();
            // Entries NFKC changes would never be seen after the NFKC pass.
            assert_eq!(nfkc, source.to_string(), "{hex} is changed by NFKC");
            assert!(crate::hidden::classify(source).is_none(), "{hex} is hidden");
            assert!(target.is_ascii_alphanumeric(), "{hex} target");
        }
    }

    #[test]
    fn parse_errors_are_reported() {
        assert_eq!(parse_table("0430\ta"), Err(TableError::Fields { line: 1 }));
        assert!(matches!(
            parse_table("# c\nzz\ta\tname"),
            Err(TableError::CodePoint { line: 2, .. })
        ));
        assert!(matches!(
            parse_table("0430\tab\tname"),
            Err(TableError::Replacement { .. })
        ));
        assert_eq!(
            parse_table("0430\ta\tx\n0430\ta\ty"),
            Err(TableError::Duplicate {
                line: 2,
                code: 0x430
            })
        );
    }

    #[test]
    fn fast_classification_matches_the_slow_one() {
        let sorted = &super::table().sorted;
        for c in (0..0x2_0000u32).filter_map(char::from_u32) {
            assert_eq!(
                classify(c),
                classify_with(c, sorted),
                "U+{:04X}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn classifies_scripts() {
        assert_eq!(classify('a'), Class::Latin);
        assert_eq!(classify('é'), Class::Latin);
        assert_eq!(classify('7'), Class::Neutral);
        assert_eq!(classify(' '), Class::Separator);
        assert_eq!(classify('\u{430}'), Class::Foreign('a'));
        assert_eq!(classify('\u{1D00}'), Class::LatinVariant('a'));
        assert_eq!(classify('и'), Class::Other);
        assert_eq!(classify('\u{301}'), Class::Neutral);
        assert_eq!(classify('中'), Class::Other);
    }
}
