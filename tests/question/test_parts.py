"""A question in two parts is asked as a question and its follow-up, and answered in one."""

from __future__ import annotations

import pytest

from rag.answer.answer import ask
from rag.question.parts import split_parts
from rag.store.store import load_index


@pytest.mark.parametrize(
    "question, parts",
    [
        ("光明区2021年共减少事业单位多少家，精简率多少？", ["光明区2021年共减少事业单位多少家", "精简率多少"]),
        ("南山区人均GDP多少钱？建区的时候呢？", ["南山区人均GDP多少钱", "建区的时候呢"]),
        ("2024年，镜湖区受理法律援助案件多少件？", ["2024年，镜湖区受理法律援助案件多少件？"]),
        ("哪个区复议调解率最高，是多少？", ["哪个区复议调解率最高，是多少？"]),
        ("那红谷滩区呢？", ["那红谷滩区呢？"]),
        ("How many cases? And the rate?", ["How many cases? And the rate?"]),
    ],
)
def test_a_question_splits_where_each_part_asks_something(question, parts):
    assert split_parts(question) == parts


def test_both_parts_are_answered_with_citations_numbered_through(seeds_index):
    index = load_index(seeds_index)
    answer = ask(index, "镜湖区2024年行政复议调解结案多少件，调解率多少？")
    assert answer.mode == "lookup"
    assert "**问：镜湖区2024年行政复议调解结案多少件**" in answer.answer and "**问：调解率多少**" in answer.answer
    assert "44件" in answer.answer and "50.6%" in answer.answer
    assert [c.n for c in answer.citations] == [1, 2] and "[2]" in answer.answer
    text = index.reports[answer.citations[1].doc].text
    assert all(text[c.start : c.end] == c.quote for c in answer.citations)
