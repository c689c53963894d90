"""Execution engines for the extraction: in this process, in worker processes, or on Dask.

`execute(todo, settings, workers, engine)` yields one FileResult per (path, sha256): in input
order from one worker and from Dask, as they finish from worker processes. The run caches
them by source and assembles the outputs in source order, so every engine writes the same.

- local, one worker: the files run in this process (the fast path; no per-file time limit,
  unless `Settings.isolate` is 1).
- local, two or more workers (or isolate=1): worker processes, supervised from a thread of
  the run while the run writes the outputs from their results. Where processes
  are forked (Linux), the pipeline is loaded once here and the workers start with it, while
  a helper process reads and cleans the first files on another core (`_ReadAhead`);
  elsewhere each worker loads it once. A file that runs longer than `Settings.file_timeout_s` has its worker
  killed and replaced and is reported failed, "timed out after N s"; a worker that dies
  (a crash in a C extension, the OOM killer) costs its one file, reported failed too.
- dask: a Dask bag over a `distributed` cluster (`scheduler` address, or a LocalCluster of
  `workers` processes); every worker process loads the pipeline once and keeps it.

`write_parquet(documents_jsonl, folder)` writes the articles as Parquet partitions.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import threading
import time
import types
import typing
from collections import deque
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import wait
from pathlib import Path
from typing import Iterator, Optional

from pipeline.settings import Settings

Todo = list[tuple[Path, str]]


def execute(todo: Todo, settings: Settings, workers: int = 1, engine: str = "local",
            scheduler: Optional[str] = None) -> Iterator:
    """Process (path, sha256) pairs; yields one FileResult for each."""
    if engine == "dask":
        yield from _dask(todo, settings, workers, scheduler)
        return
    if engine != "local":
        raise ValueError(f"unknown engine {engine!r}; choose local or dask")
    if not todo:
        return
    if in_process(settings, workers, engine):
        from pipeline.run import process_file
        for path, sha in todo:
            yield process_file(path, settings, sha)
        return
    yield from _supervised(todo, settings, max(1, workers))


def in_process(settings: Settings, workers: int = 1, engine: str = "local") -> bool:
    """Does `execute` run the files in this process (one local worker, not isolated)?"""
    return engine == "local" and workers <= 1 and not settings.isolate


# ---------------------------------------------------------------- supervised worker processes

def _context():
    # fork: a worker starts with what the parent imported (and, in tests, patched)
    return mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()


def die_with_parent() -> None:
    """Linux: have the kernel kill this process when the run that forked it dies. A run killed
    with SIGKILL cannot stop its helpers, and a worker blocked sending a result down a pipe
    that a sibling (forked later) still holds open would otherwise wait for ever."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the helpers' own parent checks remain
        pass


