"""The index on disk: chunks, FAISS vectors, BM25 state, facts and a manifest, written atomically.

A version folder (rag/versions.py: how it is written and switched to) holds manifest.json, reports.jsonl,
chunks.jsonl, vectors.npy, faiss.index, bm25/ (bm25s), tokens.jsonl and facts.jsonl. The manifest records
each file's size and sha256 and each file's row count; `load_index` checks them all (rag/integrity.py).
metrics.jsonl + metric_vectors.npy hold what each distinct fact metric means (rag/metric_vectors.py).

Adding reports re-embeds only new or changed reports (which file is which report: rag/identity.py). Writers
take the index lock (rag/lock.py) only to merge and write, so two writers never lose each other's reports.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shlex
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np
from tqdm import tqdm

from rag.embed import Embedder, load_embedder, model_name, vector_kind
from rag.errors import IndexMismatchError, IndexNotFoundError, IngestError, UnknownDocError
from rag.facts import FACTS_VERSION, extract_facts
from rag.identity import plan_reports
from rag.ingest import collect_report_files, read_report
from rag.integrity import Location, file_records, reading, verify_counts, verify_files
from rag.lock import WAIT_SECONDS, index_lock
from rag.metric_vectors import MetricVectors, build_metric_vectors, load_metric_vectors, save_metric_vectors
from rag.places import Gazetteer, gazetteer_for
from rag.sections import CHUNKER_VERSION, chunk_report
from rag.segment import Segmenter, segmenter_for
from rag.types import Chunk, Fact, Report
from rag.versions import current_version, new_version, read_lines, write_lines

FORMAT = 1
# An exact scan costs ~6 ms per query at 100k chunks here (bench/bench.py), well under the ~17 ms of
# embedding the query, and it is exact; the approximate HNSW graph only pays off far beyond that.
HNSW_ABOVE = 500_000
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128  # FAISS's default of 16 loses recall
MAX_REPORT_BYTES = 8 * 1024 * 1024  # real reports are < 1 MB; a bigger file is almost surely not one
EMBED_SLICE = 128  # chunks embedded per call, so a caller hears progress on a long report


@dataclass
class Index:
    """A loaded index: everything search and answer need, in memory."""

    path: Path
    manifest: dict
    reports: dict[str, Report]
    chunks: list[Chunk]
    vectors: np.ndarray
    tokens: list[list[str]]
    facts: list[Fact]
    faiss_index: faiss.Index
    bm25: bm25s.BM25
    version: str = ""  # the version folder's name: another writer's write changes it
    metric_vectors: MetricVectors | None = None

    @property
    def model(self) -> str:
        return self.manifest["model"]

    @property
    def backend(self) -> str:
        """The embedding backend the vectors came from; indexes from before backends existed used torch."""
        return self.manifest.get("backend", "torch")

    def embedder(self) -> Embedder:
        """The model and backend to embed queries with: the ones the index was built with."""
        return load_embedder(self.model, self.backend)

    @property
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
        for r in self.reports.values():  # the file name, title and opening say where a report is from
            hints[r.region] = hints.get(r.region, "") + f" {r.doc} {r.title} {r.text[:1500]}"
        return gazetteer_for(self.regions, hints)

    @functools.cached_property
    def word_counts(self) -> dict[str, int]:
        """In how many chunks each word occurs: the reports' own words for an English question's terms."""
        return dict(Counter(w for tokens in self.tokens for w in set(tokens)))

    def report(self, doc: str) -> Report:
        if doc not in self.reports:
            raise UnknownDocError(f"没有名为 {doc} 的报告；`rag docs` 列出已索引的报告")
        return self.reports[doc]


@dataclass
class IndexingResult:
    """What `add_reports` did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (doc, what is odd): indexed all the same


def searchable_text(chunk: Chunk) -> str:
    """What is embedded and BM25-indexed for a chunk: its text under the report title and section path.

    Many passages never name their region or year; the title and headings carry them.
    """
    head = " ".join(x for x in (chunk.title, chunk.region, f"{chunk.year}年" if chunk.year else "") if x)
    path = " ".join(chunk.section)
    return f"{head}\n{path}\n{chunk.text}" if path else f"{head}\n{chunk.text}"


