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
from rag.errors import ArgumentError, RagError  # noqa: E402
from rag.render import (  # noqa: E402
    chat_markdown,
    comparison_rows,
    reading_html,
    report_rows,
    sources_html,
    user_markdown,
)
from rag.store import Index  # noqa: E402
from rag.uploads import IndexService, progress_html, upload_html  # noqa: E402

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".docx", ".pdf"]
EXAMPLES = [
    "哪个区复议调解率最高？",
    "镜湖区2024年受理法律援助案件多少件？",
    "各区行政诉讼出庭应诉率分别是多少？",
    "How many legal aid cases did Jinghu District accept in 2024?",
]
REPORT_HEADERS = ["文件", "标题", "地区", "年份"]
ROW_HEADERS = ["地区", "年份", "指标", "数值", "原文"]
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

# Local fonts only: the UI must work offline, so no Google Fonts request.
THEME = gr.themes.Soft(
    font=["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"],
    font_mono=["Noto Sans Mono CJK SC", "ui-monospace", "monospace"],
)
CSS = """
#sources .empty { color: #6b7280; }
#sources .card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 12px; margin: 0 0 10px; background: #fff; }
#sources .card.related { background: #f9fafb; border-style: dashed; }
#sources .card-title { font-weight: 600; }
#sources .meta, #sources .section { color: #4b5563; font-size: 0.85em; margin-top: 2px; }
#sources .context { margin: 8px 0; line-height: 1.7; white-space: pre-wrap; word-break: break-word; }
#sources mark { background: #fde68a; padding: 0 1px; }
#sources .memo { user-select: all; font-size: 0.85em; background: #f3f4f6; padding: 4px 6px; border-radius: 4px;
  margin-top: 4px; word-break: break-word; }
#sources .copy-memo { font-size: 0.85em; padding: 2px 10px; border: 1px solid #d1d5db; border-radius: 6px;
  background: #fff; cursor: pointer; }
#sources .badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; }
#sources .badge.not-found { background: #fee2e2; color: #991b1b; }
#sources .badge.related-label { background: #e5e7eb; color: #374151; font-size: 0.8em; }
#sources .not-found-block { border-left: 4px solid #ef4444; background: #fef2f2; padding: 8px 12px; margin-bottom: 10px; }
#reading .chip { display: inline-block; margin: 0 6px 6px 0; padding: 2px 10px; border-radius: 999px;
  background: #eef2ff; color: #3730a3; font-size: 0.85em; }
#reading .chip b { margin-right: 4px; font-weight: 600; }
#reading .chip.follow { background: #ecfdf5; color: #065f46; }
#upload-status .failed { color: #b91c1c; }
#chat td:not(:last-child), #chat th { white-space: nowrap; }
"""
# Copies a card's memo; the clipboard is unavailable on plain http or in some browsers, so the memo is
# also shown as selectable text and selected on failure.
COPY_JS = """
if (!element.dataset.copyBound) {
  element.dataset.copyBound = "1";
  element.addEventListener("click", (event) => {
    const button = event.target.closest("button.copy-memo");
    if (!button) return;
    const memo = button.dataset.memo;
    const select = () => {
      const box = button.parentElement.querySelector(".memo");
      if (box) window.getSelection().selectAllChildren(box);
      button.textContent = "已选中，请按 Ctrl+C";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(memo).then(() => { button.textContent = "已复制"; }, select);
    } else {
      select();
    }
  });
}
"""


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


def _usable(service: IndexService) -> Index:
    """The index to answer from, or the Gradio error that says why there is none."""
    index = service.index
    if service.problem:
        raise gr.Error(service.problem)
    if index is None:
        raise gr.Error("索引正在建立或为空，请稍候或先上传报告。")
    return index


# ---------------------------------------------------------------- the app


