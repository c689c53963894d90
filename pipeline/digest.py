"""Experience-sharing compilation (经验交流材料) from the practice table, as .docx or .md.

Practices are grouped by their first theme (in taxonomy order), then by region (the
region path); each practice gives its organisation and programme or activity, a
description made of its evidence sentences as written, its figures and outcomes, and a
citation: the source document (numbered, listed at the end with title, file and date) and
the character offsets and text of the sentence every figure stands in.

    >>> from pipeline.digest import write_digest
    >>> write_digest("out/practices.db", "经验交流.docx")            # doctest: +SKIP
    DigestSummary(practices=..., documents=..., path=...)
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from pipeline.query import Filters, QueryError, UNCLASSIFIED, UNKNOWN_REGION, connect, practice_records

MAX_DESCRIPTION_SENTENCES = 3
OUTCOME_LABELS = {"honour": "荣誉", "promotion": "推广", "media": "报道", "result": "成效"}
DEFAULT_TITLE = "妇联工作经验交流材料"


@dataclass
class Entry:
    """One practice as compiled: what the digest prints for it."""

    heading: str
    description: str
    figures: list[str]
    outcomes: list[str]
    citation: str
    figure_sources: list[str]


@dataclass
class Source:
    number: int
    doc_id: str
    title: Optional[str]
    source: str
    published: Optional[str]


@dataclass
class Compilation:
    title: str
    scope: str
    sections: list[tuple[str, list[tuple[str, list[Entry]]]]] = field(default_factory=list)  # theme -> region -> entries
    sources: list[Source] = field(default_factory=list)

    @property
    def practices(self) -> int:
        return sum(len(es) for _, regions in self.sections for _, es in regions)


@dataclass
class DigestSummary:
    practices: int
    documents: int
    path: Path


def _scope(filters: Filters, query: Optional[str]) -> str:
    parts = []
    if query:
        parts.append(f"检索词“{query}”")
    if filters.region:
        parts.append(f"地区 {filters.region}")
    if filters.level:
        parts.append(f"层级 {filters.level}")
    if filters.theme:
        parts.append(f"主题 {filters.theme}")
    if filters.programme:
        parts.append(f"项目 {filters.programme}")
    if filters.years:
        lo, hi = filters.years
        parts.append(f"年份 {lo or ''}–{hi or ''}" if lo != hi else f"年份 {lo}")
    return "；".join(parts) if parts else "全部做法"


def compile_digest(db, filters: Optional[Filters] = None, query: Optional[str] = None,
                   title: Optional[str] = None, redact_persons: bool = False) -> Compilation:
    """The practices of `db` passing the filters, grouped for the digest, with their sources.
    With `redact_persons`, names of private individuals are masked (`pipeline.redact`)."""
    from pipeline.link import themes as taxonomy_order

    filters = filters or Filters()
    conn = connect(db)
    try:
        practices = practice_records(conn, filters, query)
        docs = {r["doc_id"]: r for r in conn.execute("SELECT doc_id, title, source, published FROM documents")}
        if redact_persons:
            from pipeline.redact import Redactor
            redactor = Redactor(conn)
            practices = [redactor.practice(p) for p in practices]
    finally:
        conn.close()
    comp = Compilation(title or DEFAULT_TITLE, _scope(filters, query))
    numbers: dict[str, int] = {}
    grouped: dict[str, dict[str, list[Entry]]] = defaultdict(lambda: defaultdict(list))
    for p in practices:
        if p.doc_id not in numbers:
            numbers[p.doc_id] = len(numbers) + 1
            d = docs.get(p.doc_id)
            comp.sources.append(Source(numbers[p.doc_id], p.doc_id, d["title"] if d else None, p.source,
                                       d["published"] if d else None))
        n = numbers[p.doc_id]
        # under its first theme; with a theme filter, under the theme the filter chose it by
        chosen = [t for t in p.themes if filters.theme and filters.theme in t]
        theme = (chosen or p.themes or [UNCLASSIFIED])[0]
        region = " › ".join(p.region.path) if p.region and p.region.path else (p.region.name if p.region else UNKNOWN_REGION)
        what = p.programme or p.activity
        who = p.organisation or (p.region.name if p.region else "")
        heading = f"{who}：{what}" if who else what
        if p.year:
            heading += f"（{p.year}年）"
        description = _join_sentences(e.text for e in p.evidence[:MAX_DESCRIPTION_SENTENCES])
        figures, figure_sources = [], []
        for c in p.indicators:
            label = f"{c.action or ''}{c.object or ''}".strip()
            figures.append(f"{label}：{c.text}" if label else c.text)
            figure_sources.append(f"〔{n}〕第{c.start}–{c.end}字")
        outcomes = [f"{OUTCOME_LABELS.get(o.type, o.type)}：{o.name or o.text}" + (f"（{o.by}）" if o.by else "")
                    for o in p.outcomes]
        ev = p.evidence[0] if p.evidence else None
        cite = f"来源〔{n}〕" + (f"第{ev.start}–{ev.end}字：“{ev.text}”" if ev else "")
        grouped[theme][region].append(Entry(heading, description, figures, outcomes, cite, figure_sources))
    order = [t for t in [*taxonomy_order(), UNCLASSIFIED] if t in grouped] + sorted(set(grouped) - set(taxonomy_order()) - {UNCLASSIFIED})
    for theme in order:
        regions = grouped[theme]
        comp.sections.append((theme, [(r, regions[r]) for r in sorted(regions, key=lambda r: (r == UNKNOWN_REGION, r))]))
    return comp


_SENTENCE_END = re.compile(r"[。！？!?；;…”’」』)）]$")


def _join_sentences(sentences) -> str:
    """Evidence sentences as one paragraph; a sentence without a final mark (a title line) is
    followed by a space so that it does not run into the next one."""
    out = ""
    for s in sentences:
        if out and not _SENTENCE_END.search(out):
            out += " "
        out += s
    return out


def write_digest(db, out: Union[str, Path], filters: Optional[Filters] = None, query: Optional[str] = None,
                 title: Optional[str] = None, redact_persons: bool = False) -> DigestSummary:
    """Write the digest of `db` to `out` (.docx or .md); returns what it holds."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".docx", ".md"):
        raise QueryError(f"the digest is written as .docx or .md, not {out.name!r}")
    comp = compile_digest(db, filters, query, title, redact_persons)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if suffix == ".docx":
            _write_docx(comp, tmp)
        else:
            tmp.write_text(to_markdown(comp), encoding="utf-8")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return DigestSummary(comp.practices, len(comp.sources), out)


