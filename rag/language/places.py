"""Place names in questions: the regions the index holds, and every other Chinese division, from a gazetteer.

The gazetteer is jionlp's table of China's administrative divisions (province → city → county, with the
short forms people write: 广西, 深圳, 光明). It was picked over cpca by trying both on the regions these
reports cover: cpca's table (2021) lacks 光明区 (created 2018) and 红谷滩区 (2019) and finds no place in
"坪山", while jionlp resolves all three; both load in under a second.

Only real names count as places, so "承接了多少省级权力事项" or "超过一千亿元的省份" name none, while
"广州天河区" names a place with no report, and "深圳的各个区" names the city whose districts are asked.
Functional areas the table lacks (威海高区, 大鹏新区) are known from the index itself: its regions, and
the parent places their reports name (高区 is in 威海).
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rag.language.characters import has_cjk
from rag.language.crosslingual import pinyin_spellings, spelled_in
from rag.language.divisions import MUNICIPALITIES, NATION_NAME, Place, comparison_level, short_forms
from rag.language.divisions import divisions as _divisions
from rag.language.segmentation import is_place_word, is_word

__all__ = ["MUNICIPALITIES", "Gazetteer", "Mention", "Place", "comparison_level", "find_group", "gazetteer_for",
           "region_groups", "short_forms"]



@dataclass(frozen=True)
class Mention:
    """A place named in a text: where, as written, and what it is (an indexed region, another place)."""

    start: int
    end: int
    text: str
    place: Place
    region: str = ""  # the indexed region it names, "" when the index has no report on it


@dataclass(frozen=True)
class Gazetteer:
    """The places a question may name, for one index: its regions first, then all of China's divisions."""

    regions: dict[str, Place]  # indexed region → its place
    forms: dict[str, tuple[Place, str]]  # written form → (place, indexed region or "")
    spellings: tuple[tuple[str, frozenset[str]], ...]  # (indexed region, pinyin spellings) for English
    parent_spellings: tuple[tuple[str, frozenset[str]], ...] = ()  # 深圳市 → shenzhen
    other_spellings: tuple[tuple[str, frozenset[str]], ...] = ()  # provinces and cities with no report: hangzhou

    def find(self, text: str) -> list[Mention]:
        """Places named in `text`, longest form first at each position, left to right."""
        found, i = [], 0
        longest = max(map(len, self.forms), default=0)
        while i < len(text):
            for n in range(min(longest, len(text) - i), 1, -1):
                form = text[i : i + n]
                hit = self.forms.get(form)
                if hit and _stands_alone(text, i, i + n, form, hit[0]):
                    found.append(Mention(i, i + n, form, hit[0], hit[1]))
                    i += n
                    break
            else:
                i += 1
        return found

    def find_english(self, text: str) -> tuple[list[str], str, list[str]]:
        """(indexed regions, a parent place, places with no report) an English text spells:
        "Jinghu district" → 镜湖区, "Shenzhen" → 深圳市, "Hangzhou" → 杭州市."""
        words = re.findall(r"[a-z]+", re.sub(r"'s\b", "", text.lower()).replace("'", ""))
        regions = [region for region, spellings in self.spellings if spelled_in(words, spellings)]
        within = next((p for p, spellings in self.parent_spellings if spelled_in(words, spellings)), "")
        named = {w for r in regions for w in self.spellings_of(r)}
        unknown = [p for p, spellings in self.other_spellings if spelled_in(words, spellings) and not spellings & named]
        return list(dict.fromkeys(regions)), within, unknown

    def spellings_of(self, region: str) -> frozenset[str]:
        return next((s for r, s in self.spellings if r == region), frozenset())

    def members(self, within: str = "", level: str = "") -> tuple[str, ...]:
        """Indexed regions inside `within` (a place name; never `within` itself: 深圳各区 are 深圳市's
        districts, not 深圳市) and of `level` (province / city / county, as `comparison_level` says)."""
        return tuple(sorted(
            r for r, p in self.regions.items()
            if (not within or (p.within(within) and p.name != within)) and (not level or comparison_level(p) == level)
        ))

    def level_of(self, region: str) -> str:
        """national / province / city / county: the level `region` is compared at."""
        place = self.regions.get(region)
        return comparison_level(place) if place else ""

    def resolve(self, name: str) -> Place | None:
        hit = self.forms.get(name)
        return hit[0] if hit else None


