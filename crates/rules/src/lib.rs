//! Tier 1 of the guard: deterministic rules.
//!
//! Rule packs are YAML data files (see `rules/guard/README.md`). They are
//! validated at load — an error names the file, the rule and the line — and
//! compiled into one Aho-Corasick automaton of the patterns' literal
//! prefixes ([`prefilter`]) plus one regex per pattern. The built-in packs,
//! which the tests validate whole, build each regex on first use (`lazy`);
//! a server builds them all at start ([`RuleSet::compile_all`]). One pass of the
//! automaton over the text tells which patterns can match; only those run,
//! and only where a match can lie: anchored at their prefixes, or in
//! windows around their literals as wide as their longest match (`reach`).
//! Matching cost is therefore linear in the text and nearly flat in the
//! number of rules.
//!
//! Unicode `\b` stops regex's DFAs on non-ASCII text and drops matching to
//! the slow PikeVM, so pattern `\b`/`\B` are compiled as ASCII word
//! boundaries; packs that need a boundary next to a non-ASCII letter write it
//! out explicitly.

mod ascii_mode;
mod boundary;
pub use boundary::ascii_word_boundaries;
mod engine;
mod factor;
mod forms;
mod lazy;
mod lexicon;
pub mod pattern_file;
pub mod prefilter;
mod quoted;
mod reach;
mod salad;
mod set;
mod spec;

pub use salad::Salad;
pub use set::{Matches, PatternSet};
pub use spec::{Corroborate, Examples, PackSpec, RuleSpec};

use lazy::LazyRegex;
use palisade_core::{Category, Kind, Severity};
use regex_automata::{Anchored, Input};
use std::collections::HashSet;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/builtin_packs.rs"));

/// Why a set of packs could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The file could not be read.
    #[error("cannot read rule pack {file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The YAML does not parse or does not fit the schema.
    #[error("rule pack {file}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A rule is well-formed YAML but wrong (bad category, bad regex, …).
    #[error("rule pack {file}, rule `{rule}`{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Invalid {
        /// The file.
        file: String,
        /// The rule id.
        rule: String,
        /// 1-based line of the rule, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A regex of a pack checked ahead of time does not build after all
    /// ([`RuleSet::compile_all`]).
    #[error("rule {rule}: {message}")]
    Compile {
        /// The rule id.
        rule: String,
        /// What is wrong.
        message: String,
    },
    /// No rule at all was loaded.
    #[error("no rule packs found in {0}")]
    Empty(String),
}

/// The prefilter's key of one pattern ([`RuleSet::pattern_keys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternKey {
    /// The rule's id.
    pub rule: String,
    /// The pattern's 1-based place among its rule's patterns.
    pub nth: usize,
    /// Literals one of which must occur for the pattern to run (empty:
    /// it runs on every text).
    pub first: Vec<String>,
    /// Literals one of which must also occur (empty: none required).
    pub second: Vec<String>,
}

/// A validated, compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// Pack it came from.
    pub pack: String,
    /// Category it reports.
    pub category: Category,
    /// Severity it reports.
    pub severity: Severity,
    /// Confidence it reports.
    pub score: f32,
    /// Languages covered.
    pub languages: Vec<String>,
    /// Kinds it applies to (`None`: all).
    pub kinds: Option<Vec<Kind>>,
    /// Human description.
    pub description: String,
    /// Whether the small model sees this rule's hits as features.
    pub model_signal: bool,
    /// Whether its patterns tell case apart; such a rule is matched
    /// against the plain view of a text, not the lower-cased one.
    pub case_sensitive: bool,
    /// Whether, in documents and tool results, a match quoted as an
    /// example in a text about attacks is passed over (`quoted.rs`).
    pub spare_quoted_examples: bool,
    /// Its examples.
    pub examples: Examples,
}

impl Rule {
    /// True when the rule applies to text of this kind.
    pub fn applies_to(&self, kind: Kind) -> bool {
        self.kinds.as_ref().is_none_or(|ks| ks.contains(&kind))
    }
}

/// One rule that matched, with the byte range of its first match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Index into [`RuleSet::rules`].
    pub rule: usize,
    /// Start byte in the scanned text.
    pub start: usize,
    /// End byte in the scanned text.
    pub end: usize,
}

