"""qa.suggest: example questions made from a corpus's own headings and titles, offered only if qa answers them.

The tests follow the module's rules: the candidates (rules 1 to 5) on stand-in
indexes, then what is offered (rules 6 and 7) on small corpora built in tmp_path.
"""

import dataclasses
from pathlib import Path

import pytest

import qa
import qa.answering.summarize
from qa.answering.suggest import (
    ASKS_PER_EXAMPLE,
    MAX_CHARS,
    answered_from,
    candidate_questions,
    clean_heading,
    document_name,
    reads_as_question,
    suggest_questions,
)
from qa.index.index import Index
from qa.types import Passage

ROOT = Path(__file__).resolve().parents[2]


def _index(*sections, title="Guide", source="0.txt"):
    """An index of one document: one passage per (section[, title]) in order."""
    passages = []
    for i, s in enumerate(sections):
        section, t = (s, title) if isinstance(s, str) else s
        passages.append(Passage(f"d#{i}", "d", source, t, section, 0, 4, "body"))
    return Index.fit(passages)


def _candidates(index) -> tuple[str, ...]:
    return candidate_questions(index).get("d", ())


def _build(tmp_path, files: dict[str, str]):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index, _ = qa.build_index(corpus)
    return index


def _source_of(index, question) -> str:
    """The document the answer to `question` cites first."""
    result = qa.answer(index, question)
    assert not result.abstained, question
    return result.hits[result.sentences[0].rank - 1].passage.doc_id


# Package READMEs whose headings are not questions, as real ones are.
READMES = {
    "tomlkit.md": (
        "# tomlkit\n\n"
        "tomlkit is a style-preserving TOML library for Python. It reads and writes TOML documents "
        "and keeps their comments, indentation and order.\n\n"
        "## Installation\n\n"
        "Install tomlkit with pip: pip install tomlkit. It needs no compiler.\n\n"
        "## Features\n\n"
        "The features of tomlkit are comment preservation, a dictionary interface and round trips "
        "that change nothing but the edited values.\n\n"
        "## Contributing\n\n"
        "Contributions to tomlkit are welcome: open an issue on the tracker before a pull request.\n"
    ),
    "zstandard.md": (
        "# zstandard\n\n"
        "zstandard is a Python binding to the Zstandard compression library, a fast lossless "
        "compression algorithm.\n\n"
        "## Usage\n\n"
        "Use zstandard through its ZstdCompressor and ZstdDecompressor classes: compress bytes with "
        "ZstdCompressor().compress(data).\n\n"
        "## Requirements\n\n"
        "zstandard requires CPython 3.9 or newer, or PyPy.\n"
    ),
    "glossary.txt": (
        "Glossary of terms\n\nWhat is a wheel?\n\nA wheel is a built package archive, installed without a build step.\n"
    ),
}


# -- candidates ------------------------------------------------------------------------------------


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
        ("2.1 The Basics", "The Basics"),  # a section number before a capital
        ("1 What is libffi?", "What is libffi?"),
        ("what about me?", "What about me?"),
    ],
)
def test_clean_heading(heading, expected):
    assert clean_heading(heading) == expected


def test_question_headings_come_first_in_corpus_order_prefixes_stripped():
    index = _index(
        "Introduction to the scheme",
        "First, how do I register for the scheme?",
        "Second, who pays the monthly fee?",
        "Third, can I stop paying for a while?",
    )
    assert _candidates(index)[:3] == (
        "How do I register for the scheme?",
        "Who pays the monthly fee?",
        "Can I stop paying for a while?",
    )


def test_duplicates_are_dropped_case_and_spacing_aside():
    index = _index(
        "How do I register?", "First, how do I  REGISTER?", "How do I register?", "Who pays the fee?", title=""
    )
    assert _candidates(index) == ("How do I register?", "Who pays the fee?")


