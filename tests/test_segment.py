"""The segment stage: jieba (or jieba-next) with the federation dictionary, and the
search-mode words derived from the precise-mode ones without segmenting twice."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from conftest import seed_text
from pipeline import segment as seg
from pipeline.nlp import load


@pytest.mark.parametrize("prefix", ["000", "001", "004"])
def test_search_tokens_are_the_words_of_cut_for_search(prefix):
    text = seed_text(prefix)[:3000]
    tokens = seg.search_tokens(seg.segment(text))
    assert [w for _, _, w in tokens] == seg.segment_for_search(text)
    assert all(text[a:b] == w for a, b, w in tokens)


def test_search_boundaries_are_the_ends_of_the_search_tokens():
    text = "永善县妇联实施巾帼健康行动，开展“两癌”免费筛查，春蕾班学员家庭走访全覆盖。"
    words = seg.segment(text)
    assert seg.search_boundaries(words) == {0} | {x for a, b, _ in seg.search_tokens(words) for x in (a, b)}
    assert 3 in seg.search_boundaries(words)  # 永善县|妇联


def test_the_federation_dictionary_keeps_its_words_whole():
    assert "妇联" in seg.segment("宁波市妇联深入开展走访")
    assert seg.is_word("妇联")


def test_tokenizer_assigns_the_words_as_strings():
    doc = load().make_doc("慈溪市妇联推广“姐妹驿站”，服务妇女2.6万余名。")
    assert doc._.words == [t.text for t in doc]
    assert "".join(doc._.words) == doc.text


def test_a_lone_surrogate_is_one_replacement_character_and_offsets_hold():
    """Text decoded with surrogateescape (passed by a caller; the readers never make it) cannot
    enter spaCy's string store; it used to raise UnicodeEncodeError (found by the fuzz test)."""
    from pipeline.nlp import analyse
    text = "永善县\udc81妇联帮助481名妇女。"
    doc = analyse(text)
    assert doc.text == text.replace("\udc81", "\ufffd")
    assert [(c.text, text[c.start:c.end]) for c in doc._.counts] == [("481名", "481名")]


def test_engine_names_the_segmenter():
    assert seg.ENGINE.split()[0] in ("jieba", "jieba-next")


def test_without_jieba_next_the_pipeline_segments_with_jieba_alike():
    """Where jieba-next has no wheel the pure-Python jieba is used: the same words."""
    import json
    import subprocess
    import sys

    code = ("import sys, json; sys.modules['jieba_next'] = None\n"
            "from conftest import seed_text\n"
            "from pipeline import segment as seg\n"
            "print(json.dumps([seg.ENGINE, seg.segment(seed_text('000')[:2000])], ensure_ascii=False))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("conftest").ROOT / "tests"))
    engine, words = json.loads(out.stdout)
    assert engine.startswith("jieba ")
    assert words == seg.segment(seed_text("000")[:2000])


def test_bounds_of_search_tokens_are_the_search_boundaries():
    """The link stage takes its word boundaries from the tokens the index stage uses too."""
    from pipeline.segment import bounds_of, search_boundaries, search_tokens, segment
    for text in ["宁波市妇联实施“甬尚姐妹四必访”,为困难妇女儿童开展家庭教育指导。", "春蕾班 2023 年", "a", ""]:
        words = segment(text)
        assert bounds_of(search_tokens(words)) == search_boundaries(words)
    words = segment("中华全国妇女联合会")
    assert len(search_boundaries(words)) > len(words) + 1  # sub-words add boundaries inside long words


# -- segment() is jieba-next's `cut` written as one loop over its Rust route: the same words

_MIXED = st.lists(st.sampled_from(list("妇联春蕾班巾帼家庭教育永善县慈溪市的了是在和一二三万余名鑫淼犇焱骉羴龘")
                                   + list("abcXYZ019+#&._%")
                                   + [" ", "\n", "\r\n", "\t", "，", "。", "“", "”", "（", "\u3000", "😀"]),
                   max_size=60).map("".join)


def test_segment_cuts_the_dev_documents_as_jieba_cut_does(dev_docs):
    from pipeline.readers import read_file

    cut = seg.dictionary().cut
    texts = [read_file(p).text for p in sorted(dev_docs.iterdir()) if p.is_file()]
    assert len(texts) >= 17
    for text in texts:
        assert seg.segment(text) == list(cut(text))


@settings(max_examples=300, deadline=None)
@given(_MIXED)
def test_segment_cuts_any_text_as_jieba_cut_does(text):
    assert seg.segment(text) == list(seg.dictionary().cut(text))
    assert "".join(seg.segment(text)) == text


def test_segment_rebuilds_a_dropped_route_dictionary():
    """jieba-next drops its Rust prefix dictionary when a word is added; segment() rebuilds it."""
    tok = seg.dictionary()
    if not hasattr(tok, "_rust_prefix"):
        pytest.skip("jieba-next is not installed")
    text = "宁波市妇联深入开展“甬尚姐妹四必访”"
    before = seg.segment(text)
    tok._rust_prefix = None
    assert seg.segment(text) == before == list(tok.cut(text))


def test_the_cached_dictionary_is_jieba_own_with_the_federation_words(tmp_path, monkeypatch):
    """The packed cache (words in one string, frequencies in one array) gives back the very
    prefix dictionary jieba builds, in the same order, whether just built or read back."""
    tok = seg.jieba.Tokenizer()
    tok.initialize()
    for word, freq, tag in seg.user_words():
        tok.add_word(word, freq, tag)
    monkeypatch.setenv("FEDREPORTS_CACHE", str(tmp_path))
    assert not any(tmp_path.iterdir())
    for _ in ("built", "read back"):
        got = seg.load_dictionary()
        assert list(got.FREQ.items()) == list(tok.FREQ.items())
        assert got.total == tok.total
    assert len(list(tmp_path.glob("jieba-packed-*.marshal"))) == 1


def test_a_word_with_a_line_break_cannot_be_packed():
    with pytest.raises(ValueError, match="line break"):
        seg._pack({"妇联": 3, "a\nb": 1}, 4)
