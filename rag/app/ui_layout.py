"""The chat page's components, laid out (called inside a gr.Blocks): rag/app/ui.py wires their events.

Top to bottom: the title and what the index holds, the example questions (above the fold), the chat with the
question box, 提问 and 停止, the filters folded away, the exports; beside the chat (below it on a phone) the
shown turn's reading, numbers and sources; then the reports and their management. The conversation list sits
in the sidebar. Hidden parts carry messages between the page's script (rag/app/ui_js.py) and the server.
"""

from __future__ import annotations

import html
from types import SimpleNamespace

import gradio as gr

from rag.app.render import copy_all_html, reading_html, sources_html
from rag.app.theme import COPY_JS
from rag.app.ui_reports import choices, index_summary, list_html
from rag.app.uploads import not_ready, status_html
from rag.store.corrections import KINDS

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".docx", ".pdf"]
EXAMPLES = [
    "哪个区复议调解率最高？",
    "镜湖区2024年受理法律援助案件多少件？",
    "各区行政诉讼出庭应诉率分别是多少？",
    "How many legal aid cases did Jinghu District accept in 2024?",
]
CONVERSATIONS = ('<div class="conv-head"><b>对话记录<span class="conv-count"></span></b>'
                 '<button type="button" class="conv-new">新对话</button></div>'
                 '<div class="conv-list"></div>'
                 '<p class="conv-note">对话只保存在这个浏览器里，不存到服务器。</p>')  # fmt: skip


def header_html(service) -> str:
    return ('<div class="title-row"><h1>报告问答</h1><button type="button" class="open-conversations">'
            '对话记录<span class="conv-count"></span></button></div>'
            f'<p class="subtitle">{html.escape(index_summary(service))}。'
            "答案逐字引用原文并注明出处，点 [1] 等引用号即可打开报告原文。</p>")  # fmt: skip


