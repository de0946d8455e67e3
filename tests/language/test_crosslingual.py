"""English questions: pinyin place names and dictionary terms that reach the Chinese reports."""

from __future__ import annotations

import pytest

from rag.language.characters import has_cjk
from rag.language.crosslingual import chinese_terms, english_terms, pinyin_spellings
from rag.language.places import gazetteer_for

SEED_REGIONS = ["鹿城区", "红谷滩区", "调兵山市", "高区", "镜湖区"]


def test_every_reading_of_a_place_name_is_a_spelling():
    assert {"diaobingshan", "tiaobingshan"} <= pinyin_spellings("调兵山市")
    assert "jinghu" in pinyin_spellings("镜湖区")


def test_one_syllable_names_are_too_short_to_spell():
    assert pinyin_spellings("高区") == frozenset()


@pytest.mark.parametrize(
    "question, region",
    [
        ("How many legal aid cases did Jinghu district accept?", "镜湖区"),
        ("legal aid in Jing Hu", "镜湖区"),
        ("Honggutan's 12345 hotline", "红谷滩区"),
        ("courts in Tiaobingshan", "调兵山市"),
    ],
)
def test_english_questions_name_regions_in_pinyin(question, region):
    assert gazetteer_for(SEED_REGIONS).find_english(question)[0] == [region]


def test_ordinary_english_names_no_region():
    assert gazetteer_for(SEED_REGIONS).find_english("Which district has the highest mediation rate?") == ([], "", [])


def test_terms_are_translated_and_place_names_skipped():
    terms = {t.english: t.chinese for t in english_terms("How many legal aid cases did Jinghu accept?", ["镜湖区"])}
    assert "jinghu" not in terms and "how" not in terms
    assert "援助" in terms["aid"] and "案件" in terms["cases"] and "受理" in terms["accept"]


def test_plural_and_derived_forms_find_their_entry():
    terms = {t.english: t.chinese for t in english_terms("mediation of disputes")}
    assert "调解" in terms["mediation"] and "纠纷" in terms["disputes"]


def test_multi_word_entries_win_over_single_words():
    terms = english_terms("the unemployment rate")
    assert [t.english for t in terms] == ["unemployment rate"] and "失业率" in terms[0].chinese


def test_only_words_the_reports_use_are_kept_most_used_first():
    counts = {"案件": 40, "案例": 3}
    (cases,) = chinese_terms("cases", counts)
    assert cases.chinese == ("案件", "案例")
    (gdp,) = chinese_terms("GDP", counts)
    assert gdp.english == "gdp" and gdp.chinese == ()


def test_has_cjk():
    assert has_cjk("镜湖区 legal aid") and not has_cjk("legal aid (2024)")


@pytest.mark.slow
def test_an_english_question_is_answered_with_a_chinese_quote(seeds_index):
    from rag.answer.answer import ask
    from rag.store.store import load_index

    index = load_index(seeds_index)
    answer = ask(index, "How many people's mediation committees does Honggutan have?")
    assert answer.mode == "lookup" and "190" in answer.answer
    (citation,) = answer.citations
    assert citation.region == "红谷滩区" and has_cjk(citation.quote)
    assert index.reports[citation.doc].text[citation.start : citation.end] == citation.quote


@pytest.mark.slow
def test_an_english_question_the_reports_do_not_answer_is_not_found(seeds_index):
    from rag.answer.answer import ask
    from rag.store.store import load_index

    answer = ask(load_index(seeds_index), "What was the unemployment rate in Jinghu in 2024?")
    assert answer.mode == "not_found" and not answer.citations
