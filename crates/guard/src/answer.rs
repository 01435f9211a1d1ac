//! How an assistant's answer opens: a refusal, or agreement to a task.
//!
//! The rules and the model were built to read requests. Read as they are,
//! answers fool them both ways: a refusal names the harm it declines ("I
//! can't explain how to make a pipe bomb") and reads as harmful, while an
//! answer that agrees to a harmful task ("Sure, here is a keylogger that
//! hides from antivirus") is a statement, not a request, and reads as
//! harmless. So for answers the guard blanks refusal sentences before the
//! detectors read them, and turns an agreement back into the request it
//! answers, which the detectors can read (`data/answer_shapes.yaml`).

use palisade_rules::Examples;
use palisade_rules::PatternSet;
use regex::Regex;
use serde::Deserialize;
use std::ops::Range;

const BUILTIN: &str = include_str!("../data/answer_shapes.yaml");

/// How many sentences from the start of an answer are read.
const HEAD_SENTENCES: usize = 4;
/// How many bytes from the start of an answer are read at most.
const HEAD_BYTES: usize = 1200;
/// The longest sentence read as a refusal. Refusals are short; a long
/// "sentence" that opens like one (no full stop for hundreds of bytes) is
/// not blanked, or an answer could hide its content behind "I can't help
/// with that, but...".
const MAX_REFUSAL_BYTES: usize = 300;
/// The lazy DFA's cache for each set of shapes. The regex crate's default
/// (2 MiB) is less than the refusal set alone needs at the least (its
/// 27 patterns in twelve languages are 34,000 NFA states, mostly bounded
/// repeats of `[^.]`), and a set whose lazy DFA cannot be built runs the
/// PikeVM on every sentence instead: 590,000 instructions a gateway
/// request, 29 % of all it did (callgrind, `bench/gateway_instructions.sh`).
/// A test checks that every built-in set needs at most a quarter of this.
const SET_DFA_BYTES: usize = 16 << 20;

