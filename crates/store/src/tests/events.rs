use super::sample;
use crate::{EventQuery, Store, DEFAULT_LIMIT, MAX_LIMIT};
use palisade_core::{
    Action, Category, Direction, Event, Finding, Severity, StageLatency, Tier, TokenCounts,
};

fn store_with(n: i64) -> (Store, Vec<Event>) {
    let store = Store::open_in_memory().unwrap();
    let events: Vec<Event> = (1..=n).map(sample).collect();
    let ids = store.insert_events(&events).unwrap();
    assert_eq!(ids.len(), events.len());
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascend: {ids:?}");
    (store, events)
}

/// The `i` values (see `sample`) of the events a query returns, in order.
fn indices(store: &Store, q: &EventQuery) -> Vec<i64> {
    let page = store.query_events(q).unwrap();
    page.events.iter().map(|e| e.time_ms - 1_000).collect()
}

fn all(q: EventQuery) -> EventQuery {
    EventQuery {
        limit: Some(MAX_LIMIT),
        ..q
    }
}

#[test]
fn round_trips_every_field_newest_first() {
    let (store, events) = store_with(30);
    let page = store.query_events(&all(EventQuery::default())).unwrap();
    assert_eq!(page.events.len(), 30);
    assert_eq!(page.next_before_id, None);
    for (got, want) in page.events.iter().zip(events.iter().rev()) {
        assert!(got.id.is_some());
        assert_eq!(
            Event {
                id: None,
                ..got.clone()
            },
            *want
        );
    }
    assert_eq!(store.count_events().unwrap(), 30);
}

#[test]
fn round_trips_a_fully_populated_event() {
    let store = Store::open_in_memory().unwrap();
    let e = Event {
        time_ms: 42,
        source: "gateway".into(),
        request_id: "r".into(),
        route: "/v1/messages".into(),
        key_id: Some("abc".into()),
        client_addr: Some("[::1]:1".into()),
        model: Some("m".into()),
        upstream: Some("openai".into()),
        direction: Direction::Output,
        action: Action::Mask,
        flagged: true,
        categories: vec![Category::Pii],
        tier: Some(Tier::Model),
        findings: vec![Finding {
            detector: "model.pii".into(),
            category: Category::Pii,
            severity: Severity::Medium,
            score: 0.75,
            tier: Tier::Model,
            span: None,
            message: Some("an email address".into()),
        }],
        status: 200,
        stream: true,
        latency: StageLatency {
            guard_input_us: 1,
            guard_output_us: 2,
            upstream_us: 3,
            total_us: 6,
        },
        tokens: TokenCounts {
            prompt: Some(10),
            completion: Some(20),
        },
        error: Some("none".into()),
        message: Some("détail ✓".into()),
        id: None,
    };
    let ids = store.insert_events(std::slice::from_ref(&e)).unwrap();
    let page = store.query_events(&EventQuery::default()).unwrap();
    assert_eq!(
        page.events,
        vec![Event {
            id: Some(ids[0]),
            ..e
        }]
    );
}

#[test]
fn empty_batch_writes_nothing() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.insert_events(&[]).unwrap(), Vec::<i64>::new());
    assert_eq!(store.count_events().unwrap(), 0);
    let page = store.query_events(&EventQuery::default()).unwrap();
    assert!(page.events.is_empty());
    assert_eq!(page.next_before_id, None);
}

#[test]
fn every_filter_selects_exactly_its_events() {
    let (store, _) = store_with(30);
    let expect = |q: EventQuery, pred: &dyn Fn(i64) -> bool| {
        let want: Vec<i64> = (1..=30).rev().filter(|&i| pred(i)).collect();
        assert_eq!(indices(&store, &all(q.clone())), want, "{q:?}");
    };
    expect(
        EventQuery {
            since_ms: Some(1_005),
            until_ms: Some(1_010),
            ..Default::default()
        },
        &|i| (5..10).contains(&i),
    );
    expect(
        EventQuery {
            action: Some(Action::Block),
            ..Default::default()
        },
        &|i| i % 3 == 0,
    );
    expect(
        EventQuery {
            flagged: Some(true),
            ..Default::default()
        },
        &|i| i % 3 == 0,
    );
    expect(
        EventQuery {
            flagged: Some(false),
            ..Default::default()
        },
        &|i| i % 3 != 0,
    );
    expect(
        EventQuery {
            key_id: Some("k5".into()),
            ..Default::default()
        },
        &|i| i % 5 == 0,
    );
    expect(
        EventQuery {
            category: Some(Category::Jailbreak),
            ..Default::default()
        },
        &|i| i % 3 == 0,
    );
    expect(
        EventQuery {
            category: Some(Category::Pii),
            ..Default::default()
        },
        &|_| false,
    );
    expect(
        EventQuery {
            direction: Some(Direction::Output),
            ..Default::default()
        },
        &|i| i % 2 == 1,
    );
    expect(
        EventQuery {
            request_id: Some("req-3".into()),
            ..Default::default()
        },
        &|i| i / 2 == 3,
    );
    expect(
        EventQuery {
            source: Some("guard_api".into()),
            ..Default::default()
        },
        &|i| i % 7 == 0,
    );
    expect(
        EventQuery {
            action: Some(Action::Block),
            direction: Some(Direction::Input),
            since_ms: Some(1_010),
            ..Default::default()
        },
        &|i| i % 6 == 0 && i >= 10,
    );
}

