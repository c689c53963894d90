"""Query stage: search, compare, export and load the practice table (`practices.db`).

Everything the `search`, `compare` and `export` commands and `fedreports.load()` do goes
through this module; the commands only parse options and print.

    >>> from pipeline.query import Filters, search
    >>> hits = search("practices.db", "两癌", Filters(region="云南省"))      # doctest: +SKIP
    >>> hits[0]["programme"], hits[0]["region"], hits[0]["source"]         # doctest: +SKIP
    ('两癌救助项目', '永善县', 'corpus/002_511957d7e6d4a40f.txt')

Searching: the query is segmented with the jieba dictionary the index was built with
(`pipeline.store.fts_query`), each word becomes a quoted FTS5 phrase and all are required;
results are ranked by bm25 with the programme name weighted most. When the words match
nothing (a fragment of a longer word, say), practices whose text contains the query as a
substring are returned instead (`match` = "substring"). User input only ever reaches SQL as
a parameter.

Filters (`Filters`): region (a name anywhere on the practice's region path: 云南省 keeps
everything in Yunnan; a short form such as 怒江 matches by prefix when no exact name
exists), level (of the practice's region), theme (a theme or part of its name), programme
(a name or key) and years (`parse_years("2021..2023")`).
"""
from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from pipeline.store import BM25_WEIGHTS, fts_query, normalise_query, quote_identifier
from schemas import Count, Evidence, Outcome, Practice, RegionRef

PathLike = Union[str, Path]
LEVELS = ("province", "city", "county")
UNCLASSIFIED = "(未分类)"
UNKNOWN_REGION = "(地区不明)"
TOTAL = "合计"
HIGHLIGHT = ("【", "】")
_REGION_SUFFIX = re.compile(r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|自治旗|地区|省|市|州|县|区|旗|盟|镇|乡|街道)$")


class QueryError(ValueError):
    """A problem with a query or a database, said in one line."""


# ---------------------------------------------------------------- filters

@dataclass
class Filters:
    """What to keep; every field is optional."""

    region: Optional[str] = None
    level: Optional[str] = None
    theme: Optional[str] = None
    programme: Optional[str] = None
    years: Optional[tuple[Optional[int], Optional[int]]] = None

    @classmethod
    def parse(cls, region=None, level=None, theme=None, programme=None, year: Optional[str] = None) -> "Filters":
        if level is not None and level not in LEVELS:
            raise QueryError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        region, theme, programme = (normalise_query(x) or None if x else None for x in (region, theme, programme))
        return cls(region, level, theme, programme, parse_years(year) if year else None)


def parse_years(text: str) -> tuple[Optional[int], Optional[int]]:
    """'2022' -> (2022, 2022); '2021..2023' -> (2021, 2023); '2021..' and '..2023' are open."""
    m = re.fullmatch(r"\s*(\d{4})?\s*(?:(\.\.|-|–|~)\s*(\d{4})?)?\s*", text or "")
    if not m or not (m.group(1) or m.group(3)):
        raise QueryError(f"year must look like 2022 or 2021..2023, not {text!r}")
    lo = int(m.group(1)) if m.group(1) else None
    hi = int(m.group(3)) if m.group(3) else (lo if not m.group(2) else None)
    if lo is not None and hi is not None and lo > hi:
        raise QueryError(f"year range {text!r} is empty")
    return lo, hi


# ---------------------------------------------------------------- connection

def connect(db: PathLike) -> sqlite3.Connection:
    """A read-only connection to a practices.db (QueryError if it is missing or not one)."""
    path = Path(db)
    if not path.is_file():
        raise QueryError(f"no database at {path} (run `fedreports run INPUT --out DIR` to build DIR/practices.db)")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        conn.execute("SELECT 1 FROM practices LIMIT 1").fetchall()
        conn.execute("SELECT 1 FROM practices_fts LIMIT 1").fetchall()
    except sqlite3.DatabaseError as e:
        raise QueryError(f"{path} is not a fedreports practices database ({e})") from None
    return conn


