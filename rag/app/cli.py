"""The `rag` command: a thin layer over the library; library errors become one line and exit status 1.

Its arguments are here, each command's body in rag/app/commands.py.
"""

from __future__ import annotations

import argparse
import os
import sys

from rag.app import commands
from rag.app.commands import DEFAULT_INDEX
from rag.errors import RagError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except RagError as err:
        print(f"错误: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `rag … | head` stopped reading: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # a refusal of the file system the library did not name: one line all the same
        print(f"错误: {err.strerror or err}：{err.filename or ''}；请检查该文件或文件夹的权限与磁盘空间", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:  # noqa: PLR0915
    p = argparse.ArgumentParser(prog="rag", description="报告问答：对政府报告提问，逐字引用原文作答")
    sub = p.add_subparsers(metavar="COMMAND")

    def command(name: str, func, help: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help, description=help)
        c.add_argument("--index", default=None, help=f"index folder (default: $RAG_INDEX or {DEFAULT_INDEX}); with a "
                       "Milvus --store, the folder of the files kept beside it (copies, audit log, reports.csv)")
        c.add_argument("--store", default=None, help="where the index is: a folder (the default: --index), "
                       "milvus:./file.db (Milvus Lite) or milvus://host:19530[/name] (a server); also $RAG_STORE")
        c.add_argument("--store-token", default=None, help="the Milvus server's user:password or API key "
                       "(also $RAG_STORE_TOKEN)")
        c.set_defaults(func=func)
        return c

    c = command("index", commands.cmd_index, "index reports (files or folders): adds new and changed, skips unchanged")
    c.add_argument("paths", nargs="*", help="report files or folders (with --rebuild, none: the index's own copies)")
    c.add_argument("--model", default=None, help="sentence-transformers model name or path (default: multilingual-e5-small)")
    c.add_argument(
        "--backend",
        default=None,
        help="onnx-int8, onnx or torch: how vectors are computed (default: the index's own; for a new index onnx-int8)",
    )
    c.add_argument("--rebuild", action="store_true",
                   help="re-embed every report from the index's own copies, plus PATHS (e.g. with another --model)")
    c.add_argument(
        "--replace", action="store_true", help="a file named like an indexed report is its new version, wherever it is"
    )
    c.add_argument("--metadata", default=None, metavar="CSV",
                   help="reports.csv (file,region,year,kind) saying what some reports are; kept in the index")
    c.add_argument("--json", action="store_true")

    c = command("fix", commands.cmd_fix, "say what an indexed report is (region, year, kind); kept across re-indexing")
    c.add_argument("doc")
    c.add_argument("--region", default="")
    c.add_argument("--year", type=int, default=None)
    c.add_argument("--kind", default="", help="政府工作报告 | 管委会工作报告 | 法治政府建设情况报告")

    c = command("docs", commands.cmd_docs, "list indexed reports: region (level, parent), year, years reviewed, kind, and why")
    c.add_argument("--json", action="store_true")

    c = command("show", commands.cmd_show, "print one report's metadata and text (the text offsets point into)")
    c.add_argument("doc")
    c.add_argument("--json", action="store_true")

    c = command("remove", commands.cmd_remove, "remove a report from the index")
    c.add_argument("doc")

    command("check", commands.cmd_check, "verify every index file against its manifest, checksums included")

    c = command("history", commands.cmd_history, "the versions a report has had: who added, replaced or restored it, when, from which file")
    c.add_argument("doc")
    c.add_argument("--json", action="store_true")

    c = command("restore", commands.cmd_restore, "bring back an earlier version of a report (default: the one before the live one)")
    c.add_argument("doc")
    c.add_argument("version", nargs="?", type=int, help="its number in `rag history DOC`")

    c = command("search", commands.cmd_search, "search passages; QUERY '-' reads one query a line from stdin")
    c.add_argument("query")
    _add_search_options(c)
    c.add_argument("-k", type=int, default=10)
    c.add_argument("--method", choices=("hybrid", "bm25", "dense"), default="hybrid")

    c = command("ask", commands.cmd_ask, "answer a question with cited quotes; '-' reads one question a line from stdin")
    c.add_argument("question")
    _add_search_options(c)

    c = command("parse", commands.cmd_parse, "show how a question is read (the Query every stage works from)")
    c.add_argument("question")
    c.add_argument("--history", action="append", default=[], help="an earlier question of the conversation (repeatable)")
    c.add_argument("--thesaurus", action="append", default=[], help="your own synonyms file (repeatable; also $RAG_THESAURUS)")
    c.add_argument("--json", action="store_true")

    c = command("chat", commands.cmd_chat, "a terminal chat: follow-up questions are read against the previous ones")
    _add_search_options(c)

    c = command("eval", commands.cmd_eval, "score retrieval and answers on a questions .jsonl file")
    c.add_argument("questions")
    c.add_argument("-k", type=int, default=5)
    c.add_argument("--method", choices=("hybrid", "bm25", "dense"), default="hybrid")
    c.add_argument("--no-answers", action="store_true", help="score retrieval only")
    c.add_argument("--parse", metavar="CASES", help="also score question reading on a parse set (tests/data/parse_cases.jsonl)")
    c.add_argument("--json", action="store_true")
    c.add_argument("--model", default=None)

    c = command("export", commands.cmd_export, "save this index in OUT (a folder or a Milvus location) without re-embedding")
    c.add_argument("out", metavar="OUT")
    c.add_argument("--out-token", default=None, help="OUT's Milvus user:password or API key")

    c = command("import", commands.cmd_import, "save the index in IN (a folder or a Milvus location) here without re-embedding")
    c.add_argument("source", metavar="IN")
    c.add_argument("--in-token", default=None, help="IN's Milvus user:password or API key")

    c = command("serve", commands.cmd_serve, "start the chat UI")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=7860)
    c.add_argument("--auth", default=os.environ.get("RAG_AUTH"), help="user:pass (or $RAG_AUTH)")
    c.add_argument("--auth-file", default=os.environ.get("RAG_AUTH_FILE"),
                   help="a file of user:pass lines, so no password shows in ps (or $RAG_AUTH_FILE)")
    c.add_argument("--allow-public", action="store_true", help="allow a non-loopback host without --auth")
    c.add_argument("--seeds", default="seeds", help="reports to index on first run when the index is empty")
    c.add_argument("--thesaurus", action="append", default=[], help="your own synonyms file (repeatable; also $RAG_THESAURUS)")
    return p


def _add_search_options(c: argparse.ArgumentParser) -> None:
    c.add_argument("--thesaurus", action="append", default=[], help="your own synonyms file (repeatable; also $RAG_THESAURUS)")
    c.add_argument("--region", action="append", help="only this region (repeatable)")
    c.add_argument("--year", type=int, action="append", help="only this year (repeatable)")
    c.add_argument("--json", action="store_true")
    c.add_argument("--model", default=None, help="refuse if the index was built with another model")


if __name__ == "__main__":
    sys.exit(main())
