"""What the chat UI shows, as pure functions of answers and indexes: Markdown for the chat, HTML for the rest.

Everything a report says is escaped before it reaches HTML or Markdown: hostile report text renders inert.
The comparison table is shown once, as HTML beside the chart (`comparison_html`), not in the chat bubble;
it and the reports table are `fit-table`s: quotes wrap, and below 600 px each row is a card (rag/theme.py).
"""

from __future__ import annotations

import html
import re

from rag.charts import ACTUAL, chart_kind, left_out, row_mark
from rag.store import Index
from rag.types import Answer, Citation, Hit, Report

CONTEXT_CHARS = 120  # text shown around a quote in its source card
RELATED_CHARS = 300  # text shown of a related (not answering) passage


def chat_markdown(answer: Answer) -> str:
    """The answer's Markdown, safe for the Chatbot: report text is inert (no HTML, no Markdown syntax).

    The comparison's table is left out (it is shown once, beside its chart), and so is a not-found answer's
    list of related passages (the sources panel shows them, headings-only ones dropped).
    """
    body = _bubble_text(answer)
    inert = {answer.question}
    for c in answer.citations:
        inert |= {c.quote, c.title, *map(clean_heading, c.section)}
    for h in answer.related:
        inert |= {h.chunk.title, *map(clean_heading, h.chunk.section)}
    inert = sorted((s for s in inert if s), key=len, reverse=True)
    parts = re.split("(" + "|".join(map(re.escape, inert)) + ")", body) if inert else [body]
    # odd parts are report (or user) text; even parts are the Markdown that rag.answer wrote around them
    text = "".join(_inert_markdown(p) if i % 2 else _escape_angle(p) for i, p in enumerate(parts))
    return f"**【未找到】** {text}" if answer.mode == "not_found" else text


def _bubble_text(answer: Answer) -> str:
    lines, table = [], False
    for line in answer.answer.splitlines():
        if line.startswith("|"):
            if not table:
                drawn = "对比表和图" if chart_kind(answer) else "对比表"
                lines.append(f"（{len(answer.rows)} 个数字的{drawn}见「数字对比」）")
                table = True
            continue
        if answer.mode == "not_found" and line.startswith("以下段落相关"):
            shown = [h for h in answer.related if not heading_only(h.chunk)]
            if shown:
                lines.append(f"相关但不能回答的 {len(shown)} 个段落见「引用来源」。")
            break
        lines.append(line)
    text = "\n".join(lines).rstrip()
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
        related = [h for h in answer.related if not heading_only(h.chunk)]
        if related:
            out.append("<p><b>相关但不回答</b>（仅供参考，不是答案）：</p>")
        out += [_related_card(h) for h in related]
    reports = index.reports if index is not None else {}
    out += [_citation_card(c, reports.get(c.doc)) for c in answer.citations]
    return "\n".join(out)


def reports_html(index: Index | None) -> str:
    """The indexed reports as a table (cards on a phone); years never break."""
    if index is None or not index.reports:
        return '<div class="empty">还没有索引任何报告。</div>'
    rows = [
        [(r.doc, "doc"), (r.title, "title"), (r.region, "region"), (str(r.year or ""), "year")]
        for r in sorted(index.reports.values(), key=lambda r: r.doc)
    ]
    table = _fit_table(["文件", "标题", "地区", "年份"], rows, f"已索引的报告（{len(rows)} 份）")
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
                     (_figure(r), "value", tag), (f"“{r.citation.quote}”[{r.citation.n}]", "quote")])  # fmt: skip
    return _fit_table(["地区", "年份", "指标", "数值", "原文"], rows, f"对比表（{len(rows)} 行）")


def chart_note_html(answer: Answer | None) -> str:
    """What the chart leaves out and why: regions that only report a change."""
    names = left_out(answer) if answer is not None else []
    if not names:
        return ""
    return f'<div class="note">{html.escape("、".join(names))}只报告了同比变化，未绘入图中（见引用来源）。</div>'


def copy_all_html(answer: Answer | None) -> str:
    """复制整段: the whole answer with its memo citations, copied at a click (the text is shown folded)."""
    if answer is None:
        return ""
    from rag.export import memo_text

    text = html.escape(memo_text(answer))
    return (f'<button class="copy-memo copy-all" type="button" data-memo="{text}">复制整段</button>'
            f'<details><summary>查看整段文字</summary><div class="memo">{text}</div></details>')


def _fit_table(headers: list[str], rows: list[list[tuple]], caption: str) -> str:
    """A table whose cells wrap; each cell carries its header (`data-label`) for the card layout."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="{cell[1]}" data-label="{e(h)}">{e(cell[0])}{cell[2] if len(cell) > 2 else ""}</td>'
            for h, cell in zip(headers, row, strict=True)) + "</tr>"
        for row in rows
    )  # fmt: skip
    return (f'<table class="fit-table"><caption>{e(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _figure(row) -> str:
    from rag.answer import figure

    return figure(row)


def _citation_card(c: Citation, report: Report | None) -> str:
    before, after = _context(report, c.start, c.end) if report is not None else ("", "")
    e = html.escape
    return (
        f'<div class="card citation" data-doc="{e(c.doc)}" data-region="{e(c.region)}">'
        f'<div class="card-title">[{c.n}] 《{e(c.title)}》</div>'
        f'<div class="meta">{e(c.region or "地区未知")} · {_year(c.year)} · {e(c.doc)}</div>'
        f'<div class="section">{e(" > ".join(map(clean_heading, c.section))) or "（正文）"}</div>'
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
        f'<div class="section">{e(" > ".join(map(clean_heading, c.section))) or "（正文）"}</div>'
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
