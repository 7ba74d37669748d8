"""The TF-IDF index: passages, vocabulary, IDF and term-major postings.

`Index.fit` streams passages through qa's own tokenizer in batches (so the
vocabulary and tokenisation are ours, not scikit-learn's default token
pattern, and memory stays bounded), counts (passage, term) pairs with numpy,
weights the counts with `BM25Transformer` (a scikit-learn transformer), and
stores the result
term-major: the postings of term ``t`` are ``indices[indptr[t]:indptr[t+1]]``
(passage numbers, ascending) with weights ``weights[...]``. A question touches
only its own terms' postings; nothing is recomputed per question.

Section headings and titles are indexed with the passage (a field boost: their
words count `heading_boost` times), because a FAQ's question line or a
section's heading often names what the body only implies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import QAError, positive_int
from ..ingest.chunking import Chunker
from ..text import CHINESE_MODES, INDEX_TOKEN_ASCII_RE, INDEX_TOKEN_RE, SENTENCE_END_CHARS, Analyzer, has_han
from ..types import DocumentHeadings, Passage, Query
from . import ranking
from .passages import PassageTable, PassageTableBuilder, StringTable
from .postings import Postings

__all__ = ["Index", "IndexParams"]

_HEADING_CACHE = 100_000  # headings whose terms are kept between batches
PARALLEL_BATCHES = 4  # `Index.fit` starts worker processes for a corpus of at least this many batches


@dataclass(frozen=True, slots=True)
class IndexParams:
    """Everything that decides the index's numbers; saved with it.

    Parameters
    ----------
    k1, b : float
        BM25 saturation and length normalisation (see `BM25Transformer`).
    heading_boost : int
        How many times a passage's section heading and document title are counted
        with its text (0 leaves them out).
    stem, stop_words : bool
        Analyzer settings (see `Analyzer`).
    chinese : {"search_chars", "search", "words", "bigrams"}
        How runs of Han characters are cut into words (see `qa.text.segment`).
    max_chars, min_chars : int
        Chunker settings (see `Chunker`).
    """

    k1: float = 1.2
    b: float = 0.75
    heading_boost: int = 1
    stem: bool = True
    stop_words: bool = True
    chinese: str = "search_chars"
    max_chars: int = 2000
    min_chars: int = 100

    def __post_init__(self):
        if self.chinese not in CHINESE_MODES:
            raise ValueError(f"chinese must be one of {CHINESE_MODES}, not {self.chinese!r}")

    def analyzer(self) -> Analyzer:
        return Analyzer(stem=self.stem, stop_words=self.stop_words, chinese=self.chinese)

    def chunker(self) -> Chunker:
        return Chunker(max_chars=self.max_chars, min_chars=self.min_chars)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict) -> "IndexParams":
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown index parameters: {sorted(unknown)}")
        return cls(**d)


class _Builder:
    """Streams passages into counts, token sequences and a passage table, a batch at a time.

    Tokenising is the slow part of indexing, so it is done with as few Python
    steps per word as possible: one ``re.findall`` per passage, one ``lower()``
    per batch (on the words joined), and one dictionary lookup per word through
    ``map``, which also numbers a word not seen before (`_Numbering`). Each
    distinct word is classified once (sentence end, stop word, or a term via the
    stemmer), and everything after that is numpy.
    """

    def __init__(self, params: IndexParams):
        self.params = params
        self.analyzer = params.analyzer()
        self.surface = _Numbering()  # token -> surface id
        self.term_of = np.empty(0, dtype=np.int32)  # surface id -> term id, -1 sentence end, -2 stop word
        self.stems: dict[str, int] = {}  # term -> term id
        self.headings: dict[tuple[str, str], np.ndarray] = {}
        self.table = PassageTableBuilder()
        self.csr: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # per batch: rows, cols, counts
        self.seq: list[np.ndarray] = []
        self.seq_len: list[np.ndarray] = []
        self.n = 0
        self.fresh: list[str] | None = None  # a worker's words new since its last batch (`qa.index.parallel`)

    def _number(self, tokens) -> np.ndarray:
        """The surface ids of `tokens`; words not seen before are numbered and classified, in
        the order first met."""
        surface = self.surface
        surface.new = new = []
        try:
            ids = np.fromiter(map(surface.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        finally:
            surface.new = None
        if new:
            self._classify(new)
        return ids

    def _classify(self, new: list[str]) -> None:
        """Classify words just numbered (the last ``len(new)`` surface ids, in order): a sentence
        end (-1), a stop word (-2) or a term, numbered on first sight."""
        if self.fresh is not None:
            self.fresh.extend(new)
        kinds = np.full(len(new), -2, dtype=np.int32)
        words = [(i, t) for i, t in enumerate(new) if t[0] not in SENTENCE_END_CHARS and not self.analyzer.is_stop(t)]
        for i, t in enumerate(new):
            if t[0] in SENTENCE_END_CHARS:
                kinds[i] = -1
        if words:
            stems = self.analyzer.stem_words([t for _, t in words])
            for (i, _), stem in zip(words, stems):
                kinds[i] = self.stems.setdefault(stem, len(self.stems))
        self.term_of = np.concatenate([self.term_of, kinds])

    def _heading_terms(self, batch: list[Passage]) -> list[np.ndarray]:
        """Each passage's heading terms (title and section words, `heading_boost` times).

        The headings not seen before are classified together, in passage order, so their new
        words get the numbers one call per heading would give them, in one pass instead of one
        per passage (most documents have a heading of their own)."""
        fresh: dict[tuple[str, str], list[str]] = {}
        for p in batch:
            key = (p.title, p.section)
            if key not in self.headings and key not in fresh:
                text = f"{p.title}\n{p.section}" if p.section != p.title else p.title
                fresh[key] = [w for w, _, _ in self.analyzer.words(text)]
        if fresh:
            toks = [t for ts in fresh.values() for t in ts]
            numbers = self._number(toks)  # first: it extends term_of
            ids = self.term_of[numbers]
            keep = ids >= 0
            ends = np.cumsum(np.fromiter(map(len, fresh.values()), dtype=np.int64, count=len(fresh)))
            kept_ends = np.concatenate([[0], np.cumsum(keep)])[ends]
            parts = np.split(ids[keep], kept_ends[:-1])
            new = {key: np.tile(part, self.params.heading_boost) for key, part in zip(fresh, parts)}
        else:
            new = {}
        old = self.headings
        out = [new[key] if key in new else old[key] for key in ((p.title, p.section) for p in batch)]
        if len(old) + len(new) > _HEADING_CACHE:  # only speed rides on the cache: bound its memory
            old.clear()
        old.update(new)
        return out

    def add_batch(self, batch: list[Passage]) -> None:
        """Tokenise and count a batch of passages and add them to the passage table."""
        for p in batch:
            self.table.add(p)
        self._append(self.count_batch(batch))

    def _append(self, counted: tuple) -> None:
        per_row, cols, counts, seq, seq_len = counted
        self.csr.append((per_row, cols, counts))
        self.seq.append(seq)
        self.seq_len.append(seq_len)
        self.n += per_row.size

    def count_batch(self, batch) -> tuple[np.ndarray, ...]:
        """A batch's counts and token sequences, in this builder's term numbers.

        Parameters
        ----------
        batch : sequence of Passage
            Only ``text``, ``title`` and ``section`` are read.

        Returns
        -------
        per_row, cols, counts : ndarray
            The batch's (passage, term) counts, row-major: entries per passage, term numbers,
            counts.
        seq, seq_len : ndarray
            The passages' token sequences (see `Index.tokens`) and their lengths.
        """
        findall, findall_ascii = INDEX_TOKEN_RE.findall, INDEX_TOKEN_ASCII_RE.findall
        tokens: list[str] = []
        lengths = np.empty(len(batch), dtype=np.int64)
        heads = self._heading_terms(batch) if self.params.heading_boost else []
        for i, p in enumerate(batch):
            if p.text.isascii():
                found = findall_ascii(p.text)
            else:
                found = findall(p.text)
                if has_han(p.text):
                    found = self.analyzer.split_han(found)
            tokens.extend(found)
            lengths[i] = len(found)
        if tokens:
            tokens = "\x00".join(tokens).lower().replace("\u2019", "'").split("\x00")
        numbers = self._number(tokens)  # first: it extends term_of
        terms = self.term_of[numbers]
        owner = np.repeat(np.arange(len(batch), dtype=np.int64), lengths)
        # Token sequences for the rerank: terms, and -1 between sentences (no repeats, none at the edges).
        keep = terms != -2
        t, o = terms[keep], owner[keep]
        end = t == -1
        first = np.ones(t.size, dtype=bool)
        first[1:] = o[1:] != o[:-1]
        last = np.ones(t.size, dtype=bool)
        last[:-1] = o[1:] != o[:-1]
        prev_end = np.zeros(t.size, dtype=bool)
        prev_end[1:] = end[:-1]
        drop = end & (first | last | prev_end)
        seq, seq_len = t[~drop], np.bincount(o[~drop], minlength=len(batch))
        # Counts of (passage, term), body and headings together.
        words = terms >= 0
        rows, cols = owner[words], terms[words].astype(np.int64)
        if heads:
            head_len = np.fromiter(map(len, heads), dtype=np.int64, count=len(heads))
            rows = np.concatenate([rows, np.repeat(np.arange(len(batch), dtype=np.int64), head_len)])
            cols = np.concatenate([cols, np.concatenate(heads).astype(np.int64) if head_len.sum() else cols[:0]])
        code, counts = np.unique(rows << 32 | cols, return_counts=True)
        per_row = np.bincount(code >> 32, minlength=len(batch))
        return per_row, (code & 0xFFFFFFFF).astype(np.int32), counts.astype(np.float32), seq, seq_len

    def term_major(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The counts as term-major postings ``(tf, passages, indptr)``, passages ascending within
        each term, built batch by batch into preallocated arrays (a counting sort): unlike a CSR
        matrix turned into CSC, there is never a second full copy of the counts in memory."""
        n_terms = len(self.stems)
        df = np.zeros(n_terms, dtype=np.int64)
        for _, cols, _ in self.csr:
            df += np.bincount(cols, minlength=n_terms)
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        tf = np.empty(indptr[-1], dtype=np.float32)
        passages = np.empty(indptr[-1], dtype=np.int32)
        cursor = indptr[:-1].copy()
        first_row = 0
        self.csr.reverse()
        while self.csr:  # batches in passage order, so each term's passages stay ascending
            per_row, cols, data = self.csr.pop()
            rows = np.repeat(np.arange(first_row, first_row + per_row.size, dtype=np.int32), per_row)
            order = np.argsort(cols, kind="stable")
            cols_sorted = cols[order]
            start = np.searchsorted(cols_sorted, cols_sorted, side="left")
            dest = cursor[cols_sorted] + (np.arange(cols_sorted.size) - start)
            tf[dest] = data[order]
            passages[dest] = rows[order]
            cursor += np.bincount(cols, minlength=n_terms)
            first_row += per_row.size
        return tf, passages, indptr

    def sequences(self) -> tuple[np.ndarray, np.ndarray]:
        seq = _drain(self.seq, np.int32)
        token_ptr = np.zeros(self.n + 1, dtype=np.int64)
        if self.seq_len:
            np.cumsum(np.concatenate(self.seq_len), out=token_ptr[1:])
        return seq, token_ptr

    def words(self) -> dict[str, int]:
        return {w: int(self.term_of[i]) for w, i in self.surface.items() if self.term_of[i] >= 0}

    def finish(self, meta: dict | None) -> "Index":
        if self.n == 0:
            raise ValueError("cannot index zero passages")
        if not self.stems:
            raise ValueError("empty vocabulary: the passages hold only stop words or punctuation")
        # The passage table and the token sequences are finished on a thread while the postings are
        # built here: numpy releases the GIL in both, and this is a build's serial end.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            side = pool.submit(lambda: (self.table.finish(), self.sequences()))
            tf, passages, indptr = self.term_major()
            table, (tokens, token_ptr) = side.result()
        return _weighed(
            self.params,
            tf,
            passages,
            indptr,
            table,
            dict(self.stems),
            self.words(),
            tokens,
            token_ptr,
            dict(meta or {}),
        )

    @classmethod
    def continuing(cls, index: "Index") -> "_Builder":
        """A builder whose term and word numbers carry on from an existing index's."""
        b = cls(index.params)
        b.stems = dict(index.vocabulary)
        b.surface = _Numbering((w, i) for i, w in enumerate(index.words))
        b.term_of = np.fromiter(index.words.values(), dtype=np.int32, count=len(index.words))
        return b


