"""An index on a Milvus server in another process: Milvus Lite's own gRPC server (`milvus-lite server`),
reached as `--store milvus://127.0.0.1:PORT` by `rag` processes and by the chat's upload service, as
several desks would reach one deployment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.app.uploads import IndexService
from rag.errors import StoreUnavailableError
from rag.store.backend import open_store

pytest.importorskip("milvus_lite")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
JINGHU = SEEDS / "004_b09f2e2d8cdb3710.txt"  # 镜湖区
LUCHENG = SEEDS / "000_1e730ce7ce0129e2.txt"  # 鹿城区


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """`milvus-lite server` in its own process; its location."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "milvus"),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "no port"
            time.sleep(0.2)
    yield f"milvus://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def rag(*argv, files: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAG_INDEX": str(files)}
    return subprocess.Popen([sys.executable, "-m", "rag.app.cli", *map(str, argv)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def done(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "Traceback" not in err, err
    return out


def report(folder: Path, region: str, cases: int) -> Path:
    path = folder / f"{region}报告.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{region}人民政府关于2024年法治政府建设情况的报告\n\n一、主要举措\n全年受理法律援助案件{cases}件。\n",
                    encoding="utf-8")
    return path


def test_index_ask_upload_remove_and_two_writers_through_a_milvus_server(server, tmp_path):
    files = tmp_path / "files"  # the copies, audit log and reports.csv kept beside the index
    done(rag("index", JINGHU, LUCHENG, "--store", server, files=files))
    answer = json.loads(done(rag("ask", "镜湖区2024年受理法律援助案件多少件?", "--json", "--store", server, files=files)))
    assert "644件" in answer["answer"]

    service = IndexService(open_store(server, files))  # the chat's uploads, in this process
    assert service.add([str(report(tmp_path / "up", "青山区", 321))]).added == ["青山区报告.txt"]
    assert "青山区报告.txt" in service.index.reports

    done(rag("remove", LUCHENG.name, "--store", server, files=files))
    deadline = time.monotonic() + 10  # the server's index follows another process's write
    while LUCHENG.name in service.index.reports and time.monotonic() < deadline:
        time.sleep(0.3)
    assert LUCHENG.name not in service.index.reports

    writers = [rag("index", report(tmp_path / region, region, n), "--store", server, files=files)
               for region, n in (("绿水县", 654), ("白云区", 987))]
    service.add([str(report(tmp_path / "up2", "黑山县", 111))])  # a third writer, at the same time
    for w in writers:
        done(w)
    regions = {r.region for r in open_store(server, files).load().reports.values()}
    assert regions == {"镜湖区", "青山区", "绿水县", "白云区", "黑山县"}
    history = done(rag("history", "青山区报告.txt", "--store", server, files=files))
    assert "加入" in history


def test_a_milvus_lite_file_another_process_holds_is_one_line_with_the_fix(tmp_path):
    db = tmp_path / "index.db"
    holder = subprocess.Popen([sys.executable, "-c", f"from pymilvus import MilvusClient; MilvusClient({str(db)!r});"
                               "print('open', flush=True); import time; time.sleep(60)"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreUnavailableError, match="milvus-lite server --data-dir"):
            open_store(f"milvus:{db}").load()
    finally:
        holder.kill()
        holder.wait()
