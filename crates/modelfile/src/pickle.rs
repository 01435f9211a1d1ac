//! Bounded pickle opcode walker.
//!
//! Hand-written because the job is the opposite of a loader: instead of building objects it
//! must resolve *which callables a stream would import and call* without importing anything,
//! survive any byte sequence, and keep what it learned when the stream breaks. It simulates
//! the unpickler's stack, mark stack and memo with cheap reference-counted placeholder values,
//! which is enough to follow `STACK_GLOBAL` operands through the memo, see what `REDUCE`,
//! `INST`, `OBJ`, `NEWOBJ(_EX)` and `BUILD` apply to, and skip joblib's inline array buffers.
//! Containers keep only a bounded prefix of their items, so memo aliasing cannot blow up
//! memory or time.

use crate::policy::{self, Class};
use crate::util::{self, Reader};
use crate::{Acc, Budget, Format, Limits, Verdict};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Items kept per simulated container; enough for joblib wrapper state and call arguments.
const CONTAINER_KEEP: usize = 64;
/// Characters kept per simulated string.
const STRING_KEEP: usize = 16 * 1024;
/// Nesting depth explored when inspecting call arguments.
const ARG_DEPTH: usize = 4;

/// One imported global as seen in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Module part (`posix`).
    pub module: String,
    /// Attribute part, possibly dotted (`Profile.runctx`).
    pub name: String,
    /// Byte offset of the importing opcode.
    pub offset: usize,
    /// Opcode that imported it.
    pub via: &'static str,
    /// Index of the importing opcode in the walk (for "was it ever invoked").
    op_index: u64,
    /// Segment (concatenated pickle number) it came from.
    segment: u32,
    /// First code-like string argument it was called with, if any.
    code_arg: Option<String>,
}

/// Structural findings kept per walk; a hostile stream can repeat one trick endlessly.
const MAX_FINDINGS: usize = 256;
/// Distinct imports tracked per walk (real checkpoints use a few dozen).
const MAX_IMPORTS: usize = 100_000;

/// Structural finding that is not an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Severity of the finding.
    pub severity: Verdict,
    /// Short class, e.g. `build-on-global`.
    pub kind: &'static str,
    /// Human-readable detail.
    pub detail: String,
    /// Byte offset.
    pub offset: usize,
}

/// Everything learned from walking a byte stream as pickle(s).
#[derive(Debug, Default)]
pub struct Walk {
    /// Imports in stream order (duplicates kept; callers deduplicate).
    pub imports: Vec<Import>,
    /// Structural findings.
    pub findings: Vec<Finding>,
    /// Parse errors with offsets.
    pub errors: Vec<String>,
    /// Opcodes executed.
    pub opcodes: u64,
    /// Complete pickles (terminated by STOP).
    pub complete_segments: u32,
    /// Offset where walking ended.
    pub end: usize,
    /// Highest PROTO seen.
    pub protocol: u8,
    /// Whether joblib array wrappers were seen.
    pub joblib: bool,
    /// Persistent ids seen (PyTorch storages).
    pub persistent_ids: u64,
    /// Whether the stream broke (error) in the segment it was in.
    broken_segment: Option<u32>,
    /// Op index of the last call-like opcode.
    last_call: Option<u64>,
    /// (module, name, segment) -> index into `imports`, so repeated globals cost O(1).
    import_index: HashMap<(String, String, u32), usize>,
}

#[derive(Debug, Clone)]
enum Val {
    None,
    Bool,
    Int(i64),
    BigInt,
    Float,
    Str(Rc<str>),
    Bytes,
    Tuple(Rc<Vec<Val>>),
    List(Rc<Vec<Val>>),
    Dict(Rc<Vec<(Val, Val)>>),
    Set,
    Global(usize),
    Obj(Rc<ObjInfo>),
    Persistent,
    Unknown,
}

#[derive(Debug)]
struct ObjInfo {
    /// Import index of the callee when it was a direct global.
    callee: Option<usize>,
    args: Val,
    state: Option<Val>,
}

struct WalkErr {
    offset: usize,
    msg: String,
}

fn err(offset: usize, msg: impl Into<String>) -> WalkErr {
    WalkErr {
        offset,
        msg: msg.into(),
    }
}

/// Per-pickle interpreter state (each `pickle.load` starts a fresh unpickler).
struct Machine {
    stack: Vec<Val>,
    marks: Vec<usize>,
    memo: HashMap<u64, Val>,
}

impl Machine {
    fn new() -> Self {
        Machine {
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
        }
    }

    fn base(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self, off: usize) -> Result<Val, WalkErr> {
        if self.stack.len() <= self.base() {
            return Err(err(off, "stack underflow"));
        }
        self.stack.pop().ok_or_else(|| err(off, "stack underflow"))
    }

    fn top_mut(&mut self, off: usize) -> Result<&mut Val, WalkErr> {
        if self.stack.len() <= self.base() {
            return Err(err(off, "stack underflow"));
        }
        self.stack
            .last_mut()
            .ok_or_else(|| err(off, "stack underflow"))
    }

    fn top(&self, off: usize) -> Result<&Val, WalkErr> {
        if self.stack.len() <= self.base() {
            return Err(err(off, "stack underflow"));
        }
        self.stack.last().ok_or_else(|| err(off, "stack underflow"))
    }

    fn pop_mark(&mut self, off: usize) -> Result<Vec<Val>, WalkErr> {
        let m = self
            .marks
            .pop()
            .ok_or_else(|| err(off, "mark stack underflow"))?;
        if m > self.stack.len() {
            return Err(err(off, "corrupt mark"));
        }
        Ok(self.stack.split_off(m))
    }
}

