"""search, compare and export: through the CLI (typer's CliRunner, asserting on printed rows)
and through the Python API (`pipeline.query`, `fedreports`). Small databases are built from
the fixture articles of test_link; one end-to-end test runs `fedreports run` on corpus/."""
from __future__ import annotations

import io
from pathlib import Path
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import fedreports
from pipeline.cli import app
from pipeline.query import Filters, QueryError, compare, parse_years, search
from pipeline.store import build_database
from test_link import fixture_articles

runner = CliRunner(env={"COLUMNS": "240"})  # printed rows are not wrapped


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("q") / "practices.db"
    build_database(fixture_articles(), path)
    return str(path)


def cli(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result


def search_json(db, *args):
    r = cli("search", *args, "--db", db, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


# ---------------------------------------------------------------- search

def test_search_table_lists_region_programme_figures_and_source(db):
    r = cli("search", "两癌", "--db", db)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("1 "))
    end = next((i for i, line in enumerate(lines) if line.strip().startswith("2 ")), len(lines))
    first, block = lines[start], "\n".join(lines[start:end])
    assert "云南省 > 昭通市 > 永善县" in first and "两癌救助项目" in first and "2014" in first
    assert "90名（农村妇女）" in first
    assert "corpus/002_511957d7e6d4a40f.txt @" in block  # the source, under the evidence


def test_search_json_items_carry_source_programme_region_theme_evidence(db):
    hits = search_json(db, "春蕾")
    assert hits[0]["programme"] == "春蕾班"
    assert hits[0]["source"] == "corpus/003_55eb41f5ca1fb49c.txt"
    for h in hits:
        assert {"source", "programme", "region", "theme", "evidence"} <= set(h)
        assert all({"text", "start", "end"} <= set(e) for e in h["evidence"])
    assert "【春蕾】" in hits[0]["snippet"]
    assert [f["text"] for f in hits[0]["figures"]] == ["31个", "37万多元", "881名"]


@pytest.mark.parametrize("name, source", [("三访四察五送", "corpus/000_37b82d11348d8228.txt"),
                                          ("甬尚姐妹四必访", "corpus/001_39e92654bc1ffeac.txt"),
                                          ("两癌救助项目", "corpus/002_511957d7e6d4a40f.txt"),
                                          ("春蕾班", "corpus/003_55eb41f5ca1fb49c.txt")])
def test_each_programme_name_finds_its_source(db, name, source):
    hits = search_json(db, name)
    assert any(h["source"] == source and h["programme"] == name for h in hits[:3])


def test_region_filter_keeps_only_that_province(db):
    hits = search_json(db, "--region", "云南省", "--limit", "100")
    assert hits and all("云南省" in h["region_path"] for h in hits)
    assert {h["source"] for h in hits} == {"corpus/000_37b82d11348d8228.txt", "corpus/002_511957d7e6d4a40f.txt"}
    # a finer unit matches anywhere on the path; a short form matches by its stem
    assert {h["region"] for h in search_json(db, "--region", "永善县")} == {"永善县"}
    assert {h["region"] for h in search_json(db, "--region", "慈溪")} == {"慈溪市"}


def test_other_filters(db):
    assert {h["region_level"] for h in search_json(db, "--level", "province")} == {"province"}
    themed = search_json(db, "--theme", "儿童", "--limit", "100")
    assert themed and all(any("儿童" in t for t in h["themes"]) for h in themed)
    assert [h["programme"] for h in search_json(db, "--programme", "“三访四察五送”活动")] == ["三访四察五送", "三访四察五送"]
    assert {h["year"] for h in search_json(db, "--year", "2021..2022", "--limit", "100")} <= {2021, 2022}
    assert all(h["year"] == 2019 for h in search_json(db, "--year", "2019"))


def test_search_csv(db):
    r = cli("search", "贷款", "--db", db, "--format", "csv")
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(io.StringIO(r.stdout))
    assert {"region", "programme", "theme", "snippet", "source"} <= set(frame.columns)
    assert len(frame) >= 2


def test_substring_fallback_for_part_of_a_word(db):
    hits = search_json(db, "四察")  # not a word of the dictionary: found as written
    assert hits and all(h["match"] == "substring" for h in hits)
    assert hits[0]["programme"] == "三访四察五送" and "三访【四察】五送" in hits[0]["snippet"]


@pytest.mark.parametrize("args, message", [
    (["search", "“”", "--db"], "nothing to search for"),
    (["search", "两癌", "--region", "火星省", "--db"], "no practice in a region named"),
    (["search", "两癌", "--year", "2023..2021", "--db"], "is empty"),
    (["search", "两癌", "--level", "village", "--db"], "level must be one of"),
])
def test_bad_queries_are_one_line(db, args, message):
    r = cli(*args, db)
    assert r.exit_code == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output


def test_fts_syntax_in_a_query_is_not_an_error(db):
    for q in ['两癌 OR', '"两癌', 'NEAR(两癌', '两癌*', "两癌' --"]:
        r = cli("search", q, "--db", db, "--format", "json")
        assert r.exit_code == 0, (q, r.output)


def test_missing_database_is_one_line(tmp_path):
    r = cli("search", "两癌", "--db", tmp_path / "none.db")
    assert r.exit_code == 2 and "no database at" in r.stderr


def test_search_api_ranks_the_named_programme_first(db):
    hits = search(db, "姐妹驿站", Filters(region="浙江省"))
    assert hits[0]["programme"] == "姐妹驿站" and hits[0]["organisation"] == "慈溪市妇联"
    frame = fedreports.search(db, "两癌", region="云南省")
    assert list(frame["programme"])[0] == "两癌救助项目"


def test_search_api_with_no_hit_is_an_empty_frame_with_the_hit_columns(db):
    frame = fedreports.search(db, "春蕾", region="浙江省")  # 春蕾 is Yunnan's and Shandong's, not Zhejiang's
    assert frame.empty and {"region", "programme", "source", "evidence"} <= set(frame.columns)
    assert list(frame.columns) == list(fedreports.search(db, "春蕾").columns)


def test_parse_years():
    assert parse_years("2022") == (2022, 2022)
    assert parse_years("2021..2023") == (2021, 2023)
    assert parse_years("2021..") == (2021, None)
    with pytest.raises(QueryError):
        parse_years("last year")


# ---------------------------------------------------------------- compare

def test_compare_table_prints_regions_by_theme(db):
    r = cli("compare", "--db", db, "--by", "province")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    header = next(l for l in lines if l.strip().startswith("province"))
    assert "儿童工作" in header and "合计" in header
    yunnan = next(l for l in lines if l.strip().startswith("云南省"))
    zhejiang = next(l for l in lines if l.strip().startswith("浙江省"))
    assert yunnan.split()[-1] == str(len(search(db, None, Filters(region="云南省"), None)))
    assert zhejiang.split()[-1] == str(len(search(db, None, Filters(region="浙江省"), None)))


def test_compare_sums_only_same_object_and_unit(db, tmp_path):
    c = compare(db, "county")
    long = c.figures_long
    row = long[(long["county"] == "永善县") & (long["object"] == "救助金")]
    assert row["total"].tolist() == [730000.0] and row["unit"].tolist() == ["元"]
    # 元 of 创业贷款 and 元 of 救助金 are never added together
    assert set(long[long["county"] == "永善县"]["object"]) >= {"创业贷款", "救助金"}
    assert c.practices.loc["永善县", "合计"] == len(search(db, None, Filters(region="永善县"), None))


def test_compare_csv_and_xlsx_files_open(db, tmp_path):
    out = tmp_path / "cmp.csv"
    r = cli("compare", "--db", db, "--by", "city", "--out", out)
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(out, index_col=0)
    assert "合计" in frame.columns and "宁波市" in frame.index
    assert frame.loc["宁波市", "合计"] == len(search(db, None, Filters(region="宁波市"), None))
    xlsx = tmp_path / "cmp.xlsx"
    r = cli("compare", "--db", db, "--by", "province", "--theme", "关爱", "--out", xlsx)
    assert r.exit_code == 0, r.output
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert set(sheets) == {"compare", "figures"}
    assert "云南省" in set(sheets["compare"]["province"])


def test_compare_across_programmes(db):
    r = cli("compare", "--db", db, "--by", "province", "--programme", "三访四察五送", "--format", "csv")
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(io.StringIO(r.stdout), index_col=0)
    assert list(frame.columns) == ["三访四察五送", "合计"]
    assert frame.loc["云南省", "三访四察五送"] == 2  # one programme across two Yunnan documents


# ---------------------------------------------------------------- export

@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "jsonl"])
def test_export_files_open(db, tmp_path, fmt):
    out = tmp_path / f"practices.{fmt}"
    r = cli("export", "--db", db, "--format", fmt, "--out", out, "--region", "云南省")
    assert r.exit_code == 0, r.output
    expected = len(search(db, None, Filters(region="云南省"), None))
    assert f"{expected} practices -> " in r.stderr
    if fmt == "csv":
        frame = pd.read_csv(out)
    elif fmt == "xlsx":
        frame = pd.read_excel(out)
    elif fmt == "parquet":
        frame = pd.read_parquet(out)
        assert list(frame["region_path"].iloc[0])[0] == "云南省"
    else:
        from schemas import Practice
        records = [Practice.model_validate_json(l) for l in out.read_text(encoding="utf-8").splitlines()]
        assert len(records) == expected and all("云南省" in p.region.path for p in records)
        return
    assert len(frame) == expected
    assert set(frame["province"]) == {"云南省"}
    assert {"programme", "activity", "theme", "figures", "evidence", "source", "evidence_offsets"} <= set(frame.columns)


