"""The domain thesaurus: the names reports and users give one figure, one field or one kind of section.

Loaded once from `rag/data/thesaurus.tsv`, then from every file in `$RAG_THESAURUS` (paths separated by
the system's path separator) or passed as `--thesaurus`: a user adds a line and their word is understood.

A line is `kind<TAB>canonical<TAB>variant|variant|…[<TAB>unit]`:
- `metric`: one figure under its names: 地区生产总值 ← GDP | 经济总量 | 本地生产总值;
- `field`: the field a figure belongs to, and the words that name it: 行政复议 ← 复议;
- `sense`: words that head the same kind of section: 安排 ← 打算 | 计划 | 下一步;
- `unit`: what a figure named by one of these words is counted in: 件 ← 案件 | 纠纷;
- `measure`: the words of a flow (新增 ← 新建 | 净增) and of a stock (总量 ← 累计 | 总数), two figures apart;
- `part`: the words of an area inside a region (片区 ← 综保区 | 经济圈 | 园区): its figures are not the region's.
A variant written with a trailing `=` (经济=) names the figure only as a whole phrase: a report's
"经济增长6%" is GDP growth, but 数字经济 is not GDP.
Variants may be English (legal aid → 法律援助): English questions are matched through them too.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rag.errors import RagError
from rag.language.characters import has_cjk

KINDS = ("metric", "field", "sense", "unit", "measure", "stage", "part")


@dataclass(frozen=True)
class Group:
    kind: str
    canonical: str
    variants: tuple[str, ...]
    unit: str = ""  # what the figure is counted in: 元, 人, 件, % ("" when it varies)
    whole_only: tuple[str, ...] = ()  # variants that name the figure only as a whole phrase

    @property
    def words(self) -> tuple[str, ...]:
        return (self.canonical, *self.variants)


@dataclass(frozen=True)
class Thesaurus:
    groups: tuple[Group, ...]

    @functools.cached_property
    def _by_word(self) -> dict[tuple[str, str], Group]:
        out: dict[tuple[str, str], Group] = {}
        for g in self.groups:
            for w in g.words:
                out.setdefault((g.kind, w.lower()), g)
        return out

    @functools.cached_property
    def _patterns(self) -> dict[str, re.Pattern]:
        # In a report a short name (单子, 社零) may be part of a longer one; in a question it is what was typed.
        out = {}
        for kind in KINDS:
            for short in (False, True):
                words = sorted({w for g in self.groups if g.kind == kind for w in g.words if w not in g.whole_only
                                and (short or not _short(w) or kind != "metric")}, key=len, reverse=True)
                out[kind, short] = re.compile("|".join(_word_pattern(w) for w in words)) if words else re.compile(r"(?!)")
        return out

    def group(self, word: str, kind: str = "metric") -> Group | None:
        return self._by_word.get((kind, word.lower()))

    def find(self, text: str, kind: str = "metric", short: bool = False) -> list[tuple[int, int, Group]]:
        """(start, end, group) of each word of `kind` in `text`, longest first, left to right; `short`
        also finds two-character names inside longer words (right for questions, not for reports)."""
        pattern = self._patterns[kind, short]
        return [(m.start(), m.end(), self._by_word[(kind, m.group().lower())]) for m in pattern.finditer(text)]

    def canonical(self, text: str, kind: str = "metric", short: bool = False) -> str:
        """`text` with every known name replaced by its canonical one: 全市GDP → 全市地区生产总值."""
        whole = self.group(text, kind)
        if whole:
            return whole.canonical
        return self._patterns[kind, short].sub(lambda m: self._by_word[(kind, m.group().lower())].canonical, text)

    def synonyms(self, word: str, kind: str = "metric") -> tuple[str, ...]:
        """Every name of `word`'s figure (the word itself when the thesaurus does not know it)."""
        g = self.group(word, kind)
        return g.words if g else (word,)

    def field_of(self, text: str, last: bool = True) -> str:
        """The field named in `text`: the name nearest its end (or its start when `last` is False)."""
        hits = self.find(text, "field")
        if not hits:
            return ""
        return (hits[-1] if last else hits[0])[2].canonical

    def unit_of(self, metric: str) -> str:
        """The unit a metric is counted in, by its last word: …案件 → 件, …总值 → 元, …率 → %."""
        heads = [(w, g.canonical) for g in self.groups if g.kind == "unit" for w in g.words]
        found = max((h for h in heads if metric.endswith(h[0])), key=lambda h: len(h[0]), default=None)
        return found[1] if found else ""

    def measure_of(self, metric: str) -> str:
        """新增 (a flow), 总量 (a stock) or "": what a metric's own words say it measures."""
        found = self.find(metric, "measure", short=True)
        return found[0][2].canonical if found else ""

    def stage_of(self, metric: str) -> str:
        """收到, 办结 or 纠错 (or ""): how far the cases a count is of have gone, by the metric's own words."""
        found = self.find(metric, "stage", short=True)
        return found[-1][2].canonical if found else ""

    def part_in(self, text: str) -> str:
        """The word naming an area inside a region that `text` ends a name with (综保区, 经济圈), or ""."""
        found = self.find(text, "part", short=True)
        return text[found[-1][0] : found[-1][1]] if found else ""

    def field_words(self, field: str) -> tuple[str, ...]:
        g = self.group(field, "field")
        return g.words if g else ()


def _short(word: str) -> bool:
    return len(word) < 3 and has_cjk(word)


def _word_pattern(word: str) -> str:
    """Latin words match whole and in any case (GDP, gdp; not 'aid' inside 'said'); Chinese anywhere."""
    escaped = re.escape(word)
    if re.fullmatch(r"[A-Za-z0-9 .'&-]+", word):
        return rf"(?i:(?<![A-Za-z]){escaped}(?![A-Za-z]))"
    return escaped


def parse_lines(lines: Iterable[str], source: str) -> list[Group]:
    groups = []
    for n, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or parts[0] not in KINDS or not parts[1].strip():
            raise RagError(f"{source}:{n}: 同义词表的一行应为 “类别<TAB>标准名<TAB>别名|别名[<TAB>单位]”，类别为 {'/'.join(KINDS)}：{line!r}")
        written = [v.strip() for v in (parts[2] if len(parts) > 2 else "").split("|") if v.strip()]
        variants = tuple(v.rstrip("=") for v in written)
        whole = tuple(v.rstrip("=") for v in written if v.endswith("="))
        unit = parts[3].strip() if len(parts) > 3 else ""
        groups.append(Group(parts[0], parts[1].strip(), variants, unit, whole))
    return groups


@functools.lru_cache(maxsize=4)
def load_thesaurus(extra: tuple[str, ...] = ()) -> Thesaurus:
    """The shipped thesaurus plus the user's files (`extra`, then `$RAG_THESAURUS`)."""
    shipped = importlib.resources.files("rag") / "data" / "thesaurus.tsv"
    groups = parse_lines(shipped.read_text(encoding="utf-8").splitlines(), "rag/data/thesaurus.tsv")
    paths = [*extra, *(p for p in os.environ.get("RAG_THESAURUS", "").split(os.pathsep) if p)]
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise RagError(f"读不到同义词表 {path}：{err.strerror or err}；检查 --thesaurus 或 $RAG_THESAURUS") from err
        groups = parse_lines(text.splitlines(), path) + groups  # the user's lines win
    return Thesaurus(tuple(groups))
