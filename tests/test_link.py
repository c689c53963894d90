"""Linking extractions into practices, on articles built from real report sentences.

The fixture articles (`yongshan`, `yunnan`, `ningbo`, `xcounty`, `unrelated`) are made here
from sentences of the sample corpus, with places, programmes, counts and outcomes placed at
their true offsets, as the extractors would write them; the other practice-table tests
(store, query, digest, serve) build their databases from the same articles.
"""
from __future__ import annotations

import pytest

from pipeline.link import (activity_phrase, classify_themes, find_organisations, link_practices, practice_year,
                           programme_key, taxonomy)
from schemas import Article, Count, Mention, Outcome, Place, Programme, RegionRef

# ---------------------------------------------------------------- builders


def _spans(text: str, form: str) -> list[tuple[int, int]]:
    out, i = [], text.find(form)
    while i >= 0:
        out.append((i, i + len(form)))
        i = text.find(form, i + 1)
    assert out, f"{form!r} not in the fixture text"
    return out


def _sentence(text: str, start: int) -> str:
    from extractors.sentences import split_sentences
    return next(text[a:b] for a, b in split_sentences(text) if a <= start < b)


def place(text: str, name: str, level: str, adcode, path: list[str], *forms: str) -> Place:
    mentions = sorted({(a, b, f) for f in (forms or (name,)) for a, b in _spans(text, f)})
    return Place(name=name, level=level, adcode=adcode, path=path,
                 mentions=[Mention(text=f, start=a, end=b) for a, b, f in mentions])


def ref(p: Place) -> RegionRef:
    return RegionRef(name=p.name, adcode=p.adcode, level=p.level, path=p.path)


def programme(text: str, name: str, region: Place | None, *forms: str, key: str | None = None) -> Programme:
    mentions = sorted({(a, b, f) for f in (forms or (name,)) for a, b in _spans(text, f)})
    return Programme(name=name, key=key if key is not None else programme_key(name),
                     aliases=[f for f in forms if f != name], region=ref(region) if region else None,
                     mentions=[Mention(text=f, start=a, end=b) for a, b, f in mentions])


def count(text: str, form: str, value: float, unit: str, obj=None, action=None, approx=False, nth=0) -> Count:
    a, b = _spans(text, form)[nth]
    return Count(text=form, value=value, unit=unit, approx=approx, object=obj, action=action, start=a, end=b,
                 sentence=_sentence(text, a))


def outcome(text: str, type_: str, form: str, name=None, by=None) -> Outcome:
    a, b = _spans(text, form)[0]
    return Outcome(type=type_, name=name, text=form, by=by, start=a, end=b, sentence=_sentence(text, a))


def article(doc_id: str, source: str, text: str, relevant=True, title=None, published=None, **fields) -> Article:
    a = Article(doc_id=doc_id, source=source, article=0, relevant=relevant, title=title, published=published,
                text=text, **fields)
    a.practices = link_practices(a)
    return a


# ---------------------------------------------------------------- fixture articles (real sentences)

YONGSHAN_TEXT = (
    "永善妇联:党建引领聚合合力 巾帼建功展风采\n"
    "近年来,永善县妇联围绕中心、服务大局,以妇联系统开展“三访四察五送”活动为契机,充分发挥“引领、服务、联系”的职能作用,"
    "在开展创业就业、脱贫攻坚、整治环境、疫情防控等重点工作中,广泛组织动员广大妇女干部和群众发挥“半边天”作用,"
    "让巾帼之花在永善大地竞相绽放。\n"
    "助力巾帼创业\n"
    "帮助481名妇女争取创业贷款5666万元,创建省级创业创新示范基地2个,省级“巾帼脱贫示范基地”3个,市级“巾帼示范基地”2个。\n"
    "关爱女性健康,实施巾帼健康行动。永善县妇联联合县卫计局开展健康知识公益讲座,并在每年三八妇女节开设妇女体检优惠项目,"
    "帮助妇女提高健康意识;积极争取国家、省级农村贫困“两癌”救助项目支持,从2014年起共帮助90名农村妇女获得国家和省级"
    "“两癌”救助金73万余元。\n")


