"""The experience-sharing compilation: opens in python-docx, grouped by theme and region, every
practice with its figures and a citation of its source document and sentence."""
from __future__ import annotations

import re

import pytest
from docx import Document
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.digest import compile_digest, write_digest
from pipeline.link import themes
from pipeline.query import Filters
from pipeline.store import build_database
from test_link import fixture_articles, yongshan

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("d") / "practices.db"
    build_database(fixture_articles(), path)
    return path


def test_docx_opens_and_cites_sources(db, tmp_path):
    out = tmp_path / "经验交流.docx"
    r = runner.invoke(app, ["digest", "--db", str(db), "--out", str(out)])
    assert r.exit_code == 0, r.output
    n = sum(len(a.practices) for a in fixture_articles())
    assert f"{n} practices from 4 documents" in r.stderr
    doc = Document(str(out))
    paragraphs = [(p.style.name, p.text) for p in doc.paragraphs]
    headings1 = [t for s, t in paragraphs if s == "Heading 1"]
    assert headings1[-1] == "来源文档"
    assert "妇女健康" in headings1 and "创业就业与乡村振兴" in headings1
    order = [*themes(), "(未分类)"]
    assert headings1[:-1] == sorted(headings1[:-1], key=order.index)  # taxonomy order
    regions = [t for s, t in paragraphs if s == "Heading 2"]
    assert "云南省 › 昭通市 › 永善县" in regions
    entries = [t for s, t in paragraphs if s == "Heading 3"]
    assert "永善县妇联：两癌救助项目（2014年）" in entries
    assert len(entries) == n
    text = "\n".join(t for _, t in paragraphs)
    # the figure and the sentence it stands in, with offsets, cited to a numbered source
    assert re.search(r"数据：获得救助金：73万余元（〔\d+〕第\d+–\d+字）", text)
    cites = [t for _, t in paragraphs if t.startswith("来源〔")]
    assert len(cites) == n
    sources = [t for _, t in paragraphs if re.match(r"〔\d+〕《", t)]
    assert any("corpus/002_511957d7e6d4a40f.txt" in s and "2023-03-08" in s for s in sources)


def test_citation_offsets_are_true(db):
    comp = compile_digest(db, Filters(region="永善县"))
    text = yongshan().text
    for _, regions in comp.sections:
        for _, entries in regions:
            for e in entries:
                m = re.match(r"来源〔\d+〕第(\d+)–(\d+)字：“(.*)”$", e.citation, re.S)
                assert m, e.citation
                assert text[int(m.group(1)):int(m.group(2))] == m.group(3)


def test_markdown_with_filters(db, tmp_path):
    out = tmp_path / "health.md"
    s = write_digest(db, out, Filters(theme="妇女健康"))
    md = out.read_text(encoding="utf-8")
    assert s.practices >= 1 and md.startswith("# 妇联工作经验交流材料")
    assert "范围：主题 妇女健康" in md
    assert "#### 永善县妇联：两癌救助项目（2014年）" in md
    assert "春蕾班" not in md  # filtered out
    assert [l for l in md.splitlines() if l.startswith("## ")] == ["## 妇女健康", "## 来源文档"]


def test_markdown_escapes_html(tmp_path):
    a = yongshan()
    p = a.practices[0]
    p.evidence[0].text = "<script>alert(1)</script>"
    build_database([a], tmp_path / "x.db")
    md = (write_digest(tmp_path / "x.db", tmp_path / "x.md").path).read_text(encoding="utf-8")
    assert "<script>" not in md and "&lt;script>alert(1)&lt;/script>" in md


def test_unknown_suffix_is_refused(db, tmp_path):
    r = runner.invoke(app, ["digest", "--db", str(db), "--out", str(tmp_path / "x.pdf")])
    assert r.exit_code == 2 and ".docx or .md" in r.stderr
