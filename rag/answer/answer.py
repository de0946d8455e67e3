"""Answers without an LLM: verbatim quotes with citations, cross-report comparisons, or "not found".

The question is parsed once (rag/question/parse.py) and then: retrieved (rag/retrieval.py), matched against the
facts (rag/answer/match.py, rag/answer/compare.py), judged answerable or not (rag/answer/support.py), and composed here.
Modes:
- lookup: the sentence(s) that hold the answer, quoted exactly, led by the figure when one is asked for;
- compare: 最高/最低/哪些达到/各地分别/历年 questions answered from the facts of every report, one cited row each;
- not_found: the reports do not hold the answer; the closest passages are shown as related only.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.answer.compare import compare, only_change
from rag.answer.compose import cite, figure, with_sources
from rag.answer.match import asked_vector, counted_otherwise, fact_score, named_in_reports, narrower_than
from rag.answer.support import (
    PARTIAL_THRESHOLD,
    Evidence,
    answerable,
    coverage,
    head_said,
    metric_recall,
    metric_said,
    phrase_bonus,
)
from rag.documents.facts import base_unit, extract_facts
from rag.documents.sections import heading_of, sentence_spans
from rag.embedding.embed import Embedder
from rag.language.periods import report_years
from rag.language.thesaurus import load_thesaurus
from rag.limits import question_refusal, recent_history, shown
from rag.question.content import NO_CONTENT, has_content
from rag.question.conversation import needs_rows
from rag.question.parse import parse, replay
from rag.question.parts import join_answers, split_parts
from rag.question.query import Query
from rag.retrieval import dense_text, retrieve
from rag.store.corrections import read_kind
from rag.store.metric_vectors import phrase
from rag.store.store import Index
from rag.types import READING, RELATED, TEXT, Answer, Chunk, Fact, Hit, grouped

# A lookup reads the best LOOKUP_PASSAGES passages and weighs the sentences of the first SENTENCE_PASSAGES of
# them (a summary looks for its section among as many): set by hand in c8d3c2d, not measured.
LOOKUP_PASSAGES = 8
SENTENCE_PASSAGES = 5

def ask(
    index: Index,
    question: str,
    regions: list[str] | None = None,
    years: list[int] | None = None,
    embedder: Embedder | None = None,
    previous: Query | None = None,
    history: list[str] | None = None,
) -> Answer:
    """Answer `question` from the indexed reports, quoting them verbatim.

    A follow-up is read against `previous` (the last answer's `query`) or, from the CLI and the API,
    against `history` (the earlier questions, oldest first). `regions` / `years` are the UI's filters.
    """
    refusal = question_refusal(question, history)  # before any parsing: length, type, characters
    if refusal:
        return Answer(shown(question or ""), refusal, "not_found")
    history = recent_history(history)
    question = (question or "").strip()
    if not question:
        return Answer(question, "请输入问题。", "not_found")
    if not has_content(question, index.regions):  # "？！。…", emoji, "asdfghjkl": nothing to look for
        return Answer(question, NO_CONTENT, "not_found")
    if previous is None and history:
        previous = replay(index, history)
    parts = split_parts(question)
    if len(parts) == 1:
        return _ask_one(index, question, regions, years, embedder, previous)
    answers = []  # …多少家，精简率多少？: each part after the first is a follow-up of the one before
    for part in parts:
        answers.append(_ask_one(index, part, regions, years, embedder, previous))
        previous = answers[-1].query or previous
    return join_answers(question, parts, answers)


def _ask_one(index, question, regions, years, embedder, previous) -> Answer:
    if previous is not None and needs_rows(question) and previous.comparison and not previous.result_regions:
        previous = answer_query(index, previous, embedder).query or previous  # 其中…: the rows it gave
    return answer_query(index, parse(question, index, previous, regions=regions, years=years), embedder)


def answer_query(index: Index, query: Query, embedder: Embedder | None = None, filter_years=None) -> Answer:
    """Answer a parsed question. (`filter_years`: report years to search, for a Query parsed without the
    chat's year filter; `parse(..., years=…)` sets them itself.)"""
    query = with_report_years(index, query, filter_years)
    if not _has_content(query):
        return Answer(query.text, NO_CONTENT, "not_found", query=query)
    if query.intent == "index":
        return describe_index(index, query)
    if query.unknown_places and not query.regions:
        return not_found(query, f"索引中没有{'、'.join(query.unknown_places)}的报告", [])
    if query.period.report_years == () and query.regions:
        asked = "、".join(map(str, query.period.years))
        return not_found(query, f"索引中没有{'、'.join(query.regions)}{asked}年的报告", [])
    embedder = embedder or (index.embedder() if index.chunks else None)
    query = named_in_reports(query, index, embedder)
    if query.comparison:
        answer = compare(index, query, embedder)
        if answer is not None:
            return _with_result_regions(answer)
        if query.intent != "series" or not query.regions:
            hits = retrieve(index, query, k=3, embedder=embedder)
            return not_found(query, "没有报告给出这一指标的可比数字", hits)
    hits = retrieve(index, query, k=LOOKUP_PASSAGES, embedder=embedder)
    if not hits:
        return not_found(query, "没有检索到相关段落", [])
    if query.intent == "summary":
        return _summary(index, query, hits, embedder)
    answer = _lookup(index, query, hits, embedder)
    if answer.mode == "not_found" and query.wants_number and query.regions and query.period.years and query.period.report_years:
        # 那2023年是多少? where only a later report looks back at it (由2023年176.7亿元增长至…)
        wider = replace(query, period=replace(query.period, report_years=None))
        later = _lookup(index, wider, retrieve(index, wider, k=LOOKUP_PASSAGES, embedder=embedder), embedder, looking_back=True)
        if later.mode != "not_found":
            return later
    return answer


def with_report_years(index: Index, query: Query, filter_years) -> Query:
    if filter_years:  # the UI's year filter names report years
        return replace(query, period=replace(query.period, report_years=tuple(filter_years)))
    if query.period.named_report or query.intent == "series" or query.period.report_years is not None:
        return query
    years = report_years(index, query.regions, query.period.years, query.target, plans=query.topic == "plan")
    return replace(query, period=replace(query.period, report_years=years))


def _has_content(query: Query) -> bool:
    """A question of only punctuation, emoji or letters that spell nothing asks nothing."""
    return bool(query.metric or query.topic or query.terms or query.regions or query.unknown_places or query.intent == "index")


def _with_result_regions(answer: Answer) -> Answer:
    regions = tuple(dict.fromkeys(r.region for r in answer.rows))
    return replace(answer, query=replace(answer.query, result_regions=regions))


# ---------------------------------------------------------------- lookup


def best_evidence(index: Index, query: Query, hits: list[Hit], embedder: Embedder | None) -> Evidence | None:
    """The sentence of the top passages that best answers `query` (answerable or not)."""
    qvec = embedder.encode_query([dense_text(query)])[0] if embedder is not None else None
    asked = asked_vector(query, embedder) if query.wants_number else None
    meanings: dict[str, float] = {}

    def meaning(fact: Fact) -> float:
        key = phrase(fact)
        if asked is not None and index.metric_vectors is not None and key not in meanings:
            meanings.update(index.metric_vectors.similarity(asked, [fact]) or {key: 0.0})
        return meanings.get(key, 0.0)

    candidates = []
    for rank, h in enumerate(hits[:SENTENCE_PASSAGES]):
        dense = float(index.vectors[_chunk_row(index, h.chunk)] @ qvec) if qvec is not None else 0.0
        for s, e in chunk_sentences(index, h.chunk):
            candidates.append(_evidence(index, query, h, rank, s, e, dense, meaning))
    return max(candidates, key=lambda ev: ev.score, default=None)


def _lookup(index: Index, query: Query, hits: list[Hit], embedder: Embedder | None, looking_back: bool = False) -> Answer:
    best = best_evidence(index, query, hits, embedder)
    if best is None or looking_back and (best.fact is None or best.fact.about not in query.period.years):
        return not_found(query, "没有检索到相关段落", hits[:3])
    # what the reports give instead of the asked figure is said, not answered: a bound for an exact figure, a
    # target for a result (at the bar the answers had before bench/results/answerability_lookalikes.txt raised it)
    partial = query.wants_number and best.fact is not None and answerable(best, query, PARTIAL_THRESHOLD)
    if partial and query.exact and best.fact.qualifier:
        return not_found(query, f"报告只给出约数：{figure(best.fact)}，没有确切数字", hits[:3])
    if partial and not query.target and best.fact.target:  # a plan's 增长3%左右 is not what the year came to
        return not_found(query, f"报告只给出目标：{figure(best.fact)}，没有实际完成的数字", hits[:3])
    if not answerable(best, query):
        change = only_change(index, query, embedder)  # the words a comparison lists such a region with
        if change is not None:
            return not_found(query, f"{change.region}只报告了变化量：“{change.sentence}”（{figure(change)}是同比变化，"
                                    f"没有该指标本身的数字）", hits[:3])
        return not_found(query, "检索到的段落都不包含问题所问的内容", hits[:3])
    c = best.hit.chunk
    citation = cite(index, 1, c.doc, c.section, best.start, best.end)
    lead = figure(best.fact) if best.fact is not None and query.wants_number else ""
    lines = [f"**{lead}**", ""] if lead else []
    lines.append(f"“{citation.quote}”[1]")
    text, blocks = with_sources("\n".join(lines), [citation], query)
    return Answer(query.text, text, "lookup", (citation,), related=tuple(hits[:3]), query=query, blocks=blocks)


def _evidence(index: Index, query: Query, hit: Hit, rank: int, start: int, end: int, dense: float, meaning) -> Evidence:
    """What one candidate sentence has for the question: its words, its figures, its years."""
    chunk = hit.chunk
    text = index.reports[chunk.doc].text[start:end]
    headings = " ".join((chunk.title, *chunk.section))
    piece = Chunk(chunk.doc, start, end, text, chunk.section, chunk.title, chunk.region, chunk.year)
    facts = extract_facts(piece) if query.wants_number else []
    best_fact, best_score = _best_fact(query, facts, meaning)
    years_ok = not query.period.years or any(f"{y}年" in text for y in query.period.years) or (
        best_fact is not None and best_fact.about in query.period.years)
    return Evidence(
        hit=hit, start=start, end=end, rank=rank, dense=dense,
        coverage=coverage(query.terms, text + " " + headings), sentence_coverage=coverage(query.terms, text),
        phrase=phrase_bonus(query, text), metric=best_score, metric_said=metric_said(query, text),
        named=fact_score(query, best_fact) if best_fact is not None else 0.0, head_said=head_said(query, text),
        fact_recall=metric_recall(query, best_fact.context + best_fact.metric) if best_fact is not None else 0.0, fact=best_fact,
        has_number=bool(re.search(r"\d", text)), years_ok=years_ok,
        target_ok=best_fact is None or best_fact.target == query.target,
    )


def _best_fact(query: Query, facts: list[Fact], meaning) -> tuple[Fact | None, float]:
    """The figure of a sentence that answers the question, and how well (fact_score, by name or meaning)."""
    if not facts:
        return None, 0.0
    kind = "change" if query.change else "level"
    sentence_facts = facts
    facts = [f for f in facts if f.kind == kind] or facts
    if query.unit and query.unit not in ("%", "元"):  # 多少笔 asks for 21笔, not the 1.135亿元 beside it
        facts = [f for f in facts if base_unit(f.unit) == query.unit] or facts
    scores = {id(f): 0.0 if f.kind == "change" and counted_otherwise(query, f, sentence_facts) else
              fact_score(query, f, meaning(f)) for f in facts}
    # figures alike in meaning (行政执法培训 579人, 通过考试取得行政执法证 515人) part by the asked name
    by_name = {id(f): fact_score(query, f) for f in facts}
    # a result for a result asked and the asked year each tip a near tie (0.05: set by hand in cdc84ee, not measured)
    scored = [(scores[id(f)] + (0.05 if f.target == query.target else 0) +
               (0.05 if not query.period.years or f.about in query.period.years else 0), f) for f in facts]
    # …收到申请103宗…受理91宗 are one figure once spelt canonically: the words as asked (受理) part them
    asked = query.metric or (query.metric_forms[0] if query.metric_forms else "")
    best, fact = max(scored, key=lambda p: (p[0], by_name[id(p[1])], _shared_pairs(asked, p[1].metric)))
    if not narrower_than(query, fact, fact.sentence):
        return fact, scores[id(fact)]
    # a narrower figure is asked (人均GDP of a sentence giving 地区生产总值): nothing, unless a figure beside it
    # matches nearly as well (成功调解矛盾纠纷: not 排查矛盾纠纷 7244件 but 调解成功 7160件); "nearly": 0.6 of the
    # best, set by hand in 0686977 for that question (probe B, B60), not swept
    close = [(s, f) for s, f in scored if s >= 0.6 * best and f is not fact and not narrower_than(query, f, f.sentence)]
    if close:
        _, other = max(close, key=lambda p: p[0])
        return other, scores[id(other)]
    return fact, 0.0


def _shared_pairs(a: str, b: str) -> int:
    return len({a[i : i + 2] for i in range(len(a) - 1)} & {b[i : i + 2] for i in range(len(b) - 1)})


# ---------------------------------------------------------------- summary


def _summary(index: Index, query: Query, hits: list[Hit], embedder: Embedder | None) -> Answer:
    """The points of the best-matching section: its 一是/二是 or (一)(二) sub-headings, each quoted."""
    terms = query.terms
    topic = _topic_words(query)  # 打算 → 安排 | 计划 | 下一步 …: what a heading of that section says
    headed = [h for h in hits[:SENTENCE_PASSAGES] if any(w in "".join(h.chunk.section) for w in topic)]
    if query.topic == "problem":  # a heading that names problems (存在的不足), not one on 困难群众
        headed = [h for h in headed if _PROBLEM_HEADING.search("".join(h.chunk.section))]
    if query.topic == "problem" and not headed:
        admitted = _admitted_problems(index, query, hits)  # 我们也清醒看到…：A；B；C。 under no heading of its own
        if admitted:
            return admitted
    headed = headed or [h for h in hits[:SENTENCE_PASSAGES] if any(coverage(terms, x) for x in h.chunk.section)]
    top = (headed or hits)[0].chunk
    depth = max(range(len(top.section) + 1), key=lambda d: (coverage(terms, top.section[d - 1]) if d else 0, -d))
    # the point the question names (在化解矛盾纠纷方面: (五)健全矛盾纠纷多元化解机制) is quoted itself; one that
    # matches no better than the section above it (（一）… under 下一步工作计划) gives way to that section
    named = depth >= 1 and coverage(terms, top.section[depth - 1]) > (coverage(terms, top.section[depth - 2]) if depth >= 2 else 0)
    for d in range(depth, 0 if not named else depth - 1, -1):
        parent = top.section[:d]
        points = _section_points(index, top.doc, parent)
        if len(points) >= 2:
            intro = f"一节列出 {len(points)} 点："
            break
    else:  # a section that runs as prose is quoted sentence by sentence, up to five
        parent = top.section[:depth]
        points = _section_points(index, top.doc, parent, prose=True)[:5] if depth else []
        if len(points) < 2:
            return _lookup(index, query, hits, embedder)
        intro = "一节写道："
    text = index.reports[top.doc].text
    points = [(s, _with_body(text, s, e), sec) for s, e, sec in points]
    citations = [cite(index, n, top.doc, sec, s, e) for n, (s, e, sec) in enumerate(points, start=1)]
    path = " > ".join(h.lstrip("、，,. ") for h in parent) or top.title
    lines = [f"{top.region}报告“{path}”{intro}", ""]
    lines += [f"{c.n}. “{c.quote}”[{c.n}]" for c in citations]
    text, blocks = with_sources("\n".join(lines), citations, query)
    return Answer(query.text, text, "lookup", tuple(citations), related=tuple(hits[:3]), query=query, blocks=blocks)


def _with_body(text: str, start: int, end: int, title: int = 30, most: int = 160) -> int:
    """The end of a point quoted with the first sentences of its paragraph when its heading is only a title
    (一是健全完善依法化解纠纷机制。完善“诉调对接”工作机制…): what it did, not just its name."""
    if end - start > title:
        return end
    line_end = text.find("\n", end)
    for _, e in sentence_spans(text, end, len(text) if line_end < 0 else line_end):
        if e - start > most:
            break
        end = e
    return end


_INNER_POINT = re.compile(r"[，,：:]\s*一是")
_PROBLEM_HEADING = re.compile(r"存在|问题|不足|短板|薄弱")
_ADMISSION = re.compile(r"清醒(?:地)?(?:看到|认识到)|也要看到|也必须看到|存在(?:的)?(?:一些)?(?:问题|不足|困难)")


def _admitted_problems(index: Index, query: Query, hits: list[Hit]) -> Answer | None:
    """The problems a report admits in its review's prose ("我们也清醒看到，…：A；B；C。"): that sentence
    and the clauses that follow it on its line, each quoted."""
    docs = list(dict.fromkeys(h.chunk.doc for h in hits))
    for doc in docs:
        text = index.reports[doc].text
        spans = [(s, e, c.section) for c in index.chunks if c.doc == doc for s, e in chunk_sentences(index, c)]
        for n, (s, e, section) in enumerate(spans):
            if not _ADMISSION.search(text[s:e]):
                continue
            heading = heading_of(text[s:e])
            if heading:  # 二、存在的不足: the section it heads lists the problems
                points = _section_points(index, doc, section[: section.index(heading[1]) + 1] if heading[1] in section else section)
                if len(points) >= 2:
                    report = index.reports[doc]
                    return _listed(index, query, hits, doc, points,
                                   f"{report.region}报告“{heading[1].lstrip('、，,. ')}”一节列出 {len(points)} 点：")
                continue
            points = [(s, e, section)]
            for s2, e2, sec2 in spans[n + 1 :]:
                if "\n" in text[points[-1][1] : s2] or len(points) >= 15:
                    break  # the admission ends with its paragraph
                points.append((s2, e2, sec2))
            if len(points) < 2:
                continue  # …但仍存在一些问题和不足。 only announces them: the list is further on
            report = index.reports[doc]
            return _listed(index, query, hits, doc, points, f"{report.region}报告《{report.title}》写道：")
    return None


def _listed(index: Index, query: Query, hits: list[Hit], doc: str, points, heading: str) -> Answer:
    """The points of one report, numbered and each cited, under `heading`."""
    citations = [cite(index, i, doc, sec, a, b) for i, (a, b, sec) in enumerate(points, start=1)]
    lines = [heading, ""] + [f"{c.n}. “{c.quote}”[{c.n}]" for c in citations]
    text, blocks = with_sources("\n".join(lines), citations, query)
    return Answer(query.text, text, "lookup", tuple(citations), related=tuple(hits[:3]), query=query, blocks=blocks)


def _topic_words(query: Query) -> tuple[str, ...]:
    sense = {"plan": "安排", "problem": "问题"}.get(query.topic)
    group = load_thesaurus().group(sense, "sense") if sense else None
    return group.words if group else ()


def _section_points(index: Index, doc: str, parent: tuple[str, ...], prose: bool = False):
    """(start, end, section) of each first-level point under `parent`: its 一是/二是 or (一)(二) sentences.

    With `prose`, the section's sentences that are not headings instead.
    """
    text = index.reports[doc].text
    chunks = [c for c in index.chunks if c.doc == doc and c.section[: len(parent)] == parent]
    if prose:
        return [(s, e, c.section) for c in chunks for s, e in chunk_sentences(index, c) if not heading_of(text[s:e])]
    # Read off the sentences, not the chunk labels: a short 一是 merged into its sibling's chunk counts.
    found: dict[int, tuple[int, int, int, tuple[str, ...]]] = {}
    lost: list[tuple[int, int]] = []  # paragraphs that open with 是… where a saved page lost the numeral (二是)
    for c in chunks:
        for s, e in chunk_sentences(index, c):
            heading = heading_of(text[s:e])
            if heading and heading[1] not in parent:
                found.setdefault(s, (heading[0], s, e, parent + (heading[1],)))
            elif text[s:s + 1] == "是" and text[s - 1 : s] == "\n":
                lost.append((s, e))
            elif _INNER_POINT.search(text[s:e]):  # …但也存在一些薄弱环节，一是…: a point begun inside a sentence
                lost.append((s, e))
    top_rank = min((rank for rank, *_ in found.values()), default=0)
    points = {s: (e, sec) for s, (rank, _, e, sec) in found.items() if rank == top_rank}
    if any(sec[-1][1:2] == "是" for _, sec in points.values()):
        points |= {s: (e, parent + (text[s:e].rstrip("。；;"),)) for s, e in lost}
    return [(s, e, sec) for s, (e, sec) in sorted(points.items())]


# ---------------------------------------------------------------- the index itself, not found


def describe_index(index: Index, query: Query) -> Answer:
    """索引里有哪些地区的报告? 有没有广州的报告? 宝安区有哪几年的报告?"""
    reports = sorted(index.reports.values(), key=lambda r: (r.region, r.year or 0))
    if query.unknown_places and not query.regions:
        names = "、".join(query.unknown_places)
        return Answer(query.text, f"索引中没有{names}的报告。共有 {len(reports)} 份报告，涉及 {len(index.regions)} 个地区。",
                      "lookup", query=query)
    asked = set(query.regions) or set(query.scope.regions)  # 省级政府工作报告: the provinces' reports
    wanted = [r for r in reports if not asked or r.region in asked]
    kind = query.report_kind  # 哪几份是法治政府建设情况报告
    wanted = [r for r in wanted if not kind or read_kind(r) == kind] or wanted
    by_region: dict[str, list] = {}
    for r in wanted:
        by_region.setdefault(r.region, []).append(r)
    gazetteer = index.gazetteer()
    known = [r for r in by_region if r]
    lines = [f"索引中有 {len(wanted)} 份{kind or '报告'}，涉及 {len(known)} 个地区{'，另有地区不详的报告' if '' in by_region else ''}：", ""]
    for region, rs in sorted(by_region.items(), key=lambda kv: not kv[0]):
        place = gazetteer.regions.get(region)
        parent = "".join(place.parents[-1:]) if place else ""
        name = region or "地区不详（可用 rag fix 或界面更正）"
        lines.append(f"- {name}{'（' + parent + '）' if parent and parent != region else ''}："
                     + "、".join(f"{f'{r.year}年' if r.year else '年份不详'}《{r.title}》" for r in rs))
    return Answer(query.text, "\n".join(lines), "lookup", query=query)


def not_found(query: Query, why: str, hits: list[Hit]) -> Answer:
    lines = [(TEXT, f"报告中未找到“{query.text}”的答案（{why}）。")]
    reading = query.reading()
    if reading:
        lines += [(TEXT, ""), (READING, f"*{reading}*")]
    if hits:
        lines += [(TEXT, ""), (RELATED, "以下段落相关，但不能回答这个问题：")]
        for h in hits[:3]:
            c = h.chunk
            lines.append((RELATED, f"- {c.region} {c.year or ''}《{c.title}》{' > '.join(c.section)}：{c.text[:80]}…"))
    return Answer(query.text, "\n".join(line for _, line in lines), "not_found", related=tuple(hits[:3]), query=query,
                  blocks=grouped(lines))


# ---------------------------------------------------------------- a chunk's sentences and row


def chunk_sentences(index: Index, chunk: Chunk):
    return sentence_spans(index.reports[chunk.doc].text, chunk.start, chunk.end)


def _chunk_row(index: Index, chunk: Chunk) -> int:
    return index.chunks.rows_by_start[(chunk.doc, chunk.start)]  # from the chunk columns
