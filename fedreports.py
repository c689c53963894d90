"""fedreports for analysts: the practice table as pandas DataFrames.

    >>> import fedreports
    >>> t = fedreports.load("out/practices.db")                        # doctest: +SKIP
    >>> t.practices[["region", "programme", "theme", "year"]].head()    # doctest: +SKIP
    >>> t.counts.groupby(["province", "object", "unit"])["value"].sum()  # doctest: +SKIP
    >>> fedreports.search("out/practices.db", "两癌", region="云南省")      # doctest: +SKIP

A thin facade over `pipeline.query` (the same code the `fedreports` commands run):

    load(db)                     -> PracticeTable with .practices .counts .places .programmes
                                    .outcomes .documents .evidence (DataFrames)
    search(db, query, **filters) -> DataFrame of ranked practices (filters: region, level,
                                    theme, programme, year="2021..2023"), limit=20
    compare(db, by, **filters)   -> Comparison (.practices, .figures, .figures_long, .table())
    export(db, out, fmt=None, query=None, **filters) -> number of practices written
    digest(db, out, query=None, title=None, **filters) -> DigestSummary
    practices(db, query=None, **filters) -> list of schemas.Practice
"""
from __future__ import annotations

from typing import Optional

from pipeline import __version__
from pipeline.query import Comparison, Filters, PracticeTable, QueryError, load

__all__ = ["Comparison", "Filters", "PracticeTable", "QueryError", "__version__", "compare", "digest", "export",
           "load", "practices", "search"]


def search(db, query: Optional[str] = None, limit: Optional[int] = 20, **filters):
    """Ranked practices matching `query` and the filters, as a pandas DataFrame."""
    from pipeline.query import hits_dataframe, search as _search
    return hits_dataframe(_search(db, query, Filters.parse(**filters), limit))


def compare(db, by: str = "province", across: str = "theme", **filters) -> Comparison:
    """Regions at level `by` x themes (or programmes): practice counts and summed comparable figures."""
    from pipeline.query import compare as _compare
    return _compare(db, by, Filters.parse(**filters), across)


def export(db, out, fmt: Optional[str] = None, query: Optional[str] = None, redact_persons: bool = False,
           **filters) -> int:
    """Write the matching practices to `out` (csv, xlsx, parquet or jsonl); `redact_persons`
    masks the names of private individuals."""
    from pipeline.query import export as _export
    return _export(db, out, fmt, Filters.parse(**filters), query, redact_persons)


def digest(db, out, query: Optional[str] = None, title: Optional[str] = None, redact_persons: bool = False,
           **filters):
    """Write the experience-sharing compilation to `out` (.docx or .md); `redact_persons`
    masks the names of private individuals."""
    from pipeline.digest import write_digest
    return write_digest(db, out, Filters.parse(**filters), query, title, redact_persons)


def practices(db, query: Optional[str] = None, **filters):
    """The matching practices as `schemas.Practice` records."""
    from pipeline.query import practice_records
    return practice_records(db, Filters.parse(**filters), query)
