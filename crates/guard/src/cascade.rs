//! The cascade itself (see the crate note).

use crate::answer::AnswerShapes;
use crate::crisis::CrisisHelp;
use crate::gloss::Glossary;
use crate::grave::GraveTerms;
use crate::leak::LeakIndex;
use crate::pending::PendingAsk;
use crate::policy::Policy;
use crate::tense::TenseFrames;
use palisade_core::{
    truncate_at_char_boundary, Action, Category, Direction, Finding, Kind, NormalizationNote,
    SafetyLevel, Severity, Span, Tier, TierTiming, Verdict, MAX_INPUT_BYTES,
};
use palisade_judge::{Judge, JudgeError};
use palisade_model::{
    segment, GuardModel, Head, ModelInput, PackedHeads, SparseVec, HEAD_ATTACK, HEAD_CRITICAL,
    HEAD_DOCUMENT, HEAD_INJECTION, HEAD_INSTRUCTION, HEAD_STATEMENT, HEAD_TOOL, HEAD_UNSAFE,
};
use palisade_normalize::{step, Normalized, Normalizer};
use palisade_rules::RuleSet;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

/// Why a guard could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The judge configuration is invalid.
    #[error("judge: {0}")]
    Judge(#[from] JudgeError),
    /// A glossary's automaton does not build.
    #[error("{0}")]
    Gloss(#[from] crate::gloss::GlossError),
}

/// One text to inspect.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The text.
    pub text: &'a str,
    /// Towards the model or from it.
    pub direction: Direction,
    /// Prompt, document, tool description or tool output.
    pub kind: Kind,
    /// For outputs: the prompt that produced them. An answer that does
    /// not open with a refusal takes on the harm of a harmful prompt, and
    /// the judge reads the prompt too.
    pub context: Option<&'a str>,
    /// The text is the opening of an answer still being streamed (more
    /// will follow): whether it opens with a refusal is settled only once
    /// its opening is all there.
    pub partial: bool,
}

impl<'a> Request<'a> {
    /// A user prompt.
    pub fn prompt(text: &'a str) -> Self {
        Self {
            text,
            direction: Direction::Input,
            kind: Kind::Prompt,
            context: None,
            partial: false,
        }
    }
}

/// Calibrated probabilities of the model heads (absent without a model).
#[derive(Debug, Clone, Copy, Default)]
struct Probs {
    attack: Option<f32>,
    unsafe_: Option<f32>,
    /// The document head's, for documents and tool results.
    document: Option<f32>,
    /// The statement head's (text harmful in itself), when the model has one.
    statement: Option<f32>,
    /// The critical head's (a request for the gravest harms), when the
    /// model has one.
    critical: Option<f32>,
}

impl Probs {
    fn all(&self) -> [Option<f32>; 5] {
        [
            self.attack,
            self.unsafe_,
            self.document,
            self.statement,
            self.critical,
        ]
    }
}

/// The result of tiers 1–2, before the judge and the policy's last word.
struct Partial<'a> {
    verdict: Verdict,
    active: Vec<bool>,
    probs: Probs,
    started: Instant,
    uncertain: bool,
    /// The text inspected: the caller's (borrowed, not copied: this is the
    /// hot path) or the flattened tool definition.
    text: Cow<'a, str>,
    /// The policy settled the verdict before any detector ran (allowlist).
    settled: bool,
}

/// The guard: normaliser, rules, model, policy and optional judge.
pub struct Guard {
    normalizer: Normalizer,
    rules: RuleSet,
    model: Option<GuardModel>,
    /// The attack, unsafe and injection-vs-jailbreak heads, interleaved,
    /// then the instruction head when the model has one (its per-segment
    /// lookups then share cache lines with the whole text's), then the
    /// document, statement and critical heads when it has them.
    packed: Option<PackedHeads>,
    /// Where the instruction, document, statement and critical heads sit
    /// in `packed`.
    packed_instruction: Option<usize>,
    packed_document: Option<usize>,
    packed_statement: Option<usize>,
    packed_critical: Option<usize>,
    /// Per rule, its model signals (`rule=<category>`, `ruleid=<id>`);
    /// `None` for a rule whose hits the model does not see.
    rule_signals: Vec<Option<(String, String)>>,
    policy: Policy,
    judge: Option<Judge>,
    leak: LeakIndex,
    /// The data catalogue (sensitive data and secrets), unless the policy
    /// disables `dlp.`.
    dlp: Option<std::sync::Arc<palisade_dlp::Engine>>,
    /// Per direction (input, output): the rules whose findings the policy
    /// masks, for [`Guard::may_mask`].
    mask_rules: [Option<RuleSet>; 2],
    /// How answers open (refusals, agreements); `None` only if the
    /// built-in file failed to load, which `degraded` then says.
    answers: Option<AnswerShapes>,
    /// Past- and future-tense question frames, read in the present tense
    /// by the model; `None` only if the built-in file failed to load.
    tense: Option<TenseFrames>,
    /// Templates that stop short of their request, where the frame gate
    /// stands aside (`data/pending_ask.yaml`).
    pending: Option<PendingAsk>,
    /// Word-by-word English glosses of requests in other languages, read
    /// by the unsafe head; `None` only if the built-in glossaries failed
    /// to load.
    gloss: Option<&'static Glossary>,
    /// Names of the gravest means and acts, read with the critical head;
    /// `None` only if the built-in file failed to load.
    grave: Option<GraveTerms>,
    /// Calls for help in a crisis, whose content-head findings are held
    /// back; `None` only if the built-in file failed to load.
    crisis: Option<CrisisHelp>,
    degraded: Vec<String>,
    /// Recent requests' strongest content finding (or none), by the
    /// request read: a streamed answer is checked at every window against
    /// the same request, which is read once, not at each.
    request_harm_cache: quick_cache::sync::Cache<String, Option<Finding>>,
}

/// The unsafe head's reading of a request's English gloss (see
/// [`crate::gloss`]).
const GLOSS_DETECTOR: &str = "model.unsafe_gloss";

/// Its default threshold: on the older multilingual evaluation sets and
/// the probes (1,330 harmless and 828 harmful requests in twelve
/// languages), a gloss at 0.9 or more caught 50 harmful requests the text
/// as written did not, for 10 harmless ones; at the unsafe head's own
/// threshold (about 0.7), 116 for 54; at 0.95, 30 for 4 (`docs/guard.md`,
/// session 46). With glossaries twice as large (session 69), that now
/// read "heimlich" as "secretly" where they had read "home", 0.92: over
/// the three multilingual request sets and the multilingual hard
/// negatives, 609 harmful caught and 27 harmless flagged, against 598 and
/// 32 with the old glossaries at 0.9 (620 and 31 at 0.9, with one more
/// harmless secret, a surprise party, flagged in the hard negatives). A
/// policy may set `thresholds: {model.unsafe_gloss: …}`.
const GLOSS_THRESHOLD: f32 = 0.92;

/// The policy key for the critical head's threshold on a prompt that names
/// one of the gravest means or acts (see [`crate::grave`]).
const GRAVE_DETECTOR: &str = "model.critical_term";

/// Its default: on the session's probes (59 grave requests with twins)
/// 0.5 catches 8 the head alone missed, for no twin, and over 63,000
/// harmless prompts of every corpus and evaluation set it flags none
/// more; 0.4 catches no more probes and flags a twin, 0.3 two more probes
/// for four harmless rows (`docs/guard.md`, session 61).
const GRAVE_THRESHOLD: f32 = 0.5;

