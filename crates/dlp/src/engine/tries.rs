//! Anchored tries: the bytes a try can start with, and stepping a try
//! until it dies.

/// The bytes on which some start state of an anchored DFA steps to a
/// state other than the dead one: 32 bytes, one cache line, where the
/// DFA's own rows are kilobytes. Most tries and gates die on their first
/// byte (counted: about 350,000 of the 560,000 tries per 16 MiB of mixed
/// text), and the load of the row that says so was about half of their
/// cost, a cache miss as often as not.
pub(super) struct FirstBytes(pub(super) [u64; 4]);

impl FirstBytes {
    /// The set of `dfa`; every byte when a start state is itself
    /// special (dead, a match or accelerated) or cannot be had for some
    /// byte before: there `dies` answers without a step (no), and the set
    /// must not answer for it.
    pub(super) fn of(dfa: &regex_automata::dfa::dense::DFA<Vec<u32>>) -> Self {
        use regex_automata::dfa::Automaton;
        let mut set = FirstBytes([0; 4]);
        let before = std::iter::once(None).chain((0..=255u8).map(Some));
        let mut starts = Vec::new();
        for lb in before {
            let config = regex_automata::util::start::Config::new()
                .anchored(regex_automata::Anchored::Yes)
                .look_behind(lb);
            match dfa.start_state(&config) {
                Ok(s) if !dfa.is_special_state(s) => {
                    if !starts.contains(&s) {
                        starts.push(s);
                    }
                }
                _ => return FirstBytes([u64::MAX; 4]),
            }
        }
        for s in starts {
            for b in 0..=255u8 {
                if !dfa.is_dead_state(dfa.next_state(s, b)) {
                    set.0[usize::from(b >> 6)] |= 1 << (b & 63);
                }
            }
        }
        set
    }

    /// Whether a try may go on past byte `b`.
    pub(super) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }
}

/// Whether `dfa` (anchored) reaches its dead state from `x` before any
/// match or special state and before `end`: then no match starts at `x`.
/// Most tries end so within a few bytes; stepping them here skips the
/// set-up of a search (about a third of a try's cost). Anything else
/// (a match, the end of the range) is left to the full search. `first`
/// is the DFA's `FirstBytes`.
pub(super) fn dies(
    dfa: &regex_automata::dfa::dense::DFA<Vec<u32>>,
    first: &FirstBytes,
    hay: &[u8],
    x: usize,
    end: usize,
) -> bool {
    if x < end && hay.get(x).is_some_and(|&b| !first.contains(b)) {
        return true;
    }
    steps_to_dead(dfa, hay, x, end)
}

/// `dies` without the first byte's set: the DFA stepped from its start.
pub(super) fn steps_to_dead(
    dfa: &regex_automata::dfa::dense::DFA<Vec<u32>>,
    hay: &[u8],
    x: usize,
    end: usize,
) -> bool {
    use regex_automata::dfa::Automaton;
    let config = regex_automata::util::start::Config::new()
        .anchored(regex_automata::Anchored::Yes)
        .look_behind(x.checked_sub(1).and_then(|j| hay.get(j)).copied());
    let Ok(mut s) = dfa.start_state(&config) else {
        return false;
    };
    if dfa.is_special_state(s) {
        return false;
    }
    for &b in hay.get(x..end).unwrap_or(&[]) {
        s = dfa.next_state(s, b);
        if dfa.is_special_state(s) {
            return dfa.is_dead_state(s);
        }
    }
    false
}
