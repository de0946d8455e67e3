"""China's administrative divisions: names, levels, parents and former names, for reports and questions alike.

The table is jionlp's (province → city → county, with the short forms people write: 广西, 深圳, 光明). It was
picked over cpca by trying both on the regions these reports cover: cpca's table (2021) lacks 光明区 (created
2018) and 红谷滩区 (2019), while jionlp has both. Above the provinces stands the nation (全国: the State Council's
report); beside the divisions stand functional zones the table lacks (大鹏新区, 威海的高区), placed by the
city their report names.

A place renamed (a 新区 that became a 区, a county that became a district) is one place: its former names are
jionlp's table of changes, `rag/data/former_places.tsv`, and the rule that a city's “X新区” is its “X区” once
the table has that district (光明新区 → 光明区).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.resources
import io
from collections import defaultdict
from dataclasses import dataclass

LEVELS = ("national", "province", "city", "county", "zone")
# Province-level cities: their one report is a province's, and they sit in the table as province and city.
MUNICIPALITIES = frozenset({"北京市", "上海市", "天津市", "重庆市"})
NATION_NAME = "全国"
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "新区", "地区", "盟", "省", "市", "区", "县", "旗", "州")
# Short forms the table gives that are words for a kind of area, not names (镇江新区 → 新区).
_GENERIC = frozenset({"新区", "城区", "郊区", "矿区", "市区", "高新区", "开发区", "经开区", "林区", "特区"})
_ZONE_ENDS = ("新区", "高区", "高新区", "开发区", "经开区", "试验区", "合作区", "示范区")


@dataclass(frozen=True)
class Place:
    """One division: its full name, level and the places above it (广东省, 深圳市 for 光明区)."""

    name: str
    level: str  # one of LEVELS
    parents: tuple[str, ...] = ()

    def within(self, other: str) -> bool:
        """Whether this place is `other` or lies inside it (every place lies inside 全国)."""
        return other in self.parents or other == self.name or (other == NATION_NAME and self.level != "national")

    @property
    def chain(self) -> tuple[str, ...]:
        """全国 ⊃ 广东省 ⊃ 深圳市 for 光明区: its parents, from the nation down."""
        return (NATION_NAME, *self.parents) if self.level != "national" else ()


NATION = Place(NATION_NAME, "national")


def short_forms(name: str) -> tuple[str, ...]:
    """How people shorten a division: 福建省 → 福建, 广西壮族自治区 → 广西, 光明区 → 光明, 大鹏新区 → 大鹏."""
    if name.endswith("自治区"):
        return ("内蒙古",) if name.startswith("内蒙古") else (name[:2],)
    for suffix in _SUFFIXES:
        stem = name[: -len(suffix)]
        if name.endswith(suffix) and len(stem) >= 2:
            return (stem,)
    return ()


@functools.cache
def divisions() -> tuple[tuple[Place, tuple[str, ...]], ...]:
    """(place, short forms) of every province, city and county in jionlp's table."""
    with contextlib.redirect_stdout(io.StringIO()):  # jionlp and jiojio print banners on import
        import jionlp  # lazy: it loads its tables (~0.2 s), and only the gazetteer needs it
    out = []

    def aliases(node: dict) -> tuple[str, ...]:
        alias = node.get("_alias") or ()
        return (alias,) if isinstance(alias, str) else tuple(alias)

    for province, pnode in jionlp.china_location_loader(detail=False).items():
        out.append((Place(province, "province"), aliases(pnode)))
        for city, cnode in pnode.items():
            if city.startswith("_") or not isinstance(cnode, dict):
                continue
            if city != province:  # 北京市 is both; keep it once, as the province
                out.append((Place(city, "city", (province,)), aliases(cnode)))
            for county, knode in cnode.items():
                if county.startswith("_") or not isinstance(knode, dict) or "直辖" in county:
                    continue
                out.append((Place(county, "county", (province, city) if city != province else (province,)), aliases(knode)))
    return tuple(out)


@functools.cache
def _by_form() -> dict[str, tuple[Place, ...]]:
    """Every written form (full name or short form of two characters or more) → the places it may name."""
    forms: dict[str, list[Place]] = defaultdict(list)
    for place, aliases in divisions():
        for form in (place.name, *(a for a in aliases if len(a) >= 2 and a not in _GENERIC)):
            if place not in forms[form]:
                forms[form].append(place)
    return {form: tuple(places) for form, places in forms.items()}


@functools.cache
def _lengths_by_first() -> dict[str, tuple[int, ...]]:
    lengths: dict[str, set[int]] = defaultdict(set)
    for form in _by_form():
        lengths[form[0]].add(len(form))
    return {c: tuple(sorted(n, reverse=True)) for c, n in lengths.items()}


