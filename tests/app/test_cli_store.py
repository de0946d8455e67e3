"""`--store` on the `rag` command: a folder or a Milvus location, read from the option or $RAG_STORE, and
`rag export` / `rag import` moving an index between them without re-embedding."""

from __future__ import annotations

import json
from argparse import Namespace
from pathlib import Path

import pytest

from rag.app.cli import main
from rag.app.commands import files_folder, store_location
from rag.errors import ArgumentError
from rag.store.milvus.location import parse_location


def rag(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("text, uri, name, lite", [
    ("milvus:./index.db", str(Path("index.db").resolve()), "rag", True),
    ("milvus://10.0.0.5:19530", "http://10.0.0.5:19530", "rag", False),
    ("milvus://milvus.local/county_2024", "http://milvus.local:19530", "county_2024", False),
], ids=["lite-file", "server", "server-named"])
def test_milvus_locations_are_read(text, uri, name, lite):
    at = parse_location(text)
    assert (at.uri, at.name, at.lite) == (uri, name, lite)


@pytest.mark.parametrize("text", ["milvus:./index", "milvus://", "milvus://host:19530/bad-name"])
def test_a_bad_milvus_location_says_the_valid_forms(text):
    with pytest.raises(ArgumentError, match="milvus:./index.db"):
        parse_location(text)


def test_the_store_is_the_option_then_rag_store_then_the_index_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("RAG_STORE", raising=False)
    monkeypatch.delenv("RAG_INDEX", raising=False)
    assert store_location(Namespace(store=None, index=None)) == "index"
    assert store_location(Namespace(store=None, index="ix")) == "ix"
    monkeypatch.setenv("RAG_STORE", "milvus:./x.db")
    assert store_location(Namespace(store=None, index="ix")) == "milvus:./x.db"
    assert store_location(Namespace(store="milvus://h:1", index=None)) == "milvus://h:1"
    # a Milvus store keeps its copies, audit log and reports.csv in --index, else beside its file
    assert files_folder(Namespace(store=None, index="ix")) == Path("ix")
    assert files_folder(Namespace(store=None, index=None)) == Path("x.files").resolve()


@pytest.mark.slow
def test_export_and_import_move_an_index_between_a_folder_and_milvus(seeds_index, tmp_path, capsys):
    db = f"milvus:{tmp_path / 'index.db'}"
    code, out, _ = rag(capsys, "export", db, "--index", seeds_index)
    assert code == 0 and "已导出 5 份报告" in out
    code, out, _ = rag(capsys, "ask", "镜湖区2024年受理法律援助案件多少件?", "--json", "--store", db)
    assert code == 0 and "644件" in json.loads(out)["answer"]
    code, out, _ = rag(capsys, "import", db, "--index", tmp_path / "back")
    assert code == 0 and "导入 5 份报告" in out
    _, here, _ = rag(capsys, "docs", "--json", "--index", tmp_path / "back")
    _, there, _ = rag(capsys, "docs", "--json", "--index", seeds_index)
    assert json.loads(here) == json.loads(there)
    code, out, _ = rag(capsys, "check", "--store", db)
    assert code == 0 and "索引完好：5 份报告，135 个段落" in out


def test_an_unreachable_server_is_one_line_with_the_fix(tmp_path, capsys):
    pytest.importorskip("pymilvus")
    code, _, err = rag(capsys, "docs", "--store", "milvus://127.0.0.1:9", "--index", tmp_path)
    assert code == 1 and err.count("\n") == 1 and "无法连接 Milvus 服务" in err and "--store-token" in err
