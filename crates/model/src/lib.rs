//! Tier 2 of the guard: a small local model.
//!
//! The model is a set of calibrated logistic *heads* over one hashed feature
//! space ([`features`]): `attack` (prompt injection and jailbreaks),
//! `unsafe` (harmful-content requests), `injection_vs_jailbreak` (which
//! attack category to report) and `instruction` (is one segment of a text
//! a request aimed at an assistant; its per-segment scores become features
//! of the others, see [`segment`]). Separate heads, because attack and content
//! signals differ and each needs its own calibration and threshold.
//!
//! Why linear: inference is one sparse dot product per head — a few
//! microseconds for a 2 KB prompt on one core, no GPU, no runtime — and
//! training takes seconds, so `palisade train` is reproducible on any
//! machine. The features carry structure and rule evidence, which is where
//! a linear model on n-grams alone falls short.
//!
//! File format (`guard.model`): magic, a JSON header (dimensions, heads with
//! bias, Platt calibration and threshold, free-form metadata for the model
//! card), the weights of each head as little-endian `i16` with a per-head
//! scale, and a SHA-256 of everything before it. Loading checks all of it.

mod addressed;
pub mod features;
mod file;
pub mod segment;
mod structure;
pub mod train;

pub use addressed::{machine_address, MACHINE_COLON, MACHINE_OBLIGE, MACHINE_VOCATIVE};
pub use features::{extract, extract_plain_into, Extraction, ModelInput, SparseVec};
pub use file::ModelError;
pub use structure::{harm_category, HARM_CATEGORIES};

use serde::{Deserialize, Serialize};

include!(concat!(env!("OUT_DIR"), "/builtin_model.rs"));

/// Version of the feature definition; a model trained on another version
/// is refused at load.
pub const FEATURE_VERSION: u32 = 4;

/// Name of the attack head.
pub const HEAD_ATTACK: &str = "attack";
/// Name of the unsafe-content head.
pub const HEAD_UNSAFE: &str = "unsafe";
/// Name of the head that tells injection (1) from jailbreak (0).
pub const HEAD_INJECTION: &str = "injection_vs_jailbreak";
/// Name of the head that scores third-party text (documents, tool
/// results) for planted orders, with its own threshold.
pub const HEAD_DOCUMENT: &str = "document";
/// Name of the head that scores one segment as a request to an assistant
/// (see [`segment`]).
pub const HEAD_INSTRUCTION: &str = "instruction";
/// Name of the head that scores a tool description (name, description,
/// parameter schema) for orders to the agent hidden in it, with its own
/// threshold: trained on tool descriptions alone, from many writers.
pub const HEAD_TOOL: &str = "tool";
/// Name of the head that scores text that is harmful in itself (abuse,
/// threats, hate, doxxing posts, extortion, explicit harassment), whatever
/// it asks for, with its own threshold: trained on such statements and
/// their harmless look-alikes from several writers, against every
/// harmless row. The unsafe head reads requests; this one what is said.
pub const HEAD_STATEMENT: &str = "statement";
/// Name of the head that scores a request for the gravest harms (mass
/// violence, killing a person, sexual content with minors, suicide means,
/// weapons of mass harm, trafficking), with its own threshold: trained on
/// such requests and their harmless twins from several writers, against
/// every harmless row. The unsafe head reads every kind of harm, and its
/// threshold is set by the harmless corpora that look most like harm; this
/// one reads the few kinds a guard must not miss.
pub const HEAD_CRITICAL: &str = "critical";

/// One calibrated logistic head.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// Its name.
    pub name: String,
    /// One weight per hashed feature.
    pub weights: Vec<f32>,
    /// Intercept.
    pub bias: f32,
    /// Platt scaling: p = sigmoid(a * logit + b).
    pub platt_a: f32,
    /// Platt scaling offset.
    pub platt_b: f32,
    /// Calibrated probability at or above which the head flags.
    pub threshold: f32,
}

/// The logistic function.
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl Head {
    /// The raw linear score.
    pub fn logit(&self, x: &SparseVec) -> f32 {
        let mut s = self.bias;
        for (&i, &v) in x.idx.iter().zip(&x.val) {
            // Indices come from `extract` with the model's own bit width, so
            // they are in range; `get` keeps a foreign vector from panicking.
            s += self.weights.get(i as usize).copied().unwrap_or(0.0) * v;
        }
        s
    }

    /// The calibrated probability.
    pub fn prob(&self, x: &SparseVec) -> f32 {
        sigmoid(self.platt_a * self.logit(x) + self.platt_b)
    }
}

