"""The chat UI's index (`IndexService`) and its uploads: a queue with a time estimate and progress per upload.

One 7.9 MB upload once took 711 s and every upload behind it waited. Now each upload is measured when it
arrives (its reports' characters → chunks → seconds of embedding), a file that would take longer than
`MAX_UPLOAD_SECONDS` is refused with the limit shown, and short uploads run in their own lane, so they
never wait behind a long one. Two lanes embed side by side; the index lock (rag/store/lock.py) orders their
writes, and each write merges with the other's, so neither loses the other's reports.
"""

from __future__ import annotations

import html
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.answer.answer import ask
from rag.documents.ingest import collect_report_files, read_report
from rag.errors import IndexNotFoundError, IngestError, RagError
from rag.store.backend import Store, as_store
from rag.store.live import LiveIndex
from rag.store.store import Index, IndexingResult, add_reports

# A report of N characters gives about N / CHARS_PER_CHUNK chunks: 182 on the seeds, 267 on the 86 reports of
# ../shared/corpus (chunks ≤ 360 characters, split at headings); the larger keeps estimates on real reports.
CHARS_PER_CHUNK = 250
# multilingual-e5-small on an idle 2-core laptop (README, bench/bench.py); a busy machine is slower (6.5 here
# at a load of 6), so the queue learns the rate from each upload it embeds and estimates by that.
CHUNKS_PER_SECOND = 17.0
MEASURE_FROM_CHUNKS = 20  # fewer chunks time the model's warm-up more than its rate
OVERHEAD_SECONDS = 3.0  # loading the index, writing and reloading it
MAX_UPLOAD_SECONDS = 180  # what indexes "in a few minutes"; bigger reports go through `rag index`
MAX_UPLOAD_CHARS = int(MAX_UPLOAD_SECONDS * CHUNKS_PER_SECOND * CHARS_PER_CHUNK)  # 765,000
QUICK_SECONDS = 20  # uploads estimated under this take the quick lane
WARM_QUESTION = "哪个区复议调解率最高？"  # asked once at start: loads the model and everything a question touches


def estimate_seconds(chars: int, rate: float = CHUNKS_PER_SECOND) -> float:
    """Seconds to index reports of `chars` characters in all, embedding `rate` chunks a second."""
    return OVERHEAD_SECONDS + chars / CHARS_PER_CHUNK / rate


@dataclass
class Upload:
    """One upload (one or more files) and where it stands; the queue's worker fills in the rest."""

    files: list[str]
    replace: bool
    estimate: float  # seconds
    lane: str  # "quick" | "long"
    who: str = ""  # the UI user, for the index's audit log (rag/store/audit.py); "" is the server's OS user
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, reason): too large to upload
    rate: float = CHUNKS_PER_SECOND  # chunks a second, as last measured
    measured: float = 0.0  # the rate this upload embedded at, once done
    state: str = "queued"  # queued | running | done
    message: str = ""  # the indexer's latest word
    embedded: tuple[int, int] = (0, 0)  # (chunks done, chunks to do)
    started: float = 0.0
    embedding_since: float = 0.0
    result: IndexingResult | None = None
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event)

    def say(self, message: str) -> None:
        self.message = message

    def on_embedded(self, done: int, total: int) -> None:
        self.embedded = (done, total)
        now = time.monotonic()
        if done == 0:
            self.embedding_since = now
        elif done == total and total >= MEASURE_FROM_CHUNKS and now > self.embedding_since:
            self.measured = total / (now - self.embedding_since)

    def remaining(self) -> float:
        """Seconds until this upload is indexed, as best known now."""
        if self.state == "done":
            return 0.0
        if self.state == "queued":
            return self.estimate
        done, total = self.embedded
        if total:
            return max(1.0, (total - done) / self.rate + OVERHEAD_SECONDS / 2)
        return max(1.0, self.estimate - (time.monotonic() - self.started))


