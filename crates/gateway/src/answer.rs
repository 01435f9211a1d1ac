//! The model's side of each API: where the answer text is (whole answers
//! and stream events), how a filtered answer looks in that API (so SDKs
//! handle it like the provider's own content filter), and token usage.

use crate::extract::Api;
use palisade_core::TokenCounts;
use serde_json::{json, Value};

/// Answer texts of a whole (non-streamed) response: `(pointer, text)`;
/// tool-call arguments have no pointer (they are never rewritten).
pub fn answer_pieces(api: Api, body: &Value) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let text = |ptr: String, v: Option<&Value>, out: &mut Vec<(Option<String>, String)>| {
        if let Some(s) = v.and_then(Value::as_str) {
            if !s.is_empty() {
                out.push((Some(ptr), s.to_string()));
            }
        }
    };
    match api {
        Api::Chat => {
            for (i, c) in arr(body, "choices").iter().enumerate() {
                text(
                    format!("/choices/{i}/message/content"),
                    c.pointer("/message/content"),
                    &mut out,
                );
                text(
                    format!("/choices/{i}/message/refusal"),
                    c.pointer("/message/refusal"),
                    &mut out,
                );
                for tc in c
                    .pointer("/message/tool_calls")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(a) = tc.pointer("/function/arguments").and_then(Value::as_str) {
                        out.push((None, a.to_string()));
                    }
                }
            }
        }
        Api::Completions => {
            for (i, c) in arr(body, "choices").iter().enumerate() {
                text(format!("/choices/{i}/text"), c.get("text"), &mut out);
            }
        }
        Api::Responses => {
            for (i, item) in arr(body, "output").iter().enumerate() {
                match item.get("type").and_then(Value::as_str) {
                    Some("message") => {
                        for (j, part) in arr(item, "content").iter().enumerate() {
                            text(
                                format!("/output/{i}/content/{j}/text"),
                                part.get("text"),
                                &mut out,
                            );
                        }
                    }
                    Some("function_call") => {
                        if let Some(a) = item.get("arguments").and_then(Value::as_str) {
                            out.push((None, a.to_string()));
                        }
                    }
                    _ => {}
                }
            }
        }
        Api::Messages => {
            for (i, block) in arr(body, "content").iter().enumerate() {
                match block.get("type").and_then(Value::as_str) {
                    Some("text") => text(format!("/content/{i}/text"), block.get("text"), &mut out),
                    Some("tool_use") => {
                        if let Some(input) = block.get("input") {
                            out.push((None, input.to_string()));
                        }
                    }
                    _ => {}
                }
            }
        }
        Api::Embeddings => {}
    }
    out
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Rewrites a whole answer as the provider's own content filter would
/// return it.
pub fn filter_answer(api: Api, body: &mut Value) {
    match api {
        Api::Chat => {
            if let Some(cs) = body.get_mut("choices").and_then(Value::as_array_mut) {
                // Indexing a non-object would panic: upstream shapes are
                // untrusted, so only objects are touched.
                for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                    c.insert("finish_reason".into(), json!("content_filter"));
                    if let Some(m) = c.get_mut("message").and_then(Value::as_object_mut) {
                        m.insert("content".into(), json!(""));
                        m.remove("tool_calls");
                        m.remove("function_call");
                    }
                }
            }
        }
        Api::Completions => {
            if let Some(cs) = body.get_mut("choices").and_then(Value::as_array_mut) {
                for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                    c.insert("finish_reason".into(), json!("content_filter"));
                    c.insert("text".into(), json!(""));
                }
            }
        }
        Api::Responses => {
            if let Some(o) = body.as_object_mut() {
                o.insert("status".into(), json!("incomplete"));
                o.insert(
                    "incomplete_details".into(),
                    json!({"reason": "content_filter"}),
                );
                o.insert("output".into(), json!([]));
            }
        }
        Api::Messages => {
            if let Some(o) = body.as_object_mut() {
                o.insert("content".into(), json!([]));
                o.insert("stop_reason".into(), json!("refusal"));
            }
        }
        Api::Embeddings => {}
    }
}

/// Token usage of a whole answer.
pub fn usage(api: Api, body: &Value) -> TokenCounts {
    let u = body.get("usage");
    let n = |k: &str| u.and_then(|u| u.get(k)).and_then(Value::as_u64);
    match api {
        Api::Chat | Api::Completions | Api::Embeddings => TokenCounts {
            prompt: n("prompt_tokens"),
            completion: n("completion_tokens"),
        },
        Api::Responses | Api::Messages => TokenCounts {
            prompt: n("input_tokens"),
            completion: n("output_tokens"),
        },
    }
}

