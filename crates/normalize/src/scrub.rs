//! First pass: strip terminal escapes and hidden characters, then NFKC.
//!
//! Hidden characters go first so that NFKC sees what is displayed: a
//! zero-width space between `e` and a combining acute would otherwise keep
//! them apart, and a second normalisation of the output would compose them
//! (breaking idempotence).
//!
//! NFKC runs per *segment*: a segment starts at a character that can never
//! interact with what precedes it (ASCII, or any starter whose NFKC quick
//! check is Yes — the quick check answers Maybe exactly for characters that
//! may compose with a predecessor) and extends over the following
//! characters that might. NFKC of the whole text is the concatenation of the
//! segments' NFKC, and each segment that changed maps back to its own input
//! range, which keeps `original_span` precise.

use crate::hidden::{self, Hidden};
use crate::map::Output;
use unicode_normalization::char::{canonical_combining_class, decompose_compatible};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Which parts of the pass run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScrubOptions {
    pub ansi: bool,
    pub invisible: bool,
    pub nfkc: bool,
    /// Most bytes of tag-character payload to keep.
    pub tag_payload_cap: usize,
}

/// How often each step fired.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ScrubCounts {
    pub ansi: usize,
    pub invisible: usize,
    pub bidi: usize,
    pub tag_chars: usize,
    pub variation_selectors: usize,
    pub nfkc: usize,
}

/// Text smuggled in a run of tag characters or of variation selectors, at
/// its input range.
#[derive(Debug, Clone)]
pub(crate) struct TagPayload {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// `tag_chars` or `variation_selectors`.
    pub encoding: &'static str,
}

pub(crate) struct Scrubbed {
    pub out: Output,
    pub counts: ScrubCounts,
    pub tags: Vec<TagPayload>,
}

/// True when `c` is a starter that never composes with a preceding
/// character (NFKC quick check Yes; Maybe marks exactly the characters that
/// may compose backwards).
#[inline]
fn is_stable_starter(c: char) -> bool {
    c.is_ascii()
        || (canonical_combining_class(c) == 0
            && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes)
}

/// True when nothing before `c` can change how `c` and what follows it
/// normalise: `c` is a stable starter, or its compatibility decomposition
/// begins with one (fullwidth and mathematical letters, ligatures), so each
/// such character maps back on its own.
#[inline]
fn starts_segment(c: char) -> bool {
    if is_stable_starter(c) {
        return true;
    }
    if canonical_combining_class(c) != 0 {
        return false;
    }
    let mut first = None;
    decompose_compatible(c, |d| {
        first.get_or_insert(d);
    });
    first.is_some_and(|d| d != c && is_stable_starter(d))
}

/// The characters of the NFKC segment being collected, with the input range
/// of each (they need not be contiguous: hidden characters between them were
/// dropped). Buffers are reused across segments.
#[derive(Default)]
struct Segment {
    buf: String,
    ranges: Vec<(usize, usize)>,
    /// The first character starts a segment (only the very first segment
    /// of a text may not).
    anchored: bool,
}

impl Segment {
    fn start(&mut self, c: char, in_start: usize, in_end: usize, anchored: bool) {
        self.buf.push(c);
        self.ranges.push((in_start, in_end));
        self.anchored = anchored;
    }

    fn push(&mut self, c: char, in_start: usize, in_end: usize) {
        self.buf.push(c);
        self.ranges.push((in_start, in_end));
    }

    #[inline]
    fn flush(&mut self, out: &mut Output, counts: &mut ScrubCounts, opts: &ScrubOptions) {
        if !self.ranges.is_empty() {
            self.flush_slow(out, counts, opts);
        }
    }

    fn flush_slow(&mut self, out: &mut Output, counts: &mut ScrubCounts, opts: &ScrubOptions) {
        let (Some(&(first, _)), Some(&(_, last))) = (self.ranges.first(), self.ranges.last())
        else {
            return;
        };
        let unchanged = (self.ranges.len() == 1 && self.anchored && self.buf.is_ascii())
            || !opts.nfkc
            || is_nfkc_quick(self.buf.chars()) == IsNormalized::Yes;
        let normalized = if unchanged {
            None
        } else {
            let n: String = self.buf.nfkc().collect();
            (n != self.buf).then_some(n)
        };
        match normalized {
            None => {
                for ((offset, c), &(in_start, _)) in self.buf.char_indices().zip(&self.ranges) {
                    if let Some(s) = self.buf.get(offset..offset + c.len_utf8()) {
                        out.push_exact(s, in_start);
                    }
                }
            }
            Some(n) => {
                counts.nfkc += 1;
                // NFKC can produce a hidden character from a visible one
                // (U+FFA0 and U+3164 become U+1160); both are removed before
                // NFKC already, this is the safety net.
                let filtered: String = if opts.invisible {
                    n.chars()
                        .filter(|&c| {
                            let hidden = hidden::classify(c).is_some();
                            if hidden {
                                counts.invisible += 1;
                            }
                            !hidden
                        })
                        .collect()
                } else {
                    n
                };
                out.push_replaced(&filtered, first, last);
            }
        }
        self.buf.clear();
        self.ranges.clear();
    }
}

