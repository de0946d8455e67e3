"""The `rag` command's commands, one function each over the library (the arguments: rag/app/cli.py).

A command imports the stages it runs when it runs (the imports marked `# lazy`): the store, retrieval and
answers load faiss, bm25s and the model code (about a second), the chat gradio (two more), so `rag --help`,
`rag history` and a refused question answer at once.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from rag.app.batch import input_lines, read_question, run_batch, search_text
from rag.documents.metadata import plausible_year
from rag.errors import RagError
from rag.language.periods import planned_years, reviewed_years
from rag.language.thesaurus import load_thesaurus
from rag.limits import recent_history
from rag.store.audit import events, versions
from rag.store.milvus.location import is_milvus, parse_location

DEFAULT_INDEX = "index"


def cmd_index(args) -> int:
    from rag.store.store import add_reports  # lazy: the store (faiss, bm25s, the model code)

    if not args.paths and not args.rebuild:
        raise RagError("请给出要索引的报告文件或文件夹（只有 --rebuild 可以不给：用索引自己保存的报告副本重建）")
    result = add_reports(
        _store(args),
        args.paths,
        model=args.model,
        backend=args.backend,
        rebuild=args.rebuild,
        replace=args.replace,
        metadata=args.metadata,
        progress=None if args.json else lambda msg: print(msg, file=sys.stderr),
        show_progress=not args.json,
    )
    if args.json:
        print(json.dumps(vars(result), ensure_ascii=False))
    else:
        for name, docs in (("新增", result.added), ("更新", result.updated), ("未变", result.unchanged),
                           ("重建", result.rebuilt)):
            if docs:
                print(f"{name} {len(docs)}: {', '.join(docs)}")
        for path, reason in result.failed:
            print(f"失败 {path}: {reason}", file=sys.stderr)
        for doc, reason in result.warnings:
            print(f"注意 {doc}: {reason}", file=sys.stderr)
    return 1 if result.failed else 0


def cmd_docs(args) -> int:
    index = _load(args)
    rows = [
        {
            "doc": r.doc,
            "title": r.title,
            "region": r.region,
            "year": r.year,
            "level": r.level,
            "parents": list(r.parents),
            "named": r.named,
            "kind": r.kind,
            "reviews": list(reviewed_years(r)),
            "plans": list(planned_years(r)),
            "sources": dict(r.sources),
            "issuer": r.issuer,
            "date": r.date,
            "chunks": index.chunks.count(r.doc),
            "chars": len(r.text),
        }
        for r in sorted(index.reports.values(), key=lambda r: r.doc)
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for row in rows:
        print("\t".join((row["doc"], _docs_region(row), f"{row['year']}年" if row["year"] else "年份不详",
                         _docs_reviews(row), row["kind"] or "类型不详", row["title"], _docs_sources(row))))
    return 0


_LEVEL_NAMES = {"national": "全国", "province": "省级", "city": "市级", "county": "区县", "zone": "功能区"}


def _docs_region(row: dict) -> str:
    """光明区（区县，深圳市）: the region, its level and the place above it; 地区不详 when unknown."""
    if not row["region"]:
        return "地区不详"
    parent = row["parents"][-1] if row["parents"] else ""
    inside = "，".join(x for x in (_LEVEL_NAMES.get(row["level"], ""), parent) if x)
    named = f"（报告称{row['named']}）" if row["named"] else ""
    return f"{row['region']}{named}（{inside}）" if inside else row["region"] + named


def _docs_reviews(row: dict) -> str:
    years = row["reviews"]
    if not years:
        return "回顾年份不详"
    return f"回顾{years[0]}年" if len(years) == 1 else f"回顾{years[0]}–{years[-1]}年"


def _docs_sources(row: dict) -> str:
    names = {"region": "地区", "year": "年份", "kind": "类型"}
    return "依据：" + "；".join(f"{names[k]}←{v}" for k, v in row["sources"].items() if k in names) if row["sources"] else ""


def cmd_show(args) -> int:
    index = _load(args)
    r = index.report(args.doc)
    if args.json:
        out = {k: getattr(r, k) for k in ("doc", "title", "region", "year", "issuer", "date", "encoding", "sha256", "text")}
        out["body"] = [list(s) for s in r.body]
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"《{r.title}》 {r.region} {r.year or ''}\n")
        print(r.text)
    return 0


def cmd_check(args) -> int:
    index = _store(args).check()
    checked = f"{len(index.manifest['files'])} 个文件" if "files" in index.manifest else "全部数据行"
    print(f"索引完好：{len(index.reports)} 份报告，{len(index.chunks)} 个段落，{checked}校验一致")
    return 0


def cmd_fix(args) -> int:
    from rag.store.corrections import KINDS, Correction  # lazy: the store, as below
    from rag.store.store import correct_report  # lazy: the store (faiss, bm25s, the model code)

    if args.year is not None and not plausible_year(args.year):
        print(f"错误: 年份 {args.year} 无效，应为 1949 至明年之间的年份", file=sys.stderr)
        return 2
    if args.kind and args.kind not in KINDS:
        print(f"错误: 类型“{args.kind}”无效，应为 {' / '.join(KINDS)} 之一", file=sys.stderr)
        return 2
    correction = Correction(args.doc, args.region, args.year, args.kind)
    if not (args.region or args.year or args.kind):
        print("错误: 请至少给出 --region、--year 或 --kind 之一", file=sys.stderr)
        return 2
    r = correct_report(_store(args), args.doc, correction)
    print(f"已更正 {args.doc}：{r.region or '地区不详'} {r.year or '年份不详'} {r.kind or ''}（记录在索引的 reports.csv，重建索引时保留）")
    return 0


def cmd_remove(args) -> int:
    from rag.store.store import remove_report  # lazy: the store (faiss, bm25s, the model code)

    remove_report(_store(args), args.doc, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"已删除 {args.doc}")
    return 0


def cmd_history(args) -> int:
    found = versions(files_folder(args), args.doc)
    if not found:
        raise RagError(f"没有 {args.doc} 的历史记录（索引在开始记录之前建立，或没有这份报告）；`rag docs` 列出已索引的报告")
    if args.json:
        print(json.dumps([v.to_json() for v in found], ensure_ascii=False, indent=1))
        return 0
    names = {"add": "加入", "replace": "替换", "restore": "恢复", "remove": "删除"}
    content = iter(found)
    for event in events(files_folder(args), args.doc):  # the versions, numbered, and the removals between them
        v = next(content, None) if event.get("action") in ("add", "replace", "restore") else None
        number, live = (str(v.n), "\t（现行）" if v.live else "") if v else ("-", "")
        print(f"{number}\t{event.get('when', '')}\t{event.get('who', '')}\t{names.get(event.get('action'), event.get('action'))}"
              f"\t{event.get('origin', '')}{live}")
    return 0


def cmd_restore(args) -> int:
    from rag.store.store import restore_report  # lazy: the store (faiss, bm25s, the model code)

    chosen = restore_report(_store(args), args.doc, args.version, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"已恢复 {args.doc} 第 {chosen.n} 版（{chosen.when} 由 {chosen.who} {chosen.origin}）")
    return 0


def cmd_search(args) -> int:
    from rag.retrieval import search  # lazy: the store and the model code

    query = None if args.query == "-" else search_text(args.query)  # refused before the index is loaded
    index = _load(args)

    def hits_of(query: str) -> list:
        return search(index, query, k=args.k, regions=args.region, years=args.year, method=args.method)

    if args.query == "-":
        return _batch(lambda line: {"query": line.text, "hits": [h.to_json() for h in hits_of(search_text(line.text))]},
                      key="query")
    hits = hits_of(query)
    if args.json:
        print(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=1))
    else:
        for h in hits:
            c = h.chunk
            print(f"[{h.rank}] {c.region} {c.year or ''} 《{c.title}》 {' > '.join(c.section)}  ({c.doc} {c.start}-{c.end})")
            print(f"    {c.text}\n")
    return 0


def cmd_ask(args) -> int:
    from rag.answer.answer import ask  # lazy: every stage, the model code included

    if args.question != "-":
        read_question(args.question, plain=True)  # refused before the index and the model are loaded
    index = _load(args)

    def answer_of(text: str):
        question, history = read_question(text)
        return ask(index, question, regions=args.region, years=args.year, history=history)

    if args.question == "-":
        return _batch(lambda line: {"input": line.text, **answer_of(line.text).to_json()})
    answer = ask(index, args.question, regions=args.region, years=args.year)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=1))
    else:
        _print_answer(answer)
    return 0


def _batch(answer, key: str = "input") -> int:
    """One query a line from stdin, one JSON line out for each (rag/app/batch.py); 1 when any line got an error."""
    def write(text: str) -> None:
        print(text, flush=True)

    errors = run_batch(input_lines(sys.stdin), answer, write, lambda msg: print(msg, file=sys.stderr, flush=True),
                       key)
    return 1 if errors else 0


def _print_answer(answer) -> None:
    print(answer.answer)
    if answer.citations:
        print()
        for c in answer.citations:
            print(f"[{c.n}] {c.memo}  ({c.doc} {c.start}-{c.end})")
    print()


def cmd_parse(args) -> int:
    from rag.question.parse import parse, replay  # lazy: the gazetteer, thesaurus and question words

    read_question(args.question, args.history, plain=True)
    index = _load(args)
    query = parse(args.question, index, replay(index, recent_history(args.history)))
    if args.json:
        print(json.dumps(query.to_json(), ensure_ascii=False, indent=1))
    else:
        print(query.reading() or "（没有读出指标、地区或年份）")
        for key, value in query.to_json().items():
            if value not in ("", [], None, False) and key not in ("reading", "text"):
                print(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
    return 0


def cmd_chat(args) -> int:
    """Read a question a line; each is answered in the light of the ones before. 清空 (or /clear) starts over."""
    from rag.answer.answer import ask  # lazy: every stage, the model code included

    index = _load(args)
    previous = None
    print("报告问答：输入问题后回车；“清空”开始新的对话；Ctrl-D 退出。", file=sys.stderr)
    while True:
        try:
            question = input("问> ").strip()
        except EOFError:
            return 0
        if question in ("清空", "/clear"):
            previous = None
            continue
        if not question:
            continue
        answer = ask(index, question, regions=args.region, years=args.year, previous=previous)
        previous = answer.query if answer.query is not None else previous
        _print_answer(answer)
        sys.stdout.flush()


def cmd_eval(args) -> int:
    # lazy: every stage, the model code included
    from rag.app.evaluate import (
        evaluate,
        format_parse_report,
        format_report,
        load_questions,
        parse_accuracy,
        retrieve_for,
    )

    index = _load(args)
    ask_fn = None
    if not args.no_answers:
        from rag.answer.answer import ask  # lazy: every stage, the model code included

        def ask_fn(question):
            return ask(index, question)

    result = evaluate(index, load_questions(args.questions), lambda q, k: retrieve_for(index, q, k, args.method), ask_fn=ask_fn, k=args.k)
    if args.parse:
        result["parse"] = parse_accuracy(index, load_questions(args.parse))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print(format_report(result))
        if args.parse:
            print(format_parse_report(result["parse"]))
    return 0


def cmd_serve(args) -> int:
    _use_thesaurus(args)
    from rag.app.ui import serve  # lazy: gradio takes ~1.7 s to import, and only this command needs it

    return serve(_store(args), host=args.host, port=args.port, auth=args.auth, allow_public=args.allow_public,
                 seeds=args.seeds, auth_file=args.auth_file)


def _use_thesaurus(args) -> None:
    """--thesaurus FILE: the user's synonym files are read beside $RAG_THESAURUS (rag/language/thesaurus.py)."""
    files = [f for f in getattr(args, "thesaurus", []) or [] if f]
    if files:
        current = os.environ.get("RAG_THESAURUS", "")
        os.environ["RAG_THESAURUS"] = os.pathsep.join([*files, *([current] if current else [])])
        load_thesaurus.cache_clear()
        load_thesaurus()  # a bad file is one clear error now, not at the first question