/// All loaded rules compiled into one automaton.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    prefilter: prefilter::Prefilter,
    /// The patterns as compiled (kept to build subsets' prefilters).
    pattern_src: Vec<String>,
    patterns: Vec<LazyRegex>,
    pattern_rule: Vec<usize>,
    /// Per rule: the words one of which a text must contain (`requires`).
    required: Vec<Option<aho_corasick::AhoCorasick>>,
    /// Per rule: texts it stays silent on (`unless`).
    unless: Vec<Vec<LazyRegex>>,
    /// Per rule: matches it passes over (`spare`).
    spare: Vec<Vec<LazyRegex>>,
    /// Per rule: how many of its corroborating patterns must also match.
    corroborate: Vec<Option<(usize, Vec<LazyRegex>)>>,
    /// Per rule: the token salad its match must be followed by.
    salad: Vec<Option<Salad>>,
    /// Per pattern: where its matches can lie around its literals, when
    /// they are bounded in length.
    around: Vec<Option<reach::Around>>,
}

impl RuleSet {
    /// The packs compiled into the binary from `rules/guard/`. Their
    /// regexes are built when first needed: the tests build and check
    /// every one ([`RuleSet::compile_all`]), so a one-shot check does not
    /// pay for the hundreds its text never reaches.
    pub fn builtin() -> Result<Self, RuleError> {
        Self::load(BUILTIN_PACKS.iter().copied(), Checks::AheadOfTime)
    }

    /// Loads every `*.yaml`/`*.yml` file of a directory.
    pub fn load_dir(dir: &Path) -> Result<Self, RuleError> {
        let rd = std::fs::read_dir(dir).map_err(|source| RuleError::Io {
            file: dir.display().to_string(),
            source,
        })?;
        let mut files: Vec<_> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        files.sort();
        let mut sources = Vec::with_capacity(files.len());
        for f in &files {
            let text = std::fs::read_to_string(f).map_err(|source| RuleError::Io {
                file: f.display().to_string(),
                source,
            })?;
            sources.push((f.display().to_string(), text));
        }
        if sources.is_empty() {
            return Err(RuleError::Empty(dir.display().to_string()));
        }
        Self::from_sources(sources.iter().map(|(f, t)| (f.as_str(), t.as_str())))
    }

