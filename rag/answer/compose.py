"""The pieces every answer is composed of, shared by rag/answer/answer.py and rag/answer/compare.py:
a citation of a passage (`cite`), the body with its reading and sources, as Markdown and as the answer's blocks
(`with_sources`), a figure as the report writes it (`figure`, `fmt`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.documents.facts import written_figure
from rag.types import READING, SOURCES, TEXT, Block, Citation, grouped

if TYPE_CHECKING:  # types only: the charts and exports use `figure` without loading the store
    from rag.question.query import Query
    from rag.store.index import Index


def cite(index: Index, n: int, doc: str, section: tuple[str, ...], start: int, end: int) -> Citation:
    r = index.reports[doc]
    return Citation(n, doc, r.title, r.region, r.year, tuple(section), r.text[start:end], start, end)


def with_sources(body: str | list[tuple[str, str]], citations: list[Citation], query: Query | None = None
                 ) -> tuple[str, tuple[Block, ...]]:
    """An answer's Markdown and its blocks (rag.types.Answer): `body` (plain text, or (kind, line) pairs
    that mark its table), then how the question was read, then the source list."""
    lines = [(TEXT, line) for line in body.split("\n")] if isinstance(body, str) else list(body)
    reading = query.reading() if query is not None else ""
    if reading:
        lines += [(TEXT, ""), (READING, f"*{reading}*")]
    lines += [(TEXT, ""), (SOURCES, "来源：")]
    for c in citations:
        path = " > ".join(c.section)
        lines.append((SOURCES, f"[{c.n}] 《{c.title}》{(' ' + path) if path else ''}｜{c.region} {c.year or ''}年".rstrip("年")
                      + ("年" if c.year else "")))
    return "\n".join(line for _, line in lines), grouped(lines)


def figure(f) -> str:
    """The figure as the report writes it (300余万元, 约600件, 98%以上, 6—6.5%), read back from its sentence;
    else put together from its value, unit and qualifier."""
    written = written_figure(f)
    if written:
        return written
    number = fmt(f.value)
    if f.qualifier in ("约", "近", "超过", "逾"):
        return f"{f.qualifier}{number}{f.unit}"
    if f.qualifier in ("余", "多"):  # after the magnitude, before the unit: 2万余人次, 20余场
        magnitude = f.unit[:1] if f.unit[:1] in "万亿千百" and len(f.unit) > 1 else ""
        return f"{number}{magnitude}{f.qualifier}{f.unit[len(magnitude):]}"
    return f"{number}{f.unit}{f.qualifier}"


def fmt(value: float) -> str:
    return format(value, "f").rstrip("0").rstrip(".") if value != int(value) else str(int(value))

