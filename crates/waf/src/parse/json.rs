//! JSON bodies: every string leaf becomes a target named by its JSON path
//! (`JSON:messages[0].content`), every object key a `JSON_NAMES:` target.
//!
//! The body is walked while serde_json reads it, not parsed into a
//! `Value` first: a gateway request's 1 KB chat body cost more in building
//! and dropping that tree (and in `format!`-ing a fresh path per node) than
//! in everything the WAF then checks, and on a request that follows an
//! idle upstream wait every extra function is a cache miss. Keys come in
//! document order, and a key that occurs twice is inspected twice (a tree
//! keeps only one of its values, which let a payload hide behind a
//! harmless duplicate).

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt::Write;

use crate::normalize::{decode_bytes, NormFlags};
use crate::parse::Sink;
use crate::request::TargetKind;

/// Parse a JSON body; invalid JSON is an anomaly and the body is scanned raw.
pub(crate) fn parse_json(body: &[u8], sink: &mut Sink<'_>) {
    // Targets go to a fork first: JSON found invalid half-way through
    // yields the raw body alone, as if nothing had been read.
    let mut walk = Walk {
        sink: sink.fork(),
        path: String::new(),
        depth: 0,
        depth_hit: false,
    };
    // serde_json has its own recursion limit (128), so hostile nesting cannot
    // overflow the stack here; `max_depth` bounds the walk further.
    let mut de = serde_json::Deserializer::from_slice(body);
    let read = (&mut walk).deserialize(&mut de).and_then(|()| de.end());
    match read {
        Ok(()) => {
            let depth_hit = walk.depth_hit;
            sink.join(walk.sink);
            if depth_hit {
                sink.anomaly(
                    "limit_depth",
                    format!("JSON deeper than {}", sink.limits.max_depth),
                );
            }
        }
        Err(e) => {
            sink.anomaly("json_invalid", e.to_string());
            let mut f = NormFlags::default();
            sink.arg(
                "REQUEST_BODY".to_string(),
                TargetKind::RawBody,
                decode_bytes(body, &mut f),
            );
        }
    }
}

/// The walk's state: the path of the value being read (one buffer, grown
/// and cut back as the walk goes down and up) and its depth.
struct Walk<'l> {
    sink: Sink<'l>,
    path: String,
    depth: usize,
    depth_hit: bool,
}

impl Walk<'_> {
    /// A value deeper than the limit is read past, not inspected.
    fn too_deep(&mut self) -> bool {
        if self.depth > self.sink.limits.max_depth {
            self.depth_hit = true;
            return true;
        }
        false
    }

    fn leaf(&mut self, value: String) {
        if self.too_deep() {
            return;
        }
        let name = if self.path.is_empty() {
            "JSON:$".to_string()
        } else {
            let mut n = String::with_capacity(5 + self.path.len());
            n.push_str("JSON:");
            n.push_str(&self.path);
            n
        };
        self.sink.arg(name, TargetKind::ArgValue, value);
    }

    fn scalar(&mut self) {
        let _ = self.too_deep();
    }
}

impl<'de> DeserializeSeed<'de> for &mut Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Visitor methods for scalar values, which are read past.
macro_rules! scalars {
    ($($name:ident($ty:ty)),* $(,)?) => {
        $(fn $name<E>(self, _: $ty) -> Result<(), E> {
            self.scalar();
            Ok(())
        })*
    };
}

