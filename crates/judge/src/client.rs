use crate::config::{FailPolicy, JudgeConfig, Profile};
use crate::error::{excerpt, JudgeError};
use crate::parse::parse_answer;
use palisade_core::{Category, Direction, Finding, SafetyLevel, Severity, Tier};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::time::{Duration, Instant};

/// The system prompt of the `json` profile. Kept as a data file so it can be
/// reviewed and tuned without reading Rust.
pub const JSON_JUDGE_PROMPT: &str = include_str!("../prompts/json_judge.txt");

/// Detector name of the finding a fail-closed outcome carries.
pub const UNAVAILABLE_DETECTOR: &str = "judge.unavailable";

/// Largest raw answer kept in [`JudgeOutcome::raw`], in bytes.
pub const RAW_ANSWER_MAX_BYTES: usize = 2048;

/// Largest HTTP response body read. A chat completion for a guard verdict is
/// a few hundred bytes; anything near this is a misbehaving server, and
/// reading it whole would let that server exhaust memory.
const MAX_BODY_BYTES: usize = 1 << 20;

/// Longest excerpt of a server's body quoted in an error.
const BODY_EXCERPT_BYTES: usize = 300;

/// What the judge said about one text, or what the fail policy made of its
/// silence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgeOutcome {
    /// The grade to merge into the verdict.
    pub safety: SafetyLevel,
    /// Findings of tier `Judge`: detector `judge.<profile>`, or
    /// `judge.unavailable` when the fail policy is closed and the judge
    /// failed.
    pub findings: Vec<Finding>,
    /// Whether the graded response refuses the request (Qwen3Guard on the
    /// output direction only).
    pub refusal: Option<bool>,
    /// Wall-clock time of the whole call, including failed ones.
    pub latency_us: u64,
    /// The model's raw answer (at most 2 KB), for audits and for seeing why
    /// a parse failed. `None` when no answer arrived.
    pub raw: Option<String>,
    /// Why there is no real verdict. `Some` means the outcome came from the
    /// fail policy, and the guard should mark its verdict degraded.
    pub error: Option<JudgeError>,
    /// The fail policy that produced the outcome; `Some` exactly when
    /// `error` is.
    pub fail_policy_applied: Option<FailPolicy>,
    /// True when the text or the context was longer than
    /// `max_input_chars` and the judge saw only part of it.
    pub truncated: bool,
}

impl JudgeOutcome {
    /// True when the outcome is the fail policy's, not the judge's.
    pub fn is_degraded(&self) -> bool {
        self.error.is_some()
    }
}

/// A client of one judge model. Cheap to clone (the HTTP connection pool is
/// shared) and safe to use from many tasks at once.
#[derive(Debug, Clone)]
pub struct Judge {
    config: JudgeConfig,
    endpoint: reqwest::Url,
    /// Marked sensitive so `Debug` output and HTTP tracing redact it.
    auth: Option<HeaderValue>,
    client: reqwest::Client,
}

impl Judge {
    /// Validates `config`, reads the API key from the environment variable
    /// named by `api_key_env` (if any) and builds the HTTP client.
    ///
    /// The key is read once, here, so that a missing variable is a startup
    /// error rather than a failure on the first suspicious request.
    pub fn new(config: JudgeConfig) -> Result<Judge, JudgeError> {
        let key = match &config.api_key_env {
            None => None,
            Some(var) => match std::env::var(var) {
                Ok(key) if !key.trim().is_empty() => Some(key),
                Ok(_) => {
                    return Err(JudgeError::Config {
                        field: "api_key_env",
                        reason: format!("environment variable `{var}` is empty"),
                    })
                }
                Err(std::env::VarError::NotPresent) => {
                    return Err(JudgeError::Config {
                        field: "api_key_env",
                        reason: format!("environment variable `{var}` is not set"),
                    })
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(JudgeError::Config {
                        field: "api_key_env",
                        reason: format!("environment variable `{var}` is not valid UTF-8"),
                    })
                }
            },
        };
        Judge::with_api_key(config, key)
    }

