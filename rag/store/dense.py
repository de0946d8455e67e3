"""Dense search over the index's segments: an exact FAISS scan for a small segment, IVF for a large one.

Measured here (bench/results/scale.json): one exact scan costs ~17 ms at 100k vectors and ~35 ms at 200k,
0.5-0.8 s at 1M; HNSW at 1M near-duplicate vectors found only 33% of the exact top 10, IVF with nlist
4096 and nprobe 32 96% in ~2 ms. So a segment above IVF_ABOVE vectors gets an IVF index (nlist ≈ 4√N,
a power of two), read memory-mapped, and below it the exact scan, as before. Filters are bitmaps
(faiss.IDSelectorBitmap); an IVF segment of which a filter leaves few rows is scanned exactly over those
rows instead, since the probed lists would hold few of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

IVF_ABOVE = 200_000
NPROBE = 32
EXACT_BELOW = 50_000  # allowed rows of an IVF segment scanned exactly (by hand, bf4dbaf; not measured)
_TRAIN_PER_LIST = 64  # training sample: this many vectors per list (FAISS warns below 39)
_ADD_BLOCK = 100_000


def faiss_spec(n: int) -> str:
    """What kind of FAISS index a segment of `n` vectors gets: "flat", or "IVF<nlist>,Flat"."""
    if n <= IVF_ABOVE:
        return "flat"
    return f"IVF{1 << round(math.log2(4 * math.sqrt(n)))},Flat"


def build_faiss(vectors: np.ndarray, dim: int, centroids: np.ndarray | None = None) -> faiss.Index:
    """The FAISS index of a segment's vectors; an IVF reuses `centroids` (an older segment's) when given."""
    spec = faiss_spec(len(vectors))
    if spec == "flat":
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(spec[3:].split(",")[0])
        if centroids is not None and len(centroids) == nlist:
            quantizer = faiss.IndexFlatIP(dim)
            quantizer.add(np.ascontiguousarray(centroids, np.float32))
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)  # keeps a reference
            index.is_trained = True
        else:
            index = faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT)
            sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), _TRAIN_PER_LIST * nlist), replace=False)
            index.train(np.ascontiguousarray(vectors[np.sort(sample)], np.float32))
        index.nprobe = NPROBE
    for lo in range(0, len(vectors), _ADD_BLOCK):
        index.add(np.ascontiguousarray(vectors[lo : lo + _ADD_BLOCK], np.float32))
    return index


def centroids_of(index: faiss.Index) -> np.ndarray | None:
    """An IVF index's list centroids (to add to it without training again); None for other kinds."""
    if not isinstance(index, faiss.IndexIVF):
        return None
    return index.quantizer.reconstruct_n(0, index.nlist)


def read_faiss(path: Path) -> faiss.Index:
    """A segment's FAISS file, memory-mapped: its vectors stay in the page cache, not the heap."""
    with open(path, "rb") as f:
        head = f.read(4)
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP if head.startswith(b"IwF") else faiss.IO_FLAG_MMAP_IFC)
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = NPROBE
    return index


class Dense:
    """The segments' FAISS indexes searched as one, in the index's row order.

    `parts` are (FAISS index, its vectors, first physical row); `live` the physical rows that are chunks of
    the index, in order (None: all), so that removed reports' rows are never found.
    """

    def __init__(self, parts: Sequence[tuple[faiss.Index, np.ndarray, int]], rows: int, live: np.ndarray | None = None):
        self.parts = list(parts)
        self.rows = rows
        self.live = live
        self.logical = None
        if live is not None:
            self.logical = np.full(rows, -1, np.int64)
            self.logical[live] = np.arange(len(live))

    @property
    def ntotal(self) -> int:
        return self.rows if self.live is None else len(self.live)

    @property
    def hnsw(self):
        """The HNSW graph of an index written before IVF (format 1 above 500k chunks)."""
        return self.parts[0][0].hnsw

    def search(self, q: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """Rows of the `k` chunks nearest to `q` (one query, (1, dim) float32) among `allowed`, best first."""
        mask = None
        if allowed is not None and not allowed.all():
            mask = allowed
        if self.live is not None:
            physical = np.zeros(self.rows, dtype=bool)
            physical[self.live] = True if mask is None else mask
            mask = physical
        found_scores, found_ids = [], []
        for index, vectors, first in self.parts:
            n = index.ntotal
            part = None if mask is None else mask[first : first + n]
            count = n if part is None else int(part.sum())
            if not count or not k:
                continue
            scores, ids = _search_part(index, vectors, q, min(k, count), part, count)
            keep = ids >= 0
            found_scores.append(scores[keep])
            found_ids.append(ids[keep] + first)
        if not found_ids:
            return np.zeros(0, np.int64)
        ids = np.concatenate(found_ids)
        if len(found_ids) > 1:  # each part's list is best first already; merge them, ties in row order
            order = np.argsort(-np.concatenate(found_scores), kind="stable")[:k]
            ids = ids[order]
        return ids if self.logical is None else self.logical[ids]


def _search_part(index, vectors, q, k, part, count) -> tuple[np.ndarray, np.ndarray]:
    params = None
    if isinstance(index, faiss.IndexIVF):
        if part is not None and count <= EXACT_BELOW:  # few rows allowed: exact over them
            rows = np.flatnonzero(part)
            scores = np.asarray(vectors[rows], np.float32) @ q[0]
            top = np.argsort(-scores, kind="stable")[:k]
            return scores[top], rows[top]
        nprobe = index.nprobe if part is None else min(index.nlist, math.ceil(index.nprobe * len(part) / count), 4 * index.nprobe)
        selector = None if part is None else _bitmap(part)
        params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
    elif part is not None:
        selector = _bitmap(part)
        params = faiss.SearchParametersHNSW(sel=selector) if hasattr(index, "hnsw") else (
            faiss.SearchParameters(sel=selector))
    scores, ids = index.search(q, k, params=params)
    return scores[0], ids[0]


class _Bitmap(faiss.IDSelectorBitmap):
    """A bitmap selector that keeps its bits alive as long as FAISS may read them."""

    def __init__(self, bits: np.ndarray):
        self.bits = np.packbits(bits, bitorder="little")
        super().__init__(len(bits), faiss.swig_ptr(self.bits))


def _bitmap(mask: np.ndarray) -> faiss.IDSelector:
    return _Bitmap(mask)
