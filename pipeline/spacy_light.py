"""Import spaCy without its command-line interface.

`import spacy` runs `from .cli.info import info`, which imports every `spacy` command
(typer, weasel, jinja2, requests, and a YAML read of the training defaults): 0.5-0.6 s of a
pipeline start-up of 2 s, for code the pipeline never runs. Importing this module imports
spaCy with `spacy.cli` stood in for during that one import, then removes the stand-in: the
first `import spacy.cli` afterwards (by anyone) is the real, complete import, and
`spacy.info()` imports it on its first call. Nothing else of spaCy changes.

If spaCy was imported before (by the user's own code), this does nothing. If the stand-in
does not fit the installed spaCy (a later release imports more of its CLI at start), spaCy
is imported again the ordinary way. Modules that import spaCy import this module first.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

_STUBS = ("spacy.cli", "spacy.cli.info")


def _info(*args, **kwargs):
    """`spacy.info`: the real one, imported on the first call."""
    from spacy.cli.info import info
    return info(*args, **kwargs)


def _import() -> types.ModuleType:
    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        import spacy  # not installed: the ordinary ImportError
        return spacy
    cli = types.ModuleType("spacy.cli")
    cli.__path__ = [f"{path}/cli" for path in spec.submodule_search_locations]  # its own submodules stay real
    info = types.ModuleType("spacy.cli.info")
    info.info = _info
    sys.modules.update({"spacy.cli": cli, "spacy.cli.info": info})
    try:
        import spacy
    except Exception:  # noqa: BLE001 - a spaCy this does not fit: import it the ordinary way
        for name in [n for n in sys.modules if n == "spacy" or n.startswith("spacy.")]:
            del sys.modules[name]
        import spacy
        return spacy
    finally:
        for name in _STUBS:
            if sys.modules.get(name) in (cli, info):
                del sys.modules[name]
    if getattr(spacy, "cli", None) is cli:
        del spacy.cli  # the next `import spacy.cli` sets the real one
    return spacy


spacy = _import()
