"""Counts: the parser on its own, the component on sentences of federation reports, and
the exclusions of the annotation guide (GUIDE.md "counts", PITFALLS.md "Numbers")."""
from __future__ import annotations

import json
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import DEV_DOCS, DEV_GOLD, SHARED
from extractors.counts import ParsedCount, find_counts, parse_count
from pipeline.clean import to_simplified
from pipeline.nlp import build
from spacy.tokens import Doc


@pytest.fixture(scope="module")
def nlp():
    return build(["fed_sentences", "fed_counts"])


def counts(nlp, text):
    """The Count records of `text`, after checking each one points at its own text."""
    doc = nlp(text)
    for c in doc._.counts:
        assert doc.text[c.start:c.end] == c.text
        assert c.text in c.sentence and c.sentence in doc.text
    return doc._.counts


def values(nlp, text):
    return [(c.value, c.unit) for c in counts(nlp, text)]


# ---------------------------------------------------------------- parse_count

@pytest.mark.parametrize("text, value, unit, approx", [
    ("2.6万余名", 26000, "名", True),
    ("22.04万户(次)", 220400, "户次", False),
    ("逾千万元", 10_000_000, "元", True),
    ("两万多份", 20000, "份", True),
    ("百余次", 100, "次", True),
    ("5666万元", 56_660_000, "元", False),
    ("96.8%", 96.8, "%", False),
    ("50%以上", 50, "%", True),
    ("4000元以上", 4000, "元", True),
    ("近5000人", 5000, "人", True),
    ("3600多万元", 36_000_000, "元", True),
    ("37万多元", 370_000, "元", True),
    ("20余万元", 200_000, "元", True),
    ("1.2亿元", 120_000_000, "元", False),
    ("100000余人次", 100_000, "人次", True),
    ("170多平方米", 170, "平方米", True),
    ("一千五百余人次", 1500, "人次", True),
    ("十几家", 10, "家", True),
    ("2-5万元", 20000, "元", True),          # a range: the lower bound
    ("百分之九十五点五", 95.5, "%", False),
    ("5.2个百分点", 5.2, "个百分点", False),
    ("1,200名", 1200, "名", False),
    ("100人左右", 100, "人", True),
])
def test_parse_count_values_units_and_marks(text, value, unit, approx):
    p = parse_count(text)
    assert p is not None
    assert (p.value, p.unit, p.approx) == (pytest.approx(value), unit, approx)
    assert (p.text, p.start, p.end) == (text, 0, len(text))


def test_parse_count_reads_traditional_and_full_width_forms():
    assert parse_count("1.69萬個")[1:3] == (16900, "个")
    assert parse_count("3200餘人次")[1:4] == (3200, "人次", True)
    assert parse_count("９６．８％")[1:3] == (96.8, "%")


def test_parse_count_marks_vague_numbers():
    p = parse_count("数百名")
    assert (p.value, p.approx, p.vague) == (100, True, True)
    assert not parse_count("300名").vague


@pytest.mark.parametrize("text", ["2019年", "5月24日", "60岁", "3.7万", "第十二届", "12338", "名", "约", "",
                                  "2400多笔3600多万元", "十四五", "8:30"])
def test_parse_count_refuses_what_is_not_one_count(text):
    assert parse_count(text) is None


def test_parse_count_offsets_skip_surrounding_spaces():
    p = parse_count("  481名 ")
    assert (p.text, p.start, p.end, p.value) == ("481名", 2, 6, 481)


# ---------------------------------------------------------------- the component

def test_counts_with_object_action_offsets_and_sentence(nlp):
    text = "近年来,县妇联积极争取资金。帮助481名妇女争取创业贷款5666万元,创建省级示范基地2个。"
    cs = counts(nlp, text)
    assert [(c.text, c.value, c.unit, c.approx) for c in cs] == [
        ("481名", 481, "名", False), ("5666万元", 56_660_000, "元", False), ("2个", 2, "个", False)]
    assert (cs[0].object, cs[0].action) == ("妇女", "帮助")
    assert (cs[1].object, cs[1].action) == ("创业贷款", "争取")
    assert cs[2].object == "省级示范基地" and cs[2].action == "创建"
    assert cs[0].sentence == "帮助481名妇女争取创业贷款5666万元,创建省级示范基地2个。"
    assert (cs[0].start, cs[0].end) == (text.index("481名"), text.index("481名") + 4)


