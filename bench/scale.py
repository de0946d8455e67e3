"""Scale benchmark (not a test): the store at 100k-1M chunks, built, loaded, queried and added to.

    python bench/scale.py --base DIR [--sizes 100000,1000000] [--add-at 100000,1000000] [--work DIR]
                          [--store LOCATION] [--out bench/results/scale.json]

The 86 reports (the index at --base, or seeds + ../shared/corpus indexed here) are repeated under
distinct ids until an index holds SIZE chunks: vectors are computed once and reused, each copy's
slightly perturbed (cosine ~0.98 to the original) so that FAISS does not face exact duplicates; every
other step of a build runs for every copy. Each step runs in a fresh process, so its peak RSS is its own:

  build   the store's own write (`store._write_merged`, as `rag index` runs it once the vectors are
          there): chunking, fact extraction and jieba for every chunk, columns, postings, FAISS, files
  serve   `load_index` time (its parts) and RSS (anonymous / file-backed), search p50/p95 warm, `ask`
          p50/p95 warm for lookups and for comparisons, FAISS recall@10 against the exact scan
  add     adding one new report to the large index with `add_reports` (embedding it), changing it, and
          removing it: time and what each write wrote and linked

With `--store milvus:./x.db` (or milvus://host:19530), each size is also built and served in that store
(bench/scale_store.py), and `store_vs_local` gives its figures as ratios to the folder store's.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import QUERIES  # noqa: E402  bench/bench.py, beside this script: the same search questions

NOISE = 0.0103  # per coordinate, on unit 384-d vectors: cosine to the original ~0.98


def rss_mb() -> dict:
    """Resident memory of this process now (total, anonymous, file-backed) and at its peak, in MB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[key] = round(int(line.split()[1]) / 1024, 1)
    return out


def percentiles(ms: list[float]) -> list[float]:
    if not ms:
        return []
    ms = sorted(ms)
    return [round(statistics.median(ms), 1), round(ms[int(0.95 * (len(ms) - 1))], 1)]


def questions() -> list[str]:
    files = [ROOT.parent / "shared" / "eval" / "questions.jsonl", ROOT / "bench" / "calibration.jsonl"]
    return [json.loads(line)["question"] for f in files if f.exists() for line in f.read_text().splitlines() if line.strip()]


def disk(version: Path) -> dict:
    """MB on disk by file name (summed over segments), and in all."""
    sizes: dict[str, float] = defaultdict(float)
    for p in version.rglob("*"):
        if p.is_file():
            sizes[p.name] += p.stat().st_size / 2**20
    return {k: round(v, 1) for k, v in sorted(sizes.items())} | {"total": round(sum(sizes.values()), 1)}


# ---------------------------------------------------------------------------------------------- build


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


class InOrder:
    """The vectors of a build's chunks in the order the store asks for them (by searchable text, which
    copies share; `new_segment` asks chunk by chunk, report by report)."""

    def __init__(self, matrix):
        self.matrix, self.at = matrix, 0

    def __getitem__(self, text):
        self.at += 1
        return self.matrix[self.at - 1]


class Meanings:
    """An embedder of metric phrases that has them all already (the copies' phrases are the base's)."""

    def __init__(self, base):
        self.name, self.dim, self.backend = base.model, base.manifest["dim"], base.backend
        self.vectors = base.metric_vectors

    def encode_query(self, texts):
        import numpy as np

        return np.stack([self.vectors.matrix[self.vectors.rows[t]] for t in texts])


def copied_reports(base, copies: int) -> list:
    """The base index's reports `copies` times, under distinct ids (c0001-…) and sha256s."""
    reports = []
    for n in range(copies):
        prefix = f"c{n:04d}-" if n else ""
        for r in base.reports.values():
            sha = hashlib.sha256(f"{n}:{r.sha256}".encode()).hexdigest() if n else r.sha256
            reports.append(dataclasses.replace(r, doc=prefix + r.doc, sha256=sha))
    return reports


