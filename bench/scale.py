"""Scale benchmark (not a test): today's store at 100k-1M chunks. Measures, it changes nothing.

    python bench/scale.py [--base DIR] [--sizes 100000,300000,1000000] [--vector-sizes 1000000]
                          [--add-at 100000] [--out bench/results/scale.json]

The 86 reports (seeds + ../shared/corpus, or the index at --base) are repeated under distinct ids until
an index holds SIZE chunks: vectors are computed once and reused, each copy's slightly perturbed (cosine
~0.98 to the original) so that FAISS does not face exact duplicates. Each step runs in a fresh process,
so its peak RSS is its own:

  build   the index written by today's store code (`store._write`): time split into segmentation,
          JSON lines, FAISS, BM25, fsync and the rest, plus chunking + fact extraction of the base
          scaled up (the only build work besides embedding that copies skip); disk per file
  serve   `load_index` time and RSS, search p50/p95 warm, `ask` p50/p95 warm (rag.answer.ask)
  memory  load_index's steps one by one, RSS after each: what dominates
  add     adding one new report to the large index (today: load, re-segment and rewrite everything)
  vectors FAISS alone at --vector-sizes: exact scan, HNSW (M 32, efSearch 128), IVF; build time, query
          latency, recall@10 against the exact scan, RSS; bm25s alone: index and query time, RSS

A size whose predicted RSS (from the previous size) exceeds 60% of the memory available is skipped,
and the figures of the sizes that ran are extrapolated to 1M chunks.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
NOISE = 0.0103  # per coordinate, on unit 384-d vectors: cosine to the original ~0.98


def rss_mb(field: str = "VmRSS") -> float:
    """Current (VmRSS) or peak (VmHWM) resident memory of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentiles(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return round(statistics.median(ms), 2), round(ms[int(0.95 * (len(ms) - 1))], 2)


def questions() -> list[str]:
    files = [ROOT.parent / "shared" / "eval" / "questions.jsonl", ROOT / "bench" / "calibration.jsonl"]
    return [json.loads(line)["question"] for f in files if f.exists() for line in f.read_text().splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# the large index, made from copies of the base


def perturbed(vectors, copies: int, seed: int = 0):
    """The base vectors `copies` times; every copy after the first moved by a little noise, unit length."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = np.empty((len(vectors) * copies, vectors.shape[1]), np.float32)
    for n in range(copies):
        block = out[n * len(vectors) : (n + 1) * len(vectors)]
        block[:] = vectors
        if n:
            block += rng.standard_normal(block.shape, dtype=np.float32) * NOISE
            block /= np.linalg.norm(block, axis=1, keepdims=True)
    return out


def replicate(base, copies: int):
    """(reports, chunks, facts, vectors) of `copies` copies of `base`, each copy's docs renamed."""
    reports, chunks, facts = {}, [], []
    for n in range(copies):
        prefix = f"c{n:04d}-" if n else ""
        for r in base.reports.values():
            sha = hashlib.sha256(f"{n}:{r.sha256}".encode()).hexdigest() if n else r.sha256
            reports[prefix + r.doc] = dataclasses.replace(r, doc=prefix + r.doc, sha256=sha)
        chunks += [dataclasses.replace(c, doc=prefix + c.doc) for c in base.chunks]
        facts += [dataclasses.replace(f, doc=prefix + f.doc) for f in base.facts]
    return reports, chunks, facts, perturbed(base.vectors, copies)


def _timed(timers: dict, name: str, fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timers[name] += time.perf_counter() - t

    return wrapper


def step_build(base_path: Path, root: Path, copies: int) -> dict:
    from rag import store

    base = store.load_index(base_path)
    identity = store._NameOnly(base.model, base.vectors.shape[1], base.backend)
    t = time.perf_counter()
    reports, chunks, facts, vectors = replicate(base, copies)
    replicate_s = time.perf_counter() - t
    del base
    timers: dict[str, float] = defaultdict(float)
    original_segmenter = store.segmenter_for

    class TimedSegmenter:
        def __init__(self, regions):
            self.inner = original_segmenter(regions)

        def tokens(self, text):
            t = time.perf_counter()
            try:
                return self.inner.tokens(text)
            finally:
                timers["segment"] += time.perf_counter() - t

    store.segmenter_for = TimedSegmenter
    store._build_faiss = _timed(timers, "faiss", store._build_faiss)
    store._build_bm25 = _timed(timers, "bm25", store._build_bm25)
    store._write_lines = _timed(timers, "jsonl", store._write_lines)
    store._fsync_tree = _timed(timers, "fsync", store._fsync_tree)
    rss_before = rss_mb()
    t = time.perf_counter()
    store._write(root, identity, reports, chunks, vectors, facts)
    write_s = time.perf_counter() - t
    version = root / (root / "CURRENT").read_text().strip()
    files = {p.name: round(p.stat().st_size / 2**20, 1) for p in sorted(version.iterdir()) if p.is_file()}
    files["bm25/"] = round(sum(p.stat().st_size for p in (version / "bm25").rglob("*")) / 2**20, 1)
    out = {
        "chunks": len(chunks),
        "reports": len(reports),
        "facts": len(facts),
        "replicate_s": round(replicate_s, 1),
        "write_s": round(write_s, 1),
        "write_split_s": {k: round(v, 1) for k, v in timers.items()}
        | {"other (jieba dictionary, npy, faiss and bm25 files, manifest)": round(write_s - sum(timers.values()), 1)},
        "disk_mb": files,
        "disk_total_mb": round(sum(p.stat().st_size for p in version.rglob("*") if p.is_file()) / 2**20, 1),
        "rss_before_write_mb": rss_before,
        "peak_rss_mb": rss_mb("VmHWM"),
    }
    return out


def step_serve(root: Path) -> dict:
    from rag.answer import ask
    from rag.search import search
    from rag.store import load_index

    t = time.perf_counter()
    index = load_index(root)
    load_s = time.perf_counter() - t
    rss_loaded = rss_mb()
    index.embedder()  # the model is part of serving, but not of the index's memory
    rss_model = rss_mb()
    for q in QUERIES:
        search(index, q)
    search_ms = []
    for _ in range(3):
        for q in QUERIES:
            t = time.perf_counter()
            search(index, q, k=10)
            search_ms.append((time.perf_counter() - t) * 1000)
    asked = questions()
    for q in (asked[0], next(q for q in asked if q.isascii())):  # warm: the English dictionary loads once
        ask(index, q)
    ask_ms, kinds = [], {}
    for q in asked:
        t = time.perf_counter()
        kinds[q] = ask(index, q).mode
        ask_ms.append((time.perf_counter() - t) * 1000)
    slowest = sorted(zip(ask_ms, asked, strict=True), reverse=True)[:5]
    return {
        "load_index_s": round(load_s, 1),
        "rss_index_mb": rss_loaded,
        "rss_with_model_mb": rss_model,
        "search_p50_p95_ms": percentiles(search_ms),
        "ask_p50_p95_ms": percentiles(ask_ms),
        "ask_questions": len(ask_ms),
        "ask_slowest_ms": [(round(ms), q, kinds[q]) for ms, q in slowest],
        "peak_rss_mb": rss_mb("VmHWM"),
    }


def step_memory(root: Path) -> dict:
    """load_index's steps, in its order, with the RSS each adds (MB)."""
    import bm25s
    import faiss
    import numpy as np

    from rag import store
    from rag.types import Chunk, Fact, Report

    version = store._current_version(root)
    added, last = {}, rss_mb()

    def mark(name):
        nonlocal last
        now = rss_mb()
        added[name] = round(now - last, 1)
        last = now

    reports = []
    for line in store._read_lines(version / "reports.jsonl"):
        d = json.loads(line)
        d["body"] = tuple(tuple(s) for s in d["body"])
        reports.append(Report(**d))
    mark("reports (Report objects, full texts)")
    chunks = []
    for line in store._read_lines(version / "chunks.jsonl"):
        d = json.loads(line)
        d["section"] = tuple(d["section"])
        chunks.append(Chunk(**d))
    mark("chunks (Chunk objects: text, title, section strings per chunk)")
    facts = []
    for line in store._read_lines(version / "facts.jsonl"):
        d = json.loads(line)
        d["section"] = tuple(d["section"])
        facts.append(Fact(**d))
    mark("facts (Fact objects)")
    tokens = [json.loads(line) for line in store._read_lines(version / "tokens.jsonl")]
    mark("tokens (a list of str per chunk)")
    vectors = np.load(version / "vectors.npy")
    mark("vectors.npy (float32 array)")
    bm25 = bm25s.BM25.load(str(version / "bm25"), show_progress=False)
    mark("bm25s (sparse matrix + vocabulary)")
    index = faiss.read_index(str(version / "faiss.index"))
    mark("faiss index")
    counts = {"reports": len(reports), "chunks": len(chunks), "facts": len(facts), "tokens": sum(map(len, tokens))}
    del bm25, index, vectors
    return {"rss_added_mb": added, "counts": counts}


def step_add(root: Path, report_file: Path) -> dict:
    """Add one new report (a seed report with a line added, so it is new) to the large index."""
    from rag.embed import load_embedder
    from rag.store import add_reports

    embedder = load_embedder()
    spent = {"embed": 0.0}
    original = embedder.encode_document

    def timed(texts, **kw):
        t = time.perf_counter()
        out = original(texts, **kw)
        spent["embed"] += time.perf_counter() - t
        return out

    embedder.encode_document = timed
    with tempfile.TemporaryDirectory() as tmp:
        new = Path(tmp) / "新增报告.txt"
        new.write_text(report_file.read_text(encoding="utf-8") + "\n附：本报告为新增测试副本。\n", encoding="utf-8")
        t = time.perf_counter()
        result = add_reports(root, [new])
        total = time.perf_counter() - t
    assert result.added == [new.name], result
    return {"add_one_report_s": round(total, 1), "of_which_embedding_s": round(spent["embed"], 1),
            "peak_rss_mb": rss_mb("VmHWM")}


# ---------------------------------------------------------------------------------------------
# FAISS and bm25s alone, at full size


def step_vectors(base_path: Path, n: int) -> dict:
    import faiss
    import numpy as np

    from rag import store

    base = store.load_index(base_path)
    copies = -(-n // len(base.chunks))
    vectors = perturbed(base.vectors, copies)[:n]
    queries = base.embedder().encode_query(QUERIES + [c.text[:40] for c in base.chunks[:: len(base.chunks) // 42]])
    tokens = (base.tokens * copies)[:n]  # lists shared between copies: bm25s's own memory is what counts
    base_n = len(base.chunks)  # vector i is a copy of base chunk i % base_n
    del base
    out: dict = {"vectors": n, "queries": len(queries)}

    def timed_search(index, k=10):
        index.search(queries[:1], k)
        ms = []
        for i in range(len(queries)):
            t = time.perf_counter()
            _, ids = index.search(queries[i : i + 1], k)
            ms.append((time.perf_counter() - t) * 1000)
        return percentiles(ms)

    rss0 = rss_mb()
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    out["flat"] = {"rss_mb": round(rss_mb() - rss0, 1), "p50_p95_ms": timed_search(flat)}
    _, exact = flat.search(queries, 100)

    def recall(index) -> dict:
        """recall@10 by id against the exact scan; and, since copies of one chunk are near duplicates
        that an approximate index may swap for each other, the share of the distinct chunks (copies
        counted as one) of the exact top 100 that the approximate top 100 also holds, as fusion sees it."""
        _, got = index.search(queries, 100)
        by_id = np.mean([len(set(a[:10]) & set(b[:10])) / 10 for a, b in zip(exact, got, strict=True)])
        by_chunk = np.mean([len(set(a % base_n) & set(b % base_n)) / len(set(a % base_n))
                            for a, b in zip(exact, got, strict=True)])
        return {"recall@10": round(float(by_id), 3), "chunk_recall@100": round(float(by_chunk), 3)}

    rss0 = rss_mb()
    t = time.perf_counter()
    hnsw = store._build_faiss(vectors, vectors.shape[1]) if n > store.HNSW_ABOVE else None
    if hnsw is None:
        hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = store.HNSW_EF_CONSTRUCTION
        hnsw.hnsw.efSearch = store.HNSW_EF_SEARCH
        hnsw.add(vectors)
    out["hnsw"] = {"build_s": round(time.perf_counter() - t, 1), "rss_mb": round(rss_mb() - rss0, 1)}
    for ef in (64, 128, 256):
        hnsw.hnsw.efSearch = ef
        out["hnsw"][f"ef{ef}"] = {"p50_p95_ms": timed_search(hnsw)} | recall(hnsw)
    del hnsw
    nlist = 4096 if n >= 500_000 else 1024
    for name, spec in (("ivf", f"IVF{nlist},Flat"), ("ivf_sq8", f"IVF{nlist},SQ8")):
        rss0 = rss_mb()
        t = time.perf_counter()
        ivf = faiss.index_factory(vectors.shape[1], spec, faiss.METRIC_INNER_PRODUCT)
        ivf.train(vectors[np.random.default_rng(0).choice(n, min(n, 50 * nlist), replace=False)])
        ivf.add(vectors)
        out[name] = {"spec": spec, "build_s": round(time.perf_counter() - t, 1), "rss_mb": round(rss_mb() - rss0, 1)}
        for nprobe in (16, 32, 64):
            ivf.nprobe = nprobe
            out[name][f"nprobe{nprobe}"] = {"p50_p95_ms": timed_search(ivf)} | recall(ivf)
        del ivf
    del flat, vectors

    rss0 = rss_mb()
    t = time.perf_counter()
    bm25 = store._build_bm25(tokens)
    out["bm25"] = {"build_s": round(time.perf_counter() - t, 1), "rss_mb": round(rss_mb() - rss0, 1)}
    from rag.segment import segmenter_for

    seg = segmenter_for(())
    query_tokens = [seg.tokens(q) for q in QUERIES if seg.tokens(q)]
    ms, sort_ms = [], []
    for qt in query_tokens:
        t = time.perf_counter()
        scores = bm25.get_scores(qt)
        ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        np.argsort(-scores, kind="stable")  # what search._bm25_ranking does with them
        sort_ms.append((time.perf_counter() - t) * 1000)
    out["bm25"]["get_scores_p50_p95_ms"] = percentiles(ms)
    out["bm25"]["full_argsort_p50_p95_ms"] = percentiles(sort_ms)
    out["peak_rss_mb"] = rss_mb("VmHWM")
    return out


# ---------------------------------------------------------------------------------------------


def _child(*args: str) -> dict:
    cmd = [sys.executable, __file__, "--child", *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        return {"failed": done.returncode, "stderr": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def base_costs(paths: list[Path]) -> dict:
    """Per-chunk cost of what copies skip besides embedding: reading, chunking, fact extraction."""
    from rag.facts import extract_facts
    from rag.ingest import find_report_files, read_report
    from rag.sections import chunk_report

    t = time.perf_counter()
    chunks = [c for f in find_report_files(paths) for c in chunk_report(read_report(f))]
    read_chunk = time.perf_counter() - t
    t = time.perf_counter()
    n_facts = sum(len(extract_facts(c)) for c in chunks)
    facts = time.perf_counter() - t
    return {"chunks": len(chunks), "facts": n_facts, "read_and_chunk_ms_per_chunk": round(read_chunk / len(chunks) * 1000, 3),
            "facts_ms_per_chunk": round(facts / len(chunks) * 1000, 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", help="an index of the 86 reports (default: built here with the default backend)")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--sizes", default="100000,300000,1000000")
    ap.add_argument("--vector-sizes", default="1000000")
    ap.add_argument("--add-at", default="100000", help="sizes at which to time adding one report")
    ap.add_argument("--work", default=None, help="folder for the large indexes (default: a temporary one)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "scale.json"))
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        steps = {"build": lambda b, r, c: step_build(Path(b), Path(r), int(c)), "serve": lambda r: step_serve(Path(r)),
                 "memory": lambda r: step_memory(Path(r)), "add": lambda r, f: step_add(Path(r), Path(f)),
                 "vectors": lambda b, n: step_vectors(Path(b), int(n))}
        print(json.dumps(steps[kind](*rest), ensure_ascii=False))
        return

    from rag.store import add_reports, load_index

    paths = [ROOT / "seeds"] + ([Path(args.corpus)] if Path(args.corpus).exists() else [])
    work = Path(args.work or tempfile.mkdtemp(prefix="rag-scale-"))
    base = Path(args.base) if args.base else work / "base"
    if not args.base:
        add_reports(base, paths)
    base_chunks = len(load_index(base).chunks)
    results: dict = {"base_chunks": base_chunks, "base_costs": base_costs(paths), "sizes": [], "vectors": []}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def save():
        out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(json.dumps(results["sizes"][-1] if results["sizes"] else results, ensure_ascii=False), flush=True)

    previous = None
    for size in map(int, args.sizes.split(",")):
        copies = max(1, round(size / base_chunks))
        if previous:
            predicted = max(previous["build"]["peak_rss_mb"], previous["serve"]["peak_rss_mb"]) * copies / previous["copies"]
            if predicted > 0.6 * available_mb():
                results["sizes"].append({"size": size, "skipped": f"predicted peak RSS {predicted:.0f} MB, "
                                         f"available {available_mb():.0f} MB"})
                save()
                continue
        root = work / f"x{copies}"
        row = {"size": size, "copies": copies, "build": _child("build", str(base), str(root), str(copies))}
        if "failed" not in row["build"]:
            row["serve"] = _child("serve", str(root))
            row["memory"] = _child("memory", str(root))
            if str(size) in args.add_at.split(","):
                seed = sorted((ROOT / "seeds").glob("*.txt"))[0]
                row["add"] = _child("add", str(root), str(seed))
        results["sizes"].append(row)
        save()
        if "failed" in row["build"] or "failed" in row.get("serve", {}):
            break
        previous = row
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    for n in map(int, args.vector_sizes.split(",")) if args.vector_sizes else ():
        results["vectors"].append(_child("vectors", str(base), str(n)))
        save()


if __name__ == "__main__":
    main()
