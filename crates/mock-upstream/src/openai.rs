//! OpenAI routes: chat completions, legacy completions, embeddings, the
//! Responses API and the model list.

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::body::{self, Frames};
use crate::canned::{chunks, split_arguments, words, TOOL_CALL_ARGUMENTS, TOOL_CALL_NAME};
use crate::directive::{self, Reply};
use crate::error::{json_response, Provider, RequestError};
use crate::{last_user_text, message_words, model_of, now, parse_object, Shared};

const P: Provider = Provider::OpenAi;
const DEFAULT_MODEL: &str = "mock-gpt";

fn include_usage(req: &Value) -> bool {
    req.pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn usage(prompt: u64, completion: u64) -> Value {
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    })
}

fn array<'a>(req: &'a Value, key: &str) -> &'a [Value] {
    req.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// `POST /v1/chat/completions`.
pub(crate) async fn chat(s: &Shared, raw: &[u8]) -> Result<Response, RequestError> {
    let req = parse_object(raw)?;
    let messages = array(&req, "messages");
    let plan = directive::parse(&last_user_text(messages))?;
    if let Some(early) = s.prelude(P, &plan).await {
        return Ok(early);
    }
    let n = s.next_id();
    let id = format!("chatcmpl-mock-{n}");
    let call_id = format!("call_mock_{n}");
    let model = model_of(&req, DEFAULT_MODEL);
    let created = now();
    let usage = usage(message_words(messages), words(plan.reply.text()));
    let finish = match plan.reply {
        Reply::Text(_) => "stop",
        Reply::ToolCall => "tool_calls",
    };

    if !crate::wants_stream(&req) {
        let message = match plan.reply {
            Reply::Text(text) => json!({"role": "assistant", "content": text, "refusal": null}),
            Reply::ToolCall => json!({
                "role": "assistant",
                "content": null,
                "refusal": null,
                "tool_calls": [{
                    "id": call_id,
                    "type": "function",
                    "function": {"name": TOOL_CALL_NAME, "arguments": TOOL_CALL_ARGUMENTS},
                }],
            }),
        };
        let v = json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_mock",
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
            "usage": usage,
        });
        return Ok(body::json_body(v.to_string().into_bytes(), plan.cut));
    }

    let chunk = |delta: Value, finish: Option<&str>| {
        json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_mock",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        })
    };
    let mut f = Frames::default();
    match plan.reply {
        Reply::Text(text) => {
            f.data(
                &chunk(json!({"role": "assistant", "content": ""}), None),
                false,
            );
            for c in chunks(text) {
                f.data(&chunk(json!({"content": c}), None), true);
            }
        }
        Reply::ToolCall => {
            let first = json!({
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "index": 0,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": TOOL_CALL_NAME, "arguments": ""},
                }],
            });
            f.data(&chunk(first, None), false);
            for piece in split_arguments(TOOL_CALL_ARGUMENTS) {
                let delta = json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]});
                f.data(&chunk(delta, None), true);
            }
        }
    }
    f.data(&chunk(json!({}), Some(finish)), false);
    if include_usage(&req) {
        let v = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_mock",
            "choices": [],
            "usage": usage,
        });
        f.data(&v, false);
    }
    f.done();
    Ok(f.into_response(s.chunk_delay(), plan.cut, plan.stall))
}