def build_app(index_path: str | Path, seeds: str | Path | None = None) -> gr.Blocks:
    """The Gradio app over the index at `index_path`.

    With `seeds` and no index yet, the seed reports are indexed in the background while the app is up.
    Launch it with `launch(app, …)` (theme, CSS and queue settings), or `serve` for the whole program.
    """
    service = IndexService(index_path)
    if service.index is None and seeds is not None and Path(seeds).exists():
        service.build_in_background(seeds)

    def status_html() -> str:
        index = service.index
        if service.building:
            return f'<div class="status building">【建立索引中】{html.escape(service.progress)}</div>'
        if service.problem:
            return f'<div class="status failed">{html.escape(service.problem)}</div>'
        if index is None:
            return '<div class="status">索引为空：请在下方上传报告。</div>'
        regions = "、".join(html.escape(r) for r in index.regions)
        return f'<div class="status">已索引 {len(index.reports)} 份报告（{regions}），{len(index.chunks)} 个段落。</div>'

    def filter_updates():
        index = service.index
        regions = list(index.regions) if index else []
        years = sorted({r.year for r in index.reports.values() if r.year}) if index else []
        return gr.Dropdown(choices=regions), gr.Dropdown(choices=years)

    def refresh():
        return (
            status_html(),
            report_rows(service.index),
            *filter_updates(),
            gr.Timer(active=service.building),
        )

    def respond(question: str, history: list, regions: list[str], years: list[int], last=None):
        question = (question or "").strip()
        if not question:
            return (gr.skip(),) * 6
        index = _usable(service)  # one snapshot for the whole answer, even if an upload swaps in another
        # `last` is this browser session's previous Query: a follow-up is read against it
        answer = ask(index, question, regions=regions or None, years=[int(y) for y in years or []] or None, previous=last)
        history = list(history or []) + [
            {"role": "user", "content": user_markdown(question)},
            {"role": "assistant", "content": chat_markdown(answer)},
        ]
        rows = comparison_rows(answer)
        return ("", history, sources_html(index, answer), gr.Dataframe(value=rows, visible=bool(rows)),
                reading_html(answer.query), answer.query if answer.query is not None else last)

    def upload(files: list[str] | None, replace: bool):
        if not files:
            yield (gr.skip(),) * 6
            return
        job = service.uploads.submit(list(files), replace=bool(replace))
        while not job.done.wait(0.5):  # progress while it waits and runs; the queue goes on if the page closes
            yield (progress_html(job, service.uploads), *(gr.skip(),) * 5)
        yield (upload_html(job), None, status_html(), report_rows(service.index), *filter_updates())

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
            raise gr.Error(str(err)) from None
        return ask(_usable(service), question, regions=regions, years=years, history=history).to_json()

    with gr.Blocks(title="报告问答", analytics_enabled=False) as app:
        gr.Markdown(
            "# 报告问答\n对政府工作报告提问：答案逐字引用原文，并注明出处（报告、地区、年份、章节）。"
        )
        status = gr.HTML(status_html(), elem_id="index-status")
        timer = gr.Timer(2.0, active=service.building)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
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
                clear = gr.Button("清空对话", size="sm", variant="secondary", elem_id="clear")
            with gr.Column(scale=2):
                reading = gr.HTML(reading_html(None), elem_id="reading")
                gr.Markdown("### 引用来源")
                sources = gr.HTML(sources_html(None, None), elem_id="sources", js_on_load=COPY_JS)
                compared = gr.Dataframe(
                    headers=ROW_HEADERS,
                    label="对比表",
                    visible=False,
                    interactive=False,
                    wrap=True,
                    elem_id="rows",
                )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                reports = gr.Dataframe(
                    value=report_rows(service.index),
                    headers=REPORT_HEADERS,
                    label="已索引的报告",
                    interactive=False,
                    wrap=True,
                    elem_id="reports",
                    column_widths=["24%", "50%", "14%", "12%"],
                )
            with gr.Column(scale=2):
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

        last_query = gr.State(None)  # per browser session: the conversation so far, never shared
        private = {"api_visibility": "private", "concurrency_id": "ask", "concurrency_limit": 2}
        ask_io = {
            "inputs": [question, chatbot, regions, years, last_query],
            "outputs": [question, chatbot, sources, compared, reading, last_query],
        }
        question.submit(respond, **ask_io, **private)
        send.click(respond, **ask_io, **private)
        for button, text in zip(starters, EXAMPLES, strict=True):
            button.click(
                lambda h, r, y, last, text=text: respond(text, h, r, y, last),
                inputs=[chatbot, regions, years, last_query],
                outputs=ask_io["outputs"],
                **private,
            )
        clear.click(
            lambda: ([], sources_html(None, None), gr.Dataframe(value=[], visible=False), reading_html(None), None),
            outputs=[chatbot, sources, compared, reading, last_query],
            api_visibility="private",
            queue=False,
        )
        # the chat's own 清空 icon starts the conversation over too
        chatbot.clear(lambda: (reading_html(None), None), outputs=[reading, last_query], api_visibility="private")
        files.upload(
            upload,
            inputs=[files, replace],
            outputs=[upload_status, files, status, reports, regions, years],
            api_visibility="private",
            concurrency_id="upload",
            concurrency_limit=16,  # each handler only watches its upload; the queue decides what runs
        )
        app.load(refresh, outputs=[status, reports, regions, years, timer], api_visibility="private")
        timer.tick(refresh, outputs=[status, reports, regions, years, timer], api_visibility="private")
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
    """Run the chat UI until interrupted; returns the exit code (2: refused to bind, 1: error)."""
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
        app = build_app(index_path, seeds=seeds)
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
