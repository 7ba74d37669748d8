"""The TF-IDF index: passages, vocabulary, IDF and term-major postings.

`Index.fit` counts terms with scikit-learn's ``CountVectorizer`` over qa's own
analyzer (so the vocabulary and tokenisation are ours, not the default token
pattern), weights the counts with `BM25Transformer`, and stores the result
term-major: the postings of term ``t`` are ``indices[indptr[t]:indptr[t+1]]``
(passage numbers, ascending) with weights ``weights[...]``. A question touches
only its own terms' postings; nothing is recomputed per question.

Section headings and titles are indexed with the passage (a field boost: their
words count `heading_boost` times), because a FAQ's question line or a
section's heading often names what the body only implies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .chunking import Chunker
from .text import Analyzer, split_sentences
from .types import Passage

__all__ = ["Index", "IndexParams"]


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
    max_chars, min_chars : int
        Chunker settings (see `Chunker`).
    """

    k1: float = 1.2
    b: float = 0.75
    heading_boost: int = 1
    stem: bool = True
    stop_words: bool = True
    max_chars: int = 2000
    min_chars: int = 100

    def analyzer(self) -> Analyzer:
        return Analyzer(stem=self.stem, stop_words=self.stop_words)

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


def _token_sequences(passages, analyzer: Analyzer, words: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Term numbers of each passage's words in order, -1 between sentences."""
    seq: list[int] = []
    ptr = [0]
    for p in passages:
        for s, e in split_sentences(p.text):
            if len(seq) > ptr[-1]:
                seq.append(-1)
            seq.extend(words[w] for w, _, _ in analyzer.words(p.text[s:e]) if w in words)
        ptr.append(len(seq))
    return np.asarray(seq, dtype=np.int32), np.asarray(ptr, dtype=np.int64)


@dataclass(eq=False)
class Index:
    """A fitted index. Build with `Index.fit`, or load with `qa.store.load_index`.

    Attributes
    ----------
    params : IndexParams
    passages : tuple of Passage
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
        Corpus facts recorded at build time (root, fingerprint, document list, time).
    """

    params: IndexParams
    passages: tuple[Passage, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    words: dict[str, int]
    tokens: np.ndarray
    token_ptr: np.ndarray
    meta: dict = field(default_factory=dict)

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
    def fit(cls, passages, params: IndexParams | None = None, meta: dict | None = None) -> "Index":
        """Build an index over passages.

        Parameters
        ----------
        passages : sequence of Passage
        params : IndexParams, optional
        meta : dict, optional
            Stored as is (JSON-serialisable).
        """
        from sklearn.feature_extraction.text import CountVectorizer

        from .weighting import BM25Transformer  # scikit-learn is needed to build, not to search

        params = params or IndexParams()
        passages = tuple(passages)
        if not passages:
            raise ValueError("cannot index zero passages")
        analyzer = params.analyzer()
        surface: dict[str, str] = {}  # word -> stem, filled while analysing

        def analyze(text: str) -> list[str]:
            words = [w for w, _, _ in analyzer.words(text) if not analyzer.is_stop(w)]
            new = [w for w in set(words) if w not in surface]
            if new:
                surface.update(zip(new, analyzer.stem_words(new)))
            return [surface[w] for w in words]

        def field_text(p: Passage) -> str:
            extra = f"{p.title}\n{p.section}" if p.section != p.title else p.title
            return "\n".join([p.text] + [extra] * params.heading_boost)

        vectorizer = CountVectorizer(analyzer=analyze, dtype=np.float32)
        counts = vectorizer.fit_transform(field_text(p) for p in passages)
        if counts.shape[1] == 0:
            raise ValueError("empty vocabulary: the passages hold only stop words or punctuation")
        bm25 = BM25Transformer(k1=params.k1, b=params.b).fit(counts)
        weights = bm25.transform(counts).tocsc()
        weights.sort_indices()
        vocabulary = {t: int(i) for t, i in vectorizer.vocabulary_.items()}
        words = {w: vocabulary[s] for w, s in surface.items() if s in vocabulary}
        tokens, token_ptr = _token_sequences(passages, analyzer, words)
        return cls(
            params=params,
            passages=passages,
            vocabulary=vocabulary,
            idf=bm25.idf_.astype(np.float32),
            indptr=weights.indptr.astype(np.int64),
            indices=weights.indices.astype(np.int32),
            weights=weights.data.astype(np.float32),
            words=words,
            tokens=tokens,
            token_ptr=token_ptr,
            meta=dict(meta or {}),
        )

    @cached_property
    def doc_freq(self) -> np.ndarray:
        """Passages per term."""
        return np.diff(self.indptr)

    @cached_property
    def passage_doc(self) -> tuple[np.ndarray, tuple[str, ...]]:
        """(document number of each passage, document ids), for ranking documents."""
        ids: dict[str, int] = {}
        of = np.fromiter((ids.setdefault(p.doc_id, len(ids)) for p in self.passages), dtype=np.int32,
                         count=self.n_passages)
        return of, tuple(ids)

    @cached_property
    def speller(self):
        from .spelling import Speller

        return Speller(self.words, self.doc_freq)

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage numbers (ascending) and weights of one term."""
        s, e = int(self.indptr[term_id]), int(self.indptr[term_id + 1])
        return self.indices[s:e], self.weights[s:e]

    def matrix(self):
        """The passage-by-term weight matrix (a scipy CSC view of the postings)."""
        import scipy.sparse as sp

        return sp.csc_matrix((self.weights, self.indices, self.indptr), shape=(self.n_passages, self.n_terms))
