"""The index's files (FORMAT 2): a version folder of segments, each a folder of columns written once.

    v-…/manifest.json      model, segments (rows, regions, removed reports), every file's size and sha256
    v-…/vocab.jsonl        the search terms, one JSON string a line: term ids are line numbers
    v-…/metrics.jsonl, metric_vectors.npy   what each fact metric means (rag/store/metric_vectors.py)
    v-…/seg-<id>/          one segment: some reports and everything derived from them
        reports.jsonl      a report a line, its text as a byte range of texts.utf8 (stored once)
        texts.utf8          the reports' texts, UTF-8
        chunks.npy         int32 (report, start, end, section) per chunk; sections.json the heading paths
        facts.npy          a row per fact (FACT_DTYPE); fact_strings.json its metric, field, unit… tables
        tokens.npy, token_starts.npy     each chunk's search term ids, flat
        postings_ptr.npy, postings_doc.npy, postings_tf.npy   term → chunks and counts (rag/store/lexical.py)
        vectors.npy, faiss.index         the chunks' vectors and their FAISS index (rag/store/dense.py)

Segments never change once written; a new version links (hard links, or copies where the file system has
none) the files of the segments it keeps, so adding a report writes only its own segment and the small
version files. A removed report stays in its segment's files and is listed in the manifest as removed
until the segment is rewritten (rag/store/segments.py decides when). Arrays are read memory-mapped.
"""

from __future__ import annotations

import json
import mmap
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import faiss
import numpy as np

from rag.store.dense import build_faiss, faiss_spec, read_faiss
from rag.store.integrity import Location, reading, record_of, verify_counts
from rag.store.lexical import Postings, build_postings
from rag.store.tables import FACT_STRINGS, Strings, Vocab
from rag.store.versions import link_or_copy
from rag.types import Report

FORMAT = 2
GROUPS = {
    "reports": ("reports.jsonl", "texts.utf8"),
    "chunks": ("chunks.npy", "sections.json"),
    "facts": ("facts.npy", "fact_strings.json"),
    "lexical": ("tokens.npy", "token_starts.npy", "postings_ptr.npy", "postings_doc.npy", "postings_tf.npy"),
    "dense": ("vectors.npy", "faiss.index"),
}
FACT_DTYPE = np.dtype([("report", "<i4"), ("section", "<i4"), ("metric", "<i4"), ("context", "<i4"), ("unit", "<i4"),
                       ("qualifier", "<i4"), ("kind", "<i4"), ("value", "<f8"), ("start", "<i4"), ("end", "<i4"),
                       ("target", "?"), ("about", "<i4")])
CHUNK_COLUMNS = ("report", "start", "end", "section")


@dataclass
class Segment:
    """One segment: its reports, and their chunks, facts, tokens, postings and vectors, row-aligned.

    `chunks` is an int32 (n, 4) array of CHUNK_COLUMNS (report = its row in `reports`), `facts` a FACT_DTYPE
    array. Arrays may be memory-mapped files in `source` (with their `records`); groups named in `dirty`
    were changed in memory and are written out, the others linked. `dead`: rows of removed reports.
    """

    name: str
    reports: list[Report]
    chunks: np.ndarray
    sections: list[tuple[str, ...]]
    facts: np.ndarray
    fact_strings: dict[str, list[str]]
    tokens: np.ndarray
    token_starts: np.ndarray
    postings: Postings
    vectors: np.ndarray
    faiss: faiss.Index | None
    regions: tuple[str, ...]
    facts_version: str
    dead: frozenset[int] = frozenset()
    source: Path | None = None
    records: dict[str, dict] = field(default_factory=dict)
    dirty: frozenset[str] = frozenset(GROUPS)

    @property
    def rows(self) -> int:
        return len(self.chunks)

    def live_chunks(self) -> np.ndarray:
        """A mask of the rows whose report was not removed."""
        if not self.dead:
            return np.ones(self.rows, dtype=bool)
        return ~np.isin(self.chunks[:, 0], np.fromiter(self.dead, np.int32))

    def live_facts(self) -> np.ndarray:
        if not self.dead:
            return np.ones(len(self.facts), dtype=bool)
        return ~np.isin(self.facts["report"], np.fromiter(self.dead, np.int32))

    @property
    def live_rows(self) -> int:
        return int(self.live_chunks().sum()) if self.dead else self.rows

    def changed(self, *groups: str, **fields) -> Segment:
        """This segment with `fields` replaced and `groups` to be written anew."""
        return replace(self, dirty=self.dirty | set(groups), **fields)

    def meta(self) -> dict:
        """What the manifest records of this segment."""
        return {"name": self.name, "rows": self.rows, "reports": len(self.reports), "facts": len(self.facts),
                "terms": self.postings.terms, "tokens": len(self.tokens), "regions": list(self.regions),
                "facts_version": self.facts_version, "faiss": _kind(self.faiss), "dead": sorted(self.dead)}


