"""How segments are made, kept and merged (their files: rag/store/layout.py).

A write turns its new reports into one new segment: chunked, facts extracted and segmented with jieba
once, here, and never again. Kept segments are linked into the new version as they are, except that

- a replaced or removed report's rows are listed as removed (`Segment.dead`) until its segment is
  rewritten: when more than DEAD_SHARE of its rows are removed, or when it merges;
- a change in the set of indexed regions (names jieba keeps whole, rag/language/segmentation.py) re-segments only the
  chunks that contain a name added or dropped: adding one region to the 86 reports' segmenter changed the
  tokens of no other chunk of 5,606 (jieba's total frequency moves by 0.15%, which flips no split here);
- segments merge, log-structured: the newest into the one before while it is at least 1/MERGE_RATIO of
  it or that one is under MERGE_BELOW rows. An index of a few hundred thousand chunks stays one segment,
  as a fresh build would write it; at a million, one report is a small segment beside the large one.

Merging concatenates columns, tokens and postings and copies vectors: nothing is re-segmented or
re-embedded; a large IVF keeps its trained centroids.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace

import numpy as np

from rag.documents.facts import FACTS_VERSION, extract_facts
from rag.documents.sections import chunk_report
from rag.language.segmentation import Segmenter, normalize
from rag.store.dense import build_faiss, centroids_of, faiss_spec
from rag.store.layout import CHUNK_COLUMNS, FACT_DTYPE, Segment
from rag.store.lexical import build_postings, concat_postings
from rag.store.tables import FACT_STRINGS, Strings, Vocab
from rag.types import Chunk, Fact, Report

# The merge policy's numbers were set by hand in bf4dbaf, not swept; bench/results/scale.json measures the
# store they give at 100k and 1M chunks as a whole.
MERGE_BELOW = 100_000
MERGE_RATIO = 4
DEAD_SHARE = 0.25
PARALLEL_ABOVE = 2_000_000  # characters of new reports above which they are read in worker processes


def searchable_text(chunk: Chunk) -> str:
    """What is embedded and BM25-indexed for a chunk: its text under the report title and section path.

    Many passages never name their region or year; the title and headings carry them.
    """
    head = " ".join(x for x in (chunk.title, chunk.region, f"{chunk.year}年" if chunk.year else "") if x)
    path = " ".join(chunk.section)
    return f"{head}\n{path}\n{chunk.text}" if path else f"{head}\n{chunk.text}"


# ---------------------------------------------------------------------------------------------- new reports


def read_reports(reports: Sequence[Report], segmenter: Segmenter) -> Iterator[tuple[list[Chunk], list[Fact], list[list[str]]]]:
    """Each report's chunks, facts and chunk tokens, in order; in worker processes when there is much to read."""
    if sum(len(r.text) for r in reports) > PARALLEL_ABOVE and (os.cpu_count() or 1) > 1 and len(reports) > 1:
        try:
            pool = multiprocessing.get_context("fork").Pool(os.cpu_count(), _start_worker, (segmenter,))
        except (OSError, ValueError):  # no fork here: read them in this process
            pool = None
        if pool is not None:
            with pool:
                yield from pool.imap(_read_one, reports, chunksize=4)
            return
    for r in reports:
        yield _read(r, segmenter)


_SEGMENTER: Segmenter | None = None


def _start_worker(segmenter: Segmenter) -> None:
    global _SEGMENTER
    _SEGMENTER = segmenter


def _read_one(report: Report):
    return _read(report, _SEGMENTER)


def _read(report: Report, segmenter: Segmenter):
    chunks = chunk_report(report)
    return chunks, [f for c in chunks for f in extract_facts(c)], [segmenter.tokens(searchable_text(c)) for c in chunks]


