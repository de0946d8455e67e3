"""The loaded index's chunks, facts and tokens as columns, read as sequences of Chunk, Fact and token lists.

At a million chunks, Python objects for every chunk (its text a copy of its report's), every fact and
every token list took most of the memory (bench/results/scale.json: 2.7 GB of token lists at 200k chunks).
Here a row is a few integers: a chunk is (report, start, end, section), its text cut from its report when
asked for; a fact is its numbers and ids into string tables. Code that iterates `index.chunks` or
`index.facts` still gets Chunk and Fact objects; hot paths use the columns (`rows_of`, `allowed`, `rows`).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np

from rag.types import Chunk, Fact, Report

_BLOCK = 1 << 16  # rows turned into objects at a time when iterating


class Strings:
    """A string (or tuple) table built by interning: `ids(values)` → int32 ids, `table[id]` → value."""

    def __init__(self, values: Iterable = ()):
        self.table: list = []
        self._ids: dict = {}
        for v in values:
            self.intern(v)

    def intern(self, value) -> int:
        i = self._ids.get(value)
        if i is None:
            i = self._ids[value] = len(self.table)
            self.table.append(value)
        return i

    def ids(self, values: Iterable) -> np.ndarray:
        return np.fromiter((self.intern(v) for v in values), np.int32)

    def remap(self, table: Sequence) -> np.ndarray:
        """Ids in this table of another table's entries (to merge columns that use that one)."""
        return np.fromiter((self.intern(v) for v in table), np.int32, len(table))

    def __len__(self) -> int:
        return len(self.table)


class Vocab:
    """The index's search terms; ids only grow (a term of a removed report keeps its id)."""

    def __init__(self, terms: Iterable[str] = ()):
        self.terms = list(terms)
        self.ids = {t: i for i, t in enumerate(self.terms)}

    def of(self, tokens: Sequence[str]) -> list[int]:
        ids = self.ids
        for t in tokens:
            if t not in ids:
                ids[t] = len(self.terms)
                self.terms.append(t)
        return [ids[t] for t in tokens]

    def __len__(self) -> int:
        return len(self.terms)


class Docs:
    """The reports of a loaded index by row: their names, and the title, region and year of each."""

    def __init__(self, reports: Mapping[str, Report], names: list[str]):
        self.reports = reports
        self.names = names
        self.title = [reports[d].title if d in reports else "" for d in names]
        self.region_names = Strings()
        self.region = self.region_names.ids(reports[d].region if d in reports else "" for d in names)
        self.year_of = [reports[d].year if d in reports else None for d in names]
        self.year = np.array([y or 0 for y in self.year_of], np.int32)

    def region_ids(self, regions: Iterable[str]) -> np.ndarray:
        return np.array([self.region_names._ids[r] for r in regions if r in self.region_names._ids], np.int32)


class ChunkTable(Sequence):
    """The chunks of an index, in its order; `table[i]` is the Chunk of row i."""

    def __init__(self, docs: Docs, doc: np.ndarray, start: np.ndarray, end: np.ndarray, section: np.ndarray,
                 sections: list[tuple[str, ...]], texts: list[str] | None = None):
        self.docs, self.doc, self.start, self.end = docs, doc, start, end
        self.section, self.sections = section, sections
        self._texts = texts  # only for chunks whose text is not their report's (never, for a loaded index)
        self.region = docs.region[doc] if len(doc) else np.zeros(0, np.int32)
        self.year = docs.year[doc] if len(doc) else np.zeros(0, np.int32)
        self._by_doc = np.argsort(doc, kind="stable")
        self._doc_first = np.searchsorted(doc[self._by_doc], np.arange(len(docs.names) + 1))
        self._doc_index = {name: i for i, name in enumerate(docs.names)}

    @classmethod
    def from_chunks(cls, chunks: Iterable[Chunk], reports: Mapping[str, Report]) -> ChunkTable:
        chunks = list(chunks)
        names = list(dict.fromkeys(c.doc for c in chunks))
        index = {d: i for i, d in enumerate(names)}
        known = {d: r for d, r in reports.items()} | {
            c.doc: Report(c.doc, "", "", (), c.title, c.region, c.year) for c in chunks if c.doc not in reports}
        sections = Strings()
        texts = [c.text for c in chunks]
        own = all(known[c.doc].text[c.start : c.end] == c.text for c in chunks)
        return cls(Docs(known, names), np.array([index[c.doc] for c in chunks], np.int32),
                   np.array([c.start for c in chunks], np.int32), np.array([c.end for c in chunks], np.int32),
                   sections.ids(c.section for c in chunks), sections.table, None if own else texts)

    def __len__(self) -> int:
        return len(self.doc)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = _position(i, len(self))
        return self._chunk(int(self.doc[i]), int(self.start[i]), int(self.end[i]), int(self.section[i]), i)

    def _chunk(self, d: int, s: int, e: int, sec: int, i: int) -> Chunk:
        docs = self.docs
        name = docs.names[d]
        text = self._texts[i] if self._texts is not None else docs.reports[name].text[s:e]
        return Chunk(name, s, e, text, self.sections[sec], docs.title[d], docs.region_names.table[docs.region[d]],
                     docs.year_of[d])

    def __iter__(self) -> Iterator[Chunk]:
        for lo in range(0, len(self), _BLOCK):
            hi = min(len(self), lo + _BLOCK)
            cols = (self.doc[lo:hi].tolist(), self.start[lo:hi].tolist(), self.end[lo:hi].tolist(),
                    self.section[lo:hi].tolist())
            for i, (d, s, e, sec) in enumerate(zip(*cols, strict=True), start=lo):
                yield self._chunk(d, s, e, sec, i)

    def rows_of(self, doc: str) -> np.ndarray:
        """The rows of one report's chunks, ascending."""
        d = self._doc_index.get(doc)
        if d is None:
            return np.zeros(0, np.int64)
        return self._by_doc[self._doc_first[d] : self._doc_first[d + 1]]

    def count(self, doc: str) -> int:
        return len(self.rows_of(doc))

    def row_at(self, doc: str, offset: int) -> int:
        """The row of the last chunk of `doc` that starts at or before `offset` (−1 when none does)."""
        rows = self.rows_of(doc)
        pos = int(np.searchsorted(self.start[rows], offset, side="right")) - 1
        return int(rows[pos]) if pos >= 0 else -1

    @property
    def rows_by_start(self) -> Mapping[tuple[str, int], int]:
        """(doc, start) → row, as a mapping, without a dict of every chunk."""
        return _RowsByStart(self)

    def allowed(self, regions: Iterable[str] = (), years: Iterable[int] = ()) -> np.ndarray:
        """Rows whose report is of one of `regions` and one of `years` (either empty: any)."""
        mask = np.ones(len(self), dtype=bool)
        regions, years = set(regions), {y for y in years if y}
        if regions:
            mask &= np.isin(self.region, self.docs.region_ids(regions))
        if years:
            mask &= np.isin(self.year, np.array(sorted(years), np.int32))
        return mask


