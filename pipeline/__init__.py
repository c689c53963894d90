"""fedreports: women's federation reports -> a searchable table of local practices.

Stages, one module each, data flowing one way:
read (`pipeline.readers`) -> clean (`pipeline.clean`) -> segment (`pipeline.segment`) ->
extract (`extractors`, assembled by `pipeline.nlp`) -> link (`pipeline.link`) ->
store (`pipeline.store`) -> query (`pipeline.query`).
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
from pathlib import Path

__version__ = "0.1.0"


@functools.lru_cache(maxsize=1)
def pipeline_version() -> str:
    """Version of the code plus a hash of every data file, so that editing a word list
    makes incremental runs re-process files."""
    h = hashlib.sha1(__version__.encode())
    for package in ("pipeline", "extractors", "schemas"):
        # found without importing it (importing extractors loads spaCy: a second per run)
        root = Path(importlib.util.find_spec(package).submodule_search_locations[0])
        for item in [*sorted(root.rglob("*.py")), *sorted(p for p in (root / "data").glob("*") if p.is_file())]:
            h.update(str(item.relative_to(root)).encode())
            h.update(item.read_bytes())
    # the segmenter in use (pipeline.segment takes jieba-next when it is installed, else jieba)
    for dist in ("jieba-next", "jieba"):
        try:
            h.update(f"{dist}={importlib.metadata.version(dist)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{dist}=none".encode())
    return f"{__version__}+{h.hexdigest()[:10]}"
