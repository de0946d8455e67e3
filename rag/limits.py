"""The bounds every input is held to, in one place, so no question, history or file can take a shared server down.

Each was found by trying it on a running server (issue 19): a 6,000-character question took 53 s of one CPU
(the phrase bonus's difflib grew faster than linearly), one 1 MB line grew `rag ask` to 22.6 GB, five 9,000-
character history turns took 56 s, a 1.78 MB .docx inflated to 500 MB of XML, and a 2 MB report without
punctuation became one 2 MB chunk. Checks run before any parsing, and a refusal is one Chinese line.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile

from rag.errors import IngestError

# The longest question in the probes is 61 characters and the longest pasted 小标题 about 120: 500 leaves room
# for a question that quotes a sentence, and keeps the cost of reading one under 0.3 s (a 2,000-character
# question took 3 s before the phrase bonus was made linear).
MAX_QUESTION_CHARS = 500
# A follow-up is read against the turns before it; a chat rarely needs more than the last few to say what
# 那 / 其中 / 它 refers to, and each turn is parsed again on every question (rag/question/conversation.py's replay).
MAX_HISTORY_TURNS = 10
MAX_HISTORY_CHARS = MAX_QUESTION_CHARS  # each turn was a question, held to the same bound
# One line of `rag ask -`: a JSON object with a question and a full history, its characters escaped
# (\uXXXX, 6 bytes each), fits in 64 KB; a longer line is answered with an error without being kept whole.
MAX_LINE_BYTES = 64 * 1024

MAX_REPORT_BYTES = 8 * 2**20  # a report file: real reports are < 1 MB; a bigger file is almost surely not one
# .docx and other zips are checked by what they inflate to, before any
# XML is parsed (a .docx's XML is 5-10 times its text; 100 MB holds a report far beyond the upload limit).
MAX_UNZIPPED_BYTES = 100 * 2**20
# Deflate inflates zeros about 1,000:1, text and XML 3-12:1; a ratio above this is a bomb, not a document.
MAX_ZIP_RATIO = 100
MAX_ZIP_MEMBERS = 10_000  # a .docx has a few dozen parts; a zip of a million empty files is another bomb
ZIP_RATIO_FROM_BYTES = 10 * 2**20  # small files may compress well (a page of table borders); only big ones count
MAX_PDF_PAGES = 3000  # the longest report seen is 120 pages
# Characters of text one file may give: the 8 MB byte cap (rag/store/store.py) as GBK text, ~4M characters; a PDF's
# streams inflate (pypdf caps each at 75 MB, not their sum), so its text is held to this too.
MAX_REPORT_CHARS = 4_000_000

# Government reports as this project knows them begin with the People's Republic; a report is not dated
# beyond next year (a 2026 report may be published in late 2025). A year outside is a misreading (1899 from
# a heading, 2099 from a typo) and is not kept: one report dated 2099 moved 去年 and 近三年 for every question
# on its index (rag/language/periods.py reads them from the newest report).
FIRST_REPORT_YEAR = 1949
_TITLE_YEAR = re.compile(r"(?<!\d)(\d{4})\s*年")


def report_year_problem(year: int | None, title: str = "") -> str:
    """Why `year` cannot be a report's year ("" when it can). An unknown year whose title names one outside
    the span (1899年, which rag/documents/metadata.py does not read as a year) is said too, not left silent."""
    last = datetime.date.today().year + 1
    if year is None:
        named = _TITLE_YEAR.search(title)
        year = int(named.group(1)) if named else None
    if year is None or FIRST_REPORT_YEAR <= year <= last:
        return ""
    return f"读出的年份 {year} 不在 {FIRST_REPORT_YEAR}–{last} 之间，不作为报告年份（记为年份不详）"


_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def question_refusal(question, history=None) -> str:
    """Why `question` (and the earlier `history` turns) cannot be read, in one line; "" when they can.

    Runs before any parsing: a type, a length and a character check, linear in the input.
    """
    if question is not None and not isinstance(question, str):
        return f"问题应为文字，收到的是 {type(question).__name__}"
    problem = _text_problem(question or "", "问题", MAX_QUESTION_CHARS)
    if problem:
        return problem
    if history is None:
        return ""
    if not isinstance(history, (list, tuple)) or not all(isinstance(h, str) for h in history):
        return "history 应为之前问题（文字）的列表"
    for n, turn in enumerate(recent_history(history), start=1):
        problem = _text_problem(turn, f"对话历史第 {n} 个问题", MAX_HISTORY_CHARS)
        if problem:
            return problem
    return ""


def recent_history(history: list[str] | None) -> list[str]:
    """The last MAX_HISTORY_TURNS turns: what a follow-up can refer to."""
    return list(history or [])[-MAX_HISTORY_TURNS:]


def shown(text: str, most: int = 60) -> str:
    """`text` cut for echoing in a message or a refused answer: an over-long input is not repeated whole."""
    text = _LONE_SURROGATE.sub("\ufffd", text if isinstance(text, str) else str(text))
    return text if len(text) <= most else text[:most] + f"…（共 {len(text)} 字）"


def _text_problem(text: str, what: str, limit: int) -> str:
    if len(text) > limit:
        return f"{what}过长（{len(text)} 字），请限制在 {limit} 字以内"
    bad = _LONE_SURROGATE.search(text)
    if bad:
        return f"{what}含有无效字符（孤立的代理码位 U+{ord(bad.group()):04X}），请检查输入的编码"
    return ""


def check_zip(data: bytes, where: str) -> None:
    """Refuse a zip (.docx, .xlsx …) that would inflate past the limits, from its directory alone, before any
    part is read: a 1.78 MB .docx holding 500 MB of XML took a server past 5 GB in 16 s (issue 19).

    The sizes a zip declares bound what is read: Python's zipfile stops a member at its declared size.
    """
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip at all: the reader says what it is
    inflated = sum(m.file_size for m in members)
    ratio = inflated / max(len(data), 1)
    if len(members) > MAX_ZIP_MEMBERS:
        raise IngestError(where, f"压缩包内文件过多（{len(members)} 个，上限 {MAX_ZIP_MEMBERS} 个），疑似压缩炸弹，未读取")
    if inflated > MAX_UNZIPPED_BYTES or (inflated > ZIP_RATIO_FROM_BYTES and ratio > MAX_ZIP_RATIO):
        raise IngestError(
            where,
            f"疑似压缩炸弹：{len(data) / 2**20:.2f} MB 的文件解压后为 {inflated / 2**20:.0f} MB（压缩比 {ratio:.0f}:1）；"
            f"上限为解压后 {MAX_UNZIPPED_BYTES // 2**20} MB、压缩比 {MAX_ZIP_RATIO}:1，未读取",
        )
