"""The `run` job: files -> read -> clean -> segment -> extract -> link -> store.

`run(inputs, out_dir)` writes `documents.jsonl`, `manifest.jsonl` and `practices.db` to
`out_dir`. Every input file gets one manifest line (ok, partial or failed, with a one-line
reason); a bad file never stops the run.

Results are kept per file in a cache (`out_dir/.fedreports/cache.sqlite`, keyed by source
path, content hash and pipeline version) as they are produced, and the outputs are then
assembled from it and swapped in atomically. A re-run skips unchanged files, and a run
killed at any moment resumes where it stopped with the same final result.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from pipeline import __version__, pipeline_version
from pipeline.readers import ReadError, read_file, sha256_of
from pipeline.settings import DEFAULT, Settings
from schemas import Article, ManifestEntry

STAGES = ("read", "clean", "segment", "extract", "link")


@dataclass
class FileResult:
    entry: ManifestEntry
    articles: list[Article]
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class RunSummary:
    files: int = 0
    ok: int = 0
    partial: int = 0
    failed: int = 0
    reused: int = 0
    articles: int = 0
    relevant: int = 0
    failures: list[ManifestEntry] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    seconds: float = 0.0
    bytes: int = 0

    @property
    def exit_code(self) -> int:
        return 3 if self.failed else 0


# ---------------------------------------------------------------- discovery

def discover(inputs: Iterable[Path]) -> tuple[list[Path], list[ManifestEntry]]:
    """Files under the inputs (recursively, symlinks followed once), sorted; plus failed
    entries for inputs that do not exist or cannot be listed."""
    files: dict[str, Path] = {}
    problems: list[ManifestEntry] = []
    seen_dirs: set[str] = set()

    def walk(d: Path) -> None:
        real = os.path.realpath(d)
        if real in seen_dirs:
            return  # a symlink loop or a second way to the same folder
        seen_dirs.add(real)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as e:
            problems.append(ManifestEntry(source=str(d), status="failed", reason=f"cannot list folder: {e.strerror}"))
            return
        for e in entries:
            p = Path(e.path)
            if e.name.startswith(".fedreports"):
                continue
            try:
                if e.is_dir(follow_symlinks=True):
                    walk(p)
                elif e.is_file(follow_symlinks=True):
                    files.setdefault(str(p), p)
                elif e.is_symlink():
                    problems.append(ManifestEntry(source=str(p), status="failed", reason="broken symlink"))
            except OSError as err:
                problems.append(ManifestEntry(source=str(p), status="failed", reason=f"cannot stat: {err.strerror}"))

    for item in inputs:
        item = Path(item)
        if item.is_dir():
            walk(item)
        elif item.is_file():
            files.setdefault(str(item), item)
        elif item.is_symlink():
            problems.append(ManifestEntry(source=str(item), status="failed", reason="broken symlink"))
        else:
            problems.append(ManifestEntry(source=str(item), status="failed", reason="no such file or folder"))
    return [files[k] for k in sorted(files)], problems


# ---------------------------------------------------------------- one file

def doc_id(source: str, article: int) -> str:
    return f"{hashlib.sha1(source.encode('utf-8')).hexdigest()[:12]}-{article}"


class Processor:
    """Turns one file into its manifest entry and articles. Loads the pipeline once."""

    def __init__(self, settings: Settings = DEFAULT):
        from pipeline import nlp
        self.settings = settings
        self.nlp = nlp.load()

    def process(self, path: Path, sha256: Optional[str] = None) -> FileResult:
        from pipeline.clean import clean
        from pipeline.link import link_practices

        source = str(path)
        t = {s: 0.0 for s in STAGES}
        size = _size(path)
        try:
            sha = sha256 or sha256_of(path)
        except OSError as e:
            return FileResult(ManifestEntry(source=source, status="failed", reason=f"cannot read: {e.strerror}", bytes=size), [])
        t0 = time.perf_counter()
        try:
            raw = read_file(path, self.settings)
        except ReadError as e:
            t["read"] = time.perf_counter() - t0
            return FileResult(ManifestEntry(source=source, status="failed", reason=str(e), sha256=sha, bytes=size), [], t)
        except Exception as e:  # a reader bug must not stop the run either
            return FileResult(ManifestEntry(source=source, status="failed", sha256=sha, bytes=size,
                                            reason=f"reader error: {type(e).__name__}: {str(e)[:160]}"), [], t)
        t["read"] = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            cleaned = clean(raw, self.settings.max_line_chars)
            t["clean"] = time.perf_counter() - t0
            if not cleaned:
                return FileResult(ManifestEntry(source=source, status="failed", reason="no text left after cleaning",
                                                sha256=sha, reader=raw.reader, bytes=size), [], t)
            articles = []
            for i, art in enumerate(cleaned):
                t0 = time.perf_counter()
                doc = self.nlp.make_doc(art.text)
                t["segment"] += time.perf_counter() - t0
                doc._.title, doc._.published, doc._.organisation = art.title, art.published, art.organisation
                t0 = time.perf_counter()
                for _, proc in self.nlp.pipeline:
                    doc = proc(doc)
                t["extract"] += time.perf_counter() - t0
                article = Article(
                    doc_id=doc_id(source, i), source=source, article=i, relevant=art.relevant,
                    title=art.title, published=art.published, organisation=art.organisation,
                    text=art.text, printed=art.printed, flags=art.flags,
                    main_region=doc._.main_region, places=doc._.places or [], programmes=doc._.programmes or [],
                    counts=doc._.counts or [], outcomes=doc._.outcomes or [])
                t0 = time.perf_counter()
                if article.relevant:
                    article.practices = link_practices(article)
                t["link"] += time.perf_counter() - t0
                articles.append(article)
        except Exception as e:  # an extractor bug: report the file, keep the run going
            return FileResult(ManifestEntry(source=source, status="failed", sha256=sha, reader=raw.reader, bytes=size,
                                            reason=f"pipeline error: {type(e).__name__}: {str(e)[:160]}"), [], t)
        status = "partial" if raw.cut else "ok"
        reason = "; ".join(raw.cut) if raw.cut else None
        entry = ManifestEntry(source=source, status=status, reason=reason, articles=len(articles),
                              sha256=sha, reader=raw.reader, bytes=size)
        return FileResult(entry, articles, t)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


_PROCESSOR: Optional[Processor] = None


def process_file(path: Path, settings: Settings = DEFAULT, sha256: Optional[str] = None) -> FileResult:
    """Process one file with this process's Processor (created on first use)."""
    global _PROCESSOR
    if _PROCESSOR is None or _PROCESSOR.settings != settings:
        _PROCESSOR = Processor(settings)
    return _PROCESSOR.process(path, sha256)


