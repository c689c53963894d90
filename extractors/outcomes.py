"""Outcomes: honours received, promotion by a higher level, media coverage, quantified results.

    >>> [h.name for h in find_honours("被全国妇联评为“第十二届全国家庭工作先进集体”。")]
    ['第十二届全国家庭工作先进集体']

Honours are read as lists after an award verb: "获评全国“最美家庭”3户、省级“最美家庭”6户"
gives 全国最美家庭 and 省级最美家庭 (a level prefix belongs to the title; an unquoted item
without one takes the level, and a bare title ending the stem, of the item before it:
"全省妇联系统先进集体1个、先进个人1名" -> 全省妇联系统先进个人). `find_honours` is also used by
the programme extractor, so that an honour is not taken for a programme.

The vocabulary (award verbs, levels, title endings, outlet names, promotion patterns) is
in `extractors/data/outcomes.yaml`, loaded once by `vocabulary()`.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from extractors.spans import doc_text, set_spans
from pipeline.datafiles import load_yaml
from schemas import Outcome

_CJK = "\u4e00-\u9fff"
_QUOTES = "“”‘’「」『』〝〞\""
_STRIP_QUOTES = re.compile(f"[{_QUOTES}《》]")
_NUM = r"(?:\d+(?:\.\d+)?|[一二三四五六七八九十百千万两]+)"


def _alt(words) -> str:
    """A regex alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class OutcomeVocabulary:
    """Compiled patterns of outcomes.yaml."""

    triggers: re.Pattern          # award verbs; group names say the kind
    trigger_initial: re.Pattern   # where a trigger may start
    levels: re.Pattern            # a level prefix at the start of a title (全国, 省级 …)
    place_prefix: re.Pattern      # a place name at the start of a title (青岛市十大最美家庭)
    title_end: re.Pattern         # a title ending at the end of an item
    title_then_person: re.Pattern  # a title ending followed by a person's name
    title_suffixes: frozenset
    tails: re.Pattern             # 荣誉 / 称号 … at the end of an item
    generic: frozenset
    lead_count: re.Pattern
    trail_count: re.Pattern
    etc_run: re.Pattern           # "A、B、C等工作先进集体" as one title
    promotion: re.Pattern
    media_verb: re.Pattern
    outlet: re.Pattern
    organisation: re.Pattern
    result_cue: re.Pattern
    number: re.Pattern


@functools.lru_cache(maxsize=1)
def vocabulary() -> OutcomeVocabulary:
    """The outcome vocabulary, read from extractors/data/outcomes.yaml once per process."""
    data = load_yaml("extractors", "data/outcomes.yaml")
    suffixes = _alt(data["title_suffixes"])
    units = _alt(data["count_units"])
    levels = _alt([w for w in data["levels"] if len(w) > 1])
    single_levels = "".join(w for w in data["levels"] if len(w) == 1)
    tails = _alt(data["title_tails"])
    triggers = "|".join([
        "(?P<strong>" + "|".join(f"(?:{p})" for p in data["strong_triggers"]) + ")",
        "(?P<title>" + "|".join(f"(?:{p})" for p in data["title_triggers"]) + ")",
        "(?P<weak>" + "|".join(f"(?:{p})" for p in data["weak_triggers"]) + ")",
    ])
    outlet_titles = _alt(data["outlet_title_heads"])
    outlet = (f"《[^《》\n]{{1,20}}(?:{outlet_titles})》"
              f"|[{_CJK}]{{2,10}}?(?:{_alt(data['outlet_suffixes'])})"
              f"|{_alt(data['outlets'])}"
              f"|[{_CJK}]{{2,4}}网(?=[、,和及等与])")
    return OutcomeVocabulary(
        triggers=re.compile(triggers),
        trigger_initial=re.compile(_alt(data["trigger_openers"])),
        levels=re.compile(rf"^(?:\d{{4}}年度?)?(?:(?:{levels})(?!级以上)|[{single_levels}](?!妇联|委|政府|级|直))"),
        place_prefix=re.compile(rf"^(?:\d{{4}}年度?)?(?!其中|共|全|各|该|本|我|其)[{_CJK}Xx]{{1,4}}?(?:省|市|州|县|区)(?!级|妇联|委|政府)"),
        title_end=re.compile(f"(?:{suffixes})$"),
        title_then_person=re.compile(f"^(.*(?:{suffixes}))([{_CJK}]{{2,4}})$"),
        title_suffixes=frozenset(data["title_suffixes"]),
        tails=re.compile(f"(?:{tails})$"),
        generic=frozenset(data["generic_awards"]),
        lead_count=re.compile(rf"^(?:其中|共|另有)?(?:\d+(?:\.\d+)?(?![年\d\-.])(?:余|多)?(?:{units})?|[一二三四五六七八九十百千两]+(?:余|多)?(?:{units}))"),
        trail_count=re.compile(rf"(?:各|共|均|分别)?(?:{_NUM}(?:余|多)?(?:{units})(?:余|多)?|\d+)$"),
        etc_run=re.compile(rf"^([^,。;!?\n]*?等[^,。;、等!?\n]*?(?:{suffixes}))(?:{tails})?(?=[,。;!?\n]|$)"),
        promotion=re.compile("|".join(f"(?:{p})" for p in data["promotion_patterns"])),
        media_verb=re.compile(_alt(data["media_verbs"])),
        outlet=re.compile(outlet),
        organisation=re.compile(rf"(?:全国|国家|[{_CJK}Xx]{{2,8}}?(?:省|市|县|区|州|镇|乡|街道)|省|市|县|区|州)?"
                                rf"(?:{_alt(data['bodies'])}|[{_CJK}]{{1,4}}(?:{_alt(data['body_endings'])}))"),
        result_cue=re.compile(_alt(data["result_cues"])),
        number=re.compile(rf"\d+(?:\.\d+)?(?:万|亿)?(?:余|多)?(?:{units}|%|元|万元|亿元)"),
    )


