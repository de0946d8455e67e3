"""The upload queue: estimates, refusals, two lanes so a short upload never waits behind a long one."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from rag.app.uploads import (
    CHARS_PER_CHUNK,
    CHUNKS_PER_SECOND,
    MAX_UPLOAD_CHARS,
    QUICK_SECONDS,
    Upload,
    UploadQueue,
    estimate_seconds,
    progress_html,
    upload_html,
)
from rag.documents.ingest import read_report
from rag.errors import RagError
from rag.store.store import IndexingResult

LINE = "全年受理法律援助案件321件，人民调解化解率达97.5%，行政复议调解率达50.6%。\n"


def report(path: Path, chars: int) -> str:
    path.write_text("青山区2024年法治政府建设情况的报告\n" + LINE * (chars // len(LINE)), encoding="utf-8")
    return str(path)


class FakeIndexer:
    """Indexes nothing; holds a long upload until told to let it go."""

    def __init__(self):
        self.release = threading.Event()
        self.finished: list[str] = []

    def __call__(self, upload: Upload) -> IndexingResult:
        if upload.lane == "long":
            upload.on_embedded(10, 400)
            self.release.wait(30)
        if "bad" in upload.files[0]:
            raise RagError("索引已损坏：…；请重建")
        self.finished.append(Path(upload.files[0]).name)
        return IndexingResult(added=[Path(f).name for f in upload.files])


def test_the_estimate_is_chunks_over_the_measured_rate():
    chars = int(CHARS_PER_CHUNK * CHUNKS_PER_SECOND * 60)  # a minute of embedding
    assert 60 < estimate_seconds(chars) < 65


def test_a_report_too_large_is_refused_with_the_limit_and_the_rest_indexed(tmp_path):
    queue = UploadQueue(FakeIndexer())
    big = report(tmp_path / "巨大.txt", MAX_UPLOAD_CHARS + 10_000)
    small = report(tmp_path / "小.txt", 2_000)
    upload = queue.submit([big, small])
    assert upload.done.wait(10)
    assert upload.result.added == ["小.txt"]
    (file, reason), = upload.result.failed
    assert file == big and "上传上限约 76 万字（约 3 分钟）" in reason and "rag index" in reason
    assert "巨大.txt" in upload_html(upload) and "新增 1 份：小.txt" in upload_html(upload)


def test_a_short_upload_does_not_wait_behind_a_long_one(tmp_path):
    indexer = FakeIndexer()
    queue = UploadQueue(indexer)
    long_chars = int(QUICK_SECONDS * CHUNKS_PER_SECOND * CHARS_PER_CHUNK * 2)
    first = queue.submit([report(tmp_path / "长1.txt", long_chars)])
    second = queue.submit([report(tmp_path / "长2.txt", long_chars)])
    short = queue.submit([report(tmp_path / "短.txt", 3_000)])
    assert (first.lane, second.lane, short.lane) == ("long", "long", "quick")
    assert short.done.wait(10) and short.result.added == ["短.txt"]
    assert not first.done.is_set(), "the short one finished while the long one ran"
    deadline = time.monotonic() + 10
    while first.state != "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "已向量化 10/400 个段落" in progress_html(first, queue)
    waiting = progress_html(second, queue)
    assert "排队中：前面还有 1 个上传，约 " in waiting and "秒后开始" in waiting
    indexer.release.set()
    assert first.done.wait(10) and second.done.wait(10)
    assert indexer.finished == ["短.txt", "长1.txt", "长2.txt"]


def test_a_failed_upload_says_why_and_the_queue_goes_on(tmp_path):
    queue = UploadQueue(FakeIndexer())
    bad = queue.submit([report(tmp_path / "bad.txt", 1_000)])
    good = queue.submit([report(tmp_path / "good.txt", 1_000)])
    assert bad.done.wait(10) and good.done.wait(10)
    assert "索引失败" in upload_html(bad) and "索引已损坏" in upload_html(bad)
    assert good.result.added == ["good.txt"]


def test_the_queue_estimates_by_the_rate_it_last_measured(tmp_path):
    def slow(upload: Upload) -> IndexingResult:  # a busy machine: 20 chunks at 10 a second
        upload.on_embedded(0, 20)
        time.sleep(2.0)
        upload.on_embedded(20, 20)
        return IndexingResult()

    queue = UploadQueue(slow)
    first = queue.submit([report(tmp_path / "一.txt", 25_000)])
    assert first.done.wait(10) and 8 < first.measured <= 10
    assert queue.rate == first.measured
    second = queue.submit([report(tmp_path / "二.txt", 25_000)])
    chars = len(read_report(second.files[0]).text)
    assert second.estimate == pytest.approx(estimate_seconds(chars, queue.rate))
    assert second.estimate > estimate_seconds(chars) + 1, "longer than the idle-laptop rate says"
