"""Passages stored by column, so a million of them load in milliseconds.

A `PassageTable` keeps every passage field in numpy arrays (numbers) and
`StringTable`s (UTF-8 bytes plus offsets), which can be memory-mapped from an
index folder. A `Passage` object is built only when one is asked for
(``table[i]``), so loading an index never parses all passage texts, and a
question touches only the passages it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..types import DocumentHeadings, Passage

__all__ = ["StringTable", "PassageTable", "LAYOUT_DTYPE"]

LAYOUT_DTYPE = np.dtype("<i8")
_STRING_COLUMNS = ("text", "doc_id", "source", "title", "sections", "layout")


@dataclass(frozen=True, eq=False)
class StringTable(Sequence):
    """Strings as one UTF-8 byte array and offsets: ``table[i]`` is ``data[ptr[i]:ptr[i+1]]`` decoded."""

    data: np.ndarray  # uint8
    ptr: np.ndarray  # int64, len(strings) + 1

    @classmethod
    def from_strings(cls, strings) -> "StringTable":
        encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
        ptr = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=ptr[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), ptr)

    @classmethod
    def from_chunks(cls, chunks: list[bytes], lengths: list[np.ndarray]) -> "StringTable":
        """From pre-encoded byte chunks and the byte length of each string in them."""
        sizes = np.concatenate(lengths) if lengths else np.empty(0, dtype=np.int64)
        ptr = np.zeros(sizes.size + 1, dtype=np.int64)
        np.cumsum(sizes, out=ptr[1:])
        data = np.empty(int(ptr[-1]), dtype=np.uint8)
        at = 0
        chunks.reverse()
        while chunks:  # copy and release chunk by chunk: never two copies of all the text
            chunk = chunks.pop()
            data[at : at + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
            at += len(chunk)
        return cls(data, ptr)

    def __len__(self) -> int:
        return self.ptr.size - 1

    def take(self, rows: np.ndarray) -> "StringTable":
        """The strings at `rows`, in that order."""
        lengths = (self.ptr[1:] - self.ptr[:-1])[rows]
        ptr = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=ptr[1:])
        starts = np.repeat(self.ptr[:-1][rows] - ptr[:-1], lengths)
        return StringTable(np.asarray(self.data)[starts + np.arange(ptr[-1])], ptr)

    def concat(self, other: "StringTable") -> "StringTable":
        return StringTable(
            np.concatenate([self.data, other.data]), np.concatenate([self.ptr, other.ptr[1:] + self.ptr[-1]])
        )

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        bounds = self.ptr[i : i + 2].tolist()  # plain ints: slicing with numpy scalars is slower
        if len(bounds) < 2 or i < 0:  # iterating stops at the IndexError, as it did when ptr[i + 1] raised it
            raise IndexError(f"string {i} out of range (0..{len(self) - 1})")
        start, end = bounds
        return self.data[start:end].tobytes().decode("utf-8", "surrogatepass")

    def triples(self, i: int) -> tuple[tuple[int, int, int], ...]:
        """Entry `i` read as raw int64 triples (a passage's layout), not as a string."""
        raw = bytes(self.data[self.ptr[i] : self.ptr[i + 1]])
        if not raw:
            return ()
        return tuple(map(tuple, np.frombuffer(raw, dtype=LAYOUT_DTYPE).reshape(-1, 3).tolist()))


@dataclass(frozen=True, eq=False)
class PassageTable(Sequence):
    """All passages of an index, by column.

    Attributes
    ----------
    text : StringTable
        Passage texts.
    doc : ndarray of int32
        Document number of each passage (into `doc_id`, `source`, `title`).
    num : ndarray of int32
        The passage's number within its document (its id is ``f"{doc_id}#{num}"``).
    start, end : ndarray of int64
        Character offsets into the document's text.
    section : ndarray of int32
        Section number of each passage (into `sections`).
    page : ndarray of int32
        1-based page of the passage's start in a paged source, 0 if none.
    doc_id, source, title, sections : StringTable
    layout : StringTable
        Each passage's `Passage.layout` as raw bytes (int64 triples; `LAYOUT_DTYPE`),
        empty for the passages whose text is their source span (clean prose).
    """

    text: StringTable
    doc: np.ndarray
    num: np.ndarray
    start: np.ndarray
    end: np.ndarray
    section: np.ndarray
    page: np.ndarray
    doc_id: StringTable
    source: StringTable
    title: StringTable
    sections: StringTable
    layout: StringTable

    def __len__(self) -> int:
        return self.doc.size

    def document_headings(self, max_passages: int, max_headings: int) -> list[DocumentHeadings]:
        """The documents of the first `max_passages` passages, in order, each with the distinct
        section headings those passages use (the first `max_headings` (document, heading) pairs).

        Read by column. Headings are the sections the passages use, not the whole `sections`
        table: removing a document (`select`) keeps every string of that table, its headings
        included.
        """
        doc = np.asarray(self.doc[:max_passages], dtype=np.int64)
        section = np.asarray(self.section[:max_passages], dtype=np.int64)
        _, first = np.unique(doc * (len(self.sections) + 1) + section, return_index=True)
        first = np.sort(first)[:max_headings]
        docs: dict[int, list[str]] = {}
        for d, s in zip(doc[first].tolist(), section[first].tolist()):
            docs.setdefault(d, []).append(self.sections[s])
        return [DocumentHeadings(self.doc_id[d], self.source[d], self.title[d], tuple(hs)) for d, hs in docs.items()]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"passage {i} out of range (0..{len(self) - 1})")
        d = int(self.doc[i])
        doc_id = self.doc_id[d]
        return Passage(
            passage_id=f"{doc_id}#{int(self.num[i])}",
            doc_id=doc_id,
            source=self.source[d],
            title=self.title[d],
            section=self.sections[int(self.section[i])],
            start=int(self.start[i]),
            end=int(self.end[i]),
            text=self.text[i],
            page=int(self.page[i]),
            layout=self.layout.triples(i),
        )

    @property
    def n_documents(self) -> int:
        return len(self.doc_id)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every column as a named array, for saving."""
        out = {
            "passage_doc": self.doc,
            "passage_num": self.num,
            "passage_start": self.start,
            "passage_end": self.end,
            "passage_section": self.section,
            "passage_page": self.page,
        }
        for name in _STRING_COLUMNS:
            table = getattr(self, name)
            out[f"{name}_data"] = table.data
            out[f"{name}_ptr"] = table.ptr
        return out

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> "PassageTable":
        strings = {n: StringTable(a[f"{n}_data"], a[f"{n}_ptr"]) for n in _STRING_COLUMNS}
        return cls(
            doc=a["passage_doc"],
            num=a["passage_num"],
            start=a["passage_start"],
            end=a["passage_end"],
            section=a["passage_section"],
            page=a["passage_page"],
            **strings,
        )

    def select(self, rows: np.ndarray) -> "PassageTable":
        """The passages at `rows` (ascending), documents without a passage left out."""
        docs = np.unique(self.doc[rows])
        new_doc = np.full(len(self.doc_id), -1, dtype=np.int32)
        new_doc[docs] = np.arange(docs.size, dtype=np.int32)
        return PassageTable(
            text=self.text.take(rows),
            doc=new_doc[self.doc[rows]],
            num=np.asarray(self.num)[rows],
            start=np.asarray(self.start)[rows],
            end=np.asarray(self.end)[rows],
            section=np.asarray(self.section)[rows],
            page=np.asarray(self.page)[rows],
            doc_id=self.doc_id.take(docs),
            source=self.source.take(docs),
            title=self.title.take(docs),
            sections=self.sections,
            layout=self.layout.take(rows),
        )

    def concat(self, other: "PassageTable") -> "PassageTable":
        """These passages, then `other`'s (whose document ids must be new)."""
        clash = set(self.doc_id) & set(other.doc_id)
        if clash:
            raise ValueError(f"document {sorted(clash)[0]!r} is already indexed; remove it first")
        sections = list(self.sections)
        index = {s: i for i, s in enumerate(sections)}
        remap = np.array([index.setdefault(s, len(index)) for s in other.sections], dtype=np.int32)
        sections.extend(list(index)[len(sections) :])
        return PassageTable(
            text=self.text.concat(other.text),
            doc=np.concatenate([self.doc, other.doc + len(self.doc_id)]).astype(np.int32),
            num=np.concatenate([self.num, other.num]).astype(np.int32),
            start=np.concatenate([self.start, other.start]),
            end=np.concatenate([self.end, other.end]),
            section=np.concatenate([self.section, remap[other.section] if len(other) else other.section]).astype(
                np.int32
            ),
            page=np.concatenate([self.page, other.page]).astype(np.int32),
            doc_id=self.doc_id.concat(other.doc_id),
            source=self.source.concat(other.source),
            title=self.title.concat(other.title),
            sections=StringTable.from_strings(sections),
            layout=self.layout.concat(other.layout),
        )


