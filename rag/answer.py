"""Answers without an LLM: verbatim quotes with citations, cross-report comparisons, or "not found".

Three modes:
- lookup: the sentence(s) that hold the answer, quoted exactly, led by the figure when one is asked for;
- compare: 最高/最低/哪些达到/各地分别 questions answered from the facts of every report, one cited row each;
- not_found: nothing retrieved supports the question; the closest passages are shown as related only.
"""

from __future__ import annotations

import bisect
import re

import numpy as np

from rag.crosslingual import has_cjk
from rag.embed import Embedder
from rag.facts import (
    FIELDS,
    base_unit,
    extract_facts,
    metric_score,
    normalized_value,
    split_question_metric,
    states_a_goal,
)
from rag.question import (
    ASKED_UNIT,
    CHANGE_WORD,
    GOAL_ASKED,
    NUMBER_WANTED,
    RATE_WANTED,
    SENSES,
    YEAR_ASKED,
    Intent,
    asks_for_change,
    detect_intent,
    overlap,
    phrase_bonus,
    question_core,
    question_terms,
    regions_of_level,
    report_years,
    unindexed_places,
)
from rag.search import regions_in, search, short_names
from rag.sections import heading_of, sentence_spans
from rag.store import Index, searchable_text
from rag.types import Answer, Chunk, Citation, Fact, Hit, Row

# A fact must match the asked metric at least this well to enter a comparison (metric_score in [0, 1]).
MIN_METRIC_SCORE = 0.45
# ... and at least this share of the best match's score, so a near metric does not join the ranking.
RELATIVE_METRIC_SCORE = 0.75
# Share of the question's content words that the best passage must contain to count as support
# (calibrated on the development questions, see bench/).
MIN_SUPPORT = 0.6

def ask(
    index: Index,
    question: str,
    regions: list[str] | None = None,
    years: list[int] | None = None,
    embedder: Embedder | None = None,
) -> Answer:
    """Answer `question` from the indexed reports, quoting them verbatim."""
    question = question.strip()
    if not question:
        return Answer(question, "请输入问题。", "not_found")
    missing = unindexed_places(index, question) if not regions else []
    if missing:
        hits = search(index, question, k=3, years=years, embedder=embedder)
        return _not_found(question, f"索引中没有{'、'.join(missing)}的报告", hits)
    intent = detect_intent(question)
    if not years:
        years = report_years(index, question, regions, plans=intent.kind == "summary")
        if years == []:
            named = "、".join(regions or regions_in(question, index.regions))
            asked = YEAR_ASKED.findall(question) or re.findall(r"\b20\d{2}\b", question)
            return _not_found(question, f"索引中没有{named}{'、'.join(asked)}年的报告", [])
    if intent.kind in ("superlative", "threshold", "enumerate"):
        answer = _compare(index, question, intent, regions, years, embedder)
        if answer is not None:
            return answer
    query = question
    if intent.kind == "summary":  # find the heading that says 安排 when the question says 打算
        query = " ".join([question, *(w for group in SENSES if any(x in question for x in group) for w in group)])
    hits = search(index, query, k=8, regions=regions, years=years, embedder=embedder)
    if not hits:
        return _not_found(question, "没有检索到相关段落", [])
    if not _supported(index, question, hits):
        return _not_found(question, "检索到的段落都不包含问题所问的内容", hits[:3])
    if intent.kind == "summary":
        return _summary(index, question, hits)
    return _lookup(index, question, hits)


# ---------------------------------------------------------------- lookup


def _lookup(index: Index, question: str, hits: list[Hit]) -> Answer:
    sentences = [(s, e, h.chunk) for h in hits[:5] for s, e in _chunk_sentences(index, h.chunk)]
    terms = question_terms(index, question)
    wants_number = bool(NUMBER_WANTED.search(question))
    core = question_core(index, question)
    goals = bool(GOAL_ASKED.search(question))
    asked_years = YEAR_ASKED.findall(question)  # a sentence that names the year asked about is likelier on it

    def score(rank: int, text: str, section: tuple[str, ...]) -> float:
        value = overlap(terms, text) + phrase_bonus(core, text) - 0.02 * rank
        if wants_number:
            value += 0.3 if _has_number(text) else 0
            # a result is not a target: 粮食产量 is 1352.3万吨, not the 1300万吨以上 planned for next year
            value += 0.2 if states_a_goal(text, section) == goals else -0.2
        return value + (0.15 if any(f"{y}年" in text for y in asked_years) else 0)

    scores = [score(rank, index.reports[c.doc].text[s:e], c.section) for rank, (s, e, c) in enumerate(sentences)]
    best = int(np.argmax(scores))
    s, e, chunk = sentences[best]
    citation = _citation(index, 1, chunk.doc, chunk.section, s, e)
    lead = _direct_figure(index, question, chunk, s, e)
    lines = [f"**{lead}**", ""] if lead else []
    lines.append(f"“{citation.quote}”[1]")
    return Answer(question, _with_sources("\n".join(lines), [citation]), "lookup", (citation,), related=tuple(hits[:3]))