def _conn(db) -> tuple[sqlite3.Connection, bool]:
    if isinstance(db, sqlite3.Connection):
        db.row_factory = sqlite3.Row
        return db, False
    return connect(db), True


def region_names(conn: sqlite3.Connection, name: str) -> list[str]:
    """Names on practices' region paths that `name` refers to: the exact name when present,
    else names starting with its stem (怒江州 -> 怒江傈僳族自治州)."""
    values = [v for (v,) in conn.execute(
        "SELECT DISTINCT j.value FROM practices AS p, json_each(p.region_path) AS j ORDER BY j.value")]
    if name in values:
        return [name]
    stem = _REGION_SUFFIX.sub("", name.strip())
    if len(stem) < 2:
        return []
    return [v for v in values if v.startswith(stem)]


def _where(conn: sqlite3.Connection, f: Filters) -> tuple[list[str], list[Any]]:
    clauses, params = [], []
    f = Filters(*(normalise_query(x) or None if x else None for x in (f.region, f.level, f.theme, f.programme)),
                f.years)
    if f.region:
        names = region_names(conn, f.region)
        if not names:
            raise QueryError(f"no practice in a region named {f.region!r}")
        clauses.append(f"EXISTS (SELECT 1 FROM json_each(p.region_path) AS j WHERE j.value IN ({','.join('?' * len(names))}))")
        params += names
    if f.level:
        clauses.append("p.region_level = ?")
        params.append(f.level)
    if f.theme:
        clauses.append("EXISTS (SELECT 1 FROM practice_themes AS t WHERE t.practice_id = p.id AND instr(t.theme, ?) > 0)")
        params.append(f.theme)
    if f.programme:
        from pipeline.link import programme_key
        clauses.append("(p.programme_key = ? OR p.programme_key = ? OR instr(p.programme, ?) > 0)")
        params += [f.programme, programme_key(f.programme), f.programme]
    if f.years:
        lo, hi = f.years
        if lo is not None:
            clauses.append("p.year >= ?")
            params.append(lo)
        if hi is not None:
            clauses.append("p.year <= ?")
            params.append(hi)
    return clauses, params


def _select_practices(conn, filters: Filters, query: Optional[str] = None, limit: Optional[int] = None) -> list[sqlite3.Row]:
    """Practice rows matching the filters (and the query, ranked), each with `score` and `match`."""
    clauses, params = _where(conn, filters)
    if query and query.strip():
        try:
            match = fts_query(query)
        except ValueError as e:
            raise QueryError(str(e)) from None
        weights = ", ".join(f"{float(w):g}" for w in BM25_WEIGHTS)
        sql = (f"SELECT p.rowid AS _rowid, p.*, bm25(practices_fts, {weights}) AS score, 'fts' AS match "
               "FROM practices_fts JOIN practices AS p ON p.rowid = practices_fts.rowid "
               f"WHERE practices_fts MATCH ? {''.join(' AND ' + c for c in clauses)} ORDER BY score, p.rowid")
        try:
            rows = conn.execute(sql + (" LIMIT ?" if limit else ""), [match, *params, *([limit] if limit else [])]).fetchall()
        except sqlite3.OperationalError as e:
            raise QueryError(f"cannot search for {query!r}: {e}") from None
        if rows:
            return rows
        like = ("(instr(p.evidence_text, ?) > 0 OR instr(coalesce(p.programme, ''), ?) > 0 "
                "OR instr(p.activity, ?) > 0 OR instr(coalesce(p.title, ''), ?) > 0)")
        q = normalise_query(query)
        sql = (f"SELECT p.rowid AS _rowid, p.*, NULL AS score, 'substring' AS match FROM practices AS p "
               f"WHERE {' AND '.join([like, *clauses])} ORDER BY p.rowid")
        return conn.execute(sql + (" LIMIT ?" if limit else ""), [q, q, q, q, *params, *([limit] if limit else [])]).fetchall()
    sql = (f"SELECT p.rowid AS _rowid, p.*, NULL AS score, NULL AS match FROM practices AS p "
           f"{'WHERE ' + ' AND '.join(clauses) if clauses else ''} ORDER BY p.rowid")
    return conn.execute(sql + (" LIMIT ?" if limit else ""), [*params, *([limit] if limit else [])]).fetchall()


