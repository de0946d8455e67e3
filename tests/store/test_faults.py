"""Fault injection: no report is ever lost, and every bad input or damaged index is one clear line.

Each case was found by trying it. They run against real indexes built with the real model (conftest.py),
concurrent writers and killed writers are real processes, and damage is done to a copy of one small index.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag.answer.answer import NO_CONTENT, ask
from rag.app.cli import main
from rag.app.uploads import IndexService
from rag.documents.ingest import read_report
from rag.errors import IndexBusyError, IndexDamagedError
from rag.store.lock import index_lock
from rag.store.store import add_reports, load_index, remove_report

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
LUCHENG = SEEDS / "000_1e730ce7ce0129e2.txt"  # 鹿城区
JINGHU = "004_b09f2e2d8cdb3710.txt"  # 镜湖区


def small_report(region: str, cases: int) -> str:
    return (
        f"{region}人民政府关于2024年法治政府建设情况的报告\n\n2024年，{region}坚持依法行政，现将有关情况报告如下。\n"
        f"一、主要举措和成效\n（一）公共法律服务\n全年受理法律援助案件{cases}件，人民调解化解率达97.5%。\n"
    )


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def rag(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def rag_process(*argv: str | Path) -> subprocess.Popen:
    """`rag ARGV…` as its own process, the way two users at two terminals run it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "rag.app.cli", *map(str, argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


# ---------------------------------------------------------------- identity


def test_two_reports_named_alike_in_two_folders_are_two_reports(tmp_path, capsys):
    a = write(tmp_path / "a" / "政府工作报告.txt", small_report("青山区", 321))
    b = write(tmp_path / "b" / "政府工作报告.txt", small_report("绿水县", 654))
    write(tmp_path / "b" / "独一份.txt", small_report("白云区", 987))
    code, out, _ = rag(capsys, "index", a.parent, b.parent, "--index", tmp_path / "ix")
    assert code == 0
    assert "新增 3: a/政府工作报告.txt, b/政府工作报告.txt, 独一份.txt" in out, "a unique name stays the plain name"
    index = load_index(tmp_path / "ix")
    assert {d: r.region for d, r in index.reports.items()} == {
        "a/政府工作报告.txt": "青山区",
        "b/政府工作报告.txt": "绿水县",
        "独一份.txt": "白云区",
    }
    assert "654件" in ask(index, "绿水县受理法律援助案件多少件?").answer
    code, out, _ = rag(capsys, "index", a.parent, b.parent, "--index", tmp_path / "ix")
    assert code == 0 and "未变 3" in out


def test_a_namesake_from_elsewhere_is_added_and_replaces_only_when_asked(index_copy, tmp_path):
    changed = small_report("镜湖区", 999)
    upload = write(tmp_path / "gradio" / ("ab12" * 10) / JINGHU, changed)  # where Gradio keeps an upload
    result = add_reports(index_copy, [upload])
    new_doc = JINGHU.replace(".txt", " (2).txt")
    assert result.added == [new_doc] and result.warnings and "--replace" in result.warnings[0][1]
    index = load_index(index_copy)
    assert index.reports[JINGHU].region == "镜湖区" and "调解率达50.6%" in index.reports[JINGHU].text
    again = write(tmp_path / "later" / JINGHU, changed.replace("999", "1001"))
    result = add_reports(index_copy, [again], replace=True)
    assert result.updated == [JINGHU] and not result.added
    index = load_index(index_copy)
    assert "1001件" in index.reports[JINGHU].text and "999件" in index.reports[new_doc].text
    assert len(index.reports) == 6


def test_the_same_report_in_another_encoding_is_indexed_once(index_copy, tmp_path):
    text = LUCHENG.read_text(encoding="utf-8")
    gbk_copy = write(tmp_path / "鹿城区（GBK）.txt", text.replace("\n", "\r\n"), "gb18030")
    result = add_reports(index_copy, [gbk_copy])
    assert not result.added and "000_1e730ce7ce0129e2.txt" in result.failed[0][1]
    same_name = write(tmp_path / "elsewhere" / LUCHENG.name, text, "gb18030")
    assert add_reports(index_copy, [same_name]).unchanged == [LUCHENG.name]
    answer = ask(load_index(index_copy), "各区行政复议新收案件分别多少件?")
    assert "341件" in answer.answer and "未给出该数字：鹿城区" not in answer.answer


# ---------------------------------------------------------------- writers


def test_two_writers_at_once_lose_no_report(index_copy, tmp_path):
    first = write(tmp_path / "one" / "青山区报告.txt", small_report("青山区", 321))
    second = write(tmp_path / "two" / "绿水县报告.txt", small_report("绿水县", 654))
    third = write(tmp_path / "three" / "白云区报告.txt", small_report("白云区", 987))
    procs = [rag_process("index", path, "--index", index_copy) for path in (first, second)]
    IndexService(index_copy).add([str(third)])  # the UI's upload, in this process, at the same time
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert all("Traceback" not in err for _, err in outputs)
    regions = {r.region for r in load_index(index_copy).reports.values()}
    assert {"青山区", "绿水县", "白云区", "镜湖区"} <= regions and len(regions) == 8


def test_a_second_writer_waits_for_the_lock_and_says_so(index_copy, small_report):
    heard: list[str] = []
    with index_lock(index_copy):
        writer = threading.Thread(target=add_reports, args=(index_copy, [small_report]), kwargs={"progress": heard.append})
        writer.start()
        deadline = time.monotonic() + 60
        while not any("等待" in m for m in heard) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(f"pid {os.getpid()}" in m and "等待它完成" in m for m in heard)
        assert len(load_index(index_copy).reports) == 5
    writer.join(60)
    assert small_report.name in load_index(index_copy).reports


def test_a_writer_that_cannot_get_the_lock_fails_clearly(index_copy, small_report):
    with index_lock(index_copy), pytest.raises(IndexBusyError, match=f"pid {os.getpid()}"):
        add_reports(index_copy, [small_report], lock_wait=0.3)
    assert len(load_index(index_copy).reports) == 5


def test_the_lock_of_a_killed_writer_is_taken_over(index_copy):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from rag.store.lock import index_lock\n"
         "with index_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(120)", str(index_copy)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "locked"
    assert f"pid {holder.pid}" in (index_copy / "LOCK").read_text(encoding="utf-8")
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    remove_report(index_copy, JINGHU)  # would wait on a live holder; the dead one's lock is free
    assert JINGHU not in load_index(index_copy).reports


def test_a_writer_killed_mid_write_leaves_the_index_serving_and_its_temp_folder_is_removed(index_copy, small_report):
    writer = rag_process("index", small_report, "--index", index_copy)
    deadline = time.monotonic() + 120
    while not list(index_copy.glob(".tmp-v-*")) and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)
    assert list(index_copy.glob(".tmp-v-*")), "killed while writing its new version"
    assert len(load_index(index_copy).reports) == 5, "the last good index still serves"
    result = add_reports(index_copy, [small_report])
    assert result.added == [small_report.name]
    assert not list(index_copy.glob(".tmp-*")) and not list(index_copy.glob(".CURRENT-*"))


