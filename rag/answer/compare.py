"""Cross-report answers from the facts of every report: 最高 / 最低 / 前三名, 哪些达到, 各地分别, 历年.

One cited row per region (per year for a series), from the facts extracted at index time, matched to
the Query's metric by rag/answer/match.py. Targets are ranked with targets and results with results; a region
that only gives a year-on-year change is listed apart; a region that gives no figure is named.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from rag.answer.compose import cite, figure, fmt, with_sources
from rag.answer.match import MIN_METRIC_SCORE, RELATIVE_METRIC_SCORE, asked_vector, fact_score, narrower_than
from rag.documents.facts import normalized_value
from rag.embedding.embed import Embedder
from rag.language.periods import reviewed_years
from rag.question.parse import scope_members
from rag.question.query import Query
from rag.store.metric_vectors import phrase
from rag.store.store import Index
from rag.types import TABLE, TEXT, Answer, Fact, Row

# A match by name this good: the reports call the figure what the question does (then a figure only close in
# meaning stays out: 企业研发投入占比 is not 研发投入强度). Set by hand in 1789333 for that example, not swept.
NAMED = 0.9
# A year's figure in a one-region series may go by another name than the best year's, but not a loose one: the
# score of PM2.5平均浓度 for 年均浓度 is 0.75 (probe H, H30); a neighbour such as 化解率 for 调解率 stays below.
SERIES_FLOOR = 0.7

_TABLE_HEAD = [(TABLE, "| 地区 | 年份 | 指标 | 数值 | 原文 |"), (TABLE, "|---|---|---|---|---|")]


def compare(index: Index, query: Query, embedder: Embedder | None = None) -> Answer | None:  # noqa: C901, PLR0912
    """The comparison `query` asks for, or None when no report gives a figure of its metric."""
    members = set(scope_members(query, index))
    scored = matching_facts(index, query, members, embedder)
    if not scored:
        return None
    embedder = embedder or (index.embedder() if index.chunks else None)
    scored = _add_dense_evidence(index, query, scored, embedder)
    if query.intent == "series":
        return _series(index, query, scored, members)
    years = set(query.period.years)
    if years:  # figures about the asked year (a 2025 report's 2024 results), else none of that region
        scored = [(s, f) for s, f in scored if f.about in years]
        if not scored:
            return None
    levels, changes = _best_per_region(scored, query.change)
    levels, other_level = _one_level(index, query, levels)
    # 175亿美元 and 1243亿元 are not ranked together: the currency most reports use is, the other listed apart
    currency = Counter(_currency(f) for f in levels if _currency(f)).most_common(1)
    apart = [f for f in levels if currency and _currency(f) not in ("", currency[0][0])]
    levels = [f for f in levels if f not in apart]
    if not levels:
        return None
    ranked = sorted(levels, key=lambda f: (-normalized_value(f) if query.descending else normalized_value(f), f.region))
    if query.intent == "superlative" and query.top:
        shown = ranked[: query.top]
    else:
        shown = ranked
    citations, rows = [], []
    for f in ranked:
        c = cite(index, len(citations) + 1, f.doc, f.section, f.start, f.end)
        citations.append(c)
        rows.append(Row(f.region, f.about or f.year, f.value, f.unit, f.qualifier, f.kind, f.metric, c))
    head = _headline(query, ranked, shown)
    lines = [(TEXT, head), (TEXT, ""), *_TABLE_HEAD]
    for r in rows:
        quote = r.citation.quote.replace("|", "｜")
        lines.append((TABLE, f"| {r.region} | {r.year or ''} | {r.metric} | {figure(r)} | “{quote}”[{r.citation.n}] |"))
    others = []
    ranked_regions = {f.region for f in ranked}
    for f in sorted((f for f in changes if f.region not in ranked_regions), key=lambda f: f.region):
        c = cite(index, len(citations) + 1, f.doc, f.section, f.start, f.end)
        citations.append(c)
        others.append(f"- {f.region}只报告了变化量：“{c.quote}”[{c.n}]（{figure(f)}是同比变化，未参与排名）")
    for f in sorted(apart, key=lambda f: f.region):
        c = cite(index, len(citations) + 1, f.doc, f.section, f.start, f.end)
        citations.append(c)
        others.append(f"- {f.region}以另一种货币报告：“{c.quote}”[{c.n}]（{figure(f)}，未参与排名）")
    for f in sorted(other_level, key=lambda f: f.region):
        c = cite(index, len(citations) + 1, f.doc, f.section, f.start, f.end)
        citations.append(c)
        level = _LEVEL_NAMES.get(index.gazetteer().level_of(f.region), "另一层级")
        others.append(f"- {f.region}（{level}）：“{c.quote}”[{c.n}]（{figure(f)}，不与其他层级的地区同列排名）")
    silent = sorted(members - ranked_regions - {f.region for f in changes} - {f.region for f in apart}
                    - {f.region for f in other_level})
    if silent:
        others.append(f"- 未给出该数字：{'、'.join(silent)}")
    if others:
        lines += [(TEXT, line) for line in ["", "其他报告：", *others]]
    text, blocks = with_sources(lines, citations, query)
    return Answer(query.text, text, "compare", tuple(citations), tuple(rows), query=query, blocks=blocks)


def matching_facts(index: Index, query: Query, members: set[str], embedder: Embedder | None = None) -> list[tuple[float, Fact]]:
    """(score, fact) of every fact of `members` that is the asked figure: by name, else by meaning only when no
    report names it; never a narrower one (人均GDP for 地区生产总值), and only the best-matching metrics."""
    if not (query.metric or query.metric_forms):
        return []
    rows = index.facts.rows(members, query.target)
    # a fact's score reads only its metric, field, unit and kind (rag/answer/match.py): score each such
    # combination once (at a million chunks there are millions of facts, but thousands of combinations)
    candidates, which = index.facts.distinct(rows)
    embedder = embedder or (index.embedder() if index.chunks else None)
    asked = asked_vector(query, embedder)
    meaning = index.metric_vectors.similarity(asked, candidates) if asked is not None and index.metric_vectors else {}
    by_name = [fact_score(query, f) for f in candidates]
    # when reports give the figure under the asked name, a figure only close in meaning does not join them
    if max(by_name, default=0) < NAMED:
        by_name = [fact_score(query, f, meaning.get(phrase(f))) for f in candidates]
    score = np.array(by_name)[which] if len(rows) else np.zeros(0)
    # below MIN_METRIC_SCORE a fact never passes the cutoff below, so only those above are read out
    passing = np.flatnonzero(score >= MIN_METRIC_SCORE)
    narrower: dict[tuple[str, str, str], bool] = {}  # the same sentence in many reports is read once
    scored = [(float(s), f) for s, f in zip(score[passing], index.facts.at(rows[passing]), strict=True)
              if not _narrower(narrower, query, f)]
    if not scored:
        return []
    # Only figures of the asked metric, not its neighbours: 化解率 is no 调解率 when 调解率 is given. A series of
    # one region holds each year to that year's best name (PM2.5年均浓度 one year, PM2.5平均浓度 the next, 0.75).
    best = max(s for s, _ in scored)
    if query.intent == "series" and len(query.regions) == 1:
        best_of = {}
        for s, f in scored:
            best_of[f.about] = max(best_of.get(f.about, 0.0), s)
        scored = [(s, f) for s, f in scored if s >= max(SERIES_FLOOR, RELATIVE_METRIC_SCORE * best_of[f.about])]
    else:
        scored = [(s, f) for s, f in scored if s >= max(MIN_METRIC_SCORE, RELATIVE_METRIC_SCORE * best)]
    if not scored:
        return []
    return scored


def only_change(index: Index, query: Query, embedder: Embedder | None = None) -> Fact | None:
    """The year-on-year change the reports give of the asked figure for the one region asked, when they give no
    level of it (鹿城区: 调解率同比增加10%): what a lookup says instead of a figure, in the comparison's words."""
    if len(query.regions) != 1 or query.change or not query.wants_number:
        return None
    scored = matching_facts(index, query, set(query.regions), embedder)
    levels, changes = _best_per_region(scored, False)
    if levels or not changes:
        return None
    # said only of a figure the reports name as asked: a change close in meaning alone is another figure's
    return changes[0] if fact_score(query, changes[0]) >= NAMED else None


