"""Counts: numbers with a measure word, normalised ("2.6万余名" -> 26000 名, approx).

    >>> parse_count("2.6万余名")
    ParsedCount(text='2.6万余名', value=26000.0, unit='名', approx=True, start=0, end=6, vague=False)
    >>> [(c.value, c.unit) for c in find_counts("帮助481名妇女争取创业贷款5666万元")]
    [(481.0, '名'), (56660000.0, '元')]

Three layers, each usable alone:
- `parse_count(text)`: one count written on its own ("逾千万元", "22.04万户(次)"), no context rules;
- `find_counts(text)`: every count in running text, with the context rules of the guide
  (years, dates, durations, ordinals, hotlines, codes, names and slogans, ages, list items);
- the `fed_counts` spaCy component: `find_counts` over `doc.text`, plus the counted object,
  the governing action and the sentence, as `schemas.Count` in `doc._.counts` and spans
  in `doc.spans["counts"]`.

Word lists live in `data/units.yaml` (units, multipliers, approximation marks) and
`data/counts_context.yaml` (exclusion contexts, action verbs, object boundaries); both are
read once per process. Matching runs on a copy of the text with traditional and full-width
forms mapped one character to one character, so offsets are those of the text given.
"""
from __future__ import annotations

import bisect
import functools
import itertools
import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, Optional, Union

from spacy.language import Language
from spacy.tokens import Doc

from extractors.spans import doc_text, set_spans, token_starts
from pipeline.segment import words_tagged
from pipeline.datafiles import load_yaml
from schemas import Count

CN_DIGITS = "零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖拾佰仟"
MAGNITUDES = "十百千万亿"
MAGNITUDE_SET = set(MAGNITUDES)
BIG_MAGNITUDES = set("百千万亿")
CN_NUMERAL_CHARS = set(CN_DIGITS + MAGNITUDES)
ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"


class ParsedCount(NamedTuple):
    """A count as written: value with 万/亿 applied, unit without marks, offsets into the text."""

    text: str
    value: float
    unit: str
    approx: bool
    start: int
    end: int
    vague: bool = False


# ---------------------------------------------------------------- vocabularies (loaded once)

def _read_yaml(name: str) -> dict:
    return load_yaml("extractors", f"data/{name}")


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict:
    """Units, multipliers and approximation marks from `data/units.yaml`, with the compiled
    patterns built from them."""
    data = _read_yaml("units.yaml")
    group_of = {u: g for g, us in data["units"].items() for u in us}
    approx = data["approx"]
    vague = "".join(data["vague_marks"])
    infix = "".join(approx["infix"])
    units = sorted(group_of, key=len, reverse=True)
    unit_alt = "|".join(re.escape(u) for u in units)
    chinese = f"[{CN_DIGITS}{MAGNITUDES}{vague}]+"
    number = f"(?:{ARABIC}|{chinese})"
    # the number comes first so that the regex engine can skip ahead to digits quickly;
    # prefixes (近, 逾 …) and suffixes (以上 …) are read around the match
    pattern = re.compile(
        rf"(?P<num>{number})"
        rf"(?:(?P<sep>[-~至到])(?P<num2>{number}))?"
        rf" ?(?P<mult>[百千万亿]{{0,2}})"
        rf"(?P<infix>[{infix}]?)"
        rf"(?P<mult2>[万亿]?)"
        rf" ?(?P<unit>{unit_alt})"
        rf"(?P<paren>\(次\))?")
    percent_words = re.compile(rf"百分之(?P<num>[{CN_DIGITS}{MAGNITUDES}点]+|{ARABIC})")
    table = {ord(k): v for k, v in data["traditional"].items() if len(k) == 1 and len(v) == 1}
    return {
        "pattern": pattern,
        "percent_words": percent_words,
        "multipliers": {k: int(v) for k, v in data["multipliers"].items()},
        "prefix_start_re": re.compile("|".join(map(re.escape, sorted(approx["prefix"], key=len, reverse=True)))),
        "prefix_magnitude_only": set(approx["approx_prefix_magnitude_only"]),
        "prefix_not_after": {k: set(v) for k, v in approx["prefix_not_after"].items()},
        "suffixes": sorted(approx["suffix"], key=len, reverse=True),
        "suffix_re": re.compile("|".join(map(re.escape, sorted(approx["suffix"], key=len, reverse=True)))),
        "prefix_re": re.compile("(?:" + "|".join(map(re.escape, sorted(approx["prefix"], key=len, reverse=True))) + ")$"),
        "needs_translation": re.compile("[" + re.escape("".join(k for k in data["traditional"] if len(k) == 1)) + "]"),
        "blocked": {k: tuple(v) for k, v in data["blocked_words"].items()},
        "vague": set(vague),
        "table": table,
    }


