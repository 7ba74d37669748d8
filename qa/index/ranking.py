"""Scoring one index: BM25 over the postings, feedback expansion, the rerank, top k.

The steps of `qa.answering.search` that read an index's arrays: `score_passages`
(every matching passage), `top_passages` (only the best, MaxScore),
`expansion_weights` (pseudo-relevance feedback), `rerank_bonus` (sentence and
phrase evidence), `top_positions` (the k best, ties to the earlier passage) and
`matched` (which question terms each passage holds). Each reads only the
arrays it scores, a `qa.index.postings.Postings` value (`Index.scoring`), never
an index: `Index.ranked` and `Index.matched` run them on one index;
`qa.index.sharded.ShardedIndex` runs them on each shard and merges. The top k are found with ``np.partition`` on the
negated scores, widened to every tie at the cut, and only they are sorted.
"""

from __future__ import annotations

import numpy as np

from ..types import Query
from .postings import Postings

__all__ = [
    "FEEDBACK_KEEP",
    "FEEDBACK_MIN_DF",
    "FEEDBACK_PASSAGES",
    "FEEDBACK_TERMS",
    "PHRASE_WEIGHT",
    "RERANK_DEPTH",
    "SENTENCE_WEIGHT",
    "best_per_document",
    "bm25_idf",
    "expansion_weights",
    "kth_document_score",
    "matched",
    "ranked",
    "rerank_bonus",
    "score_passages",
    "top_positions",
    "top_passages",
]

RERANK_DEPTH = 20  # candidates rescored by sentence and phrase evidence
# Below this many postings (all the question's terms together) scoring every passage costs less than
# MaxScore's bookkeeping (Cranfield, 1,800 on average: 0.03 ms against 0.11 ms; 200k synthetic
# passages, 93,000: 0.37 ms against 0.11 ms).
FULL_SCORE_POSTINGS = 20_000
SENTENCE_WEIGHT = 0.5
PHRASE_WEIGHT = 0.4
FEEDBACK_PASSAGES = 10
FEEDBACK_TERMS = 20
FEEDBACK_MIN_DF = 3
FEEDBACK_KEEP = 0.7


def bm25_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """Robertson-Sparck Jones IDF, floored at 0 by Lucene's ``log(1 + x)``:
    ``log(1 + (n_docs - df + 0.5) / (df + 0.5))``.

    The one IDF formula: `qa.index.weighting.BM25Transformer` weighs postings with it and
    `qa.answering.search.evidence_weights` pads the corpus with it. Here, not in
    `qa.index.weighting`, so that searching does not import scikit-learn.

    >>> bm25_idf([0, 1], 1).round(3).tolist()
    [1.386, 0.288]
    """
    df = np.asarray(df, dtype=np.float64)
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


