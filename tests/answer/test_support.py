"""Whether the best sentence answers (rag/answer/support.py), on Evidence built by hand.

A lookup gathers Evidence for each candidate sentence and `answerable` decides on the best one: first two
rules a figure question must pass (a figure of the asked kind; not a neighbour's figure in a sentence that
names the asked one), then the calibrated confidence against the bar for a figure or for a passage.
"""

from __future__ import annotations

from dataclasses import replace

from rag import Chunk, Hit, Query
from rag.answer.support import (
    NAMES_IT,
    NEIGHBOUR_NAMED,
    PARTIAL_THRESHOLD,
    PASSAGE_THRESHOLD,
    THRESHOLD,
    Evidence,
    answerable,
    confidence,
)

SENTENCE = "全年受理法律援助案件321件。"
CHUNK = Chunk("青山区.txt", 0, len(SENTENCE), SENTENCE, ("一、主要举措和成效",), "青山区2024年法治政府建设情况的报告",
              "青山区", 2024)

FIGURE = Query("青山区受理了多少法律援助案件?", metric="法律援助案件", wants_number=True)
PASSAGE = Query("青山区怎样开展法律援助?")


def evidence(**changes) -> Evidence:
    """The evidence of a sentence that says all the question asks, in the top passage, with its figure."""
    strong = Evidence(
        hit=Hit(CHUNK, 1, 1.0), start=0, end=len(SENTENCE), rank=0, dense=0.9,
        coverage=1.0, sentence_coverage=1.0, phrase=0.2, metric=1.0, named=1.0, head_said=1.0, metric_said=1.0,
        fact_recall=1.0, fact=None, has_number=True, years_ok=True, target_ok=True,
    )
    return replace(strong, **changes)


def test_a_sentence_that_says_what_is_asked_answers_a_figure_and_a_passage_question():
    assert answerable(evidence(), FIGURE)
    assert answerable(evidence(), PASSAGE)
    assert confidence(evidence(), FIGURE) > 0.95


def test_a_sentence_that_says_little_of_the_question_answers_neither():
    weak = evidence(coverage=0.1, sentence_coverage=0.0, rank=4, dense=0.2, years_ok=False)
    assert not answerable(weak, FIGURE)
    assert not answerable(weak, PASSAGE)


def test_a_figure_question_needs_a_figure_of_the_asked_kind_however_well_the_words_match():
    no_figure = evidence(metric=0.0)  # 多少钱 asked, and the sentence gives only 1824人 (or no figure at all)
    assert confidence(no_figure, FIGURE) > THRESHOLD  # the words alone would pass
    assert not answerable(no_figure, FIGURE)
    assert answerable(no_figure, PASSAGE)  # a passage question asks no figure


def test_a_sentence_that_names_the_asked_figure_answers_only_with_that_figure_not_a_neighbours():
    # 粮食单产 asked of "粮食总产量达到300万吨，单产…": the sentence names 单产, the figure chosen is 总产量's
    neighbours = evidence(metric_said=NAMES_IT, named=NEIGHBOUR_NAMED - 0.1)
    assert confidence(neighbours, FIGURE) > THRESHOLD
    assert not answerable(neighbours, FIGURE)
    assert answerable(replace(neighbours, named=NEIGHBOUR_NAMED), FIGURE)  # a figure whose own words name it
    assert answerable(replace(neighbours, metric_said=NAMES_IT - 0.1), FIGURE)  # a sentence that does not name it


def test_a_figure_must_clear_a_higher_bar_than_a_passage():
    # a sentence with part of the question's words, in the second passage: between the two bars
    middling = evidence(coverage=0.3, sentence_coverage=0.2, rank=1, dense=0.8)
    assert PASSAGE_THRESHOLD <= confidence(middling, PASSAGE) < THRESHOLD
    assert confidence(middling, FIGURE) == confidence(middling, PASSAGE)  # the figure itself matches fully
    assert answerable(middling, PASSAGE)
    assert not answerable(middling, FIGURE)


def test_what_a_report_gives_instead_is_said_at_the_lower_bar():
    # _lookup asks at PARTIAL_THRESHOLD whether to say "报告只给出约数 / 只给出目标" rather than not found
    middling = evidence(coverage=0.3, sentence_coverage=0.2, rank=1, dense=0.8)
    assert answerable(middling, FIGURE, PARTIAL_THRESHOLD)
    assert not answerable(middling, FIGURE)


def test_a_figure_of_another_year_or_a_target_for_a_result_counts_against_the_sentence():
    assert confidence(evidence(years_ok=False), FIGURE) < confidence(evidence(), FIGURE)
    assert confidence(evidence(target_ok=False), FIGURE) < confidence(evidence(), FIGURE)
    assert evidence(years_ok=False).score < evidence().score  # and the lookup quotes another sentence if it can
