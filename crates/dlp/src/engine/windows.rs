//! Where each pattern is worth running: the trigger pass, the block walk
//! and the windows they leave.

use super::*;

impl Engine {
    /// Where each pattern is worth running.
    /// Also the context words' places, `(start, end, word)` by end.
    pub(super) fn windows(&self, hay: &[u8], ctx: &mut Vec<(usize, usize, usize)>) -> Windows {
        let mut windows = Windows::new(self.patterns.len() + self.groups.len());
        self.word_windows(hay, &mut windows, ctx);
        let walked = self.block_walk(hay, &mut windows);
        self.digit_windows_only(&walked, &mut windows);
        let hot = walked.map(|d| d.out).unwrap_or_default();
        self.group_windows(hay, &mut windows);
        self.digit_windows(hay, &hot, &mut windows);
        if !self.always.is_empty() && !self.untriggered_windows(hay, &mut windows) {
            for &pi in &self.always {
                *windows.of(pi) = vec![(0, hay.len())];
            }
        }
        windows
    }

    /// Windows around literal and context-word triggers, and the places
    /// of context words.
    pub(super) fn word_windows(
        &self,
        hay: &[u8],
        windows: &mut Windows,
        ctx: &mut Vec<(usize, usize, usize)>,
    ) {
        let Some(dfa) = &self.words else {
            return;
        };
        dfa.for_each_match(hay, |s, e, w| {
            let Some(&role) = self.roles.get(w) else {
                return;
            };
            // Most hits are short words inside longer ones (`no` in
            // `know`): asked once for both roles.
            let alone = (role.trigger_whole || role.context_whole) && stands_alone(hay, s, e);
            if role.context != NONE && (!role.context_whole || alone) {
                ctx.push((s, e, role.context as usize));
            }
            if role.trigger == NONE || (role.trigger_whole && !alone) {
                return;
            }
            for &t in self
                .trigger_patterns
                .get(role.trigger as usize)
                .into_iter()
                .flatten()
            {
                if let Some((before, after, gate)) = self.target(t) {
                    if gate && !next_to_hex_run(hay, s, e) {
                        continue;
                    }
                    // A group (past the patterns) has neither a case nor
                    // an anchor of its own.
                    let p = self.patterns.get(t);
                    let spelt = |ws: &Vec<Vec<u8>>| ws.iter().any(|w| hay.get(s..e) == Some(w));
                    if p.and_then(|p| p.exact.as_ref())
                        .is_some_and(|ws| !spelt(ws))
                    {
                        continue;
                    }
                    if p.is_some_and(|p| p.anchor.is_some()) {
                        self.try_anchored(hay, t, (s, e), &mut windows.anchored);
                    } else if self.gate_opens(t, hay, e) {
                        push_window(windows.of(t), hay, s, e, before, after);
                    }
                }
            }
        });
    }

    /// Whether what follows a trigger literal ending at `e` lets target
    /// `t` (a pattern, or past them a group: any of its patterns) match
    /// there (`Pattern::gate`).
    pub(super) fn gate_opens(&self, t: usize, hay: &[u8], e: usize) -> bool {
        let opens = |pi: usize| {
            let Some(p) = self.patterns.get(pi) else {
                return true;
            };
            if p.words.is_empty() {
                return true;
            }
            match p.gate.get_or_init(|| gate_of(p)) {
                // Read no further than the window would reach.
                Some((dfa, first)) => !dies(dfa, first, hay, e, (e + p.after).min(hay.len())),
                None => true,
            }
        };
        match t.checked_sub(self.patterns.len()) {
            None => opens(t),
            Some(g) => self
                .groups
                .get(g)
                .is_none_or(|g| g.patterns.iter().any(|&pi| opens(pi))),
        }
    }

    /// Whether a separator triggers target `t` (a pattern, or past them
    /// a group) only next to a run of decimal digits.
    pub(super) fn decimal_gated(&self, t: usize) -> bool {
        match t.checked_sub(self.patterns.len()) {
            None => self.patterns.get(t).is_some_and(|p| p.digit_gate),
            Some(g) => self.groups.get(g).is_some_and(|g| g.digit_gate),
        }
    }

    /// A trigger target's reach before and after, and whether it is
    /// gated: a pattern, or past them a group.
    pub(super) fn target(&self, t: usize) -> Option<(usize, usize, bool)> {
        match self.patterns.get(t) {
            Some(p) => Some((p.before, p.after, p.hex_gate)),
            None => self
                .groups
                .get(t - self.patterns.len())
                .map(|g| (g.before, g.after, g.hex_gate)),
        }
    }

