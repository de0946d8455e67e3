"""Hybrid retrieval over the seed reports: ranking, filters, regions named in the query, the JSON contract."""

from __future__ import annotations

import pytest

from rag.language.places import gazetteer_for
from rag.retrieval import METHODS, search
from rag.store.store import load_index

pytestmark = pytest.mark.slow

REGIONS = ("鹿城区", "红谷滩区", "调兵山市", "高区", "镜湖区")
HIT_FIELDS = ["rank", "score", "doc", "title", "region", "year", "section", "text", "start", "end"]


@pytest.fixture(scope="module")
def index(seeds_index):
    return load_index(seeds_index)


@pytest.mark.parametrize("method", METHODS)
def test_hits_come_best_first_with_rank_and_score(index, method):
    hits = search(index, "人民调解委员会调解矛盾纠纷", k=7, method=method)
    assert [h.rank for h in hits] == list(range(1, 8))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    for h in hits:
        assert index.reports[h.chunk.doc].text[h.chunk.start : h.chunk.end] == h.chunk.text


def test_bm25_puts_the_passage_holding_an_exact_phrase_first(index):
    top = search(index, "直播庭审863场", k=3, method="bm25")[0]
    assert "直播庭审863场" in top.chunk.text and top.chunk.region == "调兵山市"


def test_k_caps_the_number_of_hits(index):
    assert len(search(index, "行政复议", k=3)) == 3
    assert len(search(index, "行政复议", k=50)) == 50


def test_region_filter_keeps_only_that_region(index):
    hits = search(index, "法律援助案件", k=10, regions=["红谷滩区"])
    assert hits and {h.chunk.region for h in hits} == {"红谷滩区"}


def test_several_regions_can_be_allowed(index):
    hits = search(index, "行政复议案件", k=20, regions=["高区", "鹿城区"])
    assert {h.chunk.region for h in hits} == {"高区", "鹿城区"}


def test_year_filter_keeps_only_that_year(index):
    hits = search(index, "法律援助案件", k=20, years=[2022])
    assert {h.chunk.year for h in hits} == {2022}
    assert {h.chunk.region for h in hits} == {"鹿城区", "调兵山市"}  # both 2022 reports


def test_filters_that_match_nothing_give_no_hits(index):
    assert search(index, "法律援助案件", years=[2019]) == []
    assert search(index, "法律援助案件", regions=["镜湖区"], years=[2022]) == []


def test_a_region_named_in_the_query_restricts_the_search(index):
    hits = search(index, "调兵山市法律援助工作", k=10)
    assert {h.chunk.region for h in hits} == {"调兵山市"}
    both = search(index, "镜湖区和鹿城区的行政复议", k=20)
    assert {h.chunk.region for h in both} == {"镜湖区", "鹿城区"}


def test_an_explicit_region_wins_over_the_one_in_the_query(index):
    hits = search(index, "镜湖区法律援助案件", k=5, regions=["高区"])
    assert {h.chunk.region for h in hits} == {"高区"}


def regions_in(text: str) -> list[str]:
    return [m.region for m in gazetteer_for(REGIONS).find(text) if m.region]


def test_place_names_are_found_not_words_that_contain_them():
    assert regions_in("高区2021年受理了多少法律援助案件") == ["高区"]
    assert regions_in("威海市高区的信访工作") == ["高区"]
    assert regions_in("提高区域协调发展水平") == []
    assert sorted(regions_in("镜湖区和红谷滩区哪个调解率高")) == ["红谷滩区", "镜湖区"]
    assert regions_in("全区法律援助案件") == []


def test_gaoqu_is_found_inside_weihai_gaoqu():
    assert regions_in("威海高区的信访工作") == ["高区"]


def test_region_names_are_single_search_tokens(index):
    segmenter = index.segmenter()
    for region in REGIONS:
        assert region in segmenter.tokens(f"{region}受理法律援助案件多少件")
    jinghu = next(i for i, c in enumerate(index.chunks) if c.region == "镜湖区")
    assert "镜湖区" in index.tokens[jinghu]  # the title is indexed with the place name whole


def test_unknown_method_is_refused(index):
    with pytest.raises(ValueError, match="hybrid"):
        search(index, "法律援助", method="tfidf")


def test_empty_query_gives_no_hits(index):
    assert search(index, "") == []
    assert search(index, "   ") == []


def test_hit_json_has_the_contract_fields(index):
    hit = search(index, "镜湖区行政复议调解率", k=1)[0]
    data = hit.to_json()
    assert list(data) == HIT_FIELDS
    assert data["rank"] == 1 and isinstance(data["score"], float)
    assert (data["region"], data["year"]) == ("镜湖区", 2024)
    assert data["doc"] == "004_b09f2e2d8cdb3710.txt"
    assert data["title"] == "镜湖区人民政府关于2024年法治政府建设情况的报告"
    assert isinstance(data["section"], list) and data["section"]
    assert index.reports[data["doc"]].text[data["start"] : data["end"]] == data["text"]
