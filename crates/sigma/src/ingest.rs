//! Log ingestion: EVTX files (via the `evtx` crate) and JSON / JSONL.
//!
//! Both readers are lazy iterators that report a bad chunk, record or line
//! as an `Err` item and carry on with the next one.

use crate::error::IngestError;
use crate::event::Event;
use evtx::{EvtxParser, ParserSettings};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// Default cap on one JSONL line.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// After this many record errors in one chunk the rest of the chunk is
/// skipped: the chunk is corrupt and each record would fail the same way.
const MAX_ERRORS_PER_CHUNK: usize = 16;

struct EvtxIter {
    chunks: Option<evtx::IntoIterChunks<File>>,
    settings: Arc<ParserSettings>,
    pending: VecDeque<Result<Event, IngestError>>,
}

impl Iterator for EvtxIter {
    type Item = Result<Event, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(x) = self.pending.pop_front() {
                return Some(x);
            }
            let chunk = self.chunks.as_mut()?.next();
            let Some(chunk) = chunk else {
                self.chunks = None;
                return None;
            };
            match chunk {
                Err(e) => self
                    .pending
                    .push_back(Err(IngestError::Evtx(e.to_string()))),
                Ok(mut data) => match data.parse(Arc::clone(&self.settings)) {
                    Err(e) => self
                        .pending
                        .push_back(Err(IngestError::Evtx(e.to_string()))),
                    Ok(mut parsed) => {
                        let mut errors = 0;
                        for rec in parsed.iter() {
                            match rec.and_then(|r| r.into_json_value()) {
                                Ok(r) => self
                                    .pending
                                    .push_back(Ok(Event::from_json_ref(&r.data, None))),
                                Err(e) => {
                                    errors += 1;
                                    self.pending
                                        .push_back(Err(IngestError::Evtx(e.to_string())));
                                    if errors >= MAX_ERRORS_PER_CHUNK {
                                        break;
                                    }
                                }
                            }
                        }
                    }
                },
            }
        }
    }
}

/// Reads an EVTX file record by record. Records are rendered with the
/// `#attributes` JSON layout (`Event.System.Provider.#attributes.Name`).
pub fn read_evtx(path: impl AsRef<Path>) -> impl Iterator<Item = Result<Event, IngestError>> {
    let path = path.as_ref();
    let settings = ParserSettings::new()
        .num_threads(1)
        .separate_json_attributes(false);
    let mut pending = VecDeque::new();
    let chunks = match EvtxParser::from_path(path) {
        Ok(p) => Some(p.with_configuration(settings.clone()).into_chunks()),
        Err(e) => {
            pending.push_back(Err(IngestError::Io {
                path: path.display().to_string(),
                reason: e.to_string(),
            }));
            None
        }
    };
    EvtxIter {
        chunks,
        settings: Arc::new(settings),
        pending,
    }
}

struct JsonlIter<R> {
    reader: R,
    line: u64,
    cap: usize,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> JsonlIter<R> {
    /// Reads one line into `buf`, up to `cap` bytes; returns (bytes
    /// consumed, overflowed). Overlong lines are drained, not buffered.
    fn read_line(&mut self) -> std::io::Result<(usize, bool)> {
        self.buf.clear();
        let mut total = 0usize;
        let mut overflow = false;
        loop {
            let avail = self.reader.fill_buf()?;
            if avail.is_empty() {
                return Ok((total, overflow));
            }
            let (take, end) = match avail.iter().position(|b| *b == b'\n') {
                Some(p) => (p + 1, true),
                None => (avail.len(), false),
            };
            let slice = avail.get(..take).unwrap_or(&[]);
            if !overflow {
                if self.buf.len() + slice.len() > self.cap + 1 {
                    overflow = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(slice);
                }
            }
            total += take;
            self.reader.consume(take);
            if end {
                return Ok((total, overflow));
            }
        }
    }
}

impl<R: BufRead> Iterator for JsonlIter<R> {
    type Item = Result<Event, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let (n, overflow) = match self.read_line() {
                Ok(x) => x,
                Err(e) => {
                    self.done = true;
                    return Some(Err(IngestError::Json {
                        line: self.line + 1,
                        reason: e.to_string(),
                    }));
                }
            };
            if n == 0 {
                self.done = true;
                return None;
            }
            self.line += 1;
            if overflow {
                return Some(Err(IngestError::LineTooLong {
                    line: self.line,
                    cap: self.cap,
                }));
            }
            let text = self.buf.trim_ascii();
            if text.is_empty() {
                continue;
            }
            return Some(match serde_json::from_slice::<serde_json::Value>(text) {
                Ok(v @ serde_json::Value::Object(_)) => Ok(Event::from_json_ref(&v, None)),
                Ok(_) => Err(IngestError::Json {
                    line: self.line,
                    reason: "not a JSON object".into(),
                }),
                Err(e) => Err(IngestError::Json {
                    line: self.line,
                    reason: e.to_string(),
                }),
            });
        }
        None
    }
}

