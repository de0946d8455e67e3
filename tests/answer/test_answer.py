"""Answers over the seed reports and a few tiny reports: lookups, comparisons, summaries and "not found".

Every answer that cites is checked against the offset contract: `quote == report.text[start:end]`.
"""

from __future__ import annotations

import pytest

from rag.answer.answer import ask
from rag.store.store import add_reports, load_index

pytestmark = pytest.mark.slow

# Four tiny reports: two regions tie on both figures, one gives only a year-on-year change of the rate,
# one gives neither figure.
TINY = {
    "青山区.txt": ("青山区", 2024, "全年新收行政复议案件40件，调解率达40%。\n全年受理法律援助案件120件。"),
    "东湖区.txt": ("东湖区", 2024, "全年新收行政复议案件25件，调解率达40%。\n全年受理法律援助案件120件。"),
    "西山县.txt": (
        "西山县",
        2023,
        "全年新收行政复议案件12件，调解率同比提高8%。\n全年受理法律援助案件95件。",
    ),
    "南岭市.txt": ("南岭市", 2023, "全年组织普法宣传活动30场，群众满意度不断提升。"),
}


@pytest.fixture(scope="module")
def seeds(seeds_index):
    return load_index(seeds_index)


def index_of(workdir, reports: dict[str, str]):
    """An index of small reports given as {file name: text}, built in `workdir`."""
    folder = workdir / "reports"
    folder.mkdir()
    for name, text in reports.items():
        (folder / name).write_text(text, encoding="utf-8")
    add_reports(workdir / "index", [folder])
    return load_index(workdir / "index")


def rule_of_law_report(region: str, year: int, body: str) -> str:
    return f"{region}人民政府关于{year}年法治政府建设情况的报告\n\n一、主要举措和成效\n{body}\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return index_of(
        tmp_path_factory.mktemp("tiny"),
        {
            name: f"{region}人民政府关于{year}年法治政府建设情况的报告\n\n"
            f"{year}年，{region}坚持依法行政，现将有关情况报告如下。\n一、主要举措和成效\n{body}\n"
            for name, (region, year, body) in TINY.items()
        },
    )


def assert_verbatim(index, answer):
    for c in answer.citations:
        assert c.quote and index.reports[c.doc].text[c.start : c.end] == c.quote


# ---------------------------------------------------------------- lookup


@pytest.mark.parametrize(
    "question, figure, region",
    [
        ("红谷滩区有多少名人民调解员?", "934人", "红谷滩区"),
        ("高区有多少名人民调解员?", "381名", "高区"),
        ("调兵山市直播庭审多少场?", "863场", "调兵山市"),
        ("鹿城区人民调解组织成功调处纠纷多少件?", "10555件", "鹿城区"),
        ("镜湖区行政复议调解率是多少?", "50.6%", "镜湖区"),
    ],
)
def test_lookup_leads_with_the_figure_and_quotes_the_report(seeds, question, figure, region):
    answer = ask(seeds, question)
    assert answer.mode == "lookup"
    assert answer.answer.startswith(f"**{figure}**")
    [citation] = answer.citations
    assert citation.region == region and figure in citation.quote
    assert_verbatim(seeds, answer)
    assert citation.memo.startswith(f"《{citation.title}》") and citation.memo.endswith(
        f"：“{citation.quote}”"
    )


def test_region_filter_answers_from_that_report(seeds):
    answer = ask(seeds, "人民调解员有多少名?", regions=["高区"])
    assert answer.answer.startswith("**381名**")
    assert {c.region for c in answer.citations} == {"高区"}


def test_lookup_leads_with_the_count_the_question_asks_for(seeds):
    answer = ask(seeds, "镜湖区2024年办理知识产权质押融资贷款多少笔?")
    assert answer.answer.startswith("**21笔**")


def test_lookup_quotes_the_sentence_that_has_the_whole_phrase(seeds):
    answer = ask(seeds, "红谷滩区开展法治宣传活动多少场?")
    assert "法治宣传活动110余场" in answer.citations[0].quote


def test_report_wording_that_ends_in_qu_is_not_taken_for_a_place(seeds):
    answer = ask(seeds, "高区2021年来区访多少人次?")
    assert answer.mode == "lookup" and "213646" in answer.answer


# ---------------------------------------------------------------- summary


