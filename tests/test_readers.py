"""Readers on files built here: encodings, HTML with navigation, docx, PDF with Chinese text."""
from __future__ import annotations

import io
import zipfile

import pytest

from pipeline.readers import ReadError, read_bytes, read_file, sniff
from pipeline.readers.pdf import join_lines, page_lines
from pipeline.readers.txt import decode

SENTENCE = "永善县妇联帮助481名妇女争取创业贷款5666万元，创建省级创业创新示范基地2个。"
TRAD = "寧波市婦聯深入開展“甬尚姐妹四必訪”工作，走訪各類婦女家庭22.04萬戶(次)。"


# ---------------------------------------------------------------- txt

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "gbk"])
def test_simplified_text_in_each_encoding(tmp_path, encoding):
    path = tmp_path / "report.txt"
    path.write_bytes(SENTENCE.encode(encoding))
    assert read_file(path).text == SENTENCE


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "big5"])
def test_traditional_text_in_each_encoding(tmp_path, encoding):
    text = TRAD.replace("“", "「").replace("”", "」")  # Big5 has 「」; keep the test portable
    path = tmp_path / "report.txt"
    path.write_bytes(text.encode(encoding))
    assert read_file(path).text == text


@pytest.mark.parametrize("text,encoding", [
    ("妇联", "gb18030"),        # charset-normalizer alone reads this as Big5
    ("县妇联开展活动", "gb18030"),
    ("婦聯", "big5"),
    ("婦女聯合會", "big5"),
    ("妇女", "utf-16-le"),        # no BOM
])
def test_short_files_are_decoded_right(text, encoding):
    got, _ = decode(text.encode(encoding))
    assert got == text