    /// Parses, validates and compiles packs given as `(file name, YAML)`.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, RuleError> {
        Self::load(sources, Checks::AtLoad)
    }

    /// Builds every regex not built yet and checks that it builds and does
    /// not match the empty string: for a server, which should not build
    /// them while answering, and for `rules check`. (The boundary check of
    /// a pack read from a file needs the pattern as written; the built-in
    /// packs get it from their test, which loads them with every check.)
    pub fn compile_all(&self) -> Result<(), RuleError> {
        let mut nth = vec![0usize; self.rules.len()];
        let patterns = self
            .pattern_rule
            .iter()
            .zip(&self.patterns)
            .map(|(&ri, re)| {
                nth[ri] += 1;
                (ri, format!("pattern {}", nth[ri]), re)
            });
        let vetoes = self.unless.iter().enumerate().flat_map(|(ri, v)| {
            v.iter()
                .enumerate()
                .map(move |(i, re)| (ri, format!("`unless` {}", i + 1), re))
        });
        let spares = self.spare.iter().enumerate().flat_map(|(ri, v)| {
            v.iter()
                .enumerate()
                .map(move |(i, re)| (ri, format!("`spare` {}", i + 1), re))
        });
        let also = self.corroborate.iter().enumerate().flat_map(|(ri, c)| {
            c.iter().flat_map(move |(_, v)| {
                v.iter()
                    .enumerate()
                    .map(move |(i, re)| (ri, format!("`corroborate` pattern {}", i + 1), re))
            })
        });
        let all: Vec<_> = patterns.chain(vetoes).chain(spares).chain(also).collect();
        lazy::build_all(&all.iter().map(|(_, _, re)| *re).collect::<Vec<_>>());
        for (ri, what, re) in all {
            let fail = |message: String| RuleError::Compile {
                rule: self.rules[ri].id.clone(),
                message,
            };
            let re = re
                .build()
                .map_err(|e| fail(format!("{what} does not compile: {e}")))?;
            if re.matches_empty() {
                return Err(fail(format!("{what} matches the empty string")));
            }
        }
        // The salad test's word list too, so a server's first suspicious
        // prompt does not pay for building it.
        if self
            .salad
            .iter()
            .flatten()
            .any(|s| s.min_odd_and_unknown.is_some())
            && lexicon::Lexicon::builtin().is_none()
        {
            return Err(RuleError::Compile {
                rule: "(salad word list)".into(),
                message: "crates/rules/data/lexicon_en.txt does not parse".into(),
            });
        }
        Ok(())
    }

    fn load<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
        checks: Checks,
    ) -> Result<Self, RuleError> {
        let mut rules = Vec::new();
        let mut pattern_src = Vec::new();
        let mut patterns = Vec::new();
        let mut pattern_rule = Vec::new();
        let mut required = Vec::new();
        let mut unless = Vec::new();
        let mut spare = Vec::new();
        let mut corroborate = Vec::new();
        let mut salad = Vec::new();
        let mut modes = Vec::new();
        let mut ids = HashSet::new();
        let mut packs = HashSet::new();
        for (file, source) in sources {
            let mut pack: PackSpec =
                serde_yaml::from_str(source).map_err(|e| RuleError::Syntax {
                    file: file.to_string(),
                    line: e.location().map(|l| l.line()),
                    message: e.to_string(),
                })?;
            if pack.version != 1 {
                return Err(RuleError::Syntax {
                    file: file.to_string(),
                    line: None,
                    message: format!("unsupported pack version {} (expected 1)", pack.version),
                });
            }
            if !packs.insert(pack.pack.clone()) {
                return Err(RuleError::Syntax {
                    file: file.to_string(),
                    line: None,
                    message: format!("pack name `{}` is used by another file", pack.pack),
                });
            }
            pack.expand_sets(file, source)?;
            for spec in pack.rules {
                let category = spec.validate(file, source)?;
                let invalid = |message: String| RuleError::Invalid {
                    file: file.to_string(),
                    rule: spec.id.clone(),
                    line: spec::line_of_rule(source, &spec.id),
                    message,
                };
                if !ids.insert(spec.id.clone()) {
                    return Err(invalid("duplicate rule id".into()));
                }
                for (i, p) in spec.patterns.iter().enumerate() {
                    let what = format!("pattern {}", i + 1);
                    let (compiled, re, mode) =
                        compile_rule_regex(p, spec.case_sensitive, &what, checks)
                            .map_err(invalid)?;
                    modes.push(mode);
                    pattern_src.push(compiled);
                    patterns.push(re);
                    pattern_rule.push(rules.len());
                }
                required.push(if spec.requires.is_empty() {
                    None
                } else {
                    Some(
                        aho_corasick::AhoCorasick::builder()
                            .ascii_case_insensitive(true)
                            .build(&spec.requires)
                            .map_err(|e| invalid(format!("`requires` does not compile: {e}")))?,
                    )
                });
                // The side lists (`unless`, `corroborate`) are whole-text
                // tests: compiled alike, named by list and position.
                let side = |list: &[String], label: &str| -> Result<Vec<LazyRegex>, RuleError> {
                    list.iter()
                        .enumerate()
                        .map(|(i, p)| {
                            let what = format!("{label} {}", i + 1);
                            compile_rule_regex(p, spec.case_sensitive, &what, checks)
                                .map(|(_, re, _)| re)
                                .map_err(invalid)
                        })
                        .collect()
                };
                unless.push(side(&spec.unless, "`unless`")?);
                spare.push(side(&spec.spare, "`spare`")?);
                corroborate.push(match &spec.corroborate {
                    None => None,
                    Some(c) => Some((c.min, side(&c.patterns, "`corroborate` pattern")?)),
                });
                salad.push(spec.salad_after);
                rules.push(Rule {
                    id: spec.id,
                    pack: pack.pack.clone(),
                    category,
                    severity: spec.severity,
                    score: spec.score,
                    languages: spec.languages,
                    kinds: spec.kinds,
                    description: spec.description,
                    model_signal: spec.model_signal,
                    case_sensitive: spec.case_sensitive,
                    spare_quoted_examples: spec
                        .spare_quoted_examples
                        .unwrap_or(pack.spare_quoted_examples),
                    examples: spec.examples,
                });
            }
        }
        if rules.is_empty() {
            return Err(RuleError::Empty("the given sources".into()));
        }
        let reaches: Vec<Option<reach::Reach>> = modes.iter().map(|m| m.reach).collect();
        let bounded: Vec<bool> = reaches.iter().map(Option::is_some).collect();
        let prefilter = prefilter::Prefilter::new(&pattern_src, &bounded);
        let around = modes
            .iter()
            .zip(reaches)
            .enumerate()
            .map(|(pi, (m, whole))| Some(m.around(whole?, &pattern_src[pi], prefilter.origin(pi))))
            .collect();
        Ok(Self {
            rules,
            prefilter,
            around,
            pattern_src,
            patterns,
            pattern_rule,
            required,
            unless,
            spare,
            corroborate,
            salad,
        })
    }

    /// The rules `keep` accepts, as a set of their own (compiled patterns
    /// are shared, not rebuilt); `None` when it accepts none. For asking a
    /// narrow question cheaply, e.g. whether any rule of a masked category
    /// could match, without running every rule.
    pub fn subset(&self, keep: impl Fn(&Rule) -> bool) -> Option<RuleSet> {
        let kept: Vec<usize> = (0..self.rules.len())
            .filter(|&i| keep(&self.rules[i]))
            .collect();
        if kept.is_empty() {
            return None;
        }
        let mut new_index = vec![usize::MAX; self.rules.len()];
        for (n, &i) in kept.iter().enumerate() {
            new_index[i] = n;
        }
        let mut pattern_src = Vec::new();
        let mut patterns = Vec::new();
        let mut pattern_rule = Vec::new();
        let mut around = Vec::new();
        for (pi, &ri) in self.pattern_rule.iter().enumerate() {
            if new_index[ri] != usize::MAX {
                around.push(self.around[pi]);
                pattern_src.push(self.pattern_src[pi].clone());
                patterns.push(self.patterns[pi].clone());
                pattern_rule.push(new_index[ri]);
            }
        }
        Some(RuleSet {
            rules: kept.iter().map(|&i| self.rules[i].clone()).collect(),
            // The same sources give the same literal sets, so each pattern's
            // bounds stay as they were.
            prefilter: prefilter::Prefilter::new(
                &pattern_src,
                &around.iter().map(Option::is_some).collect::<Vec<_>>(),
            ),
            around,
            pattern_src,
            patterns,
            pattern_rule,
            required: kept.iter().map(|&i| self.required[i].clone()).collect(),
            unless: kept.iter().map(|&i| self.unless[i].clone()).collect(),
            spare: kept.iter().map(|&i| self.spare[i].clone()).collect(),
            corroborate: kept.iter().map(|&i| self.corroborate[i].clone()).collect(),
            salad: kept.iter().map(|&i| self.salad[i]).collect(),
        })
    }

    /// The loaded rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Appends one [`Match`] per rule that applies to `kind` and matches
    /// `text` (rules already present in `out` are skipped, so several views
    /// of one input can be scanned into one list).
    pub fn scan(&self, text: &str, kind: Kind, out: &mut Vec<Match>) {
        self.scan_views(text, text, kind, out);
    }

    /// [`scan`] over two views of one text: `folded`, its lower-cased
    /// (and otherwise folded) form, for the caseless rules, and `plain`,
    /// its form with case kept, for the `case_sensitive` ones. A cased
    /// rule is searched in `plain` only when the literal prefilter, which
    /// ignores ASCII case, found its literals in `folded`, so the second
    /// view costs nothing on texts that cannot match. Offsets of a cased
    /// rule's match are in `plain`.
    ///
    /// [`scan`]: RuleSet::scan
    pub fn scan_views(&self, folded: &str, plain: &str, kind: Kind, out: &mut Vec<Match>) {
        if folded.is_empty() {
            return;
        }
        let views = Views { folded, plain };
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut s) => {
                let s = &mut *s;
                self.scan_into(views, kind, out, s);
            }
            // Never re-entered; kept safe all the same.
            Err(_) => self.scan_into(views, kind, out, &mut prefilter::Scratch::default()),
        });
    }

    /// [`scan`] with the buffers it reuses. Not inlined, so that profiles
    /// and instruction counts can name it.
    ///
    /// [`scan`]: RuleSet::scan
    #[inline(never)]
    fn scan_into(
        &self,
        views: Views<'_>,
        kind: Kind,
        out: &mut Vec<Match>,
        sc: &mut prefilter::Scratch,
    ) {
        let text = views.folded;
        self.prefilter.candidates_into(text, sc);
        let (cand, starts) = (&sc.list, &sc.starts);
        let mut present = Present::default();
        let mut runs = None;
        let mut plain_runs = None;
        let mut same_up_to_ascii_case: Option<bool> = None;
        // Rules an exception silenced on this text: their other patterns
        // need not be searched, nor the exception checked again.
        let mut silenced: Vec<usize> = Vec::new();
        // Whether the text talks about attacks, found when first needed.
        let mut talk: Option<bool> = None;
        for &(pi, from) in cand {
            let ri = self.pattern_rule[pi];
            if !self.rules[ri].applies_to(kind)
                || out.iter().any(|m| m.rule == ri)
                || silenced.contains(&ri)
                || !present.holds(self, ri, text)
            {
                continue;
            }
            if self.rules[ri].case_sensitive {
                // Where folding changed nothing but ASCII case, every byte
                // offset is the same in both views, so the literal places
                // found in the folded one anchor the search in the plain
                // one; otherwise the whole plain view is searched.
                let same_offsets = *same_up_to_ascii_case.get_or_insert_with(|| {
                    views.plain.as_bytes().eq_ignore_ascii_case(text.as_bytes())
                });
                let m = if same_offsets {
                    self.find_pattern(pi, views.plain, from, starts, &mut plain_runs)
                } else {
                    self.patterns
                        .get(pi)
                        .and_then(|re| re.get()?.find(views.plain.as_bytes()))
                };
                let m = self.kept(pi, m, views.plain, kind, &mut talk, text);
                self.record(ri, m, views.plain, out, &mut silenced);
                continue;
            }
            let m = self.find_pattern(pi, text, from, starts, &mut runs);
            let m = self.kept(pi, m, text, kind, &mut talk, text);
            self.record(ri, m, text, out, &mut silenced);
        }
    }

    /// `m`, pattern `pi`'s first match in `text`; but when its rule passes
    /// `m` over, the pattern's first later match that it does not, or none.
    /// A rule passes over a match its `spare` list finds in the match's own
    /// text, and, when it spares quoted examples, `kind` is a document or
    /// a tool result and the text talks about attacks (`talk`, found once
    /// per text in its folded view), a quoted one (see `quoted.rs`). One
    /// search serves both, so a quoted match is not taken for the rule's
    /// because a spared one came first, nor the other way round.
    pub(crate) fn kept(
        &self,
        pi: usize,
        m: Option<regex_automata::Match>,
        text: &str,
        kind: Kind,
        talk: &mut Option<bool>,
        folded: &str,
    ) -> Option<regex_automata::Match> {
        let m = m?;
        let ri = *self.pattern_rule.get(pi)?;
        let quoting = self.rules.get(ri)?.spare_quoted_examples
            && matches!(kind, Kind::Document | Kind::ToolOutput);
        let spare = self.spare.get(ri).map(Vec::as_slice).unwrap_or_default();
        if !quoting && spare.is_empty() {
            return Some(m);
        }
        let mut passed_over = |m: &regex_automata::Match| {
            (quoting
                && quoted::is_quoted(text, m.start(), m.end())
                && *talk.get_or_insert_with(|| quoted::talks_about_attacks(folded)))
                || {
                    // Bytes, not characters: a pattern compiled for bytes
                    // can match from inside a character, where slicing the
                    // text would panic.
                    let own = text.as_bytes().get(m.start()..m.end()).unwrap_or_default();
                    spare
                        .iter()
                        .any(|re| re.get().is_some_and(|re| re.is_match(own)))
                }
        };
        if !passed_over(&m) {
            return Some(m);
        }
        self.next_kept(pi, m, text, passed_over)
    }

    /// Pattern `pi`'s first match after `m` in `text` that `skip` does not
    /// pass over, searching at most [`quoted::MAX_PASSED_OVER`] times;
    /// past that, the last match found, skipped or not (a text that repeats
    /// one form this often is taken at its word); `None` when the pattern
    /// matches no more.
    fn next_kept(
        &self,
        pi: usize,
        mut m: regex_automata::Match,
        text: &str,
        mut skip: impl FnMut(&regex_automata::Match) -> bool,
    ) -> Option<regex_automata::Match> {
        let re = self.patterns.get(pi)?.get()?;
        for _ in 0..quoted::MAX_PASSED_OVER {
            // Leftmost-first from the next byte: the next match may begin
            // inside the one passed over. Bytes, not characters: a pattern
            // compiled for bytes can match from inside a character, where
            // slicing the text would panic.
            let next = (m.start() + 1).min(text.len());
            m = re.search(&Input::new(text.as_bytes()).range(next..))?;
            if !skip(&m) {
                return Some(m);
            }
        }
        Some(m)
    }

    /// Records rule `ri`'s match `m` in `text` (the view it was found in),
    /// unless the rule's salad, exceptions or corroboration say no; the
    /// last two are properties of the whole text, so a rule that fails
    /// either goes to `silenced` and is not tried again on it.
    fn record(
        &self,
        ri: usize,
        m: Option<regex_automata::Match>,
        text: &str,
        out: &mut Vec<Match>,
        silenced: &mut Vec<usize>,
    ) {
        let Some(m) = m else {
            return;
        };
        if self
            .salad
            .get(ri)
            .copied()
            .flatten()
            .is_some_and(|s| !s.follows(text, m.end()))
        {
            return;
        }
        if self.vetoed(ri, text) || !self.corroborated(ri, text) {
            silenced.push(ri);
            return;
        }
        let (start, end) = char_bounds(text, m.start(), m.end());
        out.push(Match {
            rule: ri,
            start,
            end,
        });
    }

    /// True unless rule `ri` asks for corroboration that `text` lacks.
    fn corroborated(&self, ri: usize, text: &str) -> bool {
        match self.corroborate.get(ri) {
            Some(Some((min, res))) => {
                res.iter()
                    .filter(|re| re.get().is_some_and(|re| re.is_match(text.as_bytes())))
                    .take(*min)
                    .count()
                    >= *min
            }
            _ => true,
        }
    }

    /// True when one of rule `ri`'s `unless` patterns matches `text`.
    fn vetoed(&self, ri: usize, text: &str) -> bool {
        self.unless.get(ri).is_some_and(|v| {
            v.iter()
                .any(|re| re.get().is_some_and(|re| re.is_match(text.as_bytes())))
        })
    }

    /// The first match of pattern `pi` in `text`, searching from `from`,
    /// only at the listed literal places (`starts`: pattern, start, end;
    /// sorted) when its matches can begin nowhere else, or only around
    /// them when its matches are bounded in length.
    ///
    /// An unanchored search that finds nothing reads the text to its end,
    /// once per candidate pattern: a 2 KB jailbreak makes ~80 patterns
    /// candidates, and those scans were most of its rule time. Anchored at
    /// a literal, a search that fails usually stops within a few bytes.
    /// Past [`MAX_ANCHORED_STARTS`] positions one scan is cheaper.
    fn find_pattern(
        &self,
        pi: usize,
        text: &str,
        from: usize,
        starts: &[(usize, usize, usize)],
        runs: &mut Option<reach::Runs>,
    ) -> Option<regex_automata::Match> {
        let re = self.patterns.get(pi)?.get()?;
        // The input keeps the whole text, so `\b` and `^` still see what
        // precedes the start of the search.
        let input = Input::new(text.as_bytes());
        let lo = starts.partition_point(|&(p, _, _)| p < pi);
        let hi = starts.partition_point(|&(p, _, _)| p <= pi);
        let at = starts.get(lo..hi).unwrap_or(&[]);
        if self.prefilter.starts_at_literals(pi)
            && !at.is_empty()
            && at.len() <= MAX_ANCHORED_STARTS
        {
            // Leftmost-first: the first position with a match holds
            // the match an unanchored search would have found.
            let mut last = None;
            return at.iter().find_map(|&(_, pos, _)| {
                if last.replace(pos) == Some(pos) {
                    return None;
                }
                re.search(&input.clone().range(pos..).anchored(Anchored::Yes))
            });
        }
        if let (Some(around), false) = (self.around.get(pi).copied().flatten(), at.is_empty()) {
            let runs = *runs.get_or_insert_with(|| reach::Runs::of(text.as_bytes()));
            if let Some(windows) = windows(at, &around, &runs, text.len()) {
                // Every match lies in one window, and the first window
                // with a match holds the leftmost one (see `windows`).
                return windows
                    .into_iter()
                    .find_map(|(a, b)| re.search(&input.clone().range(a..b)));
            }
        }
        re.search(&input.range(from..))
    }

    /// Patterns that run on every text because they have no literal
    /// prefix to prefilter on.
    pub fn unfiltered_patterns(&self) -> usize {
        self.prefilter.always_run()
    }

    /// What opens each pattern: the literal set the prefilter keys it on
    /// and the second set that must also occur ([`prefilter::key_sets`],
    /// the choice the prefilter itself makes). A pattern keyed on
    /// everyday words runs on most texts; this is how a rule author finds
    /// out which words a pattern waits for before timing it.
    pub fn pattern_keys(&self) -> Vec<PatternKey> {
        let mut nth = vec![0usize; self.rules.len()];
        self.pattern_src
            .iter()
            .zip(&self.pattern_rule)
            .map(|(src, &ri)| {
                nth[ri] += 1;
                let (first, second) = prefilter::key_sets(src);
                PatternKey {
                    rule: self.rules[ri].id.clone(),
                    nth: nth[ri],
                    first,
                    second,
                }
            })
            .collect()
    }

    /// Time spent per pattern when scanning `texts` the way [`scan`]
    /// does (prefilter, then the candidate patterns): `(rule id, pattern
    /// number, nanoseconds, runs)`, slowest first. For finding the pattern that
    /// eats a latency budget.
    ///
    /// [`scan`]: RuleSet::scan
    pub fn profile(&self, texts: &[&str], kind: Kind) -> Vec<(String, usize, u128, usize)> {
        let mut spent = vec![0u128; self.patterns.len()];
        let mut runs = vec![0usize; self.patterns.len()];
        // The buffers `scan` uses, so that the profile walks its path.
        let mut sc = prefilter::Scratch::default();
        for t in texts {
            self.prefilter.candidates_into(t, &mut sc);
            let mut present = Present::default();
            let mut text_runs = None;
            for &(pi, from) in &sc.list {
                let ri = self.pattern_rule[pi];
                if !self.rules[ri].applies_to(kind) || !present.holds(self, ri, t) {
                    continue;
                }
                let start = std::time::Instant::now();
                let _ = self.find_pattern(pi, t, from, &sc.starts, &mut text_runs);
                spent[pi] += start.elapsed().as_nanos();
                runs[pi] += 1;
            }
        }
        let mut nth = vec![0usize; self.rules.len()];
        let mut out: Vec<(String, usize, u128, usize)> = spent
            .into_iter()
            .enumerate()
            .map(|(pi, ns)| {
                let r = self.pattern_rule[pi];
                nth[r] += 1;
                (self.rules[r].id.clone(), nth[r], ns, runs[pi])
            })
            .collect();
        out.sort_by_key(|b| std::cmp::Reverse(b.2));
        out
    }

    /// The first match of rule `rule` alone in `text`, passing over quoted
    /// examples and spared matches as a scan of `kind` does (`folded` is the view a scan read,
    /// where it looks for talk of attacks): for locating a rule found in
    /// one view of a text in another view.
    pub fn find_rule(
        &self,
        rule: usize,
        text: &str,
        kind: Kind,
        folded: &str,
    ) -> Option<(usize, usize)> {
        let mut talk = None;
        self.pattern_rule
            .iter()
            .zip(&self.patterns)
            .enumerate()
            .filter(|(_, (&r, _))| r == rule)
            .find_map(|(pi, (_, re))| {
                let m = re.get()?.find(text.as_bytes());
                self.kept(pi, m, text, kind, &mut talk, folded)
            })
            .map(|m| char_bounds(text, m.start(), m.end()))
    }
}

