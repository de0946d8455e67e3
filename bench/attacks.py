"""Abuse attacks of issue 19 (not a test), run by bench/faults.py after its kill and damage matrices.

Each attack is tried the way a user of a shared deployment could: a long question, long history turns, a batch
of broken lines, a 1 MB line into `rag ask -`, a zip-bomb .docx and a report with no punctuation indexed by
another process, uploads whose temp folder is deleted before the damage fix, a forged replacement, formulas in
an export, `rag remove` beside a running server, a read-only and a full disk, a year no report can have.
Meanwhile a "server" thread of this process answers a question every 0.2 s from a `LiveIndex`: the longest
answer it gave during an attack is that attack's stall. Each attack returns (reports lost, tracebacks, stall,
what happened).
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "app"))  # test_export's answer

from test_limits import one_line_report, zip_bomb_docx  # noqa: E402

from rag.answer.answer import ask  # noqa: E402
from rag.errors import IndexDamagedError  # noqa: E402
from rag.store.live import LiveIndex  # noqa: E402
from rag.store.store import add_reports, load_index, restore_report  # noqa: E402

QUESTION = "镜湖区受理法律援助案件多少件?"
JINGHU = "004_b09f2e2d8cdb3710.txt"


class Server:
    """Answers QUESTION every 0.2 s from the index at `path`, following other processes' writes; `stall()`
    is the longest answer since the last call."""

    def __init__(self, path: Path):
        self.live = LiveIndex(path)
        self.longest = 0.0
        self.answers = 0
        self.stop = threading.Event()
        ask(self.live.current(), QUESTION)  # the model loaded, as a warmed server has it
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.stop.wait(0.2):
            started = time.perf_counter()
            ask(self.live.current(), QUESTION)
            self.longest = max(self.longest, time.perf_counter() - started)
            self.answers += 1

    def stall(self) -> float:
        longest, self.longest = self.longest, 0.0
        return longest


def rag(*argv, stdin: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "rag.app.cli", *map(str, argv)], input=stdin, capture_output=True,
                          env=environ, cwd=ROOT, timeout=1200)  # fmt: skip


def peak_mb(*argv, stdin: bytes = b"") -> tuple[subprocess.CompletedProcess, float]:
    """`rag ARGV…` as its own process, and the most memory it held (MB), as it reports itself at exit."""
    wrapper = ("import resource, runpy, sys\nsys.argv = ['rag', *sys.argv[1:]]\ntry:\n"
               "    runpy.run_module('rag.app.cli', run_name='__main__')\nfinally:\n"
               "    print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")  # fmt: skip
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", wrapper, *map(str, argv)], input=stdin, capture_output=True,
                          env=environ, cwd=ROOT, timeout=1200)  # fmt: skip
    peak = [line for line in done.stderr.decode().splitlines() if line.startswith("PEAK ")]
    return done, int(peak[-1].split()[1]) / 1024 if peak else 0.0


def small(region: str, cases: int) -> str:
    return (f"{region}人民政府关于2024年法治政府建设情况的报告\n一、主要举措和成效\n（一）公共法律服务\n"
            f"全年受理法律援助案件{cases}件，人民调解化解率达97.5%。\n")  # fmt: skip


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tracebacks(*texts) -> int:
    return sum((t.decode() if isinstance(t, bytes) else t).count("Traceback") for t in texts)


# ---------------------------------------------------------------- the attacks


def long_question(work: Path, index: Path) -> tuple[int, int, float, str]:
    started = time.perf_counter()
    answer = ask(load_index(index), "镜湖区受理法律援助案件多少件，" * 2000)
    spent = time.perf_counter() - started
    return 0, 0, spent, f"30,000 字的问题：{spent:.3f} 秒，答“{answer.answer}”"


def long_history(work: Path, index: Path) -> tuple[int, int, float, str]:
    started = time.perf_counter()
    answer = ask(load_index(index), "那镜湖区呢?", history=["行政复议调解率是多少" * 900] * 5)
    spent = time.perf_counter() - started
    return 0, 0, spent, f"5 个 9,000 字的对话历史：{spent:.3f} 秒，答“{answer.answer}”"


def megabyte_line(work: Path, index: Path) -> tuple[int, int, float, str]:
    _, usual = peak_mb("ask", QUESTION, "--index", index)
    started = time.perf_counter()
    done, peak = peak_mb("ask", "-", "--index", index, stdin=b"x" * 2**20 + b"\n" + QUESTION.encode() + b"\n")
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    return 0, tracebacks(done.stderr), 0.0, (f"`rag ask -` 读入 1 MB 的一行：{len(rows)} 行输出（{rows[0].get('error', '')}），"
                                            f"进程峰值内存 {peak:.0f} MB（问一个普通问题 {usual:.0f} MB），"
                                            f"{time.perf_counter() - started:.1f} 秒")  # fmt: skip


def broken_batch(work: Path, index: Path) -> tuple[int, int, float, str]:
    lines = ['{"question": 5}', '{"question": "那镜湖区呢?", "history": "x"}', "{broken", '{"question": "\\ud800"}', "",
             QUESTION]  # fmt: skip
    done = rag("ask", "-", "--index", index, stdin=("\n".join(lines) + "\n").encode() + b"\xff\xfe\n")
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    errors = sum("error" in r for r in rows)
    return 0, tracebacks(done.stderr), 0.0, f"`rag ask -` 读入 {len(lines) + 1} 行坏输入：输出 {len(rows)} 行，其中 {errors} 行带 error，问题行照常回答"


def zip_bomb(work: Path, index: Path) -> tuple[int, int, float, str]:
    bomb = zip_bomb_docx(work / "镜湖区报告.docx", megabytes=500)
    started = time.perf_counter()
    done, peak = peak_mb("index", bomb, "--index", index)
    line = [x for x in done.stderr.decode().splitlines() if x.startswith("失败")][-1:]
    return 0, tracebacks(done.stderr), 0.0, (f"{bomb.stat().st_size / 2**20:.2f} MB 的压缩炸弹 .docx：{time.perf_counter() - started:.1f} 秒，"
                                            f"进程峰值内存 {peak:.0f} MB；{''.join(line)}")  # fmt: skip


def unpunctuated(work: Path, index: Path) -> tuple[int, int, float, str]:
    from rag.documents.ingest import read_report
    from rag.documents.sections import chunk_report

    big = write(work / "line" / "镜湖区一行报告.txt", one_line_report(700_000))
    started = time.perf_counter()
    chunks = chunk_report(read_report(big))
    cut = time.perf_counter() - started
    line = write(work / "line2" / "青山区一行报告.txt", one_line_report(40_000, "全区受理法律援助案件777件").replace("镜湖区", "青山区"))
    started = time.perf_counter()
    done = rag("index", line, "--index", index)
    quote = ask(load_index(index), "青山区受理法律援助案件多少件?").citations
    longest = max((len(c.quote) for c in quote), default=0)
    return 0, tracebacks(done.stderr), 0.0, (f"无标点报告：{big.stat().st_size / 2**20:.1f} MB 一行切为 {len(chunks)} 段（{cut:.2f} 秒，"
                                            f"最长 {max(c.end - c.start for c in chunks)} 字）；4 万字一行由另一进程索引 "
                                            f"{time.perf_counter() - started:.0f} 秒，引文最长 {longest} 字")  # fmt: skip


def lost_uploads(work: Path, index: Path) -> tuple[int, int, float, str]:
    from rag.app.uploads import IndexService

    own = work / "uploads-ix"
    shutil.copytree(index, own)
    service = IndexService(own)
    service.add([str(write(work / "gradio" / ("ab12" * 10) / JINGHU, small("白云区", 987)))], who="alice")
    service.add([str(write(work / "gradio" / ("cd34" * 10) / "000_1e730ce7ce0129e2.txt", small("鹿城区", 5)))],
                replace=True, who="bob")  # fmt: skip
    before = {d: r.sha256 for d, r in load_index(own).reports.items()}
    shutil.rmtree(work / "gradio")  # Ctrl-C on `rag serve`: Gradio deletes its temp folder
    version = own / (own / "CURRENT").read_text(encoding="utf-8")
    vectors = next(version.glob("seg-*/vectors.npy"))
    vectors.write_bytes(vectors.read_bytes()[: vectors.stat().st_size // 2])
    try:
        load_index(own)
        command = ""
    except IndexDamagedError as err:
        command = str(err).split("`")[1]
    done = rag(*shlex.split(command)[1:])
    after = {d: r.sha256 for d, r in load_index(own).reports.items()}
    lost = len(set(before.items()) - set(after.items()))
    return lost, tracebacks(done.stderr), 0.0, (f"上传后删除临时文件夹、损坏索引、按提示 `{command}` 重建：{len(before)} 份 → {len(after)} 份，"
                                                f"编号与替换后的版本{'不变' if after == before else '改变'}")  # fmt: skip


def forged_replacement(work: Path, index: Path) -> tuple[int, int, float, str]:
    own = work / "forged-ix"
    shutil.copytree(index, own)
    original = load_index(own).reports[JINGHU].sha256
    add_reports(own, [write(work / "forged" / JINGHU, small("镜湖区", 1))], replace=True, who="mallory")
    restore_report(own, JINGHU, who="admin")
    back = load_index(own).reports[JINGHU].sha256 == original
    events = [json.loads(line)["action"] for line in (own / "AUDIT.jsonl").read_text(encoding="utf-8").splitlines()]
    return (0 if back else 1), 0, 0.0, f"伪造替换后 `rag restore`：{'原文已恢复' if back else '未恢复'}；审计记录 {events[-2:]}"


def formulas(work: Path, index: Path) -> tuple[int, int, float, str]:
    from dataclasses import replace

    from test_export import comparison

    from rag.app.export import write_csv, write_xlsx

    answer = comparison()
    hostile = '=HYPERLINK("http://evil.example/","点击")'
    answer = replace(answer, rows=tuple(replace(r, citation=replace(r.citation, quote=hostile)) for r in answer.rows))
    folder = work / "export"
    folder.mkdir()
    with write_csv(answer, folder).open(encoding="utf-8-sig", newline="") as f:
        live = sum(cell.startswith("=") for row in csv.reader(f) for cell in row)
    live += zipfile.ZipFile(write_xlsx(answer, folder)).read("xl/worksheets/sheet1.xml").count(b"<f>")
    return 0, 0, 0.0, f"导出以 = 开头的原文：CSV 与 Excel 中的活公式 {live} 个"


def stale(work: Path, index: Path) -> tuple[int, int, float, str]:
    own = work / "stale-ix"
    shutil.copytree(index, own)
    live = LiveIndex(own)
    quoted_before = "644" in ask(live.current(), QUESTION).answer
    done = rag("remove", JINGHU, "--index", own)
    quoted_after = "644" in ask(live.current(), QUESTION).answer
    return 0, tracebacks(done.stderr), 0.0, f"服务中另一进程 `rag remove`：删除前引用 {quoted_before}，删除后仍引用 {quoted_after}"


def read_only_and_full(work: Path, index: Path) -> tuple[int, int, float, str]:
    if subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True).returncode:
        return 0, 0, 0.0, "只读与磁盘已满：本机不能挂载 tmpfs，未测"
    report = write(work / "ro" / "青山区报告.txt", small("青山区", 321))
    mounted = work / "mounted"
    mounted.mkdir()
    script = ('mount -t tmpfs -o size=64m tmpfs "$1" && cp -a "$2"/. "$1"/ && mount -o remount,ro "$1" || exit 99\n'
              '"$PY" -m rag.app.cli index "$3" --index "$1"; mount -o remount,rw "$1"\n'
              '"$PY" -m rag.app.cli index "$3" --index "$1" 2>"$1.err" & w=$!\n'
              'until grep -q 向量化 "$1.err" || ! kill -0 $w 2>/dev/null; do sleep 0.02; done\n'
              'dd if=/dev/zero of="$1/fill" bs=1M 2>/dev/null; wait $w; rm "$1/fill"; cat "$1.err" >&2\n'
              '"$PY" -m rag.app.cli docs --index "$1" | wc -l')  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PY": sys.executable}
    done = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", mounted, index, report], capture_output=True,
                          text=True, env=env, timeout=600)  # fmt: skip
    errors = [line for line in done.stderr.splitlines() if line.startswith("错误")]
    serving = int(done.stdout.split()[-1]) if done.stdout.split() else 0
    lost = len(load_index(index).reports) - serving
    return lost, tracebacks(done.stderr), 0.0, f"只读与磁盘已满（真实 tmpfs）：{' / '.join(errors)}；之后照常服务 {serving} 份"


def year_2099(work: Path, index: Path) -> tuple[int, int, float, str]:
    own = work / "year-ix"
    shutil.copytree(index, own)
    result = add_reports(own, [write(work / "year" / "青山区报告.txt", small("青山区", 321).replace("2024", "2099"))])
    year = load_index(own).reports["青山区报告.txt"].year
    return 0, 0, 0.0, f"报告年份 2099：记为 {year}；{result.warnings[0][1] if result.warnings else '没有提示'}"


ATTACKS = [long_question, long_history, megabyte_line, broken_batch, zip_bomb, unpunctuated, lost_uploads,
           forged_replacement, formulas, stale, read_only_and_full, year_2099]  # fmt: skip


def run_attacks(base: Path, work: Path, say) -> tuple[int, int, int, float]:
    """Every attack on a copy of `base` served by a `Server`; (attacks, reports lost, tracebacks, longest stall)."""
    index = work / "attacked"
    shutil.copytree(base, index)
    server = Server(index)
    lost = tracebacks_seen = 0
    longest = 0.0
    for attack in ATTACKS:
        server.stall()
        (work / attack.__name__).mkdir()
        gone, tb, spent, line = attack(work / attack.__name__, index)
        stall = max(spent, server.stall())
        lost, tracebacks_seen, longest = lost + gone, tracebacks_seen + tb, max(longest, stall)
        say(f"{line}；服务中最长回答 {stall:.2f} 秒")
    server.stop.set()
    return len(ATTACKS), lost, tracebacks_seen, longest
