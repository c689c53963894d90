"""Programmes: named campaigns, projects, brands, mechanisms, platforms, service posts and
working methods run by the organisations of a report.

    >>> from pipeline.nlp import build
    >>> nlp = build(["fed_sentences", "fed_programmes"])
    >>> [p.name for p in nlp("余姚市妇联实施“姚江巧姐”行动,实施了敬老尚俭工程。")._.programmes]
    ['姚江巧姐行动', '敬老尚俭工程']

How a programme is found:
1. quoted names (“…” 「…」 ‘…’ "…"), with the ending noun that follows the quote
   (“巧媳妇”工程 -> 巧媳妇工程); quoted emphasis words, slogans, quoted speech, titles of
   documents, numbers and honours are left out;
2. unquoted names ending in a programme noun (敬老尚俭工程, 五步工作法, 顾静芬工作室), whose
   start is found by walking left over the jieba tokens to a verb or function word; the
   stem must say more than generic words (not 社区服务中心, 走访联系机制);
3. national programmes of the federation named as written (小额担保贷款, 春蕾计划).
Mentions of one programme are merged by key (`programme_key`): the same name with or
without quotes, generic trailing words (活动, 工作, 制度 …) or a place before it; a
region for each mention is read from the organisation or place governing it, and the
programme takes the region most of its mentions point to.

The vocabulary is in `extractors/data/programmes.yaml`, loaded once by `vocabulary()`.
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from typing import Optional

import yaml
from spacy.language import Language
from spacy.tokens import Doc

from extractors.outcomes import HonourItem, find_honours
from extractors.spans import set_spans
from schemas import Mention, Place, Programme, RegionRef

_CJK = "\u4e00-\u9fff"
_NAME_CHARS = re.compile(rf"^[{_CJK}A-Za-z0-9·・+\-]+$")
_HAS_CJK = re.compile(f"[{_CJK}]")
_NUMERAL_ONLY = re.compile(r"^[0-9一二三四五六七八九十百千万两零〇・·.\-\s]+$")
_NUMERAL_LED = re.compile(r"^[一二三四五六七八九十百千万两]|^\d+[^\d年月日%]")
_MULTI_PART = re.compile(rf"[、,;,;]|[{_CJK}]\s+[{_CJK}]")
_SPEECH = re.compile(r"[。!?…]|[吗呢吧啊呀]$|^(?:我|我们|你|你们|咱们)")
_KEY_PUNCT = re.compile(r"[\s\"'“”‘’「」『』《》〈〉()（）\[\]【】<>·・.,，、。:：;；!！?？\-—_/+]+")
_VERB_COMPLEMENT = re.compile(r"(?:起来|出来|进去|进来|下去|上来|过来|[来去])$")
_LEVEL_RANK = {"province": 1, "city": 2, "county": 3, "township": 4, "village": 5}
_PLACE_PREFIX = re.compile(rf"^[{_CJK}]{{2,6}}?(?:省|市|县|区|州|盟|旗|镇|乡|街道)(?=[{_CJK}]{{3}})")
_CLAUSE_END = "。;!?\n,"
_SENTENCE_END = "。;!?\n"


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class ProgrammeVocabulary:
    """Compiled patterns and word sets of programmes.yaml."""

    quoted: re.Pattern            # a quoted text (pairs of programmes.yaml `quotes`) or a 《title》
    extension: re.Pattern         # an ending noun right after a closing quote
    suffix: re.Pattern            # an ending noun of an unquoted name
    strong_suffixes: frozenset
    known: re.Pattern             # national programmes, quotes allowed inside
    key_trailers: tuple
    key_leaders: tuple
    name_trailers: frozenset
    left_stops: frozenset
    left_stop_chars: frozenset
    generic: frozenset
    emphasis: frozenset
    slogans: frozenset
    non_programme_head: re.Pattern
    emphasis_follower: re.Pattern
    title_head: re.Pattern
    organisation: re.Pattern      # an organisation word right after a place
    organisation_words: frozenset
    bare_org: re.Pattern          # 区妇联 / 该县妇联 / 全市 …: a level standing for a place
    count_lead: re.Pattern        # 三大行动: a count, not a name
    max_extension: int


@functools.lru_cache(maxsize=1)
def vocabulary() -> ProgrammeVocabulary:
    """The programme vocabulary, read from extractors/data/programmes.yaml once per process."""
    data = yaml.safe_load(resources.files("extractors").joinpath("data/programmes.yaml").read_text(encoding="utf-8"))
    pairs = []
    for i, (o, c) in enumerate(data["quotes"] + data["title_quotes"]):
        title = [o, c] in data["title_quotes"]
        inner = f"[^{re.escape(o)}{re.escape(c)}\\n]" if o != c else f"[^{re.escape(o)}\\n]"
        limit = 40 if o == c else 200
        pairs.append(f"(?P<{'t' if title else 'q'}{i}>{re.escape(o)}{inner}{{1,{limit}}}{re.escape(c)})")
    # an opening curly quote never closed on its line ("“巧媳妇创业基地3个。"): up to a count or mark
    pairs.append(r"(?P<open>“[^“”‘’\n,。;、!?:]{2,12}(?=\d|[,。;、!?:]))")
    max_ext = int(data["max_extension"])
    ext = _alt(data["extension_suffixes"])
    suffixes = data["strong_suffixes"] + data["weak_suffixes"]
    known = [r"[“”\"]?".join(re.escape(ch) for ch in w) for w in sorted(set(data["known_programmes"]), key=len, reverse=True)]
    levels = "|".join(re.escape(w) for w in data["bare_levels"])
    orgs = _alt(data["organisations"])
    return ProgrammeVocabulary(
        quoted=re.compile("|".join(pairs)),
        extension=re.compile(rf"[{_CJK}A-Za-z0-9]{{0,{max_ext}}}?(?:{ext})"),
        suffix=re.compile(_alt(suffixes)),
        strong_suffixes=frozenset(data["strong_suffixes"]),
        known=re.compile("|".join(known)),
        key_trailers=tuple(sorted(data["key_trailers"], key=len, reverse=True)),
        key_leaders=tuple(sorted(data["key_leaders"], key=len, reverse=True)),
        name_trailers=frozenset(data["name_trailers"]),
        left_stops=frozenset(data["left_stops"]),
        left_stop_chars=frozenset(data["left_stop_chars"]),
        generic=frozenset(data["generic_words"]),
        emphasis=frozenset(data["emphasis"]),
        slogans=frozenset(_norm(s) for s in data["slogans"]),
        non_programme_head=re.compile(f"(?:{_alt(data['non_programme_heads'])})$"),
        emphasis_follower=re.compile(_alt(data["emphasis_followers"])),
        title_head=re.compile(f"(?:{_alt(data['title_heads'])})$"),
        organisation=re.compile(orgs),
        organisation_words=frozenset(data["organisations"]),
        bare_org=re.compile(rf"(?P<anaphor>该|本|我)(?P<alevel>{levels})|全(?P<all>{levels})|(?P<level>{levels})(?={orgs})"),
        count_lead=re.compile(r"^[一二三四五六七八九十两\d]+(?:大|个|项|类|种|支|条|批)"),
        max_extension=max_ext,
    )


_T2S = None


def _t2s(s: str) -> str:
    global _T2S
    if _T2S is None:
        try:
            import opencc
            _T2S = opencc.OpenCC("t2s").convert
        except ImportError:  # pragma: no cover
            _T2S = lambda x: x  # noqa: E731
    return _T2S(s)


def _norm(s: str) -> str:
    """NFKC, simplified, without quotes, punctuation and spaces."""
    return _KEY_PUNCT.sub("", _t2s(unicodedata.normalize("NFKC", s))).replace("?", "")


def programme_key(name: str, vocab: Optional[ProgrammeVocabulary] = None) -> str:
    """A normalised key: the same programme named in other documents or regions has the same key.

    Quotes, punctuation and spaces go, traditional characters become simplified, and generic
    leading and trailing words (全国, 网上; 活动, 工作, 制度, 项目 …) and a leading place
    name are removed: 三访四察五送, 三访四察五送活动 and “三访四察五送”工作 share one key."""
    v = vocab or vocabulary()
    key = _norm(name)
    m = _PLACE_PREFIX.match(key)
    if m:
        key = key[m.end():]
    changed = True
    while changed:
        changed = False
        for w in v.key_leaders:
            if key.startswith(w) and len(key) - len(w) >= 2:
                key, changed = key[len(w):], True
        for w in v.key_trailers:
            if key.endswith(w) and len(key) - len(w) >= 2:
                key, changed = key[:-len(w)], True
    return key


# ---------------------------------------------------------------- candidates

@dataclass
class _Candidate:
    start: int                  # offsets of the mention in doc.text
    end: int
    name: str                   # the name this mention gives (no quote marks)
    forms: list                 # other acceptable forms of this mention
    kind: str                   # quoted | suffix | known
    name_start: int             # where the name proper starts (after an opening quote)
    key: str = ""
    region: Optional[Place] = None
    strength: float = 0.0


@dataclass
class _Context:
    """What one document offers the programme finder."""

    text: str
    token_starts: list
    token_ends: set
    token_texts: dict           # start offset -> token text
    words: frozenset            # jieba dictionary words (to tell glued function words)
    honours: list
    places: list                # (start, end, Place), by start
    place_starts: list
    main: Optional[RegionRef]
    candidates: list = field(default_factory=list)
    taken: list = field(default_factory=list)  # (start, end) of spans already explained


def _tokens(doc: Doc):
    starts = [int(x) for x in doc.to_array("IDX")] if len(doc) else []
    texts = {}
    ends = set()
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(doc.text)
        tok = doc.text[s:e].rstrip()
        texts[s] = tok
        ends.add(s + len(tok))
    return starts, ends, texts


def _jieba_words() -> frozenset:
    try:
        from pipeline.segment import dictionary
        return _dictionary_words(id(dictionary()))
    except Exception:  # pragma: no cover - segmentation is not ours; degrade gracefully
        return frozenset()


@functools.lru_cache(maxsize=2)
def _dictionary_words(_ident: int) -> frozenset:
    from pipeline.segment import dictionary
    return frozenset(w for w, f in dictionary().FREQ.items() if f and len(w) <= 4)


def _honour_blocks(honours: list[HonourItem]) -> list[tuple[int, int, bool]]:
    """(start, end, only_honour) of honour items: an item after an award verb, or a designation
    with a title ending, is not also a programme mention."""
    return [(h.start, h.end, h.strong or h.titled) for h in honours]


def _in_honour(ctx: _Context, a: int, b: int) -> bool:
    for s, e, only in ctx.honours:
        if only and s <= a and b <= e + 1:
            return True
    return False


def _overlaps(spans, a: int, b: int) -> bool:
    return any(s < b and a < e for s, e in spans)


def _quoted_candidates(ctx: _Context, v: ProgrammeVocabulary) -> None:
    text = ctx.text
    chain: list[_Candidate] = []
    for m in v.quoted.finditer(text):
        group = m.lastgroup
        qs, qe = m.start() + 1, m.end() - (0 if group == "open" else 1)   # content offsets
        after = m.end()
        ctx.taken.append((m.start(), m.end()))
        core = text[qs:qe].strip()
        if group.startswith("t"):
            # 《…》: a document, newspaper, book or talk; a programme only when named like one
            if v.title_head.search(core) or not v.suffix.search(core[-4:]) or not _name_like(core):
                continue
        if group == "open" and text.find("”", after, text.find("\n", after) if "\n" in text[after:] else len(text)) != -1:
            continue  # the quote is closed further on: long speech, not a name
        if not core or not _HAS_CJK.search(core):
            continue
        ext = _extension(text, after, v)
        cand = _judge_quoted(ctx, v, m.start(), qs, qe, after, core, ext)
        # shared ending: "开展寻找“最美家庭”和“最美伴侣”评选活动" — the ending counts for both
        if chain and text[chain[-1].end:m.start()] in ("", "、", "和", "与", "及") and cand and ext:
            for c in chain:
                if c.kind == "quoted-pending":
                    c.kind = "quoted"
                    ctx.candidates.append(c)
        if cand is None:
            chain = []
            continue
        if cand.kind == "quoted-pending":
            chain.append(cand)
            continue
        chain = [cand]
        ctx.candidates.append(cand)


def _name_like(s: str) -> bool:
    return bool(_NAME_CHARS.match(re.sub(r"[“”‘’\"\s]", "", s)))


def _extension(text: str, after: int, v: ProgrammeVocabulary) -> str:
    """The ending noun that follows a closing quote ("工程", "家政服务品牌"), or ''."""
    m = v.extension.match(text, after, min(len(text), after + v.max_extension + 6))
    if not m:
        return ""
    ext = m.group(0)
    if any(c in v.left_stop_chars for c in ext[:-2] if c not in "与") or v.count_lead.match(ext):
        return ""
    return ext


def _judge_quoted(ctx: _Context, v: ProgrammeVocabulary, open_at: int, qs: int, qe: int, after: int,
                  core: str, ext: str) -> Optional[_Candidate]:
    """A candidate for a quoted text, or None when it is not a programme mention."""
    text = ctx.text
    n = _norm(core)
    if len(n) < 2 and not ext or len(n) < 1:
        return None
    if _SPEECH.search(core) or len(n) > 30:
        return None
    follow = text[after:after + 4]
    if v.emphasis_follower.match(follow) or follow.startswith("字"):
        return None
    if n in v.emphasis or n in v.slogans or core.startswith("她") and not ext:
        return None
    if _NUMERAL_ONLY.match(core) and not ext:
        return None
    if _VERB_COMPLEMENT.search(n) and not ext:
        return None
    if len(n) == 2 and not ext:
        return None
    if _MULTI_PART.search(core) and not (ext and ext not in v.name_trailers - {"活动"} or _theme_activity(text, after)):
        return None
    if not ext and v.non_programme_head.search(n):
        return None
    if _in_honour(ctx, qs, qe):
        return None
    before = text[max(0, open_at - 6):open_at]
    if before.endswith("的") and not ext and text[after:after + 1] in "的,。;、!?)" and not _place_before(ctx, open_at - 1):
        return None  # "成为孩子健康成长的“港湾”": a metaphor
    if ext:
        trailer = ext in v.name_trailers or ext.endswith(tuple(t for t in v.name_trailers if len(t) > 2))
        name = core if trailer else core + ext
        end = after + len(ext)
        cand = _Candidate(open_at, end, _clean_name(name), [_clean_name(core), _clean_name(core + ext)], "quoted", qs)
    else:
        cand = _Candidate(qs, qe, _clean_name(core), [], "quoted", qs)
        follow = text[after:after + 1]
        if follow in ("和", "与", "及", "、", "“"):
            cand.kind = "quoted-pending"  # judged with the next quote's ending
            if not (v.non_programme_head.search(n) or _MULTI_PART.search(core)):
                cand.kind = "quoted"
    return cand


def _theme_activity(text: str, after: int) -> bool:
    """"…”为主题的美丽庭院评选活动": a multi-part quote naming an activity."""
    return bool(re.match(rf"为主题的[{_CJK}]{{0,10}}(?:活动|行动)", text[after:after + 20]))


def _clean_name(s: str) -> str:
    s = re.sub(r"[“”‘’「」『』〝〞\"《》]", "", s).strip()
    return re.sub(r"\s{2,}", " ", s)


def _place_before(ctx: _Context, pos: int) -> Optional[Place]:
    """A place whose mention ends at `pos` (or before an organisation word ending there)."""
    i = bisect.bisect_right(ctx.place_starts, pos) - 1
    while i >= 0 and i >= len(ctx.places) - 1000:
        s, e, place = ctx.places[i]
        if e == pos:
            return place
        if e < pos - 12:
            break
        if e < pos and re.fullmatch(rf"[{_CJK}]{{0,6}}", ctx.text[e:pos]) and _org_between(ctx.text[e:pos]):
            return place
        i -= 1
    return None


def _org_between(s: str) -> bool:
    v = vocabulary()
    return bool(s) and bool(v.organisation.fullmatch(s) or re.fullmatch(rf"[{_CJK}]{{0,3}}(?:{v.organisation.pattern})", s))


def _suffix_candidates(ctx: _Context, v: ProgrammeVocabulary) -> None:
    text = ctx.text
    for m in v.suffix.finditer(text):
        s, e = m.start(), m.end()
        if _overlaps(ctx.taken, s, e):
            continue
        if e not in ctx.token_ends and not _ends_word(text, e):
            continue
        start = _walk_left(ctx, v, s)
        stem = text[start:s]
        if len(_norm(stem)) < 2:
            continue
        if not _distinctive(ctx, v, start, s, m.group(0)):
            continue
        if _in_honour(ctx, start, e):
            continue
        name = text[start:e]
        ctx.candidates.append(_Candidate(start, e, _clean_name(name), [], "suffix", start))
        ctx.taken.append((start, e))


def _ends_word(text: str, e: int) -> bool:
    """True when the suffix at `e` is not the start of a longer word (中心组, 计划在)."""
    return e >= len(text) or not _HAS_CJK.match(text[e])


def _walk_left(ctx: _Context, v: ProgrammeVocabulary, s: int) -> int:
    """Start of the name whose ending noun starts at `s`: tokens back to a verb or function word."""
    text = ctx.text
    i = bisect.bisect_right(ctx.token_starts, s - 1) - 1
    start = s
    while i >= 0:
        ts = ctx.token_starts[i]
        tok = ctx.token_texts.get(ts, "")
        if ts + len(tok) > s:  # the suffix starts inside this token
            if ts < s:
                tok = text[ts:s]
            else:
                i -= 1
                continue
        if not tok or not _name_like(tok) or tok in v.left_stops:
            break
        if re.fullmatch(r"\d+(?:\.\d+)?", tok) and _count_follows(text, ts + len(tok)):
            break
        if tok in v.organisation_words or _is_title(tok):
            break
        if tok[0] in v.left_stop_chars and tok not in ctx.words and len(tok) > 1:
            start = ts + 1
            break
        if s - ts > 14:
            break
        start = ts
        i -= 1
    return start


def _count_follows(text: str, pos: int) -> bool:
    return bool(re.match(r"(?:余|多)?(?:个|名|户|人|家|场|次|期|项|所|处|支|年|月|日|万|亿|元|%)", text[pos:pos + 2]))


_TITLES = frozenset("主席 副主席 书记 副书记 主任 副主任 会长 部长 局长 县长 市长 镇长 村长 社长 站长 同志 执委会 负责人 专干 委员".split())


def _is_title(tok: str) -> bool:
    return tok in _TITLES


def _distinctive(ctx: _Context, v: ProgrammeVocabulary, a: int, b: int, suffix: str) -> bool:
    """Does the stem text[a:b] name something (not only generic words)?"""
    text = ctx.text
    stem = text[a:b]
    place = _PLACE_PREFIX.match(stem + "xxx")
    core_start = a + (place.end() if place and place.end() < len(stem) else 0)
    for s, e, _p in ctx.places:  # a place name inside the stem is not what makes it distinctive
        if s <= core_start < e:
            core_start = e
    toks = []
    i = bisect.bisect_left(ctx.token_starts, core_start)
    while i < len(ctx.token_starts) and ctx.token_starts[i] < b:
        ts = ctx.token_starts[i]
        toks.append(text[max(ts, core_start):min(b, ts + len(ctx.token_texts.get(ts, "")))])
        i += 1
    toks = [t for t in toks if t]
    if not toks:
        return False
    if _NUMERAL_LED.match(text[core_start:b]) and not v.count_lead.match(text[core_start:b] + suffix):
        return True
    if all(t in v.generic or t in v.left_stops for t in toks):
        return False
    if suffix not in v.strong_suffixes:
        # weak endings (中心, 平台, 机制, 活动 …) need a longer, non-generic stem
        own = [t for t in toks if t not in v.generic]
        if sum(len(t) for t in own) < 2:
            return False
    return True


def _known_candidates(ctx: _Context, v: ProgrammeVocabulary) -> None:
    for m in v.known.finditer(ctx.text):
        a, b = m.start(), m.end()
        if _overlaps(ctx.taken, a, b) or _in_honour(ctx, a, b):
            continue
        ctx.candidates.append(_Candidate(a, b, _clean_name(m.group(0)), [], "known", a))
        ctx.taken.append((a, b))


# ---------------------------------------------------------------- regions

def _places_of(doc: Doc) -> list[tuple[int, int, Place]]:
    out = []
    for place in doc._.places or []:
        for men in place.mentions:
            out.append((men.start, men.end, place))
    out.sort(key=lambda x: (x[0], -x[1]))
    return out


def _ref(place: Place) -> RegionRef:
    return RegionRef(name=place.name, adcode=place.adcode, level=place.level, path=list(place.path))


def _rank(place) -> int:
    return _LEVEL_RANK.get(getattr(place, "level", None) or "", 0)


def _common(places: list) -> Optional[object]:
    """The finest unit containing all `places` (by their paths), else the first."""
    if not places:
        return None
    names = {p.name for p in places}
    if len(names) == 1:
        return places[0]
    paths = [list(p.path) or [p.name] for p in places]
    common = []
    for parts in zip(*paths):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    if not common:
        return None
    # the Place object of the common ancestor, when the document mentions it
    for p in places:
        if p.name == common[-1]:
            return p
    return _Ancestor(common[-1], common)


@dataclass(frozen=True)
class _Ancestor:
    """A unit named only in the paths of the document's places."""

    name: str
    path: tuple
    level: Optional[str] = None
    adcode: Optional[str] = None


