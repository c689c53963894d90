"""Word .docx files: python-docx, paragraphs and tables in reading order.

The zip is checked before python-docx opens it: a member list that would inflate beyond
`max_unzipped_bytes` (a zip bomb) or a corrupt archive is refused with a reason.
"""
from __future__ import annotations

import io
import zipfile

from pipeline.readers import RawText, ReadError
from pipeline.settings import DEFAULT, Settings


def check_zip(data: bytes, settings: Settings) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            total = sum(i.file_size for i in z.infolist())
            if "word/document.xml" not in names:
                raise ReadError("zip archive without word/document.xml (not a Word document)")
            if total > settings.max_unzipped_bytes:
                raise ReadError(f"zip would inflate to {total} bytes, over max_unzipped_bytes "
                                f"({settings.max_unzipped_bytes}); refused as a possible zip bomb")
            bad = z.testzip()
            if bad:
                raise ReadError(f"corrupt .docx: member {bad} fails its CRC check")
    except zipfile.BadZipFile as e:
        raise ReadError(f"corrupt or truncated .docx: {e}") from None
    except (EOFError, OSError, NotImplementedError) as e:
        raise ReadError(f"corrupt or truncated .docx: {e}") from None


def blocks(document) -> list[str]:
    """Paragraph texts and table rows (cells joined by a tab) in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells, seen = [], set()
                for cell in row.cells:  # merged cells repeat; keep each once
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    cells.append(cell.text.strip())
                out.append("\t".join(c for c in cells if c))
    return out


def read(data: bytes, settings: Settings = DEFAULT) -> RawText:
    check_zip(data, settings)
    try:
        import docx
        document = docx.Document(io.BytesIO(data))
    except ReadError:
        raise
    except Exception as e:  # python-docx raises many types for broken XML
        raise ReadError(f"corrupt .docx: {type(e).__name__}: {str(e)[:120]}") from None
    text = "\n".join(blocks(document))
    if not text.strip():
        raise ReadError(".docx has no text")
    # core_properties.created is the template's date as often as the report's: not used
    title = (document.core_properties.title or "").strip() or None
    cut = []
    if len(text) > settings.max_text_chars:
        text = text[: settings.max_text_chars]
        cut.append(f"text cut at {settings.max_text_chars} characters (max_text_chars)")
    return RawText(text=text, reader="docx", title=title, cut=cut, structured=True)