/// The id a policy disables (`disabled: [gate.crisis_help]`) to let the
/// content heads flag calls for help in a crisis (see [`crate::crisis`]).
const CRISIS_GATE: &str = "gate.crisis_help";

/// A built-in data file's loaded form, or `None` with the reason recorded
/// in `degraded` (the guard runs without that reading rather than fail).
fn or_degraded<T, E: std::fmt::Display>(
    loaded: Result<T, E>,
    what: &str,
    degraded: &mut Vec<String>,
) -> Option<T> {
    loaded
        .map_err(|e| degraded.push(format!("{what}: {e}")))
        .ok()
}

/// Slots of [`Guard::request_harm_cache`]: a few per concurrent stream.
const REQUEST_HARM_ENTRIES: usize = 256;

/// How much of an answer's request (its end) is read to tell whether it
/// was harmful.
const MAX_CONTEXT_BYTES: usize = 4096;

/// The strongest active content finding of a partial verdict.
fn strongest_content(p: &Partial<'_>) -> Option<Finding> {
    p.verdict
        .findings
        .iter()
        .zip(&p.active)
        .filter(|(f, &a)| a && f.category.is_content())
        .map(|(f, _)| f)
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .cloned()
}

/// Whether an answer says something: a bare "No." or "Why?" neither
/// refuses in a known shape nor complies.
fn has_substance(answer: &str) -> bool {
    answer.chars().filter(|c| c.is_alphanumeric()).count() >= 24
}

/// Whether `text` holds at least `min` letters and digits, a CJK
/// character counting twice (it carries about a word); stops counting
/// there. The statement head wants [`STATEMENT_MIN_SUBSTANCE`]: on a
/// greeting or a line of dashes it scores its prior, not the text ("hi"
/// read 0.86, above its threshold), and the rules read the short abuse
/// ("kys", 死全家).
fn has_substance_of(text: &str, min: usize) -> bool {
    let mut n = 0;
    for c in text.chars().filter(|c| c.is_alphanumeric()) {
        n += if palisade_model::features::is_cjk(c) {
            2
        } else {
            1
        };
        if n >= min {
            return true;
        }
    }
    false
}

/// See [`has_substance_of`].
const STATEMENT_MIN_SUBSTANCE: usize = 8;

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Normalisation steps that are evidence of hiding something. NFKC alone is
/// not: full-width forms are ordinary in CJK text; nor is camelCase, which
/// is how code names things (the words it joins are still read).
fn obfuscation_severity(name: &str) -> Option<Severity> {
    match name {
        step::TAG_CHARS | step::VARIATION_SELECTORS | step::BIDI | step::ANSI => {
            Some(Severity::Medium)
        }
        step::INVISIBLE
        | step::CONFUSABLES
        | step::COMBINING_MARKS
        | step::WHITESPACE_PADDING
        | step::BASE64
        | step::HEX
        | step::URL
        | step::ROT13
        | step::BASE32
        | step::MORSE
        | step::BINARY
        | step::BRAILLE
        | step::NATO
        | step::REVERSED
        | step::PIG_LATIN
        | step::UPSIDE_DOWN
        | step::LEETSPEAK => Some(Severity::Low),
        _ => None,
    }
}

/// Whether text decoded from Unicode tag characters is a hidden sentence
/// rather than the one legitimate use of them: the region code of a
/// subdivision flag emoji (🏴 + `gbsct` + CANCEL TAG), five or six lower
/// letters and digits. Three or more words, or a space, an upper-case
/// letter or punctuation beside at least eight letters, is text meant for
/// a machine that a person cannot see.
fn is_hidden_sentence(decoded: &str) -> bool {
    let words = decoded
        .split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .count();
    let letters = decoded.chars().filter(char::is_ascii_alphabetic).count();
    words >= 3
        || (letters >= 8
            && decoded
                .chars()
                .any(|c| c == ' ' || c.is_ascii_uppercase() || c.is_ascii_punctuation()))
}

impl Guard {
    /// The shared data-catalogue engine a guard with `policy` uses (`None`
    /// when the policy turns the data detectors off), built on first use.
    /// Sensitive data that the policy allows both ways would only be
    /// recorded: then only credentials are looked for, which costs a
    /// fraction of the whole catalogue on every text.
    fn data_engine(policy: &Policy) -> Option<Result<Arc<palisade_dlp::Engine>, String>> {
        if policy.is_disabled("dlp.") {
            return None;
        }
        let wants_data = policy.input.get(Category::SensitiveData) != Action::Allow
            || policy.output.get(Category::SensitiveData) != Action::Allow;
        Some(if wants_data {
            palisade_dlp::Engine::builtin_shared()
        } else {
            palisade_dlp::Engine::builtin_credentials_shared()
        })
    }

    /// Builds the shared tables a guard with `policy` will use (the data
    /// catalogue's engine), so that a caller can have them built on
    /// another core while it loads the rules. [`Guard::new`] builds them
    /// itself when they are not built yet.
    pub fn prepare(policy: &Policy) {
        let _ = Self::data_engine(policy);
    }

    /// Builds a guard. Without a model the guard runs on rules alone and
    /// every verdict says so in `degraded`.
    pub fn new(
        rules: RuleSet,
        model: Option<GuardModel>,
        policy: Policy,
    ) -> Result<Self, GuardError> {
        let judge = policy.judge.clone().map(Judge::new).transpose()?;
        let mut degraded = Vec::new();
        if model.is_none() {
            degraded.push("model unavailable: tier 2 skipped".to_string());
        }
        let (mut packed_instruction, mut packed_document, mut packed_statement) =
            (None, None, None);
        let mut packed_critical = None;
        let packed = model.as_ref().and_then(|m| {
            let heads: Option<Vec<&Head>> = [HEAD_ATTACK, HEAD_UNSAFE, HEAD_INJECTION]
                .iter()
                .map(|n| m.head(n))
                .collect();
            heads.map(|mut h| {
                for (name, slot) in [
                    (HEAD_INSTRUCTION, &mut packed_instruction),
                    (HEAD_DOCUMENT, &mut packed_document),
                    (HEAD_STATEMENT, &mut packed_statement),
                    (HEAD_CRITICAL, &mut packed_critical),
                ] {
                    if let Some(head) = m.head(name) {
                        *slot = Some(h.len());
                        h.push(head);
                    }
                }
                PackedHeads::new(&h)
            })
        });
        let rule_signals = rules
            .rules()
            .iter()
            .map(|r| {
                r.model_signal
                    .then(|| (format!("rule={}", r.category), format!("ruleid={}", r.id)))
            })
            .collect();
        let dlp = match Self::data_engine(&policy) {
            None => None,
            Some(Ok(e)) => Some(e),
            Some(Err(e)) => {
                degraded.push(format!("data catalogue unavailable: {e}"));
                None
            }
        };
        let mask_rules = [Direction::Input, Direction::Output].map(|d| {
            let a = policy.actions(d);
            // Whatever kind of text it finds something in.
            rules.subset(|r| {
                [Kind::Prompt, Kind::ToolDescription]
                    .iter()
                    .any(|&k| a.get(rule_category(r.category, k)) == Action::Mask)
            })
        });
        let answers = or_degraded(
            AnswerShapes::builtin(),
            "answer shapes unavailable",
            &mut degraded,
        );
        let tense = or_degraded(
            TenseFrames::builtin(),
            "tense frames unavailable",
            &mut degraded,
        );
        let pending = or_degraded(
            PendingAsk::builtin(),
            "pending-ask patterns unavailable",
            &mut degraded,
        );
        let gloss = or_degraded(Glossary::shared(), "glossaries unavailable", &mut degraded);
        let grave = or_degraded(
            GraveTerms::builtin(),
            "grave terms unavailable",
            &mut degraded,
        );
        let crisis = or_degraded(
            CrisisHelp::builtin(),
            "crisis-help patterns unavailable",
            &mut degraded,
        );
        let guard = Self {
            crisis,
            grave,
            tense,
            pending,
            gloss,
            answers,
            dlp,
            mask_rules,
            rule_signals,
            normalizer: Normalizer::default(),
            rules,
            leak: LeakIndex::new(&policy.leak),
            model,
            packed,
            packed_instruction,
            packed_document,
            packed_statement,
            packed_critical,
            policy,
            judge,
            degraded,
            request_harm_cache: quick_cache::sync::Cache::new(REQUEST_HARM_ENTRIES),
        };
        // Build the lazily initialised tables (confusables, cue and harm
        // automata, regex caches) now, so the first caller does not pay
        // for them.
        let _ = guard.check(&Request::prompt(
            "Warm-up: ignore 0x41 ü 你好. Tell me about it?",
        ));
        Ok(guard)
    }

