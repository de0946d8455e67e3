"""The chat a reader trusts and returns to, in a real browser (issue 18): no lost or stuck questions, 停止, long
input refused at once, the report viewer at the cited passage, past turns' panels, conversations kept in the
browser, the answer's first line in view on a phone, reports corrected / replaced / removed through the UI,
and every visible word in Chinese. Screenshots at 1280 and 390 px go to tests/screenshots/.
"""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import pytest

pytest.register_assert_rewrite("ui_browser")
from ui_browser import (  # noqa: E402
    ANSWER_TIMEOUT_MS,
    NEW_REPORT,
    PHONE,
    WIDE,
    ask_chat,
    both_widths,
    free_port,
    open_app,
    shot,
    upload,
)

try:
    from playwright.sync_api import expect
except ImportError:
    expect = None

pytest_plugins = ["ui_browser"]
pytestmark = [pytest.mark.slow, pytest.mark.browser]

BOT, USER = '#chat [data-testid="bot"]', '#chat [data-testid="user"]'
WAITING = re.compile("排队中|正在查找答案")
MEDIATION, LEGAL_AID, COURT = "哪个区复议调解率最高？", "镜湖区2024年受理法律援助案件多少件？", "各区行政诉讼出庭应诉率分别是多少？"


# Where the first line of text in an element is drawn (viewport coordinates), and what it says.
FIRST_LINE_JS = """(el) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, (n) => n.textContent.trim() ? 1 : 3);
  const node = walker.nextNode(), range = document.createRange();
  range.selectNodeContents(node);
  const r = range.getClientRects()[0];
  return {text: node.textContent.trim(), top: r.top, bottom: r.bottom};
}"""


def slowed(monkeypatch, seconds: float, marker: str):
    """Questions containing `marker` take `seconds` longer to answer (the real answer, later)."""
    import rag.app.ui_answer

    real = rag.app.ui_answer.ask

    def slow(index, question, **kwargs):
        if marker in question:
            time.sleep(seconds)
        return real(index, question, **kwargs)

    monkeypatch.setattr(rag.app.ui_answer, "ask", slow)


