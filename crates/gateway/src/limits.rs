//! Request, token and cost limits ("denial of wallet" protection).
//!
//! Budgets are *reserved* before the upstream call, under one lock, from
//! an estimate (prompt bytes / 4 plus the request's `max_tokens`), and
//! *settled* after the answer with the usage the upstream reports. So N
//! concurrent requests can never together exceed a budget — the flaw of
//! gateways that only count after the answer arrives — and the estimate's
//! error is corrected as soon as real numbers exist. Windows are fixed
//! (the current minute, the current UTC day); a refusal says when the
//! window resets (`Retry-After`). State is per process; several gateways
//! on one store each enforce their own share.

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// A price per model glob, in US dollars per million tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Model glob, e.g. `gpt-4o*`.
    pub models: String,
    /// Input (prompt) tokens.
    pub input_per_mtok: f64,
    /// Output (completion) tokens.
    pub output_per_mtok: f64,
}

/// `[rate_limits]`; every limit is off at 0.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests per minute per gateway key (token bucket).
    #[serde(default)]
    pub requests_per_minute: u32,
    /// Requests per minute per client address.
    #[serde(default)]
    pub requests_per_minute_per_addr: u32,
    /// LLM tokens per key per minute.
    #[serde(default)]
    pub tokens_per_minute: u64,
    /// LLM tokens per key per UTC day.
    #[serde(default)]
    pub tokens_per_day: u64,
    /// Spend per key per UTC day, in US dollars (needs `prices`).
    #[serde(default)]
    pub usd_per_day: f64,
    /// Completion tokens reserved when a request gives no `max_tokens`.
    #[serde(default = "default_max_tokens")]
    pub default_max_tokens: u64,
    /// Prices by model.
    #[serde(default)]
    pub prices: Vec<Price>,
}

fn default_max_tokens() -> u64 {
    1024
}

