"""Engines give the same outputs: one worker, two worker processes, Dask on a LocalCluster;
a file that hangs or kills its worker is reported failed and does not stop the run; the
articles can be written as Parquet partitions."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import CORPUS, db_dump, outputs
from pipeline import engines, pipeline_version, run as run_module
from pipeline.run import FileResult, run
from pipeline.settings import Settings
from schemas import ManifestEntry


def code_version() -> str:
    """pipeline_version() computed afresh (the function caches its answer per process)."""
    return pipeline_version.__wrapped__()


def assert_same_outputs(out: Path, expected: Path, version: str) -> None:
    got, want = outputs(out), outputs(expected)
    if got != want and code_version() != version:  # pragma: no cover - only in a tree being edited
        pytest.skip("the pipeline code changed while the test ran; outputs are not comparable")
    assert got[0] == want[0], "documents.jsonl differs"
    assert got[1] == want[1], "manifest.jsonl differs"
    assert got[2] == want[2], "practices.db rows differ"


@pytest.fixture(scope="module")
def local_one(tmp_path_factory):
    version = code_version()
    out = tmp_path_factory.mktemp("w1")
    summary = run([CORPUS], out, workers=1)
    assert summary.files == 5 and summary.failed == 0
    return out, summary, version


def plain_builds(monkeypatch) -> list:
    """Records each database build made from documents.jsonl after the files have run."""
    calls = []
    plain = run_module._write_database
    monkeypatch.setattr(run_module, "_write_database", lambda *a: calls.append(a) or plain(*a))
    return calls


def test_two_worker_processes_equal_one(local_one, tmp_path, monkeypatch):
    out1, s1, version = local_one
    out2 = tmp_path / "w2"
    builds = plain_builds(monkeypatch)
    s2 = run([CORPUS], out2, workers=2)
    assert_same_outputs(out2, out1, version)
    assert (s2.files, s2.ok, s2.articles, s2.relevant) == (s1.files, s1.ok, s1.articles, s1.relevant)
    # the database was built while the workers ran, not after them, and nothing is left over
    assert builds == [] and sorted(p.name for p in (out2 / ".fedreports").iterdir()) == ["cache.sqlite", "index.jsonl"]


def test_one_worker_builds_the_database_from_the_articles_as_they_come(local_one, tmp_path, monkeypatch):
    """One worker in this process: the database is built from the rows the pipeline has just
    made, while the files run, and holds what a build from documents.jsonl after the run holds."""
    out1, _, _ = local_one
    builds = plain_builds(monkeypatch)
    results = []
    run([CORPUS], tmp_path / "w1", workers=1, on_file=results.append)
    assert builds == []
    after = tmp_path / "after.db"
    from pipeline.store import write_database
    write_database(out1 / "documents.jsonl", after, out1 / ".fedreports" / "index.jsonl")
    assert db_dump(tmp_path / "w1" / "practices.db") == db_dump(after)
    assert len(db_dump(after)["practices_fts words"]) > 1000
    # the rows were made where the articles were, one per article, and travel with the result
    assert results and all(r.rows is not None and len(r.rows) == r.entry.articles for r in results)
    import pickle
    assert pickle.loads(pickle.dumps(results[0])).rows == results[0].rows
    # and it counts as built from these documents: a re-run with nothing changed keeps it
    built = (tmp_path / "w1" / "practices.db").stat().st_mtime_ns
    assert run([CORPUS], tmp_path / "w1", workers=1).reused == 5
    assert builds == [] and (tmp_path / "w1" / "practices.db").stat().st_mtime_ns == built


@pytest.mark.parametrize("workers", [1, 2])
def test_an_inline_build_that_fails_falls_back_to_the_plain_build(local_one, tmp_path, monkeypatch, workers):
    out1, _, version = local_one
    builds = plain_builds(monkeypatch)
    from pipeline import store

    plain = store.build_from_rows

    def broken(items, db, **kw):
        if kw.get("pause_gc", True):  # the build from documents.jsonl after the run
            return plain(items, db, **kw)
        next(iter(items))
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(store, "build_from_rows", broken)
    summary = run([CORPUS], tmp_path / "w", workers=workers)
    monkeypatch.undo()
    assert len(builds) == 1 and summary.files == 5 and summary.failed == 0
    assert_same_outputs(tmp_path / "w", out1, version)


def test_results_out_of_order_or_without_rows_build_the_same_database(local_one, tmp_path, monkeypatch):
    """Workers hand results back as they finish: the database still takes the files in source
    order. A result held too long is let go and its rows made again from the cache; a result
    without rows (or with the wrong number) has them made from its JSON."""
    out1, _, _ = local_one
    files = sorted(str(p) for p in CORPUS.glob("*.txt"))
    cache = run_module.ResultCache(out1 / ".fedreports" / "cache.sqlite")
    try:
        results = []
        for k, source in enumerate(reversed(files)):  # the last file first
            status, articles, relevant, size, entry, documents, fts = cache.get(source)
            r = FileResult(ManifestEntry.model_validate_json(entry), documents, relevant, index=fts)
            assert articles > 0
            if k == 3:
                r.rows = []  # not one per article: ignored
            elif k != 2:  # the third file's result has none
                r.rows = list(run_module._parsed_rows(documents, fts))
            results.append(r)
        # it holds the first three files' results, as they come after the other two; those
        # two are let go and read back from the cache
        monkeypatch.setattr(run_module._InlineDatabase, "HOLD", 3)
        read_back = []
        stored = run_module._stored
        monkeypatch.setattr(run_module, "_stored", lambda db, source: read_back.append(source) or stored(db, source))
        built = run_module._InlineDatabase(tmp_path / "practices.db", [Path(f) for f in files], set(), cache, streamed=True)
        built.build(iter(results))
    finally:
        cache.close()
    assert built.ok and read_back == files[3:]
    assert db_dump(tmp_path / "practices.db") == db_dump(out1 / "practices.db")
    assert len(db_dump(out1 / "practices.db")["practices_fts words"]) > 1000


def test_an_error_of_the_run_is_raised_not_taken_for_a_failed_build(tmp_path):
    """The run's loop runs inside the inline build: its errors must stop the run as before."""
    def stop(result):
        raise RuntimeError("stop here")
    with pytest.raises(RuntimeError, match="stop here"):
        run([CORPUS], tmp_path / "w1", workers=1, on_file=stop)
    left = sorted(p.name for p in (tmp_path / "w1").iterdir())
    assert left == [".fedreports"], left  # no database, no half-written outputs


