"""The practice table in SQLite: tables, indices, Chinese full-text search, atomic and
deterministic writes. Databases are built from the fixture articles of test_link."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from pipeline.store import build_database, fts_query, quote_identifier, write_database
from test_link import fixture_articles

TABLES = {"documents", "places", "programmes", "counts", "outcomes", "practices", "practice_themes",
          "practice_indicators", "practice_outcomes", "evidence", "practices_fts", "fedreports_meta"}


@pytest.fixture(scope="module")
def articles():
    return fixture_articles()


@pytest.fixture(scope="module")
def docs_file(tmp_path_factory, articles):
    path = tmp_path_factory.mktemp("docs") / "documents.jsonl"
    path.write_text("".join(a.model_dump_json() + "\n" for a in articles), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory, docs_file):
    out = tmp_path_factory.mktemp("db") / "practices.db"
    write_database(docs_file, out)
    return out


def rows(db, sql, params=()):
    with sqlite3.connect(db) as c:
        return c.execute(sql, params).fetchall()


def fts(db, query):
    return [r[0] for r in rows(db, "SELECT p.programme FROM practices_fts JOIN practices p ON p.rowid = practices_fts.rowid "
                                   "WHERE practices_fts MATCH ? ORDER BY bm25(practices_fts, 10, 4, 1, 0.5)", (fts_query(query),))]


def test_tables_and_indices(db, articles):
    names = {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type IN ('table')")}
    assert TABLES <= names
    indices = {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%'")}
    assert {"idx_practices_province", "idx_practices_programme_key", "idx_practice_themes_theme", "idx_counts_unit_object"} <= indices
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == len(articles)
    assert rows(db, "SELECT count(*) FROM practices")[0][0] == sum(len(a.practices) for a in articles)
    assert rows(db, "SELECT count(*) FROM counts")[0][0] == sum(len(a.counts) for a in articles)
    # practices of relevant articles only
    assert rows(db, "SELECT count(*) FROM practices p JOIN documents d USING (doc_id) WHERE d.relevant = 0")[0][0] == 0


def test_practice_row_holds_region_levels_and_figures(db):
    [(province, city, county, adcode, path, figures, theme, themes)] = rows(
        db, "SELECT province, city, county, region_adcode, region_path, figures, theme, themes FROM practices "
            "WHERE programme = '两癌救助项目'")
    assert (province, city, county, adcode) == ("云南省", "昭通市", "永善县", "530625")
    assert json.loads(path) == ["云南省", "昭通市", "永善县"]
    assert figures == "90名（农村妇女）；73万余元（救助金）"
    assert theme == json.loads(themes)[0]
    linked = rows(db, "SELECT c.text FROM practice_indicators pi JOIN counts c ON c.id = pi.count_id "
                      "JOIN practices p ON p.id = pi.practice_id WHERE p.programme = '两癌救助项目' ORDER BY pi.seq")
    assert [r[0] for r in linked] == ["90名", "73万余元"]


def test_evidence_rows_match_document_text(db):
    bad = rows(db, "SELECT e.practice_id FROM evidence e JOIN practices p ON p.id = e.practice_id "
                   "JOIN documents d ON d.doc_id = p.doc_id WHERE substr(d.text, e.start + 1, e.\"end\" - e.start) != e.text")
    assert bad == []


@pytest.mark.parametrize("query, programme", [("两癌", "两癌救助项目"), ("春蕾", "春蕾班"),
                                               ("三访四察五送", "三访四察五送"), ("甬尚姐妹四必访", "甬尚姐妹四必访"),
                                               ("姐妹驿站", "姐妹驿站"), ("贷免扶补", "贷免扶补")])
def test_two_character_and_programme_queries_match(db, query, programme):
    assert fts(db, query)[0] == programme


def test_full_text_index_keeps_no_second_copy_of_the_words(db):
    """practices_fts is contentless: it answers MATCH with rowids and bm25 ranks, and stores
    no copy of the segmented text (the words come from practices and evidence)."""
    assert fts(db, "春蕾")  # matches and ranks as before
    assert {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE name LIKE 'practices_fts%'")} == \
        {"practices_fts", "practices_fts_data", "practices_fts_idx", "practices_fts_docsize", "practices_fts_config"}
    [(programme, activity)] = rows(db, "SELECT programme, activity FROM practices_fts WHERE practices_fts MATCH ? LIMIT 1",
                                   (fts_query("春蕾"),))
    assert programme is None and activity is None


def test_builtin_tokenisers_would_not_have_matched(tmp_path):
    """Why the index is segmented: unicode61 keeps a run of Chinese as one token and trigram
    cannot match two characters."""
    c = sqlite3.connect(tmp_path / "t.db")
    c.execute("CREATE VIRTUAL TABLE u USING fts5(t, tokenize='unicode61')")
    c.execute("CREATE VIRTUAL TABLE g USING fts5(t, tokenize='trigram')")
    text = "积极争取国家、省级农村贫困“两癌”救助项目支持"
    c.execute("INSERT INTO u VALUES (?)", (text.replace("“", " ").replace("”", " "),))
    c.execute("INSERT INTO g VALUES (?)", (text,))
    assert c.execute("SELECT count(*) FROM u WHERE u MATCH '\"两癌\"'").fetchone()[0] == 1  # only because of the quotes
    assert c.execute("SELECT count(*) FROM u WHERE u MATCH '\"救助\"'").fetchone()[0] == 0
    assert c.execute("SELECT count(*) FROM g WHERE g MATCH '\"两癌\"'").fetchone()[0] == 0


def test_query_words_are_quoted_phrases():
    assert fts_query("两癌 筛查") == '"两癌" AND "筛查"'
    assert fts_query('春蕾" OR x') == '"春蕾" AND "OR" AND "x"'  # FTS syntax in a query is just words
    with pytest.raises(ValueError):
        fts_query(" “” ")


def test_quote_identifier():
    assert quote_identifier('a"b') == '"a""b"'


def test_rebuild_is_identical(tmp_path, docs_file):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    write_database(docs_file, a)
    write_database(docs_file, b)
    dump = lambda p: list(sqlite3.connect(p).iterdump())  # noqa: E731
    assert dump(a) == dump(b)
    assert a.read_bytes() == b.read_bytes()


def test_write_replaces_atomically_and_leaves_no_temp_file(tmp_path, docs_file, articles):
    out = tmp_path / "practices.db"
    out.write_bytes(b"old")
    write_database(docs_file, out)
    assert rows(out, "SELECT count(*) FROM documents")[0][0] == len(articles)
    assert [p.name for p in tmp_path.iterdir()] == ["practices.db"]


def test_killed_build_leaves_the_old_database(tmp_path, docs_file):
    """A build killed midway never replaces the database it was rebuilding."""
    out = tmp_path / "practices.db"
    write_database(docs_file, out)
    before = out.read_bytes()
    script = textwrap.dedent(f"""
        import os, pipeline.store as s
        original = s._insert_article
        def dying(*a, **k):
            original(*a, **k)
            os._exit(9)          # killed after the first article
        s._insert_article = dying
        s.write_database({str(docs_file)!r}, {str(out)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
    assert proc.returncode == 9, proc.stderr
    assert out.read_bytes() == before
    # the temp file of the killed build is cleared by the next build
    write_database(docs_file, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["practices.db"]


def test_build_from_articles_api(tmp_path, articles):
    summary = build_database(articles, tmp_path / "p.db")
    assert summary.practices == sum(len(a.practices) for a in articles)
    assert summary.documents == len(articles)
    assert rows(tmp_path / "p.db", "SELECT value FROM fedreports_meta WHERE key = 'schema_version'") == [("2",)]


def test_repeated_practice_ids_are_kept_apart(tmp_path, articles):
    a = articles[0].model_copy(deep=True)
    a.practices = [a.practices[0], a.practices[0].model_copy(update={"activity": "另一项"})]
    build_database([a], tmp_path / "dup.db")
    ids = [r[0] for r in rows(tmp_path / "dup.db", "SELECT id FROM practices ORDER BY rowid")]
    assert len(ids) == 2 and len(set(ids)) == 2 and ids[0] == a.practices[0].id


def test_streamed_build_has_the_same_rows_and_indices(tmp_path, articles, monkeypatch):
    """A build fed while a run goes (indices kept up as rows go in, committed and synced in
    the background as it goes) ends with the same rows and the same indices as one after it."""
    from conftest import db_dump

    import pipeline.store as store
    syncs = []
    real_kick = store.Writeback.kick
    monkeypatch.setattr(store.Writeback, "kick", lambda self: (syncs.append(1), real_kick(self)))
    plain, streamed = tmp_path / "plain.db", tmp_path / "streamed.db"
    build_database(articles, plain)
    assert not syncs
    monkeypatch.setattr(store, "STREAMED_ROWS_PER_WRITE", 3)  # small batches, each committed: several syncs
    monkeypatch.setattr(store, "STREAMED_COMMIT_S", 0.0)
    build_database(articles, streamed, streamed=True)
    assert len(syncs) > 1
    assert db_dump(streamed) == db_dump(plain)

    def indices(db):
        with sqlite3.connect(db) as conn:
            return sorted(conn.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"))
    assert indices(streamed) == indices(plain) and len(indices(plain)) >= 15
    assert not [p.name for p in tmp_path.iterdir() if p.name not in {"plain.db", "streamed.db"}]


def test_building_from_given_rows_does_not_import_the_segmenter(tmp_path, articles):
    """The run's database builder (a process of its own) hashes the user dictionary but needs
    neither spaCy nor jieba when the full-text rows come with the articles."""
    from pipeline.store import fts_index
    docs = tmp_path / "documents.jsonl"
    index = tmp_path / "index.jsonl"
    docs.write_text("".join(a.model_dump_json() + "\n" for a in articles), encoding="utf-8")
    index.write_text("".join(json.dumps(fts_index(a), ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from pipeline.store import segmenter_fingerprint, write_database
        s = write_database(Path({str(docs)!r}), Path({str(tmp_path / 'p.db')!r}), Path({str(index)!r}))
        print(s.practices, segmenter_fingerprint(), sorted(m for m in ("spacy", "jieba", "jieba_next") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) > 0 and len(out[1]) == 12
    assert out[2:] == ["[]"]


def test_a_writeback_closed_twice_lets_its_file_go_once(tmp_path):
    """A run that fails after its outputs are finished abandons them: closing again is a no-op."""
    from pipeline.store import Writeback
    f = tmp_path / "x"
    f.write_text("x")
    w = Writeback(f)
    w.kick()
    fd = w.fd
    w.close()
    w.close()
    with pytest.raises(OSError):
        os.fstat(fd)
