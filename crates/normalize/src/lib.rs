//! Text normalisation that runs before every Palisade detector.
//!
//! # Why
//!
//! Attackers hide instructions from pattern matchers while keeping them
//! readable to a language model: zero-width characters inside keywords
//! ("Ig\u{200B}nore"), Unicode tag characters that carry invisible ASCII,
//! bidi overrides, homoglyphs from other scripts ("ignоre" with a Cyrillic
//! `о`), fullwidth or mathematical letters, terminal escapes, padding that
//! pushes text out of view, leetspeak, and encodings such as base64.
//! [`Normalizer::normalize`] undoes these so the rules and the classifier
//! see what the model will understand, and records every step that fired as
//! a [`NormalizationNote`]: the hiding is itself evidence.
//!
//! # What comes out
//!
//! - [`Normalized::text`]: ANSI escapes and hidden characters removed, NFKC,
//!   whitespace padding collapsed, homoglyphs folded inside mixed-script
//!   words. Case is kept. Byte ranges map back to the caller's input with
//!   [`Normalized::original_span`], so findings are reported and masked in
//!   the text the caller has.
//! - [`Normalized::folded`]: `text` lower-cased with leetspeak undone and
//!   words spelled out letter by letter ("m e t h") joined. Lossy and
//!   unmapped: it is a second view for matching only.
//! - [`Normalized::decoded`]: encoded segments (base64, hex, URL escapes,
//!   announced ROT13, tag-character payloads) decoded, each with the input
//!   span it came from. They are never spliced into `text`, because a
//!   decoding guess may be wrong and `text` must stay mappable.
//!
//! # Order of the steps
//!
//! Escapes and hidden characters go first, so NFKC sees the characters as
//! displayed (a zero-width space between a letter and a combining mark must
//! not keep them apart). Homoglyphs are folded after NFKC, which already
//! maps fullwidth, mathematical, circled and similar compatibility letters
//! to ASCII (counted as `nfkc`). The result is idempotent: normalising
//! `text` again changes nothing.
//!
//! # Cost
//!
//! This is on the latency-critical path of every request. Plain ASCII with
//! nothing to do (the common case) is detected in one pass and copied, with
//! an identity offset map that allocates nothing. Otherwise the work is a
//! few linear passes; anything that copies or allocates per character only
//! happens where the text actually changes. Decoding is bounded by
//! [`Limits`] so hostile input cannot make it expensive, and no input can
//! make normalisation panic.

mod confusables;
mod decode;
mod gates;
mod hidden;
mod leet;
mod map;
mod rewrite;
mod scan;
mod scrub;
mod spelled;
mod wordplay;

pub use palisade_core::{NormalizationNote, Span};

use map::OffsetMap;

/// The step names used in [`NormalizationNote::step`].
pub mod step {
    /// Terminal escape sequences stripped (count: sequences).
    pub const ANSI: &str = "ansi";
    /// Zero-width and other invisible characters removed (count: characters).
    pub const INVISIBLE: &str = "invisible";
    /// Bidirectional controls removed (count: characters).
    pub const BIDI: &str = "bidi";
    /// Unicode tag characters removed and decoded (count: characters).
    pub const TAG_CHARS: &str = "tag_chars";
    /// Bytes hidden in a run of variation selectors behind an emoji
    /// decoded (count: runs).
    pub const VARIATION_SELECTORS: &str = "variation_selectors";
    /// NFKC changed the text (count: changed segments, roughly characters).
    pub const NFKC: &str = "nfkc";
    /// Whitespace padding collapsed (count: runs).
    pub const WHITESPACE_PADDING: &str = "whitespace_padding";
    /// Homoglyphs folded to ASCII (count: characters).
    pub const CONFUSABLES: &str = "confusables";
    /// Combining marks piled on Latin letters stripped (count: marks).
    pub const COMBINING_MARKS: &str = "combining_marks";
    /// Leetspeak folded in `folded` (count: tokens).
    pub const LEETSPEAK: &str = "leetspeak";
    /// Base64 segments decoded (count: segments).
    pub const BASE64: &str = "base64";
    /// Hex dumps decoded (count: segments).
    pub const HEX: &str = "hex";
    /// URL percent-encoded segments decoded (count: segments).
    pub const URL: &str = "url";
    /// Announced ROT13 segments decoded (count: segments).
    pub const ROT13: &str = "rot13";
    /// Base32 segments decoded (count: segments).
    pub const BASE32: &str = "base32";
    /// Morse code decoded (count: segments).
    pub const MORSE: &str = "morse";
    /// Bytes written in binary digits decoded (count: segments).
    pub const BINARY: &str = "binary";
    /// Braille cells read as letters (count: segments).
    pub const BRAILLE: &str = "braille";
    /// NATO spelling-alphabet words read as letters (count: segments).
    pub const NATO: &str = "nato";
    /// Lines written backwards read forwards (count: lines).
    pub const REVERSED: &str = "reversed";
    /// Pig Latin read back (count: lines).
    pub const PIG_LATIN: &str = "pig_latin";
    /// Lines turned upside down read right way up (count: lines).
    pub const UPSIDE_DOWN: &str = "upside_down";
    /// Sentences run together in camelCase read as words (count: tokens).
    pub const CAMEL_CASE: &str = "camel_case";
}