def yongshan() -> Article:
    t = YONGSHAN_TEXT
    yunnan_p = Place(name="云南省", level="province", adcode="530000", path=["云南省"])
    zhaotong = Place(name="昭通市", level="city", adcode="530600", path=["云南省", "昭通市"])
    ys = place(t, "永善县", "county", "530625", ["云南省", "昭通市", "永善县"], "永善县", "永善")
    return article(
        "ys-0", "corpus/002_511957d7e6d4a40f.txt", t, title="永善妇联:党建引领聚合合力 巾帼建功展风采",
        published="2023-03-08", main_region=ref(ys), places=[ys, zhaotong, yunnan_p],
        programmes=[programme(t, "三访四察五送", ys, "三访四察五送"),
                    programme(t, "巾帼健康行动", ys),
                    programme(t, "妇女体检优惠项目", ys),
                    programme(t, "两癌救助项目", ys, "两癌")],
        counts=[count(t, "481名", 481, "名", "妇女", "帮助"), count(t, "5666万元", 56660000, "元", "创业贷款", "争取"),
                count(t, "2个", 2, "个", "省级创业创新示范基地", "创建"),
                count(t, "90名", 90, "名", "农村妇女", "帮助"),
                count(t, "73万余元", 730000, "元", "救助金", "获得", approx=True)],
        outcomes=[outcome(t, "result", "帮助481名妇女争取创业贷款5666万元")])


YUNNAN_TEXT = (
    "云南省妇联深入保山市、怒江州调研“三访四察五送”工作\n"
    "访企业,出实策\n"
    "2019年,杨光彩申请了妇联的“贷免扶补”无息贷款15万元,建成了“梅花鹿养殖场”,先后带动了多户人家共同致富,"
    "提高了周边赋闲在家的妇女劳动收入。\n"
    "进社区、访家庭,察妇情\n"
    "为深入了解妇联基层组织建设情况和当地妇女儿童及家庭的基础情况,调研组走进了姚关镇姚关社区、茨开镇幸福社区、"
    "石月亮乡依路底社区、泽福社区、匹河乡知子罗易地扶贫搬迁安置点,慰问了12户留守儿童、孤儿、精神障碍患者、残疾人、"
    "独居留守老年妇女和低收入家庭,了解她们的困难和需求,了解相关政策的落实情况,送上慰问金和慰问品。\n"
    "调研组在保山市、怒江州分别召开了“三访四察五送”座谈会,州、市妇联就工作情况进行了专题汇报,相关部门参与了座谈。\n")


def yunnan() -> Article:
    t = YUNNAN_TEXT
    yn = place(t, "云南省", "province", "530000", ["云南省"])
    bs = place(t, "保山市", "city", "530500", ["云南省", "保山市"])
    nj = place(t, "怒江傈僳族自治州", "city", "533300", ["云南省", "怒江傈僳族自治州"], "怒江州")
    return article(
        "yn-0", "corpus/000_37b82d11348d8228.txt", t, title="云南省妇联深入保山市、怒江州调研“三访四察五送”工作",
        published="2022-06-03", main_region=ref(yn), places=[yn, bs, nj],
        programmes=[programme(t, "三访四察五送", yn, "三访四察五送"), programme(t, "贷免扶补", yn)],
        counts=[count(t, "15万元", 150000, "元", "无息贷款", "申请"), count(t, "12户", 12, "户", "留守儿童", "慰问")],
        outcomes=[outcome(t, "result", "慰问了12户留守儿童")])