def test_stale_temp_folders_are_removed_by_the_next_write(index_copy):
    stale = index_copy / ".tmp-v-20240101-000000-99999-1"
    stale.mkdir()
    (stale / "vectors.npy").write_bytes(os.urandom(1 << 20))
    (index_copy / ".CURRENT-v-20240101-000000-99999-1").write_text("v-20240101-000000-99999-1")
    remove_report(index_copy, JINGHU)
    assert not stale.exists() and not list(index_copy.glob(".CURRENT-*"))


# ---------------------------------------------------------------- partial failure


def test_a_missing_path_and_a_gbk_file_name_are_reported_and_the_rest_indexed(tmp_path, small_report, capsys):
    folder = small_report.parent
    gbk_name = os.fsencode(folder) + b"/" + "镜湖区报告.txt".encode("gbk")
    with open(gbk_name, "wb") as f:
        f.write(small_report.read_bytes().replace("青山区".encode(), "镜湖区".encode()))
    code, out, err = rag(capsys, "index", folder, tmp_path / "typo.txt", "--index", tmp_path / "ix")
    assert code == 1
    assert f"新增 1: {small_report.name}" in out
    assert "typo.txt: 文件或文件夹不存在" in err
    assert "镜湖区报告.txt" in err and "UTF-8" in err and "Traceback" not in err
    assert list(load_index(tmp_path / "ix").reports) == [small_report.name]


