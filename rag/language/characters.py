"""Which characters a text is written in: Chinese or not.

`has_cjk` is the one test of "is this Chinese?" (a question, a synonym, a place name's neighbour); `HAN` is the
wider character class that reading a report uses, with CJK Extension A for rare characters in names.
"""

from __future__ import annotations

import re

CJK = "\u4e00-\u9fff"  # CJK Unified Ideographs: every character of the reports' and questions' running text
HAN = "\u3400-\u4dbf" + CJK  # with Extension A (rare characters in place and person names)
_CJK = re.compile(f"[{CJK}]")


def has_cjk(text: str) -> bool:
    """Whether `text` holds a Chinese character (CJK Unified Ideographs)."""
    return bool(_CJK.search(text))
