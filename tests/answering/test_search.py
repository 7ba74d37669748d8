"""qa.search: question parsing, scores against a dense reference, ranking, and documents."""

from __future__ import annotations

import numpy as np
import pytest

from qa.errors import QuestionError
from qa.index.index import Index, IndexParams
from qa.answering.search import MAX_QUESTION_CHARS, parse_question, search, search_documents
from qa.index.ranking import score_passages
from qa.types import Passage

FRUIT = [
    "apple banana cherry",  # 0
    "apple cherry durian",  # 1  ties with 0 on "apple"
    "banana banana banana elderberry",  # 2
    "fig grape",  # 3
    "apple apple apple banana",  # 4
]


def passages_of(texts, doc_ids=None) -> tuple[Passage, ...]:
    doc_ids = doc_ids or ["d"] * len(texts)
    return tuple(Passage(f"{d}#{i}", d, d, "", "", 0, len(t), t) for i, (d, t) in enumerate(zip(doc_ids, texts)))


def fit(texts, doc_ids=None) -> Index:
    return Index.fit(passages_of(texts, doc_ids), IndexParams(heading_boost=0))


@pytest.fixture()
def bm25_only(monkeypatch):
    """Turn the rerank bonus off, so search ranks by the plain BM25 sum (the mechanics under test)."""
    import importlib

    module = importlib.import_module("qa.index.ranking")
    monkeypatch.setattr(module, "SENTENCE_WEIGHT", 0.0)
    monkeypatch.setattr(module, "PHRASE_WEIGHT", 0.0)


@pytest.fixture()
def maxscore_always(monkeypatch):
    """Prune with MaxScore however few the postings (small test corpora are otherwise scored whole)."""
    import importlib

    monkeypatch.setattr(importlib.import_module("qa.index.ranking"), "FULL_SCORE_POSTINGS", 0)


@pytest.fixture(scope="module")
def fruit() -> Index:
    return fit(FRUIT)


def reference_scores(index: Index, question: str) -> np.ndarray:
    """Dense reference: each passage's score is the sum of its weights for the question's distinct terms."""
    terms = {t for t in index.analyzer(question) if t in index.vocabulary}
    dense = index.matrix().toarray().astype(np.float64)
    cols = [index.vocabulary[t] for t in terms]
    return dense[:, cols].sum(axis=1) if cols else np.zeros(index.n_passages)


def ranked_ids(hits):
    return [h.passage.passage_id for h in hits]


# --- scores -------------------------------------------------------------------------------------------

SEED_QUESTIONS = [
    "Where do I pay social security myself?",
    "What happens to my medical insurance after leaving the job?",
    "Can I buy medicine with the insurance card, and is there a time limit?",
    "flexible employee medical insurance insurance insurance",  # repeated words count once
    "hospitalization reimbursement",
]


@pytest.mark.parametrize("question", SEED_QUESTIONS)
def test_scores_equal_the_dense_reference(corpus_index, question):
    ref = reference_scores(corpus_index, question)
    ids, scores = score_passages(corpus_index.scoring, parse_question(corpus_index, question))
    assert ids.tolist() == np.flatnonzero(ref > 0).tolist()  # touched passages, ascending
    np.testing.assert_allclose(scores, ref[ids], rtol=1e-6)


@pytest.mark.parametrize("question", ["apple", "apple banana", "banana cherry fig grape", "durian elderberry"])
def test_tiny_scores_equal_the_dense_reference(fruit, question):
    ref = reference_scores(fruit, question)
    ids, scores = score_passages(fruit.scoring, parse_question(fruit, question))
    np.testing.assert_allclose(scores, ref[ids], rtol=1e-6)
    assert set(ids.tolist()) == set(np.flatnonzero(ref > 0).tolist())


def test_sparse_and_dense_accumulation_agree():
    # Many passages and a rare question make score_passages take its sort-based path.
    texts = [f"filler{i} common" for i in range(200)] + ["rare1 rare2 common", "rare1 other"]
    index = fit(texts)
    q = parse_question(index, "rare1 rare2")
    ids, scores = score_passages(index.scoring, q)
    ref = reference_scores(index, "rare1 rare2")
    assert ids.tolist() == [200, 201]
    np.testing.assert_allclose(scores, ref[ids], rtol=1e-6)


