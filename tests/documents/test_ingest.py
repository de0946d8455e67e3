"""Reading report files: formats, encodings, the offsets contract, web litter, metadata and bad input."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from rag.documents.ingest import SUPPORTED, decode_bytes, find_report_files, read_report
from rag.errors import IngestError
from rag.types import Report

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
CORPUS = ROOT.parent / "shared" / "corpus"

REPORT = """青山区人民政府关于2024年法治政府建设情况的报告

2024年，青山区坚持以习近平法治思想为指导，现将有关情况报告如下。
一、主要举措和成效
全年受理法律援助案件321件，人民调解化解率达97.5%。

青山区人民政府
2025年1月20日
"""

# Strings a website puts around a report; none may appear inside a body span.
LITTER = ["您当前所在位置", "首页 >", "首页", ">政府信息公开", "访问量", "访问次数", "索引号", "发布机构", "公开方式",
          "成文日期", "主题分类", "发布日期", "信息来源", "【返回顶部】", "【打印本稿】", "【我要订阅】", "【关闭本页】",
          "扫码浏览", "打印本页", "关闭窗口", "报告.pdf"]  # fmt: skip


def body_lines(report: Report) -> list[str]:
    return [report.text[s:e] for s, e in report.body]


def assert_well_formed(report: Report) -> None:
    """Body spans are ordered, inside the text, trimmed and never cross a line end."""
    last = 0
    for start, end in report.body:
        assert last <= start < end <= len(report.text)
        piece = report.text[start:end]
        assert "\n" not in piece and piece == piece.strip()
        last = end


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --- plain text: encodings and the offsets contract ---------------------------------------------------------


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16", "utf-16")])  # fmt: skip
def test_txt_encodings_round_trip_through_open(tmp_path, encoding, expected):
    path = write(tmp_path / "青山区.txt", REPORT, encoding)
    report = read_report(path)
    assert report.encoding == expected
    assert report.text == REPORT  # a BOM is not part of the text
    with open(path, encoding=report.encoding) as f:
        assert f.read() == report.text  # offsets point into exactly what open() returns
    assert report.region == "青山区" and report.year == 2024


def test_crlf_and_cr_newlines_read_as_open_reads_them(tmp_path):
    path = tmp_path / "windows.txt"
    path.write_bytes(REPORT.replace("\n", "\r\n").encode("gbk") + "旧版\r换行".encode("gbk"))
    report = read_report(path)
    assert "\r" not in report.text and report.text.endswith("旧版\n换行")
    with open(path, encoding=report.encoding) as f:
        assert f.read() == report.text


def test_decode_bytes_names_the_encoding_open_needs():
    assert decode_bytes("报告".encode()) == ("报告", "utf-8")
    assert decode_bytes(b"\xef\xbb\xbf" + "报告".encode()) == ("报告", "utf-8-sig")
    assert decode_bytes("法治政府建设".encode("gbk")) == ("法治政府建设", "gb18030")
    assert decode_bytes(b"a\r\nb\rc") == ("a\nb\nc", "utf-8")


def test_big5_is_not_mistaken_for_gb18030(tmp_path):
    text = (
        "臺北市政府關於2023年法治政府建設情況的報告\n2023年，本市堅持依法行政，全面推進法治政府建設。\n" * 3
    )
    path = write(tmp_path / "big5.txt", text, "big5")
    report = read_report(path)
    assert report.encoding == "big5" and report.text == text
    with open(path, encoding=report.encoding) as f:
        assert f.read() == report.text


def test_markdown_is_read_like_text(tmp_path):
    path = write(tmp_path / "青山区.md", "# " + REPORT)
    report = read_report(path)
    assert report.text == "# " + REPORT
    assert report.title == "青山区人民政府关于2024年法治政府建设情况的报告"
    assert body_lines(report)[0].startswith("# 青山区")


def test_small_report_metadata(tmp_path):
    path = write(tmp_path / "青山区 2024 法治 报告（终稿）.txt", REPORT)  # spaces and Chinese in the name
    report = read_report(path)
    assert report.doc == "青山区 2024 法治 报告（终稿）.txt" and report.path == str(path)
    assert (report.title, report.region, report.year) == (
        "青山区人民政府关于2024年法治政府建设情况的报告",
        "青山区",
        2024,
    )
    assert (report.issuer, report.date) == ("青山区人民政府", "2025-01-20")
    assert len(report.sha256) == 64
    assert body_lines(report) == [line for line in REPORT.splitlines() if line]
    assert_well_formed(report)


# --- the seeds: litter out, every report line in ------------------------------------------------------------

SEED_META = {
    "000": ("关于鹿城区2022年法治政府建设工作情况的报告", "鹿城区", 2022, "", ""),
    "001": ("红谷滩区2023年法治政府建设情况的报告", "红谷滩区", 2023, "红谷滩区人民政府", ""),
    "002": ("调兵山市2022年法治政府建设情况报告", "调兵山市", 2022, "调兵山市人民政府", "2023-02-28"),
    "003": ("高区2021年度法治政府建设情况的报告", "高区", 2021, "高区管委办公室", "2022-01-06"),
    "004": ("镜湖区人民政府关于2024年法治政府建设情况的报告", "镜湖区", 2024, "镜湖区人民政府", ""),
}
# Lines of the seeds that a website added, told apart here by hand.
SEED_LITTER_LINE = re.compile(r"您当前所在位置|访问量|扫码浏览|首页$|>政府信息公开|索引号|发布机构|成文日期|主题分类"
                              r"|发布日期|【返回顶部】|打印本页|.*\.pdf$")  # fmt: skip


@pytest.mark.parametrize("seed", sorted(SEED_META))
def test_seed_metadata(seed):
    report = read_report(next(SEEDS.glob(f"{seed}_*.txt")))
    assert (report.title, report.region, report.year, report.issuer, report.date) == SEED_META[seed]


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_seed_body_keeps_every_report_line_and_no_litter(path):
    report = read_report(path)
    with open(path, encoding=report.encoding) as f:
        assert f.read() == report.text
    assert_well_formed(report)
    body = set(report.body)
    expected, pos = [], 0
    for line in report.text.split("\n"):
        stripped = line.strip()
        if stripped and not SEED_LITTER_LINE.match(stripped):
            start = pos + len(line) - len(line.lstrip())
            expected.append((start, start + len(stripped)))
        pos += len(line) + 1
    assert [span for span in expected if span not in body] == []  # nothing of the report lost
    assert len(body) == len(expected)  # and nothing else kept
    for text in body_lines(report):
        assert not [s for s in LITTER if s in text], text


def test_buttons_glued_to_the_last_line_are_cut_off(tmp_path):
    text = (SEEDS / "000_1e730ce7ce0129e2.txt").read_text(encoding="utf-8")
    glued = re.sub(r"\n+(【返回顶部】)", r"\1", text)
    report = read_report(write(tmp_path / "glued.txt", glued))
    assert body_lines(report)[-1].endswith("不断彰显法治政府建设地域特色。")
    assert report.text.endswith("地域特色。【返回顶部】【打印本稿】【我要订阅】【关闭本页】")


def test_more_kinds_of_web_litter(tmp_path):
    page = """当前位置：首页 > 政务公开 > 规划计划
