//! Reading and writing `guard.model` files (format in the crate note).

use crate::{GuardModel, Head, ModelMeta, FEATURE_VERSION};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"PLSDMDL\x01";
/// Largest table a file may declare (2^24 weights a head, 32 MiB of i16).
const MAX_BITS: u32 = 24;

/// Why a model could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read or written.
    #[error("model file {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The bytes are not a valid model.
    #[error("{origin} is not a valid Palisade model: {message}")]
    Format {
        /// Where the bytes came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// The binary was built without a model file.
    #[error("this build has no built-in model (models/guard/guard.model was absent at build time); run `palisade train` or pass --model")]
    NotBuilt,
}

#[derive(Serialize, Deserialize)]
struct Header {
    bits: u32,
    feature_version: u32,
    heads: Vec<HeadHeader>,
    meta: ModelMeta,
}

#[derive(Serialize, Deserialize)]
struct HeadHeader {
    name: String,
    bias: f32,
    platt_a: f32,
    platt_b: f32,
    threshold: f32,
    scale: f32,
}

impl GuardModel {
    /// Serialises the model (weights quantised to `i16`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let scales: Vec<f32> = self
            .heads
            .iter()
            .map(|h| crate::quant_scale(&h.weights))
            .collect();
        let header = Header {
            bits: self.bits,
            feature_version: FEATURE_VERSION,
            heads: self
                .heads
                .iter()
                .zip(&scales)
                .map(|(h, &scale)| HeadHeader {
                    name: h.name.clone(),
                    bias: h.bias,
                    platt_a: h.platt_a,
                    platt_b: h.platt_b,
                    threshold: h.threshold,
                    scale,
                })
                .collect(),
            meta: self.meta.clone(),
        };
        // Serialising plain structs of numbers and strings cannot fail.
        let json = serde_json::to_vec(&header).unwrap_or_default();
        let mut out = Vec::with_capacity(16 + json.len() + self.heads.len() * (2 << self.bits));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        for (h, &scale) in self.heads.iter().zip(&scales) {
            for &w in &h.weights {
                let q = crate::quantise(w, scale);
                out.extend_from_slice(&q.to_le_bytes());
            }
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    /// Writes the model to `path`.
    pub fn save(&self, path: &std::path::Path) -> Result<(), ModelError> {
        std::fs::write(path, self.to_bytes()).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Parses and checks a model file's bytes; `origin` names them in errors.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self, ModelError> {
        let bad = |message: String| ModelError::Format {
            origin: origin.to_string(),
            message,
        };
        if bytes.len() < MAGIC.len() + 4 + 32 {
            return Err(bad(format!("only {} bytes long", bytes.len())));
        }
        if &bytes[..8] != MAGIC {
            return Err(bad(
                "wrong magic number (not a model file, or another version)".into(),
            ));
        }
        let (body, digest) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body).as_slice() != digest {
            return Err(bad("checksum mismatch (file truncated or corrupted)".into()));
        }
        let hlen = u32::from_le_bytes([body[8], body[9], body[10], body[11]]) as usize;
        let hend = 12usize
            .checked_add(hlen)
            .filter(|&e| e <= body.len())
            .ok_or_else(|| bad(format!("header length {hlen} runs past the end")))?;
        let header: Header = serde_json::from_slice(&body[12..hend])
            .map_err(|e| bad(format!("header is not valid JSON: {e}")))?;
        if header.feature_version != FEATURE_VERSION {
            return Err(bad(format!(
                "trained for feature version {}, this build computes version {FEATURE_VERSION}; retrain with `palisade train`",
                header.feature_version
            )));
        }
        if header.bits == 0 || header.bits > MAX_BITS {
            return Err(bad(format!(
                "feature bits {} out of range 1..={MAX_BITS}",
                header.bits
            )));
        }
        let n = 1usize << header.bits;
        let expected = hend + header.heads.len() * n * 2;
        if body.len() != expected {
            return Err(bad(format!(
                "weights take {} bytes, expected {} for {} heads of 2^{}",
                body.len() - hend,
                expected - hend,
                header.heads.len(),
                header.bits
            )));
        }
        let mut heads = Vec::with_capacity(header.heads.len());
        for (k, h) in header.heads.into_iter().enumerate() {
            let finite = [h.bias, h.platt_a, h.platt_b, h.threshold, h.scale];
            if finite.iter().any(|x| !x.is_finite()) {
                return Err(bad(format!("head `{}` has a non-finite parameter", h.name)));
            }
            let start = hend + k * n * 2;
            let weights = body[start..start + n * 2]
                .chunks_exact(2)
                .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) * h.scale)
                .collect();
            heads.push(Head {
                name: h.name,
                weights,
                bias: h.bias,
                platt_a: h.platt_a,
                platt_b: h.platt_b,
                threshold: h.threshold,
            });
        }
        Ok(GuardModel {
            bits: header.bits,
            heads,
            meta: header.meta,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> GuardModel {
        GuardModel {
            bits: 4,
            heads: vec![Head {
                name: "attack".into(),
                weights: (0..16).map(|i| i as f32 / 10.0 - 0.7).collect(),
                bias: -1.0,
                platt_a: 1.2,
                platt_b: 0.1,
                threshold: 0.6,
            }],
            meta: ModelMeta::default(),
        }
    }

    #[test]
    fn round_trip_keeps_weights_within_quantisation_error() {
        let m = model();
        let back = GuardModel::from_bytes(&m.to_bytes(), "test").expect("valid");
        assert_eq!(back.bits, 4);
        let (a, b) = (&m.heads[0], &back.heads[0]);
        assert_eq!(a.threshold, b.threshold);
        for (x, y) in a.weights.iter().zip(&b.weights) {
            assert!((x - y).abs() < 1e-3, "{x} vs {y}");
        }
    }

    #[test]
    fn corruption_is_detected_and_named() {
        let mut bytes = model().to_bytes();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        let e = GuardModel::from_bytes(&bytes, "x.model")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.model") && e.contains("checksum"), "{e}");
        let e = GuardModel::from_bytes(b"hello", "y")
            .unwrap_err()
            .to_string();
        assert!(e.contains("5 bytes"), "{e}");
        let e = GuardModel::from_bytes(&[0u8; 64], "z")
            .unwrap_err()
            .to_string();
        assert!(e.contains("magic"), "{e}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = GuardModel::load(std::path::Path::new("/nonexistent/g.model"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/g.model"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = GuardModel::from_bytes(&bytes, "fuzz");
            // Past the checksum: a well-sealed file with an arbitrary body.
            let mut sealed = MAGIC.to_vec();
            sealed.extend_from_slice(&bytes);
            let digest = Sha256::digest(&sealed);
            sealed.extend_from_slice(&digest);
            let _ = GuardModel::from_bytes(&sealed, "fuzz");
        }
    }
}
