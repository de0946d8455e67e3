"""A question in two parts, asked as a question and its follow-up, and the two answers joined.

光明区2021年共减少事业单位多少家，精简率多少？ asks two figures; 南山区人均GDP多少钱？建区的时候呢？ asks one
and then the same of another time. Each part after the first is read as a follow-up of the part before it
(rag/question/conversation.py), so it keeps the region, year and metric it leaves out. The answers are joined under
their parts, with their citations numbered through.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.language.characters import has_cjk
from rag.question.asked import has_word
from rag.types import TEXT, Answer, grouped, lines_of

_SENTENCES = re.compile(r"[？?；;]+")
_CLAUSES = re.compile(r"[，,]")


def split_parts(question: str) -> list[str]:
    """The parts of a Chinese question that each ask something; one part when it asks one thing."""
    if not has_cjk(question):
        return [question]
    parts = []
    for sentence in (s.strip() for s in _SENTENCES.split(question)):
        if not sentence:
            continue
        clauses = [c.strip() for c in _CLAUSES.split(sentence) if c.strip()]
        # …多少家，精简率多少: each clause asks a figure; 2024年，镜湖区…多少 is one question
        if len(clauses) > 1 and all(_asks_figure(c) for c in clauses):
            parts += clauses
        else:
            parts.append(sentence)
    parts = [p for p in parts if len(p) >= 2]
    return parts if len(parts) > 1 and all(_asks(p) for p in parts[1:]) else [question]


def _asks_figure(clause: str) -> bool:
    return bool(has_word(clause, "number") or clause.endswith("呢"))


def _asks(clause: str) -> bool:
    """Whether a clause asks a figure (多少, 几), which ones (哪些年份, 有没有), or, elliptically, the same
    again (…的时候呢)."""
    return bool(has_word(clause, "number") or has_word(clause, "index") or has_word(clause, "which")
                or has_word(clause, "change") and "还是" in clause or clause.endswith(("呢", "吗")))


def join_answers(question: str, parts: list[str], answers: list[Answer]) -> Answer:
    """One answer for a question asked in `parts`: each part's answer under it, citations numbered through."""
    found = [a for a in answers if a.mode != "not_found"]
    if not found:
        return replace(answers[0], question=question)
    lines, citations, rows, offset = [], [], [], 0
    for part, answer in zip(parts, answers, strict=True):
        # renumbering moves no line, so each line of the part keeps the kind of its block
        kinds = [kind for kind, _ in lines_of(answer.blocks)]
        lines += [(TEXT, f"**问：{part}**"), (TEXT, ""), *zip(kinds, _renumbered(answer.answer, offset).split("\n"),
                                                               strict=True), (TEXT, "")]
        citations += [replace(c, n=c.n + offset) for c in answer.citations]
        rows += [replace(r, citation=replace(r.citation, n=r.citation.n + offset)) for r in answer.rows]
        offset += len(answer.citations)
    while lines and not lines[-1][1].strip():
        lines.pop()
    lines[-1] = (lines[-1][0], lines[-1][1].rstrip())
    mode = "compare" if any(a.mode == "compare" for a in found) else "lookup"
    return Answer(question, "\n".join(line for _, line in lines), mode, tuple(citations), tuple(rows),
                  related=found[0].related, query=answers[-1].query, blocks=grouped(lines))


def _renumbered(text: str, offset: int) -> str:
    """`text` with its citation marks [n] moved by `offset`; quoted report text is left as it is."""
    if not offset:
        return text

    def move(m: re.Match) -> str:
        return m.group() if m.group(1) is None else f"[{int(m.group(1)) + offset}]"

    return re.sub(r"“[^”]*”|\[(\d+)\]", move, text)