class PassageTableBuilder:
    """Collect passages one at a time into columns."""

    def __init__(self):
        self._docs: dict[str, int] = {}
        self._doc_rows: list[tuple[str, str, str]] = []
        self._sections: dict[str, int] = {}
        self._doc, self._num, self._start, self._end, self._section, self._page = [], [], [], [], [], []
        self._chunks: list[bytes] = []
        self._lengths: list[np.ndarray] = []
        self._pending: list[bytes] = []
        self._layouts: list[bytes] = []

    def add(self, p: Passage) -> None:
        d = self._docs.get(p.doc_id)
        if d is None:
            d = self._docs[p.doc_id] = len(self._docs)
            self._doc_rows.append((p.doc_id, p.source, p.title))
        s = self._sections.setdefault(p.section, len(self._sections))
        self._doc.append(d)
        num = p.passage_id.rsplit("#", 1)[-1]
        self._num.append(int(num) if num.isdigit() else len(self._num))
        self._start.append(p.start)
        self._end.append(p.end)
        self._section.append(s)
        self._page.append(p.page)
        self._pending.append(p.text.encode("utf-8", "surrogatepass"))
        self._layouts.append(np.asarray(p.layout, dtype=LAYOUT_DTYPE).tobytes() if p.layout else b"")
        if len(self._pending) >= 8192:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._lengths.append(np.fromiter(map(len, self._pending), dtype=np.int64, count=len(self._pending)))
            self._chunks.append(b"".join(self._pending))
            self._pending = []

    def __len__(self) -> int:
        return len(self._doc)

    def finish(self) -> PassageTable:
        self._flush()
        rows = self._doc_rows
        return PassageTable(
            text=StringTable.from_chunks(self._chunks, self._lengths),
            doc=np.asarray(self._doc, dtype=np.int32),
            num=np.asarray(self._num, dtype=np.int32),
            start=np.asarray(self._start, dtype=np.int64),
            end=np.asarray(self._end, dtype=np.int64),
            section=np.asarray(self._section, dtype=np.int32),
            page=np.asarray(self._page, dtype=np.int32),
            doc_id=StringTable.from_strings([r[0] for r in rows]),
            source=StringTable.from_strings([r[1] for r in rows]),
            title=StringTable.from_strings([r[2] for r in rows]),
            sections=StringTable.from_strings(list(self._sections)),
            layout=StringTable.from_chunks(
                [b"".join(self._layouts)],
                [np.fromiter(map(len, self._layouts), dtype=np.int64, count=len(self._layouts))],
            ),
        )
