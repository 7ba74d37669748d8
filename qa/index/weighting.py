"""Term weighting: a scikit-learn transformer from term counts to BM25-style TF-IDF.

For a passage ``d`` and term ``t`` with count ``tf`` the weight is::

    w(t, d) = idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avglen))
    idf(t)  = log(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

(Robertson-Sparck Jones IDF with Lucene's ``1 +`` so it is never negative.)
The saturating TF stops one repeated word from dominating, and the length
term stops long passages from winning by size alone. A question's score for a
passage is the sum of ``w(t, d)`` over the question's distinct terms, so each
score is a plain sparse product, explainable term by term.

Why not scikit-learn's default ``TfidfVectorizer`` (raw TF, smooth IDF, L2
norm)? On Cranfield it scores 0.334 nDCG@10; this weighting with the same
analyzer scores higher (see docs/design.md, "Retrieval choices", and ``qa eval``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .ranking import bm25_idf  # the formula is written once, where searching needs no scikit-learn

__all__ = ["BM25Transformer", "bm25_idf"]


class BM25Transformer(TransformerMixin, BaseEstimator):
    """Turn a passage-by-term count matrix into BM25 weights.

    Parameters
    ----------
    k1 : float, default=1.2
        Term-frequency saturation: 0 makes TF binary; large values approach raw TF.
    b : float, default=0.75
        Length normalisation: 0 ignores passage length, 1 divides fully by it.

    Attributes
    ----------
    idf_ : ndarray of shape (n_terms,)
    avglen_ : float
        Mean passage length in terms, learnt at `fit`.
    n_docs_ : int

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> X = sp.csr_matrix([[2, 0], [1, 1]])
    >>> W = BM25Transformer().fit_transform(X)
    >>> W.shape, bool(W[0, 0] > W[1, 0])
    ((2, 2), True)
    """

    def __init__(self, *, k1: float = 1.2, b: float = 0.75):
        self.k1 = k1
        self.b = b

    def _validate(self):
        if not (isinstance(self.k1, (int, float)) and self.k1 >= 0):
            raise ValueError(f"k1 must be a number >= 0, got {self.k1!r}")
        if not (isinstance(self.b, (int, float)) and 0 <= self.b <= 1):
            raise ValueError(f"b must be a number in [0, 1], got {self.b!r}")

    @staticmethod
    def _counts(X):
        """`X` as CSR (or CSC, if given CSC) with duplicate entries summed and no stored zeros,
        copied only if that needs a change."""
        X = sp.csc_matrix(X) if sp.issparse(X) and X.format == "csc" else sp.csr_matrix(X)
        if X.dtype.kind not in "fiu":
            X = X.astype(np.float64)
        if X.has_canonical_format and (X.data != 0).all():
            return X  # read-only from here on: no copy of a large, clean count matrix
        X = X.copy()
        X.sum_duplicates()
        X.eliminate_zeros()  # a stored zero is not an occurrence
        return X

    def fit(self, X, y=None):
        """Learn IDF and mean length from a count matrix of shape (n_passages, n_terms)."""
        self._validate()
        X = self._counts(X)
        n_docs = X.shape[0]
        df = np.diff(X.indptr) if X.format == "csc" else np.bincount(X.indices, minlength=X.shape[1])
        self.idf_ = bm25_idf(df, n_docs)
        lengths = _row_sums(X)
        self.avglen_ = float(lengths.mean()) if n_docs else 0.0
        self.n_docs_ = n_docs
        return self

    @classmethod
    def from_statistics(cls, *, idf, avglen: float, n_docs: int, k1: float = 1.2, b: float = 0.75):
        """A transformer fitted on statistics gathered elsewhere (a sharded build's global IDF,
        mean length and passage count), as `fit` on the whole corpus would have learnt them."""
        bm25 = cls(k1=k1, b=b)
        bm25._validate()
        bm25.idf_, bm25.avglen_, bm25.n_docs_ = idf, avglen, n_docs
        return bm25

    def transform(self, X):
        """Weight a count matrix; rows are passages. Returns float32 in the same layout (CSR, or CSC
        if given CSC), sharing the input's index arrays."""
        check_is_fitted(self, "idf_", msg="BM25Transformer is not fitted: call fit with the corpus counts first")
        X = self._counts(X)
        if X.shape[1] != self.idf_.shape[0]:
            raise ValueError(f"X has {X.shape[1]} terms, but this BM25Transformer was fitted on {self.idf_.shape[0]}")
        lengths = _row_sums(X)
        norm = (self.k1 * (1 - self.b + self.b * lengths / max(self.avglen_, 1e-9))).astype(np.float32)
        tf = X.data.astype(np.float32, copy=False)
        tf_sat = tf * np.float32(self.k1 + 1)
        idf = self.idf_.astype(np.float32)
        # In place, one temporary at a time: at a million passages each is hundreds of MB.
        if X.format == "csc":  # entries run term by term: rows are the indices
            for a in range(0, tf.size, _BLOCK):  # in blocks: temporaries stay small however large X is
                b = min(a + _BLOCK, tf.size)
                denominator = norm[X.indices[a:b]]
                denominator += tf[a:b]
                tf_sat[a:b] /= denominator
            terms = np.searchsorted(X.indptr, np.arange(0, tf.size, _BLOCK), side="right") - 1
            for a, t in zip(range(0, tf.size, _BLOCK), terms):
                b = min(a + _BLOCK, tf.size)
                t_end = np.searchsorted(X.indptr, b, side="left")
                block_terms = np.repeat(np.arange(t, t_end), np.diff(np.clip(X.indptr[t : t_end + 1], a, b)))
                tf_sat[a:b] *= idf[block_terms]
            return sp.csc_matrix((tf_sat, X.indices, X.indptr), shape=X.shape)
        denominator = np.repeat(norm, np.diff(X.indptr))
        denominator += tf
        tf_sat /= denominator
        del denominator
        tf_sat *= idf[X.indices]
        # The result shares the count matrix's structure; only the values are new (float32).
        return sp.csr_matrix((tf_sat, X.indices, X.indptr), shape=X.shape)


_BLOCK = 1 << 22  # entries weighted at a time


def _row_sums(X) -> np.ndarray:
    """Passage lengths (row sums) of a CSR or CSC count matrix, in float64."""
    if X.format == "csc":  # in blocks: bincount would otherwise copy all the counts to float64
        lengths = np.zeros(X.shape[0], dtype=np.float64)
        for a in range(0, X.data.size, _BLOCK):
            lengths += np.bincount(X.indices[a : a + _BLOCK], weights=X.data[a : a + _BLOCK], minlength=X.shape[0])
        return lengths
    return np.asarray(X.sum(axis=1, dtype=np.float64)).ravel()
