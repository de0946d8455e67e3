"""Unanswerable look-alikes generated from answerable probe questions, for calibrating the not-found decision.

    python bench/lookalikes.py --index DIR [--out bench/calibration/lookalikes.jsonl]

Hand-written probes hold a few hundred questions, a quarter of them unanswerable: too few to set a threshold for
"false answers ≤ 5%". Every answerable lookup of probes A–G is the seed of up to three questions that look the
same and that the reports do not answer, each checked against the report texts (not against the system):
- **sibling metric**: the metric swapped for one that other reports give, in the same unit, that none of this
  region's reports names in any of its thesaurus names (地区生产总值 → 一般公共预算支出);
- **year**: the year swapped for one no report of the region speaks of (2024 → 2017);
- **region**: the place swapped for a division of the same level with no report in the index.
Output lines are probe lines (`type` unanswerable, `kind` the swap, `seed` the question it came from); the
answerable seeds are written too, so the file is a calibration set on its own.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.app.evaluate import load_questions  # noqa: E402
from rag.documents.facts import base_unit  # noqa: E402
from rag.language.divisions import divisions  # noqa: E402
from rag.language.periods import planned_years, reviewed_years  # noqa: E402
from rag.language.thesaurus import load_thesaurus  # noqa: E402
from rag.question.parse import parse  # noqa: E402
from rag.store.store import load_index  # noqa: E402

PROBES = sorted((ROOT / "bench" / "probes").glob("probe_*.jsonl"))
SEED_KINDS = ("lookup_official", "lookup_everyday", "neighbour", "near_figure", "english")


def seeds() -> list[dict]:
    out = []
    for path in PROBES:
        for q in load_questions(path):
            if q.get("type") == "lookup" and q.get("kind") in SEED_KINDS and not q.get("history"):
                out.append(q)
    return out


def unit_kind(unit: str) -> str:
    base = base_unit(unit)
    return "rate" if unit in ("%", "‰", "个百分点") else "money" if base.endswith("元") else base or "bare"


def metric_pool(index) -> dict[str, list[str]]:
    """Unit kind → metric phrases that several reports give (things a user might plausibly ask about)."""
    by_region: dict[str, set[tuple[str, str]]] = {}
    for f in index.facts:
        by_region.setdefault(f.region, set()).add((unit_kind(f.unit), f.metric))
    counts: Counter[tuple[str, str]] = Counter(pair for pairs in by_region.values() for pair in pairs)
    pool: dict[str, list[str]] = {}
    for (kind, metric), n in counts.items():
        if n >= 3 and 3 <= len(metric) <= 10 and re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]+", metric):
            pool.setdefault(kind, []).append(metric)
    return pool


def texts_of(index, region: str) -> str:
    return "\n".join(r.text for r in index.reports.values() if r.region == region)


def names_of(metric: str) -> tuple[str, ...]:
    group = load_thesaurus().group(metric)
    return group.words if group else (metric,)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index", required=True)
    p.add_argument("--out", default=str(ROOT / "bench" / "calibration" / "lookalikes.jsonl"))
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    rng = random.Random(args.seed)
    index = load_index(args.index)
    pool = metric_pool(index)
    indexed = set(index.regions)
    spare = {level: [pl.name for pl, _ in divisions() if pl.level == level and pl.name not in indexed]
             for level in ("province", "city", "county")}
    out, made = [], Counter()
    for q in seeds():
        query = parse(q["question"], index)
        out.append({**q, "seed": q["id"]})
        text = q["question"]
        region = query.regions[0] if len(query.regions) == 1 else ""
        if not region or query.language != "zh":
            continue
        own = texts_of(index, region)
        # sibling metric: swap the words of the asked metric as written for a phrase the region never names
        written = next((w for w in sorted({query.metric, *query.metric_forms}, key=len, reverse=True) if w and w in text), "")
        if written:
            kind = next((unit_kind(f.unit) for s in q.get("must_contain", []) for f in [_fact_like(s)] if f), "")
            candidates = [m for m in pool.get(kind, []) if m != written and not any(n in own for n in names_of(m))
                          and not any(n in m or m in n for n in names_of(written))]
            if candidates:
                sibling = rng.choice(sorted(candidates))
                out.append(_lookalike(q, text.replace(written, sibling, 1), "sibling_metric", f"{region}的报告没有“{sibling}”"))
                made["sibling_metric"] += 1
        # year: one no report of the region speaks of
        years = re.findall(r"(?<!\d)((?:19|20)\d\d)(?=\s*年)", text)
        if years:
            spoken = {y for r in index.reports.values() if r.region == region for y in (*reviewed_years(r), *planned_years(r))}
            free = [y for y in range(2012, 2020) if y not in spoken]
            if free:
                year = rng.choice(free)
                out.append(_lookalike(q, text.replace(years[0], str(year), 1), "year", f"没有{region}{year}年的报告"))
                made["year"] += 1
        # region: a division of the same level with no report
        place = index.gazetteer().regions.get(region)
        mention = next((m for m in index.gazetteer().find(text) if m.region == region), None)
        if place is not None and mention is not None and spare.get(place.level):
            other = rng.choice(spare[place.level])
            out.append(_lookalike(q, text[: mention.start] + other + text[mention.end :], "region", f"索引中没有{other}的报告"))
            made["region"] += 1
    for path in PROBES:  # the hand-written unanswerable ones too
        out += [{**q, "seed": q["id"]} for q in load_questions(path) if q.get("type") == "unanswerable" and not q.get("history")]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in out), encoding="utf-8")
    answerable = sum(q["type"] != "unanswerable" for q in out)
    print(f"{len(out)} questions ({answerable} answerable, {len(out) - answerable} not): generated {dict(made)} → {args.out}")
    return 0


def _fact_like(figure: str):
    from rag.documents.facts import extract_facts
    from rag.types import Chunk

    text = f"数值{figure}。"
    facts = extract_facts(Chunk("x", 0, len(text), text, (), "", "", None))
    return facts[0] if facts else None


def _lookalike(q: dict, question: str, kind: str, why: str) -> dict:
    return {"id": f"{q['id']}-{kind}", "kind": kind, "type": "unanswerable", "question": question,
            "answer": f"报告中没有：{why}", "must_contain": [], "evidence": [], "seed": q["id"]}


if __name__ == "__main__":
    sys.exit(main())
