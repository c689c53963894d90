"""Places (placeholder until the gazetteer-based extractor lands)."""
from spacy.language import Language
from spacy.tokens import Doc


@Language.component("fed_places", requires=["doc._.sentences"], assigns=["doc._.places", "doc.spans"])
def fed_places(doc: Doc) -> Doc:
    doc._.places = []
    return doc


@Language.component("fed_main_region", requires=["doc._.places"], assigns=["doc._.main_region"])
def fed_main_region(doc: Doc) -> Doc:
    doc._.main_region = None
    return doc