class _Numbering(dict):
    """Word -> number; while `new` is a list, looking up an unknown word numbers it (the next
    number) and appends it to `new`, so one ``map`` over a batch's words both looks them up and
    finds the new ones, in the order first met. Otherwise an unknown word is a KeyError."""

    new: list[str] | None = None

    def __missing__(self, word: str) -> int:
        if self.new is None:
            raise KeyError(word)
        number = self[word] = len(self)
        self.new.append(word)
        return number


def _batches(passages, size: int):
    """`passages` as lists of `size` (the last one shorter)."""
    batch: list[Passage] = []
    for p in passages:
        batch.append(p)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _drain(parts: list, dtype) -> np.ndarray:
    """Concatenate arrays into one, releasing each part as it is copied (the list is emptied),
    so building a million-passage index never holds two full copies."""
    out = np.empty(sum(p.size for p in parts), dtype=dtype)
    at = 0
    parts.reverse()
    while parts:
        p = parts.pop()
        out[at : at + p.size] = p
        at += p.size
    return out


def _weighed(params, tf, indices, indptr, passages, vocabulary, words, tokens, token_ptr, meta) -> "Index":
    """An Index from term-major counts: BM25 weights (and IDF) computed from them, exactly as a
    fresh build computes them, so an index updated in place scores like one built from scratch."""
    import scipy.sparse as sp

    from .weighting import BM25Transformer  # scikit-learn is needed to build, not to search

    counts = sp.csc_matrix((tf, indices, indptr), shape=(len(passages), len(vocabulary)))
    bm25 = BM25Transformer(k1=params.k1, b=params.b).fit(counts)
    weights = bm25.transform(counts)
    return Index(
        params=params,
        passages=passages,
        vocabulary=vocabulary,
        idf=bm25.idf_.astype(np.float32),
        indptr=np.asarray(indptr, dtype=np.int64),
        indices=np.asarray(indices, dtype=np.int32),
        weights=weights.data.astype(np.float32, copy=False),
        words=words,
        tokens=tokens,
        token_ptr=token_ptr,
        meta=meta,
        tf=np.asarray(tf, dtype=np.float32),
    )


