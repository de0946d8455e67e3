"""A report's title, region, year, issuer and date, read off its text's lines and its file name.

Region: the most specific administrative unit the report names itself by, without its parent's prefix
(深圳市光明区 → 光明区, 芜湖市镜湖区 → 镜湖区; 威海高区's title says 高区 → 高区); a province by its full name
(宁夏 → 宁夏回族自治区). Sources in order: the title, the signature (调兵山市人民政府), the opening
(我代表光明区人民政府 / 2022年，调兵山市… / 在…第十四届人民代表大会), the file name (深圳市光明区_2021_….txt),
the 发布机构 field. 全区 / 我市 and the like are never taken for a region.

Title: the first short 报告 line before the body's first sentence; else the 名称 header field; else built from a
`地区_年份_类型` file name; else region + year + kind. Issuer and date: the signature block (…人民政府 over
2023年2月28日 or 二〇二三年二月二十八日); else the 发布机构 / 成文日期 fields; the issuer else the organ a title
names (镜湖区人民政府关于…).

Year: the year reported on. 政府工作报告 go by the year in their title or file name (a 2025 report reviews 2024
but is known as 2025); other reports by the year in the title, else the opening lines, else the file name.
"""

from __future__ import annotations

import datetime
import re

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"

_SUFFIX = "特别行政区|自治区|自治州|自治县|自治旗|高新区|新区|高区|开发区|林区|地区|盟|省|市|区|县|旗"
_UNIT = re.compile(rf"[{_HAN}]+?(?:{_SUFFIX})")
_NOT_PLACE = {"城区", "市区", "郊区", "县区", "区县", "省市", "市县", "社区", "园区", "景区", "片区", "街区", "湾区",
              "山区", "辖区", "新区", "地区", "林区", "开发区", "高新区", "特区"}  # fmt: skip
_NOT_PLACE_END = ("示范区", "先行区", "试验区", "保护区", "功能区", "核心区", "集聚区", "承载区", "合作区", "城市")  # fmt: skip
_PROVINCES = {
    "北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市", "河北": "河北省", "山西": "山西省",
    "辽宁": "辽宁省", "吉林": "吉林省", "黑龙江": "黑龙江省", "江苏": "江苏省", "浙江": "浙江省", "安徽": "安徽省",
    "福建": "福建省", "江西": "江西省", "山东": "山东省", "河南": "河南省", "湖北": "湖北省", "湖南": "湖南省",
    "广东": "广东省", "海南": "海南省", "四川": "四川省", "贵州": "贵州省", "云南": "云南省", "陕西": "陕西省",
    "甘肃": "甘肃省", "青海": "青海省", "台湾": "台湾省", "内蒙古": "内蒙古自治区", "广西": "广西壮族自治区",
    "西藏": "西藏自治区", "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区", "香港": "香港特别行政区",
    "澳门": "澳门特别行政区",
}  # fmt: skip
_YEAR = r"(?:19|20)\d\d"
_ORG = "人民政府|管理委员会|管委会|管委|政府"
_TITLE_PLACE = re.compile(rf"(?:关于)?(?:{_YEAR}年度?)?([{_HAN}]{{2,20}}?)(?=人民政府|政府|管理委员会|管委会|关于|{_YEAR}|法治|工作报告)")  # fmt: skip
_AT_CONGRESS = re.compile(rf"在([{_HAN}]{{2,20}}?)第[一二三四五六七八九十\d]+届")
_ON_BEHALF = re.compile(rf"我代表([{_HAN}]{{2,20}}?)(?:{_ORG})")
_OPENING = re.compile(rf"(?:^|\n){_YEAR}年度?[，,、]\s*((?:[{_HAN}]{{1,6}}?[省市])?[{_HAN}]{{1,8}}?(?:{_SUFFIX}))")  # fmt: skip
_REPORTING = re.compile(rf"现将(?:{_YEAR}年度?)?([{_HAN}]{{2,12}}?)(?:{_YEAR}年度?)?法治政府")
_ORG_PLACE = re.compile(rf"([{_HAN}]{{2,20}}?)(?:{_ORG})")
_STEM = re.compile(rf"([{_HAN}]+)_({_YEAR})_([^_]+?)(?:_\d+)?")
_SIG_ORG = re.compile(rf"[{_HAN}（）() \u3000]{{2,40}}(?:人民政府|政府|管理委员会|管委会|委员会|办公室|办公厅|局|厅)")  # fmt: skip
_DATE = re.compile(rf"({_YEAR})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日|({_YEAR})[-/.](\d{{1,2}})[-/.](\d{{1,2}})")  # fmt: skip
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")  # fmt: skip
_META_FIELD = re.compile(r"(发布机构|成文日期|名称)\s*[:：]?\s*([^\s:：]+)")
_WORK_REPORT = re.compile(r"政府工作报告|管委会工作报告|管理委员会工作报告")


