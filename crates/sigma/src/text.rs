//! Text helpers: case folding and Sigma wildcard strings.
//!
//! Case-insensitive matching folds both sides with a per-character
//! lowercase mapping. Unlike `str::to_lowercase` it has no context rules
//! (Greek final sigma), which makes it a homomorphism: if `a` contains `b`
//! then `fold(a)` contains `fold(b)`. The literal prefilter relies on that.

/// Folds a string for case-insensitive comparison.
pub(crate) fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Whether folding would change the string (avoids storing a copy).
pub(crate) fn needs_fold(s: &str) -> bool {
    if s.is_ascii() {
        return s.bytes().any(|b| b.is_ascii_uppercase());
    }
    s.chars().any(|c| {
        let mut l = c.to_lowercase();
        !(l.next() == Some(c) && l.next().is_none())
    })
}

/// One token of a Sigma string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A Sigma string value split into literal text and wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SigmaStr {
    pub(crate) toks: Vec<Tok>,
}

impl SigmaStr {
    /// Parses a raw rule value. `\*`, `\?` and `\\` are escapes; any other
    /// backslash is literal (this is how pySigma reads Windows paths).
    pub(crate) fn parse(raw: &str) -> Self {
        let mut out = SigmaStr::default();
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&n) if n == '*' || n == '?' || n == '\\' => {
                        out.push_char(n);
                        chars.next();
                    }
                    _ => out.push_char('\\'),
                },
                '*' => out.push_tok(Tok::Star),
                '?' => out.push_tok(Tok::One),
                _ => out.push_char(c),
            }
        }
        out
    }

    /// A value with no wildcard interpretation at all (numbers, booleans).
    pub(crate) fn literal(s: &str) -> Self {
        let mut out = SigmaStr::default();
        if !s.is_empty() {
            out.toks.push(Tok::Lit(s.to_string()));
        }
        out
    }

    fn push_char(&mut self, c: char) {
        if let Some(Tok::Lit(s)) = self.toks.last_mut() {
            s.push(c);
        } else {
            self.toks.push(Tok::Lit(c.to_string()));
        }
    }

    fn push_tok(&mut self, t: Tok) {
        // Consecutive stars are equivalent to one; collapsing keeps the
        // compiled forms (prefix/suffix/contains) recognisable.
        if t == Tok::Star && self.toks.last() == Some(&Tok::Star) {
            return;
        }
        self.toks.push(t);
    }

    /// The plain text when there are no wildcards.
    pub(crate) fn plain(&self) -> Option<String> {
        let mut s = String::new();
        for t in &self.toks {
            match t {
                Tok::Lit(l) => s.push_str(l),
                _ => return None,
            }
        }
        Some(s)
    }

    /// Adds a leading `*` unless one is there already.
    pub(crate) fn star_start(&mut self) {
        if self.toks.first() != Some(&Tok::Star) {
            self.toks.insert(0, Tok::Star);
        }
    }

    /// Adds a trailing `*` unless one is there already.
    pub(crate) fn star_end(&mut self) {
        if self.toks.last() != Some(&Tok::Star) {
            self.toks.push(Tok::Star);
        }
    }

    /// The longest literal run, used as the prefilter literal.
    pub(crate) fn longest_lit(&self) -> Option<&str> {
        self.toks
            .iter()
            .filter_map(|t| match t {
                Tok::Lit(s) => Some(s.as_str()),
                _ => None,
            })
            .max_by_key(|s| s.len())
    }
}

/// A compiled string comparison.
#[derive(Debug, Clone)]
pub(crate) enum StrOp {
    /// Whole value equals.
    Exact(String),
    /// Value starts with.
    Prefix(String),
    /// Value ends with.
    Suffix(String),
    /// Value contains.
    Contains(String),
    /// `*`: any value (including empty).
    Any,
    /// General wildcard pattern (compiled to an anchored regex).
    Glob(regex::Regex),
}

impl StrOp {
    /// Compiles a Sigma string; `fold_it` folds literals for
    /// case-insensitive comparison against folded event values.
    pub(crate) fn compile(s: &SigmaStr, fold_it: bool) -> Result<StrOp, String> {
        let f = |x: &str| if fold_it { fold(x) } else { x.to_string() };
        let t = &s.toks;
        let op = match t.as_slice() {
            [] => StrOp::Exact(String::new()),
            [Tok::Lit(a)] => StrOp::Exact(f(a)),
            [Tok::Star] => StrOp::Any,
            [Tok::Lit(a), Tok::Star] => StrOp::Prefix(f(a)),
            [Tok::Star, Tok::Lit(a)] => StrOp::Suffix(f(a)),
            [Tok::Star, Tok::Lit(a), Tok::Star] => StrOp::Contains(f(a)),
            _ => {
                let mut re = String::from("(?s)^");
                for tok in t {
                    match tok {
                        Tok::Lit(a) => re.push_str(&regex::escape(&f(a))),
                        Tok::Star => re.push_str(".*"),
                        Tok::One => re.push('.'),
                    }
                }
                re.push('$');
                let r = regex::RegexBuilder::new(&re)
                    .size_limit(1 << 22)
                    .build()
                    .map_err(|e| e.to_string())?;
                StrOp::Glob(r)
            }
        };
        Ok(op)
    }

    /// Tests a (possibly folded) value.
    pub(crate) fn is_match(&self, v: &str) -> bool {
        match self {
            StrOp::Exact(a) => v == a,
            StrOp::Prefix(a) => v.starts_with(a.as_str()),
            StrOp::Suffix(a) => v.ends_with(a.as_str()),
            StrOp::Contains(a) => v.contains(a.as_str()),
            StrOp::Any => true,
            StrOp::Glob(r) => r.is_match(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_escapes() {
        // `\*` escapes the star, so a backslash before a wildcard is `\\*`.
        let s = SigmaStr::parse(r"C:\Windows\\*.exe");
        assert_eq!(
            s.toks,
            vec![
                Tok::Lit(r"C:\Windows\".into()),
                Tok::Star,
                Tok::Lit(".exe".into())
            ]
        );
        let s = SigmaStr::parse(r"a\*b\?c\\d");
        assert_eq!(s.plain().as_deref(), Some(r"a*b?c\d"));
        let s = SigmaStr::parse(r"a\\*");
        assert_eq!(s.toks, vec![Tok::Lit(r"a\".into()), Tok::Star]);
    }

    #[test]
    fn fold_is_char_wise() {
        assert_eq!(fold("ΑΣ"), "ασ");
        assert_eq!(fold("ABC"), "abc");
        assert!(needs_fold("Ab"));
        assert!(!needs_fold("ab1"));
    }

    #[test]
    fn glob_ops() {
        let op = StrOp::compile(&SigmaStr::parse("a?c*"), true).unwrap_or(StrOp::Any);
        assert!(op.is_match("abcdef"));
        assert!(!op.is_match("ac"));
        let op = StrOp::compile(&SigmaStr::parse("*x*"), true).unwrap_or(StrOp::Any);
        assert!(matches!(op, StrOp::Contains(_)));
    }
}
