"""fedreports: women's federation reports -> a searchable table of local practices.

Stages, one module each, data flowing one way:
read (`pipeline.readers`) -> clean (`pipeline.clean`) -> segment (`pipeline.segment`) ->
extract (`extractors`, assembled by `pipeline.nlp`) -> link (`pipeline.link`) ->
store (`pipeline.store`) -> query (`pipeline.query`).
"""
from __future__ import annotations

import functools
import hashlib
from importlib import resources

__version__ = "0.1.0"


@functools.lru_cache(maxsize=1)
def pipeline_version() -> str:
    """Version of the code plus a hash of every data file, so that editing a word list
    makes incremental runs re-process files."""
    h = hashlib.sha1(__version__.encode())
    for package in ("pipeline", "extractors"):
        root = resources.files(package)
        for sub in ("data",):
            folder = root.joinpath(sub)
            if not folder.is_dir():
                continue
            for item in sorted(folder.iterdir(), key=lambda p: p.name):
                if item.is_file():
                    h.update(item.name.encode())
                    h.update(item.read_bytes())
        for item in sorted(root.iterdir(), key=lambda p: p.name):
            if item.name.endswith(".py"):
                h.update(item.read_bytes())
    return f"{__version__}+{h.hexdigest()[:10]}"
