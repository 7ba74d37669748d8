"""Ranking metrics, as in trec_eval and BEIR (pytrec_eval).

Each function takes one query's ranked document ids and its judgments
(``{doc_id: gain}``; a gain > 0 is relevant) and returns a float; average over
queries yourself. Queries with no relevant document are skipped by the caller,
as BEIR does.
"""

from __future__ import annotations

import math

__all__ = ["ndcg_at", "average_precision_at", "recall_at", "reciprocal_rank_at"]


def ndcg_at(ranked, qrels: dict, k: int) -> float:
    """nDCG@k with graded gains: ``sum(gain / log2(rank + 1))`` over the ideal.

    Examples
    --------
    >>> round(ndcg_at(["b", "a"], {"a": 2, "b": 1}, 10), 4)
    0.8597
    """
    dcg = sum(qrels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if qrels.get(d, 0) > 0)
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def average_precision_at(ranked, qrels: dict, k: int) -> float:
    """AP@k: mean of precision at each relevant rank, over all relevant documents."""
    relevant = {d for d, g in qrels.items() if g > 0}
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for i, d in enumerate(ranked[:k]):
        if d in relevant:
            found += 1
            total += found / (i + 1)
    return total / len(relevant)


def recall_at(ranked, qrels: dict, k: int) -> float:
    """Share of the relevant documents ranked in the top k."""
    relevant = {d for d, g in qrels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def reciprocal_rank_at(ranked, qrels: dict, k: int) -> float:
    """1 / rank of the first relevant document in the top k, else 0."""
    for i, d in enumerate(ranked[:k]):
        if qrels.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0
