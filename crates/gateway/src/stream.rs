//! Streamed answers, inspected as they flow. Answer text is appended to a
//! bounded sliding window; every `check_every_bytes` of new text the guard
//! reads the window, and the events that carried that text are forwarded
//! only once cleared — so at most one check's worth of text is ever held
//! back and the whole stream is never buffered. A violation ends the
//! stream the way the provider's own content filter ends one.
//!
//! Streams use tiers 1–2 only: a judge call mid-stream would stall it.

use crate::answer::StreamMeta;
use crate::config::Mode;
use crate::ctx::{micros, Ctx};
use crate::extract::Api;
use crate::inspect::Decision;
use crate::sse::Splitter;
use crate::state::{AppState, PolicyRt};
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use palisade_core::{Action, Direction, Kind};
use palisade_guard::Request;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

/// Largest single SSE event accepted from an upstream.
const MAX_EVENT_BYTES: usize = 4 << 20;

struct Flow {
    st: Arc<AppState>,
    cx: Ctx,
    pol: Arc<PolicyRt>,
    api: Api,
    upstream: Option<BoxStream<'static, reqwest::Result<Bytes>>>,
    splitter: Splitter,
    meta: StreamMeta,
    context: Option<String>,
    window: String,
    /// The window no longer starts where the answer starts: its opening
    /// (a refusal or not) has been read and scrolled out.
    scrolled: bool,
    /// The upstream has closed: the window holds the answer's end.
    ended: bool,
    /// The last check read the answer's opening while more was to come.
    read_partial: bool,
    unchecked: usize,
    held: Vec<Bytes>,
    out: VecDeque<Bytes>,
    done: bool,
    /// The output decision so far (findings of flagged checks).
    decision: Decision,
    guard_us: u64,
    error: Option<(&'static str, String)>,
    recorded: bool,
    /// The request's budget reservation, settled when the flow ends.
    settle: crate::proxy::Settle,
}

/// Starts forwarding an upstream event stream through the output guard.
pub fn respond(
    st: Arc<AppState>,
    cx: Ctx,
    pol: Arc<PolicyRt>,
    resp: reqwest::Response,
    context: Option<String>,
    settle: crate::proxy::Settle,
) -> Response {
    let api = cx.api.unwrap_or(Api::Chat);
    let flow = Flow {
        st,
        cx,
        pol,
        api,
        upstream: Some(resp.bytes_stream().boxed()),
        splitter: Splitter::new(MAX_EVENT_BYTES),
        meta: StreamMeta::default(),
        context,
        window: String::new(),
        scrolled: false,
        ended: false,
        read_partial: false,
        unchecked: 0,
        held: Vec::new(),
        out: VecDeque::new(),
        done: false,
        decision: Decision::default(),
        guard_us: 0,
        error: None,
        recorded: false,
        settle,
    };
    let body = futures_util::stream::unfold(flow, |mut f| async move {
        loop {
            if let Some(b) = f.out.pop_front() {
                return Some((Ok::<Bytes, std::io::Error>(b), f));
            }
            if f.done {
                f.record().await;
                return None;
            }
            f.step().await;
        }
    });
    Response::new(Body::from_stream(body))
}

impl Flow {
    fn inspecting(&self) -> bool {
        self.pol.cfg.inspect_output
    }

    /// Reads one upstream chunk and processes the events it completes.
    async fn step(&mut self) {
        let Some(up) = self.upstream.as_mut() else {
            self.done = true;
            return;
        };
        let timeout = self.st.cfg.limits.read_timeout();
        match tokio::time::timeout(timeout, up.next()).await {
            Err(_) => self.fail(
                "upstream_timeout",
                "the upstream stopped sending its stream",
            ),
            Ok(Some(Err(e))) => self.fail(
                "upstream_stream_cut",
                &format!("the upstream stream was cut off: {e}"),
            ),
            Ok(None) => self.end(),
            Ok(Some(Ok(chunk))) => match self.splitter.push(&chunk) {
                Err(e) => self.fail("bad_upstream_stream", &e.to_string()),
                Ok(events) => {
                    for ev in events {
                        let text = self.meta.observe(self.api, ev.event.as_deref(), &ev.data);
                        if !self.inspecting() {
                            self.out.push_back(ev.raw);
                            continue;
                        }
                        self.held.push(ev.raw);
                        if !text.is_empty() {
                            self.append(&text);
                        }
                        if self.unchecked >= self.st.cfg.stream.check_every_bytes
                            || self.meta.complete
                        {
                            if !self.check() {
                                return;
                            }
                        } else if self.unchecked == 0 {
                            // Nothing unchecked is held: role chunks, pings.
                            self.out.extend(self.held.drain(..));
                        }
                    }
                }
            },
        }
    }

