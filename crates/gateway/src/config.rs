//! `palisade.toml`: everything the gateway can be told, with defaults that
//! need no file at all. Loading validates the whole file and every error
//! names the file, the key and the problem.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// TOML syntax, an unknown key or a wrongly typed value.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// What the parser said, with line and column.
        message: String,
    },
    /// A value that parses but cannot work.
    #[error("{path}: {key}: {problem}")]
    Invalid {
        /// The file (or `command line`).
        path: String,
        /// The dotted key.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// The wire protocol an upstream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// OpenAI-compatible (`Authorization: Bearer`).
    #[default]
    Openai,
    /// Anthropic (`x-api-key`, `anthropic-version`).
    Anthropic,
}

/// One upstream provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// A name for events and metrics.
    pub name: String,
    /// Base URL without the `/v1` suffix, e.g. `https://api.openai.com`.
    pub url: String,
    /// How to present the real key.
    #[serde(default)]
    pub protocol: Protocol,
    /// Environment variable holding the real API key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// File holding the real API key (first line).
    #[serde(default)]
    pub api_key_file: Option<PathBuf>,
    /// Models routed here (globs such as `gpt-*`); empty means "any model
    /// no other upstream claims".
    #[serde(default)]
    pub models: Vec<String>,
}

/// What the gateway does with the guard's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Block and mask as the guard policy says.
    #[default]
    Enforce,
    /// Forward everything, with `x-palisade-*` headers saying what was found.
    Annotate,
    /// Forward everything unchanged; record only.
    Monitor,
}

/// When the request's inspection runs relative to the upstream call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InputCheck {
    /// Check first, forward only what passed: a blocked prompt never
    /// reaches the provider (which may itself flag an organisation that
    /// sends it jailbreaks).
    #[default]
    Before,
    /// Forward at once and check while the upstream works; a block cancels
    /// the upstream call and answers the client as before, so the check
    /// costs no latency. A prompt with anything the policy masks is still
    /// checked first (masking must happen before sending). The cost: a
    /// blocked prompt did reach the provider, and may be billed.
    Parallel,
}

/// A named gateway policy: a guard policy plus what to do with it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// A guard policy YAML (thresholds, actions, allowlist, leak checks,
    /// judge); the built-in defaults when absent.
    #[serde(default)]
    pub guard: Option<PathBuf>,
    /// Enforce, annotate or monitor.
    #[serde(default)]
    pub mode: Mode,
    /// Inspect requests.
    #[serde(default = "yes")]
    pub inspect_input: bool,
    /// Inspect answers.
    #[serde(default = "yes")]
    pub inspect_output: bool,
    /// `before` (default) or `parallel` with the upstream call.
    #[serde(default)]
    pub input_check: InputCheck,
    /// Put masked spans back into the answer (the model only ever saw the
    /// placeholders or tokens): works with `placeholder` and `tokenize`.
    #[serde(default)]
    pub restore_masked: bool,
    /// How masked spans are replaced.
    #[serde(default)]
    pub mask: MaskSpec,
}

/// How a policy replaces masked spans.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MaskSpec {
    /// `placeholder` (`[PALISADE_SECRET_1]`, the default), `redact`
    /// (`[SECRET]`), `partial`, `hash` (HMAC), `tokenize` (AES-GCM,
    /// reversible) or `fpe` (format-preserving, FF1).
    #[serde(default = "placeholder")]
    pub method: String,
    /// For `partial`: characters kept at the start.
    #[serde(default)]
    pub keep_first: usize,
    /// For `partial`: characters kept at the end.
    #[serde(default = "four")]
    pub keep_last: usize,
    /// Environment variable holding the key (`hash`, `tokenize`, `fpe`).
    #[serde(default)]
    pub key_env: Option<String>,
    /// File holding the key.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
}

impl Default for MaskSpec {
    fn default() -> Self {
        Self {
            method: placeholder(),
            keep_first: 0,
            keep_last: four(),
            key_env: None,
            key_file: None,
        }
    }
}

fn placeholder() -> String {
    "placeholder".into()
}
fn four() -> usize {
    4
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            guard: None,
            mode: Mode::Enforce,
            inspect_input: true,
            inspect_output: true,
            input_check: InputCheck::Before,
            restore_masked: false,
            mask: MaskSpec::default(),
        }
    }
}

