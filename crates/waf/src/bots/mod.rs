//! AI-bot management: a catalogue of AI crawlers and agents (from operators'
//! public documentation), user-agent identification, behavioural client scoring,
//! per-category policy and robots.txt generation.
//!
//! Identification by User-Agent is only a *claim* (trivially spoofed); pair it with
//! operators' published IP ranges or Web Bot Auth signatures before granting allow-
//! listing. The behavioural score is for clients that do not announce themselves.

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The catalogue shipped with the crate (`catalog/bots/ai_bots.yaml` at the repo root).
pub const BUILTIN_CATALOG: &str = include_str!("../../../../catalog/bots/ai_bots.yaml");

/// What a bot does with what it fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotCategory {
    /// Collects content to train models.
    TrainingCrawler,
    /// Builds an index for AI search / answer engines.
    SearchCrawler,
    /// Fetches a page because a user asked an assistant or agent to.
    AssistantFetcher,
    /// Scraper, dataset builder or data broker.
    Scraper,
    /// Archives the web.
    Archiver,
    /// Not in the catalogue, but announces itself as a crawler.
    UnknownCrawler,
}

/// One catalogue entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotEntry {
    /// Display name.
    pub name: String,
    /// Company / project operating it.
    pub operator: String,
    /// Category.
    pub category: BotCategory,
    /// Case-insensitive substrings identifying it in User-Agent.
    pub ua: Vec<String>,
    /// robots.txt product token (may differ from UA, e.g. Google-Extended has no UA).
    #[serde(default)]
    pub robots: Option<String>,
    /// Operator documentation URL.
    #[serde(default)]
    pub docs: Option<String>,
    /// True when the token is only a robots.txt control and never sent as a UA.
    #[serde(default)]
    pub robots_only: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    bots: Vec<BotEntry>,
}

/// A successful identification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BotMatch {
    /// Catalogue name (or `unknown-crawler`).
    pub name: String,
    /// Operator.
    pub operator: String,
    /// Category.
    pub category: BotCategory,
    /// The substring that matched.
    pub matched: String,
}

/// The loaded catalogue with its matcher.
pub struct BotCatalog {
    entries: Vec<BotEntry>,
    matcher: Option<AhoCorasick>,
    pattern_owner: Vec<usize>,
    patterns: Vec<String>,
}

impl BotCatalog {
    /// Load the built-in catalogue.
    pub fn builtin() -> Result<BotCatalog, Error> {
        Self::from_yaml("catalog/bots/ai_bots.yaml", BUILTIN_CATALOG)
    }

    /// Load a catalogue from YAML text.
    pub fn from_yaml(file: &str, text: &str) -> Result<BotCatalog, Error> {
        let parsed: CatalogFile = serde_yaml::from_str(text).map_err(|e| Error::Catalog {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        for (i, b) in parsed.bots.iter().enumerate() {
            if b.name.is_empty() || b.operator.is_empty() {
                return Err(Error::Catalog {
                    file: file.into(),
                    message: format!("entry {i}: name and operator required"),
                });
            }
            if b.ua.is_empty() && !b.robots_only {
                return Err(Error::Catalog {
                    file: file.into(),
                    message: format!("{}: needs ua substrings or robots_only", b.name),
                });
            }
            for u in &b.ua {
                if u.len() < 3 {
                    return Err(Error::Catalog {
                        file: file.into(),
                        message: format!("{}: ua substring {u:?} too short", b.name),
                    });
                }
                patterns.push(u.to_ascii_lowercase());
                owner.push(i);
            }
        }
        let matcher = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&patterns)
                    .map_err(|e| Error::Catalog {
                        file: file.into(),
                        message: e.to_string(),
                    })?,
            )
        };
        Ok(BotCatalog {
            entries: parsed.bots,
            matcher,
            pattern_owner: owner,
            patterns,
        })
    }

    /// Entries.
    pub fn entries(&self) -> &[BotEntry] {
        &self.entries
    }

    /// Identify a bot from a User-Agent string.
    pub fn identify_ua(&self, ua: &str) -> Option<BotMatch> {
        if let Some(m) = self.matcher.as_ref() {
            // Longest match wins so "Claude-SearchBot" beats "ClaudeBot"-like prefixes.
            let best = m.find_iter(ua).max_by_key(|m| m.len());
            if let Some(hit) = best {
                let pi = hit.pattern().as_usize();
                if let Some(e) = self
                    .pattern_owner
                    .get(pi)
                    .and_then(|&o| self.entries.get(o))
                {
                    return Some(BotMatch {
                        name: e.name.clone(),
                        operator: e.operator.clone(),
                        category: e.category,
                        matched: self.patterns.get(pi).cloned().unwrap_or_default(),
                    });
                }
            }
        }
        // Self-declared crawlers not in the catalogue.
        let l = ua.to_ascii_lowercase();
        for marker in ["bot", "crawler", "spider", "scraper", "fetcher", "+http"] {
            if l.contains(marker) {
                return Some(BotMatch {
                    name: "unknown-crawler".into(),
                    operator: "unknown".into(),
                    category: BotCategory::UnknownCrawler,
                    matched: marker.into(),
                });
            }
        }
        None
    }

    /// Identify a bot from request headers (User-Agent, plus `From`/`Signature-Agent` hints).
    pub fn identify(&self, headers: &[(String, String)]) -> Option<BotMatch> {
        let ua = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
            .map(|(_, v)| v.as_str());
        if let Some(m) = ua.and_then(|u| self.identify_ua(u)) {
            return Some(m);
        }
        // Web Bot Auth: the Signature-Agent header names the operator's key directory.
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("signature-agent"))
            .and_then(|(_, v)| self.identify_ua(v))
    }

    /// Generate a robots.txt body: one group per robots token whose category the
    /// policy blocks or restricts to robots.txt, then a permissive default group.
    pub fn robots_txt(&self, policy: &BotPolicy) -> String {
        let mut disallow: BTreeMap<String, ()> = BTreeMap::new();
        for e in &self.entries {
            let action = policy.action_for(&e.name, e.category);
            if matches!(action, BotAction::Block | BotAction::RobotsOnly) {
                if let Some(tok) = e.robots.as_ref().or_else(|| e.ua.first()) {
                    disallow.insert(tok.clone(), ());
                }
            }
        }
        let mut out = String::from("# Generated by palisade-waf from catalog/bots/ai_bots.yaml\n");
        for tok in disallow.keys() {
            out.push_str(&format!("User-agent: {tok}\n"));
        }
        if !disallow.is_empty() {
            out.push_str("Disallow: /\n\n");
        }
        out.push_str("User-agent: *\nAllow: /\n");
        out
    }
}

