//! Training one head: weighted logistic regression with AdaGrad, Platt
//! calibration on out-of-fold scores, and a threshold picked for a target
//! false-positive rate.
//!
//! Written here rather than taken from a crate because the Rust ML crates
//! (linfa, smartcore) want dense matrices; with 2^18 hashed features and
//! sparse rows a 60-line SGD loop is both simpler and orders faster.

use crate::{sigmoid, Head, SparseVec};

/// One training example of a head: an index into the shared feature rows
/// (several heads train on the same rows; copying them would cost
/// hundreds of megabytes).
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Index of its features in the `xs` slice.
    pub i: usize,
    /// Label.
    pub y: bool,
    /// Weight (source balancing, hard-negative emphasis).
    pub w: f32,
    /// Weight when measuring the false-positive rate that picks the
    /// threshold (e.g. 1/size of its source, so every benign source counts
    /// the same, as in a mean-over-sources evaluation).
    pub tw: f32,
    /// Group for fold assignment (e.g. hash of the source and text), so
    /// near-duplicates stay in one fold.
    pub group: u64,
    /// The corpus it comes from, for [`TrainOptions::max_source_fpr`].
    pub source: u32,
}

/// Knobs of [`train_head`].
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Passes over the data.
    pub epochs: usize,
    /// AdaGrad base learning rate.
    pub lr: f32,
    /// L2 penalty applied to touched weights.
    pub l2: f32,
    /// Shuffle seed.
    pub seed: u64,
    /// Fits averaged into one: each sees the rows in another order, and
    /// the weights and bias are their mean (>= 1). A linear model's mean
    /// is still one linear model, so this costs training time only; it
    /// takes out what a head owes to the order its rows came in.
    pub seeds: usize,
    /// Folds for out-of-fold calibration (>= 2).
    pub folds: usize,
    /// Largest weighted false-positive rate allowed when picking the
    /// threshold on out-of-fold scores.
    pub target_fpr: f32,
    /// Largest out-of-fold false-positive rate allowed on any one source's
    /// negatives (sources of at least [`MIN_CAPPED_NEGATIVES`]); 1 turns
    /// the cap off. A mean over sources lets easy sources buy slack for
    /// hard ones, so adding an easy corpus would lower the threshold and
    /// raise false positives on the hard ones; the cap stops that.
    pub max_source_fpr: f32,
    /// Sources whose cap is not [`max_source_fpr`](Self::max_source_fpr):
    /// (source, cap). For a head's own look-alike sets, which are made to
    /// sit next to its positives and so need a looser cap than traffic.
    pub source_caps: Vec<(u32, f32)>,
    /// Fit the head on a table of `1 << head_bits` slots (each feature
    /// index folded onto it by its low bits) and tile the weights out to
    /// the model's width; `None` fits at the model's width. Folding is
    /// exactly what hashing into the narrower table would give, since
    /// every index is a hash masked to its low bits: a head whose few
    /// writers it must generalise from keeps the sharing of a narrow
    /// table while the others get the room of a wide one.
    pub head_bits: Option<u32>,
}

/// Fewest negatives a source needs for its false-positive rate to be capped
/// (below this one row moves the rate by a point or more). At 50 a corpus
/// of 51 harmless rows set the attack head's threshold by two of them.
pub const MIN_CAPPED_NEGATIVES: usize = 100;

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            epochs: 4,
            lr: 0.2,
            l2: 1e-6,
            seed: 7,
            seeds: 1,
            folds: 4,
            target_fpr: 0.01,
            max_source_fpr: 1.0,
            source_caps: Vec::new(),
            head_bits: None,
        }
    }
}

/// Out-of-fold quality of a head, for the model card.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HeadReport {
    /// Head name.
    pub name: String,
    /// Positives and negatives trained on.
    pub positives: usize,
    /// Negatives trained on.
    pub negatives: usize,
    /// Area under the ROC curve of out-of-fold scores (unweighted).
    pub oof_auc: f32,
    /// Recall at the chosen threshold (unweighted).
    pub oof_recall: f32,
    /// False-positive rate at the chosen threshold (unweighted).
    pub oof_fpr: f32,
    /// False-positive rate at the threshold with negatives weighted by
    /// their threshold weight (mean over sources when `tw` = 1/size).
    pub oof_fpr_weighted: f32,
    /// The chosen threshold.
    pub threshold: f32,
    /// The source whose false-positive cap set the threshold, when the
    /// cap rather than the mean over sources did.
    pub capped_by: Option<u32>,
    /// Out-of-fold false-positive rate at the threshold of every source
    /// whose negatives take part in it: (source, rate, negatives), highest
    /// rate first.
    pub source_fpr: Vec<(u32, f32, usize)>,
}