def _kind(index) -> str:
    if hasattr(index, "hnsw"):
        return "hnsw"
    return "flat" if index is None or not isinstance(index, faiss.IndexIVF) else f"IVF{index.nlist},Flat"


# ---------------------------------------------------------------------------------------------- write


def write_segment(version: Path, seg: Segment) -> dict[str, dict]:
    """Write (or link) `seg`'s files under `version`; their records, by path relative to `version`."""
    folder = version / seg.name
    folder.mkdir()
    records = {}
    for group, names in GROUPS.items():
        if group not in seg.dirty and seg.source is not None:
            for name in names:
                link_or_copy(seg.source / name, folder / name)
                records[f"{seg.name}/{name}"] = seg.records.get(name) or record_of(folder / name)
            continue
        _WRITERS[group](folder, seg)
        for name in names:
            records[f"{seg.name}/{name}"] = record_of(folder / name)
    return records


def _write_reports(folder: Path, seg: Segment) -> None:
    at = 0
    with open(folder / "texts.utf8", "wb") as texts, open(folder / "reports.jsonl", "w", encoding="utf-8") as rows:
        for r in seg.reports:
            data = r.text.encode("utf-8")
            texts.write(data)
            row = asdict(r) | {"text": [at, at + len(data)]}
            rows.write(json.dumps(row, ensure_ascii=False) + "\n")
            at += len(data)


def _write_chunks(folder: Path, seg: Segment) -> None:
    np.save(folder / "chunks.npy", np.ascontiguousarray(seg.chunks, np.int32))
    _write_json(folder / "sections.json", [list(s) for s in seg.sections])


def _write_facts(folder: Path, seg: Segment) -> None:
    np.save(folder / "facts.npy", np.asarray(seg.facts, FACT_DTYPE))
    _write_json(folder / "fact_strings.json", seg.fact_strings)


def _write_lexical(folder: Path, seg: Segment) -> None:
    np.save(folder / "tokens.npy", np.asarray(seg.tokens, np.int32))
    np.save(folder / "token_starts.npy", np.asarray(seg.token_starts, np.int64))
    np.save(folder / "postings_ptr.npy", seg.postings.ptr)
    np.save(folder / "postings_doc.npy", seg.postings.docs)
    np.save(folder / "postings_tf.npy", seg.postings.tf)


def _write_dense(folder: Path, seg: Segment) -> None:
    np.save(folder / "vectors.npy", np.asarray(seg.vectors, np.float32))
    if _kind(seg.faiss) != faiss_spec(len(seg.vectors)):  # an index from before segments (HNSW above 500k)
        seg.faiss = build_faiss(seg.vectors, seg.vectors.shape[1])
    faiss.write_index(seg.faiss, str(folder / "faiss.index"))


_WRITERS = {"reports": _write_reports, "chunks": _write_chunks, "facts": _write_facts, "lexical": _write_lexical,
            "dense": _write_dense}


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")


def write_vocab(version: Path, terms: list[str]) -> None:
    with open(version / "vocab.jsonl", "w", encoding="utf-8") as f:
        for t in terms:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------------------------- read


def read_vocab(at: Location) -> list[str]:
    with reading(at, "vocab.jsonl"):
        with open(at.version / "vocab.jsonl", encoding="utf-8") as f:
            return [json.loads(line) for line in f]


