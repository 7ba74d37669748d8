"""What the rest of qa may ask of an index, whichever kind it is.

`SearchIndex` is the one interface `qa.answering` (search, the summary,
suggestions) and `qa.serve` (the page, the API, the command line) use. Two
classes satisfy it: `qa.index.index.Index` (one index) and
`qa.index.sharded.ShardedIndex` (shards that answer as one). Which one is chosen
once, when a folder is opened (`qa.index.folders.load_index`); after that no
module asks which kind it holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from ..types import DocumentHeadings, Query

__all__ = ["SearchIndex"]


@runtime_checkable
class SearchIndex(Protocol):
    """An index as search and the summary see it.

    Attributes
    ----------
    params : IndexParams
        How it was built (the analyzer and chunker are made from them).
    vocabulary : mapping of str to int
        Term -> term number.
    words : mapping of str to int
        Surface word -> term number (for spelling correction).
    idf, doc_freq : ndarray
        Per term number.
    passages : sequence
        Passages by (global) passage number, with the column views of `qa.index.passages`.
    meta : dict
        Corpus facts (root, counts, where it was loaded from). Read it; do not change it in place.
    """

    params: object
    vocabulary: Mapping[str, int]
    words: Mapping[str, int]
    idf: np.ndarray
    passages: Sequence
    meta: dict

    @property
    def n_passages(self) -> int: ...

    @property
    def n_terms(self) -> int: ...

    @property
    def doc_freq(self) -> np.ndarray: ...

    @property
    def analyzer(self): ...

    @property
    def speller(self): ...

    @property
    def passage_doc(self) -> tuple[np.ndarray, Sequence[str]]: ...

    def ranked(
        self, query: Query, expand: bool = False, depth: int | None = None, documents: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Matching passages and their final scores (`qa.index.ranking.ranked`): with `depth`, at
        least the best `depth` passages; with `documents`, at least what ranks the best `documents`
        documents by their best passage."""

    def matched(self, query: Query, passage_ids: np.ndarray) -> list[list[int]]:
        """For each passage, which of the query's terms (by position in the query) it holds."""

    def document_headings(self, max_passages: int, max_headings: int) -> list[DocumentHeadings]:
        """The documents of the first `max_passages` passages, in index order, each with the distinct
        section headings those passages use (`qa.answering.suggest` makes example questions of them);
        at most `max_headings` (document, heading) pairs are read (in each shard of a sharded index)."""

    def connect(self, scheduler: str, *, optional: bool = False) -> "SearchIndex":
        """Score on the workers of a Dask scheduler (sharded indexes); one index raises `QAError`
        unless `optional`."""

    def close(self) -> None:
        """Release what `connect` took."""

    def with_meta(self, **changes) -> "SearchIndex":
        """A new index of the same kind and data with ``{**meta, **changes}`` as its meta."""

    def check_updatable(self) -> None:
        """Raise `IndexFormatError` if documents cannot be added or removed (`qa.index.build.update_index`)."""