/// The two views of one text a scan reads (see [`RuleSet::scan_views`]).
#[derive(Clone, Copy)]
struct Views<'a> {
    folded: &'a str,
    plain: &'a str,
}

#[cfg(test)]
impl<'a> Views<'a> {
    /// One text as both views (no case to keep apart).
    fn same(text: &'a str) -> Self {
        Self {
            folded: text,
            plain: text,
        }
    }
}

thread_local! {
    /// A scan's buffers, one set per thread.
    static SCRATCH: std::cell::RefCell<prefilter::Scratch> =
        std::cell::RefCell::new(prefilter::Scratch::default());
}

/// Most literal positions a pattern is searched at one by one (see
/// `RuleSet::find_pattern`).
const MAX_ANCHORED_STARTS: usize = 64;

/// Most windows a pattern is searched in before one scan of the text is
/// cheaper (each search has a fixed cost of its own).
const MAX_WINDOWS: usize = 32;

/// The places a match that holds one of the literal occurrences `at`
/// (pattern, start, end) can lie in, merged where they touch, in text
/// order; None when they are too many, or cover so much of the text that
/// one scan is cheaper.
///
/// Merging keeps the search exact: a match lies in the window of each
/// occurrence it holds, so in one merged window, and a window before the
/// one holding the leftmost match holds no match at all.
fn windows(
    at: &[(usize, usize, usize)],
    around: &reach::Around,
    runs: &reach::Runs,
    len: usize,
) -> Option<Vec<(usize, usize)>> {
    let mut out: Vec<(usize, usize)> = at
        .iter()
        .map(|&(_, start, end)| around.window(start, end, runs, len))
        .collect();
    // Sorted by start already, unless windows hang from literal ends.
    out.sort_unstable();
    // Merged in place: `kept` windows so far, the last one still growing.
    let (mut kept, mut covered) = (0usize, 0usize);
    for i in 0..out.len() {
        let (a, b) = out[i];
        match kept.checked_sub(1).map(|k| &mut out[k]) {
            Some(last) if a <= last.1 => {
                covered += b.saturating_sub(last.1);
                last.1 = last.1.max(b);
            }
            _ => {
                if kept == MAX_WINDOWS {
                    return None;
                }
                covered += b.saturating_sub(a);
                out[kept] = (a, b);
                kept += 1;
            }
        }
    }
    out.truncate(kept);
    (covered < len - len / 4).then_some(out)
}