fn bounded(items: Vec<Val>) -> Vec<Val> {
    let mut items = items;
    items.truncate(CONTAINER_KEEP);
    items
}

/// Options for one walk.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkOptions {
    /// Stop after the first complete pickle (used for nested object-array payloads).
    pub single: bool,
}

/// Walks `data` as one or more concatenated pickles.
pub fn walk(data: &[u8], limits: &Limits, opts: WalkOptions) -> Walk {
    let mut w = Walk::default();
    walk_into(&mut w, data, 0, limits, opts, 0);
    w
}

fn walk_into(
    w: &mut Walk,
    data: &[u8],
    start: usize,
    limits: &Limits,
    opts: WalkOptions,
    nest: u32,
) {
    let mut pos = start;
    let mut segment: u32 = 0;
    loop {
        let imports_before = w.imports.len();
        let ops_before = w.opcodes;
        match run_segment(w, data, pos, limits, segment, nest) {
            Ok(end) => {
                w.complete_segments = w.complete_segments.saturating_add(1);
                w.end = end;
                pos = end;
                if opts.single || pos >= data.len() {
                    return;
                }
                // Trailing zero or whitespace padding is common and not another pickle.
                let rest = data.get(pos..).unwrap_or_default();
                if rest
                    .iter()
                    .all(|b| matches!(b, 0 | b'\n' | b'\r' | b' ' | b'\t'))
                {
                    return;
                }
                segment = segment.saturating_add(1);
            }
            Err(e) => {
                let few_ops = w.opcodes.saturating_sub(ops_before) < 3;
                if segment > 0 && w.imports.len() == imports_before && few_ops {
                    // Raw tensor data after the pickles of a legacy torch file, or other
                    // trailing bytes: not a pickle, nothing was imported from it.
                    w.end = pos;
                    return;
                }
                w.errors.push(format!("{} at offset {}", e.msg, e.offset));
                w.broken_segment = Some(segment);
                w.end = e.offset;
                return;
            }
        }
    }
}

/// Decodes Python 2 `STRING` repr bodies well enough to recover names like `'os'`.
fn unescape_py_string(raw: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'\\' {
            let next = raw.get(i + 1).copied();
            match next {
                Some(b'n') => out.push('\n'),
                Some(b't') => out.push('\t'),
                Some(b'r') => out.push('\r'),
                Some(b'\\') => out.push('\\'),
                Some(b'\'') => out.push('\''),
                Some(b'"') => out.push('"'),
                Some(b'x') => {
                    let hex = raw
                        .get(i + 2..i + 4)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        out.push(char::from(v));
                        i += 4;
                        continue;
                    }
                    out.push('\\');
                    i += 1;
                    continue;
                }
                Some(c) => {
                    out.push('\\');
                    out.push(char::from(c));
                }
                None => out.push('\\'),
            }
            i += 2;
        } else {
            out.push(char::from(b));
            i += 1;
        }
    }
    out
}

/// Decodes `raw-unicode-escape` (protocol 0 `UNICODE`): latin-1 plus `\uXXXX`/`\UXXXXXXXX`.
fn raw_unicode_escape(raw: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'\\' {
            let width = match raw.get(i + 1) {
                Some(b'u') => 4,
                Some(b'U') => 8,
                _ => 0,
            };
            if width > 0 {
                let hex = raw
                    .get(i + 2..i + 2 + width)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32);
                if let Some(c) = hex {
                    out.push(c);
                    i += 2 + width;
                    continue;
                }
            }
        }
        out.push(char::from(b));
        i += 1;
    }
    out
}

fn mk_str(s: &str) -> Val {
    if s.len() > STRING_KEEP {
        Val::Str(Rc::from(util::truncate(s, STRING_KEEP).as_str()))
    } else {
        Val::Str(Rc::from(s))
    }
}

fn bytes_to_string(b: &[u8]) -> Val {
    let end = b.len().min(STRING_KEEP);
    let s: String = b
        .get(..end)
        .unwrap_or_default()
        .iter()
        .map(|&c| char::from(c))
        .collect();
    Val::Str(Rc::from(s.as_str()))
}

fn utf8_val(b: &[u8], off: usize) -> Result<Val, WalkErr> {
    let end = b.len().min(STRING_KEEP + 4);
    let cut = b.get(..end).unwrap_or_default();
    match std::str::from_utf8(cut) {
        Ok(s) => Ok(mk_str(s)),
        Err(e) if cut.len() < b.len() && e.valid_up_to() + 4 >= cut.len() => {
            // Truncation for storage split a character; the prefix is still valid text.
            Ok(mk_str(&String::from_utf8_lossy(cut)))
        }
        Err(_) => Err(err(off, "invalid UTF-8 in unicode string")),
    }
}

fn le_int(b: &[u8]) -> Val {
    if b.is_empty() {
        return Val::Int(0);
    }
    if b.len() > 8 {
        return Val::BigInt;
    }
    let neg = b.last().is_some_and(|&x| x & 0x80 != 0);
    let mut buf = if neg { [0xffu8; 8] } else { [0u8; 8] };
    if let Some(dst) = buf.get_mut(..b.len()) {
        dst.copy_from_slice(b);
    }
    Val::Int(i64::from_le_bytes(buf))
}

fn parse_int_line(line: &[u8]) -> Val {
    let s = String::from_utf8_lossy(line);
    let t = s.trim().trim_end_matches('L');
    match t {
        "00" | "01" => Val::Bool,
        _ => t.parse::<i64>().map(Val::Int).unwrap_or(Val::BigInt),
    }
}