def load_index(path: str | Path) -> Index:
    """Load the live version of the index at `path`, checking every file against the manifest.

    Raises `IndexNotFoundError` when there is none, `IndexMismatchError` when it is of an older format, and
    `IndexDamagedError` (one line: the file, what is wrong, the command that rebuilds it) when a file is
    missing, cut short or changed.
    """
    root = Path(path)
    version = current_version(root)
    if version is None:
        raise _not_found(root)
    at = Location(root, version)
    with reading(at, "manifest.json"):
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not {"model", "dim", "reports"} <= set(manifest):
            raise ValueError("incomplete")  # a cut manifest may still be JSON
    at = Location(root, version, tuple(shlex.quote(s) for s in manifest.get("sources", []) if Path(s).exists()))
    if manifest.get("format") != FORMAT or manifest.get("chunker") != CHUNKER_VERSION:
        raise IndexMismatchError(
            f"{root} 的索引格式或分块版本已过期（{manifest.get('chunker')}，当前 {CHUNKER_VERSION}）；"
            f"请重新运行 `rag index PATH… --index {root} --rebuild`"
        )
    verify_files(at, manifest)
    with reading(at, "reports.jsonl"):
        reports = {r.doc: r for r in map(_report_from, read_lines(version / "reports.jsonl"))}
    with reading(at, "chunks.jsonl"):
        chunks = [_with_section(Chunk, line) for line in read_lines(version / "chunks.jsonl")]
    with reading(at, "facts.jsonl"):
        facts = [_with_section(Fact, line) for line in read_lines(version / "facts.jsonl")]
    with reading(at, "tokens.jsonl"):
        tokens = [json.loads(line) for line in read_lines(version / "tokens.jsonl")]
    with reading(at, "vectors.npy"):
        vectors = np.load(version / "vectors.npy")
        if vectors.ndim != 2 or vectors.shape[1] != manifest["dim"]:
            raise ValueError(f"shape {vectors.shape}")
    with reading(at, "faiss.index"):
        faiss_index = faiss.read_index(str(version / "faiss.index"))
    with reading(at, "bm25"):
        bm25 = bm25s.BM25.load(str(version / "bm25"), show_progress=False) if chunks else _build_bm25(tokens)
    rows = manifest.get("rows") or {"chunks.jsonl": manifest.get("chunks"), "reports.jsonl": len(manifest["reports"])}
    n = rows["chunks.jsonl"]
    found = {"reports.jsonl": len(reports), "chunks.jsonl": len(chunks), "facts.jsonl": len(facts)}
    found |= {"tokens.jsonl": len(tokens), "vectors.npy": len(vectors), "faiss.index": faiss_index.ntotal}
    found |= {"bm25": int(bm25.scores["num_docs"]) if chunks else 0}
    verify_counts(at, rows | {name: n for name in ("tokens.jsonl", "vectors.npy", "faiss.index", "bm25")}, found)
    if manifest.get("facts") != FACTS_VERSION:  # facts come from the chunks alone: re-read them, no re-embedding
        facts = [f for chunk in chunks for f in extract_facts(chunk)]
    with reading(at, "metric_vectors.npy"):
        meanings = load_metric_vectors(version, manifest["dim"])
    return Index(root, manifest, reports, chunks, vectors, tokens, facts, faiss_index, bm25, version.name, meanings)


def check_model(index: Index, model: str | None, backend: str | None = None) -> None:
    """Refuse to query an index with a model other than the one it was built with, or with a backend
    whose vectors are of another kind (torch and onnx are interchangeable, onnx-int8 is not)."""
    if model and model_name(model) != index.model:
        raise IndexMismatchError(
            f"索引 {index.path} 是用模型 {index.model} 建立的，不能用 {model} 查询；"
            f"去掉 --model，或运行 `rag index PATH… --index {index.path} --model {model} --rebuild`"
        )
    if backend and vector_kind(backend) != vector_kind(index.backend):
        raise IndexMismatchError(
            f"索引 {index.path} 的向量由后端 {index.backend} 生成，不能用 {backend} 查询；"
            f"去掉 --backend，或运行 `rag index PATH… --index {index.path} --backend {backend} --rebuild`"
        )