    /// Like [`Judge::new`] but with the key given directly (from a secret
    /// store, say); `api_key_env` is then not consulted.
    pub fn with_api_key(config: JudgeConfig, api_key: Option<String>) -> Result<Judge, JudgeError> {
        let endpoint = config.validate()?;
        let auth =
            match api_key {
                None => None,
                Some(key) => {
                    // The key is deliberately left out of the message.
                    let mut value = HeaderValue::from_str(&format!("Bearer {}", key.trim()))
                        .map_err(|_| JudgeError::Config {
                            field: "api_key_env",
                            reason: "the API key contains characters not allowed in an HTTP header"
                                .into(),
                        })?;
                    value.set_sensitive(true);
                    Some(value)
                }
            };
        let timeout = Duration::from_millis(config.timeout_ms);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A judge endpoint has no reason to redirect; following one would
            // turn the POST into a GET and could carry the key elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("palisade-judge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| JudgeError::Request {
                url: endpoint.to_string(),
                reason: format!("cannot build HTTP client: {}", error_chain(&e)),
            })?;
        Ok(Judge {
            config,
            endpoint,
            auth,
            client,
        })
    }

    /// The configuration this judge was built from.
    pub fn config(&self) -> &JudgeConfig {
        &self.config
    }

    /// The full chat-completions URL requests go to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    /// Asks the judge about `text`.
    ///
    /// For [`Direction::Output`], `context` is the user prompt that produced
    /// the response `text`; guard models grade a response only in the light
    /// of its prompt. For [`Direction::Input`], `context` is ignored by the
    /// guard-model profiles and shown as reference material by `json`.
    ///
    /// Never fails and never panics: errors become an outcome shaped by
    /// `on_error`, with [`JudgeOutcome::error`] set.
    pub async fn judge(
        &self,
        text: &str,
        direction: Direction,
        context: Option<&str>,
    ) -> JudgeOutcome {
        let start = Instant::now();
        let (messages, truncated) = self.messages(text, direction, context);
        let answer = self.call(&messages).await;
        let result = match answer {
            Ok(raw) => match parse_answer(self.config.profile, &raw) {
                Ok(parsed) => Ok((parsed, raw)),
                Err(e) => Err((e, Some(raw))),
            },
            Err(e) => Err((e, None)),
        };
        let latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let profile = self.config.profile;
        match result {
            Ok((parsed, raw)) => {
                tracing::debug!(
                    profile = profile.as_str(),
                    ?direction,
                    safety = ?parsed.safety,
                    latency_us,
                    "judge verdict"
                );
                JudgeOutcome {
                    safety: parsed.safety,
                    findings: parsed.findings(profile),
                    refusal: parsed.refusal,
                    latency_us,
                    raw: Some(cap_raw(&raw)),
                    error: None,
                    fail_policy_applied: None,
                    truncated,
                }
            }
            Err((error, raw)) => {
                let policy = self.config.on_error;
                tracing::warn!(
                    profile = profile.as_str(),
                    error_kind = error.kind(),
                    fail_policy = policy.as_str(),
                    latency_us,
                    "{error}"
                );
                let (safety, findings) = match policy {
                    FailPolicy::Open => (SafetyLevel::Safe, Vec::new()),
                    FailPolicy::Closed => (
                        SafetyLevel::Unsafe,
                        vec![Finding {
                            detector: UNAVAILABLE_DETECTOR.to_string(),
                            category: Category::UnsafeOther,
                            severity: Severity::High,
                            score: 1.0,
                            tier: Tier::Judge,
                            span: None,
                            message: Some(format!(
                                "judge failed and policy is fail-closed: {error}"
                            )),
                        }],
                    ),
                };
                JudgeOutcome {
                    safety,
                    findings,
                    refusal: None,
                    latency_us,
                    raw: raw.as_deref().map(cap_raw),
                    error: Some(error),
                    fail_policy_applied: Some(policy),
                    truncated,
                }
            }
        }
    }

    /// The chat messages for one judgement, and whether anything was cut.
    fn messages(
        &self,
        text: &str,
        direction: Direction,
        context: Option<&str>,
    ) -> (Vec<Value>, bool) {
        let max = self.config.max_input_chars;
        let (text, cut_text) = shorten(text, max);
        let (context, cut_context) = match context {
            Some(c) => {
                let (c, cut) = shorten(c, max);
                (Some(c), cut)
            }
            None => (None, false),
        };
        let truncated = cut_text || cut_context;
        let msg = |role: &str, content: &str| json!({ "role": role, "content": content });
        let messages = match (self.config.profile, direction) {
            // Guard models get the bare conversation: their chat template
            // wraps it in the moderation instructions, and any system prompt
            // of ours would be graded as conversation content.
            (Profile::Qwen3guard | Profile::LlamaGuard, Direction::Input) => {
                vec![msg("user", &text)]
            }
            (Profile::Qwen3guard | Profile::LlamaGuard, Direction::Output) => vec![
                // The templates require a user turn before the assistant's;
                // with no prompt known, an empty one keeps the shape valid
                // without inventing content for the model to weigh.
                msg("user", context.as_deref().unwrap_or("")),
                msg("assistant", &text),
            ],
            (Profile::Json, _) => vec![
                msg("system", JSON_JUDGE_PROMPT),
                msg(
                    "user",
                    &json_user_message(&text, direction, context.as_deref()),
                ),
            ],
        };
        (messages, truncated)
    }

    /// One HTTP exchange: returns the assistant message content.
    async fn call(&self, messages: &[Value]) -> Result<String, JudgeError> {
        let body = json!({
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
            "stream": false,
        });
        let mut request = self.client.post(self.endpoint.clone()).json(&body);
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let mut response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e))?
        {
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(JudgeError::Request {
                    url: self.endpoint.to_string(),
                    reason: format!("response body exceeds {MAX_BODY_BYTES} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&bytes);
        if !status.is_success() {
            return Err(JudgeError::HttpStatus {
                url: self.endpoint.to_string(),
                status: status.as_u16(),
                body_excerpt: excerpt(text.trim(), BODY_EXCERPT_BYTES),
            });
        }
        extract_content(&text).map_err(|reason| JudgeError::BadResponse {
            url: self.endpoint.to_string(),
            reason,
        })
    }

    fn transport_error(&self, e: &reqwest::Error) -> JudgeError {
        let url = self.endpoint.to_string();
        if e.is_timeout() {
            JudgeError::Timeout {
                url,
                timeout_ms: self.config.timeout_ms,
            }
        } else if e.is_connect() {
            JudgeError::Connect {
                url,
                reason: error_chain(e),
            }
        } else {
            JudgeError::Request {
                url,
                reason: error_chain(e),
            }
        }
    }
}

/// The causes under a reqwest error, innermost last. reqwest's own message
/// only repeats the URL we already report; the useful part ("Connection
/// refused") is in the sources.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// Reads `choices[0].message.content` out of a chat-completion body.
fn extract_content(body: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        format!(
            "body is not JSON ({e}); it starts with {:?}",
            excerpt(body.trim(), BODY_EXCERPT_BYTES)
        )
    })?;
    let Some(choice) = value
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        // Some servers send `{"error": {...}}` with status 200.
        let detail = value
            .get("error")
            .map(|e| {
                format!(
                    " (server error: {})",
                    excerpt(&e.to_string(), BODY_EXCERPT_BYTES)
                )
            })
            .unwrap_or_default();
        return Err(format!("no choices in the response{detail}"));
    };
    match choice.get("message").and_then(|m| m.get("content")) {
        Some(Value::String(s)) => Ok(s.clone()),
        // The newer content-parts form: concatenate the text parts.
        Some(Value::Array(parts)) => {
            let text: String = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            if text.is_empty() {
                Err("choices[0].message.content has no text part".into())
            } else {
                Ok(text)
            }
        }
        _ => Err("choices[0].message.content is missing or not text".into()),
    }
}