/// Text-ish argument content that looks like shell or Python code.
pub(crate) fn code_like(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    const PATTERNS: &[&str] = &[
        "import ",
        "__import__",
        "os.system",
        "os.popen",
        "subprocess",
        "exec(",
        "eval(",
        "compile(",
        "/bin/sh",
        "/bin/bash",
        "sh -c",
        "bash -c",
        "cmd.exe",
        "powershell",
        "curl ",
        "wget ",
        "rm -rf",
        "nc -e",
        "| sh",
        "|sh",
        "| bash",
        "$(",
        "chmod ",
        "echo ",
        "print(",
        "open(",
        "socket.",
        "base64 -d",
        "python -c",
        "lambda:",
        "whoami",
        "cat /etc/",
    ];
    PATTERNS.iter().any(|p| l.contains(p))
}

fn find_code_arg(v: &Val, depth: usize) -> Option<String> {
    if depth > ARG_DEPTH {
        return None;
    }
    match v {
        Val::Str(s) if code_like(s) => Some(util::snippet(s, 160)),
        Val::Tuple(items) | Val::List(items) => {
            items.iter().find_map(|i| find_code_arg(i, depth + 1))
        }
        Val::Dict(items) => items
            .iter()
            .find_map(|(k, v)| find_code_arg(k, depth + 1).or_else(|| find_code_arg(v, depth + 1))),
        Val::Obj(o) => find_code_arg(&o.args, depth + 1),
        _ => None,
    }
}

struct Ctx<'a> {
    data: &'a [u8],
    limits: &'a Limits,
    segment: u32,
    nest: u32,
}

/// Runs one pickle from `start` to its STOP; returns the offset after STOP.
fn run_segment(
    w: &mut Walk,
    data: &[u8],
    start: usize,
    limits: &Limits,
    segment: u32,
    nest: u32,
) -> Result<usize, WalkErr> {
    let ctx = Ctx {
        data,
        limits,
        segment,
        nest,
    };
    let mut m = Machine::new();
    let mut r = Reader::at(data, start);
    if r.remaining() == 0 {
        return Err(err(start, "empty pickle stream"));
    }
    loop {
        let off = r.pos();
        if w.opcodes >= limits.max_opcodes {
            return Err(err(off, "opcode limit exceeded"));
        }
        let op = r.u8().ok_or_else(|| err(off, "truncated: missing STOP"))?;
        w.opcodes += 1;
        let op_index = w.opcodes;
        if m.stack.len() + m.marks.len() > limits.max_stack_depth {
            return Err(err(off, "stack depth limit exceeded"));
        }
        if step(w, &ctx, &mut m, &mut r, op, off, op_index)? {
            return Ok(r.pos());
        }
    }
}

fn need<T>(v: Option<T>, off: usize, what: &str) -> Result<T, WalkErr> {
    v.ok_or_else(|| err(off, format!("truncated {what}")))
}

fn len_prefixed<'a>(
    r: &mut Reader<'a>,
    n: u64,
    off: usize,
    what: &str,
) -> Result<&'a [u8], WalkErr> {
    let n = usize::try_from(n).map_err(|_| err(off, format!("{what} length too large")))?;
    if n > r.remaining() {
        return Err(err(off, format!("truncated {what}: {n} bytes declared")));
    }
    need(r.take(n), off, what)
}

fn record_import(
    w: &mut Walk,
    ctx: &Ctx<'_>,
    module: &str,
    name: &str,
    off: usize,
    via: &'static str,
    op_index: u64,
) -> Result<usize, WalkErr> {
    if module.contains("joblib") && name.contains("ArrayWrapper") {
        w.joblib = true;
    }
    // Repeated imports of one global (big state dicts) share an entry.
    let key = (module.to_string(), name.to_string(), ctx.segment);
    if let Some(&i) = w.import_index.get(&key) {
        return Ok(i);
    }
    if w.imports.len() >= MAX_IMPORTS {
        return Err(err(off, "distinct import limit exceeded"));
    }
    w.imports.push(Import {
        module: module.to_string(),
        name: name.to_string(),
        offset: off,
        via,
        op_index,
        segment: ctx.segment,
        code_arg: None,
    });
    w.import_index.insert(key, w.imports.len() - 1);
    Ok(w.imports.len() - 1)
}

fn note_call(w: &mut Walk, callee: &Val, args: &Val, op_index: u64) -> Option<usize> {
    w.last_call = Some(op_index);
    if let Val::Global(i) = callee {
        if let Some(imp) = w.imports.get_mut(*i) {
            if imp.code_arg.is_none() {
                imp.code_arg = find_code_arg(args, 0);
            }
        }
        return Some(*i);
    }
    None
}

fn read_global_lines(r: &mut Reader<'_>, off: usize) -> Result<(String, String), WalkErr> {
    let module = need(r.line(), off, "GLOBAL module")?;
    let name = need(r.line(), off, "GLOBAL name")?;
    let module = std::str::from_utf8(module).map_err(|_| err(off, "GLOBAL module is not UTF-8"))?;
    let name = std::str::from_utf8(name).map_err(|_| err(off, "GLOBAL name is not UTF-8"))?;
    if !util::is_dotted_identifier(module) || !util::is_dotted_identifier(name) {
        return Err(err(off, "GLOBAL operand is not a dotted identifier"));
    }
    Ok((module.to_string(), name.to_string()))
}