impl RateLimitConfig {
    /// Whether any limit is on.
    pub fn active(&self) -> bool {
        self.requests_per_minute > 0
            || self.requests_per_minute_per_addr > 0
            || self.tokens_per_minute > 0
            || self.tokens_per_day > 0
            || self.usd_per_day > 0.0
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    id: u64,
    used: u64,
}

impl Window {
    fn roll(&mut self, id: u64) {
        if self.id != id {
            self.id = id;
            self.used = 0;
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug, Default)]
struct Subject {
    bucket: Option<Bucket>,
    minute: Window,
    day: Window,
    /// Micro-dollars.
    spend: Window,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Denied {
    /// Which limit.
    pub limit: &'static str,
    /// Seconds until it allows the request again.
    pub retry_after_s: u64,
    /// For the error message.
    pub detail: String,
}

/// What a request holds until it is settled.
#[derive(Debug, Clone, Default)]
pub struct Reservation {
    key: Option<String>,
    minute_id: u64,
    day_id: u64,
    tokens: u64,
    micro_usd: u64,
    model: Option<String>,
}

/// The limiter.
pub struct Limiter {
    cfg: RateLimitConfig,
    prices: Vec<(GlobMatcher, f64, f64)>,
    subjects: Mutex<HashMap<String, Subject>>,
}

fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Limiter {
    /// Builds a limiter; a bad model glob is an error naming it.
    pub fn new(cfg: RateLimitConfig) -> Result<Limiter, String> {
        let mut prices = Vec::new();
        for p in &cfg.prices {
            let g = Glob::new(&p.models)
                .map_err(|e| format!("rate_limits.prices: {:?}: {e}", p.models))?;
            prices.push((g.compile_matcher(), p.input_per_mtok, p.output_per_mtok));
        }
        Ok(Limiter {
            cfg,
            prices,
            subjects: Mutex::new(HashMap::new()),
        })
    }

    /// Whether any limit is on.
    pub fn active(&self) -> bool {
        self.cfg.active()
    }

    fn price(&self, model: Option<&str>) -> Option<(f64, f64)> {
        let m = model?;
        self.prices
            .iter()
            .find(|(g, _, _)| g.is_match(m))
            .map(|(_, i, o)| (*i, *o))
    }

    fn micro_usd(&self, model: Option<&str>, prompt: u64, completion: u64) -> u64 {
        match self.price(model) {
            // $/Mtok × tokens = µ$.
            Some((i, o)) => (i * prompt as f64 + o * completion as f64).ceil() as u64,
            None => 0,
        }
    }

    fn take_bucket(s: &mut Subject, per_minute: u32, now: Instant) -> Result<(), u64> {
        let cap = f64::from(per_minute);
        let b = s.bucket.get_or_insert(Bucket {
            tokens: cap,
            last: now,
        });
        let refill = now.duration_since(b.last).as_secs_f64() * cap / 60.0;
        b.tokens = (b.tokens + refill).min(cap);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) * 60.0 / cap).ceil().max(1.0) as u64)
        }
    }

    /// Admits a request or says which limit refuses it. `prompt_bytes` and
    /// `max_tokens` give the estimate that is reserved.
    pub fn admit(
        &self,
        key: Option<&str>,
        addr: Option<&str>,
        model: Option<&str>,
        prompt_bytes: usize,
        max_tokens: Option<u64>,
    ) -> Result<Reservation, Denied> {
        let now = Instant::now();
        let t = now_s();
        let (minute_id, day_id) = (t / 60, t / 86_400);
        let mut map = match self.subjects.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if let (Some(a), n) = (addr, self.cfg.requests_per_minute_per_addr) {
            if n > 0 {
                let s = map.entry(format!("addr:{a}")).or_default();
                if let Err(wait) = Self::take_bucket(s, n, now) {
                    return Err(Denied {
                        limit: "requests_per_minute_per_addr",
                        retry_after_s: wait,
                        detail: format!("more than {n} requests per minute from {a}"),
                    });
                }
            }
        }
        let Some(k) = key else {
            return Ok(Reservation::default());
        };
        let s = map.entry(format!("key:{k}")).or_default();
        if self.cfg.requests_per_minute > 0 {
            if let Err(wait) = Self::take_bucket(s, self.cfg.requests_per_minute, now) {
                return Err(Denied {
                    limit: "requests_per_minute",
                    retry_after_s: wait,
                    detail: format!(
                        "more than {} requests per minute for this key",
                        self.cfg.requests_per_minute
                    ),
                });
            }
        }
        // A token is about four bytes of English text; an overestimate only
        // holds budget until the answer's usage settles it.
        let prompt = (prompt_bytes as u64).div_ceil(4);
        let completion = max_tokens.unwrap_or(self.cfg.default_max_tokens);
        let tokens = prompt + completion;
        let micro = self.micro_usd(model, prompt, completion);
        s.minute.roll(minute_id);
        s.day.roll(day_id);
        s.spend.roll(day_id);
        if self.cfg.tokens_per_minute > 0 && s.minute.used + tokens > self.cfg.tokens_per_minute {
            return Err(Denied {
                limit: "tokens_per_minute",
                retry_after_s: 60 - t % 60,
                detail: format!(
                    "this request may use {tokens} tokens; {} of {} are left this minute",
                    self.cfg.tokens_per_minute.saturating_sub(s.minute.used),
                    self.cfg.tokens_per_minute
                ),
            });
        }
        if self.cfg.tokens_per_day > 0 && s.day.used + tokens > self.cfg.tokens_per_day {
            return Err(Denied {
                limit: "tokens_per_day",
                retry_after_s: 86_400 - t % 86_400,
                detail: format!(
                    "this request may use {tokens} tokens; {} of {} are left today (UTC)",
                    self.cfg.tokens_per_day.saturating_sub(s.day.used),
                    self.cfg.tokens_per_day
                ),
            });
        }
        let budget = (self.cfg.usd_per_day * 1e6) as u64;
        if budget > 0 && s.spend.used + micro > budget {
            return Err(Denied {
                limit: "usd_per_day",
                retry_after_s: 86_400 - t % 86_400,
                detail: format!(
                    "this request may cost ${:.4}; ${:.4} of ${:.2} are left today (UTC)",
                    micro as f64 / 1e6,
                    budget.saturating_sub(s.spend.used) as f64 / 1e6,
                    self.cfg.usd_per_day
                ),
            });
        }
        s.minute.used += tokens;
        s.day.used += tokens;
        s.spend.used += micro;
        Ok(Reservation {
            key: Some(k.to_string()),
            minute_id,
            day_id,
            tokens,
            micro_usd: micro,
            model: model.map(str::to_string),
        })
    }

    /// Replaces a reservation with what the request really used (`None`:
    /// the upstream gave no usage, so the estimate stands; `Some((0, 0))`
    /// releases it, e.g. for a request the guard refused).
    pub fn settle(&self, r: Reservation, used: Option<(u64, u64)>) {
        let (Some(k), Some((prompt, completion))) = (r.key.as_deref(), used) else {
            return;
        };
        let micro = self.micro_usd(r.model.as_deref(), prompt, completion);
        let mut map = match self.subjects.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let Some(s) = map.get_mut(&format!("key:{k}")) else {
            return;
        };
        let actual = prompt + completion;
        for (w, id) in [(&mut s.minute, r.minute_id), (&mut s.day, r.day_id)] {
            // A window that rolled over since no longer holds the reservation.
            if w.id == id {
                w.used = w.used.saturating_sub(r.tokens).saturating_add(actual);
            }
        }
        if s.spend.id == r.day_id {
            s.spend.used = s
                .spend
                .used
                .saturating_sub(r.micro_usd)
                .saturating_add(micro);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(cfg: RateLimitConfig) -> Limiter {
        Limiter::new(cfg).unwrap()
    }

    #[test]
    fn reservations_cannot_overshoot_and_settle_corrects() {
        let l = limiter(RateLimitConfig {
            tokens_per_minute: 1000,
            ..Default::default()
        });
        let a = l.admit(Some("k"), None, None, 400, Some(200)).unwrap(); // 300
        let b = l.admit(Some("k"), None, None, 400, Some(200)).unwrap();
        let _c = l.admit(Some("k"), None, None, 400, Some(200)).unwrap();
        let d = l.admit(Some("k"), None, None, 400, Some(200)).unwrap_err();
        assert_eq!(d.limit, "tokens_per_minute");
        assert!(d.retry_after_s >= 1 && d.retry_after_s <= 60);
        l.settle(a, Some((50, 50)));
        l.settle(b, Some((0, 0)));
        assert!(l.admit(Some("k"), None, None, 400, Some(200)).is_ok());
        assert!(l.admit(Some("other"), None, None, 400, Some(200)).is_ok());
    }

    #[test]
    fn buckets_and_costs() {
        let l = limiter(RateLimitConfig {
            requests_per_minute: 2,
            ..Default::default()
        });
        assert!(l.admit(Some("k"), None, None, 1, None).is_ok());
        assert!(l.admit(Some("k"), None, None, 1, None).is_ok());
        assert_eq!(
            l.admit(Some("k"), None, None, 1, None).unwrap_err().limit,
            "requests_per_minute"
        );
        let l = limiter(RateLimitConfig {
            usd_per_day: 0.01,
            prices: vec![Price {
                models: "gpt-4o*".into(),
                input_per_mtok: 2.5,
                output_per_mtok: 10.0,
            }],
            ..Default::default()
        });
        // 1000 completion tokens at $10/Mtok = $0.01 fits once.
        assert!(l
            .admit(Some("k"), None, Some("gpt-4o-mini"), 0, Some(1000))
            .is_ok());
        assert_eq!(
            l.admit(Some("k"), None, Some("gpt-4o"), 0, Some(1))
                .unwrap_err()
                .limit,
            "usd_per_day"
        );
        // Unpriced models cost nothing.
        assert!(l.admit(Some("k"), None, Some("llama3"), 0, Some(1)).is_ok());
    }
}
