"""How much a phrase's vector depends on the batch it is embedded in (not a test).

    python bench/embedding_batches.py --index DIR [--phrases 400]

Embeds the first N metric phrases of an index batched, one at a time, and batched in reverse order, and prints
the largest cosine distance between the ways and their times. The int8 ONNX model quantises each batch's
activations together, so batched vectors move with their neighbours; fp32 models move far less.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.embedding.embed import load_embedder  # noqa: E402
from rag.store.store import load_index  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--phrases", type=int, default=400)
    args = ap.parse_args()
    index = load_index(args.index)
    names = list(index.metric_vectors.rows)[: args.phrases]
    embedder = load_embedder(index.model, index.backend)
    embedder.encode_query(names[:8])  # warm
    start = time.perf_counter()
    batched = embedder.encode_query(names)
    batched_s = time.perf_counter() - start
    start = time.perf_counter()
    alone = np.stack([embedder.encode_query([n])[0] for n in names])
    alone_s = time.perf_counter() - start
    again = np.stack([embedder.encode_query([n])[0] for n in names])
    reversed_ = embedder.encode_query(names[::-1])[::-1]
    print(f"{len(names)} phrases, {index.model}")
    print(f"batched vs alone:           max cosine distance {1 - np.min(np.sum(batched * alone, 1)):.4f}")
    print(f"batched vs batched reversed: max cosine distance {1 - np.min(np.sum(batched * reversed_, 1)):.4f}")
    print(f"alone vs alone again:       max cosine distance {1 - np.min(np.sum(alone * again, 1)):.6f}")
    print(f"time: batched {1000 * batched_s / len(names):.2f} ms a phrase, alone {1000 * alone_s / len(names):.2f} ms")


if __name__ == "__main__":
    main()
