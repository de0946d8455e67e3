"""The index a long-running process answers from, following what other processes write to its store.

After `rag remove` beside a running `rag serve`, the removed report was still quoted and listed until a restart
or the next upload (issue 19): the server loaded the index once. `LiveIndex.current()` asks the store's
`stamp()` on every call (a folder's: one stat of its CURRENT pointer, rag/store/versions.py; a Milvus store's:
its manifest's version, asked at most once a second), and loads the version it names when it is not the one in
memory. A version that fails to load (damaged, or deleted by its writer mid-load) leaves the last good one
serving, with the reason in `problem`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rag.errors import IndexNotFoundError, RagError
from rag.store.backend import Store, as_store
from rag.store.index import Index

_UNSEEN = object()  # the pointer before the first look


class LiveIndex:
    """The live version of the index in `store` (a Store, or a folder), reloaded when another process makes
    another one live."""

    def __init__(self, store: Store | str | Path, index: Index | None = None):
        self.store = as_store(store)
        self.path = self.store.path
        self.problem = ""  # why the newest version could not be loaded; "" when it is the one served
        self._index = index
        self._seen = self.store.stamp() if index is not None else _UNSEEN
        self._lock = threading.Lock()  # one load at a time; readers of a loaded index never wait

    def current(self) -> Index | None:
        """The index as its folder holds it now (None while there is none); one stat when nothing changed,
        and a version that failed to load is not tried again until CURRENT changes."""
        seen = self.store.stamp()
        if seen == self._seen:
            return self._index
        with self._lock:
            seen = self.store.stamp()
            if seen != self._seen:
                self._follow(seen)
        return self._index

    def replace(self, index: Index) -> None:
        """Serve `index`, just loaded by this process after its own write."""
        with self._lock:
            self._index, self._seen, self.problem = index, self.store.stamp(), ""

    def _follow(self, seen) -> None:
        for attempt in (1, 2):  # a writer deletes the version it replaced: a load begun just before may miss it
            try:
                version = self.store.version()
                if version is None:
                    self._index = None
                elif self._index is None or version != self._index.version:
                    self._index = self.store.load()
                self._seen, self.problem = seen, ""
                return
            except IndexNotFoundError:
                self._index, self._seen = None, seen
                return
            except RagError as err:
                if attempt == 2:
                    self.problem, self._seen = str(err), seen  # tried again at the next write, not every question
                seen = self.store.stamp()