fn yes() -> bool {
    true
}

/// Request limits and timeouts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest request body accepted (413 above).
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
    /// Largest non-streamed upstream answer read for inspection (502 above).
    #[serde(default = "default_answer")]
    pub max_answer_bytes: usize,
    /// Connecting to an upstream.
    #[serde(default = "default_connect_ms")]
    pub connect_timeout_ms: u64,
    /// Waiting for the upstream's response head, and for each body chunk.
    #[serde(default = "default_read_ms")]
    pub read_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: default_body(),
            max_answer_bytes: default_answer(),
            connect_timeout_ms: default_connect_ms(),
            read_timeout_ms: default_read_ms(),
        }
    }
}

fn default_body() -> usize {
    4 << 20
}
fn default_answer() -> usize {
    16 << 20
}
fn default_connect_ms() -> u64 {
    5_000
}
fn default_read_ms() -> u64 {
    120_000
}

impl Limits {
    /// Connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
    /// Read timeout.
    pub fn read_timeout(&self) -> Duration {
        Duration::from_millis(self.read_timeout_ms)
    }
}

/// How streamed answers are inspected.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    /// The sliding window the guard reads, in bytes of answer text.
    #[serde(default = "default_window")]
    pub window_bytes: usize,
    /// Check again after this much new text (chunks wait at most this
    /// long before they are forwarded).
    #[serde(default = "default_check_every")]
    pub check_every_bytes: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            window_bytes: default_window(),
            check_every_bytes: default_check_every(),
        }
    }
}

fn default_window() -> usize {
    1024
}
fn default_check_every() -> usize {
    64
}

/// `[app]`: a non-LLM application proxied for every other route.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Its base URL, e.g. `http://127.0.0.1:3000`; none = 404 for other
    /// routes.
    #[serde(default)]
    pub upstream: Option<String>,
}

/// What the WAF does with a request it scores over the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WafMode {
    /// Refuse it with 403.
    Block,
    /// Let it through and record what matched.
    Monitor,
    /// No WAF.
    Off,
}

/// `[waf]`: the web application firewall (`palisade-waf`). Message
/// contents and tool definitions of LLM requests go to the guard, not to
/// the SQL/XSS/command detectors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WafConfig {
    /// `block` (default), `monitor` or `off`.
    #[serde(default = "default_waf_mode")]
    pub mode: WafMode,
    /// CRS-style paranoia level 1–4.
    #[serde(default = "default_paranoia")]
    pub paranoia: u8,
    /// Inbound anomaly score that blocks.
    #[serde(default = "default_waf_threshold")]
    pub threshold: u32,
    /// Extra WAF rule files (YAML).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Per-route exclusions: `{path, targets, rule_ids, categories}`.
    #[serde(default)]
    pub exclusions: Vec<palisade_waf::Exclusion>,
}

fn default_waf_mode() -> WafMode {
    WafMode::Block
}
fn default_paranoia() -> u8 {
    1
}
fn default_waf_threshold() -> u32 {
    5
}

impl Default for WafConfig {
    fn default() -> Self {
        Self {
            mode: default_waf_mode(),
            paranoia: default_paranoia(),
            threshold: default_waf_threshold(),
            rules: Vec::new(),
            exclusions: Vec::new(),
        }
    }
}

/// The event log.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsConfig {
    /// Queue capacity between handlers and the writer.
    #[serde(default = "default_capacity")]
    pub queue_capacity: usize,
    /// What to do when the queue is full: `drop`, `block` or `reject`.
    #[serde(default = "default_on_full")]
    pub on_full: palisade_store::OnFull,
    /// How long `block` waits for room.
    #[serde(default = "default_block_ms")]
    pub block_timeout_ms: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            queue_capacity: default_capacity(),
            on_full: default_on_full(),
            block_timeout_ms: default_block_ms(),
        }
    }
}

fn default_capacity() -> usize {
    10_000
}
fn default_on_full() -> palisade_store::OnFull {
    palisade_store::OnFull::Drop
}
fn default_block_ms() -> u64 {
    100
}

/// Who may call the gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Require a gateway key on proxy and detection routes. Turn off only
    /// behind another authenticating proxy.
    #[serde(default = "yes")]
    pub require_key: bool,
    /// Environment variable holding the admin token (events, keys).
    #[serde(default = "default_admin_env")]
    pub admin_token_env: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            require_key: true,
            admin_token_env: default_admin_env(),
        }
    }
}