def test_summary_quotes_each_point_of_the_section(seeds):
    answer = ask(seeds, "调兵山市法治政府建设存在哪些问题?")
    assert answer.mode == "lookup" and len(answer.citations) == 6
    assert "列出 6 点" in answer.answer
    assert [c.quote[:3] for c in answer.citations] == ["(一)", "(二)", "(三)", "(四)", "(五)", "(六)"]
    assert all(c.section[0] == "二、推进法治政府建设过程中存在的问题" for c in answer.citations)
    assert_verbatim(seeds, answer)


def test_summary_lists_every_point_of_a_one_line_section(seeds):
    answer = ask(seeds, "镜湖区法治政府建设存在哪些不足?")
    assert "法治意识和依法行政能力有待提高" in answer.answer


# ---------------------------------------------------------------- compare


def test_mission_question_names_jinghu_and_explains_lucheng(seeds):
    answer = ask(seeds, "哪个区复议调解率最高")
    assert answer.mode == "compare"
    assert answer.answer.startswith("**镜湖区最高**") and "50.6%" in answer.answer
    assert (answer.rows[0].region, answer.rows[0].value, answer.rows[0].unit) == ("镜湖区", 50.6, "%")
    assert answer.rows[0].citation.quote in answer.answer
    assert "鹿城区" not in {r.region for r in answer.rows}, "a year-on-year change is not ranked"
    lucheng = next(line for line in answer.answer.splitlines() if line.startswith("- 鹿城区"))
    assert "变化量" in lucheng and "同比" in lucheng
    assert "未给出该数字" in answer.answer
    assert_verbatim(seeds, answer)


def test_threshold_names_every_region_that_reaches_it(seeds):
    answer = ask(seeds, "哪几个区报备率达到100%?")
    assert answer.mode == "compare" and answer.answer.startswith("**镜湖区**")
    assert "共 1 个" in answer.answer
    assert_verbatim(seeds, answer)


def test_enumerate_gives_one_cited_row_per_report(seeds):
    answer = ask(seeds, "各地受理行政复议案件分别是多少?")
    assert answer.mode == "compare"
    rows = {r.region: r for r in answer.rows}
    assert set(rows) == {"鹿城区", "红谷滩区", "调兵山市", "高区", "镜湖区"}
    assert {rows[r].value for r in ("鹿城区", "镜湖区", "红谷滩区", "调兵山市")} == {341, 120, 92, 18}
    assert [r.citation.n for r in answer.rows] == [1, 2, 3, 4, 5]
    assert_verbatim(seeds, answer)


def test_equal_figures_are_reported_as_a_tie(tiny):
    answer = ask(tiny, "哪个地区法律援助案件最多?")
    assert answer.answer.startswith("**东湖区、青山区并列最多**")
    assert [(r.region, r.value) for r in answer.rows] == [("东湖区", 120), ("青山区", 120), ("西山县", 95)]
    assert "未给出该数字：南岭市" in answer.answer
    assert_verbatim(tiny, answer)


def test_lowest_is_ranked_ascending(tiny):
    answer = ask(tiny, "哪个地区受理的法律援助案件最少?")
    assert answer.answer.startswith("**西山县最少**")
    assert [r.region for r in answer.rows][0] == "西山县"


def test_change_only_figures_are_listed_but_not_ranked(tiny):
    answer = ask(tiny, "哪个区复议调解率最高?")
    assert answer.answer.startswith("**东湖区、青山区并列最高**")
    assert {r.region for r in answer.rows} == {"东湖区", "青山区"}
    assert "西山县只报告了变化量" in answer.answer and "未参与排名" in answer.answer
    assert "未给出该数字：南岭市" in answer.answer
    assert len(answer.citations) == 3  # two ranked rows and the change, each cited
    assert_verbatim(tiny, answer)


def test_threshold_counts_ties(tiny):
    answer = ask(tiny, "哪些地区复议调解率达到40%?")
    assert answer.answer.startswith("**东湖区、青山区**") and "共 2 个" in answer.answer


# ---------------------------------------------------------------- not found


@pytest.mark.parametrize(
    "question",
    ["调兵山市2022年的旅游接待人数是多少?", "镜湖区的地区生产总值是多少?", "高区2021年招商引资金额是多少?"],
)
def test_a_figure_the_reports_never_give_is_not_found(seeds, question):
    answer = ask(seeds, question)
    assert answer.mode == "not_found" and not answer.citations
    assert answer.answer.startswith("报告中未找到")


