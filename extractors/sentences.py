"""Sentence boundaries for Chinese report text: 。！？!?；; and line breaks.

A closing quote right after the mark stays with its sentence ("……不容易。”").
"""
from __future__ import annotations

import bisect
import re

from spacy.language import Language
from spacy.tokens import Doc

from extractors.spans import doc_text

_STARTS = "fedreports.sentence_starts"
_END = re.compile(r"[。！？!?；;…]+[”’」』\"')）]*|\n+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the sentences of `text`, whitespace trimmed."""
    spans, start = [], 0
    for m in _END.finditer(text):
        end = m.end() if m.group(0)[0] != "\n" else m.start()
        _add(text, start, end, spans)
        start = m.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def sentence_at(doc: Doc, offset: int) -> tuple[int, int]:
    """(start, end) of the sentence holding character `offset` of `doc.text`."""
    sents = doc._.sentences or [(0, len(doc_text(doc)))]
    starts = doc.user_data.get(_STARTS)
    if starts is None or len(starts) != len(sents):  # built once per document
        starts = doc.user_data[_STARTS] = [s for s, _ in sents]
    i = max(0, bisect.bisect_right(starts, offset) - 1)
    return sents[i]


@Language.component("fed_sentences", assigns=["doc._.text", "doc._.sentences"])
def fed_sentences(doc: Doc) -> Doc:
    """Set doc._.sentences to the (start, end) offsets of each sentence (and doc._.text)."""
    doc._.sentences = split_sentences(doc_text(doc))
    return doc
