"""The chat UI: Gradio widgets wired to `rag.answer.answer.ask` and the upload queue, nothing more.

One `IndexService` (rag/app/uploads.py; `CorrectedService` in rag/app/ui_reports.py, which applies the corrections
of reports.csv) per process holds the loaded index (and, through `rag.embedding.embed`, the cached model); an upload
goes through its queue, builds a new index version on disk under the index lock it shares with `rag index`,
and the reloaded index is swapped in, so a query in flight keeps the index it started with. A damaged index
is one message in the status line, not a crash. What is shown is rendered by rag/app/render.py, where
everything a report says is escaped before it reaches HTML or Markdown.

The page: rag/app/ui_layout.py (components), rag/app/ui_answer.py (the chat's handlers: queue, stop, time limit),
rag/app/ui_chat.py (a session's conversation), rag/app/ui_viewer.py (the report viewer at /report),
rag/app/ui_exports.py (downloads with links), rag/app/ui_js.py (the page's script: conversations in localStorage,
the viewer dialog, scrolling).
"""

from __future__ import annotations

import html
import ipaddress
import os
import shutil
import sys
import traceback
from functools import partial
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from rag.answer.answer import ask  # noqa: E402
from rag.app import ui_reports as reports  # noqa: E402
from rag.app.access import LoginThrottle, ReportBlocks, accounts, readable_by_others  # noqa: E402
from rag.app.theme import CSS, THEME  # noqa: E402
from rag.app.ui_answer import ChatHandlers  # noqa: E402
from rag.app.ui_chat import MAX_QUESTION_CHARS, Chat, refusal  # noqa: E402
from rag.app.ui_js import HEAD  # noqa: E402
from rag.app.ui_layout import EXAMPLES, build_layout, header_html  # noqa: E402
from rag.app.ui_reports import CorrectedService, choices, list_html  # noqa: E402
from rag.app.ui_viewer import add_viewer_route  # noqa: E402
from rag.app.uploads import not_ready, progress_html, status_html, upload_html  # noqa: E402
from rag.errors import ArgumentError, RagError  # noqa: E402
from rag.store.backend import Store  # noqa: E402

PRIVATE = {"api_visibility": "private"}
WARN_PUBLIC = (
    "警告：正在 {host}:{port} 上无口令对外提供服务（--allow-public）：能连到这台机器的任何人都能提问、上传和替换报告。"
    "要限制访问请加 --auth 用户名:口令。"
)
REFUSE_PUBLIC = (
    "拒绝在 {host} 上无口令对外提供服务：请加 --auth 用户名:口令（或设置 RAG_AUTH），"
    "或确认要公开时加 --allow-public。\n"
    "Refusing to serve on {host} without authentication: pass --auth user:pass (or set RAG_AUTH), "
    "or --allow-public if you really mean to expose it."
)


def api_arguments(question, regions, years) -> tuple[str, list[str] | None, list[int] | None]:
    """The /ask API's arguments checked and normalised; `ArgumentError` says in one line what was wrong.

    A string for `regions` is one region (not its characters); years are integers or digit strings.
    """
    if not isinstance(question, str) or not question.strip():
        raise ArgumentError(f"question 应为非空的问题文本，收到 {_shown(question)}")
    if regions in (None, "", []):
        regions = None
    elif isinstance(regions, str):
        regions = [regions]
    elif not isinstance(regions, list | tuple) or not all(isinstance(r, str) and r.strip() for r in regions):
        raise ArgumentError(f'regions 应为地区名或地区名列表，例如 "镜湖区" 或 ["镜湖区", "鹿城区"]，收到 {_shown(regions)}')
    if years in (None, "", []):
        years = None
    else:
        many = years if isinstance(years, list | tuple) else [years]
        if not all(_is_year(y) for y in many):
            raise ArgumentError(f"years 应为整数年份或其列表，例如 2024 或 [2023, 2024]，收到 {_shown(years)}")
        years = [int(y) for y in many]
    return question.strip(), [r.strip() for r in regions] if regions else None, years


