"""pipeline.spacy_light: spaCy imported without its command-line interface, nothing else changed."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import ROOT


def _python(code: str, **env) -> str:
    import os
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, **env}, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_the_pipeline_loads_without_spacy_cli_and_spacy_cli_still_works():
    out = _python("""
        import sys
        from pipeline import nlp
        doc = nlp.load()("永善县妇联帮助481名妇女。")
        print(len(doc._.counts), any(m == "spacy.cli" or m.startswith("spacy.cli.") for m in sys.modules),
              "weasel" in sys.modules)
        import spacy
        info = spacy.info(silent=True)   # the real one, imported on first use
        print(info["spacy_version"] == spacy.__version__)
        import spacy.cli
        print(callable(spacy.cli.download), spacy.cli.info.__module__)
    """)
    assert out.splitlines() == ["1 False False", "True", "True spacy.cli.info"]


def test_a_spacy_the_stand_in_does_not_fit_is_imported_the_ordinary_way(tmp_path):
    """A (made-up) spaCy whose package imports another name of its CLI at start."""
    pkg = tmp_path / "spacy"
    (pkg / "cli").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .cli import setup_cli\n__version__ = 'test'\n")
    (pkg / "cli" / "__init__.py").write_text("def setup_cli():\n    return 'real cli'\n")
    out = _python("""
        from pipeline.spacy_light import spacy
        print(spacy.__version__, spacy.setup_cli())
    """, PYTHONPATH=str(tmp_path))
    assert out == "test real cli"
