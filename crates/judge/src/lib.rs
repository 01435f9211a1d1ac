//! Tier 3 of Palisade: an LLM judge behind an OpenAI-compatible API.
//!
//! Design:
//! - The judge is consulted only for what tiers 1 and 2 leave uncertain, so
//!   it is optional, slow and fallible by nature. [`Judge::judge`] therefore
//!   never returns an error: every failure (timeout, refused connection,
//!   HTTP status, malformed body, unparsable answer) becomes a
//!   [`JudgeOutcome`] shaped by the configured [`FailPolicy`], with the
//!   cause in [`JudgeOutcome::error`] so the guard can report a degraded
//!   verdict.
//! - The wire protocol is plain chat completions, which vLLM, llama.cpp,
//!   Ollama, TGI and hosted APIs all speak. Model specifics live in a
//!   [`Profile`]: guard models (Qwen3Guard, Llama Guard) get the bare
//!   conversation because their chat template carries the moderation
//!   instructions; any other model gets the `json` system prompt.
//! - Parsing is a pure function, [`parse_answer`], tolerant of formatting
//!   drift but never guessing a verdict that is not in the answer.
//! - The API key is read from an environment variable once, kept in a
//!   header value marked sensitive, and never written to a log or error.

#![warn(missing_docs)]

mod client;
mod config;
mod error;
mod parse;

pub use client::{
    Judge, JudgeOutcome, JSON_JUDGE_PROMPT, RAW_ANSWER_MAX_BYTES, UNAVAILABLE_DETECTOR,
};
pub use config::{FailPolicy, JudgeConfig, Profile};
pub use error::JudgeError;
pub use parse::{parse_answer, Label, ParsedAnswer, CONTROVERSIAL_SCORE, UNSAFE_SCORE};
