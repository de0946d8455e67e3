"""Reading a question once: `parse(question, index, previous) -> Query`, what every later stage works from.

The question's words are looked up, not pattern-matched: places in the gazetteer (rag/places.py), figure
names in the thesaurus (rag/thesaurus.py), question words by role in `rag/data/question_words.tsv`,
Chinese numerals by cn2an, relative periods (去年, 近三年) by jionlp's time parser. What is left once
places, periods, numbers and question words are taken out is the metric, as the user wrote it.

A follow-up ("那红谷滩区呢?") is read against the previous turn's Query (rag/conversation.py).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import re
import unicodedata
from dataclasses import dataclass

from rag.crosslingual import chinese_terms, has_cjk
from rag.facts import UNITS, cut_metric
from rag.periods import Period, read_period
from rag.places import find_group, level_of
from rag.store import Index
from rag.thesaurus import Thesaurus, load_thesaurus

INTENTS = ("lookup", "superlative", "threshold", "enumerate", "series", "summary", "index")


@dataclass(frozen=True)
class Threshold:
    """哪些…超过一千亿元: op ">", value 1e11, unit "元" (values in base units: 元, %, 人, 件)."""

    op: str  # ">=" | ">" | "<=" | "<"
    value: float
    unit: str = ""

    def holds(self, value: float) -> bool:
        return {">=": value >= self.value, ">": value > self.value, "<=": value <= self.value, "<": value < self.value}[self.op]


@dataclass(frozen=True)
class Scope:
    """The group a comparison ranges over: a level (各省), a parent place (深圳的各区), the last answer's rows."""

    level: str = ""  # "province" | "county" | ""
    within: str = ""  # 深圳市
    previous: bool = False  # 其中 / 这些 / 它们
    regions: tuple[str, ...] = ()  # the indexed regions in it; () = every indexed region of the level


