//! Sigma condition expressions: parsing and evaluation.
//!
//! Grammar (precedence not > and > or, all left-associative):
//! `expr := and ("or" and)*`, `and := unary ("and" unary)*`,
//! `unary := "not" unary | "(" expr ")" | quant "of" target | ident`,
//! `quant := "all" | integer`, `target := "them" | ident-pattern`.
//! Identifiers are resolved to selection indices at parse time so that
//! evaluation is a walk over integers.

use crate::error::LoadErrorKind;

/// A parsed condition with selections resolved to indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    Sel(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    /// At least `n` of the selections (`n == usize::MAX` means all).
    Of(usize, Vec<usize>),
}

impl Cond {
    /// Evaluates with a callback deciding each selection.
    pub(crate) fn eval(&self, sel: &mut impl FnMut(usize) -> bool) -> bool {
        match self {
            Cond::Sel(i) => sel(*i),
            Cond::Not(c) => !c.eval(sel),
            Cond::And(cs) => cs.iter().all(|c| c.eval(sel)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(sel)),
            Cond::Of(n, ids) => {
                if *n == usize::MAX {
                    ids.iter().all(|i| sel(*i))
                } else {
                    let mut hit = 0usize;
                    for i in ids {
                        if sel(*i) {
                            hit += 1;
                            if hit >= *n {
                                return true;
                            }
                        }
                    }
                    false
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    LParen,
    RParen,
    Word(String),
}

fn tokenize(s: &str) -> Result<Vec<Token>, LoadErrorKind> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<Token>| {
        if !cur.is_empty() {
            out.push(Token::Word(std::mem::take(cur)));
        }
    };
    for c in s.chars() {
        match c {
            '(' => {
                flush(&mut cur, &mut out);
                out.push(Token::LParen);
            }
            ')' => {
                flush(&mut cur, &mut out);
                out.push(Token::RParen);
            }
            '|' => {
                return Err(LoadErrorKind::Unsupported(
                    "aggregation expressions (`| count() ...`) of Sigma v1".into(),
                ))
            }
            c if c.is_whitespace() => flush(&mut cur, &mut out),
            c => cur.push(c),
        }
    }
    flush(&mut cur, &mut out);
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    names: &'a [String],
    depth: usize,
}

fn glob_match(pat: &str, name: &str) -> bool {
    // Only `*` is meaningful in selection patterns.
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == name;
    }
    let mut rest = name;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else if let Some(at) = rest.find(p) {
            rest = rest.get(at + p.len()..).unwrap_or("");
        } else {
            return false;
        }
    }
    true
}

impl Parser<'_> {
    fn peek_word(&self) -> Option<&str> {
        match self.toks.get(self.pos) {
            Some(Token::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn expr(&mut self) -> Result<Cond, LoadErrorKind> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(LoadErrorKind::BadCondition("nesting too deep".into()));
        }
        let mut items = vec![self.and()?];
        while self.peek_word() == Some("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self) -> Result<Cond, LoadErrorKind> {
        let mut items = vec![self.unary()?];
        while self.peek_word() == Some("and") {
            self.pos += 1;
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn unary(&mut self) -> Result<Cond, LoadErrorKind> {
        let tok = self.toks.get(self.pos).cloned();
        self.pos += 1;
        match tok {
            None => Err(LoadErrorKind::BadCondition("unexpected end".into())),
            Some(Token::RParen) => Err(LoadErrorKind::BadCondition("unexpected `)`".into())),
            Some(Token::LParen) => {
                let e = self.expr()?;
                if self.toks.get(self.pos) != Some(&Token::RParen) {
                    return Err(LoadErrorKind::BadCondition("missing `)`".into()));
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Token::Word(w)) => match w.as_str() {
                "not" => {
                    self.depth += 1;
                    if self.depth > 64 {
                        return Err(LoadErrorKind::BadCondition("nesting too deep".into()));
                    }
                    let inner = self.unary()?;
                    self.depth -= 1;
                    Ok(Cond::Not(Box::new(inner)))
                }
                "and" | "or" | "of" | "them" => Err(LoadErrorKind::BadCondition(format!(
                    "unexpected keyword `{w}`"
                ))),
                _ if self.peek_word() == Some("of") => {
                    let n = if w == "all" {
                        usize::MAX
                    } else {
                        w.parse::<usize>().map_err(|_| {
                            LoadErrorKind::BadCondition(format!("bad quantifier `{w}`"))
                        })?
                    };
                    self.pos += 1;
                    let target = match self.toks.get(self.pos) {
                        Some(Token::Word(t)) => t.clone(),
                        _ => return Err(LoadErrorKind::BadCondition("`of` without target".into())),
                    };
                    self.pos += 1;
                    let ids: Vec<usize> = self
                        .names
                        .iter()
                        .enumerate()
                        .filter(|(_, name)| {
                            if target == "them" {
                                !name.starts_with('_')
                            } else {
                                glob_match(&target, name)
                            }
                        })
                        .map(|(i, _)| i)
                        .collect();
                    if ids.is_empty() {
                        return Err(LoadErrorKind::BadCondition(format!(
                            "`{target}` matches no selection"
                        )));
                    }
                    Ok(Cond::Of(n, ids))
                }
                _ => self
                    .names
                    .iter()
                    .position(|n| *n == w)
                    .map(Cond::Sel)
                    .ok_or_else(|| {
                        LoadErrorKind::BadCondition(format!("unknown identifier `{w}`"))
                    }),
            },
        }
    }
}

/// Parses one condition string against the rule's selection names.
pub(crate) fn parse(cond: &str, names: &[String]) -> Result<Cond, LoadErrorKind> {
    let toks = tokenize(cond)?;
    if toks.is_empty() {
        return Err(LoadErrorKind::BadCondition("empty condition".into()));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        names,
        depth: 0,
    };
    let c = p.expr()?;
    if p.pos != p.toks.len() {
        return Err(LoadErrorKind::BadCondition(format!(
            "trailing input in `{cond}`"
        )));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["a", "b", "c", "sel_1", "sel_2", "_hidden"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn eval(cond: &str, truth: &[bool]) -> bool {
        let c = parse(cond, &names()).unwrap_or(Cond::Or(vec![]));
        c.eval(&mut |i| truth.get(i).copied().unwrap_or(false))
    }

    #[test]
    fn precedence_not_and_or() {
        // a or b and c == a or (b and c)
        assert!(eval("a or b and c", &[true, false, false]));
        assert!(!eval("a or b and c", &[false, true, false]));
        // not a and b == (not a) and b
        assert!(eval("not a and b", &[false, true]));
        assert!(!eval("not a and b", &[true, true]));
        assert!(!eval("not (a or b)", &[false, true]));
        assert!(eval("(a or b) and c", &[false, true, true]));
    }

    #[test]
    fn quantifiers() {
        assert!(eval("1 of sel_*", &[false, false, false, false, true]));
        assert!(!eval("all of sel_*", &[false, false, false, false, true]));
        assert!(eval("all of sel_*", &[false, false, false, true, true]));
        // `them` ignores underscore-prefixed identifiers.
        assert!(eval("all of them", &[true, true, true, true, true, false]));
        assert!(eval("1 of them and not _hidden", &[true]));
        assert!(eval("2 of them", &[true, true]));
        assert!(!eval("2 of them", &[true]));
    }

    #[test]
    fn errors() {
        assert!(parse("a and", &names()).is_err());
        assert!(parse("unknown", &names()).is_err());
        assert!(parse("(a", &names()).is_err());
        assert!(parse("1 of nomatch_*", &names()).is_err());
        assert!(matches!(
            parse("a | count() > 5", &names()),
            Err(LoadErrorKind::Unsupported(_))
        ));
        let deep = "(".repeat(200) + "a" + &")".repeat(200);
        assert!(parse(&deep, &names()).is_err());
    }
}
