"""Writing an index version: embedding the chunks of new reports, merging segments and writing the files.

rag/store/store.py decides what to write (which reports are new, changed or removed, under the index lock); this
module does it: `embed` fills in the vectors a batch lacks, a slice at a time, and `write_merged` writes
`old` with the new reports added and the removed ones dropped as a complete new version folder, which goes
live atomically (rag/store/versions.py), with the catalog of the files its reports were read from (rag/store/sources.py).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from rag.documents.sections import CHUNKER_VERSION, chunk_report
from rag.embedding.embed import Embedder
from rag.errors import RagError
from rag.language.segmentation import segmenter_for
from rag.store.index import Index
from rag.store.integrity import record_of
from rag.store.layout import FORMAT, Segment, write_segment, write_vocab
from rag.store.metric_vectors import MetricVectors, build_metric_vectors, save_metric_vectors
from rag.store.segments import (
    arrange,
    fact_samples,
    new_segment,
    read_reports,
    searchable_text,
    with_regions,
)
from rag.store.sources import write_catalog
from rag.store.tables import Vocab
from rag.store.versions import link_or_copy, new_version
from rag.types import Report

EMBED_SLICE = 128  # chunks embedded per call, so a caller hears progress on a long report


@dataclass
class NameOnly:
    """Model identity for a write that embeds nothing (remove)."""

    name: str
    dim: int
    backend: str

    def encode_query(self, texts):  # a write that removes needs no new meaning vectors
        raise AssertionError("removing a report embeds nothing")


class Known:
    """The model identity and vectors of a loaded index, as an embedder that embeds nothing: what a copy of
    that index into another store (`copy_index`) is written with. `vectors`: searchable text → vector."""

    def __init__(self, index: Index, vectors: dict[str, np.ndarray]):
        self.name, self.dim, self.backend = index.model, index.manifest["dim"], index.backend
        self.index, self.vectors = index, vectors

    def encode_document(self, texts):
        return np.stack([self.vectors[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_query(self, texts):
        meanings = self.index.metric_vectors
        missing = [t for t in texts if meanings is None or t not in meanings.rows]
        if missing:
            raise RagError(f"索引 {self.index.location} 没有指标“{missing[0]}”的向量（建于指标向量之前）；"
                           f"请先运行 `rag index {self.index.option} --rebuild`，再复制")
        return np.stack([meanings.matrix[meanings.rows[t]] for t in texts])


def embed(
    embedder: Embedder,
    reports: Iterable[Report],
    vectors: dict[str, np.ndarray],
    say: Callable[[str], None],
    show_progress: bool,
    embedded: Callable[[int, int], None] | None,
) -> None:
    """Add to `vectors` (searchable text → vector) the chunks of `reports` it lacks, a slice at a time."""
    reports = list(reports)
    texts = [t for r in reports for t in map(searchable_text, chunk_report(r)) if t not in vectors]
    texts = list(dict.fromkeys(texts))
    if not texts:
        return
    say(f"切分 {len(reports)} 份报告为 {len(texts)} 个段落，正在向量化…")
    if embedded:
        embedded(0, len(texts))
    with tqdm(total=len(texts), unit="段", disable=not show_progress) as bar:
        for i in range(0, len(texts), EMBED_SLICE):
            batch = texts[i : i + EMBED_SLICE]
            vectors.update(zip(batch, embedder.encode_document(batch), strict=True))
            bar.update(len(batch))
            if embedded:
                embedded(i + len(batch), len(texts))


def write_merged(
    root: Path,
    embedder: Embedder | NameOnly,
    old: Index | None,
    new: Iterable[Report],
    vectors: dict[str, np.ndarray],
    say: Callable[[str], None],
    removed: Iterable[str] = (),
    timings: dict | None = None,
) -> list[tuple[str, str]]:
    """Write `old` with `new` added (replacing the reports of the same id) and `removed` dropped, as a new
    version: kept segments linked, `new` one segment, merged as rag/store/segments.py decides; the warnings about `new`."""
    new = list(new)
    gone = {r.doc for r in new} | set(removed)
    segments = []
    for seg in old.segments if old else ():
        dead = seg.dead | {i for i, r in enumerate(seg.reports) if r.doc in gone}
        segments.append(replace(seg, dead=frozenset(dead)) if dead != seg.dead else seg)
    vocab = Vocab(old.terms if old else ())
    regions = {r.region for seg in segments for i, r in enumerate(seg.reports) if i not in seg.dead}
    regions = tuple(sorted((regions | {r.region for r in new}) - {""}))
    segmenter = segmenter_for(regions)
    segments = [with_regions(s, regions, segmenter, vocab) for s in segments]
    warnings = []
    if new:
        segment, empty = new_segment(_segment_name(), new, read_reports(new, segmenter), vectors, vocab, regions,
                                     embedder.dim, timings)
        segments.append(segment)
        # e.g. a saved web page that holds only the site's menus
        warnings = [(doc, "没有找到报告正文，索引中只有它的标题、地区和年份") for doc in empty]
    t = time.perf_counter()
    segments = arrange(segments, vocab, embedder.dim, _segment_name)
    if timings is not None:
        timings["merge"] = time.perf_counter() - t
    meanings = build_metric_vectors(fact_samples(segments), embedder, old.metric_vectors if old else None)
    same = old is not None and old.metric_vectors is not None and old.metric_vectors.rows == meanings.rows
    t = time.perf_counter()
    _write(root, embedder, segments, vocab, meanings, old if same else None)
    if timings is not None:
        timings["files"] = time.perf_counter() - t
    rows = sum(s.live_rows for s in segments)
    say(f"索引已更新：{sum(len(s.reports) - len(s.dead) for s in segments)} 份报告，{rows} 个段落")
    return warnings


def _segment_name() -> str:
    return f"seg-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"


def _write(root: Path, embedder: Embedder | NameOnly, segments: list[Segment], vocab: Vocab,
           meanings: MetricVectors, same_meanings: Index | None = None) -> None:
    """Write a complete new version folder and make it the live one (rag/store/versions.py). Call under `index_lock`.
    `same_meanings`: the index whose metric vector files are these (they are linked, not written)."""
    with new_version(root) as tmp:
        records = {}
        for seg in segments:
            records |= write_segment(tmp, seg)
        write_vocab(tmp, vocab.terms)
        names = ("metrics.jsonl", "metric_vectors.npy")
        if same_meanings is not None and all((same_meanings.path / same_meanings.version / n).is_file() for n in names):
            for name in names:
                link_or_copy(same_meanings.path / same_meanings.version / name, tmp / name)
        else:
            save_metric_vectors(tmp, meanings)
        records |= {name: record_of(tmp / name) for name in ("vocab.jsonl", *names)}
        reports = [r for seg in segments for i, r in enumerate(seg.reports) if i not in seg.dead]
        write_catalog(root, tmp.name.removeprefix(".tmp-"), reports)  # before it goes live: a rebuild's source
        metas = [seg.meta() for seg in segments]
        chunks = sum(s.live_rows for s in segments)
        manifest = {
            "format": FORMAT,
            "model": embedder.name,
            "backend": embedder.backend,
            "dim": embedder.dim,
            "chunker": CHUNKER_VERSION,
            "faiss": max(metas, key=lambda m: m["rows"])["faiss"] if metas else "flat",
            "chunks": chunks,
            "vocab": len(vocab),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "reports": {r.doc: {"sha256": r.sha256, "title": r.title, "region": r.region, "year": r.year} for r in reports},
            "rows": {"reports": len(reports), "chunks": chunks, "facts": sum(int(s.live_facts().sum()) for s in segments)},
            "sources": sorted({os.path.dirname(r.path) for r in reports}),  # for the rebuild command
            "segments": metas,
            "files": records,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
