"""Places and main region on sentences of the genre: each rule and each exclusion of the
GUIDE and of PITFALLS.md, with the offsets of every mention checked against the text."""
from __future__ import annotations

import pytest

from extractors.places import place_near
from pipeline.clean import to_simplified
from pipeline.nlp import analyse, build


@pytest.fixture(scope="module")
def nlp():
    return build(["fed_sentences", "fed_places", "fed_main_region"])


def run(nlp, text, title=None, organisation=None):
    doc = analyse(text, title=title, organisation=organisation, nlp=nlp)
    for p in doc._.places:   # every mention points at its text
        assert p.mentions, p
        for m in p.mentions:
            assert doc.text[m.start:m.end] == m.text
    return doc


def places(nlp, text, **kw):
    return {p.name: p for p in run(nlp, text, **kw)._.places}


def surfaces(place):
    return [m.text for m in place.mentions]


# ---------------------------------------------------------------- short and old forms

def test_autonomous_short_forms_resolve_to_official_names(nlp):
    got = places(nlp, "近日,云南省妇联副主席赵群率调研组赴保山市隆阳区、施甸县,怒江州泸水市、贡山县、福贡县等地调研。")
    assert got["怒江傈僳族自治州"].adcode == "533300"
    assert surfaces(got["怒江傈僳族自治州"]) == ["怒江州"]
    assert got["贡山独龙族怒族自治县"].adcode == "533324"
    assert got["贡山独龙族怒族自治县"].path == ["云南省", "怒江傈僳族自治州", "贡山独龙族怒族自治县"]
    assert {"云南省", "保山市", "隆阳区", "施甸县", "泸水市", "福贡县"} <= set(got)


def test_short_forms_of_autonomous_county_prefecture_and_ethnic_township(nlp):
    got = places(nlp, "11月7日,新平县妇联与县文明办在桂山街道凤凰社区家长学校联合举办家庭教育知识讲座。")
    assert got["新平彝族傣族自治县"].adcode == "530427"
    assert got["桂山街道"].path[-2] == "新平彝族傣族自治县"
    assert got["凤凰社区"].level == "village"
    got = places(nlp, "在云南省楚雄州大姚县的乡村角落,大姚县数智妇联宛如一座桥梁。")
    assert got["楚雄彝族自治州"].adcode == "532300" and surfaces(got["楚雄彝族自治州"]) == ["楚雄州"]
    got = places(nlp, "调研组走访了福贡县匹河乡知子罗村的妇女儿童维权站。")
    assert got["匹河怒族乡"].level == "township" and surfaces(got["匹河怒族乡"]) == ["匹河乡"]
    assert got["匹河怒族乡"].adcode is None


def test_bare_short_form_counts_with_the_full_name_elsewhere(nlp):
    got = places(nlp, "贡山县祥燕种植有限公司负责人说:“我想更好地展示我们贡山文化。”")
    assert surfaces(got["贡山独龙族怒族自治县"]) == ["贡山县", "贡山"]


def test_bare_short_form_followed_by_an_organisation_word(nlp):
    got = places(nlp, "永善妇联:党建引领聚合合力 巾帼建功展风采")
    assert got["永善县"].adcode == "530625" and surfaces(got["永善县"]) == ["永善"]


def test_bare_short_form_of_a_parent_unit(nlp):
    got = places(nlp, "在西固区就业局以及兰州银行西固管理行的支持配合下,西固区妇女小额担保贷款帮助400名妇女创业。")
    assert got["兰州市"].adcode == "620100" and surfaces(got["兰州市"]) == ["兰州"]
    assert surfaces(got["西固区"]) == ["西固区", "西固", "西固区"]


def test_short_form_starting_a_longer_name_is_not_the_unit(nlp):
    got = places(nlp, "甘肃省天水市清水县妇联在永清镇开展“两癌”筛查。")
    assert "永清县" not in got and got["永清镇"].path[-2] == "清水县"
    got = places(nlp, "甘肃省兰州市城关区妇联联合皋兰路街道开展活动。")
    assert "皋兰县" not in got and got["皋兰路街道"].path[-2] == "城关区"


def test_bare_short_form_without_evidence_is_left_out(nlp):
    assert places(nlp, "海边的清水湾沙滩上,妇女们开展了环保志愿活动。") == {}
    assert places(nlp, "县妇联推动共同富裕,比如组织妇女参加合作社,建设平安家庭。") == {}


def test_bare_short_form_after_a_word_of_motion(nlp):
    got = places(nlp, "鼓楼区妇联组织妇女代表赴晋江参观学习,来自昭通的学员参加。")
    assert got["晋江市"].adcode == "350582" and got["昭通市"].adcode == "530600"
    assert places(nlp, "县妇联组织妇女弘扬延安精神,全县妇女安居乐业、幸福安康。") == {}


