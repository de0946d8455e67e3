"""Corrections of a report's region, year and kind, kept beside the index so that they survive re-indexing.

A correction is a row of `reports.csv` in the index folder (columns `file, region, year, kind`; UTF-8, with or
without BOM): `file` names the report by its id (`rag docs`), its file name or its path; an empty cell leaves
that value as read from the report. `read_corrections` is the one reader of that file (`rag index --metadata`
reads the same form); the chat UI writes it (`save_correction`) and applies it to the index it serves
(`apply_corrections`), so a report re-indexed from its file keeps the corrected values.

What a correction changes: the report's region and year everywhere an answer uses them (filters, citations,
comparisons, facts' years), and its kind as shown in the report list and the viewer. The kind of a report is
otherwise read off its title (政府工作报告 / 法治政府建设情况报告 / 工作报告).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from dataclasses import dataclass
from pathlib import Path

from rag.types import Report

SIDECAR = "reports.csv"
COLUMNS = ("file", "region", "year", "kind")
KINDS = ("法治政府建设情况报告", "政府工作报告", "工作报告", "其他报告")


@dataclass(frozen=True)
class Correction:
    """The values to use for one report; "" / None: keep what was read from the report."""

    file: str
    region: str = ""
    year: int | None = None
    kind: str = ""


def read_corrections(path: str | Path) -> dict[str, Correction]:
    """The corrections in `path` (a reports.csv, or an index folder holding one), by their `file` cell.

    A missing file is no corrections. A row without a file, or with a year that is not a year, is skipped.
    """
    path = Path(path)
    if path.is_dir():
        path = path / SIDECAR
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        file = (row.get("file") or "").strip()
        year = (row.get("year") or "").strip()
        if not file or (year and not (year.isdecimal() and 1900 <= int(year) <= 2100)):
            continue
        out[file] = Correction(file, (row.get("region") or "").strip(), int(year) if year else None,
                               (row.get("kind") or "").strip())  # fmt: skip
    return out


def save_correction(index_dir: str | Path, correction: Correction | None, file: str = "") -> None:
    """Write `correction` into the index folder's reports.csv (replacing that file's row), or, with None,
    drop the row of `file`. The file is replaced atomically."""
    rows = read_corrections(index_dir)
    key = correction.file if correction is not None else file
    rows.pop(key, None)
    if correction is not None and (correction.region or correction.year or correction.kind):
        rows[key] = correction
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in sorted(rows.values(), key=lambda c: c.file):
        writer.writerow([c.file, c.region, c.year or "", c.kind])
    target = Path(index_dir) / SIDECAR
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{SIDECAR}.{os.getpid()}.tmp")
    tmp.write_text(out.getvalue(), encoding="utf-8")
    os.replace(tmp, target)


def correction_for(report: Report, corrections: dict[str, Correction]) -> Correction | None:
    """The row that names `report`: by its id, else its file name, else its path."""
    for key in (report.doc, os.path.basename(report.path), report.path):
        if key and key in corrections:
            return corrections[key]
    return None


def read_kind(report: Report) -> str:
    """The kind of report its title says."""
    title = report.title
    if "政府工作报告" in title or "管委会工作报告" in title:
        return "政府工作报告"
    if "法治政府" in title:
        return "法治政府建设情况报告"
    return "工作报告" if "工作报告" in title else "其他报告"


def report_kind(report: Report, corrections: dict[str, Correction] | None = None) -> str:
    """The kind of `report`: corrected, else as its title says."""
    fix = correction_for(report, corrections or {})
    return fix.kind if fix is not None and fix.kind else read_kind(report)


def corrected(report: Report, corrections: dict[str, Correction]) -> Report:
    """`report` with its corrected region and year (itself when nothing applies)."""
    fix = correction_for(report, corrections)
    if fix is None:
        return report
    region, year = fix.region or report.region, fix.year or report.year
    if (region, year) == (report.region, report.year):
        return report
    return dataclasses.replace(report, region=region, year=year)


def apply_corrections(index, corrections: dict[str, Correction]):
    """`index` (a loaded rag.index.Index) with the corrections applied to its reports: the chunks and facts
    read their region and year from the corrected reports, and the facts' years are read again. Returns
    `index` itself when no correction changes anything (or it has no segments, as a test's index)."""
    from rag.index import assemble
    from rag.segments import with_current_facts

    if not corrections or not index.segments:
        return index
    segments, changed = [], False
    for seg in index.segments:
        reports = [corrected(r, corrections) if i not in seg.dead else r for i, r in enumerate(seg.reports)]
        if any(a is not b for a, b in zip(reports, seg.reports, strict=True)):
            # facts_version "" makes with_current_facts read them again, with the corrected years
            seg = with_current_facts(dataclasses.replace(seg, reports=reports, facts_version=""))
            changed = True
        segments.append(seg)
    if not changed:
        return index
    return assemble(index.path, index.manifest, index.version, segments, index.terms, index.metric_vectors)
