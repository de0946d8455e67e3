"""The report viewer's page: the quote marked at its offsets, the section tree, hostile text inert, its route."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from rag.app.ui_viewer import add_viewer_route, headings, quote_span, report_page, viewer_link
from rag.types import Report

TEXT = """白云区2024年法治政府建设情况的报告

一、主要工作
（一）示范案件
白云区2024年共办理示范案件789件<script>window.__pwned=1</script><img src=x onerror="alert(1)">。
一是加强普法。全年开展普法活动36场。
二、存在不足
执法规范化水平有待提高。
"""


def report() -> Report:
    return Report("白云区 (2).txt", "/r/白云区 (2).txt", TEXT, ((0, len(TEXT)),), "白云区2024年法治政府建设情况的报告",
                  "白云区", 2024)  # fmt: skip


def test_the_quote_is_marked_at_its_offsets_inside_its_section_path():
    r = report()
    start = TEXT.index("全年开展普法活动36场")
    span = (start, start + len("全年开展普法活动36场。"))
    page, nonce = report_page(r, "法治政府建设情况报告", span)
    marks = re.findall(r'<mark class="cited"[^>]*data-start="(\d+)" data-end="(\d+)">([^<]*)</mark>', page)
    assert marks == [(str(span[0]), str(span[1]), "全年开展普法活动36场。")]
    assert [h.text for h in headings(r)][:3] == ["一、主要工作", "（一）示范案件", "一是加强普法"]
    here = re.findall(r'<li class="r\d here"><a href="#h\d+">([^<]*)</a>', page)
    assert here == ["一、主要工作", "（一）示范案件", "一是加强普法"], "the cited passage's section path"
    assert f'<script nonce="{nonce}">' in page and "引文位于原文第" in page


def test_hostile_report_text_is_escaped_and_only_the_pages_own_script_runs():
    page, nonce = report_page(report(), "法治政府建设情况报告", None)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page and "<img" not in page
    assert page.count("<script") == 1 and "mark" not in page.split("<main")[1].split("</main>")[0]


def test_a_span_outside_the_text_is_not_a_quote():
    r = report()
    assert quote_span(r, "3", "10") == (3, 10)
    for bad in (("10", "3"), ("-1", "4"), ("0", str(len(TEXT) + 1)), ("x", "4"), (None, "4")):
        assert quote_span(r, *bad) is None
    assert "不在这份报告的范围内" in report_page(r, "其他报告", None, bad_span=True)[0]


def test_the_link_carries_report_and_offsets_whatever_the_file_is_called():
    link = viewer_link("a&b/政府工作报告 (2).txt", 5, 9, "http://host:7860/")
    assert link.startswith("http://host:7860/report?") and " " not in link and "(" not in link
    assert parse_qs(urlparse(link).query) == {"doc": ["a&b/政府工作报告 (2).txt"], "start": ["5"], "end": ["9"]}
    assert viewer_link("a.txt") == "report?doc=a.txt"


def test_the_route_serves_the_page_with_its_policy_and_says_when_a_report_is_gone():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    r = report()
    app = FastAPI()
    add_viewer_route(app, lambda doc: r if doc == r.doc else None, lambda _: "法治政府建设情况报告", lambda _: True)
    client = TestClient(app)
    start = TEXT.index("789件")
    got = client.get(viewer_link(r.doc, start, start + 4, "/"))
    assert got.status_code == 200 and '<mark class="cited" id="cited"' in got.text and "已更正" in got.text
    policy = got.headers["content-security-policy"]
    assert "default-src 'none'" in policy and re.search(r"script-src 'nonce-[\w-]+'", policy)
    assert client.get("/report?doc=gone.txt").status_code == 404
    assert "不在这份报告的范围内" in client.get(viewer_link(r.doc, 5, 10**6, "/")).text