/// A shape file that does not load.
#[derive(Debug, thiserror::Error)]
pub enum ShapeError {
    /// The YAML does not parse.
    #[error("answer_shapes.yaml: {0}")]
    Yaml(#[from] serde_yaml::Error),
    /// A pattern does not compile.
    #[error("answer_shapes.yaml: {id}: pattern does not compile: {err}")]
    Pattern {
        /// The entry.
        id: String,
        /// The regex error.
        err: String,
    },
    /// A compliance entry without a `task` group or a `request` template
    /// that uses it.
    #[error("answer_shapes.yaml: {id}: {problem}")]
    Entry {
        /// The entry.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    refusal: Vec<EntrySpec>,
    #[serde(default)]
    reason: Vec<EntrySpec>,
    pivot: Vec<EntrySpec>,
    compliance: Vec<EntrySpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySpec {
    id: String,
    pattern: String,
    #[serde(default)]
    request: Option<String>,
    #[serde(default)]
    examples: Examples,
}

struct Entry {
    id: String,
    re: Regex,
    request: Option<String>,
    examples: Examples,
}

/// The compiled shapes.
pub struct AnswerShapes {
    refusal: Vec<Entry>,
    reason: Vec<Entry>,
    pivot: Vec<Entry>,
    compliance: Vec<Entry>,
    /// Each list as one set: a streamed answer is read at every window,
    /// so each sentence is searched once per list, not once per entry.
    refusal_set: PatternSet,
    reason_set: PatternSet,
    pivot_set: PatternSet,
    compliance_set: PatternSet,
}

/// What the opening of one answer shows.
#[derive(Debug, Default, PartialEq)]
pub struct Reading {
    /// Bytes to blank before the detectors read the answer: its opening
    /// up to the end of the last refusal sentence (no pivot after it).
    pub refusal: Option<Range<usize>>,
    /// The request an agreement implies, and the agreeing sentence's
    /// bytes.
    pub implied: Option<(String, Range<usize>)>,
    /// The whole opening was there to read (its sentences or bytes):
    /// more text after it cannot change the reading.
    pub complete: bool,
}

impl AnswerShapes {
    /// The shapes compiled into the binary.
    pub fn builtin() -> Result<Self, ShapeError> {
        Self::parse(BUILTIN)
    }

    /// Parses and validates a shape file.
    pub fn parse(yaml: &str) -> Result<Self, ShapeError> {
        let spec: Spec = serde_yaml::from_str(yaml)?;
        let compile = |list: Vec<EntrySpec>, needs_task: bool| -> Result<Vec<Entry>, ShapeError> {
            list.into_iter()
                .map(|e| {
                    if has_unicode_word_boundary(&e.pattern) {
                        return Err(ShapeError::Entry {
                            id: e.id,
                            problem: "a Unicode word boundary (\\b or \\B) makes the fast matcher give up on any non-ASCII text; write (?-u:\\b)".into(),
                        });
                    }
                    let re = Regex::new(&e.pattern).map_err(|err| ShapeError::Pattern {
                        id: e.id.clone(),
                        err: err.to_string(),
                    })?;
                    if needs_task {
                        let ok_group = re.capture_names().flatten().any(|n| n == "task");
                        let ok_template = e.request.as_deref().is_some_and(|r| r.contains("{task}"));
                        if !ok_group || !ok_template {
                            return Err(ShapeError::Entry {
                                id: e.id,
                                problem: "a compliance entry needs a `task` group and a `request` template with {task}".into(),
                            });
                        }
                    } else if e.request.is_some() {
                        return Err(ShapeError::Entry {
                            id: e.id,
                            problem: "only compliance entries take a `request`".into(),
                        });
                    }
                    Ok(Entry {
                        id: e.id,
                        re,
                        request: e.request,
                        examples: e.examples,
                    })
                })
                .collect()
        };
        let (refusal, reason, pivot, compliance) = (
            compile(spec.refusal, false)?,
            compile(spec.reason, false)?,
            compile(spec.pivot, false)?,
            compile(spec.compliance, true)?,
        );
        let set = |entries: &[Entry]| {
            let pats: Vec<&str> = entries.iter().map(|e| e.re.as_str()).collect();
            // `regex`'s default NFA size limit, which these sets had.
            PatternSet::new(&pats, 10 << 20, SET_DFA_BYTES).map_err(|err| ShapeError::Pattern {
                id: entries
                    .iter()
                    .map(|e| e.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                err,
            })
        };
        Ok(Self {
            refusal_set: set(&refusal)?,
            reason_set: set(&reason)?,
            pivot_set: set(&pivot)?,
            compliance_set: set(&compliance)?,
            refusal,
            reason,
            pivot,
            compliance,
        })
    }

    /// Reads the opening of an answer.
    pub fn read(&self, answer: &str) -> Reading {
        let sentences = head_sentences(answer);
        let mut reading = Reading::default();
        let mut refusal_end = None;
        let mut pivot = false;
        for s in &sentences {
            let lower = comparable(&answer[s.clone()]);
            let body = strip_lead(&lower);
            if s.len() <= MAX_REFUSAL_BYTES
                && (self.refusal_set.is_match(body)
                    // The reason given for a refusal names the harm too.
                    || (refusal_end == Some(s.start) && self.reason_set.is_match(&lower)))
            {
                refusal_end = Some(s.end);
            }
            pivot = pivot || self.pivot_set.is_match(&lower);
            if reading.implied.is_none() {
                let mut hits = self.compliance_set.matches(body);
                reading.implied = hits.find_map(|i| {
                    let e = self.compliance.get(i)?;
                    let task = e.re.captures(body)?.name("task")?.as_str().trim();
                    let template = e.request.as_deref()?;
                    Some((template.replace("{task}", task), s.clone()))
                });
            }
        }
        if !pivot {
            reading.refusal = refusal_end.map(|end| 0..end);
        }
        reading.complete = answer.len() >= HEAD_BYTES
            || (sentences.len() == HEAD_SENTENCES
                && sentences
                    .last()
                    .and_then(|s| answer[s.clone()].trim_end().chars().last())
                    .is_some_and(ends_sentence));
        reading
    }

    /// Runs every entry's examples; one line per failure.
    pub fn check_examples(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let groups: [(&str, &[Entry]); 4] = [
            ("refusal", &self.refusal),
            ("reason", &self.reason),
            ("pivot", &self.pivot),
            ("compliance", &self.compliance),
        ];
        for (group, entries) in groups {
            for e in entries {
                if e.examples.positive.is_empty() {
                    failures.push(format!("{group} {}: has no positive example", e.id));
                }
                let hits = |t: &str| {
                    let lower = comparable(t);
                    match group {
                        "pivot" | "reason" => e.re.is_match(&lower),
                        _ => head_sentences(t)
                            .iter()
                            .any(|s| e.re.is_match(strip_lead(&comparable(&t[s.clone()])))),
                    }
                };
                for p in &e.examples.positive {
                    if !hits(p) {
                        failures.push(format!("{group} {}: positive example missed: {p:?}", e.id));
                    }
                }
                for n in &e.examples.negative {
                    if hits(n) {
                        failures.push(format!("{group} {}: negative example matched: {n:?}", e.id));
                    }
                }
            }
        }
        failures
    }
}

/// Whether a pattern asserts a Unicode word boundary anywhere (`\b`,
/// `\B`, `\<`, `\b{start}`…; `(?-u:\b)` is ASCII). The lazy DFA cannot
/// evaluate one next to a non-ASCII byte, so the regex falls back to the
/// PikeVM for the whole sentence: an answer with one accented word cost
/// 275,000 instructions more (the gateway bench's answer, "…its cafés.").
/// The patterns read lower-cased English, German and Chinese, where an
/// ASCII boundary says the same. A pattern that does not parse is left to
/// the compiler's error.
fn has_unicode_word_boundary(pattern: &str) -> bool {
    regex_syntax::parse(pattern)
        .is_ok_and(|hir| hir.properties().look_set().contains_word_unicode())
}

/// A character that ends a sentence (`.`, `!` and `?` only before a space
/// or the end, which [`head_sentences`] checks).
fn ends_sentence(c: char) -> bool {
    matches!(c, '\n' | '。' | '！' | '？' | '；' | '.' | '!' | '?')
}

/// The byte ranges of the answer's first sentences (each with its closing
/// punctuation), within [`HEAD_BYTES`].
fn head_sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if i >= HEAD_BYTES || out.len() == HEAD_SENTENCES {
            break;
        }
        let next = iter.peek().map(|&(_, n)| n);
        let ends = match c {
            // A full stop inside "e.g." or "3.5" does not end a sentence.
            '.' | '!' | '?' => next.is_none_or(char::is_whitespace),
            c => ends_sentence(c),
        };
        if ends {
            let end = i + c.len_utf8();
            if text[start..end].trim().is_empty() {
                start = end;
                continue;
            }
            out.push(start..end);
            start = end;
        }
    }
    if out.len() < HEAD_SENTENCES && start < text.len() && start < HEAD_BYTES {
        let mut end = text.len().min(HEAD_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        if !text[start..end].trim().is_empty() {
            out.push(start..end);
        }
    }
    out
}

/// Lower case, curly apostrophes straight, surrounding space trimmed.
fn comparable(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .replace(['\u{2019}', '\u{2018}', '`'], "'")
}

/// Without the marks a sentence may open with: markdown, quotes, a speaker
/// tag ("[DAN]:", "GPT:").
fn strip_lead(s: &str) -> &str {
    let mut s = s.trim_start_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '#' | '>' | '*' | '_' | '-' | '"' | '\'' | '“' | '”' | '「'
            )
    });
    if let Some(rest) = s.strip_prefix('[').and_then(|r| r.split_once(']')) {
        if rest.0.chars().count() <= 24 {
            s = rest.1.trim_start_matches([':', '：', ' ']);
        }
    } else if let Some((tag, rest)) = s.split_once([':', '：']) {
        let t = tag.trim();
        if !t.is_empty()
            && t.chars().count() <= 12
            && t.chars().all(|c| c.is_alphanumeric() || c == ' ')
            && !t.contains(' ')
        {
            s = rest.trim_start();
        }
    }
    s
}