#[allow(clippy::too_many_lines)]
fn step(
    w: &mut Walk,
    ctx: &Ctx<'_>,
    m: &mut Machine,
    r: &mut Reader<'_>,
    op: u8,
    off: usize,
    op_index: u64,
) -> Result<bool, WalkErr> {
    match op {
        // PROTO
        0x80 => {
            let v = need(r.u8(), off, "PROTO")?;
            if v > 5 {
                return Err(err(off, format!("unsupported pickle protocol {v}")));
            }
            w.protocol = w.protocol.max(v);
        }
        // FRAME: a length hint; opcodes inside are parsed normally.
        0x95 => {
            need(r.u64(), off, "FRAME")?;
        }
        // STOP
        b'.' => {
            m.pop(off)?;
            return Ok(true);
        }
        b'(' => {
            if m.marks.len() >= ctx.limits.max_stack_depth {
                return Err(err(off, "mark stack limit exceeded"));
            }
            m.marks.push(m.stack.len());
        }
        // POP: on an empty frame Python pops the mark instead.
        b'0' => {
            if m.stack.len() > m.base() {
                m.pop(off)?;
            } else {
                m.pop_mark(off)?;
            }
        }
        b'1' => {
            m.pop_mark(off)?;
        }
        b'2' => {
            let v = m.top(off)?.clone();
            m.stack.push(v);
        }
        b'N' => m.stack.push(Val::None),
        0x88 | 0x89 => m.stack.push(Val::Bool),
        b'I' => {
            let l = need(r.line(), off, "INT")?;
            m.stack.push(parse_int_line(l));
        }
        b'L' => {
            let l = need(r.line(), off, "LONG")?;
            m.stack.push(parse_int_line(l));
        }
        b'J' => {
            let v = need(r.i32(), off, "BININT")?;
            m.stack.push(Val::Int(i64::from(v)));
        }
        b'K' => {
            let v = need(r.u8(), off, "BININT1")?;
            m.stack.push(Val::Int(i64::from(v)));
        }
        b'M' => {
            let v = need(r.u16(), off, "BININT2")?;
            m.stack.push(Val::Int(i64::from(v)));
        }
        0x8a => {
            let n = need(r.u8(), off, "LONG1")?;
            let b = len_prefixed(r, u64::from(n), off, "LONG1")?;
            m.stack.push(le_int(b));
        }
        0x8b => {
            let n = need(r.i32(), off, "LONG4")?;
            if n < 0 {
                return Err(err(off, "LONG4 with negative length"));
            }
            let b = len_prefixed(r, n as u64, off, "LONG4")?;
            m.stack.push(le_int(b));
        }
        b'F' => {
            need(r.line(), off, "FLOAT")?;
            m.stack.push(Val::Float);
        }
        b'G' => {
            need(r.take(8), off, "BINFLOAT")?;
            m.stack.push(Val::Float);
        }
        b'S' => {
            let l = need(r.line(), off, "STRING")?;
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            let body = match (l.first(), l.last()) {
                (Some(b'\''), Some(b'\'')) | (Some(b'"'), Some(b'"')) if l.len() >= 2 => {
                    l.get(1..l.len() - 1).unwrap_or_default()
                }
                _ => return Err(err(off, "STRING not quoted")),
            };
            m.stack.push(mk_str(&unescape_py_string(body)));
        }
        b'T' => {
            let n = need(r.i32(), off, "BINSTRING")?;
            if n < 0 {
                return Err(err(off, "BINSTRING with negative length"));
            }
            let b = len_prefixed(r, n as u64, off, "BINSTRING")?;
            m.stack.push(bytes_to_string(b));
        }
        b'U' => {
            let n = need(r.u8(), off, "SHORT_BINSTRING")?;
            let b = len_prefixed(r, u64::from(n), off, "SHORT_BINSTRING")?;
            m.stack.push(bytes_to_string(b));
        }
        b'V' => {
            let l = need(r.line(), off, "UNICODE")?;
            m.stack.push(mk_str(&raw_unicode_escape(l)));
        }
        b'X' => {
            let n = need(r.u32(), off, "BINUNICODE")?;
            let b = len_prefixed(r, u64::from(n), off, "BINUNICODE")?;
            m.stack.push(utf8_val(b, off)?);
        }
        0x8c => {
            let n = need(r.u8(), off, "SHORT_BINUNICODE")?;
            let b = len_prefixed(r, u64::from(n), off, "SHORT_BINUNICODE")?;
            m.stack.push(utf8_val(b, off)?);
        }
        0x8d => {
            let n = need(r.u64(), off, "BINUNICODE8")?;
            let b = len_prefixed(r, n, off, "BINUNICODE8")?;
            m.stack.push(utf8_val(b, off)?);
        }
        b'B' => {
            let n = need(r.u32(), off, "BINBYTES")?;
            len_prefixed(r, u64::from(n), off, "BINBYTES")?;
            m.stack.push(Val::Bytes);
        }
        b'C' => {
            let n = need(r.u8(), off, "SHORT_BINBYTES")?;
            len_prefixed(r, u64::from(n), off, "SHORT_BINBYTES")?;
            m.stack.push(Val::Bytes);
        }
        0x8e | 0x96 => {
            let n = need(r.u64(), off, "BINBYTES8")?;
            len_prefixed(r, n, off, "BINBYTES8")?;
            m.stack.push(Val::Bytes);
        }
        0x97 | 0x98 => {
            // Out-of-band buffers: the payload is not in the stream.
            if op == 0x97 {
                m.stack.push(Val::Bytes);
            } else {
                m.top(off)?;
            }
        }
        b')' => m.stack.push(Val::Tuple(Rc::new(Vec::new()))),
        b']' => m.stack.push(Val::List(Rc::new(Vec::new()))),
        b'}' => m.stack.push(Val::Dict(Rc::new(Vec::new()))),
        0x8f => m.stack.push(Val::Set),
        b't' => {
            let items = m.pop_mark(off)?;
            m.stack.push(Val::Tuple(Rc::new(bounded(items))));
        }
        0x85..=0x87 => {
            let n = usize::from(op - 0x84);
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(m.pop(off)?);
            }
            items.reverse();
            m.stack.push(Val::Tuple(Rc::new(items)));
        }
        b'l' => {
            let items = m.pop_mark(off)?;
            m.stack.push(Val::List(Rc::new(bounded(items))));
        }
        b'd' => {
            let items = m.pop_mark(off)?;
            let pairs = pairs_of(items);
            m.stack.push(Val::Dict(Rc::new(pairs)));
        }
        0x91 => {
            m.pop_mark(off)?;
            m.stack.push(Val::Set);
        }
        b'a' => {
            let v = m.pop(off)?;
            if let Val::List(items) = m.top_mut(off)? {
                if items.len() < CONTAINER_KEEP {
                    Rc::make_mut(items).push(v);
                }
            }
        }
        b'e' => {
            let vs = m.pop_mark(off)?;
            if let Val::List(items) = m.top_mut(off)? {
                let room = CONTAINER_KEEP.saturating_sub(items.len());
                if room > 0 {
                    Rc::make_mut(items).extend(vs.into_iter().take(room));
                }
            }
        }
        b's' => {
            let v = m.pop(off)?;
            let k = m.pop(off)?;
            if let Val::Dict(items) = m.top_mut(off)? {
                if items.len() < CONTAINER_KEEP {
                    Rc::make_mut(items).push((k, v));
                }
            }
        }
        b'u' => {
            let vs = m.pop_mark(off)?;
            if vs.len() % 2 != 0 {
                return Err(err(off, "SETITEMS with odd item count"));
            }
            if let Val::Dict(items) = m.top_mut(off)? {
                let room = CONTAINER_KEEP.saturating_sub(items.len());
                if room > 0 {
                    let new = pairs_of(vs);
                    Rc::make_mut(items).extend(new.into_iter().take(room));
                }
            }
        }
        0x90 => {
            m.pop_mark(off)?;
            m.top(off)?;
        }
        // Memo
        b'p' => {
            let l = need(r.line(), off, "PUT")?;
            let idx = String::from_utf8_lossy(l)
                .trim()
                .parse::<u64>()
                .map_err(|_| err(off, "PUT index is not a number"))?;
            memo_put(m, ctx, idx, off)?;
        }
        b'q' => {
            let idx = need(r.u8(), off, "BINPUT")?;
            memo_put(m, ctx, u64::from(idx), off)?;
        }
        b'r' => {
            let idx = need(r.u32(), off, "LONG_BINPUT")?;
            memo_put(m, ctx, u64::from(idx), off)?;
        }
        0x94 => {
            let idx = m.memo.len() as u64;
            memo_put(m, ctx, idx, off)?;
        }
        b'g' => {
            let l = need(r.line(), off, "GET")?;
            let idx = String::from_utf8_lossy(l)
                .trim()
                .parse::<u64>()
                .map_err(|_| err(off, "GET index is not a number"))?;
            memo_get(m, idx, off)?;
        }
        b'h' => {
            let idx = need(r.u8(), off, "BINGET")?;
            memo_get(m, u64::from(idx), off)?;
        }
        b'j' => {
            let idx = need(r.u32(), off, "LONG_BINGET")?;
            memo_get(m, u64::from(idx), off)?;
        }
        // Imports and calls
        b'c' => {
            let (module, name) = read_global_lines(r, off)?;
            let i = record_import(w, ctx, &module, &name, off, "GLOBAL", op_index)?;
            m.stack.push(Val::Global(i));
        }
        0x93 => {
            let name = m.pop(off)?;
            let module = m.pop(off)?;
            match (&module, &name) {
                (Val::Str(mo), Val::Str(na)) => {
                    let (mo, na) = (mo.to_string(), na.to_string());
                    if !util::is_dotted_identifier(&mo) || !util::is_dotted_identifier(&na) {
                        push_finding(
                            w,
                            Finding {
                                severity: Verdict::Suspicious,
                                kind: "opcode",
                                detail: format!(
                                    "STACK_GLOBAL with non-identifier operands {:?} {:?}",
                                    util::snippet(&mo, 60),
                                    util::snippet(&na, 60)
                                ),
                                offset: off,
                            },
                        );
                    }
                    let i = record_import(w, ctx, &mo, &na, off, "STACK_GLOBAL", op_index)?;
                    m.stack.push(Val::Global(i));
                }
                (Val::Obj(_), _) | (_, Val::Obj(_)) | (Val::Global(_), _) | (_, Val::Global(_)) => {
                    // Operands computed by a call: the imported name is chosen at load time
                    // to dodge static scanners.
                    push_finding(
                        w,
                        Finding {
                            severity: Verdict::Malicious,
                            kind: "opcode",
                            detail: "STACK_GLOBAL with computed module/name operands".into(),
                            offset: off,
                        },
                    );
                    m.stack.push(Val::Unknown);
                }
                _ => return Err(err(off, "STACK_GLOBAL operands are not strings")),
            }
        }
        b'i' => {
            let (module, name) = read_global_lines(r, off)?;
            let args = m.pop_mark(off)?;
            let g = record_import(w, ctx, &module, &name, off, "INST", op_index)?;
            let args = Val::Tuple(Rc::new(bounded(args)));
            let callee = note_call(w, &Val::Global(g), &args, op_index);
            m.stack.push(obj(callee, args));
        }
        b'o' => {
            let mut items = m.pop_mark(off)?;
            if items.is_empty() {
                return Err(err(off, "OBJ without class"));
            }
            let cls = items.remove(0);
            let args = Val::Tuple(Rc::new(bounded(items)));
            let callee = note_call(w, &cls, &args, op_index);
            m.stack.push(obj(callee, args));
        }
        b'R' => {
            let args = m.pop(off)?;
            let f = m.pop(off)?;
            let callee = note_call(w, &f, &args, op_index);
            m.stack.push(obj(callee, args));
        }
        0x81 => {
            let args = m.pop(off)?;
            let cls = m.pop(off)?;
            let callee = note_call(w, &cls, &args, op_index);
            m.stack.push(obj(callee, args));
        }
        0x92 => {
            let kwargs = m.pop(off)?;
            let args = m.pop(off)?;
            let cls = m.pop(off)?;
            let both = Val::Tuple(Rc::new(vec![args, kwargs]));
            let callee = note_call(w, &cls, &both, op_index);
            m.stack.push(obj(callee, both));
        }
        b'b' => {
            let state = m.pop(off)?;
            w.last_call = Some(op_index);
            let target = m.top_mut(off)?;
            match target {
                Val::Global(i) => {
                    let what = w
                        .imports
                        .get(*i)
                        .map(|g| format!("{}.{}", g.module, g.name))
                        .unwrap_or_default();
                    push_finding(
                        w,
                        Finding {
                            severity: Verdict::Malicious,
                            kind: "opcode",
                            detail: format!(
                                "BUILD sets attributes on imported module/class {what}"
                            ),
                            offset: off,
                        },
                    );
                }
                Val::Obj(o) => {
                    let callee = o.callee;
                    let new = Rc::new(ObjInfo {
                        callee,
                        args: o.args.clone(),
                        state: Some(state),
                    });
                    *target = Val::Obj(new.clone());
                    if is_joblib_wrapper(w, callee) {
                        skip_joblib_array(w, ctx, r, &new, off)?;
                    }
                }
                _ => {}
            }
        }
        b'P' => {
            need(r.line(), off, "PERSID")?;
            w.persistent_ids += 1;
            m.stack.push(Val::Persistent);
        }
        b'Q' => {
            m.pop(off)?;
            w.persistent_ids += 1;
            m.stack.push(Val::Persistent);
        }
        0x82..=0x84 => {
            let code = match op {
                0x82 => need(r.u8(), off, "EXT1").map(u32::from)?,
                0x83 => need(r.u16(), off, "EXT2").map(u32::from)?,
                _ => need(r.u32(), off, "EXT4")?,
            };
            push_finding(
                w,
                Finding {
                    severity: Verdict::Suspicious,
                    kind: "opcode",
                    detail: format!("extension registry code {code} (copyreg extension import)"),
                    offset: off,
                },
            );
            m.stack.push(Val::Unknown);
        }
        other => {
            return Err(err(off, format!("unknown opcode 0x{other:02x}")));
        }
    }
    Ok(false)
}