def _worker_main(conn, settings: Settings, parent: int) -> None:
    """A worker process: load the pipeline once, then process files sent by the parent."""
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above took effect
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    from pipeline import run
    try:
        run.processor(settings)
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which stops the run
        conn.send(("error", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", None))
    while True:
        while not conn.poll(1.0):
            if os.getppid() != parent:  # the parent was killed: stop
                return
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        index, path, sha, prepared = msg
        try:
            result = run.process_file(path, settings, sha, prepared)
        except Exception as e:  # noqa: BLE001 - Processor catches stage errors; this is a last guard
            result = run.failed_result(str(path), f"pipeline error: {type(e).__name__}: {str(e)[:160]}", sha)
        try:
            conn.send((index, result))
        except (BrokenPipeError, OSError):
            return


@dataclass
class _Task:
    index: int
    path: Path
    sha: str
    deadline: float
    prepared: object = None  # the file read and cleaned ahead (run.Prepared), or None


class _Worker:
    """A worker process and the tasks it holds, in order: the first is the file it is on, the
    next is waiting in its pipe, so that it starts on it as soon as it sends a result instead
    of waiting for this process to read the result and answer (with two workers that wait
    was ~5% of their time)."""

    def __init__(self, ctx, settings: Settings):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, settings, os.getpid()),
                                   name="fedreports-worker", daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.tasks: list[_Task] = []

    @property
    def task(self) -> Optional[_Task]:
        """The task it is working on (its deadline runs), None when idle."""
        return self.tasks[0] if self.tasks else None

    def give(self, task: _Task) -> None:
        self.tasks.append(task)
        try:
            self.conn.send((task.index, task.path, task.sha, task.prepared))
        except OSError:  # it just died: its sentinel reports the task's file as failed
            pass
        task.prepared = None  # the worker has it; given again (its worker died), it starts from the file

    def done(self, limit: float) -> None:
        """Its current task is done; the next one (already in its pipe) starts now."""
        self.tasks.pop(0)
        if self.tasks:
            self.tasks[0].deadline = time.monotonic() + limit

    def stop(self, kill: bool = False) -> None:
        if self.process.is_alive() and not kill:
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _died(code: Optional[int]) -> str:
    if code is not None and code < 0:
        try:
            return f"worker process died ({signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"worker process died (exit code {code})"


@contextmanager
def _batch_scheduling():
    """Linux: keep this process (and the processes it forks meanwhile, which inherit it) under
    SCHED_BATCH, the scheduler's policy for CPU-bound work that no one waits on interactively:
    the same share of the CPU, but a process that wakes does not preempt a running one. Two
    workers on two cores and the run taking their results share the cores; under the default
    policy the run, woken by every result, preempted a worker each time (two workers, 1,000
    documents: 3,600-4,200 involuntary context switches; 2,100-2,700 under SCHED_BATCH, and
    the wall time 4.7% lower on average, lower in 8 of 10 pairs of runs taking turns).
    The process's own policy is restored on leaving; one that is not the default (real-time,
    batch, idle) is left as it is."""
    try:
        old = os.sched_getscheduler(0), os.sched_getparam(0)
        changed = old[0] == os.SCHED_OTHER
        if changed:
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or not allowed
        changed = False
    try:
        yield
    finally:
        if changed:
            try:
                os.sched_setscheduler(0, *old)
            except OSError:
                pass


def _preload(ctx, settings: Settings) -> None:
    """With fork, load the pipeline here, once, before the workers are forked: each worker
    (and each replacement of one that died) then starts with it loaded, in memory pages it
    shares with this process until it writes them, instead of every worker loading its own
    copy at the same time on the same cores. It is warmed too (`Processor.warm`): what the
    stages load on their first file, each worker would load again (at 1,000 documents the
    workers' CPU was 1-1.5 s lower with it, for 0.4 s here while the read-ahead runs). The loaded pipeline has no thread that a fork
    could copy in the middle of holding a lock. A failure to load is raised here, as a
    worker would report it."""
    if ctx.get_start_method() != "fork":
        return
    from pipeline import run
    try:
        run.processor(settings).warm()
    except Exception as e:  # noqa: BLE001 - the same message a worker sends
        raise RuntimeError(f"a worker process could not load the pipeline: {type(e).__name__}: {e}") from e


def _read_ahead_main(files, stop, todo: Todo, settings: Settings, parent: int) -> None:
    """The read-ahead process (see `_ReadAhead`): prepares the files in order until told to
    stop; each one goes down `files` as it is ready (from a thread, so that a full pipe, which
    the run does not read while it loads the pipeline, does not hold up the next file), then
    an end mark."""
    import queue

    die_with_parent()
    if os.getppid() != parent:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run decides when it stops
    from pipeline.run import Prepared, prepare

    ready: queue.SimpleQueue = queue.SimpleQueue()

    def send() -> None:
        while True:
            item = ready.get()
            try:
                files.send(item)
            except OSError:  # the run stopped listening
                return
            if item is None:
                return

    sender = threading.Thread(target=send, name="fedreports-read-ahead-send", daemon=True)
    sender.start()
    for index, (path, sha) in enumerate(todo):
        if stop.poll():
            break
        try:
            prepared = prepare(path, settings, sha)
        except Exception:  # noqa: BLE001 - its worker will meet the same error and report it
            continue
        if isinstance(prepared, Prepared):  # a failed file is left to its worker, which reports it
            ready.put((index, prepared))
    ready.put(None)
    sender.join()


class _ReadAhead:
    """While this process loads the pipeline before forking the workers (one core busy for
    1.5 s), a helper process on another core reads and cleans the first files (read and clean
    need no pipeline): their workers start on them at the segment stage. The helper stops when
    the workers are forked; a file it had not finished (or that crashed it) is done by its
    worker from the start, as any other. Its output is the same `prepare` a worker makes."""

    WAIT_S = 0.25  # after asking it to stop: how long to wait for its end mark before killing it

    def __init__(self, ctx, todo: Todo, settings: Settings):
        self.files, child_files = ctx.Pipe(duplex=False)
        child_stop, self.stop = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_read_ahead_main, name="fedreports-read-ahead", daemon=True,
                                   args=(child_files, child_stop, todo, settings, os.getpid()))
        self.process.start()
        child_files.close()
        child_stop.close()

    def take(self) -> dict:
        """Stop it; returns {index in todo: run.Prepared} of the files it prepared."""
        got: dict = {}
        try:
            self.stop.send(None)
            while self.files.poll(self.WAIT_S):
                item = self.files.recv()
                if item is None:
                    break
                got[item[0]] = item[1]
        except (EOFError, OSError):  # it died: what came before stands
            pass
        self.close()
        return got

    def close(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.files.close()
        self.stop.close()


def _reads_ahead(ctx) -> bool:
    """Is there a core to read ahead on while this process loads the pipeline?"""
    if ctx.get_start_method() != "fork":  # no load here before the workers: nothing to overlap
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) > 1