def _to_ref(place) -> Optional[RegionRef]:
    if place is None:
        return None
    if isinstance(place, RegionRef):
        return place
    level = place.level
    if level is None and isinstance(place, _Ancestor):
        level = {1: "province", 2: "city", 3: "county", 4: "township", 5: "village"}.get(len(place.path))
    return RegionRef(name=place.name, adcode=place.adcode, level=level, path=list(place.path))


class _RegionReader:
    """Reads the unit that runs what is mentioned at an offset: the organisation acting in the
    sentence (余姚市妇联实施…), a place where it is done (在…宁广社区建立…), a place written
    right before the name (怒江州“巧媳妇”工程), else places of the clause."""

    def __init__(self, ctx: _Context, v: ProgrammeVocabulary):
        self.ctx, self.v = ctx, v
        self.text = ctx.text

    def _place_at(self, pos: int):
        i = bisect.bisect_right(self.ctx.place_starts, pos) - 1
        if i >= 0:
            s, e, p = self.ctx.places[i]
            if s <= pos < e:
                return s, e, p
        return None

    def _nearest_before(self, pos: int, suffix: str, allow_main: bool = True):
        """The place mentioned last before `pos` whose name ends with `suffix` (该县 -> …县)."""
        main = self.ctx.main
        i = bisect.bisect_right(self.ctx.place_starts, pos) - 1
        while i >= 0:
            s, e, p = self.ctx.places[i]
            if e <= pos and (p.name.endswith(suffix) or self.text[s:e].endswith(suffix)):
                return p
            i -= 1
        if allow_main and main is not None and main.name.endswith(suffix):
            return main
        return None

    def _bare(self, m: re.Match, pos: int):
        """The place a bare level stands for: 区妇联 (the main region or the last 区), 该县, 全市."""
        main = self.ctx.main
        if m.group("anaphor"):
            level = m.group("alevel")
            if m.group("anaphor") == "该":
                return self._nearest_before(m.start(), level)
            return main if main is not None and main.name.endswith(level) else None
        if m.group("all"):
            level = m.group("all")
            return main if main is not None and main.name.endswith(level) else None
        level = m.group("level")
        if self._place_at(m.start()) is not None:
            return None  # part of a place name (宁波市妇联): read as a place
        if main is not None and main.name.endswith(level):
            return main
        return self._nearest_before(m.start(), level, allow_main=False)

    def read(self, cand: _Candidate, previous: list) -> tuple[Optional[object], float]:
        """(place, strength) for one mention; strength 3 attached, 2 organisation or locative,
        1 a place of the clause, 0.5 the main region."""
        ctx, text = self.ctx, self.text
        a = cand.start
        # 1. a place inside the name or written right before it
        inside = self._place_at(cand.name_start)
        if inside and inside[1] <= cand.end:
            return inside[2], 3
        p = _place_before(ctx, a) or (_place_before(ctx, a - 1) if a and text[a - 1] == "的" else None)
        if p is None and a >= 2 and text[a - 1] == "的":
            p = _place_before(ctx, a - 1)
        if p is not None:
            return p, 3
        sent_start = max(text.rfind(c, 0, a) for c in _SENTENCE_END) + 1
        clause_start = max(text.rfind(c, 0, a) for c in _CLAUSE_END) + 1
        # list sharing: "东胡社区的“三色教育”、阳光五点钟工程" — the place of the previous name
        for prev, place, strength in reversed(previous):
            if prev.end <= a and prev.start >= clause_start and strength == 3 and \
                    re.fullmatch(r"[、和及与]?", text[prev.end:a].strip("”’")):
                return place, 3
            break
        # 2. organisations and locatives in the sentence before the mention
        found = []
        seg = text[sent_start:a]
        for i in range(bisect.bisect_left(ctx.place_starts, sent_start), len(ctx.places)):
            s, e, place = ctx.places[i]
            if s >= a:
                break
            if e > a:
                continue
            follow = text[e:e + 8]
            org = self.v.organisation.match(follow) or re.match(rf"[{_CJK}]{{1,3}}?(?:{self.v.organisation.pattern})", follow[:6])
            loc = text[max(sent_start, s - 2):s]
            if org or loc.endswith(("在", "于", "到", "赴")):
                found.append((s, place))
        for m in self.v.bare_org.finditer(seg):
            place = self._bare(m, sent_start + m.start())
            if place is not None and not m.group("all"):
                found.append((sent_start + m.start(), place))
        if found:
            best = max(_rank(p) for _, p in found)
            finest = [p for _, p in found if _rank(p) == best]
            common = _common(finest)
            if common is not None:
                return common, 2
        # 3. places of the clause (first written: the larger unit of a chain)
        for i in range(bisect.bisect_left(ctx.place_starts, clause_start), len(ctx.places)):
            s, e, place = ctx.places[i]
            if s >= a:
                break
            if e <= a:
                return place, 1
        m = self.v.bare_org.search(text, clause_start, a)
        if m and m.group("anaphor") == "该":
            place = self._bare(m, m.start())
            if place is not None:
                return place, 1
        # 4. "该平台成立以来…": the sentence continues the previous one
        if re.match(r"(?:该|此|这一?)[{0}]{{0,4}}".format(_CJK), text[sent_start:sent_start + 4]) and previous:
            prev, place, strength = previous[-1]
            if strength >= 1 and place is not None:
                return place, 1
        return ctx.main, 0.5


