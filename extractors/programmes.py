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
2. a name in apposition ("…服务平台——宁波国际妇女之家");
3. unquoted names ending in a programme noun (敬老尚俭工程, 五步工作法, 顾静芬工作室), whose
   start is found by walking left over the jieba tokens to a verb or function word; the
   stem must say more than generic words (not 社区服务中心, 走访联系机制);
4. national programmes of the federation named as written (小额担保贷款, 春蕾计划).
Mentions of one programme are merged by key (`programme_key`): the same name with or
without quotes, generic trailing words (活动, 工作, 制度 …) or a prefix before it. The
region of each mention is read from the organisation or place governing it, and the
programme takes the region most of its mentions point to (`_RegionReader`).

The vocabulary is in `extractors/data/programmes.yaml`, loaded once by `vocabulary()`.
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from extractors.outcomes import Boundaries, HonourItem, honours_of
from extractors.spans import doc_text, set_spans, token_starts
from pipeline.datafiles import load_yaml
from schemas import Mention, Place, Programme, RegionRef

_CJK = "\u4e00-\u9fff"
_NAME_CHARS = re.compile(rf"^[{_CJK}A-Za-z0-9·・+\-]+$")
_NAME_RUN = re.compile(rf"[{_CJK}A-Za-z0-9]*")
_HAS_CJK = re.compile(f"[{_CJK}]")
_NUMERAL_ONLY = re.compile(r"^[0-9一二三四五六七八九十百千万两零〇・·.\-\s]+$")
# a name led by a numeral (三访四察五送, 五好文明家庭, 12338妇女热线) — not a count or an adverb
_NUMERAL_LED = re.compile(r"^(?!一(?:系列|批|些|大|线|体|般|定|起|直|切|同|道|致|贯|流|方面|带一路|年|次|种|项|个|段|部分)"
                          r"|[一二两三四五六七八九十百千]+(?:个|项|次|年|种|批|类|大)|\d+[个项名人次年月日%岁.])"
                          r"(?:[一二三四五六七八九十百千万两]|\d+[^\d])")
