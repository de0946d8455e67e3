"""Small frozen dataclasses that flow between the stages of the pipeline.

ingest → Report → sections → Chunk → store/search → Hit → facts → Fact → answer → Answer
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Report:
    """One ingested report.

    `text` is the decoded source text (for .txt/.md) or the extracted text (html/docx/pdf);
    every offset elsewhere in the project points into it. `body` lists the (start, end)
    spans of `text` that are report content: web litter (breadcrumbs, 访问量, 【返回顶部】…)
    lies outside them and is never chunked.
    """

    doc: str  # the id users see and type: the file name, or enough of its path to tell it from a namesake
    path: str
    text: str
    body: tuple[tuple[int, int], ...]
    title: str
    region: str
    year: int | None
    issuer: str = ""
    date: str = ""
    encoding: str = "utf-8"
    sha256: str = ""  # of the source file's bytes
    text_sha256: str = ""  # of the normalised text (ingest.text_fingerprint): one value whatever the encoding
    # What the report is, read from its text by rag/documents/metadata.py ("" / () when unknown, or in an older index):
    level: str = ""  # national | province | city | county | zone
    parents: tuple[str, ...] = ()  # 全国, 广东省, 深圳市 for 光明区
    named: str = ""  # the name the report calls its region by, when it is a former one (光明新区 for 光明区)
    kind: str = ""  # 政府工作报告 | 管委会工作报告 | 法治政府建设情况报告
    reviews: tuple[int, ...] = ()  # the years it gives results for
    plans: tuple[int, ...] = ()  # the years it sets targets for
    sources: tuple[tuple[str, str], ...] = ()  # (field, where it was read): ("region", "开头“我代表…”")

    def __post_init__(self):  # rows read back from JSON carry lists
        for name in ("parents", "reviews", "plans"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "sources", tuple(tuple(s) for s in self.sources))

    @property
    def work_report(self) -> bool:
        """A 政府工作报告 or 管委会工作报告: given early in its year, it reviews the year before."""
        return self.kind in ("政府工作报告", "管委会工作报告") if self.kind else "工作报告" in self.title

    def source_of(self, name: str) -> str:
        return dict(self.sources).get(name, "")


@dataclass(frozen=True)
class Chunk:
    """A passage of a report: `text == report.text[start:end]`, under heading path `section`."""

    doc: str
    start: int
    end: int
    text: str
    section: tuple[str, ...]
    title: str
    region: str
    year: int | None


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its rank (1-based) and fused score."""

    chunk: Chunk
    rank: int
    score: float

    def to_json(self) -> dict:
        c = self.chunk
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "doc": c.doc,
            "title": c.title,
            "region": c.region,
            "year": c.year,
            "section": list(c.section),
            "text": c.text,
            "start": c.start,
            "end": c.end,
        }


@dataclass(frozen=True)
class Fact:
    """A number read out of a report sentence.

    `kind` is "level" (调解率达50.6%) or "change" (调解率同比增加10%, 较上年增长148.6%).
    `target` marks a goal rather than a result (主要预期目标…增长5%左右; a 工作安排 section).
    `start`/`end` are the offsets of the sentence it came from in the report text.
    `about` is the year the figure is about, which is not always the report's `year`.
    """

    doc: str
    region: str
    year: int | None
    metric: str  # the phrase the number belongs to: 调解率, 法律援助案件, 出庭应诉率 …
    context: str  # the field it sits in: 行政复议, 人民调解, 行政诉讼 … ("" when unknown)
    value: float
    unit: str  # %, 件, 人, 人次, 万元, 亿元 …
    qualifier: str  # 以上 / 超过 / 余 / 约 / 近 / ""
    kind: str  # "level" | "change"
    sentence: str
    start: int
    end: int
    section: tuple[str, ...] = ()
    target: bool = False
    about: int | None = None  # the year the figure is about (a 2025 政府工作报告's results are 2024's)


@dataclass(frozen=True)
class Citation:
    """A verbatim quote of a report, with where it stands: `quote == report.text[start:end]`."""

    n: int
    doc: str
    title: str
    region: str
    year: int | None
    section: tuple[str, ...]
    quote: str
    start: int
    end: int

    @property
    def memo(self) -> str:
        """One string a user pastes into a memo: 《title》section：“quote”"""
        path = "".join(_short_heading(h) for h in self.section)
        return f"《{self.title}》{path}：“{self.quote}”"

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "doc": self.doc,
            "title": self.title,
            "region": self.region,
            "year": self.year,
            "section": list(self.section),
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "memo": self.memo,
        }


