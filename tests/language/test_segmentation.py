"""Segmentation for BM25: region names stay whole, full-width forms fold, no punctuation."""

from __future__ import annotations

from rag.language.segmentation import Segmenter, normalize


def test_region_names_are_never_split():
    seg = Segmenter(["镜湖区", "红谷滩区", "调兵山市", "鹿城区"])
    for region in ["镜湖区", "红谷滩区", "调兵山市", "鹿城区"]:
        assert region in seg.tokens(f"{region}法律援助受理了多少件？")
        assert region in seg.tokens(f"2024年{region}全区新收行政复议案件120件")


def test_full_width_forms_fold_to_half_width():
    assert normalize("（一）２０２４年ＡＢＣ") == "(一)2024年abc"
    seg = Segmenter()
    assert seg.tokens("调解率达５０.６％") == seg.tokens("调解率达50.6%")


def test_punctuation_and_stopwords_are_dropped():
    tokens = Segmenter().tokens("镜湖区的法律援助，受理了多少件？")
    assert "，" not in tokens and "？" not in tokens and "的" not in tokens and "多少" not in tokens
    assert "法律援助" in tokens


def test_search_mode_keeps_parts_of_long_words():
    tokens = Segmenter().tokens("行政复议调解率")
    assert "行政复议" in tokens or ("行政" in tokens and "复议" in tokens)
    assert any("调解" in t for t in tokens)