_LEVEL_NAMES = {"national": "全国", "province": "省级", "city": "市级", "county": "区县"}


def _one_level(index: Index, query: Query, levels: list[Fact]) -> tuple[list[Fact], list[Fact]]:
    """(the figures ranked, those of other levels): a comparison that names no level (哪里GDP最高) ranks the
    level most of its figures are of, never the nation, a province and a district together."""
    if query.scope.level or query.regions or query.scope.regions:
        return levels, []
    gazetteer = index.gazetteer()
    counts = Counter(gazetteer.level_of(f.region) for f in levels if gazetteer.level_of(f.region) != "national")
    if len(counts) + any(gazetteer.level_of(f.region) == "national" for f in levels) <= 1:
        return levels, []
    level = counts.most_common(1)[0][0] if counts else "national"
    return ([f for f in levels if gazetteer.level_of(f.region) == level],
            [f for f in levels if gazetteer.level_of(f.region) != level])


def _currency(f: Fact) -> str:
    return "美元" if f.unit.endswith("美元") else "元" if f.unit.endswith("元") else ""


def _narrower(seen: dict, query: Query, f: Fact) -> bool:
    key = (f.metric, f.context, f.sentence)  # what narrower_than reads of a fact
    if key not in seen:
        seen[key] = narrower_than(query, f, f.sentence)
    return seen[key]


