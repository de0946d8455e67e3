"""Score retrieval and answers on a questions file (format: ../shared/eval/README.md)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from rag.answer.answer import with_report_years
from rag.question.parse import parse, replay
from rag.retrieval import retrieve
from rag.store.store import Index
from rag.types import Answer, Hit


def load_questions(path: str | Path) -> list[dict]:
    """One JSON object a line: id, question, type, answer, must_contain, evidence."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{n}: not JSON ({err.msg})") from err
    return rows


def retrieve_for(index: Index, question: str, k: int, method: str = "hybrid", history: list[str] | None = None) -> list[Hit]:
    """The passages `ask` retrieves for `question`: parsed, then searched (rag/retrieval.py `retrieve`)."""
    query = with_report_years(index, parse(question, index, replay(index, history or [])), None)
    return retrieve(index, query, k=k, method=method)


def first_hit_rank(question: dict, hits: list[Hit]) -> int | None:
    """1-based rank at which the evidence is covered, or None.

    Every evidence item must appear in some passage up to that rank; for `compare` questions only
    the first (decisive) item counts.
    """
    evidence = question.get("evidence") or []
    if question.get("type") == "compare":
        evidence = evidence[:1]
    if not evidence:
        return None
    worst = 0
    for item in evidence:
        rank = next((h.rank for h in hits if h.chunk.doc == item["doc"] and item["quote"] in h.chunk.text), None)
        if rank is None:
            return None
        worst = max(worst, rank)
    return worst


def answer_correct(question: dict, answer: Answer) -> bool:
    """All `must_contain` strings are in the answer; unanswerable ones must be declared not found."""
    if question.get("type") == "unanswerable":
        return answer.mode == "not_found" and not answer.citations
    return answer.mode != "not_found" and all(s in answer.answer for s in question.get("must_contain", []))


def citations_valid(index: Index, answer: Answer) -> tuple[int, int]:
    """(valid, total) cited quotes that are verbatim at their offsets in the cited report."""
    valid = 0
    for c in answer.citations:
        report = index.reports.get(c.doc)
        if report is not None and report.text[c.start : c.end] == c.quote and c.quote:
            valid += 1
    return valid, len(answer.citations)


def evaluate(
    index: Index,
    questions: list[dict],
    search_fn: Callable[[str, int], list[Hit]],
    ask_fn: Callable[[str], Answer] | None = None,
    k: int = 5,
) -> dict:
    """Retrieval hit@1/3/k and MRR (answerable questions), answer accuracy and citation validity."""
    per_question = []
    for q in questions:
        hits = search_fn(q["question"], max(k, 10))
        row = {"id": q["id"], "type": q["type"], "question": q["question"]}
        if q.get("evidence"):
            row["rank"] = first_hit_rank(q, hits)
        if ask_fn is not None:
            answer = ask_fn(q["question"])
            row["correct"] = answer_correct(q, answer)
            row["citations"] = citations_valid(index, answer)
            row["mode"] = answer.mode
            row["answer"] = answer.answer
        per_question.append(row)
    return {"k": k, "overall": _summary(per_question, k), "by_type": _by_type(per_question, k), "questions": per_question}


def _summary(rows: list[dict], k: int) -> dict:
    answerable = [r for r in rows if "rank" in r]
    ranks = [r["rank"] for r in answerable]
    out = {"questions": len(rows), "answerable": len(answerable)}
    for cut in sorted({1, 3, k}):
        out[f"hit@{cut}"] = sum(1 for r in ranks if r is not None and r <= cut)
    out["mrr"] = round(sum(1 / r for r in ranks if r is not None) / len(ranks), 4) if ranks else 0.0
    if rows and "correct" in rows[0]:
        out["answer_accuracy"] = sum(r["correct"] for r in rows)
        valid = sum(r["citations"][0] for r in rows)
        total = sum(r["citations"][1] for r in rows)
        out["citations_valid"] = valid
        out["citations_total"] = total
        out["citation_validity"] = round(valid / total, 4) if total else 1.0
    return out


