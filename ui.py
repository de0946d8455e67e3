"""Start the chat UI: `python ui.py [--host H] [--port P] [--auth user:pass | --auth-file FILE] [--index DIR] [--allow-public]`.

The same as `rag serve`; the app itself lives in `rag/app/ui.py`.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="报告问答：网页聊天界面")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)"
    )
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", default=os.environ.get("RAG_AUTH"), help="user:pass (or $RAG_AUTH)")
    p.add_argument("--auth-file", default=os.environ.get("RAG_AUTH_FILE"),
                   help="a file of user:pass lines, so no password shows in ps (or $RAG_AUTH_FILE)")
    p.add_argument(
        "--index", default=os.environ.get("RAG_INDEX", "index"), help="index folder (or $RAG_INDEX)"
    )
    p.add_argument("--seeds", default="seeds", help="reports to index on first run when there is no index")
    p.add_argument("--allow-public", action="store_true", help="allow a non-loopback host without --auth")
    args = p.parse_args(argv)

    from rag.app.ui import serve

    return serve(
        args.index,
        host=args.host,
        port=args.port,
        auth=args.auth,
        allow_public=args.allow_public,
        seeds=args.seeds,
        auth_file=args.auth_file,
    )


if __name__ == "__main__":
    sys.exit(main())
