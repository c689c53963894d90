"""Helpers shared by the extractors: the document text and spaCy spans over character offsets.

spaCy's `Doc.text` is rebuilt from the tokens on every access (a Token object per word),
so reading it per span or per match makes a component quadratic. `doc_text(doc)` reads it
once per document and keeps it in `doc._.text` (set by `fed_sentences`, the first component).
"""
from __future__ import annotations

import bisect

from spacy.attrs import IDX
from spacy.tokens import Doc, Span


def doc_text(doc: Doc) -> str:
    """The text of `doc`, computed once and kept in doc._.text."""
    text = doc._.text
    if text is None:
        text = doc.text
        doc._.text = text
    return text


def token_starts(doc: Doc) -> list[int]:
    """Character offsets where the tokens of `doc` start, read once per document (every
    extractor maps offsets to tokens; the tokens of a Doc do not change after the tokenizer)."""
    starts = doc.user_data.get("fedreports.token_starts")
    if starts is None or len(starts) != len(doc):
        starts = doc.to_array(IDX).tolist() if len(doc) else []
        doc.user_data["fedreports.token_starts"] = starts
    return starts


def set_spans(doc: Doc, key: str, offsets: list[tuple[int, int, str]]) -> None:
    """Store (start, end, label) offsets as doc.spans[key], each widened to the tokens it
    touches (jieba may cut inside a name), as spaCy's `char_span(alignment_mode="expand")`
    would; the tokens are found by bisection over their starts (the tokenizer's tokens cover
    the text without gaps). Empty or out-of-range offsets are left out."""
    n = len(doc_text(doc))
    starts = token_starts(doc)
    spans = []
    for a, b, label in offsets:
        if 0 <= a < b <= n:
            spans.append(Span(doc, bisect.bisect_right(starts, a) - 1, bisect.bisect_left(starts, b), label=label))
    doc.spans[key] = spans