def test_dask_local_cluster_equals_local_engine(local_one, tmp_path):
    out1, _, version = local_one
    out = tmp_path / "dask"
    loads = []
    summary = run([CORPUS], out, workers=2, engine="dask", parquet=True,
                  on_file=lambda r: loads.append(r.timings.get("startup")))
    assert summary.failed == 0
    assert_same_outputs(out, out1, version)
    # 5 files in 5 bag partitions on 2 worker processes: the pipeline was loaded once per process
    assert len(loads) == 5 and 1 <= sum(x is not None for x in loads) <= 2 and summary.startup > 0
    # the same documents as Parquet, one schema, every article once
    import pyarrow.parquet as pq
    table = pq.read_table(out / "parquet")
    docs = [json.loads(line) for line in (out1 / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert table.num_rows == len(docs) == summary.articles
    assert table.column("doc_id").to_pylist() == [d["doc_id"] for d in docs]
    assert table.column("text").to_pylist() == [d["text"] for d in docs]
    assert table.column("counts").to_pylist() == [[{**c} for c in d["counts"]] for d in docs]


def test_parquet_parts_share_one_schema_and_stream(tmp_path):
    import pyarrow.parquet as pq
    from schemas import Article, Count, Mention, Place

    docs = tmp_path / "documents.jsonl"
    with open(docs, "w", encoding="utf-8") as f:
        for i in range(5):
            counts = [Count(text="481名", value=481, unit="名", start=9, end=13, sentence="永善县妇联帮助481名妇女。")] if i % 2 else []
            places = [Place(name="永善县", level="county", adcode="530625", path=["云南省", "昭通市", "永善县"],
                            mentions=[Mention(text="永善县", start=0, end=3)])] if i == 3 else []
            f.write(Article(doc_id=f"d-{i}", source="x.txt", article=i, relevant=bool(i % 2), text="永善县妇联帮助481名妇女。",
                            counts=counts, places=places).model_dump_json() + "\n")
    parts = engines.write_parquet(docs, tmp_path / "pq", rows_per_file=2)
    files = sorted((tmp_path / "pq").glob("part-*.parquet"))
    assert parts == len(files) == 3
    # one schema for every part, even where a part has no counts or places at all
    assert len({pq.read_schema(f).remove_metadata().to_string() for f in files}) == 1
    table = pq.read_table(tmp_path / "pq")
    assert table.column("doc_id").to_pylist() == [f"d-{i}" for i in range(5)]
    assert table.column("counts").to_pylist()[1][0]["value"] == 481.0
    assert table.column("places").to_pylist()[3][0]["mentions"] == [{"text": "永善县", "start": 0, "end": 3}]
    # written again, the folder is replaced as a whole (no parts left from the first write)
    engines.write_parquet(docs, tmp_path / "pq")
    assert [f.name for f in (tmp_path / "pq").iterdir()] == ["part-00000.parquet"]


def _inputs(tmp_path: Path, *names: str) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    for name in names:
        (src / name).write_text(f"{name}: 永善县妇联帮助481名妇女争取创业贷款5666万元。", encoding="utf-8")
    return src


class StandInProcessor:
    """Stands in for the pipeline in the workers: hangs on hang*, kills its process on crash*,
    else returns an ok entry at once (so the test times the supervision, not the extractors)."""

    load_seconds, load_reported = 0.0, True

    def __init__(self, settings):
        self.settings = settings

    def warm(self):
        return 0.0

    def process(self, path, sha256=None, prepared=None):
        name = Path(path).name
        if name.startswith("hang"):
            time.sleep(120)
        if name.startswith("crash"):
            os.kill(os.getpid(), signal.SIGKILL)
        return FileResult.of(ManifestEntry(source=str(path), status="ok", sha256=sha256), [])


class NoHang(StandInProcessor):
    def process(self, path, sha256=None, prepared=None):
        return FileResult.of(ManifestEntry(source=str(path), status="ok", sha256=sha256, reader="again"), [])


def _manifest(out: Path) -> dict:
    return {Path(e["source"]).name: e for e in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())}


def test_a_hanging_file_times_out_and_a_crashing_one_fails(tmp_path, monkeypatch):
    src = _inputs(tmp_path, "a.txt", "hang.txt", "b.txt", "crash.txt", "c.txt", "d.txt")
    monkeypatch.setattr(run_module, "processor", StandInProcessor)  # inherited by the forked workers
    started = time.monotonic()
    summary = run([src], tmp_path / "out", Settings(file_timeout_s=1.5), workers=2)
    assert time.monotonic() - started < 30
    m = _manifest(tmp_path / "out")
    assert m["hang.txt"]["status"] == "failed" and m["hang.txt"]["reason"] == "timed out after 1.5 s"
    assert m["crash.txt"]["status"] == "failed" and m["crash.txt"]["reason"] == "worker process died (SIGKILL)"
    assert [m[n]["status"] for n in ("a.txt", "b.txt", "c.txt", "d.txt")] == ["ok"] * 4  # replacements went on
    assert (summary.failed, summary.ok) == (2, 4)


class LoadLogged(StandInProcessor):
    """A pipeline whose loading is logged by process id; a file's reader names the process
    that processed it."""

    log: Path

    def __init__(self, settings):
        super().__init__(settings)
        with open(self.log, "a") as f:
            f.write(f"{os.getpid()}\n")

    def process(self, path, sha256=None, prepared=None):
        if Path(path).name.startswith("crash"):
            os.kill(os.getpid(), signal.SIGKILL)
        return FileResult.of(ManifestEntry(source=str(path), status="ok", sha256=sha256, reader=str(os.getpid())), [])


def test_workers_start_with_the_pipeline_the_run_loaded_once(tmp_path, monkeypatch):
    """Forked workers, and the replacement of one that died, do not load the pipeline again:
    it is loaded once, in the run's process, before they are forked."""
    src = _inputs(tmp_path, "a.txt", "b.txt", "crash.txt", "c.txt", "d.txt", "e.txt")
    monkeypatch.setattr(LoadLogged, "log", tmp_path / "loads.log", raising=False)
    monkeypatch.setattr(run_module, "Processor", LoadLogged)
    monkeypatch.setattr(run_module, "_PROCESSOR", None)
    summary = run([src], tmp_path / "out", Settings(), workers=2)
    assert (tmp_path / "loads.log").read_text().split() == [str(os.getpid())]
    m = _manifest(tmp_path / "out")
    assert m["crash.txt"]["reason"] == "worker process died (SIGKILL)"
    readers = {m[n]["reader"] for n in ("a.txt", "b.txt", "c.txt", "d.txt", "e.txt")}
    assert str(os.getpid()) not in readers  # the workers did the files (which ones is up to timing)
    assert (summary.ok, summary.failed) == (5, 1)


def test_isolate_enforces_the_limit_with_one_worker_and_a_timeout_is_retried(tmp_path, monkeypatch):
    src = _inputs(tmp_path, "a.txt", "hang.txt", "b.txt")
    out = tmp_path / "out"
    with monkeypatch.context() as mp:
        mp.setattr(run_module, "processor", StandInProcessor)
        summary = run([src], out, Settings(file_timeout_s=1, isolate=1), workers=1)
    assert _manifest(out)["hang.txt"]["reason"] == "timed out after 1 s"
    assert (summary.failed, summary.ok) == (1, 2)
    # a time-out says nothing about the file: the next run tries it again and reuses the rest
    with monkeypatch.context() as mp:
        mp.setattr(run_module, "processor", NoHang)
        again = run([src], out, Settings(file_timeout_s=1, isolate=1), workers=1)
    assert (again.reused, again.failed) == (2, 0)
    assert _manifest(out)["hang.txt"] == {**_manifest(out)["hang.txt"], "status": "ok", "reader": "again"}


class PolicyLogged(StandInProcessor):
    """A file's reader is the scheduling policy of the process that did it."""

    def process(self, path, sha256=None, prepared=None):
        return FileResult.of(ManifestEntry(source=str(path), status="ok", sha256=sha256,
                                           reader=str(os.sched_getscheduler(0))), [])


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="no SCHED_BATCH here (not Linux)")
def test_workers_run_under_batch_scheduling_and_the_run_gets_its_own_back(tmp_path, monkeypatch):
    """The workers (and the run while it supervises them) are under SCHED_BATCH, so that the
    run, woken by each result, does not preempt a worker; afterwards the run's process has its
    policy back."""
    if os.sched_getscheduler(0) != os.SCHED_OTHER:
        pytest.skip("this process is not under the default policy")
    src = _inputs(tmp_path, "a.txt", "b.txt", "c.txt")
    monkeypatch.setattr(run_module, "processor", PolicyLogged)
    run_policy, worker_policy = [], []
    for result in engines.execute([(p, "0") for p in sorted(src.iterdir())], Settings(), workers=2):
        run_policy.append(os.sched_getscheduler(0))
        worker_policy.append(int(result.entry.reader))
    assert worker_policy == run_policy == [os.SCHED_BATCH] * 3
    assert os.sched_getscheduler(0) == os.SCHED_OTHER


