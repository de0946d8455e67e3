"""BM25 from postings (rag/store/lexical.py) against bm25s on the same tokens, and the ranking cut (rag/retrieval.py)."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import pytest

from rag.documents.sections import chunk_report
from rag.language.segmentation import Segmenter
from rag.retrieval import top_rows
from rag.store.lexical import Lexical, build_postings, concat_postings
from rag.types import Report

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
EXTRA = "青山区人民政府关于2024年的报告\n全年受理法律援助案件321件，人民调解化解率达97.5%。\n"

QUERIES = ["镜湖区2024年受理法律援助案件多少件", "哪个区复议调解率最高", "12345热线转办件", "举措 举措 优化营商环境",
           "legal aid 法律援助", "没有这个词"]


@pytest.fixture(scope="module")
def corpus():
    from rag.documents.ingest import read_report

    reports = [read_report(p) for p in sorted(SEEDS.glob("*.txt"))]
    reports.append(Report("small.txt", "small.txt", EXTRA, ((0, len(EXTRA)),), "报告", "青山区", 2024))
    segmenter = Segmenter(sorted({r.region for r in reports}))
    tokens = [segmenter.tokens(c.text) for r in reports for c in chunk_report(r)]
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in tokens]
    flat = np.array([t for doc in ids for t in doc], np.int32)
    starts = np.zeros(len(ids) + 1, np.int64)
    np.cumsum([len(doc) for doc in ids], out=starts[1:])
    return segmenter, tokens, vocab, ids, flat, starts


def _reference(tokens):
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    return bm25


def test_scores_are_bm25s_scores_to_the_bit(corpus):
    segmenter, tokens, vocab, ids, flat, starts = corpus
    postings = build_postings(flat, starts, len(vocab))
    ours = Lexical(vocab, postings.doc_freqs(len(vocab)), [(postings, 0)], np.diff(starts))
    reference = _reference(tokens)
    for q in QUERIES:
        words = segmenter.tokens(q)
        assert np.array_equal(ours.get_scores(words), reference.get_scores(words)), q


def test_segments_with_removed_rows_score_as_bm25s_over_the_rest(corpus):
    segmenter, tokens, vocab, ids, flat, starts = corpus
    half = len(ids) // 2
    first = build_postings(flat[: starts[half]], starts[: half + 1], len(vocab))
    second = build_postings(flat[starts[half] :], starts[half:] - starts[half], len(vocab))
    whole = build_postings(flat, starts, len(vocab))
    joined = concat_postings([(first, np.arange(half)), (second, np.arange(len(ids) - half) + half)], len(vocab))
    assert all(np.array_equal(a, b) for a, b in zip(joined.__dict__.values(), whole.__dict__.values(), strict=True))
    removed = {3, half + 1, len(ids) - 1}
    live = np.array([i for i in range(len(ids)) if i not in removed])
    df = whole.doc_freqs(len(vocab))
    for row in removed:
        df[sorted(set(ids[row]))] -= 1
    ours = Lexical(vocab, df, [(first, 0), (second, half)], np.diff(starts), live)
    reference = _reference([tokens[i] for i in live])
    for q in QUERIES:
        words = segmenter.tokens(q)
        assert np.array_equal(ours.get_scores(words), reference.get_scores(words)), q


def test_top_rows_is_a_stable_sort_of_all_the_scores():
    rng = np.random.default_rng(0)
    for _ in range(200):
        scores = rng.integers(0, 6, size=rng.integers(1, 400)).astype(np.float32)  # many ties
        allowed = rng.random(len(scores)) < 0.7
        k = int(rng.integers(1, 50))
        masked = np.where(allowed, scores, -np.inf)
        order = np.argsort(-masked, kind="stable")
        expected = order[np.isfinite(masked[order]) & (masked[order] > 0)][:k]
        assert np.array_equal(top_rows(scores, allowed, k), expected)
