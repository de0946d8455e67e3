"""Benchmark (not a test): where a Milvus index's dense search should run, in Milvus or in this process.

    python bench/milvus_dense.py --index FOLDER [--work DIR] [--out bench/results/milvus_dense.json]

The index at FOLDER (the seeds and ../shared/corpus: ~5,600 chunks) is copied into Milvus Lite twice,
embedded (`milvus:DIR/x.db`) and behind `milvus-lite server` in another process, without re-embedding
(`copy_index`). For each of bench/bench.py's queries, unfiltered and restricted to one region (the filter
retrieval passes as a mask of allowed rows), the top 100 is asked three ways:

  local    the loaded Index's own FAISS search (`index.faiss_index.search(q, 100, allowed)`), as a folder
           store's and a Milvus store's Index both answer today
  embedded Milvus Lite's search in this process (`client.search`, the filter as `region in [...]`),
           its ids mapped back to index rows
  server   the same through Milvus Lite's gRPC server

Reported: p50 / p95 ms over 3 rounds (warm), and the share of the local top 10 each finds. Milvus Lite is
Milvus's pure-Python engine; Milvus Standalone searches in C++ (Knowhere) and would be faster than these
numbers, but still a network round trip (~1 ms on one host) above a FAISS scan of 5,600 vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench import QUERIES  # noqa: E402  bench/bench.py: the same search questions
from rag.store.backend import open_store  # noqa: E402
from rag.store.milvus.collections import chunk_id  # noqa: E402
from rag.store.store import copy_index  # noqa: E402


def percentiles(ms: list[float]) -> list[float]:
    ms = sorted(ms)
    return [round(statistics.median(ms), 2), round(ms[int(0.95 * (len(ms) - 1))], 2)]


def milvus_search(store, rows_of: dict[int, int], q: np.ndarray, region: str | None) -> np.ndarray:
    found = store.client().search(f"{store.name}_chunks", [q[0].tolist()], limit=100, anns_field="vector",
                                  search_params={"metric_type": "IP"},
                                  filter=f"region in {json.dumps([region], ensure_ascii=False)}" if region else "")
    return np.array([rows_of[h["id"]] for h in found[0]], np.int64)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "milvus_dense.json"))
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="rag-dense-"))
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(work / "srv"),
                               "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _wait(port)
        local = open_store(args.index).load()
        stores = {"embedded": open_store(f"milvus:{work / 'x.db'}", work / "files"),
                  "server": open_store(f"milvus://127.0.0.1:{port}", work / "files")}
        for store in stores.values():
            copy_index(args.index, store)
        out = {"chunks": len(local.chunks), "queries": len(QUERIES), "cpus": os.cpu_count(),
               "ways": _measure(local, stores)}
    finally:
        server.terminate()
        server.wait()
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))


def _measure(local, stores) -> dict:
    embedder = local.embedder()
    vectors = {q: embedder.encode_query([q]).astype(np.float32) for q in QUERIES}
    region = "光明区" if "光明区" in local.regions else local.regions[0]
    allowed = local.chunks.allowed({region})
    rids = {doc: info["rid"] for doc, info in stores["embedded"].load().manifest["reports"].items()}
    rows_of = {}
    for doc, rid in rids.items():
        for n, row in enumerate(local.chunks.rows_of(doc).tolist()):
            rows_of[chunk_id(rid, n)] = row
    ways = {"local": lambda q, r: local.faiss_index.search(q, 100, allowed if r else None)}
    for name, store in stores.items():
        ways[name] = lambda q, r, store=store: milvus_search(store, rows_of, q, region if r else None)
    out = {}
    for name, search in ways.items():
        for filtered in (False, True):
            ms, overlap = [], []
            for _ in range(3):
                for q in QUERIES:
                    t = time.perf_counter()
                    got = search(vectors[q], filtered)
                    ms.append((time.perf_counter() - t) * 1000)
                    want = ways["local"](vectors[q], filtered)
                    overlap.append(len(set(got[:10].tolist()) & set(want[:10].tolist())) / max(1, min(10, len(want))))
            out[f"{name}{' (one region)' if filtered else ''}"] = {"p50_p95_ms": percentiles(ms),
                                                                   "top10_shared_with_local": round(float(np.mean(overlap)), 3)}
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("milvus-lite server did not start")


if __name__ == "__main__":
    main()
