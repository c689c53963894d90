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


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])  # 2: the database is built while the workers run
def test_killed_runs_resume_to_the_same_result(tmp_path, workers):
    src = make_corpus(tmp_path)
    fresh = tmp_path / "fresh"
    subprocess.run(fedreports("run", src, "--out", fresh, "--no-progress"), check=False, capture_output=True, timeout=300)
    expected = outputs(fresh)
    assert expected[0] and expected[1]

    out = tmp_path / "killed"
    kills = 0
    for delay in (0.8, 1.6, 2.4, 3.2, 4.0, 5.0):
        proc = subprocess.Popen(fedreports("run", src, "--out", out, "--no-progress", "--workers", workers),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            helpers = psutil.Process(proc.pid).children(recursive=True)  # workers, database builder
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
            # the run's helpers die with it: none is left waiting for ever
            gone, alive = psutil.wait_procs(helpers, timeout=10)
            assert all(p.status() == psutil.STATUS_ZOMBIE for p in alive), alive
        proc.wait(timeout=60)
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
    assert sorted(p.name for p in (out / ".fedreports").iterdir()) in (
        ["cache.sqlite", "index.jsonl"], ["cache.sqlite", "cache.sqlite-shm", "cache.sqlite-wal", "index.jsonl"])


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
