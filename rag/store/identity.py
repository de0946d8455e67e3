"""Which report an incoming file is: unchanged, a new version of an indexed one, a duplicate, or a new report.

A report is known by where it came from (its absolute path) and by its text, not by its bare file name:

- the same path with the same bytes is unchanged; the same path with other bytes is a new version;
- the same text (`Report.text_sha256`, decoded and normalised, so a GBK copy of a UTF-8 report matches) under
  the same file name is unchanged (the UI uploads from a fresh temp folder each time); under another name
  it is a duplicate and refused;
- a file named like an indexed report but from elsewhere, with other text, is another report — unless
  `replace` says it is the new version of the one with that name (the UI's 替换同名报告, `rag index --replace`).

A report's id (`Report.doc`) is its file name, as before, while that is unique; namesakes get enough of
their folder path to tell them apart (a/政府工作报告.txt, b/政府工作报告.txt); a file in a folder a machine
named (Gradio's upload cache, a temp folder) gets a number instead: 政府工作报告 (2).txt. Ids never change.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rag.documents.ingest import display_path, text_fingerprint
from rag.types import Report

_MACHINE_MADE = re.compile(r"[0-9a-f]{16,}|tmp\w*|gradio", re.I)
_FOLDERS_IN_ID = 3  # at most this many folder names before the file name


@dataclass(frozen=True)
class Plan:
    """What to do with a batch of read reports; `index` holds them with their final ids."""

    index: tuple[Report, ...] = ()
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()  # (file, reason)
    warnings: tuple[tuple[str, str], ...] = ()  # (doc, what to know)
    rebuilt: tuple[str, ...] = ()  # indexed again from the index's own copies (a rebuild)


@dataclass
class _Draft:
    added: list[Report] = field(default_factory=list)
    updated: list[Report] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def origin(report: Report) -> str:
    """Where a report came from: its absolute path (old indexes stored the path as typed)."""
    return os.path.abspath(report.path)


def file_name(report: Report) -> str:
    return os.path.basename(report.path) or report.doc


def fingerprint(report: Report) -> str:
    return report.text_sha256 or text_fingerprint(report.text)  # indexes built before it was recorded


def same_identity(a: Report, b: Report) -> bool:
    """Whether two readings of one file say the same of what it is (a correction, or a better reading of
    its text, makes it a new version: its chunks carry region and year)."""
    fields = ("title", "region", "year", "kind", "level", "parents")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def plan_reports(indexed: dict[str, Report], incoming: list[Report], replace: bool = False, keep_ids: bool = False) -> Plan:
    """Decide, for each of `incoming` (read from disk, `doc` = file name), against the `indexed` reports.

    `keep_ids`: a new report keeps the `doc` it comes with while no other report has it (a report restored
    after it was removed: ids never move)."""
    by_origin = {origin(r): d for d, r in indexed.items()}
    by_text = {fingerprint(r): d for d, r in indexed.items()}
    batch_text: dict[str, str] = {}  # fingerprint → path of an earlier file of this batch
    draft = _Draft()
    for report in incoming:
        key, where = fingerprint(report), display_path(report.path)
        own = by_origin.get(origin(report))
        if own is not None and indexed[own].sha256 == report.sha256 and same_identity(indexed[own], report):
            draft.unchanged.append(own)
            continue
        twin = by_text.get(key)
        if twin is not None and twin != own:
            if own is None and file_name(indexed[twin]) == file_name(report):
                draft.unchanged.append(twin)  # the same report again, from another folder or upload
            else:
                draft.failed.append((where, f"与已索引的 {twin} 内容相同，未重复索引"))
            continue
        if key in batch_text:
            draft.failed.append((where, f"与同批的 {batch_text[key]} 内容相同，未重复索引"))
            continue
        batch_text[key] = where
        target = own
        if target is None and replace:
            target, problem = _namesake(indexed, file_name(report))
            if problem:
                draft.failed.append((where, problem))
                continue
        if target is not None:
            draft.updated.append(dataclasses.replace(report, doc=target))
        else:
            draft.added.append(report)
    added, warnings = _name_new(indexed, draft.added, keep_ids)
    return Plan(
        index=tuple(draft.updated + added),
        added=tuple(r.doc for r in added),
        updated=tuple(r.doc for r in draft.updated),
        unchanged=tuple(draft.unchanged),
        failed=tuple(draft.failed),
        warnings=tuple(warnings),
    )


def _namesake(indexed: dict[str, Report], name: str) -> tuple[str | None, str]:
    """(the indexed report a file called `name` replaces, or why none can be chosen)."""
    same = sorted(d for d, r in indexed.items() if file_name(r) == name)
    if len(same) <= 1 or name in same:
        return (name if name in same else (same[0] if same else None)), ""
    return None, f"有 {len(same)} 份名为 {name} 的报告（{'、'.join(same)}），无法确定替换哪一份；先用 `rag remove` 删去不要的"


def _name_new(indexed: dict[str, Report], reports: list[Report],
              keep_ids: bool = False) -> tuple[list[Report], list[tuple[str, str]]]:
    """Give each new report its id: the file name when unique, else a longer one (see the module docstring)."""
    taken = set(indexed)
    indexed_names = {file_name(r) for r in indexed.values()} | taken
    batch_names = Counter(file_name(r) for r in reports)
    out, warnings = [], []
    for report in reports:
        name = file_name(report)
        if keep_ids and report.doc not in taken:
            doc = report.doc
        elif name not in indexed_names and batch_names[name] == 1:
            doc = name
        else:
            doc = _distinct_id(report.path, taken)
            if name in indexed_names:
                warnings.append((doc, f"与已索引的 {name} 同名但内容不同，作为另一份报告加入；"
                                      "若是它的新版本，请用 `rag index --replace`（上传时勾选“替换同名报告”）"))  # fmt: skip
        taken.add(doc)
        out.append(dataclasses.replace(report, doc=doc))
    return out, warnings


def _distinct_id(path: str, taken: set[str]) -> str:
    """parent/name, grandparent/parent/name … (people's folder names only), else "stem (n).ext"."""
    p = Path(path)
    folders = []
    for folder in reversed(p.parent.parts[1:] if p.is_absolute() else p.parent.parts):
        if _MACHINE_MADE.fullmatch(folder):  # it, and what lies above it, says nothing about the report
            break
        folders.append(folder)
    for n in range(1, min(len(folders), _FOLDERS_IN_ID) + 1):
        candidate = "/".join([*reversed(folders[:n]), p.name])
        if candidate not in taken:
            return candidate
    stem, suffix = os.path.splitext(p.name)
    n = 2
    while f"{stem} ({n}){suffix}" in taken:
        n += 1
    return f"{stem} ({n}){suffix}"
