"""Where a Milvus index is: `milvus:./file.db` (Milvus Lite, embedded) or `milvus://host:19530[/name]` (a server).

Read without pymilvus, so `rag history` and other commands that only need the folder kept beside the index
(copies, the audit log, reports.csv) start at once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from rag.errors import ArgumentError

PREFIX = "milvus:"
DEFAULT_NAME = "rag"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
EXAMPLE = "milvus:./index.db（Milvus Lite）或 milvus://127.0.0.1:19530（Milvus 服务）"


@dataclass(frozen=True)
class MilvusLocation:
    """A parsed Milvus location: what to connect to (`uri`), the index's name (its collections' prefix)."""

    text: str  # as given
    uri: str  # an absolute .db path (Milvus Lite) or http://host:port
    name: str
    lite: bool

    def files(self) -> Path:
        """The folder kept beside the index by default: `x.files/` beside a Milvus Lite `x.db`; for a server,
        a folder under $RAG_CACHE_DIR/milvus (else ~/.cache/rag/milvus) named by host, port and name."""
        if self.lite:
            return Path(self.uri).with_suffix(".files")
        parts = urlsplit(self.uri)
        base = Path(os.environ["RAG_CACHE_DIR"]).expanduser() if os.environ.get("RAG_CACHE_DIR") else (
            Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "rag")
        return base / "milvus" / f"{parts.hostname}_{parts.port or 19530}_{self.name}"


def is_milvus(location: str | Path) -> bool:
    return str(location).startswith(PREFIX)


def parse_location(text: str) -> MilvusLocation:
    """`text` read as a Milvus location; `ArgumentError` saying the valid forms when it is not one."""
    rest = text[len(PREFIX):] if text.startswith(PREFIX) else ""
    if rest.startswith("//"):
        parts = urlsplit("http:" + rest)
        name = parts.path.strip("/") or DEFAULT_NAME
        if not parts.hostname or not _NAME.fullmatch(name):
            raise ArgumentError(f"无法识别的 Milvus 位置 {text!r}；应为 {EXAMPLE}，名称只含字母、数字和下划线")
        return MilvusLocation(text, f"http://{parts.hostname}:{parts.port or 19530}", name, lite=False)
    if not rest.endswith(".db"):
        raise ArgumentError(f"无法识别的 Milvus 位置 {text!r}；Milvus Lite 的文件名须以 .db 结尾，应为 {EXAMPLE}")
    return MilvusLocation(text, os.path.abspath(os.path.expanduser(rest)), DEFAULT_NAME, lite=True)