def add_reports(
    index_path: str | Path,
    paths: Iterable[str | Path],
    model: str | None = None,
    rebuild: bool = False,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
    show_progress: bool = False,
    embedded: Callable[[int, int], None] | None = None,
    lock_wait: float = WAIT_SECONDS,
    backend: str | None = None,
) -> IndexingResult:
    """Index the reports under `paths` into `index_path`: new and changed ones, skipping unchanged ones.

    A path or file that cannot be used is reported in the result and skipped; the rest are indexed.
    `replace`: a file named like an indexed report is its new version (see rag/identity.py).
    `model` and `backend` default to the index's own (for a new index: rag.embed's defaults).
    `embedded(done, total)` hears the embedding's progress, from (0, total) on. Reading and embedding run outside the index
    lock; under it the batch is decided again against whatever another writer added meanwhile, so no
    writer's reports are ever lost, and a second writer waits only for the other's write (seconds).
    """
    root = Path(index_path)
    say = progress or (lambda msg: None)
    old = None if rebuild else _existing(root)
    root.mkdir(parents=True, exist_ok=True)
    _check_same_model(root, old, model, backend)  # before loading anything
    embedder = load_embedder(model or (old.model if old else None), backend or (old.backend if old else None))
    reports, failed = _read_reports(paths, say)
    plan = plan_reports(old.reports if old else {}, reports, replace)
    vectors: dict[str, np.ndarray] = {}
    _embed(embedder, plan.index, vectors, say, show_progress, embedded)
    with index_lock(root, wait=lock_wait, say=say):
        current = None if rebuild else _existing(root)
        if (current and current.version) != (old and old.version):
            _check_same_model(root, current, embedder.name, embedder.backend)
            plan = plan_reports(current.reports if current else {}, reports, replace)
            _embed(embedder, plan.index, vectors, say, show_progress, embedded)  # only what is new to it
        warnings = list(plan.warnings)
        if plan.index or current is None:
            warnings += _write_merged(root, embedder, current, plan.index, vectors, say)
    return IndexingResult(
        added=list(plan.added),
        updated=list(plan.updated),
        unchanged=list(plan.unchanged),
        failed=failed + list(plan.failed),
        warnings=warnings,
    )


def remove_report(index_path: str | Path, doc: str, progress: Callable[[str], None] | None = None) -> None:
    """Drop one report from the index (a new version without it); `progress` hears if it waits for the lock."""
    root = Path(index_path)
    if current_version(root) is None:
        raise _not_found(root)
    with index_lock(root, say=progress):
        index = load_index(root)
        index.report(doc)  # raises UnknownDocError with the fix
        keep = [i for i, c in enumerate(index.chunks) if c.doc != doc]
        facts = [f for f in index.facts if f.doc != doc]
        name_only = _NameOnly(index.manifest["model"], index.manifest["dim"], index.backend)
        meanings = build_metric_vectors(facts, name_only, index.metric_vectors)
        reports = {d: r for d, r in index.reports.items() if d != doc}
        _write(root, name_only, reports, [index.chunks[i] for i in keep], index.vectors[keep], facts, meanings)


@dataclass
class _NameOnly:
    """Model identity for a write that embeds nothing (remove)."""

    name: str
    dim: int
    backend: str

    def encode_query(self, texts):  # a write that removes needs no new meaning vectors
        raise AssertionError("removing a report embeds nothing")


def _not_found(root: Path) -> IndexNotFoundError:
    return IndexNotFoundError(f"{root} 中没有索引；先运行 `rag index seeds/ --index {root}`")


def _existing(root: Path) -> Index | None:
    return load_index(root) if current_version(root) is not None else None


def _check_same_model(root: Path, index: Index | None, model: str | None, backend: str | None) -> None:
    """Refuse to add vectors of another model, or of another kind of backend, to an index."""
    if index is None:
        return
    if model and model_name(model) != index.model:
        raise IndexMismatchError(
            f"索引 {root} 是用模型 {index.model} 建立的，不能加入 {model_name(model)} 的向量；"
            f"去掉 --model，或加 --rebuild 用新模型重建全部报告"
        )
    if backend and vector_kind(backend) != vector_kind(index.backend):
        raise IndexMismatchError(
            f"索引 {root} 的向量由后端 {index.backend} 生成，不能加入 {backend} 的向量；"
            f"去掉 --backend，或加 --rebuild 用 {backend} 重建全部报告"
        )


def _read_reports(paths: Iterable[str | Path], say: Callable[[str], None]) -> tuple[list[Report], list]:
    """The readable reports under `paths` (paths made absolute: they are the reports' origin) and the failures."""
    files, failed = collect_report_files(paths)
    reports = []
    for file in files:
        try:
            size = file.stat().st_size
            if size > MAX_REPORT_BYTES:
                raise IngestError(str(file), f"文件过大（{size // 2**20} MB，上限 {MAX_REPORT_BYTES // 2**20} MB）")
            report = read_report(file)
        except IngestError as err:
            failed.append((str(file), err.reason))
            say(f"跳过 {file}: {err.reason}")
            continue
        except OSError as err:
            failed.append((str(file), f"无法读取：{err.strerror or err}"))
            continue
        reports.append(dataclasses.replace(report, path=os.path.abspath(report.path)))
    return reports, failed


