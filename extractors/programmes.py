"""Programmes (placeholder until the programme extractor lands)."""
from spacy.language import Language
from spacy.tokens import Doc


@Language.component("fed_programmes", requires=["doc._.places", "doc._.main_region"], assigns=["doc._.programmes", "doc.spans"])
def fed_programmes(doc: Doc) -> Doc:
    doc._.programmes = []
    return doc