def read_segment(at: Location, meta: dict, records: dict[str, dict], dim: int) -> Segment:
    """A segment of the version at `at`, its arrays memory-mapped; raises IndexDamagedError for a bad file."""
    name = meta["name"]
    folder = at.version / name

    def load(file: str, rows: int | None = None, width: int | None = None):
        with reading(at, f"{name}/{file}"):
            array = np.load(folder / file, mmap_mode="r")
        if rows is not None and len(array) != rows:
            raise at.damaged(f"{name}/{file}", f"有 {len(array)} 条，清单记录为 {rows} 条")
        if width is not None and (array.ndim != 2 or array.shape[1] != width):
            raise at.damaged(f"{name}/{file}", f"形状 {array.shape}，每行应为 {width} 列")
        return array

    with reading(at, f"{name}/reports.jsonl"):
        with open(folder / "reports.jsonl", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    if len(rows) != meta["reports"]:
        raise at.damaged(f"{name}/reports.jsonl", f"有 {len(rows)} 条，清单记录为 {meta['reports']} 条")
    with reading(at, f"{name}/texts.utf8"):
        reports = _reports(folder / "texts.utf8", rows)
    chunks = load("chunks.npy", meta["rows"], len(CHUNK_COLUMNS))
    with reading(at, f"{name}/sections.json"):
        sections = [tuple(s) for s in json.loads((folder / "sections.json").read_text(encoding="utf-8"))]
    facts = load("facts.npy", meta["facts"])
    with reading(at, f"{name}/fact_strings.json"):
        strings = json.loads((folder / "fact_strings.json").read_text(encoding="utf-8"))
        if set(strings) != set(FACT_STRINGS):
            raise ValueError("fact strings")
    starts = load("token_starts.npy", meta["rows"] + 1)
    tokens = load("tokens.npy", meta["tokens"])
    ptr = load("postings_ptr.npy", meta["terms"] + 1)
    nnz = int(ptr[-1])
    postings = Postings(ptr, load("postings_doc.npy", nnz), load("postings_tf.npy", nnz))
    vectors = load("vectors.npy", meta["rows"], dim)
    with reading(at, f"{name}/faiss.index"):
        index = read_faiss(folder / "faiss.index")
    if index.ntotal != meta["rows"]:
        raise at.damaged(f"{name}/faiss.index", f"有 {index.ntotal} 条，清单记录为 {meta['rows']} 条")
    own = {k.split("/", 1)[1]: v for k, v in records.items() if k.startswith(name + "/")}
    return Segment(name, reports, chunks, sections, facts, strings, tokens, starts, postings, vectors, index,
                   tuple(meta["regions"]), meta["facts_version"], frozenset(meta["dead"]), folder, own, frozenset())


def _reports(path: Path, rows: list[dict]) -> list[Report]:
    out = []
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        try:
            for row in rows:
                a, b = row.pop("text")
                if b > size:
                    raise ValueError("texts cut short")
                row["body"] = tuple(tuple(s) for s in row["body"])
                out.append(Report(text=data[a:b].decode("utf-8"), **row))
        finally:
            if size:
                data.close()
    return out


# ---------------------------------------------------------------------------------------------- format 1


def read_format1(at: Location, manifest: dict) -> tuple[Segment, list[str]]:
    """An index written before segments (FORMAT 1: JSON lines, bm25s, one FAISS file) as one segment in
    memory, with its vocabulary; its next write stores it as FORMAT 2 without re-embedding anything.
    Its bm25/ files are checked (sizes, checksums) but not read: the scores come from its tokens."""
    version = at.version

    def lines(name: str) -> list[dict]:
        with reading(at, name):
            with open(version / name, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]

    reports = []
    for d in lines("reports.jsonl"):
        d["body"] = tuple(tuple(s) for s in d["body"])
        reports.append(Report(**d))
    chunks, facts, tokens = lines("chunks.jsonl"), lines("facts.jsonl"), lines("tokens.jsonl")
    with reading(at, "vectors.npy"):
        vectors = np.load(version / "vectors.npy")
        if vectors.ndim != 2 or vectors.shape[1] != manifest["dim"]:
            raise ValueError(f"shape {vectors.shape}")
    with reading(at, "faiss.index"):
        index = faiss.read_index(str(version / "faiss.index"))
    rows = manifest.get("rows") or {"chunks.jsonl": manifest.get("chunks"), "reports.jsonl": len(manifest["reports"])}
    n = rows["chunks.jsonl"]
    found = {"reports.jsonl": len(reports), "chunks.jsonl": len(chunks), "facts.jsonl": len(facts),
             "tokens.jsonl": len(tokens), "vectors.npy": len(vectors), "faiss.index": index.ntotal}
    verify_counts(at, rows | {name: n for name in ("tokens.jsonl", "vectors.npy", "faiss.index")}, found)
    report_of = {r.doc: i for i, r in enumerate(reports)}
    sections, strings = Strings(), {k: Strings() for k in FACT_STRINGS}
    with reading(at, "chunks.jsonl"):
        chunk_rows = [(report_of[c["doc"]], c["start"], c["end"], sections.intern(tuple(c["section"]))) for c in chunks]
    with reading(at, "facts.jsonl"):
        fact_rows = [(report_of[f["doc"]], sections.intern(tuple(f["section"])), *(strings[k].intern(f[k]) for k in FACT_STRINGS),
                      f["value"], f["start"], f["end"], f["target"], f["about"] or 0) for f in facts]
    vocab = Vocab()
    ids = np.array([t for words in tokens for t in vocab.of(words)], np.int32)
    starts = np.zeros(len(tokens) + 1, np.int64)
    np.cumsum([len(words) for words in tokens], out=starts[1:])
    regions = tuple(sorted({r.region for r in reports if r.region}))
    segment = Segment("seg-format1", reports, np.array(chunk_rows, np.int32).reshape(-1, len(CHUNK_COLUMNS)),
                      sections.table, np.array(fact_rows, FACT_DTYPE), {k: v.table for k, v in strings.items()}, ids,
                      starts, build_postings(ids, starts, len(vocab)), vectors, index, regions,
                      manifest.get("facts", ""))
    return segment, vocab.terms