def test_province_short_form_counts_but_not_inside_a_quoted_name(nlp):
    got = places(nlp, "兴义市妇联成立巾帼创业帮扶中心,加盟贵州“黔灵女”家政服务公司。")
    assert got["贵州省"].adcode == "520000"
    got = places(nlp, "成都市妇联深入贯彻习近平新时代中国特色社会主义思想“四川篇”的指示精神。")
    assert set(got) == {"成都市"}


def test_renamed_units_get_todays_name_and_code(nlp):
    got = places(nlp, "奉化市妇联组织开展家庭教育讲座,襄樊市妇联派员参加。")
    assert got["奉化区"].adcode == "330213" and surfaces(got["奉化区"]) == ["奉化市"]
    assert got["襄阳市"].adcode == "420600" and surfaces(got["襄阳市"]) == ["襄樊市"]
    got = places(nlp, "2019年,新津县妇联在五津街道开展“三八”维权周活动。")
    assert got["新津区"].adcode == "510132" and surfaces(got["新津区"]) == ["新津县"]


# ---------------------------------------------------------------- repeated names

def test_repeated_township_is_resolved_by_the_county_written_before_it(nlp):
    got = places(nlp, "调研组与施甸县仁和镇小额贷款户杨光彩进行了交流。")
    assert got["仁和镇"].path == ["云南省", "保山市", "施甸县", "仁和镇"]
    assert got["仁和镇"].adcode is None


def test_repeated_township_without_context_keeps_no_path(nlp):
    got = places(nlp, "妇联干部到仁和镇走访困难妇女。")
    assert got["仁和镇"].path == [] and got["仁和镇"].adcode is None


def test_repeated_village_is_looked_up_in_the_counties_named(nlp):
    text = "永善县妇联组织宣讲。说起宣讲,溪洛渡街道双凤村村民张大姐依然记忆犹新。黄华镇黄葛社区妇联组织妇女自制口罩。"
    got = places(nlp, text)
    assert got["双凤村"].path[:3] == ["云南省", "昭通市", "永善县"]
    assert got["黄葛社区"].path == ["云南省", "昭通市", "永善县", "黄华镇", "黄葛社区"]
    # a street office newer than the gazetteer's 溪洛渡镇 is still found, inside 永善县
    assert got["溪洛渡街道"].path[:3] == ["云南省", "昭通市", "永善县"]


def test_repeated_district_name_without_context_has_no_code(nlp):
    got = places(nlp, "鼓楼区妇联组织妇女代表参观学习。")
    assert got["鼓楼区"].adcode is None
    got = places(nlp, "福州市鼓楼区妇联联合温泉街道开展活动。")
    assert got["鼓楼区"].adcode == "350102"


def test_repeated_names_resolve_each_other(nlp):
    got = places(nlp, "鼓楼区、仓山区、台江区妇联联合开展“最美家庭”评选。")
    assert got["鼓楼区"].adcode == "350102"
    got = places(nlp, "近日,县妇联在黄华镇、团结乡开展“两癌”筛查。")
    assert got["黄华镇"].path[2] == got["团结乡"].path[2] == "永善县"


def test_unlisted_community_after_its_township(nlp):
    got = places(nlp, "调研组走访了丙麻乡、茨开镇幸福社区、匹河乡知子罗村的妇女儿童维权站。贡山县妇联陪同。")
    assert got["幸福社区"].level == "village"
    assert got["幸福社区"].path[-2:] == ["茨开镇", "幸福社区"]


# ---------------------------------------------------------------- cutting names

def test_boundary_straddling_match_is_not_taken(nlp):
    got = places(nlp, "青海西宁市城东区妇联联合区民政局开展家庭教育讲座。")
    assert "海西蒙古族藏族自治州" not in got
    assert {"青海省", "西宁市", "城东区"} <= set(got)


def test_crossing_names_prefer_the_one_starting_a_word(nlp):
    got = places(nlp, "上海城市规划展示馆迎来了上海市妇联组织的参观团。")
    assert "海城市" not in got and set(got) == {"上海市"}


def test_city_mention_is_not_a_county_mention(nlp):
    got = places(nlp, "湖南省长沙市妇联开展“家家幸福安康”工程。")
    assert "长沙县" not in got and got["长沙市"].adcode == "430100"
    got = places(nlp, "湖南省长沙市长沙县妇联走进星沙街道开展宣讲。")
    assert got["长沙县"].adcode == "430121" and got["长沙市"].adcode == "430100"


