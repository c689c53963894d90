"""Programme extractor: real sentences of federation reports, one rule or exclusion each.

Places and the main region are set by hand (the places component is not under test here),
so region attribution is tested against the contract of `doc._.places`/`doc._.main_region`.
"""
from __future__ import annotations

import re

import pytest

from extractors.programmes import extract_programmes, fed_programmes, programme_key
from pipeline.nlp import build
from schemas import Mention, Place, RegionRef

ZHEJIANG = "浙江省"
NINGBO = ["浙江省", "宁波市"]


@pytest.fixture(scope="module")
def nlp():
    return build(["fed_sentences"])


def place(name, level, path, text, surfaces=None):
    """A Place with a mention at every occurrence of its surface forms in `text`."""
    mentions = []
    for surface in surfaces or [name]:
        for m in re.finditer(re.escape(surface), text):
            mentions.append(Mention(text=surface, start=m.start(), end=m.end()))
    return Place(name=name, level=level, path=path, adcode=None, mentions=mentions)


def ref(p: Place) -> RegionRef:
    return RegionRef(name=p.name, adcode=p.adcode, level=p.level, path=p.path)


def run(nlp, text, places=(), main=None):
    doc = nlp(text)
    doc._.places = list(places)
    doc._.main_region = main
    return fed_programmes(doc)


def names(doc):
    return [p.name for p in doc._.programmes]


def by_name(doc, name):
    hits = [p for p in doc._.programmes if p.name == name or name in p.aliases]
    assert hits, f"{name} not in {names(doc)}"
    return hits[0]


# ---------------------------------------------------------------- names

def test_quoted_name_takes_the_suffix_noun_after_the_quote(nlp):
    doc = run(nlp, "余姚市妇联实施“姚江巧姐”行动,以技能赋能为主题开展各项培训。")
    assert names(doc) == ["姚江巧姐行动"]
    p = doc._.programmes[0]
    assert p.key == "姚江巧姐"
    assert "姚江巧姐" in p.aliases


def test_descriptive_ending_after_quote_is_kept_with_the_name(nlp):
    doc = run(nlp, "贡山县祥燕种植有限公司是怒江州“巧媳妇”工程巾帼创业就业示范基地。该中心依托“亮山情”未成年人工作室挂牌成立。")
    assert "巧媳妇工程" in names(doc)
    assert "亮山情未成年人工作室" in names(doc)


def test_plain_quoted_names(nlp):
    doc = run(nlp, "组织妇女群众参加“律师妈妈团”维权宣传,设置一个或多个“姐妹驿站”。")
    assert names(doc) == ["律师妈妈团", "姐妹驿站"]


def test_other_quote_marks(nlp):
    doc = run(nlp, '在每个村设置「姐妹驿站」,创新了"婚姻家庭纠纷云调解"项目。')
    assert "姐妹驿站" in names(doc)
    assert any(n.startswith("婚姻家庭纠纷云调解") for n in names(doc))


def test_unquoted_names_ending_in_a_programme_noun(nlp):
    doc = run(nlp, "在乡风文明创建中,镇妇联实施了敬老尚俭工程。我们深化五好文明家庭创立活动,"
                   "在全市率先成立了12023家庭暴力投诉中心,并推行星期一领导接待日制度。")
    got = names(doc)
    assert "敬老尚俭工程" in got
    assert "五好文明家庭创立活动" in got
    assert "12023家庭暴力投诉中心" in got
    assert any(n.startswith("星期一领导接待日") for n in got)


def test_unquoted_name_stops_at_the_organisation_and_its_officer(nlp):
    doc = run(nlp, "居民金妈妈走进区妇联兼职副主席罗红媛执委工作室,反映情况。北仑区春晓街道妇联以市妇联执委顾静芬工作室为依托开展服务。")
    got = names(doc)
    assert "罗红媛执委工作室" in got
    assert any(n.endswith("顾静芬工作室") and "妇联" not in n for n in got)


def test_campaign_with_generic_words_is_still_a_campaign(nlp):
    doc = run(nlp, "配合乡村文明行动,结合美丽乡村建设的要求,实施巾帼健康行动。")
    assert "乡村文明行动" in names(doc)
    assert "巾帼健康行动" in names(doc)


