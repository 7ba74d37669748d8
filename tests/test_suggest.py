"""qa.suggest: example questions derived from a corpus's own headings and titles."""

from pathlib import Path
from types import SimpleNamespace

import pytest

import qa
from qa.suggest import MAX_CHARS, clean_heading, suggest_questions
from qa.types import Passage

ROOT = Path(__file__).resolve().parent.parent


def _index(*sections, title="Guide"):
    """A stand-in index: one passage per (section[, title]) in order."""
    passages = []
    for i, s in enumerate(sections):
        section, t = (s, title) if isinstance(s, str) else s
        passages.append(Passage(f"d#{i}", "d", "d.txt", t, section, 0, 4, "body"))
    return SimpleNamespace(passages=tuple(passages))


@pytest.mark.parametrize(
    "heading, expected",
    [
        ("First, how do I apply?", "How do I apply?"),
        ("Second: where is the office?", "Where is the office?"),
        ("Finally. can I still use it?", "Can I still use it?"),
        ("2. where is   the office? ", "Where is the office?"),
        ("(3) who pays?", "Who pays?"),
        ("III. Why now?", "Why now?"),
        ("Step 2: what to bring?", "What to bring?"),
        ("Q: how long does it take?", "How long does it take?"),
        ("Question 4. is it free?", "Is it free?"),
        ("## What changed?", "What changed?"),
        ("一、怎么办？", "怎么办？"),
        ("Part-time jobs?", "Part-time jobs?"),  # a word, not a prefix
        ("Quitting: what now?", "Quitting: what now?"),
        ("3.5 million users?", "3.5 million users?"),
        ("what about me?", "What about me?"),
    ],
)
def test_clean_heading(heading, expected):
    assert clean_heading(heading) == expected


def test_question_headings_in_corpus_order_prefixes_stripped():
    index = _index(
        "Introduction to the scheme",
        "First, how do I register for the scheme?",
        "Second, who pays the monthly fee?",
        "Third, can I stop paying for a while?",
    )
    assert suggest_questions(index, n=3) == (
        "How do I register for the scheme?",
        "Who pays the monthly fee?",
        "Can I stop paying for a while?",
    )


def test_duplicates_are_dropped_case_and_spacing_aside():
    index = _index("How do I register?", "First, how do I  REGISTER?", "How do I register?", "Who pays the fee?", title="")
    assert suggest_questions(index) == ("How do I register?", "Who pays the fee?")


def test_fallback_turns_other_headings_into_what_about_after_the_questions():
    index = _index("Opening hours.", "Who pays the monthly fee?", "Second, paying by yourself:", title="Fees guide")
    assert suggest_questions(index, n=4) == (
        "Who pays the monthly fee?",
        "What about Opening hours?",
        "What about Paying by yourself?",
        "What about Fees guide?",
    )


def test_the_question_part_of_a_title_is_a_question():
    index = _index(("Overview", "Jobs Site - Insurance help - Can I keep my insurance after I quit?"))
    assert suggest_questions(index, n=2) == ("Can I keep my insurance after I quit?", "What about Overview?")


def test_too_short_and_too_long_candidates_are_skipped():
    long_q = "Why " + "very " * 40 + "long?"
    assert len(long_q) > MAX_CHARS
    index = _index("Why?", long_q, "Fees", "When is the office open?", title="")
    assert suggest_questions(index) == ("When is the office open?", "What about Fees?")


def test_n_bounds():
    index = _index("How do I register?", "Who pays the fee?", "Can I stop paying?")
    assert suggest_questions(index, n=0) == ()
    assert suggest_questions(index, n=1) == ("How do I register?",)
    assert len(suggest_questions(index, n=10)) == 4  # three questions + the title
    with pytest.raises(ValueError, match="n must be"):
        suggest_questions(index, n=-1)


def test_no_headings_no_suggestions():
    assert suggest_questions(_index("", title="")) == ()
    assert suggest_questions(SimpleNamespace(passages=())) == ()


def test_seed_corpus_suggestions_come_from_its_headings_and_are_answered(tmp_path):
    index, _ = qa.build_index(ROOT / "corpus")
    first = suggest_questions(index)
    assert len(first) == 4 and all(q.endswith(("?", "？")) for q in first)
    assert len(set(first)) == 4
    text = " ".join(" ".join(p.text.lower().split()) for p in index.passages)
    headings = " ".join((p.section + " " + p.title).lower() for p in index.passages)
    for q in first:
        core = q.removeprefix("What about ").removesuffix("怎么办？").rstrip("?？").lower()
        assert core in headings or core in text
        assert not qa.answer(index, q).abstained
    qa.save_index(index, tmp_path / "index")
    assert suggest_questions(qa.load_index(tmp_path / "index")) == first  # deterministic, from saved data alone


def test_a_removed_documents_headings_are_no_longer_suggested(tmp_path, monkeypatch):
    """Add two documents through the page's Library, remove one: nothing of it is suggested."""
    from qa.library import Library

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pay.txt").write_text("Pay\n\nSalaries are paid on the last day of the month.\n", encoding="utf-8")
    index, _ = qa.build_index(corpus)
    qa.save_index(index, tmp_path / "seed")
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "seed"))
    lib = Library(tmp_path / "data")
    lib.ensure_index()
    lib.add_uploads([
        ("canteen.txt", b"Canteen opening hours\n\nThe canteen opens at noon and closes at three.\n"),
        ("parking.md", b"# Parking permits\n\nStaff park in the north garage; visitors park on level two.\n"),
    ])
    before = suggest_questions(qa.load_index(lib.index_dir), n=10)
    assert any("canteen" in q.lower() for q in before) and any("parking" in q.lower() for q in before)
    lib.remove("canteen.txt")
    after = suggest_questions(qa.load_index(lib.index_dir), n=10)
    assert after and not any("canteen" in q.lower() for q in after)
    assert any("parking" in q.lower() for q in after)