/// Which normalisation steps run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    /// Strip terminal escape sequences (ESC `[` … and friends).
    pub ansi: bool,
    /// Remove zero-width characters, bidi controls and tag characters, and
    /// decode the ASCII that tag characters carry.
    pub invisible: bool,
    /// Apply Unicode NFKC.
    pub nfkc: bool,
    /// Collapse whitespace runs used as padding.
    pub whitespace_padding: bool,
    /// Fold homoglyphs of Latin letters in mixed-script words.
    pub confusables: bool,
    /// Strip combining marks piled on Latin letters (zalgo, strike-through).
    pub combining_marks: bool,
    /// Fold leetspeak in [`Normalized::folded`].
    pub leetspeak: bool,
    /// Decode base64 segments.
    pub base64: bool,
    /// Decode hex dumps.
    pub hex: bool,
    /// Decode URL percent-encoding.
    pub url: bool,
    /// Decode ROT13 where the text announces it.
    pub rot13: bool,
    /// Decode base32 segments.
    pub base32: bool,
    /// Read text spelled in Morse code, binary digits, Braille cells or
    /// the NATO spelling alphabet, written backwards or upside down, in Pig
    /// Latin or run together in camelCase.
    pub spelled: bool,
}

impl Steps {
    /// Every step on.
    pub const ALL: Steps = Steps {
        ansi: true,
        invisible: true,
        nfkc: true,
        whitespace_padding: true,
        confusables: true,
        combining_marks: true,
        leetspeak: true,
        base64: true,
        hex: true,
        url: true,
        rot13: true,
        base32: true,
        spelled: true,
    };

    /// Every step off: `text` is the input and `folded` its lower case.
    pub const NONE: Steps = Steps {
        ansi: false,
        invisible: false,
        nfkc: false,
        whitespace_padding: false,
        confusables: false,
        combining_marks: false,
        leetspeak: false,
        base64: false,
        hex: false,
        url: false,
        rot13: false,
        base32: false,
        spelled: false,
    };
}

impl Default for Steps {
    fn default() -> Self {
        Steps::ALL
    }
}

/// Bounds that keep hostile input cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of decoded text in total, over all segments and depths.
    pub max_decoded_bytes: usize,
    /// Most decoded segments in total.
    pub max_decoded_segments: usize,
    /// How deep decoding recurses: 1 decodes what is in the text, 2 also
    /// what is inside a decoded segment, 0 disables decoding (tag-character
    /// payloads included).
    pub max_decode_depth: usize,
    /// A whitespace run of at least this many characters may be padding
    /// (see [`Normalized::text`]); values below 2 count as 2.
    pub padding_run: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decoded_bytes: 64 * 1024,
            max_decoded_segments: 32,
            max_decode_depth: 2,
            padding_run: 20,
        }
    }
}

/// Normalises text for detection. Cheap to construct and to share; holds
/// configuration only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Normalizer {
    /// Which steps run (default: all).
    pub steps: Steps,
    /// Bounds on decoding and the padding threshold.
    pub limits: Limits,
}

