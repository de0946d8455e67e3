"""Files → `Report`: the text every offset points into, its body spans (web litter left out), and its metadata.

`Report.text` is, for .txt/.md, the file itself: `open(path, encoding=report.encoding).read() == report.text`
(universal newlines, BOM dropped). For .html it is the main text, one line per block element; for .docx one line
per paragraph and per table row (cells joined by a tab); for .pdf the text layer, pages joined by "\\n"; their
`encoding` is that of the html source, "" for docx/pdf.

`Report.body` holds one (start, end) span per content line, without surrounding blanks or the newline. Outside:
blank lines, breadcrumbs, 访问量 / 发布日期 / 索引号 header fields, 【打印本页】-style buttons (cut off the end of
a line they are glued to), 分享到 / 扫码浏览, footers, attachment file-name lines and runs of navigation menu.

Title, region, year, issuer and date are read by rag/documents/metadata.py.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from rag.documents.metadata import report_metadata
from rag.errors import IngestError
from rag.language.characters import HAN
from rag.limits import MAX_PDF_PAGES, MAX_REPORT_BYTES, MAX_REPORT_CHARS, check_zip
from rag.types import Report

SUPPORTED = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
_WALK_SKIP = ("README", "MANIFEST")  # a corpus folder's own notes, not reports

# --- reading files ------------------------------------------------------------------------------------------


def find_report_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and the supported files under each directory (sorted; hidden, README and MANIFEST skipped).

    Raises `IngestError` for the first path that cannot be used; `collect_report_files` lists them all instead.
    """
    files, failures = collect_report_files(paths)
    if failures:
        raise IngestError(*failures[0])
    return files


def collect_report_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """(files to read, (path, reason) for each path that cannot be used): one bad path never hides the others.

    A missing path and a file name that is not valid UTF-8 (GBK names copied from Windows) are failures;
    the reason names the file as a person would read it (`display_path`).
    """
    out: list[Path] = []
    failures: list[tuple[str, str]] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = [f for f in path.rglob("*") if f.is_file()]
            # an index folder inside keeps copies of what it indexed (rag/store/sources.py): not reports to add
            indexes = {f.parent for f in files if f.name in ("CURRENT", "LOCK")}
            found = sorted(
                (f for f in files if _wanted(f.relative_to(path)) and indexes.isdisjoint(f.parents)), key=str
            )
        elif path.exists():
            found = [path]
        else:
            failures.append((display_path(path), "文件或文件夹不存在"))
            continue
        for f in found:
            if not _is_utf8_name(f):
                failures.append((display_path(f), f"文件名不是 UTF-8 编码（按 GBK 读作“{display_path(f.name)}”），"
                                                  "无法存入索引；请把文件改名后重试"))  # fmt: skip
            elif f.resolve() not in seen:
                seen.add(f.resolve())
                out.append(f)
    return out, failures


def display_path(path: str | Path) -> str:
    """`path` as printable text: a name in GBK bytes (undecodable on a UTF-8 system) read as GBK, else with �."""
    raw = os.fsencode(str(path))
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def _is_utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")  # Python keeps undecodable bytes as lone surrogates, which UTF-8 refuses
        return True
    except UnicodeEncodeError:
        return False


def text_fingerprint(text: str) -> str:
    """sha256 of `text` with compatibility forms folded (NFKC) and all whitespace dropped.

    The same report saved in GBK and in UTF-8, with other line endings or wrapped differently, has one
    fingerprint, so it is indexed once (raw bytes would differ).
    """
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _wanted(rel: Path) -> bool:
    return (
        rel.suffix.lower() in SUPPORTED
        and not any(part.startswith((".", "~$")) for part in rel.parts)  # ~$ = Word's lock files
        and Path(rel.name).stem.upper() not in _WALK_SKIP
    )