# ---------------------------------------------------------------- result cache

class ResultCache:
    """Per-file results keyed by (source, sha256, pipeline version), committed as produced."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("""CREATE TABLE IF NOT EXISTS results (
            source TEXT PRIMARY KEY, sha256 TEXT, version TEXT,
            entry TEXT NOT NULL, articles TEXT NOT NULL)""")
        self.db.commit()

    def has(self, source: str, sha256: str, version: str) -> bool:
        return self.db.execute("SELECT 1 FROM results WHERE source=? AND sha256=? AND version=?",
                               (source, sha256, version)).fetchone() is not None

    def put(self, result: FileResult, version: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO results VALUES (?,?,?,?,?)",
                        (result.entry.source, result.entry.sha256, version, result.entry.model_dump_json(),
                         json.dumps([a.model_dump(mode="json") for a in result.articles], ensure_ascii=False)))

    def commit(self) -> None:
        self.db.commit()

    def forget_except(self, sources: set[str]) -> int:
        """Remove results of files no longer in the input; returns how many."""
        gone = [s for (s,) in self.db.execute("SELECT source FROM results") if s not in sources]
        self.db.executemany("DELETE FROM results WHERE source=?", [(s,) for s in gone])
        self.db.commit()
        return len(gone)

    def close(self) -> None:
        self.db.commit()
        self.db.close()


# ---------------------------------------------------------------- the run

def _atomic_writer(path: Path):
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    return tmp, open(tmp, "w", encoding="utf-8")


def _commit_file(tmp: Path, path: Path, f) -> None:
    f.flush()
    os.fsync(f.fileno())
    f.close()
    os.replace(tmp, path)


def run(inputs: Iterable[Path], out_dir: Path, settings: Settings = DEFAULT, workers: int = 1,
        engine: str = "local", scheduler: Optional[str] = None, store: bool = True,
        on_file: Optional[Callable[[FileResult], None]] = None, parquet: bool = False) -> RunSummary:
    """Process the inputs and write documents.jsonl, manifest.jsonl and practices.db to out_dir."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files, problems = discover(inputs)
    version = pipeline_version()
    cache = ResultCache(out_dir / ".fedreports" / "cache.sqlite")
    summary = RunSummary()
    try:
        cache.forget_except({str(p) for p in files})
        todo: list[tuple[Path, str]] = []
        for p in files:
            try:
                sha = sha256_of(p)
            except OSError as e:
                cache.put(FileResult(ManifestEntry(source=str(p), status="failed", reason=f"cannot read: {e.strerror}"), []), version)
                continue
            if cache.has(str(p), sha, version):
                summary.reused += 1
                continue
            todo.append((p, sha))
        cache.commit()
        from pipeline import engines
        for result in engines.execute(todo, settings, workers=workers, engine=engine, scheduler=scheduler):
            cache.put(result, version)
            cache.commit()
            for stage, secs in result.timings.items():
                summary.timings[stage] += secs
            if on_file:
                on_file(result)
        summary = _assemble(files, problems, cache, version, out_dir, summary, store, parquet)
    finally:
        cache.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _results_in_order(files: list[Path], cache: ResultCache, version: str) -> Iterator[FileResult]:
    for p in files:
        row = cache.db.execute("SELECT entry, articles FROM results WHERE source=?", (str(p),)).fetchone()
        if row is None:  # pragma: no cover - every file was processed above
            yield FileResult(ManifestEntry(source=str(p), status="failed", reason="no result recorded"), [])
            continue
        yield FileResult(ManifestEntry.model_validate_json(row[0]),
                         [Article.model_validate(a) for a in json.loads(row[1])])


