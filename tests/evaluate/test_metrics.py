"""qa.metrics: each ranking metric against an example worked by hand."""

from __future__ import annotations

import math

import pytest

from qa.evaluate.metrics import average_precision_at, ndcg_at, recall_at, reciprocal_rank_at

# Judgments used throughout: a (gain 3), b (gain 1) and c (gain 2) are relevant; z is judged irrelevant.
QRELS = {"a": 3, "b": 1, "c": 2, "z": 0}
RANKED = ["x", "a", "z", "b", "y", "c"]  # relevant at ranks 2, 4 and 6

L2 = math.log2


def test_ndcg_hand_computed():
    # DCG@5  = 3/log2(3) + 1/log2(5)                       (a at rank 2, b at rank 4)
    # IDCG@5 = 3/log2(2) + 2/log2(3) + 1/log2(4)          (ideal order a, c, b)
    dcg = 3 / L2(3) + 1 / L2(5)
    idcg = 3 / L2(2) + 2 / L2(3) + 1 / L2(4)
    assert ndcg_at(RANKED, QRELS, 5) == pytest.approx(dcg / idcg)


def test_ndcg_ideal_is_cut_at_k():
    # k=1: DCG = 0 (x is irrelevant) ... and with a at rank 1: 3/1 over the ideal 3/1.
    assert ndcg_at(RANKED, QRELS, 1) == 0.0
    assert ndcg_at(["a", "x"], QRELS, 1) == pytest.approx(1.0)
    # k=2 with c first: DCG = 2/1 ; IDCG = 3/1 + 2/log2(3)
    assert ndcg_at(["c", "x"], QRELS, 2) == pytest.approx(2 / (3 + 2 / L2(3)))


def test_ndcg_docstring_example():
    # DCG = 1/log2(2) + 2/log2(3) = 1 + 1.2619 ; IDCG = 2/log2(2) + 1/log2(3) = 2 + 0.6309
    assert ndcg_at(["b", "a"], {"a": 2, "b": 1}, 10) == pytest.approx((1 + 2 / L2(3)) / (2 + 1 / L2(3)))


def test_ndcg_of_the_ideal_ranking_is_one():
    assert ndcg_at(["a", "c", "b", "x"], QRELS, 10) == pytest.approx(1.0)


def test_average_precision_hand_computed():
    # Relevant at ranks 2, 4, 6: precisions 1/2, 2/4, 3/6; divided by the 3 relevant documents.
    assert average_precision_at(RANKED, QRELS, 10) == pytest.approx((1 / 2 + 2 / 4 + 3 / 6) / 3)


def test_average_precision_counts_missed_relevant_documents():
    # At k=4 only ranks 2 and 4 count: (1/2 + 2/4) / 3, not / 2.
    assert average_precision_at(RANKED, QRELS, 4) == pytest.approx((1 / 2 + 2 / 4) / 3)


def test_recall_hand_computed():
    # Top 4 hold a and b: 2 of the 3 relevant documents.
    assert recall_at(RANKED, QRELS, 4) == pytest.approx(2 / 3)
    assert recall_at(RANKED, QRELS, 6) == pytest.approx(1.0)
    assert recall_at(RANKED, QRELS, 1) == 0.0


@pytest.mark.parametrize("k, expected", [(1, 0.0), (2, 1 / 2), (10, 1 / 2)])
def test_reciprocal_rank(k, expected):
    # The first relevant document, a, is at rank 2.
    assert reciprocal_rank_at(RANKED, QRELS, k) == pytest.approx(expected)


@pytest.mark.parametrize("metric", [ndcg_at, average_precision_at, recall_at, reciprocal_rank_at])
def test_no_relevant_document_scores_zero(metric):
    assert metric(["a", "b"], {"a": 0}, 10) == 0.0
    assert metric(["a", "b"], {}, 10) == 0.0


@pytest.mark.parametrize("metric", [ndcg_at, average_precision_at, recall_at, reciprocal_rank_at])
def test_empty_ranking_scores_zero(metric):
    assert metric([], QRELS, 10) == 0.0


@pytest.mark.parametrize("metric", [ndcg_at, average_precision_at, recall_at, reciprocal_rank_at])
@pytest.mark.parametrize("k", [1, 2, 3, 5, 10])
def test_metrics_are_in_unit_interval_and_perfect_ranking_scores_one(metric, k):
    assert 0.0 <= metric(RANKED, QRELS, k) <= 1.0
    perfect = ["a", "c", "b"]
    if metric in (ndcg_at, reciprocal_rank_at) or k >= 3:
        assert metric(perfect, QRELS, k) == pytest.approx(1.0)


@pytest.mark.parametrize("metric", [ndcg_at, average_precision_at, recall_at, reciprocal_rank_at])
def test_metrics_do_not_fall_when_a_relevant_document_moves_up(metric):
    worse = ["x", "y", "a", "b"]
    better = ["a", "x", "y", "b"]
    assert metric(better, QRELS, 10) >= metric(worse, QRELS, 10)


def test_unjudged_documents_count_as_irrelevant():
    assert ndcg_at(["unjudged", "a"], {"a": 1}, 10) == pytest.approx(1 / L2(3))