class _RowsByStart(Mapping):
    def __init__(self, table: ChunkTable):
        self.table = table

    def __getitem__(self, key: tuple[str, int]) -> int:
        doc, start = key
        row = self.table.row_at(doc, start)
        if row < 0 or int(self.table.start[row]) != start:
            raise KeyError(key)
        return row

    def __len__(self) -> int:
        return len(self.table)

    def __iter__(self):
        t = self.table
        return ((t.docs.names[d], s) for d, s in zip(t.doc.tolist(), t.start.tolist(), strict=True))


FACT_STRINGS = ("metric", "context", "unit", "qualifier", "kind")
FACT_NUMBERS = (("value", np.float64), ("start", np.int32), ("end", np.int32), ("target", np.bool_),
                ("about", np.int32))


class FactTable(Sequence):
    """The facts of an index, in its order; `table[i]` is the Fact of row i (its sentence cut from its report).

    Columns: `doc`, `section` and the FACT_STRINGS as int32 ids (tables in `strings`), FACT_NUMBERS as
    numbers (`about` 0 for None). `rows(regions, target)` finds facts without making objects.
    """

    def __init__(self, docs: Docs, columns: dict[str, np.ndarray], strings: dict[str, list], sections: list,
                 sentences: list[str] | None = None):
        self.docs, self.columns, self.strings, self.sections = docs, columns, strings, sections
        self._sentences = sentences
        self.region = docs.region[columns["doc"]] if len(columns["doc"]) else np.zeros(0, np.int32)

    @classmethod
    def from_facts(cls, facts: Iterable[Fact], docs: Docs, sections: Strings | None = None) -> FactTable:
        facts = list(facts)
        index = {d: i for i, d in enumerate(docs.names)}
        for f in facts:
            if f.doc not in index:
                index[f.doc] = len(docs.names)
                docs = Docs(dict(docs.reports) | {f.doc: Report(f.doc, "", "", (), "", f.region, f.year)},
                            docs.names + [f.doc])
        sections = sections or Strings()
        strings = {name: Strings() for name in FACT_STRINGS}
        columns = {"doc": np.array([index[f.doc] for f in facts], np.int32),
                   "section": sections.ids(f.section for f in facts)}
        columns |= {name: strings[name].ids(getattr(f, name) for f in facts) for name in FACT_STRINGS}
        columns |= {name: np.array([getattr(f, name) or 0 for f in facts], dtype) for name, dtype in FACT_NUMBERS}
        own = all(docs.reports[f.doc].text[f.start : f.end] == f.sentence for f in facts)
        return cls(docs, columns, {k: v.table for k, v in strings.items()}, sections.table,
                   None if own else [f.sentence for f in facts])

    def __len__(self) -> int:
        return len(self.columns["doc"])

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.at(np.arange(*i.indices(len(self))))
        i = _position(i, len(self))
        return self.at([i])[0]

    def at(self, rows) -> list[Fact]:
        """The Facts of `rows`, in that order."""
        rows = np.asarray(rows, np.int64)
        c, docs = self.columns, self.docs
        cols = {name: c[name][rows].tolist() for name in c}
        out = []
        for n, row in enumerate(rows.tolist()):
            d = cols["doc"][n]
            name = docs.names[d]
            start, end = cols["start"][n], cols["end"][n]
            sentence = self._sentences[row] if self._sentences is not None else docs.reports[name].text[start:end]
            s = {k: self.strings[k][cols[k][n]] for k in FACT_STRINGS}
            out.append(Fact(name, docs.region_names.table[docs.region[d]], docs.year_of[d], s["metric"], s["context"],
                            cols["value"][n], s["unit"], s["qualifier"], s["kind"], sentence, start, end,
                            self.sections[cols["section"][n]], cols["target"][n], cols["about"][n] or None))
        return out

    def __iter__(self) -> Iterator[Fact]:
        for lo in range(0, len(self), _BLOCK):
            yield from self.at(np.arange(lo, min(len(self), lo + _BLOCK)))

    def rows(self, regions: Iterable[str] | None = None, target: bool | None = None) -> np.ndarray:
        """Rows of the facts of `regions` (None: all) whose `target` is as given (None: either), ascending."""
        mask = np.ones(len(self), dtype=bool)
        if regions is not None:
            mask &= np.isin(self.region, self.docs.region_ids(regions))
        if target is not None:
            mask &= self.columns["target"] == target
        return np.flatnonzero(mask)

    @functools.cached_property
    def _kinds(self) -> tuple[np.ndarray, np.ndarray]:
        """Each row's combination of FACT_STRINGS as a number, and the first row of each combination."""
        key = np.zeros(len(self), np.int64)
        for name in FACT_STRINGS:
            key = key * (len(self.strings[name]) + 1) + self.columns[name]
        _, first, kind = np.unique(key, return_index=True, return_inverse=True)
        return kind.astype(np.int32), first

    def distinct(self, rows: np.ndarray) -> tuple[list[Fact], np.ndarray]:
        """One Fact for each distinct combination of metric, field, unit, qualifier and kind among `rows`, and
        for each row the position of its combination: to score what reads only those once, not once a row."""
        kind, first = self._kinds
        present = np.zeros(len(first), bool)
        present[kind[rows]] = True
        kinds = np.flatnonzero(present)
        position = np.cumsum(present) - 1
        return self.at(first[kinds]), position[kind[rows]]