fn push_finding(w: &mut Walk, f: Finding) {
    if w.findings.len() < MAX_FINDINGS {
        w.findings.push(f);
    }
}

fn obj(callee: Option<usize>, args: Val) -> Val {
    Val::Obj(Rc::new(ObjInfo {
        callee,
        args,
        state: None,
    }))
}

fn pairs_of(items: Vec<Val>) -> Vec<(Val, Val)> {
    let mut out = Vec::new();
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        if out.len() >= CONTAINER_KEEP {
            break;
        }
        out.push((k, v));
    }
    out
}

fn memo_put(m: &mut Machine, ctx: &Ctx<'_>, idx: u64, off: usize) -> Result<(), WalkErr> {
    let v = m.top(off)?.clone();
    if m.memo.len() >= ctx.limits.max_memo_entries && !m.memo.contains_key(&idx) {
        return Err(err(off, "memo limit exceeded"));
    }
    m.memo.insert(idx, v);
    Ok(())
}

fn memo_get(m: &mut Machine, idx: u64, off: usize) -> Result<(), WalkErr> {
    let v = m
        .memo
        .get(&idx)
        .cloned()
        .ok_or_else(|| err(off, format!("memo key {idx} not found")))?;
    m.stack.push(v);
    Ok(())
}

fn is_joblib_wrapper(w: &Walk, callee: Option<usize>) -> bool {
    callee
        .and_then(|i| w.imports.get(i))
        .is_some_and(|g| g.module.ends_with("joblib.numpy_pickle") && g.name == "NumpyArrayWrapper")
}

