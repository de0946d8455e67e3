"""The Milvus collections of one index, how rows go in and come out, and the writers' lock.

    <name>_meta      key → JSON: the manifest (model, backend, dim, chunker, facts version, version, next rid, regions)
    <name>_reports   a report version a row: rid (primary), doc, sha256, title, region, level, year, kind, the
                     versions it went live and left in (added, removed: 0 while live), its chunks, facts, pieces
    <name>_texts     each report version as JSON (rag.types.Report, its text included), in pieces (id rid·4096+k)
    <name>_chunks    a chunk a row (id rid·2²⁰+n): rid, n, doc, start, end, section, text, tokens (the jieba words
                     BM25 counts, JSON), region, level, year, kind, vector
    <name>_facts     a figure a row (id rid·2²⁰+n): rid, n, doc, section, metric, context, unit, qualifier, kind,
                     value, start, end (its sentence in the report), target, about, year
    <name>_metrics   a metric phrase a row: phrase (primary), vector, added, removed
    <name>_lock_<ms>_<hex>    a writer's claim on the write lock: an empty collection (see `lock`)

Milvus needs a vector field in every collection: those without one carry `_`, two zeros. A VARCHAR holds at
most 65,535 bytes, so report texts go in pieces of PIECE characters (at most 4 bytes each in UTF-8).
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from pymilvus import DataType, MilvusClient
from pymilvus.exceptions import MilvusException

from rag.errors import IndexBusyError, StoreUnavailableError
from rag.store.milvus.location import MilvusLocation

PIECE = 16_000  # characters of a report's JSON per row of <name>_texts: ≤ 64,000 bytes
# Rows per call. Reading, Milvus's most (16,384): each call of Milvus Lite's iterator costs ~0.3 s whatever its
# size, and 278k facts took 103 s in batches of 1,000, 17 s in batches of 16,384 (bench/results/scale_milvus.json).
# Writing, 4,000: a chunk row is ~5 KB with its vector, and a gRPC message must stay under Milvus's 64 MB.
READ_BATCH = 16_384
BATCH = 4_000
LOCK_LEASE_SECONDS = 600  # a claim older than this is a dead writer's: writes hold the lock for seconds
_ROW_BITS = 20  # rows of one report: chunks and facts ids are rid·2²⁰ + n (a report of 8 MB has ~45,000 chunks)
_ZERO = [0.0, 0.0]
_CLIENTS: dict[tuple[str, str], MilvusClient] = {}
_CLIENTS_LOCK = threading.Lock()
_LOADED: set[tuple[int, str]] = set()  # (client, index name) whose collections this process loaded

for _name in ("pymilvus", "milvus_lite"):  # their tracebacks on stderr would bury our one-line message
    logging.getLogger(_name).setLevel(logging.CRITICAL)


def connect(at: MilvusLocation, token: str | None) -> MilvusClient:
    """A client of `at`, one per process and location (Milvus Lite's file is opened once); a server that
    cannot be reached, or a Milvus Lite file another process holds, is `StoreUnavailableError` with the fix."""
    key = (at.uri, token or "")
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = _client(at, token)
        return _CLIENTS[key]


def _client(at: MilvusLocation, token: str | None) -> MilvusClient:
    try:
        return MilvusClient(uri=at.uri, token=token or "", timeout=30)
    except MilvusException as err:
        if at.lite:
            raise StoreUnavailableError(
                f"无法打开 Milvus Lite 文件 {at.uri}（{err.message}）：它一次只能由一个进程使用；多个进程共用时请启动"
                f" `milvus-lite server --data-dir {at.uri} --port 19530`，再用 --store milvus://127.0.0.1:19530"
            ) from None
        raise StoreUnavailableError(
            f"无法连接 Milvus 服务 {at.uri}（{err.message}）；请确认服务已启动、地址正确，"
            f"需要认证时给出 --store-token 用户:口令（或 $RAG_STORE_TOKEN）"
        ) from None


def chunk_id(rid: int, n: int) -> int:
    return (rid << _ROW_BITS) | n


def text_id(rid: int, k: int) -> int:
    return rid * 4096 + k


# ---------------------------------------------------------------------------------------------- schemas


def _fields(kind: str, dim: int) -> list[tuple]:
    text, short, long_ = (DataType.VARCHAR, {"max_length": 65535}), (DataType.VARCHAR, {"max_length": 256}), (
        DataType.VARCHAR, {"max_length": 4096})
    i64, ident = (DataType.INT64, {}), (DataType.INT64, {"is_primary": True})
    common = {
        "meta": [("key", DataType.VARCHAR, {"is_primary": True, "max_length": 64}), ("value", *text)],
        "reports": [("rid", *ident), ("doc", *long_), ("sha256", *short), ("title", *long_), ("region", *short),
                    ("level", *short), ("year", *i64), ("kind", *short), ("added", *i64), ("removed", *i64),
                    ("chunks", *i64), ("facts", *i64), ("pieces", *i64)],
        "texts": [("id", *ident), ("rid", *i64), ("text", *text)],
        "chunks": [("id", *ident), ("rid", *i64), ("n", *i64), ("doc", *long_), ("start", *i64), ("end", *i64),
                   ("section", *text), ("text", *text), ("tokens", *text), ("region", *short), ("level", *short),
                   ("year", *i64), ("kind", *short), ("vector", DataType.FLOAT_VECTOR, {"dim": dim})],
        "facts": [("id", *ident), ("rid", *i64), ("n", *i64), ("doc", *long_), ("section", *text), ("metric", *long_),
                  ("context", *long_), ("unit", *short), ("qualifier", *short), ("kind", *short),
                  ("value", DataType.DOUBLE, {}), ("start", *i64), ("end", *i64), ("target", DataType.BOOL, {}),
                  ("about", *i64), ("year", *i64)],
        "metrics": [("phrase", DataType.VARCHAR, {"is_primary": True, "max_length": 4096}),
                    ("vector", DataType.FLOAT_VECTOR, {"dim": dim}), ("added", *i64), ("removed", *i64)],
    }[kind]
    if kind not in ("chunks", "metrics"):
        common.append(("_", DataType.FLOAT_VECTOR, {"dim": 2}))
    return common


KINDS = ("meta", "reports", "texts", "chunks", "facts", "metrics")


def ensure(client: MilvusClient, name: str, dim: int) -> None:
    """Create the index's collections that are missing (vectors `dim` wide), each indexed and loaded."""
    for kind in KINDS:
        collection = f"{name}_{kind}"
        if client.has_collection(collection):
            continue
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        for field, dtype, params in _fields(kind, dim):
            schema.add_field(field, dtype, **params)
        index = client.prepare_index_params()
        vector = "vector" if kind in ("chunks", "metrics") else "_"
        # FLAT, inner product: the vectors are unit length (rag/embedding/embed.py), as in the folder store
        index.add_index(vector, index_type="FLAT", metric_type="IP")
        client.create_collection(collection, schema=schema, index_params=index, consistency_level="Strong")
        client.load_collection(collection)


def load(client: MilvusClient, name: str) -> bool:
    """Load the index's collections into memory (Milvus Lite and a restarted server start with them
    released; loading a loaded one is a no-op), once per process; whether the index has collections."""
    key = (id(client), name)
    if key in _LOADED:
        return True
    if not client.has_collection(f"{name}_meta"):
        return False
    for kind in KINDS:
        if client.has_collection(f"{name}_{kind}"):
            client.load_collection(f"{name}_{kind}")
    _LOADED.add(key)
    return True


def drop(client: MilvusClient, name: str) -> None:
    for kind in KINDS:
        client.drop_collection(f"{name}_{kind}")
    _LOADED.discard((id(client), name))


def insert(client: MilvusClient, collection: str, rows: list[dict], upsert: bool = False) -> None:
    """Insert (or upsert) `rows`, BATCH at a time; rows without a vector field get the placeholder."""
    for lo in range(0, len(rows), BATCH):
        batch = rows[lo : lo + BATCH]
        for row in batch:
            if "vector" not in row and "_" not in row:
                row["_"] = _ZERO
        (client.upsert if upsert else client.insert)(collection, batch)


def rows(client: MilvusClient, collection: str, fields: list[str], where: str = "") -> Iterator[dict]:
    """Every row of `collection` (matching `where`), `fields` of each."""
    for batch in batches(client, collection, fields, where):
        yield from batch


def batches(client: MilvusClient, collection: str, fields: list[str], where: str = "") -> Iterator[list[dict]]:
    """The rows of `collection` (matching `where`), READ_BATCH at a time."""
    found = client.query_iterator(collection, batch_size=READ_BATCH, filter=where, output_fields=fields)
    try:
        while True:
            batch = found.next()
            if not batch:
                return
            yield list(batch)
    finally:
        found.close()


def delete_rids(client: MilvusClient, name: str, rids: Iterable[int]) -> None:
    """Delete every row of the report versions `rids`: the report, its text pieces, chunks and facts."""
    rids = sorted(set(rids))
    for lo in range(0, len(rids), BATCH):
        listed = ", ".join(map(str, rids[lo : lo + BATCH]))
        for kind in ("texts", "chunks", "facts"):
            client.delete(f"{name}_{kind}", filter=f"rid in [{listed}]")
        client.delete(f"{name}_reports", filter=f"rid in [{listed}]")


# ---------------------------------------------------------------------------------------------- the lock


@contextmanager
def lock(client: MilvusClient, name: str, wait: float, say: Callable[[str], None] | None) -> Iterator[None]:
    """Hold the index's write lock, across processes and machines, waiting up to `wait` seconds.

    A writer claims the lock by creating a collection of its own, `<name>_lock_<ms>_<hex>`, then lists the
    claims: alone, it holds the lock; else it drops its claim and tries again after a random pause. Two
    writers cannot both find themselves alone, since each creates its claim before it lists (Milvus orders
    both); no two writers write to one collection, which Milvus Lite's server cannot take. A claim older than
    LOCK_LEASE_SECONDS (by the clock of the machine that made it) is a writer that died, and is dropped.
    """
    prefix = f"{name}_lock_"
    deadline, pause, told = time.monotonic() + wait, 0.05, False
    while True:
        mine = f"{prefix}{int(time.time() * 1000)}_{secrets.token_hex(4)}"
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("_", DataType.FLOAT_VECTOR, dim=2)
        client.create_collection(mine, schema=schema)
        others = [c for c in client.list_collections() if c.startswith(prefix) and c != mine]
        live = [c for c in others if not _stale(c, prefix)]
        for dead in set(others) - set(live):
            client.drop_collection(dead)
        if not live:
            break
        client.drop_collection(mine)
        if not told and say:
            say(f"索引 {name} 正由另一个写入进程更新，等待它完成…")
            told = True
        if time.monotonic() > deadline:
            raise IndexBusyError(f"Milvus 中的索引 {name} 被另一个写入进程占用超过 {wait:.0f} 秒；等它结束后重试"
                                 f"（写入进程若已退出，{LOCK_LEASE_SECONDS // 60} 分钟后锁自动失效）")
        time.sleep(pause * (1 + random.random()))
        pause = min(pause * 2, 1.0)
    try:
        yield
    finally:
        client.drop_collection(mine)


def _stale(collection: str, prefix: str) -> bool:
    try:
        made = int(collection[len(prefix):].split("_")[0]) / 1000
    except ValueError:
        return True
    return time.time() - made > LOCK_LEASE_SECONDS
