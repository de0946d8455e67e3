"""Does a passage answer the question? One decision from the evidence, calibrated on labelled questions.

For each candidate sentence the lookup gathers `Evidence`: how much of the question's content it says
(in the thesaurus's names too), how well its best figure matches the asked metric, whether that figure is
of the asked year and kind (a result, not a target), and how the retrieval ranked it. `Evidence.score`
picks the best sentence; `answerable` says whether even the best one answers — else "not found".
The weights are a logistic regression fitted on bench/answerability.jsonl (65 answerable and 45
unanswerable questions written from the reports); `python bench/answerability.py` refits them and prints
the threshold's curve, with false "not found" and false answers counted apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rag.answer.match import canonical_metric
from rag.language.segmentation import words as jieba_words
from rag.question.query import Query
from rag.types import Fact, Hit

# Logistic weights over `Evidence.features()` (bench/answerability.py --fit on bench/answerability.jsonl), and the
# probability above which a lookup is answered: 0.6 is the lowest at which whole answers give at most 5% false
# answers on 498 questions, 348 of them look-alikes generated from the probes (bench/calibration/lookalikes.jsonl;
# the curve in bench/results/answerability_lookalikes.txt: 0.5 gave 8.0% false answers, 0.6 4.9%, and cost 3 of 150
# answerable questions). The look-alikes all ask a figure; a question that asks a passage (有哪些措施, 何时成立)
# keeps the bar it was fitted at, 0.5 (bench/results/answerability.txt): a wrong figure is what must not pass.
WEIGHTS = {"bias": -12.685, "coverage": 1.503, "sentence_coverage": 1.503, "metric": 3.052, "metric_said": 0.0, "named": 0.0, "head_said": 0.0,
           "fact_recall": 0.0, "kind_ok": 0.0, "years_ok": 4.45, "target_ok": 3.016, "rank": 2.79, "dense": 0.287}
THRESHOLD = 0.6  # a question asking a figure
PASSAGE_THRESHOLD = 0.5  # a question asking a passage
# A sentence that says the asked metric (its character pairs, at least this share) answers only with a figure
# whose own words name it at least this well (fact_score by name): else the figure is a neighbour's. Set by hand
# in b3ab2cf for probe H's H63 (人大代表建议 answered by 地方性法规8件) and H73 (粮食单产 by 总产量), not swept;
# bench/results/answerability_lookalikes.txt was measured before this rule.
NAMES_IT = 0.8
NEIGHBOUR_NAMED = 0.3
# Saying what a report gives instead (only a bound, only a target) asserts no answer: it keeps the bar all
# lookups had before the look-alikes raised THRESHOLD (0.5, bench/results/answerability.txt; ca5cf9b).
PARTIAL_THRESHOLD = 0.5




@dataclass(frozen=True)
class Evidence:
    """One candidate sentence of a retrieved passage, and what it has for the question."""

    hit: Hit
    start: int
    end: int
    rank: int  # the passage's rank, 0-based
    dense: float  # cosine of the passage to the question
    coverage: float  # share of the question's content words in the sentence, its headings and title
    sentence_coverage: float  # … in the sentence alone
    phrase: float  # up to 0.2 for saying a long stretch of the metric verbatim
    metric: float  # fact_score of its best figure (0 when no figure is asked or it has none)
    named: float  # … by name alone: how well the figure's own words name what was asked (not its meaning)
    head_said: float  # 1 when the sentence says the asked metric's head word (造林 of 完成造林), else 0
    metric_said: float  # share of the asked metric (in its canonical name) that the sentence says
    fact_recall: float  # … that the best figure's own metric and field say (人均GDP is not 地区生产总值)
    fact: Fact | None
    has_number: bool
    years_ok: bool
    target_ok: bool

    @property
    def score(self) -> float:
        """Which sentence to quote: the one that says most of the question, with the asked figure.

        Not fitted: the weights were set by hand in cdc84ee (the rank's 0.02 in c8d3c2d), not measured.
        bench/answerability.py fits whether the sentence this picks answers, not the pick.
        """
        value = self.coverage + 0.3 * self.sentence_coverage + self.phrase - 0.02 * self.rank + 0.1 * self.dense
        if self.fact is not None or self.has_number:
            value += 0.3 + 0.6 * self.metric
        value += 0.3 if self.years_ok else -0.3
        value += 0.4 if self.target_ok else -0.4
        return value

    def features(self, query: Query) -> dict[str, float]:
        numeric = query.wants_number
        return {
            "coverage": self.coverage,
            "sentence_coverage": self.sentence_coverage,
            "metric": self.metric if numeric else 1.0,
            "metric_said": self.metric_said,
            "named": self.named if numeric else 1.0,
            "head_said": self.head_said,
            "fact_recall": self.fact_recall if numeric else 1.0,
            "kind_ok": float(not numeric or self.metric > 0),  # a figure of the asked kind and unit
            "years_ok": float(self.years_ok),
            "target_ok": float(self.target_ok),
            "rank": 1.0 / (1 + self.rank),
            "dense": self.dense,
        }


def confidence(evidence: Evidence, query: Query, weights: dict[str, float] | None = None) -> float:
    """The probability that `evidence` answers `query`."""
    w = weights or WEIGHTS
    z = w["bias"] + sum(w[name] * value for name, value in evidence.features(query).items())
    return 1 / (1 + math.exp(-z))


def answerable(evidence: Evidence, query: Query, threshold: float | None = None) -> bool:
    """Whether the best sentence answers: a how-many question only by a figure of the asked kind (a rate
    for 率, money for 多少钱, a change for 增速); then by the calibrated confidence."""
    if query.wants_number and evidence.metric <= 0:
        return False
    if query.wants_number and evidence.metric_said >= NAMES_IT and evidence.named < NEIGHBOUR_NAMED:
        return False  # the sentence names the asked figure, but the figure chosen is a neighbour's (总产量 for 单产)
    if threshold is None:
        threshold = THRESHOLD if query.wants_number else PASSAGE_THRESHOLD
    return confidence(evidence, query) >= threshold


def coverage(terms: tuple[tuple[str, ...], ...], text: str) -> float:
    """Weighted share of the content words found in `text` (a word counts in any of its names)."""
    weights = [max(len(w) for w in alts) for alts in terms]
    total = sum(weights)
    if not total:
        return 0.0
    return sum(wt for alts, wt in zip(terms, weights, strict=True) if any(w in text for w in alts)) / total


def metric_recall(query: Query, said: str) -> float:
    """Share of the asked metric's character pairs found in `said`, both in canonical names (the best
    of the metric's names)."""
    said = canonical_metric(said)
    best = 0.0
    for form in query.metric_forms or ((query.metric,) if query.metric else ()):
        asked = canonical_metric(form)
        pairs = {asked[i : i + 2] for i in range(len(asked) - 1)} or {asked}
        best = max(best, sum(p in said for p in pairs) / len(pairs))
    return best


def metric_said(query: Query, sentence: str) -> float:
    """Share of the asked metric's character pairs the sentence says, both in canonical names: 人均GDP
    asked of a sentence giving only 地区生产总值 lacks 人均 (1 when no metric is asked)."""
    return metric_recall(query, sentence) if query.metric_forms or query.metric else 1.0


def head_said(query: Query, sentence: str) -> float:
    """1.0 when `sentence` says the head word of the asked metric in one of its names (造林 of 完成造林,
    装机 of 电力总装机), else 0.0; 1.0 when no metric is asked."""
    forms = query.metric_forms or ((query.metric,) if query.metric else ())
    if not forms:
        return 1.0
    said = canonical_metric(sentence)
    for form in forms:
        words = [w for w in jieba_words(canonical_metric(form)) if len(w) >= 2]
        if not words or words[-1] in said or words[-1] in sentence:
            return 1.0
    return 0.0


def phrase_bonus(query: Query, sentence: str) -> float:
    """Up to 0.2 for saying a long stretch of the metric verbatim: 开展法治宣传活动 beats 宣传活动.
    0.2, from 3 characters, full at PHRASE_MOST: set by hand in 85e49b8 with
    test_lookup_quotes_the_sentence_that_has_the_whole_phrase, not measured."""
    longest = 0
    for form in (query.metric, *query.metric_forms):
        if form:
            longest = max(longest, shared_run(form, sentence, PHRASE_MOST))
    return 0.2 * longest / PHRASE_MOST if longest >= 3 else 0.0


PHRASE_MOST = 10  # characters: a longer shared stretch earns no more


def shared_run(a: str, b: str, most: int) -> int:
    """Length of the longest stretch of `a` that `b` says too, counted up to `most`.

    What difflib's find_longest_match gave here (the same on every sentence of the seeds), in time linear in
    the inputs: difflib's is quadratic, and a 6,000-character question took 53 s in it (issue 19). A
    stretch of n shared characters holds one of n − 1, so the length is found by bisection.
    """
    lo, hi = 0, min(most, len(a), len(b))
    while lo < hi:
        size = (lo + hi + 1) // 2
        pieces = (a[i : i + size] for i in range(len(a) - size + 1))
        if len(a) <= 64:  # a metric's name: a C substring search in `b` per piece
            found = any(p in b for p in pieces)
        else:
            grams = {b[i : i + size] for i in range(len(b) - size + 1)}
            found = any(p in grams for p in pieces)
        lo, hi = (size, hi) if found else (lo, size - 1)
    return lo
