"""Store stage (placeholder until the practice table lands)."""
from pathlib import Path


def write_database(documents: Path, db: Path) -> None:
    return None
