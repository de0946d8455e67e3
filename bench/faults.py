"""Fault matrix (not a test): kill -9 a real `rag index` at moments of embedding and writing, damage each index
file, and count what was lost.

    python bench/faults.py [--out bench/results/faults.txt]

Kill matrix: a copy of the seeds index, and a `rag index EXTRA` process killed (SIGKILL) at each moment, seen
from outside (its progress lines, the files it makes). After each kill the index must load with every report
it had, and the same command run again must finish and add the report, leaving no temporary folder.
Damage matrix (on an index of three short reports, so each case can end in a real rebuild): each index file
truncated, deleted, cut by lines or zeroed; `rag docs` must fail with one line naming the file (never a
traceback), and the command in that line must rebuild every report.
Then what checksumming costs at load, and the abuse attacks of issue 19 (bench/attacks.py: each while a server
thread answers, its longest answer the attack's stall). Ends with "N attacks, R reports lost, T tracebacks,
longest stall X s" (N counts the kills and damages too); `--attacks-only` runs the attacks alone.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rag.app.cli import main  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.store import integrity  # noqa: E402
from rag.store.lock import index_lock  # noqa: E402
from rag.store.store import EMBED_SLICE, add_reports, load_index  # noqa: E402

SEEDS = ROOT / "seeds"
TOPICS = ["公共法律服务", "行政复议", "行政执法", "普法宣传", "矛盾纠纷化解", "营商环境", "政务公开", "基层治理"]


def extra_report(folder: Path) -> Path:
    """A report of ~240 chunks, two embedding slices: long enough to be killed in the middle of it."""
    lines = ["青山区人民政府关于2024年法治政府建设情况的报告", "", "2024年，青山区坚持依法行政，现将有关情况报告如下。"]
    for i, topic in enumerate(TOPICS * 6):
        lines.append(f"{'一二三四五六七八九十'[i % 10]}、{topic}（第{i + 1}部分）")
        for j in range(5):
            lines.append(
                f"（{'一二三四五'[j]}）第{j + 1}项工作。全年办理{topic}相关事项{100 + 7 * i + j}件，同比增长{j + 1}.{i}%，"
                f"群众满意度达9{j}.{i}%。开展专项检查{i + j + 3}次，整改问题{2 * i + j}个，形成制度成果{j + 1}项。"
                f"下一步将继续完善{topic}工作机制，推动各项任务落地见效。"
            )
    path = folder / "青山区2024年法治政府建设情况的报告.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Writer:
    """`rag ARGV…` in its own process; its stderr is collected as it comes."""

    def __init__(self, *argv: str | Path):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rag.app.cli", *map(str, argv)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        self.err = b""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while chunk := self.proc.stderr.read1(4096):
            self.err += chunk

    def said(self, text: str) -> bool:
        return text.encode() in self.err

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def finish(self) -> tuple[int, str]:
        code = self.proc.wait(600)
        time.sleep(0.1)
        return code, self.err.decode("utf-8", "replace")


def wait_for(condition: Callable[[], bool], writer: Writer, timeout: float = 300) -> bool:
    """Poll (busy, to land inside millisecond windows) until `condition` holds or the writer ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if writer.proc.poll() is not None:
            return False
    return False


def after(seconds: float) -> Callable[[Path, Writer], bool]:
    return lambda index, writer: time.sleep(seconds) or True


def hears(text: str) -> Callable[[Path, Writer], bool]:
    """When the writer has printed `text` (a progress line, or its progress bar's count)."""
    return lambda index, writer: wait_for(lambda: writer.said(text), writer)


def sees(pattern: str, more_than: int = 0) -> Callable[[Path, Writer], bool]:
    """When more than `more_than` files or folders match `pattern` in the index folder."""
    return lambda index, writer: wait_for(lambda: len(list(index.glob(pattern))) > more_than, writer)


def on_disk(index: Path, base_version: str) -> str:
    """What a kill left behind, read from the folder: the moment it really landed."""
    tmp = any(index.glob(".tmp-v-*"))
    current = (index / "CURRENT").read_text(encoding="utf-8")
    others = [v.name for v in index.glob("v-*") if v.name not in (base_version, current)]
    if current == base_version:
        return "临时文件夹未完成" if tmp else ("新版本已就位、CURRENT 未切换" if others else "尚未开始写入")
    return "CURRENT 已切换、旧版本未删" if (index / base_version).exists() else "写入已完成"