Indexer = Callable[[Upload], IndexingResult]


class UploadQueue:
    """Uploads waiting and running, one worker thread per lane; `index(upload)` does the indexing."""

    def __init__(self, index: Indexer):
        self._index = index
        self._lock = threading.Condition()
        self._waiting: dict[str, list[Upload]] = {"quick": [], "long": []}
        self._running: dict[str, Upload | None] = {"quick": None, "long": None}
        self.rate = CHUNKS_PER_SECOND  # chunks a second, from the last upload that embedded enough to tell
        for lane in self._waiting:
            threading.Thread(target=self._work, args=(lane,), name=f"rag-uploads-{lane}", daemon=True).start()

    def submit(self, files: list[str], replace: bool = False, who: str = "") -> Upload:
        """Measure `files`, refuse those too large, and queue the rest; returns at once. `who` uploads them."""
        chars, refused, kept = 0, [], []
        for file in files:
            size = _chars(file)
            if size > MAX_UPLOAD_CHARS:
                refused.append((file, _too_large(size)))
            else:
                chars += size
                kept.append(file)
        estimate = estimate_seconds(chars, self.rate)
        lane = "quick" if estimate < QUICK_SECONDS else "long"
        upload = Upload(kept, replace, estimate, lane, who, refused, rate=self.rate)
        if not kept:
            upload.result = IndexingResult(failed=list(refused))
            upload.state = "done"
            upload.done.set()
            return upload
        with self._lock:
            self._waiting[upload.lane].append(upload)
            self._lock.notify_all()
        return upload

    def wait_before(self, upload: Upload) -> tuple[int, float]:
        """(uploads ahead of `upload` in its lane, seconds until it starts)."""
        with self._lock:
            lane = self._waiting[upload.lane]
            ahead = lane[: lane.index(upload)] if upload in lane else []
            running = self._running[upload.lane]
            busy = [running] if running is not None and running is not upload and upload.state == "queued" else []
            return len(ahead) + len(busy), sum(u.remaining() for u in ahead + busy)

    def _work(self, lane: str) -> None:
        while True:
            with self._lock:
                while not self._waiting[lane]:
                    self._lock.wait()
                upload = self._waiting[lane].pop(0)
                self._running[lane] = upload
                upload.state, upload.started = "running", time.monotonic()
            try:
                result = self._index(upload)
                result.failed[:0] = upload.refused
                upload.result = result
            except RagError as err:
                upload.error = str(err)
            except Exception as err:  # a worker must outlive any one upload; the user still hears why
                upload.error = f"索引时出错：{type(err).__name__}: {err}"
            finally:
                with self._lock:
                    self._running[lane] = None
                    self.rate = upload.measured or self.rate
                upload.state = "done"
                upload.done.set()


def _chars(file: str) -> int:
    """Characters of text in `file`; 0 when it cannot be read (the indexer then says why)."""
    try:
        return len(read_report(file).text)
    except (IngestError, OSError):
        return 0


def _too_large(chars: int) -> str:
    return (
        f"报告过大：约 {chars / 10_000:.0f} 万字，索引约需 {estimate_seconds(chars) / 60:.0f} 分钟；"
        f"上传上限约 {MAX_UPLOAD_CHARS / 10_000:.0f} 万字（约 {MAX_UPLOAD_SECONDS // 60} 分钟）。"
        f"请在命令行用 `rag index 文件` 索引它"
    )


