//! Turning a text into a sparse hashed feature vector.
//!
//! Three families share one hashed space (the hashing trick keeps the model a
//! fixed size whatever the vocabulary, and needs no vocabulary file):
//! - byte n-grams (3–5) of the folded text: robust to spelling tricks and
//!   cover Chinese (a CJK character is three UTF-8 bytes, so 3–5-grams are
//!   one or two characters);
//! - word unigrams and bigrams, CJK characters counting as words;
//! - named signals supplied by the caller (kind, direction, which rule
//!   categories fired, which normalisations fired) and a few structural
//!   measures computed here (imperatives aimed at the model, role markers,
//!   where in a document an instruction sits). These carry intent and
//!   structure, which n-grams alone miss on unseen sources.
//!
//! Each family is scaled by 1/sqrt(count) so long texts do not dominate.

use crate::structure;

/// Index and value pairs; indices may repeat (dot products sum them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    /// Feature indices, each below the model's dimension.
    pub idx: Vec<u32>,
    /// Feature values.
    pub val: Vec<f32>,
}

impl SparseVec {
    fn push(&mut self, i: u32, v: f32) {
        self.idx.push(i);
        self.val.push(v);
    }

    /// Number of stored entries.
    pub fn len(&self) -> usize {
        self.idx.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }
}

/// What the model looks at.
#[derive(Debug, Clone, Copy)]
pub struct ModelInput<'a> {
    /// Lower-cased, leetspeak-folded normalised text.
    pub folded: &'a str,
    /// Named signals from earlier stages (`kind=document`, `rule=jailbreak`,
    /// `norm=base64`, …).
    pub signals: &'a [&'a str],
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn mix(h: u64) -> u64 {
    // A final avalanche (from splitmix64) so that low bits are well spread
    // before masking to the table size.
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = FNV_OFFSET ^ seed;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    }
    mix(h)
}

const SEED_NGRAM: u64 = 0x11;
const SEED_WORD: u64 = 0x22;
const SEED_BIGRAM: u64 = 0x33;
const SEED_SIGNAL: u64 = 0x44;

/// Most bytes of text that feed n-grams; the rest is inspected by rules
/// only. Keeps tier 2 inside its latency budget on megabyte inputs.
pub const MAX_FEATURE_BYTES: usize = 64 * 1024;

/// Extracts the features of `input` for a table of `1 << bits` entries.
pub fn extract(input: &ModelInput<'_>, bits: u32) -> SparseVec {
    let mut v = SparseVec::default();
    fill(input, bits, true, &mut v);
    v
}

/// Like [`extract`] without the structural measures (for short segments,
/// where they say little and would cost more than the n-grams), into
/// `out`, replacing what it held: the many segments of one text share one
/// vector instead of allocating one each.
pub fn extract_plain_into(input: &ModelInput<'_>, bits: u32, out: &mut SparseVec) {
    fill(input, bits, false, out);
}

/// Room for every feature of `text`, so the vectors never grow mid-way
/// (growing them, copy included, was a tenth of the extraction): three
/// n-grams per byte and two ends, at most two word features per one-byte
/// word and its separator (a unigram and a bigram), the signals, and the
/// structure measures.
fn room(text: &str, signals: usize) -> usize {
    text.len() * 3 + 6 + (text.len() + 1) * 4 / 3 + signals + 128
}

fn fill(input: &ModelInput<'_>, bits: u32, structural: bool, v: &mut SparseVec) {
    let mask = (1u64 << bits) - 1;
    let text = cap(input.folded, MAX_FEATURE_BYTES);
    v.idx.clear();
    v.val.clear();
    let room = room(text, input.signals.len());
    v.idx.reserve(room);
    v.val.reserve(room);
    byte_ngrams(text, mask, v);
    words(text, mask, v, None);
    after_words(text, mask, input.signals, structural, v);
}

