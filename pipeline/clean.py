"""Clean stage: raw text of one file -> cleaned articles.

Steps, in order:
1. repair characters: NFKC (full-width punctuation and spaces), zero-width and NUL
   characters, damaged quote marks (〝〞), pinyin insertions ("聯(lián)" -> "聯");
2. traditional -> simplified with OpenCC, line by line and length-preserving, so the
   printed form of any span stays recoverable (`CleanArticle.printed`);
3. split pages holding several articles (a byline or a date line under a title starts one);
4. per article: read the header (title, date, source organisation), drop boilerplate
   lines (`data/boilerplate.yaml`), cut "related articles" lists and teaser blocks, drop
   credit lines, re-join paragraphs broken by page or column breaks;
5. flag garbled runs (mojibake, private-use characters) without guessing them;
6. mark whether the article is about federation work (`data/federation_terms.yaml`).
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Optional


from pipeline.datafiles import load_yaml
from pipeline.readers import RawText
from pipeline.readers.txt import common_chars

TERMINAL = "。！？!?；;…”’\"」』)）"
PINYIN_MARKS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# "聯(lián)": a pinyin syllable in brackets after a character; with a tone mark it may follow
# any character (mojibake before it), without one only a Chinese character. The bracket comes
# first and the character before it is a lookbehind after it, so that the pattern opens with a
# literal and is found by a fast scan (led by the lookbehinds, it was tried at every character:
# 0.10 ms per document, now 0.02)
PINYIN = re.compile(rf"\((?:(?<=\S\()(?=[a-zü]*[{TONES}])|(?<=[\u3400-\u9fff]\())[{PINYIN_MARKS}]{{1,6}}\)")
# "鎮(zhèn)" damaged into "?zhèn)": the character and the bracket are lost
DAMAGED_PINYIN = re.compile(rf"\?[{PINYIN_MARKS}]{{1,6}}\)")
ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\ud800-\udfff]")  # and lone surrogates
SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f]+")
INLINE_PAGE_MARK = re.compile(r"\s*第\s*\d+\s*页\s*共\s*\d+\s*页\s*$")
DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
DATE_DMY = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})(?!\d)")
DATE_LINE = re.compile(r"^[\s【\[]*((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}\.\d{1,2}\.(?:19|20)\d{2})\s*(\d{1,2}:\d{2}(:\d{2})?)?[\s|丨】\]]*$")
SOURCE = re.compile(r"(?:信息)?来源\s*[:：]\s*([^【】\[\]\s|]{2,40})")
HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.]|[(（][一二三四五六七八九十\d]+[)）]|\d+[、.]\s*\S|第[一二三四五六七八九十\d]+[章节条部分])")
ORG_LINE = re.compile(r"^\S{2,20}(妇女联合会|妇联|委员会|人民政府|政府)$")
SUSPICIOUS = re.compile(r"[\ue000-\uf8ff\ufffd]")


@dataclass
class CleanArticle:
    text: str
    printed: Optional[str]
    title: Optional[str] = None
    published: Optional[str] = None
    organisation: Optional[str] = None
    relevant: bool = True
    flags: list[str] = field(default_factory=list)


@dataclass
class Line:
    """One line in simplified form (`s`) and as printed (`p`), same length."""

    s: str
    p: str

    def cut(self, start: int, end: int) -> "Line":
        return Line(self.s[start:end], self.p[start:end])

    def __add__(self, other: "Line") -> "Line":
        return Line(self.s + other.s, self.p + other.p)


class AnyOf:
    """Does any of a list of patterns occur in a line? The patterns anchored at the start of
    the line are tried together, as one pattern at offset 0; each of the others scans the line
    on its own (a pattern opening with a literal is found by a fast scan, an alternation of
    them would be tried at every character)."""

    def __init__(self, patterns: list[str], flags: int = 0):
        from re import _constants as sre_constants, _parser as sre_parse
        anchored, self.others = [], []
        for p in patterns:
            compiled = re.compile(p, flags)  # each on its own first: a broken one is named by its error
            head = sre_parse.parse(p, flags).data[:1]
            if head == [(sre_constants.AT, sre_constants.AT_BEGINNING)]:  # ^ before everything, no top-level |
                anchored.append(p)
            else:
                self.others.append(compiled)
        self.anchored = re.compile("|".join(f"(?:{p})" for p in anchored), flags) if anchored else None

    def search(self, line: str) -> bool:
        return bool(self.anchored is not None and self.anchored.match(line)) or any(p.search(line) for p in self.others)


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict:
    data = load_yaml("pipeline", "data/boilerplate.yaml")
    flags = re.I
    return {
        "drop": AnyOf(data["drop_line"], flags),
        "related": AnyOf(data["related_list"], flags),
        "credit": AnyOf(data["credit_line"], flags),
        "start": AnyOf(data["article_start"], flags),
        "trailing_credit": re.compile(data["trailing_credit"]),
        "leading_credit": re.compile(data["leading_credit"]),
        "caption_credit": re.compile(data["trailing_caption_credit"]),
        "spam": [w.lower() for w in data["spam_words"]],
    }


@functools.lru_cache(maxsize=1)
def federation_terms() -> dict:
    return load_yaml("pipeline", "data/federation_terms.yaml")


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc
    return opencc.OpenCC("t2s").convert


def to_simplified(line: str) -> str:
    """Traditional -> simplified, keeping the length (falls back to character by character)."""
    if line.isascii():
        return line
    convert = _t2s()
    out = convert(line)
    if len(out) != len(line):
        out = "".join(c if len(d := convert(c)) != 1 else d for c in line)
    return out


def repair(text: str) -> str:
    """Character-level repairs before anything else looks at the text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = ZERO_WIDTH.sub("", text)
    text = _nfkc(text)
    text = text.replace("〝", "“").replace("〞", "”")
    text = PINYIN.sub("", text)
    text = DAMAGED_PINYIN.sub("?", text)
    return text