@dataclass(frozen=True)
class Group:
    """A named group of provinces (东北三省, 西部地区) from rag/data/region_groups.tsv."""

    name: str
    members: tuple[str, ...]
    names: tuple[str, ...]


@functools.cache
def region_groups() -> tuple[Group, ...]:
    text = (importlib.resources.files("rag") / "data" / "region_groups.tsv").read_text(encoding="utf-8")
    groups = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, members, *aliases = line.split("\t")
            names = (name, *(a for a in (aliases[0].split("|") if aliases else ()) if a))
            groups.append(Group(name, tuple(members.split()), names))
    return tuple(groups)


def find_group(text: str) -> tuple[Group, tuple[int, int]] | None:
    """The named group of provinces `text` mentions (the longest name), with where."""
    lowered = text.lower()
    found = [(g, lowered.find(n.lower()), n) for g in region_groups() for n in g.names if n.lower() in lowered]
    if not found:
        return None
    group, at, name = max(found, key=lambda f: len(f[2]))
    return group, (at, at + len(name))


def gazetteer_for(regions: Iterable[str], hints: dict[str, str] | None = None,
                  places: dict[str, Place] | None = None) -> Gazetteer:
    """The gazetteer of an index: `regions` are its regions, `places` what their reports say they are (level
    and parents, rag/documents/metadata.py); for a region without (an index from before), `hints`, some text of its
    reports, tell apart two divisions of one name (深圳 or 鹤岗 南山区) and place what the table lacks."""
    hints, places = hints or {}, places or {}
    key = tuple(sorted((r, _parent_hint(hints.get(r, "")) if r not in places else "", places.get(r)) for r in regions))
    return _build(key)


# How people name the nation in a question, when the index holds the State Council's report.
_NATION_FORMS = ("全国", "我国", "中国", "全中国", "咱们国家", "国家层面")


@functools.lru_cache(maxsize=8)
def _build(regions_and_hints: tuple[tuple[str, str, Place | None], ...]) -> Gazetteer:  # noqa: C901, PLR0912
    table = _divisions()
    shared = Counter(a for _, aliases in table for a in set(aliases))
    forms: dict[str, tuple[Place, str]] = {}
    for place, aliases in table:  # every division, by full name; provinces and cities also by short form
        if place.level == "county" and len(place.name) <= 2 and is_word(place.name) and not is_place_word(place.name):
            continue  # 城区, 郊区, 矿区 are words first; 澧县, 宾县 are jieba's place names
        forms.setdefault(place.name, (place, ""))
        for alias in aliases:
            # 朝阳, 和平, 长安 are words; 高新区 and 南山 name several places; 石景山 is one place
            if (place.level != "county" or len(alias) >= 3) and shared[alias] == 1:
                forms.setdefault(alias, (place, ""))
    regions: dict[str, Place] = {}
    for region, hint, known in regions_and_hints:
        place = known or _locate(region, hint, table)
        regions[region] = place
        if place.level == "national":
            for form in _NATION_FORMS:
                forms[form] = (place, region)
            continue
        for form in (region, *short_forms(region), *_zone_names(region, place, table)):
            forms[form] = (place, region)
        for parent in place.parents[-1:]:  # 深圳市光明区, 深圳光明区, 温州鹿城区, 威海高区
            for written in (parent, *short_forms(parent)):
                forms[written + region] = (place, region)
                for short in short_forms(region):
                    forms.setdefault(written + short, (place, region))
    spellings = [(r, pinyin_spellings(r)) for r in sorted(regions) if regions[r].level != "national"]
    for english, name in _ENGLISH_NAMES.items():
        if name in regions:
            spellings.append((name, frozenset({english})))
    parents = {p for place in regions.values() for p in place.parents}
    english_parents = tuple((p, pinyin_spellings(p)) for p in sorted(parents) if p not in regions)
    others = tuple((p.name, pinyin_spellings(p.name)) for p, _ in table
                   if p.level in ("province", "city") and p.name not in regions and p.name not in parents)
    return Gazetteer(regions, forms, tuple(spellings), english_parents, others)


