"""What each figure measures, in meaning: one vector per distinct fact metric phrase, built at
index time, so "按时办完的占比" finds 按期办结率 and "科研上花了多少钱" finds 研发投入.

There are thousands of distinct metric phrases, not millions (9,885 for the 86 reports), so they are
embedded once when the index is written (only phrases the previous version lacks) and compared with the
asked metric's vector by one matrix product. Both sides are embedded as queries: e5 reads short phrases
compared with each other best that way (its model card: "query:" for symmetric tasks).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.types import Fact

# e5's cosines between short phrases crowd into a band: below LOW is unrelated, HIGH and above the same figure.
# Set by hand in 9d0e07b; no measurement of them is recorded (bench/ has none), so: not measured.
LOW, HIGH = 0.80, 0.94


def phrase(fact: Fact) -> str:
    """What is embedded for a fact: its metric alone (the field is weighed apart, as by name: a shared
    行政复议 must not make 结案率 close to 调解率)."""
    return fact.metric


@dataclass(frozen=True)
class MetricVectors:
    """Unit vectors of metric phrases; `rows[phrase]` is the phrase's row of `matrix`."""

    rows: dict[str, int]
    matrix: np.ndarray

    def similarity(self, asked: np.ndarray, facts: Iterable[Fact]) -> dict[str, float]:
        """Meaning similarity in [0, 1] of `asked` (a unit vector) to each fact's phrase, by phrase."""
        wanted = {phrase(f) for f in facts}
        known = [p for p in wanted if p in self.rows]
        if not known:
            return {}
        cos = self.matrix[[self.rows[p] for p in known]] @ asked
        scaled = np.clip((cos - LOW) / (HIGH - LOW), 0.0, 1.0)
        return dict(zip(known, map(float, scaled), strict=True))


    def nearest(self, asked: np.ndarray, within: float = 0.015, most: int = 3) -> list[str]:
        """The metric phrases closest in meaning to `asked`: the best and those within `within` of it (at most
        `most`; both set by hand in 4e3561d with test_an_english_metric_is_named_by_the_nearest_fact_metrics_in_meaning,
        not swept)."""
        if not len(self.matrix):
            return []
        cos = self.matrix @ asked
        best = np.argsort(-cos)[:most]
        names = {row: p for p, row in self.rows.items()}
        return [names[int(r)] for r in best if cos[r] >= cos[best[0]] - within]


def build_metric_vectors(facts: Iterable[Fact], embedder, old: MetricVectors | None = None) -> MetricVectors:
    """Vectors for every metric phrase of `facts`, reusing those `old` has."""
    phrases = sorted({phrase(f) for f in facts})
    rows = {p: i for i, p in enumerate(phrases)}
    matrix = np.zeros((len(phrases), embedder.dim), np.float32)
    new = [p for p in phrases if old is None or p not in old.rows]
    if old is not None:
        for p in phrases:
            if p in old.rows:
                matrix[rows[p]] = old.matrix[old.rows[p]]
    for p in new:
        # One phrase a call: the int8 model quantises a batch's activations together, so a phrase embedded among
        # others moved by up to 0.0065 in cosine with its batch (bench/embedding_batches.py), a third of the
        # band `nearest` and LOW..HIGH decide in; alone, its vector is the same in every build, and the same as
        # a question's (embedded alone). It costs ~2 ms a phrase instead of ~1.2 ms.
        matrix[rows[p]] = embedder.encode_query([p])[0]
    return MetricVectors(rows, matrix)


def empty(dim: int) -> MetricVectors:
    return MetricVectors({}, np.zeros((0, dim), np.float32))


def save_metric_vectors(folder: Path, vectors: MetricVectors) -> None:
    """metrics.jsonl (the phrases, in row order) and metric_vectors.npy in an index version folder."""
    with open(folder / "metrics.jsonl", "w", encoding="utf-8") as f:
        for p in sorted(vectors.rows, key=vectors.rows.get):
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    np.save(folder / "metric_vectors.npy", vectors.matrix)


def load_metric_vectors(folder: Path, dim: int) -> MetricVectors:
    """The vectors an index version folder holds; none for an index written before them (matched by name)."""
    if not (folder / "metric_vectors.npy").is_file():
        return empty(dim)
    phrases = [json.loads(line) for line in (folder / "metrics.jsonl").read_text(encoding="utf-8").splitlines() if line]
    matrix = np.load(folder / "metric_vectors.npy")
    if len(phrases) != len(matrix) or (len(matrix) and matrix.shape[1] != dim):
        raise ValueError(f"{len(phrases)} phrases, vectors {matrix.shape}")
    return MetricVectors({p: i for i, p in enumerate(phrases)}, matrix)
