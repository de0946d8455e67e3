"""Chinese word segmentation for BM25: jieba plus the region names of the indexed reports.

This is the only module that imports jieba. Region names (镜湖区, 红谷滩区, 调兵山市) are added to
the dictionary so that they are never split and a query naming a region matches it as one token.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

# Function words and question scaffolding that carry no content in either reports or questions.
STOPWORDS = frozenset(
    "的 了 和 与 及 等 在 是 对 为 以 将 把 被 从 向 于 并 也 都 而 或 其 之 中 上 下 个 有 共 "
    "多少 什么 哪些 哪个 哪 吗 呢 怎么 怎样 如何 是否 有没有 情况 方面 请问 一下".split()
)
_WORD = re.compile(r"[\w%]", re.UNICODE)


def normalize(text: str) -> str:
    """Full-width forms to half-width (ＡＢＣ１２３（）→ ABC123()), lower-case Latin."""
    return unicodedata.normalize("NFKC", text).lower()


class Segmenter:
    """A jieba tokenizer that knows the region names of the indexed reports."""

    def __init__(self, extra_words: Iterable[str] = ()):
        self._jieba = jieba.Tokenizer()
        self.extra_words = tuple(sorted({w for w in extra_words if w}))
        for word in self.extra_words:
            # A high frequency makes jieba keep the name whole even next to other words.
            self._jieba.add_word(normalize(word), freq=100000)

    def tokens(self, text: str) -> list[str]:
        """Search tokens of `text`: jieba words (with their sub-words), no punctuation or stopwords."""
        out = []
        for tok in self._jieba.cut_for_search(normalize(text)):
            tok = tok.strip()
            if tok and tok not in STOPWORDS and _WORD.search(tok):
                out.append(tok)
        return out


@lru_cache(maxsize=4)
def segmenter_for(extra_words: tuple[str, ...]) -> Segmenter:
    """A cached Segmenter per set of region names (building one loads jieba's dictionary)."""
    return Segmenter(extra_words)


def is_word(text: str) -> bool:
    """Whether `text` is a word of jieba's general dictionary (提高, 区域; not 海高)."""
    jieba.dt.check_initialized()
    return jieba.dt.FREQ.get(text, 0) > 0


def words(text: str) -> list[str]:
    """jieba's words of `text`, by its general dictionary (no region names added, nothing dropped)."""
    return jieba.lcut(text)


def tagged_words(text: str) -> list:
    """jieba's words of `text` with their parts of speech (`.word`, `.flag`: 大鹏/ns, 围绕/v)."""
    import jieba.posseg  # lazy: it loads jieba's HMM tables (~0.2 s), which only these two functions need

    return list(jieba.posseg.cut(text))


def is_place_word(text: str) -> bool:
    """Whether jieba's dictionary tags `text` a place name (ns: 澧县, 宾县; not 城区, 矿区)."""
    import jieba.posseg  # lazy: as in tagged_words

    jieba.dt.check_initialized()
    return jieba.posseg.dt.word_tag_tab.get(text) == "ns"