def _vote(readings: list[tuple[object, float]], main) -> Optional[object]:
    """The region most mentions point to (strength-weighted); ties go to their common unit."""
    score: dict = defaultdict(float)
    obj = {}
    for place, strength in readings:
        if place is None:
            continue
        score[place.name] += strength
        obj[place.name] = place
    if not score:
        return main
    top = max(score.values())
    best = [obj[n] for n, s in score.items() if s == top]
    if len(best) == 1:
        return best[0]
    return _common(best) or main


# ---------------------------------------------------------------- grouping

def _separated(long: str, short: str, at_end: bool) -> bool:
    """Is `short` joined to the rest of `long` by a separator (巾帼云创·蓉城…, 互联网+…)?"""
    if at_end:
        rest = long[:len(long) - len(short)]
        return rest.endswith(("·", "・", "+", "?", "-"))
    rest = long[len(short):]
    return rest.startswith(("·", "・", "+", "?", "-"))


def _group(cands: list[_Candidate], v: ProgrammeVocabulary) -> list[list[_Candidate]]:
    """Mentions of one programme together: same key, or a key that adds a place, a prefix or
    an ending noun to a shorter one (四必访 / 甬尚姐妹四必访; 好苏嫂 / 好苏嫂家政服务品牌)."""
    by_key: dict[str, list[_Candidate]] = defaultdict(list)
    for c in cands:
        by_key[c.key].append(c)
    keys = sorted(by_key, key=len)
    parent = {k: k for k in keys}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    sep_form = {}
    for k, cs in by_key.items():
        raw = max((re.sub(r"[“”‘’\"\s]", "", c.name) for c in cs), key=len)
        sep_form[k] = raw
    for i, short in enumerate(keys):
        if len(short) < 2:
            continue
        for long in keys[i + 1:]:
            if long == short or find(long) == find(short):
                continue
            if long.endswith(short) and len(short) >= 3 and not _separated(sep_form[long], sep_form[short], True):
                parent[find(long)] = find(short)
            elif long.startswith(short) and len(short) >= 2 and not _separated(sep_form[long], sep_form[short], False) \
                    and not _distinct_unit(by_key[short], by_key[long]):
                parent[find(long)] = find(short)
    groups: dict[str, list[_Candidate]] = defaultdict(list)
    for k in keys:
        groups[find(k)].extend(by_key[k])
    return [sorted(g, key=lambda c: c.start) for g in groups.values()]


