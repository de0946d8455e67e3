"""The index on disk: load it (checked against its manifest), add reports to it, remove them, atomically.

What is on disk is rag/store/layout.py's (version folders of segments, FORMAT 2; an index of FORMAT 1, from
before segments, still loads, and its next write stores it anew without re-embedding); how segments are
made and merged is rag/store/segments.py's; a version goes live atomically (rag/store/versions.py) and is checked
at load (rag/store/integrity.py). The loaded Index is rag/store/index.py's: chunks and facts as columns (rag/store/tables.py),
BM25 scored from postings (rag/store/lexical.py), vectors memory-mapped and searched per segment (rag/store/dense.py).

Adding reports re-embeds only new or changed reports (which file is which report: rag/store/identity.py), and
segments them with jieba; the reports already indexed keep their files. Writers take the index lock
(rag/store/lock.py) only to merge and write, so two writers never lose each other's reports; the writing itself is
rag/store/writer.py's. Every file is copied into the index before it is embedded (rag/store/sources.py), every add,
replace, remove and restore is audited (rag/store/audit.py), and a folder that cannot be written is said before
the model loads (rag/store/writable.py).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np

from rag.documents.ingest import collect_report_files, read_report
from rag.embedding.embed import load_embedder, model_name, vector_kind
from rag.errors import IndexMismatchError, IngestError, RagError
from rag.language.segmentation import segmenter_for
from rag.limits import MAX_REPORT_BYTES, report_year_problem
from rag.store import audit
from rag.store.backend import Store, as_store
from rag.store.corrections import (
    Correction,
    correction_for,
    corrections_for,
    read_corrections,
    save_correction,
)
from rag.store.identity import Plan, plan_reports
from rag.store.index import Index
from rag.store.layout import FORMAT
from rag.store.local import check_index, load_index
from rag.store.lock import WAIT_SECONDS
from rag.store.segments import searchable_text
from rag.store.sources import SOURCES, keep, kept_reports
from rag.store.writable import check_room, check_writable, writing
from rag.store.writer import EMBED_SLICE, Known, NameOnly, embed, write_merged
from rag.types import Report

__all__ = ["EMBED_SLICE", "FORMAT", "Index", "IndexingResult", "Store", "add_reports", "check_index", "check_model",
           "copy_index", "correct_report", "load_index", "remove_report", "restore_report", "searchable_text",
           "segmenter_for"]

_NameOnly, _write_merged = NameOnly, write_merged  # as tests and bench/scale.py call them


@dataclass
class IndexingResult:
    """What `add_reports` did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (doc, what is odd): indexed all the same
    rebuilt: list[str] = field(default_factory=list)  # re-embedded from the index's own copies (--rebuild)


# ---------------------------------------------------------------------------------------------- read


def check_model(index: Index, model: str | None, backend: str | None = None) -> None:
    """Refuse to query an index with a model other than the one it was built with, or with a backend
    whose vectors are of another kind (torch and onnx are interchangeable, onnx-int8 is not)."""
    if model and model_name(model) != index.model:
        raise IndexMismatchError(
            f"索引 {index.location} 是用模型 {index.model} 建立的，不能用 {model} 查询；"
            f"去掉 --model，或运行 `rag index PATH… {index.option} --model {model} --rebuild`"
        )
    if backend and vector_kind(backend) != vector_kind(index.backend):
        raise IndexMismatchError(
            f"索引 {index.location} 的向量由后端 {index.backend} 生成，不能用 {backend} 查询；"
            f"去掉 --backend，或运行 `rag index PATH… {index.option} --backend {backend} --rebuild`"
        )


# ---------------------------------------------------------------------------------------------- write


