"""The `rag` command, run in-process with `main([...])` as a user types it, plus once as the installed script."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.app.cli import main
from rag.store.store import load_index

pytestmark = pytest.mark.slow

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
HIT_FIELDS = ["rank", "score", "doc", "title", "region", "year", "section", "text", "start", "end"]
SEED_DOCS = {
    "000_1e730ce7ce0129e2.txt": ("鹿城区", 2022),
    "001_7534e712c36dcd42.txt": ("红谷滩区", 2023),
    "002_224163a7fd249734.txt": ("调兵山市", 2022),
    "003_1c343106c8f49d40.txt": ("高区", 2021),
    "004_b09f2e2d8cdb3710.txt": ("镜湖区", 2024),
}


def rag(capsys, *argv) -> tuple[int, str, str]:
    """Run `rag ARGV…`; (exit status, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_docs_lists_region_and_year_of_every_seed(seeds_index, capsys):
    code, out, _ = rag(capsys, "docs", "--json", "--index", seeds_index)
    assert code == 0
    rows = json.loads(out)
    assert {r["doc"]: (r["region"], r["year"]) for r in rows} == SEED_DOCS
    assert all(r["chunks"] > 0 and r["title"] for r in rows)


def test_search_json_prints_hits_with_the_contract_fields(seeds_index, capsys):
    code, out, _ = rag(capsys, "search", "镜湖区法律援助案件", "--json", "-k", 4, "--index", seeds_index)
    assert code == 0
    hits = json.loads(out)
    assert [h["rank"] for h in hits] == [1, 2, 3, 4]
    assert all(list(h) == HIT_FIELDS and h["region"] == "镜湖区" for h in hits)
    text = load_index(seeds_index).reports[hits[0]["doc"]].text
    assert text[hits[0]["start"] : hits[0]["end"]] == hits[0]["text"]


def test_search_text_output_names_region_section_and_offsets(seeds_index, capsys):
    code, out, _ = rag(capsys, "search", "直播庭审", "-k", 1, "--region", "调兵山市", "--index", seeds_index)
    assert code == 0
    assert out.startswith("[1] 调兵山市 2022 《调兵山市2022年法治政府建设情况报告》")
    assert "002_224163a7fd249734.txt" in out and "直播庭审863场" in out


def test_search_batch_reads_one_query_a_line_and_prints_one_object_a_line(seeds_index, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("红谷滩区人民调解委员会\n\n调兵山市裁判文书上网率\n"))
    code, out, err = rag(capsys, "search", "-", "--json", "-k", 3, "--index", seeds_index)
    lines = out.splitlines()
    assert len(lines) == 3, "one output line for every input line, the blank one included"
    first, blank, second = map(json.loads, lines)
    assert first["query"] == "红谷滩区人民调解委员会" and second["query"] == "调兵山市裁判文书上网率"
    assert {h["region"] for h in first["hits"]} == {"红谷滩区"} and {h["region"] for h in second["hits"]} == {"调兵山市"}
    assert all(len(x["hits"]) == 3 for x in (first, second))
    assert blank == {"line": 2, "query": "", "error": "空行：没有要检索的内容"}
    assert code == 1 and err == "错误: 第 2 行：空行：没有要检索的内容\n", "a line with an error makes the exit status 1"


def test_search_region_and_year_options_filter(seeds_index, capsys):
    _, out, _ = rag(
        capsys,
        "search",
        "法律援助",
        "--json",
        "--region",
        "高区",
        "--region",
        "镜湖区",
        "-k",
        20,
        "--index",
        seeds_index,
    )
    assert {h["region"] for h in json.loads(out)} == {"高区", "镜湖区"}
    _, out, _ = rag(capsys, "search", "法律援助", "--json", "--year", 2022, "-k", 20, "--index", seeds_index)
    assert {h["year"] for h in json.loads(out)} == {2022}


def test_search_method_option(seeds_index, capsys):
    code, out, _ = rag(
        capsys, "search", "直播庭审863场", "--json", "--method", "bm25", "-k", 1, "--index", seeds_index
    )
    assert code == 0 and "直播庭审863场" in json.loads(out)[0]["text"]


def test_ask_json_prints_the_answer_with_citations_and_rows(seeds_index, capsys):
    code, out, _ = rag(capsys, "ask", "哪个区复议调解率最高", "--json", "--index", seeds_index)
    assert code == 0
    data = json.loads(out)
    assert data["question"] == "哪个区复议调解率最高" and data["mode"] == "compare"
    assert "镜湖区" in data["answer"] and "50.6%" in data["answer"]
    assert data["rows"][0]["region"] == "镜湖区" and data["rows"][0]["value"] == 50.6
    assert data["citations"][0]["memo"].startswith("《镜湖区人民政府关于2024年法治政府建设情况的报告》")


def test_ask_text_output_ends_with_memo_citations(seeds_index, capsys):
    code, out, _ = rag(capsys, "ask", "调兵山市直播庭审多少场?", "--index", seeds_index)
    assert code == 0
    assert out.startswith("**863场**")
    assert "[1] 《调兵山市2022年法治政府建设情况报告》" in out and "(002_224163a7fd249734.txt " in out


def test_ask_batch_prints_one_json_object_a_line(seeds_index, capsys, monkeypatch):
    monkeypatch.setattr(
        sys, "stdin", io.StringIO("高区有多少名人民调解员?\n朝阳区2023年行政复议案件多少件?\n")
    )
    code, out, _ = rag(capsys, "ask", "-", "--json", "--index", seeds_index)
    assert code == 0
    lookup, missing = map(json.loads, out.splitlines())
    assert lookup["mode"] == "lookup" and "381名" in lookup["answer"] and "rows" not in lookup
    assert missing["mode"] == "not_found" and missing["citations"] == []


def test_ask_region_option_restricts_the_answer(seeds_index, capsys):
    _, out, _ = rag(
        capsys, "ask", "人民调解员有多少名?", "--region", "红谷滩区", "--json", "--index", seeds_index
    )
    data = json.loads(out)
    assert "934人" in data["answer"] and {c["region"] for c in data["citations"]} == {"红谷滩区"}


def test_show_json_gives_the_text_offsets_point_into(seeds_index, capsys):
    doc = "004_b09f2e2d8cdb3710.txt"
    code, out, _ = rag(capsys, "show", doc, "--json", "--index", seeds_index)
    assert code == 0
    data = json.loads(out)
    assert (data["doc"], data["region"], data["year"]) == (doc, "镜湖区", 2024)
    assert data["text"] == load_index(seeds_index).reports[doc].text
    assert "调解率达50.6%" in data["text"] and data["body"]


def test_show_unknown_doc_fails_with_a_hint(seeds_index, capsys):
    code, out, err = rag(capsys, "show", "nope.txt", "--index", seeds_index)
    assert code == 1 and out == ""
    assert err.startswith("错误:") and "nope.txt" in err and "rag docs" in err


def test_remove_drops_a_report_from_the_index(index_copy, capsys):
    doc = "000_1e730ce7ce0129e2.txt"
    code, out, _ = rag(capsys, "remove", doc, "--index", index_copy)
    assert code == 0 and doc in out
    _, out, _ = rag(capsys, "docs", "--json", "--index", index_copy)
    assert {r["region"] for r in json.loads(out)} == {"红谷滩区", "调兵山市", "高区", "镜湖区"}
    code, _, err = rag(capsys, "remove", doc, "--index", index_copy)
    assert code == 1 and doc in err


def test_index_reports_a_bad_file_and_indexes_the_rest(tmp_path, small_report, capsys):
    (small_report.parent / "empty.txt").write_bytes(b"")
    code, out, err = rag(capsys, "index", small_report.parent, "--index", tmp_path / "ix")
    assert code == 1
    assert "empty.txt" in err
    assert f"新增 1: {small_report.name}" in out
    _, out, _ = rag(capsys, "docs", "--json", "--index", tmp_path / "ix")
    assert [(r["region"], r["year"]) for r in json.loads(out)] == [("青山区", 2024)]
    code, out, _ = rag(capsys, "index", small_report, "--json", "--index", tmp_path / "ix")
    assert code == 0 and json.loads(out)["unchanged"] == [small_report.name]


@pytest.mark.parametrize("command", [["search", "法律援助"], ["ask", "法律援助案件多少件?"], ["docs"]])
def test_a_missing_index_is_one_line_and_exit_status_1(tmp_path, capsys, command):
    code, out, err = rag(capsys, *command, "--index", tmp_path / "nothing")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("错误:") and "rag index" in err


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, _ = rag(capsys)
    assert code == 2 and "search" in out and "ask" in out


def test_eval_scores_a_questions_file(seeds_index, tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps(
            {
                "id": "c1",
                "question": "调兵山市直播庭审多少场?",
                "type": "lookup",
                "must_contain": ["863"],
                "evidence": [{"doc": "002_224163a7fd249734.txt", "quote": "直播庭审863场"}],
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    code, out, _ = rag(capsys, "eval", questions, "--json", "--index", seeds_index)
    assert code == 0
    overall = json.loads(out)["overall"]
    assert (overall["questions"], overall["answer_accuracy"], overall["citation_validity"]) == (1, 1, 1.0)


def test_the_installed_rag_script_reads_the_index_from_rag_index(seeds_index):
    script = shutil.which("rag", path=str(Path(sys.executable).parent)) or shutil.which("rag")
    assert script, "the `rag` console script is installed with the package"
    env = {**os.environ, "RAG_INDEX": str(seeds_index)}
    done = subprocess.run([script, "docs"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    # doc, region (level, parent), year, years reviewed, kind, title, where each was read
    assert {r[0]: (r[1].split("（")[0], int(r[2].removesuffix("年"))) for r in rows} == SEED_DOCS
    assert rows[0][1:5] == ["鹿城区（区县，温州市）", "2022年", "回顾2022年", "法治政府建设情况报告"]
    assert rows[0][6].startswith("依据：地区←标题")


def test_parse_shows_how_a_follow_up_is_read(seeds_index, capsys):
    code, out, _ = rag(capsys, "parse", "那红谷滩区呢?", "--history", "哪个区复议调解率最高?", "--json", "--index", seeds_index)
    query = json.loads(out)
    assert code == 0 and query["regions"] == ["红谷滩区"] and query["field"] == "行政复议" and query["followup"]
    assert "调解率" in query["metric_forms"] and query["reading"].startswith("按“")


def test_ask_reads_json_lines_with_history_from_stdin(seeds_index, capsys, monkeypatch):
    lines = [
        json.dumps({"question": "那镜湖区呢?", "history": ["鹿城区行政复议新收案件多少件?"]}, ensure_ascii=False),
        "镜湖区2024年受理法律援助案件多少件?",
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    code, out, _ = rag(capsys, "ask", "-", "--json", "--index", seeds_index)
    first, second = (json.loads(line) for line in out.splitlines())
    assert code == 0
    assert first["query"]["regions"] == ["镜湖区"] and "120" in first["answer"] and first["query"]["followup"]
    assert "644" in second["answer"] and not second["query"]["followup"]


def test_a_bad_json_line_is_one_clear_error(seeds_index, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"question": 3}\n'))
    code, out, err = rag(capsys, "ask", "-", "--json", "--index", seeds_index)
    assert code == 1 and err.startswith("错误: 第 1 行：") and "question" in err
    assert json.loads(out)["input"] == '{"question": 3}' and "question" in json.loads(out)["error"]


def test_chat_answers_a_follow_up_in_the_terminal(seeds_index, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("哪个区复议调解率最高?\n那鹿城区呢?\n"))
    code, out, _ = rag(capsys, "chat", "--index", seeds_index)
    assert code == 0 and "镜湖区最高" in out
    second = out.split("镜湖区最高", 1)[1]
    assert "鹿城区" in second and "地区：鹿城区" in second


def test_a_users_thesaurus_file_adds_their_words(seeds_index, capsys, tmp_path, monkeypatch):
    from rag.language.thesaurus import load_thesaurus

    mine = tmp_path / "我的词表.tsv"
    mine.write_text("metric\t法律援助案件\t援助官司\t件\n", encoding="utf-8")
    monkeypatch.setenv("RAG_THESAURUS", "")  # recorded, so the files `--thesaurus` adds are undone after the test
    try:
        code, out, _ = rag(capsys, "ask", "镜湖区2024年援助官司多少件?", "--thesaurus", mine, "--index", seeds_index)
        assert code == 0 and "644件" in out
        bad = tmp_path / "bad.tsv"
        bad.write_text("synonym 援助官司\n", encoding="utf-8")
        code, _, err = rag(capsys, "parse", "援助官司多少件", "--thesaurus", bad, "--index", seeds_index)
        assert code == 1 and "bad.tsv:1" in err and "类别" in err
    finally:
        monkeypatch.setenv("RAG_THESAURUS", "")
        load_thesaurus.cache_clear()


def test_a_reports_csv_says_what_a_report_is_and_rag_fix_keeps_it_through_re_indexing(tmp_path, capsys):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "P0201.txt").write_text("各位代表：\n现在，我代表人民政府向大会报告工作。\n全年地区生产总值增长6%。\n", encoding="utf-8")
    (folder / "reports.csv").write_text("file,region,year,kind\nP0201.txt,深圳市光明区,2024,政府工作报告\n", encoding="utf-8")
    index = tmp_path / "index"
    assert rag(capsys, "index", folder, "--index", index)[0] == 0
    row = json.loads(rag(capsys, "docs", "--json", "--index", index)[1])[0]
    assert (row["region"], row["level"], row["year"], row["reviews"], row["sources"]["region"]) == (
        "光明区", "county", 2024, [2023], "reports.csv")
    code, out, _ = rag(capsys, "fix", "P0201.txt", "--year", "2023", "--index", index)
    assert code == 0 and "已更正" in out
    assert rag(capsys, "index", folder, "--index", index, "--rebuild")[0] == 0  # the folder's csv still says 2024 …
    row = json.loads(rag(capsys, "docs", "--json", "--index", index)[1])[0]
    assert (row["region"], row["year"]) == ("光明区", 2024)  # … and, read again, it is the later word
    code, _, err = rag(capsys, "fix", "P0201.txt", "--year", "2099", "--index", index)
    assert code == 2 and "年份 2099 无效" in err
    (folder / "bad.csv").write_text("file,region,year,kind\nP0201.txt,,二〇二四,\n", encoding="utf-8")
    code, _, err = rag(capsys, "index", folder, "--index", index, "--metadata", folder / "bad.csv")
    assert code == 1 and "bad.csv 第 2 行" in err
