"""BM25 over term-frequency postings, scored at query time: bm25s's numbers, without its precomputed matrix.

bm25s (what the index used before) stores every (chunk, term) score, and each score bakes in the number of
chunks, their mean length and the term's document frequency: adding one report changes them all, so every
write rebuilt the matrix. Here each segment of the index (rag/store/layout.py) keeps only its term frequencies
(term → chunks, counts, in CSC form) and the chunks' lengths; the collection statistics are computed at
load, and a query scores the postings of its own terms. The arithmetic is bm25s's, step for step (Lucene
variant, k1 1.5, b 0.75: `bm25s.scoring._score_tfc_robertson`, `_score_idf_lucene`), so the scores are
bm25s's to the bit (tests/store/test_lexical.py holds them against bm25s on the same tokens).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

K1, B = 1.5, 0.75  # bm25s.BM25's defaults
_BLOCK = 200_000  # chunks per block when building postings (bounds the build's memory)


@dataclass(frozen=True)
class Postings:
    """Term → the chunks it occurs in (ascending) and how often: `docs[ptr[t]:ptr[t + 1]]`, `tf[…]`."""

    ptr: np.ndarray  # int64, terms + 1
    docs: np.ndarray  # int32, local chunk rows
    tf: np.ndarray  # uint16

    @property
    def terms(self) -> int:
        return len(self.ptr) - 1

    def doc_freqs(self, terms: int) -> np.ndarray:
        """Chunks containing each term, over `terms` terms (a segment knows only the terms of its time)."""
        out = np.zeros(terms, np.int64)
        out[: self.terms] = np.diff(self.ptr)
        return out


def build_postings(tokens: np.ndarray, starts: np.ndarray, terms: int) -> Postings:
    """Postings of the chunks whose term ids are `tokens[starts[i]:starts[i + 1]]`."""
    import scipy.sparse as sp  # lazy: ~0.2 s to import; loading or searching an index never builds postings

    n = len(starts) - 1
    parts = []
    for lo in range(0, max(n, 1), _BLOCK):
        hi = min(n, lo + _BLOCK)
        ids = np.asarray(tokens[starts[lo] : starts[hi]], np.int32)
        rows = np.repeat(np.arange(hi - lo, dtype=np.int32), np.diff(starts[lo : hi + 1]))
        # coo → csc sums duplicates and keeps each column's rows in input (ascending) order
        m = sp.csc_matrix((np.ones(len(ids), np.int32), (rows, ids)), shape=(hi - lo, terms))
        m.sum_duplicates()
        if m.data.size and m.data.max() > np.iinfo(np.uint16).max:
            raise ValueError("a term occurs more than 65535 times in one chunk")
        block = Postings(m.indptr.astype(np.int64), m.indices.astype(np.int32), m.data.astype(np.uint16))
        parts.append((block, np.arange(hi - lo, dtype=np.int64) + lo))
    return concat_postings(parts, terms)


def concat_postings(parts: Sequence[tuple[Postings, np.ndarray]], terms: int) -> Postings:
    """One Postings of several, each with `remap[old row] = new row` (−1 drops the row); new rows must keep
    the parts' order (part by part, ascending), so each term's chunks stay ascending."""
    counts, kept = [], []
    for p, remap in parts:
        term_of = np.repeat(np.arange(p.terms, dtype=np.int32), np.diff(p.ptr))
        docs = remap[p.docs] if len(p.docs) else np.zeros(0, np.int64)
        keep = docs >= 0
        kept.append((term_of[keep], docs[keep].astype(np.int32), p.tf[keep]))
        counts.append(np.bincount(term_of[keep], minlength=terms)[:terms])
    ptr = np.zeros(terms + 1, np.int64)
    np.cumsum(np.sum(counts, axis=0) if counts else np.zeros(terms, np.int64), out=ptr[1:])
    docs = np.empty(ptr[-1], np.int32)
    tf = np.empty(ptr[-1], np.uint16)
    before = np.zeros(terms, np.int64)  # entries of each term that earlier parts placed
    for (term_of, d, f), count in zip(kept, counts, strict=True):
        first = np.zeros(terms + 1, np.int64)
        np.cumsum(count, out=first[1:])
        at = ptr[term_of] + before[term_of] + (np.arange(len(term_of)) - first[term_of])
        docs[at] = d
        tf[at] = f
        before += count
    return Postings(ptr, docs, tf)


class Lexical:
    """BM25 scores of every chunk for a query's tokens, over the postings of an index's segments.

    `parts` are (postings, first physical row); `lengths` the token count of every physical row; `live`
    the physical rows that are chunks of the index, in its order (None: all of them); `df` the live chunks
    containing each term. `get_scores` answers in the index's own row order, as bm25s.BM25.get_scores does.
    """

    def __init__(self, vocab: dict[str, int], df: np.ndarray, parts: Sequence[tuple[Postings, int]],
                 lengths: np.ndarray, live: np.ndarray | None = None):
        self.vocab = vocab
        self.df = df
        self.parts = list(parts)
        self.rows = len(lengths)
        self.live = live
        live_lengths = lengths if live is None else lengths[live]
        self.n = len(live_lengths)
        # bm25s: np.array([len(doc) for doc in corpus]).mean(), and k1 * ((1 - b) + b * l_d / l_avg)
        avg = np.asarray(live_lengths, np.int64).mean() if self.n else np.float64(1.0)
        self._norm = K1 * ((1 - B) + B * np.asarray(lengths, np.int64) / avg)

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """float32 BM25 score of every chunk; query tokens count as often as they occur (as in bm25s)."""
        scores = np.zeros(self.rows, np.float32)
        for term in (self.vocab[t] for t in tokens if t in self.vocab):
            df = int(self.df[term])
            if not df:
                continue  # no live chunk has it: bm25s would not know the word
            idf = np.float32(math.log(1 + (self.n - df + 0.5) / (df + 0.5)))  # stored as float32 by bm25s
            for postings, first in self.parts:
                if term >= postings.terms:
                    continue
                lo, hi = postings.ptr[term], postings.ptr[term + 1]
                docs = postings.docs[lo:hi] + first if first else postings.docs[lo:hi]
                tf = postings.tf[lo:hi]
                scores[docs] += (np.float64(idf) * (tf / (self._norm[docs] + tf))).astype(np.float32)
        return scores if self.live is None else scores[self.live]
