"""The years a question asks about, and which reports speak of them.

Years are read by jionlp's time parser (2021到2024年, 去年, 前年, 近三年) and, for lists it does not split
("2022、2023年"), by the digits themselves. A relative year is read from where the reports stand: the newest
report on the asked region is "now" (a 政府工作报告 of 2025 is given in 2025, a 法治政府建设 report on 2024
early in 2025), so 去年 in a question about 北京 is 2024, the year its 2025 report reviews.

Which reports speak of year Y: a 政府工作报告 of Y+1 gives Y's results and its own year's targets; a
法治政府建设 report of Y gives Y's results and Y+1's plans.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import re
from dataclasses import dataclass

from rag.types import Report

_RANGE = re.compile(
    r"(?:从|from\s+|between\s+)?((?:19|20)\d{2})\s*年?\s*(?:到|至|—|–|-|~|～|－|to|and|until)\s*((?:19|20)\d{2})\s*年?", re.I
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:\s*年(?:度)?|(?=\s*[、和与及,，]\s*(?:19|20)\d{2}\s*年)|(?![\d万亿千百元%]))")
_SINCE = re.compile(r"((?:19|20)\d{2})\s*年(?:以来|至今)")
_REPORT = re.compile(r"((?:19|20)\d{2})\s*年(?:度)?的?(?:政府工作|法治政府建设(?:情况)?|管委会工作|工作)报告")
_EVERY_YEAR = re.compile(r"历年|每年|逐年|各年|历来|每一年|多年来|over the years|each year|every year|year by year", re.I)
_RELATIVE = re.compile(r"(?<![比较同])(?:去年|上年)(?!同期)|今年|前年|明年|本年|当年|近\s*[一二两三四五六七八九十\d]+\s*年|过去\s*[一二两三四五六七八九十\d]+\s*年|"
                       r"这\s*[两三四五]\s*年|last year|this year|past (?:two|three|four|five|\d) years|last (?:two|three|four|five|\d) years", re.I)


@dataclass(frozen=True)
class Period:
    """The years the asked figures are about, oldest first, and the report years to search."""

    years: tuple[int, ...] = ()
    all_years: bool = False  # 历年: every year the reports give
    label: str = ""  # how to show it: 2024 / 2021–2024 / 去年（2024） / 历年
    report_years: tuple[int, ...] | None = None  # None: search reports of any year
    named_report: bool = False  # "2024年政府工作报告": the report itself was named


def reviews_previous_year(report: Report) -> bool:
    """A 政府工作报告 (or 管委会工作报告) of Y is given early in Y and reviews Y−1."""
    return report.work_report


def reviewed_years(report: Report) -> tuple[int, ...]:
    """The years `report` gives results for: what its text says (rag/documents/metadata.py), else what its kind implies."""
    if report.reviews or not report.year:
        return report.reviews
    return (report.year - 1,) if reviews_previous_year(report) else (report.year,)


def planned_years(report: Report) -> tuple[int, ...]:
    """The years `report` sets targets for."""
    if report.plans or not report.year:
        return report.plans
    return (report.year,) if reviews_previous_year(report) else (report.year + 1,)


def now_of(reports) -> int | None:
    """The year the newest of `reports` was given in — what 今年 means to a reader of them — but never later
    than this year: a report misdated 2099 must not move 去年 for every question."""
    years = [max(planned_years(r)) for r in reports if r.year]
    return min(max(years), dt.date.today().year) if years else None


def read_period(text: str, index, regions) -> tuple[Period, list[tuple[int, int]]]:  # noqa: C901
    """(the period `text` asks about, the spans that said it) — regions make 去年 theirs."""
    spans: list[tuple[int, int]] = []
    named = [m for m in _REPORT.finditer(text)]
    if named:
        report_years = tuple(sorted({int(m.group(1)) for m in named}))
        kind_years = []
        for m in named:
            work = "工作" in m.group(0) and "法治" not in m.group(0)
            kind_years.append(int(m.group(1)) - (1 if work else 0))
        spans += [m.span() for m in named]
        label = "、".join(f"{y}年报告" for y in report_years)
        return Period(tuple(sorted(set(kind_years))), label=label, report_years=report_years, named_report=True), spans
    years: set[int] = set()
    labels: list[str] = []
    for m in _SINCE.finditer(text):  # 2021年以来: each year from then to the latest the reports review
        reports = [r for r in index.reports.values() if not regions or r.region in regions]
        last = (now_of(reports) or dt.date.today().year) - 1
        years |= set(range(int(m.group(1)), max(int(m.group(1)), last) + 1))
        spans.append(m.span())
        labels.append(f"{m.group(1)}–{last}")
    for m in _RANGE.finditer(text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        if b - a <= 30:
            years |= set(range(a, b + 1))
            spans.append(m.span())
            labels.append(f"{a}–{b}")
    for m in _YEAR.finditer(text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        years.add(int(m.group(1)))
        spans.append(m.span())
        labels.append(m.group(1))
    relative = list(_RELATIVE.finditer(text))
    if relative:
        reports = [r for r in index.reports.values() if not regions or r.region in regions]
        now = now_of(reports) or dt.date.today().year
        for m in relative:
            found = _relative_years(m.group(), now)
            if found:
                years |= set(found)
                spans.append(m.span())
                shown = f"{found[0]}" if len(found) == 1 else f"{found[0]}–{found[-1]}"
                labels.append(f"{m.group().strip()}（{shown}）")
    every = _EVERY_YEAR.search(text)
    if every:
        spans.append(every.span())
    label = "历年" if every and not years else "、".join(labels)
    return Period(tuple(sorted(years)), all_years=bool(every) and not years, label=label), spans


def _relative_years(expression: str, now: int) -> list[int]:
    """去年 → [now−1]; 近三年 → the three years before now; via jionlp's time parser."""
    expression = {"last year": "去年", "this year": "今年"}.get(expression.lower(), expression)
    english = re.match(r"(?:past|last) (\w+) years", expression, re.I)
    if english:
        n = {"two": 2, "three": 3, "four": 4, "five": 5}.get(english.group(1).lower()) or int(english.group(1))
        expression = f"近{n}年"
    parsed = _parse_time(expression, now)
    if parsed is None:
        return []
    start, end, blur = parsed
    if blur:  # 近三年: the latest whole years the reports can have results for
        n = max(1, round((end - start).days / 365))
        return list(range(now - n, now))
    return list(range(start.year, end.year + 1))


