"""Exports for memos: the answer as memo text, the conversation as .docx, the table as .csv and .xlsx."""

from __future__ import annotations

import csv

from rag.app.export import (
    DATA_HEADERS,
    export_files,
    memo_text,
    table_rows,
    write_csv,
    write_docx,
    write_xlsx,
)
from rag.types import Answer, Citation, Row

QUOTES = ["2024年全区新收行政复议案件120件,办结87件,调解结案44件,调解率达50.6%。", "全年行政复议调解率达33.3%。"]


def comparison() -> Answer:
    cites = [
        Citation(1, "镜湖区.txt", "镜湖区2024年报告", "镜湖区", 2024, ("一、全区法治政府建设情况", "(五)向“广”延伸"),
                 QUOTES[0], 10, 10 + len(QUOTES[0])),
        Citation(2, "青山区.txt", "青山区2024年报告", "青山区", 2024, ("、2024年度主要工作安排",), QUOTES[1], 0, len(QUOTES[1])),
    ]  # fmt: skip
    rows = (Row("镜湖区", 2024, 50.6, "%", "", "level", "调解率", cites[0]),
            Row("青山区", 2024, 33.3, "%", "", "level", "调解率", cites[1]))  # fmt: skip
    text = "\n".join([
        "**镜湖区最高**：行政复议调解率50.6%（2024年）[1]", "",
        "| 地区 | 年份 | 指标 | 数值 | 原文 |", "|---|---|---|---|---|",
        f"| 镜湖区 | 2024 | 调解率 | 50.6% | “{QUOTES[0]}”[1] |", f"| 青山区 | 2024 | 调解率 | 33.3% | “{QUOTES[1]}”[2] |",
        "", "*按“指标：调解率；范围：各区县；问法：最高”理解*", "", "来源：", "[1] 《镜湖区2024年报告》…", "[2] 《青山区2024年报告》…",
    ])  # fmt: skip
    return Answer("哪个区复议调解率最高？", text, "compare", tuple(cites), rows)


def lookup() -> Answer:
    quote = "2024年受理法律援助案件644件。"
    c = Citation(1, "镜湖区.txt", "镜湖区2024年报告", "镜湖区", 2024, ("一、全区法治政府建设情况",), quote, 0, len(quote))
    return Answer("镜湖区受理法律援助案件多少件？", f"**644件**\n\n“{quote}”[1]\n\n来源：\n[1] …", "lookup", (c,))


def test_memo_text_is_the_question_the_answer_and_every_citation_with_its_quote():
    memo = memo_text(comparison())
    assert memo.startswith("问：哪个区复议调解率最高？\n答：镜湖区最高：行政复议调解率50.6%（2024年）[1]")
    assert "- 镜湖区（2024年）调解率：50.6%[1]" in memo and "|" not in memo and "**" not in memo
    assert "按“" not in memo and "来源：" not in memo
    assert f"[1] 《镜湖区2024年报告》一、(五)：“{QUOTES[0]}”" in memo
    assert f"[2] 《青山区2024年报告》2024年度主要工作安排：“{QUOTES[1]}”" in memo, "no stray 、 in the memo"


def test_the_table_downloads_as_csv_and_xlsx_with_the_answers_rows(tmp_path):
    from openpyxl import load_workbook

    answer = comparison()
    with write_csv(answer, tmp_path).open(encoding="utf-8-sig", newline="") as f:
        got = list(csv.reader(f))
    assert got[0] == DATA_HEADERS
    assert [(r[0], int(r[1]), float(r[3]), r[4], r[7]) for r in got[1:]] == [
        (r.region, r.year, r.value, r.unit, r.citation.quote) for r in answer.rows]
    sheet = load_workbook(write_xlsx(answer, tmp_path)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == DATA_HEADERS
    assert [["" if v is None else v for v in row] for row in values[1:]] == table_rows(answer)  # an empty cell reads None


def test_the_conversation_exports_to_word_with_questions_answers_tables_and_quotes(tmp_path):
    from docx import Document

    doc = Document(write_docx([lookup(), comparison()], tmp_path))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "问题 1：镜湖区受理法律援助案件多少件？" in text and "问题 2：哪个区复议调解率最高？" in text
    assert "644件" in text and "镜湖区最高：行政复议调解率50.6%（2024年）[1]" in text
    assert f"《镜湖区2024年报告》一、(五)：“{QUOTES[0]}”" in text
    (table,) = doc.tables
    cells = [[c.text for c in r.cells] for r in table.rows]
    assert cells[0] == ["地区", "年份", "指标", "数值", "原文"]
    assert cells[1] == ["镜湖区", "2024", "调解率", "50.6%", f"“{QUOTES[0]}”[1]"]


def test_each_answer_gets_a_fresh_folder_and_the_previous_one_goes(tmp_path):
    first = export_files([lookup()])
    assert first["docx"].exists() and first["csv"] is None and first["xlsx"] is None
    second = export_files([lookup(), comparison()], str(first["folder"]))
    assert not first["folder"].exists() and second["csv"].exists() and second["xlsx"].exists()