NINGBO_TEXT = (
    "汇聚“她力量” 用情解妇忧 宁波市妇联深入开展“甬尚姐妹四必访”工作综述\n"
    "党史学习教育开展以来,宁波市妇联聚焦“学党史、悟思想、办实事、开新局”,把“甬尚姐妹四必访”工作作为“我为群众办实事”"
    "专题实践活动的重要抓手,组织发动全市2.6万余名各级妇联干部和执委,从“家庭基本情况、存在困难、解决措施”三方面入手,"
    "建立闭环服务体系,切实增强妇女群众的获得感、幸福感和安全感。该项工作已被列入全国妇联《“十四五”时期深化妇联系统"
    "改革方案》推广的19个基层经验做法。\n"
    "比如慈溪市妇联依托区域化党建的组织体系,在每个村和社区划分出妇联网格,根据网格大小,因地制宜设置一个或多个“姐妹驿站”。"
    "目前,慈溪市273个行政村和55个社区设置“姐妹驿站”2015个,建立起慈溪市巾帼文明15分钟实践服务圈。\n")


def ningbo() -> Article:
    t = NINGBO_TEXT
    nb = place(t, "宁波市", "city", "330200", ["浙江省", "宁波市"])
    cx = place(t, "慈溪市", "county", "330282", ["浙江省", "宁波市", "慈溪市"])
    return article(
        "nb-0", "corpus/001_39e92654bc1ffeac.txt", t,
        title="汇聚“她力量” 用情解妇忧 宁波市妇联深入开展“甬尚姐妹四必访”工作综述",
        published="2021-11-29", main_region=ref(nb), places=[nb, cx],
        programmes=[programme(t, "甬尚姐妹四必访", nb), programme(t, "姐妹驿站", cx)],
        counts=[count(t, "2.6万余名", 26000, "名", "妇联干部和执委", "组织发动", approx=True),
                count(t, "19个", 19, "个", "基层经验做法"),
                count(t, "2015个", 2015, "个", "姐妹驿站", "设置")],
        outcomes=[outcome(t, "promotion", "已被列入全国妇联《“十四五”时期深化妇联系统改革方案》推广的19个基层经验做法",
                          by="全国妇联")])


XCOUNTY_TEXT = (
    "构建和谐妇联组织思考\n"
    "为帮助贫困儿童解决上学难的问题,我们充分发挥自身优势,深入实施“春蕾方案”,全面创办“春蕾班”。"
    "经过我们的艰苦努力,全县14个镇共创办春蕾班31个,募集年资助额37万多元,881名春蕾学员得到长期资助。"
    "为确保春蕾班的资助款专款专用,去年,我们向审计局申请将春蕾班的资助款进行审计立项,审计结果非常满意。\n")


def xcounty() -> Article:
    """The anonymised report (x县): no region can be known."""
    t = XCOUNTY_TEXT
    return article(
        "xc-0", "corpus/003_55eb41f5ca1fb49c.txt", t, title="构建和谐妇联组织思考", published="2023-04-15",
        programmes=[programme(t, "春蕾班", None, "春蕾班")],
        counts=[count(t, "31个", 31, "个", "春蕾班", "创办"), count(t, "37万多元", 370000, "元", "年资助额", "募集", approx=True),
                count(t, "881名", 881, "名", "春蕾学员", "资助")])


def unrelated() -> Article:
    """The second article of the newspaper page: not federation work."""
    t = "科技特派团进村入户帮扶产业促振兴\n科技特派团深入各村开展技术培训20场,帮助农户解决生产难题。\n"
    return article("np-2", "corpus/002_511957d7e6d4a40f.txt", t, relevant=False, title="科技特派团进村入户帮扶产业促振兴",
                   counts=[count(t, "20场", 20, "场", "技术培训", "开展")])


def fixture_articles() -> list[Article]:
    return [yunnan(), ningbo(), yongshan(), unrelated(), xcounty()]


# ---------------------------------------------------------------- tests


def by_programme(a: Article) -> dict:
    return {p.programme: p for p in a.practices if p.programme}


