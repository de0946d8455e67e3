"""Start the chat UI: `python ui.py [--host H] [--port P] [--auth user:pass | --auth-file FILE] [--index DIR]
[--store LOCATION] [--allow-public]`.

The same as `rag serve` (the same options, `rag serve --help`); the app itself lives in `rag/app/ui.py`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from rag.app.cli import main as rag

    return rag(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