/// Everything after the words: signals, structure, bias.
fn after_words(text: &str, mask: u64, signals: &[&str], structural: bool, v: &mut SparseVec) {
    let push_signal = |name: &str, value: f32, v: &mut SparseVec| {
        v.push(
            (hash_bytes(SEED_SIGNAL, name.as_bytes()) & mask) as u32,
            value,
        );
    };
    for s in signals {
        push_signal(s, 1.0, v);
    }
    if structural {
        for (name, value) in structure::measure(text) {
            push_signal(name, value, v);
        }
    }
    push_signal("bias_term", 1.0, v);
}

/// A text's features half made: its byte n-grams, kept so that each of
/// its segments (lines, sentences) can take its own from them instead of
/// hashing its bytes a second time. Segments cover most of a long text,
/// so that hashing was most of what scoring them cost.
///
/// A segment's n-grams are the text's wherever the segment stands between
/// white space in the collapsed buffer, as lines and sentences do; a
/// segment glued to its neighbours (`|cell|`, `句。句`) is extracted afresh.
/// Either way [`Extraction::segment_into`] gives what
/// [`extract_plain_into`] gives for the segment alone.
#[derive(Debug)]
pub struct Extraction<'a> {
    text: &'a str,
    mask: u64,
    /// The collapsed buffer the n-grams were taken over.
    buf: Vec<u8>,
    /// Offsets in `text` of the white-space bytes the buffer dropped.
    dropped: Vec<u32>,
    /// Byte range in `text` of each word, in order.
    word_spans: Vec<(u32, u32)>,
    /// Where the word features begin in `v`.
    word_base: usize,
    v: SparseVec,
}

impl<'a> Extraction<'a> {
    /// Takes the byte n-grams of `folded` (capped as [`extract`] caps it).
    pub fn start(folded: &'a str, bits: u32) -> Self {
        let mask = (1u64 << bits) - 1;
        let text = cap(folded, MAX_FEATURE_BYTES);
        let mut v = SparseVec::default();
        // Signals are not known yet: a few dozen is more than any text has.
        let room = room(text, 32);
        v.idx.reserve(room);
        v.val.reserve(room);
        let (buf, dropped) = ngram_buffer_and_drops(text);
        push_ngrams(&buf, mask, &mut v);
        let word_base = v.len();
        let mut word_spans = Vec::new();
        words(text, mask, &mut v, Some(&mut word_spans));
        Extraction {
            text,
            mask,
            buf,
            dropped,
            word_spans,
            word_base,
            v,
        }
    }

    /// The features [`extract_plain_into`] gives for `seg` with `signals`,
    /// into `out`; `seg` is expected at byte `at` of the text, and is
    /// extracted afresh when it is not there.
    pub fn segment_into(&self, at: usize, seg: &str, signals: &[&str], out: &mut SparseVec) {
        let shared = self
            .segment_ngrams(at, seg)
            .zip(self.segment_words(at, at + seg.len()));
        let Some(((ngrams, last), words)) = shared else {
            let bits = self.mask.count_ones();
            fill(
                &ModelInput {
                    folded: seg,
                    signals,
                },
                bits,
                false,
                out,
            );
            return;
        };
        let seg = cap(seg, MAX_FEATURE_BYTES);
        out.idx.clear();
        out.val.clear();
        let room = room(seg, signals.len());
        out.idx.reserve(room);
        out.val.reserve(room);
        out.idx.extend_from_slice(ngrams);
        tail_ngrams(last, self.mask, &mut out.idx);
        scale_from(out, 0);
        let start = out.len();
        out.idx.extend_from_slice(words.0);
        out.idx.extend_from_slice(words.1);
        scale_from(out, start);
        after_words(seg, self.mask, signals, false, out);
    }

