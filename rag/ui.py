"""The chat UI: Gradio widgets wired to `rag.answer.ask` and `rag.store.add_reports`, nothing more.

One `_Service` per process holds the loaded index (and, through `rag.embed`, the cached model); an upload
builds a new index version on disk, loads it, and swaps it in under a lock, so a query in flight keeps
the index it started with. Everything a report says is escaped before it reaches HTML or Markdown.
"""

from __future__ import annotations

import html
import ipaddress
import os
import re
import sys
import threading
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls

import gradio as gr  # noqa: E402

from rag.answer import ask  # noqa: E402
from rag.errors import IndexNotFoundError, RagError  # noqa: E402
from rag.store import Index, IndexingResult, add_reports, load_index  # noqa: E402
from rag.types import Answer, Citation, Hit, Report  # noqa: E402

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".docx", ".pdf"]
EXAMPLES = [
    "哪个区复议调解率最高？",
    "镜湖区2024年受理法律援助案件多少件？",
    "各区行政诉讼出庭应诉率分别是多少？",
    "How many legal aid cases did Jinghu District accept in 2024?",
]
CONTEXT_CHARS = 120  # text shown around a quote in its source card
RELATED_CHARS = 300  # text shown of a related (not answering) passage
REPORT_HEADERS = ["文件", "标题", "地区", "年份"]
ROW_HEADERS = ["地区", "年份", "指标", "数值", "原文"]
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
#upload-status .failed { color: #b91c1c; }
#chat td:not(:last-child), #chat th { white-space: nowrap; }
#reading .chip { display: inline-block; margin: 0 6px 6px 0; padding: 2px 10px; border-radius: 999px;
  background: #eef2ff; color: #3730a3; font-size: 0.85em; }
#reading .chip b { margin-right: 4px; font-weight: 600; }
#reading .chip.follow { background: #ecfdf5; color: #065f46; }
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


class _Service:
    """The index shared by every session of this process, and the lock that swaps it."""

    def __init__(self, index_path: str | Path):
        self.path = Path(index_path)
        self._lock = threading.Lock()  # guards `_index`
        self._writing = threading.Lock()  # one indexing job at a time
        self._index: Index | None = None
        self.building = False
        self.progress = ""
        try:
            self._index = load_index(self.path)
        except IndexNotFoundError:
            pass

    @property
    def index(self) -> Index | None:
        with self._lock:
            return self._index

    def add(self, paths: list[str], say=None) -> IndexingResult:
        """Index `paths` into the same folder, then swap the reloaded index in."""
        with self._writing:
            result = add_reports(self.path, paths, progress=say)
            if result.added or result.updated or self.index is None:
                fresh = load_index(self.path)
                with self._lock:
                    self._index = fresh
        return result

    def build_in_background(self, seeds: str | Path) -> threading.Thread:
        """First run: index `seeds` while the app is already up; progress goes to the console and the UI."""

        def say(msg: str) -> None:
            self.progress = msg
            print(msg, file=sys.stderr, flush=True)

        def run() -> None:
            try:
                with self._writing:
                    add_reports(self.path, [seeds], progress=say, show_progress=True)
                    fresh = load_index(self.path)
                    with self._lock:
                        self._index = fresh
                say(f"索引已建立：{len(fresh.reports)} 份报告")
            except RagError as err:
                say(f"建立索引失败：{err}")
            finally:
                self.building = False

        self.building = True
        self.progress = f"正在从 {seeds} 建立索引…"
        print(self.progress, file=sys.stderr, flush=True)
        thread = threading.Thread(target=run, name="rag-seed-index", daemon=True)
        thread.start()
        return thread


# ---------------------------------------------------------------- rendering (pure functions)


def chat_markdown(answer: Answer) -> str:
    """The answer's Markdown, safe for the Chatbot: report text is inert (no HTML, no Markdown syntax)."""
    inert = {answer.question}
    for c in answer.citations:
        inert |= {c.quote, c.quote.replace("|", "｜"), c.title, *c.section}
    for h in answer.related:
        inert |= {h.chunk.text[:80], h.chunk.title, *h.chunk.section}
    inert = sorted((s for s in inert if s), key=len, reverse=True)
    parts = re.split("(" + "|".join(map(re.escape, inert)) + ")", answer.answer) if inert else [answer.answer]
    # odd parts are report (or user) text; even parts are the Markdown that rag.answer wrote around them
    text = "".join(_inert_markdown(p) if i % 2 else _escape_angle(p) for i, p in enumerate(parts))
    return f"**【未找到】** {text}" if answer.mode == "not_found" else text


