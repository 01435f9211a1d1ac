//! Property tests for the parsers that read untrusted bytes: request and
//! answer bodies of any JSON shape, and SSE streams split anywhere.

use palisade_gateway::answer::{answer_pieces, filter_answer, usage, StreamMeta};
use palisade_gateway::extract::{input_pieces, Api};
use palisade_gateway::inspect::apply_masks;
use palisade_gateway::sse::Splitter;
use proptest::prelude::*;
use serde_json::Value;

const APIS: [Api; 5] = [
    Api::Chat,
    Api::Completions,
    Api::Embeddings,
    Api::Responses,
    Api::Messages,
];

fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("messages".to_string()),
        Just("content".to_string()),
        Just("role".to_string()),
        Just("type".to_string()),
        Just("text".to_string()),
        Just("choices".to_string()),
        Just("delta".to_string()),
        Just("input".to_string()),
        Just("tools".to_string()),
        Just("output".to_string()),
        Just("usage".to_string()),
        "[a-z_]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("user".to_string()),
            Just("tool".to_string()),
            Just("tool_result".to_string()),
            Just("message".to_string()),
            Just("content_block_delta".to_string()),
            ".{0,40}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_body_shape_is_read_without_panicking(v in json_value()) {
        for api in APIS {
            let pieces = input_pieces(api, &v);
            // Every pointer handed out points at the string it came from.
            for p in &pieces {
                if let Some(ptr) = &p.pointer {
                    prop_assert_eq!(v.pointer(ptr).and_then(Value::as_str), Some(p.text.as_str()));
                }
            }
            let mut masked = v.clone();
            let masks: Vec<(String, String)> = pieces.iter().filter_map(|p| p.pointer.clone()).map(|p| (p, "X".into())).collect();
            apply_masks(&mut masked, &masks);
            for (ptr, _) in &masks {
                prop_assert_eq!(masked.pointer(ptr).and_then(Value::as_str), Some("X"));
            }
            let _ = answer_pieces(api, &v);
            let _ = usage(api, &v);
            let mut f = v.clone();
            filter_answer(api, &mut f);
            let mut meta = StreamMeta::default();
            let _ = meta.observe(api, None, &v.to_string());
            let _ = meta.cut_frames(api);
            let _ = meta.error_frame(api, "x", "y");
        }
    }

    #[test]
    fn sse_split_anywhere_gives_the_same_events(
        events in prop::collection::vec(("[a-z.]{0,10}", "[ -~]{0,30}"), 1..8),
        cuts in prop::collection::vec(0usize..400, 0..6),
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let body: String = events
            .iter()
            .map(|(e, d)| format!("event: {e}{nl}data: {d}{nl}{nl}"))
            .collect();
        let bytes = body.as_bytes();
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut s = Splitter::new(1 << 16);
        let mut got = Vec::new();
        let mut at = 0;
        for p in points.into_iter().chain([bytes.len()]) {
            got.extend(s.push(&bytes[at..p]).unwrap());
            at = p;
        }
        prop_assert_eq!(got.len(), events.len());
        for (g, (e, d)) in got.iter().zip(&events) {
            prop_assert_eq!(g.event.as_deref().unwrap_or(""), e.as_str());
            prop_assert_eq!(g.data.trim_end(), d.trim_end());
        }
        let joined: Vec<u8> = got.iter().flat_map(|g| g.raw.to_vec()).collect();
        prop_assert_eq!(joined, bytes.to_vec());
    }

    #[test]
    fn sse_arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let mut s = Splitter::new(256);
        for c in chunks {
            if s.push(&c).is_err() {
                break;
            }
        }
    }
}
