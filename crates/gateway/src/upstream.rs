//! Upstreams: routing a request to one by model name, and the header
//! rules for forwarding (RFC 9110 hop-by-hop fields dropped, the gateway
//! key replaced by the upstream's real key, encodings the guard cannot
//! read refused).

use crate::config::{ConfigError, Protocol, UpstreamConfig};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use globset::{Glob, GlobSet, GlobSetBuilder};

/// One upstream, ready to use.
pub struct Upstream {
    /// Its name.
    pub name: String,
    /// Base URL without a trailing slash.
    pub base: String,
    /// How the real key is presented.
    pub protocol: Protocol,
    /// The real key (never logged: `Debug` is not derived).
    key: Option<HeaderValue>,
    models: GlobSet,
    claims_models: bool,
}

/// All upstreams, in routing order.
pub struct Upstreams {
    list: Vec<Upstream>,
}

impl Upstreams {
    /// Builds them, reading keys from the environment or files.
    pub fn new(cfgs: &[UpstreamConfig], origin: &str) -> Result<Self, ConfigError> {
        let invalid = |i: usize, key: &str, problem: String| ConfigError::Invalid {
            path: origin.to_string(),
            key: format!("upstreams[{i}].{key}"),
            problem,
        };
        let mut list = Vec::new();
        for (i, c) in cfgs.iter().enumerate() {
            let secret = if let Some(var) = &c.api_key_env {
                Some(std::env::var(var).map_err(|_| {
                    invalid(
                        i,
                        "api_key_env",
                        format!("environment variable {var} is not set"),
                    )
                })?)
            } else if let Some(file) = &c.api_key_file {
                let text = std::fs::read_to_string(file).map_err(|e| {
                    invalid(
                        i,
                        "api_key_file",
                        format!("cannot read {}: {e}", file.display()),
                    )
                })?;
                Some(text.lines().next().unwrap_or("").trim().to_string())
            } else {
                None
            };
            let key = match secret {
                Some(s) if s.is_empty() => {
                    return Err(invalid(i, "api_key_env", "the key is empty".into()))
                }
                Some(s) => {
                    let v = match c.protocol {
                        Protocol::Openai => format!("Bearer {s}"),
                        Protocol::Anthropic => s,
                    };
                    let mut hv = HeaderValue::from_str(&v).map_err(|_| {
                        invalid(
                            i,
                            "api_key_env",
                            "the key has characters a header cannot carry".into(),
                        )
                    })?;
                    hv.set_sensitive(true);
                    Some(hv)
                }
                None => None,
            };
            let mut b = GlobSetBuilder::new();
            for m in &c.models {
                b.add(Glob::new(m).map_err(|e| invalid(i, "models", e.to_string()))?);
            }
            list.push(Upstream {
                name: c.name.clone(),
                base: c.url.trim_end_matches('/').to_string(),
                protocol: c.protocol,
                key,
                models: b.build().map_err(|e| invalid(i, "models", e.to_string()))?,
                claims_models: !c.models.is_empty(),
            });
        }
        Ok(Self { list })
    }

    /// Whether any upstream is configured.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The upstream for a model on a route of the given protocol: the
    /// first whose model globs match, else the first of that protocol that
    /// claims no models, else the first of all.
    pub fn route(&self, model: Option<&str>, protocol: Protocol) -> Option<&Upstream> {
        if let Some(m) = model {
            if let Some(u) = self
                .list
                .iter()
                .find(|u| u.claims_models && u.models.is_match(m))
            {
                return Some(u);
            }
        }
        self.list
            .iter()
            .find(|u| !u.claims_models && u.protocol == protocol)
            .or_else(|| self.list.iter().find(|u| !u.claims_models))
            .or_else(|| self.list.first())
    }
}

/// Hop-by-hop fields (RFC 9110 §7.6.1) and fields the gateway sets itself.
const DROP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Removes hop-by-hop fields, including those the `Connection` field
/// names.
pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    let named: Vec<HeaderName> = h
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in named {
        h.remove(n);
    }
    for n in DROP {
        h.remove(*n);
    }
}

impl Upstream {
    /// The headers to send upstream: the client's, minus hop-by-hop
    /// fields and its gateway key, plus the real key; identity encoding
    /// so the answer can be inspected.
    pub fn request_headers(&self, client: &HeaderMap) -> HeaderMap {
        let mut h = client.clone();
        strip_hop_by_hop(&mut h);
        h.remove(http::header::AUTHORIZATION);
        h.remove("x-api-key");
        h.insert(
            http::header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        if let Some(k) = &self.key {
            match self.protocol {
                Protocol::Openai => h.insert(http::header::AUTHORIZATION, k.clone()),
                Protocol::Anthropic => h.insert("x-api-key", k.clone()),
            };
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(name: &str, models: &[&str], protocol: Protocol) -> UpstreamConfig {
        UpstreamConfig {
            name: name.into(),
            url: format!("http://{name}.invalid/"),
            protocol,
            api_key_env: None,
            api_key_file: None,
            models: models.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn routes_by_model_then_protocol() {
        let u = Upstreams::new(
            &[
                up("gpt", &["gpt-*"], Protocol::Openai),
                up("any", &[], Protocol::Openai),
                up("claude", &[], Protocol::Anthropic),
            ],
            "t",
        )
        .unwrap();
        assert_eq!(
            u.route(Some("gpt-4o"), Protocol::Openai).unwrap().name,
            "gpt"
        );
        assert_eq!(
            u.route(Some("llama"), Protocol::Openai).unwrap().name,
            "any"
        );
        assert_eq!(
            u.route(Some("claude-3"), Protocol::Anthropic).unwrap().name,
            "claude"
        );
        assert_eq!(
            u.route(None, Protocol::Openai).unwrap().base,
            "http://any.invalid"
        );
    }

    #[test]
    fn key_is_replaced_and_hop_by_hop_dropped() {
        std::env::set_var("PALISADE_TEST_UPSTREAM_KEY", "sk-real");
        let mut c = up("o", &[], Protocol::Openai);
        c.api_key_env = Some("PALISADE_TEST_UPSTREAM_KEY".into());
        let u = Upstreams::new(&[c], "t").unwrap();
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer pk_gateway".parse().unwrap());
        h.insert("connection", "keep-alive, x-secret-hop".parse().unwrap());
        h.insert("x-secret-hop", "1".parse().unwrap());
        h.insert("te", "trailers".parse().unwrap());
        h.insert("openai-organization", "org".parse().unwrap());
        h.insert("accept-encoding", "gzip".parse().unwrap());
        let out = u.route(None, Protocol::Openai).unwrap().request_headers(&h);
        assert_eq!(out["authorization"], "Bearer sk-real");
        assert!(out.get("x-secret-hop").is_none() && out.get("te").is_none());
        assert_eq!(out["openai-organization"], "org");
        assert_eq!(out["accept-encoding"], "identity");
        let err = Upstreams::new(
            &[UpstreamConfig {
                api_key_env: Some("PALISADE_TEST_UNSET_VAR_X".into()),
                ..up("o", &[], Protocol::Openai)
            }],
            "p.toml",
        )
        .err()
        .unwrap()
        .to_string();
        assert_eq!(
            err,
            "p.toml: upstreams[0].api_key_env: environment variable PALISADE_TEST_UNSET_VAR_X is not set"
        );
    }
}
