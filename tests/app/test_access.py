"""Who may use the chat: passwords from a file, login throttled per client, API errors in one Chinese line."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest

from rag.app.access import (
    FREE_FAILURES,
    MAX_LOCK_S,
    LoginThrottle,
    accounts,
    read_auth_file,
    readable_by_others,
)


def test_an_auth_file_holds_one_account_a_line(tmp_path):
    path = tmp_path / "auth"
    path.write_text("# 办公室\nreader:secret\n\nclerk:pa:ss\n", encoding="utf-8")
    assert read_auth_file(path) == [("reader", "secret"), ("clerk", "pa:ss")]
    assert accounts("root:x", path) == [("reader", "secret"), ("clerk", "pa:ss"), ("root", "x")]
    assert accounts(None, None) is None


def test_a_bad_auth_file_is_one_line_saying_where(tmp_path):
    path = tmp_path / "auth"
    path.write_text("reader:secret\njust-a-name\n", encoding="utf-8")
    with pytest.raises(ValueError, match="第 2 行应为 用户名:口令"):
        read_auth_file(path)
    path.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ValueError, match="没有"):
        read_auth_file(path)
    with pytest.raises(ValueError, match="无法读取口令文件"):
        read_auth_file(tmp_path / "missing")


def test_an_auth_file_others_can_read_is_noticed(tmp_path):
    path = tmp_path / "auth"
    path.write_text("reader:secret\n", encoding="utf-8")
    os.chmod(path, 0o600)
    assert not readable_by_others(path)
    os.chmod(path, 0o644)
    assert readable_by_others(path)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_wrong_passwords_lock_a_client_out_for_longer_each_time():
    clock = Clock()
    throttle = LoginThrottle(app=None, clock=clock)
    for _ in range(FREE_FAILURES):
        throttle.record("10.0.0.7", ok=False)
    assert throttle.wait_s("10.0.0.7") == 0  # a few typos cost nothing
    waits = []
    for _ in range(4):
        throttle.record("10.0.0.7", ok=False)
        waits.append(throttle.wait_s("10.0.0.7"))
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert throttle.wait_s("10.0.0.8") == 0  # another desk is not locked out
    for _ in range(30):
        throttle.record("10.0.0.7", ok=False)
    assert throttle.wait_s("10.0.0.7") == MAX_LOCK_S
    clock.now += MAX_LOCK_S
    throttle.record("10.0.0.7", ok=True)
    assert throttle.wait_s("10.0.0.7") == 0 and "10.0.0.7" not in throttle.failures


def test_a_locked_client_hears_429_with_the_wait_in_chinese():
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    throttle = LoginThrottle(app)
    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/login", "client": ("10.0.0.7", 5000)}
    for _ in range(FREE_FAILURES + 2):
        sent.clear()
        asyncio.run(throttle(scope, None, send))
    assert len(calls) == FREE_FAILURES + 1  # the last try never reached the password check
    assert sent[0]["status"] == 429 and dict(sent[0]["headers"])[b"retry-after"] == b"1"
    assert "登录失败次数过多，请 1 秒后再试" in json.loads(sent[1]["body"])["detail"]
    sent.clear()
    asyncio.run(throttle({**scope, "method": "GET", "path": "/"}, None, send))
    assert sent[0]["status"] == 400  # other routes pass through


def test_the_served_chat_throttles_logins_hides_its_route_list_and_answers_api_errors_in_chinese(index_copy):
    from ui_browser import free_port

    from rag.app.ui import build_app, launch

    app = build_app(index_copy, warm=False)
    _, url, _ = launch(app, port=free_port(), auth=[("reader", "secret")], block=False)
    try:
        assert httpx.get(f"{url}openapi.json").status_code == 404
        assert httpx.get(f"{url}gradio_api/openapi.json").status_code == 401
        with httpx.Client(timeout=60) as client:
            assert client.post(f"{url}login", data={"username": "reader", "password": "secret"}).status_code == 200
            event = client.post(f"{url}gradio_api/call/ask", json={"data": ["镜湖区2024年收到多少件行政复议申请?"]})
            stream = client.get(f"{url}gradio_api/call/ask/{event.json()['event_id']}").text
            error = json.loads(stream.split("data:", 1)[1].splitlines()[0])
            assert error["error"] == "参数不足：需要 4 个（question, regions, years, history），收到 1 个"
            assert "object at 0x" not in stream
        codes = [httpx.post(f"{url}login", data={"username": "reader", "password": f"guess{i}"}).status_code
                 for i in range(FREE_FAILURES + 3)]
        assert codes[:FREE_FAILURES] == [400] * FREE_FAILURES and 429 in codes[FREE_FAILURES:]
    finally:
        app.close()


def test_serve_refuses_a_malformed_auth_file(tmp_path, capsys):
    from rag.app.ui import serve

    path = tmp_path / "auth"
    path.write_text("no colon here\n", encoding="utf-8")
    assert serve(tmp_path / "index", auth_file=path, seeds=None) == 2
    assert "第 1 行应为 用户名:口令" in capsys.readouterr().err
