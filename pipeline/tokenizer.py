"""The segment stage inside spaCy: the tokenizer `fedreports.JiebaTokenizer.v1` over
`pipeline.segment.segment` (registered on import; `pipeline.nlp` imports it)."""
from __future__ import annotations

import re

import pipeline.spacy_light  # noqa: F401  spaCy without its CLI (start-up); first
from spacy.tokens import Doc
from spacy.util import DummyTokenizer, registry

from pipeline.segment import segment

# a lone surrogate (text decoded with surrogateescape, passed to `analyse` by a caller; the
# readers never make one) cannot enter spaCy's string store: U+FFFD stands in, one for one,
# so that every offset holds
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

if not Doc.has_extension("words"):
    Doc.set_extension("words", default=None)


class JiebaTokenizer(DummyTokenizer):
    """spaCy tokenizer over `segment`; whitespace characters become their own tokens.
    Assigns `doc._.words`, the list of token strings."""

    def __init__(self, vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        if _LONE_SURROGATE.search(text):
            text = _LONE_SURROGATE.sub("\ufffd", text)
        words = [w for w in segment(text) if w]
        doc = Doc(self.vocab, words=words, spaces=[False] * len(words))
        doc._.words = words  # the words as strings: later stages need no Token objects for them
        if Doc.has_extension("text"):  # the extractors' cached copy (spaCy rebuilds doc.text per access)
            doc._.text = text
        return doc


@registry.tokenizers("fedreports.JiebaTokenizer.v1")
def create_tokenizer():
    def make(nlp):
        return JiebaTokenizer(nlp.vocab)
    return make