def test_name_in_apposition_after_a_dash(nlp):
    doc = run(nlp, "江北区妇联打造了全省首个区域性国际女性成长交流服务平台——宁波国际妇女之家,为中外女性提供服务。")
    assert names(doc) == ["宁波国际妇女之家"]


def test_national_programme_named_without_quotes(nlp):
    doc = run(nlp, "2012年妇女小额担保贷款已帮助全区400名农村妇女进行了自主创业。")
    assert names(doc) == ["妇女小额担保贷款"]


def test_multi_part_quote_is_a_programme_only_with_an_activity_noun(nlp):
    doc = run(nlp, "县妇联先后举办“做靓丽女人,展巾帼风采”时装秀活动。按照“因地制宜,整合资源,抓点示范,打造品牌”的工作要求推进建设。")
    assert names(doc) == ["做靓丽女人,展巾帼风采"]


def test_theme_of_an_activity_names_it(nlp):
    doc = run(nlp, "开展了“共建美丽庭院、乐享幸福生活”为主题的美丽庭院评选活动。")
    assert names(doc) == ["共建美丽庭院、乐享幸福生活"]
    assert "美丽庭院评选活动" in doc._.programmes[0].aliases


def test_shared_ending_of_two_quotes(nlp):
    doc = run(nlp, "胶州市妇联组织开展了寻找“最美家庭”和“最美伴侣”评选活动。")
    assert set(names(doc)) >= {"最美伴侣"}
    assert any("最美家庭" in n for n in names(doc))


def test_unclosed_quote_before_a_count(nlp):
    doc = run(nlp, "创建市级巾帼现代农业科技示范基地2个、“巧媳妇创业基地3个。该镇妇联充分发挥“娘家人”作用。")
    assert names(doc) == ["巧媳妇创业基地"]


# ---------------------------------------------------------------- variants and keys

def test_variants_in_one_document_are_one_programme(nlp):
    text = ("宁波市妇联深入开展“甬尚姐妹四必访”工作。每次到“四必访”家庭走访,干部都做好记录,"
            "在联系中深化落实“四必访”制度。“甬尚姐妹四必访”制度发源于慈溪市。")
    doc = run(nlp, text)
    assert names(doc) == ["甬尚姐妹四必访"]
    p = doc._.programmes[0]
    assert "四必访" in p.aliases
    assert len(p.mentions) == 4


def test_key_is_shared_across_forms_and_scripts():
    keys = {programme_key(n) for n in ["三访四察五送", "三访四察五送活动", "“三访四察五送”工作", "「三访四察五送」"]}
    assert keys == {"三访四察五送"}
    assert programme_key("婦女之家") == programme_key("妇女之家") == "妇女之家"
    assert programme_key("兴义市巾帼创业帮扶中心") == programme_key("巾帼创业帮扶中心")


def test_compound_brand_joined_by_a_separator_stays_apart(nlp):
    doc = run(nlp, "实施“巾帼云创·蓉城巾帼学院”项目,线上建设“巾帼云创”综合服务平台,推动“巾帼云创”上线京东商城。")
    got = names(doc)
    assert len(got) == 2
    assert any(n.startswith("巾帼云创·蓉城巾帼学院") for n in got)
    assert any(n.startswith("巾帼云创") and "学院" not in n for n in got)


# ---------------------------------------------------------------- exclusions

@pytest.mark.parametrize("text", [
    "作为女企业家的“娘家人”,各级妇联要继续保持联系。",
    "发动女企业家捐款捐物,贡献“半边天”力量。",
    "发挥妇联组织“催化剂”的作用,发挥“联”字优势。",
    "让家庭成为孩子健康成长的“港湾”,成为奔跑向前的“加油站”。",
    "宁波市妇联聚焦“学党史、悟思想、办实事、开新局”,建立闭环服务体系。",
    "让走访联系从“单行道”优化为“双行道”。",
    "全省巾帼志愿服务活动实现了从“偶尔有”到“天天见”。",
    "把妇女群众“联起来”,让她们感受到“妇联组织就在身边”。",
    "利用“三八”国际妇女节和“六一”国际儿童节等节点开展活动。",
    "“今年西瓜产量怎么样?”“在申请贷款时有没有遇到什么困难?”调研组与农户进行了交流。",
    "打响“她”品牌以外,还构建“她”阵地,写好“凝”字文。",
    "由300多人次妇女骨干参加“十六大”知识考试2次。",
    "区妇联党支部建立“不忘初心、牢记使命”主题教育长效机制。",
])
def test_emphasis_slogans_and_speech_are_not_programmes(nlp, text):
    assert names(run(nlp, text)) == []


