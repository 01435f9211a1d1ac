//! `[[mock:…]]` directives embedded in the last user message, and the plan they produce.

use std::time::Duration;

use axum::http::StatusCode;

use crate::canned;
use crate::error::RequestError;

/// What the reply to one request should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// A canned text reply (its name, for nothing but debugging, and its text).
    Text(&'static str),
    /// A `get_weather` function/tool call.
    ToolCall,
}

impl Reply {
    /// The text used where a provider format cannot express a tool call, and
    /// for output token counts.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Reply::Text(t) => t,
            Reply::ToolCall => canned::TOOL_CALL_ARGUMENTS,
        }
    }
}

/// Everything the directives ask for; the default is a plain benign reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub reply: Reply,
    pub status: Option<StatusCode>,
    pub sleep: Duration,
    pub cut: bool,
    pub garbage: bool,
    pub stall: bool,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            reply: Reply::Text(canned::canned("benign").unwrap_or_default()),
            status: None,
            sleep: Duration::ZERO,
            cut: false,
            garbage: false,
            stall: false,
        }
    }
}

const OPEN: &str = "[[mock:";
const CLOSE: &str = "]]";

/// Parses every `[[mock:KEY]]` / `[[mock:KEY=VALUE]]` in `text`.
///
/// Unknown keys and bad values are errors rather than being ignored, so a typo
/// in a test prompt shows up as a 400 instead of a silently benign reply.
pub(crate) fn parse(text: &str) -> Result<Plan, RequestError> {
    let mut plan = Plan::default();
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let Some(end) = after.find(CLOSE) else {
            // An unterminated marker is ordinary text, not a directive.
            break;
        };
        apply(&mut plan, after[..end].trim())?;
        rest = &after[end + CLOSE.len()..];
    }
    Ok(plan)
}

fn apply(plan: &mut Plan, directive: &str) -> Result<(), RequestError> {
    let (key, value) = match directive.split_once('=') {
        Some((k, v)) => (k.trim(), Some(v.trim())),
        None => (directive, None),
    };
    let bad = |why: &str| RequestError::BadDirective(format!("[[mock:{directive}]]: {why}"));
    match (key, value) {
        ("reply", Some("tool_call")) => plan.reply = Reply::ToolCall,
        ("reply", Some(name)) => {
            let text = canned::canned(name)
                .ok_or_else(|| bad(&format!("unknown reply, expected one of {}", canned::NAMES)))?;
            plan.reply = Reply::Text(text);
        }
        ("status", Some(v)) => {
            let code: u16 = v.parse().map_err(|_| bad("status must be a number"))?;
            let status = StatusCode::from_u16(code).map_err(|_| bad("not an HTTP status"))?;
            plan.status = Some(status);
        }
        ("sleep", Some(v)) => {
            let ms: u64 = v.parse().map_err(|_| bad("sleep must be milliseconds"))?;
            plan.sleep = Duration::from_millis(ms);
        }
        ("cut", None) => plan.cut = true,
        ("garbage", None) => plan.garbage = true,
        ("stall", None) => plan.stall = true,
        _ => return Err(bad("unknown directive")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_directive_is_benign() {
        let plan = parse("What is the capital of France?").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan, Plan::default());
        assert!(plan.reply.text().starts_with("The capital of France"));
    }

    #[test]
    fn several_directives_combine() {
        let plan =
            parse("hi [[mock:reply=leak]] and [[mock:sleep=250]][[mock:cut]] [[mock:stall]]")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            plan.reply,
            Reply::Text(canned::canned("leak").unwrap_or_default())
        );
        assert_eq!(plan.sleep, Duration::from_millis(250));
        assert!(plan.cut && plan.stall && !plan.garbage);
        let plan = parse("[[mock:status=429]] [[mock:reply=tool_call]] [[mock:garbage]]")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.status, Some(StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(plan.reply, Reply::ToolCall);
        assert!(plan.garbage);
    }

    #[test]
    fn bad_directives_are_errors() {
        for text in [
            "[[mock:reply=nope]]",
            "[[mock:status=abc]]",
            "[[mock:status=42]]",
            "[[mock:sleep=-1]]",
            "[[mock:explode]]",
            "[[mock:cut=1]]",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        // Unterminated markers are plain text.
        assert_eq!(parse("[[mock:cut").ok(), Some(Plan::default()));
    }
}
