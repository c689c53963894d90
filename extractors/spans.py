"""Helpers shared by the extractors: spaCy spans over character offsets."""
from __future__ import annotations

from spacy.tokens import Doc, Span


def char_span(doc: Doc, start: int, end: int, label: str = "", kb_id: str = "") -> Span | None:
    """A span covering characters [start, end), widened to token boundaries (jieba may cut
    inside a name); None for an empty or out-of-range request."""
    if not (0 <= start < end <= len(doc.text)):
        return None
    return doc.char_span(start, end, label=label, kb_id=kb_id, alignment_mode="expand")


def set_spans(doc: Doc, key: str, offsets: list[tuple[int, int, str]]) -> None:
    """Store (start, end, label) offsets as doc.spans[key]."""
    spans = [s for s in (char_span(doc, a, b, label) for a, b, label in offsets) if s is not None]
    doc.spans[key] = spans