青山区2023年法治政府建设情况的报告
发布时间：2024-01-05 10:20:11 来源：区司法局 浏览次数：1024
【字体：大 中 小】【打印】【关闭】
2023年，青山区坚持依法行政。全年办理行政复议案件45件。
分享到：微信 微博 QQ空间
上一篇：关于印发某方案的通知
下一篇：青山区2022年政府信息公开工作年度报告
附件：
青山区2023年法治政府建设情况的报告.docx
主办单位：青山区人民政府办公室 网站标识码：1234567890 粤ICP备12345678号
"""
    report = read_report(write(tmp_path / "page.txt", page))
    assert body_lines(report) == [
        "青山区2023年法治政府建设情况的报告",
        "2023年，青山区坚持依法行政。全年办理行政复议案件45件。",
    ]
    assert (report.region, report.year) == ("青山区", 2023)


def test_navigation_menu_runs_are_litter_but_short_headings_are_not(tmp_path):
    menu = "\n".join(
        ["首页", "政务公开", "+", "通知公告", "政策法规", "机构概况", "+", "领导成员", "互动交流"]
    )
    report_text = "青山区2023年法治政府建设情况的报告\n一、主要举措\n（一）依法行政\n（二）公正执法\n二、存在不足\n全年办结案件45件。"
    report = read_report(write(tmp_path / "menu.txt", menu + "\n" + report_text))
    assert body_lines(report) == report_text.split("\n")


# --- title, region, year when the file has no title line ---------------------------------------------------


def test_title_region_and_year_from_a_corpus_style_file_name(tmp_path):
    text = "现将有关情况报告如下：\n一、2021年主要工作情况\n全年办结行政复议案件45件。\n特此报告。\n深圳市光明区人民政府\n2022年1月5日\n"
    report = read_report(write(tmp_path / "深圳市光明区_2021_法治政府建设情况报告.txt", text))
    assert (report.title, report.region, report.year) == (
        "深圳市光明区2021年法治政府建设情况报告",
        "光明区",
        2021,
    )
    assert (report.issuer, report.date) == ("深圳市光明区人民政府", "2022-01-05")


def test_work_report_year_is_the_title_year_not_the_year_reviewed(tmp_path):
    text = "各位代表：\n现在，我代表光明区人民政府向大会作报告，请予审议。\n一、2024年工作回顾\n地区生产总值增长6%。\n"
    report = read_report(write(tmp_path / "深圳市光明区_2025_政府工作报告_2.txt", text))
    assert (report.title, report.region, report.year) == ("深圳市光明区2025年政府工作报告", "光明区", 2025)
    report = read_report(write(tmp_path / "untitled.txt", text))
    assert (report.region, report.year) == ("光明区", 2025)  # 2024年工作回顾 → the 2025 report


def test_province_region_is_its_full_name(tmp_path):
    text = "2025年宁夏政府工作报告\n——2025年1月19日在宁夏回族自治区第十三届人民代表大会第三次会议上\n各位代表：\n"
    report = read_report(write(tmp_path / "nx.txt", text))
    assert (report.title, report.region, report.year) == ("2025年宁夏政府工作报告", "宁夏回族自治区", 2025)


@pytest.mark.parametrize("opening", ["2023年，全区坚持依法行政。", "2023年，我市坚持依法行政。"])
def test_words_like_quanqu_are_not_regions(tmp_path, opening):
    report = read_report(write(tmp_path / "report.txt", opening + "\n全年办结案件45件。\n"))
    assert report.region == "" and report.year == 2023 and report.title == "report"


def test_signature_date_in_chinese_numerals(tmp_path):
    text = REPORT.replace("2025年1月20日", "二〇二五年一月二十日")
    assert read_report(write(tmp_path / "r.txt", text)).date == "2025-01-20"


# --- html, docx, pdf ----------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html><html><head><meta charset="{charset}"><title>门户网站</title>
<style>.x {{ color: red }}</style><script>var hits = "访问量 1024";</script></head>
<body><div class="top-nav"><a href="/">首页</a><a>政务公开</a><a>办事服务</a></div>
<nav><ul><li>首页</li><li>互动交流</li></ul></nav>
<header><img src="logo.png">青山区人民政府门户网站</header>
<div class="position">您当前所在位置：<a>首页</a> &gt; <a>政务公开</a> &gt; 法治政府建设</div>
<div class="article">
  <h1>青山区人民政府关于2024年法治政府建设情况的报告</h1>
  <div class="info">发布日期：2025-01-21　访问次数：<span id="c">88</span></div>
  <p>　　2024年，青山区坚持以习近平法治思想为指导，<script>document.write("脚本里的字");</script>现将有关情况报告如下。</p>
  <p>全年受理法律援助案件<b>321</b>件，
     人民调解化解率达97.5%。</p>
  <table><tr><th>指标</th><th>2024年</th></tr><tr><td>行政复议案件</td><td>45件</td></tr></table>
  <p>青山区人民政府<br>2025年1月20日</p>
</div>
<div class="share-bar">分享到：微信 微博</div>
<div>【打印本页】【关闭窗口】</div>
<footer>版权所有：青山区人民政府 ICP备12345678号</footer>
</body></html>"""


