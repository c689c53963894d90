"""The `run` job: files -> read -> clean -> segment -> extract -> link -> store.

`run(inputs, out_dir)` writes `documents.jsonl`, `manifest.jsonl` and `practices.db` to
`out_dir`. Every input file gets one manifest line (ok, partial or failed, with a one-line
reason); a bad file never stops the run.

Results are kept per file in a cache (`out_dir/.fedreports/cache.sqlite`, keyed by source
path, content hash, pipeline version and the settings that shape results) as they are
produced; the outputs are assembled from it in source order as the files are done, and
swapped in atomically at the end. A re-run
skips unchanged files, re-processes changed ones, drops deleted ones and ends with the same
documents.jsonl, manifest.jsonl and practices.db as a fresh run; a run killed at any moment
resumes where it stopped with the same final result.

Articles are serialised to JSON where they are produced (in the worker process), so the
parent only moves strings: into the cache, then verbatim into documents.jsonl.
"""
from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import os
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from pipeline import pipeline_version
from pipeline.readers import ReadError, read_file, sha256_of
from pipeline.settings import DEFAULT, Settings
from schemas import Article, ManifestEntry

STAGES = ("read", "clean", "segment", "extract", "link")


@dataclass
class FileResult:
    """What happened to one file: its manifest entry and its articles as documents.jsonl lines."""

    entry: ManifestEntry
    documents: str = ""  # one Article JSON per line, exactly as written to documents.jsonl
    relevant: int = 0  # how many of the articles are relevant
    timings: dict[str, float] = field(default_factory=dict)
    # a failure that says nothing about the file (timed out, worker died): not reused next run
    retry: bool = False
    # one JSON line per article: its practices' full-text rows (`pipeline.store.fts_index`),
    # computed in the worker from the segment stage's words
    index: str = ""
    # the articles' database rows (`pipeline.store.article_rows`), made where the articles
    # are: they travel with the result to the process that builds practices.db, which only
    # inserts them (`_InlineDatabase`); not kept in the cache, which has the JSON
    rows: Optional[list] = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, entry: ManifestEntry, articles: list[Article], timings: Optional[dict[str, float]] = None,
           retry: bool = False, index: Optional[list[list[list[str]]]] = None,
           rows: Optional[list] = None) -> "FileResult":
        """A result from Article models; returns it with the articles serialised."""
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in index) if index is not None else ""
        return cls(entry, "".join(a.model_dump_json() + "\n" for a in articles),
                   sum(a.relevant for a in articles), dict(timings or {}), retry, lines, rows)

    @property
    def articles(self) -> list[Article]:
        """The articles parsed back into models (for callers that want them; the run does not)."""
        return [Article.model_validate_json(line) for line in self.documents.splitlines()]


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
    # seconds to load the pipeline (dictionaries, gazetteer), the slowest worker's
    startup: float = 0.0

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


WARM_UP = "永善县妇联帮助481名妇女争取创业贷款5666万元。"
# a small report that takes every stage's first-use path (`Processor.warm`): a title and date,
# digits and Chinese numerals, a quoted programme, an honour, adoption by a higher level
WARM_UP_FILE = ("永善县妇联实施“巾帼家美积分超市”项目\n\n发布时间：2024-03-08\n\n"
                "今年以来，云南省昭通市永善县妇联实施“巾帼家美积分超市”项目，帮助481名妇女争取创业贷款5666万元，"
                "培训农村妇女两千余人次，带动3.2万余名妇女增收。该做法被省妇联推广，县妇联获评全国三八红旗集体。\n")


