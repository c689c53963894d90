"""Outcome extractor: honours, promotion, media and result sentences of federation reports."""
from __future__ import annotations

import pytest

from extractors.outcomes import extract_outcomes, fed_outcomes, find_honours
from pipeline.nlp import build
from schemas import Count


@pytest.fixture(scope="module")
def nlp():
    return build(["fed_sentences"])


def honours(text):
    return [h.name for h in find_honours(text)]


def run(nlp, text, counts=None):
    doc = nlp(text)
    doc._.counts = counts
    return fed_outcomes(doc)


def of_type(doc, kind):
    return [o for o in doc._.outcomes if o.type == kind]


# ---------------------------------------------------------------- honours

def test_title_after_bei_ping_wei_with_the_awarding_body():
    items = find_honours("永善县妇联被全国妇联评为“第十二届全国家庭工作先进集体”,被昭通市委、市政府评为“平安创建先进单位”。")
    assert [(h.name, h.by) for h in items] == [("第十二届全国家庭工作先进集体", "全国妇联"),
                                                ("平安创建先进单位", "昭通市委、市政府")]


def test_level_prefix_belongs_to_each_title():
    text = "积极开展寻找“最美家庭”活动,获评全国“最美家庭”3户、省级“最美家庭”6户、市级“最美家庭”57户,县级“平安家庭示范点”60户。"
    assert honours(text) == ["全国最美家庭", "省级最美家庭", "市级最美家庭", "县级平安家庭示范点"]


def test_list_shares_level_and_stem_of_the_item_before():
    text = ("推荐相关单位和个人获评全国巾帼文明岗1个、全国巾帼建功先进集体1个;省级三八红旗集体1个、省级三八红旗手1名、"
            "巾帼建功标兵1名;全省妇联系统先进集体1个、先进个人1名;市级巾帼系列先进个人18名。")
    assert honours(text) == ["全国巾帼文明岗", "全国巾帼建功先进集体", "省级三八红旗集体", "省级三八红旗手",
                             "省级巾帼建功标兵", "全省妇联系统先进集体", "全省妇联系统先进个人", "市级巾帼系列先进个人"]


def test_quoted_list_inside_one_quote_is_split():
    text = "评选“好媳妇、好儿女、好婆婆”“卫生示范户”等家庭1300余户。"
    assert honours(text) == ["好媳妇", "好儿女", "好婆婆", "卫生示范户"]


def test_list_of_honours_ending_in_a_total():
    text = "先后荣获全国“三八”红旗集体、XX省实施“十五”妇女儿童开展规划先进集体、XX省实施“春蕾方案”优秀组织奖等市级以上荣誉16项。"
    assert honours(text) == ["全国三八红旗集体", "XX省实施十五妇女儿童开展规划先进集体", "XX省实施春蕾方案优秀组织奖"]


def test_enumeration_joined_by_deng_is_one_title():
    text = "县妇联先后多次被评为省妇联系统宣传工作先进单位,先后获得市妇联系统儿少、宣传、维权、办公室等工作先进集体荣誉。"
    assert honours(text) == ["省妇联系统宣传工作先进单位", "市妇联系统儿少、宣传、维权、办公室等工作先进集体"]


def test_person_after_the_title_is_not_part_of_it():
    text = "涌现出全国“巾帼建功”标兵孙秀芳、省“巾帼建功”标兵申承秀、省再就业明星贲友兰等一大批先进典型。"
    assert honours(text) == ["全国巾帼建功标兵", "省巾帼建功标兵", "省再就业明星"]


def test_designations_received_by_units():
    text = "创建市级巾帼现代农业科技示范基地2个、“巧媳妇创业基地3个。创省级“智慧锦绣文化传承基地”“巧手脱贫示范基地”“巾帼就业车间”7个。"
    assert honours(text) == ["市级巾帼现代农业科技示范基地", "省级智慧锦绣文化传承基地", "省级巧手脱贫示范基地", "省级巾帼就业车间"]


def test_selection_and_places_as_prefix():
    text = "共推选出胶州市最美家庭70户,3户获评青岛市十大最美家庭,1户获全国五好文明家庭,12对夫妇获评“最美伴侣”。"
    assert honours(text) == ["胶州市最美家庭", "青岛市十大最美家庭", "全国五好文明家庭", "最美伴侣"]


def test_models_chosen_and_held_up():
    text = "常态化开展寻找“最美家庭”活动,培育选树各级“最美家庭”162户、“优秀书香家庭”44户。"
    assert honours(text) == ["最美家庭", "优秀书香家庭"]


def test_year_before_a_title_stays():
    assert honours("切实保护妇女儿童权益,获评2020年度全国巾帼文明岗。") == ["2020年度全国巾帼文明岗"]