def test_nul_bytes_are_removed_and_reported(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes("妇联\x00工作".encode("utf-8"))
    raw = read_file(path)
    assert raw.text == "妇联工作"
    assert any("NUL" in c for c in raw.cut)


@pytest.mark.parametrize("data,reason", [
    (b"", "empty file"),
    (b"  \n\t \n", "whitespace-only file"),
    (bytes(range(256)) * 40, "binary"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "legacy"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "OCR not supported"),
])
def test_bad_input_fails_with_a_reason(data, reason):
    with pytest.raises(ReadError, match=reason):
        read_bytes(data, ".txt")


def test_unknown_extension_fails():
    with pytest.raises(ReadError, match="unsupported file type '.xyz'"):
        read_bytes("妇联工作".encode(), ".xyz")


def test_extension_that_lies_is_sniffed(tmp_path):
    path = tmp_path / "actually_html.txt"
    path.write_text("<html><head><title>t</title></head><body><p>" + SENTENCE + "</p></body></html>", encoding="utf-8")
    raw = read_file(path)
    assert raw.reader == "html" and SENTENCE in raw.text


def test_sniff_by_magic_bytes():
    assert sniff(b"%PDF-1.4\n", ".txt") == "pdf"
    assert sniff(b"PK\x03\x04", ".bin") == "docx"
    assert sniff(b"<!DOCTYPE html><html><head><meta charset='utf-8'>", ".txt") == "html"


# ---------------------------------------------------------------- html

NAV_PAGE = """<!DOCTYPE html><html><head><meta charset="gbk"><title>永善县妇联开展“三访四察五送”活动_昭通市妇联</title>
<meta name="date" content="2022-06-03"></head><body>
<div class="nav"><a href="/">首页</a> &gt; <a href="/w">妇女工作</a> &gt; 正文</div>
<ul class="menu"><li><a href="/a">机构设置</a></li><li><a href="/b">政策法规</a></li><li><a href="/c">联系我们</a></li></ul>
<div class="article"><h1>永善县妇联开展“三访四察五送”活动</h1>
<p>近日，永善县妇联组织干部深入溪洛渡街道双凤村，走访慰问12户困难家庭，送去慰问金2万元，并了解她们的生产生活情况和实际需求。</p>
<p>活动中，妇联干部向群众宣讲党的二十大精神，发放宣传资料500余份，帮助解决实际困难10余件，受到群众欢迎。</p></div>
<div class="footer">主办单位：永善县妇女联合会 版权所有 滇ICP备10201700号-1</div></body></html>"""


def test_html_main_text_metadata_and_declared_charset():
    raw = read_bytes(NAV_PAGE.encode("gbk"), ".html")
    assert raw.reader == "html"
    assert "走访慰问12户困难家庭" in raw.text and "发放宣传资料500余份" in raw.text
    assert "机构设置" not in raw.text and "版权所有" not in raw.text
    assert raw.published == "2022-06-03"
    assert "三访四察五送" in (raw.title or "")


def test_html_with_no_body_text_fails():
    with pytest.raises(ReadError, match="no text"):
        read_bytes(b"<html><head><title></title></head><body><script>var a=1;</script></body></html>", ".html")


def test_absurdly_nested_html_falls_back_to_tag_stripping():
    page = "<html><body>" + "<div>" * 5000 + "<p>妇联工作简报，帮助妇女就业100人。</p>" + "</div>" * 5000 + "</body></html>"
    raw = read_bytes(page.encode(), ".html")
    assert "帮助妇女就业100人" in raw.text
    assert any("nested" in c for c in raw.cut)


# ---------------------------------------------------------------- docx

def make_docx(paragraphs, table=None, after=None) -> bytes:
    import docx
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, cell in enumerate(row):
                t.cell(i, j).text = cell
    for p in after or []:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_paragraphs_and_tables_in_reading_order(tmp_path):
    path = tmp_path / "简报.docx"
    path.write_bytes(make_docx(["胶州市妇联工作简报", SENTENCE], table=[["项目", "数量"], ["最美家庭", "70户"]],
                               after=["表后段落：编印宣传册2000册。"]))
    raw = read_file(path)
    assert raw.reader == "docx"
    lines = raw.text.split("\n")
    assert lines[0] == "胶州市妇联工作简报" and lines[1] == SENTENCE
    assert lines[2] == "项目\t数量" and lines[3] == "最美家庭\t70户"
    assert lines[4] == "表后段落：编印宣传册2000册。"


def test_truncated_docx_fails(tmp_path):
    data = make_docx([SENTENCE])
    with pytest.raises(ReadError, match="corrupt or truncated .docx"):
        read_bytes(data[: len(data) // 2], ".docx")


def test_zip_bomb_docx_is_refused():
    from pipeline.settings import Settings
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/media/bomb.bin", b"\0" * 5_000_000)
    with pytest.raises(ReadError, match="zip bomb"):
        read_bytes(buf.getvalue(), ".docx", Settings(max_unzipped_bytes=1_000_000))


def test_zip_that_is_not_word_fails():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ReadError, match="not a Word document"):
        read_bytes(buf.getvalue(), ".docx")


# ---------------------------------------------------------------- pdf

def make_pdf(pages: list[list[str]], header: str | None = "永善县妇女联合会工作简报", encrypt: str | None = None,
             text: bool = True) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=encrypt)
    for n, lines in enumerate(pages, 1):
        if text:
            c.setFont("STSong-Light", 10)
            if header:
                c.drawString(72, 800, header)
            c.setFont("STSong-Light", 12)
            y = 760
            for line in lines:
                c.drawString(72, y, line)
                y -= 18
            c.drawString(290, 40, f"- {n} -")
        else:
            c.rect(72, 72, 400, 600, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


PDF_PAGE = ["近年来，永善县妇联按照“党建带妇建、妇建促党建”的工作思路，以服务中心大局",
            "为己任，帮助481名妇女争取创业贷款5666万元，创建省级创业创新示范基地2个。",
            "二、关爱女性健康",
            "积极争取国家、省级农村贫困“两癌”救助项目支持，共帮助90名农村妇女获得"]


def test_pdf_with_chinese_text_joins_lines_and_drops_furniture(tmp_path):
    path = tmp_path / "简报.pdf"
    path.write_bytes(make_pdf([PDF_PAGE, ["救助金73万余元。"], ["三、注重家风建设"]]))
    raw = read_file(path)
    assert raw.reader == "pdf"
    lines = raw.text.split("\n")
    assert lines[0] == ("近年来，永善县妇联按照“党建带妇建、妇建促党建”的工作思路，以服务中心大局为己任，"
                        "帮助481名妇女争取创业贷款5666万元，创建省级创业创新示范基地2个。")
    assert lines[1] == "二、关爱女性健康"
    # the paragraph broken by the page break is whole again
    assert lines[2].endswith("共帮助90名农村妇女获得救助金73万余元。")
    assert "工作简报" not in raw.text and "- 2 -" not in raw.text


def test_encrypted_pdf_fails():
    with pytest.raises(ReadError, match="encrypted PDF"):
        read_bytes(make_pdf([PDF_PAGE], encrypt="secret"), ".pdf")


def test_pdf_without_text_layer_fails():
    with pytest.raises(ReadError, match="no text layer; OCR not supported"):
        read_bytes(make_pdf([[]], text=False), ".pdf")


def test_truncated_pdf_fails():
    data = make_pdf([PDF_PAGE])
    with pytest.raises(ReadError):
        read_bytes(data[:300], ".pdf")


def test_page_furniture_helpers():
    pages = ["简报\n第一段文字很长很长很长很长很长，\n第 1 页 共 3 页", "简报\n第二段\n第 2 页 共 3 页", "简报\n第三段\n3/3"]
    assert page_lines(pages) == [["第一段文字很长很长很长很长很长，"], ["第二段"], ["第三段"]]
    assert join_lines(["全县共创办春蕾班31个，募集年资助额", "37万多元。"]) == "全县共创办春蕾班31个，募集年资助额37万多元。"
