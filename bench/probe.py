"""Score a probe (questions written from the report texts) by question kind: answers, not-found, citations.

    python bench/probe.py PROBE.jsonl --index DIR [--out results.json] [--show]

A probe line is a `rag eval` question plus `kind` (lookup_everyday, superlative, followup …), optional
`history` (the earlier questions of the conversation) and optional `must_not_contain`. A question is right
when the answer holds every `must_contain` string and does not lead with a `must_not_contain` one; an unanswerable one is
right when it is declared not found and cites nothing. Prints one line per kind and the misses.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer.answer import ask  # noqa: E402
from rag.app.evaluate import citations_valid, load_questions  # noqa: E402
from rag.store.backend import open_store  # noqa: E402
from rag.store.store import load_index  # noqa: E402


def answer_with_history(index, question: str, history: list[str]):
    """Ask `question` after `history`, the way the chat does (older code without follow-ups: asked alone)."""
    if "history" not in inspect.signature(ask).parameters:
        return ask(index, question)
    return ask(index, question, history=history)


def score(q: dict, answer) -> bool:
    if q.get("type") == "unanswerable":
        return answer.mode == "not_found" and not answer.citations
    text = answer.answer
    lead = text.split("“")[0]  # a wrong figure may stand in a quoted sentence; it must not lead the answer
    return (
        answer.mode != "not_found"
        and all(s in text for s in q.get("must_contain", []))
        and not any(s in lead for s in q.get("must_not_contain", []))
    )


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("probe")
    p.add_argument("--index", help="an index folder")
    p.add_argument("--store", help="or where the index is: a folder, milvus:./x.db, milvus://host:19530")
    p.add_argument("--out")
    p.add_argument("--show", action="store_true", help="print every answer's first lines")
    args = p.parse_args()
    if not (args.index or args.store):
        p.error("give --index FOLDER or --store LOCATION")
    index = open_store(args.store).load() if args.store else load_index(args.index)
    rows = []
    for q in load_questions(args.probe):
        answer = answer_with_history(index, q["question"], q.get("history", []))
        valid, total = citations_valid(index, answer)
        rows.append({**q, "ok": score(q, answer), "mode": answer.mode, "got": answer.answer, "valid": valid, "total": total})
    by_kind = defaultdict(list)
    for r in rows:
        by_kind[r.get("kind", r["type"])].append(r)
    answerable = [r for r in rows if r["type"] != "unanswerable"]
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    false_nf = sum(1 for r in answerable if r["mode"] == "not_found")
    false_ans = sum(1 for r in unanswerable if r["mode"] != "not_found")
    print(f"{args.probe}: {sum(r['ok'] for r in rows)}/{len(rows)} right")
    print(f"  false not-found {false_nf}/{len(answerable)} answerable; false answers {false_ans}/{len(unanswerable)} unanswerable")
    print(f"  citations valid {sum(r['valid'] for r in rows)}/{sum(r['total'] for r in rows)}")
    for kind, rs in sorted(by_kind.items()):
        print(f"  {kind:18s} {sum(r['ok'] for r in rs)}/{len(rs)}")
    for r in rows:
        if not r["ok"] or args.show:
            first = r["got"].split("\n来源：")[0].replace("\n", " ")[:160]
            hist = f" (after {r['history']})" if r.get("history") else ""
            print(f"{'  ok ' if r['ok'] else 'MISS '}{r['id']} [{r.get('kind')}] {r['question']}{hist}\n      want {r.get('must_contain')} got {r['mode']}: {first}")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
