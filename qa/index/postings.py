"""The arrays ranking scores, as one value: `Postings`.

`qa.index.ranking` reads only these (never `qa.index.index.Index`), so the
index module may call into ranking without ranking knowing the index: one
index builds its `Postings` once (`Index.scoring`), a sharded index one per
shard and a small one over the feedback passages it gathers for expansion
(`Postings.of_tokens`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Postings"]

_EMPTY_INT = np.empty(0, dtype=np.int64)
_EMPTY_FLOAT = np.empty(0, dtype=np.float32)


@dataclass(frozen=True, eq=False)
class Postings:
    """Term-major postings, IDF and token sequences of one index (or shard), read-only.

    Attributes
    ----------
    indptr, indices, weights : ndarray
        The postings of term ``t`` are ``indices[indptr[t]:indptr[t+1]]`` (passage numbers,
        ascending) with BM25 weights ``weights[...]``.
    idf : ndarray
        IDF per term number.
    doc_freq : ndarray
        Passages per term number (in these postings).
    term_max : ndarray
        The largest weight of each term: the most it can add to a score.
    tokens, token_ptr : ndarray
        Passage ``i`` as term numbers is ``tokens[token_ptr[i]:token_ptr[i+1]]``, ``-1`` between
        sentences (the rerank and expansion read them).
    doc_of : ndarray
        The document number of each passage.
    n_documents : int
        Documents (a document holds at least one passage).
    n_passages, n_terms : int
        Passages and terms the numbers run over.
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    idf: np.ndarray
    doc_freq: np.ndarray
    term_max: np.ndarray
    tokens: np.ndarray
    token_ptr: np.ndarray
    doc_of: np.ndarray
    n_documents: int
    n_passages: int
    n_terms: int

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage numbers (ascending) and weights of one term."""
        s, e = int(self.indptr[term_id]), int(self.indptr[term_id + 1])
        return self.indices[s:e], self.weights[s:e]

    @classmethod
    def of_tokens(cls, tokens: np.ndarray, token_ptr: np.ndarray, n_terms: int) -> "Postings":
        """Token sequences alone, without postings: what `qa.index.ranking.expansion_weights` reads
        (a sharded index's feedback passages, gathered from their shards)."""
        return cls(
            indptr=np.zeros(1, dtype=np.int64),
            indices=_EMPTY_INT,
            weights=_EMPTY_FLOAT,
            idf=_EMPTY_FLOAT,
            doc_freq=_EMPTY_INT,
            term_max=_EMPTY_FLOAT,
            tokens=tokens,
            token_ptr=token_ptr,
            doc_of=_EMPTY_INT,
            n_documents=0,
            n_passages=int(token_ptr.size - 1),
            n_terms=n_terms,
        )