# ---------------------------------------------------------------- damaged indexes


def _version(index: Path) -> Path:
    return index / (index / "CURRENT").read_text(encoding="utf-8")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _drop_lines(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) * 3 // 4]), encoding="utf-8")


FILES = ["manifest.json", "vocab.jsonl", "reports.jsonl", "texts.utf8", "chunks.npy", "sections.json", "facts.npy",
         "fact_strings.json", "tokens.npy", "token_starts.npy", "postings_ptr.npy", "postings_doc.npy",
         "postings_tf.npy", "vectors.npy", "faiss.index"]  # fmt: skip
DAMAGE = [(name, how) for name in FILES for how in ("truncated", "deleted")]
DAMAGE += [("reports.jsonl", "lines dropped"), ("vocab.jsonl", "lines dropped"), ("vectors.npy", "zeroed")]


def damage(index: Path, name: str, how: str) -> None:
    """Damage a file of the live version (one of a segment's, rag/store/layout.py, when it has no such file itself)."""
    path = _version(index) / name
    if not path.exists():
        (path,) = _version(index).glob(f"seg-*/{name}")
    if how == "truncated":
        _truncate(path)
    elif how == "deleted":
        path.unlink()
    elif how == "lines dropped":
        _drop_lines(path)
    else:
        path.write_bytes(bytes(path.stat().st_size))


@pytest.mark.parametrize(("name", "how"), DAMAGE, ids=[f"{n}-{h}" for n, h in DAMAGE])
def test_a_damaged_index_file_is_one_line_naming_it_and_the_fix(index_copy, capsys, name, how):
    damage(index_copy, name, how)
    code, out, err = rag(capsys, "ask", "镜湖区受理法律援助案件多少件?", "--index", index_copy)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("错误: 索引已损坏") and "Traceback" not in err
    assert name in err and f"请重建：`rag index --index {index_copy} --rebuild`" in err, "from the index's own copies"


def test_an_index_from_before_checksums_still_catches_dropped_lines(seeds_index, tmp_path):
    from format1 import write_format1  # the JSON-lines layout of before segments (tests/format1.py)

    index_copy = tmp_path / "old"
    write_format1(load_index(seeds_index), index_copy, checksums=False)
    manifest_path = _version(index_copy) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["rows"]
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    _drop_lines(_version(index_copy) / "chunks.jsonl")
    with pytest.raises(IndexDamagedError, match=rf"chunks.jsonl（有 \d+ 条，清单记录为 {manifest['chunks']} 条）"):
        load_index(index_copy)


@pytest.mark.parametrize("how", ["garbage", "dangling"])
def test_a_current_pointer_to_nowhere_is_damage(index_copy, how):
    (index_copy / "CURRENT").write_text("\x00\x01 not a version" if how == "garbage" else "v-19990101-000000-1-1")
    with pytest.raises(IndexDamagedError, match="CURRENT 指向的版本"):
        load_index(index_copy)


@pytest.mark.parametrize("how", ["garbage", "dangling"])
def test_the_fix_for_a_damaged_current_pointer_rebuilds_every_report(index_copy, capsys, how):
    (index_copy / "CURRENT").write_text("\x00\x01 not a version" if how == "garbage" else "v-19990101-000000-1-1")
    with pytest.raises(IndexDamagedError) as caught:
        load_index(index_copy)
    command = str(caught.value).split("`")[1]
    assert command == f"rag index --index {index_copy} --rebuild"
    code, out, err = rag(capsys, *shlex.split(command)[1:])
    assert code == 0 and "重建 5: " in out, err
    assert len(load_index(index_copy).reports) == 5


