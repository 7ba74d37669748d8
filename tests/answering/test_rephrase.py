"""qa.answering.rephrase on the seed corpus (corpus/), English and Chinese: a rephrasing respells only
words that are neither in the documents nor known words, and every suggestion reads as a question."""

from __future__ import annotations

import pytest

import qa
from qa.answering.rephrase import close_words, is_known_word, suggest_rephrasings
from qa.answering.suggest import reads_as_question, suggest_questions
from qa.text import text_key

DENTAL = "Is dental treatment covered by the insurance?"


@pytest.mark.parametrize("word", ["dental", "treatment", "covered", "deal", "pharmacy", "dentist"])
def test_a_known_english_word_is_never_respelt(corpus_index, word):
    assert is_known_word(corpus_index, word)
    assert close_words(corpus_index, word) == []


@pytest.mark.parametrize("word", ["insurance", "Insurance", "hospitalization", "reimbursement", "reimbursment"])
def test_a_word_whose_stem_the_documents_hold_is_never_respelt(corpus_index, word):
    # "reimbursment" is misspelt, but its stem is the documents' "reimbursement": qa already finds it.
    assert close_words(corpus_index, word) == []


@pytest.mark.parametrize(
    "word, fixed", [("hospitlization", "hospitalization"), ("insurrence", "insurance"), ("certifcate", "certificate")]
)
def test_an_unknown_word_is_respelt_as_a_corpus_word(corpus_index, word, fixed):
    assert not is_known_word(corpus_index, word)
    assert fixed in close_words(corpus_index, word)


def test_a_chinese_word_is_never_respelt(corpus_index):
    for word in ("牙科", "医保", "报销"):
        assert close_words(corpus_index, word) == []


def _swaps_a_word(question: str, suggestion: str) -> bool:
    """`suggestion` is `question` with one or more words replaced (same number of words)."""
    a, b = text_key(question).split(), text_key(suggestion).split()
    return len(a) == len(b) and a != b and sum(x != y for x, y in zip(a, b)) <= 2


@pytest.mark.parametrize(
    "question",
    [DENTAL, "Does the insurance pay for dental implants?", "Can my dentist bill the social security center?"],
)
def test_a_rephrasing_never_swaps_a_known_word(corpus_index, question):
    result = qa.answer(corpus_index, question)
    for suggestion in suggest_rephrasings(corpus_index, result):
        assert not _swaps_a_word(question, suggestion), suggestion
        assert "deal treatment" not in suggestion.lower()


def test_suggestions_for_the_dental_question_are_examples_that_read_as_questions(corpus_index):
    result = qa.answer(corpus_index, DENTAL)
    assert result.abstained
    suggestions = suggest_rephrasings(corpus_index, result)
    examples = suggest_questions(corpus_index, n=20)
    assert suggestions and set(suggestions) <= set(examples)
    assert all(reads_as_question(q) and not q.lower().startswith("what about") for q in suggestions)
    assert all(qa.text.detect_language(q) == "en" for q in suggestions)  # the question's language


def test_a_chinese_abstention_is_offered_chinese_questions_only(corpus_index):
    result = qa.answer(corpus_index, "首都是哪个城市？")
    assert result.abstained and result.language == "zh"
    suggestions = suggest_rephrasings(corpus_index, result)
    assert suggestions and all(qa.text.detect_language(q) == "zh" for q in suggestions)
    assert all(reads_as_question(q) for q in suggestions)