def new_segment(name: str, reports: Sequence[Report], read: Iterable[tuple], vectors: Mapping[str, np.ndarray],
                vocab: Vocab, regions: tuple[str, ...], dim: int, timings: dict | None = None) -> tuple[Segment, list[str]]:
    """A segment of `reports`, from what `read_reports` makes of them (consumed a report at a time, so that
    only compact rows are kept), vectors looked up by searchable text; and the reports that had no chunk."""
    timings = {} if timings is None else timings
    sections, strings = Strings(), {k: Strings() for k in FACT_STRINGS}
    chunk_parts, fact_parts, token_parts, lengths, vector_parts, empty = [], [], [], [], [], []
    read, waited, t = iter(read), 0.0, time.perf_counter()
    for n, report in enumerate(reports):
        w = time.perf_counter()
        chunks, facts, tokens = next(read)
        waited += time.perf_counter() - w
        if not chunks:
            empty.append(report.doc)
        chunk_parts.append(np.array([(n, c.start, c.end, sections.intern(c.section)) for c in chunks], np.int32))
        fact_parts.append(np.array([(n, sections.intern(f.section), *(strings[k].intern(getattr(f, k)) for k in FACT_STRINGS),
                                     f.value, f.start, f.end, f.target, f.about or 0) for f in facts], FACT_DTYPE))
        token_parts.append(np.array([i for words in tokens for i in vocab.of(words)], np.int32))
        lengths += map(len, tokens)
        if chunks:
            vector_parts.append(np.stack([vectors[searchable_text(c)] for c in chunks]).astype(np.float32))
    starts = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=starts[1:])
    tokens = np.concatenate(token_parts) if token_parts else np.zeros(0, np.int32)
    matrix = np.concatenate(vector_parts) if vector_parts else np.zeros((0, dim), np.float32)
    del vector_parts
    timings["read (chunks, facts, jieba)"] = timings.get("read (chunks, facts, jieba)", 0) + waited
    timings["columns"] = timings.get("columns", 0) + time.perf_counter() - t - waited
    t = time.perf_counter()
    postings = build_postings(tokens, starts, len(vocab))
    timings["postings"] = timings.get("postings", 0) + time.perf_counter() - t
    t = time.perf_counter()
    index = build_faiss(matrix, dim)
    timings["faiss"] = timings.get("faiss", 0) + time.perf_counter() - t
    chunk_rows = np.concatenate([p.reshape(-1, len(CHUNK_COLUMNS)) for p in chunk_parts]) if chunk_parts else (
        np.zeros((0, len(CHUNK_COLUMNS)), np.int32))
    segment = Segment(name, list(reports), chunk_rows, sections.table,
                      np.concatenate(fact_parts) if fact_parts else np.zeros(0, FACT_DTYPE),
                      {k: v.table for k, v in strings.items()}, tokens, starts, postings, matrix, index, regions,
                      FACTS_VERSION)
    return segment, empty


def chunks_of(seg: Segment, rows: Iterable[int] | None = None) -> list[Chunk]:
    """The Chunks of a segment's rows (all of them by default)."""
    out = []
    for r, s, e, sec in (seg.chunks if rows is None else seg.chunks[list(rows)]).tolist():
        report = seg.reports[r]
        out.append(Chunk(report.doc, s, e, report.text[s:e], seg.sections[sec], report.title, report.region, report.year))
    return out


def with_current_facts(seg: Segment) -> Segment:
    """`seg` with its facts extracted again when they come from an older extraction (no re-embedding)."""
    if seg.facts_version == FACTS_VERSION:
        return seg
    sections, strings = Strings(seg.sections), {k: Strings() for k in FACT_STRINGS}
    rows = [(r, sections.intern(f.section), *(strings[k].intern(getattr(f, k)) for k in FACT_STRINGS), f.value,
             f.start, f.end, f.target, f.about or 0)
            for r, chunk in zip(seg.chunks[:, 0].tolist(), chunks_of(seg), strict=True) for f in extract_facts(chunk)]
    groups = ("facts", "chunks") if len(sections) > len(seg.sections) else ("facts",)
    return seg.changed(*groups, facts=np.array(rows, FACT_DTYPE), sections=sections.table,
                       fact_strings={k: v.table for k, v in strings.items()}, facts_version=FACTS_VERSION)


def fact_samples(segments: Sequence[Segment]) -> list[Fact]:
    """One Fact (sentence left out) per distinct metric, field, unit, qualifier and kind of the live facts:
    what the meaning vectors are built from (rag/store/metric_vectors.py reads no more of a fact than these)."""
    seen: dict[tuple, Fact] = {}
    for seg in segments:
        facts = seg.facts[seg.live_facts()]
        if not len(facts):
            continue
        keys = np.unique(np.stack([facts[k] for k in FACT_STRINGS], axis=1), axis=0)
        for key in keys.tolist():
            s = [seg.fact_strings[k][i] for k, i in zip(FACT_STRINGS, key, strict=True)]
            seen.setdefault(tuple(s), Fact("", "", None, s[0], s[1], 0.0, s[2], s[3], s[4], "", 0, 0))
    return list(seen.values())


# ---------------------------------------------------------------------------------------------- kept segments