def kill_matrix(base: Path, work: Path, extra: Path, say) -> tuple[int, int, int]:
    base_docs = set(load_index(base).reports)
    base_version = (base / "CURRENT").read_text(encoding="utf-8")
    moments = [
        ("启动 0.5 秒（导入与载入模型）", "", after(0.5)),
        ("向量化开始", "", hears("正在向量化")),
        ("向量化中途（第一批 128 段已完成）", "", hears(f"{EMBED_SLICE}/")),
        ("等待写锁（另一写入者持锁）", "lock", hears("等待它完成")),
        ("写入：临时文件夹刚建立", "", sees(".tmp-v-*")),
        ("写入：vectors.npy 已写", "", sees(".tmp-v-*/seg-*/vectors.npy")),
        ("写入：postings 已写", "", sees(".tmp-v-*/seg-*/postings_tf.npy")),
        ("写入：manifest.json 已写（fsync 中）", "", sees(".tmp-v-*/manifest.json")),
        ("写入：新版本改名之后", "", sees("v-*", more_than=1)),
        ("写入：CURRENT 切换之后", "", lambda ix, w: wait_for(lambda: (ix / "CURRENT").read_text() != base_version, w)),
        ("重建（--rebuild）的临时文件夹刚建立", "rebuild", sees(".tmp-v-*")),
    ]
    faults = lost = tracebacks = 0
    for n, (moment, flags, reach) in enumerate(moments, 1):
        index = work / f"kill-{n}"
        shutil.copytree(base, index)
        argv = ["index", extra, *([SEEDS, "--rebuild"] if flags == "rebuild" else []), "--index", index]
        with ExitStack() as stack:
            if flags == "lock":
                stack.enter_context(index_lock(index))
            writer = Writer(*argv)
            reached = reach(index, writer)
            writer.kill()
        left = on_disk(index, base_version)
        _, err = writer.finish()
        tracebacks += err.count("Traceback")
        serving = set(load_index(index).reports)
        code, err = Writer(*argv).finish()  # the user runs it again
        tracebacks += err.count("Traceback")
        final = set(load_index(index).reports)
        missing = (base_docs | {extra.name}) - final
        leftovers = [p.name for p in index.glob(".tmp-*")]
        lost += len(missing) + len(base_docs - serving)
        faults += 1
        say(
            f"kill -9 @ {moment}{'' if reached else '（未观察到，进程先结束）'}：留下「{left}」；"
            f"仍在服务 {len(serving)} 份；重跑退出码 {code}，之后 {len(final)} 份，丢失 {len(missing)}，"
            f"残留临时文件夹 {len(leftovers)}"
        )
    return faults, lost, tracebacks


def small_base(work: Path) -> Path:
    """An index of three short reports: each damage case ends in a real rebuild, so keep it seconds long."""
    sources = work / "small-sources"
    sources.mkdir()
    for region, cases in (("青山区", 321), ("绿水县", 654), ("白云区", 987)):
        (sources / f"{region}2024年报告.txt").write_text(
            f"{region}人民政府关于2024年法治政府建设情况的报告\n\n一、主要举措和成效\n（一）公共法律服务\n"
            f"全年受理法律援助案件{cases}件，人民调解化解率达97.5%。\n（二）行政复议\n新收行政复议案件45件。\n",
            encoding="utf-8",
        )
    add_reports(work / "small", [sources])
    return work / "small"


def damage_matrix(base: Path, work: Path, say) -> tuple[int, int, int]:
    version = (base / "CURRENT").read_text(encoding="utf-8")
    files = sorted(p.relative_to(base / version).as_posix() for p in (base / version).rglob("*") if p.is_file())
    cases: list[tuple[str, str]] = [(f, how) for f in files for how in ("截断一半", "删除")]
    cases += [(f, "删去四分之一行") for f in files if f.endswith(".jsonl")]
    cases += [(next(f for f in files if f.endswith("vectors.npy")), "全部置零"), ("manifest.json", "改成无效 JSON")]
    cases += [("CURRENT", "删除"), ("CURRENT", "写入乱码"), ("CURRENT", "指向不存在的版本")]
    base_docs = set(load_index(base).reports)
    say(f"损坏：基础索引 {len(base_docs)} 份短报告，每种损坏后按提示的命令重建")
    faults = lost = tracebacks = 0
    for n, (name, how) in enumerate(cases, 1):
        index = work / f"damage-{n}"
        shutil.copytree(base, index)
        _damage(index / (name if name == "CURRENT" else f"{version}/{name}"), how)
        code, err = _run("docs", "--index", index)
        tracebacks += err.count("Traceback")
        faults += 1
        if code == 0:  # a lost CURRENT: the live version is still found
            ok = set(load_index(index).reports) == base_docs
            lost += 0 if ok else len(base_docs)
            say(f"损坏 {name}（{how}）：照常服务 {len(load_index(index).reports)} 份")
            continue
        line = err.strip().splitlines()[-1] if err.strip() else ""
        names_it = name.split("/")[0] in line and "--rebuild" in line and err.count("\n") == 1
        command = line.split("`")[1] if "`" in line else ""
        fixed = _rebuild(command, base.parent / "small-sources") if command else set()
        lost += len(base_docs - fixed)
        say(f"损坏 {name}（{how}）：退出码 {code}，{'一行、指明文件和修复命令' if names_it else '提示不合格：' + line}；"
            f"按提示重建后 {len(fixed)} 份")  # fmt: skip
    return faults, lost, tracebacks