def cmd_export(args) -> int:
    """Save the index of --store in OUT (a folder or a Milvus location), without re-embedding."""
    from rag.store.backend import open_store  # lazy: the store (faiss, bm25s, the model code)
    from rag.store.store import copy_index  # lazy: as above

    dest = open_store(args.out, token=args.out_token or None)
    n = copy_index(_store(args), dest, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"已导出 {n} 份报告到 {dest.location}（未重新向量化）")
    return 0


def cmd_import(args) -> int:
    """Save the index of IN (a folder or a Milvus location) in --store, without re-embedding."""
    from rag.store.backend import open_store  # lazy: the store (faiss, bm25s, the model code)
    from rag.store.store import copy_index  # lazy: as above

    source = open_store(args.source, token=args.in_token or None)
    dest = _store(args)
    n = copy_index(source, dest, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"已从 {source.location} 导入 {n} 份报告到 {dest.location}（未重新向量化）")
    return 0


def store_location(args) -> str:
    """Where the index is: --store (or $RAG_STORE), else the --index folder."""
    return getattr(args, "store", None) or os.environ.get("RAG_STORE") or index_folder(args)


def index_folder(args) -> str:
    return getattr(args, "index", None) or os.environ.get("RAG_INDEX") or DEFAULT_INDEX


def files_folder(args) -> Path:
    """The folder of the files kept beside the index (copies, audit log, reports.csv): the folder store itself;
    for a Milvus store --index when given, else the Milvus location's own (rag/store/milvus/location.py)."""
    location = store_location(args)
    if not is_milvus(location):
        return Path(location)
    given = getattr(args, "index", None) or os.environ.get("RAG_INDEX")
    return Path(given) if given else parse_location(location).files()


def _store(args):
    from rag.store.backend import open_store  # lazy: the store (faiss, bm25s, the model code)

    token = getattr(args, "store_token", None) or os.environ.get("RAG_STORE_TOKEN") or None
    return open_store(store_location(args), files_folder(args), token)


def _load(args):
    _use_thesaurus(args)
    from rag.store.store import check_model  # lazy: the store (faiss, bm25s, the model code)

    index = _store(args).load()
    check_model(index, getattr(args, "model", None))
    return index

