"""Version folders: each write builds a complete new one beside the live one, then CURRENT is switched to it.

    CURRENT            name of the live version folder; replaced atomically (os.replace)
    v-<time>-<pid>/    the live version (manifest.json and the index files, see rag/store/store.py)
    .tmp-v-…/          a version being written; left behind only by a writer that was killed
    LOCK               the writers' lock (rag/store/lock.py)

A version may share files with the one before it (`link_or_copy`: segments it keeps, rag/store/layout.py); no
file is changed once written, so deleting an old version folder never touches what the live one reads.

A crash at any moment leaves the previous version serving: the new folder is complete and fsynced before it
is renamed into place, and CURRENT names it only after that. Writers run one at a time (rag/store/lock.py), so a
temporary folder found by the next writer was left by a dead one, and is removed.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.errors import IndexDamagedError
from rag.store.sources import fix_command


@contextmanager
def new_version(root: Path) -> Iterator[Path]:
    """A temporary folder to write a version into; on leaving the block it goes live, or is removed on error.

    Call under `index_lock` only.
    """
    root.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(root)
    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = root / f".tmp-{name}"
    tmp.mkdir()
    try:
        yield tmp
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


def _remove_leftovers(root: Path) -> None:
    """Temporary version folders and pointers of writers killed mid-write (no later write used to remove them)."""
    for path in root.glob(".tmp-v-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in root.glob(".CURRENT-*"):
        path.unlink(missing_ok=True)


def current_version(root: Path) -> Path | None:
    """The live version folder; None when there is no index.

    CURRENT is replaced atomically, so an empty or missing one means it was lost; the newest complete
    version folder is then the live one (older ones are deleted only after CURRENT moved past them).
    """
    pointer = root / "CURRENT"
    name = pointer.read_text(encoding="utf-8", errors="replace").strip() if pointer.is_file() else ""
    if not name:
        found = sorted(v for v in root.glob("v-*") if (v / "manifest.json").is_file())
        return found[-1] if found else None
    version = root / name
    if not name.startswith("v-") or not version.is_dir():
        raise IndexDamagedError(
            f"索引已损坏：{root}/CURRENT 指向的版本 {name[:40]!r} 不存在；请重建：`{fix_command(root)}`"
        )
    return version


def link_or_copy(src: Path, dst: Path) -> None:
    """`dst` as a hard link to `src` where the file system allows one, else a copy: how a version keeps
    a file of the one before it. Index files are never written again once made, so the two may share it."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