def _nfkc(text: str) -> str:
    """NFKC of `text`, normalising only the lines that are not already in NFKC (NFKC never
    maps across a line break): most lines are, and telling so is ~10x faster than normalising
    them (the texts of the sample and dev sets: 0.22 ms -> 0.03 ms per document)."""
    is_nfkc, normalize = unicodedata.is_normalized, unicodedata.normalize
    if is_nfkc("NFKC", text):
        return text
    return "\n".join(line if is_nfkc("NFKC", line) else normalize("NFKC", line) for line in text.split("\n"))


def _split_long(line: str, limit: int) -> list[str]:
    if len(line) <= limit:
        return [line]
    parts = re.split(r"(?<=[。！？!?；;])", line)
    out, cur = [], ""
    for p in parts:
        if len(cur) + len(p) > limit and cur:
            out.append(cur)
            cur = ""
        while len(p) > limit:  # no sentence mark at all: hard cut
            out.append(p[:limit])
            p = p[limit:]
        cur += p
    if cur:
        out.append(cur)
    return out


def to_lines(text: str, max_line_chars: int = 20_000) -> list[Line]:
    lines = []
    for raw in text.split("\n"):
        for piece in _split_long(raw, max_line_chars):
            printed = SPACES.sub(" ", piece).strip()
            if printed:
                lines.append(Line(to_simplified(printed), printed))
    return lines


# ---------------------------------------------------------------- line classes

def is_body(line: str) -> bool:
    """A paragraph of running text (not a title, nav item or meta line)."""
    return len(line) >= 30 and bool(re.search(r"[，,。；;]", line))


def is_spam(line: str) -> bool:
    low = line.lower()
    return sum(w in low for w in vocabulary()["spam"]) >= 2


def is_drop(line: str) -> bool:
    return vocabulary()["drop"].search(line) or is_spam(line)


def is_credit(line: str) -> bool:
    return len(line) <= 40 and vocabulary()["credit"].search(line)


def is_article_start(line: str) -> bool:
    return len(line) <= 40 and vocabulary()["start"].search(line)


def is_related(line: str) -> bool:
    return vocabulary()["related"].search(line)