@dataclass(frozen=True)
class Query:
    """A question as understood: what is asked (intent, metric, measure), of whom (regions, scope), when."""

    text: str
    language: str = "zh"
    intent: str = "lookup"
    descending: bool = True
    top: int = 0  # 前三名 → 3
    threshold: Threshold | None = None
    metric: str = ""  # as asked, places, years and question words removed: GDP增速 → GDP
    metric_forms: tuple[str, ...] = ()  # the names reports use for it: 地区生产总值, 本地生产总值 …
    field: str = ""  # 行政复议 for 复议调解率
    change: bool = False  # 增速 / 增长了多少: a year-on-year change is asked
    target: bool = False  # 目标 / 预期: a goal is asked, not a result
    unit: str = ""  # "%" for rates, 件 / 人 / 元 …
    regions: tuple[str, ...] = ()
    unknown_places: tuple[str, ...] = ()
    scope: Scope = dataclasses.field(default_factory=Scope)
    period: Period = dataclasses.field(default_factory=Period)
    topic: str = ""  # summaries: "plan" | "problem" | "measure" | ""
    terms: tuple[tuple[str, ...], ...] = ()  # content words, each with its alternatives
    wants_number: bool = False  # 多少 / 率 / 增速: a figure is asked, not a passage
    followup: bool = False
    result_regions: tuple[str, ...] = ()  # filled in after answering: the regions of the answer's rows

    @property
    def measure(self) -> str:
        return "target" if self.target else "change" if self.change else "level"

    @property
    def years(self) -> tuple[int, ...]:
        return self.period.years

    @property
    def comparison(self) -> bool:
        return self.intent in ("superlative", "threshold", "enumerate", "series")

    @property
    def search_text(self) -> str:
        """What retrieval looks for: regions, the metric's commonest names, the other content words."""
        chinese = [w for alts in self.terms for w in alts[:4] if has_cjk(w) or self.language == "en"]
        words = [*self.regions, *self.metric_forms[:3], *chinese]
        if self.field and not any(self.field in w for w in words):
            words.insert(len(self.regions), self.field)
        return " ".join(dict.fromkeys(words)) or self.text

    def reading(self) -> str:
        """How the question was read, in one line a user can check: 按“指标：…；地区：…；年份：…”理解."""
        parts = []
        if self.metric:
            shown = self.metric_forms[0] if self.metric_forms else self.metric
            field_ = f"{self.field}·" if self.field and self.field not in shown else ""
            measure = "·".join(x for x, on in (("增长", self.change), ("目标", self.target)) if on)
            parts.append(f"指标：{field_}{shown}{'·' + measure if measure else ''}")
        elif self.topic:
            parts.append(f"内容：{ {'plan': '工作安排', 'problem': '问题与不足', 'measure': '举措与成效'}[self.topic] }")
        if self.regions:
            parts.append(f"地区：{'、'.join(self.regions)}")
        elif self.comparison:
            parts.append(f"范围：{describe_scope(self.scope)}")
        if self.period.label:
            parts.append(f"年份：{self.period.label}")
        kind = {"superlative": "最低" if not self.descending else "最高", "threshold": "达标筛选", "enumerate": "逐一列出",
                "series": "历年数据", "summary": "摘要", "index": "索引内容"}.get(self.intent)
        if self.intent == "superlative" and self.top:
            kind = f"{'后' if not self.descending else '前'}{self.top}名"
        if kind:
            parts.append(f"问法：{kind}")
        return f"按“{'；'.join(parts)}”理解" if parts else ""

    def to_json(self) -> dict:
        return {
            "text": self.text, "language": self.language, "intent": self.intent, "descending": self.descending,
            "top": self.top, "threshold": vars(self.threshold) if self.threshold else None, "metric": self.metric,
            "metric_forms": list(self.metric_forms), "field": self.field, "measure": self.measure, "unit": self.unit,
            "regions": list(self.regions), "unknown_places": list(self.unknown_places),
            "scope": {"level": self.scope.level, "within": self.scope.within, "previous": self.scope.previous,
                      "regions": list(self.scope.regions)},
            "years": list(self.period.years), "all_years": self.period.all_years, "period": self.period.label,
            "report_years": None if self.period.report_years is None else list(self.period.report_years),
            "topic": self.topic, "terms": [list(t) for t in self.terms], "followup": self.followup,
            "reading": self.reading(),
        }


def describe_scope(scope: Scope) -> str:
    if scope.previous:
        return "上一问结果中的地区"
    level = {"province": "各省份", "county": "各区县"}.get(scope.level, "全部报告")
    return f"{scope.within}{'下辖各区' if scope.level == 'county' else '各省份' if scope.level == 'province' else ''}" if scope.within else level


# ---------------------------------------------------------------- question words


@functools.cache
def question_words() -> dict[str, tuple[str, ...]]:
    """Role → words, longest first, from rag/data/question_words.tsv."""
    text = (importlib.resources.files("rag") / "data" / "question_words.tsv").read_text(encoding="utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            role, words = line.split("\t", 1)
            split = words.split("|") if role.endswith("_en") else words.split()
            out[role] = tuple(sorted((w.strip() for w in split if w.strip()), key=len, reverse=True))
    return out


def has_word(text: str, role: str) -> str:
    """The first word of `role` found in `text` ("" when none); English words match whole, any case."""
    for word in question_words().get(role, ()):
        if role.endswith("_en"):
            if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text.lower()):
                return word
        elif word in text:
            return word
    return ""


# ---------------------------------------------------------------- parse


_TOP = re.compile(r"(?:(?<=排)|(?<=位列)|(?<=进入))前\s*(\d+|[一二两三四五六七八九十])|前\s*(\d+|[一二两三四五六七八九十])\s*(?:名|位|强)|"
                  r"(?<![a-z])top\s*(\d+)(?!\d)", re.I)
_CN_SMALL = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_ASKED_UNIT = re.compile(rf"(?<![哪这那])(?:多少|几)(万亿元|万亿|亿元|万元|万人|亿|{UNITS})")
_LEVEL_WORDS = (("省份", "province"), ("省区市", "province"), ("省", "province"), ("全国", "province"),
                ("区县", "county"), ("区", "county"), ("县", "county"), ("市", "county"))