/// A run of tag characters being collected.
struct TagRun {
    start: usize,
    end: usize,
    count: usize,
    payload: String,
    /// The run follows U+1F3F4 WAVING BLACK FLAG (emoji subdivision flags).
    after_black_flag: bool,
    /// The last tag character was CANCEL TAG (U+E007F).
    cancelled: bool,
}

#[inline]
fn finish_tag_run(run: &mut Option<TagRun>, counts: &mut ScrubCounts, tags: &mut Vec<TagPayload>) {
    if run.is_some() {
        finish_tag_run_slow(run, counts, tags);
    }
}

fn finish_tag_run_slow(
    run: &mut Option<TagRun>,
    counts: &mut ScrubCounts,
    tags: &mut Vec<TagPayload>,
) {
    let Some(run) = run.take() else {
        return;
    };
    // Subdivision flags (🏴 + "gbeng" + cancel) are the one legitimate use of
    // tag characters; they are removed but are not evidence.
    let emoji_flag = run.after_black_flag
        && run.cancelled
        && (1..=7).contains(&run.payload.len())
        && run
            .payload
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if emoji_flag {
        return;
    }
    counts.tag_chars += run.count;
    if !run.payload.trim().is_empty() {
        tags.push(TagPayload {
            start: run.start,
            end: run.end,
            text: run.payload,
            encoding: crate::step::TAG_CHARS,
        });
    }
}

/// A run of variation selectors being collected. An emoji or a CJK
/// character takes one; two or more in a row carry bytes, one each
/// (U+FE00–U+FE0F are 0–15, U+E0100–U+E01EF are 16–255): the "emoji
/// smuggling" of red-team suites, text hidden behind one visible emoji.
struct SelectorRun {
    start: usize,
    end: usize,
    bytes: Vec<u8>,
    /// The first selector was benign where it stood (after an emoji).
    first_benign: bool,
}

/// The byte a variation selector stands for, if `c` is one.
fn selector_byte(c: char) -> Option<u8> {
    let code = u32::from(c);
    match code {
        0xFE00..=0xFE0F => u8::try_from(code - 0xFE00).ok(),
        0xE0100..=0xE01EF => u8::try_from(code - 0xE0100 + 16).ok(),
        _ => None,
    }
}

#[inline]
fn finish_runs(
    tag_run: &mut Option<TagRun>,
    selectors: &mut Option<SelectorRun>,
    counts: &mut ScrubCounts,
    tags: &mut Vec<TagPayload>,
) {
    finish_tag_run(tag_run, counts, tags);
    if selectors.is_some() {
        finish_selector_run(selectors, counts, tags);
    }
}

fn finish_selector_run(
    run: &mut Option<SelectorRun>,
    counts: &mut ScrubCounts,
    tags: &mut Vec<TagPayload>,
) {
    let Some(run) = run.take() else {
        return;
    };
    if run.bytes.len() < 2 {
        // One selector: an emoji's own, counted (or not) where it stood.
        counts.invisible += usize::from(!run.first_benign);
        return;
    }
    counts.invisible += run.bytes.len();
    counts.variation_selectors += 1;
    if let Some(text) = crate::decode::as_text(run.bytes) {
        if !text.trim().is_empty() {
            tags.push(TagPayload {
                start: run.start,
                end: run.end,
                text,
                encoding: crate::step::VARIATION_SELECTORS,
            });
        }
    }
}

/// How the first pass treats a non-ASCII character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Removed: a hidden character of this sort.
    Hidden(Hidden),
    /// Starts a segment and NFKC leaves it alone: copied verbatim.
    Stable,
    /// Starts a segment but NFKC changes it (fullwidth, ligatures, …).
    Boundary,
    /// May interact with what precedes it: joins the current segment.
    Joining,
}

/// A small direct-mapped cache of character kinds. Text in one script
/// reuses a few dozen characters, and a hit replaces three table lookups
/// (hidden, combining class, quick check) by one comparison.
struct KindCache {
    keys: [char; 256],
    kinds: [Kind; 256],
}

impl KindCache {
    fn new() -> Self {
        KindCache {
            // NUL is never looked up (only non-ASCII characters are), so it
            // marks an empty slot.
            keys: ['\0'; 256],
            kinds: [Kind::Stable; 256],
        }
    }