    /// The word features of the text's words in `at..end`, as the segment
    /// alone gives them: the first word's unigram, then each later word's
    /// unigram and bigram with the word before it (two slices of the
    /// text's). `None` when a word of the text runs across either end.
    fn segment_words(&self, at: usize, end: usize) -> Option<(&[u32], &[u32])> {
        let spans = &self.word_spans;
        let first = spans.partition_point(|&(s, _)| (s as usize) < at);
        let past = spans.partition_point(|&(s, _)| (s as usize) < end);
        // A word that starts before the segment must end before it, and the
        // last word that starts inside it must end inside it.
        if first > 0 && spans[first - 1].1 as usize > at {
            return None;
        }
        if past > first && spans[past - 1].1 as usize > end {
            return None;
        }
        if past == first {
            return Some((&[], &[]));
        }
        // Word k's unigram sits at `base` for k = 0 and `base + 2k - 1`
        // after, each followed by its bigram with word k + 1's unigram.
        // The segment skips its first word's bigram with the word before.
        let base = self.word_base;
        let unigram = if first == 0 {
            base
        } else {
            base + 2 * first - 1
        };
        let head = self.v.idx.get(unigram..unigram + 1)?;
        let rest = self
            .v
            .idx
            .get(base + 2 * first + 1..base + 2 * (past - 1) + 1)?;
        Some((head, rest))
    }

    /// The text's full-window n-gram indices that are the segment's, and
    /// the segment buffer's last four bytes (where not every n-gram fits);
    /// `None` where the segment's buffer is not a piece of the text's.
    fn segment_ngrams(&self, at: usize, seg: &str) -> Option<(&[u32], &[u8])> {
        let end = at.checked_add(seg.len())?;
        if self.text.get(at..end)? != seg {
            return None;
        }
        let (first, last) = (*seg.as_bytes().first()?, *seg.as_bytes().last()?);
        if first.is_ascii_whitespace() || last.is_ascii_whitespace() {
            return None;
        }
        // Buffer position of a byte the buffer kept: one leading space, less
        // the white space dropped before it.
        let pos = |i: usize| {
            let before = self.dropped.partition_point(|&d| (d as usize) < i);
            1 + i - before
        };
        let (bs, be) = (pos(at), pos(end - 1) + 1);
        if self.buf.get(bs - 1) != Some(&b' ') || self.buf.get(be) != Some(&b' ') {
            return None;
        }
        // The segment's own buffer is `buf[bs - 1..=be]`: `m` bytes, whose
        // windows of five start at `bs - 1 .. be - 3` in the text's, three
        // indices each.
        let m = be - bs + 2;
        if m < 5 {
            return None;
        }
        let idx = self.v.idx.get(3 * (bs - 1)..3 * (be - 3))?;
        Some((idx, self.buf.get(be - 3..=be)?))
    }

    /// The text's features with `signals` (and the structure measures when
    /// `structural`): what [`extract`] gives.
    pub fn finish(mut self, signals: &[&str], structural: bool) -> SparseVec {
        after_words(self.text, self.mask, signals, structural, &mut self.v);
        self.v
    }
}

