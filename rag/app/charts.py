"""Numbers you can see: a comparison as a sorted bar chart, a series (one figure over years) as a line chart.

Pure functions of an `Answer`: `chart_panels` says what is drawn (testable without a browser), `chart_figure`
draws it as a plotly figure for `gr.Plot`. Plotly rather than `gr.BarPlot`: the native plots cannot write
the value and year on each bar, nor give each unit its own axis.

Figures of different units never share an axis: each base unit (件, 元, %, 百分点 …) is its own panel, and
万/亿 figures of one base unit are converted to the multiplier most of them use (860万元 and 1.2亿元 → 万元).
Estimates (约/近/预计) are hatched (bars) or hollow points (lines), targets are named as targets, and a
figure that only gives a change where levels are ranked is kept apart; the bar's text is the figure as
the report writes it.

`plot_value` hands a figure to `gr.Plot` with plotly's config: its toolbar and messages in Chinese (a zh-CN
locale given with the figure, `ZH_CN`), without the tools a bar chart has no use for.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from plotly.subplots import make_subplots

from rag.answer.compose import figure as as_written  # 约600件, 2万余人次: the figure as the report writes it
from rag.documents.facts import base_unit
from rag.types import Answer, Row

SCALES = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "": 1.0}
ACTUAL, ESTIMATE, TARGET, CHANGE = "实际", "约数或预计", "目标", "仅变化量"
COLORS = {ACTUAL: "#4f46e5", ESTIMATE: "#a5b4fc", TARGET: "#d97706", CHANGE: "#9ca3af"}
FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
BAR_PX, PANEL_PX = 30, 70  # height per bar, and per panel for its title and axis
INSIDE = 0.55  # a bar at least this share of the longest writes its text inside
# plotly.js's own words (toolbar, messages) in Chinese, given with each figure as its zh-CN locale
ZH_CN = {
    "Autoscale": "自动缩放", "Box Select": "矩形选择", "Click to enter Colorscale title": "点击输入色阶标题",
    "Compare data on hover": "悬停时比较数据", "Double-click on legend to isolate one trace": "双击图例只显示此项",
    "Double-click to zoom back out": "双击还原", "Download plot": "下载图片", "Download plot as a PNG": "下载图片（PNG）",
    "Lasso Select": "套索选择", "Pan": "平移", "Produced with Plotly.js": "由 Plotly.js 生成", "Reset axes": "重置坐标轴",
    "Reset view": "重置视图", "Show closest data on hover": "悬停时显示最近的数据", "Snapshot succeeded": "已生成图片",
    "Taking snapshot - this may take a few seconds": "正在生成图片，请稍候", "Toggle Spike Lines": "显示/隐藏辅助线",
    "Zoom": "缩放", "Zoom in": "放大", "Zoom out": "缩小", "Reset": "重置", "Reset views": "重置视图",
    "Toggle show closest data on hover": "悬停时显示最近的数据", "Click to enter Plot title": "点击输入图表标题",
    "Click to enter X axis title": "点击输入 X 轴标题", "Click to enter Y axis title": "点击输入 Y 轴标题",
}  # fmt: skip
PLOT_CONFIG = {
    "locale": "zh-CN",
    "locales": {"zh-CN": {"dictionary": ZH_CN, "format": {"decimal": ".", "thousands": ","}}},
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "toggleSpikelines", "hoverClosestCartesian",
                               "hoverCompareCartesian"],
    "toImageButtonOptions": {"filename": "报告问答-图表"},
}  # fmt: skip


@dataclass(frozen=True)
class Point:
    """One row of the answer as drawn: `value` is in its panel's unit, `text` as the report writes it."""

    region: str
    year: int | None
    value: float
    text: str
    mark: str  # ACTUAL | ESTIMATE | TARGET | CHANGE
    n: int  # the citation number


@dataclass(frozen=True)
class Panel:
    """The points of one unit: one axis."""

    title: str
    unit: str
    points: tuple[Point, ...]


