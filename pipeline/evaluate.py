"""Score `documents.jsonl` against gold annotations (the format of the annotation guide).

Matching follows the guide: counts by value and unit; places by official name or a
written form; programmes and honours by name or an alias after removing quotes,
punctuation and spaces, one name allowed inside the other when it covers at least 60%;
optional gold items neither reward nor penalise. Several articles of one source are
pooled; articles marked not relevant are left out.
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

from pipeline.clean import to_simplified

PUNCT = re.compile(r"[\s\"'“”‘’「」『』《》〈〉()（）\[\]【】<>·・.,，、。:：;；!！?？\-—_/]+")
UNIT_ALIASES = {"万元": "元", "亿元": "元", "户(次)": "户次", "％": "%", "百分之": "%", "个百分点": "%"}
PINYIN_ANYWHERE = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


def norm(s) -> str:
    s = PINYIN_ANYWHERE.sub("", unicodedata.normalize("NFKC", str(s or "")))
    return to_simplified(PUNCT.sub("", s)).lower()


def unit_of(u) -> str:
    u = to_simplified(PINYIN_ANYWHERE.sub("", unicodedata.normalize("NFKC", str(u or "")))).strip()
    return UNIT_ALIASES.get(u, u)


def close(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def name_match(pred, names, ratio: float = 0.6) -> bool:
    p = norm(pred)
    if not p:
        return False
    for n in names:
        g = norm(n)
        if not g:
            continue
        if p == g:
            return True
        short, long_ = sorted((p, g), key=len)
        if len(short) >= 2 and short in long_ and len(short) / len(long_) >= ratio:
            return True
    return False


def region_names(r) -> list[str]:
    if not r:
        return []
    if isinstance(r, str):
        return [r]
    out = [r.get("name")] if r.get("name") else []
    for v in (r.get("path"), r.get("names")):
        if isinstance(v, list):
            out += [x.get("name") if isinstance(x, dict) else x for x in v]
    return [x for x in out if x]


class Tally:
    def __init__(self):
        self.tp = self.fp = self.fn = 0

    def add(self, tp, fp, fn):
        self.tp += tp
        self.fp += fp
        self.fn += fn

    def prf(self):
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def match(golds, preds, same):
    """Greedy one-to-one matching. Returns (tp, fp, fn, pairs)."""
    used, pairs, tp, fp = set(), [], 0, 0
    for p in preds:
        hit = next((gi for gi, g in enumerate(golds) if gi not in used and same(g, p)), None)
        if hit is None:
            fp += 1
        else:
            used.add(hit)
            pairs.append((golds[hit], p))
            tp += not golds[hit].get("optional")
    fn = sum(1 for gi, g in enumerate(golds) if gi not in used and not g.get("optional"))
    return tp, fp, fn, pairs


def _unique(items, key):
    seen, out = set(), []
    for x in items:
        k = norm(key(x))
        if k and k not in seen:
            seen.add(k)
            out.append(x)
    return out


def score(gold_dir: Path, docs_path: Path):
    """Return (scores, per-document rows)."""
    by_source = defaultdict(list)
    for line in Path(docs_path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            if d.get("relevant", True) is not False:
                by_source[Path(str(d.get("source", ""))).stem].append(d)
    T = {k: Tally() for k in ("counts", "places", "programmes", "honours")}
    n = defaultdict(int)
    rows, missing = [], []
    for gf in sorted(Path(gold_dir).glob("*.json")):
        gold = json.loads(gf.read_text(encoding="utf-8"))
        arts = by_source.get(gf.stem, [])
        if not arts:
            missing.append(gf.stem)
        pool = lambda field: [x for a in arts for x in a.get(field, []) or []]
        c = match(gold.get("counts", []), pool("counts"),
                  lambda g, p: close(g["value"], p.get("value")) and unit_of(g["unit"]) == unit_of(p.get("unit")))
        T["counts"].add(*c[:3])
        pl = match(gold.get("places", []), _unique(pool("places"), lambda p: p.get("name")),
                   lambda g, p: name_match(p.get("name"), [g["name"]] + g.get("surface", []), ratio=1.0))
        T["places"].add(*pl[:3])
        matched = [g for g, _ in pl[3]]
        for g, p in pl[3]:
            if g.get("adcode"):
                n["code"] += 1
                n["code_ok"] += str(p.get("adcode") or "")[:6] == g["adcode"]
        n["code"] += sum(1 for g in gold.get("places", []) if g.get("adcode") and all(g is not x for x in matched))
        pr = match(gold.get("programmes", []), _unique(pool("programmes"), lambda p: p.get("name")),
                   lambda g, p: name_match(p.get("name"), [g["name"]] + g.get("aliases", [])))
        T["programmes"].add(*pr[:3])
        for g, p in pr[3]:
            if g.get("region") and not g.get("optional"):
                n["attr"] += 1
                n["attr_ok"] += any(name_match(x, [g["region"]], ratio=1.0) for x in region_names(p.get("region")))
        honours = [o for o in pool("outcomes") if o.get("type") == "honour"]
        ho = match(gold.get("honours", []), _unique(honours, lambda h: h.get("name") or h.get("text")),
                   lambda g, p: name_match(p.get("name") or p.get("text"), [g["name"]] + g.get("aliases", [])))
        T["honours"].add(*ho[:3])
        mr = gold.get("main_region")
        if mr and mr.get("name"):
            n["main"] += 1
            got = (arts[0].get("main_region") if arts else None) or {}
            n["main_ok"] += bool(got) and (name_match(got.get("name"), [mr["name"]], 1.0) or
                                           bool(mr.get("adcode")) and str(got.get("adcode") or "")[:6] == mr["adcode"])
        if gold.get("published"):
            n["pub"] += 1
            n["pub_ok"] += bool(arts) and str(arts[0].get("published") or "").startswith(gold["published"])
        rows.append((gf.stem, c[:3], pl[:3], pr[:3], ho[:3]))
    res = {k: dict(zip(("precision", "recall", "f1"), (round(x, 3) for x in t.prf()))) for k, t in T.items()}
    ratio = lambda a, b: round(n[a] / n[b], 3) if n[b] else None
    res["place_adcode_accuracy"] = ratio("code_ok", "code")
    res["programme_region_accuracy"] = ratio("attr_ok", "attr")
    res["main_region_accuracy"] = ratio("main_ok", "main")
    res["published_accuracy"] = ratio("pub_ok", "pub")
    res["documents"] = len(rows)
    res["documents_missing"] = missing
    return res, rows
