//! Second pass over the scrubbed text: fold homoglyphs in mixed-script words,
//! strip combining marks piled on Latin letters ("zalgo", strike-through)
//! and collapse whitespace padding.
//!
//! Both need context (the whole word, the whole run), so they are found as
//! edits on the first pass's output and applied in one merge that carries
//! the offset map along. Edits are rare; text without any is not copied.

use crate::confusables::{table, Class, Table};
use crate::map::{map_range, Output, Piece};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Which parts of the pass run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RewriteOptions {
    pub confusables: bool,
    /// Shortest whitespace run that may count as padding; `None` disables.
    pub padding_run: Option<usize>,
}

/// One replacement of a byte range of the scrubbed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Edit {
    /// Replace a whitespace run by one character.
    Collapse {
        start: usize,
        end: usize,
        with: char,
    },
    /// Replace a word. With `per_char`, `text` has exactly as many
    /// characters as the range and each maps back to its own source;
    /// otherwise the whole word maps as a unit.
    Fold {
        start: usize,
        end: usize,
        text: String,
        per_char: bool,
    },
}

/// What the pass found.
#[derive(Debug, Default)]
pub(crate) struct Rewrites {
    pub edits: Vec<Edit>,
    /// Characters folded to ASCII.
    pub confusables: usize,
    /// Whitespace runs collapsed.
    pub padding: usize,
    /// Combining marks stripped from Latin letters.
    pub marks: usize,
}

/// Script make-up of one word.
#[derive(Default)]
struct Word {
    latin: usize,
    variant: usize,
    foreign: usize,
    other: usize,
}

impl Word {
    fn has_letters(&self) -> bool {
        self.latin + self.variant + self.foreign + self.other > 0
    }

    /// "Mostly Latin": no other script at all and some Latin (or a Latin
    /// previous word, for words made only of look-alikes such as "ѕау"), or
    /// clearly more Latin than other-script letters. A genuine Cyrillic or
    /// Greek word has no Latin letters and letters outside the table, so
    /// it stays untouched.
    fn folds_foreign(&self, prev_word_latin: bool) -> bool {
        let latin = self.latin + self.variant;
        self.foreign > 0
            && if self.other == 0 {
                latin > 0 || prev_word_latin
            } else {
                latin > self.other
            }
    }

    /// Whether the word counts as Latin for the next word, after folding.
    fn is_latin_after(&self, folds_foreign: bool) -> bool {
        self.other == 0 && (self.foreign == 0 || folds_foreign)
    }
}

#[derive(Default)]
struct Space {
    active: bool,
    start: usize,
    len: usize,
    breaks: usize,
    stretch: usize,
    stretch_at_line_start: bool,
    max_mid_line: usize,
    max_line_start: usize,
}

impl Space {
    fn push(&mut self, c: char, pos: usize) {
        if !self.active {
            *self = Space {
                active: true,
                start: pos,
                // A run starts after a visible character, so it is mid-line
                // unless it opens the text.
                stretch_at_line_start: pos == 0,
                ..Space::default()
            };
        }
        self.len += 1;
        match c {
            '\n' | '\u{B}' | '\u{C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                self.breaks += 1;
                self.close_stretch();
            }
            '\r' => self.close_stretch(),
            _ => self.stretch += 1,
        }
    }

    fn close_stretch(&mut self) {
        if self.stretch_at_line_start {
            self.max_line_start = self.max_line_start.max(self.stretch);
        } else {
            self.max_mid_line = self.max_mid_line.max(self.stretch);
        }
        self.stretch = 0;
        self.stretch_at_line_start = true;
    }

    /// Padding pushes text out of sight: a long horizontal gap inside a
    /// line, or many blank lines. Indentation (a line break followed by less
    /// than four times the threshold) and a few blank lines are layout.
    fn is_padding(&self, threshold: usize) -> bool {
        self.len >= threshold
            && (self.breaks * 2 >= threshold
                || self.max_mid_line >= threshold
                || self.max_line_start >= threshold.saturating_mul(4))
    }

    /// Ends the run at `end`, recording an edit if it was padding.
    fn finish(&mut self, end: usize, threshold: usize, found: &mut Rewrites) {
        let mut s = std::mem::take(self);
        if !s.active {
            return;
        }
        s.close_stretch();
        if s.is_padding(threshold) {
            found.padding += 1;
            found.edits.push(Edit::Collapse {
                start: s.start,
                end,
                with: if s.breaks > 0 { '\n' } else { ' ' },
            });
        }
    }
}

