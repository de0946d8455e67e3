"""A segment (rag/store/layout.py) as Milvus rows, and Milvus rows as a segment.

Writing, a segment's reports become rows of <name>_reports and <name>_texts, its chunks rows of <name>_chunks
with the jieba words BM25 counts (by the segment's term ids, as words) and its facts rows of <name>_facts
(rag/store/milvus/collections.py). Loading, the rows of the live report versions, in the order they were
written (rid, then n), become one segment, which rag/store/index.py assembles as a folder's segments are:
the same chunks in the same order, the same tokens, so the same BM25 scores and the same fused ranking.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

import faiss
import numpy as np

from rag.store.dense import build_faiss
from rag.store.layout import CHUNK_COLUMNS, FACT_DTYPE, Segment
from rag.store.lexical import build_postings
from rag.store.milvus.collections import PIECE, chunk_id, text_id
from rag.store.tables import FACT_STRINGS, Strings, Vocab
from rag.types import Report


def report_rows(seg: Segment, rids: Sequence[int], version: int) -> tuple[list[dict], list[dict]]:
    """Rows of <name>_reports and <name>_texts for the live reports of `seg` (`rids[i]`: the id of report i)."""
    chunks = np.bincount(np.asarray(seg.chunks[:, 0], np.int64), minlength=len(seg.reports))
    facts = np.bincount(np.asarray(seg.facts["report"], np.int64), minlength=len(seg.reports))
    reports, texts = [], []
    for i, r in enumerate(seg.reports):
        if i in seg.dead:
            continue
        blob = json.dumps(asdict(r), ensure_ascii=False)
        pieces = [blob[k : k + PIECE] for k in range(0, len(blob), PIECE)]
        reports.append({"rid": rids[i], "doc": r.doc, "sha256": r.sha256, "title": r.title[:1000], "region": r.region,
                        "level": r.level, "year": r.year or 0, "kind": r.kind, "added": version, "removed": 0,
                        "chunks": int(chunks[i]), "facts": int(facts[i]), "pieces": len(pieces)})
        texts += [{"id": text_id(rids[i], k), "rid": rids[i], "text": p} for k, p in enumerate(pieces)]
    return reports, texts


def chunk_rows(seg: Segment, rids: Sequence[int], terms: Sequence[str], rows: Sequence[int] | None = None) -> list[dict]:
    """Rows of <name>_chunks for `rows` of `seg` (default: every live row); `terms` names its token ids."""
    c = np.asarray(seg.chunks)
    first = _first_rows(c[:, 0], len(seg.reports))
    rows = np.flatnonzero(seg.live_chunks()) if rows is None else np.asarray(rows, np.int64)
    starts = np.asarray(seg.token_starts)
    out = []
    for row in rows.tolist():
        i, start, end, section = (int(x) for x in c[row])
        r = seg.reports[i]
        words = [terms[t] for t in seg.tokens[starts[row] : starts[row + 1]].tolist()]
        out.append({"id": chunk_id(rids[i], row - first[i]), "rid": rids[i], "n": row - first[i], "doc": r.doc,
                    "start": start, "end": end, "section": json.dumps(seg.sections[section], ensure_ascii=False),
                    "text": _capped(r.text[start:end]), "tokens": json.dumps(words, ensure_ascii=False),
                    "region": r.region, "level": r.level, "year": r.year or 0, "kind": r.kind,
                    "vector": np.asarray(seg.vectors[row], np.float32).tolist()})
    return out


def fact_rows(seg: Segment, rids: Sequence[int]) -> list[dict]:
    """Rows of <name>_facts for the live facts of `seg`."""
    f = np.asarray(seg.facts)
    live = seg.live_facts()
    first = _first_rows(f["report"], len(seg.reports))
    out = []
    for row in np.flatnonzero(live).tolist():
        x = f[row]
        i = int(x["report"])
        strings = {k: seg.fact_strings[k][int(x[k])] for k in FACT_STRINGS}
        out.append({"id": chunk_id(rids[i], row - first[i]), "rid": rids[i], "n": row - first[i],
                    "doc": seg.reports[i].doc, "section": json.dumps(seg.sections[int(x["section"])], ensure_ascii=False),
                    **strings, "value": float(x["value"]), "start": int(x["start"]), "end": int(x["end"]),
                    "target": bool(x["target"]), "about": int(x["about"]), "year": seg.reports[i].year or 0})
    return out


def _first_rows(report_of: np.ndarray, reports: int) -> np.ndarray:
    """The first row of each report (rows of a report are contiguous, reports in order)."""
    return np.searchsorted(np.asarray(report_of, np.int64), np.arange(reports))


def _capped(text: str) -> str:
    """A chunk's text as the chunks collection keeps it for people and tools (answers read the report's own):
    whole, unless it would pass a VARCHAR's 65,535 bytes."""
    return text if len(text) * 4 < 65535 or len(text.encode("utf-8")) < 65535 else text[:16000]


