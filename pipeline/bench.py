"""Benchmark: the whole `run` job against bare jieba segmentation of the same text.

    python -m pipeline.bench --docs 1000,10000 --workers 1,2
    fedreports bench --docs 1000 --workers 1,2

For each corpus size it builds a corpus of that many files by copying the sample and dev
documents under distinct names (round robin), then for each configuration runs the whole
pipeline (read, clean, segment, extract, link, store) in a fresh process into a fresh
output folder and prints one table row: documents/s, MB/s, the ratio to bare jieba
(the headline figure), the speed-up over one worker, peak memory of the whole process
tree (the run, its workers and read-ahead helper, sampled every 0.2 s at the lowest CPU
priority, see `measure`), pipeline start-up, and seconds per
stage (summed over workers, so they exceed the wall time when workers run in parallel).
`cpu_s` is the CPU time of the run and its workers, and `x_jieba_cpu` the ratio to jieba in
CPU time: on a machine shared with other work it moves much less than the wall-clock ratio.
`--repeat N` runs every configuration of a corpus N times, the configurations taking turns
(1 worker, 2 workers, 1 worker, ...), so that a slow spell of a shared machine falls on all
of them alike; the row shown is the run with the median wall time, `runs` lists every
run's wall time, and `speedup` compares medians. The jieba reference is then timed again
before every round, and a row's ratios are to the median of its corpus's rounds
(`jieba_MB/s` in the row). Of an even number the median is the cautious middle one: the
slower run and the faster reference. `x_jieba_rounds` and `speedup_rounds` pair the runs of
each round instead (a run with the reference timed just before it, a run with the one-worker
run of its round) and take the median of those ratios (of an even number, the lower one).

With more than one worker, a header line gives the machine's parallel ceiling: bare jieba in
N processes at once, each doing what one process does alone, against one process alone (three
trials taking turns, the median): the speed-up the machine itself gives perfectly parallel
work (a VM's cores may share a physical core, its clock may drop when both are busy). On a
steady machine it bounds what N workers, with their serial part, can reach.

The jieba reference is `jieba.lcut` (default dictionary, HMM on, dictionary loaded before
timing) over the reader's text of the same corpus files, in order, for at least
`--jieba-seconds` (and at least one copy of every distinct source file), in MB of input
file per second. Throughput figures are end to end: from starting the process to its exit.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Optional

# the run's stages, as RunSummary.timings names them; `index` = the full-text words of each
# practice, computed beside the extraction (pipeline.store.fts_index)
STAGES = ("read", "clean", "segment", "extract", "link", "index", "assemble", "store")
ROOT = Path(__file__).resolve().parent.parent


def default_sources() -> list[Path]:
    """The bundled sample corpus, plus the shared dev documents when they are present."""
    shared = Path(os.environ.get("FEDREPORTS_SHARED", ROOT.parent / "shared"))
    return [p for p in (ROOT / "corpus", shared / "dev" / "docs") if p.is_dir()]


def source_files(sources: list[Path]) -> list[Path]:
    files: list[Path] = []
    for s in sources:
        files += sorted(p for p in Path(s).rglob("*") if p.is_file()) if Path(s).is_dir() else [Path(s)]
    if not files:
        raise SystemExit(f"no source documents in {', '.join(map(str, sources)) or '(none)'}")
    return files


def build_corpus(files: list[Path], docs: int, folder: Path) -> int:
    """Copy `files` round robin into `folder` as `docs` files with distinct names (1,000 per
    subfolder); returns the corpus size in bytes. A complete corpus left by --keep is reused."""
    marker = folder.with_name(folder.name + ".complete")  # outside the corpus: not an input file
    if marker.exists() and marker.read_text() == str(docs) and folder.is_dir():
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    shutil.rmtree(folder, ignore_errors=True)
    total = 0
    for i in range(docs):
        src = files[i % len(files)]
        dst = folder / f"{i // 1000:03d}" / f"{i:06d}_{src.name}"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        total += src.stat().st_size
    marker.write_text(str(docs))
    return total


def corpus_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@dataclass
class JiebaReference:
    files: int
    bytes: int
    seconds: float
    cpu_seconds: float = 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0

    @property
    def docs_per_s(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0

    @property
    def mb_per_cpu_s(self) -> float:
        return self.bytes / 1e6 / self.cpu_seconds if self.cpu_seconds else 0.0


def _bare_jieba():
    """jieba itself (the reference), its default dictionary loaded, quietly."""
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _readable(files: list[Path]) -> Iterator[tuple[Path, str]]:
    """(path, the reader's text) of those of `files` the readers can read, in order, streaming."""
    from pipeline.readers import ReadError, read_file
    for path in files:
        try:
            yield path, read_file(path).text
        except ReadError:
            continue


def jieba_reference(files: list[Path], seconds: float, distinct: int) -> JiebaReference:
    """Time `jieba.lcut` (default dictionary, HMM on) over the reader's text of `files` in
    order, streaming, until `seconds` have been spent and at least `distinct` files are done."""
    jieba = _bare_jieba()
    done = size = 0
    spent = cpu = 0.0
    for path, text in _readable(files):
        t0, c0 = time.perf_counter(), time.process_time()
        jieba.lcut(text, HMM=True)
        spent += time.perf_counter() - t0
        cpu += time.process_time() - c0
        done += 1
        size += path.stat().st_size
        if spent >= seconds and done >= distinct:
            break
    return JiebaReference(done, size, spent, cpu)


PARALLEL_TRIALS = 3  # pairs of (one process, N processes) timed for the parallel ceiling
PARALLEL_WAIT_S = 120.0  # for the processes to load jieba; one that has not by then has failed


def _parallel_worker(texts: list[str], passes: int, barrier, conn) -> None:
    """One process of `parallel_ceiling`: load jieba, wait for the others, segment `texts`
    `passes` times; sends back when it started and ended (`time.perf_counter`, the system's
    monotonic clock on Linux, the same in every process) and its CPU seconds."""
    jieba = _bare_jieba()
    barrier.wait(PARALLEL_WAIT_S)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(passes):
        for text in texts:
            jieba.lcut(text, HMM=True)
    conn.send((t0, time.perf_counter(), time.process_time() - c0))
    conn.close()


def _segment_at_once(texts: list[str], passes: int, processes: int) -> tuple[float, list[tuple[float, float, float]]]:
    """Wall seconds for `processes` processes, started together, to segment `texts` `passes`
    times each (from the first start after all have loaded jieba to the last end, on the
    processes' own clocks: this process wakes from the barrier and reads the pipes a little
    later than they start and end), and each process's (start, end, CPU seconds)."""
    from pipeline.engines import _context
    ctx = _context()  # the workers' start method: fork where there is one
    barrier = ctx.Barrier(processes + 1)
    pipes = [ctx.Pipe(duplex=False) for _ in range(processes)]
    procs = [ctx.Process(target=_parallel_worker, args=(texts, passes, barrier, w), daemon=True) for _, w in pipes]
    try:
        for proc in procs:
            proc.start()
        for _, w in pipes:
            w.close()  # the children hold them: one that dies ends its pipe (EOFError below)
        barrier.wait(PARALLEL_WAIT_S)
        spans = [r.recv() for r, _ in pipes]
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for r, _ in pipes:
            r.close()
    return max(end for _, end, _ in spans) - min(start for start, _, _ in spans), spans


def parallel_ceiling(texts: list[str], processes: int, seconds: float, mb_per_s: float, size: int,
                     trials: int = PARALLEL_TRIALS) -> dict:
    """The machine's own speed-up on perfectly parallel work: bare jieba in `processes`
    processes at once, each doing what one process does alone (`texts`, `size` bytes of
    input, over as many passes as take one process about `seconds` at `mb_per_s`), against
    one process alone; `trials` pairs taking turns. On a steady machine it bounds the speed-up
    of N workers, which also have a serial part; on a shared one it moves from minute to
    minute like every other figure. Returns the median ratio (of an even number, the lower)
    and every trial's."""
    passes = max(1, round(seconds * mb_per_s * 1e6 / size)) if size and mb_per_s else 1
    ratios = []
    for _ in range(max(1, trials)):
        one = _segment_at_once(texts, passes, 1)[0]
        many = _segment_at_once(texts, passes, processes)[0]
        ratios.append(processes * one / many if many else 0.0)
    return {"processes": processes, "speedup": _lower_median(ratios), "trials": ratios,
            "seconds_one": one, "passes": passes}


@dataclass
class Measurement:
    docs: int
    workers: int
    engine: str
    wall_s: float
    bytes: int
    ok: int = 0
    failed: int = 0
    articles: int = 0
    startup_s: float = 0.0
    peak_mem_mb: float = 0.0  # peak of the tree's summed PSS (RSS where the system has no PSS)
    peak_rss_mb: float = 0.0  # peak of the tree's summed RSS: counts pages the processes share once per process
    load1: float = 0.0
    stages: dict = field(default_factory=dict)
    cpu_s: float = 0.0  # CPU seconds (user + system) of the run and all its workers
    runs: list = field(default_factory=list)  # wall seconds of every run of this configuration (--repeat)
    jieba_mb_per_s: float = 0.0  # the reference this row's ratios are to
    docs_per_s: float = 0.0
    mb_per_s: float = 0.0
    x_jieba: float = 0.0
    x_jieba_cpu: float = 0.0  # the same ratio in CPU time: much less moved by other load on the machine
    # the median over rounds (--repeat) of this configuration's MB/s over the jieba reference
    # timed just before it in the same round: the ratio of two measurements a minute apart,
    # not of two medians taken across a long bench on a machine whose speed drifts
    x_jieba_rounds: Optional[float] = None
    speedup: Optional[float] = None
    # the median over rounds (--repeat) of the one-worker run's wall time over this
    # configuration's in the same round: the two runs of a round are minutes apart, so a
    # machine that drifts faster or slower over a long bench moves both alike
    speedup_rounds: Optional[float] = None


def _pss(pid: int) -> Optional[int]:
    """Proportional set size of a process in bytes (Linux): its private pages plus its share
    of the pages it shares, so that the PSS of processes add up to the memory they use.
    None where the system does not say."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _tree_memory(proc) -> tuple[int, int]:
    """(summed PSS, summed RSS) of a process and all its descendants. Worker processes are
    forked with the pipeline loaded and share its pages with the run until they write them:
    summed RSS counts those pages once per process, summed PSS once in all (a process whose
    PSS cannot be read counts with its RSS)."""
    import psutil
    pss = rss = 0
    try:
        members = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0, 0
    for p in members:
        try:
            r = p.memory_info().rss
        except psutil.Error:
            continue
        rss += r
        share = _pss(p.pid)
        pss += r if share is None else share
    return pss, rss


def measure(corpus: Path, out: Path, docs: int, size: int, workers: int, engine: str) -> Measurement:
    """Run the pipeline on `corpus` in a fresh process into a fresh `out`; sample the memory
    of that process and all its descendants (summed, see `_tree_memory`) every 0.2 s.

    The sampler thread runs at the lowest CPU priority (nice 19, Linux): reading the PSS of
    five processes takes ~20 ms, and at full priority it took 1.6-2.0 s of CPU from a 19 s
    two-worker run of 1,000 documents (~9% of a core, on a machine whose two cores the run
    keeps busy), while a one-worker run leaves it a core of its own: it made two workers
    look slower than they are. At nice 19 it takes what the run leaves, and gets a little
    over 1% of a core when the run takes everything; memory plateaus, so fewer samples then
    find the same peak."""
    import psutil

    shutil.rmtree(out, ignore_errors=True)
    load1 = os.getloadavg()[0]
    cmd = [sys.executable, "-m", "pipeline.bench", "--measure", str(corpus), str(out), str(workers), engine]
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = peak_rss = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_rss
        _lowest_priority()
        proc = psutil.Process(child.pid)
        while not stop.is_set():
            pss, rss = _tree_memory(proc)
            peak, peak_rss = max(peak, pss), max(peak_rss, rss)
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the child and every descendant it waited for
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if child.returncode not in (0, 3):
        raise RuntimeError(f"benchmark run failed ({child.returncode}): {stderr.strip()[-2000:]}")
    res = json.loads(stdout.strip().splitlines()[-1])
    m = Measurement(docs=docs, workers=workers, engine=engine, wall_s=wall, bytes=size, ok=res["ok"],
                    failed=res["failed"], articles=res["articles"], startup_s=res["startup"],
                    peak_mem_mb=peak / 2**20, peak_rss_mb=peak_rss / 2**20, load1=load1, stages={s: res["timings"].get(s, 0.0) for s in STAGES},
                    cpu_s=cpu)
    m.docs_per_s = docs / wall
    m.mb_per_s = size / 1e6 / wall
    return m


def _lowest_priority() -> None:
    """Nice 19 for the calling thread only (Linux: a thread is a task of its own)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):  # elsewhere it samples at the ordinary priority
        pass


