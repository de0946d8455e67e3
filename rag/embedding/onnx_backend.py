"""The ONNX backend: a sentence-transformers model exported once to ONNX and run with onnxruntime.

`export_onnx` traces the model (transformer + pooling, in one graph) with `torch.onnx.export`,
optionally quantises its weights to int8 (onnxruntime `quantize_dynamic`, per output channel),
checks the result against the torch model on a padded batch, and only then renames the folder into
place: a half-written or wrong export is never loaded. The folder holds everything encoding needs
(model.onnx, tokenizer.json, onnx_config.json), so encoding imports neither torch nor transformers.

Measured on 160 chunks of the 86 reports (bench/results/bench.md, one run, two shared cores): onnx fp32
gives the torch vectors (cosine 1.0000) 1.3x as fast; int8 per channel 2.5x (2.8x in CPU time), cosine to
torch mean 0.997, min 0.994 (per-tensor int8: mean 0.986); one short query takes 4 ms instead of 34 ms.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer
from tqdm import tqdm

from rag.embedding.e5_rebuild import publish
from rag.errors import RagError

log = logging.getLogger(__name__)

# Bump when the export recipe changes, so stale cached exports are not reused.
EXPORT_REVISION = 1
OPSET = 17
# The checks an export must pass before it is used: cosine to the torch model's vectors on the probes.
# A broken graph lands far below these; int8 noise does not: e5 0.995, the 6-layer all-MiniLM-L6-v2 0.971
# (on the one-character Chinese probe, a language it does not know).
MIN_COSINE = {"fp32": 0.9999, "int8": 0.95}
_PROBES = [
    "passage: 全年受理法律援助案件321件，人民调解化解率达97.5%。",
    "passage: （一）健全矛盾纠纷多元化解机制",
    "query: How many legal aid cases did Jinghu district accept?",
    "passage: 短",
]


def export_onnx(st_model, final: Path, int8: bool, source: str = "", fp32_file: Path | None = None) -> Path:
    """Export a loaded SentenceTransformer (Transformer → mean or CLS pooling [→ Normalize]) to `final`.

    `source` names the model in the export's config; `fp32_file`, when it exists, is an fp32 export
    to quantise instead of tracing the model again.
    Works in a temporary folder beside `final` and renames it into place, as the e5 rebuild does.
    Raises RagError for a model the exporter does not handle (another pooling, no fast tokenizer).
    """
    config = _export_config(st_model, source)
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_exports(final)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    log.info("exporting %s to ONNX%s (once; under a minute)", config["source"], " int8" if int8 else "")
    try:
        out = work / "model"
        out.mkdir()
        fp32 = fp32_file if fp32_file and fp32_file.is_file() else work / "fp32.onnx"
        if not fp32.is_file():
            _trace(st_model, config["pooling"], fp32)
        if int8:
            _quantize(fp32, out / "model.onnx")
        elif fp32.parent == work:
            os.replace(fp32, out / "model.onnx")
        else:
            shutil.copy(fp32, out / "model.onnx")
        _save_tokenizer(st_model.tokenizer, out / "tokenizer.json")
        config["dtype"] = "int8" if int8 else "fp32"
        (out / "onnx_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n")
        _check_against_torch(st_model, OnnxEncoder(out, threads=1), MIN_COSINE[config["dtype"]])
        publish(out, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _save_tokenizer(tokenizer, path: Path) -> None:
    """The fast tokenizer's own pipeline (normaliser, pieces, special tokens), without the padding
    or truncation state transformers leaves on it; `OnnxEncoder` sets truncation itself."""
    copy = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    copy.no_padding()
    copy.no_truncation()
    copy.save(str(path))


def _export_config(st_model, source: str) -> dict:
    modules = list(st_model)
    if not modules or not hasattr(modules[0], "auto_model") or getattr(st_model, "tokenizer", None) is None:
        raise RagError("the ONNX backend exports transformer models only; use --backend torch for this model")
    pooling = "mean"
    if len(modules) > 1 and type(modules[1]).__name__ == "Pooling":
        cfg = modules[1].get_config_dict()
        pooling = cfg.get("pooling_mode") or ("cls" if cfg.get("pooling_mode_cls_token") else
                                              "mean" if cfg.get("pooling_mode_mean_tokens") else "?")
        if pooling not in ("mean", "cls") or cfg.get("include_prompt") is False:
            raise RagError(f"the ONNX backend handles mean or CLS pooling, not {cfg}; use --backend torch")
    if not hasattr(st_model.tokenizer, "backend_tokenizer"):
        raise RagError("the ONNX backend needs a fast (tokenizers) tokenizer; use --backend torch")
    return {
        "source": source,
        "pooling": pooling,
        "prompts": dict(st_model.prompts or {}),
        "max_seq_length": int(st_model.max_seq_length),
        "dim": int(modules[0].auto_model.config.hidden_size),
        "pad_id": int(st_model.tokenizer.pad_token_id or 0),
        "revision": EXPORT_REVISION,
    }


def _trace(st_model, pooling: str, path: Path) -> None:
    """transformer + pooling → one ONNX graph: (input_ids, attention_mask) → (batch, dim) float32."""
    import torch  # lazy: PyTorch takes ~0.8 s to import, and only the one-off export traces with it

    bert = st_model[0].auto_model
    with contextlib.suppress(Exception):  # plain matmul + softmax attention: what onnxruntime fuses
        bert.set_attn_implementation("eager")

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if pooling == "cls":
                return hidden[:, 0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {"batch": 0, "tokens": 1}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shape-dependent Python branches
        torch.onnx.export(
            Pooled().eval(),
            (ids, torch.ones_like(ids)),
            str(path),
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, and it is what quantize expects
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {v: k for k, v in axes.items()},
                "attention_mask": {v: k for k, v in axes.items()},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
        )


def _quantize(src: Path, dest: Path) -> None:
    """int8 weights, per output channel (cosine to fp32 0.997 vs 0.986 per tensor, same speed), 7-bit
    range so the u8 x s8 kernels of CPUs without VNNI cannot saturate (costs 0.0002 of cosine)."""
    # lazy: onnxruntime.quantization imports onnx; only the one-off export quantises
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic warns on the root logger to "consider pre-processing"
    try:
        quantize_dynamic(
            str(src),
            str(dest),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            extra_options={"DefaultTensorType": 1},  # float, for outputs shape inference leaves untyped
        )
    finally:
        root.setLevel(level)


def _check_against_torch(st_model, encoder: OnnxEncoder, min_cosine: float) -> None:
    """Refuse an export whose vectors differ from the torch model's on a padded batch of probes."""
    reference = st_model.encode(_PROBES, batch_size=len(_PROBES), convert_to_numpy=True)
    got = encoder.encode(_PROBES, batch_size=len(_PROBES))
    reference = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    got = got / np.linalg.norm(got, axis=1, keepdims=True)
    cosine = float((reference * got).sum(axis=1).min())
    if not cosine >= min_cosine:
        raise RagError(f"ONNX export does not reproduce the torch model (cosine {cosine:.4f} < {min_cosine})")


