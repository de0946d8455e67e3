"""The index on disk: build, reload, incremental add/remove, atomic writes, model checks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexMismatchError, IndexNotFoundError, IndexWriteError, UnknownDocError
from rag.store.store import add_reports, check_model, load_index, remove_report, searchable_text

pytestmark = pytest.mark.slow


def test_seed_index_has_reports_chunks_vectors_and_facts(seeds_index):
    index = load_index(seeds_index)
    assert len(index.reports) == 5
    assert len(index.chunks) == len(index.vectors) == len(index.tokens) == index.faiss_index.ntotal
    assert index.vectors.shape[1] == index.manifest["dim"] == 384
    assert np.allclose(np.linalg.norm(index.vectors, axis=1), 1.0, atol=1e-3)
    assert index.facts, "facts are extracted at index time"
    for chunk in index.chunks:
        assert index.reports[chunk.doc].text[chunk.start : chunk.end] == chunk.text
    manifest = json.loads((seeds_index / (seeds_index / "CURRENT").read_text() / "manifest.json").read_text())
    assert manifest["model"] == "multilingual-e5-small"
    assert all(len(r["sha256"]) == 64 for r in manifest["reports"].values())


def test_title_region_and_section_are_part_of_what_is_searched(seeds_index):
    index = load_index(seeds_index)
    chunk = next(c for c in index.chunks if c.section)
    text = searchable_text(chunk)
    assert chunk.title in text and chunk.region in text and chunk.section[-1] in text and chunk.text in text


def test_unchanged_reports_are_skipped_and_new_ones_added(index_copy, small_report):
    before = load_index(index_copy)
    result = add_reports(index_copy, [small_report.parent, Path(__file__).parents[2] / "seeds"])
    assert result.added == [small_report.name]
    assert sorted(result.unchanged) == sorted(before.reports)
    after = load_index(index_copy)
    assert len(after.reports) == 6
    old_rows = [i for i, c in enumerate(after.chunks) if c.doc != small_report.name]
    # the old reports' vectors were reused, not recomputed
    assert np.array_equal(after.vectors[old_rows], before.vectors)


def test_changed_report_is_reindexed(index_copy, small_report):
    add_reports(index_copy, [small_report])
    small_report.write_text(small_report.read_text(encoding="utf-8").replace("321件", "654件"), encoding="utf-8")
    result = add_reports(index_copy, [small_report])
    assert result.updated == [small_report.name]
    texts = [c.text for c in load_index(index_copy).chunks if c.doc == small_report.name]
    assert any("654件" in t for t in texts) and not any("321件" in t for t in texts)


def test_duplicate_under_another_name_is_refused(index_copy, tmp_path):
    copy = tmp_path / "copy of 镜湖区.txt"
    copy.write_bytes((Path(__file__).parents[2] / "seeds" / "004_b09f2e2d8cdb3710.txt").read_bytes())
    result = add_reports(index_copy, [copy])
    assert result.failed and "004_b09f2e2d8cdb3710.txt" in result.failed[0][1]
    assert len(load_index(index_copy).reports) == 5


def test_bad_files_are_reported_and_the_rest_indexed(index_copy, tmp_path, small_report):
    folder = small_report.parent
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 truncated")
    result = add_reports(index_copy, [folder])
    failed = {Path(p).name: reason for p, reason in result.failed}
    assert set(failed) == {"empty.txt", "binary.txt", "broken.docx"}
    assert all(reason for reason in failed.values())
    assert result.added == [small_report.name]


def test_remove_drops_a_report(index_copy):
    remove_report(index_copy, "000_1e730ce7ce0129e2.txt")
    index = load_index(index_copy)
    assert "000_1e730ce7ce0129e2.txt" not in index.reports
    assert all(c.doc != "000_1e730ce7ce0129e2.txt" for c in index.chunks)
    assert all(f.doc != "000_1e730ce7ce0129e2.txt" for f in index.facts)
    assert len(index.chunks) == index.faiss_index.ntotal == len(index.vectors)
    with pytest.raises(UnknownDocError):
        remove_report(index_copy, "no-such-report.txt")


def test_a_crash_mid_write_leaves_the_previous_index_serving(index_copy, small_report, monkeypatch):
    import faiss

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(IndexWriteError, match="无法写入索引文件夹.*disk full"):  # one line, not a traceback
        add_reports(index_copy, [small_report])
    index = load_index(index_copy)
    assert len(index.reports) == 5
    assert not [p for p in os.listdir(index_copy) if p.startswith(".tmp")], "temporary folder cleaned up"


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="rag index"):
        load_index(tmp_path / "nothing")


def test_querying_with_another_model_is_refused(seeds_index):
    index = load_index(seeds_index)
    check_model(index, "multilingual-e5-small")
    with pytest.raises(IndexMismatchError, match="multilingual-e5-small"):
        check_model(index, "all-MiniLM-L6-v2")


def test_adding_with_another_model_needs_rebuild(index_copy, small_report):
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        add_reports(index_copy, [small_report], model="all-MiniLM-L6-v2")


def test_rebuild_with_another_model_switches_the_index(tmp_path, small_report):
    add_reports(tmp_path / "idx", [small_report], model="all-MiniLM-L6-v2")
    index = load_index(tmp_path / "idx")
    assert index.model == "all-MiniLM-L6-v2"
    add_reports(tmp_path / "idx", [small_report], rebuild=True)
    assert load_index(tmp_path / "idx").model == "multilingual-e5-small"


def test_a_report_with_no_body_is_indexed_with_a_warning(index_copy, tmp_path):
    page = tmp_path / "深圳市坪山区_2021_政府工作报告.txt"
    menu = "深圳市坪山区人民政府 无障碍 长者助手 政府信息公开规章库 高级搜索 搜索位置 标题 全文 排序方式 按时间 按相关度"
    page.write_text("\n".join(menu.split()) + "\n", encoding="utf-8")  # a saved page of site menus only
    result = add_reports(index_copy, [page])
    assert result.added == [page.name] and result.warnings and result.warnings[0][0] == page.name


def test_chunks_and_facts_read_as_lists_of_chunk_and_fact(seeds_index):
    index = load_index(seeds_index)
    chunks, facts = list(index.chunks), list(index.facts)
    assert chunks == [index.chunks[i] for i in range(len(chunks))] and chunks[-1] == index.chunks[-1]
    assert facts[:3] == index.facts[:3] and facts[-1] == index.facts[len(facts) - 1]
    assert all(f.sentence == index.reports[f.doc].text[f.start : f.end] for f in facts)
    doc = chunks[40].doc
    rows = [i for i, c in enumerate(chunks) if c.doc == doc]
    assert index.chunks.rows_of(doc).tolist() == rows and index.chunks.count(doc) == len(rows)
    fact = next(f for f in facts if f.doc == doc)
    assert chunks[index.chunks.row_at(doc, fact.start)].start <= fact.start < chunks[index.chunks.row_at(doc, fact.start)].end
    assert index.chunks.rows_by_start[(doc, chunks[rows[1]].start)] == rows[1]
    mask = index.chunks.allowed({"镜湖区", "鹿城区"}, {2024})
    assert mask.tolist() == [c.region in {"镜湖区", "鹿城区"} and c.year == 2024 for c in chunks]
    target = index.facts.rows({"镜湖区"}, target=True)
    assert target.tolist() == [i for i, f in enumerate(facts) if f.region == "镜湖区" and f.target]
    samples, which = index.facts.distinct(target)
    assert [(samples[w].metric, samples[w].unit) for w in which] == [(facts[i].metric, facts[i].unit) for i in target]
