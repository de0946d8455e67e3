"""The chat's session without a browser: questions queue in order, stop and the time limit drop what comes late,
a long question is refused before it is asked, and a conversation survives its trip through the browser's storage."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace

import pytest

from rag.app.ui_chat import MAX_QUESTION_CHARS, Chat, refusal
from rag.types import Answer

PARTS = ("question", "chatbot", "stop", "saved", "answered", "turn_label", "reading", "numbers", "chart", "chart_note",
         "rows", "csv", "xlsx", "docx", "sources", "copy_all")  # fmt: skip


def test_a_question_over_the_limit_is_refused_with_its_length_and_never_queued():
    assert MAX_QUESTION_CHARS == 500 and not refusal("镜" * 500)
    reason = refusal("镜" * 20_000)
    assert "问题过长（20000 字）" in reason and "500 字以内" in reason and "\n" not in reason
    chat = Chat()
    turn = chat.add("镜" * 20_000)
    assert turn.status == "refused" and not chat.busy() and len(chat.title) <= 25


def test_turns_queue_in_order_and_one_drain_at_a_time_takes_them():
    chat = Chat()
    first, second = chat.add("一"), chat.add("二")
    token, drain = chat.begin()
    assert chat.begin() is None, "a second drain leaves the turns to the first"
    assert chat.take(token, drain) is first and first.status == "running" and chat.ahead(second) == 1
    assert chat.finish(token, first, "done", Answer("一", "答", "lookup"))
    third = chat.add("三")  # asked while the drain is at work: it takes this one too
    assert chat.take(token, drain) is second and chat.finish(token, second, "done", Answer("二", "答", "lookup"))
    assert chat.take(token, drain) is third and chat.finish(token, third, "done", Answer("三", "答", "lookup"))
    assert chat.take(token, drain) is None and chat.begin() is not None
    assert [t.question for t in chat.turns] == ["一", "二", "三"] and chat.history() == ["一", "二", "三"]


def test_stop_marks_the_waiting_turns_and_what_comes_back_later_is_dropped():
    chat = Chat()
    first, second = chat.add("一"), chat.add("二")
    token, drain = chat.begin()
    chat.take(token, drain)
    assert chat.stop() and {first.status, second.status} == {"stopped"}
    assert not chat.finish(token, first, "done", Answer("一", "答", "lookup")), "the late answer is dropped"
    assert first.answer is None and chat.begin() is not None, "the next question starts a drain of its own"


def test_a_conversation_goes_to_the_browser_and_comes_back_with_its_answers(seeds_index):
    from rag.answer.answer import ask
    from rag.app.charts import chart_panels
    from rag.store.store import load_index

    index = load_index(seeds_index)
    chat = Chat()
    for question in ("各区行政诉讼出庭应诉率分别是多少？", "那鹿城区呢？"):
        turn = chat.add(question)
        token, drain = chat.begin()
        chat.take(token, drain)
        chat.finish(token, turn, "done", ask(index, question, previous=chat.last_query))
        assert chat.take(token, drain) is None
    chat.add("三")  # still queued when the page closed
    stored = json.loads(json.dumps(chat.to_json(), ensure_ascii=False))
    again = Chat()
    again.load_json(stored)
    assert again.id == chat.id and again.title == chat.title
    assert [t.status for t in again.turns] == ["done", "done", "interrupted"]
    for before, after in zip(chat.turns[:2], again.turns[:2], strict=True):
        assert after.answer == before.answer  # question, text, mode, citations, rows
        assert after.answer.query.reading() == before.answer.query.reading()
    assert chart_panels(again.turns[0].answer) == chart_panels(chat.turns[0].answer), "the chart is drawn again"
    assert again.turns[0].answer.to_json() == chat.turns[0].answer.to_json()
    assert again.history() == ["各区行政诉讼出庭应诉率分别是多少？", "那鹿城区呢？"] and again.last_query is None
    broken = Chat()
    broken.load_json({"id": "x", "turns": [{"q": "问", "status": "done", "answer": {"bad": 1}}, "junk", {"q": 5}]})
    assert [(t.question, t.status) for t in broken.turns] == [("问", "interrupted")]


def handlers(index):
    from rag.app.ui_answer import ChatHandlers

    service = SimpleNamespace(index=index, building=False, problem="", wait_warm=lambda: True)
    return ChatHandlers(service, SimpleNamespace(**{name: name for name in PARTS}))


async def drained(h, chat) -> list[dict]:
    return [out async for out in h.drain(chat, None)]


def run(make):
    """asyncio.run(make()) in a thread of its own (the browser tests' Playwright keeps a loop in this one)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def test_an_answer_over_the_time_limit_is_given_up_and_the_next_one_answered(seeds_index, monkeypatch):
    import rag.app.ui_answer
    from rag.store.store import load_index

    def ask(index, question, **kwargs):
        if question == "慢":
            time.sleep(1.5)
        return Answer(question, f"答：{question}", "lookup")

    monkeypatch.setattr(rag.app.ui_answer, "ask", ask)
    monkeypatch.setattr(rag.app.ui_answer, "ANSWER_SECONDS", 0.3)
    h, chat = handlers(load_index(seeds_index)), Chat()
    h.enqueue("慢", chat, [], [])
    h.enqueue("快", chat, [], [])
    started = time.monotonic()
    outs = run(lambda: drained(h, chat))
    assert time.monotonic() - started < 1.2, "the slow answer was not waited for"
    assert [t.status for t in chat.turns] == ["timeout", "done"] and chat.turns[1].answer.answer == "答：快"
    bubbles = [m["content"] for m in outs[-1]["chatbot"] if m["role"] == "assistant"]
    assert bubbles[0].startswith("**【超时】**") and bubbles[1] == "答：快"
    assert json.loads(outs[-2]["saved"])["conversation"]["turns"][1]["answer"]["answer"] == "答：快"


def test_a_cancelled_drain_stops_at_once_and_drops_the_late_answer(seeds_index, monkeypatch):
    import rag.app.ui_answer
    from rag.store.store import load_index

    def ask(index, question, **kwargs):
        time.sleep(1.0)
        return Answer(question, "迟到的答案", "lookup")

    monkeypatch.setattr(rag.app.ui_answer, "ask", ask)
    h, chat = handlers(load_index(seeds_index)), Chat()
    h.enqueue("问", chat, [], [])

    async def cancel_soon():
        task = asyncio.ensure_future(drained(h, chat))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        task.cancel()  # what Gradio does for 停止 (`cancels=`)
        with pytest.raises(asyncio.CancelledError):
            await task
        h.stop(chat)
        return time.monotonic() - started

    assert run(cancel_soon) < 0.2
    time.sleep(1.2)  # the answer's thread finishes: nothing of it is kept
    assert chat.turns[0].status == "stopped" and chat.turns[0].answer is None and not chat.busy()
