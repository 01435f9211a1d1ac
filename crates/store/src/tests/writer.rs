use super::sample;
use crate::{EventWriter, OnFull, Store, Submitted, WriterConfig, WriterStats};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn writer(store: &Arc<Store>, capacity: usize, on_full: OnFull) -> EventWriter {
    EventWriter::spawn(
        Arc::clone(store),
        WriterConfig {
            capacity,
            batch_max: 1,
            on_full,
            block_timeout: Duration::from_millis(50),
            linger: Duration::ZERO,
        },
    )
}

/// Holds the store's connection on another thread until the returned
/// sender is dropped or signalled, so the writer thread stalls on its
/// first batch and the queue fills deterministically.
fn stall(store: &Arc<Store>) -> (std_mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (locked_tx, locked_rx) = std_mpsc::channel();
    let (release_tx, release_rx) = std_mpsc::channel::<()>();
    let store = Arc::clone(store);
    let handle = std::thread::spawn(move || {
        let _guard = store.conn();
        locked_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    locked_rx.recv().unwrap();
    (release_tx, handle)
}

/// Submits until `held` events are accepted: with `batch_max` 1 that is
/// one taken by the stalled thread plus a full queue, so the next submit
/// meets a full queue for certain.
fn fill(w: &EventWriter, held: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while w.stats().queued_now < held {
        assert!(
            Instant::now() < deadline,
            "queue never filled: {:?}",
            w.stats()
        );
        let _ = w.try_submit(sample(0));
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn writer_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<EventWriter>();
    check::<Store>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submits_are_all_written() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = Arc::new(EventWriter::spawn(
        Arc::clone(&store),
        WriterConfig::default(),
    ));
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let w = Arc::clone(&w);
            tokio::spawn(async move {
                for i in 0..625 {
                    assert_eq!(w.submit(sample(t * 1_000 + i)).await, Submitted::Queued);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let w2 = Arc::clone(&w);
    let stats = tokio::task::spawn_blocking(move || w2.shutdown())
        .await
        .unwrap();
    assert_eq!(
        stats,
        WriterStats {
            queued_now: 0,
            written: 5_000,
            dropped: 0,
            rejected: 0,
            write_errors: 0,
        }
    );
    assert_eq!(store.count_events().unwrap(), 5_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_applies_backpressure_without_loss() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = Arc::new(EventWriter::spawn(
        Arc::clone(&store),
        WriterConfig {
            capacity: 16,
            batch_max: 8,
            on_full: OnFull::Block,
            block_timeout: Duration::from_secs(10),
            linger: Duration::ZERO,
        },
    ));
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let w = Arc::clone(&w);
            tokio::spawn(async move {
                for i in 0..500 {
                    assert_eq!(w.submit(sample(t * 1_000 + i)).await, Submitted::Queued);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let w2 = Arc::clone(&w);
    let stats = tokio::task::spawn_blocking(move || w2.shutdown())
        .await
        .unwrap();
    assert_eq!((stats.written, stats.dropped), (2_000, 0));
    assert_eq!(store.count_events().unwrap(), 2_000);
}

#[test]
fn drop_discards_and_counts_when_full() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = writer(&store, 4, OnFull::Drop);
    let (release, holder) = stall(&store);
    let outcomes: Vec<Submitted> = (0..50).map(|i| w.try_submit(sample(i))).collect();
    let queued = outcomes.iter().filter(|&&s| s == Submitted::Queued).count() as u64;
    let dropped = outcomes
        .iter()
        .filter(|&&s| s == Submitted::Dropped)
        .count() as u64;
    // 4 in the queue, plus at most the one the stalled thread took out.
    assert!((4..=5).contains(&queued), "{outcomes:?}");
    assert_eq!(queued + dropped, 50);
    let stats = w.stats();
    assert_eq!(stats.dropped, dropped);
    assert_eq!(stats.queued_now, queued);
    assert_eq!(stats.written, 0);

    drop(release);
    holder.join().unwrap();
    let stats = w.shutdown();
    assert_eq!(stats.written, queued);
    assert_eq!(stats.written + stats.dropped, 50);
    assert_eq!(stats.queued_now, 0);
    assert_eq!(store.count_events().unwrap(), queued);
}

#[test]
fn reject_tells_the_caller_when_full() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = writer(&store, 4, OnFull::Reject);
    let (release, holder) = stall(&store);
    let outcomes: Vec<Submitted> = (0..20).map(|i| w.try_submit(sample(i))).collect();
    let queued = outcomes.iter().filter(|&&s| s == Submitted::Queued).count() as u64;
    let rejected = outcomes
        .iter()
        .filter(|&&s| s == Submitted::Rejected)
        .count() as u64;
    assert!((4..=5).contains(&queued), "{outcomes:?}");
    assert_eq!(queued + rejected, 20);
    assert_eq!(w.stats().rejected, rejected);
    assert_eq!(w.stats().dropped, 0);
    drop(release);
    holder.join().unwrap();
    assert_eq!(w.shutdown().written, queued);
}

#[tokio::test]
async fn reject_via_async_submit() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = writer(&store, 1, OnFull::Reject);
    let (release, holder) = stall(&store);
    let mut outcomes = Vec::new();
    for i in 0..5 {
        outcomes.push(w.submit(sample(i)).await);
    }
    // One event fits the queue and the stalled writer may already hold
    // another in hand, taken at any moment: which submission that frees a
    // slot for is a race, how many are turned away is not.
    let queued = outcomes.iter().filter(|&&s| s == Submitted::Queued).count();
    assert_eq!(outcomes.first(), Some(&Submitted::Queued), "{outcomes:?}");
    assert!((1..=2).contains(&queued), "{outcomes:?}");
    assert_eq!(w.stats().rejected, 5 - queued as u64, "{outcomes:?}");
    drop(release);
    holder.join().unwrap();
    let stats = tokio::task::spawn_blocking(move || w.shutdown())
        .await
        .unwrap();
    assert_eq!(stats.written, queued as u64);
}

#[tokio::test]
async fn block_waits_asynchronously_then_drops() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = writer(&store, 1, OnFull::Block);
    let (release, holder) = stall(&store);
    fill(&w, 2);
    let dropped_before = w.stats().dropped;

    let start = Instant::now();
    let ((outcome, submit_done), other_ran) = tokio::join!(
        async {
            let r = w.submit(sample(1)).await;
            (r, Instant::now())
        },
        async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Instant::now()
        }
    );
    assert_eq!(outcome, Submitted::Dropped);
    assert!(start.elapsed() >= Duration::from_millis(50));
    // On this single-threaded runtime the other task could only run while
    // submit was waiting if the wait did not block the thread.
    assert!(other_ran < submit_done);
    assert_eq!(w.stats().dropped, dropped_before + 1);

    // try_submit never waits, even under Block.
    let start = Instant::now();
    assert_eq!(w.try_submit(sample(2)), Submitted::Dropped);
    assert!(start.elapsed() < Duration::from_millis(50));

    drop(release);
    holder.join().unwrap();
    tokio::task::spawn_blocking(move || w.shutdown())
        .await
        .unwrap();
}

#[tokio::test]
async fn block_succeeds_once_room_appears() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = EventWriter::spawn(
        Arc::clone(&store),
        WriterConfig {
            capacity: 1,
            batch_max: 1,
            on_full: OnFull::Block,
            block_timeout: Duration::from_secs(10),
            linger: Duration::ZERO,
        },
    );
    let (release, holder) = stall(&store);
    fill(&w, 2);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        drop(release);
        holder.join().unwrap();
    });
    assert_eq!(w.submit(sample(1)).await, Submitted::Queued);
    releaser.join().unwrap();
    let stats = tokio::task::spawn_blocking(move || w.shutdown())
        .await
        .unwrap();
    assert_eq!(stats.queued_now, 0);
    assert_eq!(store.count_events().unwrap(), stats.written);
}

#[tokio::test]
async fn after_shutdown_submits_are_rejected() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    for on_full in [OnFull::Drop, OnFull::Block, OnFull::Reject] {
        let w = Arc::new(writer(&store, 8, on_full));
        assert_eq!(w.submit(sample(1)).await, Submitted::Queued);
        let w2 = Arc::clone(&w);
        let first = tokio::task::spawn_blocking(move || w2.shutdown())
            .await
            .unwrap();
        assert_eq!(first.written, 1);
        assert_eq!(w.submit(sample(2)).await, Submitted::Rejected);
        assert_eq!(w.try_submit(sample(3)), Submitted::Rejected);
        let w2 = Arc::clone(&w);
        let second = tokio::task::spawn_blocking(move || w2.shutdown())
            .await
            .unwrap();
        assert_eq!(second.written, 1);
        assert_eq!(second.dropped, 2, "post-shutdown submits count as dropped");
        assert_eq!(second.rejected, 0);
    }
    assert_eq!(store.count_events().unwrap(), 3);
}

#[test]
fn concurrent_shutdowns_both_wait_for_the_drain() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = Arc::new(writer(&store, 1_000, OnFull::Drop));
    for i in 0..500 {
        assert_eq!(w.try_submit(sample(i)), Submitted::Queued);
    }
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let w = Arc::clone(&w);
            std::thread::spawn(move || w.shutdown())
        })
        .collect();
    for h in handles {
        let stats = h.join().unwrap();
        assert_eq!((stats.written, stats.queued_now), (500, 0));
    }
}