def test_then_questions_about_the_name_and_no_what_about_fallback():
    index = _index("Opening hours.", "Who pays the monthly fee?", "Second, paying by yourself:", title="Fees guide")
    assert _candidates(index) == ("Who pays the monthly fee?", "What is Fees guide?")


def test_headings_of_common_kinds_become_questions_about_the_name():
    index = _index(
        "tomlkit",
        "Installation",
        "Key features",
        "Usage",
        "Requirements",
        "Contributing",
        "License",
        "Data Classes",
        title="tomlkit",
    )
    assert _candidates(index) == (
        "What is tomlkit?",
        "How do I install tomlkit?",
        "What are the features of tomlkit?",
        "How do I use tomlkit?",
        "What does tomlkit require?",
        "How do I contribute to tomlkit?",
        "What is the license of tomlkit?",
    )


@pytest.mark.parametrize(
    "question",
    [
        "How do I apply?",
        "How long does it take to register?",
        "Who pays the monthly fee?",
        "What happens if I move?",
        "What documents do I need?",
        "What to bring to the office?",
        "Can after-service health insurance still be used?",
        "Is dental treatment covered?",
        "What's new in version 2?",
        "Where can I pay social security?",
        "被裁员后社保和医保怎么办？",
        "离职后医保还能用吗？",
        "失业金能领多少？",
        "What is tomlkit?",
        "If my licence is suspended, what can I do?",
        "For how long will my certificate be valid?",
        "I am studying here. Do I need a local licence?",
        "What kind of benefits can I get?",
        "What if I move abroad?",
        "How much of my loan will be discharged?",
    ],
)
def test_questions_a_person_writes_read_as_questions(question):
    assert reads_as_question(question)


@pytest.mark.parametrize(
    "fragment",
    [
        "What about Opening hours?",
        "What about Individuals pay social security and medical insurance?",
        "Hate Type Annotations!?",
        "Part-time jobs?",
        "Quitting: what now?",
        "3.5 million users?",
        "What of it?",
        "Fees and charges",
        "社保查询怎么办",
        "社保查询？",
        "Is?",
        "Why now?",
        "Ready to apply?",
        "What if?",
        "Opening hours, fees?",
    ],
)
def test_fragments_do_not_read_as_questions(fragment):
    assert not reads_as_question(fragment)


def test_headings_that_make_no_good_question_give_none(tmp_path):
    """No "What about <heading>?" fallback: a corpus with plain headings and no name offers nothing."""
    index = _index("Opening hours", "Fees and charges", "Paying by yourself", title="")
    assert _candidates(index) == ()
    index = _build(
        tmp_path,
        {"notes.txt": "Opening hours\n\nThe office opens at nine.\n\nFees and charges\n\nThe fee is ten euros.\n"},
    )
    assert suggest_questions(index, n=4) == ()


def test_what_is_name_is_offered_only_when_its_answer_names_it(tmp_path):
    """Rule 6: "What is <name>?" whose answer is about something else (a site's name atop a copied
    page) is not offered; one whose answer says the name is."""
    index = _build(
        tmp_path,
        {
            "copied.txt": "Jobs Portal - Insurance help\n\nInsurance after quitting\n\n"
            "After quitting, the insurance is paid by yourself at the street office.\n",
            **{k: READMES[k] for k in ("tomlkit.md",)},
        },
    )
    offered = suggest_questions(index, n=20)
    assert "What is Jobs Portal?" in candidate_questions(index)["copied.txt"]
    assert "What is Jobs Portal?" not in offered and "What is tomlkit?" in offered