def test_a_lost_current_pointer_falls_back_to_the_live_version(index_copy):
    (index_copy / "CURRENT").unlink()
    assert len(load_index(index_copy).reports) == 5


def test_the_rebuild_command_in_the_message_repairs_the_index(tmp_path, capsys):
    sources = tmp_path / "reports"
    for region, cases in (("青山区", 321), ("绿水县", 654)):
        write(sources / f"{region}.txt", small_report(region, cases))
    add_reports(tmp_path / "ix", [sources])
    damage(tmp_path / "ix", "vectors.npy", "truncated")
    with pytest.raises(IndexDamagedError) as caught:
        load_index(tmp_path / "ix")
    command = str(caught.value).split("`")[1]
    assert command == f"rag index --index {tmp_path / 'ix'} --rebuild", "the index rebuilds from its own copies"
    shutil.rmtree(sources)  # nothing depends on where the files were
    code, out, err = rag(capsys, *shlex.split(command)[1:])
    assert code == 0, err
    assert "重建 2: 绿水县.txt, 青山区.txt" in out
    assert sorted(load_index(tmp_path / "ix").reports) == ["绿水县.txt", "青山区.txt"]


# ---------------------------------------------------------------- questions and encodings


@pytest.mark.parametrize(
    "question", ["？！。…", "😀🎉👍", "asdfghjkl qwerty", ".*+?[](){}^$|\\", "？？？", "2024"]
)
def test_a_question_without_content_words_gets_no_quote(seeds_index, question):
    answer = ask(load_index(seeds_index), question)
    assert answer.answer == NO_CONTENT and answer.citations == () and answer.related == ()


def test_questions_with_content_are_still_answered(seeds_index):
    index = load_index(seeds_index)
    assert "644" in ask(index, "How many legal aid cases did Jinghu district accept?").answer
    assert ask(index, "高区有多少名人民调解员?").citations


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read_as_text(tmp_path, encoding):
    text = LUCHENG.read_text(encoding="utf-8")
    report = read_report(write(tmp_path / "鹿城区.txt", text, encoding))
    assert report.encoding == encoding and report.text == text and report.region == "鹿城区"
    assert open(report.path, encoding=report.encoding).read() == report.text


def test_utf16_copy_of_an_indexed_report_is_a_duplicate(index_copy, tmp_path):
    copy = write(tmp_path / "鹿城区 UTF-16.txt", LUCHENG.read_text(encoding="utf-8"), "utf-16-le")
    assert "000_1e730ce7ce0129e2.txt" in add_reports(index_copy, [copy]).failed[0][1]



# ---------------------------------------------------------------- the index owns its sources (issue 19)


def test_uploads_outlive_their_temp_folder_and_the_fix_keeps_ids_and_replacements(tmp_path, capsys):
    """Before: Ctrl-C on `rag serve` let Gradio delete the uploads' temp folder; the rebuild the damage
    message printed then exited 0 with 6 reports of 7, gave `政府工作报告 (2).txt` to another district and
    brought back a report that had been replaced."""
    sources = tmp_path / "reports"
    write(sources / "政府工作报告.txt", small_report("青山区", 321))
    write(sources / "绿水县.txt", small_report("绿水县", 654))
    index = tmp_path / "ix"
    add_reports(index, [sources])
    service = IndexService(index)
    upload = write(tmp_path / "gradio" / ("ab12" * 10) / "政府工作报告.txt", small_report("白云区", 987))
    assert service.add([str(upload)], who="alice").added == ["政府工作报告 (2).txt"]
    newer = write(tmp_path / "gradio" / ("cd34" * 10) / "绿水县.txt", small_report("绿水县", 1001))
    assert service.add([str(newer)], replace=True, who="bob").updated == ["绿水县.txt"]
    before = {d: (r.region, r.sha256) for d, r in load_index(index).reports.items()}
    shutil.rmtree(tmp_path / "gradio")  # what Gradio does with its temp folder on Ctrl-C
    shutil.rmtree(sources)
    damage(index, "vectors.npy", "truncated")
    with pytest.raises(IndexDamagedError) as caught:
        load_index(index)
    command = str(caught.value).split("`")[1]
    assert command == f"rag index --index {index} --rebuild"
    fix = rag_process(*shlex.split(command)[1:])
    out, err = fix.communicate(timeout=300)
    assert fix.returncode == 0 and "Traceback" not in err, err
    assert {d: (r.region, r.sha256) for d, r in load_index(index).reports.items()} == before
    assert "1001件" in load_index(index).reports["绿水县.txt"].text, "the replaced version stays replaced"
    assert sorted(p.name for p in (index / "sources").glob("*/*.txt")) == ["政府工作报告.txt"] * 2 + ["绿水县.txt"] * 2