@dataclass(frozen=True)
class Named:
    """A division named in a text: where, as written, and every place that form may name."""

    start: int
    end: int
    text: str
    places: tuple[Place, ...]


def named_in(text: str) -> list[Named]:
    """The division names in `text`, longest first at each position, left to right (ambiguous ones kept)."""
    forms, lengths, found, i = _by_form(), _lengths_by_first(), [], 0
    while i < len(text):
        for n in lengths.get(text[i], ()):
            if n > len(text) - i:
                continue
            places = forms.get(text[i : i + n])
            if places:
                found.append(Named(i, i + n, text[i : i + n], places))
                i += n
                break
        else:
            i += 1
    return found


def resolve(name: str, hint: str = "") -> Place | None:
    """The place `name` names (a full or short form, or a parent-prefixed one such as 深圳市光明区), told
    apart from its namesakes by the parents `hint` mentions; a former name gives today's place."""
    if name == NATION_NAME:
        return NATION
    found = named_in(name)
    whole = found and found[0].start == 0 and found[-1].end == len(name)
    if whole and all(a.end == b.start for a, b in zip(found, found[1:], strict=False)):
        hint = f"{name} {hint}"
        candidates = found[-1].places
        if len(found) > 1:  # 深圳市光明区: the last part lies inside the one before it
            inside = [p for p in candidates if any(p.within(q.name) and p != q for q in found[-2].places)]
            candidates = inside or ()
        if candidates:
            return max(candidates, key=lambda p: (_mentions(p, hint), -LEVELS.index(p.level)))
    renamed = current_name(name, hint)
    if renamed:
        return renamed
    if name.endswith(_ZONE_ENDS) and name not in _ZONE_ENDS[:1] + _ZONE_ENDS[2:]:  # 高区 is 威海高区's own name  # 大鹏新区, 高区: placed by the city its report names
        city = _city_in(name + " " + hint)
        return Place(name, "zone", (*city.parents, city.name) if city else ())
    return None


def current_name(name: str, hint: str = "") -> Place | None:
    """Today's place for a former name: jionlp's changes and rag/data/former_places.tsv (宝安县 → 宝安区),
    or a city's X新区 once it has an X区 (光明新区 → 光明区)."""
    listed = _former().get(name)
    if listed:
        return resolve(listed, hint)
    if name.endswith("新区") and len(name) >= 4:
        city = _city_in(name + " " + hint)
        district = name[:-2] + "区"
        for place in _by_form().get(district, ()):
            if city and place.parents[-1:] == (city.name,):
                return place
    return None


@functools.cache
def _former() -> dict[str, str]:
    """former name → today's name."""
    with contextlib.redirect_stdout(io.StringIO()):  # (its banners)
        import jionlp  # lazy: as in divisions()
    out: dict[str, str] = {}
    for change in jionlp.china_location_change_loader():
        old, new = change["old_loc"], change["new_loc"]
        for (old_name, _), new_name in zip(old, new, strict=False):
            if old_name and new_name and old_name != new_name and old_name not in out:
                out[old_name] = new_name
    text = (importlib.resources.files("rag") / "data" / "former_places.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            former, current, *_ = line.split("\t")
            out[former] = current
    return out


@functools.lru_cache(maxsize=4096)
def own_names(region: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the names a report may call its own region by, longest first: 光明新区, 光明区, 光明; the names of the
    places above it: 深圳市, 深圳, 广东省, 广东)."""
    if not region:
        return (), ()
    place = resolve(region)
    names = {region, *short_forms(region)}
    names |= {former for former, now in _former().items() if now == region}
    if region.endswith("区") and not region.endswith("新区"):
        names |= {s + "新区" for s in short_forms(region)}  # the 新区 it was before it became a district
    above = {n for p in (place.parents if place else ()) for n in (p, *short_forms(p))}
    return tuple(sorted(names, key=len, reverse=True)), tuple(sorted(above, key=len, reverse=True))


def _mentions(place: Place, text: str) -> int:
    return sum(1 for p in place.parents if p in text or any(s in text for s in short_forms(p)))


def _city_in(text: str) -> Place | None:
    """The city (or municipality) `text` names first: the parent of a zone the table lacks."""
    for named in named_in(text):
        for place in named.places:
            if place.level == "city" or place.name in MUNICIPALITIES:
                return place
    return None


def comparison_level(place: Place) -> str:
    """The level reports are compared at: provinces with municipalities, cities, counties with zones."""
    if place.level == "national":
        return "national"
    if place.level == "province" or place.name in MUNICIPALITIES:
        return "province"
    return "city" if place.level == "city" else "county"
