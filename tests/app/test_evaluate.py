"""Scoring retrieval and answers: the questions file, first-hit rank, answer and citation checks, the report."""

from __future__ import annotations

import dataclasses
import json

import pytest

from rag.answer.answer import ask
from rag.app.evaluate import (
    answer_correct,
    citations_valid,
    evaluate,
    first_hit_rank,
    format_report,
    load_questions,
)
from rag.retrieval import search
from rag.store.store import load_index
from rag.types import Answer, Chunk, Citation, Hit

pytestmark = pytest.mark.slow

DIAOBINGSHAN = "002_224163a7fd249734.txt"
HONGGUTAN = "001_7534e712c36dcd42.txt"
GAOQU = "003_1c343106c8f49d40.txt"

# Our own questions about the seed reports, one of each kind the scorer treats differently.
QUESTIONS = [
    {
        "id": "t1",
        "question": "调兵山市直播庭审多少场?",
        "type": "lookup",
        "answer": "863场",
        "must_contain": ["863"],
        "evidence": [{"doc": DIAOBINGSHAN, "quote": "直播庭审863场"}],
    },
    {
        "id": "t2",
        "question": "哪个地区人民调解员最多?",
        "type": "compare",
        "answer": "红谷滩区，934人",
        "must_contain": ["红谷滩区", "934"],
        "evidence": [
            {"doc": HONGGUTAN, "quote": "人民调解员934人"},
            {"doc": GAOQU, "quote": "人民调解员381名"},
        ],
    },
    {
        "id": "t3",
        "question": "镜湖区的地区生产总值是多少?",
        "type": "unanswerable",
        "answer": "",
        "must_contain": [],
        "evidence": [],
    },
]


@pytest.fixture(scope="module")
def index(seeds_index):
    return load_index(seeds_index)


def hit(rank: int, doc: str, text: str) -> Hit:
    return Hit(Chunk(doc, 0, len(text), text, (), "标题", "某区", 2024), rank, 1.0 / rank)


HITS = [
    hit(1, "a.txt", "全年受理法律援助案件120件。"),
    hit(2, "b.txt", "人民调解员381名。"),
    hit(3, "a.txt", "调解率达40%。"),
]


def test_load_questions_reads_one_object_a_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        "\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n\n", encoding="utf-8"
    )
    assert load_questions(path) == QUESTIONS


def test_load_questions_names_the_bad_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(QUESTIONS[0], ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"q\.jsonl:2"):
        load_questions(path)


def test_first_hit_rank_is_where_the_last_evidence_item_is_covered():
    one = {"type": "lookup", "evidence": [{"doc": "a.txt", "quote": "调解率达40%"}]}
    assert first_hit_rank(one, HITS) == 3
    both = {
        "type": "aggregate",
        "evidence": [{"doc": "a.txt", "quote": "法律援助案件120件"}, {"doc": "b.txt", "quote": "381名"}],
    }
    assert first_hit_rank(both, HITS) == 2


def test_first_hit_rank_needs_every_evidence_item_in_the_right_report():
    missing = {
        "type": "lookup",
        "evidence": [{"doc": "a.txt", "quote": "120件"}, {"doc": "c.txt", "quote": "9件"}],
    }
    assert first_hit_rank(missing, HITS) is None
    wrong_doc = {"type": "lookup", "evidence": [{"doc": "b.txt", "quote": "法律援助案件120件"}]}
    assert first_hit_rank(wrong_doc, HITS) is None
    assert first_hit_rank({"type": "lookup", "evidence": []}, HITS) is None


def test_compare_questions_count_only_their_first_evidence_item():
    compare = {
        "type": "compare",
        "evidence": [{"doc": "b.txt", "quote": "381名"}, {"doc": "c.txt", "quote": "不在任何段落"}],
    }
    assert first_hit_rank(compare, HITS) == 2


def test_answer_correct_needs_every_must_contain_string():
    question = {"type": "compare", "must_contain": ["红谷滩区", "934"]}
    assert answer_correct(question, Answer("q", "**红谷滩区最多**：人民调解员934人", "compare"))
    assert not answer_correct(question, Answer("q", "**红谷滩区最多**", "compare"))
    assert not answer_correct(question, Answer("q", "报告中未找到 红谷滩区 934", "not_found"))


def test_unanswerable_is_correct_only_when_declared_not_found_without_citations():
    question = {"type": "unanswerable", "must_contain": []}
    cited = Citation(1, "a.txt", "标题", "某区", 2024, (), "调解率达40%。", 0, 8)
    assert answer_correct(question, Answer("q", "报告中未找到“q”的答案", "not_found"))
    assert not answer_correct(question, Answer("q", "报告中未找到", "not_found", (cited,)))
    assert not answer_correct(question, Answer("q", "**40%**", "lookup", (cited,)))


def test_citations_valid_catches_a_tampered_quote_or_offset(index):
    answer = ask(index, "哪个区复议调解率最高")
    total = len(answer.citations)
    assert total >= 2 and citations_valid(index, answer) == (total, total)
    first = answer.citations[0]
    for bad in (
        dataclasses.replace(first, quote=first.quote + "。"),
        dataclasses.replace(first, start=first.start + 1),
        dataclasses.replace(first, doc="no-such-report.txt"),
        dataclasses.replace(first, quote="", end=first.start),
    ):
        tampered = dataclasses.replace(answer, citations=(bad, *answer.citations[1:]))
        assert citations_valid(index, tampered) == (total - 1, total)


def test_evaluate_scores_retrieval_answers_and_citations(index):
    result = evaluate(
        index, QUESTIONS, lambda q, k: search(index, q, k=k), ask_fn=lambda q: ask(index, q), k=5
    )
    overall = result["overall"]
    assert (overall["questions"], overall["answerable"]) == (3, 2)
    assert overall["hit@1"] <= overall["hit@3"] <= overall["hit@5"] == 2
    assert 0.2 <= overall["mrr"] <= 1.0
    assert overall["answer_accuracy"] == 3
    assert (
        overall["citation_validity"] == 1.0 and overall["citations_valid"] == overall["citations_total"] > 0
    )
    assert set(result["by_type"]) == {"lookup", "compare", "unanswerable"}
    assert result["by_type"]["unanswerable"]["answerable"] == 0
    assert [q["mode"] for q in result["questions"]] == ["lookup", "compare", "not_found"]


def test_format_report_shows_totals_and_lists_misses(index):
    missed = {
        "id": "t4",
        "question": "调兵山市直播庭审多少场?",
        "type": "lookup",
        "must_contain": ["9999"],
        "evidence": [{"doc": DIAOBINGSHAN, "quote": "这句话不在报告里"}],
    }
    result = evaluate(
        index, [QUESTIONS[0], missed], lambda q, k: search(index, q, k=k), ask_fn=lambda q: ask(index, q)
    )
    text = format_report(result)
    assert text.splitlines()[0].startswith("全部: 2 题  hit@1 ")
    assert "答案正确 1/2" in text and "引用有效 2/2" in text
    assert "未命中 t4 (lookup) rank=None" in text and "未命中 t1" not in text


def test_retrieval_only_evaluation_has_no_answer_scores(index):
    result = evaluate(index, QUESTIONS[:1], lambda q, k: search(index, q, k=k, method="bm25"))
    assert result["overall"]["hit@1"] == 1 and result["overall"]["mrr"] == 1.0
    assert "answer_accuracy" not in result["overall"] and "correct" not in result["questions"][0]
