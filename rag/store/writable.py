"""Can the index folder be written, and is there room? Asked before any embedding, answered in one line with the fix.

Disk full and a read-only index folder ended in tracebacks (`OSError: [Errno 28]`, `PermissionError … LOCK`, a
FAISS assertion), the read-only case only after all the embedding was done (issue 19). A writer now creates and
removes a file in the folder before it loads the model, checks the free space against what its reports will
take before it embeds them, and any OS error while writing is one line that says what to do; the last good
version keeps serving (rag/store/versions.py).
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.errors import IndexWriteError

# Bytes a segment takes per character of report text: the text, tokens, postings and facts, and two 384-float
# vectors (vectors.npy and FAISS's copy, 3 KB) per chunk of 180-360 characters. Measured: the five seeds' segment
# 28 (682 KB for 24,573 characters), a 690,000-character one-line report 16. An estimate: a write that still
# runs out of room mid-way is one line too, and the last good version keeps serving.
BYTES_PER_CHAR = 32
SPARE_BYTES = 4 * 2**20  # the manifest, vocabulary and metric vectors beside the segments (0.45 MB on the seeds)


def check_writable(root: Path) -> None:
    """Create the folder if need be, then create and remove a file in it; `IndexWriteError` when either fails."""
    with writing(root):
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".probe-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            with open(probe, "wb") as f:
                f.write(b"rag")
                f.flush()
                os.fsync(f.fileno())
        finally:
            probe.unlink(missing_ok=True)


def check_room(root: Path, chars: int, file_bytes: int = 0) -> None:
    """`IndexWriteError` when the disk of `root` lacks room for reports of `chars` characters (and their
    files' copies, `file_bytes`): said before the embedding, not after it."""
    need = BYTES_PER_CHAR * chars + file_bytes + SPARE_BYTES
    free = shutil.disk_usage(root).free
    if need > free:
        raise IndexWriteError(
            f"磁盘空间不足：写入索引 {root} 约需 {_mb(need)}，只剩 {_mb(free)}；请腾出空间，"
            f"或用 --index 换到空间足够的磁盘后重试（现有索引不受影响）"
        )


@contextmanager
def writing(root: Path) -> Iterator[None]:
    """Turn an OS error raised while writing the index at `root` into one line with the fix."""
    try:
        yield
    except OSError as err:
        raise IndexWriteError(write_problem(err, root)) from None


def write_problem(err: OSError, root: Path) -> str:
    """What an OS error while writing the index means to its user, and what to do."""
    code = err.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        free = _free(root)
        return (f"磁盘已满，无法写入索引 {root}{f'（只剩 {_mb(free)}）' if free is not None else ''}；"
                f"请腾出空间，或用 --index 换到空间足够的磁盘后重试（上一个完好的索引版本仍在服务）")  # fmt: skip
    if code == errno.EROFS:
        return f"索引文件夹 {root} 在只读文件系统上，无法写入；请用 --index 指定可写的文件夹，或以读写方式重新挂载它"
    if code in (errno.EACCES, errno.EPERM):
        return (f"没有写入索引文件夹 {root} 的权限（{err.filename or root}）；请用有权限的用户运行，"
                f"或修改该文件夹的所有者或权限（chown / chmod）")  # fmt: skip
    if code in (errno.ENOTDIR, errno.EEXIST):
        return f"{root} 不是文件夹（那里已有同名文件）；请用 --index 指定一个文件夹"
    return f"无法写入索引文件夹 {root}：{err.strerror or err}；请检查该文件夹与磁盘"


def _free(root: Path) -> int | None:
    try:
        return shutil.disk_usage(root).free
    except OSError:
        return None


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"