def test_a_replaced_or_removed_report_can_be_restored_and_every_change_is_audited(index_copy, tmp_path, capsys):
    """Before: any user could replace a report with a forged text under its title, with no record of who or
    when and no way back."""
    forged = write(tmp_path / "upload" / JINGHU, small_report("镜湖区", 1))
    assert add_reports(index_copy, [forged], replace=True, who="mallory").updated == [JINGHU]
    assert "受理法律援助案件1件" in load_index(index_copy).reports[JINGHU].text
    code, out, _ = rag(capsys, "history", JINGHU, "--index", index_copy)
    first, second = out.splitlines()
    assert code == 0 and first.startswith("1\t") and "\t加入\t" in first and str(SEEDS / JINGHU) in first
    assert second.startswith("2\t") and "\tmallory\t替换\t" in second and second.endswith(f"{forged}\t（现行）")
    code, out, _ = rag(capsys, "restore", JINGHU, "--index", index_copy)
    assert code == 0 and out.startswith(f"已恢复 {JINGHU} 第 1 版")
    assert load_index(index_copy).reports[JINGHU].text == (SEEDS / JINGHU).read_text(encoding="utf-8")
    remove_report(index_copy, JINGHU, who="mallory")
    code, out, _ = rag(capsys, "restore", JINGHU, "2", "--index", index_copy)
    assert code == 0 and JINGHU in load_index(index_copy).reports, "a removed report comes back under its own id"
    events = [json.loads(line) for line in (index_copy / "AUDIT.jsonl").read_text(encoding="utf-8").splitlines()]
    mine = [(e["action"], e["who"]) for e in events if e["doc"] == JINGHU]
    assert mine[1:] == [("replace", "mallory"), ("restore", mine[2][1]), ("remove", "mallory"), ("restore", mine[4][1])]
    assert all(e["when"] and e["origin"] and e["sha256"] for e in events)
    code, _, err = rag(capsys, "restore", JINGHU, "9", "--index", index_copy)
    assert code == 1 and err == f"错误: {JINGHU} 没有第 9 版：共有 4 版；`rag history {JINGHU}` 列出它们\n"


# ---------------------------------------------------------------- a running server follows the folder


def test_a_running_server_sees_a_report_another_process_removed(index_copy):
    """Before: after `rag remove` while `rag serve` ran, the removed report was still quoted and listed until a
    restart or the next upload."""
    from rag.store.live import LiveIndex

    live, service = LiveIndex(index_copy), IndexService(index_copy)
    question = "镜湖区受理法律援助案件多少件?"
    assert "644" in ask(service.index, question).answer and JINGHU in live.current().reports
    remover = rag_process("remove", JINGHU, "--index", index_copy)
    assert remover.communicate(timeout=120)[1].count("Traceback") == 0 and remover.returncode == 0
    assert JINGHU not in live.current().reports and JINGHU not in service.index.reports
    assert "644" not in ask(service.index, question).answer
    started = time.perf_counter()
    for _ in range(1000):
        live.current()
    assert time.perf_counter() - started < 0.5, "cheap enough to call for every question"


# ---------------------------------------------------------------- disk full, read-only, not a folder