def api_history(history) -> list[str] | None:
    """The /ask API's `history`: a list of earlier questions (strings), oldest first."""
    if history in (None, "", []):
        return None
    if isinstance(history, str):
        return [history]
    if not isinstance(history, list | tuple) or not all(isinstance(h, str) for h in history):
        raise ArgumentError(f'history 应为先前问题的列表，例如 ["哪个区复议调解率最高?"]，收到 {_shown(history)}')
    return [h for h in history if h.strip()] or None


def _is_year(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value)
    return isinstance(value, int) and 1900 <= value <= 2100


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _api_ask(service):
    def api_ask(
        question: str,
        regions: list[str] | str | None = None,
        years: list[int] | int | str | None = None,
        history: list[str] | None = None,
    ) -> dict:
        """Answer a question from the indexed reports: the same object as `rag ask --json`.

        `regions`: a region name or a list of them; `years`: a year or a list of years; `history`: the
        conversation's earlier questions, oldest first, for a follow-up ("那红谷滩区呢?").
        """
        try:
            question, regions, years = api_arguments(question, regions, years)
            history = api_history(history)
        except ArgumentError as err:
            raise gr.Error(str(err), title="参数有误") from None
        if refusal(question):
            raise gr.Error(f"question 过长（{len(question)} 字，上限 {MAX_QUESTION_CHARS} 字）", title="参数有误")
        reason = not_ready(service)
        if reason:
            raise gr.Error(reason, title="暂时无法回答")
        service.wait_warm()
        try:
            return ask(service.index, question, regions=regions, years=years, history=history).to_json()
        except RagError as err:
            raise gr.Error(str(err), title="无法回答") from None
        except Exception as err:  # one Chinese line to the client; the traceback stays in the server's log
            traceback.print_exc()
            raise gr.Error(f"回答这个问题时出错（{err.__class__.__name__}），请换个问法或联系管理员", title="出错") from None

    return api_ask


# ---------------------------------------------------------------- the app


