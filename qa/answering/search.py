"""Question -> ranked `Hit`s, touching only the postings of the question's terms.

1. **BM25.** The score of passage ``d`` is ``sum(w(t, d) for t in question
   terms)``, the BM25-weighted TF-IDF of `qa.weighting`, accumulated over the
   passages the postings touch.
2. **Expansion** (only with ``expand=True``): pseudo-relevance feedback adds
   terms from the best passages (`expansion_weights`). It lifts Cranfield's
   nDCG@10 but costs SQuAD some Recall@1, so it is off by default (README,
   "Retrieval choices").
3. **Rerank.** The best `RERANK_DEPTH` passages gain a bonus for holding the
   question in one sentence and in its own phrases (`rerank_bonus`), scaled by
   the best BM25 score. Every other passage keeps its BM25 score.

The top k are chosen with ``np.argpartition`` and only they are sorted (ties
broken by passage order, so results are deterministic).

A passage whose text is contained in a higher-ranked passage (a repeated
paragraph) is skipped, so the same words are not shown twice.
"""

from __future__ import annotations

import numpy as np

from ..errors import QuestionError
from ..index.index import Index
from ..text import FRAME_WORDS, has_han
from ..types import Hit, Query

__all__ = [
    "MAX_QUESTION_CHARS", "evidence_weights", "expansion_weights", "parse_question", "ranked", "rerank_bonus",
    "score_passages", "search", "search_documents", "top_passages",
]

MAX_QUESTION_CHARS = 2000
RERANK_DEPTH = 20  # candidates rescored by sentence and phrase evidence
SENTENCE_WEIGHT = 0.5
PHRASE_WEIGHT = 0.4
FEEDBACK_PASSAGES = 10
FEEDBACK_TERMS = 20
FEEDBACK_MIN_DF = 3
FEEDBACK_KEEP = 0.7


BACKGROUND_PASSAGES = 1000


def evidence_weights(index: Index, term_ids, unknown: int = 0) -> np.ndarray:
    """How much finding each term counts as evidence of an answer.

    ``log(1 + (N + B - df + 0.5) / (df + 0.5))``: the term's IDF in the corpus
    padded with ``B = BACKGROUND_PASSAGES`` passages that lack it. In a large
    corpus this is its IDF; in a ten-passage corpus, where a word found in every
    passage has an IDF near zero, the word still counts, as it should: finding
    "insurance" in an insurance leaflet is evidence, not noise. With
    ``unknown=1``, returns the weight of a word found nowhere (df = 0).
    """
    n = index.n_passages + BACKGROUND_PASSAGES
    df = np.zeros(1) if unknown else index.doc_freq[np.asarray(term_ids, dtype=np.int64)].astype(np.float64)
    return np.log1p((n - df + 0.5) / (df + 0.5))


def parse_question(index: Index, question: str) -> Query:
    """Analyse a question with the index's own analyzer and vocabulary.

    Raises
    ------
    QuestionError
        The question is not a string, is empty or blank, longer than
        `MAX_QUESTION_CHARS`, or holds no searchable word (only punctuation or
        stop words).
    """
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    text = question.strip()
    if not text:
        raise QuestionError("the question is empty; type a question")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. Ask something shorter"
        )
    analyzer = index.analyzer
    words = [w for w, _, _ in analyzer.words(text) if not analyzer.is_stop(w)]
    if not words:
        raise QuestionError("the question has no words to search for (only punctuation or common words); rephrase it")
    corrections = []
    fixed = []
    for w, stem in zip(words, analyzer.stem_words(words)):
        # "pays" is known through "pay": no correction; nor for Chinese (one character off is another word).
        if stem not in index.vocabulary and not has_han(w):
            c = index.speller.correct(w)
            if c is not None:
                corrections.append((w, c))
                w = c
        fixed.append(w)
    stems = analyzer.stem_words(fixed)
    terms, ids, unknown, sequence = [], [], [], []
    for w, t in zip(fixed, stems):
        tid = index.vocabulary.get(t)
        sequence.append(-1 if tid is None else tid)
        if tid is None:
            if w not in unknown and w not in FRAME_WORDS:
                unknown.append(w)
        elif t not in terms:
            terms.append(t)
            ids.append(tid)
    weight = evidence_weights(index, ids)
    total = float(weight.sum()) + float(evidence_weights(index, [], unknown=1).sum()) * len(unknown)
    return Query(
        text=text,
        words=tuple(dict.fromkeys(fixed)),
        terms=tuple(terms),
        term_ids=tuple(ids),
        idf=tuple(float(x) for x in weight),
        unknown=tuple(unknown),
        corrections=tuple(dict.fromkeys(corrections)),
        total_idf=total,
        sequence=tuple(sequence),
    )


