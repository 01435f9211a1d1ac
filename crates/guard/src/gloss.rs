//! A word-by-word English gloss of requests in other languages
//! (`data/gloss/<lang>.tsv`).
//!
//! The model's weights come from corpora that are almost all English and
//! Chinese: a German or Korean request shares no n-gram with what it
//! learned, and it passes whatever it asks. Glossed word by word ("wie kann
//! ich meinen nachbarn vergiften" → "how can i my neighbour poison"), the
//! same request reaches the English words the unsafe head knows. The gloss
//! is crude (no grammar, no word order) and is read only for what it asks
//! about; the text itself is still read as written.
//!
//! Each file holds words and, after them, phrases ("was soll ich tun wenn"
//! → "what should i do if"): a word-by-word gloss loses what a request's
//! frame says (asking for help, for a way to hide it), and the phrase keeps
//! it. Matching: every foreign form of every language in one
//! leftmost-longest automaton, so a phrase wins over its first word. A form in a script that separates words (Latin, Cyrillic,
//! Greek, Hangul, Arabic, Hebrew...) counts only where a word starts (after
//! an Arabic clitic such as ال, و, ب too) and covers the rest of its word,
//! so `vergift` reads `vergiftet`; a form in Japanese kana or kanji counts
//! anywhere.

use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, Match, MatchKind};
use rustc_hash::FxHashSet;
use std::sync::OnceLock;

/// The glossaries compiled into the binary: (language code, file text).
const BUILTIN: &[(&str, &str)] = &[
    ("de", include_str!("../data/gloss/de.tsv")),
    ("nl", include_str!("../data/gloss/nl.tsv")),
    ("pl", include_str!("../data/gloss/pl.tsv")),
    ("fr", include_str!("../data/gloss/fr.tsv")),
    ("es", include_str!("../data/gloss/es.tsv")),
    ("pt", include_str!("../data/gloss/pt.tsv")),
    ("it", include_str!("../data/gloss/it.tsv")),
    ("ru", include_str!("../data/gloss/ru.tsv")),
    ("tr", include_str!("../data/gloss/tr.tsv")),
    ("ja", include_str!("../data/gloss/ja.tsv")),
    ("ko", include_str!("../data/gloss/ko.tsv")),
    ("ar", include_str!("../data/gloss/ar.tsv")),
];

/// Languages that write compounds as one word, their head last.
const COMPOUNDING: [&str; 2] = ["de", "nl"];

/// Fewest characters of a compound before its head: shorter is an
/// inflection or a prefix (`ver`, `ge`), not a word of its own.
const MIN_COMPOUND_MODIFIER: usize = 3;

/// Fewest characters of a compound's head.
const MIN_COMPOUND_HEAD: usize = 4;

/// Most characters of a compound's ending after its head's form
/// (`bomben` after `bombe`; `n`, `en`, `er`, `es`).
const MAX_COMPOUND_ENDING: usize = 2;

/// Longest word read for a compound head, in bytes: every letter of a
/// word is a place its head may start, and a base64 blob or a Japanese
/// sentence (one "word" to a language that splits at spaces) is no
/// compound (a 4 KB blob took 0.3 ms longer to check without this).
const MAX_COMPOUND_BYTES: usize = 64;

/// Common English words, to tell English text (see [`Glossary::skip`]).
const EN_COMMON: &str = include_str!("../data/gloss/en_common.txt");

/// Endings that make another English word of a common one.
const EN_ENDINGS: [&str; 12] = [
    "ations", "ation", "ments", "ment", "ness", "ings", "ing", "ers", "ies", "ed", "ly", "s",
];

/// Most bytes of a text that are glossed: the requests this is for are
/// short, and a long text's model reading is capped anyway.
const MAX_BYTES: usize = 4096;

/// A glossary line that does not load.
#[derive(Debug, thiserror::Error)]
#[error("gloss/{lang}.tsv line {line}: {problem}")]
pub struct GlossError {
    /// The language file.
    pub lang: String,
    /// One-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub problem: String,
}

