"""One writer at a time per index folder, across processes: `rag index`, `rag remove` and the UI's uploads.

The lock is an OS lock (flock) on `<index>/LOCK`, and the file holds the holder's pid and start time for
the waiting message. The kernel drops the lock when its holder dies, even by kill -9, so a LOCK file left by
a dead process is simply taken over: there is never a stale lock to delete by hand. Two threads of one
process (two UI uploads) exclude each other too, as each opens the file anew.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.errors import IndexBusyError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

LOCK_FILE = "LOCK"
WAIT_SECONDS = 30 * 60  # writers hold the lock only to merge and write (seconds), never while embedding
POLL_SECONDS = 0.1


@contextmanager
def index_lock(
    root: Path, wait: float = WAIT_SECONDS, say: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the write lock of the index folder `root` (which must exist), waiting up to `wait` seconds.

    `say` hears once that the writer waits, and for whom. Raises `IndexBusyError` when the wait runs out.
    """
    path = root / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        told = False
        while not _try_lock(fd):
            if not told and say:
                say(f"索引 {root} 正由另一个写入进程（{holder(root)}）更新，等待它完成…")
                told = True
            if time.monotonic() > deadline:
                raise IndexBusyError(
                    f"索引 {root} 被另一个写入进程（{holder(root)}）占用超过 {wait:.0f} 秒；"
                    f"等它结束后重试（若该进程已卡住，结束它即可，锁随进程释放）"
                )
            time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} 自 {time.strftime('%H:%M:%S')}".encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # a LOCK file with no pid in it: nobody is writing
            _unlock(fd)
    finally:
        os.close(fd)


def holder(root: Path) -> str:
    """Who holds the lock, as its LOCK file says ("pid 1234 自 10:31:05"), or "未知"."""
    try:
        return (root / LOCK_FILE).read_text(encoding="utf-8").strip() or "未知"
    except OSError:
        return "未知"


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except OSError:  # BlockingIOError on POSIX, PermissionError on Windows
        return False


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