def gather_ragged(data: np.ndarray, ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The slices ``data[ptr[r]:ptr[r+1]]`` of the given rows, concatenated, and their new offsets."""
    lengths = (ptr[1:] - ptr[:-1])[rows]
    new_ptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_ptr[1:])
    starts = np.repeat(ptr[:-1][rows] - new_ptr[:-1], lengths)
    return data[starts + np.arange(new_ptr[-1])], new_ptr


@dataclass(eq=False)
class Index:
    """A fitted index. Build with `Index.fit`, or load with `qa.index.folders.load_index`.

    Attributes
    ----------
    params : IndexParams
    passages : PassageTable
        A sequence of `Passage`, stored by column (`qa.index.passages`).
    vocabulary : dict of str to int
        Term -> column number.
    idf : ndarray of float32, shape (n_terms,)
    indptr, indices, weights : ndarray
        Term-major postings (CSC of the passage-by-term weight matrix).
    words : dict of str to int
        Every surface word seen (lowercased, not stemmed) -> its term number;
        used to correct misspelt question words.
    tokens, token_ptr : ndarray
        Each passage's text as term numbers in reading order (stop words
        dropped), ``-1`` between sentences: passage ``i`` is
        ``tokens[token_ptr[i]:token_ptr[i+1]]``. Used to rerank the best
        candidates by sentence and phrase matches and for query expansion.
    meta : dict
        Corpus facts recorded at build time (root, fingerprint, time). Read it, never change it in
        place: `with_meta`, `add` and `remove` return new indexes (another caller may hold this one).
    tf : ndarray of float32
        The term counts behind `weights` (same layout), kept so documents can be
        added or removed without re-reading the others (`add`, `remove`).
    """

    params: IndexParams
    passages: PassageTable
    vocabulary: dict[str, int]
    idf: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    words: dict[str, int]
    tokens: np.ndarray
    token_ptr: np.ndarray
    meta: dict = field(default_factory=dict)
    tf: np.ndarray | None = None
    _term_max: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_passages(self) -> int:
        return len(self.passages)

    @property
    def n_terms(self) -> int:
        return len(self.vocabulary)

    @property
    def analyzer(self) -> Analyzer:
        return self.params.analyzer()

    @classmethod
    def fit(
        cls,
        passages,
        params: IndexParams | None = None,
        meta: dict | None = None,
        batch_size: int = 5_000,
        jobs: int = 1,
    ) -> "Index":
        """Build an index over passages, streaming them in batches.

        Parameters
        ----------
        passages : iterable of Passage
            Read once, in order; may be a generator.
        params : IndexParams, optional
        meta : dict, optional
            Stored as is (JSON-serialisable).
        batch_size : int, default=5000
            Passages tokenised at a time: bounds the memory of the Python-level
            token lists, whatever the corpus size.
        jobs : int, default=1
            Processes to tokenise on: with more than one, batches are counted on
            ``jobs`` worker processes (`qa.index.parallel`) and the index is the
            same, array by array. A corpus of fewer than `PARALLEL_BATCHES`
            batches is built in this process all the same (starting workers
            would cost more than it saves).
        """
        positive_int(jobs, "jobs")
        positive_int(batch_size, "batch_size")
        builder = _Builder(params or IndexParams())
        batches = _batches(passages, batch_size)
        if jobs == 1:
            for batch in batches:
                builder.add_batch(batch)
            return builder.finish(meta)
        first = []  # read ahead: a small corpus is not worth starting workers for
        for batch in batches:
            first.append(batch)
            if len(first) == PARALLEL_BATCHES:
                break
        if len(first) < PARALLEL_BATCHES:
            for batch in first:
                builder.add_batch(batch)
            return builder.finish(meta)
        from itertools import chain

        from .parallel import fit_parallel

        fit_parallel(chain(first, batches), builder, jobs)
        return builder.finish(meta)

    def add(self, passages, meta: dict | None = None) -> "Index":
        """A new index with `passages` appended: only they are tokenised.

        Every weight is recomputed from the stored counts, so the result scores
        exactly like `Index.fit` over all the passages. Passages that repeat one
        already indexed (case and spacing aside) are skipped, as in a fresh build.
        """
        from ..ingest.chunking import passage_key

        builder = _Builder.continuing(self)
        seen = {passage_key(self.passages.text[i]) for i in range(self.n_passages)}
        batch: list[Passage] = []
        for p in passages:
            key = passage_key(p.text)
            if key in seen:
                continue
            seen.add(key)
            batch.append(p)
            if len(batch) == 5_000:
                builder.add_batch(batch)
                batch = []
        if batch:
            builder.add_batch(batch)
        if builder.n == 0:  # nothing new: the same index, as a new object
            return self.with_meta(**(meta or {}))
        import scipy.sparse as sp

        new_tf, new_rows, new_ptr = builder.term_major()
        n_terms = len(builder.stems)
        new = sp.csc_matrix((new_tf, new_rows, new_ptr), shape=(builder.n, n_terms))
        old_ptr = np.concatenate([self.indptr, np.full(n_terms - self.n_terms, self.indptr[-1])])
        old_len, new_len = np.diff(old_ptr), np.diff(new.indptr)
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(old_len + new_len, out=indptr[1:])
        # Each term's postings: its old passages, then the new ones (numbered after the old).
        old_term = np.repeat(np.arange(n_terms), old_len)
        new_term = np.repeat(np.arange(n_terms), new_len)
        old_dest = indptr[old_term] + (np.arange(old_term.size) - old_ptr[old_term])
        new_dest = indptr[new_term] + old_len[new_term] + (np.arange(new_term.size) - new.indptr[new_term])
        indices = np.empty(indptr[-1], dtype=np.int32)
        tf = np.empty(indptr[-1], dtype=np.float32)
        indices[old_dest], tf[old_dest] = self.indices, self._counts()
        indices[new_dest], tf[new_dest] = new.indices + self.n_passages, new.data
        tokens, token_ptr = builder.sequences()
        return _weighed(
            self.params,
            tf,
            indices,
            indptr,
            self.passages.concat(builder.table.finish()),
            dict(builder.stems),
            builder.words(),
            np.concatenate([self.tokens, tokens]),
            np.concatenate([self.token_ptr, token_ptr[1:] + self.token_ptr[-1]]),
            {**self.meta, **(meta or {})},
        )

    def remove(self, doc_ids, meta: dict | None = None) -> "Index":
        """A new index without the passages of the given documents; weights recomputed as in `add`.

        Terms no remaining passage holds leave the vocabulary, as they would in a fresh build.
        """
        doc_ids = set(doc_ids)
        numbers = np.array(
            [d for d in range(self.passages.n_documents) if self.passages.doc_id[d] in doc_ids], dtype=np.int64
        )
        keep = ~np.isin(self.passages.doc, numbers)
        if keep.all():
            return self.with_meta(**(meta or {}))
        if not keep.any():
            raise ValueError("removing these documents would leave the index empty")
        new_row = np.cumsum(keep) - 1
        entry_keep = keep[self.indices]
        term_of_entry = np.repeat(np.arange(self.n_terms), np.diff(self.indptr))[entry_keep]
        df = np.bincount(term_of_entry, minlength=self.n_terms)
        live = df > 0
        new_term = np.cumsum(live) - 1
        indptr = np.zeros(int(live.sum()) + 1, dtype=np.int64)
        np.cumsum(df[live], out=indptr[1:])
        terms = [None] * int(live.sum())
        for t, i in self.vocabulary.items():
            if live[i]:
                terms[new_term[i]] = t
        rows = np.flatnonzero(keep)
        tokens, token_ptr = gather_ragged(np.asarray(self.tokens), np.asarray(self.token_ptr), rows)
        tokens = np.where(tokens >= 0, new_term[np.maximum(tokens, 0)], -1).astype(np.int32)
        return _weighed(
            self.params,
            self._counts()[entry_keep],
            new_row[self.indices[entry_keep]].astype(np.int32),
            indptr,
            self.passages.select(rows),
            {t: i for i, t in enumerate(terms)},
            {w: int(new_term[i]) for w, i in self.words.items() if live[i]},
            tokens,
            token_ptr,
            {**self.meta, **(meta or {})},
        )

    def with_meta(self, **changes) -> "Index":
        """A new index with the same arrays and ``{**meta, **changes}`` as its meta: indexes are
        values, so a caller holding this one never sees its meta change."""
        return dataclasses.replace(self, meta={**self.meta, **changes})

    def _counts(self) -> np.ndarray:
        if self.tf is None:
            raise ValueError("this index keeps no term counts (built by an older qa); rebuild it to update it")
        return np.asarray(self.tf)

    @cached_property
    def term_max(self) -> np.ndarray:
        """The largest weight of each term in any passage: the most it can add to a score."""
        if self._term_max is not None:
            return self._term_max
        return np.maximum.reduceat(self.weights, self.indptr[:-1]) if self.weights.size else np.zeros(0, np.float32)

    @cached_property
    def doc_freq(self) -> np.ndarray:
        """Passages per term."""
        return np.diff(self.indptr)

    @property
    def passage_doc(self) -> tuple[np.ndarray, "StringTable"]:
        """(document number of each passage, document ids), for ranking documents."""
        return self.passages.doc, self.passages.doc_id

    @cached_property
    def speller(self):
        from .spelling import Speller

        return Speller(self.words, self.doc_freq)

    @cached_property
    def scoring(self) -> Postings:
        """The arrays ranking scores (`qa.index.ranking` reads these, never the index)."""
        return Postings(
            indptr=self.indptr,
            indices=self.indices,
            weights=self.weights,
            idf=self.idf,
            doc_freq=self.doc_freq,
            term_max=self.term_max,
            tokens=self.tokens,
            token_ptr=self.token_ptr,
            doc_of=self.passages.doc,
            n_documents=len(self.passages.doc_id),
            n_passages=self.n_passages,
            n_terms=self.n_terms,
        )

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage numbers (ascending) and weights of one term."""
        s, e = int(self.indptr[term_id]), int(self.indptr[term_id + 1])
        return self.indices[s:e], self.weights[s:e]

    # -- the rest of `qa.index.protocol.SearchIndex` (what search and the summary ask of any index) --

    def ranked(
        self, query: Query, expand: bool = False, depth: int | None = None, documents: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Matching passages and their final scores (`qa.index.ranking.ranked`)."""
        return ranking.ranked(self.scoring, query, expand, depth, documents)

    def matched(self, query: Query, passage_ids: np.ndarray) -> list[list[int]]:
        """For each passage, which of the query's terms it holds (`qa.index.ranking.matched`)."""
        return ranking.matched(self.scoring, query, passage_ids)

    def document_headings(self, max_passages: int, max_headings: int) -> list[DocumentHeadings]:
        """The documents of the first `max_passages` passages with the headings they use
        (`qa.index.passages.PassageTable.document_headings`)."""
        return self.passages.document_headings(max_passages, max_headings)

    def connect(self, scheduler: str, *, optional: bool = False) -> "Index":
        """One index is searched in this process: a scheduler is refused unless `optional`."""
        if not optional:
            raise QAError("--scheduler needs a sharded index (qa index ... --shards N)")
        return self

    def close(self) -> None:
        """Nothing to release."""

    def check_updatable(self) -> None:
        """One index can always be updated (`add`, `remove`)."""

    def matrix(self):
        """The passage-by-term weight matrix (a scipy CSC view of the postings)."""
        import scipy.sparse as sp

        return sp.csc_matrix((self.weights, self.indices, self.indptr), shape=(self.n_passages, self.n_terms))