_LEVEL = re.compile(r"(?:哪个|哪一个|哪些|哪几个|哪几|哪家|各个|各|每个|所有|全国|全部|这几个|几个|的)(省份|省区市|省|区县|区|县|市|地区|地方|城市)(?![\u4e00-\u9fff]|有|是|中|里|排)|"
                    r"(?:哪个|哪一个|哪些|哪几个|哪几|哪家|各个|各|每个|所有|全国|这几个)(省份|省区市|省|区县|区|县|市|地区|地方|城市)|"
                    r"(省份|省区市|区县)")
_LEVEL_EN = re.compile(r"\b(provinces?|districts?|counties|county)\b", re.I)


def parse(question: str, index: Index, previous: Query | None = None, thesaurus: Thesaurus | None = None) -> Query:
    """Read `question` (after `previous`, for a follow-up) against what `index` holds."""
    from rag.conversation import follow_up  # the merge rules live beside the conversation

    thesaurus = thesaurus or load_thesaurus()
    text = unicodedata.normalize("NFKC", question).strip()  # full-width ＧＤＰ２０２４ → GDP2024
    english = not has_cjk(text)
    en = "_en" if english else ""
    gazetteer = index.gazetteer()
    mentions = gazetteer.find(text) if not english else []
    regions = list(dict.fromkeys(m.region for m in mentions if m.region))
    within, unknown = _other_places(mentions, regions, gazetteer)
    # 北京市朝阳区: the question is about the district the index lacks, not about 北京市
    regions = [r for r in regions if not any(r in p for m in mentions if not m.region for p in m.place.parents)]
    if english:
        regions, within, unknown = gazetteer.find_english(text)
    period, period_spans = read_period(text, index, regions)
    threshold, threshold_span = read_threshold(text)
    group = find_group(text) if not regions else None  # 东北三省, 四个直辖市
    spans = period_spans + [s for s in (threshold_span, group[1] if group else None) if s]
    metric_text = _strip(text, mentions, spans, english)
    metric, forms, field_, grew = _metric(metric_text, english, thesaurus, index)
    change = grew or bool(has_word(text, "change" + en))
    counted = _ASKED_UNIT.search(text)
    if change and counted and counted.group(1) not in ("%", "元", "亿", "万元", "亿元"):
        change = False  # 减少了多少项证明材料 asks a count (减少66项), not a rate of change
    if change and not metric:  # 哪个区增长最快: growth with no figure named is the economy's
        metric, forms = "地区生产总值", thesaurus.synonyms("地区生产总值")
        forms = tuple(f for f in forms if has_cjk(f))
    intent, descending, top = _intent(text, english, threshold, regions, unknown, period, metric, within or bool(group))
    scope = _scope(text, english, within, has_word(text, "narrow"), regions if intent != "series" else [], gazetteer)
    if group:
        members = tuple(r for r in group[0].members if r in index.regions)
        scope = Scope("province", group[0].name, scope.previous, members)
    if intent in ("lookup", "summary") and within and not regions and not unknown:
        unknown = [within]  # 深圳GDP: the index has its districts' reports, not the city's
    target = bool(has_word(text, "target" + en)) and intent != "summary"
    topic = _topic(text, english) if intent == "summary" else ""
    terms = _terms(index, metric_text if not english else text, english, thesaurus, topic, regions)
    keeps_metric = intent not in ("summary", "index")
    unit = _unit(text, english, forms, change, threshold, thesaurus)
    if threshold and not threshold.unit and unit:  # 超过五千亿 of GDP is 元
        threshold = Threshold(threshold.op, threshold.value, unit)
    query = Query(
        text=question.strip(), language="en" if english else "zh", intent=intent, descending=descending, top=top,
        threshold=threshold, metric=metric if keeps_metric else "", metric_forms=forms if keeps_metric else (),
        field=field_, change=change, target=target, unit=unit,
        regions=tuple(regions), unknown_places=tuple(unknown), scope=scope, period=period, topic=topic,
        terms=tuple(terms), wants_number=bool(unit or threshold or _numberish(text, english)) and intent != "summary",
    )
    return follow_up(query, previous, index) if previous is not None else query


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


