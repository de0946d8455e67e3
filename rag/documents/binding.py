"""Each figure of a sentence bound to the words of its own clause, so that a neighbour never answers for it.

rag/documents/facts.py reads a metric phrase off the words before each number; a sentence often packs several figures
whose words are shared or implied, and the phrase alone then names the wrong thing:

- a list: 原煤、原油、天然气产量达到6640.8万吨、1253.6万吨、9.1亿立方米，分别增长9.3%、7.3%、21.2% — the
  i-th figure of each run is the i-th item's (原油产量 1253.6万吨, its growth 7.3%), a change after 增长;
- a verb alone: 排查矛盾纠纷7244件，调解成功7160件 / 新收行政复议案件45件，办结40件 — the verb's object is
  the noun of the clause before (调解成功矛盾纠纷 7160件, 办结行政复议案件 40件);
- a part of a total: 负责人出庭46宗（其中正职25宗） — 正职 of the figure before it;
- a part of the region: 盐田综保区实现进出口额1286亿元 — the area is kept in the metric
  (盐田综保区进出口额), so that it never answers for the whole region's 进出口总额.

Figures are the tuples rag/documents/facts.py builds: (metric, value, unit, qualifier, kind, offset in the sentence).
"""

from __future__ import annotations

import re

from rag.language.characters import CJK
from rag.language.divisions import own_names
from rag.language.segmentation import words as jieba_words
from rag.language.thesaurus import load_thesaurus

_LIST_SEP = re.compile(r"、|和|及|与")
_CLAUSE = re.compile(r"[，,；;：:。！？]")
# A metric that is only a verb counts what the clause before it names (办结 of 新收…案件).
_VERB_ONLY = re.compile(r"^(?:不予?)?(?:调解成功|化解成功|成功调解|成功化解|办结|审结|结案|立案|受理|办理|处理|化解|调处|完成|录用|解决|回复|答复)$")  # fmt: skip
_LEADING_VERB = re.compile(r"^(?:不予?)?(?:新收|受理|排查|办理|收到|接到|接收|发现|登记|摸排|梳理|处理|累计排查|开展|组织)")
_PART_OF = re.compile(r"^[（(]?其中")
_PARTS_SPAN = re.compile(r"[（(]其中")
_LEAD = re.compile(r"^(?:新增|新建|新开工|新引进|新认定|新培育|净增|累计|新注册|新设立|新开通)")
_NAMED_CHANGE = re.compile(r"(?:涨幅|增幅|增速|增长率|增长速度)$")


def bind(sentence: str, figures: list[tuple], region: str) -> list[tuple]:
    """`figures` of `sentence` with each metric bound to its own clause (see the module's examples)."""
    figures = _distribute_lists(sentence, figures)
    parts = [(m.start(), sentence.find("）", m.start()) % (len(sentence) + 1)) for m in _PARTS_SPAN.finditer(sentence)]
    out: list[tuple] = []
    whole = ""  # the figure a 其中… breaks down
    for fig in figures:
        metric = fig[0]
        before = [f for f in out if f[5] < fig[5] and f[0] != metric]
        inside = next(((a, b) for a, b in parts if a < fig[5] < b), None)
        if inside and (whole or before):
            whole = whole or _noun_of(next(f for f in reversed(out) if f[5] < inside[0])[0]) if any(
                f[5] < inside[0] for f in out) else whole
            if whole:
                metric = _PART_OF.sub("", metric) + whole  # （其中正职25宗，副职21宗）: 正职 / 副职 of the whole
        elif _PART_OF.match(metric) and before:
            metric = _PART_OF.sub("", metric) + _noun_of(before[-1][0])
        elif _VERB_ONLY.match(metric) and before:
            outside = [f for f in before if not any(a < f[5] < b for a, b in parts)] or before  # not a （其中…） part
            noun = _LEADING_VERB.sub("", outside[-1][0])
            if len(noun) >= 2 and noun != metric:
                metric = metric + noun  # 调解成功 + 矛盾纠纷
        elif before and _shares_lead(sentence, before[-1], fig):
            metric = _lead(before[-1][0]) + metric  # 新增义务教育学位1.1万座、学前教育学位2430座: both 新增
        metric = _with_part(sentence, fig[5], metric, region)
        kind = "change" if fig[2] == "%" and _NAMED_CHANGE.search(metric) else fig[4]  # 居民消费价格涨幅3%左右
        out.append((metric, fig[1], fig[2], fig[3], kind, fig[5]))
    return out


def _noun_of(metric: str) -> str:
    """The thing a total counts, without the bound that makes it the total: 副职以上行政机关负责人出庭 → 行政机关负责人出庭."""
    noun = re.sub(r"^.*?(?:及以上|以上|以下)", "", metric)
    return noun if len(noun) >= 3 else metric