def test_one_practice_per_programme_with_its_figures():
    a = yongshan()
    progs = by_programme(a)
    assert set(progs) == {"三访四察五送", "巾帼健康行动", "妇女体检优惠项目", "两癌救助项目"}
    lc = progs["两癌救助项目"]
    assert [c.text for c in lc.indicators] == ["90名", "73万余元"]
    assert lc.indicators[1].object == "救助金"
    assert lc.region.name == "永善县" and lc.region.adcode == "530625"
    assert lc.region.path == ["云南省", "昭通市", "永善县"]
    assert lc.organisation == "永善县妇联"
    assert "妇女健康" in lc.themes
    assert lc.year == 2014  # the year written in its sentence, not the published one


def test_evidence_offsets_point_into_the_text():
    for a in fixture_articles():
        for p in a.practices:
            assert p.evidence, p
            for e in p.evidence:
                assert a.text[e.start:e.end] == e.text
            for c in p.indicators:  # every figure stands in one of the evidence sentences
                assert any(e.start <= c.start < e.end for e in p.evidence), (p.id, c.text)


def test_unnamed_activity_paragraph_is_a_practice_with_its_figures():
    a = yongshan()
    [credit] = [p for p in a.practices if p.programme is None and any(c.text == "481名" for c in p.indicators)]
    assert [c.text for c in credit.indicators] == ["481名", "5666万元", "2个"]
    assert "创业就业与乡村振兴" in credit.themes
    assert credit.activity.startswith("帮助481名妇女争取创业贷款")
    assert credit.organisation == "永善县妇联" and credit.region.name == "永善县"
    assert [o.type for o in credit.outcomes] == ["result"]


def test_no_figure_is_counted_twice():
    for a in fixture_articles():
        seen = [(c.start, c.end) for p in a.practices for c in p.indicators]
        assert len(seen) == len(set(seen)), a.doc_id


def test_headings_and_title_are_not_practices():
    a = yunnan()
    texts = [e.text for p in a.practices for e in p.evidence]
    assert "访企业,出实策" not in texts and "进社区、访家庭,察妇情" not in texts
    # the title only gives evidence to the programme it names
    title_users = [p for p in a.practices if any(e.start == 0 for e in p.evidence)]
    assert [p.programme for p in title_users] == ["三访四察五送"]


def test_provincial_visit_is_the_province_and_keeps_figures_of_each_paragraph():
    a = yunnan()
    progs = by_programme(a)
    assert progs["三访四察五送"].organisation == "云南省妇联"
    assert progs["三访四察五送"].region.name == "云南省"
    assert [c.text for c in progs["贷免扶补"].indicators] == ["15万元"]
    assert progs["贷免扶补"].year == 2019
    [visit] = [p for p in a.practices if p.programme is None]
    assert [c.text for c in visit.indicators] == ["12户"]
    assert "关爱帮扶" in visit.themes and "儿童工作" in visit.themes
    assert visit.region.name == "云南省" and visit.year == 2022


def test_organisation_before_a_programme_sets_its_region():
    progs = by_programme(ningbo())
    station = progs["姐妹驿站"]
    assert station.organisation == "慈溪市妇联" and station.region.name == "慈溪市"
    assert [c.text for c in station.indicators] == ["2015个"]
    visits = progs["甬尚姐妹四必访"]
    assert visits.organisation == "宁波市妇联" and visits.region.adcode == "330200"
    assert [c.text for c in visits.indicators] == ["2.6万余名", "19个"]
    assert [o.type for o in visits.outcomes] == ["promotion"]


def test_anonymised_report_has_no_region_and_resolves_last_year():
    [p] = [p for p in xcounty().practices if p.programme == "春蕾班"]
    assert p.region is None
    assert "儿童工作" in p.themes
    assert [c.text for c in p.indicators] == ["31个", "37万多元", "881名"]
    assert p.year == 2022  # 去年 in an article published in 2023


def test_irrelevant_article_has_no_practice():
    assert unrelated().practices == []