    /// The loaded rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The loaded model, if any.
    pub fn model(&self) -> Option<&GuardModel> {
        self.model.as_ref()
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The instruction head: the packed column when it was packed (the
    /// fourth, after attack, unsafe and injection-vs-jailbreak).
    fn segment_head<'a>(&'a self, model: &'a GuardModel) -> Option<SegmentHead<'a>> {
        match (&self.packed, self.packed_instruction) {
            (Some(p), Some(h)) => Some(SegmentHead::Packed(p, h)),
            _ => model.head(HEAD_INSTRUCTION).map(SegmentHead::Plain),
        }
    }

    /// Whether checking `req` could end in masking: a rule of a category
    /// the policy masks, or a data-catalogue entry of one, finds something
    /// in the text. When it says no, the check's verdict has nothing to
    /// rewrite, so a caller may send the text on while the check runs.
    /// Conservative: it ignores thresholds and allowlists, so it may say
    /// yes when the check will not mask, never the reverse. Costs the
    /// normaliser, the masked categories' rules and the data catalogue:
    /// a fraction of a check.
    pub fn may_mask(&self, req: &Request<'_>) -> bool {
        let actions = self.policy.actions(req.direction);
        let (text, _) = truncate_at_char_boundary(req.text, MAX_INPUT_BYTES);
        let flattened = crate::tool::flatten_for(req.kind, text).map(|t| t.full);
        let text = flattened.as_deref().unwrap_or(text);
        if let Some(dlp) = &self.dlp {
            if dlp
                .scan(text)
                .iter()
                .any(|e| actions.get(dlp_category(e)) == Action::Mask)
            {
                return true;
            }
        }
        let slot = match req.direction {
            Direction::Input => 0,
            Direction::Output => 1,
        };
        let Some(rules) = &self.mask_rules[slot] else {
            return false;
        };
        let norm = self.normalizer.normalize(text);
        let mut ms = Vec::new();
        rules.scan_views(&norm.folded, &norm.text, req.kind, &mut ms);
        for d in &norm.decoded {
            rules.scan(&d.text, req.kind, &mut ms);
        }
        !ms.is_empty()
    }

    /// Tiers 1–2 only: never waits on the network.
    pub fn check(&self, req: &Request<'_>) -> Verdict {
        let p = self.tiers12(req);
        self.remember_request_harm(req, &p);
        self.finish(p, req)
    }

    /// A user's prompt is what an answer to it is later read against
    /// ([`Self::unrefused_harm`]): a gateway checks the prompt on the way
    /// in, then the answer with the prompt as its context. Remembering the
    /// prompt's strongest content finding here spares the answer's check a
    /// second pass of tiers 1–2 over the same text (a third of a 1 KB chat
    /// request's instructions in the gateway bench). Only texts that the
    /// answer's check would read whole are remembered.
    fn remember_request_harm(&self, req: &Request<'_>, p: &Partial<'_>) {
        let same_reading = req.direction == Direction::Input
            && req.kind == Kind::Prompt
            && req.context.is_none()
            && !req.partial
            && req.text.len() <= MAX_CONTEXT_BYTES;
        if same_reading && !self.request_harm_cache.contains_key(req.text) {
            self.request_harm_cache
                .insert(req.text.to_string(), strongest_content(p));
        }
    }

    /// The whole cascade: tiers 1–2, then the judge when they are unsure
    /// and one is configured.
    pub async fn check_full(&self, req: &Request<'_>) -> Verdict {
        let mut p = self.tiers12(req);
        // Before the judge: the answer's check reads tiers 1–2 only.
        self.remember_request_harm(req, &p);
        if let (true, Some(judge)) = (p.uncertain, &self.judge) {
            let t = Instant::now();
            let outcome = judge.judge(&p.text, req.direction, req.context).await;
            p.verdict.timings.push(TierTiming {
                tier: Tier::Judge,
                micros: micros(t),
            });
            p.verdict.tier = Tier::Judge;
            if let Some(err) = &outcome.error {
                p.verdict.degraded.push(format!(
                    "judge failed ({}), fail-{} applied: {err}",
                    err.kind(),
                    self.policy
                        .judge
                        .as_ref()
                        .map(|j| j.on_error.as_str())
                        .unwrap_or("open")
                ));
                if outcome.findings.is_empty() {
                    // Fail-open: tiers 1–2 stand.
                    p.verdict.tier = self.decider(&p);
                }
            } else {
                // Inside the band the judge's answer replaces the model's:
                // its findings (or their absence) decide.
                for (f, a) in p.verdict.findings.iter_mut().zip(p.active.iter_mut()) {
                    if f.tier == Tier::Model {
                        *a = false;
                        f.message = Some(format!(
                            "{} (the judge decided)",
                            f.message.as_deref().unwrap_or("model score")
                        ));
                    }
                }
                if outcome.safety == SafetyLevel::Controversial {
                    p.verdict.safety = SafetyLevel::Controversial;
                }
            }
            for f in outcome.findings {
                let on = self.is_active(&f);
                p.verdict.findings.push(f);
                p.active.push(on);
            }
            p.uncertain = false;
        }
        self.finish(p, req)
    }

    /// The model features of a text exactly as the cascade computes them;
    /// training uses this so that it sees what inference sees. `instruction`
    /// is the per-segment request head, when one is trained already.
    pub fn features(
        &self,
        text: &str,
        kind: Kind,
        direction: Direction,
        bits: u32,
        instruction: Option<&Head>,
    ) -> SparseVec {
        // As a check reads it: a tool definition's JSON flattened, the
        // rules over all of its strings, the model over its prose.
        let flattened = crate::tool::flatten_for(kind, text);
        let (full, prose) = match &flattened {
            Some(t) => (t.full.as_str(), Some(t.prose.as_str())),
            None => (text, None),
        };
        let norm = self.normalizer.normalize(full);
        let mut matches = Vec::new();
        self.scan_rules(&norm, kind, &mut matches);
        let prose_norm = prose.map(|p| self.normalizer.normalize(p));
        self.model_features(
            prose_norm.as_ref().unwrap_or(&norm),
            kind,
            direction,
            &matches,
            bits,
            instruction.map(SegmentHead::Plain),
        )
    }

    /// Builds now what checks otherwise build on first use: the
    /// glossaries' automata (the rules' regexes: [`RuleSet::compile_all`]).
    /// A server calls it before it listens, so that no request pays for
    /// them; a one-shot check of an English prompt never needs them.
    pub fn warm(&self) -> Result<(), GuardError> {
        if let Some(g) = self.gloss {
            g.build_all()?;
        }
        Ok(())
    }

    /// The English gloss the guard reads for a request in another language
    /// (see [`crate::gloss`]); `None` for English, Chinese and any text
    /// the glossaries do not cover.
    pub fn gloss(&self, text: &str) -> Option<String> {
        self.gloss?.gloss(&self.normalizer.normalize(text).folded)
    }

    /// Features of one segment for the instruction head: its words alone.
    pub fn segment_features(&self, text: &str, bits: u32) -> SparseVec {
        let norm = self.normalizer.normalize(text);
        segment_vector(&norm.folded, bits)
    }

    fn model_features(
        &self,
        norm: &Normalized,
        kind: Kind,
        direction: Direction,
        matches: &[(palisade_rules::Match, Option<Span>)],
        bits: u32,
        instruction: Option<SegmentHead<'_>>,
    ) -> SparseVec {
        let mut signals = self.signals(norm, kind, direction, matches);
        let folded = model_text(norm);
        // Third-party text only: a prompt tells its assistant what to do
        // by design, and the prompt heads never saw these features.
        if kind != Kind::Prompt {
            signals.extend(
                palisade_model::machine_address(&folded)
                    .into_iter()
                    .map(Cow::Borrowed),
            );
        }
        // A tool description is guidance to the model from end to end;
        // "a request planted in data" does not apply to it. Fewer than
        // three segments give no signals: not worth scoring.
        let scored = instruction
            .filter(|_| kind != Kind::ToolDescription)
            .map(|head| (head, segment::segments(&norm.folded)))
            .filter(|(_, segments)| segments.len() >= segment::MIN_SEGMENTS);
        let Some((head, segments)) = scored else {
            let refs: Vec<&str> = signals.iter().map(|c| c.as_ref()).collect();
            return palisade_model::extract(
                &ModelInput {
                    folded: &folded,
                    signals: &refs,
                },
                bits,
            );
        };
        // The text's n-grams and words first: its segments take theirs
        // from them.
        let extraction = palisade_model::Extraction::start(&folded, bits);
        let mut x = SparseVec::default();
        let probs: Vec<f32> = segments
            .into_iter()
            .filter_map(|(a, b)| Some((a, norm.folded.get(a..b)?)))
            .map(|(a, seg)| {
                extraction.segment_into(a, seg, SEGMENT_SIGNALS, &mut x);
                head.prob(&x)
            })
            .collect();
        signals.extend(segment::signals(&probs).into_iter().map(Cow::Borrowed));
        let refs: Vec<&str> = signals.iter().map(|c| c.as_ref()).collect();
        extraction.finish(&refs, true)
    }

    /// Ids of the rules that fire on `text` after normalisation, whatever
    /// the policy says of them.
    pub fn rule_hits(&self, text: &str, kind: Kind) -> Vec<&str> {
        let norm = self.normalizer.normalize(text);
        let mut matches = Vec::new();
        self.scan_rules(&norm, kind, &mut matches);
        matches
            .iter()
            .map(|(m, _)| self.rules.rules()[m.rule].id.as_str())
            .collect()
    }

    /// Scans the lower-cased, leetspeak-folded view (it sees everything
    /// the plain view shows, and more), then gives each hit a span in the
    /// plain view; then every decoded segment.
    ///
    /// Where folding changed nothing but ASCII case (most text), a byte
    /// offset is the same in both views and the hit's own place is its
    /// span. Otherwise the rule is searched again in the plain view: one
    /// unanchored search of the whole text per pattern until one matches,
    /// a dozen of them on a 2 KB jailbreak that a dozen rules hit
    /// (`tail_latency`, 3,200 prompts of 2 KB, two alternating runs:
    /// first-pass p99 1.21–1.23 → 1.13–1.14 ms, warm 0.66–0.69 → 0.61–0.64).
    fn scan_rules(
        &self,
        norm: &Normalized,
        kind: Kind,
        out: &mut Vec<(palisade_rules::Match, Option<Span>)>,
    ) {
        let mut ms = Vec::new();
        self.rules
            .scan_views(&norm.folded, &norm.text, kind, &mut ms);
        let aligned = !ms.is_empty()
            && norm
                .folded
                .as_bytes()
                .eq_ignore_ascii_case(norm.text.as_bytes());
        for m in ms.drain(..) {
            let span = if aligned {
                Some((m.start, m.end))
            } else {
                self.rules.find_rule(m.rule, &norm.text, kind, &norm.folded)
            }
            .map(|(start, end)| norm.original_span(Span { start, end }));
            out.push((m, span));
        }
        for d in &norm.decoded {
            let before = ms.len();
            self.rules.scan(&d.text, kind, &mut ms);
            for m in &ms[before..] {
                if out.iter().all(|(o, _)| o.rule != m.rule) {
                    out.push((*m, Some(d.span)));
                }
            }
        }
    }

    fn signals(
        &self,
        norm: &Normalized,
        kind: Kind,
        direction: Direction,
        matches: &[(palisade_rules::Match, Option<Span>)],
    ) -> Vec<Cow<'_, str>> {
        // The names are the model's feature names: changing one means
        // retraining. Rule names are built once in `new`, so the common
        // case allocates nothing here.
        let mut s: Vec<Cow<'_, str>> = Vec::with_capacity(4 + matches.len() * 2 + norm.notes.len());
        s.push(Cow::Borrowed(match kind {
            Kind::Prompt => "kind=Prompt",
            Kind::Document => "kind=Document",
            Kind::ToolDescription => "kind=ToolDescription",
            Kind::ToolOutput => "kind=ToolOutput",
        }));
        s.push(Cow::Borrowed(match direction {
            Direction::Input => "dir=Input",
            Direction::Output => "dir=Output",
        }));
        let mut any = false;
        for (m, _) in matches {
            if let Some(Some((category, id))) = self.rule_signals.get(m.rule) {
                s.push(Cow::Borrowed(category));
                s.push(Cow::Borrowed(id));
                any = true;
            }
        }
        if any {
            s.push(Cow::Borrowed("rule_any"));
        }
        // camelCase is how code names things, not a sign of anything: as a
        // signal the model never learnt, it moved two of the dev corpora's
        // jailbreaks under the attack head's threshold.
        for n in norm.notes.iter().filter(|n| n.step != step::CAMEL_CASE) {
            s.push(Cow::Owned(format!("norm={}", n.step)));
        }
        s
    }

    fn threshold(&self, detector: &str, default: f32) -> f32 {
        self.policy
            .thresholds
            .get(detector)
            .copied()
            .unwrap_or(default)
    }

    fn is_active(&self, f: &Finding) -> bool {
        if self.policy.is_disabled(&f.detector) {
            return false;
        }
        let default = match f.tier {
            Tier::Rules => self.policy.min_rule_score,
            Tier::Model if f.detector == GLOSS_DETECTOR => GLOSS_THRESHOLD,
            Tier::Model => self
                .model
                .as_ref()
                .and_then(|m| m.head(f.detector.trim_start_matches("model.")))
                .map(|h| h.threshold)
                .unwrap_or(0.5),
            _ => 0.5,
        };
        f.score >= self.threshold(&f.detector, default)
    }

    fn tiers12<'a>(&self, req: &Request<'a>) -> Partial<'a> {
        let started = Instant::now();
        let (text, truncated) = truncate_at_char_boundary(req.text, MAX_INPUT_BYTES);
        // A tool definition given as JSON is inspected as the text a model
        // reads from it (spans then refer to that text).
        let flattened = crate::tool::flatten_for(req.kind, text);
        let (inspected, prose) = match flattened {
            Some(t) => (Cow::Owned(t.full), Some(t.prose)),
            None => (Cow::Borrowed(text), None),
        };
        let mut v = Verdict {
            truncated,
            degraded: self.degraded.clone(),
            ..Verdict::default()
        };
        let mut p = Partial {
            verdict: Verdict::default(),
            active: Vec::new(),
            probs: Probs::default(),
            started,
            uncertain: false,
            text: inspected,
            settled: false,
        };
        let text: &str = &p.text;
        if self.policy.allowlisted(text) {
            v.tier = Tier::Policy;
            p.settled = true;
            v.confidence = 1.0;
            v.degraded.clear();
            p.verdict = v;
            return p;
        }