@dataclass(frozen=True)
class Row:
    """One report's figure in a comparison answer."""

    region: str
    year: int | None
    value: float
    unit: str
    qualifier: str
    kind: str
    metric: str
    citation: Citation

    def to_json(self) -> dict:
        return {
            "region": self.region,
            "year": self.year,
            "value": self.value,
            "unit": self.unit,
            "qualifier": self.qualifier,
            "kind": self.kind,
            "metric": self.metric,
            "citation": self.citation.to_json(),
        }


# The kinds of an answer's blocks (`Answer.blocks`): what the chat, the memo text and the exports show apart.
TEXT, TABLE, READING, SOURCES, RELATED = "text", "table", "reading", "sources", "related"
Block = tuple[str, str]  # (kind, its lines of the answer's Markdown)


@dataclass(frozen=True)
class Answer:
    """What `rag ask` returns: Markdown text, its mode, citations and (for comparisons) rows.

    `blocks` is the same Markdown in parts, each with its kind: the comparison's table (TABLE), how the
    question was read (READING), the source list (SOURCES), a not-found answer's related passages (RELATED),
    and the rest (TEXT); `markdown(answer.blocks) == answer.answer`. The composers (rag/answer/) fill them; the
    chat, the memo text and the exports format from them. An Answer given as Markdown alone (by hand, or
    restored from its JSON) has them read from it (`read_blocks`).
    """

    question: str
    answer: str
    mode: str  # "lookup" | "compare" | "not_found"
    citations: tuple[Citation, ...] = ()
    rows: tuple[Row, ...] = ()
    related: tuple[Hit, ...] = field(default=(), compare=False)
    query: object = field(default=None, compare=False)  # the rag.question.query.Query it answers: how it was read
    blocks: tuple[Block, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self):
        if not self.blocks:
            object.__setattr__(self, "blocks", read_blocks(self.answer))

    def to_json(self) -> dict:
        out = {
            "question": self.question,
            "answer": self.answer,
            "mode": self.mode,
            "citations": [c.to_json() for c in self.citations],
        }
        if self.mode == "compare":
            out["rows"] = [r.to_json() for r in self.rows]
        if self.related:
            out["related"] = [h.to_json() for h in self.related]
        if self.query is not None:
            out["reading"] = self.query.reading()
            out["query"] = self.query.to_json()
        return out


def grouped(lines: Iterable[tuple[str, str]]) -> tuple[Block, ...]:
    """(kind, line) pairs as blocks: the consecutive lines of one kind joined."""
    blocks: list[tuple[str, list[str]]] = []
    for kind, line in lines:
        if blocks and blocks[-1][0] == kind:
            blocks[-1][1].append(line)
        else:
            blocks.append((kind, [line]))
    return tuple((kind, "\n".join(part)) for kind, part in blocks)


def markdown(blocks: Iterable[Block]) -> str:
    """The Markdown that `blocks` are the parts of."""
    return "\n".join(text for _, text in blocks)


def lines_of(blocks: Iterable[Block]) -> list[tuple[str, str]]:
    """(kind, line) for every line of `blocks`: the inverse of `grouped`."""
    return [(kind, line) for kind, text in blocks for line in text.split("\n")]


def block_lines(text: str) -> list[str]:
    """The lines of a block as str.splitlines() reads them (a page break or U+2028 ends a line too), blank
    lines kept: what the chat and the memo text were made of when they read the Markdown line by line."""
    return [piece for line in text.split("\n") for piece in (line.splitlines() or [""])]


_READING_LINE = re.compile(r"\*按“.*”理解\*")


def read_blocks(text: str) -> tuple[Block, ...]:
    """The blocks of an answer given as Markdown alone, read line by line in the composers' own format: a
    table row opens with |, the reading is *按“…”理解*, 来源： opens the source list and 以下段落相关 the related
    passages, each up to the next blank line."""
    tagged, open_kind = [], None
    for line in text.split("\n"):
        if not line.strip():
            open_kind = None
        elif line.startswith("|"):
            open_kind = None
            tagged.append((TABLE, line))
            continue
        elif _READING_LINE.fullmatch(line.strip()):
            tagged.append((READING, line))
            continue
        elif line.strip() == "来源：":
            open_kind = SOURCES
        elif line.startswith("以下段落相关"):
            open_kind = RELATED
        tagged.append((open_kind or TEXT, line))
    return grouped(tagged)


def _short_heading(heading: str) -> str:
    """'一、全区法治政府建设情况' → '一、'; '(五)向“广”延伸…' → '(五)': the numbering a memo cites.

    A heading whose numeral the source lost ('、2024年度主要工作安排') is cited without the stray '、'.
    """
    heading = heading.strip().lstrip("、，,.。；;：:")
    m = re.match(r"^\s*([一二三四五六七八九十百]+、|[（(][一二三四五六七八九十]+[)）]|\d+[.．、]|[（(]\d+[)）]|[一二三四五六七八九十]+是)", heading)
    return m.group(1).replace("（", "(").replace("）", ")") if m else heading