def _best_per_region(scored: list[tuple[float, Fact]], change: bool) -> tuple[list[Fact], list[Fact]]:
    """(the ranked figure of each region, the change-only figures of regions with no level).

    A region with reports of several years is compared by its latest figure."""
    levels: dict[str, tuple[tuple, Fact]] = {}
    changes: dict[str, tuple[tuple, Fact]] = {}
    for s, f in scored:
        table = levels if f.kind == "level" or change else changes
        key = (f.about or f.year or 0, s)
        if f.region not in table or key > table[f.region][0]:
            table[f.region] = (key, f)
    return [f for _, f in levels.values()], [f for _, f in changes.values()]


def _series(index: Index, query: Query, scored: list[tuple[float, Fact]], members: set[str]) -> Answer | None:
    """One row per year for each region asked, oldest first, each from the report that states that year."""
    wanted = set(query.period.years)
    best: dict[tuple[str, int], tuple[tuple, Fact]] = {}
    stated: dict[tuple[str, int], list[tuple[float, Fact]]] = {}  # every report's figure for the slot
    parts = Counter((f.doc, f.start, f.metric) for _, f in scored)
    for s, f in scored:
        if f.about is None or (wanted and f.about not in wanted) or (f.kind != "level" and not query.change):
            continue
        # the report that reviews the year states it best; a later report's look back is second
        reviews = int(f.about in reviewed_years(index.reports[f.doc]))
        # …新增学位4290个，…新增学位720个 breaks a total down: the sentence that gives it whole comes first
        key = (reviews, parts[(f.doc, f.start, f.metric)] == 1, s, -(f.year or 0))
        slot = (f.region, f.about)
        stated.setdefault(slot, []).append((s, f))
        if slot not in best or key > best[slot][0]:
            best[slot] = (key, f)
    if not best:
        return None
    facts = [f for _, f in sorted(best.values(), key=lambda v: (v[1].region, v[1].about))]
    revised = {slot: _restated(best[slot][1], stated[slot]) for slot in best}
    citations, rows = [], []
    for f in facts:
        c = cite(index, len(citations) + 1, f.doc, f.section, f.start, f.end)
        citations.append(c)
        rows.append(Row(f.region, f.about, f.value, f.unit, f.qualifier, f.kind, f.metric, c))
    label = query.metric_forms[0] if query.metric_forms else query.metric
    by_region: dict[str, list[Row]] = {}
    for r in rows:
        by_region.setdefault(r.region, []).append(r)
    head = "；".join(f"**{region}**{label}{'增速' if query.change else ''}：" + "，".join(f"{r.year}年{figure(r)}" for r in rs)
                    for region, rs in by_region.items()) + "。"
    lines = [(TEXT, head), (TEXT, ""), *_TABLE_HEAD]
    for r, f in zip(rows, facts, strict=True):
        quote = r.citation.quote.replace("|", "｜")
        later = revised[(f.region, f.about)]
        note = f"（{later.year}年报告修订为{figure(later)}）" if later and later.year else ""
        lines.append((TABLE, f"| {_as_named(index, r)} | {r.year} | {r.metric} | {figure(r)}{note} | “{quote}”[{r.citation.n}] |"))
    missing = sorted(y for y in wanted if not any(r.year == y for r in rows))
    if missing:
        lines += [(TEXT, ""), (TEXT, f"报告中没有这些年份的数字：{'、'.join(map(str, missing))}")]
    renamed = sorted({f"{index.reports[r.citation.doc].named}（今{r.region}）" for r in rows if index.reports[r.citation.doc].named})
    if renamed:
        lines += [(TEXT, ""), (TEXT, f"更名前的报告按今名合并：{'、'.join(renamed)}")]
    text, blocks = with_sources(lines, citations, query)
    return Answer(query.text, text, "compare", tuple(citations), tuple(rows), query=query, blocks=blocks)


