"""Numbers out of report sentences → Facts, and matching what a question asks for against them.

`extract_facts` runs at index time, one chunk at a time: every rate, count and sum a report states
(调解率达50.6%, 受理法律援助案件644件, 1.135亿元) with the phrase it measures (`metric`), the field
it belongs to (`context`: 行政复议, 人民调解 …) and whether it is a level or a change (同比增加10%).
The answer stage ranks facts with `metric_score` after `split_question_metric` has read the question.

Units are kept as written: "2万余人次" is value 2, unit 万人次, qualifier 余; `normalized_value`
turns 万/亿 into plain multiples (20000) for ranking figures of the same base unit.
"""

from __future__ import annotations

import re

from rag.sections import strip_span
from rag.types import Chunk, Fact

# The field a figure belongs to, and the words that name it. The alias nearest the number wins,
# so 出庭应诉率 in a sentence that began with 行政复议 still reads as 行政诉讼.
FIELDS: dict[str, tuple[str, ...]] = {
    "行政复议": ("行政复议", "复议"),
    "行政诉讼": ("行政诉讼", "行政应诉", "出庭应诉", "应诉", "出庭", "败诉", "行政案件"),
    "人民调解": ("人民调解", "调解组织", "调解委员会", "调委会", "矛盾纠纷"),
    "法律援助": ("法律援助", "法援"),
    "信访": ("信访", "接访"),
    "12345热线": ("12345热线", "12345市民热线", "12345", "市民热线", "热线"),
    "行政执法": ("行政执法", "执法"),
    "普法": ("普法", "法治宣传"),
    "政务服务": ("政务服务", "网办", "可办率", "一网通办"),
    "政务公开": ("政务公开", "信息公开", "依申请公开"),
    "规范性文件": ("规范性文件",),
    "合法性审查": ("合法性审查", "合法性审核"),
    "重大行政决策": ("重大行政决策", "决策事项"),
    "知识产权": ("知识产权", "专利", "商标"),
    "公共法律服务": ("公共法律服务", "法律服务", "法律顾问", "法律咨询", "法律明白人"),
    "司法": ("法院", "检察", "裁判文书", "审判", "公益诉讼", "司法救助"),
    "社区矫正": ("社区矫正", "矫正"),
    "公证": ("公证",),
}
_ALIASES = sorted(((a, f) for f, names in FIELDS.items() for a in names), key=lambda p: -len(p[0]))
_FIELD_RE = re.compile("|".join(re.escape(a) for a, _ in _ALIASES))
_FIELD_OF = dict(_ALIASES)

