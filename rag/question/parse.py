"""Reading a question once: `parse(question, index, previous) -> Query`, what every later stage works from.

The question's words are looked up, not pattern-matched: places in the gazetteer (rag/language/places.py), periods
by jionlp's time parser (rag/language/periods.py), question words, thresholds, the metric and the content words by
rag/question/asked.py (with the thesaurus and `rag/data/question_words.tsv`). What is left once places, periods,
numbers and question words are taken out is the metric, as the user wrote it.

`index` is what the question is read against: a Catalog (rag/question/catalog.py: its regions, gazetteer,
words and reports), which a loaded Index is. A follow-up ("那红谷滩区呢?") is read against the previous turn's
Query (rag/question/conversation.py); `replay` reads a whole history that way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace

from rag.language.characters import has_cjk
from rag.language.divisions import NATION_NAME
from rag.language.periods import read_period
from rag.language.places import find_group
from rag.language.thesaurus import Thesaurus, load_thesaurus
from rag.question.asked import (
    ASKED_UNIT,
    Threshold,
    asked_unit,
    content_terms,
    has_word,
    question_words,
    read_metric,
    read_threshold,
    topic_of,
)
from rag.question.catalog import Catalog
from rag.question.conversation import follow_up, read_cues
from rag.question.query import Query, Scope

# ---------------------------------------------------------------- parse


_TOP = re.compile(r"(?:(?<=排)|(?<=位列)|(?<=进入))前\s*(\d+|[一二两三四五六七八九十])|前\s*(\d+|[一二两三四五六七八九十])\s*(?:名|位|强)|"
                  r"(?<![a-z])top\s*(\d+)(?!\d)", re.I)
_CN_SMALL = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_LEVEL_WORDS = (("省份", "province"), ("省区市", "province"), ("省区", "province"), ("省", "province"), ("全国", "province"),
                ("区县", "county"), ("区", "county"), ("县", "county"), ("市", "county"), ("城市", "county"))
_LEVEL = re.compile(r"(?:哪个|哪一个|哪些|哪几个|哪几|哪家|各个|各|每个|所有|全国|全部|这几个|几个|的)(省份|省区市|省区|省|区县|区|县|市|地区|地方|城市)(?![\u4e00-\u9fff]|有|是|中|里|排)|"
                    r"(?:哪个|哪一个|哪些|哪几个|哪几|哪家|各个|各|每个|所有|全国|这几个)(省份|省区市|省|区县|区|县|市|地区|地方|城市)|"
                    r"(省份|省区市|省区|区县)")
_LEVEL_EN = re.compile(r"\b(provinces?|districts?|counties|county)\b", re.I)


def parse(question: str, index: Catalog, previous: Query | None = None, thesaurus: Thesaurus | None = None,  # noqa: PLR0915
          regions: Iterable[str] | None = None, years: Iterable[int] | None = None) -> Query:
    """Read `question` (after `previous`, for a follow-up) against what `index` holds.

    `regions` / `years` are the chat's filters: they replace the regions and years read, and the years
    filtered on are the report years searched.
    """
    filters = tuple(regions or ()), tuple(years or ())  # the names are read into below
    thesaurus = thesaurus or load_thesaurus()
    text = unicodedata.normalize("NFKC", question).strip()  # full-width ＧＤＰ２０２４ → GDP2024
    english = not has_cjk(text)
    en = "_en" if english else ""
    gazetteer = index.gazetteer()
    mentions = gazetteer.find(text) if not english else []
    excluded = [m.region for m in mentions if m.region and _EXCLUDE.search(text[max(0, m.start - 4) : m.start])]
    # 深圳这几个区（含大鹏新区）: a region named as included belongs to the group, it is not the one asked
    included = [m.region for m in mentions if m.region and _says(text[max(0, m.start - 3) : m.start], "include")]
    regions = list(dict.fromkeys(m.region for m in mentions if m.region and m.region not in excluded + included))
    if NATION_NAME in regions and (_LEVEL.search(text) or has_word(text, "rank")):
        regions.remove(NATION_NAME)  # 全国哪个省最高 / 全国排第几: the nation is where they are ranked, not asked
    within, unknown = _other_places(mentions, regions, gazetteer)
    for m in mentions:  # 深圳各区 with 深圳市's own report indexed: its districts are asked, not the city
        if m.region in regions and _CHILDREN.match(text, m.end) and gazetteer.members(within=m.place.name):
            regions.remove(m.region)
            within = m.place.name
    if included and not within:
        regions = list(dict.fromkeys(regions + included))
    # 北京市朝阳区: the question is about the district the index lacks, not about 北京市
    regions = [r for r in regions if not any(r in p for m in mentions if not m.region for p in m.place.parents)]
    if english:
        regions, within, unknown = gazetteer.find_english(text)
    period, period_spans = read_period(text, index, regions)
    threshold, threshold_span = read_threshold(text)
    group = find_group(text) if not regions else None  # 东北三省, 四个直辖市
    spans = period_spans + [s for s in (threshold_span, group[1] if group else None) if s]
    # 居民消费价格（CPI）涨幅: what brackets hold only glosses the metric (its places were read above)
    metric_text = re.sub(r"[（(][^（()）]*[）)]", " ", _strip(text, mentions, spans, english))
    metric, forms, field_, grew = read_metric(metric_text, english, thesaurus, index)
    change = grew or bool(has_word(text, "change" + en))
    counted = ASKED_UNIT.search(text)
    if change and counted and counted.group(1) not in ("%", "元", "亿", "万亿", "万元", "亿元", "万亿元"):
        change = False  # 减少了多少项证明材料 asks a count (减少66项), not a rate of change
    if change and not metric and not (previous and previous.metric):  # 哪个区增长最快: the economy's growth
        metric, forms = "地区生产总值", thesaurus.synonyms("地区生产总值")
        forms = tuple(f for f in forms if has_cjk(f))
    intent, descending, top = _intent(text, english, threshold, regions, unknown, period, metric, within or bool(group))
    narrow = has_word(text, "narrow") and previous is not None  # 这几个区 opening a chat names no earlier rows
    scope = _scope(text, english, within, narrow, regions if intent != "series" else [], gazetteer)
    if group:
        members = tuple(r for r in group[0].members if r in index.regions)
        scope = Scope("province", group[0].name, scope.previous, members)
    if excluded:
        kept = tuple(r for r in (scope.regions or scope_members_of(scope, index)) if r not in excluded)
        scope = Scope(scope.level, scope.within, scope.previous, kept)
    if intent in ("lookup", "summary") and within and not regions and not unknown:
        unknown = [within]  # 深圳GDP: the index has its districts' reports, not the city's
    target = bool(has_word(text, "target" + en)) and not has_word(text, "result" + en) and intent != "summary"
    topic = topic_of(text, english) if intent == "summary" else ""
    terms = content_terms(index, metric_text if not english else text, english, thesaurus, topic, regions)
    keeps_metric = intent not in ("summary", "index")
    unit = asked_unit(text, english, forms, change, threshold, thesaurus)
    if threshold and not threshold.unit and unit:  # 超过五千亿 of GDP is 元
        threshold = Threshold(threshold.op, threshold.value, unit)
    query = Query(
        text=question.strip(), language="en" if english else "zh", intent=intent, descending=descending, top=top,
        word=_superlative_word(text, descending) if intent == "superlative" else "",
        threshold=threshold, metric=metric if keeps_metric else "", metric_forms=forms if keeps_metric else (),
        field=field_, change=change, target=target, unit=unit,
        regions=tuple(regions), excluded=tuple(excluded), unknown_places=tuple(unknown), scope=scope, period=period, topic=topic,
        terms=tuple(terms), wants_number=bool(unit or threshold or _numberish(text, english)) and intent != "summary",
        exact=bool(has_word(text, "exact" + en)), actual=bool(has_word(text, "result" + en)),
        cues=read_cues(question.strip(), english), measure_said=thesaurus.measure_of(question.strip()),
        report_kind=next((kind for word, kind in _KIND_WORDS if word in question), ""),
    )
    query = follow_up(query, previous, index) if previous is not None else query
    return _filtered(query, *filters)


# The kinds of report a question about the index may ask for (哪几份是法治政府建设情况报告), by the words that name them.
_KIND_WORDS = (("法治政府", "法治政府建设情况报告"), ("管委会工作报告", "管委会工作报告"), ("管理委员会工作报告", "管委会工作报告"),
               ("政府工作报告", "政府工作报告"))


def _filtered(query: Query, regions: tuple[str, ...], years: tuple[int, ...]) -> Query:
    """`query` within the chat's filters: their regions instead of those read, their years (the reports' years)."""
    if regions:
        query = replace(query, regions=regions)
    if years:
        label = query.period.label or "、".join(map(str, years))
        query = replace(query, period=replace(query.period, years=years, label=label, report_years=years))
    return query


def _other_places(mentions, regions, gazetteer) -> tuple[str, list[str]]:
    """(a parent place whose districts are asked about, places the index has no report on)."""
    within, unknown = "", []
    for m in mentions:
        if m.region:
            continue
        if gazetteer.members(within=m.place.name):
            if not any(gazetteer.regions[r].within(m.place.name) for r in regions):
                within = m.place.name  # 深圳的各个区
        elif unknown and m.place.parents and m.place.parents[-1] == unknown[-1]:
            unknown[-1] = unknown[-1] + m.place.name  # 广州 + 天河区
        else:
            unknown.append(m.place.name)
    return within, unknown


_REPORT_WORDS = re.compile(r"^(?:(?:政府|法治政府建设|法治政府|施政|管委会)?(?:工作)?(?:情况)?(?:报告)?|报告|文件|文档|材料|report|reports|index|cover|[年的]+)+$", re.I)
_RANKING = re.compile(r"倒数|垫底|末位|拔得头筹|榜首|居首|领跑|殿后|吊车尾|[前后]\s*(?:\d+|[一二两三四五六七八九十])\s*(?:名|位|强)")
_LAST_N = re.compile(r"后\s*(\d+|[一二两三四五六七八九十])\s*(?:名|位)|\bbottom\s*(\d+)", re.I)


def _intent(text, english, threshold, regions, unknown, period, metric, within) -> tuple[str, bool, int]:
    """(intent, descending, top N) — from the question's words, what it names and what it leaves out."""
    en = "_en" if english else ""
    which = has_word(text, "which" + en)
    most, least = has_word(text, "most" + en), has_word(text, "least" + en)
    named = len(regions) + len(unknown)
    numberish = _numberish(text, english)
    # 库里的省级政府工作报告覆盖哪一年: where the question says it asks the index, any metric is about reports
    about_reports = bool(re.search(r"报告|report|index|cover", text, re.I)) and (
        not metric or _REPORT_WORDS.match(metric) or has_word(text, "index_store" + en))
    if about_reports and (has_word(text, "index" + en) or which or re.search(r"有.{0,12}吗|[几多少]份|哪几年|哪些年", text)):
        return "index", True, 0
    if threshold and named != 1:
        return "threshold", threshold.op in (">", ">="), 0
    last = _LAST_N.search(text)
    top_m = _TOP.search(text)
    found = last or top_m
    top = _small_number(next((g for g in found.groups() if g), "")) if found else 0
    ranking = bool(top or _RANKING.search(text) or has_word(text, "rank"))
    if last or ((most or least or ranking) and (which or ranking or named != 1)):
        descending = not last and not (least and (not most or text.find(least) < text.find(most)))
        return "superlative", descending, top
    comparative = re.search(r"(?:更|较)?(高|多|大|快|低|少|小|慢)[？?。]?$", text)
    if (has_word(text, "more" + en) or has_word(text, "less" + en) or comparative) and (which or english) and named >= 2:
        more = has_word(text, "more" + en) or (comparative and comparative.group(1) in "高多大快")
        return "superlative", bool(more), 0
    if metric and (has_word(text, "series" + en) or period.all_years or len(period.years) >= 2 or "变化" in text):
        return "series", True, 0
    level = _LEVEL.search(text) or (english and _LEVEL_EN.search(text))
    if (has_word(text, "each" + en) or re.search(r"各是|各为|各有", text) or named >= 2) and (numberish or metric) and named != 1:
        return "enumerate", True, 0
    if not named and level and numberish and metric:  # 深圳各区…多少 (深圳…多少 asks about the city)
        return "enumerate", True, 0
    en_summary = english and (has_word(text, "plan_en") or has_word(text, "problem_en") or has_word(text, "measure_en"))
    summary = en_summary or not english and any(has_word(text, r) for r in ("plan", "problem", "summary", "aspects"))
    if summary and not numberish:
        return "summary", True, 0
    return "lookup", True, 0


