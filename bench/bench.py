"""Benchmark (not a test): embedding backends side by side: speed, quality, build time, memory.

    python bench/bench.py [--corpus ../shared/corpus] [--backends torch,onnx,onnx-int8]
                          [--seeds-only] [--out bench/results/bench.json]

In one run, on the same chunks:
  1. throughput: chunks/s of each backend on one sample of chunks (best of 3 rounds, interleaved), as a
     ratio to torch at today's batch size, wall clock and CPU time; cosine of each to torch; and the
     cheap knobs (batch size, sorting by length, threads) on the int8 backend;
  2. per backend, in a fresh process each (so peak RSS is that backend's): the index build of the seeds
     and of the seeds plus the corpus, split into embedding and the rest, model load time, retrieval
     hit@1/@5 and MRR (hybrid, and dense alone, which shows a backend's difference most) on the
     development questions and on bench/calibration.jsonl, search and encode_query latency, peak RSS.

A backend spec is NAME[:BATCH] (default batch: rag.embedding.embed.DOCUMENT_BATCH); "torch" is the embedder as it
was before backends. The builds run before the throughput test, each in a fresh process.
Timings on a shared machine are noisy: compare the ratios measured in one run, not numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
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
DEFAULT_BACKENDS = "torch,onnx,onnx-int8"
SAMPLE = 160


def _spec(spec: str) -> tuple[str, int | None]:
    name, _, batch = spec.partition(":")
    return name, int(batch) if batch else None


def _peak_rss_mb() -> float:
    """This process's peak RSS. Not getrusage: its ru_maxrss survives exec, so a child would report
    the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ---------------------------------------------------------------------------------------------
# 1. throughput on one sample, all backends in this process


def sample_texts(paths: list[Path], n: int = SAMPLE) -> list[str]:
    """`n` chunks spread evenly over the reports under `paths`, as they are embedded."""
    from rag.documents.ingest import find_report_files, read_report
    from rag.documents.sections import chunk_report
    from rag.store.store import searchable_text

    texts = [searchable_text(c) for f in find_report_files(paths) for c in chunk_report(read_report(f))]
    step = max(1, len(texts) // n)
    return texts[::step][:n]


def throughput(texts: list[str], backends: list[str], rounds: int = 3) -> list[dict]:
    """chunks/s per configuration, best of `rounds` interleaved rounds, with ratios to the first."""
    import numpy as np

    from rag.embedding.embed import DOCUMENT_BATCH, load_embedder
    from rag.embedding.onnx_backend import OnnxEncoder

    embedders = {b: load_embedder(backend=_spec(b)[0]) for b in backends}
    batches = {b: _spec(b)[1] or DOCUMENT_BATCH[_spec(b)[0]] for b in backends}
    configs = {f"{b} (batch {batches[b]})": (embedders[b], batches[b], True) for b in backends}
    torch = load_embedder(backend="torch")
    configs["torch (batch 8)"] = (torch, 8, True)
    int8 = load_embedder(backend="onnx-int8")
    for batch in (4, 16, 32):
        configs[f"onnx-int8 (batch {batch})"] = (int8, batch, True)
    configs["onnx-int8 (batch 8, not sorted by length)"] = (int8, 8, False)
    for threads, spin in ((1, False), (2, True)):
        encoder = OnnxEncoder(int8.model.folder, threads=threads, spin=spin)
        label = f"onnx-int8 (batch 8, {threads} thread{'s' if threads > 1 else ''}{', spinning' if spin else ''})"
        configs[label] = (type(int8)(int8.name, encoder, int8.backend), 8, True)

    def encode(embedder, batch, ordered):
        if ordered:
            return embedder.encode_document(texts, batch_size=batch)
        return np.vstack([embedder.encode_document(texts[i : i + batch], batch_size=batch)
                          for i in range(0, len(texts), batch)])

    for embedder, batch, ordered in configs.values():
        encode(embedder, batch, ordered)  # warm: sessions made, caches filled
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in configs}
    vectors = {}
    for _ in range(rounds):
        for name, (embedder, batch, ordered) in configs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            vectors[name] = encode(embedder, batch, ordered)
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    reference = next(iter(configs))
    base_wall, base_cpu = min(w for w, _ in times[reference]), min(c for _, c in times[reference])
    rows = []
    for name, samples in times.items():
        wall, cpu = min(w for w, _ in samples), min(c for _, c in samples)
        cosine = (vectors[name] * vectors[reference]).sum(axis=1)
        rows.append({
            "config": name,
            "chunks_per_s": round(len(texts) / wall, 1),
            "ratio": round(base_wall / wall, 2),
            "cpu_chunks_per_s": round(len(texts) / cpu, 1),
            "cpu_ratio": round(base_cpu / cpu, 2),
            "cosine_mean": round(float(cosine.mean()), 4),
            "cosine_min": round(float(cosine.min()), 4),
        })
    return rows