/// The compiled glossaries.
pub struct Glossary {
    /// One per language: a form means different things in different
    /// languages (`je` is "I" in French and "you" in Dutch), so a text is
    /// glossed in the language whose glossary covers most of it.
    langs: Vec<Lang>,
    /// Common English words.
    english_words: FxHashSet<Box<str>>,
    /// Common English words that end in `e`, without it (`make` → `mak`),
    /// so `making` is found without building a string.
    english_e_stems: FxHashSet<Box<str>>,
}

/// One language's glossary.
struct Lang {
    /// The language code, for errors.
    lang: String,
    /// The foreign forms, in pattern order.
    forms: Vec<String>,
    /// The forms' automaton, built on first use: the twelve built-in
    /// languages' automata took about 0.3 s to build, most of a one-shot
    /// `palisade guard` of an English prompt, which never reads them.
    /// [`Glossary::parse`] builds them all (a loader that checks);
    /// [`Glossary::builtin`] leaves them to first use or
    /// [`Glossary::build_all`].
    ac: OnceLock<Result<AhoCorasick, String>>,
    /// The English word or phrase of each pattern.
    english: Vec<Box<str>>,
    /// Whether each pattern must start a word.
    word_start: Vec<bool>,
    /// When every form holds a non-ASCII character: all such characters.
    /// A text with none of them can match no form, and is not searched
    /// (a German text skips the Russian, Arabic, Korean and Japanese
    /// searches).
    script: Option<FxHashSet<char>>,
    /// Every form must start a word: the search may then try the word
    /// starts alone, anchored (see [`Lang::next_match`]).
    all_word_start: bool,
    /// The bytes a form may start with: a word start whose first byte is
    /// not one is passed over without a search.
    first_bytes: [bool; 256],
    /// The language writes compounds as one word (German, Dutch): a word
    /// that no form starts may still end in one, its head
    /// (`rattengift` → `gift`, "poison").
    compounds: bool,
}

/// One language's reading of a text.
struct Reading {
    gloss: String,
    /// English words in the gloss.
    glossed: usize,
    /// Bytes of the text's words the gloss covers.
    covered: usize,
}

/// Shortest form that may stand for the start of a longer word (a stem);
/// shorter forms match whole words only. A Hangul syllable or an Arabic
/// letter carries more of a word than a Latin or Cyrillic letter.
fn min_stem_chars(form: &str) -> usize {
    match form.chars().next().map(|c| c as u32) {
        Some(0xAC00..=0xD7AF) => 2,
        Some(0x0600..=0x06FF) => 3,
        _ => 4,
    }
}

/// Arabic clitics that may sit before a word's stem.
const AR_CLITICS: [&str; 10] = ["ال", "وال", "بال", "لل", "فال", "كال", "و", "ب", "ل", "ف"];

/// Letters in the longest of [`AR_CLITICS`].
const MAX_CLITIC_CHARS: usize = 3;

/// Whether `c` belongs to a script that writes spaces between words.
fn spaced(c: char) -> bool {
    !matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F)
}

fn is_arabic(c: char) -> bool {
    matches!(c as u32, 0x0600..=0x06FF)
}

impl Glossary {
    /// The glossaries compiled into the binary, each language's automaton
    /// built on first use or by [`Glossary::build_all`] (the tests build
    /// them all).
    pub fn builtin() -> Result<Self, GlossError> {
        Self::parse_deferred(BUILTIN)
    }

    /// The built-in glossaries, loaded once and shared by every guard of
    /// the process (a gateway holds one guard per policy).
    pub fn shared() -> Result<&'static Self, &'static GlossError> {
        static SHARED: OnceLock<Result<Glossary, GlossError>> = OnceLock::new();
        SHARED.get_or_init(Self::builtin).as_ref()
    }

    /// Builds every language's automaton now (a server, before it
    /// listens), so that no request pays for one.
    pub fn build_all(&self) -> Result<(), GlossError> {
        for l in &self.langs {
            l.ac().map_err(|problem| GlossError {
                lang: l.lang.clone(),
                line: 0,
                problem: format!("the forms do not compile: {problem}"),
            })?;
        }
        Ok(())
    }

    /// Parses and validates glossaries: `(language, text)` pairs of
    /// `foreign<TAB>english` lines (a word or phrase each side). The first
    /// English reading a form is given wins.
    pub fn parse(files: &[(&str, &str)]) -> Result<Self, GlossError> {
        let g = Self::parse_deferred(files)?;
        g.build_all()?;
        Ok(g)
    }

