"""The reports in the chat UI: the index served with its corrections, the list of titles, and managing a report
(remove it, replace it with a new version, correct its region, year and kind).

`CorrectedService` is the upload queue's `IndexService` whose `index` is the loaded index with the corrections
of its folder's reports.csv applied (rag/store/corrections.py), worked out again when either changes; so a correction
made here survives re-indexing, and one made by editing reports.csv shows on the next question. Managing
reports is open to whoever may upload (with `--auth`, the logged-in users); each change is logged to stderr.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

from rag.app.render import reports_html
from rag.app.ui_viewer import viewer_link
from rag.app.uploads import IndexService, Upload, upload_html
from rag.errors import RagError
from rag.store.backend import Store
from rag.store.corrections import (
    KINDS,
    Correction,
    apply_corrections,
    as_read,
    correction_for,
    read_corrections,
    report_kind,
    save_correction,
)
from rag.store.identity import file_name
from rag.store.store import remove_report
from rag.types import Report


class CorrectedService(IndexService):
    """An IndexService serving its index with the corrections in the index folder's reports.csv applied."""

    def __init__(self, store: Store | str | Path):
        self._fix_lock = threading.Lock()
        self._fixed: tuple = (None, None, None, {})  # (raw index, sidecar stamp, corrected index, corrections)
        super().__init__(store)

    @property
    def index(self):
        raw = super().index
        if raw is None:
            return None
        return self._corrected(raw)[0]

    @property
    def corrections(self) -> dict[str, Correction]:
        raw = super().index
        return self._corrected(raw)[1] if raw is not None else read_corrections(self.path)

    def _corrected(self, raw):
        stamp = _stamp(self.path / "reports.csv")
        with self._fix_lock:
            seen, seen_stamp, fixed, corrections = self._fixed
            if seen is not raw or seen_stamp != stamp:
                corrections = read_corrections(self.path)
                fixed = apply_corrections(raw, corrections)
                self._fixed = (raw, stamp, fixed, corrections)
            return fixed, corrections

    def kind(self, report: Report) -> str:
        return report_kind(report, self.corrections)

    def fixed(self, report: Report) -> bool:
        return correction_for(report, self.corrections) is not None

    def report(self, doc: str) -> Report | None:
        index = self.index
        return index.reports.get(doc) if index is not None else None


def _stamp(path: Path):
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


def list_html(service: CorrectedService) -> str:
    """The report list: titles linking to the viewer, region, year, kind (corrected ones marked)."""
    return reports_html(service.index, kind=service.kind, link=lambda r: viewer_link(r.doc), fixed=service.fixed)


def index_summary(service: CorrectedService) -> str:
    """What the index holds, for the subtitle: 5 份法治政府建设情况报告（鹿城区等 5 个地区，2021–2024年）."""
    index = service.index
    if index is None or not index.reports:
        return "上传报告后即可提问"
    reports = list(index.reports.values())
    kinds: dict[str, int] = {}
    for r in reports:
        kinds[service.kind(r)] = kinds.get(service.kind(r), 0) + 1
    what = "、".join(f"{n} 份{k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    regions = index.regions
    where = f"{'、'.join(regions[:3])}{'等' if len(regions) > 3 else ''} {len(regions)} 个地区"
    years = sorted({r.year for r in reports if r.year})
    when = f"，{years[0]}–{years[-1]}年" if len(years) > 1 else f"，{years[0]}年" if years else ""
    return f"已索引 {what}（{where}{when}）"


def choices(service: CorrectedService) -> list[tuple[str, str]]:
    """(label, doc) for the report picker: title, region and year."""
    index = service.index
    if index is None:
        return []
    return [(f"{r.title}（{r.region or '地区未知'}，{r.year or '年份未知'}）", r.doc)
            for r in sorted(index.reports.values(), key=lambda r: (r.region, r.year or 0, r.title))]  # fmt: skip


def current_values(service: CorrectedService, doc: str | None) -> tuple[str, str, str, str]:
    """(region, year, kind, a line on what was read and what is corrected) of `doc`, for the form."""
    report = service.report(doc) if doc else None
    if report is None:
        return "", "", "", ""
    raw = IndexService.index.fget(service)
    read = (as_read(raw, doc) or report) if raw is not None else report
    fix = correction_for(report, service.corrections)
    line = f"从报告读出：{read.region or '地区未知'}，{read.year or '年份未知'}年，{report_kind(read)}"
    if fix is not None:
        line += "；已更正为左边的值（清空一项即恢复读出的值）"
    return report.region, str(report.year or ""), service.kind(report), line


def save_fix(service: CorrectedService, doc: str, region: str, year: str, kind: str) -> str:
    """Store the correction of `doc` (values equal to what was read are not stored); one line on what happened."""
    raw = IndexService.index.fget(service)
    report = as_read(raw, doc) if raw is not None and doc else None
    if report is None:
        return "请先选择一份报告。"
    region, year, kind = (region or "").strip(), str(year or "").strip(), (kind or "").strip()
    if year and not (year.isdecimal() and 1900 <= int(year) <= 2100):
        return f"年份应为四位数字，例如 2024，收到 {year[:20]}"
    if len(region) > 40 or (kind and kind not in KINDS and len(kind) > 20):
        return "地区或类型过长。"
    fix = Correction(doc, "" if region == report.region else region,
                     None if not year or int(year) == report.year else int(year),
                     "" if kind == report_kind(report) else kind)  # fmt: skip
    save_correction(service.path, fix)
    _log(f"更正 {doc}：地区={fix.region or '（读出）'} 年份={fix.year or '（读出）'} 类型={fix.kind or '（读出）'}")
    if not (fix.region or fix.year or fix.kind):
        return f"已恢复《{report.title}》从报告读出的地区、年份和类型。"
    return f"已更正《{report.title}》：{region or report.region}，{year or report.year}年，{kind}。之后的回答按更正后的值。"


def remove(service: CorrectedService, doc: str) -> str:
    report = service.report(doc) if doc else None
    if report is None:
        return "请先选择一份报告。"
    try:
        remove_report(service.store, doc)
        service.reload()
    except RagError as err:
        return f"删除失败：{err}"
    save_correction(service.path, None, file=doc)
    _log(f"删除 {doc}")
    return f"已删除《{report.title}》（{doc}）。"


def start_replace(service: CorrectedService, doc: str, upload: str) -> Upload | str:
    """Queue `upload` as the new version of `doc`: under its file name when the file type is the same (the id
    and links stay), else as a new report that takes the old one's place (`finish_replace`). Returns the
    upload, or why not."""
    report = service.report(doc) if doc else None
    if report is None or not upload:
        return "请先选择一份报告，再上传它的新版本。"
    same = Path(upload).suffix.lower() == Path(file_name(report)).suffix.lower()
    folder = Path(tempfile.mkdtemp())  # a machine-made folder name never becomes part of a report's id
    target = folder / (file_name(report) if same else Path(upload).name)
    shutil.copyfile(upload, target)
    return service.uploads.submit([str(target)], replace=same)


def finish_replace(service: CorrectedService, doc: str, job: Upload) -> str:
    """The outcome of a finished replacement (the old report removed when the new one came in beside it)."""
    result = job.result
    new = Path(job.files[0]).name if job.files else ""
    if result is not None and result.added and doc not in result.added and service.report(doc) is not None:
        remove(service, doc)
    for file in job.files:
        shutil.rmtree(Path(file).parent, ignore_errors=True)
    _log(f"替换 {doc}：{new}")
    return upload_html(job)


def _log(line: str) -> None:
    print(f"报告管理：{line}", file=sys.stderr, flush=True)