#[test]
fn filter_values_are_bound_not_spliced() {
    let (store, _) = store_with(5);
    for evil in ["x' OR '1'='1", "%", "k5' --", "\"; DROP TABLE events; --"] {
        let q = EventQuery {
            key_id: Some(evil.into()),
            ..Default::default()
        };
        assert!(store.query_events(&q).unwrap().events.is_empty(), "{evil}");
    }
    assert_eq!(store.count_events().unwrap(), 5);
}

#[test]
fn pages_with_before_id_cover_everything_once() {
    let (store, _) = store_with(30);
    let mut q = EventQuery {
        limit: Some(10),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.query_events(&q).unwrap();
        pages += 1;
        assert_eq!(page.events.len(), 10);
        seen.extend(page.events.iter().map(|e| e.id.unwrap()));
        match page.next_before_id {
            Some(next) => {
                assert_eq!(Some(next), page.events.last().and_then(|e| e.id));
                q.before_id = Some(next);
            }
            None => break,
        }
        assert!(pages < 3, "the third page must be the last");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 30);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );

    // A filtered paging run stops as soon as the matches run out.
    let q = EventQuery {
        action: Some(Action::Block),
        limit: Some(4),
        ..Default::default()
    };
    let first = store.query_events(&q).unwrap();
    assert_eq!(first.events.len(), 4);
    let q = EventQuery {
        before_id: first.next_before_id,
        ..q
    };
    let second = store.query_events(&q).unwrap();
    assert_eq!(second.events.len(), 4);
    let q = EventQuery {
        before_id: second.next_before_id,
        ..q
    };
    let third = store.query_events(&q).unwrap();
    assert_eq!(third.events.len(), 2);
    assert_eq!(third.next_before_id, None);
}

#[test]
fn limit_defaults_and_clamps() {
    let store = Store::open_in_memory().unwrap();
    let events: Vec<Event> = (0..1_100).map(sample).collect();
    store.insert_events(&events).unwrap();
    let len = |limit| {
        let q = EventQuery {
            limit,
            ..Default::default()
        };
        let page = store.query_events(&q).unwrap();
        assert!(page.next_before_id.is_some());
        page.events.len()
    };
    assert_eq!(len(None), DEFAULT_LIMIT as usize);
    assert_eq!(len(Some(5_000)), MAX_LIMIT as usize);
    assert_eq!(len(Some(u32::MAX)), MAX_LIMIT as usize);
    assert_eq!(len(Some(0)), 1);
    assert_eq!(len(Some(7)), 7);
}

#[test]
fn query_deserialises_from_a_query_string() {
    let q: EventQuery = serde_urlencoded::from_str(
        "since_ms=5&until_ms=9&action=block&flagged=true&key_id=k5&category=prompt_injection\
         &direction=output&request_id=r&source=gateway&before_id=77&limit=50",
    )
    .unwrap();
    assert_eq!(
        q,
        EventQuery {
            since_ms: Some(5),
            until_ms: Some(9),
            action: Some(Action::Block),
            flagged: Some(true),
            key_id: Some("k5".into()),
            category: Some(Category::PromptInjection),
            direction: Some(Direction::Output),
            request_id: Some("r".into()),
            source: Some("gateway".into()),
            before_id: Some(77),
            limit: Some(50),
        }
    );
    assert_eq!(
        serde_urlencoded::from_str::<EventQuery>("").unwrap(),
        EventQuery::default()
    );
    assert!(serde_urlencoded::from_str::<EventQuery>("action=explode").is_err());
}

#[test]
fn page_serialises_for_the_api() {
    let (store, _) = store_with(3);
    let page = store
        .query_events(&EventQuery {
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    let json = serde_json::to_value(&page).unwrap();
    assert_eq!(json["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["events"][0]["id"], serde_json::json!(3));
    assert_eq!(json["next_before_id"], serde_json::json!(2));
}