# ---------------------------------------------------------------- text helpers

class Boundaries:
    """Offsets where sentences (or clauses) start, found once per text; `start_of(a)` is the
    start of the one holding offset `a`. A "?" or "!" between letters is a character lost in
    conversion (吉象?芳华), not a boundary."""

    def __init__(self, text: str, marks: str):
        self.starts = [m.end() for m in _mark_pattern(marks).finditer(text)
                       if m.group(0) not in "?!" or not _between_letters(text, m.start())]

    def start_of(self, a: int) -> int:
        i = bisect.bisect_right(self.starts, a) - 1
        return self.starts[i] if i >= 0 else 0

    @staticmethod
    def of(text: str, marks: str) -> "Boundaries":
        """`Boundaries(text, marks)`, shared: the extractors ask for the same few of one text."""
        return _boundaries(text, "".join(sorted(set(marks))))


@functools.lru_cache(maxsize=8)
def _boundaries(text: str, marks: str) -> Boundaries:
    return Boundaries(text, marks)


@functools.lru_cache(maxsize=8)
def _mark_pattern(marks: str) -> re.Pattern:
    return re.compile(f"[{re.escape(marks)}]")


def _between_letters(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and bool(re.match(f"[{_CJK}]", text[i - 1])) and bool(re.match(f"[{_CJK}]", text[i + 1]))


class Sentences:
    """doc._.sentences looked up by bisection (what extractors.sentences.sentence_at does,
    with its index built once per document rather than once per call)."""

    def __init__(self, sentences, n_chars: int):
        self.spans = list(sentences or [(0, n_chars)])
        self.starts = [a for a, _ in self.spans]

    def at(self, offset: int) -> tuple[int, int]:
        return self.spans[max(0, bisect.bisect_right(self.starts, offset) - 1)]


# ---------------------------------------------------------------- honours

@dataclass(frozen=True)
class HonourItem:
    """One title in an honour list."""

    start: int            # offset of the item (level prefix .. title end) in the text
    end: int
    name: str             # the title without quotes, level prefix included
    by: Optional[str]     # awarding body where stated ("被全国妇联评为…")
    strong: bool          # after an award verb (not a weak designation verb such as 创建)
    titled: bool          # ends in a title ending (先进集体, 示范基地 …)


# sentence ends; "?" and "!" only before a space, a quote or the end (a "?" between letters
# is a character lost in conversion)
_QUOTED = re.compile(r"“[^“”\n]{1,40}”")
_SENT_END = re.compile(r"[。\n]|[!?](?=[\s”’」』]|$)")
_ITEM_SEP = re.compile(r"[、,;]|”(?=“)|(?<=[”\d个名户家项所])(?:和|及|以及|与)|(?:和|及|以及|与)(?=“|全国|国家级|省级|市级|县级|区级)")


def find_honours(text: str, vocab: Optional[OutcomeVocabulary] = None) -> list[HonourItem]:
    """Honour titles of `text`, in order, one per mention (not yet de-duplicated)."""
    v = vocab or vocabulary()
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text)]
    qstarts = [a for a, _ in quoted]
    triggers, last = [], 0
    for c in v.trigger_initial.finditer(text):  # what triggers.finditer would find, faster
        if c.start() < last:
            continue
        i = bisect.bisect_right(qstarts, c.start()) - 1
        if i >= 0 and quoted[i][1] > c.start():
            continue  # inside a quoted title: “全国创建学习型家庭示范社区”
        m = v.triggers.match(text, c.start())
        if m and m.end() > m.start():
            triggers.append(m)
            last = m.end()
    starts = [m.start() for m in triggers]
    out: list[HonourItem] = []
    for m in triggers:
        kind = "strong" if m.group("strong") else "title" if m.group("title") else "weak"
        by = m.groupdict().get("by")
        end_m = _SENT_END.search(text, m.end(), m.end() + 240)
        limit = end_m.start() if end_m else min(len(text), m.end() + 240)
        out.extend(_honour_list(text, m.end(), limit, kind, by, starts, v))
    return out