def build_app(index_path: Store | str | Path, seeds: str | Path | None = None, warm: bool = True) -> gr.Blocks:
    """The Gradio app over the index in `index_path` (a Store, or a folder).

    With `seeds` and no index yet, the seed reports are indexed in the background while the app is up, and
    asking waits (disabled, with the reason shown) until they are. With `warm`, the model is loaded and one
    question answered in the background at start. Launch it with `launch(app, …)`, or `serve` for the whole program.
    """
    service = CorrectedService(index_path)
    if service.index is None and seeds is not None and Path(seeds).exists():
        service.build_in_background(seeds, warm=warm)
    elif warm and service.index is not None:
        service.warm_in_background()

    with ReportBlocks(title="报告问答", analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        p = build_layout(service)
        chat = gr.State(Chat(), delete_callback=close_chat)  # per browser session, never shared
        h = ChatHandlers(service, p)
        _wire_chat(p, h, chat)
        refresh, shown = _wire_reports(p, service)
        app.load(refresh, outputs=shown, **PRIVATE)
        app.load(None, js="() => { if (window.rag) window.rag.start(); }", **PRIVATE)
        gr.api(_api_ask(service), api_name="ask", concurrency_id="ask", concurrency_limit=2)
    app.queue(default_concurrency_limit=2)
    app.rag_service = service  # for tests and embedding programs
    return app


def _wire_chat(p, h: ChatHandlers, chat) -> None:
    """Questions queue at once and are answered in order; 停止, 清空, a click on a turn, the conversation list."""
    panels = [p.turn_label, p.reading, p.numbers, p.chart, p.chart_note, p.rows, p.csv, p.xlsx, p.docx, p.sources,
              p.copy_all]  # fmt: skip
    asked = [p.question, p.chatbot, p.stop, p.saved, p.answered]
    shown = [p.chatbot, p.stop, p.saved, p.answered, *panels]
    drains = []
    quick = {"queue": False, "trigger_mode": "multiple", "show_progress": "hidden", **PRIVATE}
    answering = {"trigger_mode": "multiple", "show_progress": "hidden", "concurrency_id": "ask", "concurrency_limit": 2,
                 **PRIVATE}  # fmt: skip
    for trigger in (p.question.submit, p.send.click):
        drains.append(trigger(h.enqueue, [p.question, chat, p.regions, p.years], asked, **quick)
                      .then(h.drain, [chat], shown, **answering))  # fmt: skip
    for button, text in zip(p.starters, EXAMPLES, strict=True):
        starter = partial(_starter, h, text)
        drains.append(button.click(starter, [chat, p.regions, p.years], asked, **quick).then(h.drain, [chat], shown,
                                                                                              **answering))  # fmt: skip
    p.stop.click(h.stop, [chat], [p.chatbot, p.stop, p.saved], cancels=drains, **quick)
    p.clear.click(h.clear, [chat], shown, cancels=drains, **quick)
    p.chatbot.select(h.select, [chat], panels, **quick)
    p.conv_run.click(h.conversation, [p.conv_payload, chat], shown, cancels=drains,
                     js="(payload, chat) => [window.ragRequest || '', chat]", **quick)  # fmt: skip
    p.saved.change(None, [p.saved], None, js="(s) => { if (window.rag) window.rag.sync(s); }", **PRIVATE)
    p.answered.change(None, [p.answered], None, js="(a) => { if (window.rag) window.rag.showAnswer(a); }", **PRIVATE)


def _starter(h: ChatHandlers, text: str, chat, regions, years) -> dict:
    """An example question: asked like a typed one, leaving whatever is typed in the box."""
    out = h.enqueue(text, chat, regions, years)
    out.pop(h.p.question, None)
    return out


def _wire_reports(p, service: CorrectedService) -> None:  # noqa: C901
    """What the index holds (status, list, filters), uploads, and managing a report."""

    def filters():
        index = service.index
        regions = list(index.regions) if index else []
        years = sorted({r.year for r in index.reports.values() if r.year}) if index else []
        return gr.Dropdown(choices=regions), gr.Dropdown(choices=years)

    def library():
        return (status_line(service), header_html(service), list_html(service), *filters(),
                gr.Dropdown(choices=choices(service)))  # fmt: skip

    def refresh():
        reason = not_ready(service)  # 提问 and the examples off, with the reason, until there is an index to ask
        return (*library(), gr.Timer(active=service.building or service.warming),
                gr.Button(interactive=not reason), gr.HTML(html.escape(reason), visible=bool(reason)),
                *(gr.Button(interactive=not reason) for _ in EXAMPLES))  # fmt: skip

    def upload(files: list[str] | None, replace: bool):
        if not files:
            yield (gr.skip(),) * 8
            return
        job = service.uploads.submit(list(files), replace=bool(replace))
        while not job.done.wait(0.5):  # progress while it waits and runs; the queue goes on if the page closes
            yield (progress_html(job, service.uploads), *(gr.skip(),) * 7)
        yield (upload_html(job), None, *library())

    def pick(doc):
        region, year, kind, note = reports.current_values(service, doc)
        return region, year, kind, html.escape(note)

    def fix(doc, region, year, kind):
        return (f'<div class="manage-result">{html.escape(reports.save_fix(service, doc, region, year, kind))}</div>',
                *library())  # fmt: skip

    def remove(doc):
        said = reports.remove(service, doc) if doc else "未删除。"
        return (f'<div class="manage-result">{html.escape(said)}</div>', *library())

    def replace(doc, file):
        job = reports.start_replace(service, doc, file)
        if isinstance(job, str):
            yield (f'<div class="manage-result">{html.escape(job)}</div>', *(gr.skip(),) * 6)
            return
        while not job.done.wait(0.5):
            yield (progress_html(job, service.uploads), *(gr.skip(),) * 6)
        yield (reports.finish_replace(service, doc, job), *library())

    listed = [p.status, p.header, p.reports, p.regions, p.years, p.manage_doc]
    shown = [*listed, p.timer, p.send, p.send_reason, *p.starters]
    p.files.upload(upload, [p.files, p.replace], [p.upload_status, p.files, *listed], concurrency_id="upload",
                   concurrency_limit=16, show_progress="hidden", **PRIVATE)  # fmt: skip
    p.manage_doc.change(pick, [p.manage_doc], [p.fix_region, p.fix_year, p.fix_kind, p.manage_note], **PRIVATE)
    p.save_fix.click(fix, [p.manage_doc, p.fix_region, p.fix_year, p.fix_kind], [p.manage_status, *listed],
                     show_progress="hidden", **PRIVATE)  # fmt: skip
    p.remove.click(remove, [p.manage_doc], [p.manage_status, *listed], show_progress="hidden",
                   js="(doc) => [doc && window.confirm('从索引中删除这份报告？删除后它不再被引用。') ? doc : null]",
                   **PRIVATE)  # fmt: skip
    p.replace_file.upload(replace, [p.manage_doc, p.replace_file], [p.manage_status, *listed], concurrency_id="upload",
                          concurrency_limit=16, show_progress="hidden", **PRIVATE)  # fmt: skip
    p.timer.tick(refresh, outputs=shown, show_progress="hidden", **PRIVATE)
    return refresh, shown


def status_line(service) -> gr.HTML:
    """The line above the chat, shown while there is something to say: the first build, the warm-up, a problem
    (what the index holds is the subtitle's)."""
    return gr.HTML(status_html(service), visible=bool(not_ready(service)) or service.warming)


def close_chat(chat: Chat) -> None:
    """A browser session ended: its queued questions are not answered, its exports go."""
    chat.stop()
    if chat.folder:
        shutil.rmtree(chat.folder, ignore_errors=True)


def launch(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth=None, block: bool = True):
    """Start `app` with the house theme, the page's script and the report viewer (/report); with `block=False`
    return at once (tests)."""
    server, local_url, share_url = app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        prevent_thread_lock=True,
        theme=THEME,
        css=CSS,
        head=HEAD,
        ssr_mode=False,
        show_error=False,  # our own errors are gr.Error in Chinese; anything else is not sent as Python text
        quiet=not block,
        footer_links=["api"],
        max_file_size="16mb",
        # No unauthenticated /openapi.json listing every route (Gradio's own /gradio_api/openapi.json asks the login)
        app_kwargs={"openapi_url": None, "middleware": [Middleware(LoginThrottle)]},
    )
    service = app.rag_service
    add_viewer_route(server, service.report, service.kind, service.fixed)
    if block:
        app.block_thread()
    return server, local_url, share_url


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bound_address(host: str, port: int) -> str:
    """Where the server listens, as it is: a wildcard host is every interface, not 127.0.0.1."""
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    if host in ("0.0.0.0", "::", ""):
        return f"{url}（所有网络接口，本机可用 http://127.0.0.1:{port}）"
    return url