def step_build(base_path: Path, root: Path, copies: int) -> dict:
    import numpy as np

    from rag.store import store

    base = store.load_index(base_path)
    reports = copied_reports(base, copies)
    vectors = perturbed(np.asarray(base.vectors), copies)
    meanings = Meanings(base)
    del base
    timings: dict[str, float] = {}
    rss_before = rss_mb()["VmRSS"]
    t = time.perf_counter()
    store._write_merged(root, meanings, None, reports, InOrder(vectors), lambda m: None, timings=timings)
    write_s = time.perf_counter() - t
    version = root / (root / "CURRENT").read_text().strip()
    manifest = json.loads((version / "manifest.json").read_text())
    return {
        "chunks": manifest["chunks"],
        "reports": len(reports),
        "facts": manifest["rows"]["facts"],
        "terms": manifest["vocab"],
        "segments": [(s["rows"], s["faiss"]) for s in manifest["segments"]],
        "build_without_embedding_s": round(write_s, 1),
        "split_s": {k: round(v, 1) for k, v in timings.items()}
        | {"other (metric vectors, manifest)": round(write_s - sum(timings.values()), 1)},
        "workers": os.cpu_count(),
        "disk_mb": disk(version),
        "rss_before_write_mb": rss_before,
        "peak_rss_mb": rss_mb()["VmHWM"],
    }


# ---------------------------------------------------------------------------------------------- serve