/// The first `max` bytes of `text`, cut at a character boundary.
pub(crate) fn cap(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Byte 3-, 4- and 5-grams over the text with runs of white space collapsed
/// and a space at both ends (so word starts and ends are features).
fn byte_ngrams(text: &str, mask: u64, v: &mut SparseVec) {
    push_ngrams(&ngram_buffer_and_drops(text).0, mask, v);
}

/// The n-grams of a collapsed buffer, scaled.
fn push_ngrams(buf: &[u8], mask: u64, v: &mut SparseVec) {
    let start = v.len();
    // The three n-grams at a position share their first three bytes'
    // hash; where all three fit, they go in with one `extend` (the
    // per-index `push` and its bounds checks were a third of the time).
    let step = |h: u64, b: u8| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    let index = |h: u64, k: u64| (mix(h ^ k) & mask) as u32;
    let whole = buf.len().saturating_sub(4);
    for w in buf.windows(5) {
        let h3 = step(step(step(FNV_OFFSET ^ SEED_NGRAM, w[0]), w[1]), w[2]);
        let h4 = step(h3, w[3]);
        let h5 = step(h4, w[4]);
        v.idx
            .extend_from_slice(&[index(h3, 2), index(h4, 3), index(h5, 4)]);
    }
    tail_ngrams(&buf[whole..], mask, &mut v.idx);
    scale_from(v, start);
}

/// The n-grams of a buffer's last four positions, where not every n-gram
/// fits (`last` is at most four bytes: the buffer's end).
fn tail_ngrams(last: &[u8], mask: u64, idx: &mut Vec<u32>) {
    for i in 0..last.len() {
        let mut h = FNV_OFFSET ^ SEED_NGRAM;
        for (k, &b) in last[i..].iter().take(5).enumerate() {
            h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
            if k >= 2 {
                idx.push((mix(h ^ k as u64) & mask) as u32);
            }
        }
    }
}

/// The text with runs of white space collapsed to one space and a space
/// at both ends: what byte n-grams are taken over; and the offsets of the
/// white-space bytes it dropped, so that a byte's place in it can be found.
fn ngram_buffer_and_drops(text: &str) -> (Vec<u8>, Vec<u32>) {
    let mut buf: Vec<u8> = Vec::with_capacity(text.len() + 2);
    let mut dropped = Vec::new();
    buf.push(b' ');
    let mut last_space = true;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        let space = b.is_ascii_whitespace();
        if space && last_space {
            dropped.push(i as u32);
            continue;
        }
        buf.push(if space { b' ' } else { b });
        last_space = space;
    }
    if !last_space {
        buf.push(b' ');
    }
    (buf, dropped)
}

/// A CJK character (Han, kana, Hangul): the features count each as a word.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// One word's unigram, and its bigram with the word before it.
fn word(w: &str, mask: u64, prev: &mut Option<u64>, v: &mut SparseVec) {
    let h = hash_bytes(SEED_WORD, w.as_bytes());
    v.idx.push((h & mask) as u32);
    if let Some(p) = *prev {
        v.idx
            .push((mix(p.rotate_left(17) ^ h ^ SEED_BIGRAM) & mask) as u32);
    }
    *prev = Some(h);
}

/// Word unigrams and bigrams. A CJK character is a word of its own, so
/// bigrams of CJK characters approximate Chinese words without a segmenter.
/// With `spans`, each word's byte range is recorded too.
fn words(text: &str, mask: u64, v: &mut SparseVec, mut spans: Option<&mut Vec<(u32, u32)>>) {
    let start = v.len();
    let mut prev: Option<u64> = None;
    let mut word_start: Option<usize> = None;
    let mut emit = |s: usize, e: usize, prev: &mut Option<u64>, v: &mut SparseVec| {
        if let Some(spans) = spans.as_deref_mut() {
            spans.push((s as u32, e as u32));
        }
        word(&text[s..e], mask, prev, v)
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // ASCII is most text and needs no decoding; its word characters
        // are letters, digits, `_` and `'`, as `char::is_alphanumeric`
        // says for them.
        if b.is_ascii() {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'\'' {
                word_start.get_or_insert(i);
            } else if let Some(s) = word_start.take() {
                emit(s, i, &mut prev, v);
            }
            i += 1;
            continue;
        }
        let Some(c) = text.get(i..).and_then(|r| r.chars().next()) else {
            break;
        };
        let len = c.len_utf8();
        if is_cjk(c) {
            if let Some(s) = word_start.take() {
                emit(s, i, &mut prev, v);
            }
            emit(i, i + len, &mut prev, v);
        } else if c.is_alphanumeric() {
            word_start.get_or_insert(i);
        } else if let Some(s) = word_start.take() {
            emit(s, i, &mut prev, v);
        }
        i += len;
    }
    if let Some(s) = word_start {
        emit(s, text.len(), &mut prev, v);
    }
    scale_from(v, start);
}

