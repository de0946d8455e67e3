"""Facts read out of the real seed reports, and questions matched against them.

Every chunk here is a real paragraph (or sentence) of a seed report with its real offsets, so each
test also checks the offset contract: `report_text[fact.start:fact.end] == fact.sentence`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.answer.match import metric_score
from rag.documents.facts import base_unit, extract_facts, normalized_value
from rag.question.parse import parse
from rag.types import Chunk, Fact

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
REGIONS = {
    "000": ("鹿城区", 2022),
    "001": ("红谷滩区", 2023),
    "002": ("调兵山市", 2022),
    "003": ("高区", 2021),
    "004": ("镜湖区", 2024),
}
LUCHENG, HONGGUTAN, DIAOBINGSHAN, GAOQU, JINGHU = sorted(REGIONS)


def _seed(prefix: str) -> tuple[str, str]:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return path.name, path.read_text(encoding="utf-8")


def _chunk(doc: str, text: str, start: int, end: int, section: tuple[str, ...] = ()) -> Chunk:
    region, year = REGIONS[doc[:3]]
    return Chunk(doc, start, end, text[start:end], section, f"{region}法治政府建设情况的报告", region, year)


def paragraph(prefix: str, phrase: str, section: tuple[str, ...] = ()) -> Chunk:
    """The line of a seed report that holds `phrase`, as a chunk with its real offsets."""
    doc, text = _seed(prefix)
    at = text.index(phrase)
    end = text.find("\n", at)
    return _chunk(doc, text, text.rfind("\n", 0, at) + 1, len(text) if end < 0 else end, section)


def sentence(prefix: str, phrase: str, section: tuple[str, ...] = ()) -> Chunk:
    """Just the sentence of a seed report that holds `phrase`."""
    doc, text = _seed(prefix)
    at = text.index(phrase)
    start = max(text.rfind(p, 0, at) for p in "。；\n") + 1
    return _chunk(
        doc, text, start, min(i for i in (text.find(p, at) for p in "。；\n") if i >= 0) + 1, section
    )


def facts_of(chunk: Chunk) -> list[Fact]:
    facts = extract_facts(chunk)
    text = _seed(chunk.doc[:3])[1]
    for f in facts:
        assert text[f.start : f.end] == f.sentence
        assert chunk.start <= f.start < f.end <= chunk.end
        assert (f.doc, f.region, f.year, f.section) == (chunk.doc, chunk.region, chunk.year, chunk.section)
    return facts


def one(facts: list[Fact], value: float, unit: str) -> Fact:
    found = [f for f in facts if f.value == value and f.unit == unit]
    assert len(found) == 1, (value, unit, facts)
    return found[0]


# ---------------------------------------------------------------- extract_facts on real phrasings


def test_rate_takes_its_field_from_earlier_in_the_sentence():
    facts = facts_of(paragraph(JINGHU, "调解率达50.6%"))
    f = one(facts, 50.6, "%")
    assert (f.metric, f.context, f.kind, f.qualifier) == ("调解率", "行政复议", "level", "")
    assert f.sentence == "2024年全区新收行政复议案件120件,办结87件,调解结案44件,调解率达50.6%。"
    assert one(facts, 120, "件").metric == "新收行政复议案件"


def test_a_change_is_not_a_level():
    facts = facts_of(paragraph(LUCHENG, "调解率同比增加10%"))
    rate = next(f for f in facts if f.value == 10 and f.metric == "调解率")
    assert (rate.metric, rate.context, rate.kind) == ("调解率", "行政复议", "change")
    growth = one(facts, 62.4, "%")  # 同比增长62.4%: the growth of the case count before it
    assert (growth.metric, growth.kind) == ("行政复议新收案件数", "change")
    assert one(facts, 341, "件").kind == "level"


def test_change_against_last_year():
    facts = facts_of(paragraph(HONGGUTAN, "收案量较上年同期增长148.6%"))
    assert (one(facts, 148.6, "%").metric, one(facts, 148.6, "%").kind) == ("收案量", "change")
    cases = one(facts, 92, "件")
    assert (cases.metric, cases.context, cases.kind) == ("行政复议案件", "行政复议", "level")


@pytest.mark.parametrize(
    ("prefix", "phrase", "metric", "qualifier"),
    [
        (DIAOBINGSHAN, "化解成功率在98%以上", "化解成功率", "以上"),
        (GAOQU, "调处成功率超过98%", "调处成功率", "超过"),
    ],
    ids=["在98%以上", "超过98%"],
)
def test_qualifiers_of_mediation_rates(prefix, phrase, metric, qualifier):
    f = one(facts_of(paragraph(prefix, phrase)), 98, "%")
    assert (f.metric, f.context, f.qualifier, f.kind) == (metric, "人民调解", qualifier, "level")


def test_court_appearance_rate_belongs_to_litigation():
    f = one(facts_of(sentence(HONGGUTAN, "区政府相关负责人出庭应诉率达100%")), 100, "%")
    assert (f.metric, f.context, f.kind) == ("区政府相关负责人出庭应诉率", "行政诉讼", "level")
    # 高区 runs two clauses together with no comma; the rate after 19.3% is still its own.
    facts = facts_of(paragraph(GAOQU, "行政部门负责人出庭应诉率达100%"))
    assert one(facts, 19.3, "%").metric == "被纠错率"
    assert (one(facts, 19.3, "%").kind, one(facts, 19.3, "%").context) == ("change", "行政复议")
    appearance = [f for f in facts if f.metric.endswith("出庭应诉率")]
    assert [(f.value, f.context, f.kind) for f in appearance] == [(100, "行政诉讼", "level")]


def test_wan_stays_in_the_unit():
    """2万余人次 is value 2, unit 万人次, qualifier 余; normalized_value gives 20000."""
    f = one(facts_of(paragraph(HONGGUTAN, "覆盖群众2万余人次")), 2, "万人次")
    assert (f.metric, f.qualifier, f.context) == ("覆盖群众", "余", "普法")
    assert normalized_value(f) == 20000 and base_unit(f.unit) == "人次"


def test_count_and_money_in_one_sentence():
    facts = facts_of(sentence(JINGHU, "质押融资贷款21笔,涉及贷款金额1.135亿元"))
    assert [(f.metric, f.value, f.unit) for f in facts] == [
        ("知识产权质押融资贷款", 21, "笔"),
        ("贷款金额", 1.135, "亿元"),
    ]
    assert {f.context for f in facts} == {"知识产权"}
    assert normalized_value(facts[1]) == pytest.approx(113_500_000)


def test_verb_before_the_metric_is_dropped():
    f = one(facts_of(sentence(JINGHU, "受理法律援助案件644件")), 644, "件")
    assert (f.metric, f.context, f.kind) == ("法律援助案件", "法律援助", "level")


def test_year_is_not_a_fact_but_the_count_after_it_is():
    facts = facts_of(sentence(LUCHENG, "2022年新增专利授权量3976件"))
    assert not [f for f in facts if f.value == 2022]
    f = one(facts, 3976, "件")
    assert (f.metric, f.context) == ("新增专利授权量", "知识产权")
    assert one(facts, 15, "亿元").qualifier == "超过"  # 突破15亿元


def test_noun_after_a_classifier_is_what_it_counts():
    facts = facts_of(sentence(HONGGUTAN, "已建成9个公共法律服务工作站和179个工作室"))
    assert one(facts, 9, "个").metric == "公共法律服务工作站"
    assert one(facts, 179, "个").metric == "工作室"
    assert one(facts_of(sentence(DIAOBINGSHAN, "聘请3家律师事务所")), 3, "家").metric == "律师事务所"


def test_shared_verb_gives_one_fact_per_rate():
    """及时受理率、按期办结率均达100%: two rates; their field, 信访, comes from an earlier sentence."""
    facts = facts_of(paragraph(GAOQU, "及时受理率、按期办结率均达100%"))
    rates = [f for f in facts if f.unit == "%" and f.value == 100 and "办结" in f.sentence]
    assert [(f.metric, f.context) for f in rates] == [("及时受理率", "信访"), ("按期办结率", "信访")]
    assert one(facts, 213646, "人次").context == "信访"


def test_field_from_the_section_headings_when_the_text_names_none():
    section = (
        "一、2021年推进法治政府建设主要举措及成效",
        "(五)健全矛盾纠纷多元化解机制",
        "一是健全完善依法化解纠纷机制",
    )
    f = one(facts_of(sentence(GAOQU, "9个公安派出所均设立", section)), 9, "个")
    assert (f.metric, f.context) == ("公安派出所", "人民调解")
    assert one(facts_of(sentence(GAOQU, "9个公安派出所均设立")), 9, "个").context == ""


@pytest.mark.parametrize(
    ("prefix", "phrase"),
    [
        (LUCHENG, "梳理并制定“柔性执法”清单3.0版"),  # version number
        (LUCHENG, "实行“1+8”部门执法案件联审"),  # a name in quotes
        (LUCHENG, "2023年,鹿城区将严格落实《浙江省法治政府建设实施纲要(2021-2025)》工作要求"),  # title years
        (DIAOBINGSHAN, "2022年12月,中共调兵山市委法治建设委员会第四次会议召开"),  # date, ordinal
        (GAOQU, "将法治建设列入高区“十四五”规划"),
        (DIAOBINGSHAN, "调兵山市人民政府\n2023年2月28日"),
    ],
    ids=["3.0版", "1+8", "2021-2025", "2022年12月", "十四五", "signature date"],
)
def test_numbers_that_are_not_facts(prefix, phrase):
    doc, text = _seed(prefix)
    at = text.index(phrase)
    assert facts_of(_chunk(doc, text, at, at + len(phrase))) == []


def test_fullwidth_punctuation_of_other_reports():
    text = "积极稳妥推进事业单位改革试点工作，改革后共减少事业单位45家，精简率47.9％。"
    facts = extract_facts(Chunk("gm.txt", 100, 100 + len(text), text, (), "", "光明区", 2021))
    assert [(f.metric, f.value, f.unit, f.kind) for f in facts] == [
        ("事业单位", 45, "家", "level"),
        ("精简率", 47.9, "%", "level"),
    ]
    assert all(f.sentence == text and (f.start, f.end) == (100, 100 + len(text)) for f in facts)


# ---------------------------------------------------------------- every paragraph of every seed


@pytest.fixture(scope="module")
def seed_facts() -> dict[str, list[Fact]]:
    """Facts of every paragraph of the five seeds, checked against the report text as they are read."""
    out = {}
    for prefix in REGIONS:
        doc, text = _seed(prefix)
        facts = []
        for m in re.finditer(r"[^\n]+", text):
            chunk = _chunk(doc, text, m.start(), m.end())
            for f in extract_facts(chunk):
                assert text[f.start : f.end] == f.sentence and m.start() <= f.start < f.end <= m.end()
                facts.append(f)
        out[prefix] = facts
    return out


def test_every_seed_yields_clean_facts(seed_facts):
    for prefix, facts in seed_facts.items():
        assert len(facts) >= 30, prefix
        for f in facts:
            assert f.unit != "年" and not (
                f.value.is_integer() and 1900 <= f.value <= 2100 and f.unit in ("", "年")
            )
            assert f.kind in ("level", "change") and len(f.metric) >= 2
            assert f.sentence.strip() == f.sentence and not re.search(r"[。；;]", f.sentence[:-1])


@pytest.mark.parametrize(
    ("prefix", "value", "unit", "metric", "context", "kind"),
    [
        (LUCHENG, 341, "件", "行政复议新收案件数", "行政复议", "level"),
        (LUCHENG, 10, "%", "调解率", "行政复议", "change"),
        (LUCHENG, 3976, "件", "新增专利授权量", "知识产权", "level"),
        (HONGGUTAN, 74329, "件", "12345热线转办件", "12345热线", "level"),
        (HONGGUTAN, 190, "个", "人民调解委员会", "人民调解", "level"),
        (HONGGUTAN, 99.38, "%", "全程网办率", "政务服务", "level"),
        (HONGGUTAN, 98.8, "%", "化解率", "人民调解", "level"),
        (DIAOBINGSHAN, 49.37, "%", "裁判文书上网率", "司法", "level"),
        (DIAOBINGSHAN, 18, "件", "行政复议案件", "行政复议", "level"),
        (DIAOBINGSHAN, 283, "人", "法律明白人", "公共法律服务", "level"),
        (GAOQU, 102, "件", "法律援助案件", "法律援助", "level"),
        (GAOQU, 1228, "名", "国家工作人员", "", "level"),
        (JINGHU, 66.7, "%", "主要负责人出庭应诉率", "行政诉讼", "level"),
        (JINGHU, 644, "件", "法律援助案件", "法律援助", "level"),
        (JINGHU, 71, "项", "重点行业联查事项清单", "", "level"),
    ],
)
def test_known_facts_are_found(seed_facts, prefix, value, unit, metric, context, kind):
    found = [(f.metric, f.context, f.kind) for f in seed_facts[prefix] if f.value == value and f.unit == unit]
    assert (metric, context, kind) in found


# ---------------------------------------------------------------- metric_score


def _best(facts: list[Fact], metric: str, context: str) -> tuple[float, Fact]:
    return max(((metric_score(metric, context, f), f) for f in facts), key=lambda p: p[0])


def test_review_mediation_rate_is_not_a_people_mediation_rate(seed_facts):
    review = one(seed_facts[JINGHU], 50.6, "%")
    people = one(seed_facts[HONGGUTAN], 98.8, "%")
    assert metric_score("调解率", "行政复议", review) == 1.0
    assert metric_score("调解率", "行政复议", people) < 0.45
    assert metric_score("复议调解率", "", review) > 0.7 > 0.45 > metric_score("复议调解率", "", people)


def test_success_rate_of_mediation_has_three_names(seed_facts):
    named = [
        one(seed_facts[HONGGUTAN], 98.8, "%"),
        one(seed_facts[DIAOBINGSHAN], 98, "%"),
        one(seed_facts[GAOQU], 98, "%"),
    ]
    assert [f.metric for f in named] == ["化解率", "化解成功率", "调处成功率"]
    assert all(metric_score("化解成功率", "人民调解", f) >= 0.9 for f in named)
    petitions = next(f for f in seed_facts[GAOQU] if f.metric == "重复信访事项化解率")
    assert metric_score("化解成功率", "人民调解", petitions) < 0.45
    assert metric_score("化解成功率", "人民调解", one(seed_facts[JINGHU], 50.6, "%")) < 0.45


def test_legal_aid_cases_match_counts_only(seed_facts):
    assert metric_score("法律援助案件", "法律援助", one(seed_facts[JINGHU], 644, "件")) == 1.0
    for prefix, value in ((JINGHU, 644), (GAOQU, 102)):
        score, best = _best(seed_facts[prefix], "法律援助案件", "法律援助")
        assert (best.value, best.unit) == (value, "件") and score == 1.0
    # a rate never answers a count, nor a count a rate
    assert metric_score("法律援助案件", "法律援助", one(seed_facts[JINGHU], 50.6, "%")) == 0.0
    assert metric_score("出庭应诉率", "", one(seed_facts[JINGHU], 644, "件")) == 0.0


def test_review_caseload_under_its_different_names(seed_facts):
    for prefix, value in ((LUCHENG, 341), (HONGGUTAN, 92), (DIAOBINGSHAN, 18), (JINGHU, 120)):
        score, best = _best(seed_facts[prefix], "行政复议案件收案数量", "行政复议")
        assert (best.value, best.unit, best.kind) == (value, "件", "level") and score >= 0.9
    litigation = next(f for f in seed_facts[DIAOBINGSHAN] if f.metric.endswith("行政诉讼案件"))
    assert metric_score("行政复议案件收案数量", "行政复议", litigation) < 0.45


def test_court_appearance_rate_prefers_its_own_head(seed_facts):
    for prefix in (HONGGUTAN, DIAOBINGSHAN, GAOQU, JINGHU):
        _, best = _best(seed_facts[prefix], "行政机关负责人出庭应诉率", "行政诉讼")
        assert best.metric.endswith(("出庭应诉率", "出庭率")) and best.unit == "%"  # one figure, two names
    loss_rate = next(f for f in seed_facts[LUCHENG] if f.metric == "败诉率")
    assert metric_score("行政机关负责人出庭应诉率", "行政诉讼", loss_rate) < 0.45


# ---------------------------------------------------------------- the metric a question asks (rag/question/parse.py)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("哪个区复议调解率最高?", ("复议调解率", "行政复议")),
        ("哪些地区行政机关负责人出庭应诉率达到100%?", ("出庭应诉率", "行政诉讼")),
        ("各地行政复议案件收案数量分别是多少?", ("行政复议案件收案", "行政复议")),
        ("哪个地区人民调解的化解成功率最高?", ("化解率", "人民调解")),
        ("哪个地区受理的法律援助案件最多?", ("法律援助案件", "法律援助")),
        ("哪个区12345热线按期办结率最高？", ("12345热线按期办结率", "12345热线")),
        ("全程网办率排名第一的是哪个区", ("全程网办率", "政务服务")),
        ("哪些区的法律援助案件超过100件", ("法律援助案件", "法律援助")),
        ("哪个区的行政复议被纠错率最低", ("行政复议被纠错率", "行政复议")),
        ("鹿城区2022年行政复议新收案件多少件?", ("行政复议新收案件", "行政复议")),
        ("红谷滩区有多少个人民调解委员会?", ("人民调解委员会", "人民调解")),
        ("2023年各区的社区矫正对象分别有多少人", ("社区矫正对象", "社区矫正")),
        ("哪个地区的人民调解员人数最多?", ("人民调解员人数", "人民调解")),
        ("哪个区罚没款金额最多", ("罚没款", "")),
        ("哪个区最好?", ("", "")),
    ],
)
def test_the_asked_metric_and_its_field(catalog, question, expected):
    q = parse(question, catalog)
    assert ((q.metric_forms or ("",))[0], q.field) == expected


def test_the_asked_metric_feeds_metric_score(catalog, seed_facts):
    """The answer stage keeps each report's best-scoring fact; those are the people-mediator counts."""
    q = parse("哪个地区的人民调解员人数最多?", catalog)
    best = {p: _best(facts, q.metric_forms[0], q.field) for p, facts in seed_facts.items()}
    rows = {best[p][1].region: best[p][1].value for p in best if best[p][0] >= 0.45}
    assert rows == {"红谷滩区": 934, "高区": 381}