def is_title_like(line: str) -> bool:
    return 4 <= len(line) <= 60 and not line.endswith(("。", "，", ",", "；", ";", ":", "：")) and not is_drop(line)


def find_date(line: str) -> Optional[str]:
    m = DATE.search(line)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = DATE_DMY.search(line)
        if not m:
            return None
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if 1990 <= y <= 2035 and 1 <= mo <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def is_keyword_line(line: str) -> bool:
    """An SEO keyword line: "2023 构建 和谐 妇联 组织 思考"."""
    words = line.split(" ")
    return len(words) >= 4 and all(1 <= len(w) <= 4 for w in words) and not re.search(r"[，,。；;:：]", line)


def title_hint(line: str) -> Optional[str]:
    """Text a download page prints the title in: a file-name line or a keyword line."""
    m = re.match(r"^(.+)\.(docx?|pdf|pptx?|wps|txt)$", line, re.I)
    if m:
        return m.group(1)
    if is_keyword_line(line):
        return line.replace(" ", "")
    return None


def is_meta(line: str) -> bool:
    """A date/source line of the page header."""
    return bool(DATE_LINE.match(line)) or (find_date(line) is not None and is_drop(line) and len(line) < 120)


# ---------------------------------------------------------------- splitting

def split_articles(lines: list[Line]) -> list[list[Line]]:
    """Split a page into articles at bylines / date lines that follow body text."""
    starts = [0]
    seen_body = False
    for i, line in enumerate(lines):
        s = line.s
        if is_body(s):
            seen_body = True
            continue
        if seen_body and (is_article_start(s) or is_meta(s)):
            # the new article starts at the short title lines right above
            j, k = i, i
            while k - 1 > starts[-1] and i - (k - 1) <= 4:
                prev = lines[k - 1].s
                if is_drop(prev):
                    k -= 1
                    continue
                if not is_title_like(prev) or prev.endswith(tuple(TERMINAL)):
                    break
                k -= 1
                j = k
            if j < i:  # a title above: a real article boundary
                starts.append(j)
                seen_body = False
    return [lines[a:b] for a, b in zip(starts, starts[1:] + [len(lines)])]


# ---------------------------------------------------------------- one article

def _dedupe_key(s: str) -> str:
    s = re.sub(r"^\[([^\]]+)\]\1$", r"\1", s.strip())
    return re.sub(r"[\s\W_]+", "", s)


def read_header(lines: list[Line]) -> tuple[list[Line], Optional[Line], Optional[str], Optional[str]]:
    """Take title, date and source organisation from the lines before the first body paragraph.

    Returns (remaining lines, title line, published, organisation)."""
    first_body = next((i for i, l in enumerate(lines) if is_body(l.s) and not is_drop(l.s)), len(lines))
    header, rest = lines[:first_body], lines[first_body:]
    hints = [h for h in (title_hint(l.s) for l in header) if h]
    header = [l for l in header if not is_keyword_line(l.s)]
    first_body = len(header)
    published = organisation = None
    title_idx = None
    anchor = None
    for i, line in enumerate(header):
        s = line.s
        if published is None and (is_meta(s) or (is_drop(s) and find_date(s))):
            published = find_date(s)
        m = SOURCE.search(s)
        if m and organisation is None:
            organisation = m.group(1).strip("】]")
        if anchor is None and (is_meta(s) or is_article_start(s) or is_credit(s)):
            anchor = i
    if anchor is not None:
        for j in range(anchor - 1, -1, -1):
            s = header[j].s
            if is_title_like(s) and not is_meta(s) and not is_credit(s):
                title_idx = j
                break
    if title_idx is None:
        # first surviving short line when the body follows
        for j, line in enumerate(header):
            s = line.s
            if is_drop(s) or is_credit(s) or is_meta(s) or not is_title_like(s):
                continue
            if ORG_LINE.match(s):
                organisation = organisation or s
                continue
            if re.fullmatch(r"\S{1,8}(网|频道)", s):
                continue
            title_idx = j
    title = header[title_idx] if title_idx is not None else None
    if title is not None:
        m = re.match(r"^\[([^\]]+)\]\1$", title.s)
        if m:
            n = len(m.group(1)) + 2
            title = title.cut(n, len(title.s))
    kept = []
    if title is not None:
        key = _dedupe_key(title.s)
        for j, line in enumerate(header):
            s = line.s
            if j < (title_idx or 0):
                continue  # site names and nav above the title
            if j == title_idx or _dedupe_key(s) == key or is_meta(s) or is_credit(s) or is_drop(s):
                continue
            kept.append(line)
        # body lines that only repeat the title (SEO pages print it three times)
        rest = [l for l in rest if _dedupe_key(l.s) != key]
        while kept and _dedupe_key(kept[0].s) == key:
            kept.pop(0)
    else:
        kept = [l for l in header if not (is_meta(l.s) or is_credit(l.s) or is_drop(l.s))]
    body = kept + rest
    if title is None and body:
        # download sites print the title at the head of the first paragraph: "构建和谐妇联组织思考 近年来,…"
        m = re.match(r"^([^\s，,。；;:：()]{4,30}) (?=\S.{60,})", body[0].s)
        if m and any(m.group(1) in h for h in hints):
            n = m.end()
            title, body[0] = body[0].cut(0, m.end(1)), body[0].cut(n, len(body[0].s))
    return body, title, published, organisation