_OPS = {  # what a threshold word means: 超过 is >, 达到 and 以上 are >=
    ">": ("超过", "超", "高于", "大于", "多于", "above", "over", "more than", "exceeding", "exceeds", "exceeded",
          "faster than", "higher than", "greater than"),
    "<": ("低于", "小于", "少于", "不足", "不到", "below", "under", "less than", "fewer than", "slower than", "lower than"),
    "<=": ("不超过", "不高于", "以下", "以内", "or less", "at most"),
    ">=": ("达到", "达", "不低于", "不少于", "不小于", "以上", "及以上", "之上", "at least", "or more", "and above"),
}
_OP_OF = {w: op for op, words in _OPS.items() for w in words}
_THRESHOLD = re.compile(
    rf"(?P<op>{'|'.join(sorted((w for w in _OP_OF if w not in ('以下', '以内', '以上', '及以上', '之上', 'or less', 'or more', 'and above')), key=len, reverse=True))}|在)?"
    r"\s*(?P<pct>百分之)?(?P<num>\d[\d,]*(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿点]+)\s*"
    r"(?P<mag>%|％|个百分点|成|万亿|亿|万|千|\s?trillion|\s?billion|\s?million|\s?percent)?\s*"
    r"(?P<unit>元|人次|人|件|户|家|个|套|吨|斤|公斤|项|场|次|所|yuan|people|jobs|cases)?\s*"
    r"(?P<post>及以上|以上|以下|以内|之上|or more|and above|or less)?",
    re.I,
)


def read_threshold(text: str) -> tuple[Threshold | None, tuple[int, int] | None]:
    """超过一千亿元 → (>, 1e11, 元); 两成以上 → (>=, 20, %); 百分之五以上 → (>=, 5, %). Numerals via cn2an."""
    for m in _THRESHOLD.finditer(text):
        op_word, post = (m.group("op") or "").lower(), (m.group("post") or "").lower()
        if not (op_word or post) or re.fullmatch(r"(19|20)\d\d", m.group("num")) and not m.group("mag"):
            continue
        if op_word == "在" and not post:
            continue
        amount = read_amount(m.group("num"), "%" if m.group("pct") else (m.group("mag") or ""))
        if amount is None:
            continue
        value, unit = amount
        op = _OP_OF.get(post) if post and op_word in ("", "在", "达到", "达") else _OP_OF.get(op_word, ">=")
        written = {"yuan": "元", "people": "人", "jobs": "人", "cases": "件"}.get((m.group("unit") or "").lower(), m.group("unit") or "")
        return Threshold(op or ">=", value, unit or written), m.span()
    return None, None


def read_amount(numeral: str, magnitude: str = "") -> tuple[float, str] | None:
    """(value in base units, unit) of a number as written: 一千 + 亿 → (1e11, ""), 两 + 成 → (20, "%")."""
    import cn2an

    numeral = numeral.replace(",", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", numeral):
        value = float(numeral)
    else:
        try:  # cn2an reads 一百, not 百 (百分之百)
            value = float(cn2an.cn2an(numeral if numeral[0] not in "十百千万亿" else "一" + numeral, "smart"))
        except (ValueError, KeyError, TypeError):
            return None
    magnitude = magnitude.strip().lower()
    scale = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "trillion": 1e12, "billion": 1e9, "million": 1e6}
    if magnitude in scale:
        return value * scale[magnitude], ""
    if magnitude == "成":  # 两成 is 20%
        return value * 10, "%"
    return value, {"%": "%", "％": "%", "percent": "%", "个百分点": "个百分点"}.get(magnitude, "")