# ---------------------------------------------------------------------------------------------
# 2. one backend's index build, in its own process


def build(spec: str, paths: list[Path], question_files: list[Path]) -> dict:
    from rag.app.evaluate import evaluate, load_questions
    from rag.embedding.embed import load_embedder
    from rag.retrieval import search
    from rag.store.store import add_reports, load_index

    backend, batch = _spec(spec)
    t = time.perf_counter()
    embedder = load_embedder(backend=backend)
    load_s = time.perf_counter() - t
    timings = {"embed": 0.0, "embed_cpu": 0.0}
    original = embedder.encode_document

    def timed_encode(texts, **kw):
        if batch:
            kw["batch_size"] = batch
        wall, cpu = time.perf_counter(), time.process_time()
        out = original(texts, **kw)
        timings["embed"] += time.perf_counter() - wall
        timings["embed_cpu"] += time.process_time() - cpu
        return out

    embedder.encode_document = timed_encode
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time.perf_counter(), time.process_time()
        add_reports(tmp, paths, backend=backend)
        total, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
        embedder.encode_document = original
        rss_after_build = _peak_rss_mb()
        index = load_index(tmp)
        result = {
            "backend": spec,
            "reports": len(index.reports),
            "chunks": len(index.chunks),
            "facts": len(index.facts),
            "model_load_s": round(load_s, 2),
            "build_s": round(total, 2),
            "build_embed_s": round(timings["embed"], 2),
            "build_other_s": round(total - timings["embed"], 2),
            "build_cpu_s": round(total_cpu, 2),
            "build_embed_cpu_s": round(timings["embed_cpu"], 2),
            "end_to_end_s": round(load_s + total, 2),
            "embed_chunks_per_s": round(len(index.chunks) / timings["embed"], 1),
            "index_mb": round(sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file()) / 2**20, 2),
            "peak_rss_build_mb": rss_after_build,
        }
        for qfile in question_files:
            questions = load_questions(qfile)
            for method in ("hybrid", "dense"):
                ev = evaluate(index, questions, lambda q, k, m=method: search(index, q, k=k, method=m), k=5)
                o = ev["overall"]
                result[f"{qfile.stem}_{method}"] = {k: o[k] for k in ("answerable", "hit@1", "hit@5", "mrr")}
        result["search_p50_ms"], result["search_p95_ms"] = search_latency_ms(index, rounds=5)
        result["query_p50_ms"] = query_latency_ms(embedder)
        result["peak_rss_mb"] = _peak_rss_mb()
    return result


def search_latency_ms(index, rounds: int) -> tuple[float, float]:
    """Warm search latency over QUERIES: (p50, p95) in milliseconds."""
    from rag.retrieval import search

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


def query_latency_ms(embedder, rounds: int = 5) -> float:
    """encode_query p50 over QUERIES, warm (encode_query runs on one thread)."""
    embedder.encode_query(QUERIES[:2])
    latencies = []
    for _ in range(rounds):
        for q in QUERIES:
            t = time.perf_counter()
            embedder.encode_query([q])
            latencies.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(latencies), 1)


