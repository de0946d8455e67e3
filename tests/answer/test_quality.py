"""Quality gates over the seeds: the development questions and our own calibration set (bench/calibration.jsonl).

These fail when a change makes retrieval or answers worse than what the closing notes report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.answer import ask
from rag.app.evaluate import evaluate, load_questions, retrieve_for
from rag.store.store import load_index

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT = ROOT.parent / "shared" / "eval" / "questions.jsonl"
CALIBRATION = ROOT / "bench" / "calibration.jsonl"


def run(index_path: Path, questions: Path) -> dict:
    index = load_index(index_path)
    return evaluate(
        index, load_questions(questions), lambda q, k: retrieve_for(index, q, k), lambda q: ask(index, q), k=5
    )


@pytest.mark.skipif(not DEVELOPMENT.exists(), reason="../shared/eval is not present")
def test_development_questions(seeds_index):
    result = run(seeds_index, DEVELOPMENT)
    overall, by_type = result["overall"], result["by_type"]
    assert overall["hit@5"] >= 19 and overall["answer_accuracy"] >= 19
    assert overall["citation_validity"] == 1.0
    for kind in ("compare", "aggregate", "unanswerable"):
        assert by_type[kind]["answer_accuracy"] == by_type[kind]["questions"], kind


def test_calibration_questions_in_chinese_and_english(seeds_index):
    result = run(seeds_index, CALIBRATION)
    rows = {r["id"]: r for r in result["questions"]}
    unanswerable = [r for r in rows.values() if r["type"] == "unanswerable"]
    english = [r for i, r in rows.items() if i.startswith("e")]
    assert sum(r["correct"] for r in unanswerable) >= len(unanswerable) - 1
    assert sum(r["correct"] for r in english) >= len(english) - 1
    assert result["overall"]["citation_validity"] == 1.0
