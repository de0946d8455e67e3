"""What a report is, read from its text: region (level, parents), year, years reviewed, kind — whatever its file name."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from rag.documents.ingest import read_report

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
KEY = ROOT / "tests" / "data" / "blind_key.tsv"

# The opening of the State Council's 2024 report, as published (its title line is only 政府工作报告).
NATIONAL_2024 = (ROOT / "tests" / "data" / "national_2024.txt").read_text(encoding="utf-8")


def _blind_copy_module():
    spec = importlib.util.spec_from_file_location("blind_copy", ROOT / "bench" / "blind_copy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared/corpus is not here")
def test_blind_copy_reads_region_level_parent_year_and_reviewed_year_from_the_text(tmp_path):
    """The 86 shared reports under publishers' file names (opaque ids, sessions, dates, original titles), a third
    without their title line, against a key written by hand from the texts: at least 98% read right."""
    mapping = _blind_copy_module().make_blind_copy(tmp_path / "blind", SHARED)
    by_original = {original: copy for copy, original in mapping.items()}
    rows = list(csv.DictReader(KEY.open(encoding="utf-8"), delimiter="\t"))
    wrong = []
    for row in rows:
        r = read_report(tmp_path / "blind" / by_original[row["original"]])
        reviewed = "-".join(map(str, (r.reviews[0], r.reviews[-1] + 1))) if len(r.reviews) > 1 else "".join(map(str, r.reviews))
        got = (r.region, r.level, r.parents[-1] if r.parents else "", str(r.year), reviewed, r.kind)
        want = (row["region"], row["level"], row["parent"], row["year"], row["reviewed"], row["kind"])
        if got != want:
            wrong.append((row["original"], want, got))
    assert len(rows) == 86
    assert len(wrong) <= 0.02 * len(rows), wrong


def test_the_state_councils_report_is_the_nations(tmp_path):
    path = tmp_path / "P020240312.txt"
    path.write_text(NATIONAL_2024, encoding="utf-8")
    r = read_report(path)
    assert (r.region, r.level, r.parents, r.year, r.reviews, r.plans) == ("全国", "national", (), 2024, (2023,), (2024,))
    assert r.kind == "政府工作报告" and r.source_of("region") == "会议名称或“我代表国务院”"


def test_a_report_that_names_no_place_in_its_opening_is_placed_by_the_place_it_names_most(tmp_path):
    text = ("各位代表：\n现在，我代表区人民政府向大会作工作报告，请予审议。\n一、2023年工作回顾\n"
            + "坪山高新区建设提速，深圳东部中心加快崛起。" * 3 + "坪山全年地区生产总值增长7%。" * 4
            + "\n二、2024年工作安排\n全力推动坪山高质量发展。\n")
    path = tmp_path / "政府工作报告.txt"
    path.write_text(text, encoding="utf-8")
    r = read_report(path)
    assert (r.region, r.level, r.parents, r.year) == ("坪山区", "county", ("全国", "广东省", "深圳市"), 2024)
    assert r.source_of("region") == "正文最常提到的地名" and r.source_of("year").startswith("章节标题")


def test_a_city_report_is_the_city_not_one_of_its_districts(tmp_path):
    text = ("各位代表：\n现在，我代表市人民政府，向大会报告政府工作，请予审议。\n一、2023年工作回顾\n"
            + "深圳全市地区生产总值增长6%，南山区、福田区加快发展。" * 3 + "深圳经济总量稳居全国城市前列。" * 3
            + "\n二、2024年工作安排\n")
    path = tmp_path / "t20240201_123.txt"
    path.write_text(text, encoding="utf-8")
    r = read_report(path)
    assert (r.region, r.level, r.parents, r.year) == ("深圳市", "city", ("全国", "广东省"), 2024)


def test_a_renamed_place_is_todays_place_under_the_name_the_report_used(tmp_path):
    text = ("各位代表：\n现在，我代表光明新区管理委员会，向大会报告工作，请予审议。\n一、2015年工作回顾\n"
            "过去一年，深圳光明新区地区生产总值增长8.9%。\n")
    path = tmp_path / "报告全文.txt"
    path.write_text(text, encoding="utf-8")
    r = read_report(path)
    assert (r.region, r.named, r.level, r.year, r.kind) == ("光明区", "光明新区", "county", 2016, "管委会工作报告")


def test_a_new_terms_first_report_reviews_five_years(tmp_path):
    text = ("2021年政府工作报告\n各位代表：\n现在，我代表福田区人民政府，向大会报告政府工作。\n"
            "一、过去五年工作回顾\n五年来，福田地区生产总值年均增长7%。\n二、今后五年的目标任务\n")
    path = tmp_path / "r.txt"
    path.write_text(text, encoding="utf-8")
    assert read_report(path).reviews == (2016, 2017, 2018, 2019, 2020)


@pytest.mark.parametrize("text", ["各位代表：\n大家好。\n", "2099年，全区坚持依法行政。\n全年办结案件45件。\n"])
def test_what_the_text_does_not_say_stays_unknown(tmp_path, text):
    path = tmp_path / "untitled.txt"
    path.write_text(text, encoding="utf-8")
    r = read_report(path)
    assert (r.region, r.year, r.level, r.reviews) == ("", None, "", ())