def test_longest_name_wins_over_its_prefix(nlp):
    got = places(nlp, "内蒙古通辽市科尔沁左翼后旗妇联深入甘旗卡镇开展调研。")
    assert got["科尔沁左翼后旗"].adcode == "150522"
    assert "科尔沁区" not in got
    assert got["甘旗卡镇"].path[-2] == "科尔沁左翼后旗"


def test_substrings_of_longer_names_are_not_places(nlp):
    got = places(nlp, "调研组走进了茨开镇、匹河乡知子罗村,贡山县、福贡县妇联陪同。")
    names = set(got)
    assert "茨开镇" in names and "知子罗村" in names
    assert not any(n in ("开镇", "罗村") for n in names)
    assert all(m.text not in ("开镇", "罗村") for p in got.values() for m in p.mentions)


def test_two_character_name_is_not_cut_out_of_a_word(nlp):
    assert "任泽区" not in places(nlp, "他担任县委书记期间,大力推进美丽乡村建设。")


def test_common_community_names_need_their_township(nlp):
    text = "永善县妇联联合县民政局在城区建设幸福社区、和谐社区,打造五星社区。"
    assert set(places(nlp, text)) == {"永善县"}


def test_generic_phrases_with_unit_suffixes_are_not_places(nlp):
    text = "永善县妇联围绕乡村振兴,深入社区开展服务,建设美丽乡村和新农村,推进新型城镇化,全县10个乡镇、89个村(社区)建立妇联组织。"
    assert set(places(nlp, text)) == {"永善县"}


# ---------------------------------------------------------------- exclusions

def test_anonymised_units_are_not_places(nlp):
    doc = run(nlp, "x县妇联一班人勇于创新,先后荣获XX省实施“春蕾计划”优秀组织奖,X市妇联在我县召开现场会。")
    assert doc._.places == []
    assert doc._.main_region is None


def test_places_inside_organisation_names(nlp):
    got = places(nlp, "保山市妇联党组书记、主席朱光亮陪同调研,县妇联负责人参加。")
    assert set(got) == {"保山市"}
    assert places(nlp, "县妇联联合县人社局开展技能培训。") == {}


def test_foreign_and_non_administrative_places_are_not_places(nlp):
    got = places(nlp, "日本、美国的妇女代表在人民广场、中山公园参观,并到台北市交流。")
    assert got == {}


# ---------------------------------------------------------------- text forms and offsets

def test_traditional_text_after_conversion(nlp):
    text = to_simplified("寧波市婦聯主席在慈溪市逍林鎮水雲浦村走訪婦女群眾。")
    doc = run(nlp, text)
    got = {p.name: p for p in doc._.places}
    assert {"宁波市", "慈溪市", "逍林镇", "水云浦村"} <= set(got)
    assert got["水云浦村"].path == ["浙江省", "宁波市", "慈溪市", "逍林镇", "水云浦村"]


def test_mention_offsets_and_spans(nlp):
    text = "近日,云南省妇联深入保山市、怒江州调研。保山市妇联和怒江州妇联负责人陪同。"
    doc = run(nlp, text)
    got = {p.name: p for p in doc._.places}
    offsets = [(m.start, m.end) for m in got["怒江傈僳族自治州"].mentions]
    assert [text[a:b] for a, b in offsets] == ["怒江州", "怒江州"]
    spans = doc.spans["places"]
    assert len(spans) == sum(len(p.mentions) for p in doc._.places)
    assert {s.label_ for s in spans} == {"province", "city"}
    assert all(s.text in ("云南省", "保山市", "怒江州") for s in spans)


# ---------------------------------------------------------------- main region

def test_main_region_is_the_reporting_federation(nlp):
    doc = run(nlp, "党史学习教育开展以来,宁波市妇联聚焦“学党史、悟思想、办实事、开新局”,在慈溪市、北仑区开展走访。")
    assert doc._.main_region.name == "宁波市" and doc._.main_region.adcode == "330200"


def test_main_region_of_a_provincial_federation_visiting_counties(nlp):
    title = "云南省妇联深入保山市、怒江州调研“三访四察五送”工作"
    text = title + "\n近日,云南省妇联副主席率调研组赴保山市隆阳区、施甸县,怒江州泸水市、贡山县等地调研。保山市妇联、怒江州妇联负责人陪同。"
    doc = run(nlp, text, title=title)
    assert doc._.main_region.name == "云南省" and doc._.main_region.level == "province"


def test_main_region_of_a_township_report(nlp):
    text = ("永城市新桥镇注重培养选拔妇女干部,圆满完成了18个村的妇联组织换届。该镇大胆创新培训机制,"
            "镇妇联主席积极协调资金,镇妇联借助培训基地举办培训班。")
    doc = run(nlp, text)
    assert doc._.main_region.name == "新桥镇"
    assert doc._.main_region.adcode is None and doc._.main_region.level == "township"