def strip_credits(lines: list[Line]) -> tuple[list[Line], Optional[str]]:
    """Drop credit lines and credits at the head or tail of paragraphs; return the org credited."""
    v = vocabulary()
    out, org = [], None
    for i, line in enumerate(lines):
        if is_credit(line.s) or is_drop(line.s):
            continue
        m = v["leading_credit"].match(line.s) if i < 3 else None
        if m and m.end() < len(line.s) and re.search(r"(网讯|报讯|台讯)", m.group(0)):
            line = line.cut(m.end(), len(line.s))
        m = v["trailing_credit"].search(line.s)
        if m and len(line.s) - m.start() < 40:
            inner = m.group(1)
            if re.search(r"(妇联|妇女联合会|妇委会)$", inner):
                org = org or inner
            line = line.cut(0, m.start())
        m = v["caption_credit"].search(line.s)
        if m and len(line.s) < 80:
            line = line.cut(0, m.start())
        m = INLINE_PAGE_MARK.search(line.s)
        if m:
            line = line.cut(0, m.start())
        if line.s.strip():
            out.append(line)
    return out, org


def cut_related(lines: list[Line]) -> tuple[list[Line], int]:
    """Cut at a "猜你喜欢"-style list header, and teaser blocks at the tail.

    Returns (lines kept, number of lines cut)."""
    for i, line in enumerate(lines):
        if is_related(line.s):
            return lines[:i], len(lines) - i
    # teaser blocks: ≥2 lines ending in the same site name ("…,中国山东网"), each under a title
    tail_sites = {}
    for i, line in enumerate(lines):
        m = re.search(r"(?:^|[,，.。\d\s])([\u4e00-\u9fff]{2,6}网)$", line.s)
        if m and not line.s.endswith("。"):
            tail_sites.setdefault(m.group(1), []).append(i)
    for site, idx in tail_sites.items():
        if len(idx) >= 2:
            first = idx[0]
            start = first - 1 if first > 0 and is_title_like(lines[first - 1].s) else first
            return lines[:start], len(lines) - start
    return lines, 0


def rejoin(lines: list[Line]) -> list[Line]:
    """Re-join paragraphs broken by page or column breaks ("加强与媒体沟通联" / "系，先后…").

    A photo caption printed between the two halves stays, as its own line, after the
    re-joined paragraph."""
    out: list[Line] = []
    i = 0
    while i < len(lines):
        cur, captions = lines[i], []
        i += 1
        while i < len(lines):
            nxt = lines[i]
            after = lines[i + 1] if i + 1 < len(lines) else None
            if _is_caption(nxt.s) and after is not None and _broken(cur.s, after.s):
                captions.append(nxt)
                cur, i = cur + after, i + 2
            elif _broken(cur.s, nxt.s):
                cur, i = cur + nxt, i + 1
            else:
                break
        out.append(cur)
        out.extend(captions)
    return out


