"""Store stage: documents.jsonl -> practices.db, a SQLite database with Chinese full-text search.

Tables (one row per record of `schemas`; JSON arrays are stored as JSON text):

    documents   doc_id PK, source, article, relevant, title, published, organisation,
                main_region, main_region_adcode, main_region_level, main_region_path, flags, text
    places      id PK, doc_id, name, level, adcode, path, province, city, county, mentions,
                surface (first written form), start, end (first mention)
    programmes  id PK, doc_id, key, name, aliases, region, region_adcode, region_level,
                region_path, province, mentions, start, end
    counts      id PK, doc_id, text, value, unit, approx, object, action, start, end, sentence
    outcomes    id PK, doc_id, type, name, text, by, start, end, sentence
    practices   id PK, province, city, county, region, organisation, programme, activity,
                theme (the first), year, figures (the indicators written out), evidence_text,
                source, title, published, themes, doc_id, region_adcode, region_level,
                region_path, programme_key, n_indicators, n_outcomes, start, end
    practice_themes      practice_id, theme, rank
    practice_indicators  practice_id, seq, count_id     (-> counts.id)
    practice_outcomes    practice_id, seq, outcome_id   (-> outcomes.id)
    evidence             practice_id, seq, start, end, text
    practices_fts        FTS5 over practices (rowid = practices.rowid): programme, activity,
                         evidence, context (organisation, region path, themes, title), each
                         segmented with `pipeline.segment.segment_for_search` and joined by
                         spaces; queries are segmented the same way (`fts_query`). Contentless
                         (the index only: MATCH, bm25 and rowid; the words themselves are not kept,
                         the text is in practices and evidence)
    fedreports_meta      key, value: schema version and the segmentation dictionary's hash

The database is built into a temporary file beside the target and swapped in with
`os.replace`, so a killed run never leaves a half-written database. Ids are derived from the
records (doc_id, offsets, order in the file) and rows are inserted in file order, so a
rebuild from the same documents.jsonl has the same content.
"""
from __future__ import annotations

import bisect
import functools
import gc
import hashlib
import itertools
import json
import operator
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from schemas import Article, Count, Outcome, Practice, RegionRef

SCHEMA_VERSION = "2"  # 2: practices_fts is contentless

# SQLite page cache of a streamed build, KiB: with the default 2 MB, the secondary indices kept
# up as rows arrive are read back from the OS again and again (half the build's system time
# at 10,000 documents: 5.2 -> 2.6 s, the plain build's). The whole build's CPU moved within the
# noise, and the build holds ~67 MB more
STREAMED_CACHE_KIB = 65536
# rows a streamed build holds before writing them: what is held when the last article comes
# is written after it, while the run waits (20,000 rows took 0.4 s, with the run's 2 workers
# on the same 2 cores)
STREAMED_ROWS_PER_WRITE = 2_000
# a streamed build commits (journal off: its pages go to the file, unsynced) and syncs them in
# the background at most this often, so that the end has little to write and sync: at 1,000
# documents the wait for the database after the last file went 0.6-0.7 s -> 0.15-0.25 s.
# A commit after every write cost the build ~0.6 s more CPU; once a second, within the noise
STREAMED_COMMIT_S = 1.0
# bytes of full-text terms FTS5 holds in memory before writing them out as a segment of the
# index (its default: 1 MB). Fewer, larger segments leave less merging to do: inserting the
# full-text rows of 10,000 documents (140,000 practices) took 5.3 s of CPU with the default
# and 3.2-3.3 s with 64 MB, the index 70 -> 66 MB, searches as fast. A commit writes them
# out too, whatever their size
FTS_HASH_BYTES = 64 << 20

