"""Splitting reports along their heading tree: section paths, offsets, sizes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.documents.sections import MAX_CHARS, chunk_report, heading_of
from rag.types import Report

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def make_report(text: str, title: str = "", doc: str = "t.txt") -> Report:
    """A report whose body is every non-blank line (no litter)."""
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return Report(doc=doc, path=doc, text=text, body=tuple(spans), title=title, region="镜湖区", year=2024)


@pytest.mark.parametrize(
    "line, rank, heading",
    [
        ("一、全区法治政府建设情况", 1, "一、全区法治政府建设情况"),
        ("（五）向“广”延伸，多维构建权力运行监督体系", 2, "（五）向“广”延伸，多维构建权力运行监督体系"),
        ("(一)坚持法治引领,高站位践行习近平法治思想。一是牢筑法治思想。", 2, "(一)坚持法治引领,高站位践行习近平法治思想"),
        ("1.加强组织领导。成立领导小组", 3, "1.加强组织领导"),
        ("（2）完善制度", 4, "（2）完善制度"),
        ("二是完善体制机制。建立鹿城区府检联席会议制度", 5, "二是完善体制机制"),
        ("2022年新增专利授权量3976件", None, None),
        ("1.135亿元的贷款", None, None),
    ],
)
def test_heading_of_recognises_each_level(line, rank, heading):
    found = heading_of(line)
    if rank is None:
        assert found is None
    else:
        assert found == (rank, heading)


def test_run_on_inline_heading_is_cut_short():
    rank, heading = heading_of("五是着力加强行政权力监督制约落实向区委、区人大报告年度法治政府建设情况制度，全面推进")
    assert rank == 5
    assert heading.startswith("五是着力加强行政权力监督制约")
    assert len(heading) <= 31


def test_chunks_carry_section_path_and_exact_offsets():
    text = (
        "镜湖区人民政府关于2024年法治政府建设情况的报告\n"
        "一、全区法治政府建设情况\n"
        "（一）向“高”定位，统筹推进法治政府建设\n"
        "突出政治引领。2024年，区政府党组学习习近平法治思想8次。" + "组织集中研讨，开展专题宣讲。" * 6 + "\n"
        "（二）向“广”延伸，多维构建权力运行监督体系\n"
        "2024年全区新收行政复议案件120件，调解率达50.6%。" + "规范行政应诉，加强府检联动。" * 6 + "\n"
        "二、存在的不足\n"
        "一是依法行政能力不均衡。二是执法规范化仍有不足。\n"
    )
    report = make_report(text, title="镜湖区人民政府关于2024年法治政府建设情况的报告")
    chunks = chunk_report(report)
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert c.region == "镜湖区" and c.year == 2024
    by_text = {c.text.splitlines()[-1]: c for c in chunks}
    mediation = next(c for c in chunks if "调解率达50.6%" in c.text)
    assert mediation.section == ("一、全区法治政府建设情况", "（二）向“广”延伸，多维构建权力运行监督体系")
    assert all("镜湖区人民政府关于" not in c.text for c in chunks), "the title is metadata, not a passage"
    assert by_text


def test_inline_points_become_sections_under_their_parent():
    text = "一、主要举措\n（一）坚持法治引领。" + "一是牢筑法治思想。" + "出台方案。" * 30 + "二是完善体制机制。" + "建立制度。" * 30
    chunks = chunk_report(make_report(text))
    paths = [c.section for c in chunks]
    assert ("一、主要举措", "（一）坚持法治引领", "一是牢筑法治思想") in paths
    assert ("一、主要举措", "（一）坚持法治引领", "二是完善体制机制") in paths


def test_long_section_splits_at_sentence_ends():
    sentence = "全面推行行政执法公示制度，执法全过程记录制度和重大执法决定法制审核制度。"
    text = "一、行政执法\n" + sentence * 40
    chunks = chunk_report(make_report(text))
    assert len(chunks) > 3
    for c in chunks:
        assert c.text.endswith("。")
        assert len(c.text) <= MAX_CHARS + len(sentence) * 3


def test_chunks_never_cross_litter():
    text = "一、情况\n第一段正文。\n访问量：123\n第二段正文。"
    report = make_report(text)
    litter = text.index("访问量")
    body = tuple(s for s in report.body if s[0] != litter)
    report = Report(**{**report.__dict__, "body": body})
    chunks = chunk_report(report)
    assert all("访问量" not in c.text for c in chunks)
    assert any("第二段正文" in c.text for c in chunks)


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_every_body_sentence_of_the_seeds_is_in_exactly_one_chunk(seed):
    text = (SEEDS / seed).read_text(encoding="utf-8")
    report = make_report(text)
    chunks = chunk_report(report)
    covered = sorted((c.start, c.end) for c in chunks)
    for (_, e1), (s2, _) in zip(covered, covered[1:], strict=False):
        assert e1 <= s2, "chunks overlap"
    chars_in_chunks = sum(len(re.sub(r"\s", "", c.text)) for c in chunks)
    chars_in_body = sum(len(re.sub(r"\s", "", text[s:e])) for s, e in report.body)
    assert chars_in_chunks == chars_in_body


def test_a_heading_whose_numeral_the_source_lost_still_opens_a_section():
    assert heading_of("、2024年度主要工作安排") == (1, "、2024年度主要工作安排")
    assert heading_of("、全面推进。") is None  # a sentence, not a heading