#[test]
fn failed_writes_are_retried() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = writer(&store, 8, OnFull::Drop);
    store
        .conn()
        .execute_batch("ALTER TABLE events RENAME TO events_away")
        .unwrap();
    assert_eq!(w.try_submit(sample(1)), Submitted::Queued);
    // The first attempt fails at once; the retry after 50 ms fails too;
    // the one after a further 200 ms finds the table back.
    std::thread::sleep(Duration::from_millis(120));
    assert_eq!(w.stats().written, 0);
    store
        .conn()
        .execute_batch("ALTER TABLE events_away RENAME TO events")
        .unwrap();
    let stats = w.shutdown();
    assert_eq!((stats.written, stats.write_errors), (1, 0));
    assert_eq!(store.count_events().unwrap(), 1);
}

#[test]
fn writes_that_keep_failing_are_counted_not_lost_silently() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = EventWriter::spawn(
        Arc::clone(&store),
        WriterConfig {
            batch_max: 100,
            ..WriterConfig::default()
        },
    );
    store.conn().execute_batch("DROP TABLE events").unwrap();
    for i in 0..3 {
        assert_eq!(w.try_submit(sample(i)), Submitted::Queued);
    }
    let stats = w.shutdown();
    assert_eq!(stats.written, 0);
    assert_eq!(stats.write_errors, 3);
    assert_eq!(stats.queued_now, 0);
}

#[test]
fn degenerate_config_is_clamped() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let w = EventWriter::spawn(
        Arc::clone(&store),
        WriterConfig {
            capacity: 0,
            batch_max: 0,
            ..WriterConfig::default()
        },
    );
    assert_eq!((w.config().capacity, w.config().batch_max), (1, 1));
    for i in 0..20 {
        let _ = w.try_submit(sample(i));
    }
    let stats = w.shutdown();
    assert_eq!(stats.written + stats.dropped, 20);
    assert_eq!(store.count_events().unwrap(), stats.written);
}

#[test]
fn config_and_stats_use_snake_case() {
    let on_full: OnFull = serde_json::from_str("\"reject\"").unwrap();
    assert_eq!(on_full, OnFull::Reject);
    assert!(serde_json::from_str::<OnFull>("\"explode\"").is_err());
    let json = serde_json::to_value(WriterStats::default()).unwrap();
    for field in [
        "queued_now",
        "written",
        "dropped",
        "rejected",
        "write_errors",
    ] {
        assert_eq!(json[field], 0, "{field}");
    }
}