# ---------------------------------------------------------------- records

def _children(conn, ids: list[str]) -> tuple[dict, dict, dict]:
    """Indicators, outcomes and evidence of the given practices, by practice id, in order."""
    counts, outcomes, evidence = defaultdict(list), defaultdict(list), defaultdict(list)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(f"SELECT pi.practice_id, c.* FROM practice_indicators AS pi JOIN counts AS c "
                              f"ON c.id = pi.count_id WHERE pi.practice_id IN ({marks}) ORDER BY pi.practice_id, pi.seq", chunk):
            counts[r["practice_id"]].append(r)
        for r in conn.execute(f"SELECT po.practice_id, o.* FROM practice_outcomes AS po JOIN outcomes AS o "
                              f"ON o.id = po.outcome_id WHERE po.practice_id IN ({marks}) ORDER BY po.practice_id, po.seq", chunk):
            outcomes[r["practice_id"]].append(r)
        for r in conn.execute(f"SELECT * FROM evidence WHERE practice_id IN ({marks}) ORDER BY practice_id, seq", chunk):
            evidence[r["practice_id"]].append(r)
    return counts, outcomes, evidence


def _count(r) -> Count:
    return Count(text=r["text"], value=r["value"], unit=r["unit"], approx=bool(r["approx"]), object=r["object"],
                 action=r["action"], start=r["start"], end=r["end"], sentence=r["sentence"] or "")


def _outcome(r) -> Outcome:
    return Outcome(type=r["type"], name=r["name"], text=r["text"], by=r["by"], start=r["start"], end=r["end"],
                   sentence=r["sentence"] or "")


def _region(row) -> Optional[RegionRef]:
    if row["region"] is None:
        return None
    return RegionRef(name=row["region"], adcode=row["region_adcode"], level=row["region_level"],
                     path=json.loads(row["region_path"] or "[]"))


def practice_records(db, filters: Optional[Filters] = None, query: Optional[str] = None,
                     limit: Optional[int] = None) -> list[Practice]:
    """The matching practices as `schemas.Practice` records (as in documents.jsonl)."""
    conn, own = _conn(db)
    try:
        rows = _select_practices(conn, filters or Filters(), query, limit)
        counts, outcomes, evidence = _children(conn, [r["id"] for r in rows])
        return [Practice(
            id=r["id"], doc_id=r["doc_id"], source=r["source"], organisation=r["organisation"], region=_region(r),
            programme=r["programme"], programme_key=r["programme_key"], activity=r["activity"],
            themes=json.loads(r["themes"] or "[]"), indicators=[_count(c) for c in counts[r["id"]]],
            outcomes=[_outcome(o) for o in outcomes[r["id"]]], year=r["year"],
            evidence=[Evidence(text=e["text"], start=e["start"], end=e["end"]) for e in evidence[r["id"]]])
            for r in rows]
    finally:
        if own:
            conn.close()


# ---------------------------------------------------------------- search

def query_terms(query: Optional[str]) -> list[str]:
    """The words to highlight for a query: the query itself and its segmented words."""
    from pipeline.store import fts_tokens
    query = normalise_query(query)
    if not query:
        return []
    words = [query, *fts_tokens(query)]
    return sorted(dict.fromkeys(w for w in words if w), key=len, reverse=True)


