"""Hybrid retrieval: BM25 over jieba tokens and dense FAISS search, fused, with region/year filters.

Filters are masks over the chunk columns (rag/store/tables.py); BM25's best are taken by partition, not a
full sort; dense search runs over each segment's FAISS index with a bitmap of the allowed rows (rag/store/dense.py).

`retrieve` takes a parsed question (rag/question/query.py): its terms, with the thesaurus's other names for its
metric, go to BM25; its wording to the dense model; its regions and period become filters.
`search` is the same over a plain text, for `rag search`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from rag.embedding.embed import Embedder
from rag.errors import ArgumentError
from rag.language.characters import has_cjk
from rag.language.crosslingual import chinese_terms
from rag.limits import question_refusal
from rag.question.query import Query
from rag.store.store import Index
from rag.types import Hit

METHODS = ("hybrid", "bm25", "dense")
# Weighted reciprocal rank fusion (Cormack et al. 2009, k=60), dense weighted well below BM25. On 31
# questions (bench/tune.py, eval + calibration) MRR over the seeds: BM25 0.891, dense 0.751, RRF with
# dense at 0.6 0.870 (dense noise pushes exact figures down), at 0.2 0.909; over seeds + corpus (86
# reports): BM25 0.850 (hit@5 29/31), RRF at 0.2 0.861 (hit@5 30/31).
RRF_K = 60
BM25_WEIGHT = 1.0
DENSE_WEIGHT = 0.2
POOL = 100  # candidates taken from each ranking before fusion: set by hand in c8d3c2d, not measured


def search(
    index: Index,
    query: str,
    k: int = 10,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    method: str = "hybrid",
    embedder: Embedder | None = None,
) -> list[Hit]:
    """The `k` best chunks for a text `query`, best first (`rag search`).

    `regions` / `years` restrict the search; when none are given, regions named in the query
    itself ("镜湖区法律援助…", looked up in the index's gazetteer) restrict it to those reports.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    refusal = question_refusal(query)  # a 1 MB query is refused, not segmented and embedded (rag/limits.py)
    if refusal:
        raise ArgumentError(refusal)
    if not index.chunks or not query.strip():
        return []
    if not regions:
        gazetteer = index.gazetteer()
        named = [m.region for m in gazetteer.find(query) if m.region] if has_cjk(query) else gazetteer.find_english(query)[0]
        regions = named
    return _ranked(index, query, query, k, set(regions or ()), set(years or ()), method, embedder)


def retrieve(index: Index, query: Query, k: int = 10, method: str = "hybrid", embedder: Embedder | None = None) -> list[Hit]:
    """The `k` best chunks for a parsed question: its terms for BM25, its wording for the dense model,
    restricted to the regions it names (or its group) and to the reports that speak of its years."""
    if not index.chunks:
        return []
    regions = set(query.regions) or (set(query.scope.regions) if query.scope.previous or query.scope.within else set())
    years = set(query.period.report_years or ())
    # The question's own words with the report name of its metric (GDP → 地区生产总值): on 84 lookups written
    # from the reports, hit@5 81 and MRR 0.853, against 79 / 0.831 with every name of every term and 68 / 0.691
    # with the words alone (bench/results/retrieval.txt)
    words = dense_text(query)
    lexical = f"{words} {' '.join(query.metric_forms[:1])}" if query.language == "zh" else f"{query.search_text} {words}"
    if query.intent == "summary":  # 打算 finds the section headed 安排
        lexical = f"{lexical} {query.search_text}"
    return _ranked(index, lexical, words, k, regions, years, method, embedder)


def dense_text(query: Query) -> str:
    """What the dense model reads: the question as typed, or for a follow-up the question it stands for."""
    if not query.followup:
        return query.text
    return " ".join(x for x in (*query.regions, query.period.label, query.field, query.metric or query.text) if x)


def _ranked(index, lexical: str, dense: str, k, regions: set[str], years: set[int], method, embedder) -> list[Hit]:
    allowed = index.chunks.allowed(regions, years)
    if not allowed.any():
        return []
    ranked: list[tuple[np.ndarray, float]] = []
    if method in ("hybrid", "bm25"):
        ranked.append((_bm25_ranking(index, lexical, allowed), BM25_WEIGHT))
    if method in ("hybrid", "dense"):
        embedder = embedder or index.embedder()
        ranked.append((_dense_ranking(index, dense, allowed, embedder), DENSE_WEIGHT))
    scores: dict[int, float] = {}
    for ids, weight in ranked:
        for rank, i in enumerate(ids[:POOL]):
            scores[int(i)] = scores.get(int(i), 0.0) + weight / (RRF_K + rank + 1)
    best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [Hit(index.chunks[i], rank, score) for rank, (i, score) in enumerate(best, start=1)]


def _bm25_ranking(index: Index, query: str, allowed: np.ndarray) -> np.ndarray:
    if not has_cjk(query):  # an English question shares no words with the reports: look its terms up
        terms = chinese_terms(query, index.word_counts, index.regions)
        query = " ".join(w for t in terms for w in t.chinese) + " " + query
    tokens = index.segmenter().tokens(query)
    if not tokens:
        return np.array([], dtype=np.int64)
    return top_rows(index.bm25.get_scores(tokens), allowed, POOL)


def top_rows(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """Rows of the `k` best positive `scores` among `allowed`, best first, ties in row order: what a stable
    argsort of all of them gives, without sorting a million (a full argsort took 56-117 ms at 1M)."""
    rows = np.flatnonzero(allowed & (scores > 0))
    if len(rows) > k:
        values = scores[rows]
        kth = np.partition(values, len(values) - k)[len(values) - k]
        rows = rows[values >= kth]  # every row tied with the k-th stays, for the tie-break below
    return rows[np.lexsort((rows, -scores[rows]))][:k]


def _dense_ranking(index: Index, query: str, allowed: np.ndarray, embedder: Embedder) -> np.ndarray:
    q = embedder.encode_query([query]).astype(np.float32)
    n = min(POOL, int(allowed.sum()))
    return index.faiss_index.search(q, n, None if allowed.all() else allowed)
