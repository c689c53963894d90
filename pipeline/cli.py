"""The `fedreports` command line: a thin layer over the Python API (typer + rich).

Every command parses its options and calls one function of `pipeline`; everything it
does can be done from Python.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer
from rich.console import Console

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Turn women's federation (妇联) reports into a searchable table of local practices.")
console = Console(stderr=True)
out = Console()


def _settings(limits: Optional[List[str]]):
    from pipeline.settings import Settings
    try:
        return Settings.from_env().with_overrides(limits or [])
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--limit")


# ---------------------------------------------------------------- run

@app.command()
def run(
    inputs: List[Path] = typer.Argument(..., help="files and folders to read (folders recursively)"),
    out_dir: Path = typer.Option(..., "--out", "-o", help="output folder"),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="worker processes"),
    engine: str = typer.Option("local", "--engine", help="local or dask"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (default: a LocalCluster)"),
    parquet: bool = typer.Option(False, "--parquet", help="also write the articles as Parquet partitions under OUT/parquet"),
    limit: Optional[List[str]] = typer.Option(None, "--limit", help="override a limit, e.g. --limit max_pdf_pages=50"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
):
    """Read, clean and extract INPUTS; write documents.jsonl, manifest.jsonl and practices.db to --out."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from pipeline.run import discover, run as run_job

    if engine not in ("local", "dask"):
        raise typer.BadParameter("choose local or dask", param_hint="--engine")
    settings = _settings(limit)
    files, _ = discover(inputs)
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=console, transient=True, disable=not progress or not console.is_terminal)
    with bar:
        task = bar.add_task("extracting", total=len(files))
        summary = run_job(inputs, out_dir, settings, workers=workers, engine=engine, scheduler=scheduler,
                          parquet=parquet, on_file=lambda r: bar.advance(task))
    console.print(f"{summary.files} files: [green]{summary.ok} ok[/], [yellow]{summary.partial} partial[/], "
                  f"[red]{summary.failed} failed[/] ({summary.reused} unchanged, reused); "
                  f"{summary.articles} articles, {summary.relevant} relevant; {summary.seconds:.1f} s -> {out_dir}",
                  soft_wrap=True)
    for e in summary.failures:  # one line per file, never wrapped
        console.print(f"[red]failed[/] {e.source}: {e.reason}", highlight=False, soft_wrap=True)
    raise typer.Exit(summary.exit_code)


# ---------------------------------------------------------------- evaluate

@app.command()
def evaluate(
    gold_dir: Path = typer.Argument(..., exists=True, file_okay=False, help="folder of <id>.json gold files"),
    out_dir: Path = typer.Argument(..., help="output folder of `fedreports run` (or its documents.jsonl)"),
    per_doc: bool = typer.Option(True, "--per-doc/--no-per-doc", help="print the per-document table"),
    as_json: bool = typer.Option(False, "--json", help="print the scores as JSON"),
):
    """Score extraction output against gold annotations (precision, recall, F1 per field)."""
    import json

    from rich.table import Table

    from pipeline.evaluate import score

    docs = out_dir / "documents.jsonl" if out_dir.is_dir() else out_dir
    if not docs.exists():
        raise typer.BadParameter(f"{docs} not found", param_hint="OUT_DIR")
    res, rows = score(gold_dir, docs)
    if as_json:
        out.print_json(json.dumps(res, ensure_ascii=False))
        return
    if per_doc:
        t = Table("doc", "counts tp/fp/fn", "places", "programmes", "honours", title="per document")
        for stem, *cells in rows:
            t.add_row(stem, *["/".join(map(str, c)) for c in cells])
        out.print(t)
    t = Table("field", "precision", "recall", "F1", title="scores")
    for k in ("counts", "places", "programmes", "honours"):
        r = res[k]
        t.add_row(k, f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}")
    out.print(t)
    for k in ("place_adcode_accuracy", "programme_region_accuracy", "main_region_accuracy", "published_accuracy"):
        out.print(f"{k}: {res[k]}")
    if res["documents_missing"]:
        out.print("no output for: " + " ".join(res["documents_missing"]))


# ---------------------------------------------------------------- search, compare, export, digest, serve
# The practice table (pipeline.query, pipeline.digest, pipeline.serve): each command parses its
# options and calls one function; a bad query or database is one line on stderr, exit code 2.