/// What to do with a bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum BotAction {
    /// Let it through.
    Allow,
    /// Let it through up to `per_minute` requests.
    RateLimit {
        /// Requests per minute per client.
        per_minute: u32,
    },
    /// Refuse (403).
    Block,
    /// Disallow it in robots.txt but do not enforce at the edge.
    RobotsOnly,
}

/// Per-category policy with per-bot overrides.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BotPolicy {
    /// Action by category.
    pub categories: BTreeMap<BotCategory, BotAction>,
    /// Overrides by catalogue name.
    pub bots: BTreeMap<String, BotAction>,
}

impl Default for BotPolicy {
    /// Default: let user-triggered fetchers and search crawlers in (they cite and link
    /// back), keep training crawlers and scrapers out via robots.txt and the edge.
    fn default() -> Self {
        let mut categories = BTreeMap::new();
        categories.insert(BotCategory::TrainingCrawler, BotAction::Block);
        categories.insert(BotCategory::Scraper, BotAction::Block);
        categories.insert(
            BotCategory::SearchCrawler,
            BotAction::RateLimit { per_minute: 60 },
        );
        categories.insert(BotCategory::AssistantFetcher, BotAction::Allow);
        categories.insert(BotCategory::Archiver, BotAction::RobotsOnly);
        categories.insert(
            BotCategory::UnknownCrawler,
            BotAction::RateLimit { per_minute: 30 },
        );
        BotPolicy {
            categories,
            bots: BTreeMap::new(),
        }
    }
}

impl BotPolicy {
    /// Resolve the action for a bot.
    pub fn action_for(&self, name: &str, category: BotCategory) -> BotAction {
        self.bots
            .get(name)
            .or_else(|| self.categories.get(&category))
            .copied()
            .unwrap_or(BotAction::Allow)
    }
}

/// Inputs for behavioural scoring of a client.
#[derive(Debug, Clone, Default)]
pub struct ClientSignals {
    /// Request headers in wire order.
    pub headers: Vec<(String, String)>,
    /// Protocol version, e.g. `HTTP/1.0`.
    pub http_version: String,
    /// Requests seen from this client so far (including this one).
    pub requests_seen: u32,
    /// Requests from this client that carried a Cookie header.
    pub requests_with_cookies: u32,
}

/// Behavioural verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BotSignals {
    /// 0..=100, higher = more automated.
    pub score: u32,
    /// Human-readable reasons.
    pub reasons: Vec<String>,
    /// Automation library / headless browser named in the UA.
    pub automation_tool: Option<String>,
    /// `score >= 50`.
    pub likely_bot: bool,
}