_REPORT_WORDS = re.compile(r"^(?:(?:政府|法治政府建设|法治政府|施政|管委会)?(?:工作)?(?:情况)?报告|报告|report|reports|index|cover|[年的]+)+$", re.I)
_RANKING = re.compile(r"倒数|垫底|末位|拔得头筹|榜首|居首|领跑|殿后|吊车尾|[前后]\s*(?:\d+|[一二两三四五六七八九十])\s*(?:名|位|强)")
_LAST_N = re.compile(r"后\s*(\d+|[一二两三四五六七八九十])\s*(?:名|位)|\bbottom\s*(\d+)", re.I)


def _intent(text, english, threshold, regions, unknown, period, metric, within) -> tuple[str, bool, int]:
    """(intent, descending, top N) — from the question's words, what it names and what it leaves out."""
    en = "_en" if english else ""
    which = has_word(text, "which" + en)
    most, least = has_word(text, "most" + en), has_word(text, "least" + en)
    named = len(regions) + len(unknown)
    numberish = _numberish(text, english)
    about_reports = bool(re.search(r"报告|report|index|cover", text, re.I)) and (not metric or _REPORT_WORDS.match(metric))
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
    summary = en_summary or not english and (has_word(text, "plan") or has_word(text, "problem") or has_word(text, "summary"))
    if summary and not numberish:
        return "summary", True, 0
    return "lookup", True, 0


def _numberish(text: str, english: bool) -> bool:
    en = "_en" if english else ""
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
    if len(regions) >= 2:
        return Scope(level, within, bool(narrow), tuple(regions))
    members = gazetteer.members(within=within, level=level) if (within or level) else ()
    return Scope(level, within, bool(narrow), members)


def _strip(text: str, mentions, spans, english: bool) -> str:
    """The question without its places, periods and thresholds (blanked, so the rest keeps its words apart)."""
    chars = list(text)
    for start, end in [*((m.start, m.end) for m in mentions), *spans]:
        chars[start:end] = " " * (end - start)
    out = "".join(chars)
    if english:
        return out
    out = re.sub(r"(19|20)\d{2}\s*年?(度)?", " ", out)
    return out


_METRIC_ROLES = ("which", "most", "least", "more", "less", "rank", "each", "series", "number", "followup", "narrow",
                 "scaffold", "change", "target", "index")


