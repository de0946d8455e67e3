"""The report viewer: one report's text at `report?doc=…&start=…&end=…`, at the cited passage, the quote marked.

A plain page served by the chat's own server (`add_viewer_route`), so its address is a link to share, to paste
into a memo and to put in the exports; the chat opens it in a dialog. It shows the report's title, region, year
and kind, its section tree (the numbered headings, rag/documents/sections.py's `heading_of`) and its text, with
`text[start:end]` marked and scrolled to. Everything the report says is escaped, and the page forbids any
script but its own (Content-Security-Policy with a nonce), so hostile report text stays inert. With `--auth`
the page asks for the same login as the chat.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from rag.documents.sections import heading_of
from rag.types import Report

VIEWER_PATH = "report"


@dataclass(frozen=True)
class Heading:
    rank: int  # 1 for 一、, 2 for （一）…
    text: str
    start: int  # offset of its line in the report's text


def viewer_link(doc: str, start: int | None = None, end: int | None = None, base: str = "") -> str:
    """The viewer's address for `doc` (at text[start:end] when given); relative unless `base` is the site's."""
    params: dict[str, object] = {"doc": doc}
    if start is not None and end is not None:
        params |= {"start": start, "end": end}
    return f"{base}{VIEWER_PATH}?{urlencode(params, quote_via=quote)}"


def lines(report: Report) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line of the report's body (web litter outside it is not shown)."""
    out = []
    for lo, hi in report.body or ((0, len(report.text)),):
        at = lo
        for line in report.text[lo:hi].split("\n"):
            if line.strip():
                out.append((at, at + len(line)))
            at += len(line) + 1
    return out


def headings(report: Report) -> list[Heading]:
    """The report's numbered headings, in order: its section tree."""
    out = []
    for s, e in lines(report):
        found = heading_of(report.text[s:e])
        if found is not None:
            out.append(Heading(found[0], found[1], s))
    return out


def quote_span(report: Report, start, end) -> tuple[int, int] | None:
    """(start, end) as integers inside the report's text, or None when they do not name a passage of it."""
    try:
        start, end = int(start), int(end)
    except (TypeError, ValueError):
        return None
    return (start, end) if 0 <= start < end <= len(report.text) else None


def report_page(report: Report, kind: str, span: tuple[int, int] | None, fixed: bool = False,
                bad_span: bool = False) -> tuple[str, str]:
    """(the viewer page for `report` with `span` marked, the nonce its script runs under)."""
    e, nonce = html.escape, secrets.token_urlsafe(12)
    tree = headings(report)
    here = _path_to(tree, span[0]) if span else set()
    toc = "".join(
        f'<li class="r{h.rank}{" here" if h.start in here else ""}"><a href="#h{h.start}">{e(h.text)}</a></li>'
        for h in tree
    )
    at = {h.start: h for h in tree}
    body = "\n".join(_line_html(report.text, s, t, span, at.get(s)) for s, t in lines(report))
    year = f"{report.year}年" if report.year else "年份未知"
    note = ""
    if span:
        note = (f'<p class="cited-note">引文位于原文第 {span[0]}–{span[1]} 字，已标黄。'
                f'<a href="#cited">跳到引文</a></p>')  # fmt: skip
    elif bad_span:
        note = '<p class="cited-note bad">链接中的引文位置不在这份报告的范围内（报告可能已更新），下面是报告全文。</p>'
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(report.title)} · 报告原文</title><style>{VIEWER_CSS}</style></head>
<body><header>
<h1>{e(report.title)}</h1>
<p class="meta"><span class="region">{e(report.region or "地区未知")}</span> · <span class="year">{year}</span>
 · <span class="kind">{e(kind)}</span>{' <span class="fixed">已更正</span>' if fixed else ""}
 · <span class="doc">文件：{e(report.doc)}</span></p>
{note}<p class="share"><button type="button" id="copy-link">复制本页链接</button> <span id="copied"></span></p>
</header>
<div class="layout"><details class="toc" id="toc"><summary>目录（{len(tree)} 节）</summary><ol>{toc}</ol></details>
<main id="text">{body}</main></div>
<script nonce="{nonce}">{VIEWER_JS}</script></body></html>"""
    return page, nonce


def missing_page(doc: str) -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>没有这份报告</title>'
            f"<style>{VIEWER_CSS}</style></head><body><header><h1>没有这份报告</h1>"
            f"<p>索引中没有名为 {html.escape(doc)} 的报告：它可能已被删除或替换。请回到对话重新提问。</p>"
            "</header></body></html>")  # fmt: skip


def _path_to(tree: list[Heading], offset: int) -> set[int]:
    """The starts of the headings whose sections hold `offset`: the cited passage's section path."""
    path: list[Heading] = []
    for h in tree:
        if h.start > offset:
            break
        path = [p for p in path if p.rank < h.rank] + [h]
    return {h.start for h in path}


