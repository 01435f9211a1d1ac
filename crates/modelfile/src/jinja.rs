//! Jinja2 server-side template injection patterns in chat templates (CVE-2024-34359 class).
//!
//! Chat templates are rendered by some runtimes in a non-sandboxed Jinja environment, so any
//! route from a template object to Python internals is code execution. Benign templates only
//! loop over messages and print fields; they never touch dunder attributes. The check
//! therefore normalises the obfuscations that hide dunders (escape sequences, string
//! concatenation with `~`/`+`, `|join`) and then looks for them.

use crate::util;
use crate::Verdict;

const DANGEROUS: &[&str] = &[
    "_templatereference__context",
    "func_globals",
    "os.popen",
    "os.system",
    "popen(",
    "subprocess",
    "import os",
    "__import__",
    "request.application",
    "get_flashed_messages",
    "url_for.",
    ".mro()",
    "eval(",
    "exec(",
];

const ODD_GLOBALS: &[&str] = &["lipsum", "cycler", "joiner", "self.", "config.", "request."];

/// Decodes `\xNN`, `\uNNNN` and octal escapes, which only matter inside string literals but
/// are harmless to decode everywhere for matching.
fn decode_escapes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\\' {
            let hex_len = match chars.get(i + 1) {
                Some('x') => 2,
                Some('u') => 4,
                Some('U') => 8,
                _ => 0,
            };
            if hex_len > 0 {
                let digits: String = chars.iter().skip(i + 2).take(hex_len).collect();
                if let Some(ch) = u32::from_str_radix(&digits, 16)
                    .ok()
                    .and_then(char::from_u32)
                {
                    if digits.len() == hex_len {
                        out.push(ch);
                        i += 2 + hex_len;
                        continue;
                    }
                }
            }
            let oct: String = chars
                .iter()
                .skip(i + 1)
                .take(3)
                .take_while(|d| d.is_digit(8))
                .collect();
            if oct.len() == 3 {
                if let Some(ch) = u32::from_str_radix(&oct, 8).ok().and_then(char::from_u32) {
                    out.push(ch);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Removes `' ~ '`, `" + "` and similar joins between adjacent string literals, and the
/// commas of literal lists, so split dunders become whole again.
fn collapse_concatenation(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\'' || c == '"' {
            let mut j = i + 1;
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
            if matches!(chars.get(j), Some('~' | '+' | ',')) {
                let mut k = j + 1;
                while chars.get(k).is_some_and(|c| c.is_whitespace()) {
                    k += 1;
                }
                if matches!(chars.get(k), Some('\'' | '"')) {
                    i = k + 1;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Concatenation of every quoted literal, to catch `['__cla','ss__']|join` style builds.
fn literals_joined(s: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => out.push(c),
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {}
        }
    }
    out
}

fn find_dunder(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i + 4 < b.len() {
        if b.get(i) == Some(&b'_') && b.get(i + 1) == Some(&b'_') {
            let mut j = i + 2;
            while b.get(j).is_some_and(|c| c.is_ascii_alphanumeric()) {
                j += 1;
            }
            if j > i + 2 && b.get(j) == Some(&b'_') && b.get(j + 1) == Some(&b'_') {
                return s.get(i..j + 2).map(str::to_string);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    None
}

/// Findings for one template: (severity, detail).
pub(crate) fn check(template: &str) -> Vec<(Verdict, String)> {
    let mut out = Vec::new();
    let decoded = decode_escapes(template);
    let collapsed = collapse_concatenation(&decoded);
    let lower = collapsed.to_ascii_lowercase();
    let joined = literals_joined(&decoded).to_ascii_lowercase();
    for view in [&lower, &joined] {
        if let Some(d) = find_dunder(view) {
            out.push((
                Verdict::Malicious,
                format!("template reaches Python internals via {d}"),
            ));
            break;
        }
    }
    for pat in DANGEROUS {
        if lower.contains(pat) {
            out.push((Verdict::Malicious, format!("template contains {pat:?}")));
        }
    }
    if out.is_empty() {
        if lower.contains("|attr(") || lower.contains("| attr(") {
            out.push((
                Verdict::Suspicious,
                "template uses the attr() filter".to_string(),
            ));
        }
        for g in ODD_GLOBALS {
            if lower.contains(g) {
                out.push((Verdict::Suspicious, format!("template references {g:?}")));
            }
        }
        for tag in [
            "{% import",
            "{%- import",
            "{% include",
            "{%- include",
            "{% extends",
            "{% from",
        ] {
            if lower.contains(tag) {
                out.push((
                    Verdict::Suspicious,
                    format!("template loads other templates ({tag})"),
                ));
            }
        }
    }
    for (_, d) in &mut out {
        *d = util::truncate(d, 200);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worst(t: &str) -> Verdict {
        check(t)
            .into_iter()
            .map(|(v, _)| v)
            .max()
            .unwrap_or(Verdict::Clean)
    }

    #[test]
    fn benign_templates() {
        let chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
        assert_eq!(worst(chatml), Verdict::Clean);
        let llama3 = "{%- set ns = namespace(found=false) -%}{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{%- endif %}{{ raise_exception('x') if false }}";
        assert_eq!(worst(llama3), Verdict::Clean);
    }

    #[test]
    fn ssti_variants() {
        for t in [
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "{{ joiner.__init__.__globals__ }}",
            "{{ lipsum.__globals__['os'].popen('id') }}",
            "{{ self._TemplateReference__context.cycler }}",
            "{{ ()|attr('__cla'~'ss__') }}",
            "{{ ()|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
            "{{ ()|attr(['__cla','ss__']|join) }}",
            "{{ namespace.__init__.__globals__ }}",
        ] {
            assert_eq!(worst(t), Verdict::Malicious, "{t}");
        }
        assert_eq!(worst("{{ x|attr('upper') }}"), Verdict::Suspicious);
    }
}