impl<'de> Visitor<'de> for &mut Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.leaf(v.to_string());
        Ok(())
    }

    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.leaf(v);
        Ok(())
    }

    // Numbers, booleans and null cannot carry injection payloads by
    // themselves; they only count towards the depth limit.
    scalars! {
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.scalar();
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.too_deep() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let at = self.path.len();
        let mut i = 0usize;
        loop {
            self.path.truncate(at);
            // Writing into a String cannot fail.
            let _ = write!(self.path, "[{i}]");
            self.depth += 1;
            let more = seq.next_element_seed(&mut *self);
            self.depth -= 1;
            if more?.is_none() {
                break;
            }
            i += 1;
        }
        self.path.truncate(at);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.too_deep() {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let at = self.path.len();
        while let Some(key) = map.next_key::<String>()? {
            self.path.truncate(at);
            if at > 0 {
                self.path.push('.');
            }
            self.path.push_str(&key);
            let mut name = String::with_capacity(11 + self.path.len());
            name.push_str("JSON_NAMES:");
            name.push_str(&self.path);
            self.sink.arg(name, TargetKind::ArgName, key);
            self.depth += 1;
            let value = map.next_value_seed(&mut *self);
            self.depth -= 1;
            value?;
        }
        self.path.truncate(at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    fn targets<'l>(body: &[u8], limits: &'l Limits) -> Sink<'l> {
        let mut sink = Sink::new(limits);
        parse_json(body, &mut sink);
        sink
    }

    #[test]
    fn json_paths() {
        let limits = Limits::default();
        let sink = targets(
            br#"{"messages":[{"role":"user","content":"hi"}],"n":1}"#,
            &limits,
        );
        let names: Vec<(&str, &str)> = sink
            .targets
            .iter()
            .map(|t| (t.name.as_str(), t.value.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("JSON_NAMES:messages", "messages"),
                ("JSON_NAMES:messages[0].role", "role"),
                ("JSON:messages[0].role", "user"),
                ("JSON_NAMES:messages[0].content", "content"),
                ("JSON:messages[0].content", "hi"),
                ("JSON_NAMES:n", "n"),
            ]
        );
        let root = targets(br#""just a string""#, &limits);
        assert_eq!(root.targets[0].name, "JSON:$");
        let arrays = targets(br#"[["a"],{"k":["b"]}]"#, &limits);
        let names: Vec<&str> = arrays.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["JSON:[0][0]", "JSON_NAMES:[1].k", "JSON:[1].k[0]"]);
    }

    #[test]
    fn escaped_strings_and_duplicate_keys() {
        let limits = Limits::default();
        let sink = targets(br#"{"q":"a\u0027 OR 1=1--","q":"fine"}"#, &limits);
        let values: Vec<&str> = sink
            .targets
            .iter()
            .filter(|t| t.name == "JSON:q")
            .map(|t| t.value.as_str())
            .collect();
        assert_eq!(values, ["a' OR 1=1--", "fine"]);
    }

    #[test]
    fn deep_json_bounded() {
        let limits = Limits {
            max_depth: 4,
            ..Limits::default()
        };
        let body = format!("{}\"deep\"{}", "[".repeat(10), "]".repeat(10));
        let sink = targets(body.as_bytes(), &limits);
        assert!(sink.anomalies.iter().any(|a| a.code == "limit_depth"));
        assert!(sink.targets.is_empty());
        // At the limit itself values are still read.
        let body = format!("{}\"ok\"{}", "[".repeat(4), "]".repeat(4));
        let sink = targets(body.as_bytes(), &limits);
        assert!(!sink.anomalies.iter().any(|a| a.code == "limit_depth"));
        assert_eq!(sink.targets[0].value, "ok");
    }

    #[test]
    fn invalid_json_keeps_only_the_raw_body() {
        let limits = Limits::default();
        for body in [
            &br#"{"a":"x","b":"y""#[..],
            br#"{"a":"x"} trailing"#,
            br#"{"a":"x",}"#,
            b"\xff",
        ] {
            let sink = targets(body, &limits);
            assert!(sink.anomalies.iter().any(|a| a.code == "json_invalid"));
            assert_eq!(sink.targets.len(), 1, "{body:?}");
            assert_eq!(sink.targets[0].name, "REQUEST_BODY");
        }
    }

    #[test]
    fn argument_limit_spans_the_body() {
        let limits = Limits {
            max_args: 3,
            ..Limits::default()
        };
        let sink = targets(br#"{"a":"1","b":"2","c":"3"}"#, &limits);
        assert_eq!(sink.targets.len(), 3);
        assert_eq!(
            sink.anomalies
                .iter()
                .filter(|a| a.code == "limit_args")
                .count(),
            1
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::config::Limits;
    use proptest::prelude::*;
    use serde_json::Value;

    /// What the walk must find, read off a parsed tree: a leaf per
    /// string, a name per key, in the order the text holds them.
    fn oracle(v: &Value, path: &str, depth: usize, max: usize, out: &mut Vec<(String, String)>) {
        if depth > max {
            return;
        }
        match v {
            Value::String(s) => out.push((
                if path.is_empty() {
                    "JSON:$".into()
                } else {
                    format!("JSON:{path}")
                },
                s.clone(),
            )),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    oracle(item, &format!("{path}[{i}]"), depth + 1, max, out);
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    let child = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    out.push((format!("JSON_NAMES:{child}"), k.clone()));
                    oracle(item, &child, depth + 1, max, out);
                }
            }
            _ => {}
        }
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            "[ -~é\u{4e2d}\"\\\\\n]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 48, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z.\\[\\] ]{0,6}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn walking_while_reading_finds_what_a_tree_holds(v in value(), max in 1usize..8) {
            let limits = Limits { max_depth: max, ..Limits::default() };
            let body = serde_json::to_vec(&v).unwrap_or_default();
            let mut sink = Sink::new(&limits);
            parse_json(&body, &mut sink);
            let got: Vec<(String, String)> = sink
                .targets
                .iter()
                .map(|t| (t.name.clone(), t.value.clone()))
                .collect();
            let mut want = Vec::new();
            oracle(&v, "", 0, max, &mut want);
            prop_assert_eq!(got, want);
        }
    }
}