def _timed(timers: dict, name: str, fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timers[name] += time.perf_counter() - t

    return wrapper


def step_serve(root: Path) -> dict:
    from rag.store import layout, local

    parts: dict[str, float] = defaultdict(float)
    local.verify_files = _timed(parts, "sizes and counts (verify_files)", local.verify_files)
    layout._reports = _timed(parts, "report texts", layout._reports)
    local.read_segment = _timed(parts, "segments (memory-mapped)", local.read_segment)
    local.assemble = _timed(parts, "columns and statistics (assemble)", local.assemble)
    t = time.perf_counter()
    index = local.load_index(root)
    load_s = time.perf_counter() - t
    parts["segments (memory-mapped)"] -= parts["report texts"]
    return serve(index, load_s, parts)


def serve(index, load_s: float, parts: dict) -> dict:
    from rag.answer.answer import ask
    from rag.retrieval import search

    rss = {"loaded": rss_mb()}
    embedder = index.embedder()
    rss["with model"] = rss_mb()
    for q in QUERIES:
        search(index, q, embedder=embedder)
    search_ms = []
    for _ in range(3):
        for q in QUERIES:
            t = time.perf_counter()
            search(index, q, k=10, embedder=embedder)
            search_ms.append((time.perf_counter() - t) * 1000)
    rss["after searches"] = rss_mb()
    asked = questions()
    for q in (asked[0], next(q for q in asked if q.isascii())):  # warm: the English dictionary loads once
        ask(index, q, embedder=embedder)
    times: dict[str, list] = defaultdict(list)
    slowest = []
    for q in asked:
        t = time.perf_counter()
        answer = ask(index, q, embedder=embedder)
        ms = (time.perf_counter() - t) * 1000
        kind = "comparison" if answer.query is not None and answer.query.comparison else "lookup"
        times[kind].append(ms)
        slowest.append((round(ms), q, kind, answer.mode))
    rss["after questions"] = rss_mb()
    out = {
        "load_index_s": round(load_s, 2),
        "load_parts_s": {k: round(v, 2) for k, v in parts.items()},
        "rss_mb": rss,
        "search_p50_p95_ms": percentiles(search_ms),
        "ask_p50_p95_ms": {k: percentiles(v) for k, v in times.items()} | {"all": percentiles(sum(times.values(), []))},
        "ask_questions": {k: len(v) for k, v in times.items()},
        "ask_slowest": sorted(slowest, reverse=True)[:6],
        "faiss": _recall(index, embedder),
    }
    return out


def _recall(index, embedder) -> dict:
    """recall@10 of the index's own dense search against an exact scan of its vectors, over QUERIES and
    chunk openings; and, since copies of one chunk are near duplicates that an approximate index may swap
    for each other, the share of the distinct chunks (copies as one) of the exact top 100 found in its top 100."""
    import numpy as np

    base_n = next(i for i, c in enumerate(index.chunks) if c.doc.startswith("c0001-")) if len(index.reports) > 86 else len(index.chunks)
    texts = QUERIES + [index.chunks[i].text[:40] for i in range(0, base_n, max(1, base_n // 42))]
    q = embedder.encode_query(texts).astype(np.float32)
    vectors = index.vectors
    scores = np.empty((len(q), len(vectors)), np.float32)
    for lo in range(0, len(vectors), 100_000):  # the exact scan, a block at a time (memory-mapped)
        scores[:, lo : lo + 100_000] = q @ np.asarray(vectors[lo : lo + 100_000]).T
    exact = np.argsort(-scores, axis=1)[:, :100]
    del scores
    out = {"kind": index.manifest["faiss"], "queries": len(q)}
    parts = index.faiss_index.parts
    for nprobe in (16, 32, 64) if hasattr(parts[0][0], "nprobe") else (None,):
        for p in parts:
            if nprobe and hasattr(p[0], "nprobe"):
                p[0].nprobe = nprobe
        ms, got = [], []
        for row in q:
            t = time.perf_counter()
            got.append(index.faiss_index.search(row[None, :], 100))
            ms.append((time.perf_counter() - t) * 1000)
        by_id = np.mean([len(set(a[:10]) & set(b[:10])) / 10 for a, b in zip(exact, got, strict=True)])
        by_chunk = np.mean([len(set(a % base_n) & set(b % base_n)) / len(set(a % base_n)) for a, b in zip(exact, got, strict=True)])
        out[f"nprobe{nprobe}" if nprobe else "exact"] = {"recall@10": round(float(by_id), 3),
                                                         "chunk_recall@100": round(float(by_chunk), 3),
                                                         "search_p50_p95_ms": percentiles(ms)}
    return out


# ---------------------------------------------------------------------------------------------- add


def step_add(root: Path, report_file: Path) -> dict:
    """Add one new report (a seed report with a line added, so it is new), change it, remove it."""
    from rag.embedding.embed import load_embedder
    from rag.store import layout, store
    from rag.store.store import add_reports, remove_report

    embedder = load_embedder()
    spent = {"embed": 0.0, "chunks": 0, "load": 0.0}
    original = type(embedder).encode_document

    def timed(self, texts, **kw):
        t = time.perf_counter()
        out = original(self, texts, **kw)
        spent["embed"] += time.perf_counter() - t
        spent["chunks"] += len(texts)
        return out

    type(embedder).encode_document = timed
    store.load_index = _timed(spent, "load", store.load_index)

    def files() -> dict:
        version = root / (root / "CURRENT").read_text().strip()
        return {p.relative_to(version): p.stat() for p in version.rglob("*") if p.is_file()}

    def written(before: dict) -> dict:
        """MB the write wrote, and MB it linked from the version before (the same file, by inode)."""
        after = files()
        linked = [p for p, st in after.items() if p in before and before[p].st_ino == st.st_ino]
        version = root / (root / "CURRENT").read_text().strip()
        return {"written_mb": round(sum(st.st_size for p, st in after.items() if p not in linked) / 2**20, 1),
                "linked_mb": round(sum(after[p].st_size for p in linked) / 2**20, 1),
                "segments": [(s["rows"], s["faiss"], len(s["dead"])) for s in
                             json.loads((version / "manifest.json").read_text())["segments"]]}

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        new = Path(tmp) / "新增报告.txt"
        text = report_file.read_text(encoding="utf-8")
        for step, body in (("add", text + "\n附：本报告为新增测试副本。\n"), ("change", text.replace("年", "年度", 3))):
            new.write_text(body, encoding="utf-8")
            spent.update(embed=0.0, chunks=0, load=0.0)
            before = files()
            t = time.perf_counter()
            result = add_reports(root, [new])
            total = time.perf_counter() - t
            assert (result.added if step == "add" else result.updated) == [new.name], result
            out[step] = {"s": round(total, 1), "load_s": round(spent["load"], 1), "embed_s": round(spent["embed"], 1),
                         "embedded_chunks": spent["chunks"]} | written(before)
        spent.update(load=0.0)
        before = files()
        t = time.perf_counter()
        remove_report(root, new.name)
        out["remove"] = {"s": round(time.perf_counter() - t, 1), "load_s": round(spent["load"], 1)} | written(before)
    del layout
    return out | {"peak_rss_mb": rss_mb()["VmHWM"]}


# ---------------------------------------------------------------------------------------------- main


def _child(*args: str) -> dict:
    cmd = [sys.executable, __file__, "--child", *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        return {"failed": done.returncode, "stderr": done.stderr[-3000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", help="an index of the 86 reports (default: built here with the default backend)")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--add-at", default="100000,1000000", help="sizes at which to time adding one report")
    ap.add_argument("--work", default=None, help="folder for the large indexes (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the large indexes")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "scale.json"))
    ap.add_argument("--store", help="also build and serve each size in this store (milvus:./x.db, milvus://host:19530) "
                    "and write its figures and its ratios to the folder store's beside them")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    import scale_store  # beside this script: the figures of another store (--store), and its ratios to the folder's

    if args.child:
        kind, *rest = args.child
        steps = {"build": lambda b, r, c: step_build(Path(b), Path(r), int(c)), "serve": lambda r: step_serve(Path(r)),
                 "add": lambda r, f: step_add(Path(r), Path(f)),
                 "build-store": lambda b, loc, f, c: scale_store.step_build_store(Path(b), loc, Path(f), int(c)),
                 "serve-store": lambda loc, f: scale_store.step_serve_store(loc, Path(f))}
        print(json.dumps(steps[kind](*rest), ensure_ascii=False))
        return

    from rag.store.store import add_reports, load_index

    paths = [ROOT / "seeds"] + ([Path(args.corpus)] if Path(args.corpus).exists() else [])
    work = Path(args.work or tempfile.mkdtemp(prefix="rag-scale-"))
    base = Path(args.base) if args.base else work / "base"
    if not args.base:
        add_reports(base, paths)
    base_chunks = len(load_index(base).chunks)
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    if results and "phase1" not in results and "vectors" in results:  # the store before segments, kept to compare
        results = {"phase1": results}
    results |= {"base_chunks": base_chunks, "cpus": os.cpu_count(), "sizes": results.get("sizes", [])}
    out.parent.mkdir(parents=True, exist_ok=True)
    for size in map(int, args.sizes.split(",")):
        copies = max(1, round(size / base_chunks))
        root = work / f"x{copies}"
        row = {"size": size, "copies": copies, "load_average": os.getloadavg()}
        row["build"] = _child("build", str(base), str(root), str(copies))
        if "failed" not in row["build"]:
            row["serve"] = _child("serve", str(root))
            if str(size) in args.add_at.split(","):
                row["add"] = _child("add", str(root), str(sorted((ROOT / "seeds").glob("*.txt"))[0]))
        if args.store and "failed" not in row["build"]:
            other = scale_store.store_for(args.store, work, copies)
            row["store"] = {"location": other, "build": _child("build-store", str(base), other, str(work / "files"), str(copies))}
            row["store"]["serve"] = _child("serve-store", other, str(work / "files"))
            row["store_vs_local"] = scale_store.ratios(row, row["store"])
        row["load_average_after"] = os.getloadavg()
        results["sizes"] = [r for r in results["sizes"] if r.get("size") != size] + [row]
        out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(json.dumps(row, ensure_ascii=False), flush=True)
        if not args.keep:
            import shutil

            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