def _facts_of(text: str, section: tuple[str, ...] = ()) -> list[Fact]:
    return extract_facts(Chunk("省.txt", 0, len(text), text, section, "2025年岭南省政府工作报告", "岭南省", 2025))


def test_goals_are_flagged_as_targets_and_results_are_not():
    goal = _facts_of("今年主要预期目标是：地区生产总值增长5%左右，粮食产量1600亿斤以上。")
    assert [(f.metric, f.unit, f.target) for f in goal] == [("地区生产总值", "%", True), ("粮食产量", "亿斤", True)]
    (result,) = _facts_of("粮食产量836.9亿斤，再创历史新高。")
    assert (result.value, result.unit, result.target) == (836.9, "亿斤", False)


def test_figures_in_a_plan_section_are_targets():
    (fact,) = _facts_of("新建口袋公园30个。", ("三、2025年工作安排",))
    assert fact.target


def test_growth_questions_match_changes_only():
    level, change = _facts_of("全年生产总值6.36万亿元、增长5.1%。")
    assert (level.kind, change.kind) == ("level", "change")
    assert metric_score("地区生产总值", "", change, change=True) >= 0.8
    assert metric_score("地区生产总值", "", level, change=True) == 0.0


def test_which_province_is_not_read_as_a_place_name(catalog):
    q = parse("哪个省地区生产总值增速最快?", catalog)
    assert (q.metric_forms[0], q.change, q.regions, q.scope.level) == ("地区生产总值", True, (), "province")


