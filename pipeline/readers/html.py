"""HTML pages: main text and metadata with trafilatura, with fallbacks.

1. decode with the page's declared charset (meta charset / http-equiv), else detect;
2. trafilatura main-text extraction with metadata (title, date, site);
3. if it finds nothing: trafilatura's `baseline`, then a plain tag strip of <body>.
"""
from __future__ import annotations

import html as html_lib
import re

from pipeline.readers import RawText, ReadError
from pipeline.readers.txt import decode
from pipeline.settings import DEFAULT, Settings

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)
_TAG = re.compile(r"<[^>]*>")
_DROP = re.compile(r"<(script|style|noscript|nav|footer|header|iframe)\b.*?</\1\s*>", re.I | re.S)
_BLOCK = re.compile(r"</?(p|div|br|li|tr|h[1-6]|section|article|table|ul|ol)\b[^>]*>", re.I)


def declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    name = m.group(1).decode("ascii", "ignore").lower()
    # pages that say gb2312/gbk usually contain GB18030 characters as well
    return {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}.get(name, name)


def to_text(data: bytes) -> str:
    enc = declared_charset(data)
    if enc:
        try:
            return data.decode(enc, errors="replace")
        except LookupError:
            pass
    return decode(data)[0]


def nesting_depth(page: str, stop: int) -> int:
    """Rough maximum depth of open tags (stops counting at `stop`)."""
    depth = best = 0
    for m in re.finditer(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>", page):
        if m.group(1):
            depth = max(0, depth - 1)
        elif not m.group(3) and m.group(2).lower() not in {"br", "img", "meta", "link", "input", "hr"}:
            depth += 1
            best = max(best, depth)
            if best >= stop:
                return best
    return best


def strip_tags(page: str) -> str:
    body = re.search(r"<body\b[^>]*>(.*)(</body>|$)", page, re.I | re.S)
    page = body.group(1) if body else page
    page = _DROP.sub(" ", page)
    page = _BLOCK.sub("\n", page)
    text = html_lib.unescape(_TAG.sub("", page))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def read(data: bytes, settings: Settings = DEFAULT) -> RawText:
    page = to_text(data)
    cut = []
    if len(page) > settings.max_text_chars * 4:
        page = page[: settings.max_text_chars * 4]
        cut.append(f"page cut at {settings.max_text_chars * 4} characters (max_text_chars)")
    title = published = site = None
    text = ""
    if nesting_depth(page, settings.max_html_depth) >= settings.max_html_depth:
        cut.append(f"tags nested deeper than {settings.max_html_depth}; read by tag stripping")
    else:
        try:
            import trafilatura
            doc = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False,
                                              include_tables=True, favor_recall=True)
            if doc is not None:
                d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
                text = d.get("text") or ""
                title, published, site = d.get("title"), d.get("date"), d.get("sitename")
            if not text.strip():
                _, text, _ = trafilatura.baseline(page)
        except (RecursionError, ValueError, TypeError, AttributeError, MemoryError) as e:
            cut.append(f"trafilatura failed ({type(e).__name__}); read by tag stripping")
            text = ""
    if not text.strip():
        text = strip_tags(page)
    if not text.strip():
        raise ReadError("HTML page with no text in its body")
    return RawText(text=text, reader="html", title=title or None, published=published or None,
                   organisation=site or None, cut=cut, structured=True)