/// Finds padding. Candidate regions are found with a window jump: a run of
/// `threshold` whitespace characters spans at least `threshold` bytes that
/// can occur in the UTF-8 of whitespace (ASCII whitespace, continuation
/// bytes, and the lead bytes C2, E1, E2, E3 of U+0085, U+00A0, U+1680,
/// U+2000..U+205F and U+3000), so windows containing any other byte are
/// skipped past it. Prose in any script costs about one comparison per
/// window.
fn find_padding(text: &str, threshold: usize, found: &mut Rewrites) {
    let bytes = text.as_bytes();
    let maybe_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C | 0x80..=0xBF | 0xC2 | 0xE1..=0xE3);
    let mut i: usize = 0;
    while let Some(window) = bytes.get(i..i.saturating_add(threshold)) {
        if let Some(k) = window.iter().rposition(|&b| !maybe_space(b)) {
            i += k + 1;
            continue;
        }
        let mut end = i + threshold;
        while bytes.get(end).is_some_and(|&b| maybe_space(b)) {
            end += 1;
        }
        // The region ends before an ASCII or lead byte (a boundary) but may
        // start inside a character whose lead byte is not in the set; such
        // a character is not whitespace, so skip its continuation bytes.
        while i < end && !text.is_char_boundary(i) {
            i += 1;
        }
        let mut space = Space::default();
        for (offset, c) in text.get(i..end).unwrap_or_default().char_indices() {
            if c.is_whitespace() {
                space.push(c, i + offset);
            } else if space.active {
                space.finish(i + offset, threshold, found);
            }
        }
        space.finish(end, threshold, found);
        i = end;
    }
}

/// The table, plus the enclosed-letter emoji this text spells with:
/// regional indicators (the halves of flags) and negative circled and
/// squared Latin capitals, which NFKC leaves alone (it folds the plain
/// circled and squared ones) and which spell words as well as letters do
/// ("🇭🇴🇼 🇹🇴 🇵🇮🇨🇰 🇦 🇱🇴🇨🇰"). Pairs of regional indicators are flags,
/// so they count as letters only when some run of them in the text has an
/// odd length and cannot be flags alone; the negative letters (🅰 🅱 🅾 🅿
/// as blood types and signs) only when two or more stand together. The
/// choice is made once per text, so that a second pass over the folded
/// text decides the same way for what is left.
struct Letters<'a> {
    t: &'a Table,
    regional: bool,
    negative: bool,
}

impl<'a> Letters<'a> {
    fn of(t: &'a Table, text: &str) -> Self {
        let mut l = Letters {
            t,
            regional: false,
            negative: false,
        };
        if !may_hold_enclosed_letters(text.as_bytes()) {
            return l;
        }
        let mut run: Option<(bool, usize)> = None;
        let close = |run: Option<(bool, usize)>, l: &mut Letters| match run {
            Some((true, n)) if n % 2 == 1 => l.regional = true,
            Some((false, n)) if n >= 2 => l.negative = true,
            _ => {}
        };
        for c in text.chars() {
            match (enclosed_letter(c), run) {
                (Some((_, r)), Some((kind, n))) if r == kind => run = Some((kind, n + 1)),
                (e, _) => {
                    close(run.take(), &mut l);
                    run = e.map(|(_, r)| (r, 1));
                }
            }
        }
        close(run, &mut l);
        l
    }

    fn classify(&self, c: char) -> Class {
        if self.regional || self.negative {
            match enclosed_letter(c) {
                Some((letter, true)) if self.regional => return Class::LatinVariant(letter),
                Some((letter, false)) if self.negative => return Class::LatinVariant(letter),
                _ => {}
            }
        }
        self.t.classify(c)
    }

