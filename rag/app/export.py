"""Answers out of the chat, for memos: plain memo text, the conversation as Word, the comparison table as CSV / Excel.

Pure functions of `Answer`s, plus `write_*` helpers that put a file in a fresh folder and return its path (what
`gr.DownloadButton` serves). Quotes stay verbatim, inside quotation marks, each with its memo citation
(`Citation.memo`: 《title》section：“quote”).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.shared import Pt

from rag.answer.compose import figure as as_written  # 约600件, 2万余人次: the figure as the report writes it
from rag.types import READING, SOURCES, TABLE, Answer, Row, block_lines

# A cell beginning with one of these is a formula to Excel, LibreOffice and Sheets: a report line "=HYPERLINK(…)"
# became a live link in the .xlsx (issue 19). OWASP's CSV-injection rule: such text cells are written as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TABLE_HEADERS = ["地区", "年份", "指标", "数值", "原文"]
DATA_HEADERS = ["地区", "年份", "指标", "数值", "单位", "限定", "类型", "原文", "出处"]
KINDS = {"level": "数值", "change": "同比变化"}


def answer_lines(answer: Answer, rows: bool = True) -> list[str]:
    """The answer's text as plain lines: Markdown emphasis dropped, the table as one line per row (or left
    out: `rows=False`), no reading line and no source list (the memo citations stand for it)."""
    lines, table_done = [], False
    for kind, block in answer.blocks:
        if kind == SOURCES:
            break
        if kind == TABLE:  # once, as plain rows
            if not table_done and rows:
                lines += [row_line(r) for r in answer.rows]
                table_done = True
            continue
        if kind == READING:
            continue
        lines += [line.replace("**", "") for line in block_lines(block)]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def row_line(row: Row) -> str:
    """One comparison row as memo text: 镜湖区（2024年）调解率：50.6%[1]"""
    year = f"（{row.year}年）" if row.year else ""
    return f"- {row.region}{year}{row.metric}：{as_written(row)}[{row.citation.n}]"


def memo_text(answer: Answer) -> str:
    """The whole answer as memo text: the question, the answer, and every citation with its quote."""
    lines = [f"问：{answer.question}", "答：" + "\n".join(answer_lines(answer))]
    if answer.citations:
        lines += ["", "出处："] + [f"[{c.n}] {c.memo}" for c in answer.citations]
    return "\n".join(lines)


def table_rows(answer: Answer) -> list[list]:
    """The comparison as data: one list per row, in DATA_HEADERS order (the value a number, the unit apart)."""
    return [
        [r.region, r.year or "", r.metric, r.value, r.unit, r.qualifier, KINDS.get(r.kind, r.kind),
         r.citation.quote, r.citation.memo]
        for r in answer.rows
    ]  # fmt: skip


def write_csv(answer: Answer, folder: Path) -> Path:
    """The table as CSV (UTF-8 with a BOM, so Excel reads the Chinese)."""
    path = folder / "对比表.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(DATA_HEADERS)
        writer.writerows([[csv_cell(v) for v in row] for row in table_rows(answer)])
    return path


def csv_cell(value):
    """A CSV cell that no spreadsheet runs: text that opens like a formula gets a leading ' (OWASP)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def write_xlsx(answer: Answer, folder: Path) -> Path:
    # lazy: openpyxl takes ~0.2 s to import, and only the Excel download needs it
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "对比表"
    sheet.append(DATA_HEADERS)
    for row in table_rows(answer):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"  # openpyxl took "=HYPERLINK(…)" for a formula; it is a quote
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGHI", (12, 8, 22, 10, 8, 6, 10, 60, 60), strict=True):
        sheet.column_dimensions[column].width = width
    for cells in sheet.iter_rows(min_row=2, min_col=8, max_col=9):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    path = folder / "对比表.xlsx"
    book.save(path)
    return path


def write_docx(answers: list[Answer], folder: Path) -> Path:
    """The conversation so far as a Word document: each question, its answer, its table and its citations."""
    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading("报告问答：对话记录", level=1)
    doc.add_paragraph(f"导出时间：{datetime.now():%Y-%m-%d %H:%M}。引文均逐字摘自原报告。")
    for n, answer in enumerate(answers, start=1):
        doc.add_heading(f"问题 {n}：{answer.question}", level=2)
        for line in answer_lines(answer, rows=False):  # the table below gives the rows
            if line.strip():
                doc.add_paragraph(line[2:] if line.startswith("- ") else line,
                                  style="List Bullet" if line.startswith("- ") else None)  # fmt: skip
        if answer.rows:
            _docx_table(doc, answer)
        if answer.citations:
            doc.add_paragraph("出处：").runs[0].bold = True
            for c in answer.citations:
                doc.add_paragraph(f"[{c.n}] {c.memo}")
    path = folder / "报告问答-对话.docx"
    doc.save(path)
    return path


def _docx_table(doc, answer: Answer) -> None:
    table = doc.add_table(rows=1, cols=len(TABLE_HEADERS))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, TABLE_HEADERS, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for r in answer.rows:
        cells = table.add_row().cells
        values = [r.region, f"{r.year}" if r.year else "", r.metric, as_written(r), f"“{r.citation.quote}”[{r.citation.n}]"]
        for cell, text in zip(cells, values, strict=True):
            cell.text = text


def new_folder(previous: str | None = None) -> Path:
    """A fresh folder for one answer's exports; the previous one (already served) is removed."""
    if previous:
        shutil.rmtree(previous, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="rag-export-"))


def export_files(answers: list[Answer], previous: str | None = None) -> dict[str, Path | None]:
    """The downloads after the latest answer, in a fresh folder (the previous one removed): the conversation
    as .docx, and the latest answer's table as .csv and .xlsx (None without a table)."""
    folder = new_folder(previous)
    latest = answers[-1] if answers else None
    with_table = latest is not None and bool(latest.rows)
    return {
        "folder": folder,
        "docx": write_docx(answers, folder) if answers else None,
        "csv": write_csv(latest, folder) if with_table else None,
        "xlsx": write_xlsx(latest, folder) if with_table else None,
    }