def reading_html(query) -> str:
    """How the last question was read, as chips (指标 / 地区 / 年份 / 范围): a misreading is visible."""
    if query is None:
        return '<div class="reading empty"></div>'
    text = query.reading()
    inner = text[len("按“") : -len("”理解")] if text.startswith("按“") else text
    chips = [p.split("：", 1) for p in inner.split("；") if "：" in p]
    follow = '<span class="chip follow">追问</span>' if query.followup else ""
    return '<div class="reading">' + follow + "".join(
        f'<span class="chip"><b>{html.escape(k)}</b>{html.escape(v)}</span>' for k, v in chips) + "</div>"


def user_markdown(question: str) -> str:
    return _inert_markdown(question)


def sources_html(index: Index | None, answer: Answer | None) -> str:
    """The sources panel: one card per citation (quote marked inside its context), or the related passages."""
    if answer is None:
        return '<div class="empty">提问后，这里显示答案引用的原文出处，可一键复制引用。</div>'
    out = []
    if answer.mode == "not_found":
        out.append(
            '<div class="not-found-block"><span class="badge not-found">未找到</span> '
            "报告中没有能回答这个问题的原文。</div>"
        )
        if answer.related:
            out.append("<p><b>相关但不回答</b>（仅供参考，不是答案）：</p>")
        out += [_related_card(h) for h in answer.related]
    reports = index.reports if index is not None else {}
    out += [_citation_card(c, reports.get(c.doc)) for c in answer.citations]
    return "\n".join(out)


def report_rows(index: Index | None) -> list[list]:
    if index is None:
        return []
    return [
        [r.doc, r.title, r.region, r.year or ""] for r in sorted(index.reports.values(), key=lambda r: r.doc)
    ]


def comparison_rows(answer: Answer) -> list[list]:
    return [
        [r.region, r.year or "", r.metric, f"{r.value:g}{r.unit}{r.qualifier}", r.citation.quote]
        for r in answer.rows
    ]


def upload_html(result: IndexingResult) -> str:
    def names(docs):
        return "、".join(html.escape(Path(d).name) for d in docs)

    lines = []
    for label, docs in (
        ("新增", result.added),
        ("更新", result.updated),
        ("未变（已索引）", result.unchanged),
    ):
        if docs:
            lines.append(f"<div>{label} {len(docs)} 份：{names(docs)}</div>")
    if result.failed:
        lines.append(f'<div class="failed"><b>失败 {len(result.failed)} 个文件：</b><ul>')
        lines += [
            f'<li class="failed"><b>{html.escape(Path(f).name)}</b>：{html.escape(reason)}</li>'
            for f, reason in result.failed
        ]
        lines.append("</ul></div>")
    for doc, reason in result.warnings:
        lines.append(f'<div class="failed">注意 {html.escape(doc)}：{html.escape(reason)}</div>')
    if result.added or result.updated:
        lines.append("<div>已重新载入索引，新报告现在即可提问。</div>")
    body = "\n".join(lines) or "<div>没有可索引的文件。</div>"
    return f'<div class="upload-result">{body}</div>'


def _citation_card(c: Citation, report: Report | None) -> str:
    before, after = _context(report, c.start, c.end) if report is not None else ("", "")
    e = html.escape
    return (
        f'<div class="card citation" data-doc="{e(c.doc)}" data-region="{e(c.region)}">'
        f'<div class="card-title">[{c.n}] 《{e(c.title)}》</div>'
        f'<div class="meta">{e(c.region or "地区未知")} · {_year(c.year)} · {e(c.doc)}</div>'
        f'<div class="section">{e(" > ".join(c.section)) or "（正文）"}</div>'
        f'<div class="context">{e(before)}<mark>{e(c.quote)}</mark>{e(after)}</div>'
        f'<button class="copy-memo" type="button" data-memo="{e(c.memo)}">复制引用</button>'
        f'<div class="memo">{e(c.memo)}</div></div>'
    )


