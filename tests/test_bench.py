"""A tiny benchmark run through the CLI: every figure is printed, and is a number."""
from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from conftest import CORPUS
from pipeline.bench import COLUMNS, BenchReport, JiebaReference, Measurement, parse_counts, print_report
from pipeline.cli import app

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def small_sources(root):
    """Short documents cut from the bundled corpus (a few real lines each), to keep the run quick."""
    src = root / "src"
    src.mkdir()
    for f in sorted(CORPUS.glob("*.txt")):
        lines = [l for l in f.read_text(encoding="utf-8").splitlines() if 40 < len(l.strip()) < 400][2:5]
        (src / f.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return src


def test_bench_prints_every_figure_as_a_number(tmp_path):
    work = tmp_path / "work"
    result = CliRunner().invoke(app, ["bench", "--docs", "12", "--workers", "1,2", "--source", str(small_sources(tmp_path)),
                                      "--work-dir", str(work), "--jieba-seconds", "0.2", "--repeat", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    jieba = next(l for l in lines if l.startswith("jieba.lcut reference"))
    assert float(re.search(r": ([\d.]+) MB/s", jieba).group(1)) > 0
    start = next(l for l in lines if l.startswith("start-up in a fresh process"))
    total = float(re.search(r": ([\d.]+) s to a loaded pipeline", start).group(1))
    # timed in three fresh processes; the figure is their median
    three = sorted(float(x) for x in re.search(r"median of ([\d./]+)$", start).group(1).split("/"))
    assert len(three) == 3 and abs(total - three[1]) < 0.006 and total > 0
    # with more than one worker: what the machine itself gives perfectly parallel work
    ceiling = next(l for l in lines if l.startswith("parallel ceiling of this machine"))
    trials = [float(x) for x in re.search(r"median of ([\d./]+)$", ceiling).group(1).split("/")]
    shown = float(re.search(r": ([\d.]+)x one process", ceiling).group(1))
    assert len(trials) == 3 and all(t > 0 for t in trials) and abs(shown - sorted(trials)[1]) < 0.006
    header = next(i for i, l in enumerate(lines) if l.split()[:2] == ["docs", "workers"])
    assert tuple(lines[header].split()) == COLUMNS
    for h in ("docs/s", "MB/s", "x_jieba", "peak_mem_MB", "rss_sum_MB", "startup_s", "read_s", "clean_s", "segment_s",
              "extract_s", "link_s", "index_s", "store_s"):
        assert h in COLUMNS
    rows = [dict(zip(COLUMNS, l.split())) for l in lines[header + 1:header + 3]]
    assert [(r["docs"], r["workers"]) for r in rows] == [("12", "1"), ("12", "2")]
    # every file is accounted for (a short cut-out may be cleaned away: counted as failed, not hidden)
    assert all(int(r["ok"]) + int(r["failed"]) == 12 and int(r["ok"]) >= 6 for r in rows)
    for r in rows:
        # two runs of each configuration; the row is the median one (of two, the slower)
        runs = [float(x) for x in r["runs"].split("/")]
        assert len(runs) == 2 and abs(float(r["wall_s"]) - max(runs)) < 0.051
        assert float(r["jieba_MB/s"]) > 0  # timed again beside the runs, their ratios are to it
        for k, v in r.items():
            if k not in ("engine", "runs"):
                assert NUMBER.match(v), (k, v)
        assert float(r["docs/s"]) > 0 and float(r["MB/s"]) > 0 and float(r["x_jieba"]) > 0
        assert float(r["segment_s"]) > 0 and 50 < float(r["peak_mem_MB"]) < 4000
        # shared pages count once in PSS, once per process in the RSS sum
        assert float(r["peak_mem_MB"]) <= float(r["rss_sum_MB"]) + 1
    assert rows[0]["speedup"] == "1.00" and float(rows[1]["speedup"]) > 0
    assert rows[0]["speedup_rounds"] == "1.00" and float(rows[1]["speedup_rounds"]) > 0
    assert all(float(r["x_jieba_rounds"]) > 0 for r in rows)
    assert not list(work.iterdir())  # corpora and outputs removed without --keep


def test_bench_json_rows():
    m = Measurement(docs=5, workers=1, engine="local", wall_s=2.0, bytes=10_000, ok=5, stages={"segment": 0.5},
                    docs_per_s=2.5, mb_per_s=0.005, x_jieba=0.5, speedup=1.0)
    report = BenchReport(2, 3, JiebaReference(5, 10_000, 1.0), {"imports": 0.1, "load": 1.0, "total": 1.1,
                                                                 "process": 1.4}, [m], {5: 10_000})
    lines = []
    print_report(report, as_json=True, echo=lines.append)
    [row] = [json.loads(l) for l in lines]
    assert row["docs_per_s"] == 2.5 and row["jieba_mb_per_s"] == 0.01 and row["stages"] == {"segment": 0.5}
    lines = []
    print_report(report, echo=lines.append)
    assert lines[1].startswith("jieba.lcut reference (default dictionary, HMM on): 0.010 MB/s, 5.0 docs/s")
    assert lines[-1].split()[:9] == ["5", "1", "local", "5", "0", "2.00", "2.5", "0.005", "0.50"]


def test_memory_of_a_process_tree_counts_shared_pages_once():
    """A forked child shares its parent's pages: the RSS sum counts them twice, PSS once."""
    import os
    import signal
    import time

    import psutil

    from pipeline.bench import _pss, _tree_memory

    block = bytearray(200 * 2**20)  # 200 MB, touched so that it is resident
    for i in range(0, len(block), 4096):
        block[i] = 1
    pid = os.fork()
    if pid == 0:  # the child only keeps the pages it shares
        time.sleep(30)
        os._exit(0)
    try:
        time.sleep(0.3)
        if _pss(os.getpid()) is None:
            import pytest
            pytest.skip("no /proc/<pid>/smaps_rollup on this system")
        pss, rss = _tree_memory(psutil.Process())
        assert rss > 2 * 200 * 2**20  # both processes have the block resident
        assert pss < rss - 150 * 2**20  # ... and it is one block of memory
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    del block


def test_counts_are_parsed_and_checked():
    assert parse_counts("1000, 10000") == [1000, 10000]
    for bad in ("", "0", "x"):
        try:
            parse_counts(bad)
        except SystemExit:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_median_of_an_even_number_is_the_cautious_middle():
    """The slower of the two middle runs and the faster of the two middle references: a
    ratio of a run to the reference is never flattered on both sides at once."""
    from pipeline.bench import _median
    assert _median([3.0, 1.0, 2.0], key=float) == 2.0
    walls = [34.0, 40.0, 36.0, 38.0]
    assert _median(walls, key=float) == 38.0  # the slower middle run
    refs = [JiebaReference(5, 300_000, 1.0), JiebaReference(5, 320_000, 1.0), JiebaReference(5, 280_000, 1.0),
            JiebaReference(5, 200_000, 1.0)]
    assert _median(refs, key=lambda r: r.mb_per_s).mb_per_s == 0.3  # the faster middle reference


def test_speedup_by_rounds_pairs_the_runs_of_each_round():
    """A machine that gets faster through the bench: the ratio of the medians mixes runs from
    its slow and its fast spells; the median of each round's ratio does not."""
    from pipeline.bench import _median, speedup_rounds

    def runs(*walls):
        return [Measurement(docs=10, workers=1, engine="local", wall_s=w, bytes=1) for w in walls]

    ones, twos = runs(250.0, 225.0, 205.0, 195.0, 185.0), runs(143.0, 134.0, 133.0, 114.0, 105.0)
    medians = _median(ones, key=lambda r: r.wall_s).wall_s / _median(twos, key=lambda r: r.wall_s).wall_s
    assert medians == 205.0 / 133.0  # 1.54: the ratio of the medians
    assert speedup_rounds(ones, twos) == 195.0 / 114.0  # the middle of 1.75, 1.68, 1.54, 1.71, 1.76
    assert speedup_rounds(runs(20.0, 30.0), runs(10.0, 20.0)) == 1.5  # of two, the lower (cautious) one
    assert speedup_rounds([], []) is None


def test_the_memory_sampler_thread_alone_runs_at_the_lowest_priority():
    """Reading five processes' PSS every 0.2 s took ~9% of a core from a two-worker run that
    keeps both cores busy (and nothing from a one-worker run): the sampler thread is niced,
    the bench's other threads are not."""
    import os
    import threading

    from pipeline.bench import _lowest_priority
    seen = {}

    def sampler():
        _lowest_priority()
        seen["sampler"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    t = threading.Thread(target=sampler)
    t.start()
    t.join()
    assert seen["sampler"] == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_ratio_to_jieba_by_rounds_pairs_each_run_with_the_reference_before_it():
    """A machine that slows down through the bench: the median run and the median reference
    come from different spells; each round's run over the reference timed just before it do not."""
    from pipeline.bench import x_jieba_rounds

    def runs(*mb_per_s):
        return [Measurement(docs=10, workers=1, engine="local", wall_s=1.0, bytes=1, mb_per_s=x) for x in mb_per_s]

    def refs(*mb_per_s):
        return [JiebaReference(5, round(x * 1e6), 1.0) for x in mb_per_s]

    taken, before = runs(0.40, 0.38, 0.33, 0.31, 0.30), refs(0.76, 0.72, 0.60, 0.57, 0.56)
    # the ratio of the medians: 0.33 / 0.60 = 0.55; by rounds 0.526, 0.528, 0.55, 0.544, 0.536
    assert x_jieba_rounds(taken, before) == 0.30 / 0.56
    assert x_jieba_rounds(runs(0.3, 0.5), refs(0.6, 0.5)) == 0.5  # of two (0.5, 1.0), the lower
    assert x_jieba_rounds(runs(0.3, 0.2), refs(0.6)) == 0.2 / 0.6  # one reference for every round: its lower
    assert x_jieba_rounds([], refs(0.6)) is None


def test_parallel_ceiling_times_one_process_against_n_at_once(monkeypatch):
    """Each trial times one process alone, then N at once doing the same work each; the
    speed-up is N x one / N-at-once, and the figure the median trial."""
    from pipeline import bench as b

    walls = iter([10.0, 12.5, 10.0, 11.0, 10.0, 16.0])  # one, two at once; three trials
    calls = []

    def at_once(texts, passes, processes):
        calls.append((passes, processes))
        return next(walls), []

    monkeypatch.setattr(b, "_segment_at_once", at_once)
    got = b.parallel_ceiling(["妇联"], 2, seconds=5.0, mb_per_s=0.5, size=250_000)
    assert calls == [(10, 1), (10, 2)] * 3  # 10 passes of 0.25 MB at 0.5 MB/s: about 5 s alone
    assert got["trials"] == [1.6, 20.0 / 11.0, 1.25] and got["speedup"] == 1.6


def test_segmenting_at_once_runs_the_processes_together():
    """The processes of the parallel ceiling load jieba, then start together: each starts
    before any has finished (real processes, each ~0.1 s of work)."""
    from pipeline.bench import _segment_at_once

    texts = ["全国妇联推广“巧媳妇”工程，带动2.6万余名妇女就业增收。" * 20] * 5
    wall, spans = _segment_at_once(texts, 4, 2)
    assert len(spans) == 2 and all(end > start and cpu > 0 for start, end, cpu in spans)
    assert max(start for start, _, _ in spans) < min(end for _, end, _ in spans)
    assert wall == max(end for _, end, _ in spans) - min(start for start, _, _ in spans)


def test_a_parallel_process_that_dies_ends_the_ceiling_with_an_error_not_a_hang(monkeypatch):
    import os
    import threading

    from pipeline import bench as b

    def dies(texts, passes, barrier, conn):
        os._exit(3)

    monkeypatch.setattr(b, "_parallel_worker", dies)
    monkeypatch.setattr(b, "PARALLEL_WAIT_S", 1.0)
    with pytest.raises((threading.BrokenBarrierError, EOFError)):
        b._segment_at_once(["妇联"], 1, 2)
    lines = b.header_lines(2, 3, JiebaReference(5, 10_000, 1.0), {"imports": 0.1, "load": 1.0, "total": 1.1,
                                                                  "process": 1.4}, {5: 10_000},
                           {"processes": 2, "error": "BrokenBarrierError"})
    assert "parallel ceiling of this machine: not measured (BrokenBarrierError)" in lines