def reference_bonus(index: Index, question: str, passage: Passage) -> float:
    """The rerank rule, written plainly: best-sentence IDF share and shared-phrase share."""
    from qa.index.ranking import PHRASE_WEIGHT, SENTENCE_WEIGHT
    from qa.text import split_sentences

    an = index.analyzer
    q_seq = [index.vocabulary.get(t, -1) for t in an(question)]
    q_terms = {t for t in q_seq if t >= 0}
    idf = index.idf.astype(float)
    sentences = [[index.vocabulary[t] for t in an(passage.text[a:b])] for a, b in split_sentences(passage.text)]
    best = max((sum(idf[t] for t in q_terms & set(s)) for s in sentences), default=0.0)
    q_pairs = {(a, b) for a, b in zip(q_seq, q_seq[1:]) if a >= 0 and b >= 0}
    p_pairs = {pair for s in sentences for pair in zip(s, s[1:])}
    pair_w = {pair: min(idf[pair[0]], idf[pair[1]]) for pair in q_pairs}
    phrase = sum(w for pair, w in pair_w.items() if pair in p_pairs) / sum(pair_w.values()) if pair_w else 0.0
    return SENTENCE_WEIGHT * best / sum(idf[t] for t in q_terms) + PHRASE_WEIGHT * phrase


@pytest.mark.parametrize("question", SEED_QUESTIONS)
def test_hit_scores_are_bm25_plus_the_rerank_bonus(corpus_index, question):
    ref = reference_scores(corpus_index, question)
    hits = search(corpus_index, question, k=5)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    pid = {p.passage_id: i for i, p in enumerate(corpus_index.passages)}
    for h in hits:  # the seed corpus has fewer than RERANK_DEPTH passages: every hit is reranked
        expected = ref[pid[h.passage.passage_id]] + ref.max() * reference_bonus(corpus_index, question, h.passage)
        assert h.score == pytest.approx(expected, rel=1e-6)


def test_rerank_prefers_the_question_said_in_one_sentence():
    together = "The red valve opens the cooling loop. Other words fill this part."
    scattered = "The red paint is new. The valve is old. The cooling loop is long."
    index = fit([scattered, together])
    assert ranked_ids(search(index, "red valve cooling loop", k=2)) == ["d#1", "d#0"]


def test_rerank_prefers_the_question_s_own_phrase():
    index = fit(["era name chinese adopted", "chinese era name adopted"])
    hits = search(index, "What Chinese era name was adopted?", k=2)
    assert ranked_ids(hits) == ["d#1", "d#0"] and hits[0].score > hits[1].score


def test_expansion_adds_feedback_terms_and_keeps_the_question():
    from qa.index.ranking import FEEDBACK_KEEP, expansion_weights

    texts = [f"turbine blade cooling film {i}" for i in range(6)] + ["film festival", "blade runner"]
    index = fit(texts)
    q = parse_question(index, "turbine blade")
    ids, scores = score_passages(index.scoring, q)
    weights = expansion_weights(index.scoring, q, ids, scores)
    assert set(q.term_ids) < set(weights)
    assert index.vocabulary["cool"] in weights and index.vocabulary["festiv"] not in weights
    assert all(weights[t] >= FEEDBACK_KEEP for t in q.term_ids)
    expanded = search(index, "turbine blade", k=8, expand=True)
    assert {h.passage.passage_id for h in expanded} >= {
        h.passage.passage_id for h in search(index, "turbine blade", k=8)
    }


def test_hit_fields(corpus_index):
    q = parse_question(corpus_index, "Where do I pay social security myself?")
    for h in search(corpus_index, q, k=3):
        held = set(corpus_index.analyzer(h.passage.text + " " + h.passage.title + " " + h.passage.section))
        assert set(h.matched_terms) == held & set(q.terms)
        assert 0 < h.coverage <= 1


# --- ranking (plain BM25: the rerank is tested above) -----------------------------------------------