@pytest.mark.parametrize("text", [
    "先后在《中国妇女报》、《昭通日报》等刊发宣传稿件80余篇。",
    "该项工作已被列入全国妇联《“十四五”时期深化妇联系统改革方案》推广的19个基层经验做法。",
    "市妇联发布《关于开展家庭走访工作的实施意见》,要求全市妇联干部联系群众。",
    "陈丽宇以《陪伴是最好的爱》为题,与学生家长互动交流。",
    "参加讲座的人员还学习了《新平县村(社区)家长学校管理办法》。",
])
def test_titles_of_documents_newspapers_and_talks_are_not_programmes(nlp, text):
    assert names(run(nlp, text)) == []


@pytest.mark.parametrize("text", [
    "县妇联开展技能培训和走访慰问,完善社区服务中心建设,建立矛盾纠纷化解机制。",
    "今年,麦积区及时划拨担保基金100万元。",
    "全省巾帼志愿服务队19332支,形成了一系列特色品牌。",
    "实施蓉城女性创新创业三大行动,推动活动深入开展。",
    "与中国科学院大学教育基金深度合作。",
    "探索创新经营模式,为妇女们提供政策、生产、技术的支持。",
    "新开铺街道工委书记等优秀女性、区疾控中心等3个单位荣获市级表彰。",
    "经过初评、筛选、复评等程序,共有7个签约项目、15个公益项目入选。",
])
def test_generic_phrases_counts_and_organisations_are_not_programmes(nlp, text):
    assert names(run(nlp, text)) == []


def test_honours_are_not_programmes(nlp):
    doc = run(nlp, "永善县妇联被全国妇联评为“第十二届全国家庭工作先进集体”。"
                   "积极开展寻找“最美家庭”活动,获评全国“最美家庭”3户、省级“最美家庭”6户。")
    assert names(doc) == ["最美家庭"]
    # the programme's mentions are the activity, not the titles received
    assert len(doc._.programmes[0].mentions) == 1


# ---------------------------------------------------------------- regions

def test_region_is_the_finest_unit_that_runs_it(nlp):
    text = ("全市各级妇联组织积极发挥“姐妹驿站”妇女微家等品牌阵地作用。比如慈溪市妇联依托区域化党建的组织体系,"
            "因地制宜设置一个或多个“姐妹驿站”。目前,慈溪市273个行政村设置“姐妹驿站”2015个。")
    ningbo = place("宁波市", "city", NINGBO, text)
    cixi = place("慈溪市", "county", NINGBO + ["慈溪市"], text)
    doc = run(nlp, text, [ningbo, cixi], ref(ningbo))
    assert by_name(doc, "姐妹驿站").region.name == "慈溪市"


def test_region_from_the_acting_organisation_of_the_sentence(nlp):
    text = "北仑区春晓街道妇联以市妇联执委顾静芬工作室为依托,发起成立慈善专项基金——“老妇女主任帮帮团”。"
    ningbo = Place(name="宁波市", level="city", path=NINGBO, adcode="330200")
    beilun = place("北仑区", "county", NINGBO + ["北仑区"], text)
    chunxiao = place("春晓街道", "township", NINGBO + ["北仑区", "春晓街道"], text)
    doc = run(nlp, text, [beilun, chunxiao], ref(ningbo))
    assert by_name(doc, "老妇女主任帮帮团").region.name == "春晓街道"
    assert [p.name for p in doc._.programmes if "工作室" in p.name][0].endswith("顾静芬工作室")
    assert all(p.region.name == "春晓街道" for p in doc._.programmes)


