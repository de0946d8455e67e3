"""An index as the store wrote it before segments (FORMAT 1), written from a loaded index: what tests of
reading old indexes start from. The code is the old `rag/store/store.py _write`, less the embedding."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import faiss
import numpy as np

from rag.documents.facts import FACTS_VERSION
from rag.documents.sections import CHUNKER_VERSION
from rag.store.integrity import file_records
from rag.store.metric_vectors import save_metric_vectors
from rag.store.store import Index, _build_bm25


def write_format1(index: Index, root: Path, checksums: bool = True) -> Path:
    """A FORMAT 1 copy of `index` at `root`; returns its version folder."""
    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-1-1"
    version = root / name
    version.mkdir(parents=True)
    chunks, facts, tokens = list(index.chunks), list(index.facts), list(index.tokens)
    vectors = np.asarray(index.vectors, np.float32)

    def lines(file: str, rows) -> None:
        with open(version / file, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")

    lines("reports.jsonl", (asdict(r) for r in index.reports.values()))
    lines("chunks.jsonl", (asdict(c) for c in chunks))
    lines("facts.jsonl", (asdict(f) for f in facts))
    lines("tokens.jsonl", tokens)
    np.save(version / "vectors.npy", vectors)
    save_metric_vectors(version, index.metric_vectors)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    faiss.write_index(flat, str(version / "faiss.index"))
    _build_bm25(tokens).save(str(version / "bm25"), show_progress=False)
    manifest = {
        "format": 1, "model": index.model, "backend": index.backend, "dim": vectors.shape[1],
        "chunker": CHUNKER_VERSION, "facts": FACTS_VERSION, "faiss": "flat", "chunks": len(chunks),
        "reports": {r.doc: {"sha256": r.sha256, "title": r.title, "region": r.region, "year": r.year}
                    for r in index.reports.values()},
        "rows": {"reports.jsonl": len(index.reports), "chunks.jsonl": len(chunks), "facts.jsonl": len(facts)},
        "sources": index.manifest.get("sources", []),
    }
    if checksums:
        manifest["files"] = file_records(version)
    (version / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (root / "CURRENT").write_text(name, encoding="utf-8")
    return version