def build_layout(service) -> SimpleNamespace:  # noqa: PLR0915
    """Create the page's components in the current gr.Blocks; returns them by name."""
    p = SimpleNamespace()
    with gr.Sidebar(label="对话记录", open=False, elem_id="sidebar", width=280):  # opened by 对话记录 in the header
        p.conversations = gr.HTML(CONVERSATIONS, elem_id="conversations")
    p.header = gr.HTML(header_html(service), elem_id="header")
    p.status = gr.HTML(status_html(service), elem_id="index-status", visible=bool(not_ready(service)) or service.warming)
    p.timer = gr.Timer(2.0, active=service.building or service.warming)
    with gr.Row(equal_height=False, elem_id="main"):
        with gr.Column(scale=3, min_width=300):
            with gr.Row(elem_id="starters"):
                gr.HTML('<span class="starters-label">示例问题（点击即问）：</span>', elem_id="starters-label")
                p.starters = [gr.Button(q, size="sm", elem_classes="starter") for q in EXAMPLES]
            p.chatbot = gr.Chatbot(
                label="对话", show_label=False, elem_id="chat", height=None, min_height=200, max_height=560, autoscroll=False, latex_delimiters=[],
                sanitize_html=True, allow_tags=False, feedback_options=None, buttons=["copy"],
                placeholder="请在下面输入问题，或点击上方的示例问题。",
            )  # fmt: skip
            with gr.Row(elem_id="ask-row"):
                p.question = gr.Textbox(placeholder="输入问题，或点上方的示例问题，例如：哪个区复议调解率最高？",
                                        show_label=False, elem_id="question", scale=5, max_lines=4, lines=1)  # fmt: skip
                p.send = gr.Button("提问", variant="primary", elem_id="send", scale=1, min_width=70)
                p.stop = gr.Button("停止", variant="stop", elem_id="stop", scale=1, min_width=70, interactive=False)
            p.send_reason = gr.HTML(visible=False, elem_id="send-reason")
            with gr.Accordion("筛选：只看某些地区或年份", open=False, elem_id="filters"):
                with gr.Row():
                    p.regions = gr.Dropdown(label="只看这些地区", multiselect=True, elem_id="filter-regions", choices=[])
                    p.years = gr.Dropdown(label="只看这些年份", multiselect=True, elem_id="filter-years", choices=[])
            with gr.Row(elem_id="export"):
                p.copy_all = gr.HTML(copy_all_html(None), elem_id="copy-all", js_on_load=COPY_JS)
                p.docx = gr.DownloadButton("导出 Word", size="sm", interactive=False, elem_id="export-docx")
                p.clear = gr.Button("清空对话", size="sm", variant="secondary", elem_id="clear")
        with gr.Column(scale=2, min_width=300, elem_id="side"):
            p.turn_label = gr.HTML(visible=False, elem_id="turn-label")
            p.reading = gr.HTML(reading_html(None), elem_id="reading")
            with gr.Column(visible=False, elem_id="numbers") as p.numbers:
                gr.Markdown("### 数字对比")
                p.chart = gr.Plot(show_label=False, elem_id="chart", visible=False)
                p.chart_note = gr.HTML(elem_id="chart-note", visible=False)
                p.rows = gr.HTML(elem_id="rows")
                with gr.Row():
                    p.csv = gr.DownloadButton("下载表格 CSV", size="sm", interactive=False, elem_id="export-csv")
                    p.xlsx = gr.DownloadButton("下载表格 Excel", size="sm", interactive=False, elem_id="export-xlsx")
            gr.Markdown("### 引用来源")
            p.sources = gr.HTML(sources_html(None, None), elem_id="sources", js_on_load=COPY_JS)
    with gr.Row(equal_height=False, elem_id="library"):
        with gr.Column(scale=3, min_width=300):
            p.reports = gr.HTML(list_html(service), elem_id="reports")
        with gr.Column(scale=2, min_width=300):
            p.files = gr.File(label="上传报告（.txt .md .html .htm .docx .pdf，可多选），上传后自动加入索引",
                              file_count="multiple", file_types=UPLOAD_TYPES, elem_id="upload")  # fmt: skip
            p.replace = gr.Checkbox(label="替换同名报告（上传的是已索引同名报告的新版本；不勾选则作为另一份报告加入）",
                                    value=False, elem_id="replace")  # fmt: skip
            p.upload_status = gr.HTML(elem_id="upload-status")
            _manage(p, service)
    # between the page's script and the server (rag/app/ui_js.py): stored conversations, requests, scrolling
    p.saved = gr.Textbox(visible="hidden", elem_id="conv-saved")
    p.answered = gr.Textbox(visible="hidden", elem_id="conv-answered")
    p.conv_payload = gr.Textbox(visible="hidden", elem_id="conv-payload")
    p.conv_run = gr.Button("open", visible="hidden", elem_id="conv-run")
    return p


def _manage(p: SimpleNamespace, service) -> None:
    with gr.Accordion("管理报告：删除、替换新版本、更正地区 / 年份 / 类型", open=False, elem_id="manage"):
        p.manage_doc = gr.Dropdown(label="选择报告", choices=choices(service), value=None, elem_id="manage-doc")
        with gr.Row():
            p.fix_region = gr.Textbox(label="地区", elem_id="fix-region", max_lines=1)
            p.fix_year = gr.Textbox(label="年份", elem_id="fix-year", max_lines=1)
            p.fix_kind = gr.Dropdown(label="类型", choices=list(KINDS), allow_custom_value=True, elem_id="fix-kind")
        p.manage_note = gr.HTML(elem_id="manage-note")
        with gr.Row():
            p.save_fix = gr.Button("保存更正", size="sm", variant="primary", elem_id="save-fix")
            p.remove = gr.Button("删除这份报告", size="sm", variant="stop", elem_id="remove-report")
            p.replace_file = gr.UploadButton("上传新版本替换", size="sm", file_types=UPLOAD_TYPES, elem_id="replace-report")
        p.manage_status = gr.HTML(elem_id="manage-status")