TASKS_AHEAD = 1  # files a worker holds beyond the one it is on


# results the supervising thread holds for the run before it stops taking more from the
# workers (each is one file's articles: ~0.1-1 MB)
RESULTS_AHEAD = 64


def _supervised(todo: Todo, settings: Settings, workers: int) -> Iterator:
    """Run the files on `workers` processes under a per-file time limit; yields each result as
    it is ready (the run's assembly puts them in source order), so a slow file holds up no other.

    The workers are supervised from a thread of their own (`_supervise`: it takes their results
    off the pipes and gives them their next files), so that they are served while the run
    works on the results it has (its database rows: SQLite lets go of the GIL while it
    works). Served from the run's own loop, a worker waited, blocked sending a result or
    with no file left in hand, whenever the run was busy with rows: at 10,000 documents each
    of two workers spent 4.7-5.8 s of ~78 s blocked sending, and the two cores were busy
    1.87 of 2. The workers and the read-ahead helper are forked from that thread, and the
    kernel's parent-death signal (`die_with_parent`) follows the thread that forked: they
    are killed should it end before it has stopped them."""
    import queue

    results: queue.Queue = queue.Queue(maxsize=RESULTS_AHEAD)
    # written when the run stops listening: the loop returns at its next wait (the run takes
    # what the thread puts meanwhile) and stops the workers
    wake_r, wake_w = os.pipe()

    def pump() -> None:
        try:
            # the helper and the workers forked in there inherit the scheduling policy; closing
            # the loop stops the workers
            with _batch_scheduling(), closing(_supervise(todo, settings, workers, wake_r)) as loop:
                for result in loop:
                    results.put(("result", result))
            results.put(("end", None))
        except BaseException as e:  # noqa: BLE001 - raised in the run, where it belongs
            results.put(("error", e))

    thread = threading.Thread(target=pump, name="fedreports-supervisor", daemon=True)
    try:
        with _batch_scheduling():  # the run too: woken by results, it must not preempt a worker
            thread.start()
            while True:
                kind, item = results.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise item
                yield item
    finally:
        os.write(wake_w, b"x")
        while thread.is_alive():  # take what it holds, so that it is not blocked putting more
            try:
                results.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()
        os.close(wake_r)
        os.close(wake_w)


def _supervise(todo: Todo, settings: Settings, workers: int, stop: Optional[int] = None) -> Iterator:
    """The supervisor's loop (see `_supervised`); `stop`: a file descriptor that becomes
    readable when the run stops listening (the workers are then stopped)."""
    from pipeline.run import failed_result

    ctx = _context()
    limit = settings.file_timeout_s
    ahead = _ReadAhead(ctx, todo, settings) if _reads_ahead(ctx) else None
    try:
        _preload(ctx, settings)
    finally:
        prepared = ahead.take() if ahead is not None else {}
    pool = [_Worker(ctx, settings) for _ in range(min(workers, len(todo)))]
    next_task = finished = 0
    again: list[_Task] = []  # tasks a worker held but had not started when it was replaced

    def dispatch() -> None:
        nonlocal next_task
        for depth in (1, TASKS_AHEAD + 1):  # every idle worker gets a task before any gets a second
            for w in pool:
                while w.ready and len(w.tasks) < depth and (again or next_task < len(todo)):
                    if again:
                        task = again.pop(0)
                    else:
                        path, sha = todo[next_task]
                        task = _Task(next_task, path, sha, 0.0, prepared.pop(next_task, None))
                        next_task += 1
                    task.deadline = time.monotonic() + limit  # for a task queued behind another: reset by done()
                    w.give(task)

    def replace(w: _Worker) -> None:
        w.stop(kill=True)
        again[:0] = w.tasks[1:]  # not started: another worker takes them, first
        pool[pool.index(w)] = _Worker(ctx, settings)

    try:
        while finished < len(todo):
            dispatch()
            deadlines = [w.task.deadline for w in pool if w.task]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = set(wait([w.conn for w in pool] + [w.process.sentinel for w in pool]
                             + ([stop] if stop is not None else []), timeout))
            if stop is not None and stop in ready:
                return
            results = []
            for w in list(pool):
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):  # it is dying: wait for it, then count it dead
                        msg = None
                        w.process.join(5)
                    if msg is not None:
                        if msg[0] == "ready":
                            w.ready = True
                        elif msg[0] == "error":
                            raise RuntimeError(f"a worker process could not load the pipeline: {msg[1]}")
                        else:
                            results.append(msg[1])
                            w.done(limit)
                        continue
                if w.process.sentinel in ready or (w.conn in ready and not w.process.is_alive()):
                    w.process.join()
                    if not w.ready:
                        raise RuntimeError(f"a worker process died while loading the pipeline "
                                           f"({_died(w.process.exitcode)})")
                    if w.task:
                        t = w.task
                        results.append(failed_result(str(t.path), _died(w.process.exitcode), t.sha, retry=True))
                    replace(w)
            now = time.monotonic()
            for w in list(pool):
                if w.task and now >= w.task.deadline:
                    t = w.task
                    results.append(failed_result(str(t.path), f"timed out after {limit:g} s", t.sha, retry=True))
                    replace(w)
            dispatch()  # keep the workers busy while the caller stores these results
            for result in results:
                finished += 1
                yield result
    finally:
        for w in pool:
            w.stop()


