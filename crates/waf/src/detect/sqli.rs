//! SQL injection detection: a small SQL tokenizer plus structural heuristics.
//!
//! In the spirit of libinjection (written from scratch here): the value is tokenized
//! three times — as bare SQL, and as if it were the tail of a `'...'` or `"..."`
//! literal the application wraps it in (so the first matching quote "closes" the
//! literal). Each token stream is then checked for shapes that need SQL to make
//! sense: `UNION SELECT`, stacked statements after `;`, boolean tautologies after
//! `AND`/`OR`, a literal broken out of and immediately followed by a comment or a
//! logic operator, time-delay / error-based functions in expression position,
//! `SELECT ... FROM` with SQL-shaped projections, `ORDER BY n` with a comment,
//! `INTO OUTFILE`. Natural language rarely produces these *sequences* even though
//! it often contains the *words* ("select the best option or 1 of them").

/// Token classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// String literal.
    Str,
    /// String literal opened but never closed.
    OpenStr,
    /// Number (decimal, hex, binary, float).
    Num,
    /// Statement keyword (SELECT, INSERT, DROP, EXEC, WAITFOR...).
    Stmt,
    /// UNION.
    Union,
    /// FROM.
    From,
    /// AND / OR / XOR / && / ||.
    Logic,
    /// NOT / !.
    Not,
    /// LIKE, RLIKE, REGEXP, IS, IN, BETWEEN, SOUNDS.
    OpKw,
    /// Other SQL keywords (WHERE, ORDER, BY, LIMIT, INTO, SET, TABLE...).
    Clause,
    /// NULL / TRUE / FALSE.
    Value,
    /// Identifier followed by `(`.
    Func,
    /// Identifier / bare word.
    Ident,
    /// `@var`, `@@var`.
    Var,
    /// Arithmetic / bitwise / cast operator.
    Op,
    /// Comparison operator.
    Cmp,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `,`.
    Comma,
    /// `;`.
    Semi,
    /// Comment (`--`, `#`, `/* */`).
    Comment,
    /// `.`.
    Dot,
    /// Anything else.
    Other,
}

impl Tok {
    fn code(self) -> char {
        match self {
            Tok::Str | Tok::OpenStr => 's',
            Tok::Num => '1',
            Tok::Stmt => 'E',
            Tok::Union => 'U',
            Tok::From => 'F',
            Tok::Logic => '&',
            Tok::Not => '!',
            Tok::OpKw => 'o',
            Tok::Clause => 'k',
            Tok::Value => 'v',
            Tok::Func => 'f',
            Tok::Ident => 'n',
            Tok::Var => '@',
            Tok::Op => '+',
            Tok::Cmp => '=',
            Tok::LParen => '(',
            Tok::RParen => ')',
            Tok::Comma => ',',
            Tok::Semi => ';',
            Tok::Comment => 'c',
            Tok::Dot => '.',
            Tok::Other => '?',
        }
    }
}

/// One token with its (lower-cased) text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Class.
    pub kind: Tok,
    /// Lower-cased text (bounded).
    pub text: String,
}

/// A detection with its strength (higher is more certain) and a short reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliHit {
    /// 1..=10.
    pub score: u8,
    /// Which shape matched.
    pub reason: &'static str,
    /// Token-class fingerprint of the context that matched (for logs).
    pub fingerprint: String,
}

const MAX_TOKENS: usize = 256;

