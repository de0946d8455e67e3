"""The loaded index: its reports, chunks, facts, vectors, BM25 and FAISS, over the segments of one version.

`assemble` puts a version's segments (rag/store/layout.py) together as one index: the rows of removed reports
left out, row numbers running through the segments in order. Everything is columns or memory-mapped
(rag/store/tables.py, rag/store/lexical.py, rag/store/dense.py), but reads as before: `index.chunks[i]` is a Chunk.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np

from rag.embedding.embed import Embedder, load_embedder
from rag.errors import UnknownDocError
from rag.language.divisions import NATION_NAME, Place
from rag.language.places import Gazetteer, gazetteer_for
from rag.language.segmentation import Segmenter, segmenter_for
from rag.store.dense import Dense
from rag.store.layout import Segment
from rag.store.lexical import Lexical
from rag.store.metric_vectors import MetricVectors
from rag.store.tables import FACT_STRINGS, ChunkTable, Docs, FactTable, Strings, TokenTable, VectorTable
from rag.types import Chunk, Fact, Report


@dataclass
class Index:
    """A loaded index: everything search and answer need.

    `chunks` and `facts` read as sequences of Chunk and Fact (rag/store/tables.py: columns underneath, with
    `rows_of`, `allowed`, `rows` for hot paths); `vectors` as a float32 matrix (memory-mapped); `bm25`
    answers `get_scores(tokens)`, `faiss_index` `search(q, k, allowed)`, both in row order. Given plain
    lists (a test's index), the constructor turns them into these.
    """

    path: Path
    manifest: dict
    reports: dict[str, Report]
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    tokens: Sequence[list[str]]
    facts: Sequence[Fact]
    faiss_index: Dense | None
    bm25: Lexical | bm25s.BM25 | None
    version: str = ""  # the version folder's name: another writer's write changes it
    metric_vectors: MetricVectors | None = None
    segments: list[Segment] = field(default_factory=list, repr=False)  # what a write keeps
    terms: list[str] = field(default_factory=list, repr=False)  # term ids of the segments' tokens
    # reports as their text says they are, where a correction (rag/store/corrections.py) made them otherwise
    as_read: dict[str, Report] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not isinstance(self.chunks, ChunkTable):
            self.chunks = ChunkTable.from_chunks(self.chunks, self.reports)
        if not isinstance(self.facts, FactTable):
            self.facts = FactTable.from_facts(self.facts, self.chunks.docs)
        if self.faiss_index is not None and not isinstance(self.faiss_index, Dense):
            self.faiss_index = Dense([(self.faiss_index, self.vectors, 0)], self.faiss_index.ntotal)

    @property
    def model(self) -> str:
        return self.manifest["model"]

    @property
    def location(self) -> str:
        """Where the index is kept, as a message names it: its folder, or its Milvus location."""
        return self.manifest.get("store") or str(self.path)

    @property
    def option(self) -> str:
        """The option that names this index in a command: `--index FOLDER` or `--store milvus:…`."""
        store = self.manifest.get("store")
        return f"--store {store}" if store else f"--index {self.path}"

    @property
    def backend(self) -> str:
        """The embedding backend the vectors came from; indexes from before backends existed used torch."""
        return self.manifest.get("backend", "torch")

    def embedder(self) -> Embedder:
        """The model and backend to embed queries with: the ones the index was built with."""
        return load_embedder(self.model, self.backend)

    @functools.cached_property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({r.region for r in self.reports.values() if r.region}))

    def segmenter(self) -> Segmenter:
        return segmenter_for(self.regions)

    def gazetteer(self) -> Gazetteer:
        """The places questions may name: this index's regions, then every division of China."""
        return self._gazetteer

    @functools.cached_property
    def _gazetteer(self) -> Gazetteer:
        hints: dict[str, str] = {}
        places: dict[str, Place] = {}
        for r in self.reports.values():
            if r.level:  # what the report says it is (rag/documents/metadata.py)
                places[r.region] = Place(r.region, r.level, tuple(p for p in r.parents if p != NATION_NAME))
            else:  # an index from before: the file name, title and opening say where a report is from
                hints[r.region] = hints.get(r.region, "") + f" {r.doc} {r.title} {r.text[:1500]}"
        return gazetteer_for(self.regions, hints, places)

    @functools.cached_property
    def word_counts(self) -> dict[str, int]:
        """In how many chunks each word occurs: the reports' own words for an English question's terms."""
        if isinstance(self.bm25, Lexical):
            return {t: int(n) for t, n in zip(self.terms, self.bm25.df.tolist(), strict=False) if n}
        return dict(Counter(w for tokens in self.tokens for w in set(tokens)))

    def report(self, doc: str) -> Report:
        if doc not in self.reports:
            raise UnknownDocError(f"没有名为 {doc} 的报告；`rag docs` 列出已索引的报告")
        return self.reports[doc]


def assemble(root: Path, manifest: dict, version: str, segments: list[Segment], terms: list[str],
              meanings: MetricVectors | None) -> Index:
    """The in-memory index over `segments`: their live rows, in order, as one."""
    reports: dict[str, Report] = {}
    for seg in segments:
        reports.update((r.doc, r) for i, r in enumerate(seg.reports) if i not in seg.dead)
    names = list(reports)
    doc_of = {d: i for i, d in enumerate(names)}
    docs = Docs(reports, names)
    sections = Strings()
    strings = {k: Strings() for k in FACT_STRINGS}
    chunk_cols, fact_cols, live, lengths, first = [], [], [], [], 0
    lexical_parts, dense_parts, token_parts, vector_parts = [], [], [], []
    for seg in segments:
        report_doc = np.array([doc_of[r.doc] if i not in seg.dead else -1 for i, r in enumerate(seg.reports)] or [0],
                              np.int32)
        section_of = sections.remap(seg.sections)
        rows = seg.live_chunks()
        c = np.asarray(seg.chunks[rows])
        chunk_cols.append((report_doc[c[:, 0]], c[:, 1], c[:, 2], section_of[c[:, 3]]))
        f = np.asarray(seg.facts[seg.live_facts()])
        fact_cols.append({"doc": report_doc[f["report"]], "section": section_of[f["section"]]}
                         | {k: strings[k].remap(seg.fact_strings[k])[f[k]] for k in FACT_STRINGS}
                         | {k: f[k] for k in ("value", "start", "end", "target", "about")})
        live.append(np.flatnonzero(rows) + first)
        lengths.append(np.diff(np.asarray(seg.token_starts)))
        lexical_parts.append((seg.postings, first))
        dense_parts.append((seg.faiss, seg.vectors, first))
        token_parts.append((seg.tokens, seg.token_starts))
        vector_parts.append(seg.vectors)
        first += seg.rows
    every = np.concatenate(live) if live else np.zeros(0, np.int64)
    dead_rows = len(every) != first
    physical = every if dead_rows else None

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    chunks = ChunkTable(docs, *(cat([p[i] for p in chunk_cols], np.int32) for i in range(4)), sections.table)
    columns = {k: cat([p[k] for p in fact_cols], dtype) for k, dtype in
               [("doc", np.int32), ("section", np.int32)] + [(k, np.int32) for k in FACT_STRINGS]
               + [("value", np.float64), ("start", np.int32), ("end", np.int32), ("target", np.bool_), ("about", np.int32)]}
    facts = FactTable(docs, columns, {k: v.table for k, v in strings.items()}, sections.table)
    lengths_all = cat(lengths, np.int64)
    vocab = {t: i for i, t in enumerate(terms)}
    bm25 = Lexical(vocab, _doc_freqs(segments, len(terms)), lexical_parts, lengths_all, physical)
    dense = Dense(dense_parts, first, physical)
    vectors = vector_parts[0] if len(segments) == 1 and not dead_rows else VectorTable(vector_parts, physical,
                                                                                         manifest["dim"])
    tokens = TokenTable(terms, token_parts, physical)
    return Index(root, manifest, reports, chunks, vectors, tokens, facts, dense, bm25, version, meanings,
                 list(segments), terms)


def _doc_freqs(segments: Sequence[Segment], terms: int) -> np.ndarray:
    """Live chunks containing each term: each segment's postings less its removed rows' terms."""
    df = np.zeros(terms, np.int64)
    for seg in segments:
        df += seg.postings.doc_freqs(terms)
        dead = np.flatnonzero(~seg.live_chunks())
        if len(dead):
            starts = np.asarray(seg.token_starts)
            n = starts[dead + 1] - starts[dead]
            at = np.repeat(starts[dead] - np.concatenate([[0], np.cumsum(n)[:-1]]), n) + np.arange(int(n.sum()))
            pairs = np.unique(np.repeat(dead.astype(np.int64), n) * terms + np.asarray(seg.tokens)[at])
            df -= np.bincount(pairs % terms, minlength=terms)
    return df
