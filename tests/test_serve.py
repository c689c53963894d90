"""`fedreports serve` in a real headless browser (Debian's chromium; skipped when absent).

The server is the real command in a subprocess on 127.0.0.1; chromium loads pages with
background networking off and dumps the DOM after scripts ran, and takes a screenshot."""
from __future__ import annotations

import json
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from pipeline.serve import metadata_for
from pipeline.store import build_database
from schemas import Article, Mention, Place, RegionRef
from test_link import article, fixture_articles

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parent.parent

SCRIPT_TEXT = ("宁波市妇联开展“护苗”女童关爱活动<script>document.title='PWNED'</script>,资助困境女童20名。\n")


def script_article() -> Article:
    t = SCRIPT_TEXT
    nb = Place(name="宁波市", level="city", adcode="330200", path=["浙江省", "宁波市"],
               mentions=[Mention(text="宁波市", start=0, end=3)])
    return article("xss-0", "hostile/script.html", t, title="<b>标题</b>", published="2024-01-01",
                   main_region=RegionRef(name="宁波市", adcode="330200", level="city", path=["浙江省", "宁波市"]),
                   places=[nb])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMIUM:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("serve")
    db = folder / "practices.db"
    build_database([*fixture_articles(), script_article()], db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--db", str(db), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start: " + (proc.stdout.read() if proc.poll() is not None else ""))
                time.sleep(0.3)
        yield base, folder
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def browse(url: str, screenshot: Path | None = None) -> str:
    """The DOM of `url` after its scripts ran, from headless chromium."""
    profile = tempfile.mkdtemp(prefix="table-chromium-")
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--window-size=1280,1000"]
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    try:
        done = subprocess.run([*args, "--dump-dom", url], capture_output=True, text=True, timeout=90, cwd=profile)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def q(s: str) -> str:
    return urllib.parse.quote(s)


def test_canned_search_segments_chinese(server):
    base, folder = server
    shot = folder / "search.png"
    dom = browse(f"{base}/practices/search?q={q('两癌')}", screenshot=shot)
    assert "两癌救助项目" in dom
    assert "corpus/002_511957d7e6d4a40f.txt" in dom
    assert "【两癌】" in dom  # the evidence is highlighted
    assert "春蕾班" not in dom
    width, height = png_size(shot)
    assert width >= 800 and height >= 600
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_table_search_box_and_facets(server):
    base, _ = server
    dom = browse(f"{base}/practices/practices?_search={q('春蕾')}")
    assert "春蕾班" in dom and "两癌救助项目" not in dom
    assert "corpus/003_55eb41f5ca1fb49c.txt" in dom
    for facet in ("province", "theme", "programme", "themes"):
        assert f'class="facet-info facet-practices-practices-{facet}"' in dom, facet
    dom = browse(f"{base}/practices/practices?province={q('云南省')}")
    assert "两癌救助项目" in dom and "姐妹驿站" not in dom


def test_script_in_a_document_shows_as_text(server):
    base, _ = server
    dom = browse(f"{base}/practices/documents/xss-0")
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom
    assert "<title>PWNED</title>" not in dom
    assert "<script>document.title" not in dom
    assert "&lt;b&gt;标题&lt;/b&gt;" in dom
    dom = browse(f"{base}/practices/search?q={q('护苗')}")
    assert "&lt;script&gt;" in dom and "<title>PWNED</title>" not in dom


def test_served_read_only_on_loopback(server):
    base, _ = server
    with urllib.request.urlopen(base + "/-/databases.json", timeout=5) as r:
        dbs = json.load(r)
    assert [(d["name"], d["is_mutable"]) for d in dbs] == [("practices", False)]
    assert base.startswith("http://127.0.0.1:")


def test_metadata_declares_facets_and_search():
    meta = metadata_for("out/practices.db")["databases"]["practices"]
    assert meta["tables"]["practices"]["facets"][:3] == ["province", "theme", "programme"]
    assert meta["tables"]["practices"]["fts_table"] == "practices_fts"
    assert "fedreports_match(:q)" in meta["queries"]["search"]["sql"]