def _damage(path: Path, how: str) -> None:
    if how == "删除":
        path.unlink()
    elif how == "截断一半":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "删去四分之一行":
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[: len(lines) * 3 // 4]))
    elif how == "全部置零":
        path.write_bytes(bytes(path.stat().st_size))
    elif how == "改成无效 JSON":
        path.write_text('{"format": 1, "model": ', encoding="utf-8")
    elif how == "写入乱码":
        path.write_bytes(b"\x00\xff garbage")
    else:
        path.write_text("v-19990101-000000-1-1", encoding="utf-8")


def _run(*argv: str | Path) -> tuple[int, str]:
    return Writer(*argv).finish()


def _rebuild(command: str, sources: Path) -> set[str]:
    """Run the fix the message names (in this process: the model is loaded once) and list the reports after."""
    argv = shlex.split(command)[1:]
    if "报告文件或文件夹…" in argv:  # the manifest itself is lost: the user names the folders
        argv = [str(sources) if a == "报告文件或文件夹…" else a for a in argv]
    try:
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            main(argv)
        return set(load_index(argv[argv.index("--index") + 1]).reports)
    except RagError:
        return set()


def checksum_cost(base: Path, work: Path, say) -> None:
    """sha256 throughput on 50 MB, and the share of checksums in loading the seeds index."""
    blob = work / "50mb"
    blob.mkdir()
    for i in range(5):
        (blob / f"part-{i}.bin").write_bytes(os.urandom(10 << 20))
    start = time.perf_counter()
    integrity.file_records(blob)
    per_50mb = time.perf_counter() - start
    version = base / (base / "CURRENT").read_text(encoding="utf-8")
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    start = time.perf_counter()
    for _ in range(5):
        integrity.verify_files(integrity.Location(base, version), manifest)
    verify = (time.perf_counter() - start) / 5
    start = time.perf_counter()
    for _ in range(5):
        load_index(base)
    load = (time.perf_counter() - start) / 5
    size = sum(p.stat().st_size for p in version.rglob("*") if p.is_file())
    say(f"校验和：sha256 {per_50mb * 1000:.0f} ms / 50 MB（{50 / per_50mb:.0f} MB/s）；"
        f"种子索引（{size / 2**20:.1f} MB）载入 {load * 1000:.0f} ms，其中校验 {verify * 1000:.1f} ms；"
        f"48 MB 的 86 份报告索引载入时多约 {48 / 50 * per_50mb * 1000:.0f} ms")  # fmt: skip


def run(out: Path | None, attacks_only: bool = False) -> str:
    from attacks import run_attacks

    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory(prefix="rag-faults-") as tmp:
        work = Path(tmp)
        started = time.monotonic()
        base = work / "base"
        add_reports(base, [SEEDS])
        faults = lost = tracebacks = 0
        if not attacks_only:
            extra = extra_report(work)
            say(f"kill -9：基础索引 {len(load_index(base).reports)} 份种子报告，被杀的写入者加入 {extra.name}")
            k = kill_matrix(base, work, extra, say)
            d = damage_matrix(small_base(work), work, say)
            checksum_cost(base, work, say)
            faults, lost, tracebacks = (a + b for a, b in zip(k, d, strict=True))
            say(f"{faults} faults, {lost} reports lost, {tracebacks} tracebacks")
        say("攻击（issue 19）：每次攻击时，同一进程中的服务线程每 0.2 秒回答一个问题，记下最长的一次")
        n, a_lost, a_tracebacks, stall = run_attacks(base, work, say)
        say(f"({time.monotonic() - started:.0f} s)")
        say(f"{faults + n} attacks, {lost + a_lost} reports lost, {tracebacks + a_tracebacks} tracebacks, "
            f"longest stall {stall:.1f} s")
    if out:
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines[-1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "faults.txt")
    parser.add_argument("--attacks-only", action="store_true", help="skip the kill and damage matrices (16 minutes)")
    args = parser.parse_args()
    run(args.out if not args.attacks_only else None, args.attacks_only)