def add_reports(
    index_path: Store | str | Path,
    paths: Iterable[str | Path],
    model: str | None = None,
    rebuild: bool = False,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
    show_progress: bool = False,
    embedded: Callable[[int, int], None] | None = None,
    lock_wait: float = WAIT_SECONDS,
    backend: str | None = None,
    who: str | None = None,
    metadata: str | Path | None = None,
) -> IndexingResult:
    """Index the reports under `paths` into the store `index_path` (a Store, or a folder or location that
    rag/store/backend.py's `open_store` opens): new and changed ones, skipping unchanged ones.

    A path or file that cannot be used is reported in the result and skipped; the rest are indexed.
    `replace`: a file named like an indexed report is its new version (see rag/store/identity.py).
    `rebuild`: every report is embedded anew: the live version's reports from the index's own copies of
    their files (rag/store/sources.py), under their own ids, with `paths` added or updated as usual.
    `model` and `backend` default to the index's own (for a new index: rag.embedding.embed's defaults).
    `embedded(done, total)` hears the embedding's progress, from (0, total) on. Reading and embedding run outside the index
    lock; under it the batch is decided again against whatever another writer added meanwhile, so no
    writer's reports are ever lost, and a second writer waits only for the other's write (seconds).
    Each file is copied into the store's folder before it is embedded; `who` (default: the OS user) is written
    with every add and replace to the index's audit log (rag/store/audit.py).
    `metadata`: a reports.csv saying what some reports are (rag/store/corrections.py); its lines are kept in the index's
    own reports.csv, which, with a reports.csv in any folder given, is applied whenever a report is read.
    """
    store = as_store(index_path)
    root = store.path
    say = progress or (lambda msg: None)
    check_writable(root)  # a read-only or full disk is one line now, not a traceback after the embedding
    old = None if rebuild else _existing(store)
    _check_same_model(store, old, model, backend)  # before loading anything
    paths = list(paths)
    # what a person says a report is (a reports.csv beside the reports, --metadata) is kept in the index's own
    # reports.csv, and applied whenever the index is loaded (rag/store/corrections.py)
    kept = read_corrections(root)
    for correction in corrections_for(paths, None, metadata).values():
        if kept.get(correction.file) != correction:
            save_correction(root, correction)
    reports, failed, notes = _read_reports(paths, say)
    batch = _Batch(store, reports, replace, rebuild, say)
    plan = batch.plan(old)
    embedder = load_embedder(model or (old.model if old else None), backend or (old.backend if old else None))
    with writing(root):
        check_room(root, sum(len(r.text) for r in plan.index), sum(_size(r.path) for r in plan.index))
        plan, unkept = batch.keep(plan)  # the index's own copies, before any embedding
        vectors: dict[str, np.ndarray] = {}
        embed(embedder, plan.index, vectors, say, show_progress, embedded)
        with store.lock(wait=lock_wait, say=say):
            live = None if rebuild else store.version()  # a rebuild mends a damaged CURRENT too
            current = old if rebuild or live == (old and old.version) else _existing(store)
            if batch.changed(old, current):  # another writer's version went live meanwhile
                _check_same_model(store, current, embedder.name, embedder.backend)
                plan, unkept = batch.keep(batch.plan(current))
                embed(embedder, plan.index, vectors, say, show_progress, embedded)  # only what is new to it
            warnings = list(plan.warnings) + [(doc_of(plan, path), why) for path, why in notes]
            if plan.index or current is None:
                warnings += store.write(embedder, current, plan.index, vectors, say)
            batch.record(plan, who)
    return IndexingResult(added=list(plan.added), updated=list(plan.updated), unchanged=list(plan.unchanged),
                          failed=failed + unkept + list(plan.failed), warnings=warnings, rebuilt=list(plan.rebuilt))


def remove_report(index_path: Store | str | Path, doc: str, progress: Callable[[str], None] | None = None,
                  who: str | None = None) -> None:
    """Drop one report from the index (a new version without it); `progress` hears if it waits for the lock.
    Its file stays in the index's copies, so `rag restore` can bring it back; the removal is audited."""
    store = as_store(index_path)
    if store.version() is None:
        raise store.not_found()
    check_writable(store.path)
    with writing(store.path), store.lock(say=progress):
        index = store.load()
        report = index.report(doc)  # raises UnknownDocError with the fix
        name_only = NameOnly(index.manifest["model"], index.manifest["dim"], index.backend)
        store.write(name_only, index, [], {}, lambda msg: None, removed={doc})
        audit.record(store.path, "remove", doc, previous=report, who=who)


