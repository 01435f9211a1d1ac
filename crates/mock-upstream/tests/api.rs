//! Wire-level tests of every route and directive, against an in-process mock.

use std::time::{Duration, Instant};

use palisade_mock_upstream::{canned, spawn, MockConfig};
use serde_json::{json, Value};

async fn start(cfg: MockConfig) -> String {
    let addr = spawn(cfg).await.expect("spawn mock");
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

fn chat_body(text: &str) -> Value {
    json!({"model": "gpt-test", "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": text}
    ]})
}

fn claude_body(text: &str) -> Value {
    json!({"model": "claude-test", "max_tokens": 64, "messages": [{"role": "user", "content": text}]})
}

async fn post(base: &str, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{base}{path}"))
        .json(body)
        .send()
        .await
        .expect("send")
}

/// Parses an SSE body into (event name, data) pairs.
fn sse(text: &str) -> Vec<(Option<String>, String)> {
    assert!(
        text.ends_with("\n\n"),
        "stream must end with a blank line: {text:?}"
    );
    text.split("\n\n")
        .filter(|f| !f.is_empty())
        .map(|frame| {
            let mut event = None;
            let mut data = None;
            for line in frame.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = Some(e.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = Some(d.to_owned());
                } else {
                    panic!("unexpected SSE line {line:?}");
                }
            }
            (event, data.expect("data line"))
        })
        .collect()
}

fn json_of(data: &str) -> Value {
    serde_json::from_str(data).unwrap_or_else(|e| panic!("bad JSON {data:?}: {e}"))
}

async fn stream_text(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    resp.text().await.expect("body")
}