fn default_admin_env() -> String {
    "PALISADE_ADMIN_TOKEN".into()
}

/// A route override: which policy applies to a path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// The path, e.g. `/v1/embeddings`.
    pub path: String,
    /// The policy name.
    pub policy: String,
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The SQLite event and key store.
    #[serde(default = "default_storage")]
    pub storage: PathBuf,
    /// Upstreams, in routing order.
    #[serde(default)]
    pub upstreams: Vec<UpstreamConfig>,
    /// Named policies; `default` applies unless a route or key says
    /// otherwise.
    #[serde(default)]
    pub policies: BTreeMap<String, PolicyConfig>,
    /// Per-path policy overrides (a key's own policy wins over these).
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// Streaming inspection.
    #[serde(default)]
    pub stream: StreamConfig,
    /// The event log.
    #[serde(default)]
    pub events: EventsConfig,
    /// Authentication.
    #[serde(default)]
    pub auth: AuthConfig,
    /// The web application firewall in front of every route.
    #[serde(default)]
    pub waf: WafConfig,
    /// Request, token and cost limits per key and client address.
    #[serde(default)]
    pub rate_limits: crate::limits::RateLimitConfig,
    /// Any other application behind the gateway: requests to routes that
    /// are not LLM APIs go here (through the WAF, blocks and discovery)
    /// instead of getting 404.
    #[serde(default)]
    pub app: AppConfig,
    /// AI-bot management.
    #[serde(default)]
    pub bots: crate::bots::BotsConfig,
    /// Where the file came from (for error messages).
    #[serde(skip)]
    pub origin: String,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_storage() -> PathBuf {
    PathBuf::from("palisade.db")
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            storage: default_storage(),
            waf: WafConfig::default(),
            rate_limits: crate::limits::RateLimitConfig::default(),
            app: AppConfig::default(),
            bots: crate::bots::BotsConfig::default(),
            upstreams: Vec::new(),
            policies: BTreeMap::new(),
            routes: Vec::new(),
            limits: Limits::default(),
            stream: StreamConfig::default(),
            events: EventsConfig::default(),
            auth: AuthConfig::default(),
            origin: "defaults".into(),
        }
    }
}