/// How a pattern was compiled, as its bounds need it.
struct Mode {
    /// The source the regex was built from (an ASCII-mode rewrite of
    /// typographic quotes differs from the rule's).
    src: String,
    unicode: bool,
    /// How long the pattern's matches can be, when that is bounded.
    reach: Option<reach::Reach>,
}

impl Mode {
    /// Where matches of the pattern the prefilter knows as `prefilter_src`
    /// can lie around its literals, given their `whole` bound.
    fn around(
        &self,
        whole: reach::Reach,
        prefilter_src: &str,
        origin: Option<prefilter::Origin>,
    ) -> reach::Around {
        // Elements can be measured one by one only when the prefilter
        // read the very source that was compiled.
        let split = self.src == prefilter_src && !self.unicode;
        reach::Around::of(&self.src, whole, origin, split)
    }
}

/// Compiles one pattern the way the packs mean it: ASCII-only patterns in
/// ASCII mode (their DFAs are a fraction of the Unicode ones:
/// `[^\n]{0,60}` is one byte class, not a UTF-8 automaton, several times
/// faster on long texts), English ones whose only non-ASCII characters are
/// typographic quotes likewise once rewritten ([`ascii_mode`]), others with
/// Unicode semantics; over bytes, so a match may split a character
/// (callers widen it, [`char_bounds`]). Built now, for packs checked at
/// load; the built-in packs' forms come from [`forms`], their regexes
/// built on first use ([`lazy`]).
fn compile_pattern(src: &str, case_sensitive: bool) -> Result<(LazyRegex, Mode), String> {
    let form = |pattern: &str, unicode: bool| {
        lazy::build(pattern, unicode, case_sensitive).map(|re| {
            let reach = reach::Reach::of(pattern, unicode, !case_sensitive);
            (LazyRegex::ready(re), reach)
        })
    };
    let mode = |pattern: &str, unicode: bool, reach| Mode {
        src: pattern.to_string(),
        unicode,
        reach,
    };
    if let Some(ascii) = ascii_mode::ascii_variant(src) {
        if let Ok((re, reach)) = form(&ascii, false) {
            return Ok((re, mode(&ascii, false, reach)));
        }
    }
    let unicode = !src.is_ascii();
    form(src, unicode).map(|(re, reach)| (re, mode(src, unicode, reach)))
}