@pytest.mark.parametrize(
    "question, place",
    [("朝阳区2023年行政复议案件多少件?", "朝阳区"), ("海淀区法律援助案件多少件?", "海淀区")],
)
def test_a_region_not_indexed_is_not_found(seeds, question, place):
    answer = ask(seeds, question)
    assert answer.mode == "not_found" and not answer.citations
    assert f"索引中没有{place}的报告" in answer.answer


def test_an_empty_question_is_not_answered(seeds):
    answer = ask(seeds, "  ")
    assert answer.mode == "not_found" and not answer.citations


# ---------------------------------------------------------------- JSON


def test_answer_json_for_a_lookup(seeds):
    data = ask(seeds, "调兵山市直播庭审多少场?").to_json()
    assert data["question"] == "调兵山市直播庭审多少场?" and data["mode"] == "lookup"
    assert "863场" in data["answer"] and "rows" not in data
    [c] = data["citations"]
    assert list(c) == ["n", "doc", "title", "region", "year", "section", "quote", "start", "end", "memo"]
    assert (c["n"], c["region"], c["year"]) == (1, "调兵山市", 2022)
    assert seeds.reports[c["doc"]].text[c["start"] : c["end"]] == c["quote"]


def test_answer_json_for_a_comparison_has_rows(seeds):
    data = ask(seeds, "哪个区复议调解率最高").to_json()
    assert data["mode"] == "compare"
    row = data["rows"][0]
    assert (row["region"], row["year"], row["value"], row["unit"], row["kind"]) == (
        "镜湖区",
        2024,
        50.6,
        "%",
        "level",
    )
    assert row["citation"] == data["citations"][0]


def test_answer_json_when_not_found_has_no_citations(seeds):
    data = ask(seeds, "朝阳区2023年行政复议案件多少件?").to_json()
    assert data["mode"] == "not_found" and data["citations"] == [] and "rows" not in data


def test_two_named_regions_are_compared_with_each_other_only(tiny):
    answer = ask(tiny, "青山区和西山县哪个受理的法律援助案件多?")
    assert answer.mode == "compare"
    assert [row.region for row in answer.rows] == ["青山区", "西山县"]
    assert answer.answer.startswith("**青山区最多**") and "120件" in answer.answer
    assert_verbatim(tiny, answer)


@pytest.fixture(scope="module")
def districts_and_a_province(tmp_path_factory):
    bodies = {
        "青山区": "全年新收行政复议案件40件，调解率达40%。",
        "东湖区": "全年新收行政复议案件30件，行政复议化解率达95%。",
        "岭南省": "全年新收行政复议案件900件，调解率达60%。",
    }
    return index_of(
        tmp_path_factory.mktemp("mixed"),
        {f"{region}.txt": rule_of_law_report(region, 2024, body) for region, body in bodies.items()},
    )


def test_districts_are_not_ranked_against_provinces(districts_and_a_province):
    answer = ask(districts_and_a_province, "哪个区复议调解率最高?")
    assert answer.answer.startswith("**青山区最高**") and "岭南省" not in answer.answer
    answer = ask(districts_and_a_province, "哪个省复议调解率最高?")
    assert answer.answer.startswith("**岭南省最高**") and [r.region for r in answer.rows] == ["岭南省"]


def test_a_neighbouring_metric_is_not_ranked_as_the_asked_one(districts_and_a_province):
    answer = ask(districts_and_a_province, "哪个区复议调解率最高?")
    assert [r.region for r in answer.rows] == ["青山区"]  # 东湖区's 化解率 95% is not a 调解率


@pytest.fixture(scope="module")
def provinces(tmp_path_factory):
    bodies = {
        "岭南省": "全省地区生产总值6万亿元、增长5.8%。粮食产量1352.3万吨、再创新高。\n"
        "今年主要预期目标是：地区生产总值增长9%左右，粮食产量1300万吨以上。",
        "岭北省": "全省地区生产总值3万亿元、增长6.3%。",
    }
    return index_of(
        tmp_path_factory.mktemp("provinces"),
        {f"{region}.txt": f"2025年{region}政府工作报告\n\n一、2024年工作回顾\n{body}\n" for region, body in bodies.items()},
    )