class Stamped(StandInProcessor):
    """Returns at once, its end time (monotonic, one clock for every process) as the reader."""

    def process(self, path, sha256=None, prepared=None):
        return FileResult.of(ManifestEntry(source=str(path), status="ok", sha256=sha256,
                                           reader=repr(time.monotonic())), [])


def test_workers_are_served_while_the_run_is_busy_and_stopped_when_it_stops_listening(tmp_path, monkeypatch):
    """The supervisor is a thread of its own: while the run spends time on a result (here a
    sleep, which lets go of the GIL as SQLite does), the workers' next results are taken and
    their next files given, so the files do not wait for the run. When the run stops taking
    results, the workers and the thread are stopped."""
    import multiprocessing
    import threading

    names = [f"{i:02d}.txt" for i in range(12)]
    src = _inputs(tmp_path, *names)
    monkeypatch.setattr(run_module, "processor", Stamped)
    monkeypatch.setattr(engines, "RESULTS_AHEAD", 64)
    todo = [(p, "0") for p in sorted(src.iterdir())]
    got = engines.execute(todo, Settings(), workers=2)
    ends = []
    first = next(got)
    time.sleep(2.0)  # the run is busy with its first result
    taken = time.monotonic()
    ends.append(float(first.entry.reader))
    ends += [float(r.entry.reader) for r in got]
    assert len(ends) == 12
    # every file was done while the run was busy with the first one, not after it
    assert max(ends) < taken, [round(taken - e, 2) for e in ends]

    monkeypatch.setattr(engines, "RESULTS_AHEAD", 1)  # the thread is blocked putting a result when the run stops
    got = engines.execute(todo, Settings(), workers=2)
    next(got)
    time.sleep(0.5)
    got.close()  # the run stops listening after one result
    assert not [t for t in threading.enumerate() if t.name == "fedreports-supervisor"]
    assert multiprocessing.active_children() == []


