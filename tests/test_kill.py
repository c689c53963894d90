"""Kill a real `fedreports run` with SIGKILL at several moments, re-run it, and check the
result equals an uninterrupted run: same documents, same manifest, same database rows."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import CORPUS, DEV_DOCS, outputs


def make_corpus(root: Path, copies: int = 3) -> Path:
    src = root / "in"
    src.mkdir()
    files = sorted(CORPUS.glob("*.txt")) + (sorted(DEV_DOCS.glob("*.txt")) if DEV_DOCS.is_dir() else [])
    for k in range(copies):
        for f in files:
            shutil.copy(f, src / f"{k:02d}_{f.name}")
    return src


def fedreports(*args) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", *map(str, args)]


def _stored(out: Path) -> int:
    """Results in the run's cache so far (0 before it exists)."""
    import sqlite3
    db = out / ".fedreports" / "cache.sqlite"
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(db, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM results").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # being created: no results yet
        return 0


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])  # 2: the database is built while the workers run
def test_killed_runs_resume_to_the_same_result(tmp_path, workers):
    src = make_corpus(tmp_path, copies=6)
    fresh = tmp_path / "fresh"
    subprocess.run(fedreports("run", src, "--out", fresh, "--no-progress"), check=False, capture_output=True, timeout=300)
    expected = outputs(fresh)
    assert expected[0] and expected[1]

    out = tmp_path / "killed"
    kills = 0
    # killed by progress, not after fixed delays (on a fast machine the resumed runs finished
    # before the later delays came): the first run in its start-up, each later one once it has
    # committed a sixth of the files more than the runs before it left (it commits every
    # `COMMIT_EVERY_S`; one that commits the last results is killed while it writes the
    # outputs), until a run finishes
    step = len(list(src.iterdir())) // 6
    for attempt in range(8):
        before, started = _stored(out), time.monotonic()
        proc = subprocess.Popen(fedreports("run", src, "--out", out, "--no-progress", "--workers", workers),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None:
            waited = time.monotonic() - started
            if (attempt == 0 and waited > 0.3) or _stored(out) >= before + step:
                break
            if waited > 120:
                proc.kill()
                pytest.fail(f"run {attempt + 1} stored nothing new in 120 s")
            time.sleep(0.01)
        if proc.poll() is None:
            helpers = psutil.Process(proc.pid).children(recursive=True)  # workers, database builder
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
            # the run's helpers die with it: none is left waiting for ever
            gone, alive = psutil.wait_procs(helpers, timeout=10)
            assert all(p.status() == psutil.STATUS_ZOMBIE for p in alive), alive
        if proc.wait(timeout=60) == 0:
            break
    assert kills >= 2, "the runs finished before they could be killed; raise the corpus size"
    done = subprocess.run(fedreports("run", src, "--out", out, "--no-progress", "--workers", workers),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    got = outputs(out)
    assert got[0] == expected[0], "documents.jsonl differs from an uninterrupted run"
    assert got[1] == expected[1], "manifest.jsonl differs from an uninterrupted run"
    assert got[2] == expected[2], "practices.db rows differ from an uninterrupted run"
    assert sorted(p.name for p in out.iterdir()) == [".fedreports", "documents.jsonl", "manifest.jsonl", "practices.db"], \
        "temporary files left behind"
    assert sorted(p.name for p in (out / ".fedreports").iterdir()) == ["cache.sqlite", "index.jsonl"]


def test_temp_files_of_killed_writers_are_removed_by_the_next_run(tmp_path):
    """What a SIGKILL can leave: an output's temp file and the store's building files."""
    from pipeline.run import run

    out = tmp_path / "out"
    (out / ".fedreports").mkdir(parents=True)
    dead = 2 ** 22 + 12345  # above the default pid_max: no such process
    left = [out / f"documents.jsonl.tmp{dead}", out / f"manifest.jsonl.tmp{dead}", out / f"practices.db.tmp{dead}",
            out / f".practices.db.tmp{dead}.{dead}.building", out / f".practices.db.{dead}.building-journal",
            out / ".fedreports" / f"index.jsonl.tmp{dead}"]
    for f in left:
        f.write_text("half written")
    run([next(CORPUS.glob("004_*.txt"))], out)
    assert not [f for f in left if f.exists()]
    assert sorted(p.name for p in out.iterdir()) == [".fedreports", "documents.jsonl", "manifest.jsonl", "practices.db"]
