"""Question -> ranked `Hit`s, touching only the postings of the question's terms.

1. **BM25.** The score of passage ``d`` is ``sum(w(t, d) for t in question
   terms)``, the BM25-weighted TF-IDF of `qa.index.weighting`, accumulated over the
   passages the postings touch.
2. **Expansion** (only with ``expand=True``): pseudo-relevance feedback adds
   terms from the best passages (`expansion_weights`). It lifts Cranfield's
   nDCG@10 but costs SQuAD some Recall@1, so it is off by default (docs/design.md,
   "Retrieval choices").
3. **Rerank.** The best `RERANK_DEPTH` passages gain a bonus for holding the
   question in one sentence and in its own phrases (`rerank_bonus`), scaled by
   the best BM25 score. Every other passage keeps its BM25 score.

The index scores (`qa.index.protocol.SearchIndex.ranked`: `qa.index.ranking` for
one index, per shard for a sharded one); the top k are found with ``np.partition``
and only they are sorted (ties broken by passage order, so results are
deterministic).

A passage whose text is contained in a higher-ranked passage (a repeated
paragraph) is skipped, so the same words are not shown twice.
"""

from __future__ import annotations

import numpy as np

from ..errors import QuestionError, positive_int
from ..index.protocol import SearchIndex
from ..index.ranking import best_per_document, bm25_idf, kth_document_score, top_positions
from ..text import FRAME_WORDS, has_han, text_key
from ..types import Hit, Query

__all__ = [
    "MAX_QUESTION_CHARS",
    "evidence_weights",
    "parse_question",
    "search",
    "search_documents",
]

MAX_QUESTION_CHARS = 2000


BACKGROUND_PASSAGES = 1000


def evidence_weights(index: SearchIndex, term_ids, unknown: int = 0) -> np.ndarray:
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
    return bm25_idf(df, n)


def parse_question(index: SearchIndex, question: str) -> Query:
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


def search(index: SearchIndex, question, k: int = 5, expand: bool = False) -> tuple[Hit, ...]:
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
    positive_int(k, "k")
    query = question if isinstance(question, Query) else parse_question(index, question)
    ids, scores = index.ranked(query, expand, depth=k + 8)
    if ids.size == 0:
        return ()
    hits: list[Hit] = []
    kept_keys: list[str] = []
    done = 0
    want = k + 8  # a few spare: some may be dropped as repeats of a better hit
    while len(hits) < k and done < ids.size:
        if want > k + 8 and not expand:  # more repeats than spares: score every passage after all
            ids, scores = index.ranked(query, expand)
        best = top_positions(ids, scores, min(ids.size, want))[done:]
        done += best.size
        want *= 4
        chosen = ids[best]
        for pos, pid, m in zip(best, chosen, index.matched(query, chosen)):
            passage = index.passages[int(pid)]
            key = f" {text_key(passage.text)} "
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


def search_documents(index: SearchIndex, question, k: int = 100, expand: bool = False) -> list[tuple[str, float]]:
    """Rank documents by their best passage's score: ``[(doc_id, score)]``, best first, each once.

    Only the passages that can decide the k best documents are scored (`qa.index.ranking.top_passages`
    with ``documents=k``; with `expand`, every matching passage is); the documents, their order and
    scores are those scoring every passage gives.
    """
    positive_int(k, "k")
    query = question if isinstance(question, Query) else parse_question(index, question)
    ids, scores = index.ranked(query, expand, documents=k)
    if ids.size == 0:
        return []
    doc_of, doc_ids = index.passage_doc
    # A passage scoring below the k-th best document cannot be a top document's best: sort only the others.
    keep = scores >= kth_document_score(ids, scores, doc_of, k)
    ids, scores = ids[keep], scores[keep]
    docs = doc_of[ids]
    best_pos = best_per_document(docs, scores)
    top = top_positions(docs[best_pos], scores[best_pos], min(best_pos.size, k))
    return [(doc_ids[int(docs[best_pos[i]])], float(scores[best_pos[i]])) for i in top]