_UNITS = (
    "个百分点|百分点|人次|户次|件次|场次|批次|亿元|万元|千元|元|平方公里|平方米|公里|公顷|立方米|吨|亩|"
    "公斤|千克|斤|小时|分钟|个工作日|工作日|个月|天|倍|件|人|名|位|次|个|项|家|场|笔|户|份|条|篇|期|本|处|所|支|批|起|宗|"
    "套|台|辆|只|座|张|册|例|种|间|栋|棵|株|盏|艘|枚|届|封"
)
_NUMBER = re.compile(
    rf"(?:(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?=\s*(?:[万亿千余多%]|{_UNITS}))|\d+(?:\.\d+)?)"
    rf"|(?P<cn>[一二两三四五六七八九]?)(?P<cnmag>千|万)(?=[余多]))"
    rf"\s*(?P<q1>余|多)?(?P<mag>万亿|亿|万|千(?![米克瓦]))?(?P<q2>余|多)?\s*"
    rf"(?P<unit>%|‰|{_UNITS})?(?P<post>以上|以下|左右|以内)?"
)
_CN_DIGIT = {"": 1, "一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Full-width digits and punctuation read as ASCII; one character for one, so offsets hold.
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")
_SENTENCE_END = re.compile(r"[。！？；;!?]+[”’」』）)]*|\n")
_CLAUSE_STOP = re.compile(r"[，,；;：:。！？\n]")
_QUOTED = re.compile(r"“[^”]*”|《[^》]*》|〔[^〕]*〕|【[^】]*】|\"[^\"]*\"")
_BAD_BEFORE = set("第-－—~～/+.:：”\"#′'·") | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_BAD_AFTER = set("-－—~～/+:：\"#'") | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

# Words between a metric and its number: 达/为/在 read a level, 同比增加 a change, 提升至 a level again.
_LINK = sorted(
    "达到了 达到 达 为 是 在 约为 约 近 逾 超过 超 突破 高于 大于 低于 少于 不足 不到 至少 不少于 不低于 "
    "共计 共 合计 总计 累计 仅 只有 均 都 分别 已 已达 保持在 稳定控制在 稳定在 控制在 维持在 了 "
    "提升至 提高至 提高到 提升到 上升至 上升到 下降至 下降到 降至 降到 增至 增加到 增长到 减少到 减少至 "
    "压缩至 压缩到 缩短至 缩短到 增长 增加 上升 提高 提升 下降 减少 降低 回落 下滑 压缩 节省 缩短 增幅 降幅".split(),
    key=len,
    reverse=True,
)
_LINK_BLOCKED = {"为": "行作认成因以称", "在": "存所现正实内外", "达": "下送传表到", "共": "公总"}
_CHANGE_VERB = re.compile(r"增长|增加|上升|提高|提升|下降|减少|降低|回落|下滑|压缩|节省|缩短|增幅|降幅")
_COMPARATIVE = re.compile(r"(?:同比|环比|(?:较|比)(?:上年|去年|上一年|前一年)?(?:同期)?)$")
# Words around a number that bound it, as the qualifier a Fact carries: 突破15亿元 → 超过, 不足 → 以下.
_QUALIFIER = dict(
    pair.split(":")
    for pair in "约:约 约为:约 近:近 逾:逾 超过:超过 超:超过 突破:超过 高于:超过 大于:超过 至少:以上 不少于:以上 "
    "不低于:以上 不足:以下 不到:以下 低于:以下 少于:以下 以内:以下".split()
)
_DATE = re.compile(
    r"(?:19|20)\d{2}\s*年(?:度|初|底|末|以来|上半年|下半年)?|\d{1,2}\s*月(?:份|底|初|上旬|中旬|下旬)?(?:\d{1,2}日)?|\d{1,2}日"
)
_SCOPE = re.compile(
    r"^(?:力争|确保|预计|全年共|全年|全区|全市|全县|全镇|全省|我区|我市|我县|本区|本市|辖区|年内|今年|当年|目前|截至目前|一年来|"
    r"以来|上线以来|成立以来|第[一二三四五六七八九十\d]+[批次届期]|共有|共|累计|合计|其中|另外|此外|同时|并|还|已|各级|各类|各项|全部|年度|年|度)"
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
_VERB_METRICS = set("立案 办结 审结 受理 办理 起诉 注销 清理 废止 修改 约谈 接待".split())
_AFTER_STOP = re.compile(
    r"和|与|(?<!以)及(?!时)|的|等|(?<!平)均|都|(?<!公)共|全部|作为|进行|参训|参加|主动|通过|限期|被|(?<![关对由属])于|"
    r"已|(?<![行作认成])为|(?<![发到通传送表下])达|(?<![所存现])在|(?<!针)对|向|由|开展|提供|受理|办理|"
    r"兑付|推出|建立|设立|实现|创新|给予|纳入|列入|荣获|组成|成立|收集"
)
_MAX_METRIC = 20


FACTS_VERSION = "facts-2"  # bump when extraction changes: load_index then re-reads the facts of an older index

# Goals, not results: 政府工作报告 list next year's targets beside last year's figures.
_TARGET = re.compile(r"预期目标|主要目标|目标任务|目标是|目标为|力争|确保.{0,10}(?:达到|以上)")
_PLAN_SECTION = re.compile(r"工作安排|总体要求|重点任务|工作打算|下一步|工作计划|工作思路|目标任务|工作建议")


def extract_facts(chunk: Chunk) -> list[Fact]:
    """The figures stated in `chunk`, each with its metric, field, kind and source sentence."""
    text = chunk.text.translate(_FULLWIDTH)
    facts: list[Fact] = []
    for s, e in _sentence_spans(text):
        where = (chunk.text[s:e], chunk.start + s, chunk.start + e, chunk.section)
        goal = states_a_goal(text[s:e], chunk.section)
        for metric, value, unit, qualifier, kind, at in _sentence_figures(text[s:e], chunk.region):
            context = _context(metric, text, s, e, s + at, chunk.section)
            target = goal or qualifier == "左右"
            facts.append(
                Fact(
                    chunk.doc, chunk.region, chunk.year, metric, context, value, unit, qualifier, kind, *where, target
                )
            )
    return facts


def states_a_goal(sentence: str, section: tuple[str, ...] = ()) -> bool:
    """Whether a sentence sets a target (主要预期目标…, 力争…) or sits in a plan section (2025年工作安排)."""
    return bool(_TARGET.search(sentence)) or any(_PLAN_SECTION.search(h) for h in section)


def base_unit(unit: str) -> str:
    """The unit without its 万/亿 multiplier: 万人次 → 人次, 亿元 → 元, 万 → ""."""
    return re.sub(r"^(?:万亿|亿|万)", "", unit)


def normalized_value(fact: Fact) -> float:
    """`fact.value` in its base unit (2 万人次 → 20000, 1.135 亿元 → 113500000), for ranking like with like."""
    scale = {"万亿": 1e12, "亿": 1e8, "万": 1e4}
    prefix = fact.unit[: len(fact.unit) - len(base_unit(fact.unit))]
    return fact.value * scale.get(prefix, 1.0)


def _sentence_spans(text: str):
    """(start, end) of each sentence, closing punctuation kept, surrounding whitespace dropped."""
    pos = 0
    for m in [*_SENTENCE_END.finditer(text), None]:
        end = m.end() if m else len(text)
        s, e = strip_span(text, pos, end)
        if e > s:
            yield s, e
        pos = end


def _sentence_figures(sentence: str, region: str):
    """(metric, value, unit, qualifier, kind, offset) for each figure of one sentence."""
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
        if metrics == [""] and out and not _strip_scope(core, region):
            metrics, open_ = [out[-1][0]], False  # 同比增长62.4% / 251批474人次: the figure before names it
        if open_ and metrics[0] not in _VERB_METRICS:
            continue  # 涉及2人, 明确8个: the words before name no measure
        kind = "change" if change else "level"
        out += [(mt, value, unit, qualifier or prefix_q, kind, ms) for mt in metrics if len(mt) >= 2]
    return out


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
        if not re.match(r"[\u4e00-\u9fff]", before[-1:]) or sentence[me : me + 1] not in ("", *"，,。；;、"):
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
    text = _DATE.sub("", re.sub(r"[(（][^)）]*[)）]", "", raw))
    text = re.sub(r"[“”\"'‘’《》〈〉【】\s]", "", text).lstrip("、，,；;：:")
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
    while True:
        new = text[len(region) :] if region and text.startswith(region) else _SCOPE.sub("", text, count=1)
        if new == text:
            return text
        text = new


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
    m = re.compile(r"[\u4e00-\u9fff“”（）()]+").match(sentence, at)
    if not m:
        return "", at
    stops = (
        x.start()
        for x in _AFTER_STOP.finditer(sentence, at, m.end())
        if not any(a < x.start() < b for a, b in quoted)
    )
    end = next(stops, m.end())
    noun = re.sub(r"[“”]|[(（][^)）]*[)）]|[()（）]", "", sentence[at:end])[:12]
    return (noun, end) if len(noun) >= 2 else ("", at)


def _field_of(text: str, last: bool = True) -> str:
    """The field named in `text`: the alias nearest its end (or its start when `last` is False)."""
    hits = list(_FIELD_RE.finditer(text))
    if not hits:
        return ""
    return _FIELD_OF[(hits[-1] if last else hits[0]).group()]


def _context(metric: str, text: str, s: int, e: int, at: int, section: tuple[str, ...]) -> str:
    """The field of a figure: its metric, else its sentence, earlier sentences, then the headings."""
    return (
        _field_of(metric)
        or _field_of(text[s:at])
        or _field_of(text[at:e], last=False)
        or _field_of(text[:s])
        or next((f for f in map(_field_of, reversed(section)) if f), "")
    )


# ---------------------------------------------------------------- matching questions against facts

_Q_DROP = [
    r"[?？!！。.,，、:：;；\s]",
    r"(?:19|20)\d{2}年(?:度)?",
    r"(?:达到|达|超过|高于|不低于|不少于|大于|低于|不足|少于|不到|小于|等于|在)?\d+(?:\.\d+)?"
    rf"[万亿]?(?:%|％|{_UNITS})?(?:以上|以下)?",
    r"最(?:高|低|多|少|大|小|好|差|快|慢|长|短)|排名(?:第一|前[三五十])?|排第一|第一|前[三五十]|较高|较低|更高|更低",
    r"(?:哪一个|哪几个|哪个|哪些|哪几|哪)(?:地区|地方|区县|区|市|县|省份|省|城市|报告)?",
    r"(?:各个|各|每个|所有)(?:地区|地方|区县|区|市|县|省份|省|城市|报告|地)",
    r"(?:预期|增长)?目标$|目标(?=达到|为|是)",
    r"(?:是|为|有)?多少(?:个|件|人次|人|名|项|次|家|场|笔|户|元|万元|亿元|份|条)?|几(?:个|件|人次|人|名|项|次|家|场|笔|户)",
    r"分别是|分别为|分别|各是|各为|是什么|有没有|是否|如何|怎样|怎么样|吗|呢|了|谁",
    r"全年|去年|今年|上年|当年|本年|年度|报告中|报告里|报告|情况|数据|数字|水平|指标|相比|比较|对比|之间",
    r"(?:更|较)?(?:多|少|高|低|大|小)$",  # 镜湖区和鹿城区哪个…案件多
]
_Q_PLACE = re.compile(r"^(?![哪各每全本该])[\u4e00-\u9fff]{1,5}?(?:自治区|新区|区|市|县|旗)")
_NOT_PLACE = ("社区", "小区", "园区", "城区", "景区", "片区", "街区", "辖区", "城市", "市场", "市民")


def split_question_metric(question: str) -> tuple[str, str]:
    """(metric, context) a comparison question asks about: 哪个区复议调解率最高? → (调解率, 行政复议)."""
    q = re.sub(r"[?？!！。\s]", "", question)
    place = _Q_PLACE.match(q)
    if place and place.group() not in _NOT_PLACE and len(q) - place.end() >= 2:
        q = q[place.end() :]
    for pattern in _Q_DROP:
        q = re.sub(pattern, "", q)
    parts = [p for p in (x.strip("是为有") for x in q.split("的")) if p]
    if not parts:
        return "", ""
    metric = parts[-1]
    if len(parts) > 1 and re.fullmatch(rf"(?:{_UNITS})数?|数量|总数|次数|人数|件数|金额|规模|总量|比例|比重", metric):
        metric = parts[-2] + metric  # 法治宣传活动的场次: the measure belongs to what comes before 的
    context = next((f for f in map(_field_of, reversed(parts[:-1])) if f), "") or _field_of(metric)
    for alias, field in _ALIASES:
        rest = metric[len(alias) :]
        if metric.startswith(alias) and rest.endswith("率") and len(rest) >= 2:
            return rest, field  # 复议调解率 → 调解率 in 行政复议
    return metric, context


def metric_score(query_metric: str, query_context: str, fact: Fact, change: bool = False) -> float:
    """How well `fact` is the figure asked for, in [0, 1]: the metric head counts most, a wrong field costs most.

    Character bigrams of the asked metric are looked up in the fact's metric (full weight) and in its
    field (0.6); the head (…率 / …案件) must agree, and a rate never matches a count. With `change`,
    the question asks how much the metric grew (地区生产总值增速): only a % change can be the answer.
    """
    qm, fm = _canon(query_metric), _canon(fact.metric)
    if not qm or not fm:
        return 0.0
    if change:
        gate = 1.0 if fact.kind == "change" and fact.unit in ("%", "个百分点") else 0.0
    else:
        gate = _unit_gate(query_metric, fact)
    if gate == 0.0:
        return 0.0
    qc = query_context or _field_of(query_metric)
    qb, fb, cb = _bigrams(qm), _bigrams(fm), _bigrams(fact.context)
    recall = sum(1.0 if b in fb else 0.6 if b in cb else 0.0 for b in qb) / len(qb)
    precision = len(fb & (qb | _bigrams(qc))) / len(fb)
    score = 0.3 * _head_match(qm, fm) + 0.5 * recall + 0.2 * precision
    if qc and fact.context:
        score *= 1.0 if qc == fact.context else 0.4  # 复议调解率 is not a 人民调解 rate
    elif qc:
        score *= 0.65  # the field is unknown: 按时办结率 of 人大建议 must not pass for a 12345热线 one
    return round(min(1.0, score * gate), 4)


def _canon(metric: str) -> str:
    """A metric spelt one way: 调处成功率 ≡ 化解率, 新收…案件数 ≡ …案件 (receiving verbs and 数量 dropped)."""
    s = re.sub(r"[的\s“”\"'《》()（）]", "", metric).replace("调处", "化解")
    # the same figure by other names: 本地/地区生产总值 (GDP), 粮食(总)产量, 全省… scope words
    s = re.sub(r"本地生产总值|GDP|gdp", "地区生产总值", s).replace("总产量", "产量")
    s = re.sub(r"^(?:全省|全市|全区|全县|全疆|全州|全国|我省|我市|我区|我县)(?=..)", "", s)
    s = re.sub(r"(?<=.)成功率$", "率", s)
    if not s.endswith("率"):
        s = re.sub(r"(?<=.)(?:金额|总额|数额)$|(?<=[员者])人数$|(?<=.)(?:数量|总数|总量|数目|数|量)$", "", s)
        s = re.sub(r"受理|新收|收案|收到|接收|接到", "", s)
    return s


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def _head_match(q: str, f: str) -> float:
    """Do the two metrics end alike? 应诉率/应诉率 1, 化解率/调解率 0.5, 案件/案件 1."""
    if q.endswith("率") != f.endswith("率"):
        return 0.0
    if q.endswith("率"):
        return 1.0 if q[-3:] == f[-3:] else 0.5 if q[-2:] == f[-2:] else 0.2
    if q[-2:] == f[-2:]:
        return 1.0
    # 地区生产总值 inside 单位地区生产总值能耗 names another figure; a shared last character is a near miss
    return 0.5 if q[-1] == f[-1] else 0.2 if q[-2:] in f else 0.0


def _unit_gate(query_metric: str, fact: Fact) -> float:
    """1 when the fact's unit fits what is asked (率 → %, 金额 → 元, else a count), 0 when it cannot."""
    base = base_unit(fact.unit)
    if fact.unit in ("%", "‰", "个百分点"):
        ftype = "rate"
    elif base.endswith("元"):
        ftype = "money"
    else:
        ftype = "bare" if not base and fact.unit else "count"
    if re.search(r"率|比例|占比|比重|百分比", query_metric):
        return 1.0 if ftype == "rate" else 0.0
    if re.search(r"金额|资金|经费|费用|元|罚款|罚没|损失|贷款|投资|收入|产值|总值", query_metric):
        return {"money": 1.0, "bare": 0.8}.get(ftype, 0.0)
    if ftype == "rate":
        return 0.5 if fact.kind == "change" and fact.unit == "%" else 0.0
    if ftype == "money":
        return 0.0
    if re.search(r"(?:件|案件|纠纷)$", _canon(query_metric)) and base not in ("件", "件次", ""):
        return 0.6
    if re.search(r"(?:人|人员|人次|员|者|群众)$", _canon(query_metric)) and base not in (
        "人",
        "名",
        "人次",
        "位",
        "",
    ):
        return 0.6
    return 1.0 if ftype == "count" else 0.8
