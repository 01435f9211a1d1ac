//! Anthropic Messages API: `POST /v1/messages`.

use axum::response::Response;
use serde_json::{json, Value};

use crate::body::{self, Frames};
use crate::canned::{chunks, split_arguments, words, TOOL_CALL_ARGUMENTS, TOOL_CALL_NAME};
use crate::directive::{self, Reply};
use crate::error::{Provider, RequestError};
use crate::{content_text, last_user_text, message_words, model_of, parse_object, Shared};

const P: Provider = Provider::Anthropic;
const DEFAULT_MODEL: &str = "mock-claude";

/// The `input` object of the `get_weather` tool_use block; kept in sync with
/// [`TOOL_CALL_ARGUMENTS`] by a unit test.
fn tool_input() -> Value {
    json!({"city": "Paris"})
}

/// `POST /v1/messages`, streaming or not.
pub(crate) async fn messages(s: &Shared, raw: &[u8]) -> Result<Response, RequestError> {
    let req = parse_object(raw)?;
    let messages = req
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let plan = directive::parse(&last_user_text(messages))?;
    if let Some(early) = s.prelude(P, &plan).await {
        return Ok(early);
    }
    let n = s.next_id();
    let id = format!("msg_mock_{n}");
    let tool_id = format!("toolu_mock_{n}");
    let model = model_of(&req, DEFAULT_MODEL);
    let input_tokens = message_words(messages) + words(&content_text(req.get("system")));
    let output_tokens = words(plan.reply.text());
    let stop_reason = match plan.reply {
        Reply::Text(_) => "end_turn",
        Reply::ToolCall => "tool_use",
    };

    if !crate::wants_stream(&req) {
        let content = match plan.reply {
            Reply::Text(t) => json!([{"type": "text", "text": t}]),
            Reply::ToolCall => json!([{
                "type": "tool_use",
                "id": tool_id,
                "name": TOOL_CALL_NAME,
                "input": tool_input(),
            }]),
        };
        let v = json!({
            "id": id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": null,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        });
        return Ok(body::json_body(v.to_string().into_bytes(), plan.cut));
    }

    let mut f = Frames::default();
    let start = json!({
        "type": "message_start",
        "message": {
            "id": id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        },
    });
    f.event("message_start", &start, false);
    let (block, deltas): (Value, Vec<Value>) = match plan.reply {
        Reply::Text(t) => (
            json!({"type": "text", "text": ""}),
            chunks(t)
                .into_iter()
                .map(|c| json!({"type": "text_delta", "text": c}))
                .collect(),
        ),
        Reply::ToolCall => (
            json!({"type": "tool_use", "id": tool_id, "name": TOOL_CALL_NAME, "input": {}}),
            split_arguments(TOOL_CALL_ARGUMENTS)
                .into_iter()
                .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
                .collect(),
        ),
    };
    let block_start = json!({"type": "content_block_start", "index": 0, "content_block": block});
    f.event("content_block_start", &block_start, false);
    f.event("ping", &json!({"type": "ping"}), false);
    for delta in deltas {
        let v = json!({"type": "content_block_delta", "index": 0, "delta": delta});
        f.event("content_block_delta", &v, true);
    }
    let stop = json!({"type": "content_block_stop", "index": 0});
    f.event("content_block_stop", &stop, false);
    let delta = json!({
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
        "usage": {"output_tokens": output_tokens},
    });
    f.event("message_delta", &delta, false);
    f.event("message_stop", &json!({"type": "message_stop"}), false);
    Ok(f.into_response(s.chunk_delay(), plan.cut, plan.stall))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_input_matches_the_openai_arguments() {
        let args: Value = serde_json::from_str(TOOL_CALL_ARGUMENTS).unwrap_or_default();
        assert_eq!(args, tool_input());
    }
}