_HONOURS_KEY = "fedreports.outcomes.honours"


def honours_of(doc: Doc, text: str) -> list[HonourItem]:
    """`find_honours(text)` for a doc, computed once: the programme extractor reads the honours
    (to leave them out) before the outcome extractor reports them."""
    cached = doc.user_data.get(_HONOURS_KEY)
    if cached is not None and cached[0] == text:
        return cached[1]
    items = find_honours(text)
    doc.user_data[_HONOURS_KEY] = (text, items)
    return items


def _honour_list(text: str, pos: int, limit: int, kind: str, by: Optional[str], trigger_starts: list,
                 v: OutcomeVocabulary) -> list[HonourItem]:
    segment = text[pos:limit]
    first_clause = _CLAUSE_MARK.split(segment, 1)[0]
    run = v.etc_run.match(segment) if "等" in first_clause and "、" in first_clause else None
    if run:  # "市妇联系统儿少、宣传、维权、办公室等工作先进集体荣誉": one title
        name = _STRIP_QUOTES.sub("", run.group(1)).strip()
        return [HonourItem(pos, pos + run.end(1), name, by, kind != "weak", True)] if len(name) <= 40 else []
    # raw items between separators
    raw, last = [], pos
    for sep in _ITEM_SEP.finditer(text, pos, limit):
        e = sep.start() + (1 if sep.group(0) == "”" else 0)
        raw.append((last, e, text[sep.start():sep.end()] if sep.group(0) != "”" else ""))
        last = sep.end()
    raw.append((last, limit, ""))
    items: list[HonourItem] = []
    level, stem, prev_quoted, prev_count = "", None, False, False
    after_clause = False
    for s, e, sep in raw:
        i = bisect.bisect_left(trigger_starts, s)
        if i < len(trigger_starts) and trigger_starts[i] < e:
            break  # a new award verb starts its own list
        item = _parse_item(text, s, e, v)
        if item is None:
            break
        s2, e2, name, quoted, had_count, ended, had_tail = item
        in_quote = _quote_depth(text, pos, s2) > 0
        quoted = quoted or in_quote
        if after_clause and not _continues_list(text, s, s2, name, had_count, v):
            break  # "获得一等奖;开展“书香家庭”评选活动": a new clause, not another title
        after_clause = sep in (",", ";")
        lv = v.levels.match(name)
        level_word = bool(lv and lv.end() < len(name))
        lv = lv if level_word else v.place_prefix.match(name)
        own_level = lv.group(0) if lv and lv.end() < len(name) else ""
        # "…称号": a title whatever its ending, when quoted or with a level ("获得的最高荣誉" is not)
        titled = bool(v.title_end.search(name)) or had_tail and (quoted or bool(own_level))
        if name.startswith("的"):
            break
        body = name[len(own_level):]
        if not body or body in v.generic or len(name) > 30:
            break
        # a quoted item is a title when nothing but a level stands outside its quotes
        bare_quote = quoted and not _outside_text(text[s2:e2], in_quote)[len(own_level):]
        if kind == "weak":
            ok = titled
        elif kind == "title":
            ok = titled or bare_quote
        else:
            # an untitled item needs a level word: "邵武市…社区、…等11个集体" lists recipients
            ok = titled or bare_quote or level_word and not quoted
        if not ok:
            break
        if own_level:
            level = own_level
        elif level and not (quoted and prev_count):
            # an unquoted (or directly following) item shares the level of the one before
            name = level + (stem or "") + name if name in v.title_suffixes and not prev_quoted else level + name
        elif level:
            level = ""  # the chain of shared levels ends here
        elif name in v.title_suffixes and stem and not prev_quoted:
            name = stem + name
        lv = v.levels.match(name) or v.place_prefix.match(name)
        body = name[lv.end():] if lv and lv.end() < len(name) else name
        t = v.title_end.search(body)
        stem = body[:t.start()] if t and t.start() > 0 else None
        items.append(HonourItem(s2, e2, name, by, kind != "weak", titled))
        prev_quoted, prev_count = quoted, had_count
        if ended:
            break
    return items