SCHEMA = """
CREATE TABLE fedreports_meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, article INTEGER NOT NULL, relevant INTEGER NOT NULL,
    title TEXT, published TEXT, organisation TEXT,
    main_region TEXT, main_region_adcode TEXT, main_region_level TEXT, main_region_path TEXT,
    flags TEXT, text TEXT NOT NULL);
CREATE TABLE places (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    name TEXT NOT NULL, level TEXT, adcode TEXT, path TEXT, province TEXT, city TEXT, county TEXT,
    mentions INTEGER, surface TEXT, start INTEGER, "end" INTEGER);
CREATE TABLE programmes (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    key TEXT NOT NULL, name TEXT NOT NULL, aliases TEXT,
    region TEXT, region_adcode TEXT, region_level TEXT, region_path TEXT, province TEXT,
    mentions INTEGER, start INTEGER, "end" INTEGER);
CREATE TABLE counts (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    text TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL, approx INTEGER NOT NULL,
    object TEXT, action TEXT, start INTEGER NOT NULL, "end" INTEGER NOT NULL, sentence TEXT);
CREATE TABLE outcomes (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    type TEXT NOT NULL, name TEXT, text TEXT NOT NULL, "by" TEXT,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, sentence TEXT);
CREATE TABLE practices (
    id TEXT PRIMARY KEY, province TEXT, city TEXT, county TEXT, region TEXT, organisation TEXT,
    programme TEXT, activity TEXT NOT NULL, theme TEXT, year INTEGER, figures TEXT, evidence_text TEXT,
    source TEXT NOT NULL, title TEXT, published TEXT, themes TEXT,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id), region_adcode TEXT, region_level TEXT, region_path TEXT,
    programme_key TEXT, n_indicators INTEGER, n_outcomes INTEGER, start INTEGER, "end" INTEGER);
CREATE TABLE practice_themes (
    practice_id TEXT NOT NULL REFERENCES practices(id), theme TEXT NOT NULL, rank INTEGER NOT NULL,
    PRIMARY KEY (practice_id, theme));
CREATE TABLE practice_indicators (
    practice_id TEXT NOT NULL REFERENCES practices(id), seq INTEGER NOT NULL,
    count_id INTEGER NOT NULL REFERENCES counts(id), PRIMARY KEY (practice_id, seq));
CREATE TABLE practice_outcomes (
    practice_id TEXT NOT NULL REFERENCES practices(id), seq INTEGER NOT NULL,
    outcome_id INTEGER NOT NULL REFERENCES outcomes(id), PRIMARY KEY (practice_id, seq));
CREATE TABLE evidence (
    practice_id TEXT NOT NULL REFERENCES practices(id), seq INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (practice_id, seq));
CREATE VIRTUAL TABLE practices_fts USING fts5(
    programme, activity, evidence, context, content = '', tokenize = 'unicode61 remove_diacritics 0');
"""

INDICES = """
CREATE INDEX idx_documents_source ON documents(source);
CREATE INDEX idx_places_doc ON places(doc_id);
CREATE INDEX idx_places_name ON places(name);
CREATE INDEX idx_places_province ON places(province);
CREATE INDEX idx_programmes_doc ON programmes(doc_id);
CREATE INDEX idx_programmes_key ON programmes(key);
CREATE INDEX idx_counts_doc ON counts(doc_id);
CREATE INDEX idx_counts_unit_object ON counts(unit, object);
CREATE INDEX idx_outcomes_doc ON outcomes(doc_id);
CREATE INDEX idx_practices_doc ON practices(doc_id);
CREATE INDEX idx_practices_province ON practices(province);
CREATE INDEX idx_practices_city ON practices(city);
CREATE INDEX idx_practices_county ON practices(county);
CREATE INDEX idx_practices_region ON practices(region);
CREATE INDEX idx_practices_theme ON practices(theme);
CREATE INDEX idx_practices_programme_key ON practices(programme_key);
CREATE INDEX idx_practices_year ON practices(year);
CREATE INDEX idx_practice_themes_theme ON practice_themes(theme);
CREATE INDEX idx_practice_indicators_count ON practice_indicators(count_id);
CREATE INDEX idx_practice_outcomes_outcome ON practice_outcomes(outcome_id);
"""

# FTS5 bm25 weights of the practices_fts columns: programme, activity, evidence, context
BM25_WEIGHTS = (10.0, 4.0, 1.0, 0.5)


def quote_identifier(name: str) -> str:
    """The one helper that quotes a table or column name for SQL (names are never parameters)."""
    return '"' + str(name).replace('"', '""') + '"'