/// An encoded segment that was decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// `base64`, `hex`, `url`, `rot13`, `base32`, `morse`, `binary`,
    /// `braille`, `nato`, `reversed`, `pig_latin`, `upside_down`, `camel_case`,
    /// `tag_chars` or `variation_selectors`.
    pub encoding: &'static str,
    /// Where the segment is in the original input. A segment found inside
    /// another decoded segment reports its parent's span.
    pub span: Span,
    /// The decoded text, as decoded (not normalised).
    pub text: String,
    /// 1 for a segment of the input, 2 for one inside a decoded segment, …
    pub depth: usize,
    /// Where the encoded run is in [`Normalized::text`], for a segment of
    /// the text itself (depth 1, not tag characters, which `text` no longer
    /// holds); lets a reader put the decoded text in its place.
    pub text_span: Option<Span>,
}

/// The result of [`Normalizer::normalize`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The input with terminal escapes and invisible, bidi and tag
    /// characters removed, in NFKC, with padding collapsed and homoglyphs
    /// folded in mixed-script words; case kept. Detectors run on this.
    ///
    /// A zero-width character is replaced by nothing, also between words:
    /// "Ignore\u{200B}prior" becomes "Ignoreprior", which is what a reader
    /// sees and what the model's tokenizer gets once the character is gone.
    /// Padding is a whitespace run of at least [`Limits::padding_run`]
    /// characters that holds a horizontal gap of that length inside a line,
    /// half that many line breaks, or an indentation four times that deep;
    /// it becomes one space, or one newline if it held a line break.
    /// Ordinary indentation and a few blank lines stay.
    pub text: String,
    /// `text` lower-cased with leetspeak folded inside tokens that mix
    /// letters with leet digits or symbols ("1gn0r3 pr3v10us" → "ignore
    /// previous"; "version 2.0", "2024", "gpt4" untouched), and words
    /// spelled out one letter at a time joined ("b.o.m.b" → "bomb"; no
    /// note, since four one-letter words may be a list). Not mapped back
    /// to the input; lengths differ.
    pub folded: String,
    /// Embedded encoded segments that were decoded, by input position; each
    /// should be inspected like the text.
    pub decoded: Vec<Decoded>,
    /// Every step that fired, with how much it changed, in pipeline order.
    pub notes: Vec<NormalizationNote>,
    map: OffsetMap,
}

impl Normalized {
    /// Maps a byte range of [`Normalized::text`] back to a byte range of
    /// the original input.
    ///
    /// Untouched stretches map byte for byte. A changed character (NFKC
    /// expansion, folded homoglyph, collapsed padding) maps to the whole
    /// input range it came from, so a range never cuts one. Removed
    /// characters inside the range are included; those just outside are
    /// not. The range is first clamped to `text` and widened to its char
    /// boundaries; the result is always within the input and on its char
    /// boundaries. An empty range maps to an empty range.
    pub fn original_span(&self, span: Span) -> Span {
        let len = self.text.len();
        let mut start = span.start.min(len);
        let mut end = span.end.clamp(start, len);
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        let (start, end) = self.map.map(start, end);
        Span { start, end }
    }

    /// True when any step fired (including a decoder that found something).
    pub fn changed(&self) -> bool {
        !self.notes.is_empty()
    }

    /// How much the named step (see [`step`]) changed, if it fired.
    pub fn count(&self, step: &str) -> Option<usize> {
        self.notes.iter().find(|n| n.step == step).map(|n| n.count)
    }

    /// Every text a detector should inspect: `text`, then `folded` when it
    /// differs from `text` by more than case, then each decoded segment.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let folded = (self.count(step::LEETSPEAK).is_some()).then_some(self.folded.as_str());
        std::iter::once(self.text.as_str())
            .chain(folded)
            .chain(self.decoded.iter().map(|d| d.text.as_str()))
    }
}

/// Per-step counters, in note order.
#[derive(Default)]
struct Counts {
    ansi: usize,
    invisible: usize,
    bidi: usize,
    tag_chars: usize,
    variation_selectors: usize,
    nfkc: usize,
    whitespace_padding: usize,
    confusables: usize,
    combining_marks: usize,
    leetspeak: usize,
    /// Segments decoded, per step of [`DECODED`].
    decoded: [usize; DECODED.len()],
}