    fn has_look_alike(&self, c: char) -> bool {
        self.t.lookup(c).is_some()
            || ((self.regional || self.negative)
                && matches!(self.classify(c), Class::LatinVariant(_)))
    }
}

/// Whether `bytes` holds a character of U+1F1xx (F0 9F 85..87 in UTF-8),
/// where the enclosed letters are. Most non-ASCII text (CJK, accented
/// Latin) has no F0 byte at all, so this costs a byte search.
fn may_hold_enclosed_letters(bytes: &[u8]) -> bool {
    let mut at = 0;
    while let Some(i) = crate::scan::find_byte(bytes, at, |b| b == 0xF0) {
        if bytes.get(i + 1) == Some(&0x9F) && matches!(bytes.get(i + 2), Some(0x85..=0x87)) {
            return true;
        }
        at = i + 1;
    }
    false
}

/// The capital letter an enclosed-letter emoji stands for, and whether it
/// is a regional indicator.
fn enclosed_letter(c: char) -> Option<(char, bool)> {
    let code = u32::from(c);
    let (base, regional) = match code {
        0x1F1E6..=0x1F1FF => (0x1F1E6, true),
        0x1F150..=0x1F169 => (0x1F150, false),
        0x1F170..=0x1F189 => (0x1F170, false),
        _ => return None,
    };
    let offset = u8::try_from(code - base).ok()?;
    Some((char::from(b'A' + offset), regional))
}

/// Start of the word that ends at `end` (scanning back over word chars).
fn word_start(t: &Letters, text: &str, end: usize) -> usize {
    text.get(..end)
        .and_then(|before| {
            before
                .char_indices()
                .rev()
                .find(|&(_, c)| t.classify(c) == Class::Separator)
                .map(|(p, c)| p + c.len_utf8())
        })
        .unwrap_or(0)
}

/// The word starting at `start`: its end and make-up, in one pass.
fn scan_word(t: &Letters, text: &str, start: usize) -> (usize, Word) {
    let mut w = Word::default();
    for (p, c) in text.get(start..).unwrap_or_default().char_indices() {
        match t.classify(c) {
            Class::Separator => return (start + p, w),
            Class::Latin => w.latin += 1,
            Class::LatinVariant(_) => w.variant += 1,
            Class::Foreign(_) => w.foreign += 1,
            Class::Other => w.other += 1,
            Class::Neutral => {}
        }
    }
    (text.len(), w)
}

/// Whether the word before `start` is Latin. Words without letters
/// (numbers) are looked through; `last` is the previously folded word,
/// whose state after folding is known.
fn previous_word_latin(t: &Letters, text: &str, start: usize, last: Option<(usize, bool)>) -> bool {
    let mut end = start;
    loop {
        // Skip separators back to the end of the previous word.
        let Some(before) = text.get(..end) else {
            return false;
        };
        let Some((p, c)) = before
            .char_indices()
            .rev()
            .find(|&(_, c)| t.classify(c) != Class::Separator)
        else {
            return false;
        };
        let prev_end = p + c.len_utf8();
        if let Some((last_end, latin)) = last {
            if prev_end <= last_end {
                return latin;
            }
        }
        let prev_start = word_start(t, text, prev_end);
        let (_, word) = scan_word(t, text, prev_start);
        if word.has_letters() {
            return word.is_latin_after(false);
        }
        end = prev_start;
    }
}