/// `POST /v1/completions` (legacy text completion). It has no tool calls, so
/// `reply=tool_call` yields the arguments string as text.
pub(crate) async fn completions(s: &Shared, raw: &[u8]) -> Result<Response, RequestError> {
    let req = parse_object(raw)?;
    // `prompt` may be a string or a batch; token-id prompts carry no directives.
    let prompts: Vec<&str> = match req.get("prompt") {
        Some(Value::String(p)) => vec![p.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let plan = directive::parse(prompts.last().copied().unwrap_or_default())?;
    if let Some(early) = s.prelude(P, &plan).await {
        return Ok(early);
    }
    let id = format!("cmpl-mock-{}", s.next_id());
    let model = model_of(&req, DEFAULT_MODEL);
    let created = now();
    let text = plan.reply.text();
    let usage = usage(prompts.iter().map(|p| words(p)).sum(), words(text));

    let object = |text: &str, finish: Option<&str>| {
        json!({
            "id": id,
            "object": "text_completion",
            "created": created,
            "model": model,
            "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": finish}],
        })
    };
    if !crate::wants_stream(&req) {
        let mut v = object(text, Some("stop"));
        if let Some(o) = v.as_object_mut() {
            o.insert("usage".into(), usage);
        }
        return Ok(body::json_body(v.to_string().into_bytes(), plan.cut));
    }
    let mut f = Frames::default();
    for c in chunks(text) {
        f.data(&object(c, None), true);
    }
    f.data(&object("", Some("stop")), false);
    if include_usage(&req) {
        let v = json!({
            "id": id,
            "object": "text_completion",
            "created": created,
            "model": model,
            "choices": [],
            "usage": usage,
        });
        f.data(&v, false);
    }
    f.done();
    Ok(f.into_response(s.chunk_delay(), plan.cut, plan.stall))
}

/// Dimensions of the mock embedding vectors.
const EMBEDDING_DIMS: usize = 8;