const STMT: &[&str] = &[
    "select", "insert", "update", "delete", "drop", "create", "alter", "truncate", "exec",
    "execute", "declare", "shutdown", "grant", "revoke", "waitfor", "call", "merge", "replace",
    "handler",
];
const LOGIC: &[&str] = &["and", "or", "xor"];
const OPKW: &[&str] = &[
    "like", "rlike", "regexp", "is", "in", "between", "sounds", "div", "mod", "glob", "match",
];
const CLAUSE: &[&str] = &[
    "where",
    "order",
    "group",
    "having",
    "limit",
    "into",
    "by",
    "offset",
    "procedure",
    "outfile",
    "dumpfile",
    "all",
    "distinct",
    "top",
    "as",
    "on",
    "join",
    "table",
    "set",
    "values",
    "then",
    "when",
    "case",
    "else",
    "end",
    "asc",
    "desc",
    "delay",
    "escape",
    "collate",
    "binary",
    "exists",
    "load_file",
];
const VALUES: &[&str] = &["null", "true", "false", "unknown"];
/// Functions that are almost only ever called by injection payloads
/// (time delays, error-based extraction, file and command access).
const ATTACK_FUNCS: &[&str] = &[
    "sleep",
    "benchmark",
    "pg_sleep",
    "load_file",
    "extractvalue",
    "updatexml",
    "xp_cmdshell",
    "sys_eval",
    "sys_exec",
    "group_concat",
    "make_set",
    "elt",
    "name_const",
    "geometrycollection",
    "polygon",
    "multipoint",
    "linestring",
    "exp",
    "randomblob",
    "pg_read_file",
    "dbms_pipe",
    "receive_message",
    "utl_inaddr",
    "get_host_address",
    "utl_http",
    "ctxsys",
    "dbms_xmlgen",
    "xmltype",
    "json_keys",
    "st_latfromgeohash",
    "gtid_subset",
    "procedure_analyse",
    "lo_import",
    "copy",
    "current_setting",
    "sqlite_version",
    "database",
    "version",
    "user",
    "current_user",
    "system_user",
    "session_user",
    "schema",
    "substring",
    "substr",
    "mid",
    "ascii",
    "ord",
    "char",
    "chr",
    "concat",
    "concat_ws",
    "hex",
    "unhex",
    "if",
    "iif",
    "ifnull",
    "nullif",
    "coalesce",
    "cast",
    "convert",
    "count",
    "length",
    "len",
    "rand",
    "floor",
    "md5",
    "sha1",
    "waitfor",
];
/// The first group above (up to "sqlite_version") is strong on its own in
/// expression position; the rest only add weight.
const STRONG_FUNCS: usize = 34;
const SENSITIVE_IDENTS: &[&str] = &[
    "information_schema",
    "sysobjects",
    "syscolumns",
    "sysusers",
    "pg_catalog",
    "pg_shadow",
    "sqlite_master",
    "all_tables",
    "user_tables",
    "mysql",
    "master..sysdatabases",
    "msysobjects",
    "pg_user",
    "xp_cmdshell",
    "sys.tables",
    "dual",
];

