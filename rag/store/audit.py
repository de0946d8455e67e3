"""Who changed which report, when and from which file: every add, replace, remove and restore, in the index folder.

    AUDIT.jsonl   one JSON line an event: {"when", "who", "action", "doc", "sha256", "name", "origin", "previous"}

On a shared deployment any user of the chat could replace a report with a forged text under its title, with no
record of who or when and no way back (issue 19). Each event is appended (and synced) under the index lock,
right after the version it describes went live; the file named by `sha256`/`name` is the index's own copy
(rag/store/sources.py), so `rag history DOC` lists every version a report had and `rag restore DOC [N]` brings one back.
"""

from __future__ import annotations

import getpass
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from rag.errors import RagError
from rag.types import Report

AUDIT = "AUDIT.jsonl"
_CONTENT = ("add", "replace", "restore")  # the events that give a report new text


@dataclass(frozen=True)
class Version:
    """One text a report had: the n-th add, replace or restore of it."""

    n: int
    when: str
    who: str
    action: str
    sha256: str
    name: str  # the file's name, as kept in sources/<sha256>/
    origin: str  # where the file came from
    live: bool  # the text the index holds now

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in ("n", "when", "who", "action", "sha256", "name", "origin", "live")}


def os_user() -> str:
    """The user running this process, as the OS names them (a container may have no name for its uid)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "未知"


def record(root: Path, action: str, doc: str, report: Report | None = None, previous: Report | None = None,
           who: str | None = None) -> None:
    """Append one event; call under the index lock, after the version it describes went live."""
    event = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "who": who or os_user(), "action": action, "doc": doc}
    subject = report or previous
    if subject is not None:
        event |= {"sha256": subject.sha256, "name": os.path.basename(subject.path), "origin": subject.path}
    if previous is not None and report is not None:
        event["previous"] = previous.sha256
    with open(root / AUDIT, "a", encoding="utf-8") as f:
        f.write(json.dumps(event, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def events(root: Path, doc: str | None = None) -> list[dict]:
    """Every event (of `doc`), oldest first; a line cut by a crash is skipped."""
    try:
        lines = (root / AUDIT).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and (doc is None or event.get("doc") == doc):
            out.append(event)
    return out


def versions(root: Path, doc: str) -> list[Version]:
    """The texts `doc` has had, oldest first, numbered from 1; the last is live unless it was removed since."""
    found = events(root, doc)
    removed = bool(found) and found[-1].get("action") == "remove"
    content = [e for e in found if e.get("action") in _CONTENT]
    return [
        Version(n, e.get("when", ""), e.get("who", ""), e["action"], e.get("sha256", ""), e.get("name", ""),
                e.get("origin", ""), live=n == len(content) and not removed)
        for n, e in enumerate(content, start=1)
    ]  # fmt: skip


def pick(root: Path, doc: str, n: int | None = None) -> Version:
    """The version of `doc` to restore: the n-th, or else the latest whose text is not the live one."""
    found = versions(root, doc)
    if not found:
        raise RagError(f"没有 {doc} 的历史记录（索引在开始记录之前建立，或没有这份报告）；`rag docs` 列出已索引的报告")
    if n is not None:
        if not 1 <= n <= len(found):
            raise RagError(f"{doc} 没有第 {n} 版：共有 {len(found)} 版；`rag history {doc}` 列出它们")
        return found[n - 1]
    live = next((v.sha256 for v in found if v.live), None)
    earlier = [v for v in found if v.sha256 != live]
    if not earlier:
        raise RagError(f"{doc} 只有现在这一版，没有可恢复的旧版本")
    return earlier[-1]