def in_own_mounts(script: str, *args) -> subprocess.CompletedProcess:
    """Run a shell `script` in a mount namespace of its own (its tmpfs mounts go with it); skip the test where
    this machine does not allow one (it needs root, or user namespaces)."""
    if subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs in a mount namespace here")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PY": sys.executable}
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=600)  # fmt: skip


def test_a_read_only_index_folder_is_one_line_before_any_embedding_and_keeps_serving(index_copy, small_report):
    """Before: `PermissionError … LOCK` and a FAISS assertion, only after all the embedding was done."""
    mounted = index_copy.parent / "mounted"
    mounted.mkdir()
    done = in_own_mounts(
        'mount -t tmpfs -o size=64m tmpfs "$1" && cp -a "$2"/. "$1"/ && mount -o remount,ro "$1" || exit 99\n'
        '"$PY" -m rag.app.cli index "$3" --index "$1"; echo "exit $?"\n'
        '"$PY" -m rag.app.cli docs --index "$1" | wc -l',
        mounted, index_copy, small_report,
    )  # fmt: skip
    assert done.stdout.splitlines() == ["exit 1", "5"], done.stdout + done.stderr  # and `rag docs` still reads it
    assert done.stderr == f"错误: 索引文件夹 {mounted} 在只读文件系统上，无法写入；请用 --index 指定可写的文件夹，或以读写方式重新挂载它\n"


def test_a_full_disk_is_one_line_and_the_last_good_index_keeps_serving(index_copy, small_report):
    """Before: `OSError: [Errno 28]` as a traceback. A real tmpfs, filled while the writer embeds."""
    mounted = index_copy.parent / "mounted"
    mounted.mkdir()
    done = in_own_mounts(
        'mount -t tmpfs -o size=64m tmpfs "$1" && cp -a "$2"/. "$1"/ || exit 99\n'
        '"$PY" -m rag.app.cli index "$3" --index "$1" 2>"$1.err" & writer=$!\n'
        'until grep -q 向量化 "$1.err" || ! kill -0 $writer 2>/dev/null; do sleep 0.02; done\n'
        'dd if=/dev/zero of="$1/fill" bs=1M 2>/dev/null; wait $writer; echo "exit $?"\n'
        'rm "$1/fill"; "$PY" -m rag.app.cli docs --index "$1" | wc -l; ls -a "$1" | grep -c "^\\.tmp" ; cat "$1.err"',
        mounted, index_copy, small_report,
    )  # fmt: skip
    out = done.stdout.splitlines()
    assert done.returncode == 0 and out[:3] == ["exit 1", "5", "0"], done.stdout + done.stderr
    error = [line for line in out[3:] if line.startswith("错误")]
    assert error == [f"错误: 磁盘已满，无法写入索引 {mounted}（只剩 0.0 MB）；请腾出空间，或用 --index 换到空间足够的磁盘后重试（上一个完好的索引版本仍在服务）"]
    assert "Traceback" not in done.stdout


def test_too_little_room_is_said_before_the_embedding(index_copy, small_report):
    mounted = index_copy.parent / "mounted"
    mounted.mkdir()
    done = in_own_mounts(
        'mount -t tmpfs -o size=3m tmpfs "$1" && cp -a "$2"/. "$1"/ || exit 99\n'
        '"$PY" -m rag.app.cli index "$3" --index "$1"; echo "exit $?"',
        mounted, index_copy, small_report,
    )  # fmt: skip
    assert done.stdout.splitlines()[-1] == "exit 1" and "向量化" not in done.stderr
    assert done.stderr.startswith(f"错误: 磁盘空间不足：写入索引 {mounted} 约需 ") and done.stderr.count("\n") == 1


def test_a_file_where_the_index_folder_should_be_is_one_line(tmp_path, small_report, capsys):
    (tmp_path / "ix").write_text("not a folder")
    code, out, err = rag(capsys, "index", small_report, "--index", tmp_path / "ix")
    assert code == 1 and err == f"错误: {tmp_path / 'ix'} 不是文件夹（那里已有同名文件）；请用 --index 指定一个文件夹\n"