#[tokio::test]
async fn chat_non_stream_shape() {
    let base = start(MockConfig::default()).await;
    let resp = post(
        &base,
        "/v1/chat/completions",
        &chat_body("What is the capital of France?"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let v: Value = resp.json().await.expect("json");
    assert!(v["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("chatcmpl-mock-")));
    assert_eq!(v["object"], "chat.completion");
    assert!(v["created"].as_u64().is_some_and(|t| t > 1_600_000_000));
    assert_eq!(v["model"], "gpt-test");
    assert_eq!(v["choices"][0]["index"], 0);
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        canned("benign").expect("benign")
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    // "You are terse." + "What is the capital of France?" = 3 + 6 words.
    assert_eq!(v["usage"]["prompt_tokens"], 9);
    assert_eq!(v["usage"]["completion_tokens"], 18);
    assert_eq!(v["usage"]["total_tokens"], 27);
}

#[tokio::test]
async fn ids_count_up() {
    let base = start(MockConfig::default()).await;
    let a: Value = post(&base, "/v1/chat/completions", &chat_body("x"))
        .await
        .json()
        .await
        .expect("json");
    let b: Value = post(&base, "/v1/chat/completions", &chat_body("x"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(a["id"], "chatcmpl-mock-1");
    assert_eq!(b["id"], "chatcmpl-mock-2");
}

#[tokio::test]
async fn chat_array_content_and_reply_directive() {
    let base = start(MockConfig::default()).await;
    let body = json!({"model": "m", "messages": [
        {"role": "user", "content": "ignored [[mock:reply=unsafe]]"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [
            {"type": "text", "text": "tell me [[mock:"},
            {"type": "image_url", "image_url": {"url": "data:,"}},
            {"type": "text", "text": "reply=pii]]"}
        ]}
    ]});
    let v: Value = post(&base, "/v1/chat/completions", &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        canned("pii").expect("pii")
    );
}

#[tokio::test]
async fn chat_stream_concatenates_to_canned_reply_and_ends_with_done() {
    let base = start(MockConfig::default()).await;
    for name in ["benign", "unsafe", "long", "leak", "pii"] {
        let mut body = chat_body(&format!("go [[mock:reply={name}]]"));
        body["stream"] = json!(true);
        let text = stream_text(post(&base, "/v1/chat/completions", &body).await).await;
        let frames = sse(&text);
        assert_eq!(frames.last().map(|f| f.1.as_str()), Some("[DONE]"));
        assert!(
            frames.iter().all(|f| f.0.is_none()),
            "OpenAI frames carry no event names"
        );
        let chunks: Vec<Value> = frames[..frames.len() - 1]
            .iter()
            .map(|f| json_of(&f.1))
            .collect();
        assert_eq!(
            chunks[0]["choices"][0]["delta"],
            json!({"role": "assistant", "content": ""})
        );
        let last = chunks.last().expect("chunks");
        assert_eq!(last["choices"][0]["delta"], json!({}));
        assert_eq!(last["choices"][0]["finish_reason"], "stop");
        let id = chunks[0]["id"].clone();
        let mut joined = String::new();
        for c in &chunks {
            assert_eq!(c["object"], "chat.completion.chunk");
            assert_eq!(c["id"], id);
            assert_eq!(c["model"], "gpt-test");
            if let Some(t) = c["choices"][0]["delta"]["content"].as_str() {
                assert!(t.split_whitespace().count() <= 3);
                joined.push_str(t);
            }
        }
        assert_eq!(joined, canned(name).expect("canned"), "{name}");
        assert!(chunks.len() > 4, "{name} should span several chunks");
        assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    }
}

#[tokio::test]
async fn chat_stream_include_usage_chunk() {
    let base = start(MockConfig::default()).await;
    let mut body = chat_body("hello there");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let frames = sse(&stream_text(post(&base, "/v1/chat/completions", &body).await).await);
    let n = frames.len();
    assert_eq!(frames[n - 1].1, "[DONE]");
    let usage = json_of(&frames[n - 2].1);
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["prompt_tokens"], 5);
    assert_eq!(usage["usage"]["completion_tokens"], 18);
    assert_eq!(usage["usage"]["total_tokens"], 23);
    let stop = json_of(&frames[n - 3].1);
    assert_eq!(stop["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn chat_tool_call_plain_and_streamed() {
    let base = start(MockConfig::default()).await;
    let body = chat_body("weather? [[mock:reply=tool_call]]");
    let v: Value = post(&base, "/v1/chat/completions", &body)
        .await
        .json()
        .await
        .expect("json");
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert!(call["id"].as_str().is_some_and(|s| s.starts_with("call_")));
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], r#"{"city":"Paris"}"#);

    let mut body = body;
    body["stream"] = json!(true);
    let frames = sse(&stream_text(post(&base, "/v1/chat/completions", &body).await).await);
    let chunks: Vec<Value> = frames[..frames.len() - 1]
        .iter()
        .map(|f| json_of(&f.1))
        .collect();
    let first = &chunks[0]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(first["function"]["name"], "get_weather");
    let args: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(args, r#"{"city":"Paris"}"#);
    assert_eq!(
        chunks.last().expect("last")["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test]
async fn legacy_completions_plain_and_streamed() {
    let base = start(MockConfig::default()).await;
    let body = json!({"model": "davinci-test", "prompt": "Say something [[mock:reply=leak]]"});
    let v: Value = post(&base, "/v1/completions", &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["object"], "text_completion");
    assert_eq!(v["model"], "davinci-test");
    assert_eq!(v["choices"][0]["text"], canned("leak").expect("leak"));
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["usage"]["prompt_tokens"], 3);

    let body =
        json!({"prompt": ["a", "b"], "stream": true, "stream_options": {"include_usage": true}});
    let frames = sse(&stream_text(post(&base, "/v1/completions", &body).await).await);
    assert_eq!(frames.last().expect("frames").1, "[DONE]");
    let objs: Vec<Value> = frames[..frames.len() - 1]
        .iter()
        .map(|f| json_of(&f.1))
        .collect();
    let text: String = objs
        .iter()
        .filter_map(|o| o["choices"][0]["text"].as_str())
        .collect();
    assert_eq!(text, canned("benign").expect("benign"));
    assert!(objs.iter().all(|o| o["object"] == "text_completion"));
    let n = objs.len();
    assert_eq!(objs[n - 2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(objs[n - 1]["choices"], json!([]));
    assert_eq!(objs[n - 1]["usage"]["prompt_tokens"], 2);
}

#[tokio::test]
async fn embeddings_float_and_base64() {
    let base = start(MockConfig::default()).await;
    let body = json!({"model": "emb", "input": ["alpha", "beta", "alpha"]});
    let v: Value = post(&base, "/v1/embeddings", &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["object"], "list");
    assert_eq!(v["model"], "emb");
    let data = v["data"].as_array().expect("data");
    assert_eq!(data.len(), 3);
    for (i, d) in data.iter().enumerate() {
        assert_eq!(d["object"], "embedding");
        assert_eq!(d["index"], i);
        assert_eq!(d["embedding"].as_array().map(Vec::len), Some(8));
    }
    assert_eq!(data[0]["embedding"], data[2]["embedding"]);
    assert_ne!(data[0]["embedding"], data[1]["embedding"]);
    assert_eq!(v["usage"]["prompt_tokens"], 3);

    let single: Value = post(&base, "/v1/embeddings", &json!({"input": "alpha"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(single["data"][0]["embedding"], data[0]["embedding"]);

    let b64: Value = post(
        &base,
        "/v1/embeddings",
        &json!({"input": "alpha", "encoding_format": "base64"}),
    )
    .await
    .json()
    .await
    .expect("json");
    let s = b64["data"][0]["embedding"].as_str().expect("base64 string");
    // 8 little-endian f32s = 32 bytes = 44 base64 chars.
    assert_eq!(s.len(), 44);

    let resp = post(&base, "/v1/embeddings", &json!({"model": "emb"})).await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn models_lists_two() {
    let base = start(MockConfig::default()).await;
    let v: Value = client()
        .get(format!("{base}/v1/models"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(v["object"], "list");
    let ids: Vec<&str> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, ["mock-gpt", "mock-claude"]);
    assert_eq!(v["data"][0]["object"], "model");
}

#[tokio::test]
async fn responses_plain_and_streamed() {
    let base = start(MockConfig::default()).await;
    let body = json!({"model": "gpt-r", "input": "hello [[mock:reply=pii]]"});
    let v: Value = post(&base, "/v1/responses", &body)
        .await
        .json()
        .await
        .expect("json");
    assert!(v["id"]
        .as_str()
        .is_some_and(|s| s.starts_with("resp_mock_")));
    assert_eq!(v["object"], "response");
    assert_eq!(v["status"], "completed");
    assert_eq!(v["model"], "gpt-r");
    let item = &v["output"][0];
    assert_eq!(item["type"], "message");
    assert_eq!(item["status"], "completed");
    assert_eq!(item["role"], "assistant");
    assert_eq!(item["content"][0]["type"], "output_text");
    assert_eq!(item["content"][0]["text"], canned("pii").expect("pii"));
    assert_eq!(item["content"][0]["annotations"], json!([]));
    assert_eq!(v["usage"]["input_tokens"], 2);
    assert_eq!(
        v["usage"]["total_tokens"].as_u64(),
        Some(2 + canned("pii").expect("pii").split_whitespace().count() as u64)
    );

    let body = json!({"model": "gpt-r", "stream": true, "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    ]});
    let frames = sse(&stream_text(post(&base, "/v1/responses", &body).await).await);
    let mut kinds = Vec::new();
    let mut text = String::new();
    for (i, (event, data)) in frames.iter().enumerate() {
        let v = json_of(data);
        let event = event.as_deref().expect("typed events");
        assert_eq!(v["type"], event);
        assert_eq!(v["sequence_number"], i);
        if event == "response.output_text.delta" {
            text.push_str(v["delta"].as_str().expect("delta"));
        }
        if kinds.last() != Some(&event.to_owned()) {
            kinds.push(event.to_owned());
        }
    }
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(text, canned("benign").expect("benign"));
    let completed = json_of(&frames.last().expect("last").1);
    assert_eq!(
        completed["response"]["output"][0]["content"][0]["text"],
        text
    );
    assert_eq!(completed["response"]["status"], "completed");
}

#[tokio::test]
async fn anthropic_non_stream_shape() {
    let base = start(MockConfig::default()).await;
    let mut body = claude_body("Hi there");
    body["system"] = json!([{"type": "text", "text": "Be nice."}]);
    let resp = post(&base, "/v1/messages", &body).await;
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.expect("json");
    assert!(v["id"].as_str().is_some_and(|s| s.starts_with("msg_mock_")));
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["model"], "claude-test");
    assert_eq!(
        v["content"],
        json!([{"type": "text", "text": canned("benign").expect("benign")}])
    );
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(v["stop_sequence"], Value::Null);
    assert_eq!(v["usage"], json!({"input_tokens": 4, "output_tokens": 18}));

    let v: Value = post(
        &base,
        "/v1/messages",
        &claude_body("[[mock:reply=tool_call]]"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(v["stop_reason"], "tool_use");
    assert_eq!(v["content"][0]["type"], "tool_use");
    assert_eq!(v["content"][0]["name"], "get_weather");
    assert_eq!(v["content"][0]["input"], json!({"city": "Paris"}));
}

#[tokio::test]
async fn anthropic_stream_event_order() {
    let base = start(MockConfig::default()).await;
    let mut body = claude_body("[[mock:reply=unsafe]]");
    body["stream"] = json!(true);
    let frames = sse(&stream_text(post(&base, "/v1/messages", &body).await).await);
    let mut order: Vec<String> = Vec::new();
    let mut text = String::new();
    for (event, data) in &frames {
        let event = event.as_deref().expect("named events");
        let v = json_of(data);
        assert_eq!(v["type"], event, "event name matches data type");
        if event == "content_block_delta" {
            assert_eq!(v["delta"]["type"], "text_delta");
            text.push_str(v["delta"]["text"].as_str().expect("text"));
        }
        if order.last().map(String::as_str) != Some(event) {
            order.push(event.to_owned());
        }
    }
    assert_eq!(
        order,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let deltas = frames
        .iter()
        .filter(|f| f.0.as_deref() == Some("content_block_delta"))
        .count();
    assert!(deltas > 10, "{deltas}");
    assert_eq!(text, canned("unsafe").expect("unsafe"));
    let start = json_of(&frames[0].1);
    assert_eq!(start["message"]["model"], "claude-test");
    assert_eq!(start["message"]["content"], json!([]));
    let delta = json_of(&frames[frames.len() - 2].1);
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert!(delta["usage"]["output_tokens"]
        .as_u64()
        .is_some_and(|n| n > 70));
}

#[tokio::test]
async fn anthropic_tool_use_stream() {
    let base = start(MockConfig::default()).await;
    let mut body = claude_body("[[mock:reply=tool_call]]");
    body["stream"] = json!(true);
    let frames = sse(&stream_text(post(&base, "/v1/messages", &body).await).await);
    let start = json_of(&frames[1].1);
    assert_eq!(start["content_block"]["type"], "tool_use");
    let json: String = frames
        .iter()
        .map(|f| json_of(&f.1))
        .filter(|v| v["type"] == "content_block_delta")
        .map(|v| {
            assert_eq!(v["delta"]["type"], "input_json_delta");
            v["delta"]["partial_json"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(json, r#"{"city":"Paris"}"#);
}

#[tokio::test]
async fn status_directive_uses_provider_error_shapes() {
    let base = start(MockConfig::default()).await;
    let resp = post(
        &base,
        "/v1/chat/completions",
        &chat_body("[[mock:status=429]]"),
    )
    .await;
    assert_eq!(resp.status(), 429);
    let v: Value = resp.json().await.expect("json");
    assert!(v["error"]["message"].is_string());
    assert!(v["error"]["type"].is_string());
    assert!(v["error"]["code"].is_string());

    let mut body = chat_body("[[mock:status=503]]");
    body["stream"] = json!(true);
    let resp = post(&base, "/v1/chat/completions", &body).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["content-type"], "application/json");

    let resp = post(&base, "/v1/messages", &claude_body("[[mock:status=529]]")).await;
    assert_eq!(resp.status(), 529);
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "overloaded_error");
    assert!(v["error"]["message"].is_string());

    let resp = post(
        &base,
        "/v1/responses",
        &json!({"input": "[[mock:status=500]]"}),
    )
    .await;
    assert_eq!(resp.status(), 500);
}

#[tokio::test]
async fn bad_requests_are_400_in_provider_shape() {
    let base = start(MockConfig::default()).await;
    for (path, anthropic) in [
        ("/v1/chat/completions", false),
        ("/v1/responses", false),
        ("/v1/messages", true),
    ] {
        let resp = client()
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 400, "{path}");
        let v: Value = resp.json().await.expect("json");
        if anthropic {
            assert_eq!(v["type"], "error");
            assert_eq!(v["error"]["type"], "invalid_request_error");
        } else {
            assert_eq!(v["error"]["type"], "invalid_request_error");
        }
    }
    let resp = post(
        &base,
        "/v1/chat/completions",
        &chat_body("[[mock:reply=nonsense]]"),
    )
    .await;
    assert_eq!(resp.status(), 400);
    let v: Value = resp.json().await.expect("json");
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("nonsense")));
}

#[tokio::test]
async fn api_key_enforced_per_provider() {
    let base = start(MockConfig {
        api_key: Some("sk-upstream".into()),
        ..MockConfig::default()
    })
    .await;
    let c = client();
    let url = format!("{base}/v1/chat/completions");
    let no_key = c
        .post(&url)
        .json(&chat_body("x"))
        .send()
        .await
        .expect("send");
    assert_eq!(no_key.status(), 401);
    let v: Value = no_key.json().await.expect("json");
    assert_eq!(v["error"]["code"], "invalid_api_key");
    let wrong = c
        .post(&url)
        .bearer_auth("sk-client")
        .json(&chat_body("x"))
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);
    let right = c
        .post(&url)
        .bearer_auth("sk-upstream")
        .json(&chat_body("x"))
        .send()
        .await
        .expect("send");
    assert_eq!(right.status(), 200);
    let models = c
        .get(format!("{base}/v1/models"))
        .send()
        .await
        .expect("send");
    assert_eq!(models.status(), 401);

    let url = format!("{base}/v1/messages");
    let wrong = c
        .post(&url)
        .header("x-api-key", "sk-client")
        .json(&claude_body("x"))
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);
    let v: Value = wrong.json().await.expect("json");
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "authentication_error");
    let none = c
        .post(&url)
        .json(&claude_body("x"))
        .send()
        .await
        .expect("send");
    assert_eq!(none.status(), 401);
    let right = c
        .post(&url)
        .header("x-api-key", "sk-upstream")
        .json(&claude_body("x"))
        .send()
        .await
        .expect("send");
    assert_eq!(right.status(), 200);
    // The anthropic Python SDK 2.x sends its key as a bearer token.
    let bearer = c
        .post(&url)
        .bearer_auth("sk-upstream")
        .json(&claude_body("x"))
        .send()
        .await
        .expect("send");
    assert_eq!(bearer.status(), 200);
}

#[tokio::test]
async fn mock_last_records_body_byte_exactly_and_headers() {
    let base = start(MockConfig::default()).await;
    let c = client();
    let none = c
        .get(format!("{base}/mock/last"))
        .send()
        .await
        .expect("send");
    assert_eq!(none.status(), 404);

    // Odd spacing, key order and escapes must survive verbatim.
    let raw = "{ \"model\":\"m\",  \"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 \u{1F600}\"}] ,\"z\":1}\n";
    let resp = c
        .post(format!("{base}/v1/chat/completions?trace=1"))
        .header("content-type", "application/json")
        .header("authorization", "Bearer sk-replaced")
        .header("x-custom", "a")
        .body(raw)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let last: Value = c
        .get(format!("{base}/mock/last"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(last["method"], "POST");
    assert_eq!(last["path"], "/v1/chat/completions");
    assert_eq!(last["query"], "trace=1");
    assert_eq!(last["body"], raw);
    assert_eq!(last["headers"]["authorization"], "Bearer sk-replaced");
    assert_eq!(last["headers"]["x-custom"], "a");
    assert_eq!(last["headers"]["content-type"], "application/json");

    // Only the most recent request is kept, including GETs and rejected ones.
    c.get(format!("{base}/v1/models"))
        .send()
        .await
        .expect("send");
    let last: Value = c
        .get(format!("{base}/mock/last"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(last["method"], "GET");
    assert_eq!(last["path"], "/v1/models");
    assert_eq!(last["body"], "");
}

#[tokio::test]
async fn cut_directive_breaks_the_response() {
    let base = start(MockConfig::default()).await;
    // Stream: some frames arrive, then the connection drops before [DONE].
    let mut body = chat_body("[[mock:reply=long]] [[mock:cut]]");
    body["stream"] = json!(true);
    let mut resp = post(&base, "/v1/chat/completions", &body).await;
    assert_eq!(resp.status(), 200);
    let mut received = Vec::new();
    let err = loop {
        match resp.chunk().await {
            Ok(Some(b)) => received.extend_from_slice(&b),
            Ok(None) => panic!(
                "stream ended cleanly: {}",
                String::from_utf8_lossy(&received)
            ),
            Err(e) => break e,
        }
    };
    let text = String::from_utf8_lossy(&received);
    assert!(
        text.contains("\"content\":\"The capital \"") || text.contains("Bread is one"),
        "{text}"
    );
    assert!(!text.contains("[DONE]"));
    assert!(!text.contains("finish_reason\":\"stop"));
    assert!(
        err.is_body() || err.is_decode() || err.is_request(),
        "{err:?}"
    );

    // Anthropic stream: same, no message_stop.
    let mut body = claude_body("[[mock:cut]]");
    body["stream"] = json!(true);
    let resp = post(&base, "/v1/messages", &body).await;
    assert!(resp.text().await.is_err());

    // Non-stream: Content-Length promises more than arrives.
    let resp = post(&base, "/v1/chat/completions", &chat_body("[[mock:cut]]")).await;
    assert_eq!(resp.status(), 200);
    let declared = resp.content_length().expect("content-length");
    assert!(declared > 100);
    assert!(resp.bytes().await.is_err());
}

#[tokio::test]
async fn garbage_directive_returns_non_json() {
    let base = start(MockConfig::default()).await;
    let resp = post(
        &base,
        "/v1/chat/completions",
        &chat_body("[[mock:garbage]]"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let text = resp.text().await.expect("body");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
}

#[tokio::test]
async fn sleep_directive_and_configured_delays() {
    let base = start(MockConfig {
        delay: Duration::from_millis(50),
        chunk_delay: Duration::from_millis(20),
        ..MockConfig::default()
    })
    .await;
    let t = Instant::now();
    let resp = post(
        &base,
        "/v1/chat/completions",
        &chat_body("[[mock:sleep=200]]"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );

    // benign = 6 content chunks + role + stop + [DONE] = 9 frames, 8 gaps of 20 ms.
    let mut body = chat_body("x");
    body["stream"] = json!(true);
    let t = Instant::now();
    let text = stream_text(post(&base, "/v1/chat/completions", &body).await).await;
    assert_eq!(sse(&text).len(), 9);
    assert!(
        t.elapsed() >= Duration::from_millis(50 + 8 * 20),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn stall_directive_holds_the_stream_after_first_chunk() {
    let base = start(MockConfig::default()).await;
    let mut body = claude_body("[[mock:stall]]");
    body["stream"] = json!(true);
    let mut resp = post(&base, "/v1/messages", &body).await;
    assert_eq!(resp.status(), 200);
    let mut received = String::new();
    let stalled = loop {
        match tokio::time::timeout(Duration::from_millis(1500), resp.chunk()).await {
            Ok(Ok(Some(b))) => received.push_str(&String::from_utf8_lossy(&b)),
            Ok(other) => panic!("stream ended instead of stalling: {other:?}"),
            Err(_) => break received,
        }
    };
    assert_eq!(
        stalled.matches("event: content_block_delta").count(),
        1,
        "{stalled}"
    );
    assert!(!stalled.contains("message_stop"));
}

#[tokio::test]
async fn unknown_route_is_404() {
    let base = start(MockConfig::default()).await;
    let resp = client()
        .get(format!("{base}/v2/nothing"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 404);
}
