//! Which of the spelled-text readers ([`crate::spelled`],
//! [`crate::wordplay`]) a text can hold, from one pass for the short
//! strings each needs to see before it scans: a dot beside a dash for
//! Morse, the high bits of a letter in binary, a vowel's NATO code word,
//! a common word written backwards, a word ending in "ay".
//!
//! One automaton instead of a substring search per string: with some two
//! dozen of them, the searches were most of the readers' cost on texts
//! that hold none (which is nearly every text).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::sync::OnceLock;

/// A reader gated by [`Gates`].
#[derive(Clone, Copy)]
pub(crate) enum Reader {
    Morse,
    Binary,
    Nato,
    Reversed,
    PigLatin,
}

/// The strings each reader waits for (ASCII case ignored).
const GATES: &[(Reader, &[&str])] = &[
    (Reader::Morse, &[".-", "-.", ". -", "- ."]),
    // Letters in binary are 010xxxxx and 011xxxxx.
    (Reader::Binary, &["0110", "0100"]),
    // Six letters spelled hold a vowel: Alfa, Echo, India, Oscar, Uniform.
    (
        Reader::Nato,
        &["lfa", "lpha", "cho", "ndia", "scar", "nifor"],
    ),
    (
        Reader::Reversed,
        &[
            "eht ",
            " eht",
            "uoy",
            " dna ",
            "ruoy",
            "erongi",
            "snoitcurtsni",
            " woh ",
            "rof ",
            "htiw",
            " taht",
            "siht ",
            "tahw",
        ],
    ),
    (Reader::PigLatin, &["ay "]),
];

/// The readers whose strings occur in a text.
#[derive(Clone, Copy, Default)]
pub(crate) struct Gates(u8);

impl Gates {
    /// One pass over `text`.
    pub(crate) fn of(text: &str) -> Gates {
        let (Some(ac), owner) = automaton() else {
            // Without the automaton every reader scans.
            return Gates(u8::MAX);
        };
        let mut open = 0u8;
        // Non-overlapping searches let the automaton skip ahead with its
        // vectorised prefilter; each next search starts one byte after the
        // last match began, so a string that overlaps another is found too.
        let mut at = 0;
        while let Some(m) = ac.find(aho_corasick::Input::new(text).span(at..text.len())) {
            if let Some(&r) = owner.get(m.pattern().as_usize()) {
                open |= 1 << r as u8;
            }
            at = m.start() + 1;
        }
        // "ay" at the very end has no space after it.
        if text.len() >= 2 && text.as_bytes()[text.len() - 2..].eq_ignore_ascii_case(b"ay") {
            open |= 1 << Reader::PigLatin as u8;
        }
        Gates(open)
    }

    /// Whether `reader`'s strings occur.
    pub(crate) fn open(self, reader: Reader) -> bool {
        self.0 & (1 << reader as u8) != 0
    }
}

fn automaton() -> &'static (Option<AhoCorasick>, Vec<Reader>) {
    static AC: OnceLock<(Option<AhoCorasick>, Vec<Reader>)> = OnceLock::new();
    AC.get_or_init(|| {
        let (owner, strings): (Vec<Reader>, Vec<&str>) = GATES
            .iter()
            .flat_map(|&(r, ss)| ss.iter().map(move |&s| (r, s)))
            .unzip();
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&strings)
            .ok();
        (ac, owner)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_the_gate_of_each_reader_whose_strings_occur() {
        const READERS: [Reader; 5] = [
            Reader::Morse,
            Reader::Binary,
            Reader::Nato,
            Reader::Reversed,
            Reader::PigLatin,
        ];
        let g = Gates::of("Echo Oscar .- -... 01101000 eht dog ylno may");
        for r in READERS {
            assert!(g.open(r));
        }
        let g = Gates::of("An ordinary sentence, with nothing hidden in it.");
        for r in READERS {
            assert!(!g.open(r));
        }
        assert!(Gates::of("ECHO").open(Reader::Nato));
    }
}
