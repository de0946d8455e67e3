"""Errors the library raises; the CLI turns each into one line and a non-zero exit."""

from __future__ import annotations


class RagError(Exception):
    """Base class: the message says what was wrong and how to fix it."""


class IngestError(RagError):
    """A file could not be read as a report (empty, binary, broken, no text layer …)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexMismatchError(RagError):
    """The index on disk was built with another model, dimension or chunker version."""


class IndexNotFoundError(RagError):
    """No index where one was expected."""


class UnknownDocError(RagError):
    """A report name that is not in the index."""


class IndexDamagedError(RagError):
    """A file of the live index version is missing, truncated or does not match the manifest."""


class IndexBusyError(RagError):
    """Another writer held the index lock for longer than this writer would wait."""


class ArgumentError(RagError):
    """A bad argument to the library or the API: the message names it and says what is valid."""


class IndexWriteError(RagError):
    """The index folder cannot be written: disk full, a read-only file system, no permission."""


class StoreUnavailableError(RagError):
    """The index's store cannot be reached: a Milvus server down or refusing the token, a Milvus Lite file
    another process holds, pymilvus not installed."""