def test_spans_are_written(nlp):
    text = "开展培训90余期,培训绣娘4800余人次。"
    doc = nlp(text)
    i, j = text.index("90余期"), text.index("4800余人次")
    assert [(s.start_char, s.end_char, s.label_) for s in doc.spans["counts"]] == [
        (i, i + 4, "期"), (j, j + 7, "人次")]


def test_approximation_marks_before_and_after(nlp):
    cs = counts(nlp, "覆盖妇女群众近5000人,入户宣讲辐射人数超过3万余人,家长受教育率达到95%以上,月均收入4000元左右。")
    assert [(c.text, c.value, c.approx) for c in cs] == [
        ("近5000人", 5000, True), ("超过3万余人", 30000, True), ("95%以上", 95, True), ("4000元左右", 4000, True)]


def test_wan_and_yi_multipliers_and_money_in_yuan(nlp):
    assert values(nlp, "组织发动全市2.6万余名妇联干部,发放巾帼创业贷款1.2亿元,近两年来产品销售额逾千万元。") == [
        (26000, "名"), (120_000_000, "元"), (10_000_000, "元")]


def test_households_with_bracketed_times(nlp):
    cs = counts(nlp, "今年以来,全市各级妇联干部和执委已走访各类妇女家庭22.04万户(次)。")
    assert [(c.text, c.value, c.unit) for c in cs] == [("22.04万户(次)", 220400, "户次")]
    assert cs[0].object == "各类妇女家庭" and cs[0].action == "走访"


def test_percentages(nlp):
    assert values(nlp, "签订率达96.8%,比上届提高5.2个百分点,覆盖率达到百分之九十五。") == [
        (96.8, "%"), (5.2, "个百分点"), (95, "%")]


def test_two_counts_side_by_side(nlp):
    cs = counts(nlp, "五年共投放小额贷款2400多笔3600多万元。")
    assert [(c.text, c.value, c.unit) for c in cs] == [("2400多笔", 2400, "笔"), ("3600多万元", 36_000_000, "元")]
    assert cs[0].object == cs[1].object == "小额贷款"


def test_chinese_numerals(nlp):
    cs = counts(nlp, "在各镇发放家庭暴力投诉联系卡两万多份,接待各类咨询百余次,组织三场专题培训,二十余家爱心企业捐款。")
    assert [(c.text, c.value, c.unit) for c in cs] == [
        ("两万多份", 20000, "份"), ("百余次", 100, "次"), ("三场", 3, "场"), ("二十余家", 20, "家")]


def test_small_chinese_numerals_count_people_households_money_and_concrete_things(nlp):
    text = "选派两名女干部,慰问三户困难家庭,全县三个村建立了妇女之家,五所学校开设家长课堂,十二个乡镇全部完成换届。"
    assert values(nlp, text) == [(2, "名"), (3, "户"), (3, "个"), (5, "所"), (12, "个")]


def test_bare_magnitudes_count_only_with_a_mark(nlp):
    text = "近百名妇女受益,逾万人参与,人均增收千元以上,上百万元善款,数十家企业参与。"
    assert [(c.text, c.value) for c in counts(nlp, text)] == [
        ("近百名", 100), ("逾万人", 10000), ("千元以上", 1000), ("上百万元", 1_000_000), ("数十家", 10)]


def test_spaces_around_the_number(nlp):
    cs = counts(nlp, "共 3 个示范点,培训 300 余人,近 5000 人参加,第 3 名。")
    assert [(c.text, c.value, c.approx) for c in cs] == [("3 个", 3, False), ("300 余人", 300, True), ("近 5000 人", 5000, True)]


def test_every_measure_word_family(nlp):
    text = ("调解案件346起,编印宣传册2000册,新建24处妇女儿童家园,12对夫妇获评,苗猪124头,山羊148只,"
            "接待来访147件,调处纠纷20件次,家长学校133所,志愿服务队15支,问卷85张,宣传信息540期,稿件130篇,"
            "筛查病例12例,荣誉16项,种植1150亩,种子5.1吨,楼房170多平方米,受理来访368宗,开展活动128场次。")
    assert [c.unit for c in counts(nlp, text)] == [
        "起", "册", "处", "对", "头", "只", "件", "件次", "所", "支", "张", "期", "篇", "例", "项", "亩", "吨",
        "平方米", "宗", "场次"]


def test_traditional_text_after_conversion(nlp):
    printed = "全市建成「兒童之家」25個,培訓婦女3200餘人次,發放貸款1.2億元。"
    text = to_simplified(printed)
    assert len(text) == len(printed)
    cs = counts(nlp, text)
    assert [(c.value, c.unit) for c in cs] == [(25, "个"), (3200, "人次"), (120_000_000, "元")]
    # the offsets are the same in the printed form
    assert [printed[c.start:c.end] for c in cs] == ["25個", "3200餘人次", "1.2億元"]