# ---------------------------------------------------------------------------------------------- loading


def report_of(pieces: Sequence[str]) -> Report:
    """The Report whose JSON is `pieces`, in order."""
    row = json.loads("".join(pieces))
    row["body"] = tuple(tuple(s) for s in row["body"])
    return Report(**row)


def to_segment(reports: list[Report], rids: list[int], chunks: list[dict], vectors: np.ndarray, facts: list[dict],
               dim: int, regions: tuple[str, ...], facts_version: str) -> tuple[Segment, list[str]]:
    """One segment of `reports` (report i has id `rids[i]`), their chunk rows (`vectors[i]`: chunk i's) and
    fact rows, and its terms. Rows are taken in (rid, n) order; its FAISS index is built here (rag/store/dense.py)."""
    at = {rid: i for i, rid in enumerate(rids)}
    order = sorted(range(len(chunks)), key=lambda i: (at[chunks[i]["rid"]], chunks[i]["n"]))
    chunks = [chunks[i] for i in order]
    vectors = np.ascontiguousarray(vectors[order], np.float32).reshape(-1, dim)
    facts = sorted(facts, key=lambda f: (at[f["rid"]], f["n"]))
    sections, strings, vocab = Strings(), {k: Strings() for k in FACT_STRINGS}, Vocab()
    section_of = {}

    def section(text: str) -> int:
        if text not in section_of:
            section_of[text] = sections.intern(tuple(json.loads(text)))
        return section_of[text]

    chunk_array = np.array([(at[c["rid"]], c["start"], c["end"], section(c["section"])) for c in chunks],
                           np.int32).reshape(-1, len(CHUNK_COLUMNS))
    token_lists = [vocab.of(json.loads(c["tokens"])) for c in chunks]
    starts = np.zeros(len(chunks) + 1, np.int64)
    np.cumsum([len(t) for t in token_lists], out=starts[1:])
    tokens = np.fromiter((t for ids in token_lists for t in ids), np.int32, int(starts[-1]))
    fact_array = np.array([(at[f["rid"]], section(f["section"]), *(strings[k].intern(f[k]) for k in FACT_STRINGS),
                            f["value"], f["start"], f["end"], f["target"], f["about"]) for f in facts], FACT_DTYPE)
    dense = build_faiss(vectors, dim)
    if len(vectors) and hasattr(dense, "get_xb"):  # an exact index holds the vectors: memory holds them once
        vectors = _Held(faiss.rev_swig_ptr(dense.get_xb(), len(vectors) * dim).reshape(len(vectors), dim), dense)
    segment = Segment("milvus", reports, chunk_array, sections.table, fact_array,
                      {k: v.table for k, v in strings.items()}, tokens, starts,
                      build_postings(tokens, starts, len(vocab)), vectors, dense, regions, facts_version)
    return segment, vocab.terms


class _Held(np.ndarray):
    """A view of vectors that a FAISS index owns, holding the index (views of it hold it too)."""

    def __new__(cls, view: np.ndarray, owner):
        held = view.view(cls)
        held.owner = owner
        return held

    def __array_finalize__(self, obj):
        self.owner = getattr(obj, "owner", None)