def _metric(text: str, english: bool, thesaurus: Thesaurus, index: Index) -> tuple[str, tuple[str, ...], str, bool]:
    """(metric as asked, the names reports give it, its field, whether it ended in a growth word) from
    what is left of the question.

    The thesaurus's names are found first and kept whole (规模以上工业增加值 keeps its 规模), then the
    question words are taken out; the change and target words go too, since `change` / `target` say them.
    """
    if english:
        phrase, forms, field_ = _metric_english(text, thesaurus, index)
        grew = any(f.endswith(_CHANGE_SUFFIXES) for f in forms[:1])
        forms = tuple(dict.fromkeys(re.sub(rf"(?<=..)(?:{'|'.join(_CHANGE_SUFFIXES)})$", "", f) for f in forms))
        return phrase, forms, field_, grew
    rest = re.sub(r"[?？!！。.,，、:：;；\s“”\"'‘’()（）]+", " ", text)
    names = thesaurus.find(rest, short=True)
    kept = {}
    for n, (start, end, group) in enumerate(reversed(names)):
        key = f"\x00{len(names) - 1 - n}\x00"
        kept[key] = group.canonical
        rest = rest[:start] + key + rest[end:]
    words = sorted({w for r in _METRIC_ROLES for w in question_words()[r] if len(w) > 1}, key=len, reverse=True)
    rest = _ASKED_UNIT.sub(" ", rest)  # 多少件: the unit is read apart
    rest = re.sub("|".join(map(re.escape, words)), " ", rest)
    rest = re.sub(r"前\s*(\d+|[一二两三四五六七八九十])\s*(名|位|强)?|第\s*\d+|谁|哪|了(?!解)", " ", rest)
    rest = re.sub(r"(?:省份|省区市|区县|城市)|地区(?!生产)|地方(?!一般|财政|政府)|^\s*(?:各|每)", " ", rest)
    for key, name in kept.items():
        rest = rest.replace(key, f" {name} " if name.endswith(_CHANGE_SUFFIXES) else name)
    pieces = [p.strip("的是为有在和与及跟同各每个那这其之上里中 ") for p in rest.split()]
    pieces = [p for p in pieces if len(p) >= 2 or p in ("率", "额")]
    field_ = thesaurus.field_of("".join(pieces))  # 人民调解的化解成功率: the field may stand before 的
    phrase = _after_de("".join(pieces))
    phrase = re.sub(r"^(?:个|区|省|市|县)(?=..)", "", phrase)
    phrase = re.sub(r"(?:是|为|有|达到|达|的|吗|呢|吧|啊|呀)+$", "", phrase)
    phrase = re.sub(r"(?<=..)(?:更|较)?(?:高|多|大|快|低|少|小|慢)$", "", phrase)  # 哪个…案件多: 多 asks, it names nothing
    grew = bool(re.search(rf"(?<=..)(?:{'|'.join(_CHANGE_SUFFIXES)})$", phrase))
    phrase = re.sub(rf"(?<=..)(?:{'|'.join(_CHANGE_SUFFIXES)})$", "", phrase)  # 地区生产总值增长 → 地区生产总值
    if not phrase:
        return "", (), "", grew
    field_ = thesaurus.field_of(phrase) or field_
    forms = [phrase]
    for start, end, group in thesaurus.find(phrase, short=True):
        if group.canonical == phrase[start:end]:
            forms += [phrase[:start] + v + phrase[end:] for v in group.variants if has_cjk(v) and v not in group.whole_only]
    cut = cut_metric(phrase)  # …挽回经济损失 is also 经济损失, as the reports' facts are cut
    if cut and cut != phrase and len(cut) >= 2:
        forms.append(cut)
    if field_:  # 复议调解率 is also 调解率 in 行政复议
        for alias in sorted(thesaurus.field_words(field_), key=len, reverse=True):
            if phrase.startswith(alias) and phrase.endswith("率") and len(phrase) - len(alias) >= 2:
                forms.insert(1, phrase[len(alias):])
                break
    return phrase, tuple(dict.fromkeys(f for f in forms if f)), field_, grew


_MEASURE = re.compile(r"(?:场次|人次|件数|人数|次数|数量|总数|金额|规模|总量|比例|比重|占比|个数|户数)")


def _after_de(phrase: str) -> str:
    """What a phrase with 的 names: its last part (受理的法律援助案件 → 法律援助案件), with a bare measure
    kept on what it measures (法治宣传活动的场次 → 法治宣传活动场次)."""
    parts = [p.lstrip("把将对") for p in phrase.split("的") if p.lstrip("把将对")]
    if len(parts) < 2:
        return "".join(parts)
    if _MEASURE.fullmatch(parts[-1]):
        return parts[-2] + parts[-1]
    thesaurus = load_thesaurus()
    named = [p for p in parts if thesaurus.find(p, short=True)]
    if named and not thesaurus.find(parts[-1], short=True):
        return named[-1]  # 城镇调查失业率的控制目标 → 城镇调查失业率
    return parts[-1] if len(parts[-1]) >= 2 else "".join(parts)


_CHANGE_SUFFIXES = ("增长率", "增速", "增幅", "增长", "涨幅", "涨")


def _metric_english(text: str, thesaurus: Thesaurus, index: Index) -> tuple[str, tuple[str, ...], str]:
    found = thesaurus.find(text)
    field_ = thesaurus.field_of(text)
    if found:
        start, end, group = max(found, key=lambda f: f[1] - f[0])
        return text[start:end], (group.canonical, *(v for v in group.variants if has_cjk(v) and v not in group.whole_only)), field_
    terms = chinese_terms(text, index.word_counts, index.regions, per_term=1)
    words = [t.chinese[0] for t in terms if t.chinese and not has_word(t.english, "number_en") and not has_word(t.english, "most_en")]
    if not words:
        return "", (), field_
    return " ".join(t.english for t in terms if t.chinese), ("".join(words),), field_