def _related_card(h: Hit) -> str:
    c, e = h.chunk, html.escape
    return (
        f'<div class="card related" data-doc="{e(c.doc)}" data-region="{e(c.region)}">'
        f'<span class="badge related-label">相关但不回答</span>'
        f'<div class="card-title">《{e(c.title)}》</div>'
        f'<div class="meta">{e(c.region or "地区未知")} · {_year(c.year)} · {e(c.doc)}</div>'
        f'<div class="section">{e(" > ".join(c.section)) or "（正文）"}</div>'
        f'<div class="context">{e(c.text[:RELATED_CHARS])}{"…" if len(c.text) > RELATED_CHARS else ""}</div></div>'
    )


def _context(report: Report, start: int, end: int) -> tuple[str, str]:
    """About CONTEXT_CHARS of report text either side of a quote, kept inside its body span."""
    lo, hi = 0, len(report.text)
    for s, e in report.body:
        if s <= start < e:
            lo, hi = s, e
            break
    a, b = max(lo, start - CONTEXT_CHARS), max(end, min(hi, end + CONTEXT_CHARS))
    before, after = report.text[a:start], report.text[end:b]
    return ("…" if a > lo else "") + before, after + ("…" if b < hi else "")


def _year(year: int | None) -> str:
    return f"{year}年" if year else "年份未知"


_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:^=])")


def _inert_markdown(text: str) -> str:
    """Report text as Markdown that renders literally: punctuation backslash-escaped, <>& as entities."""
    text = re.sub(r"\s*\n\s*", " ", text)
    return _escape_angle(_MD_PUNCT.sub(r"\\\1", text))


def _escape_angle(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------- the app


def build_app(index_path: str | Path, seeds: str | Path | None = None) -> gr.Blocks:
    """The Gradio app over the index at `index_path`.

    With `seeds` and no index yet, the seed reports are indexed in the background while the app is up.
    Launch it with `launch(app, …)` (theme, CSS and queue settings), or `serve` for the whole program.
    """
    service = _Service(index_path)
    if service.index is None and seeds is not None and Path(seeds).exists():
        service.build_in_background(seeds)

    def status_html() -> str:
        index = service.index
        if service.building:
            return f'<div class="status building">【建立索引中】{html.escape(service.progress)}</div>'
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
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        index = service.index  # one snapshot for the whole answer, even if an upload swaps in another
        if index is None:
            raise gr.Error("索引正在建立或为空，请稍候或先上传报告。")
        # `last` is this browser session's previous Query: a follow-up is read against it
        answer = ask(index, question, regions=regions or None, years=[int(y) for y in years or []] or None, previous=last)
        history = list(history or []) + [
            {"role": "user", "content": user_markdown(question)},
            {"role": "assistant", "content": chat_markdown(answer)},
        ]
        rows = comparison_rows(answer)
        return ("", history, sources_html(index, answer), gr.Dataframe(value=rows, visible=bool(rows)),
                reading_html(answer.query), answer.query if answer.query is not None else last)

    def upload(files: list[str] | None, progress=gr.Progress()):
        if not files:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        steps = iter([0.3, 0.8, 0.95])

        def say(msg: str) -> None:
            print(msg, file=sys.stderr, flush=True)
            progress(next(steps, 0.95), desc=msg)

        progress(0.05, desc=f"正在读取 {len(files)} 个文件…")
        try:
            result = service.add(list(files), say=say)
        except RagError as err:
            raise gr.Error(str(err)) from err
        return (upload_html(result), None, status_html(), report_rows(service.index), *filter_updates())

    def api_ask(
        question: str, regions: list[str] | None = None, years: list[int] | None = None, history: list[str] | None = None
    ) -> dict:
        """Answer a question from the indexed reports: the same object as `rag ask --json`.

        `history`: the conversation's earlier questions, oldest first, for a follow-up ("那红谷滩区呢?")."""
        index = service.index
        if index is None:
            raise gr.Error("索引正在建立或为空，请稍候再试。")
        return ask(
            index, question, regions=list(regions or []) or None, years=[int(y) for y in years or []] or None,
            history=[str(h) for h in history or []] or None,
        ).to_json()

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
                clear = gr.Button("清空对话", size="sm", variant="secondary")
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
        files.upload(
            upload,
            inputs=[files],
            outputs=[upload_status, files, status, reports, regions, years],
            api_visibility="private",
            concurrency_id="index",
            concurrency_limit=1,
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
    if not is_loopback(host) and credentials is None and not allow_public:
        print(REFUSE_PUBLIC.format(host=host), file=sys.stderr)
        return 2
    try:
        app = build_app(index_path, seeds=seeds)
        print(f"报告问答：http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}", file=sys.stderr)
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
