"""The chat UI: Gradio widgets wired to `rag.answer.ask` and the upload queue, nothing more.

One `IndexService` (rag/uploads.py) per process holds the loaded index (and, through `rag.embed`, the cached
model); an upload goes through its queue, builds a new index version on disk under the index lock it shares
with `rag index`, and the reloaded index is swapped in, so a query in flight keeps the index it started with.
A damaged index is one message in the status line, not a crash. What is shown is rendered by rag/render.py,
where everything a report says is escaped before it reaches HTML or Markdown.
"""

from __future__ import annotations

import html
import ipaddress
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls

import gradio as gr  # noqa: E402

from rag.answer import ask  # noqa: E402
from rag.charts import chart_figure  # noqa: E402
from rag.errors import ArgumentError, RagError  # noqa: E402
from rag.export import export_files, new_folder  # noqa: E402
from rag.render import (  # noqa: E402
    chart_note_html,
    chat_markdown,
    comparison_html,
    copy_all_html,
    reading_html,
    reports_html,
    sources_html,
    user_markdown,
)
from rag.theme import COPY_JS, CSS, THEME  # noqa: E402
from rag.uploads import IndexService, not_ready, progress_html, status_html, upload_html  # noqa: E402

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".docx", ".pdf"]
EXAMPLES = [
    "哪个区复议调解率最高？",
    "镜湖区2024年受理法律援助案件多少件？",
    "各区行政诉讼出庭应诉率分别是多少？",
    "How many legal aid cases did Jinghu District accept in 2024?",
]
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


# ---------------------------------------------------------------- the app