/// Tokenize `input` (already lower-cased). `quote`: start inside a literal closed by
/// that character; returns `None` when that literal never closes (no break-out).
pub fn tokenize(input: &str, quote: Option<char>) -> Option<Vec<Token>> {
    let chars: Vec<char> = input.chars().take(8192).collect();
    let mut i = 0usize;
    let mut toks: Vec<Token> = Vec::new();
    if let Some(q) = quote {
        // Consume the tail of the enclosing literal.
        let mut closed = false;
        while i < chars.len() {
            let c = chars.get(i).copied().unwrap_or('\0');
            if c == '\\' {
                i += 2;
                continue;
            }
            if c == q {
                if chars.get(i + 1) == Some(&q) {
                    i += 2;
                    continue;
                }
                closed = true;
                i += 1;
                break;
            }
            i += 1;
        }
        if !closed {
            return None;
        }
        toks.push(Token {
            kind: Tok::Str,
            text: "'".into(),
        });
    }
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    while i < chars.len() && toks.len() < MAX_TOKENS {
        let c = at(i);
        if c.is_whitespace() || c == '\u{a0}' {
            i += 1;
            continue;
        }
        // Comments.
        if c == '-' && at(i + 1) == '-' {
            toks.push(Token {
                kind: Tok::Comment,
                text: "--".into(),
            });
            while i < chars.len() && at(i) != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '#' {
            toks.push(Token {
                kind: Tok::Comment,
                text: "#".into(),
            });
            while i < chars.len() && at(i) != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && at(i + 1) == '*' {
            // MySQL executable comments `/*!50000 ... */` run their content: tokenize it.
            if at(i + 2) == '!' {
                i += 3;
                while at(i).is_ascii_digit() {
                    i += 1;
                }
                continue;
            }
            let mut j = i + 2;
            while j < chars.len() && !(at(j) == '*' && at(j + 1) == '/') {
                j += 1;
            }
            toks.push(Token {
                kind: Tok::Comment,
                text: "/*".into(),
            });
            i = (j + 2).min(chars.len().max(j));
            continue;
        }
        if c == '*' && at(i + 1) == '/' {
            // End of an executable comment.
            i += 2;
            continue;
        }
        if c == '\'' || c == '"' || c == '`' {
            let mut j = i + 1;
            let mut closed = false;
            while j < chars.len() {
                let d = at(j);
                if d == '\\' {
                    j += 2;
                    continue;
                }
                if d == c {
                    if at(j + 1) == c {
                        j += 2;
                        continue;
                    }
                    closed = true;
                    break;
                }
                j += 1;
            }
            let text: String = chars
                .get(i + 1..j.min(chars.len()))
                .unwrap_or(&[])
                .iter()
                .take(32)
                .collect();
            let kind = if c == '`' {
                Tok::Ident
            } else if closed {
                Tok::Str
            } else {
                Tok::OpenStr
            };
            toks.push(Token { kind, text });
            i = j + 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && at(i + 1).is_ascii_digit()) {
            let mut j = i;
            if c == '0' && matches!(at(i + 1), 'x' | 'b') {
                j += 2;
                while at(j).is_ascii_hexdigit() {
                    j += 1;
                }
            } else {
                while at(j).is_ascii_digit() || at(j) == '.' {
                    j += 1;
                }
                if at(j) == 'e' && (at(j + 1).is_ascii_digit() || matches!(at(j + 1), '+' | '-')) {
                    j += 2;
                    while at(j).is_ascii_digit() {
                        j += 1;
                    }
                }
            }
            let text: String = chars.get(i..j).unwrap_or(&[]).iter().take(32).collect();
            toks.push(Token {
                kind: Tok::Num,
                text,
            });
            i = j.max(i + 1);
            continue;
        }
        if c == '@' {
            let mut j = i + 1;
            while at(j) == '@' {
                j += 1;
            }
            while at(j).is_alphanumeric() || matches!(at(j), '_' | '$' | '.') {
                j += 1;
            }
            let text: String = chars.get(i..j).unwrap_or(&[]).iter().take(32).collect();
            toks.push(Token {
                kind: Tok::Var,
                text,
            });
            i = j;
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '$' {
            let mut j = i;
            while at(j).is_alphanumeric() || matches!(at(j), '_' | '$') {
                j += 1;
            }
            let word: String = chars.get(i..j).unwrap_or(&[]).iter().take(48).collect();
            // Look past spaces and comments for '(' to spot function calls.
            let mut k = j;
            loop {
                while at(k).is_whitespace() {
                    k += 1;
                }
                if at(k) == '/' && at(k + 1) == '*' {
                    let mut m = k + 2;
                    while m < chars.len() && !(at(m) == '*' && at(m + 1) == '/') {
                        m += 1;
                    }
                    k = m + 2;
                    continue;
                }
                break;
            }
            let kind = classify_word(&word, at(k) == '(');
            toks.push(Token { kind, text: word });
            i = j;
            continue;
        }
        let two: String = [c, at(i + 1)].iter().collect();
        let (kind, len) = match two.as_str() {
            "||" => (Tok::Logic, 2),
            "&&" => (Tok::Logic, 2),
            "<=" | ">=" | "<>" | "!=" | "==" => {
                if two == "<=" && at(i + 2) == '>' {
                    (Tok::Cmp, 3)
                } else {
                    (Tok::Cmp, 2)
                }
            }
            "::" | "->" | "<<" | ">>" => (
                Tok::Op,
                if two == "->" && at(i + 2) == '>' {
                    3
                } else {
                    2
                },
            ),
            _ => match c {
                '=' | '<' | '>' => (Tok::Cmp, 1),
                '!' => (Tok::Not, 1),
                '+' | '-' | '*' | '/' | '%' | '^' | '|' | '&' | '~' | ':' => (Tok::Op, 1),
                '(' => (Tok::LParen, 1),
                ')' => (Tok::RParen, 1),
                ',' => (Tok::Comma, 1),
                ';' => (Tok::Semi, 1),
                '.' => (Tok::Dot, 1),
                _ => (Tok::Other, 1),
            },
        };
        let text: String = chars.get(i..i + len).unwrap_or(&[]).iter().collect();
        toks.push(Token { kind, text });
        i += len;
    }
    Some(toks)
}

fn classify_word(w: &str, call: bool) -> Tok {
    let lw = w.to_ascii_lowercase();
    let lw = lw.as_str();
    if lw == "union" {
        return Tok::Union;
    }
    if lw == "from" {
        return Tok::From;
    }
    if lw == "not" {
        return Tok::Not;
    }
    if LOGIC.contains(&lw) {
        return Tok::Logic;
    }
    if STMT.contains(&lw) && !(call && lw == "replace") {
        return Tok::Stmt;
    }
    if call && !OPKW.contains(&lw) {
        return Tok::Func;
    }
    if OPKW.contains(&lw) {
        return Tok::OpKw;
    }
    if VALUES.contains(&lw) {
        return Tok::Value;
    }
    if CLAUSE.contains(&lw) {
        return Tok::Clause;
    }
    Tok::Ident
}

fn is_operand(t: Tok) -> bool {
    matches!(
        t,
        Tok::Num | Tok::Str | Tok::OpenStr | Tok::Ident | Tok::Value | Tok::Var | Tok::Func
    )
}

fn is_literal(t: Tok) -> bool {
    matches!(
        t,
        Tok::Num | Tok::Str | Tok::OpenStr | Tok::Value | Tok::Var
    )
}

/// Skip a function call `f(...)` starting at `i` (pointing at the Func token);
/// returns the index after the closing paren (bounded).
fn skip_call(toks: &[Token], i: usize) -> usize {
    let mut j = i + 1;
    if toks.get(j).map(|t| t.kind) != Some(Tok::LParen) {
        return j;
    }
    let mut depth = 0i32;
    while let Some(t) = toks.get(j) {
        match t.kind {
            Tok::LParen => depth += 1,
            Tok::RParen => {
                depth -= 1;
                if depth <= 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    j
}

/// Parse `operand (op operand)*` from `i`; returns (end index, all-literal?, any-func?).
fn expression(toks: &[Token], mut i: usize) -> Option<(usize, bool, bool)> {
    let mut literal = true;
    let mut func = false;
    let mut n = 0;
    loop {
        while matches!(
            toks.get(i).map(|t| t.kind),
            Some(Tok::LParen) | Some(Tok::Not)
        ) {
            i += 1;
        }
        let t = toks.get(i)?;
        if !is_operand(t.kind) {
            return if n == 0 {
                None
            } else {
                Some((i, literal, func))
            };
        }
        literal &= is_literal(t.kind);
        if t.kind == Tok::Func {
            func = true;
            i = skip_call(toks, i);
        } else {
            i += 1;
        }
        while toks.get(i).map(|t| t.kind) == Some(Tok::RParen) {
            i += 1;
        }
        n += 1;
        match toks.get(i).map(|t| t.kind) {
            Some(Tok::Op) | Some(Tok::Dot) => i += 1,
            _ => return Some((i, literal, func)),
        }
        if n > 8 {
            return Some((i, literal, func));
        }
    }
}

fn ends_here(toks: &[Token], i: usize) -> bool {
    matches!(
        toks.get(i).map(|t| t.kind),
        None | Some(Tok::Comment)
            | Some(Tok::Semi)
            | Some(Tok::RParen)
            | Some(Tok::OpenStr)
            | Some(Tok::Logic)
    )
}

/// Check a token stream; `broke_out` when it starts by closing a literal.
fn check(toks: &[Token], broke_out: bool) -> Option<(u8, &'static str)> {
    let mut best: Option<(u8, &'static str)> = None;
    let mut bump = |s: u8, r: &'static str| {
        if !matches!(best, Some((b, _)) if b >= s) {
            best = Some((s, r));
        }
    };
    let code: Vec<Tok> = toks.iter().map(|t| t.kind).collect();
    let nc: Vec<usize> = (0..toks.len())
        .filter(|&k| code.get(k) != Some(&Tok::Comment))
        .collect();
    let has_comment = code.contains(&Tok::Comment);
    let kind = |k: usize| nc.get(k).and_then(|&p| code.get(p)).copied();
    let text = |k: usize| {
        nc.get(k)
            .and_then(|&p| toks.get(p))
            .map(|t| t.text.as_str())
            .unwrap_or("")
    };
    // Stream without comments (keywords split by /**/ must still be seen adjacent).
    let stream: Vec<Token> = nc.iter().filter_map(|&p| toks.get(p).cloned()).collect();

    if broke_out {
        // What immediately follows the closing quote (comments kept).
        match code.get(1) {
            Some(Tok::Comment) => bump(7, "quote-then-comment"),
            Some(Tok::Logic) => bump(6, "quote-then-logic"),
            Some(Tok::Semi) => bump(5, "quote-then-semicolon"),
            Some(Tok::Union) => bump(7, "quote-then-union"),
            Some(Tok::Cmp) | Some(Tok::OpKw) => {
                if matches!(
                    code.get(2),
                    Some(Tok::Str) | Some(Tok::OpenStr) | Some(Tok::Num)
                ) {
                    bump(6, "quote-then-comparison")
                }
            }
            Some(Tok::RParen) => {
                if matches!(
                    code.get(2),
                    Some(Tok::Logic) | Some(Tok::Semi) | Some(Tok::Comment) | Some(Tok::Union)
                ) {
                    bump(6, "quote-paren-then-sql")
                }
            }
            Some(Tok::Op) if toks.get(1).is_some_and(|t| t.text == "|" || t.text == "+") => {
                if matches!(
                    code.get(2),
                    Some(Tok::Func) | Some(Tok::Stmt) | Some(Tok::LParen)
                ) {
                    bump(6, "quote-then-concat")
                }
            }
            _ => {}
        }
    }

    for k in 0..nc.len() {
        match kind(k) {
            Some(Tok::Union) => {
                let mut j = k + 1;
                while matches!(kind(j), Some(Tok::LParen)) || matches!(text(j), "all" | "distinct")
                {
                    j += 1;
                }
                if kind(j) == Some(Tok::Stmt) && text(j) == "select" {
                    bump(10, "union-select");
                }
            }
            Some(Tok::Semi) if kind(k + 1) == Some(Tok::Stmt) => {
                let n1 = kind(k + 2);
                let n2 = kind(k + 3);
                let sqlish = |t: Option<Tok>| {
                    !matches!(t, Some(Tok::Ident) | Some(Tok::Logic) | Some(Tok::Not))
                };
                let strong_stmt = matches!(
                    text(k + 1),
                    "shutdown" | "waitfor" | "exec" | "execute" | "declare" | "drop" | "truncate"
                );
                if sqlish(n1) || (n1 == Some(Tok::Ident) && (sqlish(n2) || strong_stmt)) {
                    bump(
                        if broke_out || k == 0 || has_comment || n1 != Some(Tok::Ident) {
                            8
                        } else {
                            5
                        },
                        "stacked-statement",
                    );
                }
            }
            Some(Tok::Logic) => {
                if let Some((end, lit_a, func_a)) = expression(&stream, k + 1) {
                    match kind(end) {
                        Some(Tok::Cmp) | Some(Tok::OpKw) => {
                            let mut b = end + 1;
                            if text(end) == "is" && kind(b) == Some(Tok::Not) {
                                b += 1;
                            }
                            if let Some((_, lit_b, func_b)) = expression(&stream, b) {
                                let same = text(k + 1) == text(b) && !text(b).is_empty();
                                let s = if (lit_a && lit_b) || func_a || func_b || same {
                                    8
                                } else if broke_out {
                                    7
                                } else {
                                    4
                                };
                                bump(s, "boolean-tautology");
                            } else if matches!(kind(end + 1), Some(Tok::Stmt)) {
                                bump(8, "boolean-subquery");
                            }
                        }
                        _ => {
                            if ends_here(&stream, end) && lit_a && kind(k + 1) != Some(Tok::OpenStr)
                            {
                                bump(
                                    if broke_out || has_comment { 7 } else { 3 },
                                    "boolean-literal",
                                );
                            }
                            if func_a && ends_here(&stream, end) {
                                bump(if broke_out { 8 } else { 5 }, "boolean-function");
                            }
                        }
                    }
                }
                if kind(k + 1) == Some(Tok::LParen)
                    && kind(k + 2) == Some(Tok::Stmt)
                    && text(k + 2) == "select"
                {
                    bump(8, "boolean-subquery");
                }
            }
            Some(Tok::Func) => {
                let name = text(k);
                if let Some(pos) = ATTACK_FUNCS.iter().position(|f| *f == name) {
                    let prev = if k == 0 { None } else { kind(k - 1) };
                    let expr_pos = matches!(
                        prev,
                        None | Some(Tok::Logic)
                            | Some(Tok::Cmp)
                            | Some(Tok::Op)
                            | Some(Tok::Stmt)
                            | Some(Tok::Comma)
                            | Some(Tok::LParen)
                            | Some(Tok::Semi)
                            | Some(Tok::OpKw)
                            | Some(Tok::Str)
                            | Some(Tok::Clause)
                            | Some(Tok::Not)
                    );
                    let arg = kind(k + 2);
                    let sql_arg = matches!(
                        arg,
                        Some(Tok::Num)
                            | Some(Tok::Str)
                            | Some(Tok::Func)
                            | Some(Tok::Var)
                            | Some(Tok::Stmt)
                            | Some(Tok::RParen)
                            | Some(Tok::Ident)
                    );
                    if pos < STRONG_FUNCS && expr_pos && sql_arg {
                        let whole = k == 0 && skip_call(&stream, k) >= stream.len();
                        let s = if prev.is_some() || whole || broke_out {
                            7
                        } else {
                            5
                        };
                        bump(s, "sql-function");
                    } else if expr_pos && sql_arg && prev.is_some() && prev != Some(Tok::LParen) {
                        bump(3, "sql-function-weak");
                    }
                }
            }
            Some(Tok::Stmt) => {
                let name = text(k);
                if name == "select" {
                    let n1 = kind(k + 1);
                    let projection = matches!(
                        n1,
                        Some(Tok::Func)
                            | Some(Tok::Var)
                            | Some(Tok::Num)
                            | Some(Tok::Str)
                            | Some(Tok::Op)
                            | Some(Tok::LParen)
                    ) || (n1 == Some(Tok::Ident)
                        && matches!(
                            kind(k + 2),
                            Some(Tok::Comma) | Some(Tok::Dot) | Some(Tok::From)
                        ))
                        || matches!(text(k + 1), "distinct" | "all" | "top" | "case" | "if");
                    let from_later =
                        (k + 1..(k + 24).min(nc.len())).any(|j| kind(j) == Some(Tok::From));
                    let sub = k > 0 && kind(k - 1) == Some(Tok::LParen);
                    if projection && (from_later || sub || broke_out) {
                        bump(8, "select-query");
                    } else if projection && (k == 0 || has_comment) {
                        bump(5, "select-expression");
                    } else if from_later && (sub || has_comment) {
                        bump(5, "select-from");
                    }
                } else if name == "waitfor" && matches!(text(k + 1), "delay" | "time") {
                    bump(8, "waitfor-delay");
                } else if matches!(name, "insert") && text(k + 1) == "into" {
                    bump(if broke_out || k > 0 { 6 } else { 4 }, "insert-into");
                } else if matches!(name, "drop" | "truncate" | "alter" | "create")
                    && text(k + 1) == "table"
                {
                    bump(if broke_out || k > 0 { 7 } else { 4 }, "ddl-statement");
                } else if matches!(name, "update")
                    && kind(k + 2) == Some(Tok::Clause)
                    && text(k + 2) == "set"
                {
                    bump(if broke_out || k > 0 { 7 } else { 4 }, "update-set");
                } else if matches!(name, "delete") && kind(k + 1) == Some(Tok::From) {
                    bump(if broke_out || k > 0 { 7 } else { 4 }, "delete-from");
                } else if matches!(name, "exec" | "execute")
                    && matches!(
                        text(k + 1),
                        "xp_cmdshell" | "sp_executesql" | "master" | "sp_configure"
                    )
                {
                    bump(9, "exec-procedure");
                }
            }
            Some(Tok::Clause) => {
                let name = text(k);
                if (name == "order" || name == "group")
                    && text(k + 1) == "by"
                    && kind(k + 2) == Some(Tok::Num)
                {
                    bump(
                        if broke_out || has_comment { 7 } else { 3 },
                        "order-by-number",
                    );
                }
                if name == "into" && matches!(text(k + 1), "outfile" | "dumpfile") {
                    bump(9, "into-outfile");
                }
                if name == "having" && expression(&stream, k + 1).is_some() {
                    bump(
                        if broke_out || has_comment { 6 } else { 3 },
                        "having-clause",
                    );
                }
            }
            Some(Tok::Ident) | Some(Tok::Var) => {
                let name = text(k);
                let sensitive = SENSITIVE_IDENTS.contains(&name) || name.starts_with("@@");
                if sensitive && name != "dual" && name != "mysql" {
                    let sql_near = nc.len() > 1
                        && (0..nc.len()).any(|j| {
                            matches!(
                                kind(j),
                                Some(Tok::Stmt)
                                    | Some(Tok::From)
                                    | Some(Tok::Dot)
                                    | Some(Tok::Func)
                                    | Some(Tok::Logic)
                                    | Some(Tok::Union)
                            )
                        });
                    bump(if sql_near { 7 } else { 3 }, "sql-system-object");
                }
            }
            _ => {}
        }
    }
    // A number or literal closed off by a comment: `1--`, `1'#`.
    if broke_out && has_comment && nc.len() <= 3 {
        bump(5, "literal-then-comment");
    }
    best
}

/// Analyse a value; returns the strongest shape across the three contexts.
pub fn detect(input: &str) -> Option<SqliHit> {
    let lower = input.to_lowercase();
    // Quick reject: without any SQL punctuation or keyword-ish letters there is nothing to find.
    if lower.len() < 2 {
        return None;
    }
    let mut best: Option<SqliHit> = None;
    for quote in [None, Some('\''), Some('"')] {
        if let Some(q) = quote {
            if !lower.contains(q) {
                continue;
            }
        }
        let Some(toks) = tokenize(&lower, quote) else {
            continue;
        };
        if let Some((score, reason)) = check(&toks, quote.is_some()) {
            if !matches!(&best, Some(b) if b.score >= score) {
                let fingerprint: String = toks.iter().take(8).map(|t| t.kind.code()).collect();
                best = Some(SqliHit {
                    score,
                    reason,
                    fingerprint,
                });
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(s: &str) -> u8 {
        detect(s).map_or(0, |h| h.score)
    }

    #[test]
    fn attacks() {
        for a in [
            "' or '1'='1",
            "1 or 1=1",
            "admin'--",
            "1' and sleep(5)#",
            "-1 union select 1,2,3--",
            "1 UNION/**/ALL SELECT username FROM users",
            "'; drop table users--",
            "1; waitfor delay '0:0:5'--",
            "(select group_concat(table_name,0x3a,column_name,0x5c6e) from information_schema.columns where table_schema=database())",
            "' UNION SELECT username || ':' || password FROM users",
            "1' order by 3--",
            "\") or (\"a\"=\"a",
            "1 and extractvalue(1,concat(0x7e,version()))",
            "sleep(5)",
            "1) or 1=1 limit 1 -- -",
            "' or ''='",
            "1;select pg_sleep(5)",
            "SELECT * FROM users WHERE id = 1",
        ] {
            assert!(score(a) >= 6, "missed {a:?}: {:?}", detect(a));
        }
    }

    #[test]
    fn natural_language() {
        for b in [
            "select the best option or 1 of them",
            "union was a great select",
            "1) a-b=c",
            "DEAR FINN,--I think it would do; copy should reach us second post",
            "If the subject parameter is greater than 0, then return a list of all articles with that subject.",
            "I would like to request a random number between 1 and 10, please.",
            "O'Brien and Smith went to the shop",
            "It's 5 o'clock or so",
            "Please update my address; delete the old one",
            "true or false",
            "I need sleep (8 hours at least)",
            "we should drop the table from the plan",
            "I setted the COOKIE value to : expandGeoJsonFeatures=true;",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
            "Tom & Jerry; the best cartoon - ever",
        ] {
            assert!(score(b) < 6, "false positive {b:?}: {:?}", detect(b));
        }
    }
}