def _by_type(rows: list[dict], k: int) -> dict:
    groups = defaultdict(list)
    for r in rows:
        groups[r["type"]].append(r)
    return {t: _summary(rs, k) for t, rs in sorted(groups.items())}


def format_report(result: dict) -> str:
    """Human-readable lines for `rag eval`."""
    lines = []
    for name, s in [("全部", result["overall"])] + list(result["by_type"].items()):
        parts = [f"{name}: {s['questions']} 题"]
        if s["answerable"]:
            parts.append(
                " ".join(f"{key} {s[key]}/{s['answerable']}" for key in s if key.startswith("hit@")) + f" MRR {s['mrr']}"
            )
        if "answer_accuracy" in s:
            parts.append(f"答案正确 {s['answer_accuracy']}/{s['questions']}")
            parts.append(f"引用有效 {s['citations_valid']}/{s['citations_total']}")
        lines.append("  ".join(parts))
    misses = [r for r in result["questions"] if ("rank" in r and (r["rank"] or 99) > result["k"]) or r.get("correct") is False]
    for r in misses:
        lines.append(f"  未命中 {r['id']} ({r['type']}) rank={r.get('rank')} {r['question']}")
    return "\n".join(lines)


# ---------------------------------------------------------------- question reading

PARSE_FIELDS = ("intent", "descending", "top", "threshold", "metric", "field", "measure", "unit", "regions",
                "unknown_places", "scope", "years", "all_years", "language")


def parse_case_fields(case: dict, query) -> dict[str, bool]:
    """Which of a parse case's expected fields the Query got right (only the fields the case gives)."""
    want, got = case["expect"], query
    out = {}
    for name in PARSE_FIELDS:
        if name not in want:
            continue
        w = want[name]
        if name == "threshold":
            t = got.threshold
            out[name] = t is not None and t.op == w["op"] and abs(t.value - w["value"]) <= 0.01 * abs(w["value"]) + 1e-9 and (
                not w.get("unit") or t.unit == w["unit"])
        elif name == "metric":
            forms = [f for f in (got.metric, *got.metric_forms) if f]
            out[name] = any(e and (e in f or f in e and len(f) >= 2) for e in w for f in forms)
        elif name == "regions":
            out[name] = sorted(got.regions) == sorted(w)
        elif name == "unknown_places":
            out[name] = len(got.unknown_places) == len(w) and all(any(e[:2] in g for g in got.unknown_places) for e in w)
        elif name == "scope":
            s = got.scope
            out[name] = (w.get("level", "") == s.level and w.get("within", "")[:2] == s.within[:2]
                         and bool(w.get("previous", False)) == s.previous)
        elif name == "years":
            out[name] = list(got.period.years) == list(w)
        elif name == "all_years":
            out[name] = got.period.all_years == bool(w)
        else:
            out[name] = getattr(got, name) == w
    return out


def parse_accuracy(index: Index, cases: list[dict]) -> dict:
    """Per field: how many cases read it right, of those that give it; plus the cases with a wrong field."""
    totals: dict[str, list[int]] = {}
    wrong = []
    for case in cases:
        query = parse(case["question"], index, replay(index, case.get("history", [])))
        fields = parse_case_fields(case, query)
        for name, ok in fields.items():
            totals.setdefault(name, [0, 0])
            totals[name][0] += ok
            totals[name][1] += 1
        bad = [n for n, ok in fields.items() if not ok]
        if bad:
            wrong.append({"id": case["id"], "question": case["question"], "fields": bad, "got": query.to_json()})
    all_right = len(cases) - len(wrong)
    return {"cases": len(cases), "all_fields_right": all_right,
            "fields": {n: {"right": r, "total": t} for n, (r, t) in totals.items()}, "wrong": wrong}


def format_parse_report(result: dict) -> str:
    """Human-readable lines for `rag eval --parse`: accuracy per field."""
    lines = [f"问题理解: {result['cases']} 题，全部字段正确 {result['all_fields_right']}"]
    for name, f in result["fields"].items():
        lines.append(f"  {name}: {f['right']}/{f['total']}")
    return "\n".join(lines)
