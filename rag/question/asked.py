"""What a question asks, word by word: its question words by role, thresholds and amounts, the metric,
the unit and the content words a passage must say (rag/question/parse.py puts them together into a Query).

Question words come from `rag/data/question_words.tsv`, figure names from the thesaurus, Chinese numerals
are read by cn2an (一千亿, 两成, 百分之五).
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass

from rag.documents.facts import UNITS, cut_metric
from rag.language.characters import has_cjk
from rag.language.crosslingual import chinese_terms
from rag.language.thesaurus import Thesaurus, load_thesaurus
from rag.question.catalog import Catalog

ASKED_UNIT = re.compile(rf"(?<![哪这那])(?:多少|几)((?:万亿|亿|万)?(?:{UNITS})|万亿|亿)")  # 多少万辆, 几亿元


@dataclass(frozen=True)
class Threshold:
    """哪些…超过一千亿元: op ">", value 1e11, unit "元" (values in base units: 元, %, 人, 件)."""

    op: str  # ">=" | ">" | "<=" | "<"
    value: float
    unit: str = ""

    def holds(self, value: float) -> bool:
        return {">=": value >= self.value, ">": value > self.value, "<=": value <= self.value, "<": value < self.value}[self.op]


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
    r"(?:了)?\s*(?P<pct>百分之)?(?P<num>\d[\d,]*(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿点]+)\s*"
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
    import cn2an  # lazy: ~0.1 s to import (on every question's path); only a number in Chinese numerals needs it

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


_METRIC_ROLES = ("which", "most", "least", "more", "less", "rank", "each", "series", "number", "followup", "narrow",
                 "year_before", "year_after", "exact",
                 "scaffold", "change", "target", "index")


def read_metric(text: str, english: bool, thesaurus: Thesaurus, index: Catalog) -> tuple[str, tuple[str, ...], str, bool]:  # noqa: C901, PLR0912
    """(metric as asked, the names reports give it, its field, whether it ended in a growth word) from
    what is left of the question.

    The thesaurus's names are found first and kept whole (规模以上工业增加值 keeps its 规模), then the
    question words are taken out; the change and target words go too, since `change` / `target` say them.
    """
    if english:
        phrase, forms, field_ = _metric_english(text, thesaurus, index)
        if re.fullmatch(r"(?:增长|增速|增幅)", forms[0] if forms else ""):
            forms = ()
        grew = any(f.endswith(_CHANGE_SUFFIXES) for f in forms[:1])
        forms = tuple(dict.fromkeys(re.sub(rf"(?<=..)(?:{'|'.join(_CHANGE_SUFFIXES)})$", "", f) for f in forms))
        return phrase, forms, field_, grew
    rest = re.sub(r"[?？!！。,，、:：;；\s“”\"'‘’()（）]+|\.(?!\d)", " ", text)  # PM2.5 keeps its point
    names = thesaurus.find(rest, short=True)
    kept = {}
    for n, (start, end, group) in enumerate(reversed(names)):
        key = f"\x00{len(names) - 1 - n}\x00"
        kept[key] = group.canonical
        rest = rest[:start] + key + rest[end:]
    words = sorted({w for r in _METRIC_ROLES for w in question_words()[r] if len(w) > 1}, key=len, reverse=True)
    rest = ASKED_UNIT.sub(" ", rest)  # 多少件: the unit is read apart
    rest = re.sub("|".join(map(re.escape, words)), " ", rest)
    rest = re.sub(r"前\s*(\d+|[一二两三四五六七八九十])\s*(名|位|强)?|第\s*\d+|谁|哪|了(?!解)", " ", rest)
    rest = re.sub(r"(?:省份|省区市|省区|区县|城市)|地区(?!生产)|地方(?!一般|财政|政府)|^\s*(?:各|每)", " ", rest)
    for key, name in kept.items():
        rest = rest.replace(key, f" {name} " if name.endswith(_CHANGE_SUFFIXES) else name)
    pieces = [p.strip("的是为有在和与及跟同各每个那这其之上里中 ") for p in rest.split()]
    pieces = [p for p in pieces if len(p) >= 2 or p in ("率", "额")]
    field_ = thesaurus.field_of("".join(pieces))  # 人民调解的化解成功率: the field may stand before 的
    phrase = _after_de("".join(pieces))
    if not any(start == 0 for start, _, _ in thesaurus.find(phrase, short=True)):  # 市场主体 is a name:
        phrase = re.sub(r"^(?:个|区|省|市|县)(?=..)", "", phrase)  # 个案件, 市受理 are left of 哪个, 哪个市
    phrase = re.sub(r"(?<=..)(?:是)?(?:怎么|如何|怎样|为何|为什么).*$", "", phrase)  # 浓度是怎么降下来的: how, not what
    phrase = re.sub(r"(?:是|为|有|达到|达|的|吗|呢|吧|啊|呀)+$", "", phrase)
    phrase = re.sub(r"(?<=..)(?:更|较)?(?:高|多|大|快|低|少|小|慢)$", "", phrase)  # 哪个…案件多: 多 asks, it names nothing
    if phrase in _CHANGE_SUFFIXES:  # 它今年的增长目标: growth of what the conversation is about
        return "", (), "", True
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


def _metric_english(text: str, thesaurus: Thesaurus, index: Catalog) -> tuple[str, tuple[str, ...], str]:
    found = thesaurus.find(text)
    field_ = thesaurus.field_of(text)
    if found:
        start, end, group = max(found, key=lambda f: f[1] - f[0])
        return text[start:end], (group.canonical, *(v for v in group.variants if has_cjk(v) and v not in group.whole_only)), field_
    asked = _ASKED_EN.search(text)  # how many notarial matters did…: what is counted, not the clause around it
    scope = asked.group(1) if asked else text
    terms = [t for t in chinese_terms(scope, index.word_counts, index.regions, per_term=1)
             if not has_word(t.english, "number_en") and not has_word(t.english, "most_en")]
    if asked and not terms:
        terms = [t for t in chinese_terms(text, index.word_counts, index.regions, per_term=1)
                 if not has_word(t.english, "number_en") and not has_word(t.english, "most_en")]
    words = [t.chinese[0] for t in terms if t.chinese]
    if not words:
        return "", (), field_
    return " ".join(t.english for t in terms), ("".join(words),), field_


# The noun an English question counts: how many | how much … up to its verb or preposition.
_ASKED_EN = re.compile(r"\b(?:how many|how much)\s+"
                       r"([a-z][a-z\s'-]*?)\s+(?:did|does|do|was|were|is|are|has|have|had|in|of|for|at|by|did)\b", re.I)


def topic_of(text: str, english: bool) -> str:
    en = "_en" if english else ""
    for topic in ("plan", "problem"):
        if has_word(text, topic + en):
            return topic
    return "measure" if has_word(text, "measure" + en) else ""


_ACRONYM = re.compile(r"[A-Z][A-Z0-9.]{1,5}")


def content_terms(index: Catalog, text: str, english: bool, thesaurus: Thesaurus, topic: str, regions) -> list[tuple[str, ...]]:
    """Content words with their alternatives: what a supporting passage must say, in one of its names."""
    if english:
        found = thesaurus.find(text)
        terms = []
        for _, _, g in found:  # GDP growth: a sentence says 地区生产总值…增长, so the figure's names count
            base = thesaurus.group(re.sub(r"(?:增长|增速)$", "", g.canonical))
            terms.append(tuple(w for w in (*g.words, *(base.words if base else ())) if has_cjk(w)))
        rest = text
        for start, end, _ in reversed(found):  # a figure the thesaurus names needs no word-by-word reading
            rest = rest[:start] + " " + rest[end:]
        for t in chinese_terms(rest, index.word_counts, index.regions, per_term=5):
            if has_word(t.english, "number_en") or has_word(t.english, "most_en") or has_word(t.english, "least_en"):
                continue
            acronym = (t.english.upper(),) if len(t.english) <= 4 and t.english.isalnum() else ()
            # a word the dictionary knows but no report uses (tourists → 游客) still counts, unmatched
            terms.append(t.chinese + acronym or (t.english,))
        numbers = [n for n in re.findall(r"\d{3,}", text) if not re.fullmatch(r"(19|20)\d\d", n)]  # the 12345 hotline
        return [t for t in terms if t] + [(n,) for n in numbers]
    scaffold = {w for role in ("scaffold", "summary", "number", "money", "rate") for w in question_words()[role]}
    out: list[tuple[str, ...]] = []
    rest = text
    for start, end, group in reversed(thesaurus.find(text, short=True)):  # a figure's names are one term
        # …and reports write some in Latin letters: 人均GDP, PM2.5
        out.append(tuple(w for w in group.words if (has_cjk(w) or _ACRONYM.fullmatch(w)) and w not in group.whole_only))
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


def asked_unit(text, english, forms, change, threshold, thesaurus) -> str:
    """The unit asked for: a rate (%), a count (件, 人, 家 …) or money (元)."""
    if change or has_word(text, "rate_en" if english else "rate") or (threshold and threshold.unit == "%"):
        return "%"
    if forms and re.search(r"(?:率|比重|比例|占比|强度)$", forms[0]):
        return "%"
    if threshold and threshold.unit and threshold.unit != "%":  # 超过一千万户 counts in 户
        return "元" if threshold.unit.endswith("元") else threshold.unit
    m = ASKED_UNIT.search(text)
    if m:
        unit = re.sub(r"^(?:万亿|亿|万)(?=.)", "", m.group(1))  # 多少万辆 asks 辆
        return "元" if unit.endswith("元") or unit in ("亿", "万亿") else {"名": "人", "位": "人"}.get(unit, unit)
    for form in forms:
        group = thesaurus.group(form)
        if group and group.unit:
            return group.unit
    if has_word(text, "money") or (threshold and threshold.unit == "元"):
        return "元"
    return thesaurus.unit_of(forms[0]) if forms else ""