def read_report(path: str | Path) -> Report:
    """Read one report file; raise `IngestError` with a one-line reason when it cannot be a report."""
    path = Path(path)
    where, suffix = str(path), path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(where, f"不支持的文件类型“{path.suffix or '无扩展名'}”，只支持 {' '.join(SUPPORTED)}")  # fmt: skip
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:  # before reading it: an upload of any size is refused without holding it
            raise IngestError(where, f"文件过大（{size / 2**20:.0f} MB，上限 {MAX_REPORT_BYTES // 2**20} MB）")
        data = path.read_bytes()
    except FileNotFoundError:
        raise IngestError(where, "文件不存在") from None
    except IsADirectoryError:
        raise IngestError(where, "这是文件夹，不是文件") from None
    except OSError as err:
        raise IngestError(where, f"无法读取文件：{err.strerror or err}") from None
    if not data:
        raise IngestError(where, "文件是空的（0 字节）")
    encoding = ""
    if suffix in (".txt", ".md"):
        text, encoding = decode_bytes(data, where)
    elif suffix in (".html", ".htm"):
        html, encoding = decode_bytes(data, where)
        text = _html_text(html)
    elif suffix == ".docx":
        text = _docx_text(data, where)
    else:
        text = _pdf_text(data, where)
    if not text.strip():
        raise IngestError(where, "文件里没有文字")
    if len(text) > MAX_REPORT_CHARS:
        raise IngestError(where, f"文字过多（{len(text) / 10_000:.0f} 万字，上限 {MAX_REPORT_CHARS // 10_000} 万字），不像一份报告")
    body, litter = _mark_body(text)
    lines = [text[s:e] for s, e in body]
    return Report(
        doc=path.name,
        path=where,
        text=text,
        body=tuple(body),
        encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(),
        text_sha256=text_fingerprint(text),
        **report_metadata(lines, litter, path.stem),
    )


_MAGIC = {b"\x89PNG": "PNG 图片", b"\xff\xd8\xff": "JPEG 图片", b"GIF8": "GIF 图片", b"%PDF": "PDF 文件",
          b"PK\x03\x04": "ZIP 压缩包（或 .docx/.xlsx）", b"\xd0\xcf\x11\xe0": "旧版 Office 文件（.doc/.xls）",
          b"Rar!": "RAR 压缩包", b"\x1f\x8b": "gzip 压缩包"}  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")  # \t \n \x0c (page break) \r are text
_HAN_CHAR = re.compile(f"[{HAN}]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ODD = re.compile(
    rf"[^\x00-\x7f\xa0\xb7\xd7{HAN}\u2000-\u206f\u2160-\u24ff\u25a0-\u25ff\u3000-\u303f\uff00-\uffef]"
)