@pytest.mark.usefixtures("bm25_only")
def test_top_k_is_the_k_best(fruit):
    ref = reference_scores(fruit, "apple banana")
    for k in range(1, 6):
        hits = search(fruit, "apple banana", k=k)
        assert len(hits) == min(k, np.count_nonzero(ref))
        assert [h.score for h in hits] == pytest.approx(sorted(ref[ref > 0], reverse=True)[:k], rel=1e-6)


def test_ties_go_to_the_earlier_passage(fruit):
    # Passages 0 and 1 both hold "apple" once and have the same length: their scores tie.
    hits = search(fruit, "apple", k=3)
    by_id = {h.passage.passage_id: h.score for h in hits}
    assert by_id["d#0"] == by_id["d#1"]
    assert ranked_ids(hits) == ["d#4", "d#0", "d#1"]


def test_tie_at_the_cut_is_broken_by_passage_order():
    texts = [f"apple {w}" for w in ["kiwi", "lime", "mango", "nut", "olive", "pear"]]
    index = fit(texts)
    assert ranked_ids(search(index, "apple", k=2)) == ["d#0", "d#1"]
    assert ranked_ids(search(index, "apple", k=4)) == ["d#0", "d#1", "d#2", "d#3"]


def test_results_are_deterministic(corpus_index):
    runs = {tuple(ranked_ids(search(corpus_index, "social security insurance", k=5))) for _ in range(3)}
    assert len(runs) == 1


def test_fewer_hits_than_k_when_fewer_passages_match(fruit):
    assert ranked_ids(search(fruit, "grape", k=5)) == ["d#3"]


@pytest.mark.parametrize("k", [0, -1, 1.5, True, "3", None])
def test_k_must_be_a_positive_integer(fruit, k):
    with pytest.raises(ValueError, match="k must be a positive integer"):
        search(fruit, "apple", k=k)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        search_documents(fruit, "apple", k=k)


def test_passage_contained_in_a_better_one_is_not_returned_twice():
    # "cherry durian." is inside passage 0, which holds "cherry" three times and ranks first.
    index = fit(["cherry durian. cherry cherry", "cherry durian.", "cherry fig"])
    ids, _ = score_passages(index.scoring, parse_question(index, "cherry"))
    assert 1 in ids.tolist()  # it does match
    assert ranked_ids(search(index, "cherry", k=5)) == ["d#0", "d#2"]


def test_passage_containing_a_better_one_is_still_returned():
    index = fit(["cherry durian.", "cherry durian. fig grape kiwi lime"])
    assert ranked_ids(search(index, "cherry", k=5)) == ["d#0", "d#1"]