@pytest.mark.parametrize("text", [
    "组织动员家庭参与亲子阅读活动,109个家庭获市级表彰。",
    "累计培训5000余人次,800余名妇女获得国家人社部门职业技能证书。",
    "在各类表彰活动中,受表彰妇女达到100多人次。",
    "积极开展“巾帼建功”命名评选活动。",
    "以“五美”和“五好”为标准,开展评比。",
])
def test_rewards_without_a_title_are_not_honours(text):
    assert honours(text) == []


def test_a_list_of_titles_ends_with_its_clause():
    text = "选送最佳厨艺家庭参加区级大赛,获得一等奖;开展“书香家庭”评选活动,有2户教师之家入榜区“书香家庭”。"
    assert honours(text) == ["一等奖"]


def test_award_words_inside_a_quoted_title_are_part_of_it():
    assert honours("祖庙街道白燕社区被评为“全国创建学习型家庭示范社区”。") == ["全国创建学习型家庭示范社区"]


def test_praise_is_not_a_title():
    assert honours("这是迄今为止我市妇联获得的最高荣誉。") == []


def test_recipients_listed_after_a_title_are_not_titles():
    text = "我市16人获评福建省三八红旗手,邵武市通泰街道严羽社区、武夷山市妇联等11个集体获评福建省三八红旗集体。"
    assert honours(text) == ["福建省三八红旗手", "福建省三八红旗集体"]


def test_honour_outcomes_are_unique_with_offsets(nlp):
    text = "获评全国“最美家庭”3户。另有1户获评全国“最美家庭”。"
    doc = run(nlp, text)
    hs = of_type(doc, "honour")
    assert [h.name for h in hs] == ["全国最美家庭"]
    h = hs[0]
    assert doc.text[h.start:h.end] == h.text == "全国“最美家庭"
    assert h.text in h.sentence


# ---------------------------------------------------------------- promotion and media

def test_promotion_by_a_higher_level(nlp):
    text = ("该项工作已被列入全国妇联《“十四五”时期深化妇联系统改革方案》推广的19个基层经验做法。"
            "2019年,省妇联主席到水云浦村调研时高度评价该制度并要求在全省妇联推广。"
            "XX市妇联在我县召开了签订家庭赡养协议现场推进会,推广了我们的做法。")
    doc = run(nlp, text)
    promos = of_type(doc, "promotion")
    assert [p.by for p in promos] == ["全国妇联", "省妇联", "XX市妇联"]
    assert promos[2].text == "在我县召开了签订家庭赡养协议现场推进会,推广了我们的做法"
    for p in promos:
        assert doc.text[p.start:p.end] == p.text


def test_media_coverage_names_the_outlets(nlp):
    text = ("黄葛社区妇联组织妇女自制“土味口罩”防控疫情,被《中国妇女报》专题宣传报道。"
            "签订率达96.8%,中国老年报、南通日报均在头版头条做了专题报道。")
    doc = run(nlp, text)
    media = of_type(doc, "media")
    assert [m.by for m in media] == ["中国妇女报", "中国老年报、南通日报"]
    assert media[0].text == "被《中国妇女报》专题宣传报道"
    assert media[1].text.endswith("专题报道")


def test_report_without_an_outlet_is_not_media(nlp):
    doc = run(nlp, "会议听取了各地的工作报道和经验介绍。")
    assert of_type(doc, "media") == []


# ---------------------------------------------------------------- results

def test_quantified_results_from_counts(nlp):
    text = "目前全县有138316户农村家庭签订赡养协议,签订率达96.8%。今年以来,全市各级妇联干部已走访各类妇女家庭22.04万户(次)。"
    doc = nlp(text)
    a = text.index("96.8%")
    b = text.index("22.04万户(次)")
    doc._.counts = [Count(text="96.8%", value=96.8, unit="%", start=a, end=a + 5, sentence=""),
                    Count(text="22.04万户(次)", value=220400, unit="户次", start=b, end=b + 9, sentence="")]
    fed_outcomes(doc)
    results = [o.text for o in of_type(doc, "result")]
    assert "签订率达96.8%" in results
    assert any(r.endswith("22.04万户(次)") and "走访" in r for r in results)


def test_quantified_results_without_the_count_component(nlp):
    doc = run(nlp, "帮助481名妇女争取创业贷款5666万元。")
    assert [o.text for o in of_type(doc, "result")] == ["帮助481名妇女争取创业贷款5666万元"]


# ---------------------------------------------------------------- component

def test_spans_and_sort_order(nlp):
    text = "被全国妇联评为“全国三八红旗集体”,相关做法被《中国妇女报》刊登报道,累计培训妇女5000余人次。"
    doc = run(nlp, text)
    assert [o.type for o in doc._.outcomes] == ["honour", "media", "result"]
    assert [(s.start_char <= o.start and o.end <= s.end_char) for s, o in zip(doc.spans["outcomes"], doc._.outcomes)]
    assert [s.label_ for s in doc.spans["outcomes"]] == ["honour", "media", "result"]


def test_empty_text(nlp):
    assert extract_outcomes(nlp("")) == []