def dumps(value) -> str:
    """JSON text as stored in the database (UTF-8 kept readable, keys in order)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=16384)
def _dumps_list(items: tuple) -> str:
    """`dumps` of a list that recurs (a region path, a practice's themes)."""
    return dumps(list(items))


# ---------------------------------------------------------------- segmentation for FTS

_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
_SURROGATE = re.compile("[\ud800-\udfff]")


def fts_tokens(text: Optional[str]) -> list[str]:
    """Words of `text` for the full-text index: jieba search-mode segmentation with the
    federation dictionary, punctuation and spaces dropped."""
    from pipeline.segment import segment_for_search

    if not text:
        return []
    return _keep(segment_for_search(text))


def fts_document(text: Optional[str]) -> str:
    """`text` as stored in practices_fts: its words joined by spaces."""
    return " ".join(fts_tokens(text))


def _keep(words) -> list[str]:
    return [w for w in map(_kept, words) if w]


@functools.lru_cache(maxsize=262144)
def _kept(token: str) -> str:
    """`token` as indexed: stripped, or "" for punctuation and spaces (tokens recur: decided once)."""
    w = token.strip()
    return w if w and _WORD.search(w) else ""


@functools.lru_cache(maxsize=8192)
def _part_words(part: str) -> tuple[str, ...]:
    """fts_tokens of a short recurring string (a programme name, an organisation, a region or
    theme name): jieba splits at spaces, so the words of "A B" are the words of A, then B."""
    return tuple(fts_tokens(part))


def _joined(parts) -> str:
    return " ".join(w for part in parts if part for w in _part_words(part))


def fts_index(article: Article, words: Optional[list[str]] = None,
              tokens: Optional[list[tuple[int, int, str]]] = None) -> list[list[str]]:
    """The practices_fts columns (programme, activity, evidence, context) of each practice of
    `article`, in order, as `fts_document` makes them. Evidence sentences and the activity
    phrase are spans of the article, so their words come from one search-mode segmentation of
    the article, derived from its precise-mode `words` when the caller has them (the segment
    stage), or given as `tokens` (`search_tokens` of those words): no text is segmented twice.
    Names, organisations, regions and themes recur and are segmented once per process."""
    from pipeline.segment import search_tokens, segment

    if not (article.relevant and article.practices):
        return []
    if tokens is None:
        tokens = search_tokens(words if words is not None else segment(article.text))
    # token starts are not sorted (a word's sub-words come before it), their running maximum
    # is; evidence spans begin and end on word boundaries, so it brackets them exactly
    key = list(itertools.accumulate(map(operator.itemgetter(0), tokens), max))
    def words_in(start: int, end: int) -> list[str]:
        lo, hi = bisect.bisect_left(key, start), bisect.bisect_left(key, end)
        return [w for a, b, w in tokens[lo:hi] if start <= a and b <= end]

    title = " ".join(fts_tokens(article.title))
    rows = []
    for p in article.practices:
        evidence = [w for e in p.evidence for w in words_in(e.start, e.end)]
        # the activity phrase is cut from an evidence sentence: the article's words inside it
        # (a word the cut splits at the phrase's edge is left out, not indexed as a fragment)
        at = next(((e.start + e.text.find(p.activity)) for e in p.evidence if p.activity and p.activity in e.text), None)
        activity = " ".join(_keep(words_in(at, at + len(p.activity)))) if at is not None else fts_document(p.activity)
        path = list(p.region.path) if p.region else []
        context = " ".join(x for x in (_joined([p.organisation, *path, *p.themes]), title) if x)
        rows.append([_joined([p.programme, p.programme_key]), activity, " ".join(_keep(evidence)), context])
    return rows


def normalise_query(text: Optional[str]) -> str:
    """A user's words made comparable with the stored text, which the clean stage wrote:
    NFKC (full-width letters and digits) and traditional -> simplified (雙學雙比 -> 双学双比)."""
    import unicodedata

    from pipeline.clean import to_simplified
    text = _SURROGATE.sub("", unicodedata.normalize("NFKC", text or ""))  # undecodable bytes of a command line
    return to_simplified(text).strip()


def fts_query(query: str) -> str:
    """An FTS5 MATCH expression for a user's query: the query normalised like the stored text
    (`normalise_query`), segmented with the same dictionary (precise mode), each word quoted
    as an FTS phrase, all words required.
    Raises ValueError when the query has no word."""
    from pipeline.segment import segment

    words = [w for w in (t.strip() for t in segment(normalise_query(query))) if w and _WORD.search(w)]
    if not words:
        raise ValueError(f"nothing to search for in {query!r}")
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in dict.fromkeys(words))


