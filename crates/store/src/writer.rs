//! The bounded asynchronous event queue. Request handlers must never wait
//! on SQLite (an fsync can take milliseconds), so they hand events to a
//! channel and one dedicated OS thread writes them in batches: one
//! transaction per batch turns thousands of fsyncs into a few. The bound
//! keeps memory finite when the disk is slower than the traffic; what
//! happens then is the operator's choice ([`OnFull`]).

use crate::Store;
use palisade_core::Event;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::mpsc::error::{SendTimeoutError, TrySendError};
use tokio::sync::mpsc::{self, Receiver, Sender};

/// Pauses between attempts to write a failed batch. Failures worth
/// retrying are transient (another process holding the write lock past the
/// busy timeout, a momentarily full disk); about a second in total rides
/// those out without stalling the queue for long.
const RETRY_BACKOFF: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(200),
    Duration::from_millis(800),
];

/// What to do with an event when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFull {
    /// Drop the event and count it: the request proceeds unrecorded.
    #[default]
    Drop,
    /// Wait up to `block_timeout` for room, then drop and count it.
    Block,
    /// Tell the caller, which fails the request (the gateway answers 503):
    /// for deployments where an unrecorded request is unacceptable.
    Reject,
}

/// How the writer queues and batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// Events the queue holds before `on_full` applies (at least 1).
    pub capacity: usize,
    /// Most events written in one transaction (at least 1).
    pub batch_max: usize,
    /// What to do when the queue is full.
    pub on_full: OnFull,
    /// How long [`OnFull::Block`] waits for room.
    pub block_timeout: Duration,
    /// After the first event of a batch, how long to gather more before
    /// writing (group commit): under load this turns one commit per
    /// event into one per few milliseconds, for at most this much delay.
    pub linger: Duration,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            capacity: 10_000,
            batch_max: 512,
            on_full: OnFull::Drop,
            block_timeout: Duration::from_millis(100),
            linger: Duration::from_millis(5),
        }
    }
}

/// What became of a submitted event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Submitted {
    /// It is queued and will be written.
    Queued,
    /// The queue was full and the event was discarded (and counted).
    Dropped,
    /// The queue was full under [`OnFull::Reject`], or the writer is shut
    /// down: the caller should fail the request.
    Rejected,
}

/// Counters since the writer started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriterStats {
    /// Events accepted but not yet written (queued or in the batch being
    /// written).
    pub queued_now: u64,
    /// Events written.
    pub written: u64,
    /// Events discarded: queue full under `drop`/`block`, or submitted
    /// after shutdown.
    pub dropped: u64,
    /// Submissions refused because the queue was full under `reject`.
    pub rejected: u64,
    /// Events accepted but lost because their batch still failed after
    /// every retry. Counted per event so that `written + write_errors`
    /// accounts for every accepted event once the queue is drained.
    pub write_errors: u64,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    rejected: AtomicU64,
    write_errors: AtomicU64,
}

/// The outcome of a non-waiting send.
enum Attempt {
    /// Settled: queued, dropped or rejected.
    Done(Submitted),
    /// The queue is full under [`OnFull::Block`]; the event comes back so
    /// the caller can decide whether to wait.
    FullUnderBlock(Box<Event>),
}

/// The handle to the writer thread. Share it through an `Arc`; all methods
/// take `&self`.
pub struct EventWriter {
    /// `None` after shutdown. Read-locked by submitters (they never contend
    /// with each other), write-locked once by `shutdown` to drop the sender,
    /// which is what tells the thread to drain and stop.
    /// Events travel boxed so a full-queue hand-back and the channel slots
    /// stay pointer-sized (an `Event` is several hundred bytes).
    tx: RwLock<Option<Sender<Box<Event>>>>,
    /// Held across the join so a second concurrent `shutdown` also waits
    /// for the drain to finish.
    thread: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<Counters>,
    cfg: WriterConfig,
}

impl std::fmt::Debug for EventWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventWriter")
            .field("cfg", &self.cfg)
            .field("stats", &self.stats())
            .finish()
    }
}

impl EventWriter {
    /// Starts the writer thread. Out-of-range sizes are clamped rather than
    /// refused. Should the OS refuse a thread, the error is logged and the
    /// writer starts shut down (every submit is `Rejected`), because a
    /// gateway that cannot record is the operator's call, not a panic.
    pub fn spawn(store: Arc<Store>, cfg: WriterConfig) -> EventWriter {
        let cfg = WriterConfig {
            capacity: cfg.capacity.clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
            batch_max: cfg.batch_max.max(1),
            ..cfg
        };
        let (tx, rx) = mpsc::channel(cfg.capacity);
        let counters = Arc::new(Counters::default());
        let thread_counters = Arc::clone(&counters);
        let spawned = std::thread::Builder::new()
            .name("palisade-event-writer".into())
            .spawn(move || run(&store, rx, cfg.batch_max, cfg.linger, &thread_counters));
        let (tx, thread) = match spawned {
            Ok(handle) => (Some(tx), Some(handle)),
            Err(e) => {
                tracing::error!(error = %e, "cannot start the event writer thread; events will not be recorded");
                (None, None)
            }
        };
        EventWriter {
            tx: RwLock::new(tx),
            thread: Mutex::new(thread),
            counters,
            cfg,
        }
    }

    /// The configuration in effect (after clamping).
    pub fn config(&self) -> WriterConfig {
        self.cfg
    }