/// Reads JSON Lines (one object per line) with the default 16 MiB line cap.
pub fn read_jsonl<R: Read>(reader: R) -> impl Iterator<Item = Result<Event, IngestError>> {
    read_jsonl_with_cap(reader, MAX_LINE_BYTES)
}

/// Reads JSON Lines with a custom line cap in bytes.
pub fn read_jsonl_with_cap<R: Read>(
    reader: R,
    cap: usize,
) -> impl Iterator<Item = Result<Event, IngestError>> {
    JsonlIter {
        reader: BufReader::new(reader),
        line: 0,
        cap,
        buf: Vec::new(),
        done: false,
    }
}

/// Reads a JSON document: an array of objects, a single object, or (when
/// that fails) JSON Lines / concatenated objects such as `evtx_dump` output.
pub fn read_json<R: Read>(mut reader: R) -> Vec<Result<Event, IngestError>> {
    let mut text = Vec::new();
    if let Err(e) = reader.read_to_end(&mut text) {
        return vec![Err(IngestError::Json {
            line: 0,
            reason: e.to_string(),
        })];
    }
    match serde_json::from_slice::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Array(items)) => items
            .iter()
            .map(|v| Ok(Event::from_json_ref(v, None)))
            .collect(),
        Ok(v) => vec![Ok(Event::from_json_ref(&v, None))],
        Err(_) => {
            let stream =
                serde_json::Deserializer::from_slice(&text).into_iter::<serde_json::Value>();
            let mut out = Vec::new();
            for (i, v) in stream.enumerate() {
                match v {
                    Ok(v) => out.push(Ok(Event::from_json_ref(&v, None))),
                    Err(e) => {
                        out.push(Err(IngestError::Json {
                            line: e.line() as u64,
                            reason: format!("document {}: {e}", i + 1),
                        }));
                        // The stream cannot resynchronise after a syntax error.
                        break;
                    }
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_errors_carry_line_numbers_and_continue() {
        let input = "{\"a\": 1}\nnot json\n\n[1]\n{\"b\": 2}\n";
        let items: Vec<_> = read_jsonl(input.as_bytes()).collect();
        assert_eq!(items.len(), 4);
        assert!(items.first().is_some_and(|r| r.is_ok()));
        assert!(matches!(
            items.get(1),
            Some(Err(IngestError::Json { line: 2, .. }))
        ));
        assert!(matches!(
            items.get(2),
            Some(Err(IngestError::Json { line: 4, .. }))
        ));
        assert!(items.get(3).is_some_and(|r| r.is_ok()));
    }

    #[test]
    fn jsonl_long_lines_are_bounded() {
        let long = format!("{{\"a\": \"{}\"}}\n{{\"b\": 1}}\n", "x".repeat(1000));
        let items: Vec<_> = read_jsonl_with_cap(long.as_bytes(), 100).collect();
        assert!(matches!(
            items.first(),
            Some(Err(IngestError::LineTooLong { line: 1, .. }))
        ));
        assert!(items.get(1).is_some_and(|r| r.is_ok()));
    }

    #[test]
    fn evtx_missing_file_is_an_error_item() {
        let items: Vec<_> = read_evtx("/nonexistent/x.evtx").collect();
        assert_eq!(items.len(), 1);
        assert!(matches!(items.first(), Some(Err(IngestError::Io { .. }))));
    }

    #[test]
    fn json_concatenated_documents() {
        let items = read_json("{\"a\":1}\n{\"a\":2}".as_bytes());
        assert_eq!(items.len(), 2);
    }
}