@functools.lru_cache(maxsize=1)
def context() -> dict:
    """Exclusion contexts, action verbs and object boundaries from `data/counts_context.yaml`."""
    data = _read_yaml("counts_context.yaml")
    groups = _read_yaml("units.yaml")["units"]
    cn_units = {u for g in data["chinese_numeral_units"] for u in groups[g]} | set(data["chinese_numeral_extra_units"])
    actions = sorted(set(data["actions"]), key=len, reverse=True)
    linking = sorted(set(data["linking_words"]), key=len, reverse=True)
    clause = re.escape(data["clause_marks"].replace("\\n", "\n"))
    return {
        "ordinal_prefixes": tuple(data["ordinal_prefixes"]),
        "ordinal_prefixes_chinese": tuple(data["ordinal_prefixes_before_chinese_numeral"]),
        "page_counter": re.compile("(?:" + "|".join(map(re.escape, data["page_counters"])) + r")(?:(?:量|数|次数)\s*[:：]?|\s*[:：])\s*$"),
        # after the unit, an optional 多/余/半 then a time word: 4个多月
        "duration_after": {k: re.compile("[多余半]?(?:" + "|".join(map(re.escape, v)) + ")")
                           for k, v in data["duration_after_unit"].items()},
        "session_after": {k: tuple(v) for k, v in data["session_after"].items()},
        "cn_units": cn_units,
        "cn_never": set(data["chinese_numeral_never"]),
        "cn_concrete": tuple(data["chinese_numeral_concrete_nouns"]),
        "cn_any_unit_from": int(data["chinese_numeral_any_unit_from"]),
        "quotes": [tuple(q) for q in data["quotes"]],
        "titles": [tuple(q) for q in data["title_marks"]],
        "short_quote": int(data["short_quote_chars"]),
        # a title of up to 80 characters, or a quotation of up to short_quote_chars, marks included
        "name_re": re.compile("|".join(
            f"{re.escape(o)}[^{re.escape(o + c)}]{{0,{limit - 2}}}{re.escape(c)}"
            for pairs, limit in ((data["title_marks"], 80), (data["quotes"], int(data["short_quote_chars"])))
            for o, c in pairs)),
        "clause_end": re.compile(f"[{clause}]"),
        "actions": set(actions),
        # linking words at the end of the text before a count, matched on the reversed text
        "action_re": re.compile("|".join(map(re.escape, actions))),
        "linking_reversed": re.compile(f"(?:{'|'.join(re.escape(w[::-1]) for w in linking)})+"),
        "object_stops": set(data["object_stops"]) | set(actions) | set(data["time_words"]),
        # verbs inside a longer token (共培养): only words of two characters or more
        "stop_re": re.compile("|".join(map(re.escape, sorted(
            {w for w in set(data["object_stops"]) | set(actions) if len(w) >= 2}, key=len, reverse=True)))),
        "closing_quote": {o: c for o, c in data["quotes"]},
        "closing_quotes": tuple(c for _, c in data["quotes"]),
        "quote_chars": "".join(c for pair in data["quotes"] + data["title_marks"] for c in pair) + "\"'",
        "single_char_objects": set(data["single_char_objects"]),
        "verb_complements": set(data["verb_complements"]),
        "quoted_tail": re.compile("(?:" + "|".join(f"{re.escape(o)}([^{re.escape(o + c)}]{{1,20}}){re.escape(c)}"
                                               for o, c in data["quotes"]) + ")$"),
        "modifier_verbs": tuple(data["modifier_verbs"]),
        "object_max": int(data["object_max_chars"]),
    }


