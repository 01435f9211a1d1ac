//! Literal sets of a sub-expression, and the per-thread memory that
//! spares a load-time plan extracting the same ones again.

use super::*;

/// The literal strings regex-syntax finds every match of `hir` to begin
/// (or end) with, decoded as UTF-8: `None` when there is no finite set of
/// at most 512, or one is not UTF-8. Callers judge which are selective.
///
/// Inside [`with_literal_memo`], results are remembered by the shape of
/// `hir`: the packs' shared sets (`%{group}`) and the catalogue's common
/// alternations recur in many patterns, each extracted anew.
pub fn extract_literals(hir: &Hir, kind: ExtractKind, classes: usize) -> Option<Vec<String>> {
    let suffix = matches!(kind, ExtractKind::Suffix);
    let key = MEMO.with(|m| m.borrow().is_some().then(|| memo_key(hir, suffix, classes)));
    if let Some(k) = &key {
        if let Some(hit) = MEMO.with(|m| m.borrow().as_ref().and_then(|c| c.get(k).cloned())) {
            return hit;
        }
    }
    let out = extract_literals_now(hir, kind, suffix, classes);
    if let Some(k) = key {
        MEMO.with(|m| {
            if let Some(c) = m.borrow_mut().as_mut() {
                c.insert(k, out.clone());
            }
        });
    }
    out
}

pub(super) type MemoKey = (Vec<u8>, bool, usize);

/// Keys are long (a whole sub-expression's shape), hashed once per
/// extraction: a fast hasher, not SipHash.
pub(super) type Memo = rustc_hash::FxHashMap<MemoKey, Option<Vec<String>>>;

