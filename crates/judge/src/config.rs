use crate::error::JudgeError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which answer grammar (and so which prompt layout) the judge model speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Qwen3Guard-Gen: `Safety: …`, `Categories: …`, `Refusal: …` lines.
    Qwen3guard,
    /// Llama Guard 3/4: `safe`, or `unsafe` followed by `S1,S10` codes.
    LlamaGuard,
    /// Any instruction-following model, told by a system prompt to answer
    /// with a JSON object in Palisade's own category names.
    Json,
}

impl Profile {
    /// The stable snake_case name, as written in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Qwen3guard => "qwen3guard",
            Profile::LlamaGuard => "llama_guard",
            Profile::Json => "json",
        }
    }

    /// The `Finding::detector` of findings this profile produces.
    pub fn detector(self) -> &'static str {
        match self {
            Profile::Qwen3guard => "judge.qwen3guard",
            Profile::LlamaGuard => "judge.llama_guard",
            Profile::Json => "judge.json",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the verdict is when the judge cannot give one (timeout, outage,
/// unparsable answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailPolicy {
    /// Treat the text as safe: availability over protection. The default,
    /// because tiers 1 and 2 have already run and a judge outage should not
    /// take the application down with it.
    #[default]
    Open,
    /// Treat the text as unsafe: protection over availability.
    Closed,
}

impl FailPolicy {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FailPolicy::Open => "open",
            FailPolicy::Closed => "closed",
        }
    }
}

impl fmt::Display for FailPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to reach and interpret the judge model. Usually read from the
/// `judge:` section of a policy file.
///
/// Unknown fields are rejected so that a misspelt `timeout_ms` in a policy
/// fails loudly instead of silently running with the default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgeConfig {
    /// Root of an OpenAI-compatible API, e.g. `http://127.0.0.1:8000/v1`;
    /// the judge POSTs to `{base_url}/chat/completions`.
    pub base_url: String,
    /// The `model` field of the request (the name the server serves).
    pub model: String,
    /// Name of the environment variable that holds the API key, sent as
    /// `Authorization: Bearer …`. The key itself never appears in a policy
    /// file, a log line or an error.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Budget for the whole HTTP exchange, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Answer grammar of the model.
    pub profile: Profile,
    /// Verdict when the judge fails.
    #[serde(default)]
    pub on_error: FailPolicy,
    /// Longest text (and separately, longest context) sent, in characters;
    /// longer text is cut in the middle with a note saying so.
    #[serde(default = "default_max_input_chars")]
    pub max_input_chars: usize,
    /// Sampling temperature; 0 keeps verdicts reproducible.
    #[serde(default)]
    pub temperature: f64,
    /// Cap on the answer length; guard answers are a few tokens.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
}

fn default_timeout_ms() -> u64 {
    3000
}

fn default_max_input_chars() -> usize {
    16_000
}

fn default_max_tokens() -> u32 {
    128
}

/// Upper bound on `timeout_ms`: a judge slower than this stalls the caller's
/// request far past any sensible latency budget, so it is surely a typo
/// (seconds written as milliseconds the other way round).
const MAX_TIMEOUT_MS: u64 = 600_000;