@pytest.mark.parametrize(
    "title, source, name",
    [
        ("dateutil - powerful extensions to datetime", "python-dateutil.rst", "dateutil"),
        ("iniconfig: brain-dead simple parsing of ini files", "iniconfig.rst.txt", "iniconfig"),
        ("Apache License", "Apache-2.0.txt", "Apache License"),
        ('<h1 align="center">', "docs/urllib3.md", "urllib3"),  # markup: the file name instead
        (".. image:: https://example.org/logo.svg", "pytest.rst.txt", "pytest"),
        ("This is the file README for the gzip distribution.", "gzip-README.txt", ""),  # a sentence
        ("Introduction (libffi: the portable foreign function interface library)", "libffi-Introduction.html", ""),
        ("The Basics", "basics.html", ""),  # section words name no subject
        ("", "000_88822b98fb06234c.txt", ""),
    ],
)
def test_document_name(title, source, name):
    assert document_name(title, source) == name


def test_the_question_part_of_a_title_is_a_question():
    index = _index(("Overview", "Jobs Site - Insurance help - Can I keep my insurance after I quit?"))
    assert _candidates(index) == ("Can I keep my insurance after I quit?", "What is Jobs Site?")


def test_too_short_too_long_and_markup_candidates_are_skipped():
    long_q = "Why " + "very " * 40 + "long?"
    assert len(long_q) > MAX_CHARS
    index = _index(
        "Why?", long_q, "Fees", "<!-- badges -->", "See `docs`_", "-----", "When is the office open?", title=""
    )
    assert _candidates(index) == ("When is the office open?",)


def test_no_headings_no_candidates_no_suggestions():
    assert candidate_questions(_index("", title="")) == {}
    assert suggest_questions(_index("", title="")) == ()


# -- what is offered --------------------------------------------------------------------------------


def test_every_suggestion_is_answered_from_the_document_it_was_drawn_from(tmp_path):
    """Rule 6: each example is asked with qa.answer, and its answer cites the document it came from."""
    index = _build(tmp_path, READMES)
    examples = suggest_questions(index, n=6)
    assert len(examples) == 6
    drawn = {q: doc for doc, qs in candidate_questions(index).items() for q in qs}
    for q in examples:
        assert _source_of(index, q) == drawn[q]


def test_a_candidate_is_offered_if_and_only_if_its_answer_cites_its_document(tmp_path):
    """With room for all (n large), the examples are exactly the candidates answered from their own
    document: made-up questions such as "What is <name>?" too, and only when that holds."""
    from qa.answering import suggest

    index = _build(tmp_path, READMES)
    expected = []
    for document in suggest._documents(index):  # rule 6: "What is <name>?" only when its answer names it
        expected += [
            c.question
            for c in suggest._candidates(document)
            if answered_from(qa.answer(index, c.question), document.doc_id, c.subject) and c.question not in expected
        ]
    examples = suggest_questions(index, n=50)
    assert sorted(examples) == sorted(expected)
    assert {"What is tomlkit?", "How do I install tomlkit?", "What does zstandard require?"} <= set(examples)


def test_questions_that_qa_does_not_answer_are_not_offered(tmp_path, monkeypatch):
    index = _build(tmp_path, READMES)
    real = qa.answering.summarize.answer

    def abstain_on_install(index, question, **kw):
        result = real(index, question, **kw)
        return dataclasses.replace(result, abstained=True, sentences=()) if "install" in question else result

    monkeypatch.setattr(qa.answering.summarize, "answer", abstain_on_install)
    examples = suggest_questions(index, n=50)
    assert examples and not any("install" in q for q in examples)


def test_examples_are_spread_across_documents(tmp_path):
    """Rule 7: every document with an answered candidate gives one before any gives a second."""
    index = _build(tmp_path, READMES)
    drawn = {q: doc for doc, qs in candidate_questions(index).items() for q in qs}
    first = [drawn[q] for q in suggest_questions(index, n=3)]
    assert len(set(first)) == 3
    index = qa.build_index(ROOT / "corpus")[0]  # an English and a Chinese document
    languages = [qa.text.detect_language(q) for q in suggest_questions(index, n=2)]
    assert sorted(languages) == ["en", "zh"]


