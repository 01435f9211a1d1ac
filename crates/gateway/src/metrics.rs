//! Prometheus metrics: requests by route and status, verdicts by
//! direction, action, category and tier, per-stage latencies, upstream
//! faults and the event queue.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Duration;

type Labels = Vec<(&'static str, String)>;

fn latency_histogram() -> Histogram {
    // 20 µs … ~40 s: guard stages live at the bottom, upstreams at the top.
    Histogram::new(exponential_buckets(0.000_02, 2.0, 22))
}

/// All metrics of one gateway.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    verdicts: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    upstream_errors: Family<Labels, Counter>,
    queue_depth: Gauge,
    events_written: Gauge,
    events_dropped: Gauge,
    events_rejected: Gauge,
    streams_cut: Counter,
    waf_matches: Family<Labels, Counter>,
    waf_requests: Family<Labels, Counter>,
    bots: Family<Labels, Counter>,
    input_checks: Family<Labels, Counter>,
    uncertain: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("palisade");
        let requests = Family::<Labels, Counter>::default();
        registry.register("requests", "Requests by route and status", requests.clone());
        let verdicts = Family::<Labels, Counter>::default();
        registry.register(
            "verdicts",
            "Guard decisions by direction, action, category and deciding tier",
            verdicts.clone(),
        );
        let latency =
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "stage_latency_seconds",
            "Time per stage (guard_input, guard_output, upstream, total)",
            latency.clone(),
        );
        let upstream_errors = Family::<Labels, Counter>::default();
        registry.register(
            "upstream_errors",
            "Upstream faults by upstream and kind",
            upstream_errors.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "event_queue_depth",
            "Events waiting to be written",
            queue_depth.clone(),
        );
        let events_written = Gauge::default();
        registry.register(
            "events_written",
            "Events written to the store",
            events_written.clone(),
        );
        let events_dropped = Gauge::default();
        registry.register(
            "events_dropped",
            "Events dropped because the queue was full",
            events_dropped.clone(),
        );
        let waf_matches = Family::<Labels, Counter>::default();
        registry.register(
            "waf_matches",
            "WAF rule matches by rule and category",
            waf_matches.clone(),
        );
        let waf_requests = Family::<Labels, Counter>::default();
        registry.register(
            "waf_requests",
            "Requests the WAF scored, by outcome (pass, block, monitor)",
            waf_requests.clone(),
        );
        let bots = Family::<Labels, Counter>::default();
        registry.register(
            "bot_requests",
            "Requests from identified AI bots by bot, category and action",
            bots.clone(),
        );
        let events_rejected = Gauge::default();
        registry.register(
            "events_rejected",
            "Requests refused because the event queue was full (on_full = reject)",
            events_rejected.clone(),
        );
        let streams_cut = Counter::default();
        registry.register(
            "streams_cut",
            "Streamed answers ended early by the output guard",
            streams_cut.clone(),
        );
        let input_checks = Family::<Labels, Counter>::default();
        registry.register(
            "input_checks",
            "Request checks by when they ran (before forwarding, or parallel with the upstream) and outcome (passed, blocked: with parallel, the upstream call was cancelled)",
            input_checks.clone(),
        );
        let uncertain = Family::<Labels, Counter>::default();
        registry.register(
            "uncertain",
            "Guard decisions where tiers 1-2 were unsure (the policy's judge band, no rule deciding), by direction and the tier that decided: judge when one is configured, else how often one would be asked",
            uncertain.clone(),
        );
        Self {
            registry,
            requests,
            verdicts,
            latency,
            upstream_errors,
            queue_depth,
            events_written,
            events_dropped,
            events_rejected,
            streams_cut,
            waf_matches,
            waf_requests,
            bots,
            input_checks,
            uncertain,
        }
    }
}

impl Metrics {
    /// One finished request.
    pub fn request(&self, route: &str, status: u16) {
        self.requests
            .get_or_create(&vec![
                ("route", route.to_string()),
                ("status", status.to_string()),
            ])
            .inc();
    }

    /// One guard decision; `category` is `none` when nothing was found.
    pub fn verdict(&self, direction: &str, action: &str, category: &str, tier: &str) {
        self.verdicts
            .get_or_create(&vec![
                ("direction", direction.to_string()),
                ("action", action.to_string()),
                ("category", category.to_string()),
                ("tier", tier.to_string()),
            ])
            .inc();
    }

    /// Time spent in a stage.
    pub fn stage(&self, stage: &'static str, d: Duration) {
        self.latency
            .get_or_create(&vec![("stage", stage.to_string())])
            .observe(d.as_secs_f64());
    }

    /// An upstream fault.
    pub fn upstream_error(&self, upstream: &str, kind: &str) {
        self.upstream_errors
            .get_or_create(&vec![
                ("upstream", upstream.to_string()),
                ("kind", kind.to_string()),
            ])
            .inc();
    }

    /// One request scored by the WAF, and the rules it matched.
    pub fn waf(&self, outcome: &'static str, matches: &[palisade_waf::Match]) {
        self.waf_requests
            .get_or_create(&vec![("outcome", outcome.to_string())])
            .inc();
        for m in matches {
            self.waf_matches
                .get_or_create(&vec![
                    ("rule", m.rule.clone()),
                    ("category", m.category.clone()),
                ])
                .inc();
        }
    }

    /// One request from an identified AI bot.
    pub fn bot(&self, bot: &str, category: &str, action: &str) {
        self.bots
            .get_or_create(&vec![
                ("bot", bot.to_string()),
                ("category", category.to_string()),
                ("action", action.to_string()),
            ])
            .inc();
    }

    /// One request check: `when` is `before` or `parallel`, `outcome`
    /// `passed` or `blocked`.
    pub fn input_check(&self, when: &'static str, outcome: &'static str) {
        self.input_checks
            .get_or_create(&vec![
                ("when", when.to_string()),
                ("outcome", outcome.to_string()),
            ])
            .inc();
    }

    /// A decision tiers 1–2 were unsure about; `tier` is the one that
    /// decided (`judge` when a judge answered).
    pub fn uncertain(&self, direction: &str, tier: &str) {
        self.uncertain
            .get_or_create(&vec![
                ("direction", direction.to_string()),
                ("tier", tier.to_string()),
            ])
            .inc();
    }

    /// A stream ended by the output guard.
    pub fn stream_cut(&self) {
        self.streams_cut.inc();
    }

    /// The text exposition, with the event queue's state as of now.
    pub fn render(&self, q: &palisade_store::WriterStats) -> String {
        let g = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.queue_depth.set(g(q.queued_now));
        self.events_written.set(g(q.written));
        self.events_dropped.set(g(q.dropped));
        self.events_rejected.set(g(q.rejected));
        let mut s = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut s, &self.registry);
        s
    }
}