@pytest.mark.parametrize("charset, encoding", [("utf-8", "utf-8"), ("gbk", "gb18030")])
def test_html_main_text(tmp_path, charset, encoding):
    path = write(tmp_path / "page.html", HTML.format(charset=charset), encoding)
    report = read_report(path)
    assert report.encoding == encoding
    assert (
        body_lines(report)
        == [
            "青山区人民政府关于2024年法治政府建设情况的报告",
            "2024年，青山区坚持以习近平法治思想为指导，现将有关情况报告如下。",
            "全年受理法律援助案件321件，人民调解化解率达97.5%。",  # a source line break between Chinese is no space
            "指标\t2024年",
            "行政复议案件\t45件",
            "青山区人民政府",
            "2025年1月20日",
        ]
    )
    assert "脚本里的字" not in report.text and "var hits" not in report.text and "微博" not in report.text
    assert "门户网站" not in report.text  # the page <header> and <title> are chrome
    assert (report.region, report.year, report.issuer, report.date) == (
        "青山区",
        2024,
        "青山区人民政府",
        "2025-01-20",
    )
    assert_well_formed(report)


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("青山区人民政府关于2024年法治政府建设情况的报告")
    document.add_paragraph("2024年，青山区坚持以习近平法治思想为指导，现将有关情况报告如下。")
    document.add_paragraph("")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate(
        [["指标", "2023年", "2024年"], ["行政复议案件", "40件", "45件"], ["备注", "", ""]]
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(2, 1).merge(table.cell(2, 2)).text = "数据来源：区司法局"
    document.add_paragraph("青山区人民政府")
    document.add_paragraph("2025年1月20日")
    document.save(path)
    return path


def test_docx_paragraphs_and_table_rows(tmp_path):
    report = read_report(make_docx(tmp_path / "青山区 报告.docx"))
    assert report.text.split("\n") == [
        "青山区人民政府关于2024年法治政府建设情况的报告",
        "2024年，青山区坚持以习近平法治思想为指导，现将有关情况报告如下。",
        "指标\t2023年\t2024年",
        "行政复议案件\t40件\t45件",
        "备注\t数据来源：区司法局",  # a merged cell once
        "青山区人民政府",
        "2025年1月20日",
    ]
    assert body_lines(report) == report.text.split("\n")
    assert (report.region, report.year, report.issuer, report.date) == (
        "青山区",
        2024,
        "青山区人民政府",
        "2025-01-20",
    )
    assert report.encoding == ""


def make_pdf(pages: list[list[str]], cjk: bool = False, text: bool = True) -> bytes:
    """A minimal PDF. With `cjk`, text is shown through a Type0 font whose ToUnicode map carries the Chinese.

    No glyphs are embedded (no CJK font can be fetched offline); the text layer is what extraction reads.
    """
    chars = sorted({ch for page in pages for line in page for ch in line})
    cid = {ch: i + 1 for i, ch in enumerate(chars)}

    def show(line: str) -> str:
        if cjk:
            return "<" + "".join(f"{cid[ch]:04X}" for ch in line) + "> Tj"
        return "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj"

    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, page in enumerate(pages):
        ops = "BT /F1 12 Tf 72 760 Td " + " 0 -18 Td ".join(show(line) for line in page) + " ET"
        stream = (ops if text else "q 1 0 0 RG 72 600 m 300 700 l S Q").encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {font_id} 0 R >> >>"
            f" /Contents {4 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    if cjk:
        cmap = "\n".join(f"<{cid[ch]:04X}> <{ord(ch):04X}>" for ch in chars)
        to_unicode = (
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Adobe-Identity-UCS def "
            "/CMapType 2 def 1 begincodespacerange <0000> <FFFF> endcodespacerange "
            f"{len(chars)} beginbfchar\n{cmap}\nendbfchar endcmap CMapName currentdict /CMap defineresource pop end end"
        ).encode()
        objects.append(
            f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
            f"/DescendantFonts [{font_id + 1} 0 R] /ToUnicode {font_id + 2} 0 R >>".encode()
        )
        objects.append(
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> >>"
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(to_unicode) + to_unicode + b"\nendstream")
    else:
        objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_text_layer_pages_joined_by_newline(tmp_path):
    path = tmp_path / "annual.pdf"
    path.write_bytes(make_pdf([["Annual Report 2024", "Legal aid cases: 321."], ["Second page (end)"]]))
    report = read_report(path)
    assert body_lines(report) == ["Annual Report 2024", "Legal aid cases: 321.", "Second page (end)"]
    assert report.text.split("\n") == body_lines(report)


def test_pdf_chinese_text_layer(tmp_path):
    path = tmp_path / "青山区.pdf"
    path.write_bytes(make_pdf([["青山区人民政府关于2024年法治政府建设情况的报告", "全年受理法律援助案件321件。"],
                               ["青山区人民政府", "2025年1月20日"]], cjk=True))  # fmt: skip
    report = read_report(path)
    assert body_lines(report) == [
        "青山区人民政府关于2024年法治政府建设情况的报告",
        "全年受理法律援助案件321件。",
        "青山区人民政府",
        "2025年1月20日",
    ]
    assert (report.title, report.region, report.year, report.date) == (
        "青山区人民政府关于2024年法治政府建设情况的报告", "青山区", 2024, "2025-01-20")  # fmt: skip


# --- bad input -----------------------------------------------------------------------------------------------


def reason(path: Path) -> str:
    with pytest.raises(IngestError) as caught:
        read_report(path)
    assert caught.value.path == str(path) and str(path) in str(caught.value)
    return caught.value.reason


def test_empty_file(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    assert "空" in reason(tmp_path / "empty.txt")
    (tmp_path / "blank.txt").write_bytes(b"\xef\xbb\xbf \n\n")
    assert "没有文字" in reason(tmp_path / "blank.txt")


def test_binary_files_renamed_txt(tmp_path):
    noise = random.Random(7).randbytes(4096)
    (tmp_path / "noise.txt").write_bytes(noise)
    assert "不是文本文件" in reason(tmp_path / "noise.txt")
    (tmp_path / "noise-no-nul.txt").write_bytes(noise.replace(b"\x00", b""))
    assert "不是文本文件" in reason(tmp_path / "noise-no-nul.txt") or "编码" in reason(
        tmp_path / "noise-no-nul.txt"
    )
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise[:200])
    assert "PNG" in reason(tmp_path / "photo.txt")
    (tmp_path / "controls.txt").write_bytes(bytes(range(1, 32)) * 50)
    assert "控制字符" in reason(tmp_path / "controls.txt")


def test_truncated_docx(tmp_path):
    data = make_docx(tmp_path / "ok.docx").read_bytes()
    (tmp_path / "broken.docx").write_bytes(data[: len(data) // 2])
    assert "无法读取 docx" in reason(tmp_path / "broken.docx")
    (tmp_path / "old.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    assert ".doc" in reason(tmp_path / "old.docx")


def test_pdf_without_text_layer_or_broken(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(make_pdf([["x"], ["y"]], text=False))
    message = reason(tmp_path / "scan.pdf")
    assert "没有文字层" in message and "OCR" in message
    data = make_pdf([["Annual Report 2024"]])
    (tmp_path / "cut.pdf").write_bytes(data[:60])
    assert "无法读取 PDF" in reason(tmp_path / "cut.pdf")


@pytest.mark.parametrize("name", ["report.doc", "report.xlsx", "report", "report.rtf"])
def test_unsupported_extension(tmp_path, name):
    write(tmp_path / name, REPORT)
    message = reason(tmp_path / name)
    assert "不支持" in message and ".docx" in message


def test_missing_file(tmp_path):
    assert "不存在" in reason(tmp_path / "nope.txt")


def test_seven_megabytes_of_text_is_read_quickly_and_twenty_refused_unread(tmp_path):
    seed = (SEEDS / "001_7534e712c36dcd42.txt").read_text(encoding="utf-8")
    copies = 7 * 2**20 // len(seed.encode()) + 1
    path = write(tmp_path / "big.txt", seed * copies)
    started = time.perf_counter()
    report = read_report(path)
    elapsed = time.perf_counter() - started
    assert path.stat().st_size >= 7 * 2**20
    assert len(report.body) > 20 * copies and not any("访问量" in line for line in body_lines(report)[:200])
    assert elapsed < 6, f"{elapsed:.1f}s"
    huge = write(tmp_path / "huge.txt", seed * (3 * copies))  # over the 8 MB cap (rag/limits.py): not even read
    started = time.perf_counter()
    with pytest.raises(IngestError, match="文件过大（21 MB，上限 8 MB）"):
        read_report(huge)
    assert time.perf_counter() - started < 0.1


def test_pathological_lines_stay_linear(tmp_path):
    line = "【返回顶部】" * 200_000 + "\n" + "首页 > " * 200_000 + "\n" + "访问量" * 200_000
    started = time.perf_counter()
    read_report(write(tmp_path / "odd.txt", "青山区2024年法治政府建设情况的报告\n" + line))
    assert time.perf_counter() - started < 5


# --- finding files -----------------------------------------------------------------------------------------------


def test_find_report_files_walks_folders(tmp_path):
    for name in ["b/2.txt", "a.md", "b/c/3.docx", "README.md", "MANIFEST.tsv", ".hidden.txt", ".git/x.txt",
                 "b/~$lock.docx", "notes.csv", "page.HTML"]:  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = find_report_files([tmp_path, tmp_path / "a.md", tmp_path / "notes.csv"])
    names = [p.relative_to(tmp_path).as_posix() for p in found]
    assert names == [
        "a.md",
        "b/2.txt",
        "b/c/3.docx",
        "page.HTML",
        "notes.csv",
    ]  # a file given is kept as given
    assert all(p.suffix.lower() in SUPPORTED for p in found[:-1])
    with pytest.raises(IngestError, match="不存在"):
        find_report_files([tmp_path / "missing"])


# --- the real corpus ---------------------------------------------------------------------------------------------

CORPUS_LITTER_LINE = re.compile(r"来源\s*[:：]|图解$|一图读懂|附件：$|.*\.docx$")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_every_corpus_report_gets_region_and_year():
    files = find_report_files([CORPUS])
    assert len(files) == 81
    for path in files:
        report = read_report(path)
        assert report.region and isinstance(report.year, int), path.name
        place, year = path.stem.split("_")[:2]
        assert place.endswith(report.region) or report.region.startswith(place), (path.name, report.region)
        assert report.year == int(year), path.name
        assert_well_formed(report)
        if path.name == "深圳市坪山区_2021_政府工作报告.txt":
            # only the website's menus and header table were saved: no body, metadata from the header table
            assert report.body == () and report.title == "2021年坪山区政府工作报告"
            assert (report.issuer, report.date) == ("深圳市坪山区人民政府", "2021-02-02")
            continue
        kept = set(report.body)
        pos = 0
        for line in report.text.split("\n"):
            stripped = line.strip()
            start = pos + len(line) - len(line.lstrip())
            if stripped and (start, start + len(stripped)) not in kept:
                assert CORPUS_LITTER_LINE.match(stripped), (path.name, stripped)
            pos += len(line) + 1


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_spot_checks():
    def meta(name: str) -> tuple:
        r = read_report(next(CORPUS.glob(f"*/{name}")))
        return r.title, r.region, r.year, r.issuer, r.date

    assert meta("宁夏_2025_政府工作报告.txt")[:3] == ("2025年宁夏政府工作报告", "宁夏回族自治区", 2025)
    assert meta("内蒙古自治区_2025_政府工作报告.txt")[1] == "内蒙古自治区"
    assert meta("深圳市光明区_2021_法治政府建设情况报告.txt") == (
        "深圳市光明区2021年法治政府建设情况报告", "光明区", 2021, "深圳市光明区人民政府", "2022-01-05")  # fmt: skip
    assert meta("深圳市龙华区_2019_法治政府建设情况报告.txt")[1:3] == ("龙华区", 2019)
    assert meta("深圳市大鹏新区_2023_管委会工作报告.txt")[1:3] == ("大鹏新区", 2023)