def _direct_figure(index: Index, question: str, chunk: Chunk, start: int, end: int) -> str:
    """The figure a how-many question asks for, read off the quoted sentence ("644件")."""
    if not NUMBER_WANTED.search(question):
        return ""
    piece = Chunk(chunk.doc, start, end, chunk.text[start - chunk.start : end - chunk.start], chunk.section, chunk.title, chunk.region, chunk.year)
    change = asks_for_change(question)
    facts = [f for f in extract_facts(piece) if f.kind == ("change" if change else "level")]
    if not facts:
        return ""
    if not has_cjk(question):  # English: the figure whose phrase holds the most of the question's terms
        terms, rate = question_terms(index, question), bool(RATE_WANTED.search(question))
        return _figure(max(facts, key=lambda f: ((f.unit == "%") == rate, overlap(terms, f.context + f.metric))))
    asked = ASKED_UNIT.search(question)  # 多少笔 asks for 21笔, not the 1.135亿元 beside it
    facts = [f for f in facts if asked and base_unit(f.unit) == asked.group(1)] or facts
    metric, context = split_question_metric(question)
    metric = CHANGE_WORD.sub("", metric) if change else metric
    best = max(facts, key=lambda f: metric_score(metric, context, f, change))
    if metric_score(metric, context, best, change) < 0.2 and len(facts) > 1:
        return ""
    return _figure(best)


# ---------------------------------------------------------------- summary


def _summary(index: Index, question: str, hits: list[Hit]) -> Answer:
    """The points of the best-matching section: its 一是/二是 or (一)(二) sub-headings, each quoted."""
    terms = question_terms(index, question)
    # For 打算 / 不足 questions, the best passage under a heading that says so (主要安排, 存在的不足).
    senses = [w for group in SENSES if any(x in question for x in group) for w in group]
    headed = [h for h in hits[:5] if any(w in "".join(h.chunk.section) for w in senses)]
    # else the first passage whose headings name the topic at all ("2025年政府工作" for 政府工作…重点任务)
    headed = headed or [h for h in hits[:5] if any(overlap(terms, x) for x in h.chunk.section)]
    top = (headed or hits)[0].chunk
    depth = max(range(len(top.section) + 1), key=lambda d: (overlap(terms, top.section[d - 1]) if d else 0, -d))
    # A point with no sub-points of its own (二是…落地) gives way to the section above it.
    for d in range(depth, 0, -1):  # depth 0 (no heading names the topic): quote the best sentence instead
        parent = top.section[:d]
        points = _section_points(index, top.doc, parent)
        if len(points) >= 2:
            intro = f"一节列出 {len(points)} 点："
            break
    else:
        # A section that runs as prose ("比如…") is quoted sentence by sentence, up to five.
        parent = top.section[:depth]
        points = _section_points(index, top.doc, parent, prose=True)[:5] if depth else []
        if len(points) < 2:
            return _lookup(index, question, hits)
        intro = "一节写道："
    citations = [_citation(index, n, top.doc, sec, s, e) for n, (s, e, sec) in enumerate(points, start=1)]
    path = " > ".join(parent) or top.title
    lines = [f"{top.region}报告“{path}”{intro}", ""]
    lines += [f"{c.n}. “{c.quote}”[{c.n}]" for c in citations]
    return Answer(question, _with_sources("\n".join(lines), citations), "lookup", tuple(citations), related=tuple(hits[:3]))


