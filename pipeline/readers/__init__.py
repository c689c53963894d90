"""Read stage: turn one input file into raw text plus whatever metadata the format carries.

`read_file(path)` sniffs the content (magic bytes first, the extension second), hands the
bytes to one reader module (`txt`, `html`, `docx`, `pdf`) and returns a `RawText`, or
raises `ReadError` with a one-line reason. Readers never raise anything else for bad input.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from pipeline.settings import DEFAULT, Settings


class ReadError(Exception):
    """A file that cannot be read; str(error) is the one-line reason for the manifest."""


@dataclass
class RawText:
    text: str
    reader: str
    title: Optional[str] = None
    published: Optional[str] = None
    organisation: Optional[str] = None
    # reasons the text is incomplete (limits hit, undecodable runs); non-empty -> partial
    cut: list[str] = field(default_factory=list)
    # True when the reader kept line structure meaningful (paragraph per line)
    structured: bool = False


TEXT_EXTENSIONS = {".txt", ".text", ".md", ""}
HTML_EXTENSIONS = {".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx", ".jsp"}
KNOWN_EXTENSIONS = TEXT_EXTENSIONS | HTML_EXTENSIONS | {".docx", ".pdf"}

_IMAGE_MAGIC = {
    b"\x89PNG": "PNG image", b"\xff\xd8\xff": "JPEG image", b"GIF8": "GIF image",
    b"BM": "BMP image", b"II*\x00": "TIFF image", b"MM\x00*": "TIFF image",
}
_OTHER_MAGIC = {
    b"\xd0\xcf\x11\xe0": "legacy OLE document (.doc/.xls/.ppt) not supported; save it as .docx",
    b"{\\rtf": "RTF document not supported; save it as .docx",
    b"Rar!": "RAR archive not supported",
    b"\x1f\x8b": "gzip archive not supported",
    b"7z\xbc\xaf": "7z archive not supported",
}


def sniff(head: bytes, suffix: str) -> str:
    """Return the reader name for a file whose first bytes are `head`, or raise ReadError."""
    for magic, what in _IMAGE_MAGIC.items():
        if head.startswith(magic):
            raise ReadError(f"{what}; OCR not supported")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        raise ReadError("WEBP image; OCR not supported")
    for magic, what in _OTHER_MAGIC.items():
        if head.startswith(magic):
            raise ReadError(what)
    if head.startswith(b"%PDF") or head[:1024].lstrip().startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "docx"  # docx reader says so if the zip is not a Word document
    if suffix == ".doc":
        raise ReadError("legacy .doc not supported; save it as .docx")
    if suffix == ".docx":
        raise ReadError("not a .docx (no zip signature)")
    if suffix == ".pdf":
        # text with a .pdf name: read it as what it is
        pass
    if suffix not in KNOWN_EXTENSIONS and suffix not in {".pdf", ".docx"}:
        raise ReadError(f"unsupported file type {suffix!r}")
    if _looks_like_html(head):
        return "html"
    return "txt"


def _looks_like_html(head: bytes) -> bool:
    probe = head[:4096].lower()
    for bom in (b"\xef\xbb\xbf",):
        if probe.startswith(bom):
            probe = probe[len(bom):]
    if b"\x00" in probe[:200]:  # utf-16: decode a little to look
        for enc in ("utf-16", "utf-16-le", "utf-16-be"):
            try:
                probe = probe.decode(enc, errors="ignore").encode("ascii", errors="ignore")
                break
            except Exception:  # pragma: no cover - decode with errors=ignore does not raise
                continue
    stripped = probe.lstrip()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in probe:
        return True
    return any(tag in probe for tag in (b"<html", b"<body", b"<head>", b"<meta ")) and probe.count(b"<") >= 3


def sha256_of(path: Path, limit: Optional[int] = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_bytes(data: bytes, suffix: str = "", settings: Settings = DEFAULT) -> RawText:
    """Read an in-memory file. Raises ReadError."""
    if not data.strip():
        raise ReadError("empty file" if not data else "whitespace-only file")
    kind = sniff(data[:8192], suffix.lower())
    if kind == "pdf":
        from pipeline.readers import pdf
        return pdf.read(data, settings)
    if kind == "docx":
        from pipeline.readers import docx
        return docx.read(data, settings)
    if kind == "html":
        from pipeline.readers import html
        return html.read(data, settings)
    from pipeline.readers import txt
    return txt.read(data, settings)


def read_file(path: Path, settings: Settings = DEFAULT) -> RawText:
    """Read one file from disk. Raises ReadError with a one-line reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            data = f.read(settings.max_file_bytes + 1)
    except OSError as e:
        raise ReadError(f"cannot open: {e.strerror or e}") from None
    cut = []
    if len(data) > settings.max_file_bytes:
        data = data[: settings.max_file_bytes]
        cut.append(f"file is {size} bytes; read the first {settings.max_file_bytes} (max_file_bytes)")
    raw = read_bytes(data, path.suffix, settings)
    if len(raw.text) > settings.max_text_chars:
        raw.text = raw.text[: settings.max_text_chars]
        cut.append(f"text cut at {settings.max_text_chars} characters (max_text_chars)")
    raw.cut = cut + raw.cut
    return raw
