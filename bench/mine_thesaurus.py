"""Candidate synonym pairs for rag/data/thesaurus.tsv, mined from an index's fact metrics.

    python bench/mine_thesaurus.py --index DIR [--top 80]

Distinct metric phrases of at least 3 reports' facts are paired when they share a unit kind and are close
by characters (bigram Jaccard) and in meaning (their vectors in rag/store/metric_vectors.py), but the thesaurus
does not yet give them one canonical name. The pairs are candidates to read, not to paste: keep by hand
the ones that name one figure (本地生产总值 / 地区生产总值), drop the near ones (化解率 / 调解率).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer.match import canonical_metric  # noqa: E402
from rag.documents.facts import base_unit  # noqa: E402
from rag.store.store import load_index  # noqa: E402


def unit_kind(unit: str) -> str:
    base = base_unit(unit)
    return "rate" if unit in ("%", "个百分点") else "money" if base.endswith("元") else base or "bare"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--index", required=True)
    p.add_argument("--top", type=int, default=80)
    p.add_argument("--min-reports", type=int, default=3)
    args = p.parse_args()
    index = load_index(args.index)
    docs, kinds = defaultdict(set), defaultdict(set)
    for f in index.facts:
        docs[f.metric].add(f.doc)
        kinds[f.metric].add(unit_kind(f.unit))
    phrases = [m for m, d in docs.items() if len(d) >= args.min_reports and len(m) >= 3 and m in index.metric_vectors.rows]
    vectors = index.metric_vectors.matrix[[index.metric_vectors.rows[m] for m in phrases]]
    cos = vectors @ vectors.T
    pairs = []
    for i in range(len(phrases)):
        for j in range(i + 1, len(phrases)):
            a, b = phrases[i], phrases[j]
            if canonical_metric(a) == canonical_metric(b) or not kinds[a] & kinds[b]:
                continue
            ba, bb = {a[k : k + 2] for k in range(len(a) - 1)}, {b[k : k + 2] for k in range(len(b) - 1)}
            jaccard = len(ba & bb) / len(ba | bb)
            pairs.append((0.5 * float(cos[i, j]) + 0.5 * jaccard, float(cos[i, j]), jaccard, a, b))
    pairs.sort(reverse=True)
    print(f"{len(phrases)} metric phrases in ≥{args.min_reports} reports; top candidate pairs (score, cosine, jaccard):")
    for score, c, jac, a, b in pairs[: args.top]:
        print(f"{score:.3f}  {c:.3f}  {jac:.2f}  {a}  ~  {b}  ({len(docs[a])}/{len(docs[b])} reports)")
    return 0


if __name__ == "__main__":
    sys.exit(main() if np else 1)