def _assemble(files, problems, cache, version, out_dir: Path, summary: RunSummary, store: bool, parquet: bool) -> RunSummary:
    docs_tmp, docs = _atomic_writer(out_dir / "documents.jsonl")
    man_tmp, man = _atomic_writer(out_dir / "manifest.jsonl")
    for entry in problems:
        man.write(entry.model_dump_json() + "\n")
        summary.files += 1
        summary.failed += 1
        summary.failures.append(entry)
    for result in _results_in_order(files, cache, version):
        e = result.entry
        summary.files += 1
        summary.bytes += e.bytes
        setattr(summary, e.status, getattr(summary, e.status) + 1)
        if e.status == "failed":
            summary.failures.append(e)
        man.write(e.model_dump_json() + "\n")
        for a in result.articles:
            docs.write(a.model_dump_json() + "\n")
            summary.articles += 1
            summary.relevant += a.relevant
    _commit_file(docs_tmp, out_dir / "documents.jsonl", docs)
    _commit_file(man_tmp, out_dir / "manifest.jsonl", man)
    if store:
        t0 = time.perf_counter()
        from pipeline.store import write_database
        write_database(out_dir / "documents.jsonl", out_dir / "practices.db")
        summary.timings["store"] += time.perf_counter() - t0
    if parquet:
        from pipeline.engines import write_parquet
        write_parquet(out_dir / "documents.jsonl", out_dir / "parquet")
    return summary
