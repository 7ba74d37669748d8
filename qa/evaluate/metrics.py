"""Ranking metrics, as in trec_eval and BEIR (pytrec_eval).

Each function takes one query's ranked document ids and its judgments
(``{doc_id: gain}``; a gain > 0 is relevant) and returns a float; average over
queries yourself. Queries with no relevant document are skipped by the caller,
as BEIR does.
"""

from __future__ import annotations

import math
from typing import Mapping

__all__ = ["METRICS", "ndcg_at", "average_precision_at", "recall_at", "rank_metrics", "reciprocal_rank_at"]

METRICS = ("nDCG@10", "MAP@100", "R@1", "R@5", "R@20", "R@100", "MRR@10")


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


def rank_metrics(runs: Mapping[str, list], qrels: Mapping[str, Mapping[str, int]]) -> dict:
    """Mean ranking metrics over the queries that have a relevant document.

    Parameters
    ----------
    runs : mapping of str to list of str
        Query id -> ranked document ids, best first. A query missing here has
        an empty ranking.
    qrels : mapping of str to mapping of str to int
        Query id -> {document id: gain}; gain > 0 is relevant.

    Returns
    -------
    dict
        Each of `METRICS` (nDCG@10, MAP@100 = mean AP@100, Recall@1/5/20/100,
        MRR@10), averaged over the ``queries`` judged queries with a relevant
        document (0.0 when there is none), and ``queries``.

    Examples
    --------
    >>> m = rank_metrics({"q1": ["a", "b"], "q2": ["c"]}, {"q1": {"b": 1}, "q2": {"d": 1}, "q3": {"e": 0}})
    >>> m["queries"], m["R@1"], m["R@5"], m["MRR@10"]
    (2, 0.0, 0.5, 0.25)
    """
    scored = [qid for qid, judged in qrels.items() if any(g > 0 for g in judged.values())]
    fns = {
        "nDCG@10": lambda r, j: ndcg_at(r, j, 10),
        "MAP@100": lambda r, j: average_precision_at(r, j, 100),
        "R@1": lambda r, j: recall_at(r, j, 1),
        "R@5": lambda r, j: recall_at(r, j, 5),
        "R@20": lambda r, j: recall_at(r, j, 20),
        "R@100": lambda r, j: recall_at(r, j, 100),
        "MRR@10": lambda r, j: reciprocal_rank_at(r, j, 10),
    }
    out: dict = {}
    for name, fn in fns.items():
        values = [fn(list(runs.get(qid, ())), qrels[qid]) for qid in scored]
        out[name] = sum(values) / len(values) if values else 0.0
    out["queries"] = len(scored)
    return out
