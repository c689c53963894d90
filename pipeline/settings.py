"""Limits and tunables, in one place (trafilatura keeps its limits in settings, not in code).

Every value can be overridden by an environment variable `FEDREPORTS_<NAME>` (e.g.
`FEDREPORTS_MAX_FILE_BYTES=1000000`) or by `fedreports run --limit NAME=VALUE`.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Settings:
    # Input files larger than this are read only up to this many bytes (manifest: partial).
    max_file_bytes: int = 50_000_000
    # Text kept per file after reading; the rest is cut (manifest: partial).
    max_text_chars: int = 2_000_000
    # .docx: refuse a zip whose members would inflate beyond this (zip bomb guard).
    max_unzipped_bytes: int = 200_000_000
    # .pdf: pages read per file; further pages are cut (manifest: partial).
    max_pdf_pages: int = 300
    # HTML: documents nested deeper than this are read by the plain-text fallback.
    max_html_depth: int = 400
    # Wall-clock seconds allowed to read one file before it is given up as failed.
    read_timeout_s: float = 60.0
    # A single line longer than this is broken at sentence marks before cleaning.
    max_line_chars: int = 20_000
    # Wall-clock seconds one file may take through the whole pipeline (read to link) in a
    # worker process; the worker is then killed and replaced and the file reported failed,
    # "timed out after N s". Enforced where files run in worker processes: --workers 2 or
    # more, or isolate=1. Above read_timeout_s, so the PDF reader's own page cut comes first.
    file_timeout_s: float = 300.0
    # 1: with --workers 1, still run the files in one worker subprocess, so file_timeout_s
    # applies and a reader that crashes the interpreter cannot end the run; 0: --workers 1
    # runs the files in this process (the fast path, no per-file time limit).
    isolate: int = 0

    # settings that never change a file's result, so changing them keeps cached results
    RESULT_NEUTRAL = frozenset({"file_timeout_s", "isolate"})

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {}
        for f in fields(cls):
            env = os.environ.get(f"FEDREPORTS_{f.name.upper()}")
            if env is not None:
                values[f.name] = type(f.default)(env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_overrides(self, pairs: list[str]) -> "Settings":
        """Apply `NAME=VALUE` strings; raises ValueError naming an unknown or bad setting."""
        known = {f.name: f for f in fields(self)}
        changes = {}
        for pair in pairs:
            name, _, value = pair.partition("=")
            name = name.strip().lower().replace("-", "_")
            if name not in known or not value:
                raise ValueError(f"unknown limit {pair!r}; known: {', '.join(known)}")
            changes[name] = type(known[name].default)(value)
        return dataclasses.replace(self, **changes)


DEFAULT = Settings()