def test_growth_is_ranked_by_the_achieved_change_not_the_target(provinces):
    answer = ask(provinces, "哪个省地区生产总值增速最快?")
    assert answer.answer.startswith("**岭北省最快**") and "6.3%" in answer.answer
    assert [r.region for r in answer.rows] == ["岭北省", "岭南省"] and "9%" not in answer.answer


def test_levels_are_ranked_when_the_level_is_asked(provinces):
    answer = ask(provinces, "哪个省地区生产总值最高?")
    assert answer.answer.startswith("**岭南省最高**") and "6万亿元" in answer.answer


def test_short_province_names_are_understood(provinces):
    answer = ask(provinces, "岭南和岭北地区生产总值哪个更高？")
    assert answer.answer.startswith("**岭南省最高**：地区生产总值6万亿元")


def test_a_lookup_gives_the_result_not_the_target_unless_the_target_is_asked(provinces):
    assert ask(provinces, "岭南省粮食产量多少万吨？").answer.startswith("**1352.3万吨**")
    assert ask(provinces, "岭南省2025年粮食产量目标是多少？").answer.startswith("**1300万吨以上**")


def test_a_year_that_only_has_a_target_is_said_to_have_only_a_target(provinces):
    answer = ask(provinces, "岭南省2025年地区生产总值增长了多少？")
    assert answer.mode == "not_found" and "报告只给出目标：9%左右" in answer.answer


def test_a_count_at_another_stage_is_not_the_count_asked(tmp_path):
    index = index_of(tmp_path, {"青山区2024.txt": rule_of_law_report(
        "青山区", 2024, "2024年全区新收行政复议案件120件,办结87件,调解结案44件。\n"
                       "持续推进法律援助惠民生，2024年受理法律援助案件644件，挽回经济损失660余万元。")})
    assert ask(index, "青山区2024年办结了多少件行政复议案件？").answer.startswith("**87件**")
    assert ask(index, "青山区2024年新收多少件行政复议案件？").answer.startswith("**120件**")
    assert ask(index, "青山区2024年受理了多少件法律援助案件？").answer.startswith("**644件**")
    for other_stage in ("青山区2024年行政复议案件中被纠错的有多少件？", "青山区2024年法律援助案件办结了多少件？"):
        assert ask(index, other_stage).mode == "not_found", other_stage


def test_a_year_reviewed_finds_the_next_years_work_report_and_a_missing_year_is_not_found(provinces):
    assert "6万亿元" in ask(provinces, "岭南省2024年地区生产总值是多少？").answer
    answer = ask(provinces, "岭南省2019年地区生产总值是多少？")
    assert answer.mode == "not_found" and "没有岭南省2019年的报告" in answer.answer


def test_a_plan_question_finds_the_plan_section_though_it_says_anpai(seeds):
    answer = ask(seeds, "镜湖区下一年的工作打算是什么？")
    assert "主要安排" in answer.answer.splitlines()[0] and len(answer.citations) >= 2
    assert_verbatim(seeds, answer)


def test_a_named_report_year_means_that_report(provinces):
    assert "6万亿元" in ask(provinces, "岭南省2025年政府工作报告中地区生产总值是多少？").answer
    assert ask(provinces, "岭南省2024年政府工作报告中地区生产总值是多少？").mode == "not_found"


def test_next_years_plans_are_in_this_years_rule_of_law_report(seeds):
    answer = ask(seeds, "镜湖区2025年法治政府建设的工作打算是什么？")
    assert answer.mode == "lookup" and "主要安排" in answer.answer.splitlines()[0]
    assert {c.year for c in answer.citations} == {2024}


def test_each_region_is_compared_by_its_latest_report(tmp_path):
    index = index_of(
        tmp_path,
        {
            "青山区2022.txt": rule_of_law_report("青山区", 2022, "全年新收行政复议案件40件，调解率达70%。"),
            "青山区2023.txt": rule_of_law_report("青山区", 2023, "全年新收行政复议案件40件，调解率达40%。"),
            "东湖区2023.txt": rule_of_law_report("东湖区", 2023, "全年新收行政复议案件25件，调解率达50%。"),
        },
    )
    answer = ask(index, "哪个区复议调解率最高?")
    assert [(r.region, r.year) for r in answer.rows] == [("东湖区", 2023), ("青山区", 2023)]