def _distinct_unit(base: list[_Candidate], compound: list[_Candidate]) -> bool:
    """A compound name run by a finer unit than its base is a programme of its own
    (鄞州区妇联在…宁广社区建立“四必访”智联管理平台 beside the city's 四必访)."""
    comp = [c.region for c in compound if c.strength >= 2 and c.region is not None]
    if not comp:
        return False
    base_regions = [c.region for c in base if c.region is not None and c.strength >= 0.5]
    if not base_regions:
        return False
    top = _vote([(c.region, c.strength) for c in base], None)
    return top is not None and all(_rank(r) > _rank(top) and r.name != top.name for r in comp)


def _choose_name(group: list[_Candidate], v: ProgrammeVocabulary) -> str:
    """The fullest natural name: the longest name whose key ends with the group's shortest key;
    ties go to the more frequent, then the first written."""
    base = min((c.key for c in group), key=len)
    counts: dict[str, int] = defaultdict(int)
    first: dict[str, int] = {}
    for c in group:
        counts[c.name] += 1
        first.setdefault(c.name, c.start)
    names = [n for n in counts if programme_key(n, v).endswith(base)] or list(counts)
    return max(names, key=lambda n: (len(_norm(n)), counts[n], -first[n]))


# ---------------------------------------------------------------- component