    /// Drops the windows of `digit_needs` without the digits their
    /// matches need: no match of theirs can lie there, or none its type
    /// accepts. A match that holds `DIGIT_RUN` digits within `DIGIT_SPAN`
    /// bytes makes a hotspot that reaches over those digits (`DigitWalk`),
    /// so the hotspot meets every window that holds the match; the
    /// match's run of consecutive digits lies whole in that hotspot too.
    /// Without a digit walk (`walked` is `None`) nothing is dropped.
    pub(super) fn digit_windows_only(&self, walked: &Option<DigitWalk>, windows: &mut Windows) {
        let Some(walk) = walked else {
            return;
        };
        for need in &self.digit_needs {
            if let Some(list) = windows.existing(need.target) {
                list.retain(|&(ws, we)| match need.hotspot_run {
                    Some(run) => meets_hotspot(&walk.out, ws, we, run),
                    None => walk.digits_about(ws, we) >= need.digits,
                });
            }
        }
    }

    /// The windows of each group, handed to those of its patterns that
    /// occur in them.
    pub(super) fn group_windows(&self, hay: &[u8], windows: &mut Windows) {
        for (gi, g) in self.groups.iter().enumerate() {
            let list = std::mem::take(windows.of(self.patterns.len() + gi));
            for window in list {
                hand_out(g.any.as_ref(), &g.set, &g.patterns, hay, window, windows);
            }
        }
    }

    /// One pass over the text's 64-byte blocks for the triggers found
    /// from byte masks: windows and tries around separators next to hex
    /// runs, and the tries and windows at the start of digit runs. Returns
    /// the digit walk (its hotspots and digit counts) when there was one
    /// (`DigitWalk`): without number formats or windows that need digits
    /// (`Engine::digit_needs`), there is none. Both walks share each
    /// block's masks: two passes computed them twice (about 3 ms per 16
    /// MiB of mixed text).
    pub(super) fn block_walk(&self, hay: &[u8], windows: &mut Windows) -> Option<DigitWalk> {
        let separators = !self.separator_words.is_empty();
        // Run starts matter only to run and pair patterns; a walk made
        // for the hotspots or the digit counts alone skips them.
        let starts = !(self.pair_patterns.is_empty() && self.runs.is_empty());
        let digits = starts || !(self.digit_groups.is_empty() && self.digit_needs.is_empty());
        if !(separators || digits) {
            return None;
        }
        let mut seps = SeparatorWalk::default();
        let mut hot = DigitWalk::new(hay.len());
        crate::bytemask::for_each_block(hay, |at, block| {
            let m = crate::bytemask::masks(block, SEPARATORS);
            if separators {
                seps.block(at, m, &mut |i| self.separator_at(hay, i, windows));
            }
            if digits {
                hot.block(at, m.digits, &mut |i| {
                    if starts {
                        self.run_start(hay, i, windows);
                    }
                });
            }
        });
        if separators {
            seps.finish(&mut |i| self.separator_at(hay, i, windows));
        }
        digits.then_some(hot)
    }

    /// The separator words at `i` next to a hex run, and their patterns'
    /// windows or tries.
    pub(super) fn separator_at(&self, hay: &[u8], i: usize, windows: &mut Windows) {
        for (w, pats) in self.separator_words.iter().zip(&self.separator_patterns) {
            let w = w.as_bytes();
            let e = i + w.len();
            // Compared byte by byte: a `memcmp` call per word and
            // separator was 2–3 % of a scan.
            if !hay
                .get(i..e)
                .is_some_and(|s| s.iter().zip(w).all(|(x, y)| x == y))
                || !next_to_hex_run(hay, i, e)
            {
                continue;
            }
            // Asked once per word, and only for decimal groups (IPv4):
            // most full stops a hex run lets through (`be.`, `a.b`) have
            // no decimal digit beside them.
            let mut decimal_run = None;
            for &t in pats {
                if self.decimal_gated(t)
                    && !*decimal_run
                        .get_or_insert_with(|| next_to_run(hay, i, e, u8::is_ascii_digit))
                {
                    continue;
                }
                if let Some((before, after, _)) = self.target(t) {
                    if self.patterns.get(t).is_some_and(|p| p.anchor.is_some()) {
                        self.try_anchored(hay, t, (i, e), &mut windows.anchored);
                    } else {
                        push_window(windows.of(t), hay, i, e, before, after);
                    }
                }
            }
        }
    }