/// Several heads with their weights interleaved (`w[i * n + h]`) and stored
/// as `i16` with a scale per head (as in the model file, so nothing is lost
/// against a loaded model): one feature costs one 8-byte read for four
/// heads instead of one cache miss per head. The tables are what tier 2
/// spends its time on, and in a gateway that waits milliseconds on the
/// upstream between requests they are evicted each time: halving them
/// halves what has to come back from memory.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedHeads {
    n: usize,
    w: Vec<i16>,
    scale: Vec<f32>,
    calib: Vec<(f32, f32, f32)>,
}

/// The scale that maps a head's largest weight to `i16::MAX`, as the
/// model file uses.
pub(crate) fn quant_scale(weights: &[f32]) -> f32 {
    let max = weights.iter().fold(0.0f32, |m, w| m.max(w.abs()));
    if max > 0.0 {
        max / f32::from(i16::MAX)
    } else {
        1.0
    }
}

/// `w` quantised with `scale` (see [`quant_scale`]).
pub(crate) fn quantise(w: f32, scale: f32) -> i16 {
    (w / scale).round().clamp(-32767.0, 32767.0) as i16
}

impl PackedHeads {
    /// Packs `heads` (all of one model, so of one size).
    pub fn new(heads: &[&Head]) -> Self {
        let n = heads.len();
        let len = heads.iter().map(|h| h.weights.len()).max().unwrap_or(0);
        let scale: Vec<f32> = heads.iter().map(|h| quant_scale(&h.weights)).collect();
        let mut w = vec![0i16; len * n];
        for (h, head) in heads.iter().enumerate() {
            for (i, &x) in head.weights.iter().enumerate() {
                w[i * n + h] = quantise(x, scale[h]);
            }
        }
        let calib = heads
            .iter()
            .map(|h| (h.bias, h.platt_a, h.platt_b))
            .collect();
        Self { n, w, scale, calib }
    }

    /// Number of packed heads.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when no head is packed.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    fn calibrated(&self, h: usize, acc: f32) -> f32 {
        let (bias, a, b) = self.calib[h];
        sigmoid(a * (bias + self.scale[h] * acc) + b)
    }

    /// Calibrated probabilities of every packed head, in packing order.
    pub fn probs(&self, x: &SparseVec) -> Vec<f32> {
        let acc = match self.n {
            7 => self.dot::<7>(x).to_vec(),
            6 => self.dot::<6>(x).to_vec(),
            5 => self.dot::<5>(x).to_vec(),
            4 => self.dot::<4>(x).to_vec(),
            3 => self.dot::<3>(x).to_vec(),
            _ => self.dot_any(x),
        };
        (0..self.n).map(|h| self.calibrated(h, acc[h])).collect()
    }

    /// The heads' sums for a model of `N` packed heads: a row of known
    /// length lets the compiler keep the sums in one register and drop the
    /// per-weight bounds checks (the loop over any number of heads cost
    /// about 40 instructions a feature, a fifth of a 2 KB check). Each
    /// head's sum is added up in the same order as in [`Self::dot_any`], so
    /// the results are the same to the bit.
    fn dot<const N: usize>(&self, x: &SparseVec) -> [f32; N] {
        let mut acc = [0f32; N];
        for (&i, &v) in x.idx.iter().zip(&x.val) {
            let at = i as usize * N;
            let row = self
                .w
                .get(at..at + N)
                .and_then(|r| <&[i16; N]>::try_from(r).ok());
            let Some(row) = row else { continue };
            for (a, &q) in acc.iter_mut().zip(row) {
                *a += f32::from(q) * v;
            }
        }
        acc
    }

    fn dot_any(&self, x: &SparseVec) -> Vec<f32> {
        let mut acc = vec![0f32; self.n];
        for (&i, &v) in x.idx.iter().zip(&x.val) {
            let at = i as usize * self.n;
            if let Some(row) = self.w.get(at..at + self.n) {
                for (a, &q) in acc.iter_mut().zip(row) {
                    *a += f32::from(q) * v;
                }
            }
        }
        acc
    }

    /// Calibrated probability of head `h` alone (`None` past the last).
    pub fn prob(&self, h: usize, x: &SparseVec) -> Option<f32> {
        if h >= self.n {
            return None;
        }
        let mut acc = 0f32;
        for (&i, &v) in x.idx.iter().zip(&x.val) {
            if let Some(&q) = self.w.get(i as usize * self.n + h) {
                acc += f32::from(q) * v;
            }
        }
        Some(self.calibrated(h, acc))
    }
}