fn dict_get<'v>(d: &'v Val, key: &str) -> Option<&'v Val> {
    if let Val::Dict(items) = d {
        return items.iter().find_map(|(k, v)| match k {
            Val::Str(s) if &**s == key => Some(v),
            _ => None,
        });
    }
    None
}

/// joblib's unpickler reads each numpy array's raw buffer straight from the stream right
/// after the wrapper's BUILD, so the walker must skip exactly that many bytes (or walk the
/// nested pickle for object arrays) before opcodes resume.
fn skip_joblib_array(
    w: &mut Walk,
    ctx: &Ctx<'_>,
    r: &mut Reader<'_>,
    wrapper: &ObjInfo,
    off: usize,
) -> Result<(), WalkErr> {
    let state = wrapper
        .state
        .as_ref()
        .ok_or_else(|| err(off, "joblib wrapper without state"))?;
    let shape = dict_get(state, "shape").ok_or_else(|| err(off, "joblib wrapper without shape"))?;
    let mut count: u64 = 1;
    if let Val::Tuple(dims) = shape {
        for d in dims.iter() {
            match d {
                Val::Int(n) if *n >= 0 => count = count.saturating_mul(*n as u64),
                _ => return Err(err(off, "joblib wrapper shape is not integers")),
            }
        }
    } else {
        return Err(err(off, "joblib wrapper shape is not a tuple"));
    }
    let dtype = dict_get(state, "dtype").ok_or_else(|| err(off, "joblib wrapper without dtype"))?;
    let (code, elsize) = match dtype {
        Val::Obj(o) => {
            let code = match &o.args {
                Val::Tuple(a) => match a.first() {
                    Some(Val::Str(s)) => s.to_string(),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            let elsize = match &o.state {
                Some(Val::Tuple(st)) => match st.get(5) {
                    Some(Val::Int(n)) if *n > 0 => Some(*n as u64),
                    _ => None,
                },
                _ => None,
            };
            (code, elsize)
        }
        _ => return Err(err(off, "joblib wrapper dtype not resolvable")),
    };
    if code.starts_with('O') {
        if ctx.nest >= 4 {
            return Err(err(off, "nested object-array pickle depth exceeded"));
        }
        // Object arrays are a nested, complete pickle embedded in the outer stream.
        let start = r.pos();
        let before = w.complete_segments;
        walk_into(
            w,
            ctx.data,
            start,
            ctx.limits,
            WalkOptions { single: true },
            ctx.nest + 1,
        );
        if w.broken_segment.is_some() {
            return Err(err(start, "broken nested object-array pickle"));
        }
        w.complete_segments = before;
        let skip = w.end.saturating_sub(start);
        need(r.take(skip), off, "nested pickle")?;
        return Ok(());
    }
    let itemsize = match elsize {
        Some(n) => n,
        None => code
            .trim_start_matches(['<', '>', '|', '='])
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .split('[')
            .next()
            .and_then(|d| d.parse::<u64>().ok())
            .ok_or_else(|| err(off, format!("joblib array dtype {code:?} has no item size")))?,
    };
    if dict_get(state, "numpy_array_alignment_bytes").is_some() {
        let pad = need(r.u8(), off, "joblib alignment padding")?;
        need(r.take(usize::from(pad)), off, "joblib alignment padding")?;
    }
    let nbytes = count
        .checked_mul(itemsize)
        .ok_or_else(|| err(off, "joblib array size overflow"))?;
    r.skip(nbytes)
        .ok_or_else(|| err(off, format!("truncated joblib array data ({nbytes} bytes)")))?;
    Ok(())
}

/// Severity for one import after policy and invocation context.
fn import_severity(imp: &Import, effective: bool) -> (Verdict, String) {
    let full = format!("{}.{}", imp.module, imp.name);
    match policy::classify(&imp.module, &imp.name) {
        Class::Deny(why) => {
            if effective {
                (Verdict::Malicious, format!("{full} ({why})"))
            } else {
                (
                    Verdict::Suspicious,
                    format!("{full} ({why}; never invoked: stream breaks before any call)"),
                )
            }
        }
        Class::Allow => (Verdict::Clean, full),
        Class::Unknown => match &imp.code_arg {
            Some(arg) if effective => (
                Verdict::Malicious,
                format!("{full} (unknown callable invoked with code-like argument {arg:?})"),
            ),
            _ => (Verdict::Suspicious, format!("{full} (unknown import)")),
        },
    }
}

impl Walk {
    /// Whether an import could have run: its pickle completed, or a call opcode followed it
    /// before the stream broke.
    fn effective(&self, imp: &Import) -> bool {
        if self.broken_segment != Some(imp.segment) {
            return true;
        }
        self.last_call.is_some_and(|c| c > imp.op_index)
    }

    /// Converts the walk into evidence and errors on `acc`.
    pub(crate) fn report_into(&self, acc: &mut Acc) {
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        for imp in &self.imports {
            if !seen.insert((imp.module.as_str(), imp.name.as_str())) {
                continue;
            }
            let (sev, detail) = import_severity(imp, self.effective(imp));
            if sev == Verdict::Clean {
                continue;
            }
            acc.add(
                sev,
                "import",
                detail,
                Some(format!("offset {} ({})", imp.offset, imp.via)),
            );
        }
        for f in &self.findings {
            acc.add(
                f.severity,
                f.kind,
                f.detail.clone(),
                Some(format!("offset {}", f.offset)),
            );
        }
        for e in &self.errors {
            acc.error(e.clone());
        }
    }
}

/// Legacy torch files start with a pickled magic number (protocol 2, LONG1 of 10 bytes).
pub(crate) const TORCH_LEGACY_MAGIC: &[u8] =
    b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";

/// Analyses a pickle-based stream (plain, legacy torch, joblib) into `acc`.
pub(crate) fn analyze(
    bytes: &[u8],
    limits: &Limits,
    _depth: u32,
    _budget: &mut Budget,
    acc: &mut Acc,
    hint: Format,
) -> Format {
    let w = walk(bytes, limits, WalkOptions::default());
    w.report_into(acc);
    if w.persistent_ids > 0 && acc.info.tensors.is_none() {
        acc.info.tensors = Some(w.persistent_ids);
    }
    if hint == Format::PytorchLegacy || bytes.starts_with(TORCH_LEGACY_MAGIC) {
        Format::PytorchLegacy
    } else if w.joblib || hint == Format::Joblib {
        Format::Joblib
    } else {
        hint
    }
}

/// Candidate offsets tried by [`scan_embedded`].
const MAX_EMBEDDED_CANDIDATES: usize = 4096;

/// Finds complete pickle streams (`PROTO 2..5` ... `STOP`) embedded anywhere in opaque bytes
/// and reports their imports. Used for containers that are not unpacked.
pub(crate) fn scan_embedded(bytes: &[u8], limits: &Limits, acc: &mut Acc, label: &str) {
    let mut tried = 0;
    let mut i = 0;
    while i + 1 < bytes.len() && tried < MAX_EMBEDDED_CANDIDATES {
        let is_proto =
            bytes.get(i) == Some(&0x80) && bytes.get(i + 1).is_some_and(|p| (2..=5).contains(p));
        if !is_proto {
            i += 1;
            continue;
        }
        tried += 1;
        let Some(rest) = bytes.get(i..) else { break };
        let w = walk(rest, limits, WalkOptions { single: true });
        if w.complete_segments > 0 && !w.imports.is_empty() {
            let mut sub = Acc::default();
            w.report_into(&mut sub);
            acc.merge_member(&format!("{label}@{i}"), sub);
            i += w.end.max(1);
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(bytes: &[u8]) -> (Verdict, Acc) {
        let mut acc = Acc::default();
        let mut budget = Budget {
            decompressed_left: 1 << 20,
        };
        analyze(
            bytes,
            &Limits::default(),
            0,
            &mut budget,
            &mut acc,
            Format::Pickle,
        );
        (acc.verdict(), acc)
    }

    #[test]
    fn protocol0_global_reduce_is_malicious() {
        let (v, acc) = verdict(b"cos\nsystem\n(S'echo hi'\ntR.");
        assert_eq!(v, Verdict::Malicious);
        assert!(acc
            .evidence
            .iter()
            .any(|e| e.detail.starts_with("os.system")));
    }

    #[test]
    fn stack_global_through_memo() {
        // 'posix' and 'system' memoized, popped, then fetched back with BINGET.
        let p =
            b"\x80\x04\x8c\x05posix\x94\x8c\x06system\x94\x30\x30h\x00h\x01\x93\x8c\x02id\x85R.";
        let (v, acc) = verdict(p);
        assert_eq!(v, Verdict::Malicious, "{:?} {:?}", acc.evidence, acc.errors);
    }

    #[test]
    fn inst_and_obj() {
        let (v, _) = verdict(b"(S'ls'\nios\nsystem\n.");
        assert_eq!(v, Verdict::Malicious);
        let (v, _) = verdict(b"(cbuiltins\neval\nS'1'\no.");
        assert_eq!(v, Verdict::Malicious);
    }

    #[test]
    fn stacked_second_pickle_is_seen() {
        let mut p = b"\x80\x02K\x01.".to_vec();
        p.extend_from_slice(b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.");
        let (v, _) = verdict(&p);
        assert_eq!(v, Verdict::Malicious);
    }

    #[test]
    fn truncated_after_call_stays_malicious_before_call_is_not() {
        let (v, acc) = verdict(b"cos\nsystem\n(S'id'\ntR0g9\n");
        assert_eq!(v, Verdict::Malicious);
        assert!(!acc.errors.is_empty());
        let (v, acc) = verdict(b"cbuiltins\nexec\n(X\xff\xff\xff\x00abc");
        assert_eq!(v, Verdict::Suspicious, "{:?}", acc.evidence);
        assert!(!acc.errors.is_empty());
    }

    #[test]
    fn benign_data_is_clean() {
        let p = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00aK\x01s.";
        let (v, acc) = verdict(p);
        assert_eq!(v, Verdict::Clean, "{:?}", acc.evidence);
        let (v, _) = verdict(b"(dp0\nS'a'\np1\nI1\ns.");
        assert_eq!(v, Verdict::Clean);
    }

    #[test]
    fn build_on_global_is_malicious() {
        let p = b"\x80\x04\x8c\x05torch\x8c\x06_utils\x93}\x8c\x01xK\x01sb.";
        let (v, _) = verdict(p);
        assert_eq!(v, Verdict::Malicious);
    }

    #[test]
    fn unknown_with_code_argument_is_malicious() {
        let p = b"\x80\x04\x8c\x06newmod\x8c\x06helper\x93\x8c\x15import os; os.abort()\x85R.";
        let (v, _) = verdict(p);
        assert_eq!(v, Verdict::Malicious);
        let p = b"\x80\x04\x8c\x06newmod\x8c\x06helper\x93K\x01\x85R.";
        let (v, _) = verdict(p);
        assert_eq!(v, Verdict::Suspicious);
    }

    #[test]
    fn ext_opcode_is_suspicious() {
        let (v, _) = verdict(b"\x80\x02\x82\x01)R.");
        assert_eq!(v, Verdict::Suspicious);
    }

    #[test]
    fn million_opcodes_finish_quickly() {
        let mut p = b"\x80\x04".to_vec();
        for _ in 0..500_000 {
            p.extend_from_slice(b"N0");
        }
        p.extend_from_slice(b"N.");
        let t = std::time::Instant::now();
        let w = walk(&p, &Limits::default(), WalkOptions::default());
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
        let limits = Limits {
            max_opcodes: 1000,
            ..Limits::default()
        };
        let w = walk(&p, &limits, WalkOptions::default());
        assert!(w.errors.iter().any(|e| e.contains("opcode limit")));
    }

    #[test]
    fn joblib_inline_array_is_skipped() {
        let mut p =
            b"\x80\x04\x8c\x13joblib.numpy_pickle\x8c\x11NumpyArrayWrapper\x93)\x81}(\x8c\x05shape"
                .to_vec();
        p.extend_from_slice(
            b"K\x02\x85\x8c\x05dtype\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02i8\x89\x88\x87R",
        );
        p.extend_from_slice(b"\x8c\x1bnumpy_array_alignment_bytesK\x10ub");
        p.push(2);
        p.extend_from_slice(&[0xff, 0xff]);
        p.extend_from_slice(&[0x63; 16]);
        p.push(b'.');
        let w = walk(&p, &Limits::default(), WalkOptions::default());
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        assert!(w.joblib);
        assert_eq!(w.imports.len(), 2);
    }
}
