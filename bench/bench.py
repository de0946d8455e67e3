"""Benchmark (not a test): build time, embedding throughput, search latency, memory, size on disk.

    python bench/bench.py [--corpus ../shared/corpus] [--out bench/results/bench.json]

Prints figures for the seeds alone and for the seeds plus the corpus. Timings on a shared machine are
noisy: compare ratios measured in one run, not numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import store  # noqa: E402
from rag.embed import load_embedder  # noqa: E402
from rag.evaluate import evaluate, load_questions  # noqa: E402
from rag.search import search  # noqa: E402
from rag.store import add_reports, load_index, searchable_text  # noqa: E402

QUERIES = [
    "镜湖区2024年受理法律援助案件多少件?",
    "哪个区复议调解率最高?",
    "行政机关负责人出庭应诉率",
    "How many legal aid cases did Jinghu district accept?",
    "12345热线转办件",
    "优化营商环境的举措",
    "人民调解委员会",
    "地区生产总值增长",
]


def run(name: str, paths: list[Path], questions: Path | None, scale_copies: int = 0) -> dict:
    embedder = load_embedder(None)
    timings = {"embed": 0.0}
    original = embedder.encode_document

    def timed_encode(texts, **kw):
        t = time.perf_counter()
        out = original(texts, **kw)
        timings["embed"] += time.perf_counter() - t
        return out

    embedder.encode_document = timed_encode
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        add_reports(tmp, paths)
        total = time.perf_counter() - t0
        embedder.encode_document = original
        index = load_index(tmp)
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        sample = [searchable_text(c) for c in index.chunks[:200]]
        t = time.perf_counter()
        embedder.encode_document(sample)
        throughput = len(sample) / (time.perf_counter() - t)
        p50, p95 = search_latency_ms(index, rounds=5)
        result = {
            "name": name,
            "reports": len(index.reports),
            "chunks": len(index.chunks),
            "facts": len(index.facts),
            "build_s": round(total, 2),
            "build_embed_s": round(timings["embed"], 2),
            "build_other_s": round(total - timings["embed"], 2),
            "embed_chunks_per_s": round(throughput, 1),
            "search_p50_ms": p50,
            "search_p95_ms": p95,
            "index_mb": round(size / 2**20, 2),
            "faiss": index.manifest["faiss"],
        }
        if questions:
            ev = evaluate(index, load_questions(questions), lambda q, k: search(index, q, k=k), k=5)
            result["retrieval"] = ev["overall"]
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if scale_copies:
            result["scale"] = scale_test(Path(tmp), scale_copies)
    return result


def search_latency_ms(index, rounds: int) -> tuple[float, float]:
    """Warm search latency over QUERIES: (p50, p95) in milliseconds."""
    for q in QUERIES:
        search(index, q)
    latencies = []
    for _ in range(rounds):
        for q in QUERIES:
            t = time.perf_counter()
            search(index, q, k=10)
            latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    return round(statistics.median(latencies), 1), round(latencies[int(0.95 * (len(latencies) - 1))], 1)


def scale_test(index_path: Path, copies: int = 20) -> dict:
    """Search at 100k+ chunks: the seeds+corpus index repeated under distinct ids (vectors reused, not re-embedded)."""
    import dataclasses

    import numpy as np

    base = load_index(index_path)
    chunks = [dataclasses.replace(c, doc=f"{n}-{c.doc}") for n in range(copies) for c in base.chunks]
    vectors = np.tile(base.vectors, (copies, 1))
    tokens = base.tokens * copies
    t = time.perf_counter()
    faiss_index = store._build_faiss(vectors, vectors.shape[1])
    faiss_s = time.perf_counter() - t
    t = time.perf_counter()
    bm25 = store._build_bm25(tokens)
    bm25_s = time.perf_counter() - t
    big = dataclasses.replace(base, chunks=chunks, vectors=vectors, tokens=tokens, faiss_index=faiss_index, bm25=bm25)
    p50, p95 = search_latency_ms(big, rounds=3)
    return {
        "name": f"seeds+corpus x{copies}",
        "chunks": len(chunks),
        "faiss": "hnsw" if hasattr(faiss_index, "hnsw") else "flat",
        "faiss_build_s": round(faiss_s, 1),
        "bm25_build_s": round(bm25_s, 1),
        "search_p50_ms": p50,
        "search_p95_ms": p95,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def faiss_crossover(sizes=(10_000, 100_000, 300_000), dim=384, queries=50) -> list[dict]:
    """Exact (flat) vs approximate (HNSW) search on random unit vectors: latency and recall@10.

    Where the flat scan stops being fast enough is where the index switches to HNSW (store.HNSW_ABOVE).
    """
    import faiss
    import numpy as np

    rng = np.random.default_rng(0)
    out = []
    for n in sizes:
        # Clustered like real embeddings (topics), not uniform noise, on which no graph index works.
        centers = rng.standard_normal((max(10, n // 100), dim)).astype(np.float32)
        data = centers[rng.integers(0, len(centers), n)] + 0.5 * rng.standard_normal((n, dim)).astype(np.float32)
        data /= np.linalg.norm(data, axis=1, keepdims=True)
        q = data[rng.choice(n, queries, replace=False)] + 0.1 * rng.standard_normal((queries, dim)).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        flat = faiss.IndexFlatIP(dim)
        flat.add(data)
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = store.HNSW_EF_CONSTRUCTION
        t = time.perf_counter()
        hnsw.add(data)
        build = time.perf_counter() - t
        hnsw.hnsw.efSearch = store.HNSW_EF_SEARCH
        row = {"vectors": n, "hnsw_build_s": round(build, 1)}
        for name, index in (("flat", flat), ("hnsw", hnsw)):
            t = time.perf_counter()
            for i in range(queries):
                _, ids = index.search(q[i : i + 1], 10)
            row[f"{name}_ms"] = round((time.perf_counter() - t) / queries * 1000, 2)
        _, exact = flat.search(q, 10)
        _, approx = hnsw.search(q, 10)
        row["hnsw_recall@10"] = round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx, strict=True)])), 3)
        out.append(row)
        print(json.dumps(row))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--questions", default=str(ROOT.parent / "shared" / "eval" / "questions.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "bench.json"))
    ap.add_argument("--seeds-only", action="store_true")
    ap.add_argument("--no-faiss", action="store_true", help="skip the flat vs HNSW measurement")
    ap.add_argument("--copies", type=int, default=20, help="repeat seeds+corpus this often for the 100k-chunk test")
    args = ap.parse_args()
    questions = Path(args.questions) if Path(args.questions).exists() else None
    results = [run("seeds", [ROOT / "seeds"], questions)]
    print(json.dumps(results[-1], ensure_ascii=False))
    if not args.seeds_only and Path(args.corpus).exists():
        results.append(run("seeds+corpus", [ROOT / "seeds", Path(args.corpus)], questions, scale_copies=args.copies))
        print(json.dumps(results[-1], ensure_ascii=False))
    if not args.no_faiss:
        results.append({"name": "faiss flat vs hnsw", "rows": faiss_crossover()})
    print(f"HNSW above {store.HNSW_ABOVE} chunks")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