def _corpus_sentence(name: str, phrase: str, section: tuple[str, ...] = ()) -> list[Fact]:
    """The facts of the sentence of a corpus report (../shared/corpus) that holds `phrase`."""
    path = next((Path(__file__).resolve().parents[3] / "shared" / "corpus").glob(f"*/{name}"), None)
    if path is None:
        pytest.skip("../shared/corpus is not here")
    text = path.read_text(encoding="utf-8")
    at = text.index(phrase)
    start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
    region, year = name.split("_")[0].removeprefix("深圳市"), int(name.split("_")[1])
    chunk = Chunk(name, start, end, text[start:end], section, f"{year}年政府工作报告", region, year)
    facts = [f for f in extract_facts(chunk) if phrase in f.sentence]
    assert all(text[f.start : f.end] == f.sentence for f in facts)
    return facts


def test_respectively_gives_each_item_its_own_figure():
    facts = _corpus_sentence("上海市_2025_政府工作报告.txt", "外资研发中心分别新认定")
    assert {(f.metric, f.value) for f in facts} >= {
        ("跨国公司地区总部新认定", 60), ("外资研发中心新认定", 30), ("跨国公司地区总部", 1016), ("外资研发中心", 591)}


def test_a_total_after_a_semicolon_is_the_total_of_the_figure_before():
    facts = _corpus_sentence("深圳市宝安区_2023_政府工作报告.txt", "总量达到4702亿元")
    assert one(facts, 4702, "亿元").metric == "GDP"


