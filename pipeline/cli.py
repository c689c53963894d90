"""The `fedreports` command line: a thin layer over the Python API (typer + rich).

Every command parses its options and calls one function of `pipeline`; everything it
does can be done from Python.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

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
                       echo=None if as_json else lambda line: out.print(line, highlight=False, soft_wrap=True))
    if as_json:
        print_report(report, as_json=True, echo=lambda line: out.print(line, highlight=False, soft_wrap=True))


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