def restore_report(index_path: Store | str | Path, doc: str, version: int | None = None,
                   progress: Callable[[str], None] | None = None, who: str | None = None) -> audit.Version:
    """Make version `version` of `doc` (`rag history DOC` numbers them; default: the latest text before the
    live one) its text again, from the index's own copy, under the same id; audited as a restore."""
    store = as_store(index_path)
    root = store.path
    chosen = audit.pick(root, doc, version)
    index = store.load()
    copy = root / SOURCES / chosen.sha256 / chosen.name
    try:
        report = _read_one(copy, [])
    except (IngestError, OSError):
        raise RagError(f"{doc} 第 {chosen.n} 版的文件副本 {copy} 不可用，无法恢复") from None
    origin = index.reports[doc].path if doc in index.reports else chosen.origin  # the same report, not a namesake
    report = dataclasses.replace(report, doc=doc, path=origin)
    check_writable(root)
    with writing(root), store.lock(say=progress):
        current = store.load()
        plan = plan_reports(current.reports, [report], keep_ids=True)
        if plan.failed:
            raise RagError(f"无法恢复 {doc} 第 {chosen.n} 版：{plan.failed[0][1]}")
        if not plan.index:
            raise RagError(f"{doc} 现在就是第 {chosen.n} 版的内容，无需恢复")
        embedder = current.embedder()
        vectors: dict[str, np.ndarray] = {}
        embed(embedder, plan.index, vectors, progress or (lambda msg: None), False, None)
        store.write(embedder, current, plan.index, vectors, lambda msg: None)
        audit.record(root, "restore", plan.index[0].doc, plan.index[0], current.reports.get(doc), who=who)
    return chosen


def correct_report(index_path: Store | str | Path, doc: str, correction: Correction, who: str | None = None) -> Report:
    """Say what one indexed report is (region, year, kind): kept in the index's reports.csv, which every load
    applies (rag/store/corrections.py), so it holds at once and through any re-indexing; audited."""
    store = as_store(index_path)
    root = store.path
    check_writable(root)
    with writing(root), store.lock():
        index = store.load()
        report = index.report(doc)  # raises UnknownDocError with the fix
        kept = correction_for(report, read_corrections(root)) or Correction(doc)
        merged = Correction(kept.file, correction.region or kept.region, correction.year or kept.year,
                            correction.kind or kept.kind)
        save_correction(root, merged)
        audit.record(root, "correct", doc, report, who=who)
    return store.load().report(doc)


def copy_index(source: Store | str | Path, dest: Store | str | Path, progress: Callable[[str], None] | None = None,
               who: str | None = None) -> int:
    """Save the index of `source` in `dest` (empty, or holding an index to be replaced), without re-embedding:
    `rag export` and `rag import`, a pilot's folder moved to a shared Milvus server and back. The reports as
    read (corrections stay in reports.csv, copied with the files kept beside the index), their vectors and
    metric vectors are `source`'s; chunks, facts and tokens are made again from the reports, by the same code,
    so they are what `source` holds. The number of reports copied."""
    source, dest = as_store(source), as_store(dest)
    say = progress or (lambda msg: None)
    index = source.load()
    reports = [index.as_read.get(doc, report) for doc, report in index.reports.items()]
    vectors = {searchable_text(c): np.asarray(index.vectors[i], np.float32) for i, c in enumerate(index.chunks)}
    check_writable(dest.path)
    with writing(dest.path), dest.lock(say=say):
        dest.write(Known(index, vectors), None, reports, vectors, say)
        if source.path.resolve() != dest.path.resolve():  # the files kept beside the index go with it
            for correction in read_corrections(source.path).values():
                save_correction(dest.path, correction)
            for report in reports:
                keep(dest.path, report, source.path / SOURCES / report.sha256 / os.path.basename(report.path))
                audit.record(dest.path, "add", report.doc, report, who=who or f"复制自 {source.location}")
    return len(reports)


