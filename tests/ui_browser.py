"""The browser tests' shared parts (a pytest plugin: `pytest_plugins = ["ui_browser"]`): the app over a copy of
the seeds index, started once per test session in a thread of this process on a free port; headless Chromium
(the system one, never a downloaded browser) at 1280 px and 390 px; and the helpers that drive the page.
Screenshots go to tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ANSWER_TIMEOUT_MS = 60_000
WIDE, PHONE = 1280, 390
NEW_REPORT = """青山区2024年法治政府建设情况的报告

2024年，青山区持续推进法治政府建设，现将有关情况报告如下。
一、主要工作
（一）公共法律服务
青山区2024年共办理测试案件4321件。全年开展普法活动36场。
"""
# Measured in the page: what is wider than the viewport (plotly's off-screen measuring node, right of 0, aside),
# what scrolls sideways or is cut inside the answer's panels, and which table cells hold more than they show.
FIT_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ')[0] : '');
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > 0 && (r.right > vw + 1 || r.left < -1);
  }).map((el) => name(el) + '@' + Math.round(el.getBoundingClientRect().left) + '..' + Math.round(el.getBoundingClientRect().right)
    + '<' + (el.closest('[id]') || {}).id);
  const panels = '#chat, #numbers, #rows, #reports, #sources';
  const sideways = [...document.querySelectorAll(panels)].flatMap((p) => [p, ...p.querySelectorAll('*')])
    .filter((el) => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX)
      && el.scrollWidth > el.clientWidth + 1 && el.getBoundingClientRect().width > 0).map(name);
  const clipped = [...document.querySelectorAll('#rows td, #reports td')]
    .filter((td) => td.scrollWidth > td.clientWidth + 1).map((td) => td.innerText.slice(0, 20));
  const width = (s) => { const el = document.querySelector(s); return el ? Math.round(el.getBoundingClientRect().width) : null; };
  return {viewport: vw, page: document.documentElement.scrollWidth, wide, sideways, clipped,
    widths: {rows: width('#rows table'), reports: width('#reports table'), bubble: width('#chat .message.bot, #chat .bot'),
      chart: width('#chart .js-plotly-plot')}};
}"""

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ui_index(seeds_index, tmp_path_factory) -> Path:
    """A copy of the seeds index that the upload tests may grow."""
    dest = tmp_path_factory.mktemp("ui") / "index"
    shutil.copytree(seeds_index, dest)
    return dest


@pytest.fixture(scope="session")
def app_url(ui_index):
    from rag.app.ui import build_app, launch

    app = build_app(ui_index)
    _, url, _ = launch(app, port=free_port(), block=False)
    yield url
    app.close()


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh browser context per test: its own Gradio session and chat."""
    context = browser.new_context(viewport={"width": WIDE, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("#reports table", timeout=30_000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def fits(page, width: int, name: str) -> dict:
    """Resize to `width`, screenshot, and measure: nothing wider than the viewport, nothing cut or scrolling."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.wait_for_timeout(800)  # plotly and the layout follow the new width
    shot(page, f"{name}_{width}.png")
    got = page.evaluate(FIT_JS)
    print(name, width, got["widths"], "page", got["page"])
    assert got["page"] <= width and not got["wide"], (got["wide"], got)
    assert not got["sideways"] and not got["clipped"], got
    return got


def texts(locator) -> list[str]:
    """The text of each element, SVG ones included (inner_text is None for those)."""
    return locator.evaluate_all("els => els.map(e => e.textContent)")


def no_error_shown(page) -> None:
    body = page.inner_text("body")
    assert "错误" not in body and "Error" not in body and "error" not in body.lower()
    assert page.locator(".toast-body").count() == 0


def ask_chat(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#send")
    wait_for_answer(page)


def wait_for_answer(page) -> None:
    page.wait_for_selector("#sources .card, #sources .not-found-block", timeout=ANSWER_TIMEOUT_MS)


def upload(page, *paths: Path) -> str:
    page.set_input_files("#upload input[type=file]", [str(p) for p in paths])
    status = page.locator("#upload-status")
    status.locator(".upload-result").wait_for(timeout=ANSWER_TIMEOUT_MS)
    return status.inner_text()




def context(browser, width: int = WIDE, locale: str = "zh-CN"):
    """A fresh browser context (its own Gradio session, its own localStorage) at `width`."""
    return browser.new_context(viewport={"width": width, "height": 844 if width < 600 else 1000}, locale=locale)


def open_app(browser, url: str, width: int = WIDE, locale: str = "zh-CN"):
    ctx = context(browser, width, locale)
    page = ctx.new_page()
    page.goto(url)
    page.wait_for_selector("#reports table", timeout=30_000)
    return ctx, page


def both_widths(page, name: str) -> None:
    """Screenshots of the page at 1280 px and at 390 px (left at 1280 px): what is in view (`NAME_WIDTH.png`,
    with the chat scrolled to the latest answer as the page does: a full-page capture resizes the page, which
    scrolls the chat back to its top), then the whole page (`NAME_WIDTH_page.png`)."""
    for width in (WIDE, PHONE):
        page.set_viewport_size({"width": width, "height": 1000 if width == WIDE else 844})
        page.evaluate("() => { if (window.rag && window.rag.shown) window.rag.showAnswer(window.rag.shown); }")
        page.wait_for_timeout(400)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}_{width}.png"))
        shot(page, f"{name}_{width}_page.png")
    page.set_viewport_size({"width": WIDE, "height": 1000})