def with_regions(seg: Segment, regions: tuple[str, ...], segmenter: Segmenter, vocab: Vocab) -> Segment:
    """`seg` tokenized as for `regions`: the chunks that contain a region name added or dropped are
    segmented again; the others keep their tokens."""
    if seg.regions == regions:
        return seg
    names = [normalize(n) for n in set(regions) ^ set(seg.regions) if n]
    live = seg.live_chunks()
    suspects = {i for i, r in enumerate(seg.reports) if i not in seg.dead and
                any(n in normalize(f"{r.title} {r.region} {r.text}") for n in names)}
    rows = [i for i in np.flatnonzero(np.isin(seg.chunks[:, 0], list(suspects)) & live).tolist()] if suspects else []
    changed = {}
    for row, chunk in zip(rows, chunks_of(seg, rows), strict=True):
        if any(n in normalize(searchable_text(chunk)) for n in names):
            changed[row] = vocab.of(segmenter.tokens(searchable_text(chunk)))
    if not changed:
        return replace(seg, regions=regions)
    pieces, lengths, at = [], np.diff(seg.token_starts).astype(np.int64), 0
    for row in sorted(changed):
        pieces += [seg.tokens[seg.token_starts[at] : seg.token_starts[row]], np.array(changed[row], np.int32)]
        lengths[row] = len(changed[row])
        at = row + 1
    pieces.append(seg.tokens[seg.token_starts[at] :])
    tokens = np.concatenate([np.asarray(p, np.int32) for p in pieces])
    starts = np.zeros(seg.rows + 1, np.int64)
    np.cumsum(lengths, out=starts[1:])
    return seg.changed("lexical", regions=regions, tokens=tokens, token_starts=starts,
                       postings=build_postings(tokens, starts, len(vocab)))


def arrange(segments: list[Segment], vocab: Vocab, dim: int, name) -> list[Segment]:
    """The segments a new version keeps: emptied ones dropped, much-removed ones rewritten, small ones merged.
    `name()` names a new segment."""
    out = []
    for seg in segments:
        if len(seg.dead) == len(seg.reports):
            continue
        if seg.dead and (seg.rows - seg.live_rows) > DEAD_SHARE * seg.rows:
            seg = merge([seg], vocab, dim, name())
        out.append(seg)
    while len(out) >= 2 and (out[-1].live_rows * MERGE_RATIO >= out[-2].live_rows or out[-2].live_rows < MERGE_BELOW):
        out[-2:] = [merge(out[-2:], vocab, dim, name())]
    return out


def merge(segments: Sequence[Segment], vocab: Vocab, dim: int, name: str) -> Segment:
    """One segment of the live rows of `segments`, in order."""
    reports, chunk_parts, fact_parts, token_parts, lengths, vector_parts, remaps = [], [], [], [], [], [], []
    sections, strings = Strings(), {k: Strings() for k in FACT_STRINGS}
    first_row = 0
    for seg in segments:
        report_of = np.full(len(seg.reports), -1, np.int32)
        for i, r in enumerate(seg.reports):
            if i not in seg.dead:
                report_of[i] = len(reports)
                reports.append(r)
        live = seg.live_chunks()
        section_of = sections.remap(seg.sections)
        chunks = np.array(seg.chunks[live], np.int32)
        chunks[:, 0] = report_of[chunks[:, 0]]
        chunks[:, 3] = section_of[chunks[:, 3]]
        chunk_parts.append(chunks)
        facts = np.array(seg.facts[seg.live_facts()], FACT_DTYPE)
        facts["report"] = report_of[facts["report"]]
        facts["section"] = section_of[facts["section"]]
        for k in FACT_STRINGS:
            facts[k] = strings[k].remap(seg.fact_strings[k])[facts[k]]
        fact_parts.append(facts)
        rows = np.flatnonzero(live)
        starts = np.asarray(seg.token_starts, np.int64)
        n = np.diff(starts)[rows]
        lengths.append(n)
        ids = np.repeat(starts[rows] - np.concatenate([[0], np.cumsum(n)[:-1]]), n) + np.arange(int(n.sum()))
        token_parts.append(np.asarray(seg.tokens)[ids] if len(ids) else np.zeros(0, np.int32))
        remap = np.full(seg.rows, -1, np.int64)
        remap[rows] = np.arange(len(rows)) + first_row
        remaps.append((seg.postings, remap))
        vector_parts.append(np.asarray(seg.vectors[live] if seg.dead else seg.vectors, np.float32))
        first_row += len(rows)
    starts = np.zeros(first_row + 1, np.int64)
    np.cumsum(np.concatenate(lengths) if lengths else [], out=starts[1:])
    vectors = np.concatenate(vector_parts) if vector_parts else np.zeros((0, dim), np.float32)
    del vector_parts
    ivf = [s.faiss for s in segments if faiss_spec(first_row) != "flat" and centroids_of(s.faiss) is not None]
    largest = max(ivf, key=lambda i: i.ntotal, default=None)
    return Segment(name, reports, np.concatenate(chunk_parts).reshape(-1, len(CHUNK_COLUMNS)), sections.table,
                   np.concatenate(fact_parts) if fact_parts else np.zeros(0, FACT_DTYPE),
                   {k: v.table for k, v in strings.items()}, np.concatenate(token_parts).astype(np.int32), starts,
                   concat_postings(remaps, len(vocab)), vectors,
                   build_faiss(vectors, dim, centroids_of(largest) if largest is not None else None),
                   segments[0].regions, FACTS_VERSION)