def chart_kind(answer: Answer | None) -> str:
    """'line' for a figure over years, 'bar' for a comparison of two or more rows, '' for no chart."""
    if answer is None or answer.mode != "compare" or not answer.rows:
        return ""
    if getattr(answer.query, "intent", "") == "series":
        return "line" if len({r.year for r in answer.rows}) >= 2 else ""
    return "bar" if len(answer.rows) >= 2 else ""


def chart_panels(answer: Answer) -> list[Panel]:
    """The panels to draw, one per base unit, the panel with the most points first; bars sorted by value."""
    kind = chart_kind(answer)
    if not kind:
        return []
    query = answer.query
    groups: dict[str, list[Row]] = {}
    for row in answer.rows:
        groups.setdefault(base_unit(row.unit), []).append(row)
    panels = []
    for base, rows in sorted(groups.items(), key=lambda g: -len(g[1])):
        prefix = _common_prefix(rows)
        points = [
            Point(r.region, r.year, _in_base(r) / SCALES[prefix], as_written(r), row_mark(r, query), r.citation.n)
            for r in rows
        ]
        if kind == "bar":
            points.sort(key=lambda p: p.value, reverse=getattr(query, "descending", True))
        else:
            points.sort(key=lambda p: (p.region, p.year or 0))
        unit = prefix + base
        panels.append(Panel(f"{_metric(answer, rows)}（{unit or '数值'}）", unit, tuple(points)))
    return panels


def left_out(answer: Answer) -> list[str]:
    """Regions whose figure is cited but not drawn: they only report a change while levels are compared."""
    if not chart_kind(answer):
        return []
    drawn = {r.citation.n for r in answer.rows}
    return list(dict.fromkeys(c.region for c in answer.citations if c.n not in drawn))


def chart_figure(answer: Answer | None):
    """The plotly figure for `answer` (see the module's docstring), or None when it has no numbers to draw."""
    panels = chart_panels(answer) if answer is not None else []
    if not panels:
        return None
    line = chart_kind(answer) == "line"
    heights = [PANEL_PX + (220 if line else BAR_PX * len(p.points)) for p in panels]
    figure = make_subplots(
        rows=len(panels), cols=1, subplot_titles=[p.title for p in panels],
        row_heights=heights, vertical_spacing=min(0.3, 60 / sum(heights)),
    )  # fmt: skip
    for i, panel in enumerate(panels, start=1):
        (_add_lines if line else _add_bars)(figure, panel, i)
    marks = {p.mark for panel in panels for p in panel.points}
    regions = {p.region for panel in panels for p in panel.points}
    legend = len(regions) > 1 if line else len(marks) > 1
    figure.update_layout(
        height=sum(heights) + 40 + 40 * legend,
        margin={"l": 10, "r": 10, "t": 40, "b": 10 + 40 * legend},
        font={"family": FONT, "size": 13},
        plot_bgcolor="#fff",
        paper_bgcolor="#fff",
        showlegend=legend,  # under the chart, clear of the panels' titles
        legend={"orientation": "h", "y": 0, "yref": "container", "yanchor": "bottom", "x": 0, "title": None},
        barmode="overlay",
        hoverlabel={"font_family": FONT},
    )
    figure.update_annotations(font_size=14, x=0, xanchor="left")  # the panels' titles, left-aligned
    return figure


def plot_value(figure):
    """`figure` as `gr.Plot` takes it, with PLOT_CONFIG (Chinese toolbar); None stays None."""
    if figure is None:
        return None
    # lazy: gradio takes ~1.7 s to import, and only the chat draws charts
    from gradio.components.plot import PlotData

    return PlotData(type="plotly", plot=json.dumps({**json.loads(figure.to_json()), "config": PLOT_CONFIG}))