        // An answer's refusal is blanked before the detectors read it; its
        // agreement to a task is checked as the request it implies.
        let reading = match (&self.answers, req.direction, req.kind) {
            (Some(a), Direction::Output, Kind::Prompt) => Some(a.read(text)),
            _ => None,
        };
        let blanked = reading
            .as_ref()
            .and_then(|r| r.refusal.as_ref())
            .map(|r| crate::answer::blank(text, r));
        let t = Instant::now();
        let norm = self
            .normalizer
            .normalize(blanked.as_deref().unwrap_or(text));
        v.timings.push(TierTiming {
            tier: Tier::Normalize,
            micros: micros(t),
        });
        let mut findings = Vec::new();
        // Where the model's unsafe finding sits when no rule named its category.
        let mut unnamed_unsafe: Option<usize> = None;
        let mut unnamed_statement: Option<usize> = None;
        let mut unnamed_critical: Option<usize> = None;
        let mut critical_at: Option<usize> = None;
        // The same for the unsafe head's reading of an English gloss, and
        // the gloss (read only with a model).
        let mut unnamed_gloss: Option<usize> = None;
        let mut glossed: Option<String> = None;
        // Where the model's attack finding sits when it is a jailbreak frame
        // with nothing harmful in it (`FrameGate`).
        let mut bare_frame: Option<usize> = None;
        for NormalizationNote { step, count } in &norm.notes {
            if let Some(severity) = obfuscation_severity(step) {
                findings.push(Finding {
                    detector: format!("normalize.{step}"),
                    category: Category::Obfuscation,
                    severity,
                    score: 0.6,
                    tier: Tier::Normalize,
                    span: None,
                    message: Some(format!("{step}: {count} change(s) while normalising")),
                });
            }
        }
        v.normalization = norm.notes.clone();
        for d in &norm.decoded {
            let (detector, hidden_in) = match d.encoding {
                step::TAG_CHARS => ("normalize.tag_smuggling", "Unicode tag characters"),
                step::VARIATION_SELECTORS => (
                    "normalize.selector_smuggling",
                    "variation selectors behind an emoji",
                ),
                _ => continue,
            };
            if is_hidden_sentence(&d.text) {
                findings.push(Finding {
                    detector: detector.into(),
                    category: Category::PromptInjection,
                    severity: Severity::High,
                    score: 0.9,
                    tier: Tier::Normalize,
                    span: Some(d.span),
                    message: Some(format!(
                        "words hidden in {hidden_in}: invisible to a person, read by a model"
                    )),
                });
            }
        }