    /// [`Glossary::parse`] with every language's automaton left to its
    /// first use. Only for glossaries whose automata a test has built
    /// (the built-in ones): one that failed to build later would read
    /// nothing in its language.
    fn parse_deferred(files: &[(&str, &str)]) -> Result<Self, GlossError> {
        let mut langs = Vec::with_capacity(files.len());
        for (lang, text) in files {
            let mut forms: Vec<String> = Vec::new();
            let mut english: Vec<Box<str>> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for (n, line) in text.lines().enumerate() {
                let err = |problem: &str| GlossError {
                    lang: (*lang).to_string(),
                    line: n + 1,
                    problem: problem.to_string(),
                };
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let (f, e) = line
                    .split_once('\t')
                    .ok_or_else(|| err("expected foreign<TAB>english"))?;
                let f = f.trim().to_lowercase();
                let e = e.trim();
                if f.is_empty() {
                    return Err(err("empty foreign form"));
                }
                let plain = |w: &str| {
                    !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'\'')
                };
                if !e.split(' ').all(plain) {
                    return Err(err(&format!(
                        "the English side must be lower-case words with single spaces, got {e:?}"
                    )));
                }
                if seen.insert(f.clone()) {
                    forms.push(f);
                    english.push(e.into());
                }
            }
            let word_start: Vec<bool> = forms
                .iter()
                .map(|f| f.chars().next().is_some_and(spaced))
                .collect();
            let all_word_start = word_start.iter().all(|&w| w);
            let mut first_bytes = [false; 256];
            for f in &forms {
                if let Some(&b) = f.as_bytes().first() {
                    first_bytes[usize::from(b)] = true;
                }
            }
            let script = forms.iter().all(|f| !f.is_ascii()).then(|| {
                forms
                    .iter()
                    .flat_map(|f| f.chars())
                    .filter(|c| !c.is_ascii())
                    .collect()
            });
            langs.push(Lang {
                lang: (*lang).to_string(),
                forms,
                ac: OnceLock::new(),
                english,
                word_start,
                script,
                all_word_start,
                first_bytes,
                compounds: COMPOUNDING.contains(lang),
            });
        }
        let common = || {
            EN_COMMON
                .lines()
                .map(str::trim)
                .filter(|w| !w.is_empty() && !w.starts_with('#'))
        };
        let english_words = common().map(Into::into).collect();
        let english_e_stems = common()
            .filter_map(|w| w.strip_suffix('e'))
            .map(Into::into)
            .collect();
        Ok(Self {
            langs,
            english_words,
            english_e_stems,
        })
    }

    /// Number of foreign forms, over all languages.
    pub fn len(&self) -> usize {
        self.langs.iter().map(|l| l.english.len()).sum()
    }

    /// True when no form is loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The English gloss of `folded` (lower-cased text), when the text
    /// reads as one of the glossed languages: in the language whose
    /// glossary covers most of its letters, at least two words glossed,
    /// covering at least 40 % of them. `None` for English, Chinese and
    /// anything else.
    pub fn gloss(&self, folded: &str) -> Option<String> {
        let (text, _) = palisade_core::truncate_at_char_boundary(folded, MAX_BYTES);
        // Lower-cased, Turkish İ is i and a combining dot above, which no
        // form has (İntihar would read nothing).
        let undotted;
        let text = if text.contains('\u{307}') {
            undotted = text.replace("i\u{307}", "i");
            undotted.as_str()
        } else {
            text
        };
        if self.skip(text) {
            return None;
        }
        let present: FxHashSet<char> = text.chars().filter(|c| !c.is_ascii()).collect();
        // An Arabic clitic lets a form match inside a word (`read`), so
        // text with Arabic letters is searched everywhere.
        let arabic = present.iter().any(|&c| is_arabic(c));
        let starts = (!arabic).then(|| word_starts(text));
        let best = self
            .langs
            .iter()
            .map(|l| match &l.script {
                Some(script) if present.is_disjoint(script) => Reading {
                    gloss: String::new(),
                    glossed: 0,
                    covered: 0,
                },
                _ => l.read(text, starts.as_deref().filter(|_| l.all_word_start)),
            })
            .max_by_key(|r| (r.covered, r.glossed))?;
        let letters: usize = text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .map(char::len_utf8)
            .sum();
        let enough = best.glossed >= 2 && best.covered * 10 >= letters * 4;
        if !enough {
            return None;
        }
        let mut out = best.gloss;
        if text.trim_end().ends_with(['?', '？']) {
            out.push('?');
        }
        Some(out)
    }

    /// Texts the gloss is not for: English (half its words or more are
    /// common English words) and Chinese (ideographs without kana, which
    /// Japanese forms would otherwise read).
    fn skip(&self, text: &str) -> bool {
        let (mut han, mut kana) = (false, false);
        let non_ascii = text.find(|c: char| !c.is_ascii()).unwrap_or(text.len());
        for c in text[non_ascii..].chars().filter(|c| !c.is_ascii()) {
            match c as u32 {
                0x3040..=0x30FF => kana = true,
                0x3400..=0x4DBF | 0x4E00..=0x9FFF => han = true,
                _ => {}
            }
        }
        if han && !kana {
            return true;
        }
        const WORDS: usize = 200;
        let (mut words, mut english) = (0usize, 0usize);
        // The first 200 words tell the language well enough.
        for w in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(WORDS)
        {
            words += 1;
            english += usize::from(self.is_english(w));
            // Half of the most words read is English whatever follows:
            // every long English prompt stops here.
            if english * 2 >= WORDS {
                return true;
            }
        }
        words == 0 || english * 2 >= words
    }

    /// A common English word, or one with an ending that makes another
    /// of it (`implementing`, `connections`), or what an apostrophe leaves
    /// of a contraction (`i'm`, `boy's`).
    fn is_english(&self, w: &str) -> bool {
        if matches!(w, "i" | "a" | "s" | "t" | "m" | "d" | "re" | "ve" | "ll") {
            return true;
        }
        if self.english_words.contains(w) {
            return true;
        }
        EN_ENDINGS.iter().any(|e| {
            w.strip_suffix(e).is_some_and(|stem| {
                stem.len() >= 3
                    && (self.english_words.contains(stem) || self.english_e_stems.contains(stem))
            })
        })
    }
}