/// The decoders' steps, in note order: a decoded segment's `encoding` is
/// one of them.
const DECODED: [&str; 13] = [
    step::BASE64,
    step::HEX,
    step::URL,
    step::ROT13,
    step::BASE32,
    step::MORSE,
    step::BINARY,
    step::BRAILLE,
    step::NATO,
    step::REVERSED,
    step::PIG_LATIN,
    step::UPSIDE_DOWN,
    step::CAMEL_CASE,
];

impl Counts {
    fn text_changed(&self) -> bool {
        self.ansi
            + self.invisible
            + self.bidi
            + self.tag_chars
            + self.variation_selectors
            + self.nfkc
            + self.whitespace_padding
            + self.confusables
            + self.combining_marks
            > 0
    }

    fn record_decoded(&mut self, encoding: &str) {
        if let Some(n) = DECODED
            .iter()
            .position(|&s| s == encoding)
            .and_then(|i| self.decoded.get_mut(i))
        {
            *n += 1;
        }
    }

    fn into_notes(self) -> Vec<NormalizationNote> {
        [
            (step::ANSI, self.ansi),
            (step::INVISIBLE, self.invisible),
            (step::BIDI, self.bidi),
            (step::TAG_CHARS, self.tag_chars),
            (step::VARIATION_SELECTORS, self.variation_selectors),
            (step::NFKC, self.nfkc),
            (step::WHITESPACE_PADDING, self.whitespace_padding),
            (step::CONFUSABLES, self.confusables),
            (step::COMBINING_MARKS, self.combining_marks),
            (step::LEETSPEAK, self.leetspeak),
        ]
        .into_iter()
        .chain(DECODED.into_iter().zip(self.decoded))
        .filter(|&(_, count)| count > 0)
        .map(|(step, count)| NormalizationNote {
            step: step.to_string(),
            count,
        })
        .collect()
    }
}

impl Normalizer {
    /// A normaliser with every step on and default limits.
    pub fn new() -> Self {
        Normalizer::default()
    }

    fn padding_run(&self) -> Option<usize> {
        self.steps
            .whitespace_padding
            .then_some(self.limits.padding_run.max(2))
    }