/// Gives every index pushed since `start` the value 1/sqrt(n).
fn scale_from(v: &mut SparseVec, start: usize) {
    let n = v.idx.len() - start;
    let w = if n == 0 { 0.0 } else { 1.0 / (n as f32).sqrt() };
    v.val.resize(v.idx.len(), w);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh one-step extraction, with or without the structure measures.
    fn extract_with(input: &ModelInput<'_>, bits: u32, structural: bool) -> SparseVec {
        let mut v = SparseVec::default();
        fill(input, bits, structural, &mut v);
        v
    }

    fn feats(t: &str) -> SparseVec {
        extract(
            &ModelInput {
                folded: t,
                signals: &["kind=prompt"],
            },
            18,
        )
    }

    #[test]
    fn indices_stay_in_range_and_values_match() {
        let v = feats("ignore previous instructions 请忽略之前的指令");
        assert_eq!(v.idx.len(), v.val.len());
        assert!(v.idx.iter().all(|&i| i < (1 << 18)));
        assert!(v.val.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn extraction_is_deterministic_and_text_sensitive() {
        assert_eq!(feats("hello world"), feats("hello world"));
        assert_ne!(feats("hello world"), feats("hello there"));
    }

    #[test]
    fn empty_text_still_has_signals() {
        let v = feats("");
        assert!(!v.is_empty());
    }

    #[test]
    fn cjk_characters_are_words() {
        // Two CJK characters give two unigrams and one bigram, plus n-grams.
        let v = feats("你好");
        assert!(v.len() > 3);
    }

    #[test]
    fn cap_keeps_char_boundaries() {
        let s = "ab你好";
        assert_eq!(cap(s, 4), "ab");
        assert_eq!(cap(s, 100), s);
    }

    // The loops before the faster ones (feature version 3): the model's
    // weights were trained on exactly their output.
    fn byte_ngrams_reference(text: &str, mask: u64, v: &mut SparseVec) {
        let buf = ngram_buffer_and_drops(text).0;
        let start = v.len();
        for i in 0..buf.len() {
            let mut h = FNV_OFFSET ^ SEED_NGRAM;
            for (k, &b) in buf[i..].iter().take(5).enumerate() {
                h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
                if k >= 2 {
                    v.idx.push((mix(h ^ k as u64) & mask) as u32);
                }
            }
        }
        scale_from(v, start);
    }

    fn words_reference(text: &str, mask: u64, v: &mut SparseVec) {
        let start = v.len();
        let mut prev: Option<u64> = None;
        let mut word_start: Option<usize> = None;
        let emit = |w: &str, prev: &mut Option<u64>, v: &mut SparseVec| word(w, mask, prev, v);
        for (i, c) in text.char_indices() {
            if is_cjk(c) {
                if let Some(s) = word_start.take() {
                    emit(&text[s..i], &mut prev, v);
                }
                emit(&text[i..i + c.len_utf8()], &mut prev, v);
            } else if c.is_alphanumeric() || c == '_' || c == '\'' {
                word_start.get_or_insert(i);
            } else if let Some(s) = word_start.take() {
                emit(&text[s..i], &mut prev, v);
            }
        }
        if let Some(s) = word_start {
            emit(&text[s..], &mut prev, v);
        }
        scale_from(v, start);
    }

    fn reference(text: &str) -> SparseVec {
        let mut v = SparseVec::default();
        byte_ngrams_reference(text, (1 << 17) - 1, &mut v);
        words_reference(text, (1 << 17) - 1, &mut v);
        v
    }

    fn current(text: &str) -> SparseVec {
        let mut v = SparseVec::default();
        byte_ngrams(text, (1 << 17) - 1, &mut v);
        words(text, (1 << 17) - 1, &mut v, None);
        v
    }

    #[test]
    fn faster_loops_give_the_reference_features() {
        for t in [
            "",
            "a",
            "ab",
            "abcd",
            "  ignore   previous\tinstructions\n",
            "请忽略之前的指令 and don't_stop 123",
            "é naïve café Ünïcödé ok",
            "x\u{200b}y \u{1F600} z",
        ] {
            assert_eq!(current(t), reference(t), "{t:?}");
        }
    }

    #[test]
    fn filling_a_used_vector_gives_a_fresh_extraction() {
        let input = |folded| ModelInput {
            folded,
            signals: &["segment"],
        };
        let mut reused = SparseVec::default();
        for t in ["a much longer first segment, with words", "短一点", ""] {
            extract_plain_into(&input(t), 17, &mut reused);
            assert_eq!(reused, extract_with(&input(t), 17, false), "{t:?}");
        }
    }

    /// Every segment of `text` through the shared n-grams, against the
    /// segment extracted alone.
    fn segments_agree(text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let ex = Extraction::start(text, 17);
        let mut shared = SparseVec::default();
        for (a, b) in crate::segment::segments(text) {
            let seg = &text[a..b];
            ex.segment_into(a, seg, &["segment"], &mut shared);
            let input = ModelInput {
                folded: seg,
                signals: &["segment"],
            };
            proptest::prop_assert_eq!(&shared, &extract_with(&input, 17, false), "{:?}", seg);
        }
        Ok(())
    }

    #[test]
    fn segments_take_their_ngrams_from_the_text() {
        let t = "First line of the table here.\n| cell one is long enough | another long cell |\n\
                 句子一号很长很长很长很长很长。句子二号很长很长很长很长很长。  Spaces   inside   this one!  Last words at the very end";
        segments_agree(t).expect("agree");
        let ex = Extraction::start(t, 17);
        let (a, b) = crate::segment::segments(t)[0];
        assert!(ex.segment_ngrams(a, &t[a..b]).is_some(), "a line is shared");
        let segs = crate::segment::segments(t);
        let shared = segs
            .iter()
            .filter(|&&(a, b)| {
                ex.segment_ngrams(a, &t[a..b]).is_some() && ex.segment_words(a, b).is_some()
            })
            .count();
        assert!(
            shared >= 4,
            "most segments share: {shared} of {}",
            segs.len()
        );
        // Not where the caller says: extracted afresh, still right.
        let mut out = SparseVec::default();
        ex.segment_into(3, "First line", &["segment"], &mut out);
        let alone = extract_with(
            &ModelInput {
                folded: "First line",
                signals: &["segment"],
            },
            17,
            false,
        );
        assert_eq!(out, alone);
    }

    proptest::proptest! {
        #[test]
        fn shared_segment_ngrams_equal_a_fresh_extraction(
            t in "[ a-z.?!;|\n\t\u{3000}\u{000B}\u{000C}。！？你好忽略指令é]{0,200}"
        ) {
            segments_agree(&t)?;
        }

        #[test]
        fn shared_segment_ngrams_equal_a_fresh_extraction_on_any_text(t in "\\PC{0,200}") {
            segments_agree(&t)?;
        }

        #[test]
        fn extraction_in_two_steps_is_the_one_step_fill(t in "\\PC{0,120}") {
            let input = ModelInput { folded: &t, signals: &["kind=prompt", "rule=x"] };
            let two_steps = Extraction::start(&t, 17).finish(input.signals, true);
            proptest::prop_assert_eq!(two_steps, extract(&input, 17));
        }

        #[test]
        fn faster_loops_match_the_reference_on_any_text(t in "\\PC{0,80}") {
            proptest::prop_assert_eq!(current(&t), reference(&t));
        }

        #[test]
        fn faster_loops_match_the_reference_on_ascii_and_cjk(t in "[ a-z0-9_'.\\n\\t你好忽略指令é]{0,60}") {
            proptest::prop_assert_eq!(current(&t), reference(&t));
        }
    }
}