def _section_points(
    index: Index, doc: str, parent: tuple[str, ...], prose: bool = False
) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, section) of each first-level point under `parent`: its 一是/二是 or (一)(二) sentences.

    With `prose`, the section's sentences that are not headings instead.
    """
    if prose:
        text = index.reports[doc].text
        return [
            (s, e, c.section)
            for c in index.chunks
            if c.doc == doc and c.section[: len(parent)] == parent
            for s, e in _chunk_sentences(index, c)
            if not heading_of(text[s:e])
        ]
    text = index.reports[doc].text
    # Read off the sentences, not the chunk labels: a short 一是 merged into its sibling's chunk counts.
    found: dict[int, tuple[int, int, int, tuple[str, ...]]] = {}
    for c in index.chunks:
        if c.doc != doc or c.section[: len(parent)] != parent:
            continue
        for s, e in _chunk_sentences(index, c):
            heading = heading_of(text[s:e])
            if heading and heading[1] not in parent:
                found.setdefault(s, (heading[0], s, e, parent + (heading[1],)))
    top_rank = min((rank for rank, *_ in found.values()), default=0)
    return [(s, e, sec) for s, (rank, _, e, sec) in sorted(found.items()) if rank == top_rank]


# ---------------------------------------------------------------- compare


def _compare(index, question, intent, regions, years, embedder) -> Answer | None:
    metric, context = split_question_metric(question)
    change = asks_for_change(question)  # 增速最快: rank the changes, not the levels
    metric = CHANGE_WORD.sub("", metric) if change else metric
    named = regions_in(question, index.regions)
    for region in named:  # 福建和陕西…哪个更高: the places are not the metric
        for name in (region, *short_names(region)):
            metric = metric.replace(name, "")
    metric = metric.lstrip("和与及、跟同")
    if not metric:
        return None
    wanted_regions = set(regions or ()) or set(named) or regions_of_level(index, question)
    goals = bool(GOAL_ASKED.search(question))  # results are ranked with results, targets with targets
    candidates = [
        f for f in index.facts
        if (not wanted_regions or f.region in wanted_regions) and (not years or f.year in years) and f.target == goals
    ]
    scored = [(metric_score(metric, context, f, change), f) for f in candidates]
    if not scored:
        return None
    # Only figures of the asked metric, not its neighbours: 化解率 is no 调解率 when 调解率 is given.
    cutoff = max(MIN_METRIC_SCORE, RELATIVE_METRIC_SCORE * max(s for s, _ in scored))
    scored = [(s, f) for s, f in scored if s >= cutoff]
    if not scored:
        return None
    scored = _add_dense_evidence(index, question, scored, embedder)
    best_level: dict[str, tuple[float, Fact]] = {}
    best_change: dict[str, tuple[float, Fact]] = {}
    for s, f in scored:
        table = best_level if f.kind == "level" or change else best_change
        if f.doc not in table or s > table[f.doc][0]:
            table[f.doc] = (s, f)
    # A region with reports of several years is compared by its latest figure: one row per region.
    best_level = _latest_per_region(best_level)
    ranked_regions = {f.region for _, f in best_level.values()}
    best_change = {d: v for d, v in _latest_per_region(best_change).items() if v[1].region not in ranked_regions}
    if not best_level:
        return None
    levels = [f for _, f in best_level.values()]
    levels.sort(key=lambda f: (-normalized_value(f) if intent.descending else normalized_value(f), f.region))
    citations, rows = [], []
    for f in levels:
        c = _citation(index, len(citations) + 1, f.doc, f.section, f.start, f.end)
        citations.append(c)
        rows.append(Row(f.region, f.year, f.value, f.unit, f.qualifier, f.kind, f.metric, c))
    head = _compare_headline(question, intent, levels, metric + ("增速" if change else ""), context)
    lines = [head, "", "| 地区 | 年份 | 指标 | 数值 | 原文 |", "|---|---|---|---|---|"]
    for r in rows:
        quote = r.citation.quote.replace("|", "｜")
        lines.append(f"| {r.region} | {r.year or ''} | {r.metric} | {_figure(r)} | “{quote}”[{r.citation.n}] |")
    others = []
    for _, f in sorted(best_change.values(), key=lambda v: v[1].region):  # regions with no ranked row
        c = _citation(index, len(citations) + 1, f.doc, f.section, f.start, f.end)
        citations.append(c)
        others.append(f"- {f.region}只报告了变化量：“{c.quote}”[{c.n}]（{_figure(f)}是同比变化，不是{metric}本身，未参与排名）")
    silent = sorted({r.region for r in index.reports.values() if r.doc not in best_level and r.doc not in best_change
                     and (not wanted_regions or r.region in wanted_regions) and (not years or r.year in years)})
    if silent:
        others.append(f"- 未给出该数字：{'、'.join(silent)}")
    if others:
        lines += ["", "其他报告："] + others
    return Answer(question, _with_sources("\n".join(lines), citations), "compare", tuple(citations), tuple(rows))


def _latest_per_region(best: dict[str, tuple[float, Fact]]) -> dict[str, tuple[float, Fact]]:
    latest: dict[str, tuple[str, tuple[float, Fact]]] = {}
    for doc, (score, fact) in best.items():
        kept = latest.get(fact.region)
        if kept is None or (fact.year or 0, score) > (kept[1][1].year or 0, kept[1][0]):
            latest[fact.region] = (doc, (score, fact))
    return dict(latest.values())


def _compare_headline(question: str, intent: Intent, levels: list[Fact], metric: str, context: str) -> str:
    metric = re.sub(r"^(?:开展|组织|举办|办理|受理|实现|完成)(?=..)", "", metric)  # 开展法治宣传活动场次 → 法治宣传活动场次
    named_in_metric = context in metric or any(alias in metric for alias in FIELDS.get(context, ()))
    label = f"{context}{metric}" if context and not named_in_metric else metric
    if intent.kind == "threshold":
        op = (lambda v: v >= intent.threshold) if intent.threshold_op == ">=" else (lambda v: v <= intent.threshold)
        hit = [f for f in levels if op(f.value)]
        if not hit:
            return f"没有报告的{label}{'达到' if intent.threshold_op == '>=' else '低于'}{intent.threshold:g}。"
        return f"**{'、'.join(f.region for f in hit)}**的{label}{'达到' if intent.threshold_op == '>=' else '低于'}{_fmt(intent.threshold)}{hit[0].unit}（共 {len(hit)} 个）。"
    if intent.kind == "enumerate":
        return "各地" + label + "：" + "；".join(f"{f.region}{_figure(f)}" for f in levels) + "。"
    top = levels[0]
    ties = [f for f in levels if normalized_value(f) == normalized_value(top)]
    word = "最高" if intent.descending else "最低"
    asked_word = re.search(r"最(多|少|快|慢|大|小)", question)
    if asked_word:
        word = asked_word.group()
    elif re.search(r"(多|少)[？?。]?$", question):
        word = "最多" if intent.descending else "最少"
    names = "、".join(f.region for f in ties) + ("并列" if len(ties) > 1 else "")
    return f"**{names}{word}**：{label}{_figure(top)}（{top.year}年）[1]"


def _add_dense_evidence(index: Index, question: str, scored, embedder):
    """Break lexical near-ties by how close each fact's passage is to the question in meaning."""
    if not index.chunks:
        return scored
    embedder = embedder or index.embedder()
    q = embedder.encode_query([question])[0]
    starts = {}
    for i, c in enumerate(index.chunks):
        starts.setdefault(c.doc, []).append((c.start, i))
    out = []
    for s, f in scored:
        spans = starts.get(f.doc, [])
        pos = bisect.bisect_right(spans, (f.start, len(index.chunks))) - 1
        sim = float(index.vectors[spans[pos][1]] @ q) if pos >= 0 else 0.0
        out.append((s + 0.1 * sim, f))
    return out