def highlight(text: str, terms: list[str], marks: tuple[str, str] = HIGHLIGHT, width: int = 60) -> str:
    """A window of `text` around the first term, every term in it wrapped in `marks`."""
    text = text or ""
    spans: list[tuple[int, int]] = []
    for t in terms:
        i = text.find(t)
        while i >= 0:
            if not any(a < i + len(t) and i < b for a, b in spans):
                spans.append((i, i + len(t)))
            i = text.find(t, i + len(t))
    spans.sort()
    lo = max(0, (spans[0][0] if spans else 0) - width // 3)
    hi = min(len(text), lo + width)
    lo = max(0, min(lo, hi - width))
    out, pos = [], lo
    for a, b in spans:
        if a < lo or b > hi:
            continue
        out += [text[pos:a], marks[0], text[a:b], marks[1]]
        pos = b
    out.append(text[pos:hi])
    return ("…" if lo > 0 else "") + "".join(out) + ("…" if hi < len(text) else "")


HIT_FIELDS = ["rank", "score", "match", "id", "doc_id", "source", "title", "published", "year", "organisation",
              "region", "region_path", "region_level", "region_adcode", "programme", "programme_key", "activity",
              "theme", "themes", "figures", "outcomes", "evidence", "snippet", "snippet_start"]


def hits_dataframe(hits: list[dict]):
    """Search hits as a DataFrame, one row a hit, one column a field (`HIT_FIELDS`), also
    when there is no hit."""
    import pandas as pd
    return pd.DataFrame.from_records(hits, columns=HIT_FIELDS)


def search(db, query: Optional[str] = None, filters: Optional[Filters] = None, limit: Optional[int] = 20) -> list[dict]:
    """Ranked practices for `query` (all practices when it is empty) that pass `filters`.

    Each hit is a dict: rank, score, match, id, doc_id, source, title, published, year,
    organisation, region, region_path, region_level, region_adcode, programme, programme_key,
    activity, theme, themes, figures [{text, value, unit, object, action, start, end}],
    outcomes [{type, name, text}], evidence [{text, start, end}], snippet (the best evidence
    sentence around the query, matches in 【】)."""
    conn, own = _conn(db)
    try:
        rows = _select_practices(conn, filters or Filters(), query, limit)
        counts, outcomes, evidence = _children(conn, [r["id"] for r in rows])
        terms = query_terms(query)
        hits = []
        for rank, r in enumerate(rows, 1):
            ev = [{"text": e["text"], "start": e["start"], "end": e["end"]} for e in evidence[r["id"]]]
            best = next((e for e in ev if any(t in e["text"] for t in terms)), ev[0] if ev else None)
            hits.append({
                "rank": rank, "score": None if r["score"] is None else round(-r["score"], 4), "match": r["match"],
                "id": r["id"], "doc_id": r["doc_id"], "source": r["source"], "title": r["title"],
                "published": r["published"], "year": r["year"], "organisation": r["organisation"],
                "region": r["region"], "region_path": json.loads(r["region_path"] or "[]"),
                "region_level": r["region_level"], "region_adcode": r["region_adcode"],
                "programme": r["programme"], "programme_key": r["programme_key"], "activity": r["activity"],
                "theme": r["theme"], "themes": json.loads(r["themes"] or "[]"),
                "figures": [{"text": c["text"], "value": c["value"], "unit": c["unit"], "object": c["object"],
                             "action": c["action"], "start": c["start"], "end": c["end"]} for c in counts[r["id"]]],
                "outcomes": [{"type": o["type"], "name": o["name"], "text": o["text"]} for o in outcomes[r["id"]]],
                "evidence": ev,
                "snippet": highlight(best["text"], terms) if best else "",
                "snippet_start": best["start"] if best else None,
            })
        return hits
    finally:
        if own:
            conn.close()


def figure_text(f: dict) -> str:
    """A figure as shown to people: 2.6万余名（干部和执委）."""
    return f["text"] + (f"（{f['object']}）" if f.get("object") else "")


def citation(hit: dict) -> str:
    """Where a hit comes from: the source file, the article when it is not the first, and the
    character offsets of its first evidence sentence."""
    article = hit["doc_id"].rsplit("-", 1)[-1] if hit.get("doc_id") else "0"
    where = f"{hit['source']}" + (f" #{article}" if article not in ("0", "") else "")
    ev = hit["evidence"][0] if hit.get("evidence") else None
    return where + (f" @{ev['start']}-{ev['end']}" if ev else "")


# ---------------------------------------------------------------- flat tables

FLAT_COLUMNS = ["id", "doc_id", "source", "title", "published", "year", "organisation", "region", "region_adcode",
                "region_level", "region_path", "province", "city", "county", "programme", "programme_key", "activity",
                "theme", "themes", "figures", "n_indicators", "n_outcomes", "evidence", "evidence_offsets"]


def practices_frame(db, filters: Optional[Filters] = None, query: Optional[str] = None, lists: bool = True):
    """The matching practices as a pandas DataFrame, one row per practice (FLAT_COLUMNS).
    With lists=False, themes and region_path are joined into text (for CSV and Excel)."""
    import pandas as pd

    conn, own = _conn(db)
    try:
        rows = _select_practices(conn, filters or Filters(), query)
        _, _, evidence = _children(conn, [r["id"] for r in rows])
        records = []
        for r in rows:
            themes = json.loads(r["themes"] or "[]")
            path = json.loads(r["region_path"] or "[]")
            ev = evidence[r["id"]]
            records.append({
                **{k: r[k] for k in ("id", "doc_id", "source", "title", "published", "year", "organisation", "region",
                                     "region_adcode", "region_level", "province", "city", "county", "programme",
                                     "programme_key", "activity", "theme", "figures", "n_indicators", "n_outcomes")},
                "themes": themes if lists else "、".join(themes),
                "region_path": path if lists else " > ".join(path),
                "evidence": "\n".join(e["text"] for e in ev),
                "evidence_offsets": ";".join(f"{e['start']}-{e['end']}" for e in ev),
            })
        frame = pd.DataFrame.from_records(records, columns=FLAT_COLUMNS)
        return frame.astype({"year": "Int64", "n_indicators": "Int64", "n_outcomes": "Int64"})
    finally:
        if own:
            conn.close()


EXPORT_FORMATS = ("csv", "xlsx", "parquet", "jsonl")
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_MAX_CELL = 32767


def _for_excel(frame):
    """Strings cleaned for Excel: control characters removed, cells cut to Excel's limit."""
    def clean(v):
        if isinstance(v, str):
            v = _ILLEGAL_XLSX.sub("", v)
            return v[:XLSX_MAX_CELL]
        return v
    return frame.apply(lambda col: col.map(clean) if col.dtype == object else col)


REDACTED_COLUMNS = ("title", "activity", "figures", "evidence")


def export(db, out: PathLike, fmt: Optional[str] = None, filters: Optional[Filters] = None,
           query: Optional[str] = None, redact_persons: bool = False) -> int:
    """Write the matching practices to `out` as csv, xlsx, parquet or jsonl (by `fmt`, else by
    the file's suffix); jsonl holds one `schemas.Practice` per line. With `redact_persons`,
    names of private individuals are masked (`pipeline.redact`). Returns how many."""
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in EXPORT_FORMATS:
        raise QueryError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        redactor = None
        if redact_persons:
            from pipeline.redact import Redactor
            redactor = Redactor(connect(db))
        if fmt == "jsonl":
            records = practice_records(db, filters, query)
            if redactor is not None:
                records = [redactor.practice(p) for p in records]
            with open(tmp, "w", encoding="utf-8") as f:
                for p in records:
                    f.write(p.model_dump_json() + "\n")
            n = len(records)
        else:
            frame = practices_frame(db, filters, query, lists=(fmt == "parquet"))
            if redactor is not None:
                for col in REDACTED_COLUMNS:
                    frame[col] = [redactor.text(d, v) if isinstance(v, str) else v for d, v in zip(frame["doc_id"], frame[col])]
            n = len(frame)
            if fmt == "csv":
                frame.to_csv(tmp, index=False, encoding="utf-8-sig")
            elif fmt == "xlsx":
                _for_excel(frame).to_excel(tmp, index=False, sheet_name="practices", engine="openpyxl")
            else:
                frame.to_parquet(tmp, index=False, engine="pyarrow")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
        if redactor is not None:
            redactor.conn.close()
    return n


# ---------------------------------------------------------------- compare

@dataclass
class Comparison:
    """Region x theme (or programme) comparison.

    practices: DataFrame, one row per region, one column per theme/programme with the number
               of practices, and TOTAL (distinct practices of the region);
    figures:   DataFrame, one row per region, one column per comparable indicator
               "object（unit）" (same object and unit, found in two regions or more), summed;
    figures_long: every (region, object, unit) sum with the number of figures and practices.
    """

    by: str
    across: str
    practices: Any
    figures: Any
    figures_long: Any

    def table(self):
        """practices and figures side by side, one row per region (what csv/xlsx hold)."""
        if self.figures is None or self.figures.empty:
            return self.practices
        return self.practices.join(self.figures, how="left")


def _region_label(row, by: str) -> str:
    province, city, county = row["province"], row["city"], row["county"]
    if by == "province":
        return province or UNKNOWN_REGION
    if by == "city":
        return city or (f"{province}（省本级）" if province else UNKNOWN_REGION)
    return county or (f"{city}（市本级）" if city else (f"{province}（省本级）" if province else UNKNOWN_REGION))


def compare(db, by: str = "province", filters: Optional[Filters] = None, across: str = "theme",
            query: Optional[str] = None) -> Comparison:
    """Compare regions at level `by` across themes (or programmes): practice counts and summed
    comparable indicators (only figures with the same object and unit are added up)."""
    import pandas as pd

    if by not in LEVELS:
        raise QueryError(f"--by must be one of {', '.join(LEVELS)}, not {by!r}")
    if across not in ("theme", "programme"):
        raise QueryError(f"across must be theme or programme, not {across!r}")
    from pipeline.link import themes as taxonomy_order

    conn, own = _conn(db)
    try:
        rows = _select_practices(conn, filters or Filters(), query)
        counts, _, _ = _children(conn, [r["id"] for r in rows])
    finally:
        if own:
            conn.close()
    cells: dict[str, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    names_of_key: dict[str, Counter] = defaultdict(Counter)
    long: dict[tuple, dict] = {}
    for r in rows:
        region = _region_label(r, by)
        totals[region] += 1
        if across == "theme":
            for t in json.loads(r["themes"] or "[]") or [UNCLASSIFIED]:
                cells[region][t] += 1
        elif r["programme_key"]:
            names_of_key[r["programme_key"]][r["programme"]] += 1
            cells[region][r["programme_key"]] += 1
        for c in counts[r["id"]]:
            if not c["object"]:
                continue  # a figure of nothing named cannot be compared
            key = (region, c["object"], c["unit"])
            entry = long.setdefault(key, {"total": 0.0, "figures": 0, "practices": set(), "approx": False})
            entry["total"] += c["value"]
            entry["figures"] += 1
            entry["practices"].add(r["id"])
            entry["approx"] |= bool(c["approx"])
    regions = sorted(totals, key=lambda g: (-totals[g], g))
    if across == "theme":
        present = {t for c in cells.values() for t in c}
        order = [t for t in taxonomy_order() if t in present] + sorted(present - set(taxonomy_order()))
        columns = {t: t for t in order}
    else:
        keys = sorted({k for c in cells.values() for k in c}, key=lambda k: (-sum(c[k] for c in cells.values()), k))
        columns = {k: names_of_key[k].most_common(1)[0][0] if names_of_key[k] else k for k in keys}
        # two keys shown under one name would collide: keep the key visible then
        shown = Counter(columns.values())
        columns = {k: (v if shown[v] == 1 else f"{v} [{k}]") for k, v in columns.items()}
    data = {label: [cells[g][k] for g in regions] for k, label in columns.items()}
    data[TOTAL] = [totals[g] for g in regions]
    practices = pd.DataFrame(data, index=pd.Index(regions, name=by), dtype="int64") if regions else \
        pd.DataFrame(columns=[*columns.values(), TOTAL], index=pd.Index([], name=by), dtype="int64")
    long_frame = pd.DataFrame(
        [{by: g, "object": o, "unit": u, "total": e["total"], "figures": e["figures"],
          "practices": len(e["practices"]), "approx": e["approx"]}
         for (g, o, u), e in sorted(long.items(), key=lambda kv: (regions.index(kv[0][0]), kv[0][1], kv[0][2]))],
        columns=[by, "object", "unit", "total", "figures", "practices", "approx"])
    comparable = Counter((o, u) for (_, o, u) in long)
    pairs = sorted((p for p, n in comparable.items() if n >= 2), key=lambda p: (-comparable[p], p))
    figures = pd.DataFrame(
        {f"{o}（{u}）": [long[(g, o, u)]["total"] if (g, o, u) in long else None for g in regions] for o, u in pairs},
        index=pd.Index(regions, name=by))
    return Comparison(by, across, practices, figures, long_frame)


def write_comparison(comparison: Comparison, out: PathLike, fmt: Optional[str] = None) -> Path:
    """Write a comparison as csv (one table, a row per region) or xlsx (sheets `compare` and
    `figures`)."""
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        comparison.table().to_csv(out, encoding="utf-8-sig")
    elif fmt == "xlsx":
        with __import__("pandas").ExcelWriter(out, engine="openpyxl") as xw:
            _for_excel(comparison.table().reset_index()).to_excel(xw, sheet_name="compare", index=False)
            _for_excel(comparison.figures_long).to_excel(xw, sheet_name="figures", index=False)
    else:
        raise QueryError(f"compare writes csv or xlsx, not {fmt!r}")
    return out


# ---------------------------------------------------------------- analyst API

@dataclass
class PracticeTable:
    """The practice table as pandas DataFrames (what `fedreports.load(db)` returns).

    practices   one row per practice (FLAT_COLUMNS; themes and region_path are lists)
    counts      every count of the documents, with the practice it is an indicator of
                (practice_id, else None) and that practice's region columns
    places, programmes, outcomes, documents, evidence: the tables of the database
    """

    db: Path
    practices: Any
    counts: Any
    places: Any
    programmes: Any
    outcomes: Any
    documents: Any
    evidence: Any = field(repr=False, default=None)

    def search(self, query: Optional[str] = None, limit: Optional[int] = 20, **filters):
        """Ranked practices as a DataFrame (same as `fedreports search`)."""
        return hits_dataframe(search(self.db, query, Filters.parse(**filters), limit))

    def compare(self, by: str = "province", across: str = "theme", **filters) -> Comparison:
        return compare(self.db, by, Filters.parse(**filters), across)

    def __repr__(self) -> str:
        return (f"PracticeTable({str(self.db)!r}: {len(self.practices)} practices, {len(self.counts)} counts, "
                f"{len(self.places)} places, {len(self.programmes)} programmes, {len(self.outcomes)} outcomes, "
                f"{len(self.documents)} documents)")


def _table(conn, name: str, order: str = "rowid"):
    import pandas as pd
    return pd.read_sql_query(f"SELECT * FROM {quote_identifier(name)} ORDER BY {order}", conn)


def load(db: PathLike) -> PracticeTable:
    """Load a practices.db into pandas DataFrames."""
    conn = connect(db)
    try:
        practices = practices_frame(conn)
        counts = _table(conn, "counts", "id")
        link = _table(conn, "practice_indicators", "practice_id, seq")[["practice_id", "count_id"]]
        counts = counts.merge(link, how="left", left_on="id", right_on="count_id").drop(columns=["count_id"])
        counts = counts.merge(practices[["id", "region", "province", "city", "county", "theme", "year"]].rename(
            columns={"id": "practice_id"}), how="left", on="practice_id")
        counts["practice_id"] = counts["practice_id"].astype(object).where(counts["practice_id"].notna(), None)
        places = _table(conn, "places", "id")
        programmes = _table(conn, "programmes", "id")
        outcomes = _table(conn, "outcomes", "id").merge(
            _table(conn, "practice_outcomes", "practice_id, seq")[["practice_id", "outcome_id"]],
            how="left", left_on="id", right_on="outcome_id").drop(columns=["outcome_id"])
        for frame, cols in ((places, ["path"]), (programmes, ["aliases", "region_path"])):
            for c in cols:
                frame[c] = frame[c].map(lambda v: json.loads(v) if isinstance(v, str) else [])
        documents = _table(conn, "documents", "rowid")
        documents["flags"] = documents["flags"].map(lambda v: json.loads(v) if isinstance(v, str) else [])
        documents["relevant"] = documents["relevant"].astype(bool)
        counts["approx"] = counts["approx"].astype(bool)
        evidence = _table(conn, "evidence", "practice_id, seq")
        return PracticeTable(Path(db), practices, counts, places, programmes, outcomes, documents, evidence)
    finally:
        conn.close()


# ---------------------------------------------------------------- printing (used by the CLI)

HIT_COLUMNS = ["rank", "score", "region", "region_path", "organisation", "programme", "activity", "theme", "themes",
               "year", "figures", "snippet", "source", "doc_id", "id", "evidence", "evidence_offsets", "match"]


def hits_frame(hits: list[dict]):
    """Search hits as a flat DataFrame (what `search --format csv` prints)."""
    import pandas as pd
    rows = [{**{k: h.get(k) for k in HIT_COLUMNS},
             "region_path": " > ".join(h["region_path"]), "themes": "、".join(h["themes"]),
             "figures": "；".join(figure_text(f) for f in h["figures"]),
             "evidence": "\n".join(e["text"] for e in h["evidence"]),
             "evidence_offsets": ";".join(f"{e['start']}-{e['end']}" for e in h["evidence"])} for h in hits]
    return pd.DataFrame.from_records(rows, columns=HIT_COLUMNS)


def hits_table(hits: list[dict], title: Optional[str] = None):
    """Search hits as a rich Table: region, programme or activity, themes, year, key figures,
    the highlighted evidence snippet and under it the source (file @ character offsets)."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, title=title, show_lines=False)
    t.add_column("#", no_wrap=True)
    t.add_column("region", overflow="fold", max_width=24)
    t.add_column("programme / activity", overflow="fold", max_width=24)
    t.add_column("themes", overflow="fold", max_width=18)
    t.add_column("year", no_wrap=True)
    t.add_column("figures", overflow="fold", max_width=28)
    t.add_column("evidence · source", overflow="fold")  # no min_width: rich crops a table wider than the console
    for h in hits:
        name = h["programme"] or h["activity"]
        figures = "；".join(figure_text(f) for f in h["figures"][:3]) + ("…" if len(h["figures"]) > 3 else "")
        snippet = escape(h["snippet"]).replace(HIGHLIGHT[0], "[bold yellow]").replace(HIGHLIGHT[1], "[/bold yellow]")
        t.add_row(str(h["rank"]), escape(" > ".join(h["region_path"]) or h["region"] or "-"),
                  escape(name) + ("" if h["programme"] else " [dim](activity)[/dim]"),
                  escape("、".join(h["themes"]) or "-"), str(h["year"] or "-"), escape(figures or "-"),
                  f"{snippet}\n[dim]{escape(citation(h))}[/dim]")
    return t


def comparison_tables(c: Comparison) -> list:
    """A comparison as rich Tables: practice counts, then the summed comparable figures."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    tables = []
    p = c.practices
    t = Table(box=box.SIMPLE_HEAD, title=f"practices by {c.by} and {c.across}")
    t.add_column(c.by, no_wrap=True)  # region names are the point of the table: never cropped
    for col in p.columns:
        t.add_column(escape(str(col)), overflow="fold", justify="right")
    for region, row in p.iterrows():
        t.add_row(escape(str(region)), *[str(int(v)) if v else "·" for v in row.tolist()])
    tables.append(t)
    f = c.figures
    if f is not None and not f.empty:
        t = Table(box=box.SIMPLE_HEAD, title="summed figures (same object and unit, found in two regions or more)")
        t.add_column(c.by, no_wrap=True)
        for col in f.columns:
            t.add_column(escape(str(col)), overflow="fold", justify="right")
        for region, row in f.iterrows():
            t.add_row(escape(str(region)), *["·" if v != v or v is None else f"{v:,.0f}" for v in row.tolist()])
        tables.append(t)
    return tables


__all__ = ["Comparison", "EXPORT_FORMATS", "Filters", "PracticeTable", "QueryError", "citation", "compare", "connect",
           "comparison_tables", "export", "figure_text", "HIT_FIELDS", "hits_dataframe", "hits_frame", "hits_table", "highlight", "load", "parse_years", "practice_records", "practices_frame",
           "region_names", "search", "write_comparison"]
