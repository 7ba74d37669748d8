"""qa.weighting and qa.index: BM25 weights against a dense reference, and the term-major postings."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer

from qa.index.index import Index, IndexParams
from qa.types import Passage
from qa.index.weighting import BM25Transformer, bm25_idf

# Rows are passages, columns terms. Term 3 occurs everywhere, term 4 nowhere.
COUNTS = np.array(
    [
        [2, 0, 1, 1, 0],
        [0, 3, 0, 1, 0],
        [1, 1, 0, 4, 0],
        [0, 0, 0, 1, 0],
    ],
    dtype=np.float64,
)

TEXTS = [
    "Medical insurance is paid by the new unit after you change jobs.",
    "Pay social security fees yourself at the social security center.",
    "The medical insurance card buys medicine in pharmacies.",
    "Flexible employees pay insurance under the rules for flexible employees.",
]


def bm25_reference(counts: np.ndarray, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """The documented formula, one cell at a time, with no sparse tricks."""
    n_docs, n_terms = counts.shape
    lengths = counts.sum(axis=1)
    avglen = lengths.mean()
    out = np.zeros_like(counts, dtype=np.float64)
    for t in range(n_terms):
        df = np.count_nonzero(counts[:, t])
        idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        for d in range(n_docs):
            tf = counts[d, t]
            if tf:
                out[d, t] = idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[d] / avglen))
    return out


def passages_of(texts, sections=None, title="") -> tuple[Passage, ...]:
    sections = sections or [""] * len(texts)
    out, pos = [], 0
    for i, (t, sec) in enumerate(zip(texts, sections)):
        out.append(Passage(f"d#{i}", "d", "d", title, sec, pos, pos + len(t), t))
        pos += len(t) + 2
    return tuple(out)


# --- BM25Transformer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("k1, b", [(1.2, 0.75), (0.0, 0.75), (2.0, 0.0), (0.9, 1.0), (100.0, 0.5)])
@pytest.mark.parametrize("as_sparse", [True, False])
def test_bm25_matches_the_dense_reference(k1, b, as_sparse):
    X = sp.csr_matrix(COUNTS) if as_sparse else COUNTS
    W = BM25Transformer(k1=k1, b=b).fit_transform(X)
    assert sp.issparse(W) and W.dtype == np.float32
    np.testing.assert_allclose(W.toarray(), bm25_reference(COUNTS, k1, b), rtol=1e-6, atol=1e-7)


def test_idf_is_never_negative_and_falls_with_document_frequency():
    t = BM25Transformer().fit(COUNTS)
    df = np.count_nonzero(COUNTS, axis=0)
    assert (t.idf_ >= 0).all()
    order = np.argsort(df, kind="stable")
    assert np.all(np.diff(t.idf_[order]) <= 0)
    np.testing.assert_allclose(t.idf_, bm25_idf(df, COUNTS.shape[0]))


def test_k1_zero_makes_term_frequency_binary():
    W = BM25Transformer(k1=0.0).fit_transform(COUNTS).toarray()
    idf = BM25Transformer().fit(COUNTS).idf_
    np.testing.assert_allclose(W, (COUNTS > 0) * idf, rtol=1e-6)


def test_b_zero_ignores_passage_length():
    short = np.array([[1, 0], [1, 5]], dtype=float)
    W = BM25Transformer(b=0.0).fit_transform(short).toarray()
    assert W[0, 0] == pytest.approx(W[1, 0])


def test_repeating_a_word_saturates():
    X = np.array([[1], [2], [4], [8], [16]], dtype=float)
    w = BM25Transformer(b=0.0).fit_transform(X).toarray().ravel()
    gains = np.diff(w)
    assert (gains > 0).all() and (np.diff(gains) < 0).all()
    assert w[-1] < w[0] * (1.2 + 1)  # bounded by (k1 + 1) * idf


def test_transform_uses_the_fitted_statistics():
    t = BM25Transformer().fit(COUNTS)
    one = t.transform(COUNTS[:1]).toarray()
    np.testing.assert_allclose(one, bm25_reference(COUNTS)[:1], rtol=1e-6)


def test_stored_zeros_are_not_occurrences():
    # The same counts, plus an explicit 0 stored for term 4 in the last row: df(term 4) is still 0.
    X = sp.csr_matrix(COUNTS)
    stored = sp.csr_matrix(
        (np.r_[X.data, 0.0], np.r_[X.indices, 4], np.r_[X.indptr[:-1], X.indptr[-1] + 1]), shape=X.shape
    )
    assert stored.nnz == X.nnz + 1
    np.testing.assert_allclose(BM25Transformer().fit(stored).idf_, BM25Transformer().fit(X).idf_)
    np.testing.assert_allclose(BM25Transformer().fit_transform(stored).toarray(), bm25_reference(COUNTS), rtol=1e-6)


def test_duplicate_sparse_entries_are_summed():
    # COO input with (0, 0) given twice as 1 + 1 means a count of 2.
    rows, cols = np.nonzero(COUNTS)
    vals = COUNTS[rows, cols]
    i = int(np.flatnonzero((rows == 0) & (cols == 0))[0])
    vals_minus = vals.copy()
    vals_minus[i] -= 1
    dup = sp.coo_matrix((np.r_[vals_minus, 1.0], (np.r_[rows, 0], np.r_[cols, 0])), shape=COUNTS.shape)
    np.testing.assert_allclose(BM25Transformer().fit_transform(dup).toarray(), bm25_reference(COUNTS), rtol=1e-6)


def test_fit_does_not_modify_its_input():
    X = sp.csr_matrix(COUNTS)
    before = X.toarray().copy()
    BM25Transformer().fit_transform(X)
    np.testing.assert_array_equal(X.toarray(), before)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"k1": -0.1}, "k1 must be a number >= 0"),
        ({"k1": "1.2"}, "k1 must be a number"),
        ({"k1": float("nan")}, "k1"),
        ({"b": 1.5}, r"b must be a number in \[0, 1\]"),
        ({"b": -0.01}, "b must be"),
        ({"b": None}, "b must be"),
    ],
)
def test_bm25_parameter_validation(params, match):
    with pytest.raises(ValueError, match=match):
        BM25Transformer(**params).fit(COUNTS)


def test_transform_before_fit_is_an_error():
    with pytest.raises(NotFittedError, match="not fitted"):
        BM25Transformer().transform(COUNTS)


def test_transform_with_another_vocabulary_size_is_an_error():
    t = BM25Transformer().fit(COUNTS)
    with pytest.raises(ValueError, match="5"):
        t.transform(np.ones((1, 3)))


def test_bm25_is_a_scikit_learn_estimator():
    t = BM25Transformer(k1=0.5, b=0.3)
    assert t.get_params() == {"k1": 0.5, "b": 0.3}
    assert clone(t).get_params() == t.get_params()


# --- Index.fit ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index() -> Index:
    return Index.fit(passages_of(TEXTS), IndexParams(heading_boost=0))


def test_vocabulary_is_the_analyzed_words(index):
    expected = set()
    for t in TEXTS:
        expected.update(index.analyzer(t))
    assert set(index.vocabulary) == expected
    assert sorted(index.vocabulary.values()) == list(range(index.n_terms))


def test_postings_are_sorted_and_hold_exactly_the_passages_with_the_term(index):
    for term, tid in index.vocabulary.items():
        ids, weights = index.postings(tid)
        assert np.all(np.diff(ids) > 0), term
        assert (weights > 0).all()
        expected = [i for i, t in enumerate(TEXTS) if term in index.analyzer(t)]
        assert ids.tolist() == expected, term


def test_postings_arrays_are_consistent(index):
    assert index.indptr.shape == (index.n_terms + 1,)
    assert index.indptr[0] == 0 and index.indptr[-1] == index.indices.size == index.weights.size
    assert np.all(np.diff(index.indptr) >= 1)  # every term occurs somewhere
    assert index.indices.min() >= 0 and index.indices.max() < index.n_passages
    np.testing.assert_array_equal(index.doc_freq, np.diff(index.indptr))


def test_matrix_is_bm25_of_the_counts(index):
    terms = sorted(index.vocabulary, key=index.vocabulary.get)
    counts = CountVectorizer(analyzer=index.analyzer, vocabulary=terms).fit_transform(TEXTS).toarray()
    np.testing.assert_allclose(index.matrix().toarray(), bm25_reference(counts.astype(float)), rtol=1e-5)
    np.testing.assert_allclose(index.idf, BM25Transformer().fit(counts).idf_, rtol=1e-6)


def test_words_map_surface_words_to_their_term(index):
    for word, tid in index.words.items():
        assert index.analyzer.stem_words([word]) == [next(t for t, i in index.vocabulary.items() if i == tid)]
    assert index.words["employees"] == index.vocabulary[index.analyzer("employees")[0]]


def test_passage_doc_numbers_documents_in_order():
    ps = passages_of(["one text here", "two text here"]) + tuple(
        Passage(f"e#{i}", "e", "e", "", "", 0, 4, "more") for i in range(2)
    )
    of, ids = Index.fit(ps, IndexParams(heading_boost=0)).passage_doc
    assert tuple(ids) == ("d", "e") and of.tolist() == [0, 0, 1, 1]


def test_heading_boost_puts_heading_and_title_words_in_the_index():
    ps = passages_of(["You can use it in pharmacies."], sections=["Card after leaving"], title="Medical guide")
    plain = Index.fit(ps, IndexParams(heading_boost=0))
    boosted = Index.fit(ps, IndexParams(heading_boost=1))
    heading_terms = set(plain.analyzer("Card after leaving Medical guide"))
    assert not heading_terms & set(plain.vocabulary)
    assert heading_terms <= set(boosted.vocabulary)


def test_heading_boost_counts_heading_words_that_many_times():
    ps = passages_of(["pharmacy pharmacy", "clinic"], sections=["pharmacy", ""])
    w = [Index.fit(ps, IndexParams(heading_boost=n)) for n in (1, 3)]
    tid = [i.vocabulary[i.analyzer("pharmacy")[0]] for i in w]
    weight = [i.postings(t)[1][0] for i, t in zip(w, tid)]
    assert weight[1] > weight[0]


def test_index_params_round_trip_and_reject_unknown_keys():
    p = IndexParams(k1=0.9, heading_boost=2, max_chars=500)
    assert IndexParams.from_dict(p.to_dict()) == p
    with pytest.raises(ValueError, match=r"unknown index parameters: \['colour'\]"):
        IndexParams.from_dict({**p.to_dict(), "colour": "red"})


def test_index_params_feed_the_analyzer_and_chunker():
    p = IndexParams(stem=False, stop_words=False, max_chars=300, min_chars=5)
    assert p.analyzer()("The Insurances") == ["the", "insurances"]
    assert (p.chunker().max_chars, p.chunker().min_chars) == (300, 5)


def test_zero_passages_is_an_error():
    with pytest.raises(ValueError, match="zero passages"):
        Index.fit([])


def test_only_stop_words_is_an_error():
    with pytest.raises(ValueError, match="empty vocabulary"):
        Index.fit(passages_of(["the and of", "!!! ..."]), IndexParams(heading_boost=0))


def test_seed_index_is_consistent(corpus_index):
    m = corpus_index.matrix()
    assert m.shape == (corpus_index.n_passages, corpus_index.n_terms)
    assert corpus_index.n_passages == len({p.passage_id for p in corpus_index.passages})
    assert "insur" in corpus_index.vocabulary


def test_csc_weighting_in_small_blocks_equals_the_csr_path(monkeypatch):
    import importlib

    import scipy.sparse as sp

    weighting = importlib.import_module("qa.index.weighting")
    X = sp.random(300, 120, density=0.05, random_state=1, format="csc")
    X.data = np.ceil(X.data * 5).astype(np.float32)
    bm25 = weighting.BM25Transformer().fit(X)
    expected = bm25.transform(X.tocsr()).toarray()
    monkeypatch.setattr(weighting, "_BLOCK", 7)  # many blocks, cutting through terms
    np.testing.assert_allclose(bm25.transform(X).toarray(), expected, rtol=1e-6)
