"""Link stage: turn one article's extractions into practices.

A **practice** is who did what, where, with what numbers and results, with the sentences
that say so. The unit is:

* one practice per **named programme** per article (programmes with the same `key` are
  one practice; its evidence is every sentence that names it, plus the sentences after a
  mention in the same paragraph until another programme is named), and
* one practice per **paragraph** for the **unnamed activities** left over: the sentences
  of a paragraph that no programme owns, kept when they report something done (a count,
  an outcome, an organisation acting or an action verb such as 开展/举办/培训/走访).

Every count and outcome of the article belongs to at most one practice (the programme named
nearest before it in its sentence, else the owner of its sentence), so figures are never
counted twice when practices are added up. Headings (short lines without a full stop) are
not practices; the title line only gives evidence to the programmes it names.

For each practice:
  organisation  the federation (妇联/妇女联合会/妇委会) named in its sentences, else earlier
                in its paragraph, else the article's principal one; a generic "县妇联" is
                completed with the article's main region (永善县妇联)
  region        the programme's region, else the organisation's, else the main region
  themes        keyword taxonomy of `data/themes.yaml` (`classify_themes`)
  year          the latest year written in its sentences (not after the published date),
                else 今年/去年/前年 against the published date, else the published year,
                else the latest year written in the article
  id            "<doc_id>-pNN", numbered in text order, so a rebuild gives the same ids

    >>> from schemas import Article
    >>> a = Article(doc_id="x-0", source="x.txt", article=0, relevant=True, published="2021-05-01",
    ...             text="县妇联今年开展“两癌”免费筛查1200人次。")
    >>> [(p.activity, p.themes, p.year) for p in link_practices(a)]
    [('县妇联今年开展“两癌”免费筛查1200人次', ['妇女健康'], 2021)]
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional


from pipeline.datafiles import load_yaml
from schemas import Article, Count, Evidence, Outcome, Place, Practice, Programme, RegionRef

MAX_EVIDENCE = 8          # sentences kept per practice (those with figures first)
MAX_ACTIVITY_CHARS = 40   # length of the activity phrase
MAX_HEADING_CHARS = 30    # a line this short without a full stop is a heading

_CJK = "\u4e00-\u9fff"
_SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』\"')）]*|\n+")
_HEADING_NUMBER = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．])")
_ACTION = re.compile(
    r"开展|举办|组织|实施|建立|成立|打造|推进|推动|开设|开办|创建|培训|走访|慰问|帮助|发放|筛查|宣讲|"
    r"完成|召开|表彰|评选|启动|引进|搭建|依托|联合|争取|资助|救助|服务|设立|选派|招募|受理|调处|调解|"
    r"培育|带动|覆盖|举行|挂牌|印发|落实|深化|探索|聚焦|发动|吸纳|结对")
# 妇联 and its written forms; `妇女联合会` is normalised to 妇联 in organisation names
_ORG = re.compile(r"妇女联合会|妇联|妇委会|妇工委")
_GENERIC_ORG_PREFIX = re.compile(r"(?:全|本|该|我|各)?(省|市|州|县|区|旗|镇|乡|街道|村|社区)$")
# the lookbehind stands after the digits: a pattern opening with one is tried at every character
_YEAR = re.compile(r"((?:19[5-9]|20[0-4])\d)(?<![\d.]\d{4})(?=\s*年|\s*[-—–~～至到]\s*(?:19|20)\d\d)")
_RELATIVE_YEAR = {"今年": 0, "去年": 1, "前年": 2}
_RELATIVE = re.compile("今年|去年|前年")


# ---------------------------------------------------------------- themes

@dataclass(frozen=True)
class ThemeTaxonomy:
    themes: tuple[str, ...]
    keyword_theme: dict
    keyword_weight: dict
    lengths: dict               # first character -> lengths of the keywords it starts, longest first
    max_themes: int


@functools.lru_cache(maxsize=1)
def taxonomy() -> ThemeTaxonomy:
    """The theme taxonomy of `data/themes.yaml` (read once per process)."""
    data = load_yaml("pipeline", "data/themes.yaml")
    keyword_theme: dict[str, str] = {}
    keyword_weight: dict[str, float] = {}
    for theme, words in data["themes"].items():
        for entry in words or []:
            word, weight = next(iter(entry.items())) if isinstance(entry, dict) else (entry, 1)
            keyword_theme.setdefault(str(word), theme)
            keyword_weight.setdefault(str(word), float(weight))
    lengths: dict[str, set[int]] = {}
    for w in keyword_theme:
        lengths.setdefault(w[0], set()).add(len(w))
    lengths = {c: tuple(sorted(ns, reverse=True)) for c, ns in lengths.items()}
    return ThemeTaxonomy(tuple(data["themes"]), keyword_theme, keyword_weight, lengths, int(data.get("max_themes", 3)))


def themes() -> list[str]:
    """Theme names in taxonomy order."""
    return list(taxonomy().themes)


def theme_keywords(text: str, bounds: Optional[set[int]] = None) -> list[tuple[str, str]]:
    """(keyword, theme) found in `text`, in text order. A keyword must start and end on word
    boundaries of the search-mode segmentation (so 线上 is not read in 战线上, while 春蕾 is
    read in 春蕾班), and at any position the longest keyword wins (家庭暴力 over 家庭).
    `bounds`: those boundaries when already known (offsets into `text`; its two ends are
    boundaries in any case)."""
    from pipeline.segment import search_boundaries, segment

    if bounds is None:
        bounds = search_boundaries(segment(text))
    return SpanKeywords(text, sorted(bounds)).span(0, len(text))


class SpanKeywords:
    """`theme_keywords` of many spans of one text, from one pass over its word boundaries:
    `span(start, end)` equals `theme_keywords(text[start:end], <bounds in [start, end]>)`
    (the scan itself). Only the boundaries where a keyword can start are visited per span
    (a practice's evidence sentences, its activity phrase)."""

    def __init__(self, text: str, bounds: list[int]):
        tax = taxonomy()
        self.text, self.bounds = text, set(bounds)
        self.starts = [b for b in bounds if b < len(text) and text[b] in tax.lengths]  # sorted as `bounds`

    def span(self, start: int, end: int) -> list[tuple[str, str]]:
        tax, text, bounds = taxonomy(), self.text, self.bounds
        at = self.starts[bisect.bisect_left(self.starts, start):bisect.bisect_left(self.starts, end)]
        if start < end and start not in bounds and text[start] in tax.lengths:
            at.insert(0, start)  # a span's own edges are boundaries of it
        found, pos = [], start
        for b in at:
            if b < pos:
                continue
            for n in tax.lengths[text[b]]:
                e = b + n
                if e <= end and (e == end or e in bounds):
                    w = text[b:e]
                    if w in tax.keyword_theme:
                        found.append((w, tax.keyword_theme[w]))
                        pos = e
                        break
        return found


NAME_WEIGHT = 3      # a theme keyword in the programme name says more than one in the evidence
ACTIVITY_WEIGHT = 2


def classify_themes(*texts: Optional[str], weights: Optional[list[float]] = None,
                    bounds: Optional[list[Optional[set[int]]]] = None) -> list[str]:
    """Themes of a practice from its texts, strongest first: each distinct keyword counts once,
    its weight in themes.yaml times the largest weight of the texts it is found in (default 1
    each); ties in taxonomy order; at most `max_themes`. `bounds[i]`: the search-mode word
    boundaries of texts[i] when known (see `theme_keywords`)."""
    return rank_themes([(theme_keywords(text or "", bounds[i] if bounds and i < len(bounds) else None),
                         weights[i] if weights and i < len(weights) else 1.0) for i, text in enumerate(texts)])


def rank_themes(found: list[tuple[list[tuple[str, str]], float]]) -> list[str]:
    """`classify_themes` from the keywords already found in each text: (their `theme_keywords`,
    the text's weight) pairs."""
    tax = taxonomy()
    hits: dict[str, dict[str, float]] = {}
    for keywords, w in found:
        for word, theme in keywords:
            words = hits.setdefault(theme, {})
            words[word] = max(words.get(word, 0.0), w * tax.keyword_weight[word])
    order = {t: i for i, t in enumerate(tax.themes)}
    ranked = sorted(hits, key=lambda t: (-sum(hits[t].values()), order[t]))
    return ranked[:tax.max_themes]


# ---------------------------------------------------------------- programme keys

def programme_key(name: str) -> str:
    """The normalised key of a programme name (the programme extractor's own helper), so that
    a key computed here matches the keys the extractor writes."""
    from extractors.programmes import programme_key as extractor_key
    return extractor_key(name)


# ---------------------------------------------------------------- text structure

@dataclass
class _Sentence:
    start: int
    end: int
    paragraph: int


@dataclass
class _Paragraph:
    start: int
    end: int
    heading: bool
    title: bool
    sentences: list[int] = field(default_factory=list)


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, s = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        _trimmed(text, s, m.end() if m.group(0)[0] != "\n" else m.start(), out)
        s = m.end()
    _trimmed(text, s, end, out)
    return out


def _trimmed(text: str, s: int, e: int, out: list) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        out.append((s, e))


def _structure(article: Article) -> tuple[list[_Paragraph], list[_Sentence]]:
    """Paragraphs (lines) and sentences of the text, with headings and the title line marked."""
    text = article.text
    paragraphs: list[_Paragraph] = []
    sentences: list[_Sentence] = []
    pos = 0
    for line in text.split("\n"):
        s, e = pos, pos + len(line)
        pos = e + 1
        spans = _split_sentences(text, s, e)
        if not spans:
            continue
        body = text[spans[0][0]:spans[-1][1]]
        is_title = not paragraphs and article.title is not None and body.strip() == article.title.strip()
        heading = not is_title and (
            (len(body) <= MAX_HEADING_CHARS and not re.search(r"[。！？!?]", body))
            or (bool(_HEADING_NUMBER.match(body)) and len(spans) == 1 and len(body) <= 2 * MAX_HEADING_CHARS))
        p = _Paragraph(spans[0][0], spans[-1][1], heading, is_title)
        for a, b in spans:
            p.sentences.append(len(sentences))
            sentences.append(_Sentence(a, b, len(paragraphs)))
        paragraphs.append(p)
    return paragraphs, sentences


# ---------------------------------------------------------------- organisations

@dataclass(frozen=True)
class Organisation:
    """A federation named in the text: its name, where it is written, its region, and whether
    it can be the acting organisation (`acting` is False for 全国妇联, for a generic 市妇联 that
    points above the article's main region, and for a generic one that cannot be resolved)."""

    name: str
    start: int
    end: int
    region: Optional[RegionRef]
    acting: bool = True


_LEVEL_RANK = {"province": 1, "city": 2, "county": 3, "township": 4, "village": 5}


def _ref(place: Place) -> RegionRef:
    return RegionRef(name=place.name, adcode=place.adcode, level=place.level, path=list(place.path))


def _province_of(main: RegionRef, article: Article) -> Optional[RegionRef]:
    if main.level == "province":
        return main
    if not main.path:
        return None
    for p in article.places:
        if p.name == main.path[0] and p.level == "province":
            return _ref(p)
    return RegionRef(name=main.path[0], adcode=(main.adcode[:2] + "0000") if main.adcode else None,
                     level="province", path=[main.path[0]])


def _generic_region(level_word: str, article: Article) -> Optional[RegionRef]:
    """The unit meant by 县妇联, 市妇联 … in an article about `main_region`."""
    main = article.main_region
    if main is None:
        return None
    if level_word == "省":
        return _province_of(main, article)
    if level_word in ("市", "州"):
        if main.level == "city" or (main.level == "county" and level_word == "市" and main.name.endswith("市")):
            return main
        if main.level in ("county", "township", "village") and len(main.path) >= 2:
            for p in article.places:
                if p.name == main.path[1]:
                    return _ref(p)
            return RegionRef(name=main.path[1], adcode=(main.adcode[:4] + "00") if main.adcode else None,
                             level="city", path=main.path[:2])
        return None
    if level_word in ("县", "区", "旗"):
        return main if main.level == "county" else None
    if level_word in ("镇", "乡", "街道"):
        return main if main.level == "township" else None
    return main if main.level == "village" else None


class _PlaceIndex:
    """Place mentions of the article by end offset, for the place written right before 妇联."""

    def __init__(self, article: Article):
        self.by_end: dict[int, list[tuple[int, Place]]] = {}
        for place in article.places:
            for m in place.mentions:
                self.by_end.setdefault(m.end, []).append((m.start, place))

    def ending_at(self, pos: int) -> Optional[tuple[int, Place]]:
        cands = self.by_end.get(pos)
        if not cands:
            return None
        return min(cands, key=lambda c: (c[0], c[1].name))  # the longest mention


def find_organisations(article: Article) -> list[Organisation]:
    """Federations named in the text, in text order, with the place before them resolved.
    A federation of a known unit is named by the unit's official name (兴义妇联 and 市妇联 in
    an article about 兴义市 are both 兴义市妇联); 妇女联合会 is written 妇联."""
    text, places = article.text, _PlaceIndex(article)
    main = article.main_region
    found: list[Organisation] = []
    for m in _ORG.finditer(text):
        suffix = "妇联" if m.group(0) == "妇女联合会" else m.group(0)
        hit = places.ending_at(m.start())
        if hit is not None:
            start, place = hit
            found.append(Organisation(place.name + suffix, start, m.end(), _ref(place)))
            continue
        before = text[max(0, m.start() - 4):m.start()]
        if before.endswith("全国"):
            found.append(Organisation("全国妇联", m.start() - 2, m.end(), None, acting=False))
            continue
        g = _GENERIC_ORG_PREFIX.search(before)
        if g is None:
            continue
        region = _generic_region(g.group(1), article)
        start = m.start() - len(g.group(0))
        if region is None:
            found.append(Organisation(g.group(1) + suffix, start, m.end(), None, acting=main is None))
            continue
        superior = (main is not None and main.level in _LEVEL_RANK and region.level in _LEVEL_RANK
                    and _LEVEL_RANK[region.level] < _LEVEL_RANK[main.level])
        found.append(Organisation(region.name + suffix, start, m.end(), region, acting=not superior))
    return found


# ---------------------------------------------------------------- years

def _published_year(article: Article) -> Optional[int]:
    if article.published and re.match(r"^\d{4}", article.published):
        return int(article.published[:4])
    return None


def practice_year(sentences: Iterable[str], article: Article) -> Optional[int]:
    """The year of a practice from its sentences and the article's published date."""
    published = _published_year(article)
    texts = list(sentences)
    years = [int(y) for t in texts for y in _YEAR.findall(t)]
    if published is not None:
        years = [y for y in years if y <= published]
    if years:
        return max(years)
    if published is not None:
        for t in texts:
            rel = _RELATIVE.search(t)
            if rel:
                return published - _RELATIVE_YEAR[rel.group(0)]
        return published
    whole = [int(y) for y in _YEAR.findall(article.text)]
    return max(whole) if whole else None


# ---------------------------------------------------------------- activity phrase

_OPEN, _CLOSE = "“‘「『《（(〈【", "”’」』》）)〉】"


@functools.lru_cache(maxsize=16)
def _split_pattern(marks: str) -> re.Pattern:
    return re.compile("[" + re.escape(_OPEN + _CLOSE + marks) + "]")


def _split_outside_quotes(s: str, marks: str, lo: int = 0, hi: Optional[int] = None) -> list[tuple[int, int]]:
    """(start, end) pieces of s[lo:hi] split at `marks` that stand outside quotes and brackets."""
    hi = len(s) if hi is None else hi
    out, depth, start = [], 0, lo
    for m in _split_pattern(marks).finditer(s, lo, hi):  # only the characters that matter
        ch, i = m.group(), m.start()
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append((start, i))
            start = i + 1
    out.append((start, hi))
    return [(a, b) for a, b in out if s[a:b].strip()]


def activity_phrase(sentence: str, anchor: Optional[int] = None) -> str:
    """A short phrase of `sentence` saying what was done: the clause holding `anchor` (an
    offset into the sentence), else the first clause with an action verb, else the first.
    A long clause is narrowed to its 、-separated item holding the anchor."""
    sentence = sentence.rstrip("。！？!?；;…")
    clauses = _split_outside_quotes(sentence, ",，;；:：。！？!?")
    if not clauses:
        return sentence.strip()[:MAX_ACTIVITY_CHARS]
    chosen = None
    if anchor is not None:
        chosen = next(((a, b) for a, b in clauses if a <= anchor < b), None)
    if chosen is None:
        chosen = next(((a, b) for a, b in clauses if _ACTION.search(sentence, a, b)), clauses[0])
    a, b = chosen
    if b - a > MAX_ACTIVITY_CHARS:
        items = _split_outside_quotes(sentence, "、 ", a, b)
        at = anchor if anchor is not None and a <= anchor < b else None
        if at is None:
            verb = _ACTION.search(sentence, a, b)
            at = verb.start() if verb else a
        i = next((k for k, (x, y) in enumerate(items) if x <= at < y), 0)
        lo, hi = items[i]
        # widen to the neighbouring items while the phrase stays short
        j, k = i, i
        while True:
            if k + 1 < len(items) and items[k + 1][1] - lo <= MAX_ACTIVITY_CHARS:
                k += 1
                hi = items[k][1]
            elif j > 0 and hi - items[j - 1][0] <= MAX_ACTIVITY_CHARS:
                j -= 1
                lo = items[j][0]
            else:
                break
        a, b = lo, hi
        if b - a > MAX_ACTIVITY_CHARS:
            start = max(a, min(at - MAX_ACTIVITY_CHARS // 4, b - MAX_ACTIVITY_CHARS))
            a, b = start, start + MAX_ACTIVITY_CHARS
    return sentence[a:b].strip(" 、")


# ---------------------------------------------------------------- linking

@dataclass
class _Unit:
    """A practice being assembled: a programme (key) or a paragraph's unnamed activity."""

    key: str
    programme: Optional[Programme]
    paragraph: Optional[int]
    sentences: set[int] = field(default_factory=set)
    mentions: list[int] = field(default_factory=list)   # offsets of programme mentions
    counts: list[Count] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


def _mentions(programme: Programme, text: str) -> list[tuple[int, int]]:
    spans = [(m.start, m.end) for m in programme.mentions if 0 <= m.start < m.end <= len(text)]
    if spans:
        return sorted(set(spans))
    for form in [programme.name, *programme.aliases]:  # no offsets given: find the written forms
        i = text.find(form) if form else -1
        while i >= 0:
            spans.append((i, i + len(form)))
            i = text.find(form, i + 1)
    return sorted(set(spans))


def _programme_units(article: Article) -> dict[str, _Unit]:
    units: dict[str, _Unit] = {}
    for prog in article.programmes:
        key = prog.key or programme_key(prog.name) or prog.name
        if key not in units:
            units[key] = _Unit(key=key, programme=prog, paragraph=None)
    return units


def link_practices(article: Article, words: Optional[list[str]] = None,
                   tokens: Optional[list[tuple[int, int, str]]] = None) -> list[Practice]:
    """The practices of one relevant article (an irrelevant article has none). `words`: the
    article's jieba words when the caller has them (the segment stage), to avoid segmenting
    the text a second time; `tokens`: their `search_tokens`, when the caller has those too."""
    if not article.relevant or not article.text.strip():
        return []
    text = article.text
    from pipeline.segment import bounds_of, search_boundaries, segment
    if tokens is not None:
        word_bounds = sorted(bounds_of(tokens))
    else:
        word_bounds = sorted(search_boundaries(words if words is not None else segment(text)))
    keywords = SpanKeywords(text, word_bounds)
    paragraphs, sentences = _structure(article)
    if not sentences:
        return []
    starts = [s.start for s in sentences]

    def sentence_of(offset: int) -> Optional[int]:
        i = bisect.bisect_right(starts, offset) - 1
        return i if i >= 0 and sentences[i].start <= offset < sentences[i].end else None

    units = _programme_units(article)
    # programme mentions per sentence: (offset, key)
    mentioned: dict[int, list[tuple[int, str]]] = {}
    for key, unit in units.items():
        for a, _ in _mentions(unit.programme, text):
            si = sentence_of(a)
            if si is not None:
                mentioned.setdefault(si, []).append((a, key))
                unit.mentions.append(a)
    for v in mentioned.values():
        v.sort()

    # owner of each sentence: the programme(s) it names, else the programme named last earlier
    # in its paragraph, else the paragraph's unnamed activity
    owner: dict[int, list[str]] = {}
    clusters: dict[int, _Unit] = {}
    for pi, para in enumerate(paragraphs):
        carried: Optional[str] = None
        for si in para.sentences:
            here = mentioned.get(si)
            if here:
                keys = list(dict.fromkeys(k for _, k in here))
                owner[si] = keys
                carried = here[-1][1]
            elif para.heading or para.title:
                continue
            elif carried is not None:
                owner[si] = [carried]
            else:
                unit = clusters.setdefault(pi, _Unit(key=f"¶{pi}", programme=None, paragraph=pi))
                owner[si] = [unit.key]

    all_units: dict[str, _Unit] = {**units, **{u.key: u for u in clusters.values()}}
    for si, keys in owner.items():
        for k in keys:
            all_units[k].sentences.add(si)

    def assign(offset: int) -> Optional[_Unit]:
        si = sentence_of(offset)
        if si is None or si not in owner:
            return None
        here = mentioned.get(si)
        if here:  # the programme named nearest before the figure, else the first after it
            before = [k for a, k in here if a <= offset]
            return all_units[before[-1] if before else here[0][1]]
        return all_units[owner[si][0]]

    # a figure written once is one indicator, even when an extractor listed it twice
    counts = {(c.start, c.end): c for c in sorted(article.counts, key=lambda c: (c.start, c.end), reverse=True)}
    for c in sorted(counts.values(), key=lambda c: (c.start, c.end)):
        u = assign(c.start)
        if u is not None:
            u.counts.append(c)
    outcomes = {(o.start, o.end, o.type): o for o in sorted(article.outcomes, key=lambda o: (o.start, o.end), reverse=True)}
    for o in sorted(outcomes.values(), key=lambda o: (o.start, o.end)):
        u = assign(o.start)
        if u is not None:
            u.outcomes.append(o)

    @functools.lru_cache(maxsize=None)
    def span_keywords(start: int, end: int) -> list[tuple[str, str]]:
        """Theme keywords of a span of the text (a sentence is evidence of several practices)."""
        return keywords.span(start, end)

    orgs = find_organisations(article)
    principal = _principal(orgs, article)
    org_sentences = {sentence_of(o.start) for o in orgs}
    built: list[tuple[tuple, Practice]] = []
    for unit in all_units.values():
        practice = _practice(unit, article, paragraphs, sentences, orgs, principal, sentence_of, org_sentences,
                             span_keywords)
        if practice is not None:
            first = practice.evidence[0].start if practice.evidence else 0
            built.append(((first, 0 if unit.programme else 1, unit.key), practice))
    built.sort(key=lambda x: x[0])
    out = []
    for n, (_, p) in enumerate(built, 1):
        p.id = f"{article.doc_id}-p{n:02d}"
        out.append(p)
    return out


def _principal(orgs: list[Organisation], article: Article) -> Optional[Organisation]:
    """The article's main federation: the acting one named most often, preferring those with a
    region (ties: the first named)."""
    acting = [o for o in orgs if o.acting]
    pool = [o for o in acting if o.region is not None] or acting
    if not pool:
        return None
    counts: dict[str, int] = {}
    for o in pool:
        counts[o.name] = counts.get(o.name, 0) + 1
    best = max(counts.values())
    return next(o for o in pool if counts[o.name] == best)


def _acting(candidates: list[Organisation], region: Optional[RegionRef]) -> Optional[Organisation]:
    """The acting federation among `candidates` (text order): one of `region` first, then one
    with a known region, then any acting one."""
    acting = [o for o in candidates if o.acting]
    if region is not None:
        same = next((o for o in acting if o.region is not None and o.region.name == region.name), None)
        if same is not None:
            return same
    return next((o for o in acting if o.region is not None), None) or (acting[0] if acting else None)


@functools.lru_cache(maxsize=4096)
def _name_keywords(name: str) -> list[tuple[str, str]]:
    """Theme keywords of a programme name, on its search-mode word boundaries (names recur
    across practices and documents: 三访四察五送, 妇女之家)."""
    from pipeline.segment import search_boundaries, segment
    return theme_keywords(name, search_boundaries(segment(name)))


def _practice(unit: _Unit, article: Article, paragraphs: list[_Paragraph], sentences: list[_Sentence],
              orgs: list[Organisation], principal: Optional[Organisation],
              sentence_of: Callable[[int], Optional[int]], org_sentences: set[int],
              span_keywords: Callable[[int, int], list]) -> Optional[Practice]:
    text = article.text
    if not unit.sentences:
        return None
    ordered = sorted(unit.sentences)
    # sentences holding a figure, found by bisection (not sentences x figures)
    with_figures = {sentences[i].start for i in
                    {sentence_of(x.start) for x in (*unit.counts, *unit.outcomes)} & set(ordered)}
    if unit.programme is None:
        # an unnamed activity: keep the sentences that report something done
        keep = [i for i in ordered if sentences[i].start in with_figures
                or _ACTION.search(text, sentences[i].start, sentences[i].end)
                or i in org_sentences]
        if not keep or not (unit.counts or unit.outcomes or any(_ACTION.search(text, sentences[i].start, sentences[i].end) for i in keep)):
            return None
        if sum(sentences[i].end - sentences[i].start for i in keep) < 15:
            return None
        ordered = keep
    if len(ordered) > MAX_EVIDENCE:
        mention_sents = {sentence_of(a) for a in unit.mentions}
        priority = [i for i in ordered if sentences[i].start in with_figures or i in mention_sents]
        chosen = set(priority)
        rest = [i for i in ordered if i not in chosen]
        ordered = sorted((priority + rest)[:MAX_EVIDENCE])
    evidence = [Evidence(text=text[sentences[i].start:sentences[i].end], start=sentences[i].start,
                         end=sentences[i].end) for i in ordered]
    lo, hi = evidence[0].start, evidence[-1].end
    evidence_starts = [e.start for e in evidence]  # sentences: in order, apart

    def in_evidence_at(x: int) -> bool:
        i = bisect.bisect_right(evidence_starts, x) - 1
        return i >= 0 and x < evidence[i].end

    kept_counts = [c for c in unit.counts if in_evidence_at(c.start)]
    kept_outcomes = [o for o in unit.outcomes if in_evidence_at(o.start)]

    # organisation: named in the evidence, else earlier in the first evidence paragraph, else
    # the article's principal one; region: the programme's, else the organisation's, else main
    prog = unit.programme
    prog_region = prog.region if prog is not None else None
    in_evidence = [o for o in orgs if in_evidence_at(o.start)]
    para = paragraphs[sentences[ordered[0]].paragraph]
    earlier = [o for o in orgs if para.start <= o.start < lo][::-1]
    org = _acting(in_evidence, prog_region) or _acting(earlier, prog_region) or principal
    if org is not None:
        organisation = org.name
    elif article.organisation and _ORG.search(article.organisation):
        organisation = article.organisation
    else:
        organisation = None
    region = prog_region or (org.region if org is not None else None) or article.main_region

    if prog is not None:
        first_mention = min((a for a in unit.mentions if lo <= a < hi), default=None)
        anchor_sentence = next((e for e in evidence if first_mention is not None and e.start <= first_mention < e.end), evidence[0])
        activity = activity_phrase(anchor_sentence.text,
                                   first_mention - anchor_sentence.start if first_mention is not None else None)
    else:
        anchor_sentence = next((e for e in evidence if _ACTION.search(e.text)), evidence[0])
        activity = activity_phrase(anchor_sentence.text)

    evidence_texts = [e.text for e in evidence]
    names = [prog.name, *prog.aliases] if prog is not None else []
    # the activity is cut from its sentence: its word boundaries are the article's
    at = anchor_sentence.text.find(activity) if activity else -1
    activity_keywords = span_keywords(anchor_sentence.start + at, anchor_sentence.start + at + len(activity)) \
        if at >= 0 else theme_keywords(activity or "")
    found = rank_themes([(_name_keywords(n), NAME_WEIGHT) for n in names]
                        + [(activity_keywords, ACTIVITY_WEIGHT)]
                        + [(span_keywords(e.start, e.end), 1) for e in evidence])
    if not found:  # fall back on the section heading the practice stands under
        heading = next((paragraphs[j] for j in range(sentences[ordered[0]].paragraph - 1, -1, -1)
                        if paragraphs[j].heading), None)
        if heading is not None:
            found = classify_themes(text[heading.start:heading.end])
    return Practice(
        id="", doc_id=article.doc_id, source=article.source, organisation=organisation, region=region,
        programme=prog.name if prog is not None else None, programme_key=unit.key if prog is not None else None,
        activity=activity, themes=found, indicators=kept_counts, outcomes=kept_outcomes,
        year=practice_year(evidence_texts, article), evidence=evidence)


__all__ = ["Organisation", "activity_phrase", "classify_themes", "rank_themes", "find_organisations", "link_practices",
           "practice_year", "programme_key", "taxonomy", "themes"]
