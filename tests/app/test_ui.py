"""The chat UI in a real browser: ask, cite, filter, upload, chart, export, first run, and the /ask API.

The app and the browser are tests/ui_browser.py's (a copy of the seeds index, headless Chromium at 1280 px
and 390 px; screenshots in tests/screenshots/). The chat's queue, stop, viewer and conversations: test_ui_chat.py.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

pytest.register_assert_rewrite("ui_browser")
from ui_browser import (  # noqa: E402
    ANSWER_TIMEOUT_MS,
    NEW_REPORT,
    PHONE,
    ROOT,
    WIDE,
    ask_chat,
    fits,
    free_port,
    no_error_shown,
    shot,
    texts,
    upload,
    wait_for_answer,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser tests skip; the binding tests still run
    expect = None

pytest_plugins = ["ui_browser"]

HOSTILE_REPORT = """白云区2024年法治政府建设情况的报告

一、主要工作
（一）示范案件
白云区2024年共办理示范案件789件<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">**粗体**[链接](http://example.com)。
"""



@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.org"])
def test_public_host_without_auth_is_refused(host, tmp_path, capsys):
    from rag.app.ui import serve

    assert serve(tmp_path / "index", host=host, port=free_port()) == 2
    err = capsys.readouterr().err
    assert "--auth" in err and "拒绝" in err and "Refusing" in err
    assert not (tmp_path / "index").exists(), "refused before touching the index"


def test_launcher_refuses_public_host_without_auth(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RAG_AUTH", raising=False)
    spec = importlib.util.spec_from_file_location("ui_launcher", ROOT / "ui.py")
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    assert launcher.main(["--host", "0.0.0.0", "--index", str(tmp_path / "index")]) == 2
    assert "--allow-public" in capsys.readouterr().err


def test_bad_auth_is_refused(tmp_path, capsys):
    from rag.app.ui import serve

    assert serve(tmp_path / "index", host="0.0.0.0", auth="no-colon") == 2
    assert "user:pass" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.browser
def test_first_view_shows_title_examples_and_reports(page, ui_index):
    from rag.store.store import load_index

    assert "报告问答" in page.title()
    body = page.inner_text("body")
    assert "报告问答" in body and "引用来源" in body
    expect(page.locator("#starters button", has_text="哪个区复议调解率最高")).to_have_count(1)  # re-rendered once the model is warm
    expect(page.locator("#reports tbody tr")).to_have_count(5)
    listed = page.inner_text("#reports")
    for report in load_index(ui_index).reports.values():  # titles, not file names such as 000_1e730ce7ce0129e2.txt
        assert report.title in listed and report.doc not in listed
    for region in ("镜湖区", "红谷滩区", "鹿城区"):
        assert region in listed
    # the subtitle says what the index holds: these seeds are 法治政府建设 reports, not 政府工作报告
    expect(page.locator("#header")).to_contain_text("已索引 5 份法治政府建设情况报告")
    assert "政府工作报告" not in page.inner_text("#header")
    assert "示例问题" in page.get_attribute("#question textarea", "placeholder")
    for width in (WIDE, PHONE):  # the examples the placeholder points to are above the fold
        page.set_viewport_size({"width": width, "height": 844})
        page.wait_for_timeout(300)
        last = page.locator("#starters button").last.bounding_box()
        assert last["y"] + last["height"] <= 844, (width, last)
    page.set_viewport_size({"width": WIDE, "height": 1000})
    shot(page, "01_first_view.png")
    fits(page, PHONE, "01_first_view")


@pytest.mark.slow
@pytest.mark.browser
def test_mission_question_is_answered_with_highlighted_citation(page):
    ask_chat(page, "哪个区复议调解率最高？")
    chat = page.inner_text("#chat")
    assert "镜湖区" in chat and "50.6%" in chat
    assert page.locator("#chat table").count() == 0, "the table is shown once, beside the chart"
    assert page.locator("#rows table").count() == 1 and "50.6%" in page.inner_text("#rows")
    marks = page.locator("#sources .card mark", has_text="50.6%")
    assert marks.count() >= 1
    card = page.locator("#sources .card").filter(has=page.locator("mark", has_text="50.6%")).first
    memo = card.locator("button.copy-memo").get_attribute("data-memo")
    assert memo.startswith("《") and "50.6%" in memo
    assert memo in card.locator(".memo").inner_text()
    assert "复制引用" in card.inner_text()
    card.locator("button.copy-memo").click()  # clipboard may be refused headless; the button must not break
    shot(page, "02_mission_question.png")


@pytest.mark.slow
@pytest.mark.browser
def test_starter_question_is_answered_in_one_click(page):
    page.locator("#starters button", has_text="镜湖区2024年受理法律援助案件").click()
    wait_for_answer(page)
    chat = page.inner_text("#chat")
    assert "法律援助" in chat and "件" in chat
    assert "镜湖区" in page.inner_text("#sources")
    shot(page, "03_starter_question.png")


@pytest.mark.slow
@pytest.mark.browser
def test_region_filter_limits_sources_to_that_region(page):
    page.click("#filters button")  # the filters are folded away under the chat
    page.click("#filter-regions input")
    page.get_by_role("option", name="红谷滩区").click()
    page.keyboard.press("Escape")
    ask_chat(page, "行政复议工作做得怎么样？")
    regions = page.locator("#sources .card").evaluate_all("cards => cards.map(c => c.dataset.region)")
    assert regions and set(regions) == {"红谷滩区"}
    shot(page, "04_region_filter.png")


@pytest.mark.slow
@pytest.mark.browser
def test_uploaded_report_is_searchable_at_once(page, tmp_path):
    report = tmp_path / "青山区2024年报告.txt"
    report.write_text(NEW_REPORT, encoding="utf-8")
    status = upload(page, report)
    assert "新增 1 份" in status and report.name in status
    assert "青山区2024年法治政府建设情况的报告" in page.inner_text("#reports")  # listed by its title
    ask_chat(page, "青山区2024年共办理测试案件多少件？")
    assert "4321" in page.inner_text("#chat")
    assert page.locator("#sources mark", has_text="4321件").count() >= 1
    shot(page, "05_upload_and_ask.png")


@pytest.mark.slow
@pytest.mark.browser
def test_broken_files_are_listed_with_their_reason(page, tmp_path):
    empty = tmp_path / "空白报告.txt"
    empty.write_text("", encoding="utf-8")
    truncated = tmp_path / "截断报告.docx"
    truncated.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40)
    status = upload(page, empty, truncated)
    assert "失败 2 个文件" in status
    assert empty.name in status and truncated.name in status
    shot(page, "06_broken_upload.png")


@pytest.mark.slow
@pytest.mark.browser
def test_hostile_report_renders_as_inert_text(page, tmp_path):
    report = tmp_path / "白云区2024年报告.txt"
    report.write_text(HOSTILE_REPORT, encoding="utf-8")
    assert "新增 1 份" in upload(page, report)
    ask_chat(page, "白云区2024年共办理示范案件多少件？")
    page.wait_for_timeout(500)  # give any injected handler a chance to run
    assert page.evaluate("window.__pwned") is None
    assert "<script>window.__pwned=1</script>" in page.inner_text("#sources")
    assert "**粗体**" in page.inner_text("#sources")
    chat = page.inner_text("#chat")
    assert "<script>window.__pwned=1</script>" in chat and "**粗体**" in chat
    assert page.locator("#chat script, #chat img[src='x'], #sources script, #sources img").count() == 0
    page.locator("#sources a.open-report").first.click()  # the report itself, in the viewer: inert too
    frame = page.frame_locator("#viewer-dialog iframe")
    expect(frame.locator("main")).to_contain_text("<script>window.__pwned=1</script>")
    viewer = next(f for f in page.frames if "report?" in f.url)
    page.wait_for_timeout(300)
    assert viewer.evaluate("window.__pwned") is None and page.evaluate("window.__pwned") is None
    assert frame.locator("main script, main img").count() == 0 and frame.locator("mark.cited").count() >= 1
    shot(page, "07_hostile_report_inert.png")


@pytest.mark.slow
def test_api_ask_returns_the_same_object_as_rag_ask_json(app_url, ui_index):
    from gradio_client import Client

    from rag.answer.answer import ask
    from rag.store.store import load_index

    question = "哪个区复议调解率最高？"
    got = Client(app_url, verbose=False).predict(question, [], [], api_name="/ask")
    want = ask(load_index(ui_index), question).to_json()
    assert got["mode"] == want["mode"] == "compare"
    assert got["answer"] == want["answer"]
    assert got["citations"] == want["citations"]
    assert got == want


@pytest.mark.slow
def test_concurrent_users_get_their_own_answers_while_an_upload_runs(page, app_url, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    report = tmp_path / "绿水县2024年法治政府建设情况的报告.txt"
    report.write_text(
        "绿水县2024年法治政府建设情况的报告\n\n一、主要工作\n（一）公共法律服务\n绿水县2024年共调解山林纠纷2468件。\n",
        encoding="utf-8",
    )
    asked = {
        "鹿城区各级人民调解组织调处纠纷多少件?": "10555",
        "高区减少了多少项证明材料?": "66",
        "镜湖区政府常务会会前学法组织了几次?": "6次",
        "哪个区复议调解率最高？": "50.6%",
    }
    page.set_input_files("#upload input[type=file]", [str(report)])  # another user's upload starts

    def ask_as_another_user(question: str) -> dict:
        return Client(app_url, verbose=False).predict(question, [], [], api_name="/ask")

    with ThreadPoolExecutor(len(asked)) as pool:
        answers = list(pool.map(ask_as_another_user, asked))
    for (question, figure), answer in zip(asked.items(), answers, strict=True):
        assert answer["question"] == question and figure in answer["answer"]
    page.locator("#upload-status .upload-result").wait_for(timeout=ANSWER_TIMEOUT_MS)
    found = ask_as_another_user("绿水县调解山林纠纷多少件?")
    assert "2468" in found["answer"] and found["citations"][0]["region"] == "绿水县"


@pytest.mark.slow
@pytest.mark.browser
def test_a_namesake_upload_replaces_only_when_ticked(page, tmp_path):
    def version(folder: str, figure: str) -> Path:
        path = tmp_path / folder / "紫金县2024年报告.txt"
        path.parent.mkdir()
        path.write_text(NEW_REPORT.replace("青山区", "紫金县").replace("4321", figure), encoding="utf-8")
        return path

    def upload_and_wait(path: Path, shown: str) -> str:
        page.set_input_files("#upload input[type=file]", [str(path)])
        result = page.locator("#upload-status .upload-result", has_text=shown)
        result.wait_for(timeout=ANSWER_TIMEOUT_MS)
        return result.inner_text()

    assert "新增 1 份：紫金县2024年报告.txt" in upload(page, version("v1", "1111"))
    page.check("#replace input")
    assert "紫金县2024年报告.txt" in upload_and_wait(version("v2", "2222"), "更新 1 份")
    page.uncheck("#replace input")
    added = upload_and_wait(version("v3", "3333"), "新增 1 份：紫金县2024年报告 (2).txt")
    assert "同名" in added and "替换同名报告" in added
    ask_chat(page, "紫金县2024年共办理测试案件多少件？")
    chat = page.inner_text("#chat")
    assert "1111" not in chat and ("2222" in chat or "3333" in chat)
    shot(page, "08_replace_namesake.png")


def test_api_arguments_are_checked_in_one_chinese_line():
    from rag.app.ui import api_arguments
    from rag.errors import ArgumentError

    assert api_arguments(" 问题 ", "镜湖区", "2024") == ("问题", ["镜湖区"], [2024])
    assert api_arguments("问题", ["镜湖区", "鹿城区"], [2023, "2024"]) == ("问题", ["镜湖区", "鹿城区"], [2023, 2024])
    assert api_arguments("问题", None, None) == ("问题", None, None)
    for bad, field in [((None, None, None), "question"), (("问题", 5, None), "regions"),
                       (("问题", None, ["abc"]), "years"), (("问题", None, 2024.5), "years"),
                       (("问题", None, True), "years")]:  # fmt: skip
        with pytest.raises(ArgumentError, match=f"^{field} 应为") as caught:
            api_arguments(*bad)
        assert "\n" not in str(caught.value)


@pytest.mark.slow
def test_api_answers_bad_arguments_in_chinese_and_takes_a_region_string(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    with pytest.raises(Exception, match="question 应为非空的问题文本"):
        client.predict(None, [], [], api_name="/ask")
    with pytest.raises(Exception, match="years 应为整数年份"):
        client.predict("法律援助案件多少件?", [], ["abc"], api_name="/ask")
    with pytest.raises(Exception, match="question 过长（20000 字，上限 500 字）"):
        client.predict("镜" * 20_000, [], [], api_name="/ask")
    got = client.predict("受理法律援助案件多少件?", "镜湖区", [], api_name="/ask")
    assert got["citations"] and {c["region"] for c in got["citations"]} == {"镜湖区"}


@pytest.mark.slow
def test_a_damaged_index_is_a_message_in_the_ui_not_a_crash(index_copy):
    from gradio_client import Client

    from rag.app.ui import build_app, launch

    version = index_copy / (index_copy / "CURRENT").read_text(encoding="utf-8")
    next(version.glob("seg-*/chunks.npy")).write_bytes(b"")  # a segment's file (rag/store/layout.py)
    app = build_app(index_copy)
    assert "索引已损坏" in app.rag_service.problem and "chunks.npy" in app.rag_service.problem
    _, url, _ = launch(app, port=free_port(), block=False)
    try:
        with pytest.raises(Exception, match="索引已损坏.*--rebuild"):
            Client(url, verbose=False).predict("法律援助案件多少件?", [], [], api_name="/ask")
    finally:
        app.close()


def test_allow_public_warns_and_prints_the_address_it_binds(tmp_path, capsys, monkeypatch):
    import rag.app.ui

    monkeypatch.setattr(rag.app.ui, "launch", lambda app, **kwargs: None)
    assert rag.app.ui.serve(tmp_path / "index", host="0.0.0.0", port=8123, allow_public=True, seeds=None) == 0
    err = capsys.readouterr().err
    assert "警告" in err and "0.0.0.0:8123" in err and "--auth" in err
    assert "http://0.0.0.0:8123（所有网络接口" in err


@pytest.mark.slow
@pytest.mark.browser
def test_a_follow_up_in_the_chat_keeps_the_metric_and_takes_the_new_region(page):
    ask_chat(page, "哪个区复议调解率最高？")
    expect(page.locator("#reading")).to_contain_text("调解率")
    page.fill("#question textarea", "那鹿城区呢？")
    page.click("#send")
    expect(page.locator("#reading")).to_contain_text("鹿城区", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#reading .chip.follow")).to_have_count(1)
    reading = page.inner_text("#reading")
    assert "调解率" in reading and "鹿城区" in reading
    last = page.locator("#chat .message-row").last.inner_text() if page.locator("#chat .message-row").count() else page.inner_text("#chat")
    assert "鹿城区" in last
    shot(page, "08_follow_up.png")
    page.click("#clear")
    expect(page.locator("#reading .chip")).to_have_count(0)


def test_api_takes_the_conversation_so_far(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    got = client.predict("那鹿城区呢?", [], [], ["哪个区复议调解率最高?"], api_name="/ask")
    assert got["query"]["regions"] == ["鹿城区"] and got["query"]["followup"] and "调解率" in got["reading"]
    alone = client.predict("那鹿城区呢?", [], [], [], api_name="/ask")
    assert not alone["query"]["metric"]  # with no history there is nothing to follow


@pytest.mark.slow
@pytest.mark.browser
def test_a_comparison_is_a_sorted_bar_chart_beside_one_table_that_fits_any_screen(page):
    ask_chat(page, "各区行政诉讼出庭应诉率分别是多少？")
    chart = page.locator("#chart .js-plotly-plot")
    chart.wait_for(timeout=ANSWER_TIMEOUT_MS)
    expect(chart.locator(".bars .point")).to_have_count(4)
    labels = texts(chart.locator(".bars text"))
    assert "66.7%·2024年" in labels and "100%·2023年" in labels, labels
    top_down = chart.locator(".ytick text").evaluate_all(
        "els => els.map(e => [e.getBoundingClientRect().top, e.textContent]).sort((a, b) => a[0] - b[0]).map(t => t[1])")
    assert top_down[-1] == "镜湖区" and len(top_down) == 4, f"sorted, the lowest (66.7%) at the bottom: {top_down}"
    assert page.locator("#chat table").count() == 0 and page.locator("#rows table").count() == 1
    expect(page.locator("#rows tbody tr")).to_have_count(4)
    wide = fits(page, WIDE, "09_comparison_chart")
    assert page.locator("#rows thead").is_visible()  # a table at 1280 px …
    phone = fits(page, PHONE, "09_comparison_chart")
    assert not page.locator("#rows thead").is_visible()  # … cards at 390 px
    assert page.locator("#rows td.quote").first.evaluate("td => getComputedStyle(td, '::before').content") == '"原文："'
    assert phone["widths"]["rows"] <= PHONE and wide["widths"]["rows"] <= WIDE


@pytest.mark.slow
@pytest.mark.browser
def test_the_conversation_downloads_as_word_and_the_table_as_csv_and_xlsx(page, ui_index, tmp_path):
    import csv

    from docx import Document
    from openpyxl import load_workbook

    from rag.answer.answer import ask
    from rag.store.store import load_index

    first, second = "镜湖区2024年受理法律援助案件多少件？", "各区行政诉讼出庭应诉率分别是多少？"
    ask_chat(page, first)
    page.fill("#question textarea", second)
    page.click("#send")
    page.locator("#rows table").wait_for(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#export-docx")).to_be_enabled()
    index = load_index(ui_index)
    want = [ask(index, first), ask(index, second)]

    def download(selector: str) -> Path:
        with page.expect_download() as info:
            page.click(selector)
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        return path

    docx = download("#export-docx")
    assert docx.suffix == ".docx"
    doc = Document(docx)
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert first in text and second in text
    assert "644件" in text and "各地行政诉讼出庭应诉率" in text
    for answer in want:
        for c in answer.citations:
            assert f"“{c.quote}”" in text, c.quote  # verbatim, in quotation marks
    rows = [(r.region, r.year, r.value, r.unit, r.citation.quote) for r in want[1].rows]
    with download("#export-csv").open(encoding="utf-8-sig", newline="") as f:
        got = list(csv.reader(f))[1:]
    assert [(r[0], int(r[1]), float(r[3]), r[4], r[7]) for r in got] == rows
    sheet = load_workbook(download("#export-xlsx")).active
    assert [(r[0], r[1], r[3], r[4], r[7]) for r in sheet.iter_rows(min_row=2, values_only=True)] == rows
    memo = page.locator("#copy-all button.copy-all").get_attribute("data-memo")
    assert memo.startswith(f"问：{second}") and all(f"“{c.quote}”" in memo for c in want[1].citations)
    page.click("#copy-all button.copy-all")  # the clipboard may be refused headless: the text is then selected
    expect(page.locator("#copy-all button.copy-all")).to_have_text(re.compile("已复制|已选中"))
    shot(page, "10_export.png")


SERIES = {
    2022: "全年受理法律援助案件280件，为困难群众挽回经济损失860万元。",
    2023: "全年受理法律援助案件约300件，为困难群众挽回经济损失1.2亿元。",
    2024: "全年受理法律援助案件321件，为困难群众挽回经济损失9500万元。",
}


@pytest.mark.slow
@pytest.mark.browser
def test_first_run_shows_the_index_building_then_a_series_is_a_line_chart(browser, tmp_path, monkeypatch):
    import threading

    import rag.app.uploads
    from rag.app.ui import build_app, launch

    folder = tmp_path / "reports"
    folder.mkdir()
    for year, body in SERIES.items():
        (folder / f"青山区{year}年报告.txt").write_text(
            f"青山区人民政府关于{year}年法治政府建设情况的报告\n\n一、主要举措和成效\n（一）公共法律服务\n{body}\n", encoding="utf-8")
    gate, real = threading.Event(), rag.app.uploads.add_reports

    def held(*args, embedded=None, **kwargs):  # the first build stops at its first progress report until told
        def on_embedded(done, total):
            embedded(done, total)
            if done == 0:
                gate.wait(120)

        return real(*args, embedded=on_embedded, **kwargs)

    monkeypatch.setattr(rag.app.uploads, "add_reports", held)
    app = build_app(tmp_path / "index", seeds=folder)
    _, url, _ = launch(app, port=free_port(), block=False)
    context = browser.new_context(viewport={"width": WIDE, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(url)
        expect(page.locator("#index-status .building")).to_contain_text("已读取 3 份报告，已向量化 0/", timeout=30_000)
        expect(page.locator("#send")).to_be_disabled()
        expect(page.locator("#send-reason")).to_contain_text("首次运行，正在建立索引")
        page.fill("#question textarea", "青山区受理法律援助案件多少件？")
        page.press("#question textarea", "Enter")  # Enter still works: the chat says why, no error badge
        expect(page.locator("#chat")).to_contain_text("完成后即可提问", timeout=ANSWER_TIMEOUT_MS)
        no_error_shown(page)
        fits(page, WIDE, "11_first_run")
        fits(page, PHONE, "11_first_run")
        no_error_shown(page)
        page.set_viewport_size({"width": WIDE, "height": 1000})
        gate.set()
        expect(page.locator("#header")).to_contain_text("已索引 3 份", timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator("#send")).to_be_enabled(timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator("#send-reason")).to_be_hidden()
        page.fill("#question textarea", "青山区历年受理法律援助案件分别是多少？")
        page.click("#send")
        line = page.locator("#chart .js-plotly-plot .scatterlayer .trace")
        line.first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        expect(line).to_have_count(1)
        assert page.locator("#chart .js-plotly-plot .scatterlayer .point").count() == 3
        assert {"280件", "约300件", "321件"} <= set(texts(page.locator("#chart .textpoint text")))
        assert {"2022年", "2023年", "2024年"} <= set(texts(page.locator("#chart .xtick text")))
        fits(page, WIDE, "12_series_chart")
        fits(page, PHONE, "12_series_chart")
        no_error_shown(page)
    finally:
        gate.set()
        context.close()
        app.close()