impl JudgeConfig {
    /// A configuration with every optional field at its default.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>, profile: Profile) -> Self {
        JudgeConfig {
            base_url: base_url.into(),
            model: model.into(),
            api_key_env: None,
            timeout_ms: default_timeout_ms(),
            profile,
            on_error: FailPolicy::default(),
            max_input_chars: default_max_input_chars(),
            temperature: 0.0,
            max_tokens: default_max_tokens(),
        }
    }

    /// Checks everything that can be checked without network access and
    /// returns the chat-completions endpoint.
    pub(crate) fn validate(&self) -> Result<reqwest::Url, JudgeError> {
        let cfg = |field, reason: String| JudgeError::Config { field, reason };
        let trimmed = self.base_url.trim().trim_end_matches('/');
        if trimmed.is_empty() {
            return Err(cfg(
                "base_url",
                "is empty (expected an OpenAI-compatible API root such as http://127.0.0.1:8000/v1)"
                    .into(),
            ));
        }
        // Errors quote the URL so the operator sees what was read, except
        // when it may hold credentials.
        let shown = if trimmed.contains('@') {
            "(URL with credentials, not shown)"
        } else {
            trimmed
        };
        if !trimmed.contains("://") {
            return Err(cfg(
                "base_url",
                format!("`{shown}` has no scheme; write it as http://… or https://…"),
            ));
        }
        let base = reqwest::Url::parse(trimmed)
            .map_err(|e| cfg("base_url", format!("`{shown}` is not a valid URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(cfg(
                "base_url",
                format!(
                    "`{trimmed}` has scheme `{}`, expected http or https",
                    base.scheme()
                ),
            ));
        }
        match base.host_str() {
            Some(host) if !host.is_empty() => {}
            _ => return Err(cfg("base_url", format!("`{trimmed}` has no host"))),
        }
        // The URL appears in every error message and log line; credentials
        // in it would leak there.
        if !base.username().is_empty() || base.password().is_some() {
            return Err(cfg(
                "base_url",
                "must not contain credentials; put the key in the environment variable named by api_key_env"
                    .into(),
            ));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(cfg(
                "base_url",
                format!("`{trimmed}` must not have a query or fragment (it is the API root, e.g. http://127.0.0.1:8000/v1)"),
            ));
        }
        if base.path().ends_with("/chat/completions") {
            return Err(cfg(
                "base_url",
                format!("`{trimmed}` already ends in /chat/completions; give the API root (drop that suffix)"),
            ));
        }
        if self.model.trim().is_empty() {
            return Err(cfg("model", "is empty".into()));
        }
        if let Some(var) = &self.api_key_env {
            if var.trim().is_empty() || var.contains('=') || var.contains('\0') {
                return Err(cfg(
                    "api_key_env",
                    format!("{var:?} is not a valid environment variable name"),
                ));
            }
        }
        if self.timeout_ms == 0 || self.timeout_ms > MAX_TIMEOUT_MS {
            return Err(cfg(
                "timeout_ms",
                format!(
                    "is {}, expected 1..={MAX_TIMEOUT_MS} milliseconds",
                    self.timeout_ms
                ),
            ));
        }
        if self.max_input_chars == 0 {
            return Err(cfg("max_input_chars", "must be at least 1".into()));
        }
        if !(0.0..=2.0).contains(&self.temperature) {
            return Err(cfg(
                "temperature",
                format!("is {}, expected 0..=2", self.temperature),
            ));
        }
        if self.max_tokens == 0 {
            return Err(cfg("max_tokens", "must be at least 1".into()));
        }
        let endpoint = format!("{trimmed}/chat/completions");
        reqwest::Url::parse(&endpoint)
            .map_err(|e| cfg("base_url", format!("cannot append /chat/completions: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_with_defaults() {
        let cfg: JudgeConfig = serde_yaml::from_str(
            "base_url: http://127.0.0.1:8000/v1\nmodel: Qwen/Qwen3Guard-Gen-4B\nprofile: qwen3guard\n",
        )
        .expect("yaml");
        assert_eq!(
            cfg,
            JudgeConfig::new(
                "http://127.0.0.1:8000/v1",
                "Qwen/Qwen3Guard-Gen-4B",
                Profile::Qwen3guard
            )
        );
        assert_eq!(cfg.timeout_ms, 3000);
        assert_eq!(cfg.on_error, FailPolicy::Open);
        assert_eq!(cfg.max_input_chars, 16_000);
        assert_eq!(cfg.temperature, 0.0);
        assert_eq!(cfg.max_tokens, 128);
        assert_eq!(
            cfg.validate().expect("valid").as_str(),
            "http://127.0.0.1:8000/v1/chat/completions"
        );
    }

    #[test]
    fn json_with_every_field() {
        let cfg: JudgeConfig = serde_json::from_str(
            r#"{"base_url":"https://judge.example/v1/","model":"m","api_key_env":"JUDGE_KEY",
                "timeout_ms":800,"profile":"llama_guard","on_error":"closed",
                "max_input_chars":4000,"temperature":0.2,"max_tokens":16}"#,
        )
        .expect("json");
        assert_eq!(cfg.profile, Profile::LlamaGuard);
        assert_eq!(cfg.on_error, FailPolicy::Closed);
        assert_eq!(cfg.api_key_env.as_deref(), Some("JUDGE_KEY"));
        assert_eq!(
            cfg.validate().expect("valid").as_str(),
            "https://judge.example/v1/chat/completions"
        );
    }

    #[test]
    fn typos_and_unknown_profiles_are_rejected() {
        let err = serde_yaml::from_str::<JudgeConfig>(
            "base_url: http://h/v1\nmodel: m\nprofile: json\ntimeout: 5\n",
        )
        .expect_err("unknown field");
        assert!(err.to_string().contains("timeout"), "{err}");
        let err = serde_yaml::from_str::<JudgeConfig>(
            "base_url: http://h/v1\nmodel: m\nprofile: shieldgemma\n",
        )
        .expect_err("unknown profile");
        assert!(err.to_string().contains("shieldgemma"), "{err}");
    }

    #[test]
    fn validation_names_the_field() {
        let base = JudgeConfig::new("http://127.0.0.1:8000/v1", "m", Profile::Json);
        let cases: Vec<(JudgeConfig, &str, &str)> = vec![
            (
                JudgeConfig {
                    base_url: "".into(),
                    ..base.clone()
                },
                "base_url",
                "empty",
            ),
            (
                JudgeConfig {
                    base_url: "127.0.0.1:8000".into(),
                    ..base.clone()
                },
                "base_url",
                "no scheme",
            ),
            (
                JudgeConfig {
                    base_url: "http://u:pw@[x/v1".into(),
                    ..base.clone()
                },
                "base_url",
                "not shown",
            ),
            (
                JudgeConfig {
                    base_url: "http://exa mple/v1".into(),
                    ..base.clone()
                },
                "base_url",
                "not a valid URL",
            ),
            (
                JudgeConfig {
                    base_url: "ftp://h/v1".into(),
                    ..base.clone()
                },
                "base_url",
                "scheme `ftp`",
            ),
            (
                JudgeConfig {
                    base_url: "http://u:pw@h/v1".into(),
                    ..base.clone()
                },
                "base_url",
                "credentials",
            ),
            (
                JudgeConfig {
                    base_url: "http://h/v1?x=1".into(),
                    ..base.clone()
                },
                "base_url",
                "query",
            ),
            (
                JudgeConfig {
                    base_url: "http://h/v1/chat/completions".into(),
                    ..base.clone()
                },
                "base_url",
                "API root",
            ),
            (
                JudgeConfig {
                    model: " ".into(),
                    ..base.clone()
                },
                "model",
                "empty",
            ),
            (
                JudgeConfig {
                    api_key_env: Some("".into()),
                    ..base.clone()
                },
                "api_key_env",
                "not a valid",
            ),
            (
                JudgeConfig {
                    timeout_ms: 0,
                    ..base.clone()
                },
                "timeout_ms",
                "1..=600000",
            ),
            (
                JudgeConfig {
                    max_input_chars: 0,
                    ..base.clone()
                },
                "max_input_chars",
                "at least 1",
            ),
            (
                JudgeConfig {
                    temperature: f64::NAN,
                    ..base.clone()
                },
                "temperature",
                "0..=2",
            ),
            (
                JudgeConfig {
                    max_tokens: 0,
                    ..base.clone()
                },
                "max_tokens",
                "at least 1",
            ),
        ];
        for (cfg, field, needle) in cases {
            match cfg.validate() {
                Err(e @ JudgeError::Config { field: f, .. }) => {
                    assert_eq!(f, field, "{e}");
                    let msg = e.to_string();
                    assert!(msg.contains(needle), "{msg} lacks {needle:?}");
                    assert!(!msg.contains("pw@"), "credentials echoed: {msg}");
                }
                other => panic!(
                    "{}: expected Config error on {field}, got {other:?}",
                    cfg.base_url
                ),
            }
        }
    }
}
