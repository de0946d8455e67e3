"""One browser session's conversation: its turns, the queue of questions not yet answered, stop, and its JSON.

Each question becomes a `Turn` at once — queued, or refused with the reason (too long) — so nothing typed is
ever dropped; one drain at a time per session answers the queued turns in order (rag/app/ui_answer.py). Stopping
bumps `token`: a drain (or an answer still computing in its thread) that finds the token changed drops its
result. A turn keeps its own answer, so its sources, table and chart can be shown again.

The conversation travels to the browser's localStorage as JSON (`to_json`) and comes back from it
(`load_json`); answers are stored as `Answer.to_json()` and rebuilt by `answer_from_json`, so everything shown
is rendered again, and escaped, by the server. Nothing is kept on the server beyond the session.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from rag.limits import MAX_QUESTION_CHARS  # the limit the library's `ask` enforces
from rag.types import Answer, Chunk, Citation, Hit, Row

TITLE_CHARS = 24
MAX_TURNS = 200  # a conversation longer than this starts to drop its oldest turns
WAITING = ("queued", "running")


@dataclass(eq=False)
class Turn:
    """One question and what became of it."""

    question: str
    status: str = "queued"  # queued | running | done | stopped | timeout | refused | failed | interrupted
    answer: Answer | None = None
    note: str = ""  # the one line said instead of an answer (refused, failed)
    regions: tuple[str, ...] = ()  # the filters when it was asked
    years: tuple[int, ...] = ()


def new_id() -> str:
    return f"c{int(time.time() * 1000):x}{secrets.token_hex(3)}"


def title_of(question: str) -> str:
    """A conversation's name: its first question, cut short."""
    text = " ".join(question.split())
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS] + "…"


def refusal(question: str) -> str:
    """Why `question` is not asked at all ("" when it is asked)."""
    if len(question) > MAX_QUESTION_CHARS:
        return (f"问题过长（{len(question)} 字），请缩短到 {MAX_QUESTION_CHARS} 字以内，只问一件具体的事，"
                "例如：镜湖区2024年受理法律援助案件多少件？")  # fmt: skip
    return ""


class Chat:
    """The conversation of one browser session (held in a gr.State; every event of the session sees this object).

    Not a dataclass: gr.State's config would try to serialise it. gr.State copies its default once per session,
    and a copy is a fresh, empty chat.
    """

    def __init__(self):
        self.id, self.title, self.created = new_id(), "", time.time()
        self.turns: list[Turn] = []
        self.last_query = None  # the last answer's Query, for follow-ups (None after a restore: `history` then)
        self.shown: int | None = None  # the turn whose sources, table and chart are shown
        self.folder: str | None = None  # this session's exports
        self.token = 0  # bumped by stop and reset: a drain under an older token drops what it computed
        self.draining = 0  # the drain at work (0: none)
        self.drains = 0
        self.lock = threading.RLock()

    def __deepcopy__(self, memo) -> Chat:
        return Chat()

    def add(self, question: str, regions=(), years=()) -> Turn:
        """The question as a new turn: queued (with the filters set when it was asked), or refused with the reason."""
        with self.lock:
            reason = refusal(question)
            turn = Turn(question, "refused" if reason else "queued", note=reason, regions=tuple(regions or ()),
                        years=tuple(int(y) for y in years or ()))  # fmt: skip
            self.turns.append(turn)
            del self.turns[:-MAX_TURNS]
            self.title = self.title or title_of(question)
            return turn

    def begin(self) -> tuple[int, int] | None:
        """(token, drain) to answer the queued turns under, or None when another drain of this session is at
        work: it takes the new turn too."""
        with self.lock:
            if self.draining:
                return None
            self.drains += 1
            self.draining = self.drains
            return self.token, self.drains

    def take(self, token: int, drain: int) -> Turn | None:
        """The next queued turn, now running; None (and the drain over) when there is none or the chat was stopped."""
        with self.lock:
            turn = next((t for t in self.turns if t.status == "queued"), None) if token == self.token else None
            if turn is None:
                self.end(drain)
            else:
                turn.status = "running"
            return turn

    def end(self, drain: int) -> None:
        with self.lock:
            if self.draining == drain:
                self.draining = 0

    def finish(self, token: int, turn: Turn, status: str, answer: Answer | None = None, note: str = "") -> bool:
        """Record what became of `turn`; False when the chat was stopped or replaced meanwhile (nothing recorded)."""
        with self.lock:
            if token != self.token or turn not in self.turns:
                return False
            turn.status, turn.answer, turn.note = status, answer, note
            if answer is not None:
                self.last_query = answer.query if answer.query is not None else self.last_query
                self.shown = self.turns.index(turn)
            return True

    def stop(self) -> bool:
        """Stop the answer in progress and the queued ones; True when there was any."""
        with self.lock:
            self.token += 1
            self.draining = 0
            waiting = [t for t in self.turns if t.status in WAITING]
            for t in waiting:
                t.status = "stopped"
            return bool(waiting)

    def reset(self) -> None:
        """A new, empty conversation (the running answer, if any, is dropped)."""
        with self.lock:
            self.stop()
            self.id, self.title, self.created = new_id(), "", time.time()
            self.turns, self.last_query, self.shown = [], None, None

    def ahead(self, turn: Turn) -> int:
        """Questions to be answered before `turn`."""
        with self.lock:
            before = self.turns[: self.turns.index(turn)] if turn in self.turns else []
            return sum(t.status in WAITING for t in before)

    def busy(self) -> bool:
        with self.lock:
            return any(t.status in WAITING for t in self.turns)

    def history(self, before: Turn | None = None) -> list[str]:
        """The questions answered before `before` (all of them by default), oldest first: what a follow-up reads."""
        with self.lock:
            turns = self.turns[: self.turns.index(before)] if before in self.turns else self.turns
            return [t.question for t in turns if t.status == "done"]

    def latest_answered(self) -> int | None:
        with self.lock:
            done = [i for i, t in enumerate(self.turns) if t.answer is not None]
            return done[-1] if done else None

    # ---------------------------------------------------------------- to and from the browser's storage

    def to_json(self) -> dict:
        with self.lock:
            turns = [{"q": t.question, "status": "interrupted" if t.status in WAITING else t.status, "note": t.note,
                      "answer": t.answer.to_json() if t.answer is not None else None} for t in self.turns]  # fmt: skip
            return {"id": self.id, "title": self.title, "created": self.created, "updated": time.time(), "turns": turns}

    def load_json(self, data: dict) -> None:
        """Become the stored conversation `data` (what `to_json` gave); a malformed part is left out."""
        with self.lock:
            self.reset()
            self.id = str(data.get("id") or self.id)[:40]
            self.title = str(data.get("title") or "")[:80]
            self.created = float(data.get("created") or self.created)
            for item in list(data.get("turns") or [])[-MAX_TURNS:]:
                turn = _turn_from_json(item)
                if turn is not None:
                    self.turns.append(turn)
            self.shown = self.latest_answered()


