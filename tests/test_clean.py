"""Cleaning rules on real snippets of scraped federation pages."""
from __future__ import annotations

import pytest

from conftest import seed_text
from pipeline.clean import (clean, find_date, garbled_runs, is_relevant, rejoin, repair, split_articles,
                            to_lines, to_simplified)
from pipeline.readers import RawText


def clean_text(text: str):
    return clean(RawText(text=text, reader="txt"))


BODY = ("近日,云南省妇联副主席赵群率调研组赴保山市隆阳区、施甸县,怒江州泸水市、贡山县、福贡县等地,"
        "就妇女创业就业和妇女儿童权益维护等工作进行调研。")


def test_breadcrumb_meta_and_footer_are_removed_and_date_kept():
    page = ("你现在的位置:首页 >>   妇女工作 >>   调研思考   >> 详细页\n"
            "云南省妇联深入保山市、怒江州调研“三访四察五送”工作\n"
            "【信息来源:省妇联发展部、权益部】   【发布时间:2022-6-3 0:00:00】   【点 击 量:8519】\n\n"
            f"  {BODY}\n编辑:魏咏雪\n \n\n主办单位:云南省妇女联合会\n"
            "版权所有 (C) 云南省妇女联合会 未经授权禁止复制或建立镜像\n"
            "网站备案:滇ICP备10201700号-1 云南公安ICP备案号:53011202000206\n")
    [art] = clean_text(page)
    assert art.title == "云南省妇联深入保山市、怒江州调研“三访四察五送”工作"
    assert art.published == "2022-06-03"
    assert art.organisation == "省妇联发展部、权益部"
    assert art.text == art.title + "\n" + BODY
    for junk in ("你现在的位置", "点 击 量", "编辑", "主办单位", "版权所有", "ICP"):
        assert junk not in art.text


def test_related_list_is_cut():
    page = f"妇联工作综述\n\n2021-11-29 01:35\n\n{BODY}\n\n猜你喜欢\n市妇联执委姐妹\n弥勒市关工委联合多部门开展腊月暖冬行动\n八闽姐妹的2020\n"
    [art] = clean_text(page)
    assert art.text.endswith("进行调研。")
    assert "猜你喜欢" not in art.text and "八闽姐妹" not in art.text
    assert art.published == "2021-11-29"


def test_download_site_notices_and_title_in_body():
    text = seed_text("003")
    [art] = clean_text(text)
    assert art.title == "构建和谐妇联组织思考"
    assert art.published == "2023-04-15"
    assert art.text.startswith("构建和谐妇联组织思考\n近年来,x县妇联一班人")
    for junk in ("下载文档", "温馨提示", "网站客服", "ID:909075", "第5页", "你可能关注", "收益归作者所有", "2023 构建 和谐"):
        assert junk not in art.text


def test_seo_spam_title_and_periodical_lines_go():
    [art] = clean_text(seed_text("001"))
    first = art.text.split("\n")[0]
    assert first == "汇聚“她力量” 用情解妇忧 宁波市妇联深入开展“甬尚姐妹四必访”工作综述"
    for junk in ("亚洲", "av", "宁波通讯 2021年19期", "关键词", "本刊记者", "猜你喜欢"):
        assert junk not in art.text


def test_traditional_is_simplified_and_printed_form_recoverable():
    [art] = clean_text(seed_text("001"))
    assert "婦聯" not in art.text and "妇联" in art.text
    assert "(lián)" not in art.text and "(fǎng)" not in art.text
    assert art.printed is not None and len(art.printed) == len(art.text)
    i = art.text.index("宁波市妇联")
    assert art.printed[i:i + 5] == "寧波市婦聯"


def test_pinyin_insertions_are_removed():
    assert repair("寧波市婦聯(lián)深入開(kāi)展“四必訪(fǎng)”") == "寧波市婦聯深入開展“四必訪”"
    assert repair("中外女性交流(up)活动") == "中外女性交流活动"  # any (pinyin) after a character goes


def test_nfkc_punctuation_and_damaged_quotes():
    assert repair("荣获全国“三八〞红旗集体，ＸＸ省（试点）") == "荣获全国“三八”红旗集体,XX省(试点)"


def test_to_simplified_keeps_length():
    for s in ("寧波市婦聯", "乾隆年間的著作", "西固區婦聯召開第十二屆六次執委會議"):
        assert len(to_simplified(s)) == len(s)
    assert to_simplified("寧波市婦聯") == "宁波市妇联"


def test_paragraph_broken_by_page_break_is_rejoined():
    lines = to_lines("同时,开通“永善妇联”微信公众号,编发发送文明礼仪、家风家教、法治知识等宣传信息540期、稿件130篇,加强与媒体沟通联\n\n"
                     "系,先后在《中国妇女报》、云南网刊发宣传稿件80余篇。")
    assert [l.s for l in rejoin(lines)] == [
        "同时,开通“永善妇联”微信公众号,编发发送文明礼仪、家风家教、法治知识等宣传信息540期、稿件130篇,加强与媒体沟通联"
        "系,先后在《中国妇女报》、云南网刊发宣传稿件80余篇。"]


def test_photo_caption_between_halves_stays_as_its_own_line():
    lines = to_lines("实施巾帼行动,筑牢疫情防线。面对突如其来的新冠肺炎疫情,永善县妇联千方百计筹措资金和紧缺医用物资,服务抗\n\n"
                     "县妇联等部门在红光社区开展美甲培训。\n\n疫一线,组建抗疫志愿服务突击队。")
    assert [l.s for l in rejoin(lines)] == [
        "实施巾帼行动,筑牢疫情防线。面对突如其来的新冠肺炎疫情,永善县妇联千方百计筹措资金和紧缺医用物资,服务抗疫一线,组建抗疫志愿服务突击队。",
        "县妇联等部门在红光社区开展美甲培训。"]