def build_app(index_path: str | Path, seeds: str | Path | None = None, warm: bool = True) -> gr.Blocks:
    """The Gradio app over the index at `index_path`.

    With `seeds` and no index yet, the seed reports are indexed in the background while the app is up, and
    asking waits (disabled, with the reason shown) until they are. With `warm`, the model is loaded and one
    question answered in the background at start. Launch it with `launch(app, …)`, or `serve` for the whole program.
    """
    service = IndexService(index_path)
    if service.index is None and seeds is not None and Path(seeds).exists():
        service.build_in_background(seeds, warm=warm)
    elif warm and service.index is not None:
        service.warm_in_background()

    def filter_updates():
        index = service.index
        regions = list(index.regions) if index else []
        years = sorted({r.year for r in index.reports.values() if r.year}) if index else []
        return gr.Dropdown(choices=regions), gr.Dropdown(choices=years)

    def ask_updates():
        """提问, the starters and the line under them: off, with the reason, until there is an index to ask."""
        reason = not_ready(service)
        return (gr.Button(interactive=not reason), gr.HTML(html.escape(reason), visible=bool(reason)),
                *(gr.Button(interactive=not reason) for _ in EXAMPLES))  # fmt: skip

    def refresh():
        return (status_html(service), reports_html(service.index), *filter_updates(),
                gr.Timer(active=service.building or service.warming), *ask_updates())  # fmt: skip

    def start(question: str, history: list):
        """At once, before the answer: the question in the chat, a Chinese placeholder, 提问 off."""
        question = (question or "").strip()
        if not question:
            return gr.skip(), gr.skip(), "", gr.skip()
        history = list(history or []) + [
            {"role": "user", "content": user_markdown(question)},
            {"role": "assistant", "content": "正在查找答案…"},
        ]
        return "", history, question, gr.Button(interactive=False)

    def respond(question: str, history: list, regions: list[str], years: list[int], last, turns, folder):
        if not question:
            return (gr.skip(),) * 13
        history = list(history or [])
        reason = not_ready(service)
        if reason:  # no index yet or a damaged one: said in the chat, never an error badge
            history[-1] = {"role": "assistant", "content": reason}
            return (history, *(gr.skip(),) * 12)
        service.wait_warm()
        index = service.index  # one snapshot for the whole answer, even if an upload swaps in another
        # `last` is this browser session's previous Query: a follow-up is read against it
        try:
            answer = ask(index, question, regions=regions or None, years=[int(y) for y in years or []] or None,
                         previous=last)  # fmt: skip
        except Exception as err:  # said in the chat in Chinese, not as Gradio's English "Error" toast
            history[-1] = {"role": "assistant", "content": f"回答时出错（{html.escape(type(err).__name__)}），请重试或换个问法。"}
            print(f"回答“{question}”时出错：{type(err).__name__}: {err}", file=sys.stderr, flush=True)
            return (history, *(gr.skip(),) * 12)
        history[-1] = {"role": "assistant", "content": chat_markdown(answer)}
        turns = list(turns or []) + [answer]
        files = export_files(turns, folder)
        chart = chart_figure(answer)
        return (
            history, sources_html(index, answer), reading_html(answer.query),
            answer.query if answer.query is not None else last,
            gr.Column(visible=bool(answer.rows)), gr.Plot(value=chart, visible=chart is not None),
            gr.HTML(chart_note_html(answer), visible=bool(chart_note_html(answer))), comparison_html(answer),
            gr.DownloadButton(value=files["csv"], interactive=files["csv"] is not None),
            gr.DownloadButton(value=files["xlsx"], interactive=files["xlsx"] is not None),
            gr.DownloadButton(value=files["docx"], interactive=True), copy_all_html(answer),
            (turns, str(files["folder"])),
        )  # fmt: skip

    def clear_all(session):
        _, folder = session or (None, None)
        new_folder(folder)  # removes the last answer's exports
        return ([], sources_html(None, None), reading_html(None), None, gr.Column(visible=False),
                gr.DownloadButton(value=None, interactive=False), copy_all_html(None), ([], None))  # fmt: skip

    def upload(files: list[str] | None, replace: bool):
        if not files:
            yield (gr.skip(),) * 6
            return
        job = service.uploads.submit(list(files), replace=bool(replace))
        while not job.done.wait(0.5):  # progress while it waits and runs; the queue goes on if the page closes
            yield (progress_html(job, service.uploads), *(gr.skip(),) * 5)
        yield (upload_html(job), None, status_html(service), reports_html(service.index), *filter_updates())

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
        reason = not_ready(service)
        if reason:
            raise gr.Error(reason, title="暂时无法回答")
        service.wait_warm()
        return ask(service.index, question, regions=regions, years=years, history=history).to_json()

    with gr.Blocks(title="报告问答", analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        gr.Markdown(
            "# 报告问答\n对政府工作报告提问：答案逐字引用原文，并注明出处（报告、地区、年份、章节）。"
        )
        status = gr.HTML(status_html(service), elem_id="index-status")
        timer = gr.Timer(2.0, active=service.building or service.warming)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chatbot = gr.Chatbot(
                    label="对话",
                    show_label=False,  # the floating label would cover the first line of the answer
                    elem_id="chat",
                    height=520,
                    latex_delimiters=[],
                    sanitize_html=True,
                    allow_tags=False,
                    feedback_options=None,
                    buttons=["copy"],
                    placeholder="请提问，或点击下方的示例问题。",
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="输入问题，例如：哪个区复议调解率最高？",
                        show_label=False,
                        elem_id="question",
                        scale=5,
                        max_lines=4,
                    )
                    send = gr.Button("提问", variant="primary", elem_id="send", scale=1, min_width=80)
                send_reason = gr.HTML(visible=False, elem_id="send-reason")
                with gr.Row():
                    regions = gr.Dropdown(
                        label="只看这些地区", multiselect=True, elem_id="filter-regions", choices=[]
                    )
                    years = gr.Dropdown(
                        label="只看这些年份", multiselect=True, elem_id="filter-years", choices=[]
                    )
                gr.Markdown("**示例问题**（点击即问）")
                with gr.Row(elem_id="starters"):
                    starters = [gr.Button(q, size="sm", elem_classes="starter") for q in EXAMPLES]
                with gr.Row(elem_id="export"):
                    copy_all = gr.HTML(copy_all_html(None), elem_id="copy-all", js_on_load=COPY_JS)
                    docx = gr.DownloadButton("导出 Word", size="sm", interactive=False, elem_id="export-docx")
                    clear = gr.Button("清空对话", size="sm", variant="secondary", elem_id="clear")
            with gr.Column(scale=2, min_width=300):
                reading = gr.HTML(reading_html(None), elem_id="reading")
                with gr.Column(visible=False, elem_id="numbers") as numbers:
                    gr.Markdown("### 数字对比")
                    chart = gr.Plot(show_label=False, elem_id="chart", visible=False)
                    chart_note = gr.HTML(elem_id="chart-note", visible=False)
                    compared = gr.HTML(elem_id="rows")
                    with gr.Row():
                        csv = gr.DownloadButton("下载表格 CSV", size="sm", interactive=False, elem_id="export-csv")
                        xlsx = gr.DownloadButton("下载表格 Excel", size="sm", interactive=False, elem_id="export-xlsx")
                gr.Markdown("### 引用来源")
                sources = gr.HTML(sources_html(None, None), elem_id="sources", js_on_load=COPY_JS)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                reports = gr.HTML(reports_html(service.index), elem_id="reports")
            with gr.Column(scale=2, min_width=300):
                files = gr.File(
                    label="上传报告（.txt .md .html .htm .docx .pdf，可多选），上传后自动加入索引",
                    file_count="multiple",
                    file_types=UPLOAD_TYPES,
                    elem_id="upload",
                )
                replace = gr.Checkbox(
                    label="替换同名报告（上传的是已索引同名报告的新版本；不勾选则作为另一份报告加入）",
                    value=False,
                    elem_id="replace",
                )
                upload_status = gr.HTML(elem_id="upload-status")

        # per browser session, never shared: the last Query (for follow-ups) and (answers so far, export folder)
        last_query = gr.State(None)
        session = gr.State(([], None))
        pending = gr.State("")
        private = {"api_visibility": "private"}
        answer_io = {
            "fn": lambda q, h, r, y, last, s: respond(q, h, r, y, last, *s),
            "inputs": [pending, chatbot, regions, years, last_query, session],
            "outputs": [chatbot, sources, reading, last_query, numbers, chart, chart_note, compared, csv, xlsx,
                        docx, copy_all, session],
            "show_progress": "hidden",  # the placeholder says it, in Chinese
            "concurrency_id": "ask",
            "concurrency_limit": 2,
            **private,
        }
        after = {"fn": ask_updates, "outputs": [send, send_reason, *starters], **private}
        for trigger in (question.submit, send.click):
            trigger(start, [question, chatbot], [question, chatbot, pending, send], queue=False, **private).then(
                **answer_io).then(**after)
        for button, text in zip(starters, EXAMPLES, strict=True):
            button.click(lambda h, text=text: start(text, h), [chatbot], [question, chatbot, pending, send],
                         queue=False, **private).then(**answer_io).then(**after)  # fmt: skip
        clear.click(clear_all, [session], [chatbot, sources, reading, last_query, numbers, docx, copy_all, session],
                    queue=False, **private)  # fmt: skip
        # the chat's own 清空 icon starts the conversation over too
        chatbot.clear(clear_all, [session], [chatbot, sources, reading, last_query, numbers, docx, copy_all, session],
                      **private)  # fmt: skip
        files.upload(
            upload,
            inputs=[files, replace],
            outputs=[upload_status, files, status, reports, regions, years],
            concurrency_id="upload",
            concurrency_limit=16,  # each handler only watches its upload; the queue decides what runs
            **private,
        )
        shown = [status, reports, regions, years, timer, send, send_reason, *starters]
        app.load(refresh, outputs=shown, **private)
        timer.tick(refresh, outputs=shown, show_progress="hidden", **private)
        gr.api(api_ask, api_name="ask", concurrency_id="ask", concurrency_limit=2)
    app.queue(default_concurrency_limit=2)
    app.rag_service = service  # for tests and embedding programs
    return app


def launch(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth=None, block: bool = True):
    """Start `app` with the house theme; with `block=False` return at once (tests)."""
    return app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        prevent_thread_lock=not block,
        theme=THEME,
        css=CSS,
        ssr_mode=False,
        show_error=True,
        quiet=not block,
        footer_links=["api"],
        max_file_size="16mb",
    )


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


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """'user:pass' → ('user', 'pass'); raises ValueError on anything else."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not (sep and user and password):
        raise ValueError("--auth 应为 用户名:口令（user:pass）")
    return user, password


def serve(
    index_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
    allow_public: bool = False,
    seeds: str | Path | None = "seeds",
) -> int:
    """Run the chat UI until interrupted; returns the exit code (2: refused to bind, 1: error).

    The model is warmed at start; RAG_WARMUP=0 skips that (bench/first_answer.py measures the difference).
    """
    try:
        credentials = parse_auth(auth)
    except ValueError as err:
        print(f"错误: {err}", file=sys.stderr)
        return 2
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
