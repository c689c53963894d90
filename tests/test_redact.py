"""--redact-persons: private individuals masked, named officials kept, offsets intact."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.redact import find_people, redact

runner = CliRunner()

SEED000 = ("调研组与施甸县仁和镇小额贷款户杨光彩进行了交流。2019年,杨光彩申请了妇联的“贷免扶补”无息贷款15万元。"
           "保山市妇联党组书记、主席朱光亮陪同调研。")
SEED001 = ("家住镇海区招宝山街道西门社区的陈外婆,向前来走访的社区妇联执委黄娟说出了心中的苦闷。黄娟当即留下联系方式。"
           "该市逍林镇水云浦村村民张凤彩将自家樓房贡献出来建“姐妹驿站”。市妇联主席顾卫卫说,要走进妇女群众。")


def test_private_people_are_found_and_officials_are_not():
    people = find_people(SEED000 + SEED001)
    assert people.private == {"杨光彩", "张凤彩"}
    assert people.kin == {"陈外婆"}
    assert {"朱光亮", "黄娟", "顾卫卫"} <= people.officials


def test_ordinary_words_after_roles_are_not_names():
    text = "维护妇女权益,关爱留守儿童和困境儿童,律师妈妈团开展宣传,编印以案说法宣传册,村民居住环境改善。"
    people = find_people(text)
    assert not people.private and not people.kin


def test_pseudonyms_and_speakers_are_masked():
    text = "张林娟(化名)是两个孩子的妈妈。当地蚕农刘仕群说,今后还要继续跟着干。"
    people = find_people(text)
    assert {"张林娟", "刘仕群"} <= people.private
    out = redact(text, people)
    assert "张林娟" not in out and "刘仕群" not in out and "张某某(化名)" in out
    assert len(out) == len(text)


def test_redaction_keeps_length_and_officials():
    text = SEED000 + SEED001
    out = redact(text, find_people(text))
    assert len(out) == len(text)
    assert "杨光彩" not in out and "杨某某" in out
    assert "陈外婆" not in out and "某外婆" in out
    assert "张凤彩" not in out
    assert "朱光亮" in out and "黄娟" in out and "顾卫卫" in out


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory, corpus_dir):
    out = tmp_path_factory.mktemp("redact")
    result = runner.invoke(app, ["run", str(corpus_dir), "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    return out / "practices.db"


def test_export_and_digest_redact_persons(corpus_db, tmp_path):
    plain, masked = tmp_path / "plain.jsonl", tmp_path / "masked.jsonl"
    assert runner.invoke(app, ["export", "--db", str(corpus_db), "--out", str(plain)]).exit_code == 0
    r = runner.invoke(app, ["export", "--db", str(corpus_db), "--out", str(masked), "--redact-persons"])
    assert r.exit_code == 0, r.output
    a, b = plain.read_text(encoding="utf-8"), masked.read_text(encoding="utf-8")
    assert "杨光彩" in a and "杨光彩" not in b and "杨某某" in b
    assert "张凤彩" not in b and "朱光亮" in b
    # evidence offsets still point at the same span of the (unredacted) document text
    for line_a, line_b in zip(a.splitlines(), b.splitlines()):
        pa, pb = json.loads(line_a), json.loads(line_b)
        assert [(e["start"], e["end"], len(e["text"])) for e in pa["evidence"]] == \
               [(e["start"], e["end"], len(e["text"])) for e in pb["evidence"]]
    csv = tmp_path / "masked.csv"
    assert runner.invoke(app, ["export", "--db", str(corpus_db), "--out", str(csv), "--redact-persons"]).exit_code == 0
    assert "杨光彩" not in csv.read_text(encoding="utf-8-sig")
    md = tmp_path / "digest.md"
    r = runner.invoke(app, ["digest", "--db", str(corpus_db), "--out", str(md), "--redact-persons"])
    assert r.exit_code == 0, r.output
    text = md.read_text(encoding="utf-8")
    assert "杨光彩" not in text and "张凤彩" not in text and "顾卫卫" in text
