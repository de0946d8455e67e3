"""`rag ask -` and `rag search -`: one JSON line out for every line in, in order, whatever a line holds.

A batch once ended on its first bad line (`{"question": 5}`, broken JSON, a lone surrogate that the tokenizer
refused) and lost every line after it, and blank lines gave no output, so outputs no longer lined up with
inputs (issue 19). Now each line is answered on its own: its output carries its line number and its input,
and a line that cannot be answered gets an `"error"` (one Chinese line) instead of an answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from rag.errors import RagError
from rag.limits import MAX_LINE_BYTES, question_refusal, shown


@dataclass(frozen=True)
class Line:
    """One input line: its number (from 1), its text, and why it was not read whole (too long), if so."""

    n: int
    text: str
    problem: str = ""


def input_lines(stream: TextIO) -> Iterator[Line]:
    """The lines of `stream`, each read up to MAX_LINE_BYTES: bytes that are not UTF-8 become lone
    surrogates (refused per line, not a decoding error that ends the batch)."""
    buffer = getattr(stream, "buffer", None)
    n = 0
    while True:
        if buffer is not None:
            raw = buffer.readline(MAX_LINE_BYTES + 1)
            text = raw.decode("utf-8", "surrogateescape")
        else:  # a text stream without bytes underneath (tests, io.StringIO)
            raw = text = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        n += 1
        if len(raw) > MAX_LINE_BYTES and not text.endswith("\n"):
            rest = _skip_line(buffer or stream)
            size = len(raw) + rest
            yield Line(n, shown(text), f"这一行过长（约 {size // 1024} KB），上限 {MAX_LINE_BYTES // 1024} KB")
            continue
        yield Line(n, text.rstrip("\r\n"))


def _skip_line(stream) -> int:
    """Read past the rest of an over-long line without keeping it; how much was skipped."""
    skipped = 0
    while True:
        piece = stream.readline(MAX_LINE_BYTES)
        skipped += len(piece)
        if not piece or piece.endswith(b"\n" if isinstance(piece, bytes) else "\n"):
            return skipped


def read_question(text: str, history: list[str] | None = None, plain: bool = False) -> tuple[str, list[str] | None]:
    """(question, history) of a line: a plain question, or {"question": …, "history": [earlier questions]}
    (`plain`: a question as typed on the command line, with its `history`, never JSON).

    Raises `RagError` with what is wrong with the line, before any parsing (rag/limits.py).
    """
    if not text.strip():
        raise RagError("空行：没有问题")
    if plain or not text.lstrip().startswith("{"):
        question = text.strip()
    else:
        try:
            item = json.loads(text)
        except json.JSONDecodeError as err:
            raise RagError(f"无法读取这一行 JSON（{err.msg}，第 {err.pos + 1} 个字符）") from None
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise RagError('JSON 行应为 {"question": "问题", "history": ["之前的问题", …]}，question 应为文字')
        question, history = item["question"], item.get("history")
        if history is not None and (not isinstance(history, list) or not all(isinstance(h, str) for h in history)):
            raise RagError("history 应为之前问题（文字）的列表")
    refusal = question_refusal(question, history)
    if refusal:
        raise RagError(refusal)
    return question, history


def search_text(text: str) -> str:
    """A text to search for, refused before any work when it is blank, too long or not text."""
    if not text.strip():
        raise RagError("空行：没有要检索的内容")
    refusal = question_refusal(text)
    if refusal:
        raise RagError(refusal.replace("问题", "检索内容", 1))
    return text.strip()


def run_batch(lines: Iterator[Line], answer: Callable[[Line], dict], write: Callable[[str], None],
              warn: Callable[[str], None], key: str = "input") -> int:
    """Answer every line with `answer(line)` (a dict), writing one JSON line each; the number of lines
    that got an error instead, which carry the line's text under `key`. Nothing a line holds, and nothing
    the library raises on it, ends the batch."""
    errors = 0
    for line in lines:
        out = {"line": line.n}
        try:
            if line.problem:
                raise RagError(line.problem)
            out |= answer(line)
        except RagError as err:
            out |= {key: line.text, "error": _one_line(str(err))}
        except Exception as err:  # a bug on one line must not lose the lines after it; the line says what it was
            out |= {key: line.text, "error": _one_line(f"无法回答这一行（{type(err).__name__}: {err}）")}
        if "error" in out:
            errors += 1
            warn(f"错误: 第 {line.n} 行：{out['error']}")
        write(json_line(out))
    return errors


def json_line(value) -> str:
    """One JSON document on one line, readable Chinese; text that UTF-8 cannot carry (a lone surrogate an
    input line held) is written as \\u escapes instead of failing the write."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value)
    return text


def _one_line(message: str) -> str:
    return " ".join(message.split())[:500]
