"""Checks that an index version on disk is whole: every file's size and sha256, and the counts, against the manifest.

A truncated, deleted or edited index file must never load into a silent wrong answer (100 chunks read against
135 vectors answers "nothing found"), nor into a traceback: it is one line naming the file and the fix.
sha256 over every file costs 34 ms per 50 MB here (bench/results/faults.txt): 1.8 ms of the seeds index's 9 ms load,
but ~4 s for the 5-6 GB of a million-chunk index. So sizes and row counts are checked at every load, and
checksums too while the files total at most CHECKSUM_BELOW bytes (every index of a few thousand reports);
`check_index` (rag/store/store.py, `rag check`) verifies every checksum of any index. A file's sha256 is
computed once, when it is written; a version that links a file from an older one copies its record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rag.errors import IndexDamagedError, RagError
from rag.store.sources import fix_command

_BLOCK = 1 << 20
CHECKSUM_BELOW = 256 * 2**20  # bytes: checksums at load cost up to ~0.2 s below this


@dataclass(frozen=True)
class Location:
    """Which index version is being read, and the command that rebuilds it (named in every message)."""

    root: Path
    version: Path
    sources: tuple[str, ...] = ()  # the folders its reports came from, where they still exist

    def damaged(self, name: str, why: str) -> IndexDamagedError:
        """The one line for a damaged file: which, what is wrong, and the rebuild, from the index's own
        copies of its reports where it holds them all (rag/store/sources.py), else from their folders."""
        return IndexDamagedError(
            f"索引已损坏：{self.root}/{self.version.name}/{name}（{why}）；请重建：`{fix_command(self.root, self.sources)}`"
        )


def record_of(path: Path) -> dict:
    """What the manifest records of a file: {"bytes": size, "sha256": hex}."""
    return {"bytes": path.stat().st_size, "sha256": _sha256(path)}


def file_records(version: Path) -> dict[str, dict]:
    """{relative path: {"bytes": size, "sha256": hex}} for every file of a version folder but the manifest."""
    return {
        p.relative_to(version).as_posix(): record_of(p)
        for p in sorted(version.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def verify_files(at: Location, manifest: dict, checksums: bool | None = None) -> None:
    """Raise `IndexDamagedError` for the first file that is missing or differs from the manifest's record.

    Sizes are always checked; checksums when `checksums` says so (None: while the files total at most
    CHECKSUM_BELOW bytes). Manifests written before the records existed have none; their index is still
    checked by `verify_counts`.
    """
    records = manifest.get("files", {})
    if checksums is None:
        checksums = sum(r["bytes"] for r in records.values()) <= CHECKSUM_BELOW
    for name, record in records.items():
        path = at.version / name
        if not path.is_file():
            raise at.damaged(name, "文件不存在")
        size = path.stat().st_size
        if size != record["bytes"]:
            raise at.damaged(name, f"{size} 字节，应为 {record['bytes']} 字节")
    for name, record in records.items() if checksums else ():
        if _sha256(at.version / name) != record["sha256"]:
            raise at.damaged(name, "内容校验和不符")


def verify_counts(at: Location, expected: dict[str, int], found: dict[str, int]) -> None:
    """Raise `IndexDamagedError` when a file holds another number of rows than the manifest (or its peers) says."""
    for name, count in found.items():
        want = expected.get(name)
        if want is not None and count != want:
            raise at.damaged(name, f"有 {count} 条，清单记录为 {want} 条")


@contextmanager
def reading(at: Location, name: str) -> Iterator[None]:
    """Turn whatever a damaged file makes its reader raise (JSON, numpy, FAISS, bm25s errors) into one message."""
    try:
        yield
    except RagError:
        raise
    except FileNotFoundError:
        raise at.damaged(name, "文件不存在") from None
    except Exception as err:  # each reader fails its own way on a cut or garbled file
        raise at.damaged(name, f"无法读取：{type(err).__name__}") from None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()