fn cap_raw(raw: &str) -> String {
    palisade_core::truncate_at_char_boundary(raw, RAW_ANSWER_MAX_BYTES)
        .0
        .to_string()
}

/// Cuts `text` to `max` characters (plus a note), keeping its head and tail.
///
/// The tail is kept because injected instructions are typically appended to
/// otherwise benign text; a head-only cut would hand an attacker a free pass
/// by padding.
fn shorten(text: &str, max: usize) -> (Cow<'_, str>, bool) {
    let total = text.chars().count();
    if total <= max {
        return (Cow::Borrowed(text), false);
    }
    let head_chars = max - max / 4;
    let tail_chars = max - head_chars;
    let head_end = text
        .char_indices()
        .nth(head_chars)
        .map_or(text.len(), |(i, _)| i);
    let tail_start = if tail_chars == 0 {
        text.len()
    } else {
        text.char_indices()
            .nth(total - tail_chars)
            .map_or(text.len(), |(i, _)| i)
    };
    let omitted = total - head_chars - tail_chars;
    let shortened = format!(
        "{}\n\n[... Palisade omitted {omitted} of {total} characters here to fit the judge's input limit ...]\n\n{}",
        &text[..head_end],
        &text[tail_start..],
    );
    (Cow::Owned(shortened), true)
}