def serve(
    index_path: Store | str | Path,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
    allow_public: bool = False,
    seeds: str | Path | None = "seeds",
    auth_file: str | Path | None = None,
) -> int:
    """Run the chat UI until interrupted; returns the exit code (2: refused to bind, 1: error).

    The model is warmed at start; RAG_WARMUP=0 skips that (bench/first_answer.py measures the difference).
    """
    try:
        credentials = accounts(auth, auth_file)
    except ValueError as err:
        print(f"错误: {err}", file=sys.stderr)
        return 2
    if auth_file and readable_by_others(auth_file):
        print(f"警告：口令文件 {auth_file} 其他用户也能读取，建议 chmod 600 {auth_file}", file=sys.stderr)
    public = not is_loopback(host)
    if public and credentials is None and not allow_public:
        print(REFUSE_PUBLIC.format(host=host), file=sys.stderr)
        return 2
    if public and credentials is None:
        print(WARN_PUBLIC.format(host=host, port=port), file=sys.stderr)
    try:
        app = build_app(index_path, seeds=seeds, warm=os.environ.get("RAG_WARMUP", "1") != "0")
        print(f"报告问答：{bound_address(host, port)}", file=sys.stderr)
        launch(app, host=host, port=port, auth=credentials)
    except RagError as err:
        print(f"错误: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # port in use, host not assignable
        print(f"错误: 无法在 {host}:{port} 启动（{err}）", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