/// When a pack's regexes are built and checked (boundaries next to
/// non-ASCII letters, matching the empty string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checks {
    /// At load: packs read from files or given as text.
    AtLoad,
    /// By the tests, before the packs were compiled into the binary: the
    /// regexes are built on first use.
    AheadOfTime,
}

/// Widens a byte range to character boundaries: an ASCII-mode pattern may
/// start or stop inside a multi-byte character.
fn char_bounds(text: &str, mut start: usize, mut end: usize) -> (usize, usize) {
    start = start.min(text.len());
    end = end.min(text.len()).max(start);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

/// Which rules' `requires` words one text contains, looked up once per
/// rule and text, and only for rules whose patterns got past the prefilter.
#[derive(Default)]
struct Present(Vec<(usize, bool)>);

impl Present {
    fn holds(&mut self, set: &RuleSet, rule: usize, text: &str) -> bool {
        let Some(Some(ac)) = set.required.get(rule) else {
            return true;
        };
        if let Some(&(_, seen)) = self.0.iter().find(|(r, _)| *r == rule) {
            return seen;
        }
        let seen = ac.is_match(text);
        self.0.push((rule, seen));
        seen
    }
}

/// Compiles one of a rule's regexes (`what` names it in errors) as the
/// rules use them: ASCII word boundaries, and never matching the empty
/// string (a pattern that did would fire on every text, an `unless` would
/// silence its rule on every text). Also returns how it was compiled.
fn compile_rule_regex(
    pattern: &str,
    case_sensitive: bool,
    what: &str,
    checks: Checks,
) -> Result<(String, LazyRegex, Mode), String> {
    if checks == Checks::AheadOfTime {
        let form = forms::Form::builtin_or_of(pattern, case_sensitive)
            .map_err(|e| format!("{what} does not compile: {e}"))?;
        return Ok(form.into_parts(pattern));
    }
    let compiled = ascii_word_boundaries(pattern);
    if let Some(c) = boundary::next_to_non_ascii(pattern) {
        return Err(format!(
            "{what} puts a word boundary (\\b or \\B) next to {c:?}, where it can never \
             match: boundaries in rule packs are ASCII, and {c:?} is not an ASCII letter; \
             drop it or write the boundary out, e.g. (?:^|[^\\p{{L}}])"
        ));
    }
    let (re, mode) = compile_pattern(&compiled, case_sensitive)
        .map_err(|e| format!("{what} does not compile: {e}"))?;
    if re.get().is_some_and(|re| re.matches_empty()) {
        return Err(format!("{what} matches the empty string"));
    }
    Ok((compiled, re, mode))
}

#[cfg(test)]
mod tests;