def _is_caption(s: str) -> bool:
    return 8 <= len(s) <= 40 and s.endswith("。") and s.count("。") == 1 and "," not in s


def _broken(s: str, nxt: str) -> bool:
    """Does paragraph `s` stop mid-sentence and continue in `nxt`?"""
    if not s or not nxt or s.endswith(tuple(TERMINAL + ":：")) or HEADING.match(nxt):
        return False
    if s.endswith(("、", "，", ",")) and len(s) >= 8:
        return True
    if s[-1].isdigit() and re.match(r"[余多万亿千百]", nxt):  # "100000" / "余人次"
        return True
    if not ("\u4e00" <= s[-1] <= "\u9fff" and "\u4e00" <= nxt[0] <= "\u9fff"):
        return False
    if len(s) >= 40:
        return True
    # a shorter fragment: only when the break splits a word ("5个产" / "业组")
    from pipeline.segment import is_word
    return len(s) >= 10 and bool(re.search(r"[，,]", s)) and any(
        is_word(s[-a:] + nxt[:b]) for a in (1, 2) for b in (1, 2))


WEIRD = re.compile(r"[\ue000-\uf8ff\ufffd?\u0370-\u03ff℃¤§]")


def _odd(c: str, common: frozenset) -> bool:
    return bool(WEIRD.match(c)) or ("\u4e00" <= c <= "\u9fff" and c not in common)


def garbled_runs(text: str) -> list[tuple[int, int]]:
    """Offsets of runs that look like mojibake: private-use or replacement characters, or
    three or more uncommon characters mixed with symbols ('?', Greek, ℃).

    Only the neighbourhood of a symbol is inspected, so clean text costs one regex scan."""
    common = common_chars()
    runs: list[tuple[int, int]] = []
    for m in WEIRD.finditer(text):
        i = m.start()
        if runs and i < runs[-1][1]:
            continue
        a = i
        while a > 0 and _odd(text[a - 1], common):
            a -= 1
        b = i + 1
        while b < len(text) and _odd(text[b], common):
            b += 1
        run = text[a:b]
        weird = sum(1 for c in run if WEIRD.match(c))
        if SUSPICIOUS.search(run) or (len(run) >= 3 and len(run) - weird >= 1):
            runs.append((a, b))
    return runs


def is_relevant(text: str) -> bool:
    terms = federation_terms()
    if any(t in text for t in terms["core"]):
        return True
    return sum(text.count(t) for t in terms["support"]) >= terms["threshold"]


def clean_article(lines: list[Line]) -> Optional[CleanArticle]:
    body, title, published, organisation = read_header(lines)
    body, cut = cut_related(body)
    body, credited = strip_credits(body)
    body = rejoin(body)
    if title is not None:
        body = [title] + body
    if not body:
        return None
    text = "\n".join(l.s for l in body)
    printed = "\n".join(l.p for l in body)
    flags = []
    runs = garbled_runs(text)
    if runs:
        shown = ", ".join(repr(printed[a:b]) for a, b in runs[:3])
        flags.append(f"garbled: {len(runs)} run(s) flagged, not repaired, e.g. {shown}")
    if cut:
        flags.append(f"related-articles list cut ({cut} lines)")
    return CleanArticle(
        text=text,
        printed=printed if printed != text else None,
        title=title.s if title is not None else None,
        published=published,
        organisation=organisation or credited,
        relevant=is_relevant(text),
        flags=flags,
    )


def clean(raw: RawText, max_line_chars: int = 20_000) -> list[CleanArticle]:
    """Clean one file's raw text into its articles (at least one unless nothing is left)."""
    lines = to_lines(repair(raw.text), max_line_chars)
    articles = []
    for chunk in split_articles(lines):
        art = clean_article(chunk)
        if art is None:
            continue
        if len(articles) == 0:
            art.title = art.title or (to_simplified(raw.title) if raw.title else None)
            art.published = art.published or raw.published
            art.organisation = art.organisation or raw.organisation
        articles.append(art)
    return articles
