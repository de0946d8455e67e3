"""Reading a question: what kind it is, which regions and years it means, which words must be answered.

Everything here looks at the question (and at what the index holds); nothing quotes or ranks passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from rag.crosslingual import chinese_terms, has_cjk
from rag.search import regions_in
from rag.store import Index

_SUPERLATIVE = re.compile(r"最(高|多|大|好|快|低|少|小|差|慢)|排名|排第一|第一")
# Two named regions: "镜湖区和鹿城区哪个法律援助案件多?"
_WHICH_MORE = re.compile(r"(?:哪个|哪一个|谁)[^，。？?]*?(?:更|较)?(高|多|大|低|少|小)[？?。]?$")
_THRESHOLD = re.compile(r"(达到|达|超过|高于|不低于|以上|低于|不足|少于|不到)\s*(\d+(?:\.\d+)?)\s*(%|％)?")
_ENUMERATE = re.compile(r"各(地|区|市|县|省)|分别|每个(地区|区|市|县)|各个|逐一|列出|比较|对比|相比")
NUMBER_WANTED = re.compile(
    r"多少|几(个|项|件|次|人|名|家|场)?|[率比]|数量|金额|规模|\bhow (many|much)\b|\b(rate|percentage|share|number)\b", re.I
)
# Questions about growth: the answer is a change (增长5.1%), not a level.
CHANGE_ASKED = re.compile(
    r"增速|增幅|增长率|涨幅|降幅|(增长|下降|提高|提升|增加|减少)(了)?(多少|最快|最多|最慢|最少|幅度|目标|预期)|增长最|下降最"
)
CHANGE_ASKED_EN = re.compile(r"\b(growth|grow|grew|increase[ds]?|rise|rose|decline[ds]?|fell)\b", re.I)
CHANGE_WORD = re.compile(r"(增速|增幅|增长率|涨幅|降幅|增长|下降|提高|提升|增加|减少)(幅度|目标|预期目标|预期)?$")
GOAL_ASKED = re.compile(r"目标|预期|计划|力争|打算|安排|\b(target|goal|plan)s?\b", re.I)
ASKED_UNIT = re.compile(r"(?:多少|几)(人次|户次|件次|场次|个|件|项|次|人|名|家|场|笔|户|所|座|条|份|起|期|批|天|元)")
RATE_WANTED = re.compile(r"率|比例|百分|\b(rate|percent|percentage|share|proportion|ratio)\b", re.I)
_SUMMARY = re.compile(r"哪些|什么|如何|怎样|怎么|情况|举措|措施|做法|不足|问题|安排|计划|经验|成效")
_GENERIC_PLACE = re.compile(r"[全各本我该辖城市社园景小片县地哪每个那这]")
_PLACE = re.compile(r"([\u4e00-\u9fff]{1,6}?(?:自治区|新区|高区|区|市|县|省|旗))")
MUNICIPALITIES = {"北京市", "上海市", "天津市", "重庆市"}  # province-level cities
# Province-level names as people write them, to tell "香港…" or "浙江…" from a place the index has.
_PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 "
    "四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()
# Words reports use interchangeably in their headings: a question's 打算 is a heading's 安排.
SENSES = [("打算", "安排", "计划", "思路", "下一步", "重点工作"), ("不足", "问题", "短板", "差距", "困难", "挑战")]
_SAME_SENSE = {w: group for group in SENSES for w in group}
_REPORT_YEAR = re.compile(r"(20\d{2})\s*年(?:度)?的?(?:政府工作|法治政府建设(?:情况)?|工作)?报告")  # the report's own year
YEAR_ASKED = re.compile(r"(20\d{2})\s*年(?!以来|来|底前|之前)")
YEAR = re.compile(r"(19|20)\d{2}年?")
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
    if _ENUMERATE.search(q) and NUMBER_WANTED.search(q):
        return Intent("enumerate")
    if _SUMMARY.search(q) and not NUMBER_WANTED.search(q):
        return Intent("summary")
    return Intent("lookup")


def asks_for_change(question: str) -> bool:
    """Whether the question asks how much a figure grew (增速, 增长多少, growth) rather than its level."""
    return bool(CHANGE_ASKED.search(question) or (not has_cjk(question) and CHANGE_ASKED_EN.search(question)))


def report_years(index: Index, question: str, regions: list[str] | None, plans: bool = False) -> list[int] | None:
    """The report years a question about year Y means. None when it names no year; [] when a named
    region has no report for it.

    A 政府工作报告 of year Y+1 reviews year Y and sets the targets of Y+1; a 法治政府建设 report of
    year Y reviews Y and plans Y+1. "2024年政府工作报告" names the report itself.
    """
    asked = {int(y) for y in YEAR_ASKED.findall(question)}
    if not has_cjk(question):  # "in 2023"
        asked = {int(y) for y in re.findall(r"\b(20\d{2})\b", question)}
    if not asked:
        return None
    if _REPORT_YEAR.search(question):
        return sorted({int(y) for y in _REPORT_YEAR.findall(question)})
    named = set(regions or ()) or set(regions_in(question, index.regions))
    reports = [r for r in index.reports.values() if r.year and (not named or r.region in named)]
    goals = bool(GOAL_ASKED.search(question))

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


def unindexed_places(index: Index, question: str) -> list[str]:
    """Place names in the question (朝阳区) that no indexed report is about."""
    known = set(index.regions) | {r.title for r in index.reports.values()}
    named = regions_in(question, index.regions)  # 浙江省温州市鹿城区 is about 鹿城区
    out = [p for p in _PROVINCES if p in question and not named and not any(k.startswith(p) for k in known)]
    for m in _PLACE.finditer(YEAR.sub(" ", question)):  # not 年来区 in "2021年来区访"
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


def regions_of_level(index: Index, question: str) -> set[str]:
    """The regions a 哪个区 / 各省 question ranges over: districts and counties are not ranked against provinces."""
    m = re.search(r"(?:哪个|哪一个|哪些|哪几个|各|每个)(区|县|市|省)", question)
    if not m:
        return set()
    level = m.group(1)

    def is_province(region: str) -> bool:
        return region.endswith(("省", "自治区")) or region in MUNICIPALITIES

    if level == "省":
        return {r for r in index.regions if is_province(r)}
    if level == "市":
        return {r for r in index.regions if not r.endswith(("省", "自治区"))}
    return {r for r in index.regions if not is_province(r)}


def content_words(index: Index, question: str) -> list[str]:
    """Question words that must be found in a supporting passage (not the region, year or 'how many')."""
    segmenter = index.segmenter()
    regions = set(regions_in(question, index.regions))
    stripped = YEAR.sub(" ", question)
    for r in regions:
        stripped = stripped.replace(r, " ")
    words = [_SCAFFOLD.sub("", w) for w in segmenter.tokens(stripped)]  # 管理方面 → 管理
    words = [w for w in words if w not in _CONTENT_STOP and not w.isdigit() and len(w) > 1]
    # cut_for_search yields a word and its parts; keep the longest forms
    return [w for w in dict.fromkeys(words) if not any(w != o and w in o for o in words)]


def question_core(index: Index, question: str) -> str:
    """The question without its region, year and question words: what a sentence should say verbatim."""
    core = YEAR.sub(" ", question)
    for region in regions_in(question, index.regions):
        core = core.replace(region, " ")
    return re.sub(r"多少|几|是|吗|哪些|什么|[?？!！,，。、\s]", " ", core)


def phrase_bonus(core: str, sentence: str) -> float:
    """Up to 0.2 for saying a long stretch of the question verbatim: 开展法治宣传活动 beats 宣传活动."""
    if not has_cjk(core):
        return 0.0
    longest = max((SequenceMatcher(None, part, sentence).find_longest_match().size for part in core.split()), default=0)
    return 0.2 * min(longest, 10) / 10 if longest >= 3 else 0.0


def question_terms(index: Index, question: str) -> list[tuple[tuple[str, ...], float]]:
    """What a passage must contain to answer the question: (alternative words, weight) per content word.

    An English term counts as found when any of its Chinese translations is (legal aid → 法律/援助).
    """
    if not has_cjk(question):
        terms = [
            # Reports write some acronyms as they are: 全区GDP同比增长8.5%
            (t.chinese + ((t.english.upper(),) if len(t.english) <= 4 and t.english.isalnum() else ()), 1.0)
            for t in chinese_terms(question, index.word_counts, index.regions, per_term=5)
        ]
        numbers = [n for n in re.findall(r"\d{3,}", question) if not YEAR.fullmatch(n)]  # the 12345 hotline
        return terms + [((n,), 1.0) for n in numbers]
    return [(_SAME_SENSE.get(w, (w,)), float(len(w))) for w in content_words(index, question)]


def overlap(terms: list[tuple[tuple[str, ...], float]], text: str) -> float:
    """Weighted share of the terms found in `text`."""
    total = sum(weight for _, weight in terms)
    return sum(weight for words, weight in terms if any(w in text for w in words)) / total if total else 0.0


