//! Ordinary English words (`data/lexicon_en.txt`, built from the harmless
//! rows of the training corpora by `scripts/build_lexicon.py`), so the
//! token-salad test can tell a machine-made fragment (`pasteiciert`,
//! `complicatedushing`) from a word, a name it has seen, or a typo.
//!
//! A word one edit away from a listed one (a letter missing, extra,
//! changed, or two swapped: `scren`, `iphnoe`) counts as known, because
//! people type fast and optimised suffixes rarely land one edit from a
//! word; so does a listed word with a common ending (`restarting`), since
//! a list taken from a corpus misses many inflections. Deletions of listed words are kept as 64-bit hashes
//! so the typo check needs no allocation per token.

use rustc_hash::FxHashSet;
use std::hash::Hasher;
use std::sync::OnceLock;

/// The word list compiled into the binary.
const BUILTIN: &str = include_str!("../data/lexicon_en.txt");

/// Words shorter than this are not judged (too many of them are one edit
/// from some listed word, and suffix fragments of two letters say little).
pub(crate) const MIN_WORD: usize = 3;
/// Typos are forgiven from this length on: a short word is one edit from
/// too many others for the forgiveness to mean anything.
const MIN_TYPO_WORD: usize = 4;
/// Longer words are judged by the list alone (no typo check).
const MAX_TYPO_WORD: usize = 48;

/// Endings that make another word of a listed one (`restart` ->
/// `restarting`, `make` -> `making`), longest first.
const ENDINGS: [&str; 12] = [
    "ments", "ation", "ness", "ment", "ings", "ing", "ers", "ies", "ed", "er", "ly", "s",
];

/// A set of known words with their one-letter deletions, both kept as
/// 64-bit hashes of their bytes (see [`hash`]), so a lookup needs neither
/// an allocation nor a UTF-8 check.
#[derive(Debug)]
pub(crate) struct Lexicon {
    /// Hashes of the listed words.
    words: FxHashSet<u64>,
    /// Hashes of every listed word of `MIN_TYPO_WORD` letters or more with
    /// one letter taken out.
    deletions: FxHashSet<u64>,
}