def _measure_child(corpus: str, out: str, workers: str, engine: str) -> None:
    """`--measure`: one run; prints its summary as one JSON line."""
    from pipeline.run import run
    from pipeline.settings import Settings

    s = run([Path(corpus)], Path(out), Settings.from_env(), workers=int(workers), engine=engine)
    print(json.dumps({"ok": s.ok + s.partial, "failed": s.failed, "articles": s.articles, "startup": s.startup,
                      "timings": dict(s.timings), "seconds": s.seconds}))
    sys.exit(s.exit_code)


def _startup_child() -> None:
    """`--startup`: load the pipeline in a fresh process; prints the seconds as JSON."""
    t0 = time.perf_counter()
    from pipeline.run import Processor
    imported = time.perf_counter()
    p = Processor()
    print(json.dumps({"imports": imported - t0, "load": p.load_seconds, "total": time.perf_counter() - t0}))


STARTUP_RUNS = 3  # fresh processes timed for the start-up figure (one is at the mercy of a slow second)


def startup(runs: int = STARTUP_RUNS) -> dict:
    """Pipeline start-up in fresh processes (caches as they are), the median of `runs` by the
    time to a loaded pipeline: seconds to import and load, `process` = from starting the
    interpreter to a loaded pipeline, and `runs` = every run's time to a loaded pipeline."""
    times = []
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "pipeline.bench", "--startup"], capture_output=True, text=True,
                             check=True)
        out = json.loads(res.stdout.strip().splitlines()[-1])
        out["process"] = time.perf_counter() - t0
        times.append(out)
    middle = dict(_median(times, key=lambda t: t["total"]))
    middle["runs"] = [t["total"] for t in times]
    return middle