        let t = Instant::now();
        let mut matches = Vec::new();
        self.scan_rules(&norm, req.kind, &mut matches);
        for (m, span) in &matches {
            let r = &self.rules.rules()[m.rule];
            let category = rule_category(r.category, req.kind);
            findings.push(Finding {
                detector: r.id.clone(),
                category,
                severity: r.severity,
                score: r.score,
                tier: Tier::Rules,
                span: *span,
                message: Some(r.description.clone()),
            });
        }
        // A past- or future-tense question is read by the model in the
        // present tense, and by the rules both ways.
        let present = match (&self.tense, req.direction, req.kind) {
            (Some(t), Direction::Input, Kind::Prompt) => t.rewrite(text),
            _ => None,
        };
        let present_norm = present.as_deref().map(|t| self.normalizer.normalize(t));
        let mut present_matches = Vec::new();
        if let (Some(n), Some(rw)) = (&present_norm, &present) {
            self.scan_rules(n, req.kind, &mut present_matches);
            for (m, _) in &present_matches {
                if matches.iter().any(|(o, _)| o.rule == m.rule) {
                    continue;
                }
                let r = &self.rules.rules()[m.rule];
                findings.push(Finding {
                    detector: r.id.clone(),
                    category: rule_category(r.category, req.kind),
                    severity: r.severity,
                    score: r.score,
                    tier: Tier::Rules,
                    span: None,
                    message: Some(format!(
                        "{} (read in the present tense: {rw:?})",
                        r.description
                    )),
                });
            }
        }
        if req.direction == Direction::Output && !self.leak.is_empty() {
            self.leak.check(text, &mut findings);
        }
        if let Some(dlp) = &self.dlp {
            dlp_findings(dlp, text, &mut findings);
        }
        v.timings.push(TierTiming {
            tier: Tier::Rules,
            micros: micros(t),
        });

