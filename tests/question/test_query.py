"""Reading questions: `parse(question, index, previous)` gives the Query every later stage works from.

The index here is the catalog of the 86 reports (titles, regions, years, openings): reading a question
needs to know what the index holds, not the reports' vectors.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.app.evaluate import parse_accuracy
from rag.question.asked import read_threshold
from rag.question.parse import parse, replay

CASES = Path(__file__).parents[1] / "data" / "parse_cases.jsonl"


def test_a_superlative_over_districts(catalog):
    q = parse("哪个区复议调解率最高?", catalog)
    assert (q.intent, q.descending, q.field, q.unit) == ("superlative", True, "行政复议", "%")
    assert "调解率" in q.metric_forms
    assert q.scope.level == "county" and "镜湖区" in q.scope.regions and "北京市" not in q.scope.regions


def test_everyday_words_reach_the_reports_names(catalog):
    assert parse("南山区2022年GDP多少亿", catalog).metric_forms[0] == "地区生产总值"
    assert parse("陕西2024年经济总量有多大", catalog).metric_forms[0] == "地区生产总值"
    q = parse("红谷滩区的12345热线一年转来多少单子", catalog)
    assert "转办件" in q.metric_forms[0] and q.field == "12345热线" and q.regions == ("红谷滩区",)


def test_words_that_contain_sheng_or_qu_are_not_places(catalog):
    q = parse("承接了多少省级权力事项", catalog)
    assert q.regions == () and q.unknown_places == ()
    q = parse("一般公共预算收入超过一千亿元的省份有哪些", catalog)
    assert q.unknown_places == () and q.intent == "threshold" and q.scope.level == "province"
    assert (q.threshold.op, q.threshold.value, q.threshold.unit) == (">", 1e11, "元")


def test_places_resolve_short_forms_and_parents(catalog):
    assert parse("威海高区2021年受理了多少法律援助案件", catalog).regions == ("高区",)
    assert parse("光明历年地区生产总值分别是多少", catalog).regions == ("光明区",)
    assert parse("广西和内蒙古谁的GDP增速更快", catalog).regions == ("广西壮族自治区", "内蒙古自治区")
    assert parse("温州市鹿城区2022年行政复议新收案件数", catalog).regions == ("鹿城区",)
    q = parse("深圳的各个区2024年GDP分别是多少", catalog)
    assert q.scope.within == "深圳市" and q.intent == "enumerate" and len(q.scope.regions) == 10


def test_places_with_no_report_are_named(catalog):
    assert parse("广州天河区2024年GDP是多少", catalog).unknown_places == ("广州市天河区",)
    assert parse("What was Hangzhou's GDP in 2024?", catalog).unknown_places == ("杭州市",)
    q = parse("北京市朝阳区2024年一般公共预算收入是多少", catalog)
    assert q.regions == () and q.unknown_places == ("朝阳区",)


@pytest.mark.parametrize(
    "question, expected",
    [
        ("南山区2021到2024年GDP分别是多少?", (2021, 2022, 2023, 2024)),
        ("龙岗区2021、2022、2023三年的GDP", (2021, 2022, 2023)),
        ("北京去年GDP增长了多少", (2024,)),  # the 2025 report is given in 2025: 去年 is 2024
        ("光明区近三年地区生产总值", (2022, 2023, 2024)),
    ],
)
def test_periods(catalog, question, expected):
    assert parse(question, catalog).period.years == expected


@pytest.mark.parametrize(
    "text, op, value, unit",
    [
        ("超过一千亿元的省份", ">", 1e11, "元"),
        ("两成以上", ">=", 20, "%"),
        ("百分之五以上的省份", ">=", 5, "%"),
        ("不足两成的区有哪些", "<", 20, "%"),
        ("一百万人以上", ">=", 1e6, "人"),
        ("more than 1 million new urban jobs", ">", 1e6, ""),
        ("外贸进出口总额超过了五千亿元的区", ">", 5e11, "元"),
    ],
)
def test_thresholds_in_chinese_numerals(text, op, value, unit):
    threshold, _ = read_threshold(text)
    assert (threshold.op, threshold.value, threshold.unit) == (op, value, unit)


@pytest.mark.parametrize(
    "question, intent, descending, top",
    [
        ("去年经济增速哪个省份垫底？", "superlative", False, 0),
        ("深圳各区里2024年GDP增速谁拔得头筹？", "superlative", True, 0),
        ("深圳各区2024年经济总量前三名是哪几个？", "superlative", True, 3),
        ("城镇新增就业后三名是哪几个省?", "superlative", False, 3),
        ("出庭应诉率排名第一的是哪个区?", "superlative", True, 0),
        ("镜湖区和鹿城区哪个受理的法律援助案件多?", "superlative", True, 0),
        ("青山区与东湖区谁的行政复议调解率更低？", "superlative", False, 0),
        ("Which district held the most legal publicity events?", "superlative", True, 0),
        ("哪些地区复议调解率超过40%?", "threshold", True, 0),
        ("各地法律援助案件分别是多少?", "enumerate", True, 0),
        ("每个地区的人民调解员有多少名?", "enumerate", True, 0),
        ("光明区历年地区生产总值分别是多少", "series", True, 0),
        ("调兵山市法治政府建设存在哪些问题?", "summary", True, 0),
        ("高区下一年有什么工作安排?", "summary", True, 0),
        ("镜湖区行政复议调解率是多少?", "lookup", True, 0),
        ("索引里有哪些地区的报告?", "index", True, 0),
        ("有没有广州的报告？", "index", True, 0),
        ("库里的省级政府工作报告覆盖哪一年？", "index", True, 0),
        ("红谷滩区2024年法治政府建设打算从哪几方面推进？", "summary", True, 0),
        ("Which province reported the weakest growth in industrial value added?", "superlative", False, 0),
    ],
)
def test_intents(catalog, question, intent, descending, top):
    q = parse(question, catalog)
    assert (q.intent, q.descending, q.top) == (intent, descending, top)


def test_a_follow_up_keeps_the_metric_and_takes_the_new_region(catalog):
    first = parse("哪个区复议调解率最高?", catalog)
    q = parse("那红谷滩区呢?", catalog, first)
    assert (q.intent, q.regions, q.field, q.followup) == ("lookup", ("红谷滩区",), "行政复议", True)
    assert "调解率" in q.metric_forms
    assert "红谷滩区" in q.reading() and "调解率" in q.reading()


def test_a_follow_up_changes_one_slot_and_keeps_the_rest(catalog):
    q = replay(catalog, ["南山区2023年本地生产总值是多少？", "那2021年的呢？"])
    assert (q.regions, q.period.years, q.metric_forms[0]) == (("南山区",), (2021,), "地区生产总值")
    q = replay(catalog, ["哪个省去年GDP增速最快？", "那最慢的呢？"])
    assert (q.intent, q.descending, q.change, q.scope.level) == ("superlative", False, True, "province")
    q = replay(catalog, ["哪些省份去年GDP超过五万亿元?", "其中增速最快的是哪个?"])
    assert q.scope.previous and q.change and q.intent == "superlative"


def test_a_question_that_stands_on_its_own_ignores_the_history(catalog):
    q = replay(catalog, ["哪个区复议调解率最高?", "镜湖区2024年受理法律援助案件多少件?"])
    assert (q.intent, q.regions, q.followup) == ("lookup", ("镜湖区",), False)
    assert "法律援助" in q.metric


def test_english_questions(catalog):
    q = parse("What was Guangdong's GDP growth rate in 2024?", catalog)
    assert (q.language, q.regions, q.change, q.period.years, q.metric_forms[0]) == (
        "en", ("广东省",), True, (2024,), "地区生产总值")
    assert parse("Which Shenzhen district grew the slowest last year?", catalog).scope.within == "深圳市"


def test_the_parse_set_is_read_right_field_by_field(catalog):
    """≥ 200 questions written from the reports (tests/data/parse_cases.jsonl), each with the fields it
    determines. The floors are what this reader reaches; a change that lowers one has broken something."""
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(cases) >= 200
    result = parse_accuracy(catalog, cases)
    share = {name: f["right"] / f["total"] for name, f in result["fields"].items()}
    floors = {"intent": 0.95, "regions": 0.97, "unknown_places": 0.97, "years": 0.97, "language": 1.0,
              "measure": 0.97, "metric": 0.9, "scope": 0.95, "threshold": 0.85, "unit": 0.9}
    low = {name: round(share[name], 3) for name, floor in floors.items() if share[name] < floor}
    assert not low, (low, [w["id"] for w in result["wrong"]][:30])


def test_a_follow_up_may_step_a_year_from_the_one_asked_before(catalog):
    q = replay(catalog, ["盐田区2021年地区生产总值是多少？", "再早一年呢？"])
    assert (q.regions, q.period.years, q.metric_forms[0]) == (("盐田区",), (2020,), "地区生产总值")
    q = replay(catalog, ["盐田区2021年地区生产总值是多少？", "往后一年呢？"])
    assert q.period.years == (2022,)


def test_a_follow_up_asking_the_target_keeps_the_metric(catalog):
    q = replay(catalog, ["坪山区2024年规上工业增加值增长了多少？", "那今年给它定的目标是多少？"])
    assert (q.regions, q.target, q.change, q.metric_forms[0]) == (("坪山区",), True, True, "规模以上工业增加值")


def test_a_region_said_to_be_included_joins_the_group(catalog):
    q = parse("深圳这几个区（含大鹏新区）2024年一般公共预算收入，谁涨得最快？", catalog)
    assert (q.intent, q.change, q.regions, q.scope.within, q.scope.previous) == ("superlative", True, (), "深圳市", False)
    assert {"大鹏新区", "光明区", "南山区"} <= set(q.scope.regions)


def test_a_place_after_na_is_read_though_natian_is_a_word(catalog):
    q = replay(catalog, ["浙江2024年实际使用外资多少？", "那天津呢？"])
    assert (q.regions, q.metric_forms[0], q.period.years) == (("天津市",), "实际使用外资", (2024,))
    assert parse("如何提高区域协调发展水平？", catalog).regions == ()


def test_a_follow_up_asking_the_actual_figure_drops_the_target(catalog):
    q = replay(catalog, ["江苏今年力争高新技术企业达到多少家？", "那去年实际有多少家？"])
    assert (q.target, q.actual, q.period.years) == (False, True, (2024,))


def test_the_end_of_a_year_is_part_of_the_period_not_of_the_metric(catalog):
    q = parse("宝安区2024年末常住人口多少？", catalog)
    assert (q.metric, q.period.years) == ("常住人口", (2024,))


def test_a_follow_up_naming_another_metric_still_asks_a_figure(catalog):
    q = replay(catalog, ["河南2024年汽车整车产量是多少？", "新能源车呢？"])
    assert (q.regions, q.metric_forms[0], q.wants_number) == (("河南省",), "新能源汽车", True)


def test_a_unit_asked_with_its_magnitude_is_the_unit(catalog):
    assert parse("吉林2024年新能源汽车产量是多少万辆？", catalog).unit == "辆"
    assert parse("新增就业多少万人？", catalog).unit == "人"


def test_a_word_that_begins_with_shi_keeps_it_and_a_threshold_gives_its_unit(catalog):
    q = parse("经营主体总量已经超过一千万户的省份有哪些？", catalog)
    assert (q.intent, q.metric, q.unit, q.threshold.value) == ("threshold", "市场主体", "户", 1e7)
    assert parse("哪个市受理的案件最多", catalog).metric == "案件"


def test_a_new_question_about_the_same_subject_keeps_the_subject_not_the_attribute(catalog):
    q = replay(catalog, ["“百校焕新”是什么时候启动的？", "涉及哪些学校？"])
    words = {w for alts in q.terms for w in alts}
    assert q.followup and {"学校", "百校"} <= words and not q.metric


def test_the_reading_is_its_parts_the_chat_shows_as_chips(catalog):
    q = parse("鹿城区2022年行政复议调解率是多少", catalog)
    assert q.reading_parts() == (("指标", "行政复议调解率"), ("地区", "鹿城区"), ("年份", "2022"))
    assert q.reading() == "按“指标：行政复议调解率；地区：鹿城区；年份：2022”理解"