def test_ids_are_stable_and_in_text_order():
    a, b = yongshan(), yongshan()
    assert [p.id for p in a.practices] == [p.id for p in b.practices]
    assert [p.model_dump() for p in a.practices] == [p.model_dump() for p in b.practices]
    firsts = [p.evidence[0].start for p in a.practices]
    assert firsts == sorted(firsts)
    assert all(p.id.startswith("ys-0-p") for p in a.practices)


def test_generic_federation_takes_the_main_region():
    a = Article(doc_id="g-0", source="g.txt", article=0, relevant=True, text="县妇联联合县卫计局开展健康知识公益讲座。",
                main_region=RegionRef(name="永善县", adcode="530625", level="county", path=["云南省", "昭通市", "永善县"]))
    [org] = find_organisations(a)
    assert org.name == "永善县妇联" and org.region.adcode == "530625"
    # a 市妇联 in a county's report is the city above it: not the acting federation
    b = a.model_copy(update={"text": "在参加市妇联举办的就业培训后,县妇联组织妇女创业。"})
    orgs = find_organisations(b)
    assert [(o.name, o.acting) for o in orgs] == [("昭通市妇联", False), ("永善县妇联", True)]


@pytest.mark.parametrize("texts, expected", [
    (["积极争取国家、省级农村贫困“两癌”救助项目支持"], "妇女健康"),
    (["乡乡镇镇创办“春蕾班”"], "儿童工作"),                    # 春蕾 inside the word 春蕾班
    (["依托“12338”妇女维权热线"], "维权与反家暴"),
    (["县级婚调委就调处婚姻家庭纠纷57件"], "维权与反家暴"),
    (["新平县妇联在社区家长学校联合举办家庭教育知识讲座"], "家庭家教家风"),
    (["大姚县数智妇联以数字化为强劲引擎"], "数字化与网上妇联"),
    (["全面完成全市197个村(社区)妇联换届选举工作"], "组织建设与改革"),
])
def test_themes_from_keywords(texts, expected):
    assert classify_themes(*texts)[0] == expected


def test_theme_keyword_must_be_a_word():
    # 线上 (online) is not read inside 战线上 (on the front line)
    assert "数字化与网上妇联" not in classify_themes("团结带领全县广大妇女在各条战线上建功立业")
    assert classify_themes("开展“线上”培训")[0] == "数字化与网上妇联"


def test_theme_taxonomy_is_the_data_file():
    tax = taxonomy()
    assert tax.themes[:3] == ("思想引领", "创业就业与乡村振兴", "维权与反家暴")
    assert len(tax.themes) == 10 and tax.keyword_theme["两癌"] == "妇女健康"


def test_year_rules():
    a = Article(doc_id="y-0", source="y.txt", article=0, relevant=True, text="x", published="2021-11-29")
    assert practice_year(["今年共发放贷款"], a) == 2021
    assert practice_year(["去年完成换届"], a) == 2020
    assert practice_year(["前年启动"], a) == 2019
    assert practice_year(["2011至2015年以来,县妇联抢抓机遇"], a) == 2015
    assert practice_year(["到2025年实现全覆盖"], a) == 2021  # a target after publication is not the year
    assert practice_year(["近年来持续开展"], a) == 2021
    none = a.model_copy(update={"published": None, "text": "2018年以来,我们持续开展。"})
    assert practice_year(["近年来持续开展"], none) == 2018


def test_activity_phrase_is_a_short_piece_of_the_sentence():
    s = "每年的“三八”节期间,县妇联先后举办“做靓丽女人,展巾帼风采”时装秀活动、“妈妈我爱您”家庭亲子互动竞赛活动、“贯彻十八大精神・巾帼建功比贡献”演讲比赛活动。"
    phrase = activity_phrase(s, s.index("妈妈我爱您"))
    assert phrase in s and "妈妈我爱您" in phrase and len(phrase) <= 40
    assert activity_phrase("县妇联今年开展“两癌”免费筛查1200人次。") == "县妇联今年开展“两癌”免费筛查1200人次"


def test_programme_key_is_shared_with_the_extractor():
    assert programme_key("“三访四察五送”活动") == programme_key("三访四察五送") == "三访四察五送"