/// Fits raw weights and bias on `samples`: the mean of
/// [`TrainOptions::seeds`] fits, each with its own row order.
pub fn fit(xs: &[SparseVec], samples: &[&Sample], bits: u32, o: &TrainOptions) -> (Vec<f32>, f32) {
    let k = o.seeds.max(1);
    let (mut w, mut b) = fit_one(xs, samples, bits, o, o.seed);
    for j in 1..k {
        // Seeds far apart, so that `--seed 8` does not share fits with
        // `--seed 7`.
        let seed = o.seed.wrapping_add(7919 * j as u64);
        let (wj, bj) = fit_one(xs, samples, bits, o, seed);
        for (a, v) in w.iter_mut().zip(wj) {
            *a += v;
        }
        b += bj;
    }
    if k > 1 {
        let inv = 1.0 / k as f32;
        w.iter_mut().for_each(|a| *a *= inv);
        b *= inv;
    }
    (w, b)
}

fn fit_one(
    xs: &[SparseVec],
    samples: &[&Sample],
    bits: u32,
    o: &TrainOptions,
    seed: u64,
) -> (Vec<f32>, f32) {
    let n = 1usize << bits;
    // Indices wider than the table fold onto it (see `head_bits`).
    let fold = n - 1;
    let mut w = vec![0f32; n];
    let mut g2 = vec![1e-6f32; n];
    let (mut b, mut gb2) = (0f32, 1e-6f32);
    let mut order: Vec<usize> = (0..samples.len()).collect();
    let mut rng = fastrand::Rng::with_seed(seed);
    for _ in 0..o.epochs {
        rng.shuffle(&mut order);
        for &k in &order {
            let s = samples[k];
            let x = &xs[s.i];
            let mut z = b;
            for (&i, &v) in x.idx.iter().zip(&x.val) {
                z += w[i as usize & fold] * v;
            }
            let err = (sigmoid(z) - if s.y { 1.0 } else { 0.0 }) * s.w;
            for (&i, &v) in x.idx.iter().zip(&x.val) {
                let i = i as usize & fold;
                let g = err * v + o.l2 * w[i];
                g2[i] += g * g;
                w[i] -= o.lr * g / g2[i].sqrt();
            }
            gb2 += err * err;
            b -= o.lr * err / gb2.sqrt();
        }
    }
    (w, b)
}

fn logit(w: &[f32], b: f32, x: &SparseVec) -> f32 {
    // `w` comes from `fit`, so its length is a power of two.
    let fold = w.len() - 1;
    b + x
        .idx
        .iter()
        .zip(&x.val)
        .map(|(&i, &v)| w[i as usize & fold] * v)
        .sum::<f32>()
}

/// Tiles a head fitted on a narrower table out to `1 << bits` slots, so
/// that every index reads the slot it folded onto in training.
fn widen(w: Vec<f32>, bits: u32) -> Vec<f32> {
    let n = 1usize << bits;
    if w.len() >= n {
        return w;
    }
    let fold = w.len() - 1;
    (0..n).map(|i| w[i & fold]).collect()
}