def test_at_most_three_questions_are_asked_per_example_and_asking_stops_when_n_are_found(tmp_path, monkeypatch):
    index = _build(tmp_path, READMES)
    real = qa.answering.summarize.answer
    asked = []
    monkeypatch.setattr(
        qa.answering.summarize, "answer", lambda index, q, **kw: asked.append(q) or real(index, q, **kw)
    )
    examples = suggest_questions(index, n=2)
    assert len(examples) == 2 and len(asked) <= 2 * ASKS_PER_EXAMPLE and asked[-1] == examples[-1]

    asked.clear()
    monkeypatch.setattr(
        qa.answering.summarize,
        "answer",
        lambda index, q, **kw: asked.append(q) or real(index, "What is the capital of France?", **kw),
    )  # nothing is ever answered
    assert suggest_questions(index, n=2) == ()
    assert len(asked) == 2 * ASKS_PER_EXAMPLE


def test_n_bounds_and_fewer_examples_begin_the_longer_list(tmp_path):
    index = _build(tmp_path, READMES)
    longest = suggest_questions(index, n=20)
    for n in range(len(longest) + 1):
        assert suggest_questions(index, n=n) == longest[:n]
    with pytest.raises(ValueError, match="n must be"):
        suggest_questions(index, n=-1)


def test_seed_corpus_suggestions_come_from_its_headings_and_are_answered(tmp_path):
    index, _ = qa.build_index(ROOT / "corpus")
    first = suggest_questions(index)
    assert len(first) == 4 and all(q.endswith(("?", "？")) for q in first)
    assert len(set(first)) == 4
    headings = " ".join((p.section + " " + p.title).lower() for p in index.passages)
    for q in first:
        assert clean_heading(q).lower() in headings or q.lower().startswith("what is ")
        assert reads_as_question(q) and not q.lower().startswith("what about")
        assert not qa.answer(index, q).abstained
    qa.save_index(index, tmp_path / "index")
    assert suggest_questions(qa.load_index(tmp_path / "index")) == first  # deterministic, from saved data alone


def test_a_removed_documents_headings_are_no_longer_suggested(tmp_path, monkeypatch):
    """Add two documents through the page's Library, remove one: nothing of it is suggested."""
    from qa.serve.library import Library

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pay.txt").write_text("Pay\n\nSalaries are paid on the last day of the month.\n", encoding="utf-8")
    index, _ = qa.build_index(corpus)
    qa.save_index(index, tmp_path / "seed")
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "seed"))
    lib = Library(tmp_path / "data")
    lib.ensure_index()
    lib.add_uploads(
        [
            ("canteen.txt", b"When does the canteen open?\n\nThe canteen opens at noon and closes at three.\n"),
            ("parking.md", b"# Where do visitors park?\n\nVisitors park on level two of the north garage.\n"),
        ]
    )
    before = suggest_questions(qa.load_index(lib.index_dir), n=10)
    assert any("canteen" in q.lower() for q in before) and any("park" in q.lower() for q in before)
    lib.remove("canteen.txt")
    index = qa.load_index(lib.index_dir)
    after = suggest_questions(index, n=10)
    assert after and not any("canteen" in q.lower() for q in after)
    assert any("park" in q.lower() for q in after)
    assert "canteen.txt" not in candidate_questions(index)


def test_seed_corpus_examples_in_english_and_chinese_are_questions_a_person_writes(corpus_index):
    """Every example the seed corpus offers (English and Chinese) reads as a question, none is a
    "What about" fragment, and "What is <site name>?" (its answer is not about the site) is not one."""
    pool = suggest_questions(corpus_index, n=20)
    languages = {qa.text.detect_language(q) for q in pool}
    assert languages == {"en", "zh"}
    assert all(reads_as_question(q) for q in pool), pool
    assert not any(q.lower().startswith("what about") or q.endswith("怎么办？") and "查询" in q for q in pool)
    assert "What is Job Recruitment Website?" not in pool and "求职招聘网是什么？" not in pool
    for q in pool:
        assert not qa.answer(corpus_index, q).abstained