# ---------------------------------------------------------------- any text

from hypothesis import given, settings, strategies as st  # noqa: E402

_ALPHABET = list("妇联县市省开展两癌春蕾帮助培训名万元个户“”,。;！\n 0123456789x<>")


@st.composite
def _articles(draw):
    text = draw(st.text(alphabet=_ALPHABET, min_size=1, max_size=300))
    n = len(text)
    counts = []
    for _ in range(draw(st.integers(0, 4))):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(a + 1, n))
        counts.append(Count(text=text[a:b], value=1, unit="个", start=a, end=b, sentence=text[a:b]))
    progs = []
    for _ in range(draw(st.integers(0, 3))):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(a + 1, min(n, a + 6)))
        progs.append(Programme(name=text[a:b], key=text[a:b].strip() or "k", mentions=[Mention(text=text[a:b], start=a, end=b)]))
    return Article(doc_id="h-0", source="h.txt", article=0, relevant=True, text=text, counts=counts,
                   programmes=progs, title=draw(st.one_of(st.none(), st.just(text.split("\n")[0]))),
                   published=draw(st.one_of(st.none(), st.just("2021-05-01"))))


@settings(max_examples=60, deadline=None)
@given(_articles())
def test_linking_any_text_keeps_its_invariants(a):
    practices = link_practices(a)
    ids = [p.id for p in practices]
    assert len(ids) == len(set(ids))
    seen = []
    for p in practices:
        assert p.evidence and len(p.activity) <= 40
        for e in p.evidence:
            assert a.text[e.start:e.end] == e.text
        seen += [(c.start, c.end) for c in p.indicators]
    assert len(seen) == len(set(seen))


def test_span_keywords_of_an_article_equal_theme_keywords_of_each_span():
    """`SpanKeywords` (one pass over the article's boundaries) finds, for any span, what a
    plain left-to-right scan of the span's text cut out finds with the boundaries inside it,
    including spans whose edges fall inside a word (an activity phrase cut from its sentence);
    `theme_keywords` is that scan over a whole text."""
    import random

    from pipeline.link import SpanKeywords, taxonomy, theme_keywords
    from pipeline.segment import search_boundaries, segment

    def plain_scan(text: str, bounds: set[int]) -> list[tuple[str, str]]:
        tax, found, pos = taxonomy(), [], 0
        for b in sorted(bounds):
            if b < pos or b >= len(text):
                continue
            for n in tax.lengths.get(text[b], ()):
                w = text[b:b + n]
                if len(w) == n and w in tax.keyword_theme and (b + n) in bounds:
                    found.append((w, tax.keyword_theme[w]))
                    pos = b + n
                    break
        return found

    text = ("宁波市妇联实施“甬尚姐妹四必访”,为困难妇女儿童开展家庭教育指导、心理健康服务和法律援助,"
            "推动妇女就业创业,建设妇女之家和儿童之家,预防家庭暴力,开展春蕾计划助学活动。"
            "战线上的巾帼志愿者开展线上培训。")
    bounds = sorted(search_boundaries(segment(text)))
    keywords = SpanKeywords(text, bounds)
    words = [w for w, _ in keywords.span(0, len(text))]
    assert words[:5] == ["困难妇女", "儿童", "家庭教育", "心理", "法律援助"]
    assert "家庭暴力" in words and "家庭" not in words  # the longest keyword wins
    assert words.count("线上") == 1  # 开展线上培训, not 战线上
    rnd, checked = random.Random(7), 0
    for _ in range(2000):
        a = rnd.randrange(len(text))
        b = rnd.randrange(a, len(text) + 1)
        inside = {x - a for x in bounds if a <= x <= b} | {0, b - a}
        assert keywords.span(a, b) == plain_scan(text[a:b], inside) == theme_keywords(text[a:b], inside), (a, b)
        checked += bool(keywords.span(a, b))
    assert checked > 500  # most spans hold a keyword: the comparison is not of empty lists