class IndexService:
    """The index the chat UI serves to every session of its process, the lock that swaps it, and the upload queue."""

    def __init__(self, store: Store | str | Path):
        self.store = as_store(store)  # a folder, or a Milvus store (rag/store/backend.py)
        self.path = self.store.path  # the folder of the files kept beside the index (reports.csv, copies, audit log)
        self._lock = threading.Lock()  # guards `_index` and `problem`
        self._reloading = threading.Lock()  # one reload at a time, so the last one loads the newest version
        self._index: Index | None = None
        self.problem = ""  # why the index cannot be used (damaged …), shown instead of crashing
        self.building = False
        self.progress = ""  # the first build's latest word
        self.to_read = 0  # reports the first build reads
        self.embedded = (0, 0)  # (chunks embedded, chunks to embed) in the first build
        self._warm = threading.Event()  # set once the model is loaded and one question answered
        self._warm.set()
        try:
            self._index = self.store.load()
        except IndexNotFoundError:
            pass
        except RagError as err:
            self.problem = str(err)
        self._live = LiveIndex(self.store, self._index)  # what other processes write (rag/store/live.py)
        self.uploads = UploadQueue(self._index_upload)

    @property
    def index(self) -> Index | None:
        """The index to answer from: a version another process made live (`rag remove`, `rag index`
        beside the server) is served from the next question on."""
        fresh = self._live.current()
        with self._lock:
            if fresh is not None and fresh is not self._index:
                self._index, self.problem = fresh, ""
            return self._index

    def add(self, paths: list[str], replace: bool = False, say=None, embedded=None, who: str = "") -> IndexingResult:
        """Index `paths` into the same store (each file copied beside it first), then swap the reloaded
        index in; `who` is written to the index's audit log with each add and replace."""
        result = add_reports(self.store, paths, replace=replace, progress=say, embedded=embedded, who=who or None)
        if result.added or result.updated or self.index is None:
            self.reload()
        return result

    def reload(self) -> None:
        with self._reloading:
            fresh = self.store.load()
            self._live.replace(fresh)
            with self._lock:
                self._index, self.problem = fresh, ""

    def _index_upload(self, upload: Upload) -> IndexingResult:
        def say(msg: str) -> None:
            print(msg, file=sys.stderr, flush=True)
            upload.say(msg)

        return self.add(upload.files, replace=upload.replace, say=say, embedded=upload.on_embedded, who=upload.who)

    def build_in_background(self, seeds: str | Path, warm: bool = True) -> threading.Thread:
        """First run: index `seeds` while the app is already up; progress goes to the console and the UI."""

        def say(msg: str) -> None:
            self.progress = msg
            print(msg, file=sys.stderr, flush=True)

        def on_embedded(done: int, total: int) -> None:
            self.embedded = (done, total)

        def run() -> None:
            try:
                add_reports(self.store, [seeds], progress=say, show_progress=True, embedded=on_embedded)
                self.reload()
                say(f"索引已建立：{len(self.index.reports)} 份报告")
            except RagError as err:
                say(f"建立索引失败：{err}")
                with self._lock:
                    self.problem = f"建立索引失败：{err}"
            finally:
                self.building = False
            if warm and self.index is not None:
                self._warm_up()

        self.building = True
        self.to_read = len(collect_report_files([seeds])[0])
        self.progress = f"正在从 {seeds} 建立索引…"
        print(self.progress, file=sys.stderr, flush=True)
        self._warm.clear()
        thread = threading.Thread(target=run, name="rag-seed-index", daemon=True)
        thread.start()
        return thread

    def warm_in_background(self) -> threading.Thread:
        """Load the model and answer one question now, so the first user's answer is as fast as the rest
        (cold, the first answer after a restart took 8–9 s against 0.2–0.4 s: bench/first_answer.py)."""
        self._warm.clear()
        thread = threading.Thread(target=self._warm_up, name="rag-warm-up", daemon=True)
        thread.start()
        return thread

    @property
    def warming(self) -> bool:
        return not self._warm.is_set()

    def wait_warm(self, timeout: float = 300) -> bool:
        """Wait for the warm-up (two first loads of the model at once would each take the full time)."""
        return self._warm.wait(timeout)

    def _warm_up(self) -> None:
        # ask: the whole path, so the model, segmenter, gazetteer and metric vectors are loaded once here
        started = time.monotonic()
        try:
            index = self.index
            if index is not None and index.chunks:
                ask(index, WARM_QUESTION)
                print(f"模型已预热（{time.monotonic() - started:.1f} 秒）", file=sys.stderr, flush=True)
        except Exception as err:  # a failed warm-up only means a slower first answer
            print(f"预热失败（首次回答会慢一些）：{type(err).__name__}: {err}", file=sys.stderr, flush=True)
        finally:
            self._warm.set()