def _parse_time(expression: str, now: int):
    jio = _jionlp()
    try:
        out = jio.parse_time(expression, time_base={"year": now, "month": 1, "day": 1})
    except Exception:  # jionlp raises a bare ValueError-like error on what it cannot read
        return None
    start, end = (dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S") for t in out["time"])
    return start, end, out.get("definition") == "blur"


@functools.cache
def _jionlp():
    with contextlib.redirect_stdout(io.StringIO()):  # jionlp and jiojio print banners on import
        import jionlp  # lazy: it loads its tables (~0.2 s), and only a question's period needs its time parser
    return jionlp


def report_years(index, regions, years: tuple[int, ...], target: bool, plans: bool) -> tuple[int, ...] | None:
    """The years of the reports that speak of `years`; None when no year is asked; () when a named region
    has no report on them (the question is then not answerable from the index)."""
    if not years:
        return None
    asked = set(years)
    reports = [r for r in index.reports.values() if r.year and (not regions or r.region in regions)]

    def speaks_of(report: Report) -> bool:
        results, goals = set(reviewed_years(report)), set(planned_years(report))
        return bool(asked & goals if target else asked & results or plans and asked & goals)

    precise = sorted({r.year for r in reports if speaks_of(r)})
    if regions and not precise:  # no report on Y yet: that year's own 政府工作报告 still says what Y was to bring
        precise = sorted({r.year for r in reports if reviews_previous_year(r) and r.year in asked})
    if regions:
        return tuple(precise)
    loose = sorted({r.year for r in reports} & (asked | {y + 1 for y in asked} | ({y - 1 for y in asked} if target else set())))
    return tuple(loose) if loose else None
