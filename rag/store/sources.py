"""The index keeps its own copy of every file it indexes, so no report depends on where its file came from.

    sources/<sha256>/<file name>     the bytes that were indexed, under the name they came with; never changed
                                     or deleted, so a replaced report's old version stays (rag/store/audit.py)
    sources/catalog/<version>.json   each report of that version: its id, origin and the copy it was read from

Ctrl-C on `rag serve` let the web framework delete the uploads in its temp folder; the rebuild the damage
message printed then exited 0 with 6 reports of 7, gave ids to other reports and brought back a replaced one
(issue 19). Now each file is copied here before it is embedded, the catalog is written with each version
(before it goes live), and a rebuild reads every report of the live version from its copy, under its own id.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shlex
from pathlib import Path

from rag.documents.ingest import read_report
from rag.errors import IngestError
from rag.types import Report

SOURCES = "sources"
CATALOGS = "catalog"


def copy_of(root: Path, report: Report) -> Path:
    """Where the index keeps `report`'s file: named by the sha256 of its bytes, and by its own name."""
    return root / SOURCES / report.sha256 / (os.path.basename(report.path) or report.doc)


def keep(root: Path, report: Report, origin: str | Path | None = None) -> bool:
    """Copy `report`'s file (at `origin`, else its path) into the index, unless a copy is there; whether it
    is kept. A file whose bytes changed since it was read is not copied (the copy would not be what was read)."""
    dest = copy_of(root, report)
    if dest.is_file() and dest.stat().st_size > 0:
        return True
    try:
        data = Path(origin or report.path).read_bytes()
    except OSError:
        return False
    if hashlib.sha256(data).hexdigest() != report.sha256:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".tmp-{os.getpid()}-{dest.name}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:  # a full disk leaves no half copy behind
        tmp.unlink(missing_ok=True)
        raise
    return True


def write_catalog(root: Path, version: str, reports: list[Report]) -> None:
    """Record which copy each report of `version` was read from (called before the version goes live).

    A report indexed before the index kept copies is copied now where its file is still unchanged."""
    rows = []
    for r in reports:
        kept = keep(root, r)
        rows.append({"doc": r.doc, "sha256": r.sha256, "name": os.path.basename(r.path), "origin": r.path, "kept": kept})
    folder = root / SOURCES / CATALOGS
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{version}.json"
    tmp.write_text(json.dumps({"version": version, "reports": rows}, ensure_ascii=False, indent=0), encoding="utf-8")
    os.replace(tmp, folder / f"{version}.json")
    for old in folder.glob("v-*.json"):  # the live version's and this one's are all a rebuild reads
        if old.stem not in (version, _live_name(root)):
            old.unlink(missing_ok=True)


def catalog(root: Path) -> list[dict] | None:
    """The live version's catalog rows; when CURRENT is lost or damaged, the newest catalog's (a version
    written but not yet live holds every report of the one before it, and the report being added); None
    for an index from before copies were kept."""
    folder = root / SOURCES / CATALOGS
    live = folder / f"{_live_name(root)}.json"
    newest = sorted(folder.glob("v-*.json"), key=lambda p: p.stat().st_mtime)
    path = live if live.is_file() else (newest[-1] if newest else None)
    try:
        return json.loads(path.read_text(encoding="utf-8"))["reports"] if path else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def kept_reports(root: Path, rows: list[dict] | None) -> tuple[dict[str, Report], list[tuple[str, str]]]:
    """The reports of catalog `rows` (the live version's: `catalog`, or a Milvus store's) read again from their
    copies under `root`, each under its id and origin, and the (report, reason) of each that cannot be (no copy:
    indexed before copies were kept, its file since gone)."""
    reports: dict[str, Report] = {}
    missing: list[tuple[str, str]] = []
    for row in rows or []:
        path = root / SOURCES / row["sha256"] / row["name"]
        try:
            report = read_report(path)
        except (IngestError, OSError):
            missing.append((row["doc"], f"索引中没有它的文件副本（{row['origin']} 也不可用），请在命令中给出它的文件"))
            continue
        reports[row["doc"]] = dataclasses.replace(report, doc=row["doc"], path=row["origin"])
    return reports, missing


def fix_command(root: Path, folders: tuple[str, ...] = ()) -> str:
    """The command that rebuilds the index at `root`: from its own copies when it holds every report's,
    else from the folders the reports came from (or a placeholder for them)."""
    rows = catalog(root)
    if rows and all((root / SOURCES / r["sha256"] / r["name"]).is_file() for r in rows):
        return f"rag index --index {shlex.quote(str(root))} --rebuild"
    return f"rag index {' '.join(folders) or '报告文件或文件夹…'} --index {root} --rebuild"


def _live_name(root: Path) -> str:
    try:
        return (root / "CURRENT").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
