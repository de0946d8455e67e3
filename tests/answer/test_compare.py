"""Comparisons over every report (rag/answer/compare.py), on a few reports written here, without the model.

Each test writes the sentences the reports say, asks the question as a user would, and reads the ranking:
its rows, its headline, and what it lists apart (a change only, another currency, another level, no figure).
"""

from __future__ import annotations

import numpy as np
import pytest

from rag import Index, Report, parse
from rag.answer.compare import compare
from rag.documents.facts import extract_facts
from rag.documents.sections import chunk_report
from rag.types import READING, SOURCES, TABLE, TEXT, markdown, read_blocks

DIM = 8  # the vectors here are all zero: the comparison then runs on the figures' names alone


class NoMeaning:
    """An embedder that finds every text equally far from every other (closeness in meaning plays no part)."""

    def encode_query(self, texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), DIM), np.float32)


def report(region: str, body: str, year: int = 2024, level: str = "county", parents: tuple[str, ...] = (),
           title: str = "", kind: str = "法治政府建设情况报告") -> Report:
    """A report of `region` on `year` whose one section says `body` (a 政府工作报告 of a year reviews the year before)."""
    title = title or f"{region}人民政府关于{year}年法治政府建设情况的报告"
    text = f"{title}\n\n一、主要举措和成效\n{body}\n"
    doc = f"{region}_{year}.txt"
    reviews = (year - 1,) if kind == "政府工作报告" else (year,)
    return Report(doc, doc, text, ((0, len(text)),), title, region, year, level=level, parents=parents, kind=kind,
                  reviews=reviews)


def index_of(*reports: Report) -> Index:
    """An index of `reports` as `rag index` would make it, less the vectors: chunks and the facts read from them."""
    by_doc = {r.doc: r for r in reports}
    chunks = [c for r in reports for c in chunk_report(r)]
    facts = [f for c in chunks for f in extract_facts(c)]
    return Index(None, {"model": "none"}, by_doc, chunks, np.zeros((len(chunks), DIM), np.float32),
                 [[] for _ in chunks], facts, None, None)


def ask(index: Index, question: str):
    return compare(index, parse(question, index), NoMeaning())


def ranked(answer) -> list[tuple[str, float]]:
    return [(r.region, r.value) for r in answer.rows]


def assert_quotes_are_verbatim(index: Index, answer) -> None:
    for c in answer.citations:
        assert index.reports[c.doc].text[c.start : c.end] == c.quote


@pytest.fixture(scope="module")
def legal_aid() -> Index:
    return index_of(
        report("青山区", "全年受理法律援助案件120件。"),
        report("东湖区", "全年受理法律援助案件95件。"),
        report("西山县", "全年受理法律援助案件310件。"),
        report("南岭县", "群众满意度不断提升。"),
    )


def test_the_highest_leads_and_every_report_with_the_figure_is_ranked(legal_aid):
    answer = ask(legal_aid, "哪个地区法律援助案件最多?")
    assert answer.mode == "compare"
    assert answer.answer.startswith("**西山县最多**：法律援助案件310件")
    assert ranked(answer) == [("西山县", 310), ("青山区", 120), ("东湖区", 95)]
    assert [r.citation.n for r in answer.rows] == [1, 2, 3]
    assert_quotes_are_verbatim(legal_aid, answer)


def test_the_lowest_ranks_ascending(legal_aid):
    answer = ask(legal_aid, "哪个地区受理的法律援助案件最少?")
    assert answer.answer.startswith("**东湖区最少**")
    assert ranked(answer) == [("东湖区", 95), ("青山区", 120), ("西山县", 310)]


def test_top_n_heads_the_answer_with_n_regions_and_the_table_keeps_them_all(legal_aid):
    answer = ask(legal_aid, "法律援助案件最多的前两名是哪些地区?")
    assert answer.answer.startswith("**法律援助案件最多的2个**：1. 西山县 310件")
    assert "2. 青山区 120件" in answer.answer.split("\n")[0] and "东湖区" not in answer.answer.split("\n")[0]
    assert len(answer.rows) == 3


def test_a_region_that_gives_no_figure_is_named(legal_aid):
    answer = ask(legal_aid, "哪个地区法律援助案件最多?")
    assert "未给出该数字：南岭县" in answer.answer
    assert "南岭县" not in {r.region for r in answer.rows}