def _restated(chosen: Fact, stated: list[tuple[float, Fact]]) -> Fact | None:
    """A later report's other figure for the same year and metric (a revised figure), if one states it."""
    later = [f for s, f in stated if f.doc != chosen.doc and (f.year or 0) > (chosen.year or 0) and f.metric == chosen.metric
             and f.unit == chosen.unit and normalized_value(f) != normalized_value(chosen)]
    return max(later, key=lambda f: f.year or 0, default=None)


def _as_named(index: Index, row: Row) -> str:
    """光明区（时称光明新区）: a row from a report given under the place's former name says so."""
    named = index.reports[row.citation.doc].named
    return f"{row.region}（时称{named}）" if named else row.region


def _headline(query: Query, ranked: list[Fact], shown: list[Fact]) -> str:
    label = _label(query)
    if query.intent == "threshold":
        t = query.threshold
        hit = [f for f in ranked if t.holds(normalized_value(f))]
        word = {">": "超过", ">=": "达到", "<": "低于", "<=": "不超过"}[t.op]
        shown_value = _threshold_text(t.value, t.unit, fmt)
        if not hit:
            return f"没有报告的{label}{word}{shown_value}。"
        return f"**{'、'.join(f.region for f in hit)}**的{label}{word}{shown_value}（共 {len(hit)} 个）。"
    if query.intent == "enumerate":
        return f"各地{label}：" + "；".join(f"{f.region}{figure(f)}" for f in ranked) + "。"
    word = query.word or ("最高" if query.descending else "最低")
    if query.top and len(shown) > 1:
        return f"**{label}{word}的{len(shown)}个**：" + "；".join(
            f"{n}. {f.region} {figure(f)}{_when(f)}" for n, f in enumerate(shown, start=1))
    top = ranked[0]
    ties = [f for f in ranked if normalized_value(f) == normalized_value(top)]
    names = "、".join(f.region for f in ties) + ("并列" if len(ties) > 1 else "")
    return f"**{names}{word}**：{label}{figure(top)}{_when(top)}[1]"


def _when(f: Fact) -> str:
    """（2024年）: the year a figure is about, when known."""
    year = f.about or f.year
    return f"（{year}年）" if year else ""


def _label(query: Query) -> str:
    name = query.metric_forms[0] if query.metric_forms else query.metric
    field = query.field if query.field and query.field not in name else ""
    overlap = next((n for n in range(min(len(field), len(name)), 1, -1) if field.endswith(name[:n])), 0)
    field = field[: len(field) - overlap]  # 行政复议 + 复议调解率 is 行政复议调解率
    return f"{field}{name}{'增速' if query.change and not name.endswith(('增速', '增长')) else ''}{'目标' if query.target else ''}"


def _threshold_text(value: float, unit: str, fmt) -> str:
    for scale, name in ((1e12, "万亿"), (1e8, "亿"), (1e4, "万")):
        if value >= scale and unit != "%":
            return f"{fmt(value / scale)}{name}{unit}"
    return f"{fmt(value)}{unit}"


def _add_dense_evidence(index: Index, query: Query, scored, embedder):
    """Break lexical near-ties by how close each fact's passage is to the question in meaning (its cosine
    × 0.1: set by hand in c8d3c2d, not measured)."""
    if not index.chunks:
        return scored
    embedder = embedder or index.embedder()
    q = embedder.encode_query([query.text])[0]
    out = []
    for s, f in scored:
        row = index.chunks.row_at(f.doc, f.start)  # the chunk the fact's sentence starts in
        sim = float(index.vectors[row] @ q) if row >= 0 else 0.0
        out.append((s + 0.1 * sim, f))
    return out
