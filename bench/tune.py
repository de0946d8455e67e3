"""Tuning (not a test): chunk size and fusion weights, scored on the evaluation questions.

    python bench/tune.py [--sizes 200,360,600,1000] [--index DIR_OF_A_BIGGER_INDEX]

For each chunk size it builds an index of the seeds and prints retrieval hit@1/3/5 and MRR for BM25
alone, dense alone, and weighted reciprocal rank fusion at several dense weights. `--index` scores the
weights on an existing index too (e.g. the seeds plus ../shared/corpus, built with `rag index`).
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import retrieval as search_module  # noqa: E402
from rag.app.evaluate import evaluate, load_questions  # noqa: E402
from rag.documents import sections  # noqa: E402
from rag.retrieval import search  # noqa: E402
from rag.store import store  # noqa: E402

DENSE_WEIGHTS = (0.1, 0.2, 0.3, 0.6, 1.0)


def score_weights(index, questions, label: str) -> None:
    runs = [("bm25", "bm25", None), ("dense", "dense", None)]
    runs += [(f"rrf dense×{w}", "hybrid", w) for w in DENSE_WEIGHTS]
    for name, method, weight in runs:
        if weight is not None:
            search_module.DENSE_WEIGHT = weight
        ev = evaluate(index, questions, functools.partial(_search, index, method), k=5)
        o = ev["overall"]
        print(f"{label:>14} | {name:<14} | hit@1 {o['hit@1']:>5} hit@3 {o['hit@3']:>5} hit@5 {o['hit@5']:>5} MRR {o['mrr']:.3f}")


def _search(index, method, question, k):
    return search(index, question, k=k, method=method)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="200,360,600,1000")
    ap.add_argument(
        "--questions",
        default=f"{ROOT.parent / 'shared' / 'eval' / 'questions.jsonl'},{ROOT / 'bench' / 'calibration.jsonl'}",
        help="comma-separated question files, scored together",
    )
    ap.add_argument("--index", help="also score the fusion weights on this existing index")
    args = ap.parse_args()
    questions = [q for path in args.questions.split(",") for q in load_questions(path)]
    default_weight = search_module.DENSE_WEIGHT
    for size in [int(s) for s in args.sizes.split(",") if s]:
        store.chunk_report = functools.partial(sections.chunk_report, max_chars=size)
        with tempfile.TemporaryDirectory() as tmp:
            store.add_reports(tmp, [ROOT / "seeds"])
            index = store.load_index(tmp)
            score_weights(index, questions, f"seeds {size} ({len(index.chunks)})")
    if args.index:
        search_module.DENSE_WEIGHT = default_weight
        index = store.load_index(args.index)
        score_weights(index, questions, f"{len(index.reports)} reports")
    print(f"current: MAX_CHARS {sections.MAX_CHARS}, DENSE_WEIGHT {default_weight}, BM25_WEIGHT {search_module.BM25_WEIGHT}")


if __name__ == "__main__":
    main()