# Province-level names whose English is not their pinyin.
_ENGLISH_NAMES = {"china": NATION_NAME, "national": NATION_NAME, "nationwide": NATION_NAME, "innermongolia": "内蒙古自治区", "mongolia": "内蒙古自治区", "tibet": "西藏自治区", "shaanxi": "陕西省",
                  "hongkong": "香港特别行政区", "macau": "澳门特别行政区", "macao": "澳门特别行政区"}
# How development zones are called: 威海火炬高技术产业开发区 is 威海高新区.
_ZONE_SHORT = (("高技术产业开发区", "高新区"), ("高新技术产业开发区", "高新区"), ("经济技术开发区", "经开区"))


def _zone_names(region: str, place: Place, table) -> tuple[str, ...]:
    """The names of the development zone an indexed region the table lacks is (高区 of 威海 is
    威海火炬高技术产业开发区, alias 火炬开发区, also said 威海高新区)."""
    stem = region[:-1]
    if not place.parents or not stem or any(p.name == region for p, _ in table):
        return ()
    city = place.parents[-1]
    zones = [(p, a) for p, a in table if p.parents[-1:] == (city,) and "开发区" in p.name and stem in p.name]
    if len(zones) != 1:
        return ()
    zone, aliases = zones[0]
    names = [zone.name, *aliases]
    for long, short in _ZONE_SHORT:
        if long in zone.name:
            names += [f"{c}{short}" for c in (city, *short_forms(city))]
    return tuple(names)


def _locate(region: str, hint: str, table) -> Place:
    """The division an indexed region is: the table's entry of that name whose parents its report names."""
    candidates = [p for p, _ in table if p.name == region]
    if candidates:
        return max(candidates, key=lambda p: sum(1 for x in p.parents if x in hint or short_forms(x)[:1] and short_forms(x)[0] in hint))
    level = "province" if region.endswith(("省", "自治区")) or region in MUNICIPALITIES else "county"
    parent = next((p for p, _ in table if p.level == "city" and (p.name in hint or any(a in hint for a in short_forms(p.name)))), None)
    return Place(region, level, (parent.parents + (parent.name,)) if parent else ())


def _parent_hint(text: str) -> str:
    """The part of a report's text that names where it is: title and opening lines are enough."""
    return text[:3000]


def _stands_alone(text: str, start: int, end: int, form: str, place: Place) -> bool:
    """Whether a two-character form is a name here: 高区 in 威海高区, not in 提高区域 or 提高区级."""
    if len(form) > 2:
        return True
    before, after = text[start - 1 : start], text[end : end + 1]
    if not has_cjk(before) or before in "市省县州和与及跟同或、":
        return True
    if is_word(before + text[start]):
        # 提高区域 is no 高区, but 那天津呢 is 天津: the name ends the clause
        return after in ("", *"呢吗，,。？?！!") and not is_word(text[end - 1] + after)
    # 区域 ends no place name, but 岭北 + 地区 does; 天津港 and 深圳湾 are the place's own port and bay
    return (text[end : end + 2] == "地区" or after in "的和与及、，,。？?！!" or not is_word(text[end - 1] + after)
            or is_word(form + after) or is_word(text[start:end + 2]))