def test_region_from_the_place_where_it_is_built(nlp):
    text = "鄞州区妇联在钟公庙街道宁广社区探索建立“四必访”智联管理平台。"
    path = NINGBO + ["鄞州区"]
    places = [place("鄞州区", "county", path, text), place("钟公庙街道", "township", path + ["钟公庙街道"], text),
              place("宁广社区", "village", path + ["钟公庙街道", "宁广社区"], text)]
    doc = run(nlp, text, places, RegionRef(name="宁波市", level="city", path=NINGBO))
    assert doc._.programmes[0].region.name == "宁广社区"


def test_region_written_right_before_the_name(nlp):
    text = "调研组走访的公司是怒江州“巧媳妇”工程巾帼创业就业示范基地。"
    nujiang = place("怒江傈僳族自治州", "city", ["云南省", "怒江傈僳族自治州"], text, ["怒江州"])
    yunnan = RegionRef(name="云南省", level="province", path=["云南省"])
    doc = run(nlp, text, [nujiang], yunnan)
    assert doc._.programmes[0].region.name == "怒江傈僳族自治州"


def test_region_of_an_anaphor_and_of_a_bare_level(nlp):
    text = ("象山县妇联整合女能手的创业产品,创建“吉象·芳华”品牌。同时,该县妇联积极挖掘发展品牌,目前已培养出“晓橘嫂”等3个品牌。"
            "海曙区望春街道广泽社区居民金妈妈走进区妇联兼职副主席罗红媛执委工作室。")
    path = NINGBO + ["海曙区"]
    places = [place("象山县", "county", NINGBO + ["象山县"], text), place("海曙区", "county", path, text),
              place("望春街道", "township", path + ["望春街道"], text),
              place("广泽社区", "village", path + ["望春街道", "广泽社区"], text)]
    doc = run(nlp, text, places, RegionRef(name="宁波市", level="city", path=NINGBO))
    assert by_name(doc, "晓橘嫂").region.name == "象山县"          # 该县妇联 -> the last 县 named
    assert by_name(doc, "罗红媛执委工作室").region.name == "海曙区"  # 区妇联 -> the 区, not the resident's 社区


def test_region_falls_back_to_the_main_region(nlp):
    text = "为构建长效机制,市妇联还探索创新“亮明身份访、作出承诺访、倾听诉求访”五步工作法。"
    main = RegionRef(name="宁波市", adcode="330200", level="city", path=NINGBO)
    doc = run(nlp, text, [], main)
    assert doc._.programmes[0].region == main


def test_no_region_without_places_or_main_region(nlp):
    doc = run(nlp, "深入实施“巾帼小老板”行动。")
    assert names(doc) == ["巾帼小老板行动"]
    assert doc._.programmes[0].region is None


# ---------------------------------------------------------------- offsets and spans

def test_mention_offsets_index_the_text_and_spans_are_set(nlp):
    text = ("余姚市妇联实施“姚江巧姐”行动,成立“姚江巧姐”工作室。永善县妇联大力实施“家家幸福安康”工程,"
            "组建“金江巾帼宣讲队”,依托“金江课堂”深入乡村,实施巾帼关爱行动。")
    doc = run(nlp, text)
    assert doc._.programmes
    for p in doc._.programmes:
        for m in p.mentions:
            assert doc.text[m.start:m.end] == m.text
            assert re.sub("[“”]", "", m.text) in {p.name, *p.aliases} or p.name in re.sub("[“”]", "", m.text)
    spans = doc.spans["programmes"]
    assert len(spans) == sum(len(p.mentions) for p in doc._.programmes)
    assert {s.label_ for s in spans} == {p.key for p in doc._.programmes}


def test_component_runs_in_the_pipeline():
    nlp = build(["fed_sentences", "fed_places", "fed_main_region", "fed_programmes"])
    doc = nlp("余姚市妇联实施“姚江巧姐”行动。")
    assert [p.name for p in doc._.programmes] == ["姚江巧姐行动"]


def test_empty_and_plain_text(nlp):
    assert extract_programmes(nlp("")) == []
    assert extract_programmes(nlp("今天天气很好。")) == []