_MULTI_PART = re.compile(rf"[、,;,;]|[{_CJK}]\s+[{_CJK}]")
# speech: sentence marks ("?" and "!" only at the end: inside a name they are characters lost
# in conversion, 吉象?芳华), or the particles and pronouns of a spoken sentence
_SPEECH = re.compile(r"[。…]|[!?]$|[吗呢吧啊呀]$|^(?:我|我们|你|你们|咱们)[^为]")
_SPOKEN = re.compile(r"就在|就是|都是|都在|才能|才会|能够|要[把让]|[吗呢吧]|了$|[^为]我们?[^为]|你们?|咱们")
_SEPARATORS = "·・+?-—"
_KEY_PUNCT = re.compile(r"[\s\"'“”‘’「」『』《》〈〉()（）\[\]【】<>.,，、。:：;；!！？\-_/]+")
_VERB_COMPLEMENT = re.compile(r"(?:起来|出来|进去|进来|下去|上来|过来|[来去])$")
_COUNT_AFTER = re.compile(r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千]+)(?:余|多)?(?:个|支|家|所|处|名|户|场|期|项|座|间)")
_COUNT_BEFORE = re.compile(r"(?:\d+|[一二两三四五六七八九十百千]+)(?:余|多)?(?:个|支|家|项|所|处|名|批)$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MEASURE = re.compile(r"(?:年|月|日|周|万|亿|元|%|岁|平方|公里|米)")
_COUNT_TOKEN = re.compile(r"^(?:余|多)?(?:个|名|户|人|家|场|次|期|项|所|处|支|届)$")
_LEVEL_OF_SUFFIX = {"省": ("province",), "自治区": ("province",), "市": ("city", "county", "province"),
                    "州": ("city",), "盟": ("city",), "县": ("county",), "区": ("county",), "旗": ("county",),
                    "镇": ("township",), "乡": ("township",), "街道": ("township",), "村": ("village",),
                    "社区": ("village",)}
_LEVEL_RANK = {"province": 1, "city": 2, "county": 3, "township": 4, "village": 5}
# party congresses and plenums (十六大, 十九届五中全会): a time of national policy, not a programme
_CONGRESS = re.compile(r"^(?:党的)?[一二三四五六七八九十]+(?:大|届[一二三四五六七八九]中全会)(?:精神)?$")
_CURLY = re.compile("[“”]")
_BRACKETED = re.compile(r"\([^()]{1,12}\)")
_LIST_JOIN = re.compile(r"[”’]?[、和及与]?")
_THEME = re.compile(rf"为主题的[{_CJK}]{{0,10}}?(?:活动|行动)")
_COUNTED_BIG = re.compile(r"[一二两三四五六七八九十]+(?:大|个|项)")
_ENDS_COUNTED_BIG = re.compile(r"[一二两三四五六七八九十\d]+大$")
_SEPARATOR_RUN = re.compile(f"[{re.escape(_SEPARATORS)}]+")
_QUOTE_MARKS = re.compile(r"[“”‘’「」『』〝〞\"《》]")
_QUOTES_SPACES = re.compile(r"[“”‘’\"\s]")
_SPACE_RUN = re.compile(r"\s{2,}")
_PLACE_PREFIX = re.compile(rf"^[{_CJK}]{{2,6}}?(?:省|市|县|区|州|盟|旗|镇|乡|街道)(?=[{_CJK}]{{3}})")
_CLAUSE_END = "。;!?\n,"
_SENTENCE_END = "。;!?\n"


def _alt(words) -> str:
    """A regex alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class ProgrammeVocabulary:
    """Compiled patterns and word sets of programmes.yaml."""

    quoted: re.Pattern            # a quoted text (pairs of `quotes`) or a 《title》
    opening: re.Pattern           # an opening mark (where `quoted` is tried)
    extension: re.Pattern         # ending nouns accepted after a closing quote
    suffix: re.Pattern            # an ending noun of an unquoted name
    strong_suffixes: frozenset
    campaign_suffixes: frozenset
    known: re.Pattern             # national programmes, quote marks allowed inside
    key_trailers: tuple
    key_leaders: tuple
    name_trailers: tuple
    left_stops: frozenset
    left_stop_chars: frozenset
    generic: frozenset
    emphasis: frozenset
    slogans: frozenset
    non_programme_heads: tuple
    emphasis_follower: re.Pattern
    title_heads: tuple
    organisation: re.Pattern      # an organisation word
    organisation_words: frozenset
    short_org: re.Pattern         # an organisation word after up to three characters (施甸检察院)
    bare_org: re.Pattern          # 区妇联 / 该县 / 全市: a level standing for a place
    anaphor: re.Pattern           # where bare_org may match with 该/本/我/全
    level_before: re.Pattern      # a level ending right before an organisation word
    count_lead: re.Pattern        # 三大行动: a count of list items, not a name
    suffix_blocker: re.Pattern
    contrast_before: re.Pattern   # "变“坐堂授课”为…": the word before the quote…
    contrast_after: re.Pattern    # …and the word after it
    institution: re.Pattern
    appositive: re.Pattern
    contrast: re.Pattern          # "从“A”到“B”": a change of manner, not names
    officer_titles: frozenset
    served: re.Pattern
    weak_followers: frozenset
    max_extension: int


@functools.lru_cache(maxsize=1)
def vocabulary() -> ProgrammeVocabulary:
    """The programme vocabulary, read from extractors/data/programmes.yaml once per process."""
    data = load_yaml("extractors", "data/programmes.yaml")
    pairs = []
    for i, (o, c) in enumerate(data["quotes"] + data["title_quotes"]):
        title = [o, c] in data["title_quotes"]
        inner = f"[^{re.escape(o)}{re.escape(c)}\\n]" if o != c else f"[^{re.escape(o)}\\n]"
        limit = 40 if o == c else 200
        pairs.append(f"(?P<{'t' if title else 'q'}{i}>{re.escape(o)}{inner}{{1,{limit}}}{re.escape(c)})")
    # an opening curly quote never closed ("“巧媳妇创业基地3个。"): up to a count or a mark
    pairs.append(r"(?P<open>“[^“”‘’\n,。;、!?:]{2,12}?(?=\d|[,。;、!?:]))")
    suffixes = data["strong_suffixes"] + data["weak_suffixes"]
    known = [r"[“”\"]?".join(re.escape(ch) for ch in w) for w in sorted(set(data["known_programmes"]), key=len, reverse=True)]
    levels = "|".join(re.escape(w) for w in data["bare_levels"])
    orgs = _alt(data["organisations"])
    return ProgrammeVocabulary(
        quoted=re.compile("|".join(pairs)),
        opening=re.compile("[" + re.escape("".join(o for o, _ in data["quotes"] + data["title_quotes"])) + "]"),
        extension=re.compile(_alt(data["extension_suffixes"])),
        suffix=re.compile(_alt(suffixes)),
        strong_suffixes=frozenset(data["strong_suffixes"]),
        campaign_suffixes=frozenset(data["campaign_suffixes"]),
        known=re.compile("|".join(known)),
        key_trailers=tuple(sorted(data["key_trailers"], key=len, reverse=True)),
        key_leaders=tuple(sorted(data["key_leaders"], key=len, reverse=True)),
        name_trailers=tuple(sorted(data["name_trailers"], key=len, reverse=True)),
        left_stops=frozenset(data["left_stops"]),
        left_stop_chars=frozenset(data["left_stop_chars"]),
        generic=frozenset(data["generic_words"]),
        emphasis=frozenset(_norm(w) for w in data["emphasis"]),
        slogans=frozenset(_norm(w) for w in data["slogans"]),
        non_programme_heads=tuple(data["non_programme_heads"]),
        emphasis_follower=re.compile(_alt(data["emphasis_followers"])),
        title_heads=tuple(data["title_heads"]),
        organisation=re.compile(orgs),
        organisation_words=frozenset(data["organisations"]),
        short_org=re.compile(rf"[{_CJK}]{{0,3}}?(?:{orgs})"),
        bare_org=re.compile(rf"(?P<anaphor>该|本|我)(?P<alevel>{levels})|全(?P<all>{levels})|(?P<level>{levels})(?={orgs})"),
        anaphor=re.compile(rf"[该本我全](?:{levels})"),
        level_before=re.compile(rf"(?:{levels})$"),
        count_lead=re.compile(r"^[一二三四五六七八九十两\d]+(?:大|个|项|类|种|支|条|批)"),
        suffix_blocker=re.compile(_alt(data["suffix_blockers"])),
        contrast_before=re.compile(f"(?:{_alt(b for b, _ in data['contrast_pairs'])})$"),
        contrast_after=re.compile(_alt(a for _, a in data["contrast_pairs"])),
        institution=re.compile(_alt(data["institutions"])),
        appositive=re.compile(rf"(?:{_alt(data['appositive_heads'])})——(?:(?P<quote>[“\"])|(?P<name>[{_CJK}A-Za-z0-9·()]{{2,18}})(?=[,。;!?、\n]))"),
        contrast=re.compile(r"(?:从|由|变)[“\"‘]([^”\"’\n]{1,16})[”\"’](?:" + _alt(data["contrast_links"])
                            + r")[“\"‘]([^”\"’\n]{1,16})[”\"’]"),
        officer_titles=frozenset(data["officer_titles"]),
        served=re.compile(_alt(data["served_groups"])),
        weak_followers=frozenset(data["weak_followers"]),
        max_extension=int(data["max_extension"]),
    )


@functools.lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc
        return opencc.OpenCC("t2s").convert
    except ImportError:  # pragma: no cover
        return lambda s: s


@functools.lru_cache(maxsize=16384)
def _norm(s: str) -> str:
    """NFKC, simplified, without quotes, punctuation, separators and spaces."""
    s = _KEY_PUNCT.sub("", _t2s()(unicodedata.normalize("NFKC", s)))
    return _SEPARATOR_RUN.sub("", s)


def _sep_key(name: str, v: ProgrammeVocabulary) -> str:
    """The key with name separators (· + ?) kept as "·": 巾帼云创·蓉城巾帼学院, 互联网·妇女之家."""
    return _sep_key_cached(name, id(v))


@functools.lru_cache(maxsize=8192)
def _sep_key_cached(name: str, _vocab_id: int) -> str:
    v = vocabulary()
    key = _KEY_PUNCT.sub("", _t2s()(unicodedata.normalize("NFKC", name)))
    key = _SEPARATOR_RUN.sub("·", key).strip("·")
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
            if key.endswith(w) and len(key.replace("·", "")) - len(w) >= 2:
                key, changed = key[:-len(w)].rstrip("·"), True
    return key


def programme_key(name: str, vocab: Optional[ProgrammeVocabulary] = None) -> str:
    """A normalised key: the same programme named in other documents or regions has the same key.

    Quotes, punctuation and spaces go, traditional characters become simplified, and generic
    leading and trailing words (全国, 网上; 活动, 工作, 制度, 项目 …) and a leading place
    name are removed: 三访四察五送, 三访四察五送活动 and “三访四察五送”工作 share one key."""
    return _sep_key(name, vocab or vocabulary()).replace("·", "")


# ---------------------------------------------------------------- candidates

@dataclass(slots=True)
class _Candidate:
    start: int                  # offsets of the mention in doc.text
    end: int
    name: str                   # the name this mention gives (no quote marks)
    forms: list                 # other acceptable forms of this mention
    kind: str                   # quoted | apposition | suffix | known
    name_start: int             # where the name proper starts (after an opening quote)
    key: str = ""
    sep_key: str = ""
    region: Optional[object] = None
    strength: float = 0.0


@dataclass
class _Context:
    """What one document offers the programme finder."""

    text: str
    tokens: _Tokens
    words: dict                 # jieba dictionary word -> frequency (to tell glued function words)
    honours: "_Intervals"       # honour items that are not programmes
    places: list                # (start, end, Place), by start
    place_starts: list
    main: Optional[RegionRef]
    sentences: Optional[Boundaries] = None
    clauses: Optional[Boundaries] = None
    candidates: list = field(default_factory=list)
    taken: "_Intervals" = field(default_factory=lambda: _Intervals())  # text already explained


class _Intervals:
    """Short (start, end) intervals of a text with fast overlap queries (intervals are at most
    `reach` characters long)."""

    def __init__(self, spans=(), reach: int = 260):
        self.items = sorted(spans)
        self.reach = reach

    def append(self, span: tuple[int, int]) -> None:
        if not self.items or span >= self.items[-1]:
            self.items.append(span)  # the usual case: found left to right
        else:
            bisect.insort(self.items, span)

    def near(self, a: int, b: int):
        lo = bisect.bisect_left(self.items, (a - self.reach, -1))
        hi = bisect.bisect_left(self.items, (b, -1))
        return self.items[lo:hi]

    def overlaps(self, a: int, b: int) -> bool:
        return any(s < b and a < e for s, e in self.near(a, b))

    def covers(self, a: int, b: int) -> bool:
        return any(s <= a and b <= e + 1 for s, e in self.near(a, b))

    def end_before(self, pos: int) -> int:
        """The largest end <= pos of an interval (0 if none)."""
        return max([e for _, e in self.near(pos, pos) if e <= pos] or [0])


class _Tokens:
    """Token boundaries of a doc (from its IDX array); token texts are read on demand."""

    def __init__(self, doc: Doc, text: str):
        self.text = text
        self.starts = token_starts(doc)

    def index_before(self, pos: int) -> int:
        """Index of the token holding the character before `pos`."""
        return bisect.bisect_right(self.starts, pos - 1) - 1

    def text_at(self, i: int) -> str:
        end = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[i]:end].rstrip()

    def is_end(self, pos: int) -> bool:
        """Does a token end at `pos` (the next one starts there, or the text ends)?"""
        i = bisect.bisect_left(self.starts, pos)
        return pos >= len(self.text) or (i < len(self.starts) and self.starts[i] == pos)


def _jieba_words() -> dict:
    """word -> frequency of the segmentation dictionary (prefixes have frequency 0); empty
    when unavailable."""
    try:
        from pipeline.segment import dictionary
        return dictionary().FREQ
    except Exception:  # pragma: no cover - the segmenter is not ours; degrade gracefully
        return {}


def _honour_blocks(honours: list[HonourItem]) -> "_Intervals":
    """Honour items that are not also programme mentions: titles after an award verb and
    designations with a title ending (创建市级…示范基地)."""
    return _Intervals([(h.start, h.end) for h in honours if h.strong or h.titled])


def _in_honour(ctx: _Context, a: int, b: int) -> bool:
    return ctx.honours.covers(a, b)


def _quoted_candidates(ctx: _Context, v: ProgrammeVocabulary) -> None:
    text = ctx.text
    chain: list[_Candidate] = []
    contrasts = {m.start(g) for m in v.contrast.finditer(text) for g in (1, 2)}
    for m in _quotes(text, v):
        if m.start() + 1 in contrasts:
            ctx.taken.append((m.start(), m.end()))
            chain = []
            continue
        group = m.lastgroup
        qs, qe = m.start() + 1, m.end() - (0 if group == "open" else 1)   # content offsets
        after = m.end()
        core = text[qs:qe].strip()
        if group.startswith("t"):
            ctx.taken.append((m.start(), m.end()))
            # 《…》: a document, newspaper, book or talk; a programme only when named like one
            if core.endswith(v.title_heads) or not v.suffix.search(core[-4:]) or not _name_like(core):
                continue
        if group == "open" and not _unclosed(text, after, core, v):
            continue
        ctx.taken.append((m.start(), m.end()))
        ext = _extension(text, after, v) if core else ""
        if not _HAS_CJK.search(core + ext):
            chain = []
            continue
        cand = _judge_quoted(ctx, v, m.start(), qs, qe, after, core, ext)
        # a shared ending: "开展寻找“最美家庭”和“最美伴侣”评选活动" — it counts for both
        if chain and cand is not None and ext and text[chain[-1].end + 1:m.start()] in ("", "、", "和", "与", "及"):
            for c in chain:
                if c.kind == "pending":
                    c.kind = "quoted"
                    ctx.candidates.append(c)
        if cand is None:
            chain = []
            continue
        if cand.kind == "pending":
            chain.append(cand)
            continue
        chain = [cand]
        ctx.candidates.append(cand)


def _quotes(text: str, v: ProgrammeVocabulary):
    """What v.quoted.finditer(text) finds, tried only at opening marks (faster)."""
    last = 0
    for o in v.opening.finditer(text):
        if o.start() < last:
            continue
        m = v.quoted.match(text, o.start())
        if m:
            last = m.end()
            yield m


def _unclosed(text: str, after: int, core: str, v: ProgrammeVocabulary) -> bool:
    """Is an opening quote without a closing one a name ("“巧媳妇创业基地3个")? Only when no
    closing quote follows before the next opening one, and a count or a programme ending follows."""
    nxt = _CURLY.search(text, after, after + 400)
    if nxt and nxt.group(0) == "”":
        return False  # closed further on: a long quotation
    return bool(text[after:after + 1].isdigit() or v.suffix.search(core[-4:]))


def _name_like(s: str) -> bool:
    return bool(_NAME_CHARS.match(_QUOTES_SPACES.sub("", s)))


def _extension(text: str, after: int, v: ProgrammeVocabulary) -> str:
    """The longest ending noun phrase right after a closing quote ("工程", "家政服务品牌",
    "命名评选活动"), or '': name characters only, no function word, not a count (三大行动)."""
    run = _NAME_RUN.match(text, after, min(len(text), after + v.max_extension + 4)).group(0)
    best = ""
    for m in v.extension.finditer(run):
        ext = run[:m.end()]
        if len(ext) > v.max_extension + 2:
            break
        if any(c in v.left_stop_chars for c in ext[:m.start()]) or v.count_lead.match(ext) \
                or _COUNTED_BIG.search(ext):
            break
        best = ext
    return best


def _judge_quoted(ctx: _Context, v: ProgrammeVocabulary, open_at: int, qs: int, qe: int, after: int,
                  core: str, ext: str) -> Optional[_Candidate]:
    """A candidate for a quoted text, or None when it is not a programme mention."""
    text = ctx.text
    n = _norm(core)
    has_suffix = bool(ext) or bool(v.suffix.search(n[-4:]))
    if not n or len(n) > 30 or _SPEECH.search(core):
        return None
    if len(n) < 3 and not ext or len(n) < 2:
        return None  # “她”, “三新”, “码上”, “她”品牌: emphasis
    follow = text[after:after + 5]
    if v.emphasis_follower.match(follow):
        return None
    if n in v.slogans or _CONGRESS.match(n) or not ext and (n in v.emphasis or core.startswith("她")):
        return None
    if not ext and (_NUMERAL_ONLY.match(core) or _VERB_COMPLEMENT.search(n) or len(n) >= 6 and _SPOKEN.search(n)):
        return None
    # a list of quotes may share the ending of the last one ("寻找“最美家庭”和“最美伴侣”评选活动")
    listed = not ext and text[after:after + 1] in ("和", "与", "及", "、", "“")
    soft = not ext and bool(n.endswith(v.non_programme_heads)) or _MULTI_PART.search(core) and not (
        ext and not ext.endswith(("工作", "制度")) or _theme_activity(text, after))
    if soft and not listed:
        return None
    if _in_honour(ctx, qs, qe):
        return None
    before = text[max(0, open_at - 4):open_at]
    if v.contrast_before.search(before) and v.contrast_after.match(text, after):
        return None  # "变“坐堂授课”为送教上门": a manner of working
    if before.endswith("的") and not has_suffix and text[after:after + 1] in "的,。;、!?)" \
            and _place_before(ctx, open_at - 1) is None:
        return None  # "成为孩子健康成长的“港湾”": a metaphor
    if ext:
        activity = ext.endswith(v.name_trailers) and not _NUMERAL_ONLY.match(core)
        name = _clean_name(core if activity else core + ext)
        forms = [f for f in (_clean_name(core), _clean_name(core + ext)) if f != name]
        return _Candidate(open_at, after + len(ext), name, forms, "quoted", qs)
    theme = _theme_activity(text, after)
    if theme:  # "“共建美丽庭院、乐享幸福生活”为主题的美丽庭院评选活动"
        activity = text[after:after + theme][len("为主题的"):]
        ctx.taken.append((after, after + theme))
        return _Candidate(qs, qe, _clean_name(core), [activity], "quoted", qs)
    cand = _Candidate(qs, qe, _clean_name(core), [], "quoted", qs)
    if soft:
        cand.kind = "pending"  # judged with the ending of the next quote
    return cand


def _theme_activity(text: str, after: int) -> int:
    """Length of "为主题的…活动" after a quote (a multi-part quote naming an activity), else 0."""
    m = _THEME.match(text, after, after + 20)
    return m.end() - after if m else 0


@functools.lru_cache(maxsize=16384)
def _clean_name(s: str) -> str:
    return _SPACE_RUN.sub(" ", _QUOTE_MARKS.sub("", s).strip())


def _place_before(ctx: _Context, pos: int) -> Optional[Place]:
    """A place whose mention ends at `pos`, or before an organisation word ending there."""
    i = bisect.bisect_right(ctx.place_starts, pos) - 1
    while i >= 0:
        s, e, place = ctx.places[i]
        if e == pos:
            return place
        if e < pos - 10:
            break
        if e < pos and _org_between(ctx.text[e:pos]):
            return place
        i -= 1
    return None


def _org_between(s: str) -> bool:
    """Is `s` an organisation word, possibly after a short name (施甸检察院 -> 检察院)?"""
    return bool(s) and bool(vocabulary().short_org.fullmatch(s))


def _appositive_candidates(ctx: _Context, v: ProgrammeVocabulary) -> None:
    """"…交流服务平台——宁波国际妇女之家": the name after the dash is the programme; the
    description before it is not a second one."""
    text = ctx.text
    for m in v.appositive.finditer(text):
        dash = m.start() + text[m.start():m.end()].index("——")
        if m.group("quote"):  # the quoted name was judged with the quotes
            ctx.taken.append((_walk_left(ctx, v, m.start()), dash))
            continue
        a, b = m.start("name"), m.end("name")
        if ctx.taken.overlaps(a, b):
            continue
        ctx.taken.append((_walk_left(ctx, v, m.start()), dash))
        ctx.taken.append((a, b))
        name = m.group("name")
        if len(_norm(name)) < 3 or not _HAS_CJK.search(name):
            continue
        ctx.candidates.append(_Candidate(a, b, _clean_name(name), [], "apposition", a))


def _suffix_candidates(ctx: _Context, v: ProgrammeVocabulary) -> None:
    text = ctx.text
    for m in v.suffix.finditer(text):
        s, e = m.start(), m.end()
        if ctx.taken.overlaps(s, e):
            continue
        if e < len(text) and _HAS_CJK.match(text[e]) and not ctx.tokens.is_end(e):
            continue  # the ending is the start of a longer word (中心组)
        if v.suffix_blocker.match(text, e) or _COUNT_AFTER.match(text, e):
            continue  # 工程帮扶, 项目建设, 中心工作; "巾帼志愿服务队19332支": a kind of thing counted
        if m.group(0) not in v.strong_suffixes and e < len(text) and _HAS_CJK.match(text[e]) \
                and text[e] not in v.weak_followers:
            continue  # "…服务中心工程建设…", "…服务中心提升打造": a weak ending inside a longer phrase
        start = _walk_left(ctx, v, s)
        while start < s and text[start] in "与和及":
            start += 1
        if start > 0 and text[start - 1] in "”’」』\"":
            continue  # the name goes with the quote before it, judged there
        if text[max(0, start - 1):start] == "等" or text[max(0, start - 2):start] in ("各类", "各项", "各种", "一批") \
                or _COUNT_BEFORE.search(text, max(0, start - 6), start):
            continue  # "…等巾帼志愿服务特色项目", "7个签约项目": a category, not a name
        stem = text[start:s]
        if len(_norm(stem)) < 2 or v.count_lead.match(stem) or v.institution.search(stem) \
                or _ENDS_COUNTED_BIG.search(stem):
            continue  # "…三大行动": a count of the actions listed before
        if not _distinctive(ctx, v, start, s, m.group(0)):
            continue
        if _in_honour(ctx, start, e):
            continue
        ctx.candidates.append(_Candidate(start, e, _clean_name(text[start:e]), [], "suffix", start))
        ctx.taken.append((start, e))


def _walk_left(ctx: _Context, v: ProgrammeVocabulary, s: int) -> int:
    """Start of the name whose ending noun starts at `s`: tokens back to a verb or function word."""
    text = ctx.text
    tokens = ctx.tokens
    i = tokens.index_before(s)
    start = s
    floor = ctx.taken.end_before(s)
    while i >= 0:
        ts = tokens.starts[i]
        tok = tokens.text_at(i)
        if ts + len(tok) > s:  # the ending starts inside this token
            tok = text[ts:s]
            if not tok:
                i -= 1
                continue
        if ts < floor or not tok or not _NAME_CHARS.match(tok) or tok in v.left_stops or tok in v.officer_titles:
            break
        if _COUNT_TOKEN.match(tok) or _NUMBER.fullmatch(tok) and _count_follows(ctx, i + 1):
            break
        if tok in v.organisation_words and (i == 0 or _is_place_end(ctx, ts)):
            break  # "市妇联执委顾静芬工作室": the organisation is not part of the name
        if len(tok) == 1 and tok in v.left_stop_chars:
            break
        if len(tok) > 1 and tok[0] in v.left_stop_chars and not ctx.words.get(tok):
            start = ts + 1  # a function word glued to the next word by the segmenter ("以市")
            break
        if s - ts > 14:
            break
        start = ts
        i -= 1
    return start


def _is_place_end(ctx: _Context, pos: int) -> bool:
    """Does a place name (or a bare level: 市, 该县) end right before `pos`?"""
    if _place_before(ctx, pos) is not None:
        return True
    return pos > 0 and ctx.text[pos - 1] in "省市县区州镇乡村道"


def _count_follows(ctx: _Context, i: int) -> bool:
    """Is the number before token `i` a count, a date or an age (token `i` a measure word)?"""
    nxt = ctx.tokens.text_at(i) if i < len(ctx.tokens.starts) else ""
    return bool(_COUNT_TOKEN.match(nxt) or _MEASURE.match(nxt))


def _distinctive(ctx: _Context, v: ProgrammeVocabulary, a: int, b: int, suffix: str) -> bool:
    """Does the stem text[a:b] name something (not only generic words)?"""
    text = ctx.text
    core_start = a
    place = _PLACE_PREFIX.match(text[a:b] + "xxx")
    if place and place.end() < b - a:
        core_start = a + place.end()
    i = bisect.bisect_right(ctx.place_starts, core_start) - 1
    while i >= 0 and ctx.places[i][0] > core_start - 40:  # a place name in the stem does not make it distinctive
        s, e, _p = ctx.places[i]
        if s <= core_start < e:
            core_start = e
            break
        i -= 1
    core = text[core_start:b]
    if not core:
        return False
    if suffix.endswith("活动"):
        # "…活动" names a programme only with a numbered or compound name (五好文明家庭创立活动,
        # 12338妇女热线接听日活动, 尚德胶州·最美家庭展播活动)
        return bool(_NUMERAL_LED.match(core) or "·" in core or "・" in core)
    if _NUMERAL_LED.match(core):
        return True
    toks = []
    tokens = ctx.tokens
    i = max(0, bisect.bisect_right(tokens.starts, core_start) - 1)
    while i < len(tokens.starts) and tokens.starts[i] < b:
        ts = tokens.starts[i]
        piece = text[max(ts, core_start):min(b, ts + len(tokens.text_at(i)))]
        if piece:
            toks.append(piece)
        i += 1
    own = [t for t in toks if t not in v.generic and t not in v.left_stops]
    if suffix in v.campaign_suffixes:
        # a campaign ending needs some non-generic word, or a stem of several words (乡村文明行动)
        return bool(own) or len(toks) >= 2 and len(core) >= 4
    if suffix in v.strong_suffixes:
        return bool(own)
    return sum(len(t) for t in own) >= 2


def _known_candidates(ctx: _Context, v: ProgrammeVocabulary) -> None:
    text = ctx.text
    for m in v.known.finditer(text):
        a, b = m.start(), m.end()
        if ctx.taken.overlaps(a, b) or _in_honour(ctx, a, b) or _COUNT_AFTER.match(text, b):
            continue
        if v.organisation.match(text, b) or text.startswith(("领导小组", "办公室"), b):
            continue  # the name of a body, not of the programme
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


def _rank(place) -> int:
    return _LEVEL_RANK.get(getattr(place, "level", None) or "", 0)


@dataclass(frozen=True)
class _Ancestor:
    """A unit named only in the paths of the document's places."""

    name: str
    path: tuple
    level: Optional[str] = None
    adcode: Optional[str] = None


def _common(places: list):
    """The finest unit containing all `places` (by their paths), or None."""
    if not places:
        return None
    if len({p.name for p in places}) == 1:
        return places[0]
    paths = [list(p.path) or [p.name] for p in places]
    common = []
    for parts in zip(*paths):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    if not common:
        return None
    for p in places:
        if p.name == common[-1]:
            return p
    return _Ancestor(common[-1], tuple(common), {1: "province", 2: "city", 3: "county"}.get(len(common)))


def _to_ref(place) -> Optional[RegionRef]:
    if place is None:
        return None
    if isinstance(place, RegionRef):
        return place
    return RegionRef(name=place.name, adcode=place.adcode, level=place.level, path=list(place.path))


def _is_ancestor(place, of) -> bool:
    """Is `place` a strictly larger unit containing `of` (by `of`'s path)?"""
    return of is not None and place.name != of.name and place.name in list(getattr(of, "path", []) or [])


class _RegionReader:
    """Reads the unit that runs what is mentioned at an offset: a place written in or right
    before the name (怒江州“巧媳妇”工程), the organisation acting in the sentence (余姚市妇联实施…)
    or the place where it is done (在…宁广社区建立…), else places of the clause."""

    def __init__(self, ctx: _Context, v: ProgrammeVocabulary):
        self.ctx, self.v, self.text = ctx, v, ctx.text
        text = self.text
        # per place mention: does an organisation follow it (余姚市妇联), or does it say where
        # something is done (在…, and a place right after such a one: 在钟公庙街道宁广社区)?
        self.acting = []
        loc_end = -1
        for s, e, _p in ctx.places:
            loc = text[max(0, s - 2):s].endswith(("在", "于", "到", "赴")) or s == loc_end
            if loc:
                loc_end = e
            self.acting.append(bool(loc or v.short_org.match(text, e, e + 8)))
        # bare levels standing for a place (区妇联, 该县, 我市), resolved once
        self.bares = [(m.start(), self._bare(m), m.group("anaphor") == "该") for m in _bare_orgs(text, v)]
        self.bare_starts = [b[0] for b in self.bares]

    def _place_at(self, pos: int):
        i = bisect.bisect_right(self.ctx.place_starts, pos) - 1
        while i >= 0:
            s, e, p = self.ctx.places[i]
            if s <= pos < e:
                return s, e, p
            if e <= pos - 20:
                break
            i -= 1
        return None

    def _nearest_before(self, pos: int, suffix: str, allow_main: bool = True):
        """The place mentioned last before `pos` of the kind `suffix` names (该县 -> …县; 区 is
        a county-level 区, not a 社区)."""
        levels = _LEVEL_OF_SUFFIX.get(suffix, ())
        i = bisect.bisect_right(self.ctx.place_starts, pos) - 1
        stop = max(-1, i - 400)  # the last few hundred places named are enough
        while i > stop:
            s, e, p = self.ctx.places[i]
            if e <= pos and (p.name.endswith(suffix) or self.text[s:e].endswith(suffix)) \
                    and (not p.level or p.level in levels):
                return p
            i -= 1
        main = self.ctx.main
        if allow_main and main is not None and main.name.endswith(suffix):
            return main
        return None

    def _bare(self, m: re.Match):
        """The place a bare level stands for: 区妇联 (the main region or the last 区), 该县, 我市."""
        main = self.ctx.main
        if m.group("anaphor"):
            level = m.group("alevel")
            if m.group("anaphor") == "该":
                return self._nearest_before(m.start(), level)
            return main if main is not None and main.name.endswith(level) else None
        if m.group("all"):
            return None
        if self._place_at(m.start()) is not None:
            return None  # part of a place name (宁波市妇联): read as a place
        level = m.group("level")
        if main is not None and main.name.endswith(level):
            return main
        return self._nearest_before(m.start(), level, allow_main=False)

    def read(self, cand: _Candidate, previous: list):
        """(place, strength) for one mention: 3 a place in or right before the name, 2 an
        organisation or locative of the sentence, 1 a place of the clause, 0.5 the main region."""
        ctx, text, main = self.ctx, self.text, self.ctx.main
        a = cand.start
        # 1. a place inside the name, right before it, or in brackets after it (…服务站(河源站))
        inside = self._place_at(cand.name_start)
        if inside and inside[1] > cand.end:
            inside = None
        own = inside is not None and not _is_ancestor(inside[2], main) and (main is None or inside[2].name != main.name)
        if own:
            return inside[2], 3
        if _BRACKETED.match(text, cand.end, cand.end + 14):
            hit = self._place_at(cand.end + 1)
            if hit:
                return hit[2], 3
        if inside and _is_ancestor(inside[2], main):
            return inside[2], 3
        p = _place_before(ctx, a)
        if p is None and a >= 1 and text[a - 1] == "的":
            p = _place_before(ctx, a - 1)
        if p is not None:
            return p, 3
        # (a sentence is read back at most 200 characters: text without marks stays linear)
        sent_start = max(ctx.sentences.start_of(a), a - 200)
        clause_start = max(ctx.clauses.start_of(a), a - 200)
        # a list shares the place of its first name: "东胡社区的“三色教育”、阳光五点钟工程"
        if previous:
            prev, place, strength = previous[-1]
            if prev.end <= a and prev.start >= clause_start and strength == 3 and \
                    _LIST_JOIN.fullmatch(text, prev.end, a):
                return place, 3
        # 2. organisations and locatives of the sentence before the mention
        found = []
        for i in range(bisect.bisect_left(ctx.place_starts, sent_start), len(ctx.places)):
            s, e, place = ctx.places[i]
            if s >= a:
                break
            if e <= a and self.acting[i]:
                found.append(place)
        lo, hi = bisect.bisect_left(self.bare_starts, sent_start), bisect.bisect_left(self.bare_starts, a)
        found.extend(place for _, place, _ in self.bares[lo:hi] if place is not None)
        found = [p for p in found if not _is_ancestor(p, main)]  # "在常州辖市区率先": context
        if found:
            best = max(_rank(p) for p in found)
            common = _common([p for p in found if _rank(p) == best])
            if common is not None:
                return common, 2
        # 3. places of the clause (the first written: the larger unit of a chain)
        for i in range(bisect.bisect_left(ctx.place_starts, clause_start), len(ctx.places)):
            s, e, place = ctx.places[i]
            if s >= a:
                break
            if e <= a and not _is_ancestor(place, main):
                return place, 1
        lo = bisect.bisect_left(self.bare_starts, clause_start)
        if lo < len(self.bares) and self.bares[lo][0] < a and self.bares[lo][2] and self.bares[lo][1] is not None:
            return self.bares[lo][1], 1  # "该市逍林镇…": the place 该 points back to
        # 4. "该平台成立以来…": the sentence continues the one before
        if previous and text[sent_start:sent_start + 1] in ("该", "此", "这"):
            prev, place, strength = previous[-1]
            if strength >= 1 and place is not None:
                return place, 1
        return main, 0.5


def _bare_orgs(text: str, v: ProgrammeVocabulary) -> list:
    """The matches of v.bare_org in text (该县, 全市, 区妇联), tried only where they can start:
    at 该/本/我/全 and before organisation words."""
    starts = {m.start() for m in v.anaphor.finditer(text)}
    for o in v.organisation.finditer(text):
        lv = v.level_before.search(text, max(0, o.start() - 3), o.start())
        if lv:
            starts.add(lv.start())
    out, last = [], 0
    for s in sorted(starts):
        if s < last:
            continue
        m = v.bare_org.match(text, s)
        if m:
            out.append(m)
            last = m.end()
    return out


def _vote(readings: list, main):
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

def _group(cands: list[_Candidate]) -> list[list[_Candidate]]:
    """Mentions of one programme together: the same key, or a key that adds a prefix or an
    ending to a shorter one (四必访 / 甬尚姐妹四必访; 好苏嫂 / 好苏嫂家政服务品牌), unless a
    separator joins them (巾帼云创·蓉城巾帼学院, 互联网+妇女之家) or the longer one is run by
    a finer unit (see `_distinct_unit`)."""
    by_key: dict[str, list[_Candidate]] = defaultdict(list)
    for c in cands:
        by_key[c.sep_key].append(c)
    plain_of = {k: k.replace("·", "") for k in by_key}
    served = vocabulary().served
    loose_of = {k: served.sub("", p) for k, p in plain_of.items()}
    keys = sorted(by_key, key=lambda k: len(plain_of[k]))
    parent = {k: k for k in keys}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    # pairs that may merge: a key that is a prefix or a suffix of another, or the same plain
    # or loose form; found from each key's own prefixes and suffixes (linear, not pairwise)
    rank = {k: i for i, k in enumerate(keys)}
    pairs = set()
    by_form: dict[tuple, list[str]] = defaultdict(list)
    for k in keys:
        for j in range(2, len(k)):
            if k[:j] in rank:
                pairs.add((k[:j], k))
        for j in range(1, len(k) - 2):
            if k[j:] in rank:
                pairs.add((k[j:], k))
        by_form["plain", plain_of[k]].append(k)
        if len(loose_of[k]) >= 5:
            by_form["loose", loose_of[k]].append(k)
    for same in by_form.values():
        pairs.update((a, b) for a, b in zip(same, same[1:]))
    for short, long in sorted(pairs, key=lambda p: (rank[p[0]], rank[p[1]])):
        if rank[long] < rank[short]:
            short, long = long, short
        plain, loose, lplain = plain_of[short], loose_of[short], plain_of[long]
        if len(plain) < 2 or find(long) == find(short):
            continue
        if lplain == plain:
            parent[find(long)] = find(short)
        elif long.endswith(short) and len(plain) >= 3 and not long[:-len(short)].endswith("·"):
            parent[find(long)] = find(short)
        elif loose_of[long] == loose and len(loose) >= 5:
            parent[find(long)] = find(short)  # 12338热线接听日 / 12338妇女热线接听日: only the people served differ
        elif long.startswith(short) and not long[len(short):].startswith("·") \
                and (len(plain) >= 3 or len(lplain) - len(plain) <= 1) \
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
    top = _vote([(c.region, c.strength) for c in base], None)
    return top is not None and all(_rank(r) > _rank(top) for r in comp)


def _choose_name(group: list[_Candidate], v: ProgrammeVocabulary) -> str:
    """The fullest natural name: the longest name whose key ends with the group's shortest key;
    ties go to the more frequent, then the first written."""
    named = [c for c in group if c.kind != "known"] or group  # a gazetteer word never names a longer one
    base = min((c.key for c in named), key=len)
    counts: dict[str, int] = defaultdict(int)
    first: dict[str, int] = {}
    for c in named:
        counts[c.name] += 1
        first.setdefault(c.name, c.start)
    names = [n for n in counts if programme_key(n, v).endswith(base)] or list(counts)
    return max(names, key=lambda n: (len(_norm(n)), counts[n], -first[n]))


# ---------------------------------------------------------------- component

def extract_programmes(doc: Doc, text: Optional[str] = None) -> list[Programme]:
    """Programmes of a processed Doc (uses doc._.places and doc._.main_region when set;
    `text`: doc.text when already at hand)."""
    v = vocabulary()
    text = doc_text(doc) if text is None else text
    places = _places_of(doc)
    ctx = _Context(text=text, tokens=_Tokens(doc, text), words=_jieba_words(),
                   honours=_honour_blocks(honours_of(doc, text)), places=places,
                   place_starts=[p[0] for p in places], main=doc._.main_region,
                   sentences=Boundaries.of(text, _SENTENCE_END), clauses=Boundaries.of(text, _CLAUSE_END))
    _quoted_candidates(ctx, v)
    _appositive_candidates(ctx, v)
    _suffix_candidates(ctx, v)
    _known_candidates(ctx, v)
    reader = _RegionReader(ctx, v)
    readings = []
    cands = []
    for c in sorted(ctx.candidates, key=lambda c: c.start):
        c.sep_key = _sep_key(c.name, v)
        c.key = c.sep_key.replace("·", "")
        if len(c.key) < 2 or c.key in v.slogans or c.key in v.emphasis:
            continue
        c.region, c.strength = reader.read(c, readings)
        readings.append((c, c.region, c.strength))
        cands.append(c)
    programmes = []
    for group in _group(cands):
        name = _choose_name(group, v)
        aliases = []
        for c in group:
            for form in [c.name] + c.forms:
                if form and _norm(form) != _norm(name) and form not in aliases:
                    aliases.append(form)
        region = _vote([(c.region, c.strength) for c in group], ctx.main)
        mentions = [Mention(text=text[c.start:c.end], start=c.start, end=c.end) for c in group]
        programmes.append((group[0].start, Programme(name=name, key=programme_key(name, v), aliases=aliases,
                                                     region=_to_ref(region), mentions=mentions)))
    programmes.sort(key=lambda x: x[0])
    return [p for _, p in programmes]


@Language.component("fed_programmes", requires=["doc._.places", "doc._.main_region"],
                    assigns=["doc._.programmes", "doc.spans"])
def fed_programmes(doc: Doc) -> Doc:
    """Set doc._.programmes (schemas.Programme) and doc.spans["programmes"] (label = key)."""
    doc._.programmes = extract_programmes(doc, doc_text(doc))
    set_spans(doc, "programmes", [(m.start, m.end, p.key) for p in doc._.programmes for m in p.mentions])
    return doc