/// What one stream event carries, and what a cut needs to remember.
#[derive(Debug, Default)]
pub struct StreamMeta {
    /// Chat/completions chunk id, model and created time.
    pub id: Option<Value>,
    /// The model name.
    pub model: Option<Value>,
    /// Creation time.
    pub created: Option<Value>,
    /// Responses API: the last full `response` object seen.
    pub response: Option<Value>,
    /// Responses API: the last sequence number.
    pub sequence: u64,
    /// Anthropic: index of a content block that is open.
    pub open_block: Option<u64>,
    /// Tokens reported so far.
    pub tokens: TokenCounts,
    /// The upstream said the stream is complete.
    pub complete: bool,
}

impl StreamMeta {
    /// Reads one event; returns the answer text it adds.
    pub fn observe(&mut self, api: Api, event: Option<&str>, data: &str) -> String {
        let mut text = String::new();
        if data == "[DONE]" {
            self.complete = true;
            return text;
        }
        let Ok(v) = serde_json::from_str::<Value>(data) else {
            return text;
        };
        match api {
            Api::Chat | Api::Completions => {
                for (k, slot) in [
                    ("id", &mut self.id),
                    ("model", &mut self.model),
                    ("created", &mut self.created),
                ] {
                    if slot.is_none() {
                        *slot = v.get(k).cloned();
                    }
                }
                for c in arr(&v, "choices") {
                    let parts = [
                        c.pointer("/delta/content"),
                        c.pointer("/delta/refusal"),
                        c.get("text"),
                    ];
                    for s in parts.into_iter().flatten().filter_map(Value::as_str) {
                        text.push_str(s);
                    }
                    for tc in c
                        .pointer("/delta/tool_calls")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(a) = tc.pointer("/function/arguments").and_then(Value::as_str) {
                            text.push_str(a);
                        }
                    }
                }
                if v.get("usage").is_some_and(|u| !u.is_null()) {
                    self.tokens = usage(api, &v);
                }
            }
            Api::Responses => {
                if let Some(n) = v.get("sequence_number").and_then(Value::as_u64) {
                    self.sequence = n;
                }
                if let Some(r) = v.get("response") {
                    self.response = Some(r.clone());
                    if r.get("usage").is_some_and(|u| !u.is_null()) {
                        self.tokens = usage(api, r);
                    }
                }
                let ty = v
                    .get("type")
                    .and_then(Value::as_str)
                    .or(event)
                    .unwrap_or("");
                if matches!(
                    ty,
                    "response.output_text.delta"
                        | "response.function_call_arguments.delta"
                        | "response.refusal.delta"
                ) {
                    if let Some(d) = v.get("delta").and_then(Value::as_str) {
                        text.push_str(d);
                    }
                }
                if matches!(
                    ty,
                    "response.completed" | "response.incomplete" | "response.failed"
                ) {
                    self.complete = true;
                }
            }
            Api::Messages => {
                let ty = v
                    .get("type")
                    .and_then(Value::as_str)
                    .or(event)
                    .unwrap_or("");
                match ty {
                    "message_start" => {
                        self.id = v.pointer("/message/id").cloned();
                        self.model = v.pointer("/message/model").cloned();
                        self.tokens.prompt = v
                            .pointer("/message/usage/input_tokens")
                            .and_then(Value::as_u64);
                    }
                    "content_block_start" => {
                        self.open_block = v.get("index").and_then(Value::as_u64)
                    }
                    "content_block_stop" => self.open_block = None,
                    "content_block_delta" => {
                        for k in ["/delta/text", "/delta/partial_json"] {
                            if let Some(s) = v.pointer(k).and_then(Value::as_str) {
                                text.push_str(s);
                            }
                        }
                    }
                    "message_delta" => {
                        if let Some(n) = v.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                            self.tokens.completion = Some(n);
                        }
                    }
                    "message_stop" => self.complete = true,
                    _ => {}
                }
            }
            Api::Embeddings => {}
        }
        text
    }

    /// The frames that end a stream the way the provider's content
    /// filter ends one.
    pub fn cut_frames(&mut self, api: Api) -> String {
        match api {
            Api::Chat => format!(
                "data: {}\n\ndata: [DONE]\n\n",
                json!({
                    "id": self.id.clone().unwrap_or(json!("chatcmpl-palisade")),
                    "object": "chat.completion.chunk",
                    "created": self.created.clone().unwrap_or(json!(0)),
                    "model": self.model.clone().unwrap_or(json!("")),
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "content_filter"}],
                })
            ),
            Api::Completions => format!(
                "data: {}\n\ndata: [DONE]\n\n",
                json!({
                    "id": self.id.clone().unwrap_or(json!("cmpl-palisade")),
                    "object": "text_completion",
                    "created": self.created.clone().unwrap_or(json!(0)),
                    "model": self.model.clone().unwrap_or(json!("")),
                    "choices": [{"index": 0, "text": "", "logprobs": null, "finish_reason": "content_filter"}],
                })
            ),
            Api::Responses => {
                let mut r = match self.response.clone() {
                    Some(Value::Object(o)) => o,
                    _ => serde_json::Map::from_iter([
                        ("object".to_string(), json!("response")),
                        ("output".to_string(), json!([])),
                    ]),
                };
                r.insert("status".into(), json!("incomplete"));
                r.insert(
                    "incomplete_details".into(),
                    json!({"reason": "content_filter"}),
                );
                self.sequence += 1;
                format!(
                    "event: response.incomplete\ndata: {}\n\n",
                    json!({"type": "response.incomplete", "sequence_number": self.sequence, "response": r})
                )
            }
            Api::Messages => {
                let mut s = String::new();
                if let Some(i) = self.open_block.take() {
                    s.push_str(&format!(
                        "event: content_block_stop\ndata: {}\n\n",
                        json!({"type": "content_block_stop", "index": i})
                    ));
                }
                s.push_str(&format!(
                    "event: message_delta\ndata: {}\n\nevent: message_stop\ndata: {}\n\n",
                    json!({"type": "message_delta",
                           "delta": {"stop_reason": "refusal", "stop_sequence": null},
                           "usage": {"output_tokens": self.tokens.completion.unwrap_or(0)}}),
                    json!({"type": "message_stop"})
                ));
                s
            }
            Api::Embeddings => String::new(),
        }
    }

    /// A frame that reports an error inside an already started stream
    /// (SDKs raise on it instead of returning a silently short answer).
    pub fn error_frame(&mut self, api: Api, code: &str, message: &str) -> String {
        match api {
            Api::Messages => format!(
                "event: error\ndata: {}\n\n",
                json!({"type": "error", "error": {"type": "api_error", "message": message, "code": code}})
            ),
            Api::Responses => {
                self.sequence += 1;
                format!(
                    "event: error\ndata: {}\n\n",
                    json!({"type": "error", "code": code, "message": message, "param": null,
                           "sequence_number": self.sequence})
                )
            }
            _ => format!(
                "data: {}\n\n",
                json!({"error": {"message": message, "type": "upstream_error", "param": null, "code": code}})
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_answer_pieces_and_filter() {
        let mut b = json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "hi",
            "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
            "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 1}});
        let p = answer_pieces(Api::Chat, &b);
        assert_eq!(
            p,
            vec![
                (Some("/choices/0/message/content".into()), "hi".into()),
                (None, "{\"a\":1}".into())
            ]
        );
        assert_eq!(
            usage(Api::Chat, &b),
            TokenCounts {
                prompt: Some(3),
                completion: Some(1)
            }
        );
        filter_answer(Api::Chat, &mut b);
        assert_eq!(b["choices"][0]["finish_reason"], "content_filter");
        assert_eq!(b["choices"][0]["message"]["content"], "");
        assert!(b["choices"][0]["message"].get("tool_calls").is_none());
    }

    #[test]
    fn anthropic_stream_meta_and_cut() {
        let mut m = StreamMeta::default();
        m.observe(Api::Messages, Some("message_start"), r#"{"type":"message_start","message":{"id":"msg_1","model":"c","usage":{"input_tokens":5}}}"#);
        m.observe(
            Api::Messages,
            None,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        );
        let t = m.observe(Api::Messages, None, r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#);
        assert_eq!(t, "Hel");
        let cut = m.cut_frames(Api::Messages);
        assert!(cut.starts_with("event: content_block_stop"), "{cut}");
        assert!(cut.contains("\"stop_reason\":\"refusal\""), "{cut}");
        assert!(cut.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
        assert_eq!(m.tokens.prompt, Some(5));
    }

    #[test]
    fn chat_stream_cut_reuses_the_chunk_identity() {
        let mut m = StreamMeta::default();
        let t = m.observe(Api::Chat, None, r#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"ab"}}]}"#);
        assert_eq!(t, "ab");
        let cut = m.cut_frames(Api::Chat);
        let first = cut.lines().next().unwrap().trim_start_matches("data: ");
        let v: Value = serde_json::from_str(first).unwrap();
        assert_eq!(v["id"], "c1");
        assert_eq!(v["choices"][0]["finish_reason"], "content_filter");
        assert!(cut.ends_with("data: [DONE]\n\n"));
        assert!(!m.complete);
        m.observe(Api::Chat, None, "[DONE]");
        assert!(m.complete);
    }
}