def decode_bytes(data: bytes, where: str = "<bytes>") -> tuple[str, str]:
    """(text, encoding) of a text file's bytes: UTF-8 ("utf-8-sig" with a BOM), UTF-16 with a BOM, or GB18030/GBK.

    Newlines are translated as `open()` does, so `open(path, encoding=encoding).read() == text`. Raises
    `IngestError` for `where` on binary data or an encoding it cannot recognise (Big5 and the like are guessed).
    """
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise IngestError(where, f"不是文本文件：内容是{what}，只是扩展名为 {Path(where).suffix}")
    if data.startswith(codecs.BOM_UTF8):
        tries = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        tries = ("utf-16",)
    elif b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise IngestError(where, "不是文本文件：含有 NUL 字节（二进制数据）")
        tries = (utf16,)
    else:
        tries = ("utf-8", "gb18030")  # gb18030 is a superset of GBK and GB2312
    for encoding in tries:
        try:
            raw = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # GB18030 decodes almost any bytes: Big5 read as GB18030 comes out as private-use and odd symbols
        sample = raw[:100_000]
        if encoding != "gb18030" or len(_ODD.findall(sample)) <= len(sample) / 20:
            break
    else:
        raw, encoding = _guess(data, where)
    text = raw.replace("\r\n", "\n").replace("\r", "\n")  # what open()'s universal newlines return
    bad = len(_CONTROL.findall(text))
    if bad > max(8, len(text) // 100):
        raise IngestError(where, f"不是文本文件：有 {bad} 个控制字符（二进制数据）")
    return text, encoding


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when NUL-laden bytes read as text that way, else None.

    Windows' "Unicode" text may lack its BOM. Every ASCII character then carries a NUL byte, but so does
    一 (U+4E00), so the byte order is told by which reading gives text: the wrong one turns newlines,
    digits and ，。 into unassigned or foreign symbols.
    """
    if len(data) % 2:
        return None
    odd_share = {}
    for encoding in ("utf-16-le", "utf-16-be"):
        sample = data[:200_000].decode(encoding, errors="replace")  # a cut surrogate pair becomes one �
        odd_share[encoding] = (len(_ODD.findall(sample)) + len(_CONTROL.findall(sample))) / max(len(sample), 1)
    best = min(odd_share, key=odd_share.get)
    return best if odd_share[best] <= 1 / 20 else None


def _guess(data: bytes, where: str) -> tuple[str, str]:
    """Last resort for Big5 and other legacy encodings; accepted only if the result reads as Chinese."""
    from charset_normalizer import from_bytes  # lazy: as the readers below

    best = from_bytes(data).best()
    text = str(best) if best is not None else ""
    non_ascii = len(_NON_ASCII.findall(text))
    if best is None or not non_ascii or len(_HAN_CHAR.findall(text)) < non_ascii / 2:
        raise IngestError(where, "无法识别文字编码（不是 UTF-8 或 GBK/GB18030 文本），可能是二进制文件")
    return text, best.encoding


_DROP_TAGS = ["script", "style", "noscript", "template", "iframe", "svg", "canvas", "select", "button",
              "input", "textarea", "nav", "head", "object", "embed", "audio", "video"]  # fmt: skip
_CHROME = re.compile(r"(?:^|[\s_-])(?:nav|navbar|menu|breadcrumbs?|crumbs?|footer|share|toolbar|sidebar|copyright)"
                     r"(?:$|[\s_-])", re.I)  # fmt: skip
_BLOCK_TAGS = ["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr",
               "section", "article", "main", "aside", "blockquote", "pre", "header", "footer", "figure",
               "figcaption", "address", "hr", "center", "caption", "form", "fieldset", "body"]  # fmt: skip
_SPACES = re.compile(r"\s+")
_WIDE = f"{HAN}\u3000-\u303f\uff00-\uffef"  # Chinese characters and full-width punctuation
_WRAP = re.compile(rf"(?<=[{_WIDE}])[^\S\n]*\n\s*(?=[{_WIDE}])")


def _html_text(html: str) -> str:
    # lazy, as each format's parser: bs4, python-docx and pypdf take ~0.1 s to import, and every store command
    # (rag docs, rag remove, a second writer) imports this module without reading a file of that format
    from bs4 import BeautifulSoup
    from bs4.element import PreformattedString

    soup = BeautifulSoup(html, "lxml")
    for node in soup.find_all(string=lambda s: isinstance(s, PreformattedString)):  # comments, doctype, CDATA
        node.extract()
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    total = len(soup.get_text())
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        page_frame = tag.name in ("header", "footer") and tag.find_parent(["article", "main"]) is None
        chrome = _CHROME.search(" ".join(tag.get("class") or []) + " " + str(tag.get("id") or ""))
        # a wrapper of most of the page is never chrome, whatever its class says
        if (page_frame or chrome) and len(tag.get_text()) < total / 2:
            tag.decompose()
    for node in list(soup.find_all(string=True)):
        # source line breaks are not text line breaks; between Chinese characters they are not even spaces
        node.replace_with(_SPACES.sub(" ", _WRAP.sub("", node)))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        if tag.parent is not None:
            tag.insert_before("\n")
        tag.append("\n")
    for cell in soup.find_all(["td", "th"]):
        cell.insert_before("\t")
    lines = (re.sub(r"[ \t]*\t[ \t]*", "\t", line).strip(" \t") for line in soup.get_text().split("\n"))
    return "\n".join(line for line in lines if line)


def _docx_text(data: bytes, where: str) -> str:
    # lazy: as in _html_text
    import docx
    from docx.table import Table

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(where, "这是旧版 Word .doc 文件，只是扩展名为 .docx；请在 Word 中另存为 .docx")
    check_zip(data, where)
    try:
        lines: list[str] = []
        for block in docx.Document(io.BytesIO(data)).iter_inner_content():
            lines += _table_rows(block) if isinstance(block, Table) else [block.text]
    except Exception as err:  # python-docx surfaces BadZipFile, KeyError, XML and value errors alike
        raise IngestError(where, f"无法读取 docx（文件损坏或不完整：{type(err).__name__}）") from None
    return "\n".join(line for line in lines if line.strip()).replace("\r", "\n")


def _table_rows(table) -> list[str]:
    """One line per row, cells joined by a tab; a merged cell (repeated by python-docx) is taken once."""
    rows = []
    for row in table.rows:
        cells, seen = [], []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):
                continue
            seen.append(cell._tc)
            text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            text = " ".join([text] + [r.replace("\t", " ") for t in cell.tables for r in _table_rows(t)])
            if text.strip():
                cells.append(text.strip())
        rows.append("\t".join(cells))
    return rows


def _pdf_text(data: bytes, where: str) -> str:
    from pypdf import PdfReader  # lazy: as in _html_text

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(where, "PDF 已加密，需要密码才能读取文字")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise IngestError(where, f"PDF 页数过多（{len(reader.pages)} 页，上限 {MAX_PDF_PAGES} 页）")
        pages, chars = [], 0
        for page in reader.pages:  # each stream inflates up to pypdf's 75 MB cap; their sum is held here
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if chars > MAX_REPORT_CHARS:
                raise IngestError(where, f"PDF 文字过多（前 {len(pages)} 页已超过 {MAX_REPORT_CHARS // 10_000} 万字），不像一份报告")
    except IngestError:
        raise
    except Exception as err:  # pypdf raises PdfReadError, struct and value errors on broken files
        raise IngestError(where, f"无法读取 PDF（文件损坏或不完整：{type(err).__name__}）") from None
    text = _CONTROL.sub("", "\n".join(pages).replace("\r\n", "\n").replace("\r", "\n"))
    if not re.search(r"\w", text):
        raise IngestError(where, f"PDF 没有文字层（{len(pages)} 页，可能是扫描件或图片）；不支持 OCR，请提供带文字的 PDF、docx 或 txt")  # fmt: skip
    return text


# --- body and litter ----------------------------------------------------------------------------------------

_WORD = re.compile(r"\w")
_BUTTON = (r"(?:返回顶部|回到顶部|打印本稿|打印本页|打印正文|打印|我要订阅|订阅|关闭本页|关闭窗口|关闭|加入收藏|"
           r"收藏本页|收藏|我要纠错|纠错|分享|保存|字[体号]\s*[:：]?\s*(?:大\s*中\s*小)?|大|中|小)")  # fmt: skip
_TAIL_BUTTONS = re.compile(rf"(?:\s*[【\[［]\s*{_BUTTON}\s*[】\]］])+\s*$")
_META_STRONG = ("索引号|发布机构|公开方式|公开范围|公开时限|成文日期|发文日期|组配分类|主题分类|体裁分类|服务对象|"
                "发文字号|有效性|主题词|发布日期|发布时间|更新时间|更新日期|访问量|访问次数|浏览次数|浏览量|阅读次数|"
                "阅读量|点击数|点击量|点击次数|信息来源|文章来源|责任编辑|信息分类|发文机关")  # fmt: skip
_META_WEAK = "来源|字号|字体|作者|编辑|审核|校对|供稿|撰稿|名称|分类|标题|文号|时间|日期|关键词|摄影"
# Each matches a whole stripped line (with no 。 in it) that a website, not the report, put there.
_LITTER = [(limit, re.compile(pattern)) for limit, pattern in [
    (200, r"(?:您?(?:当前|现在)的?(?:所在)?位置|您的位置|所在位置)\s*[:：]"),  # breadcrumbs
    (200, r"首页\s*(?:[>＞»›/|]|$)|[>＞»›](?!.*[，,；])"),  # 首页 > …, and the rest of one wrapped after 首页
    (150, rf"(?:{_META_STRONG})(?:\s*[:：/]|\s+\S|$)"),  # header-table fields
    (40, rf"(?:{_META_WEAK})\s*[:：]"),
    (60, rf"(?:(?:{_BUTTON}|[【\[［]\s*{_BUTTON}\s*[】\]］])[\s|｜/·]*)+$"),  # 打印本页 关闭窗口
    (40, r"分享到|分享至|扫码浏览|扫一扫|手机扫码|微信扫一扫|扫描二维码|用手机扫描|手机阅读"),
    (100, r"(?:上一篇|下一篇|上一条|下一条)\s*[:：]?"),
    (30, r"(?:相关链接|相关文章|相关阅读|相关新闻|相关附件|附件下载|推荐阅读|返回首页|返回列表|返回)\s*[:：]?$"),
    (80, r"(?:图解|一图读懂|图文解读|视频解读|文字解读|政策解读|视频)\s*(?:$|[|｜:：])"),  # links to companions
    (10, r"下载\S{0,6}$"),  # 下载文字版 / 下载图片版
    (200, r".*(?:ICP备|公网安备|网站标识码|版权所有|Copyright|©)"),  # site footer
    (40, r"(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?$"),  # a bare timestamp
]]  # fmt: skip
_ATTACHMENT_EXT = (".pdf", ".doc", ".docx", ".wps", ".ofd", ".xls", ".xlsx", ".et", ".zip", ".rar", ".7z", ".ppt",
                   ".pptx", ".txt", ".jpg", ".png")  # fmt: skip
_NAV_LINE = re.compile(r"[。，,；;：:！!？?\d０-９]")
_NAV_WORDS = {"首页", "网站首页", "政务公开", "信息公开", "政府信息公开", "通知公告", "政策法规", "政策文件", "机构概况",
              "机构职能", "领导成员", "领导信息", "机构设置", "高级搜索", "搜索", "登录", "注册", "无障碍", "网站地图",
              "联系我们", "互动交流", "政民互动", "办事服务", "政务服务", "新闻中心", "新闻动态", "公众参与", "专题专栏",
              "返回首页", "长者模式", "关怀版", "English"}  # fmt: skip
# Set by hand in 7c94cd4, not measured:
_MENU_MIN = 6  # consecutive short link-like lines …
_MENU_SIGNALS = 2  # … with this many menu words or "+"-style lines among them make a navigation menu


def _is_litter(line: str, lines: list[str], i: int) -> bool:
    """Is the stripped `line` (the i-th of `lines`) put there by a website rather than the report?"""
    if len(line) > 200 or "。" in line:
        return False
    if any(len(line) <= limit and pattern.match(line) for limit, pattern in _LITTER):
        return True
    if len(line) <= 150 and line.lower().endswith(_ATTACHMENT_EXT) and len(line.rsplit(".", 1)[0]) >= 2:
        return True
    if re.fullmatch(r"(?:相关)?附件\s*[:：]", line):  # the heading of a download list, not of appended text
        after = next((s.strip() for s in lines[i + 1 : i + 50] if s.strip()), "")
        return after.lower().endswith(_ATTACHMENT_EXT)
    return False


def _mark_body(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """(body spans, one per content line; the stripped litter lines, which may hold 发布机构 and the like)."""
    lines = text.split("\n")
    candidates: list[tuple[int, int, str, bool]] = []  # start, end, stripped line, is a symbol-only line
    litter: list[str] = []
    pos = 0
    for i, line in enumerate(lines):
        start, pos = pos, pos + len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        start += len(line) - len(line.lstrip())
        if not _WORD.search(stripped):  # "+", "——": menu expanders and rules, never content
            candidates.append((start, start + len(stripped), stripped, True))
            continue
        if _is_litter(stripped, lines, i):
            litter.append(stripped)
            continue
        tail = stripped[-120:]  # a bounded tail keeps this linear on a 20 MB one-line file
        glued = _TAIL_BUTTONS.search(tail)
        if glued:
            stripped = stripped[: len(stripped) - len(tail) + glued.start()].rstrip()
            if not stripped:
                continue
        candidates.append((start, start + len(stripped), stripped, False))
    spans = []
    n = 0
    while n < len(candidates):
        run = n
        while run < len(candidates) and (candidates[run][3] or _is_nav(candidates[run][2])):
            run += 1
        signals = sum(c[3] or c[2] in _NAV_WORDS or any(w in _NAV_WORDS for w in c[2].split())
                      for c in candidates[n:run])  # fmt: skip
        if run - n >= _MENU_MIN and signals >= _MENU_SIGNALS:
            litter += [c[2] for c in candidates[n:run]]
            n = run
            continue
        for c in candidates[n : max(run, n + 1)]:
            if not c[3]:
                spans.append((c[0], c[1]))
        n = max(run, n + 1)
    return spans, litter


def _is_nav(line: str) -> bool:
    return len(line) <= 24 and not _NAV_LINE.search(line)


# --- metadata -----------------------------------------------------------------------------------------------