def segmenter_fingerprint() -> str:
    """Hash of the user dictionary the index was segmented with."""
    from pipeline.datafiles import user_dictionary_text
    return hashlib.sha1(user_dictionary_text().encode("utf-8")).hexdigest()[:12]


# ---------------------------------------------------------------- writing

@dataclass
class StoreSummary:
    documents: int = 0
    practices: int = 0
    counts: int = 0
    places: int = 0
    programmes: int = 0
    outcomes: int = 0


def _region_cols(r: Optional[RegionRef]) -> tuple:
    if r is None:
        return (None, None, None, None)
    return (r.name, r.adcode, r.level, _dumps_list(tuple(r.path)))


def _levels(path: list[str]) -> tuple[Optional[str], Optional[str], Optional[str]]:
    return tuple((path[i] if len(path) > i else None) for i in range(3))  # type: ignore[return-value]


def _figure(c: Count) -> str:
    what = c.object or ""
    return f"{c.text}{('（' + what + '）') if what else ''}"


def read_articles(documents: Path) -> Iterator[Article]:
    """The articles of a documents.jsonl file, in file order (blank lines skipped)."""
    with open(documents, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield Article.model_validate_json(line)


def read_index(index: Path) -> Iterator[Optional[list[list[str]]]]:
    """The lines of an index file written beside documents.jsonl (one JSON list of
    `fts_index` rows per article, in the same order)."""
    with open(index, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def write_database(documents: Path, db: Path, index: Optional[Path] = None) -> StoreSummary:
    """Build `db` from a documents.jsonl file (atomically: a temp file, then os.replace).
    `index`: the articles' full-text rows computed where they were produced (`fts_index`),
    one line per article; without it they are computed here."""
    articles = read_articles(Path(documents))
    rows = read_index(Path(index)) if index is not None else None
    return build_database(articles, db, rows)


def build_database(articles: Iterable[Article], db: Path,
                   index: Optional[Iterable[Optional[list[list[str]]]]] = None,
                   streamed: bool = False, pause_gc: bool = True) -> StoreSummary:
    """Build `db` from articles (their `practices` included); returns what was written.
    `index`: each article's `fts_index` rows, in the same order (computed here when absent).
    `streamed`, `pause_gc`: see `build_from_rows`."""
    rows_of = iter(index) if index is not None else None
    return build_from_rows((article_rows(a, next(rows_of, None) if rows_of is not None else None) for a in articles),
                           db, streamed=streamed, pause_gc=pause_gc)


def build_from_rows(items: Iterable[ArticleRows], db: Path, streamed: bool = False,
                    pause_gc: bool = True) -> StoreSummary:
    """Build `db` from the articles' rows (`article_rows`), in order; returns what was written.
    `streamed`: the articles arrive while a run produces them (`pipeline.run`), so what can
    be done as they come is done then and not after the last one: the secondary indices are
    kept up as rows go in (a little more work in all than one sort at the end, but the end is
    what the run waits for) and the written pages go to disk in the background.
    `pause_gc`: pause the cycle collector for the build (see below); False when the articles
    are produced by the pipeline in this very process while the build runs (`pipeline.run`),
    whose garbage the collector must keep up with."""
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f".{db.name}.{os.getpid()}.building")
    _remove_stale_builds(db)
    for stale in (tmp, Path(str(tmp) + "-journal")):
        stale.unlink(missing_ok=True)
    # the articles read back are large trees of small objects, freed by reference counting as
    # soon as their rows are written; the cycle collector would only walk them again and again
    # (a fifth of the build time), so it pauses for the build
    collecting = gc.isenabled()
    if pause_gc:
        gc.disable()
    try:
        conn = sqlite3.connect(tmp)
        writeback = Writeback(tmp) if streamed else None
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            if streamed:  # indices kept up as rows come touch pages all over them: keep more in hand
                conn.execute(f"PRAGMA cache_size=-{STREAMED_CACHE_KIB}")
            conn.executescript(SCHEMA + (INDICES if streamed else ""))
            conn.execute("INSERT INTO practices_fts(practices_fts, rank) VALUES ('hashsize', ?)", (FTS_HASH_BYTES,))
            rows = _Rows(conn, STREAMED_ROWS_PER_WRITE, _committer(conn, writeback)) if streamed else _Rows(conn)
            summary = _fill_rows(rows, items)
            rows.flush()
            if not streamed:
                conn.executescript(INDICES)
            # no FTS5 'optimize' (one b-tree for the whole index): at 10,000 documents it
            # rewrote the index in 1.2 s at the end of the build, and 20 ranked searches with
            # their counts took 0.57-0.60 s without it, 0.56-0.57 s with it (FTS5 merges its
            # segments as rows go in)
            conn.commit()
        finally:
            conn.close()
            if writeback is not None:
                writeback.close()
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, db)
    finally:
        if collecting and pause_gc:
            gc.enable()
        tmp.unlink(missing_ok=True)
    return summary


