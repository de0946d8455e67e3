"""The development questions and the probes on both backends: the same figures, the same answers (issue 20).

    python bench/milvus_equal.py --seeds DIR --corpus DIR --blind DIR [--work DIR]
                                 [--out bench/results/milvus_equal.txt]

DIR are folder indexes: the seeds, the seeds + ../shared/corpus (86 reports), and a blind copy of them
(`python bench/blind_copy.py OUT`, then `rag index OUT`). Each is copied into Milvus Lite without re-embedding
(`rag export`), then, as a user runs them, `rag eval ../shared/eval/questions.jsonl` on the seeds and the 86,
and `python bench/probe.py` with probes A–F on the 86 and G, H on the blind copy, once with `--index DIR` and
once with `--store milvus:…`. Writes each run's figures for both backends side by side, and whether every
answer's text is the same on both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT.parent / "shared" / "eval" / "questions.jsonl"
PROBES = {"corpus": "ABCDEF", "blind": "GH"}


def run(*argv: str) -> str:
    done = subprocess.run([*argv], capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def rag(*argv: str) -> str:
    return run(sys.executable, "-m", "rag.app.cli", *argv)


def headline(text: str) -> str:
    """The figures of a `rag eval` or probe report: its first lines, without the misses' details."""
    return "\n".join(line for line in text.splitlines() if line.strip() and not line.startswith(("MISS", "     ", "  未命中")))


def main() -> None:
    ap = argparse.ArgumentParser()
    for name in ("seeds", "corpus", "blind"):
        ap.add_argument(f"--{name}", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "milvus_equal.txt"))
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="rag-equal-"))
    lines, same = [], True
    for name in ("seeds", "corpus", "blind"):
        folder = getattr(args, name)
        milvus = f"milvus:{work / f'{name}.db'}"
        rag("export", milvus, "--index", folder)
        runs = []
        if name != "blind":
            runs.append((f"rag eval questions.jsonl ({name})", ["eval", str(QUESTIONS)], "eval", None))
        for x in PROBES.get(name, ""):
            probe = ROOT / "bench" / "probes" / f"probe_{x}.jsonl"
            runs.append((f"probe {x} ({name})", [str(probe)], "probe", x))
        for title, argv, kind, _ in runs:
            outputs, answers = {}, {}
            for backend, where in (("local", ["--index", folder]), ("milvus-lite", ["--store", milvus])):
                if kind == "eval":
                    outputs[backend] = rag(*argv, *where)
                    answers[backend] = json.loads(rag(*argv, *where, "--json"))["questions"]
                else:
                    saved = work / f"{title.split()[1]}-{backend}.json"
                    outputs[backend] = run(sys.executable, "bench/probe.py", *argv, *where, "--out", str(saved))
                    answers[backend] = [(r["id"], r["got"], r["ok"]) for r in json.loads(saved.read_text(encoding="utf-8"))]
            equal = answers["local"] == answers["milvus-lite"] and outputs["local"] == outputs["milvus-lite"]
            same &= equal
            lines.append(f"## {title}: {'every answer the same on both backends' if equal else 'DIFFERENT'}")
            for backend, text in outputs.items():
                lines.append(f"{backend:12s} " + headline(text).replace("\n", "\n" + " " * 13))
            print(lines[-3], flush=True)
    lines.insert(0, f"# python bench/milvus_equal.py (local folder vs Milvus Lite, milvus-lite {_version()}): "
                    f"{'all runs the same' if same else 'SOME RUNS DIFFER'}\n")
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def _version() -> str:
    from importlib.metadata import version

    return version("milvus-lite")


if __name__ == "__main__":
    main()