# ---------------------------------------------------------------- support and not found


def _supported(index: Index, question: str, hits: list[Hit]) -> bool:
    """Do the best passages contain what the question asks about (not just its region and year)?"""
    terms = question_terms(index, question)
    if not terms:
        return True
    # The title and headings count: "存在哪些不足" is answered by a section headed 存在不足.
    return max(overlap(terms, searchable_text(h.chunk)) for h in hits[:3]) >= MIN_SUPPORT


def _not_found(question: str, why: str, hits: list[Hit]) -> Answer:
    lines = [f"报告中未找到“{question}”的答案（{why}）。"]
    if hits:
        lines += ["", "以下段落相关，但不能回答这个问题："]
        for h in hits[:3]:
            c = h.chunk
            lines.append(f"- {c.region} {c.year or ''}《{c.title}》{' > '.join(c.section)}：{c.text[:80]}…")
    return Answer(question, "\n".join(lines), "not_found", related=tuple(hits[:3]))


# ---------------------------------------------------------------- helpers


def _chunk_sentences(index: Index, chunk: Chunk):
    return sentence_spans(index.reports[chunk.doc].text, chunk.start, chunk.end)


def _citation(index: Index, n: int, doc: str, section: tuple[str, ...], start: int, end: int) -> Citation:
    r = index.reports[doc]
    return Citation(n, doc, r.title, r.region, r.year, tuple(section), r.text[start:end], start, end)


def _with_sources(body: str, citations: list[Citation]) -> str:
    lines = [body, "", "来源："]
    for c in citations:
        path = " > ".join(c.section)
        lines.append(f"[{c.n}] 《{c.title}》{(' ' + path) if path else ''}｜{c.region} {c.year or ''}年".rstrip("年") + ("年" if c.year else ""))
    return "\n".join(lines)


def _figure(f: Fact | Row) -> str:
    """The figure as the reports write it: 约600件, 2万余人次, 98%以上."""
    number = _fmt(f.value)
    if f.qualifier in ("约", "近", "超过", "逾"):
        return f"{f.qualifier}{number}{f.unit}"
    if f.qualifier in ("余", "多"):  # after the magnitude, before the unit: 2万余人次, 20余场
        magnitude = f.unit[:1] if f.unit[:1] in "万亿千百" and len(f.unit) > 1 else ""
        return f"{number}{magnitude}{f.qualifier}{f.unit[len(magnitude):]}"
    return f"{number}{f.unit}{f.qualifier}"


def _fmt(value: float) -> str:
    return format(value, "f").rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _has_number(text: str) -> bool:
    return bool(re.search(r"\d", text))
