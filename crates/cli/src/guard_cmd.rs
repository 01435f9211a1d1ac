//! `palisade guard`: one text for people, or JSON lines for pipelines.

use crate::setup::GuardOpts;
use anyhow::Context;
use palisade_core::{Direction, Kind, Verdict};
use palisade_guard::{Guard, Request};
use serde_json::{json, Map, Value};
use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

/// Options of `palisade guard`.
#[derive(clap::Args)]
pub struct Args {
    /// The text to inspect, or `-` to read it from standard input.
    #[arg(required_unless_present = "jsonl")]
    text: Option<String>,
    /// Read JSON objects line by line from standard input
    /// (`{"id"?, "text", "direction"?, "kind"?, "context"?}`) and write one
    /// verdict per line, in order.
    #[arg(long, conflicts_with = "text")]
    jsonl: bool,
    /// input (towards the model) or output (from the model).
    #[arg(long, default_value = "input")]
    direction: Direction,
    /// prompt, document, tool_description or tool_output.
    #[arg(long, default_value = "prompt")]
    kind: Kind,
    /// For an answer (`--direction output`): the request it answers. An
    /// answer that does not refuse a harmful request takes on its harm.
    #[arg(long, conflicts_with = "jsonl")]
    context: Option<String>,
    /// Print the verdict as JSON instead of a summary.
    #[arg(long)]
    json: bool,
    /// Exit with status 3 when the text is flagged.
    #[arg(long)]
    exit_code: bool,
    #[command(flatten)]
    opts: GuardOpts,
}

/// Runs the subcommand.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let guard = a.opts.build()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime for the judge")?;
    if a.jsonl {
        return rt.block_on(jsonl(&guard));
    }
    let text = match a.text.as_deref() {
        Some("-") => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("reading standard input")?;
            String::from_utf8(bytes).map_err(|e| {
                anyhow::anyhow!(
                    "standard input is not valid UTF-8 (first bad byte at offset {})",
                    e.utf8_error().valid_up_to()
                )
            })?
        }
        Some(t) => t.to_string(),
        None => String::new(),
    };
    let req = Request {
        text: &text,
        direction: a.direction,
        kind: a.kind,
        context: a.context.as_deref(),
        partial: false,
    };
    let v = rt.block_on(guard.check_full(&req));
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        write_summary(&mut out, &text, &v)?;
    }
    Ok(if a.exit_code && v.flagged {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_summary(out: &mut impl Write, text: &str, v: &Verdict) -> std::io::Result<()> {
    writeln!(
        out,
        "{}  {} by {}, confidence {:.2}, safety {:?}, {} µs{}",
        v.action.as_str().to_uppercase(),
        if v.flagged { "flagged" } else { "not flagged" },
        v.tier,
        v.confidence,
        v.safety,
        v.latency_us,
        if v.truncated {
            " (input truncated)"
        } else {
            ""
        }
    )?;
    for f in &v.findings {
        let excerpt = f
            .span
            .and_then(|s| text.get(s.start..s.end))
            .map(|e| format!("  {:?}", e.chars().take(80).collect::<String>()))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:<34} {:<24} {:<8} {:.2}  [{}]{excerpt}",
            f.detector,
            f.category.as_str(),
            f.severity.as_str(),
            f.score,
            f.tier
        )?;
    }
    for d in &v.degraded {
        writeln!(out, "  degraded: {d}")?;
    }
    if let Some(m) = &v.masked_text {
        writeln!(out, "  masked: {m}")?;
    }
    Ok(())
}

/// One request line of `--jsonl`.
#[derive(Debug)]
struct LineRequest {
    id: Option<Value>,
    text: String,
    direction: Direction,
    kind: Kind,
    context: Option<String>,
}

/// A line that is not a request: its id when one could be read, and why.
type LineError = (Option<Value>, String);

/// Parses one JSONL request. Errors say which field is wrong.
fn parse_line(line: &str) -> Result<LineRequest, LineError> {
    let obj: Map<String, Value> = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(o)) => o,
        Ok(_) => return Err((None, "expected a JSON object".into())),
        Err(e) => return Err((None, format!("invalid JSON: {e}"))),
    };
    let id = obj.get("id").cloned();
    let text = match obj.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err((id, "field `text` must be a string".into())),
        None => return Err((id, "missing field `text`".into())),
    };
    let field = |name: &str| match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("field `{name}` must be a string")),
    };
    let direction = match field("direction").map_err(|e| (id.clone(), e))? {
        Some(d) => d.parse().map_err(|e: String| (id.clone(), e))?,
        None => Direction::Input,
    };
    let kind = match field("kind").map_err(|e| (id.clone(), e))? {
        Some(k) => k.parse().map_err(|e: String| (id.clone(), e))?,
        None => Kind::Prompt,
    };
    let context = field("context").map_err(|e| (id.clone(), e))?;
    Ok(LineRequest {
        id,
        text,
        direction,
        kind,
        context,
    })
}

async fn jsonl(guard: &Guard) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut buf = Vec::new();
    let mut n = 0usize;
    loop {
        buf.clear();
        if input
            .read_until(b'\n', &mut buf)
            .context("reading standard input")?
            == 0
        {
            break;
        }
        n += 1;
        let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line = match std::str::from_utf8(raw) {
            Ok(l) => l,
            Err(e) => {
                let err = json!({"error": format!("line {n}: not valid UTF-8 (first bad byte at offset {})", e.valid_up_to())});
                writeln!(out, "{err}")?;
                continue;
            }
        };
        let record = match parse_line(line) {
            Ok(line) => {
                let req = Request {
                    text: &line.text,
                    direction: line.direction,
                    kind: line.kind,
                    context: line.context.as_deref(),
                    partial: false,
                };
                let v = guard.check_full(&req).await;
                let mut obj = match serde_json::to_value(&v)? {
                    Value::Object(o) => o,
                    _ => Map::new(),
                };
                obj.insert("id".into(), line.id.unwrap_or(Value::Null));
                Value::Object(obj)
            }
            Err((id, msg)) => {
                let mut obj = Map::new();
                if let Some(id) = id {
                    obj.insert("id".into(), id);
                }
                obj.insert("error".into(), Value::String(format!("line {n}: {msg}")));
                Value::Object(obj)
            }
        };
        writeln!(out, "{record}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_or_explain() {
        let ok = parse_line(
            r#"{"id":7,"text":"hi","direction":"output","kind":"tool_output","context":"q"}"#,
        )
        .expect("valid line");
        assert_eq!(ok.id, Some(Value::from(7)));
        assert_eq!(
            (ok.direction, ok.kind),
            (Direction::Output, Kind::ToolOutput)
        );
        assert_eq!(ok.context.as_deref(), Some("q"));
        let (id, e) =
            parse_line(r#"{"id":"a","text":"x","direction":5}"#).expect_err("bad direction");
        assert_eq!(id, Some(Value::from("a")));
        assert!(e.contains("direction"), "{e}");
        assert!(parse_line("[]")
            .expect_err("not an object")
            .1
            .contains("object"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_lines_never_panic(line in ".{0,200}") {
            let _ = parse_line(&line);
        }

        #[test]
        fn arbitrary_objects_never_panic(text in ".{0,50}", kind in ".{0,12}", dir in ".{0,12}") {
            let line = serde_json::json!({"text": text, "kind": kind, "direction": dir}).to_string();
            let _ = parse_line(&line);
        }
    }
}
