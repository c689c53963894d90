"""The `run` job end to end on the bundled corpus (real pipeline, no mocks)."""
from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from schemas import Article, ManifestEntry

runner = CliRunner()

BOILERPLATE = re.compile(r"你现在的位置|您的位置|发布时间|点 ?击 ?量|主办单位|版权所有|ICP|猜你喜欢|相关新闻|你可能关注"
                         r"|下载文档|温馨提示|网站客服|一区二区|亚洲|编辑:|关键词|通讯员|中国山东网")


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory, corpus_dir):
    out = tmp_path_factory.mktemp("out")
    result = runner.invoke(app, ["run", str(corpus_dir), "--out", str(out), "--no-progress"])
    docs = [Article.model_validate_json(l) for l in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    manifest = [ManifestEntry.model_validate_json(l) for l in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    return result, docs, manifest, out


def test_every_seed_file_is_ok(corpus_run):
    result, docs, manifest, _ = corpus_run
    assert result.exit_code == 0, result.output
    assert len(manifest) == 5
    assert {m.status for m in manifest} == {"ok"}
    assert all(m.sha256 and len(m.sha256) == 64 for m in manifest)
    assert sum(m.articles for m in manifest) == len(docs)


def test_newspaper_page_yields_three_articles_one_relevant(corpus_run):
    _, docs, _, _ = corpus_run
    page = [d for d in docs if "002_" in d.source]
    assert [d.article for d in page] == [0, 1, 2]
    assert [d.relevant for d in page] == [True, False, False]
    assert page[0].title == "永善妇联:党建引领聚合合力 巾帼建功展风采"


def test_boilerplate_is_gone_from_every_text(corpus_run):
    _, docs, _, _ = corpus_run
    for d in docs:
        assert not BOILERPLATE.search(d.text), (d.source, BOILERPLATE.search(d.text).group(0))


def test_traditional_seed_is_simplified_without_pinyin(corpus_run):
    _, docs, _, _ = corpus_run
    [d] = [d for d in docs if "001_" in d.source]
    assert "婦" not in d.text and "妇联" in d.text
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+\)", d.text)
    assert d.printed and len(d.printed) == len(d.text) and "婦聯" in d.printed


def test_titles_and_dates(corpus_run):
    _, docs, _, _ = corpus_run
    by = {d.source.split("/")[-1][:3]: d for d in docs if d.article == 0}
    assert by["000"].published == "2022-06-03"
    assert by["001"].published == "2021-11-29"
    assert by["003"].published == "2023-04-15" and by["003"].title == "构建和谐妇联组织思考"
    assert by["004"].published == "2016-02-16" and by["004"].title == "把握三个关键 建设服务型基层妇联组织"


def test_bad_files_are_reported_and_exit_code_is_3(tmp_path, corpus_dir):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text((corpus_dir / next(p.name for p in corpus_dir.iterdir())).read_text(encoding="utf-8"),
                                  encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    (src / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(src), "--out", str(out), "--no-progress"])
    assert result.exit_code == 3
    manifest = {json.loads(l)["source"].split("/")[-1]: json.loads(l) for l in (out / "manifest.jsonl").read_text().splitlines()}
    assert manifest["good.txt"]["status"] == "ok"
    assert manifest["empty.txt"] == {**manifest["empty.txt"], "status": "failed", "reason": "empty file"}
    assert manifest["old.doc"]["status"] == "failed" and "legacy" in manifest["old.doc"]["reason"]
    assert "empty.txt: empty file" in result.output


def test_usage_error_exit_code_is_2(tmp_path):
    assert runner.invoke(app, ["run", str(tmp_path)]).exit_code == 2  # no --out
    assert runner.invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--engine", "spark"]).exit_code == 2


def test_missing_input_is_a_failed_manifest_line(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(tmp_path / "nope"), "--out", str(out), "--no-progress"])
    assert result.exit_code == 3
    [line] = (out / "manifest.jsonl").read_text().splitlines()
    assert json.loads(line)["reason"] == "no such file or folder"


def test_outputs_are_written_in_source_order_while_files_run(tmp_path, corpus_dir, monkeypatch):
    """documents.jsonl goes out as the files are done (nothing is left to write at the end but
    the last ones), in source order; a run stopped by an error leaves no temp file and the
    outputs of the previous run as they were."""
    import os
    from pipeline import run as run_mod
    monkeypatch.setattr(run_mod, "COMMIT_EVERY_S", -1.0)  # commit (and write out) after every file
    out = tmp_path / "out"
    tmp = out / f"documents.jsonl.tmp{os.getpid()}"
    seen: list[tuple[int, int]] = []

    def on_file(result):
        seen.append((len(tmp.read_text(encoding="utf-8").splitlines()), result.entry.articles))

    summary = run_mod.run([corpus_dir], out, on_file=on_file)
    assert summary.ok == 5 and not tmp.exists()
    written = [n for n, _ in seen]
    assert written == [sum(a for _, a in seen[:i + 1]) for i in range(len(seen))]  # every file's lines were out already
    final = (out / "documents.jsonl").read_text(encoding="utf-8")
    assert len(final.splitlines()) == written[-1] == summary.articles

    calls = []

    def stop(result):
        calls.append(result)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_mod.run([corpus_dir], tmp_path / "out2", on_file=stop)
    assert len(calls) == 2
    assert not [f.name for d in (tmp_path / "out2", tmp_path / "out2" / ".fedreports") for f in d.iterdir() if ".tmp" in f.name]
    assert not (tmp_path / "out2" / "documents.jsonl").exists()
    # a changed file re-runs; stopped after it, the outputs of the first run stay as they were
    monkeypatch.setattr(run_mod, "result_version", lambda settings=None: "another-version")
    with pytest.raises(KeyboardInterrupt):
        calls.clear()
        run_mod.run([corpus_dir], out, on_file=stop)
    assert len(calls) == 2
    assert (out / "documents.jsonl").read_text(encoding="utf-8") == final
    assert not [f.name for d in (out, out / ".fedreports") for f in d.iterdir() if ".tmp" in f.name]


