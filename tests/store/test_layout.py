"""The index's segments on disk: what a write keeps and what it writes, and that answers do not depend on it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from format1 import write_format1

from rag.answer.answer import ask
from rag.app.cli import main
from rag.errors import IndexDamagedError, IndexMismatchError
from rag.retrieval import search
from rag.store import dense, integrity, segments
from rag.store.store import (
    _NameOnly,
    _write_merged,
    add_reports,
    check_index,
    load_index,
    remove_report,
    searchable_text,
)

pytestmark = pytest.mark.slow

QUERIES = ["法律援助案件", "镜湖区行政复议调解率", "优化营商环境", "How many legal aid cases"]
QUESTIONS = ["镜湖区2024年受理法律援助案件多少件?", "哪个区复议调解率最高?", "各地受理法律援助案件分别是多少?",
             "青山区法律援助案件多少件?"]
TIELING = ("铁岭市人民政府关于2024年法治政府建设情况的报告\n\n2024年，铁岭市坚持依法行政，现将有关情况报告如下。\n"
        "一、主要举措和成效\n（一）公共法律服务\n全年受理法律援助案件888件，人民调解化解率达96.5%。\n")


def _version(root: Path) -> Path:
    return root / (root / "CURRENT").read_text(encoding="utf-8")


def _segments(root: Path) -> list[dict]:
    return json.loads((_version(root) / "manifest.json").read_text(encoding="utf-8"))["segments"]


def _answers(root: Path) -> dict:
    """What the index answers: searches by each method, with and without a filter, and questions."""
    index = load_index(root)
    embedder = index.embedder()
    out = {}
    for q in QUERIES:
        for method in ("hybrid", "bm25", "dense"):
            for regions in (None, ["镜湖区", "青山区"]):
                hits = search(index, q, k=10, method=method, regions=regions, embedder=embedder)
                out[f"{q} {method} {regions}"] = [h.to_json() for h in hits]
    for q in QUESTIONS:
        out[q] = ask(index, q, embedder=embedder).to_json()
    return out


def _merged_copy(root: Path, dest: Path, monkeypatch) -> Path:
    """A copy of the index at `root` rewritten as one segment, rows in the same order."""
    shutil.copytree(root, dest)
    with monkeypatch.context() as m:
        m.setattr(segments, "MERGE_BELOW", 10**9)
        index = load_index(dest)
        _write_merged(dest, _NameOnly(index.model, index.manifest["dim"], index.backend), index, [], {}, lambda m: None)
    assert len(_segments(dest)) == 1
    return dest


@pytest.fixture
def unmerged(monkeypatch):
    """Segments are kept apart: each write adds one, as at a million chunks."""
    monkeypatch.setattr(segments, "MERGE_BELOW", 0)
    monkeypatch.setattr(segments, "MERGE_RATIO", 0)


def test_adding_a_report_links_the_old_segment_and_answers_as_one_segment(index_copy, small_report, unmerged,
                                                                          tmp_path, monkeypatch):
    (old,) = _segments(index_copy)
    inodes = {p.name: p.stat().st_ino for p in (_version(index_copy) / old["name"]).iterdir()}
    add_reports(index_copy, [small_report])
    first, second = _segments(index_copy)
    assert first["name"] == old["name"] and second["rows"] < first["rows"]
    kept = _version(index_copy) / old["name"]
    assert {p.name: p.stat().st_ino for p in kept.iterdir()} == inodes, "the old segment's files are linked, not written"
    assert _answers(index_copy) == _answers(_merged_copy(index_copy, tmp_path / "merged", monkeypatch))


def test_replaced_and_removed_reports_leave_no_trace_in_answers(index_copy, small_report, unmerged, tmp_path,
                                                                monkeypatch):
    monkeypatch.setattr(segments, "DEAD_SHARE", 1.0)  # keep the removed rows in their segment's files
    add_reports(index_copy, [small_report])
    small_report.write_text(small_report.read_text(encoding="utf-8").replace("321件", "654件"), encoding="utf-8")
    add_reports(index_copy, [small_report])
    remove_report(index_copy, "004_b09f2e2d8cdb3710.txt")
    base = _segments(index_copy)[0]
    assert base["dead"], "the removed report's rows stay in the base segment, listed as removed"
    index = load_index(index_copy)
    assert "004_b09f2e2d8cdb3710.txt" not in index.reports and "镜湖区" not in index.regions
    assert all(c.doc != "004_b09f2e2d8cdb3710.txt" for c in index.chunks)
    assert len(index.chunks) == len(index.vectors) == len(index.tokens) == index.faiss_index.ntotal
    assert any("654件" in c.text for c in index.chunks) and not any("321件" in c.text for c in index.chunks)
    assert _answers(index_copy) == _answers(_merged_copy(index_copy, tmp_path / "merged", monkeypatch))
    for i, chunk in enumerate(index.chunks):  # the removed region's name is no longer kept whole
        assert index.tokens[i] == index.segmenter().tokens(searchable_text(chunk))


def test_a_new_region_name_segments_again_only_the_chunks_that_contain_it(index_copy, tmp_path, unmerged):
    before = load_index(index_copy)
    (base,) = _segments(index_copy)
    vectors_inode = (_version(index_copy) / base["name"] / "vectors.npy").stat().st_ino
    report = tmp_path / "铁岭市.txt"
    report.write_text(TIELING, encoding="utf-8")
    add_reports(index_copy, [report])
    index = load_index(index_copy)
    assert "铁岭市" in index.regions
    segmenter = index.segmenter()
    changed = [i for i in range(len(before.chunks)) if before.tokens[i] != index.tokens[i]]
    assert changed and all("铁岭市" in searchable_text(index.chunks[i]) for i in changed)
    assert all(index.tokens[i] == segmenter.tokens(searchable_text(c)) for i, c in enumerate(index.chunks))
    assert (_version(index_copy) / base["name"] / "vectors.npy").stat().st_ino == vectors_inode


def test_an_index_of_format_1_answers_the_same_and_is_stored_anew_without_embedding(seeds_index, tmp_path,
                                                                                    small_report, monkeypatch):
    old = tmp_path / "old"
    write_format1(load_index(seeds_index), old)
    assert _answers(old) == _answers(seeds_index)
    from rag.embedding.embed import Embedder

    embedded = []
    original = Embedder.encode_document
    monkeypatch.setattr(Embedder, "encode_document", lambda self, texts, **kw: embedded.extend(texts) or
                        original(self, texts, **kw))
    add_reports(old, [small_report])
    manifest = json.loads((_version(old) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == 2 and len(manifest["reports"]) == 6
    assert embedded and all("青山区" in t for t in embedded), "only the new report was embedded"


def test_an_index_of_a_later_format_is_refused_with_the_rebuild_command(index_copy):
    path = _version(index_copy) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(manifest | {"format": 3}), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        load_index(index_copy)


def test_a_large_index_loads_without_checksums_and_check_index_finds_an_edit(index_copy, monkeypatch, capsys):
    (base,) = _segments(index_copy)
    vectors = _version(index_copy) / base["name"] / "vectors.npy"
    data = bytearray(vectors.read_bytes())
    data[-4:] = bytes(4)  # the same size, another last number
    vectors.write_bytes(bytes(data))
    with pytest.raises(IndexDamagedError, match="vectors.npy（内容校验和不符）"):
        load_index(index_copy)  # small: checksums are checked at load
    monkeypatch.setattr(integrity, "CHECKSUM_BELOW", 0)
    assert len(load_index(index_copy).reports) == 5  # large: sizes and counts only
    with pytest.raises(IndexDamagedError, match="vectors.npy（内容校验和不符）.*--rebuild"):
        check_index(index_copy)
    assert main(["check", "--index", str(index_copy)]) == 1
    assert "vectors.npy（内容校验和不符）" in capsys.readouterr().err


def test_rag_check_verifies_every_checksum(seeds_index, capsys):
    assert main(["check", "--index", str(seeds_index)]) == 0
    assert capsys.readouterr().out.startswith("索引完好：5 份报告")


def test_an_ivf_segment_probing_every_list_is_exact_and_filters(index_copy, small_report, monkeypatch):
    monkeypatch.setattr(dense, "IVF_ABOVE", 50)
    monkeypatch.setattr(dense, "NPROBE", 64)
    add_reports(index_copy, [small_report])
    index = load_index(index_copy)
    assert index.manifest["faiss"] == "IVF64,Flat" and index.faiss_index.parts[0][0].nprobe == 64
    embedder = index.embedder()
    for q in QUERIES:
        vector = embedder.encode_query([q]).astype(np.float32)
        exact = np.argsort(-(np.asarray(index.vectors) @ vector[0]))[:10]
        assert set(index.faiss_index.search(vector, 10).tolist()) == set(exact.tolist())
    for exact_below in (0, 10**6):  # through the IVF lists with a bitmap, and exactly over the allowed rows
        monkeypatch.setattr(dense, "EXACT_BELOW", exact_below)
        hits = search(index, "法律援助案件", method="dense", regions=["青山区"], embedder=embedder)
        assert hits and all(h.chunk.region == "青山区" for h in hits)


def test_facts_of_an_older_extraction_are_read_again_and_stored_with_the_next_write(index_copy, small_report):
    version = _version(index_copy)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    seg = manifest["segments"][0]
    seg["facts_version"], seg["facts"] = "facts-0", 0
    del manifest["files"]
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    np.save(version / seg["name"] / "facts.npy", np.zeros(0, np.load(version / seg["name"] / "facts.npy").dtype))
    assert any(f.metric == "调解率" and f.value == 50.6 for f in load_index(index_copy).facts)
    add_reports(index_copy, [small_report])
    (merged,) = _segments(index_copy)
    assert merged["facts_version"] != "facts-0" and merged["facts"] > 300


def test_reports_read_in_worker_processes_are_read_as_in_one(monkeypatch):
    from rag.documents.ingest import read_report
    from rag.language.segmentation import segmenter_for

    reports = [read_report(p) for p in sorted((Path(__file__).parents[2] / "seeds").glob("*.txt"))]
    segmenter = segmenter_for(tuple(sorted({r.region for r in reports})))
    alone = list(segments.read_reports(reports, segmenter))
    monkeypatch.setattr(segments, "PARALLEL_ABOVE", 0)
    assert list(segments.read_reports(reports, segmenter)) == alone