/// Free-form facts about how a model was made, for its model card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// When it was trained (RFC 3339).
    #[serde(default)]
    pub trained_at: String,
    /// Anything else (sources, counts, metrics).
    #[serde(default)]
    pub details: serde_json::Value,
}

/// A loaded model.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardModel {
    /// log2 of the feature table size.
    pub bits: u32,
    /// Its heads.
    pub heads: Vec<Head>,
    /// How it was made.
    pub meta: ModelMeta,
}

impl GuardModel {
    /// The model compiled into the binary.
    pub fn builtin() -> Result<Self, ModelError> {
        match BUILTIN_MODEL {
            Some(bytes) => Self::from_bytes(bytes, "built-in model"),
            None => Err(ModelError::NotBuilt),
        }
    }

    /// Loads a model file.
    pub fn load(path: &std::path::Path) -> Result<Self, ModelError> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// The head called `name`.
    pub fn head(&self, name: &str) -> Option<&Head> {
        self.heads.iter().find(|h| h.name == name)
    }

    /// Features of an input for this model.
    pub fn features(&self, input: &ModelInput<'_>) -> SparseVec {
        extract(input, self.bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_bounded_and_monotone() {
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-6);
        assert!(sigmoid(50.0) <= 1.0 && sigmoid(-50.0) >= 0.0);
        assert!(sigmoid(1.0) > sigmoid(-1.0));
    }

    #[test]
    fn packed_heads_agree_with_single_heads() {
        let head = |k: f32| Head {
            name: "h".into(),
            weights: (0..16).map(|i| (i as f32 - 8.0) * k).collect(),
            bias: k,
            platt_a: 1.5,
            platt_b: -0.2,
            threshold: 0.5,
        };
        let (a, b) = (head(0.1), head(-0.3));
        let packed = PackedHeads::new(&[&a, &b]);
        let x = SparseVec {
            idx: vec![1, 5, 5, 15, 99],
            val: vec![0.5, 1.0, 0.25, 2.0, 3.0],
        };
        let p = packed.probs(&x);
        // Weights are quantised to i16 as in the model file: agreement is
        // to that precision.
        assert!(
            (p[0] - a.prob(&x)).abs() < 1e-4 && (p[1] - b.prob(&x)).abs() < 1e-4,
            "{p:?}"
        );
        assert_eq!(packed.prob(1, &x), Some(p[1]));
        assert_eq!(packed.prob(2, &x), None);
    }

    proptest::proptest! {
        /// The fixed-width sums are the any-width loop's, to the bit, for
        /// every number of heads (3 to 7 take the fixed-width path).
        #[test]
        fn fixed_width_sums_equal_the_general_loop(
            n in 1usize..9,
            weights in proptest::collection::vec(-5.0f32..5.0, 64),
            feats in proptest::collection::vec((0u32..70, -3.0f32..3.0), 0..200),
        ) {
            let heads: Vec<Head> = (0..n)
                .map(|h| Head {
                    name: format!("h{h}"),
                    weights: weights.iter().map(|w| w * (h as f32 + 1.0)).collect(),
                    bias: 0.1,
                    platt_a: 1.0,
                    platt_b: 0.0,
                    threshold: 0.5,
                })
                .collect();
            let packed = PackedHeads::new(&heads.iter().collect::<Vec<_>>());
            let x = SparseVec {
                idx: feats.iter().map(|f| f.0).collect(),
                val: feats.iter().map(|f| f.1).collect(),
            };
            let general = packed.dot_any(&x);
            let fast = match n {
                7 => packed.dot::<7>(&x).to_vec(),
                6 => packed.dot::<6>(&x).to_vec(),
                5 => packed.dot::<5>(&x).to_vec(),
                4 => packed.dot::<4>(&x).to_vec(),
                3 => packed.dot::<3>(&x).to_vec(),
                _ => general.clone(),
            };
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(bits(&fast), bits(&general));
            let probs = packed.probs(&x);
            for (h, p) in probs.iter().enumerate() {
                proptest::prop_assert_eq!(p.to_bits(), packed.calibrated(h, general[h]).to_bits());
            }
        }
    }

    #[test]
    fn logit_ignores_out_of_range_indices() {
        let h = Head {
            name: "h".into(),
            weights: vec![1.0; 4],
            bias: 0.5,
            platt_a: 1.0,
            platt_b: 0.0,
            threshold: 0.5,
        };
        let x = SparseVec {
            idx: vec![1, 99],
            val: vec![2.0, 5.0],
        };
        assert!((h.logit(&x) - 2.5).abs() < 1e-6);
    }
}