def test_a_result_read_back_from_memory_equals_the_stored_one(tmp_path):
    """The cache hands the run a result it has just put from memory, once; the row is the one
    in the database (read from there the second time, and after the memory's bound)."""
    from pipeline.run import FileResult, ResultCache
    cache = ResultCache(tmp_path / "cache.sqlite")
    results = [FileResult(ManifestEntry(source=f"f{i}.txt", status="ok", sha256="0" * 64, articles=1, bytes=10 + i),
                          documents=f'{{"n": {i}}}\n', relevant=1, index="[]\n") for i in range(cache.RECENT + 5)]
    for r in results:
        cache.put(r, "v1")
    cache.commit()
    assert len(cache.recent) == cache.RECENT
    first, last = results[0].entry.source, results[-1].entry.source
    assert first not in cache.recent and last in cache.recent  # the oldest went to the database only
    from_memory = cache.get(last)
    assert last not in cache.recent
    assert from_memory == cache.get(last) == cache.get(last)  # the second and third reads are the database's
    assert from_memory == ("ok", 1, 1, 10 + cache.RECENT + 4, results[-1].entry.model_dump_json(), '{"n": %d}\n' % (cache.RECENT + 4), "[]\n")
    assert cache.get(first)[5] == '{"n": 0}\n'
    cache.close()


def test_reading_and_cleaning_a_file_needs_no_spacy(tmp_path):
    """`prepare` (read and clean: what a run with workers does on a spare core while it loads
    the pipeline) imports no spaCy, even where re-joining a broken paragraph asks the
    segmenter's dictionary; and it gives what the whole pipeline then works on."""
    import subprocess
    import sys
    from pathlib import Path

    from conftest import ROOT
    from pipeline.run import Prepared, prepare
    f = tmp_path / "a.txt"
    f.write_text("永善县妇联召开会议\n\n2024年3月8日，永善县妇联召开全县妇联工作会议，总结去年工作，部署今年重点任务，"
                 "各乡镇妇联主席参加会议。\n\n今年以来，县妇联组织帮助5个产\n\n业组发展，带动481名妇女就业增收。\n",
                 encoding="utf-8")
    code = ("import sys, json; from pathlib import Path; from pipeline.run import prepare\n"
            f"p = prepare(Path({str(f)!r}))\n"
            "print(json.dumps([[a.text for a in p.articles], sorted(m for m in sys.modules if m.split('.')[0] in "
            "('spacy', 'thinc', 'pipeline'))], ensure_ascii=False))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(ROOT))
    texts, modules = json.loads(out.stdout)
    assert "pipeline.segment" in modules  # the break was judged with the dictionary ("产业")
    assert not [m for m in modules if m.split(".")[0] in ("spacy", "thinc")] and "pipeline.nlp" not in modules
    assert texts[0].endswith("今年以来,县妇联组织帮助5个产业组发展,带动481名妇女就业增收。")
    here = prepare(Path(f))
    assert isinstance(here, Prepared) and [a.text for a in here.articles] == texts


def test_a_warmed_pipeline_loads_nothing_more_on_its_first_files():
    """`Processor.warm` (what a run with workers does once before forking them) takes a
    built-in report through every stage: afterwards the sample corpus's files import no
    module; without it the first file imports cn2an and the charset detector."""
    import subprocess
    import sys

    from conftest import CORPUS, ROOT
    code = ("import sys, json; from pathlib import Path; from pipeline import run\n"
            "p = run.processor(); warm = sys.argv[1] == 'warm'\n"
            "seconds = p.warm() if warm else 0.0\n"
            "before = set(sys.modules)\n"
            f"results = [p.process(f) for f in sorted(Path({str(CORPUS)!r}).iterdir())]\n"
            "print(json.dumps([sorted(m for m in set(sys.modules) - before if '.' not in m), seconds, p.load_reported,"
            " results[0].timings.get('startup') is not None, [r.entry.status for r in results]]))")
    got = {}
    for how in ("cold", "warm"):
        out = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, check=True, cwd=str(ROOT))
        got[how] = json.loads(out.stdout)
    assert {"cn2an", "charset_normalizer"} <= set(got["cold"][0])
    new, seconds, reported, first_has_startup, statuses = got["warm"]
    assert new == [] and seconds > 0
    assert reported and first_has_startup  # the load time is still reported with the first real file
    assert statuses == got["cold"][4] == ["ok"] * len(statuses)


def test_warming_up_is_best_effort(monkeypatch):
    """A stage that fails on the warm-up report does not stop the run (it fails on the real
    files too, where the manifest reports it); the load time is still reported with the
    first real file."""
    from pipeline import run as run_module

    p = run_module.processor()
    reported = p.load_reported

    def boom(*args, **kwargs):
        raise RuntimeError("cleaning is broken")
    monkeypatch.setattr("pipeline.clean.clean", boom)
    assert p.warm() >= 0
    assert p.load_reported == reported
