"""Who may use the chat, and what a client hears when something is wrong.

- Passwords come from `--auth user:pass`, `$RAG_AUTH` or, so that none shows in `ps`, `--auth-file FILE`
  (one `user:pass` a line; `#` comments).
- `LoginThrottle` slows password guessing per client address: after `FREE_FAILURES` wrong passwords each
  further one locks that address out for twice as long as the last (1 s, 2 s, 4 s … up to `MAX_LOCK_S`), and
  `/login` answers 429 with the wait in Chinese; a right password clears the count.
- `ReportBlocks` says in one Chinese line when an API call brings too few arguments, where Gradio would send
  its Python-worded message with the reprs of its components.
"""

from __future__ import annotations

import inspect
import json
import os
import stat
import threading
import time
from pathlib import Path

import gradio as gr

# Five wrong tries cost nothing (a mistyped password, a caps lock); after that the 6th waits 1 s, the 16th ~17 min
# would, but a lock never exceeds 5 minutes, so a user who remembers can always get in the same hour. Chosen by
# hand after OWASP's authentication cheat sheet (exponential back-off per source), not measured.
FREE_FAILURES = 5
MAX_LOCK_S = 300.0
LOGIN_PATHS = ("/login", "/login/")


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """'user:pass' → ('user', 'pass'); raises ValueError on anything else."""
    if not auth:
        return None
    user, sep, password = auth.strip().partition(":")
    if not (sep and user and password):
        raise ValueError("--auth 应为 用户名:口令（user:pass）")
    return user, password


def read_auth_file(path: str | Path) -> list[tuple[str, str]]:
    """The accounts in an auth file: one `user:pass` a line, blank lines and `#` comments skipped.

    Raises ValueError (one line, in Chinese) for a missing or empty file or a malformed line.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"无法读取口令文件 {path}：{err.__class__.__name__}") from None
    accounts = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            accounts.append(parse_auth(line))
        except ValueError:
            raise ValueError(f"口令文件 {path} 第 {number} 行应为 用户名:口令") from None
    if not accounts:
        raise ValueError(f"口令文件 {path} 中没有 用户名:口令")
    return accounts


def readable_by_others(path: str | Path) -> bool:
    """Whether users other than the owner may read the file (a password file should be 0600)."""
    try:
        return bool(os.stat(path).st_mode & (stat.S_IRGRP | stat.S_IROTH))
    except OSError:
        return False


def accounts(auth: str | None, auth_file: str | Path | None) -> list[tuple[str, str]] | None:
    """The accounts the chat accepts, from --auth-file and --auth (or $RAG_AUTH) together; None: no login."""
    found = list(read_auth_file(auth_file)) if auth_file else []
    single = parse_auth(auth)
    if single:
        found.append(single)
    return found or None


class LoginThrottle:
    """ASGI middleware in front of the chat's server: exponential back-off of `/login` per client address."""

    def __init__(self, app, clock=time.monotonic):
        self.app = app
        self.clock = clock
        self.failures: dict[str, int] = {}
        self.locked_until: dict[str, float] = {}
        self.lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST" or not scope["path"].endswith(LOGIN_PATHS):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        wait = self.wait_s(client)
        if wait > 0:
            await _refuse(send, wait)
            return
        status = {}

        async def remember_status(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, remember_status)
        self.record(client, ok=status.get("code") == 200)

    def wait_s(self, client: str) -> float:
        with self.lock:
            return max(0.0, self.locked_until.get(client, 0.0) - self.clock())

    def record(self, client: str, ok: bool) -> None:
        with self.lock:
            if ok:
                self.failures.pop(client, None)
                self.locked_until.pop(client, None)
                return
            count = self.failures.get(client, 0) + 1
            self.failures[client] = count
            if count > FREE_FAILURES:
                lock_s = min(MAX_LOCK_S, 2.0 ** (count - FREE_FAILURES - 1))
                self.locked_until[client] = self.clock() + lock_s


async def _refuse(send, wait: float) -> None:
    seconds = max(1, round(wait))
    body = json.dumps({"detail": f"登录失败次数过多，请 {seconds} 秒后再试"}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json; charset=utf-8"), (b"retry-after", str(seconds).encode())]})
    await send({"type": "http.response.body", "body": body})


class ReportBlocks(gr.Blocks):
    """The chat's Blocks: an API call with too few arguments is told so in Chinese, naming the parameters."""

    def validate_inputs(self, block_fn, inputs):
        wanted = block_fn.inputs
        if len(inputs) < len(wanted):
            names = _parameter_names(block_fn)
            listed = f"（{', '.join(names)}）" if names else ""
            raise gr.Error(f"参数不足：需要 {len(wanted)} 个{listed}，收到 {len(inputs)} 个", title="参数有误")
        super().validate_inputs(block_fn, inputs)


def _parameter_names(block_fn) -> list[str]:
    try:
        return list(inspect.signature(block_fn.fn).parameters)
    except (TypeError, ValueError):
        return []