def test_export_jsonl_round_trips_the_linked_practices(db, tmp_path):
    out = tmp_path / "all.jsonl"
    assert fedreports.export(db, out) == sum(len(a.practices) for a in fixture_articles())
    from schemas import Practice
    exported = {p.id: p for p in (Practice.model_validate_json(l) for l in out.read_text(encoding="utf-8").splitlines())}
    for a in fixture_articles():
        for p in a.practices:
            assert exported[p.id] == p


# ---------------------------------------------------------------- analyst API

def test_load_returns_dataframes(db):
    t = fedreports.load(db)
    assert len(t.practices) == sum(len(a.practices) for a in fixture_articles())
    assert {"practices", "counts", "places", "programmes", "outcomes"} <= set(vars(t))
    for frame in (t.practices, t.counts, t.places, t.programmes, t.outcomes):
        assert isinstance(frame, pd.DataFrame)
    lc = t.counts[t.counts["text"] == "73万余元"].iloc[0]
    assert lc["province"] == "云南省" and lc["value"] == 730000 and lc["practice_id"]
    assert t.counts[t.counts["text"] == "20场"]["practice_id"].tolist() == [None]  # irrelevant article
    assert t.places[t.places["name"] == "慈溪市"]["path"].iloc[0] == ["浙江省", "宁波市", "慈溪市"]
    sums = t.counts.dropna(subset=["practice_id"]).groupby(["province", "unit"])["value"].sum()
    assert sums[("云南省", "元")] == 150000 + 56660000 + 730000


