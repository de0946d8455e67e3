"""A blind copy of the shared reports: the same texts under the names publishers give files, some without a title.

    python bench/blind_copy.py OUT [--shared ../shared]

Users index their own reports, named however their publisher named them, so nothing may be learnt from how
`../shared/` names its files. Each report is copied under one of these shapes, picked by a hash of its path
(the same copy every time):
- its original title, as the MANIFEST gives it (2025年上海市政府工作报告.txt, …人民政府关于2021年度…的报告.txt);
- an opaque id, as a CMS exports it (P020250117391425806.txt, t20250205_4512783.txt);
- `<地区>政府工作报告_<年>年.txt` (广东省政府工作报告_2025年.txt), with the region as people write it;
- a name that carries only the session the report was given at or a date (政府工作报告（在第八届人民代表大会
  第五次会议上）.txt, 工作报告（2025-01-15）.txt), or nothing at all (政府工作报告.txt, 报告全文.txt).
A third of the reports, again by hash, lose their title line: most 政府工作报告 start at 各位代表 anyway.
`names.tsv` maps each copy to its original path, for the hand-written key (tests/data/blind_key.tsv).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

_SESSION = re.compile(r"第[一二三四五六七八九十]+届人民代表大会第[一二三四五六七八九十]+次会议")
_DATE = re.compile(r"((?:19|20)\d\d)年(\d{1,2})月(\d{1,2})日")
_SHAPES = ("title", "opaque", "region_year", "session_or_date")


def originals(shared: Path = SHARED) -> list[Path]:
    """The reports of ../shared: the seeds and the corpus, in a stable order."""
    files = sorted((shared / "seeds").glob("*.txt")) + sorted((shared / "corpus").glob("*/*.txt"))
    return [f for f in files if f.name != "MANIFEST.tsv"]


def _draw(path: Path, salt: str, n: int) -> int:
    return int(hashlib.sha256(f"{salt}:{path.parent.name}/{path.name}".encode()).hexdigest(), 16) % n


def _manifest_titles(shared: Path) -> dict[str, str]:
    titles = {}
    for manifest in (shared / "corpus").glob("*/MANIFEST.tsv"):
        lines = manifest.read_text(encoding="utf-8").splitlines()
        header = lines[0].split("\t")
        for line in lines[1:]:
            row = dict(zip(header, line.split("\t"), strict=False))
            if row.get("original_title"):
                titles[row["file"]] = row["original_title"]
            else:  # docs/31省区市政府工作报告.zip::2025年上海市政府工作报告.docx
                source = next((v for k, v in row.items() if k.startswith("source")), "")
                titles[row["file"]] = Path(source.split("::")[-1]).stem
    return titles


def _title_line(lines: list[str]) -> int | None:
    """The index of the report's title line among its first lines, or None."""
    for i, line in enumerate(lines[:8]):
        s = line.strip()
        if not s:
            continue
        if "。" in s or "，" in s or s.startswith(("各位代表", "现将", "现在")):
            return None
        if 4 <= len(s) <= 60 and "报告" in s:
            return i
    return None


def _written_region(path: Path) -> str:
    """The region as a person writes it in a file name: 宁夏 stays 宁夏, 深圳市光明区 is 光明区."""
    stem = path.stem.split("_")[0]
    return stem.replace("深圳市", "") if stem.startswith("深圳市") else stem


def _name(path: Path, text: str, titles: dict[str, str], shape: str) -> str:
    h = hashlib.sha256(path.name.encode()).hexdigest()
    year = re.search(r"_((?:19|20)\d\d)_", path.name)
    kind = "政府工作报告" if "政府工作报告" in path.name else "管委会工作报告" if "管委会" in path.name else "法治政府建设情况报告"
    if shape == "title" and path.name in titles:
        return titles[path.name]
    if shape == "region_year" and year:
        return f"{_written_region(path)}{kind}_{year.group(1)}年"
    if shape in ("session_or_date", "title", "region_year"):
        session = _SESSION.search(text[:3000])
        date = _DATE.search(text[:400]) or _DATE.search(text[-300:])
        if session and int(h[:2], 16) % 2:
            return f"{kind}（在{session.group(0)}上）"
        if date:
            y, m, d = date.groups()
            return f"工作报告（{y}-{int(m):02d}-{int(d):02d}）"
        return ("政府工作报告", "报告全文", "工作报告正文")[int(h[2:4], 16) % 3]
    return ("P0" + str(int(h[:12], 16))[:17], f"t{int(h[:6], 16) % 10**8:08d}_{int(h[6:12], 16) % 10**7}")[int(h[-1], 16) % 2]


def make_blind_copy(out: Path, shared: Path = SHARED) -> dict[str, str]:
    """Copy the shared reports into `out` under publisher-like names; return {copy name: original path}."""
    out.mkdir(parents=True, exist_ok=True)
    titles = _manifest_titles(shared)
    mapping: dict[str, str] = {}
    for path in originals(shared):
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
        name = _name(path, text, titles, _SHAPES[_draw(path, "shape", len(_SHAPES))]) + ".txt"
        n = 2
        while name in mapping:  # publishers' own collisions: a browser saves the second as "(2)"
            name = re.sub(r"( \(\d+\))?\.txt$", f" ({n}).txt", name)
            n += 1
        lines = text.split("\n")
        at = _title_line(lines)
        if at is not None and _draw(path, "untitled", 3) == 0:
            text = "\n".join(lines[:at] + lines[at + 1 :])
            raw = text.encode("utf-8")
        (out / name).write_bytes(raw)
        mapping[name] = f"{path.parent.name}/{path.name}"
    (out / "names.tsv").write_text("copy\toriginal\n" + "".join(f"{k}\t{v}\n" for k, v in mapping.items()), encoding="utf-8")
    return mapping


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--shared", type=Path, default=SHARED)
    args = p.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    mapping = make_blind_copy(args.out, args.shared)
    print(f"{len(mapping)} reports copied into {args.out}")


if __name__ == "__main__":
    main()