def _continues_list(text: str, raw_start: int, s: int, name: str, had_count: bool, v: OutcomeVocabulary) -> bool:
    """After a comma or semicolon a list of titles goes on only with a level, a quote, a count
    or a bare title ending ("…先进集体1个;省级三八红旗集体1个", ",10先进个人", ",示范户85户")."""
    return bool(v.levels.match(name) or v.place_prefix.match(name) or (s > 0 and text[s - 1] in "“‘")
                or had_count or name in v.title_suffixes
                or re.match(r"\s*(?:\d|[一二三四五六七八九十两]+[个名户位家对项])", text[raw_start:raw_start + 4]))


def _parse_item(text: str, s: int, e: int, v: OutcomeVocabulary):
    """(start, end, name, quoted, had_count, ends_list) of one raw list item, or None."""
    while s < e and text[s] in " \u3000":
        s += 1
    while e > s and text[e - 1] in " \u3000":
        e -= 1
    raw = text[s:e]
    ended = False
    etc = _outside_quotes_index(raw, "等")
    if etc is not None:
        raw, ended = raw[:etc], True
        e = s + etc
    if raw.startswith(("各级", "各类")):  # "选树各级“最美家庭”162户": all levels, not one
        s, raw = s + 2, raw[2:]
    lead = v.lead_count.match(raw)
    if lead and lead.end() < len(raw):
        s += lead.end()
        raw = raw[lead.end():]
    had_count = had_tail = False
    for _ in range(2):
        t = v.trail_count.search(raw)
        if t and t.start() > 0:
            raw, had_count = raw[:t.start()], True
            e = s + len(raw)
        tail = v.tails.search(raw)
        if tail and tail.start() > 0:
            raw, had_tail = raw[:tail.start()], True
            e = s + len(raw)
    quoted = any(c in _QUOTES for c in raw)
    name = _STRIP_QUOTES.sub("", raw).strip()
    person = v.title_then_person.match(name)
    if person and person.group(2) not in v.title_suffixes and not v.title_end.search(name):
        cut = len(name) - len(person.group(2))
        name = name[:cut]
        # shorten the span by the person's name as written
        e = s + raw.rfind(person.group(2)) if person.group(2) in raw else e
    if not name or not re.search(f"[{_CJK}]", name):
        return None
    while e > s and text[e - 1] in "”’」』":
        e -= 1
    while s < e and text[s] in "“‘「『":
        s += 1
    return s, e, name, quoted, had_count, ended, had_tail


def _quote_depth(text: str, a: int, b: int) -> int:
    """How many quotes opened in text[a:b] are still open at b."""
    depth = 0
    for c in text[a:b]:
        if c in "“‘「『":
            depth += 1
        elif c in "”’」』":
            depth = max(0, depth - 1)
    return depth


def _outside_text(s: str, inside: bool = False) -> str:
    """The characters of `s` outside quote marks; `inside`: `s` starts within a quote."""
    out, depth = [], int(inside)
    for c in s:
        if c in "“‘「『":
            depth += 1
        elif c in "”’」』":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(c)
    return "".join(out)


def _outside_quotes_index(s: str, ch: str) -> Optional[int]:
    """Index of the list-closing `ch` (等) outside quotes; not the 等 of 一等奖, 同等, 平等."""
    depth = 0
    for i, c in enumerate(s):
        if c in "“‘「『":
            depth += 1
        elif c in "”’」』":
            depth = max(0, depth - 1)
        elif c == ch and depth == 0 and not (i + 1 < len(s) and s[i + 1] in "奖级次") \
                and not (i > 0 and s[i - 1] in "一二三特同平对均"):
            return i
    return None


# ---------------------------------------------------------------- other outcomes

def find_promotions(text: str, vocab: Optional[OutcomeVocabulary] = None) -> list[tuple[int, int, Optional[str]]]:
    """(start, end, adopting body) of statements that a higher level adopted or spread the work."""
    v = vocab or vocabulary()
    sentences, clauses = Boundaries.of(text, "。;!?\n"), Boundaries.of(text, "。,;!?\n")
    out = []
    for m in v.promotion.finditer(text):
        if out and re.fullmatch(r"[,、]?", text[out[-1][1]:m.start()]):
            out[-1] = (out[-1][0], m.end(), out[-1][2])  # "…召开…现场推进会,推广了我们的做法": one statement
            continue
        sentence_start = max(sentences.start_of(m.start()), m.start() - 120)
        clause_start = max(clauses.start_of(m.start()), sentence_start)
        org = v.organisation.search(text, clause_start, m.end()) or v.organisation.search(text, sentence_start, m.end())
        out.append((m.start(), m.end(), org.group(0) if org else None))
    return out


