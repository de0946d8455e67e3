"""Corrections of a report's region, year and kind beside the index (reports.csv): read, written, applied."""

from __future__ import annotations

from pathlib import Path

from rag.store.corrections import (
    Correction,
    apply_corrections,
    correction_for,
    read_corrections,
    read_kind,
    report_kind,
    save_correction,
)
from rag.types import Report

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
JINGHU = "004_b09f2e2d8cdb3710.txt"


def test_reports_csv_is_read_by_file_and_bad_rows_are_skipped(tmp_path):
    (tmp_path / "reports.csv").write_text(
        "\ufefffile,region,year,kind\n"
        "a.txt,镜湖区,2023,\n"
        "b.txt,,,政府工作报告\n"
        ",鹿城区,2022,\n"  # no file
        "c.txt,高区,20x3,\n",  # not a year
        encoding="utf-8",
    )
    got = read_corrections(tmp_path)
    assert got == {"a.txt": Correction("a.txt", "镜湖区", 2023, ""), "b.txt": Correction("b.txt", "", None, "政府工作报告")}
    assert read_corrections(tmp_path / "missing") == {}


def test_a_saved_correction_replaces_its_row_and_an_empty_one_drops_it(tmp_path):
    save_correction(tmp_path, Correction("a.txt", "", 2023))
    save_correction(tmp_path, Correction("b.txt", "高区"))
    save_correction(tmp_path, Correction("a.txt", "", 2022))
    assert read_corrections(tmp_path) == {"a.txt": Correction("a.txt", "", 2022), "b.txt": Correction("b.txt", "高区")}
    save_correction(tmp_path, Correction("b.txt"))  # nothing to correct: the row goes
    save_correction(tmp_path, None, file="a.txt")
    assert read_corrections(tmp_path) == {}
    assert (tmp_path / "reports.csv").read_text(encoding="utf-8").splitlines() == ["file,region,year,kind"]


def test_a_row_names_a_report_by_id_file_name_or_path_and_kind_is_read_off_the_title():
    report = Report("x/政府工作报告.txt", "/data/x/政府工作报告.txt", "", (), "某市2025年政府工作报告", "某市", 2025)
    assert correction_for(report, {"政府工作报告.txt": Correction("政府工作报告.txt", "甲市")}).region == "甲市"
    assert correction_for(report, {"/data/x/政府工作报告.txt": Correction("/data/x/政府工作报告.txt")}) is not None
    assert correction_for(report, {"other.txt": Correction("other.txt")}) is None
    assert read_kind(report) == "政府工作报告"
    assert read_kind(Report("a", "a", "", (), "镜湖区2024年法治政府建设情况的报告", "", None)) == "法治政府建设情况报告"
    assert report_kind(report, {report.doc: Correction(report.doc, kind="其他报告")}) == "其他报告"


def test_a_loaded_index_answers_with_the_corrected_year_and_region(seeds_index):
    from rag.answer.answer import ask
    from rag.store.store import load_index

    index = load_index(seeds_index)
    assert apply_corrections(index, {}) is index
    assert apply_corrections(index, {JINGHU: Correction(JINGHU, "镜湖区", 2024)}) is index  # nothing changes
    fixed = apply_corrections(index, {JINGHU: Correction(JINGHU, "", 2023)})
    assert fixed.reports[JINGHU].year == 2023 and index.reports[JINGHU].year == 2024
    assert len(fixed.chunks) == len(index.chunks) and len(fixed.facts) == len(index.facts)
    assert {c.year for c in fixed.chunks if c.doc == JINGHU} == {2023}
    answer = ask(fixed, "镜湖区受理法律援助案件多少件？")
    assert "644件" in answer.answer and answer.citations[0].year == 2023
    moved = apply_corrections(index, {JINGHU: Correction(JINGHU, "弋江区")})
    assert "弋江区" in moved.regions and "镜湖区" not in moved.regions
    assert ask(moved, "弋江区受理法律援助案件多少件？").citations[0].region == "弋江区"


def test_a_correction_made_in_the_ui_survives_re_indexing(index_copy):
    from rag.app.ui_reports import CorrectedService, save_fix
    from rag.store.store import add_reports

    service = CorrectedService(index_copy)
    assert "已更正" in save_fix(service, JINGHU, "镜湖区", "2023", "法治政府建设情况报告")
    assert read_corrections(index_copy) == {JINGHU: Correction(JINGHU, "", 2023, "")}  # only what differs is kept
    assert service.index.reports[JINGHU].year == 2023 and service.fixed(service.index.reports[JINGHU])
    add_reports(index_copy, [SEEDS], rebuild=True)  # the report read again from its file says 2024 …
    again = CorrectedService(index_copy)
    assert again.index.reports[JINGHU].year == 2023  # … and the correction still applies
    assert "恢复" in save_fix(again, JINGHU, "镜湖区", "2024", "法治政府建设情况报告")
    assert again.index.reports[JINGHU].year == 2024 and read_corrections(index_copy) == {}
