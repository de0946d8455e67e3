"""Hybrid retrieval: BM25 over jieba tokens and dense FAISS search, fused, with region/year filters."""

from __future__ import annotations

import re
from collections.abc import Iterable

import faiss
import numpy as np

from rag.crosslingual import chinese_terms, has_cjk, pinyin_spellings, spelled_in
from rag.embed import Embedder
from rag.segment import is_word
from rag.store import Index
from rag.types import Hit

METHODS = ("hybrid", "bm25", "dense")
# Weighted reciprocal rank fusion (Cormack et al. 2009, k=60), dense weighted well below BM25. On 31
# questions (bench/tune.py, eval + calibration) MRR over the seeds: BM25 0.891, dense 0.751, RRF with
# dense at 0.6 0.870 (dense noise pushes exact figures down), at 0.2 0.909; over seeds + corpus (86
# reports): BM25 0.850 (hit@5 29/31), RRF at 0.2 0.861 (hit@5 30/31).
RRF_K = 60
BM25_WEIGHT = 1.0
DENSE_WEIGHT = 0.2
POOL = 100  # candidates taken from each ranking before fusion

_CJK = re.compile(r"[\u4e00-\u9fff]")


def search(
    index: Index,
    query: str,
    k: int = 10,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    method: str = "hybrid",
    embedder: Embedder | None = None,
) -> list[Hit]:
    """The `k` best chunks for `query`, best first.

    `regions` / `years` restrict the search; when none are given, regions named in the query
    itself ("镜湖区法律援助…") restrict it to those reports.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if not index.chunks or not query.strip():
        return []
    regions = set(regions or ()) or set(regions_in(query, index.regions))
    allowed = _allowed(index, regions, set(years or ()))
    if not allowed.any():
        return []
    ranked: list[tuple[np.ndarray, float]] = []
    if method in ("hybrid", "bm25"):
        ranked.append((_bm25_ranking(index, query, allowed), BM25_WEIGHT))
    if method in ("hybrid", "dense"):
        embedder = embedder or index.embedder()
        ranked.append((_dense_ranking(index, query, allowed, embedder), DENSE_WEIGHT))
    scores: dict[int, float] = {}
    for ids, weight in ranked:
        for rank, i in enumerate(ids[:POOL]):
            scores[int(i)] = scores.get(int(i), 0.0) + weight / (RRF_K + rank + 1)
    best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [Hit(index.chunks[i], rank, score) for rank, (i, score) in enumerate(best, start=1)]


def regions_in(text: str, regions: Iterable[str]) -> list[str]:
    """Indexed region names that `text` mentions as a place (高区 in 威海高区, not in 提高区域).

    English questions name places in pinyin: "Jinghu district" mentions 镜湖区.
    """
    found = []
    latin_words = re.findall(r"[a-z]+", text.lower())
    for region in sorted(regions, key=len, reverse=True):
        for name in (region, *short_names(region)):
            m = next((m for m in re.finditer(re.escape(name), text)
                      if len(name) > 2 or _at_word_edge(text, m.start(), m.end())), None)
            if m:
                if not any(region in longer for longer in found):
                    found.append(region)
                break
        if latin_words and region not in found and spelled_in(latin_words, pinyin_spellings(region)):
            found.append(region)
    return found


def short_names(region: str) -> tuple[str, ...]:
    """How people shorten a province or city: 福建省 → 福建, 广西壮族自治区 → 广西, 北京市 → 北京."""
    if region.endswith("自治区"):
        return ("内蒙古",) if region.startswith("内蒙古") else (region[:2],)
    if region.endswith(("省", "市")) and len(region) >= 3:
        return (region[:-1],)
    return ()


def _at_word_edge(text: str, start: int, end: int) -> bool:
    """Whether a two-character name stands as a word: 高区 in 威海高区, not in 提高区域 or 提高区级."""
    before, after = text[start - 1 : start], text[end : end + 1]
    if not _CJK.match(before) or before in "市省县州":
        return True
    if is_word(before + text[start]):
        return False
    # 区域 ends no place name, but 岭北 + 地区 does
    return text[end : end + 2] == "地区" or after in "的和与及、，,。？?！!" or not is_word(text[end - 1] + after)


def _allowed(index: Index, regions: set[str], years: set[int]) -> np.ndarray:
    mask = np.ones(len(index.chunks), dtype=bool)
    if regions:
        mask &= np.array([c.region in regions for c in index.chunks])
    if years:
        mask &= np.array([c.year in years for c in index.chunks])
    return mask


def _bm25_ranking(index: Index, query: str, allowed: np.ndarray) -> np.ndarray:
    if not has_cjk(query):  # an English question shares no words with the reports: look its terms up
        terms = chinese_terms(query, index.word_counts, index.regions)
        query = " ".join(w for t in terms for w in t.chinese) + " " + query
    tokens = index.segmenter().tokens(query)
    if not tokens:
        return np.array([], dtype=np.int64)
    scores = index.bm25.get_scores(tokens)
    scores = np.where(allowed, scores, -np.inf)
    order = np.argsort(-scores, kind="stable")
    return order[np.isfinite(scores[order]) & (scores[order] > 0)][:POOL]


def _dense_ranking(index: Index, query: str, allowed: np.ndarray, embedder: Embedder) -> np.ndarray:
    q = embedder.encode_query([query]).astype(np.float32)
    n = min(POOL, int(allowed.sum()))
    params = None
    if not allowed.all():
        selector = faiss.IDSelectorBatch(np.flatnonzero(allowed).astype(np.int64))
        params = faiss.SearchParametersHNSW(sel=selector) if hasattr(index.faiss_index, "hnsw") else (
            faiss.SearchParameters(sel=selector)
        )
    _, ids = index.faiss_index.search(q, n, params=params)
    return ids[0][ids[0] >= 0]