        // A text with no letter or digit left (a refusal blanked whole, a
        // line of dashes) gives the heads nothing to read: they would score
        // their priors, and one prior (the statement head's) sits above its
        // threshold.
        let read_text = model_text(&norm);
        let readable = read_text.chars().any(char::is_alphanumeric);
        if let Some(model) = self.model.as_ref().filter(|_| readable) {
            let t = Instant::now();
            let prose_norm = prose.as_deref().map(|p| self.normalizer.normalize(p));
            let third_party = matches!(req.kind, Kind::Document | Kind::ToolOutput);
            let tool_head = (req.kind == Kind::ToolDescription)
                .then(|| model.head(HEAD_TOOL))
                .flatten();
            let heads = |norm: &Normalized, ms: &[(palisade_rules::Match, Option<Span>)]| {
                let x = self.model_features(
                    norm,
                    req.kind,
                    req.direction,
                    ms,
                    model.bits,
                    self.segment_head(model),
                );
                // A tool description is read by the tool head in the
                // attack head's place, when the model has one.
                let tool = tool_head.map(|h| h.prob(&x));
                match &self.packed {
                    Some(pk) => {
                        let p = pk.probs(&x);
                        let document = self
                            .packed_document
                            .filter(|_| third_party)
                            .and_then(|h| p.get(h).copied());
                        let statement = self.packed_statement.and_then(|h| p.get(h).copied());
                        let critical = self.packed_critical.and_then(|h| p.get(h).copied());
                        (
                            tool.or(Some(p[0])),
                            Some(p[1]),
                            p[2],
                            document,
                            statement,
                            critical,
                        )
                    }
                    // A model without all three heads (a custom one):
                    // whatever heads it has, one at a time.
                    None => (
                        tool.or_else(|| model.head(HEAD_ATTACK).map(|h| h.prob(&x))),
                        model.head(HEAD_UNSAFE).map(|h| h.prob(&x)),
                        model
                            .head(HEAD_INJECTION)
                            .map(|h| h.prob(&x))
                            .unwrap_or(0.5),
                        model
                            .head(HEAD_DOCUMENT)
                            .filter(|_| third_party)
                            .map(|h| h.prob(&x)),
                        model.head(HEAD_STATEMENT).map(|h| h.prob(&x)),
                        model.head(HEAD_CRITICAL).map(|h| h.prob(&x)),
                    ),
                }
            };
            // A tense frame is read as the request it stands for: the
            // model learned the frame from the tense jailbreak's corpus and
            // read harmless history and forecast questions as attacks.
            let (attack, unsafe_, injection, document, statement, critical) = match &present_norm {
                Some(n) => heads(n, &present_matches),
                None => heads(prose_norm.as_ref().unwrap_or(&norm), &matches),
            };
            // A document or tool result is read by the document head in
            // the attack head's place, when the model has one. The attack
            // head learns from prompts and its threshold is set on prompts:
            // on the held-out document sets (eval/guard-blind8, blind9,
            // guard-documents, guard-documents-blind2) it flagged 13 of 470
            // harmless documents that nothing else flagged, for 4 of 470
            // planted orders, and whatever taught it more about prompts
            // moved it on documents too (docs/guard.md, session 53). An
            // answer is read for harmful content and leaks, not as an
            // attack on the model (its attack findings were `review`).
            let attack = attack.filter(|_| document.is_none() && req.direction == Direction::Input);
            // A request in another language is also read as a word-by-word
            // English gloss by the unsafe head, as a finding of its own with
            // its own threshold: a gloss loses the grammar that tells a
            // worried parent from a planner, so it must read as harmful more
            // surely than a text as written. Not by the rules: their
            // exceptions ("bath bomb") are phrases, and a gloss's word order
            // ("bomb bath") walks past them.
            glossed = match (&self.gloss, req.direction, req.kind, &present) {
                (Some(g), Direction::Input, Kind::Prompt, None) => g.gloss(&norm.folded),
                _ => None,
            };
            let gloss_unsafe = glossed
                .as_deref()
                .and_then(|t| heads(&self.normalizer.normalize(t), &matches).1);
            p.probs.attack = attack;
            p.probs.unsafe_ = unsafe_;
            let rule_cat = |pred: fn(Category) -> bool| {
                matches
                    .iter()
                    .chain(&present_matches)
                    .map(|(m, _)| self.rules.rules()[m.rule].category)
                    .find(|c| pred(*c))
            };
            if let Some(pa) = p.probs.attack {
                let attack_rule = rule_cat(Category::is_attack);
                let category = if req.kind == Kind::ToolDescription {
                    Category::ToolPoisoning
                } else if let Some(c) = attack_rule {
                    c
                } else if injection >= 0.5 || req.kind.is_third_party() {
                    Category::PromptInjection
                } else {
                    Category::Jailbreak
                };
                let gate = &self.policy.frame_gate;
                if category == Category::Jailbreak
                    && req.kind == Kind::Prompt
                    && attack_rule.is_none()
                    && p.probs.unsafe_.is_some_and(|u| u < gate.max_unsafe)
                    && pa < gate.min_attack
                    && crate::readable::unsafe_head_reads(text)
                    && !self.pending.as_ref().is_some_and(|p| p.awaits(text))
                {
                    bare_frame = Some(findings.len());
                }
                let head = if tool_head.is_some() {
                    HEAD_TOOL
                } else {
                    HEAD_ATTACK
                };
                findings.push(model_finding(head, category, pa));
            }
            p.probs.document = document;
            if let Some(pd) = document {
                findings.push(model_finding(HEAD_DOCUMENT, Category::PromptInjection, pd));
            }
            // A content finding: named by a content rule when one fired, else
            // by the harm lexicon's strongest topic (looked up below, once the
            // finding is known to stay; its index is returned for that), else
            // it stays unnamed.
            let push_content = |findings: &mut Vec<Finding>, head: &str, p: f32| {
                let category = rule_cat(Category::is_content);
                findings.push(model_finding(
                    head,
                    category.unwrap_or(Category::UnsafeOther),
                    p,
                ));
                category.is_none().then(|| findings.len() - 1)
            };
            // Abuse, threats and hate said rather than asked for, by the user
            // or by the model: not in documents, tool results or tool
            // descriptions, third-party data read for planted orders, whose
            // harm reaches the user only through an answer, which is read.
            // Trained on answers, it took invoices, test logs and pages for
            // harmful answers by their form.
            // The statement and critical heads read prompts and answers
            // with something in them to read.
            let readable =
                req.kind == Kind::Prompt && has_substance_of(&read_text, STATEMENT_MIN_SUBSTANCE);
            let statement = statement.filter(|_| readable);
            p.probs.statement = statement;
            if let Some(ps) = statement {
                unnamed_statement = push_content(&mut findings, HEAD_STATEMENT, ps);
            }
            // A request for the gravest harms: a prompt towards the model,
            // with something in it to read (on a bare greeting a head
            // scores its prior). Documents and tool results are read for
            // planted orders, and answers against their requests.
            let critical = critical.filter(|_| readable && req.direction == Direction::Input);
            p.probs.critical = critical;
            if let Some(pc) = critical {
                critical_at = Some(findings.len());
                unnamed_critical = push_content(&mut findings, HEAD_CRITICAL, pc);
            }
            if let Some(pu) = p.probs.unsafe_ {
                unnamed_unsafe = push_content(&mut findings, HEAD_UNSAFE, pu);
            }
            if let (Some(pg), Some(gl)) = (gloss_unsafe, &glossed) {
                unnamed_gloss = push_content(&mut findings, HEAD_UNSAFE, pg);
                if let Some(f) = findings.last_mut() {
                    f.detector = GLOSS_DETECTOR.into();
                    f.message = Some(format!(
                        "unsafe head probability {pg:.3} on the English gloss {gl:?}"
                    ));
                }
            }
            v.timings.push(TierTiming {
                tier: Tier::Model,
                micros: micros(t),
            });
        }
        // An answer that does not open with a refusal, to a request that
        // reads as harmful, complied with it.
        if let (Some(ctx), Some(r)) = (req.context, reading.as_ref()) {
            if r.refusal.is_none() && (r.complete || !req.partial) && has_substance(text) {
                if let Some(f) = self.unrefused_harm(ctx, &mut v.timings) {
                    findings.push(f);
                }
            }
        }
        if let Some((implied, span)) = reading.and_then(|r| r.implied) {
            if let Some(f) = self.implied_harm(&implied, span, &mut v.timings) {
                findings.push(f);
            }
        }

