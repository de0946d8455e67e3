"""Benchmark (not a test): the first answer after a restart, against the answers after it.

    python bench/first_answer.py [--out bench/results/first_answer.json]

Starts `rag serve` three times over a copy of the seeds index and asks through the /ask API:
- cold: with RAG_WARMUP=0 (the model loads on the first question), asked as soon as the port opens;
- warm, asked at once: the warm-up starts with the server; the first question waits for what is left of it;
- warm, asked when ready: after the server logs 模型已预热 (what a user who opens the page a few seconds
  after a restart meets).
Each run then asks five more questions; their median is the "later" figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST = "镜湖区2024年受理法律援助案件多少件？"  # not the warm-up's own question
LATER = [
    "各区行政诉讼出庭应诉率分别是多少？",
    "鹿城区各级人民调解组织调处纠纷多少件?",
    "高区减少了多少项证明材料?",
    "镜湖区政府常务会会前学法组织了几次?",
    "红谷滩区有多少名人民调解员?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(index: Path, warm: bool, wait_ready: bool) -> dict:
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "RAG_WARMUP": "1" if warm else "0", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "rag.app.cli", "serve", "--index", str(index), "--port", str(port)],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    ready = threading.Event()
    marks: dict[str, float] = {}

    def watch() -> None:
        for line in server.stderr:
            if "模型已预热" in line:
                marks["warmed"] = time.monotonic() - started
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() - started > 300:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        marks["port_open"] = time.monotonic() - started
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        if wait_ready:
            ready.wait(300)
        t = time.monotonic()
        answer = client.predict(FIRST, [], [], [], api_name="/ask")
        first = time.monotonic() - t
        assert "644" in answer["answer"], answer["answer"]
        later = []
        for question in LATER:
            t = time.monotonic()
            client.predict(question, [], [], [], api_name="/ask")
            later.append(time.monotonic() - t)
        return {
            "seconds_to_port_open": round(marks["port_open"], 2),
            "seconds_to_warmed": round(marks["warmed"], 2) if "warmed" in marks else None,
            "first_answer_s": round(first, 3),
            "later_answers_s": [round(x, 3) for x in later],
            "later_median_s": round(statistics.median(later), 3),
        }
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "first_answer.json"))
    args = p.parse_args()
    from rag.store.store import add_reports

    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds-index"
        add_reports(seeds, [ROOT / "seeds"])
        results = {}
        for name, warm, wait_ready in (("cold", False, False), ("warm_asked_at_once", True, False),
                                       ("warm_asked_when_ready", True, True)):  # fmt: skip
            index = Path(tmp) / name
            shutil.copytree(seeds, index)
            results[name] = run(index, warm, wait_ready)
            print(name, json.dumps(results[name], ensure_ascii=False), flush=True)
    results["machine"] = {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