const AUTOMATION_UAS: &[&str] = &[
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "curl/",
    "wget/",
    "go-http-client",
    "okhttp",
    "java/",
    "apache-httpclient",
    "libwww-perl",
    "node-fetch",
    "axios/",
    "undici",
    "got (",
    "headlesschrome",
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    "scrapy",
    "httpclient",
    "restsharp",
    "postmanruntime",
    "insomnia",
    "guzzlehttp",
    "ruby",
    "dart:io",
    "reqwest",
    "hyper/",
    "lightpanda",
    "crawl4ai",
];

/// Score how automated a client looks from headers and history.
pub fn score_client(signals: &ClientSignals) -> BotSignals {
    let mut out = BotSignals::default();
    let get = |n: &str| {
        signals
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    let add = |pts: u32, why: &str, out: &mut BotSignals| {
        out.score += pts;
        out.reasons.push(why.to_string());
    };
    let ua = get("user-agent").unwrap_or("");
    let lua = ua.to_ascii_lowercase();
    if ua.is_empty() {
        add(40, "no User-Agent", &mut out);
    }
    if let Some(tool) = AUTOMATION_UAS.iter().find(|t| lua.contains(*t)) {
        out.automation_tool = Some(tool.trim_end_matches(['/', '(', ' ']).to_string());
        add(
            50,
            "automation library or headless browser in User-Agent",
            &mut out,
        );
    }
    let claims_browser =
        lua.starts_with("mozilla/") && !lua.contains("bot") && !lua.contains("compatible;");
    if get("accept").is_none() {
        add(15, "no Accept header", &mut out);
    }
    if get("accept-language").is_none() {
        add(
            if claims_browser { 25 } else { 10 },
            "no Accept-Language header",
            &mut out,
        );
    }
    if claims_browser && get("accept-encoding").is_none() {
        add(15, "browser UA without Accept-Encoding", &mut out);
    }
    if claims_browser
        && lua.contains("chrome/")
        && get("sec-ch-ua").is_none()
        && get("sec-fetch-mode").is_none()
    {
        add(
            15,
            "Chrome UA without client hints / fetch metadata",
            &mut out,
        );
    }
    if signals.http_version.eq_ignore_ascii_case("HTTP/1.0") {
        add(20, "HTTP/1.0", &mut out);
    }
    // Browsers send Host first (HTTP/1.1) and User-Agent early; many libraries
    // put User-Agent last or omit Host ordering conventions.
    let names: Vec<String> = signals
        .headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    if let (Some(h), Some(u)) = (
        names.iter().position(|n| n == "host"),
        names.iter().position(|n| n == "user-agent"),
    ) {
        if h > u && claims_browser {
            add(
                10,
                "header order unlike browsers (User-Agent before Host)",
                &mut out,
            );
        }
    }
    if claims_browser && names.len() <= 3 {
        add(10, "very few headers for a browser", &mut out);
    }
    if signals.requests_seen >= 5 && signals.requests_with_cookies == 0 {
        add(15, "no cookies returned across requests", &mut out);
    }
    out.score = out.score.min(100);
    out.likely_bot = out.score >= 50;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn identifies_major_bots() {
        let c = BotCatalog::builtin().expect("builtin catalogue loads");
        for (ua, name) in [
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", "GPTBot"),
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)", "ClaudeBot"),
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Claude-SearchBot/1.0)", "Claude-SearchBot"),
            ("Mozilla/5.0 (compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)", "PerplexityBot"),
            ("meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)", "Meta-ExternalAgent"),
        ] {
            let m = c.identify(&h(&[("User-Agent", ua)])).expect("identified");
            assert_eq!(m.name, name, "{ua}");
        }
        assert!(c
            .identify(&h(&[(
                "User-Agent",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/122.0"
            )]))
            .is_none());
    }

    #[test]
    fn robots_generation() {
        let c = BotCatalog::builtin().expect("loads");
        let txt = c.robots_txt(&BotPolicy::default());
        assert!(txt.contains("User-agent: GPTBot"));
        assert!(txt.contains("User-agent: Google-Extended"));
        assert!(!txt.contains("User-agent: ChatGPT-User"));
    }

    #[test]
    fn behavioural() {
        let s = score_client(&ClientSignals {
            headers: h(&[("Host", "x"), ("User-Agent", "python-requests/2.31")]),
            http_version: "HTTP/1.1".into(),
            requests_seen: 10,
            requests_with_cookies: 0,
        });
        assert!(s.likely_bot);
        let b = score_client(&ClientSignals {
            headers: h(&[
                ("Host", "x"),
                ("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/122.0 Safari/537.36"),
                ("Accept", "text/html"),
                ("Accept-Language", "en"),
                ("Accept-Encoding", "gzip"),
                ("Sec-Fetch-Mode", "navigate"),
            ]),
            http_version: "HTTP/1.1".into(),
            requests_seen: 3,
            requests_with_cookies: 2,
        });
        assert!(!b.likely_bot, "{b:?}");
    }
}