def _embed(
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


def _write_merged(
    root: Path,
    embedder: Embedder,
    old: Index | None,
    new: Iterable[Report],
    vectors: dict[str, np.ndarray],
    say: Callable[[str], None],
) -> list[tuple[str, str]]:
    """Write `old` with `new` added or replacing the reports of the same id; the warnings about `new`."""
    new = list(new)
    replaced = {r.doc for r in new}
    reports = {d: r for d, r in (old.reports.items() if old else []) if d not in replaced}
    keep = [i for i, c in enumerate(old.chunks) if c.doc not in replaced] if old else []
    chunks = [old.chunks[i] for i in keep] if old else []
    rows = [old.vectors[keep]] if old else []
    facts = [f for f in old.facts if f.doc not in replaced] if old else []  # load_index re-read stale ones
    warnings = []
    for report in new:
        reports[report.doc] = report
        report_chunks = chunk_report(report)
        if not report_chunks:  # e.g. a saved web page that holds only the site's menus
            warnings.append((report.doc, "没有找到报告正文，索引中只有它的标题、地区和年份"))
        chunks += report_chunks
        rows += [np.stack([vectors[searchable_text(c)] for c in report_chunks])] if report_chunks else []
        facts += [f for c in report_chunks for f in extract_facts(c)]
    matrix = np.vstack([r.reshape(-1, embedder.dim) for r in rows]) if rows else np.zeros((0, embedder.dim))
    meanings = build_metric_vectors(facts, embedder, old.metric_vectors if old else None)
    _write(root, embedder, reports, chunks, matrix.astype(np.float32), facts, meanings)
    say(f"索引已更新：{len(reports)} 份报告，{len(chunks)} 个段落")
    return warnings


def _write(
    root: Path,
    embedder: Embedder | _NameOnly,
    reports: dict[str, Report],
    chunks: list[Chunk],
    vectors: np.ndarray,
    facts: list[Fact],
    meanings: MetricVectors,
) -> None:
    """Write a complete new version folder and make it the live one (rag/versions.py). Call under `index_lock`."""
    with new_version(root) as tmp:
        segmenter = segmenter_for(tuple(sorted({r.region for r in reports.values() if r.region})))
        tokens = [segmenter.tokens(searchable_text(c)) for c in chunks]
        write_lines(tmp / "reports.jsonl", (asdict(r) for r in reports.values()))
        write_lines(tmp / "chunks.jsonl", (asdict(c) for c in chunks))
        write_lines(tmp / "facts.jsonl", (asdict(f) for f in facts))
        write_lines(tmp / "tokens.jsonl", tokens)
        np.save(tmp / "vectors.npy", vectors)
        save_metric_vectors(tmp, meanings)
        faiss.write_index(_build_faiss(vectors, embedder.dim), str(tmp / "faiss.index"))
        if chunks:
            _build_bm25(tokens).save(str(tmp / "bm25"), show_progress=False)
        manifest = {
            "format": FORMAT,
            "model": embedder.name,
            "backend": embedder.backend,
            "dim": embedder.dim,
            "chunker": CHUNKER_VERSION,
            "facts": FACTS_VERSION,
            "faiss": "hnsw" if len(vectors) > HNSW_ABOVE else "flat",
            "chunks": len(chunks),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "reports": {
                r.doc: {"sha256": r.sha256, "title": r.title, "region": r.region, "year": r.year}
                for r in reports.values()
            },
            "rows": {"reports.jsonl": len(reports), "chunks.jsonl": len(chunks), "facts.jsonl": len(facts)},
            "sources": sorted({os.path.dirname(r.path) for r in reports.values()}),  # for the rebuild command
            "files": file_records(tmp),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def _build_faiss(vectors: np.ndarray, dim: int) -> faiss.Index:
    if len(vectors) > HNSW_ABOVE:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _build_bm25(tokens: list[list[str]]) -> bm25s.BM25:
    bm25 = bm25s.BM25()
    if tokens:
        bm25.index(tokens, show_progress=False)
    return bm25


def _report_from(line: str) -> Report:
    d = json.loads(line)
    d["body"] = tuple(tuple(s) for s in d["body"])
    return Report(**d)


def _with_section(cls, line: str):
    d = json.loads(line)
    d["section"] = tuple(d["section"])
    return cls(**d)