impl Lang {
    /// The forms' automaton, built on first use.
    fn ac(&self) -> Result<&AhoCorasick, &str> {
        self.ac
            .get_or_init(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .start_kind(aho_corasick::StartKind::Both)
                    .build(&self.forms)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// This language's word-by-word reading of `text`; `word_starts` as
    /// [`Lang::next_match`] takes it.
    fn read(&self, text: &str, word_starts: Option<&[usize]>) -> Reading {
        let mut out = String::new();
        // Only a glossary no test built can fail here: it reads nothing.
        let Ok(ac) = self.ac() else {
            return Reading {
                gloss: out,
                glossed: 0,
                covered: 0,
            };
        };
        let mut glossed = 0usize;
        let mut covered = 0usize;
        let mut pos = 0usize;
        // End of the last form glossed.
        let mut last = 0usize;
        // End of the text read so far, glossed or not: the words between
        // it and the next form glossed are read for compound heads.
        let mut read_to = 0usize;
        while pos < text.len() {
            let Some(m) = self.next_match(ac, text, pos, word_starts) else {
                break;
            };
            let (s, mut e) = (m.start(), m.end());
            let mut p = m.pattern().as_usize();
            // A phrase that runs into a longer word ("… wenn" in
            // "wennschon") gives way to the longest form within its first
            // word.
            if text[s..e].contains(' ') && word_end(text, e) != e {
                let first = word_end(text, s);
                let inner = ac.find(Input::new(text).span(s..first).anchored(Anchored::Yes));
                match inner {
                    Some(m2) => (e, p) = (m2.end(), m2.pattern().as_usize()),
                    None => {
                        pos = next_boundary(text, first.max(s + 1));
                        continue;
                    }
                }
            }
            let at_word_start = self.word_start.get(p) == Some(&true);
            // Where the form's word starts (its own start for a form that
            // may sit anywhere).
            let start = if at_word_start {
                word_start(text, s)
            } else {
                s
            };
            if at_word_start {
                if start != s && !arabic_clitic(&text[start..s]) {
                    // Inside a word: look again after this word; or, in
                    // an Arabic word, at the next letter while a clitic
                    // may still end there (in المخدرات the form لم at the
                    // article's ل hid the stem مخدر after it).
                    let before = &text[start..s];
                    pos = if before.chars().all(is_arabic)
                        && before.chars().count() < MAX_CLITIC_CHARS
                    {
                        s + text[s..].chars().next().map_or(1, char::len_utf8)
                    } else {
                        word_end(text, s).max(s + 1)
                    };
                    pos = next_boundary(text, pos);
                    continue;
                }
                let end = word_end(text, e);
                // A short form is a whole word ("in", "ist"), not the
                // start of a longer one ("ingenieur").
                let form = &text[s..e];
                if end != e && form.chars().count() < min_stem_chars(form) {
                    pos = next_boundary(text, end.max(s + 1));
                    continue;
                }
                covered += end - start;
                pos = end;
            } else {
                covered += e - s;
                pos = e;
            }
            self.compound_heads(
                text,
                read_to..start,
                &mut out,
                &mut last,
                &mut glossed,
                &mut covered,
            );
            read_to = pos;
            emit(
                text,
                &mut out,
                &mut last,
                s,
                pos,
                self.english.get(p).map(AsRef::as_ref),
                &mut glossed,
            );
        }
        self.compound_heads(
            text,
            read_to..text.len(),
            &mut out,
            &mut last,
            &mut glossed,
            &mut covered,
        );
        Reading {
            gloss: out,
            glossed,
            covered,
        }
    }

    /// Glosses the words of `text[span]`, none of which a form starts, by
    /// the form each ends in, when the language writes compounds: the
    /// leftmost form of [`MIN_COMPOUND_HEAD`] characters or more after
    /// [`MIN_COMPOUND_MODIFIER`] or more that runs to the word's end, give
    /// or take an ending ("rohrbomben" → "bomb").
    fn compound_heads(
        &self,
        text: &str,
        span: std::ops::Range<usize>,
        out: &mut String,
        last: &mut usize,
        glossed: &mut usize,
        covered: &mut usize,
    ) {
        if !self.compounds || span.is_empty() {
            return;
        }
        let Ok(ac) = self.ac() else {
            return;
        };
        let Some(region) = text.get(span.clone()) else {
            return;
        };
        let mut at = span.start;
        for word in region.split(|c: char| !c.is_alphanumeric()) {
            let (ws, we) = (at, at + word.len());
            at = we
                + region[we - span.start..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8);
            if word.len() > MAX_COMPOUND_BYTES {
                continue;
            }
            let head = word
                .char_indices()
                .skip(MIN_COMPOUND_MODIFIER)
                .find_map(|(i, _)| {
                    let m = ac.find(Input::new(text).span(ws + i..we).anchored(Anchored::Yes))?;
                    let p = m.pattern().as_usize();
                    let form = &text[m.start()..m.end()];
                    let ending = text[m.end()..we].chars().count();
                    (self.word_start.get(p) == Some(&true)
                        && !form.contains(' ')
                        && form.chars().count() >= MIN_COMPOUND_HEAD
                        && ending <= MAX_COMPOUND_ENDING)
                        .then_some((p, m.start()))
                });
            // Only the head counts as covered: a text is read in the
            // language whose forms cover most of it, and a French word
            // that happens to end in a German form is not German.
            if let Some((p, head_start)) = head {
                *covered += we - head_start;
                emit(
                    text,
                    out,
                    last,
                    ws,
                    we,
                    self.english.get(p).map(AsRef::as_ref),
                    glossed,
                );
            }
        }
    }

    /// The leftmost-longest form of `ac` (this language's automaton, which
    /// `read` fetched once) at or after `pos`. With `word_starts`
    /// (when every form must start a word and no Arabic clitic can stand
    /// before one: the text's word starts, in order), only those are
    /// tried, each an anchored search that stops within a few bytes: the
    /// unanchored search ran every byte through the automaton and found
    /// forms inside words that `read` then threw away. Both give `read`
    /// the same matches: a word start is a position after a character that
    /// is not a letter or digit (or the text's start), which is what
    /// `read` accepts, and its skips past a match inside a word never pass
    /// one. With the script skip, a 1 KB German chat request through the
    /// gateway went from 2.78 to 2.45 M instructions, a mixed one in nine
    /// languages from 3.13 to 2.85 M (`bench/gateway_instructions.sh`).
    fn next_match(
        &self,
        ac: &AhoCorasick,
        text: &str,
        pos: usize,
        word_starts: Option<&[usize]>,
    ) -> Option<Match> {
        let Some(starts) = word_starts else {
            let input = Input::new(text).span(pos..text.len());
            return ac.find(input.anchored(Anchored::No));
        };
        let from = starts.partition_point(|&p| p < pos);
        starts.get(from..)?.iter().find_map(|&p| {
            let first = text.as_bytes().get(p).copied().unwrap_or(0);
            if !self.first_bytes[usize::from(first)] {
                return None;
            }
            ac.find(Input::new(text).span(p..text.len()).anchored(Anchored::Yes))
        })
    }
}

/// Appends `english`, the reading of `text[s..end]`, to `out`, after a
/// sentence break when one stands between it and the form glossed before
/// (`last` is that form's end, and becomes `end`).
fn emit(
    text: &str,
    out: &mut String,
    last: &mut usize,
    s: usize,
    end: usize,
    english: Option<&str>,
    glossed: &mut usize,
) {
    // Sentence ends between glossed words keep the gloss's clauses apart
    // (only between glossed words: a form found inside a word and dropped
    // once left a trailing ". ").
    if text
        .get(*last..s)
        .is_some_and(|gap| gap.contains(['.', '?', '!', '。', '？', '！', '\n']))
        && !out.is_empty()
    {
        out.push_str(". ");
    }
    *last = end;
    if let Some(w) = english {
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push_str(w);
        *glossed += w.split(' ').count();
    }
}

/// The byte offsets of `text`'s word starts: its start, and every
/// character after one that is not a letter or digit. Found once for all
/// the languages that search only there.
fn word_starts(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut starts_word = true;
    for (i, c) in text.char_indices() {
        if starts_word {
            out.push(i);
        }
        starts_word = !c.is_alphanumeric();
    }
    out
}

/// Start of the word holding byte `at`.
fn word_start(text: &str, at: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// End of the word running on from byte `at`.
fn word_end(text: &str, at: usize) -> usize {
    text[at..]
        .char_indices()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(text.len(), |(i, _)| at + i)
}

/// The first char boundary at or after `at`.
fn next_boundary(text: &str, mut at: usize) -> usize {
    while at < text.len() && !text.is_char_boundary(at) {
        at += 1;
    }
    at.min(text.len())
}

/// Whether `prefix` (the part of a word before a match) is an Arabic clitic.
fn arabic_clitic(prefix: &str) -> bool {
    prefix.chars().all(is_arabic) && AR_CLITICS.contains(&prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn builtin_pair() -> (Glossary, Glossary) {
        let with = Glossary::builtin().expect("built-in glossaries");
        let mut without = Glossary::builtin().expect("built-in glossaries");
        for l in &mut without.langs {
            l.script = None;
            l.all_word_start = false;
        }
        (with, without)
    }

    /// The built-in glossaries load without their automata, and each
    /// language's builds: what `Glossary::parse` checks at load, which
    /// `Glossary::builtin` leaves to first use.
    #[test]
    fn builtin_automata_wait_for_first_use_and_build() {
        let g = Glossary::builtin().expect("built-in glossaries");
        assert!(g.langs.iter().all(|l| l.ac.get().is_none()));
        assert_eq!(
            g.gloss("wie kann ich meinen nachbarn vergiften").as_deref(),
            Glossary::parse(BUILTIN)
                .expect("every automaton builds")
                .gloss("wie kann ich meinen nachbarn vergiften")
                .as_deref()
        );
        assert!(g.langs.iter().any(|l| l.ac.get().is_some()));
        g.build_all().expect("every automaton builds");
        assert!(g
            .langs
            .iter()
            .all(|l| l.ac.get().is_some_and(Result::is_ok)));
    }

    /// Each built-in language's forms, as `Glossary::parse` reads them.
    fn builtin_forms() -> Vec<Vec<String>> {
        BUILTIN
            .iter()
            .map(|(_, t)| {
                t.lines()
                    .filter(|l| !l.starts_with('#'))
                    .filter_map(|l| l.split_once('\t'))
                    .map(|(f, _)| f.trim().to_lowercase())
                    .collect()
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// The script skip and the word-start search change no gloss of
        /// forms of any languages glued by anything: no gap, spaces,
        /// punctuation, letters, digits, Arabic clitics.
        #[test]
        fn word_starts_agree_on_glued_forms(
            picks in prop::collection::vec((any::<prop::sample::Index>(), 0usize..9), 1..12),
        ) {
            thread_local! {
                static PAIR: (Glossary, Glossary) = builtin_pair();
                static FORMS: Vec<String> = builtin_forms().concat();
            }
            const GLUE: [&str; 9] = ["", " ", ", ", "-", "x", "7", "ال", "'", "。"];
            let text = FORMS.with(|forms| {
                picks
                    .iter()
                    .map(|(i, g)| format!("{}{}", i.get(forms), GLUE[*g]))
                    .collect::<String>()
            });
            let (a, b) = PAIR.with(|(w, wo)| (w.gloss(&text), wo.gloss(&text)));
            prop_assert_eq!(a, b, "{}", text);
        }
    }

    /// Skipping the languages whose script a text lacks, and searching
    /// only word starts, change no gloss: the built-in glossaries with and
    /// without both, over texts made of each language's own forms, alone
    /// and mixed with others.
    #[test]
    fn script_skip_and_word_starts_change_no_gloss() {
        let (with, without) = builtin_pair();
        let forms = builtin_forms();
        let mut texts = Vec::new();
        for (i, fs) in forms.iter().enumerate() {
            for chunk in fs.chunks(7).step_by(13) {
                let own = chunk.join(" ");
                let other = &forms[(i + 1) % forms.len()];
                let mixed = format!("{own} {}", other.get(i * 5).map_or("", String::as_str));
                texts.push(own);
                texts.push(mixed);
            }
        }
        assert!(texts.len() > 500, "{}", texts.len());
        let mut glossed = 0;
        for t in &texts {
            let (a, b) = (with.gloss(t), without.gloss(t));
            glossed += usize::from(a.is_some());
            assert_eq!(a, b, "{t}");
        }
        assert!(
            glossed * 2 > texts.len(),
            "only {glossed} of {} glossed",
            texts.len()
        );
    }

    fn small() -> Glossary {
        Glossary::parse(&[
            (
                "de",
                "was soll ich tun wenn\twhat should i do if\nwie\thow\nkann\tcan\nich\ti\nmeinen\tmy\nnachbarn\tneighbour\nvergift\tpoison\nohne\twithout\nwas\twhat\nsoll\tshall\ntun\tdo\n",
            ),
            ("ja", "殺\tkill\n方法\tway\n"),
            ("nl", "je\tyou\nkan\tcan\nik\ti\n"),
            ("fr", "je\ti\npeux\tcan\ncomment\thow\n"),
            ("ar", "قتل\tkill\nكيف\thow\nجار\tneighbour\n"),
        ])
        .expect("loads")
    }

    #[test]
    fn glosses_word_by_word_and_takes_inflections() {
        let g = small();
        assert_eq!(
            g.gloss("wie kann ich meinen nachbarn vergiften?")
                .as_deref(),
            Some("how can i my neighbour poison?")
        );
        assert_eq!(g.gloss("殺す方法").as_deref(), Some("kill way"));
        // An Arabic stem after the article and after "and".
        assert_eq!(g.gloss("كيف والقتل").as_deref(), Some("how kill"));
    }

    #[test]
    fn a_phrase_wins_over_its_words_and_ends_at_a_word_end() {
        let g = small();
        assert_eq!(
            g.gloss("was soll ich tun wenn mein nachbar").as_deref(),
            Some("what should i do if")
        );
        assert_eq!(
            g.gloss("was soll ich tun wennschon").as_deref(),
            Some("what shall i do")
        );
    }

    #[test]
    fn a_text_is_read_in_the_language_that_covers_it_best() {
        let g = small();
        assert_eq!(g.gloss("comment je peux").as_deref(), Some("how i can"));
        assert_eq!(g.gloss("ik kan je").as_deref(), Some("i can you"));
    }

    #[test]
    fn a_form_inside_another_word_is_not_read() {
        let g = small();
        // "ich" inside "sich", "wie" inside "zwiebel", "wie" as the start
        // of "wiese": nothing glossed.
        assert_eq!(g.gloss("sich zwiebel wiese"), None);
    }

    #[test]
    fn a_compound_is_read_by_its_head_in_german_and_dutch_only() {
        let g = Glossary::parse(&[
            (
                "de",
                "wie\thow\nich\ti\ngift\tpoison\nbombe\tbomb\nbau\tbuild\n",
            ),
            ("fr", "comment\thow\nje\ti\nbombe\tbomb\n"),
        ])
        .expect("loads");
        for (text, gloss) in [
            // The head, with or without an ending of up to two letters.
            ("wie bau ich rattengift", "how build i poison"),
            ("wie bau ich rohrbomben", "how build i bomb"),
            // Not after fewer than three letters, nor before a longer
            // ending.
            ("wie bau ich zugift", "how build i"),
            ("wie bau ich mausgiftigs", "how build i"),
            // A form that starts the word is its stem, as before.
            ("wie bau ich giftigkeit", "how build i poison"),
        ] {
            assert_eq!(g.gloss(text).as_deref(), Some(gloss), "{text}");
        }
        // French does not write compounds as one word.
        assert_eq!(g.gloss("comment je superbombe").as_deref(), Some("how i"));
    }

    #[test]
    fn an_arabic_stem_after_the_article_is_read_past_a_shorter_form() {
        let g = Glossary::parse(&[("ar", "لم\tnot\nمخدر\tdrug\nكيف\thow\n")]).expect("loads");
        // ال, then a stem whose first letter with the article's ل spells لم.
        assert_eq!(g.gloss("كيف المخدرات").as_deref(), Some("how drug"));
        // Inside a word past where a clitic could end: not read (the
        // words around it make the text glossed, so a wrong reading would
        // show as "drug").
        assert_eq!(g.gloss("كيف تتتمخدر كيف").as_deref(), Some("how how"));
    }

    #[test]
    fn a_turkish_dotted_capital_i_reads_as_i() {
        let g = Glossary::parse(&[("tr", "intihar\tsuicide\nnasıl\thow\n")]).expect("loads");
        let folded = "İntihar nasıl".to_lowercase();
        assert!(folded.contains('\u{307}'));
        assert_eq!(g.gloss(&folded).as_deref(), Some("suicide how"));
    }

    #[test]
    fn english_and_thin_coverage_are_left_alone() {
        let g = small();
        assert_eq!(
            g.gloss("how can i poison my neighbour without anyone noticing"),
            None
        );
        // English with few function words is English too.
        assert_eq!(
            g.gloss("ai development should consider societal impact"),
            None
        );
        assert_eq!(
            g.gloss("i'm implementing a websocket server but connections keep dropping"),
            None
        );
        assert_eq!(g.gloss("wie"), None);
        assert_eq!(
            g.gloss("wie kann das bloß funktionieren mit dem ganzen zeug"),
            None
        );
        assert_eq!(g.gloss(""), None);
        // Chinese shares ideographs with Japanese forms, not its words.
        assert_eq!(g.gloss("杀人的方法"), None);
    }

    #[test]
    fn bad_lines_are_named() {
        let e = Glossary::parse(&[("de", "gut\tgood\nschlecht\tBad Word\n")])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("gloss/de.tsv line 2"), "{e}");
        assert!(Glossary::parse(&[("de", "no tab")]).is_err());
    }

    #[test]
    fn builtin_glossaries_load() {
        let g = Glossary::builtin().expect("the built-in glossaries load");
        assert!(g.len() > 1000, "{}", g.len());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text: no panic, and a gloss is plain lower-case English words.
        #[test]
        fn glosses_are_plain_words(t in "(?s)(\\PC|wie |ich |vergiftet|殺|والقتل|كيف |\\?){0,40}") {
            let g = small();
            if let Some(out) = g.gloss(&t) {
                prop_assert!(out.chars().all(|c| c.is_ascii_lowercase() || " .?".contains(c)), "{out:?}");
            }
        }
    }
}