        p.active = findings.iter().map(|f| self.is_active(f)).collect();
        if let Some(i) = bare_frame {
            if let (Some(a), Some(f)) = (p.active.get_mut(i), findings.get_mut(i)) {
                if *a {
                    *a = false;
                    f.message = Some(format!(
                        "attack head probability {:.3}: a jailbreak frame around a request the unsafe head finds harmless needs {:.2}",
                        f.score, self.policy.frame_gate.min_attack
                    ));
                }
            }
        }
        if let Some(i) = critical_at {
            if self.grave_term(&mut findings, &mut p.active, i, &norm.folded) {
                unnamed_critical = unnamed_critical.filter(|&u| u != i);
            }
        }
        if req.direction == Direction::Input && req.kind == Kind::Prompt {
            self.hold_back_for_crisis_help(&mut findings, &mut p.active, &norm.folded);
        }
        // Model findings under their threshold are dropped from the list
        // unless the judge may look at them (then they explain the call).
        let band = self.policy.band;
        let in_band = |x: Option<f32>| x.is_some_and(|x| x >= band.low && x < band.high);
        let decided_by_rules = findings
            .iter()
            .zip(&p.active)
            .any(|(f, &a)| a && f.tier == Tier::Rules && f.category != Category::Obfuscation);
        p.uncertain = !decided_by_rules && p.probs.all().into_iter().any(in_band);
        let keep: Vec<bool> = findings
            .iter()
            .zip(&p.active)
            .map(|(f, &a)| {
                a || (f.tier == Tier::Model
                    && p.uncertain
                    && self.judge.is_some()
                    && f.score >= band.low)
            })
            .collect();
        // The harm lexicon's pass over the text is paid only for an unsafe
        // finding that is kept: most texts score far below the threshold
        // (the lookup was 2 % of every check).
        // A gloss's finding is named from the gloss: the lexicon is English
        // and Chinese.
        let named = [
            (unnamed_unsafe, Some(norm.folded.as_str())),
            (unnamed_statement, Some(norm.folded.as_str())),
            (unnamed_critical, Some(norm.folded.as_str())),
            (unnamed_gloss, glossed.as_deref()),
        ];
        for (i, text) in named {
            let (Some(i), Some(text)) = (i, text) else {
                continue;
            };
            if keep.get(i) != Some(&true) {
                continue;
            }
            if let Some(c) = palisade_model::harm_category(text).and_then(|c| c.parse().ok()) {
                findings[i].category = c;
            }
        }
        let mut k = keep.iter();
        findings.retain(|_| *k.next().unwrap_or(&false));
        let mut k = keep.iter();
        p.active.retain(|_| *k.next().unwrap_or(&false));
        v.findings = findings;
        v.uncertain = p.uncertain;
        p.verdict = v;
        p
    }

    /// Makes the critical head's finding at `i` active when the head is
    /// short of its own threshold but at the grave-term threshold, and
    /// `folded` names one of the gravest means or acts; returns whether it
    /// did, having named the finding's category after the term's group
    /// when no rule named one. Paid only in that band: the term search
    /// runs on few prompts.
    fn grave_term(
        &self,
        findings: &mut [Finding],
        active: &mut [bool],
        i: usize,
        folded: &str,
    ) -> bool {
        let (Some(grave), Some(f), Some(a)) = (&self.grave, findings.get_mut(i), active.get_mut(i))
        else {
            return false;
        };
        let needs = self.threshold(GRAVE_DETECTOR, GRAVE_THRESHOLD);
        if *a
            || f.score < needs
            || self.policy.is_disabled(&f.detector)
            || self.policy.is_disabled(GRAVE_DETECTOR)
        {
            return false;
        }
        let Some(t) = grave.find(folded) else {
            return false;
        };
        *a = true;
        if f.category == Category::UnsafeOther {
            f.category = t.category;
        }
        f.message = Some(format!(
            "critical head probability {:.3} on a prompt naming {:?} ({}): {needs:.2} is enough with such a term",
            f.score, t.term, t.group
        ));
        true
    }

    /// Holds back the content heads' active findings on a prompt that
    /// asks for help in a crisis and for no means, when no rule read a
    /// harmful request in it. Paid only when a head alone flags content.
    fn hold_back_for_crisis_help(
        &self,
        findings: &mut [Finding],
        active: &mut [bool],
        folded: &str,
    ) {
        let Some(crisis) = &self.crisis else {
            return;
        };
        let flagged_by = |tier: Tier| {
            findings
                .iter()
                .zip(active.iter())
                .any(|(f, &a)| a && f.tier == tier && f.category.is_content())
        };
        if !flagged_by(Tier::Model)
            || flagged_by(Tier::Rules)
            || self.policy.is_disabled(CRISIS_GATE)
            || !crisis.asks_for_help(folded)
        {
            return;
        }
        for (f, a) in findings.iter_mut().zip(active.iter_mut()) {
            if *a && f.tier == Tier::Model && f.category.is_content() {
                *a = false;
                f.message = Some(format!(
                    "{} probability {:.3}, held back: the prompt asks for help in a crisis and for no means",
                    f.detector, f.score
                ));
            }
        }
    }

    /// The strongest active content finding of `request` read as a user's
    /// prompt (read once, then cached), re-issued for an answer as
    /// `detector` at `span`. The time each tier took on the request is
    /// added to `timings`.
    fn request_harm(
        &self,
        request: &str,
        detector: &str,
        span: Option<Span>,
        timings: &mut Vec<TierTiming>,
        why: impl FnOnce(&Finding) -> String,
    ) -> Option<Finding> {
        let f = match self.request_harm_cache.get(request) {
            Some(hit) => hit,
            None => {
                let sub = self.tiers12(&Request::prompt(request));
                for t in &sub.verdict.timings {
                    match timings.iter_mut().find(|x| x.tier == t.tier) {
                        Some(x) => x.micros += t.micros,
                        None => timings.push(*t),
                    }
                }
                let f = strongest_content(&sub);
                self.request_harm_cache
                    .insert(request.to_string(), f.clone());
                f
            }
        }?;
        Some(Finding {
            detector: detector.into(),
            category: f.category,
            severity: f.severity,
            score: f.score,
            tier: f.tier,
            span,
            message: Some(why(&f)),
        })
    }

    /// The finding of an answer that agrees to a task whose request reads
    /// as harmful content, on the agreeing sentence.
    fn implied_harm(
        &self,
        implied: &str,
        span: std::ops::Range<usize>,
        timings: &mut Vec<TierTiming>,
    ) -> Option<Finding> {
        let at = Span {
            start: span.start,
            end: span.end,
        };
        self.request_harm(implied, "answer.compliance", Some(at), timings, |f| {
            format!(
                "the answer agrees to a task whose request reads as harmful ({} {:.2}): {implied:?}",
                f.detector, f.score
            )
        })
    }

    /// The finding of an answer that does not refuse a request reading
    /// as harmful content (no span: the whole answer).
    fn unrefused_harm(&self, context: &str, timings: &mut Vec<TierTiming>) -> Option<Finding> {
        // The ask usually closes a long request (a document, then "now
        // write..."), so its end is what is read.
        let mut start = context.len().saturating_sub(MAX_CONTEXT_BYTES);
        while !context.is_char_boundary(start) {
            start += 1;
        }
        self.request_harm(&context[start..], "answer.unrefused", None, timings, |f| {
            format!(
                "the answer does not refuse a request that reads as harmful ({} {:.2})",
                f.detector, f.score
            )
        })
    }

    fn decider(&self, p: &Partial) -> Tier {
        let active = |tier: Tier| {
            p.verdict
                .findings
                .iter()
                .zip(&p.active)
                .any(|(f, &a)| a && f.tier == tier && f.category != Category::Obfuscation)
        };
        if active(Tier::Rules) {
            Tier::Rules
        } else if active(Tier::Model) || self.model.is_some() {
            Tier::Model
        } else {
            Tier::Rules
        }
    }

    fn finish(&self, mut p: Partial<'_>, req: &Request<'_>) -> Verdict {
        if p.settled {
            p.verdict.latency_us = micros(p.started);
            return p.verdict;
        }
        if p.verdict.tier != Tier::Judge {
            p.verdict.tier = self.decider(&p);
        }
        let actions = self.policy.actions(req.direction);
        let mut action = Action::Allow;
        let mut top = 0.0f32;
        let mut harmful = false;
        let mut controversial = false;
        for (f, &a) in p.verdict.findings.iter().zip(&p.active) {
            if !a {
                continue;
            }
            let act = actions.get(f.category);
            action = action.max(act);
            if act != Action::Allow {
                top = top.max(f.score);
                // Advice that needs a professional is controversial, not
                // harmful: the same question is fine in a clinic's app.
                match f.category {
                    Category::Obfuscation => {}
                    Category::SpecializedAdvice => controversial = true,
                    _ => harmful = true,
                }
            }
        }
        let v = &mut p.verdict;
        v.action = action;
        v.flagged = action != Action::Allow;
        v.confidence = if v.flagged {
            top
        } else {
            let worst = p.probs.all().into_iter().flatten().fold(0.0f32, f32::max);
            1.0 - worst
        };
        if harmful {
            v.safety = SafetyLevel::Unsafe;
        } else if controversial
            || v.safety != SafetyLevel::Controversial
                && p.probs
                    .all()
                    .into_iter()
                    .flatten()
                    .any(|x| x >= self.policy.band.low)
        {
            v.safety = SafetyLevel::Controversial;
        }
        if action == Action::Mask {
            let (masked, spans) = mask(&p.text, &v.findings, &p.active, |c| actions.get(c));
            v.masked_text = Some(masked);
            v.masked_spans = spans;
        }
        // Strongest first: active before inactive, then by score.
        let mut order: Vec<usize> = (0..v.findings.len()).collect();
        order.sort_by(|&a, &b| {
            p.active[b]
                .cmp(&p.active[a])
                .then(v.findings[b].score.total_cmp(&v.findings[a].score))
        });
        v.findings = order.into_iter().map(|i| v.findings[i].clone()).collect();
        v.latency_us = micros(p.started);
        p.verdict
    }
}