# ---------------------------------------------------------------- dask

_LOAD_LOCK = threading.Lock()


def _dask_load(settings: Settings) -> float:
    """Load this process's pipeline (once; later calls reuse it); returns its load time."""
    from pipeline import run
    with _LOAD_LOCK:
        return run.processor(settings).load_seconds


def _dask_partition(items: list, settings: Settings) -> list:
    """One bag partition: process its files with this worker process's pipeline."""
    from pipeline import run
    _dask_load(settings)
    out = []
    for path, sha in items:
        try:
            out.append(run.process_file(Path(path), settings, sha))
        except Exception as e:  # noqa: BLE001
            out.append(run.failed_result(path, f"pipeline error: {type(e).__name__}: {str(e)[:160]}", sha))
    return out


def _dask(todo: Todo, settings: Settings, workers: int, scheduler: Optional[str]) -> Iterator:
    """The extraction as a Dask bag; partitions are computed a few ahead and read back in order."""
    import logging

    import dask.bag as db
    from distributed import Client, LocalCluster

    from pipeline.run import failed_result

    if not todo:
        return
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        # every worker process loads the pipeline now, once; workers that join later load it
        # on their first partition and keep it (run.processor is a per-process cache)
        client.run(_dask_load, settings)
        threads = max(1, sum(client.nthreads().values()))
        size = max(1, min(32, -(-len(todo) // (4 * threads))))
        bag = db.from_sequence([(str(p), sha) for p, sha in todo], partition_size=size)
        parts = bag.map_partitions(partial(_dask_partition, settings=settings)).to_delayed()
        bounds = [(i * size, min(len(todo), (i + 1) * size)) for i in range(len(parts))]
        inflight: deque = deque()
        submitted = 0
        for k in range(len(parts)):
            while submitted < len(parts) and len(inflight) < 2 * threads + 2:
                inflight.append(client.compute(parts[submitted]))
                submitted += 1
            future = inflight.popleft()
            try:
                results = future.result()
            except Exception as e:  # noqa: BLE001 - a partition lost (workers died): its files fail
                lo, hi = bounds[k]
                results = [failed_result(str(p), f"dask task failed: {type(e).__name__}: {str(e)[:160]}", sha,
                                         retry=True) for p, sha in todo[lo:hi]]
            del future
            yield from results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------- parquet

def arrow_schema(model) -> "pyarrow.Schema":  # noqa: F821
    """The Arrow schema of a pydantic model (nested models become structs, lists lists)."""
    import pyarrow as pa
    return pa.schema([pa.field(name, _arrow_type(f.annotation), nullable=True)
                      for name, f in model.model_fields.items()])


def _arrow_type(annotation):
    import pyarrow as pa
    from pydantic import BaseModel

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _arrow_type(inner[0]) if len(inner) == 1 else pa.string()
    if origin is typing.Literal:
        return pa.string()
    if origin in (list, tuple, set, frozenset):
        return pa.list_(_arrow_type(args[0]))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pa.struct([pa.field(n, _arrow_type(f.annotation)) for n, f in annotation.model_fields.items()])
    return {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}.get(annotation, pa.string())


def write_parquet(documents_jsonl: Path, out_dir: Path, rows_per_file: int = 2000) -> int:
    """Write the articles of documents.jsonl as Parquet files `part-00000.parquet`, … under
    out_dir, reading `rows_per_file` lines at a time (memory stays flat); the folder is
    replaced as a whole. One schema for every part, from `schemas.Article`. Returns the
    number of parts."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from schemas import Article

    schema = arrow_schema(Article)
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    parts = 0

    def flush(rows: list) -> None:
        nonlocal parts
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp / f"part-{parts:05d}.parquet")
        parts += 1

    try:
        rows: list = []
        with open(documents_jsonl, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rows.append(json.loads(line))
                if len(rows) >= rows_per_file:
                    flush(rows)
                    rows = []
        if rows or not parts:
            flush(rows)  # an empty corpus still gets one (empty) part with the schema
        old = out_dir.with_name(out_dir.name + f".old{os.getpid()}")
        if out_dir.exists():
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return parts