def score_passages(index: Index, query: Query, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """BM25 scores of every passage that holds at least one question term.

    Parameters
    ----------
    index : Index
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
    if not weights:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
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


def _candidate_tokens(index: Index, cands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The candidates' token sequences concatenated, and which candidate each token belongs to."""
    starts, ends = index.token_ptr[cands], index.token_ptr[cands + 1]
    tok = np.concatenate([index.tokens[a:b] for a, b in zip(starts, ends)]) if cands.size else np.empty(0, np.int32)
    owner = np.repeat(np.arange(cands.size), (ends - starts).astype(np.int64))
    return tok.astype(np.int64), owner


def rerank_bonus(index: Index, query: Query, cands: np.ndarray) -> np.ndarray:
    """Sentence and phrase evidence for candidate passages, each in [0, 1].

    ``SENTENCE_WEIGHT * sentence + PHRASE_WEIGHT * phrase``, where *sentence*
    is the share of the question's IDF that its best single sentence holds, and
    *phrase* the share of the question's adjacent word pairs (stop words
    skipped; each weighted by the smaller IDF of the two) that occur adjacent in
    the passage. A passage that answers a question usually says it in one
    sentence and in the question's own phrases ("Chinese era name"); one that
    merely mentions the words here and there does not.
    """
    bonus = np.zeros(cands.size)
    qids = np.asarray(query.term_ids, dtype=np.int64)
    if cands.size == 0 or qids.size == 0:
        return bonus
    idf = index.idf.astype(np.float64)
    tok, owner = _candidate_tokens(index, cands)
    n_terms = index.n_terms
    # Best sentence: sentence ids run across candidates (a new one after each -1 and at each candidate start).
    new_sentence = (tok < 0).astype(np.int64)
    if tok.size:
        new_sentence[np.flatnonzero(np.diff(owner)) + 1] = 1
    sid = np.cumsum(new_sentence)
    held = np.isin(tok, qids)
    if held.any():
        pairs = np.unique(sid[held] * n_terms + tok[held])
        per_sentence = np.bincount(pairs // n_terms, weights=idf[pairs % n_terms], minlength=int(sid[-1]) + 1)
        sentence_owner = np.zeros(per_sentence.size, dtype=np.int64)
        sentence_owner[sid] = owner
        best = np.zeros(cands.size)
        np.maximum.at(best, sentence_owner, per_sentence)
        bonus += SENTENCE_WEIGHT * best / idf[qids].sum()
    # Phrases: the question's adjacent term pairs found adjacent in the passage.
    seq = np.asarray(query.sequence, dtype=np.int64)
    ok = (seq[:-1] >= 0) & (seq[1:] >= 0)
    if ok.any() and tok.size > 1:
        qa_, qb = seq[:-1][ok], seq[1:][ok]
        qcodes, first = np.unique(qa_ * n_terms + qb, return_index=True)
        qweights = np.minimum(idf[qa_[first]], idf[qb[first]])
        a, b = tok[:-1], tok[1:]
        valid = (a >= 0) & (b >= 0) & (owner[:-1] == owner[1:])
        codes = a[valid] * n_terms + b[valid]
        where = np.isin(codes, qcodes)
        if where.any():
            found = np.unique(owner[:-1][valid][where] * qcodes.size + np.searchsorted(qcodes, codes[where]))
            got = np.bincount(found // qcodes.size, weights=qweights[found % qcodes.size], minlength=cands.size)
            bonus += PHRASE_WEIGHT * got / qweights.sum()
    return bonus


def expansion_weights(index: Index, query: Query, ids: np.ndarray, scores: np.ndarray) -> dict[int, float]:
    """Query weights with pseudo-relevance feedback (RM3-style), for ``expand=True``.

    The top `FEEDBACK_PASSAGES` passages vote for terms in proportion to
    ``exp(score - best) * tf / length``; terms found in at least
    `FEEDBACK_MIN_DF` of them compete, and the best `FEEDBACK_TERMS` are mixed
    into the question as ``FEEDBACK_KEEP * question + (1 - FEEDBACK_KEEP) *
    feedback`` (both normalised to sum to the question's length).
    """
    base = dict.fromkeys(query.term_ids, 1.0)
    top = ids[_top(ids, scores, min(ids.size, FEEDBACK_PASSAGES))]
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


def top_passages(index: Index, weights: dict[int, float], depth: int) -> tuple[np.ndarray, np.ndarray]:
    """The `depth` best passages by BM25, exactly, reading as few postings as it can (MaxScore).

    Terms are taken in order of the most they can add to a score
    (``weight * term_max``). Once `depth` candidates are known and the k-th best
    score exceeds the most that all remaining terms together could add, no
    passage outside the candidates can reach the top: the remaining terms (the
    common ones, with long postings) then only update the candidates, by
    binary search in their postings, instead of being read whole.

    Returns
    -------
    passages, scores : ndarray
        At least the top `depth` passages (or all matching ones) and their exact
        BM25 scores; passages ascending.
    """
    order = sorted(weights, key=lambda t: -weights[t] * float(index.term_max[t]))
    bounds = np.array([weights[t] * float(index.term_max[t]) for t in order])
    rest = np.concatenate([np.cumsum(bounds[::-1])[::-1], [0.0]])  # rest[i]: most terms i.. can add
    ids = np.empty(0, dtype=np.int64)
    scores = np.empty(0, dtype=np.float64)
    for i, t in enumerate(order):
        postings, w = index.postings(t)
        theta = np.partition(scores, scores.size - depth)[scores.size - depth] if scores.size >= depth else -1.0
        if theta > rest[i]:
            alive = scores + rest[i] >= theta  # only candidates that can still reach the top
            ids, scores = ids[alive], scores[alive]
            where = np.minimum(np.searchsorted(postings, ids), postings.size - 1)
            found = postings[where] == ids
            scores[found] += weights[t] * w[where[found]]
        elif ids.size == 0:
            ids, scores = postings.astype(np.int64), weights[t] * w.astype(np.float64)
        else:
            merged, inverse = np.unique(np.concatenate([ids, postings]), return_inverse=True)
            scores = np.bincount(inverse, weights=np.concatenate([scores, weights[t] * w.astype(np.float64)]))
            ids = merged
    return ids, scores


def ranked(index: Index, query: Query, expand: bool = False, depth: int | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """Matching passages and their final scores (BM25, expanded if asked, reranked at the top).

    With `depth`, only (at least) the `depth` best passages are scored, by
    `top_passages`; their order is the same as scoring every passage would give.
    """
    if getattr(index, "shards", None) is not None:  # a sharded index merges its shards' lists (qa.shards)
        return index.ranked(query, expand, depth)
    weights = dict.fromkeys(query.term_ids, 1.0)
    if depth is not None and not expand:
        ids, scores = top_passages(index, weights, max(depth, RERANK_DEPTH)) if weights else (
            np.empty(0, np.int64), np.empty(0))
    else:
        ids, scores = score_passages(index, query)
    if expand and ids.size:
        weights = expansion_weights(index, query, ids, scores)
        if len(weights) > len(query.term_ids):
            ids, scores = score_passages(index, query, weights)
    if ids.size:
        top = _top(ids, scores, min(ids.size, RERANK_DEPTH))
        scores = scores.copy()
        scores[top] += scores[top[0]] * rerank_bonus(index, query, ids[top])
    return ids, scores


def _top(ids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores, best first; ties go to the lower passage number."""
    if k < scores.size:
        # argpartition on the negated scores, then widen to include every tie at the cut.
        cut = np.partition(-scores, k - 1)[k - 1]
        pos = np.flatnonzero(-scores <= cut)
    else:
        pos = np.arange(scores.size)
    order = np.lexsort((ids[pos], -scores[pos]))
    return pos[order][:k] if k < scores.size else pos[order]


def _matched(index: Index, query: Query, passage_ids: np.ndarray) -> list[list[int]]:
    """For each passage, which of the query's terms (by position in the query) it holds."""
    if getattr(index, "shards", None) is not None:  # global passage numbers: asked of their shards (qa.shards)
        return index.matched(query, passage_ids)
    out = [[] for _ in range(passage_ids.size)]
    for qi, tid in enumerate(query.term_ids):
        posting, _ = index.postings(tid)
        where = np.searchsorted(posting, passage_ids)
        where = np.minimum(where, max(posting.size - 1, 0))
        has = posting[where] == passage_ids if posting.size else np.zeros(passage_ids.size, bool)
        for j in np.flatnonzero(has):
            out[j].append(qi)
    return out


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def search(index: Index, question, k: int = 5, expand: bool = False) -> tuple[Hit, ...]:
    """The k best passages for a question.

    Parameters
    ----------
    index : Index
    question : str or Query
    k : int, default=5
        How many hits to return (fewer if fewer passages match).
    expand : bool, default=False
        Add pseudo-relevance feedback terms (`expansion_weights`) to the question.

    Returns
    -------
    tuple of Hit
        Best first. Empty when no question term is in the index.
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    query = question if isinstance(question, Query) else parse_question(index, question)
    ids, scores = ranked(index, query, expand, depth=k + 8)
    if ids.size == 0:
        return ()
    hits: list[Hit] = []
    kept_keys: list[str] = []
    done = 0
    want = k + 8  # a few spare: some may be dropped as repeats of a better hit
    while len(hits) < k and done < ids.size:
        if want > k + 8 and not expand:  # more repeats than spares: score every passage after all
            ids, scores = ranked(index, query, expand)
        best = _top(ids, scores, min(ids.size, want))[done:]
        done += best.size
        want *= 4
        chosen = ids[best]
        for pos, pid, m in zip(best, chosen, _matched(index, query, chosen)):
            passage = index.passages[int(pid)]
            key = f" {_key(passage.text)} "
            if any(key in kk for kk in kept_keys):  # the same words, whole, in a better hit
                continue
            kept_keys.append(key)
            covered = sum(query.idf[qi] for qi in m)
            hits.append(
                Hit(
                    rank=len(hits) + 1,
                    passage=passage,
                    score=float(scores[pos]),
                    matched_terms=tuple(query.terms[qi] for qi in m),
                    coverage=float(covered / query.total_idf) if query.total_idf > 0 else 0.0,
                )
            )
            if len(hits) == k:
                break
    return tuple(hits)


def search_documents(index: Index, question, k: int = 100, expand: bool = False) -> list[tuple[str, float]]:
    """Rank documents by their best passage's score: ``[(doc_id, score)]``, best first, each once."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    query = question if isinstance(question, Query) else parse_question(index, question)
    ids, scores = ranked(index, query, expand)
    if ids.size == 0:
        return []
    doc_of, doc_ids = index.passage_doc
    docs = doc_of[ids]
    # Best passage per document: sort by (document, -score) and keep each document's first.
    order = np.lexsort((-scores, docs))
    first = np.ones(order.size, dtype=bool)
    first[1:] = docs[order][1:] != docs[order][:-1]
    best_pos = order[first]
    top = _top(docs[best_pos], scores[best_pos], min(best_pos.size, k))
    return [(doc_ids[int(docs[best_pos[i]])], float(scores[best_pos[i]])) for i in top]