def _child(spec: str, paths: list[str], question_files: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--child", spec, "--paths", *paths, "--question-files", *question_files]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------


def table(name: str, rows: list[dict]) -> str:
    """The builds of one set of reports, side by side: one column per backend."""
    base = rows[0]
    lines = [f"## {name}: {base['reports']} reports, {base['chunks']} chunks", ""]
    lines.append("| | " + " | ".join(r["backend"] for r in rows) + " |")
    lines.append("|---" * (len(rows) + 1) + "|")

    def line(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in rows) + " |")

    line("index build s (embedding + rest)", lambda r: f"{r['build_s']:.1f} ({r['build_embed_s']:.1f} + {r['build_other_s']:.1f})")
    line("end to end s (model load + build)", lambda r: f"{r['end_to_end_s']:.1f}")
    line("end to end, ratio to the first", lambda r: f"{base['end_to_end_s'] / r['end_to_end_s']:.2f}x")
    line("build CPU s, ratio to the first", lambda r: f"{r['build_cpu_s']:.0f} ({base['build_cpu_s'] / r['build_cpu_s']:.2f}x)")
    line("embedding chunks/s", lambda r: f"{r['embed_chunks_per_s']:.1f}")
    for key in [k for k in base if k.endswith(("_hybrid", "_dense"))]:
        line(f"{key} hit@1 / hit@5, MRR", lambda r, k=key: f"{r[k]['hit@1']} / {r[k]['hit@5']} of {r[k]['answerable']}, {r[k]['mrr']:.3f}")
    line("search p50 / p95 ms", lambda r: f"{r['search_p50_ms']} / {r['search_p95_ms']}")
    line("encode_query p50 ms (1 thread)", lambda r: f"{r['query_p50_ms']}")
    line("model load s", lambda r: f"{r['model_load_s']:.1f}")
    line("peak RSS MB (build / all)", lambda r: f"{r['peak_rss_build_mb']:.0f} / {r['peak_rss_mb']:.0f}")
    line("index on disk MB", lambda r: f"{r['index_mb']:.1f}")
    return "\n".join(lines)


def throughput_table(rows: list[dict], n: int) -> str:
    lines = [f"## embedding throughput, {n} chunks, best of 3 interleaved rounds", "",
             "| configuration | chunks/s | ratio | CPU-time chunks/s | CPU ratio | cosine to first, mean / min |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['config']} | {r['chunks_per_s']} | {r['ratio']:.2f}x | {r['cpu_chunks_per_s']} | "
                     f"{r['cpu_ratio']:.2f}x | {r['cosine_mean']:.4f} / {r['cosine_min']:.4f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--questions", default=str(ROOT.parent / "shared" / "eval" / "questions.jsonl"))
    ap.add_argument("--calibration", default=str(ROOT / "bench" / "calibration.jsonl"))
    ap.add_argument("--backends", default=DEFAULT_BACKENDS)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "bench.json"))
    ap.add_argument("--seeds-only", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--paths", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--question-files", nargs="*", default=[], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(build(args.child, [Path(p) for p in args.paths], [Path(q) for q in args.question_files])))
        return

    backends = args.backends.split(",")
    question_files = [q for q in (args.questions, args.calibration) if Path(q).exists()]
    sets = [("seeds", [str(ROOT / "seeds")])]
    if not args.seeds_only and Path(args.corpus).exists():
        sets.append(("seeds+corpus", [str(ROOT / "seeds"), args.corpus]))
    results, report = {"builds": {}}, []
    for name, paths in sets:
        rows = []
        for spec in backends:
            rows.append(_child(spec, paths, question_files))
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        results["builds"][name] = rows
        report.append(table(name, rows))
        print(report[-1], flush=True)
    texts = sample_texts([Path(p) for p in sets[-1][1]])
    results["throughput"], results["sample_chunks"] = throughput(texts, backends), len(texts)
    report.insert(0, throughput_table(results["throughput"], len(texts)))
    print(report[0], flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text("\n\n".join(report) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