def test_an_error_in_the_supervisor_is_raised_in_the_run(tmp_path, monkeypatch):
    src = _inputs(tmp_path, "a.txt", "b.txt")

    def broken(settings):
        raise OSError("no dictionaries here")

    monkeypatch.setattr(run_module, "processor", broken)
    with pytest.raises(RuntimeError, match="could not load the pipeline: OSError: no dictionaries here"):
        list(engines.execute([(p, "0") for p in sorted(src.iterdir())], Settings(), workers=2))


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown engine"):
        list(engines.execute([(CORPUS / "x", "0")], Settings(), engine="spark"))


class Logged(StandInProcessor):
    """Logs every file it starts on (name and process id); hangs on hang* like the stand-in."""

    log: Path

    def process(self, path, sha256=None, prepared=None):
        with open(self.log, "a") as f:
            f.write(f"{Path(path).name} {os.getpid()}\n")
        return super().process(path, sha256, prepared)


def test_each_worker_holds_the_next_file_and_files_behind_a_hang_run_once(tmp_path, monkeypatch):
    """A worker has its next file in its pipe while it works (no wait for the run to answer
    each result); a file queued behind one that hangs goes to another worker when the hung
    one is replaced, and is processed once."""
    from pipeline import engines
    names = ["hang.txt"] + [f"x{i}.txt" for i in range(8)]
    src = _inputs(tmp_path, *names)
    Logged.log = tmp_path / "log"
    monkeypatch.setattr(run_module, "processor", Logged)
    held = []
    real_give = engines._Worker.give
    monkeypatch.setattr(engines._Worker, "give", lambda self, task: (real_give(self, task), held.append(len(self.tasks))))
    summary = run([src], tmp_path / "out", Settings(file_timeout_s=1.5), workers=2)
    assert max(held) == engines.TASKS_AHEAD + 1 == 2
    m = _manifest(tmp_path / "out")
    assert m["hang.txt"]["reason"] == "timed out after 1.5 s"
    assert all(m[n]["status"] == "ok" for n in names[1:]) and (summary.ok, summary.failed) == (8, 1)
    started = [line.split()[0] for line in Logged.log.read_text().splitlines()]
    assert sorted(started) == sorted(names)  # every file started once: the one behind the hang too


