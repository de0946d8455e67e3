"""Answers without an LLM: verbatim quotes with citations, cross-report comparisons, or "not found".

Three modes:
- lookup: the sentence(s) that hold the answer, quoted exactly, led by the figure when one is asked for;
- compare: 最高/最低/哪些达到/各地分别 questions answered from the facts of every report, one cited row each;
- not_found: nothing retrieved supports the question; the closest passages are shown as related only.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from rag.crosslingual import chinese_terms, has_cjk
from rag.embed import Embedder, load_embedder
from rag.facts import (
    base_unit,
    extract_facts,
    metric_score,
    normalized_value,
    split_question_metric,
    states_a_goal,
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

_SUPERLATIVE = re.compile(r"最(高|多|大|好|快|低|少|小|差|慢)|排名|排第一|第一")
# Two named regions: "镜湖区和鹿城区哪个法律援助案件多?"
_WHICH_MORE = re.compile(r"(?:哪个|哪一个|谁)[^，。？?]*?(?:更|较)?(高|多|大|低|少|小)[？?。]?$")
_THRESHOLD = re.compile(r"(达到|达|超过|高于|不低于|以上|低于|不足|少于|不到)\s*(\d+(?:\.\d+)?)\s*(%|％)?")
_ENUMERATE = re.compile(r"各(地|区|市|县|省)|分别|每个(地区|区|市|县)|各个|逐一|列出|比较|对比|相比")
_NUMBER_WANTED = re.compile(
    r"多少|几(个|项|件|次|人|名|家|场)?|[率比]|数量|金额|规模|\bhow (many|much)\b|\b(rate|percentage|share|number)\b", re.I
)
# Questions about growth: the answer is a change (增长5.1%), not a level.
_CHANGE_ASKED = re.compile(
    r"增速|增幅|增长率|涨幅|降幅|(增长|下降|提高|提升|增加|减少)(了)?(多少|最快|最多|最慢|最少|幅度|目标|预期)|增长最|下降最"
)
_CHANGE_ASKED_EN = re.compile(r"\b(growth|grow|grew|increase[ds]?|rise|rose|decline[ds]?|fell)\b", re.I)
_CHANGE_WORD = re.compile(r"(增速|增幅|增长率|涨幅|降幅|增长|下降|提高|提升|增加|减少)(幅度|目标|预期目标|预期)?$")
_GOAL_ASKED = re.compile(r"目标|预期|计划|力争|打算|安排|\b(target|goal|plan)s?\b", re.I)
_ASKED_UNIT = re.compile(r"(?:多少|几)(人次|户次|件次|场次|个|件|项|次|人|名|家|场|笔|户|所|座|条|份|起|期|批|天|元)")
_RATE_WANTED = re.compile(r"率|比例|百分|\b(rate|percent|percentage|share|proportion|ratio)\b", re.I)
_SUMMARY = re.compile(r"哪些|什么|如何|怎样|怎么|情况|举措|措施|做法|不足|问题|安排|计划|经验|成效")
_GENERIC_PLACE = re.compile(r"[全各本我该辖城市社园景小片县地哪每个那这]")
_PLACE = re.compile(r"([\u4e00-\u9fff]{1,6}?(?:自治区|新区|高区|区|市|县|省|旗))")
_MUNICIPALITIES = {"北京市", "上海市", "天津市", "重庆市"}  # province-level cities
# Province-level names as people write them, to tell "香港…" or "浙江…" from a place the index has.
_PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 "
    "四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()
# Words reports use interchangeably in their headings: a question's 打算 is a heading's 安排.
_SENSES = [("打算", "安排", "计划", "思路", "下一步", "重点工作"), ("不足", "问题", "短板", "差距", "困难", "挑战")]
_SAME_SENSE = {w: group for group in _SENSES for w in group}
_REPORT_YEAR = re.compile(r"(20\d{2})\s*年(?:度)?的?(?:政府工作|法治政府建设(?:情况)?|工作)?报告")  # the report's own year
_YEAR_ASKED = re.compile(r"(20\d{2})\s*年(?!以来|来|底前|之前)")
_YEAR = re.compile(r"(19|20)\d{2}年?")
# Question scaffolding, not content: "…工作做得怎么样", "采取了哪些措施".
_CONTENT_STOP = {"多少", "全年", "哪些", "什么", "情况", "一共", "总共", "报告", "地区", "怎么样", "怎样", "如何",
                 "采取", "方面", "有关", "相关", "具体", "主要", "哪个", "哪里", "请问", "介绍", "一下", "举措", "措施",
                 "做法"}
_SCAFFOLD = re.compile("|".join(sorted((w for w in _CONTENT_STOP if len(w) > 1), key=len, reverse=True)))


@dataclass(frozen=True)
class Intent:
    """What kind of question this is."""

    kind: str  # "superlative" | "threshold" | "enumerate" | "lookup" | "summary"
    descending: bool = True
    threshold: float | None = None
    threshold_op: str = ""


def detect_intent(question: str) -> Intent:
    """Recognise 最高/最低, 哪些…达到, 各地…分别 and plain lookups."""
    q = question.strip()
    m = _THRESHOLD.search(q)
    if m and re.search(r"哪些|哪几|哪个|有几个", q):
        op = m.group(1)
        return Intent("threshold", threshold=float(m.group(2)), threshold_op="<=" if op in ("低于", "不足", "少于", "不到") else ">=")
    sup = _SUPERLATIVE.search(q) or _WHICH_MORE.search(q)
    if sup and re.search(r"哪|谁|排名|排第一", q):
        low = sup.group(1) in ("低", "少", "小", "差", "慢") if sup.lastindex else False
        return Intent("superlative", descending=not low)
    if _ENUMERATE.search(q) and _NUMBER_WANTED.search(q):
        return Intent("enumerate")
    if _SUMMARY.search(q) and not _NUMBER_WANTED.search(q):
        return Intent("summary")
    return Intent("lookup")


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
    missing = _unindexed_places(index, question) if not regions else []
    if missing:
        hits = search(index, question, k=3, years=years, embedder=embedder)
        return _not_found(question, f"索引中没有{'、'.join(missing)}的报告", hits)
    if not years:
        years = _report_years(index, question, regions, plans=detect_intent(question).kind == "summary")
        if years == []:
            named = "、".join(regions or regions_in(question, index.regions))
            asked = _YEAR_ASKED.findall(question) or re.findall(r"\b20\d{2}\b", question)
            return _not_found(question, f"索引中没有{named}{'、'.join(asked)}年的报告", [])
    intent = detect_intent(question)
    if intent.kind in ("superlative", "threshold", "enumerate"):
        answer = _compare(index, question, intent, regions, years, embedder)
        if answer is not None:
            return answer
    query = question
    if intent.kind == "summary":  # find the heading that says 安排 when the question says 打算
        query = " ".join([question, *(w for group in _SENSES if any(x in question for x in group) for w in group)])
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
    terms = _terms(index, question)
    wants_number = bool(_NUMBER_WANTED.search(question))
    core = _question_core(index, question)
    goals = bool(_GOAL_ASKED.search(question))
    asked_years = _YEAR_ASKED.findall(question)  # a sentence that names the year asked about is likelier on it
    scores = [
        _overlap(terms, index.reports[c.doc].text[s:e])
        + (0.3 if wants_number and _has_number(index.reports[c.doc].text[s:e]) else 0)
        # a result is not a target: 粮食产量 is 1352.3万吨, not the 1300万吨以上 planned for next year
        + (0.0 if not wants_number else 0.2 if states_a_goal(index.reports[c.doc].text[s:e], c.section) == goals else -0.2)
        + _phrase_bonus(core, index.reports[c.doc].text[s:e])
        + (0.15 if any(f"{y}年" in index.reports[c.doc].text[s:e] for y in asked_years) else 0)
        - 0.02 * rank
        for rank, (s, e, c) in enumerate(sentences)
    ]
    best = int(np.argmax(scores))
    s, e, chunk = sentences[best]
    citation = _citation(index, 1, chunk.doc, chunk.section, s, e)
    lead = _direct_figure(index, question, chunk, s, e)
    lines = [f"**{lead}**", ""] if lead else []
    lines.append(f"“{citation.quote}”[1]")
    return Answer(question, _with_sources("\n".join(lines), [citation]), "lookup", (citation,), related=tuple(hits[:3]))


def _direct_figure(index: Index, question: str, chunk: Chunk, start: int, end: int) -> str:
    """The figure a how-many question asks for, read off the quoted sentence ("644件")."""
    if not _NUMBER_WANTED.search(question):
        return ""
    piece = Chunk(chunk.doc, start, end, chunk.text[start - chunk.start : end - chunk.start], chunk.section, chunk.title, chunk.region, chunk.year)
    change = bool(_CHANGE_ASKED.search(question) or (not has_cjk(question) and _CHANGE_ASKED_EN.search(question)))
    facts = [f for f in extract_facts(piece) if f.kind == ("change" if change else "level")]
    if not facts:
        return ""
    if not has_cjk(question):  # English: the figure whose phrase holds the most of the question's terms
        terms, rate = _terms(index, question), bool(_RATE_WANTED.search(question))
        return _figure(max(facts, key=lambda f: ((f.unit == "%") == rate, _overlap(terms, f.context + f.metric))))
    asked = _ASKED_UNIT.search(question)  # 多少笔 asks for 21笔, not the 1.135亿元 beside it
    facts = [f for f in facts if asked and base_unit(f.unit) == asked.group(1)] or facts
    metric, context = split_question_metric(question)
    metric = _CHANGE_WORD.sub("", metric) if change else metric
    best = max(facts, key=lambda f: metric_score(metric, context, f, change))
    if metric_score(metric, context, best, change) < 0.2 and len(facts) > 1:
        return ""
    return _figure(best)


# ---------------------------------------------------------------- summary


def _summary(index: Index, question: str, hits: list[Hit]) -> Answer:
    """The points of the best-matching section: its 一是/二是 or (一)(二) sub-headings, each quoted."""
    terms = _terms(index, question)
    # For 打算 / 不足 questions, the best passage under a heading that says so (主要安排, 存在的不足).
    senses = [w for group in _SENSES if any(x in question for x in group) for w in group]
    headed = [h for h in hits[:5] if any(w in "".join(h.chunk.section) for w in senses)]
    # else the first passage whose headings name the topic at all ("2025年政府工作" for 政府工作…重点任务)
    headed = headed or [h for h in hits[:5] if any(_overlap(terms, x) for x in h.chunk.section)]
    top = (headed or hits)[0].chunk
    depth = max(range(len(top.section) + 1), key=lambda d: (_overlap(terms, top.section[d - 1]) if d else 0, -d))
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
    change = bool(_CHANGE_ASKED.search(question))  # 增速最快: rank the changes, not the levels
    metric = _CHANGE_WORD.sub("", metric) if change else metric
    for region in regions_in(question, index.regions):  # 福建和陕西…哪个更高: the places are not the metric
        for name in (region, *short_names(region)):
            metric = metric.replace(name, "")
    metric = metric.lstrip("和与及、跟同")
    if not metric:
        return None
    wanted_regions = set(regions or ()) or set(regions_in(question, index.regions)) or _regions_of_level(index, question)
    goals = bool(_GOAL_ASKED.search(question))  # results are ranked with results, targets with targets
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
        lines.append(f"| {r.region} | {r.year or ''} | {r.metric} | {_figure_row(r)} | “{quote}”[{r.citation.n}] |")
    others = []
    for doc, (_, f) in sorted(best_change.items(), key=lambda kv: kv[1][1].region):
        if doc in best_level:
            continue
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


def _regions_of_level(index: Index, question: str) -> set[str]:
    """The regions a 哪个区 / 各省 question ranges over: districts and counties are not ranked against provinces."""
    m = re.search(r"(?:哪个|哪一个|哪些|哪几个|各|每个)(区|县|市|省)", question)
    if not m:
        return set()
    level = m.group(1)

    def is_province(region: str) -> bool:
        return region.endswith(("省", "自治区")) or region in _MUNICIPALITIES

    if level == "省":
        return {r for r in index.regions if is_province(r)}
    if level == "市":
        return {r for r in index.regions if not r.endswith(("省", "自治区"))}
    return {r for r in index.regions if not is_province(r)}


def _compare_headline(question: str, intent: Intent, levels: list[Fact], metric: str, context: str) -> str:
    label = f"{context}{metric}" if context and context not in metric else metric
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
    embedder = embedder or load_embedder(index.model)
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
    terms = _terms(index, question)
    if not terms:
        return True
    # The title and headings count: "存在哪些不足" is answered by a section headed 存在不足.
    return max(_overlap(terms, searchable_text(h.chunk)) for h in hits[:3]) >= MIN_SUPPORT


def _not_found(question: str, why: str, hits: list[Hit]) -> Answer:
    lines = [f"报告中未找到“{question}”的答案（{why}）。"]
    if hits:
        lines += ["", "以下段落相关，但不能回答这个问题："]
        for h in hits[:3]:
            c = h.chunk
            lines.append(f"- {c.region} {c.year or ''}《{c.title}》{' > '.join(c.section)}：{c.text[:80]}…")
    return Answer(question, "\n".join(lines), "not_found", related=tuple(hits[:3]))


def _report_years(index: Index, question: str, regions: list[str] | None, plans: bool = False) -> list[int] | None:
    """The report years a question about year Y means. None when it names no year; [] when a named
    region has no report for it.

    A 政府工作报告 of year Y+1 reviews year Y and sets the targets of Y+1; a 法治政府建设 report of
    year Y reviews Y and plans Y+1. "2024年政府工作报告" names the report itself.
    """
    asked = {int(y) for y in _YEAR_ASKED.findall(question)}
    if not has_cjk(question):  # "in 2023"
        asked = {int(y) for y in re.findall(r"\b(20\d{2})\b", question)}
    if not asked:
        return None
    if _REPORT_YEAR.search(question):
        return sorted({int(y) for y in _REPORT_YEAR.findall(question)})
    named = set(regions or ()) or set(regions_in(question, index.regions))
    reports = [r for r in index.reports.values() if r.year and (not named or r.region in named)]
    goals = bool(_GOAL_ASKED.search(question))

    def meant(report) -> set[int]:  # `plans`: "2025年有哪些举措" may be what a report plans for that year
        if "工作报告" in report.title:
            return asked if goals or plans else {y + 1 for y in asked}
        return {y - 1 for y in asked} if goals else asked | ({y - 1 for y in asked} if plans else set())

    precise = sorted({r.year for r in reports if r.year in meant(r)})
    if named and not precise:  # no report on Y yet: that year's own 政府工作报告 still says what Y was to bring
        precise = sorted({r.year for r in reports if "工作报告" in r.title and r.year in asked})
    if named:  # 镜湖区2023年… is not answered from the report on 2024
        return precise
    loose = sorted({r.year for r in reports} & (asked | {y + 1 for y in asked} | ({y - 1 for y in asked} if goals else set())))
    return loose if loose or named else None


def _unindexed_places(index: Index, question: str) -> list[str]:
    """Place names in the question (朝阳区) that no indexed report is about."""
    known = set(index.regions) | {r.title for r in index.reports.values()}
    named = regions_in(question, index.regions)  # 浙江省温州市鹿城区 is about 鹿城区
    out = [p for p in _PROVINCES if p in question and not named and not any(k.startswith(p) for k in known)]
    for m in _PLACE.finditer(_YEAR.sub(" ", question)):  # not 年来区 in "2021年来区访"
        name = m.group(1).lstrip("和与及跟同")
        if _GENERIC_PLACE.search(name[:-1][-1:]) or len(name) < 2 or _GENERIC_PLACE.match(name):
            continue
        # A name the reports use is no unknown place: 来区 of 来区访, 北京市 in a report on 朝阳区.
        if any(name in k or k in name for k in known) or any(name in r.text for r in index.reports.values()):
            continue
        if not _encloses_a_named_region(question, m.end(), named):  # 温州市 of 温州市鹿城区
            out.append(name)
    return out


def _encloses_a_named_region(question: str, end: int, named: list[str]) -> bool:
    for region in named:
        at = question.find(region, end)
        if at >= end and re.fullmatch(r"[\u4e00-\u9fff]{0,12}", question[end:at]) and not re.search(r"[和与及跟同]", question[end:at]):
            return True
    return False


# ---------------------------------------------------------------- helpers


def _content_words(index: Index, question: str) -> list[str]:
    """Question words that must be found in a supporting passage (not the region, year or 'how many')."""
    segmenter = index.segmenter()
    regions = set(regions_in(question, index.regions))
    stripped = _YEAR.sub(" ", question)
    for r in regions:
        stripped = stripped.replace(r, " ")
    words = [_SCAFFOLD.sub("", w) for w in segmenter.tokens(stripped)]  # 管理方面 → 管理
    words = [w for w in words if w not in _CONTENT_STOP and not w.isdigit() and len(w) > 1]
    # cut_for_search yields a word and its parts; keep the longest forms
    return [w for w in dict.fromkeys(words) if not any(w != o and w in o for o in words)]


def _question_core(index: Index, question: str) -> str:
    """The question without its region, year and question words: what a sentence should say verbatim."""
    core = _YEAR.sub(" ", question)
    for region in regions_in(question, index.regions):
        core = core.replace(region, " ")
    return re.sub(r"多少|几|是|吗|哪些|什么|[?？!！,，。、\s]", " ", core)


def _phrase_bonus(core: str, sentence: str) -> float:
    """Up to 0.2 for saying a long stretch of the question verbatim: 开展法治宣传活动 beats 宣传活动."""
    if not has_cjk(core):
        return 0.0
    longest = max((SequenceMatcher(None, part, sentence).find_longest_match().size for part in core.split()), default=0)
    return 0.2 * min(longest, 10) / 10 if longest >= 3 else 0.0


def _terms(index: Index, question: str) -> list[tuple[tuple[str, ...], float]]:
    """What a passage must contain to answer the question: (alternative words, weight) per content word.

    An English term counts as found when any of its Chinese translations is (legal aid → 法律/援助).
    """
    if not has_cjk(question):
        terms = [
            # Reports write some acronyms as they are: 全区GDP同比增长8.5%
            (t.chinese + ((t.english.upper(),) if len(t.english) <= 4 and t.english.isalnum() else ()), 1.0)
            for t in chinese_terms(question, index.word_counts, index.regions, per_term=5)
        ]
        numbers = [n for n in re.findall(r"\d{3,}", question) if not _YEAR.fullmatch(n)]  # the 12345 hotline
        return terms + [((n,), 1.0) for n in numbers]
    return [(_SAME_SENSE.get(w, (w,)), float(len(w))) for w in _content_words(index, question)]


def _overlap(terms: list[tuple[tuple[str, ...], float]], text: str) -> float:
    """Weighted share of the terms found in `text`."""
    total = sum(weight for _, weight in terms)
    return sum(weight for words, weight in terms if any(w in text for w in words)) / total if total else 0.0


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


def _figure(f: Fact) -> str:
    """The figure as the reports write it: 约600件, 2万余人次, 98%以上."""
    number = _fmt(f.value)
    if f.qualifier in ("约", "近", "超过", "逾"):
        return f"{f.qualifier}{number}{f.unit}"
    if f.qualifier in ("余", "多"):  # after the magnitude, before the unit: 2万余人次, 20余场
        magnitude = f.unit[:1] if f.unit[:1] in "万亿千百" and len(f.unit) > 1 else ""
        return f"{number}{magnitude}{f.qualifier}{f.unit[len(magnitude):]}"
    return f"{number}{f.unit}{f.qualifier}"


def _figure_row(r: Row) -> str:
    return _figure(Fact("", r.region, r.year, r.metric, "", r.value, r.unit, r.qualifier, r.kind, "", 0, 0))


def _fmt(value: float) -> str:
    return format(value, "f").rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _has_number(text: str) -> bool:
    return bool(re.search(r"\d", text))
