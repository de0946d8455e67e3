"""The index on disk: chunks, FAISS vectors, BM25 state, facts and a manifest, written atomically.

Layout of an index folder (default `index/`):

    CURRENT            name of the live version folder; replaced atomically (os.replace)
    v-<time>-<pid>/    manifest.json, reports.jsonl, chunks.jsonl, vectors.npy, faiss.index,
                       bm25/ (bm25s), tokens.jsonl, facts.jsonl

A write builds a complete new version folder and only then points CURRENT at it, so a crash at any
moment leaves the previous index serving. Adding reports re-embeds only new or changed reports.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

from rag.embed import Embedder, load_embedder, model_name, vector_kind
from rag.errors import IndexMismatchError, IndexNotFoundError, IngestError, RagError, UnknownDocError
from rag.facts import FACTS_VERSION, extract_facts
from rag.ingest import find_report_files, read_report
from rag.sections import CHUNKER_VERSION, chunk_report
from rag.segment import Segmenter, segmenter_for
from rag.types import Chunk, Fact, Report

FORMAT = 1
# An exact scan costs ~6 ms per query at 100k chunks here (bench/bench.py), well under the ~17 ms of
# embedding the query, and it is exact; the approximate HNSW graph only pays off far beyond that.
HNSW_ABOVE = 500_000
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128  # FAISS's default of 16 loses recall
MAX_REPORT_BYTES = 8 * 1024 * 1024  # real reports are < 1 MB; a bigger file is almost surely not one


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
    """Load the live version of the index at `path`."""
    root = Path(path)
    version = _current_version(root)
    if version is None:
        raise IndexNotFoundError(f"{root} 中没有索引；先运行 `rag index seeds/ --index {root}`")
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("chunker") != CHUNKER_VERSION:
        raise IndexMismatchError(
            f"{root} 的索引格式或分块版本已过期（{manifest.get('chunker')}，当前 {CHUNKER_VERSION}）；"
            f"请重新运行 `rag index PATH… --index {root} --rebuild`"
        )
    reports = {}
    for line in _read_lines(version / "reports.jsonl"):
        d = json.loads(line)
        d["body"] = tuple(tuple(s) for s in d["body"])
        reports[d["doc"]] = Report(**d)
    chunks = []
    for line in _read_lines(version / "chunks.jsonl"):
        d = json.loads(line)
        d["section"] = tuple(d["section"])
        chunks.append(Chunk(**d))
    facts = []
    for line in _read_lines(version / "facts.jsonl"):
        d = json.loads(line)
        d["section"] = tuple(d["section"])
        facts.append(Fact(**d))
    if manifest.get("facts") != FACTS_VERSION:  # facts come from the chunks alone: re-read them, no re-embedding
        facts = [f for chunk in chunks for f in extract_facts(chunk)]
    tokens = [json.loads(line) for line in _read_lines(version / "tokens.jsonl")]
    vectors = np.load(version / "vectors.npy")
    bm25 = bm25s.BM25.load(str(version / "bm25"), show_progress=False) if chunks else _build_bm25(tokens)
    return Index(
        path=root,
        manifest=manifest,
        reports=reports,
        chunks=chunks,
        vectors=vectors,
        tokens=tokens,
        facts=facts,
        faiss_index=faiss.read_index(str(version / "faiss.index")),
        bm25=bm25,
    )


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
    progress: Callable[[str], None] | None = None,
    show_progress: bool = False,
    backend: str | None = None,
) -> IndexingResult:
    """Index the reports under `paths` into `index_path`: new and changed ones, skipping unchanged ones.

    `model` and `backend` default to the index's own (for a new index: rag.embed's defaults).
    A file that cannot be read is reported in the result and skipped; the rest are indexed.
    """
    root = Path(index_path)
    say = progress or (lambda msg: None)
    old = None if rebuild or _current_version(root) is None else load_index(root)
    if old is not None and model_name(model or old.model) != old.model:  # checked before loading anything
        raise IndexMismatchError(
            f"索引 {root} 是用模型 {old.model} 建立的，不能加入 {model_name(model)} 的向量；"
            f"去掉 --model，或加 --rebuild 用新模型重建全部报告"
        )
    if old is not None and backend and vector_kind(backend) != vector_kind(old.backend):
        raise IndexMismatchError(
            f"索引 {root} 的向量由后端 {old.backend} 生成，不能加入 {backend} 的向量；"
            f"去掉 --backend，或加 --rebuild 用 {backend} 重建全部报告"
        )
    embedder = load_embedder(model or (old.model if old else None), backend or (old.backend if old else None))
    result = IndexingResult()
    known = {r.sha256: r.doc for r in old.reports.values()} if old else {}
    new_reports: list[Report] = []
    try:
        files = find_report_files(paths)
    except IngestError as err:
        result.failed.append((err.path, err.reason))
        files = []
    for file in files:
        try:
            if file.stat().st_size > MAX_REPORT_BYTES:
                raise IngestError(
                    str(file), f"文件过大（{file.stat().st_size // 2**20} MB，上限 {MAX_REPORT_BYTES // 2**20} MB）"
                )
            report = read_report(file)
        except IngestError as err:
            result.failed.append((str(file), err.reason))
            say(f"跳过 {file}: {err.reason}")
            continue
        except OSError as err:
            result.failed.append((str(file), f"无法读取：{err.strerror or err}"))
            continue
        previous = known.get(report.sha256)
        if previous == report.doc:
            result.unchanged.append(report.doc)
            continue
        if previous is not None:
            result.failed.append((str(file), f"与已索引的 {previous} 内容相同，未重复索引"))
            continue
        known[report.sha256] = report.doc
        if old and report.doc in old.reports:
            result.updated.append(report.doc)
        else:
            result.added.append(report.doc)
        new_reports = [r for r in new_reports if r.doc != report.doc] + [report]

    if not new_reports and old is not None:
        return result
    replaced = {r.doc for r in new_reports}
    reports = {d: r for d, r in (old.reports.items() if old else []) if d not in replaced}
    keep = [i for i, c in enumerate(old.chunks) if c.doc not in replaced] if old else []
    chunks = [old.chunks[i] for i in keep] if old else []
    vectors = old.vectors[keep] if old else np.zeros((0, embedder.dim), np.float32)
    facts = [f for f in old.facts if f.doc not in replaced] if old else []  # load_index re-read stale ones

    new_chunks = []
    for report in new_reports:
        reports[report.doc] = report
        report_chunks = chunk_report(report)
        if not report_chunks:  # e.g. a saved web page that holds only the site's menus
            result.warnings.append((report.doc, "没有找到报告正文，索引中只有它的标题、地区和年份"))
        new_chunks += report_chunks
        for chunk in report_chunks:
            facts += extract_facts(chunk)
    say(f"切分 {len(new_reports)} 份报告为 {len(new_chunks)} 个段落，正在向量化…")
    new_vectors = embedder.encode_document([searchable_text(c) for c in new_chunks], show_progress=show_progress)
    chunks += new_chunks
    vectors = np.vstack([vectors, new_vectors.reshape(-1, embedder.dim)]).astype(np.float32)
    _write(root, embedder, reports, chunks, vectors, facts)
    say(f"索引已更新：{len(reports)} 份报告，{len(chunks)} 个段落")
    return result


def remove_report(index_path: str | Path, doc: str) -> None:
    """Drop one report from the index (a new version without it)."""
    index = load_index(index_path)
    index.report(doc)  # raises UnknownDocError with the fix
    keep = [i for i, c in enumerate(index.chunks) if c.doc != doc]
    reports = {d: r for d, r in index.reports.items() if d != doc}
    embedder_name, dim = index.manifest["model"], index.manifest["dim"]
    _write(
        Path(index_path),
        _NameOnly(embedder_name, dim, index.backend),
        reports,
        [index.chunks[i] for i in keep],
        index.vectors[keep],
        [f for f in index.facts if f.doc != doc],
    )


@dataclass
class _NameOnly:
    """Model identity for a write that embeds nothing (remove)."""

    name: str
    dim: int
    backend: str


def _write(
    root: Path,
    embedder: Embedder | _NameOnly,
    reports: dict[str, Report],
    chunks: list[Chunk],
    vectors: np.ndarray,
    facts: list[Fact],
) -> None:
    """Write a complete new version folder, then switch CURRENT to it, then drop older versions."""
    root.mkdir(parents=True, exist_ok=True)
    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = root / f".tmp-{name}"
    tmp.mkdir()
    try:
        segmenter = segmenter_for(tuple(sorted({r.region for r in reports.values() if r.region})))
        tokens = [segmenter.tokens(searchable_text(c)) for c in chunks]
        _write_lines(tmp / "reports.jsonl", (asdict(r) for r in reports.values()))
        _write_lines(tmp / "chunks.jsonl", (asdict(c) for c in chunks))
        _write_lines(tmp / "facts.jsonl", (asdict(f) for f in facts))
        _write_lines(tmp / "tokens.jsonl", tokens)
        np.save(tmp / "vectors.npy", vectors)
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
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(tmp)
        os.replace(tmp, root / name)
        pointer = root / f".CURRENT-{name}"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, root / "CURRENT")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in root.glob("v-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)


def _current_version(root: Path) -> Path | None:
    pointer = root / "CURRENT"
    if not pointer.is_file():
        return None
    version = root / pointer.read_text(encoding="utf-8").strip()
    if not (version / "manifest.json").is_file():
        raise RagError(f"{root}/CURRENT 指向的 {version.name} 不完整；删除 {root} 后重新运行 `rag index`")
    return version


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


def _write_lines(path: Path, rows: Iterable) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_lines(path: Path) -> Iterable[str]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
