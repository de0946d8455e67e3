"""Charts from answers: what is drawn (panels, units, order, marks) and the plotly figure it makes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rag.app.charts import ACTUAL, CHANGE, ESTIMATE, TARGET, chart_figure, chart_kind, chart_panels, left_out
from rag.types import Answer, Citation, Row


def query(intent="enumerate", **kw):
    fields = {"intent": intent, "target": False, "change": False, "descending": True, "metric": "受理法律援助案件",
              "metric_forms": ()}  # fmt: skip
    return SimpleNamespace(**{**fields, **kw})


def row(n, region, year, value, unit, qualifier="", kind="level", quote=None):
    quote = quote or f"{region}受理法律援助案件{value:g}{unit}。"
    c = Citation(n, f"{region}{year}.txt", f"{region}{year}年报告", region, year, ("一、主要举措",), quote, 0, len(quote))
    return Row(region, year, value, unit, qualifier, kind, "法律援助案件", c)


def answer(rows, q=None, extra=()):
    return Answer("问题", "答案", "compare", tuple(r.citation for r in rows) + tuple(extra), tuple(rows), query=q or query())


def test_a_comparison_is_one_bar_panel_sorted_by_value_with_the_figure_as_written():
    a = answer([row(1, "高区", 2021, 102, "件"), row(2, "镜湖区", 2024, 644, "件"), row(3, "鹿城区", 2022, 300, "件", "约")])
    assert chart_kind(a) == "bar"
    (panel,) = chart_panels(a)
    assert panel.unit == "件" and panel.title == "受理法律援助案件（件）"
    assert [p.region for p in panel.points] == ["镜湖区", "鹿城区", "高区"]
    assert [p.text for p in panel.points] == ["644件", "约300件", "102件"]
    assert [p.mark for p in panel.points] == [ACTUAL, ESTIMATE, ACTUAL]


def test_a_lowest_question_sorts_the_other_way():
    a = answer([row(1, "高区", 2021, 102, "件"), row(2, "镜湖区", 2024, 644, "件")], query("superlative", descending=False))
    assert [p.region for p in chart_panels(a)[0].points] == ["高区", "镜湖区"]


def test_wan_and_yi_figures_share_one_unit_and_other_units_get_their_own_axis():
    rows = [row(1, "甲区", 2024, 860, "万元"), row(2, "乙区", 2024, 1.2, "亿元"), row(3, "丙区", 2024, 9500, "万元"),
            row(4, "丁区", 2024, 98.5, "%")]  # fmt: skip
    money, rate = chart_panels(answer(rows))
    assert money.unit == "万元" and [(p.region, p.value) for p in money.points] == [
        ("乙区", pytest.approx(12000)), ("丙区", 9500), ("甲区", 860)]
    assert rate.unit == "%" and [p.region for p in rate.points] == ["丁区"]
    figure = chart_figure(answer(rows))
    assert len({t.xaxis for t in figure.data}) == 2, "one axis per unit"


def test_targets_estimates_and_changes_are_marked():
    assert chart_panels(answer([row(1, "甲区", 2025, 5, "%"), row(2, "乙区", 2025, 6, "%")],
                               query(target=True)))[0].points[0].mark == TARGET  # fmt: skip
    planned = row(1, "甲区", 2024, 5, "%", quote="预计全年增长5%。")
    assert chart_panels(answer([planned, row(2, "乙区", 2024, 6, "%")]))[0].points[1].mark == ESTIMATE
    change = row(1, "甲区", 2024, 5, "%", kind="change")
    assert chart_panels(answer([change, row(2, "乙区", 2024, 6, "%")]))[0].points[1].mark == CHANGE
    growth = answer([change, row(2, "乙区", 2024, 6, "%", kind="change")], query("superlative", change=True))
    assert {p.mark for p in chart_panels(growth)[0].points} == {ACTUAL}


def test_a_region_with_only_a_change_is_named_not_drawn():
    only_change = Citation(3, "丙区.txt", "丙区报告", "丙区", 2024, (), "调解率同比增加10%。", 0, 10)
    a = answer([row(1, "甲区", 2024, 50, "%"), row(2, "乙区", 2024, 40, "%")], extra=[only_change])
    assert left_out(a) == ["丙区"]
    assert "丙区" not in {p.region for p in chart_panels(a)[0].points}


def test_a_series_is_a_line_per_region_over_years():
    rows = [row(1, "青山区", 2022, 280, "件"), row(2, "青山区", 2023, 300, "件", "约"), row(3, "青山区", 2024, 321, "件")]
    a = answer(rows, query("series"))
    assert chart_kind(a) == "line"
    figure = chart_figure(a)
    (line,) = figure.data
    assert line.type == "scatter" and list(line.x) == [2022, 2023, 2024] and list(line.y) == [280, 300, 321]
    assert list(line.text) == ["280件", "约300件", "321件"]
    assert list(line.marker.symbol) == ["circle", "circle-open", "circle"]  # the estimate is hollow


def test_bars_carry_value_and_year_and_no_chart_for_one_row_or_a_lookup():
    a = answer([row(1, "高区", 2021, 102, "件"), row(2, "镜湖区", 2024, 644, "件")])
    (bars,) = chart_figure(a).data
    assert bars.orientation == "h" and list(bars.text) == ["644件·2024年", "102件·2021年"]
    assert chart_figure(answer([row(1, "高区", 2021, 102, "件")])) is None
    assert chart_figure(Answer("问题", "答案", "lookup")) is None
    assert chart_figure(answer([row(1, "青山区", 2024, 3, "件")], query("series"))) is None
