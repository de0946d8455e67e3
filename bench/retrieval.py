"""What BM25 should read for a parsed question: the product's choice against two others, on lookups with evidence.

    python bench/retrieval.py --index DIR

Lookups of bench/probes/probe_A.jsonl and bench/answerability.jsonl (written from the reports, everyday words
included). Prints hit@1, hit@5 and MRR for: the question's words alone (`rag search`), every name of every
content word (Query.search_text), and the question's words with its metric's report name (what `ask` uses).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import retrieval as S  # noqa: E402
from rag.answer.answer import with_report_years  # noqa: E402
from rag.app.evaluate import evaluate, load_questions  # noqa: E402
from rag.question.parse import parse, replay  # noqa: E402
from rag.store.store import load_index  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--index", required=True)
    args = p.parse_args()
    index = load_index(args.index)
    files = [ROOT / "bench" / "probes" / "probe_A.jsonl", ROOT / "bench" / "answerability.jsonl"]
    questions = [q for f in files for q in load_questions(f) if q["type"] == "lookup" and q.get("evidence")]
    history = {q["question"]: q.get("history", []) for q in questions}

    def query_of(text):
        return with_report_years(index, parse(text, index, replay(index, history[text])), None)

    def ranked(lexical):
        def run(text, k):
            q = query_of(text)
            regions = set(q.regions) or (set(q.scope.regions) if q.scope.previous or q.scope.within else set())
            return S._ranked(index, lexical(q), S.dense_text(q), k, regions, set(q.period.report_years or ()), "hybrid", None)
        return run

    choices = {
        "question words alone (rag search)": lambda text, k: S.search(index, text, k=k),
        "every name of every term": ranked(lambda q: q.search_text if q.language == "zh" else f"{q.search_text} {q.text}"),
        "question words + metric's report name (ask)": lambda text, k: S.retrieve(index, query_of(text), k=k),
    }
    print(f"{len(questions)} lookups with evidence, index {args.index}")
    for name, fn in choices.items():
        o = evaluate(index, questions, fn, k=5)["overall"]
        print(f"  {name:45s} hit@1 {o['hit@1']:3d}  hit@5 {o['hit@5']:3d}  MRR {o['mrr']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