def _table_filters(region, level, theme, programme, year):
    from pipeline.query import Filters
    return Filters.parse(region=region, level=level, theme=theme, programme=programme, year=year)


def _table_error(e: Exception) -> None:
    console.print(f"[red]error[/] {e}", highlight=False, soft_wrap=True, markup=True)
    raise typer.Exit(2)


def _wide() -> Console:
    """stdout console; when not a terminal (a pipe, a file, a test) it is $COLUMNS wide, else 240."""
    import os

    c = Console()
    if c.is_terminal:
        return c
    columns = os.environ.get("COLUMNS", "")
    return Console(width=int(columns) if columns.isdigit() and int(columns) >= 40 else 240)


# the options the table commands share, declared once
Db = Annotated[Path, typer.Option("--db", help="practices.db written by `fedreports run`")]
Region = Annotated[Optional[str], typer.Option(
    "--region", help="keep practices whose region path contains this name (any level), e.g. 云南省")]
Level = Annotated[Optional[str], typer.Option(
    "--level", help="keep practices whose region is at this level: province, city or county")]
Theme = Annotated[Optional[str], typer.Option("--theme", help="keep practices with this theme (or part of its name)")]
Programme = Annotated[Optional[str], typer.Option("--programme", help="keep practices of this programme (name or key)")]
Year = Annotated[Optional[str], typer.Option("--year", help="a year or a range, e.g. 2022 or 2021..2023")]
Query = Annotated[Optional[str], typer.Option("--query", "-q", help="only practices matching these words")]
RedactPersons = Annotated[bool, typer.Option(
    "--redact-persons", help="mask names of private individuals (residents, victims); named officials stay")]


@app.command()
def search(
    db: Db,
    query: Optional[str] = typer.Argument(None, help="words to search for (Chinese is segmented with jieba); empty: all"),
    region: Region = None,
    level: Level = None,
    theme: Theme = None,
    programme: Programme = None,
    year: Year = None,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="at most this many practices"),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv"),
):
    """Ranked practices for QUERY: region, programme, themes, figures, the evidence and its source."""
    import json

    from pipeline.query import QueryError, hits_frame, hits_table, search as run_search

    if fmt not in ("table", "json", "csv"):
        raise typer.BadParameter("choose table, json or csv", param_hint="--format")
    try:
        hits = run_search(db, query, _table_filters(region, level, theme, programme, year), limit)
    except QueryError as e:
        _table_error(e)
    if fmt == "json":
        typer.echo(json.dumps(hits, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        typer.echo(hits_frame(hits).to_csv(index=False), nl=False)
    elif not hits:
        console.print("no practices found", highlight=False)
    else:
        _wide().print(hits_table(hits))
        if hits[0]["match"] == "substring":
            console.print("(no whole-word match; these practices contain the query as written)", highlight=False)


@app.command()
def compare(
    db: Db,
    by: str = typer.Option("province", "--by", help="rows: province, city or county"),
    across: Optional[str] = typer.Option(None, "--across", help="columns: theme or programme (default: programme with --programme, else theme)"),
    region: Region = None,
    level: Level = None,
    theme: Theme = None,
    programme: Programme = None,
    year: Year = None,
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table, csv or xlsx (default: from --out, else table)"),
    out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="write the table to this .csv or .xlsx file"),
):
    """Regions x themes (or programmes): practice counts and summed comparable figures (same object and unit)."""
    from pipeline.query import QueryError, compare as run_compare, comparison_tables, write_comparison

    fmt = fmt or (out_file.suffix.lstrip(".").lower() if out_file else "table")
    if fmt not in ("table", "csv", "xlsx"):
        raise typer.BadParameter("choose table, csv or xlsx", param_hint="--format")
    if fmt == "xlsx" and out_file is None:
        raise typer.BadParameter("xlsx needs --out FILE", param_hint="--out")
    try:
        result = run_compare(db, by, _table_filters(region, level, theme, programme, year),
                             across or ("programme" if programme else "theme"))
    except QueryError as e:
        _table_error(e)
    if fmt == "table":
        for t in comparison_tables(result):
            _wide().print(t)
        return
    if out_file is None:
        typer.echo(result.table().to_csv(), nl=False)
        return
    write_comparison(result, out_file, fmt)
    console.print(f"{len(result.practices)} {by} rows -> {out_file}", highlight=False, soft_wrap=True)


@app.command()
def export(
    db: Db,
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="csv, xlsx, parquet or jsonl (default: from --out)"),
    out_file: Path = typer.Option(..., "--out", "-o", help="file to write"),
    query: Query = None,
    region: Region = None,
    level: Level = None,
    theme: Theme = None,
    programme: Programme = None,
    year: Year = None,
    redact_persons: RedactPersons = False,
):
    """Write the practices (filtered like search) as csv, xlsx, parquet or jsonl (one Practice per line)."""
    from pipeline.query import QueryError, export as run_export

    try:
        n = run_export(db, out_file, fmt, _table_filters(region, level, theme, programme, year), query, redact_persons)
    except QueryError as e:
        _table_error(e)
    console.print(f"{n} practices -> {out_file}", highlight=False, soft_wrap=True)