class Processor:
    """Turns one file into its manifest entry and articles. Loads the pipeline once."""

    def __init__(self, settings: Settings = DEFAULT):
        started = time.perf_counter()
        # the gazetteer, dictionaries and vocabularies are built once and live as long as the
        # process: the cycle collector pauses while they are built (it would walk the growing
        # heap again and again), then they are moved out of its generations for good, so that
        # full collections during the run do not walk them either
        collecting = gc.isenabled()
        gc.disable()
        try:
            from pipeline import nlp
            self.settings = settings
            self.nlp = nlp.load()
            # one short article through every component, so that what is loaded on first use
            # (the jieba dictionary, word lists) is loaded here and not charged to the first file
            try:
                self.nlp(WARM_UP)
            except Exception:  # noqa: BLE001 - a broken component shows on the real files, reported there
                pass
        finally:
            gc.freeze()
            if collecting:
                gc.enable()
        # seconds spent loading (imports, dictionaries, gazetteer); reported with the first file
        self.load_seconds = time.perf_counter() - started
        self.load_reported = False

    def warm(self) -> float:
        """Take a small built-in report (GB18030 bytes) through every stage, so that what they
        load on first use (cn2an's patterns, the charset detector, the cleaning, linking and
        index code: 0.3-0.4 s) is loaded now. A run with workers calls this once before forking
        them, instead of every worker doing it on its first file. Best effort: a stage that
        fails here fails on the real files too, where it is reported. Returns the seconds taken."""
        from pipeline.clean import clean
        from pipeline.readers import read_bytes

        started = time.perf_counter()
        reported, self.load_reported = self.load_reported, True
        try:
            raw = read_bytes(WARM_UP_FILE.encode("gb18030"), ".txt", self.settings)
            prepared = Prepared("<warm-up>", "", 0, self.settings, raw.reader, list(raw.cut),
                                clean(raw, self.settings.max_line_chars), {})
            self.process(Path(prepared.source), None, prepared)
        except Exception:  # noqa: BLE001 - see above
            pass
        finally:
            self.load_reported = reported
        return time.perf_counter() - started

    def process(self, path: Path, sha256: Optional[str] = None, prepared: Optional[Prepared] = None) -> FileResult:
        """Process one file; `prepared`: the file already read and cleaned (by `prepare`, ahead
        of time), used when it is of this file and of these contents."""
        from pipeline.link import link_practices
        from pipeline.segment import search_tokens
        from pipeline.store import article_rows, fts_index

        source = str(path)
        if prepared is None or prepared.source != source or (sha256 and prepared.sha != sha256) \
                or prepared.settings != self.settings:
            prepared = prepare(path, self.settings, sha256)
        startup = {}
        if not self.load_reported:
            startup["startup"], self.load_reported = self.load_seconds, True
        if isinstance(prepared, FileResult):  # it failed before the pipeline
            prepared.timings.update(startup)
            return prepared
        t = {**{s: 0.0 for s in STAGES}, **startup, **prepared.timings}
        sha, size, reader, cleaned = prepared.sha, prepared.size, prepared.reader, prepared.articles
        try:
            articles, index, rows = [], [], []
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
                words = doc._.words or [w.text for w in doc]  # the segment stage's words: nothing is segmented twice
                tokens = search_tokens(words) if article.relevant else None  # for linking and the index
                if article.relevant:
                    article.practices = link_practices(article, words, tokens)
                t["link"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                index.append(fts_index(article, words, tokens))
                t["index"] = t.get("index", 0.0) + time.perf_counter() - t0
                t0 = time.perf_counter()
                rows.append(article_rows(article, index[-1]))
                t["store"] = t.get("store", 0.0) + time.perf_counter() - t0
                articles.append(article)
        except Exception as e:  # an extractor bug: report the file, keep the run going
            return FileResult(ManifestEntry(source=source, status="failed", sha256=sha, reader=reader, bytes=size,
                                            reason=f"pipeline error: {type(e).__name__}: {str(e)[:160]}"), timings=t)
        status = "partial" if prepared.cut else "ok"
        reason = "; ".join(prepared.cut) if prepared.cut else None
        entry = ManifestEntry(source=source, status=status, reason=reason, articles=len(articles),
                              sha256=sha, reader=reader, bytes=size)
        return FileResult.of(entry, articles, t, index=index, rows=rows)


@dataclass
class Prepared:
    """A file read and cleaned: what `Processor.process` needs before the pipeline proper.
    Made by `prepare`, in the process that runs the file or, while a run with workers loads
    the pipeline, ahead of it (`pipeline.engines`)."""

    source: str
    sha: str
    size: int
    settings: Settings
    reader: str
    cut: list[str]  # why the text is incomplete (RawText.cut): a partial file
    articles: list  # pipeline.clean.CleanArticle
    timings: dict[str, float]  # read, clean


def prepare(path: Path, settings: Settings = DEFAULT, sha256: Optional[str] = None) -> "Prepared | FileResult":
    """Read and clean one file; returns it Prepared, or its failed FileResult (cannot read,
    no text left after cleaning). Needs no loaded pipeline."""
    from pipeline.clean import clean

    source = str(path)
    t: dict[str, float] = {}
    size = _size(path)
    try:
        sha = sha256 or sha256_of(path)
    except OSError as e:
        return FileResult(ManifestEntry(source=source, status="failed", reason=f"cannot read: {e.strerror}", bytes=size), timings=t)
    t0 = time.perf_counter()
    try:
        raw = read_file(path, settings)
    except ReadError as e:
        t["read"] = time.perf_counter() - t0
        return FileResult(ManifestEntry(source=source, status="failed", reason=str(e), sha256=sha, bytes=size), timings=t)
    except Exception as e:  # a reader bug must not stop the run either
        return FileResult(ManifestEntry(source=source, status="failed", sha256=sha, bytes=size,
                                        reason=f"reader error: {type(e).__name__}: {str(e)[:160]}"), timings=t)
    t["read"] = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        cleaned = clean(raw, settings.max_line_chars)
        t["clean"] = time.perf_counter() - t0
    except Exception as e:  # a cleaning bug: report the file, keep the run going
        return FileResult(ManifestEntry(source=source, status="failed", sha256=sha, reader=raw.reader, bytes=size,
                                        reason=f"pipeline error: {type(e).__name__}: {str(e)[:160]}"), timings=t)
    if not cleaned:
        return FileResult(ManifestEntry(source=source, status="failed", reason="no text left after cleaning",
                                        sha256=sha, reader=raw.reader, bytes=size), timings=t)
    return Prepared(source, sha, size, settings, raw.reader, list(raw.cut), cleaned, t)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


_PROCESSOR: Optional[Processor] = None


def processor(settings: Settings = DEFAULT) -> Processor:
    """This process's Processor for `settings` (created on first use, then kept)."""
    global _PROCESSOR
    if _PROCESSOR is None or _PROCESSOR.settings != settings:
        _PROCESSOR = Processor(settings)
    return _PROCESSOR


def process_file(path: Path, settings: Settings = DEFAULT, sha256: Optional[str] = None,
                 prepared: Optional[Prepared] = None) -> FileResult:
    """Process one file with this process's Processor (created on first use); `prepared`:
    the file already read and cleaned (`prepare`)."""
    if prepared is None:
        return processor(settings).process(path, sha256)
    return processor(settings).process(path, sha256, prepared)


def failed_result(source: str, reason: str, sha256: Optional[str] = None, retry: bool = False) -> FileResult:
    """A failed file that never reached (or never came back from) the pipeline."""
    return FileResult(ManifestEntry(source=source, status="failed", reason=reason, sha256=sha256,
                                    bytes=_size(Path(source))), retry=retry)


# ---------------------------------------------------------------- result cache

def result_version(settings: Settings = DEFAULT) -> str:
    """The cache key part that is not the file: pipeline code and data, plus every setting
    that can change a result (a re-run with other limits must not reuse old results)."""
    shaping = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)
               if f.name not in Settings.RESULT_NEUTRAL}
    digest = hashlib.sha1(repr(sorted(shaping.items())).encode()).hexdigest()[:8]
    return f"{pipeline_version()}/{digest}"


