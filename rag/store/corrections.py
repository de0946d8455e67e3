"""Corrections of a report's region, year and kind, kept beside the index so that they survive re-indexing.

A correction is a row of `reports.csv` in the index folder (columns `file, region, year, kind`; UTF-8, with or
without BOM): `file` names the report by its id (`rag docs`), its file name or its path; an empty cell leaves
that value as read from the report. `read_corrections` is the one reader of that file (`rag index --metadata`
reads the same form); the chat UI writes it (`save_correction`) and applies it to the index it serves
(`apply_corrections`), so a report re-indexed from its file keeps the corrected values.

Corrections reach a report by two roads, with one meaning: `rag index` (and `rag fix`) apply them as each
file is read, so its chunks are embedded with the corrected region and year; the chat applies the index's own
reports.csv to the index it serves at once (`apply_corrections`), so a fix shows on the next question without
re-embedding. A `reports.csv` beside the reports in a folder given to `rag index`, or named by
`rag index --metadata FILE`, is read too (`corrections_for`); a bad line there is an error that names it.

What a correction changes: the report's region (with its level and parents, rag/language/divisions.py), year and kind
everywhere an answer uses them (filters, citations, comparisons, facts' years, the years a report reviews).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from dataclasses import dataclass
from pathlib import Path

from rag.documents.metadata import plausible_year
from rag.errors import RagError
from rag.language.divisions import resolve
from rag.limits import FIRST_REPORT_YEAR
from rag.store.index import assemble
from rag.store.segments import with_current_facts
from rag.types import Report

SIDECAR = "reports.csv"
COLUMNS = ("file", "region", "year", "kind")
KINDS = ("法治政府建设情况报告", "政府工作报告", "管委会工作报告", "工作报告", "其他报告")


class CorrectionError(RagError):
    """A reports.csv line that cannot be read: which line, what is wrong, what is valid."""


@dataclass(frozen=True)
class Correction:
    """The values to use for one report; "" / None: keep what was read from the report."""

    file: str
    region: str = ""
    year: int | None = None
    kind: str = ""


def read_corrections(path: str | Path, strict: bool = False) -> dict[str, Correction]:
    """The corrections in `path` (a reports.csv, or an index folder holding one), by their `file` cell.

    A missing file is no corrections. A row without a file is skipped; a row with a year that is not a year
    or an unknown kind is skipped, or with `strict` (a file the user names) raises CorrectionError naming it.
    UTF-8 with or without BOM, or GBK as Excel saves it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / SIDECAR
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if strict:
            raise CorrectionError(f"{path}: 文件不存在") from None
        return {}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    rows = list(csv.DictReader(io.StringIO(text)))
    if strict and rows and "file" not in rows[0]:
        raise CorrectionError(f"{path}: 第一行应是列名 {','.join(COLUMNS)}（至少要有 file 列）")
    out = {}
    for n, row in enumerate(rows, start=2):
        file = (row.get("file") or "").strip()
        year = (row.get("year") or "").strip().removesuffix("年")
        kind = (row.get("kind") or "").strip()
        problem = ("" if not year or year.isdecimal() and plausible_year(int(year)) else
                   f"年份“{year}”无效，应为 {FIRST_REPORT_YEAR} 至明年之间的四位数年份")
        problem = problem or ("" if not kind or kind in KINDS else f"类型“{kind}”无效，应为 {' / '.join(KINDS)} 之一")
        if problem and strict:
            raise CorrectionError(f"{path} 第 {n} 行：{problem}")
        if not file or problem:
            continue
        out[file] = Correction(file, (row.get("region") or "").strip(), int(year) if year else None, kind)
    return out