def test_the_starting_figure_of_from_a_to_b_without_its_year_is_left_out():
    facts = _corpus_sentence("深圳市宝安区_2022_政府工作报告.txt", "GDP从3847亿元跃升到4422亿元")
    assert [f.value for f in facts if f.unit == "亿元" and f.value in (3847, 4422)] == [4422]
    assert one(facts, 4422, "亿元").metric == "GDP"


def test_a_target_list_ending_in_a_task_to_complete_still_sets_targets():
    facts = _corpus_sentence("深圳市盐田区_2023_政府工作报告.txt", "地区生产总值增长8.0%", ("一、2022年工作回顾",))
    assert one(facts, 8.0, "%").target


def test_the_growth_of_a_count_is_not_the_growth_of_money_asked(catalog):
    from rag.answer.match import counted_otherwise

    facts = _corpus_sentence("湖北省_2025_政府工作报告.txt", "外贸实绩企业达到9570家")
    firms = next(f for f in facts if f.value == 8.6 and f.kind == "change")
    assert counted_otherwise(parse("湖北2024年外贸进出口增长了百分之几？", catalog), firms, facts)
    assert not counted_otherwise(parse("湖北2024年外贸实绩企业增长了多少？", catalog), firms, facts)


def test_a_total_after_new_ones_is_the_total_of_all():
    facts = _corpus_sentence("深圳市龙岗区_2022_政府工作报告.txt", "新增国高企业308家、总量2810家")
    assert (one(facts, 308, "家").metric, one(facts, 2810, "家").metric) == ("新增国高企业", "国高企业")


