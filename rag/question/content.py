"""Whether a question has anything to look for: "？！。…", emoji, "asdfghjkl qwerty" or ".*[(" have not.

Retrieval always returns its nearest passages, and without a single content word they are unrelated; such a
question is answered with a request for a real one, never with a quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.language.characters import has_cjk
from rag.language.crosslingual import english_terms, pinyin_spellings, spelled_in
from rag.language.segmentation import STOPWORDS, segmenter_for

NO_CONTENT = "请输入有内容的问题。"
# Interjections and fillers: words, but nothing a report could answer (啊啊啊 is one jieba word).
_FILLERS = frozenset("问 问题 请 你好 您好 谢谢 测试".split())
_FILLER_CHARS = frozenset("啊哦噢嗯呃哈呀吧么喂嘿哎唉呵嘻")


def has_content(question: str, places: Iterable[str] = ()) -> bool:
    """Whether `question` holds a content word: a Chinese word beyond question scaffolding and fillers, or an
    English word that CC-CEDICT translates or that spells one of `places` (the indexed regions) in pinyin.

    Bare numbers are not content: "2024" alone asks nothing.
    """
    places = tuple(places)
    tokens = [
        t
        for t in segmenter_for(places).tokens(question)
        if t not in STOPWORDS and t not in _FILLERS and not set(t) <= _FILLER_CHARS
    ]
    if any(has_cjk(t) for t in tokens):
        return True
    words = re.findall(r"[a-z]+", " ".join(tokens))
    if not words:
        return False
    return bool(english_terms(" ".join(words), places)) or any(
        spelled_in(words, pinyin_spellings(p)) for p in places
    )