def _superlative_word(text: str, descending: bool) -> str:
    """最多 / 最快 as the question says it (哪个…案件多? → 最多), else 最高 / 最低."""
    for word in ("最多", "最快", "最大", "最少", "最慢", "最小", "最高", "最低"):
        if word in text and (word in ("最多", "最快", "最大", "最高")) == descending:
            return word
    asked = re.search(r"(多|少|快|慢|大|小)[？?。]?$", text)
    if asked and (asked.group(1) in "多快大") == descending:
        return "最" + asked.group(1)
    return "最高" if descending else "最低"


def _numberish(text: str, english: bool) -> bool:
    en = "_en" if english else ""
    while aspects := has_word(text, "aspects"):  # 从哪几方面推进 asks for points, not a number
        text = text.replace(aspects, " ")
    return bool(has_word(text, "number" + en) or has_word(text, "rate" + en) or has_word(text, "change" + en)
                or has_word(text, "money"))


def _small_number(text: str) -> int:
    return int(text) if text.isdigit() else _CN_SMALL.get(text, 0)


def _scope(text, english, within, narrow, regions, gazetteer) -> Scope:
    level = ""
    m = _LEVEL.search(text)
    if m:
        level = dict(_LEVEL_WORDS).get(next(g for g in m.groups() if g), "")
    elif "全国" in text:
        level = "province"
    elif english and (e := _LEVEL_EN.search(text)):
        level = "province" if e.group(1).lower().startswith("province") else "county"
    if within and not level:
        level = "county"
    if level == "county" and m and next(g for g in m.groups() if g) in ("市", "城市") and gazetteer.members(level="city"):
        level = "city"  # 哪个市: cities, where the index holds cities' own reports
    if len(regions) >= 2:
        return Scope(level, within, bool(narrow), tuple(regions))
    members = gazetteer.members(within=within, level=level) if (within or level) else ()
    return Scope(level, within, bool(narrow), members)


