"""报告问答 — ask questions over Chinese government reports, answered with verbatim cited quotes.

The public API, by stage (docs/architecture.md draws the map):

    index = load_index("index")                  # rag.store.store; add_reports / remove_report write it
    query = parse("哪个区复议调解率最高?", index)    # rag.question.parse: the question read once
    hits = search(index, "法律援助")                # rag.retrieval
    answer = ask(index, "镜湖区2024年受理法律援助案件多少件?")   # rag.answer.answer → Answer

The dataclasses that flow between stages (rag.types) and the errors (rag.errors) load at once; the
functions load their stage on first use, so `import rag` (and `rag --help`) does not import faiss, jieba,
the model code or gradio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from rag.errors import RagError
from rag.types import Answer, Chunk, Citation, Fact, Hit, Report, Row

# name → the module that defines it, imported on first use (PEP 562)
_LAZY = {
    "ask": "rag.answer.answer",
    "answer_query": "rag.answer.answer",
    "search": "rag.retrieval",
    "parse": "rag.question.parse",
    "Query": "rag.question.query",
    "replay": "rag.question.parse",
    "Index": "rag.store.index",
    "load_index": "rag.store.store",
    "add_reports": "rag.store.store",
    "remove_report": "rag.store.store",
    "restore_report": "rag.store.store",
    "correct_report": "rag.store.store",
    "check_index": "rag.store.store",
}

__all__ = [
    "Answer", "Chunk", "Citation", "Fact", "Hit", "Index", "Query", "RagError", "Report", "Row",
    "add_reports", "answer_query", "ask", "check_index", "correct_report", "load_index", "parse",
    "remove_report", "replay", "restore_report", "search",
]

if TYPE_CHECKING:
    from rag.answer.answer import answer_query, ask
    from rag.question.parse import parse, replay
    from rag.question.query import Query
    from rag.retrieval import search
    from rag.store.index import Index
    from rag.store.store import (
        add_reports,
        check_index,
        correct_report,
        load_index,
        remove_report,
        restore_report,
    )


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rag' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