def _log_prepare(monkeypatch, log: Path, misbehave=None):
    """Logs each `prepare` (start and end, file name, process name) to `log`; `misbehave(name,
    process)` runs between the two (to hang or kill the read-ahead on a file)."""
    import multiprocessing as mp
    real = run_module.prepare

    def prepare(path, settings, sha256=None):
        who = mp.current_process().name
        with open(log, "a") as f:
            f.write(f"start {Path(path).name} {who}\n")
        if misbehave:
            misbehave(Path(path).name, who)
        out = real(path, settings, sha256)
        with open(log, "a") as f:
            f.write(f"end {Path(path).name} {who}\n")
        return out
    monkeypatch.setattr(run_module, "prepare", prepare)


def _preload_after(monkeypatch, log: Path, line_count) -> None:
    """The run's pipeline load starts only once the read-ahead has logged enough (bounded)."""
    real = engines._preload

    def preload(ctx, settings):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not line_count(log.read_text() if log.exists() else ""):
            time.sleep(0.02)
        real(ctx, settings)
    monkeypatch.setattr(engines, "_preload", preload)


def test_files_read_ahead_while_the_pipeline_loads_are_not_read_again(local_one, tmp_path, monkeypatch):
    """While the run loads the pipeline, the other core reads and cleans the first files; the
    workers start those at the segment stage, and the outputs are those of one worker."""
    out1, _, version = local_one
    log = tmp_path / "prepare.log"
    _log_prepare(monkeypatch, log)
    n = len(list(CORPUS.iterdir()))
    _preload_after(monkeypatch, log, lambda text: text.count(" fedreports-read-ahead\n") == 2 * n)
    run([CORPUS], tmp_path / "w2", workers=2)
    assert_same_outputs(tmp_path / "w2", out1, version)
    ends = [line.split()[1:] for line in log.read_text().splitlines() if line.startswith("end ")]
    assert sorted(ends) == sorted([p.name, "fedreports-read-ahead"] for p in CORPUS.iterdir())  # each once