/// The category a rule's finding is reported under: in a tool description
/// an attack is tool poisoning.
fn rule_category(category: Category, kind: Kind) -> Category {
    if kind == Kind::ToolDescription && category.is_attack() {
        Category::ToolPoisoning
    } else {
        category
    }
}

/// The category of a data-catalogue entity: credentials are secrets,
/// everything else sensitive data.
fn dlp_category(e: &palisade_dlp::Entity) -> Category {
    if e.category == "credential" {
        Category::Secret
    } else {
        Category::SensitiveData
    }
}

/// Sensitive data and secrets as findings (tier 1: patterns, validators
/// and context words), with their spans so the policy can mask them.
fn dlp_findings(dlp: &palisade_dlp::Engine, text: &str, out: &mut Vec<Finding>) {
    for e in dlp.scan(text) {
        let category = dlp_category(&e);
        let name = dlp
            .catalog()
            .get(&e.type_id)
            .map_or(e.type_id.as_str(), |t| t.name.as_str());
        out.push(Finding {
            detector: format!("dlp.{}", e.type_id),
            category,
            severity: match e.grade {
                palisade_dlp::Grade::S4 => Severity::High,
                palisade_dlp::Grade::S3 => Severity::Medium,
                _ => Severity::Low,
            },
            score: e.score,
            tier: Tier::Rules,
            span: Some(Span {
                start: e.start,
                end: e.end,
            }),
            message: Some(format!(
                "{name} ({:?}{})",
                e.grade,
                if e.validated { ", validated" } else { "" }
            )),
        });
    }
}

/// The instruction head as the cascade reads it: packed with the others
/// at inference, a plain head while training one.
#[derive(Clone, Copy)]
enum SegmentHead<'a> {
    Plain(&'a Head),
    Packed(&'a PackedHeads, usize),
}

impl SegmentHead<'_> {
    fn prob(&self, x: &SparseVec) -> f32 {
        match self {
            Self::Plain(h) => h.prob(x),
            Self::Packed(p, h) => p.prob(*h, x).unwrap_or(0.0),
        }
    }
}

/// The one signal a segment's features carry.
const SEGMENT_SIGNALS: &[&str] = &["segment"];

/// A segment's features on their own (training reads segments one by one;
/// a check takes them from its text's [`palisade_model::Extraction`]).
fn segment_vector(folded: &str, bits: u32) -> SparseVec {
    let mut x = SparseVec::default();
    palisade_model::extract_plain_into(
        &ModelInput {
            folded,
            signals: SEGMENT_SIGNALS,
        },
        bits,
        &mut x,
    );
    x
}

fn model_finding(head: &str, category: Category, p: f32) -> Finding {
    Finding {
        detector: format!("model.{head}"),
        category,
        severity: if p >= 0.9 {
            Severity::High
        } else {
            Severity::Medium
        },
        score: p,
        tier: Tier::Model,
        span: None,
        message: Some(format!("{head} head probability {p:.3}")),
    }
}

/// The text the model reads: the folded view with each encoded run of the
/// text replaced by what it decodes to, so an instruction hidden in base64
/// or Morse is classified like a visible one and the run's symbols do not
/// outweigh it; segments decoded from inside others, and tag characters
/// (no longer in the text), follow at the end. Where folding moved bytes
/// (a word spelled letter by letter joined), the runs' places are not
/// known in the folded view and every segment follows at the end.
fn model_text(norm: &Normalized) -> Cow<'_, str> {
    // A camelCase name is left to the rules: in code it is a name the heads
    // know as it stands.
    let read: Vec<&palisade_normalize::Decoded> = norm
        .decoded
        .iter()
        .filter(|d| d.encoding != step::CAMEL_CASE)
        .collect();
    if read.is_empty() {
        return Cow::Borrowed(norm.folded.as_str());
    }
    let same_places = norm.folded.len() == norm.text.len();
    let place = |d: &palisade_normalize::Decoded| {
        d.text_span.filter(|s| {
            same_places
                && s.start < s.end
                && norm.folded.is_char_boundary(s.start)
                && norm.folded.is_char_boundary(s.end)
        })
    };
    // Widest first where two runs start together; a run inside one already
    // replaced (two decoders reading one run) follows at the end instead.
    let mut order: Vec<usize> = (0..read.len()).collect();
    order.sort_by_key(|&i| place(read[i]).map(|s| (s.start, std::cmp::Reverse(s.end))));
    let mut s = String::with_capacity(norm.folded.len());
    let mut at = 0;
    let mut after = Vec::new();
    for i in order {
        let d = read[i];
        match place(d) {
            Some(span) if span.start >= at => {
                s.push_str(norm.folded.get(at..span.start).unwrap_or_default());
                s.push_str(&d.text.to_lowercase());
                at = span.end;
            }
            _ => after.push(i),
        }
    }
    s.push_str(norm.folded.get(at..).unwrap_or_default());
    after.sort_unstable();
    for d in after.into_iter().filter_map(|i| read.get(i)) {
        s.push('\n');
        s.push_str(&d.text.to_lowercase());
    }
    Cow::Owned(s)
}

/// Replaces the spans of active findings whose action is `mask`.
fn mask(
    text: &str,
    findings: &[Finding],
    active: &[bool],
    action: impl Fn(Category) -> Action,
) -> (String, Vec<Span>) {
    let mut spans: Vec<Span> = findings
        .iter()
        .zip(active)
        .filter(|(f, &a)| a && action(f.category) == Action::Mask)
        .filter_map(|(f, _)| f.span)
        .filter(|s| {
            s.start < s.end
                && s.end <= text.len()
                && text.is_char_boundary(s.start)
                && text.is_char_boundary(s.end)
        })
        .collect();
    spans.sort_by_key(|s| s.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut kept = Vec::with_capacity(spans.len());
    for s in spans {
        if s.start < at {
            continue;
        }
        out.push_str(&text[at..s.start]);
        out.push_str("[MASKED]");
        at = s.end;
        kept.push(s);
    }
    out.push_str(&text[at..]);
    (out, kept)
}
