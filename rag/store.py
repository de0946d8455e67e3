"""The index on disk: load it (checked against its manifest), add reports to it, remove them, atomically.

What is on disk is rag/layout.py's (version folders of segments, FORMAT 2; an index of FORMAT 1, from
before segments, still loads, and its next write stores it anew without re-embedding); how segments are
made and merged is rag/segments.py's; a version goes live atomically (rag/versions.py) and is checked
at load (rag/integrity.py). The loaded Index is rag/index.py's: chunks and facts as columns (rag/tables.py),
BM25 scored from postings (rag/lexical.py), vectors memory-mapped and searched per segment (rag/dense.py).

Adding reports re-embeds only new or changed reports (which file is which report: rag/identity.py), and
segments them with jieba; the reports already indexed keep their files. Writers take the index lock
(rag/lock.py) only to merge and write, so two writers never lose each other's reports.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import bm25s
import numpy as np
from tqdm import tqdm

from rag.embed import Embedder, load_embedder, model_name, vector_kind
from rag.errors import IndexMismatchError, IndexNotFoundError, IngestError
from rag.identity import plan_reports
from rag.index import Index, assemble
from rag.ingest import collect_report_files, read_report
from rag.integrity import Location, reading, record_of, verify_files
from rag.layout import FORMAT, Segment, read_format1, read_segment, read_vocab, write_segment, write_vocab
from rag.lock import WAIT_SECONDS, index_lock
from rag.metric_vectors import MetricVectors, build_metric_vectors, load_metric_vectors, save_metric_vectors
from rag.sections import CHUNKER_VERSION, chunk_report
from rag.segment import segmenter_for
from rag.segments import (
    Vocab,
    arrange,
    fact_samples,
    new_segment,
    read_reports,
    searchable_text,
    with_current_facts,
    with_regions,
)
from rag.sidecar import Correction, apply, corrections_for, read_sidecar, save_correction
from rag.types import Report
from rag.versions import current_version, link_or_copy, new_version

__all__ = ["FORMAT", "Index", "IndexingResult", "add_reports", "check_index", "check_model", "correct_report", "load_index",
           "remove_report", "searchable_text", "segmenter_for"]

MAX_REPORT_BYTES = 8 * 1024 * 1024  # real reports are < 1 MB; a bigger file is almost surely not one
EMBED_SLICE = 128  # chunks embedded per call, so a caller hears progress on a long report


@dataclass
class IndexingResult:
    """What `add_reports` did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (doc, what is odd): indexed all the same


# ---------------------------------------------------------------------------------------------- load


def load_index(path: str | Path) -> Index:
    """Load the live version of the index at `path`, checking its files against the manifest.

    Raises `IndexNotFoundError` when there is none, `IndexMismatchError` when it is of a format or chunker
    this code does not read, and `IndexDamagedError` (one line: the file, what is wrong, the command that
    rebuilds it) when a file is missing, cut short or changed (rag/integrity.py: which checks run when).
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
    if manifest.get("format") not in (1, FORMAT) or manifest.get("chunker") != CHUNKER_VERSION:
        raise IndexMismatchError(
            f"{root} 的索引格式或分块版本已过期（格式 {manifest.get('format')}，{manifest.get('chunker')}；"
            f"当前格式 {FORMAT}，{CHUNKER_VERSION}）；请重新运行 `rag index PATH… --index {root} --rebuild`"
        )
    verify_files(at, manifest)
    if manifest.get("format") == 1:
        segment, terms = read_format1(at, manifest)
        segments = [segment]
    else:
        terms = read_vocab(at)
        if len(terms) != manifest["vocab"]:
            raise at.damaged("vocab.jsonl", f"有 {len(terms)} 条，清单记录为 {manifest['vocab']} 条")
        segments = [read_segment(at, meta, manifest.get("files", {}), manifest["dim"]) for meta in manifest["segments"]]
    segments = [with_current_facts(s) for s in segments]  # facts come from the chunks alone: no re-embedding
    with reading(at, "metric_vectors.npy"):
        meanings = load_metric_vectors(version, manifest["dim"])
    index = assemble(root, manifest, version.name, segments, terms, meanings)
    want = manifest.get("rows", {}) if manifest.get("format") == FORMAT else {}
    for name, table in (("reports", index.reports), ("chunks", index.chunks)):
        if name in want and len(table) != want[name]:
            raise at.damaged("manifest.json", f"{name} 有 {len(table)} 条，清单记录为 {want[name]} 条")
    return index


def check_index(path: str | Path) -> Index:
    """Load the index at `path` verifying every file's checksum, however large it is (`rag index --check`)."""
    root = Path(path)
    version = current_version(root)
    if version is None:
        raise _not_found(root)
    index = load_index(root)
    at = Location(root, root / index.version, tuple(shlex.quote(s) for s in index.manifest.get("sources", [])))
    verify_files(at, index.manifest, checksums=True)
    return index


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