impl Config {
    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut cfg = Self::parse(&text, &path.display().to_string())?;
        // Relative paths inside the file are relative to the file.
        if let Some(dir) = path.parent() {
            for p in cfg.policies.values_mut() {
                if let Some(g) = &p.guard {
                    if g.is_relative() {
                        p.guard = Some(dir.join(g));
                    }
                }
            }
            for u in &mut cfg.upstreams {
                if let Some(f) = &u.api_key_file {
                    if f.is_relative() {
                        u.api_key_file = Some(dir.join(f));
                    }
                }
            }
        }
        Ok(cfg)
    }

    /// Parses and validates text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: origin.to_string(),
            message: e.to_string().trim_end().replace('\n', " | "),
        })?;
        cfg.origin = origin.to_string();
        cfg.validate()?;
        Ok(cfg)
    }

    fn invalid(&self, key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.origin.clone(),
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// Checks values that parse but cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(u) = &self.app.upstream {
            match url::Url::parse(u) {
                Ok(p) if matches!(p.scheme(), "http" | "https") => {}
                _ => {
                    return Err(self.invalid("app.upstream", format!("{u:?} is not an http(s) URL")))
                }
            }
        }
        if !(1..=4).contains(&self.waf.paranoia) {
            return Err(self.invalid(
                "waf.paranoia",
                format!("{} is not a paranoia level (1–4)", self.waf.paranoia),
            ));
        }
        if self.waf.threshold == 0 {
            return Err(self.invalid("waf.threshold", "must be at least 1"));
        }
        let mut names = std::collections::HashSet::new();
        for (i, u) in self.upstreams.iter().enumerate() {
            let key = |k: &str| format!("upstreams[{i}].{k}");
            match url::Url::parse(&u.url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {}
                Ok(parsed) => {
                    return Err(self.invalid(
                        key("url"),
                        format!("scheme {:?} is not http or https", parsed.scheme()),
                    ))
                }
                Err(e) => return Err(self.invalid(key("url"), format!("{:?}: {e}", u.url))),
            }
            if !names.insert(u.name.as_str()) {
                return Err(self.invalid(key("name"), format!("duplicate name {:?}", u.name)));
            }
            for (j, m) in u.models.iter().enumerate() {
                if let Err(e) = globset::Glob::new(m) {
                    return Err(self.invalid(format!("upstreams[{i}].models[{j}]"), e.to_string()));
                }
            }
            if u.api_key_env.is_some() && u.api_key_file.is_some() {
                return Err(self.invalid(
                    key("api_key_env"),
                    "give api_key_env or api_key_file, not both",
                ));
            }
        }
        for (i, r) in self.routes.iter().enumerate() {
            if !r.path.starts_with('/') {
                return Err(self.invalid(format!("routes[{i}].path"), "must start with /"));
            }
            if !self.policies.contains_key(&r.policy) && r.policy != "default" {
                return Err(self.invalid(
                    format!("routes[{i}].policy"),
                    format!("no policy named {:?} in [policies]", r.policy),
                ));
            }
        }
        for (name, p) in &self.policies {
            let m = p.mask.method.as_str();
            if m != "placeholder" && !palisade_mask::Method::NAMES.contains(&m) {
                return Err(self.invalid(
                    format!("policies.{name}.mask.method"),
                    format!(
                        "{m:?} is not placeholder or one of {}",
                        palisade_mask::Method::NAMES.join(", ")
                    ),
                ));
            }
        }
        if self.limits.max_body_bytes == 0 {
            return Err(self.invalid("limits.max_body_bytes", "must be positive"));
        }
        if self.limits.connect_timeout_ms == 0 || self.limits.read_timeout_ms == 0 {
            return Err(self.invalid("limits", "timeouts must be positive"));
        }
        if self.stream.window_bytes < 64 {
            return Err(self.invalid("stream.window_bytes", "must be at least 64"));
        }
        if self.stream.check_every_bytes == 0
            || self.stream.check_every_bytes > self.stream.window_bytes
        {
            return Err(self.invalid(
                "stream.check_every_bytes",
                "must be positive and at most stream.window_bytes",
            ));
        }
        if self.events.queue_capacity == 0 {
            return Err(self.invalid("events.queue_capacity", "must be positive"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::parse("", "t.toml").unwrap();
        assert_eq!(c.listen.port(), 8080);
        assert!(c.auth.require_key);
        assert_eq!(c.stream.window_bytes, 1024);
    }

    #[test]
    fn full_file_parses() {
        let c = Config::parse(
            r#"
listen = "127.0.0.1:9000"
storage = "/tmp/x.db"
[[upstreams]]
name = "openai"
url = "https://api.openai.com"
api_key_env = "OPENAI_API_KEY"
models = ["gpt-*", "o*"]
[[upstreams]]
name = "claude"
url = "https://api.anthropic.com"
protocol = "anthropic"
[policies.default]
mode = "enforce"
[policies.lenient]
mode = "monitor"
inspect_output = false
[[routes]]
path = "/v1/embeddings"
policy = "lenient"
[events]
on_full = "reject"
"#,
            "p.toml",
        )
        .unwrap();
        assert_eq!(c.upstreams.len(), 2);
        assert_eq!(c.upstreams[1].protocol, Protocol::Anthropic);
        assert_eq!(c.policies["lenient"].mode, Mode::Monitor);
        assert_eq!(c.events.on_full, palisade_store::OnFull::Reject);
    }

    #[test]
    fn errors_name_file_key_and_problem() {
        let e = Config::parse("listen = 5", "g.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("g.toml:") && e.contains("listen"), "{e}");
        let e = Config::parse("bogus = 1", "g.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bogus"), "{e}");
        let e = Config::parse("[[upstreams]]\nname='a'\nurl='ftp://x'", "g.toml")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "g.toml: upstreams[0].url: scheme \"ftp\" is not http or https"
        );
        let e = Config::parse("[[routes]]\npath='/v1/x'\npolicy='nope'", "g.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("routes[0].policy") && e.contains("nope"), "{e}");
        let e = Config::parse("[stream]\nwindow_bytes = 10", "g.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("stream.window_bytes"), "{e}");
    }
}
