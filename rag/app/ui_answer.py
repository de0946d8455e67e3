"""The chat's handlers: a question queued at once, answered in order, stopped on request; a turn's panels shown.

`enqueue` runs outside Gradio's queue (instant): the question is a turn in the chat at once, queued behind a
pending one or refused with the reason. `drain` (an async generator in the queue) answers the session's queued
turns one by one; a second drain of the same session returns at once, the first takes its turn. Each answer
runs in a thread under a time limit (`ANSWER_SECONDS`); 停止 cancels the drain (Gradio `cancels=`) and bumps
the chat's token, so an answer still computing is dropped when it comes. Handlers return {component: value}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import gradio as gr

from rag.answer.answer import ask
from rag.app.charts import chart_figure, plot_value
from rag.app.render import (
    chart_note_html,
    chat_markdown,
    comparison_html,
    copy_all_html,
    excerpt,
    reading_html,
    refusal_markdown,
    sources_html,
    user_markdown,
)
from rag.app.ui_chat import MAX_QUESTION_CHARS, Chat, Turn
from rag.app.ui_exports import citation_link, conversation_files, site_base
from rag.app.uploads import not_ready

ANSWER_SECONDS = 30  # a question not answered by then is given up (its thread finishes on its own)
ASKING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rag-ask")
SAID = {
    "running": "正在查找答案…",
    "stopped": "已停止回答这个问题。",
    "interrupted": "（页面关闭前还没有答完，请重新提问。）",
}


class ChatHandlers:
    """The chat's event handlers over one `IndexService` and the page's components (`parts`)."""

    def __init__(self, service, parts):
        self.service, self.p = service, parts
        self.link = citation_link("")  # in the page: relative to it

    # ---------------------------------------------------------------- what is shown

    def bubble(self, chat: Chat, turn: Turn) -> str:
        if turn.status == "queued":
            ahead = chat.ahead(turn)
            return f"排队中：前面还有 {ahead} 个问题，答完就答这一个。" if ahead else "排队中，马上开始…"
        if turn.status == "done" and turn.answer is not None:
            return chat_markdown(turn.answer, self.link)
        if turn.status == "refused":
            return refusal_markdown(turn.note)
        if turn.status in ("timeout", "failed"):
            label = "**【超时】** " if turn.status == "timeout" else ""
            return label + turn.note.replace("<", "&lt;")
        return SAID.get(turn.status, "")

    def view(self, chat: Chat) -> dict:
        """The chat and the 停止 button (on while an answer is pending)."""
        with chat.lock:
            messages = []
            for turn in chat.turns:
                messages += [{"role": "user", "content": user_markdown(turn.question, MAX_QUESTION_CHARS)},
                             {"role": "assistant", "content": self.bubble(chat, turn)}]  # fmt: skip
            return {self.p.chatbot: messages, self.p.stop: gr.Button(interactive=chat.busy())}

    def saved(self, chat: Chat, keep: bool = True, forget: tuple[str, ...] = ()) -> dict:
        """What the browser stores (rag/app/ui_js.py `sync`): the conversation (with `keep`), ids to forget, the current id."""
        payload = {"current": chat.id, "conversation": chat.to_json() if keep and chat.turns else None,
                   "forget": list(forget), "at": time.time()}  # fmt: skip
        return {self.p.saved: json.dumps(payload, ensure_ascii=False)}

    def shown_at(self, chat: Chat, i: int | None) -> dict:
        """Scroll the chat to the top of turn i's answer (rag/app/ui_js.py `showAnswer`)."""
        return {self.p.answered: f"{2 * i + 1}:{time.time()}"} if i is not None else {}

    def panels(self, chat: Chat, i: int | None, base: str = "") -> dict:
        """Turn i's reading, numbers, sources and downloads (nothing shown for None)."""
        turn = chat.turns[i] if i is not None and 0 <= i < len(chat.turns) else None
        answer = turn.answer if turn is not None else None
        chart, note = (chart_figure(answer), chart_note_html(answer)) if answer is not None else (None, "")
        answers = [t.answer for t in chat.turns if t.answer is not None]
        files = conversation_files(answers, answer, chat.folder, base)
        chat.folder = files["folder"]
        label = f"第 {i + 1} 问：{excerpt(turn.question, 30)}" if answer is not None else ""
        p = self.p
        return {
            p.turn_label: gr.HTML(f'<div class="turn-label">{_escape(label)}</div>' if label else "", visible=bool(label)),
            p.reading: reading_html(answer.query if answer is not None else None),
            p.numbers: gr.Column(visible=bool(answer is not None and answer.rows)),
            p.chart: gr.Plot(value=plot_value(chart), visible=chart is not None),
            p.chart_note: gr.HTML(note, visible=bool(note)),
            p.rows: comparison_html(answer),
            p.csv: gr.DownloadButton(value=files["csv"], interactive=files["csv"] is not None),
            p.xlsx: gr.DownloadButton(value=files["xlsx"], interactive=files["xlsx"] is not None),
            p.docx: gr.DownloadButton(value=files["docx"], interactive=files["docx"] is not None),
            p.sources: sources_html(self.service.index, answer, self.link),
            p.copy_all: copy_all_html(answer, citation_link(base)) if answer is not None else "",
        }  # fmt: skip

    # ---------------------------------------------------------------- events

    def enqueue(self, text: str, chat: Chat, regions, years) -> dict:
        """At once: the question in the chat, queued (or refused with the reason), the box emptied."""
        text = (text or "").strip()
        if not text:
            return {self.p.question: gr.skip()}
        turn = chat.add(text, regions, years)
        out = {self.p.question: "", **self.view(chat)}
        if turn.status == "refused":
            out |= self.saved(chat) | self.shown_at(chat, chat.turns.index(turn))
        return out

    async def drain(self, chat: Chat, request: gr.Request):
        """Answer the queued turns in order, showing each as it comes; another drain of the session returns at once."""
        ticket = chat.begin()
        if ticket is None:
            yield {self.p.stop: gr.skip()}  # a generator says something; this one has nothing to say
            return
        token, drain = ticket
        base = site_base(request)
        try:
            while (turn := chat.take(token, drain)) is not None:
                yield self.view(chat)
                status, answer, note = await self.answer(chat, turn)
                if not chat.finish(token, turn, status, answer, note):
                    break
                out = self.view(chat) | self.saved(chat) | self.shown_at(chat, chat.turns.index(turn))
                yield out | (self.panels(chat, chat.shown, base) if answer is not None else {})
        finally:
            chat.end(drain)
        yield self.view(chat)

    async def answer(self, chat: Chat, turn: Turn) -> tuple[str, object, str]:
        """(status, answer, note) for `turn`, computed in a thread under the time limit."""
        reason = not_ready(self.service)
        if reason:  # no index yet or a damaged one: said in the chat, never an error badge
            return "failed", None, reason
        previous = chat.last_query
        history = chat.history(turn) if previous is None else None  # a reopened conversation: its questions

        def run():
            self.service.wait_warm()
            index = self.service.index  # one snapshot for the whole answer, even if an upload swaps in another
            return ask(index, turn.question, regions=list(turn.regions) or None, years=list(turn.years) or None,
                       previous=previous, history=history)  # fmt: skip

        try:
            return "done", await asyncio.wait_for(asyncio.wrap_future(ASKING.submit(run)), ANSWER_SECONDS), ""
        except TimeoutError:
            print(f"回答超时（{ANSWER_SECONDS} 秒）：{excerpt(turn.question)}", file=sys.stderr, flush=True)
            return "timeout", None, f"超过 {ANSWER_SECONDS} 秒仍未答完，已停止等待；请换个更具体的问法。"
        except Exception as err:  # said in the chat in Chinese, not as Gradio's English "Error" toast
            print(f"回答“{excerpt(turn.question)}”时出错：{type(err).__name__}: {err}", file=sys.stderr, flush=True)
            return "failed", None, f"回答时出错（{type(err).__name__}），请重试或换个问法。"

    def stop(self, chat: Chat) -> dict:
        chat.stop()
        return self.view(chat) | self.saved(chat)

    def select(self, chat: Chat, evt: gr.SelectData, request: gr.Request) -> dict:
        """A click on a message shows that turn's reading, numbers and sources again."""
        index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        if not isinstance(index, int):
            return {}
        i = index // 2
        if not (0 <= i < len(chat.turns)) or chat.turns[i].answer is None or i == chat.shown:
            return {}
        chat.shown = i
        return self.panels(chat, i, site_base(request))

    def conversation(self, payload: str, chat: Chat, request: gr.Request) -> dict:
        """The conversation list's requests (rag/app/ui_js.py): open a stored conversation, or start a new one."""
        try:
            op = json.loads(payload or "{}")
        except json.JSONDecodeError:
            return {}
        if op.get("op") == "open" and isinstance(op.get("conversation"), dict):
            chat.load_json(op["conversation"])
        elif op.get("op") == "new":
            chat.reset()
        else:
            return {}
        return (self.view(chat) | self.panels(chat, chat.shown, site_base(request)) | self.saved(chat, keep=False)
                | self.shown_at(chat, chat.shown))  # fmt: skip

    def clear(self, chat: Chat, request: gr.Request) -> dict:
        """清空: this conversation is emptied and forgotten (in the browser too); a new one starts."""
        gone = chat.id
        chat.reset()
        return self.view(chat) | self.panels(chat, None, site_base(request)) | self.saved(chat, forget=(gone,))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
