"""What reading a question needs of an index: a small protocol, so rag.question never imports the store.

A loaded rag.store.index.Index is a Catalog, and so is anything else with these members (a test's catalog).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from rag.language.places import Gazetteer
from rag.language.segmentation import Segmenter
from rag.types import Report


class Catalog(Protocol):
    """The index as a question is read against it: where its reports are from, and the words they use."""

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions the index has reports on, sorted."""
        ...

    @property
    def reports(self) -> Mapping[str, Report]:
        """Every report by its id: their years and kinds are what 去年 and 近三年 are read against."""
        ...

    @property
    def word_counts(self) -> Mapping[str, int]:
        """In how many chunks each word occurs: the reports' own words for an English question's terms."""
        ...

    def gazetteer(self) -> Gazetteer:
        """The places a question may name: the index's regions, then every division of China."""
        ...

    def segmenter(self) -> Segmenter:
        """jieba with the index's region names kept whole."""
        ...