    /// The tries and windows of a digit run starting at `i`: the number
    /// formats its length and next byte allow (`runs::RunTable`), after a
    /// non-word byte; the pair patterns whose class holds the byte before.
    /// Pair classes hold no digit (`shape::class_before_digit`), so a
    /// pair's digit starts a run.
    pub(super) fn run_start(&self, hay: &[u8], i: usize, windows: &mut Windows) {
        let before = i.checked_sub(1).and_then(|j| hay.get(j)).copied();
        if before.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_')) {
            let (list, len) = self.runs.at(hay, i);
            for pi in list {
                self.try_anchored(hay, pi as usize, (i, i + len), &mut windows.anchored);
            }
        }
        let Some(b) = before else {
            return;
        };
        if !self.pair_any[usize::from(b)] {
            return;
        }
        for (pi, class) in &self.pair_patterns {
            if class[usize::from(b)] {
                if let Some(p) = self.patterns.get(*pi) {
                    if p.anchor.is_some() {
                        self.try_anchored(hay, *pi, (i - 1, i + 1), &mut windows.anchored);
                    } else {
                        push_window(windows.of(*pi), hay, i - 1, i + 1, p.reach, p.reach);
                    }
                }
            }
        }
    }

    /// Windows of the number patterns found in the digit hotspots.
    pub(super) fn digit_windows(
        &self,
        hay: &[u8],
        hot: &[(usize, usize, usize)],
        windows: &mut Windows,
    ) {
        let mut dw = Vec::new();
        for g in &self.digit_groups {
            dw.clear();
            for &(s, e, run) in hot {
                if run >= g.min_run {
                    // A stretch already reaches `DIGIT_SPAN` past the
                    // digits a match holds.
                    let more = g.reach.saturating_sub(DIGIT_SPAN);
                    push_window(&mut dw, hay, s, e, more, more);
                }
            }
            for &window in &dw {
                hand_out(g.any.as_ref(), &g.set, &g.patterns, hay, window, windows);
            }
        }
    }

    /// Windows around the matches of the patterns without a trigger;
    /// false when their regex is missing (then they must run over the
    /// whole text).
    pub(super) fn untriggered_windows(&self, hay: &[u8], windows: &mut Windows) -> bool {
        let Some(re) = &self.always_regex else {
            return false;
        };
        for m in re.find_iter(hay) {
            for &pi in &self.always {
                if let Some(p) = self.patterns.get(pi) {
                    push_window(windows.of(pi), hay, m.start(), m.end(), p.reach, p.reach);
                }
            }
        }
        true
    }
}

/// Per pattern, the windows to search: only the patterns that have any
/// get a list, since a 4 KiB text triggers a few dozen of 500.
pub(super) struct Windows {
    /// Per pattern: its index in `lists`, or `u32::MAX`.
    pub(super) slot: Vec<u32>,
    pub(super) lists: Vec<(usize, Vec<(usize, usize)>)>,
    /// `(pattern, start, end)`: matches of the anchored patterns.
    pub(super) anchored: Vec<(usize, usize, usize)>,
}

impl Windows {
    pub(super) fn new(patterns: usize) -> Self {
        Self {
            slot: vec![u32::MAX; patterns],
            lists: Vec::new(),
            anchored: Vec::new(),
        }
    }

    /// The list of `pi`, when it has one.
    pub(super) fn existing(&mut self, pi: usize) -> Option<&mut Vec<(usize, usize)>> {
        let at = *self.slot.get(pi)?;
        self.lists.get_mut(at as usize).map(|l| &mut l.1)
    }

    pub(super) fn of(&mut self, pi: usize) -> &mut Vec<(usize, usize)> {
        let at = match self.slot.get(pi).copied() {
            Some(i) if i != u32::MAX => i as usize,
            _ => {
                let i = self.lists.len();
                if let Some(s) = self.slot.get_mut(pi) {
                    *s = u32::try_from(i).unwrap_or(u32::MAX);
                }
                self.lists.push((pi, Vec::new()));
                i
            }
        };
        // `at` is in range: either an earlier push or the one just made.
        &mut self.lists[at].1
    }
}

/// Adds `[s - before, e + after)` widened to token boundaries (at most
/// 256 bytes further), merged with the previous window when they touch.
pub(super) fn push_window(
    ws: &mut Vec<(usize, usize)>,
    hay: &[u8],
    s: usize,
    e: usize,
    before: usize,
    after: usize,
) {
    // Triggers come in text order and often cluster: one already covered
    // costs nothing.
    if let Some(last) = ws.last() {
        if s.saturating_sub(before) >= last.0 && e + after <= last.1 {
            return;
        }
    }
    let mut lo = s.saturating_sub(before);
    let stop = lo.saturating_sub(256);
    while lo > stop && hay.get(lo - 1).is_some_and(|&b| !is_boundary(b)) {
        lo -= 1;
    }
    let mut hi = (e + after).min(hay.len());
    let stop = (hi + 256).min(hay.len());
    while hi < stop && hay.get(hi).is_some_and(|&b| !is_boundary(b)) {
        hi += 1;
    }
    if let Some(last) = ws.last_mut() {
        if lo <= last.1 && hi >= last.0 {
            last.0 = last.0.min(lo);
            last.1 = last.1.max(hi);
            return;
        }
    }
    ws.push((lo, hi));
}

/// Hands a group's window to those of its patterns that occur in it (a
/// literal group and a number group alike): none when the group's
/// leftmost regex `any` finds nothing there, else each its set matches.
#[inline]
fn hand_out(
    any: Option<&Regex>,
    set: &regex::bytes::RegexSet,
    patterns: &[usize],
    hay: &[u8],
    (ws, we): (usize, usize),
    windows: &mut Windows,
) {
    let Some(w) = hay.get(ws..we) else { return };
    if any.is_some_and(|any| !any.is_match(w)) {
        return;
    }
    for k in set.matches(w).iter() {
        if let Some(&pi) = patterns.get(k) {
            windows.of(pi).push((ws, we));
        }
    }
}