def test_number_split_from_its_unit_is_rejoined():
    lines = to_lines("线上线下开展各类家庭教育活动128场次,受益家长100000\n\n余人次,创建云南省家庭教育创新实践基地1个。")
    assert rejoin(lines)[0].s.endswith("受益家长100000余人次,创建云南省家庭教育创新实践基地1个。")


def test_headings_are_not_joined_to_the_next_paragraph():
    lines = to_lines(f"访企业,出实策\n\n{BODY}\n\n写好“凝”字文\n\n在全市27个乡镇(街道)建妇联组织。")
    assert [l.s for l in rejoin(lines)][0] == "访企业,出实策"
    assert len(rejoin(lines)) == 4


def test_newspaper_page_is_split_into_articles():
    arts = clean_text(seed_text("002"))
    assert len(arts) == 3
    assert [a.relevant for a in arts] == [True, False, False]
    assert arts[0].title == "永善妇联:党建引领聚合合力 巾帼建功展风采"
    assert arts[1].title.startswith("市退役军人事务局")
    assert arts[2].title == "科技特派团进村入户帮扶产业促振兴"
    assert "退役军人" not in arts[0].text
    for a in arts:
        assert "通讯员" not in a.text and "联办" not in a.text


def test_lead_credits_are_stripped():
    [art] = clean_text("天天天水网讯(特约记者 吴全辉)9月3日,麦积区妇女小额担保贷款集中发放仪式在商埠路步行街举行,"
                       "18户农村妇女现场领到66万元小额担保贷款。")
    assert art.text.startswith("9月3日,麦积区")
    [art] = clean_text("◇記者 俞晨元 特約記者 朱琳\n關鍵詞:西固 婦聯 表彰\n鑫報訊 昨日,西固區婦聯召開第十二屆六次執委(擴大)會議,"
                       "表彰獎勵了25個先進基層婦女組織。")
    assert art.text.startswith("昨日,西固区妇联召开")


def test_trailing_credit_and_teasers_at_the_end():
    [art] = clean_text(f"{BODY}目前,全县共建家长学校123所。(玉溪日报通讯员  李玉莎)")
    assert art.text.endswith("共建家长学校123所。")
    [art] = clean_text(seed_text("004"))
    assert "中国山东网" not in art.text and "措勤县" not in art.text
    assert art.text.endswith("做妇女群众的贴心“娘家人”。")
    assert art.published == "2016-02-16"
    assert art.text.split("\n").count("把握三个关键 建设服务型基层妇联组织") == 1  # the repeated title line is gone


def test_app_navigation_lines_go():
    [art] = clean_text("移动端应用\n政务微信\n政务微博\n智能问答\n登录个人中心\n您当前的位置:首页 >>要闻动态 >>部门动态 >>内容\n" + BODY)
    assert art.text == BODY


@pytest.mark.parametrize("line,date", [
    ("【发布时间:2022-6-3 0:00:00】", "2022-06-03"),
    ("2022年06月30日11:41 |", "2022-06-30"),
    ("16.02.2016  16:27", "2016-02-16"),
    ("更新时间:2020-10-30 来源:调查报告", "2020-10-30"),
    ("2019年", None),
])
def test_dates(line, date):
    assert find_date(line) == date


def test_garbled_runs_are_flagged_not_guessed():
    text = "心里真著急?!苯衲辍傲\ue2c3弧鼻跋Γ\ue0d7易°C?海区招宝山街道西门社区的陈外婆"
    runs = garbled_runs(text)
    assert runs and all(text[a:b] for a, b in runs)
    assert not garbled_runs(BODY)
    [art] = clean_text(seed_text("001"))
    assert any(f.startswith("garbled") for f in art.flags)
    assert "\ue2c3" in art.text  # flagged, left as printed


def test_relevance():
    assert is_relevant(BODY)
    assert not is_relevant("昭通市退役军人事务局结合部门实际,在全市退役军人事务系统开展五“家”创建三年行动。")


def test_split_keeps_single_article_pages_whole():
    lines = to_lines(seed_text("000"))
    assert len(split_articles(lines)) == 1


def test_line_patterns_anchored_or_not_match_as_each_one_would():
    """`AnyOf` tries the ^-anchored patterns together at offset 0 and scans for the others; a
    top-level alternation (`^a|b`) is not anchored as a whole and keeps scanning."""
    import re

    from pipeline.clean import AnyOf
    patterns = ["^当前位置", "^(作者|编辑)\\s*[:：]", "版权所有|copyright", "文档下载收益归作者所有|^下载文档$", "(联办|协办)$"]
    any_of = AnyOf(patterns, re.I)
    assert len(any_of.others) == 3 and any_of.anchored is not None
    lines = ["当前位置:首页", "本站当前位置", "作者:某某", "记者 作者:某某", "COPYRIGHT 2023", "下载文档",
             "点此下载文档", "本文档下载收益归作者所有", "某某协办", "协办单位", "宁波市妇联开展活动"]
    for line in lines:
        assert any_of.search(line) == any(re.search(p, line, re.I) for p in patterns), line
    assert [line for line in lines if any_of.search(line)] == [
        "当前位置:首页", "作者:某某", "COPYRIGHT 2023", "下载文档", "本文档下载收益归作者所有", "某某协办"]