    #[inline(always)]
    fn get(&mut self, c: char, opts: &ScrubOptions) -> Kind {
        let slot = (u32::from(c) & 0xFF) as usize;
        if let (Some(&key), Some(&kind)) = (self.keys.get(slot), self.kinds.get(slot)) {
            if key == c {
                return kind;
            }
        }
        let kind = match hidden::classify(c) {
            Some(h) if opts.invisible => Kind::Hidden(h),
            _ if !opts.nfkc || is_stable_starter(c) => Kind::Stable,
            _ if starts_segment(c) => Kind::Boundary,
            _ => Kind::Joining,
        };
        if let (Some(key), Some(k)) = (self.keys.get_mut(slot), self.kinds.get_mut(slot)) {
            *key = c;
            *k = kind;
        }
        kind
    }
}

/// Input bytes `start..end` that are final and copied verbatim, except that
/// the last character (from `last`) may still take combining marks that
/// follow. Stable characters extend the run, so text without changes is
/// copied in one piece.
#[derive(Clone, Copy, Default)]
struct Run {
    start: usize,
    last: usize,
    end: usize,
}

impl Run {
    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Emits the whole run.
    fn flush(&mut self, input: &str, out: &mut Output) {
        if let Some(s) = input.get(self.start..self.end) {
            out.push_exact(s, self.start);
        }
        *self = Run::default();
    }

    /// Adds stable input `start..end` whose last character starts at `last`.
    fn extend(&mut self, input: &str, out: &mut Output, start: usize, last: usize, end: usize) {
        if !self.is_empty() && self.end == start {
            self.last = last;
            self.end = end;
        } else {
            self.flush(input, out);
            *self = Run { start, last, end };
        }
    }
}

