"""`fedreports serve`: a local, read-only web view of practices.db with Datasette.

* read-only: the database is opened immutable (`Datasette(immutables=[db])`, like `datasette -i`);
* bound to 127.0.0.1 unless another host is asked for;
* facets on the practices table: province, theme, programme (and the themes array);
* Chinese full-text search: the table's search box and the canned query `search` segment the
  query with the index's jieba dictionary (`pipeline.datasette_plugin`);
* document text is shown as text: Datasette escapes every cell, and no column is rendered as
  HTML (a report containing <script> shows the characters).

    >>> from pipeline.serve import make_datasette
    >>> ds = make_datasette("out/practices.db")          # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

from pipeline.store import BM25_WEIGHTS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001

SEARCH_SQL = """select p.id, p.region, p.programme, p.activity, p.theme, p.year, p.figures,
  fedreports_highlight(p.evidence_text, :q) as evidence, p.organisation, p.source
from practices_fts join practices as p on p.rowid = practices_fts.rowid
where practices_fts match fedreports_match(:q)
order by bm25(practices_fts, {weights}), p.rowid
limit 200"""


def database_name(db: Union[str, Path]) -> str:
    """The name Datasette gives the database (its file stem)."""
    return Path(db).stem


def metadata_for(db: Union[str, Path]) -> dict:
    """Datasette metadata: titles, facets, the FTS table of practices, the canned search query."""
    weights = ", ".join(f"{w:g}" for w in BM25_WEIGHTS)
    return {
        "title": "fedreports：妇联工作做法表",
        "description": "Practices linked from women's federation reports: who did what, where, with what "
                       "figures, each with its source sentence. Search in Chinese with the search box of the "
                       "practices table or the canned query 'search'.",
        "databases": {database_name(db): {
            "tables": {
                "practices": {
                    "fts_table": "practices_fts", "fts_pk": "rowid",
                    "facets": ["province", "theme", "programme", {"array": "themes"}],
                    "sort": "id", "label_column": "activity",
                    "description": "One row per practice; evidence_text holds its source sentences.",
                },
                "practices_fts": {"hidden": True},
                "documents": {"facets": ["relevant"], "label_column": "title"},
                "places": {"facets": ["level", "province"], "label_column": "name"},
                "programmes": {"facets": ["province"], "label_column": "name"},
                "counts": {"facets": ["unit"]},
                "outcomes": {"facets": ["type"]},
            },
            "queries": {
                "search": {
                    "title": "全文检索（中文分词）",
                    "description": "Practices whose programme, activity, evidence or context contain every word "
                                   "of q (segmented with jieba), best first.",
                    "sql": SEARCH_SQL.format(weights=weights),
                },
            },
        }},
    }


def make_datasette(db: Union[str, Path]):
    """A Datasette instance serving `db` read-only with the fedreports plugin."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from pipeline import datasette_plugin
    from pipeline.query import connect

    connect(db).close()  # a clear error for a missing or foreign file, before Datasette starts
    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name="fedreports")
    return Datasette(immutables=[str(db)], metadata=metadata_for(db),
                     settings={"default_page_size": 50, "truncate_cells_html": 400, "facet_time_limit_ms": 500})


def serve(db: Union[str, Path], host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve `db` until interrupted."""
    import asyncio

    import uvicorn

    ds = make_datasette(db)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "database_name", "make_datasette", "metadata_for", "serve"]