# ---------------------------------------------------------------- what the user sees


def not_ready(service: IndexService) -> str:
    """Why a question cannot be asked now, in one line ("" when it can)."""
    if service.building:
        done, total = service.embedded
        if total:
            step = f"已读取 {service.to_read} 份报告，已向量化 {done}/{total} 个段落"
        else:
            step = f"正在载入模型并读取 {service.to_read} 份报告"
        return f"首次运行，正在建立索引（{step}），完成后即可提问。"
    if service.problem:
        return service.problem
    if service.index is None or not service.index.reports:
        return "索引为空：请先在下方上传报告，完成后即可提问。"
    return ""


def status_html(service: IndexService) -> str:
    """The status line above the chat: the first build's progress, a problem, or what is indexed."""
    reason = not_ready(service)
    if service.building:
        return f'<div class="status building">【建立索引中】{html.escape(reason)}</div>'
    if reason:
        css = "failed" if service.problem else "empty"
        return f'<div class="status {css}">{html.escape(reason)}</div>'
    index = service.index
    regions = "、".join(html.escape(r) for r in index.regions)
    warming = "；正在预热模型，首个回答稍候" if service.warming else ""
    return (f'<div class="status">已索引 {len(index.reports)} 份报告（{regions}），{len(index.chunks)} 个段落'
            f"{warming}。</div>")


def progress_html(upload: Upload, queue: UploadQueue) -> str:
    """One line on where `upload` stands: its place in the queue and wait, or its progress and time left."""
    n = len(upload.files)
    if upload.state == "queued":
        ahead, wait = queue.wait_before(upload)
        where = f"排队中：前面还有 {ahead} 个上传，约 {wait:.0f} 秒后开始" if ahead else "即将开始"
        text = f"{where}；本次 {n} 个文件，预计约 {upload.estimate:.0f} 秒"
    else:
        done, total = upload.embedded
        step = f"已向量化 {done}/{total} 个段落" if total else (upload.message or "正在读取文件")
        text = f"正在索引 {n} 个文件：{step}，约还需 {upload.remaining():.0f} 秒"
    return f'<div class="upload-progress">{html.escape(text)}</div>'


def upload_html(upload: Upload) -> str:
    """The outcome of a finished upload, file by file."""
    result = upload.result or IndexingResult(failed=list(upload.refused))
    lines = []
    for label, docs in (("新增", result.added), ("更新", result.updated), ("未变（已索引）", result.unchanged)):
        if docs:
            lines.append(f"<div>{label} {len(docs)} 份：{'、'.join(html.escape(d) for d in docs)}</div>")
    if upload.error:
        lines.append(f'<div class="failed"><b>索引失败：</b>{html.escape(upload.error)}</div>')
    if result.failed:
        lines.append(f'<div class="failed"><b>失败 {len(result.failed)} 个文件：</b><ul>')
        lines += [
            f'<li class="failed"><b>{html.escape(Path(f).name)}</b>：{html.escape(reason)}</li>'
            for f, reason in result.failed
        ]
        lines.append("</ul></div>")
    for doc, reason in result.warnings:
        lines.append(f'<div class="failed">注意 {html.escape(doc)}：{html.escape(reason)}</div>')
    if result.added or result.updated:
        lines.append("<div>已重新载入索引，新报告现在即可提问。</div>")
    body = "\n".join(lines) or "<div>没有可索引的文件。</div>"
    return f'<div class="upload-result">{body}</div>'
