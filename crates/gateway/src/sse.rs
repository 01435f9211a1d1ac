//! Splitting a `text/event-stream` body into events while keeping each
//! event's exact bytes, so cleared events are forwarded byte for byte.
//! Hand-written because the SSE crates (eventsource-stream and friends)
//! parse fields but drop the raw frame, and re-encoding would change what
//! the client receives.

use bytes::{Bytes, BytesMut};

/// One event: its raw bytes (terminator included) and parsed fields.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    /// Exactly what the upstream sent for this event.
    pub raw: Bytes,
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// The event exceeded the size bound.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream event larger than {0} bytes")]
pub struct TooLarge(pub usize);

/// Incremental splitter.
#[derive(Debug)]
pub struct Splitter {
    buf: BytesMut,
    max: usize,
    /// Where the search for a terminator resumes (avoids rescanning).
    scanned: usize,
}

impl Splitter {
    /// A splitter that refuses events larger than `max` bytes.
    pub fn new(max: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            max,
            scanned: 0,
        }
    }

    /// Bytes received but not yet part of a complete event.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Feeds bytes; returns the events they complete.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, TooLarge> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = find_terminator(&self.buf, self.scanned) {
            let raw = self.buf.split_to(end).freeze();
            self.scanned = 0;
            out.push(parse(raw));
        }
        if self.buf.len() > self.max {
            return Err(TooLarge(self.max));
        }
        // A terminator can straddle chunks by up to 3 bytes.
        self.scanned = self.buf.len().saturating_sub(3);
        Ok(out)
    }
}

/// End (exclusive) of the first event: a blank line in any of the three
/// line-ending styles SSE allows.
fn find_terminator(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                if b.get(i + 1) == Some(&b'\n') {
                    return Some(i + 2);
                }
                if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                    return Some(i + 3);
                }
            }
            b'\r' => {
                if b.get(i + 1) == Some(&b'\r') {
                    return Some(i + 2);
                }
                if b.get(i + 1) == Some(&b'\n')
                    && b.get(i + 2) == Some(&b'\r')
                    && b.get(i + 3) == Some(&b'\n')
                {
                    return Some(i + 4);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse(raw: Bytes) -> SseEvent {
    let text = String::from_utf8_lossy(&raw);
    let mut event = None;
    let mut data: Option<String> = None;
    for line in text.split(['\n', '\r']) {
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => event = Some(value.to_string()),
            "data" => match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.to_string()),
            },
            _ => {}
        }
    }
    SseEvent {
        raw,
        event,
        data: data.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_across_chunks_and_keeps_raw_bytes() {
        let body =
            b"event: a\ndata: {\"x\":1}\n\n: comment\ndata: l1\ndata: l2\r\n\r\ndata: [DONE]\n\n";
        for cut in 0..body.len() {
            let mut s = Splitter::new(1 << 20);
            let mut evs = s.push(&body[..cut]).unwrap();
            evs.extend(s.push(&body[cut..]).unwrap());
            assert_eq!(evs.len(), 3, "cut at {cut}");
            assert_eq!(evs[0].event.as_deref(), Some("a"));
            assert_eq!(evs[0].data, "{\"x\":1}");
            assert_eq!(evs[1].data, "l1\nl2");
            assert_eq!(evs[2].data, "[DONE]");
            let joined: Vec<u8> = evs.iter().flat_map(|e| e.raw.to_vec()).collect();
            assert_eq!(joined, body.to_vec());
            assert!(s.pending().is_empty());
        }
    }

    #[test]
    fn bounds_event_size() {
        let mut s = Splitter::new(16);
        assert!(s.push(b"data: 0123456789abcdefghij").is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 7u64;
        for _ in 0..2000 {
            let mut s = Splitter::new(4096);
            let n = (seed % 64) as usize;
            let chunk: Vec<u8> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    [b'\n', b'\r', b':', b'd', b'a', b't', 0xff, b' '][(seed >> 61) as usize]
                })
                .collect();
            let _ = s.push(&chunk);
        }
    }
}
