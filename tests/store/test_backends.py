"""The store interface on both backends: a folder (`local`) and Milvus Lite (`milvus-lite`), the same tests.

Each test gets its own copy of the seeds index in the backend it runs on (a Milvus copy is made with
`copy_index`, without re-embedding), and whatever it does, the Index loaded from Milvus must read as the one
loaded from a folder: the same chunks in the same order, facts, tokens, vectors, BM25 scores and answers.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from rag.answer.answer import ask
from rag.errors import IndexMismatchError, IndexNotFoundError, UnknownDocError
from rag.store.backend import Store, open_store
from rag.store.live import LiveIndex
from rag.store.store import add_reports, check_model, copy_index, remove_report

pytest.importorskip("pymilvus")
pytestmark = pytest.mark.slow

BACKENDS = ["local", "milvus-lite"]
LUCHENG = "000_1e730ce7ce0129e2.txt"  # 鹿城区


def _store(kind: str, tmp_path: Path) -> Store:
    return open_store(tmp_path / "index" if kind == "local" else f"milvus:{tmp_path / 'index.db'}")


@pytest.fixture(params=BACKENDS)
def store(request, seeds_index, tmp_path) -> Store:
    """A private copy of the seeds index in the backend the test runs on."""
    if request.param == "local":
        shutil.copytree(seeds_index, tmp_path / "index")
        return open_store(tmp_path / "index")
    dest = _store(request.param, tmp_path)
    copy_index(seeds_index, dest)
    return dest


@pytest.fixture(params=BACKENDS)
def empty(request, tmp_path) -> Store:
    return _store(request.param, tmp_path)


def same_index(a, b) -> None:
    """`b` reads as `a`: reports, chunks, facts, tokens, vectors, metric vectors and BM25, row by row."""
    assert list(a.reports) == list(b.reports) and list(a.chunks) == list(b.chunks)
    assert list(a.facts) == list(b.facts)
    assert [a.tokens[i] for i in range(len(a.chunks))] == [b.tokens[i] for i in range(len(b.chunks))]
    assert np.array_equal(np.asarray(a.vectors), np.asarray(b.vectors))
    assert a.metric_vectors.rows == b.metric_vectors.rows
    assert np.array_equal(a.metric_vectors.matrix, b.metric_vectors.matrix)
    tokens = a.segmenter().tokens("青山区法律援助案件 行政复议调解率")
    assert np.array_equal(a.bm25.get_scores(tokens), b.bm25.get_scores(tokens))


def test_a_copy_reads_as_the_index_it_was_copied_from(store, seeds_index):
    same_index(open_store(seeds_index).load(), store.load())


def test_answers_are_the_same_on_both_backends(store, seeds_index):
    local, here = open_store(seeds_index).load(), store.load()
    for question in ("镜湖区2024年受理法律援助案件多少件?", "哪个区复议调解率最高", "各区行政复议新收案件分别多少件?"):
        assert ask(here, question).to_json() == ask(local, question).to_json()


def test_adding_replacing_and_removing_keeps_the_backends_alike(store, seeds_index, small_report, tmp_path):
    local = open_store(tmp_path / "reference")
    shutil.copytree(seeds_index, local.path)
    for s in (local, store):
        assert add_reports(s, [small_report]).added == [small_report.name]  # 青山区: a new region
    same_index(local.load(), store.load())
    small_report.write_text(small_report.read_text(encoding="utf-8").replace("321件", "654件"), encoding="utf-8")
    for s in (local, store):
        assert add_reports(s, [small_report]).updated == [small_report.name]
    same_index(local.load(), store.load())
    assert "654件" in ask(store.load(), "青山区受理法律援助案件多少件?").answer
    for s in (local, store):
        remove_report(s, LUCHENG)
    index = store.load()
    same_index(local.load(), index)
    assert LUCHENG not in index.reports and all(f.doc != LUCHENG for f in index.facts)
    with pytest.raises(UnknownDocError):
        remove_report(store, "no-such-report.txt")


def test_a_missing_index_says_how_to_build_one(empty):
    with pytest.raises(IndexNotFoundError, match="rag index"):
        empty.load()
    assert empty.version() is None


def test_another_model_is_refused_with_the_fix(store, small_report):
    check_model(store.load(), "multilingual-e5-small")
    with pytest.raises(IndexMismatchError, match="multilingual-e5-small.*--rebuild"):
        check_model(store.load(), "all-MiniLM-L6-v2")
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        add_reports(store, [small_report], model="all-MiniLM-L6-v2")


def test_two_writers_at_once_lose_no_report(store, tmp_path):
    files = []
    for region, cases in (("青山区", 321), ("绿水县", 654)):
        path = tmp_path / region / f"{region}报告.txt"
        path.parent.mkdir()
        path.write_text(f"{region}人民政府关于2024年法治政府建设情况的报告\n\n一、主要举措\n全年受理法律援助案件{cases}件。\n",
                        encoding="utf-8")
        files.append(path)
    writers = [threading.Thread(target=add_reports, args=(store, [f])) for f in files]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=300)
    regions = {r.region for r in store.load().reports.values()}
    assert {"青山区", "绿水县"} <= regions and len(regions) == 7


def test_a_rebuild_reads_the_kept_copies(empty, small_report):
    add_reports(empty, [small_report])
    before = empty.load()
    small_report.unlink()  # the index's own copy is what a rebuild reads
    result = add_reports(empty, [], rebuild=True)
    assert result.rebuilt == [small_report.name] and not result.failed
    same_index(before, empty.load())


def test_a_server_follows_what_another_writer_makes_live(store, small_report):
    live = LiveIndex(store, store.load())
    add_reports(store, [small_report])
    deadline = time.monotonic() + 5  # a Milvus store is asked at most once a second
    while small_report.name not in live.current().reports and time.monotonic() < deadline:
        time.sleep(0.2)
    assert small_report.name in live.current().reports


def test_check_verifies_every_row(store):
    index = store.check()
    assert len(index.reports) == 5 and len(index.chunks) == 135


def test_copies_move_an_index_between_backends_without_reembedding(store, empty, monkeypatch):
    from rag.embedding.embed import Embedder

    monkeypatch.setattr(Embedder, "encode_document", lambda *a, **k: pytest.fail("re-embedded"))
    assert copy_index(store, empty) == 5
    same_index(store.load(), empty.load())


def test_a_milvus_index_of_another_chunker_is_refused_with_the_fix(seeds_index, tmp_path):
    store = open_store(f"milvus:{tmp_path / 'index.db'}")
    copy_index(seeds_index, store)
    manifest = store.manifest() | {"chunker": "chunker-0"}
    store.client().upsert("rag_meta", [{"key": "manifest", "value": json.dumps(manifest), "_": [0.0, 0.0]}])
    with pytest.raises(IndexMismatchError, match=f"--store {store.location} --rebuild"):
        store.load()
