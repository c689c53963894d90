"""PDF files: pdfplumber text, with page furniture removed and wrapped lines re-joined.

- Running headers and footers (the same first or last line on most pages, digits ignored)
  and page numbers ("- 3 -", "第5页 共5页", "3/12") are dropped.
- Chinese text wraps mid-word, so a line is joined to the next one unless it ends a
  paragraph: terminal punctuation on a short line, or a heading / indented line follows.
- Encrypted files and files with no text layer fail with a reason (no OCR).
"""
from __future__ import annotations

import io
import re
import time
from collections import Counter

from pipeline.readers import RawText, ReadError
from pipeline.settings import DEFAULT, Settings

PAGE_NUMBER = re.compile(r"^\s*(?:[-—–]\s*\d{1,4}\s*[-—–]|\d{1,4}\s*/\s*\d{1,4}|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页|page\s*\d+(?:\s*of\s*\d+)?|\d{1,4})\s*$", re.I)
TERMINAL = "。！？!?；;：:”」』）)"
HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]\s*\S|第[一二三四五六七八九十\d]+[章节条部分])")


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip())


def page_lines(pages: list[str]) -> list[list[str]]:
    """Split pages into lines and drop page numbers and repeated headers/footers."""
    split = [[l for l in p.splitlines() if l.strip()] for p in pages]
    if len(split) >= 3:
        firsts = Counter(_furniture_key(p[0]) for p in split if p)
        lasts = Counter(_furniture_key(p[-1]) for p in split if p)
        need = max(2, int(0.6 * len(split)))
        heads = {k for k, n in firsts.items() if n >= need}
        foots = {k for k, n in lasts.items() if n >= need}
        for p in split:
            if p and _furniture_key(p[0]) in heads:
                p.pop(0)
            if p and _furniture_key(p[-1]) in foots:
                p.pop()
    return [[l for l in p if not PAGE_NUMBER.match(l)] for p in split]


def join_lines(lines: list[str]) -> str:
    """Re-join lines wrapped inside a paragraph."""
    if not lines:
        return ""
    lengths = sorted(len(l.strip()) for l in lines if len(l.strip()) >= 8)
    typical = lengths[int(len(lengths) * 0.8)] if lengths else 30
    paras, cur = [], ""
    for i, line in enumerate(lines):
        stripped = line.strip()
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        cur += stripped if not cur or _cjk_boundary(cur, stripped) else " " + stripped
        ends = (stripped.endswith(tuple(TERMINAL)) and len(stripped) < 0.9 * typical) \
            or len(stripped) < 0.5 * typical and not stripped.endswith(("，", ",", "、")) \
            or bool(HEADING.match(nxt)) or nxt.startswith(("\u3000", "  ")) or HEADING.match(stripped) and len(stripped) < typical * 0.9
        if ends:
            paras.append(cur)
            cur = ""
    if cur:
        paras.append(cur)
    return "\n".join(paras)


def _cjk_boundary(left: str, right: str) -> bool:
    """True when the join needs no space (either side is Chinese or punctuation)."""
    a, b = left[-1], right[0]
    return not (a.isascii() and a.isalnum() and b.isascii() and b.isalnum())


def read(data: bytes, settings: Settings = DEFAULT) -> RawText:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect, PDFEncryptionError

    cut, pages, images = [], [], 0
    started = time.monotonic()
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            n = len(pdf.pages)
            for i, page in enumerate(pdf.pages):
                if i >= settings.max_pdf_pages:
                    cut.append(f"read {settings.max_pdf_pages} of {n} pages (max_pdf_pages)")
                    break
                if time.monotonic() - started > settings.read_timeout_s:
                    cut.append(f"read {i} of {n} pages in {settings.read_timeout_s:.0f} s (read_timeout_s)")
                    break
                pages.append(page.extract_text() or "")
                images += len(page.images)
                page.flush_cache() if hasattr(page, "flush_cache") else None
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise ReadError("encrypted PDF (password required)") from None
    except Exception as e:  # pdfminer raises many types for broken files
        # pdfplumber wraps pdfminer's errors: PdfminerException(PDFPasswordIncorrect())
        inner = [e, *[a for a in e.args if isinstance(a, BaseException)], e.__context__]
        names = " ".join(type(x).__name__ for x in inner if x is not None)
        if "Password" in names or "Encrypt" in names or "encrypt" in str(e).lower():
            raise ReadError("encrypted PDF (password required)") from None
        raise ReadError(f"corrupt or truncated PDF: {names}: {str(e)[:120]}") from None
    if not any(p.strip() for p in pages):
        if images or pages:
            raise ReadError("no text layer; OCR not supported")
        raise ReadError("PDF with no pages")
    # lines of all pages in one run, so a paragraph broken by a page break is re-joined
    text = join_lines([line for lines in page_lines(pages) for line in lines])
    return RawText(text=text, reader="pdf", cut=cut, structured=True)