# --- questions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, match",
    [
        ("", "the question is empty"),
        ("   \n\t ", "the question is empty"),
        ("x " * (MAX_QUESTION_CHARS // 2 + 1), f"the limit is {MAX_QUESTION_CHARS:,}"),
        ("?!...", "no words to search for"),
        ("what is it that you would do?", "no words to search for"),
        (None, "must be text, not NoneType"),
        (42, "must be text, not int"),
    ],
)
def test_question_validation(fruit, question, match):
    with pytest.raises(QuestionError, match=match):
        search(fruit, question)


def test_question_at_the_length_limit_is_accepted(fruit):
    question = ("apple " * MAX_QUESTION_CHARS)[:MAX_QUESTION_CHARS]
    assert search(fruit, "  " + question + "  ")


def test_question_with_no_known_word_returns_no_hits(fruit):
    q = parse_question(fruit, "zebra xylophone")
    assert q.terms == () and q.unknown == ("zebra", "xylophone")
    assert search(fruit, q) == ()
    assert search_documents(fruit, q) == []


def test_parse_question(corpus_index):
    q = parse_question(corpus_index, "  Where do I PAY social security myself?  ")
    assert q.text == "Where do I PAY social security myself?"
    assert q.words == ("pay", "social", "security")
    assert q.terms == tuple(corpus_index.analyzer("pay social security"))
    assert q.term_ids == tuple(corpus_index.vocabulary[t] for t in q.terms)
    assert q.unknown == () and q.corrections == ()
    assert q.total_idf == pytest.approx(sum(q.idf))


def test_frame_words_are_not_counted_as_unknown(corpus_index):
    q = parse_question(corpus_index, "please tell me about unicorns")
    assert q.unknown == ("unicorns",)


def test_unknown_words_lower_coverage(corpus_index):
    known = search(corpus_index, "medical insurance")[0]
    diluted = search(corpus_index, "medical insurance unicorns")[0]
    assert known.passage == diluted.passage
    assert diluted.coverage < known.coverage


# --- spelling -----------------------------------------------------------------------------------------


def test_one_typo_is_corrected(corpus_index):
    # "insurence" stems like "insurance" anyway; "insurrance" does not, so the speller fixes it.
    assert corpus_index.speller.correct("insurence") == "insurance"
    q = parse_question(corpus_index, "medical insurrance")
    assert q.corrections == (("insurrance", "insurance"),)
    assert q.words == ("medical", "insurance")
    assert ranked_ids(search(corpus_index, q)) == ranked_ids(search(corpus_index, "medical insurance"))


@pytest.mark.parametrize("word", ["sort", "short", "employer", "cart"])
def test_common_words_are_not_corrected(corpus_index, word):
    q = parse_question(corpus_index, f"{word} insurance")
    assert q.corrections == ()


def test_sort_is_not_corrected_to_short(corpus_index):
    assert "short" in corpus_index.words and "sort" not in corpus_index.words
    assert corpus_index.speller.correct("sort") is None


# --- documents ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("bm25_only")
def test_search_documents_returns_each_document_once_with_its_best_passage_score():
    texts = ["apple banana", "apple apple apple", "banana cherry", "apple", "cherry"]
    docs = ["a", "a", "b", "c", "c"]
    index = fit(texts, docs)
    ref = reference_scores(index, "apple")
    best = {d: max(ref[i] for i, x in enumerate(docs) if x == d) for d in ("a", "c")}  # "b" lacks "apple"
    got = search_documents(index, "apple")
    assert [d for d, _ in got] == sorted(best, key=lambda d: -best[d])
    assert [s for _, s in got] == pytest.approx([best[d] for d, _ in got], rel=1e-6)


def test_search_documents_respects_k_and_breaks_ties_by_document_order():
    index = fit(["apple kiwi", "apple lime", "apple mango"], ["x", "y", "z"])
    assert [d for d, _ in search_documents(index, "apple", k=2)] == ["x", "y"]


def test_search_documents_on_the_seed(corpus_index):
    (only,) = search_documents(corpus_index, "social security")
    assert only[0] == corpus_index.passages[0].doc_id
    assert only[1] == pytest.approx(search(corpus_index, "social security", k=1)[0].score, rel=1e-6)


# --- repeats are skipped word for word, and never at the cost of k -----------------------------------


def test_a_passage_is_only_a_repeat_if_contained_word_for_word():
    index = fit(["Repay now. Now, now.", "Pay now."])
    assert ranked_ids(search(index, "now", k=5)) == ["d#0", "d#1"]


def test_k_hits_when_k_passages_match_even_after_many_repeats():
    # Passage 0 is "apple" x 12; passages 1-10 are "apple" x 10 ... x 1, all contained in it and ranked
    # right below it; "apple kiwi" matches too, so k=2 has two distinct hits to give.
    texts = [" ".join(["apple"] * 12)] + [" ".join(["apple"] * n) for n in range(10, 0, -1)] + ["apple kiwi"]
    index = fit(texts)
    assert ranked_ids(search(index, "apple", k=2)) == ["d#0", "d#11"]


# --- MaxScore: the top passages without reading every posting ------------------------------------


@pytest.mark.usefixtures("maxscore_always")
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("depth", [1, 5, 20])
def test_top_passages_equals_scoring_every_passage(seed, depth):
    from qa.index.ranking import top_passages

    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(60)]
    zipf = 1 / np.arange(1, 61) ** 1.1
    texts = [" ".join(rng.choice(words, size=rng.integers(3, 30), p=zipf / zipf.sum())) for _ in range(300)]
    index = fit(texts)
    for _ in range(10):
        q = parse_question(index, " ".join(rng.choice(words, size=rng.integers(1, 6))))
        if not q.term_ids:
            continue
        all_ids, all_scores = score_passages(index.scoring, q)
        ids, scores = top_passages(index.scoring, dict.fromkeys(q.term_ids, 1.0), depth)
        k = min(depth, all_ids.size)
        expected = set(all_ids[np.argsort(-all_scores, kind="stable")][:k].tolist())
        best = ids[np.argsort(-scores, kind="stable")][:k]
        assert np.allclose(np.sort(scores)[::-1][:k], np.sort(all_scores)[::-1][:k])
        got_scores = dict(zip(ids.tolist(), scores.tolist()))
        ref_scores = dict(zip(all_ids.tolist(), all_scores.tolist()))
        for pid in best.tolist():  # every returned top passage carries its exact score
            assert got_scores[pid] == pytest.approx(ref_scores[pid])
        kth = np.sort(all_scores)[::-1][k - 1]
        assert {p for p in expected if ref_scores[p] > kth} <= set(best.tolist())


