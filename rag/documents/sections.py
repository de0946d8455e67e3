"""Split a report along its own heading tree into chunks that keep their section path and offsets.

Chinese official reports number their headings in a fixed hierarchy:
    一、 → （一）/(一) → 1. / 1、 → （1）/(1)
and enumerate points inline, mid-paragraph: 一是…。二是…。 Each chunk lies inside one section
and inside the report's body spans (no web litter), so `report.text[chunk.start:chunk.end] == chunk.text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.types import Chunk, Report

CHUNKER_VERSION = "sections-4"
# Chunk size: bench/tune.py tried 200, 360 and 500 (bench/results/tune.txt): with dense at 0.2, 360 ties 200 at
# MRR 0.909 over the seeds in fewer chunks (134 against 167); 500 gave 0.891.
MAX_CHARS = 360
MIN_CHARS = 80  # sections shorter than this join their neighbour under the common parent (by hand, c8d3c2d; not measured)
# No piece is longer than this, punctuation or not: a 2 MB report with no sentence end was one 2 MB chunk,
# quoted whole by every answer, and indexing it held the write lock for 15 minutes (issue 19). The longest
# sentence of the 86 reports is 568 characters, so no real report is cut differently (and the chunker's
# version stands); a longer run is cut at its last comma or space, else at the limit.
MAX_SENTENCE = 2 * MAX_CHARS
_SOFT_BREAK = re.compile(r"[，,、：:\s]")

_CN = "一二三四五六七八九十"
# (rank, pattern) for headings that open a line; a lower rank is a higher level.
_LINE_HEADINGS = [
    (1, re.compile(rf"[{_CN}]{{1,3}}、")),
    (1, re.compile(r"、[^。；;！？!?]{2,40}$")),  # a 一、 heading whose numeral the source lost: "、2024年度主要工作安排"
    (2, re.compile(rf"[（(][{_CN}]{{1,3}}[)）]")),
    (3, re.compile(r"\d{1,2}[.．、](?!\d)")),
    (4, re.compile(r"[（(]\d{1,2}[)）]")),
]
_INLINE_RANK = 5
# 一是 / 二是 … at a line start or right after a sentence end; run-on headings are allowed.
_INLINE = re.compile(rf"(?:(?<=^)|(?<=[。；;！？]))\s*([{_CN}]{{1,3}}是)")
# A sentence ends at 。！？； (closing quotes and brackets kept with it) and at a line end. A colon before an
# inline point ("主要表现在:一是…") ends one too, so that 一是 opens its own (`at_points`).
_SENTENCE_STOP = r"[。！？；;!?]+[”’」』）)]*"
_SENTENCE_END = re.compile(_SENTENCE_STOP)
_SENTENCE_OR_POINT_END = re.compile(rf"{_SENTENCE_STOP}|[：:](?=\s*[{_CN}]{{1,3}}是)")
_HEADING_STOP = re.compile(r"[。；;：:！？]")
_HEADING_COMMA = re.compile(r"[，,、]")
_MAX_HEADING = 30  # characters of a run-on heading kept (by hand, c8d3c2d; not measured)
# A line of its own naming a part of a report, without a numeral (many 政府工作报告 head their parts so).
_UNNUMBERED = re.compile(r"[^。；;：:！？!?，,]{4,30}")
_PART_WORDS = re.compile(r"(?:回顾|安排|形势任务|形势和任务|主要工作|重点工作|工作任务|目标任务|主要成绩|成效|存在的问题|不足|工作建议|打算)$")


@dataclass
class _Piece:
    """A sentence-sized span of the body with the section path it belongs to."""

    start: int
    end: int
    path: tuple[str, ...]


def chunk_report(report: Report, max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[Chunk]:
    """Chunks of `report` along its heading tree, long sections split at sentence ends."""
    pieces = _pieces(report)
    groups = _group_by_section(report.text, pieces)
    groups = _merge_small(report.text, groups, min_chars, max_chars)
    chunks = []
    for path, group in groups:
        for start, end in _pack(report.text, group, max_chars):
            chunks.append(
                Chunk(
                    doc=report.doc,
                    start=start,
                    end=end,
                    text=report.text[start:end],
                    section=path,
                    title=report.title,
                    region=report.region,
                    year=report.year,
                )
            )
    return chunks


def sentence_spans(text: str, start: int = 0, end: int | None = None, *, at_points: bool = True,
                   cap: int | None = MAX_SENTENCE):
    """(start, end) of each sentence of text[start:end], line by line, closing punctuation kept and the
    whitespace around it dropped: the one sentence splitter (chunks, quotes and facts all cut with it).

    `at_points`: a colon before 一是/二是 ends a sentence too (chunks and quotes); `cap`: a run longer than this
    is given in pieces (None: not cut). Facts are extracted with neither (rag/documents/facts.py says why).
    """
    for line_start, line_end in _lines(text, start, len(text) if end is None else end):
        yield from _sentences(text, line_start, line_end, at_points, cap)


def heading_of(line: str) -> tuple[int, str] | None:
    """(rank, heading text) when `line` opens with a numbered heading, else None."""
    stripped = line.lstrip()
    for rank, pattern in _LINE_HEADINGS:
        if pattern.match(stripped):
            return rank, _heading_text(stripped)
    m = _INLINE.match(stripped)
    if m:
        return _INLINE_RANK, _heading_text(stripped)
    if _UNNUMBERED.fullmatch(stripped) and _PART_WORDS.search(stripped):
        return 0, stripped  # above 一、: 2024年工作回顾 / “十四五”时期和2021年形势任务: a part heading without a numeral
    return None


def _heading_text(text: str) -> str:
    """The heading of a line that may run on into body text: up to the first sentence stop.

    Some reports run the heading into the body with no stop at all
    ("五是着力加强行政权力监督制约落实向区委…"); a long heading is then cut at a comma or capped.
    """
    m = _HEADING_STOP.search(text)
    head = (text[: m.start()] if m else text).strip()
    if len(head) > _MAX_HEADING:
        comma = _HEADING_COMMA.search(head, 8)
        head = head[: comma.start()] if comma and comma.start() <= _MAX_HEADING else head[:_MAX_HEADING] + "…"
    return head


def _pieces(report: Report) -> list[_Piece]:
    """Sentence spans of the body, each tagged with its heading path."""
    text = report.text
    stack: list[tuple[int, str]] = []
    pieces: list[_Piece] = []
    for span_start, span_end in report.body:
        for line_start, line_end in _lines(text, span_start, span_end):
            line = text[line_start:line_end]
            if report.title and line.strip() == report.title.strip():
                continue  # the title is in every chunk's metadata; no need to index it as text
            found = heading_of(line)
            if found:
                stack = _push(stack, found)
            for s, e in _sentences(text, line_start, line_end, True, MAX_SENTENCE):
                inline = _INLINE.match(text, s, e)
                if inline and (found is None or found[0] < _INLINE_RANK or s > line_start):
                    stack = _push(stack, (_INLINE_RANK, _heading_text(text[inline.start(1) : e])))
                pieces.append(_Piece(s, e, tuple(h for _, h in stack)))
    return pieces


def _push(stack: list[tuple[int, str]], heading: tuple[int, str]) -> list[tuple[int, str]]:
    rank = heading[0]
    return [h for h in stack if h[0] < rank] + [heading]


def _lines(text: str, start: int, end: int):
    """(start, end) of each non-blank line inside text[start:end], without the newline."""
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        s, e = strip_span(text, pos, stop)
        if e > s:
            yield s, e
        pos = stop + 1


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) moved inwards past whitespace at either end."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentences(text: str, start: int, end: int, at_points: bool, cap: int | None):
    """(start, end) of each sentence in one line, the closing punctuation kept with it; a run longer than
    `cap` is given in pieces of at most that."""
    pos = start
    for m in (_SENTENCE_OR_POINT_END if at_points else _SENTENCE_END).finditer(text, start, end):
        if m.end() > pos:
            yield from _capped(text, pos, m.end(), cap)
            pos = m.end()
            while pos < end and text[pos].isspace():
                pos += 1
    if pos < end:
        yield from _capped(text, pos, end, cap)


def _capped(text: str, start: int, end: int, cap: int | None):
    """text[start:end] in pieces of at most `cap`, each ending after a comma or space where one lies
    in its second half; pieces are stripped of the spaces between them."""
    while cap is not None and end - start > cap:
        cut = start + cap
        soft = [m.end() for m in _SOFT_BREAK.finditer(text, start + cap // 2, cut)]
        cut = soft[-1] if soft else cut
        piece = strip_span(text, start, cut)
        if piece[1] > piece[0]:
            yield piece
        start = strip_span(text, cut, end)[0]
    if end > start:
        yield start, end


def _group_by_section(text: str, pieces: list[_Piece]) -> list[tuple[tuple[str, ...], list[_Piece]]]:
    groups: list[tuple[tuple[str, ...], list[_Piece]]] = []
    for piece in pieces:
        if groups and groups[-1][0] == piece.path and _adjacent(text, groups[-1][1][-1], piece):
            groups[-1][1].append(piece)
        else:
            groups.append((piece.path, [piece]))
    return groups


def _merge_small(text, groups, min_chars, max_chars):
    """Join a short section with the next one under the same parent, cited by the common parent."""
    merged: list[tuple[tuple[str, ...], list[_Piece]]] = []
    for path, group in groups:
        if merged:
            prev_path, prev = merged[-1]
            prev_len = prev[-1].end - prev[0].start
            this_len = group[-1].end - group[0].start
            common = _common_prefix(prev_path, path)
            opens_child = common == prev_path  # a bare heading line followed by its first subsection
            siblings = len(common) == len(prev_path) - 1 == len(path) - 1 and len(common) > 0
            if (
                prev_len < min_chars
                and (opens_child or siblings)
                and prev_len + this_len <= max_chars
                and _adjacent(text, prev[-1], group[0])
            ):
                merged[-1] = (path if opens_child else common, prev + group)
                continue
        merged.append((path, list(group)))
    return merged


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _adjacent(text: str, a: _Piece, b: _Piece) -> bool:
    """Only whitespace lies between the two pieces (no litter, no skipped title)."""
    return not text[a.end : b.start].strip()


def _pack(text: str, group: list[_Piece], max_chars: int) -> list[tuple[int, int]]:
    """Greedily pack consecutive sentences into spans of at most `max_chars` (one sentence may exceed it)."""
    spans: list[tuple[int, int]] = []
    start = end = None
    for piece in group:
        if start is None:
            start, end = piece.start, piece.end
        elif piece.end - start <= max_chars and _adjacent(text, _Piece(start, end, ()), piece):
            end = piece.end
        else:
            spans.append((start, end))
            start, end = piece.start, piece.end
    if start is not None:
        # A short tail reads better inside the previous chunk than alone.
        if spans and end - start < MIN_CHARS and end - spans[-1][0] <= max_chars + MIN_CHARS:
            start = spans.pop()[0]
        spans.append((start, end))
    return spans
