"""qa.spelling: one-edit correction to a corpus word, never of a real word, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.spelling import MIN_LEN, Speller, _one_edit, is_common_word

# Surface word -> term number; DF gives passages per term.
WORDS = {
    "insurance": 0,
    "reimbursement": 1,
    "hospitalization": 2,
    "pharmacies": 3,
    "clinics": 4,
    "clinic": 5,
    "cleric": 6,
    "card": 7,
    "flexible": 8,
}
DF = np.array([9, 2, 1, 3, 2, 5, 1, 4, 2])


@pytest.fixture
def speller() -> Speller:
    return Speller(WORDS, DF)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("insurence", "insurance"),  # substitution
        ("insurrance", "insurance"),  # insertion
        ("insurnce", "insurance"),  # deletion
        ("insuarnce", "insurance"),  # swap of neighbours
        ("reimbursment", "reimbursement"),
        ("hospitalizaton", "hospitalization"),
        ("flexable", "flexible"),
    ],
)
def test_one_edit_typo_is_corrected(speller, typed, expected):
    assert speller.correct(typed) == expected


@pytest.mark.parametrize("typed", ["insurancexx", "nsurnce", "insuarncee", "zzzzzz"])
def test_two_edits_away_or_nothing_close_is_not_corrected(speller, typed):
    assert speller.correct(typed) is None


@pytest.mark.parametrize("word", ["sort", "short", "employer", "claims", "clinical", "pharmacy"])
def test_common_english_words_are_never_corrected(word):
    assert is_common_word(word)
    assert (
        Speller({"short": 0, "employee": 1, "clinics": 2, "pharmacies": 3}, np.array([1, 1, 1, 1])).correct(word)
        is None
    )


def test_known_word_is_not_corrected(speller):
    assert speller.correct("insurance") is None


@pytest.mark.parametrize("word", ["crd", "cad", "a1b2c3d", "card-", "clin1c"])
def test_short_or_non_alphabetic_words_are_not_corrected(speller, word):
    assert speller.correct(word) is None


def test_short_corpus_words_are_not_targets():
    # "card" is MIN_LEN letters: a target; "cat" is shorter: never one.
    assert MIN_LEN == 4
    s = Speller({"card": 0, "cat": 1}, np.array([1, 1]))
    assert s.correct("carrd") == "card"
    assert s.correct("catz") is None


def test_the_more_frequent_candidate_wins():
    # "banler" is one substitution from both "bander" and "banter": the one in more passages wins.
    assert Speller({"bander": 0, "banter": 1}, np.array([1, 7])).correct("banler") == "banter"
    assert Speller({"bander": 0, "banter": 1}, np.array([7, 1])).correct("banler") == "bander"


def test_ties_go_to_the_alphabetically_first():
    s = Speller({"banter": 0, "bander": 1}, np.array([3, 3]))
    assert s.correct("banler") == "bander"


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("abcd", "abxd", True),
        ("abcd", "abd", True),
        ("abd", "abcd", True),
        ("abcd", "bacd", True),
        ("abcd", "abcd", False),
        ("abcd", "badc", False),
        ("abcd", "ab", False),
        ("abcd", "acbe", False),
    ],
)
def test_one_edit(a, b, expected):
    assert _one_edit(a, b) is expected
    assert _one_edit(b, a) is expected


def test_table_is_built_once(speller):
    speller.correct("insurence")
    table = speller._table
    speller.correct("flexable")
    assert speller._table is table