thread_local! {
    /// [`extract_literals`]'s results while [`with_literal_memo`] runs.
    pub(super) static MEMO: std::cell::RefCell<Option<Memo>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with [`extract_literals`] remembering its results on this
/// thread (a load-time plan extracts the same sub-expressions many
/// times), then forgets them. Nested calls share the outer memory.
pub fn with_literal_memo<R>(f: impl FnOnce() -> R) -> R {
    struct Forget(bool);
    impl Drop for Forget {
        fn drop(&mut self) {
            if self.0 {
                MEMO.with(|m| m.borrow_mut().take());
            }
        }
    }
    let outer = MEMO.with(|m| {
        let mut m = m.borrow_mut();
        let fresh = m.is_none();
        if fresh {
            let mut memo = Memo::default();
            // About one entry per pattern element and way: grown once,
            // not rehashed a dozen times.
            memo.reserve(4096);
            *m = Some(memo);
        }
        fresh
    });
    let _forget = Forget(outer);
    f()
}

/// What [`extract_literals`]'s result depends on: `hir`'s structure
/// (captures aside, which extraction looks through), the end it reads
/// from, and the class limit as far as `hir`'s classes can tell it apart:
/// a class is expanded when its size is at most the limit, so the largest
/// class size up to the limit stands for every limit between it and the
/// next size.
pub(super) fn memo_key(hir: &Hir, suffix: bool, classes: usize) -> MemoKey {
    let mut shape = Vec::new();
    let mut sizes = Vec::new();
    encode(hir, &mut shape);
    class_sizes(hir, &mut sizes);
    let limit = sizes
        .into_iter()
        .filter(|&s| s <= classes)
        .max()
        .unwrap_or(0);
    (shape, suffix, limit)
}

/// Writes `hir`'s structure to `out`, one tag per node and its contents,
/// so that equal bytes mean equal trees.
pub(super) fn encode(hir: &Hir, out: &mut Vec<u8>) {
    let num = |out: &mut Vec<u8>, n: u64| out.extend_from_slice(&n.to_le_bytes());
    match hir.kind() {
        HirKind::Empty => out.push(0),
        HirKind::Literal(l) => {
            out.push(1);
            num(out, l.0.len() as u64);
            out.extend_from_slice(&l.0);
        }
        HirKind::Class(Class::Unicode(c)) => {
            out.push(2);
            num(out, c.ranges().len() as u64);
            for r in c.iter() {
                num(
                    out,
                    (u64::from(u32::from(r.start())) << 32) | u64::from(u32::from(r.end())),
                );
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            out.push(3);
            num(out, c.ranges().len() as u64);
            for r in c.iter() {
                out.extend_from_slice(&[r.start(), r.end()]);
            }
        }
        HirKind::Look(l) => {
            out.push(4);
            num(out, u64::from(l.as_repr()));
        }
        HirKind::Repetition(r) => {
            out.push(5);
            num(out, u64::from(r.min));
            num(out, r.max.map_or(u64::MAX, u64::from));
            out.push(u8::from(r.greedy));
            encode(&r.sub, out);
        }
        HirKind::Capture(c) => encode(&c.sub, out),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            out.push(if matches!(hir.kind(), HirKind::Concat(_)) {
                6
            } else {
                7
            });
            num(out, hs.len() as u64);
            for h in hs {
                encode(h, out);
            }
        }
    }
}

pub(super) fn extract_literals_now(
    hir: &Hir,
    kind: ExtractKind,
    suffix: bool,
    classes: usize,
) -> Option<Vec<String>> {
    let mut seq = Extractor::new()
        .kind(kind)
        .limit_class(classes)
        .limit_total(2048)
        .extract(hir);
    // regex-syntax's own optimisation cuts a set of more than a few
    // literals to their first (or last) four bytes, tuned for a search
    // that looks for one set. Ours looks for every pattern's sets in one
    // automaton, where a cut word ("ille" of "illegal") is far more common
    // than the word and opens its pattern for nothing; so a finite set
    // without an empty literal is kept whole, only the characters a class
    // spreads over many literals being cut (`collapse_classes`). The cut
    // is the fallback for sets larger than `WHOLE_MAX` or open.
    if let Some(lits) = seq.literals() {
        if !lits.is_empty() && lits.len() <= WHOLE_MAX && lits.iter().all(|l| !l.is_empty()) {
            // Byte classes (`(?-u:…)`) can spread a character over
            // literals that are not UTF-8: those take the cut below.
            let text: Option<Vec<String>> = lits
                .iter()
                .map(|l| std::str::from_utf8(l.as_bytes()).ok().map(str::to_string))
                .collect();
            if let Some(text) = text {
                return Some(collapse_classes(text, suffix));
            }
        }
    }
    if suffix {
        seq.optimize_for_suffix_by_preference();
    } else {
        seq.optimize_for_prefix_by_preference();
    }
    let lits = seq.literals()?;
    if lits.is_empty() || lits.len() > 512 {
        return None;
    }
    let mut out: Vec<String> = Vec::with_capacity(lits.len());
    for l in lits {
        let s = whole_chars(l.as_bytes(), suffix)?;
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Some(out)
}

/// The largest set [`extract_literals`] keeps whole. Every element of
/// every pattern is extracted six ways at load, and sets of hundreds
/// (a class crossed with an alternation) doubled the start-up time
/// (`palisade rules check` 1.7 → 3.5 s at 512) for a tenth of tier 1's
/// instructions beyond what 32 gives (`docs/guard.md`). With one ranking
/// per pattern (session 21), load instructions against tier 1's: 128,
/// +15 % for −4.5 %; 512, +40 % for −8 %.
pub(super) const WHOLE_MAX: usize = 32;

/// Literals that differ only in their last character (their first, for
/// suffixes), at least this many, are one class spread out: `ignore\s`
/// gives "ignore " and 24 other spaces. The class adds almost nothing to
/// the word's selectivity but multiplies the set, so such a group is cut
/// back to what its members share.
pub(super) const CLASS_SPREAD: usize = 5;

/// Cuts every group of [`CLASS_SPREAD`] or more literals that differ
/// only at the open end back to their shared part, until none is left,
/// then drops literals that another one already covers (a prefix of
/// them, or a suffix for suffix sets): every match still begins (ends)
/// with one of the literals left.
pub(super) fn collapse_classes(mut lits: Vec<String>, suffix: bool) -> Vec<String> {
    let cut = |l: &str| -> Option<String> {
        let mut cs = l.chars();
        if suffix {
            cs.next()?;
        } else {
            cs.next_back()?;
        }
        Some(cs.as_str().to_string())
    };
    while lits.len() >= CLASS_SPREAD {
        let mut groups: HashMap<String, usize> = HashMap::new();
        for l in &lits {
            if let Some(c) = cut(l) {
                *groups.entry(c).or_default() += 1;
            }
        }
        let spread: HashSet<&String> = groups
            .iter()
            .filter(|&(c, &n)| n >= CLASS_SPREAD && !c.is_empty())
            .map(|(c, _)| c)
            .collect();
        if spread.is_empty() {
            break;
        }
        let next: Vec<String> = lits
            .iter()
            .map(|l| match cut(l) {
                Some(c) if spread.contains(&c) => c,
                _ => l.clone(),
            })
            .collect();
        lits = next;
    }
    // Sorted (suffix sets by their reversed text), a literal's covering
    // prefix sorts before it and every literal in between begins with
    // that prefix too, so the last one kept is the only one to check.
    // Pairwise, over sets of hundreds, this was a second of start-up.
    let key = |l: &str| -> String {
        if suffix {
            l.chars().rev().collect()
        } else {
            l.to_string()
        }
    };
    let mut keyed: Vec<String> = lits.iter().map(|l| key(l)).collect();
    keyed.sort_unstable();
    keyed.dedup();
    let mut kept: Vec<String> = Vec::with_capacity(keyed.len());
    for k in keyed {
        if kept.last().is_some_and(|p| k.starts_with(p.as_str())) {
            continue;
        }
        kept.push(k);
    }
    kept.into_iter().map(|k| key(&k)).collect()
}

/// The literal as UTF-8, cut back to whole characters. regex-syntax trims
/// the literals of a large set to their first (or last) few bytes, which
/// can end (or begin) inside a character: every Chinese alternation of a
/// dozen words came back cut and its pattern ran on every text. A prefix
/// cut back to a character boundary still begins every match it began (a
/// suffix still ends it), so nothing is lost but selectivity. `None` when
/// the bytes are not UTF-8 for another reason.
pub(super) fn whole_chars(bytes: &[u8], suffix: bool) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) if !suffix && e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()
        }
        Err(_) if suffix => {
            // Skip the continuation bytes (10xxxxxx) of a character cut
            // at the front.
            let start = bytes.iter().position(|&b| b & 0xC0 != 0x80)?;
            std::str::from_utf8(&bytes[start..]).ok()
        }
        Err(_) => None,
    }
}

pub(super) fn literal_set(hir: &Hir, kind: ExtractKind, classes: usize) -> Option<Vec<String>> {
    let lits = extract_literals(hir, kind, classes)?;
    let mut out = Vec::with_capacity(lits.len());
    for s in lits {
        // A single letter or space is not selective; a single punctuation
        // mark such as `<` or `[` is rare enough in prose to be worth it.
        let selective = s.len() >= 2 || s.bytes().all(|b| b.is_ascii_punctuation());
        if s.is_empty() || !selective {
            return None;
        }
        // Cased letters beyond ASCII are lower-cased: the automaton only
        // folds ASCII case, and the rules also scan the lower-cased view of
        // every text, where the lower-case literal is found.
        out.push(s.to_lowercase());
    }
    Some(out)
}