def _line_html(text: str, s: int, t: int, span: tuple[int, int] | None, heading: Heading | None) -> str:
    """One line of the report as HTML: escaped, with the part of `span` on it marked."""
    e = html.escape
    if span and span[0] < t and s < span[1]:
        a, b = max(s, span[0]), min(t, span[1])
        first = ' id="cited"' if a == span[0] else ""
        inner = (f"{e(text[s:a])}<mark class=\"cited\"{first} data-start=\"{a}\" data-end=\"{b}\">{e(text[a:b])}</mark>"
                 f"{e(text[b:t])}")  # fmt: skip
    else:
        inner = e(text[s:t])
    if heading is not None and len(text[s:t].strip()) <= len(heading.text) + 2:  # a heading line
        level = min(heading.rank + 1, 5)
        return f'<h{level} id="h{s}" class="heading" data-start="{s}">{inner}</h{level}>'
    anchor = f' id="h{s}"' if heading is not None else ""  # a paragraph opening with 一是…
    return f'<p{anchor} data-start="{s}">{inner}</p>'


def add_viewer_route(app, report_of: Callable[[str], Report | None], kind_of: Callable[[Report], str],
                     fixed: Callable[[Report], bool]) -> None:
    """Serve the viewer at /report on the chat's FastAPI app (`launch` returns it); `report_of(doc)` looks a
    report up in the index being served."""

    def viewer(request: Request, doc: str = "", start: str | None = None, end: str | None = None):
        if not _logged_in(app, request):
            return RedirectResponse(url="./", status_code=303)
        report = report_of(doc) if doc else None
        if report is None:
            return HTMLResponse(missing_page(doc), status_code=404, headers=_headers(""))
        span = quote_span(report, start, end) if start is not None or end is not None else None
        page, nonce = report_page(report, kind_of(report), span, fixed(report),
                                  bad_span=span is None and start is not None)  # fmt: skip
        return HTMLResponse(page, headers=_headers(nonce))

    app.add_api_route(f"/{VIEWER_PATH}", viewer, methods=["GET"], response_class=HTMLResponse)


def _headers(nonce: str) -> dict[str, str]:
    script = f"script-src 'nonce-{nonce}'" if nonce else "script-src 'none'"
    return {"Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; {script}; base-uri 'none'; "
                                       "form-action 'none'; frame-ancestors 'self'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}  # fmt: skip


def _logged_in(app, request) -> bool:
    """Gradio's own login check (gradio/routes.py `login_check`): no auth configured, or a valid session cookie."""
    if getattr(app, "auth", None) is None and getattr(app, "auth_dependency", None) is None:
        return True
    if app.auth_dependency is not None:
        return app.auth_dependency(request) is not None
    token = request.cookies.get(f"access-token-{app.cookie_id}") or request.cookies.get(
        f"access-token-unsecure-{app.cookie_id}")
    return app.tokens.get(token) is not None


VIEWER_CSS = """
body { margin: 0; font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif;
  color: #1f2937; background: #fff; line-height: 1.8; }
header { padding: 16px 20px 8px; border-bottom: 1px solid #e5e7eb; }
h1 { font-size: 1.3em; margin: 0 0 4px; line-height: 1.4; }
.meta { color: #4b5563; margin: 0; font-size: 0.9em; }
.meta .fixed { background: #fef3c7; color: #92400e; border-radius: 999px; padding: 0 8px; }
.cited-note { margin: 6px 0 0; font-size: 0.9em; color: #92400e; }
.cited-note.bad { color: #b91c1c; }
.share { margin: 6px 0 0; font-size: 0.85em; color: #4b5563; }
.share button { font: inherit; padding: 2px 10px; border: 1px solid #d1d5db; border-radius: 6px; background: #fff; cursor: pointer; }
.layout { display: grid; grid-template-columns: minmax(200px, 280px) 1fr; gap: 0 24px; padding: 0 20px 40px; }
.toc { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow-y: auto; font-size: 0.85em; padding-top: 12px; }
.toc ol { list-style: none; padding: 0; margin: 6px 0; }
.toc li { margin: 2px 0; } .toc li.r2 { padding-left: 1em; } .toc li.r3 { padding-left: 2em; } .toc li.r4 { padding-left: 3em; }
.toc li.here > a { font-weight: 700; color: #92400e; }
.toc a { color: #374151; text-decoration: none; } .toc a:hover { text-decoration: underline; }
main { max-width: 46em; padding-top: 8px; }
main p { margin: 0 0 0.8em; text-indent: 2em; white-space: pre-wrap; word-break: break-word; }
main .heading { font-size: 1.05em; margin: 1.2em 0 0.5em; scroll-margin-top: 8px; }
mark.cited { background: #fde68a; padding: 1px 0; box-shadow: 0 0 0 2px #f59e0b; border-radius: 2px; }
@media (max-width: 700px) {
  .layout { display: block; padding: 0 14px 32px; } header { padding: 12px 14px 6px; }
  .toc { position: static; max-height: 40vh; border-bottom: 1px solid #e5e7eb; }
}
"""
# Open the table of contents on a wide screen, scroll the page (only this frame) to the quote, copy the link.
VIEWER_JS = """
(() => {
  const toc = document.getElementById("toc");
  if (toc && window.innerWidth > 700) toc.open = true;
  const mark = document.getElementById("cited");
  const show = () => { if (mark) window.scrollTo(0, mark.getBoundingClientRect().top + window.scrollY - window.innerHeight / 3); };
  show();
  document.querySelectorAll('a[href="#cited"]').forEach((a) => a.addEventListener("click", (ev) => { ev.preventDefault(); show(); }));
  const button = document.getElementById("copy-link");
  button.addEventListener("click", () => {
    const said = document.getElementById("copied");
    const url = window.location.href;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(() => { said.textContent = "已复制"; }, () => { said.textContent = url; });
    } else { said.textContent = url; }
  });
})();
"""
