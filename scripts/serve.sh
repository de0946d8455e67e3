#!/usr/bin/env bash
# Install the app into .venv and serve the chat on http://127.0.0.1:7860 (indexes seeds/ on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e .
exec .venv/bin/python ui.py "$@"
