"""Outcomes (placeholder until the outcome extractor lands)."""
from spacy.language import Language
from spacy.tokens import Doc


@Language.component("fed_outcomes", requires=["doc._.counts"], assigns=["doc._.outcomes", "doc.spans"])
def fed_outcomes(doc: Doc) -> Doc:
    doc._.outcomes = []
    return doc
