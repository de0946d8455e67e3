"""Reports whose region, year or title cannot be read: every kind of question still answers, none raises.

A user's folder holds what its publishers saved: a page with no title, a report that never names its place, one
that names no year. Those fields stay unknown (rag docs says so); questions over such an index are answered or
declared not found, in every intent, and never take the batch down with an exception.
"""

from __future__ import annotations

import itertools

import pytest

from rag.answer.answer import ask
from rag.store.store import add_reports, load_index

pytestmark = pytest.mark.slow

BODY = "全年新收行政复议案件{cases}件，调解率达40%。全年受理法律援助案件{aid}件。下一步，我们将持续推进依法行政。"


def _report(region: bool, year: bool, title: bool, n: int) -> str:
    place = ["青山区", "东湖区", "西山县", "北塘区"][n % 4] if region else ""
    when = f"{2021 + n % 3}年" if year else ""
    head = f"{place}人民政府关于{when}法治政府建设情况的报告\n" if title and (place or when) else ""
    opening = f"{when}，{place}坚持依法行政。" if place and when else f"{when}，全区坚持依法行政。" if when else "全区坚持依法行政。"
    body = BODY.format(cases=40 + n, aid=120 + 3 * n)
    return f"{head}{opening}\n一、主要举措和成效\n{body}\n二、存在的问题\n一是基层力量薄弱。\n"


@pytest.fixture(scope="module")
def unknowns(tmp_path_factory):
    work = tmp_path_factory.mktemp("unknowns")
    folder = work / "reports"
    folder.mkdir()
    for n, (region, year, title) in enumerate(itertools.product([True, False], repeat=3)):
        (folder / f"t{n:02d}_{n * 7919 % 1000}.txt").write_text(_report(region, year, title, n), encoding="utf-8")
    result = add_reports(work / "index", [folder])
    assert not result.failed and len(result.added) == 8
    return load_index(work / "index")


def test_unknown_fields_stay_unknown(unknowns):
    reports = list(unknowns.reports.values())
    assert sum(1 for r in reports if not r.region) >= 3 and sum(1 for r in reports if r.year is None) >= 3
    assert all(r.region in ("", "青山区", "东湖区", "西山县", "北塘区") for r in reports)


QUESTIONS = [
    ("青山区2022年受理法律援助案件多少件？", []),
    ("哪个区复议调解率最高？", []),
    ("哪些地方调解率超过三成？", []),
    ("各地分别受理了多少法律援助案件？", []),
    ("青山区历年法律援助案件分别是多少？", []),
    ("2021到2023年行政复议案件各是多少？", []),
    ("青山区存在哪些问题？", []),
    ("下一步有什么打算？", []),
    ("那东湖区呢？", ["哪个区复议调解率最高？"]),
    ("那2023年的呢？", ["青山区2022年受理法律援助案件多少件？"]),
    ("其中最低的是哪个？", ["各地分别受理了多少法律援助案件？"]),
    ("索引里有哪些地区的报告？", []),
    ("去年全区调解率是多少？", []),
    ("What is the mediation rate of Qingshan district?", []),
]


@pytest.mark.parametrize(("question", "history"), QUESTIONS, ids=[q for q, _ in QUESTIONS])
def test_every_intent_answers_without_raising(unknowns, question, history):
    answer = ask(unknowns, question, history=history)
    assert answer.mode in ("lookup", "compare", "not_found")
    assert "None年" not in answer.answer and "年份不详年" not in answer.answer
    for c in answer.citations:
        assert unknowns.reports[c.doc].text[c.start : c.end] == c.quote