def _turn_from_json(item) -> Turn | None:
    if not isinstance(item, dict) or not isinstance(item.get("q"), str):
        return None
    status = item.get("status") if item.get("status") in ("done", "stopped", "timeout", "refused", "failed",
                                                           "interrupted") else "interrupted"  # fmt: skip
    try:
        answer = answer_from_json(item["answer"]) if item.get("answer") else None
    except (KeyError, TypeError, ValueError):
        answer = None
    if status == "done" and answer is None:
        status = "interrupted"
    return Turn(item["q"], status, answer, str(item.get("note") or "")[:300])


class QueryView:
    """A stored answer's reading of its question (`Query.to_json()`), with the attributes the UI reads."""

    def __init__(self, data: dict):
        self._data = dict(data)
        measure = data.get("measure", "level")
        self.intent, self.descending = data.get("intent", "lookup"), bool(data.get("descending", True))
        self.metric, self.metric_forms = data.get("metric", ""), tuple(data.get("metric_forms") or ())
        self.target, self.change = measure == "target", measure == "change"
        self.followup = bool(data.get("followup"))
        self.regions = tuple(data.get("regions") or ())

    def reading(self) -> str:
        return str(self._data.get("reading", ""))

    def reading_parts(self) -> tuple[tuple[str, str], ...]:
        """The reading's chips. A stored query keeps one measure, not both of 增长·目标, so they are read back
        from the reading it showed (`Query.reading` joins them as 按“指标：…；地区：…”理解)."""
        text = self.reading()
        inner = text[len("按“") : -len("”理解")] if text.startswith("按“") else text
        return tuple(tuple(p.split("：", 1)) for p in inner.split("；") if "：" in p)

    def to_json(self) -> dict:
        return dict(self._data)


def answer_from_json(data: dict) -> Answer:
    """The Answer that `Answer.to_json()` describes (its query as a `QueryView`)."""

    def citation(c: dict) -> Citation:
        return Citation(int(c["n"]), c["doc"], c["title"], c["region"], c["year"], tuple(c["section"]), c["quote"],
                        int(c["start"]), int(c["end"]))  # fmt: skip

    def row(r: dict) -> Row:
        return Row(r["region"], r["year"], float(r["value"]), r["unit"], r["qualifier"], r["kind"], r["metric"],
                   citation(r["citation"]))  # fmt: skip

    def hit(h: dict) -> Hit:
        chunk = Chunk(h["doc"], int(h["start"]), int(h["end"]), h["text"], tuple(h["section"]), h["title"],
                      h["region"], h["year"])  # fmt: skip
        return Hit(chunk, int(h["rank"]), float(h["score"]))

    query = QueryView(data["query"] | {"reading": data.get("reading", "")}) if data.get("query") else None
    return Answer(str(data["question"]), str(data["answer"]), str(data["mode"]),
                  tuple(citation(c) for c in data.get("citations") or ()), tuple(row(r) for r in data.get("rows") or ()),
                  tuple(hit(h) for h in data.get("related") or ()), query)  # fmt: skip