def _remove_stale_builds(db: Path) -> None:
    """Delete temp files left by builds of `db` whose process is gone (a killed run)."""
    for f in db.parent.glob(f".{db.name}.*.building*"):
        try:
            pid = int(f.name[len(db.name) + 2:].split(".", 1)[0])
        except ValueError:
            continue
        if pid == os.getpid() or not _alive(pid):
            f.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Is process `pid` running? A zombie (dead, not yet reaped: in a container whose init
    does not reap, a killed run's helpers stay so) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc (not Linux): the signal test is all there is
        return True


class Writeback:
    """Pages of a file being written go to disk in the background (`kick`: an fdatasync in a
    thread, unless one is still running), so that the final fsync before the file is swapped
    in finds little left to write."""

    def __init__(self, path: Path):
        import threading
        self.fd = os.open(path, os.O_RDONLY)
        self.thread: Optional[threading.Thread] = None

    def kick(self) -> None:
        import threading
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._sync, name="fedreports-writeback", daemon=True)
            self.thread.start()

    def _sync(self) -> None:
        try:
            os.fdatasync(self.fd)
        except OSError:  # closed under us, or a file system that cannot: the final fsync does it
            pass

    def close(self) -> None:
        """Wait for the sync under way and let the file go (again: nothing more)."""
        if self.thread is not None:
            self.thread.join()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _committer(conn: sqlite3.Connection, writeback: "Writeback") -> Callable[[], None]:
    """After each write of a streamed build: commit and start a background sync, when the
    last commit is `STREAMED_COMMIT_S` old."""
    last = time.monotonic()

    def written() -> None:
        nonlocal last
        if time.monotonic() - last >= STREAMED_COMMIT_S:
            conn.commit()
            writeback.kick()
            last = time.monotonic()
    return written


class _Rows:
    """Rows waiting to be inserted, by statement, written with one `executemany` per statement
    every `limit` rows (one `execute` per row costs more than SQLite's own work). It takes
    `execute(sql, row)` and `executemany(sql, rows)` like the connection; tables fill in the
    order their rows were given, so ids and rowids are those of row-by-row inserts."""

    def __init__(self, conn: sqlite3.Connection, limit: int = 20_000, on_flush: Optional[Callable[[], None]] = None):
        self.conn, self.limit, self.pending, self.n, self.on_flush = conn, limit, {}, 0, on_flush

    def execute(self, sql: str, row) -> None:
        self.pending.setdefault(sql, []).append(row)
        self.n += 1
        if self.n >= self.limit:
            self.flush()

    def executemany(self, sql: str, rows) -> None:
        for row in rows:
            self.execute(sql, row)

    def flush(self) -> None:
        for sql, rows in self.pending.items():
            self.conn.executemany(sql, rows)
        self.pending, self.n = {}, 0
        if self.on_flush is not None:
            self.on_flush()


@functools.lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return (f"INSERT INTO {quote_identifier(table)} ({', '.join(quote_identifier(k) for k in columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})")


