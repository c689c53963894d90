"""A corpus of hostile files, built here, run through the real pipeline: every file is
accounted for in the manifest with the expected status and a one-line reason."""
from __future__ import annotations

import io
import json
import os
import zipfile

import pytest

from pipeline.run import run
from pipeline.settings import Settings
from test_readers import PDF_PAGE, make_docx, make_pdf

GOOD = "胶州市妇联开展“新农村·新生活”培训活动,去年共举办100场培训班,评选“美丽胶州示范户”1200户。"
LIMITS = Settings(max_pdf_pages=3, max_text_chars=300_000, max_unzipped_bytes=2_000_000)

# file name -> (expected status, a piece of the expected reason or None)
EXPECTED = {
    "empty.txt": ("failed", "empty file"),
    "blank.txt": ("failed", "whitespace-only file"),
    "random.bin.txt": ("failed", "binary"),
    "pdf named as text.txt": ("ok", None),
    "text named as pdf.pdf": ("ok", None),
    "truncated.docx": ("failed", "corrupt or truncated .docx"),
    "not-a-zip.docx": ("failed", "not a .docx"),
    "corrupt.pdf": ("failed", "PDF"),
    "encrypted.pdf": ("failed", "encrypted PDF"),
    "scanned.pdf": ("failed", "no text layer; OCR not supported"),
    "legacy.doc": ("failed", "legacy"),
    "photo.jpg": ("failed", "OCR not supported"),
    "no-body.html": ("failed", "no text"),
    "nested.html": ("partial", "nested deeper"),
    "data.xyz": ("failed", "unsupported file type '.xyz'"),
    "nul bytes.txt": ("partial", "NUL bytes removed"),
    "one long line.txt": ("partial", "max_text_chars"),
    "bomb.docx": ("failed", "zip bomb"),
    "many pages.pdf": ("partial", "max_pdf_pages"),
    "huge page.html": ("partial", "max_text_chars"),
    "妇联 工作 简报.txt": ("ok", None),
    "gbk.txt": ("ok", None),
    "big5.txt": ("ok", None),
    "report.docx": ("ok", None),
}


def build_corpus(root):
    w = lambda name, data: (root / name).write_bytes(data)
    w("empty.txt", b"")
    w("blank.txt", b" \n\t\r\n  \n")
    w("random.bin.txt", os.urandom(1) * 0 + bytes((i * 37 + 11) % 256 for i in range(20000)))
    w("pdf named as text.txt", make_pdf([PDF_PAGE]))
    w("text named as pdf.pdf", GOOD.encode("utf-8"))
    docx = make_docx([GOOD])
    w("truncated.docx", docx[: len(docx) // 3])
    w("not-a-zip.docx", b"this is not a zip at all")
    pdf = make_pdf([PDF_PAGE])
    w("corrupt.pdf", pdf[:200] + b"garbage" * 50)
    w("encrypted.pdf", make_pdf([PDF_PAGE], encrypt="pw"))
    w("scanned.pdf", make_pdf([[]], text=False))
    w("legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
    w("photo.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 1024)
    w("no-body.html", b"<html><head><title>x</title></head><body><script>1</script></body></html>")
    w("nested.html", ("<html><body>" + "<div>" * 3000 + f"<p>{GOOD}</p>" + "</div>" * 3000 + "</body></html>").encode())
    w("data.xyz", GOOD.encode("utf-8"))
    w("nul bytes.txt", GOOD.replace("培训", "培\x00训").encode("utf-8"))
    w("one long line.txt", (GOOD * 6000).encode("utf-8"))  # ~400K characters on one line
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/media/x.bin", b"\0" * 20_000_000)
    w("bomb.docx", bomb.getvalue())
    w("many pages.pdf", make_pdf([PDF_PAGE] * 6))
    w("huge page.html", ("<html><body>" + f"<p>{GOOD}</p>" * 8000 + "</body></html>").encode("utf-8"))
    w("妇联 工作 简报.txt", GOOD.encode("utf-8"))
    w("gbk.txt", GOOD.encode("gbk"))
    w("big5.txt", "寧波市婦聯開展走訪活動,走訪婦女家庭2000戶。".encode("big5"))
    w("report.docx", make_docx(["永善县妇联工作简报", GOOD], table=[["项目", "数量"], ["示范户", "1200户"]]))
    sub = root / "sub"
    sub.mkdir()
    (sub / "loop").symlink_to(root, target_is_directory=True)  # a symlink loop
    (root / "dangling.txt").symlink_to(root / "missing-target.txt")


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "in"
    corpus.mkdir()
    build_corpus(corpus)
    out = root / "out"
    summary = run([corpus], out, LIMITS)
    manifest = [json.loads(l) for l in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    return summary, manifest, out


def test_every_file_is_in_the_manifest_once(hostile_run):
    _, manifest, _ = hostile_run
    names = [os.path.basename(m["source"]) for m in manifest]
    assert sorted(names) == sorted(list(EXPECTED) + ["dangling.txt"])  # the loop adds nothing twice


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_status_and_reason(hostile_run, name):
    _, manifest, _ = hostile_run
    [m] = [m for m in manifest if os.path.basename(m["source"]) == name]
    status, reason = EXPECTED[name]
    assert m["status"] == status, m
    if reason:
        assert reason in m["reason"], m
        assert "\n" not in m["reason"]
    if status != "failed":
        assert m["articles"] >= 1


def test_dangling_symlink_is_failed(hostile_run):
    _, manifest, _ = hostile_run
    [m] = [m for m in manifest if m["source"].endswith("dangling.txt")]
    assert m["status"] == "failed" and m["reason"] == "broken symlink"


def test_summary_counts_match_and_good_text_survives(hostile_run):
    summary, manifest, out = hostile_run
    assert summary.files == len(manifest)
    assert summary.failed == sum(m["status"] == "failed" for m in manifest)
    assert summary.exit_code == 3
    docs = [json.loads(l) for l in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = {os.path.basename(d["source"]): d["text"] for d in docs}
    assert "评选“美丽胶州示范户”1200户" in texts["gbk.txt"]
    assert "宁波市妇联开展走访活动" in texts["big5.txt"]
    assert texts["nul bytes.txt"] == GOOD
    # cut at the limit; the cleaner only adds line breaks where it splits the long line
    assert len(texts["one long line.txt"].replace("\n", "")) <= LIMITS.max_text_chars