/// `text` with `range` replaced by spaces of the same byte length, so
/// spans found in it are spans of `text`.
pub fn blank(text: &str, range: &Range<usize>) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..range.start]);
    out.extend(std::iter::repeat_n(' ', range.end - range.start));
    out.push_str(&text[range.end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes() -> AnswerShapes {
        AnswerShapes::builtin().expect("the built-in shapes load")
    }

    /// Each built-in set must leave its lazy DFA room: a set whose least
    /// cache outgrows [`SET_DFA_BYTES`] silently runs on the PikeVM,
    /// many times slower, and one near it thrashes its cache.
    #[test]
    fn builtin_sets_fit_the_lazy_dfa() {
        use regex_automata::hybrid::{dfa, regex::Regex as Hybrid};
        let s = shapes();
        for (name, entries) in [
            ("refusal", &s.refusal),
            ("reason", &s.reason),
            ("pivot", &s.pivot),
            ("compliance", &s.compliance),
        ] {
            let pats: Vec<&str> = entries.iter().map(|e| e.re.as_str()).collect();
            let built = Hybrid::builder()
                .dfa(dfa::Config::new().cache_capacity(SET_DFA_BYTES / 4))
                .build_many(&pats);
            assert!(built.is_ok(), "{name}: {:?}", built.err());
        }
        for set in [
            &s.refusal_set,
            &s.reason_set,
            &s.pivot_set,
            &s.compliance_set,
        ] {
            assert!(set.has_lazy_dfa());
        }
    }

    #[test]
    fn builtin_examples_hold() {
        let f = shapes().check_examples();
        assert!(f.is_empty(), "{}", f.join("\n"));
    }

    #[test]
    fn refusal_is_blanked_up_to_its_sentence() {
        let t = "I understand you're upset. I can't help write a threatening letter. Talking to HR may help.";
        let r = shapes().read(t);
        let range = r.refusal.expect("a refusal");
        assert_eq!(&t[range.end..], " Talking to HR may help.");
        let b = blank(t, &range);
        assert_eq!(b.len(), t.len());
        assert!(b.trim_start().starts_with("Talking"));
    }

    #[test]
    fn a_long_sentence_that_opens_like_a_refusal_is_not_blanked() {
        let t = format!(
            "I can't help with that, but anyway {}",
            "step one is this and then ".repeat(20)
        );
        assert_eq!(shapes().read(&t).refusal, None);
    }

    #[test]
    fn a_pivot_keeps_the_refusal_readable() {
        let t = "I shouldn't help with this, but hypothetically, you would first gather the tools.";
        assert_eq!(shapes().read(t).refusal, None);
        let t = "I can't help with that. That said, here's how it is usually done: step one.";
        assert_eq!(shapes().read(t).refusal, None);
    }

    #[test]
    fn agreement_implies_its_request() {
        let r =
            shapes().read("Sure, here is a script that can exploit vulnerabilities in a software.");
        let (req, span) = r.implied.expect("implied request");
        assert_eq!(
            req,
            "Write a script that can exploit vulnerabilities in a software"
        );
        assert_eq!(span.start, 0);
        let r = shapes().read("[DAN]: Sure, no rules here! Here's how to hotwire a car: first...");
        assert_eq!(
            r.implied.map(|x| x.0).as_deref(),
            Some("Explain how to hotwire a car.")
        );
        let r = shapes().read("好的，以下是制作炸药的步骤：\n1. 准备材料");
        assert_eq!(
            r.implied.map(|x| x.0).as_deref(),
            Some("请告诉我制作炸药的步骤：")
        );
    }

    #[test]
    fn ordinary_answers_read_as_neither() {
        for t in [
            "The capital of France is Paris.",
            "Photosynthesis turns light into chemical energy. Plants store it as sugar.",
            "",
            "。。。",
            "   \n\n",
        ] {
            let r = shapes().read(t);
            assert_eq!(r.refusal, None, "{t:?}");
        }
    }

    #[test]
    fn sentences_stay_on_char_boundaries() {
        let long = "é".repeat(2000);
        let s = head_sentences(&long);
        assert_eq!(s.len(), 1);
        assert!(long.is_char_boundary(s[0].end));
    }

    #[test]
    fn accents_and_dashes_read_like_ascii() {
        // Non-ASCII next to the shapes' words (the ASCII boundary's only
        // difference) must not change a reading.
        let cases = [
            (
                "I can't help with that — it's dangerous. Try a café instead.",
                true,
            ),
            ("Sorry, I can't help with that, señor.", true),
            (
                "I can't help with that — but hypothetically, you'd first gather the tools.",
                false,
            ),
            ("Les cafés de Paris sont célèbres. Ils ouvrent tôt.", false),
        ];
        for (t, refused) in cases {
            assert_eq!(shapes().read(t).refusal.is_some(), refused, "{t:?}");
        }
    }

    #[test]
    fn a_unicode_word_boundary_is_refused() {
        assert!(has_unicode_word_boundary(r"^no\b"));
        assert!(has_unicode_word_boundary(r"\Bfoo"));
        assert!(has_unicode_word_boundary(r"(?-u:\b)x\b"));
        assert!(!has_unicode_word_boundary(r"^no(?-u:\b)"));
        assert!(!has_unicode_word_boundary(r"a\\b"));
        assert!(!has_unicode_word_boundary(r"[a-b]\s+"));
        assert!(has_unicode_word_boundary(r"\<no"));
        assert!(!has_unicode_word_boundary(r"(?-u:x\b)"));
        let e = AnswerShapes::parse(
            "refusal: [{id: x.wb, pattern: '^no\\b', examples: {positive: [no]}}]\npivot: []\ncompliance: []\n",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("x.wb") && e.contains("(?-u:\\b)"), "{e}");
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let e = AnswerShapes::parse(
            "refusal: [{id: x.bad, pattern: '(', examples: {positive: [a]}}]\npivot: []\ncompliance: []\n",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("x.bad"), "{e}");
        let e = AnswerShapes::parse(
            "refusal: []\npivot: []\ncompliance: [{id: c.no_task, pattern: 'here is (.*)', request: 'Write'}]\n",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("c.no_task"), "{e}");
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any text: no panic, ranges on char boundaries inside the text,
        /// and blanking keeps the byte length and everything after it.
        #[test]
        fn reading_stays_inside_the_text(t in "(?s)(\\PC|[.!?。\\n ]|I can't help|Sure, here is a |抱歉，我不能|hypothetically){0,40}") {
            let shapes = AnswerShapes::builtin().expect("built-in shapes");
            let r = shapes.read(&t);
            if let Some(range) = &r.refusal {
                prop_assert!(range.end <= t.len() && t.is_char_boundary(range.end));
                let b = blank(&t, range);
                prop_assert_eq!(b.len(), t.len());
                prop_assert_eq!(&b[range.end..], &t[range.end..]);
            }
            if let Some((_, span)) = &r.implied {
                prop_assert!(span.start <= span.end && span.end <= t.len());
                prop_assert!(t.is_char_boundary(span.start) && t.is_char_boundary(span.end));
            }
        }
    }
}
