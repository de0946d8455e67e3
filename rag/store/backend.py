"""Where an index is kept: the `Store` interface its backends share, and `open_store` to pick one by location.

A store keeps reports, their chunks (offsets, section path, jieba tokens, vector), their facts, the metric
vectors and a manifest (model, dimension, chunker), and loads them as the in-memory `Index`
(rag/store/index.py) that retrieval and answers read. Two backends, as vicinity has backends:

    a folder            `LocalStore` (rag/store/local.py): FORMAT 2 version folders of segments, the default
    milvus:./x.db       `MilvusStore` (rag/store/milvus/): Milvus Lite, embedded in this process
    milvus://host:19530 `MilvusStore` on a Milvus server (Standalone, Distributed, or `milvus-lite server`)

What a backend provides; everything else is the same for all of them, above it in rag/store/store.py
(adding, removing, restoring and correcting reports, and `copy_index`, which saves one store's index in
another without re-embedding):

    version() / stamp()   the live version's name (None: no index); something cheap that changes with it
    load() / check()      the Index (manifest checked: a model or chunker it cannot serve is refused with the
                          fix); check() verifies every file or row as well
    lock(wait, say)       one writer at a time, across processes (and machines, for a server)
    write(embedder, old, new, vectors, say, removed)
                          build, add and remove: the live index `old` with `new` added (replacing reports of the
                          same id) and `removed` dropped, made live at once; readers never see half of it
    catalog()             each live report's id, sha256, file name and origin: what a rebuild reads copies by
    path                  the folder of the files kept beside the index: copies of the reports (sources/), the
                          audit log, reports.csv (for a folder store, the folder itself)

What a loaded Index answers is the same whichever store loaded it: `index.faiss_index.search(q, k, allowed)`
(dense top k among the allowed rows, `DenseSearch`), `index.bm25.get_scores(tokens)` (BM25 of every chunk,
`LexicalScores`), `index.facts.rows(regions, target)`, `index.chunks`, `index.reports`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from rag.errors import IndexNotFoundError, StoreUnavailableError
from rag.store.index import Index
from rag.store.local import LocalStore
from rag.types import Report

MILVUS = "milvus:"


class DenseSearch(Protocol):
    """What `Index.faiss_index` answers: rows of the `k` chunks nearest `q` ((1, dim) float32) among `allowed`."""

    ntotal: int

    def search(self, q: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray: ...


class LexicalScores(Protocol):
    """What `Index.bm25` answers: the BM25 score of every chunk (rag/store/lexical.py's arithmetic), in row order."""

    def get_scores(self, tokens: list[str]) -> np.ndarray: ...


@runtime_checkable
class Store(Protocol):
    """An index's home: a folder, or a Milvus database (see the module's docstring for what each method does)."""

    path: Path

    @property
    def location(self) -> str: ...

    def version(self) -> str | None: ...

    def stamp(self) -> object: ...

    def load(self) -> Index: ...

    def check(self) -> Index: ...

    def not_found(self) -> IndexNotFoundError: ...

    def lock(self, wait: float = ..., say: Callable[[str], None] | None = None) -> AbstractContextManager[None]: ...

    def write(self, embedder, old: Index | None, new: Iterable[Report], vectors: dict[str, np.ndarray],
              say: Callable[[str], None], removed: Iterable[str] = ()) -> list[tuple[str, str]]: ...

    def catalog(self) -> list[dict] | None: ...


def open_store(location: str | Path, files: str | Path | None = None, token: str | None = None) -> Store:
    """The store at `location`: a folder (today's format), `milvus:./file.db` (Milvus Lite, embedded) or
    `milvus://host:19530[/name]` (a server; `token` is its "user:password" or API key).

    `files`: for a Milvus store, the folder of the files kept beside it (copies of the reports, the audit log,
    reports.csv); by default `file.files/` beside a Milvus Lite file, or a folder under ~/.cache/rag/milvus/
    for a server. A Milvus store needs the optional extra: `pip install 'rag-reports[milvus]'`.
    """
    text = str(location)
    if not text.startswith(MILVUS):
        return LocalStore(Path(location))
    try:
        from rag.store.milvus.store import MilvusStore  # lazy: pymilvus, an optional extra, slow to import
    except ImportError as err:
        raise StoreUnavailableError(f"使用 {text} 需要 pymilvus 与 milvus-lite（{err.name} 未安装）；"
                                    f"请运行 `pip install 'rag-reports[milvus]'`") from None
    return MilvusStore.open(text, Path(files) if files else None, token)


def as_store(where: Store | str | Path) -> Store:
    """`where` as a Store: a store as it is, a path or location opened (`open_store`)."""
    if isinstance(where, str | Path):
        return open_store(where, token=os.environ.get("RAG_STORE_TOKEN") or None)
    return where