def score_passages(index: Postings, query: Query, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """BM25 scores of every passage that holds at least one question term.

    Parameters
    ----------
    index : Postings
        The arrays of one index (`Index.scoring`).
    query : Query
    weights : dict of int to float, optional
        Term number -> query weight. Default: weight 1 for each of the question's terms.

    Returns
    -------
    passages : ndarray of int
        Passage numbers, ascending.
    scores : ndarray of float
        Their scores: ``sum(weight[t] * w(t, d))``.
    """
    if weights is None:
        weights = dict.fromkeys(query.term_ids, 1.0)
    return _score_all(index, weights)


def _score_all(index: Postings, weights: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """`score_passages` with the query weights given."""
    if not weights:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    # Summed in the weights' own order (the question's), never in an order read from this index's
    # statistics: a shard's `term_max` differs from the whole corpus's, and with expansion's
    # fractional weights the order decides the last bit, so shards would not score as one index.
    # (With weight 1 the float32 weights add exactly in float64, in any order: `top_passages`
    # gives the same scores.)
    parts = [(index.postings(t), qw) for t, qw in weights.items()]
    ids = np.concatenate([p[0] for p, _ in parts])
    w = np.concatenate([p[1].astype(np.float64) * qw for p, qw in parts])
    if len(parts) == 1:
        return ids.astype(np.int64), w
    if ids.size * 8 > index.n_passages:  # dense accumulation is cheaper than sorting many postings
        dense = np.bincount(ids, weights=w, minlength=index.n_passages)
        touched = np.zeros(index.n_passages, dtype=bool)
        touched[ids] = True
        hit = np.flatnonzero(touched)
        return hit, dense[hit]
    uniq, inverse = np.unique(ids, return_inverse=True)
    return uniq, np.bincount(inverse, weights=w)


def _term_order(index: Postings, weights: dict[int, float]) -> list[int]:
    """The terms by the most they can add to a score, largest first (ties in question order): the
    order `top_passages` reads them in and `score_passages` sums them in."""
    return sorted(weights, key=lambda t: -weights[t] * float(index.term_max[t]))


def _candidate_tokens(index: Postings, cands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The candidates' token sequences concatenated, and which candidate each token belongs to.

    Gathered with one fancy index (each token's position in `index.tokens`), not one slice a
    candidate: only the candidates' offsets are read, whatever the size of the index.
    """
    starts, ends = index.token_ptr[cands], index.token_ptr[cands + 1]
    lengths = (ends - starts).astype(np.int64)
    owner = np.repeat(np.arange(cands.size), lengths)
    first = np.cumsum(lengths) - lengths  # where each candidate's tokens start in the output
    where = np.arange(int(lengths.sum()), dtype=np.int64) + (starts - first)[owner]
    return np.asarray(index.tokens)[where].astype(np.int64), owner


def _member(values: np.ndarray, items: np.ndarray) -> np.ndarray:
    """``np.isin(values, items)``, without its set-up cost when there are few items (a question's
    terms or word pairs): one comparison per item."""
    if items.size > 32:
        return np.isin(values, items)
    out = values == items[0]
    for item in items[1:].tolist():
        out |= values == item
    return out


def rerank_bonus(index: Postings, query: Query, cands: np.ndarray) -> np.ndarray:
    """Sentence and phrase evidence for candidate passages, each in [0, 1].

    ``SENTENCE_WEIGHT * sentence + PHRASE_WEIGHT * phrase``, where *sentence*
    is the share of the question's IDF that its best single sentence holds, and
    *phrase* the share of the question's adjacent word pairs (stop words
    skipped; each weighted by the smaller IDF of the two) that occur adjacent in
    the passage. A passage that answers a question usually says it in one
    sentence and in the question's own phrases ("Chinese era name"); one that
    merely mentions the words here and there does not.

    Only the question's terms' IDFs are read (as float64), not the whole vocabulary's.
    """
    bonus = np.zeros(cands.size)
    qids = np.asarray(query.term_ids, dtype=np.int64)
    if cands.size == 0 or qids.size == 0:
        return bonus
    tok, owner = _candidate_tokens(index, cands)
    n_terms = index.n_terms
    # Best sentence: sentence ids run across candidates (a new one after each -1 and at each candidate start).
    new_sentence = (tok < 0).astype(np.int64)
    if tok.size:
        new_sentence[np.flatnonzero(np.diff(owner)) + 1] = 1
    sid = np.cumsum(new_sentence)
    held = _member(tok, qids)
    if held.any():
        pairs = np.unique(sid[held] * n_terms + tok[held])
        per_sentence = np.bincount(
            pairs // n_terms, weights=index.idf[pairs % n_terms].astype(np.float64), minlength=int(sid[-1]) + 1
        )
        sentence_owner = np.zeros(per_sentence.size, dtype=np.int64)
        sentence_owner[sid] = owner
        best = np.zeros(cands.size)
        np.maximum.at(best, sentence_owner, per_sentence)
        bonus += SENTENCE_WEIGHT * best / index.idf[qids].astype(np.float64).sum()
    # Phrases: the question's adjacent term pairs found adjacent in the passage.
    seq = np.asarray(query.sequence, dtype=np.int64)
    ok = (seq[:-1] >= 0) & (seq[1:] >= 0)
    if ok.any() and tok.size > 1:
        qa_, qb = seq[:-1][ok], seq[1:][ok]
        qcodes, first = np.unique(qa_ * n_terms + qb, return_index=True)
        qweights = np.minimum(index.idf[qa_[first]], index.idf[qb[first]]).astype(np.float64)
        a, b = tok[:-1], tok[1:]
        valid = (a >= 0) & (b >= 0) & (owner[:-1] == owner[1:])
        codes = a[valid] * n_terms + b[valid]
        where = _member(codes, qcodes)
        if where.any():
            found = np.unique(owner[:-1][valid][where] * qcodes.size + np.searchsorted(qcodes, codes[where]))
            got = np.bincount(found // qcodes.size, weights=qweights[found % qcodes.size], minlength=cands.size)
            bonus += PHRASE_WEIGHT * got / qweights.sum()
    return bonus


def expansion_weights(index: Postings, query: Query, ids: np.ndarray, scores: np.ndarray) -> dict[int, float]:
    """Query weights with pseudo-relevance feedback (RM3-style), for ``expand=True``.

    The top `FEEDBACK_PASSAGES` passages vote for terms in proportion to
    ``exp(score - best) * tf / length``; terms found in at least
    `FEEDBACK_MIN_DF` of them compete, and the best `FEEDBACK_TERMS` are mixed
    into the question as ``FEEDBACK_KEEP * question + (1 - FEEDBACK_KEEP) *
    feedback`` (both normalised to sum to the question's length).
    """
    base = dict.fromkeys(query.term_ids, 1.0)
    top = ids[top_positions(ids, scores, min(ids.size, FEEDBACK_PASSAGES))]
    if top.size < FEEDBACK_MIN_DF:
        return base
    top_scores = scores[np.searchsorted(ids, top)]
    tok, owner = _candidate_tokens(index, top)
    keep = tok >= 0
    tok, owner = tok[keep], owner[keep]
    lengths = np.maximum(np.bincount(owner, minlength=top.size), 1)
    vote = np.exp(top_scores - top_scores.max()) / lengths
    p = np.bincount(tok, weights=vote[owner], minlength=index.n_terms)
    df = np.bincount(np.unique(owner * index.n_terms + tok) % index.n_terms, minlength=index.n_terms)
    p[df < FEEDBACK_MIN_DF] = 0.0
    chosen = np.argsort(-p, kind="stable")[:FEEDBACK_TERMS]
    chosen = chosen[p[chosen] > 0]
    if chosen.size == 0:
        return base
    n = len(base)
    out = {t: FEEDBACK_KEEP * w for t, w in base.items()}
    total = p[chosen].sum()
    for t in chosen:
        out[int(t)] = out.get(int(t), 0.0) + (1 - FEEDBACK_KEEP) * n * float(p[t] / total)
    return out


def top_passages(
    index: Postings, weights: dict[int, float], depth: int, documents: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The `depth` best passages by BM25, exactly, reading as few postings as it can (MaxScore).

    Terms are taken in order of the most they can add to a score
    (``weight * term_max``). Once `depth` candidates are known and the k-th best
    score exceeds the most that all remaining terms together could add, no
    passage outside the candidates can reach the top: the remaining terms (the
    common ones, with long postings) then only update the candidates, by
    binary search in their postings, instead of being read whole.

    With `documents`, the candidates also hold, exactly, the best passage of
    each of the `documents` best documents (a document scores as its best
    passage, the rerank bonus included: `qa.answering.search.search_documents`).
    A passage may then also be dropped when the most it can score is below
    the `documents`-th best document's lower bound (`kth_document_score`): it is
    not in the top `depth` (so it gets no bonus and its final score is its
    BM25), and either its document scores more through another passage or at
    least `documents` documents score more than it.

    When the question's postings number at most `FULL_SCORE_POSTINGS`, every
    matching passage is scored (`score_passages`): cheaper, and the same scores.

    Returns
    -------
    passages, scores : ndarray
        At least the top `depth` passages (or all matching ones) and their exact
        BM25 scores; passages ascending.
    """
    if sum(int(index.doc_freq[t]) for t in weights) <= FULL_SCORE_POSTINGS:  # few: score them all
        return _score_all(index, weights)
    doc_of = None
    if documents is not None:
        doc_of = index.doc_of
        # Every document holds a passage (a document enters the table with its first one), so as many
        # documents as passages means one passage a document: the top documents are the top passages.
        if index.n_documents == index.n_passages:
            depth, doc_of = max(depth, documents), None
    order = _term_order(index, weights)
    bounds = np.array([weights[t] * float(index.term_max[t]) for t in order])
    rest = np.concatenate([np.cumsum(bounds[::-1])[::-1], [0.0]])  # rest[i]: most terms i.. can add
    ids = np.empty(0, dtype=np.int64)
    scores = np.empty(0, dtype=np.float64)
    doc_theta = -1.0
    for i, t in enumerate(order):
        postings, w = index.postings(t)
        theta = np.partition(scores, scores.size - depth)[scores.size - depth] if scores.size >= depth else -1.0
        if doc_of is not None and theta > rest[i]:  # keep what may be the best passage of a top document
            # A bound found at an earlier term still holds (scores only grow): it is found again only
            # while it is too low to prune, which saves most of the work of finding it.
            if doc_theta <= rest[i]:
                doc_theta = kth_document_score(ids, scores, doc_of, documents)
            theta = min(theta, doc_theta)
        if theta > rest[i]:
            alive = scores + rest[i] >= theta  # only candidates that can still reach the top
            ids, scores = ids[alive], scores[alive]
            where = np.minimum(np.searchsorted(postings, ids), postings.size - 1)
            found = postings[where] == ids
            scores[found] += weights[t] * w[where[found]]
        elif ids.size == 0:
            ids, scores = postings.astype(np.int64), weights[t] * w.astype(np.float64)
        elif (ids.size + postings.size) * 8 > index.n_passages:  # many of all passages: a dense array, no sort
            ids, scores = _merge_dense(ids, scores, postings, weights[t] * w.astype(np.float64), index.n_passages)
        else:
            merged, inverse = np.unique(np.concatenate([ids, postings]), return_inverse=True)
            scores = np.bincount(inverse, weights=np.concatenate([scores, weights[t] * w.astype(np.float64)]))
            ids = merged
    return ids, scores


def _merge_dense(
    ids: np.ndarray, scores: np.ndarray, postings: np.ndarray, add: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Candidates plus one term's postings, through arrays of all `n` passages: passages ascending,
    each known score plus the term's weight (the same sum, to the bit, as the sorted merge)."""
    total = np.zeros(n)
    total[ids] = scores
    total[postings] += add  # a term lists a passage once
    touched = np.zeros(n, dtype=bool)
    touched[ids] = True
    touched[postings] = True
    merged = np.flatnonzero(touched)
    return merged, total[merged]


def best_per_document(docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Positions of each document's best score (one a document; among equal scores the first),
    documents ascending: `docs[i]` is the document of entry ``i``."""
    order = np.lexsort((-scores, docs))
    first = np.ones(order.size, dtype=bool)
    first[1:] = docs[order][1:] != docs[order][:-1]
    return order[first]


def kth_document_score(ids: np.ndarray, scores: np.ndarray, doc_of: np.ndarray, k: int) -> float:
    """The k-th best document score, a document scoring as its best passage; -1 if fewer than k
    documents have a passage in `ids`.

    Read from the best candidates only, widened until they hold k documents: a document with
    no passage among the best m scores no more than the m-th best passage, so no more than
    any document found. With partial scores (`top_passages`) it is a lower bound of the final
    k-th best: partial BM25 scores only grow, and a document scores at least its best BM25.
    """
    m = 4 * k  # usually enough passages to hold k documents; widened while not
    while True:
        top = np.argpartition(-scores, m - 1)[:m] if m < scores.size else np.arange(scores.size)
        s = scores[top]
        best = s[best_per_document(doc_of[ids[top]], s)]  # each document's best score among these candidates
        if best.size >= k:
            return float(np.partition(best, best.size - k)[best.size - k])
        if m >= scores.size:
            return -1.0
        m *= 4


def ranked(
    index: Postings, query: Query, expand: bool = False, depth: int | None = None, documents: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Matching passages of one index and their final scores (BM25, expanded if asked, reranked at
    the top). What `Index.ranked` does; a sharded index runs the same steps over its shards.

    With `depth`, only (at least) the `depth` best passages are scored, by
    `top_passages`; their order is the same as scoring every passage would give.
    With `documents`, only what ranks the `documents` best documents by their
    best passage (and the rerank's candidates): the same documents, order and
    scores as scoring every passage would give. Neither prunes with `expand`.
    """
    weights = dict.fromkeys(query.term_ids, 1.0)
    if (depth is not None or documents is not None) and not expand:
        ids, scores = (
            top_passages(index, weights, max(depth or 0, RERANK_DEPTH), documents)
            if weights
            else (np.empty(0, np.int64), np.empty(0))
        )
    else:
        ids, scores = score_passages(index, query)
    if expand and ids.size:
        weights = expansion_weights(index, query, ids, scores)
        if len(weights) > len(query.term_ids):
            ids, scores = score_passages(index, query, weights)
    if ids.size:
        top = top_positions(ids, scores, min(ids.size, RERANK_DEPTH))
        scores = scores.copy()
        scores[top] += scores[top[0]] * rerank_bonus(index, query, ids[top])
    return ids, scores


def top_positions(ids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores, best first; ties go to the lower passage number."""
    if k < scores.size:
        # argpartition on the negated scores, then widen to include every tie at the cut.
        cut = np.partition(-scores, k - 1)[k - 1]
        pos = np.flatnonzero(-scores <= cut)
    else:
        pos = np.arange(scores.size)
    order = np.lexsort((ids[pos], -scores[pos]))
    return pos[order][:k] if k < scores.size else pos[order]


def matched(index: Postings, query: Query, passage_ids: np.ndarray) -> list[list[int]]:
    """For each passage, which of the query's terms (by position in the query) it holds."""
    out = [[] for _ in range(passage_ids.size)]
    for qi, tid in enumerate(query.term_ids):
        posting, _ = index.postings(tid)
        if posting.size == 0:
            continue
        where = np.minimum(np.searchsorted(posting, passage_ids), posting.size - 1)
        for j in np.flatnonzero(posting[where] == passage_ids).tolist():  # plain ints: faster to loop over
            out[j].append(qi)
    return out