def test_metric_synonyms_are_one_metric():
    from rag.answer.match import metric_score
    from rag.types import Fact

    def fact(metric):
        return Fact("d", "r", 2025, metric, "", 1344, "亿斤", "", "level", "", 0, 0)

    assert metric_score("粮食产量", "", fact("粮食总产量")) == metric_score("粮食产量", "", fact("粮食产量"))
    gdp = Fact("d", "r", 2024, "本地生产总值", "", 8566, "亿元", "", "level", "", 0, 0)
    assert metric_score("地区生产总值", "", gdp) == 1.0


def test_a_measure_after_de_belongs_to_the_metric_before_it(tiny):
    answer = ask(tiny, "哪个地区组织普法宣传活动的场次最多?")
    assert answer.mode == "compare" and answer.answer.startswith("**南岭市最多**") and "30场" in answer.answer


def test_a_summary_counts_points_whose_numeral_the_saved_page_lost(seeds):
    """红谷滩区's 2024 plan: 一是 … 六是, with 二 to 五 lost from the saved page (lines open with 是…)."""
    answer = ask(seeds, "红谷滩区下一步打算怎么做?")
    assert "列出 6 点" in answer.answer and len(answer.citations) == 6
    assert "、2024" not in answer.answer.splitlines()[0]  # no stray 、 from the heading that lost its numeral
    assert_verbatim(seeds, answer)


def test_problems_admitted_in_prose_are_found_without_a_heading(tmp_path):
    index = index_of(
        tmp_path,
        {
            "岭南省.txt": "2025年岭南省政府工作报告\n\n一、2024年工作回顾\n全省地区生产总值增长5%。\n"
            "我们也清醒看到，发展还面临一些困难：有效需求不足；产业转型步伐仍需加快；民生领域仍有短板。\n"
            "二、2025年工作安排\n（一）扩大内需。\n（二）推进产业升级。\n",
        },
    )
    answer = ask(index, "岭南省存在哪些问题和不足?")
    assert "清醒看到" in answer.citations[0].quote and len(answer.citations) == 3
    assert any("民生领域仍有短板" in c.quote for c in answer.citations)
    assert_verbatim(index, answer)


def test_a_bound_does_not_answer_a_question_that_insists_on_the_exact_figure(seeds):
    plain = ask(seeds, "鹿城区2022年行政诉讼败诉率是多少？")
    assert plain.mode == "lookup" and plain.answer.startswith("**10%以下**")
    exact = ask(seeds, "鹿城区2022年行政诉讼败诉率具体是百分之几？")
    assert exact.mode == "not_found" and not exact.citations
    assert "报告只给出约数：10%以下" in exact.answer


def test_a_summary_of_the_point_the_question_names_quotes_its_points_with_what_they_did(seeds):
    answer = ask(seeds, "威海高区2021年在化解矛盾纠纷方面主要是怎么做的？")
    assert "(五)健全矛盾纠纷多元化解机制”一节列出 4 点" in answer.answer
    assert "“诉调对接”" in answer.answer and len(answer.citations) == 4


def test_an_english_metric_is_named_by_the_nearest_fact_metrics_in_meaning(seeds):
    from rag.answer.match import named_in_reports
    from rag.question.parse import parse

    asked = parse("What was the online publication rate of court judgments in Diaobingshan in 2022?", seeds)
    assert "裁判文书上网率" not in asked.metric_forms  # the gloss: 线上公开法院裁判
    assert named_in_reports(asked, seeds, seeds.embedder()).metric_forms[0] == "裁判文书上网率"
    answer = ask(seeds, asked.text)
    assert answer.mode == "lookup" and "49.37%" in answer.answer


def test_a_comparison_headline_names_the_metric_once(seeds):
    answer = ask(seeds, "哪个区复议调解率最高?")
    assert answer.answer.startswith("**镜湖区最高**：行政复议调解率50.6%（2024年）")


def test_a_follow_up_on_a_region_listed_as_giving_only_a_change_says_so_in_the_same_words(tiny):
    ranked = ask(tiny, "哪个区复议调解率最高?")
    assert "西山县只报告了变化量" in ranked.answer
    answer = ask(tiny, "那西山县呢?", previous=ranked.query)
    assert answer.mode == "not_found" and not answer.citations
    assert "西山县只报告了变化量" in answer.answer and "8%是同比变化" in answer.answer