class ResultCache:
    """Per-file results keyed by (source, sha256, version), committed as produced."""

    SCHEMA = 3  # PRAGMA user_version; a cache written by another layout is dropped, not misread

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.recent: dict[str, tuple] = {}
        self.db = sqlite3.connect(path)
        # a rollback journal, not WAL: the results are appended, and a rollback journal holds
        # only the pages a commit changes that were there before it (few), where WAL writes
        # every page twice, to the log and then to the database. 10,000 documents' results
        # (620 MB) took 4.5 s with WAL, 2.5 s with this (both synchronous=NORMAL). A killed run
        # leaves a journal that the next one rolls back.
        self.db.execute("PRAGMA journal_mode=DELETE")
        self.db.execute("PRAGMA synchronous=NORMAL")
        if self.db.execute("PRAGMA user_version").fetchone()[0] != self.SCHEMA:
            self.db.execute("DROP TABLE IF EXISTS results")
            self.db.execute(f"PRAGMA user_version={self.SCHEMA}")
        # version is '' for a result that must be redone next run (FileResult.retry)
        self.db.execute("""CREATE TABLE IF NOT EXISTS results (
            source TEXT PRIMARY KEY, sha256 TEXT, version TEXT NOT NULL,
            status TEXT NOT NULL, articles INTEGER NOT NULL, relevant INTEGER NOT NULL, bytes INTEGER NOT NULL,
            entry TEXT NOT NULL, documents TEXT NOT NULL, fts TEXT NOT NULL)""")
        # outputs derived from documents.jsonl (practices.db, parquet/): what they were built from
        self.db.execute("""CREATE TABLE IF NOT EXISTS derived (
            name TEXT PRIMARY KEY, built_from TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL)""")
        self.db.commit()

    def keys(self) -> dict[str, tuple[Optional[str], str]]:
        """source -> (sha256, version) of every stored result."""
        return {s: (h, v) for s, h, v in self.db.execute("SELECT source, sha256, version FROM results")}

    def has(self, source: str, sha256: str, version: str) -> bool:
        return self.db.execute("SELECT 1 FROM results WHERE source=? AND sha256=? AND version=?",
                               (source, sha256, version)).fetchone() is not None

    RECENT = 256  # results put and not yet read back, kept in memory (see `get`)

    def put(self, result: FileResult, version: str) -> None:
        e = result.entry
        row = (e.status, e.articles, result.relevant, e.bytes, e.model_dump_json(), result.documents, result.index)
        self.db.execute("INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (e.source, e.sha256, "" if result.retry else version, *row))
        self.recent.pop(e.source, None)
        self.recent[e.source] = row
        if len(self.recent) > self.RECENT:
            del self.recent[next(iter(self.recent))]  # the oldest: read from the database when asked

    def get(self, source: str) -> Optional[tuple[str, int, int, int, str, str, str]]:
        """(status, articles, relevant, bytes, entry JSON, documents JSON lines, full-text rows
        JSON lines) of one source. A result put by this process is read once from memory (the
        run assembles its outputs from results it has just stored, ~50 MB per 1,000 files)."""
        row = self.recent.pop(source, None)
        if row is not None:
            return row
        return self.db.execute("SELECT status, articles, relevant, bytes, entry, documents, fts FROM results "
                               "WHERE source=?", (source,)).fetchone()

    def commit(self) -> None:
        self.db.commit()

    def derived_is_current(self, path: Path, built_from: str) -> bool:
        """Was `path` built by us from `built_from`, and is it still the file we wrote?"""
        row = self.db.execute("SELECT built_from, size, mtime_ns FROM derived WHERE name=?", (path.name,)).fetchone()
        try:
            st = path.stat()
        except OSError:
            return False
        return row == (built_from, st.st_size, st.st_mtime_ns)

    def derived_written(self, path: Path, built_from: str) -> None:
        st = path.stat()
        self.db.execute("INSERT OR REPLACE INTO derived VALUES (?,?,?,?)", (path.name, built_from, st.st_size, st.st_mtime_ns))
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

COMMIT_EVERY_S = 0.5  # a killed run redoes at most this much work
# the run builds practices.db from the results as they come (`_InlineDatabase`); False: from
# documents.jsonl after the run, as a rebuild does
INLINE_DATABASE = True
WRITEBACK_CHARS = 4_000_000  # documents written between background syncs of the output files


def _atomic_writer(path: Path):
    _remove_stale_temps(path)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    return tmp, open(tmp, "w", encoding="utf-8")


def _commit_file(tmp: Path, path: Path, f) -> None:
    f.flush()
    os.fsync(f.fileno())
    f.close()
    os.replace(tmp, path)


class _InlineDatabase:
    """practices.db built in this process from the results as they come, whatever runs the
    files (this process, worker processes, Dask).

    The run's loop is handed to `build`, which drives it: the database is a function of the
    articles in source order, so each file's rows go in as soon as every file before it has
    its result, with the cached results of files not re-run in between. The rows are made
    where the articles are (`FileResult.rows`, `pipeline.store.article_rows`): this process
    only numbers and inserts them, and nothing is parsed back from JSON. The database is the
    one the build from documents.jsonl after the run would make: the same function of the same
    articles, only done when the last file is instead of in a serial pass after it."""

    # results that came before their turn (from workers, out of order), held with their
    # rows; past this many, one is let go and its rows made again from the cache in its turn
    # (a slow file must not make the run hold everything the other workers do meanwhile)
    HOLD = 256

    def __init__(self, target: Path, files: list[Path], reused: set[str], cache: ResultCache,
                 streamed: bool = False):
        self.target, self.files, self.reused, self.cache = target, [str(p) for p in files], reused, cache
        # workers run the files: keep the indices up and sync as rows come (`build_from_rows`),
        # so that little is left when the last file is done
        self.streamed = streamed
        _remove_stale_temps(target)  # what builds of it killed earlier left
        self.ok = False
        self.seconds = 0.0  # spent on the database, not on the files
        self._waiting = 0.0
        self._run_error: Optional[BaseException] = None

    def build(self, results: Iterator[FileResult]) -> None:
        """Take `results` (the run's loop over the files not reused, in any order) to its
        end, building the database as they come. A failure of the build itself leaves the
        database to the build after the run (`ok` False); a failure of the run is raised."""
        from pipeline.store import build_from_rows
        started = time.perf_counter()
        try:
            build_from_rows(self._rows(results), self.target, streamed=self.streamed, pause_gc=False)
            self.ok = True
        except Exception as e:  # noqa: BLE001 - see above
            if e is self._run_error:
                raise
            self.ok = False
        self.seconds = time.perf_counter() - started - self._waiting
        for _ in results:  # the files left when the build failed
            pass

    def _rows(self, results: Iterator[FileResult]):
        """Every article's rows, in source order."""
        early: dict[str, FileResult] = {}
        let_go: set[str] = set()
        for source in self.files:
            while source not in self.reused and source not in early and source not in let_go:
                t0 = time.perf_counter()
                try:
                    result = next(results)
                except StopIteration:
                    return
                except Exception as e:
                    self._run_error = e
                    raise
                finally:
                    self._waiting += time.perf_counter() - t0
                early[result.entry.source] = result
                if len(early) > self.HOLD:  # the oldest is let go: read from the cache in its turn
                    let_go.add(early.pop(next(iter(early))).entry.source)
            result = early.pop(source, None)
            if result is None:  # reused, or let go: from the cache
                let_go.discard(source)
                yield from _parsed_rows(*_stored(self.cache.db, source))
            elif result.rows is not None and len(result.rows) == result.entry.articles:
                yield from result.rows
            else:
                yield from _parsed_rows(result.documents, result.index)
            del result


def _stored(db: sqlite3.Connection, source: str) -> tuple[str, str]:
    """(documents JSON lines, full-text rows JSON lines) of one source in a result cache."""
    row = db.execute("SELECT documents, fts FROM results WHERE source=?", (source,)).fetchone()
    return row or ("", "")


def _parsed_rows(documents: str, fts: str):
    """The database rows of one file's articles, from its cached documents and index lines."""
    from pipeline.store import article_rows
    index = [line for line in fts.splitlines() if line.strip()]
    for k, line in enumerate(x for x in documents.splitlines() if x.strip()):
        yield article_rows(Article.model_validate_json(line), json.loads(index[k]) if k < len(index) else None)


def run(inputs: Iterable[Path], out_dir: Path, settings: Settings = DEFAULT, workers: int = 1,
        engine: str = "local", scheduler: Optional[str] = None, store: bool = True,
        on_file: Optional[Callable[[FileResult], None]] = None, parquet: bool = False) -> RunSummary:
    """Process the inputs and write documents.jsonl, manifest.jsonl and practices.db to out_dir.

    workers: processes for the extraction (each loads the pipeline once); engine: "local" or
    "dask" (scheduler: a Dask scheduler address, default a LocalCluster of `workers` processes).
    Returns the RunSummary; on_file is called with each file's FileResult as it is produced."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files, problems = discover(inputs)
    version = result_version(settings)
    cache = ResultCache(out_dir / ".fedreports" / "cache.sqlite")
    summary = RunSummary()
    database: Optional[_InlineDatabase] = None
    assembly: Optional[_Assembly] = None
    try:
        cache.forget_except({str(p) for p in files})
        known = cache.keys()
        todo: list[tuple[Path, str]] = []
        for p in files:
            try:
                sha = sha256_of(p)
            except OSError as e:
                cache.put(failed_result(str(p), f"cannot read: {e.strerror}", retry=True), version)
                continue
            if known.get(str(p)) == (sha, version):
                summary.reused += 1
                continue
            todo.append((p, sha))
        del known
        cache.commit()
        waiting = {str(p) for p, _ in todo}
        done = {str(p) for p in files} - waiting  # unchanged, or failed before running
        assembly = _Assembly(files, problems, cache, out_dir, summary)
        assembly.advance(done)
        from pipeline import engines
        if store and todo and INLINE_DATABASE:
            database = _InlineDatabase(out_dir / "practices.db", files, set(done), cache,
                                       streamed=not engines.in_process(settings, workers, engine))
        last_commit = time.monotonic()
        put: list[str] = []

        def results() -> Iterator[FileResult]:
            """The files' results as they come, each stored in the cache (and written out as
            far as source order allows) before it is passed on."""
            nonlocal last_commit, put
            for result in engines.execute(todo, settings, workers=workers, engine=engine, scheduler=scheduler):
                cache.put(result, version)
                put.append(result.entry.source)
                if time.monotonic() - last_commit > COMMIT_EVERY_S:
                    cache.commit()
                    done.update(put)
                    assembly.advance(done)
                    put = []
                    last_commit = time.monotonic()
                for stage, secs in result.timings.items():
                    if stage == "startup":
                        summary.startup = max(summary.startup, secs)
                    else:
                        summary.timings[stage] += secs
                if on_file:
                    on_file(result)
                yield result

        if database is not None:
            database.build(results())
            summary.timings["store"] += database.seconds
        else:
            for _ in results():
                pass
        cache.commit()
        summary = _assemble(assembly, cache, out_dir, summary, store, parquet, database)
        assembly = None
    finally:
        # the run stopped early: the half-written outputs are dropped (a half-built database
        # is dropped by `build_from_rows` itself)
        if assembly is not None:
            assembly.abandon()
        cache.close()
    summary.seconds = time.perf_counter() - started
    return summary


class _Assembly:
    """documents.jsonl, manifest.jsonl and the full-text rows, written in sorted source order
    from the cache while the files run: a file's lines go out as soon as it and every file
    before it are done, so that when the last file is done little is left to write (with
    workers, this process is otherwise idle while they run). The files are temp files until
    `finish` swaps them in; `abandon` removes them (the run stopped early)."""

    def __init__(self, files: list[Path], problems: list[ManifestEntry], cache: ResultCache, out_dir: Path,
                 summary: RunSummary):
        self.files, self.cache, self.out_dir, self.summary = files, cache, out_dir, summary
        self.next = 0
        self.digest = hashlib.sha256()
        self.docs_tmp, self.docs = _atomic_writer(out_dir / "documents.jsonl")
        self.man_tmp, self.man = _atomic_writer(out_dir / "manifest.jsonl")
        self.index_path = out_dir / ".fedreports" / "index.jsonl"  # full-text rows, one line per article
        self.index_tmp, self.index = _atomic_writer(self.index_path)
        from pipeline.store import Writeback
        self.writeback = [Writeback(self.docs_tmp), Writeback(self.index_tmp)]
        self.unsynced = 0
        for entry in problems:
            self.man.write(entry.model_dump_json() + "\n")
            summary.files += 1
            summary.failed += 1
            summary.failures.append(entry)

    def advance(self, done: set[str]) -> None:
        """Write the files, in order, up to the first one not in `done` (their results are in the cache)."""
        t0 = time.perf_counter()
        while self.next < len(self.files) and str(self.files[self.next]) in done:
            self._write(str(self.files[self.next]))
            self.next += 1
        self.summary.timings["assemble"] += time.perf_counter() - t0

    def _write(self, source: str) -> None:
        summary = self.summary
        row = self.cache.get(source)
        if row is None:  # pragma: no cover - every file was processed above
            row = ("failed", 0, 0, 0, ManifestEntry(source=source, status="failed",
                                                      reason="no result recorded").model_dump_json(), "", "")
        status, articles, relevant, size, entry, documents, fts = row
        summary.files += 1
        summary.bytes += size
        setattr(summary, status, getattr(summary, status) + 1)
        if status == "failed":
            summary.failures.append(ManifestEntry.model_validate_json(entry))
        self.man.write(entry + "\n")
        self.docs.write(documents)
        self.index.write(fts)
        self.unsynced += len(documents) + len(fts)
        if self.unsynced > WRITEBACK_CHARS:  # to disk in the background: the final fsync then waits for little
            self.unsynced = 0
            for f in (self.docs, self.index):
                f.flush()
            for w in self.writeback:
                w.kick()
        self.digest.update(documents.encode("utf-8"))
        summary.articles += articles
        summary.relevant += relevant

    def finish(self) -> str:
        """Write the rest (every file is done now) and swap the files in; returns what the
        derived outputs are built from (pipeline version and documents.jsonl's hash)."""
        self.advance({str(p) for p in self.files})
        t0 = time.perf_counter()
        for w in self.writeback:
            w.close()
        _commit_file(self.docs_tmp, self.out_dir / "documents.jsonl", self.docs)
        _commit_file(self.man_tmp, self.out_dir / "manifest.jsonl", self.man)
        _commit_file(self.index_tmp, self.index_path, self.index)
        self.summary.timings["assemble"] += time.perf_counter() - t0
        return f"{pipeline_version()}/{self.digest.hexdigest()}"

    def abandon(self) -> None:
        for w in self.writeback:
            w.close()
        for f, tmp in ((self.docs, self.docs_tmp), (self.man, self.man_tmp), (self.index, self.index_tmp)):
            f.close()
            tmp.unlink(missing_ok=True)


def _assemble(assembly: _Assembly, cache: ResultCache, out_dir: Path, summary: RunSummary, store: bool,
              parquet: bool, database: "Optional[_InlineDatabase]" = None) -> RunSummary:
    """Finish documents.jsonl and manifest.jsonl (`_Assembly`), then the database and Parquet
    partitions derived from documents.jsonl. These are rebuilt only when documents.jsonl or the
    pipeline changed, or they are not the files last built. `database`: the database being
    built from the same results while the files ran."""
    built_from = assembly.finish()
    db = out_dir / "practices.db"
    if database is not None and database.ok:  # built from these very articles while the files ran
        cache.derived_written(db, built_from)
    if store and not cache.derived_is_current(db, built_from):
        t0 = time.perf_counter()
        _write_database(out_dir / "documents.jsonl", db, assembly.index_path)
        if db.exists():
            cache.derived_written(db, built_from)
        summary.timings["store"] += time.perf_counter() - t0
    folder = out_dir / "parquet"
    if parquet and not cache.derived_is_current(folder, built_from):
        t0 = time.perf_counter()
        from pipeline.engines import write_parquet
        write_parquet(out_dir / "documents.jsonl", folder)
        cache.derived_written(folder, built_from)
        summary.timings["parquet"] += time.perf_counter() - t0
    return summary


def _write_database(documents: Path, db: Path, index: Optional[Path] = None) -> None:
    """Build the database into a new file and swap it in: a re-run never updates an old
    database in place, so an incremental run ends with exactly what a fresh run writes."""
    from pipeline.store import write_database
    _remove_stale_temps(db)
    tmp = db.with_name(db.name + f".tmp{os.getpid()}")
    for stale in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm"), tmp.with_name(tmp.name + "-journal")):
        stale.unlink(missing_ok=True)
    try:
        write_database(documents, tmp, index)
        if tmp.exists():
            os.replace(tmp, db)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_stale_temps(path: Path) -> None:
    """Temp files of an output whose writing process is gone (a run killed while writing):
    `documents.jsonl.tmp<pid>`, `practices.db.tmp<pid>`, and the store's own
    `.practices.db.tmp<pid>.<pid>.building` and `.practices.db.<pid>.building`."""
    import re

    from pipeline.store import _alive
    for f in [*path.parent.glob(f"{path.name}.tmp*"), *path.parent.glob(f".{path.name}.*")]:
        m = re.match(rf"\.?{re.escape(path.name)}\.(?:tmp)?(\d+)", f.name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            f.unlink(missing_ok=True)