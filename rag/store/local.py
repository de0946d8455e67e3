"""The folder store (the default backend, rag/store/backend.py): the index as FORMAT 2 files in one folder.

`load_index` reads the live version (rag/store/versions.py) of a folder, checked against its manifest
(rag/store/integrity.py); an index of FORMAT 1, from before segments, still loads, and its next write stores
it anew without re-embedding. `LocalStore` is the folder as a Store: its writes are rag/store/writer.py's,
its lock rag/store/lock.py's, its catalog rag/store/sources.py's.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.documents.sections import CHUNKER_VERSION
from rag.errors import IndexMismatchError, IndexNotFoundError
from rag.store.corrections import apply_corrections, read_corrections
from rag.store.index import Index, assemble
from rag.store.integrity import Location, reading, verify_files
from rag.store.layout import FORMAT, read_format1, read_segment, read_vocab
from rag.store.lock import WAIT_SECONDS, index_lock
from rag.store.metric_vectors import load_metric_vectors
from rag.store.segments import with_current_facts
from rag.store.sources import catalog
from rag.store.versions import current_version
from rag.store.writer import write_merged
from rag.types import Report


@dataclass(frozen=True)
class LocalStore:
    """The index in the folder `path` (FORMAT 2), which also holds the copies, audit log and reports.csv."""

    path: Path

    @property
    def location(self) -> str:
        return str(self.path)

    def version(self) -> str | None:
        version = current_version(self.path)
        return version.name if version is not None else None

    def stamp(self) -> tuple[int, int, int] | None:
        """The CURRENT file's state, one stat: a writer replaces it (a new inode), never edits it."""
        try:
            st = os.stat(self.path / "CURRENT")
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def load(self) -> Index:
        return load_index(self.path)

    def check(self) -> Index:
        return check_index(self.path)

    def not_found(self) -> IndexNotFoundError:
        return IndexNotFoundError(f"{self.path} 中没有索引；先运行 `rag index seeds/ --index {self.path}`")

    def lock(self, wait: float = WAIT_SECONDS, say: Callable[[str], None] | None = None) -> AbstractContextManager[None]:
        return index_lock(self.path, wait=wait, say=say)

    def write(self, embedder, old: Index | None, new: Iterable[Report], vectors: dict[str, np.ndarray],
              say: Callable[[str], None], removed: Iterable[str] = ()) -> list[tuple[str, str]]:
        return write_merged(self.path, embedder, old, new, vectors, say, removed=removed)

    def catalog(self) -> list[dict] | None:
        return catalog(self.path)


def load_index(path: str | Path) -> Index:
    """Load the live version of the index at `path`, checking its files against the manifest.

    Raises `IndexNotFoundError` when there is none, `IndexMismatchError` when it is of a format or chunker
    this code does not read, and `IndexDamagedError` (one line: the file, what is wrong, the command that
    rebuilds it) when a file is missing, cut short or changed (rag/store/integrity.py: which checks run when).
    """
    root = Path(path)
    version = current_version(root)
    if version is None:
        raise LocalStore(root).not_found()
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
    # a correction made in the chat since the last write (the index's reports.csv) holds here too
    return apply_corrections(index, read_corrections(root))


def check_index(path: str | Path) -> Index:
    """Load the index at `path` verifying every file's checksum, however large it is (`rag index --check`)."""
    root = Path(path)
    if current_version(root) is None:
        raise LocalStore(root).not_found()
    index = load_index(root)
    at = Location(root, root / index.version, tuple(shlex.quote(s) for s in index.manifest.get("sources", [])))
    verify_files(at, index.manifest, checksums=True)
    return index