# ---------------------------------------------------------------- end to end

def test_run_then_search_on_the_sample_corpus(corpus_dir, tmp_path):
    res = cli("run", corpus_dir, "--out", tmp_path, "--no-progress")
    assert res.exit_code == 0, res.output
    db = str(tmp_path / "practices.db")
    for name, stem in [("三访四察五送", "000_"), ("甬尚姐妹四必访", "001_"), ("两癌", "002_"), ("春蕾班", "003_"),
                       ("蒲公英", "004_")]:
        hits = search_json(db, name)
        assert any(stem in h["source"] for h in hits[:5]), (name, [h["source"] for h in hits])
    yunnan = search_json(db, "--region", "云南省", "--limit", "500")
    assert yunnan and all("云南省" in h["region_path"] for h in yunnan)
    assert {Path(h["source"]).name[:4] for h in yunnan} <= {"000_", "002_"}


def test_traditional_and_full_width_queries_find_simplified_text(db):
    assert search_json(db, "甬尚姐妹四必訪")[0]["programme"] == "甬尚姐妹四必访"
    assert search_json(db, "兩癌", "--region", "雲南省")[0]["programme"] == "两癌救助项目"
    assert search_json(db, "１２户")[0]["source"] == "corpus/000_37b82d11348d8228.txt"  # full-width digits


def test_undecodable_query_bytes_are_dropped(db):
    hits = search(db, "两癌\udcff", Filters())
    assert hits and hits[0]["programme"] == "两癌救助项目"