/// Platt scaling by Newton's method with backtracking on (logit, label,
/// weight) triples, with the usual target smoothing to avoid overconfident
/// extremes. Plain Newton diverges when raw logits are large (the
/// sigmoid saturates and the Hessian vanishes), hence the line search.
pub fn platt(scores: &[(f32, bool, f32)]) -> (f32, f32) {
    let pos: f64 = scores.iter().filter(|s| s.1).map(|s| f64::from(s.2)).sum();
    let neg: f64 = scores.iter().filter(|s| !s.1).map(|s| f64::from(s.2)).sum();
    let (tp, tn) = ((pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0));
    let loss = |a: f64, b: f64| -> f64 {
        scores
            .iter()
            .map(|&(z, y, w)| {
                let t = if y { tp } else { tn };
                let f = a * f64::from(z) + b;
                // log(1 + e^f) - t f, computed stably.
                let softplus = if f > 0.0 {
                    f + (-f).exp().ln_1p()
                } else {
                    f.exp().ln_1p()
                };
                f64::from(w) * (softplus - t * f)
            })
            .sum()
    };
    let (mut a, mut b) = (1.0f64, 0.0f64);
    let mut current = loss(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0f64, 0f64, 1e-9f64, 0f64, 1e-9f64);
        for &(z, y, w) in scores {
            let (z, w) = (f64::from(z), f64::from(w));
            let t = if y { tp } else { tn };
            let p = 1.0 / (1.0 + (-(a * z + b)).exp());
            let d = (p - t) * w;
            let h = (p * (1.0 - p)).max(1e-12) * w;
            ga += d * z;
            gb += d;
            haa += h * z * z;
            hab += h * z;
            hbb += h;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-6 {
            let (na, nb) = (a - step * da, b - step * db);
            let l = loss(na, nb);
            if l < current {
                a = na;
                b = nb;
                current = l;
                improved = true;
                break;
            }
            step /= 2.0;
        }
        if !improved || (step * (da.abs() + db.abs())) < 1e-9 {
            break;
        }
    }
    (a as f32, b as f32)
}

/// Area under the ROC curve (ties count half).
pub fn auc(scores: &[(f32, bool)]) -> f32 {
    let mut v: Vec<_> = scores.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut npos, mut i) = (0f64, 0f64, 0usize);
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j].0 == v[i].0 {
            j += 1;
        }
        let avg_rank = (i + j + 1) as f64 / 2.0;
        for s in &v[i..j] {
            if s.1 {
                rank_sum += avg_rank;
                npos += 1.0;
            }
        }
        i = j;
    }
    let nneg = v.len() as f64 - npos;
    if npos == 0.0 || nneg == 0.0 {
        return 0.5;
    }
    ((rank_sum - npos * (npos + 1.0) / 2.0) / (npos * nneg)) as f32
}

/// The lowest threshold whose weighted false-positive rate on `scores`
/// (probability, label, weight) stays within `target`.
pub fn pick_threshold(scores: &[(f32, bool, f32)], target: f32) -> f32 {
    let mut neg: Vec<(f32, f32)> = scores.iter().filter(|s| !s.1).map(|s| (s.0, s.2)).collect();
    neg.sort_by(|a, b| b.0.total_cmp(&a.0));
    let total: f32 = neg.iter().map(|n| n.1).sum();
    if total <= 0.0 {
        return 0.5;
    }
    let mut acc = 0.0;
    for (k, &(p, w)) in neg.iter().enumerate() {
        acc += w;
        if acc / total > target {
            // Flag strictly above this negative's score.
            let next_up = if k == 0 { 1.0 } else { neg[k - 1].0 };
            return ((p + next_up) / 2.0).clamp(0.05, 0.99);
        }
    }
    0.05
}

/// Out-of-fold scores of the negatives that take part in thresholds
/// (`tw` > 0), by source, each counting once.
type BySource = std::collections::BTreeMap<u32, Vec<(f32, bool, f32)>>;

fn negatives_by_source(probs: &[(f32, bool, f32)], samples: &[Sample]) -> BySource {
    let mut by_source = BySource::new();
    for (p, s) in probs.iter().zip(samples) {
        if !p.1 && p.2 > 0.0 {
            by_source
                .entry(s.source)
                .or_default()
                .push((p.0, false, 1.0));
        }
    }
    by_source
}

/// The lowest threshold that keeps every source's false-positive rate
/// within `cap`, and the source that needs it; 0 when none needs one.
fn source_capped(by_source: &BySource, cap: f32, overrides: &[(u32, f32)]) -> (f32, Option<u32>) {
    by_source
        .iter()
        .filter(|(_, v)| v.len() >= MIN_CAPPED_NEGATIVES)
        .filter_map(|(&s, v)| {
            let cap = overrides
                .iter()
                .find(|(o, _)| *o == s)
                .map_or(cap, |(_, c)| *c);
            (cap < 1.0).then(|| (pick_threshold(v, cap), Some(s)))
        })
        .fold((0.0, None), |a, b| if b.0 > a.0 { b } else { a })
}