def _remove_stale_exports(final: Path, older_than_s: float = 3600) -> None:
    for leftover in final.parent.glob(f".{final.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime > older_than_s:
                shutil.rmtree(leftover, ignore_errors=True)


class OnnxEncoder:
    """An exported folder run by onnxruntime, with the part of SentenceTransformer's API that
    `rag.embedding.embed.Embedder` calls (`encode`, `prompts`, `get_embedding_dimension`).

    Texts are tokenised once, sorted by length and batched, so a batch pads to its own longest text.
    `single_threaded()` switches to a one-thread session (made on first use) for short queries.
    `spin` lets idle worker threads spin-wait (onnxruntime's default), for measuring only.
    """

    def __init__(self, folder: Path, threads: int, spin: bool = False):
        self.folder = Path(folder)
        self.config = json.loads((self.folder / "onnx_config.json").read_text())
        self.prompts = self.config["prompts"]
        self.dtype = self.config["dtype"]
        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.config["max_seq_length"])
        self.tokenizer.no_padding()
        self._pad = self.config["pad_id"]  # masked out: any id would do, the model's own is the plain choice
        self._threads = threads
        self._spin = spin
        self._sessions: dict[int, object] = {}
        self._one_thread = False

    def get_embedding_dimension(self) -> int:
        return int(self.config["dim"])

    @contextlib.contextmanager
    def single_threaded(self):
        was, self._one_thread = self._one_thread, True
        try:
            yield
        finally:
            self._one_thread = was

    def _session(self):
        threads = 1 if self._one_thread else self._threads
        if threads not in self._sessions:
            import onnxruntime as ort  # lazy: an index loads (rag docs, rag check) without encoding anything

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            # Idle threads sleep instead of spinning: on two cores shared with other work, spinning
            # threads burn the time the others need (int8, 2 threads, a busy machine: 1.2-1.4x faster).
            options.add_session_config_entry("session.intra_op.allow_spinning", "1" if self._spin else "0")
            self._sessions[threads] = ort.InferenceSession(
                str(self.folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
        return self._sessions[threads]

    def encode(
        self,
        texts: list[str],
        prompt_name: str | None = None,
        batch_size: int = 8,
        show_progress_bar: bool = False,
        convert_to_numpy: bool = True,
    ) -> np.ndarray:
        prompt = self.prompts.get(prompt_name, "") if prompt_name else ""
        encodings = self.tokenizer.encode_batch([prompt + t for t in texts])
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        out = np.zeros((len(texts), self.get_embedding_dimension()), np.float32)
        session = self._session()
        starts = range(0, len(order), batch_size)
        if show_progress_bar:
            starts = tqdm(starts, desc="Batches")
        for start in starts:
            rows = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.full((len(rows), width), self._pad, np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            out[rows] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out
