"""The Milvus store: an index in Milvus collections (rag/store/milvus/collections.py), as a Store (rag/store/backend.py).

Versions, as a folder has them, without rewriting what stays: every row of a report belongs to one report
version (its rid, given in write order); a report version records the index version it went live in and the
one it left in (`added`, `removed`), and the manifest row names the live index version. A write inserts its
new rows, marks the versions it replaces or removes, and only then moves the manifest on, one row: a reader
that read the manifest reads exactly that version's rows, whatever a writer does meanwhile. Rows left two
versions back are deleted by a later write; a reader that began before then finds a report short of rows,
and reads again.

Loading reads the live rows in write order (rid, n) as one segment (rag/store/milvus/rows.py) and assembles
the same Index a folder gives (rag/store/index.py): BM25 from the stored jieba words, dense search by FAISS
here (measured against Milvus's own search in bench/milvus_dense.py: exact FAISS in this process answers in a
fraction of a millisecond at 5,000 chunks, a search sent to Milvus in milliseconds, more than 100 ms with
Milvus Lite), the corrections in reports.csv applied.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from rag.documents.facts import FACTS_VERSION
from rag.documents.sections import CHUNKER_VERSION
from rag.errors import IndexDamagedError, IndexMismatchError, IndexNotFoundError
from rag.language.segmentation import segmenter_for
from rag.store.corrections import apply_corrections, read_corrections
from rag.store.dense import faiss_spec
from rag.store.index import Index, assemble
from rag.store.layout import Segment
from rag.store.lock import WAIT_SECONDS
from rag.store.metric_vectors import MetricVectors, build_metric_vectors
from rag.store.milvus import collections as mc
from rag.store.milvus.location import MilvusLocation, parse_location
from rag.store.milvus.rows import chunk_rows, fact_rows, report_of, report_rows, to_segment
from rag.store.segments import fact_samples, new_segment, read_reports, with_current_facts, with_regions
from rag.store.tables import Vocab
from rag.types import Report

FORMAT = "milvus-1"
STAMP_SECONDS = 1.0  # a server asks whether another process wrote at most this often (LiveIndex asks per question)
_RETRIES = 3


@dataclass(frozen=True)
class MilvusStore:
    """An index in Milvus at `at`; `path` is the folder of the files kept beside it (copies, audit log, reports.csv)."""

    at: MilvusLocation
    path: Path
    token: str | None = None
    _seen: dict = field(default_factory=dict, compare=False, repr=False)  # the last stamp, and when it was asked

    @classmethod
    def open(cls, location: str, files: Path | None = None, token: str | None = None) -> MilvusStore:
        at = parse_location(location)
        return cls(at, files or at.files(), token)

    @property
    def location(self) -> str:
        return self.at.text

    @property
    def name(self) -> str:
        return self.at.name

    def client(self):
        return mc.connect(self.at, self.token)

    # ------------------------------------------------------------------------------------------ reading

    def manifest(self) -> dict | None:
        client = self.client()
        if not mc.load(client, self.name):
            return None
        found = client.query(f"{self.name}_meta", filter='key == "manifest"', output_fields=["value"])
        return json.loads(found[0]["value"]) if found else None

    def version(self) -> str | None:
        manifest = self.manifest()
        return f"m-{manifest['version']}" if manifest else None

    def stamp(self) -> str | None:
        if time.monotonic() - self._seen.get("at", -1e9) > STAMP_SECONDS:
            self._seen.update(at=time.monotonic(), stamp=self.version())
        return self._seen["stamp"]

    def not_found(self) -> IndexNotFoundError:
        return IndexNotFoundError(f"{self.location} 中没有索引；先运行 `rag index seeds/ --store {self.location}`")

    def load(self) -> Index:
        """The live version as an Index; raises IndexNotFoundError, IndexMismatchError (another format or
        chunker: the fix is a rebuild), or IndexDamagedError when rows are missing however often it reads."""
        return self._load(verify=False)

    def check(self) -> Index:
        """`load`, verifying every chunk's text against its report and every vector's length as well."""
        return self._load(verify=True)

    def _load(self, verify: bool) -> Index:
        for attempt in range(_RETRIES):
            manifest = self.manifest()
            if manifest is None:
                raise self.not_found()
            self._check_format(manifest)
            try:
                return self._read(manifest, verify)
            except _Moved as moved:  # a writer deleted rows of this version while they were read
                if attempt == _RETRIES - 1:
                    raise IndexDamagedError(f"索引已损坏：{self.location} 中 {moved}；请重建："
                                            f"`rag index --store {self.location} --rebuild`") from None
        raise AssertionError("unreachable")

    def _check_format(self, manifest: dict) -> None:
        if manifest.get("format") != FORMAT or manifest.get("chunker") != CHUNKER_VERSION:
            raise IndexMismatchError(
                f"{self.location} 的索引格式或分块版本已过期（格式 {manifest.get('format')}，{manifest.get('chunker')}；"
                f"当前格式 {FORMAT}，{CHUNKER_VERSION}）；请重新运行 `rag index --store {self.location} --rebuild`"
            )

    def _read(self, manifest: dict, verify: bool) -> Index:
        client, v, dim = self.client(), manifest["version"], manifest["dim"]
        heads = self._live_reports(v)
        rids = [h["rid"] for h in heads]
        reports = self._texts(heads)
        live = set(rids)
        fields = ["rid", "n", "start", "end", "section", "tokens", "vector"] + (["text"] if verify else [])
        chunks, vectors = [], []
        for batch in mc.batches(client, f"{self.name}_chunks", fields):
            batch = [row for row in batch if row["rid"] in live]
            # each batch's vectors as float32 at once: as Python floats, 100k chunks' would take 1.2 GB
            vectors.append(np.array([row.pop("vector") for row in batch], np.float32).reshape(-1, dim))
            chunks += batch
        facts = [f for f in mc.rows(client, f"{self.name}_facts", _FACT_FIELDS) if f["rid"] in live]
        _count(heads, chunks, "chunks")
        _count(heads, facts, "facts")
        matrix = np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32)
        del vectors
        if verify:
            _verify(reports, rids, chunks, matrix, self.location)
        segment, terms = to_segment(reports, rids, chunks, matrix, facts, dim, tuple(manifest["regions"]),
                                    manifest["facts_version"])
        segment = with_current_facts(segment)  # facts come from the chunks alone: no re-embedding
        meanings = self._metric_vectors(v, dim)
        shown = manifest | {"store": self.location, "faiss": faiss_spec(len(chunks)), "chunks": len(chunks),
                            "reports": {r.doc: {"sha256": r.sha256, "title": r.title, "region": r.region,
                                                "year": r.year, "rid": rid} for r, rid in zip(reports, rids, strict=True)}}
        index = assemble(self.path, shown, f"m-{v}", [segment], terms, meanings)
        return apply_corrections(index, read_corrections(self.path))

    def _live_reports(self, v: int) -> list[dict]:
        where = f"added <= {v} and (removed == 0 or removed > {v})"
        fields = ["rid", "doc", "chunks", "facts", "pieces"]
        return sorted(mc.rows(self.client(), f"{self.name}_reports", fields, where), key=lambda h: h["rid"])

    def _texts(self, heads: list[dict]) -> list[Report]:
        """The Reports of the report versions `heads`, from their JSON pieces."""
        pieces: dict[int, dict[int, str]] = defaultdict(dict)
        want = {h["rid"] for h in heads}
        for row in mc.rows(self.client(), f"{self.name}_texts", ["id", "rid", "text"]):
            if row["rid"] in want:
                pieces[row["rid"]][row["id"]] = row["text"]
        out = []
        for h in heads:
            got = pieces.get(h["rid"], {})
            if len(got) != h["pieces"]:
                raise _Moved(f"报告 {h['doc']} 的文本有 {len(got)} 段，应为 {h['pieces']} 段")
            out.append(report_of([got[k] for k in sorted(got)]))
        return out

    def _metric_vectors(self, v: int, dim: int) -> MetricVectors:
        where = f"added <= {v} and (removed == 0 or removed > {v})"
        found = sorted(mc.rows(self.client(), f"{self.name}_metrics", ["phrase", "vector"], where),
                       key=lambda r: r["phrase"])  # in the folder store's order: sorted phrases
        matrix = np.array([r["vector"] for r in found], np.float32).reshape(-1, dim)
        return MetricVectors({r["phrase"]: i for i, r in enumerate(found)}, matrix)

    def catalog(self) -> list[dict] | None:
        """Each live report's id, sha256, file name and origin, read without loading the index (so that a
        rebuild works on an index of another chunker or format)."""
        manifest = self.manifest()
        if manifest is None:
            return None
        reports = self._texts(self._live_reports(manifest["version"]))
        return [{"doc": r.doc, "sha256": r.sha256, "name": os.path.basename(r.path), "origin": r.path, "kept": True}
                for r in reports]

    # ------------------------------------------------------------------------------------------ writing

    def lock(self, wait: float = WAIT_SECONDS, say: Callable[[str], None] | None = None) -> AbstractContextManager[None]:
        return mc.lock(self.client(), self.name, wait, say)

    def write(self, embedder, old: Index | None, new: Iterable[Report], vectors: dict[str, np.ndarray],
              say: Callable[[str], None], removed: Iterable[str] = ()) -> list[tuple[str, str]]:
        """Make live `old` with `new` added (replacing reports of the same id) and `removed` dropped; with
        `old` None, `new` alone (a build: every live report leaves). Call under `lock`."""
        client, new, name = self.client(), list(new), self.name
        manifest = self.manifest()
        if manifest is not None and (old is None and manifest["dim"] != embedder.dim):
            mc.drop(client, name)  # a rebuild with a model of another width: collections of that width
            manifest = None
        mc.ensure(client, name, embedder.dim)
        v = manifest["version"] if manifest else 0
        next_rid = manifest["next_rid"] if manifest else 1
        self._collect(v, next_rid)
        plan = _Write(old, new, removed, v + 1, next_rid)
        warnings = plan.make(embedder, vectors)
        for kind, rows in (("texts", plan.texts), ("chunks", plan.chunks), ("facts", plan.facts)):
            mc.insert(client, f"{name}_{kind}", rows)
        mc.insert(client, f"{name}_chunks", plan.retokenized, upsert=True)
        mc.insert(client, f"{name}_reports", plan.reports)
        self._leave(plan.gone_rids(self._live_reports(v) if old is None else None), v + 1)
        self._metrics(old.metric_vectors if old else None, plan.meanings, v + 1)
        mc.insert(client, f"{name}_meta", [{"key": "manifest", "value": json.dumps(
            {"format": FORMAT, "model": embedder.name, "backend": embedder.backend, "dim": embedder.dim,
             "chunker": CHUNKER_VERSION, "facts_version": plan.facts_version, "version": v + 1,
             "next_rid": next_rid + len(new), "regions": list(plan.regions), "rows": plan.counts(),
             "created": time.strftime("%Y-%m-%dT%H:%M:%S")}, ensure_ascii=False)}], upsert=True)
        self._seen.clear()
        counts = plan.counts()
        say(f"索引已更新：{counts['reports']} 份报告，{counts['chunks']} 个段落")
        return warnings

    def _leave(self, rids: list[int], version: int) -> None:
        """Mark the report versions `rids` as leaving in `version` (their rows stay for readers of the one before)."""
        if not rids:
            return
        listed = ", ".join(map(str, rids))
        heads = self.client().query(f"{self.name}_reports", filter=f"rid in [{listed}]", output_fields=["*"])
        mc.insert(self.client(), f"{self.name}_reports", [h | {"removed": version} for h in heads], upsert=True)

    def _metrics(self, old: MetricVectors | None, meanings: MetricVectors, version: int) -> None:
        """The metric phrases of `version`: new ones added, those no live fact has any more marked as left."""
        before = set(old.rows) if old is not None else set()
        if old is None:  # a build: whatever was live leaves
            before = {r["phrase"] for r in mc.rows(self.client(), f"{self.name}_metrics", ["phrase"], "removed == 0")}
        now = set(meanings.rows)
        added = [{"phrase": p, "vector": meanings.matrix[meanings.rows[p]].tolist(), "added": version, "removed": 0}
                 for p in sorted(now - before if old is not None else now)]
        gone = sorted(before - now)
        mc.insert(self.client(), f"{self.name}_metrics", added, upsert=True)
        for lo in range(0, len(gone), mc.BATCH):
            found = self.client().query(f"{self.name}_metrics", filter=f"phrase in {json.dumps(gone[lo : lo + mc.BATCH], ensure_ascii=False)}",
                                        output_fields=["phrase", "vector", "added"])
            mc.insert(self.client(), f"{self.name}_metrics", [r | {"removed": version} for r in found], upsert=True)

    def _collect(self, v: int, next_rid: int) -> None:
        """Delete rows no reader needs: report versions that left before version `v`, and what a writer that
        died mid-write left (versions after `v`, rows of ids not yet given)."""
        client, name = self.client(), self.name
        dead = [h["rid"] for h in mc.rows(client, f"{name}_reports", ["rid"], f"(removed != 0 and removed < {v}) or added > {v}")]
        mc.delete_rids(client, name, dead)
        for kind in ("texts", "chunks", "facts"):
            client.delete(f"{name}_{kind}", filter=f"rid >= {next_rid}")
        client.delete(f"{name}_metrics", filter=f"(removed != 0 and removed < {v}) or added > {v}")


class _Moved(Exception):
    """Rows of the version being read were deleted meanwhile (by a writer's clean-up): read again."""


_FACT_FIELDS = ["rid", "n", "section", "metric", "context", "unit", "qualifier", "kind", "value", "start", "end",
                "target", "about"]


def _count(heads: list[dict], rows: list[dict], what: str) -> None:
    got = defaultdict(int)
    for row in rows:
        got[row["rid"]] += 1
    for h in heads:
        if got[h["rid"]] != h[what]:
            raise _Moved(f"报告 {h['doc']} 的 {what} 有 {got[h['rid']]} 行，应为 {h[what]} 行")


def _verify(reports: list[Report], rids: list[int], chunks: list[dict], matrix: np.ndarray, location: str) -> None:
    by_rid = dict(zip(rids, reports, strict=True))
    for c in chunks:
        r = by_rid[c["rid"]]
        if c["text"] and r.text[c["start"] : c["end"]][: len(c["text"])] != c["text"]:
            raise IndexDamagedError(f"索引已损坏：{location} 中 {r.doc} 的第 {c['n']} 段与报告原文不符；"
                                    f"请重建：`rag index --store {location} --rebuild`")
    norms = np.linalg.norm(matrix, axis=1) if len(matrix) else np.ones(0)
    if not np.allclose(norms, 1.0, atol=1e-2):
        raise IndexDamagedError(f"索引已损坏：{location} 中有 {int((abs(norms - 1) > 1e-2).sum())} 个向量长度不为 1；"
                                f"请重建：`rag index --store {location} --rebuild`")


class _Write:
    """The rows one write inserts: `new` as rows of fresh report versions (rids from `next_rid`), the kept
    chunks whose tokens change with the set of regions, and the metric vectors of the version it makes."""

    def __init__(self, old: Index | None, new: list[Report], removed: Iterable[str], version: int, next_rid: int):
        self.old, self.new, self.version = old, new, version
        self.gone = {r.doc for r in new} | set(removed)
        self.rids = list(range(next_rid, next_rid + len(new)))
        self.kept = None
        if old is not None and old.segments:
            seg = old.segments[0]  # a Milvus index loads as one segment
            dead = seg.dead | {i for i, r in enumerate(seg.reports) if r.doc in self.gone}
            self.kept = replace(seg, dead=frozenset(dead))
        self.kept_rids = [old.manifest["reports"].get(r.doc, {}).get("rid", -1) for r in self.kept.reports] if self.kept else []
        live = {r.region for i, r in enumerate(self.kept.reports) if i not in self.kept.dead} if self.kept else set()
        self.regions = tuple(sorted((live | {r.region for r in new}) - {""}))
        self.texts, self.chunks, self.facts, self.reports, self.retokenized = [], [], [], [], []
        self.added: Segment | None = None
        self.meanings: MetricVectors | None = None
        # the facts rows of kept reports are of the version that wrote them: until a build, the manifest says
        # the oldest, and loading extracts them again from the chunks (as a folder's old segments are)
        stale = old is not None and old.manifest.get("facts_version") != FACTS_VERSION and self.kept is not None
        self.facts_version = old.manifest.get("facts_version", "") if stale else FACTS_VERSION

    def make(self, embedder, vectors: dict[str, np.ndarray]) -> list[tuple[str, str]]:
        vocab = Vocab(self.old.terms if self.old else ())
        segmenter = segmenter_for(self.regions)
        if self.kept is not None:
            again = with_regions(self.kept, self.regions, segmenter, vocab)
            self.retokenized = chunk_rows(again, self.kept_rids, vocab.terms, _changed_rows(self.kept, again))
            self.kept = again
        warnings = []
        if self.new:
            seg, empty = new_segment("milvus-new", self.new, read_reports(self.new, segmenter), vectors, vocab,
                                     self.regions, embedder.dim)
            self.added = seg
            self.reports, self.texts = report_rows(seg, self.rids, self.version)
            self.chunks, self.facts = chunk_rows(seg, self.rids, vocab.terms), fact_rows(seg, self.rids)
            warnings = [(doc, "没有找到报告正文，索引中只有它的标题、地区和年份") for doc in empty]
        segments = [s for s in (self.kept, self.added) if s is not None]
        self.meanings = build_metric_vectors(fact_samples(segments), embedder,
                                             self.old.metric_vectors if self.old else None)
        return warnings

    def gone_rids(self, live: list[dict] | None) -> list[int]:
        """The live report versions this write replaces or removes (`live`: every live one, for a build)."""
        if live is not None:
            return [h["rid"] for h in live]
        return [rid for i, rid in enumerate(self.kept_rids) if i in self.kept.dead and i not in self.old.segments[0].dead]

    def counts(self) -> dict[str, int]:
        segments = [s for s in (self.kept, self.added) if s is not None]
        return {"reports": sum(len(s.reports) - len(s.dead) for s in segments),
                "chunks": sum(s.live_rows for s in segments),
                "facts": sum(int(s.live_facts().sum()) for s in segments)}


def _changed_rows(before, after) -> list[int]:
    """Live rows whose tokens differ between two versions of one segment."""
    if after is before or after.tokens is before.tokens:
        return []
    a, b = np.asarray(before.token_starts), np.asarray(after.token_starts)
    rows = []
    for row in np.flatnonzero(after.live_chunks()).tolist():
        if (a[row + 1] - a[row] != b[row + 1] - b[row]
                or not np.array_equal(before.tokens[a[row] : a[row + 1]], after.tokens[b[row] : b[row + 1]])):
            rows.append(row)
    return rows
