"""Shared fixtures: paths to the bundled corpus and, when present, the shared dev set."""
from __future__ import annotations

import os
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
