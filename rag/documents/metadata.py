"""What a report is, read from its text first and its file name last: region, year, kind, title, issuer, date.

Users index reports named however their publisher named them (`P020250117391425806.txt`, `政府工作报告.txt`,
a session or a speaker's name), and most 政府工作报告 start at 各位代表 with no title line. So every field is
decided from clues, each with a weight and where it was read (kept in `Report.sources`, shown by `rag docs`):

- **Region** (a division of rag/language/divisions.py, with its level and parents): the title; the congress it was given
  at (在…第十四届人民代表大会…); 我代表…人民政府 / 管理委员会 / 国务院; the signature; the opening
  (2022年，调兵山市…); the place the body names most (among places whose parent it also names: 坪山 in a
  report that says only 我代表区人民政府); the 发布机构 header field; the file name, weakest.
- **Year** — the report's own year, as its title would give it: a 政府工作报告 of 2025 is delivered early in
  2025 and reviews 2024; a 法治政府建设 report of 2024 reports on 2024. Clues: the title's year; the date it
  was delivered (——2025年1月15日在…会议上); the review and plan headings (2024年工作回顾 → 2025; 2025年工作
  安排); the opening year of a 法治 report; the signature date; the file name, weakest. A year outside
  1949…next year is no year.
- **Kind**: 政府工作报告, 管委会工作报告 or 法治政府建设情况报告, from the title, the opening and the name.
- `reviews` / `plans`: the years it gives results for and sets targets for (its headings say so, else its kind).

An unknown field stays empty ("" / None), never a guess from a pattern that merely looks like a place.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from rag.language.characters import HAN
from rag.language.divisions import NATION, Place, named_in, resolve, short_forms
from rag.language.segmentation import tagged_words
from rag.limits import FIRST_REPORT_YEAR

_YEAR = r"(?:19|20)\d\d"
_ORG = "人民政府|管理委员会|管委会|管委|政府"
_WORK_KINDS = ("政府工作报告", "管委会工作报告")

# Where a report names itself: (pattern whose group 1 is a place, weight, source shown to users).
# The clue weights here and in _region / _year / _most_named were set by hand in ee18cc9, not fitted; they are
# checked together by test_blind_copy_reads_region_level_parent_year_and_reviewed_year_from_the_text (the 86
# reports under publishers' file names against tests/data/blind_key.tsv: 85/86 read right when they were set).
_SELF_NAMES = [
    (re.compile(rf"在([{HAN}]{{2,20}}?)第[一二三四五六七八九十\d]+届人民代表大会"), 5.0, "会议名称"),
    (re.compile(rf"我代表([{HAN}]{{2,20}}?)(?:{_ORG})"), 5.0, "开头“我代表…”"),
    (re.compile(rf"(?:^|\n){_YEAR}年度?[，,、]\s*([{HAN}]{{2,16}}?(?:省|市|区|县|旗|新区))"), 3.0, "开头一句"),
    (re.compile(rf"现将(?:{_YEAR}年度?)?([{HAN}]{{2,12}}?)(?:{_YEAR}年度?)?法治政府"), 3.0, "开头“现将…”"),
]
_NATIONAL = (re.compile(r"全国人民代表大会第[一二三四五六七八九十]+次会议|我代表国务院|国务院总理"), 8.0, "会议名称或“我代表国务院”")  # fmt: skip
_TITLE_PLACE = re.compile(rf"(?:关于)?(?:{_YEAR}年度?)?([{HAN}]{{2,20}}?)(?=人民政府|政府|管理委员会|管委会|关于|{_YEAR}|法治|工作报告|管委)")  # fmt: skip
_ORG_PLACE = re.compile(rf"([{HAN}]{{2,20}}?)(?:{_ORG})")
_STEM = re.compile(rf"([{HAN}]+)_({_YEAR})_([^_]+?)(?:_\d+)?")
_SIG_ORG = re.compile(rf"[{HAN}（）() \u3000]{{2,40}}(?:人民政府|政府|管理委员会|管委会|委员会|办公室|办公厅|局|厅)")  # fmt: skip
_DATE = re.compile(rf"({_YEAR})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日|({_YEAR})[-/.](\d{{1,2}})[-/.](\d{{1,2}})")  # fmt: skip
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")  # fmt: skip
_DELIVERED = re.compile(rf"({_YEAR})\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日.{{0,30}}(?:人民代表大会|会议)")
_META_FIELD = re.compile(r"(发布机构|成文日期|名称)\s*[:：]?\s*([^\s:：]+)")
_REVIEW_HEADING = re.compile(rf"({_YEAR})年(?:以来)?(?:[^，。；]{{0,12}}回顾|(?:的)?(?:主要工作|工作总结|法治政府建设(?:的)?(?:主要)?(?:举措|工作|情况)))")  # fmt: skip
_PLAN_HEADING = re.compile(rf"({_YEAR})年(?:的)?(?:主要|重点)?(?:工作安排|工作任务|工作建议|工作打算|主要任务|重点工作|工作计划|主要目标|目标任务|发展目标|工作思路)")  # fmt: skip
_ZONE_NAME = re.compile(r"(新区|高新区|开发区)")
_FIVE_YEARS = re.compile(r"过去五年|五年来|“[十]+[一二三四五]五”时期|[十]+[一二三四五]五.{0,4}(?:时期|期间)")


@dataclass(frozen=True)
class Clue:
    """One reading of a field: its value, how much it counts, and where it was read (for `rag docs`)."""

    value: object
    weight: float
    source: str


def report_metadata(lines: list[str], litter: list[str], stem: str) -> dict:
    """The Report fields that say what a report is, from its body lines, its litter's header fields and its
    file name's stem: title, region, level, parents, named, year, reviews, plans, kind, issuer, date, sources."""
    fields: dict[str, str] = {}
    for line in litter:
        for key, value in _META_FIELD.findall(line):
            fields.setdefault(key, value)
    title = _title_line(lines)
    head_lines = lines[: 12 + (1 if title else 0)]
    head = "\n".join(head_lines)[:800]
    body = "\n".join(lines)
    sig_org, sig_date = _signature(lines[-4:])
    doc_title = title or fields.get("名称", "")

    place, named, region_source = _region(doc_title, head, body, sig_org, fields, stem)
    kind, kind_source = _kind(doc_title, head, stem)
    if kind_source == "开头“各位代表”" and place is not None and place.level == "zone":
        kind, kind_source = "管委会工作报告", "开头“各位代表”（功能区）"
    year, year_source = _year(doc_title, head, body, sig_date, stem, kind)
    reviews, plans = _years_spoken_of(body, year, kind)

    region = place.name if place else ""
    if not doc_title:
        shaped = _STEM.fullmatch(stem)
        if shaped:
            doc_title = f"{shaped.group(1)}{shaped.group(2)}年{shaped.group(3)}"
        elif region and year:
            doc_title = f"{named or region}{year}年{kind or '工作报告'}"
        else:
            doc_title = re.sub(r"[_\s]+", " ", stem).strip()
    issuer = sig_org or fields.get("发布机构", "")
    if not issuer:
        by_title = re.match(rf"([{HAN}]{{2,30}}?(?:人民政府|管理委员会|管委会))关于", doc_title)
        issuer = by_title.group(1) if by_title else ""
    date = sig_date or _date_of(fields.get("成文日期", ""))
    sources = tuple((k, v) for k, v in (("region", region_source), ("year", year_source), ("kind", kind_source)) if v)
    return {
        "title": doc_title, "region": region, "year": year, "issuer": issuer, "date": date,
        "level": place.level if place else "", "parents": place.chain if place else (),
        "named": named if named != region else "", "kind": kind, "reviews": reviews, "plans": plans, "sources": sources,
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------- region


def _region(title: str, head: str, body: str, sig_org: str, fields: dict, stem: str) -> tuple[Place | None, str, str]:  # noqa: C901, PLR0912
    """(the place the report is about, the name it calls it by, where that was read)."""
    hint = f"{title}\n{head}\n{stem}\n{body}"
    clues: list[tuple[str, Clue]] = []  # (name as written, clue)
    pattern, weight, source = _NATIONAL
    if pattern.search(f"{title}\n{head}") or re.search(r"国务院", sig_org):
        clues.append((NATION.name, Clue(NATION, weight, source)))
    for m in (_TITLE_PLACE.match(title),):
        if m:
            clues.append((m.group(1), Clue(None, 6.0, "标题")))
    for pattern, weight, source in _SELF_NAMES:
        m = pattern.search(f"{title}\n{head}")
        if m:
            clues.append((m.group(1), Clue(None, weight, source)))
    m = _ORG_PLACE.match(sig_org)
    if m:
        clues.append((m.group(1), Clue(None, 4.0, "落款")))
    m = _ORG_PLACE.match(fields.get("发布机构", ""))
    if m:
        clues.append((m.group(1), Clue(None, 2.0, "网页“发布机构”")))
    most = _most_named(body)
    if most:
        clues.append((most[0], Clue(None, most[1], "正文最常提到的地名")))
    for found in _names_in_stem(stem):
        clues.append((found, Clue(None, 1.5, "文件名")))

    votes: dict[Place, float] = defaultdict(float)
    said: dict[Place, tuple[float, str, str]] = {}
    for written, clue in clues:
        place = clue.value if isinstance(clue.value, Place) else _place(written, hint, clue.weight >= _SELF_NAMING)
        if place is None:
            continue
        votes[place] += clue.weight
        if place not in said or clue.weight > said[place][0]:
            said[place] = (clue.weight, _own_name(written, place), clue.source)
    if not votes:
        return None, "", ""
    best = max(votes, key=lambda p: (votes[p], -len(p.parents)))
    return best, said[best][1], said[best][2]


# title, congress, 我代表…, signature: a report naming itself, not merely a place it mentions (the signature's
# weight and up: set by hand in 19bf11b, not measured)
_SELF_NAMING = 4.0
_UNLISTED = re.compile(rf"[{HAN}]{{1,10}}?(省|自治区|市|区|县|旗)")
# an unlisted 市 may be a prefecture or a county-level city: its level stays unknown
_UNLISTED_LEVEL = {"省": "province", "自治区": "province", "市": "", "区": "county", "县": "county", "旗": "county"}


def _place(written: str, hint: str, names_itself: bool = False) -> Place | None:
    """The division a name written in a report stands for: the last division it names (深圳市光明区 → 光明区),
    never a word such as 全区, 我市 or 各级. A division the table lacks (one created or renamed since) is
    taken only from where a report names itself (its title, 我代表…人民政府, its congress, its signature)."""
    written = written.strip()
    if len(written) < 2 or written[0] in "全我本该各此这其两" or written in ("区人民", "市人民", "省人民"):
        return None
    place = resolve(written, hint)
    if place is None:
        found = named_in(written)
        if found and found[-1].end == len(written):
            place = resolve(found[-1].text, f"{written} {hint}")
    unlisted = _UNLISTED.fullmatch(written)
    if place is None and names_itself and unlisted and len(written) > len(unlisted.group(1)) + 1:
        place = Place(written, _UNLISTED_LEVEL[unlisted.group(1)])
    return place


def _own_name(written: str, place: Place) -> str:
    """The name a report calls its place by, when it is another (光明新区 for 光明区), else the place's own."""
    tail = next((n.text for n in reversed(named_in(written))), "")
    if written.endswith(place.name) or tail == written:
        return place.name
    m = re.search(rf"[{HAN}]{{2,8}}?(?:新区|区|县|市)$", written)
    return m.group(0) if m and m.group(0) != place.name and not place.name.startswith(m.group(0)) else place.name


def _most_named(body: str) -> tuple[str, float] | None:
    """The place a report's body names most, among those whose parent it also names (坪山 in a report that also
    says 深圳; 城区, 新建 or 合作 are words there, their parents unnamed), with its clue's weight."""
    found = named_in(body[:60_000])
    counts: Counter[Place] = Counter()
    for named in found:
        for place in named.places:
            counts[place] += 1
    text = body[:60_000]
    for stem, end in _zone_stems(text):  # 大鹏新区, called 大鹏 throughout: a zone the table lacks
        place = resolve(stem + end, text)
        if place is not None and place.level == "zone":
            counts[place] += text.count(stem)
    kept = {p: n for p, n in counts.items() if p.level in ("province", "zone") or any(_named(parent, text) for parent in p.parents)
            or p.level == "city" and _unique(p)}
    if not kept:
        return None
    (place, n), *rest = sorted(kept.items(), key=lambda kv: (-kv[1], -len(kv[0].parents)))
    runner = rest[0][1] if rest else 0
    if n < 5 or n < 1.5 * runner:  # named often, and clearly most: set by hand in ee18cc9 (see _SELF_NAMES)
        return None
    return place.name, 3.0


def _zone_stems(text: str) -> set[tuple[str, str]]:
    """(大鹏, 新区) for each zone a text names: the name word before 新区 / 高新区 / 开发区 (jieba's parts of
    speech tell 大鹏 from 围绕 in 紧紧围绕新区)."""
    stems = set()
    for m in _ZONE_NAME.finditer(text):
        words = tagged_words(text[max(0, m.start() - 6) : m.start()])
        if (words and len(words[-1].word) >= 2 and words[-1].flag.startswith(("n", "x")) and words[-1].flag != "n"
                and not named_in(words[-1].word)):  # 坪山高新区 is a zone of 坪山区, which the table has
            stems.add((words[-1].word, m.group(1)))
    return stems


def _unique(place: Place) -> bool:
    """Whether each of a place's names names it alone (深圳; not 中山, a city and many streets and schools)."""
    return all(len(named_in(form)) == 1 and len(named_in(form)[0].places) == 1 for form in (place.name, *short_forms(place.name)))


def _named(name: str, text: str) -> bool:
    return name in text or any(s in text for s in short_forms(name))


def _names_in_stem(stem: str) -> list[str]:
    """Places a file name carries (深圳市光明区_2021_…, 2025年上海市政府工作报告, 福田区政府工作报告（2018）)."""
    shaped = _STEM.fullmatch(stem)
    if shaped:
        return [shaped.group(1)]
    found = named_in(stem)
    return [stem[found[0].start : found[-1].end]] if found else []


# ---------------------------------------------------------------------------------------------- year and kind


def _year(title: str, head: str, body: str, sig_date: str, stem: str, kind: str) -> tuple[int | None, str]:  # noqa: C901
    """(the report's year as its title would name it, where that was read)."""
    work = kind in _WORK_KINDS
    clues: list[Clue] = []
    if (y := _year_in(title)) is not None:
        clues.append(Clue(y, 6.0, "标题"))
    if m := _DELIVERED.search(head):
        clues.append(Clue(int(m.group(1)) - (0 if work else 1), 5.0, "报告日期与会议"))
    headings = _headings(body)
    reviews = Counter(int(m.group(1)) for h in headings for m in [_REVIEW_HEADING.search(h)] if m)
    plans = Counter(int(m.group(1)) for h in headings for m in [_PLAN_HEADING.search(h)] if m)
    if reviews:
        y = reviews.most_common(1)[0][0]
        clues.append(Clue(y + 1 if work else y, 4.0, f"章节标题“{y}年…回顾”"))
    if plans:
        y = plans.most_common(1)[0][0]
        clues.append(Clue(y if work else y - 1, 4.0, f"章节标题“{y}年…安排”"))
    if not reviews and not plans and (y := _reviewed_by_order(headings)):
        clues.append(Clue(y + 1 if work else y, 3.0, f"章节标题“一、…{y}年…”与“二、…{y + 1}年…”"))
    if not work and (y := _year_in(head[:300].split("。")[0])) is not None:
        clues.append(Clue(y, 3.0, "开头一句"))
    if sig_date:
        d = datetime.date.fromisoformat(sig_date)
        clues.append(Clue(d.year if work or d.month > 6 else d.year - 1, 3.0, "落款日期"))
    stem_years = [int(y) for y in re.findall(rf"(?<!\d)({_YEAR})(?!\d)", stem)]
    for y in dict.fromkeys(stem_years):
        clues.append(Clue(y, 1.5 / len(set(stem_years)), "文件名"))
    votes: dict[int, float] = defaultdict(float)
    best_source: dict[int, Clue] = {}
    for c in clues:
        if not plausible_year(c.value):
            continue
        votes[c.value] += c.weight
        if c.value not in best_source or c.weight > best_source[c.value].weight:
            best_source[c.value] = c
    if not votes:
        return None, ""
    year = max(votes, key=lambda y: (votes[y], y))
    return year, best_source[year].source


_TOP_HEADING = re.compile(rf"^[一二三四五六七八九十]+、.*?({_YEAR})年")


def _reviewed_by_order(headings: list[str]) -> int | None:
    """The year a report reviews when its top headings name a year and then the next (一、关于2019年工作 /
    二、关于2020年工作; 一、…2023年经济社会高质量发展… / 二、2024年…)."""
    years = [int(m.group(1)) for h in headings for m in [_TOP_HEADING.match(h)] if m]
    return next((a for a, b in zip(years, years[1:], strict=False) if b == a + 1), None)


def plausible_year(year: object) -> bool:
    return isinstance(year, int) and FIRST_REPORT_YEAR <= year <= datetime.date.today().year + 1


def _years_spoken_of(body: str, year: int | None, kind: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the years a report gives results for, the years it sets targets for)."""
    if year is None:
        return (), ()
    headings = _headings(body)
    work = kind in _WORK_KINDS
    reviews = (year - 1,) if work else (year,)
    reviewed = [int(m.group(1)) for h in headings for m in [_REVIEW_HEADING.search(h)] if m]
    if work and not reviewed and any(_FIVE_YEARS.search(h) for h in headings):  # a new term's first report
        reviews = tuple(range(year - 5, year))  # looks back over the five years before it
    plans = (year,) if work else (year + 1,)
    return reviews, plans


def _headings(body: str) -> list[str]:
    """The body's short lines that read as headings (一、2024年工作回顾, （一）…, 过去五年工作回顾)."""
    return [line.strip() for line in body.split("\n") if 2 <= len(line.strip()) <= 60 and "。" not in line]


def _kind(title: str, head: str, stem: str) -> tuple[str, str]:
    """(政府工作报告 | 管委会工作报告 | 法治政府建设情况报告 | "", where it was read): the title, the way the
    report opens (我代表…管理委员会 / 我代表…人民政府 / 现将…法治政府建设…), the file name."""
    opening = head[:300]
    for text, source in ((title, "标题"), (opening, "开头"), (stem, "文件名")):
        if source == "开头":
            if re.search(r"我代表[^，。]{0,20}(?:管理委员会|管委会)", text):
                return "管委会工作报告", source
            if re.search(r"我代表[^，。]{0,20}(?:人民政府|国务院)", text):
                return "政府工作报告", source
            if "各位代表" in text:
                return "政府工作报告", "开头“各位代表”"
            if "法治政府" in text[:200]:
                return "法治政府建设情况报告", source
            continue
        if "法治政府" in text:
            return "法治政府建设情况报告", source
        if re.search(r"管委会?工作报告|管理委员会工作报告", text):
            return "管委会工作报告", source
        if "政府工作报告" in text:
            return "政府工作报告", source
    return "", ""


def _year_in(s: str) -> int | None:
    m = re.search(rf"({_YEAR})\s*年", s)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------------------------- title, signature


def _title_line(lines: list[str]) -> str:
    """The title: a short 报告 line before the first sentence of the body."""
    for line in lines[:6]:
        line = line.lstrip("#").strip()
        if "。" in line or "，" in line or line.endswith(("：", ":")):
            return ""
        if 4 <= len(line) <= 80 and "报告" in line and not line.startswith(("各位代表", "现将", "现在")):
            return line
    return ""


def _signature(tail: list[str]) -> tuple[str, str]:
    """(issuer, YYYY-MM-DD) of the signature block among the last body lines."""
    org = next((s.strip() for s in reversed(tail) if _SIG_ORG.fullmatch(s.strip()) and "报告" not in s), "")
    date = next((d for d in map(_date_of, reversed(tail)) if d), "")
    return org, date


def _date_of(line: str) -> str:
    line = line.strip()
    m = _DATE.fullmatch(line)
    if m:
        y, mo, d = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
    else:
        m = _CN_DATE.fullmatch(line)
        if not m:
            return ""
        y = int("".join(str("〇一二三四五六七八九".find(c) if c not in "○零" else 0) for c in m.group(1)))
        mo, d = _cn_number(m.group(2)), _cn_number(m.group(3))
    try:
        return datetime.date(y, mo, d).isoformat()
    except ValueError:
        return ""


def _cn_number(s: str) -> int:
    """一 → 1, 十二 → 12, 二十八 → 28."""
    tens, _, ones = s.rpartition("十")
    digit = "〇一二三四五六七八九".find
    return (max(digit(tens), 1) * 10 if "十" in s else 0) + (digit(ones) if ones else 0)
