"""The spaCy `Language` for federation reports: jieba segmentation plus the extractors.

    >>> from pipeline.nlp import load
    >>> nlp = load()
    >>> doc = nlp("永善县妇联帮助481名妇女争取创业贷款5666万元。")
    >>> [(c.value, c.unit) for c in doc._.counts]
    [(481.0, '名'), (56660000.0, '元')]

Nothing is downloaded: the tokenizer and every component take their data from installed
packages and from files of this project.
"""
from __future__ import annotations

import functools
from typing import Optional

import pipeline.spacy_light  # noqa: F401  spaCy without its CLI (start-up); first
import spacy
from spacy.language import Language
from spacy.tokens import Doc

import extractors
import pipeline.tokenizer  # noqa: F401  registers the tokenizer

CONFIG = {"nlp": {"tokenizer": {"@tokenizers": "fedreports.JiebaTokenizer.v1"}}}


def build(components: Optional[list[str]] = None) -> Language:
    """A new pipeline with the given components (default: all, in order)."""
    nlp = spacy.blank("zh", config=CONFIG)
    # texts are bounded by Settings.max_text_chars (2M by default), not by spaCy's 1M guard,
    # which protects parsers that need memory per token; ours are linear
    nlp.max_length = 50_000_000
    for name in components or extractors.COMPONENTS:
        nlp.add_pipe(name)
    return nlp


@functools.lru_cache(maxsize=1)
def load() -> Language:
    """The process-wide default pipeline (built once)."""
    return build()


def analyse(text: str, title: Optional[str] = None, published: Optional[str] = None,
            organisation: Optional[str] = None, nlp: Optional[Language] = None) -> Doc:
    """Run the pipeline on an article's text with its metadata."""
    nlp = nlp or load()
    doc = nlp.make_doc(text)
    doc._.title, doc._.published, doc._.organisation = title, published, organisation
    return nlp(doc)
