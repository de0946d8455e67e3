"""Places as a hierarchy: the nation's own report, a city beside its districts, a place renamed between reports.

Every report here is named as a publisher might (no region or year in the file name); what each is comes
from its text (rag/documents/metadata.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.answer import ask
from rag.store.store import add_reports, load_index

pytestmark = pytest.mark.slow
NATIONAL_2024 = (Path(__file__).parents[1] / "data" / "national_2024.txt").read_text(encoding="utf-8")

CITY_2024 = """各位代表：
现在，我代表市人民政府，向大会报告政府工作，请予审议。
一、2023年工作回顾
过去一年，深圳全市地区生产总值达3.46万亿元、增长6%，规模以上工业增加值增长6.2%。
深圳经济总量稳居全国城市前列，南山、福田、光明等区发展势头良好。深圳全年新增就业人员15万人。
二、2024年工作安排
深圳今年地区生产总值预期增长5.5%左右。奋力建设好中国特色社会主义先行示范区，深圳要勇当尖兵，让深圳更加美好。
"""


def district(name: str, gdp: str, growth: str, extra: str = "") -> str:
    return f"""各位代表：
现在，我代表{name}人民政府，向大会报告政府工作，请予审议。
一、2023年工作回顾
过去一年，全区地区生产总值{gdp}、增长{growth}。{extra}深圳全市经济总量达3.46万亿元。
二、2024年工作安排
"""


GUANGMING_NEW_AREA_2016 = """各位代表：
现在，我代表光明新区管理委员会，向大会报告工作，请予审议。
一、2015年工作回顾
过去一年，深圳光明新区地区生产总值达到682亿元，增长9.1%。
二、2016年工作安排
"""


@pytest.fixture(scope="module")
def nation_city_districts(tmp_path_factory):
    work = tmp_path_factory.mktemp("hierarchy")
    folder = work / "reports"
    folder.mkdir()
    reports = {
        "P020240312394521.txt": NATIONAL_2024,
        "t20240201_6553817.txt": CITY_2024,
        "政府工作报告.txt": district("南山区", "8500亿元", "6.5%"),
        "政府工作报告 (2).txt": district("福田区", "6000亿元", "5.5%"),
        "报告全文.txt": district("光明区", "1500亿元", "8%"),
        "工作报告正文.txt": GUANGMING_NEW_AREA_2016,
    }
    for name, text in reports.items():
        (folder / name).write_text(text, encoding="utf-8")
    result = add_reports(work / "index", [folder])
    assert not result.failed
    return load_index(work / "index")


def test_each_report_knows_its_place_in_the_hierarchy(nation_city_districts):
    places = {r.doc: (r.region, r.level, r.parents[-1:], r.named) for r in nation_city_districts.reports.values()}
    assert places == {
        "P020240312394521.txt": ("全国", "national", (), ""),
        "t20240201_6553817.txt": ("深圳市", "city", ("广东省",), ""),
        "政府工作报告.txt": ("南山区", "county", ("深圳市",), ""),
        "政府工作报告 (2).txt": ("福田区", "county", ("深圳市",), ""),
        "报告全文.txt": ("光明区", "county", ("深圳市",), ""),
        "工作报告正文.txt": ("光明区", "county", ("深圳市",), "光明新区"),
    }


@pytest.mark.parametrize("question", ["全国2023年国内生产总值是多少？", "我国去年的GDP有多少", "What was China's GDP in 2023?"])
def test_the_nation_is_asked_by_its_names(nation_city_districts, question):
    answer = ask(nation_city_districts, question)
    assert "126万亿元" in answer.answer.split("“")[0], answer.answer
    assert answer.citations[0].doc == "P020240312394521.txt"


def test_a_citys_districts_are_ranked_without_the_city(nation_city_districts):
    answer = ask(nation_city_districts, "深圳各区2023年地区生产总值哪个最高？")
    assert answer.mode == "compare", answer.answer
    assert [r.region for r in answer.rows] == ["南山区", "福田区", "光明区"]
    assert answer.answer.startswith("**南山区最高**")


def test_a_districts_question_is_not_answered_with_its_citys_figure(nation_city_districts):
    answer = ask(nation_city_districts, "福田区2023年地区生产总值是多少？")
    assert answer.answer.startswith("**6000亿元**"), answer.answer
    city = ask(nation_city_districts, "深圳市2023年地区生产总值是多少？")
    assert city.answer.startswith("**3.46万亿元**") and city.citations[0].doc == "t20240201_6553817.txt"


def test_a_renamed_place_is_one_region_across_years(nation_city_districts):
    answer = ask(nation_city_districts, "光明区历年地区生产总值分别是多少？")
    assert answer.mode == "compare", answer.answer
    assert [(r.region, r.year) for r in answer.rows] == [("光明区", 2015), ("光明区", 2023)]
    assert "682亿元" in answer.answer and "1500亿元" in answer.answer
    assert "光明新区" in answer.answer  # the row of 2015 says the name its report used


def test_a_province_ranking_leaves_the_nation_out(nation_city_districts):
    answer = ask(nation_city_districts, "全国哪个城市地区生产总值最高？")
    assert "全国" not in [r.region for r in answer.rows]


def test_a_comparison_that_names_no_level_ranks_one_level(nation_city_districts):
    answer = ask(nation_city_districts, "2023年哪里的地区生产总值最高？")
    assert [r.region for r in answer.rows] == ["南山区", "福田区", "光明区"]
    assert "全国（全国）" in answer.answer and "深圳市（市级）" in answer.answer and "不与其他层级的地区同列排名" in answer.answer