def test_people_asked_are_not_answered_by_a_count_of_things(catalog):
    facts = _corpus_sentence("重庆市_2025_政府工作报告.txt", "示范园区5个")
    parks = one(facts, 5, "个")
    assert metric_score("示范园区", "", parks, unit="个") > 0.5
    assert metric_score("示范园区", "", parks, unit="人次") == 0.0  # 多少人次 is no 5个


def test_chengxiang_respectively_is_the_towns_then_the_villages():
    facts = _corpus_sentence("新疆_2025_政府工作报告.txt", "城乡低保标准分别增长5%、12%")
    assert {(f.metric, f.value, f.kind) for f in facts} >= {("城镇低保标准", 5, "change"), ("农村低保标准", 12, "change")}


def test_an_adverb_before_a_change_is_not_part_of_the_metric():
    facts = _corpus_sentence("北京市_2025_政府工作报告.txt", "入境游客大幅增长186.8%")
    assert one(facts, 186.8, "%").metric.endswith("入境游客")  # not 入境游客大幅


def test_a_net_increase_is_a_change_and_the_total_after_it_a_level():
    facts = _corpus_sentence("广东省_2025_政府工作报告.txt", "经营主体净增98万户、突破1900万户")
    assert (one(facts, 98, "万户").kind, one(facts, 1900, "万户").kind) == ("change", "level")
    assert one(facts, 1900, "万户").metric == "经营主体"


@pytest.mark.parametrize(("sentence", "written"), [
    ("为企业挽回经济损失300余万元。", ["300余万元"]),
    ("全年接待游客约1.2万人次。", ["约1.2万人次"]),
    ("地区生产总值增长6%—6.5%。", ["6%—6.5%"]),
    ("调解率达98%以上。", ["98%以上"]),
])
def test_a_figure_is_shown_as_the_report_writes_it(sentence, written):
    from rag.answer.compose import figure

    chunk = Chunk("d", 0, len(sentence), sentence, (), "青山区2024年法治政府建设情况的报告", "青山区", 2024)
    assert [figure(f) for f in extract_facts(chunk)] == written