def send(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")


def answered(page, count: int) -> list[str]:
    """The bot bubbles once there are `count` and none is still waiting."""
    bots = page.locator(BOT)
    expect(bots).to_have_count(count, timeout=ANSWER_TIMEOUT_MS)
    for i in range(count):
        expect(bots.nth(i)).not_to_have_text(WAITING, timeout=ANSWER_TIMEOUT_MS)
    return bots.all_inner_texts()


def test_two_questions_50_ms_apart_are_both_answered_in_order(page, monkeypatch):
    slowed(monkeypatch, 1.0, "复议调解率")  # the first answer takes a second longer: the others wait in view
    send(page, MEDIATION)
    page.wait_for_timeout(50)
    send(page, LEGAL_AID)
    expect(page.locator(BOT).nth(1)).to_contain_text("排队中")  # shown as queued, never dropped
    page.locator("#starters button", has_text="各区行政诉讼出庭应诉率").click()  # an example while one is pending
    expect(page.locator(BOT)).to_have_count(3)
    both_widths(page, "13_queued")
    bots = answered(page, 3)
    assert "50.6%" in bots[0] and "644件" in bots[1] and "66.7%" in bots[2], bots
    assert page.locator(USER).all_inner_texts() == [MEDIATION, LEGAL_AID, COURT]
    expect(page.locator("#stop")).to_be_disabled()
    both_widths(page, "14_queue_answered")


def test_stop_cancels_within_a_second_and_the_next_question_answers(page, monkeypatch):
    slowed(monkeypatch, 3.0, "复议调解率")
    send(page, MEDIATION)
    expect(page.locator(BOT).last).to_contain_text("正在查找答案")
    expect(page.locator("#stop")).to_be_enabled()
    started = time.monotonic()
    page.click("#stop")
    expect(page.locator(BOT).last).to_contain_text("已停止", timeout=1000)
    assert time.monotonic() - started < 1.0
    expect(page.locator("#stop")).to_be_disabled()
    both_widths(page, "15_stopped")
    send(page, LEGAL_AID)
    bots = answered(page, 2)
    assert "644件" in bots[1]
    page.wait_for_timeout(3000)  # the stopped answer comes back from its thread: it is dropped, never shown
    assert "已停止" in page.locator(BOT).first.inner_text() and "50.6%" not in page.inner_text("#chat")


def test_a_20000_character_question_is_refused_at_once_and_never_echoed_whole(page):
    question = ("请问镜湖区受理法律援助案件多少件" * 1300)[:20000]
    page.fill("#question textarea", question)
    started = time.monotonic()
    page.press("#question textarea", "Enter")
    expect(page.locator(BOT).last).to_contain_text("【请修改问题】", timeout=2000)
    assert time.monotonic() - started < 2.0
    bubble = page.locator(BOT).last.inner_text().strip()
    assert "问题过长（20000 字）" in bubble and "500 字以内" in bubble and "\n" not in bubble  # one line
    mine = page.locator(USER).last.inner_text()
    assert "共 20000 字" in mine and len(mine) < 80, mine
    assert len(page.inner_text("#chat")) < 1200 and page.locator("#reading .chip").count() == 0
    both_widths(page, "16_too_long")
    send(page, "😀😀😀")  # an input problem, labelled as one
    expect(page.locator(BOT).last).to_contain_text("【请修改问题】")
    assert "【未找到】" not in page.locator(BOT).last.inner_text()
    both_widths(page, "17_emoji_only")


def test_clicking_a_citation_opens_the_report_at_the_quote(page, browser, ui_index, tmp_path):
    from rag.answer.answer import ask
    from rag.store.store import load_index

    want = ask(load_index(ui_index), LEGAL_AID).citations[0]
    ask_chat(page, LEGAL_AID)
    page.locator(f'{BOT} a[href*="report?"]', has_text="[1]").first.click()
    dialog = page.locator("#viewer-dialog")
    expect(dialog).to_be_visible()
    frame = page.frame_locator("#viewer-dialog iframe")
    expect(frame.locator("h1")).to_have_text(want.title)
    expect(frame.locator(".meta")).to_contain_text("镜湖区")
    expect(frame.locator(".meta")).to_contain_text("2024年")
    marks = frame.locator("mark.cited")
    expect(marks.first).to_be_visible()
    assert "".join(marks.all_inner_texts()) == want.quote
    assert int(marks.first.get_attribute("data-start")) == want.start and int(marks.last.get_attribute("data-end")) == want.end
    assert frame.locator(".toc li").count() > 3 and frame.locator(".toc li.here").count() >= 1  # its section tree
    box, view = marks.first.bounding_box(), page.locator("#viewer-dialog iframe").bounding_box()
    assert view["y"] <= box["y"] <= view["y"] + view["height"] - box["height"], "scrolled to the quote"
    both_widths(page, "18_viewer")
    link = dialog.locator(".viewer-tab").get_attribute("href")
    assert f"start={want.start}" in link and f"end={want.end}" in link
    other = browser.new_context(viewport={"width": PHONE, "height": 844}, locale="zh-CN")  # the link, shared
    try:
        shared = other.new_page()
        shared.goto(link)
        assert "".join(shared.locator("mark.cited").all_inner_texts()) == want.quote
        shot(shared, "18_viewer_shared_link_390.png")
    finally:
        other.close()
    dialog.locator(".viewer-close").click()
    with page.expect_download() as info:  # the Word export links each citation to the viewer
        page.click("#export-docx")
    path = tmp_path / "chat.docx"
    info.value.save_as(path)
    rels = zipfile.ZipFile(path).read("word/_rels/document.xml.rels").decode()
    assert f"report?doc={want.doc}&amp;start={want.start}&amp;end={want.end}" in rels
    assert f"start={want.start}" in page.locator("#copy-all button.copy-all").get_attribute("data-memo")
    page.locator("#sources a.open-report").first.click()  # a source opens it too
    expect(frame.locator("mark.cited").first).to_be_visible()
    dialog.locator(".viewer-close").click()
    page.locator("#reports a.viewer-link", has_text="红谷滩区").click()  # and a report in the list
    expect(frame.locator("h1")).to_contain_text("红谷滩区")
    assert frame.locator("mark.cited").count() == 0


def test_a_past_answer_shows_its_own_sources_table_and_chart_again(page):
    ask_chat(page, COURT)
    page.locator("#chart .js-plotly-plot").wait_for(timeout=ANSWER_TIMEOUT_MS)
    send(page, LEGAL_AID)
    answered(page, 2)
    expect(page.locator("#numbers")).to_be_hidden()
    expect(page.locator("#sources")).to_contain_text("644件")
    page.locator(BOT).first.click(position={"x": 12, "y": 12})
    expect(page.locator("#turn-label")).to_contain_text("第 1 问")
    expect(page.locator("#rows tbody tr")).to_have_count(4)
    expect(page.locator("#chart .js-plotly-plot .bars .point")).to_have_count(4)
    expect(page.locator("#sources")).to_contain_text("出庭应诉率")
    both_widths(page, "19_past_turn")
    page.locator(BOT).last.click(position={"x": 12, "y": 12})
    expect(page.locator("#turn-label")).to_contain_text("第 2 问")
    expect(page.locator("#numbers")).to_be_hidden()
    expect(page.locator("#sources")).to_contain_text("644件")


def test_conversations_are_kept_in_the_browser_and_a_reload_restores_them(browser, app_url):
    context, page = open_app(browser, app_url)
    try:
        ask_chat(page, MEDIATION)
        page.click("#header .open-conversations")
        items = page.locator("#conversations .conv-item")
        expect(items).to_have_count(1)
        expect(items.first).to_contain_text(MEDIATION)
        page.reload()
        page.wait_for_selector("#reports table", timeout=30_000)
        expect(page.locator(BOT).first).to_contain_text("50.6%")  # the open conversation comes back …
        page.click("#header .open-conversations")
        expect(items).to_have_count(1)  # … and so does the list
        send(page, "那鹿城区呢？")  # a follow-up of the reopened conversation still reads its history
        expect(page.locator("#reading")).to_contain_text("鹿城区", timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator("#reading .chip.follow")).to_have_count(1)
        page.click("#conversations .conv-new")
        expect(page.locator(BOT)).to_have_count(0)
        ask_chat(page, LEGAL_AID)
        page.click("#header .open-conversations")
        expect(items).to_have_count(2)
        items.filter(has_text=MEDIATION).locator(".conv-rename").click()
        page.fill("#conversations .conv-name", "复议调解率的比较")
        page.press("#conversations .conv-name", "Enter")
        expect(page.locator("#conversations")).to_contain_text("复议调解率的比较")
        both_widths(page, "20_conversations")
        page.reload()
        page.wait_for_selector("#reports table", timeout=30_000)
        page.click("#header .open-conversations")
        expect(items).to_have_count(2)
        expect(page.locator("#conversations")).to_contain_text("复议调解率的比较")
        items.filter(has_text="复议调解率的比较").locator(".conv-open").click()
        expect(page.locator(USER).first).to_have_text(MEDIATION)
        page.locator(BOT).first.click(position={"x": 12, "y": 12})  # a reopened turn's panels, rendered again
        expect(page.locator("#sources")).to_contain_text("50.6%")
        delete = items.filter(has_text=LEGAL_AID).locator(".conv-delete")
        delete.click()
        delete.click()  # 确认删除
        expect(items).to_have_count(1)
        page.reload()
        page.wait_for_selector("#reports table", timeout=30_000)
        page.click("#header .open-conversations")
        expect(items).to_have_count(1)
    finally:
        context.close()


def test_on_a_phone_the_answer_opens_at_its_first_line(browser, app_url):
    context, page = open_app(browser, app_url, PHONE)
    try:
        ask_chat(page, LEGAL_AID)
        send(page, COURT)
        answered(page, 2)
        page.wait_for_timeout(600)
        line = page.locator(BOT).last.evaluate(FIRST_LINE_JS)
        chat = page.locator("#chat").bounding_box()
        assert line["text"].startswith("各地行政诉讼出庭应诉率"), line
        assert 0 <= line["top"] and line["bottom"] <= 844, line  # the answer's first line is in the viewport …
        assert line["top"] >= chat["y"], (line, chat)  # … and in the chat's view, not scrolled past
        page.screenshot(path=str(Path(__file__).parents[1] / "screenshots" / "21_phone_answer_390.png"))
        page.locator(f'{BOT} a[href="#numbers"]').last.click()  # the chart and table: one tap away
        page.wait_for_timeout(800)
        numbers = page.locator("#numbers").bounding_box()
        assert -2 <= numbers["y"] < 844, numbers  # scrolled to its top
        page.screenshot(path=str(Path(__file__).parents[1] / "screenshots" / "22_phone_numbers_390.png"))
    finally:
        context.close()


@pytest.fixture
def private_app(index_copy):
    """An app of its own over a private copy of the seeds index: its reports may be corrected and removed."""
    from rag.app.ui import build_app, launch

    app = build_app(index_copy)
    _, url, _ = launch(app, port=free_port(), block=False)
    yield url, index_copy
    app.close()


def pick(page, name: str) -> None:
    page.click("#manage-doc input")
    page.get_by_role("option", name=re.compile(name)).click()


def test_a_report_is_corrected_replaced_and_removed_through_the_ui(browser, private_app, tmp_path):
    url, index = private_app
    context, page = open_app(browser, url)
    page.on("dialog", lambda d: d.accept())  # 删除 asks first
    try:
        ask_chat(page, "镜湖区受理法律援助案件多少件？")
        expect(page.locator(BOT).last).to_contain_text("镜湖区 2024年")
        page.click("#manage > button.label-wrap")
        pick(page, "镜湖区人民政府关于2024年")
        expect(page.locator("#fix-year input")).to_have_value("2024")
        expect(page.locator("#fix-region input")).to_have_value("镜湖区")
        page.fill("#fix-year input", "2023")
        page.click("#save-fix")
        expect(page.locator("#manage-status")).to_contain_text("已更正")
        assert "004_b09f2e2d8cdb3710.txt,,2023," in (index / "reports.csv").read_text(encoding="utf-8")
        expect(page.locator("#reports tr", has_text="镜湖区人民政府")).to_contain_text("2023")
        expect(page.locator("#reports tr", has_text="镜湖区人民政府")).to_contain_text("已更正")
        send(page, "镜湖区受理法律援助案件多少件？")
        expect(page.locator(BOT).last).to_contain_text("镜湖区 2023年", timeout=ANSWER_TIMEOUT_MS)
        both_widths(page, "23_report_corrected")

        report = tmp_path / "v1" / "青山区2024年报告.txt"
        report.parent.mkdir()
        report.write_text(NEW_REPORT, encoding="utf-8")
        assert "新增 1 份" in upload(page, report)
        newer = tmp_path / "v2" / "青山区2024年报告.txt"
        newer.parent.mkdir()
        newer.write_text(NEW_REPORT.replace("4321", "5555"), encoding="utf-8")
        pick(page, "青山区")
        with page.expect_file_chooser() as chooser:
            page.click("#replace-report")
        chooser.value.set_files(str(newer))
        expect(page.locator("#manage-status")).to_contain_text("更新 1 份", timeout=ANSWER_TIMEOUT_MS)
        send(page, "青山区2024年共办理测试案件多少件？")
        expect(page.locator(BOT).last).to_contain_text("5555", timeout=ANSWER_TIMEOUT_MS)
        assert "4321" not in page.locator(BOT).last.inner_text()
        both_widths(page, "24_report_replaced")

        pick(page, "青山区")
        page.click("#remove-report")
        expect(page.locator("#manage-status")).to_contain_text("已删除")
        expect(page.locator("#reports tbody tr")).to_have_count(5)
        send(page, "青山区2024年共办理测试案件多少件？")
        expect(page.locator(BOT)).to_have_count(4, timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator(BOT).last).not_to_have_text(WAITING, timeout=ANSWER_TIMEOUT_MS)
        assert "5555" not in page.locator(BOT).last.inner_text()
        both_widths(page, "25_report_removed")
    finally:
        context.close()


def test_gradio_and_plotly_speak_chinese_in_an_english_browser(browser, app_url):
    context, page = open_app(browser, app_url, WIDE, locale="en-US")
    try:
        expect(page.locator("#upload")).to_contain_text("拖放")  # Gradio's upload box
        ask_chat(page, COURT)
        chart = page.locator("#chart .js-plotly-plot")
        chart.wait_for(timeout=ANSWER_TIMEOUT_MS)
        chart.hover()
        titles = page.locator("#chart .modebar-btn").evaluate_all("bs => bs.map(b => b.getAttribute('data-title'))")
        assert titles and all(re.search(r"[\u4e00-\u9fff]", t) for t in titles), titles
        tips = page.locator("#chat button").evaluate_all("bs => bs.map(b => b.title || b.getAttribute('aria-label') || '')")
        assert not [t for t in tips if re.fullmatch(r"[A-Za-z ]+", t)], tips
        body = page.inner_text("body")
        assert "processing" not in body and "Drop File" not in body and "Click to Upload" not in body
        first = page.locator(BOT).first.bounding_box()  # the chat's icons sit clear of the first bubble
        for button in page.locator("#chat button").all():
            b = button.bounding_box()
            if b and button.is_visible() and not button.evaluate("el => !!el.closest('[data-testid=bot], .message')"):
                assert b["y"] + b["height"] <= first["y"] or b["y"] >= first["y"] + first["height"] or \
                    b["x"] >= first["x"] + first["width"] or b["x"] + b["width"] <= first["x"], (b, first)
        both_widths(page, "26_english_browser")
    finally:
        context.close()


def test_the_viewer_asks_for_the_login_like_the_chat(index_copy):
    import httpx

    from rag.app.ui import build_app, launch

    app = build_app(index_copy, warm=False)
    _, url, _ = launch(app, port=free_port(), auth=("reader", "secret"), block=False)
    try:
        assert httpx.get(f"{url}report?doc=004_b09f2e2d8cdb3710.txt", follow_redirects=False).status_code == 303
        with httpx.Client() as client:
            assert client.post(f"{url}login", data={"username": "reader", "password": "secret"}).status_code == 200
            page = client.get(f"{url}report?doc=004_b09f2e2d8cdb3710.txt&start=0&end=10")
            assert page.status_code == 200 and "镜湖区人民政府关于2024年法治政府建设情况的报告" in page.text
            assert "script-src 'nonce-" in page.headers["content-security-policy"]
    finally:
        app.close()
