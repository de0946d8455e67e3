"""What the chat UI shows, as pure functions of answers and indexes: Markdown for the chat, HTML for the rest.

Everything a report says is escaped before it reaches HTML or Markdown: hostile report text renders inert.
The comparison table is shown once, as HTML beside the chart (`comparison_html`), not in the chat bubble;
it and the reports table are `fit-table`s: quotes wrap, and below 600 px each row is a card (rag/app/theme.py).
A citation links to the report viewer (rag/app/ui_viewer.py) through `link(citation)`, given by the caller; the
question is echoed as a short excerpt only (`excerpt`), in the answer and in the chips.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from rag.answer.compose import figure as as_written  # 约600件, 2万余人次: the figure as the report writes it
from rag.app.charts import ACTUAL, chart_kind, left_out, row_mark
from rag.app.export import memo_text
from rag.question.content import NO_CONTENT
from rag.store.store import Index
from rag.types import RELATED, TABLE, Answer, Citation, Hit, Report, block_lines

CONTEXT_CHARS = 120  # text shown around a quote in its source card
RELATED_CHARS = 300  # text shown of a related (not answering) passage
EXCERPT_CHARS = 40  # of a long question, what is echoed back
CHIP_CHARS = 24  # of a chip's value (a misread metric can be the whole question)
NOT_FOUND, INPUT_PROBLEM = "【未找到】", "【请修改问题】"
EMPTY_ANSWERS = (NO_CONTENT, "请输入问题。")  # rag.answer.answer's replies to a question with nothing to look for

Link = Callable[[Citation], str]


def excerpt(text: str, chars: int = EXCERPT_CHARS) -> str:
    """`text` as echoed back: itself when short, else its opening and its length (“…（共 20000 字）”)."""
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= chars + 10 else f"{text[:chars]}…（共 {len(text)} 字）"


def input_problem(answer: Answer) -> bool:
    """True when the question itself is the problem (nothing to look for), not the reports."""
    return answer.mode == "not_found" and answer.answer.strip() in EMPTY_ANSWERS


def chat_markdown(answer: Answer, link: Link | None = None) -> str:
    """The answer's Markdown, safe for the Chatbot: report text is inert (no HTML, no Markdown syntax).

    The comparison's table is left out (it is shown once, beside its chart), and so is a not-found answer's
    list of related passages (the sources panel shows them, headings-only ones dropped). With `link`, each
    [n] links to the cited passage in the report viewer.
    """
    body = _bubble_text(answer)
    inert = {excerpt(answer.question)}
    for c in answer.citations:
        inert |= {c.quote, c.title, *map(clean_heading, c.section)}
    for h in answer.related:
        inert |= {h.chunk.title, *map(clean_heading, h.chunk.section)}
    inert = sorted((s for s in inert if s), key=len, reverse=True)
    parts = re.split("(" + "|".join(map(re.escape, inert)) + ")", body) if inert else [body]
    # odd parts are report (or user) text; even parts are the Markdown that rag.answer.answer wrote around them
    cited = {c.n: c for c in answer.citations}
    text = "".join(_inert_markdown(p) if i % 2 else _linked(_escape_angle(p), cited, link) for i, p in enumerate(parts))
    if input_problem(answer):
        return f"**{INPUT_PROBLEM}** {text}"
    return f"**{NOT_FOUND}** {text}" if answer.mode == "not_found" else text


def refusal_markdown(reason: str) -> str:
    """A question refused before it is asked (too long …): an input problem, in one line."""
    return f"**{INPUT_PROBLEM}** {_escape_angle(reason)}"


def _linked(markdown: str, cited: dict[int, Citation], link: Link | None) -> str:
    """[n] as a link to the cited passage (rag.answer.answer's Markdown only: never inside report text)."""
    if link is None or not cited:
        return markdown

    def one(m: re.Match) -> str:
        c = cited.get(int(m.group(1)))
        return f"[\\[{c.n}\\]]({link(c)})" if c is not None else m.group(0)

    return re.sub(r"\[(\d+)\](?!\()", one, markdown)


def _bubble_text(answer: Answer) -> str:
    """The answer's blocks for the bubble: the table as a pointer to it, a not-found answer's related passages
    as their count (both are shown in their own panels)."""
    parts, table = [], False
    for kind, block in answer.blocks:
        if kind == TABLE:
            if not table:
                drawn = "对比表和图" if chart_kind(answer) else "对比表"
                parts.append(f"（{len(answer.rows)} 个数字的{drawn}见「数字对比」：[点此查看](#numbers)）")
                table = True
            continue
        if answer.mode == "not_found" and kind == RELATED:
            shown = [h for h in answer.related if not heading_only(h.chunk)]
            if shown:
                parts.append(f"相关但不能回答的 {len(shown)} 个段落见「引用来源」。")
            break
        parts += block_lines(block)
    text = "\n".join(parts).rstrip()
    if len(answer.question) > EXCERPT_CHARS + 10:  # never the whole of a long question
        text = text.replace(answer.question, excerpt(answer.question))
    for c in answer.citations:  # the source list's section paths, without stray punctuation
        for heading in c.section:
            if clean_heading(heading) != heading:
                text = text.replace(heading, clean_heading(heading))
    return text


def clean_heading(heading: str) -> str:
    """A heading as cited: without the stray punctuation a lost numeral leaves (、2024年度主要工作安排)."""
    return heading.strip().lstrip("、，,.。；;：:")


def heading_only(chunk) -> bool:
    """True for a passage that says nothing but its headings (or a signature line): not worth a card."""
    headings = {clean_heading(h) for h in chunk.section}
    rest = [line for line in map(clean_heading, chunk.text.splitlines()) if line and line not in headings]
    text = "".join(rest)
    return len(text) < 20 and not re.search(r"[。；！？，,;!?]", text)


def reading_html(query) -> str:
    """How the last question was read, as chips (指标 / 地区 / 年份 / 范围): a misreading is visible."""
    if query is None:
        return '<div class="reading empty"></div>'
    chips = query.reading_parts()
    follow = '<span class="chip follow">追问</span>' if query.followup else ""
    return '<div class="reading">' + follow + "".join(
        f'<span class="chip"><b>{html.escape(k)}</b>{html.escape(excerpt(v, CHIP_CHARS))}</span>' for k, v in chips) + "</div>"


def user_markdown(question: str, limit: int = 500) -> str:
    """The user's bubble: the question as typed, inert; one longer than `limit` (refused) as a short excerpt."""
    return _inert_markdown(question if len(question) <= limit else excerpt(question))


def sources_html(index: Index | None, answer: Answer | None, link: Link | None = None) -> str:
    """The sources panel: one card per citation (quote marked inside its context), or the related passages."""
    if answer is None:
        return '<div class="empty">提问后，这里显示答案引用的原文出处，可一键复制引用，或打开报告原文。</div>'
    out = []
    if input_problem(answer):
        return '<div class="empty">请修改问题后再问：问题里没有可以查找的内容。</div>'
    if answer.mode == "not_found":
        out.append(
            '<div class="not-found-block"><span class="badge not-found">未找到</span> '
            "报告中没有能回答这个问题的原文。</div>"
        )
        related = [h for h in answer.related if not heading_only(h.chunk)]
        if related:
            out.append("<p><b>相关但不回答</b>（仅供参考，不是答案）：</p>")
            out += [_related_card(h, link) for h in related]
    reports = index.reports if index is not None else {}
    out += [_citation_card(c, reports.get(c.doc), link) for c in answer.citations]
    return "\n".join(out)


def reports_html(index: Index | None, kind: Callable[[Report], str] | None = None,
                 link: Callable[[Report], str] | None = None, fixed: Callable[[Report], bool] | None = None) -> str:
    """The indexed reports as a table of titles (cards on a phone), each a link to its text with `link`;
    `kind(report)` gives the 类型 column, `fixed(report)` marks a corrected one. Years never break."""
    if index is None or not index.reports:
        return '<div class="empty">还没有索引任何报告。</div>'
    e = html.escape
    rows = []
    for r in sorted(index.reports.values(), key=lambda r: (r.region, r.year or 0, r.title)):
        title = f'<a class="viewer-link" href="{e(link(r))}">{e(r.title)}</a>' if link else e(r.title)
        mark = '<span class="tag">已更正</span>' if fixed and fixed(r) else ""
        rows.append([(title, "title", mark, True), (r.region or "地区未知", "region"), (str(r.year or ""), "year")]
                    + ([(kind(r), "kind")] if kind else []))  # fmt: skip
    headers = ["标题", "地区", "年份"] + (["类型"] if kind else [])
    table = _fit_table(headers, rows, f"已索引的报告（{len(rows)} 份，点击标题阅读原文）")
    return f'<div class="reports-scroll">{table}</div>'


def comparison_html(answer: Answer | None) -> str:
    """The comparison table, once: region, year, metric, figure and the quote (wrapped, never cut)."""
    if answer is None or not answer.rows:
        return ""
    rows = []
    for r in answer.rows:
        mark = row_mark(r, answer.query)
        tag = f'<span class="tag">{mark}</span>' if mark != ACTUAL else ""
        rows.append([(r.region, "region"), (str(r.year or ""), "year"), (r.metric, "metric"),
                     (as_written(r), "value", tag), (f"“{r.citation.quote}”[{r.citation.n}]", "quote")])  # fmt: skip
    return _fit_table(["地区", "年份", "指标", "数值", "原文"], rows, f"对比表（{len(rows)} 行）")


def chart_note_html(answer: Answer | None) -> str:
    """What the chart leaves out and why: regions that only report a change."""
    names = left_out(answer) if answer is not None else []
    if not names:
        return ""
    return f'<div class="note">{html.escape("、".join(names))}只报告了同比变化，未绘入图中（见引用来源）。</div>'


def memo_with_links(answer: Answer, link: Link | None = None) -> str:
    """The whole answer as memo text (rag.app.export.memo_text), each citation followed by its viewer link."""
    text = memo_text(answer)
    if link is None:
        return text
    for c in answer.citations:
        line = f"[{c.n}] {c.memo}"
        text = text.replace(line, f"{line}\n    原文：{link(c)}", 1)
    return text


def copy_all_html(answer: Answer | None, link: Link | None = None) -> str:
    """复制整段: the whole answer with its memo citations, copied at a click (the text is shown folded)."""
    if answer is None or input_problem(answer):
        return ""
    text = html.escape(memo_with_links(answer, link))
    return (f'<button class="copy-memo copy-all" type="button" data-memo="{text}">复制整段</button>'
            f'<details><summary>查看整段文字</summary><div class="memo">{text}</div></details>')


def _fit_table(headers: list[str], rows: list[list[tuple]], caption: str) -> str:
    """A table whose cells wrap; each cell carries its header (`data-label`) for the card layout."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    # a cell is (text, css class[, trusted HTML after it[, True: the text is HTML already escaped]])
    body = "".join(
        "<tr>" + "".join(
            f'<td class="{cell[1]}" data-label="{e(h)}">{cell[0] if len(cell) > 3 else e(cell[0])}'
            f'{cell[2] if len(cell) > 2 else ""}</td>'
            for h, cell in zip(headers, row, strict=True)) + "</tr>"
        for row in rows
    )  # fmt: skip
    return (f'<table class="fit-table"><caption>{e(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _citation_card(c: Citation, report: Report | None, link: Link | None = None) -> str:
    before, after = _context(report, c.start, c.end) if report is not None else ("", "")
    e = html.escape
    title = f"[{c.n}] 《{e(c.title)}》"
    opened = (f'<a class="viewer-link open-report" href="{e(link(c))}">在报告中查看</a>'
              if link is not None and report is not None else "")  # fmt: skip
    return (
        f'<div class="card citation" data-doc="{e(c.doc)}" data-region="{e(c.region)}" data-n="{c.n}">'
        f'<div class="card-title">{title}</div>'
        f'<div class="meta">{e(c.region or "地区未知")} · {_year(c.year)}</div>'
        f'<div class="section">{e(" > ".join(map(clean_heading, c.section))) or "（正文）"}</div>'
        f'<div class="context">{e(before)}<mark>{e(c.quote)}</mark>{e(after)}</div>'
        f'<div class="actions"><button class="copy-memo" type="button" data-memo="{e(c.memo)}">复制引用</button>{opened}</div>'
        f'<div class="memo">{e(c.memo)}</div></div>'
    )


def _related_card(h: Hit, link: Link | None = None) -> str:
    c, e = h.chunk, html.escape
    opened = ""
    if link is not None:
        at = Citation(0, c.doc, c.title, c.region, c.year, c.section, c.text, c.start, c.end)
        opened = f'<div class="actions"><a class="viewer-link open-report" href="{e(link(at))}">在报告中查看</a></div>'
    return (
        f'<div class="card related" data-doc="{e(c.doc)}" data-region="{e(c.region)}">'
        f'<span class="badge related-label">相关但不回答</span>'
        f'<div class="card-title">《{e(c.title)}》</div>'
        f'<div class="meta">{e(c.region or "地区未知")} · {_year(c.year)}</div>'
        f'<div class="section">{e(" > ".join(map(clean_heading, c.section))) or "（正文）"}</div>'
        f'<div class="context">{e(c.text[:RELATED_CHARS])}{"…" if len(c.text) > RELATED_CHARS else ""}</div>{opened}</div>'
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
