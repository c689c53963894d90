"""Extract stage: spaCy pipeline components for federation reports.

Importing this package registers the `Doc._` extensions and the components:

| component          | requires                 | assigns                                   |
|--------------------|--------------------------|-------------------------------------------|
| fed_sentences      | -                        | doc._.text, doc._.sentences               |
| fed_places         | doc._.sentences          | doc._.places, doc.spans["places"]         |
| fed_main_region    | doc._.places             | doc._.main_region                         |
| fed_counts         | doc._.sentences          | doc._.counts, doc.spans["counts"]         |
| fed_programmes     | doc._.places, main_region| doc._.programmes, doc.spans["programmes"] |
| fed_outcomes       | doc._.counts             | doc._.outcomes, doc.spans["outcomes"]     |

Values are `schemas` models; offsets are character offsets into `doc.text`. Components read
the text with `extractors.spans.doc_text(doc)`, which keeps it in `doc._.text`: spaCy's
`doc.text` is rebuilt from the tokens on every access.
Inputs besides the text: `doc._.title`, `doc._.published` (ISO date or None) and
`doc._.organisation` (source organisation), set by the caller before the components run.
"""
import pipeline.spacy_light  # noqa: F401  spaCy without its CLI (start-up); first
from spacy.tokens import Doc

for _name in ("text", "title", "published", "organisation", "sentences", "places", "main_region",
              "counts", "programmes", "outcomes"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)

from extractors import sentences, places, counts, programmes, outcomes  # noqa: E402,F401  register components

COMPONENTS = ["fed_sentences", "fed_places", "fed_main_region", "fed_counts", "fed_programmes", "fed_outcomes"]