def report_metadata(lines: list[str], litter: list[str], stem: str) -> dict:
    """title, region, year, issuer and date from the body lines, the litter's header fields and the file name."""
    fields: dict[str, str] = {}
    for line in litter:
        for key, value in _META_FIELD.findall(line):
            fields.setdefault(key, value)
    title = _title_line(lines)
    head = "\n".join(lines[1:12] if title else lines[:12])[:600]
    sig_org, sig_date = _signature(lines[-4:])
    named = _STEM.fullmatch(stem)
    stem_year = int(named.group(2)) if named else None
    doc_title = title or fields.get("名称", "")
    work = bool(_WORK_REPORT.search(doc_title or stem)) or "各位代表" in head[:300]

    year = _year_in(doc_title)
    if year is None and work:
        review = re.search(rf"({_YEAR})年(?:以来)?(?:工作回顾|主要工作)", head)
        year = stem_year or (int(review.group(1)) + 1 if review else None)
    if year is None:  # the opening sentence names the year reported on: 2022年，调兵山市坚持…
        year = _year_in(head[:300].split("。")[0]) or stem_year

    places = [m.group(1) for m in (_TITLE_PLACE.match(doc_title), _AT_CONGRESS.search(doc_title)) if m]
    places += [m.group(1) for m in [_ORG_PLACE.match(sig_org)] if m]
    places += [m.group(1) for p in (_ON_BEHALF, _AT_CONGRESS, _OPENING, _REPORTING) for m in [p.search(head)] if m]  # fmt: skip
    places += [named.group(1) if named else stem.split("_")[0]]
    places += [m.group(1) for m in [_ORG_PLACE.match(fields.get("发布机构", ""))] if m]
    region = next((p for p in map(_place, places) if p), "")

    if not doc_title:
        if named:
            doc_title = f"{named.group(1)}{named.group(2)}年{named.group(3)}"
        elif region and year:
            kind = "政府工作报告" if work else "法治政府建设情况报告" if "法治政府" in head else "工作报告"
            doc_title = f"{region}{year}年{kind}"
        else:
            doc_title = re.sub(r"[_\s]+", " ", stem).strip()
    issuer = sig_org or fields.get("发布机构", "")
    if not issuer:
        by_title = re.match(rf"([{_HAN}]{{2,30}}?(?:人民政府|管理委员会|管委会))关于", doc_title)
        issuer = by_title.group(1) if by_title else ""
    date = sig_date or _date_of(fields.get("成文日期", ""))
    return {"title": doc_title, "region": region, "year": year, "issuer": issuer, "date": date}


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


def _year_in(s: str) -> int | None:
    m = re.search(rf"({_YEAR})\s*年", s)
    return int(m.group(1)) if m else None


def _place(name: str) -> str:
    """The lowest administrative unit of `name` ("深圳市光明区" → "光明区"), or "" if it is not a place name."""
    if name in _PROVINCES:
        return _PROVINCES[name]
    units = _UNIT.findall(name)
    if not units or "".join(units) != name:
        return ""
    last = units[-1]
    if last in _NOT_PLACE or last[0] in "全我本该各此这其两" or last.endswith(_NOT_PLACE_END):
        return ""
    return last
