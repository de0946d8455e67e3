#!/usr/bin/env bash
# Install everything the tests need into .venv (and Debian's Chromium for the browser tests), then run them.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
    # Playwright drives Debian's Chromium (it never downloads a browser); the CJK font makes screenshots readable.
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; else sudo apt-get install -y chromium fonts-noto-cjk; fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e ".[test]"
.venv/bin/ruff check rag tests ui.py bench
.venv/bin/lint-imports  # the stages' layers (pyproject.toml, docs/architecture.md)
.venv/bin/pytest "$@"