/// A hash of a byte string, the same for the whole process (SipHash with
/// fixed keys): the tables store only these, and the odds that a 64-bit
/// collision makes an unknown word look known are negligible.
fn hash(bytes: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

/// `word` with the byte at `i` taken out, in `buf`.
fn without(word: &[u8], i: usize, buf: &mut [u8; MAX_TYPO_WORD]) -> usize {
    buf[..i].copy_from_slice(&word[..i]);
    buf[i..word.len() - 1].copy_from_slice(&word[i + 1..]);
    word.len() - 1
}

impl Lexicon {
    /// Parses a list: `#` comments and blank lines skipped, every other
    /// line one word of lower-case ASCII letters, at least [`MIN_WORD`]
    /// long. The error names the first bad line.
    pub(crate) fn parse(src: &str) -> Result<Self, String> {
        let mut words = FxHashSet::default();
        let mut deletions = FxHashSet::default();
        let mut buf = [0u8; MAX_TYPO_WORD];
        for (n, line) in src.lines().enumerate() {
            let w = line.trim();
            if w.is_empty() || w.starts_with('#') {
                continue;
            }
            if w.len() < MIN_WORD || !w.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(format!(
                    "line {}: {w:?} is not a word of {MIN_WORD}+ lower-case ASCII letters",
                    n + 1
                ));
            }
            let b = w.as_bytes();
            words.insert(hash(b));
            if (MIN_TYPO_WORD..=MAX_TYPO_WORD).contains(&b.len()) {
                for i in 0..b.len() {
                    let len = without(b, i, &mut buf);
                    deletions.insert(hash(&buf[..len]));
                }
            }
        }
        if words.is_empty() {
            return Err("the list has no words".into());
        }
        Ok(Self { words, deletions })
    }

    /// The built-in list, parsed on first use (about 6 ms here; a server
    /// pays it at start in `RuleSet::compile_all`, a one-shot check only
    /// if its text reaches a salad test). `None` only if the embedded file
    /// were malformed, which a test rules out.
    pub(crate) fn builtin() -> Option<&'static Lexicon> {
        static LEX: OnceLock<Option<Lexicon>> = OnceLock::new();
        LEX.get_or_init(|| Self::parse(BUILTIN).ok()).as_ref()
    }

    /// Whether `w` is listed as it is.
    fn listed(&self, w: &[u8]) -> bool {
        self.words.contains(&hash(w))
    }

    /// Whether a lower-case ASCII word is listed, a listed word with a
    /// common ending, or one edit from a listed word.
    pub(crate) fn knows(&self, w: &[u8]) -> bool {
        if self.listed(w) || self.inflects(w) {
            return true;
        }
        if !(MIN_TYPO_WORD..=MAX_TYPO_WORD).contains(&w.len()) {
            return false;
        }
        // A listed word with a letter missing from `w`.
        if self.deletions.contains(&hash(w)) {
            return true;
        }
        let mut buf = [0u8; MAX_TYPO_WORD];
        for i in 0..w.len() {
            let len = without(w, i, &mut buf);
            let d = &buf[..len];
            // `w` has an extra letter, or (both with position i taken out
            // agree) a changed one.
            if self.listed(d) || self.deletions.contains(&hash(d)) {
                return true;
            }
        }
        let mut swapped = [0u8; MAX_TYPO_WORD];
        swapped[..w.len()].copy_from_slice(w);
        for i in 0..w.len() - 1 {
            swapped.swap(i, i + 1);
            if self.listed(&swapped[..w.len()]) {
                return true;
            }
            swapped.swap(i, i + 1);
        }
        false
    }

    /// Whether `w` is a listed word with one of [`ENDINGS`] (the stem as
    /// it is, with a final `e` restored, or with `y` for `ies`).
    fn inflects(&self, w: &[u8]) -> bool {
        let mut buf = [0u8; 64];
        let mut listed_with = |stem: &[u8], tail: u8| -> bool {
            if stem.len() >= buf.len() {
                return false;
            }
            buf[..stem.len()].copy_from_slice(stem);
            buf[stem.len()] = tail;
            self.listed(&buf[..=stem.len()])
        };
        ENDINGS.iter().any(|end| {
            let Some(stem) = w.strip_suffix(end.as_bytes()) else {
                return false;
            };
            if stem.len() < MIN_WORD {
                return false;
            }
            if *end == "ies" {
                return listed_with(stem, b'y');
            }
            self.listed(stem) || listed_with(stem, b'e')
        })
    }

    /// Whether a whitespace-free token holds a word this list does not
    /// know: a run of [`MIN_WORD`]+ ASCII letters (compared lower-cased)
    /// that is neither listed nor a typo of a listed word. Runs touching
    /// a letter of another script are not judged (an English list cannot).
    pub(crate) fn has_unknown_word(&self, token: &[u8]) -> bool {
        let Ok(token) = std::str::from_utf8(token) else {
            return false;
        };
        let mut buf = [0u8; 64];
        token
            .split(|c: char| !c.is_alphabetic())
            .filter(|run| run.len() >= MIN_WORD && run.is_ascii())
            .any(|run| {
                if run.len() > buf.len() {
                    return true;
                }
                let w = &mut buf[..run.len()];
                w.copy_from_slice(run.as_bytes());
                w.make_ascii_lowercase();
                !self.knows(w)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex() -> &'static Lexicon {
        match Lexicon::builtin() {
            Some(l) => l,
            None => panic!("{:?}", Lexicon::parse(BUILTIN).err()),
        }
    }

    #[test]
    fn the_builtin_list_parses_and_holds_ordinary_words() {
        let l = lex();
        assert!(l.words.len() > 10_000, "{}", l.words.len());
        for w in ["the", "write", "please", "because", "recipe", "function"] {
            assert!(l.knows(w.as_bytes()), "{w}");
        }
    }

    #[test]
    fn typos_are_known_and_fused_fragments_are_not() {
        let l = lex();
        for typo in ["scren", "iphnoe", "recipie", "becuase", "pleese"] {
            assert!(l.knows(typo.as_bytes()), "{typo}");
        }
        for inflected in ["restarting", "restarted", "restarts"] {
            assert!(l.knows(inflected.as_bytes()), "{inflected}");
        }
        for junk in [
            "pasteiciert",
            "complicatedushing",
            "wayatrgment",
            "humoradany",
        ] {
            assert!(!l.knows(junk.as_bytes()), "{junk}");
        }
    }

    #[test]
    fn tokens_are_split_into_words_and_other_scripts_are_not_judged() {
        let l = lex();
        assert!(l.has_unknown_word(b"onto=[pasteiciert"));
        assert!(!l.has_unknown_word(b"\"Write,"));
        assert!(!l.has_unknown_word("Brötchen".as_bytes()));
        assert!(!l.has_unknown_word(b"k8s"));
        assert!(!l.has_unknown_word(&[0xff, 0xfe]));
    }

    #[test]
    fn malformed_lists_name_the_line() {
        let e = Lexicon::parse("# c\nword\nBad\n").err().unwrap_or_default();
        assert!(e.contains("line 3"), "{e}");
        assert!(Lexicon::parse("# only\n").is_err());
        assert!(Lexicon::parse("ab\n").is_err());
    }
}
