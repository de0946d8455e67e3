"""Follow-up questions: a question read against the previous turn of the conversation.

A follow-up fills what it leaves out from the previous Query: a new region, year, metric or intent replaces
that slot and keeps the rest ("那红谷滩区呢?" after "哪个区复议调解率最高?" asks 红谷滩区's 复议调解率);
其中 / 这些 / 它们 narrow to the previous answer's rows. A question that names its own metric and its own
region or group, with no word that points back, stands on its own and the history is ignored.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.documents.facts import LINK_WORDS
from rag.language.periods import Period, report_years
from rag.question.asked import has_word, question_words
from rag.question.catalog import Catalog
from rag.question.query import Cues, Query, Scope


def read_cues(text: str, english: bool) -> Cues:
    """What a question (`text` as asked) says about the conversation before it: parse reads them once."""
    earlier, later = has_word(text, "year_before"), has_word(text, "year_after")
    return Cues(
        follow=bool(has_word(text, "followup")) or text.rstrip("?？。 ").endswith("呢"),
        narrow=bool(has_word(text, "narrow")),
        pronoun=bool(_POINTS_BACK.search(text)),
        result=bool(has_word(text, "result_en" if english else "result")),
        step=-1 if earlier else 1 if later else 0,
    )


def is_follow_up(query: Query, previous: Query) -> bool:
    """Whether `query` leans on `previous` (points back, or lacks what a question needs)."""
    if query.cues.follow or query.cues.narrow:
        return True
    if query.intent == "index":
        return False
    has_subject = bool(query.regions or query.scope.level or query.scope.within or query.comparison)
    has_object = bool(query.metric or query.topic)
    return not (has_subject and has_object) and not (query.unknown_places and has_object)


def follow_up(query: Query, previous: Query | None, index: Catalog | None = None) -> Query:  # noqa: C901, PLR0912
    """`query` with what it leaves out taken from `previous` (unchanged when it stands on its own)."""
    if previous is None or not is_follow_up(query, previous):
        return query
    own_intent = query.intent not in ("lookup", "summary") or (query.intent == "summary" and query.topic)
    intent, descending, top, word = query.intent, query.descending, query.top, query.word
    if not own_intent:
        if query.regions and previous.comparison and len(query.regions) == 1 and previous.intent != "series":
            intent = "lookup"  # 哪个区最高? → 那红谷滩区呢?: that region's figure
        elif len(query.regions) + len(query.unknown_places) >= 2:
            intent = "enumerate"  # 上海…多少? → 北京和天津呢?: each one's figure
        elif len(query.period.years) >= 2 or query.period.all_years:
            intent = "series"  # …2022年…多少? → 近三年呢?
        else:
            intent, descending, top, word = previous.intent, previous.descending, previous.top, previous.word
    merged = replace(
        query,
        intent=intent,
        descending=descending,
        top=top,
        word=word,
        threshold=query.threshold or (previous.threshold if intent == "threshold" else None),
        followup=True,
        # 新能源车呢? after …产量是多少?: a figure is asked again, of the new metric
        wants_number=query.wants_number or (previous.wants_number and query.intent != "summary"),
    )
    points_back = query.cues.follow or query.cues.pronoun
    own_words = _new_words(query, previous) if not points_back else ()
    if not query.metric and not query.topic and own_words:
        # 它成立于哪一年? → 有哪些专业?: another attribute of the same subject, not the attribute asked before
        merged = replace(merged, terms=own_words + _subject_terms(previous),
                         wants_number=query.wants_number, unit=query.unit)
    elif not query.metric and not query.topic:
        merged = replace(
            merged,
            metric=previous.metric,
            metric_forms=previous.metric_forms,
            field=previous.field,
            change=query.change or previous.change,
            target=(query.target or previous.target) and not query.cues.result,
            unit=previous.unit if not query.unit or query.unit == "%" and previous.unit == "%" else query.unit,
            topic=previous.topic,
            terms=previous.terms,
            wants_number=previous.wants_number or query.wants_number,
        )
    if query.excluded:  # 要是不算大鹏新区呢?: the previous group without it
        base = previous.scope.regions or previous.result_regions or previous.regions
        kept = tuple(r for r in base if r not in query.excluded)
        merged = replace(merged, scope=Scope(previous.scope.level, previous.scope.within, previous.scope.previous, kept),
                         regions=tuple(r for r in previous.regions if r not in query.excluded))
    elif query.scope.previous:  # 其中 / 这些: the previous answer's rows (its group until it is answered)
        rows = previous.result_regions or previous.regions or previous.scope.regions
        scope = Scope(previous.scope.level, previous.scope.within, True, rows)
        merged = replace(merged, scope=scope, regions=())
    elif query.scope.level and not query.scope.within and previous.scope.within and query.scope.level == previous.scope.level:
        merged = replace(merged, scope=previous.scope)  # 深圳各区…最多? → 那最少的是哪个区?
    elif not query.regions and not query.unknown_places and not (query.scope.level or query.scope.within):
        keep_regions = intent not in ("superlative", "threshold", "enumerate") or len(previous.regions) > 1
        merged = replace(merged, regions=previous.regions if keep_regions else (), scope=previous.scope,
                         unknown_places=previous.unknown_places)  # 霞浦县…多少？建区的时候呢？: still 霞浦县
    if query.cues.step and previous.period.years:  # 那前一年呢? 再早一年呢? — a year relative to the one asked before
        years = tuple(y + query.cues.step for y in previous.period.years)
        merged = replace(merged, period=Period(years, label="、".join(map(str, years))))
    elif not query.period.years and not query.period.all_years:
        period = previous.period if previous.period.years or previous.period.all_years else Period()
        if query.regions and index is not None and not _reports_on(index, query.regions, period):
            period = Period()  # 鹿城区2022年…? → 那红谷滩区呢?: its own report's year, not 鹿城区's
        merged = replace(merged, period=replace(period, report_years=None))
    if query.cues.pronoun and not query.regions and previous.result_regions:
        merged = replace(merged, regions=previous.result_regions[:1], intent="lookup" if not own_intent else merged.intent)
    return merged


def _new_words(query: Query, previous: Query) -> tuple[tuple[str, ...], ...]:
    """The content words of `query` that the previous question did not have, other than words that only say
    which measure of the same figure is asked (目标, 增速, 实际)."""
    before = {w for alts in previous.terms for w in alts}
    measure = {w for role in ("target", "change", "result", "rate", "number") for w in question_words().get(role, ())}
    measure |= set(LINK_WORDS)  # 达到, 突破: how a figure is said, not what it is of
    return tuple(alts for alts in query.terms if not any(w in before or w in measure for w in alts))


def _subject_terms(previous: Query) -> tuple[tuple[str, ...], ...]:
    """The previous question's words that name what it was about, not what it asked of it (its metric)."""
    asked = " ".join((previous.metric, *previous.metric_forms))
    return tuple(alts for alts in previous.terms if not any(w and (w in asked or asked and asked in w) for w in alts))


# A pronoun for the previous answer's first row.
_POINTS_BACK = re.compile(r"它(?!们)|该省|该区|该市|这个省|这个区|这个市|那个省|那个区|\bit\b|\bits\b", re.I)


def _reports_on(index: Catalog, regions, period: Period) -> bool:
    """Whether a report on `regions` speaks of `period`'s years (rag/language/periods.py's reading of report years)."""
    return not period.years or bool(report_years(index, regions, period.years, target=False, plans=False))


def needs_rows(question: str) -> bool:
    """Whether a follow-up points at the previous answer's rows (其中, 这些, 它): that answer is then needed."""
    return bool(has_word(question, "narrow") or _POINTS_BACK.search(question))
