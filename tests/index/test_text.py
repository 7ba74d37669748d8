"""qa.text: the sentence splitter and the analyzer shared by indexing and questions."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.text import Analyzer, split_sentences


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


# --- split_sentences ----------------------------------------------------------------------------------

SPLITS = [
    ("Take the card. Then pay.", ["Take the card.", "Then pay."]),
    ("Is it free? Yes! It is.", ["Is it free?", "Yes!", "It is."]),
    ("Line one\nLine two\n\n\nLine three", ["Line one", "Line two", "Line three"]),
    ("1. Take the card to the office. 2. Pay the fee.", ["1. Take the card to the office.", "2. Pay the fee."]),
    ("Steps: 1. Open the form. 2. Sign it.", ["Steps: 1. Open the form.", "2. Sign it."]),
    ("Bring proof, e.g. a passport. Then wait.", ["Bring proof, e.g. a passport.", "Then wait."]),
    ("That is, i.e. the card. Done.", ["That is, i.e. the card.", "Done."]),
    ("Ask Dr. Smith or Mr. Jones. They know.", ["Ask Dr. Smith or Mr. Jones.", "They know."]),
    ("Written by J. Smith in the spring. Read it.", ["Written by J. Smith in the spring.", "Read it."]),
    ("See fig. 2 for details. Next.", ["See fig. 2 for details.", "Next."]),
    ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
    ("Wait... what? Really?!", ["Wait...", "what?", "Really?!"]),
    (
        "\u672c\u6cd5\u9002\u7528\u3002\u4f60\u597d\u5417\uff1f\u662f\u7684\uff01\u597d",
        ["\u672c\u6cd5\u9002\u7528\u3002", "\u4f60\u597d\u5417\uff1f", "\u662f\u7684\uff01", "\u597d"],
    ),
    ("Version 3.5 is out. Update now.", ["Version 3.5 is out.", "Update now."]),
    ("No full stop at the end", ["No full stop at the end"]),
]


@pytest.mark.parametrize("text, expected", SPLITS)
def test_split_sentences(text, expected):
    assert sentences(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I was born in 1990. Then I moved.", ["I was born in 1990.", "Then I moved."]),
        ("The fee is 50. You pay it at the desk.", ["The fee is 50.", "You pay it at the desk."]),
        ("See fig. 2. Then go.", ["See fig. 2.", "Then go."]),
    ],
)
def test_a_number_that_ends_a_sentence_ends_it(text, expected):
    # Only a number that opens a sentence ("1. Take ...") or follows a colon is a list marker.
    assert sentences(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t"])
def test_blank_text_has_no_sentences(text):
    assert split_sentences(text) == []


@pytest.mark.parametrize("text", [t for t, _ in SPLITS] + ["  Leading space. Trailing space.  \n", "a\n \n b. c!  d?"])
def test_spans_are_stripped_ordered_and_disjoint(text):
    spans = split_sentences(text)
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()
    for (_, e1), (s2, _) in zip(spans, spans[1:]):
        assert e1 <= s2


@pytest.mark.parametrize("text", [t for t, _ in SPLITS])
def test_spans_cover_every_non_space_character(text):
    covered = set()
    for s, e in split_sentences(text):
        covered.update(range(s, e))
    assert all(i in covered for i, c in enumerate(text) if not c.isspace())


def test_seed_numbered_steps_are_not_split_after_the_number(seed_document):
    got = sentences(seed_document.text)
    assert any(s.startswith("1. Take the resignation certificate") for s in got)
    assert "1." not in got and "2." not in got


# --- Analyzer -----------------------------------------------------------------------------------------


def test_analyzer_lowercases_drops_stop_words_and_stems():
    assert Analyzer()("The Insurance of THE company") == Analyzer()("insurance company")


@pytest.mark.parametrize("a, b", [("insurance", "insurances"), ("pay", "paying"), ("employee", "employees")])
def test_inflections_share_a_term(a, b):
    assert Analyzer()(a) == Analyzer()(b) != []


def test_stop_words_are_dropped():
    assert Analyzer()("what is it that you would do") == []
    assert Analyzer(stop_words=False)("what is it") == ["what", "is", "it"]


def test_curly_apostrophe_is_a_plain_one():
    assert Analyzer()("don\u2019t leave") == Analyzer()("don't leave") == Analyzer()("leave")


def test_no_stemming():
    assert Analyzer(stem=False)("Insurances paid") == ["insurances", "paid"]


def test_words_are_letters_and_digits_only():
    assert [w for w, _, _ in Analyzer().words("ID-card, 2nd_try (e-mail)!")] == [
        "id",
        "card",
        "2nd",
        "try",
        "e",
        "mail",
    ]


def test_unicode_words():
    # 中文 is a word; its characters are terms too, but 中 ("in") is a stop word.
    assert Analyzer(stem=False)("Caf\u00e9 \u4e2d\u6587 \U0001f600") == ["caf\u00e9", "\u4e2d\u6587", "\u6587"]


def test_call_agrees_with_terms_with_spans():
    text = "Individuals must pay ALL social security fees by themselves, e.g. at the centre."
    a = Analyzer()
    assert a(text) == [t for t, _, _ in a.terms_with_spans(text)]


def test_spans_point_at_the_original_words():
    text = "The INSURANCES\u2019 costs were Reimbursed, weren\u2019t they?"
    a = Analyzer()
    got = [(t, text[s:e]) for t, s, e in a.terms_with_spans(text)]
    assert [w for _, w in got] == ["INSURANCES", "costs", "Reimbursed"]
    assert [t for t, _ in got] == a.stem_words(["insurances", "costs", "reimbursed"])


@pytest.mark.parametrize("word", ["system", "fire", "find", "bill", "call"])
def test_meaningful_words_are_not_stop_words(word):
    assert Analyzer()(word) != []


@settings(max_examples=int(os.environ.get("QA_HYPOTHESIS_EXAMPLES", "150")) * 4, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_the_ascii_index_tokens_are_the_unicode_pattern_s_on_ascii_text(text):
    from qa.text import INDEX_TOKEN_ASCII_RE, INDEX_TOKEN_RE

    assert INDEX_TOKEN_ASCII_RE.findall(text) == INDEX_TOKEN_RE.findall(text)


def test_the_ascii_index_tokens_on_words_numbers_apostrophes_and_sentence_ends():
    from qa.text import INDEX_TOKEN_ASCII_RE, INDEX_TOKEN_RE

    text = "It's 3.5 km_long... Really?! O'Neil's\nnext line.\x1c\x1fend 'quoted' don't_ a--b."
    assert INDEX_TOKEN_ASCII_RE.findall(text) == INDEX_TOKEN_RE.findall(text)