def test_traditional_forms_that_escaped_conversion_still_parse():
    assert [(c.value, c.unit) for c in find_counts("培訓婦女3200餘人次,建成兒童之家25個")] == [(3200, "人次"), (25, "个")]


# ---------------------------------------------------------------- exclusions

def test_years_dates_and_clock_times(nlp):
    assert values(nlp, "2019年,杨光彩申请了无息贷款15万元。5月24日上午9时,截至2022年11月底,服务时间8:30-17:30。") == [
        (150000, "元")]


def test_durations(nlp):
    assert values(nlp, "4个多月来,黄娟经常上门看望。五年来,8年来,一年养了三次,7个工作日内办结,为期3天,服务12338热线。") == []
    assert values(nlp, "8年来,累计培训农村及城镇无业妇女5000余人次。") == [(5000, "人次")]


def test_ordinals_and_sessions(nlp):
    text = "西固区妇联召开第十二届六次执委(扩大)会议,启动第二轮捐款,排名前3名,市妇联第十四次代表大会,党的十九届四中全会。"
    assert values(nlp, text) == []
    # a count of meetings, and delegates of this term, are counts
    assert values(nlp, "全年召开3次会议,本届120名代表出席。") == [(3, "次"), (120, "名")]


def test_one_to_one_patterns(nlp):
    assert values(nlp, "落实“一户一档”,推行1对1帮扶,实行1户1策,12对夫妇获评“最美伴侣”。") == [(12, "对")]


def test_hotlines_phone_numbers_and_codes(nlp):
    text = ("开展12338妇女热线接听日活动,联系电话:0871-63123456,贯彻中央4号文件精神,"
            "做客FM94.1直播间,提供云麦80等种子,成立了12023家庭暴力投诉中心。")
    assert values(nlp, text) == []


def test_names_and_slogans(nlp):
    text = ("大姚县妇联深入践行“三访四察五送”,编制“十四五”妇女儿童发展规划,建立起慈溪市巾帼文明15分钟实践服务圈,"
            "启动“百场宣讲进万家”活动,如千名农家女田间铸辉煌,万名党员进党校,把温暖送到千家万户。")
    assert values(nlp, text) == []


def test_count_inside_a_quoted_name_or_title_is_not_a_count(nlp):
    assert values(nlp, "实施“5个100工程”,学习《关于做好300名女干部培训的通知》,落实“一户一档”。") == []
    # a quoted name before or after the count is its object, not its container
    cs = counts(nlp, "创建市级“巾帼文明岗”2个,表彰了25个“先进基层妇女组织”。")
    assert [(c.value, c.object) for c in cs] == [(2, "巾帼文明岗"), (25, "先进基层妇女组织")]


def test_page_view_counters(nlp):
    assert values(nlp, "发布时间:2023-03-08 点击:356次 浏览量 1200 次") == []
    assert values(nlp, "开展亲子阅读300余场次。") == [(300, "场次")]


def test_ages(nlp):
    assert values(nlp, "在农村开展了子女与60岁以上父母签订赡养协议活动,村妇代会主任平均年龄45岁,二宝4岁上幼儿园了。") == []


def test_list_items_and_headings(nlp):
    text = "把握三个关键 建设服务型基层妇联组织\n一是各级妇联干部要深入理解活动内涵。坚持“三个纳入”,认真履行三项职责,张林娟是两个孩子的妈妈。"
    assert values(nlp, text) == []


def test_indefinite_yi_is_not_a_count(nlp):
    assert values(nlp, "一名年轻妈妈通过平台反映,妇联干部们一户户走访,很快找到一份新工作,一次线上普法后。") == []


def test_unit_that_starts_a_longer_word(nlp):
    assert values(nlp, "全县所有基层派出所成立家庭暴力投诉站,次日,罗红媛会同社区妇联工作人员来到金妈妈家。") == []
    assert [(c.value, c.object) for c in counts(nlp, "培育12家家政公司。")] == [(12, "家政公司")]


# ---------------------------------------------------------------- property-based

UNITS = st.sampled_from(["名", "人", "人次", "位", "户", "户次", "场", "次", "场次", "期", "个", "件", "起", "笔", "份",
                         "篇", "所", "家", "支", "项", "只", "头", "张", "册", "亩", "吨", "平方米", "处", "对", "宗",
                         "件次", "元", "%"])


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**12), UNITS)
def test_parse_count_round_trips_integers(n, unit):
    p = parse_count(f"{n}{unit}")
    assert p is not None and (p.value, p.unit, p.approx) == (n, unit, False)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=99999), st.integers(min_value=0, max_value=99), UNITS,
       st.sampled_from(["万", "亿"]), st.sampled_from(["", "余", "多"]))