# ---------------------------------------------------------------- numbers

@functools.lru_cache(maxsize=4096)
def chinese_number(s: str) -> Optional[Decimal]:
    """Value of a Chinese numeral ("两万" -> 20000, "百" -> 100, "十几" -> 10), None if not one."""
    s = s.replace("几", "").replace("数", "")
    if not s:
        return None
    if s[0] in MAGNITUDES:  # cn2an's smart mode wants the leading 一 of 百/千万
        s = "一" + s
    import cn2an  # on first use: importing it takes 0.3 s, and most texts write numbers in digits
    try:
        value = cn2an.cn2an(s, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _number(s: str) -> Union[int, Decimal, None]:
    """Value of an Arabic or Chinese number; exact (int, or Decimal for fractions)."""
    if s.isdigit():
        return int(s)
    if s[0].isdigit():
        try:
            return Decimal(s.replace(",", ""))
        except InvalidOperation:
            return None
    return chinese_number(s)


def _value(m: re.Match, voc: dict) -> Optional[tuple[Union[int, Decimal], bool]]:
    """(value, is_range) of a pattern match; None when the number does not parse."""
    num, _, num2, mult, _, mult2, _, _ = m.groups()
    return _value_of(num, num2, mult + mult2, voc)


def _value_of(num: str, num2: Optional[str], mults: str, voc: dict) -> Optional[tuple[Union[int, Decimal], bool]]:
    base = int(num) if num.isdigit() else _number(num)
    if base is None:
        return None
    is_range = False
    if num2:
        upper = _number(num2)
        if upper is None or upper <= base:
            return None
        is_range = True
    for ch in mults:
        base *= voc["multipliers"][ch]
    return base, is_range


def _unit(m: re.Match) -> str:
    return m.group("unit") + ("次" if m.group("paren") else "")



# ---------------------------------------------------------------- one count

def normalise(text: str) -> str:
    """`text` with traditional and full-width forms mapped one character to one (same length)."""
    voc = vocabulary()
    return text.translate(voc["table"]) if voc["needs_translation"].search(text) else text


def parse_count(text: str) -> Optional[ParsedCount]:
    """Parse one count written on its own ("2.6万余名", "逾千万元", "96.8%", "22.04万户(次)").

    Returns a ParsedCount (offsets into `text`, surrounding spaces excluded) or None when
    `text` is not exactly one count. No context rules apply: use `find_counts` for running text.
    """
    if not isinstance(text, str) or len(text) > 200:
        return None
    voc = vocabulary()
    norm = normalise(text)
    core = norm.strip()
    if not core:
        return None
    lead = len(norm) - len(norm.lstrip())
    span = (text[lead:lead + len(core)], lead, lead + len(core))
    m = voc["percent_words"].fullmatch(core)
    if m:
        value = _percent_words_value(m.group("num"))
        return None if value is None else ParsedCount(span[0], float(value), "%", False, span[1], span[2])
    prefix = voc["prefix_start_re"].match(core)
    for skip in ([prefix.end()] if prefix else []) + [0]:
        m = voc["pattern"].match(core, skip)
        if m is None or (m.end() < len(core) and core[m.end():] not in voc["suffixes"]):
            continue
        parsed = _value(m, voc)
        if parsed is None:
            return None
        value, is_range = parsed
        num = m.group("num")
        vague = not num[0].isdigit() and bool(set(num) & voc["vague"])
        approx = bool(skip) or is_range or vague or bool(m.group("infix")) or m.end() < len(core)
        return ParsedCount(span[0], float(value), _unit(m), approx, span[1], span[2], vague)
    return None


def _percent_words_value(s: str) -> Union[int, Decimal, None]:
    """Value of the number after 百分之: 九十五 -> 95, 九十五点五 -> 95.5, 12.5 -> 12.5."""
    if s[0].isdigit():
        return _number(s)
    whole, dot, frac = s.partition("点")
    value = chinese_number(whole) if whole else Decimal(0)
    if not dot:
        return value
    digits = [chinese_number(c) for c in frac]
    if value is None or not frac or any(d is None or d > 9 for d in digits):
        return None
    return value + Decimal("0." + "".join(str(int(d)) for d in digits))


# ---------------------------------------------------------------- counts in running text

def find_counts(text: str) -> list[ParsedCount]:
    """Every count in running text, in order, with the guide's exclusions applied.

    Returns ParsedCount items whose `text` is `text[start:end]` (approximation marks included)."""
    return _find_counts(normalise(text), text)


def _find_counts(norm: str, text: str) -> list[ParsedCount]:
    voc, ctx = vocabulary(), context()
    out: list[ParsedCount] = []
    names = _Names(norm, ctx)
    for m in voc["pattern"].finditer(norm):
        c = _candidate(norm, text, m, voc, ctx, names)
        if c is not None:
            out.append(c)
    if "百分之" in norm:
        for m in voc["percent_words"].finditer(norm):
            value = _percent_words_value(m.group("num"))
            if value is None or names.covers(m.start(), m.end()):
                continue
            end, approx = _read_suffix(norm, m.end(), voc)
            out.append(ParsedCount(text[m.start():end], float(value), "%", approx, m.start(), end))
        out.sort(key=lambda c: c.start)
    return out


def _read_suffix(norm: str, end: int, voc: dict) -> tuple[int, bool]:
    m = voc["suffix_re"].match(norm, end)
    return (m.end(), True) if m else (end, False)


def _candidate(norm: str, text: str, m: re.Match, voc: dict, ctx: dict, names: "_Names") -> Optional[ParsedCount]:
    """Apply the context rules to one pattern match; a ParsedCount or None."""
    num, _, num2, mult, infix, mult2, unit, paren = m.groups()
    start, end = m.span()
    chinese = not num[0].isdigit()
    if start:
        before = norm[start - 1]
        # codes, versions and parts of longer numbers: FM94.1, A12, 1.2.3
        if before.isdigit() or before == "." or before.isascii() and before.isalpha():
            return None
        if chinese and before in CN_NUMERAL_CHARS:
            return None
    # a space may stand between the number and what is written before it (第 3 名, 近 5000 人)
    lead = start - 1 if start and norm[start - 1] == " " else start
    # ordinals and sessions: 第二轮, 十二届六次, 排名前3名
    if lead and norm.endswith(ctx["ordinal_prefixes"], max(0, lead - 4), lead):
        return None
    if chinese and lead and norm.endswith(ctx["ordinal_prefixes_chinese"], max(0, lead - 4), lead):
        return None
    # a page's view counter: 点击:356次, 浏览量 1200 次
    if lead and ctx["page_counter"].search(norm, max(0, lead - 6), lead):
        return None
    # the unit starts a longer word: 12023家庭, 所有, 次日
    blocked = voc["blocked"].get(unit)
    if blocked and not paren and norm.startswith(blocked, m.start("unit")):
        return None
    # durations (4个多月, 3个工作日), sessions (六次执委会), one-to-one (1对1)
    if unit in ctx["duration_after"] and ctx["duration_after"][unit].match(norm, end):
        return None
    if unit in ctx["session_after"] and norm.startswith(ctx["session_after"][unit], end):
        return None
    # 1对1, 1户1档, 1村1品: a pattern of one-to-one, not a count
    if end < len(norm) and (norm[end].isdigit() or norm[end] in "一1") and num in ("1", "一"):
        return None
    parsed = _value_of(num, num2, mult + mult2, voc)
    if parsed is None:
        return None
    value, is_range = parsed
    approx = is_range or bool(infix)
    vague = False
    if paren:
        unit += "次"
    # approximation marks before the number: 近5000人, 逾千万元, 上千名
    pstart = start
    pm = voc["prefix_re"].search(norm, max(0, lead - 3), lead) if lead else None
    if pm:
        p = pm.group(0)
        prev = norm[pm.start() - 1] if pm.start() else ""
        if not (p in voc["prefix_magnitude_only"] and not (chinese and set(num) <= BIG_MAGNITUDES)) \
                and prev not in voc["prefix_not_after"].get(p, ()):
            pstart, approx = pm.start(), True
    # approximation marks after the unit: 95%以上, 4000元左右
    sm = voc["suffix_re"].match(norm, end)
    if sm:
        end, approx = sm.end(), True
    if chinese:
        digits = set(num)
        if num in ctx["cn_never"] or value == 0:
            return None
        if digits & voc["vague"]:
            vague = approx = True
            if not digits & MAGNITUDE_SET:
                return None
        elif digits <= BIG_MAGNITUDES and not approx:
            # a bare 千/万 without a mark belongs to a slogan: 千名农家女, 万名党员进党校, 千家万户
            return None
        if (not digits & BIG_MAGNITUDES and not approx and value < ctx["cn_any_unit_from"]
                and unit not in ctx["cn_units"] and not norm.startswith(ctx["cn_concrete"], end)):
            # 三个关键, 三项职责, 两个孩子: list items and description, not statistics (but
            # 三名, 两户, 五所学校, 十二个乡镇, and 二十余家 with its approximation mark are)
            return None
    if names.covers(pstart, end):
        return None
    return ParsedCount(text[pstart:end], float(value), unit, approx, pstart, end, vague)


class _Names:
    """Spans of the text inside a title 《…》 or a short quotation “…” (names and slogans),
    found once per text; `covers` answers by bisection."""

    def __init__(self, norm: str, ctx: dict):
        self.starts, self.ends = [], []
        for m in ctx["name_re"].finditer(norm):
            self.starts.append(m.start())
            self.ends.append(m.end())

    def covers(self, start: int, end: int) -> bool:
        """Is [start, end) inside one of the names?"""
        i = bisect.bisect_right(self.starts, start) - 1
        return i >= 0 and end <= self.ends[i]


# ---------------------------------------------------------------- object and action

class _Tokens:
    """The text of a Doc and the character offsets of its words (jieba tokens).

    The text is the shared copy of `extractors.spans.doc_text`."""

    def __init__(self, doc: Doc):
        self.starts = token_starts(doc)
        self.text = doc_text(doc)
        self.n = len(self.text)

    def is_boundary(self, offset: int) -> bool:
        """Does a word start (or the text end) at character `offset`?"""
        if offset >= self.n:
            return True
        i = bisect.bisect_left(self.starts, offset)
        return i < len(self.starts) and self.starts[i] == offset

    def word(self, i: int) -> str:
        """Token `i` (with its trailing space, if any)."""
        return self.text[self.starts[i]:self.starts[i + 1] if i + 1 < len(self.starts) else self.n]

    def index(self, offset: int) -> int:
        """Index of the token holding character `offset` (len(words) at the end of the text)."""
        return bisect.bisect_right(self.starts, offset) - 1 if offset < self.n else len(self.starts)

    def after(self, offset: int, hi: int):
        """(start, word) for the words from `offset` up to `hi`, the first one cut at `offset`."""
        i = self.index(offset)
        starts = self.starts
        while 0 <= i < len(starts) and starts[i] < hi:
            a = starts[i]
            w = self.word(i)
            if a < offset:
                w, a = w[offset - a:], offset
            if a + len(w) > hi:
                w = w[:hi - a]
            yield a, w
            i += 1

    def before(self, offset: int, lo: int):
        """(start, word) for the words before `offset` down to `lo`, nearest first, cut at both ends."""
        if offset <= lo:
            return
        i = self.index(offset - 1)
        starts = self.starts
        while i >= 0:
            a = starts[i]
            w = self.word(i)
            if a + len(w) > offset:
                w = w[:offset - a]
            if a < lo:
                w, a = w[lo - a:], lo
            if w:
                yield a, w
            if a <= lo:
                return
            i -= 1


def jieba_verbs() -> frozenset:
    """Words tagged as verbs (v) in jieba's bundled dictionary: they end an object phrase."""
    return words_tagged("v")


_CJK_WORD = re.compile("[\u3400-\u9fff]+")
_NON_WORD = re.compile(r"[\W_]")


def _is_word(w: str) -> bool:
    return _CJK_WORD.fullmatch(w) is not None


def _fit(words: list[str], limit: int, keep_end: bool) -> str:
    """Join words, dropping words from the far side until it fits `limit` characters."""
    while words and sum(map(len, words)) > limit:
        words = words[1:] if keep_end else words[:-1]
    return "".join(words)


def count_object(norm: str, start: int, end: int, clause: tuple[int, int], tokens: _Tokens, ctx: dict) -> Optional[str]:
    """What is counted: the noun phrase right after the count (481名妇女), else the one
    right before it (村妇联副主席36名, 创业贷款5666万元); None when neither is there."""
    stops, limit, verbs = ctx["object_stops"], ctx["object_max"], jieba_verbs()
    lo, hi = clause
    quoted = ""
    words = tokens.after(end, min(hi, end + 24))
    first = next(words, None)
    if first:
        words = itertools.chain((first,), words)
    if first and first[1] in ctx["closing_quote"]:  # 100场“新农村·新生活”培训班: the name, then nouns
        a = first[0]
        close = norm.find(ctx["closing_quote"][first[1]], a + 1, min(hi, a + 25))
        quoted = _NON_WORD.sub("", norm[a + 1:close]) if close >= 0 else ""
        words = tokens.after(close + 1, min(hi, close + 9)) if quoted else ()
    elif first and first[1].startswith(ctx["modifier_verbs"]):
        # a relative clause before 的: 18户符合条件的农村妇女, 50余名在生产经营中遇到困难的创业女性
        de = norm.find("的", first[0], min(hi, first[0] + 16))
        if de >= 0:
            words = tokens.after(de + 1, min(hi, de + 17))
    picked: list[str] = []
    for _, w in words:
        if not _is_word(w) or w in stops or w in verbs or w == "的":
            break
        picked.append(w)
        if len(picked) == 6:
            break
    after = quoted + _fit(picked, limit - min(len(quoted), limit - 4), keep_end=not quoted)
    if len(after) >= 2 or after in ctx["single_char_objects"]:
        return after
    # before the number: strip linking words (达, 共计, 为 …); a quoted name right before it
    # is the object (创建市级“巾帼文明岗”2个)
    window = max(lo, start - 24)
    left = norm[window:start]
    linking = ctx["linking_reversed"].match(left[::-1])
    if linking:
        left = left[:len(left) - linking.end()]
    if left.endswith(ctx["closing_quotes"]):
        m = ctx["quoted_tail"].search(left)
        name = _NON_WORD.sub("", next(g for g in m.groups() if g)) if m else ""
        if name:
            return name
    left = left.rstrip(ctx["quote_chars"])
    picked = []
    for _, w in tokens.before(window + len(left), window):
        if not _is_word(w):
            break
        hits = list(ctx["stop_re"].finditer(w)) if len(w) > 2 else []
        rest = w[hits[-1].end():] if hits else w
        if (w in stops or w == "的" or w in ctx["verb_complements"]
                or (hits and (not rest or rest in ctx["verb_complements"]))):
            if len("".join(picked)) == 1 and w in ctx["actions"]:  # 签订率达96.8%: the verb makes the noun
                picked.insert(0, w)
            break
        if hits and len(rest) >= 2:  # 共培养, 全面完成全市: the part after the verb
            picked.insert(0, rest)
            break
        picked.insert(0, w)  # 救助金, 宣传册: a compound noun that starts with a verb
        if len(picked) == 6:
            break
    before = _fit(picked, limit, keep_end=True)
    return before or after or None


class _Actions:
    """Where the action words (培训, 走访慰问 …) stand in a text: found once per text by one
    regex pass; a match counts only where it starts and ends at word boundaries."""

    def __init__(self, norm: str, tokens: _Tokens, ctx: dict):
        self.starts, self.ends, self.words = [], [], []
        for m in ctx["action_re"].finditer(norm):
            self.starts.append(m.start())
            self.ends.append(m.end())
            self.words.append(m.group())
        self.tokens = tokens

    def _whole(self, i: int) -> bool:
        return self.tokens.is_boundary(self.starts[i]) and self.tokens.is_boundary(self.ends[i])

    def last_before(self, offset: int, lo: int) -> Optional[str]:
        """The nearest action ending by `offset` and starting at or after `lo`."""
        i = bisect.bisect_right(self.starts, offset) - 1
        while i >= 0 and self.starts[i] >= lo:
            if self.ends[i] <= offset and self._whole(i):
                return self.words[i]
            i -= 1
        return None

    def first_after(self, offset: int, hi: int) -> Optional[str]:
        """The first action starting at or after `offset` and ending by `hi`."""
        i = bisect.bisect_left(self.starts, offset)
        while i < len(self.starts) and self.ends[i] <= hi:
            if self._whole(i):
                return self.words[i]
            i += 1
        return None


def count_action(start: int, end: int, clause: tuple[int, int], sentence: tuple[int, int],
                 actions: _Actions) -> Optional[str]:
    """The governing verb: the nearest action word before the count in its clause, else the
    first after it in its clause, else the nearest before it in its sentence (within 40
    characters). Whole words only: 联系 is not read out of 妇联系统."""
    lo = max(clause[0], start - 40)
    return (actions.last_before(start, lo)
            or actions.first_after(end, min(clause[1], end + 40))
            or actions.last_before(lo, max(sentence[0], start - 40)))


def _clause(norm: str, start: int, end: int, sentence: tuple[int, int], ctx: dict) -> tuple[int, int]:
    """(start, end) of the clause holding [start, end): between the clause marks (, ; : 、 …)
    around it, within its sentence."""
    lo, hi = sentence
    m = ctx["clause_end"].search(norm[lo:start][::-1])
    if m:
        lo = start - m.start()
    m = ctx["clause_end"].search(norm, end, hi)
    return lo, (m.start() if m else hi)


# ---------------------------------------------------------------- the component

def doc_counts(doc: Doc) -> list[Count]:
    """The counts of a Doc as schemas.Count records (uses doc._.sentences when set)."""
    return _doc_counts(doc, _Tokens(doc))


def _doc_counts(doc: Doc, tokens: _Tokens) -> list[Count]:
    text = tokens.text
    norm = normalise(text)
    found = _find_counts(norm, text)
    if not found:
        return []
    ctx = context()
    actions = _Actions(norm, tokens, ctx)
    # doc._.sentences as fed_sentences sets it; looked up by bisection once per count
    # (the same result as extractors.sentences.sentence_at, without rebuilding its index each call)
    sentences = doc._.sentences or [(0, len(text))]
    starts = [a for a, _ in sentences]
    out, prev_end = [], 0
    for c in found:
        sent = sentences[max(0, bisect.bisect_right(starts, c.start) - 1)]
        clause = _clause(norm, c.start, c.end, sent, ctx)
        # two counts side by side (2400多笔3600多万元): the second's object is not read out of the first
        near = (max(clause[0], prev_end), clause[1])
        obj = count_object(norm, c.start, c.end, near, tokens, ctx)
        if obj is None and out and prev_end == c.start:  # 小额贷款2400多笔3600多万元
            obj = out[-1].object
        out.append(Count(
            text=c.text, value=c.value, unit=c.unit, approx=c.approx, object=obj,
            action=count_action(c.start, c.end, clause, sent, actions),
            start=c.start, end=c.end, sentence=text[sent[0]:sent[1]]))
        prev_end = c.end
    return out


@Language.component("fed_counts", requires=["doc._.sentences"], assigns=["doc._.counts", "doc.spans"])
def fed_counts(doc: Doc) -> Doc:
    """Set doc._.counts (schemas.Count list) and doc.spans["counts"] (label: the unit)."""
    tokens = _Tokens(doc)
    counts = _doc_counts(doc, tokens)
    doc._.counts = counts
    set_spans(doc, "counts", [(c.start, c.end, c.unit) for c in counts])
    return doc
