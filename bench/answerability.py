"""Calibrate the answerability decision (rag/answer/support.py) on labelled questions, and print its curve.

    python bench/answerability.py --index DIR [--questions bench/answerability.jsonl] [--fit]

For every lookup question the best candidate sentence's evidence is collected; a logistic regression over
its features separates answerable questions from unanswerable ones. Prints, for each threshold, the
false "not found" (answerable questions refused) and false answers (unanswerable ones answered) apart,
and with --fit the fitted weights to put in rag/answer/support.py. Comparison questions are decided by whether a
report gives a figure of the metric (rag/answer/compare.py) and are counted, not fitted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer.answer import answer_query, best_evidence  # noqa: E402
from rag.answer.support import THRESHOLD, WEIGHTS, confidence  # noqa: E402
from rag.app.evaluate import load_questions  # noqa: E402
from rag.embedding.embed import load_embedder  # noqa: E402
from rag.question.parse import parse  # noqa: E402
from rag.retrieval import retrieve  # noqa: E402
from rag.store.store import load_index  # noqa: E402

FEATURES = [k for k in WEIGHTS if k != "bias"]


def collect(index, questions, embedder):
    rows = []
    for q in questions:
        query = parse(q["question"], index)
        label = q["type"] != "unanswerable"
        if query.comparison or query.intent in ("index", "summary") or query.unknown_places:
            answer = answer_query(index, query, embedder)
            rows.append({"id": q["id"], "label": label, "kind": "other", "answered": answer.mode != "not_found",
                         "right": _right(q, answer.answer) if answer.mode != "not_found" else False})
            continue
        from rag.answer.answer import with_report_years

        query = with_report_years(index, query, None)
        if query.period.report_years == () and query.regions:
            rows.append({"id": q["id"], "label": label, "kind": "other", "answered": False, "right": False})
            continue
        hits = retrieve(index, query, k=8, embedder=embedder)
        ev = best_evidence(index, query, hits, embedder) if hits else None
        if ev is None:
            rows.append({"id": q["id"], "label": label, "kind": "other", "answered": False, "right": False})
            continue
        sentence = index.reports[ev.hit.chunk.doc].text[ev.start : ev.end]
        rows.append({"id": q["id"], "label": label, "kind": "lookup", "features": ev.features(query),
                     "p": confidence(ev, query), "right": _right(q, sentence), "question": q["question"],
                     "sentence": sentence[:80]})
    return rows


def _right(q, text):
    return q["type"] != "unanswerable" and all(s in text for s in q.get("must_contain", []))


def fit(rows, l2=0.002, steps=20000, lr=0.5):
    rows = [r for r in rows if r["features"]["kind_ok"] > 0]  # the others are refused before the confidence
    x = np.array([[r["features"][f] for f in FEATURES] for r in rows])
    # an answerable question whose best sentence is wrong should not be answered either
    y = np.array([1.0 if r["label"] and r["right"] else 0.0 for r in rows])
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        w = np.maximum(0.0, w - lr * (x.T @ (p - y) / len(y) + l2 * w))  # more evidence never argues against
        b -= lr * float(np.mean(p - y))
    return {"bias": round(b, 3), **{f: round(float(v), 3) for f, v in zip(FEATURES, w, strict=True)}}


def curve(rows, weights):
    lookups = [r for r in rows if r["kind"] == "lookup"]
    others = [r for r in rows if r["kind"] == "other"]
    lines = []
    for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        false_nf = right = false_ans = 0
        for r in lookups:
            z = weights["bias"] + sum(weights[f] * r["features"][f] for f in FEATURES)
            answered = 1 / (1 + np.exp(-z)) >= t and r["features"]["kind_ok"] > 0
            if r["label"]:
                false_nf += not answered
                right += answered and r["right"]
            else:
                false_ans += answered
        for r in others:
            if r["label"]:
                false_nf += not r["answered"]
                right += r["answered"] and r["right"]
            else:
                false_ans += r["answered"]
        n_ans = sum(r["label"] for r in rows)
        n_un = len(rows) - n_ans
        lines.append(f"threshold {t:.1f}: false not-found {false_nf}/{n_ans}, false answers {false_ans}/{n_un}, "
                     f"answered right {right}/{n_ans}")
    return lines


def pipeline_curve(index, questions, thresholds=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8)) -> list[str]:
    """The whole answer, not the confidence alone, at each threshold: what a user would see. A question is
    answered right when it holds every must_contain figure (an answerable one), or is not found (an
    unanswerable one); a false answer is an unanswerable one answered."""
    import rag.answer.support
    from rag.answer.answer import ask

    lines, saved = [], rag.answer.support.THRESHOLD
    try:
        for t in thresholds:
            rag.answer.support.THRESHOLD = t
            by_kind: dict[str, list[int]] = {}
            false_nf = false_ans = right = wrong = 0
            for q in questions:
                answer = ask(index, q["question"])
                found = answer.mode != "not_found"
                if q["type"] == "unanswerable":
                    false_ans += found
                    by_kind.setdefault(q.get("kind", "?"), [0, 0])[0] += found
                    by_kind[q.get("kind", "?")][1] += 1
                else:
                    ok = found and all(x in answer.answer for x in q.get("must_contain", []))
                    right += ok
                    false_nf += not found
                    wrong += found and not ok
            n_ans = sum(q["type"] != "unanswerable" for q in questions)
            n_un = len(questions) - n_ans
            kinds = ", ".join(f"{k} {a}/{n}" for k, (a, n) in sorted(by_kind.items()))
            lines.append(f"threshold {t:.1f}: false answers {false_ans}/{n_un} ({100 * false_ans / max(n_un, 1):.1f}%: {kinds}); "
                         f"answerable: right {right}/{n_ans}, false not-found {false_nf}, wrong figure {wrong}")
    finally:
        rag.answer.support.THRESHOLD = saved
    return lines


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--index", required=True)
    p.add_argument("--questions", default=str(ROOT / "bench" / "answerability.jsonl"))
    p.add_argument("--fit", action="store_true")
    p.add_argument("--out")
    p.add_argument("--pipeline", action="store_true", help="also the whole answer's outcome at each threshold")
    args = p.parse_args()
    index = load_index(args.index)
    embedder = load_embedder(index.model)
    rows = collect(index, load_questions(args.questions), embedder)
    print(f"{len(rows)} questions: {sum(r['label'] for r in rows)} answerable, {sum(not r['label'] for r in rows)} not; "
          f"{sum(r['kind'] == 'lookup' for r in rows)} decided by the lookup evidence")
    print(f"current weights (threshold {THRESHOLD}):")
    print("\n".join("  " + line for line in curve(rows, WEIGHTS)))
    if args.fit:
        weights = fit([r for r in rows if r["kind"] == "lookup"])
        print("fitted weights:", json.dumps(weights, ensure_ascii=False))
        print("\n".join("  " + line for line in curve(rows, weights)))
    if args.pipeline:
        print("whole answers:")
        print("\n".join("  " + line for line in pipeline_curve(index, load_questions(args.questions))))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