@app.command()
def digest(
    db: Db,
    out_file: Path = typer.Option(..., "--out", "-o", help="the compilation: a .docx or .md file"),
    query: Query = None,
    region: Region = None,
    level: Level = None,
    theme: Theme = None,
    programme: Programme = None,
    year: Year = None,
    title: Optional[str] = typer.Option(None, "--title", help="title of the compilation"),
    redact_persons: RedactPersons = False,
):
    """Experience-sharing material (经验交流材料): practices by theme and region, with figures and sources."""
    from pipeline.digest import write_digest
    from pipeline.query import QueryError

    try:
        s = write_digest(db, out_file, _table_filters(region, level, theme, programme, year), query, title,
                         redact_persons)
    except QueryError as e:
        _table_error(e)
    console.print(f"{s.practices} practices from {s.documents} documents -> {s.path}", highlight=False, soft_wrap=True)


@app.command()
def serve(
    db: Db,
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (default: this machine only)"),
    port: int = typer.Option(8001, "--port", "-p", min=1, max=65535, help="port to listen on"),
):
    """Browse and search the practice table in a web browser (Datasette, read-only)."""
    from pipeline.query import QueryError
    from pipeline.serve import serve as run_serve

    console.print(f"serving {db} read-only at http://{host}:{port}/ (Ctrl+C to stop)", highlight=False, soft_wrap=True)
    try:
        run_serve(db, host, port)
    except QueryError as e:
        _table_error(e)


# ---------------------------------------------------------------- bench

@app.command()
def bench(
    docs: str = typer.Option("1000", "--docs", help="corpus sizes, comma-separated, e.g. 1000,10000"),
    workers: str = typer.Option("1", "--workers", "-w", help="worker counts, comma-separated, e.g. 1,2"),
    engine: str = typer.Option("local", "--engine", help="local or dask"),
    source: Optional[List[Path]] = typer.Option(None, "--source", help="folder of documents to copy (default: sample + dev set)"),
    work_dir: Optional[Path] = typer.Option(None, "--work-dir", help="where corpora and outputs go (default: a temp folder)"),
    keep: bool = typer.Option(False, "--keep", help="keep the corpora and outputs"),
    jieba_seconds: float = typer.Option(10.0, "--jieba-seconds", help="minimum seconds of the jieba reference timing"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object per configuration"),
    repeat: int = typer.Option(1, "--repeat", min=1, help="runs of every configuration, taking turns; the median run is shown"),
):
    """Time the whole pipeline on corpora of --docs files against bare jieba; one table row per configuration."""
    from pipeline.bench import parse_counts, bench as run_bench, print_report

    if engine not in ("local", "dask"):
        raise typer.BadParameter("choose local or dask", param_hint="--engine")
    try:
        sizes, counts = parse_counts(docs), parse_counts(workers)
    except SystemExit as e:
        raise typer.BadParameter(str(e)) from None
    report = run_bench(sizes, counts, engine, source, work_dir, keep, jieba_seconds,
                       echo=None if as_json else lambda line: out.print(line, highlight=False, soft_wrap=True),
                       repeat=repeat)
    if as_json:
        print_report(report, as_json=True, echo=lambda line: out.print(line, highlight=False, soft_wrap=True))


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