    fn append(&mut self, text: &str) {
        self.window.push_str(text);
        self.unchecked += text.len();
        let max = self.st.cfg.stream.window_bytes;
        if self.window.len() > max {
            let mut cut = self.window.len() - max;
            while !self.window.is_char_boundary(cut) {
                cut += 1;
            }
            self.window.drain(..cut);
            self.scrolled = true;
        }
    }

    /// Runs the guard over the window; forwards what it cleared, or cuts
    /// the stream. Returns whether the stream goes on.
    fn check(&mut self) -> bool {
        // A short answer whose stream closed without its end marker was
        // read as partial: read it once more, whole.
        let reread = self.ended && self.read_partial && !self.scrolled;
        if self.unchecked > 0 || reread {
            self.unchecked = 0;
            let t = Instant::now();
            // The opening is settled once the answer is over, or when the
            // next text may scroll it out of the window (this is the last
            // look at it).
            let full = self.window.len() + self.st.cfg.stream.check_every_bytes
                > self.st.cfg.stream.window_bytes;
            let partial = !(self.meta.complete || self.ended || full);
            self.read_partial = partial;
            let v = self.pol.guard.check(&Request {
                text: &self.window,
                direction: Direction::Output,
                kind: Kind::Prompt,
                // Read against its request only from the answer's start.
                context: self.context.as_deref().filter(|_| !self.scrolled),
                partial,
            });
            self.guard_us += micros(t);
            let policy = self.pol.guard.policy();
            let d = &mut self.decision;
            d.absorb(&v, |c| {
                policy.actions(Direction::Output).get(c) != Action::Allow
            });
            if v.flagged {
                // The window re-reads text, so keep one finding per
                // detector and category: the strongest.
                for f in &v.findings {
                    match d
                        .findings
                        .iter_mut()
                        .find(|g| g.detector == f.detector && g.category == f.category)
                    {
                        Some(g) if g.score < f.score => *g = f.clone(),
                        Some(_) => {}
                        None => d.findings.push(f.clone()),
                    }
                }
                if v.action == Action::Block && self.pol.cfg.mode == Mode::Enforce {
                    // Held events never reach the client.
                    self.held.clear();
                    let frames = self.meta.cut_frames(self.api);
                    self.out.push_back(Bytes::from(frames));
                    self.st.metrics.stream_cut();
                    self.upstream = None;
                    self.done = true;
                    return false;
                }
            }
        }
        self.out.extend(self.held.drain(..));
        true
    }

    fn end(&mut self) {
        self.upstream = None;
        self.ended = true;
        if self.inspecting() && !self.check() {
            return;
        }
        let rest = self.splitter.pending();
        if !rest.is_empty() {
            // A final event without its blank line: forward it as sent.
            self.out.push_back(Bytes::copy_from_slice(rest));
        }
        self.done = true;
    }

    fn fail(&mut self, code: &'static str, message: &str) {
        self.upstream = None;
        // What was held was never cleared: drop it rather than forward
        // unchecked text.
        self.held.clear();
        let frame = self.meta.error_frame(self.api, code, message);
        self.out.push_back(Bytes::from(frame));
        if let Some(u) = &self.cx.upstream {
            self.st.metrics.upstream_error(u, code);
        }
        self.error = Some((code, message.to_string()));
        self.done = true;
    }

    fn event(&mut self) -> palisade_core::Event {
        self.recorded = true;
        self.decision.micros = self.guard_us;
        self.cx.latency.guard_output_us = self.guard_us;
        let mut e = self.cx.event(Direction::Output, Some(&self.decision), 200);
        e.tokens = self.meta.tokens;
        // Charge what the upstream reported; without a report the
        // estimate reserved before the call stands.
        if let (Some(p), Some(c)) = (self.meta.tokens.prompt, self.meta.tokens.completion) {
            self.settle.used = Some((p, c));
        }
        if let Some((code, msg)) = &self.error {
            e.error = Some((*code).into());
            e.message = Some(msg.clone());
        }
        e
    }

    async fn record(&mut self) {
        if self.recorded {
            return;
        }
        let st = self.st.clone();
        st.metrics.stage(
            "guard_output",
            std::time::Duration::from_micros(self.guard_us),
        );
        st.metrics.stage("total", self.cx.started.elapsed());
        st.metrics.request(self.cx.route, 200);
        crate::proxy::record_metrics(&st, "output", &self.decision);
        let e = self.event();
        // The stream is already answered; a refusal cannot change that.
        let _ = st.record(e).await;
    }
}

impl Drop for Flow {
    fn drop(&mut self) {
        if !self.recorded {
            // The client went away mid-stream.
            self.error.get_or_insert((
                "client_disconnected",
                "the client closed the stream early".into(),
            ));
            let e = self.event();
            let _ = self.st.writer.try_submit(e);
        }
    }
}