def corrections_for(paths, index_root: str | Path | None, extra: str | Path | None = None) -> dict[str, Correction]:
    """All corrections that apply to a batch being indexed: the index's own, then a reports.csv in each
    folder given, then `extra` (rag index --metadata), a later one overriding an earlier one's cells."""
    out: dict[str, Correction] = {}
    sources = [Path(index_root) / SIDECAR] if index_root else []
    sources += [Path(p) / SIDECAR for p in paths if Path(p).is_dir()]
    for source, strict in [(s, False) for s in sources] + ([(Path(extra), True)] if extra else []):
        for name, c in read_corrections(source, strict=strict).items():
            old = out.get(name, Correction(name))
            out[name] = Correction(name, c.region or old.region, c.year or old.year, c.kind or old.kind)
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
    """The kind of report its text says (rag/documents/metadata.py), else its title."""
    if report.kind:
        return report.kind
    title = report.title
    if "政府工作报告" in title or "管委会工作报告" in title:
        return "政府工作报告"
    if "法治政府" in title:
        return "法治政府建设情况报告"
    return "工作报告" if "工作报告" in title else "其他报告"


def report_kind(report: Report, corrections: dict[str, Correction] | None = None) -> str:
    """The kind of `report`: corrected, else as it says."""
    fix = correction_for(report, corrections or {})
    return fix.kind if fix is not None and fix.kind else read_kind(report)


def corrected(report: Report, corrections: dict[str, Correction]) -> Report:
    """`report` with the correction that names it (itself when nothing applies or nothing changes)."""
    fixed = apply(report, correction_for(report, corrections))
    same = all(getattr(fixed, f) == getattr(report, f) for f in ("region", "year", "kind", "level", "parents", "title"))
    return report if same else fixed


def apply(report: Report, correction: Correction | None) -> Report:
    """`report` as `correction` says it is: a new region with its level and parents (rag/language/divisions.py), a
    year or kind with the years it reviews and plans worked out again; the source of each is reports.csv."""
    if correction is None or not (correction.region or correction.year or correction.kind):
        return report
    changes: dict = {}
    sources = dict(report.sources)
    if correction.region and correction.region != report.region:
        place = resolve(correction.region, report.text[:3000])
        region = place.name if place else correction.region
        changes |= {"region": region, "level": place.level if place else "", "parents": place.chain if place else (),
                    "named": ""}
        if report.region and report.region in report.title:
            changes["title"] = report.title.replace(report.region, region)
        sources["region"] = SIDECAR
    if correction.year and correction.year != report.year:
        changes["year"] = correction.year
        sources["year"] = SIDECAR
    if correction.kind and correction.kind != report.kind:
        changes["kind"] = correction.kind
        sources["kind"] = SIDECAR
    if not changes:
        return report
    if "year" in changes or "kind" in changes:  # the years it speaks of follow from its year and kind
        changes |= {"reviews": (), "plans": ()}
    return dataclasses.replace(report, **changes, sources=tuple(sources.items()))


def apply_corrections(index, corrections: dict[str, Correction]):
    """`index` (a loaded rag.store.index.Index) with `corrections` applied to its reports as they were read (an index
    corrected before is corrected anew, so a dropped correction restores what was read): the chunks and
    facts read their region and year from the corrected reports, and the facts' years are read again.
    Returns `index` itself when nothing changes (or it has no segments, as a test's index)."""
    if not (corrections or index.as_read) or not index.segments:
        return index
    segments, changed = [], False
    for seg in index.segments:
        reports = [corrected(index.as_read.get(r.doc, r), corrections) if i not in seg.dead else r
                   for i, r in enumerate(seg.reports)]
        if any(not _same(a, b) for a, b in zip(reports, seg.reports, strict=True)):
            # facts_version "" makes with_current_facts read them again, with the corrected years
            seg = with_current_facts(dataclasses.replace(seg, reports=reports, facts_version=""))
            changed = True
        segments.append(seg)
    if not changed:
        return index
    fixed = assemble(index.path, index.manifest, index.version, segments, index.terms, index.metric_vectors)
    read = {doc: index.as_read.get(doc, r) for doc, r in index.reports.items()}
    fixed.as_read = {doc: r for doc, r in read.items() if not _same(fixed.reports.get(doc, r), r)}
    return fixed


def _same(a: Report, b: Report) -> bool:
    return a is b or all(getattr(a, f) == getattr(b, f) for f in ("region", "year", "kind", "level", "parents", "title"))


def as_read(index, doc: str) -> Report | None:
    """`doc` as its text says it is, before any correction."""
    return index.as_read.get(doc) or index.reports.get(doc)
