"""The scale benchmark's steps for an index in another store (bench/scale.py --store), and the ratios of its
figures to the folder store's: the same reports, vectors, questions and measures, another store's write and load.
"""

from __future__ import annotations

import time
from pathlib import Path

from scale import InOrder, Meanings, copied_reports, perturbed, rss_mb, serve


def step_serve_store(location: str, files: Path) -> dict:
    """As step_serve, for an index in another store (`--store`): its load, then the same questions."""
    from rag.store.backend import open_store

    store = open_store(location, files)
    t = time.perf_counter()
    index = store.load()
    return serve(index, time.perf_counter() - t, {})


def step_build_store(base_path: Path, location: str, files: Path, copies: int) -> dict:
    """As step_build, written by another store's `write` (a Milvus store: rows inserted into Milvus)."""
    import numpy as np

    from rag.store.backend import open_store
    from rag.store.store import load_index

    base = load_index(base_path)
    reports = copied_reports(base, copies)
    vectors = perturbed(np.asarray(base.vectors), copies)
    meanings = Meanings(base)
    del base
    store = open_store(location, files)
    rss_before = rss_mb()["VmRSS"]
    t = time.perf_counter()
    store.write(meanings, None, reports, InOrder(vectors), lambda m: None)
    out = {"reports": len(reports), "build_without_embedding_s": round(time.perf_counter() - t, 1),
           "rss_before_write_mb": rss_before, "peak_rss_mb": rss_mb()["VmHWM"]}
    if store.at.lite:  # what Milvus Lite keeps on disk (its WAL, Parquet segments and index files)
        out["disk_mb"] = round(sum(f.stat().st_size for f in Path(store.at.uri).rglob("*") if f.is_file()) / 2**20, 1)
    return out


def store_for(location: str, work: Path, copies: int) -> str:
    """A fresh index for `copies` in the store `location`: a Milvus Lite file of its own in `work`, or on a
    server, collections named scale_<copies> (dropped first)."""
    from rag.store.milvus.location import parse_location

    at = parse_location(location)
    if at.lite:
        return f"milvus:{work / f'scale-{copies}.db'}"
    from rag.store.backend import open_store
    from rag.store.milvus import collections

    named = f"milvus://{at.uri.removeprefix('http://')}/scale_{copies}"
    collections.drop(open_store(named).client(), f"scale_{copies}")
    return named


RATIOS = {"build (no embedding)": ("build", "build_without_embedding_s"), "load": ("serve", "load_index_s"),
          "search p50": ("serve", "search_p50_p95_ms", 0), "search p95": ("serve", "search_p50_p95_ms", 1),
          "ask p50": ("serve", "ask_p50_p95_ms", "all", 0), "ask p95": ("serve", "ask_p50_p95_ms", "all", 1),
          "RSS serving": ("serve", "rss_mb", "after questions", "VmRSS"), "peak RSS building": ("build", "peak_rss_mb")}


def ratios(local: dict, other: dict) -> dict:
    """other / local for each of RATIOS, where both measured it."""
    out = {}
    for name, path in RATIOS.items():
        a, b = local, other
        try:
            for key in path:
                a, b = a[key], b[key]
            out[name] = round(b / a, 2) if a else None
        except (KeyError, IndexError, TypeError):
            out[name] = None
    return out
