"""What a person says a report is: `reports.csv` (file, region, year, kind), over what its text says.

A sidecar lies beside the reports (`reports.csv` in a folder given to `rag index`), is named by
`rag index --metadata FILE`, or is the index's own `reports.csv`, where `rag fix` and the chat's corrections
are kept: every one is applied whenever a report is read, so a correction survives re-indexing. An empty cell
leaves that field as the text says. The columns, in any order: file (the file name or the report's id),
region (光明区, 深圳市光明区 or 宁夏), year (2025), kind (政府工作报告 / 管委会工作报告 / 法治政府建设情况报告).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rag.divisions import resolve
from rag.errors import RagError
from rag.limits import FIRST_REPORT_YEAR
from rag.metadata import plausible_year
from rag.types import Report

SIDECAR = "reports.csv"
KINDS = ("政府工作报告", "管委会工作报告", "法治政府建设情况报告")
_COLUMNS = ("file", "region", "year", "kind")


class SidecarError(RagError):
    """A reports.csv that cannot be read: which line, what is wrong."""


@dataclass(frozen=True)
class Correction:
    """One line of a sidecar: the fields a person set for a report ("" / None: as its text says)."""

    region: str = ""
    year: int | None = None
    kind: str = ""

    def merged(self, later: Correction) -> Correction:
        return Correction(later.region or self.region, later.year or self.year, later.kind or self.kind)


def read_sidecar(path: str | Path) -> dict[str, Correction]:
    """file → Correction, from a reports.csv (UTF-8 with or without BOM, or GBK as Excel saves it)."""
    path = Path(path)
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SidecarError(f"{path}: 无法识别编码，请另存为 UTF-8 的 CSV")
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and "file" not in rows[0]:
        raise SidecarError(f"{path}: 第一行应是列名 file,region,year,kind（至少要有 file 列）")
    out: dict[str, Correction] = {}
    for n, row in enumerate(rows, start=2):
        name = (row.get("file") or "").strip()
        if not name:
            continue
        out[name] = parse_correction(row, f"{path} 第 {n} 行")
    return out


def parse_correction(row: dict, where: str) -> Correction:
    year_text = (row.get("year") or "").strip().removesuffix("年")
    year = None
    if year_text:
        if not year_text.isdigit() or not plausible_year(int(year_text)):
            raise SidecarError(f"{where}: 年份“{year_text}”无效，应为 {FIRST_REPORT_YEAR} 至明年之间的四位数年份")
        year = int(year_text)
    kind = (row.get("kind") or "").strip()
    if kind and kind not in KINDS:
        raise SidecarError(f"{where}: 类型“{kind}”无效，应为 {' / '.join(KINDS)} 之一")
    return Correction((row.get("region") or "").strip(), year, kind)


def corrections_for(paths, index_root: str | Path | None, extra: str | Path | None) -> dict[str, Correction]:
    """All corrections that apply to a batch: the index's own, then each folder's reports.csv, then `extra`."""
    sources = [Path(index_root) / SIDECAR] if index_root else []
    sources += [Path(p) / SIDECAR for p in paths if Path(p).is_dir()]
    sources += [Path(extra)] if extra else []
    out: dict[str, Correction] = {}
    for source in sources:
        if source.is_file():
            for name, correction in read_sidecar(source).items():
                out[name] = out.get(name, Correction()).merged(correction)
    return out


def apply(report: Report, correction: Correction | None) -> Report:
    """`report` as the correction says it is (its level and parents looked up for a new region)."""
    if correction is None or correction == Correction():
        return report
    changes: dict = {}
    sources = dict(report.sources)
    if correction.region:
        place = resolve(correction.region, report.text[:3000])
        changes |= {"region": place.name if place else correction.region, "level": place.level if place else "",
                    "parents": place.chain if place else (), "named": ""}
        sources["region"] = SIDECAR
    if correction.year:
        changes["year"] = correction.year
        sources["year"] = SIDECAR
    if correction.kind:
        changes["kind"] = correction.kind
        sources["kind"] = SIDECAR
    if "year" in changes or "kind" in changes:  # the years it speaks of follow from year and kind
        changes |= {"reviews": (), "plans": ()}
    if "region" in changes and report.region and report.title.count(report.region):
        changes["title"] = report.title.replace(report.region, changes["region"])
    return dataclasses.replace(report, **changes, sources=tuple(sources.items()))


def save_correction(index_root: str | Path, file: str, correction: Correction) -> None:
    """Record `correction` for `file` in the index's own reports.csv (atomically: a crash leaves the old one)."""
    path = Path(index_root) / SIDECAR
    rows = read_sidecar(path) if path.is_file() else {}
    rows[file] = rows.get(file, Correction()).merged(correction)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_COLUMNS)
    for name, c in sorted(rows.items()):
        writer.writerow((name, c.region, c.year or "", c.kind))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".reports-", suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
        f.write(buffer.getvalue())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


__all__ = ["KINDS", "SIDECAR", "Correction", "SidecarError", "apply", "corrections_for", "read_sidecar",
           "save_correction"]
