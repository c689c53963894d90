"""The gazetteer: names, codes and paths of the five levels, short and old forms, the
cache it loads from, and `resolve` for other components."""
from __future__ import annotations

import pickle

import pytest

from extractors import gazetteer as gz


@pytest.fixture(scope="module")
def g():
    return gz.load()


def test_resolve_official_short_and_old_forms():
    assert gz.resolve("慈溪市").model_dump() == {
        "name": "慈溪市", "adcode": "330282", "level": "county", "path": ["浙江省", "宁波市", "慈溪市"]}
    assert gz.resolve("怒江州").name == "怒江傈僳族自治州"
    assert gz.resolve("贡山县").adcode == "533324"
    assert gz.resolve("科左后旗").name == "科尔沁左翼后旗"
    assert gz.resolve("奉化市").name == "奉化区" and gz.resolve("奉化市").adcode == "330213"
    assert gz.resolve("襄樊").name == "襄阳市"
    assert gz.resolve("广西").adcode == "450000"


def test_resolve_levels_and_municipalities():
    assert gz.resolve("北京市").level == "province"
    assert gz.resolve("朝阳区", within="北京市").path == ["北京市", "朝阳区"]
    assert gz.resolve("仙桃市").path == ["湖北省", "仙桃市"]                  # 省直辖县级市
    assert gz.resolve("虎门镇", within="东莞市").path == ["广东省", "东莞市", "虎门镇"]
    assert gz.resolve("匹河乡").name == "匹河怒族乡"


def test_resolve_ambiguous_names_only_within_a_region():
    assert gz.resolve("鼓楼区") is None
    assert gz.resolve("鼓楼区", within="福州市").adcode == "350102"
    assert gz.resolve("鼓楼区", within=gz.resolve("南京市")).adcode == "320106"
    assert gz.resolve("长沙").name == "长沙市"          # a city, not the county named after it
    assert gz.resolve("长沙县").adcode == "430121"


def test_resolve_villages_within_a_county():
    ref = gz.resolve("知子罗村", within="福贡县")
    assert ref.level == "village" and ref.adcode is None
    assert ref.path == ["云南省", "怒江傈僳族自治州", "福贡县", "匹河怒族乡", "知子罗村"]
    assert gz.resolve("知子罗村") is None


def test_unknown_and_excluded_names():
    assert gz.resolve("不存在县") is None
    assert gz.resolve("台北市") is None and gz.resolve("香港") is None   # not mainland units


def test_development_zones_have_no_code(g):
    uid = g.resolve_id("呼和浩特经济技术开发区")
    assert uid is not None and g.adcode(uid) is None and g.level(uid) == gz.COUNTY


def test_short_form_kinds(g):
    kinds = {g.name(u): k for u, k in g.lookup("贡山")}
    assert kinds == {"贡山独龙族怒族自治县": gz.BARE}
    assert {k for _, k in g.lookup("贡山县")} == {gz.SHORT}
    assert {k for _, k in g.lookup("奉化市")} == {gz.OLD}
    assert {k for _, k in g.lookup("贵州")} == {gz.BARE}        # 贵州 keeps no suffix of 贵州省
    assert g.lookup("街道") == [] and g.lookup("高新区") == []


def test_villages_are_decoded_per_county(g):
    county = g.resolve_id("永善县")
    villages = g.villages(county)
    assert "双凤村" in villages and "黄葛社区" in villages
    assert all(g.parent(t) == county for tids in villages.values() for t in tids)
    assert g.name(villages["黄葛社区"][0]) == "黄华镇"


def test_matches_report_offsets(g):
    text = "青海西宁"
    found = {(text[s:e], s, e) for s, e, _ in g.matches(text)}
    assert {("青海", 0, 2), ("西宁", 2, 4), ("海西", 1, 3)} <= found


def test_index_is_loaded_from_its_cache(g):
    path = gz._cache_path()
    assert path.is_file()
    data = pickle.loads(path.read_bytes())
    again = gz.Gazetteer(data)
    assert again.n_units == g.n_units
    assert again.resolve_id("慈溪市") == g.resolve_id("慈溪市")