# ---------------------------------------------------------------------------------------------- write


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
    metadata: str | Path | None = None,
) -> IndexingResult:
    """Index the reports under `paths` into `index_path`: new and changed ones, skipping unchanged ones.

    A path or file that cannot be used is reported in the result and skipped; the rest are indexed.
    `replace`: a file named like an indexed report is its new version (see rag/identity.py).
    `model` and `backend` default to the index's own (for a new index: rag.embed's defaults).
    `metadata`: a reports.csv that says what some reports are (rag/sidecar.py); its lines are kept in the
    index's own reports.csv, which, with a reports.csv in any folder given, is applied at every read.
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
    paths = list(paths)
    corrections = corrections_for(paths, root, metadata)
    if metadata:
        for name, correction in read_sidecar(metadata).items():
            save_correction(root, name, correction)
    reports, failed = _read_reports(paths, say, corrections)
    plan = plan_reports(old.reports if old else {}, reports, replace)
    vectors: dict[str, np.ndarray] = {}
    _embed(embedder, plan.index, vectors, say, show_progress, embedded)
    with index_lock(root, wait=lock_wait, say=say):
        live = current_version(root)
        current = old if rebuild or (live and live.name) == (old and old.version) else _existing(root)
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
        name_only = _NameOnly(index.manifest["model"], index.manifest["dim"], index.backend)
        _write_merged(root, name_only, index, [], {}, lambda msg: None, removed={doc})


def correct_report(index_path: str | Path, doc: str, correction: Correction,
                   progress: Callable[[str], None] | None = None) -> Report:
    """Say what one indexed report is (region, year, kind): kept in the index's reports.csv, so that
    re-indexing keeps it, and applied now (its chunks carry region and year: they are embedded again)."""
    root = Path(index_path)
    say = progress or (lambda msg: None)
    index = load_index(root)
    report = index.report(doc)  # raises UnknownDocError with the fix
    fixed = apply(report, correction)
    embedder = index.embedder()
    vectors: dict[str, np.ndarray] = {}
    _embed(embedder, [fixed], vectors, say, False, None)
    with index_lock(root, say=say):
        save_correction(root, os.path.basename(report.path) or doc, correction)
        current = load_index(root)
        current.report(doc)
        _write_merged(root, embedder, current, [fixed], vectors, say)
    return fixed


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


def _read_reports(paths: Iterable[str | Path], say: Callable[[str], None],
                  corrections: dict[str, Correction] | None = None) -> tuple[list[Report], list]:
    """The readable reports under `paths` (paths made absolute: they are the reports' origin), as the
    `corrections` (file name → rag/sidecar.py's Correction) say they are, and the failures."""
    corrections = corrections or {}
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
        report = apply(report, corrections.get(file.name))
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
    embedder: Embedder | _NameOnly,
    old: Index | None,
    new: Iterable[Report],
    vectors: dict[str, np.ndarray],
    say: Callable[[str], None],
    removed: Iterable[str] = (),
    timings: dict | None = None,
) -> list[tuple[str, str]]:
    """Write `old` with `new` added (replacing the reports of the same id) and `removed` dropped, as a new
    version: kept segments linked, `new` one segment, merged as rag/segments.py decides; the warnings about `new`."""
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


def _write(root: Path, embedder: Embedder | _NameOnly, segments: list[Segment], vocab: Vocab,
           meanings: MetricVectors, same_meanings: Index | None = None) -> None:
    """Write a complete new version folder and make it the live one (rag/versions.py). Call under `index_lock`.
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


def _build_bm25(tokens: list[list[str]]) -> bm25s.BM25:
    """bm25s over token lists: what rag/lexical.py's scores are held against (tests build small indexes with it)."""
    bm25 = bm25s.BM25()
    if tokens:
        bm25.index(tokens, show_progress=False)
    return bm25