@dataclass
class BenchReport:
    cpus: int
    sources: int
    jieba: JiebaReference
    startup: dict
    rows: list[Measurement]
    corpus_bytes: dict
    parallel: Optional[dict] = None  # `parallel_ceiling` for the largest worker count above one


def bench(docs: list[int], workers: list[int], engine: str = "local", sources: Optional[list[Path]] = None,
          work_dir: Optional[Path] = None, keep: bool = False, jieba_seconds: float = 10.0,
          echo=None, repeat: int = 1) -> BenchReport:
    """Build corpora of each size in `docs`, run every `workers` count on each (`repeat` times,
    taking turns; the median run is kept); returns the report. echo, when given, is called
    with each line of the table as soon as it is known."""
    files = source_files(sources or default_sources())
    made = work_dir is None
    work = Path(work_dir or tempfile.mkdtemp(prefix="fedreports-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[Measurement] = []
    sizes: dict[int, int] = {}
    try:
        corpora = {}
        for n in sorted(set(docs)):
            corpora[n] = work / f"corpus-{n}"
            sizes[n] = build_corpus(files, n, corpora[n])
        biggest = corpora[max(corpora)]
        ref = jieba_reference(corpus_files(biggest), jieba_seconds, min(len(files), max(corpora)))
        start = startup()
        parallel = None
        if max(workers) > 1:
            readable = list(_readable(corpus_files(biggest)[:len(files)]))
            try:
                parallel = parallel_ceiling([text for _, text in readable], max(workers), jieba_seconds / 2,
                                            ref.mb_per_s, sum(path.stat().st_size for path, _ in readable))
            except (OSError, EOFError, threading.BrokenBarrierError) as e:  # a context line, not worth the bench
                parallel = {"processes": max(workers), "error": f"{type(e).__name__}: {e}".rstrip(": ")}
        if echo:
            for line in header_lines(os.cpu_count() or 1, len(files), ref, start, sizes, parallel):
                echo(line)
        for n in docs:
            runs: dict[int, list[Measurement]] = {w: [] for w in workers}
            refs = [ref]
            for _ in range(max(1, repeat)):
                if repeat > 1:  # the reference, too, in the same spell as the runs
                    refs.append(jieba_reference(corpus_files(biggest), jieba_seconds, min(len(files), max(corpora))))
                for w in runs:
                    runs[w].append(measure(corpora[n], work / f"out-{n}-w{w}-{engine}", n, sizes[n], w, engine))
                    if not keep:
                        shutil.rmtree(work / f"out-{n}-w{w}-{engine}", ignore_errors=True)
            one = None
            here = _median(refs[1:] or refs, key=lambda r: r.mb_per_s)
            for w, taken in runs.items():
                m = _median(taken, key=lambda r: r.wall_s)
                m.runs = [round(r.wall_s, 2) for r in taken]
                m.jieba_mb_per_s = here.mb_per_s
                m.x_jieba = m.mb_per_s / here.mb_per_s if here.mb_per_s else 0.0
                m.x_jieba_cpu = (m.bytes / 1e6 / m.cpu_s) / here.mb_per_cpu_s if m.cpu_s and here.mb_per_cpu_s else 0.0
                m.x_jieba_rounds = x_jieba_rounds(taken, refs[1:] or refs)
                if w == 1:
                    one = m
                if one is not None:
                    m.speedup = one.wall_s / m.wall_s
                    m.speedup_rounds = speedup_rounds(runs[1], taken)
                rows.append(m)
                if echo:
                    echo(_line(row_cells(m)))
    finally:
        if not keep:
            if made:
                shutil.rmtree(work, ignore_errors=True)
            else:
                for n in set(docs):
                    shutil.rmtree(work / f"corpus-{n}", ignore_errors=True)
                    (work / f"corpus-{n}.complete").unlink(missing_ok=True)
    return BenchReport(os.cpu_count() or 1, len(files), ref, start, rows, sizes, parallel)


def speedup_rounds(ones: list, taken: list) -> Optional[float]:
    """The median over rounds of (one-worker wall time / this configuration's wall time), the
    runs of round k being ones[k] and taken[k]; of an even number, the lower middle one."""
    ratios = [a.wall_s / b.wall_s for a, b in zip(ones, taken) if b.wall_s]
    return _lower_median(ratios) if ratios else None


def x_jieba_rounds(taken: list, refs: list) -> Optional[float]:
    """The median over rounds of (run's MB/s / the jieba reference's MB/s), the run of round k
    being taken[k] and its reference refs[k] (timed just before the round's runs); one
    reference for all when there is one; of an even number, the lower middle one."""
    refs = refs * len(taken) if len(refs) == 1 else refs
    ratios = [m.mb_per_s / r.mb_per_s for m, r in zip(taken, refs) if r.mb_per_s]
    return _lower_median(ratios) if ratios else None


def _lower_median(ratios: list[float]) -> float:
    """The middle ratio; of an even number, the lower (cautious) one."""
    return _median(ratios, key=lambda r: -r)


def _median(items: list, key):
    """The middle item by `key`; of an even number, the upper middle one, which is the
    cautious choice for both uses: the slower of two middle runs (by wall time) and the
    faster of two middle jieba references (by MB/s), never a ratio flattered both ways."""
    return sorted(items, key=key)[len(items) // 2]


COLUMNS = ("docs", "workers", "engine", "ok", "failed", "wall_s", "docs/s", "MB/s", "x_jieba", "x_jieba_rounds", "speedup",
           "speedup_rounds", "cpu_s",
           "x_jieba_cpu",
           "peak_mem_MB", "rss_sum_MB", "startup_s") + tuple(f"{s}_s" for s in STAGES) + ("load1", "jieba_MB/s", "runs")


def row_cells(m: Measurement) -> list[str]:
    return [str(m.docs), str(m.workers), m.engine, str(m.ok), str(m.failed), f"{m.wall_s:.2f}", f"{m.docs_per_s:.1f}",
            f"{m.mb_per_s:.3f}", f"{m.x_jieba:.2f}", "-" if m.x_jieba_rounds is None else f"{m.x_jieba_rounds:.2f}",
            "-" if m.speedup is None else f"{m.speedup:.2f}",
            "-" if m.speedup_rounds is None else f"{m.speedup_rounds:.2f}", f"{m.cpu_s:.1f}",
            f"{m.x_jieba_cpu:.2f}",
            f"{m.peak_mem_mb:.0f}", f"{m.peak_rss_mb:.0f}", f"{m.startup_s:.2f}"] + [f"{m.stages.get(s, 0.0):.2f}" for s in STAGES] + \
           [f"{m.load1:.2f}", f"{m.jieba_mb_per_s:.3f}", "/".join(f"{w:.1f}" for w in (m.runs or [m.wall_s]))]


def _line(cells) -> str:
    return "  ".join(f"{c:>{max(len(h), 7)}}" for c, h in zip(cells, COLUMNS))


def header_lines(report_cpus: int, sources: int, ref: JiebaReference, start: dict, sizes: dict,
                 parallel: Optional[dict] = None) -> list[str]:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    corpora = ", ".join(f"{n} docs = {b / 1e6:.1f} MB" for n, b in sorted(sizes.items()))
    return [
        f"fedreports bench: {report_cpus} CPUs, load average {load}; corpora from {sources} source files: {corpora}",
        f"jieba.lcut reference (default dictionary, HMM on): {ref.mb_per_s:.3f} MB/s, {ref.docs_per_s:.1f} docs/s "
        f"({ref.files} files, {ref.bytes / 1e6:.2f} MB in {ref.seconds:.2f} s; {ref.mb_per_cpu_s:.3f} MB per CPU second)",
        f"start-up in a fresh process: {start['total']:.2f} s to a loaded pipeline (imports {start['imports']:.2f} s, "
        f"dictionaries and components {start['load']:.2f} s); {start['process']:.2f} s with interpreter start"
        + (f"; median of {'/'.join(f'{t:.2f}' for t in start['runs'])}" if len(start.get("runs", ())) > 1 else ""),
    ] + ([
        f"parallel ceiling of this machine: not measured ({parallel['error']})" if "error" in parallel else
        f"parallel ceiling of this machine: bare jieba in {parallel['processes']} processes at once, each doing the work "
        f"of one alone ({parallel['seconds_one']:.1f} s): {parallel['speedup']:.2f}x one process; median of "
        + "/".join(f"{r:.2f}" for r in parallel["trials"])
    ] if parallel else []) + [
        _line(COLUMNS),
    ]


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--measure"]:
        _measure_child(*argv[1:5])
        return 0
    if argv[:1] == ["--startup"]:
        _startup_child()
        return 0
    ap = argparse.ArgumentParser(prog="python -m pipeline.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", default="1000", help="corpus sizes, comma-separated (default 1000)")
    ap.add_argument("--workers", default="1", help="worker counts, comma-separated (default 1)")
    ap.add_argument("--engine", default="local", choices=("local", "dask"))
    ap.add_argument("--source", action="append", type=Path, help="folder of documents to copy (repeatable)")
    ap.add_argument("--work-dir", type=Path, help="where corpora and outputs go (default: a new temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep corpora and outputs")
    ap.add_argument("--jieba-seconds", type=float, default=10.0, help="minimum seconds of jieba reference timing")
    ap.add_argument("--repeat", type=int, default=1, help="runs of every configuration, taking turns; the median is shown")
    ap.add_argument("--json", action="store_true", help="print one JSON object per row instead of the table")
    a = ap.parse_args(argv)
    report = bench(parse_counts(a.docs), parse_counts(a.workers), a.engine, a.source, a.work_dir, a.keep, a.jieba_seconds,
                   echo=None if a.json else lambda line: print(line, flush=True), repeat=max(1, a.repeat))
    if a.json:
        print_report(report, as_json=True)
    return 0


def print_report(report: BenchReport, as_json: bool = False, echo=print) -> None:
    if as_json:
        for m in report.rows:
            echo(json.dumps({**asdict(m), "jieba_mb_per_s": m.jieba_mb_per_s or report.jieba.mb_per_s,
                             "startup": report.startup, "parallel_ceiling": report.parallel}))
        return
    for line in header_lines(report.cpus, report.sources, report.jieba, report.startup, report.corpus_bytes,
                             report.parallel):
        echo(line)
    for m in report.rows:
        echo(_line(row_cells(m)))


def parse_counts(text: str) -> list[int]:
    try:
        values = [int(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"expected comma-separated numbers, got {text!r}") from None
    if not values or min(values) < 1:
        raise SystemExit(f"expected numbers of at least 1, got {text!r}")
    return values


if __name__ == "__main__":
    sys.exit(main())
