"""Numbers out of report sentences → Facts, and matching what a question asks for against them.

`extract_facts` runs at index time, one chunk at a time: every rate, count and sum a report states
(调解率达50.6%, 受理法律援助案件644件, 1.135亿元) with the phrase it measures (`metric`), the field
it belongs to (`context`: 行政复议, 人民调解 …) and whether it is a level or a change (同比增加10%).
Matching a question's metric against them is rag/answer/match.py's work; the names of fields are in the thesaurus.

Units are kept as written: "2万余人次" is value 2, unit 万人次, qualifier 余; `normalized_value`
turns 万/亿 into plain multiples (20000) for ranking figures of the same base unit.
"""

from __future__ import annotations

import re

from rag.documents.binding import bind, share_head
from rag.documents.sections import sentence_spans
from rag.language.characters import CJK, has_cjk
from rag.language.divisions import own_names
from rag.language.thesaurus import load_thesaurus
from rag.types import Chunk, Fact

UNITS = (  # the units reports count in, longest first where one begins another
    "个百分点|百分点|人次|户次|件次|场次|批次|亿美元|万美元|美元|亿元|万元|千元|元|微克/立方米|微克每立方米|微克|平方公里|平方米|公里|公顷|立方米|吨|亩|标箱|岁|"
    "公斤|千克|斤|小时|分钟|个工作日|工作日|个月|天|倍|件|人|名|位|次|个|项|家|场|笔|户|份|条|篇|期|本|处|所|支|批|起|宗|"
    "套|台|辆|只|座|张|册|例|种|间|栋|棵|株|盏|艘|枚|届|封|架次|列"
)
_NUMBER = re.compile(
    rf"(?:(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?=\s*(?:[万亿千余多%]|{UNITS}))|\d+(?:\.\d+)?)"
    rf"|(?P<cn>[一二两三四五六七八九]?)(?P<cnmag>千|万)(?=[余多]))"
    rf"\s*(?P<q1>余|多)?(?P<mag>万亿|亿|万|千(?![米克瓦]))?(?P<q2>余|多)?\s*"
    rf"(?P<unit>%|‰|{UNITS})?(?P<post>以上|以下|左右|以内)?"
)
_CN_DIGIT = {"": 1, "一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Full-width digits and punctuation read as ASCII; one character for one, so offsets hold.
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")
_CLAUSE_STOP = re.compile(r"[，,；;：:。！？\n]")
_QUOTED = re.compile(r"“[^”]*”|《[^》]*》|〔[^〕]*〕|【[^】]*】|\"[^\"]*\"")
_BAD_BEFORE = set("第-－—~～/+.:：”\"#′'·") | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_BAD_AFTER = set("-－—~～/+:：\"#'") | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

# Words between a metric and its number: 达/为/在 read a level, 同比增加 a change, 提升至 a level again.
_LINK = sorted(
    "达到了 达到 达 为 是 在 约为 约 近 逾 超过 超 突破 高于 大于 低于 少于 不足 不到 至少 不少于 不低于 "
    "共计 共 合计 总计 累计 仅 只有 均 都 分别 已 已达 保持在 稳定控制在 稳定在 控制在 维持在 了 大幅 稳步 快速 较快 明显 显著 "
    "提升至 提高至 提高到 提升到 上升至 上升到 下降至 下降到 降至 降到 增至 增加到 增长到 减少到 减少至 跃升至 跃升到 跃居 "
    "增长至 提升到 压缩至 压缩到 缩短至 缩短到 增长 增加 净增 上升 提高 提升 下降 减少 降低 回落 下滑 压缩 节省 缩短 增幅 降幅".split(),
    key=len,
    reverse=True,
)
LINK_WORDS = tuple(_LINK)
_LINK_BLOCKED = {"为": "行作认成因以称", "在": "存所现正实内外", "达": "下送传表到", "共": "公总"}
_CHANGE_VERB = re.compile(r"净增|增长|增加|上升|提高|提升|下降|减少|降低|回落|下滑|压缩|节省|缩短|增幅|降幅")
_COMPARATIVE = re.compile(r"(?:同比|环比|(?:较|比)(?:上年|去年|上一年|前一年)?(?:同期)?)$")
# Words around a number that bound it, as the qualifier a Fact carries: 突破15亿元 → 超过, 不足 → 以下.
_QUALIFIER = dict(
    pair.split(":")
    for pair in "约:约 约为:约 近:近 逾:逾 超过:超过 超:超过 突破:超过 高于:超过 大于:超过 至少:以上 不少于:以上 "
    "不低于:以上 不足:以下 不到:以下 低于:以下 少于:以下 以内:以下".split()
)
_DATE = re.compile(
    r"(?:19|20)\d{2}\s*年(?:度|初|底|末|以来|上半年|下半年)?|(?:\d{1,2}\s*[—–\-至到~～]\s*)?\d{1,2}\s*月(?:份|底|初|上旬|中旬|下旬)?(?:\d{1,2}日)?|\d{1,2}日"
)
_SCOPE = re.compile(
    r"^(?:力争|确保|预计|全年共|全年|全区|全市|全县|全镇|全省|我区|我市|我县|本区|本市|辖区|年内|今年|当年|目前|截至目前|一年来|"
    r"以来|上线以来|成立以来|第[一二三四五六七八九十\d]+[批次届期]|共有|共|累计|合计|其中|另外|此外|同时|并|还|已|各级|各类|各项|全部|年度|年|度|"
    r"首次|再次|首度|历史性|有望|预计将|将)"
)
# Verbs and particles a metric phrase is cut after: 受理|法律援助案件. 调解/化解 stay: 人民调解委员会.
_CUT = re.compile(
    r"受理|办理|办结|审结|开展|组织|举办|召开|发放|发布|发出|公示|审查|审核|评查|查阅|处理|处置|排查|接待|接到|"
    r"收到|录入|梳理|制定|制发|出台|印发|建立|建成|新建|设立|设置|组建|架设|培养|确定|提供|解答|挽回|挽损|减免|"
    r"兑付|实现|完成|涉及|实施|参与|参加|聘请|聘任|配备|约谈|发现|注册|接入|挂接|注销|申领|认领|编制|承接|报送|"
    r"主持|邀请|代理|抽取|抽检|暂扣|清理|废止|修改|推出|争创|获批|给予|责令|节省|减少|增加|降低|"
    r"为|对|向|从|由|给|的|等"
)
# A figure whose phrase is only one of these verbs is still a figure: 共立案70件, 办结87件.
_VERB_METRICS = set("立案 办结 审结 受理 不受理 不予受理 办理 起诉 注销 清理 废止 修改 约谈 接待".split())
_AFTER_STOP = re.compile(
    r"和|与|(?<!以)及(?!时)|的|等|(?<!平)均|都|(?<!公)共|全部|作为|进行|参训|参加|主动|通过|限期|被|(?<![关对由属])于|"
    r"已|(?<![行作认成])为|(?<![发到通传送表下])达|(?<![所存现])在|(?<!针)对|向|由|开展|提供|受理|办理|"
    r"兑付|推出|建立|设立|实现|创新|给予|纳入|列入|荣获|组成|成立|收集"
)
_MAX_METRIC = 20  # a metric's name keeps its last this many characters (by hand, 7c94cd4; not measured)
_ANAPHORIC = ("总量", "总额", "总值", "规模", "总数", "总体规模")  # a total that names no measure of its own


FACTS_VERSION = "facts-25"  # bump when extraction changes: load_index then re-reads the facts of an older index

# Goals, not results: 政府工作报告 list next year's targets beside last year's figures.
_TARGET = re.compile(r"预期目标|主要目标|目标任务|目标是|目标为|力争|未来五年|今后五年|到20\d\d年|确保.{0,10}(?:达到|以上)")
# …顺利完成全年主要目标任务 reports a result: a target met is no target
_TARGET_MET = re.compile(r"(?:完成|实现|超额完成|圆满完成|全面完成)[^，。；]{0,12}目标")
_PLAN_SECTION = re.compile(r"工作安排|总体要求|重点任务|工作打算|下一步|工作计划|工作思路|目标任务|工作建议|形势任务|形势和任务|今后五年|未来五年|奋斗目标|发展目标|主要目标|主要任务")
_REVIEW_SECTION = re.compile(r"回顾|过去一年|过去五年|一年来|工作总结|主要成效|取得的成绩")


def extract_facts(chunk: Chunk) -> list[Fact]:
    """The figures stated in `chunk`, each with its metric, field, kind and source sentence."""
    text = chunk.text.translate(_FULLWIDTH)
    facts: list[Fact] = []
    # a 政府工作报告 of 2025 plans 2025: a section headed with its own year (三、2025年重点工作) sets targets
    plans_its_year = bool(chunk.year) and "工作报告" in chunk.title and any(
        f"{chunk.year}年" in h and not _REVIEW_SECTION.search(h) for h in chunk.section)
    topic = ""  # the metric a clause after ； may call 总量 (GDP同比增长3.5%；总量达到4702亿元)
    # The chunker's sentences without its two chunking rules: "主要表现在：一是…" stays one sentence and a
    # run without punctuation is not cut, as the index's facts were extracted (FACTS_VERSION). With them, 1
    # fact sentence of the 86 reports' 5,613 chunks would change (measured when the two splitters became one).
    for s, e in sentence_spans(text, at_points=False, cap=None):
        where = (chunk.text[s:e], chunk.start + s, chunk.start + e, chunk.section)
        goal = states_a_goal(text[s:e], chunk.section) or plans_its_year
        figures = _sentence_figures(text[s:e], chunk.region, topic)
        named = [f[0] for f in figures if not f[0].startswith(("比", "较"))]
        topic = named[-1] if named and text[e - 1 : e] in "；;" else ""
        for metric, value, unit, qualifier, kind, at in figures:
            if _FROM.search(text[s : s + at]) and not _FROM_YEAR.search(text[s : s + at] + "至"):
                continue  # GDP从3847亿元跃升到4422亿元: 3847 is an earlier year's, unnamed here (由2023年176.7亿元 is 2023's)
            context = _context(metric, text, s, e, s + at, chunk.section)
            # 预计…增长5.2%左右, or …左右 in a review, is an estimate of the result, not a target
            forecast = "预计" in text[s : s + at] and not goal
            review = any(_REVIEW_SECTION.search(h) for h in chunk.section) and not goal
            target = goal or (qualifier == "左右" and not forecast and not review)
            if (forecast and qualifier in ("左右", "")) or (review and qualifier == "左右"):
                qualifier = "约"
            about = year_about(text[s : s + at], chunk.year, "工作报告" in chunk.title, target, chunk.section)
            facts.append(
                Fact(
                    chunk.doc, chunk.region, chunk.year, metric, context, value, unit, qualifier, kind, *where, target,
                    about,
                )
            )
    return facts


_NAMED_YEAR = re.compile(r"((?:19|20)\d{2})\s*年(?!以来|来|底前|之前|以前|前)")


_HEADING_YEAR = re.compile(r"((?:19|20)\d{2})\s*年(?!以来|来)")
_OVER_YEARS = re.compile(r"新建|新增|新引进|新认定|新培育|累计|五年|年均|建成|完成|引进|培育|净增|增加")
_SPAN_HEADING = re.compile(r"过去五年|五年来|以来的工作|“[十]+[一二三四五]五”|[十]+[一二三四五]五.{0,4}(?:时期|期间)")


def year_about(before: str, report_year: int | None, work_report: bool, target: bool,
               section: tuple[str, ...] = ()) -> int | None:
    """The year a figure is about: one the sentence names before it ("2023年，全区…"); else, for a result, the
    year its section's heading names (一、2018年工作回顾), or none under a review of several years (过去五年工作
    回顾: a five-year total is no year's); else what its report speaks of (a 政府工作报告 of Y reviews Y−1 and
    sets Y's targets; a 法治 report of Y reviews Y and plans Y+1)."""
    from_year = _FROM_YEAR.search(before + "至")
    if from_year and from_year.end() >= len(before.rstrip("的 ")) - 1:  # 由2023年|176.7亿元: the start, of 2023
        return int(re.search(r"(?:19|20)\d{2}", from_year.group()).group())
    named = _NAMED_YEAR.findall(_FROM_YEAR.sub("", before))  # 由2023年176.7亿元增长至…: 2023 is the start's
    if named:
        return int(named[-1])
    if not target:
        for heading in reversed(section):
            years = _HEADING_YEAR.findall(heading)
            if len(years) == 1 and not _PLAN_SECTION.search(heading):
                return int(years[0])  # 一、2020年工作和“十三五”发展回顾: the year's figures, mostly
            if _SPAN_HEADING.search(heading):
                if _OVER_YEARS.search(re.split(r"[，,；;]", before)[-1]) or report_year is None:
                    return None  # 五年新建及改造提升公园76个: a total over the years reviewed
                break  # 公园总数达173个: a level, as it stands at the end of the years reviewed
    if report_year is None:
        return None
    if work_report:
        return report_year if target else report_year - 1
    return report_year + 1 if target else report_year


def states_a_goal(sentence: str, section: tuple[str, ...] = ()) -> bool:
    """Whether a sentence sets a target (主要预期目标…, 力争…) or sits in a plan section (2025年工作安排).

    In a review (2024年工作回顾) only a sentence that says 预期目标 or 力争 sets one: "完成全年主要目标任务"
    there is a result."""
    if any(_PLAN_SECTION.search(h) for h in section):
        return True
    found = _TARGET.search(sentence)
    met = _TARGET_MET.search(sentence)
    # 完成全年目标任务 is a result; 预期目标是：…，完成节能减排目标任务 lists one more goal
    if not found or met and met.start() <= found.start():
        return False
    if any(_REVIEW_SECTION.search(h) for h in section):
        return found.group() in ("预期目标", "力争")
    return True


def base_unit(unit: str) -> str:
    """The unit without its 万/亿 multiplier: 万人次 → 人次, 亿元 → 元, 万 → ""."""
    return re.sub(r"^(?:万亿|亿|万)", "", unit)


def normalized_value(fact: Fact) -> float:
    """`fact.value` in its base unit (2 万人次 → 20000, 1.135 亿元 → 113500000), for ranking like with like."""
    scale = {"万亿": 1e12, "亿": 1e8, "万": 1e4}
    prefix = fact.unit[: len(fact.unit) - len(base_unit(fact.unit))]
    return fact.value * scale.get(prefix, 1.0)


_FROM = re.compile(r"(?:从|由)(?:(?:19|20)\d{2}\s*年(?:底|末|初)?的?)?$")
_FROM_YEAR = re.compile(r"(?:从|由)\s*(?:19|20)\d{2}\s*年(?=[^至到。；;]*(?:至|到))")


def _sentence_figures(sentence: str, region: str, topic: str = ""):
    """(metric, value, unit, qualifier, kind, offset) for each figure of one sentence; `topic` is the
    metric of the clause before it, when a ； joins them."""
    quoted = [m.span() for m in _QUOTED.finditer(sentence)]
    out: list[tuple[str, float, str, str, str, int]] = []
    boundary = 0  # text before this point belongs to an earlier figure
    for m in _NUMBER.finditer(sentence):
        ms, me = m.span()
        parsed = _parse(m, sentence, quoted)
        if parsed is None:
            continue
        value, unit, qualifier = parsed
        stop = max((c.end() for c in _CLAUSE_STOP.finditer(sentence, 0, ms)), default=0)
        raw = sentence[max(boundary, stop) : ms]
        metrics, open_, link, prefix_q, core = _metric_before(raw, region)
        # 同比增加10% and 较上年增长148.6% are changes; 提升至98.46% is a level.
        change = bool(
            _CHANGE_VERB.search(link) and not link.endswith(("至", "到")) or re.search("同比|环比", link)
        )
        change |= unit in ("个百分点", "倍")
        change |= unit == "%" and bool(_CHANGE_VERB.search(core)) and not metrics[-1].endswith("率")
        after, after_end = _noun_after(sentence, me, quoted)
        boundary = me
        counted = base_unit(unit) not in ("", "%", "‰", "个百分点", "倍") and not unit.endswith("元")
        if after and (
            (counted and (open_ or len(metrics[0]) < 3))
            or (unit == "%" and after.endswith("率") and not metrics[0].endswith("率") and not change)
        ):
            metrics, open_, boundary = [after], False, after_end  # 聘请3家|律师事务所, 70%|创建率
        named = [topic] * bool(topic) + [f[0] for f in out if not f[0].startswith(("比", "较"))]  # not 比全市高…
        if metrics[0] in _ANAPHORIC and named and not open_:
            # 外贸进出口总额同比增长21.9%，总量达6093.4亿元: the total of the figure before (新增国高企业308家、
            # 总量2810家: of 国高企业, not of the new ones)
            metrics = [re.sub(r"新增|新认定|新培育|新引进|净增", "", named[-1]) or named[-1]]
        if metrics == [""] and out and not _strip_scope(core.replace("的", ""), region):
            metrics, open_ = [out[-1][0]], False  # 同比增长62.4% / 251批474人次: the figure before names it
        if metrics == [""] and not out and stop > 0:
            subject = _subject_of(sentence[:stop], region)  # 集装箱吞吐量再创历史新高，达1416.1万标箱
            if subject:
                metrics, open_ = [subject], False
        if open_ and metrics[0] not in _VERB_METRICS:
            continue  # 涉及2人, 明确8个: the words before name no measure
        kind = "change" if change else "level"
        out += [(mt, value, unit, qualifier or prefix_q, kind, ms) for mt in metrics if len(mt) >= 2]
    return bind(sentence, _respectively(sentence, out, region), region)


def _respectively(sentence: str, out: list, region: str) -> list:
    """A、B分别新认定60家和30家: the i-th figure after 分别 is the i-th named item's, with the verb after
    分别 (新认定, 下降) for each. A clause of one item (累计分别达到1016家和591家) takes the items before it."""
    quoted = [m.span() for m in _QUOTED.finditer(sentence)]
    items: list[str] = []
    for m in re.finditer("分别", sentence):
        start = max((c.end() for c in _CLAUSE_STOP.finditer(sentence, 0, m.start())), default=0)
        end = next((c.start() for c in _CLAUSE_STOP.finditer(sentence, m.end())), len(sentence))
        words = [w for p in re.split(r"和|与|、|以及|及", sentence[start : m.start()]) if (w := _cut(p, region)[0])]
        prefix = "" if len(words) >= 2 else "".join(words)  # 累计
        if len(words) == 1 and words[0].startswith("城乡") and len(words[0]) > 3:  # 城乡低保标准分别增长5%、12%
            words, prefix = ["城镇" + words[0][2:], "农村" + words[0][2:]], ""
        items = share_head(words) if len(words) >= 2 else items
        numbers = [(n, parsed) for n in _NUMBER.finditer(sentence, m.end(), end) if (parsed := _parse(n, sentence, quoted))]
        if len(numbers) < 2 or len(numbers) != len(items):
            continue
        _, _, link, prefix_q, verb = _metric_before(sentence[m.end() : numbers[0][0].start()], region)
        verb = verb.rstrip("的")
        change = bool(_CHANGE_VERB.search(link) and not link.endswith(("至", "到")))
        spans = {n.start() for n, _ in numbers}
        out = [f for f in out if f[5] not in spans] + [
            (prefix + item + verb, value, unit, qualifier or prefix_q,
             "change" if change or unit in ("个百分点", "倍") else "level", n.start())
            for item, (n, (value, unit, qualifier)) in zip(items, numbers, strict=True)]
    return sorted(out, key=lambda f: f[5])


# What a clause says of its subject without a figure: 粮食总产量|再上新台阶, 吞吐量|再创历史新高
_PREDICATE = re.compile(r"再创|再上|再次|创下|创历史|创新高|稳居|位居|跃居|连续|首次|持续|保持|稳步|大幅|实现|迈上|跨上|突破")


def _subject_of(before: str, region: str) -> str:
    """The noun phrase the previous clause is about, when it only says something of it (再创历史新高)."""
    clause = re.split(r"[，,；;：:]", before.rstrip("，,；;：: "))[-1]
    m = _PREDICATE.search(clause)
    if not m or m.start() < 2:
        return ""
    subject, _ = _cut(clause[: m.start()], region)
    return subject if len(subject) >= 2 else ""


def _parse(m: re.Match, sentence: str, quoted: list[tuple[int, int]]) -> tuple[float, str, str] | None:
    """(value, unit, qualifier) of a number match, or None when it is a year, date, code, ordinal or name."""
    ms, me = m.span()
    if any(a <= ms < b for a, b in quoted):
        return None  # “1+8”, 《纲要(2021-2025)》, 〔2022〕3号: parts of names, not figures
    before = sentence[:ms].rstrip()
    if before and before[-1] in _BAD_BEFORE:
        return None
    if m.group("num") is None:  # 五千余条, 千余家
        value = float(_CN_DIGIT[m.group("cn")] * (1000 if m.group("cnmag") == "千" else 1))
        mag = "万" if m.group("cnmag") == "万" else ""
    else:
        value = float(m.group("num").replace(",", ""))
        mag = m.group("mag") or ""
        if mag == "千":
            value, mag = value * 1000, ""
    unit = {"百分点": "个百分点", "‰": "‰"}.get(m.group("unit") or "", m.group("unit") or "")
    if not unit and not mag:
        # A bare number counts only as in "提供法律意见188," — CJK before it, a clause end after it.
        if not has_cjk(before[-1:]) or sentence[me : me + 1] not in ("", *"，,。；;、"):
            return None
        if len(m.group("num") or "") > 7 or "." in (m.group("num") or "") or 1900 <= value <= 2100:
            return None
    elif not m.group("unit") and sentence[me : me + 1] in _BAD_AFTER:
        return None
    post = m.group("post") or ""
    qualifier = _QUALIFIER.get(post, post) or m.group("q1") or m.group("q2") or ""
    return value, mag + unit, qualifier


def _metric_before(raw: str, region: str) -> tuple[list[str], bool, str, str, str]:
    """(metric phrases, ends-in-verb, link words, qualifier, phrase) read off the text before a number."""
    # 由2018年的917亿元跃升至2022年的1427亿元: a dated 的 modifies the figure, it is no noun before it
    raw = re.sub(r"(?:由|从)?(?:19|20)\d{2}\s*年(?:底|末|初)?的", "", raw)
    text = _DATE.sub("", re.sub(r"[(（][^)）]*[)）]", "", raw))
    text = re.sub(r"[“”\"'‘’《》〈〉【】\s]", "", text).lstrip("、，,；;：:")
    text = re.sub(r"(?<=..)(?:从|由)$", "", text)  # 地区生产总值从|2015年2694亿元增长到…
    text = re.sub(r"^(?:大关|关口|新台阶|台阶|量级)[、，,]?", "", text)  # 突破5万关口、达到|5.28万元: the milestone passed
    stripped: list[str] = []
    while True:
        word = next((w for w in _LINK if text.endswith(w) and _link_ok(text, w)), None)
        if word is None:
            if stripped and _CHANGE_VERB.fullmatch(stripped[-1]) and _COMPARATIVE.search(text):
                word = _COMPARATIVE.search(text).group()  # 较上年同期 before 增长
            else:
                break
        stripped.append(word)
        text = text[: len(text) - len(word)]
    link = "".join(reversed(stripped))
    prefix_q = next((_QUALIFIER[w] for w in stripped if w in _QUALIFIER), "")
    if not text or text.endswith(("、", "的", "等")):
        return [""], True, link, prefix_q, text  # …等16个|工作制度: the noun follows the number
    parts = re.split(r"和|与|、|以及", text) if re.search(r"均|都|分别", link) else [text]
    cuts = [_cut(p, region) for p in parts if p] or [("", True)]
    return [c for c, _ in cuts], cuts[-1][1], link, prefix_q, text


def _link_ok(text: str, word: str) -> bool:
    """Single-character links only where they cannot end a noun: 行为, 存在, 下达, 公共."""
    prev = text[-len(word) - 1 : -len(word)]
    return not prev or prev not in _LINK_BLOCKED.get(word, "")


def _strip_scope(text: str, region: str) -> str:
    """Drop leading scope words (全区, 2022年, 其中 …) and the report's own region name."""
    names, above = own_names(region)
    while True:
        # the report's own region however written (光明, 光明新区), also after its city (深圳光明新区); but
        # 深圳全市… in a district's report is the city's figure, and keeps its name
        own = next((n for n in names if text.startswith(n)), "")
        parent = next((p for p in above if text.startswith(p) and any(text.startswith(n, len(p)) for n in names)), "")
        new = text[len(parent) + len(own or next((n for n in names if text.startswith(n, len(parent))), "")) :] \
            if parent or own else _SCOPE.sub("", text, count=1)
        if new == text:
            return text
        text = new


def cut_metric(phrase: str) -> str:
    """A metric phrase cut the way facts' are (帮困难群众挽回经济损失 → 经济损失), for comparing like with like."""
    cut, _ = _cut(phrase, "")
    return cut


def _cut(phrase: str, region: str) -> tuple[str, bool]:
    """(the noun phrase ending `phrase`, whether the noun rather follows the number).

    Cut after the last verb that leaves three characters or more (受理|法律援助案件), so a bare
    案件 or 率 keeps its verb (成功化解案件, 化解率); a phrase that is only a verb (已建成, 对全市)
    counts what follows the number (9个|公共法律服务工作站).
    """
    phrase = _strip_scope(phrase, region)
    cuts = list(_CUT.finditer(phrase))
    if cuts and not _strip_scope(phrase[cuts[-1].end() :], region):
        rest = phrase[cuts[-2].end() if len(cuts) > 1 else 0 : cuts[-1].start()]
        if len(_strip_scope(rest, region)) < 2:
            return phrase, True
    for m in reversed(cuts):
        tail = _strip_scope(phrase[m.end() :].lstrip("、和与及"), region)
        if len(tail) >= 3 and not tail.startswith(("率", "成功")):
            return tail.replace("的", "")[-_MAX_METRIC:], False
    return phrase.replace("的", "")[-_MAX_METRIC:], False


def _noun_after(sentence: str, at: int, quoted: list[tuple[int, int]]) -> tuple[str, int]:
    """The noun a classifier counts when it follows the number: 3家|律师事务所, 16个|工作制度."""
    m = re.compile(rf"[{CJK}“”（）()]+").match(sentence, at)
    if not m or sentence[at : at + 1] in "（(":
        return "", at  # 不受理12宗（其中转送10宗…）: an aside follows, not the thing counted
    stops = (
        x.start()
        for x in _AFTER_STOP.finditer(sentence, at, m.end())
        if not any(a < x.start() < b for a, b in quoted)
    )
    end = next(stops, m.end())
    noun = re.sub(r"[“”]|[(（][^)）]*[)）]|[()（）]", "", sentence[at:end])[:12]
    if re.match(r"大关|台阶|关口|水平|规模|以上|左右|目标|之多", noun):
        return "", at  # 突破1600亿斤|大关 counts no 大关
    return (noun, end) if len(noun) >= 2 else ("", at)


def _field_of(text: str, last: bool = True) -> str:
    """The field named in `text` (rag/data/thesaurus.tsv): the name nearest its end, or its start."""
    return load_thesaurus().field_of(text, last)


def _context(metric: str, text: str, s: int, e: int, at: int, section: tuple[str, ...]) -> str:
    """The field of a figure: its metric, else its sentence, earlier sentences, then the headings."""
    return (
        _field_of(metric)
        or _field_of(text[s:at])
        or _field_of(text[at:e], last=False)
        or _field_of(text[:s])
        or next((f for f in map(_field_of, reversed(section)) if f), "")
    )


_BOUND_BEFORE = ("约", "近", "超过", "逾", "超", "突破")
_RANGE_AFTER = re.compile(r"\s*[—–~～\-]\s*\d+(?:\.\d+)?\s*(?:%|‰)?")
_RANGE_BEFORE = re.compile(r"[\d.]+\s*(?:%|‰)?\s*[—–\-~～至到]\s*$")


def written_figure(fact) -> str:
    """The words the sentence gives `fact`'s figure in (300余万元, 约1.2万公里, 6%—6.5%), or "" when not found.
    `fact` is a Fact, or an answer's Row (its sentence is its citation's quote). A bound written before it
    (约, 近, 超过) is kept; so is a range."""
    original = getattr(fact, "sentence", None) or getattr(getattr(fact, "citation", None), "quote", "")
    sentence = original.translate(_FULLWIDTH)
    quoted = [m.span() for m in _QUOTED.finditer(sentence)]
    for m in _NUMBER.finditer(sentence):
        parsed = _parse(m, sentence, quoted)
        if parsed is None or parsed[0] != fact.value or parsed[1] != fact.unit:
            continue
        start, end = m.start(), m.end()
        text = original[start:end].strip()
        before = sentence[:start]
        bound = next((w for w in _BOUND_BEFORE if before.endswith(w)), "")
        span = _RANGE_BEFORE.search(before)
        if span and not bound:
            return original[span.start() : end].strip()
        if fact.qualifier in ("约", "近", "超过", "逾") and not bound:
            continue  # the figure the qualifier belongs to is another of the same value
        rest = _RANGE_AFTER.match(sentence, end)  # 增长6%—6.5%: the range as written
        if rest:
            text = original[start : rest.end()].strip()
        return (original[start - len(bound) : start] if bound else "") + text
    return ""