/// Runs the first pass over `input`.
pub(crate) fn scrub(input: &str, opts: &ScrubOptions) -> Scrubbed {
    let bytes = input.as_bytes();
    let mut out = Output::with_capacity(input.len());
    let mut counts = ScrubCounts::default();
    let mut tags = Vec::new();
    // At most one of `run` and `seg` holds characters at any time, so the
    // output order is simply the order in which they are flushed.
    let mut run = Run::default();
    let mut seg = Segment::default();
    let mut tag_run: Option<TagRun> = None;
    let mut selectors: Option<SelectorRun> = None;
    let mut cache = KindCache::new();
    // Last character kept, for context-dependent decisions.
    let mut last_visible = '\0';
    let escape = if opts.ansi { 0x1B } else { 0x80 };

    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 && b != escape {
            // A run of ASCII: each byte starts its own segment and is stable.
            let j = crate::scan::find_byte(bytes, i + 1, |b| (b >= 0x80) | (b == escape))
                .unwrap_or(bytes.len());
            finish_runs(&mut tag_run, &mut selectors, &mut counts, &mut tags);
            seg.flush(&mut out, &mut counts, opts);
            run.extend(input, &mut out, i, j - 1, j);
            last_visible = char::from(bytes.get(j - 1).copied().unwrap_or(b' '));
            i = j;
            continue;
        }
        let Some(c) = input.get(i..).and_then(|s| s.chars().next()) else {
            break;
        };
        let end = i + c.len_utf8();
        if opts.ansi && (c == '\u{1B}' || c == '\u{9B}') {
            finish_runs(&mut tag_run, &mut selectors, &mut counts, &mut tags);
            counts.ansi += 1;
            i += hidden::escape_len(bytes, i).max(c.len_utf8());
            continue;
        }
        match cache.get(c, opts) {
            Kind::Hidden(Hidden::Tag) => {
                if selectors.is_some() {
                    finish_selector_run(&mut selectors, &mut counts, &mut tags);
                }
                let run = tag_run.get_or_insert_with(|| TagRun {
                    start: i,
                    end,
                    count: 0,
                    payload: String::new(),
                    after_black_flag: last_visible == '\u{1F3F4}',
                    cancelled: false,
                });
                run.end = end;
                run.count += 1;
                run.cancelled = c == '\u{E007F}';
                if let Some(a) = hidden::tag_ascii(c) {
                    if run.payload.len() < opts.tag_payload_cap {
                        run.payload.push(a);
                    }
                }
                i = end;
                continue;
            }
            Kind::Hidden(Hidden::ZeroWidth) => {
                finish_tag_run(&mut tag_run, &mut counts, &mut tags);
                if let Some(byte) = selector_byte(c) {
                    let run = selectors.get_or_insert_with(|| SelectorRun {
                        start: i,
                        end,
                        bytes: Vec::new(),
                        first_benign: hidden::is_benign_after(c, last_visible),
                    });
                    run.end = end;
                    if run.bytes.len() < opts.tag_payload_cap {
                        run.bytes.push(byte);
                    }
                    i = end;
                    continue;
                }
                finish_runs(&mut tag_run, &mut selectors, &mut counts, &mut tags);
                if !hidden::is_benign_after(c, last_visible) {
                    counts.invisible += 1;
                }
                i = end;
                continue;
            }
            Kind::Hidden(Hidden::Bidi) => {
                finish_runs(&mut tag_run, &mut selectors, &mut counts, &mut tags);
                counts.bidi += 1;
                i = end;
                continue;
            }
            Kind::Stable => {
                finish_runs(&mut tag_run, &mut selectors, &mut counts, &mut tags);
                seg.flush(&mut out, &mut counts, opts);
                // Take the stable characters that follow (any script,
                // ASCII included) in one tight loop: text without anything
                // to do stays a single verbatim piece.
                let (mut last, mut last_c, mut j) = (i, c, end);
                while let Some(&b) = bytes.get(j) {
                    if b < 0x80 {
                        if b == escape {
                            break;
                        }
                        (last, last_c, j) = (j, char::from(b), j + 1);
                        continue;
                    }
                    let Some(next) = input.get(j..).and_then(|s| s.chars().next()) else {
                        break;
                    };
                    if next == '\u{9B}' || cache.get(next, opts) != Kind::Stable {
                        break;
                    }
                    (last, last_c, j) = (j, next, j + next.len_utf8());
                }
                run.extend(input, &mut out, i, last, j);
                last_visible = last_c;
                i = j;
                continue;
            }
            Kind::Boundary => {
                finish_runs(&mut tag_run, &mut selectors, &mut counts, &mut tags);
                seg.flush(&mut out, &mut counts, opts);
                run.flush(input, &mut out);
                seg.start(c, i, end, true);
            }
            Kind::Joining => {
                finish_runs(&mut tag_run, &mut selectors, &mut counts, &mut tags);
                if !seg.ranges.is_empty() {
                    seg.push(c, i, end);
                } else if run.is_empty() {
                    // Only at the start of the text: nothing to join.
                    seg.start(c, i, end, false);
                } else {
                    // The run's last character takes this one: it moves
                    // into a segment, the rest of the run is final.
                    let (last, last_end) = (run.last, run.end);
                    run.end = last;
                    run.flush(input, &mut out);
                    match input.get(last..last_end).and_then(|s| s.chars().next()) {
                        Some(prev) => {
                            seg.start(prev, last, last_end, true);
                            seg.push(c, i, end);
                        }
                        None => seg.start(c, i, end, false),
                    }
                }
            }
        }
        last_visible = c;
        i = end;
    }
    finish_runs(&mut tag_run, &mut selectors, &mut counts, &mut tags);
    seg.flush(&mut out, &mut counts, opts);
    run.flush(input, &mut out);
    Scrubbed { out, counts, tags }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::map_range;

    const ALL: ScrubOptions = ScrubOptions {
        ansi: true,
        invisible: true,
        nfkc: true,
        tag_payload_cap: 1 << 16,
    };

    #[test]
    fn segments_compose_across_removed_characters() {
        let s = scrub("e\u{200B}\u{301}x", &ALL);
        assert_eq!(s.out.text, "\u{E9}x");
        assert_eq!(s.counts.nfkc, 1);
        assert_eq!(s.counts.invisible, 1);
        // "é" stands for the whole "e ZWSP acute" range.
        assert_eq!(map_range(&s.out.pieces, 0, 2), (0, 6));
        assert_eq!(map_range(&s.out.pieces, 2, 3), (6, 7));
    }

    #[test]
    fn segments_compose_across_escape_sequences() {
        let s = scrub("e\x1b[0m\u{301}", &ALL);
        assert_eq!(s.out.text, "\u{E9}");
        assert_eq!(s.counts.ansi, 1);
    }

    #[test]
    fn nfkc_expansion_maps_to_its_source() {
        let s = scrub("a\u{FB01}b", &ALL); // "aﬁb"
        assert_eq!(s.out.text, "afib");
        assert_eq!(map_range(&s.out.pieces, 1, 2), (1, 4));
        assert_eq!(map_range(&s.out.pieces, 3, 4), (4, 5));
    }

    #[test]
    fn hangul_jamo_compose_like_whole_text_nfkc() {
        let input = "\u{1100}\u{1161}\u{11A8} \u{1100}\u{3161}";
        let whole: String = input.nfkc().collect();
        assert_eq!(scrub(input, &ALL).out.text, whole);
    }

    #[test]
    fn emoji_flags_are_not_evidence() {
        let england = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}";
        let s = scrub(england, &ALL);
        assert_eq!(s.out.text, "\u{1F3F4}");
        assert_eq!(s.counts.tag_chars, 0);
        assert!(s.tags.is_empty());
    }
}