def _documents_scoring_everything(index: Index, question: str, k: int) -> list[tuple[str, float]]:
    """search_documents as it was before pruning: every matching passage scored, best per document."""
    from qa.index.ranking import top_positions

    ids, scores = index.ranked(parse_question(index, question))
    if ids.size == 0:
        return []
    doc_of, doc_ids = index.passage_doc
    docs = doc_of[ids]
    order = np.lexsort((-scores, docs))
    first = np.ones(order.size, dtype=bool)
    first[1:] = docs[order][1:] != docs[order][:-1]
    best = order[first]
    top = top_positions(docs[best], scores[best], min(best.size, k))
    return [(doc_ids[int(docs[best[i]])], float(scores[best[i]])) for i in top]


@pytest.mark.usefixtures("maxscore_always")
@pytest.mark.parametrize("seed", range(8))
def test_search_documents_prunes_without_changing_the_ranking(seed):
    # Small vocabularies and short passages: many passages hold the same words (score ties), and
    # documents have one to six passages, so a document's best passage is often not its first.
    rng = np.random.default_rng(seed)
    n_words = int(rng.integers(8, 40))
    words = [f"w{i}" for i in range(n_words)]
    zipf = 1 / np.arange(1, n_words + 1) ** 1.1
    texts, docs = [], []
    for d in range(int(rng.integers(20, 120))):
        for _ in range(int(rng.integers(1, 7))):
            sentences = [
                " ".join(rng.choice(words, size=rng.integers(1, 8), p=zipf / zipf.sum()))
                for _ in range(int(rng.integers(1, 3)))
            ]
            texts.append(". ".join(sentences) + ".")
            docs.append(f"doc{d}")
    index = fit(texts, docs)
    assert index.passages.n_documents < index.n_passages
    for _ in range(25):
        question = " ".join(rng.choice(words, size=rng.integers(1, 7)))
        for k in (1, 3, 10, 1000):
            assert search_documents(index, question, k=k) == _documents_scoring_everything(index, question, k)


@pytest.mark.usefixtures("maxscore_always")
def test_search_documents_with_one_passage_a_document_prunes_without_changing_the_ranking():
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(12)]
    texts = [" ".join(rng.choice(words, size=rng.integers(1, 6))) for _ in range(400)]
    index = fit(texts, [f"doc{i}" for i in range(len(texts))])
    for _ in range(40):
        question = " ".join(rng.choice(words, size=rng.integers(1, 5)))
        for k in (1, 10, 30):
            assert search_documents(index, question, k=k) == _documents_scoring_everything(index, question, k)


@pytest.mark.parametrize("seed", range(3))
def test_few_postings_are_scored_whole_with_the_same_results(seed, monkeypatch):
    import qa.index.ranking as ranking

    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(20)]
    texts = [" ".join(rng.choice(words, size=rng.integers(2, 12))) for _ in range(200)]
    index = fit(texts, [f"doc{i // 3}" for i in range(len(texts))])
    questions = [" ".join(rng.choice(words, size=rng.integers(1, 6))) for _ in range(30)]
    whole = [(search_documents(index, q, k=5), ranked_ids(search(index, q, k=5))) for q in questions]
    monkeypatch.setattr(ranking, "FULL_SCORE_POSTINGS", 0)
    assert [(search_documents(index, q, k=5), ranked_ids(search(index, q, k=5))) for q in questions] == whole
