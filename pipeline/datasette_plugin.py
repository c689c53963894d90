"""Datasette plugin for practices.db: Chinese full-text search in the browser.

FTS5's tokenisers do not segment Chinese, so the index holds jieba words (see
`pipeline.store`). This plugin gives every Datasette connection the same segmentation for
queries, through the `prepare_connection` hook:

    fedreports_match(q)          an FTS5 MATCH expression for q (jieba words, quoted, all required;
                                 '""', which matches nothing, for an empty query)
    fedreports_highlight(t, q)   a window of t around the query words, marked with 【】 (plain text:
                                 Datasette escapes it like any other cell)
    escape_fts(q)                Datasette's own function, replaced by fedreports_match so that the
                                 search box of the practices table segments Chinese too

The plugin is registered by `pipeline.serve` only (not through an entry point), so other
Datasette instances in the same environment are not affected.
"""
from __future__ import annotations

from datasette import hookimpl


def fedreports_match(query) -> str:
    """MATCH expression for a user's query; never raises (a query with no word matches nothing)."""
    from pipeline.store import fts_query
    try:
        return fts_query(str(query or ""))
    except ValueError:
        return '""'


def fedreports_highlight(text, query) -> str:
    from pipeline.query import highlight, query_terms
    return highlight(str(text or ""), query_terms(str(query or "")), width=160)


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, which registers escape_fts
def prepare_connection(conn):
    conn.create_function("fedreports_match", 1, fedreports_match, deterministic=True)
    conn.create_function("fedreports_highlight", 2, fedreports_highlight, deterministic=True)
    conn.create_function("escape_fts", 1, fedreports_match, deterministic=True)
