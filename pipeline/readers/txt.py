"""Plain text in any Chinese encoding: UTF-8 (with or without BOM), UTF-16, GB18030/GBK, Big5.

charset-normalizer ranks the candidates; for short files, where its statistics are weak,
the choice between GB18030 and Big5 is settled by how many decoded characters are common
Chinese characters (`pipeline/data/common_chars.txt`).
"""
from __future__ import annotations

import codecs
import functools
import re
from importlib import resources

from charset_normalizer import from_bytes

from pipeline.readers import RawText, ReadError
from pipeline.settings import DEFAULT, Settings

CANDIDATES = ["utf_8", "gb18030", "big5", "utf_16", "utf_16_le", "utf_16_be"]
_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]


@functools.lru_cache(maxsize=1)
def common_chars() -> frozenset[str]:
    text = resources.files("pipeline").joinpath("data/common_chars.txt").read_text(encoding="utf-8")
    return frozenset("".join(line for line in text.splitlines() if not line.startswith("#")))


def chinese_score(text: str) -> float:
    """How much `text` looks like Chinese prose: the share of its visible characters that
    are common Chinese characters, ASCII or CJK punctuation."""
    common = common_chars()
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return 0.0
    good = sum(1 for c in visible if c in common or (c.isascii() and c.isprintable()) or "\u3000" <= c <= "\u303f"
               or "\uff00" <= c <= "\uffef" or c in "“”‘’…—·")
    return good / len(visible)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL in every other byte of ASCII text."""
    sample = data[:4000]
    if len(sample) < 4 or len(sample) % 2:
        sample = sample[: len(sample) - len(sample) % 2]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2 or 1
    if odd / half > 0.2 and even / half < 0.05:
        return "utf-16-le"
    if even / half > 0.2 and odd / half < 0.05:
        return "utf-16-be"
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name). Raises ReadError for binary content."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc
    enc16 = _utf16_without_bom(data)
    if enc16:
        return data.decode(enc16, errors="replace"), enc16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        # a file cut inside a character, or a few bad bytes in long UTF-8 text
        if e.start >= len(data) - 3 or _mostly_utf8(data):
            return data.decode("utf-8", errors="replace"), "utf-8"
    strict = {}
    for enc in ("gb18030", "big5", "utf-16-le", "utf-16-be"):
        if enc.startswith("utf-16") and len(data) % 2:
            continue
        try:
            strict[enc] = data.decode(enc)
        except UnicodeDecodeError:
            pass
    if strict:
        # ties go to the earlier (more frequent) encoding
        scores = {e: chinese_score(t[:20000]) for e, t in strict.items()}
        enc = max(strict, key=lambda e: (scores[e], -list(strict).index(e)))
        if scores[enc] >= 0.6:
            return strict[enc], enc
    best = from_bytes(data, cp_isolation=CANDIDATES).best()
    if best is None:
        raise ReadError("binary content: no Chinese text encoding fits")
    return str(best), best.encoding


def _mostly_utf8(data: bytes) -> bool:
    """Long UTF-8 text with a few damaged bytes (not a short text in another encoding)."""
    if len(data) < 2000:
        return False
    text = data.decode("utf-8", errors="replace")
    return text.count("\ufffd") <= len(text) // 1000


def read(data: bytes, settings: Settings = DEFAULT) -> RawText:
    text, encoding = decode(data)
    if _is_binary(text):
        raise ReadError("binary content (not text)")
    cut = []
    if "\x00" in text:
        text = text.replace("\x00", "")
        cut.append("NUL bytes removed")
    if "\ufffd" in text:
        cut.append(f"{text.count(chr(0xFFFD))} undecodable bytes in {encoding} text")
    return RawText(text=text, reader="txt", cut=cut)


# control characters other than tab, newline, form feed, CR and NUL; U+FFFD; the private use area
_BAD = re.compile("[\x01-\x08\x0b\x0e-\x1f\ufffd\ue000-\uf8ff]")


def _is_binary(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return False
    bad = len(_BAD.findall(sample))
    return bad / len(sample) > 0.1
