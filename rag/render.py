"""What the chat UI shows, as pure functions of answers and indexes: Markdown for the chat, HTML for the sources.

Everything a report says is escaped before it reaches HTML or Markdown: hostile report text renders inert.
"""

from __future__ import annotations

import html
import re

from rag.store import Index
from rag.types import Answer, Citation, Hit, Report

CONTEXT_CHARS = 120  # text shown around a quote in its source card
RELATED_CHARS = 300  # text shown of a related (not answering) passage


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