def test_equal_figures_are_a_tie_in_the_order_of_their_names():
    index = index_of(
        report("青山区", "全年受理法律援助案件120件。"),
        report("东湖区", "全年受理法律援助案件120件。"),
        report("西山县", "全年受理法律援助案件95件。"),
    )
    answer = ask(index, "哪个地区法律援助案件最多?")
    assert answer.answer.startswith("**东湖区、青山区并列最多**")
    assert ranked(answer) == [("东湖区", 120), ("青山区", 120), ("西山县", 95)]


def test_a_threshold_names_every_region_that_reaches_it_ties_included():
    index = index_of(
        report("青山区", "全年新收行政复议案件40件，调解率达40%。"),
        report("东湖区", "全年新收行政复议案件30件，调解率达40%。"),
        report("西山县", "全年新收行政复议案件20件，调解率达25%。"),
    )
    answer = ask(index, "哪些地区复议调解率达到40%?")
    assert answer.answer.startswith("**东湖区、青山区**") and "共 2 个" in answer.answer


def test_a_region_that_gives_only_a_change_is_listed_apart_and_cited():
    index = index_of(
        report("青山区", "全年新收行政复议案件40件，调解率达40%。"),
        report("东湖区", "全年新收行政复议案件30件，调解率达35%。"),
        report("西山县", "行政复议调解率同比提高10个百分点。"),
    )
    answer = ask(index, "哪个区复议调解率最高?")
    assert ranked(answer) == [("青山区", 40), ("东湖区", 35)]
    apart = answer.answer.split("其他报告：")[1]
    assert "西山县只报告了变化量" in apart and "未参与排名" in apart
    assert len(answer.citations) == 3  # the two ranked rows and the change
    assert_quotes_are_verbatim(index, answer)


def test_figures_in_another_currency_are_listed_apart_not_ranked():
    index = index_of(
        report("青山区", "全年实际利用外资12亿元。"),
        report("东湖区", "全年实际利用外资30亿元。"),
        report("西山县", "全年实际利用外资5亿美元。"),
    )
    answer = ask(index, "哪个地区实际利用外资最多?")
    assert ranked(answer) == [("东湖区", 30), ("青山区", 12)]
    assert "西山县以另一种货币报告" in answer.answer


def test_a_comparison_that_names_no_level_ranks_the_level_most_figures_are_of():
    index = index_of(
        report("青山区", "全年受理法律援助案件120件。", parents=("岭南省",)),
        report("东湖区", "全年受理法律援助案件95件。", parents=("岭南省",)),
        report("岭南省", "全年受理法律援助案件3100件。", level="province"),
    )
    answer = ask(index, "哪里法律援助案件最多?")
    assert ranked(answer) == [("青山区", 120), ("东湖区", 95)]
    assert "岭南省（省级）" in answer.answer and "不与其他层级的地区同列排名" in answer.answer


def test_a_series_gives_each_year_from_the_report_that_reviews_it_and_notes_a_later_revision():
    title = "{}年青山区政府工作报告"
    index = index_of(
        report("青山区", "2022年，全区地区生产总值达到100亿元。", year=2023, title=title.format(2023),
               kind="政府工作报告"),
        report("青山区", "2023年，全区地区生产总值达到110亿元。", year=2024, title=title.format(2024),
               kind="政府工作报告"),
        report("青山区", "2023年，全区地区生产总值为112亿元；2024年，全区地区生产总值达到120亿元。", year=2025,
               title=title.format(2025), kind="政府工作报告"),
    )
    answer = ask(index, "青山区历年地区生产总值分别是多少?")
    assert [(r.year, r.value) for r in answer.rows] == [(2022, 100), (2023, 110), (2024, 120)]
    assert answer.answer.startswith("**青山区**地区生产总值：2022年100亿元，2023年110亿元，2024年120亿元。")
    assert "110亿元（2025年报告修订为112亿元）" in answer.answer
    assert_quotes_are_verbatim(index, answer)


def test_the_answer_comes_in_blocks_the_chat_and_memo_format_apart(legal_aid):
    answer = ask(legal_aid, "哪个地区法律援助案件最多?")
    assert [kind for kind, _ in answer.blocks] == [TEXT, TABLE, TEXT, READING, TEXT, SOURCES]
    assert markdown(answer.blocks) == answer.answer
    table = dict(answer.blocks)[TABLE].split("\n")
    assert table[0] == "| 地区 | 年份 | 指标 | 数值 | 原文 |" and len(table) == 2 + len(answer.rows)
    assert read_blocks(answer.answer) == answer.blocks  # the same answer restored from its Markdown alone