class TokenTable(Sequence):
    """Each chunk's search tokens (its term ids, stored flat, read back as words)."""

    def __init__(self, terms: list[str], parts: Sequence[tuple[np.ndarray, np.ndarray]], live: np.ndarray | None):
        self.terms = terms
        self.parts = list(parts)  # (flat term ids, starts) per segment
        self._first = np.cumsum([0] + [len(s) - 1 for _, s in self.parts])
        self.live = live

    def __len__(self) -> int:
        return int(self._first[-1]) if self.live is None else len(self.live)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = _position(i, len(self))
        row = i if self.live is None else int(self.live[i])
        part = int(np.searchsorted(self._first, row, side="right")) - 1
        ids, starts = self.parts[part]
        local = row - int(self._first[part])
        return [self.terms[t] for t in ids[starts[local] : starts[local + 1]].tolist()]


class VectorTable:
    """The chunks' vectors across segments (each memory-mapped), indexed as one float32 matrix."""

    def __init__(self, parts: Sequence[np.ndarray], live: np.ndarray | None, dim: int):
        self.parts = list(parts)
        self._first = np.cumsum([0] + [len(p) for p in self.parts])
        self.live = live
        self.dim = dim
        self.dtype = np.dtype(np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self), self.dim)

    @property
    def ndim(self) -> int:
        return 2

    def __len__(self) -> int:
        return int(self._first[-1]) if self.live is None else len(self.live)

    def _physical(self, rows) -> np.ndarray:
        rows = np.asarray(rows)
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.int64)
        rows = np.where(rows < 0, rows + len(self), rows)
        return rows if self.live is None else self.live[rows]

    def __getitem__(self, i):
        if isinstance(i, slice):
            i = np.arange(*i.indices(len(self)))
        if np.ndim(i) == 0:
            row = int(self._physical([operator.index(i)])[0])
            part = int(np.searchsorted(self._first, row, side="right")) - 1
            return np.asarray(self.parts[part][row - self._first[part]])
        rows = self._physical(i)
        out = np.empty((len(rows), self.dim), np.float32)
        which = np.searchsorted(self._first, rows, side="right") - 1
        for part in np.unique(which):
            at = which == part
            out[at] = self.parts[part][rows[at] - self._first[part]]
        return out

    def __array__(self, dtype=None, copy=None):
        out = self[np.arange(len(self))]
        return out if dtype is None else out.astype(dtype)


def _position(i, n: int) -> int:
    """`i` as a row of a sequence of `n` (negative from the end), or IndexError."""
    i = operator.index(i)
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise IndexError(i)
    return i