class _Batch:
    """The reports of one `add_reports` call, planned against whichever version is live (the base of a
    rebuild: the live version's reports read from the index's copies), kept and audited."""

    def __init__(self, store: Store, reports: list[Report], replace: bool, rebuild: bool, say):
        self.store, self.root = store, store.path
        self.reports, self.replace, self.rebuild, self.say = reports, replace, rebuild, say
        self.base: dict[str, Report] = {}
        self.catalog: list | None = None
        self.lost: list[tuple[str, str]] = []

    def plan(self, index: Index | None) -> Plan:
        if not self.rebuild:
            self.base = index.reports if index else {}
            return plan_reports(self.base, self.reports, self.replace)
        self.catalog = self.store.catalog()
        kept, self.lost = kept_reports(self.root, self.catalog)
        self.base = {doc: _checked_year(r, self.say, []) for doc, r in kept.items()}
        plan = plan_reports(self.base, self.reports, self.replace)
        updated = set(plan.updated)
        again = tuple(r for doc, r in self.base.items() if doc not in updated)
        return dataclasses.replace(plan, index=plan.index + again, unchanged=(), rebuilt=tuple(r.doc for r in again),
                                   failed=plan.failed + tuple(self.lost))

    def changed(self, old: Index | None, current: Index | None) -> bool:
        if self.rebuild:  # another writer's reports are in the catalog of the version it made live
            return self.store.catalog() != self.catalog
        return (current and current.version) != (old and old.version)

    def keep(self, plan: Plan) -> tuple[Plan, list[tuple[str, str]]]:
        """Copy the files of the plan's reports into the index (a no-op for those it holds); a report whose
        file cannot be copied as it was read is left out of the plan, as a failure."""
        gone = {r.doc: r.path for r in plan.index if not keep(self.root, r)}
        if not gone:
            return plan, []
        plan = dataclasses.replace(plan, index=tuple(r for r in plan.index if r.doc not in gone),
                                   **{k: tuple(d for d in getattr(plan, k) if d not in gone) for k in ("added", "updated", "rebuilt")})  # fmt: skip
        return plan, [(path, "文件在读取后被改动或已不可读，未索引；请重试") for path in gone.values()]

    def record(self, plan: Plan, who: str | None) -> None:
        for report in plan.index:
            if report.doc in plan.added:
                audit.record(self.root, "add", report.doc, report, who=who)
            elif report.doc in plan.updated:
                audit.record(self.root, "replace", report.doc, report, self.base.get(report.doc), who=who)


def doc_of(plan: Plan, path: str) -> str:
    """The id the plan gave the report read from `path` (the path itself when it was not indexed)."""
    return next((r.doc for r in plan.index if r.path == path), path)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _existing(store: Store) -> Index | None:
    return store.load() if store.version() is not None else None


def _check_same_model(store: Store, index: Index | None, model: str | None, backend: str | None) -> None:
    """Refuse to add vectors of another model, or of another kind of backend, to an index."""
    if index is None:
        return
    if model and model_name(model) != index.model:
        raise IndexMismatchError(
            f"索引 {store.location} 是用模型 {index.model} 建立的，不能加入 {model_name(model)} 的向量；"
            f"去掉 --model，或加 --rebuild 用新模型重建全部报告"
        )
    if backend and vector_kind(backend) != vector_kind(index.backend):
        raise IndexMismatchError(
            f"索引 {store.location} 的向量由后端 {index.backend} 生成，不能加入 {backend} 的向量；"
            f"去掉 --backend，或加 --rebuild 用 {backend} 重建全部报告"
        )


def _read_reports(paths: Iterable[str | Path], say: Callable[[str], None]) -> tuple[list[Report], list, list]:
    """The readable reports under `paths` (paths made absolute: they are the reports' origin), the failures,
    and (path, what is odd) for reports indexed with something left out (a year no report can have)."""
    files, failed = collect_report_files(paths)
    reports, notes = [], []
    for file in files:
        try:
            report = _read_one(file, notes, say)
        except IngestError as err:
            failed.append((str(file), err.reason))
            say(f"跳过 {file}: {err.reason}")
            continue
        except OSError as err:
            failed.append((str(file), f"无法读取：{err.strerror or err}"))
            continue
        reports.append(report)
    return reports, failed, notes


def _read_one(file: str | Path, notes: list, say: Callable[[str], None] = lambda msg: None) -> Report:
    size = Path(file).stat().st_size
    if size > MAX_REPORT_BYTES:
        raise IngestError(str(file), f"文件过大（{size // 2**20} MB，上限 {MAX_REPORT_BYTES // 2**20} MB）")
    report = read_report(file)
    return _checked_year(dataclasses.replace(report, path=os.path.abspath(report.path)), say, notes)


def _checked_year(report: Report, say: Callable[[str], None], notes: list) -> Report:
    """`report` with a year no report can have (1899, 2099) kept as unknown, and said: never a report year,
    never "2099年" in an answer, and 去年 is not moved by it."""
    problem = report_year_problem(report.year, report.title)
    if not problem:
        return report
    say(f"注意 {report.path}: {problem}")
    notes.append((report.path, problem))
    return dataclasses.replace(report, year=None)


def _build_bm25(tokens: list[list[str]]) -> bm25s.BM25:
    """bm25s over token lists: what rag/store/lexical.py's scores are held against (tests build small indexes with it)."""
    bm25 = bm25s.BM25()
    if tokens:
        bm25.index(tokens, show_progress=False)
    return bm25
