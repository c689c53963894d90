"""Shared fixtures: paths to the bundled corpus and, when present, the shared dev set."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = Path(os.environ.get("FEDREPORTS_SHARED", ROOT.parent / "shared"))
DEV_DOCS = SHARED / "dev" / "docs"
DEV_GOLD = SHARED / "dev" / "gold"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def dev_docs() -> Path:
    if not DEV_DOCS.is_dir():
        pytest.skip("shared dev set not present")
    return DEV_DOCS


def seed_text(prefix: str) -> str:
    """Raw text of a bundled seed document, by its number prefix ("000" … "004")."""
    return next(CORPUS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def db_dump(path: Path) -> dict[str, list[str]]:
    """Every row of every table of a practices.db, sorted, for comparing two runs' databases;
    {} when there is none. The full-text index is compared by what it holds (every word with
    its row, column and position, read through fts5vocab), not by its shadow tables, whose
    layout depends on how the rows were committed."""
    if not path.exists():
        return {}
    con = sqlite3.connect(path)
    tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                                        "AND name NOT LIKE '%_fts_%' ORDER BY name")]
    dump = {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    if "practices_fts" in tables:
        con.execute("CREATE VIRTUAL TABLE temp.fts_words USING fts5vocab(main, practices_fts, 'instance')")
        dump["practices_fts words"] = sorted(map(repr, con.execute("SELECT term, doc, col, offset FROM temp.fts_words")))
    con.close()
    return dump


def outputs(out: Path) -> tuple:
    """What a run leaves in `out`: documents.jsonl, manifest.jsonl and the database's rows."""
    return ((out / "documents.jsonl").read_text(encoding="utf-8"),
            (out / "manifest.jsonl").read_text(encoding="utf-8"),
            db_dump(out / "practices.db"))