    /// Queues an event, applying `on_full` when the queue is full.
    /// [`OnFull::Block`] waits asynchronously (needs a Tokio runtime with
    /// the time driver), so it never ties up a worker thread.
    pub async fn submit(&self, e: Event) -> Submitted {
        let e = match self.try_send(e) {
            Attempt::Done(done) => return done,
            Attempt::FullUnderBlock(e) => e,
        };
        // Full under Block. Wait on a clone of the sender: a lock guard
        // cannot be held across an await, and the clone only delays
        // shutdown's drain by at most `block_timeout`.
        let Some(tx) = self.sender() else {
            return self.closed();
        };
        match tx.send_timeout(e, self.cfg.block_timeout).await {
            Ok(()) => self.queued(),
            Err(SendTimeoutError::Timeout(_)) => self.dropped(),
            Err(SendTimeoutError::Closed(_)) => self.closed(),
        }
    }

    /// Queues an event without ever waiting; when the queue is full,
    /// [`OnFull::Block`] behaves like [`OnFull::Drop`].
    pub fn try_submit(&self, e: Event) -> Submitted {
        match self.try_send(e) {
            Attempt::Done(done) => done,
            Attempt::FullUnderBlock(_) => self.dropped(),
        }
    }

    /// The counters now.
    pub fn stats(&self) -> WriterStats {
        let c = &self.counters;
        let written = c.written.load(Ordering::Relaxed);
        let write_errors = c.write_errors.load(Ordering::Relaxed);
        WriterStats {
            queued_now: c
                .accepted
                .load(Ordering::Relaxed)
                .saturating_sub(written.saturating_add(write_errors)),
            written,
            dropped: c.dropped.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            write_errors,
        }
    }

    /// Stops accepting, writes everything already queued, waits for the
    /// thread and returns the final counters. Idempotent; later submits
    /// are `Rejected` and counted as dropped. Blocks: from async code call
    /// it inside `spawn_blocking`.
    pub fn shutdown(&self) -> WriterStats {
        drop(
            self.tx
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let mut thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(handle) = thread.take() {
            if handle.join().is_err() {
                tracing::error!("the event writer thread panicked; queued events were lost");
            }
        }
        drop(thread);
        self.stats()
    }

    /// Tries to queue without waiting.
    fn try_send(&self, e: Event) -> Attempt {
        let guard = self.tx.read().unwrap_or_else(PoisonError::into_inner);
        let Some(tx) = guard.as_ref() else {
            drop(guard);
            return Attempt::Done(self.closed());
        };
        // Counted under the guard so shutdown cannot read final stats
        // between a successful send and its count.
        let outcome = match tx.try_send(Box::new(e)) {
            Ok(()) => Attempt::Done(self.queued()),
            Err(TrySendError::Full(e)) => match self.cfg.on_full {
                OnFull::Drop => Attempt::Done(self.dropped()),
                OnFull::Reject => {
                    self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                    Attempt::Done(Submitted::Rejected)
                }
                OnFull::Block => Attempt::FullUnderBlock(e),
            },
            Err(TrySendError::Closed(_)) => Attempt::Done(self.closed()),
        };
        drop(guard);
        outcome
    }

    fn sender(&self) -> Option<Sender<Box<Event>>> {
        self.tx
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn queued(&self) -> Submitted {
        self.counters.accepted.fetch_add(1, Ordering::Relaxed);
        Submitted::Queued
    }

    fn dropped(&self) -> Submitted {
        self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        Submitted::Dropped
    }

    fn closed(&self) -> Submitted {
        self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        Submitted::Rejected
    }
}

/// How long the writer may go without events before it stops polling and
/// blocks until the next one.
const IDLE_AFTER: Duration = Duration::from_secs(2);

/// The writer thread. While traffic flows it polls the queue every
/// `linger` and never needs waking: a sender that wakes a sleeping thread
/// pays a futex call and, on a virtual machine, an inter-processor
/// interrupt inside the request it is serving (measured: a good part of
/// the gateway's added latency against a slow upstream). After
/// [`IDLE_AFTER`] without events it blocks on the queue instead, so an
/// idle gateway costs nothing. Ends when every sender is gone and the
/// queue is empty, which is how shutdown drains.
fn run(
    store: &Store,
    mut rx: Receiver<Box<Event>>,
    batch_max: usize,
    linger: Duration,
    counters: &Counters,
) {
    use tokio::sync::mpsc::error::TryRecvError;
    let mut batch = Vec::new();
    let mut idle = Duration::ZERO;
    // Polling needs a pause; with no linger configured the writer blocks.
    let poll = !linger.is_zero();
    loop {
        let mut disconnected = false;
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(e) => batch.push(*e),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    disconnected = true;
                    break;
                }
            }
        }
        if !batch.is_empty() {
            write_batch(store, &batch, counters);
            batch.clear();
            idle = Duration::ZERO;
            continue;
        }
        if disconnected {
            return;
        }
        if poll && idle < IDLE_AFTER {
            std::thread::sleep(linger);
            idle += linger;
            continue;
        }
        match rx.blocking_recv() {
            Some(first) => {
                batch.push(*first);
                // Let a burst that woke us gather before writing it.
                if poll {
                    std::thread::sleep(linger);
                }
                idle = Duration::ZERO;
            }
            None => return,
        }
    }
}

fn write_batch(store: &Store, batch: &[Event], counters: &Counters) {
    let n = u64::try_from(batch.len()).unwrap_or(u64::MAX);
    let mut retries = RETRY_BACKOFF.iter();
    loop {
        match store.insert_events(batch) {
            Ok(_) => {
                counters.written.fetch_add(n, Ordering::Relaxed);
                return;
            }
            Err(e) => match retries.next() {
                Some(pause) => {
                    tracing::warn!(error = %e, events = n, retry_in = ?pause, "writing events failed; retrying");
                    std::thread::sleep(*pause);
                }
                None => {
                    counters.write_errors.fetch_add(n, Ordering::Relaxed);
                    tracing::error!(error = %e, events = n, "writing events failed after retries; these events are lost");
                    return;
                }
            },
        }
    }
}