def _lead(metric: str) -> str:
    m = _LEAD.match(metric)
    return m.group(0) if m else ""


def _shares_lead(sentence: str, previous: tuple, fig: tuple) -> bool:
    """Whether `fig` continues a 、 list whose first item carries the verb (新增) all of them share."""
    lead = _lead(previous[0])
    if not lead or fig[0].startswith(lead) or _lead(fig[0]):
        return False
    gap = sentence[previous[5] : fig[5]]
    if load_thesaurus().measure_of(gap) or any(w in gap for w in ("总量", "总数", "总计")):
        return False  # 新增国高企业308家、总量2810家: the total, not more new ones
    return bool(re.fullmatch(r"[\d.,]+\s*(?:万亿|亿|万|千)?[^\s、，,；;。]{0,4}、[^，,；;。]{2,20}?", gap))


def _with_part(sentence: str, at: int, metric: str, region: str) -> str:
    """The metric with the area of the region its clause is about, when that is a part (盐田综保区实现…)."""
    clause_start = max((m.end() for m in _CLAUSE.finditer(sentence, 0, at)), default=0)
    clause = sentence[clause_start:at]
    if metric and metric in clause:
        clause = clause[: clause.rfind(metric)]
    part = load_thesaurus().part_in(clause)
    if not part:
        return metric
    m = re.search(rf"([{CJK}]{{0,6}}{re.escape(part)})", clause)
    area = m.group(1) if m else part
    if region and area in own_names(region)[0]:
        return metric  # 大鹏新区实现… in 大鹏新区's report: its own region (but 盐田综保区 is a part of 盐田区)
    return metric if area in metric else area + metric


def _distribute_lists(sentence: str, figures: list[tuple]) -> list[tuple]:
    """A run of n figures that share one listed metric (原煤、原油、天然气产量) is the n items', in order;
    so is the run of changes after it (分别增长9.3%、7.3%、21.2%)."""
    out = list(figures)
    i = 0
    while i < len(out):
        metric = out[i][0]
        items = _items(metric)
        j = i
        while j < len(out) and out[j][0] == metric:
            j += 1
        runs = _runs(sentence, out[i:j])
        if len(items) >= 2 and runs and all(len(run) == len(items) for run in runs):
            for run_no, run in enumerate(runs):
                kind = "change" if run_no > 0 or _after_change_verb(sentence, run[0][5]) else run[0][4]
                for item, fig in zip(items, run, strict=True):
                    k = out.index(fig)
                    out[k] = (item, fig[1], fig[2], fig[3], kind if fig[2] in ("%", "个百分点") else fig[4], fig[5])
        i = max(j, i + 1)
    return out


def _items(metric: str) -> list[str]:
    """原煤、原油、天然气产量 → 原煤产量, 原油产量, 天然气产量 (the last item's head shared by all)."""
    parts = [p for p in _LIST_SEP.split(metric) if p]
    if len(parts) < 2 or any(len(p) > 12 for p in parts):
        return []
    return share_head(parts)


def share_head(items: list[str]) -> list[str]:
    """Short items before a headed last one take its head: 粮食、棉花、油料产量 → 粮食产量, 棉花产量, 油料产量;
    人大代表建议、政协委员提案 are whole already. The head is what follows the last item's first word (jieba)."""
    if len(items) < 2 or any(len(p) > 3 for p in items[:-1]):
        return items
    words = jieba_words(items[-1])
    if len(words) < 2 or len(words[0]) > 3:
        return items
    head = "".join(words[1:])
    if len(head) < 2 or any(p.endswith(head) for p in items[:-1]):
        return items
    return [p + head for p in items[:-1]] + [items[-1]]


def _runs(sentence: str, figs: list[tuple]) -> list[list[tuple]]:
    """Figures joined only by 、 (or 和) form one run; a new run starts after a word (分别增长)."""
    runs: list[list[tuple]] = []
    for fig in figs:
        if runs:
            prev = runs[-1][-1]
            gap = sentence[prev[5] : fig[5]]
            between = re.sub(r"^[\d.,]+\s*(?:万亿|亿|万|千)?[^\s、和，,；;]*", "", gap)
            if re.fullmatch(r"\s*[、和]\s*", between or "、"):
                runs[-1].append(fig)
                continue
        runs.append([fig])
    return runs


def _after_change_verb(sentence: str, at: int) -> bool:
    before = sentence[max(0, at - 6) : at]
    return bool(re.search(r"增长|增加|下降|提高|减少|上升", before))