/// A deterministic unit vector derived from the input's bytes (FNV-1a seed,
/// splitmix64 expansion), so equal inputs embed equally across runs.
fn embed(input: &[u8]) -> [f32; EMBEDDING_DIMS] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in input {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut v = [0f32; EMBEDDING_DIMS];
    for x in v.iter_mut() {
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        // Top 24 bits mapped to [-1, 1).
        *x = ((z >> 40) as f32 / (1u64 << 23) as f32) - 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// `POST /v1/embeddings`: one vector per input (string, strings, token ids,
/// or batches of token ids); `encoding_format: "base64"` (the Python SDK's
/// default) gets little-endian f32 bytes in base64, as the real API does.
pub(crate) async fn embeddings(s: &Shared, raw: &[u8]) -> Result<Response, RequestError> {
    let req = parse_object(raw)?;
    let input = req
        .get("input")
        .ok_or(RequestError::Invalid("'input' is a required property"))?;
    // Each input as the bytes it is hashed from; token-id inputs hash their JSON text.
    let inputs: Vec<std::borrow::Cow<'_, [u8]>> = match input {
        Value::String(t) => vec![t.as_bytes().into()],
        Value::Array(items) if items.iter().all(Value::is_number) => {
            vec![input.to_string().into_bytes().into()]
        }
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(t) => t.as_bytes().into(),
                other => other.to_string().into_bytes().into(),
            })
            .collect(),
        _ => {
            return Err(RequestError::Invalid(
                "'input' must be a string or an array",
            ))
        }
    };
    let directive_text = match input {
        Value::String(t) => t.as_str(),
        Value::Array(items) => items.iter().rev().find_map(Value::as_str).unwrap_or(""),
        _ => "",
    };
    let plan = directive::parse(directive_text)?;
    if let Some(early) = s.prelude(P, &plan).await {
        return Ok(early);
    }
    let base64 = req.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let mut tokens = 0u64;
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            tokens += words(&String::from_utf8_lossy(bytes)).max(1);
            let v = embed(bytes);
            let embedding = if base64 {
                let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                Value::String(base64::engine::general_purpose::STANDARD.encode(raw))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let v = json!({
        "object": "list",
        "data": data,
        "model": model_of(&req, "mock-embedding"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    });
    Ok(body::json_body(v.to_string().into_bytes(), plan.cut))
}

/// `GET /v1/models`: a constant, so it is served from a static string.
pub(crate) async fn models(_s: &Shared, _raw: &[u8]) -> Result<Response, RequestError> {
    const MODELS: &str = concat!(
        r#"{"object":"list","data":["#,
        r#"{"id":"mock-gpt","object":"model","created":1700000000,"owned_by":"palisade-mock"},"#,
        r#"{"id":"mock-claude","object":"model","created":1700000000,"owned_by":"palisade-mock"}"#,
        r#"]}"#
    );
    Ok(json_response(StatusCode::OK, MODELS.as_bytes().to_vec()))
}

/// Text of the last user item of a Responses API `input`, and the word count
/// of all message items (plus `instructions`).
fn responses_input(req: &Value) -> (std::borrow::Cow<'_, str>, u64) {
    let instructions = req
        .get("instructions")
        .and_then(Value::as_str)
        .unwrap_or("");
    match req.get("input") {
        Some(Value::String(t)) => (t.as_str().into(), words(t) + words(instructions)),
        Some(Value::Array(items)) => {
            // Only message items (typed or untyped) carry user text; tool
            // outputs and other item kinds are ignored.
            let messages: Vec<Value> = items
                .iter()
                .filter(|i| {
                    matches!(
                        i.get("type").and_then(Value::as_str),
                        None | Some("message")
                    )
                })
                .cloned()
                .collect();
            let n = message_words(&messages) + words(instructions);
            let text = last_user_text(&messages).into_owned();
            (text.into(), n)
        }
        _ => ("".into(), words(instructions)),
    }
}

/// Adds `type` and `sequence_number` to a Responses API stream event and emits it.
fn typed(f: &mut Frames, seq: &mut u64, kind: &str, mut v: Value, is_content: bool) {
    if let Value::Object(m) = &mut v {
        m.insert("type".into(), Value::String(kind.to_owned()));
        m.insert("sequence_number".into(), json!(*seq));
    }
    *seq += 1;
    f.event(kind, &v, is_content);
}

/// `POST /v1/responses` (OpenAI Responses API).
pub(crate) async fn responses(s: &Shared, raw: &[u8]) -> Result<Response, RequestError> {
    let req = parse_object(raw)?;
    let (text, input_tokens) = responses_input(&req);
    let plan = directive::parse(&text)?;
    if let Some(early) = s.prelude(P, &plan).await {
        return Ok(early);
    }
    let n = s.next_id();
    let resp_id = format!("resp_mock_{n}");
    let item_id = match plan.reply {
        Reply::Text(_) => format!("msg_mock_{n}"),
        Reply::ToolCall => format!("fc_mock_{n}"),
    };
    let call_id = format!("call_mock_{n}");
    let model = model_of(&req, DEFAULT_MODEL);
    let created = now();
    let output_tokens = words(plan.reply.text());
    let usage = json!({
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    });
    // The response object; `output`/`usage` vary between the created and completed events.
    let response = |status: &str, output: Vec<Value>, usage: Value| {
        let mut m = Map::new();
        m.insert("id".into(), json!(resp_id));
        m.insert("object".into(), json!("response"));
        m.insert("created_at".into(), json!(created));
        m.insert("status".into(), json!(status));
        m.insert(
            "completed_at".into(),
            if status == "completed" {
                json!(created)
            } else {
                Value::Null
            },
        );
        m.insert("error".into(), Value::Null);
        m.insert("incomplete_details".into(), Value::Null);
        m.insert(
            "instructions".into(),
            req.get("instructions").cloned().unwrap_or(Value::Null),
        );
        m.insert("max_output_tokens".into(), Value::Null);
        m.insert("model".into(), json!(model));
        m.insert("output".into(), Value::Array(output));
        m.insert("parallel_tool_calls".into(), json!(true));
        m.insert("previous_response_id".into(), Value::Null);
        m.insert("reasoning".into(), json!({"effort": null, "summary": null}));
        m.insert("store".into(), json!(false));
        m.insert("temperature".into(), json!(1.0));
        m.insert("text".into(), json!({"format": {"type": "text"}}));
        m.insert("tool_choice".into(), json!("auto"));
        m.insert("tools".into(), json!([]));
        m.insert("top_p".into(), json!(1.0));
        m.insert("truncation".into(), json!("disabled"));
        m.insert("usage".into(), usage);
        m.insert("user".into(), Value::Null);
        m.insert("metadata".into(), json!({}));
        Value::Object(m)
    };
    let text_part = |text: &str| json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []});
    let message_item = |status: &str, content: Vec<Value>| json!({"type": "message", "id": item_id, "status": status, "role": "assistant", "content": content});
    let call_item = |status: &str, arguments: &str| {
        json!({
            "type": "function_call",
            "id": item_id,
            "call_id": call_id,
            "name": TOOL_CALL_NAME,
            "arguments": arguments,
            "status": status,
        })
    };
    let final_item = match plan.reply {
        Reply::Text(t) => message_item("completed", vec![text_part(t)]),
        Reply::ToolCall => call_item("completed", TOOL_CALL_ARGUMENTS),
    };

    if !crate::wants_stream(&req) {
        let v = response("completed", vec![final_item], usage);
        return Ok(body::json_body(v.to_string().into_bytes(), plan.cut));
    }

    let mut f = Frames::default();
    let mut seq = 0u64;
    let created_event = json!({"response": response("in_progress", Vec::new(), Value::Null)});
    typed(&mut f, &mut seq, "response.created", created_event, false);
    match plan.reply {
        Reply::Text(t) => {
            let added = json!({"output_index": 0, "item": message_item("in_progress", Vec::new())});
            typed(&mut f, &mut seq, "response.output_item.added", added, false);
            let loc = |mut v: Value| {
                if let Value::Object(m) = &mut v {
                    m.insert("item_id".into(), json!(item_id));
                    m.insert("output_index".into(), json!(0));
                    m.insert("content_index".into(), json!(0));
                }
                v
            };
            let part = loc(json!({"part": text_part("")}));
            typed(&mut f, &mut seq, "response.content_part.added", part, false);
            for c in chunks(t) {
                let delta = loc(json!({"delta": c, "logprobs": []}));
                typed(&mut f, &mut seq, "response.output_text.delta", delta, true);
            }
            let done = loc(json!({"text": t, "logprobs": []}));
            typed(&mut f, &mut seq, "response.output_text.done", done, false);
            let part = loc(json!({"part": text_part(t)}));
            typed(&mut f, &mut seq, "response.content_part.done", part, false);
        }
        Reply::ToolCall => {
            let added = json!({"output_index": 0, "item": call_item("in_progress", "")});
            typed(&mut f, &mut seq, "response.output_item.added", added, false);
            for piece in split_arguments(TOOL_CALL_ARGUMENTS) {
                let delta = json!({"item_id": item_id, "output_index": 0, "delta": piece});
                typed(
                    &mut f,
                    &mut seq,
                    "response.function_call_arguments.delta",
                    delta,
                    true,
                );
            }
            let done = json!({
                "item_id": item_id,
                "output_index": 0,
                "name": TOOL_CALL_NAME,
                "arguments": TOOL_CALL_ARGUMENTS,
            });
            typed(
                &mut f,
                &mut seq,
                "response.function_call_arguments.done",
                done,
                false,
            );
        }
    }
    let item_done = json!({"output_index": 0, "item": final_item.clone()});
    typed(
        &mut f,
        &mut seq,
        "response.output_item.done",
        item_done,
        false,
    );
    let completed = json!({"response": response("completed", vec![final_item], usage)});
    typed(&mut f, &mut seq, "response.completed", completed, false);
    Ok(f.into_response(s.chunk_delay(), plan.cut, plan.stall))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_are_deterministic_unit_vectors() {
        let a = embed(b"hello");
        assert_eq!(a, embed(b"hello"));
        assert_ne!(a, embed(b"hellp"));
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    }

    #[test]
    fn responses_input_reads_strings_and_items() {
        let req = json!({"input": "hi there", "instructions": "be brief"});
        let (text, n) = responses_input(&req);
        assert_eq!((text.as_ref(), n), ("hi there", 4));
        let req = json!({"input": [
            {"role": "user", "content": "one"},
            {"type": "function_call_output", "call_id": "x", "output": "ignored"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "two [[mock:cut]]"}]}
        ]});
        let (text, n) = responses_input(&req);
        assert_eq!((text.as_ref(), n), ("two [[mock:cut]]", 3));
    }
}
