"""Counts (placeholder until the count parser lands)."""
from spacy.language import Language
from spacy.tokens import Doc


@Language.component("fed_counts", requires=["doc._.sentences"], assigns=["doc._.counts", "doc.spans"])
def fed_counts(doc: Doc) -> Doc:
    doc._.counts = []
    return doc
