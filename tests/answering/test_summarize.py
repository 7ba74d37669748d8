"""The summary rules of qa.summarize, one behaviour per test, on tiny corpora."""

import pytest

from qa import Index, QuestionError, answer, build_index
from qa.answering.summarize import MIN_EVIDENCE, question_types


def make_index(tmp_path, files: dict[str, str]) -> Index:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    index, _ = build_index([tmp_path])
    return index


LEAFLET = {
    "card.txt": "Library card rules\n\n"
    "You can renew a library card at the front desk. Renewal of the library card takes five minutes.\n\n"
    "A library card was first issued in 1998 to every resident. Lost cards are replaced for a fee.\n",
    "hours.txt": "Opening hours\n\n"
    "The reading room opens at nine and closes at six. Children may use the reading room with an adult.\n",
}


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Who handles the transfer when I find a new job?", "who"),
        ("When was the library card first issued?", "when"),
        ("How long is the reimbursement valid?", "how long"),
        ("How many days does renewal take?", "how long"),
        ("How much is the fee?", "how much"),
        ("Where do I renew my card?", "where"),
        ("What happens if I lose my card?", "what if"),
        ("What documents do I need to bring?", "needs"),
        ("How do I renew a card?", "how to"),
        ("Why is the room closed?", "why"),
    ],
)
def test_question_type_is_the_first_interrogative(question, expected):
    assert question_types(question)[0] == expected


def test_no_type_for_a_plain_request():
    assert question_types("library card renewal") == ()


def test_sentences_are_verbatim_and_cite_a_shown_passage(tmp_path):
    index = make_index(tmp_path, LEAFLET)
    result = answer(index, "How do I renew my library card?")
    assert not result.abstained
    assert 1 <= len(result.sentences) <= 3
    ranks = {h.rank: h for h in result.hits}
    for s in result.sentences:
        hit = ranks[s.rank]
        assert s.text in hit.passage.text
        assert (tmp_path / hit.passage.source).read_text(encoding="utf-8")[s.start : s.end] == s.text
    assert result.text == " ".join(s.text for s in result.sentences)


def test_a_when_question_prefers_the_sentence_with_a_date(tmp_path):
    index = make_index(tmp_path, LEAFLET)
    result = answer(index, "When was the library card issued?")
    assert "1998" in result.sentences[0].text


def test_a_how_long_question_prefers_a_duration(tmp_path):
    index = make_index(tmp_path, LEAFLET)
    result = answer(index, "How long does library card renewal take?")
    assert "five minutes" in result.sentences[0].text


def test_a_sentence_that_is_a_question_is_not_the_answer(tmp_path):
    index = make_index(
        tmp_path,
        {
            "faq.txt": "FAQ\n\nCan I park my bicycle at the station? Bicycles park in the covered rack by platform two.\n",
        },
    )
    result = answer(index, "Can I park my bicycle at the station?")
    assert result.sentences[0].text.startswith("Bicycles park")


def test_near_duplicate_sentences_are_shown_once(tmp_path):
    same = "Refunds for cancelled tickets are paid within ten working days."
    index = make_index(
        tmp_path,
        {
            "a.txt": f"Tickets\n\n{same} Keep your receipt.\n",
            "b.txt": f"Refunds\n\n{same[:-1]}, always. Contact the desk.\n",
        },
    )
    result = answer(index, "When are refunds for cancelled tickets paid?")
    texts = [s.text for s in result.sentences]
    assert sum("Refunds for cancelled tickets" in t for t in texts) == 1


def test_the_next_sentence_continues_an_answer_that_shows_what_was_asked(tmp_path):
    index = make_index(
        tmp_path,
        {
            "agency.txt": "Agencies\n\nYou can also ask a professional agency to file the tax return for you. "
            "All the expenses are borne by you personally.\n\nAgencies must be licensed by the tax office.\n",
        },
    )
    result = answer(index, "Who pays when an agency files my tax return?")
    assert [s.text for s in result.sentences][:2] == [
        "You can also ask a professional agency to file the tax return for you.",
        "All the expenses are borne by you personally.",
    ]


def test_no_word_of_the_question_in_the_corpus_abstains_with_no_match(tmp_path):
    index = make_index(tmp_path, LEAFLET)
    result = answer(index, "What is the capital of France?")
    assert result.abstained and result.reason_code == "no_match"
    assert "capital" in result.reason and result.sentences == () and result.hits == ()
    assert result.confidence == 0.0


def test_weak_evidence_abstains_and_still_shows_the_closest_passages(tmp_path):
    index = make_index(tmp_path, LEAFLET)
    result = answer(index, "Which volcano erupted near the reading room during the tsunami earthquake?")
    assert result.abstained and result.reason_code == "weak_evidence"
    assert f"{MIN_EVIDENCE:.0%}" in result.reason
    assert result.hits and result.sentences == ()


def test_confidence_is_a_probability_and_higher_for_a_better_covered_question(tmp_path):
    index = make_index(tmp_path, LEAFLET)
    strong = answer(index, "When does the reading room open and close?")
    weaker = answer(index, "When does the reading room open for hungry visitors?")
    assert 0.0 <= weaker.confidence < strong.confidence <= 1.0


def test_k_limits_the_passages_but_keeps_every_cited_one(tmp_path):
    index = make_index(tmp_path, LEAFLET)
    result = answer(index, "library card reading room", k=1)
    assert max(s.rank for s in result.sentences) <= len(result.hits)


@pytest.mark.parametrize("question", ["", "   \n", "?!...", "what is the", "x" * 100_000])
def test_unusable_questions_raise_a_clear_error(tmp_path, question):
    index = make_index(tmp_path, LEAFLET)
    with pytest.raises(QuestionError):
        answer(index, question)


def test_a_misspelt_word_is_corrected_and_reported(tmp_path):
    index = make_index(tmp_path, LEAFLET)
    result = answer(index, "How do I renew my libary card?")
    assert ("libary", "library") in result.corrections
    assert not result.abstained