# ArticleRows: one article's database rows, made where the article is made (a worker
# process: `pipeline.run.Processor`) and inserted by `_insert_article` in source order. Ids
# of places, programmes, counts and outcomes are numbered within the article from 1 and
# practices carry no rowid: `_insert_article` adds the numbers of the articles before it (and
# renames a repeated practice id), so the rows can be made in any process and any order. A tuple of lists of tuples, for a cheap
# pickle: (doc_id, documents row, places, programmes, counts, outcomes, practices), a
# practice being (id, practices row without rowid and id, themes [(theme, rank)],
# indicators [(seq, count id)], outcomes [(seq, outcome id)], evidence [(seq, start, end,
# text)], full-text columns).
ArticleRows = tuple

PRACTICE_COLUMNS = ("id", "doc_id", "source", "title", "published", "year", "organisation", "region",
                    "region_adcode", "region_level", "region_path", "province", "city", "county", "programme",
                    "programme_key", "activity", "theme", "themes", "figures", "n_indicators", "n_outcomes",
                    "evidence_text", "start", "end")


def article_rows(a: Article, fts_rows: Optional[list[list[str]]] = None) -> ArticleRows:
    """The database rows of one article (see `ArticleRows`); `fts_rows`: its practices'
    full-text rows (`fts_index`), computed here when absent or not one per practice."""
    doc_id = a.doc_id
    document = (doc_id, a.source, a.article, int(a.relevant), a.title, a.published, a.organisation,
                *_region_cols(a.main_region), dumps(a.flags), a.text)
    places = []
    for p in a.places:
        first = min(p.mentions, key=lambda m: (m.start, m.end), default=None)
        places.append((len(places) + 1, doc_id, p.name, p.level, p.adcode, _dumps_list(tuple(p.path)), *_levels(p.path),
                       len(p.mentions), first.text if first else None, first.start if first else None,
                       first.end if first else None))
    programmes = []
    for g in a.programmes:
        first = min(g.mentions, key=lambda m: (m.start, m.end), default=None)
        region = g.region
        programmes.append((len(programmes) + 1, doc_id, g.key, g.name, dumps(g.aliases), *_region_cols(region),
                           region.path[0] if region and region.path else None, len(g.mentions),
                           first.start if first else None, first.end if first else None))
    counts: list[tuple] = []
    count_ids: dict[tuple, int] = {}
    for c in a.counts:
        count_ids.setdefault((c.start, c.end, c.text), _count_row(counts, doc_id, c))
    outcomes: list[tuple] = []
    outcome_ids: dict[tuple, int] = {}
    for o in a.outcomes:
        outcome_ids.setdefault((o.start, o.end, o.type, o.text), _outcome_row(outcomes, doc_id, o))
    practices = []
    if a.relevant and a.practices:
        if fts_rows is None or len(fts_rows) != len(a.practices):
            fts_rows = fts_index(a)
        for p, fts_row in zip(a.practices, fts_rows):
            indicators = []
            for seq, c in enumerate(p.indicators):
                key = (c.start, c.end, c.text)
                if key not in count_ids:  # an indicator that is not one of the article's counts
                    count_ids[key] = _count_row(counts, doc_id, c)
                indicators.append((seq, count_ids[key]))
            linked = []
            for seq, o in enumerate(p.outcomes):
                key = (o.start, o.end, o.type, o.text)
                if key not in outcome_ids:
                    outcome_ids[key] = _outcome_row(outcomes, doc_id, o)
                linked.append((seq, outcome_ids[key]))
            practices.append((p.id, _practice_row(a, p), [(t, i) for i, t in enumerate(p.themes)], indicators, linked,
                              [(i, e.start, e.end, e.text) for i, e in enumerate(p.evidence)], tuple(fts_row)))
    return (doc_id, document, places, programmes, counts, outcomes, practices)


def _count_row(counts: list, doc_id: str, c: Count) -> int:
    counts.append((len(counts) + 1, doc_id, c.text, c.value, c.unit, int(c.approx), c.object, c.action, c.start,
                   c.end, c.sentence))
    return len(counts)