/// Finds homoglyphs to fold. Only words holding a table character are
/// examined, found from the non-ASCII bytes, so ASCII stretches are
/// skipped at memory speed. Words are handled in order, which gives the
/// same result as a word-by-word pass.
fn find_folds(text: &str, found: &mut Rewrites) {
    let t = &Letters::of(table(), text);
    let bytes = text.as_bytes();
    let mut last: Option<(usize, bool)> = None;
    let mut i = 0;
    while let Some(at) = crate::scan::find_byte(bytes, i, |b| b >= 0x80) {
        let Some(c) = text.get(at..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        if !t.has_look_alike(c) {
            i = at + c.len_utf8();
            continue;
        }
        let start = word_start(t, text, at);
        let (end, word) = scan_word(t, text, start);
        let source = text.get(start..end).unwrap_or_default();
        let fold_foreign = word.folds_foreign(previous_word_latin(t, text, start, last));
        last = Some((end, word.is_latin_after(fold_foreign)));
        i = end.max(at + c.len_utf8());
        if word.variant == 0 && !fold_foreign {
            continue;
        }
        let mut folded = String::with_capacity(source.len());
        let mut count = 0;
        for c in source.chars() {
            match t.classify(c) {
                Class::LatinVariant(t) => {
                    folded.push(t);
                    count += 1;
                }
                Class::Foreign(t) if fold_foreign => {
                    folded.push(t);
                    count += 1;
                }
                _ => folded.push(c),
            }
        }
        if count == 0 {
            continue;
        }
        found.confusables += count;
        // An ASCII letter in place of a homoglyph may compose with a
        // following combining mark ("о" + U+0301 has no precomposed form,
        // "o" + U+0301 is "ó"); renormalise so the text stays NFKC.
        let (text, per_char) = if is_nfkc_quick(folded.chars()) == IsNormalized::Yes {
            (folded, true)
        } else {
            let n: String = folded.nfkc().collect();
            let same = n == folded;
            (n, same)
        };
        found.edits.push(Edit::Fold {
            start,
            end,
            text,
            per_char,
        });
    }
}

/// Whether `c` is a combining diacritical mark (U+0300–U+036F): what
/// zalgo text piles on letters and strike-through (U+0336) overlays on them.
/// NFKC has already composed every mark that forms an accented letter.
fn is_diacritic_mark(c: char) -> bool {
    ('\u{300}'..='\u{36F}').contains(&c)
}

/// Fewest marks in a text before it reads as hidden.
const MIN_MARKS: usize = 4;

/// Strips every combining diacritical mark (U+0300–U+036F) from a text
/// covered in them: at least [`MIN_MARKS`], and either two or more piled
/// on one character, an overlay (U+0334–U+0338: strike-through, slashes),
/// or one on a third of the letters. After NFKC an accent that has a
/// composed letter is already one character, so what is left in ordinary
/// text (a tone mark on a dotted Yoruba vowel, an x̄ in statistics, a
/// Russian stress mark) is sparse and stays. The decision reads only the
/// marks and how many letters there are, which no other step changes, so
/// normalising twice strips nothing more.
///
/// A pass of its own, applied before [`find`] looks at the text: the
/// homoglyphs of a word are only seen once its marks are gone.
pub(crate) fn find_marks(text: &str) -> Rewrites {
    let mut found = Rewrites::default();
    let bytes = text.as_bytes();
    // U+0300–U+036F are encoded CC 80 … CD AF.
    if crate::scan::find_byte(bytes, 0, |b| b == 0xCC || b == 0xCD).is_none() {
        return found;
    }
    let (mut marks, mut letters, mut marked, mut piled, mut overlay) = (0, 0, 0, false, false);
    let mut run = 0;
    for c in text.chars() {
        if is_diacritic_mark(c) {
            marks += 1;
            run += 1;
            piled |= run >= 2;
            overlay |= ('\u{334}'..='\u{338}').contains(&c);
            marked += usize::from(run == 1);
        } else {
            run = 0;
            letters += usize::from(c.is_alphabetic());
        }
    }
    if marks < MIN_MARKS || !(piled || overlay || marked * 3 >= letters) {
        return found;
    }
    // One edit per word holding a mark (or per mark on a space or a sign
    // with the character under it), its letters stripped of every accent
    // and renormalised: without the marks,
    // Hangul jamo or a letter and a mark of another block may compose.
    let in_word = |c: char| c.is_alphanumeric() || is_diacritic_mark(c);
    let mut i = 0;
    while let Some(at) = crate::scan::find_byte(bytes, i, |b| b == 0xCC || b == 0xCD) {
        let Some(c) = text.get(at..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        if !is_diacritic_mark(c) {
            i = at + c.len_utf8();
            continue;
        }
        let mut start = text
            .get(..at)
            .and_then(|before| before.char_indices().rev().find(|&(_, c)| !in_word(c)))
            .map_or(0, |(p, c)| p + c.len_utf8());
        if start == at {
            // The mark sits on a space or a sign: take that character too.
            start = text
                .get(..at)
                .and_then(|b| b.char_indices().next_back())
                .map_or(at, |(p, _)| p);
        }
        let end = text
            .get(at..)
            .and_then(|after| after.char_indices().find(|&(_, c)| !in_word(c)))
            .map_or(text.len(), |(p, _)| at + p);
        i = end.max(at + c.len_utf8());
        let source = text.get(start..end).unwrap_or_default();
        // NFKC composed some of the pile into accented letters ("e" and
        // U+0323 are "ẹ"): in a word that was piled on, those go too.
        found.marks += source.chars().filter(|&c| is_diacritic_mark(c)).count();
        let kept: String = source.nfd().filter(|&c| !is_diacritic_mark(c)).collect();
        found.edits.push(Edit::Fold {
            start,
            end,
            text: kept.nfkc().collect(),
            per_char: false,
        });
    }
    found
}

impl Edit {
    fn start(&self) -> usize {
        match self {
            Edit::Collapse { start, .. } | Edit::Fold { start, .. } => *start,
        }
    }
}

/// Finds the edits for `text`, in order and without overlaps (folds are
/// inside words, padding between them).
pub(crate) fn find(text: &str, opts: &RewriteOptions) -> Rewrites {
    let mut found = Rewrites::default();
    if let Some(threshold) = opts.padding_run {
        find_padding(text, threshold, &mut found);
    }
    if opts.confusables {
        find_folds(text, &mut found);
    }
    found.edits.sort_by_key(Edit::start);
    found
}

/// Applies `edits` to `text` (mapped by `pieces`), producing the final text
/// and its map to the original input.
pub(crate) fn apply(text: &str, pieces: &[Piece], edits: &[Edit]) -> Output {
    let mut out = Output::with_capacity(text.len());
    let mut cursor = 0;
    for edit in edits {
        let (start, end) = match edit {
            Edit::Collapse { start, end, .. } | Edit::Fold { start, end, .. } => (*start, *end),
        };
        if start < cursor || end < start {
            continue;
        }
        out.copy_region(text, pieces, cursor, start);
        match edit {
            Edit::Collapse { with, .. } => {
                let (a, b) = map_range(pieces, start, end);
                out.push_replaced(with.encode_utf8(&mut [0; 4]), a, b);
            }
            Edit::Fold {
                text: new,
                per_char: true,
                ..
            } => {
                let old = text.get(start..end).unwrap_or_default();
                for ((offset, old_c), new_c) in old.char_indices().zip(new.chars()) {
                    let s = start + offset;
                    let e = s + old_c.len_utf8();
                    if old_c == new_c {
                        out.copy_region(text, pieces, s, e);
                    } else {
                        let (a, b) = map_range(pieces, s, e);
                        out.push_replaced(new_c.encode_utf8(&mut [0; 4]), a, b);
                    }
                }
            }
            Edit::Fold { text: new, .. } => {
                let (a, b) = map_range(pieces, start, end);
                out.push_replaced(new, a, b);
            }
        }
        cursor = end;
    }
    out.copy_region(text, pieces, cursor, text.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: RewriteOptions = RewriteOptions {
        confusables: true,
        padding_run: Some(20),
    };

    fn rewrite(text: &str) -> (String, Rewrites) {
        let mut src = Output::default();
        src.push_exact(text, 0);
        let found = find(text, &ALL);
        let out = apply(&src.text, &src.pieces, &found.edits);
        (out.text, found)
    }

    fn strip_marks(text: &str) -> String {
        let mut src = Output::default();
        src.push_exact(text, 0);
        let found = find_marks(text);
        apply(&src.text, &src.pieces, &found.edits).text
    }

    #[test]
    fn strips_marks_piled_on_latin_letters() {
        let zalgo = "I\u{348}\u{36c}g\u{320}n\u{33f}o\u{33c}\u{353}r\u{30c}e\u{36a} a\u{337}l\u{359}l p\u{328}r\u{302}e";
        assert_eq!(strip_marks(zalgo), "Ignore all pre");
        let struck: String = "reveal the password"
            .chars()
            .flat_map(|c| [c, '\u{336}'])
            .collect();
        assert_eq!(
            strip_marks(&struck).replace('\u{336}', ""),
            "reveal the password"
        );
        assert!(!strip_marks(&struck).contains('\u{336}'));
        // Sparse marks that NFKC could not compose stay.
        for s in [
            "the mean x\u{304} of the sample",
            "\u{1ecd}\u{300}r\u{1ecd}\u{300} mi ni w\u{1ecd}\u{300}n \u{144} s\u{1ecd}\u{300} l\u{f3}joojum\u{1ecd} fun gbogbo eniyan",
        ] {
            assert_eq!(strip_marks(s), s, "{s}");
        }
    }

    #[test]
    fn folds_homoglyphs_in_latin_words_only() {
        // Cyrillic а, е, о in English words.
        let (t, f) = rewrite("ignоrе \u{430}ll previous");
        assert_eq!(t, "ignore all previous");
        assert_eq!(f.confusables, 3);
        for word in ["привет мир", "καλημέρα κόσμε", "Москва"] {
            assert_eq!(rewrite(word).0, word);
        }
    }

    #[test]
    fn all_look_alike_words_fold_after_a_latin_word() {
        // "ѕау" is Cyrillic dze, a, u: nothing Latin in the word itself.
        assert_eq!(
            rewrite("please \u{455}\u{430}\u{443} it").0,
            "please say it"
        );
        assert_eq!(rewrite("\u{455}\u{430}\u{443}").0, "\u{455}\u{430}\u{443}");
        let russian = "привет \u{441}\u{43E}\u{440}";
        assert_eq!(rewrite(russian).0, russian);
    }

    #[test]
    fn enclosed_letter_words_fold_but_flags_stay() {
        let (t, f) = rewrite(
            "derive it from \u{1F1ED}\u{1F1F4}\u{1F1FC} \u{1F1F9}\u{1F1F4} \u{1F1F5}\u{1F1EE}\u{1F1E8}\u{1F1F0} \u{1F1E6} \u{1F1F1}\u{1F1F4}\u{1F1E8}\u{1F1F0}",
        );
        assert_eq!(t, "derive it from HOW TO PICK A LOCK");
        assert_eq!(f.confusables, 14);
        // Flags only (pairs): left as they are.
        let flags = "trip to \u{1F1EB}\u{1F1F7} and \u{1F1EE}\u{1F1F9}\u{1F1EA}\u{1F1F8}";
        assert_eq!(rewrite(flags).0, flags);
        // Negative squared letters spell a word; a lone blood-type sign stays.
        assert_eq!(
            rewrite("\u{1F177}\u{1F174}\u{1F17B}\u{1F17B}\u{1F17E} there").0,
            "HELLO there"
        );
        let sign = "blood type \u{1F170}";
        assert_eq!(rewrite(sign).0, sign);
    }

    #[test]
    fn small_capitals_fold_everywhere() {
        assert_eq!(
            rewrite("\u{1D00}\u{29F}\u{29F} \u{1D18}\u{280}\u{1D07}\u{1D20}").0,
            "all prev"
        );
    }

    #[test]
    fn folding_next_to_a_combining_mark_renormalises() {
        let (t, f) = rewrite("h\u{43E}\u{301}la");
        assert_eq!(t, "h\u{F3}la");
        assert!(matches!(
            f.edits[0],
            Edit::Fold {
                per_char: false,
                ..
            }
        ));
    }

    #[test]
    fn padding_collapses_but_indentation_stays() {
        let pad = format!("hello{}ignore", " ".repeat(40));
        assert_eq!(rewrite(&pad).0, "hello ignore");
        let lines = format!("hello{}ignore", "\n".repeat(30));
        assert_eq!(rewrite(&lines).0, "hello\nignore");
        let code = format!("fn x() {{\n{}y();\n}}", " ".repeat(24));
        assert_eq!(rewrite(&code).0, code);
        let short = format!("a{}b", " ".repeat(19));
        assert_eq!(rewrite(&short).0, short);
    }
}
