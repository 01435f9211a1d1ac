//! Version ordering for advisory ranges across PyPI (PEP 440), npm and
//! crates.io (SemVer), Go (`v`-prefixed SemVer) and container image tags
//! (`24.01-py3`, `v0.6.3`).
//!
//! Hand-written because no one crate orders all of these: `pep440_rs` and
//! `semver` each refuse the others' syntax, and image tags follow neither.
//! The rule here covers what advisories need: epoch, numeric release
//! segments (missing ones are zero), then a pre/post-release phase; words
//! that are not release phases (`py3`, `cuda12`, `slim`) are build
//! variants and ignored. A version with no numeric release (a branch name,
//! a git hash) does not parse, so it is never claimed to be affected.

use std::cmp::Ordering;

/// A parsed, comparable version.
#[derive(Debug, Clone)]
pub struct Version {
    epoch: u64,
    release: Vec<u64>,
    /// (phase, number): dev < alpha < beta < rc < release < post.
    phase: (i8, u64),
}

const DEV: i8 = -4;
const ALPHA: i8 = -3;
const BETA: i8 = -2;
const RC: i8 = -1;
const RELEASE: i8 = 0;
const POST: i8 = 1;

fn phase_of(word: &str) -> Option<i8> {
    match word {
        "dev" | "snapshot" | "nightly" => Some(DEV),
        "a" | "alpha" => Some(ALPHA),
        "b" | "beta" => Some(BETA),
        "rc" | "c" | "pre" | "preview" => Some(RC),
        "post" | "p" | "r" | "rev" => Some(POST),
        _ => None,
    }
}

impl Version {
    /// Parses a version; `None` when it has no numeric release.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        // PEP 440 local versions (`+cu121`) never change ordering for
        // advisories; SemVer build metadata is ignored by definition.
        let s = s.split('+').next().unwrap_or(s);
        let (epoch, s) = match s.split_once('!') {
            Some((e, rest)) => (e.parse().ok()?, rest),
            None => (0, s),
        };
        let mut release = Vec::new();
        let mut phase = (RELEASE, 0);
        let mut tokens = Tokens { s, pos: 0 };
        let mut in_release = true;
        while let Some(tok) = tokens.next() {
            match tok {
                Tok::Num(n) if in_release => release.push(n),
                Tok::Num(n) => {
                    // A number right after a phase word is its number.
                    if phase.0 != RELEASE && phase.1 == 0 {
                        phase.1 = n;
                    }
                }
                Tok::Word(w) => {
                    in_release = false;
                    if phase.0 == RELEASE {
                        if let Some(p) = phase_of(&w.to_ascii_lowercase()) {
                            phase = (p, 0);
                        }
                    }
                }
            }
            if release.len() > 16 {
                return None;
            }
        }
        if release.is_empty() {
            return None;
        }
        Some(Version {
            epoch,
            release,
            phase,
        })
    }
}

enum Tok<'a> {
    Num(u64),
    Word(&'a str),
}

struct Tokens<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn next(&mut self) -> Option<Tok<'a>> {
        let bytes = self.s.as_bytes();
        while self.pos < bytes.len() && !bytes[self.pos].is_ascii_alphanumeric() {
            self.pos += 1;
        }
        let start = self.pos;
        let first = *bytes.get(start)?;
        if first.is_ascii_digit() {
            while self.pos < bytes.len() && bytes[self.pos].is_ascii_digit() {
                self.pos += 1;
            }
            let digits = self.s.get(start..self.pos)?;
            // Absurdly long digit runs (hashes) saturate instead of failing.
            Some(Tok::Num(digits.parse().unwrap_or(u64::MAX)))
        } else {
            while self.pos < bytes.len() && bytes[self.pos].is_ascii_alphabetic() {
                self.pos += 1;
            }
            Some(Tok::Word(self.s.get(start..self.pos)?))
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| {
                let n = self.release.len().max(other.release.len());
                for i in 0..n {
                    let a = self.release.get(i).copied().unwrap_or(0);
                    let b = other.release.get(i).copied().unwrap_or(0);
                    match a.cmp(&b) {
                        Ordering::Equal => {}
                        o => return o,
                    }
                }
                Ordering::Equal
            })
            .then_with(|| self.phase.cmp(&other.phase))
    }
}

// Equality must agree with the ordering (2.13 == 2.13.0), so it is not
// derived.
impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The exact version a requirement pins, if it pins one: `==1.2.3`,
/// `===1.2.3`, `1.2.3` (lockfiles, image tags), `=1.2.3` (npm/cargo).
/// Wildcards and ranges pin nothing.
pub fn exact(spec: &str) -> Option<&str> {
    let s = spec.trim();
    let s = s
        .strip_prefix("===")
        .or_else(|| s.strip_prefix("=="))
        .or_else(|| s.strip_prefix('='))
        .unwrap_or(s)
        .trim();
    if s.is_empty()
        || s.contains([',', '*', '<', '>', '~', '^', '|', ' ', '!'])
        || Version::parse(s).is_none()
    {
        return None;
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|| panic!("parse {s}"))
    }

    #[test]
    fn orders_like_the_ecosystems() {
        assert!(v("0.0.300") < v("0.0.308"));
        assert!(v("1.0.0rc1") < v("1.0.0"));
        assert!(v("1.0.0-alpha.1") < v("1.0.0-beta"));
        assert!(v("1.0.0.dev1") < v("1.0.0a1"));
        assert!(v("1.0.post1") > v("1.0"));
        assert_eq!(v("2.13"), v("2.13.0"));
        assert!(v("v0.6.3") < v("0.8.0"));
        assert!(v("24.01-py3") < v("25.07"));
        assert_eq!(v("24.01-py3").cmp(&v("24.01")), Ordering::Equal);
        assert!(v("1!0.1") > v("99.0"));
    }

    #[test]
    fn branch_names_do_not_parse() {
        assert!(Version::parse("main").is_none());
        assert!(Version::parse("latest").is_none());
        assert!(Version::parse("").is_none());
    }

    #[test]
    fn exact_pins() {
        assert_eq!(exact("==4.35.2"), Some("4.35.2"));
        assert_eq!(exact("0.1.33"), Some("0.1.33"));
        assert_eq!(exact(">=0.34,<1"), None);
        assert_eq!(exact("~=1.9"), None);
        assert_eq!(exact("==1.*"), None);
        assert_eq!(exact("main"), None);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics_and_orders_totally(a in "\\PC{0,40}", b in "[0-9a-z.+!-]{0,20}") {
            if let (Some(x), Some(y)) = (Version::parse(&a), Version::parse(&b)) {
                let _ = x.cmp(&y);
                proptest::prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
            }
        }
    }
}