def _topic(text: str, english: bool) -> str:
    en = "_en" if english else ""
    for topic in ("plan", "problem"):
        if has_word(text, topic + en):
            return topic
    return "measure" if has_word(text, "measure" + en) else ""


def _terms(index: Index, text: str, english: bool, thesaurus: Thesaurus, topic: str, regions) -> list[tuple[str, ...]]:
    """Content words with their alternatives: what a supporting passage must say, in one of its names."""
    if english:
        terms = [tuple(g.canonical for _, _, g in thesaurus.find(text)[:1])] if thesaurus.find(text) else []
        for t in chinese_terms(text, index.word_counts, index.regions, per_term=5):
            if has_word(t.english, "number_en") or has_word(t.english, "most_en") or has_word(t.english, "least_en"):
                continue
            acronym = (t.english.upper(),) if len(t.english) <= 4 and t.english.isalnum() else ()
            terms.append(t.chinese + acronym)
        numbers = [n for n in re.findall(r"\d{3,}", text) if not re.fullmatch(r"(19|20)\d\d", n)]  # the 12345 hotline
        return [t for t in terms if t] + [(n,) for n in numbers]
    scaffold = {w for role in ("scaffold", "summary", "number", "money", "rate") for w in question_words()[role]}
    out: list[tuple[str, ...]] = []
    rest = text
    for start, end, group in reversed(thesaurus.find(text, short=True)):  # a figure's names are one term
        out.append(tuple(w for w in group.words if has_cjk(w) and w not in group.whole_only))
        rest = rest[:start] + " " + rest[end:]
    words = [w for w in index.segmenter().tokens(rest) if len(w) > 1 and w not in scaffold and not w.isdigit()]
    for role in ("which", "most", "least", "each", "series", "followup", "narrow", "index", "plan", "problem", "measure"):
        words = [w for w in words if w not in question_words()[role]]
    words = [w for w in dict.fromkeys(words) if not any(w != o and w in o for o in words)]
    for w in words:
        alts = [w]
        sense = thesaurus.group(w, "sense")
        if sense:
            alts += [x for x in sense.words if has_cjk(x)]
        out.append(tuple(dict.fromkeys(alts)))
    if topic in ("plan", "problem") and not any(thesaurus.group(a, "sense") for t in out for a in t):
        out.append(thesaurus.group({"plan": "安排", "problem": "问题"}[topic], "sense").words)
    return out


def _unit(text, english, forms, change, threshold, thesaurus) -> str:
    """The unit asked for: a rate (%), a count (件, 人, 家 …) or money (元)."""
    if change or has_word(text, "rate_en" if english else "rate") or (threshold and threshold.unit == "%"):
        return "%"
    if forms and re.search(r"(?:率|比重|比例|占比|强度)$", forms[0]):
        return "%"
    m = _ASKED_UNIT.search(text)
    if m:
        unit = m.group(1)
        return "元" if unit.endswith("元") or unit in ("亿", "万亿") else {"名": "人", "位": "人", "万人": "人"}.get(unit, unit)
    for form in forms:
        group = thesaurus.group(form)
        if group and group.unit:
            return group.unit
    if has_word(text, "money") or (threshold and threshold.unit == "元"):
        return "元"
    return thesaurus.unit_of(forms[0]) if forms else ""


def scope_members(query: Query, index: Index) -> tuple[str, ...]:
    """The indexed regions a comparison ranges over (every region of the asked level when unscoped)."""
    if query.regions:
        return query.regions
    if query.scope.previous and query.scope.regions:
        return query.scope.regions
    if query.scope.regions:
        return query.scope.regions
    gazetteer = index.gazetteer()
    return tuple(r for r in index.regions if not query.scope.level or level_of(gazetteer.regions[r]) == query.scope.level)
