"""Write tests/data/catalog.jsonl: what the parse tests need to know of the 86 reports, without them.

    python bench/make_catalog.py [seeds ../shared/corpus]

One line a report: file name, title, region, year and the opening of its text (where a report says where
it is from), so question reading can be tested on a clean clone that has no ../shared.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.documents.ingest import find_report_files, read_report  # noqa: E402

OPENING = 600


def main() -> int:
    paths = sys.argv[1:] or [str(ROOT / "seeds"), str(ROOT.parent / "shared" / "corpus")]
    out = ROOT / "tests" / "data" / "catalog.jsonl"
    with open(out, "w", encoding="utf-8") as f:
        for file in find_report_files(paths):
            r = read_report(file)
            row = {"doc": r.doc, "title": r.title, "region": r.region, "year": r.year, "opening": r.text[:OPENING]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