    /// True when `input` is ASCII with nothing any step would change: no
    /// escape character and no whitespace run that could be padding.
    fn is_plain(&self, input: &str) -> bool {
        let bytes = input.as_bytes();
        if !input.is_ascii() || (self.steps.ansi && bytes.contains(&0x1B)) {
            return false;
        }
        let Some(threshold) = self.padding_run() else {
            return true;
        };
        // Look for `threshold` whitespace bytes in a row by checking windows
        // from their end and jumping past the last byte that breaks them:
        // in prose that is one comparison per window, not per byte.
        let mut i: usize = 0;
        while let Some(window) = bytes.get(i..i.saturating_add(threshold)) {
            // char::is_whitespace for ASCII (u8::is_ascii_whitespace lacks VT).
            match window
                .iter()
                .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C))
            {
                Some(k) => i += k + 1,
                None => return false,
            }
        }
        true
    }

    /// Normalises `input`. Never panics; work is linear in the input plus
    /// the bounded decoding.
    pub fn normalize(&self, input: &str) -> Normalized {
        let steps = &self.steps;
        let mut counts = Counts::default();
        let (text, map, tags) = if self.is_plain(input) {
            (
                input.to_owned(),
                OffsetMap::identity(input.len()),
                Vec::new(),
            )
        } else {
            self.rewrite(input, &mut counts)
        };

        let (folded, leet_tokens) = if steps.leetspeak {
            leet::fold(&text)
        } else {
            (leet::lowercase(&text), 0)
        };
        counts.leetspeak = leet_tokens;

        let mut normalized = Normalized {
            text,
            folded,
            decoded: Vec::new(),
            notes: Vec::new(),
            map,
        };
        normalized.decoded = self.decode(&normalized, tags, &mut counts);
        normalized.notes = counts.into_notes();
        normalized
    }

    /// The slow path: scrub, NFKC, fold and collapse, keeping the map.
    fn rewrite(
        &self,
        input: &str,
        counts: &mut Counts,
    ) -> (String, OffsetMap, Vec<scrub::TagPayload>) {
        let steps = &self.steps;
        let scrubbed = scrub::scrub(
            input,
            &scrub::ScrubOptions {
                ansi: steps.ansi,
                invisible: steps.invisible,
                nfkc: steps.nfkc,
                tag_payload_cap: self.limits.max_decoded_bytes,
            },
        );
        counts.ansi = scrubbed.counts.ansi;
        counts.invisible = scrubbed.counts.invisible;
        counts.bidi = scrubbed.counts.bidi;
        counts.tag_chars = scrubbed.counts.tag_chars;
        counts.variation_selectors = scrubbed.counts.variation_selectors;
        counts.nfkc = scrubbed.counts.nfkc;

        // Marks piled on letters go first, so that the homoglyphs of the
        // words under them are seen.
        let marks = if steps.combining_marks {
            rewrite::find_marks(&scrubbed.out.text)
        } else {
            rewrite::Rewrites::default()
        };
        counts.combining_marks = marks.marks;
        let first = if marks.edits.is_empty() {
            scrubbed.out
        } else {
            rewrite::apply(&scrubbed.out.text, &scrubbed.out.pieces, &marks.edits)
        };
        let found = rewrite::find(
            &first.text,
            &rewrite::RewriteOptions {
                confusables: steps.confusables,
                padding_run: self.padding_run(),
            },
        );
        counts.confusables = found.confusables;
        counts.whitespace_padding = found.padding;
        let out = if found.edits.is_empty() {
            first
        } else {
            rewrite::apply(&first.text, &first.pieces, &found.edits)
        };
        // Non-ASCII text that needed nothing (most non-English prompts)
        // keeps the allocation-free identity map. Hidden characters that
        // were benign are still removed, so compare the text too.
        let map = if !counts.text_changed() && out.text == input {
            OffsetMap::identity(input.len())
        } else {
            OffsetMap::from_pieces(out.pieces, input.len())
        };
        (out.text, map, scrubbed.tags)
    }

    /// Decodes tag payloads and encoded segments of `n.text`, recursing
    /// into decoded text up to the depth limit, within the budget.
    fn decode(
        &self,
        n: &Normalized,
        tags: Vec<scrub::TagPayload>,
        counts: &mut Counts,
    ) -> Vec<Decoded> {
        let limits = &self.limits;
        let steps = &self.steps;
        let mut out = Vec::new();
        if limits.max_decode_depth == 0 {
            return out;
        }
        let opts = decode::DecodeOptions {
            base64: steps.base64,
            hex: steps.hex,
            url: steps.url,
            rot13: steps.rot13,
            base32: steps.base32,
            spelled: steps.spelled,
        };
        let any_decoder =
            opts.base64 || opts.hex || opts.url || opts.rot13 || opts.base32 || opts.spelled;
        let mut budget = decode::Budget {
            bytes: limits.max_decoded_bytes,
            segments: limits.max_decoded_segments,
        };
        for tag in tags {
            if budget.take(&tag.text) {
                out.push(Decoded {
                    encoding: tag.encoding,
                    span: Span {
                        start: tag.start,
                        end: tag.end,
                    },
                    text: tag.text,
                    depth: 1,
                    text_span: None,
                });
            }
        }
        if any_decoder {
            for f in decode::scan(&n.text, &opts, &mut budget) {
                counts.record_decoded(f.encoding);
                out.push(Decoded {
                    encoding: f.encoding,
                    span: n.original_span(Span {
                        start: f.start,
                        end: f.end,
                    }),
                    text: f.text,
                    depth: 1,
                    text_span: Some(Span {
                        start: f.start,
                        end: f.end,
                    }),
                });
            }
            let mut level = 0..out.len();
            for depth in 2..=limits.max_decode_depth {
                let mut nested = Vec::new();
                for parent in out.get(level.clone()).unwrap_or_default() {
                    if budget.exhausted() {
                        break;
                    }
                    for f in decode::scan(&parent.text, &opts, &mut budget) {
                        counts.record_decoded(f.encoding);
                        nested.push(Decoded {
                            encoding: f.encoding,
                            span: parent.span,
                            text: f.text,
                            depth,
                            text_span: None,
                        });
                    }
                }
                if nested.is_empty() {
                    break;
                }
                level = out.len()..out.len() + nested.len();
                out.extend(nested);
            }
        }
        out.sort_by_key(|d| (d.span.start, d.depth));
        out
    }
}

#[cfg(test)]
mod tests;