def _add_bars(figure, panel: Panel, row: int) -> None:
    top = max((p.value for p in panel.points), default=0) or 1
    order = [_label(p, panel) for p in panel.points]
    for mark in (ACTUAL, ESTIMATE, TARGET, CHANGE):
        points = [p for p in panel.points if p.mark == mark]
        if not points:
            continue
        figure.add_bar(
            row=row, col=1, orientation="h", name=mark, legendgroup=mark, showlegend=row == 1,
            y=[_label(p, panel) for p in points], x=[p.value for p in points],
            text=[f"{p.text}·{p.year}年" if p.year else p.text for p in points],
            # a long bar holds its text, a short one has it after it: nothing runs off a phone's screen
            textposition=["inside" if p.value >= INSIDE * top else "outside" for p in points],
            insidetextanchor="end", insidetextfont={"color": "#fff"}, cliponaxis=False,
            marker={"color": COLORS[mark], "pattern": {"shape": "/" if mark == ESTIMATE else ""}},
            hovertemplate="%{y}：%{text}<extra>" + mark + "</extra>",
        )  # fmt: skip
    # the largest on top (plotly draws the first category at the bottom)
    figure.update_yaxes(row=row, col=1, categoryorder="array", categoryarray=order[::-1], automargin=True)
    figure.update_xaxes(row=row, col=1, range=[0, top * 1.02], showgrid=True, gridcolor="#e5e7eb", zeroline=True)


def _add_lines(figure, panel: Panel, row: int) -> None:
    regions = list(dict.fromkeys(p.region for p in panel.points))
    for region in regions:
        points = [p for p in panel.points if p.region == region]
        figure.add_scatter(
            row=row, col=1, name=region, legendgroup=region, showlegend=row == 1, mode="lines+markers+text",
            x=[p.year for p in points], y=[p.value for p in points], text=[p.text for p in points],
            textposition="top center", cliponaxis=False,
            line={"dash": "dash" if all(p.mark == TARGET for p in points) else "solid"},
            marker={"size": 9, "symbol": ["circle-open" if p.mark == ESTIMATE else "circle" for p in points]},
            hovertemplate="%{x}年：%{text}<extra>" + region + "</extra>",
        )  # fmt: skip
    top = max((p.value for p in panel.points), default=0) or 1
    figure.update_xaxes(row=row, col=1, dtick=1, tickformat="d", ticksuffix="年", showgrid=False)
    figure.update_yaxes(row=row, col=1, range=[0, top * 1.25], gridcolor="#e5e7eb", automargin=True)


def _label(point: Point, panel: Panel) -> str:
    """A bar's category: the region, with the year when a region appears twice."""
    twice = sum(p.region == point.region for p in panel.points) > 1
    return f"{point.region} {point.year}年" if twice and point.year else point.region


def row_mark(row: Row, query) -> str:
    """How a row is marked: ACTUAL, ESTIMATE (约/近/预计), TARGET, or CHANGE (only a change where levels are ranked)."""
    if getattr(query, "target", False):
        return TARGET
    if row.qualifier in ("约", "近") or "预计" in row.citation.quote:
        return ESTIMATE
    if row.kind == "change" and not getattr(query, "change", False):
        return CHANGE
    return ACTUAL


def _prefix(unit: str) -> str:
    return unit[: len(unit) - len(base_unit(unit))]


def _common_prefix(rows: list[Row]) -> str:
    """The 万/亿 multiplier most rows use (the larger on a tie): the unit the panel reads in."""
    counts = Counter(_prefix(r.unit) for r in rows)
    return max(counts, key=lambda p: (counts[p], SCALES.get(p, 1.0)))


def _in_base(row: Row) -> float:
    return row.value * SCALES.get(_prefix(row.unit), 1.0)


def _metric(answer: Answer, rows: list[Row]) -> str:
    query = answer.query
    asked = (getattr(query, "metric_forms", None) or [None])[0] or getattr(query, "metric", "")
    name = asked or Counter(r.metric for r in rows).most_common(1)[0][0]
    return name + ("目标" if getattr(query, "target", False) and not name.endswith("目标") else "")
