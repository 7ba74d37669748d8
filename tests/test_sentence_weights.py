"""bench/sentence_weights.py: its features are what they say, the rules written as weights give the
rules' own scores, and the patch it puts on qa.summarize comes off again."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import qa.answering.summarize as summarize
from qa import answer, build_index
from qa.answering.search import parse_question, search

_PATH = Path(__file__).resolve().parent.parent / "bench" / "sentence_weights.py"
_spec = importlib.util.spec_from_file_location("bench_sentence_weights", _PATH)
sw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sw)

MUSEUM = {
    "museum.txt": "The city museum\n\n"
    "The city museum opened in 1921 beside the river. It holds ten thousand paintings. "
    "Entry to the museum is free on Sundays. Paintings of the river are on the first floor, "
    "where the guided tours begin.\n\n"
    "Visitors may not take photographs of the paintings.\n",
}


@pytest.fixture(scope="module")
def museum(tmp_path_factory):
    folder = tmp_path_factory.mktemp("museum")
    for name, text in MUSEUM.items():
        (folder / name).write_text(text, encoding="utf-8")
    index, _ = build_index([folder])
    return index


def rows(index, question):
    query = parse_question(index, question)
    hits = search(index, query, k=5)
    cands = summarize._candidates(index, query, hits, summarize.question_types(query.text))
    x = sw.sentence_features(index, query, hits, cands)
    return cands, {c["text"]: dict(zip(sw.FEATURES, row)) for c, row in zip(cands, x)}, x


@pytest.mark.parametrize(
    "positions, window",
    [
        ({1: [0], 2: [1]}, 2),
        ({1: [0, 9], 2: [8]}, 2),
        ({1: [0], 2: [4], 3: [2]}, 5),
        ({1: [3, 7], 2: [5], 3: [6, 12]}, 3),
    ],
)
def test_shortest_window_holds_each_matched_term_once(positions, window):
    assert sw._shortest_window(positions) == window


def test_one_row_of_features_per_candidate(museum):
    cands, _, x = rows(museum, "When did the city museum open?")
    assert x.shape == (len(cands), len(sw.FEATURES))
    assert np.allclose(x[:, sw.FEATURES.index("coverage")], [c["coverage"] for c in cands])
    assert np.allclose(x[:, sw.FEATURES.index("rules")], [c["score"] for c in cands])


def test_word_pairs_and_proximity(museum):
    _, f, _ = rows(museum, "When did the city museum open?")
    opened = f["The city museum opened in 1921 beside the river."]
    assert opened["pairs"] == 1.0  # city-museum and museum-open, side by side
    assert opened["proximity"] == 1.0 and opened["cue"] == 1.0  # 1921 answers "when"
    free = f["Entry to the museum is free on Sundays."]
    assert free["pairs"] == 0.0 and free["proximity"] == 0.0  # one question word: no pair, no window


def test_a_pronoun_opening_carries_the_previous_sentences_coverage(museum):
    _, f, _ = rows(museum, "How many paintings does the city museum hold?")
    assert f["It holds ten thousand paintings."]["pronoun"] == pytest.approx(
        f["The city museum opened in 1921 beside the river."]["coverage"]
    )
    assert f["Entry to the museum is free on Sundays."]["pronoun"] == 0.0


def test_passage_position_and_length(museum):
    _, f, _ = rows(museum, "When did the city museum open?")
    first = f["The city museum opened in 1921 beside the river."]
    assert first["opening"] == 1.0 and first["position"] == 0.0 and first["rank"] == 1.0
    assert first["log_words"] == pytest.approx(np.log1p(9))
    assert f["It holds ten thousand paintings."]["opening"] == 0.0


def test_the_rules_as_weights_are_the_rules_scores(museum):
    for question in (
        "When did the city museum open?",
        "Where do the guided tours begin?",
        "How many paintings does the museum hold?",
    ):
        cands, _, x = rows(museum, question)
        assert np.allclose(x @ sw.as_vector(sw.RULE_WEIGHTS), [c["score"] for c in cands])


def test_install_rescores_and_uninstall_restores(museum):
    rules, select = summarize._candidates, summarize._select
    before = answer(museum, "When did the city museum open?")
    only_length = np.zeros(len(sw.FEATURES))
    only_length[sw.FEATURES.index("log_words")] = -1.0  # the shortest sentence with a question word first
    sw.install(only_length, passages=5)
    try:
        patched = answer(museum, "When did the city museum open?")
    finally:
        sw.uninstall()
    assert summarize._candidates is rules and summarize._select is select
    assert before.sentences[0].text.startswith("The city museum opened")
    assert patched.sentences[0].text == "It holds ten thousand paintings."  # "It" holds the museum's terms
    assert answer(museum, "When did the city museum open?") == before
