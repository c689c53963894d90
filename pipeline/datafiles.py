"""Reading the project's data files (word lists, vocabularies) from the installed packages."""
from __future__ import annotations

from importlib import resources

import yaml

# the C parser when PyYAML has it: the word lists are read at every start-up
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(package: str, name: str):
    """Parse `name` (e.g. "data/units.yaml") of an installed package."""
    return yaml.load(resources.files(package).joinpath(name).read_text(encoding="utf-8"), Loader=_LOADER)


USER_DICT = "data/userdict.txt"  # the federation words added to the segmenter's dictionary


def user_dictionary_text() -> str:
    """The federation user dictionary (read here, without the segmenter: the database build
    only hashes it, and must not pay for importing spaCy and jieba to do so)."""
    return resources.files("pipeline").joinpath(USER_DICT).read_text(encoding="utf-8")
