"""Incremental runs: a re-run on the same folder into the same output skips unchanged files,
re-processes changed ones, drops deleted ones, and ends with exactly what a fresh run writes
(documents.jsonl and manifest.jsonl byte for byte, practices.db table by table)."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import CORPUS, db_dump, outputs
from pipeline import run as run_module
from pipeline.run import ResultCache, run
from pipeline.settings import Settings


def paragraphs() -> list[str]:
    """Runs of real report lines from the bundled corpus, a few lines each (fast to process)."""
    out = []
    for f in sorted(CORPUS.glob("*.txt")):
        lines = [l for l in f.read_text(encoding="utf-8").splitlines() if len(l.strip()) > 20]
        out += ["\n".join(lines[i:i + 3]) for i in range(0, min(len(lines), 9), 3)]
    return out


def make_inputs(root: Path, n: int = 6) -> Path:
    src = root / "in"
    src.mkdir()
    for i, text in enumerate(paragraphs()[:n]):
        (src / f"{i}.txt").write_text(text + "\n", encoding="utf-8")
    return src



def test_rerun_after_change_delete_and_add_equals_a_fresh_run(tmp_path):
    src = make_inputs(tmp_path)
    out = tmp_path / "out"
    first = run([src], out)
    assert (first.files, first.reused, first.failed) == (6, 0, 0)
    before = outputs(out)

    again = run([src], out)
    assert again.reused == 6
    assert outputs(out) == before

    extra = paragraphs()[6]
    (src / "1.txt").write_text(extra + "\n", encoding="utf-8")  # changed
    (src / "2.txt").unlink()  # deleted
    (src / "9.txt").write_text(paragraphs()[7] + "\n", encoding="utf-8")  # added
    changed = run([src], out)
    assert (changed.files, changed.reused) == (6, 4)  # 0, 3, 4, 5 unchanged; 1 and 9 processed

    fresh = tmp_path / "fresh"
    run([src], fresh)
    assert outputs(out) == outputs(fresh)
    docs = [json.loads(l) for l in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert not [d for d in docs if d["source"].endswith("/2.txt")]
    assert [d["text"] for d in docs if d["source"].endswith("/1.txt")] != \
           [d["text"] for d in map(json.loads, before[0].splitlines()) if d["source"].endswith("/1.txt")]
    cache = ResultCache(out / ".fedreports" / "cache.sqlite")  # results of deleted files are gone
    try:
        assert sorted(Path(s).name for s in cache.keys()) == ["0.txt", "1.txt", "3.txt", "4.txt", "5.txt", "9.txt"]
    finally:
        cache.close()


def test_the_database_is_rebuilt_not_updated_in_place(tmp_path, monkeypatch):
    """Whatever write_database does with an existing file, an incremental run ends with the
    rows a fresh run writes (the database is built into a new file and swapped in). The
    build from documents.jsonl, which a one-worker run otherwise makes only when no file
    is re-run (the inline build has its own test in test_engines)."""
    import pipeline.store

    monkeypatch.setattr(run_module, "INLINE_DATABASE", False)

    def appending_store(documents: Path, db: Path, index=None) -> None:  # a store that never clears old rows
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE IF NOT EXISTS articles (doc_id TEXT, text TEXT)")
        for line in documents.read_text(encoding="utf-8").splitlines():
            a = json.loads(line)
            con.execute("INSERT INTO articles VALUES (?, ?)", (a["doc_id"], a["text"]))
        con.commit()
        con.close()

    monkeypatch.setattr(pipeline.store, "write_database", appending_store)
    src = make_inputs(tmp_path, 3)
    out = tmp_path / "out"
    run([src], out)
    (src / "0.txt").write_text(paragraphs()[5] + "\n", encoding="utf-8")
    run([src], out)
    run([src], tmp_path / "fresh")
    assert db_dump(out / "practices.db") == db_dump(tmp_path / "fresh" / "practices.db")
    assert len(db_dump(out / "practices.db")["articles"]) == 3
    assert not list(out.glob("*.tmp*"))


def test_other_pipeline_version_or_result_settings_reprocess_everything(tmp_path, monkeypatch):
    src = make_inputs(tmp_path, 3)
    out = tmp_path / "out"
    run([src], out)
    assert run([src], out, Settings(isolate=0, file_timeout_s=99)).reused == 3  # these change no result
    cut = run([src], out, Settings(max_text_chars=40))
    assert cut.reused == 0 and cut.partial == 3  # a limit that changes results: nothing reused
    fresh_cut = tmp_path / "fresh"
    run([src], fresh_cut, Settings(max_text_chars=40))
    assert outputs(out) == outputs(fresh_cut)
    assert run([src], out).reused == 0  # and back
    monkeypatch.setattr(run_module, "pipeline_version", lambda: "0.0.0+edited")
    assert run([src], out).reused == 0  # code or word lists changed


def test_a_cache_of_an_older_layout_is_dropped_not_misread(tmp_path):
    src = make_inputs(tmp_path, 2)
    out = tmp_path / "out"
    (out / ".fedreports").mkdir(parents=True)
    con = sqlite3.connect(out / ".fedreports" / "cache.sqlite")
    con.execute("CREATE TABLE results (source TEXT PRIMARY KEY, sha256 TEXT, version TEXT, entry TEXT NOT NULL, "
                "articles TEXT NOT NULL)")
    con.execute("INSERT INTO results VALUES (?, 'x', 'y', '{}', '[]')", (str(src / "0.txt"),))
    con.commit()
    con.close()
    summary = run([src], out)
    assert (summary.files, summary.ok, summary.reused) == (2, 2, 0)
    run([src], tmp_path / "fresh")
    assert outputs(out) == outputs(tmp_path / "fresh")


@pytest.mark.parametrize("workers", [2])
def test_rerun_with_workers_reuses_and_matches(tmp_path, workers):
    src = make_inputs(tmp_path, 4)
    out = tmp_path / "out"
    run([src], out, workers=1)
    before = outputs(out)
    (src / "3.txt").unlink()
    (src / "0.txt").write_text(paragraphs()[8] + "\n", encoding="utf-8")
    s = run([src], out, workers=workers)
    assert s.reused == 2
    run([src], tmp_path / "fresh", workers=1)
    assert outputs(out) == outputs(tmp_path / "fresh") != before


def test_the_database_is_rebuilt_only_when_its_input_changed(tmp_path, monkeypatch):
    import pipeline.store

    monkeypatch.setattr(run_module, "INLINE_DATABASE", False)  # every build goes through write_database

    real, builds = pipeline.store.write_database, []
    monkeypatch.setattr(pipeline.store, "write_database",
                        lambda docs, db, index=None: (builds.append(db), real(docs, db, index))[1])
    src = make_inputs(tmp_path, 3)
    out = tmp_path / "out"
    run([src], out)
    assert len(builds) == 1
    want = db_dump(out / "practices.db")
    assert want
    run([src], out)
    assert len(builds) == 1  # nothing changed: the database built last time is kept
    (out / "practices.db").unlink()
    run([src], out)
    assert len(builds) == 2 and db_dump(out / "practices.db") == want  # gone: built again
    with open(out / "practices.db", "ab") as f:  # not the file we built: built again
        f.write(b"\0" * 4096)
    run([src], out)
    assert len(builds) == 3 and db_dump(out / "practices.db") == want
    (src / "2.txt").write_text(paragraphs()[4] + "\n", encoding="utf-8")
    run([src], out)
    assert len(builds) == 4
    run([src], tmp_path / "fresh")
    assert db_dump(out / "practices.db") == db_dump(tmp_path / "fresh" / "practices.db") != want