@pytest.mark.parametrize("how", ["hangs", "dies"])
def test_a_read_ahead_that_hangs_or_dies_on_a_file_costs_the_run_nothing(local_one, tmp_path, monkeypatch, how):
    """The read-ahead has no time limit of its own: a file that hangs it (or kills it) is not
    waited for; what it finished before is used, and the workers do the rest."""
    out1, _, version = local_one
    names = sorted(p.name for p in CORPUS.iterdir())
    log = tmp_path / "prepare.log"

    def misbehave(name, who):
        if who == "fedreports-read-ahead" and name == names[1]:
            time.sleep(120 if how == "hangs" else 1)  # (1 s: its sender thread has sent the first file)
            os.kill(os.getpid(), signal.SIGKILL)
    _log_prepare(monkeypatch, log, misbehave)
    _preload_after(monkeypatch, log, lambda text: f"start {names[1]} fedreports-read-ahead" in text)
    started = time.monotonic()
    run([CORPUS], tmp_path / "w2", workers=2)
    assert time.monotonic() - started < 60
    assert_same_outputs(tmp_path / "w2", out1, version)
    ends = sorted(line.split()[1:] for line in log.read_text().splitlines() if line.startswith("end "))
    assert ends == sorted([[names[0], "fedreports-read-ahead"]] + [[n, "fedreports-worker"] for n in names[1:]])