def find_media(text: str, vocab: Optional[OutcomeVocabulary] = None) -> list[tuple[int, int, str]]:
    """(start, end, outlets) of statements that named outlets reported the work."""
    v = vocab or vocabulary()
    clauses = Boundaries.of(text, "。;!?\n,")
    out = []
    for m in v.media_verb.finditer(text):
        clause_start = clauses.start_of(m.start())
        clause_start = max(clause_start, m.start() - 80)
        if out and out[-1][1] > clause_start and "," not in text[out[-1][1]:m.start()]:
            out[-1] = (out[-1][0], m.end(), out[-1][2])  # the same statement, one more verb ("头版头条做了专题报道")
            continue
        if out:
            clause_start = max(clause_start, out[-1][1])
        outlets = [o for o in v.outlet.finditer(text, clause_start, m.start())]
        if not outlets:
            continue
        by = "、".join(dict.fromkeys(o.group(0).strip("《》") for o in outlets))
        start = outlets[0].start()
        if start > 0 and text[start - 1] == "被":
            start -= 1
        out.append((start, m.end(), by))
    return out


_CLAUSE_MARK = re.compile(r"[。,;!?\n]")


def find_results(doc: Doc, vocab: Optional[OutcomeVocabulary] = None, text: Optional[str] = None) -> list[tuple[int, int]]:
    """(start, end) of clauses that state a quantified achievement (a count and a result cue)."""
    v = vocab or vocabulary()
    text = doc_text(doc) if text is None else text
    clauses = Boundaries.of(text, "。,;!?\n")
    positions = [(c.start, c.end) for c in (doc._.counts or [])]
    if not positions:  # counts not available: numbers with a unit
        positions = [(m.start(), m.end()) for m in v.number.finditer(text)]
    out, seen = [], set()
    for a, b in positions:
        cs = clauses.start_of(a)
        ce_m = _CLAUSE_MARK.search(text, b, b + 200)
        ce = ce_m.start() if ce_m else min(len(text), b + 200)
        cs = max(cs, a - 200)
        if (cs, ce) in seen:
            continue
        while cs < ce and text[cs].isspace():
            cs += 1
        if v.result_cue.search(text, cs, ce):
            seen.add((cs, ce))
            out.append((cs, ce))
    return out


def extract_outcomes(doc: Doc, text: Optional[str] = None) -> list[Outcome]:
    """All outcomes of a processed Doc, in text order (`text`: doc.text when already at hand)."""
    v = vocabulary()
    text = doc_text(doc) if text is None else text
    outcomes: list[Outcome] = []
    sentences = Sentences(doc._.sentences, len(text))

    def sentence(a: int) -> str:
        s, e = sentences.at(a)
        return text[s:e]

    seen_names = set()
    for h in honours_of(doc, text):
        key = re.sub(r"\s+", "", h.name)
        if key in seen_names:
            continue
        seen_names.add(key)
        outcomes.append(Outcome(type="honour", name=h.name, text=text[h.start:h.end], by=h.by,
                                start=h.start, end=h.end, sentence=sentence(h.start)))
    for a, b, by in find_promotions(text, v):
        outcomes.append(Outcome(type="promotion", text=text[a:b], by=by, start=a, end=b, sentence=sentence(a)))
    for a, b, by in find_media(text, v):
        outcomes.append(Outcome(type="media", text=text[a:b], by=by, start=a, end=b, sentence=sentence(a)))
    for a, b in find_results(doc, v, text):
        outcomes.append(Outcome(type="result", text=text[a:b], start=a, end=b, sentence=sentence(a)))
    outcomes.sort(key=lambda o: (o.start, o.end))
    return outcomes


@Language.component("fed_outcomes", requires=["doc._.counts"], assigns=["doc._.outcomes", "doc.spans"])
def fed_outcomes(doc: Doc) -> Doc:
    """Set doc._.outcomes (schemas.Outcome) and doc.spans["outcomes"] (label = outcome type)."""
    doc._.outcomes = extract_outcomes(doc, doc_text(doc))
    set_spans(doc, "outcomes", [(o.start, o.end, o.type) for o in doc._.outcomes])
    doc.user_data.pop(_HONOURS_KEY, None)  # the last extractor to need them
    return doc