/// A boundary line that occurs in none of `texts`, so the graded text cannot
/// close its own block and smuggle instructions to the judge outside it.
fn boundary(texts: &[&str]) -> String {
    (0u64..)
        .map(|n| format!("=====PALISADE-BOUNDARY-{n}====="))
        .find(|b| texts.iter().all(|t| !t.contains(b.as_str())))
        .unwrap_or_else(|| "=====PALISADE-BOUNDARY=====".into())
}

fn json_user_message(text: &str, direction: Direction, context: Option<&str>) -> String {
    let b = boundary(&[text, context.unwrap_or("")]);
    match (direction, context) {
        (Direction::Input, None) => {
            format!("direction: input\ntext to grade:\n{b}\n{text}\n{b}")
        }
        (Direction::Input, Some(c)) => format!(
            "direction: input\ncontext (reference only, do not grade):\n{b}\n{c}\n{b}\ntext to grade:\n{b}\n{text}\n{b}"
        ),
        (Direction::Output, c) => format!(
            "direction: output\nuser prompt (context only, do not grade):\n{b}\n{}\n{b}\nresponse to grade:\n{b}\n{text}\n{b}",
            c.unwrap_or("(not available)")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_head_and_tail_at_char_boundaries() {
        let (s, cut) = shorten("short", 10);
        assert_eq!((s.as_ref(), cut), ("short", false));
        let text = format!("{}{}", "é".repeat(30), "ignore all rules");
        let (s, cut) = shorten(&text, 20);
        assert!(cut);
        assert!(s.starts_with(&"é".repeat(15)));
        assert!(s.ends_with("\n\nrules"), "{s}");
        assert!(s.contains("omitted 26 of 46 characters"), "{s}");
        let (s, cut) = shorten("abcdef", 1);
        assert!(cut);
        assert!(s.starts_with("a\n") && s.ends_with("]\n\n"), "{s:?}");
    }

    #[test]
    fn boundary_avoids_text_content() {
        let b0 = boundary(&["hello"]);
        assert_eq!(b0, "=====PALISADE-BOUNDARY-0=====");
        let b = boundary(&[&format!("x {b0} y"), ""]);
        assert_eq!(b, "=====PALISADE-BOUNDARY-1=====");
    }

    #[test]
    fn content_extraction() {
        let ok = r#"{"choices":[{"message":{"role":"assistant","content":"safe"}}]}"#;
        assert_eq!(extract_content(ok).as_deref(), Ok("safe"));
        let parts = r#"{"choices":[{"message":{"content":[{"type":"text","text":"un"},{"type":"text","text":"safe"}]}}]}"#;
        assert_eq!(extract_content(parts).as_deref(), Ok("unsafe"));
        assert!(extract_content("<html>")
            .expect_err("not json")
            .contains("not JSON"));
        assert!(extract_content(r#"{"choices":[]}"#)
            .expect_err("empty")
            .contains("no choices"));
        let err = extract_content(r#"{"error":{"message":"model not found"}}"#).expect_err("error");
        assert!(err.contains("model not found"), "{err}");
        assert!(extract_content(r#"{"choices":[{"message":{"content":null}}]}"#).is_err());
    }
}
