"""The Query: a question as understood — what is asked (intent, metric, measure), of whom (regions, scope), when.

Made once by `parse` (rag/question/parse.py; a follow-up merged with the previous Query by
rag/question/conversation.py), then only read: retrieval, matching, comparison and the answer work from it.
`reading()` says it back in one line a user can check; `to_json()` is what `rag parse --json` prints.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rag.language.characters import has_cjk
from rag.language.periods import Period
from rag.question.asked import Threshold


@dataclass(frozen=True)
class Scope:
    """The group a comparison ranges over: a level (各省), a parent place (深圳的各区), the last answer's rows."""

    level: str = ""  # "province" | "county" | ""
    within: str = ""  # 深圳市
    previous: bool = False  # 其中 / 这些 / 它们
    regions: tuple[str, ...] = ()  # the indexed regions in it; () = every indexed region of the level


@dataclass(frozen=True)
class Cues:
    """What a question says about the conversation before it, read from its words once, by parse
    (rag/question/conversation.py `read_cues`); a follow-up is read from these, not from the text again."""

    follow: bool = False  # 那…呢, 还有, 同样: it goes on from the previous question (a follow-up word, or …呢)
    narrow: bool = False  # 其中 / 这些: the previous answer's rows
    pronoun: bool = False  # 它 / 该区 / its: the previous answer's first row
    result: bool = False  # 实际 / 实绩: a result is asked, not the target asked before
    step: int = 0  # 前一年 −1, 后一年 +1: a year relative to the one asked before


@dataclass(frozen=True)
class Query:
    """A question as understood: what is asked (intent, metric, measure), of whom (regions, scope), when."""

    text: str
    language: str = "zh"
    intent: str = "lookup"  # | superlative | threshold | enumerate | series | summary | index
    descending: bool = True
    top: int = 0  # 前三名 → 3
    word: str = ""  # the superlative as asked (最多, 最快), for the answer to say it back
    threshold: Threshold | None = None
    metric: str = ""  # as asked, places, years and question words removed: GDP增速 → GDP
    metric_forms: tuple[str, ...] = ()  # the names reports use for it: 地区生产总值, 本地生产总值 …
    field: str = ""  # 行政复议 for 复议调解率
    change: bool = False  # 增速 / 增长了多少: a year-on-year change is asked
    target: bool = False  # 目标 / 预期: a goal is asked, not a result
    unit: str = ""  # "%" for rates, 件 / 人 / 元 …
    regions: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()  # 不算大鹏新区: left out of the comparison
    unknown_places: tuple[str, ...] = ()
    scope: Scope = dataclasses.field(default_factory=Scope)
    period: Period = dataclasses.field(default_factory=Period)
    topic: str = ""  # summaries: "plan" | "problem" | "measure" | ""
    terms: tuple[tuple[str, ...], ...] = ()  # content words, each with its alternatives
    wants_number: bool = False  # 多少 / 率 / 增速: a figure is asked, not a passage
    exact: bool = False  # 准确数字 / 具体是百分之几: a bound or an estimate (突破2.6万亿元) does not answer
    actual: bool = False  # 实际达到 / 实绩: a target (…达到69%左右 in a plan) does not answer
    measure_said: str = ""  # 新增 / 总量 in the question's own words (病床总数是多少): a figure of the other is not it
    report_kind: str = ""  # 法治政府建设情况报告 …: the kind of report a question about the index asks for
    followup: bool = False
    cues: Cues = dataclasses.field(default_factory=Cues)  # what it says of the conversation before it
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
        parts = [f"{label}：{value}" for label, value in self.reading_parts()]
        return f"按“{'；'.join(parts)}”理解" if parts else ""

    def reading_parts(self) -> tuple[tuple[str, str], ...]:
        """The reading as (what, how it was read): (指标, 调解率), (地区, 鹿城区), (年份, 2024) …: the chat's chips."""
        parts = []
        if self.metric:
            shown = self.metric_forms[0] if self.metric_forms else self.metric
            field_ = f"{self.field}·" if self.field and self.field not in shown else ""
            measure = "·".join(x for x, on in (("增长", self.change), ("目标", self.target)) if on)
            parts.append(("指标", f"{field_}{shown}{'·' + measure if measure else ''}"))
        elif self.topic:
            parts.append(("内容", {"plan": "工作安排", "problem": "问题与不足", "measure": "举措与成效"}[self.topic]))
        if self.regions:
            parts.append(("地区", "、".join(self.regions)))
        elif self.comparison:
            parts.append(("范围", describe_scope(self.scope)))
        if self.period.label:
            parts.append(("年份", self.period.label))
        kind = {"superlative": "最低" if not self.descending else "最高", "threshold": "达标筛选", "enumerate": "逐一列出",
                "series": "历年数据", "summary": "摘要", "index": "索引内容"}.get(self.intent)
        if self.intent == "superlative" and self.top:
            kind = f"{'后' if not self.descending else '前'}{self.top}名"
        if kind:
            parts.append(("问法", kind))
        return tuple(parts)

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
            "topic": self.topic, "terms": [list(t) for t in self.terms], "followup": self.followup, "exact": self.exact, "actual": self.actual,
            "reading": self.reading(),
        }


def describe_scope(scope: Scope) -> str:
    if scope.previous:
        return "上一问结果中的地区"
    level = {"province": "各省份", "county": "各区县"}.get(scope.level, "全部报告")
    return f"{scope.within}{'下辖各区' if scope.level == 'county' else '各省份' if scope.level == 'province' else ''}" if scope.within else level