def test_main_region_skips_a_visiting_delegation(nlp):
    text = ("3月25日,无锡市妇联副主席陈锡云一行来我市考察调研巾帼家政服务工作。市妇联主席全程陪同,"
            "介绍了溧阳市妇联在促进溧阳家庭服务行业发展中的探索。")
    assert run(nlp, text)._.main_region.name == "溧阳市"


def test_main_region_from_a_short_form_in_the_title(nlp):
    title = "兴义妇联念好“四字诀” 做实妇女儿童工作"
    doc = run(nlp, title + "\n兴义市妇联认真履行引领、服务、联系三项职责。", title=title)
    assert doc._.main_region.name == "兴义市" and doc._.main_region.adcode == "522301"


def test_main_region_is_the_unit_right_before_the_federation(nlp):
    doc = run(nlp, "近日,湖南省长沙市长沙县妇联组织开展主题宣讲活动。")
    assert doc._.main_region.name == "长沙县"


def test_main_region_from_the_source_organisation(nlp):
    doc = run(nlp, "市妇联开展12338妇女热线接听日活动,市妇联主席在线答疑。", organisation="河源市妇联")
    assert doc._.main_region.name == "河源市"


def test_main_region_unknowable_when_the_own_federation_is_not_named(nlp):
    doc = run(nlp, "县妇联在昆明举办培训班,来自昭通的学员参加。县妇联主席作动员讲话。")
    assert {p.name for p in doc._.places} == {"昆明市", "昭通市"}
    assert doc._.main_region is None


def test_main_region_is_the_county_above_the_townships_named(nlp):
    doc = run(nlp, "近日,县妇联联合县卫健局在黄华镇黄葛社区、团结乡开展“两癌”筛查。县妇联主席参加活动。")
    assert doc._.main_region.name == "永善县" and doc._.main_region.adcode == "530625"


def test_main_region_of_an_unresolved_township_federation(nlp):
    doc = run(nlp, "5月15日,城关镇妇联联合镇派出所开展宣传活动。(供稿:城关镇妇联)")
    assert doc._.main_region.name == "城关镇" and doc._.main_region.adcode is None


def test_place_near_gives_the_finest_place_of_the_sentence(nlp):
    text = "永善县妇联组织宣讲。黄华镇黄葛社区妇联组织妇女自制“土味口罩”。"
    doc = run(nlp, text)
    assert place_near(doc, text.index("土味口罩")).name == "黄葛社区"
    assert place_near(doc, text.index("宣讲")).name == "永善县"


def test_a_word_introducing_an_example_is_not_part_of_an_unlisted_name(nlp):
    # 招商街道 (深圳市南山区) is not in the gazetteer; "如" introduces the example
    text = "南山区妇联各妇女组织广泛开展志愿者活动,如招商街道巾帼志愿者成为志愿服务主力,蛇口街道开展了活动。"
    found = places(nlp, text)
    assert "招商街道" in found and "如招商街道" not in found


@pytest.mark.parametrize("text,wrong", [
    ("一、领导重视,落实责任街道党工委、办事处高度重视妇女儿童工作。洪塘街道妇联开展工作。", "落实责任街道"),
    ("加强街道、社区(村)妇联组织建设,新开铺街道桥头社区书记获评先进个人。", "加强街道"),
    ("调研组察看九峰村妇女之家,鼓励大家参与美化家园、创建文明乡村,为广大农村妇女树立榜样。", "创建文明乡村"),
    ("调研组察看九峰村妇女之家,鼓励大家参与美化家园、创建文明乡村,为广大农村妇女树立榜样。", "广大农村"),
])
def test_common_words_before_a_suffix_are_not_unlisted_units(nlp, text, wrong):
    assert wrong not in places(nlp, text)


def test_spans_are_widened_to_tokens_like_char_span():
    """doc.spans of the extractors cover the tokens a character span touches, as spaCy's
    char_span(alignment_mode="expand") would, by bisection over token starts."""
    from extractors.spans import set_spans
    from pipeline.nlp import load
    doc = load()("宁波市妇联实施甬尚姐妹四必访,慰问困难妇女2.6万余名。")
    n = len(doc.text)
    offsets = [(a, b, "x") for a in range(n) for b in range(a + 1, min(n, a + 6) + 1)] + [(3, 3, "empty"), (-1, 2, "out"), (n - 1, n + 2, "out")]
    set_spans(doc, "test", offsets)
    want = [doc.char_span(a, b, label=label, alignment_mode="expand") for a, b, label in offsets if 0 <= a < b <= n]
    assert [(s.start, s.end, s.label_) for s in doc.spans["test"]] == [(s.start, s.end, s.label_) for s in want]
    assert len(want) == len(offsets) - 3
