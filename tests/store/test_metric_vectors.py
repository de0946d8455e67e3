"""The meaning of a metric phrase, embedded once per index and compared with the question's."""

from __future__ import annotations

import numpy as np

from rag.embedding.embed import load_embedder
from rag.store.metric_vectors import build_metric_vectors
from rag.types import Fact


def fact(metric: str) -> Fact:
    return Fact(doc="r.txt", region="浙江省", year=2025, metric=metric, context="", value=1.0, unit="列",
                qualifier="", kind="level", sentence="", start=0, end=0)


def test_a_phrase_has_the_same_vector_whatever_else_is_indexed_and_the_same_as_a_question():
    embedder = load_embedder()
    alone = build_metric_vectors([fact("中欧班列开行")], embedder)
    among = build_metric_vectors([fact(m) for m in ("中欧班列开行", "行政复议案件受理数量", "地区生产总值增长",
                                                    "人民调解化解成功率达到百分之九十八以上")], embedder)
    vector = alone.matrix[alone.rows["中欧班列开行"]]
    assert np.array_equal(vector, among.matrix[among.rows["中欧班列开行"]])
    assert np.array_equal(vector, embedder.encode_query(["中欧班列开行"])[0])


def test_a_rebuild_keeps_the_vectors_it_has():
    embedder = load_embedder()
    old = build_metric_vectors([fact("中欧班列开行")], embedder)
    new = build_metric_vectors([fact("中欧班列开行"), fact("进出口总额")], embedder, old)
    assert np.array_equal(new.matrix[new.rows["中欧班列开行"]], old.matrix[old.rows["中欧班列开行"]])
    assert set(new.rows) == {"中欧班列开行", "进出口总额"}
