"""What the chat shows: the bubble without the table, one fit-table, clean section paths, no heading-only cards."""

from __future__ import annotations

from rag.app.render import (
    chat_markdown,
    clean_heading,
    comparison_html,
    heading_only,
    reports_html,
    sources_html,
)
from rag.types import Answer, Chunk, Citation, Hit, Row

QUOTE = "2024年全区新收行政复议案件120件,调解率达50.6%。"


def test_the_bubble_leaves_the_table_to_the_comparison_panel():
    c = Citation(1, "a.txt", "镜湖区报告", "镜湖区", 2024, ("、2024年度主要工作安排",), QUOTE, 0, len(QUOTE))
    rows = (Row("镜湖区", 2024, 50.6, "%", "", "level", "调解率", c), Row("高区", 2021, 20, "%", "", "level", "调解率", c))
    text = (f"**镜湖区最高**：调解率50.6%[1]\n\n| 地区 | 年份 | 指标 | 数值 | 原文 |\n|---|---|---|---|---|\n"
            f"| 镜湖区 | 2024 | 调解率 | 50.6% | “{QUOTE}”[1] |\n\n来源：\n[1] 《镜湖区报告》 、2024年度主要工作安排｜镜湖区 2024年")
    answer = Answer("哪个区复议调解率最高？", text, "compare", (c,), rows)
    bubble = chat_markdown(answer)
    assert "|---|" not in bubble and QUOTE.replace(",", "") not in bubble.replace("\\", "").replace(",", "")
    assert "2 个数字的对比表和图见「数字对比」" in bubble
    assert "、2024年度" not in bubble and "2024年度主要工作安排" in bubble
    table = comparison_html(answer)
    assert table.count("<table") == 1 and 'data-label="原文"' in table and "“2024年全区新收行政复议案件120件" in table
    assert '<td class="year" data-label="年份">2024</td>' in table


def test_headings_and_signatures_are_not_related_passages():
    def chunk(text, section):
        return Chunk("a.txt", 0, len(text), text, section, "报告", "红谷滩区", 2023)

    assert heading_only(chunk("、2024年度主要工作安排", ("、2024年度主要工作安排",)))
    assert heading_only(chunk("红谷滩区人民政府", ("、2024年度主要工作安排", "六是聚焦营造法治氛围")))
    assert heading_only(chunk("(四)坚持多措并举,有效化解社会矛盾纠纷", ("一、主要举措", "(四)坚持多措并举,有效化解社会矛盾纠纷")))
    assert not heading_only(chunk("(五)向“广”延伸\n加强党内监督和人大、政协监督。", ("一、情况", "(五)向“广”延伸")))
    heading = Hit(chunk("、2024年度主要工作安排", ("、2024年度主要工作安排",)), 1, 1.0)
    passage = Hit(chunk("全年受理法律援助案件321件。", ("、2024年度主要工作安排",)), 2, 0.9)
    html = sources_html(None, Answer("问题", "报告中未找到…\n\n以下段落相关，但不能回答这个问题：\n- …", "not_found",
                                     related=(heading, passage)))  # fmt: skip
    assert html.count('class="card related"') == 1 and "321件" in html
    assert "、2024" not in html and clean_heading("、2024年度主要工作安排") == "2024年度主要工作安排"


def test_the_reports_table_keeps_years_whole():
    from types import SimpleNamespace

    from rag.types import Report

    report = Report("000_1e730ce7ce0129e2.txt", "p", "", (), "关于鹿城区2022年法治政府建设工作情况的报告", "鹿城区", 2022)
    table = reports_html(SimpleNamespace(reports={report.doc: report}), kind=lambda r: "法治政府建设情况报告",
                         link=lambda r: f"report?doc={r.doc}")  # fmt: skip
    assert '<td class="year" data-label="年份">2022</td>' in table and "已索引的报告（1 份" in table
    assert '<a class="viewer-link" href="report?doc=000_1e730ce7ce0129e2.txt">关于鹿城区2022年法治政府建设工作情况的报告</a>' in table
    assert ">000_1e730ce7ce0129e2.txt<" not in table  # a title, not the file name