def _strip(text: str, mentions, spans, english: bool) -> str:
    """The question without its places, periods and thresholds (blanked, so the rest keeps its words apart)."""
    chars = list(text)
    for start, end in [*((m.start, m.end) for m in mentions), *spans]:
        end += text[end : end + 1] in ("底", "末", "初") and text[end - 1 : end] == "年"  # 2024年底
        chars[start:end] = " " * (end - start)
    out = "".join(chars)
    if english:
        return out
    out = re.sub(r"(19|20)\d{2}\s*年?(?:度|底|末|初)?", " ", out)
    return out


def _says(before: str, role: str) -> bool:
    """Whether the words just before a place end with a word of `role` (含, 包括 …)."""
    return any(before.rstrip("（(“ ").endswith(w) for w in question_words().get(role, ()))


_CHILDREN = re.compile(r"(?:的|市|省)?(?:各个|各|所有|下辖|所辖|下属|辖内)(?:区|县|市|地市|城市|区县|县区|地)")
_EXCLUDE = re.compile(r"(?:不算|不含|不包括|除了|除去|排除|去掉|扣除)\s*$")


def scope_members_of(scope: Scope, index: Catalog) -> tuple[str, ...]:
    gazetteer = index.gazetteer()
    return tuple(r for r in index.regions if not scope.level or gazetteer.level_of(r) == scope.level)


def scope_members(query: Query, index: Catalog) -> tuple[str, ...]:
    """The indexed regions a comparison ranges over (every region of the asked level when unscoped)."""
    if query.regions:
        return query.regions
    if query.scope.previous and query.scope.regions:
        return query.scope.regions
    if query.scope.regions:
        return query.scope.regions
    gazetteer = index.gazetteer()
    return tuple(r for r in index.regions if not query.scope.level or gazetteer.level_of(r) == query.scope.level)


def replay(index: Catalog, history: list[str]) -> Query | None:
    """The Query of the last question of `history`, each read against the one before (answers not needed)."""
    previous = None
    for question in history:
        if question and question.strip():
            previous = parse(question, index, previous)
    return previous