def _source_line(s: Source) -> str:
    title = f"《{s.title}》" if s.title else "（无标题）"
    return f"〔{s.number}〕{title}，{s.source}" + (f"，{s.published}" if s.published else "") + f"，文档 {s.doc_id}"


# ---------------------------------------------------------------- markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|])")


def _md(text: str) -> str:
    """Text safe in Markdown: HTML escaped (a <script> stays text), markup characters escaped."""
    text = _MD_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;").replace("<", "&lt;"))
    return "\\" + text if text.startswith(">") else text


def to_markdown(comp: Compilation) -> str:
    lines = [f"# {_md(comp.title)}", "", f"范围：{_md(comp.scope)}；共 {comp.practices} 项做法，来自 {len(comp.sources)} 篇文档。", ""]
    for theme, regions in comp.sections:
        lines += [f"## {_md(theme)}", ""]
        for region, entries in regions:
            lines += [f"### {_md(region)}", ""]
            for e in entries:
                lines += [f"#### {_md(e.heading)}", "", _md(e.description), ""]
                for f, src in zip(e.figures, e.figure_sources):
                    lines.append(f"- 数据：{_md(f)}（{src}）")
                for o in e.outcomes:
                    lines.append(f"- {_md(o)}")
                if e.figures or e.outcomes:
                    lines.append("")
                lines += [f"> {_md(e.citation)}", ""]
    lines += ["## 来源文档", ""]
    lines += [f"- {_md(_source_line(s))}" for s in comp.sources]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- docx

_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    """Text Word can hold (XML 1.0 characters only)."""
    return _XML_ILLEGAL.sub("", text)


def _write_docx(comp: Compilation, path: Path) -> None:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    doc = Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet"):
        style = doc.styles[name]
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), "宋体" if name in ("Normal", "List Bullet") else "黑体")
    doc.core_properties.title = _x(comp.title)
    doc.core_properties.subject = _x(comp.scope)
    doc.add_heading(_x(comp.title), level=0)
    doc.add_paragraph(f"范围：{_x(comp.scope)}；共 {comp.practices} 项做法，来自 {len(comp.sources)} 篇文档。"
                      "每项做法后注明来源文档编号及原文句子位置（字符偏移）。")
    for theme, regions in comp.sections:
        doc.add_heading(_x(theme), level=1)
        for region, entries in regions:
            doc.add_heading(_x(region), level=2)
            for e in entries:
                doc.add_heading(_x(e.heading), level=3)
                doc.add_paragraph(_x(e.description))
                for f, src in zip(e.figures, e.figure_sources):
                    doc.add_paragraph(_x(f"数据：{f}（{src}）"), style="List Bullet")
                for o in e.outcomes:
                    doc.add_paragraph(_x(o), style="List Bullet")
                cite = doc.add_paragraph()
                run = cite.add_run(_x(e.citation))
                run.italic = True
                run.font.size = Pt(9)
                run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    doc.add_heading("来源文档", level=1)
    for s in comp.sources:
        doc.add_paragraph(_x(_source_line(s)))
    doc.save(str(path))


__all__ = ["Compilation", "DigestSummary", "Entry", "compile_digest", "to_markdown", "write_digest"]