/// Trains a head: out-of-fold scores for calibration and the threshold,
/// then a final fit on everything.
pub fn train_head(
    name: &str,
    xs: &[SparseVec],
    samples: &[Sample],
    bits: u32,
    o: &TrainOptions,
) -> (Head, HeadReport) {
    let folds = o.folds.max(2);
    let model_bits = bits;
    // Never wider than the model (`clamp` would panic on a 0-bit model).
    let bits = o.head_bits.map_or(bits, |b| b.min(bits));
    let mut oof = vec![0f32; samples.len()];
    for f in 0..folds {
        let train: Vec<&Sample> = samples
            .iter()
            .filter(|s| (s.group % folds as u64) as usize != f)
            .collect();
        let (w, b) = fit(xs, &train, bits, o);
        for (k, s) in samples.iter().enumerate() {
            if (s.group % folds as u64) as usize == f {
                oof[k] = logit(&w, b, &xs[s.i]);
            }
        }
    }
    let triples: Vec<(f32, bool, f32)> = samples
        .iter()
        .zip(&oof)
        .map(|(s, &z)| (z, s.y, s.w))
        .collect();
    let (pa, pb) = platt(&triples);
    let probs: Vec<(f32, bool, f32)> = triples
        .iter()
        .zip(samples)
        .map(|(&(z, y, _), s)| (sigmoid(pa * z + pb), y, s.tw))
        .collect();
    let mean = pick_threshold(&probs, o.target_fpr);
    let by_source = negatives_by_source(&probs, samples);
    let (capped, cap_source) = source_capped(&by_source, o.max_source_fpr, &o.source_caps);
    let threshold = mean.max(capped);
    let capped_by = if capped > mean { cap_source } else { None };
    let mut source_fpr: Vec<(u32, f32, usize)> = by_source
        .into_iter()
        .map(|(s, v)| {
            let fp = v.iter().filter(|p| p.0 >= threshold).count();
            (s, fp as f32 / v.len().max(1) as f32, v.len())
        })
        .collect();
    source_fpr.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let all: Vec<&Sample> = samples.iter().collect();
    let (weights, bias) = fit(xs, &all, bits, o);
    let weights = widen(weights, model_bits);
    let positives = samples.iter().filter(|s| s.y).count();
    let negatives = samples.len() - positives;
    let tp = probs.iter().filter(|p| p.1 && p.0 >= threshold).count();
    let fp = probs.iter().filter(|p| !p.1 && p.0 >= threshold).count();
    let neg_w: f32 = probs.iter().filter(|p| !p.1).map(|p| p.2).sum();
    let fp_w: f32 = probs
        .iter()
        .filter(|p| !p.1 && p.0 >= threshold)
        .map(|p| p.2)
        .sum();
    let report = HeadReport {
        name: name.to_string(),
        positives,
        negatives,
        oof_auc: auc(&triples.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>()),
        oof_recall: tp as f32 / positives.max(1) as f32,
        oof_fpr: fp as f32 / negatives.max(1) as f32,
        oof_fpr_weighted: if neg_w > 0.0 { fp_w / neg_w } else { 0.0 },
        threshold,
        capped_by,
        source_fpr,
    };
    let head = Head {
        name: name.to_string(),
        weights,
        bias,
        platt_a: pa,
        platt_b: pb,
        threshold,
    };
    (head, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: u32, g: u64) -> SparseVec {
        SparseVec {
            idx: vec![i, 10 + (g % 3) as u32],
            val: vec![1.0, 0.5],
        }
    }

    #[test]
    fn a_source_cap_raises_the_threshold_over_a_hard_source() {
        // Negatives of source 1 score high, source 2's low: the mean over
        // both allows a threshold that flags a fifth of source 1.
        let mut probs = Vec::new();
        let mut samples = Vec::new();
        let n = MIN_CAPPED_NEGATIVES as u32;
        for k in 0..2 * n {
            let (p, source) = if k < n {
                (0.5 + 0.5 * k as f32 / n as f32, 1)
            } else {
                (0.1 * (k - n) as f32 / n as f32, 2)
            };
            probs.push((p, false, 1.0));
            samples.push(Sample {
                i: 0,
                y: false,
                w: 1.0,
                tw: 1.0,
                group: u64::from(k),
                source,
            });
        }
        let mean = pick_threshold(&probs, 0.1);
        let capped = source_capped(&negatives_by_source(&probs, &samples), 0.02, &[]).0;
        assert!(capped > mean, "{capped} vs {mean}");
        let flagged = probs
            .iter()
            .take(n as usize)
            .filter(|p| p.0 >= capped)
            .count();
        assert!(
            flagged * 50 <= n as usize,
            "{flagged} of source 1 flagged at {capped}"
        );
        assert_eq!(
            source_capped(&negatives_by_source(&probs, &samples), 0.02, &[]).1,
            Some(1)
        );
        assert_eq!(
            source_capped(&negatives_by_source(&probs, &samples), 1.0, &[]).0,
            0.0
        );
        // A source under the minimum size is not capped.
        let few: Vec<Sample> = samples
            .iter()
            .map(|s| Sample {
                source: if s.source == 1 && s.group % 2 == 0 {
                    3
                } else {
                    s.source
                },
                ..*s
            })
            .collect();
        assert!(source_capped(&negatives_by_source(&probs, &few), 0.02, &[]).0 < 0.1);
        // A source whose negatives carry no threshold weight (a contrast
        // set made to be hard) does not raise it.
        let exempt: Vec<(f32, bool, f32)> = probs
            .iter()
            .zip(&samples)
            .map(|(p, s)| (p.0, p.1, if s.source == 1 { 0.0 } else { 1.0 }))
            .collect();
        assert!(source_capped(&negatives_by_source(&exempt, &samples), 0.02, &[]).0 < 0.1);
        // A looser cap of its own for source 1 lowers the threshold to
        // flag up to that share of it, and then source 2 may bind.
        let loose = source_capped(&negatives_by_source(&probs, &samples), 0.02, &[(1, 0.25)]);
        assert!(loose.0 < capped, "{} vs {capped}", loose.0);
        let flagged = probs
            .iter()
            .take(n as usize)
            .filter(|p| p.0 >= loose.0)
            .count();
        assert!(
            flagged * 4 <= n as usize && flagged * 10 >= n as usize,
            "{flagged} flagged at {}",
            loose.0
        );
        // Every source off the cap: no threshold from it.
        assert_eq!(
            source_capped(&negatives_by_source(&probs, &samples), 1.0, &[(1, 1.0)]).0,
            0.0
        );
    }

    #[test]
    fn learns_a_separable_problem_and_calibrates() {
        let (mut xs, mut s) = (Vec::new(), Vec::new());
        for g in 0..200u64 {
            for (feature, y, group) in [(1, true, g), (2, false, g + 1000)] {
                s.push(Sample {
                    i: xs.len(),
                    y,
                    w: 1.0,
                    tw: 1.0,
                    group,
                    source: 0,
                });
                xs.push(row(feature, group));
            }
        }
        let (head, rep) = train_head("t", &xs, &s, 6, &TrainOptions::default());
        assert!(rep.oof_auc > 0.99, "{rep:?}");
        assert!(rep.oof_recall > 0.95 && rep.oof_fpr < 0.02, "{rep:?}");
        assert!(head.prob(&xs[0]) > 0.9);
        assert!(head.prob(&xs[1]) < 0.1);
    }

    #[test]
    fn several_seeds_average_their_fits() {
        let (mut xs, mut s) = (Vec::new(), Vec::new());
        for g in 0..60u64 {
            // Noisy labels, so that the row order moves the weights.
            let y = g % 3 != 0;
            s.push(Sample {
                i: xs.len(),
                y,
                w: 1.0,
                tw: 1.0,
                group: g,
                source: 0,
            });
            xs.push(row(1 + (g % 5) as u32, g));
        }
        let all: Vec<&Sample> = s.iter().collect();
        let one = TrainOptions::default();
        let two = TrainOptions {
            seeds: 2,
            ..TrainOptions::default()
        };
        let (wa, ba) = fit_one(&xs, &all, 6, &one, one.seed);
        let (wb, bb) = fit_one(&xs, &all, 6, &one, one.seed.wrapping_add(7919));
        assert_ne!(wa, wb, "the two orders should give two fits");
        let (w, b) = fit(&xs, &all, 6, &two);
        for ((m, x), y) in w.iter().zip(&wa).zip(&wb) {
            assert!((m - (x + y) / 2.0).abs() < 1e-6);
        }
        assert!((b - (ba + bb) / 2.0).abs() < 1e-6);
        // One seed is one fit, unchanged.
        assert_eq!(fit(&xs, &all, 6, &one), (wa, ba));
    }

    #[test]
    fn a_head_fitted_narrow_equals_one_hashed_into_the_narrow_table() {
        // Rows over indices of a 2^8 table, some of which share their low
        // four bits: the head fitted with `head_bits` 4 inside a model of 8
        // must be the head fitted at 4 bits on the same rows masked to 4,
        // tiled out so that every wide index reads its folded slot.
        let (mut wide, mut narrow, mut s) = (Vec::new(), Vec::new(), Vec::new());
        for g in 0..80u64 {
            let y = g % 2 == 0;
            let idx = vec![
                (g % 7) as u32 * 16 + 3,
                200 + (g % 3) as u32,
                if y { 17 } else { 33 },
            ];
            let val = vec![1.0, 0.5, 1.0];
            narrow.push(SparseVec {
                idx: idx.iter().map(|i| i & 15).collect(),
                val: val.clone(),
            });
            wide.push(SparseVec { idx, val });
            s.push(Sample {
                i: s.len(),
                y,
                w: 1.0,
                tw: 1.0,
                group: g,
                source: (g % 2) as u32,
            });
        }
        let folded = TrainOptions {
            head_bits: Some(4),
            ..TrainOptions::default()
        };
        let (h_wide, r_wide) = train_head("t", &wide, &s, 8, &folded);
        let (h_narrow, r_narrow) = train_head("t", &narrow, &s, 4, &TrainOptions::default());
        assert_eq!(h_wide.weights.len(), 256);
        assert_eq!(h_narrow.weights.len(), 16);
        for (i, w) in h_wide.weights.iter().enumerate() {
            assert_eq!(*w, h_narrow.weights[i & 15], "slot {i}");
        }
        assert_eq!(
            (h_wide.bias, h_wide.threshold, r_wide.oof_auc),
            (h_narrow.bias, h_narrow.threshold, r_narrow.oof_auc)
        );
        for (a, b) in wide.iter().zip(&narrow) {
            assert_eq!(h_wide.prob(a), h_narrow.prob(b));
        }
        // Without `head_bits` the wide head keeps its own slots apart.
        let (own, _) = train_head("t", &wide, &s, 8, &TrainOptions::default());
        assert_ne!(own.weights[3], own.weights[19]);
    }

    #[test]
    fn platt_survives_huge_logits_and_stays_monotone() {
        let mut v = Vec::new();
        for i in 0..200 {
            v.push((40.0 + i as f32 * 0.1, true, 1.0));
            v.push((-40.0 - i as f32 * 0.1, false, 1.0));
            v.push((35.0, i % 10 == 0, 1.0));
        }
        let (a, b) = platt(&v);
        assert!(a > 0.0 && a.is_finite() && b.is_finite(), "a {a} b {b}");
        assert!(sigmoid(a * 45.0 + b) > sigmoid(a * -45.0 + b));
    }

    #[test]
    fn auc_of_perfect_and_reversed_rankings() {
        let good = [(0.9, true), (0.8, true), (0.2, false), (0.1, false)];
        assert!((auc(&good) - 1.0).abs() < 1e-6);
        let bad = [(0.1, true), (0.9, false)];
        assert!(auc(&bad) < 1e-6);
        assert_eq!(auc(&[(0.3, true)]), 0.5);
    }

    #[test]
    fn threshold_respects_target_fpr() {
        let mut v: Vec<(f32, bool, f32)> =
            (0..100).map(|i| (i as f32 / 100.0, false, 1.0)).collect();
        v.push((0.995, true, 1.0));
        let t = pick_threshold(&v, 0.05);
        let fp = v.iter().filter(|s| !s.1 && s.0 >= t).count();
        assert!(fp <= 5, "threshold {t} lets {fp} through");
        assert!(t > 0.9);
    }
}