def test_parse_count_round_trips_wan_and_yi(whole, cents, unit, mult, mark):
    number = f"{whole}.{cents:02d}" if cents else str(whole)
    factor = 10**4 if mult == "万" else 10**8
    p = parse_count(f"{number}{mult}{mark}{unit}")
    assert p is not None
    assert p.value == pytest.approx((whole + cents / 100) * factor, rel=1e-12)
    assert (p.unit, p.approx) == (unit, bool(mark))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**9), UNITS,
       st.sampled_from(["近", "逾", "约", "超过", "超"]), st.sampled_from(["", "以上", "左右"]))
def test_approximation_marks_never_change_the_value(n, unit, prefix, suffix):
    p = parse_count(f"{prefix}{n}{unit}{suffix}")
    assert p is not None and (p.value, p.approx) == (n, True)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=99999999))
def test_chinese_numerals_round_trip(n):
    import cn2an
    p = parse_count(cn2an.an2cn(n) + "名")
    assert p is not None and p.value == n


CHINESE_NUMERAL = st.text(st.sampled_from(list("零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖拾佰仟十百千万亿几数点")),
                          min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(CHINESE_NUMERAL, UNITS)
def test_malformed_chinese_numerals_never_raise(numeral, unit):
    p = parse_count(numeral + unit)
    assert p is None or (p.value >= 0 and p.unit == unit)
    for c in find_counts(f"培训{numeral}{unit}。"):
        assert c.value >= 0


GENRE = st.sampled_from(list("妇联县市镇村社区名户人次元万亿余多近逾超约个项届年月日第以上下左右几数百千十两一二三"
                             "“”《》()%,。、;:0123456789.-~至 \n"))
TEXT = st.text(st.one_of(GENRE, st.characters()), max_size=200)
# what a reader can hand on: text that encodes as UTF-8 (no lone surrogates)
READABLE = st.text(st.one_of(GENRE, st.characters(codec="utf-8")), max_size=200)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_parser_never_raises_on_arbitrary_text(text):
    p = parse_count(text)
    assert p is None or isinstance(p, ParsedCount)
    for c in find_counts(text):
        assert text[c.start:c.end] == c.text and c.value >= 0 and c.unit


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(READABLE)
def test_component_offsets_hold_on_arbitrary_text(nlp, text):
    counts(nlp, text)


# ---------------------------------------------------------------- scale and the dev set

def test_linear_in_document_length(nlp):
    """A long document (150K characters, 12,000 counts) takes well under a few seconds:
    nothing in the component is quadratic in the number of counts or sentences. (One token
    per character, to leave jieba's own time out of it.)"""
    base = "全年共举办各类培训班56期,培训妇女3200余人次,发放贷款1.2亿元;帮助481名妇女实现就业。\n"
    chars = list(base * 3000)
    doc = nlp.get_pipe("fed_sentences")(Doc(nlp.vocab, words=chars, spaces=[False] * len(chars)))
    started = time.process_time()
    doc = nlp.get_pipe("fed_counts")(doc)
    assert len(doc._.counts) == 4 * 3000
    assert time.process_time() - started < 5


def test_dev_set_counts_f1(nlp):
    """Counts F1 on the shared dev set, scored by the project's own scorer (skipped without it)."""
    scorer = SHARED / "eval" / "score.py"
    if not (DEV_DOCS.is_dir() and DEV_GOLD.is_dir() and scorer.is_file()):
        pytest.skip("shared dev set not present")
    sys.path.insert(0, str(scorer.parent))
    import score
    from pipeline.clean import clean
    from pipeline.readers import read_file
    preds = {}
    for path in sorted(DEV_DOCS.iterdir()):
        preds[path.stem] = [c.model_dump() for art in clean(read_file(path)) if art.relevant
                            for c in nlp(art.text)._.counts]
    tally = score.Tally()
    for gold_file in sorted(DEV_GOLD.glob("*.json")):
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        tally.add(*score.match(gold["counts"], preds.get(gold_file.stem, []),
                               lambda g, p: score.close(g["value"], p["value"])
                               and score.unit_of(g["unit"]) == score.unit_of(p["unit"]))[:3])
    assert tally.prf()[2] >= 0.95
