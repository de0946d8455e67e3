"""Shared fixtures: the seed reports, a small Chinese report, and indexes built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"

SMALL_REPORT = """青山区人民政府关于2024年法治政府建设情况的报告

2024年，青山区坚持以习近平法治思想为指导，现将有关情况报告如下。
一、主要举措和成效
（一）健全矛盾纠纷多元化解机制
全年受理法律援助案件321件，人民调解化解率达97.5%。
（二）规范行政复议
全年新收行政复议案件45件，调解率达33.3%，较上年提高5个百分点。
二、存在的不足
一是基层法治力量薄弱。二是执法规范化水平有待提高。

青山区人民政府
2025年1月20日
"""


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory) -> Path:
    """An index of the five seed reports with the default model, built once."""
    from rag.store.store import add_reports

    path = tmp_path_factory.mktemp("seeds-index")
    result = add_reports(path, [SEEDS])
    assert not result.failed and len(result.added) == 5
    return path


@pytest.fixture
def small_report(tmp_path) -> Path:
    path = tmp_path / "青山区 2024 报告.txt"
    path.write_text(SMALL_REPORT, encoding="utf-8")
    return path


@pytest.fixture
def index_copy(seeds_index, tmp_path) -> Path:
    """A private copy of the seeds index that a test may change."""
    dest = tmp_path / "index"
    shutil.copytree(seeds_index, dest)
    return dest


@pytest.fixture(scope="session")
def catalog():
    """An index that knows the 86 reports' titles, regions, years and openings, built without a model:
    enough to read questions about them (tests/data/catalog.jsonl, from bench/make_catalog.py). It is made
    with the public `Index` from plain lists (no vectors, no BM25: reading a question needs neither)."""
    import json

    import numpy as np

    from rag import Index, Report
    from rag.documents.sections import chunk_report
    from rag.language.segmentation import segmenter_for

    reports = {}
    for line in (ROOT / "tests" / "data" / "catalog.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = row["opening"]
        reports[row["doc"]] = Report(row["doc"], row["doc"], text, ((0, len(text)),), row["title"], row["region"], row["year"])
    chunks = [c for r in reports.values() for c in chunk_report(r)]
    segmenter = segmenter_for(tuple(sorted({r.region for r in reports.values()})))
    tokens = [segmenter.tokens(c.text) for c in chunks]
    return Index(ROOT, {"model": "none"}, reports, chunks, np.zeros((0, 384), np.float32), tokens, [], None, None)