def _outcome_row(outcomes: list, doc_id: str, o: Outcome) -> int:
    outcomes.append((len(outcomes) + 1, doc_id, o.type, o.name, o.text, o.by, o.start, o.end, o.sentence))
    return len(outcomes)


def _practice_row(a: Article, p: Practice) -> tuple:
    """The practices row of `p`, PRACTICE_COLUMNS but the id."""
    path = list(p.region.path) if p.region else []
    return (p.doc_id, p.source, a.title, a.published, p.year, p.organisation, *_region_cols(p.region), *_levels(path),
            p.programme, p.programme_key, p.activity, p.themes[0] if p.themes else None, _dumps_list(tuple(p.themes)),
            "；".join(_figure(c) for c in p.indicators), len(p.indicators), len(p.outcomes),
            "\n".join(e.text for e in p.evidence), min((e.start for e in p.evidence), default=None),
            max((e.end for e in p.evidence), default=None))


def _fill_rows(conn: _Rows, items: Iterable[ArticleRows]) -> StoreSummary:
    s = StoreSummary()
    conn.executemany("INSERT INTO fedreports_meta VALUES (?, ?)",
                     [("schema_version", SCHEMA_VERSION), ("segmenter", segmenter_fingerprint())])
    seen_docs: set[str] = set()
    seen_practices: set[str] = set()
    for item in items:
        _insert_article(conn, s, item, seen_docs, seen_practices)
    return s


def _insert_article(conn: _Rows, s: StoreSummary, item: ArticleRows, seen_docs: set, seen_practices: set) -> None:
    """Insert one article's rows, its local ids numbered after the articles before it."""
    doc_id, document, places, programmes, counts, outcomes, practices = item
    if doc_id in seen_docs:  # a repeated line: the first wins
        return
    seen_docs.add(doc_id)
    s.documents += 1
    conn.execute("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", document)
    n = s.places
    conn.executemany("INSERT INTO places VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", [(n + r[0], *r[1:]) for r in places])
    n = s.programmes
    conn.executemany("INSERT INTO programmes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     [(n + r[0], *r[1:]) for r in programmes])
    counted, n = s.counts, s.counts
    conn.executemany("INSERT INTO counts VALUES (?,?,?,?,?,?,?,?,?,?,?)", [(n + r[0], *r[1:]) for r in counts])
    told, n = s.outcomes, s.outcomes
    conn.executemany("INSERT INTO outcomes VALUES (?,?,?,?,?,?,?,?,?)", [(n + r[0], *r[1:]) for r in outcomes])
    s.places, s.programmes = s.places + len(places), s.programmes + len(programmes)
    s.counts, s.outcomes = s.counts + len(counts), s.outcomes + len(outcomes)
    for pid, row, themes, indicators, linked, evidence, fts_row in practices:
        if pid in seen_practices or not pid:  # ids must be unique: keep the record, renamed
            pid = f"{pid or doc_id}~{s.practices + 1}"
        seen_practices.add(pid)
        s.practices += 1
        rowid = s.practices  # rows are numbered in insertion order; the FTS row takes the same number
        conn.execute(_insert_sql("practices", ("rowid", *PRACTICE_COLUMNS)), (rowid, pid, *row))
        conn.executemany("INSERT INTO practice_themes VALUES (?,?,?)", [(pid, t, i) for t, i in themes])
        conn.executemany("INSERT INTO practice_indicators VALUES (?,?,?)",
                         [(pid, seq, counted + c) for seq, c in indicators])
        conn.executemany("INSERT INTO practice_outcomes VALUES (?,?,?)", [(pid, seq, told + o) for seq, o in linked])
        conn.executemany("INSERT INTO evidence VALUES (?,?,?,?,?)", [(pid, *e) for e in evidence])
        conn.execute("INSERT INTO practices_fts(rowid, programme, activity, evidence, context) VALUES (?,?,?,?,?)",
                     (rowid, *fts_row))


__all__ = ["ArticleRows", "BM25_WEIGHTS", "StoreSummary", "article_rows", "build_database", "build_from_rows", "dumps", "fts_document", "fts_index", "fts_query", "fts_tokens",
           "normalise_query",
           "quote_identifier", "read_articles", "write_database"]
