"""Execution engines for the extraction: in this process, in worker processes, or on Dask.

`execute(todo, settings, workers, engine)` yields one FileResult per (path, sha256) in
input order, whatever the engine.
"""
from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Iterator, Optional

from pipeline.settings import Settings


def _init_worker(settings: Settings) -> None:
    from pipeline import run
    run._PROCESSOR = run.Processor(settings)


def _work(args):
    from pipeline import run
    path, sha, settings = args
    return run.process_file(path, settings, sha)


def execute(todo: list[tuple[Path, str]], settings: Settings, workers: int = 1, engine: str = "local",
            scheduler: Optional[str] = None) -> Iterator:
    from pipeline.run import process_file
    if engine == "dask":
        raise NotImplementedError("dask engine")
    if workers <= 1 or len(todo) <= 1:
        for path, sha in todo:
            yield process_file(path, settings, sha)
        return
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(workers, initializer=_init_worker, initargs=(settings,)) as pool:
        yield from pool.imap(_work, [(p, s, settings) for p, s in todo], chunksize=1)
