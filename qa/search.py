"""Question -> ranked `Hit`s, touching only the postings of the question's terms.

The score of passage ``d`` is ``sum(w(t, d) for t in question terms)``, the
BM25-weighted TF-IDF of `qa.weighting`. Scores are accumulated over the
passages the postings touch, the top k are chosen with ``np.argpartition``
and only they are sorted (ties broken by passage order, so results are
deterministic).

A passage whose text is contained in a higher-ranked passage (a repeated
paragraph) is skipped, so the same words are not shown twice.
"""

from __future__ import annotations

import numpy as np

from .errors import QuestionError
from .index import Index
from .text import FRAME_WORDS
from .types import Hit, Query

__all__ = ["MAX_QUESTION_CHARS", "evidence_weights", "parse_question", "score_passages", "search", "search_documents"]

MAX_QUESTION_CHARS = 2000


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
        if stem not in index.vocabulary:  # "pays" is known through "pay": no correction
            c = index.speller.correct(w)
            if c is not None:
                corrections.append((w, c))
                w = c
        fixed.append(w)
    stems = analyzer.stem_words(fixed)
    terms, ids, unknown = [], [], []
    for w, t in zip(fixed, stems):
        tid = index.vocabulary.get(t)
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
    )


def score_passages(index: Index, query: Query) -> tuple[np.ndarray, np.ndarray]:
    """Scores of every passage that holds at least one question term.

    Returns
    -------
    passages : ndarray of int
        Passage numbers, ascending.
    scores : ndarray of float
        Their scores.
    """
    if not query.term_ids:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    parts = [index.postings(t) for t in query.term_ids]
    ids = np.concatenate([p[0] for p in parts])
    w = np.concatenate([p[1] for p in parts]).astype(np.float64)
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


def search(index: Index, question, k: int = 5) -> tuple[Hit, ...]:
    """The k best passages for a question.

    Parameters
    ----------
    index : Index
    question : str or Query
    k : int, default=5
        How many hits to return (fewer if fewer passages match).

    Returns
    -------
    tuple of Hit
        Best first. Empty when no question term is in the index.
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    query = question if isinstance(question, Query) else parse_question(index, question)
    ids, scores = score_passages(index, query)
    if ids.size == 0:
        return ()
    hits: list[Hit] = []
    kept_keys: list[str] = []
    done = 0
    want = k + 8  # a few spare: some may be dropped as repeats of a better hit
    while len(hits) < k and done < ids.size:
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


def search_documents(index: Index, question, k: int = 100) -> list[tuple[str, float]]:
    """Rank documents by their best passage's score: ``[(doc_id, score)]``, best first, each once."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    query = question if isinstance(question, Query) else parse_question(index, question)
    ids, scores = score_passages(index, query)
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