def extract_programmes(doc: Doc) -> list[Programme]:
    """Programmes of a processed Doc (uses doc._.places and doc._.main_region when set)."""
    v = vocabulary()
    text = doc.text
    starts, ends, texts = _tokens(doc)
    places = _places_of(doc)
    ctx = _Context(text=text, token_starts=starts, token_ends=ends, token_texts=texts, words=_jieba_words(),
                   honours=_honour_blocks(find_honours(text)), places=places,
                   place_starts=[p[0] for p in places], main=doc._.main_region)
    _quoted_candidates(ctx, v)
    _suffix_candidates(ctx, v)
    _known_candidates(ctx, v)
    cands = sorted(ctx.candidates, key=lambda c: c.start)
    reader = _RegionReader(ctx, v)
    readings = []
    for c in cands:
        c.key = programme_key(c.name, v)
        c.region, c.strength = reader.read(c, readings)
        readings.append((c, c.region, c.strength))
    cands = [c for c in cands if len(c.key) >= 2 and c.key not in v.slogans and c.key not in v.emphasis]
    programmes = []
    for group in _group(cands, v):
        name = _choose_name(group, v)
        aliases = []
        for c in group:
            for form in [c.name] + c.forms:
                if form and form != name and form not in aliases and _norm(form) != _norm(name):
                    aliases.append(form)
        region = _vote([(c.region, c.strength) for c in group], ctx.main)
        mentions = [Mention(text=text[c.start:c.end], start=c.start, end=c.end) for c in group]
        programmes.append((group[0].start, Programme(name=name, key=programme_key(name, v), aliases=aliases,
                                                     region=_to_ref(region) if not isinstance(region, Place) else _ref(region),
                                                     mentions=mentions)))
    programmes.sort(key=lambda x: x[0])
    return [p for _, p in programmes]


@Language.component("fed_programmes", requires=["doc._.places", "doc._.main_region"],
                    assigns=["doc._.programmes", "doc.spans"])
def fed_programmes(doc: Doc) -> Doc:
    """Set doc._.programmes (schemas.Programme) and doc.spans["programmes"] (label = key)."""
    doc._.programmes = extract_programmes(doc)
    set_spans(doc, "programmes", [(m.start, m.end, p.key) for p in doc._.programmes for m in p.mentions])
    return doc
